//! Transaction validity: every rejection is typed, changes nothing, and never panics; failed
//! calls still pay the fee and bump the nonce; fees go to the author or are burned.

mod common;

use common::*;
use tao_runtime::codec::Encode;
use tao_runtime::store::blake2_256;
use tao_runtime::tx::{TRANSFER_FEE, fee};
use tao_runtime::{
    Block, BlockError, Call, DispatchError, Event, Store, Transaction, TxError, TxStatus,
    apply_block, apply_block_with, validate_decoded,
};

fn rejected(chain: &mut Chain, tx: Vec<u8>) -> TxError {
    let number = chain.number() + 1;
    let with = apply_block(
        &chain.store,
        &Block {
            number,
            author: chain.author,
            transactions: vec![tx],
        },
    )
    .unwrap();
    let without = apply_block(
        &chain.store,
        &Block {
            number,
            author: chain.author,
            transactions: vec![],
        },
    )
    .unwrap();
    assert_eq!(
        with.changes, without.changes,
        "a rejected transaction changed state"
    );
    chain.store.commit(with.changes);
    match with.receipts.into_iter().next().map(|r| r.status) {
        Some(TxStatus::Rejected(e)) => e,
        other => panic!("expected rejection, got {other:?}"),
    }
}

fn transfer(to: &Pair, value: u64) -> Call {
    Call::TransferKeepAlive {
        dest: to.public(),
        value,
    }
}

#[test]
fn undecodable_bytes_are_rejected() {
    let mut c = Chain::dev();
    assert!(matches!(rejected(&mut c, vec![]), TxError::Decode(_)));
    assert!(matches!(
        rejected(&mut c, vec![1, 2, 3]),
        TxError::Decode(_)
    ));
    let mut good = c.sign(&alice(), transfer(&bob(), 1));
    good.push(0);
    assert!(matches!(rejected(&mut c, good), TxError::Decode(_)));
}

#[test]
fn unsupported_version_is_rejected() {
    let mut c = Chain::dev();
    let mut tx = c.sign(&alice(), transfer(&bob(), 1_000));
    tx[0] = 9;
    assert_eq!(
        rejected(&mut c, tx),
        TxError::UnsupportedVersion {
            got: 9,
            supported: 1
        }
    );
}

#[test]
fn bad_signature_is_rejected() {
    let mut c = Chain::dev();
    let mut tx = Transaction::sign(&alice(), c.genesis, 0, 0, transfer(&bob(), 1_000));
    tx.signature.0[10] ^= 1;
    assert!(matches!(
        rejected(&mut c, tx.encode()),
        TxError::BadSignature { .. }
    ));
    // a valid signature by someone else
    let mut tx = Transaction::sign(&alice(), c.genesis, 0, 0, transfer(&bob(), 1_000));
    tx.signer = bob().public();
    assert!(matches!(
        rejected(&mut c, tx.encode()),
        TxError::BadSignature { .. }
    ));
}

#[test]
fn wrong_genesis_is_rejected() {
    let mut c = Chain::dev();
    let tx = Transaction::sign(&alice(), [9; 32], 0, 0, transfer(&bob(), 1_000));
    assert!(matches!(
        rejected(&mut c, tx.encode()),
        TxError::WrongGenesis { .. }
    ));
}

#[test]
fn stale_and_future_nonces_are_rejected() {
    let mut c = Chain::dev();
    c.ok(&alice(), transfer(&bob(), 1_000));
    let stale = Transaction::sign(&alice(), c.genesis, 0, 0, transfer(&bob(), 1_000));
    assert!(matches!(
        rejected(&mut c, stale.encode()),
        TxError::StaleNonce {
            expected: 1,
            got: 0,
            ..
        }
    ));
    let future = Transaction::sign(&alice(), c.genesis, 5, 0, transfer(&bob(), 1_000));
    assert!(matches!(
        rejected(&mut c, future.encode()),
        TxError::FutureNonce {
            expected: 1,
            got: 5,
            ..
        }
    ));
}

#[test]
fn insufficient_balance_for_fee_is_rejected() {
    let mut c = Chain::dev();
    let poor = pair("//Poor");
    let tx = c.sign(&poor, transfer(&bob(), 1));
    assert!(matches!(
        rejected(&mut c, tx),
        TxError::CannotPayFee { free: 0, .. }
    ));
    // a huge tip overflows fee + tip: still a typed rejection
    let tx = Transaction::sign(&alice(), c.genesis, 0, u64::MAX, transfer(&bob(), 1));
    assert!(matches!(
        rejected(&mut c, tx.encode()),
        TxError::CannotPayFee { .. }
    ));
}

#[test]
fn failed_call_pays_fee_and_bumps_nonce() {
    let mut c = Chain::dev();
    let before = c.free(&alice().public());
    let r = c.submit(
        &alice(),
        Call::TransferKeepAlive {
            dest: bob().public(),
            value: u64::MAX / 2,
        },
    );
    assert!(matches!(
        r.status,
        TxStatus::Failed(DispatchError::InsufficientBalance { .. })
    ));
    assert!(r.fee >= TRANSFER_FEE);
    assert_eq!(c.free(&alice().public()), before - r.fee);
    assert_eq!(c.nonce(&alice().public()), 1);
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e, Event::ExtrinsicFailed { .. }))
    );
    assert!(!r.events.iter().any(|e| matches!(e, Event::Transfer { .. })));
}

#[test]
fn fee_schedule_and_author_payment() {
    let mut c = Chain::dev();
    c.author = Some(charlie().public());
    let tx = c.sign(&alice(), transfer(&bob(), 1_000_000));
    let expected = fee(&transfer(&bob(), 1_000_000), tx.len());
    assert_eq!(expected, TRANSFER_FEE + tx.len() as u64);
    let charlie_before = c.free(&charlie().public());
    let r = c.block(vec![tx]).remove(0);
    assert_eq!(r.fee, expected);
    assert_eq!(c.free(&charlie().public()), charlie_before + expected);
    // Pays::No calls cost nothing
    assert_eq!(
        fee(
            &Call::SetWeights {
                netuid: 1,
                dests: vec![],
                weights: vec![],
                version_key: 0
            },
            100
        ),
        0
    );
}

#[test]
fn tip_is_charged() {
    let mut c = Chain::dev();
    let before = c.free(&alice().public());
    let tx = Transaction::sign(&alice(), c.genesis, 0, 77, transfer(&bob(), 1_000)).encode();
    let r = c.block(vec![tx]).remove(0);
    assert_eq!(r.tip, 77);
    assert_eq!(c.free(&alice().public()), before - 1_000 - r.fee - 77);
}

#[test]
fn wrong_block_number_is_a_block_error() {
    let c = Chain::dev();
    let block = Block {
        number: 5,
        author: None,
        transactions: vec![],
    };
    assert_eq!(
        apply_block(&c.store, &block),
        Err(BlockError::WrongNumber {
            current: 0,
            expected: 1,
            got: 5
        })
    );
}

#[test]
fn several_transactions_in_one_block_with_one_bad_signature() {
    let mut c = Chain::dev();
    let t0 = Transaction::sign(&alice(), c.genesis, 0, 0, transfer(&bob(), 1_000)).encode();
    let mut bad = Transaction::sign(&alice(), c.genesis, 1, 0, transfer(&bob(), 1_000));
    bad.signature.0[0] ^= 1;
    let t2 = Transaction::sign(&bob(), c.genesis, 0, 0, transfer(&alice(), 1_000)).encode();
    let r = c.block(vec![t0, bad.encode(), t2]);
    assert_eq!(r[0].status, TxStatus::Applied);
    assert!(matches!(
        r[1].status,
        TxStatus::Rejected(TxError::BadSignature { .. })
    ));
    assert_eq!(r[2].status, TxStatus::Applied);
    assert_eq!(c.nonce(&alice().public()), 1);
}

#[test]
fn validate_transaction_for_mempool() {
    let c = Chain::dev();
    let tx = c.sign(&alice(), transfer(&bob(), 1_000));
    assert!(tao_runtime::validate_transaction(&c.store, &tx).is_ok());
    assert!(tao_runtime::validate_transaction(&c.store, &tx[1..]).is_err());
}

#[test]
fn preverified_signatures_give_the_same_outcome_and_only_the_rest_are_checked() {
    let c = Chain::dev();
    let t0 = Transaction::sign(&alice(), c.genesis, 0, 0, transfer(&bob(), 1_000)).encode();
    let mut bad = Transaction::sign(&alice(), c.genesis, 1, 0, transfer(&bob(), 1_000));
    bad.signature.0[0] ^= 1;
    let bad = bad.encode();
    let t2 = Transaction::sign(&bob(), c.genesis, 0, 0, transfer(&alice(), 1_000)).encode();
    let block = Block {
        number: c.number() + 1,
        author: None,
        transactions: vec![t0.clone(), bad.clone(), t2],
    };
    let plain = apply_block(&c.store, &block).unwrap();
    let good = [blake2_256(&t0)];
    let with = apply_block_with(&c.store, &block, &|h| good.contains(h)).unwrap();
    assert_eq!(with, plain);
    assert!(matches!(
        with.receipts[1].status,
        TxStatus::Rejected(TxError::BadSignature { .. })
    ));
    // The caller's word is taken for what it vouches for: a wrong `verified` would let a bad
    // signature through, which is why the node vouches only by the hash of verified bytes.
    let bad_hash = blake2_256(&bad);
    let trusting = apply_block_with(&c.store, &block, &|h| *h == bad_hash).unwrap();
    assert_eq!(trusting.receipts[1].status, TxStatus::Applied);
}

#[test]
fn validate_decoded_skips_only_the_signature() {
    let c = Chain::dev();
    let mut tx = Transaction::sign(&alice(), c.genesis, 0, 0, transfer(&bob(), 1_000));
    tx.signature.0[0] ^= 1;
    let len = tx.encode().len();
    assert!(matches!(
        validate_decoded(&c.store, &tx, len, false),
        Err(TxError::BadSignature { .. })
    ));
    assert_eq!(validate_decoded(&c.store, &tx, len, true), Ok(()));
    tx.nonce = 3;
    assert!(matches!(
        validate_decoded(&c.store, &tx, len, true),
        Err(TxError::FutureNonce { .. })
    ));
}
