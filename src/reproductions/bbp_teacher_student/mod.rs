//! `bbp-teacher-student`: the BBP spectral transition in the linear teacher–student model, after
//! Park, Bocchi, D'Amico, Lucini & Aarts (2026), "Spectral phase transitions and trainability in
//! neural network learning dynamics" (arXiv:2606.28486; only the abstract was available, so every
//! number here is either a standard BBP result or derived here, never the paper's).
//!
//! # Formula
//! * BBP (Benaych-Georges & Nadakuditi 2012, §3.1, rescaled): [`crate::theory::bbp::BulkNoise`].
//! * Gradient-descent spectral dynamics, detachment time t*, phase diagram in (η, σ₀) \[derived\]:
//!   [`crate::theory::bbp::GradientDescentSpectrum`].
//! * Stationary SGD bulk and mean-square limit \[derived\]:
//!   [`crate::theory::bbp::sgd_stationary_entry_variance`].
//! * Exact finite-size stationary SGD/SGLD law (Kronecker form) \[derived\]:
//!   [`crate::theory::teacher_student_law::TeacherStudentLaw`] (section `exact_law`).
//!
//! Simulations: seeded random matrices (BBP curves, signal/aspect diagram) and the real `sgd`
//! sampler (B = N: gradient descent; B = 4: SGD) on generated whitened teacher–student problems.
//! Run k uses [`super::simulate::run_seed`]`(seed, k)`; results do not depend on the thread count.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

use super::numbers::{round_significant, sig6, sig6_vec, Estimate, Provenance, Row};
use super::simulate::run_seed;
use super::Config;
use crate::batching::Batching;
use crate::chain::{each_draw, Chain, Flow, RunLength};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{generate_teacher_student, LinearTeacherStudent, Model, TeacherStudentParams};
use crate::stats::batch_means::univariate_batch_means_auto;
use crate::theory::bbp::{self, BulkNoise};

mod exact_law;
mod render;
pub use render::render;

/// Aspect ratio c = n/m of the BBP curves and the trajectory.
pub(crate) const ASPECT_RATIO: f64 = 0.25;

/// One simulated point of the BBP curves: mean over replicas with its standard error.
#[derive(Debug, Clone, Serialize)]
pub struct BbpPoint {
    /// n (m = n/c).
    pub rows: usize,
    /// θ.
    #[serde(serialize_with = "sig6")]
    pub strength: f64,
    /// Top singular value.
    pub singular_value: Estimate,
    /// Squared left overlap (ℝ^n, the short side).
    pub left_overlap: Estimate,
    /// Squared right overlap (ℝ^m).
    pub right_overlap: Estimate,
}

/// Gradient-descent trajectory: measured and predicted top singular values per step.
#[derive(Debug, Clone, Serialize)]
pub struct Trajectory {
    /// n, m, N.
    pub shape: (usize, usize, usize),
    /// η.
    pub learning_rate: f64,
    /// σ₀.
    pub init_scale: f64,
    /// θ*_α.
    #[serde(serialize_with = "sig6_vec")]
    pub teacher_strengths: Vec<f64>,
    /// Measured top singular values, per mode, per step t = 0..=T.
    pub measured: Vec<Vec<f64>>,
    /// Predicted (BBP location or bulk edge), per mode, per step.
    pub predicted: Vec<Vec<f64>>,
    /// Predicted bulk edge per step.
    #[serde(serialize_with = "sig6_vec")]
    pub bulk_edge: Vec<f64>,
    /// t*_α.
    pub detachment_times: Vec<Option<f64>>,
}

/// One cell of the (η, σ₀) trainability diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The top singular value is out of the bulk (by 5 %) at the budget T.
    Detached,
    /// Converging, but still inside the bulk at T.
    NotYet,
    /// The weights diverge (η ≥ 2/(1 + κ)).
    Divergent,
}

/// A cell of a phase diagram: coordinates, predicted and simulated phase.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Abscissa (η, or c).
    #[serde(serialize_with = "sig6")]
    pub x: f64,
    /// Ordinate (σ₀, or θ).
    #[serde(serialize_with = "sig6")]
    pub y: f64,
    /// Closed-form phase.
    pub predicted: Phase,
    /// Simulated phase.
    pub simulated: Phase,
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// θ grid of the BBP curves.
    #[serde(serialize_with = "sig6_vec")]
    pub strengths: Vec<f64>,
    /// Simulated BBP points at two sizes.
    pub bbp: Vec<BbpPoint>,
    /// Replicas per point of the table's BBP points (largest θ).
    pub table_replicas: u64,
    /// Replicas per point of the other BBP points.
    pub figure_replicas: usize,
    /// Gradient-descent spectral evolution.
    pub trajectory: Trajectory,
    /// The (η, σ₀) diagram at budget [`Record::budget`].
    pub trainability: Vec<Cell>,
    /// Step budget T of the trainability diagram.
    pub budget: usize,
    /// The derived boundary t* = T of the trainability diagram: (η, σ₀) points.
    pub boundary: Vec<(f64, f64)>,
    /// The (c, θ) diagram.
    pub signal_aspect: Vec<Cell>,
    /// The exact finite-size stationary SGD/SGLD law on the trajectory's problem.
    pub(crate) exact_law: exact_law::ExactStationaryLaw,
    /// The table.
    pub rows: Vec<Row>,
}

/// Top singular value and squared overlaps of X + θ u vᵀ (X n×m, entries N(0, 1/m), u, v random).
fn spiked_top(rows: usize, cols: usize, strength: f64, seed: u64) -> (f64, f64, f64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut draw = |len: usize| -> nalgebra::DVector<f64> {
        let v = nalgebra::DVector::from_fn(len, |_, _| rng.sample::<f64, _>(StandardNormal));
        v.normalize()
    };
    let (u, v) = (draw(rows), draw(cols));
    let scale = 1.0 / (cols as f64).sqrt();
    let mut y = DMatrix::from_fn(rows, cols, |_, _| {
        scale * rng.sample::<f64, _>(StandardNormal)
    });
    y += &u * v.transpose() * strength;
    let svd = y.svd(true, true);
    let k = svd.singular_values.imax();
    let (left, right) = match (svd.u, svd.v_t) {
        (Some(a), Some(b)) => (
            a.column(k).dot(&u).powi(2),
            b.row(k).transpose().dot(&v).powi(2),
        ),
        _ => (f64::NAN, f64::NAN),
    };
    (svd.singular_values[k], left, right)
}

/// Like [`spiked_top`] (same draws for the same seed) for θ above the BBP threshold, where the
/// outlier is separated from the bulk: the top eigenpair of the Gram matrix YYᵀ by power iteration
/// from the spike direction u (to a 10⁻¹³ relative residual; a full symmetric eigendecomposition if
/// that is not reached), and the right vector Yᵀx/σ. Much cheaper than the full SVD at n = 200,
/// m = 800.
fn spiked_top_separated(rows: usize, cols: usize, strength: f64, seed: u64) -> (f64, f64, f64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut draw = |len: usize| -> DVector<f64> {
        let v = DVector::from_fn(len, |_, _| rng.sample::<f64, _>(StandardNormal));
        v.normalize()
    };
    let (u, v) = (draw(rows), draw(cols));
    let scale = 1.0 / (cols as f64).sqrt();
    let mut y = DMatrix::from_fn(rows, cols, |_, _| {
        scale * rng.sample::<f64, _>(StandardNormal)
    });
    y += &u * v.transpose() * strength;
    let gram = &y * y.transpose();
    let mut x = u.clone();
    let mut converged = None;
    for _ in 0..2000 {
        let w = &gram * &x;
        let eigenvalue = x.dot(&w);
        let residual = (&w - &x * eigenvalue).norm();
        x = w.normalize();
        if residual <= 1e-13 * eigenvalue {
            converged = Some(eigenvalue);
            break;
        }
    }
    let eigenvalue = converged.unwrap_or_else(|| {
        let eigen = nalgebra::SymmetricEigen::new(gram);
        let k = eigen.eigenvalues.imax();
        x = eigen.eigenvectors.column(k).into_owned();
        eigen.eigenvalues[k]
    });
    let sigma = eigenvalue.sqrt();
    let right = y.transpose() * &x / sigma;
    (sigma, x.dot(&u).powi(2), right.dot(&v).powi(2))
}

fn top_values(model: &LinearTeacherStudent, theta: &[f64], count: usize) -> Result<Vec<f64>> {
    Ok(model.spectral_summary(theta)?.singular_values[..count].to_vec())
}

/// Gradient descent: the real `sgd` sampler with B = N (without replacement: no minibatch noise).
fn gradient_descent(
    model: &LinearTeacherStudent,
    eps: f64,
    start: &[f64],
    steps: usize,
    mut observe: impl FnMut(usize, &[f64]) -> Result<()>,
) -> Result<()> {
    let config = SamplerConfig::new(
        SamplerKind::Sgd,
        eps,
        model.data_size(),
        Batching::WithoutReplacement,
    );
    let mut chain = Chain::new(model, &config, start, 0)?;
    let mut err = None;
    chain.execute(
        &RunLength {
            burn_in: 0,
            steps,
            thin: 1,
        },
        &mut each_draw(|k, theta: &[f64]| match observe(k + 1, theta) {
            Ok(()) => Flow::Continue,
            Err(e) => {
                err = Some(e);
                Flow::Stop
            }
        }),
    );
    err.map_or(Ok(()), Err)
}

fn phase_of(top: f64, edge: f64, diverged: bool) -> Phase {
    if diverged {
        Phase::Divergent
    } else if top > 1.05 * edge {
        Phase::Detached
    } else {
        Phase::NotYet
    }
}

/// Simulated BBP points at two sizes with c = 1/4 ([`Record::bbp`]), the θ grid, the larger size,
/// and the number of run seeds used.
struct BbpCurves {
    strengths: Vec<f64>,
    table_replicas: u64,
    figure_replicas: usize,
    points: Vec<BbpPoint>,
    larger_size: usize,
    seeds_used: u64,
}

/// Replicas of the table's BBP points (largest θ, both sizes) in the full configuration.
pub(crate) const TABLE_REPLICAS: u64 = 400;

/// Run-seed index of the table replicas' seed stream (n is added).
const TABLE_STREAM: u64 = 1_000_000;

/// A. BBP curves at two sizes, c = 1/4: replicas of X + θuvᵀ per (n, θ), seeded by job index.
fn bbp_curves(cfg: &Config) -> BbpCurves {
    let (sizes, replicas, points) = if cfg.quick {
        ([25usize, 50], 3, 7)
    } else {
        ([100usize, 200], 6, 15)
    };
    let strengths: Vec<f64> = (0..points)
        .map(|k| 0.3 + 2.2 * k as f64 / (points - 1) as f64)
        .collect();
    let mut jobs = Vec::new();
    for &n in &sizes {
        for &theta in &strengths {
            for r in 0..replicas {
                jobs.push((n, theta, r));
            }
        }
    }
    let samples: Vec<(f64, f64, f64)> = jobs
        .par_iter()
        .enumerate()
        .map(|(k, &(n, theta, _))| {
            spiked_top(
                n,
                (n as f64 / ASPECT_RATIO) as usize,
                theta,
                run_seed(cfg.seed, k as u64),
            )
        })
        .collect();
    let mut bbp_points = Vec::new();
    for (chunk, &(n, theta, _)) in samples.chunks(replicas).zip(jobs.iter().step_by(replicas)) {
        let pick = |f: fn(&(f64, f64, f64)) -> f64| chunk.iter().map(f).collect::<Vec<_>>();
        bbp_points.push(BbpPoint {
            rows: n,
            strength: theta,
            singular_value: Estimate::from_replicates(&pick(|s| s.0)),
            left_overlap: Estimate::from_replicates(&pick(|s| s.1)),
            right_overlap: Estimate::from_replicates(&pick(|s| s.2)),
        });
    }
    // The table's points (largest θ, both sizes): many replicas, seeded per replica from their own
    // stream, so that their standard errors are themselves precise.
    let many = if cfg.quick { 20 } else { TABLE_REPLICAS };
    let largest = strengths[points - 1];
    for point in bbp_points.iter_mut().filter(|p| p.strength == largest) {
        let stream = run_seed(cfg.seed, TABLE_STREAM + point.rows as u64);
        let cols = (point.rows as f64 / ASPECT_RATIO) as usize;
        let samples: Vec<(f64, f64, f64)> = (0..many)
            .into_par_iter()
            .map(|r| spiked_top_separated(point.rows, cols, largest, run_seed(stream, r)))
            .collect();
        let pick = |f: fn(&(f64, f64, f64)) -> f64| samples.iter().map(f).collect::<Vec<_>>();
        point.singular_value = Estimate::from_replicates(&pick(|s| s.0));
        point.left_overlap = Estimate::from_replicates(&pick(|s| s.1));
        point.right_overlap = Estimate::from_replicates(&pick(|s| s.2));
    }
    BbpCurves {
        strengths,
        table_replicas: many,
        figure_replicas: replicas,
        points: bbp_points,
        larger_size: sizes[1],
        seeds_used: jobs.len() as u64,
    }
}

fn rounded(rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|v| v.iter().map(|x| round_significant(*x, 6)).collect())
        .collect()
}

/// The rank-2 problem of the gradient-descent trajectory (and of the exact stationary law).
fn trajectory_params(cfg: &Config) -> TeacherStudentParams {
    let n = if cfg.quick { 30 } else { 100 };
    TeacherStudentParams {
        outputs: n,
        inputs: (n as f64 / ASPECT_RATIO) as usize,
        rank: 2,
        signal: 1.5,
        signal_ratio: 0.6,
        label_noise: 0.5,
        data_size: 2 * (n as f64 / ASPECT_RATIO) as usize,
        init_scale: 2.0,
        ..Default::default()
    }
}

/// B. Gradient-descent spectral evolution on a rank-2 problem (run seeds `offset`, `offset + 1`).
fn gradient_descent_trajectory(cfg: &Config, offset: u64) -> Result<Trajectory> {
    let steps = if cfg.quick { 80 } else { 160 };
    let params = trajectory_params(cfg);
    let model = generate_teacher_student(&params, run_seed(cfg.seed, offset))?;
    let eta = 0.02;
    let config = SamplerConfig::new(
        SamplerKind::Sgd,
        eta,
        model.data_size(),
        Batching::WithoutReplacement,
    );
    let theory = bbp::report(&model, &config)?;
    let gd = theory.gradient_descent;
    let start = model.initial_weights(run_seed(cfg.seed, offset + 1));
    let mut measured = vec![top_values(&model, &start, 2)?];
    gradient_descent(&model, eta, &start, steps, |_, theta| {
        measured.push(top_values(&model, theta, 2)?);
        Ok(())
    })?;
    let predicted = (0..=steps)
        .map(|t| {
            theory
                .teacher_strengths
                .iter()
                .map(|&s| gd.outlier_at(t, s).map(|o| o.singular_value))
                .collect::<Result<Vec<f64>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Trajectory {
        shape: (params.outputs, params.inputs, params.data_size),
        learning_rate: eta,
        init_scale: params.init_scale,
        teacher_strengths: theory.teacher_strengths.clone(),
        measured: rounded(&measured),
        predicted: rounded(&predicted),
        bulk_edge: (0..=steps).map(|t| gd.noise_at(t).bulk_edge()).collect(),
        detachment_times: theory.detachment_times.clone(),
    })
}

/// Step budget T of the trainability diagram.
const BUDGET: usize = 30;

/// The small whitened rank-1 problem of the trainability diagram (n = 20, m = 40, N = 80).
fn trainability_params() -> TeacherStudentParams {
    TeacherStudentParams {
        outputs: 20,
        inputs: 40,
        rank: 1,
        signal: 1.0,
        label_noise: 0.1,
        data_size: 80,
        ..Default::default()
    }
}

/// The derived boundary t*(η, σ₀) = T of the trainability diagram on the reference problem.
fn trainability_boundary(
    small: &TeacherStudentParams,
    reference: &LinearTeacherStudent,
) -> Vec<(f64, f64)> {
    (1..100)
        .map(|k| 0.01 * k as f64)
        .filter_map(|e| {
            let spectrum = bbp::GradientDescentSpectrum::new(
                small.outputs,
                small.inputs,
                e / reference.noise_variance(),
                reference.ridge(),
                1.0,
                reference.label_noise_variance().unwrap_or(0.0) / small.data_size as f64,
            )
            .ok()?;
            let v0 = spectrum
                .boundary_initial_entry_variance(reference.teacher_strengths()[0], BUDGET as f64)?;
            let sigma0 = (v0 * small.inputs as f64).sqrt();
            (sigma0 < 20.0).then_some((round_significant(e, 6), round_significant(sigma0, 6)))
        })
        .collect()
}

/// One cell of the (η, σ₀) diagram: predicted phase and T steps of gradient descent from a start
/// seeded by `start_seed`.
fn trainability_cell(
    small: &TeacherStudentParams,
    base_seed: u64,
    (e, s): (f64, f64),
    start_seed: u64,
) -> Result<Cell> {
    let problem = generate_teacher_student(
        &TeacherStudentParams {
            init_scale: s,
            ..*small
        },
        base_seed,
    )?;
    let spectrum = bbp::GradientDescentSpectrum::new(
        20,
        40,
        e / problem.noise_variance(),
        problem.ridge(),
        s * s / 40.0,
        problem.label_noise_variance().unwrap_or(0.0) / 80.0,
    )?;
    let strength = problem.teacher_strengths()[0];
    let diverging = e >= spectrum.stability_limit();
    let predicted = phase_of(
        spectrum.outlier_at(BUDGET, strength)?.singular_value,
        spectrum.noise_at(BUDGET).bulk_edge(),
        diverging,
    );
    let start = problem.initial_weights(start_seed);
    let initial_norm = start.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut last = start.clone();
    gradient_descent(&problem, e, &start, BUDGET, |_, theta| {
        last.copy_from_slice(theta);
        Ok(())
    })?;
    let norm = last.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diverged = !norm.is_finite() || norm > 100.0 * (initial_norm + strength);
    let top = if diverged {
        0.0
    } else {
        top_values(&problem, &last, 1)?[0]
    };
    Ok(Cell {
        x: e,
        y: s,
        predicted,
        simulated: phase_of(top, spectrum.noise_at(BUDGET).bulk_edge(), diverged),
    })
}

/// The derived boundary t* = T of the trainability diagram as (η, σ₀) points.
type Boundary = Vec<(f64, f64)>;

/// C. Trainability diagram in (η, σ₀) at budget T (problem seeded by run seed `offset`): the
/// cells and the derived boundary.
fn trainability(cfg: &Config, offset: u64) -> Result<(Vec<Cell>, Boundary)> {
    let (etas, sigmas): (Vec<f64>, Vec<f64>) = if cfg.quick {
        (vec![0.02, 0.1, 0.5, 1.5, 2.1], vec![0.5, 2.0, 6.0])
    } else {
        (
            (1..=12).map(|k| 0.18 * k as f64).collect(),
            (0..9).map(|k| 0.25 * 1.5f64.powi(k)).collect(),
        )
    };
    let small = trainability_params();
    let mut cells_in = Vec::new();
    for &e in &etas {
        for &s in &sigmas {
            cells_in.push((e, s));
        }
    }
    let base_seed = run_seed(cfg.seed, offset);
    let reference = generate_teacher_student(&small, base_seed)?;
    let boundary = trainability_boundary(&small, &reference);
    let cells = cells_in
        .par_iter()
        .enumerate()
        .map(|(k, &cell)| trainability_cell(&small, base_seed, cell, run_seed(base_seed, k as u64)))
        .collect::<Result<Vec<_>>>()?;
    Ok((cells, boundary))
}

/// D. (c, θ) diagram: is the top singular value out of the bulk by 5 %? Cell k uses run seed
/// `base + k`.
fn signal_aspect(cfg: &Config, base: u64) -> Result<Vec<Cell>> {
    let big_n = if cfg.quick { 40 } else { 120 };
    let ratios: Vec<f64> = if cfg.quick {
        vec![0.1, 0.5, 1.0]
    } else {
        vec![0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0]
    };
    let thetas: Vec<f64> = if cfg.quick {
        vec![0.4, 1.0, 1.6]
    } else {
        (1..=10).map(|k| 0.2 * k as f64).collect()
    };
    let mut grid = Vec::new();
    for &c in &ratios {
        for &t in &thetas {
            grid.push((c, t));
        }
    }
    grid.par_iter()
        .enumerate()
        .map(|(k, &(c, t))| -> Result<Cell> {
            let rows = ((big_n as f64) * c).round().max(2.0) as usize;
            let noise = BulkNoise::new(rows, big_n, 1.0 / big_n as f64)?;
            let out = noise.outlier(t)?;
            let (top, _, _) = spiked_top(rows, big_n, t, run_seed(cfg.seed, base + k as u64));
            Ok(Cell {
                x: noise.aspect_ratio(),
                y: t,
                predicted: phase_of(out.singular_value, noise.bulk_edge(), false),
                simulated: phase_of(top, noise.bulk_edge(), false),
            })
        })
        .collect()
}

/// E. Stationary SGD bulk (n = 5, m = 10, B = 4, η = 0.2; run seeds `offset`, `offset + 1`): the
/// closed forms and the simulated mean squared entry deviation from the ridge solution.
fn stationary_sgd(cfg: &Config, offset: u64) -> Result<(bbp::TeacherStudentTheory, Estimate)> {
    let sgd_params = TeacherStudentParams {
        outputs: 5,
        inputs: 10,
        rank: 1,
        data_size: 50_000,
        label_noise: 1.0,
        ..Default::default()
    };
    let sgd_model = generate_teacher_student(&sgd_params, run_seed(cfg.seed, offset))?;
    let sgd_config = SamplerConfig::new(SamplerKind::Sgd, 0.2, 4, Batching::WithReplacement);
    let sgd_theory = bbp::report(&sgd_model, &sgd_config)?;
    let fixed = LinearTeacherStudent::flatten(&sgd_model.ridge_solution()?);
    let mut chain = Chain::new(
        &sgd_model,
        &sgd_config,
        &fixed,
        run_seed(cfg.seed, offset + 1),
    )?;
    let sgd_steps = if cfg.quick { 20_000 } else { 400_000 };
    let mut series = Vec::with_capacity(sgd_steps);
    chain.execute(
        &RunLength {
            burn_in: 1000,
            steps: sgd_steps,
            thin: 1,
        },
        &mut each_draw(|_, theta: &[f64]| {
            series.push(
                theta
                    .iter()
                    .zip(&fixed)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    / sgd_model.dimension() as f64,
            );
            Flow::Continue
        }),
    );
    let bm = univariate_batch_means_auto(&series).map_err(|e| Error::Invalid {
        what: "simulation".into(),
        why: e.to_string(),
    })?;
    Ok((
        sgd_theory,
        Estimate {
            value: bm.mean,
            mcse: bm.standard_error,
            dof: bm.n_batches - 1,
        },
    ))
}

/// Rows of the BBP location and overlaps at the largest θ and the larger size.
fn bbp_rows(curves: &BbpCurves, noise: &BulkNoise) -> Result<Vec<Row>> {
    let largest = curves.strengths[curves.strengths.len() - 1];
    let mut rows = Vec::new();
    for p in curves
        .points
        .iter()
        .filter(|p| p.rows == curves.larger_size && (p.strength - largest).abs() < 1e-12)
    {
        let o = noise.outlier(p.strength)?;
        let source = Provenance::Literature("Benaych-Georges & Nadakuditi 2012");
        rows.push(
            Row::new(
                format!("outlier location at θ = {:.2}, n = {}", p.strength, p.rows),
                source,
            )
            .closed_form(o.singular_value)
            .simulation(p.singular_value),
        );
        rows.push(
            Row::new(
                format!(
                    "left overlap² (short side) at θ = {:.2}, n = {}",
                    p.strength, p.rows
                ),
                source,
            )
            .closed_form(o.left_overlap)
            .simulation(p.left_overlap),
        );
        rows.push(
            Row::new(
                format!(
                    "right overlap² (long side) at θ = {:.2}, n = {}",
                    p.strength, p.rows
                ),
                source,
            )
            .closed_form(o.right_overlap)
            .simulation(p.right_overlap),
        );
    }
    Ok(rows)
}

/// Rows of the detachment times and of the two diagrams' agreement.
fn dynamics_rows(
    trajectory: &Trajectory,
    trainability: &[Cell],
    signal_aspect: &[Cell],
) -> Vec<Row> {
    let mut rows = Vec::new();
    for (alpha, t) in trajectory.detachment_times.iter().enumerate() {
        if let Some(t) = t {
            rows.push(
                Row::new(
                    format!(
                        "GD detachment time t* of mode {} (θ* = {:.2}, σ₀ = 2, η = 0.02)",
                        alpha + 1,
                        trajectory.teacher_strengths[alpha]
                    ),
                    Provenance::Derived,
                )
                .closed_form(*t),
            );
        }
    }
    let agree = |cells: &[Cell]| {
        cells.iter().filter(|c| c.predicted == c.simulated).count() as f64 / cells.len() as f64
    };
    rows.push(
        Row::new(format!("(η, σ₀) diagram: fraction of cells where the simulated phase at T = {BUDGET} matches the prediction"), Provenance::Derived)
            .closed_form(agree(trainability)),
    );
    rows.push(
        Row::new(
            "(c, θ) diagram: fraction of cells where the simulated phase matches the prediction",
            Provenance::Derived,
        )
        .closed_form(agree(signal_aspect)),
    );
    rows
}

/// Rows of the stability limits and of the stationary SGD bulk.
fn stability_rows(sgd_theory: &bbp::TeacherStudentTheory, sgd_estimate: Estimate) -> Vec<Row> {
    let eta_sgd = sgd_theory.learning_rate;
    vec![
        Row::new(
            "GD stability limit η < 2/(1 + κ) (whitened, n = 20, m = 40, N = 80)",
            Provenance::Derived,
        )
        .reference(2.0)
        .closed_form(2.0 / (1.0 + 1.0 / 80.0))
        .known_difference("the reference is the ridge-free limit 2; the ridge κ lowers it"),
        Row::new(
            "SGD mean-square stability limit on η (n = 5, m = 10, B = 4)",
            Provenance::Derived,
        )
        .reference(2.0)
        .closed_form(sgd_theory.mean_square_stability_limit)
        .known_difference("the reference is gradient descent's limit; SGD's multiplicative minibatch noise lowers it to 2B/(B + m + 1)"),
        Row::new(format!("SGD stationary entry variance (η = 0.2, B = 4, m = 10, σ_ε = 1; closed forms evaluated at the sample residual variance {}); reference: leading order ησ_ε²/(B(2 − η))", round_significant(sgd_theory.residual_variance, 6)), Provenance::Derived)
            .reference(eta_sgd * sgd_theory.residual_variance / (4.0 * (2.0 - eta_sgd)))
            .closed_form(sgd_theory.sgd_entry_variance)
            .simulation(sgd_estimate),
    ]
}

/// Runs the closed forms and the simulations.
pub fn run(cfg: &Config) -> Result<Record> {
    let curves = bbp_curves(cfg);
    let offset = curves.seeds_used;
    let trajectory = gradient_descent_trajectory(cfg, offset)?;
    let exact_law = exact_law::exact_law(&generate_teacher_student(
        &trajectory_params(cfg),
        run_seed(cfg.seed, offset),
    )?)?;
    let (trainability, boundary) = trainability(cfg, offset + 2)?;
    let signal_aspect = signal_aspect(cfg, offset + 3)?;
    let (sgd_theory, sgd_estimate) = stationary_sgd(cfg, offset + 3 + signal_aspect.len() as u64)?;
    let noise = BulkNoise::new(100, 400, 1.0 / 400.0)?;
    let mut rows = vec![
        Row::new(
            "BBP threshold θ_c = c^{1/4} at c = 1/4 (unit bulk scale)",
            Provenance::Digest,
        )
        .reference(0.25f64.powf(0.25))
        .closed_form(noise.threshold()),
        Row::new("bulk edge 1 + √c at c = 1/4", Provenance::Digest)
            .reference(1.5)
            .closed_form(noise.bulk_edge()),
    ];
    rows.extend(bbp_rows(&curves, &noise)?);
    rows.extend(dynamics_rows(&trajectory, &trainability, &signal_aspect));
    rows.extend(stability_rows(&sgd_theory, sgd_estimate));
    rows.extend(exact_law::exact_law_rows(&exact_law));
    Ok(Record {
        quick: cfg.quick,
        seed: cfg.seed,
        strengths: curves.strengths,
        table_replicas: curves.table_replicas,
        figure_replicas: curves.figure_replicas,
        bbp: curves.points,
        trajectory,
        trainability,
        budget: BUDGET,
        boundary,
        signal_aspect,
        exact_law,
        rows,
    })
}
