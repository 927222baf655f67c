//! tao-econ: the pure economic arithmetic of the chain, bit-exact with subtensor.
//!
//! Owns: block emission with halving and the 21M cap ([`emission`]), the weighted
//! (balancer) pool and the staking swaps ([`pool`]), the per-block coinbase
//! ([`coinbase`]), the distribution of a drained epoch ([`distribution`]) and the
//! reference case format used to check all of them ([`case`]).
//!
//! Must not touch: storage, I/O, clocks or randomness. Every function takes plain state
//! structs and returns plain results, so the runtime and the case checker share one code
//! path. All arithmetic is integer or fixed point (the reference's own `I96F32`, `U96F32`,
//! `U64F64` types and its big-integer power), never floats.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod case;
pub mod coinbase;
pub mod distribution;
pub mod emission;
mod math;
pub mod pool;
mod pow;

/// The reference's fixed-point types, re-exported so callers build the same values.
pub use substrate_fixed::types::{I96F32, U64F64, U96F32};
