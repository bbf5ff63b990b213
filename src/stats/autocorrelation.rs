//! Integrated autocorrelation time and effective sample size by Geyer's
//! initial monotone sequence estimator.
//!
//! Autocovariances are computed by direct lagged sums, `O(n)` per lag, and
//! only as far as the estimator needs them (it stops at the first
//! non-positive pair sum), so the cost is `O(n · m)` with `m` a few times the
//! autocorrelation time.
//!
//! # References
//!
//! - C. J. Geyer (1992), "Practical Markov chain Monte Carlo",
//!   *Statistical Science* 7(4), 473–483, §3.3 (initial positive and initial
//!   monotone sequence estimators).
//! - A. Vehtari, A. Gelman, D. Simpson, B. Carpenter, P.-C. Bürkner (2021),
//!   "Rank-normalization, folding, and localization: an improved R̂ for
//!   assessing convergence of MCMC", *Bayesian Analysis* 16(2), 667–718
//!   (the `1 / log10(n)` floor on τ̂, as in Stan).

use super::StatsError;

/// Fewest draws for which an autocorrelation time is estimated.
pub const MIN_SERIES_LEN: usize = 4;

/// Integrated autocorrelation time `τ` of a stationary series, so that
/// `Var(x̄) ≈ τ · Var(x) / n`.
///
/// # Formula
///
/// With `γ̂_k = (1/n) Σ_{t=0}^{n−k−1} (x_t − x̄)(x_{t+k} − x̄)` and
/// `ρ̂_k = γ̂_k / γ̂_0`, Geyer's pair sums are
///
/// ```text
/// Γ_k = ρ̂_{2k} + ρ̂_{2k+1},   k = 0, 1, …
/// ```
///
/// The sum is truncated before the first `k` with `Γ_k ≤ 0` (initial
/// positive sequence), each kept `Γ_k` is replaced by
/// `min(Γ_k, Γ_{k−1})` (initial monotone sequence), and
///
/// ```text
/// τ̂ = max( −1 + 2 Σ_{k=0}^{m} Γ_k ,  1 / log10(n) )      (floor 1 if n ≤ 10)
/// ```
///
/// The floor (Stan's) keeps τ̂ positive for antithetic series, so the
/// effective sample size is at most `n log10(n)`.
///
/// # Errors
///
/// - [`StatsError::TooFewDraws`] if `n < MIN_SERIES_LEN`;
/// - [`StatsError::NonFinite`] for NaN or ±∞;
/// - [`StatsError::ZeroVariance`] if the series is constant (to rounding
///   precision of its magnitude), where `τ` is undefined.
///
/// # Example
///
/// ```
/// use sgbayes::stats::integrated_autocorrelation_time;
///
/// // Alternating series: strongly antithetic, τ̂ hits the floor 1 / log10(n).
/// let x: Vec<f64> = (0..1000).map(|t| if t % 2 == 0 { 1.0 } else { -1.0 }).collect();
/// let tau = integrated_autocorrelation_time(&x).unwrap();
/// assert!((tau - 1.0 / 3.0).abs() < 1e-12);
///
/// assert!(integrated_autocorrelation_time(&[2.0; 100]).is_err());
/// ```
pub fn integrated_autocorrelation_time(series: &[f64]) -> Result<f64, StatsError> {
    let mut centred = series.to_vec();
    iat_in_place(&mut centred, "series")
}

/// Effective sample size `n / τ̂` with `τ̂` from
/// [`integrated_autocorrelation_time`].
///
/// # Formula
///
/// ```text
/// ESS = n / τ̂
/// ```
///
/// # Errors
///
/// As [`integrated_autocorrelation_time`].
///
/// # Example
///
/// ```
/// use sgbayes::stats::effective_sample_size;
///
/// // Period-4 series 1, 1, −1, −1, …: ρ̂_1 ≈ 0 and ρ̂_2 + ρ̂_3 ≈ −1, so only
/// // Γ_0 = 1 + ρ̂_1 is kept and τ̂ = −1 + 2 Γ_0 ≈ 1.
/// let x: Vec<f64> = (0..400).map(|t| if t % 4 < 2 { 1.0 } else { -1.0 }).collect();
/// let ess = effective_sample_size(&x).unwrap();
/// assert!((ess / 400.0 - 1.0).abs() < 0.01);
/// ```
pub fn effective_sample_size(series: &[f64]) -> Result<f64, StatsError> {
    let tau = integrated_autocorrelation_time(series)?;
    Ok(series.len() as f64 / tau)
}

/// Sample autocorrelations `ρ̂_0 = 1, ρ̂_1, …, ρ̂_max_lag` (biased, `1/n`
/// normalisation, so the sequence is positive semi-definite).
///
/// # Formula
///
/// ```text
/// ρ̂_k = Σ_{t=0}^{n−k−1} (x_t − x̄)(x_{t+k} − x̄) / Σ_{t=0}^{n−1} (x_t − x̄)²
/// ```
///
/// `max_lag` is clipped to `n − 1`.
///
/// # Errors
///
/// As [`integrated_autocorrelation_time`].
///
/// # Example
///
/// ```
/// let rho = sgbayes::stats::autocorrelation(&[1.0, -1.0, 1.0, -1.0], 2).unwrap();
/// assert_eq!(rho, vec![1.0, -0.75, 0.5]);
/// ```
pub fn autocorrelation(series: &[f64], max_lag: usize) -> Result<Vec<f64>, StatsError> {
    let mut centred = series.to_vec();
    let gamma0 = centre_in_place(&mut centred, "series")?;
    let max_lag = max_lag.min(centred.len() - 1);
    Ok((0..=max_lag)
        .map(|k| lagged_dot_with(&centred, k, |v| v) / gamma0)
        .collect())
}

/// Floor on τ̂: `1 / log10(n)`, or 1 for `n ≤ 10`.
pub fn tau_floor(n: usize) -> f64 {
    if n <= 10 {
        1.0
    } else {
        1.0 / (n as f64).log10()
    }
}

/// Geyer's initial monotone sequence estimate on a scratch buffer holding the
/// series; the buffer is centred in place (no further allocation).
pub(crate) fn iat_in_place(buffer: &mut [f64], what: &str) -> Result<f64, StatsError> {
    iat_in_place_capped(buffer, what, f64::INFINITY)
}

/// [`iat_in_place`] that stops summing once τ̂ exceeds `cap` and returns the partial sum (a value
/// above `cap`, below the full estimate): the cost is `O(n min(τ̂, cap))` instead of `O(n τ̂)`,
/// which for a random walk is `O(n²)`. Callers that only need to know whether `τ̂ ≤ cap` lose
/// nothing.
pub(crate) fn iat_in_place_capped(
    buffer: &mut [f64],
    what: &str,
    cap: f64,
) -> Result<f64, StatsError> {
    let n = buffer.len();
    let gamma0 = centre_in_place(buffer, what)?;
    let centred: &[f64] = buffer;
    Ok(initial_monotone_sum(n, gamma0, cap, |k| {
        lagged_dot_with(centred, k, |v| v)
    }))
}

/// [`iat_in_place`] without a scratch buffer: the series is centred on the fly, value by value,
/// with the same two subtractions, so the estimate has the same bits; for series too long to
/// copy.
pub(crate) fn iat_of_series(series: &[f64], what: &str) -> Result<f64, StatsError> {
    let n = series.len();
    let scale = validate(series)?;
    let mean = series.iter().sum::<f64>() / n as f64;
    let correction = series.iter().map(|v| v - mean).sum::<f64>() / n as f64;
    let centre = |v: f64| (v - mean) - correction;
    let gamma0 = spread(lagged_dot_with(series, 0, centre), n, scale, what)?;
    Ok(initial_monotone_sum(n, gamma0, f64::INFINITY, |k| {
        lagged_dot_with(series, k, centre)
    }))
}

/// Geyer's initial monotone sequence: τ̂ = −1 + 2 Σ_k min(Γ_0, …, Γ_k) over the leading positive
/// pair sums Γ_k = (`lagged(2k)` + `lagged(2k + 1)`) / `gamma0`, stopped once above `cap`, and
/// floored at [`tau_floor`].
fn initial_monotone_sum(
    n: usize,
    gamma0: f64,
    cap: f64,
    mut lagged: impl FnMut(usize) -> f64,
) -> f64 {
    let mut sum = 0.0;
    let mut previous = f64::INFINITY;
    let mut k = 0;
    while 2 * k + 1 < n {
        let pair = (lagged(2 * k) + lagged(2 * k + 1)) / gamma0;
        if pair <= 0.0 {
            break;
        }
        let pair = pair.min(previous);
        sum += pair;
        previous = pair;
        k += 1;
        if -1.0 + 2.0 * sum > cap {
            break;
        }
    }
    let tau = -1.0 + 2.0 * sum;
    tau.max(tau_floor(n))
}

/// Checks the length and finiteness of a series; returns its largest magnitude.
fn validate(series: &[f64]) -> Result<f64, StatsError> {
    let n = series.len();
    if n < MIN_SERIES_LEN {
        return Err(StatsError::TooFewDraws {
            n,
            needed: MIN_SERIES_LEN,
        });
    }
    if let Some(index) = series.iter().position(|v| !v.is_finite()) {
        return Err(StatsError::NonFinite {
            what: "series",
            index,
        });
    }
    Ok(series.iter().fold(0.0_f64, |m, v| m.max(v.abs())))
}

/// `ss` = Σ (x_t − x̄)², refused when at the rounding level of data of magnitude `scale` (a
/// constant series).
fn spread(ss: f64, n: usize, scale: f64, what: &str) -> Result<f64, StatsError> {
    let rounding = 16.0 * f64::EPSILON * scale;
    if ss.is_nan() || ss <= n as f64 * rounding * rounding {
        return Err(StatsError::ZeroVariance {
            what: what.to_string(),
        });
    }
    Ok(ss)
}

/// Validates and centres `buffer` in place; returns `Σ (x_t − x̄)²` (i.e.
/// `n γ̂_0`, the normalisation shared by every lagged sum).
fn centre_in_place(buffer: &mut [f64], what: &str) -> Result<f64, StatsError> {
    let n = buffer.len();
    let scale = validate(buffer)?;
    let mean = buffer.iter().sum::<f64>() / n as f64;
    buffer.iter_mut().for_each(|v| *v -= mean);
    // Second pass removes the rounding error of the first mean.
    let correction = buffer.iter().sum::<f64>() / n as f64;
    buffer.iter_mut().for_each(|v| *v -= correction);
    spread(lagged_dot_with(buffer, 0, |v| v), n, scale, what)
}

/// `Σ_{t=0}^{n−k−1} c_t c_{t+k}` with c_t = `centre(x_t)`, with four independent accumulators.
#[inline]
fn lagged_dot_with(x: &[f64], k: usize, centre: impl Fn(f64) -> f64) -> f64 {
    let a = &x[..x.len() - k];
    let b = &x[k..];
    let mut acc = [0.0_f64; 4];
    let chunks_a = a.chunks_exact(4);
    let chunks_b = b.chunks_exact(4);
    let tail: f64 = chunks_a
        .remainder()
        .iter()
        .zip(chunks_b.remainder())
        .map(|(x, y)| centre(*x) * centre(*y))
        .sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        acc[0] += centre(x[0]) * centre(y[0]);
        acc[1] += centre(x[1]) * centre(y[1]);
        acc[2] += centre(x[2]) * centre(y[2]);
        acc[3] += centre(x[3]) * centre(y[3]);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}
