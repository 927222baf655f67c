//! The ordered key-value interface the runtime reads and writes, the change set a block
//! yields, the state root over all entries, and the in-memory store used by tests and dev.
//!
//! ## State root
//! The root is a binary Merkle tree over [`BUCKETS`] = 4096 fixed buckets. A key lives in the
//! bucket named by the first 12 bits of `blake2b-256(key)`, so buckets stay balanced whatever
//! the key layout. Per entry `d = H(0x00 ‖ len(key) ‖ key ‖ value)`; a bucket's hash is
//! `H(0x01 ‖ d₁ ‖ d₂ ‖ …)` over its entries in key order, or 32 zero bytes when empty; an inner
//! node is `H(0x02 ‖ left ‖ right)`, or zero when both children are zero. `H` is blake2b-256.
//!
//! Why this shape: after a block only the touched buckets are rehashed (each holds
//! `entries / 4096` digests) plus 12 inner nodes per touched bucket, so the cost per block
//! grows with the keys written, not with the size of the state; and it needs no persistent
//! tree structure beyond the key set, which any ordered store already has. The same function
//! computed over the same entries gives the same root on every machine.

use std::collections::{BTreeMap, BTreeSet};

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};

type Blake2b256 = Blake2b<U32>;

/// A 32-byte blake2b-256 digest.
pub type Hash = [u8; 32];

/// blake2b with a 256-bit output (Substrate's `BlakeTwo256`).
pub fn blake2_256(data: &[u8]) -> Hash {
    Blake2b256::digest(data).into()
}

/// Number of leaf buckets of the state root (2^12).
pub const BUCKETS: usize = 1 << BUCKET_BITS;
const BUCKET_BITS: u32 = 12;

/// Writes a block made: `Some(value)` puts, `None` deletes; ordered by key.
pub type ChangeSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// The storage the runtime runs on. Implementations must iterate in ascending key order and
/// compute [`Store::root`] with [`RootIndex`] so that roots agree across stores.
pub trait Store {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    /// Sets `key` to `value`.
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>);
    /// Removes `key` (no-op when absent).
    fn delete(&mut self, key: &[u8]);
    /// Every entry whose key starts with `prefix`, ascending by key.
    fn iter_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
    /// The state root over all current entries.
    fn root(&mut self) -> Hash;

    /// Applies a block's change set and returns the new root.
    fn commit(&mut self, changes: ChangeSet) -> Hash {
        for (key, value) in changes {
            match value {
                Some(value) => self.put(key, value),
                None => self.delete(&key),
            }
        }
        self.root()
    }
}

/// Incrementally maintained state root (see the module docs for the exact function).
#[derive(Clone)]
pub struct RootIndex {
    buckets: Vec<BTreeMap<Vec<u8>, Hash>>,
    nodes: Vec<Hash>,
    dirty: BTreeSet<usize>,
}

impl Default for RootIndex {
    fn default() -> Self {
        Self {
            buckets: vec![BTreeMap::new(); BUCKETS],
            nodes: vec![[0u8; 32]; 2 * BUCKETS],
            dirty: BTreeSet::new(),
        }
    }
}

fn bucket_of(key: &[u8]) -> usize {
    let h = blake2_256(key);
    (usize::from(h[0]) << 4) | (usize::from(h[1]) >> 4)
}

fn entry_digest(key: &[u8], value: &[u8]) -> Hash {
    let mut hasher = Blake2b256::new();
    hasher.update([0u8]);
    hasher.update((key.len() as u64).to_le_bytes());
    hasher.update(key);
    hasher.update(value);
    hasher.finalize().into()
}

impl RootIndex {
    /// Records that `key` now holds `value`.
    pub fn insert(&mut self, key: &[u8], value: &[u8]) {
        let b = bucket_of(key);
        self.buckets[b].insert(key.to_vec(), entry_digest(key, value));
        self.dirty.insert(b);
    }

    /// Records that `key` was removed.
    pub fn remove(&mut self, key: &[u8]) {
        let b = bucket_of(key);
        if self.buckets[b].remove(key).is_some() {
            self.dirty.insert(b);
        }
    }

    /// Rehashes the touched buckets and their paths, and returns the root.
    pub fn root(&mut self) -> Hash {
        let mut parents = BTreeSet::new();
        for &b in &self.dirty {
            let bucket = &self.buckets[b];
            self.nodes[BUCKETS + b] = if bucket.is_empty() {
                [0u8; 32]
            } else {
                let mut hasher = Blake2b256::new();
                hasher.update([1u8]);
                for digest in bucket.values() {
                    hasher.update(digest);
                }
                hasher.finalize().into()
            };
            parents.insert((BUCKETS + b) / 2);
        }
        self.dirty.clear();
        while !parents.is_empty() {
            let mut next = BTreeSet::new();
            for &n in &parents {
                self.nodes[n] = inner_hash(self.nodes[2 * n], self.nodes[2 * n + 1]);
                if n > 1 {
                    next.insert(n / 2);
                }
            }
            parents = next;
        }
        self.nodes[1]
    }

    /// The root with `changes` applied (`None` deletes), leaving the index as it is: the
    /// touched buckets (and any not yet rehashed) are hashed from their entries merged with
    /// the changes, and their paths recomputed aside. For executing a block on a state that
    /// others keep reading.
    pub fn root_with(&self, changes: &ChangeSet) -> Hash {
        // Changes per bucket, in key order (the change set is ordered by key).
        let mut touched: BTreeMap<usize, Vec<Edit<'_>>> = BTreeMap::new();
        for (key, value) in changes {
            touched
                .entry(bucket_of(key))
                .or_default()
                .push((key, value.as_deref()));
        }
        for &b in &self.dirty {
            touched.entry(b).or_default();
        }
        let mut level: BTreeMap<usize, Hash> = touched
            .iter()
            .map(|(&b, edits)| (BUCKETS + b, self.bucket_hash_with(b, edits)))
            .collect();
        while level.keys().next().is_some_and(|&n| n > 1) {
            let mut parents = BTreeMap::new();
            for &n in level.keys() {
                let p = n / 2;
                if parents.contains_key(&p) {
                    continue;
                }
                let child = |c: usize| level.get(&c).copied().unwrap_or(self.nodes[c]);
                parents.insert(p, inner_hash(child(2 * p), child(2 * p + 1)));
            }
            level = parents;
        }
        level.get(&1).copied().unwrap_or(self.nodes[1])
    }

    /// Bucket `b`'s hash with `edits` (ascending by key) applied to its entries.
    fn bucket_hash_with(&self, b: usize, edits: &[Edit<'_>]) -> Hash {
        let mut hasher = Blake2b256::new();
        hasher.update([1u8]);
        let mut empty = true;
        let mut entries = self.buckets[b].iter().peekable();
        let mut edits = edits.iter().peekable();
        loop {
            let take_entry = match (entries.peek(), edits.peek()) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((key, _)), Some((edit, _))) => key.as_slice() < *edit,
            };
            if take_entry {
                if let Some((_, digest)) = entries.next() {
                    hasher.update(digest);
                    empty = false;
                }
                continue;
            }
            if let Some(&(key, value)) = edits.next() {
                if entries.peek().is_some_and(|(k, _)| k.as_slice() == key) {
                    entries.next();
                }
                if let Some(value) = value {
                    hasher.update(entry_digest(key, value));
                    empty = false;
                }
            }
        }
        if empty {
            [0u8; 32]
        } else {
            hasher.finalize().into()
        }
    }
}

/// A key and its new value (`None`: deleted).
type Edit<'a> = (&'a [u8], Option<&'a [u8]>);

/// An inner node over its two children (zero when both are).
fn inner_hash(left: Hash, right: Hash) -> Hash {
    if left == [0u8; 32] && right == [0u8; 32] {
        [0u8; 32]
    } else {
        let mut hasher = Blake2b256::new();
        hasher.update([2u8]);
        hasher.update(left);
        hasher.update(right);
        hasher.finalize().into()
    }
}

/// An in-memory [`Store`] over a `BTreeMap`, with the same root as any other store.
#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    index: RootIndex,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The root the store would have with `changes` applied (`None` deletes), leaving it as it
    /// is ([`RootIndex::root_with`]).
    pub fn root_with(&self, changes: &ChangeSet) -> Hash {
        self.index.root_with(changes)
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.entries.get(key).cloned()
    }

    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.index.insert(&key, &value);
        self.entries.insert(key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        self.index.remove(key);
        self.entries.remove(key);
    }

    fn iter_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.entries
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn root(&mut self) -> Hash {
        self.index.root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight keys in bucket 0 and eight spread over others: a bucket's entries merge with the
    /// changes in key order only where several keys share it.
    fn crowded_keys() -> &'static [Vec<u8>] {
        static KEYS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        KEYS.get_or_init(|| {
            let same: Vec<Vec<u8>> = (0u32..)
                .map(|i| i.to_be_bytes().to_vec())
                .filter(|k| bucket_of(k) == 0)
                .take(8)
                .collect();
            same.into_iter().chain((0u8..8).map(|i| vec![i])).collect()
        })
    }

    proptest::proptest! {
        #[test]
        fn root_with_changes_leaves_the_store_as_it_was(
            base in proptest::collection::btree_map(0usize..16, proptest::collection::vec(0u8..4, 0..3), 0..16),
            changes in proptest::collection::btree_map(
                0usize..16,
                proptest::option::of(proptest::collection::vec(0u8..4, 0..3)),
                0..16,
            ),
        ) {
            let keys = crowded_keys();
            let mut store = MemoryStore::new();
            for (k, v) in &base {
                store.put(keys[*k].clone(), v.clone());
            }
            // Not rooted yet: its buckets are still waiting to be rehashed.
            let before = store.clone().root();
            let changes: ChangeSet = changes.into_iter().map(|(k, v)| (keys[k].clone(), v)).collect();
            let mut applied = store.clone();
            for (k, v) in &changes {
                match v {
                    Some(v) => applied.put(k.clone(), v.clone()),
                    None => applied.delete(k),
                }
            }
            proptest::prop_assert_eq!(store.root_with(&changes), applied.root());
            proptest::prop_assert_eq!(store.root(), before);
        }
    }

    #[test]
    fn empty_root_is_zero_and_root_is_order_independent() {
        let mut a = MemoryStore::new();
        assert_eq!(a.root(), [0u8; 32]);
        let mut b = MemoryStore::new();
        for i in 0u32..500 {
            a.put(i.to_be_bytes().to_vec(), vec![i as u8]);
        }
        for i in (0u32..500).rev() {
            b.put(i.to_be_bytes().to_vec(), vec![i as u8]);
        }
        assert_eq!(a.root(), b.root());
        b.put(7u32.to_be_bytes().to_vec(), vec![8]);
        assert_ne!(a.root(), b.root());
        b.put(7u32.to_be_bytes().to_vec(), vec![7]);
        assert_eq!(a.root(), b.root());
    }

    #[test]
    fn delete_restores_previous_root() {
        let mut s = MemoryStore::new();
        s.put(b"a".to_vec(), b"1".to_vec());
        let r1 = s.root();
        s.put(b"b".to_vec(), b"2".to_vec());
        assert_ne!(s.root(), r1);
        s.delete(b"b");
        assert_eq!(s.root(), r1);
        s.delete(b"a");
        assert_eq!(s.root(), [0u8; 32]);
    }

    #[test]
    fn incremental_root_equals_fresh_build() {
        let mut s = MemoryStore::new();
        for i in 0u32..300 {
            s.put(i.to_le_bytes().to_vec(), vec![1]);
            if i % 7 == 0 {
                s.root();
            }
        }
        s.delete(&5u32.to_le_bytes());
        let incremental = s.root();
        let mut fresh = MemoryStore::new();
        for (k, v) in s.iter_prefix(b"") {
            fresh.put(k, v);
        }
        assert_eq!(fresh.root(), incremental);
    }

    #[test]
    fn prefix_iteration_is_ordered_and_bounded() {
        let mut s = MemoryStore::new();
        s.put(b"ab2".to_vec(), vec![]);
        s.put(b"ab1".to_vec(), vec![]);
        s.put(b"ac".to_vec(), vec![]);
        let keys: Vec<_> = s.iter_prefix(b"ab").into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![b"ab1".to_vec(), b"ab2".to_vec()]);
    }
}
