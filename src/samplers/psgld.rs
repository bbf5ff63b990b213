//! Preconditioned SGLD with a fixed preconditioner (Li, Chen, Carlson & Carin 2016).

use nalgebra::{Cholesky, DMatrix};

use super::sgd_preconditioned::check_square;
use super::{PreconditionedStep, Sampler};
use crate::error::{Error, Result};
use crate::models::Model;

/// SGLD with a fixed symmetric positive-definite preconditioner G.
///
/// # Update (Li et al. 2016, eq. 4, with G_t = G constant)
/// θ ← θ − (ε/2) G ĝ(θ) + √ε G^{1/2} ξ,  ξ ~ N(0, I),  ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ).
/// The paper's G_t is the RMSprop diagonal diag(1 ⊘ (λ + √V_t)) and its drift carries
/// Γ(θ) = Σ_j ∂G_ij/∂θ_j, which is zero for a constant G; the adaptive version is not implemented
/// here. G^{1/2} is the lower Cholesky factor (any square root gives the same law). The exact
/// discrete-time law is derived here (`docs/samplers.md`).
///
/// ```
/// use sgbayes::samplers::{Psgld, Sampler};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sampler = Psgld::new(0.04, &[4.0], 1).unwrap();
/// let mut theta = vec![1.0];
/// sampler.step(&model, &mut theta, &[0], &[0.5]);
/// // 1 − 0.02·4·2 + 0.2·2·0.5
/// assert!((theta[0] - 1.04).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Psgld {
    inner: PreconditionedStep,
}

impl Psgld {
    /// pSGLD with step size ε and fixed G (row-major d×d, symmetric positive definite).
    pub fn new(step_size: f64, preconditioner: &[f64], dimension: usize) -> Result<Self> {
        Self::tempered(step_size, 1.0, preconditioner, dimension)
    }

    /// pSGLD at temperature T: θ ← θ − (ε/2) G ĝ(θ) + √(εT) G^{1/2} ξ (the injected noise scaled
    /// so the target is ∝ posterior^(1/T); T = 1 is [`Psgld::new`], bit for bit).
    pub fn tempered(
        step_size: f64,
        temperature: f64,
        preconditioner: &[f64],
        dimension: usize,
    ) -> Result<Self> {
        check_square(preconditioner, dimension)?;
        let g = DMatrix::from_row_slice(dimension, dimension, preconditioner);
        let factor = Cholesky::new(g).ok_or_else(|| Error::NotPositiveDefinite {
            what: "preconditioner".into(),
        })?;
        let loading = factor.l() * (step_size * temperature).sqrt();
        let loading: Vec<f64> = loading.transpose().iter().cloned().collect(); // row-major
        Ok(Self {
            inner: PreconditionedStep::new(
                preconditioner.iter().map(|g| g * step_size / 2.0).collect(),
                Some(loading),
                dimension,
            ),
        })
    }
}

impl Sampler for Psgld {
    fn state_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        self.inner.noise_dimension()
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        self.inner.apply(model, state, batch, noise);
    }
}
