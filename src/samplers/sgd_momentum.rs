//! Heavy-ball SGD with damping μ as an approximate posterior sampler (Mandt, Hoffman & Blei 2017).

use super::{MomentumStep, Sampler};
use crate::models::Model;

/// Constant-learning-rate SGD with momentum on L = U/N.
///
/// # Update (Mandt, Hoffman & Blei 2017, §4 "SGD with momentum", damping μ)
/// v ← (1 − μ) v − ε ∇L̂_S(θ) = (1 − μ) v − (ε/N) ĝ(θ);  θ ← θ + v,
/// with ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ). The update rule and the continuous-time result
/// (momentum acts like plain SGD with learning rate ε/μ) are the paper's; the exact discrete-time
/// law on the state (θ, v) is derived in this crate (`docs/samplers.md`).
///
/// The chain state is (θ, v) (dimension 2d); the momentum starts at rest (v = 0) and persists
/// across steps.
///
/// ```
/// use sgbayes::samplers::{Sampler, SgdMomentum};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0], vec![1.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// let mut sampler = SgdMomentum::new(0.5, 0.25, 1, 2);
/// let mut state = sampler.initial_state(&[1.0]);
/// sampler.step(&model, &mut state, &[0], &[]);
/// // ĝ = 1 + 2·1 = 3; v = 0.75·0 − (0.5/2)·3 = −0.75; θ = 1 − 0.75
/// assert!((state[0] - 0.25).abs() < 1e-12 && (state[1] + 0.75).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct SgdMomentum {
    inner: MomentumStep,
}

impl SgdMomentum {
    /// Momentum SGD with learning rate ε and damping μ on a d-dimensional model with N data points.
    pub fn new(step_size: f64, damping: f64, dimension: usize, data_size: usize) -> Self {
        Self {
            inner: MomentumStep::new(1.0 - damping, step_size / data_size as f64, 0.0, dimension),
        }
    }
}

impl Sampler for SgdMomentum {
    fn state_dimension(&self) -> usize {
        2 * self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        0
    }
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        self.inner.initial_state(theta)
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        self.inner.apply(model, state, batch, noise);
    }
}
