//! Stochastic gradient Fisher scoring (Ahn, Korattikara & Welling 2012) with a fixed Fisher
//! estimate.

use nalgebra::DMatrix;

use super::{PreconditionedStep, Sampler};
use crate::error::{Error, Result};
use crate::models::Model;

/// SGFS with a fixed Fisher estimate Î and B_p = β I.
///
/// # Update (Ahn, Korattikara & Welling 2012, eq. 11; Î held fixed)
/// θ ← θ + 2 (γ N Î + 4 B_p/ε)⁻¹ [∇log p(θ) + N ḡ(θ) + η],  η ~ N(0, 4 B_p/ε),  γ = (N + B)/B,
/// with ḡ the minibatch mean score. In our notation ∇log p + N ḡ = −ĝ(θ), so with
/// H = 2 (γ N Î + (4β/ε) I)⁻¹:  θ ← θ − H ĝ(θ) + H η.
/// The paper updates Î online (Î_t = (1 − 1/t) Î_{t−1} + V(θ_t)/t); holding it fixed (e.g. at the
/// empirical Fisher at the mode) makes the chain affine on quadratic models, so its exact law is
/// known — this restriction is ours. Limits (our derivation):
/// ε → 0 gives preconditioned Langevin with B_p⁻¹; ε → ∞ gives Fisher scoring, whose stationary
/// variance on a Gaussian mean with Î = the per-example Fisher is exactly (N Î)⁻¹ because
/// γ = (N + B)/B.
///
/// ```
/// use sgbayes::samplers::{Sampler, Sgfs};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]; 4], vec![0.0, 1.0, 2.0, 3.0], 1.0, 1.0).unwrap();
/// // N = 4, B = 2: γ = 3; Î = 1, β = 1, ε = 4: H = 2/(3·4·1 + 1) = 2/13.
/// let mut sgfs = Sgfs::new(4.0, 1.0, &[1.0], 1, 4, 2).unwrap();
/// let mut theta = vec![0.0];
/// sgfs.step(&model, &mut theta, &[0, 1], &[0.0]);
/// // ĝ(0) = λ·0 + (4/2)(0 − 0 + 0 − 1) = −2;  θ = 0 − (2/13)(−2)
/// assert!((theta[0] - 4.0 / 13.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Sgfs {
    inner: PreconditionedStep,
}

impl Sgfs {
    /// SGFS with step size ε, B_p = β I, the fixed Fisher estimate Î (row-major d×d, symmetric
    /// positive semi-definite), on a model with N data points and minibatches of B.
    pub fn new(
        step_size: f64,
        scale: f64,
        fisher: &[f64],
        dimension: usize,
        data_size: usize,
        batch_size: usize,
    ) -> Result<Self> {
        if fisher.len() != dimension * dimension {
            return Err(Error::DimensionMismatch {
                what: "Fisher estimate (d×d entries)".into(),
                expected: dimension * dimension,
                found: fisher.len(),
            });
        }
        let gamma = (data_size + batch_size) as f64 / batch_size as f64;
        let prior_term = 4.0 * scale / step_size;
        let fisher = DMatrix::from_row_slice(dimension, dimension, fisher);
        let system = fisher * (gamma * data_size as f64)
            + DMatrix::identity(dimension, dimension) * prior_term;
        let h = system
            .try_inverse()
            .map(|inverse| inverse * 2.0)
            .filter(|h| h.iter().all(|v| v.is_finite()))
            .ok_or_else(|| Error::NotPositiveDefinite {
                what: "γ N Î + 4 B_p/ε".into(),
            })?;
        // Row-major drift H and noise loading √(4β/ε) H (H is symmetric: L Lᵀ = (4β/ε) H²).
        let drift: Vec<f64> = h.transpose().iter().cloned().collect();
        let loading = drift.iter().map(|v| v * prior_term.sqrt()).collect();
        Ok(Self {
            inner: PreconditionedStep::new(drift, Some(loading), dimension),
        })
    }
}

impl Sampler for Sgfs {
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
