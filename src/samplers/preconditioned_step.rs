//! The one engine behind the preconditioned samplers: θ ← θ − η H ĝ(θ) + L ξ.

use crate::batching::minibatch_gradient;
use crate::models::Model;

/// A preconditioned minibatch-gradient step θ ← θ − D ĝ(θ) + L ξ with a fixed d×d drift matrix
/// D = η H and an optional fixed noise loading L (any square root, L Lᵀ = τ² G), both row-major.
/// Allocation-free: the gradient buffer is owned.
#[derive(Debug, Clone)]
pub struct PreconditionedStep {
    drift: Vec<f64>,
    noise_loading: Option<Vec<f64>>,
    gradient: Vec<f64>,
}

impl PreconditionedStep {
    /// A step with drift matrix D (row-major d×d) and optional noise loading L (row-major d×d).
    pub fn new(drift: Vec<f64>, noise_loading: Option<Vec<f64>>, dimension: usize) -> Self {
        debug_assert_eq!(drift.len(), dimension * dimension);
        Self {
            drift,
            noise_loading,
            gradient: vec![0.0; dimension],
        }
    }

    /// Dimension of θ.
    pub fn dimension(&self) -> usize {
        self.gradient.len()
    }

    /// Number of standard-normal variates a step consumes.
    pub fn noise_dimension(&self) -> usize {
        if self.noise_loading.is_some() {
            self.dimension()
        } else {
            0
        }
    }

    /// The drift matrix D, row-major (mutable, for samplers that set it up lazily).
    pub fn drift_mut(&mut self) -> &mut [f64] {
        &mut self.drift
    }

    /// Applies one step in place.
    pub fn apply(&mut self, model: &dyn Model, theta: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = self.gradient.len();
        minibatch_gradient(model, theta, batch, &mut self.gradient);
        for (row, t) in theta.iter_mut().enumerate() {
            let drift_row = &self.drift[row * d..(row + 1) * d];
            let mut change = -drift_row
                .iter()
                .zip(&self.gradient)
                .map(|(a, g)| a * g)
                .sum::<f64>();
            if let Some(loading) = &self.noise_loading {
                change += loading[row * d..(row + 1) * d]
                    .iter()
                    .zip(noise)
                    .map(|(l, xi)| l * xi)
                    .sum::<f64>();
            }
            *t += change;
        }
    }
}
