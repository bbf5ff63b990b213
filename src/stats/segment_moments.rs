//! Mean and variance of one coordinate of a stationary chain from per-segment moments: each
//! segment reports the mean of x and of x² over its kept states, and the segments are treated as
//! independent replicates ([`super::replicates`]).
//!
//! # Formula \[derived here]
//! Segment k (k = 1..K) reports m_k = mean of x and q_k = mean of x². The pooled mean is the
//! replicate mean of the m_k (standard error from their spread, K − 1 degrees of freedom). The
//! variance about the pooled mean x̄ is the replicate mean of v_k = q_k − 2x̄m_k + x̄², each
//! segment's second moment re-centred at x̄ (re-centring at the segment's own mean instead would
//! drop the between-segment part of the variance and bias it low by Var(m_k)).

use super::replicates::{replicate_mean, ReplicateMean};
use super::StatsError;

/// Pooled mean and variance about it from per-segment means `means` (m_k) and mean squares
/// `squares` (q_k), each with its between-segment standard error.
///
/// ```
/// use sgbayes::stats::segment_moments::segment_mean_and_variance;
/// // Two segments: {0, 2} and {2, 4}: m = (1, 3), q = (2, 10); pooled mean 2, variance 2.
/// let (mean, variance) = segment_mean_and_variance(&[1.0, 3.0], &[2.0, 10.0]).unwrap();
/// assert_eq!((mean.mean, variance.mean), (2.0, 2.0));
/// assert_eq!(mean.dof, 1);
/// ```
///
/// # Errors
/// [`StatsError::DimensionMismatch`] when the slices differ in length.
pub fn segment_mean_and_variance(
    means: &[f64],
    squares: &[f64],
) -> Result<(ReplicateMean, ReplicateMean), StatsError> {
    if means.len() != squares.len() {
        return Err(StatsError::DimensionMismatch {
            what: "per-segment mean squares",
            expected: means.len(),
            found: squares.len(),
        });
    }
    let mean = replicate_mean(means);
    let m = mean.mean;
    let centred: Vec<f64> = means
        .iter()
        .zip(squares)
        .map(|(first, second)| second - 2.0 * m * first + m * m)
        .collect();
    Ok((mean, replicate_mean(&centred)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equals_the_pooled_sample_variance_for_equal_segments() {
        // Segments of equal length: the re-centred second moments average to the pooled
        // population variance of all values.
        let segments = [[1.0, 4.0, -2.0], [0.5, 3.0, 7.0], [2.0, -1.0, 0.0]];
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        let means: Vec<f64> = segments.iter().map(|s| mean(s)).collect();
        let squares: Vec<f64> = segments
            .iter()
            .map(|s| mean(&s.iter().map(|x| x * x).collect::<Vec<_>>()))
            .collect();
        let all: Vec<f64> = segments.iter().flatten().copied().collect();
        let pooled = mean(&all);
        let population = mean(&all.iter().map(|x| (x - pooled).powi(2)).collect::<Vec<_>>());
        let (m, v) = segment_mean_and_variance(&means, &squares).unwrap();
        assert!((m.mean - pooled).abs() < 1e-15);
        assert!((v.mean - population).abs() < 1e-12);
        assert_eq!(v.dof, 2);
    }

    #[test]
    fn keeps_the_between_segment_spread() {
        // Constant segments at ±1: no within-segment variance, all of it between segments.
        let (m, v) = segment_mean_and_variance(&[1.0, -1.0], &[1.0, 1.0]).unwrap();
        assert_eq!((m.mean, v.mean, v.standard_error), (0.0, 1.0, 0.0));
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        assert!(matches!(
            segment_mean_and_variance(&[1.0, 2.0], &[1.0]),
            Err(StatsError::DimensionMismatch { .. })
        ));
    }
}
