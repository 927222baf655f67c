//! tao-crypto: sr25519 keys, SS58 addresses, mnemonics, secret-URI derivation and
//! bittensor-compatible wallet keyfiles. It owns key material; it must not touch chain state,
//! the network or any clock.
//!
//! Everything follows Substrate (`sp-core`, `substrate-bip39`, schnorrkel with the `substrate`
//! signing context) and the bittensor-wallet 4.x keyfile format, so keys, addresses and
//! signatures are interchangeable with the Python SDK and btcli.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
pub mod keyfile;
mod keys;
pub mod ss58;
pub mod uri;
pub mod wallet;

pub use error::Error;
pub use keys::{AccountId, Pair, PublicKey, SIGNING_CONTEXT, Signature, verify_batch};
