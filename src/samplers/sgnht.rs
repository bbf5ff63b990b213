//! The stochastic gradient Nosé–Hoover thermostat (Ding, Fang, Babbush, Chen, Skeel & Neven 2014).

use super::Sampler;
use crate::batching::minibatch_gradient;
use crate::models::Model;

/// SGNHT with step h, diffusion A and the scalar thermostat ξ.
///
/// # Update (Ding et al. 2014, Algorithm 1)
/// With ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ) = ∇Ũ(θ), unit mass and ζ ~ N(0, I):
///
/// p ← p − ξ p h − ĝ(θ) h + √(2A h) ζ,
/// θ ← θ + p h,
/// ξ ← ξ + (pᵀp/d − 1) h,
///
/// ξ(0) = A. The thermostat raises the friction when the kinetic energy pᵀp/d exceeds its
/// equilibrium value 1 and lowers it otherwise, which absorbs the unknown gradient noise; in
/// continuous time the θ-marginal of the invariant law is the posterior (Ding et al. 2014, §3),
/// at finite h the chain is biased by O(h) and has no closed form (ξ multiplies p).
///
/// With the position-first order (blackjax 1.x's `sgnht`), θ ← θ + p h uses the old p and the
/// gradient is taken at the old θ, then p and ξ are updated as above.
///
/// The chain state is (θ, p) (p starts at rest, 0; the paper draws p(0) ~ N(0, I), which the
/// burn-in forgets); the thermostat ξ is the sampler's own state, read with
/// [`Sampler::auxiliary_state`]. A chain that blows up (a step past the stability limit, or ξ
/// driven negative for long) shows as a non-finite state: [`crate::chain::DivergenceGuard`]
/// turns it into [`crate::Error::Diverged`] naming the step.
///
/// ```
/// use sgbayes::samplers::{Sampler, Sgnht};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sampler = Sgnht::new(0.1, 0.5, false, 1);
/// let mut state = vec![1.0, 1.0];
/// sampler.step(&model, &mut state, &[0], &[0.5]);
/// // ĝ = 2; p = 1 − 0.5·1·0.1 − 2·0.1 + √(2·0.5·0.1)·0.5; θ = 1 + 0.1 p; ξ = 0.5 + (p² − 1)·0.1
/// let p = 1.0 - 0.05 - 0.2 + 0.1_f64.sqrt() * 0.5;
/// assert!((state[1] - p).abs() < 1e-12 && (state[0] - (1.0 + 0.1 * p)).abs() < 1e-12);
/// assert!((sampler.auxiliary_state()[0] - (0.5 + (p * p - 1.0) * 0.1)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Sgnht {
    step_size: f64,
    /// √(2A h).
    noise_scale: f64,
    position_first: bool,
    /// The thermostat ξ (one entry).
    thermostat: [f64; 1],
    gradient: Vec<f64>,
}

impl Sgnht {
    /// SGNHT with step h, diffusion A (> 0, checked by [`crate::config::SamplerKind::validate`];
    /// also ξ(0)), momentum-first (the paper) or position-first order, on a d-dimensional model.
    pub fn new(step_size: f64, diffusion: f64, position_first: bool, dimension: usize) -> Self {
        Self {
            step_size,
            noise_scale: (2.0 * diffusion * step_size).sqrt(),
            position_first,
            thermostat: [diffusion],
            gradient: vec![0.0; dimension],
        }
    }
}

impl Sampler for Sgnht {
    fn state_dimension(&self) -> usize {
        2 * self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        let mut state = vec![0.0; 2 * theta.len()];
        state[..theta.len()].copy_from_slice(theta);
        state
    }
    /// The thermostat ξ (one entry; A before the first step).
    fn auxiliary_state(&self) -> &[f64] {
        &self.thermostat
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = self.gradient.len();
        let h = self.step_size;
        let (theta, momentum) = state.split_at_mut(d);
        minibatch_gradient(model, theta, batch, &mut self.gradient);
        let retention = 1.0 - self.thermostat[0] * h;
        let mut kinetic = 0.0;
        for k in 0..d {
            let p = retention * momentum[k] - h * self.gradient[k] + self.noise_scale * noise[k];
            theta[k] += h * if self.position_first { momentum[k] } else { p };
            momentum[k] = p;
            kinetic += p * p;
        }
        self.thermostat[0] += (kinetic / d as f64 - 1.0) * h;
    }
}
