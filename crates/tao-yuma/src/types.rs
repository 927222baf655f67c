//! The epoch's inputs and outputs, and the JSON test-case layout (`/work/shared/yuma/FORMAT.md`).
//!
//! Field names and units are the reference's: u16 proportions of 65535, RAO as `u64`, stored
//! weights and bonds as sparse rows of `(uid, u16)` pairs sorted by uid.

use serde::{Deserialize, Serialize};

/// One stored sparse row: `(uid, value)` pairs, sorted by `uid`, values as stored on chain.
pub type SparseRow = Vec<(u16, u16)>;

/// The chain state one epoch of one subnet reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochInput {
    /// Number of uids in the subnet; uids are `0..n`.
    pub n: u16,
    /// Block at which the epoch runs.
    pub current_block: u64,
    /// Subnet tempo in blocks.
    pub tempo: u64,
    /// Block of the previous successful epoch, `0` when none is recorded.
    pub last_mechanism_step_block: u64,
    /// Blocks after its last weight update during which a uid counts as active.
    pub activity_cutoff: u64,
    /// Consensus majority ratio as a proportion of 65535.
    pub kappa: u16,
    /// Bonds EMA retention in parts per million.
    pub bonds_moving_average: u64,
    /// How far bonds follow clipped rather than raw weights, proportion of 65535.
    pub bonds_penalty: u16,
    /// Number of validator permits handed out (top-k by stake).
    pub max_allowed_validators: u16,
    /// Minimum stake (RAO) for a uid's stake to count; the owner uid is exempt.
    pub stake_threshold: u64,
    /// Liquid alpha on/off (only effective with `yuma3_enabled`).
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha lower bound, proportion of 65535.
    pub alpha_low: u16,
    /// Liquid alpha upper bound, proportion of 65535.
    pub alpha_high: u16,
    /// Liquid alpha sigmoid steepness.
    pub alpha_sigmoid_steepness: i16,
    /// Yuma3 bonds and dividends on/off.
    pub yuma3_enabled: bool,
    /// Uid of the subnet owner's hotkey, if registered.
    pub owner_uid: Option<u16>,
    /// Commit-reveal flag. The input carries no commits, so the commit mask removes nothing,
    /// exactly as on the reference chain when no commit is pending.
    pub commit_reveal_enabled: bool,
    /// Emission (RAO) this epoch distributes.
    pub rao_emission: u64,
    /// Stake weight of each uid in RAO.
    pub stake: Vec<u64>,
    /// Block at which each uid last set weights.
    pub last_update: Vec<u64>,
    /// Block at which each uid was most recently registered.
    pub block_at_registration: Vec<u64>,
    /// Validator permits as stored before this epoch.
    pub validator_permit: Vec<bool>,
    /// Stored weights rows (row max-upscaled u16 values).
    pub weights: Vec<SparseRow>,
    /// Stored bonds rows before this epoch.
    pub bonds: Vec<SparseRow>,
}

/// Everything one epoch writes, per uid (index = uid).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochOutput {
    /// Activity flags.
    pub active: Vec<bool>,
    /// Normalized, threshold-filtered stake as u16 proportions.
    pub stake_weight: Vec<u16>,
    /// Stake-weighted median weight per uid.
    pub consensus: Vec<u16>,
    /// Normalized rank: the miners' incentive.
    pub incentive: Vec<u16>,
    /// Normalized dividends.
    pub dividends: Vec<u16>,
    /// Sum of each validator's clipped, normalized weights.
    pub validator_trust: Vec<u16>,
    /// Validator permits after this epoch.
    pub validator_permit: Vec<bool>,
    /// RAO paid to each uid as a miner.
    pub server_emission: Vec<u64>,
    /// RAO paid to each uid as a validator.
    pub validator_emission: Vec<u64>,
    /// Combined emission stored for each uid (RAO), from normalized incentive + dividends.
    pub emission: Vec<u64>,
    /// Stored bonds row of every uid after the epoch (empty without a new permit).
    pub bonds: Vec<SparseRow>,
}

/// One test case file: the input state and the reference's outputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Case identifier (file name without `.json`).
    pub name: String,
    /// What the case exercises.
    #[serde(default)]
    pub description: String,
    /// Reference chain commit the expected values come from.
    #[serde(default)]
    pub reference_commit: String,
    /// The state the epoch reads.
    pub input: EpochInput,
    /// What the reference epoch writes.
    pub expected: EpochOutput,
}
