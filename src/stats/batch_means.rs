//! Batch-means estimates of the variance of a Markov-chain mean, univariate
//! and multivariate.
//!
//! The chain is cut into `b` consecutive batches of length `m`; when the
//! batches are long compared with the autocorrelation time their means are
//! nearly independent, and their spread estimates the long-run (asymptotic)
//! variance. The `n − b m` leftover draws are dropped **at the start** of the
//! series, so the most recent draws are always used.
//!
//! # References
//!
//! - J. M. Flegal, G. L. Jones (2010), "Batch means and spectral variance
//!   estimators in Markov chain Monte Carlo", *Annals of Statistics* 38(2),
//!   1034–1070.
//! - D. Vats, J. M. Flegal, G. L. Jones (2019), "Multivariate output analysis
//!   for Markov chain Monte Carlo", *Biometrika* 106(2), 321–337.

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use super::moments::StreamingMoments;
use super::{check_row_major, StatsError};
use crate::stats::autocorrelation::{iat_in_place, iat_of_series};

/// Fewest batches for which a batch-means estimate is returned.
pub const MIN_BATCHES: usize = 20;

/// Most batches the automatic batch-length rule produces.
pub const MAX_BATCHES: usize = 100;

/// Batch length in units of the integrated autocorrelation time used by the
/// automatic rule ([`batch_length_rule`]).
pub const BATCH_LENGTH_PER_TAU: f64 = 20.0;

/// The automatic batch-length rule.
///
/// # Formula
///
/// ```text
/// m = max( ceil(20 τ̂), ceil(n / max_batches), 1 ),      b = floor(n / m)
/// ```
///
/// `20 τ̂` makes neighbouring batch means nearly uncorrelated (the relative
/// bias of the batch-means variance is `O(τ / m)`, Flegal & Jones 2010), and
/// `n / max_batches` caps the number of batches so that long chains get
/// longer, less biased batches instead of more of them. With
/// `max_batches = MAX_BATCHES` the rule yields `b ≥ MIN_BATCHES` exactly when
/// `n ≥ MIN_BATCHES · ceil(20 τ̂)`.
///
/// A non-finite or negative `tau` is treated as 0.
///
/// # Example
///
/// ```
/// use sgbayes::stats::{batch_length_rule, MAX_BATCHES};
///
/// assert_eq!(batch_length_rule(10_000, 1.0, MAX_BATCHES), 100); // n / 100 wins
/// assert_eq!(batch_length_rule(10_000, 19.0, MAX_BATCHES), 380); // 20 τ wins
/// ```
pub fn batch_length_rule(n: usize, tau: f64, max_batches: usize) -> usize {
    let tau = if tau.is_finite() && tau > 0.0 {
        tau
    } else {
        0.0
    };
    let by_tau = (BATCH_LENGTH_PER_TAU * tau).ceil() as usize;
    let by_count = n.div_ceil(max_batches.max(1));
    by_tau.max(by_count).max(1)
}

/// The automatic batch length for `n` draws whose largest estimated
/// autocorrelation time is `tau`, or [`StatsError::TooFewEffectiveDraws`] if
/// fewer than [`MIN_BATCHES`] batches fit.
///
/// # Formula
///
/// [`batch_length_rule`] with [`MAX_BATCHES`]; the error reports
/// `needed = MIN_BATCHES · ceil(20 τ̂)` draws.
///
/// # Example
///
/// ```
/// use sgbayes::stats::{batch_means::checked_batch_length, StatsError};
///
/// assert_eq!(checked_batch_length(10_000, 4.2).unwrap(), 100);
/// assert!(matches!(
///     checked_batch_length(1_000, 4.2),
///     Err(StatsError::TooFewEffectiveDraws { needed: 1_680, .. })
/// ));
/// ```
pub fn checked_batch_length(n: usize, tau: f64) -> Result<usize, StatsError> {
    let batch_length = batch_length_rule(n, tau, MAX_BATCHES);
    if n / batch_length < MIN_BATCHES {
        let per_batch = batch_length_rule(0, tau, MAX_BATCHES);
        return Err(StatsError::TooFewEffectiveDraws {
            n,
            tau,
            needed: MIN_BATCHES * per_batch,
        });
    }
    Ok(batch_length)
}

/// Univariate batch-means summary of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnivariateBatchMeans {
    /// Length of the input series.
    pub n: usize,
    /// Batch length `m`.
    pub batch_length: usize,
    /// Number of batches `b = floor(n / m)`.
    pub n_batches: usize,
    /// Draws dropped at the start, `n − b m`.
    pub n_dropped: usize,
    /// Mean of the `b m` draws used (= mean of the batch means).
    pub mean: f64,
    /// Sample variance of the batch means, `S_b²` (denominator `b − 1`).
    pub batch_mean_variance: f64,
    /// Long-run variance estimate `σ̂²_BM = m S_b²` (so `Var(x̄) ≈ σ̂²_BM / (b m)`).
    pub long_run_variance: f64,
    /// Standard error of `mean`, `sqrt(S_b² / b)`.
    pub standard_error: f64,
}

/// Batch-means standard error of the mean with a caller-chosen batch length.
///
/// # Formula
///
/// Drop the first `n − b m` draws, with `b = floor(n / m)`; batch means
/// `Ȳ_j = (1/m) Σ_{t ∈ batch j} x_t`, grand mean `Ȳ = (1/b) Σ_j Ȳ_j` and
///
/// ```text
/// S_b² = Σ_j (Ȳ_j − Ȳ)² / (b − 1),    SE(Ȳ) = sqrt(S_b² / b),    σ̂²_BM = m S_b².
/// ```
///
/// Under weak dependence `(Ȳ − μ) / SE` is approximately Student-t with
/// `b − 1` degrees of freedom (Flegal & Jones 2010).
///
/// # Errors
///
/// [`StatsError::InvalidBatchLength`] if `m = 0` or `m > n`;
/// [`StatsError::NonFinite`]; [`StatsError::TooFewBatches`] if
/// `b < MIN_BATCHES`; [`StatsError::ZeroVariance`] if all batch means are
/// equal.
///
/// # Example
///
/// ```
/// use sgbayes::stats::univariate_batch_means;
///
/// // 41 draws, batch length 2: the first draw (1000.0) is dropped and the
/// // batch means are 0.5, 2.5, …, 38.5.
/// let mut x = vec![1000.0];
/// x.extend((0..40).map(|t| t as f64));
/// let bm = univariate_batch_means(&x, 2).unwrap();
/// assert_eq!((bm.n_batches, bm.n_dropped), (20, 1));
/// assert!((bm.mean - 19.5).abs() < 1e-12);
/// assert!((bm.batch_mean_variance - 140.0).abs() < 1e-10);
/// assert!((bm.long_run_variance - 280.0).abs() < 1e-10);
/// ```
pub fn univariate_batch_means(
    series: &[f64],
    batch_length: usize,
) -> Result<UnivariateBatchMeans, StatsError> {
    let n = series.len();
    if batch_length == 0 || batch_length > n {
        return Err(StatsError::InvalidBatchLength { batch_length, n });
    }
    super::check_finite(series, "series")?;
    let n_batches = n / batch_length;
    if n_batches < MIN_BATCHES {
        return Err(StatsError::TooFewBatches {
            n,
            batch_length,
            n_batches,
            needed: MIN_BATCHES,
        });
    }
    let n_dropped = n - n_batches * batch_length;
    batch_means_of(&series[n_dropped..], n, batch_length, n_dropped, "series")
}

/// [`univariate_batch_means`] with the automatic batch length
/// ([`checked_batch_length`] with Geyer's τ̂ of the series).
///
/// # Errors
///
/// As [`univariate_batch_means`], plus the errors of
/// [`integrated_autocorrelation_time`](super::integrated_autocorrelation_time)
/// and [`StatsError::TooFewEffectiveDraws`].
///
/// # Example
///
/// ```
/// let x: Vec<f64> = (0..2_000).map(|t| ((t * 7919) % 1000) as f64).collect();
/// let bm = sgbayes::stats::batch_means::univariate_batch_means_auto(&x).unwrap();
/// assert!(bm.n_batches >= 20 && bm.n_batches <= 100);
/// ```
pub fn univariate_batch_means_auto(series: &[f64]) -> Result<UnivariateBatchMeans, StatsError> {
    let tau = iat_of_series(series, "series")?;
    let batch_length = checked_batch_length(series.len(), tau)?;
    univariate_batch_means(series, batch_length)
}

/// Batch means of an already trimmed series (`used.len()` a multiple of
/// `batch_length`, at least `MIN_BATCHES` batches, finite values).
pub(crate) fn batch_means_of(
    used: &[f64],
    n: usize,
    batch_length: usize,
    n_dropped: usize,
    what: &str,
) -> Result<UnivariateBatchMeans, StatsError> {
    let n_batches = used.len() / batch_length;
    let m = batch_length as f64;
    // Welford over batch means.
    let mut mean = 0.0;
    let mut ss = 0.0;
    let mut scale = 0.0_f64;
    for (j, batch) in used.chunks_exact(batch_length).enumerate() {
        let y = batch.iter().sum::<f64>() / m;
        scale = scale.max(y.abs());
        let delta = y - mean;
        mean += delta / (j + 1) as f64;
        ss += delta * (y - mean);
    }
    let b = n_batches as f64;
    let batch_mean_variance = ss / (b - 1.0);
    let rounding = 16.0 * f64::EPSILON * scale;
    if batch_mean_variance.is_nan() || batch_mean_variance <= rounding * rounding {
        return Err(StatsError::ZeroVariance {
            what: format!("batch means of {what}"),
        });
    }
    Ok(UnivariateBatchMeans {
        n,
        batch_length,
        n_batches,
        n_dropped,
        mean,
        batch_mean_variance,
        long_run_variance: m * batch_mean_variance,
        standard_error: (batch_mean_variance / b).sqrt(),
    })
}

/// Multivariate batch-means summary of a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct MultivariateBatchMeans {
    /// Number of draws in the input.
    pub n: usize,
    /// Dimension `d`.
    pub dim: usize,
    /// Batch length `m`.
    pub batch_length: usize,
    /// Number of batches `b = floor(n / m)`.
    pub n_batches: usize,
    /// Draws dropped at the start, `n − b m`.
    pub n_dropped: usize,
    /// Mean of the `b m` draws used (= mean of the batch means), `Ȳ`.
    pub mean: DVector<f64>,
    /// Sample covariance of the batch means, `S_b` (denominator `b − 1`).
    pub batch_mean_covariance: DMatrix<f64>,
    /// Long-run covariance estimate `Σ̂_BM = m S_b`
    /// (so `Cov(Ȳ) ≈ Σ̂_BM / (b m) = S_b / b`).
    pub long_run_covariance: DMatrix<f64>,
    /// Sample covariance `Λ̂` of the `b m` draws used (denominator `b m − 1`).
    pub sample_covariance: DMatrix<f64>,
}

impl MultivariateBatchMeans {
    /// Multivariate effective sample size of Vats, Flegal & Jones (2019), or
    /// `None` if `Λ̂` or `Σ̂_BM` is not positive definite.
    ///
    /// # Formula
    ///
    /// ```text
    /// mESS = (b m) · ( det Λ̂ / det Σ̂_BM )^{1/d}
    /// ```
    pub fn multivariate_ess(&self) -> Option<f64> {
        let ln_det_lambda = self.sample_covariance.clone().cholesky()?.ln_determinant();
        let ln_det_sigma = self
            .long_run_covariance
            .clone()
            .cholesky()?
            .ln_determinant();
        let n_used = (self.n_batches * self.batch_length) as f64;
        Some(n_used * ((ln_det_lambda - ln_det_sigma) / self.dim as f64).exp())
    }
}

/// Multivariate batch means with a caller-chosen batch length; `draws` is
/// row-major with `dim` components per draw.
///
/// # Formula
///
/// Drop the first `n − b m` draws; batch means `Y_j ∈ ℝ^d`, `Ȳ = (1/b) Σ_j Y_j`,
///
/// ```text
/// S_b = Σ_j (Y_j − Ȳ)(Y_j − Ȳ)ᵀ / (b − 1),      Σ̂_BM = m S_b
/// ```
///
/// (Vats, Flegal & Jones 2019, eq. 3). `Σ̂_BM` is positive definite with
/// probability one only if `b > d`.
///
/// # Errors
///
/// [`StatsError::DimensionMismatch`] if `draws.len()` is not a multiple of
/// `dim` (or `dim = 0`); [`StatsError::NonFinite`];
/// [`StatsError::InvalidBatchLength`]; [`StatsError::TooFewBatches`] if
/// `b < MIN_BATCHES`; [`StatsError::ZeroVariance`] if some component's batch
/// means are all equal.
///
/// # Example
///
/// ```
/// use sgbayes::stats::multivariate_batch_means;
///
/// let draws: Vec<f64> = (0..40).flat_map(|t| [t as f64, (t % 3) as f64]).collect();
/// let bm = multivariate_batch_means(&draws, 2, 2).unwrap();
/// assert_eq!((bm.n_batches, bm.n_dropped), (20, 0));
/// assert!((bm.mean[0] - 19.5).abs() < 1e-12);
/// assert_eq!(bm.long_run_covariance.nrows(), 2);
/// ```
pub fn multivariate_batch_means(
    draws: &[f64],
    dim: usize,
    batch_length: usize,
) -> Result<MultivariateBatchMeans, StatsError> {
    let n = check_row_major(draws, dim, "draws")?;
    if batch_length == 0 || batch_length > n {
        return Err(StatsError::InvalidBatchLength { batch_length, n });
    }
    let n_batches = n / batch_length;
    if n_batches < MIN_BATCHES {
        return Err(StatsError::TooFewBatches {
            n,
            batch_length,
            n_batches,
            needed: MIN_BATCHES,
        });
    }
    let n_dropped = n - n_batches * batch_length;
    let used = &draws[n_dropped * dim..];
    let mut batch_moments = StreamingMoments::new(dim);
    let mut draw_moments = StreamingMoments::new(dim);
    let mut batch_sum = vec![0.0; dim];
    let m = batch_length as f64;
    for batch in used.chunks_exact(batch_length * dim) {
        batch_sum.iter_mut().for_each(|s| *s = 0.0);
        for x in batch.chunks_exact(dim) {
            draw_moments.push(x)?;
            for (s, v) in batch_sum.iter_mut().zip(x) {
                *s += v;
            }
        }
        batch_sum.iter_mut().for_each(|s| *s /= m);
        batch_moments.push(&batch_sum)?;
    }
    let batch_mean_covariance = batch_moments.covariance();
    let mean = batch_moments.mean();
    for i in 0..dim {
        let rounding = 16.0 * f64::EPSILON * mean[i].abs().max(f64::MIN_POSITIVE);
        let variance = batch_mean_covariance[(i, i)];
        if variance.is_nan() || variance <= rounding * rounding {
            return Err(StatsError::ZeroVariance {
                what: format!("batch means of component {i}"),
            });
        }
    }
    Ok(MultivariateBatchMeans {
        n,
        dim,
        batch_length,
        n_batches,
        n_dropped,
        mean,
        long_run_covariance: &batch_mean_covariance * m,
        batch_mean_covariance,
        sample_covariance: draw_moments.covariance(),
    })
}

/// [`multivariate_batch_means`] with the automatic batch length:
/// [`checked_batch_length`] with the largest Geyer τ̂ over the components.
///
/// # Errors
///
/// As [`multivariate_batch_means`], plus [`StatsError::TooFewEffectiveDraws`]
/// and [`StatsError::ZeroVariance`] for a constant component.
///
/// # Example
///
/// ```
/// let draws: Vec<f64> = (0..3_000)
///     .flat_map(|t| [((t * 7919) % 1000) as f64, ((t * 104_729) % 997) as f64])
///     .collect();
/// let bm = sgbayes::stats::batch_means::multivariate_batch_means_auto(&draws, 2).unwrap();
/// assert!(bm.n_batches >= 20 && bm.n_batches <= 100);
/// ```
pub fn multivariate_batch_means_auto(
    draws: &[f64],
    dim: usize,
) -> Result<MultivariateBatchMeans, StatsError> {
    let n = check_row_major(draws, dim, "draws")?;
    let tau = max_component_tau(draws, dim, n)?;
    let batch_length = checked_batch_length(n, tau)?;
    multivariate_batch_means(draws, dim, batch_length)
}

/// Largest Geyer τ̂ over the components of row-major draws.
pub(crate) fn max_component_tau(draws: &[f64], dim: usize, n: usize) -> Result<f64, StatsError> {
    let mut scratch = vec![0.0; n];
    let mut tau_max = 0.0_f64;
    for i in 0..dim {
        for (s, x) in scratch.iter_mut().zip(draws.chunks_exact(dim)) {
            *s = x[i];
        }
        tau_max = tau_max.max(iat_in_place(&mut scratch, &format!("component {i}"))?);
    }
    Ok(tau_max)
}
