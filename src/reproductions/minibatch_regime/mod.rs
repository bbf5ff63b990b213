//! `minibatch-regime`: SGLD in the minibatch regime (N = 1000, B = 32, small ε) on a Bayesian
//! linear regression. Its stationary covariance is far from the posterior, and exactly predicted by
//! the discrete-time law of the affine random map including the state-dependent minibatch noise;
//! the Ornstein–Uhlenbeck approximation (gradient noise frozen at the optimum, continuous time) is
//! shown beside it.
//!
//! # Formula
//! SGLD (Welling & Teh 2011, eq. 4): θ' = θ − (ε/2) ĝ_S(θ) + √ε ξ. On a quadratic model the step is
//! θ' = M_S θ + c_S + √ε ξ and the exact stationary covariance solves
//! Σ = M̄ΣM̄ᵀ + (κ/N)Σ_i D_iΣD_iᵀ + (κ/N)Σ_i e_ie_iᵀ + εI (see [`crate::theory::AffineRandomMap`]).
//! For small ε the excess over the posterior is Σ − P⁻¹ ≈ (ε/4)(N²/B)·Σ̃ with PΣ̃ + Σ̃P = C,
//! i.e. a relative excess ≈ εNλ/(4B) in an eigendirection of curvature λ when C ≈ P/N.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::Serialize;

use super::numbers::{sig6, sig6_vec, Estimate, Provenance, Row};
use super::simulate::{self, pool, pooled_covariance, run_seed, ChainJob, ChainSummary};
use super::Config;
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::{LinearRegression, Model, QuadraticModel};
use crate::stats::regression::log_log_slope;
use crate::theory::{self, TheoryReport};

mod render;
pub use render::render;

/// Number of data points.
pub(crate) const DATA_SIZE: usize = 1000;
/// Minibatch size.
pub(crate) const BATCH_SIZE: usize = 32;
/// The main step size as a fraction of the SGLD stability limit 4/λ_max(P).
pub(crate) const MAIN_FRACTION: f64 = 0.05;
/// Relaxation times per chain in the quick configuration.
pub(crate) const QUICK_RELAXATIONS: f64 = 10_000.0;
/// Relaxation times per chain in the full configuration.
pub(crate) const FULL_RELAXATIONS: f64 = 50_000.0;
/// Seed of the synthetic data set (fixed: the problem does not change with `--seed`).
pub(crate) const PROBLEM_SEED: u64 = 100_032;

/// The synthetic Bayesian linear regression: x = L z with z ~ N(0, I₂), L = [[1, 0], [0.6, 0.5]],
/// y = xᵀθ₀ + N(0, σ²), θ₀ = (1, −0.5), σ² = 1, prior N(0, I).
pub(crate) fn problem() -> Result<LinearRegression> {
    let l = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.6, 0.5]);
    crate::problem::correlated_linear_regression(
        &l,
        &[1.0, -0.5],
        DATA_SIZE,
        PROBLEM_SEED,
        1.0,
        1.0,
    )
}

/// The problem and run lengths.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// N.
    pub data_size: usize,
    /// d.
    pub dimension: usize,
    /// B.
    pub batch_size: usize,
    /// Batching scheme.
    pub batching: Batching,
    /// Seed of the data set.
    pub problem_seed: u64,
    /// Main ε (Welling–Teh convention).
    #[serde(serialize_with = "sig6")]
    pub step_size: f64,
    /// SGLD stability limit 4/λ_max(P).
    #[serde(serialize_with = "sig6")]
    pub stability_limit: f64,
    /// Independent chains per simulated ε.
    pub chains: usize,
    /// Steps per chain after burn-in, per simulated ε.
    pub steps: Vec<usize>,
}

/// Closed forms and simulation at one ε.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// ε.
    #[serde(serialize_with = "sig6")]
    pub step_size: f64,
    /// tr Σ / tr P⁻¹, exact discrete law.
    #[serde(serialize_with = "sig6")]
    pub trace_ratio_exact: f64,
    /// tr Σ_OU / tr P⁻¹.
    #[serde(serialize_with = "sig6")]
    pub trace_ratio_ou: f64,
    /// ‖Σ_OU − Σ‖_F / ‖Σ‖_F: the OU approximation's relative error.
    #[serde(serialize_with = "sig6")]
    pub ou_relative_error: f64,
    /// Simulated tr Σ / tr P⁻¹ (only at the simulated ε).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_ratio_simulated: Option<Estimate>,
}

/// The record of the reproduction.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Configuration.
    pub setup: Setup,
    /// Posterior covariance P⁻¹ (row-major 2×2).
    #[serde(serialize_with = "sig6_vec")]
    pub posterior_covariance: Vec<f64>,
    /// Exact stationary covariance (row-major).
    #[serde(serialize_with = "sig6_vec")]
    pub exact_covariance: Vec<f64>,
    /// OU approximation (row-major).
    #[serde(serialize_with = "sig6_vec")]
    pub ou_covariance: Vec<f64>,
    /// Simulated covariance entries Σ₁₁, Σ₁₂, Σ₂₂ at the main ε.
    pub simulated_covariance: Vec<Estimate>,
    /// The table: ratios to the posterior (trace, Frobenius, per eigendirection) — exact, OU,
    /// simulated.
    pub rows: Vec<Row>,
    /// Closed forms across ε (and simulations at a few).
    pub error_vs_step_size: Vec<Point>,
    /// A subsample of draws at the main ε (for the figure; not serialised).
    #[serde(skip)]
    pub sample: Vec<Vec<f64>>,
    /// Simulated covariance (pooled, for the figure).
    #[serde(skip)]
    pub simulated_covariance_matrix: Vec<f64>,
    /// Posterior mean (for the figure).
    #[serde(skip)]
    pub posterior_mean: Vec<f64>,
}

/// The claims' numbers at the main ε, unrounded (for calibrated assertions).
impl Record {
    /// Rows whose quantity starts with `prefix`.
    pub fn row(&self, prefix: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.quantity.starts_with(prefix))
    }
}

fn sgld(step_size: f64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::Sgld,
        step_size,
        batch_size: BATCH_SIZE,
        batching: Batching::WithReplacement,
    }
}

/// Fraction of the stability limit below which the log–log slopes are fitted.
pub(crate) const SLOPE_FRACTION: f64 = 0.01;

fn frobenius(a: &DMatrix<f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// The simulated fractions of the stability limit, the chains per fraction, their length in
/// relaxation times and the ε grid of the closed forms.
struct Plan {
    chains: usize,
    relaxations: f64,
    fractions: Vec<f64>,
    grid: Vec<f64>,
}

impl Plan {
    fn of(config: &Config) -> Self {
        let (chains, relaxations, fractions): (usize, f64, Vec<f64>) = if config.quick {
            (2, QUICK_RELAXATIONS, vec![MAIN_FRACTION])
        } else {
            (
                4,
                FULL_RELAXATIONS,
                vec![MAIN_FRACTION / 4.0, MAIN_FRACTION, MAIN_FRACTION * 4.0],
            )
        };
        let mut grid: Vec<f64> = if config.quick {
            vec![0.002, 0.01, MAIN_FRACTION, 0.1, 0.3]
        } else {
            (0..=20)
                .map(|k| 0.001 * 10f64.powf(k as f64 / 8.0))
                .chain(fractions.iter().cloned())
                .collect()
        };
        grid.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        grid.dedup();
        Self {
            chains,
            relaxations,
            fractions,
            grid,
        }
    }
}

/// The posterior covariance with its eigendirections, flattest (largest variance) first.
struct Posterior {
    mean: DVector<f64>,
    covariance: DMatrix<f64>,
    directions: Vec<DVector<f64>>,
    trace: f64,
    frobenius: f64,
}

impl Posterior {
    fn of(model: &LinearRegression) -> Result<Self> {
        let posterior = theory::exact_posterior(model)?;
        let covariance = posterior.covariance;
        let eig = SymmetricEigen::new(covariance.clone());
        let mut order: Vec<usize> = (0..model.dimension()).collect();
        order.sort_by(|&a, &b| {
            eig.eigenvalues[b]
                .partial_cmp(&eig.eigenvalues[a])
                .expect("finite")
        });
        let directions = order
            .iter()
            .map(|&k| eig.eigenvectors.column(k).into_owned())
            .collect();
        Ok(Self {
            mean: posterior.mean,
            trace: covariance.trace(),
            frobenius: frobenius(&covariance),
            covariance,
            directions,
        })
    }
}

/// One simulated ε: its exact laws, steps per chain and the chains' summaries.
struct Simulated {
    report: TheoryReport,
    steps: usize,
    summaries: Vec<ChainSummary>,
}

/// Runs the chains at every simulated fraction. Functionals, in order: trace ratio,
/// per-eigendirection ratios, the Frobenius ratio's linearisation, tr(PΣ)/d, and the covariance
/// entries Σ₁₁, Σ₁₂, Σ₂₂.
fn simulate_fractions(
    config: &Config,
    model: &LinearRegression,
    limit: f64,
    plan: &Plan,
    posterior: &Posterior,
) -> Result<Vec<Simulated>> {
    let d = model.dimension();
    // One job per (simulated ε, chain), seeded by the job index.
    let mut jobs = Vec::new();
    let mut reports = Vec::new();
    for &fraction in &plan.fractions {
        let cfg = sgld(fraction * limit);
        let report = TheoryReport::compute(model, &cfg)?;
        let rho = theory::affine_map(&cfg, model)?.mean_spectral_radius();
        let tau = 1.0 / (1.0 - rho);
        let steps = (plan.relaxations * tau).ceil() as usize;
        for _ in 0..plan.chains {
            jobs.push(ChainJob {
                config: cfg,
                start: report.stationary.mean.iter().cloned().collect(),
                burn_in: (20.0 * tau).ceil() as usize,
                steps,
                thin: ((tau / 8.0).floor() as usize).max(1),
                seed: run_seed(config.seed, jobs.len() as u64),
            });
        }
        reports.push((report, steps));
    }
    let progress = simulate::progress_bar(
        config.progress,
        simulate::total_steps(&jobs),
        "minibatch-regime",
    );
    let mut simulated = Vec::new();
    for (k, (report, steps)) in reports.into_iter().enumerate() {
        let exact = &report.stationary.covariance;
        let mut weights = vec![DMatrix::identity(d, d) / posterior.trace];
        for v in &posterior.directions {
            weights.push(v * v.transpose() / v.dot(&(&posterior.covariance * v)));
        }
        weights.push(exact / (frobenius(exact) * posterior.frobenius));
        weights.push(model.posterior_precision() / d as f64);
        weights.push(DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 0.0]));
        weights.push(DMatrix::from_row_slice(2, 2, &[0.0, 0.5, 0.5, 0.0]));
        weights.push(DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 0.0, 1.0]));
        let batch = &jobs[k * plan.chains..(k + 1) * plan.chains];
        let summaries = simulate::run_chains(model, batch, &weights, &progress)?;
        simulated.push(Simulated {
            report,
            steps,
            summaries,
        });
    }
    progress.finish_and_clear();
    Ok(simulated)
}

/// Closed forms over the ε grid, with the simulated trace ratio where simulated.
fn error_curve(
    model: &LinearRegression,
    limit: f64,
    plan: &Plan,
    posterior: &Posterior,
    simulated: &[Simulated],
) -> Result<Vec<Point>> {
    plan.grid
        .iter()
        .map(|&fraction| -> Result<Point> {
            let report = TheoryReport::compute(model, &sgld(fraction * limit))?;
            let exact = &report.stationary.covariance;
            let ou = &report.stationary_continuous.covariance;
            let simulated = plan
                .fractions
                .iter()
                .position(|f| *f == fraction)
                .map(|k| pool(&simulated[k].summaries)[0]);
            Ok(Point {
                step_size: fraction * limit,
                trace_ratio_exact: exact.trace() / posterior.trace,
                trace_ratio_ou: ou.trace() / posterior.trace,
                ou_relative_error: frobenius(&(ou - exact)) / frobenius(exact),
                trace_ratio_simulated: simulated,
            })
        })
        .collect()
}

/// The table's ratios at the main ε: exact, OU and simulated.
fn main_rows(
    model: &LinearRegression,
    posterior: &Posterior,
    main: &Simulated,
    estimates: &[Estimate],
    sim_cov: &DMatrix<f64>,
) -> Vec<Row> {
    let d = model.dimension();
    let report = &main.report;
    let exact = &report.stationary.covariance;
    let ou = &report.stationary_continuous.covariance;
    let (post_cov, post_trace, post_frob) =
        (&posterior.covariance, posterior.trace, posterior.frobenius);
    let mut rows = Vec::new();
    let ratio_rows =
        |name: &str, f: &dyn Fn(&DMatrix<f64>) -> f64, est: Estimate, rows: &mut Vec<Row>| {
            rows.push(
                Row::new(format!("{name} — exact discrete law"), Provenance::Derived)
                    .closed_form(f(exact))
                    .simulation(est),
            );
            rows.push(
                Row::new(format!("{name} — OU approximation"), Provenance::Derived)
                    .closed_form(f(ou)),
            );
        };
    ratio_rows(
        "tr Σ / tr P⁻¹",
        &|s| s.trace() / post_trace,
        estimates[0],
        &mut rows,
    );
    for (k, v) in posterior.directions.iter().enumerate() {
        let label = if k == 0 { "flattest" } else { "steepest" };
        let f = |s: &DMatrix<f64>| v.dot(&(s * v)) / v.dot(&(post_cov * v));
        ratio_rows(
            &format!("vᵀΣv / vᵀP⁻¹v, {label} posterior direction"),
            &f,
            estimates[1 + k],
            &mut rows,
        );
    }
    let frob_est = Estimate {
        value: frobenius(sim_cov) / post_frob,
        ..estimates[1 + d]
    };
    ratio_rows(
        "‖Σ‖_F / ‖P⁻¹‖_F",
        &|s| frobenius(s) / post_frob,
        frob_est,
        &mut rows,
    );
    let precision = model.posterior_precision();
    ratio_rows(
        "tr(PΣ)/d (effective temperature)",
        &|s| (&precision * s).trace() / d as f64,
        estimates[2 + d],
        &mut rows,
    );
    rows.push(
        Row::new("KL(stationary ‖ posterior) — exact", Provenance::Derived)
            .closed_form(report.kl_stationary_to_posterior),
    );
    rows.push(
        Row::new("KL(OU ‖ posterior)", Provenance::Derived)
            .closed_form(report.kl_continuous_to_posterior),
    );
    rows.push(
        Row::new("‖Σ_OU − Σ‖_F / ‖Σ‖_F (OU error)", Provenance::Derived)
            .closed_form(frobenius(&(ou - exact)) / frobenius(exact)),
    );
    rows
}

/// The log–log slopes of the excess covariance and of the OU error at small ε.
fn slope_rows(error_vs_step_size: &[Point], limit: f64) -> Vec<Row> {
    let small: Vec<&Point> = error_vs_step_size
        .iter()
        .filter(|p| p.step_size <= SLOPE_FRACTION * limit * (1.0 + 1e-12))
        .collect();
    let slope = |f: &dyn Fn(&Point) -> f64| {
        log_log_slope(
            &small
                .iter()
                .map(|p| (p.step_size, f(p)))
                .collect::<Vec<_>>(),
        )
    };
    vec![
        Row::new(
            format!("log–log slope of tr Σ / tr P⁻¹ − 1 against ε (ε ≤ {SLOPE_FRACTION} × limit), exact"),
            Provenance::Derived,
        )
        .closed_form(slope(&|p| p.trace_ratio_exact - 1.0)),
        Row::new(
            format!(
                "log–log slope of ‖Σ_OU − Σ‖_F / ‖Σ‖_F against ε (ε ≤ {SLOPE_FRACTION} × limit)"
            ),
            Provenance::Derived,
        )
        .closed_form(slope(&|p| p.ou_relative_error)),
    ]
}

/// Runs the closed forms over an ε grid and the simulations.
pub fn run(config: &Config) -> Result<Record> {
    let model = problem()?;
    let posterior = Posterior::of(&model)?;
    let limit = theory::stability_limit(&sgld(1.0), &model);
    let plan = Plan::of(config);
    let simulated = simulate_fractions(config, &model, limit, &plan, &posterior)?;
    let error_vs_step_size = error_curve(&model, limit, &plan, &posterior, &simulated)?;
    let main = &simulated[plan
        .fractions
        .iter()
        .position(|f| *f == MAIN_FRACTION)
        .expect("the main fraction is simulated")];
    let estimates = pool(&main.summaries);
    let sim_cov = pooled_covariance(&main.summaries);
    let mut rows = main_rows(&model, &posterior, main, &estimates, &sim_cov);
    rows.extend(slope_rows(&error_vs_step_size, limit));
    let d = model.dimension();
    let flat = |m: &DMatrix<f64>| m.transpose().iter().cloned().collect::<Vec<f64>>();
    let sample = main
        .summaries
        .iter()
        .flat_map(|c| c.sample.iter().cloned())
        .take(simulate::SAMPLE_SIZE)
        .collect();
    Ok(Record {
        setup: Setup {
            quick: config.quick,
            seed: config.seed,
            data_size: DATA_SIZE,
            dimension: d,
            batch_size: BATCH_SIZE,
            batching: Batching::WithReplacement,
            problem_seed: PROBLEM_SEED,
            step_size: MAIN_FRACTION * limit,
            stability_limit: limit,
            chains: plan.chains,
            steps: simulated.iter().map(|s| s.steps).collect(),
        },
        posterior_covariance: flat(&posterior.covariance),
        exact_covariance: flat(&main.report.stationary.covariance),
        ou_covariance: flat(&main.report.stationary_continuous.covariance),
        simulated_covariance: estimates[3 + d..].to_vec(),
        rows,
        error_vs_step_size,
        sample,
        simulated_covariance_matrix: flat(&sim_cov),
        posterior_mean: posterior.mean.iter().cloned().collect(),
    })
}
