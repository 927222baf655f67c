//! Splitting an epoch's row-wise and column-wise passes over threads. Results never depend on
//! the split: every block's results come back in block order, and blocks are only combined
//! where the combination is exact: sums of non-negative terms (saturating addition of those
//! yields min(total, max) in any order), maxima and concatenation.

use std::ops::Range;

/// Stored entries per thread below which another thread does not repay starting it.
const ENTRIES_PER_THREAD_MIN: usize = 65_536;

/// How many blocks (threads) to split `entries` of work into: at most `threads`, and one per
/// [`ENTRIES_PER_THREAD_MIN`] entries at most.
pub fn blocks_for(entries: usize, threads: usize) -> usize {
    (entries / ENTRIES_PER_THREAD_MIN).clamp(1, threads.max(1))
}

/// `0..len` split into at most `parts` consecutive ranges holding nearly equal shares of the
/// work, item `i` weighing `weight(i)`.
pub fn split(len: usize, parts: usize, weight: impl Fn(usize) -> usize) -> Vec<Range<usize>> {
    let parts = parts.max(1);
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

/// `f` of every item, the first on this thread and the others on threads of their own (or here,
/// when no thread can be started); results in item order.
pub fn map<I: Send, T: Send>(items: Vec<I>, f: impl Fn(I) -> T + Sync) -> Vec<T> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Vec::new();
    };
    if items.len() == 0 {
        return vec![f(first)];
    }
    std::thread::scope(|scope| {
        let f = &f;
        // An item whose thread could not be started comes back to be done here.
        let started: Vec<Result<_, I>> = items
            .map(|item| {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let spawned =
                    std::thread::Builder::new().spawn_scoped(scope, move || rx.recv().ok().map(f));
                match spawned {
                    Ok(handle) => match tx.send(item) {
                        Ok(()) => Ok(handle),
                        Err(back) => Err(back.0),
                    },
                    Err(_) => Err(item),
                }
            })
            .collect();
        let mut results = Vec::with_capacity(started.len() + 1);
        results.push(f(first));
        for item in started {
            let result = match item {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                Err(item) => Some(f(item)),
            };
            results.extend(result);
        }
        results
    })
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
