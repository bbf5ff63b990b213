//! Pure statistics on `f64` data: streaming moments, autocorrelation times,
//! batch means, hypothesis tests and the false-positive budget.
//!
//! This module knows nothing of models or samplers. Its inputs are plain
//! slices (multivariate draws are **row-major**: draw `t` occupies
//! `draws[t * dim..(t + 1) * dim]`) and `nalgebra` vectors and matrices; its
//! outputs are typed, serialisable result structs.
//!
//! | file | job |
//! |------|-----|
//! | [`moments`] | streaming mean and covariance (Welford 1962, Chan et al. 1979) |
//! | [`autocorrelation`](mod@autocorrelation) | integrated autocorrelation time and ESS (Geyer 1992) |
//! | [`batch_means`] | (multivariate) batch-means variance of the mean (Flegal & Jones 2010; Vats, Flegal & Jones 2019) |
//! | [`hypothesis`] | χ², Hotelling T², batch-means t and whitened moment tests |
//! | [`robust`] | Markov/Chebyshev bounds, bounded functionals, known-variance and between-chain tests, split-R̂ (Vehtari et al. 2021) |
//! | [`budget`] | the suite's false-positive accounting |
//! | [`student_t`] | the two-sided Student-t critical value of a batch-means statistic (Flegal & Jones 2010) |
//! | [`ols_slope`] | the OLS slope with the standard deviation propagated from independent errors of y |
//! | [`pooled_chains`] | the mean of independent chains' batch-means estimates, with its standard error and degrees of freedom |
//! | [`replicates`] | mean and standard error of independent replicates (chains, segments) |
//! | [`regression`] | least-squares slopes (log–log, weighted through the origin) |
//! | [`fluctuation_histogram`] | the detailed fluctuation theorem's histogram and fitted slope |
//! | [`pooled_slope`] | that slope pooled over segments, with the between-segment standard error |
//! | [`segment_moments`] | mean and variance of a stationary chain from per-segment moments |
//! | [`half_covariance`] | ½·scale·Cov about a known mean from independent draws (e.g. SGD's D) |
//! | [`ratio_extremes`] | smallest and largest of the ratios estimate/reference |
//! | [`relative_distance`] | relative distances, exact and with estimated points |
//! | [`laplace_importance`] | a Laplace approximation checked by self-normalised importance sampling (Geweke 1989) |
//!
//! Every fallible function checks dimensions and finiteness and returns a
//! [`StatsError`] instead of panicking.
//!
//! # Example
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use sgbayes::stats::{gaussian_moment_test, budget::ALPHA_ASSERTION};
//!
//! use rand::{Rng, SeedableRng};
//! use rand_chacha::ChaCha8Rng;
//! use rand_distr::StandardNormal;
//!
//! // One chain of 4 000 i.i.d. N(0, 1) draws in d = 1.
//! let mut rng = ChaCha8Rng::seed_from_u64(7);
//! let draws: Vec<f64> = (0..4_000).map(|_| rng.sample(StandardNormal)).collect();
//! let report = gaussian_moment_test(
//!     &draws,
//!     &DVector::from_element(1, 0.0),
//!     &DMatrix::identity(1, 1),
//!     ALPHA_ASSERTION,
//! )
//! .unwrap();
//! assert!(!report.reject);
//! ```

pub mod autocorrelation;
pub mod batch_means;
pub mod budget;
pub mod fluctuation_histogram;
pub mod half_covariance;
pub mod hypothesis;
pub mod laplace_importance;
pub mod moment_stream;
pub mod moments;
pub mod ols_slope;
pub mod pooled_chains;
pub mod pooled_slope;
pub mod ratio_extremes;
pub mod regression;
pub mod relative_distance;
pub mod replicates;
pub mod robust;
pub mod segment_moments;
pub mod student_t;

pub use autocorrelation::{
    autocorrelation, effective_sample_size, integrated_autocorrelation_time,
};
pub use batch_means::{
    batch_length_rule, multivariate_batch_means, univariate_batch_means, MultivariateBatchMeans,
    UnivariateBatchMeans, BATCH_LENGTH_PER_TAU, MAX_BATCHES, MIN_BATCHES,
};
pub use budget::{suite_false_positive_bound, ALPHA_ASSERTION, ALPHA_PROPTEST_CASE, ALPHA_SUITE};
pub use hypothesis::{
    chi_square_mean_test, gaussian_moment_test, hotelling_batch_means_test,
    univariate_batch_means_z_test, ChiSquareMeanTest, FunctionalResult, HotellingTest,
    MomentTestReport, UnivariateMeanTest,
};
pub use moments::StreamingMoments;
pub use student_t::critical_value;

/// Errors of the statistics module.
///
/// Every variant describes bad or insufficient *input*; none is a bug in the
/// caller's sampler. [`StatsError::TooFewEffectiveDraws`] means "run longer":
/// the data are fine but carry too little information for a calibrated test.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// Two inputs that must agree in size do not.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// Which input was inconsistent.
        what: &'static str,
        /// The size implied by the other inputs.
        expected: usize,
        /// The size actually received.
        found: usize,
    },
    /// An input contains NaN or ±∞.
    #[error("non-finite value in {what} at flat index {index}")]
    NonFinite {
        /// Which input contained the value.
        what: &'static str,
        /// Flat (row-major) index of the first offending entry.
        index: usize,
    },
    /// A covariance matrix is not symmetric (relative tolerance 1e-10).
    #[error("{what} is not symmetric")]
    NotSymmetric {
        /// Which matrix.
        what: &'static str,
    },
    /// A covariance matrix is not positive definite (Cholesky failed).
    #[error("{what} is not positive definite")]
    NotPositiveDefinite {
        /// Which matrix.
        what: &'static str,
    },
    /// Fewer draws than the method needs at all.
    #[error("too few draws: got {n}, need at least {needed}")]
    TooFewDraws {
        /// Draws received.
        n: usize,
        /// Minimum number of draws.
        needed: usize,
    },
    /// The caller-chosen batch length leaves too few batches, or a
    /// multivariate test has no more batches than dimensions.
    #[error("too few batches: {n_batches} batches of length {batch_length} from {n} draws, need at least {needed}")]
    TooFewBatches {
        /// Draws received.
        n: usize,
        /// Batch length used.
        batch_length: usize,
        /// Batches that fit.
        n_batches: usize,
        /// Batches needed.
        needed: usize,
    },
    /// The chain is too short for its autocorrelation: fewer than
    /// [`MIN_BATCHES`] batches of length `20 τ̂` fit. Run a longer chain.
    #[error(
        "too few effective draws: {n} draws with integrated autocorrelation time {tau:.3} \
         need at least {needed} draws ({MIN_BATCHES} batches of ceil(20 tau) draws); run a longer chain"
    )]
    TooFewEffectiveDraws {
        /// Draws received.
        n: usize,
        /// Largest estimated integrated autocorrelation time.
        tau: f64,
        /// Draws needed for `MIN_BATCHES` batches of `ceil(20 τ̂)`.
        needed: usize,
    },
    /// A series (or a batch-means variance) is constant, so no variance of
    /// the mean can be estimated.
    #[error("zero variance in {what}: the series is constant to rounding precision")]
    ZeroVariance {
        /// Which series or functional.
        what: String,
    },
    /// A significance level outside the open interval (0, 1).
    #[error("significance level alpha = {alpha} is not in (0, 1)")]
    InvalidAlpha {
        /// The offending level.
        alpha: f64,
    },
    /// A batch length of zero or longer than the series.
    #[error("invalid batch length {batch_length} for {n} draws")]
    InvalidBatchLength {
        /// The offending batch length.
        batch_length: usize,
        /// Draws received.
        n: usize,
    },
}

/// Flattens equally long rows into one row-major buffer, the layout every
/// multivariate function of this module expects.
///
/// # Errors
///
/// [`StatsError::DimensionMismatch`] if the rows differ in length.
///
/// # Example
///
/// ```
/// let rows = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
/// let (flat, dim) = sgbayes::stats::flatten_rows(&rows).unwrap();
/// assert_eq!((flat, dim), (vec![1.0, 2.0, 3.0, 4.0], 2));
/// ```
pub fn flatten_rows(rows: &[Vec<f64>]) -> Result<(Vec<f64>, usize), StatsError> {
    let dim = rows.first().map_or(0, Vec::len);
    let mut flat = Vec::with_capacity(dim * rows.len());
    for row in rows {
        if row.len() != dim {
            return Err(StatsError::DimensionMismatch {
                what: "row length",
                expected: dim,
                found: row.len(),
            });
        }
        flat.extend_from_slice(row);
    }
    Ok((flat, dim))
}

/// Returns the first non-finite entry as an error.
pub(crate) fn check_finite(values: &[f64], what: &'static str) -> Result<(), StatsError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NonFinite { what, index }),
        None => Ok(()),
    }
}

/// Checks `0 < alpha < 1`.
pub(crate) fn check_alpha(alpha: f64) -> Result<(), StatsError> {
    if alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        Err(StatsError::InvalidAlpha { alpha })
    }
}

/// Checks that a row-major buffer holds whole draws of `dim` components and
/// returns the number of draws.
pub(crate) fn check_row_major(
    draws: &[f64],
    dim: usize,
    what: &'static str,
) -> Result<usize, StatsError> {
    if dim == 0 {
        return Err(StatsError::DimensionMismatch {
            what: "dimension (must be positive)",
            expected: 1,
            found: 0,
        });
    }
    if !draws.len().is_multiple_of(dim) {
        return Err(StatsError::DimensionMismatch {
            what,
            expected: (draws.len() / dim + 1) * dim,
            found: draws.len(),
        });
    }
    check_finite(draws, what)?;
    Ok(draws.len() / dim)
}

/// Checks a square, finite, symmetric matrix of side `dim` and returns its
/// Cholesky factor.
pub(crate) fn cholesky_checked(
    matrix: &nalgebra::DMatrix<f64>,
    dim: usize,
    what: &'static str,
) -> Result<nalgebra::Cholesky<f64, nalgebra::Dyn>, StatsError> {
    if matrix.nrows() != dim || matrix.ncols() != dim {
        return Err(StatsError::DimensionMismatch {
            what,
            expected: dim,
            found: if matrix.nrows() != dim {
                matrix.nrows()
            } else {
                matrix.ncols()
            },
        });
    }
    check_finite(matrix.as_slice(), what)?;
    let scale = matrix.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    for i in 0..dim {
        for j in 0..i {
            if (matrix[(i, j)] - matrix[(j, i)]).abs() > 1e-10 * scale {
                return Err(StatsError::NotSymmetric { what });
            }
        }
    }
    nalgebra::Cholesky::new(matrix.clone()).ok_or(StatsError::NotPositiveDefinite { what })
}
