//! The preconditioner formulas of the preconditioned samplers: Mandt et al.'s KL-optimal
//! choices, the Fisher information of natural gradient descent and SGFS's H. Which one a sampler
//! uses is its law's [`PreconditionerRule`](super::laws::PreconditionerRule), resolved in
//! `preconditioner_rules.rs`.

use nalgebra::{Cholesky, DMatrix};

use super::gaussian::symmetrize;
use super::posterior::exact_posterior;
use super::tuning::gradient_noise_covariance;
use crate::batching::Batching;
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// The per-example Fisher information of a quadratic model, F = (1/N) Σ_i H_i (the Hessian of the
/// likelihood part divided by N: XᵀX/(Nσ²) for linear regression, A for the Gaussian mean).
pub fn fisher_information<M: QuadraticModel + ?Sized>(model: &M) -> DMatrix<f64> {
    let d = model.dimension();
    let mut sum = DMatrix::zeros(d, d);
    for i in 0..model.data_size() {
        sum += model.example_hessian(i);
    }
    symmetrize(&(sum / model.data_size() as f64))
}

/// The KL-optimal preconditioner of constant SGD (Mandt, Hoffman & Blei 2017, Theorem 2).
///
/// # Formula
/// Full: H* = (2B/(γ ε N)) C⁻¹; diagonal: H*_kk = 2B/(γ ε N C_kk), with C the per-example
/// gradient-noise covariance at the optimum θ* ([`gradient_noise_covariance`]) for the update
/// θ ← θ − ε H ∇L̂_S(θ). The paper's statement is for γ = 1 (sampling with replacement); the
/// finite-population factor γ = (N − B)/(N − 1) without replacement is our refinement (the
/// minibatch covariance is γC/B). With H* the continuous-time (OU) stationary law is the posterior
/// exactly: substituting Σ = (NA)⁻¹ into H A Σ + Σ A H = (εγ/B) H C H gives 2H/N = (εγ/B) H C H.
///
/// Errors when the gradient noise vanishes (γ = 0, B = N without replacement) or C is singular.
pub fn optimal_preconditioner<M: QuadraticModel + ?Sized>(
    model: &M,
    step_size: f64,
    batch_size: usize,
    batching: Batching,
    diagonal: bool,
) -> Result<DMatrix<f64>> {
    let n = model.data_size();
    let gamma = batching
        .finite_population_factor(n, batch_size)
        .ok_or_else(|| Error::NoClosedForm {
            what: "the optimal preconditioner under reshuffled batches".into(),
        })?;
    if !(gamma > 0.0) {
        return Err(Error::Invalid {
            what: "preconditioner".into(),
            why: "the optimal preconditioner needs gradient noise (B = N without replacement has none)".into(),
        });
    }
    let optimum = exact_posterior(model)?.mean;
    let c = gradient_noise_covariance(model, &optimum);
    let scale = 2.0 * batch_size as f64 / (gamma * step_size * n as f64);
    let what = "gradient-noise covariance C (the optimal preconditioner is C⁻¹ up to a factor)";
    let not_pd = || Error::NotPositiveDefinite { what: what.into() };
    if diagonal {
        let d = model.dimension();
        let mut h = DMatrix::zeros(d, d);
        for k in 0..d {
            if !(c[(k, k)] > 0.0) {
                return Err(not_pd());
            }
            h[(k, k)] = scale / c[(k, k)];
        }
        Ok(h)
    } else {
        Ok(well_conditioned_inverse(&c, what)? * scale)
    }
}

/// SGFS (Ahn et al. 2012, eq. 11): H = 2 (γ N Î + (4β/ε) I)⁻¹, γ = (N + B)/B.
pub(crate) fn sgfs_preconditioner(
    fisher: &DMatrix<f64>,
    data_size: usize,
    config: &SamplerConfig,
    scale: f64,
) -> Result<DMatrix<f64>> {
    let n = fisher.nrows();
    let data_size = data_size as f64;
    let gamma = (data_size + config.batch_size as f64) / config.batch_size as f64;
    let system =
        fisher * (gamma * data_size) + DMatrix::identity(n, n) * (4.0 * scale / config.step_size);
    Ok(well_conditioned_inverse(&system, "γ N Î + 4 B_p/ε (the SGFS preconditioner)")? * 2.0)
}

/// The inverse of a symmetric matrix whose eigenvalues all exceed 1e-10 λ_max (numerically positive
/// definite); otherwise [`Error::NotPositiveDefinite`] (e.g. the Fisher or the gradient-noise
/// covariance of fewer than d + 1 examples, singular up to rounding).
pub(crate) fn well_conditioned_inverse(m: &DMatrix<f64>, what: &str) -> Result<DMatrix<f64>> {
    let m = symmetrize(m);
    let eigen = nalgebra::SymmetricEigen::new(m.clone());
    let largest = eigen.eigenvalues.max();
    let smallest = eigen.eigenvalues.min();
    if !(largest > 0.0 && smallest > 1e-10 * largest) {
        return Err(Error::NotPositiveDefinite { what: what.into() });
    }
    let chol = Cholesky::new(m).ok_or_else(|| Error::NotPositiveDefinite { what: what.into() })?;
    Ok(symmetrize(&chol.inverse()))
}
