//! The epoch itself: subtensor's sparse `epoch_mechanism`, step for step, with the same
//! fixed-point types and order of operations (see the crate docs for the pseudo-code).
//!
//! Where the reference materialises an `n`-wide dense row or an `n × n` alpha matrix, this code
//! walks only the stored entries; every such shortcut computes the same numbers because the
//! skipped cells are exact zeros that the reference discards.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::ops::Range;

use substrate_fixed::types::{I32F32, I64F64};

use crate::fixed::{
    Divisor, LiquidAlpha, ONE, ZERO, add, checked_mul, mul, mul_unit, normalize, proportion_to_u16,
    safe_div_64, share_of, sub, u16_proportion, unit_to_u16, wrapping_sum,
};
use crate::parallel;
use crate::sparse::{
    ColumnDivisors, ColumnFold, Csr, ROW_SUM_WRAPS, RowBlocks, Spare, divisors_of,
};
use crate::validate::{check_rows, validate_split};
use crate::{BondRows, EpochError, EpochInput, EpochOutput, validate};

/// Runs one Yuma Consensus epoch on `input` after [`validate`]-ing it, on this thread.
pub fn run_epoch(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    EpochRunner::new(1).run(input)
}

/// Runs epochs on up to a given number of threads, and keeps the working memory of one epoch
/// for the next (memory already mapped costs no page faults). The threads are started once,
/// with the runner, and sleep between epochs; results are the same on any number of them.
#[derive(Debug)]
pub struct EpochRunner {
    /// The threads large epochs run on (none when given one thread, or when none could be
    /// started: then every epoch runs on the caller's thread).
    pool: Option<rayon_core::ThreadPool>,
    /// The memory of the last epoch, which the next one writes into.
    spare: Spare,
}

impl EpochRunner {
    /// A runner using at most `threads` threads.
    pub fn new(threads: usize) -> Self {
        let pool = (threads > 1)
            .then(|| {
                rayon_core::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("tao-yuma-{i}"))
                    .build()
                    .ok()
            })
            .flatten();
        Self {
            pool,
            spare: Spare::default(),
        }
    }

    /// [`run_epoch`], split over the runner's threads where the subnet is large enough to
    /// repay handing work to them.
    pub fn run(&mut self, input: &EpochInput) -> Result<EpochOutput, EpochError> {
        let entries = input.weights.iter().chain(&input.bonds).map(Vec::len).sum();
        let threads = self.pool.as_ref().map_or(1, |p| p.current_num_threads());
        let parts = parallel::blocks_for(entries, usize::from(input.n), threads);
        let spare = &mut self.spare;
        match &self.pool {
            Some(pool) if parts > 1 => pool.install(|| {
                // The rows are checked in blocks too, balanced by their pairs.
                let rows = input.weights.iter().chain(&input.bonds);
                let lengths: Vec<usize> = rows.map(Vec::len).collect();
                validate_split(input, |checks| {
                    let weight = |c: usize| lengths.get(c).map_or(0, |len| len + 1);
                    let blocks = parallel::split(checks.len(), parts, weight);
                    parallel::map(blocks, |block| check_rows(input, block))
                })?;
                Ok(epoch(input, parts, spare))
            }),
            _ => {
                validate(input)?;
                Ok(epoch(input, parts, spare))
            }
        }
    }
}

/// The epoch proper, its row-wise passes split into `parts` blocks of rows (and the medians into
/// as many blocks of columns); `input` must have passed [`validate`]. Its matrices are built in
/// the memory of `spare` ones and left there when done.
fn epoch(input: &EpochInput, parts: usize, spare: &mut Spare) -> EpochOutput {
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
    // target's registration, uids < n; then row-normalised. Row blocks balance the weights and
    // bonds between threads. With at most 2^15 uids no row sum of weights wraps, so every weight
    // is non-negative, and so is every term summed per column across blocks (incentive, delta,
    // stored and EMA bonds). Saturating addition of non-negative terms yields min(total, max)
    // in any order, so the blocks' sums equal the reference's sequential ones.
    let parts = if n <= 1 << 15 { parts } else { 1 };
    let row_entries = |i: usize| {
        input.weights.get(i).map_or(0, Vec::len) + input.bonds.get(i).map_or(0, Vec::len)
    };
    let ranges: Vec<_> = parallel::split(n, parts, row_entries)
        .into_iter()
        .map(|rows| (rows, spare.matrix()))
        .collect();
    // Classic bonds also need the column sums of the stored bonds.
    let classic = !input.yuma3_enabled;
    let mut bond_sums = Vec::with_capacity(ranges.len());
    let mut weights = Vec::with_capacity(ranges.len());
    let mut normalized = true;
    for (start, (w, rows_normalized), sums) in parallel::map(ranges, |(rows, buffer)| {
        let sums = classic.then(|| stored_bond_sums(input, rows.clone()));
        (
            rows.start,
            masked_weights(input, rows, &permit, owner, buffer),
            sums,
        )
    }) {
        weights.push((start, w));
        normalized &= rows_normalized;
        bond_sums.extend(sums);
    }
    let bond_sums = ColumnFold::total(if classic { n } else { 0 }, bond_sums);
    let weights = RowBlocks::new(weights);
    // Weights are never negative, and at most 1 where every row was normalised.
    let max_weight = if normalized {
        ONE.to_bits()
    } else {
        weights.max_bits()
    };

    // Consensus, clipping, validator trust, incentive.
    let kappa = u16_proportion(input.kappa);
    let consensus = weighted_median_cols(&active_stake, &weights, n, max_weight, kappa, parts);
    let bonds_penalty = u16_proportion(input.bonds_penalty);
    let unit = |x: &I32F32| (0..=ONE.to_bits()).contains(&x.to_bits());
    let unit = max_weight <= ONE.to_bits() && active_stake.iter().all(unit);
    let clipped = parallel::map(weights.into_blocks(), |(start, w)| {
        let stake = active_stake.get(start..).unwrap_or(&[]);
        (
            start,
            clip(w, &consensus, stake, bonds_penalty, classic, unit),
        )
    });
    let mut validator_trust = Vec::with_capacity(n);
    let mut incentive: Option<Vec<I32F32>> = None;
    let mut delta_sums = Vec::with_capacity(clipped.len());
    let mut weights_for_bonds = Vec::with_capacity(clipped.len());
    for (start, part) in clipped {
        validator_trust.extend(part.validator_trust);
        match incentive.as_mut() {
            None => incentive = Some(part.incentive),
            Some(total) => {
                for (sum, x) in total.iter_mut().zip(part.incentive) {
                    *sum = add(*sum, x);
                }
            }
        }
        delta_sums.extend(part.delta_sums);
        weights_for_bonds.push((start, part.weights_for_bonds));
    }
    let delta_sums = classic.then(|| ColumnFold::total(n, delta_sums));
    let weights_for_bonds = RowBlocks::new(weights_for_bonds);
    let mut incentive = incentive.unwrap_or_else(|| vec![ZERO; n]);
    normalize(&mut incentive);

    // Bonds and dividends.
    let (bonds, mut dividends) = match delta_sums {
        None => yuma3_bonds(
            input,
            &weights_for_bonds,
            &consensus,
            &incentive,
            &active_stake,
            &new_permit,
            spare,
        ),
        Some(delta_sums) => classic_bonds(
            input,
            &weights_for_bonds,
            &delta_sums,
            &bond_sums,
            &incentive,
            &new_permit,
            spare,
        ),
    };
    spare.keep(weights_for_bonds.into_blocks().into_iter().map(|(_, m)| m));
    normalize(&mut dividends);

    // Emission split: incentive, dividends and their sums, each divided by the total of those
    // sums (the reference normalises the sums by that same total).
    let emission_sum = wrapping_sum(
        incentive
            .iter()
            .zip(&dividends)
            .map(|(i, d)| i.saturating_add(*d)),
    );
    let rao = input.rao_emission;
    let to_rao = |v: &[I32F32]| v.iter().map(|&x| share_of(x, rao)).collect::<Vec<u64>>();
    let (server_emission, validator_emission, emission) = if emission_sum == ZERO {
        let fallback = if wrapping_sum(active_stake.iter().copied()) == ZERO {
            &stake
        } else {
            &active_stake
        };
        (to_rao(&incentive), to_rao(fallback), to_rao(fallback))
    } else {
        let total = Divisor::new(emission_sum);
        let mut server = Vec::with_capacity(n);
        let mut validator = Vec::with_capacity(n);
        let mut combined = Vec::with_capacity(n);
        for (&i, &d) in incentive.iter().zip(&dividends) {
            server.push(share_of(total.safe_div(i), rao));
            validator.push(share_of(total.safe_div(d), rao));
            combined.push(share_of(total.safe_div(i.saturating_add(d)), rao));
        }
        (server, validator, combined)
    };

    let to_u16 = |v: &[I32F32]| {
        v.iter()
            .map(|&x| proportion_to_u16(x))
            .collect::<Vec<u16>>()
    };
    EpochOutput {
        active,
        stake_weight: to_u16(&stake),
        consensus: to_u16(&consensus),
        incentive: to_u16(&incentive),
        dividends: to_u16(&dividends),
        validator_trust: to_u16(&validator_trust),
        validator_permit: new_permit,
        server_emission,
        validator_emission,
        emission,
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
    let len = values.len();
    if len < k {
        return values.iter().map(|&v| v != ZERO).collect();
    }
    // The `k` largest (value, index) pairs, which are distinct, are the ones the sort leaves
    // last; a min-heap of them changes only for values above its least.
    let mut largest: BinaryHeap<Reverse<(i64, usize)>> = BinaryHeap::with_capacity(k);
    for (i, v) in values.iter().enumerate() {
        let key = (v.to_bits(), i);
        if largest.len() < k {
            largest.push(Reverse(key));
        } else if let Some(mut least) = largest.peek_mut()
            && key > least.0
        {
            *least = Reverse(key);
        }
    }
    let mut result = vec![false; len];
    for Reverse((_, i)) in largest {
        if let (Some(r), Some(&v)) = (result.get_mut(i), values.get(i)) {
            *r = v != ZERO;
        }
    }
    result
}

/// Stored weights of `rows` after the permit, self-weight and outdated masks, row-normalised;
/// and whether every row could be normalised (see [`Csr::end_row_normalized`]).
fn masked_weights(
    input: &EpochInput,
    rows: Range<usize>,
    permit: &[bool],
    owner: Option<usize>,
    buffer: Csr,
) -> (Csr, bool) {
    let stored = input.weights.get(rows.clone()).unwrap_or(&[]);
    let nnz: usize = stored.iter().map(Vec::len).sum();
    let registered = &input.block_at_registration;
    let latest_registration = registered.iter().copied().max().unwrap_or(0);
    let mut w = Csr::reusing(buffer, stored.len(), nnz);
    let mut largest_sum = 0;
    for (i, row) in rows.zip(stored) {
        if !permit.get(i).copied().unwrap_or(false) {
            w.end_row();
            continue;
        }
        let updated = input.last_update.get(i).copied().unwrap_or(0);
        // The owner keeps its self-weight; uids >= n have no registration block.
        let own = if owner == Some(i) { usize::MAX } else { i };
        let mut sum = 0u64;
        if updated > latest_registration {
            // Set after every registration: no weight is outdated, so the row keeps its pairs
            // below `n` (a prefix, rows being sorted) but its own.
            let below_n = row.partition_point(|&(j, _)| usize::from(j) < registered.len());
            let kept = row.get(..below_n).unwrap_or(&[]);
            let parts = match kept.binary_search_by_key(&own, |&(j, _)| usize::from(j)) {
                Ok(at) => [
                    kept.get(..at).unwrap_or(&[]),
                    kept.get(at + 1..).unwrap_or(&[]),
                ],
                Err(_) => [kept, &[]],
            };
            sum = parts
                .iter()
                .flat_map(|part| part.iter())
                .map(|&(_, v)| u64::from(v))
                .sum();
            w.push_row_normalized(parts, sum);
        } else {
            for &(j, value) in row {
                let ju = usize::from(j);
                if ju != own && registered.get(ju).is_some_and(|&r| updated > r) {
                    w.push(j, I32F32::from_bits(i64::from(value)));
                    sum += u64::from(value);
                }
            }
            w.end_row_normalized(sum);
        }
        largest_sum = largest_sum.max(sum);
    }
    (w, largest_sum < ROW_SUM_WRAPS)
}

/// Stake-weighted median of each column over validators with positive active stake
/// (`weighted_median_col_sparse`), missing entries counting as 0.
///
/// The reference finds it by quick-select with exact (integer) partial stake sums, which always
/// lands on the same value: the smallest score `v` whose cumulative stake `Σ_{score <= v}`
/// exceeds `minority = Σ stake − kappa`, or the largest score if none does. This computes that
/// value directly from each column's non-zero entries by a weighted selection.
///
/// The columns are split into `parts` ranges, each on a thread of its own; `max_weight` bounds
/// the raw weights.
fn weighted_median_cols(
    active_stake: &[I32F32],
    weights: &RowBlocks,
    n: usize,
    max_weight: i64,
    kappa: I32F32,
    parts: usize,
) -> Vec<I32F32> {
    // Scores of normalised rows are at most 1, so `u64` keys fit unless a row sum wrapped.
    let narrow = active_stake.len() <= 1 << NarrowKey::VOTER_BITS
        && max_weight < 1i64 << (u64::BITS - NarrowKey::VOTER_BITS - 1);
    let columns = parallel::split(n, parts, |_| 1);
    let counted = MEDIAN_COUNTED_KEYS_MAX;
    parallel::map(columns, |columns| {
        if narrow {
            weighted_median_keyed::<NarrowKey>(active_stake, weights, columns, kappa, counted)
        } else {
            weighted_median_keyed::<WideKey>(active_stake, weights, columns, kappa, counted)
        }
    })
    .concat()
}

/// A sort key for one positive score in a column: orders by score, remembers the voter.
trait MedianKey: Ord + Copy + Default {
    /// The key of positive `score` cast by voter number `voter`.
    fn new(score: I32F32, voter: usize) -> Self;
    /// The score back.
    fn score(self) -> I32F32;
    /// The voter number back.
    fn voter(self) -> usize;
    /// A number ordered as the keys are (ties allowed), for bucketing.
    fn rank(self) -> u64;
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

    #[inline]
    fn rank(self) -> u64 {
        self.0
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

    fn rank(self) -> u64 {
        // Scores are positive.
        self.0.unsigned_abs()
    }
}

/// [`weighted_median_cols`] of the `columns`, with the column entries ordered as `K` keys;
/// sparse columns holding at most `counted_keys_max` keys in all are transposed in one pass.
fn weighted_median_keyed<K: MedianKey>(
    active_stake: &[I32F32],
    weights: &RowBlocks,
    columns: Range<usize>,
    kappa: I32F32,
    counted_keys_max: usize,
) -> Vec<I32F32> {
    // Positive stakes, re-normalised.
    let mut use_stake: Vec<I32F32> = active_stake.iter().copied().filter(|&s| s > ZERO).collect();
    normalize(&mut use_stake);
    let voters = use_stake.len();
    let mut median = vec![ZERO; columns.len()];
    if voters == 0 {
        return median;
    }
    let stake_sum = wrapping_sum(use_stake.iter().copied()).to_bits();
    let mut buckets = [0; SELECT_BUCKETS_MAX];
    let minority = I32F32::from_bits(stake_sum).saturating_sub(kappa).to_bits();

    // Transpose the voters' positive entries into per-column key lists, a block of columns at a
    // time so that the keys being written and sorted stay in cache: each column of the block
    // has a slot for every voter. Rows are sorted by column, so each voter's row only shrinks
    // from the front.
    let mut rows: Vec<(&[u16], &[I32F32])> = active_stake
        .iter()
        .enumerate()
        .filter(|&(_, &s)| s > ZERO)
        .map(|(i, _)| {
            let (cols, vals) = weights.row(i);
            let skip = cols.partition_point(|&j| usize::from(j) < columns.start);
            (
                cols.get(skip..).unwrap_or(&[]),
                vals.get(skip..).unwrap_or(&[]),
            )
        })
        .collect();
    let stake_of = |key: K| use_stake.get(key.voter()).map_or(0, |s| s.to_bits());
    let filled: usize = rows
        .iter()
        .map(|(cols, _)| cols.partition_point(|&j| usize::from(j) < columns.end))
        .sum();
    // Few keys: every column at once, its keys counted first and then placed, so that each
    // voter's row is walked once rather than once per block of columns.
    if filled <= counted_keys_max && filled * 2 < voters * columns.len() {
        let width = columns.len();
        let mut offsets = vec![0usize; width + 1];
        for (cols, vals) in &rows {
            for (&j, &w) in cols.iter().zip(vals.iter()) {
                let slot = usize::from(j).wrapping_sub(columns.start);
                if slot >= width {
                    break;
                }
                if let Some(count) = offsets.get_mut(slot + 1) {
                    *count += usize::from(w.to_bits() > 0);
                }
            }
        }
        let mut placed = 0;
        for offset in offsets.iter_mut() {
            placed += *offset;
            *offset = placed;
        }
        let mut keys: Vec<K> = vec![K::default(); placed];
        // Column `c`'s keys fill `offsets[c]..offsets[c + 1]`, from the front.
        let mut next = offsets.clone();
        transpose_block(&mut rows, columns.start, width, |slot, voter, w| {
            if let Some(at) = next.get_mut(slot) {
                if let Some(k) = keys.get_mut(*at) {
                    *k = K::new(w, voter);
                }
                *at += 1;
            }
        });
        for (med, bounds) in median.iter_mut().zip(offsets.windows(2)) {
            if let Some(column) = keys.get_mut(bounds[0]..bounds[1]) {
                *med = column_median(column, voters, stake_sum, minority, stake_of, &mut buckets);
            }
        }
        return median;
    }
    let block = (MEDIAN_BLOCK_KEYS / voters).clamp(1, MEDIAN_BLOCK_COLUMNS);
    let mut keys: Vec<K> = vec![K::default(); block * voters];
    // With at least half the slots filled, each voter keeps a fixed slot in every column, and a
    // voter without a positive score there keeps a key of score 0: the selection over all
    // voters then counts their stake first, as the reference's zero scores.
    if filled * 2 >= voters * columns.len() {
        let unscored: Vec<K> = (0..voters).map(|voter| K::new(ZERO, voter)).collect();
        for (b, medians) in median.chunks_mut(block).enumerate() {
            let block_start = columns.start + b * block;
            for column in keys.chunks_exact_mut(voters).take(medians.len()) {
                column.copy_from_slice(&unscored);
            }
            transpose_block(&mut rows, block_start, medians.len(), |slot, voter, w| {
                if let Some(k) = keys.get_mut(slot * voters + voter) {
                    *k = K::new(w, voter);
                }
            });
            for (med, column) in medians.iter_mut().zip(keys.chunks_exact_mut(voters)) {
                *med = match first_crossing(column, minority, &stake_of, &mut buckets) {
                    Some(key) => key.score(),
                    None => column.iter().max().map_or(ZERO, |key| key.score()),
                };
            }
        }
        return median;
    }
    // Where the next key of each column of the block goes.
    let mut next = vec![0usize; block];
    for (b, medians) in median.chunks_mut(block).enumerate() {
        let block_start = columns.start + b * block;
        for (c, at) in next.iter_mut().enumerate() {
            *at = c * voters;
        }
        transpose_block(&mut rows, block_start, medians.len(), |slot, voter, w| {
            if let Some(at) = next.get_mut(slot) {
                if let Some(k) = keys.get_mut(*at) {
                    *k = K::new(w, voter);
                }
                *at += 1;
            }
        });
        for ((c, med), &end) in medians.iter_mut().enumerate().zip(&next) {
            if let Some(column) = keys.get_mut(c * voters..end) {
                *med = column_median(column, voters, stake_sum, minority, stake_of, &mut buckets);
            }
        }
    }
    median
}

/// Calls `place(slot, voter, score)` for every positive score of every voter's row in the
/// `len` columns from `block_start` (`slot` counted from there), and drops those entries from
/// the rows, which are sorted by column.
#[inline(always)]
fn transpose_block(
    rows: &mut [(&[u16], &[I32F32])],
    block_start: usize,
    len: usize,
    mut place: impl FnMut(usize, usize, I32F32),
) {
    for (voter, (cols, vals)) in rows.iter_mut().enumerate() {
        let mut taken = 0;
        for (&j, &w) in cols.iter().zip(vals.iter()) {
            let slot = usize::from(j).wrapping_sub(block_start);
            if slot >= len {
                break;
            }
            taken += 1;
            if w.to_bits() > 0 {
                place(slot, voter, w);
            }
        }
        *cols = cols.get(taken..).unwrap_or(&[]);
        *vals = vals.get(taken..).unwrap_or(&[]);
    }
}

/// Keys held at once by [`weighted_median_keyed`]'s transpose (32 KiB of narrow keys, so they
/// stay in the first-level cache).
const MEDIAN_BLOCK_KEYS: usize = 4096;

/// Most keys [`weighted_median_keyed`] places in one pass over all its columns (512 KiB of
/// narrow keys, which the second-level cache holds); more are placed a block at a time.
const MEDIAN_COUNTED_KEYS_MAX: usize = 1 << 16;

/// Most columns per block of the transpose.
const MEDIAN_BLOCK_COLUMNS: usize = 32;

/// One column's weighted median from the keys of its positive scores (reordered here); voters
/// without a key score 0.
fn column_median<K: MedianKey>(
    column: &mut [K],
    voters: usize,
    stake_sum: i64,
    minority: i64,
    stake_of: impl Fn(K) -> i64,
    buckets: &mut StakeBuckets,
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
    match first_crossing(column, target, &stake_of, buckets) {
        Some(key) => key.score(),
        None => column.iter().max().map_or(ZERO, |key| key.score()),
    }
}

/// The smallest of the distinct `keys` whose cumulative stake (over the keys up to and including
/// it) exceeds `target`, by weighted radix selection: each round spreads the keys over up to
/// 256 buckets of equal rank width, finds the bucket where the cumulative stake crosses and
/// keeps only its keys. The rank width shrinks at least 2^4-fold a round, so at most
/// [`SELECT_ROUNDS_MAX`] rounds run; short ranges, and ranges of equal rank, are sorted and
/// scanned instead.
fn first_crossing<K: MedianKey>(
    keys: &mut [K],
    mut target: i64,
    stake_of: &impl Fn(K) -> i64,
    stake_in: &mut StakeBuckets,
) -> Option<K> {
    let mut part = keys;
    for _ in 0..SELECT_ROUNDS_MAX {
        let (lo, hi) = part.iter().fold((u64::MAX, 0), |(lo, hi), key| {
            (lo.min(key.rank()), hi.max(key.rank()))
        });
        if part.len() <= SELECT_SORT_MAX || lo == hi {
            break;
        }
        // About a key per bucket, from 16 to 256 buckets.
        let bits = part.len().ilog2().clamp(4, SELECT_BUCKET_BITS_MAX);
        let shift = (u64::BITS - (hi - lo).leading_zeros()).saturating_sub(bits);
        let bucket = |key: K| ((key.rank() - lo) >> shift) as usize;
        let buckets = stake_in.get_mut(..=((hi - lo) >> shift) as usize)?;
        buckets.fill(0);
        for &key in part.iter() {
            if let Some(s) = buckets.get_mut(bucket(key)) {
                *s += stake_of(key);
            }
        }
        let mut below = 0i64;
        let crossing = buckets.iter().position(|&s| {
            let crosses = below + s > target;
            below += if crosses { 0 } else { s };
            crosses
        })?;
        target -= below;
        let mut kept = 0;
        for idx in 0..part.len() {
            if part.get(idx).is_some_and(|&key| bucket(key) == crossing) {
                part.swap(kept, idx);
                kept += 1;
            }
        }
        part = part.get_mut(..kept)?;
    }
    part.sort_unstable();
    let mut cumulative = 0i64;
    for &key in part.iter() {
        cumulative += stake_of(key);
        if cumulative > target {
            return Some(key);
        }
    }
    None
}

/// Ranges up to this length are sorted and scanned rather than bucketed.
const SELECT_SORT_MAX: usize = 24;

/// `log2` of the most buckets of one selection round.
const SELECT_BUCKET_BITS_MAX: u32 = 8;

/// The most buckets of one selection round.
const SELECT_BUCKETS_MAX: usize = 1 << SELECT_BUCKET_BITS_MAX;

/// The stake in each bucket of a selection round: scratch memory that [`first_crossing`]
/// clears as far as it uses it, so that its caller sets it up once for many columns.
type StakeBuckets = [i64; SELECT_BUCKETS_MAX];

/// Rounds after which the remaining range is sorted: a round leaves keys whose ranks differ by
/// less than `2^(64 − 4·round)`, so 16 rounds reach equal ranks.
const SELECT_ROUNDS_MAX: usize = 16;

/// What the clipping pass yields.
struct Clipped {
    /// `W_b = W + bonds_penalty · (W̄ − W)`: the weights the bonds follow; for classic bonds
    /// already scaled by each row's active stake (`W_b ∘ A`).
    weights_for_bonds: Csr,
    /// Column sums of `W_b ∘ A` when it was asked for.
    delta_sums: Option<ColumnFold>,
    /// `Σ_j W̄_ij` per row, wrapping (`row_sum_sparse`).
    validator_trust: Vec<I32F32>,
    /// `Σ_i A_i · W̄_ij` per column, saturating, before normalisation (`matmul_sparse`).
    incentive: Vec<I32F32>,
}

/// How [`clip`] turns a weight into its weight for bonds, by the bonds penalty.
mod penalty {
    /// `bonds_penalty == 0`: the weight itself.
    pub const NONE: u8 = 0;
    /// `bonds_penalty == 1`: the clipped weight, zeros kept where the entry is kept.
    pub const FULL: u8 = 1;
    /// Anything between: the interpolation, positive results kept.
    pub const PARTIAL: u8 = 2;
}

/// Clips the weights at consensus (`col_clip_sparse`: `W̄ = min(w, c)`, dropping entries whose
/// weight exceeds a consensus of 0) and takes validator trust and raw incentive from `W̄`; in
/// the same pass turns the weights, in place, into the weights for bonds (`interpolate_sparse`:
/// `w + ratio · (w̄ − w)` keeping positive results, with `w̄ = 0` for dropped entries; `W`
/// itself for `ratio == 0` and `W̄`, zeros included, for `ratio == 1`), scaled by the row's
/// active stake with column sums when `scale_by_stake` (the classic bonds delta). `unit` says
/// that every weight and active stake lies in [0, 1], so their products are [`mul_unit`]s.
fn clip(
    weights: Csr,
    consensus: &[I32F32],
    active_stake: &[I32F32],
    ratio: I32F32,
    scale_by_stake: bool,
    unit: bool,
) -> Clipped {
    let args = (weights, consensus, active_stake, ratio);
    // Each case gets a loop of its own, with only the work it needs.
    match (unit, scale_by_stake) {
        (true, true) => clip_penalised::<true, true>(args),
        (true, false) => clip_penalised::<true, false>(args),
        (false, true) => clip_penalised::<false, true>(args),
        (false, false) => clip_penalised::<false, false>(args),
    }
}

/// Arguments of [`clip_with`]: the weights, consensus, active stake and bonds penalty.
type ClipArgs<'a> = (Csr, &'a [I32F32], &'a [I32F32], I32F32);

/// [`clip`] with `UNIT` and `SCALE` chosen, choosing the [`penalty`] kind.
fn clip_penalised<const UNIT: bool, const SCALE: bool>(args: ClipArgs) -> Clipped {
    let ratio = args.3;
    if ratio == ZERO {
        clip_with::<UNIT, SCALE, { penalty::NONE }>(args)
    } else if ratio == ONE {
        clip_with::<UNIT, SCALE, { penalty::FULL }>(args)
    } else {
        clip_with::<UNIT, SCALE, { penalty::PARTIAL }>(args)
    }
}

/// [`clip`] for one case: products of proportions when `UNIT`, the delta and its column sums
/// when `SCALE`, and one of the [`penalty`] kinds.
fn clip_with<const UNIT: bool, const SCALE: bool, const PENALTY: u8>(
    (mut weights, consensus, active_stake, ratio): ClipArgs,
) -> Clipped {
    let rows = weights.rows();
    let mut validator_trust = vec![ZERO; rows];
    let mut incentive = vec![ZERO; consensus.len()];
    let mut delta_sums = ColumnFold::new(if SCALE { consensus.len() } else { 0 });
    let (offsets, cols, vals) = weights.parts_mut();
    let mut write = 0;
    let mut start = 0;
    for (i, trust) in validator_trust.iter_mut().enumerate() {
        let end = offsets.get(i + 1).copied().unwrap_or(start);
        let a = active_stake.get(i).copied().unwrap_or(ZERO);
        let mut row_sum = 0i64;
        for read in start..end {
            let (Some(&j), Some(&w)) = (cols.get(read), vals.get(read)) else {
                break;
            };
            // Raw-bit comparisons: the same order as `I32F32`'s, in fewer instructions.
            let c = consensus.get(usize::from(j)).map_or(0, |c| c.to_bits());
            let kept = c >= w.to_bits() || c > 0;
            let clipped = I32F32::from_bits(if kept { c.min(w.to_bits()) } else { 0 });
            let scaled = product::<UNIT>(a, clipped);
            if kept {
                row_sum = row_sum.wrapping_add(clipped.to_bits());
                if let Some(r) = incentive.get_mut(usize::from(j)) {
                    *r = if UNIT {
                        // Proportions over at most 2^16 rows: no saturation.
                        I32F32::from_bits(r.to_bits() + scaled.to_bits())
                    } else {
                        add(*r, scaled)
                    };
                }
            }
            let for_bonds = match PENALTY {
                penalty::NONE => Some(w),
                penalty::FULL => kept.then_some(clipped),
                _ => {
                    let interp = add(w, mul(ratio, sub(clipped, w)));
                    (interp.to_bits() > 0).then_some(interp)
                }
            };
            if let Some(mut v) = for_bonds {
                if SCALE {
                    // With the full penalty `v` is the clipped weight, already scaled.
                    v = if PENALTY == penalty::FULL {
                        scaled
                    } else {
                        product::<UNIT>(v, a)
                    };
                    if UNIT {
                        delta_sums.add_unit(j, v);
                    } else {
                        delta_sums.add(j, v);
                    }
                }
                if let (Some(c), Some(x)) = (cols.get_mut(write), vals.get_mut(write)) {
                    *c = j;
                    *x = v;
                }
                write += 1;
            }
        }
        *trust = I32F32::from_bits(row_sum);
        if let Some(o) = offsets.get_mut(i + 1) {
            *o = write;
        }
        start = end;
    }
    cols.truncate(write);
    vals.truncate(write);
    Clipped {
        weights_for_bonds: weights,
        delta_sums: SCALE.then_some(delta_sums),
        validator_trust,
        incentive,
    }
}

/// Stored bonds of `rows` with pairs to uids `>= n` and to uids registered since the last
/// epoch dropped, each value mapped by `convert`.
fn load_bonds(
    input: &EpochInput,
    rows: Range<usize>,
    last_tempo: u64,
    convert: impl Fn(u16) -> I32F32,
    buffer: Csr,
) -> Csr {
    let stored = input.bonds.get(rows).unwrap_or(&[]);
    let nnz: usize = stored.iter().map(Vec::len).sum();
    let mut b = Csr::reusing(buffer, stored.len(), nnz);
    for row in stored {
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

/// The block from which a uid's registration is recent enough to drop the bonds to it.
fn last_tempo(input: &EpochInput) -> u64 {
    if input.last_mechanism_step_block == 0 {
        input.current_block.saturating_sub(input.tempo)
    } else {
        input.last_mechanism_step_block.saturating_add(1)
    }
}

/// Column sums of the stored bonds of `rows` as [`stored_bond`] gives them, every pair counted
/// (uids `>= n` fall outside).
fn stored_bond_sums(input: &EpochInput, rows: Range<usize>) -> ColumnFold {
    let mut sums = ColumnFold::new(usize::from(input.n));
    let shift = bond_shift(input);
    let bonds = input.bonds.get(rows).unwrap_or(&[]);
    for row in bonds {
        if shift == 0 {
            // Raw `u16` values, below one.
            for &(j, b) in row {
                sums.add_unit(j, stored_bond(b, 0));
            }
        } else {
            for &(j, b) in row {
                sums.add(j, stored_bond(b, shift));
            }
        }
    }
    sums
}

/// How far [`stored_bond`] shifts a stored bond for classic bonds' column normalisation. The
/// reference normalises the 32.32 values `b · 2^32` by their saturating column sums. With at
/// most 2^15 rows no such sum saturates, so the raw integers `b` and their sums give the same
/// quotients, on numerators small enough for the fast division (shift 0); otherwise the
/// reference's values are used as they are (shift 32).
fn bond_shift(input: &EpochInput) -> u32 {
    if input.n <= 1 << 15 {
        0
    } else {
        WIDE_BOND_SHIFT
    }
}

/// [`bond_shift`] for more than 2^15 rows: the reference's 32.32 values.
const WIDE_BOND_SHIFT: u32 = 32;

/// A stored bond as classic bonds divide it, shifted by [`bond_shift`].
#[inline(always)]
fn stored_bond(b: u16, shift: u32) -> I32F32 {
    I32F32::from_bits(i64::from(b) << shift)
}

/// `alpha · new + (1 − alpha) · old` over the union of both rows, keeping positive values
/// (`mat_ema_sparse`).
fn ema(new: &Csr, old: &Csr, alpha: I32F32, buffer: Csr) -> Csr {
    let one_minus_alpha = ONE.saturating_sub(alpha);
    let mut out = Csr::reusing(buffer, new.rows(), new.nnz().max(old.nnz()));
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
fn ema_liquid(new: &Csr, old: &Csr, consensus: &[I32F32], la: &LiquidAlpha, buffer: Csr) -> Csr {
    /// Entries gathered per block: enough to fill the alpha lanes, few enough to stay in cache.
    const BLOCK: usize = 1024;
    let mut out = Csr::reusing(buffer, new.rows(), new.nnz());
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

/// Yuma3 bonds (proportions, EMA towards weights-for-bonds, liquid alpha optional) as stored
/// (rows of `new_permit` uids, `u16` proportions), and the un-normalised dividends
/// `(Σ_j B̂_ij · I_j) · A_i`. Only positive bonds are kept, so the blocks' column sums add up
/// to the sequential ones.
fn yuma3_bonds(
    input: &EpochInput,
    weights_for_bonds: &RowBlocks,
    consensus: &[I32F32],
    incentive: &[I32F32],
    active_stake: &[I32F32],
    new_permit: &[bool],
    spare: &mut Spare,
) -> (BondRows, Vec<I32F32>) {
    let n = usize::from(input.n);
    let last_tempo = last_tempo(input);
    let liquid = (input.liquid_alpha_enabled && consensus.iter().any(|&c| c != ZERO)).then(|| {
        LiquidAlpha::new(
            u16_proportion(input.alpha_low),
            u16_proportion(input.alpha_high),
            I32F32::from_num(input.alpha_sigmoid_steepness),
        )
    });
    let alpha = moving_average_alpha(input.bonds_moving_average);
    let blocks: Vec<_> = weights_for_bonds
        .blocks()
        .iter()
        .map(|block| (block, [(); 2].map(|()| spare.matrix())))
        .collect();
    let emas = parallel::map(blocks, |((start, w), [bonds, out])| {
        let rows = *start..*start + w.rows();
        let bonds = load_bonds(input, rows, last_tempo, u16_proportion, bonds);
        let ema_bonds = match &liquid {
            Some(la) => ema_liquid(w, &bonds, consensus, la, out),
            None => ema(w, &bonds, alpha, out),
        };
        let mut sums = ColumnFold::new(n);
        let (cols, vals) = ema_bonds.entries();
        for (&j, &b) in cols.iter().zip(vals) {
            sums.add(j, b);
        }
        (*start, ema_bonds, sums, bonds)
    });
    // Dividends from the column-normalised bonds, divided on the fly.
    let (emas, sums): (Vec<_>, Vec<_>) = emas
        .into_iter()
        .map(|(start, ema_bonds, sums, bonds)| ((start, ema_bonds, bonds), sums))
        .unzip();
    let divisors = ColumnFold::total(n, sums).divisors(spare);
    let emas: Vec<_> = emas
        .into_iter()
        .map(|(start, ema_bonds, bonds)| {
            spare.keep([bonds]);
            (start, ema_bonds)
        })
        .collect();
    let parts = parallel::map(emas, |(start, ema_bonds)| {
        let mut stored = BondRows::with_capacity(ema_bonds.rows(), ema_bonds.nnz());
        let mut dividends = Vec::with_capacity(ema_bonds.rows());
        for r in 0..ema_bonds.rows() {
            let i = start + r;
            let (cols, vals) = ema_bonds.row(r);
            let per_validator = wrapping_sum(cols.iter().zip(vals).map(|(&j, &b)| {
                mul(
                    divisors.divide(j, b),
                    incentive.get(usize::from(j)).copied().unwrap_or(ZERO),
                )
            }));
            let a = active_stake.get(i).copied().unwrap_or(ZERO);
            dividends.push(checked_mul(per_validator, a).unwrap_or(ZERO));
            if new_permit.get(i).copied().unwrap_or(false) {
                let pairs = cols.iter().zip(vals);
                stored.push_row(pairs.map(|(&j, &v)| (j, proportion_to_u16(v))));
            } else {
                stored.push_row([]);
            }
        }
        (stored, dividends, ema_bonds)
    });
    let (stored, dividends) = join_blocks(parts.into_iter().map(|(s, d, ema_bonds)| {
        spare.keep([ema_bonds]);
        (s, d)
    }));
    spare.keep_divisors(divisors);
    (stored, dividends)
}

/// Classic (Yuma2) bonds: column-normalised stake-weighted EMA, and dividends `Σ_j B_ij · I_j`.
/// Returns the bonds to store (column max-upscaled, rows of `new_permit` uids only).
///
/// The reference's ten passes (load, normalise the stored bonds, scale the weights by stake,
/// normalise them, merge, normalise, dividends, max-upscale, convert) run as three: the column
/// sums of the stored bonds (taken while the weights are masked; the delta `W_b ∘ A` and its
/// sums come from [`clip`]), the merge,
/// reading the stored bonds straight from the input, dividing on the fly and taking the merged
/// sums and maxima, and one pass normalising, taking dividends and upscaling into the stored
/// form. The column maximum of the normalised bonds is the normalised column maximum, because
/// truncating division by a positive divisor is monotone and no quotient here exceeds 1.
fn classic_bonds(
    input: &EpochInput,
    delta: &RowBlocks,
    delta_sums: &ColumnFold,
    bond_sums: &ColumnFold,
    incentive: &[I32F32],
    new_permit: &[bool],
    spare: &mut Spare,
) -> (BondRows, Vec<I32F32>) {
    // Normalised bonds and delta lie in [0, 1]; with alpha and every incentive there too,
    // every product below is one of two proportions.
    let unit = |x: &I32F32| (0..=ONE.to_bits()).contains(&x.to_bits());
    let alpha = moving_average_alpha(input.bonds_moving_average);
    if unit(&alpha) && incentive.iter().all(unit) {
        classic_bonds_with::<true>(
            input, delta, delta_sums, bond_sums, incentive, new_permit, spare,
        )
    } else {
        classic_bonds_with::<false>(
            input, delta, delta_sums, bond_sums, incentive, new_permit, spare,
        )
    }
}

/// [`classic_bonds`], with products of proportions ([`mul_unit`]) when `UNIT`.
fn classic_bonds_with<const UNIT: bool>(
    input: &EpochInput,
    delta: &RowBlocks,
    delta_sums: &ColumnFold,
    bond_sums: &ColumnFold,
    incentive: &[I32F32],
    new_permit: &[bool],
    spare: &mut Spare,
) -> (BondRows, Vec<I32F32>) {
    let product = product::<UNIT>;
    let to_u16 = |x: I32F32| {
        if UNIT {
            unit_to_u16(x)
        } else {
            proportion_to_u16(x)
        }
    };
    let n = usize::from(input.n);
    let alpha = moving_average_alpha(input.bonds_moving_average);

    // The stored bonds to uids `>= n` or registered since the last epoch are dropped by
    // dividing them to 0 (an entry of 0 is never kept). The bonds are read from the input as
    // they are merged.
    let registered = &input.block_at_registration;
    let last_tempo = last_tempo(input);
    let bond_div = bond_sums.divisors_keeping(
        |j| registered.get(j).is_some_and(|&r| last_tempo > r),
        spare,
    );
    let delta_div = delta_sums.divisors(spare);

    // EMA of the normalised delta and bonds over the union of both rows, positive values kept,
    // with column sums and maxima; then column-normalise, take dividends and max-upscale into
    // the stored form, a block of rows per thread. Kept values are positive, so the blocks'
    // sums add up to the sequential ones.
    let blocks: Vec<_> = delta
        .blocks()
        .iter()
        .map(|block| (block, spare.matrix()))
        .collect();
    let parts = parallel::map(blocks, |((start, d), buffer)| {
        let mut folds = ColumnFold::new(n);
        let divisors = (&delta_div, &bond_div);
        let ema = ema_rows::<UNIT>(*start, d, input, divisors, alpha, &mut folds, buffer);
        (ema, folds)
    });
    let (emas, folds): (Vec<_>, Vec<_>) = parts.into_iter().unzip();
    let ema_sums = ColumnFold::total(n, folds);
    let ema_divisors = ema_sums.divisors(spare);
    let ema_max: Vec<I32F32> = (0..=u16::MAX)
        .zip(ema_sums.maxima())
        .map(|(j, m)| ema_divisors.divide(j, m))
        .collect();
    let max_divisors = divisors_of(&ema_max, spare);
    let starts = delta.blocks().iter().map(|(start, _)| *start);
    let blocks: Vec<(usize, &Csr)> = starts.zip(&emas).collect();
    // The per-column slices cut to one length, so that one bounds check covers all three.
    let len = n.min(incentive.len());
    let ema_div = ema_divisors.as_slice().get(..len).unwrap_or(&[]);
    let max_div = max_divisors.as_slice().get(..len).unwrap_or(&[]);
    let incentive = incentive.get(..len).unwrap_or(&[]);
    let finished = parallel::map(blocks, |(start, ema)| {
        let rows = start..start + ema.rows();
        let mut dividends = Vec::with_capacity(rows.len());
        let mut stored = BondRows::with_capacity(rows.len(), ema.nnz());
        for (r, i) in rows.clone().enumerate() {
            let (cols, vals) = ema.row(r);
            let mut acc = ZERO;
            // A column beyond the subnet divides to 0.
            let mut dividend = |j: u16, v: I32F32| {
                let j = usize::from(j);
                let (Some(ed), Some(md), Some(&inc)) =
                    (ema_div.get(j), max_div.get(j), incentive.get(j))
                else {
                    return (ZERO, &Divisor::ZERO);
                };
                let normalized = ed.safe_div(v);
                let share = product(inc, normalized);
                acc = if UNIT {
                    // Products of proportions over at most 2^16 columns: no saturation.
                    I32F32::from_bits(acc.to_bits() + share.to_bits())
                } else {
                    add(acc, share)
                };
                (normalized, md)
            };
            // Only permitted uids keep their bonds.
            if new_permit.get(i).copied().unwrap_or(false) {
                let upscaled = |(&j, &v)| {
                    let (normalized, md) = dividend(j, v);
                    (j, to_u16(md.safe_div(normalized)))
                };
                stored.push_row(cols.iter().zip(vals).map(upscaled));
            } else {
                for (&j, &v) in cols.iter().zip(vals) {
                    dividend(j, v);
                }
                stored.push_row([]);
            }
            dividends.push(acc);
        }
        (stored, dividends)
    });
    let (stored, dividends) = join_blocks(finished);
    spare.keep(emas);
    for divisors in [bond_div, delta_div, ema_divisors, max_divisors] {
        spare.keep_divisors(divisors);
    }
    (stored, dividends)
}

/// The EMA bonds of the rows of `delta`, a block starting at row `start`, with their column
/// sums and maxima folded into `folds`.
fn ema_rows<const UNIT: bool>(
    start: usize,
    delta: &Csr,
    input: &EpochInput,
    (delta_div, bond_div): (&ColumnDivisors, &ColumnDivisors),
    alpha: I32F32,
    folds: &mut ColumnFold,
    buffer: Csr,
) -> Csr {
    let one_minus_alpha = ONE.saturating_sub(alpha);
    let product = product::<UNIT>;
    let sum = |x: I32F32, y: I32F32| {
        if UNIT {
            // Both terms are at most 1 (and their sum too).
            I32F32::from_bits(x.to_bits() + y.to_bits())
        } else {
            add(x, y)
        }
    };
    let rows = start..start + delta.rows();
    let shift = bond_shift(input);
    let stored = input.bonds.get(rows).unwrap_or(&[]);
    let bond_count: usize = stored.iter().map(Vec::len).sum();
    let mut ema = Csr::reusing(buffer, delta.rows(), delta.nnz().max(bond_count));
    let no_bonds: &[(u16, u16)] = &[];
    // The shift as a constant frees a register in the loop over a whole row.
    let whole_row = if shift == 0 {
        ema_row_whole::<0>
    } else {
        ema_row_whole::<WIDE_BOND_SHIFT>
    };
    for r in 0..delta.rows() {
        let brow = stored.get(r).map_or(no_bonds, Vec::as_slice);
        let (dcols, dvals) = delta.row(r);
        // Branch-free, so that it runs as one straight pass.
        let same_uids = |acc: bool, (&j, &(k, _)): (&u16, &(u16, u16))| acc & (j == k);
        let whole = UNIT && !dcols.is_empty() && dcols.len() == brow.len();
        if whole && dcols.iter().zip(brow).fold(true, same_uids) {
            // The same uids in both rows (as in every row of a dense subnet): no merge.
            let divisors = (delta_div, bond_div);
            whole_row(&mut ema, folds, (dcols, dvals), brow, divisors, alpha);
        } else {
            merge_rows(dcols, dvals, brow, |j, d, bond| {
                let new = d.map_or(ZERO, |d| product(alpha, delta_div.divide(j, d)));
                let old = bond.map_or(ZERO, |b| {
                    product(one_minus_alpha, bond_div.divide(j, stored_bond(b, shift)))
                });
                let value = sum(new, old);
                if value.to_bits() > 0 {
                    ema.push(j, value);
                    if UNIT {
                        folds.add_keeping_max_unit(j, value);
                    } else {
                        folds.add_keeping_max(j, value);
                    }
                }
            });
        }
        ema.end_row();
    }
    ema
}

/// Appends to `ema` the EMA row of a delta row and a stored bonds row holding the same uids,
/// values in [0, 1], and folds it into `folds`: written whole, without a test per entry, and
/// the zeros (rare) taken out after.
#[inline(never)]
fn ema_row_whole<const SHIFT: u32>(
    ema: &mut Csr,
    folds: &mut ColumnFold,
    (dcols, dvals): (&[u16], &[I32F32]),
    brow: &[(u16, u16)],
    (delta_div, bond_div): (&ColumnDivisors, &ColumnDivisors),
    alpha: I32F32,
) {
    let one_minus_alpha = ONE.saturating_sub(alpha);
    let values = ema.extend_row(dcols);
    // The per-column slices cut to one length, so that one bounds check covers all three.
    let (delta_div, bond_div) = (delta_div.as_slice(), bond_div.as_slice());
    let folds = folds.columns_mut();
    let len = delta_div.len().min(bond_div.len()).min(folds.len());
    let delta_div = delta_div.get(..len).unwrap_or(&[]);
    let bond_div = bond_div.get(..len).unwrap_or(&[]);
    let folds = folds.get_mut(..len).unwrap_or(&mut []);
    let mut zeros = false;
    // The bonds row holds the same uids as the delta row, so its pairs give the column.
    for ((value, &d), &(j, bond)) in values.iter_mut().zip(dvals).zip(brow) {
        let j = usize::from(j);
        let (Some(dd), Some(bd), Some(fold)) =
            (delta_div.get(j), bond_div.get(j), folds.get_mut(j))
        else {
            // No such column: both quotients are 0.
            zeros = true;
            continue;
        };
        let new = mul_unit(alpha, dd.safe_div(d));
        let old = mul_unit(one_minus_alpha, bd.safe_div(stored_bond(bond, SHIFT)));
        // Both terms are at most 1 (and their sum too).
        *value = I32F32::from_bits(new.to_bits() + old.to_bits());
        zeros |= value.to_bits() == 0;
        fold.add_keeping_max_unit(*value);
    }
    if zeros {
        ema.drop_zeros_in_row();
    }
}

/// Calls `each(uid, delta, bond)` for the union of a delta row and a stored bonds row, both in
/// ascending uid order, with `None` where a row has no entry for the uid.
#[inline(always)]
fn merge_rows(
    dcols: &[u16],
    dvals: &[I32F32],
    brow: &[(u16, u16)],
    mut each: impl FnMut(u16, Option<I32F32>, Option<u16>),
) {
    let (mut a, mut b) = (0, 0);
    loop {
        match (dcols.get(a), brow.get(b)) {
            (Some(&x), Some(&(y, bond))) => {
                if x <= y {
                    let d = dvals.get(a).copied();
                    a += 1;
                    if x == y {
                        b += 1;
                        each(x, d, Some(bond));
                    } else {
                        each(x, d, None);
                    }
                } else {
                    b += 1;
                    each(y, None, Some(bond));
                }
            }
            (Some(&x), None) => {
                each(x, dvals.get(a).copied(), None);
                a += 1;
            }
            (None, Some(&(y, bond))) => {
                each(y, None, Some(bond));
                b += 1;
            }
            (None, None) => break,
        }
    }
}

/// The bonds and dividends of consecutive blocks of rows, joined (a single block as it is).
fn join_blocks(
    blocks: impl IntoIterator<Item = (BondRows, Vec<I32F32>)>,
) -> (BondRows, Vec<I32F32>) {
    let mut blocks = blocks.into_iter();
    let Some((mut stored, mut dividends)) = blocks.next() else {
        return (BondRows::default(), Vec::new());
    };
    for (s, d) in blocks {
        stored.append(&s);
        dividends.extend(d);
    }
    (stored, dividends)
}

/// `x · y`: [`mul_unit`] when `UNIT` (both known to lie in [0, 1]), [`mul`] otherwise.
#[inline(always)]
fn product<const UNIT: bool>(x: I32F32, y: I32F32) -> I32F32 {
    if UNIT { mul_unit(x, y) } else { mul(x, y) }
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

    proptest::proptest! {
        #[test]
        fn stored_bonds_divide_as_the_reference_values(
            b in 0u16..=u16::MAX, others in 0u64..(1 << 15) * u64::from(u16::MAX),
        ) {
            // Up to 2^15 rows: the column sum never saturates, and dividing the raw integers
            // gives the reference's quotient of the 32.32 values.
            let sum = u64::from(b) + others.min((1 << 15) * u64::from(u16::MAX) - u64::from(b));
            let theirs = crate::fixed::safe_div(
                crate::fixed::from_u16(b),
                I32F32::from_bits(i64::try_from(sum << 32).unwrap_or(i64::MAX)),
            );
            let ours = crate::fixed::Divisor::new(I32F32::from_bits(sum as i64));
            proptest::prop_assert_eq!(ours.safe_div(stored_bond(b, 0)), theirs);
            proptest::prop_assert_eq!(stored_bond(b, 32), crate::fixed::from_u16(b));
        }

        #[test]
        fn whole_ema_rows_keep_the_positive_values(
            entries in proptest::collection::btree_map(
                0u16..48,
                (
                    proptest::prop_oneof![proptest::strategy::Just(0i64), 0i64..=1 << 32],
                    proptest::prop_oneof![proptest::strategy::Just(0u16), 0u16..=u16::MAX],
                ),
                1..48,
            ),
            extra in 0i64..(1 << 34),
            alpha in 0i64..=1 << 32,
            wide in proptest::bool::ANY,
        ) {
            // Bonds as raw integers, or as the reference's 32.32 values for wide subnets.
            let shift = if wide { WIDE_BOND_SHIFT } else { 0 };
            let cols: Vec<u16> = entries.keys().copied().collect();
            let dvals: Vec<I32F32> = entries.values().map(|&(d, _)| I32F32::from_bits(d)).collect();
            let brow: Vec<(u16, u16)> = entries.iter().map(|(&j, &(_, b))| (j, b)).collect();
            // Column sums of at least the row's own values, some of them zero.
            let (mut delta_sums, mut bond_sums) = (ColumnFold::new(48), ColumnFold::new(48));
            for (&j, &(d, b)) in &entries {
                delta_sums.add(j, I32F32::from_bits(d + extra * i64::from(j % 3)));
                let b = stored_bond(b, shift).to_bits();
                bond_sums.add(j, I32F32::from_bits(b + extra * i64::from(j % 2)));
            }
            let mut spare = Spare::default();
            let divisors = (&delta_sums.divisors(&mut spare), &bond_sums.divisors(&mut spare));
            let alpha = I32F32::from_bits(alpha);

            let mut ema = Csr::reusing(Csr::default(), 1, cols.len());
            let mut folds = ColumnFold::new(48);
            let row = (&cols[..], &dvals[..]);
            if wide {
                ema_row_whole::<WIDE_BOND_SHIFT>(&mut ema, &mut folds, row, &brow, divisors, alpha);
            } else {
                ema_row_whole::<0>(&mut ema, &mut folds, row, &brow, divisors, alpha);
            }
            ema.end_row();

            let mut expected = vec![];
            let mut maxima = vec![ZERO; 48];
            for (&j, &(d, b)) in &entries {
                let new = mul_unit(alpha, divisors.0.divide(j, I32F32::from_bits(d)));
                let old = mul_unit(ONE - alpha, divisors.1.divide(j, stored_bond(b, shift)));
                let value = new + old;
                if value > ZERO {
                    expected.push((j, value));
                    maxima[usize::from(j)] = maxima[usize::from(j)].max(value);
                }
            }
            let (got_cols, got_vals) = ema.row(0);
            let got: Vec<(u16, I32F32)> = got_cols.iter().copied().zip(got_vals.iter().copied()).collect();
            proptest::prop_assert_eq!(got, expected);
            proptest::prop_assert_eq!(folds.maxima().collect::<Vec<_>>(), maxima);
        }

        #[test]
        fn top_k_keeps_what_the_stable_sort_leaves_last(
            values in proptest::collection::vec(
                proptest::prop_oneof![0i64..4, 0i64..i64::MAX], 0..80),
            k in 0usize..90,
        ) {
            let values: Vec<I32F32> = values.into_iter().map(I32F32::from_bits).collect();
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by_key(|&i| values[i]);
            let mut expected: Vec<bool> = values.iter().map(|&v| v != ZERO).collect();
            if values.len() >= k {
                for &i in &order[..values.len() - k] {
                    expected[i] = false;
                }
            }
            proptest::prop_assert_eq!(top_k_nonzero(&values, k), expected);
        }
    }

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
        fn results_do_not_depend_on_the_blocks(
            (n, validators) in (2u16..160).prop_flat_map(|n| (proptest::strategy::Just(n), 1..=n)),
            density_permille in 10u16..=1000,
            yuma3_liquid in proptest::bool::ANY,
            liquid_only_with_yuma3 in proptest::bool::ANY,
            bonds_moving_average in proptest::prop_oneof![
                proptest::strategy::Just(900_000u64),
                0u64..3_000_000,
                0u64..crate::MAX_BONDS_MOVING_AVERAGE,
            ],
            seed in proptest::num::u64::ANY,
            parts in 2usize..5,
        ) {
            let mut input = crate::synthetic::generate(&crate::synthetic::Scenario {
                n,
                validators,
                density_permille,
                yuma3_liquid,
                seed,
            });
            input.liquid_alpha_enabled &= liquid_only_with_yuma3;
            input.bonds_moving_average = bonds_moving_average;
            proptest::prop_assert!(validate(&input).is_ok());
            let mut spare = Spare::default();
            let single = epoch(&input, 1, &mut spare);
            proptest::prop_assert_eq!(&single, &epoch(&input, parts, &mut spare));
            // Again, in the memory of the matrices left over.
            proptest::prop_assert_eq!(&single, &epoch(&input, parts, &mut spare));
        }

        #[test]
        fn radix_selection_finds_the_first_crossing(
            scores in proptest::collection::vec(
                proptest::prop_oneof![0i64..4, 0i64..(1 << 20), 0i64..(1 << 47)], 0..700),
            stakes in proptest::prop_oneof![
                proptest::collection::vec(0i64..4, 700),
                proptest::collection::vec(0i64..(1 << 32), 700),
            ],
            target_seed in 0u64..u64::MAX,
        ) {
            // Targets from -1 to the total stake, hit exactly by cumulative sums of small stakes.
            let total: i64 = stakes.iter().take(scores.len()).sum();
            let target = i64::try_from(target_seed % (total.unsigned_abs() + 2)).unwrap_or(0) - 1;
            let narrow: Vec<NarrowKey> =
                scores.iter().enumerate().map(|(v, &s)| NarrowKey::new(I32F32::from_bits(s), v)).collect();
            let wide: Vec<WideKey> =
                scores.iter().enumerate().map(|(v, &s)| WideKey::new(I32F32::from_bits(s), v)).collect();
            let stake_of = |voter: usize| stakes.get(voter).copied().unwrap_or(0);
            let mut sorted = narrow.clone();
            sorted.sort_unstable();
            let mut cumulative = 0;
            let expected = sorted.iter().find(|key| {
                cumulative += stake_of(key.voter());
                cumulative > target
            });
            let mut keys = narrow.clone();
            let found = first_crossing(&mut keys, target, &|k: NarrowKey| stake_of(k.voter()), &mut [0; SELECT_BUCKETS_MAX]);
            proptest::prop_assert_eq!(found, expected.copied());
            let mut keys = wide.clone();
            let found = first_crossing(&mut keys, target, &|k: WideKey| stake_of(k.voter()), &mut [0; SELECT_BUCKETS_MAX]);
            proptest::prop_assert_eq!(found.map(|k| k.score()), expected.map(|k| k.score()));
        }

        #[test]
        fn closed_form_median_equals_quickselect(
            (n, rows) in (1usize..3 * MEDIAN_BLOCK_COLUMNS).prop_flat_map(|n| (
                proptest::strategy::Just(n),
                proptest::collection::vec(
                    (0u64..1000, proptest::collection::vec(0u16..12, n)), 1..80),
            )),
            kappa in 0u16..=u16::MAX,
            // Scores from this up are missing entries: 5/12 or 11/12 of the slots are filled,
            // so both the per-column counted and the fixed-slot transposes run.
            missing_from in proptest::prop_oneof![proptest::strategy::Just(5u16), proptest::strategy::Just(11)],
        ) {
            let mut stake: Vec<I32F32> = rows.iter().map(|(s, _)| I32F32::from_num(*s)).collect();
            normalize(&mut stake);
            let mut w = Csr::reusing(Csr::default(), rows.len(), rows.len() * n);
            for (_, r) in &rows {
                for (j, &v) in r.iter().enumerate() {
                    if v < missing_from {
                        w.push(j as u16, I32F32::from_num(v));
                    }
                }
                w.end_row();
            }
            let kappa = u16_proportion(kappa);
            let w = RowBlocks::new(vec![(0, w)]);
            let counted = MEDIAN_COUNTED_KEYS_MAX;
            let narrow = weighted_median_keyed::<NarrowKey>(&stake, &w, 0..n, kappa, counted);
            let wide = weighted_median_keyed::<WideKey>(&stake, &w, 0..n, kappa, counted);
            proptest::prop_assert_eq!(&narrow, &wide);
            // The sparse columns placed a block at a time, as when they hold too many keys.
            let blocked = weighted_median_keyed::<NarrowKey>(&stake, &w, 0..n, kappa, 0);
            proptest::prop_assert_eq!(&narrow, &blocked);
            proptest::prop_assert_eq!(&narrow, &weighted_median_cols(&stake, &w, n, w.max_bits(), kappa, 1));
            proptest::prop_assert_eq!(&narrow, &weighted_median_cols(&stake, &w, n, w.max_bits(), kappa, 3));
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
