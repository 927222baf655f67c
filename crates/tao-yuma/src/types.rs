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
    pub bonds: BondRows,
}

/// Sparse rows held in one allocation rather than one per row (an epoch writes a row per
/// uid); in JSON, a list of rows like `Vec<SparseRow>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BondRows {
    /// Row `i` is `pairs[offsets[i]..offsets[i + 1]]`; starts with 0.
    offsets: Vec<usize>,
    /// Every row's pairs, row after row.
    pairs: Vec<(u16, u16)>,
}

impl BondRows {
    /// No rows, with room for `rows` rows and `pairs` pairs in all.
    pub(crate) fn with_capacity(rows: usize, pairs: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            pairs: Vec::with_capacity(pairs),
        }
    }

    /// Appends a row.
    pub(crate) fn push_row(&mut self, pairs: impl IntoIterator<Item = (u16, u16)>) {
        self.pairs.extend(pairs);
        self.offsets.push(self.pairs.len());
    }

    /// Appends the rows of `other`.
    pub(crate) fn append(&mut self, other: &Self) {
        let base = self.pairs.len();
        self.pairs.extend_from_slice(&other.pairs);
        self.offsets
            .extend(other.offsets.iter().skip(1).map(|&end| base + end));
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i` (empty beyond the last row).
    pub fn row(&self, i: usize) -> &[(u16, u16)] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => self.pairs.get(start..end).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The rows in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[(u16, u16)]> {
        (0..self.len()).map(|i| self.row(i))
    }
}

impl Default for BondRows {
    fn default() -> Self {
        Self::with_capacity(0, 0)
    }
}

impl From<Vec<SparseRow>> for BondRows {
    fn from(rows: Vec<SparseRow>) -> Self {
        let mut out = Self::with_capacity(rows.len(), rows.iter().map(Vec::len).sum());
        for row in rows {
            out.push_row(row);
        }
        out
    }
}

impl Serialize for BondRows {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for BondRows {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<SparseRow>::deserialize(deserializer).map(Self::from)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bond_rows_read_and_write_json_as_a_list_of_rows() {
        let rows: Vec<SparseRow> = vec![vec![(1, 7), (4, 65535)], vec![], vec![(0, 3)]];
        let flat = BondRows::from(rows.clone());
        assert_eq!(flat.len(), 3);
        assert_eq!(flat.row(0), [(1, 7), (4, 65535)]);
        assert!(flat.row(1).is_empty() && flat.row(3).is_empty());
        let json = serde_json::to_string(&flat).unwrap();
        assert_eq!(json, serde_json::to_string(&rows).unwrap());
        assert_eq!(serde_json::from_str::<BondRows>(&json).unwrap(), flat);

        let mut joined = BondRows::from(rows[..1].to_vec());
        joined.append(&BondRows::from(rows[1..].to_vec()));
        assert_eq!(joined, flat);
        assert_eq!(BondRows::default(), BondRows::from(Vec::new()));
    }
}
