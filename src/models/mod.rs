//! Models: potentials U(θ) = −log p(θ) + Σ_i ℓ_i(θ) with per-example losses ℓ_i = −log p(y_i | θ).
//!
//! Two capability traits, in the style of argmin's small capability traits:
//! * [`Model`] — what every sampler needs: dimension, data size N, the prior gradient and the
//!   per-example gradients, written into caller-provided buffers (no allocation). Deep linear and
//!   two-layer networks implement this trait too.
//! * [`QuadraticModel`] — models whose per-example gradients are affine in θ,
//!   ∇ℓ_i(θ) = H_i θ − b_i, with a Gaussian prior N(m₀, Λ₀⁻¹). These have an exact Gaussian posterior
//!   and every sampler step on them is an affine random map, which is what the closed forms in
//!   [`crate::theory`] need.
//!
//! `models/` knows nothing of samplers or of the closed forms.

mod deep_linear;
mod gaussian_mean;
mod linear_regression;
mod tanh_regression;
mod teacher_student;
mod two_layer;

pub use gaussian_mean::GaussianMean;
pub use linear_regression::LinearRegression;
pub use teacher_student::{
    generate as generate_teacher_student, LinearTeacherStudent, SpectralSummary,
    TeacherStudentParams, TeacherStudentSpec,
};

use nalgebra::{DMatrix, DVector};

/// A Bayesian model with a differentiable potential U(θ) = R(θ) + Σ_{i<N} ℓ_i(θ), where R = −log prior.
pub trait Model: Send + Sync {
    /// Dimension d of the parameter θ.
    fn dimension(&self) -> usize;
    /// Number N of data points (per-example losses).
    fn data_size(&self) -> usize;
    /// Writes ∇R(θ), the gradient of the negative log prior, into `out` (overwrites).
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]);
    /// Adds `scale · ∇ℓ_i(θ)` to `out` (accumulates; no allocation).
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]);
    /// The potential U(θ) = −log p(θ) − Σ log p(y_i | θ) up to an additive constant.
    fn potential(&self, theta: &[f64]) -> f64;

    /// Writes the full gradient ∇U(θ) = ∇R(θ) + Σ_i ∇ℓ_i(θ) into `out`.
    fn full_gradient(&self, theta: &[f64], out: &mut [f64]) {
        self.prior_gradient(theta, out);
        for i in 0..self.data_size() {
            self.add_example_gradient(i, theta, 1.0, out);
        }
    }
}

/// A model whose per-example gradients are affine, ∇ℓ_i(θ) = H_i θ − b_i, with a Gaussian prior
/// N(m₀, Λ₀⁻¹), so that ∇U(θ) = Λ₀(θ − m₀) + Σ_i (H_i θ − b_i).
///
/// # Formula
/// Exact posterior N(μ, P⁻¹) with precision P = Λ₀ + Σ_i H_i and mean μ = P⁻¹(Λ₀ m₀ + Σ_i b_i).
pub trait QuadraticModel: Model {
    /// Per-example Hessian H_i (symmetric positive semi-definite).
    fn example_hessian(&self, index: usize) -> DMatrix<f64>;
    /// Per-example offset b_i, so that ∇ℓ_i(θ) = H_i θ − b_i.
    fn example_offset(&self, index: usize) -> DVector<f64>;
    /// Prior precision Λ₀.
    fn prior_precision(&self) -> DMatrix<f64>;
    /// A vector v with H_i = v vᵀ when every per-example Hessian has rank one (linear regression:
    /// v = x_i/σ), which lets the closed forms use an O(N d⁴/4) structured solve; `None` otherwise.
    fn example_hessian_factor(&self, _index: usize) -> Option<DVector<f64>> {
        None
    }
    /// Prior mean m₀.
    fn prior_mean(&self) -> DVector<f64>;

    /// Posterior precision P = Λ₀ + Σ_i H_i (the Hessian of U).
    fn posterior_precision(&self) -> DMatrix<f64> {
        let mut precision = self.prior_precision();
        for i in 0..self.data_size() {
            precision += self.example_hessian(i);
        }
        precision
    }

    /// Σ_i b_i + Λ₀ m₀, the right-hand side of the normal equations P μ = Λ₀ m₀ + Σ_i b_i.
    fn normal_equations_rhs(&self) -> DVector<f64> {
        let mut rhs = self.prior_precision() * self.prior_mean();
        for i in 0..self.data_size() {
            rhs += self.example_offset(i);
        }
        rhs
    }
}
