//! Sections 1 and 3: the stationary law against c — the fixed point with and without the
//! corrector, the exact finite-N moments, and the OU variances of √N(m − 1, r⊥² − E r⊥²) — against
//! one long run per (c, N) started at θ*.

use rayon::prelude::*;
use serde::Serialize;

use super::{chain, chain_seed, simulation_error, teacher, NOISE_SD};
use crate::error::Result;
use crate::online::SummaryStatistics;
use crate::reproductions::numbers::{sig6, sig6_vec, Estimate, Provenance, Row};
use crate::reproductions::Config;
use crate::stats::batch_means::univariate_batch_means;
use crate::theory::high_dimensional_sgd::{Correction, LinearSingleIndexLimit};

/// The step scales c of the stationary sections.
pub(crate) const STEP_SCALES: [f64; 4] = [0.5, 1.0, 1.5, 1.8];
/// The dimensions of the closed-form fixed-point table.
pub(crate) const TABLE_DIMENSIONS: [usize; 3] = [100, 400, 1600];
/// Records per unit time t = k/N.
const RECORDS_PER_TIME: usize = 4;
/// Batch length of the batch means, in relaxation times 1/(c(2 − c)).
const BATCH_RELAXATION_TIMES: f64 = 10.0;
/// Burn-in, in relaxation times.
const BURN_IN_RELAXATION_TIMES: f64 = 20.0;

/// Closed-form stationary values at one c.
#[derive(Debug, Clone, Serialize)]
pub struct FixedPointLine {
    /// Step scale c.
    pub step_scale: f64,
    /// r⊥²* = cσ²/(2 − c) of the corrected ODE.
    #[serde(serialize_with = "sig6")]
    pub corrected: f64,
    /// r⊥²* of the gradient flow (no corrector): 0.
    #[serde(serialize_with = "sig6")]
    pub gradient_flow: f64,
    /// Exact finite-N stationary E r⊥² at the table's dimensions N = 100, 400, 1600.
    #[serde(serialize_with = "sig6_vec")]
    pub finite_dimension: Vec<f64>,
    /// OU stationary variance of √N r⊥²: 2ρ².
    #[serde(serialize_with = "sig6")]
    pub ou_orthogonal_variance: f64,
}

/// The closed-form fixed points at every c of [`STEP_SCALES`].
pub(crate) fn fixed_point_lines() -> Result<Vec<FixedPointLine>> {
    STEP_SCALES
        .iter()
        .map(|&c| {
            let limit = LinearSingleIndexLimit::new(c, NOISE_SD)?;
            let s = limit.stationary_fluctuation_covariance()?;
            Ok(FixedPointLine {
                step_scale: c,
                corrected: limit
                    .fixed_point(Correction::Included)?
                    .orthogonal_squared_norm,
                gradient_flow: limit
                    .fixed_point(Correction::Omitted)?
                    .orthogonal_squared_norm,
                finite_dimension: TABLE_DIMENSIONS
                    .iter()
                    .map(|&n| {
                        Ok(limit
                            .finite_dimension_stationary_moments(n)?
                            .orthogonal_squared_norm_mean)
                    })
                    .collect::<Result<_>>()?,
                ou_orthogonal_variance: s[(1, 1)],
            })
        })
        .collect()
}

/// One stationary run at (c, N) and its predictions.
#[derive(Debug, Clone, Serialize)]
pub struct StationaryCell {
    /// Step scale c.
    pub step_scale: f64,
    /// Dimension N.
    pub dimension: usize,
    /// Recorded time (units of t = k/N) after the burn-in.
    pub time: f64,
    /// Batch length in records.
    pub batch_length: usize,
    /// ρ = r⊥²* = cσ²/(2 − c).
    #[serde(serialize_with = "sig6")]
    pub fixed_point: f64,
    /// Exact finite-N stationary E r⊥².
    #[serde(serialize_with = "sig6")]
    pub exact_orthogonal_mean: f64,
    /// Exact finite-N N·Var m.
    #[serde(serialize_with = "sig6")]
    pub exact_overlap_variance: f64,
    /// Exact finite-N N·Var r⊥².
    #[serde(serialize_with = "sig6")]
    pub exact_orthogonal_variance: f64,
    /// OU S_rr = 2ρ².
    #[serde(serialize_with = "sig6")]
    pub ou_orthogonal_variance: f64,
    /// S_rr when the diffusion drops the corrector's own fluctuation: 2ρ²(2 + c)/(2 − c).
    #[serde(serialize_with = "sig6")]
    pub dropped_fluctuation_variance: f64,
    /// Simulated E m.
    pub overlap_mean: Estimate,
    /// Simulated E r⊥².
    pub orthogonal_mean: Estimate,
    /// Simulated N·E(m − 1)².
    pub overlap_variance: Estimate,
    /// Simulated N·E(r⊥² − r̄⊥²)².
    pub orthogonal_variance: Estimate,
    /// Simulated N·E(m − 1)(r⊥² − r̄⊥²).
    pub covariance: Estimate,
}

/// Dimensions of the stationary runs and their length in relaxation times.
fn design(cfg: &Config) -> Vec<(usize, f64)> {
    if cfg.quick {
        vec![(100, 400.0)]
    } else {
        vec![(100, 400.0), (400, 300.0)]
    }
}

fn batch_estimate(series: &[f64], length: usize) -> Result<Estimate> {
    let bm = univariate_batch_means(series, length).map_err(|e| simulation_error(e.to_string()))?;
    Ok(Estimate::from_batch_means(&bm))
}

fn cell(
    cfg: &Config,
    index: u64,
    c: f64,
    n: usize,
    relaxation_times: f64,
) -> Result<StationaryCell> {
    let limit = LinearSingleIndexLimit::new(c, NOISE_SD)?;
    let relaxation = 1.0 / (c * (2.0 - c));
    let batch_length =
        (BATCH_RELAXATION_TIMES * relaxation * RECORDS_PER_TIME as f64).ceil() as usize;
    let records = (relaxation_times / BATCH_RELAXATION_TIMES).round() as usize * batch_length;
    let burn_in = (BURN_IN_RELAXATION_TIMES * relaxation).ceil() as usize * n;
    let series = chain(
        n,
        c,
        &teacher(n),
        burn_in,
        n / RECORDS_PER_TIME,
        records,
        chain_seed(cfg, 1, index),
    )?;
    let nf = n as f64;
    let m: Vec<f64> = series.iter().map(|u| u.overlap).collect();
    let p: Vec<f64> = series.iter().map(|u| u.orthogonal_squared_norm).collect();
    let p_bar = p.iter().sum::<f64>() / p.len() as f64;
    let scaled = |f: &dyn Fn(&SummaryStatistics) -> f64| -> Vec<f64> {
        series.iter().map(|u| nf * f(u)).collect()
    };
    let exact = limit.finite_dimension_stationary_moments(n)?;
    let rho = limit
        .fixed_point(Correction::Included)?
        .orthogonal_squared_norm;
    let s = limit.stationary_fluctuation_covariance()?;
    Ok(StationaryCell {
        step_scale: c,
        dimension: n,
        time: records as f64 / RECORDS_PER_TIME as f64,
        batch_length,
        fixed_point: rho,
        exact_orthogonal_mean: exact.orthogonal_squared_norm_mean,
        exact_overlap_variance: nf * exact.overlap_variance,
        exact_orthogonal_variance: nf * limit.finite_dimension_stationary_orthogonal_variance(n)?,
        ou_orthogonal_variance: s[(1, 1)],
        dropped_fluctuation_variance: 2.0 * rho * rho * (2.0 + c) / (2.0 - c),
        overlap_mean: batch_estimate(&m, batch_length)?,
        orthogonal_mean: batch_estimate(&p, batch_length)?,
        overlap_variance: batch_estimate(&scaled(&|u| (u.overlap - 1.0).powi(2)), batch_length)?,
        orthogonal_variance: batch_estimate(
            &scaled(&|u| (u.orthogonal_squared_norm - p_bar).powi(2)),
            batch_length,
        )?,
        covariance: batch_estimate(
            &scaled(&|u| (u.overlap - 1.0) * (u.orthogonal_squared_norm - p_bar)),
            batch_length,
        )?,
    })
}

/// One long run per (c, N), in parallel over cells.
pub(crate) fn cells(cfg: &Config) -> Result<Vec<StationaryCell>> {
    let jobs: Vec<(f64, usize, f64)> = design(cfg)
        .into_iter()
        .flat_map(|(n, k)| STEP_SCALES.iter().map(move |&c| (c, n, k)))
        .collect();
    jobs.par_iter()
        .enumerate()
        .map(|(i, &(c, n, k))| cell(cfg, i as u64, c, n, k))
        .collect()
}

fn label(cell: &StationaryCell) -> String {
    format!("c = {}, N = {}", cell.step_scale, cell.dimension)
}

/// Section 1 rows: E m and E r⊥² against the exact finite-N values (reference: N → ∞), and the
/// gradient-flow fixed point r⊥²* = 0 at c = 1 and the smallest N.
pub(crate) fn mean_rows(cells: &[StationaryCell]) -> Vec<Row> {
    let smallest = cells.iter().map(|c| c.dimension).min().unwrap_or(0);
    let mut rows = Vec::new();
    for cell in cells {
        let at = label(cell);
        rows.push(
            Row::new(format!("E m, {at}"), Provenance::Derived)
                .reference(1.0)
                .closed_form(1.0)
                .simulation(cell.overlap_mean),
        );
        rows.push(
            Row::new(format!("E r⊥², {at}"), Provenance::Derived)
                .reference(cell.fixed_point)
                .closed_form(cell.exact_orthogonal_mean)
                .simulation(cell.orthogonal_mean),
        );
        if cell.dimension == smallest && cell.step_scale == 1.0 {
            rows.push(
                Row::new(
                    format!("E r⊥², {at}: gradient-flow fixed point (corrector dropped)"),
                    Provenance::Derived,
                )
                .closed_form(0.0)
                .simulation(cell.orthogonal_mean)
                .known_difference(
                    "rejected: at δ = c/N the corrector moves r⊥²* from 0 to cσ²/(2 − c)",
                ),
            );
        }
    }
    rows
}

/// Section 3 rows: N·Var m, N·Var r⊥², N·Cov against the exact finite-N values (reference: the OU
/// covariance diag(ρ, 2ρ²)), and S_rr without the corrector's own fluctuation at the smallest N.
pub(crate) fn fluctuation_rows(cells: &[StationaryCell]) -> Vec<Row> {
    let smallest = cells.iter().map(|c| c.dimension).min().unwrap_or(0);
    let mut rows = Vec::new();
    for cell in cells {
        let at = label(cell);
        rows.push(
            Row::new(format!("N·Var m, {at}"), Provenance::Derived)
                .reference(cell.fixed_point)
                .closed_form(cell.exact_overlap_variance)
                .simulation(cell.overlap_variance),
        );
        rows.push(
            Row::new(format!("N·Var r⊥², {at}"), Provenance::Derived)
                .reference(cell.ou_orthogonal_variance)
                .closed_form(cell.exact_orthogonal_variance)
                .simulation(cell.orthogonal_variance),
        );
        if cell.dimension == smallest {
            rows.push(
            Row::new(
                format!("N·Var r⊥², {at}: corrector's own fluctuation dropped, 2ρ²(2 + c)/(2 − c)"),
                Provenance::Derived,
            )
            .closed_form(cell.dropped_fluctuation_variance)
            .simulation(cell.orthogonal_variance)
            .known_difference(
                "rejected: the c²a² part of the r⊥² increment fluctuates at the same order as the gradient term",
            ),
        );
        }
        rows.push(
            Row::new(format!("N·Cov(m, r⊥²), {at}"), Provenance::Derived)
                .reference(0.0)
                .closed_form(0.0)
                .simulation(cell.covariance),
        );
    }
    rows
}
