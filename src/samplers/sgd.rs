//! Constant-step SGD as an approximate posterior sampler (Mandt, Hoffman & Blei 2017).

use super::{GradientStep, Sampler};
use crate::models::Model;

/// Constant-learning-rate SGD on the average loss L = U/N (prior folded in).
///
/// # Update (Mandt, Hoffman & Blei 2017, §2: θ_{t+1} = θ_t − ε ĝ_S(θ_t))
/// θ ← θ − ε ∇L̂_S(θ) = θ − (ε/N) ĝ(θ),  with ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ).
///
/// ```
/// use sgbayes::samplers::{Sampler, Sgd};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0], vec![1.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// let mut sgd = Sgd::new(0.5, 1, 2);
/// let mut theta = vec![1.0];
/// sgd.step(&model, &mut theta, &[0], &[]);
/// // ĝ = 1 + 2·1 = 3;  θ = 1 − (0.5/2)·3
/// assert!((theta[0] - 0.25).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    inner: GradientStep,
}

impl Sgd {
    /// SGD with learning rate ε on a d-dimensional model with N data points.
    pub fn new(step_size: f64, dimension: usize, data_size: usize) -> Self {
        Self {
            inner: GradientStep::new(step_size / data_size as f64, 0.0, dimension),
        }
    }
}

impl Sampler for Sgd {
    fn state_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        0
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        self.inner.apply(model, state, batch, noise);
    }
}
