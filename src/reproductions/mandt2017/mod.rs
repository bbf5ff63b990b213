//! `mandt2017`: S. Mandt, M. D. Hoffman, D. M. Blei (2017), "Stochastic Gradient Descent as
//! Approximate Bayesian Inference", JMLR 18(134):1–35 — the parts that constant SGD and SGLD support.
//!
//! * Theorem 1: the KL-optimal constant learning rate ε* = 2DS/(N tr C), with KL(q‖posterior) of
//!   the Ornstein–Uhlenbeck stationary law (continuous) and of the exact discrete-time law, on the
//!   digest's reference problem R1 (oracle Gaussian gradient noise, an affine random map built
//!   directly) and on a synthetic Bayesian linear regression with real minibatches (where the
//!   gradient noise is state-dependent), with simulation points.
//! * R2: the exact discrete optimum ε*_disc = 2S/(Nc + Sa) of a 1-d problem.
//! * R3: iterate averaging — S·n·Cov(θ̄_n) → A⁻¹CA⁻¹ independently of ε (Polyak–Juditsky).
//! * Optimal preconditioner H* = (2S/(εN))C⁻¹ (Theorem 2) on R1: KL_cont = 0, KL_disc = O(ε²).
//! * Claim M5: SGLD's finite-ε error (minibatch-noise bias), which vanishes only as ε → 0.
//!
//! Conventions: SGD θ ← θ − ε∇L̂_S (L = U/N, the paper's); SGLD in Welling & Teh's convention for
//! the real sampler and in Mandt's (θ ← θ − εĝ_S + √(2ε/N)ξ) for the oracle problem R1.

use nalgebra::DMatrix;
use serde::Serialize;

use super::numbers::{sig6, sig6_vec, Estimate, Row};
use super::Config;
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::LinearRegression;
use crate::theory::{self, TheoryReport};

mod em_simulation;
mod logistic;
mod real_data;
mod reference_problems;
mod regression;
mod render;
mod render_real_data;
mod simulations;

pub use em_simulation::SimulatedEm;
pub use logistic::{LogisticSection, LogisticSimulation};
pub use real_data::{EmCurve, RealData};
use reference_problems::{r1_sgd_kl, r1_sgld_kl};
pub use render::render;

/// Seed of the synthetic linear-regression data set (fixed; `--seed` drives the simulations).
pub(crate) const PROBLEM_SEED: u64 = 2017;
/// N of the linear regression.
pub(crate) const DATA_SIZE: usize = 1000;
/// B of the linear regression.
pub(crate) const BATCH_SIZE: usize = 10;

/// Synthetic Bayesian linear regression in the style of the paper's experiments: d = 3,
/// x = Lz with L = [[1, 0, 0], [0.5, 0.8, 0], [0.2, −0.3, 0.6]], y = xᵀθ₀ + N(0, 1),
/// θ₀ = (0.5, −1, 0.3), prior N(0, I).
pub(crate) fn linear_regression() -> Result<LinearRegression> {
    let l = DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 0.0, 0.5, 0.8, 0.0, 0.2, -0.3, 0.6]);
    crate::problem::correlated_linear_regression(
        &l,
        &[0.5, -1.0, 0.3],
        DATA_SIZE,
        PROBLEM_SEED,
        1.0,
        1.0,
    )
}

/// KL(q‖posterior) against ε: continuous (OU) and exact discrete.
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    /// ε grid.
    #[serde(serialize_with = "sig6_vec")]
    pub step_sizes: Vec<f64>,
    /// KL of the OU approximation.
    #[serde(serialize_with = "sig6_vec")]
    pub continuous: Vec<f64>,
    /// KL of the exact discrete-time law.
    #[serde(serialize_with = "sig6_vec")]
    pub discrete: Vec<f64>,
}

/// A simulated KL at one ε.
#[derive(Debug, Clone, Serialize)]
pub struct SimPoint {
    /// The sampler: its command-line name ("sgd", "sgld", "sgd-momentum"), or
    /// "sgd-preconditioned H*" / "sgd-preconditioned diagonal H*" (Theorem 2).
    pub sampler: String,
    /// ε.
    #[serde(serialize_with = "sig6")]
    pub step_size: f64,
    /// KL of the exact discrete law.
    #[serde(serialize_with = "sig6")]
    pub kl_exact: f64,
    /// KL of the OU approximation.
    #[serde(serialize_with = "sig6")]
    pub kl_continuous: f64,
    /// KL(N(θ̄, Σ̂) ‖ posterior) of the draws, delta-method MCSE. Near KL = 0 the delta method
    /// degenerates (the gradient (P − Σ⁻¹)/2 vanishes) and the estimate carries an O(d²/n_eff)
    /// upward bias; the temperature below is then the calibrated check.
    pub kl_simulated: Estimate,
    /// Exact tr(PΣ)/d (the covariance in posterior units).
    #[serde(serialize_with = "sig6")]
    pub temperature_exact: f64,
    /// Simulated tr(PΣ̂)/d.
    pub temperature_simulated: Estimate,
    /// Chains × steps.
    pub chains: usize,
    /// Steps per chain after burn-in.
    pub steps: usize,
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// Every reported number.
    pub rows: Vec<Row>,
    /// R1, constant SGD.
    pub r1_sgd: Curve,
    /// R1, SGLD (Mandt's convention).
    pub r1_sgld: Curve,
    /// Linear regression, constant SGD.
    pub regression_sgd: Curve,
    /// Linear regression, SGLD (Welling–Teh ε).
    pub regression_sgld: Curve,
    /// ε* of Theorem 1 on R1 and on the regression.
    #[serde(serialize_with = "sig6")]
    pub r1_eps_star: f64,
    /// Numerical argmin of KL_disc on R1.
    #[serde(serialize_with = "sig6")]
    pub r1_eps_star_discrete: f64,
    /// ε* of Theorem 1 on the regression (C at the optimum).
    #[serde(serialize_with = "sig6")]
    pub regression_eps_star: f64,
    /// Numerical argmin of KL_disc on the regression.
    #[serde(serialize_with = "sig6")]
    pub regression_eps_star_discrete: f64,
    /// Simulations on the regression.
    pub simulations: Vec<SimPoint>,
    /// SGD with momentum on the regression at ε = ε*/4: KL against the damping μ (Claim M4).
    pub momentum: MomentumCurve,
    /// Bayesian logistic regression (synthetic): Theorem 1 with the OU law linearised at the MAP,
    /// and simulations of the real samplers against the Laplace posterior.
    pub logistic: LogisticSection,
    /// Real data (diabetes): Theorem 1, SGFS beside SGLD, constant-SGD variational EM.
    pub real_data: RealData,
}

/// KL(q‖posterior) of SGD with momentum at a fixed ε against the damping μ.
#[derive(Debug, Clone, Serialize)]
pub struct MomentumCurve {
    /// The fixed learning rate ε.
    #[serde(serialize_with = "sig6")]
    pub step_size: f64,
    /// Claim M4: μ* = εN tr C/(2DS) = ε/ε*.
    #[serde(serialize_with = "sig6")]
    pub damping_star: f64,
    /// Numerical argmin over μ of the OU KL.
    #[serde(serialize_with = "sig6")]
    pub damping_star_continuous: f64,
    /// Numerical argmin over μ of the exact discrete KL.
    #[serde(serialize_with = "sig6")]
    pub damping_star_discrete: f64,
    /// μ grid.
    #[serde(serialize_with = "sig6_vec")]
    pub dampings: Vec<f64>,
    /// KL of the OU approximation.
    #[serde(serialize_with = "sig6_vec")]
    pub continuous: Vec<f64>,
    /// KL of the exact discrete-time law.
    #[serde(serialize_with = "sig6_vec")]
    pub discrete: Vec<f64>,
}

fn log_grid(lo: f64, hi: f64, points: usize) -> Vec<f64> {
    (0..points)
        .map(|k| lo * (hi / lo).powf(k as f64 / (points - 1) as f64))
        .collect()
}

fn curve(grid: &[f64], f: impl Fn(f64) -> Result<(f64, f64)>) -> Result<Curve> {
    let mut continuous = Vec::new();
    let mut discrete = Vec::new();
    for &eps in grid {
        let (c, d) = f(eps)?;
        continuous.push(c);
        discrete.push(d);
    }
    Ok(Curve {
        step_sizes: grid.to_vec(),
        continuous,
        discrete,
    })
}

fn sampler(kind: SamplerKind, eps: f64) -> SamplerConfig {
    SamplerConfig {
        kind,
        step_size: eps,
        batch_size: BATCH_SIZE,
        batching: Batching::WithReplacement,
    }
}

fn regression_kl(model: &LinearRegression, kind: SamplerKind, eps: f64) -> Result<(f64, f64)> {
    let report = TheoryReport::compute(model, &sampler(kind, eps))?;
    Ok((
        report.kl_continuous_to_posterior,
        report.kl_stationary_to_posterior,
    ))
}

/// Runs the closed forms and the simulations.
pub fn run(config: &Config) -> Result<Record> {
    let points = if config.quick { 9 } else { 41 };
    let mut rows = Vec::new();

    let ((eps_star, eps_star_disc), section) = reference_problems::r1_section()?;
    rows.extend(section);
    rows.extend(reference_problems::r2_rows()?);
    rows.extend(reference_problems::r3_rows()?);

    // The synthetic linear regression with real minibatches.
    let model = linear_regression()?;
    let posterior = theory::exact_posterior(&model)?;
    let (optimum, section) = regression::optimum_section(&model, &posterior)?;
    rows.extend(section);
    let (reg_eps_star, reg_eps_star_disc) = (optimum.eps_star, optimum.eps_star_discrete);
    let sgld_limit = theory::stability_limit(&sampler(SamplerKind::Sgld, 1.0), &model);
    let r1_sgd = curve(&log_grid(0.004, 0.2, points), r1_sgd_kl)?;
    let r1_sgld = curve(&log_grid(1e-4, 0.2, points), r1_sgld_kl)?;
    let regression_sgd = curve(
        &log_grid(reg_eps_star / 8.0, reg_eps_star * 8.0, points),
        |e| regression_kl(&model, SamplerKind::Sgd, e),
    )?;
    let regression_sgld = curve(
        &log_grid(sgld_limit * 1e-3, sgld_limit * 0.5, points),
        |e| regression_kl(&model, SamplerKind::Sgld, e),
    )?;
    let (momentum, section) = regression::momentum_section(&model, &optimum, points)?;
    rows.extend(section);
    rows.extend(regression::asgs_rows(&model, reg_eps_star)?);
    let simulations = simulations::regression_simulations(
        config,
        &model,
        &posterior,
        reg_eps_star,
        sgld_limit,
        &momentum,
    )?;
    rows.extend(simulations::simulation_rows(&simulations));
    let logistic = logistic::logistic_section(config, &mut rows, points)?;
    Ok(Record {
        quick: config.quick,
        seed: config.seed,
        rows,
        r1_sgd,
        r1_sgld,
        regression_sgd,
        regression_sgld,
        r1_eps_star: eps_star,
        r1_eps_star_discrete: eps_star_disc,
        regression_eps_star: reg_eps_star,
        regression_eps_star_discrete: reg_eps_star_disc,
        simulations,
        momentum,
        logistic,
        real_data: real_data::run(config)?,
    })
}
