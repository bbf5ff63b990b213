//! The detailed-fluctuation-theorem slope of histograms accumulated per segment: the slope of the
//! pooled histogram with the between-segment standard error of the per-segment slopes (segments
//! much longer than the chain's relaxation time are independent replicates).
//!
//! # Formula \[derived here]
//! Pooled counts n₊, n₋, t₊ are the sums over segments ([`SymmetricHistogram::merge`]); the value is
//! the pooled histogram's fitted slope. Its standard error is that of the mean of the K' per-segment
//! slopes (segments with too few counts for a slope left out): √(s²/K'), K' − 1 degrees of freedom
//! ([`super::replicates`]). The pooled slope is the better point estimate (the per-segment fits are
//! noisier in the sparse outer bins); their spread is the honest error scale.

use super::fluctuation_histogram::SymmetricHistogram;
use super::replicates::{replicate_mean, ReplicateMean};

/// The sum of the histograms' counts (same binning); `None` when there are none.
///
/// ```
/// use sgbayes::stats::fluctuation_histogram::SymmetricHistogram;
/// use sgbayes::stats::pooled_slope::pooled_histogram;
/// let mut a = SymmetricHistogram::new(1.0, 2);
/// a.add(0.2);
/// assert!(pooled_histogram(&[a.clone(), a]).is_some());
/// assert!(pooled_histogram(&[]).is_none());
/// ```
pub fn pooled_histogram<'a>(
    histograms: impl IntoIterator<Item = &'a SymmetricHistogram>,
) -> Option<SymmetricHistogram> {
    let mut histograms = histograms.into_iter();
    let mut pooled = histograms.next()?.clone();
    for h in histograms {
        pooled.merge(h);
    }
    Some(pooled)
}

/// The pooled slope with the between-segment standard error; `None` when the pooled histogram has
/// no slope or fewer than two segments have one.
///
/// ```
/// use rand::{Rng, SeedableRng};
/// use sgbayes::stats::fluctuation_histogram::SymmetricHistogram;
/// use sgbayes::stats::pooled_slope::pooled_slope;
/// // Gaussian samples of mean m and variance 2m satisfy the detailed theorem: slope 1.
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
/// let segments: Vec<SymmetricHistogram> = (0..10)
///     .map(|_| {
///         let mut h = SymmetricHistogram::new(3.0, 8);
///         for _ in 0..20_000 {
///             h.add(0.5 + rng.sample::<f64, _>(rand_distr::StandardNormal));
///         }
///         h
///     })
///     .collect();
/// let slope = pooled_slope(&segments).unwrap();
/// assert!((slope.mean - 1.0).abs() < 6.0 * slope.standard_error && slope.dof == 9);
/// ```
pub fn pooled_slope<'a>(
    histograms: impl IntoIterator<Item = &'a SymmetricHistogram> + Clone,
) -> Option<ReplicateMean> {
    let per_segment: Vec<f64> = histograms
        .clone()
        .into_iter()
        .filter_map(SymmetricHistogram::slope)
        .collect();
    let value = pooled_histogram(histograms)?.slope()?;
    (per_segment.len() >= 2).then(|| ReplicateMean {
        mean: value,
        ..replicate_mean(&per_segment)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(samples: &[(f64, usize)]) -> SymmetricHistogram {
        let mut h = SymmetricHistogram::new(2.0, 2);
        for &(a, count) in samples {
            for _ in 0..count {
                h.add(a);
            }
        }
        h
    }

    #[test]
    fn value_is_the_pooled_fit_and_error_the_spread_of_segment_fits() {
        let a = histogram(&[(0.5, 40), (-0.5, 20), (1.5, 40), (-1.5, 20)]);
        let b = histogram(&[(0.5, 60), (-0.5, 25), (1.5, 30), (-1.5, 20)]);
        let slope = pooled_slope([&a, &b]).unwrap();
        let pooled = pooled_histogram([&a, &b]).unwrap();
        assert_eq!(slope.mean, pooled.slope().unwrap());
        let r = replicate_mean(&[a.slope().unwrap(), b.slope().unwrap()]);
        assert_eq!((slope.standard_error, slope.dof), (r.standard_error, 1));
    }

    #[test]
    fn one_segment_has_no_error_scale() {
        let a = histogram(&[(0.5, 40), (-0.5, 20), (1.5, 40), (-1.5, 20)]);
        assert!(a.slope().is_some() && pooled_slope([&a]).is_none());
        assert!(pooled_slope(std::iter::empty()).is_none());
    }
}
