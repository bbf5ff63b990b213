//! SGLD at a temperature T with a step-size schedule (Welling & Teh 2011; Zhang et al. 2020).

use super::{GradientStep, Sampler};
use crate::config::StepSchedule;
use crate::models::Model;

/// SGLD targeting the tempered posterior ∝ posterior^(1/T), with step sizes ε_k.
///
/// # Update (Welling & Teh 2011, eq. 4, the injected noise scaled by √T)
/// θ ← θ − (ε_k/2) ĝ(θ) + √(ε_k T) ξ,  ξ ~ N(0, I),  ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ),
/// with ε_k of step k = 0, 1, … from [`StepSchedule::step_size`]: constant; cyclical
/// (Zhang, Li, Zhang, Chen & Wilson 2020, eq. 1: (ε/2)(cos(π mod(k, K)/K) + 1)); or Welling &
/// Teh's decreasing ε(b + k)^(−γ) (§3).
/// With exact gradients and ε → 0 the stationary law is ∝ exp(−U/T): the Langevin diffusion
/// dθ = −½∇U dt + √T dW leaves it invariant.
///
/// ```
/// use sgbayes::config::StepSchedule;
/// use sgbayes::samplers::{Sampler, SgldGeneral};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sgld = SgldGeneral::new(0.04, 0.25, StepSchedule::Constant, 1);
/// let mut theta = vec![1.0];
/// sgld.step(&model, &mut theta, &[0], &[0.5]);
/// // 1 − 0.02·(1 + 1) + √(0.04·0.25)·0.5
/// assert!((theta[0] - 1.01).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct SgldGeneral {
    inner: GradientStep,
    step_size: f64,
    temperature: f64,
    schedule: StepSchedule,
    /// Steps taken (k of the next step).
    steps_taken: u64,
}

impl SgldGeneral {
    /// SGLD with step size ε, temperature T and schedule on a d-dimensional model (parameters
    /// validated by [`crate::config::SamplerKind::validate`]).
    pub fn new(step_size: f64, temperature: f64, schedule: StepSchedule, dimension: usize) -> Self {
        Self {
            inner: GradientStep::new(step_size / 2.0, (step_size * temperature).sqrt(), dimension),
            step_size,
            temperature,
            schedule,
            steps_taken: 0,
        }
    }
}

impl Sampler for SgldGeneral {
    fn state_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        if self.schedule != StepSchedule::Constant {
            let eps = self.schedule.step_size(self.step_size, self.steps_taken);
            self.inner.drift_scale = eps / 2.0;
            self.inner.noise_scale = (eps * self.temperature).sqrt();
        }
        self.steps_taken += 1;
        self.inner.apply(model, state, batch, noise);
    }
}
