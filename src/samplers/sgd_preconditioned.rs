//! Preconditioned constant SGD (Mandt, Hoffman & Blei 2017).

use super::{PreconditionedStep, Sampler};
use crate::error::{Error, Result};
use crate::models::Model;

/// Constant-learning-rate SGD with a fixed symmetric positive-definite preconditioner H.
///
/// # Update (Mandt, Hoffman & Blei 2017, §4: θ_{t+1} = θ_t − ε H ĝ_S(θ_t))
/// θ ← θ − ε H ∇L̂_S(θ) = θ − (ε/N) H ĝ(θ),  ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ).
/// The update and Theorem 2 (the KL-optimal H* = (2B/(εN)) C⁻¹, under which the
/// continuous-time stationary law is the posterior) are the paper's; the exact discrete-time law
/// is derived here (`docs/samplers.md`). The sampler takes H as a matrix: the optimal choices
/// depend on the model's gradient noise and are resolved by `theory::resolve_preconditioner`.
///
/// ```
/// use sgbayes::samplers::{Sampler, SgdPreconditioned};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0], vec![1.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// let mut sampler = SgdPreconditioned::new(0.5, &[0.5], 1, 2).unwrap();
/// let mut theta = vec![1.0];
/// sampler.step(&model, &mut theta, &[0], &[]);
/// // ĝ = 1 + 2·1 = 3;  θ = 1 − (0.5/2)·0.5·3
/// assert!((theta[0] - 0.625).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct SgdPreconditioned {
    inner: PreconditionedStep,
}

impl SgdPreconditioned {
    /// Preconditioned SGD with learning rate ε and H (row-major d×d) on a model with N data points.
    /// Errors on a mis-shaped or non-finite H (symmetry and definiteness are checked by
    /// [`crate::config::Preconditioner::matrix`] when built from a configuration).
    pub fn new(
        step_size: f64,
        preconditioner: &[f64],
        dimension: usize,
        data_size: usize,
    ) -> Result<Self> {
        check_square(preconditioner, dimension)?;
        let scale = step_size / data_size as f64;
        Ok(Self {
            inner: PreconditionedStep::new(
                preconditioner.iter().map(|h| h * scale).collect(),
                None,
                dimension,
            ),
        })
    }
}

/// Errors unless `matrix` has d² finite entries.
pub(super) fn check_square(matrix: &[f64], dimension: usize) -> Result<()> {
    if matrix.len() != dimension * dimension {
        return Err(Error::DimensionMismatch {
            what: "preconditioner (d×d entries)".into(),
            expected: dimension * dimension,
            found: matrix.len(),
        });
    }
    if !matrix.iter().all(|v| v.is_finite()) {
        return Err(Error::NonFinite {
            what: "preconditioner".into(),
        });
    }
    Ok(())
}

impl Sampler for SgdPreconditioned {
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
