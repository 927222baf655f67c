//! One node process, validator or follower: the tao-runtime executor behind consensus,
//! authenticated p2p (commonware's `lookup` network: every validator's and follower's key and
//! address is known up front, and connections are encrypted and authenticated by those keys),
//! the block archive replayed at start, JSON-RPC and `/metrics`. A dev chain is a set of one
//! validator; a localnet is several validators and followers on 127.0.0.1
//! ([`crate::localnet`]).
//!
//! A validator that was down (or is new) catches up through marshal's backfill: it learns the
//! network's latest finalization from consensus certificates and fetches every missing
//! finalized block from its peers, verifying each finalization certificate and re-executing
//! each block against its state root before applying it.

use std::{
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use commonware_cryptography::{ChaCha20Poly1305, Digestible as _, Signer as _, ed25519};
use commonware_p2p::{AddressableManager as _, AddressableTrackedPeers, authenticated::lookup};
use commonware_runtime::{Runner as _, Spawner as _, Supervisor as _, tokio};
use commonware_stream::{
    cups::{self, Cups},
    sake::{self, Sake},
};
use commonware_utils::{NZUsize, ordered::Map};

use crate::{
    Error,
    application::{Finalized, FinalizedHook},
    engine::{self, CHANNEL_QUOTA, Channels, MAX_MESSAGE_SIZE},
    gossip,
    metrics::Metrics,
    rpc::{self, RpcContext},
    state::RuntimeExecutor,
};

/// Longest accepted block time.
pub const MAX_BLOCK_TIME: Duration = Duration::from_secs(3600);

/// How a node process runs.
pub struct NodeConfig {
    /// This node's p2p identity key; a validator's is also its consensus key.
    pub signer: ed25519::PrivateKey,
    /// Whether it votes (its key must then be in `validators`) or follows.
    pub voting: bool,
    /// Every validator of the chain with the address it listens on.
    pub validators: Vec<(ed25519::PublicKey, SocketAddr)>,
    /// Every follower of the chain with the address it listens on (validators serve them
    /// blocks; followers never vote).
    pub followers: Vec<(ed25519::PublicKey, SocketAddr)>,
    /// Where this node accepts p2p connections.
    pub listen: SocketAddr,
    /// The chain's namespace: consensus signatures and p2p handshakes of other chains never
    /// count here.
    pub namespace: Vec<u8>,
    /// Where blocks, finalizations and consensus state are stored.
    pub data_dir: PathBuf,
    /// Minimum time between consecutive blocks.
    pub block_time: Duration,
    /// Where to serve JSON-RPC (HTTP and WebSocket) and `/metrics`, if anywhere.
    pub rpc_addr: Option<SocketAddr>,
    /// Receives each finalized block (progress logging).
    pub on_finalized: FinalizedHook,
}

/// Runs a node until it fails (or the process is interrupted; storage is crash-safe).
pub fn run(config: NodeConfig) -> Result<(), Error> {
    if config.block_time.as_millis() == 0 || config.block_time > MAX_BLOCK_TIME {
        return Err(Error::BlockTime(config.block_time));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let me = config.signer.public_key();
    let keys: Vec<ed25519::PublicKey> = config.validators.iter().map(|(k, _)| k.clone()).collect();
    let gossip_peers: Vec<ed25519::PublicKey> =
        keys.iter().filter(|k| **k != me).cloned().collect();
    if config.voting && !keys.contains(&me) {
        return Err(Error::NotAValidator(Box::new(me)));
    }
    let role = if config.voting {
        engine::Role::Validator(config.signer.clone())
    } else {
        engine::Role::Follower(me)
    };
    let executor = RuntimeExecutor::dev()?;
    let genesis = engine::genesis(&executor, &keys)?;
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
    let peer_count = NZUsize!(
        config
            .validators
            .len()
            .saturating_add(config.followers.len())
            .max(1)
    );
    tokio::Runner::new(runtime).start(|context| async move {
        let mut p2p = lookup::Config::local(
            Cups::<_, ChaCha20Poly1305>::new(
                Sake {
                    signer: config.signer.clone(),
                    synchrony_bound: Duration::from_secs(5),
                    max_handshake_age: Duration::from_secs(10),
                    version: sake::Version::V1,
                },
                cups::Version::V1,
            ),
            &config.namespace,
            config.listen,
            peer_count,
            MAX_MESSAGE_SIZE,
            NZUsize!(1024),
        );
        // Peers on this machine start within milliseconds of each other: redial quickly so
        // the first rounds do not wait out leader timeouts for connections.
        p2p.dial_frequency = Duration::from_millis(100);
        p2p.peer_connection_cooldown = Duration::from_millis(250);
        let (mut network, mut oracle) = lookup::Network::new(context.child("p2p"), p2p);
        let addresses = |set: &[(ed25519::PublicKey, SocketAddr)]| {
            Map::<ed25519::PublicKey, commonware_p2p::Address>::from_iter_dedup(
                set.iter().map(|(key, addr)| (key.clone(), (*addr).into())),
            )
        };
        // Validators are the primary set; followers are secondary peers, which validators
        // answer and replicate to but never count on for consensus.
        let _ = oracle.track(
            0,
            AddressableTrackedPeers::new(
                addresses(&config.validators),
                addresses(&config.followers),
            ),
        );
        let mut register = |channel| network.register(channel, CHANNEL_QUOTA);
        let channels = Channels {
            votes: register(engine::CHANNEL_VOTES),
            certificates: register(engine::CHANNEL_CERTIFICATES),
            resolver: register(engine::CHANNEL_RESOLVER),
            broadcast: register(engine::CHANNEL_BROADCAST),
            backfill: register(engine::CHANNEL_BACKFILL),
        };
        let (gossip_sender, gossip_receiver) =
            network.register(gossip::CHANNEL_TRANSACTIONS, CHANNEL_QUOTA);
        let _network = network.start();
        // Transactions admitted through this node's RPC go to every other validator.
        let (outbox, queue) = gossip::outbox();
        if !gossip_peers.is_empty() {
            executor.set_gossip(outbox);
        }
        context
            .child("gossip_send")
            .spawn(move |_| gossip::send_loop(gossip_sender, queue, gossip_peers));
        let gossiped = executor.clone();
        context
            .child("gossip_receive")
            .dedicated()
            .spawn(move |_| gossip::receive_loop(gossip_receiver, gossiped));
        let node = engine::start(
            context.child("node"),
            engine::Config {
                role,
                validators: keys,
                namespace: config.namespace,
                partition_prefix: "chain".to_string(),
                block_time: config.block_time,
                storage: engine::StorageSizes::NODE,
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
