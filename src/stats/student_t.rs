//! The two-sided Student-t critical value of a batch-means statistic.
//!
//! # Formula
//! t_{1−α/2, ν}: the (1 − α/2) quantile of Student's t with ν degrees of freedom, so that
//! P(|T_ν| > t_{1−α/2, ν}) = α. A batch-means estimate x̄ with standard error SE from b batches has
//! (x̄ − μ)/SE approximately t-distributed with ν = b − 1 (Flegal & Jones 2010, "Batch means and
//! spectral variance estimators in Markov chain Monte Carlo", Ann. Statist. 38(2), §3); pooled
//! independent chains add their ν.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::budget::two_sided_normal_quantile;

/// Two-sided Student-t critical value t_{1−α/2, dof}; the normal quantile z_{1−α/2} for `dof = 0`
/// (degrees of freedom unknown) or `dof > 100 000` (where the two agree to 10⁻⁴).
///
/// Returns NaN unless `0 < alpha < 1` (through the normal quantile for `dof = 0`).
///
/// # Example
///
/// ```
/// use sgbayes::stats::{critical_value, ALPHA_ASSERTION};
///
/// let z = critical_value(ALPHA_ASSERTION, 0);
/// assert!((z - 4.8916).abs() < 1e-3);
/// // Few degrees of freedom widen the acceptance region.
/// assert!(critical_value(ALPHA_ASSERTION, 50) > z);
/// // t_{0.975, 10} = 2.228 (the textbook value).
/// assert!((critical_value(0.05, 10) - 2.2281).abs() < 1e-4);
/// ```
pub fn critical_value(alpha: f64, dof: usize) -> f64 {
    if dof == 0 || dof > 100_000 {
        return two_sided_normal_quantile(alpha);
    }
    StudentsT::new(0.0, 1.0, dof as f64)
        .map(|t| t.inverse_cdf(1.0 - alpha / 2.0))
        .unwrap_or(f64::INFINITY)
}

#[cfg(test)]
mod tests {
    use super::critical_value;

    #[test]
    fn critical_values() {
        let z = critical_value(1e-6, 0);
        assert!((z - 4.8916).abs() < 1e-3);
        assert!(critical_value(1e-6, 50) > z);
        assert_eq!(critical_value(1e-6, 200_000), z);
    }
}
