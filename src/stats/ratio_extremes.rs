//! The smallest and largest of the ratios estimate/reference over a set of estimates, each ratio
//! with its standard error scaled alike: the summary of "simulated/theory" over many entries.
//!
//! # Formula \[derived here]
//! For estimates x̂_k ± se_k and references t_k ≠ 0: r_k = x̂_k/t_k with standard error se_k/|t_k|
//! (the reference is exact), degrees of freedom unchanged. The extremes are the r_k of smallest and
//! largest value (the first smallest and the last largest among ties). Each extreme is reported
//! with its own error; a test of "every ratio is 1" on the extremes must split its level over the K
//! entries (they are selected after the fact).

use super::replicates::ReplicateMean;
use super::StatsError;

/// The ratios `estimates[k]`/`references[k]` of smallest and largest value.
///
/// ```
/// use sgbayes::stats::ratio_extremes::ratio_extremes;
/// use sgbayes::stats::replicates::ReplicateMean;
/// let estimate = |mean| ReplicateMean { mean, standard_error: 0.1, dof: 9 };
/// let (low, high) = ratio_extremes(&[estimate(1.0), estimate(3.0)], &[2.0, 2.0]).unwrap();
/// assert_eq!((low.mean, high.mean), (0.5, 1.5));
/// assert_eq!(low.standard_error, 0.05);
/// ```
///
/// # Errors
/// [`StatsError::DimensionMismatch`] when the slices differ in length, [`StatsError::TooFewDraws`]
/// when they are empty.
pub fn ratio_extremes(
    estimates: &[ReplicateMean],
    references: &[f64],
) -> Result<(ReplicateMean, ReplicateMean), StatsError> {
    if estimates.len() != references.len() {
        return Err(StatsError::DimensionMismatch {
            what: "references of the ratios",
            expected: estimates.len(),
            found: references.len(),
        });
    }
    let ratios: Vec<ReplicateMean> = estimates
        .iter()
        .zip(references)
        .map(|(e, t)| ReplicateMean {
            mean: e.mean / t,
            standard_error: e.standard_error / t.abs(),
            dof: e.dof,
        })
        .collect();
    let min = ratios.iter().min_by(|a, b| a.mean.total_cmp(&b.mean));
    let max = ratios.iter().max_by(|a, b| a.mean.total_cmp(&b.mean));
    match (min, max) {
        (Some(min), Some(max)) => Ok((*min, *max)),
        _ => Err(StatsError::TooFewDraws { n: 0, needed: 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(mean: f64, standard_error: f64) -> ReplicateMean {
        ReplicateMean {
            mean,
            standard_error,
            dof: 4,
        }
    }

    #[test]
    fn negative_references_keep_the_error_positive() {
        let (low, high) = ratio_extremes(&[estimate(2.0, 0.4)], &[-4.0]).unwrap();
        assert_eq!(low, high);
        assert_eq!((low.mean, low.standard_error, low.dof), (-0.5, 0.1, 4));
    }

    #[test]
    fn picks_by_ratio_not_by_estimate() {
        let (low, high) =
            ratio_extremes(&[estimate(10.0, 1.0), estimate(1.0, 1.0)], &[100.0, 1.0]).unwrap();
        assert_eq!((low.mean, high.mean), (0.1, 1.0));
        assert_eq!(low.standard_error, 0.01);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            ratio_extremes(&[], &[]),
            Err(StatsError::TooFewDraws { .. })
        ));
        assert!(matches!(
            ratio_extremes(&[estimate(1.0, 1.0)], &[1.0, 2.0]),
            Err(StatsError::DimensionMismatch { .. })
        ));
    }
}
