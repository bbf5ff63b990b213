//! The posterior-with-tolerance check: an equivalence test that the draws' means and variances lie
//! within a stated tolerance of a target Gaussian law (the posterior, or a reference law), for
//! samplers without an exact stationary law (SGNHT, RMSprop-pSGLD, any sampler at a tiny step).
//!
//! # The test
//!
//! The draws are whitened along the target's principal axes, `z_t = Λ^{−1/2} Vᵀ (x_t − m)` with
//! `Σ = V Λ Vᵀ` (axes by decreasing variance), so that under the target `E z = 0`, `E z zᵀ = I`.
//! The functionals, 2D of them, are
//!
//! * `mean[k]` = `E z_k`, in target standard deviations along axis k, tolerance `±δ_m`;
//! * `variance[k]` = `Var z_k − 1`, the relative error of the variance along axis k,
//!   tolerance `±δ_v`.
//!
//! Each is estimated with batch means (batches of `⌈20 τ̂⌉` draws, τ̂ Geyer's autocorrelation time
//! of the functional's series, at least 20 batches, pooled over chains), giving an estimate `f̂`,
//! a standard error `s` and `b − 1` degrees of freedom. With `t_q` the Student quantile:
//!
//! * **within tolerance** (TOST, Schuirmann 1987): for every functional
//!   `[f̂ − t_{1−α} s, f̂ + t_{1−α} s] ⊂ [−δ, δ]`. Two one-sided tests at α per functional; the
//!   claim needs all of them (an intersection–union test), so its level is α with no correction.
//! * **outside tolerance**: for some functional the one-sided bound at `α/(2K)` (K = 2D) clears
//!   the tolerance: `f̂ − t_{1−α/(2K)} s > δ` or `f̂ + t_{1−α/(2K)} s < −δ` (Bonferroni over the
//!   K functionals and both sides: level α).
//! * **cannot tell** otherwise, with the draws a decision would need.
//!
//! Both claims are wrong with probability at most α (asymptotically in the number of batches; the
//! calibration is measured in `tests/tolerance.rs`). Power: a functional with true value `f`,
//! long-run variance `σ²_∞` (`= τ` for a mean of a unit-variance coordinate, `2τ₂` for a variance)
//! is declared within with probability ≈ 0.9 once `n ≥ σ²_∞ (z_{1−α} + z_{0.9})² / (δ − |f|)²`,
//! and outside once `n ≥ σ²_∞ (z_{1−α/(2K)} + z_{0.9})² / (|f| − δ)²` ([`draws_for_power`]).

use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::ChainDraws;
use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::stats::autocorrelation::integrated_autocorrelation_time;
use crate::stats::{batch_length_rule, MIN_BATCHES};
use crate::theory::{exact_posterior, GaussianLaw};

/// The most batches the tolerance check forms (over all chains): fewer, longer batches than the
/// exact check's 100 lower the batch-means bias O(τ/m) that would make "within" claims
/// anticonservative; the Student quantile pays for the fewer degrees of freedom.
pub const TOLERANCE_BATCHES: usize = 40;

/// The tolerances of the equivalence test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    /// δ_m: how far each whitened mean may lie from the target's, in target standard deviations.
    pub mean: f64,
    /// δ_v: the relative error each whitened variance may have (0.1: within ±10 %).
    pub variance: f64,
}

impl Default for Tolerance {
    /// δ_m = 0.1 standard deviations, δ_v = 10 %.
    fn default() -> Self {
        Self {
            mean: 0.1,
            variance: 0.1,
        }
    }
}

/// Options of [`check_tolerance`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ToleranceOptions {
    /// The tolerances.
    pub tolerance: Tolerance,
    /// Level of each claim ("within" and "outside").
    pub alpha: f64,
    /// Draws discarded at the start of every chain.
    pub burn_in: usize,
    /// Keep every `thin`-th draw after the burn-in.
    pub thin: usize,
}

impl Default for ToleranceOptions {
    fn default() -> Self {
        Self {
            tolerance: Tolerance::default(),
            alpha: 1e-3,
            burn_in: 0,
            thin: 1,
        }
    }
}

/// The verdict of the equivalence test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToleranceVerdict {
    /// Every functional's (1 − 2α) interval lies inside its tolerance.
    WithinTolerance,
    /// Some functional's interval lies outside its tolerance (level α after Bonferroni).
    OutsideTolerance,
    /// Neither: the intervals straddle a tolerance, or too few effective draws.
    CannotTell,
}

/// One functional of the test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToleranceFunctional {
    /// `mean[k]` or `variance[k]` (axis k of the target, by decreasing variance).
    pub name: String,
    /// The estimate f̂ (a whitened mean, or a whitened variance minus 1); NaN if not estimated.
    pub estimate: f64,
    /// Its batch-means standard error.
    pub standard_error: f64,
    /// The tolerance δ.
    pub tolerance: f64,
    /// The (1 − 2α) interval of the TOST.
    pub interval: [f64; 2],
    /// The interval lies inside ±δ.
    pub within: bool,
    /// The Bonferroni bound clears δ.
    pub outside: bool,
    /// Geyer's autocorrelation time of the functional's series (largest over chains).
    pub autocorrelation_time: f64,
    /// Batches used (0 when too few effective draws).
    pub batches: usize,
}

/// The result of [`check_tolerance`].
#[derive(Debug, Clone, Serialize)]
pub struct ToleranceReport {
    /// `within_tolerance`, `outside_tolerance` or `cannot_tell`.
    pub verdict: ToleranceVerdict,
    /// Level of each claim.
    pub alpha: f64,
    /// The tolerances.
    pub tolerance: Tolerance,
    /// One line for people.
    pub message: String,
    /// Number of chains.
    pub chains: usize,
    /// Draws per chain after burn-in and thinning.
    pub draws_per_chain: usize,
    /// Dimension D.
    pub dim: usize,
    /// The 2D functionals.
    pub functionals: Vec<ToleranceFunctional>,
    /// When the verdict is `cannot_tell`: total draws at which the widest undecided interval would
    /// have shrunk enough (the standard error falls as 1/√n; an estimate, not a promise).
    pub draws_needed: Option<usize>,
}

/// Tests draws against a target Gaussian law within the stated tolerance (see the module
/// documentation).
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use rand::{Rng, SeedableRng};
/// use rand_chacha::ChaCha8Rng;
/// use rand_distr::StandardNormal;
/// use sgbayes::check::ChainDraws;
/// use sgbayes::check::tolerance::{check_tolerance, ToleranceOptions, ToleranceVerdict};
/// use sgbayes::theory::GaussianLaw;
///
/// // An AR(1) chain x' = 0.5 x + sqrt(0.75) e, stationary N(0, 1).
/// let mut rng = ChaCha8Rng::seed_from_u64(3);
/// let mut x = 0.0_f64;
/// let draws: Vec<f64> = (0..100_000).map(|_| {
///     x = 0.5 * x + 0.75_f64.sqrt() * rng.sample::<f64, _>(StandardNormal);
///     x
/// }).collect();
/// let view = ChainDraws::single(&draws, 1).unwrap();
/// let target = GaussianLaw::new(DVector::zeros(1), DMatrix::identity(1, 1)).unwrap();
/// let options = ToleranceOptions::default(); // δ_m = 0.1 sd, δ_v = 10 %, α = 1e-3
/// let report = check_tolerance(&view, &target, &options).unwrap();
/// assert_eq!(report.verdict, ToleranceVerdict::WithinTolerance);
/// // Against a target shifted by 0.5 sd: outside.
/// let shifted = GaussianLaw::new(DVector::from_element(1, 0.5), DMatrix::identity(1, 1)).unwrap();
/// let report = check_tolerance(&view, &shifted, &options).unwrap();
/// assert_eq!(report.verdict, ToleranceVerdict::OutsideTolerance);
/// ```
///
/// # Errors
///
/// [`Error::Invalid`] for α outside (0, 1/2), a tolerance that is not positive and finite,
/// `thin = 0` or fewer than 20 draws per chain after burn-in and thinning;
/// [`Error::DimensionMismatch`] when the draws' dimension is not the target's;
/// [`Error::NonFinite`] naming the first non-finite row; [`Error::NotPositiveDefinite`] for a
/// singular target covariance.
pub fn check_tolerance(
    draws: &ChainDraws<'_>,
    target: &GaussianLaw,
    options: &ToleranceOptions,
) -> Result<ToleranceReport> {
    validate(draws, target, options)?;
    let d = draws.dim();
    let whitened = whiten(draws, target, options)?;
    let n = kept(draws.draws(), options);
    let k = 2 * d;
    let alpha = options.alpha;
    let mut functionals = Vec::with_capacity(k);
    for axis in 0..d {
        let series: Vec<Vec<f64>> = whitened
            .iter()
            .map(|chain| chain.iter().skip(axis).step_by(d).copied().collect())
            .collect();
        functionals.push(functional(
            format!("mean[{axis}]"),
            &series,
            0.0,
            options.tolerance.mean,
            alpha,
            k,
        ));
        let mean = functionals.last().map_or(0.0, |f| f.estimate);
        let mean = if mean.is_finite() {
            mean
        } else {
            pooled_mean(&series)
        };
        let squares: Vec<Vec<f64>> = series
            .iter()
            .map(|s| s.iter().map(|z| (z - mean) * (z - mean)).collect())
            .collect();
        functionals.push(functional(
            format!("variance[{axis}]"),
            &squares,
            1.0,
            options.tolerance.variance,
            alpha,
            k,
        ));
    }
    let verdict = if functionals.iter().any(|f| f.outside) {
        ToleranceVerdict::OutsideTolerance
    } else if functionals.iter().all(|f| f.within) {
        ToleranceVerdict::WithinTolerance
    } else {
        ToleranceVerdict::CannotTell
    };
    let total = draws.chains() * n;
    let draws_needed =
        (verdict == ToleranceVerdict::CannotTell).then(|| needed_draws(&functionals, total, alpha));
    let message = message(verdict, &functionals, options, draws_needed, total);
    Ok(ToleranceReport {
        verdict,
        alpha,
        tolerance: options.tolerance,
        message,
        chains: draws.chains(),
        draws_per_chain: n,
        dim: d,
        functionals,
        draws_needed,
    })
}

/// [`check_tolerance`] against the exact posterior of a problem with a Gaussian posterior.
///
/// # Errors
///
/// As [`check_tolerance`], plus [`Error::NoClosedForm`] for a problem without a Gaussian
/// posterior.
pub fn check_tolerance_posterior(
    draws: &ChainDraws<'_>,
    problem: &Problem,
    options: &ToleranceOptions,
) -> Result<ToleranceReport> {
    let model = problem.require_quadratic("the posterior-with-tolerance check")?;
    check_tolerance(draws, &exact_posterior(model)?, options)
}

/// Total draws for power `power` (e.g. 0.9) to reach the right verdict on one functional whose
/// true value is `effect` (in the functional's units), with tolerance `tolerance`, level `alpha`,
/// `functionals` functionals in the family and long-run variance `long_run_variance` of its
/// series (τ for a whitened mean, 2τ₂ for a whitened variance of a Gaussian coordinate): "within"
/// when `|effect| < tolerance`, "outside" when `|effect| > tolerance`; infinite at the boundary.
///
/// # Formula
/// n = σ²_∞ (z_{1−a} + z_{power})² / (δ − |f|)², a = α (within) or α/(2K) (outside), normal
/// quantiles (the Student quantiles of the test are slightly larger with few batches).
///
/// ```
/// use sgbayes::check::tolerance::draws_for_power;
/// // Independent draws, a mean exactly on target, δ = 0.1 sd, α = 1e-3, D = 2:
/// // (3.09 + 1.28)² / 0.01 ≈ 1 910 draws.
/// let n = draws_for_power(0.0, 0.1, 1e-3, 4, 1.0, 0.9);
/// assert!((n - 1_910.0).abs() < 5.0);
/// ```
pub fn draws_for_power(
    effect: f64,
    tolerance: f64,
    alpha: f64,
    functionals: usize,
    long_run_variance: f64,
    power: f64,
) -> f64 {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let gap = tolerance - effect.abs();
    let level = if gap > 0.0 {
        alpha
    } else {
        alpha / (2.0 * functionals as f64)
    };
    let z = normal.inverse_cdf(1.0 - level) + normal.inverse_cdf(power);
    long_run_variance * z * z / (gap * gap)
}

fn validate(
    draws: &ChainDraws<'_>,
    target: &GaussianLaw,
    options: &ToleranceOptions,
) -> Result<()> {
    let invalid = |what: &str, why: String| {
        Err(Error::Invalid {
            what: what.into(),
            why,
        })
    };
    if !(options.alpha > 0.0 && options.alpha < 0.5) {
        return invalid(
            "alpha",
            format!("must lie in (0, 0.5), got {}", options.alpha),
        );
    }
    for (what, value) in [
        ("mean tolerance", options.tolerance.mean),
        ("variance tolerance", options.tolerance.variance),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return invalid(what, format!("must be positive and finite, got {value}"));
        }
    }
    if options.thin == 0 {
        return invalid("thin", "must be at least 1".into());
    }
    let d = target.mean.len();
    if draws.dim() != d {
        return Err(Error::DimensionMismatch {
            what: format!("draws: each draw must have D = {d} components (the target's dimension)"),
            expected: d,
            found: draws.dim(),
        });
    }
    let mut bad = (0..draws.chains()).flat_map(|c| {
        draws
            .chain(c)
            .chunks_exact(d)
            .enumerate()
            .filter(|(_, row)| row.iter().any(|v| !v.is_finite()))
            .map(move |(r, _)| (c, r))
    });
    if let Some((c, r)) = bad.next() {
        return Err(Error::NonFinite {
            what: format!(
                "draws: chain {c}, row {r} (0-based) is the first of {} rows holding NaN or ±inf; the sampler diverged or the file was cut",
                1 + bad.count()
            ),
        });
    }
    let kept = kept(draws.draws(), options);
    if kept < MIN_BATCHES {
        return invalid(
            "burn-in/thin",
            format!(
                "they leave {kept} of {} draws per chain; at least {MIN_BATCHES} are needed",
                draws.draws()
            ),
        );
    }
    Ok(())
}

/// The kept draws of every chain, whitened along the target's principal axes (row-major
/// `[n, d]` per chain).
fn whiten(
    draws: &ChainDraws<'_>,
    target: &GaussianLaw,
    options: &ToleranceOptions,
) -> Result<Vec<Vec<f64>>> {
    let d = draws.dim();
    let eigen = SymmetricEigen::new((&target.covariance + target.covariance.transpose()) * 0.5);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let largest = eigen.eigenvalues.amax();
    if order
        .iter()
        .any(|&i| !(eigen.eigenvalues[i] > 1e-12 * largest))
    {
        return Err(Error::NotPositiveDefinite {
            what: "the target covariance".into(),
        });
    }
    // Row k of W: the k-th axis (by decreasing variance) over its standard deviation.
    let w = DMatrix::from_fn(d, d, |k, j| {
        eigen.eigenvectors[(j, order[k])] / eigen.eigenvalues[order[k]].sqrt()
    });
    let mut centred = vec![0.0; d];
    Ok((0..draws.chains())
        .map(|c| {
            let chain = draws.chain(c);
            let mut z = Vec::with_capacity(kept(draws.draws(), options) * d);
            for t in (options.burn_in..draws.draws()).step_by(options.thin) {
                for (i, x) in centred.iter_mut().enumerate() {
                    *x = chain[t * d + i] - target.mean[i];
                }
                z.extend((0..d).map(|k| (0..d).map(|j| w[(k, j)] * centred[j]).sum::<f64>()));
            }
            z
        })
        .collect())
}

/// Draws per chain kept after burn-in and thinning.
fn kept(draws: usize, options: &ToleranceOptions) -> usize {
    draws.saturating_sub(options.burn_in).div_ceil(options.thin)
}

fn pooled_mean(series: &[Vec<f64>]) -> f64 {
    let count: usize = series.iter().map(Vec::len).sum();
    series.iter().flatten().sum::<f64>() / count as f64
}

/// Batch means of one functional's series (one per chain), pooled over the chains, against the
/// null value `centre` with tolerance `tolerance`.
fn functional(
    name: String,
    series: &[Vec<f64>],
    centre: f64,
    tolerance: f64,
    alpha: f64,
    family: usize,
) -> ToleranceFunctional {
    let tau = series
        .iter()
        .map(|s| integrated_autocorrelation_time(s).unwrap_or(f64::INFINITY))
        .fold(0.0_f64, f64::max);
    let n = series.iter().map(Vec::len).min().unwrap_or(0);
    let undecided = |estimate: f64, batches| ToleranceFunctional {
        name: name.clone(),
        estimate,
        standard_error: f64::NAN,
        tolerance,
        interval: [f64::NAN, f64::NAN],
        within: false,
        outside: false,
        autocorrelation_time: tau,
        batches,
    };
    let estimate = pooled_mean(series) - centre;
    if !tau.is_finite() {
        return undecided(estimate, 0);
    }
    let length = batch_length_rule(n, tau, (TOLERANCE_BATCHES / series.len()).max(1));
    let means: Vec<f64> = series
        .iter()
        .flat_map(|s| {
            let used = &s[s.len() - (s.len() / length) * length..];
            used.chunks_exact(length)
                .map(|b| b.iter().sum::<f64>() / length as f64)
        })
        .collect();
    let b = means.len();
    if b < MIN_BATCHES {
        return undecided(estimate, 0);
    }
    let centre_of_batches = means.iter().sum::<f64>() / b as f64;
    let variance = means
        .iter()
        .map(|m| (m - centre_of_batches) * (m - centre_of_batches))
        .sum::<f64>()
        / (b - 1) as f64;
    let estimate = centre_of_batches - centre;
    let standard_error = (variance / b as f64).sqrt();
    let student = StudentsT::new(0.0, 1.0, (b - 1) as f64).expect("positive degrees of freedom");
    let t_within = student.inverse_cdf(1.0 - alpha);
    let t_outside = student.inverse_cdf(1.0 - alpha / (2.0 * family as f64));
    let interval = [
        estimate - t_within * standard_error,
        estimate + t_within * standard_error,
    ];
    ToleranceFunctional {
        name,
        estimate,
        standard_error,
        tolerance,
        interval,
        within: interval[0] >= -tolerance && interval[1] <= tolerance,
        outside: estimate - t_outside * standard_error > tolerance
            || estimate + t_outside * standard_error < -tolerance,
        autocorrelation_time: tau,
        batches: b,
    }
}

/// Draws at which every undecided functional would be decided (standard errors ∝ 1/√n, the
/// estimates held fixed); at least `MIN_BATCHES · 20 τ̂` per chain for the unestimated ones.
fn needed_draws(functionals: &[ToleranceFunctional], total: usize, alpha: f64) -> usize {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let z = normal.inverse_cdf(1.0 - alpha);
    functionals
        .iter()
        .filter(|f| !f.within && !f.outside)
        .map(|f| {
            if f.batches == 0 {
                let per = (20.0 * f.autocorrelation_time.min(1e12)).ceil().max(1.0);
                return (MIN_BATCHES as f64 * per).max(total as f64 + 1.0);
            }
            let gap = (f.tolerance - f.estimate.abs())
                .abs()
                .max(1e-3 * f.tolerance);
            let scale = (z * f.standard_error / gap).powi(2);
            total as f64 * scale.max(1.0)
        })
        .fold(total as f64 + 1.0, f64::max)
        .min(usize::MAX as f64 / 2.0) as usize
}

fn message(
    verdict: ToleranceVerdict,
    functionals: &[ToleranceFunctional],
    options: &ToleranceOptions,
    draws_needed: Option<usize>,
    total: usize,
) -> String {
    let tolerance = options.tolerance;
    let worst = functionals
        .iter()
        .filter(|f| f.estimate.is_finite())
        .max_by(|a, b| {
            (a.estimate.abs() / a.tolerance).total_cmp(&(b.estimate.abs() / b.tolerance))
        });
    let describe = |f: &ToleranceFunctional| {
        format!(
            "{} = {:+.4} (interval [{:+.4}, {:+.4}], tolerance ±{})",
            f.name, f.estimate, f.interval[0], f.interval[1], f.tolerance
        )
    };
    match verdict {
        ToleranceVerdict::WithinTolerance => format!(
            "within tolerance: every whitened mean within ±{} target sd and every variance within ±{:.0}% (alpha = {:.0e}); largest: {}",
            tolerance.mean,
            100.0 * tolerance.variance,
            options.alpha,
            worst.map(describe).unwrap_or_default()
        ),
        ToleranceVerdict::OutsideTolerance => {
            let out = functionals
                .iter()
                .filter(|f| f.outside)
                .max_by(|a, b| (a.estimate.abs() / a.tolerance).total_cmp(&(b.estimate.abs() / b.tolerance)));
            format!(
                "outside tolerance (alpha = {:.0e}): {}",
                options.alpha,
                out.map(describe).unwrap_or_default()
            )
        }
        ToleranceVerdict::CannotTell => format!(
            "cannot tell at alpha = {:.0e}: the intervals of {} straddle the tolerance with {total} draws; run a longer chain (about {} draws in total)",
            options.alpha,
            functionals
                .iter()
                .filter(|f| !f.within && !f.outside)
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            draws_needed.unwrap_or(total + 1)
        ),
    }
}
