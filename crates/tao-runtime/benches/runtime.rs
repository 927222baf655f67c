//! Execution-only throughput of `apply_block` (signature checks included) for transfers and
//! for 256-weight `set_weights`, the state-root cost per block, signature verification
//! alone for comparison, and a block with a 256-uid epoch plus the coinbase of 64 subnets. Run: `cargo bench -p tao-runtime --bench runtime`.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tao_crypto::{Pair, Signature};
use tao_runtime::codec::Encode;
use tao_runtime::storage::uid_key;
use tao_runtime::{
    Block, Call, GenesisConfig, Hash, Hyperparam, MemoryStore, Store, Transaction, apply_block,
};

const TRANSFERS: usize = 1_000;
const VALIDATORS: usize = 64;

fn pair(uri: &str) -> Pair {
    Pair::from_uri(uri).unwrap_or_else(|e| panic!("{uri}: {e}"))
}

fn commit(store: &mut MemoryStore, number: u64, txs: Vec<Vec<u8>>) {
    let out = apply_block(
        store,
        &Block {
            number,
            author: None,
            transactions: txs,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    store.commit(out.changes);
}

/// Dev chain where `n` fresh accounts are funded (one block of transfers from Alice).
fn funded(n: usize) -> (MemoryStore, Hash, Vec<Pair>) {
    let (mut store, genesis) = GenesisConfig::dev()
        .and_then(|g| g.build_memory())
        .unwrap_or_else(|e| panic!("{e}"));
    let alice = pair("//Alice");
    let senders: Vec<Pair> = (0..n).map(|i| pair(&format!("//Sender{i}"))).collect();
    let txs = senders
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Transaction::sign(
                &alice,
                genesis,
                i as u64,
                0,
                Call::TransferKeepAlive {
                    dest: p.public(),
                    value: 1_000_000_000,
                },
            )
            .encode()
        })
        .collect();
    commit(&mut store, 1, txs);
    (store, genesis, senders)
}

fn transfers(c: &mut Criterion) {
    let (store, genesis, senders) = funded(TRANSFERS);
    let bob = pair("//Bob").public();
    let txs: Vec<Vec<u8>> = senders
        .iter()
        .map(|p| {
            Transaction::sign(
                p,
                genesis,
                0,
                0,
                Call::TransferKeepAlive {
                    dest: bob,
                    value: 1_000,
                },
            )
            .encode()
        })
        .collect();
    let block = Block {
        number: 2,
        author: None,
        transactions: txs,
    };
    let mut g = c.benchmark_group("runtime");
    g.sample_size(10);
    g.throughput(Throughput::Elements(TRANSFERS as u64));
    g.bench_function("apply_block_1000_transfers", |b| {
        b.iter(|| apply_block(&store, &block))
    });
    let changes = apply_block(&store, &block)
        .unwrap_or_else(|e| panic!("{e}"))
        .changes;
    g.throughput(Throughput::Elements(1));
    g.bench_function("state_root_after_1000_transfers", |b| {
        b.iter_batched(
            || (store.clone(), changes.clone()),
            |(mut s, ch)| s.commit(ch),
            BatchSize::LargeInput,
        )
    });
    let payloads: Vec<(Vec<u8>, Signature, tao_crypto::PublicKey)> = block
        .transactions
        .iter()
        .map(|t| {
            let tx = Transaction::from_bytes(t).unwrap_or_else(|e| panic!("{e}"));
            (tx.signing_payload(), tx.signature, tx.signer)
        })
        .collect();
    g.throughput(Throughput::Elements(TRANSFERS as u64));
    g.bench_function("verify_batch_1000_signatures", |b| {
        b.iter(|| {
            let items: Vec<(&[u8], &Signature, &tao_crypto::PublicKey)> = payloads
                .iter()
                .map(|(m, s, p)| (m.as_slice(), s, p))
                .collect();
            tao_crypto::verify_batch(&items)
        })
    });
    g.finish();
}

fn set_weights(c: &mut Criterion) {
    let (mut store, genesis) = GenesisConfig::dev()
        .and_then(|g| g.build_memory())
        .unwrap_or_else(|e| panic!("{e}"));
    let (alice, bob, charlie) = (pair("//Alice"), pair("//Bob"), pair("//Charlie"));
    commit(
        &mut store,
        1,
        vec![
            Transaction::sign(
                &bob,
                genesis,
                0,
                0,
                Call::RegisterNetwork {
                    hotkey: pair("//Hot0").public(),
                },
            )
            .encode(),
        ],
    );
    let netuid = 1;
    let hotkeys: Vec<Pair> = (0..256).map(|i| pair(&format!("//Hot{i}"))).collect();
    let regs = hotkeys[1..]
        .iter()
        .enumerate()
        .map(|(i, h)| {
            Transaction::sign(
                &charlie,
                genesis,
                i as u64,
                0,
                Call::BurnedRegister {
                    netuid,
                    hotkey: h.public(),
                },
            )
            .encode()
        })
        .collect();
    commit(&mut store, 2, regs);
    let sudo = [
        (Hyperparam::CommitRevealWeightsEnabled, 0),
        (Hyperparam::WeightsSetRateLimit, 0),
    ]
    .iter()
    .enumerate()
    .map(|(i, (param, value))| {
        Transaction::sign(
            &alice,
            genesis,
            i as u64,
            0,
            Call::SudoSetHyperparameter {
                netuid,
                param: *param,
                value: *value,
            },
        )
        .encode()
    })
    .collect();
    commit(&mut store, 3, sudo);
    for uid in 0..VALIDATORS as u16 {
        store.put(
            uid_key("Subtensor.ValidatorPermit", netuid, uid),
            true.encode(),
        );
    }
    let dests: Vec<u16> = (0..256).collect();
    let txs: Vec<Vec<u8>> = hotkeys[..VALIDATORS]
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let weights = dests.iter().map(|d| (d * 7 + i as u16) % 1000).collect();
            Transaction::sign(
                h,
                genesis,
                0,
                0,
                Call::SetWeights {
                    netuid,
                    dests: dests.clone(),
                    weights,
                    version_key: 0,
                },
            )
            .encode()
        })
        .collect();
    let block = Block {
        number: 4,
        author: None,
        transactions: txs,
    };
    let out = apply_block(&store, &block).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.receipts
            .iter()
            .all(|r| r.status == tao_runtime::TxStatus::Applied),
        "{:?}",
        out.receipts[0].status
    );
    let mut g = c.benchmark_group("runtime");
    g.sample_size(10);
    g.throughput(Throughput::Elements(VALIDATORS as u64));
    g.bench_function("apply_block_64_set_weights_256", |b| {
        b.iter(|| apply_block(&store, &block))
    });
    let payloads: Vec<(Vec<u8>, Signature, tao_crypto::PublicKey)> = block
        .transactions
        .iter()
        .map(|t| {
            let tx = Transaction::from_bytes(t).unwrap_or_else(|e| panic!("{e}"));
            (tx.signing_payload(), tx.signature, tx.signer)
        })
        .collect();
    g.bench_function("verify_batch_64_set_weights_signatures", |b| {
        b.iter(|| {
            let items: Vec<(&[u8], &Signature, &tao_crypto::PublicKey)> = payloads
                .iter()
                .map(|(m, s, p)| (m.as_slice(), s, p))
                .collect();
            tao_crypto::verify_batch(&items)
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("state_root_after_64_set_weights", |b| {
        b.iter_batched(
            || (store.clone(), out.changes.clone()),
            |(mut s, ch)| s.commit(ch),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// Signs `calls` from `signer` with consecutive nonces starting at its current one.
fn sign_all(store: &MemoryStore, genesis: Hash, signer: &Pair, calls: Vec<Call>) -> Vec<Vec<u8>> {
    let nonce = tao_runtime::read::account(store, &signer.public())
        .unwrap_or_else(|e| panic!("{e}"))
        .nonce;
    calls
        .into_iter()
        .enumerate()
        .map(|(i, call)| Transaction::sign(signer, genesis, nonce + i as u64, 0, call).encode())
        .collect()
}

fn commit_ok(store: &mut MemoryStore, txs: Vec<Vec<u8>>) -> Vec<tao_runtime::Event> {
    let number = tao_runtime::read::block_number(store).unwrap_or_else(|e| panic!("{e}")) + 1;
    let out = apply_block(
        store,
        &Block {
            number,
            author: None,
            transactions: txs,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for r in &out.receipts {
        assert_eq!(r.status, tao_runtime::TxStatus::Applied, "{r:?}");
    }
    store.commit(out.changes);
    out.events
}

/// One block in which a 256-uid subnet (64 staked validators, dense weights) runs its epoch
/// while the coinbase runs for 64 emitting subnets.
fn epoch_block(c: &mut Criterion) {
    const SUBNETS: usize = 64;
    let (mut store, genesis) = GenesisConfig::dev()
        .and_then(|g| g.build_memory())
        .unwrap_or_else(|e| panic!("{e}"));
    let (alice, bob, charlie) = (pair("//Alice"), pair("//Bob"), pair("//Charlie"));
    let globals = [(tao_runtime::GlobalParam::NetworkLockReductionInterval, 1)];
    let calls = globals
        .iter()
        .map(|(param, value)| Call::SudoSetGlobal {
            param: *param,
            value: *value,
        })
        .collect();
    let txs = sign_all(&store, genesis, &alice, calls);
    commit_ok(&mut store, txs);
    for k in 0..SUBNETS {
        let txs = sign_all(
            &store,
            genesis,
            &bob,
            vec![Call::RegisterNetwork {
                hotkey: pair(&format!("//Owner{k}")).public(),
            }],
        );
        commit_ok(&mut store, txs);
        commit_ok(&mut store, vec![]);
    }
    let netuids: Vec<u16> = (1..=SUBNETS as u16).collect();
    let txs = sign_all(
        &store,
        genesis,
        &bob,
        netuids
            .iter()
            .map(|&netuid| Call::StartCall { netuid })
            .collect(),
    );
    commit_ok(&mut store, txs);
    let mut sudo = Vec::new();
    for &netuid in &netuids {
        sudo.push((netuid, Hyperparam::SubnetEmissionEnabled, 1));
        if netuid != 1 {
            sudo.push((netuid, Hyperparam::Tempo, 0));
        }
    }
    sudo.extend([
        (1, Hyperparam::CommitRevealWeightsEnabled, 0),
        (1, Hyperparam::WeightsSetRateLimit, 0),
        (1, Hyperparam::MaxRegistrationsPerBlock, 256),
    ]);
    let calls = sudo
        .into_iter()
        .map(|(netuid, param, value)| Call::SudoSetHyperparameter {
            netuid,
            param,
            value,
        })
        .collect();
    let txs = sign_all(&store, genesis, &alice, calls);
    commit_ok(&mut store, txs);
    let hotkeys: Vec<Pair> = (1..256).map(|i| pair(&format!("//Uid{i}"))).collect();
    let calls = hotkeys
        .iter()
        .map(|h| Call::BurnedRegister {
            netuid: 1,
            hotkey: h.public(),
        })
        .collect();
    let txs = sign_all(&store, genesis, &charlie, calls);
    commit_ok(&mut store, txs);
    let calls = hotkeys[..VALIDATORS]
        .iter()
        .enumerate()
        .map(|(i, h)| Call::AddStake {
            hotkey: h.public(),
            netuid: 1,
            amount: (10 + i as u64) * 1_000_000_000,
        })
        .collect();
    let txs = sign_all(&store, genesis, &charlie, calls);
    commit_ok(&mut store, txs);
    for uid in 1..=VALIDATORS as u16 {
        store.put(uid_key("Subtensor.ValidatorPermit", 1, uid), true.encode());
    }
    let dests: Vec<u16> = (0..256).collect();
    let txs = hotkeys[..VALIDATORS]
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let weights = dests.iter().map(|d| (d * 7 + i as u16) % 1000).collect();
            Transaction::sign(
                h,
                genesis,
                0,
                0,
                Call::SetWeights {
                    netuid: 1,
                    dests: dests.clone(),
                    weights,
                    version_key: 0,
                },
            )
            .encode()
        })
        .collect();
    commit_ok(&mut store, txs);
    // Advance to the block before subnet 1's next epoch.
    let mut block = None;
    for _ in 0..20 {
        let number = tao_runtime::read::block_number(&store).unwrap_or_else(|e| panic!("{e}")) + 1;
        let candidate = Block {
            number,
            author: None,
            transactions: vec![],
        };
        let out = apply_block(&store, &candidate).unwrap_or_else(|e| panic!("{e}"));
        let epochs = out
            .events
            .iter()
            .filter(|e| matches!(e, tao_runtime::Event::EpochRun { .. }))
            .count();
        if epochs == 1 {
            block = Some(candidate);
            break;
        }
        store.commit(out.changes);
    }
    let block = block.unwrap_or_else(|| panic!("subnet 1's epoch never came"));
    let mut g = c.benchmark_group("runtime");
    g.sample_size(10);
    g.bench_function("block_epoch_256_uids_coinbase_64_subnets", |b| {
        b.iter(|| apply_block(&store, &block))
    });
    let plain = Block {
        number: block.number + 1,
        ..block.clone()
    };
    let out = apply_block(&store, &block).unwrap_or_else(|e| panic!("{e}"));
    let mut next = store.clone();
    next.commit(out.changes);
    g.bench_function("block_coinbase_64_subnets_no_epoch", |b| {
        b.iter(|| apply_block(&next, &plain))
    });
    g.finish();
}

criterion_group!(benches, transfers, set_weights, epoch_block);
criterion_main!(benches);
