//! Validator sets on the deterministic runtime (seeded scheduler, virtual time, in-memory
//! storage) connected by the simulated p2p network: used by the consensus tests and by
//! `tao bench node`.

use std::{
    convert::Infallible,
    time::{Duration, Instant},
};

use bytes::Bytes;
use commonware_codec::Encode as _;
use commonware_cryptography::{Hasher as _, Sha256, sha256::Digest};

use commonware_cryptography::{Signer as _, ed25519};
use commonware_p2p::simulated::{self, Link, Network};
use commonware_runtime::{Clock as _, Runner as _, Supervisor as _, deterministic};
use commonware_utils::{NZUsize, probability};
use futures::{StreamExt as _, channel::mpsc};

use crate::{
    Error, Finalized,
    block::{Block, Header, transactions_root},
    engine::{self, CHANNEL_QUOTA, Channels, MAX_MESSAGE_SIZE},
    executor::{BlockEnv, Executor},
};

/// Namespace of simulated chains.
pub const NAMESPACE: &[u8] = b"tao-sim";

/// Link used between every pair of simulated validators: 20 ms ± 5 ms, no loss.
pub const LINK: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    success_rate: probability!(1.0),
};

/// Consensus key of simulated validator `index`.
pub fn validator_key(index: u64) -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(index)
}

/// Starts one validator per executor (validator `i` has key [`validator_key`]`(i)` and storage
/// prefix `validator{i}`), all linked by [`LINK`], and returns a stream of
/// (validator index, finalized block).
pub async fn start_validators<X: Executor>(
    context: &deterministic::Context,
    executors: Vec<X>,
    block_time: Duration,
) -> Result<mpsc::UnboundedReceiver<(u64, Finalized)>, Error> {
    let signers: Vec<ed25519::PrivateKey> =
        (0..executors.len() as u64).map(validator_key).collect();
    let validators: Vec<ed25519::PublicKey> = signers.iter().map(|s| s.public_key()).collect();
    let (network, oracle) = Network::new_with_peers(
        context.child("network"),
        simulated::Config {
            max_size: MAX_MESSAGE_SIZE,
            max_peers_per_set: NZUsize!(validators.len().max(1)),
            disconnect_on_block: true,
            tracked_peer_sets: NZUsize!(1),
        },
        validators.clone(),
    )
    .await;
    network.start();
    for a in &validators {
        for b in &validators {
            if a != b {
                oracle.add_link(a.clone(), b.clone(), LINK).await?;
            }
        }
    }
    let (sender, receiver) = mpsc::unbounded();
    for ((index, signer), executor) in (0u64..).zip(signers).zip(executors) {
        let control = oracle.control(signer.public_key());
        let register = async |channel| control.register(channel, CHANNEL_QUOTA).await;
        let channels = Channels {
            votes: register(engine::CHANNEL_VOTES).await?,
            certificates: register(engine::CHANNEL_CERTIFICATES).await?,
            resolver: register(engine::CHANNEL_RESOLVER).await?,
            broadcast: register(engine::CHANNEL_BROADCAST).await?,
            backfill: register(engine::CHANNEL_BACKFILL).await?,
        };
        let sender = sender.clone();
        engine::start(
            context.child("validator").with_attribute("index", index),
            engine::Config {
                signer,
                validators: validators.clone(),
                namespace: NAMESPACE.to_vec(),
                partition_prefix: format!("validator{index}"),
                block_time,
                executor,
                on_finalized: std::sync::Arc::new(move |finalized: &Finalized| {
                    let _ = sender.unbounded_send((index, finalized.clone()));
                }),
            },
            oracle.manager(),
            control,
            channels,
        )
        .await?;
    }
    Ok(receiver)
}

/// What one simulated run measured.
#[derive(Clone, Copy, Debug)]
pub struct Measurement {
    /// Validators in the run.
    pub validators: u64,
    /// Blocks every validator finalized.
    pub blocks: u64,
    /// Virtual (simulated) time until the last validator finalized the last block.
    pub simulated: Duration,
    /// Wall-clock time the run took on this machine (engine, storage and crypto cost).
    pub wall: Duration,
}

/// Runs `validators` validators with [`HashExecutor`] until each finalized `blocks` blocks.
pub fn measure(
    validators: u64,
    blocks: u64,
    block_time: Duration,
    seed: u64,
) -> Result<Measurement, Error> {
    let config = deterministic::Config::new()
        .with_seed(seed)
        .with_timeout(Some(Duration::from_secs(blocks.saturating_mul(60).max(60))));
    let started = Instant::now();
    let simulated = deterministic::Runner::new(config).start(|context| async move {
        let executors = vec![HashExecutor; validators as usize];
        let mut receiver = start_validators(&context, executors, block_time).await?;
        let mut heights = vec![0u64; validators as usize];
        while heights.iter().any(|&h| h < blocks) {
            let Some((index, finalized)) = receiver.next().await else {
                return Err(Error::Stopped);
            };
            if let Some(height) = heights.get_mut(index as usize) {
                *height = (*height).max(finalized.block.header.height);
            }
        }
        Ok(context
            .current()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default())
    })?;
    Ok(Measurement {
        validators,
        blocks,
        simulated,
        wall: started.elapsed(),
    })
}

/// The simulation's state machine: it applies no transactions and its "state root" is a hash chain,
/// `sha256("tao-node/hash-executor" ‖ parent.state_root ‖ height ‖ timestamp ‖ proposer ‖
/// transactions_root)`. It exercises consensus and the state-root check without the cost of
/// the runtime (consensus tests and `tao bench node`'s consensus figures).
#[derive(Clone, Copy, Debug, Default)]
pub struct HashExecutor;

const DOMAIN: &[u8] = b"tao-node/hash-executor";

impl Executor for HashExecutor {
    type Error = Infallible;

    fn genesis_state_root(&self) -> Digest {
        Sha256::hash(&[DOMAIN, b"/genesis"])
    }

    fn execute(
        &self,
        parent: &Header,
        env: &BlockEnv,
        transactions: &[Bytes],
    ) -> Result<Digest, Infallible> {
        Ok(Sha256::hash(&[
            DOMAIN,
            &parent.state_root,
            &env.height.to_be_bytes(),
            &env.timestamp.to_be_bytes(),
            &env.proposer.encode(),
            &transactions_root(transactions),
        ]))
    }

    fn knows(&self, _: &Digest) -> bool {
        true
    }

    fn finalized_height(&self) -> u64 {
        0
    }

    fn select_transactions(&self, _: &Header) -> Vec<Bytes> {
        Vec::new()
    }

    fn finalized(&self, _: &Digest, _: &Block) -> Result<(), Infallible> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::{Digest as _, ed25519};

    #[test]
    fn root_depends_on_every_input() {
        let proposer = ed25519::PrivateKey::from_seed(1).public_key();
        let parent = Header {
            parent: Digest::EMPTY,
            height: 0,
            timestamp: 0,
            transactions_root: transactions_root(&[]),
            state_root: HashExecutor.genesis_state_root(),
            proposer: proposer.clone(),
        };
        let env = BlockEnv {
            height: 1,
            timestamp: 1_000,
            proposer: proposer.clone(),
        };
        let base = HashExecutor.execute(&parent, &env, &[]).unwrap();
        assert_eq!(base, HashExecutor.execute(&parent, &env, &[]).unwrap());
        let tx = [Bytes::from_static(b"tx")];
        assert_ne!(base, HashExecutor.execute(&parent, &env, &tx).unwrap());
        let later = BlockEnv {
            timestamp: 1_001,
            ..env.clone()
        };
        assert_ne!(base, HashExecutor.execute(&parent, &later, &[]).unwrap());
        let other_parent = Header {
            state_root: Digest([9; 32]),
            ..parent
        };
        assert_ne!(
            base,
            HashExecutor.execute(&other_parent, &env, &[]).unwrap()
        );
    }
}
