//! The exact posterior of a quadratic model.

use nalgebra::Cholesky;

use super::gaussian::{symmetrize, GaussianLaw};
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// Largest dimension for which the dense posterior (d×d matrices) is formed.
pub const MAX_POSTERIOR_DIMENSION: usize = 4096;

/// Exact Gaussian posterior N(μ, P⁻¹) of a quadratic model.
///
/// # Formula
/// P = Λ₀ + Σ_i H_i, μ = P⁻¹(Λ₀ m₀ + Σ_i b_i); for Bayesian linear regression
/// P = λI + XᵀX/σ², μ = P⁻¹Xᵀy/σ² (Bishop 2006, eqs. 3.53–3.54).
///
/// ```
/// use sgbayes::models::LinearRegression;
/// use sgbayes::theory::exact_posterior;
/// let model = LinearRegression::new(vec![vec![1.0], vec![1.0]], vec![1.0, 3.0], 1.0, 1.0).unwrap();
/// let post = exact_posterior(&model).unwrap();
/// assert!((post.mean[0] - 4.0 / 3.0).abs() < 1e-12);
/// assert!((post.covariance[(0, 0)] - 1.0 / 3.0).abs() < 1e-12);
/// ```
pub fn exact_posterior<M: QuadraticModel + ?Sized>(model: &M) -> Result<GaussianLaw> {
    let d = model.dimension();
    if d > MAX_POSTERIOR_DIMENSION {
        return Err(Error::Invalid {
            what: "dimension".into(),
            why: format!("{d} exceeds the dense posterior's limit of {MAX_POSTERIOR_DIMENSION}"),
        });
    }
    let precision = symmetrize(&model.posterior_precision());
    let chol = Cholesky::new(precision).ok_or_else(|| Error::NotPositiveDefinite {
        what: "posterior precision".into(),
    })?;
    let mean = chol.solve(&model.normal_equations_rhs());
    GaussianLaw::new(mean, symmetrize(&chol.inverse()))
}
