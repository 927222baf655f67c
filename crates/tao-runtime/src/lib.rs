//! tao-runtime: the chain's state machine. `apply_block(store, block)` executes signed
//! transactions (balances, subnets, neurons, weights, hyperparameters) against an ordered
//! key-value store and returns the change set, receipts and events; committing the change set
//! yields the Merkle state root.
//!
//! It owns state layout, the transaction format, validation and fees. It must not do I/O, read
//! a clock, spawn threads or use floats: every block's result is a pure function of the parent
//! state and the block. The economics are not computed here: the `coinbase`, `pool` and
//! `stake` modules load state into tao-econ's and tao-yuma's types, call them, and store
//! the results, so the chain and the reference-case checkers share one code path.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod balances;
pub mod call;
pub mod codec;
pub mod coinbase;
pub mod error;
pub mod genesis;
pub mod hyperparams;
pub mod neurons;
pub mod pool;
pub mod read;
pub mod runtime;
pub mod stake;
pub mod state;
pub mod storage;
pub mod store;
pub mod subnets;
pub mod tx;
pub mod types;
pub mod weights;

pub use call::Call;
pub use error::{BlockError, DispatchError, TxError};
pub use genesis::GenesisConfig;
pub use hyperparams::{GlobalParam, Hyperparam, Setter};
pub use runtime::{
    Block, BlockOutcome, Receipt, TxStatus, apply_block, apply_block_with, validate_decoded,
    validate_transaction,
};
pub use store::{ChangeSet, Hash, MemoryStore, Store};
pub use tx::Transaction;
pub use types::Event;
