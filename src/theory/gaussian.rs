//! Gaussian laws and the Kullback–Leibler divergence between them.

use crate::error::{Error, Result};
use nalgebra::{Cholesky, DMatrix, DVector};

/// A multivariate normal law N(mean, covariance), or the first two moments of a stationary law.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianLaw {
    /// Mean vector.
    pub mean: DVector<f64>,
    /// Covariance matrix (symmetric positive semi-definite).
    pub covariance: DMatrix<f64>,
}

impl GaussianLaw {
    /// The law N(mean, covariance); errors on mismatched shapes or non-finite entries.
    pub fn new(mean: DVector<f64>, covariance: DMatrix<f64>) -> Result<Self> {
        let d = mean.len();
        if covariance.nrows() != d || covariance.ncols() != d {
            return Err(Error::DimensionMismatch {
                what: "covariance".into(),
                expected: d,
                found: covariance.nrows(),
            });
        }
        crate::error::ensure_finite("mean", mean.iter())?;
        crate::error::ensure_finite("covariance", covariance.iter())?;
        Ok(Self { mean, covariance })
    }

    /// Dimension d.
    pub fn dimension(&self) -> usize {
        self.mean.len()
    }
}

/// KL(q ‖ p) between two normal laws.
///
/// # Formula
/// KL(q‖p) = ½ [ tr(Σ_p⁻¹ Σ_q) + (μ_p − μ_q)ᵀ Σ_p⁻¹ (μ_p − μ_q) − d + log det Σ_p − log det Σ_q ]
/// (e.g. Mandt et al. 2017, §3, with q the stationary law and p the posterior).
/// Returns +∞ when Σ_q is singular (a degenerate q has no density w.r.t. p), and an error when Σ_p
/// is not positive definite.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::theory::{kl_divergence, GaussianLaw};
/// let p = GaussianLaw::new(DVector::zeros(1), DMatrix::identity(1, 1)).unwrap();
/// let q = GaussianLaw::new(DVector::zeros(1), DMatrix::identity(1, 1) * 2.0).unwrap();
/// let kl = kl_divergence(&q, &p).unwrap();
/// assert!((kl - 0.5 * (2.0 - 1.0 - 2f64.ln())).abs() < 1e-14);
/// ```
pub fn kl_divergence(q: &GaussianLaw, p: &GaussianLaw) -> Result<f64> {
    if q.dimension() != p.dimension() {
        return Err(Error::DimensionMismatch {
            what: "KL arguments".into(),
            expected: p.dimension(),
            found: q.dimension(),
        });
    }
    let chol_p =
        Cholesky::new(symmetrize(&p.covariance)).ok_or_else(|| Error::NotPositiveDefinite {
            what: "covariance of the reference law".into(),
        })?;
    let Some(chol_q) = Cholesky::new(symmetrize(&q.covariance)) else {
        return Ok(f64::INFINITY);
    };
    let d = q.dimension() as f64;
    let trace = chol_p.solve(&q.covariance).trace();
    let diff = &p.mean - &q.mean;
    let mahalanobis = diff.dot(&chol_p.solve(&diff));
    Ok(0.5 * (trace + mahalanobis - d + log_det(&chol_p) - log_det(&chol_q)))
}

/// log det of a matrix from its Cholesky factor.
pub(crate) fn log_det(chol: &Cholesky<f64, nalgebra::Dyn>) -> f64 {
    2.0 * chol
        .l_dirty()
        .diagonal()
        .iter()
        .map(|v| v.ln())
        .sum::<f64>()
}

/// (A + Aᵀ)/2.
pub(crate) fn symmetrize(a: &DMatrix<f64>) -> DMatrix<f64> {
    (a + a.transpose()) * 0.5
}
