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
mod gaussian_scale;
mod linear_kernel;
mod linear_regression;
mod logistic_regression;
mod tanh_regression;
mod teacher_student;
mod two_layer;

pub use deep_linear::{generate_deep_linear, DeepLinearNetwork, DeepLinearParams, DeepLinearSpec};
pub use gaussian_mean::GaussianMean;
pub use gaussian_scale::{GaussianScale, ScaleParametrisation};
pub use linear_regression::LinearRegression;
pub use logistic_regression::{
    generate as generate_logistic_regression, LogisticRegression, LogisticRegressionParams,
    LogisticRegressionSpec,
};
pub use tanh_regression::{
    generate as generate_tanh_regression, TanhParameters, TanhRegression, TanhRegressionParams,
    TanhRegressionSpec, TANH_PARAMETERS,
};
pub use teacher_student::{
    generate as generate_teacher_student, LinearTeacherStudent, SpectralSummary,
    TeacherStudentParams, TeacherStudentSpec,
};
pub use two_layer::{
    generate as generate_two_layer, Activation, Scaling, Teacher, TwoLayerNetwork, TwoLayerParams,
    TwoLayerPrior, TwoLayerSpec,
};

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};

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
    /// Adds `scale · Σ_{i∈batch} ∇ℓ_i(θ)` to `out`, example by example in batch order.
    ///
    /// The default calls [`Model::add_example_gradient`] once per index; a model may override it
    /// to avoid one dynamic call per example in the step loop, but must then give the same bits
    /// (the same arithmetic in the same order), which tests/determinism.rs pins.
    fn add_batch_gradient(&self, batch: &[usize], theta: &[f64], scale: f64, out: &mut [f64]) {
        for &i in batch {
            self.add_example_gradient(i, theta, scale, out);
        }
    }
    /// The potential U(θ) = −log p(θ) − Σ log p(y_i | θ) up to an additive constant.
    fn potential(&self, theta: &[f64]) -> f64;

    /// The Riemannian metric of the natural-gradient samplers (`stochastic-ngd`): writes the
    /// per-example Fisher information F(θ) (row-major d×d) into `fisher` and the Jeffreys drift
    /// correction Γ(θ), Γ_i = (1/√det F) Σ_j ∂_j(√det F · [F⁻¹]_ij), into `correction`, and says
    /// whether F depends on θ. The default is [`FisherMetric::Unavailable`] (nothing written).
    fn fisher_metric(
        &self,
        _theta: &[f64],
        _fisher: &mut [f64],
        _correction: &mut [f64],
    ) -> FisherMetric {
        FisherMetric::Unavailable
    }

    /// Writes the full gradient ∇U(θ) = ∇R(θ) + Σ_i ∇ℓ_i(θ) into `out`.
    fn full_gradient(&self, theta: &[f64], out: &mut [f64]) {
        self.prior_gradient(theta, out);
        for i in 0..self.data_size() {
            self.add_example_gradient(i, theta, 1.0, out);
        }
    }
}

/// Validated data rows (at least one, all of the first row's positive length, finite values),
/// flattened row-major, with the row length; `responses` must have one entry per row (their values
/// are the caller's to check). The shared validation of the regression-type models.
pub(crate) fn validated_rows(
    name: &str,
    rows: &[Vec<f64>],
    responses_name: &str,
    responses: &[f64],
) -> Result<(Vec<f64>, usize)> {
    let Some(first) = rows.first() else {
        return Err(Error::Invalid {
            what: name.into(),
            why: "no data points".into(),
        });
    };
    let width = first.len();
    if width == 0 {
        return Err(Error::Invalid {
            what: name.into(),
            why: "zero-dimensional rows".into(),
        });
    }
    if responses.len() != rows.len() {
        return Err(Error::DimensionMismatch {
            what: responses_name.into(),
            expected: rows.len(),
            found: responses.len(),
        });
    }
    let mut flat = Vec::with_capacity(rows.len() * width);
    for row in rows {
        if row.len() != width {
            return Err(Error::DimensionMismatch {
                what: format!("{name} row"),
                expected: width,
                found: row.len(),
            });
        }
        flat.extend_from_slice(row);
    }
    crate::error::ensure_finite(name, &flat)?;
    Ok((flat, width))
}

/// Checks that every named value is positive and finite.
pub(crate) fn ensure_positive(values: &[(&str, f64)]) -> Result<()> {
    for &(what, value) in values {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::Invalid {
                what: what.into(),
                why: format!("must be positive and finite, got {value}"),
            });
        }
    }
    Ok(())
}

/// What [`Model::fisher_metric`] provided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FisherMetric {
    /// The model has no closed-form Fisher information.
    Unavailable,
    /// F does not depend on θ (quadratic models), so Γ = 0 and one evaluation serves every step.
    Constant,
    /// F depends on θ: evaluate it (and Γ) at every step.
    StateDependent,
}

/// The constant per-example Fisher F = (1/N) Σ_i H_i of a quadratic model, written row-major, with
/// Γ = 0: the [`Model::fisher_metric`] of [`LinearRegression`] and [`GaussianMean`].
fn constant_fisher_metric<M: QuadraticModel + ?Sized>(
    model: &M,
    fisher: &mut [f64],
    correction: &mut [f64],
) -> FisherMetric {
    let d = model.dimension();
    let mut sum = DMatrix::<f64>::zeros(d, d);
    for i in 0..model.data_size() {
        sum += model.example_hessian(i);
    }
    sum /= model.data_size() as f64;
    for j in 0..d {
        for k in 0..d {
            fisher[j * d + k] = sum[(j, k)];
        }
    }
    correction.fill(0.0);
    FisherMetric::Constant
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
