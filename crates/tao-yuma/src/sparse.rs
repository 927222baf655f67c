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
    /// An empty matrix with room for `rows` rows and `nnz` entries.
    pub fn with_capacity(rows: usize, nnz: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            cols: Vec::with_capacity(nnz),
            vals: Vec::with_capacity(nnz),
        }
    }

    /// Appends one entry to the row being built.
    #[inline]
    pub fn push(&mut self, col: u16, val: I32F32) {
        self.cols.push(col);
        self.vals.push(val);
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

    /// Closes the row being built and divides it by `sum`, its (wrapping) sum, where that is
    /// positive (`inplace_row_normalize_sparse`, one row at a time while it is in cache).
    pub fn end_row_divided(&mut self, sum: I32F32) {
        let start = self.offsets.last().copied().unwrap_or(0);
        if sum > ZERO
            && let Some(vals) = self.vals.get_mut(start..)
        {
            divide_all(vals, sum);
        }
        self.end_row();
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

    /// The entry range of row `i` in [`Csr::entries`] (empty for `i` out of range).
    #[inline]
    pub fn row_range(&self, i: usize) -> std::ops::Range<usize> {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => start..end,
            _ => 0..0,
        }
    }

    /// The largest raw value stored (0 when empty).
    pub fn max_bits(&self) -> i64 {
        self.vals.iter().map(|v| v.to_bits()).max().unwrap_or(0)
    }
}

/// Per-column saturating sums (starting at 0) with entry counts, for the column
/// normalisations; entries beyond the column count are ignored.
pub struct ColumnFold {
    /// Raw sum and entries seen, per column (together: one lookup per entry).
    columns: Vec<(i64, u32)>,
}

impl ColumnFold {
    /// Zero sums for `columns` columns.
    pub fn new(columns: usize) -> Self {
        Self {
            columns: vec![(0, 0); columns],
        }
    }

    /// Adds `v` to column `j`'s saturating sum (the reference's column sums).
    #[inline(always)]
    pub fn add(&mut self, j: u16, v: I32F32) {
        if let Some((sum, count)) = self.columns.get_mut(usize::from(j)) {
            *sum = sum.saturating_add(v.to_bits());
            // At most one entry per row and at most 2^16 rows: no overflow.
            *count += 1;
        }
    }

    /// Division by each column's fold where that is non-zero (by one, which keeps every value,
    /// where it is zero), prepared only for columns with enough entries to repay it.
    pub fn divisors(&self) -> ColumnDivisors {
        ColumnDivisors(
            self.columns
                .iter()
                .map(|&(sum, count)| divisor_for(I32F32::from_bits(sum), count))
                .collect(),
        )
    }

    /// [`ColumnFold::divisors`] for other per-column values over the same entries (such as
    /// column maxima derived from these sums).
    pub fn divisors_of(&self, values: &[I32F32]) -> ColumnDivisors {
        ColumnDivisors(
            values
                .iter()
                .zip(&self.columns)
                .map(|(&d, &(_, count))| divisor_for(d, count))
                .collect(),
        )
    }
}

/// Division by `d` where it is non-zero (by one, which keeps every value, where it is zero),
/// prepared only when `count` entries repay the preparation.
fn divisor_for(d: I32F32, count: u32) -> Divisor {
    if d == ZERO {
        Divisor::ONE
    } else if count >= PREPARED_DIVISION_MIN {
        Divisor::new(d)
    } else {
        Divisor::slow(d)
    }
}

/// The divisor of every column (`safe_div` by the column's fold, or unchanged when it is 0).
pub struct ColumnDivisors(Vec<Divisor>);

impl ColumnDivisors {
    /// [`ColumnDivisors::divide`] for a column number widened to `u32`.
    #[inline(always)]
    pub fn divide_at(&self, j: u32, v: I32F32) -> I32F32 {
        match self.0.get(j as usize) {
            Some(d) => d.safe_div(v),
            None => v,
        }
    }

    /// `v` divided by column `j`'s divisor (unchanged for a zero fold or `j` out of range).
    #[inline(always)]
    pub fn divide(&self, j: u16, v: I32F32) -> I32F32 {
        match self.0.get(usize::from(j)) {
            Some(d) => d.safe_div(v),
            None => v,
        }
    }
}

/// Entry counts from which preparing a [`Divisor`] beats dividing entry by entry.
const PREPARED_DIVISION_MIN: u32 = 8;

/// `safe_div(v, denominator)` for every value, with a prepared divisor for longer slices.
fn divide_all(vals: &mut [I32F32], denominator: I32F32) {
    if vals.len() >= PREPARED_DIVISION_MIN as usize {
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
