//! Typed accessors for the runtime's storage items, named as in the reference.
//!
//! | item | key | value |
//! |---|---|---|
//! | `System.Number` | – | u64 block number |
//! | `System.GenesisHash` | – | [u8; 32] |
//! | `System.Account` | account | [`AccountInfo`] |
//! | `Sudo.Key` | – | account |
//! | `Balances.TotalIssuance` | – | u64: Σ free + Σ `SubnetTAO` |
//! | `Balances.Burned` | – | u64 burned fees and dust |
//! | `Subtensor.Recycled` | – | u64 TAO recycled (removed from issuance) |
//! | `Subtensor.Netuids` | – | Vec<u16> of existing subnets |
//! | `Subtensor.<Hyperparam>` | netuid | u64 (see `hyperparams`) |
//! | `Subtensor.<GlobalParam>` | – | u64 |
//! | `Subtensor.<SubnetItem>` | netuid | u64 or account (`SubnetOwner`, `Burn`, `SubnetTAO`…) |
//! | `Subtensor.Keys` / `Uids` | netuid, uid / netuid, hotkey | hotkey / u16 |
//! | `Subtensor.<UidItem>` | netuid, uid | u64 / bool / rows (`LastUpdate`, `Weights`…) |
//! | `Subtensor.Owner` / `OwnedHotkeys` | hotkey / coldkey | coldkey / Vec<hotkey> |
//! | `Subtensor.Axons` / `Prometheus` / `WeightCommits` | netuid, hotkey | structs |

use tao_crypto::PublicKey;

use crate::codec::{Decode, Encode};
use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::state::{Key, State};
use crate::store::Hash;
use crate::types::AccountInfo;

/// Result alias for state access during dispatch.
pub type DResult<T> = Result<T, DispatchError>;

/// Key of a per-subnet hyperparameter.
pub fn hp_key(netuid: u16, p: Hyperparam) -> Vec<u8> {
    Key::item(&format!("Subtensor.{}", p.name()))
        .u16(netuid)
        .build()
}

/// Key of a chain-wide parameter.
pub fn global_key(p: GlobalParam) -> Vec<u8> {
    Key::item(&format!("Subtensor.{}", p.name())).build()
}

/// Key of the genesis override for a hyperparameter's new-subnet value.
pub fn subnet_default_key(p: Hyperparam) -> Vec<u8> {
    Key::item("Subtensor.SubnetDefault")
        .bytes(p.name().as_bytes())
        .build()
}

/// Key of a per-subnet item.
pub fn subnet_key(item: &str, netuid: u16) -> Vec<u8> {
    Key::item(item).u16(netuid).build()
}

/// Key of a per-uid item.
pub fn uid_key(item: &str, netuid: u16, uid: u16) -> Vec<u8> {
    Key::item(item).u16(netuid).u16(uid).build()
}

/// Key of a per-(netuid, hotkey) item.
pub fn hotkey_key(item: &str, netuid: u16, hotkey: &PublicKey) -> Vec<u8> {
    Key::item(item).u16(netuid).acc(hotkey).build()
}

/// Key of an account's `System.Account` entry.
pub fn account_key(who: &PublicKey) -> Vec<u8> {
    Key::item("System.Account").acc(who).build()
}

impl State<'_> {
    /// Current block number (`System.Number`).
    pub fn block_number(&self) -> DResult<u64> {
        self.get_or_default(&Key::item("System.Number").build())
    }

    /// Sets the block number.
    pub fn set_block_number(&mut self, n: u64) {
        self.put(Key::item("System.Number").build(), &n);
    }

    /// The genesis hash (chain identity).
    pub fn genesis_hash(&self) -> DResult<Hash> {
        self.get_or_default(&Key::item("System.GenesisHash").build())
    }

    /// Records the genesis hash.
    pub fn set_genesis_hash(&mut self, h: &Hash) {
        self.put(Key::item("System.GenesisHash").build(), h);
    }

    /// Nonce and free balance of `who`.
    pub fn account(&self, who: &PublicKey) -> DResult<AccountInfo> {
        self.get_or_default(&account_key(who))
    }

    /// Writes an account, deleting it when empty.
    pub fn set_account(&mut self, who: &PublicKey, info: AccountInfo) {
        if info == AccountInfo::default() {
            self.delete(account_key(who));
        } else {
            self.put(account_key(who), &info);
        }
    }

    /// The sudo key, if any.
    pub fn sudo_key(&self) -> DResult<Option<PublicKey>> {
        self.get(&Key::item("Sudo.Key").build())
    }

    /// Sets the sudo key.
    pub fn set_sudo_key(&mut self, key: &PublicKey) {
        self.put(Key::item("Sudo.Key").build(), key);
    }

    /// A chain-wide u64 counter (`Balances.TotalIssuance`, `Balances.Burned`, …).
    pub fn counter(&self, item: &str) -> DResult<u64> {
        self.get_or_default(&Key::item(item).build())
    }

    /// Adds to a chain-wide counter (saturating, as the reference's accumulators).
    pub fn add_counter(&mut self, item: &str, delta: u64) -> DResult<()> {
        let v = self.counter(item)?.saturating_add(delta);
        self.put(Key::item(item).build(), &v);
        Ok(())
    }

    /// Subtracts from a chain-wide counter (saturating).
    pub fn sub_counter(&mut self, item: &str, delta: u64) -> DResult<()> {
        let v = self.counter(item)?.saturating_sub(delta);
        self.put(Key::item(item).build(), &v);
        Ok(())
    }

    /// A hyperparameter of `netuid` (stored value or default).
    pub fn hp(&self, netuid: u16, p: Hyperparam) -> DResult<u64> {
        Ok(self.get(&hp_key(netuid, p))?.unwrap_or(p.default_value()))
    }

    /// Writes a hyperparameter.
    pub fn set_hp(&mut self, netuid: u16, p: Hyperparam, value: u64) {
        self.put(hp_key(netuid, p), &value);
    }

    /// A chain-wide parameter (stored value or default).
    pub fn global(&self, p: GlobalParam) -> DResult<u64> {
        Ok(self.get(&global_key(p))?.unwrap_or(p.default_value()))
    }

    /// Writes a chain-wide parameter.
    pub fn set_global(&mut self, p: GlobalParam, value: u64) {
        self.put(global_key(p), &value);
    }

    /// Existing subnets, ascending.
    pub fn netuids(&self) -> DResult<Vec<u16>> {
        self.get_or_default(&Key::item("Subtensor.Netuids").build())
    }

    /// Replaces the subnet list.
    pub fn set_netuids(&mut self, netuids: &Vec<u16>) {
        self.put(Key::item("Subtensor.Netuids").build(), netuids);
    }

    /// True when `netuid` exists.
    pub fn subnet_exists(&self, netuid: u16) -> DResult<bool> {
        Ok(self.netuids()?.binary_search(&netuid).is_ok())
    }

    /// A per-subnet value.
    pub fn subnet_get<T: Decode + Default>(&self, item: &str, netuid: u16) -> DResult<T> {
        self.get_or_default(&subnet_key(item, netuid))
    }

    /// Writes a per-subnet value.
    pub fn subnet_put<T: Encode>(&mut self, item: &str, netuid: u16, value: &T) {
        self.put(subnet_key(item, netuid), value);
    }

    /// A per-uid value.
    pub fn uid_get<T: Decode + Default>(&self, item: &str, netuid: u16, uid: u16) -> DResult<T> {
        self.get_or_default(&uid_key(item, netuid, uid))
    }

    /// Every uid's value of a per-uid item for uids `0..n` (`None` where unset): one prefix
    /// scan instead of `n` lookups, for whole-subnet reads such as the metagraph.
    pub fn uid_column<T: Decode>(
        &self,
        item: &str,
        netuid: u16,
        n: u16,
    ) -> DResult<Vec<Option<T>>> {
        let prefix = Key::item(item).u16(netuid).build();
        let mut column: Vec<Option<T>> = (0..n).map(|_| None).collect();
        for (key, value) in self.iter_prefix(&prefix) {
            let Some(uid) = key
                .get(prefix.len()..)
                .and_then(|suffix| <[u8; 2]>::try_from(suffix).ok())
                .map(u16::from_be_bytes)
            else {
                continue;
            };
            if let Some(slot) = column.get_mut(usize::from(uid)) {
                let decoded = T::decode(&value).map_err(|e| DispatchError::CorruptState {
                    key: String::from_utf8_lossy(&key).into_owned(),
                    reason: e.to_string(),
                })?;
                *slot = Some(decoded);
            }
        }
        Ok(column)
    }

    /// Writes a per-uid value.
    pub fn uid_put<T: Encode>(&mut self, item: &str, netuid: u16, uid: u16, value: &T) {
        self.put(uid_key(item, netuid, uid), value);
    }

    /// `SubnetworkN`: neurons on the subnet.
    pub fn subnetwork_n(&self, netuid: u16) -> DResult<u16> {
        self.subnet_get("Subtensor.SubnetworkN", netuid)
    }

    /// `Keys[netuid][uid]`.
    pub fn hotkey_of(&self, netuid: u16, uid: u16) -> DResult<Option<PublicKey>> {
        self.get(&uid_key("Subtensor.Keys", netuid, uid))
    }

    /// `Uids[netuid][hotkey]`.
    pub fn uid_of(&self, netuid: u16, hotkey: &PublicKey) -> DResult<Option<u16>> {
        self.get(&hotkey_key("Subtensor.Uids", netuid, hotkey))
    }

    /// `Owner[hotkey]`: the coldkey owning a hotkey.
    pub fn hotkey_owner(&self, hotkey: &PublicKey) -> DResult<Option<PublicKey>> {
        self.get(&Key::item("Subtensor.Owner").acc(hotkey).build())
    }

    /// `OwnedHotkeys[coldkey]`.
    pub fn owned_hotkeys(&self, coldkey: &PublicKey) -> DResult<Vec<PublicKey>> {
        self.get_or_default(&Key::item("Subtensor.OwnedHotkeys").acc(coldkey).build())
    }

    /// `create_account_if_non_existent`: records `coldkey` as owner of a new hotkey.
    pub fn create_account_if_non_existent(
        &mut self,
        coldkey: &PublicKey,
        hotkey: &PublicKey,
    ) -> DResult<()> {
        if self.hotkey_owner(hotkey)?.is_none() {
            self.put(Key::item("Subtensor.Owner").acc(hotkey).build(), coldkey);
            let mut owned = self.owned_hotkeys(coldkey)?;
            if !owned.contains(hotkey) {
                owned.push(*hotkey);
                self.put(
                    Key::item("Subtensor.OwnedHotkeys").acc(coldkey).build(),
                    &owned,
                );
            }
        }
        Ok(())
    }
}
