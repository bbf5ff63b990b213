//! `mean-field-sgld`: SGLD on two-layer networks against the kernel-ridge (NNGP) limit and the
//! \[derived\] mean-field theory, after Göring, Mingard, Nam & Louis, "A simple mean field model of
//! feature learning" (arXiv 2510.15174, 2025).
//!
//! # Formula
//! Part 1 (Claim 2 of the digest, standard): the posterior of f(x) = N^{−1/2} Σ a_i erf(w_i·x)
//! under SGLD tends, as N → ∞, to the GP with the Williams (1997) kernel: mean k(x)ᵀ(K + TI)⁻¹y,
//! variance K(x,x) − k(x)ᵀ(K + TI)⁻¹k(x) ([`crate::theory::kernels`]). Problem: the 1-d slice
//! x = (t, 1) (constant bias input), six points t ∈ [−2, 2], y = sin(1.5t), σ_a² = 1, σ_w² = 2,
//! T = 0.25; full-batch SGLD, ε = 0.01. Reported: SGLD mean and variance of f(t) at several widths,
//! and the relative variance gap at t = 3 against N (expected O(1/N) down to the discretisation
//! floor ≈ ε λ_max/4).
//! Part 2 (Claims 3–4, \[derived\]): the MF alignment m (our order parameter,
//! [`crate::models::TwoLayerNetwork::alignment`]) against P for two widths, single-index target
//! y = erf(β·x), d = 5, T = 0.01, and SGLD estimates of m at the smaller width (full run).

use rayon::prelude::*;
use serde::Serialize;

use super::numbers::{Estimate, Num, Provenance, Row};
use super::simulate::run_seed;
use super::Config;
use crate::batching::Batching;
use crate::chain::{Chain, RunLength};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{
    generate_two_layer, Activation, Model, Scaling, TwoLayerNetwork, TwoLayerParams, TwoLayerPrior,
};
use crate::stats::batch_means::univariate_batch_means_auto;
use crate::theory::kernels::{gp_posterior, NngpKernel};
use crate::theory::mean_field::{report, solve, MeanFieldSettings};

mod render;
pub use render::render;

/// Temperature of the slice problem.
pub(crate) const SLICE_TEMPERATURE: f64 = 0.25;
/// SGLD step size on the slice problem (ε λ_max/4 ≈ 0.022).
pub(crate) const SLICE_STEP: f64 = 0.01;
/// Abscissae t of the reported test inputs x = (t, 1).
pub(crate) const SLICE_GRID: [f64; 9] = [-3.0, -2.0, -1.0, -0.5, 0.0, 0.3, 1.0, 2.0, 3.0];

/// The 1-d slice problem of part 1 at width N: x_μ = (t_μ, 1), t_μ = −2 + 4μ/5 (μ = 0..5),
/// y = sin(1.5t), erf activation, γ = ½, σ_a² = 1, σ_w² = 2, temperature T.
pub(crate) fn slice_problem(width: usize, temperature: f64) -> Result<TwoLayerNetwork> {
    let p = 6;
    let inputs: Vec<Vec<f64>> = (0..p)
        .map(|k| vec![-2.0 + 4.0 * k as f64 / (p - 1) as f64, 1.0])
        .collect();
    let targets = inputs.iter().map(|x| (1.5 * x[0]).sin()).collect();
    TwoLayerNetwork::new(
        inputs,
        targets,
        width,
        Scaling::Standard,
        Activation::Erf,
        TwoLayerPrior {
            readout_variance: 1.0,
            weight_variance: 2.0,
            temperature,
        },
    )
}

/// The single-index problem of part 2: d = 5, y = erf(β·x), erf network, γ = ½, σ_a = σ_w = 1.
pub(crate) fn single_index_problem(
    width: usize,
    data_size: usize,
    temperature: f64,
    seed: u64,
) -> Result<TwoLayerNetwork> {
    generate_two_layer(
        &TwoLayerParams {
            input_dimension: 5,
            data_size,
            width,
            temperature,
            ..Default::default()
        },
        seed,
    )
}

/// One test input of part 1.
#[derive(Debug, Clone, Serialize)]
pub struct SlicePoint {
    /// t of x = (t, 1).
    pub t: Num,
    /// Kernel-ridge posterior mean.
    pub krr_mean: Num,
    /// Kernel-ridge posterior variance.
    pub krr_variance: Num,
    /// SGLD posterior mean of f(x).
    pub mean: Estimate,
    /// SGLD posterior variance of f(x).
    pub variance: Estimate,
}

/// SGLD at one width.
#[derive(Debug, Clone, Serialize)]
pub struct WidthRun {
    /// N.
    pub width: usize,
    /// Kept draws.
    pub draws: usize,
    /// Per test input.
    pub points: Vec<SlicePoint>,
    /// (Var_SGLD − Var_KRR)/Var_KRR at t = 3.
    pub variance_gap: Estimate,
}

/// One point of an MF curve.
#[derive(Debug, Clone, Serialize)]
pub struct MeanFieldPoint {
    /// P.
    pub data_size: usize,
    /// Alignment m of q with the teacher direction.
    pub alignment: Num,
    /// ‖K̄ − K_prior‖/‖K_prior‖.
    pub kernel_change: Num,
    /// Kish effective sample size of the importance weights.
    pub effective_sample_size: Num,
    /// Iterations to convergence.
    pub iterations: usize,
    /// Final residual.
    pub residual: Num,
}

/// m against P at one width.
#[derive(Debug, Clone, Serialize)]
pub struct MeanFieldCurve {
    /// N.
    pub width: usize,
    /// Points (P where the solver succeeded).
    pub points: Vec<MeanFieldPoint>,
}

/// SGLD estimate of the alignment at one (N, P).
#[derive(Debug, Clone, Serialize)]
pub struct AlignmentRun {
    /// N.
    pub width: usize,
    /// P.
    pub data_size: usize,
    /// Step size (0.2/λ_max).
    pub step_size: Num,
    /// SGLD mean of the per-draw alignment.
    pub simulated: Estimate,
    /// MF prediction.
    pub mean_field: Num,
    /// Alignment of the prior (the same functional under the prior, as Monte-Carlo reference).
    pub prior: Num,
}

/// Everything the report shows.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration?
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// SGLD steps after burn-in (part 1).
    pub steps: usize,
    /// Burn-in steps (part 1).
    pub burn_in: usize,
    /// The relative SGLD variance bias bound ε λ_max/(4 − ε λ_max) of part 1.
    pub discretisation_bias: Num,
    /// Kernel-ridge curve on a fine grid: (t, mean, variance).
    pub krr_curve: Vec<[Num; 3]>,
    /// SGLD per width.
    pub widths: Vec<WidthRun>,
    /// MF temperature of part 2.
    pub mean_field_temperature: Num,
    /// MF curves.
    pub mean_field: Vec<MeanFieldCurve>,
    /// SGLD alignment runs.
    pub alignment_runs: Vec<AlignmentRun>,
    /// Table rows.
    pub rows: Vec<Row>,
}

const MF_TEMPERATURE: f64 = 0.01;

fn estimate(series: &[f64]) -> Result<Estimate> {
    let bm = univariate_batch_means_auto(series).map_err(|e| Error::Invalid {
        what: "simulation".into(),
        why: e.to_string(),
    })?;
    Ok(Estimate::from_batch_means(&bm))
}

fn sgld(model: &TwoLayerNetwork, step_size: f64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::Sgld,
        step_size,
        batch_size: model.data_size(),
        batching: Batching::WithoutReplacement,
    }
}

fn run_width(width: usize, steps: usize, burn_in: usize, seed: u64) -> Result<WidthRun> {
    let model = slice_problem(width, SLICE_TEMPERATURE)?;
    let test: Vec<Vec<f64>> = SLICE_GRID.iter().map(|t| vec![*t, 1.0]).collect();
    let krr = gp_posterior(
        &NngpKernel::infinite_width(&model),
        &model.input_rows(),
        model.targets(),
        SLICE_TEMPERATURE,
        &test,
    )?;
    let mut chain = Chain::new(
        &model,
        &sgld(&model, SLICE_STEP),
        &model.prior_draw(seed ^ 1),
        seed,
    )?;
    let out = chain.record(
        &RunLength {
            burn_in,
            steps,
            thin: 10,
        },
        &mut (),
    );
    let mut points = Vec::new();
    let mut variance_gap = None;
    for (j, x) in test.iter().enumerate() {
        let f: Vec<f64> = (0..out.len())
            .map(|k| model.output(out.draw(k), x))
            .collect();
        let mean = estimate(&f)?;
        let squares: Vec<f64> = f.iter().map(|v| (v - mean.value).powi(2)).collect();
        let variance = estimate(&squares)?;
        if j == SLICE_GRID.len() - 1 {
            variance_gap = Some(Estimate {
                value: variance.value / krr.variance[j] - 1.0,
                mcse: variance.mcse / krr.variance[j],
                dof: variance.dof,
            });
        }
        points.push(SlicePoint {
            t: Num(x[0]),
            krr_mean: Num(krr.mean[j]),
            krr_variance: Num(krr.variance[j]),
            mean,
            variance,
        });
    }
    Ok(WidthRun {
        width,
        draws: out.len(),
        points,
        variance_gap: variance_gap.expect("the grid is not empty"),
    })
}

fn mean_field_curve(width: usize, sizes: &[usize], pool_size: usize, seed: u64) -> MeanFieldCurve {
    let settings = MeanFieldSettings {
        pool_size,
        tolerance: 1e-9,
        ..Default::default()
    };
    let points = sizes
        .iter()
        .filter_map(|&p| {
            let model = single_index_problem(width, p, MF_TEMPERATURE, seed).ok()?;
            let sol = solve(&model, &settings).ok()?;
            Some(MeanFieldPoint {
                data_size: p,
                alignment: Num(sol.alignment(model.teacher_direction()?).ok()?),
                kernel_change: Num(sol.kernel_change),
                effective_sample_size: Num(sol.effective_sample_size),
                iterations: sol.iterations,
                residual: Num(*sol.residuals.last()?),
            })
        })
        .collect();
    MeanFieldCurve { width, points }
}

fn run_alignment(
    width: usize,
    data_size: usize,
    steps: usize,
    problem_seed: u64,
    seed: u64,
    mean_field: f64,
) -> Result<AlignmentRun> {
    let model = single_index_problem(width, data_size, MF_TEMPERATURE, problem_seed)?;
    let step_size = 0.2 / report(&model, &sgld(&model, SLICE_STEP))?.largest_curvature;
    let beta = model.teacher_direction().expect("generated").to_vec();
    let mut chain = Chain::new(
        &model,
        &sgld(&model, step_size),
        &model.prior_draw(seed ^ 1),
        seed,
    )?;
    let out = chain.record(
        &RunLength {
            burn_in: steps / 4,
            steps,
            thin: 50,
        },
        &mut (),
    );
    let series = (0..out.len())
        .map(|k| model.alignment(out.draw(k), &beta))
        .collect::<Result<Vec<f64>>>()?;
    let prior_series = (0..200)
        .map(|k| model.alignment(&model.prior_draw(run_seed(seed, k)), &beta))
        .collect::<Result<Vec<f64>>>()?;
    Ok(AlignmentRun {
        width,
        data_size,
        step_size: Num(step_size),
        simulated: estimate(&series)?,
        mean_field: Num(mean_field),
        prior: Num(prior_series.iter().sum::<f64>() / prior_series.len() as f64),
    })
}

/// Why SGLD at width N differs from the kernel-ridge value: KRR is the N → ∞ limit and the
/// finite-width correction is O(1/N), shown by N × (SGLD − KRR)/KRR at every width for the input t
/// (mean or variance).
fn finite_width_reason(runs: &[WidthRun], t: f64, variance: bool) -> String {
    let scaled: Vec<String> = runs
        .iter()
        .filter_map(|w| {
            let p = w.points.iter().find(|p| p.t.0 == t)?;
            let (sim, krr) = if variance {
                (p.variance.value, p.krr_variance.0)
            } else {
                (p.mean.value, p.krr_mean.0)
            };
            Some(format!(
                "{:+.2} (N = {})",
                w.width as f64 * (sim - krr) / krr,
                w.width
            ))
        })
        .collect();
    format!(
        "kernel ridge is the N → ∞ limit and the finite-width correction is O(1/N): \
         N·(SGLD − KRR)/KRR = {}",
        scaled.join(", ")
    )
}

/// Runs the reproduction (parallel over independent chains, seeded per run: same bits at any
/// thread count).
pub fn run(config: &Config) -> Result<Record> {
    let (widths, steps, burn_in): (Vec<usize>, usize, usize) = if config.quick {
        (vec![4, 64], 30_000, 10_000)
    } else {
        (vec![4, 16, 64, 256], 200_000, 20_000)
    };
    let widths_runs = widths
        .par_iter()
        .enumerate()
        .map(|(k, &n)| run_width(n, steps, burn_in, run_seed(config.seed, k as u64)))
        .collect::<Result<Vec<_>>>()?;
    let model = slice_problem(1, SLICE_TEMPERATURE)?;
    let b = report(&model, &sgld(&model, SLICE_STEP))?.discretisation_bias;
    let fine: Vec<Vec<f64>> = (0..=60).map(|k| vec![-3.0 + 0.1 * k as f64, 1.0]).collect();
    let krr = gp_posterior(
        &NngpKernel::infinite_width(&model),
        &model.input_rows(),
        model.targets(),
        SLICE_TEMPERATURE,
        &fine,
    )?;
    let krr_curve = fine
        .iter()
        .enumerate()
        .map(|(j, x)| [Num(x[0]), Num(krr.mean[j]), Num(krr.variance[j])])
        .collect();

    let problem_seed = run_seed(config.seed, 1000);
    let (mf_widths, sizes, pool, alignment_sizes, alignment_steps): (
        Vec<usize>,
        Vec<usize>,
        usize,
        Vec<usize>,
        usize,
    ) = if config.quick {
        (vec![16], vec![5, 10, 20], 2000, vec![], 0)
    } else {
        (
            vec![16, 64],
            vec![5, 10, 20, 40],
            8000,
            vec![5, 10, 20],
            1_000_000,
        )
    };
    let mean_field: Vec<MeanFieldCurve> = mf_widths
        .par_iter()
        .map(|&n| mean_field_curve(n, &sizes, pool, problem_seed))
        .collect();
    let alignment_runs = alignment_sizes
        .par_iter()
        .enumerate()
        .map(|(k, &p)| {
            let predicted = mean_field[0]
                .points
                .iter()
                .find(|q| q.data_size == p)
                .map_or(f64::NAN, |q| q.alignment.0);
            run_alignment(
                mf_widths[0],
                p,
                alignment_steps,
                problem_seed,
                run_seed(config.seed, 2000 + k as u64),
                predicted,
            )
        })
        .collect::<Result<Vec<_>>>()?;

    let mut rows = Vec::new();
    for w in &widths_runs {
        for point in w.points.iter().filter(|p| p.t.0 == 0.3 || p.t.0 == 3.0) {
            rows.push(
                Row::new(
                    format!("mean f(t = {}), N = {}", point.t.0, w.width),
                    Provenance::Derived,
                )
                .closed_form(point.krr_mean.0)
                .simulation(point.mean)
                .known_difference(finite_width_reason(
                    &widths_runs,
                    point.t.0,
                    false,
                )),
            );
            rows.push(
                Row::new(
                    format!("variance f(t = {}), N = {}", point.t.0, w.width),
                    Provenance::Derived,
                )
                .closed_form(point.krr_variance.0)
                .simulation(point.variance)
                .known_difference(finite_width_reason(
                    &widths_runs,
                    point.t.0,
                    true,
                )),
            );
        }
    }
    for run in &alignment_runs {
        rows.push(
            Row::new(
                format!("alignment m, N = {}, P = {}", run.width, run.data_size),
                Provenance::Derived,
            )
            .closed_form(run.mean_field.0)
            .simulation(run.simulated)
            .known_difference(
                "the mean-field theory is semi-quantitative at these widths: SGLD's alignment \
                 sits above it, moving the predicted way with P and N",
            ),
        );
    }
    Ok(Record {
        quick: config.quick,
        seed: config.seed,
        steps,
        burn_in,
        discretisation_bias: Num(b / (1.0 - b)),
        krr_curve,
        widths: widths_runs,
        mean_field_temperature: Num(MF_TEMPERATURE),
        mean_field,
        alignment_runs,
        rows,
    })
}
