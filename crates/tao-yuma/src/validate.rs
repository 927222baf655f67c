//! Input validation: every shape and range the epoch relies on, checked up front so that the
//! epoch itself never panics.

use std::ops::Range;

use crate::{EpochError, EpochInput};

/// Largest accepted `bonds_moving_average`: `2^31 · 10^6` (exclusive), where the reference's
/// conversion of `bonds_moving_average / 10^6` to 32.32 fixed point would overflow.
pub const MAX_BONDS_MOVING_AVERAGE: u64 = (1 << 31) * 1_000_000;

/// Checks `input` for everything [`run_epoch`](crate::run_epoch) assumes.
///
/// Pairs whose uid is `>= n` are allowed (the reference ignores them), but rows must be strictly
/// ascending by uid and no longer than `n`.
pub fn validate(input: &EpochInput) -> Result<(), EpochError> {
    validate_split(input, |rows| vec![check_rows(input, rows)])
}

/// [`validate`], with the rows checked in blocks by `check_blocks`, which gets the checks of
/// every row (weights, then bonds) as one range and returns, in order, what each block's
/// [`check_rows`] found: the first error is the one [`validate`] reports.
pub(crate) fn validate_split(
    input: &EpochInput,
    check_blocks: impl FnOnce(Range<usize>) -> Vec<Result<(), EpochError>>,
) -> Result<(), EpochError> {
    let n = input.n;
    let lengths = [
        ("stake", input.stake.len()),
        ("last_update", input.last_update.len()),
        ("block_at_registration", input.block_at_registration.len()),
        ("validator_permit", input.validator_permit.len()),
        ("weights", input.weights.len()),
        ("bonds", input.bonds.len()),
    ];
    for (field, got) in lengths {
        if got != usize::from(n) {
            return Err(EpochError::LengthMismatch { field, got, n });
        }
    }
    if let Some(uid) = input.owner_uid
        && uid >= n
    {
        return Err(EpochError::UidOutOfRange {
            field: "owner_uid",
            uid,
            n,
        });
    }
    check_blocks(0..2 * usize::from(n))
        .into_iter()
        .collect::<Result<(), _>>()?;
    let limit = i64::MAX.unsigned_abs();
    let total = input
        .stake
        .iter()
        .fold(0u64, |acc, &s| acc.saturating_add(s.min(limit)));
    if total > limit {
        return Err(EpochError::StakeTooLarge { total, limit });
    }
    if input.bonds_moving_average >= MAX_BONDS_MOVING_AVERAGE {
        return Err(EpochError::MovingAverageTooLarge {
            got: input.bonds_moving_average,
            limit: MAX_BONDS_MOVING_AVERAGE,
        });
    }
    Ok(())
}

/// Checks rows `checks` of the weights and then the bonds, numbered `0..n` for the weights
/// and `n..2n` for the bonds: no row longer than `n`, uids strictly ascending.
pub(crate) fn check_rows(input: &EpochInput, checks: Range<usize>) -> Result<(), EpochError> {
    let n = input.n;
    let rows = usize::from(n);
    for check in checks {
        let (field, row, pairs) = if check < rows {
            ("weights", check, input.weights.get(check))
        } else {
            ("bonds", check - rows, input.bonds.get(check - rows))
        };
        let pairs = pairs.map_or(&[][..], Vec::as_slice);
        if pairs.len() > rows {
            return Err(EpochError::RowTooLong {
                field,
                row,
                len: pairs.len(),
                n,
            });
        }
        // One branch-free pass tells whether the row is sorted; only a row that is not is
        // searched for its first unsorted pair.
        let unsorted = pairs
            .windows(2)
            .fold(false, |acc, pair| acc | (pair[1].0 <= pair[0].0));
        if unsorted && let Some(pair) = pairs.windows(2).find(|pair| pair[1].0 <= pair[0].0) {
            return Err(EpochError::RowNotSorted {
                field,
                row,
                uid: pair[1].0,
                previous: pair[0].0,
            });
        }
    }
    Ok(())
}
