//! Property tests: issuance is conserved by any mix of valid and invalid transactions; a
//! rejected transaction changes nothing; the same blocks give the same root.

mod common;

use common::*;
use proptest::prelude::*;
use tao_runtime::balances::{BURNED, RECYCLED, TOTAL_ISSUANCE};
use tao_runtime::codec::{Decode, Encode};
use tao_runtime::genesis::{DEV_ACCOUNTS, DEV_BALANCE};
use tao_runtime::state::State;
use tao_runtime::types::{AccountInfo, RAO_PER_TAO};
use tao_runtime::{Block, Call, Hyperparam, Store, Transaction, TxStatus, apply_block, read};

#[derive(Clone, Debug)]
enum Op {
    Transfer {
        from: usize,
        to: usize,
        amount: u64,
        keep_alive: bool,
    },
    RegisterNetwork {
        from: usize,
        hot: usize,
    },
    Register {
        from: usize,
        netuid: u16,
        hot: usize,
    },
    Dissolve {
        netuid: u16,
    },
    SetWeights {
        hot: usize,
        netuid: u16,
        weights: Vec<u16>,
    },
    Sudo {
        from: usize,
        netuid: u16,
        value: u64,
    },
    StartCall {
        from: usize,
        netuid: u16,
    },
    Stake {
        from: usize,
        hot: usize,
        netuid: u16,
        amount: u64,
        remove: bool,
    },
    MoveStake {
        from: usize,
        hot: usize,
        origin: u16,
        dest: u16,
        amount: u64,
    },
    Garbage(Vec<u8>),
    BadNonce {
        from: usize,
        delta: u64,
    },
    BadSignature {
        from: usize,
    },
    WrongGenesis {
        from: usize,
    },
}

const ACCOUNTS: usize = 8; // 6 funded dev accounts + 2 empty ones

fn account(i: usize) -> Pair {
    match DEV_ACCOUNTS.get(i) {
        Some(uri) => pair(uri),
        None => pair(&format!("//Empty{i}")),
    }
}

fn hotkey(i: usize) -> Pair {
    pair(&format!("//Hot{i}"))
}

fn op() -> impl Strategy<Value = Op> {
    let idx = 0..ACCOUNTS;
    prop_oneof![
        4 => (idx.clone(), 0..ACCOUNTS, prop_oneof![0..2_000u64, 0..2 * DEV_BALANCE], any::<bool>())
            .prop_map(|(from, to, amount, keep_alive)| Op::Transfer { from, to, amount, keep_alive }),
        1 => (idx.clone(), 0..6usize).prop_map(|(from, hot)| Op::RegisterNetwork { from, hot }),
        2 => (idx.clone(), 0..4u16, 0..6usize).prop_map(|(from, netuid, hot)| Op::Register { from, netuid, hot }),
        1 => (0..4u16).prop_map(|netuid| Op::Dissolve { netuid }),
        1 => (0..6usize, 0..4u16, proptest::collection::vec(any::<u16>(), 0..4))
            .prop_map(|(hot, netuid, weights)| Op::SetWeights { hot, netuid, weights }),
        1 => (idx.clone(), 0..4u16, 0..3u64).prop_map(|(from, netuid, value)| Op::Sudo { from, netuid, value }),
        1 => (idx.clone(), 0..4u16).prop_map(|(from, netuid)| Op::StartCall { from, netuid }),
        3 => (idx.clone(), 0..6usize, 0..4u16, prop_oneof![0..3_000_000u64, 0..200 * RAO_PER_TAO], any::<bool>())
            .prop_map(|(from, hot, netuid, amount, remove)| Op::Stake { from, hot, netuid, amount, remove }),
        1 => (idx.clone(), 0..6usize, 0..4u16, 0..4u16, 0..100 * RAO_PER_TAO)
            .prop_map(|(from, hot, origin, dest, amount)| Op::MoveStake { from, hot, origin, dest, amount }),
        1 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(Op::Garbage),
        1 => (idx.clone(), 1..5u64).prop_map(|(from, delta)| Op::BadNonce { from, delta }),
        1 => idx.clone().prop_map(|from| Op::BadSignature { from }),
        1 => idx.prop_map(|from| Op::WrongGenesis { from }),
    ]
}

/// Encodes `op` against the current state; the bool says whether it must be rejected.
fn build(c: &Chain, op: &Op) -> (Vec<u8>, bool) {
    let signed = |p: &Pair, call: Call| (c.sign(p, call), false);
    match op {
        Op::Transfer {
            from,
            to,
            amount,
            keep_alive,
        } => {
            let dest = account(*to).public();
            let call = if *keep_alive {
                Call::TransferKeepAlive {
                    dest,
                    value: *amount,
                }
            } else {
                Call::TransferAllowDeath {
                    dest,
                    value: *amount,
                }
            };
            let tx = c.sign(&account(*from), call);
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::RegisterNetwork { from, hot } => {
            let tx = c.sign(
                &account(*from),
                Call::RegisterNetwork {
                    hotkey: hotkey(*hot).public(),
                },
            );
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::Register { from, netuid, hot } => {
            let tx = c.sign(
                &account(*from),
                Call::BurnedRegister {
                    netuid: *netuid,
                    hotkey: hotkey(*hot).public(),
                },
            );
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::Dissolve { netuid } => signed(
            &account(0),
            Call::DissolveNetwork {
                coldkey: account(1).public(),
                netuid: *netuid,
            },
        ),
        Op::SetWeights {
            hot,
            netuid,
            weights,
        } => {
            let dests = (0..weights.len() as u16).collect();
            signed(
                &hotkey(*hot),
                Call::SetWeights {
                    netuid: *netuid,
                    dests,
                    weights: weights.clone(),
                    version_key: 0,
                },
            )
        }
        Op::Sudo {
            from,
            netuid,
            value,
        } => {
            let call = Call::SudoSetHyperparameter {
                netuid: *netuid,
                param: Hyperparam::CommitRevealWeightsEnabled,
                value: *value,
            };
            let tx = c.sign(&account(*from), call);
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::StartCall { from, netuid } => {
            let tx = c.sign(&account(*from), Call::StartCall { netuid: *netuid });
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::Stake {
            from,
            hot,
            netuid,
            amount,
            remove,
        } => {
            let hotkey = hotkey(*hot).public();
            let call = if *remove {
                Call::RemoveStake {
                    hotkey,
                    netuid: *netuid,
                    amount: *amount,
                }
            } else {
                Call::AddStake {
                    hotkey,
                    netuid: *netuid,
                    amount: *amount,
                }
            };
            let tx = c.sign(&account(*from), call);
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::MoveStake {
            from,
            hot,
            origin,
            dest,
            amount,
        } => {
            let call = Call::SwapStake {
                hotkey: hotkey(*hot).public(),
                origin_netuid: *origin,
                destination_netuid: *dest,
                alpha_amount: *amount,
                limit_price: None,
            };
            let tx = c.sign(&account(*from), call);
            let rejected = tao_runtime::validate_transaction(&c.store, &tx).is_err();
            (tx, rejected)
        }
        Op::Garbage(bytes) => (bytes.clone(), true),
        Op::BadNonce { from, delta } => {
            let p = account(*from);
            let nonce = c.nonce(&p.public()) + delta;
            (
                Transaction::sign(&p, c.genesis, nonce, 0, Call::StartCall { netuid: 1 }).encode(),
                true,
            )
        }
        Op::BadSignature { from } => {
            let mut tx = Transaction::sign(
                &account(*from),
                c.genesis,
                c.nonce(&account(*from).public()),
                0,
                Call::StartCall { netuid: 1 },
            );
            tx.signature.0[5] ^= 0x40;
            (tx.encode(), true)
        }
        Op::WrongGenesis { from } => {
            let p = account(*from);
            (
                Transaction::sign(
                    &p,
                    [7; 32],
                    c.nonce(&p.public()),
                    0,
                    Call::StartCall { netuid: 1 },
                )
                .encode(),
                true,
            )
        }
    }
}

fn check_issuance(c: &Chain) {
    let accounts: u64 = c
        .store
        .iter_prefix(b"System.Account/")
        .into_iter()
        .map(|(_, v)| AccountInfo::decode(&v).unwrap().free)
        .sum();
    let pools: u64 = read::subnets(&c.store)
        .unwrap()
        .iter()
        .map(|s| s.tao_in)
        .sum();
    let s = State::new(&c.store);
    let issuance = s.counter(TOTAL_ISSUANCE).unwrap();
    let removed = s.counter(BURNED).unwrap() + s.counter(RECYCLED).unwrap();
    let minted = s.counter(tao_runtime::coinbase::MINTED).unwrap();
    assert_eq!(
        accounts + pools,
        issuance,
        "free + pools must equal TotalIssuance"
    );
    assert_eq!(
        issuance + removed,
        6 * DEV_BALANCE + minted,
        "issuance + burned + recycled must equal genesis + minted"
    );
}

fn run(ops: &[Op], with_author: bool) -> [u8; 32] {
    let mut c = Chain::dev();
    c.ok(
        &account(0),
        Call::SudoSetGlobal {
            param: tao_runtime::GlobalParam::NetworkMinLockCost,
            value: 10 * RAO_PER_TAO,
        },
    );
    if with_author {
        c.author = Some(account(7).public());
    }
    for op in ops {
        let (tx, must_reject) = build(&c, op);
        let number = c.number() + 1;
        let with = apply_block(
            &c.store,
            &Block {
                number,
                author: c.author,
                transactions: vec![tx],
            },
        )
        .unwrap();
        let rejected = matches!(with.receipts[0].status, TxStatus::Rejected(_));
        assert_eq!(
            rejected, must_reject,
            "{op:?} → {:?}",
            with.receipts[0].status
        );
        if rejected {
            let without = apply_block(
                &c.store,
                &Block {
                    number,
                    author: c.author,
                    transactions: vec![],
                },
            )
            .unwrap();
            let mut a = c.store.clone();
            let mut b = c.store.clone();
            assert_eq!(
                a.commit(with.changes.clone()),
                b.commit(without.changes),
                "rejected {op:?} changed the root"
            );
        }
        c.store.commit(with.changes);
        check_issuance(&c);
    }
    c.root()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn random_transactions_conserve_issuance_and_rejections_change_nothing(
        ops in proptest::collection::vec(op(), 1..25),
        with_author in any::<bool>(),
    ) {
        let first = run(&ops, with_author);
        let second = run(&ops, with_author);
        prop_assert_eq!(first, second, "same blocks, different roots");
    }
}
