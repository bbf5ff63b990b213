//! Stochastic gradient Hamiltonian Monte Carlo (Chen, Fox & Guestrin 2014).

use super::{MomentumStep, Sampler};
use crate::models::Model;

/// SGHMC in the "SGD with momentum" parametrisation, friction α, noise estimate β̂.
///
/// # Update (Chen, Fox & Guestrin 2014, §3.3, eq. 15)
/// v ← v − η ĝ(θ) − α v + N(0, 2(α − β̂) η I);  θ ← θ + v,
/// with ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ) = ∇Ũ(θ), η = ε² M⁻¹ the learning rate
/// (`step_size`), α = ε M⁻¹ C the friction and β̂ = ε M⁻¹ B̂ the estimate of the gradient-noise
/// term. The paper writes Δθ = v, Δv = …; the order used here (v first, then θ with the new v, the
/// gradient at the old θ) is that of the paper's reference code. The momentum persists across
/// steps (no resampling) and a fresh minibatch is drawn every step. The paper shows the continuous
/// dynamics leave exp(−U(θ) − vᵀv/(2η)) invariant when β̂ matches the gradient noise; the exact
/// discrete-time law on (θ, v) used in the tests is derived in this crate (`docs/samplers.md`).
///
/// ```
/// use sgbayes::samplers::{Sampler, Sghmc};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sampler = Sghmc::new(0.04, 0.5, 0.0, 1);
/// let mut state = vec![1.0, 1.0];
/// sampler.step(&model, &mut state, &[0], &[0.5]);
/// // ĝ = 2; v = 0.5·1 − 0.04·2 + √(2·0.5·0.04)·0.5 = 0.52; θ = 1.52
/// assert!((state[1] - 0.52).abs() < 1e-12 && (state[0] - 1.52).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Sghmc {
    inner: MomentumStep,
}

impl Sghmc {
    /// SGHMC with learning rate η, friction α and noise estimate β̂ (0 ≤ β̂ ≤ α, checked by
    /// [`crate::config::SamplerKind::validate`]) on a d-dimensional model.
    pub fn new(step_size: f64, friction: f64, noise_estimate: f64, dimension: usize) -> Self {
        let noise_variance = 2.0 * (friction - noise_estimate) * step_size;
        Self {
            inner: MomentumStep::new(
                1.0 - friction,
                step_size,
                noise_variance.max(0.0).sqrt(),
                dimension,
            ),
        }
    }
}

impl Sampler for Sghmc {
    fn state_dimension(&self) -> usize {
        2 * self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        self.inner.initial_state(theta)
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        self.inner.apply(model, state, batch, noise);
    }
}
