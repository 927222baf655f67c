//! The runtime behind consensus: [`RuntimeExecutor`] implements [`Executor`] on tao-runtime.
//!
//! ```text
//! base      = finalized state (entries + incremental Merkle root index), at block `base_digest`
//! pending   = block digest → (parent digest, height, change set, receipts, events)
//!             for every executed, not yet finalized block (any fork)
//! execute   = fold the change sets from the base up to the parent into one overlay,
//!             apply_block on (base + overlay), root = base index with the overlay applied
//!             and reverted again (cost grows with the keys written, not the state size)
//! finalize  = commit the block's change set into the base (checking its state root),
//!             drop pending entries at or below its height (dead forks), index it
//! ```
//!
//! The proposer's consensus key maps to no runtime author yet: fees and tips are burned
//! (`author: None`) until validators bind a hotkey to their consensus key.
//!
//! Finalized blocks are indexed here (blocks by height and digest, transaction hash → block
//! and position, receipts and events) for the RPC. The source of truth on disk is the
//! finalized block archive: at start the engine replays it through [`Executor::finalized`],
//! which re-executes each block and checks its state root, rebuilding the state and indexes.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use bytes::Bytes;
use commonware_cryptography::{Digest as _, sha256::Digest};
use tao_runtime::{
    BlockError, ChangeSet, GenesisConfig, Hash, MemoryStore, Receipt, Store, Transaction, TxError,
    store::blake2_256, types::Event,
};
use tokio::sync::broadcast;

use crate::{
    block::{Block, Header, MAX_TRANSACTIONS, MAX_TRANSACTIONS_BYTES, transactions_root},
    executor::{BlockEnv, Executor},
    gossip::Outbox,
    mempool::{Mempool, MempoolConfig, MempoolError},
};

/// Why the runtime could not execute or finalize a block.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The parent's state is not known (neither the finalized tip nor an executed pending
    /// block): it is on a dead fork or was never executed here.
    #[error("unknown parent {digest} at height {height}: its state is not available")]
    UnknownParent {
        /// Parent digest.
        digest: Digest,
        /// Parent height.
        height: u64,
    },
    /// The runtime refused the block.
    #[error("block {height} does not execute: {source}")]
    Block {
        /// Height of the block.
        height: u64,
        /// The runtime's reason.
        source: BlockError,
    },
    /// A finalized block does not extend the finalized tip.
    #[error(
        "finalized block {height} has parent {parent}, but the finalized tip is {tip} at height {tip_height}"
    )]
    NotOnTip {
        /// Height of the block.
        height: u64,
        /// Its parent.
        parent: Digest,
        /// Current finalized tip.
        tip: Digest,
        /// Height of the tip.
        tip_height: u64,
    },
    /// Re-executing a finalized block gave another state root than its header.
    #[error("state root mismatch at height {height}: header has {expected}, execution gives {got}")]
    StateRoot {
        /// Height of the block.
        height: u64,
        /// Root in the header.
        expected: Digest,
        /// Root computed here.
        got: Digest,
    },
    /// Committed state cannot be read.
    #[error("reading state: {0}")]
    Read(#[from] tao_runtime::DispatchError),
    /// The genesis configuration cannot be built.
    #[error("genesis: {0}")]
    Genesis(#[from] tao_runtime::genesis::GenesisError),
}

/// The state after a chain of non-finalized blocks: the base plus their merged writes.
pub struct Overlay<'a> {
    base: &'a MemoryStore,
    changes: ChangeSet,
}

impl<'a> Overlay<'a> {
    /// The base with `changes` on top.
    pub fn new(base: &'a MemoryStore, changes: ChangeSet) -> Self {
        Self { base, changes }
    }
}

impl Store for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.changes.get(key) {
            Some(value) => value.clone(),
            None => self.base.get(key),
        }
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    fn delete(&mut self, key: &[u8]) {
        self.changes.insert(key.to_vec(), None);
    }

    fn iter_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.iter_prefix(prefix).into_iter().collect();
        for (key, value) in self
            .changes
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
        {
            match value {
                Some(value) => merged.insert(key.clone(), value.clone()),
                None => merged.remove(key),
            };
        }
        merged.into_iter().collect()
    }

    fn root(&mut self) -> Hash {
        self.base.root_with(&self.changes)
    }
}

/// An executed, not yet finalized block.
struct Pending {
    parent: Digest,
    height: u64,
    changes: ChangeSet,
    receipts: Vec<Receipt>,
    events: Vec<Event>,
}

/// A finalized block with what its execution produced.
#[derive(Clone)]
pub struct FinalizedBlock {
    /// Block digest.
    pub digest: Digest,
    /// The block.
    pub block: Arc<Block>,
    /// One receipt per transaction.
    pub receipts: Arc<Vec<Receipt>>,
    /// Events of the block in order (block-level ones first).
    pub events: Arc<Vec<Event>>,
}

/// Where a finalized transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    /// Height of its block.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
}

struct Inner {
    base: MemoryStore,
    base_digest: Digest,
    base_height: u64,
    pending: HashMap<Digest, Pending>,
    blocks: Vec<FinalizedBlock>,
    by_digest: HashMap<Digest, u64>,
    transactions: HashMap<Hash, TxLocation>,
}

/// Executes blocks with tao-runtime and keeps the finalized state, the non-finalized
/// overlays, the finalized-block indexes and the mempool. Cheap to clone (shared).
#[derive(Clone)]
pub struct RuntimeExecutor {
    inner: Arc<RwLock<Inner>>,
    mempool: Arc<Mutex<Mempool>>,
    genesis_root: Digest,
    genesis_hash: Hash,
    finalized_tx: broadcast::Sender<FinalizedBlock>,
    /// Where transactions admitted through [`RuntimeExecutor::submit`] and
    /// [`RuntimeExecutor::submit_many`] go to be gossiped, once the network is up.
    gossip: Arc<OnceLock<Outbox>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn bad_signature(tx: &Transaction) -> MempoolError {
    MempoolError::Invalid(TxError::BadSignature {
        signer: tx.signer.to_ss58(),
    })
}

/// Checks the signatures of the decoded transactions: all in one batch, and one by one only
/// when the batch fails (to find the culprits).
fn verify_signatures(
    decoded: Vec<Result<(Transaction, Hash), MempoolError>>,
) -> Vec<Result<(Transaction, Hash), MempoolError>> {
    let batch_valid = {
        let payloads: Vec<Vec<u8>> = decoded
            .iter()
            .flatten()
            .map(|(tx, _)| tx.signing_payload())
            .collect();
        let items: Vec<(&[u8], &tao_crypto::Signature, &tao_crypto::PublicKey)> = decoded
            .iter()
            .flatten()
            .zip(&payloads)
            .map(|((tx, _), payload)| (payload.as_slice(), &tx.signature, &tx.signer))
            .collect();
        // A batch of one is no cheaper than verifying it, and its failure names the culprit.
        items.len() != 1 && (items.is_empty() || tao_crypto::verify_batch(&items))
    };
    if batch_valid {
        return decoded;
    }
    decoded
        .into_iter()
        .map(|entry| {
            let (tx, hash) = entry?;
            if tx.verify() {
                Ok((tx, hash))
            } else {
                Err(bad_signature(&tx))
            }
        })
        .collect()
}

/// Shared access to the state: RPC reads and mempool validation run side by side.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Exclusive access to the state: execution and finalization.
fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RuntimeExecutor {
    /// A chain starting from `genesis`, with a mempool of the given limits.
    pub fn new(genesis: &GenesisConfig, mempool: MempoolConfig) -> Result<Self, StateError> {
        let mut base = MemoryStore::default();
        let root = genesis.build(&mut base)?;
        let genesis_hash = tao_runtime::read::genesis_hash(&base)?;
        let (finalized_tx, _) = broadcast::channel(1024);
        Ok(Self {
            inner: Arc::new(RwLock::new(Inner {
                base,
                base_digest: Digest::EMPTY,
                base_height: 0,
                pending: HashMap::new(),
                blocks: Vec::new(),
                by_digest: HashMap::new(),
                transactions: HashMap::new(),
            })),
            mempool: Arc::new(Mutex::new(Mempool::new(mempool))),
            genesis_root: Digest(root),
            genesis_hash,
            finalized_tx,
            gossip: Arc::default(),
        })
    }

    /// The dev chain: [`GenesisConfig::dev`] and default mempool limits.
    pub fn dev() -> Result<Self, StateError> {
        Self::new(&GenesisConfig::dev()?, MempoolConfig::default())
    }

    /// Records the genesis block (height 0) as the finalized tip; called once by the engine.
    pub fn set_genesis(&self, digest: Digest, block: Arc<Block>) {
        let mut inner = write(&self.inner);
        if inner.blocks.is_empty() {
            inner.base_digest = digest;
            inner.by_digest.insert(digest, 0);
            inner.blocks.push(FinalizedBlock {
                digest,
                block,
                receipts: Arc::new(Vec::new()),
                events: Arc::new(Vec::new()),
            });
        }
    }

    /// The chain's genesis hash (what transactions commit to).
    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// Runs `read` on the finalized state.
    pub fn read<T>(&self, f: impl FnOnce(&MemoryStore) -> T) -> T {
        f(&read(&self.inner).base)
    }

    /// The latest finalized block.
    pub fn finalized_tip(&self) -> Option<FinalizedBlock> {
        read(&self.inner).blocks.last().cloned()
    }

    /// The finalized block at `height`.
    pub fn block_by_height(&self, height: u64) -> Option<FinalizedBlock> {
        let inner = read(&self.inner);
        usize::try_from(height)
            .ok()
            .and_then(|h| inner.blocks.get(h).cloned())
    }

    /// The finalized block with `digest`.
    pub fn block_by_digest(&self, digest: &Digest) -> Option<FinalizedBlock> {
        let inner = read(&self.inner);
        let height = *inner.by_digest.get(digest)?;
        usize::try_from(height)
            .ok()
            .and_then(|h| inner.blocks.get(h).cloned())
    }

    /// Where the finalized transaction `hash` is, with its block.
    pub fn transaction(&self, hash: &Hash) -> Option<(TxLocation, FinalizedBlock)> {
        let inner = read(&self.inner);
        let location = *inner.transactions.get(hash)?;
        let block = usize::try_from(location.height)
            .ok()
            .and_then(|h| inner.blocks.get(h).cloned())?;
        Some((location, block))
    }

    /// Subscribes to finalized blocks as they are indexed.
    pub fn subscribe(&self) -> broadcast::Receiver<FinalizedBlock> {
        self.finalized_tx.subscribe()
    }

    /// Validates `bytes` against the finalized state and adds it to the mempool.
    ///
    /// The signature is verified here, before any lock is taken, and only here: every
    /// transaction in the mempool carries a valid signature, so executing a block checks the
    /// signatures of only the transactions it does not find in the mempool (by the hash of
    /// their exact bytes, see [`tao_runtime::apply_block_with`]).
    ///
    /// An admitted transaction is also gossiped to the other validators.
    pub fn submit(&self, bytes: Vec<u8>) -> Result<Hash, MempoolError> {
        let (tx, hash) = self.decode(&bytes)?;
        if !tx.verify() {
            return Err(bad_signature(&tx));
        }
        let inner = read(&self.inner);
        let mut mempool = lock(&self.mempool);
        Self::admit_gossiped(&inner, &mut mempool, tx, hash, bytes, self.gossip.get())
    }

    /// [`RuntimeExecutor::submit`] for many transactions, in order, one result each: their
    /// signatures are verified in one batch (one by one only when the batch fails, to find
    /// the culprits), which costs far less per signature.
    pub fn submit_many(&self, transactions: Vec<Vec<u8>>) -> Vec<Result<Hash, MempoolError>> {
        self.admit_many(transactions, self.gossip.get())
    }

    /// Admits transactions gossiped by a peer, checked as [`RuntimeExecutor::submit_many`]
    /// checks them but not gossiped again; how each fared concerns only its submitter.
    pub fn receive_gossip(&self, transactions: Vec<Vec<u8>>) {
        self.admit_many(transactions, None);
    }

    /// Sends transactions admitted through RPC from now on to `outbox` (once per executor:
    /// the node's network sets it at start).
    pub fn set_gossip(&self, outbox: Outbox) {
        let _ = self.gossip.set(outbox);
    }

    /// [`RuntimeExecutor::submit_many`], gossiping the admitted transactions to `gossip`.
    fn admit_many(
        &self,
        transactions: Vec<Vec<u8>>,
        gossip: Option<&Outbox>,
    ) -> Vec<Result<Hash, MempoolError>> {
        let decoded = verify_signatures(transactions.iter().map(|b| self.decode(b)).collect());
        let inner = read(&self.inner);
        let mut mempool = lock(&self.mempool);
        decoded
            .into_iter()
            .zip(transactions)
            .map(|(entry, bytes)| {
                let (tx, hash) = entry?;
                Self::admit_gossiped(&inner, &mut mempool, tx, hash, bytes, gossip)
            })
            .collect()
    }

    /// [`RuntimeExecutor::admit`], then queues the admitted transaction's bytes on `gossip`.
    fn admit_gossiped(
        inner: &Inner,
        mempool: &mut Mempool,
        tx: Transaction,
        hash: Hash,
        bytes: Vec<u8>,
        gossip: Option<&Outbox>,
    ) -> Result<Hash, MempoolError> {
        let Some(gossip) = gossip else {
            return Self::admit(inner, mempool, tx, hash, bytes);
        };
        let copy = bytes.clone();
        let admitted = Self::admit(inner, mempool, tx, hash, bytes)?;
        gossip.send(copy);
        Ok(admitted)
    }

    /// Decodes a submitted transaction, checks its chain and hashes its exact bytes.
    fn decode(&self, bytes: &[u8]) -> Result<(Transaction, Hash), MempoolError> {
        let tx = Transaction::from_bytes(bytes).map_err(MempoolError::Invalid)?;
        if tx.genesis_hash != self.genesis_hash {
            return Err(MempoolError::Invalid(TxError::WrongGenesis {
                expected: hex::encode(self.genesis_hash),
                got: hex::encode(tx.genesis_hash),
            }));
        }
        Ok((tx, blake2_256(bytes)))
    }

    /// Checks a transaction whose signature verified against the finalized state and adds
    /// it to the mempool.
    fn admit(
        inner: &Inner,
        mempool: &mut Mempool,
        tx: Transaction,
        hash: Hash,
        bytes: Vec<u8>,
    ) -> Result<Hash, MempoolError> {
        if inner.transactions.contains_key(&hash) {
            return Err(MempoolError::AlreadyFinalized);
        }
        match tao_runtime::validate_decoded(&inner.base, &tx, bytes.len(), true) {
            // A later nonce waits in the mempool for its predecessors.
            Ok(()) | Err(TxError::FutureNonce { .. }) => {}
            Err(err) => return Err(MempoolError::Invalid(err)),
        }
        let nonce = tao_runtime::read::account(&inner.base, &tx.signer)
            .map(|a| a.nonce)
            .unwrap_or(0);
        mempool.insert(tx, bytes, hash, nonce)
    }

    /// Nonce the next transaction of `who` should use: the finalized nonce plus its
    /// consecutive transactions waiting in the mempool.
    pub fn next_nonce(&self, who: &tao_crypto::PublicKey) -> u64 {
        let nonce = self.read(|base| {
            tao_runtime::read::account(base, who)
                .map(|a| a.nonce)
                .unwrap_or(0)
        });
        lock(&self.mempool).next_nonce(who, nonce)
    }

    /// Whether `hash` waits in the mempool.
    pub fn is_pending(&self, hash: &Hash) -> bool {
        lock(&self.mempool).contains(hash)
    }

    /// Transactions waiting in the mempool.
    pub fn mempool_len(&self) -> usize {
        lock(&self.mempool).len()
    }

    /// Folds the change sets from the base up to `parent` into one, or says the parent is
    /// unknown.
    fn overlay_changes(
        inner: &Inner,
        parent: &Digest,
        height: u64,
    ) -> Result<ChangeSet, StateError> {
        let mut chain = Vec::new();
        let mut cursor = *parent;
        while cursor != inner.base_digest {
            let pending = inner
                .pending
                .get(&cursor)
                .ok_or(StateError::UnknownParent {
                    digest: *parent,
                    height,
                })?;
            chain.push(pending);
            cursor = pending.parent;
        }
        let mut changes = ChangeSet::new();
        for pending in chain.into_iter().rev() {
            changes.extend(pending.changes.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok(changes)
    }

    /// Executes a block on `parent` and records it as pending under its digest. Transactions
    /// waiting in `mempool` had their signatures verified on entry and are not verified again.
    fn run(
        inner: &mut Inner,
        mempool: &Mutex<Mempool>,
        parent: &Header,
        env: &BlockEnv,
        transactions: &[Bytes],
    ) -> Result<(Digest, Digest), StateError> {
        let (digest, root, pending) = Self::execute_on(inner, mempool, parent, env, transactions)?;
        inner.pending.insert(digest, pending);
        Ok((digest, root))
    }

    /// Executes a block on `parent` without recording it: its digest, state root and what
    /// [`RuntimeExecutor::run`] records. Reads the state only, so RPC reads go on meanwhile.
    fn execute_on(
        inner: &Inner,
        mempool: &Mutex<Mempool>,
        parent: &Header,
        env: &BlockEnv,
        transactions: &[Bytes],
    ) -> Result<(Digest, Digest, Pending), StateError> {
        let parent_digest = parent.digest();
        let mut changes = Self::overlay_changes(inner, &parent_digest, parent.height)?;
        let block = tao_runtime::Block {
            number: env.height,
            author: None,
            transactions: transactions.iter().map(|t| t.to_vec()).collect(),
        };
        let mut overlay = Overlay::new(&inner.base, std::mem::take(&mut changes));
        let outcome =
            tao_runtime::apply_block_with(&overlay, &block, &|hash| lock(mempool).contains(hash))
                .map_err(|source| StateError::Block {
                height: env.height,
                source,
            })?;
        overlay
            .changes
            .extend(outcome.changes.iter().map(|(k, v)| (k.clone(), v.clone())));
        let root = Digest(overlay.root());
        let header = Header {
            parent: parent_digest,
            height: env.height,
            timestamp: env.timestamp,
            transactions_root: transactions_root(transactions),
            state_root: root,
            proposer: env.proposer.clone(),
        };
        let pending = Pending {
            parent: parent_digest,
            height: env.height,
            changes: outcome.changes,
            receipts: outcome.receipts,
            events: outcome.events,
        };
        Ok((header.digest(), root, pending))
    }
}

impl Executor for RuntimeExecutor {
    type Error = StateError;

    fn genesis_state_root(&self) -> Digest {
        self.genesis_root
    }

    fn execute(
        &self,
        parent: &Header,
        env: &BlockEnv,
        transactions: &[Bytes],
    ) -> Result<Digest, StateError> {
        // Executed under the shared lock (reads go on); recorded under the exclusive one. A
        // block finalized meanwhile leaves the result valid: it is the parent's state either way.
        let (digest, root, pending) = {
            let inner = read(&self.inner);
            Self::execute_on(&inner, &self.mempool, parent, env, transactions)?
        };
        write(&self.inner).pending.insert(digest, pending);
        Ok(root)
    }

    fn knows(&self, digest: &Digest) -> bool {
        let inner = read(&self.inner);
        *digest == inner.base_digest || inner.pending.contains_key(digest)
    }

    fn finalized_height(&self) -> u64 {
        read(&self.inner).base_height
    }

    fn select_transactions(&self, parent: &Header) -> Vec<Bytes> {
        let nonces = {
            let inner = read(&self.inner);
            let Ok(changes) = Self::overlay_changes(&inner, &parent.digest(), parent.height) else {
                return Vec::new();
            };
            let overlay = Overlay::new(&inner.base, changes);
            let senders = lock(&self.mempool).senders();
            senders
                .into_iter()
                .map(|who| {
                    let nonce = tao_runtime::read::account(&overlay, &who)
                        .map(|a| a.nonce)
                        .unwrap_or(0);
                    (who, nonce)
                })
                .collect::<BTreeMap<_, _>>()
        };
        lock(&self.mempool).select(&nonces, MAX_TRANSACTIONS, MAX_TRANSACTIONS_BYTES)
    }

    fn finalized(&self, digest: &Digest, block: &Block) -> Result<(), StateError> {
        let header = &block.header;
        let record = {
            let mut inner = write(&self.inner);
            if header.height <= inner.base_height {
                return Ok(());
            }
            if header.parent != inner.base_digest {
                return Err(StateError::NotOnTip {
                    height: header.height,
                    parent: header.parent,
                    tip: inner.base_digest,
                    tip_height: inner.base_height,
                });
            }
            if !inner.pending.contains_key(digest) {
                let parent = inner.blocks.last().map(|b| b.block.header.clone()).ok_or(
                    StateError::UnknownParent {
                        digest: header.parent,
                        height: header.height.saturating_sub(1),
                    },
                )?;
                let env = BlockEnv {
                    height: header.height,
                    timestamp: header.timestamp,
                    proposer: header.proposer.clone(),
                };
                let (_, root) = Self::run(
                    &mut inner,
                    &self.mempool,
                    &parent,
                    &env,
                    &block.transactions,
                )?;
                if root != header.state_root {
                    inner.pending.clear();
                    return Err(StateError::StateRoot {
                        height: header.height,
                        expected: header.state_root,
                        got: root,
                    });
                }
            }
            let pending = inner
                .pending
                .remove(digest)
                .ok_or(StateError::UnknownParent {
                    digest: *digest,
                    height: header.height,
                })?;
            let root = Digest(inner.base.commit(pending.changes));
            if root != header.state_root {
                return Err(StateError::StateRoot {
                    height: header.height,
                    expected: header.state_root,
                    got: root,
                });
            }
            inner.base_digest = *digest;
            inner.base_height = header.height;
            let height = header.height;
            inner.pending.retain(|_, p| p.height > height);
            for (index, receipt) in pending.receipts.iter().enumerate() {
                if let (Some(hash), Ok(index)) = (receipt.hash, u32::try_from(index)) {
                    inner
                        .transactions
                        .insert(hash, TxLocation { height, index });
                }
            }
            inner.by_digest.insert(*digest, height);
            let record = FinalizedBlock {
                digest: *digest,
                block: Arc::new(block.clone()),
                receipts: Arc::new(pending.receipts),
                events: Arc::new(pending.events),
            };
            inner.blocks.push(record.clone());
            record
        };
        let inner = read(&self.inner);
        lock(&self.mempool).prune(
            |who| {
                tao_runtime::read::account(&inner.base, who)
                    .map(|a| a.nonce)
                    .unwrap_or(0)
            },
            |bytes| {
                Transaction::from_bytes(bytes).is_ok_and(|tx| {
                    tao_runtime::validate_decoded(&inner.base, &tx, bytes.len(), true).is_ok()
                })
            },
        );
        drop(inner);
        let _ = self.finalized_tx.send(record);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_cryptography::{Signer as _, ed25519};
    use proptest::prelude::*;
    use tao_crypto::Pair;
    use tao_runtime::{Call, codec::Encode as _};

    fn proposer() -> ed25519::PublicKey {
        ed25519::PrivateKey::from_seed(0).public_key()
    }

    fn genesis_block(executor: &RuntimeExecutor) -> Block {
        let genesis = Block::new(
            Digest::EMPTY,
            0,
            0,
            executor.genesis_state_root(),
            proposer(),
            Vec::new(),
        );
        executor.set_genesis(genesis.header.digest(), Arc::new(genesis.clone()));
        genesis
    }

    fn transfer(executor: &RuntimeExecutor, from: &str, nonce: u64, value: u64) -> Bytes {
        let pair = Pair::from_uri(from).unwrap();
        let dest = Pair::from_uri("//Ferdie").unwrap().public();
        let tx = Transaction::sign(
            &pair,
            executor.genesis_hash(),
            nonce,
            0,
            Call::TransferKeepAlive { dest, value },
        );
        Bytes::from(tx.encode())
    }

    /// Executes and builds the block the way a proposer does.
    fn child(executor: &RuntimeExecutor, parent: &Block, timestamp: u64, txs: Vec<Bytes>) -> Block {
        let env = BlockEnv {
            height: parent.header.height + 1,
            timestamp,
            proposer: proposer(),
        };
        let root = executor.execute(&parent.header, &env, &txs).unwrap();
        Block::new(
            parent.header.digest(),
            env.height,
            timestamp,
            root,
            proposer(),
            txs,
        )
    }

    /// The root a plain MemoryStore reaches by applying `blocks` from genesis.
    fn reference_root(blocks: &[&Block]) -> Digest {
        let (mut store, _) = GenesisConfig::dev().unwrap().build_memory().unwrap();
        let mut root = [0; 32];
        for block in blocks {
            let outcome = tao_runtime::apply_block(
                &store,
                &tao_runtime::Block {
                    number: block.header.height,
                    author: None,
                    transactions: block.transactions.iter().map(|t| t.to_vec()).collect(),
                },
            )
            .unwrap();
            root = store.commit(outcome.changes);
        }
        Digest(root)
    }

    #[test]
    fn forks_execute_on_overlays_and_finalization_drops_the_losers() {
        let executor = RuntimeExecutor::dev().unwrap();
        let genesis = genesis_block(&executor);
        let a1 = child(
            &executor,
            &genesis,
            1_000,
            vec![transfer(&executor, "//Alice", 0, 5)],
        );
        let b1 = child(
            &executor,
            &genesis,
            1_001,
            vec![transfer(&executor, "//Bob", 0, 7)],
        );
        assert_ne!(a1.header.state_root, b1.header.state_root);
        // Two blocks deep on fork a, before anything is finalized.
        let a2 = child(
            &executor,
            &a1,
            2_000,
            vec![transfer(&executor, "//Alice", 1, 9)],
        );
        assert_eq!(a1.header.state_root, reference_root(&[&a1]));
        assert_eq!(b1.header.state_root, reference_root(&[&b1]));
        assert_eq!(a2.header.state_root, reference_root(&[&a1, &a2]));
        assert!(executor.knows(&b1.header.digest()));

        executor.finalized(&a1.header.digest(), &a1).unwrap();
        assert_eq!(executor.finalized_height(), 1);
        assert!(!executor.knows(&b1.header.digest()), "dead fork dropped");
        assert!(executor.knows(&a2.header.digest()));
        // A repeat is ignored; a block off the tip is refused.
        executor.finalized(&a1.header.digest(), &a1).unwrap();
        assert!(matches!(
            executor.finalized(&b1.header.digest(), &b1),
            Err(StateError::NotOnTip { .. }) | Ok(())
        ));
        executor.finalized(&a2.header.digest(), &a2).unwrap();
        let tip = executor.finalized_tip().unwrap();
        assert_eq!(tip.digest, a2.header.digest());
        let tx_hash = Transaction::from_bytes(&a2.transactions[0]).unwrap().hash();
        let (location, block) = executor.transaction(&tx_hash).unwrap();
        assert_eq!((location.height, location.index), (2, 0));
        assert_eq!(block.receipts.len(), 1);
        assert!(matches!(
            executor.execute(
                &b1.header,
                &BlockEnv {
                    height: 2,
                    timestamp: 3_000,
                    proposer: proposer()
                },
                &[]
            ),
            Err(StateError::UnknownParent { .. })
        ));
    }

    #[test]
    fn replay_rebuilds_state_and_rejects_a_wrong_root() {
        let producer = RuntimeExecutor::dev().unwrap();
        let genesis = genesis_block(&producer);
        let b1 = child(
            &producer,
            &genesis,
            1_000,
            vec![transfer(&producer, "//Alice", 0, 5)],
        );
        let b2 = child(
            &producer,
            &b1,
            2_000,
            vec![transfer(&producer, "//Bob", 0, 5)],
        );

        // A fresh executor that never saw them executes them at finalization.
        let replayer = RuntimeExecutor::dev().unwrap();
        genesis_block(&replayer);
        replayer.finalized(&b1.header.digest(), &b1).unwrap();
        replayer.finalized(&b2.header.digest(), &b2).unwrap();
        assert_eq!(replayer.finalized_tip().unwrap().digest, b2.header.digest());

        let mut forged = b1.clone();
        forged.header.state_root = Digest([1; 32]);
        let victim = RuntimeExecutor::dev().unwrap();
        genesis_block(&victim);
        assert!(matches!(
            victim.finalized(&forged.header.digest(), &forged),
            Err(StateError::StateRoot { height: 1, .. })
        ));
    }

    #[test]
    fn mempool_feeds_proposals_in_nonce_order() {
        let executor = RuntimeExecutor::dev().unwrap();
        let genesis = genesis_block(&executor);
        let late = transfer(&executor, "//Alice", 1, 1);
        let early = transfer(&executor, "//Alice", 0, 1);
        executor.submit(late.to_vec()).unwrap();
        executor.submit(early.to_vec()).unwrap();
        assert_eq!(
            executor.next_nonce(&Pair::from_uri("//Alice").unwrap().public()),
            2
        );
        let selected = executor.select_transactions(&genesis.header);
        assert_eq!(selected, vec![early.clone(), late.clone()]);
        // On a pending block that already holds nonce 0, only nonce 1 remains.
        let b1 = child(&executor, &genesis, 1_000, vec![early]);
        assert_eq!(executor.select_transactions(&b1.header), vec![late]);
        executor.finalized(&b1.header.digest(), &b1).unwrap();
        assert_eq!(executor.mempool_len(), 1);
        assert!(matches!(
            executor.submit(transfer(&executor, "//Alice", 0, 1).to_vec()),
            Err(MempoolError::Invalid(TxError::StaleNonce { .. }))
        ));
    }

    #[test]
    fn a_batch_of_submissions_rejects_only_the_bad_signature() {
        let executor = RuntimeExecutor::dev().unwrap();
        let good0 = transfer(&executor, "//Alice", 0, 1);
        let good1 = transfer(&executor, "//Alice", 1, 1);
        let mut bad = transfer(&executor, "//Bob", 0, 1).to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let results =
            executor.submit_many(vec![good1.to_vec(), bad.clone(), good0.to_vec(), vec![7]]);
        assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
        assert!(matches!(
            results[1],
            Err(MempoolError::Invalid(TxError::BadSignature { .. }))
        ));
        assert!(matches!(
            results[3],
            Err(MempoolError::Invalid(TxError::UnsupportedVersion { .. }))
        ));
        assert_eq!(executor.mempool_len(), 2);
        assert!(matches!(
            executor.submit(bad),
            Err(MempoolError::Invalid(TxError::BadSignature { .. }))
        ));
        assert_eq!(
            executor.submit(good0.to_vec()),
            Err(MempoolError::AlreadyKnown)
        );
    }

    /// The mempool vouches for signatures by the hash of the exact bytes: a block's
    /// transactions found there are not verified again, the others are. (A tampered
    /// transaction is put into the mempool behind `submit`'s back to make the skip visible.)
    #[test]
    fn execution_verifies_only_transactions_not_in_the_mempool() {
        let executor = RuntimeExecutor::dev().unwrap();
        let genesis = genesis_block(&executor);
        let mut tampered = Transaction::from_bytes(&transfer(&executor, "//Alice", 0, 5)).unwrap();
        tampered.signature.0[0] ^= 1;
        let bytes = tampered.encode();
        let hash = blake2_256(&bytes);
        lock(&executor.mempool)
            .insert(tampered, bytes.clone(), hash, 0)
            .unwrap();
        let vouched = child(&executor, &genesis, 1_000, vec![Bytes::from(bytes.clone())]);
        let fresh = RuntimeExecutor::dev().unwrap();
        let genesis = genesis_block(&fresh);
        let checked = child(&fresh, &genesis, 1_000, vec![Bytes::from(bytes)]);
        assert_ne!(vouched.header.state_root, checked.header.state_root);
        fresh.finalized(&checked.header.digest(), &checked).unwrap();
        let (_, block) = fresh.transaction(&hash).unwrap();
        assert!(matches!(
            block.receipts[0].status,
            tao_runtime::TxStatus::Rejected(TxError::BadSignature { .. })
        ));
    }

    fn apply_to_memory(base: &BTreeMap<Vec<u8>, Vec<u8>>, changes: &ChangeSet) -> MemoryStore {
        let mut store = MemoryStore::new();
        for (k, v) in base {
            store.put(k.clone(), v.clone());
        }
        for (k, v) in changes {
            match v {
                Some(v) => store.put(k.clone(), v.clone()),
                None => store.delete(k),
            }
        }
        store
    }

    proptest! {
        #[test]
        fn overlay_reads_and_root_match_a_plain_store(
            base in proptest::collection::btree_map(proptest::collection::vec(0u8..4, 1..4), proptest::collection::vec(any::<u8>(), 0..3), 0..40),
            changes in proptest::collection::btree_map(proptest::collection::vec(0u8..4, 1..4), proptest::option::of(proptest::collection::vec(any::<u8>(), 0..3)), 0..40),
            prefix in proptest::collection::vec(0u8..4, 0..2),
        ) {
            let mut store = MemoryStore::default();
            for (k, v) in &base {
                store.put(k.clone(), v.clone());
            }
            let base_root = store.root();
            let mut expected = apply_to_memory(&base, &changes);
            let mut overlay = Overlay::new(&store, changes.clone());
            prop_assert_eq!(overlay.iter_prefix(&prefix), expected.iter_prefix(&prefix));
            for key in base.keys().chain(changes.keys()) {
                prop_assert_eq!(overlay.get(key), expected.get(key));
            }
            prop_assert_eq!(overlay.root(), expected.root());
            // The base is untouched afterwards.
            prop_assert_eq!(store.root(), base_root);
        }
    }
}
