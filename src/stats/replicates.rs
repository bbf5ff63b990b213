//! Mean and standard error of independent replicates: per-chain or per-segment summaries that are
//! (nearly) independent draws of the same quantity, e.g. the segment means of a long chain whose
//! segments are much longer than its autocorrelation time, or one value per independent chain.
//!
//! # Formula
//! For K values x_k: x̄ = Σx_k/K, s² = Σ(x_k − x̄)²/(K − 1) (denominator clamped at 1), standard
//! error √(s²/K) with K − 1 degrees of freedom for a Student t interval (the batch-means estimator
//! of Flegal & Jones 2010 when the values are batch means).

use serde::Serialize;

/// Mean of independent replicates with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplicateMean {
    /// x̄.
    pub mean: f64,
    /// √(s²/K).
    pub standard_error: f64,
    /// K − 1 (0 for K ≤ 1).
    pub dof: usize,
}

/// Mean and standard error of `values`, treated as independent replicates.
///
/// An empty slice gives a NaN mean (there is nothing to estimate); one value gives a zero standard
/// error with 0 degrees of freedom.
///
/// ```
/// use sgbayes::stats::replicates::replicate_mean;
/// let r = replicate_mean(&[1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(r.mean, 2.5);
/// assert!((r.standard_error - (5.0f64 / 12.0).sqrt()).abs() < 1e-15);
/// assert_eq!(r.dof, 3);
/// ```
pub fn replicate_mean(values: &[f64]) -> ReplicateMean {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
    ReplicateMean {
        mean,
        standard_error: (var / k).sqrt(),
        dof: values.len().saturating_sub(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_value_has_no_spread() {
        let r = replicate_mean(&[7.0]);
        assert_eq!((r.mean, r.standard_error, r.dof), (7.0, 0.0, 0));
    }

    #[test]
    fn constant_values_have_zero_error() {
        let r = replicate_mean(&[3.0; 10]);
        assert_eq!((r.mean, r.standard_error, r.dof), (3.0, 0.0, 9));
    }

    #[test]
    fn matches_the_sample_variance_formula() {
        // s² of {0, 2, 4, 6} is 20/3, so the standard error is √(20/12).
        let r = replicate_mean(&[0.0, 2.0, 4.0, 6.0]);
        assert_eq!(r.mean, 3.0);
        assert!((r.standard_error - (20.0f64 / 12.0).sqrt()).abs() < 1e-15);
    }
}
