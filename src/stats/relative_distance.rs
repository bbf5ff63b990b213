//! Relative Euclidean distances |a − b|/|b|, exact and with estimated points.
//!
//! # Formula \[derived here]
//! Exact: |a − b|/|b|. Estimated: for per-coordinate estimates ô_k ± se_k of an offset o from a
//! centre c, the distance of o + c from a target t relative to a scale s is |ô + c − t|/|s|, with
//! error scale √(Σ se_k²)/|s| — the size of the estimate's error vector, a scale for judging the
//! distance (the distance is a norm, not a mean, so this is not a calibrated standard error near 0).

use super::replicates::ReplicateMean;

/// |a − b|/|b| (NaN when b = 0).
///
/// ```
/// use sgbayes::stats::relative_distance::relative_distance;
/// assert!((relative_distance(&[3.0, 4.0], &[0.0, 5.0]) - 0.4f64.sqrt()).abs() < 1e-15);
/// ```
pub fn relative_distance(a: &[f64], b: &[f64]) -> f64 {
    let diff: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
    let norm: f64 = b.iter().map(|y| y * y).sum::<f64>();
    (diff / norm).sqrt()
}

/// |ô + `centre` − `target`|/|`scale`| for estimated offsets ô, with the error scale
/// √(Σ se_k²)/|scale| and the first estimate's degrees of freedom (`None` without offsets).
///
/// ```
/// use sgbayes::stats::relative_distance::relative_offset;
/// use sgbayes::stats::replicates::ReplicateMean;
/// let offset = |mean| ReplicateMean { mean, standard_error: 0.3, dof: 7 };
/// let r = relative_offset(&[offset(3.0), offset(4.0)], &[1.0, 1.0], &[1.0, 1.0], &[0.0, 10.0])
///     .unwrap();
/// assert_eq!(r.mean, 0.5);
/// assert!((r.standard_error - 0.3 * 2f64.sqrt() / 10.0).abs() < 1e-15);
/// ```
pub fn relative_offset(
    offsets: &[ReplicateMean],
    centre: &[f64],
    target: &[f64],
    scale: &[f64],
) -> Option<ReplicateMean> {
    let norm = scale.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff = offsets
        .iter()
        .zip(centre.iter().zip(target))
        .map(|(o, (c, t))| (o.mean + c - t).powi(2))
        .sum::<f64>()
        .sqrt();
    let error = offsets
        .iter()
        .map(|o| o.standard_error * o.standard_error)
        .sum::<f64>()
        .sqrt();
    Some(ReplicateMean {
        mean: diff / norm,
        standard_error: error / norm,
        dof: offsets.first()?.dof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_to_itself_is_zero() {
        assert_eq!(relative_distance(&[1.0, -2.0], &[1.0, -2.0]), 0.0);
        assert!((relative_distance(&[2.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-15);
    }

    #[test]
    fn offsets_are_added_to_the_centre() {
        let zero = ReplicateMean {
            mean: 0.0,
            standard_error: 0.0,
            dof: 3,
        };
        let r = relative_offset(&[zero, zero], &[1.0, 2.0], &[1.0, 2.0], &[2.0, 0.0]).unwrap();
        assert_eq!((r.mean, r.standard_error, r.dof), (0.0, 0.0, 3));
        assert!(relative_offset(&[], &[], &[], &[1.0]).is_none());
    }
}
