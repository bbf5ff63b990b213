//! The false-positive budget of the test suite.
//!
//! A statistical assertion on correct code still fails with probability α.
//! The suite must be non-flaky, so α is accounted for like money:
//!
//! - the whole suite may fail spuriously with probability at most
//!   [`ALPHA_SUITE`] = 10⁻³ per re-draw of all seeds;
//! - each ordinary statistical assertion runs at [`ALPHA_ASSERTION`] = 10⁻⁶
//!   (two-sided `z = 4.89`);
//! - each proptest *case* containing a statistical check runs at
//!   [`ALPHA_PROPTEST_CASE`] = 10⁻⁷ (`z = 5.33`), because a property runs
//!   16–64 cases and each counts as one assertion;
//! - by the union (Boole / Bonferroni) bound the suite's false-fail
//!   probability is at most `Σ_assertions α_a`, which must stay
//!   `≤ ALPHA_SUITE`: with α = 10⁻⁶ that leaves room for 1 000 assertions,
//!   e.g. 600 ordinary assertions plus 64 proptest cases at 10⁻⁷ and
//!   calibration checks whose acceptance regions have false-fail ≤ 10⁻⁶.
//!
//! Power is bought with sample size, never with a looser α: size every test by
//! [`required_effective_sample_size`].
//!
//! # Formula
//!
//! ```text
//! P(any false failure) ≤ Σ_a α_a = assertions · α        (union bound)
//! ```

use statrs::distribution::{ContinuousCDF, Normal};

/// Spurious-failure probability allowed for the whole suite.
pub const ALPHA_SUITE: f64 = 1e-3;

/// Level of one statistical assertion.
pub const ALPHA_ASSERTION: f64 = 1e-6;

/// Level of one statistical check inside one proptest case.
pub const ALPHA_PROPTEST_CASE: f64 = 1e-7;

/// Union bound on the probability that at least one of `assertions`
/// statistical assertions, each at level `alpha`, fails on correct code.
///
/// # Formula
///
/// ```text
/// min(1, assertions · alpha)
/// ```
///
/// # Example
///
/// ```
/// use sgbayes::stats::budget::{suite_false_positive_bound, ALPHA_ASSERTION, ALPHA_SUITE};
///
/// assert!(suite_false_positive_bound(1_000, ALPHA_ASSERTION) <= ALPHA_SUITE);
/// assert!(suite_false_positive_bound(1_001, ALPHA_ASSERTION) > ALPHA_SUITE);
/// assert_eq!(suite_false_positive_bound(10, 0.5), 1.0);
/// ```
pub fn suite_false_positive_bound(assertions: usize, alpha: f64) -> f64 {
    (assertions as f64 * alpha).min(1.0)
}

/// Two-sided standard-normal critical value `z_{1−α/2}`.
///
/// # Example
///
/// ```
/// use sgbayes::stats::budget::{two_sided_normal_quantile, ALPHA_ASSERTION, ALPHA_PROPTEST_CASE};
///
/// assert!((two_sided_normal_quantile(ALPHA_ASSERTION) - 4.8916).abs() < 1e-3);
/// assert!((two_sided_normal_quantile(ALPHA_PROPTEST_CASE) - 5.3267).abs() < 1e-3);
/// ```
///
/// Returns NaN unless `0 < alpha < 1`.
pub fn two_sided_normal_quantile(alpha: f64) -> f64 {
    if !(alpha > 0.0 && alpha < 1.0) {
        return f64::NAN;
    }
    let normal = Normal::new(0.0, 1.0).expect("standard normal parameters are valid");
    -normal.inverse_cdf(alpha / 2.0)
}

/// Effective sample size needed to detect an effect of `delta` standard
/// deviations (of the tested functional) with probability `1 − beta` in a
/// two-sided test at level `alpha`.
///
/// # Formula
///
/// ```text
/// N_eff ≥ ( (z_{1−α/2} + z_{1−β}) / δ )²
/// ```
///
/// Returns NaN unless `0 < alpha < 1` and `0 < beta < 1/2`.
///
/// # Example
///
/// ```
/// use sgbayes::stats::budget::required_effective_sample_size;
///
/// // α = 1e-6, β = 1e-3: 63.7 / δ²; a mean off by 0.1 sd needs N_eff ≈ 6 400.
/// let n = required_effective_sample_size(1e-6, 1e-3, 0.1);
/// assert!((n - 6_370.0).abs() < 10.0);
/// ```
pub fn required_effective_sample_size(alpha: f64, beta: f64, delta: f64) -> f64 {
    let z_beta = two_sided_normal_quantile(2.0 * beta);
    ((two_sided_normal_quantile(alpha) + z_beta) / delta).powi(2)
}
