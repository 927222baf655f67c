//! Golden fixtures: the wire encoding of calls and transactions, the dev genesis hash, and the
//! state root after a fixed block sequence. A failure here means an encoding or the state
//! layout changed: bump `TX_VERSION` / document it in docs/TRANSACTIONS.md before updating.

mod common;

use common::*;
use tao_crypto::{PublicKey, Signature};
use tao_runtime::codec::{Decode, Encode};
use tao_runtime::{Call, GlobalParam, Hyperparam, Transaction};

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

/// `template` with each `{kN}` replaced by the hex of `key(N)`.
fn with_keys(template: &str) -> String {
    (1..=7u8).fold(template.to_string(), |hex, b| {
        hex.replace(&format!("{{k{b}}}"), &format!("{b:02x}").repeat(32))
    })
}

#[test]
fn every_call_has_a_frozen_encoding() {
    let cases = [
        (
            Call::TransferAllowDeath {
                dest: key(1),
                value: 5,
            },
            "0000{k1}0500000000000000",
        ),
        (
            Call::ServePrometheus {
                netuid: 1,
                version: 2,
                ip: 0x0a00_0001,
                port: 9090,
                ip_type: 4,
            },
            "01050100020000000100000a000000000000000000000000822304",
        ),
        (
            Call::Register {
                netuid: 1,
                block_number: 2,
                nonce: 3,
                work: vec![9, 8],
                hotkey: key(4),
                coldkey: key(5),
            },
            "0106010002000000000000000300000000000000020908{k4}{k5}",
        ),
        (
            Call::BurnedRegister {
                netuid: 1,
                hotkey: key(4),
            },
            "01070100{k4}",
        ),
        (Call::RegisterNetwork { hotkey: key(4) }, "013b{k4}"),
        (
            Call::DissolveNetwork {
                coldkey: key(5),
                netuid: 2,
            },
            "013d{k5}0200",
        ),
        (
            Call::RevealWeights {
                netuid: 1,
                uids: vec![0, 2],
                values: vec![7, 8],
                salt: vec![9],
                version_key: 3,
            },
            "01610100020000020002070008000109000300000000000000",
        ),
        (
            Call::RegisterLimit {
                netuid: 1,
                hotkey: key(4),
                limit_price: 6,
            },
            "01860100{k4}0600000000000000",
        ),
        (
            Call::AddStake {
                hotkey: key(4),
                netuid: 1,
                amount: 7,
            },
            "0102{k4}01000700000000000000",
        ),
        (
            Call::RemoveStake {
                hotkey: key(4),
                netuid: 1,
                amount: 7,
            },
            "0103{k4}01000700000000000000",
        ),
        (
            Call::AddStakeLimit {
                hotkey: key(4),
                netuid: 1,
                amount: 7,
                limit_price: 8,
                allow_partial: true,
            },
            "0158{k4}01000700000000000000080000000000000001",
        ),
        (
            Call::RemoveStakeLimit {
                hotkey: key(4),
                netuid: 1,
                amount: 7,
                limit_price: 8,
                allow_partial: false,
            },
            "0159{k4}01000700000000000000080000000000000000",
        ),
        (
            Call::RemoveStakeFullLimit {
                hotkey: key(4),
                netuid: 1,
                limit_price: Some(8),
            },
            "0167{k4}0100010800000000000000",
        ),
        (
            Call::RemoveStakeFullLimit {
                hotkey: key(4),
                netuid: 1,
                limit_price: None,
            },
            "0167{k4}010000",
        ),
        (Call::UnstakeAll { hotkey: key(4) }, "0153{k4}"),
        (
            Call::MoveStake {
                origin_hotkey: key(4),
                destination_hotkey: key(6),
                origin_netuid: 1,
                destination_netuid: 2,
                alpha_amount: 9,
                limit_price: None,
            },
            "0155{k4}{k6}01000200090000000000000000",
        ),
        (
            Call::TransferStake {
                destination_coldkey: key(5),
                hotkey: key(4),
                origin_netuid: 1,
                destination_netuid: 2,
                alpha_amount: 9,
                limit_price: Some(3),
            },
            "0156{k5}{k4}010002000900000000000000010300000000000000",
        ),
        (
            Call::SwapStake {
                hotkey: key(4),
                origin_netuid: 1,
                destination_netuid: 2,
                alpha_amount: 9,
                limit_price: None,
            },
            "0157{k4}010002000900000000000000",
        ),
        (
            Call::SwapStake {
                hotkey: key(4),
                origin_netuid: 1,
                destination_netuid: 2,
                alpha_amount: 9,
                limit_price: Some(3),
            },
            "015a{k4}010002000900000000000000030000000000000000",
        ),
        (
            Call::SetColdkeyAutoStakeHotkey {
                netuid: 1,
                hotkey: key(4),
            },
            "01720100{k4}",
        ),
        (
            Call::DecreaseTake {
                hotkey: key(4),
                take: 10,
            },
            "0141{k4}0a00",
        ),
        (
            Call::IncreaseTake {
                hotkey: key(4),
                take: 11,
            },
            "0142{k4}0b00",
        ),
        (
            Call::SudoSetGlobal {
                param: GlobalParam::NetworkMinLockCost,
                value: 12,
            },
            "0201000c00000000000000",
        ),
        (Call::SudoSetKey { new: key(7) }, "0302{k7}"),
    ];
    for (call, template) in cases {
        check(call, &with_keys(template));
    }
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
