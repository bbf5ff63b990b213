//! Divergences between two one-dimensional Gaussians with the same mean: a chain's stationary law
//! N(μ, v) against the posterior N(μ, 1/a) of the Gaussian model problem (Adhikari et al. 2023,
//! arXiv:2306.03521, claim 11; Shaw & Whalley 2025, arXiv:2501.16055, §2).

/// KL(N(μ, v) ‖ N(μ, 1/a)).
///
/// # Formula
/// ½(av − 1 − ln(av)) (the general Gaussian KL with equal means, d = 1); zero iff v = 1/a.
///
/// ```
/// use sgbayes::theory::scalar_gaussian::kl_same_mean;
/// assert_eq!(kl_same_mean(4.0, 0.25), 0.0);
/// assert!((kl_same_mean(1.0, 2.0) - 0.5 * (1.0 - 2f64.ln())).abs() < 1e-15);
/// ```
pub fn kl_same_mean(precision: f64, variance: f64) -> f64 {
    let (a, v) = (precision, variance);
    0.5 * (a * v - 1.0 - (a * v).ln())
}

/// The 2-Wasserstein distance W₂(N(μ, v), N(μ, 1/a)).
///
/// # Formula
/// |√v − √(1/a)| (W₂ between 1-d Gaussians is the distance of their quantile functions; with equal
/// means only the standard deviations differ).
///
/// ```
/// use sgbayes::theory::scalar_gaussian::wasserstein_same_mean;
/// assert_eq!(wasserstein_same_mean(4.0, 1.0), 0.5);
/// ```
pub fn wasserstein_same_mean(precision: f64, variance: f64) -> f64 {
    (variance.sqrt() - (1.0 / precision).sqrt()).abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theory::{kl_divergence, GaussianLaw};
    use nalgebra::{DMatrix, DVector};

    #[test]
    fn kl_matches_the_general_gaussian_kl() {
        let (a, v) = (3.0, 0.7);
        let q = GaussianLaw::new(
            DVector::from_element(1, 0.2),
            DMatrix::from_element(1, 1, v),
        );
        let p = GaussianLaw::new(
            DVector::from_element(1, 0.2),
            DMatrix::from_element(1, 1, 1.0 / a),
        );
        let general = kl_divergence(&q.unwrap(), &p.unwrap()).unwrap();
        assert!((kl_same_mean(a, v) - general).abs() < 1e-14);
    }

    #[test]
    fn wasserstein_is_symmetric_in_the_standard_deviations() {
        assert_eq!(
            wasserstein_same_mean(1.0, 4.0),
            wasserstein_same_mean(0.25, 1.0)
        );
    }
}
