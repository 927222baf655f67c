//! Why an [`EpochInput`](crate::EpochInput) is rejected before the epoch runs.

/// An input the epoch refuses, naming the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpochError {
    /// A per-uid vector does not have one entry per uid.
    #[error("`{field}` has {got} entries but n = {n}; it needs exactly one entry per uid")]
    LengthMismatch {
        /// The input field.
        field: &'static str,
        /// Its length.
        got: usize,
        /// The subnet size.
        n: u16,
    },
    /// A uid that must name a registered neuron is `>= n`.
    #[error("`{field}` is uid {uid}, out of range for n = {n}")]
    UidOutOfRange {
        /// The input field.
        field: &'static str,
        /// The offending uid.
        uid: u16,
        /// The subnet size.
        n: u16,
    },
    /// A sparse row has more pairs than there are uids.
    #[error("`{field}` row of uid {row} has {len} pairs, more than n = {n}")]
    RowTooLong {
        /// `weights` or `bonds`.
        field: &'static str,
        /// Uid owning the row.
        row: usize,
        /// Number of pairs in the row.
        len: usize,
        /// The subnet size.
        n: u16,
    },
    /// A sparse row is not strictly ascending by uid (unsorted or duplicate uid).
    #[error(
        "`{field}` row of uid {row} is not strictly ascending: uid {uid} follows uid {previous}; sort the pairs and remove duplicates"
    )]
    RowNotSorted {
        /// `weights` or `bonds`.
        field: &'static str,
        /// Uid owning the row.
        row: usize,
        /// The uid that broke the order.
        uid: u16,
        /// The uid before it.
        previous: u16,
    },
    /// The summed stake does not fit the reference's signed 64.64 fixed point.
    #[error("`stake` sums to {total} RAO, above the epoch's limit of {limit} RAO")]
    StakeTooLarge {
        /// Sum of all stakes (saturated).
        total: u64,
        /// Largest accepted sum (`i64::MAX`).
        limit: u64,
    },
    /// `bonds_moving_average / 1e6` does not fit the 32.32 fixed point the reference converts it to.
    #[error("`bonds_moving_average` = {got} is too large; it must be below {limit}")]
    MovingAverageTooLarge {
        /// The given value.
        got: u64,
        /// Exclusive upper bound.
        limit: u64,
    },
}
