//! Transactions waiting for a block.
//!
//! ```text
//! entry:       the caller validated the transaction on the finalized state (signature,
//!              genesis, fee); nonce ≥ account nonce and < account nonce + max_per_sender
//! replacement: same signer and nonce with a strictly higher tip replaces, else refused
//! full:        the lowest-tip *last* transaction of a sender is evicted (never a gap) when
//!              the newcomer's tip is higher; else the newcomer is refused
//! select:      per sender the run of consecutive nonces from its nonce in the parent state;
//!              across senders by tip (highest first), ties by arrival order
//! prune:       after each finalized block drop nonces below the account nonce and re-validate
//!              each sender's next transaction (dropping it and its followers if invalid)
//! ```
//! Everything is ordered (`BTreeMap`s, arrival counters), so selection is deterministic.

use std::collections::{BTreeMap, BinaryHeap, HashMap};

use bytes::Bytes;
use tao_crypto::PublicKey;
use tao_runtime::{Hash, Transaction, TxError};

/// Limits of the mempool.
#[derive(Clone, Copy, Debug)]
pub struct MempoolConfig {
    /// Most transactions held.
    pub max_transactions: usize,
    /// Most encoded bytes held.
    pub max_bytes: usize,
    /// Most transactions of one signer (also how far ahead of its nonce it may go).
    pub max_per_sender: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_transactions: 200_000,
            max_bytes: 64 * 1024 * 1024,
            max_per_sender: 4_096,
        }
    }
}

/// Why a transaction was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MempoolError {
    /// The runtime rejects the transaction (decode, genesis, signature, nonce, fee).
    #[error("invalid transaction: {0}")]
    Invalid(TxError),
    /// The same transaction is already waiting.
    #[error("transaction already in the mempool")]
    AlreadyKnown,
    /// The transaction is already in a finalized block.
    #[error("transaction already finalized")]
    AlreadyFinalized,
    /// Another transaction with this signer and nonce waits with a tip at least as high.
    #[error(
        "nonce {nonce} is taken by a transaction with tip {existing_tip}: replace it with a tip above that (got {tip})"
    )]
    Underpriced {
        /// The nonce.
        nonce: u64,
        /// Tip of the waiting transaction.
        existing_tip: u64,
        /// Tip offered.
        tip: u64,
    },
    /// The nonce is too far ahead of the account's.
    #[error("nonce {nonce} is more than {limit} ahead of the account nonce {account_nonce}")]
    TooFarAhead {
        /// The nonce.
        nonce: u64,
        /// The account's nonce.
        account_nonce: u64,
        /// How far ahead is allowed.
        limit: u64,
    },
    /// The mempool is full and the transaction's tip does not beat the cheapest evictable one.
    #[error(
        "mempool full ({count} transactions, {bytes} bytes): raise the tip above {lowest_tip} or retry later"
    )]
    Full {
        /// Transactions held.
        count: usize,
        /// Bytes held.
        bytes: usize,
        /// Tip a newcomer must exceed.
        lowest_tip: u64,
    },
}

struct Entry {
    hash: Hash,
    bytes: Bytes,
    tip: u64,
    arrival: u64,
}

/// The pool of waiting transactions.
pub struct Mempool {
    config: MempoolConfig,
    by_sender: BTreeMap<PublicKey, BTreeMap<u64, Entry>>,
    by_hash: HashMap<Hash, (PublicKey, u64)>,
    bytes: usize,
    arrivals: u64,
}

impl Mempool {
    /// An empty mempool with `config`'s limits.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            by_sender: BTreeMap::new(),
            by_hash: HashMap::new(),
            bytes: 0,
            arrivals: 0,
        }
    }

    /// Transactions held.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Whether `hash` waits here.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Signers with waiting transactions, ascending.
    pub fn senders(&self) -> Vec<PublicKey> {
        self.by_sender.keys().copied().collect()
    }

    /// `account_nonce` plus the consecutive nonces of `who` waiting here.
    pub fn next_nonce(&self, who: &PublicKey, account_nonce: u64) -> u64 {
        let mut next = account_nonce;
        if let Some(queue) = self.by_sender.get(who) {
            for nonce in queue.range(account_nonce..).map(|(n, _)| *n) {
                if nonce != next {
                    break;
                }
                next = next.saturating_add(1);
            }
        }
        next
    }

    /// Adds a transaction already validated against the state where its signer's nonce is
    /// `account_nonce`.
    pub fn insert(
        &mut self,
        tx: Transaction,
        bytes: Vec<u8>,
        hash: Hash,
        account_nonce: u64,
    ) -> Result<Hash, MempoolError> {
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::AlreadyKnown);
        }
        if tx.nonce < account_nonce {
            return Err(MempoolError::Invalid(TxError::StaleNonce {
                signer: tx.signer.to_ss58(),
                expected: account_nonce,
                got: tx.nonce,
            }));
        }
        if tx.nonce - account_nonce >= self.config.max_per_sender {
            return Err(MempoolError::TooFarAhead {
                nonce: tx.nonce,
                account_nonce,
                limit: self.config.max_per_sender,
            });
        }
        let existing = self
            .by_sender
            .get(&tx.signer)
            .and_then(|q| q.get(&tx.nonce))
            .map(|e| (e.tip, e.hash));
        if let Some((existing_tip, _)) = existing
            && tx.tip <= existing_tip
        {
            return Err(MempoolError::Underpriced {
                nonce: tx.nonce,
                existing_tip,
                tip: tx.tip,
            });
        }
        if let Some((_, old)) = existing {
            self.remove(&old);
        }
        while self.by_hash.len() >= self.config.max_transactions
            || self.bytes.saturating_add(bytes.len()) > self.config.max_bytes
        {
            let Some((victim, lowest_tip)) = self.cheapest_tail(&tx.signer) else {
                return Err(self.full(0));
            };
            if tx.tip <= lowest_tip {
                return Err(self.full(lowest_tip));
            }
            self.remove(&victim);
        }
        self.arrivals = self.arrivals.saturating_add(1);
        self.bytes = self.bytes.saturating_add(bytes.len());
        self.by_hash.insert(hash, (tx.signer, tx.nonce));
        self.by_sender.entry(tx.signer).or_default().insert(
            tx.nonce,
            Entry {
                hash,
                bytes: Bytes::from(bytes),
                tip: tx.tip,
                arrival: self.arrivals,
            },
        );
        Ok(hash)
    }

    fn full(&self, lowest_tip: u64) -> MempoolError {
        MempoolError::Full {
            count: self.by_hash.len(),
            bytes: self.bytes,
            lowest_tip,
        }
    }

    /// The last transaction with the lowest tip among other senders' queues (evicting a
    /// sender's last transaction never leaves a nonce gap).
    fn cheapest_tail(&self, except: &PublicKey) -> Option<(Hash, u64)> {
        self.by_sender
            .iter()
            .filter(|(who, _)| *who != except)
            .filter_map(|(_, q)| q.last_key_value().map(|(_, e)| (e.tip, e.arrival, e.hash)))
            .min_by_key(|(tip, arrival, _)| (*tip, std::cmp::Reverse(*arrival)))
            .map(|(tip, _, hash)| (hash, tip))
    }

    /// Removes `hash` if present.
    pub fn remove(&mut self, hash: &Hash) {
        let Some((who, nonce)) = self.by_hash.remove(hash) else {
            return;
        };
        if let Some(queue) = self.by_sender.get_mut(&who) {
            if let Some(entry) = queue.remove(&nonce) {
                self.bytes = self.bytes.saturating_sub(entry.bytes.len());
            }
            if queue.is_empty() {
                self.by_sender.remove(&who);
            }
        }
    }

    /// Transactions for a block whose parent state gives each sender the nonce in `nonces`
    /// (senders missing there start at nonce 0), at most `max_count` and `max_bytes` in all.
    pub fn select(
        &self,
        nonces: &BTreeMap<PublicKey, u64>,
        max_count: usize,
        max_bytes: usize,
    ) -> Vec<Bytes> {
        // Heap of each sender's next ready transaction: highest tip, then earliest arrival.
        let mut heap = BinaryHeap::new();
        let mut cursors = BTreeMap::new();
        for (who, queue) in &self.by_sender {
            let nonce = nonces.get(who).copied().unwrap_or(0);
            if let Some(entry) = queue.get(&nonce) {
                heap.push((entry.tip, std::cmp::Reverse(entry.arrival), *who));
                cursors.insert(*who, nonce);
            }
        }
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some((_, _, who)) = heap.pop() {
            if out.len() >= max_count {
                break;
            }
            let (Some(queue), Some(nonce)) = (self.by_sender.get(&who), cursors.get_mut(&who))
            else {
                continue;
            };
            let Some(entry) = queue.get(nonce) else {
                continue;
            };
            if bytes.saturating_add(entry.bytes.len()) > max_bytes {
                continue;
            }
            bytes = bytes.saturating_add(entry.bytes.len());
            out.push(entry.bytes.clone());
            *nonce = nonce.saturating_add(1);
            if let Some(next) = queue.get(nonce) {
                heap.push((next.tip, std::cmp::Reverse(next.arrival), who));
            }
        }
        out
    }

    /// After a finalized block: drops every transaction whose nonce is below its signer's
    /// `account_nonce`, and re-validates each signer's next transaction with `still_valid`,
    /// dropping it and all its followers when it fails.
    pub fn prune(
        &mut self,
        account_nonce: impl Fn(&PublicKey) -> u64,
        still_valid: impl Fn(&[u8]) -> bool,
    ) {
        let mut doomed = Vec::new();
        for (who, queue) in &self.by_sender {
            let nonce = account_nonce(who);
            doomed.extend(queue.range(..nonce).map(|(_, e)| e.hash));
            if let Some(next) = queue.get(&nonce)
                && !still_valid(&next.bytes)
            {
                doomed.extend(queue.range(nonce..).map(|(_, e)| e.hash));
            }
        }
        for hash in doomed {
            self.remove(&hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tao_crypto::Pair;
    use tao_runtime::Call;

    fn tx(pair: &Pair, nonce: u64, tip: u64) -> (Transaction, Vec<u8>, Hash) {
        let call = Call::TransferKeepAlive {
            dest: Pair::from_uri("//Bob").unwrap().public(),
            value: 1,
        };
        let tx = Transaction::sign(pair, [0; 32], nonce, tip, call);
        let bytes = tao_runtime::codec::Encode::encode(&tx);
        let hash = tx.hash();
        (tx, bytes, hash)
    }

    fn add(pool: &mut Mempool, pair: &Pair, nonce: u64, tip: u64) -> Result<Hash, MempoolError> {
        let (tx, bytes, hash) = tx(pair, nonce, tip);
        pool.insert(tx, bytes, hash, 0)
    }

    fn hashes(selected: &[Bytes]) -> Vec<Hash> {
        selected
            .iter()
            .map(|b| Transaction::from_bytes(b).unwrap().hash())
            .collect()
    }

    #[test]
    fn orders_by_nonce_per_sender_and_by_tip_across() {
        let alice = Pair::from_uri("//Alice").unwrap();
        let bob = Pair::from_uri("//Bob").unwrap();
        let mut pool = Mempool::new(MempoolConfig::default());
        let a1 = add(&mut pool, &alice, 1, 100).unwrap();
        let a0 = add(&mut pool, &alice, 0, 1).unwrap();
        let b0 = add(&mut pool, &bob, 0, 50).unwrap();
        let selected = pool.select(&BTreeMap::new(), 10, usize::MAX);
        // Bob's tip beats Alice's first; Alice's nonce 1 must wait for her nonce 0.
        assert_eq!(hashes(&selected), vec![b0, a0, a1]);
        assert_eq!(pool.next_nonce(&alice.public(), 0), 2);
        // Limits cut the selection.
        assert_eq!(pool.select(&BTreeMap::new(), 2, usize::MAX).len(), 2);
        // A sender whose nonce in the parent state is already 1 starts there.
        let nonces = BTreeMap::from([(alice.public(), 1), (bob.public(), 1)]);
        assert_eq!(hashes(&pool.select(&nonces, 10, usize::MAX)), vec![a1]);
    }

    #[test]
    fn gap_blocks_later_nonces() {
        let alice = Pair::from_uri("//Alice").unwrap();
        let mut pool = Mempool::new(MempoolConfig::default());
        add(&mut pool, &alice, 2, 5).unwrap();
        assert!(pool.select(&BTreeMap::new(), 10, usize::MAX).is_empty());
        assert_eq!(pool.next_nonce(&alice.public(), 0), 0);
    }

    #[test]
    fn replacement_needs_a_higher_tip() {
        let alice = Pair::from_uri("//Alice").unwrap();
        let mut pool = Mempool::new(MempoolConfig::default());
        let first = add(&mut pool, &alice, 0, 10).unwrap();
        assert_eq!(
            add(&mut pool, &alice, 0, 10),
            Err(MempoolError::Underpriced {
                nonce: 0,
                existing_tip: 10,
                tip: 10
            })
        );
        let (tx2, bytes2, second) = tx(&alice, 0, 11);
        pool.insert(tx2.clone(), bytes2.clone(), second, 0).unwrap();
        assert!(!pool.contains(&first));
        assert!(pool.contains(&second));
        assert_eq!(pool.len(), 1);
        assert_eq!(
            pool.insert(tx2, bytes2, second, 0),
            Err(MempoolError::AlreadyKnown)
        );
    }

    #[test]
    fn full_pool_evicts_the_cheapest_tail_or_refuses() {
        let alice = Pair::from_uri("//Alice").unwrap();
        let bob = Pair::from_uri("//Bob").unwrap();
        let charlie = Pair::from_uri("//Charlie").unwrap();
        let mut pool = Mempool::new(MempoolConfig {
            max_transactions: 2,
            ..MempoolConfig::default()
        });
        add(&mut pool, &alice, 0, 5).unwrap();
        let b = add(&mut pool, &bob, 0, 1).unwrap();
        assert!(matches!(
            add(&mut pool, &charlie, 0, 1),
            Err(MempoolError::Full { lowest_tip: 1, .. })
        ));
        add(&mut pool, &charlie, 0, 2).unwrap();
        assert!(!pool.contains(&b));
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn limits_nonces_ahead() {
        let alice = Pair::from_uri("//Alice").unwrap();
        let mut pool = Mempool::new(MempoolConfig {
            max_per_sender: 4,
            ..MempoolConfig::default()
        });
        add(&mut pool, &alice, 3, 0).unwrap();
        assert!(matches!(
            add(&mut pool, &alice, 4, 0),
            Err(MempoolError::TooFarAhead { .. })
        ));
    }

    #[test]
    fn prune_drops_included_and_invalid() {
        let alice = Pair::from_uri("//Alice").unwrap();
        let bob = Pair::from_uri("//Bob").unwrap();
        let mut pool = Mempool::new(MempoolConfig::default());
        let a0 = add(&mut pool, &alice, 0, 0).unwrap();
        let a1 = add(&mut pool, &alice, 1, 0).unwrap();
        let b0 = add(&mut pool, &bob, 0, 0).unwrap();
        let b1 = add(&mut pool, &bob, 1, 0).unwrap();
        let alice_key = alice.public();
        pool.prune(
            |who| u64::from(*who == alice_key),
            |bytes| Transaction::from_bytes(bytes).unwrap().signer == alice_key,
        );
        assert!(!pool.contains(&a0));
        assert!(pool.contains(&a1));
        assert!(!pool.contains(&b0));
        assert!(!pool.contains(&b1));
        assert_eq!(pool.len(), 1);
    }
}
