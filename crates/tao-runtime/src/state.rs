//! Typed, layered access to state during block execution.
//!
//! `State` reads through a stack of write layers down to the committed [`Store`]. A
//! transaction opens a layer; its call opens another, so a failed call is rolled back while
//! its fee and nonce stay, and a rejected transaction drops both. The bottom layer is the
//! block's [`ChangeSet`].
//!
//! Keys are `"<Pallet>.<Item>/"` followed by the item's key parts: account ids as their 32
//! bytes, integers big-endian so that prefix iteration is in numeric order.

use tao_crypto::PublicKey;

use crate::codec::{Decode, Encode};
use crate::error::DispatchError;
use crate::store::{ChangeSet, Store};

/// Builds a storage key: the item name, `/`, then the key parts.
pub struct Key(Vec<u8>);

impl Key {
    /// Starts a key for the storage item `item` (e.g. `"Subtensor.Tempo"`).
    pub fn item(item: &str) -> Self {
        let mut buf = Vec::with_capacity(item.len() + 40);
        buf.extend_from_slice(item.as_bytes());
        buf.push(b'/');
        Key(buf)
    }

    /// Appends an account id.
    pub fn acc(mut self, account: &PublicKey) -> Self {
        self.0.extend_from_slice(&account.0);
        self
    }

    /// Appends a `u16` (netuid, uid), big-endian.
    pub fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends raw bytes.
    pub fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }

    /// The finished key.
    pub fn build(self) -> Vec<u8> {
        self.0
    }
}

/// The state as seen by the runtime while executing a block.
pub struct State<'a> {
    base: &'a dyn Store,
    layers: Vec<ChangeSet>,
}

impl<'a> State<'a> {
    /// A view of `base` with one empty (block) layer.
    pub fn new(base: &'a dyn Store) -> Self {
        Self {
            base,
            layers: vec![ChangeSet::new()],
        }
    }

    /// Raw read through all layers.
    pub fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        for layer in self.layers.iter().rev() {
            if let Some(value) = layer.get(key) {
                return value.clone();
            }
        }
        self.base.get(key)
    }

    fn top(&mut self) -> &mut ChangeSet {
        let last = self.layers.len() - 1;
        &mut self.layers[last]
    }

    /// Raw write into the top layer.
    pub fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.top().insert(key, Some(value));
    }

    /// Raw delete in the top layer.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.top().insert(key, None);
    }

    /// Typed read; a stored value that does not decode is reported as corrupt state.
    pub fn get<T: Decode>(&self, key: &[u8]) -> Result<Option<T>, DispatchError> {
        match self.get_raw(key) {
            None => Ok(None),
            Some(bytes) => T::decode(&bytes)
                .map(Some)
                .map_err(|e| DispatchError::CorruptState {
                    key: String::from_utf8_lossy(key).into_owned(),
                    reason: e.to_string(),
                }),
        }
    }

    /// Typed read with the type's default when absent.
    pub fn get_or_default<T: Decode + Default>(&self, key: &[u8]) -> Result<T, DispatchError> {
        Ok(self.get(key)?.unwrap_or_default())
    }

    /// Typed write.
    pub fn put<T: Encode>(&mut self, key: Vec<u8>, value: &T) {
        self.put_raw(key, value.encode());
    }

    /// True when `key` holds a value.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.get_raw(key).is_some()
    }

    /// Every entry under `prefix`, ascending, merging the layers over the base store.
    pub fn iter_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut merged: ChangeSet = self
            .base
            .iter_prefix(prefix)
            .into_iter()
            .map(|(k, v)| (k, Some(v)))
            .collect();
        for layer in &self.layers {
            for (k, v) in layer
                .range(prefix.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
            {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    /// Opens a layer that can later be committed into the one below or rolled back.
    pub fn begin(&mut self) {
        self.layers.push(ChangeSet::new());
    }

    /// Merges the top layer into the one below.
    pub fn commit_layer(&mut self) {
        if self.layers.len() > 1 {
            let top = self.layers.pop().unwrap_or_default();
            self.top().extend(top);
        }
    }

    /// Drops the top layer's writes.
    pub fn rollback(&mut self) {
        if self.layers.len() > 1 {
            self.layers.pop();
        }
    }

    /// The writes of the whole block (all open layers merged).
    pub fn into_changes(mut self) -> ChangeSet {
        while self.layers.len() > 1 {
            self.commit_layer();
        }
        self.layers.pop().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn layers_roll_back_and_commit() {
        let mut store = MemoryStore::new();
        store.put(b"a".to_vec(), b"base".to_vec());
        let mut s = State::new(&store);
        s.begin();
        s.put_raw(b"a".to_vec(), b"tx".to_vec());
        s.begin();
        s.delete(b"a".to_vec());
        assert_eq!(s.get_raw(b"a"), None);
        s.rollback();
        assert_eq!(s.get_raw(b"a"), Some(b"tx".to_vec()));
        s.commit_layer();
        s.put_raw(b"b".to_vec(), b"x".to_vec());
        let keys: Vec<_> = s.iter_prefix(b"").into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec()]);
        let changes = s.into_changes();
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn corrupt_value_is_an_error_not_a_panic() {
        let mut store = MemoryStore::new();
        store.put(b"k".to_vec(), vec![1, 2, 3]);
        let s = State::new(&store);
        assert!(matches!(
            s.get::<u64>(b"k"),
            Err(DispatchError::CorruptState { .. })
        ));
    }
}
