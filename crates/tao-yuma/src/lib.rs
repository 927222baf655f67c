//! tao-yuma: the Yuma Consensus epoch as a pure function `EpochInput -> EpochOutput`,
//! bit-exact with subtensor's sparse `epoch_mechanism` (commit 14bc6f9f). It owns the epoch
//! math only; it must not touch storage, the network, files or clocks, and never uses floats.
//! An [`EpochRunner`] may split one epoch over as many threads as its caller grants: they are
//! started with the runner, and the results are the same on any number of them.
//!
//! Types are the reference's: stake normalised in `I64F64`, everything else in `I32F32`
//! (`substrate-fixed` 0.6.0), emissions in `I96F32`. One epoch, for `n` uids:
//!
//! ```text
//! active_i      = last_update_i + activity_cutoff >= current_block
//! S             = normalize64(stake with stake_i < stake_threshold zeroed, owner exempt) as I32F32
//! permit        = stored validator_permit, owner forced true
//! new_permit    = top-k non-zero S (k = max_allowed_validators; stable ascending sort), owner forced
//! A             = normalize(S masked by !active and !permit)
//! W             = stored weights: rows of permitted uids only, j < n, no i == j (owner's kept),
//!                 no (i, j) with last_update_i <= block_at_registration_j; rows normalised
//! C_j           = stake-weighted median of column j over uids with A_i > 0, kappa = kappa/65535
//! W̄_ij          = min(W_ij, C_j), dropping entries clipped to a zero consensus
//! VT_i          = Σ_j W̄_ij
//! I             = normalize(Σ_i A_i · W̄_ij)                      (incentive)
//! W_b           = W + bonds_penalty · (W̄ − W), positive entries   (weights for bonds)
//! B             = stored bonds without j registered at/after last_tempo
//! yuma3:   B' = liquid ? per-entry alpha_sigmoid EMA over W_b's pairs : α·W_b + (1−α)·B
//!          D  = normalize((Σ_j colnorm(B')_ij · I_j) · A_i); store B' · 65535
//! classic: B' = colnorm(α · colnorm(W_b ∘ A) + (1−α) · colnorm(B));  α = 1 − bma/10^6
//!          D  = normalize(Σ_j B'_ij · I_j); store col-max-upscaled B' · 65535
//! emission: server = I/Σ(I+D)·E, validator = D/Σ(I+D)·E, combined = normalize(I+D)·E;
//!           if Σ(I+D) == 0, validator = combined = A (or S when A is all zero)
//! ```
//!
//! Inputs are checked by [`validate`] first; any input it accepts runs without panicking.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod check;
mod epoch;
mod error;
mod fixed;
mod parallel;
mod sparse;
pub mod synthetic;
mod types;
mod validate;

pub use check::{Mismatch, compare};
pub use epoch::{EpochRunner, run_epoch};
pub use error::EpochError;
pub use types::{BondRows, Case, EpochInput, EpochOutput, SparseRow};
pub use validate::{MAX_BONDS_MOVING_AVERAGE, validate};
