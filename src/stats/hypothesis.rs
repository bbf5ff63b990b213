//! Hypothesis tests for the mean and covariance of (possibly autocorrelated)
//! chains.
//!
//! | test | null | reference law | needs |
//! |------|------|---------------|-------|
//! | [`chi_square_mean_test`] | `E x = μ` | `χ²_d` (exact when Ω is exact) | known long-run covariance Ω |
//! | [`hotelling_batch_means_test`] | `E x = μ` | `F(d, b − d)` | `b > d` batches |
//! | [`univariate_batch_means_z_test`] | `E x = μ` | Student-t, `b − 1` df | `b ≥ 20` batches |
//! | [`gaussian_moment_test`] | `E x = m`, `Cov x = Σ` | Bonferroni over batch-means t-tests | `b ≥ 20` batches |
//!
//! Every test checks its inputs, returns a typed, serialisable result with the
//! statistic, degrees of freedom, p-value, the level α it was run at, the
//! decision and the effective sample size, and never panics on bad input.
//!
//! # References
//!
//! - H. Hotelling (1931), "The generalization of Student's ratio",
//!   *Annals of Mathematical Statistics* 2(3), 360–378.
//! - J. M. Flegal, G. L. Jones (2010), "Batch means and spectral variance
//!   estimators in Markov chain Monte Carlo", *Annals of Statistics* 38(2).
//! - D. Vats, J. M. Flegal, G. L. Jones (2019), "Multivariate output analysis
//!   for Markov chain Monte Carlo", *Biometrika* 106(2), 321–337.
//! - C. J. Geyer (1992), "Practical Markov chain Monte Carlo",
//!   *Statistical Science* 7(4), 473–483.

use std::fmt;

use nalgebra::{DMatrix, DVector};
use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, StudentsT};

use super::autocorrelation::{iat_in_place, iat_in_place_capped};
use super::batch_means::{
    batch_means_of, checked_batch_length, max_component_tau, BATCH_LENGTH_PER_TAU, MIN_BATCHES,
};
use super::{check_alpha, check_finite, check_row_major, cholesky_checked, StatsError};

/// Result of [`chi_square_mean_test`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChiSquareMeanTest {
    /// `n (x̄ − μ)ᵀ Ω⁻¹ (x̄ − μ)`.
    pub statistic: f64,
    /// Degrees of freedom `d`.
    pub degrees_of_freedom: usize,
    /// Upper-tail probability `P(χ²_d ≥ statistic)`.
    pub p_value: f64,
    /// Level the test was run at.
    pub alpha: f64,
    /// `p_value < alpha`.
    pub reject: bool,
    /// Number of draws `n` behind the sample mean.
    pub n_draws: usize,
    /// Always `None`: with a known Ω no effective sample size is estimated
    /// (the autocorrelation is inside Ω; an ESS would also need the marginal
    /// covariance, which this test does not take).
    pub effective_sample_size: Option<f64>,
}

/// Exact-null χ² test of the mean when the long-run covariance of the mean is
/// known.
///
/// # Formula
///
/// With `Ω = lim n Cov(x̄)` (for i.i.d. draws the marginal covariance; for an
/// affine chain `x' − μ = A (x − μ) + ε`, `Cov ε = Q`, stationary covariance
/// `Σ`, it is `Ω = (I − A)⁻¹ Σ + Σ (I − A)⁻ᵀ − Σ`, asymptotically
/// `(I − A)⁻¹ Q (I − A)⁻ᵀ`):
///
/// ```text
/// X² = n (x̄ − μ)ᵀ Ω⁻¹ (x̄ − μ)  ~  χ²_d     under H0: E x = μ,
/// ```
///
/// exactly for Gaussian chains started in stationarity when `Ω` is the exact
/// `n Cov(x̄)` at this `n`, and asymptotically otherwise. Reject if
/// `P(χ²_d ≥ X²) < α`.
///
/// # Errors
///
/// [`StatsError::DimensionMismatch`], [`StatsError::NonFinite`],
/// [`StatsError::NotSymmetric`], [`StatsError::NotPositiveDefinite`] (Ω),
/// [`StatsError::TooFewDraws`] (`n = 0`), [`StatsError::InvalidAlpha`].
///
/// # Example
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::stats::chi_square_mean_test;
///
/// let omega = DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 4.0]));
/// let xbar = DVector::from_vec(vec![0.01, -0.02]);
/// let r = chi_square_mean_test(&xbar, 10_000, &DVector::zeros(2), &omega, 1e-6).unwrap();
/// // X² = 10⁴ (0.01² / 1 + 0.02² / 4) = 2, and P(χ²_2 ≥ 2) = e⁻¹.
/// assert!((r.statistic - 2.0).abs() < 1e-9);
/// assert!((r.p_value - (-1.0f64).exp()).abs() < 1e-9);
/// assert!(!r.reject);
/// ```
pub fn chi_square_mean_test(
    sample_mean: &DVector<f64>,
    n: usize,
    mean: &DVector<f64>,
    long_run_covariance: &DMatrix<f64>,
    alpha: f64,
) -> Result<ChiSquareMeanTest, StatsError> {
    check_alpha(alpha)?;
    let d = sample_mean.len();
    if d == 0 {
        return Err(StatsError::DimensionMismatch {
            what: "sample mean (must be non-empty)",
            expected: 1,
            found: 0,
        });
    }
    if mean.len() != d {
        return Err(StatsError::DimensionMismatch {
            what: "null mean",
            expected: d,
            found: mean.len(),
        });
    }
    if n == 0 {
        return Err(StatsError::TooFewDraws { n, needed: 1 });
    }
    check_finite(sample_mean.as_slice(), "sample mean")?;
    check_finite(mean.as_slice(), "null mean")?;
    let chol = cholesky_checked(long_run_covariance, d, "long-run covariance")?;
    let mut r = sample_mean - mean;
    chol.l_dirty().solve_lower_triangular_mut(&mut r);
    let statistic = n as f64 * r.norm_squared();
    let p_value = chi_square_sf(statistic, d);
    Ok(ChiSquareMeanTest {
        statistic,
        degrees_of_freedom: d,
        p_value,
        alpha,
        reject: p_value < alpha,
        n_draws: n,
        effective_sample_size: None,
    })
}

/// Result of [`hotelling_batch_means_test`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotellingTest {
    /// `T² = b (Ȳ − μ)ᵀ S_b⁻¹ (Ȳ − μ)`.
    pub t_squared: f64,
    /// `F = (b − d) / (d (b − 1)) T²`.
    pub statistic: f64,
    /// Numerator degrees of freedom `d`.
    pub df_numerator: usize,
    /// Denominator degrees of freedom `b − d`.
    pub df_denominator: usize,
    /// `P(F(d, b − d) ≥ statistic)`.
    pub p_value: f64,
    /// Level the test was run at.
    pub alpha: f64,
    /// `p_value < alpha`.
    pub reject: bool,
    /// Draws received.
    pub n_draws: usize,
    /// Batch length `m`.
    pub batch_length: usize,
    /// Number of batches `b`.
    pub n_batches: usize,
    /// Largest Geyer τ̂ over the components (it sets the batch length).
    pub max_tau: f64,
    /// Smallest componentwise Geyer ESS, `n / max_tau`.
    pub effective_sample_size: f64,
    /// Multivariate ESS of Vats, Flegal & Jones (2019), if defined.
    pub multivariate_ess: Option<f64>,
}

/// Hotelling T² test of the mean from multivariate batch means.
///
/// `draws` is one chain, in order, row-major with `d = mean.len()` components
/// per draw. The batch length is the automatic rule
/// ([`checked_batch_length`]) with the largest componentwise Geyer τ̂.
///
/// # Formula
///
/// With `b` batch means `Y_j`, their mean `Ȳ` and sample covariance `S_b`
/// (denominator `b − 1`), treating the `Y_j` as i.i.d. normal (batches long
/// compared with τ; Flegal & Jones 2010):
///
/// ```text
/// T² = b (Ȳ − μ)ᵀ S_b⁻¹ (Ȳ − μ),      (b − d) / (d (b − 1)) · T²  ~  F(d, b − d)
/// ```
///
/// (Hotelling 1931). Reject if the upper-tail probability is below α.
///
/// # Errors
///
/// [`StatsError::DimensionMismatch`], [`StatsError::NonFinite`],
/// [`StatsError::InvalidAlpha`], [`StatsError::ZeroVariance`] (constant
/// component), [`StatsError::TooFewEffectiveDraws`] (fewer than 20 batches
/// of `20 τ̂`), [`StatsError::TooFewBatches`] if `b ≤ d`,
/// [`StatsError::NotPositiveDefinite`] if `S_b` is singular.
///
/// # Example
///
/// ```
/// use nalgebra::DVector;
/// use rand::{Rng, SeedableRng};
/// use rand_chacha::ChaCha8Rng;
/// use rand_distr::StandardNormal;
/// use sgbayes::stats::hotelling_batch_means_test;
///
/// let mut rng = ChaCha8Rng::seed_from_u64(1);
/// let draws: Vec<f64> = (0..2 * 5_000).map(|_| rng.sample(StandardNormal)).collect();
/// let r = hotelling_batch_means_test(&draws, &DVector::zeros(2), 1e-6).unwrap();
/// assert_eq!((r.df_numerator, r.df_denominator), (2, 98));
/// assert!(!r.reject);
/// ```
pub fn hotelling_batch_means_test(
    draws: &[f64],
    mean: &DVector<f64>,
    alpha: f64,
) -> Result<HotellingTest, StatsError> {
    check_alpha(alpha)?;
    let d = mean.len();
    check_finite(mean.as_slice(), "null mean")?;
    let n = check_row_major(draws, d, "draws")?;
    let max_tau = max_component_tau(draws, d, n)?;
    let batch_length = checked_batch_length(n, max_tau)?;
    let b = n / batch_length;
    if b <= d {
        return Err(StatsError::TooFewBatches {
            n,
            batch_length,
            n_batches: b,
            needed: d + 1,
        });
    }
    let bm = super::batch_means::multivariate_batch_means(draws, d, batch_length)?;
    let chol =
        bm.batch_mean_covariance
            .clone()
            .cholesky()
            .ok_or(StatsError::NotPositiveDefinite {
                what: "batch-means covariance S_b",
            })?;
    let mut r = &bm.mean - mean;
    chol.l_dirty().solve_lower_triangular_mut(&mut r);
    let bf = b as f64;
    let df = d as f64;
    let t_squared = bf * r.norm_squared();
    let statistic = (bf - df) / (df * (bf - 1.0)) * t_squared;
    let p_value = FisherSnedecor::new(df, bf - df)
        .map(|f| f.sf(statistic))
        .unwrap_or(f64::NAN);
    Ok(HotellingTest {
        t_squared,
        statistic,
        df_numerator: d,
        df_denominator: b - d,
        p_value,
        alpha,
        reject: p_value < alpha,
        n_draws: n,
        batch_length,
        n_batches: b,
        max_tau,
        effective_sample_size: n as f64 / max_tau,
        multivariate_ess: bm.multivariate_ess(),
    })
}

/// Result of [`univariate_batch_means_z_test`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnivariateMeanTest {
    /// Mean of the draws used (the last `b m`).
    pub estimate: f64,
    /// Null mean.
    pub target: f64,
    /// Batch-means standard error of `estimate`.
    pub standard_error: f64,
    /// `t = (estimate − target) / standard_error`.
    pub statistic: f64,
    /// `b − 1`.
    pub degrees_of_freedom: usize,
    /// Two-sided `P(|t_{b−1}| ≥ |t|)`.
    pub p_value: f64,
    /// Level the test was run at.
    pub alpha: f64,
    /// `p_value < alpha`.
    pub reject: bool,
    /// Draws received.
    pub n_draws: usize,
    /// Batch length `m`.
    pub batch_length: usize,
    /// Number of batches `b`.
    pub n_batches: usize,
    /// Geyer τ̂ of the whole series.
    pub tau: f64,
    /// Geyer ESS `n / τ̂`.
    pub effective_sample_size: f64,
}

/// Batch-means t-test of the mean of one series.
///
/// # Formula
///
/// Batch length `m` from [`checked_batch_length`] with Geyer's τ̂; with the
/// batch-means mean `Ȳ` and standard error `SE = sqrt(S_b² / b)`,
///
/// ```text
/// t = (Ȳ − μ) / SE  ≈  t_{b−1}     under H0: E x = μ,
/// p = P(|t_{b−1}| ≥ |t|)           (two-sided)
/// ```
///
/// (Flegal & Jones 2010). Despite the name (kept for the CLI), the reference
/// law is Student-t, which matters for small `b` at small α.
///
/// # Errors
///
/// [`StatsError::NonFinite`], [`StatsError::InvalidAlpha`],
/// [`StatsError::TooFewDraws`], [`StatsError::ZeroVariance`],
/// [`StatsError::TooFewEffectiveDraws`].
///
/// # Example
///
/// ```
/// use sgbayes::stats::univariate_batch_means_z_test;
///
/// let x: Vec<f64> = (0..4_000).map(|t| ((t * 7919) % 1000) as f64 / 1000.0).collect();
/// let r = univariate_batch_means_z_test(&x, 0.4995, 0.05).unwrap();
/// assert!(r.n_batches >= 20 && r.n_batches <= 100);
/// assert_eq!(r.degrees_of_freedom, r.n_batches - 1);
/// ```
pub fn univariate_batch_means_z_test(
    series: &[f64],
    target_mean: f64,
    alpha: f64,
) -> Result<UnivariateMeanTest, StatsError> {
    check_alpha(alpha)?;
    check_finite(&[target_mean], "target mean")?;
    let n = series.len();
    let mut scratch = series.to_vec();
    let tau = iat_in_place(&mut scratch, "series")?;
    let batch_length = checked_batch_length(n, tau)?;
    let n_batches = n / batch_length;
    let n_dropped = n - n_batches * batch_length;
    let bm = batch_means_of(&series[n_dropped..], n, batch_length, n_dropped, "series")?;
    let statistic = (bm.mean - target_mean) / bm.standard_error;
    let p_value = two_sided_t_p_value(statistic, n_batches - 1);
    Ok(UnivariateMeanTest {
        estimate: bm.mean,
        target: target_mean,
        standard_error: bm.standard_error,
        statistic,
        degrees_of_freedom: n_batches - 1,
        p_value,
        alpha,
        reject: p_value < alpha,
        n_draws: n,
        batch_length,
        n_batches,
        tau,
        effective_sample_size: n as f64 / tau,
    })
}

/// One whitened functional of [`gaussian_moment_test`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionalResult {
    /// `"mean[i]"`, `"var[i]"`, `"cov[i,j]"` or `"norm2"`.
    pub name: String,
    /// Batch-means estimate of the functional's mean (0 under the null), in
    /// whitened units: `mean[i]` estimates `E z_i`, `var[i]` estimates
    /// `E z_i² − 1`, `cov[i,j]` estimates `E z_i z_j`, `norm2` estimates
    /// `E |z|² − d`.
    pub estimate: f64,
    /// Batch-means standard error of `estimate`.
    pub standard_error: f64,
    /// `t = estimate / standard_error`.
    pub statistic: f64,
    /// Geyer τ̂ of the functional's series.
    pub tau: f64,
    /// Geyer ESS `n / τ̂`.
    pub effective_sample_size: f64,
    /// Two-sided p-value against Student-t with `b − 1` df (not adjusted).
    pub p_value: f64,
    /// `p_value < alpha / K` (the Bonferroni share).
    pub reject: bool,
}

/// Result of [`gaussian_moment_test`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MomentTestReport {
    /// Any functional rejected at `alpha / K`, i.e. `p_value < alpha`.
    pub reject: bool,
    /// Bonferroni-adjusted overall p-value `min(1, K · min_k p_k)`.
    pub p_value: f64,
    /// Family-wise level the test was run at.
    pub alpha: f64,
    /// Level of each functional's test, `alpha / K`.
    pub per_functional_alpha: f64,
    /// Draws received.
    pub n_draws: usize,
    /// Dimension `d`.
    pub dim: usize,
    /// Common batch length `m`.
    pub batch_length: usize,
    /// Number of batches `b` (the first `n − b m` draws are dropped).
    pub n_batches: usize,
    /// Degrees of freedom of each t-test, `b − 1`.
    pub degrees_of_freedom: usize,
    /// Largest τ̂ over the functionals (it sets the batch length).
    pub max_tau: f64,
    /// Smallest ESS over the functionals.
    pub min_ess: f64,
    /// Per-functional results, in the order mean, var, cov (row-major upper
    /// triangle), norm2.
    pub functionals: Vec<FunctionalResult>,
}

impl fmt::Display for MomentTestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "moment test: {} (p = {:.3e}, alpha = {:.1e}, Bonferroni over K = {} functionals at {:.2e} each)",
            if self.reject { "REJECT" } else { "accept" },
            self.p_value,
            self.alpha,
            self.functionals.len(),
            self.per_functional_alpha
        )?;
        writeln!(
            f,
            "n = {}, d = {}, {} batches of {} (t with {} df), max tau = {:.3}, min ESS = {:.1}",
            self.n_draws,
            self.dim,
            self.n_batches,
            self.batch_length,
            self.degrees_of_freedom,
            self.max_tau,
            self.min_ess
        )?;
        writeln!(
            f,
            "{:<12} {:>12} {:>12} {:>9} {:>9} {:>11} {:>10}  (expected estimate 0)",
            "functional", "estimate", "std.err", "t", "tau", "ESS", "p"
        )?;
        for r in &self.functionals {
            writeln!(
                f,
                "{:<12} {:>12.5e} {:>12.5e} {:>9.3} {:>9.3} {:>11.1} {:>10.3e}{}",
                r.name,
                r.estimate,
                r.standard_error,
                r.statistic,
                r.tau,
                r.effective_sample_size,
                r.p_value,
                if r.reject { "  *" } else { "" }
            )?;
        }
        Ok(())
    }
}

/// A whitened functional with null mean zero.
#[derive(Debug, Clone, Copy)]
enum Functional {
    Mean(usize),
    Var(usize),
    Cov(usize, usize),
    Norm2,
}

impl Functional {
    /// All functionals for dimension `d`; `norm2` is omitted for `d = 1`,
    /// where it coincides with `var[0]`. With `MomentSet::MeansOnly`, only `mean[i]`.
    fn all(d: usize, set: MomentSet) -> Vec<Functional> {
        let mut list: Vec<Functional> = (0..d).map(Functional::Mean).collect();
        if set == MomentSet::MeansOnly {
            return list;
        }
        list.extend((0..d).map(Functional::Var));
        for i in 0..d {
            for j in i + 1..d {
                list.push(Functional::Cov(i, j));
            }
        }
        if d > 1 {
            list.push(Functional::Norm2);
        }
        list
    }

    fn name(self) -> String {
        match self {
            Functional::Mean(i) => format!("mean[{i}]"),
            Functional::Var(i) => format!("var[{i}]"),
            Functional::Cov(i, j) => format!("cov[{i},{j}]"),
            Functional::Norm2 => "norm2".to_string(),
        }
    }

    #[inline]
    fn value(self, z: &[f64]) -> f64 {
        match self {
            Functional::Mean(i) => z[i],
            Functional::Var(i) => z[i] * z[i] - 1.0,
            Functional::Cov(i, j) => z[i] * z[j],
            Functional::Norm2 => z.iter().map(|v| v * v).sum::<f64>() - z.len() as f64,
        }
    }

    /// Writes the functional of every whitened draw into `out`.
    fn fill(self, whitened: &[f64], d: usize, out: &mut [f64]) {
        for (o, z) in out.iter_mut().zip(whitened.chunks_exact(d)) {
            *o = self.value(z);
        }
    }
}

/// Tests that one chain's draws have mean `m` and covariance `Σ` (first two
/// moments only; the law need not be Gaussian). The main entry of the CLI
/// `check` command.
///
/// `draws` is one chain, in order (possibly autocorrelated), row-major with
/// `d = mean.len()` components per draw.
///
/// # Formula
///
/// Whiten with the Cholesky factor `Σ = L Lᵀ`: `z_t = L⁻¹ (x_t − m)`. Under
/// H0 the `K` functionals
///
/// ```text
/// z_i  (d),    z_i² − 1  (d),    z_i z_j, i < j  (d(d−1)/2),    |z|² − d  (1, only if d > 1)
/// ```
///
/// all have mean 0. Each is tested by a batch-means t-test
/// (`t = Ȳ / SE`, Student-t with `b − 1` df, two-sided) with a **common**
/// batch length
///
/// ```text
/// m = max( max_k ceil(20 τ̂_k),  ceil(n / 100) ),    b = floor(n / m) ∈ [20, 100]
/// ```
///
/// (τ̂_k Geyer's estimate for functional `k`), using the last `b m` draws.
/// The family is combined by Bonferroni: each test at `α / K`, overall
/// p-value `min(1, K · min_k p_k)`, reject iff it is below α.
///
/// Power: a shift of `δ` standard deviations of functional `k` is detected
/// with probability `1 − β` once
/// `ESS_k ≳ ((t_{b−1, 1−α/(2K)} + z_{1−β}) / δ)²`.
///
/// # Errors
///
/// - [`StatsError::DimensionMismatch`] (draws not a multiple of `d`, `Σ`
///   not `d × d`, `d = 0`), [`StatsError::NonFinite`];
/// - [`StatsError::NotSymmetric`], [`StatsError::NotPositiveDefinite`] for `Σ`;
/// - [`StatsError::InvalidAlpha`];
/// - [`StatsError::TooFewDraws`] for fewer than 4 draws;
/// - [`StatsError::ZeroVariance`] if a functional is constant (e.g. a stuck
///   chain);
/// - [`StatsError::TooFewEffectiveDraws`] if fewer than 20 batches of
///   `ceil(20 τ̂)` fit: run a longer chain.
///
/// # Example
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use rand::{Rng, SeedableRng};
/// use rand_chacha::ChaCha8Rng;
/// use rand_distr::StandardNormal;
/// use sgbayes::stats::gaussian_moment_test;
///
/// // AR(1) chain with stationary law N(0, 1) per component, φ = 0.5 (τ = 3).
/// let (d, n, phi) = (2, 20_000, 0.5_f64);
/// let mut rng = ChaCha8Rng::seed_from_u64(3);
/// let mut x = vec![0.0; d];
/// for xi in x.iter_mut() { *xi = rng.sample(StandardNormal); }
/// let mut draws = Vec::with_capacity(n * d);
/// for _ in 0..n {
///     for xi in x.iter_mut() {
///         let e: f64 = rng.sample(StandardNormal);
///         *xi = phi * *xi + (1.0 - phi * phi).sqrt() * e;
///     }
///     draws.extend_from_slice(&x);
/// }
/// let sigma = DMatrix::identity(d, d);
/// let ok = gaussian_moment_test(&draws, &DVector::zeros(d), &sigma, 1e-6).unwrap();
/// assert!(!ok.reject, "{ok}");
/// assert_eq!(ok.functionals.len(), 6);
///
/// // Claiming variance 2 instead of 1 is rejected.
/// let wrong = gaussian_moment_test(&draws, &DVector::zeros(d), &(sigma * 2.0), 1e-6).unwrap();
/// assert!(wrong.reject);
/// ```
pub fn gaussian_moment_test(
    draws: &[f64],
    mean: &DVector<f64>,
    covariance: &DMatrix<f64>,
    alpha: f64,
) -> Result<MomentTestReport, StatsError> {
    moment_test(
        draws,
        mean,
        covariance,
        alpha,
        MomentSet::MeansAndCovariances,
    )
}

/// Which functionals [`moment_test`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentSet {
    /// `z_i`, `z_i² − 1`, `z_i z_j`, `|z|² − d` (needs finite fourth moments of the law).
    MeansAndCovariances,
    /// `z_i` only (needs finite second moments only).
    MeansOnly,
}

/// [`gaussian_moment_test`] with a choice of functionals: `MomentSet::MeansOnly` keeps the `d`
/// mean functionals, for laws whose fourth moments may be infinite (the batch-means errors of the
/// second-moment functionals are then meaningless).
///
/// # Errors
///
/// As [`gaussian_moment_test`].
///
/// # Example
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::stats::hypothesis::{moment_test, MomentSet};
/// let draws: Vec<f64> = (0..4_000).map(|t| ((t * 7919) % 1000) as f64 / 289.0 - 1.727).collect();
/// let r = moment_test(&draws, &DVector::zeros(1), &DMatrix::identity(1, 1), 1e-3, MomentSet::MeansOnly).unwrap();
/// assert_eq!(r.functionals.len(), 1);
/// ```
pub fn moment_test(
    draws: &[f64],
    mean: &DVector<f64>,
    covariance: &DMatrix<f64>,
    alpha: f64,
    set: MomentSet,
) -> Result<MomentTestReport, StatsError> {
    check_alpha(alpha)?;
    let d = mean.len();
    check_finite(mean.as_slice(), "null mean")?;
    let n = check_row_major(draws, d, "draws")?;
    let chol = cholesky_checked(covariance, d, "null covariance")?;
    let l = chol.l_dirty();
    // Row-major lower triangle for allocation-free forward substitution.
    let l_rows: Vec<f64> = (0..d * d).map(|k| l[(k / d, k % d)]).collect();

    // Whitened draws, row-major n × d.
    let mut whitened = vec![0.0; n * d];
    for (z, x) in whitened.chunks_exact_mut(d).zip(draws.chunks_exact(d)) {
        for i in 0..d {
            let row = &l_rows[i * d..i * d + i];
            let partial: f64 = row.iter().zip(&z[..i]).map(|(a, b)| a * b).sum();
            z[i] = (x[i] - mean[i] - partial) / l_rows[i * d + i];
        }
    }

    let functionals = Functional::all(d, set);
    let k_total = functionals.len();
    let mut scratch = vec![0.0; n];
    let mut taus = Vec::with_capacity(k_total);
    for &func in &functionals {
        func.fill(&whitened, d, &mut scratch);
        // Beyond n / (MIN_BATCHES · 20) no batch length fits: the exact τ̂ is not needed.
        let cap = n as f64 / (MIN_BATCHES as f64 * BATCH_LENGTH_PER_TAU);
        taus.push(iat_in_place_capped(&mut scratch, &func.name(), cap)?);
    }
    let max_tau = taus.iter().copied().fold(0.0_f64, f64::max);
    let batch_length = checked_batch_length(n, max_tau)?;
    let n_batches = n / batch_length;
    let n_dropped = n - n_batches * batch_length;
    let per_functional_alpha = alpha / k_total as f64;

    let mut results = Vec::with_capacity(k_total);
    for (&func, &tau) in functionals.iter().zip(&taus) {
        func.fill(&whitened, d, &mut scratch);
        let name = func.name();
        let bm = batch_means_of(&scratch[n_dropped..], n, batch_length, n_dropped, &name)?;
        let statistic = bm.mean / bm.standard_error;
        let p_value = two_sided_t_p_value(statistic, n_batches - 1);
        results.push(FunctionalResult {
            name,
            estimate: bm.mean,
            standard_error: bm.standard_error,
            statistic,
            tau,
            effective_sample_size: n as f64 / tau,
            p_value,
            reject: p_value < per_functional_alpha,
        });
    }
    let min_p = results.iter().map(|r| r.p_value).fold(1.0_f64, f64::min);
    let p_value = (k_total as f64 * min_p).min(1.0);
    Ok(MomentTestReport {
        reject: results.iter().any(|r| r.reject),
        p_value,
        alpha,
        per_functional_alpha,
        n_draws: n,
        dim: d,
        batch_length,
        n_batches,
        degrees_of_freedom: n_batches - 1,
        max_tau,
        min_ess: n as f64 / max_tau,
        functionals: results,
    })
}

/// Two-sided Student-t p-value `P(|t_ν| ≥ |t|)`.
fn two_sided_t_p_value(t: f64, dof: usize) -> f64 {
    match StudentsT::new(0.0, 1.0, dof as f64) {
        Ok(dist) => (2.0 * dist.sf(t.abs())).min(1.0),
        Err(_) => f64::NAN,
    }
}

/// Upper tail of χ²_d.
fn chi_square_sf(x: f64, d: usize) -> f64 {
    match ChiSquared::new(d as f64) {
        Ok(dist) => dist.sf(x),
        Err(_) => f64::NAN,
    }
}
