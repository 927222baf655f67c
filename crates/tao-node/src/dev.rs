//! Dev mode: one validator on this machine (a quorum of one, always the leader), producing and
//! finalizing a block every `block_time`, storing everything under a data directory and
//! resuming from it after a restart. Also the stand-in executor used until `tao-runtime`
//! plugs in.

use std::{
    convert::Infallible,
    net::{Ipv4Addr, SocketAddr, TcpListener},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use bytes::Bytes;
use commonware_codec::Encode;
use commonware_cryptography::{
    ChaCha20Poly1305, Digestible as _, Hasher, Sha256, Signer as _, ed25519, sha256::Digest,
};
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
    block::{Header, transactions_root},
    engine::{self, CHANNEL_QUOTA, Channels, MAX_MESSAGE_SIZE},
    executor::{BlockEnv, Executor},
    rpc::{self, Head, SharedHead},
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
    /// Where to serve JSON-RPC (`tao_head`), if anywhere.
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
    let genesis = engine::genesis(&HashExecutor, std::slice::from_ref(&me))?;
    let head: SharedHead = Arc::new(Mutex::new(Head {
        number: 0,
        hash: genesis.digest(),
        finalized_number: 0,
    }));
    if let Some(addr) = config.rpc_addr {
        let listener = TcpListener::bind(addr).map_err(|source| Error::Rpc { addr, source })?;
        rpc::serve(listener, head.clone());
    }
    let on_finalized: FinalizedHook = {
        let hook = config.on_finalized;
        Arc::new(move |finalized: &Finalized| {
            let height = finalized.block.header.height;
            if let Ok(mut head) = head.lock()
                && height >= head.finalized_number
            {
                *head = Head {
                    number: height,
                    hash: finalized.digest,
                    finalized_number: height,
                };
            }
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
                executor: HashExecutor,
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

/// Placeholder executor that applies no transactions: the "state root" is a hash chain,
/// `sha256("tao-node/hash-executor" ‖ parent.state_root ‖ height ‖ timestamp ‖ proposer ‖
/// transactions_root)`. It exercises the state-root check end to end and is replaced by the
/// runtime's executor as soon as that lands.
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
