//! The epoch itself: subtensor's sparse `epoch_mechanism`, step for step, with the same
//! fixed-point types and order of operations (see the crate docs for the pseudo-code).
//!
//! Where the reference materialises an `n`-wide dense row or an `n × n` alpha matrix, this code
//! walks only the stored entries; every such shortcut computes the same numbers because the
//! skipped cells are exact zeros that the reference discards.

use std::borrow::Cow;
use std::cmp::Ordering;

use substrate_fixed::types::{I32F32, I64F64};

use crate::fixed::{
    LiquidAlpha, ONE, ZERO, normalize, normalize_using_sum, proportion_to_u16, safe_div_64,
    share_of, u16_proportion, wrapping_sum,
};
use crate::sparse::Csr;
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
    let mut filtered: Vec<I64F64> = input
        .stake
        .iter()
        .enumerate()
        .map(|(uid, &s)| {
            let s = I64F64::saturating_from_num(s);
            if owner != Some(uid) && s.saturating_to_num::<u64>() < input.stake_threshold {
                I64F64::from_bits(0)
            } else {
                s
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
    let stake: Vec<I32F32> = filtered
        .iter()
        .map(|&s| I32F32::saturating_from_num(s))
        .collect();

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
    let clipped = clip(&weights, &consensus);
    let validator_trust = clipped.row_sums();
    let mut incentive = vec![ZERO; n];
    for (i, &a) in active_stake.iter().enumerate() {
        let (cols, vals) = clipped.row(i);
        for (&j, &w) in cols.iter().zip(vals) {
            if let Some(r) = incentive.get_mut(usize::from(j)) {
                *r = r.saturating_add(a.saturating_mul(w));
            }
        }
    }
    normalize(&mut incentive);

    // Bonds and dividends.
    let bonds_penalty = u16_proportion(input.bonds_penalty);
    let weights_for_bonds = interpolate(&weights, &clipped, bonds_penalty);
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
            &weights_for_bonds,
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

/// `is_topk_nonzero`: non-zero entries, minus the `len - k` smallest by a stable ascending sort
/// (so among equal values the lower index loses first); everything non-zero when `len < k`.
fn top_k_nonzero(values: &[I32F32], k: usize) -> Vec<bool> {
    let mut result: Vec<bool> = values.iter().map(|&v| v != ZERO).collect();
    let len = values.len();
    if len < k {
        return result;
    }
    let mut idxs: Vec<usize> = (0..len).collect();
    idxs.sort_by_key(|&i| values.get(i).copied().unwrap_or(ZERO));
    for &i in idxs.iter().take(len - k) {
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
                w.push(j, I32F32::from_num(value));
            }
        }
        w.end_row();
    }
    w.row_normalize();
    w
}

/// Stake-weighted median of each column over validators with positive active stake
/// (`weighted_median_col_sparse`), missing entries counting as 0.
///
/// The reference finds it by quick-select with exact (integer) partial stake sums, which always
/// lands on the same value: the smallest score `v` whose cumulative stake `Σ_{score <= v}`
/// exceeds `minority = Σ stake − kappa`, or the largest score if none does. This computes that
/// value directly from each column's sorted non-zero entries.
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

/// [`weighted_median_cols`] with the column entries sorted as `K` keys.
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

    // Transpose the voters' positive entries into per-column key lists.
    let mut counts = vec![0usize; n + 1];
    for (i, &s) in active_stake.iter().enumerate() {
        if s > ZERO {
            let (cols, vals) = weights.row(i);
            for (&j, &w) in cols.iter().zip(vals) {
                if w > ZERO
                    && let Some(c) = counts.get_mut(usize::from(j) + 1)
                {
                    *c += 1;
                }
            }
        }
    }
    for j in 0..n {
        let prev = counts.get(j).copied().unwrap_or(0);
        if let Some(c) = counts.get_mut(j + 1) {
            *c += prev;
        }
    }
    let mut fill = counts.clone();
    let mut keys: Vec<K> = vec![K::default(); counts.get(n).copied().unwrap_or(0)];
    let mut voter = 0usize;
    for (i, &s) in active_stake.iter().enumerate() {
        if s > ZERO {
            let (cols, vals) = weights.row(i);
            for (&j, &w) in cols.iter().zip(vals) {
                if w > ZERO
                    && let Some(pos) = fill.get_mut(usize::from(j))
                {
                    if let Some(e) = keys.get_mut(*pos) {
                        *e = K::new(w, voter);
                    }
                    *pos += 1;
                }
            }
            voter += 1;
        }
    }

    let stake_of = |key: K| use_stake.get(key.voter()).map_or(0, |s| s.to_bits());
    for (j, med) in median.iter_mut().enumerate() {
        let start = counts.get(j).copied().unwrap_or(0);
        let end = counts.get(j + 1).copied().unwrap_or(start);
        let Some(column) = keys.get_mut(start..end) else {
            continue;
        };
        column.sort_unstable();
        let mut cumulative: i64 = 0;
        if column.len() < voters {
            // Voters without a positive entry score 0.
            let positive_stake = column.iter().fold(0i64, |acc, &key| acc + stake_of(key));
            cumulative = stake_sum - positive_stake;
            if cumulative > minority {
                continue;
            }
        }
        // With no crossing the reference ends on the largest score.
        let mut result = ZERO;
        let mut idx = 0;
        while let Some(&key) = column.get(idx) {
            let score = key.score();
            while let Some(&k2) = column.get(idx)
                && k2.score() == score
            {
                cumulative += stake_of(k2);
                idx += 1;
            }
            result = score;
            if cumulative > minority {
                break;
            }
        }
        *med = result;
    }
    median
}

/// Weights clipped at consensus (`col_clip_sparse`): `min(w, c)`, dropping entries whose
/// weight exceeds a consensus of 0.
fn clip(weights: &Csr, consensus: &[I32F32]) -> Csr {
    let mut out = Csr::with_capacity(weights.rows(), weights.nnz());
    for i in 0..weights.rows() {
        let (cols, vals) = weights.row(i);
        for (&j, &w) in cols.iter().zip(vals) {
            let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
            if c < w {
                if c > ZERO {
                    out.push(j, c);
                }
            } else {
                out.push(j, w);
            }
        }
        out.end_row();
    }
    out
}

/// `weights + ratio · (clipped − weights)` keeping positive results (`interpolate_sparse`);
/// `ratio == 0` returns the weights and `ratio == 1` the clipped weights unchanged.
fn interpolate<'a>(weights: &'a Csr, clipped: &'a Csr, ratio: I32F32) -> Cow<'a, Csr> {
    if ratio == ZERO {
        return Cow::Borrowed(weights);
    }
    if ratio == ONE {
        return Cow::Borrowed(clipped);
    }
    let mut out = Csr::with_capacity(weights.rows(), weights.nnz());
    for i in 0..weights.rows() {
        let (cols, vals) = weights.row(i);
        let (ccols, cvals) = clipped.row(i);
        let mut c = 0;
        for (&j, &w) in cols.iter().zip(vals) {
            // The clipped row is a sub-sequence of the weights row.
            let mut v2 = ZERO;
            if ccols.get(c) == Some(&j) {
                v2 = cvals.get(c).copied().unwrap_or(ZERO);
                c += 1;
            }
            let interp = w.saturating_add(ratio.saturating_mul(v2.saturating_sub(w)));
            if interp > ZERO {
                out.push(j, interp);
            }
        }
        out.end_row();
    }
    Cow::Owned(out)
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
                acc = acc.saturating_add(alpha.saturating_mul(v));
                a += 1;
            }
            if order != Ordering::Less {
                j = ocols.get(b).copied().unwrap_or(0);
                let v = ovals.get(b).copied().unwrap_or(ZERO);
                acc = acc.saturating_add(one_minus_alpha.saturating_mul(v));
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
/// pairs present in the weights-for-bonds row survive, each with its own alpha.
fn ema_liquid(new: &Csr, old: &Csr, consensus: &[I32F32], la: &LiquidAlpha) -> Csr {
    let mut out = Csr::with_capacity(new.rows(), new.nnz());
    for i in 0..new.rows() {
        let (ncols, nvals) = new.row(i);
        let (ocols, ovals) = old.row(i);
        let mut b = 0;
        for (&j, &w) in ncols.iter().zip(nvals) {
            while ocols.get(b).is_some_and(|&oj| oj < j) {
                b += 1;
            }
            let (bond, decayed_from) = if ocols.get(b) == Some(&j) {
                (ovals.get(b).copied().unwrap_or(ZERO), true)
            } else {
                (ZERO, false)
            };
            let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
            let alpha = la.alpha(c, w, bond);
            let decayed = if decayed_from {
                ONE.saturating_sub(alpha).saturating_mul(bond)
            } else {
                ZERO
            };
            let inc = alpha.saturating_mul(w).max(ZERO);
            let val = decayed.saturating_add(inc).min(ONE);
            if val > ZERO {
                out.push(j, val);
            }
        }
        out.end_row();
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
    let mut normalized = ema_bonds.clone();
    normalized.col_normalize(n);
    let dividends = (0..n)
        .map(|i| {
            let (cols, vals) = normalized.row(i);
            let per_validator = wrapping_sum(cols.iter().zip(vals).map(|(&j, &b)| {
                b.saturating_mul(incentive.get(usize::from(j)).copied().unwrap_or(ZERO))
            }));
            let a = active_stake.get(i).copied().unwrap_or(ZERO);
            per_validator.checked_mul(a).unwrap_or(ZERO)
        })
        .collect();
    (ema_bonds, dividends)
}

/// Classic (Yuma2) bonds: column-normalised stake-weighted EMA, and dividends `Σ_j B_ij · I_j`.
/// The returned bonds are column max-upscaled for storage.
fn classic_bonds(
    input: &EpochInput,
    weights_for_bonds: &Csr,
    incentive: &[I32F32],
    active_stake: &[I32F32],
    last_tempo: u64,
) -> (Csr, Vec<I32F32>) {
    let n = usize::from(input.n);
    let mut bonds = load_bonds(input, last_tempo, I32F32::from_num);
    bonds.col_normalize(n);
    let mut delta = weights_for_bonds
        .map_rows(|i, v| v.saturating_mul(active_stake.get(i).copied().unwrap_or(ZERO)));
    delta.col_normalize(n);
    let mut ema_bonds = ema(
        &delta,
        &bonds,
        moving_average_alpha(input.bonds_moving_average),
    );
    ema_bonds.col_normalize(n);
    let dividends = (0..n)
        .map(|i| {
            let (cols, vals) = ema_bonds.row(i);
            cols.iter().zip(vals).fold(ZERO, |acc, (&j, &b)| {
                let inc = incentive.get(usize::from(j)).copied().unwrap_or(ZERO);
                acc.saturating_add(inc.saturating_mul(b))
            })
        })
        .collect();
    ema_bonds.col_max_upscale(n);
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

    proptest::proptest! {
        #[test]
        fn closed_form_median_equals_quickselect(
            rows in proptest::collection::vec(
                (1u64..1000, proptest::collection::vec(0u16..6, 3)), 1..12),
            kappa in 0u16..=u16::MAX,
        ) {
            let n = 3;
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
