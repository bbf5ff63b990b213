//! Stochastic natural gradient descent (Smith, Duckworth, Rezchikov, Le & Sohl-Dickstein 2018).

use super::Sampler;
use crate::batching::minibatch_gradient;
use crate::dense_cholesky::{factor_in_place, solve_in_place, solve_transposed_in_place};
use crate::models::{FisherMetric, Model};

/// Minibatch NGD with the state-dependent Fisher metric, the Jeffreys correction and injected
/// noise.
///
/// # Update
/// θ ← θ − (ε/N) F(θ)⁻¹ ĝ(θ) + (εT/N) Γ(θ) + √(2ε T_inj/N) F(θ)^{−1/2} ξ,
/// with F the per-example Fisher information, Γ_i = (1/√det F) Σ_j ∂_j(√det F [F⁻¹]_ij) and
/// T_inj = T − εNγ/(2B).
///
/// Provenance. Smith et al. (2018) show that minibatch NGD, Δθ = −(ε/N)F⁻¹ĝ, samples a posterior
/// at temperature εN/(2B) near minima, is not parametrisation invariant, and that "stochastic NGD"
/// adds correction terms whose stationary law carries the Jeffreys prior √det F. The paper's exact
/// update was not available to us; this is the Riemannian-Langevin construction with the same
/// stationary law (our derivation): with diffusion
/// D = (εT/N)F⁻¹ per step, the drift −(ε/N)F⁻¹∇U + (1/√det F)Σ_j ∂_j(√det F D_ij) makes
/// p ∝ √det F · e^{−U/T} stationary for the Fokker–Planck equation (zero flux). The diffusion is
/// the minibatch noise (covariance ≈ (ε²γ/B)F⁻¹ when the gradient noise covariance is F, i.e.
/// temperature εNγ/(2B) — the paper's mechanism) plus injected noise for the rest, T_inj ≥ 0
/// (checked by [`crate::config::SamplerConfig::validate`]). With full batches without replacement
/// (γ = 0) all the noise is injected and the law is exact up to O(ε) discretisation error on any
/// model with a Fisher metric; on quadratic models (constant F, Γ = 0) the chain is affine and
/// its exact law is known.
///
/// The model supplies F and Γ ([`Model::fisher_metric`]); for a constant metric they are read
/// once. F = L Lᵀ is factored in place each step (allocation-free); F^{−1/2}ξ = L⁻ᵀξ.
///
/// ```
/// use sgbayes::models::{GaussianScale, Model, ScaleParametrisation};
/// use sgbayes::samplers::{Sampler, StochasticNgd};
/// let model = GaussianScale::new(vec![1.0, 3.0], ScaleParametrisation::Scale).unwrap();
/// // N = 2, T = 1, full batch, ε = 0.1, T_inj = 1: at σ = 1, ĝ = 2 − 10 = −8, F = 2, Γ = 1/2.
/// let mut sampler = StochasticNgd::new(0.1, 1.0, 1.0, 1, 2);
/// let mut theta = vec![1.0];
/// sampler.step(&model, &mut theta, &[0, 1], &[0.0]);
/// assert!((theta[0] - (1.0 + 0.05 * 8.0 / 2.0 + 0.05 * 0.5)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct StochasticNgd {
    /// ε/N.
    drift_scale: f64,
    /// εT/N.
    correction_scale: f64,
    /// √(2ε T_inj/N).
    noise_scale: f64,
    data_size: usize,
    /// F, then its Cholesky factor.
    fisher: Vec<f64>,
    correction: Vec<f64>,
    gradient: Vec<f64>,
    noise: Vec<f64>,
    /// The metric is constant and already factored.
    constant: bool,
    /// The last metric evaluation failed (no metric, or F not positive definite).
    broken: bool,
}

impl StochasticNgd {
    /// Stochastic NGD with step size ε, target temperature T and injected temperature T_inj
    /// ([`crate::config::SamplerConfig::injected_temperature`]) on a d-dimensional model with N
    /// data points.
    pub fn new(
        step_size: f64,
        temperature: f64,
        injected_temperature: f64,
        dimension: usize,
        data_size: usize,
    ) -> Self {
        let n = data_size as f64;
        Self {
            drift_scale: step_size / n,
            correction_scale: step_size * temperature / n,
            noise_scale: (2.0 * step_size * injected_temperature.max(0.0) / n).sqrt(),
            data_size,
            fisher: vec![0.0; dimension * dimension],
            correction: vec![0.0; dimension],
            gradient: vec![0.0; dimension],
            noise: vec![0.0; dimension],
            constant: false,
            broken: false,
        }
    }

    /// Evaluates and factors the metric at θ (once for a constant metric).
    fn prepare(&mut self, model: &dyn Model, theta: &[f64]) {
        if self.constant {
            return;
        }
        let d = theta.len();
        let kind = model.fisher_metric(theta, &mut self.fisher, &mut self.correction);
        self.broken = kind == FisherMetric::Unavailable || !factor_in_place(&mut self.fisher, d);
        self.constant = kind == FisherMetric::Constant && !self.broken;
    }
}

impl Sampler for StochasticNgd {
    fn state_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn needs_fisher_metric(&self) -> bool {
        true
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        debug_assert_eq!(model.data_size(), self.data_size);
        let d = state.len();
        self.prepare(model, state);
        if self.broken {
            state.fill(f64::NAN);
            return;
        }
        minibatch_gradient(model, state, batch, &mut self.gradient);
        solve_in_place(&self.fisher, d, &mut self.gradient);
        self.noise.copy_from_slice(noise);
        solve_transposed_in_place(&self.fisher, d, &mut self.noise);
        for (((t, g), c), xi) in state
            .iter_mut()
            .zip(&self.gradient)
            .zip(&self.correction)
            .zip(&self.noise)
        {
            *t += -self.drift_scale * g + self.correction_scale * c + self.noise_scale * xi;
        }
    }
}
