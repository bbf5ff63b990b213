//! `rangriz2025`: online SGD for a single-layer network (linear single-index teacher, square loss)
//! at the critical step-size scaling δ = c/N, after Rangriz, "Limit Theorems for Stochastic
//! Gradient Descent in High-Dimensional Single-Layer Networks" (arXiv:2511.02258), which builds on
//! Ben Arous, Gheissari & Jagannath, "High-dimensional limit theorems for SGD: effective dynamics
//! and critical scaling" (arXiv:2206.04030).
//!
//! # Provenance
//! The framework — summary statistics u = (m, r⊥²), their ODE limit in time t = k/N with a
//! population drift and a corrector present exactly at δ = c/N, Ornstein–Uhlenbeck fluctuations of
//! √N(u − u*) near fixed points — is the papers'. Only their abstracts were available: every
//! explicit formula (drift, corrector, fixed point, critical c, exact finite-N moments, OU
//! covariance) is **\[derived here\]** in [`crate::theory::high_dimensional_sgd`].
//!
//! # Formula
//! x ~ N(0, I_N) fresh each step, y = θ*·x + ε, ε ~ N(0, σ²), θ ← θ + δ(y − θ·x)x, δ = c/N,
//! m = θ·θ*, r⊥² = |θ|² − m². Sections:
//! 1. stationary law against c: fixed point r⊥²* = cσ²/(2 − c) (0 without the corrector), the exact
//!    finite-N E r⊥², and one long run per (c, N) (`stationary.rs`);
//! 2. paths from θ₀ = 0 against the ODE, with the RMS error ∝ N^{−1/2} (`paths.rs`);
//! 3. OU variances N·Var m, N·Var r⊥², N·Cov against diag(ρ, 2ρ²) and the exact finite-N values,
//!    with the diffusion that drops the corrector's own fluctuation rejected (`stationary.rs`);
//! 4. r⊥²(t) across the critical c = 2 (`critical.rs`).
//!
//! Simulations run [`crate::online::OnlineSingleIndex`], one ChaCha8 stream per chain seeded with
//! [`run_seed`]`(seed, index)`, in parallel over chains (rayon), so the bits do not depend on the
//! thread count.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::numbers::Row;
use super::simulate::run_seed;
use super::Config;
use crate::error::{Error, Result};
use crate::online::{OnlineSingleIndex, SummaryStatistics};

mod critical;
mod paths;
mod render;
mod stationary;

pub use critical::CriticalPaths;
pub use paths::{PathComparison, PathsAtDimension};
pub use render::render;
pub use stationary::{FixedPointLine, StationaryCell};

/// Label-noise standard deviation σ of every section.
pub(crate) const NOISE_SD: f64 = 0.5;

/// The record of every reported number.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// Label-noise standard deviation σ.
    pub noise_sd: f64,
    /// Section 1: closed-form fixed points against c.
    pub fixed_points: Vec<FixedPointLine>,
    /// Sections 1 and 3: one long stationary run per (c, N).
    pub stationary: Vec<StationaryCell>,
    /// Section 2: paths against the ODE.
    pub paths: PathComparison,
    /// Section 4: r⊥²(t) across the critical c.
    pub critical: CriticalPaths,
    /// Table rows of section 1 (stationary means).
    pub fixed_point_rows: Vec<Row>,
    /// Table rows of section 2.
    pub path_rows: Vec<Row>,
    /// Table rows of section 3 (OU variances).
    pub fluctuation_rows: Vec<Row>,
    /// Table rows of section 4.
    pub critical_rows: Vec<Row>,
}

/// A dense unit teacher θ* = (1, …, 1)/√N (no coordinate is special).
pub(crate) fn teacher(dimension: usize) -> Vec<f64> {
    vec![1.0 / (dimension as f64).sqrt(); dimension]
}

pub(crate) fn simulation_error(why: String) -> Error {
    Error::Invalid {
        what: "simulation".into(),
        why,
    }
}

/// One chain at dimension N and step δ = c/N from `start`: `records` summaries, one every
/// `steps_per_record` steps, after `burn_in` unrecorded steps.
pub(crate) fn chain(
    dimension: usize,
    step_scale: f64,
    start: &[f64],
    burn_in: usize,
    steps_per_record: usize,
    records: usize,
    seed: u64,
) -> Result<Vec<SummaryStatistics>> {
    let mut sgd = OnlineSingleIndex::new(teacher(dimension), NOISE_SD)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = start.to_vec();
    let step_size = step_scale / dimension as f64;
    // The burn-in: one unkept record after `burn_in` steps (the online driver's own loop).
    sgd.run(
        &mut theta,
        step_size,
        burn_in,
        &mut [SummaryStatistics::default()],
        &mut rng,
    );
    let mut out = vec![SummaryStatistics::default(); records];
    sgd.run(&mut theta, step_size, steps_per_record, &mut out, &mut rng);
    if out
        .iter()
        .any(|u| !(u.overlap.is_finite() && u.orthogonal_squared_norm.is_finite()))
    {
        return Err(simulation_error(format!(
            "non-finite summary statistics at c = {step_scale}, N = {dimension}"
        )));
    }
    Ok(out)
}

/// Seed of chain `index` of a section (sections use disjoint index ranges).
pub(crate) fn chain_seed(cfg: &Config, section: u64, index: u64) -> u64 {
    run_seed(cfg.seed, section * 1_000_000 + index)
}

/// Runs every section.
pub fn run(cfg: &Config) -> Result<Record> {
    let fixed_points = stationary::fixed_point_lines()?;
    let stationary = stationary::cells(cfg)?;
    let paths = paths::compare(cfg)?;
    let critical = critical::paths(cfg)?;
    Ok(Record {
        quick: cfg.quick,
        seed: cfg.seed,
        noise_sd: NOISE_SD,
        fixed_point_rows: stationary::mean_rows(&stationary),
        fluctuation_rows: stationary::fluctuation_rows(&stationary),
        path_rows: paths::rows(&paths),
        critical_rows: critical::rows(&critical),
        fixed_points,
        stationary,
        paths,
        critical,
    })
}
