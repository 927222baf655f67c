//! Compressed sparse rows (CSR) of fixed-point values, the epoch's working matrix layout.
//!
//! One allocation per matrix instead of one per row; rows keep the reference's pair order
//! (ascending uid).

use substrate_fixed::types::I32F32;

use crate::fixed::{ZERO, safe_div, wrapping_sum};

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
                for v in vals.iter_mut() {
                    *v = safe_div(*v, sum);
                }
            }
        }
    }

    /// Per-column saturating sums over `columns` columns (entries beyond are ignored).
    fn col_sums(&self, columns: usize) -> Vec<I32F32> {
        let mut sums = vec![ZERO; columns];
        for (&j, &v) in self.cols.iter().zip(&self.vals) {
            if let Some(s) = sums.get_mut(usize::from(j)) {
                *s = s.saturating_add(v);
            }
        }
        sums
    }

    /// Divides each entry by its column's sum where non-zero (`inplace_col_normalize_sparse`).
    pub fn col_normalize(&mut self, columns: usize) {
        let sums = self.col_sums(columns);
        for (&j, v) in self.cols.iter().zip(self.vals.iter_mut()) {
            let denom = sums.get(usize::from(j)).copied().unwrap_or(ZERO);
            if denom != ZERO {
                *v = safe_div(*v, denom);
            }
        }
    }

    /// Divides each entry by its column's maximum where non-zero (`inplace_col_max_upscale_sparse`).
    pub fn col_max_upscale(&mut self, columns: usize) {
        let mut maxes = vec![ZERO; columns];
        for (&j, &v) in self.cols.iter().zip(&self.vals) {
            if let Some(m) = maxes.get_mut(usize::from(j))
                && *m < v
            {
                *m = v;
            }
        }
        for (&j, v) in self.cols.iter().zip(self.vals.iter_mut()) {
            let m = maxes.get(usize::from(j)).copied().unwrap_or(ZERO);
            if m != ZERO {
                *v = safe_div(*v, m);
            }
        }
    }

    /// Per-row wrapping sums (`row_sum_sparse`).
    pub fn row_sums(&self) -> Vec<I32F32> {
        (0..self.rows())
            .map(|i| wrapping_sum(self.row(i).1.iter().copied()))
            .collect()
    }
}
