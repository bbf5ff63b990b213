//! `shaw-whalley2025`: L. Shaw, P. A. Whalley (2025), "Random reshuffling for stochastic gradient
//! Langevin dynamics" (arXiv:2501.16055) — the analytical Gaussian model problem: random
//! reshuffling (RR, epochs without replacement) has a smaller bias than Robbins–Monro (RM,
//! independent batches every step); the stochastic-gradient part of the bias is O(h) for RM, O(h²)
//! for RR over all iterates and O(h³) at epoch ends.
//!
//! # Formula
//! The 1-d model of [`super::adhikari2023`] (N = 40, prior N(0, 10²), V₁/a = 22.9 at B = 4), with
//! B ∈ {2, 4, 10} (N/B = 20, 10, 4). Relative bias of the stationary variance a·v − 1 (both
//! samplers have an unbiased mean here) and the Wasserstein-2 distance between the centred
//! Gaussians W₂ = |√v − √(1/a)| (the digest's statistic; the paper's exact functional is not
//! verified). Exact laws as in `adhikari2023`; leading orders from
//! [`crate::theory::reshuffling_bias`]: ULA ha/2, RM h(a + V)/2, RR all iterates
//! ha/2 + h²aV₁(M + 1)/6, RR epoch ends ha/2 + h³a²V₁M(M + 1)/24.

use nalgebra::DMatrix;
use serde::Serialize;

use super::gaussian_mean_problem::{
    problem, scheme_config, variance_with_batch, Scheme, PRIOR_VARIANCE,
};
use super::numbers::{sig6, sig6_vec, Estimate, Provenance, Row};
use super::simulate::{self, pool, run_seed, ChainJob};
use super::step_grid::StepGrid;
use super::Config;
use crate::error::Result;
use crate::models::{GaussianMean, Model};
use crate::theory;
use crate::theory::reshuffling_bias::{
    distinct_index_variance, iid_index_variance, reshuffled_epoch_end_bias,
    reshuffled_every_step_bias, robbins_monro_bias, ula_bias,
};
use crate::theory::scalar_gaussian::wasserstein_same_mean;

/// BibTeX of the paper.
const BIBTEX: &str = r"@article{shaw2025random,
  title = {Random reshuffling for stochastic gradient {L}angevin dynamics},
  author = {Shaw, Luke and Whalley, Peter A.},
  journal = {arXiv preprint arXiv:2501.16055},
  year = {2025}
}";

mod render;
pub use render::render;

/// Batch sizes compared (N = 40).
const BATCH_SIZES: [usize; 3] = [2, 4, 10];

/// W₂(RR)/W₂(RM) against h·a for one batch size.
#[derive(Debug, Clone, Serialize)]
pub struct RatioCurve {
    /// B.
    pub batch_size: usize,
    /// W₂(RR, every step) / W₂(RM, i.i.d.).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) every_step_vs_iid: Vec<f64>,
    /// W₂(RR, epoch ends) / W₂(RM, i.i.d.).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) epoch_end_vs_iid: Vec<f64>,
    /// W₂(RR, every step) / W₂(RM, distinct indices per step).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) every_step_vs_per_step: Vec<f64>,
    /// Largest of the three ratios over the grid.
    #[serde(serialize_with = "sig6")]
    pub max_ratio: f64,
}

/// A simulated relative bias.
#[derive(Debug, Clone, Serialize)]
pub struct SimPoint {
    /// Scheme.
    pub scheme: Scheme,
    /// B.
    pub batch_size: usize,
    /// h·a.
    pub(crate) ha: f64,
    /// Exact a·v − 1.
    #[serde(serialize_with = "sig6")]
    pub relative_bias_exact: f64,
    /// Simulated a·v − 1.
    pub relative_bias_simulated: Estimate,
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Configuration, posterior precision a and the grid of h·a.
    #[serde(flatten)]
    pub(crate) grid: StepGrid,
    /// W₂ ratios per batch size.
    pub ratios: Vec<RatioCurve>,
    /// Simulations.
    pub simulations: Vec<SimPoint>,
    /// The table.
    pub rows: Vec<Row>,
}

impl Record {
    /// The first row whose quantity starts with `prefix`.
    pub fn row(&self, prefix: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.quantity.starts_with(prefix))
    }
}

/// W₂(RR)/W₂(RM) against h·a for every batch size of [`BATCH_SIZES`].
fn ratio_curves(model: &GaussianMean, a: f64, ha: &[f64]) -> Result<Vec<RatioCurve>> {
    let mut ratios = Vec::new();
    for b in BATCH_SIZES {
        let mut every_step_vs_iid = Vec::new();
        let mut epoch_end_vs_iid = Vec::new();
        let mut every_step_vs_per_step = Vec::new();
        for &x in ha {
            let w = |scheme| -> Result<f64> {
                Ok(wasserstein_same_mean(
                    a,
                    variance_with_batch(model, 2.0 * x / a, scheme, b)?,
                ))
            };
            let iid = w(Scheme::Iid)?;
            every_step_vs_iid.push(w(Scheme::ReshuffleEveryStep)? / iid);
            epoch_end_vs_iid.push(w(Scheme::ReshuffleEpochEnd)? / iid);
            every_step_vs_per_step.push(w(Scheme::ReshuffleEveryStep)? / w(Scheme::PerStep)?);
        }
        let max_ratio = every_step_vs_iid
            .iter()
            .chain(&epoch_end_vs_iid)
            .chain(&every_step_vs_per_step)
            .cloned()
            .fold(0.0, f64::max);
        ratios.push(RatioCurve {
            batch_size: b,
            every_step_vs_iid,
            epoch_end_vs_iid,
            every_step_vs_per_step,
            max_ratio,
        });
    }
    Ok(ratios)
}

/// Table rows: relative biases a·v − 1 at three step sizes, B = 4, exact against leading order.
fn bias_rows(model: &GaussianMean, a: f64) -> Result<Vec<Row>> {
    let n = model.data_size();
    let mut rows = Vec::new();
    let b = 4;
    let m = (n / b) as f64;
    let s2 = {
        let centres: Vec<f64> = (0..n).map(|i| model.centre(i)[0]).collect();
        let mean = centres.iter().sum::<f64>() / n as f64;
        centres.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64
    };
    let v_distinct = distinct_index_variance(n, b, s2);
    let v_iid = iid_index_variance(n, b, s2);
    for x in [0.01, 0.1, 0.3] {
        for (scheme, leading) in [
            (Scheme::FullBatch, ula_bias(x)),
            (Scheme::Iid, robbins_monro_bias(x, a, v_iid)),
            (Scheme::PerStep, robbins_monro_bias(x, a, v_distinct)),
            (
                Scheme::ReshuffleEveryStep,
                reshuffled_every_step_bias(x, a, v_distinct, m),
            ),
            (
                Scheme::ReshuffleEpochEnd,
                reshuffled_epoch_end_bias(x, a, v_distinct, m),
            ),
        ] {
            rows.push(
                Row::new(
                    format!(
                        "relative bias a·v − 1 at h·a = {x}, B = {b}: {}",
                        scheme.label()
                    ),
                    Provenance::Digest,
                )
                .reference(leading)
                .closed_form(a * variance_with_batch(model, 2.0 * x / a, scheme, b)? - 1.0)
                .known_difference(
                    "the reference is the leading order in h; the exact law adds the higher orders",
                ),
            );
        }
    }
    Ok(rows)
}

/// Simulations: RM (i.i.d.) and RR (every step) at h·a = 0.1, B = 4 (full: also B = 2, 10).
fn simulations(cfg: &Config, model: &GaussianMean, a: f64) -> Result<Vec<SimPoint>> {
    let n = model.data_size();
    let eps_of = |ha: f64| 2.0 * ha / a;
    let sim_batches: Vec<usize> = if cfg.quick {
        vec![4]
    } else {
        BATCH_SIZES.to_vec()
    };
    let relaxations = if cfg.quick { 4_000.0 } else { 1_000_000.0 };
    let x = 0.1;
    let mut jobs = Vec::new();
    let mut meta = Vec::new();
    for &b in &sim_batches {
        let epoch = n / b;
        for scheme in [Scheme::Iid, Scheme::ReshuffleEveryStep] {
            let tau = 1.0 / x;
            jobs.push(ChainJob {
                config: scheme_config(eps_of(x), scheme, n, b),
                start: vec![theory::exact_posterior(model)?.mean[0]],
                burn_in: ((20.0 * tau / epoch as f64).ceil() as usize) * epoch,
                steps: ((relaxations * tau / epoch as f64).ceil() as usize) * epoch,
                thin: 1,
                seed: run_seed(cfg.seed, jobs.len() as u64),
            });
            meta.push((scheme, b));
        }
    }
    let progress = simulate::progress_bar(
        cfg.progress,
        simulate::total_steps(&jobs),
        "shaw-whalley2025",
    );
    let summaries = simulate::run_chains(model, &jobs, &[DMatrix::identity(1, 1) * a], &progress)?;
    progress.finish_and_clear();
    let mut simulations = Vec::new();
    for ((scheme, b), summary) in meta.into_iter().zip(summaries) {
        let estimate = pool(&[summary])[0];
        simulations.push(SimPoint {
            scheme,
            batch_size: b,
            ha: x,
            relative_bias_exact: a * variance_with_batch(model, eps_of(x), scheme, b)? - 1.0,
            relative_bias_simulated: Estimate {
                value: estimate.value - 1.0,
                ..estimate
            },
        });
    }
    Ok(simulations)
}

/// Runs the closed forms and the simulations.
pub fn run(cfg: &Config) -> Result<Record> {
    let model = problem()?;
    let n = model.data_size();
    let a = n as f64 + 1.0 / PRIOR_VARIANCE;
    let grid = StepGrid::new(cfg, a, (7, 31));
    let ratios = ratio_curves(&model, a, &grid.ha)?;
    let mut rows = bias_rows(&model, a)?;
    for curve in &ratios {
        rows.push(
            Row::new(
                format!(
                    "max over h·a ≤ 0.3 of W₂(RR)/W₂(RM), B = {} (N/B = {})",
                    curve.batch_size,
                    n / curve.batch_size
                ),
                Provenance::Derived,
            )
            .closed_form(curve.max_ratio),
        );
    }
    let simulations = simulations(cfg, &model, a)?;
    for sim in &simulations {
        rows.push(
            Row::new(
                format!(
                    "simulated relative bias at h·a = {}, B = {}: {}",
                    sim.ha,
                    sim.batch_size,
                    sim.scheme.label()
                ),
                Provenance::Derived,
            )
            .closed_form(sim.relative_bias_exact)
            .simulation(sim.relative_bias_simulated),
        );
    }
    Ok(Record {
        grid,
        ratios,
        simulations,
        rows,
    })
}
