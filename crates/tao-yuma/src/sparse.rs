//! Compressed sparse rows (CSR) of fixed-point values, the epoch's working matrix layout.
//!
//! One allocation per matrix instead of one per row; rows keep the reference's pair order
//! (ascending uid).

use substrate_fixed::types::I32F32;

use crate::fixed::{Divisor, ZERO, safe_div};

/// An `n`-row sparse matrix: row `i` is `cols/vals[offsets[i]..offsets[i + 1]]`.
#[derive(Clone, Debug, Default)]
pub struct Csr {
    offsets: Vec<usize>,
    cols: Vec<u16>,
    vals: Vec<I32F32>,
}

impl Csr {
    /// An empty matrix with room for `rows` rows and `nnz` entries, in the memory of `spare`
    /// (a matrix done with, or a new one), so that no fresh pages are touched where `spare` is
    /// large enough.
    pub fn reusing(spare: Csr, rows: usize, nnz: usize) -> Self {
        let Csr {
            mut offsets,
            mut cols,
            mut vals,
        } = spare;
        offsets.clear();
        cols.clear();
        vals.clear();
        offsets.reserve(rows + 1);
        cols.reserve(nnz);
        vals.reserve(nnz);
        offsets.push(0);
        Self {
            offsets,
            cols,
            vals,
        }
    }

    /// Appends one entry to the row being built.
    #[inline]
    pub fn push(&mut self, col: u16, val: I32F32) {
        self.cols.push(col);
        self.vals.push(val);
    }

    /// Appends `cols` to the row being built with zero values, and returns those values to be
    /// written.
    pub fn extend_row(&mut self, cols: &[u16]) -> &mut [I32F32] {
        self.cols.extend_from_slice(cols);
        let start = self.vals.len();
        self.vals.resize(start + cols.len(), ZERO);
        self.vals.get_mut(start..).unwrap_or(&mut [])
    }

    /// Takes the zero values out of the row being built (a zero entry is no entry).
    pub fn drop_zeros_in_row(&mut self) {
        let start = self.offsets.last().copied().unwrap_or(0);
        let mut kept = start;
        for at in start..self.vals.len() {
            if let (Some(&col), Some(&val)) = (self.cols.get(at), self.vals.get(at))
                && val.to_bits() != 0
            {
                if let (Some(c), Some(v)) = (self.cols.get_mut(kept), self.vals.get_mut(kept)) {
                    (*c, *v) = (col, val);
                }
                kept += 1;
            }
        }
        self.cols.truncate(kept);
        self.vals.truncate(kept);
    }

    /// Closes the row being built.
    #[inline]
    pub fn end_row(&mut self) {
        self.offsets.push(self.cols.len());
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Row `i` as parallel slices of columns and values (empty for `i` out of range).
    #[inline]
    pub fn row(&self, i: usize) -> (&[u16], &[I32F32]) {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => (
                self.cols.get(start..end).unwrap_or(&[]),
                self.vals.get(start..end).unwrap_or(&[]),
            ),
            _ => (&[], &[]),
        }
    }

    /// Closes the row being built, whose values are stored `u16` weights `v` pushed as raw
    /// bits, and row-normalises it as the reference does its 32.32 weights `v · 2^32` with
    /// their wrapping sum (`inplace_row_normalize_sparse`). `total` is the row's plain sum; as
    /// a 32.32 number it wraps negative from 2^31 on, and then the row stays as it is. Below
    /// that, `floor(v · 2^32 / total)` is the reference's quotient of `v · 2^32` by
    /// `total · 2^32`, on numerators small enough for the fast division.
    pub fn end_row_normalized(&mut self, total: u64) {
        let start = self.offsets.last().copied().unwrap_or(0);
        if let Some(vals) = self.vals.get_mut(start..) {
            if total >= ROW_SUM_WRAPS {
                for v in vals.iter_mut() {
                    *v = I32F32::from_bits(v.to_bits() << 32);
                }
            } else if total > 0 {
                divide_all(vals, I32F32::from_bits(total as i64));
            }
        }
        self.end_row();
    }

    /// Appends a row of stored `u16` weights (the pairs of `parts`, in order) and closes it with
    /// [`Csr::end_row_normalized`]; `total` is the plain sum of their values. Each part is
    /// copied as a whole, with no test per entry.
    pub fn push_row_normalized(&mut self, parts: [&[(u16, u16)]; 2], total: u64) {
        for part in parts {
            self.cols.extend(part.iter().map(|&(j, _)| j));
            self.vals
                .extend(part.iter().map(|&(_, v)| I32F32::from_bits(i64::from(v))));
        }
        self.end_row_normalized(total);
    }

    /// All columns and values, row after row.
    pub fn entries(&self) -> (&[u16], &[I32F32]) {
        (&self.cols, &self.vals)
    }

    /// Row offsets, columns and values for passes that rewrite the matrix in place: row `i`
    /// spans `offsets[i]..offsets[i + 1]`.
    pub fn parts_mut(&mut self) -> (&mut [usize], &mut Vec<u16>, &mut Vec<I32F32>) {
        (&mut self.offsets, &mut self.cols, &mut self.vals)
    }

    /// The largest raw value stored (0 when empty).
    pub fn max_bits(&self) -> i64 {
        self.vals.iter().map(|v| v.to_bits()).max().unwrap_or(0)
    }
}

/// The plain row sum of stored weights from which the reference's 32.32 sum wraps negative and
/// [`Csr::end_row_normalized`] leaves the row as it is (below it, values end in [0, 1]).
pub const ROW_SUM_WRAPS: u64 = 1 << 31;

/// The memory of an epoch's matrices and per-column divisors once it is done with them, for the
/// next epoch to write into (memory already mapped costs no page faults).
#[derive(Debug, Default)]
pub struct Spare {
    matrices: Vec<Csr>,
    divisors: Vec<Vec<Divisor>>,
}

impl Spare {
    /// A matrix done with (or a new one), for [`Csr::reusing`].
    pub fn matrix(&mut self) -> Csr {
        self.matrices.pop().unwrap_or_default()
    }

    /// Keeps `matrices` for a later epoch.
    pub fn keep(&mut self, matrices: impl IntoIterator<Item = Csr>) {
        self.matrices.extend(matrices);
    }

    /// Keeps the memory of `divisors` for a later epoch.
    pub fn keep_divisors(&mut self, divisors: ColumnDivisors) {
        self.divisors.push(divisors.0);
    }

    /// `divisors` collected into memory kept from an earlier epoch.
    fn collect_divisors(&mut self, divisors: impl Iterator<Item = Divisor>) -> ColumnDivisors {
        let mut buffer = self.divisors.pop().unwrap_or_default();
        buffer.clear();
        buffer.extend(divisors);
        ColumnDivisors(buffer)
    }
}

/// A matrix as consecutive blocks of rows, each its own [`Csr`] (row `r` of a block is row
/// `start + r` of the matrix), so that blocks are built and rewritten on threads of their own.
#[derive(Clone, Debug, Default)]
pub struct RowBlocks {
    blocks: Vec<(usize, Csr)>,
}

impl RowBlocks {
    /// The matrix made of `blocks`, each with its first row, in row order.
    pub fn new(blocks: Vec<(usize, Csr)>) -> Self {
        Self { blocks }
    }

    /// Each block with its first row.
    pub fn blocks(&self) -> &[(usize, Csr)] {
        &self.blocks
    }

    /// The blocks, each with its first row.
    pub fn into_blocks(self) -> Vec<(usize, Csr)> {
        self.blocks
    }

    /// Row `i` as parallel slices of columns and values (empty for `i` out of range).
    #[inline]
    pub fn row(&self, i: usize) -> (&[u16], &[I32F32]) {
        let at = self.blocks.partition_point(|(start, _)| *start <= i);
        match at.checked_sub(1).and_then(|b| self.blocks.get(b)) {
            Some((start, m)) => m.row(i - start),
            None => (&[], &[]),
        }
    }

    /// The largest raw value stored (0 when empty).
    pub fn max_bits(&self) -> i64 {
        self.blocks
            .iter()
            .map(|(_, m)| m.max_bits())
            .max()
            .unwrap_or(0)
    }
}

/// Per-column saturating sums (starting at 0) and maxima, for the column normalisations;
/// entries beyond the column count are ignored.
pub struct ColumnFold {
    /// Per column: everything one entry updates, so that it takes one lookup.
    columns: Vec<FoldedColumn>,
}

/// One column of a [`ColumnFold`].
#[derive(Clone, Copy, Default)]
pub struct FoldedColumn {
    /// Raw saturating sum.
    sum: i64,
    /// Largest raw value added with [`ColumnFold::add_keeping_max`] (0 before any).
    max: i64,
}

impl ColumnFold {
    /// Zero sums for `columns` columns.
    pub fn new(columns: usize) -> Self {
        Self {
            columns: vec![FoldedColumn::default(); columns],
        }
    }

    /// Adds `v` to column `j`'s saturating sum (the reference's column sums).
    #[inline(always)]
    pub fn add(&mut self, j: u16, v: I32F32) {
        if let Some(column) = self.columns.get_mut(usize::from(j)) {
            column.sum = column.sum.saturating_add(v.to_bits());
        }
    }

    /// [`ColumnFold::add`], also keeping the column's largest value.
    #[inline(always)]
    pub fn add_keeping_max(&mut self, j: u16, v: I32F32) {
        if let Some(column) = self.columns.get_mut(usize::from(j)) {
            column.sum = column.sum.saturating_add(v.to_bits());
            column.max = column.max.max(v.to_bits());
        }
    }

    /// [`ColumnFold::add`] for `v` in [0, 1] (raw `0..=2^32`): at most 2^16 such values sum
    /// below 2^49, so the sum never saturates and plain addition gives the same.
    #[inline(always)]
    pub fn add_unit(&mut self, j: u16, v: I32F32) {
        if let Some(column) = self.columns.get_mut(usize::from(j)) {
            column.sum += v.to_bits();
        }
    }

    /// [`ColumnFold::add_keeping_max`] for `v` in [0, 1], as [`ColumnFold::add_unit`].
    #[inline(always)]
    pub fn add_keeping_max_unit(&mut self, j: u16, v: I32F32) {
        if let Some(column) = self.columns.get_mut(usize::from(j)) {
            column.sum += v.to_bits();
            column.max = column.max.max(v.to_bits());
        }
    }

    /// The fold of every part's entries (zero sums over `columns` columns when there are no
    /// parts): the same as one fold over all blocks' entries when they are non-negative
    /// (saturating sums of those do not depend on the order). A single part is taken as it is.
    pub fn total(columns: usize, parts: impl IntoIterator<Item = Self>) -> Self {
        let mut parts = parts.into_iter();
        let Some(mut total) = parts.next() else {
            return Self::new(columns);
        };
        for part in parts {
            total.absorb(&part);
        }
        total
    }

    /// The columns, for loops that look up several per-column slices of one length with a
    /// single bounds check.
    pub fn columns_mut(&mut self) -> &mut [FoldedColumn] {
        &mut self.columns
    }

    /// Adds another fold over the same columns.
    fn absorb(&mut self, other: &Self) {
        for (column, part) in self.columns.iter_mut().zip(&other.columns) {
            column.sum = column.sum.saturating_add(part.sum);
            column.max = column.max.max(part.max);
        }
    }

    /// Each column's largest value kept by [`ColumnFold::add_keeping_max`].
    pub fn maxima(&self) -> impl Iterator<Item = I32F32> + '_ {
        self.columns.iter().map(|c| I32F32::from_bits(c.max))
    }

    /// Division by each column's fold where that is non-zero (by one, which keeps every value,
    /// where it is zero).
    pub fn divisors(&self, spare: &mut Spare) -> ColumnDivisors {
        spare.collect_divisors(
            self.columns
                .iter()
                .map(|c| divisor_for(I32F32::from_bits(c.sum))),
        )
    }

    /// [`ColumnFold::divisors`], with division by zero (every quotient 0) in the columns that
    /// `kept` rejects, so that their entries drop out.
    pub fn divisors_keeping(
        &self,
        kept: impl Fn(usize) -> bool,
        spare: &mut Spare,
    ) -> ColumnDivisors {
        spare.collect_divisors(self.columns.iter().enumerate().map(|(j, c)| {
            if kept(j) {
                divisor_for(I32F32::from_bits(c.sum))
            } else {
                Divisor::ZERO
            }
        }))
    }
}

/// [`ColumnFold::divisors`] for other per-column values (such as column maxima derived from a
/// fold's sums).
pub fn divisors_of(values: &[I32F32], spare: &mut Spare) -> ColumnDivisors {
    spare.collect_divisors(values.iter().map(|&d| divisor_for(d)))
}

/// Division by `d` where it is non-zero (by one, which keeps every value, where it is zero).
/// Every column's divisor is prepared, however few its entries: the direct division of the
/// others would take a branch per entry that the processor cannot predict.
fn divisor_for(d: I32F32) -> Divisor {
    if d == ZERO {
        Divisor::ONE
    } else {
        Divisor::new(d)
    }
}

/// The divisor of every column (`safe_div` by the column's fold, or unchanged when it is 0);
/// columns beyond the matrix hold no entries, and a value there divides to 0.
pub struct ColumnDivisors(Vec<Divisor>);

impl FoldedColumn {
    /// [`ColumnFold::add_keeping_max_unit`] on this column.
    #[inline(always)]
    pub fn add_keeping_max_unit(&mut self, v: I32F32) {
        self.sum += v.to_bits();
        self.max = self.max.max(v.to_bits());
    }
}

impl ColumnDivisors {
    /// Every column's divisor.
    pub fn as_slice(&self) -> &[Divisor] {
        &self.0
    }

    /// `v` divided by column `j`'s divisor (unchanged for a zero fold, 0 for `j` out of range).
    #[inline(always)]
    pub fn divide(&self, j: u16, v: I32F32) -> I32F32 {
        match self.0.get(usize::from(j)) {
            Some(d) => d.safe_div(v),
            None => ZERO,
        }
    }
}

/// Row lengths from which preparing a [`Divisor`] beats dividing entry by entry.
const PREPARED_DIVISION_MIN: usize = 8;

/// `safe_div(v, denominator)` for every value, with a prepared divisor for longer slices.
fn divide_all(vals: &mut [I32F32], denominator: I32F32) {
    if vals.len() >= PREPARED_DIVISION_MIN {
        let d = Divisor::new(denominator);
        for v in vals.iter_mut() {
            *v = d.safe_div(*v);
        }
    } else {
        for v in vals.iter_mut() {
            *v = safe_div(*v, denominator);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::from_u16;
    use proptest::prelude::*;

    /// The reference's row normalisation of stored weights: 32.32 values, their wrapping sum,
    /// division only where that sum is positive.
    fn reference_row(values: &[u16]) -> Vec<I32F32> {
        let sum = values
            .iter()
            .fold(0i64, |acc, &v| acc.wrapping_add(from_u16(v).to_bits()));
        values
            .iter()
            .map(|&v| {
                if sum > 0 {
                    safe_div(from_u16(v), I32F32::from_bits(sum))
                } else {
                    from_u16(v)
                }
            })
            .collect()
    }

    fn normalized_row(values: &[u16]) -> (Vec<I32F32>, bool) {
        let mut m = Csr::reusing(Csr::default(), 1, values.len());
        for (j, &v) in values.iter().enumerate() {
            m.push(j as u16, I32F32::from_bits(i64::from(v)));
        }
        let total = values.iter().map(|&v| u64::from(v)).sum();
        m.end_row_normalized(total);
        (m.row(0).1.to_vec(), total < ROW_SUM_WRAPS)
    }

    /// The row of `values` appended whole by [`Csr::push_row_normalized`], split in two at
    /// `split`.
    fn pushed_row(values: &[u16], split: usize) -> Vec<I32F32> {
        let pairs: Vec<(u16, u16)> = values
            .iter()
            .enumerate()
            .map(|(j, &v)| (j as u16, v))
            .collect();
        let (first, second) = pairs.split_at(split.min(pairs.len()));
        let mut m = Csr::reusing(Csr::default(), 1, values.len());
        m.push_row_normalized([first, second], values.iter().map(|&v| u64::from(v)).sum());
        let (cols, vals) = m.row(0);
        assert!(cols.iter().enumerate().all(|(j, &c)| usize::from(c) == j));
        vals.to_vec()
    }

    proptest! {
        #[test]
        fn rows_normalise_as_the_reference_does(
            values in proptest::collection::vec(any::<u16>(), 0..40),
            split in 0usize..40,
        ) {
            let (row, normalized) = normalized_row(&values);
            prop_assert_eq!(&row, &reference_row(&values));
            prop_assert!(normalized);
            prop_assert_eq!(pushed_row(&values, split), row);
        }
    }

    #[test]
    fn rows_whose_sum_wraps_stay_as_they_are() {
        // 32769 · 65535 ≥ 2^31: the reference's 32.32 sum wraps negative.
        for values in [vec![u16::MAX; 32_769], vec![u16::MAX; 32_768]] {
            let (row, normalized) = normalized_row(&values);
            assert_eq!(row, reference_row(&values));
            assert_eq!(normalized, values.len() < 32_769);
            assert_eq!(pushed_row(&values, 1000), row);
        }
    }
}
