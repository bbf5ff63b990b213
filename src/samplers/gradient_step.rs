//! The one engine behind SGD and SGLD: θ ← θ − η ĝ(θ) + τ ξ.

use crate::batching::minibatch_gradient;
use crate::models::Model;

/// A scaled minibatch-gradient step with isotropic Gaussian noise,
/// θ ← θ − η ĝ(θ) + τ ξ, ξ ~ N(0, I), ĝ from [`minibatch_gradient`].
#[derive(Debug, Clone)]
pub struct GradientStep {
    /// Gradient scale η.
    pub drift_scale: f64,
    /// Noise scale τ (0 for no injected noise).
    pub noise_scale: f64,
    gradient: Vec<f64>,
}

impl GradientStep {
    /// A step of dimension d with gradient scale η and noise scale τ.
    pub fn new(drift_scale: f64, noise_scale: f64, dimension: usize) -> Self {
        Self {
            drift_scale,
            noise_scale,
            gradient: vec![0.0; dimension],
        }
    }

    /// Dimension of θ.
    pub fn dimension(&self) -> usize {
        self.gradient.len()
    }

    /// Applies one step in place. `noise` is ignored when τ = 0 (it may then be empty).
    pub fn apply(&mut self, model: &dyn Model, theta: &mut [f64], batch: &[usize], noise: &[f64]) {
        minibatch_gradient(model, theta, batch, &mut self.gradient);
        if self.noise_scale == 0.0 {
            for (t, g) in theta.iter_mut().zip(&self.gradient) {
                *t -= self.drift_scale * g;
            }
        } else {
            debug_assert_eq!(noise.len(), theta.len());
            for ((t, g), xi) in theta.iter_mut().zip(&self.gradient).zip(noise) {
                *t += -self.drift_scale * g + self.noise_scale * xi;
            }
        }
    }
}
