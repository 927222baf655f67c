//! The tao node: blocks, BFT consensus, execution, mempool, persistence and RPC.
//!
//! Owns the block format ([`block`]), the boundary to the state machine ([`executor`]), the
//! application consensus drives ([`application`]), the wiring of commonware's simplex
//! consensus (ed25519 scheme) with marshal and archive storage ([`engine`]), the adapter that
//! runs tao-runtime behind consensus with its overlays, indexes and [`mempool`] ([`state`]),
//! JSON-RPC and metrics ([`rpc`], [`metrics`]), transaction gossip between nodes ([`gossip`]),
//! one node process (validator or follower) with authenticated p2p ([`network`]), dev mode ([`dev`]) and the multi-validator localnet ([`localnet`]). It must not define
//! transaction semantics, state layout or fees (tao-runtime's job: the node only calls
//! `apply_block`, `validate_transaction` and the read API) and is the only crate that depends
//! on the commonware engine.
//!
//! Consensus-critical paths (block encoding, proposal and verification, execution) use only
//! the runtime traits (clock, spawner, storage, network, rng), never tokio directly, so the
//! same code runs under the deterministic runtime in tests. The RPC server runs on its own
//! tokio runtime and only reads.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod application;
pub mod block;
pub mod dev;
pub mod engine;
pub mod executor;
pub mod gossip;
pub mod localnet;
pub mod mempool;
pub mod metrics;
pub mod network;
pub mod rpc;
pub mod sim;
pub mod state;

pub use application::{Finalized, FinalizedHook};
pub use block::{Block, Header};
pub use commonware_cryptography::{ed25519, sha256::Digest};
pub use executor::{BlockEnv, Executor};

/// Why a node could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The validator set is empty, so there is no genesis proposer and no quorum.
    #[error("the validator set is empty: a chain needs at least one validator")]
    NoValidators,
    /// The node's consensus key is not in the validator set.
    #[error("consensus key {0} is not in the validator set")]
    NotAValidator(Box<ed25519::PublicKey>),
    /// A storage structure failed to open or recover.
    #[error("cannot open the {what}: {source}")]
    Storage {
        /// Which structure.
        what: &'static str,
        /// The underlying storage error.
        source: commonware_storage::archive::Error,
    },
    /// The block time is zero or too large to express in milliseconds.
    #[error("block time {0:?} is invalid: use between 1 ms and 1 hour")]
    BlockTime(std::time::Duration),
    /// The data directory cannot be used.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The RPC address cannot be bound.
    #[error("cannot serve RPC on {addr}: {source} (choose another --rpc-addr port)")]
    Rpc {
        /// The address.
        addr: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A localnet must have between 1 and `localnet::MAX_VALIDATORS` validators.
    #[error("a localnet of {0} validators is not possible: use 1 to 64")]
    LocalnetSize(u64),
    /// The validator index is outside the localnet.
    #[error("validator {index} is not in a localnet of {validators} (indexes start at 0)")]
    LocalnetIndex {
        /// The index asked for.
        index: u64,
        /// The localnet's size.
        validators: u64,
    },
    /// Too many localnet followers.
    #[error("a localnet of {0} followers is not possible: use 0 to 64")]
    LocalnetFollowers(u64),
    /// The follower index is outside the localnet.
    #[error(
        "follower {index} is not in a localnet of {followers} followers (indexes start at 0; set --followers)"
    )]
    LocalnetFollower {
        /// The index asked for.
        index: u64,
        /// The localnet's followers.
        followers: u64,
    },
    /// The p2p port of a localnet node would pass 65535.
    #[error("p2p port {base} + node {index} is past 65535: choose a lower --p2p-port")]
    LocalnetPort {
        /// Port of validator 0.
        base: u16,
        /// The node's slot (validators first, then followers).
        index: u64,
    },
    /// The simulated network refused an operation (tests and benchmarks only).
    #[error("simulated network: {0}")]
    Simulation(#[from] commonware_p2p::simulated::Error),
    /// A stored finalized block does not replay onto the state (corrupt or foreign storage).
    #[error(
        "replaying stored block {height} failed: {reason} (the data directory does not match this chain: move it away to start fresh)"
    )]
    Replay {
        /// Height of the block.
        height: u64,
        /// What the executor said.
        reason: String,
    },
    /// The runtime state could not be set up.
    #[error("runtime state: {0}")]
    State(#[from] state::StateError),
    /// The node stopped because one of its actors ended.
    #[error("the node stopped: one of its consensus actors ended (see the log above)")]
    Stopped,
}
