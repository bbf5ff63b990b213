//! Stochastic gradient Langevin dynamics (Welling & Teh 2011).

use super::{GradientStep, Sampler};
use crate::models::Model;

/// SGLD with a constant step size ε.
///
/// # Update (Welling & Teh 2011, eq. 4, constant ε)
/// θ ← θ − (ε/2) ĝ(θ) + √ε ξ,  ξ ~ N(0, I),  ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ).
///
/// ```
/// use sgbayes::samplers::{Sampler, Sgld};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sgld = Sgld::new(0.04, 1);
/// let mut theta = vec![1.0];
/// sgld.step(&model, &mut theta, &[0], &[0.5]);
/// // 1 − 0.02·(1 + 1) + 0.2·0.5
/// assert!((theta[0] - 1.06).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Sgld {
    inner: GradientStep,
}

impl Sgld {
    /// SGLD with step size ε on a d-dimensional model.
    pub fn new(step_size: f64, dimension: usize) -> Self {
        Self {
            inner: GradientStep::new(step_size / 2.0, step_size.sqrt(), dimension),
        }
    }
}

impl Sampler for Sgld {
    fn state_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        self.inner.apply(model, state, batch, noise);
    }
}
