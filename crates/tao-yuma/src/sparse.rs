//! Compressed sparse rows (CSR) of fixed-point values, the epoch's working matrix layout.
//!
//! One allocation per matrix instead of one per row; rows keep the reference's pair order
//! (ascending uid).

use substrate_fixed::types::I32F32;

use crate::fixed::{Divisor, ZERO, safe_div, wrapping_sum};

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

    /// Row `i` with mutable values.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> (&[u16], &mut [I32F32]) {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&start), Some(&end)) => (
                self.cols.get(start..end).unwrap_or(&[]),
                self.vals.get_mut(start..end).unwrap_or(&mut []),
            ),
            _ => (&[], &mut []),
        }
    }

    /// Divides each row by its (wrapping) sum where that sum is positive
    /// (`inplace_row_normalize_sparse`).
    pub fn row_normalize(&mut self) {
        for i in 0..self.rows() {
            let (_, vals) = self.row_mut(i);
            let sum = wrapping_sum(vals.iter().copied());
            if sum > ZERO {
                divide_all(vals, sum);
            }
        }
    }

    /// Per-column `fold`s of the values over `columns` columns, with entry counts (entries
    /// beyond `columns` are ignored).
    fn col_fold(
        &self,
        columns: usize,
        fold: impl Fn(I32F32, I32F32) -> I32F32,
    ) -> (Vec<I32F32>, Vec<usize>) {
        let mut acc = vec![ZERO; columns];
        let mut counts = vec![0usize; columns];
        for (&j, &v) in self.cols.iter().zip(&self.vals) {
            if let (Some(a), Some(c)) =
                (acc.get_mut(usize::from(j)), counts.get_mut(usize::from(j)))
            {
                *a = fold(*a, v);
                *c += 1;
            }
        }
        (acc, counts)
    }

    /// Divides each entry by its column's denominator where that is non-zero, preparing a
    /// [`Divisor`] only for columns with enough entries (`counts`) to repay it.
    fn divide_cols(&mut self, denominators: &[I32F32], counts: &[usize]) {
        let divisors: Vec<ColumnDivisor> = denominators
            .iter()
            .zip(counts)
            .map(|(&d, &count)| {
                if d == ZERO {
                    ColumnDivisor::Keep
                } else if count >= PREPARED_DIVISION_MIN {
                    ColumnDivisor::Prepared(Divisor::new(d))
                } else {
                    ColumnDivisor::Plain(d)
                }
            })
            .collect();
        for (&j, v) in self.cols.iter().zip(self.vals.iter_mut()) {
            match divisors.get(usize::from(j)) {
                Some(ColumnDivisor::Prepared(d)) => *v = d.safe_div(*v),
                Some(ColumnDivisor::Plain(d)) => *v = safe_div(*v, *d),
                Some(ColumnDivisor::Keep) | None => {}
            }
        }
    }

    /// Divides each entry by its column's sum where non-zero (`inplace_col_normalize_sparse`).
    pub fn col_normalize(&mut self, columns: usize) {
        let (sums, counts) = self.col_fold(columns, I32F32::saturating_add);
        self.divide_cols(&sums, &counts);
    }

    /// Divides each entry by its column's maximum where non-zero (`inplace_col_max_upscale_sparse`).
    pub fn col_max_upscale(&mut self, columns: usize) {
        let (maxes, counts) = self.col_fold(columns, |m, v| if m < v { v } else { m });
        self.divide_cols(&maxes, &counts);
    }

    /// The same pattern with each value `v` in row `i` replaced by `f(i, v)`.
    pub fn map_rows(&self, f: impl Fn(usize, I32F32) -> I32F32) -> Self {
        let mut vals = Vec::with_capacity(self.vals.len());
        for (i, w) in self.offsets.windows(2).enumerate() {
            if let (Some(&start), Some(&end)) = (w.first(), w.get(1))
                && let Some(row) = self.vals.get(start..end)
            {
                vals.extend(row.iter().map(|&v| f(i, v)));
            }
        }
        Self {
            offsets: self.offsets.clone(),
            cols: self.cols.clone(),
            vals,
        }
    }

    /// The largest raw value stored (0 when empty).
    pub fn max_bits(&self) -> i64 {
        self.vals.iter().map(|v| v.to_bits()).max().unwrap_or(0)
    }

    /// Per-row wrapping sums (`row_sum_sparse`).
    pub fn row_sums(&self) -> Vec<I32F32> {
        (0..self.rows())
            .map(|i| wrapping_sum(self.row(i).1.iter().copied()))
            .collect()
    }
}

/// How one column is divided.
enum ColumnDivisor {
    /// Zero denominator: the column stays as it is.
    Keep,
    /// Few entries: a plain division each.
    Plain(I32F32),
    /// Many entries: multiply-and-shift.
    Prepared(Divisor),
}

/// Entry counts from which preparing a [`Divisor`] beats dividing entry by entry.
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
