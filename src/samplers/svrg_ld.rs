//! Stochastic variance-reduced gradient Langevin dynamics (Dubey et al. 2016).

use super::control_variate::ControlVariate;
use super::Sampler;
use crate::models::Model;

/// SVRG-LD with epochs of K steps.
///
/// # Update (Dubey, Reddi, Póczos, Smola, Xing & Williamson 2016, Algorithm 2 (SVRG-LD), with
/// our SGLD convention)
/// At the start of each epoch of K steps the anchor moves to the current state, θ̃ ← θ, and the
/// full data gradient is taken there; every step is
/// θ ← θ − (ε/2) ĝ_cv(θ) + √ε ξ,  ĝ_cv(θ) = ∇R(θ) + Σ_j ∇ℓ_j(θ̃) + (N/B) Σ_{i∈S} (∇ℓ_i(θ) − ∇ℓ_i(θ̃))
/// ([`ControlVariate`]), so an epoch's first step uses the exact gradient. The draws are the
/// states at the epoch ends (every K-th state, just before a new anchor).
///
/// ```
/// use sgbayes::samplers::{Sampler, SvrgLd};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0], vec![1.0]], vec![0.0, 2.0], 1.0, 1.0).unwrap();
/// let mut sampler = SvrgLd::new(0.04, 2, 1);
/// let mut theta = vec![1.0];
/// // First step of an epoch: anchor 1, exact gradient ∇U(1) = 1.
/// sampler.step(&model, &mut theta, &[0], &[0.0]);
/// assert!((theta[0] - 0.98).abs() < 1e-12);
/// // Second step, anchor still 1: ĝ = ∇R + Σ_j ∇ℓ_j(1) + 2(∇ℓ_0(0.98) − ∇ℓ_0(1)) = 0.98 + 0 − 0.04.
/// sampler.step(&model, &mut theta, &[0], &[0.0]);
/// assert!((theta[0] - (0.98 - 0.02 * 0.94)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct SvrgLd {
    drift_scale: f64,
    noise_scale: f64,
    epoch_length: usize,
    /// Steps taken in the current epoch (0: the next step starts one).
    position_in_epoch: usize,
    control_variate: ControlVariate,
    gradient: Vec<f64>,
}

impl SvrgLd {
    /// SVRG-LD with step size ε and epochs of K ≥ 1 steps (checked by
    /// [`crate::config::SamplerKind::validate`]) on a d-dimensional model.
    pub fn new(step_size: f64, epoch_length: usize, dimension: usize) -> Self {
        Self {
            drift_scale: step_size / 2.0,
            noise_scale: step_size.sqrt(),
            epoch_length,
            position_in_epoch: 0,
            control_variate: ControlVariate::new(dimension),
            gradient: vec![0.0; dimension],
        }
    }

    /// The same sampler at temperature T > 0 (checked by
    /// [`crate::config::SamplerKind::validate`]): the injected noise becomes √(εT) ξ, which
    /// targets the tempered posterior ∝ posterior^(1/T) (as tempered SGLD; T = 1 is unchanged).
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.noise_scale *= temperature.sqrt();
        self
    }
}

impl Sampler for SvrgLd {
    fn state_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn auxiliary_state(&self) -> &[f64] {
        self.control_variate.anchor()
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        if self.position_in_epoch == 0 {
            self.control_variate.set_anchor(model, state);
        }
        self.position_in_epoch = (self.position_in_epoch + 1) % self.epoch_length;
        self.control_variate
            .gradient(model, state, batch, &mut self.gradient);
        for ((t, g), xi) in state.iter_mut().zip(&self.gradient).zip(noise) {
            *t += -self.drift_scale * g + self.noise_scale * xi;
        }
    }
}
