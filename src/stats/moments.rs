//! Streaming multivariate mean and covariance.
//!
//! One pass, numerically stable, mergeable: the accumulator of Welford (1962)
//! for single draws and the pairwise combination of Chan, Golub & LeVeque
//! (1979) for merging two accumulators (e.g. from parallel chains or shards).
//!
//! # References
//!
//! - B. P. Welford (1962), "Note on a method for calculating corrected sums of
//!   squares and products", *Technometrics* 4(3), 419–420.
//! - T. F. Chan, G. H. Golub, R. J. LeVeque (1979), "Updating formulae and a
//!   pairwise algorithm for computing sample variances", Stanford CS report
//!   STAN-CS-79-773.

use nalgebra::{DMatrix, DVector};

use super::{check_finite, StatsError};

/// Streaming mean and (unbiased) covariance of `dim`-dimensional draws.
///
/// [`push`](Self::push) costs `O(d²)` and allocates nothing; the only heap
/// memory is allocated once in [`new`](Self::new).
///
/// # Formula
///
/// After the `n`-th draw `x` (Welford):
///
/// ```text
/// δ   = x − x̄_{n−1}
/// x̄_n = x̄_{n−1} + δ / n
/// M_n = M_{n−1} + ((n − 1) / n) δ δᵀ          (M = Σ_t (x_t − x̄)(x_t − x̄)ᵀ)
/// ```
///
/// Merging accumulators `a` and `b` (Chan et al.):
///
/// ```text
/// n = n_a + n_b,   δ = x̄_b − x̄_a
/// x̄ = x̄_a + δ n_b / n
/// M = M_a + M_b + δ δᵀ n_a n_b / n
/// ```
///
/// and the covariance is `M / (n − 1)`.
///
/// # Example
///
/// ```
/// use sgbayes::stats::StreamingMoments;
///
/// let mut acc = StreamingMoments::new(2);
/// for x in [[1.0, 2.0], [3.0, 0.0], [5.0, 4.0]] {
///     acc.push(&x).unwrap();
/// }
/// assert_eq!(acc.count(), 3);
/// assert!((acc.mean()[0] - 3.0).abs() < 1e-15);
/// assert!((acc.covariance()[(0, 0)] - 4.0).abs() < 1e-12);
/// assert!((acc.covariance()[(0, 1)] - 2.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StreamingMoments {
    dim: usize,
    count: u64,
    mean: Vec<f64>,
    /// Centred sum of outer products, row-major `dim × dim`; only the upper
    /// triangle (`j ≥ i`) is maintained.
    m2: Vec<f64>,
    /// Scratch buffer for `δ`, so that `push` does not allocate.
    delta: Vec<f64>,
}

impl StreamingMoments {
    /// An empty accumulator for draws of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            count: 0,
            mean: vec![0.0; dim],
            m2: vec![0.0; dim * dim],
            delta: vec![0.0; dim],
        }
    }

    /// Dimension of the draws.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of draws accumulated.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds one draw. `O(d²)`, no allocation.
    ///
    /// # Errors
    ///
    /// [`StatsError::DimensionMismatch`] if `x.len() != dim`, and
    /// [`StatsError::NonFinite`] if `x` contains NaN or ±∞; the accumulator is
    /// left unchanged in both cases.
    pub fn push(&mut self, x: &[f64]) -> Result<(), StatsError> {
        if x.len() != self.dim {
            return Err(StatsError::DimensionMismatch {
                what: "draw pushed to StreamingMoments",
                expected: self.dim,
                found: x.len(),
            });
        }
        check_finite(x, "draw pushed to StreamingMoments")?;
        self.count += 1;
        let n = self.count as f64;
        let d = self.dim;
        for ((delta, mean), &xi) in self.delta.iter_mut().zip(self.mean.iter_mut()).zip(x) {
            *delta = xi - *mean;
            *mean += *delta / n;
        }
        let w = (n - 1.0) / n;
        for i in 0..d {
            let wi = w * self.delta[i];
            let row = &mut self.m2[i * d + i..(i + 1) * d];
            for (m, &dj) in row.iter_mut().zip(&self.delta[i..]) {
                *m += wi * dj;
            }
        }
        Ok(())
    }

    /// Merges `other` into `self`, as if all of `other`'s draws had been
    /// pushed after `self`'s (the result does not depend on the order up to
    /// rounding).
    ///
    /// # Errors
    ///
    /// [`StatsError::DimensionMismatch`] if the dimensions differ.
    pub fn merge(&mut self, other: &StreamingMoments) -> Result<(), StatsError> {
        if other.dim != self.dim {
            return Err(StatsError::DimensionMismatch {
                what: "merged StreamingMoments",
                expected: self.dim,
                found: other.dim,
            });
        }
        if other.count == 0 {
            return Ok(());
        }
        if self.count == 0 {
            self.count = other.count;
            self.mean.copy_from_slice(&other.mean);
            self.m2.copy_from_slice(&other.m2);
            return Ok(());
        }
        let na = self.count as f64;
        let nb = other.count as f64;
        let n = na + nb;
        let d = self.dim;
        for i in 0..d {
            self.delta[i] = other.mean[i] - self.mean[i];
        }
        let w = na * nb / n;
        for i in 0..d {
            for j in i..d {
                self.m2[i * d + j] += other.m2[i * d + j] + w * self.delta[i] * self.delta[j];
            }
            self.mean[i] += self.delta[i] * nb / n;
        }
        self.count += other.count;
        Ok(())
    }

    /// Sample mean `x̄`; NaN entries if no draw has been pushed.
    pub fn mean(&self) -> DVector<f64> {
        if self.count == 0 {
            return DVector::from_element(self.dim, f64::NAN);
        }
        DVector::from_column_slice(&self.mean)
    }

    /// Unbiased sample covariance `Σ_t (x_t − x̄)(x_t − x̄)ᵀ / (n − 1)`;
    /// NaN entries if fewer than two draws have been pushed.
    pub fn covariance(&self) -> DMatrix<f64> {
        let d = self.dim;
        if self.count < 2 {
            return DMatrix::from_element(d, d, f64::NAN);
        }
        let denom = (self.count - 1) as f64;
        DMatrix::from_fn(d, d, |i, j| {
            let (a, b) = if i <= j { (i, j) } else { (j, i) };
            self.m2[a * d + b] / denom
        })
    }
}
