//! Section 4: r⊥²(t) from θ₀ = 0 across the critical step scale c = 2 — the corrected ODE, the
//! exact finite-N mean and simulated replica means; below c = 2 r⊥² settles at cσ²/(2 − c), at
//! c = 2 it grows linearly, beyond it exponentially at rate c(c − 2).

use rayon::prelude::*;
use serde::Serialize;

use super::{chain, chain_seed, NOISE_SD};
use crate::error::Result;
use crate::reproductions::numbers::{sig6, sig6_vec, Estimate, Provenance, Row};
use crate::reproductions::Config;
use crate::theory::high_dimensional_sgd::{Correction, LinearSingleIndexLimit, SummaryState};

/// Step scales of the figure.
pub(crate) const STEP_SCALES: [f64; 4] = [1.5, 1.9, 2.0, 2.3];
/// Records per unit time.
const RECORDS_PER_TIME: usize = 5;
/// Horizon (time units).
const HORIZON: usize = 4;

/// r⊥²(t) at one c.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalCurve {
    /// Step scale c.
    pub step_scale: f64,
    /// Corrected ODE r⊥²(t).
    #[serde(serialize_with = "sig6_vec")]
    pub ode: Vec<f64>,
    /// Exact finite-N E r⊥²_k.
    #[serde(serialize_with = "sig6_vec")]
    pub exact: Vec<f64>,
    /// Replica means of r⊥².
    pub simulated: Vec<Estimate>,
}

/// The critical-c figure's data.
#[derive(Debug, Clone, Serialize)]
pub struct CriticalPaths {
    /// Dimension N.
    pub dimension: usize,
    /// Replicas per c.
    pub replicas: usize,
    /// Recorded times.
    #[serde(serialize_with = "sig6_vec")]
    pub times: Vec<f64>,
    /// Exact finite-N critical step scale 2N/(N + 2).
    #[serde(serialize_with = "sig6")]
    pub finite_dimension_critical: f64,
    /// One curve per c.
    pub curves: Vec<CriticalCurve>,
}

/// Simulates and solves every curve.
pub(crate) fn paths(cfg: &Config) -> Result<CriticalPaths> {
    let (n, replicas) = if cfg.quick { (100, 8) } else { (200, 32) };
    let records = HORIZON * RECORDS_PER_TIME;
    let times: Vec<f64> = (1..=records)
        .map(|k| k as f64 / RECORDS_PER_TIME as f64)
        .collect();
    let start = SummaryState::new(0.0, 0.0);
    let theta0 = vec![0.0; n];
    let jobs: Vec<(usize, usize)> = (0..STEP_SCALES.len())
        .flat_map(|i| (0..replicas).map(move |r| (i, r)))
        .collect();
    let runs: Vec<_> = jobs
        .par_iter()
        .map(|&(i, r)| {
            let index = (i * replicas + r) as u64;
            chain(
                n,
                STEP_SCALES[i],
                &theta0,
                0,
                n / RECORDS_PER_TIME,
                records,
                chain_seed(cfg, 3, index),
            )
        })
        .collect::<Result<_>>()?;
    let curves = STEP_SCALES
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let limit = LinearSingleIndexLimit::new(c, NOISE_SD)?;
            let mine = &runs[i * replicas..(i + 1) * replicas];
            Ok(CriticalCurve {
                step_scale: c,
                ode: times
                    .iter()
                    .map(|&t| {
                        limit
                            .solution(start, t, Correction::Included)
                            .orthogonal_squared_norm
                    })
                    .collect(),
                exact: (1..=records)
                    .map(|k| {
                        limit
                            .finite_dimension_moments(n, start, k * n / RECORDS_PER_TIME)
                            .orthogonal_squared_norm_mean
                    })
                    .collect(),
                simulated: (0..records)
                    .map(|k| {
                        let v: Vec<f64> = mine
                            .iter()
                            .map(|run| run[k].orthogonal_squared_norm)
                            .collect();
                        Estimate::from_replicates(&v)
                    })
                    .collect(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(CriticalPaths {
        dimension: n,
        replicas,
        times,
        finite_dimension_critical: LinearSingleIndexLimit::finite_dimension_critical_step_scale(n),
        curves,
    })
}

/// Section 4 rows: E r⊥² at the horizon against the exact finite-N mean (reference: the ODE).
pub(crate) fn rows(critical: &CriticalPaths) -> Vec<Row> {
    let last = critical.times.len() - 1;
    critical
        .curves
        .iter()
        .map(|curve| {
            Row::new(
                format!(
                    "E r⊥², t = {}, c = {}, N = {} (from θ₀ = 0)",
                    critical.times[last], curve.step_scale, critical.dimension
                ),
                Provenance::Derived,
            )
            .reference(curve.ode[last])
            .closed_form(curve.exact[last])
            .simulation(curve.simulated[last])
        })
        .collect()
}
