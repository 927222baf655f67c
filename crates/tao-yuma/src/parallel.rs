//! Splitting an epoch's row-wise and column-wise passes over threads. Results never depend on
//! the split: every block's results come back in block order, and blocks are only combined
//! where the combination is exact: sums of non-negative terms (saturating addition of those
//! yields min(total, max) in any order), maxima and concatenation.

use std::ops::Range;

/// Stored entries below which a block of its own does not repay handing it to another thread.
const ENTRIES_PER_BLOCK_MIN: usize = 16_384;

/// Stored entries per uid a block needs, because each block also keeps per-column sums over
/// every uid.
const ENTRIES_PER_BLOCK_PER_UID: usize = 8;

/// Blocks per thread: finer blocks let an idle thread take work from a slow one (a core the
/// machine gives to something else for a while).
const BLOCKS_PER_THREAD: usize = 4;

/// How many blocks to split an epoch of `entries` stored weights and bonds over `n` uids into,
/// for `threads` threads (one block on one thread).
pub fn blocks_for(entries: usize, n: usize, threads: usize) -> usize {
    if threads <= 1 {
        return 1;
    }
    let per_block = ENTRIES_PER_BLOCK_MIN.max(n * ENTRIES_PER_BLOCK_PER_UID);
    (entries / per_block).clamp(1, threads * BLOCKS_PER_THREAD)
}

/// `0..len` split into at most `parts` consecutive ranges holding nearly equal shares of the
/// work, item `i` weighing `weight(i)`.
pub fn split(len: usize, parts: usize, weight: impl Fn(usize) -> usize) -> Vec<Range<usize>> {
    if parts <= 1 {
        return std::iter::once(0..len).collect();
    }
    let total: usize = (0..len).map(&weight).sum();
    let mut ranges = Vec::with_capacity(parts);
    let (mut start, mut done) = (0, 0);
    for i in 0..len {
        done += weight(i);
        // Close the range once it holds its share of the work.
        if ranges.len() + 1 < parts && done * parts >= total * (ranges.len() + 1) {
            ranges.push(start..i + 1);
            start = i + 1;
        }
    }
    ranges.push(start..len);
    ranges
}

/// `f` of every item, results in item order. Items are split in halves with
/// [`rayon_core::join`], so they run on the threads of the pool this is called from (an
/// [`crate::EpochRunner`]'s), which live as long as the runner.
pub fn map<I: Send, T: Send>(items: Vec<I>, f: impl Fn(I) -> T + Sync) -> Vec<T> {
    map_by(items, &f)
}

/// [`map`] with `f` borrowed, so that the halves share it.
fn map_by<I: Send, T: Send, F: Fn(I) -> T + Sync>(mut items: Vec<I>, f: &F) -> Vec<T> {
    if items.len() <= 1 {
        return items.into_iter().map(f).collect();
    }
    let second = items.split_off(items.len() / 2);
    let (mut results, rest) = rayon_core::join(|| map_by(items, f), || map_by(second, f));
    results.extend(rest);
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn ranges_cover_every_item_once_in_order(
            weights in proptest::collection::vec(0usize..50, 0..200),
            parts in 1usize..6,
        ) {
            let ranges = split(weights.len(), parts, |i| weights[i]);
            proptest::prop_assert!(!ranges.is_empty() && ranges.len() <= parts);
            let mut next = 0;
            for r in &ranges {
                proptest::prop_assert_eq!(r.start, next);
                next = r.end;
            }
            proptest::prop_assert_eq!(next, weights.len());
            proptest::prop_assert_eq!(map(ranges.clone(), |r| r.len()).iter().sum::<usize>(), weights.len());
        }
    }
}
