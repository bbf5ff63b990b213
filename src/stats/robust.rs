//! Tests whose power survives heavy tails, bursts and non-stationarity: bounds that need no
//! effective sample size, bounded functionals, variances fixed by a known law instead of
//! estimated from the draws, and the rank-normalised split-R̂.
//!
//! | function | null | reference law | needs |
//! |----------|------|---------------|-------|
//! | [`markov_p_value`] | `E Y = μ` for `Y ≥ 0` | Markov: `P(Ȳ ≥ c) ≤ μ / c` | nothing (any dependence) |
//! | [`known_variance_z_p_value`] | `E x̄ = 0`, `Var x̄ ≤ v` | normal (CLT) or Chebyshev | a known bound `v` |
//! | [`tail_fraction_test`] | `E 1{…} ≤ q` | one-sided batch-means t | bounded series |
//! | [`long_run_variance_test`] | `σ²_∞ ≤ U` | `χ²_{b−1}` (one-sided) | a known bound `U` |
//! | [`between_chain_test`] | equal chain means | `χ²_{C−1}` | a known variance bound |
//! | [`split_rhat`] | (diagnostic) | rank-normalised split-R̂ | `C ≥ 1` chains |
//!
//! # References
//!
//! - A. Vehtari, A. Gelman, D. Simpson, B. Carpenter, P.-C. Bürkner (2021), "Rank-normalization,
//!   folding, and localization: an improved R̂ for assessing convergence of MCMC", *Bayesian
//!   Analysis* 16(2), 667–718 (eqs. 3–4 and §4.1).
//! - J. M. Flegal, G. L. Jones (2010), "Batch means and spectral variance estimators in Markov
//!   chain Monte Carlo", *Annals of Statistics* 38(2), 1034–1070.
//! - A. A. Markov's and P. L. Chebyshev's inequalities: `P(Y ≥ c) ≤ E Y / c` for `Y ≥ 0`.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

use super::batch_means::MIN_BATCHES;
use super::{check_finite, StatsError};

/// Markov's inequality as a p-value: a non-negative statistic `Ȳ` whose expectation is at most
/// `null_mean` under the null exceeds `observed` with probability at most `null_mean / observed`.
///
/// # Formula
///
/// ```text
/// p = min(1, μ / Ȳ)        (P(Ȳ ≥ c) ≤ E Ȳ / c, whatever the dependence between draws)
/// ```
///
/// # Example
///
/// ```
/// use sgbayes::stats::robust::markov_p_value;
/// // mean |z|² of 8 000 against E |z|² = 2: p ≤ 2.5e-4 whatever the autocorrelation.
/// assert_eq!(markov_p_value(8_000.0, 2.0), 2.5e-4);
/// assert_eq!(markov_p_value(1.0, 2.0), 1.0);
/// ```
pub fn markov_p_value(observed: f64, null_mean: f64) -> f64 {
    if observed.is_nan() {
        return 1.0;
    }
    if observed <= 0.0 {
        return 1.0;
    }
    (null_mean / observed).clamp(0.0, 1.0)
}

/// Two-sided p-value of a mean whose variance under the null is at most `variance_bound`.
///
/// # Formula
///
/// With `t = x̄ / sqrt(v)`: `p = 2 (1 − Φ(|t|))` (normal, the central limit theorem) when
/// `chebyshev` is false, and `p = min(1, 1 / t²)` (Chebyshev: `P(|x̄| ≥ c) ≤ v / c²`, exact for any
/// law and dependence) when it is true. A larger true variance bound only makes either p-value
/// conservative.
///
/// # Example
///
/// ```
/// use sgbayes::stats::robust::known_variance_z_p_value;
/// assert!((known_variance_z_p_value(0.1, 0.01, true) - 1.0).abs() < 1e-12);
/// assert!((known_variance_z_p_value(1.0, 0.01, true) - 0.01).abs() < 1e-12);
/// assert!((known_variance_z_p_value(0.196, 0.01, false) - 0.05).abs() < 1e-3);
/// ```
pub fn known_variance_z_p_value(mean: f64, variance_bound: f64, chebyshev: bool) -> f64 {
    let t = mean / variance_bound.sqrt();
    if !t.is_finite() {
        return if t.is_nan() { 1.0 } else { 0.0 };
    }
    if chebyshev {
        (1.0 / (t * t)).min(1.0)
    } else {
        let normal = Normal::new(0.0, 1.0).expect("the standard normal exists");
        (2.0 * normal.sf(t.abs())).min(1.0)
    }
}

/// Result of [`tail_fraction_test`] and [`long_run_variance_test`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchMeansBoundTest {
    /// The estimate (a fraction, or a long-run variance).
    pub estimate: f64,
    /// The bound it is compared with (`q`, or `U`).
    pub bound: f64,
    /// The test statistic (`t`, or `(b − 1) σ̂² / U`).
    pub statistic: f64,
    /// Degrees of freedom `b − 1`.
    pub degrees_of_freedom: usize,
    /// One-sided upper-tail p-value.
    pub p_value: f64,
    /// Batch length `m`.
    pub batch_length: usize,
    /// Number of batches `b`.
    pub n_batches: usize,
}

/// The batch length for a bounded or bound-standardised functional: `m = max(m_min, ⌈n/100⌉)`,
/// shortened to `⌊n / 20⌋` if needed, so that `20 ≤ b ≤ 100` batches always fit.
pub(crate) fn capped_batch_length(n: usize, min_batch_length: usize) -> Result<usize, StatsError> {
    if n < MIN_BATCHES {
        return Err(StatsError::TooFewDraws {
            n,
            needed: MIN_BATCHES,
        });
    }
    Ok(min_batch_length
        .max(n.div_ceil(super::MAX_BATCHES))
        .clamp(1, n / MIN_BATCHES))
}

/// One-sided batch-means test that the mean of a bounded series (an indicator) is at most `bound`.
///
/// # Formula
///
/// `series` takes values in `[0, 1]`, so its batch means do too and their standard error can never
/// exceed `1 / (2 sqrt(b))`: heavy tails or bursts in the draws cannot inflate it. With batch
/// length `m = max(m_min, ⌈n/100⌉)` (at most `n/20`), batch means `Ȳ_j`, grand mean `Ȳ`,
/// `SE = sqrt(S_b² / b)`:
///
/// ```text
/// t = (Ȳ − q) / SE,     p = P(t_{b−1} ≥ t)      under H0: E Y ≤ q
/// ```
///
/// (Flegal & Jones 2010 for the batch-means standard error). A constant series (all 0 or all 1)
/// gets `SE` floored at `1/(2 b m)` (half a draw per batch), so a chain whose every draw lies
/// beyond the bound is still rejected.
///
/// # Errors
///
/// [`StatsError::NonFinite`], [`StatsError::TooFewDraws`] (`n < 20`).
///
/// # Example
///
/// ```
/// use sgbayes::stats::robust::tail_fraction_test;
/// let y: Vec<f64> = (0..10_000).map(|t| ((t * 7919) % 10 < 6) as u8 as f64).collect();
/// let r = tail_fraction_test(&y, 0.25, 1).unwrap();
/// assert!((r.estimate - 0.6).abs() < 1e-12 && r.p_value < 1e-10);
/// assert!(tail_fraction_test(&y, 0.7, 1).unwrap().p_value > 0.5);
/// ```
pub fn tail_fraction_test(
    series: &[f64],
    bound: f64,
    min_batch_length: usize,
) -> Result<BatchMeansBoundTest, StatsError> {
    check_finite(series, "indicator series")?;
    let n = series.len();
    let batch_length = capped_batch_length(n, min_batch_length)?;
    let means = batch_means(series, batch_length);
    Ok(tail_fraction_of_batch_means(&means, batch_length, bound))
}

/// [`tail_fraction_test`] from the batch means (the last `b` batches of length `m`), for callers
/// that accumulate them in one pass.
pub(crate) fn tail_fraction_of_batch_means(
    means: &[f64],
    batch_length: usize,
    bound: f64,
) -> BatchMeansBoundTest {
    let n_batches = means.len();
    let b = n_batches as f64;
    let (mean, variance) = mean_and_variance(means);
    let floor = 1.0 / (2.0 * b * batch_length as f64);
    let se = (variance / b).sqrt().max(floor);
    let statistic = (mean - bound) / se;
    let p_value = student_upper_tail(statistic, n_batches - 1);
    BatchMeansBoundTest {
        estimate: mean,
        bound,
        statistic,
        degrees_of_freedom: n_batches - 1,
        p_value,
        batch_length,
        n_batches,
    }
}

/// One-sided test that a series' long-run variance is at most a known bound `U`.
///
/// # Formula
///
/// For a stationary series with autocovariances `γ_k`, the variance of a mean of `m` consecutive
/// values satisfies `m Var(Ȳ_m) = γ_0 + 2 Σ_{k<m} (1 − k/m) γ_k ≤ γ_0 + 2 Σ_{k≥1} |γ_k| = U` for
/// every `m` (and for every sub-sampling of the series). With batch length `m`, `b` batches and the
/// batch-means variance `σ̂² = m S_b²`, under approximately normal, independent batch means,
///
/// ```text
/// X = (b − 1) σ̂² / U  ≤_st  χ²_{b−1},      p = P(χ²_{b−1} ≥ X).
/// ```
///
/// A chain whose draws wander, drift or burst has a long-run variance far above what the declared
/// law allows, and this test sees it even when the draws' own standard errors blow up.
///
/// # Errors
///
/// [`StatsError::NonFinite`], [`StatsError::TooFewDraws`] (`n < 20`).
///
/// # Example
///
/// ```
/// use rand::{Rng, SeedableRng};
/// use sgbayes::stats::robust::long_run_variance_test;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
/// let x: Vec<f64> = (0..10_000).map(|_| rng.gen::<f64>() - 0.5).collect();
/// // i.i.d. with variance 1/12: a bound of 1 is not rejected, 0.01 is.
/// assert!(long_run_variance_test(&x, 1, 1.0).unwrap().p_value > 0.5);
/// assert!(long_run_variance_test(&x, 1, 0.01).unwrap().p_value < 1e-10);
/// ```
pub fn long_run_variance_test(
    series: &[f64],
    min_batch_length: usize,
    bound: f64,
) -> Result<BatchMeansBoundTest, StatsError> {
    check_finite(series, "series")?;
    let n = series.len();
    let batch_length = capped_batch_length(n, min_batch_length)?;
    let means = batch_means(series, batch_length);
    Ok(long_run_variance_of_batch_means(
        &means,
        batch_length,
        bound,
    ))
}

/// [`long_run_variance_test`] from the batch means (the last `b` batches of length `m`).
pub(crate) fn long_run_variance_of_batch_means(
    means: &[f64],
    batch_length: usize,
    bound: f64,
) -> BatchMeansBoundTest {
    let n_batches = means.len();
    let (_, variance) = mean_and_variance(means);
    let estimate = batch_length as f64 * variance;
    let dof = n_batches - 1;
    let statistic = dof as f64 * estimate / bound;
    let p_value = ChiSquared::new(dof as f64)
        .map(|c| c.sf(statistic))
        .unwrap_or(f64::NAN);
    BatchMeansBoundTest {
        estimate,
        bound,
        statistic,
        degrees_of_freedom: dof,
        p_value,
        batch_length,
        n_batches,
    }
}

/// Means of the last `⌊n/m⌋` batches of length `m` (the first `n mod m` values are dropped).
fn batch_means(series: &[f64], batch_length: usize) -> Vec<f64> {
    let n_batches = series.len() / batch_length;
    series[series.len() - n_batches * batch_length..]
        .chunks_exact(batch_length)
        .map(|batch| batch.iter().sum::<f64>() / batch_length as f64)
        .collect()
}

/// Mean and sample variance (denominator `b − 1`) of `values` (Welford).
fn mean_and_variance(values: &[f64]) -> (f64, f64) {
    let (mut mean, mut ss) = (0.0, 0.0);
    for (j, &y) in values.iter().enumerate() {
        let delta = y - mean;
        mean += delta / (j + 1) as f64;
        ss += delta * (y - mean);
    }
    (mean, ss / (values.len() as f64 - 1.0))
}

/// Upper tail `P(t_ν ≥ t)`.
fn student_upper_tail(t: f64, dof: usize) -> f64 {
    if t.is_nan() {
        return 1.0;
    }
    StudentsT::new(0.0, 1.0, dof as f64)
        .map(|s| s.sf(t))
        .unwrap_or(f64::NAN)
}

/// Between-chain test of equal means with a known bound on each chain mean's variance.
///
/// # Formula
///
/// Chain `c` has `n_c` draws and mean `x̄_c`; under the null every chain is a stationary chain of
/// the same law, independent of the others, with `n_c Var(x̄_c) ≤ U`. With the pooled mean
/// `x̄ = Σ n_c x̄_c / Σ n_c`,
///
/// ```text
/// X = Σ_c n_c (x̄_c − x̄)² / U  ≤_st  χ²_{C−1}     (asymptotically),     p = P(χ²_{C−1} ≥ X)
/// ```
///
/// the one-way analysis of variance with the within-chain variance replaced by the known bound,
/// so a stuck or wandering chain cannot mask itself by a large within-chain spread.
///
/// # Errors
///
/// [`StatsError::TooFewDraws`] for fewer than two chains, [`StatsError::NonFinite`].
///
/// # Example
///
/// ```
/// use sgbayes::stats::robust::between_chain_test;
/// let (x, p) = between_chain_test(&[0.01, -0.01], &[10_000, 10_000], 1.0).unwrap();
/// assert!((x - 2.0).abs() < 1e-9 && p > 0.1);
/// assert!(between_chain_test(&[0.5, -0.5], &[10_000, 10_000], 1.0).unwrap().1 < 1e-100);
/// ```
pub fn between_chain_test(
    chain_means: &[f64],
    chain_draws: &[usize],
    variance_bound: f64,
) -> Result<(f64, f64), StatsError> {
    if chain_means.len() < 2 || chain_means.len() != chain_draws.len() {
        return Err(StatsError::TooFewDraws {
            n: chain_means.len(),
            needed: 2,
        });
    }
    check_finite(chain_means, "chain means")?;
    let total: f64 = chain_draws.iter().map(|&n| n as f64).sum();
    let pooled = chain_means
        .iter()
        .zip(chain_draws)
        .map(|(m, &n)| m * n as f64)
        .sum::<f64>()
        / total;
    let statistic = chain_means
        .iter()
        .zip(chain_draws)
        .map(|(m, &n)| n as f64 * (m - pooled).powi(2))
        .sum::<f64>()
        / variance_bound;
    let p = ChiSquared::new((chain_means.len() - 1) as f64)
        .map(|c| c.sf(statistic))
        .unwrap_or(f64::NAN);
    Ok((statistic, p))
}

/// Rank-normalised split-R̂ of one scalar quantity over several chains (Vehtari et al. 2021).
///
/// # Formula
///
/// Each chain is split into halves (`2C` chains of `h = ⌊n/2⌋` draws). All draws are ranked
/// jointly (average ranks for ties) and mapped to normal scores `Φ⁻¹((r − 3/8)/(S + 1/4))`, `S` the
/// number of draws (eq. 4); on the scores, with chain means `ψ̄_j`, grand mean `ψ̄`, within-chain
/// variances `s_j²`,
///
/// ```text
/// B = h/(J−1) Σ_j (ψ̄_j − ψ̄)²,  W = (1/J) Σ_j s_j²,  var⁺ = (h−1)/h W + B/h,  R̂ = sqrt(var⁺/W)
/// ```
///
/// (eq. 3). The reported value is the larger of the bulk R̂ (the scores of the draws) and the
/// folded R̂ (the scores of `|x − median|`), §4.1. Values above 1.01 signal chains that have not
/// mixed; R̂ is a diagnostic, not a calibrated test.
///
/// # Errors
///
/// [`StatsError::TooFewDraws`] if a chain has fewer than 4 draws; [`StatsError::NonFinite`].
///
/// # Example
///
/// ```
/// use sgbayes::stats::robust::split_rhat;
/// let a: Vec<f64> = (0..1000).map(|t| ((t * 7919) % 1000) as f64).collect();
/// let b: Vec<f64> = (0..1000).map(|t| ((t * 104_729) % 1000) as f64).collect();
/// assert!(split_rhat(&[&a, &b]).unwrap() < 1.01);
/// let shifted: Vec<f64> = b.iter().map(|v| v + 500.0).collect();
/// assert!(split_rhat(&[&a, &shifted]).unwrap() > 1.1);
/// ```
pub fn split_rhat(chains: &[&[f64]]) -> Result<f64, StatsError> {
    let half = chains.iter().map(|c| c.len() / 2).min().unwrap_or(0);
    if half < 2 {
        return Err(StatsError::TooFewDraws {
            n: 2 * half,
            needed: 4,
        });
    }
    for chain in chains {
        check_finite(chain, "chain")?;
    }
    // The split halves: the first h and the last h draws of every chain.
    let halves: Vec<&[f64]> = chains
        .iter()
        .flat_map(|c| [&c[..half], &c[c.len() - half..]])
        .collect();
    let bulk = rhat_of_scores(&normal_scores(&halves), halves.len(), half);
    let mut pooled: Vec<f64> = halves.iter().flat_map(|h| h.iter().copied()).collect();
    pooled.sort_by(f64::total_cmp);
    let s = pooled.len();
    let median = if s % 2 == 1 {
        pooled[s / 2]
    } else {
        0.5 * (pooled[s / 2 - 1] + pooled[s / 2])
    };
    let folded: Vec<Vec<f64>> = halves
        .iter()
        .map(|h| h.iter().map(|v| (v - median).abs()).collect())
        .collect();
    let folded_refs: Vec<&[f64]> = folded.iter().map(Vec::as_slice).collect();
    let folded_rhat = rhat_of_scores(&normal_scores(&folded_refs), halves.len(), half);
    Ok(bulk.max(folded_rhat))
}

/// Joint normal scores of equally long chains, concatenated chain after chain.
fn normal_scores(chains: &[&[f64]]) -> Vec<f64> {
    let values: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    let s = values.len();
    let mut order: Vec<usize> = (0..s).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; s];
    let mut start = 0;
    while start < s {
        let mut end = start + 1;
        while end < s && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Average rank (1-based) of the tied block.
        let rank = 0.5 * ((start + 1) + end) as f64;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    let normal = Normal::new(0.0, 1.0).expect("the standard normal exists");
    ranks
        .iter()
        .map(|r| normal.inverse_cdf((r - 0.375) / (s as f64 + 0.25)))
        .collect()
}

/// Classic R̂ of `j` chains of `h` values stored one after the other.
fn rhat_of_scores(scores: &[f64], j: usize, h: usize) -> f64 {
    let hf = h as f64;
    let means: Vec<f64> = scores
        .chunks_exact(h)
        .map(|c| c.iter().sum::<f64>() / hf)
        .collect();
    let grand = means.iter().sum::<f64>() / j as f64;
    let between = hf / (j as f64 - 1.0) * means.iter().map(|m| (m - grand).powi(2)).sum::<f64>();
    let within = scores
        .chunks_exact(h)
        .zip(&means)
        .map(|(c, m)| c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (hf - 1.0))
        .sum::<f64>()
        / j as f64;
    if !(within > 0.0) {
        return f64::INFINITY;
    }
    (((hf - 1.0) / hf * within + between / hf) / within).sqrt()
}
