//! The histogram of the detailed fluctuation theorem, P(Σ = −A) = e^{−A} P(Σ = A), with its fitted
//! slope (Seifert 2012, Rep. Prog. Phys. 75, 126001, §3.4; the form checked by Adhikari et al. 2023,
//! arXiv:2306.03521, for windows of SGD entropy production).

use super::regression::weighted_slope_through_origin;

/// Histogram of window sums Σ on |Σ| bins of [0, half-range), for the detailed fluctuation
/// theorem P(Σ = −A) = e^{−A} P(Σ = A).
///
/// # Estimator \[derived]
/// Per bin k: n₊ (samples A in the bin), n₋ (samples −A in the bin) and t₊ = Σ_{A ∈ bin} e^{−A}.
/// Under the theorem E n₋ = E t₊ exactly, whatever the bin width, so y_k = ln(n₊/n₋) against
/// x_k = ln(n₊/t₊) (≈ the bin's A) has slope 1; a bin-centre abscissa instead biases the slope by
/// about −w²/(12 Var Σ) for bins of width w. The slope is the weighted least-squares fit through the
/// origin, weights 1/(1/n₊ + 1/n₋) (Poisson variance of y_k), over bins with ≥ 20 counts per side.
///
/// ```
/// use rand::{Rng, SeedableRng};
/// use sgbayes::stats::fluctuation_histogram::SymmetricHistogram;
/// // Gaussian samples of mean m and variance 2m satisfy the detailed theorem exactly.
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
/// let m = 0.5f64;
/// let mut histogram = SymmetricHistogram::new(3.0, 12);
/// for _ in 0..400_000 {
///     histogram.add(m + (2.0 * m).sqrt() * rng.sample::<f64, _>(rand_distr::StandardNormal));
/// }
/// assert!((histogram.slope().unwrap() - 1.0).abs() < 0.02);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricHistogram {
    half_range: f64,
    /// Per bin: (n₊, n₋, t₊).
    bins: Vec<(f64, f64, f64)>,
}

impl SymmetricHistogram {
    /// An empty histogram of `bins` bins on [0, `half_range`).
    pub fn new(half_range: f64, bins: usize) -> Self {
        Self {
            half_range,
            bins: vec![(0.0, 0.0, 0.0); bins],
        }
    }
    /// Adds one sample (outside ±half-range: ignored).
    pub fn add(&mut self, a: f64) {
        let k = (a.abs() / self.half_range * self.bins.len() as f64) as usize;
        if let Some(bin) = self.bins.get_mut(k) {
            if a >= 0.0 {
                bin.0 += 1.0;
                bin.2 += (-a).exp();
            } else {
                bin.1 += 1.0;
            }
        }
    }
    /// Adds another histogram's counts (same binning).
    pub fn merge(&mut self, other: &Self) {
        for (b, o) in self.bins.iter_mut().zip(&other.bins) {
            b.0 += o.0;
            b.1 += o.1;
            b.2 += o.2;
        }
    }
    /// The usable bins' (x_k, y_k, weight) = (ln(n₊/t₊), ln(n₊/n₋), 1/(1/n₊ + 1/n₋)).
    pub fn points(&self) -> Vec<(f64, f64, f64)> {
        self.bins
            .iter()
            .filter(|(plus, minus, _)| *plus >= 20.0 && *minus >= 20.0)
            .map(|&(plus, minus, tilted)| {
                (
                    (plus / tilted).ln(),
                    (plus / minus).ln(),
                    1.0 / (1.0 / plus + 1.0 / minus),
                )
            })
            .collect()
    }
    /// The fitted slope (1 under the detailed theorem); `None` with fewer than 2 usable bins.
    pub fn slope(&self) -> Option<f64> {
        weighted_slope_through_origin(&self.points())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_beyond_the_range_are_ignored() {
        let mut h = SymmetricHistogram::new(1.0, 4);
        h.add(1.5);
        h.add(-2.0);
        assert!(h.points().is_empty() && h.slope().is_none());
    }

    #[test]
    fn bins_count_each_side_and_tilt_the_positive_one() {
        let mut h = SymmetricHistogram::new(1.0, 1);
        for _ in 0..40 {
            h.add(0.5);
        }
        for _ in 0..20 {
            h.add(-0.5);
        }
        let (x, y, w) = h.points()[0];
        assert!((x - 0.5).abs() < 1e-12, "x = ln(n+/t+) = A for one value");
        assert!((y - 2f64.ln()).abs() < 1e-15);
        assert!((w - 1.0 / (1.0 / 40.0 + 1.0 / 20.0)).abs() < 1e-12);
    }

    #[test]
    fn merging_adds_counts() {
        let mut a = SymmetricHistogram::new(2.0, 2);
        let mut b = a.clone();
        for _ in 0..25 {
            a.add(0.3);
            a.add(-0.3);
            b.add(1.2);
            b.add(-1.2);
        }
        a.merge(&b);
        assert_eq!(a.points().len(), 2);
    }
}
