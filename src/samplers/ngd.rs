//! Minibatch natural gradient descent (Smith, Kindermans, Ying & Le 2018).

use super::{PreconditionedStep, Sampler};
use crate::dense_cholesky::{factor_in_place, solve_in_place};
use crate::models::Model;

/// Minibatch NGD with the per-example Fisher information F of a quadratic model.
///
/// # Update (Smith et al. 2018, §3: Δω = −(ε/N) F⁻¹ ∂Ĉ/∂ω)
/// θ ← θ − (ε/N) F⁻¹ ĝ(θ),  ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ),
/// F = (1/N) Σ_i ∇²ℓ_i, the per-example Fisher of the likelihood (for Bayesian linear regression
/// F = XᵀX/(Nσ²); for the Gaussian-mean model F = A). The update and the temperature
/// T = εN/(2B) are the paper's; the exact discrete-time law (and T_disc = εN/(B(2 − ε)) when the
/// gradient noise matches F and the prior is negligible) is derived here (`docs/samplers.md`).
///
/// The sampler computes F itself from the model's per-example gradients, without the closed
/// forms: on the first step, F e_j = (1/N) Σ_i [∇ℓ_i(e_j) − ∇ℓ_i(0)], exact for the affine
/// per-example gradients of quadratic models (for other models this difference quotient at the
/// origin is only a crude Fisher). F⁻¹ is formed once by an in-place Cholesky factorisation into
/// buffers allocated at construction, so no step allocates. A Fisher that is not positive definite
/// (e.g. linear regression with N < d) makes every draw NaN (counted by the chain as non-finite);
/// `theory` reports it as a typed error.
///
/// ```
/// use sgbayes::samplers::{Ngd, Sampler};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![2.0], vec![2.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// let mut sampler = Ngd::new(0.5, 1, 2);
/// let mut theta = vec![1.0];
/// sampler.step(&model, &mut theta, &[0], &[]);
/// // F = 4; ĝ = 1 + 2·4 = 9;  θ = 1 − (0.5/2)·9/4
/// assert!((theta[0] - 0.4375).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Ngd {
    inner: PreconditionedStep,
    scale: f64,
    data_size: usize,
    prepared: bool,
    fisher: Vec<f64>,
    point: Vec<f64>,
    column: Vec<f64>,
    base: Vec<f64>,
}

impl Ngd {
    /// NGD with learning rate ε on a d-dimensional model with N data points.
    pub fn new(step_size: f64, dimension: usize, data_size: usize) -> Self {
        Self {
            inner: PreconditionedStep::new(vec![0.0; dimension * dimension], None, dimension),
            scale: step_size / data_size as f64,
            data_size,
            prepared: false,
            fisher: vec![0.0; dimension * dimension],
            point: vec![0.0; dimension],
            column: vec![0.0; dimension],
            base: vec![0.0; dimension],
        }
    }

    /// Computes D = (ε/N) F⁻¹ into the step's drift matrix (once).
    fn prepare(&mut self, model: &dyn Model) {
        let d = self.point.len();
        let weight = 1.0 / self.data_size as f64;
        self.point.fill(0.0);
        self.base.fill(0.0);
        for i in 0..self.data_size {
            model.add_example_gradient(i, &self.point, weight, &mut self.base);
        }
        for j in 0..d {
            self.point.fill(0.0);
            self.point[j] = 1.0;
            self.column.fill(0.0);
            for i in 0..self.data_size {
                model.add_example_gradient(i, &self.point, weight, &mut self.column);
            }
            for k in 0..d {
                self.fisher[k * d + j] = self.column[k] - self.base[k];
            }
        }
        // Symmetrise into the lower triangle (the only part the in-place factorisation reads),
        // then factor F = L Lᵀ in place.
        for j in 0..d {
            for k in 0..j {
                self.fisher[j * d + k] = 0.5 * (self.fisher[j * d + k] + self.fisher[k * d + j]);
            }
        }
        let positive = factor_in_place(&mut self.fisher, d);
        let f = &self.fisher;
        let drift = self.inner.drift_mut();
        if !positive {
            drift.fill(f64::NAN);
            self.prepared = true;
            return;
        }
        // Column j of F⁻¹: solve L Lᵀ x = e_j.
        let x = &mut self.column;
        for j in 0..d {
            x.fill(0.0);
            x[j] = 1.0;
            solve_in_place(f, d, x);
            for i in 0..d {
                drift[i * d + j] = self.scale * x[i];
            }
        }
        self.prepared = true;
    }
}

impl Sampler for Ngd {
    fn state_dimension(&self) -> usize {
        self.inner.dimension()
    }
    fn noise_dimension(&self) -> usize {
        0
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        if !self.prepared {
            self.prepare(model);
        }
        self.inner.apply(model, state, batch, noise);
    }
}
