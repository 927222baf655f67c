//! Dev mode: one validator on this machine (a quorum of one, always the leader), producing and
//! finalizing a block every `block_time`, storing everything under a data directory and
//! resuming from it after a restart (the finalized blocks are replayed through the runtime to
//! rebuild the state). Blocks execute with tao-runtime from `GenesisConfig::dev`
//! (`tao_runtime::GenesisConfig`). It is a [`network`](crate::network) of one validator.

use std::{
    net::{Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use commonware_cryptography::{Signer as _, ed25519};

use crate::{
    Error,
    application::FinalizedHook,
    network::{self, NodeConfig},
};

/// Seed of the dev validator's consensus key (public, like `//Alice`: dev chains only).
pub const DEV_VALIDATOR_SEED: u64 = 0;

/// Namespace of dev chains' consensus signatures and p2p handshakes.
pub const DEV_NAMESPACE: &[u8] = b"tao-dev";

/// Default block time of a dev chain.
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(1);

/// How a dev node runs.
pub struct DevConfig {
    /// Where blocks, finalizations and consensus state are stored.
    pub data_dir: PathBuf,
    /// Minimum time between consecutive blocks.
    pub block_time: Duration,
    /// Where to serve JSON-RPC (HTTP and WebSocket) and `/metrics`, if anywhere.
    pub rpc_addr: Option<SocketAddr>,
    /// Receives each finalized block (progress logging).
    pub on_finalized: FinalizedHook,
}

/// The dev validator's consensus key.
pub fn dev_validator() -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(DEV_VALIDATOR_SEED)
}

/// Runs a dev node until it fails (or the process is interrupted; storage is crash-safe).
pub fn run(config: DevConfig) -> Result<(), Error> {
    let signer = dev_validator();
    // A single validator has no peers; the p2p listener takes any free loopback port.
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    network::run(NodeConfig {
        validators: vec![(signer.public_key(), listen)],
        followers: Vec::new(),
        voting: true,
        signer,
        listen,
        namespace: DEV_NAMESPACE.to_vec(),
        data_dir: config.data_dir,
        block_time: config.block_time,
        rpc_addr: config.rpc_addr,
        on_finalized: config.on_finalized,
    })
}
