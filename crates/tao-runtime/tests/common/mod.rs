//! Test chain: a dev genesis in memory, helpers to sign, submit and advance blocks.
#![allow(dead_code)]

pub use tao_crypto::{Pair, PublicKey};
use tao_runtime::codec::Encode;
use tao_runtime::storage::hp_key;
use tao_runtime::{
    Block, Call, DispatchError, GenesisConfig, Hash, Hyperparam, MemoryStore, Receipt, Store,
    Transaction, TxStatus, apply_block, read,
};

pub struct Chain {
    pub store: MemoryStore,
    pub genesis: Hash,
    pub author: Option<PublicKey>,
}

pub fn pair(uri: &str) -> Pair {
    Pair::from_uri(uri).unwrap()
}

pub fn alice() -> Pair {
    pair("//Alice")
}
pub fn bob() -> Pair {
    pair("//Bob")
}
pub fn charlie() -> Pair {
    pair("//Charlie")
}

impl Chain {
    pub fn dev() -> Self {
        let (store, genesis) = GenesisConfig::dev().unwrap().build_memory().unwrap();
        Chain {
            store,
            genesis,
            author: None,
        }
    }

    pub fn number(&self) -> u64 {
        read::block_number(&self.store).unwrap()
    }

    pub fn nonce(&self, who: &PublicKey) -> u64 {
        read::account(&self.store, who).unwrap().nonce
    }

    pub fn free(&self, who: &PublicKey) -> u64 {
        read::account(&self.store, who).unwrap().free
    }

    pub fn root(&mut self) -> Hash {
        self.store.root()
    }

    pub fn sign(&self, signer: &Pair, call: Call) -> Vec<u8> {
        let nonce = self.nonce(&signer.public());
        Transaction::sign(signer, self.genesis, nonce, 0, call).encode()
    }

    /// Applies one block with the given raw transactions and commits it.
    pub fn block(&mut self, txs: Vec<Vec<u8>>) -> Vec<Receipt> {
        let block = Block {
            number: self.number() + 1,
            author: self.author,
            transactions: txs,
        };
        let out = apply_block(&self.store, &block).unwrap();
        self.store.commit(out.changes);
        out.receipts
    }

    /// Submits one call in its own block and returns its receipt.
    pub fn submit(&mut self, signer: &Pair, call: Call) -> Receipt {
        let tx = self.sign(signer, call);
        self.block(vec![tx]).remove(0)
    }

    /// Submits and expects success.
    pub fn ok(&mut self, signer: &Pair, call: Call) -> Receipt {
        let r = self.submit(signer, call);
        assert_eq!(r.status, TxStatus::Applied, "{r:?}");
        r
    }

    /// Submits and returns the dispatch error.
    pub fn err(&mut self, signer: &Pair, call: Call) -> DispatchError {
        match self.submit(signer, call).status {
            TxStatus::Failed(e) => e,
            other => panic!("expected a failed call, got {other:?}"),
        }
    }

    /// Produces `n` empty blocks.
    pub fn advance(&mut self, n: u64) {
        for _ in 0..n {
            self.block(vec![]);
        }
    }

    /// Writes a hyperparameter directly (for parameters without a setter).
    pub fn force_hp(&mut self, netuid: u16, p: Hyperparam, value: u64) {
        self.store.put(hp_key(netuid, p), value.encode());
    }

    /// Writes a raw storage value directly.
    pub fn force<T: Encode>(&mut self, key: Vec<u8>, value: &T) {
        self.store.put(key, value.encode());
    }

    /// Root sets a hyperparameter.
    pub fn sudo_hp(&mut self, netuid: u16, param: Hyperparam, value: u64) {
        self.ok(
            &alice(),
            Call::SudoSetHyperparameter {
                netuid,
                param,
                value,
            },
        );
    }

    /// `owner` creates a subnet with `hotkey` as owner hotkey; returns its netuid.
    pub fn new_subnet(&mut self, owner: &Pair, hotkey: &PublicKey) -> u16 {
        let r = self.ok(owner, Call::RegisterNetwork { hotkey: *hotkey });
        r.events
            .iter()
            .find_map(|e| match e {
                tao_runtime::Event::NetworkAdded { netuid, .. } => Some(*netuid),
                _ => None,
            })
            .unwrap()
    }

    /// Registers `hotkey` (owned by `coldkey`) on `netuid`; returns the uid.
    pub fn register(&mut self, coldkey: &Pair, netuid: u16, hotkey: &PublicKey) -> u16 {
        let r = self.ok(
            coldkey,
            Call::BurnedRegister {
                netuid,
                hotkey: *hotkey,
            },
        );
        r.events
            .iter()
            .find_map(|e| match e {
                tao_runtime::Event::NeuronRegistered { uid, .. } => Some(*uid),
                _ => None,
            })
            .unwrap()
    }
}
