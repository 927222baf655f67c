//! Consensus on the deterministic runtime (seeded scheduler, virtual time, in-memory storage)
//! with the simulated p2p network: a single validator finalizing blocks, four validators
//! agreeing on one chain, honest validators rejecting blocks whose state root they cannot
//! reproduce, and a validator resuming from storage after a crash.

use std::{convert::Infallible, sync::Arc, time::Duration};

use bytes::Bytes;
use commonware_cryptography::{Digestible, Hasher as _, Sha256, Signer as _, ed25519};
use commonware_runtime::{Runner as _, deterministic};
use futures::{StreamExt, channel::mpsc};
use tao_node::{
    Digest, Executor, Finalized,
    block::{Block, Header},
    engine,
    executor::BlockEnv,
    sim::{self, HashExecutor},
};

const BLOCK_TIME: Duration = Duration::from_millis(250);

/// [`HashExecutor`], or a faulty state machine whose roots differ from everyone else's.
#[derive(Clone)]
struct TestExecutor {
    faulty: bool,
}

impl Executor for TestExecutor {
    type Error = Infallible;

    fn genesis_state_root(&self) -> Digest {
        HashExecutor.genesis_state_root()
    }

    fn execute(
        &self,
        parent: &Header,
        env: &BlockEnv,
        transactions: &[Bytes],
    ) -> Result<Digest, Infallible> {
        let root = HashExecutor.execute(parent, env, transactions)?;
        Ok(if self.faulty {
            Sha256::hash(&[b"faulty", &root])
        } else {
            root
        })
    }

    fn knows(&self, digest: &Digest) -> bool {
        HashExecutor.knows(digest)
    }

    fn finalized_height(&self) -> u64 {
        HashExecutor.finalized_height()
    }

    fn select_transactions(&self, parent: &Header) -> Vec<Bytes> {
        HashExecutor.select_transactions(parent)
    }

    fn finalized(&self, digest: &Digest, block: &Block) -> Result<(), Infallible> {
        HashExecutor.finalized(digest, block)
    }
}

/// Starts `n` validators; validator `faulty`, if any, computes wrong state roots.
async fn start_validators(
    context: &deterministic::Context,
    n: u64,
    faulty: Option<u64>,
) -> mpsc::UnboundedReceiver<(u64, Finalized)> {
    let executors = (0..n)
        .map(|index| TestExecutor {
            faulty: faulty == Some(index),
        })
        .collect();
    sim::start_validators(context, executors, BLOCK_TIME)
        .await
        .unwrap()
}

/// Public keys of `n` simulated validators.
fn validator_keys(n: u64) -> Vec<ed25519::PublicKey> {
    (0..n).map(|i| sim::validator_key(i).public_key()).collect()
}

/// Checks that `chain` (heights 1..) links to `parent`, respects the block time and carries
/// the state roots the executor computes.
fn assert_valid_chain(parent: &Block, chain: &[Arc<Block>]) {
    let mut parent = parent.clone();
    for block in chain {
        assert_eq!(block.header.height, parent.header.height + 1);
        assert_eq!(block.header.parent, parent.digest());
        assert!(block.header.timestamp >= parent.header.timestamp + BLOCK_TIME.as_millis() as u64);
        let env = BlockEnv {
            height: block.header.height,
            timestamp: block.header.timestamp,
            proposer: block.header.proposer.clone(),
        };
        let root = HashExecutor
            .execute(&parent.header, &env, &block.transactions)
            .unwrap();
        assert_eq!(
            block.header.state_root, root,
            "height {}",
            block.header.height
        );
        parent = (**block).clone();
    }
}

/// Collects finalized blocks (heights 1..) of every validator until each reaches `height`,
/// keeping the last copy of each height (delivery is at least once).
async fn collect_until(
    receiver: &mut mpsc::UnboundedReceiver<(u64, Finalized)>,
    chains: &mut [Vec<Arc<Block>>],
    height: u64,
) {
    while chains.iter().any(|chain| (chain.len() as u64) < height) {
        let (index, finalized) = receiver.next().await.unwrap();
        let chain = &mut chains[index as usize];
        let h = finalized.block.header.height;
        if h == 0 {
            // Marshal delivers the genesis block first.
            continue;
        }
        assert!(
            h >= 1 && h <= chain.len() as u64 + 1,
            "height {h} out of order"
        );
        chain.truncate(h as usize - 1);
        chain.push(finalized.block);
    }
}

#[test]
fn single_validator_finalizes_blocks() {
    let config = deterministic::Config::new()
        .with_seed(1)
        .with_timeout(Some(Duration::from_secs(60)));
    deterministic::Runner::new(config).start(|context| async move {
        let mut receiver = start_validators(&context, 1, None).await;
        let mut chains = vec![Vec::new()];
        collect_until(&mut receiver, &mut chains, 20).await;
        let genesis = engine::genesis(&HashExecutor, &validator_keys(1)).unwrap();
        assert_valid_chain(&genesis, &chains[0][..20]);
        // One block per block time: 20 blocks take about 20 × 250 ms of virtual time.
        let last = chains[0][19].header.timestamp;
        assert!((5_000..=6_000).contains(&last), "20th block at {last} ms");
    });
}

#[test]
fn four_validators_agree() {
    let config = deterministic::Config::new()
        .with_seed(4)
        .with_timeout(Some(Duration::from_secs(120)));
    deterministic::Runner::new(config).start(|context| async move {
        let mut receiver = start_validators(&context, 4, None).await;
        let mut chains = vec![Vec::new(); 4];
        collect_until(&mut receiver, &mut chains, 10).await;
        let validators = validator_keys(4);
        let genesis = engine::genesis(&HashExecutor, &validators).unwrap();
        assert_valid_chain(&genesis, &chains[0][..10]);
        for chain in &chains[1..] {
            let digests = |c: &[Arc<Block>]| c[..10].iter().map(|b| b.digest()).collect::<Vec<_>>();
            assert_eq!(digests(chain), digests(&chains[0]));
        }
        // Leadership rotates: more than one validator proposed.
        let proposers: std::collections::BTreeSet<_> = chains[0][..10]
            .iter()
            .map(|b| b.header.proposer.clone())
            .collect();
        assert!(proposers.len() > 1, "one proposer only");
    });
}

#[test]
fn blocks_with_a_wrong_state_root_are_never_finalized() {
    let config = deterministic::Config::new()
        .with_seed(5)
        .with_timeout(Some(Duration::from_secs(300)));
    deterministic::Runner::new(config).start(|context| async move {
        // Validator 3 executes differently: its proposals carry roots the others reject, and it
        // cannot verify theirs, but three honest validators are still a quorum of four.
        let mut receiver = start_validators(&context, 4, Some(3)).await;
        let mut chains = vec![Vec::new(); 4];
        collect_until(&mut receiver, &mut chains, 12).await;
        let validators = validator_keys(4);
        let genesis = engine::genesis(&HashExecutor, &validators).unwrap();
        for chain in &chains {
            assert_valid_chain(&genesis, &chain[..12]);
            assert!(
                chain[..12]
                    .iter()
                    .all(|b| b.header.proposer != validators[3])
            );
        }
    });
}

#[test]
fn restart_resumes_from_storage() {
    let config = deterministic::Config::new()
        .with_seed(7)
        .with_timeout(Some(Duration::from_secs(60)));
    let (before, checkpoint) =
        deterministic::Runner::new(config).start_and_recover(|context| async move {
            let mut receiver = start_validators(&context, 1, None).await;
            let mut chains = vec![Vec::new()];
            collect_until(&mut receiver, &mut chains, 10).await;
            chains.remove(0)
        });
    // The first run ends abruptly (tasks dropped, unsynced writes resolved as a crash would).
    let after = deterministic::Runner::from(checkpoint).start(|context| async move {
        let mut receiver = start_validators(&context, 1, None).await;
        let mut first = None;
        let mut chain: Vec<Arc<Block>> = Vec::new();
        while chain.last().map_or(0, |b| b.header.height) < 20 {
            let (_, finalized) = receiver.next().await.unwrap();
            if finalized.block.header.height == 0 {
                continue;
            }
            first.get_or_insert(finalized.block.header.height);
            chain.push(finalized.block);
        }
        (first, chain)
    });
    let (first, chain) = after;
    // Delivery resumes where it stopped (possibly repeating the last blocks), not at genesis.
    let first = first.unwrap();
    assert!((2..=11).contains(&first), "resumed at height {first}");
    let tip = before.last().unwrap();
    assert_eq!(tip.header.height, 10);
    let by_height = |h: u64| chain.iter().rev().find(|b| b.header.height == h).cloned();
    if let Some(repeated) = by_height(10) {
        assert_eq!(
            repeated.digest(),
            tip.digest(),
            "height 10 changed across the restart"
        );
    }
    // The blocks finalized after the restart extend the chain finalized before it.
    let rest: Vec<_> = (11..=20).map(|h| by_height(h).unwrap()).collect();
    assert_valid_chain(tip, &rest);
}
