//! The application consensus drives: building, verifying and receiving finalized blocks.
//!
//! ```text
//! propose(parent):  wait until parent.timestamp + block_time
//!                   timestamp  = max(now, parent.timestamp + 1)
//!                   transactions = executor.select_transactions(parent) (the mempool)
//!                   state_root = executor.execute(parent.header, env, transactions)
//! verify(block):    timestamp > parent.timestamp and ≤ now + SYNCHRONY_BOUND
//!                   proposer = leader of the round
//!                   state_root = executor.execute(parent.header, env, transactions)
//!                   (parent digest and height + 1 are checked by marshal's Inline wrapper)
//! finalized(block): called in height order, at least once, after the block is durable
//! ```
//!
//! Before executing on a parent whose state the executor does not hold (after a restart,
//! consensus may build on notarized blocks that were never executed in this process), the
//! missing ancestors back to a known block are fetched from the ancestry and executed first,
//! each checked against its header's state root.

use std::{
    sync::Arc,
    time::{Duration, UNIX_EPOCH},
};

use commonware_consensus::{
    Heightable, Reporter,
    marshal::{Update, ancestry::Ancestry},
    simplex::{scheme::ed25519::Scheme, types::Context},
};
use commonware_cryptography::{Digested, Digestible, ed25519, sha256::Digest};
use commonware_parallel::Sequential;
use commonware_runtime::{Clock, Metrics, Spawner};
use commonware_utils::{Acknowledgement, SystemTimeExt};
use futures::StreamExt;
use tracing::debug;

use crate::{
    block::Block,
    executor::{BlockEnv, Executor},
};

/// How far in the future (milliseconds) a block timestamp may be and still be accepted.
pub const SYNCHRONY_BOUND_MS: u64 = 500;

/// A block that consensus finalized, as handed to [`FinalizedHook`]s.
#[derive(Clone, Debug)]
pub struct Finalized {
    /// The block's digest (its hash).
    pub digest: Digest,
    /// The block itself.
    pub block: Arc<Block>,
}

/// Callback receiving every finalized block in height order (at least once: a restart may
/// repeat the last ones). Used for progress logging, indexing and tests.
pub type FinalizedHook = Arc<dyn Fn(&Finalized) + Send + Sync>;

/// Builds and verifies blocks with an [`Executor`].
#[derive(Clone)]
pub struct Application<X: Executor> {
    executor: X,
    block_time: Duration,
}

impl<X: Executor> Application<X> {
    /// An application proposing at most one block per `block_time`.
    pub fn new(executor: X, block_time: Duration) -> Self {
        Self {
            executor,
            block_time,
        }
    }

    /// Makes `parent`'s state available: executes its unknown ancestors (oldest first)
    /// taken from `ancestry`, which yields the blocks before `parent`. False when an ancestor
    /// is missing, at or below the finalized height (a dead fork), or fails its state root.
    async fn catch_up(&self, parent: &Block, ancestry: &mut impl Ancestry<Block>) -> bool {
        if self.executor.knows(&parent.digest()) {
            return true;
        }
        let finalized = self.executor.finalized_height();
        let mut missing = vec![parent.clone()];
        loop {
            let Some(ancestor) = ancestry.next().await else {
                return false;
            };
            let ancestor = ancestor.inner().clone();
            if self.executor.knows(&ancestor.digest()) {
                missing.push(ancestor);
                break;
            }
            if ancestor.header.height <= finalized {
                debug!(height = ancestor.header.height, "ancestor on a dead fork");
                return false;
            }
            missing.push(ancestor);
        }
        missing.reverse();
        missing
            .windows(2)
            .all(|pair| self.state_root_matches(&pair[0], &pair[1]))
    }

    /// Executes `block` on `parent` and compares the state root with the header.
    fn state_root_matches(&self, parent: &Block, block: &Block) -> bool {
        let env = BlockEnv {
            height: block.header.height,
            timestamp: block.header.timestamp,
            proposer: block.header.proposer.clone(),
        };
        match self
            .executor
            .execute(&parent.header, &env, &block.transactions)
        {
            Ok(root) => root == block.header.state_root,
            Err(err) => {
                debug!(height = block.header.height, %err, "block failed to execute");
                false
            }
        }
    }
}

/// Milliseconds in a duration, saturating (block times are far below the limit).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl<E, X> commonware_consensus::Application<E> for Application<X>
where
    E: Clock + Spawner + Metrics,
    X: Executor,
{
    type SigningScheme = Scheme;
    type Context = Context<Digest, ed25519::PublicKey>;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, consensus): (E, Self::Context),
        mut ancestry: impl Ancestry<Block>,
        _: (),
    ) -> Option<Digested<Block>> {
        let parent = ancestry.next().await?;
        let parent = parent.inner();
        if !self.catch_up(parent, &mut ancestry).await {
            return None;
        }
        let earliest = parent
            .header
            .timestamp
            .saturating_add(millis(self.block_time));
        if runtime.current().epoch_millis() < earliest {
            runtime
                .sleep_until(UNIX_EPOCH + Duration::from_millis(earliest))
                .await;
        }
        let timestamp = runtime
            .current()
            .epoch_millis()
            .max(parent.header.timestamp.saturating_add(1));
        let env = BlockEnv {
            height: parent.header.height.checked_add(1)?,
            timestamp,
            proposer: consensus.leader,
        };
        let transactions = self.executor.select_transactions(&parent.header);
        let state_root = match self.executor.execute(&parent.header, &env, &transactions) {
            Ok(root) => root,
            Err(err) => {
                debug!(height = env.height, %err, "cannot build on parent");
                return None;
            }
        };
        let block = Block::new(
            parent.digest(),
            env.height,
            env.timestamp,
            state_root,
            env.proposer,
            transactions,
        );
        Some(Digested::compute(block, &Sequential).await)
    }

    async fn verify(
        &mut self,
        (runtime, consensus): (E, Self::Context),
        mut ancestry: impl Ancestry<Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        let (block, parent) = (block.inner(), parent.inner());
        if block.header.timestamp <= parent.header.timestamp {
            debug!(height = block.header.height, "timestamp not after parent");
            return false;
        }
        let now = runtime.current().epoch_millis();
        if block.header.timestamp > now.saturating_add(SYNCHRONY_BOUND_MS) {
            debug!(
                height = block.header.height,
                "timestamp too far in the future"
            );
            return false;
        }
        if block.header.proposer != consensus.leader {
            debug!(
                height = block.header.height,
                "proposer is not the round leader"
            );
            return false;
        }
        self.catch_up(parent, &mut ancestry).await && self.state_root_matches(parent, block)
    }
}

/// Receives finalized blocks from marshal and hands them to a [`FinalizedHook`].
#[derive(Clone)]
pub struct FinalizedReporter {
    hook: FinalizedHook,
}

impl FinalizedReporter {
    /// A reporter calling `hook` for each finalized block.
    pub fn new(hook: FinalizedHook) -> Self {
        Self { hook }
    }
}

impl Reporter for FinalizedReporter {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Update<Block>) -> commonware_actor::Feedback {
        if let Update::Block(block, ack) = activity {
            debug!(height = %block.height(), "finalized");
            (self.hook)(&Finalized {
                digest: block.digest(),
                block: block.inner_shared(),
            });
            ack.acknowledge();
        }
        commonware_actor::Feedback::Ok
    }
}
