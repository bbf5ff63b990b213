//! Bayesian linear regression with known noise variance and an isotropic Gaussian prior.

use nalgebra::{DMatrix, DVector};

use super::linear_kernel::add_rows_gradient;
use super::{Model, QuadraticModel};
use crate::error::{ensure_finite, Result};

/// Bayesian linear regression: y_i = x_i·θ + noise, noise ~ N(0, σ²), prior θ ~ N(0, λ⁻¹ I).
///
/// # Formula
/// U(θ) = λ|θ|²/2 + Σ_i (y_i − x_i·θ)²/(2σ²); per-example gradient
/// ∇ℓ_i(θ) = x_i (x_i·θ − y_i)/σ², i.e. H_i = x_i x_iᵀ/σ² and b_i = x_i y_i/σ².
/// Exact posterior: precision P = λI + XᵀX/σ², mean μ = P⁻¹Xᵀy/σ².
/// Minibatch gradient noise depends on θ (multiplicative noise through H_i − H̄).
///
/// ```
/// use sgbayes::models::{LinearRegression, Model};
/// let model = LinearRegression::new(vec![vec![1.0, 0.0], vec![0.0, 2.0]], vec![1.0, 4.0], 1.0, 1.0).unwrap();
/// let mut grad = vec![0.0; 2];
/// model.full_gradient(&[0.5, 1.0], &mut grad);
/// // λθ + Σ x_i (x_i·θ − y_i)/σ²  =  (0.5 − 0.5, 1.0 + 2·(2 − 4))
/// assert!((grad[0] - 0.0).abs() < 1e-12 && (grad[1] + 3.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearRegression {
    dimension: usize,
    /// Row-major N×d feature matrix.
    features: Vec<f64>,
    targets: Vec<f64>,
    noise_variance: f64,
    prior_precision: f64,
}

impl LinearRegression {
    /// Builds the model from feature rows x_i, targets y_i, noise variance σ² > 0 and prior
    /// precision λ > 0. Errors on empty data, ragged rows, non-finite values or non-positive σ², λ.
    pub fn new(
        features: Vec<Vec<f64>>,
        targets: Vec<f64>,
        noise_variance: f64,
        prior_precision: f64,
    ) -> Result<Self> {
        let (flat, dimension) = super::validated_rows("features", &features, "targets", &targets)?;
        ensure_finite("targets", &targets)?;
        super::ensure_positive(&[
            ("noise_variance", noise_variance),
            ("prior_precision", prior_precision),
        ])?;
        let model = Self {
            dimension,
            features: flat,
            targets,
            noise_variance,
            prior_precision,
        };
        // Derived quantities must be finite too (inputs of 1e200 overflow the precision), and a
        // non-finite matrix would stall the eigen-solvers downstream.
        ensure_finite(
            "posterior precision λI + XᵀX/σ² (inputs too large)",
            model.posterior_precision().iter(),
        )?;
        ensure_finite(
            "Xᵀy/σ² (inputs too large)",
            model.normal_equations_rhs().iter(),
        )?;
        Ok(model)
    }

    /// Feature row x_i.
    pub fn feature(&self, index: usize) -> &[f64] {
        &self.features[index * self.dimension..(index + 1) * self.dimension]
    }
    /// Targets y.
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }
    /// Noise variance σ².
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// Prior precision λ (scalar).
    pub fn prior_precision_scalar(&self) -> f64 {
        self.prior_precision
    }
    /// Feature rows as nested vectors (for serialisation).
    pub fn feature_rows(&self) -> Vec<Vec<f64>> {
        self.features
            .chunks(self.dimension)
            .map(|r| r.to_vec())
            .collect()
    }
}

impl Model for LinearRegression {
    fn dimension(&self) -> usize {
        self.dimension
    }
    fn data_size(&self) -> usize {
        self.targets.len()
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        debug_assert_eq!(theta.len(), self.dimension);
        for (o, t) in out.iter_mut().zip(theta) {
            *o = self.prior_precision * t;
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        self.add_batch_gradient(&[index], theta, scale, out);
    }
    /// ∇ℓ_i(θ) = x_i (x_i·θ − y_i)/σ² summed over the batch by `add_rows_gradient` (one
    /// dynamic call per minibatch; the same bits as one call per example).
    fn add_batch_gradient(&self, batch: &[usize], theta: &[f64], scale: f64, out: &mut [f64]) {
        add_rows_gradient(
            &self.features,
            &self.targets,
            self.dimension,
            self.noise_variance,
            batch,
            theta,
            scale,
            out,
        );
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
        let prior = 0.5 * self.prior_precision * theta.iter().map(|t| t * t).sum::<f64>();
        let likelihood: f64 = (0..self.data_size())
            .map(|i| {
                let r: f64 = self
                    .feature(i)
                    .iter()
                    .zip(theta)
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
                    - self.targets[i];
                r * r / (2.0 * self.noise_variance)
            })
            .sum();
        prior + likelihood
    }
}

impl QuadraticModel for LinearRegression {
    fn example_hessian(&self, index: usize) -> DMatrix<f64> {
        let x = DVector::from_column_slice(self.feature(index));
        &x * x.transpose() / self.noise_variance
    }
    fn example_hessian_factor(&self, index: usize) -> Option<DVector<f64>> {
        Some(DVector::from_column_slice(self.feature(index)) / self.noise_variance.sqrt())
    }
    fn example_offset(&self, index: usize) -> DVector<f64> {
        DVector::from_column_slice(self.feature(index))
            * (self.targets[index] / self.noise_variance)
    }
    fn prior_precision(&self) -> DMatrix<f64> {
        DMatrix::identity(self.dimension, self.dimension) * self.prior_precision
    }
    fn prior_mean(&self) -> DVector<f64> {
        DVector::zeros(self.dimension)
    }
}
