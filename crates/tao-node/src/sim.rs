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
use commonware_runtime::{
    Clock as _, Handle, Runner as _, Spawner as _, Supervisor as _, deterministic,
};
use commonware_utils::{NZUsize, probability};
use futures::{StreamExt as _, channel::mpsc};
use tracing::error;

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

/// A simulated network of validators whose links a test can cut and restore, and whose
/// validators it can crash: the harness of the fault-tolerance tests and of `tao bench node`.
///
/// Validator `i` has key [`validator_key`]`(i)` and storage prefix `validator{i}`; every
/// finalized block any of them reports arrives on the receiver returned by [`Simulation::new`]
/// as (validator index, finalized block).
pub struct Simulation {
    context: deterministic::Context,
    oracle: simulated::Oracle<ed25519::PublicKey, deterministic::Context>,
    signers: Vec<ed25519::PrivateKey>,
    validators: Vec<ed25519::PublicKey>,
    block_time: Duration,
    finalized: mpsc::UnboundedSender<(u64, Finalized)>,
}

/// Channels of one simulated validator.
pub type SimChannels = Channels<
    simulated::Sender<ed25519::PublicKey, deterministic::Context>,
    simulated::Receiver<ed25519::PublicKey>,
>;

impl Simulation {
    /// A network of `validators` validators (none started yet), every pair joined by `link`.
    pub async fn new(
        context: &deterministic::Context,
        validators: u64,
        block_time: Duration,
        link: Link,
    ) -> Result<(Self, mpsc::UnboundedReceiver<(u64, Finalized)>), Error> {
        let signers: Vec<ed25519::PrivateKey> = (0..validators).map(validator_key).collect();
        let keys: Vec<ed25519::PublicKey> = signers.iter().map(|s| s.public_key()).collect();
        let (network, oracle) = Network::new_with_peers(
            context.child("network"),
            simulated::Config {
                max_size: MAX_MESSAGE_SIZE,
                max_peers_per_set: NZUsize!(keys.len().max(1)),
                disconnect_on_block: true,
                tracked_peer_sets: NZUsize!(1),
            },
            keys.clone(),
        )
        .await;
        network.start();
        let (sender, receiver) = mpsc::unbounded();
        let simulation = Self {
            context: context.child("simulation"),
            oracle,
            signers,
            validators: keys,
            block_time,
            finalized: sender,
        };
        let everyone: Vec<u64> = (0..validators).collect();
        simulation.connect(&[&everyone], link).await?;
        Ok((simulation, receiver))
    }

    /// Consensus keys of the validator set, by index.
    pub fn validators(&self) -> &[ed25519::PublicKey] {
        &self.validators
    }

    /// The network's oracle, for tests that drive a validator's channels themselves
    /// (byzantine actors) or block peers.
    pub fn oracle(&self) -> &simulated::Oracle<ed25519::PublicKey, deterministic::Context> {
        &self.oracle
    }

    /// Registers every consensus channel of validator `index` on the network.
    pub async fn channels(&self, index: u64) -> Result<SimChannels, Error> {
        let key = self.key(index)?;
        let control = self.oracle.control(key);
        let register = async |channel| control.register(channel, CHANNEL_QUOTA).await;
        Ok(Channels {
            votes: register(engine::CHANNEL_VOTES).await?,
            certificates: register(engine::CHANNEL_CERTIFICATES).await?,
            resolver: register(engine::CHANNEL_RESOLVER).await?,
            broadcast: register(engine::CHANNEL_BROADCAST).await?,
            backfill: register(engine::CHANNEL_BACKFILL).await?,
        })
    }

    /// Starts honest validator `index` running `executor`. Aborting the returned handle
    /// crashes it: every task of the validator stops at once.
    pub async fn start<X: Executor>(&self, index: u64, executor: X) -> Result<Handle<()>, Error> {
        let signer = self
            .signers
            .get(index as usize)
            .cloned()
            .ok_or(Error::NoValidators)?;
        let channels = self.channels(index).await?;
        let control = self.oracle.control(signer.public_key());
        let manager = self.oracle.manager();
        let finalized = self.finalized.clone();
        let config = engine::Config {
            role: engine::Role::Validator(signer),
            validators: self.validators.clone(),
            namespace: NAMESPACE.to_vec(),
            partition_prefix: format!("validator{index}"),
            block_time: self.block_time,
            storage: engine::StorageSizes::SIMULATION,
            executor,
            on_finalized: std::sync::Arc::new(move |block: &Finalized| {
                let _ = finalized.unbounded_send((index, block.clone()));
            }),
        };
        Ok(self
            .context
            .child("validator")
            .with_attribute("index", index)
            .spawn(move |context| async move {
                match engine::start(context, config, manager, control, channels).await {
                    Ok(node) => {
                        let _ = node.await;
                    }
                    Err(err) => error!(index, %err, "simulated validator failed to start"),
                }
            }))
    }

    /// Rewires the network: validators in the same group are joined by `link` both ways,
    /// validators in different groups (or in none) cannot reach each other. One group with
    /// everyone heals every partition.
    pub async fn connect(&self, groups: &[&[u64]], link: Link) -> Result<(), Error> {
        let group_of = |index: u64| groups.iter().position(|group| group.contains(&index));
        for a in 0..self.validators.len() as u64 {
            for b in 0..self.validators.len() as u64 {
                if a == b {
                    continue;
                }
                let (from, to) = (self.key(a)?, self.key(b)?);
                match self.oracle.remove_link(from.clone(), to.clone()).await {
                    Ok(()) | Err(simulated::Error::LinkMissing) => {}
                    Err(err) => return Err(err.into()),
                }
                if group_of(a).is_some() && group_of(a) == group_of(b) {
                    self.oracle.add_link(from, to, link.clone()).await?;
                }
            }
        }
        Ok(())
    }

    fn key(&self, index: u64) -> Result<ed25519::PublicKey, Error> {
        self.validators
            .get(index as usize)
            .cloned()
            .ok_or(Error::NoValidators)
    }
}

/// Starts one validator per executor on a [`Simulation`] joined by [`LINK`] and returns the
/// stream of (validator index, finalized block).
pub async fn start_validators<X: Executor>(
    context: &deterministic::Context,
    executors: Vec<X>,
    block_time: Duration,
) -> Result<mpsc::UnboundedReceiver<(u64, Finalized)>, Error> {
    let (simulation, receiver) =
        Simulation::new(context, executors.len() as u64, block_time, LINK).await?;
    for (index, executor) in (0u64..).zip(executors) {
        simulation.start(index, executor).await?;
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
