//! The boundary between consensus and the state machine.
//!
//! The node never interprets transactions. To propose or verify a block it calls
//! [`Executor::execute`] with the parent header (whose `state_root` names the state to build on)
//! and the new block's environment, and puts or checks the returned state root in the header.
//! Execution must be a pure function of those inputs: every validator computes the same root or
//! the block is rejected.

use bytes::Bytes;
use commonware_cryptography::{ed25519, sha256::Digest};

use crate::block::{Block, Header};

/// What a block's execution may depend on besides its parent state and transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockEnv {
    /// Height of the block being executed.
    pub height: u64,
    /// Block timestamp in milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Consensus key of the proposer.
    pub proposer: ed25519::PublicKey,
}

/// The state machine as the node sees it: the runtime implements this (through an adapter in
/// this crate, so that the runtime itself stays free of engine types).
pub trait Executor: Clone + Send + Sync + 'static {
    /// Why a block could not be executed; any error makes the block invalid.
    type Error: std::error::Error + Send + Sync + 'static;

    /// State root of the genesis state, committed in the genesis header.
    fn genesis_state_root(&self) -> Digest;

    /// Executes `transactions` on the state after `parent` and returns the new state root.
    ///
    /// Called for a proposal on any recent parent (not only the finalized tip), so the
    /// implementation must be able to execute on non-finalized forks.
    fn execute(
        &self,
        parent: &Header,
        env: &BlockEnv,
        transactions: &[Bytes],
    ) -> Result<Digest, Self::Error>;

    /// True when the state after the block `digest` is available to execute on (the
    /// finalized tip or an executed, not yet finalized block).
    fn knows(&self, digest: &Digest) -> bool;

    /// Height of the latest block passed to [`Executor::finalized`].
    fn finalized_height(&self) -> u64;

    /// Transactions for a new block on `parent`, in execution order (from a mempool).
    fn select_transactions(&self, parent: &Header) -> Vec<Bytes>;

    /// Makes `block` (whose digest is `digest`) the finalized tip. Called in height order,
    /// at least once per block (repeats must be ignored), including on restart for every
    /// stored finalized block; an error means the stored chain and the state disagree.
    fn finalized(&self, digest: &Digest, block: &Block) -> Result<(), Self::Error>;
}
