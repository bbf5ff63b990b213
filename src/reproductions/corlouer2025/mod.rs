//! `corlouer2025`: per-mode dynamics of SGD on deep linear networks in the saddle-to-saddle regime,
//! after Corlouer, Semler, Strang & Gietelink Oldenziel, "SGD in the saddle-to-saddle regime of deep
//! linear networks" (arXiv:2604.06366, v1 7 Apr 2026; the registry id keeps the year the project
//! first listed).
//!
//! Everything here is **\[derived\]** (the project's digest, Item 2, re-derived in
//! [`crate::theory::deep_linear`] and `docs/deep-linear.md`); the paper's own constants are
//! unverified (only its abstract was available).
//!
//! # Formula
//! Model: [`crate::models::DeepLinearNetwork`] with ℓ_i = ‖W x_i − y_i‖²/2 (σ² = 1, so SGD's
//! learning rate is η = ε), teacher S = (3, 2, 1) in d_0 = 4 → 4 (hidden) → 3, N = 1000 exactly
//! whitened Gaussian inputs ([`crate::models::generate_deep_linear`]). Parts:
//! 1. learning curves: SGD (B = 4, with replacement) from an aligned, balanced init s_α(0) = 10⁻³,
//!    replica mean of s_α(t) against the gradient-flow ODE ds/dt = ηL s^{2−2/L}(S − s), L = 2, 3;
//!    half and 95% times; the time of the maximal increment variance against the ODE time of
//!    s* = 2(L − 1)S/(3L − 2);
//! 2. diffusion profiles D(s)/D(s*) for L = 2, 3, 4, 8, with the exact one-step increment variance
//!    of the real model at aligned states (enumerated over the data, B = 1) as markers;
//! 3. stationary per-mode variance with label noise σ_ε = 0.3: simulation (batch means) against
//!    kγσ_α²/(B(2 − k)) (ours, linearised discrete map), T_eff (digest) and the zero-flux density.
//!
//! Simulations run the real `sgd` sampler through [`crate::chain::Chain`]; we do not use
//! `simulate::run_chain` because s_α = u_αᵀ W v_α is not a quadratic form of θ.

use rayon::prelude::*;
use serde::Serialize;

use super::numbers::{round_significant, sig6, sig6_vec, Estimate, Provenance, Row};
use super::simulate::run_seed;
use super::Config;
use crate::batching::Batching;
use crate::chain::{each_draw, Chain, Flow, RunLength};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{generate_deep_linear, DeepLinearNetwork, DeepLinearParams, Model};
use crate::stats::batch_means::univariate_batch_means_auto;
use crate::theory::deep_linear::{self as theory, ModeSde, ModeStationaryLaw};

mod corrected;
mod render;
pub use render::render;

/// Teacher strengths S_α.
pub(crate) const TEACHER: [f64; 3] = [3.0, 2.0, 1.0];
/// Initial per-mode strength s₀ of the learning curves.
pub(crate) const INITIAL_STRENGTH: f64 = 1e-3;
/// Half-width (in record windows) of the moving average that locates the variance peak.
pub(crate) const SMOOTHING: usize = 3;
/// Label noise σ_ε of the stationary part.
pub(crate) const LABEL_NOISE: f64 = 0.3;

/// The teacher–student problem at depth L with label noise σ_ε.
pub(crate) fn problem(depth: usize, label_noise: f64, seed: u64) -> Result<DeepLinearNetwork> {
    generate_deep_linear(
        &DeepLinearParams {
            depth,
            label_noise,
            teacher_strengths: TEACHER.to_vec(),
            ..DeepLinearParams::default()
        },
        seed,
    )
}

/// Learning curves at one depth.
#[derive(Debug, Clone, Serialize)]
pub struct LearningCurves {
    /// Depth L.
    pub depth: usize,
    /// Learning rate η = ε.
    pub learning_rate: f64,
    /// Batch size B.
    pub batch_size: usize,
    /// Replicas.
    pub replicas: usize,
    /// Recorded times (steps).
    #[serde(serialize_with = "sig6_vec")]
    pub times: Vec<f64>,
    /// Per mode: ODE solution at `times`.
    pub ode: Vec<Vec<f64>>,
    /// Per mode: replica mean of s_α at `times`.
    pub simulated: Vec<Vec<f64>>,
    /// Per mode: the timing comparison.
    pub timing: Vec<ModeTiming>,
}

/// Timing of one mode's learning.
#[derive(Debug, Clone, Serialize)]
pub struct ModeTiming {
    /// Teacher strength S.
    pub teacher: f64,
    /// ODE time to S/2.
    #[serde(serialize_with = "sig6")]
    pub half_time: f64,
    /// Simulated time to S/2 (mean over replicas ± s.e.).
    pub simulated_half_time: Estimate,
    /// ODE time to 0.95 S.
    #[serde(serialize_with = "sig6")]
    pub completion_time: f64,
    /// Simulated time to 0.95 S.
    pub simulated_completion_time: Estimate,
    /// s*/S = 2(L − 1)/(3L − 2).
    #[serde(serialize_with = "sig6")]
    pub peak_fraction: f64,
    /// ODE time to s*.
    #[serde(serialize_with = "sig6")]
    pub peak_time: f64,
    /// Centre of the time window with the largest replica-averaged squared increment residual.
    #[serde(serialize_with = "sig6")]
    pub simulated_peak_time: f64,
    /// Replica-mean s/S at that time.
    #[serde(serialize_with = "sig6")]
    pub simulated_peak_fraction: f64,
    /// Mean over all steps with s ∈ (0.05 S, 0.95 S) of (Δs − μ(s))²/2D(s), with 2D evaluated
    /// with the data's fourth moment κ_α = (1/N)Σ(v_αᵀx_i)⁴ − 1 in place of 2 (1 for the exact
    /// per-mode SDE; the excess measures the full-matrix coupling).
    pub increment_variance_ratio: Estimate,
}

/// Diffusion profiles.
#[derive(Debug, Clone, Serialize)]
pub struct DiffusionProfiles {
    /// Grid of s/S.
    #[serde(serialize_with = "sig6_vec")]
    pub fraction: Vec<f64>,
    /// Depths.
    pub depths: Vec<usize>,
    /// D(s)/D(s*) per depth (σ_ε = 0).
    pub profiles: Vec<Vec<f64>>,
    /// s*/S per depth.
    #[serde(serialize_with = "sig6_vec")]
    pub peaks: Vec<f64>,
    /// Exact one-step increment variance of the real model (L = 2, mode 1, B = 1, enumerated over
    /// the data) divided by 2D(s*) of the closed form, at `marker_fraction`.
    #[serde(serialize_with = "sig6_vec")]
    pub model_variance: Vec<f64>,
    /// Where the markers are.
    #[serde(serialize_with = "sig6_vec")]
    pub marker_fraction: Vec<f64>,
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// Learning curves, L = 2 and 3.
    pub learning: Vec<LearningCurves>,
    /// Diffusion profiles.
    pub diffusion: DiffusionProfiles,
    /// The table.
    pub rows: Vec<Row>,
}

fn simulation_error(why: String) -> Error {
    Error::Invalid {
        what: "simulation".into(),
        why,
    }
}

/// Runs SGD and returns s_α every `stride` steps (including t = 0), `records` values per mode.
fn mode_trajectory(
    model: &DeepLinearNetwork,
    config: &SamplerConfig,
    start: &[f64],
    seed: u64,
    stride: usize,
    records: usize,
) -> Result<Vec<Vec<f64>>> {
    let mut chain = Chain::new(model, config, start, seed)?;
    let modes = model.teacher_strengths().len();
    let mut out: Vec<Vec<f64>> = (0..modes).map(|_| Vec::with_capacity(records)).collect();
    let mut err = None;
    let mut push = |theta: &[f64]| {
        for (o, s) in out.iter_mut().zip(model.mode_strengths(theta)) {
            if !s.is_finite() {
                err = Some(simulation_error(
                    "non-finite mode strength (diverged)".into(),
                ));
                return Flow::Stop;
            }
            o.push(s);
        }
        Flow::Continue
    };
    if records > 0 && push(chain.theta()) == Flow::Continue {
        chain.execute(
            &RunLength {
                burn_in: 0,
                steps: stride * records.saturating_sub(1),
                thin: stride,
            },
            &mut each_draw(|_, theta: &[f64]| push(theta)),
        );
    }
    err.map_or(Ok(out), Err)
}

fn first_crossing(times: &[f64], series: &[f64], level: f64) -> f64 {
    times
        .iter()
        .zip(series)
        .find(|(_, s)| **s >= level)
        .map_or(f64::NAN, |(t, _)| *t)
}

fn learning_curves(cfg: &Config, depth: usize, index: u64) -> Result<LearningCurves> {
    let model = problem(depth, 0.0, cfg.seed ^ index)?;
    let eta = if depth == 2 { 0.004 } else { 0.002 };
    let batch = 4;
    let replicas = if cfg.quick { 8 } else { 64 };
    let config = SamplerConfig::new(SamplerKind::Sgd, eta, batch, Batching::WithReplacement);
    let teachers = model.teacher_strengths().to_vec();
    let modes: Vec<ModeSde> = teachers
        .iter()
        .map(|&s| ModeSde::new(depth, eta, s, 0.0, 1.0 / batch as f64))
        .collect::<Result<_>>()?;
    let horizon = 1.3 * modes[2].learning_time(INITIAL_STRENGTH, 0.95 * teachers[2])?;
    let records = 400;
    let stride = (horizon / records as f64).ceil() as usize;
    let times: Vec<f64> = (0..records).map(|r| (r * stride) as f64).collect();
    let start = model.aligned_balanced_init(&[INITIAL_STRENGTH; 3])?;
    // Fine trajectories (every step) for the increment variance, coarse for the curves.
    let runs: Vec<Vec<Vec<f64>>> = (0..replicas)
        .into_par_iter()
        .map(|r| {
            mode_trajectory(
                &model,
                &config,
                &start,
                run_seed(cfg.seed, 1000 * index + r as u64),
                1,
                records * stride,
            )
        })
        .collect::<Result<_>>()?;
    let mut ode = Vec::new();
    let mut simulated = Vec::new();
    let mut timing = Vec::new();
    for (a, mode) in modes.iter().enumerate() {
        ode.push(mode.trajectory(INITIAL_STRENGTH, &times)?);
        simulated.push(
            (0..records)
                .map(|k| runs.iter().map(|run| run[a][k * stride]).sum::<f64>() / replicas as f64)
                .collect::<Vec<f64>>(),
        );
        let steps: Vec<f64> = (0..records * stride).map(|t| t as f64).collect();
        let crossing = |level: f64| -> Vec<f64> {
            runs.iter()
                .map(|run| first_crossing(&steps, &run[a], level))
                .collect()
        };
        // Squared residual of each step against the SDE drift, averaged over replicas in
        // windows of `stride` steps: the empirical 2D along the learning curve.
        let window_variance: Vec<f64> = (0..records - 1)
            .map(|k| {
                let mut sum = 0.0;
                for run in &runs {
                    for t in k * stride..(k + 1) * stride {
                        let s = run[a][t];
                        sum += (run[a][t + 1] - s - mode.drift(s)).powi(2);
                    }
                }
                sum / (replicas * stride) as f64
            })
            .collect();
        // Moving average over ±SMOOTHING windows before the argmax (the profile is flat at its
        // top, so the raw argmax wanders with the noise).
        let smoothed: Vec<f64> = (0..window_variance.len())
            .map(|k| {
                let lo = k.saturating_sub(SMOOTHING);
                let hi = (k + SMOOTHING + 1).min(window_variance.len());
                window_variance[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
            })
            .collect();
        let kappa = {
            let v = model.input_direction(a);
            (0..model.data_size())
                .map(|i| {
                    model
                        .input(i)
                        .iter()
                        .zip(v)
                        .map(|(x, y)| x * y)
                        .sum::<f64>()
                        .powi(4)
                })
                .sum::<f64>()
                / model.data_size() as f64
                - 1.0
        };
        let l = depth as f64;
        let ratios: Vec<f64> = runs
            .iter()
            .flat_map(|run| run[a].windows(2))
            .filter(|w| (0.05..0.95).contains(&(w[0] / mode.teacher)))
            .map(|w| {
                let s = w[0];
                let two_d =
                    (eta * l).powi(2) * s.powf(4.0 - 4.0 / l) * (s - mode.teacher).powi(2) * kappa
                        / batch as f64;
                (w[1] - s - mode.drift(s)).powi(2) / two_d
            })
            .collect();
        let peak_window = smoothed
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (k, v)| {
                if *v > best.1 {
                    (k, *v)
                } else {
                    best
                }
            })
            .0;
        let peak_time = (peak_window as f64 + 0.5) * stride as f64;
        let peak = mode.diffusion_peak()?;
        timing.push(ModeTiming {
            teacher: mode.teacher,
            half_time: mode.learning_time(INITIAL_STRENGTH, 0.5 * mode.teacher)?,
            simulated_half_time: Estimate::from_replicates(&crossing(0.5 * mode.teacher)),
            completion_time: mode.learning_time(INITIAL_STRENGTH, 0.95 * mode.teacher)?,
            simulated_completion_time: Estimate::from_replicates(&crossing(0.95 * mode.teacher)),
            peak_fraction: peak / mode.teacher,
            peak_time: mode.learning_time(INITIAL_STRENGTH, peak)?,
            simulated_peak_time: peak_time,
            simulated_peak_fraction: simulated[a][peak_window.min(records - 1)] / mode.teacher,
            increment_variance_ratio: Estimate::from_replicates(&ratios),
        });
    }
    Ok(LearningCurves {
        depth,
        learning_rate: eta,
        batch_size: batch,
        replicas,
        times,
        ode,
        simulated,
        timing,
    })
}

fn diffusion_profiles(cfg: &Config) -> Result<DiffusionProfiles> {
    let fraction: Vec<f64> = (1..=120).map(|k| k as f64 / 100.0).collect();
    let depths = vec![2, 3, 4, 8];
    let mut profiles = Vec::new();
    let mut peaks = Vec::new();
    for &depth in &depths {
        let mode = ModeSde::new(depth, 1.0, 1.0, 0.0, 1.0)?;
        let peak = mode.diffusion_peak()?;
        let top = mode.diffusion(peak);
        profiles.push(fraction.iter().map(|&f| mode.diffusion(f) / top).collect());
        peaks.push(peak);
    }
    // The real model (L = 2), mode α = 1 (S = 2): exact variance over the data of the one-step
    // increment of s under SGD with B = 1, at aligned balanced states, divided by 2D(s*).
    let model = problem(2, 0.0, cfg.seed ^ 77)?;
    let alpha = 1;
    let teacher = model.teacher_strengths()[alpha];
    let eta = 1e-6;
    let mode = ModeSde::new(2, eta, teacher, 0.0, 1.0)?;
    let two_d_peak = 2.0 * mode.diffusion(mode.diffusion_peak()?);
    let marker_fraction: Vec<f64> = (1..=11).map(|k| k as f64 / 10.0).collect();
    let mut model_variance = Vec::new();
    for &f in &marker_fraction {
        let mut init = vec![0.0; 2];
        init[alpha] = f * teacher;
        let theta = model.aligned_balanced_init(&init)?;
        let before = model.mode_strengths(&theta)[alpha];
        let increments: Vec<f64> = (0..model.data_size())
            .map(|i| {
                let mut grad = vec![0.0; model.dimension()];
                model.add_example_gradient(i, &theta, 1.0, &mut grad);
                let next: Vec<f64> = theta.iter().zip(&grad).map(|(t, g)| t - eta * g).collect();
                model.mode_strengths(&next)[alpha] - before
            })
            .collect();
        let n = increments.len() as f64;
        let mean = increments.iter().sum::<f64>() / n;
        let var = increments.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n;
        model_variance.push(var / two_d_peak);
    }
    Ok(DiffusionProfiles {
        fraction,
        depths,
        profiles,
        peaks,
        model_variance,
        marker_fraction,
    })
}

/// One stationary run: depth, ε, B, batching, the theory report and the per-mode series.
type StationaryRun = (
    usize,
    f64,
    usize,
    Batching,
    theory::DeepLinearTheory,
    Vec<Vec<f64>>,
);

fn stationary_rows(cfg: &Config) -> Result<Vec<Row>> {
    let cases = [
        (2usize, 0.002, 1usize, Batching::WithReplacement),
        (2, 0.002, 8, Batching::WithoutReplacement),
        (3, 0.001, 1, Batching::WithReplacement),
        (3, 0.001, 8, Batching::WithoutReplacement),
    ];
    let steps = if cfg.quick { 200_000 } else { 2_000_000 };
    let thin = 10;
    let results: Vec<StationaryRun> = cases
        .par_iter()
        .enumerate()
        .map(|(k, &(depth, eps, batch, batching))| {
            let model = problem(depth, LABEL_NOISE, cfg.seed ^ (100 + k as u64))?;
            let config = SamplerConfig::new(SamplerKind::Sgd, eps, batch, batching);
            let report = theory::report(&model, &config)?;
            let start = model.aligned_balanced_init(model.teacher_strengths())?;
            let k_min = report
                .modes
                .iter()
                .map(|m| m.linear_rate)
                .fold(f64::INFINITY, f64::min);
            let burn_in = (20.0 / k_min) as usize;
            let mut chain =
                Chain::new(&model, &config, &start, run_seed(cfg.seed, 5000 + k as u64))?;
            let mut series: Vec<Vec<f64>> =
                (0..3).map(|_| Vec::with_capacity(steps / thin)).collect();
            chain.execute(
                &RunLength {
                    burn_in,
                    steps,
                    thin,
                },
                &mut each_draw(|_, theta: &[f64]| {
                    for (o, s) in series.iter_mut().zip(model.mode_strengths(theta)) {
                        o.push(s);
                    }
                    Flow::Continue
                }),
            );
            Ok((depth, eps, batch, batching, report, series))
        })
        .collect::<Result<_>>()?;
    let mut rows = Vec::new();
    for (index, (depth, eps, batch, batching, report, series)) in results.into_iter().enumerate() {
        for mode in &report.modes {
            let s = &series[mode.mode];
            let mean = s.iter().sum::<f64>() / s.len() as f64;
            let squares: Vec<f64> = s.iter().map(|x| (x - mean).powi(2)).collect();
            let bm = univariate_batch_means_auto(&squares)
                .map_err(|e| simulation_error(e.to_string()))?;
            let ModeStationaryLaw::Fluctuating {
                variance,
                coupled_variance,
                effective_temperature,
                zero_flux_variance,
                ..
            } = mode.stationary
            else {
                return Err(simulation_error("expected label noise".into()));
            };
            let estimate = Estimate::from_batch_means(&bm);
            let label = format!(
                "Var s, L = {depth}, ε = {eps}, B = {batch} ({}), S = {}",
                batching.name(),
                round_significant(mode.dynamics.teacher, 6)
            );
            rows.push(
                Row::new(format!("{label}: full matrices"), Provenance::Derived)
                    .reference(effective_temperature)
                    .closed_form(coupled_variance)
                    .simulation(estimate)
                    .known_difference(
                        "first-order expansion of the mode's own multiplicative noise \
                         (the exact-noise rows below keep it)",
                    ),
            );
            rows.push(
                Row::new(
                    format!("{label}: per-mode map, additive noise kγσ²/(B(2−k))"),
                    Provenance::Derived,
                )
                .closed_form(variance),
            );
            let model = problem(depth, LABEL_NOISE, cfg.seed ^ (100 + index as u64))?;
            rows.extend(corrected::rows(
                &label,
                &model,
                mode,
                eps,
                report.batch_factor,
                estimate,
            )?);
            rows.push(
                Row::new(
                    format!("{label}: zero-flux SDE density"),
                    Provenance::Derived,
                )
                .closed_form(zero_flux_variance),
            );
        }
    }
    Ok(rows)
}

/// Runs the closed forms and the simulations.
pub fn run(cfg: &Config) -> Result<Record> {
    let learning = vec![learning_curves(cfg, 2, 1)?, learning_curves(cfg, 3, 2)?];
    let diffusion = diffusion_profiles(cfg)?;
    let mut rows = Vec::new();
    for curves in &learning {
        for t in &curves.timing {
            let at = format!(
                "L = {}, S = {}",
                curves.depth,
                round_significant(t.teacher, 6)
            );
            rows.push(
                Row::new(format!("time to S/2 (steps), {at}"), Provenance::Derived)
                    .closed_form(t.half_time)
                    .simulation(t.simulated_half_time),
            );
            rows.push(
                Row::new(format!("time to 0.95 S (steps), {at}"), Provenance::Derived)
                    .closed_form(t.completion_time)
                    .simulation(t.simulated_completion_time),
            );
            rows.push(
                Row::new(
                    format!("mean (Δs − μ)²/2D along the curve (1 = exact per-mode SDE), {at}"),
                    Provenance::Derived,
                )
                .closed_form(1.0)
                .simulation(t.increment_variance_ratio),
            );
        }
    }
    rows.extend(stationary_rows(cfg)?);
    Ok(Record {
        quick: cfg.quick,
        seed: cfg.seed,
        learning,
        diffusion,
        rows,
    })
}
