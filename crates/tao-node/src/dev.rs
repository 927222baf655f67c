//! Dev mode: one validator on this machine (a quorum of one, always the leader), producing and
//! finalizing a block every `block_time`, storing everything under a data directory and
//! resuming from it after a restart (the finalized blocks are replayed through the runtime to
//! rebuild the state). Blocks execute with tao-runtime from [`GenesisConfig::dev`]
//! (`tao_runtime::GenesisConfig`), through [`RuntimeExecutor`].

use std::{
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use commonware_cryptography::{ChaCha20Poly1305, Digestible as _, Signer as _, ed25519};
use commonware_p2p::{AddressableManager as _, authenticated::lookup};
use commonware_runtime::{Runner as _, Supervisor as _, tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZUsize, ordered::Map};

use crate::{
    Error,
    application::{Finalized, FinalizedHook},
    engine::{self, CHANNEL_QUOTA, Channels, MAX_MESSAGE_SIZE},
    metrics::Metrics,
    rpc::{self, RpcContext},
    state::RuntimeExecutor,
};

/// Seed of the dev validator's consensus key (public, like `//Alice`: dev chains only).
pub const DEV_VALIDATOR_SEED: u64 = 0;

/// Namespace of dev chains' consensus signatures and p2p handshakes.
pub const DEV_NAMESPACE: &[u8] = b"tao-dev";

/// Default block time of a dev chain.
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(1);

/// Longest accepted block time.
pub const MAX_BLOCK_TIME: Duration = Duration::from_secs(3600);

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
    if config.block_time.as_millis() == 0 || config.block_time > MAX_BLOCK_TIME {
        return Err(Error::BlockTime(config.block_time));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let signer = dev_validator();
    let me = signer.public_key();
    let executor = RuntimeExecutor::dev()?;
    let genesis = engine::genesis(&executor, std::slice::from_ref(&me))?;
    executor.set_genesis(genesis.digest(), Arc::new(genesis));
    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = config.rpc_addr {
        let listener = TcpListener::bind(addr).map_err(|source| Error::Rpc { addr, source })?;
        let context = RpcContext::new(executor.clone(), metrics.clone());
        rpc::serve(listener, context).map_err(|source| Error::Rpc { addr, source })?;
    }
    let on_finalized: FinalizedHook = {
        let hook = config.on_finalized;
        Arc::new(move |finalized: &Finalized| {
            let header = &finalized.block.header;
            let transactions =
                u64::try_from(finalized.block.transactions.len()).unwrap_or(u64::MAX);
            metrics.block_finalized(header.height, header.timestamp, transactions);
            hook(finalized);
        })
    };
    let runtime = tokio::Config::new()
        .with_worker_threads(2)
        .with_storage_directory(config.data_dir.clone());
    tokio::Runner::new(runtime).start(|context| async move {
        // A single validator has no peers; the authenticated network still provides the
        // channels (and is what a multi-validator localnet uses).
        let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let p2p = lookup::Config::local(
            Cups::<_, ChaCha20Poly1305>::new(
                Sake {
                    signer: signer.clone(),
                    synchrony_bound: Duration::from_secs(5),
                    max_handshake_age: Duration::from_secs(10),
                    version: sake::Version::V1,
                },
                cups::Version::V1,
            ),
            DEV_NAMESPACE,
            listen,
            NZUsize!(1),
            MAX_MESSAGE_SIZE,
            NZUsize!(1024),
        );
        let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p);
        let peers: Map<ed25519::PublicKey, commonware_p2p::Address> =
            Map::from_iter_dedup([(me.clone(), listen.into())]);
        let _ = oracle.track(0, peers);
        let mut register = |channel| network.register(channel, CHANNEL_QUOTA);
        let channels = Channels {
            votes: register(engine::CHANNEL_VOTES),
            certificates: register(engine::CHANNEL_CERTIFICATES),
            resolver: register(engine::CHANNEL_RESOLVER),
            broadcast: register(engine::CHANNEL_BROADCAST),
            backfill: register(engine::CHANNEL_BACKFILL),
        };
        let _network = network.start();
        let node = engine::start(
            context.child("node"),
            engine::Config {
                signer,
                validators: vec![me],
                namespace: DEV_NAMESPACE.to_vec(),
                partition_prefix: "dev".to_string(),
                block_time: config.block_time,
                executor,
                on_finalized,
            },
            oracle.clone(),
            oracle,
            channels,
        )
        .await?;
        let _ = node.await;
        Err(Error::Stopped)
    })
}
