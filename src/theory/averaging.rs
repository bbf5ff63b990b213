//! Iterate averaging: the exact law of the mean of n consecutive stationary iterates.

use nalgebra::DMatrix;

use super::affine_map::StationaryLaw;
use super::gaussian::symmetrize;
use crate::error::{Error, Result};

/// Longest window [`window_mean_covariance`] sums term by term.
pub const MAX_WINDOW: usize = 10_000_000;

/// Covariance of the mean of n consecutive iterates of a stationary affine chain.
///
/// # Formula (Polyak & Juditsky 1992 for the limit; the finite-n sum is standard, e.g. the
/// digest's claim M7)
/// Cov(θ̄_n) = (1/n) [Σ + Σ_{k=1}^{n−1} (1 − k/n)(M̄^k Σ + Σ M̄^{kᵀ})], using the exact
/// autocovariances Cov(z_{t+k}, z_t) = M̄^k Σ; n·Cov(θ̄_n) → Ω, the long-run covariance, which for
/// constant SGD with state-independent gradient noise is (γ/B) A⁻¹ C A⁻¹ for every ε (Mandt et
/// al. 2017, §5; exact in discrete time — derived here).
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::theory::{window_mean_covariance, StationaryLaw};
/// // AR(1) with φ = 0.5, Σ = 1: Var(mean of 2) = (1 + φ)/2.
/// let law = StationaryLaw { mean: DVector::zeros(1), covariance: DMatrix::identity(1, 1),
///     mean_matrix: DMatrix::from_element(1, 1, 0.5) };
/// assert!((window_mean_covariance(&law, 2).unwrap()[(0, 0)] - 0.75).abs() < 1e-15);
/// ```
pub fn window_mean_covariance(law: &StationaryLaw, window: usize) -> Result<DMatrix<f64>> {
    if window == 0 || window > MAX_WINDOW {
        return Err(Error::Invalid {
            what: "window".into(),
            why: format!("must lie in 1..={MAX_WINDOW}, got {window}"),
        });
    }
    let n = window as f64;
    let mut power_times_sigma = law.covariance.clone();
    let mut sum = DMatrix::zeros(law.covariance.nrows(), law.covariance.ncols());
    for k in 1..window {
        power_times_sigma = &law.mean_matrix * power_times_sigma;
        sum += &power_times_sigma * (1.0 - k as f64 / n);
    }
    Ok(symmetrize(
        &((&law.covariance + &sum + sum.transpose()) / n),
    ))
}
