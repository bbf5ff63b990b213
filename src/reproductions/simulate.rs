//! Simulation helpers shared by the reproductions: deterministic per-run seeds, parallel chains,
//! and batch-means estimates of quadratic functionals of the stationary law.
//!
//! Determinism: run `k` of a reproduction is seeded with [`run_seed`]`(seed, k)` — never from a
//! thread identity — and results are collected in run order, so the same seed gives the same bits
//! at any rayon thread count.

use indicatif::ProgressBar;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::numbers::Estimate;
pub(crate) use crate::chain::run_seed;
use crate::chain::{each_step, Chain, Flow, RunLength, StepView};
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::Model;
use crate::stats::batch_means::{univariate_batch_means_auto, UnivariateBatchMeans};
use crate::stats::pooled_chains::pool_batch_means;

/// One chain to run: the sampler configuration, the start, and the run length.
#[derive(Debug, Clone)]
pub(crate) struct ChainJob {
    /// Sampler configuration.
    pub(crate) config: SamplerConfig,
    /// Initial θ.
    pub(crate) start: Vec<f64>,
    /// Discarded steps.
    pub(crate) burn_in: usize,
    /// Steps after burn-in.
    pub(crate) steps: usize,
    /// Keep every `thin`-th state.
    pub(crate) thin: usize,
    /// Seed of the chain's two ChaCha8 streams.
    pub(crate) seed: u64,
}

/// What one chain contributes: sample moments (1/n normalisation) and, per weight matrix W, the
/// batch-means summary of the series (θ_t − θ̄)ᵀ W (θ_t − θ̄).
#[derive(Debug, Clone)]
pub(crate) struct ChainSummary {
    /// Sample mean θ̄.
    pub(crate) mean: DVector<f64>,
    /// Sample covariance with 1/n normalisation (so tr(W Σ̂) is the mean of the series above).
    pub(crate) covariance: DMatrix<f64>,
    /// Per weight: the batch-means summary of the series.
    pub(crate) forms: Vec<UnivariateBatchMeans>,
    /// Up to `SAMPLE_SIZE` (400) evenly spaced kept draws (for scatter plots).
    pub(crate) sample: Vec<Vec<f64>>,
}

/// How many draws a [`ChainSummary`] keeps for figures.
pub(crate) const SAMPLE_SIZE: usize = 400;

fn stats_error(e: crate::stats::StatsError) -> Error {
    Error::Invalid {
        what: "simulation".into(),
        why: e.to_string(),
    }
}

/// Runs one chain of `job` on `model` and summarises the quadratic forms of `weights`. For an
/// iterate-averaging sampler (ASGS) the summarised draws are the chain's window means (use
/// `thin = 1`).
///
/// Memory: the kept draws (n·d values) are the only buffer of the chain's length; the centred
/// draws are formed one at a time, and the series of the last weight is written over the draws
/// (the batch-means summary reads it without a copy).
pub(crate) fn run_chain(
    model: &dyn Model,
    job: &ChainJob,
    weights: &[DMatrix<f64>],
    progress: &ProgressBar,
) -> Result<ChainSummary> {
    let d = model.dimension();
    let mut chain = Chain::new(model, &job.config, &job.start, job.seed)?;
    const TICK: usize = 1 << 16;
    let length = RunLength {
        burn_in: job.burn_in,
        steps: job.steps,
        thin: job.thin,
    };
    let output = chain.record(
        &length,
        &mut each_step(|step: &StepView<'_>| {
            if step.run_step.is_multiple_of(TICK) {
                progress.inc(TICK as u64);
            }
            Flow::Continue
        }),
    );
    progress.inc(((job.burn_in + job.steps) % TICK) as u64);
    if output.non_finite_draws > 0 {
        return Err(Error::Invalid {
            what: "simulation".into(),
            why: format!(
                "{} non-finite draws (the chain diverged)",
                output.non_finite_draws
            ),
        });
    }
    let mut draws = output.draws;
    let n = draws.len() / d;
    let mut mean = DVector::zeros(d);
    for row in draws.chunks_exact(d) {
        mean += DVector::from_column_slice(row);
    }
    mean /= n as f64;
    let centred = |row: &[f64]| DVector::from_column_slice(row) - &mean;
    let mut covariance = DMatrix::zeros(d, d);
    for row in draws.chunks_exact(d) {
        let c = centred(row);
        covariance.ger(1.0, &c, &c, 1.0);
    }
    covariance /= n as f64;
    let stride = n.div_ceil(SAMPLE_SIZE).max(1);
    let sample = draws
        .chunks_exact(d)
        .step_by(stride)
        .map(<[f64]>::to_vec)
        .collect();
    let form = |w: &DMatrix<f64>, row: &[f64]| {
        let c = centred(row);
        c.dot(&(w * &c))
    };
    let summarise = |series: &[f64]| univariate_batch_means_auto(series).map_err(stats_error);
    let mut forms = Vec::with_capacity(weights.len());
    if let Some((last, others)) = weights.split_last() {
        for w in others {
            let series: Vec<f64> = draws.chunks_exact(d).map(|row| form(w, row)).collect();
            forms.push(summarise(&series)?);
        }
        // Draw k occupies [k d, (k + 1) d), at or after index k: overwrite in order.
        for k in 0..n {
            draws[k] = form(last, &draws[k * d..(k + 1) * d]);
        }
        draws.truncate(n);
        forms.push(summarise(&draws)?);
    }
    Ok(ChainSummary {
        sample,
        mean,
        covariance,
        forms,
    })
}

/// Runs `jobs` in parallel (rayon), results in job order.
pub(crate) fn run_chains(
    model: &dyn Model,
    jobs: &[ChainJob],
    weights: &[DMatrix<f64>],
    progress: &ProgressBar,
) -> Result<Vec<ChainSummary>> {
    jobs.par_iter()
        .map(|job| run_chain(model, job, weights, progress))
        .collect()
}

/// Pools independent chains for each weight ([`pool_batch_means`]): the mean of their estimates,
/// with standard error sqrt(Σ SE_k²)/K and degrees of freedom Σ (batches_k − 1).
pub(crate) fn pool(chains: &[ChainSummary]) -> Vec<Estimate> {
    let forms = chains.first().map_or(0, |c| c.forms.len());
    (0..forms)
        .map(|j| {
            let per_chain: Vec<UnivariateBatchMeans> =
                chains.iter().map(|c| c.forms[j].clone()).collect();
            let pooled = pool_batch_means(&per_chain);
            Estimate {
                value: pooled.mean,
                mcse: pooled.standard_error,
                dof: pooled.dof,
            }
        })
        .collect()
}

/// The mean of the chains' sample covariances.
pub(crate) fn pooled_covariance(chains: &[ChainSummary]) -> DMatrix<f64> {
    let d = chains[0].covariance.nrows();
    chains
        .iter()
        .fold(DMatrix::zeros(d, d), |acc, c| acc + &c.covariance)
        / chains.len() as f64
}

/// Total number of steps of `jobs` (for a progress bar).
pub(crate) fn total_steps(jobs: &[ChainJob]) -> u64 {
    jobs.iter().map(|j| (j.burn_in + j.steps) as u64).sum()
}

/// A progress bar over `total` steps, drawn only when `visible`.
pub(crate) fn progress_bar(visible: bool, total: u64, label: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{prefix:>18} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_string());
    bar
}
