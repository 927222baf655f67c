//! The epoch itself: subtensor's sparse `epoch_mechanism`, step for step, with the same
//! fixed-point types and order of operations (see the crate docs for the pseudo-code).
//!
//! Where the reference materialises an `n`-wide dense row or an `n × n` alpha matrix, this code
//! walks only the stored entries; every such shortcut computes the same numbers because the
//! skipped cells are exact zeros that the reference discards.

use std::cmp::Ordering;

use substrate_fixed::types::{I32F32, I64F64};

use crate::fixed::{
    LiquidAlpha, ONE, ZERO, add, checked_mul, from_u16, mul, normalize, normalize_using_sum,
    proportion_to_u16, safe_div_64, share_of, sub, u16_proportion, wrapping_sum,
};
use crate::sparse::{ColumnFold, Csr};
use crate::{EpochError, EpochInput, EpochOutput, validate};

/// Runs one Yuma Consensus epoch on `input` after [`validate`]-ing it.
pub fn run_epoch(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    validate(input)?;
    Ok(epoch(input))
}

/// The epoch proper; `input` must have passed [`validate`].
fn epoch(input: &EpochInput) -> EpochOutput {
    let n = usize::from(input.n);
    let owner = input.owner_uid.map(usize::from);

    // Activity.
    let active: Vec<bool> = input
        .last_update
        .iter()
        .map(|&updated| updated.saturating_add(input.activity_cutoff) >= input.current_block)
        .collect();

    // Stake: threshold filter (owner exempt), normalise in 64.64, narrow to 32.32.
    let stake = normalized_stake(input, owner);

    // Validator permits: stored ones (owner forced) gate weights; new ones are top-k by stake.
    let mut permit = input.validator_permit.clone();
    let mut new_permit = top_k_nonzero(&stake, usize::from(input.max_allowed_validators));
    if let Some(o) = owner {
        if let Some(p) = permit.get_mut(o) {
            *p = true;
        }
        if let Some(p) = new_permit.get_mut(o) {
            *p = true;
        }
    }

    // Active stake: stake of active, permitted uids, normalised.
    let mut active_stake: Vec<I32F32> = stake
        .iter()
        .zip(active.iter().zip(&permit))
        .map(|(&s, (&a, &p))| if a && p { s } else { ZERO })
        .collect();
    normalize(&mut active_stake);

    // Weights: permitted rows, no self-weight (except the owner's), no weights older than the
    // target's registration, uids < n; then row-normalised.
    let weights = masked_weights(input, &permit, owner);

    // Consensus, clipping, validator trust, incentive.
    let kappa = u16_proportion(input.kappa);
    let consensus = weighted_median_cols(&active_stake, &weights, n, kappa);
    let bonds_penalty = u16_proportion(input.bonds_penalty);
    let Clipped {
        weights_for_bonds,
        validator_trust,
        mut incentive,
    } = clip(weights, &consensus, &active_stake, bonds_penalty);
    normalize(&mut incentive);

    // Bonds and dividends.
    let last_tempo = if input.last_mechanism_step_block == 0 {
        input.current_block.saturating_sub(input.tempo)
    } else {
        input.last_mechanism_step_block.saturating_add(1)
    };
    let (ema_bonds, mut dividends) = if input.yuma3_enabled {
        yuma3_bonds(
            input,
            &weights_for_bonds,
            &consensus,
            &incentive,
            &active_stake,
            last_tempo,
        )
    } else {
        classic_bonds(
            input,
            weights_for_bonds,
            &incentive,
            &active_stake,
            last_tempo,
        )
    };
    normalize(&mut dividends);

    // Emission split.
    let combined: Vec<I32F32> = incentive
        .iter()
        .zip(&dividends)
        .map(|(i, d)| i.saturating_add(*d))
        .collect();
    let emission_sum = wrapping_sum(combined.iter().copied());
    let mut server = incentive.clone();
    let mut validator = dividends.clone();
    let mut combined_norm = combined;
    normalize_using_sum(&mut server, emission_sum);
    normalize_using_sum(&mut validator, emission_sum);
    normalize(&mut combined_norm);
    if emission_sum == ZERO {
        let fallback = if wrapping_sum(active_stake.iter().copied()) == ZERO {
            &stake
        } else {
            &active_stake
        };
        validator.clone_from(fallback);
        combined_norm.clone_from(fallback);
    }
    let rao = input.rao_emission;

    let to_u16 = |v: &[I32F32]| {
        v.iter()
            .map(|&x| proportion_to_u16(x))
            .collect::<Vec<u16>>()
    };
    let to_rao = |v: &[I32F32]| v.iter().map(|&x| share_of(x, rao)).collect::<Vec<u64>>();
    let bonds = (0..n)
        .map(|i| {
            if new_permit.get(i).copied().unwrap_or(false) {
                let (cols, vals) = ema_bonds.row(i);
                cols.iter()
                    .zip(vals)
                    .map(|(&j, &v)| (j, proportion_to_u16(v)))
                    .collect()
            } else {
                Vec::new()
            }
        })
        .collect();

    EpochOutput {
        active,
        stake_weight: to_u16(&stake),
        consensus: to_u16(&consensus),
        incentive: to_u16(&incentive),
        dividends: to_u16(&dividends),
        validator_trust: to_u16(&validator_trust),
        validator_permit: new_permit,
        server_emission: to_rao(&server),
        validator_emission: to_rao(&validator),
        emission: to_rao(&combined_norm),
        bonds,
    }
}

/// Threshold-filtered stake (owner exempt) normalised in 64.64 and narrowed to 32.32.
///
/// With every stake below 2^63 (the usual case) all 64.64 values are integers and their total
/// `T` fits in `u64`, so the reference's `floor(floor(s · 2^64 / T) / 2^32)` is computed as the
/// single integer division `floor(s · 2^32 / T)`; otherwise (a stake saturating 64.64) the
/// reference's fixed-point steps are followed as they are.
fn normalized_stake(input: &EpochInput, owner: Option<usize>) -> Vec<I32F32> {
    let limit = i64::MAX.unsigned_abs();
    let counted = |uid: usize, s: u64| owner == Some(uid) || s.min(limit) >= input.stake_threshold;
    if input.stake.iter().all(|&s| s <= limit) {
        let filtered: Vec<u64> = input
            .stake
            .iter()
            .enumerate()
            .map(|(uid, &s)| if counted(uid, s) { s } else { 0 })
            .collect();
        // Validated: the total is at most i64::MAX.
        let total = filtered.iter().fold(0u64, |acc, &s| acc.saturating_add(s));
        return filtered
            .iter()
            .map(|&s| {
                if total == 0 {
                    ZERO
                } else {
                    let q = (u128::from(s) << 32) / u128::from(total);
                    I32F32::from_bits(i64::try_from(q).unwrap_or(i64::MAX))
                }
            })
            .collect();
    }
    let mut filtered: Vec<I64F64> = input
        .stake
        .iter()
        .enumerate()
        .map(|(uid, &s)| {
            if counted(uid, s) {
                I64F64::saturating_from_num(s)
            } else {
                I64F64::from_bits(0)
            }
        })
        .collect();
    let total = I64F64::from_bits(
        filtered
            .iter()
            .fold(0i128, |acc, s| acc.wrapping_add(s.to_bits())),
    );
    if total != I64F64::from_bits(0) {
        for s in filtered.iter_mut() {
            *s = safe_div_64(*s, total);
        }
    }
    filtered
        .iter()
        .map(|&s| I32F32::saturating_from_num(s))
        .collect()
}

/// `is_topk_nonzero`: non-zero entries, minus the `len - k` smallest by a stable ascending sort
/// (so among equal values the lower index loses first); everything non-zero when `len < k`.
fn top_k_nonzero(values: &[I32F32], k: usize) -> Vec<bool> {
    let mut result: Vec<bool> = values.iter().map(|&v| v != ZERO).collect();
    let len = values.len();
    if len < k {
        return result;
    }
    // (value, index) pairs are distinct, so an unstable sort orders them as the stable one.
    let mut keyed: Vec<(I32F32, usize)> = values.iter().copied().zip(0..).collect();
    keyed.sort_unstable();
    for &(_, i) in keyed.iter().take(len - k) {
        if let Some(r) = result.get_mut(i) {
            *r = false;
        }
    }
    result
}

/// Stored weights after the permit, self-weight and outdated masks, row-normalised.
fn masked_weights(input: &EpochInput, permit: &[bool], owner: Option<usize>) -> Csr {
    let n = usize::from(input.n);
    let nnz: usize = input.weights.iter().map(Vec::len).sum();
    let mut w = Csr::with_capacity(n, nnz);
    for (i, row) in input.weights.iter().enumerate() {
        if permit.get(i).copied().unwrap_or(false) {
            let updated = input.last_update.get(i).copied().unwrap_or(0);
            for &(j, value) in row {
                let ju = usize::from(j);
                if ju >= n || (ju == i && owner != Some(i)) {
                    continue;
                }
                let registered = input.block_at_registration.get(ju).copied().unwrap_or(0);
                if updated <= registered {
                    continue;
                }
                w.push(j, from_u16(value));
            }
        }
        w.end_row_normalized();
    }
    w
}

/// Stake-weighted median of each column over validators with positive active stake
/// (`weighted_median_col_sparse`), missing entries counting as 0.
///
/// The reference finds it by quick-select with exact (integer) partial stake sums, which always
/// lands on the same value: the smallest score `v` whose cumulative stake `Σ_{score <= v}`
/// exceeds `minority = Σ stake − kappa`, or the largest score if none does. This computes that
/// value directly from each column's non-zero entries by a weighted selection.
fn weighted_median_cols(
    active_stake: &[I32F32],
    weights: &Csr,
    n: usize,
    kappa: I32F32,
) -> Vec<I32F32> {
    // Scores of normalised rows are at most 1, so `u64` keys fit unless a row sum wrapped.
    let narrow = active_stake.len() <= 1 << NarrowKey::VOTER_BITS
        && weights.max_bits() < 1i64 << (u64::BITS - NarrowKey::VOTER_BITS - 1);
    if narrow {
        weighted_median_keyed::<NarrowKey>(active_stake, weights, n, kappa)
    } else {
        weighted_median_keyed::<WideKey>(active_stake, weights, n, kappa)
    }
}

/// A sort key for one positive score in a column: orders by score, remembers the voter.
trait MedianKey: Ord + Copy + Default {
    /// The key of positive `score` cast by voter number `voter`.
    fn new(score: I32F32, voter: usize) -> Self;
    /// The score back.
    fn score(self) -> I32F32;
    /// The voter number back.
    fn voter(self) -> usize;
}

/// `score << 16 | voter` in 64 bits, for scores below 2^47 raw and at most 2^16 voters: the
/// common case, sorting as plain integers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct NarrowKey(u64);

impl NarrowKey {
    /// Bits holding the voter number.
    const VOTER_BITS: u32 = 16;
}

impl MedianKey for NarrowKey {
    #[inline]
    fn new(score: I32F32, voter: usize) -> Self {
        let score = u64::try_from(score.to_bits()).unwrap_or(0);
        let voter = u64::try_from(voter).unwrap_or(0) & ((1 << Self::VOTER_BITS) - 1);
        Self(score << Self::VOTER_BITS | voter)
    }

    #[inline]
    fn score(self) -> I32F32 {
        I32F32::from_bits(i64::try_from(self.0 >> Self::VOTER_BITS).unwrap_or(0))
    }

    #[inline]
    fn voter(self) -> usize {
        usize::try_from(self.0 & ((1 << Self::VOTER_BITS) - 1)).unwrap_or(usize::MAX)
    }
}

/// `(score, voter)` for any positive score and voter count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct WideKey(i64, usize);

impl MedianKey for WideKey {
    fn new(score: I32F32, voter: usize) -> Self {
        Self(score.to_bits(), voter)
    }

    fn score(self) -> I32F32 {
        I32F32::from_bits(self.0)
    }

    fn voter(self) -> usize {
        self.1
    }
}

/// [`weighted_median_cols`] with the column entries ordered as `K` keys.
fn weighted_median_keyed<K: MedianKey>(
    active_stake: &[I32F32],
    weights: &Csr,
    n: usize,
    kappa: I32F32,
) -> Vec<I32F32> {
    // Positive stakes, re-normalised.
    let mut use_stake: Vec<I32F32> = active_stake.iter().copied().filter(|&s| s > ZERO).collect();
    normalize(&mut use_stake);
    let voters = use_stake.len();
    let mut median = vec![ZERO; n];
    if voters == 0 {
        return median;
    }
    let stake_sum = wrapping_sum(use_stake.iter().copied()).to_bits();
    let minority = I32F32::from_bits(stake_sum).saturating_sub(kappa).to_bits();

    // Transpose the voters' positive entries into per-column key lists, a block of columns at a
    // time so that the keys being written and sorted stay in cache; rows are sorted by column,
    // so each voter's cursor only moves forward.
    let mut cursors: Vec<(usize, usize)> = active_stake
        .iter()
        .enumerate()
        .filter(|&(_, &s)| s > ZERO)
        .map(|(i, _)| {
            let range = weights.row_range(i);
            (range.start, range.end)
        })
        .collect();
    let (cols, vals) = weights.entries();
    let stake_of = |key: K| use_stake.get(key.voter()).map_or(0, |s| s.to_bits());
    let mut counts = [0usize; MEDIAN_BLOCK + 1];
    let mut fill = [0usize; MEDIAN_BLOCK];
    let mut keys: Vec<K> = Vec::new();
    for (block, medians) in median.chunks_mut(MEDIAN_BLOCK).enumerate() {
        let block_start = block * MEDIAN_BLOCK;
        let block_end = block_start + medians.len();
        counts.fill(0);
        for &(start, end) in &cursors {
            for (&j, &w) in cols
                .get(start..end)
                .unwrap_or(&[])
                .iter()
                .zip(vals.get(start..end).unwrap_or(&[]))
            {
                if usize::from(j) >= block_end {
                    break;
                }
                if w > ZERO
                    && let Some(c) = counts.get_mut(usize::from(j) - block_start + 1)
                {
                    *c += 1;
                }
            }
        }
        for c in 0..MEDIAN_BLOCK {
            let prev = counts.get(c).copied().unwrap_or(0);
            if let Some(next) = counts.get_mut(c + 1) {
                *next += prev;
            }
        }
        if let Some(f) = counts.get(..MEDIAN_BLOCK) {
            fill.copy_from_slice(f);
        }
        keys.clear();
        keys.resize(counts.get(MEDIAN_BLOCK).copied().unwrap_or(0), K::default());
        for (voter, (start, end)) in cursors.iter_mut().enumerate() {
            for (&j, &w) in cols
                .get(*start..*end)
                .unwrap_or(&[])
                .iter()
                .zip(vals.get(*start..*end).unwrap_or(&[]))
            {
                if usize::from(j) >= block_end {
                    break;
                }
                if w > ZERO
                    && let Some(pos) = fill.get_mut(usize::from(j) - block_start)
                {
                    if let Some(e) = keys.get_mut(*pos) {
                        *e = K::new(w, voter);
                    }
                    *pos += 1;
                }
                *start += 1;
            }
        }

        for (c, med) in medians.iter_mut().enumerate() {
            let start = counts.get(c).copied().unwrap_or(0);
            let end = counts.get(c + 1).copied().unwrap_or(start);
            if let Some(column) = keys.get_mut(start..end) {
                *med = column_median(column, voters, stake_sum, minority, stake_of);
            }
        }
    }
    median
}

/// Columns per block of [`weighted_median_keyed`]'s transpose.
const MEDIAN_BLOCK: usize = 32;

/// One column's weighted median from the keys of its positive scores (reordered here); voters
/// without a key score 0.
fn column_median<K: MedianKey>(
    column: &mut [K],
    voters: usize,
    stake_sum: i64,
    minority: i64,
    stake_of: impl Fn(K) -> i64,
) -> I32F32 {
    let mut target = minority;
    if column.len() < voters {
        let positive_stake = column.iter().fold(0i64, |acc, &key| acc + stake_of(key));
        let zeros = stake_sum - positive_stake;
        if zeros > minority {
            return ZERO;
        }
        target = minority - zeros;
    }
    // The first key (in score order) whose cumulative stake exceeds the minority lies in the
    // first score group doing so, so its score is the median; with no crossing the reference
    // ends on the largest score.
    match first_crossing(column, target, &stake_of) {
        Some(key) => key.score(),
        None => column.iter().max().map_or(ZERO, |key| key.score()),
    }
}

/// The smallest of the distinct `keys` whose cumulative stake (over the keys up to and including
/// it) exceeds `target`, by weighted quick-select (median-of-three pivots; short or stubborn
/// ranges are sorted and scanned instead, so the worst case stays `O(len log len)`).
fn first_crossing<K: MedianKey>(
    keys: &mut [K],
    mut target: i64,
    stake_of: &impl Fn(K) -> i64,
) -> Option<K> {
    let (mut lo, mut hi) = (0, keys.len());
    for round in 0..=SELECT_ROUNDS_MAX {
        let part = keys.get_mut(lo..hi)?;
        if part.len() <= SELECT_SORT_MAX || round >= SELECT_ROUNDS_MAX {
            part.sort_unstable();
            let mut cumulative = 0i64;
            for &key in part.iter() {
                cumulative += stake_of(key);
                if cumulative > target {
                    return Some(key);
                }
            }
            return None;
        }
        let last = part.len() - 1;
        let mid = part.len() / 2;
        let (x, y, z) = (part.first()?, part.get(mid)?, part.get(last)?);
        let pivot_at = if (x < y) == (y < z) {
            mid
        } else if (y < x) == (x < z) {
            0
        } else {
            last
        };
        part.swap(pivot_at, last);
        let pivot = *part.get(last)?;
        let mut below_count = 0;
        let mut below = 0i64;
        for idx in 0..last {
            if let Some(&key) = part.get(idx)
                && key < pivot
            {
                part.swap(below_count, idx);
                below += stake_of(key);
                below_count += 1;
            }
        }
        part.swap(below_count, last);
        if below > target {
            hi = lo + below_count;
        } else if below + stake_of(pivot) > target {
            return Some(pivot);
        } else {
            target -= below + stake_of(pivot);
            lo += below_count + 1;
        }
    }
    None
}

/// Ranges up to this length are sorted and scanned rather than partitioned.
const SELECT_SORT_MAX: usize = 24;

/// Partition rounds after which the remaining range is sorted (guards against inputs that
/// defeat median-of-three pivots).
const SELECT_ROUNDS_MAX: usize = 48;

/// What the clipping pass yields.
struct Clipped {
    /// `W_b = W + bonds_penalty · (W̄ − W)`: the weights the bonds follow.
    weights_for_bonds: Csr,
    /// `Σ_j W̄_ij` per row, wrapping (`row_sum_sparse`).
    validator_trust: Vec<I32F32>,
    /// `Σ_i A_i · W̄_ij` per column, saturating, before normalisation (`matmul_sparse`).
    incentive: Vec<I32F32>,
}

/// Clips the weights at consensus (`col_clip_sparse`: `W̄ = min(w, c)`, dropping entries whose
/// weight exceeds a consensus of 0) and takes validator trust and raw incentive from `W̄`; in
/// the same pass turns the weights, in place, into the weights for bonds (`interpolate_sparse`:
/// `w + ratio · (w̄ − w)` keeping positive results, with `w̄ = 0` for dropped entries; `W`
/// itself for `ratio == 0` and `W̄`, zeros included, for `ratio == 1`).
fn clip(mut weights: Csr, consensus: &[I32F32], active_stake: &[I32F32], ratio: I32F32) -> Clipped {
    let mut validator_trust = vec![ZERO; weights.rows()];
    let mut incentive = vec![ZERO; consensus.len()];
    let mut row_sum = 0i64;
    let mut row = usize::MAX;
    let mut a = ZERO;
    weights.retain_map(|i, j, w| {
        if i != row {
            if let Some(t) = validator_trust.get_mut(row) {
                *t = I32F32::from_bits(row_sum);
            }
            row = i;
            row_sum = 0;
            a = active_stake.get(i).copied().unwrap_or(ZERO);
        }
        let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
        let kept = c >= w || c > ZERO;
        let clipped = if kept { c.min(w) } else { ZERO };
        if kept {
            row_sum = row_sum.wrapping_add(clipped.to_bits());
            if let Some(r) = incentive.get_mut(usize::from(j)) {
                *r = add(*r, mul(a, clipped));
            }
        }
        if ratio == ZERO {
            Some(w)
        } else if ratio == ONE {
            kept.then_some(clipped)
        } else {
            let interp = add(w, mul(ratio, sub(clipped, w)));
            (interp > ZERO).then_some(interp)
        }
    });
    if let Some(t) = validator_trust.get_mut(row) {
        *t = I32F32::from_bits(row_sum);
    }
    Clipped {
        weights_for_bonds: weights,
        validator_trust,
        incentive,
    }
}

/// Stored bonds with pairs to uids `>= n` and to uids registered since the last epoch dropped,
/// each value mapped by `convert`.
fn load_bonds(input: &EpochInput, last_tempo: u64, convert: impl Fn(u16) -> I32F32) -> Csr {
    let n = usize::from(input.n);
    let nnz: usize = input.bonds.iter().map(Vec::len).sum();
    let mut b = Csr::with_capacity(n, nnz);
    for row in &input.bonds {
        for &(j, value) in row {
            let Some(&registered) = input.block_at_registration.get(usize::from(j)) else {
                continue;
            };
            if last_tempo > registered {
                b.push(j, convert(value));
            }
        }
        b.end_row();
    }
    b
}

/// `alpha · new + (1 − alpha) · old` over the union of both rows, keeping positive values
/// (`mat_ema_sparse`).
fn ema(new: &Csr, old: &Csr, alpha: I32F32) -> Csr {
    let one_minus_alpha = ONE.saturating_sub(alpha);
    let mut out = Csr::with_capacity(new.rows(), new.nnz().max(old.nnz()));
    for i in 0..new.rows() {
        let (ncols, nvals) = new.row(i);
        let (ocols, ovals) = old.row(i);
        let (mut a, mut b) = (0, 0);
        loop {
            let order = match (ncols.get(a), ocols.get(b)) {
                (None, None) => break,
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
            };
            let mut acc = ZERO;
            let mut j = 0;
            if order != Ordering::Greater {
                j = ncols.get(a).copied().unwrap_or(0);
                let v = nvals.get(a).copied().unwrap_or(ZERO);
                acc = add(acc, mul(alpha, v));
                a += 1;
            }
            if order != Ordering::Less {
                j = ocols.get(b).copied().unwrap_or(0);
                let v = ovals.get(b).copied().unwrap_or(ZERO);
                acc = add(acc, mul(one_minus_alpha, v));
                b += 1;
            }
            if acc > ZERO {
                out.push(j, acc);
            }
        }
        out.end_row();
    }
    out
}

/// Liquid-alpha EMA (`mat_ema_alpha_sparse` with `compute_liquid_alpha_values_sparse`): only
/// pairs present in the weights-for-bonds row survive, each with its own alpha. The alphas of a
/// block of whole rows are evaluated together (see [`LiquidAlpha::alphas`]) before the EMA.
fn ema_liquid(new: &Csr, old: &Csr, consensus: &[I32F32], la: &LiquidAlpha) -> Csr {
    /// Entries gathered per block: enough to fill the alpha lanes, few enough to stay in cache.
    const BLOCK: usize = 1024;
    let mut out = Csr::with_capacity(new.rows(), new.nnz());
    let mut bonds = Vec::with_capacity(BLOCK.min(new.nnz()));
    let mut alphas = Vec::with_capacity(BLOCK.min(new.nnz()));
    let mut first = 0;
    for i in 0..new.rows() {
        let (ncols, nvals) = new.row(i);
        let (ocols, ovals) = old.row(i);
        let mut b = 0;
        for (&j, &w) in ncols.iter().zip(nvals) {
            while ocols.get(b).is_some_and(|&oj| oj < j) {
                b += 1;
            }
            // A missing bond is 0, whose decayed part `(1 − alpha) · 0` is 0 as well.
            let bond = if ocols.get(b) == Some(&j) {
                ovals.get(b).copied().unwrap_or(ZERO)
            } else {
                ZERO
            };
            let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
            bonds.push(bond);
            alphas.push(LiquidAlpha::diff(c, w, bond));
        }
        if alphas.len() < BLOCK && i + 1 < new.rows() {
            continue;
        }
        la.alphas(&mut alphas);
        let mut entries = bonds.iter().zip(&alphas);
        for r in first..=i {
            let (ncols, nvals) = new.row(r);
            for (&j, &w) in ncols.iter().zip(nvals) {
                let Some((&bond, &alpha)) = entries.next() else {
                    break;
                };
                let decayed = mul(ONE.saturating_sub(alpha), bond);
                let inc = mul(alpha, w).max(ZERO);
                let val = add(decayed, inc).min(ONE);
                if val > ZERO {
                    out.push(j, val);
                }
            }
            out.end_row();
        }
        bonds.clear();
        alphas.clear();
        first = i + 1;
    }
    out
}

/// Yuma3 bonds (proportions, EMA towards weights-for-bonds, liquid alpha optional) and the
/// un-normalised dividends `(Σ_j B̂_ij · I_j) · A_i`.
fn yuma3_bonds(
    input: &EpochInput,
    weights_for_bonds: &Csr,
    consensus: &[I32F32],
    incentive: &[I32F32],
    active_stake: &[I32F32],
    last_tempo: u64,
) -> (Csr, Vec<I32F32>) {
    let n = usize::from(input.n);
    let bonds = load_bonds(input, last_tempo, u16_proportion);
    let liquid = input.liquid_alpha_enabled && consensus.iter().any(|&c| c != ZERO);
    let ema_bonds = if liquid {
        let la = LiquidAlpha::new(
            u16_proportion(input.alpha_low),
            u16_proportion(input.alpha_high),
            I32F32::from_num(input.alpha_sigmoid_steepness),
        );
        ema_liquid(weights_for_bonds, &bonds, consensus, &la)
    } else {
        ema(
            weights_for_bonds,
            &bonds,
            moving_average_alpha(input.bonds_moving_average),
        )
    };
    // Dividends from the column-normalised bonds, divided on the fly.
    let mut sums = ColumnFold::new(n);
    let (cols, vals) = ema_bonds.entries();
    for (&j, &b) in cols.iter().zip(vals) {
        sums.add(j, b);
    }
    let divisors = sums.divisors();
    let dividends = (0..n)
        .map(|i| {
            let (cols, vals) = ema_bonds.row(i);
            let per_validator = wrapping_sum(cols.iter().zip(vals).map(|(&j, &b)| {
                mul(
                    divisors.divide(j, b),
                    incentive.get(usize::from(j)).copied().unwrap_or(ZERO),
                )
            }));
            let a = active_stake.get(i).copied().unwrap_or(ZERO);
            checked_mul(per_validator, a).unwrap_or(ZERO)
        })
        .collect();
    (ema_bonds, dividends)
}

/// Classic (Yuma2) bonds: column-normalised stake-weighted EMA, and dividends `Σ_j B_ij · I_j`.
/// The returned bonds are column max-upscaled for storage.
///
/// The reference's ten passes (load, normalise the stored bonds, scale the weights by stake,
/// normalise them, merge, normalise, dividends, max-upscale) run as four: sums of both inputs,
/// the merge dividing on the fly, normalisation with dividends and maxima, and the upscale.
fn classic_bonds(
    input: &EpochInput,
    weights_for_bonds: Csr,
    incentive: &[I32F32],
    active_stake: &[I32F32],
    last_tempo: u64,
) -> (Csr, Vec<I32F32>) {
    let n = usize::from(input.n);
    let alpha = moving_average_alpha(input.bonds_moving_average);
    let one_minus_alpha = ONE.saturating_sub(alpha);

    // Stored bonds and the bonds delta `W_b ∘ A`, with their column sums.
    let bonds = load_bonds(input, last_tempo, from_u16);
    let mut bond_sums = ColumnFold::new(n);
    let (bcols, bvals) = bonds.entries();
    for (&j, &v) in bcols.iter().zip(bvals) {
        bond_sums.add(j, v);
    }
    let mut delta = weights_for_bonds;
    let mut delta_sums = ColumnFold::new(n);
    for (i, &a) in active_stake.iter().enumerate() {
        let (cols, vals) = delta.row_mut(i);
        for (&j, v) in cols.iter().zip(vals.iter_mut()) {
            *v = mul(*v, a);
            delta_sums.add(j, *v);
        }
    }
    let bond_div = bond_sums.divisors();
    let delta_div = delta_sums.divisors();

    // EMA of the normalised delta and bonds over the union of both rows, positive values kept.
    let mut ema_bonds = Csr::with_capacity(n, delta.nnz().max(bonds.nnz()));
    let mut ema_sums = ColumnFold::new(n);
    for i in 0..n {
        let brange = bonds.row_range(i);
        let (ncols, nvals) = delta.row(i);
        let (ocols, ovals) = (
            bcols.get(brange.clone()).unwrap_or(&[]),
            bvals.get(brange).unwrap_or(&[]),
        );
        let (mut a, mut b) = (0, 0);
        loop {
            let (j, acc) = match (ncols.get(a), ocols.get(b)) {
                (None, None) => break,
                (Some(&x), Some(&y)) if x == y => {
                    let d = delta_div.divide(x, nvals.get(a).copied().unwrap_or(ZERO));
                    let o = bond_div.divide(y, ovals.get(b).copied().unwrap_or(ZERO));
                    a += 1;
                    b += 1;
                    (x, add(mul(alpha, d), mul(one_minus_alpha, o)))
                }
                (Some(&x), Some(&y)) if x > y => {
                    let o = bond_div.divide(y, ovals.get(b).copied().unwrap_or(ZERO));
                    b += 1;
                    (y, mul(one_minus_alpha, o))
                }
                (Some(&x), _) => {
                    let d = delta_div.divide(x, nvals.get(a).copied().unwrap_or(ZERO));
                    a += 1;
                    (x, mul(alpha, d))
                }
                (None, Some(&y)) => {
                    let o = bond_div.divide(y, ovals.get(b).copied().unwrap_or(ZERO));
                    b += 1;
                    (y, mul(one_minus_alpha, o))
                }
            };
            if acc > ZERO {
                ema_bonds.push(j, acc);
                ema_sums.add(j, acc);
            }
        }
        ema_bonds.end_row();
    }

    // Column-normalise, dividends, column maxima.
    let ema_div = ema_sums.divisors();
    let mut maxes = ColumnFold::new(n);
    let mut dividends = vec![ZERO; n];
    for (i, dividend) in dividends.iter_mut().enumerate() {
        let range = ema_bonds.row_range(i);
        let (cols, vals) = ema_bonds.entries_mut();
        let (Some(cols), Some(vals)) = (cols.get(range.clone()), vals.get_mut(range)) else {
            continue;
        };
        let mut acc = ZERO;
        for (&j, v) in cols.iter().zip(vals.iter_mut()) {
            *v = ema_div.divide(j, *v);
            maxes.max(j, *v);
            let inc = incentive.get(usize::from(j)).copied().unwrap_or(ZERO);
            acc = add(acc, mul(inc, *v));
        }
        *dividend = acc;
    }
    ema_bonds.divide_cols(&maxes.divisors());
    (ema_bonds, dividends)
}

/// The fixed EMA alpha `1 − bonds_moving_average / 10^6`.
fn moving_average_alpha(bonds_moving_average: u64) -> I32F32 {
    let retention = safe_div_64(
        I64F64::saturating_from_num(bonds_moving_average),
        I64F64::saturating_from_num(1_000_000u64),
    );
    ONE.saturating_sub(I32F32::saturating_from_num(retention))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    /// The reference's quick-select, kept here only to check the closed form against it.
    fn quickselect(stake: &[I32F32], score: &[I32F32], minority: I32F32, total: I32F32) -> I32F32 {
        let mut part: Vec<usize> = (0..stake.len()).collect();
        let (mut lo, mut hi) = (ZERO, total);
        loop {
            match part.len() {
                0 => return ZERO,
                1 => return score[part[0]],
                len => {
                    let pivot = score[part[len / 2]];
                    let (mut lower, mut upper) = (vec![], vec![]);
                    let (mut ls, mut hs) = (ZERO, ZERO);
                    for &i in &part {
                        if score[i] < pivot {
                            ls = ls.saturating_add(stake[i]);
                            lower.push(i);
                        } else if score[i] > pivot {
                            hs = hs.saturating_add(stake[i]);
                            upper.push(i);
                        }
                    }
                    if minority < lo.saturating_add(ls) && !lower.is_empty() {
                        hi = lo.saturating_add(ls);
                        part = lower;
                    } else if hi.saturating_sub(hs) <= minority && !upper.is_empty() {
                        lo = hi.saturating_sub(hs);
                        part = upper;
                    } else {
                        return pivot;
                    }
                }
            }
        }
    }

    #[test]
    fn stake_normalisation_follows_the_reference_on_both_paths() {
        let mut input = crate::synthetic::generate(&crate::synthetic::Scenario {
            n: 4,
            validators: 2,
            density_permille: 1000,
            yuma3_liquid: false,
            seed: 5,
        });
        let third = I32F32::from_bits((1i64 << 32) / 3);
        for (stake, expected) in [
            (vec![u64::MAX, 0, 0, 0], vec![ONE, ZERO, ZERO, ZERO]),
            (vec![i64::MAX as u64, 0, 0, 0], vec![ONE, ZERO, ZERO, ZERO]),
            (vec![1, 1, 1, 0], vec![third, third, third, ZERO]),
            (vec![0, 0, 0, 0], vec![ZERO; 4]),
        ] {
            input.stake = stake;
            assert!(validate(&input).is_ok());
            assert_eq!(normalized_stake(&input, None), expected);
        }
    }

    proptest::proptest! {
        #[test]
        fn closed_form_median_equals_quickselect(
            (n, rows) in (1usize..3 * MEDIAN_BLOCK).prop_flat_map(|n| (
                proptest::strategy::Just(n),
                proptest::collection::vec(
                    (0u64..1000, proptest::collection::vec(0u16..6, n)), 1..80),
            )),
            kappa in 0u16..=u16::MAX,
        ) {
            let mut stake: Vec<I32F32> = rows.iter().map(|(s, _)| I32F32::from_num(*s)).collect();
            normalize(&mut stake);
            let mut w = Csr::with_capacity(rows.len(), rows.len() * n);
            for (_, r) in &rows {
                for (j, &v) in r.iter().enumerate() {
                    if v != 5 {
                        w.push(j as u16, I32F32::from_num(v));
                    }
                }
                w.end_row();
            }
            let kappa = u16_proportion(kappa);
            let narrow = weighted_median_keyed::<NarrowKey>(&stake, &w, n, kappa);
            let wide = weighted_median_keyed::<WideKey>(&stake, &w, n, kappa);
            proptest::prop_assert_eq!(&narrow, &wide);
            proptest::prop_assert_eq!(&narrow, &weighted_median_cols(&stake, &w, n, kappa));
            let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|&s| s > ZERO).collect();
            normalize(&mut use_stake);
            let total = wrapping_sum(use_stake.iter().copied());
            for (j, &fast_j) in narrow.iter().enumerate() {
                let score: Vec<I32F32> = (0..rows.len())
                    .filter(|&i| stake[i] > ZERO)
                    .map(|i| {
                        let (c, v) = w.row(i);
                        c.iter().position(|&x| usize::from(x) == j).map_or(ZERO, |p| v[p])
                    })
                    .collect();
                let slow = quickselect(&use_stake, &score, total.saturating_sub(kappa), total);
                proptest::prop_assert_eq!(fast_j, slow, "column {}", j);
            }
        }
    }
}
