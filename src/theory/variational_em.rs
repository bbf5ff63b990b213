//! Constant SGD as a variational EM algorithm for the hyperparameters of Bayesian linear
//! regression (Mandt, Hoffman & Blei 2017, JMLR 18:134, contribution (2)), with its fixed point
//! from the exact discrete stationary law, beside the exact empirical-Bayes (type-II maximum
//! likelihood) optimum.
//!
//! # Formula
//! Model: y_i = x_iᵀθ + e_i, e_i ~ N(0, σ²), prior θ ~ N(0, λ⁻¹ I); hyperparameters (λ, σ²).
//! * EM (Dempster, Laird & Rubin 1977) with an E-step law q = N(m, S) of θ: the M-step maximises
//!   E_q log p(y, θ | λ, σ²), giving **λ' = d/(‖m‖² + tr S)** and
//!   **σ²' = (‖y − Xm‖² + tr(XᵀX S))/N** (σ² is kept when only λ is learned).
//! * With q the exact posterior (m = P⁻¹Xᵀy/σ², S = P⁻¹, P = λI + XᵀX/σ²) EM increases the evidence
//!   and its fixed points are the stationary points of the evidence: type-II maximum likelihood.
//! * Constant-SGD variational EM (Mandt et al. 2017, §"variational EM"): the E-step law is the
//!   stationary law of constant SGD on U = −log p(y, θ | λ, σ²) at the current hyperparameters
//!   (the paper approximates it by the OU law and takes a stochastic M-step). Here q is the
//!   **exact discrete stationary law** of the crate's `sgd` (theory::affine_map: mean = the
//!   posterior mean m exactly, covariance Σ_SGD(ε, B; λ, σ²) with the multiplicative minibatch
//!   noise), so the iteration above is deterministic and its fixed point solves
//!   λ = d/(‖m‖² + tr Σ_SGD), σ² = (‖y − Xm‖² + tr(XᵀX Σ_SGD))/N \[derived\].
//!   The step size is either fixed or re-tuned at every iteration to Theorem 1's KL-optimal
//!   ε* = 2dB/(N tr C) at the current hyperparameters (C the per-example gradient covariance at m).
//! * Type-II ML directly: MacKay's (1992) fixed point g = Σ_j κ_j/(κ_j + λ) (κ_j the eigenvalues
//!   of XᵀX/σ²), λ = g/‖m‖², σ² = ‖y − Xm‖²/(N − g); the log evidence is
//!   log N(y | 0, σ²I + λ⁻¹XXᵀ) = ½[d log λ − N log(2πσ²) − ‖y − Xm‖²/σ² − λ‖m‖² − log det P].

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use super::affine_map::AffineRandomMap;
use super::sampler_maps::affine_map;
use super::tuning::optimal_learning_rate;
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{LinearRegression, Model};

/// Prior precision λ and noise variance σ².
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Hyperparameters {
    /// λ.
    pub prior_precision: f64,
    /// σ².
    pub noise_variance: f64,
}

/// Which hyperparameters EM learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Learned {
    /// λ only (σ² fixed at its starting value).
    PriorPrecision,
    /// λ and σ².
    Both,
}

/// The step size of constant SGD in the E-step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepRule {
    /// A fixed ε (the crate's convention θ ← θ − (ε/N)ĝ).
    Fixed(f64),
    /// Theorem 1's ε* at the current hyperparameters.
    KlOptimal,
}

/// The law that plays the posterior in the E-step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EStep {
    /// The exact posterior (classical EM; converges to type-II ML).
    Posterior,
    /// The exact stationary law of constant SGD.
    ConstantSgd {
        /// ε.
        step: StepRule,
        /// B.
        batch_size: usize,
        /// Minibatch scheme (with or without replacement).
        batching: Batching,
    },
}

/// The path of an EM run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmPath {
    /// Hyperparameters after each iteration (the start first).
    pub iterates: Vec<Hyperparameters>,
    /// The SGD step size used at each iteration (empty for the posterior E-step).
    pub step_sizes: Vec<f64>,
    /// Whether the relative change fell below the tolerance.
    pub converged: bool,
}

impl EmPath {
    /// The last iterate (`None` only for a hand-built empty path).
    pub fn last(&self) -> Option<Hyperparameters> {
        self.iterates.last().copied()
    }
}

/// The data of a linear regression (its hyperparameters are ignored here).
fn data(model: &LinearRegression) -> (DMatrix<f64>, DVector<f64>) {
    let rows = model.feature_rows();
    let (n, d) = (rows.len(), model.dimension());
    let x = DMatrix::from_fn(n, d, |i, j| rows[i][j]);
    (x, DVector::from_column_slice(model.targets()))
}

fn check(h: Hyperparameters) -> Result<()> {
    for (what, v) in [
        ("prior precision", h.prior_precision),
        ("noise variance", h.noise_variance),
    ] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::Invalid {
                what: what.into(),
                why: format!("must be positive and finite, got {v}"),
            });
        }
    }
    Ok(())
}

/// The model with hyperparameters h on the data of `model`.
pub fn with_hyperparameters(
    model: &LinearRegression,
    h: Hyperparameters,
) -> Result<LinearRegression> {
    check(h)?;
    LinearRegression::new(
        model.feature_rows(),
        model.targets().to_vec(),
        h.noise_variance,
        h.prior_precision,
    )
}

/// Posterior mean and covariance at h.
fn posterior(
    x: &DMatrix<f64>,
    y: &DVector<f64>,
    h: Hyperparameters,
) -> Result<(DVector<f64>, DMatrix<f64>)> {
    let d = x.ncols();
    let precision =
        x.transpose() * x / h.noise_variance + DMatrix::identity(d, d) * h.prior_precision;
    let chol = precision
        .cholesky()
        .ok_or_else(|| Error::NotPositiveDefinite {
            what: "posterior precision".into(),
        })?;
    let mean = chol.solve(&(x.transpose() * y / h.noise_variance));
    Ok((mean, chol.inverse()))
}

/// Log evidence log p(y | λ, σ²) (see the module's formula).
pub fn log_evidence(model: &LinearRegression, h: Hyperparameters) -> Result<f64> {
    check(h)?;
    let (x, y) = data(model);
    let (n, d) = (x.nrows() as f64, x.ncols() as f64);
    let precision = x.transpose() * &x / h.noise_variance
        + DMatrix::identity(x.ncols(), x.ncols()) * h.prior_precision;
    let chol = precision
        .clone()
        .cholesky()
        .ok_or_else(|| Error::NotPositiveDefinite {
            what: "posterior precision".into(),
        })?;
    let m = chol.solve(&(x.transpose() * &y / h.noise_variance));
    let log_det: f64 = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
    let residual = (&y - &x * &m).norm_squared();
    Ok(0.5
        * (d * h.prior_precision.ln()
            - n * (2.0 * std::f64::consts::PI * h.noise_variance).ln()
            - residual / h.noise_variance
            - h.prior_precision * m.norm_squared()
            - log_det))
}

/// One EM update from h with the given E-step; returns the new hyperparameters and the SGD step
/// size used (NaN for the posterior E-step).
pub fn em_update(
    model: &LinearRegression,
    h: Hyperparameters,
    e_step: EStep,
    learned: Learned,
) -> Result<(Hyperparameters, f64)> {
    check(h)?;
    let (x, y) = data(model);
    let (mean, covariance, step) = match e_step {
        EStep::Posterior => {
            let (m, s) = posterior(&x, &y, h)?;
            (m, s, f64::NAN)
        }
        EStep::ConstantSgd {
            step,
            batch_size,
            batching,
        } => {
            let current = with_hyperparameters(model, h)?;
            let eps = match step {
                StepRule::Fixed(eps) => eps,
                StepRule::KlOptimal => {
                    let (m, _) = posterior(&x, &y, h)?;
                    optimal_learning_rate(&current, &m, batch_size, batching)?.ok_or_else(|| {
                        Error::NoClosedForm {
                            what: "Theorem 1's step size without gradient noise".into(),
                        }
                    })?
                }
            };
            let config = SamplerConfig::new(SamplerKind::Sgd, eps, batch_size, batching);
            config.validate(current.data_size())?;
            let map: AffineRandomMap = affine_map(&config, &current)?;
            let law = map.stationary_law()?;
            (law.mean, law.covariance, eps)
        }
    };
    let d = x.ncols() as f64;
    let n = x.nrows() as f64;
    let prior_precision = d / (mean.norm_squared() + covariance.trace());
    let noise_variance = match learned {
        Learned::PriorPrecision => h.noise_variance,
        Learned::Both => {
            let gram = x.transpose() * &x;
            ((&y - &x * &mean).norm_squared() + (gram * covariance).trace()) / n
        }
    };
    let next = Hyperparameters {
        prior_precision,
        noise_variance,
    };
    check(next)?;
    Ok((next, step))
}

/// Iterates [`em_update`] from `start` until the largest relative change of λ and σ² is below
/// `tolerance`, or `max_iterations`.
///
/// ```
/// use sgbayes::models::LinearRegression;
/// use sgbayes::theory::variational_em::{em_path, type_two_maximum_likelihood, EStep, Hyperparameters, Learned};
/// let x: Vec<Vec<f64>> = (0..40).map(|i| vec![(i as f64 * 0.7).sin(), (i as f64 * 1.3).cos()]).collect();
/// let y: Vec<f64> = x.iter().enumerate().map(|(i, r)| 0.8 * r[0] - 0.5 * r[1] + 0.3 * (i as f64 * 2.1).sin()).collect();
/// let model = LinearRegression::new(x, y, 1.0, 1.0).unwrap();
/// let start = Hyperparameters { prior_precision: 1.0, noise_variance: 1.0 };
/// let em = em_path(&model, start, EStep::Posterior, Learned::Both, 1e-12, 100_000).unwrap();
/// let ml = type_two_maximum_likelihood(&model, start, Learned::Both).unwrap();
/// assert!(em.converged);
/// assert!((em.last().unwrap().prior_precision / ml.prior_precision - 1.0).abs() < 1e-6);
/// ```
pub fn em_path(
    model: &LinearRegression,
    start: Hyperparameters,
    e_step: EStep,
    learned: Learned,
    tolerance: f64,
    max_iterations: usize,
) -> Result<EmPath> {
    check(start)?;
    let mut path = EmPath {
        iterates: vec![start],
        step_sizes: Vec::new(),
        converged: false,
    };
    let mut h = start;
    for _ in 0..max_iterations {
        let (next, step) = em_update(model, h, e_step, learned)?;
        if !step.is_nan() {
            path.step_sizes.push(step);
        }
        path.iterates.push(next);
        let change = ((next.prior_precision - h.prior_precision) / h.prior_precision)
            .abs()
            .max(((next.noise_variance - h.noise_variance) / h.noise_variance).abs());
        h = next;
        if change < tolerance {
            path.converged = true;
            break;
        }
    }
    Ok(path)
}

/// Type-II maximum likelihood (empirical Bayes) by MacKay's fixed point, iterated from `start` to
/// a relative change below 1e-14 (at most 100 000 iterations; an error if it does not settle).
pub fn type_two_maximum_likelihood(
    model: &LinearRegression,
    start: Hyperparameters,
    learned: Learned,
) -> Result<Hyperparameters> {
    check(start)?;
    let (x, y) = data(model);
    let n = x.nrows() as f64;
    let gram_eigenvalues = (x.transpose() * &x).symmetric_eigenvalues();
    let mut h = start;
    for _ in 0..100_000 {
        let (m, _) = posterior(&x, &y, h)?;
        let g: f64 = gram_eigenvalues
            .iter()
            .map(|&e| {
                let k = e.max(0.0) / h.noise_variance;
                k / (k + h.prior_precision)
            })
            .sum();
        let next = Hyperparameters {
            prior_precision: g / m.norm_squared(),
            noise_variance: match learned {
                Learned::PriorPrecision => h.noise_variance,
                Learned::Both => (&y - &x * &m).norm_squared() / (n - g),
            },
        };
        check(next)?;
        let change = ((next.prior_precision - h.prior_precision) / h.prior_precision)
            .abs()
            .max(((next.noise_variance - h.noise_variance) / h.noise_variance).abs());
        h = next;
        if change < 1e-14 {
            return Ok(h);
        }
    }
    Err(Error::NoClosedForm {
        what: "type-II maximum likelihood: MacKay's iteration did not settle in 100 000 steps"
            .into(),
    })
}
