//! Wiring of one validator: simplex consensus (ed25519 scheme), marshal (ordering, backfill,
//! storage of finalized blocks and finalizations), the block broadcast buffer and the
//! [`Application`](crate::application::Application).
//!
//! ```text
//!   p2p ─ votes ─────────┐
//!   p2p ─ certificates ──┤ simplex ── Inline(Application) ── marshal ── FinalizedReporter ── hook
//!   p2p ─ resolver ──────┘                                   │  ├─ archive: finalized blocks
//!   p2p ─ broadcast ── buffered (blocks being voted on) ─────┤  └─ archive: finalizations
//!   p2p ─ backfill ─── resolver (missing blocks from peers) ─┘
//! ```
//!
//! Everything runs on a `commonware_runtime` context: tokio in production, the deterministic
//! runtime (with the simulated network) in tests. Storage lives in partitions named after
//! [`Config::partition_prefix`], so restarting with the same storage resumes the chain.

use std::{num::NonZeroUsize, time::Duration};

use commonware_broadcast::buffered;
use commonware_consensus::{
    marshal::{
        self, Start,
        core::Actor as Marshal,
        resolver::p2p as marshal_resolver,
        standard::{Inline, Standard},
    },
    simplex::{
        self,
        config::{Floor, ForwardPolicy, SkipBudget, SkipPolicy},
        elector::RoundRobin,
        scheme::ed25519::Scheme,
    },
    types::{Epoch, FixedEpocher, Height, ViewDelta},
};
use commonware_cryptography::{
    Digest as _, Digested, Digestible, Sha256, Signer, certificate::ConstantProvider,
    certificate::Verifier as _, ed25519, sha256::Digest,
};
use commonware_p2p::{Blocker, Provider, Receiver, Sender};
use commonware_parallel::Sequential;
use commonware_runtime::{
    Clock, Handle, Metrics, Quota, Spawner, Storage, Supervisor,
    buffer::paged::{self, CacheRef},
};
use commonware_storage::archive::{Archive, Identifier, immutable};
use commonware_utils::{NZDuration, NZU32, NZU64, NZUsize, ordered::Set, vec::NonEmptyVec};
use rand::CryptoRng;
use tracing::error;

use crate::{
    Error,
    application::{Application, Finalized, FinalizedHook, FinalizedReporter},
    block::Block,
    executor::Executor,
};

/// p2p channel carrying consensus votes.
pub const CHANNEL_VOTES: u64 = 0;
/// p2p channel carrying consensus certificates (notarizations, finalizations, nullifications).
pub const CHANNEL_CERTIFICATES: u64 = 1;
/// p2p channel consensus uses to fetch missing certificates.
pub const CHANNEL_RESOLVER: u64 = 2;
/// p2p channel on which proposers broadcast full blocks.
pub const CHANNEL_BROADCAST: u64 = 3;
/// p2p channel marshal uses to backfill missing blocks and finalizations.
pub const CHANNEL_BACKFILL: u64 = 4;
/// Every channel a node registers, in the order of the fields of [`Channels`].
pub const CHANNELS: [u64; 5] = [
    CHANNEL_VOTES,
    CHANNEL_CERTIFICATES,
    CHANNEL_RESOLVER,
    CHANNEL_BROADCAST,
    CHANNEL_BACKFILL,
];

/// Message rate each peer may use per channel.
pub const CHANNEL_QUOTA: Quota = Quota::per_second(NZU32!(4_096));

/// Largest p2p message the node sends or accepts: one full block plus framing headroom.
pub const MAX_MESSAGE_SIZE: u32 = 8 * 1024 * 1024;

const MAILBOX_SIZE: NonZeroUsize = NZUsize!(1024);
/// Logical page size whose physical page (with checksum) is 4 KiB.
const PAGE_SIZE: std::num::NonZeroU16 = paged::page_size(4_096);
const ITEMS_PER_SECTION: std::num::NonZeroU64 = NZU64!(16_384);
const PRUNABLE_ITEMS_PER_SECTION: std::num::NonZeroU64 = NZU64!(1_024);
const FREEZER_TABLE_RESIZE_FREQUENCY: u8 = 4;
const FREEZER_TABLE_RESIZE_CHUNK_SIZE: u32 = 16_384;
const FREEZER_VALUE_TARGET_SIZE: u64 = 256 * 1024 * 1024;
/// One epoch for the whole chain: validator-set changes come later, by transaction.
const EPOCH_LENGTH: std::num::NonZeroU64 = NZU64!(u64::MAX);

/// Buffer and table sizes of a validator's storage: what it allocates up front.
#[derive(Clone, Copy, Debug)]
pub struct StorageSizes {
    /// Pages (4 KiB) of the shared page cache.
    pub page_cache_pages: NonZeroUsize,
    /// Read buffer when journals are replayed at start.
    pub replay_buffer: NonZeroUsize,
    /// Write buffer of each journal.
    pub write_buffer: NonZeroUsize,
    /// Initial entries of each archive's hash table (it grows as needed).
    pub freezer_table_initial_size: u32,
}

impl StorageSizes {
    /// A node on disk: large buffers and tables so long chains neither stall nor resize often.
    pub const NODE: Self = Self {
        page_cache_pages: NZUsize!(1_024),
        replay_buffer: NZUsize!(1024 * 1024),
        write_buffer: NZUsize!(256 * 1024),
        freezer_table_initial_size: 65_536,
    };

    /// Simulations: short chains in memory, where allocating the node's buffers would cost
    /// more than running consensus.
    pub const SIMULATION: Self = Self {
        page_cache_pages: NZUsize!(64),
        replay_buffer: NZUsize!(16 * 1024),
        write_buffer: NZUsize!(4 * 1024),
        freezer_table_initial_size: 256,
    };
}

/// Heights past its finalized tip a follower asks its peers for on each block time.
const FOLLOW_LOOKAHEAD: u64 = 4;

/// What a node does in consensus.
pub enum Role {
    /// Votes and proposes with this consensus key (which must be in the validator set).
    Validator(ed25519::PrivateKey),
    /// Follows the chain without voting: fetches each finalized block with its finalization
    /// certificate from the validators, checks the certificate against the validator set,
    /// executes the block and checks its state root. The key is its p2p identity.
    Follower(ed25519::PublicKey),
}

/// Everything needed to run one node.
pub struct Config<X: Executor> {
    /// Validator or follower.
    pub role: Role,
    /// Consensus keys of all validators (including this one, for a validator).
    pub validators: Vec<ed25519::PublicKey>,
    /// Chain namespace mixed into every consensus signature, so votes of one chain never
    /// count on another.
    pub namespace: Vec<u8>,
    /// Prefix of every storage partition this validator uses.
    pub partition_prefix: String,
    /// Minimum time between a parent's timestamp and its child's.
    pub block_time: Duration,
    /// Storage buffer and table sizes.
    pub storage: StorageSizes,
    /// The state machine.
    pub executor: X,
    /// Receives each finalized block (after the executor made it its finalized tip).
    pub on_finalized: FinalizedHook,
}

/// The p2p channels of one validator (see the `CHANNEL_*` constants), as (sender, receiver).
pub struct Channels<S, R> {
    /// [`CHANNEL_VOTES`].
    pub votes: (S, R),
    /// [`CHANNEL_CERTIFICATES`].
    pub certificates: (S, R),
    /// [`CHANNEL_RESOLVER`].
    pub resolver: (S, R),
    /// [`CHANNEL_BROADCAST`].
    pub broadcast: (S, R),
    /// [`CHANNEL_BACKFILL`].
    pub backfill: (S, R),
}

/// The genesis block every validator of a chain starts from: height 0, timestamp 0, no
/// transactions, the executor's genesis state root, proposed by the first validator by key
/// order.
pub fn genesis<X: Executor>(
    executor: &X,
    validators: &[ed25519::PublicKey],
) -> Result<Block, Error> {
    let proposer = validators.iter().min().ok_or(Error::NoValidators)?;
    Ok(Block::new(
        Digest::EMPTY,
        0,
        0,
        executor.genesis_state_root(),
        proposer.clone(),
        Vec::new(),
    ))
}

/// Leader timeout for a block time: the leader gets twice the block time plus one second
/// before validators vote to skip it.
pub fn leader_timeout(block_time: Duration) -> Duration {
    block_time
        .saturating_mul(2)
        .saturating_add(Duration::from_secs(1))
}

/// Starts a validator and returns the handle of the task running it (it ends only if an
/// actor fails).
pub async fn start<E, X, P, B, S, R>(
    context: E,
    config: Config<X>,
    peers: P,
    blocker: B,
    channels: Channels<S, R>,
) -> Result<Handle<()>, Error>
where
    E: Clock + CryptoRng + Spawner + Storage + Metrics + Supervisor,
    X: Executor,
    P: Provider<PublicKey = ed25519::PublicKey> + Clone,
    B: Blocker<PublicKey = ed25519::PublicKey> + Clone,
    S: Sender<PublicKey = ed25519::PublicKey>,
    R: Receiver<PublicKey = ed25519::PublicKey>,
{
    let genesis = genesis(&config.executor, &config.validators)?;
    let genesis = Digested::compute(genesis, &Sequential).await;
    let sync_targets =
        NonEmptyVec::try_from(config.validators.clone()).map_err(|_| Error::NoValidators)?;
    let validators = Set::from_iter_dedup(config.validators);
    let (me, signer) = match config.role {
        Role::Validator(signer) => (signer.public_key(), Some(signer)),
        Role::Follower(key) => (key, None),
    };
    let following = signer.is_none();
    let scheme = match signer {
        Some(signer) => Scheme::signer(&config.namespace, validators, signer)
            .ok_or_else(|| Error::NotAValidator(Box::new(me.clone())))?,
        None => Scheme::verifier(&config.namespace, validators),
    };
    let prefix = config.partition_prefix;
    let sizes = config.storage;
    let page_cache = CacheRef::new(PAGE_SIZE, sizes.page_cache_pages);
    let epocher = FixedEpocher::new(EPOCH_LENGTH);

    // Marshal's backfill resolver.
    let resolver = marshal_resolver::init(
        context.child("backfill"),
        marshal_resolver::Config {
            public_key: me.clone(),
            peer_provider: peers.clone(),
            blocker: blocker.clone(),
            mailbox_size: MAILBOX_SIZE,
            fetch_timeout: NZDuration!(Duration::from_secs(2)),
            fetch_retry_delay: Duration::from_millis(100),
            priority_requests: false,
            priority_responses: false,
        },
        channels.backfill,
    );

    // Buffer of broadcast blocks.
    let (buffer_engine, buffer) = buffered::Engine::new(
        context.child("buffer"),
        buffered::Config {
            public_key: me,
            mailbox_size: MAILBOX_SIZE,
            deque_size: 16,
            priority: true,
            codec_config: (),
            peer_provider: peers,
            strategy: Sequential,
        },
    );

    // Durable archives of finalized blocks and their finalizations, by height and digest.
    let finalizations = immutable::Archive::init(
        context.child("finalizations"),
        archive_config(
            &format!("{prefix}-finalizations"),
            &page_cache,
            &sizes,
            Scheme::certificate_codec_config_unbounded(),
        ),
    )
    .await
    .map_err(|source| Error::Storage {
        what: "finalizations archive",
        source,
    })?;
    let blocks = immutable::Archive::init(
        context.child("blocks"),
        archive_config(&format!("{prefix}-blocks"), &page_cache, &sizes, ()),
    )
    .await
    .map_err(|source| Error::Storage {
        what: "blocks archive",
        source,
    })?;

    replay(&blocks, &config.executor).await?;

    let (marshal, marshal_mailbox, _floor) = Marshal::<_, Standard<Block>, _, _, _, _, _, _>::init(
        context.child("marshal"),
        finalizations,
        blocks,
        marshal::Config {
            provider: ConstantProvider::<Scheme, Epoch>::new(scheme.clone()),
            epocher: epocher.clone(),
            start: Start::Genesis(genesis.clone()),
            partition_prefix: format!("{prefix}-marshal"),
            mailbox_size: MAILBOX_SIZE,
            view_retention: ViewDelta::new(256),
            prunable_items_per_section: PRUNABLE_ITEMS_PER_SECTION,
            page_cache: page_cache.clone(),
            replay_buffer: sizes.replay_buffer,
            key_write_buffer: sizes.write_buffer,
            value_write_buffer: sizes.write_buffer,
            block_codec_config: (),
            max_repair: NZUsize!(16),
            max_pending_acks: NZUsize!(16),
            strategy: Sequential,
        },
    )
    .await;

    let on_finalized: FinalizedHook = {
        let executor = config.executor.clone();
        let hook = config.on_finalized;
        std::sync::Arc::new(move |finalized: &Finalized| {
            if let Err(err) = executor.finalized(&finalized.digest, &finalized.block) {
                error!(height = finalized.block.header.height, %err, "cannot apply finalized block");
                return;
            }
            hook(finalized);
        })
    };
    let buffer_handle = buffer_engine.start(channels.broadcast);
    let marshal_handle = marshal.start(FinalizedReporter::new(on_finalized), buffer, resolver);
    if following {
        let executor = config.executor;
        let block_time = config.block_time;
        let sync_handle = context.child("sync").spawn(move |context| async move {
            loop {
                let next = executor.finalized_height().saturating_add(1);
                for height in next..next.saturating_add(FOLLOW_LOOKAHEAD) {
                    marshal_mailbox.hint_finalized(Height::new(height), sync_targets.clone());
                }
                context.sleep(block_time).await;
            }
        });
        return Ok(context.child("node").spawn(move |_| async move {
            let _ = futures::future::select_all([buffer_handle, marshal_handle, sync_handle]).await;
        }));
    }

    let application = Application::new(config.executor, config.block_time);
    let inline = Inline::new(
        context.child("application"),
        application,
        marshal_mailbox,
        epocher,
    );

    let leader_timeout = leader_timeout(config.block_time);
    let consensus = simplex::Engine::new(
        context.child("consensus"),
        simplex::config::Config {
            scheme,
            elector: RoundRobin::<Sha256>::default(),
            blocker,
            automaton: inline.clone(),
            relay: inline.clone(),
            reporter: inline,
            track_historical_votes: false,
            strategy: Sequential,
            partition: format!("{prefix}-consensus"),
            mailbox_size: MAILBOX_SIZE,
            epoch: Epoch::zero(),
            floor: Floor::Genesis(genesis.digest()),
            replay_buffer: sizes.replay_buffer,
            write_buffer: sizes.write_buffer,
            page_cache,
            leader_timeout,
            certification_timeout: leader_timeout.saturating_mul(2),
            timeout_retry: leader_timeout,
            view_retention: ViewDelta::new(256),
            skip: SkipPolicy::Enabled {
                timeout: leader_timeout.saturating_mul(3),
                budget: SkipBudget::Participants,
            },
            fetch_timeout: NZDuration!(Duration::from_secs(1)),
            fetch_retry_delay: Duration::from_millis(100),
            forward: ForwardPolicy::Disabled,
        },
    );
    let consensus_handle =
        consensus.start(channels.votes, channels.certificates, channels.resolver);
    Ok(context.child("node").spawn(move |_| async move {
        let _ =
            futures::future::select_all([buffer_handle, marshal_handle, consensus_handle]).await;
    }))
}

/// Hands every stored finalized block (heights 1, 2, … up to the first gap) to the executor,
/// which re-executes it and checks its state root: the archive is the source of truth and the
/// state is rebuilt from it at every start.
async fn replay<X: Executor>(
    blocks: &impl Archive<Key = Digest, Value = std::sync::Arc<Block>>,
    executor: &X,
) -> Result<(), Error> {
    let mut height = 1u64;
    loop {
        let block = blocks
            .get(Identifier::Index(height))
            .await
            .map_err(|source| Error::Storage {
                what: "blocks archive",
                source,
            })?;
        let Some(block) = block else {
            return Ok(());
        };
        executor
            .finalized(&block.digest(), &block)
            .map_err(|err| Error::Replay {
                height,
                reason: err.to_string(),
            })?;
        height = height.saturating_add(1);
    }
}

/// Archive layout shared by the blocks and finalizations archives.
fn archive_config<C>(
    name: &str,
    page_cache: &CacheRef,
    sizes: &StorageSizes,
    codec_config: C,
) -> immutable::Config<C> {
    immutable::Config {
        metadata_partition: format!("{name}-metadata"),
        freezer_table_partition: format!("{name}-freezer-table"),
        freezer_table_initial_size: sizes.freezer_table_initial_size,
        freezer_table_resize_frequency: FREEZER_TABLE_RESIZE_FREQUENCY,
        freezer_table_resize_chunk_size: FREEZER_TABLE_RESIZE_CHUNK_SIZE,
        freezer_key_partition: format!("{name}-freezer-key"),
        freezer_key_page_cache: page_cache.clone(),
        freezer_value_partition: format!("{name}-freezer-value"),
        freezer_value_target_size: FREEZER_VALUE_TARGET_SIZE,
        freezer_value_compression: None,
        ordinal_partition: format!("{name}-ordinal"),
        items_per_section: ITEMS_PER_SECTION,
        freezer_key_write_buffer: sizes.write_buffer,
        freezer_value_write_buffer: sizes.write_buffer,
        ordinal_write_buffer: sizes.write_buffer,
        replay_buffer: sizes.replay_buffer,
        codec_config,
    }
}
