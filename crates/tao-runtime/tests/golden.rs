//! Golden fixtures: the wire encoding of calls and transactions, the dev genesis hash, and the
//! state root after a fixed block sequence. A failure here means an encoding or the state
//! layout changed: bump `TX_VERSION` / document it in docs/TRANSACTIONS.md before updating.

mod common;

use common::*;
use tao_crypto::{PublicKey, Signature};
use tao_runtime::codec::{Decode, Encode};
use tao_runtime::{Call, Hyperparam, Transaction};

fn key(b: u8) -> PublicKey {
    PublicKey([b; 32])
}

fn check(call: Call, expected_hex: &str) {
    let bytes = call.encode();
    assert_eq!(hex::encode(&bytes), expected_hex, "{call:?}");
    assert_eq!(Call::decode(&bytes).unwrap(), call);
}

#[test]
fn call_encodings() {
    check(
        Call::TransferKeepAlive {
            dest: key(1),
            value: 1_000,
        },
        "00030101010101010101010101010101010101010101010101010101010101010101e803000000000000",
    );
    check(
        Call::SetWeights {
            netuid: 1,
            dests: vec![0, 1],
            weights: vec![65_535, 1],
            version_key: 7,
        },
        "01000100020000010002ffff01000700000000000000",
    );
    check(
        Call::CommitWeights {
            netuid: 3,
            commit_hash: [0xab; 32],
        },
        "01600300abababababababababababababababababababababababababababababababab",
    );
    check(Call::StartCall { netuid: 2 }, "015c0200");
    check(
        Call::SudoSetHyperparameter {
            netuid: 1,
            param: Hyperparam::Tempo,
            value: 360,
        },
        "02000100006801000000000000",
    );
    check(
        Call::ServeAxon {
            netuid: 1,
            version: 2,
            ip: 0x0a000001,
            port: 8091,
            ip_type: 4,
            protocol: 4,
            placeholder1: 0,
            placeholder2: 0,
        },
        &format!(
            "0104010002000000{}{}9b1f04040000",
            "0100000a",
            "00".repeat(12)
        ),
    );
}

#[test]
fn transaction_encoding() {
    let tx = Transaction {
        genesis_hash: [0x11; 32],
        signer: key(2),
        nonce: 5,
        tip: 0,
        call: Call::StartCall { netuid: 1 },
        signature: Signature([0x33; 64]),
    };
    let expected = format!(
        "01{}{}{}{}{}{}",
        "11".repeat(32),
        "02".repeat(32),
        "0500000000000000",
        "0000000000000000",
        "015c0100",
        "33".repeat(64)
    );
    assert_eq!(hex::encode(tx.encode()), expected);
    assert_eq!(Transaction::decode(&tx.encode()).unwrap(), tx);
    let payload = tx.signing_payload();
    assert_eq!(&payload[..6], b"tao/tx");
    assert_eq!(hex::encode(&payload[6..]), expected[..expected.len() - 128]);
}

#[test]
fn signed_transaction_verifies() {
    let c = Chain::dev();
    let tx = Transaction::sign(&alice(), c.genesis, 0, 0, Call::StartCall { netuid: 1 });
    assert!(tx.verify());
    let decoded = Transaction::from_bytes(&tx.encode()).unwrap();
    assert!(decoded.verify());
}

#[test]
fn dev_genesis_hash_and_scripted_root() {
    let mut c = Chain::dev();
    println!("genesis {}", hex::encode(c.genesis));
    let hot = pair("//Bob/hot");
    let netuid = c.new_subnet(&bob(), &hot.public());
    c.register(&charlie(), netuid, &pair("//Charlie/hot").public());
    c.ok(
        &alice(),
        Call::TransferAllowDeath {
            dest: pair("//Dave").public(),
            value: 12_345,
        },
    );
    c.sudo_hp(netuid, Hyperparam::CommitRevealWeightsEnabled, 0);
    c.advance(100);
    c.ok(
        &hot,
        Call::SetWeights {
            netuid,
            dests: vec![0, 1],
            weights: vec![3, 9],
            version_key: 0,
        },
    );
    let root = c.root();
    println!("root {}", hex::encode(root));
    assert_eq!(hex::encode(c.genesis), GENESIS);
    assert_eq!(hex::encode(root), ROOT);
}

const GENESIS: &str = "8bcea93ac8812cb9aab120876934419435477126fb69925b5c7640f185c213fd";
const ROOT: &str = "160e8a7863271a9895bf51ea88e51fff90d7453740de5e8f73806b758ef508f1";
