//! The one engine behind the momentum samplers: v ← ρ v − η ĝ(θ) + τ ξ; θ ← θ + v.

use crate::batching::minibatch_gradient;
use crate::models::Model;

/// A heavy-ball step on the augmented state z = (θ, v) (θ first, then v, each of dimension d):
/// v ← ρ v − η ĝ(θ) + τ ξ, θ ← θ + v (the *new* v), ξ ~ N(0, I), ĝ from [`minibatch_gradient`]
/// evaluated at the old θ. The momentum v persists from step to step; a fresh minibatch is used
/// every step.
#[derive(Debug, Clone)]
pub struct MomentumStep {
    /// Momentum retention ρ = 1 − μ (damping μ, or friction α).
    pub retention: f64,
    /// Gradient scale η.
    pub drift_scale: f64,
    /// Noise scale τ (0 for no injected noise).
    pub noise_scale: f64,
    gradient: Vec<f64>,
}

impl MomentumStep {
    /// A step on a d-dimensional θ (state dimension 2d).
    pub fn new(retention: f64, drift_scale: f64, noise_scale: f64, dimension: usize) -> Self {
        Self {
            retention,
            drift_scale,
            noise_scale,
            gradient: vec![0.0; dimension],
        }
    }

    /// Dimension d of θ.
    pub fn dimension(&self) -> usize {
        self.gradient.len()
    }

    /// The state (θ, 0): momentum at rest.
    pub fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        let mut state = vec![0.0; 2 * theta.len()];
        state[..theta.len()].copy_from_slice(theta);
        state
    }

    /// Applies one step in place to `state` = (θ, v). `noise` is ignored when τ = 0 (it may then
    /// be empty).
    pub fn apply(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = self.gradient.len();
        debug_assert_eq!(state.len(), 2 * d);
        let (theta, velocity) = state.split_at_mut(d);
        minibatch_gradient(model, theta, batch, &mut self.gradient);
        for k in 0..d {
            let mut v = self.retention * velocity[k] - self.drift_scale * self.gradient[k];
            if self.noise_scale != 0.0 {
                v += self.noise_scale * noise[k];
            }
            velocity[k] = v;
            theta[k] += v;
        }
    }
}
