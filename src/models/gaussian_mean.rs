//! Gaussian-mean model: quadratic per-example losses with a shared curvature, so that minibatch
//! gradient noise does not depend on θ (the textbook Ornstein–Uhlenbeck case).

use nalgebra::{Cholesky, DMatrix, DVector};

use super::{Model, QuadraticModel};
use crate::error::{ensure_finite, Error, Result};

/// Per-example losses ℓ_i(θ) = (θ − z_i)ᵀ A (θ − z_i)/2 with prior θ ~ N(m₀, λ⁻¹ I).
///
/// # Formula
/// ∇ℓ_i(θ) = A(θ − z_i): H_i = A, b_i = A z_i. The minibatch deviation of the gradient,
/// (N/B)Σ_{i∈S} ∇ℓ_i − Σ_i ∇ℓ_i = −(N/B)Σ_{i∈S} A(z_i − z̄), does not depend on θ.
/// Posterior precision P = λI + N A, mean μ = P⁻¹(λ m₀ + N A z̄).
///
/// ```
/// use sgbayes::models::{GaussianMean, QuadraticModel};
/// use nalgebra::DMatrix;
/// let model = GaussianMean::new(DMatrix::identity(1, 1), vec![vec![1.0], vec![3.0]], vec![0.0], 2.0).unwrap();
/// // P = λ + N a = 2 + 2 = 4
/// assert!((model.posterior_precision()[(0, 0)] - 4.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMean {
    curvature: DMatrix<f64>,
    /// Row-major N×d centres z_i.
    centres: Vec<f64>,
    dimension: usize,
    prior_mean: DVector<f64>,
    prior_precision: f64,
}

impl GaussianMean {
    /// Builds the model from the shared curvature A (symmetric positive definite), the centres z_i,
    /// the prior mean m₀ and prior precision λ > 0.
    pub fn new(
        curvature: DMatrix<f64>,
        centres: Vec<Vec<f64>>,
        prior_mean: Vec<f64>,
        prior_precision: f64,
    ) -> Result<Self> {
        let dimension = curvature.nrows();
        if curvature.ncols() != dimension || dimension == 0 {
            return Err(Error::DimensionMismatch {
                what: "curvature (square)".into(),
                expected: dimension,
                found: curvature.ncols(),
            });
        }
        ensure_finite("curvature", curvature.iter())?;
        if (&curvature - curvature.transpose()).amax() > 1e-12 * curvature.amax().max(1.0)
            || Cholesky::new(curvature.clone()).is_none()
        {
            return Err(Error::NotPositiveDefinite {
                what: "curvature A".into(),
            });
        }
        if centres.is_empty() {
            return Err(Error::Invalid {
                what: "centres".into(),
                why: "no data points".into(),
            });
        }
        let mut flat = Vec::with_capacity(centres.len() * dimension);
        for row in &centres {
            if row.len() != dimension {
                return Err(Error::DimensionMismatch {
                    what: "centre".into(),
                    expected: dimension,
                    found: row.len(),
                });
            }
            flat.extend_from_slice(row);
        }
        ensure_finite("centres", &flat)?;
        if prior_mean.len() != dimension {
            return Err(Error::DimensionMismatch {
                what: "prior mean".into(),
                expected: dimension,
                found: prior_mean.len(),
            });
        }
        ensure_finite("prior mean", &prior_mean)?;
        if !(prior_precision.is_finite() && prior_precision > 0.0) {
            return Err(Error::Invalid {
                what: "prior_precision".into(),
                why: format!("must be positive and finite, got {prior_precision}"),
            });
        }
        let model = Self {
            curvature,
            centres: flat,
            dimension,
            prior_mean: DVector::from_vec(prior_mean),
            prior_precision,
        };
        // Derived quantities must be finite too (inputs of 1e200 overflow the precision), and a
        // non-finite matrix would stall the eigen-solvers downstream.
        ensure_finite(
            "posterior precision λI + N A (inputs too large)",
            model.posterior_precision().iter(),
        )?;
        ensure_finite(
            "λ m₀ + A Σ z_i (inputs too large)",
            model.normal_equations_rhs().iter(),
        )?;
        Ok(model)
    }

    /// Centre z_i.
    pub fn centre(&self, index: usize) -> &[f64] {
        &self.centres[index * self.dimension..(index + 1) * self.dimension]
    }
    /// The shared curvature A.
    pub fn curvature(&self) -> &DMatrix<f64> {
        &self.curvature
    }
}

impl Model for GaussianMean {
    fn dimension(&self) -> usize {
        self.dimension
    }
    fn data_size(&self) -> usize {
        self.centres.len() / self.dimension
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        for ((o, t), m) in out.iter_mut().zip(theta).zip(self.prior_mean.iter()) {
            *o = self.prior_precision * (t - m);
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let z = self.centre(index);
        for (r, o) in out.iter_mut().enumerate() {
            let mut acc = 0.0;
            for c in 0..self.dimension {
                acc += self.curvature[(r, c)] * (theta[c] - z[c]);
            }
            *o += scale * acc;
        }
    }
    /// F = (1/N) Σ_i H_i, constant; Γ = 0 (built when first asked, outside the step loop).
    fn fisher_metric(
        &self,
        _theta: &[f64],
        fisher: &mut [f64],
        correction: &mut [f64],
    ) -> super::FisherMetric {
        super::constant_fisher_metric(self, fisher, correction)
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let t = DVector::from_column_slice(theta);
        let prior = 0.5 * self.prior_precision * (&t - &self.prior_mean).norm_squared();
        let likelihood: f64 = (0..self.data_size())
            .map(|i| {
                let r = &t - DVector::from_column_slice(self.centre(i));
                0.5 * (r.transpose() * &self.curvature * &r)[(0, 0)]
            })
            .sum();
        prior + likelihood
    }
}

impl QuadraticModel for GaussianMean {
    fn example_hessian(&self, _index: usize) -> DMatrix<f64> {
        self.curvature.clone()
    }
    fn example_offset(&self, index: usize) -> DVector<f64> {
        &self.curvature * DVector::from_column_slice(self.centre(index))
    }
    fn prior_precision(&self) -> DMatrix<f64> {
        DMatrix::identity(self.dimension, self.dimension) * self.prior_precision
    }
    fn prior_mean(&self) -> DVector<f64> {
        self.prior_mean.clone()
    }
}
