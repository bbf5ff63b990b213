//! Section 2: paths from θ₀ = 0 at c = 1 against the effective ODE (with and without the
//! corrector) and the exact finite-N moments, and the N^{−1/2} decay of the RMS error at t = 1.

use rayon::prelude::*;
use serde::Serialize;

use super::{chain, chain_seed, NOISE_SD};
use crate::error::Result;
use crate::reproductions::numbers::{sig6, sig6_vec, Estimate, Provenance, Row};
use crate::reproductions::Config;
use crate::stats::ols_slope::ols_slope_with_error;
use crate::theory::high_dimensional_sgd::{Correction, LinearSingleIndexLimit, SummaryState};

/// Step scale c of the path section.
pub(crate) const STEP_SCALE: f64 = 1.0;
/// Records per unit time.
const RECORDS_PER_TIME: usize = 10;
/// Recorded horizon (time units).
const HORIZON: usize = 2;
/// Record index of t = 1, where the error is measured.
const ERROR_RECORD: usize = RECORDS_PER_TIME - 1;

/// Replica paths at one dimension.
#[derive(Debug, Clone, Serialize)]
pub struct PathsAtDimension {
    /// Dimension N.
    pub dimension: usize,
    /// Replicas R.
    pub replicas: usize,
    /// Replica mean and standard error of m at every recorded time.
    pub overlap: Vec<Estimate>,
    /// Replica mean and standard error of r⊥² at every recorded time.
    pub orthogonal: Vec<Estimate>,
    /// Exact finite-N E m_k at every recorded time.
    #[serde(serialize_with = "sig6_vec")]
    pub exact_overlap: Vec<f64>,
    /// Exact finite-N E r⊥²_k at every recorded time.
    #[serde(serialize_with = "sig6_vec")]
    pub exact_orthogonal: Vec<f64>,
    /// N·|u_N(1) − u(1)|² averaged over replicas (OU prediction tr Σ(1)).
    pub scaled_squared_error: Estimate,
    /// RMS error E_N = (mean |u_N(1) − u(1)|²)^{1/2} against the corrected ODE.
    #[serde(serialize_with = "sig6")]
    pub rms_error: f64,
    /// Standard deviation of log E_N (delta method over the replicas).
    #[serde(serialize_with = "sig6")]
    pub log_rms_error_sd: f64,
    /// RMS error against the gradient-flow ODE (no corrector).
    #[serde(serialize_with = "sig6")]
    pub rms_error_gradient_flow: f64,
}

/// The path comparison.
#[derive(Debug, Clone, Serialize)]
pub struct PathComparison {
    /// Step scale c.
    pub step_scale: f64,
    /// Recorded times t = k/N.
    #[serde(serialize_with = "sig6_vec")]
    pub times: Vec<f64>,
    /// Corrected ODE m(t).
    #[serde(serialize_with = "sig6_vec")]
    pub ode_overlap: Vec<f64>,
    /// Corrected ODE r⊥²(t).
    #[serde(serialize_with = "sig6_vec")]
    pub ode_orthogonal: Vec<f64>,
    /// Gradient-flow r⊥²(t) (0 from θ₀ = 0).
    #[serde(serialize_with = "sig6_vec")]
    pub gradient_flow_orthogonal: Vec<f64>,
    /// OU path variances Σ_mm(t), Σ_rr(t) of √N(u − u(t)).
    #[serde(serialize_with = "sig6_vec")]
    pub ou_overlap_variance: Vec<f64>,
    /// Σ_rr(t).
    #[serde(serialize_with = "sig6_vec")]
    pub ou_orthogonal_variance: Vec<f64>,
    /// tr Σ(1).
    #[serde(serialize_with = "sig6")]
    pub ou_trace_at_one: f64,
    /// Per dimension.
    pub dimensions: Vec<PathsAtDimension>,
    /// Least-squares slope of log E_N on log N with its standard deviation.
    pub slope: Estimate,
    /// The same slope against the gradient-flow ODE.
    #[serde(serialize_with = "sig6")]
    pub slope_gradient_flow: f64,
}

fn design(cfg: &Config) -> Vec<(usize, usize)> {
    if cfg.quick {
        vec![(100, 64), (200, 32), (400, 16)]
    } else {
        vec![(100, 512), (400, 128), (1600, 32)]
    }
}

fn at_dimension(
    cfg: &Config,
    limit: &LinearSingleIndexLimit,
    n: usize,
    replicas: usize,
    ode: SummaryState,
    flow: SummaryState,
) -> Result<PathsAtDimension> {
    let records = HORIZON * RECORDS_PER_TIME;
    let start = vec![0.0; n];
    let runs: Vec<_> = (0..replicas)
        .into_par_iter()
        .map(|r| {
            let index = (n * 10_000 + r) as u64;
            chain(
                n,
                STEP_SCALE,
                &start,
                0,
                n / RECORDS_PER_TIME,
                records,
                chain_seed(cfg, 2, index),
            )
        })
        .collect::<Result<_>>()?;
    let column = |k: usize, f: fn(&crate::online::SummaryStatistics) -> f64| -> Estimate {
        Estimate::from_replicates(
            &runs
                .iter()
                .map(|run: &Vec<_>| f(&run[k]))
                .collect::<Vec<_>>(),
        )
    };
    let squared = |u: SummaryState| -> Vec<f64> {
        runs.iter()
            .map(|run| {
                let x = run[ERROR_RECORD];
                (x.overlap - u.overlap).powi(2)
                    + (x.orthogonal_squared_norm - u.orthogonal_squared_norm).powi(2)
            })
            .collect()
    };
    let q = Estimate::from_replicates(&squared(ode));
    let q_flow = Estimate::from_replicates(&squared(flow));
    let nf = n as f64;
    let start_state = SummaryState::new(0.0, 0.0);
    let exact: Vec<_> = (1..=records)
        .map(|k| limit.finite_dimension_moments(n, start_state, k * n / RECORDS_PER_TIME))
        .collect();
    Ok(PathsAtDimension {
        dimension: n,
        replicas,
        overlap: (0..records).map(|k| column(k, |u| u.overlap)).collect(),
        orthogonal: (0..records)
            .map(|k| column(k, |u| u.orthogonal_squared_norm))
            .collect(),
        exact_overlap: exact.iter().map(|e| e.overlap_mean).collect(),
        exact_orthogonal: exact
            .iter()
            .map(|e| e.orthogonal_squared_norm_mean)
            .collect(),
        scaled_squared_error: Estimate {
            value: nf * q.value,
            mcse: nf * q.mcse,
            dof: q.dof,
        },
        rms_error: q.value.sqrt(),
        // log E_N = ½ log Q̄: sd ½·se(Q̄)/Q̄.
        log_rms_error_sd: 0.5 * q.mcse / q.value,
        rms_error_gradient_flow: q_flow.value.sqrt(),
    })
}

/// Replica paths at every dimension against the ODE.
pub(crate) fn compare(cfg: &Config) -> Result<PathComparison> {
    let limit = LinearSingleIndexLimit::new(STEP_SCALE, NOISE_SD)?;
    let start = SummaryState::new(0.0, 0.0);
    let records = HORIZON * RECORDS_PER_TIME;
    let times: Vec<f64> = (1..=records)
        .map(|k| k as f64 / RECORDS_PER_TIME as f64)
        .collect();
    let solve = |t: f64, c: Correction| limit.solution(start, t, c);
    let covariance: Vec<_> = times
        .iter()
        .map(|&t| limit.fluctuation_covariance_path(start, t, 2_000).1)
        .collect();
    let ode = solve(1.0, Correction::Included);
    let flow = solve(1.0, Correction::Omitted);
    let dimensions = design(cfg)
        .into_iter()
        .map(|(n, r)| at_dimension(cfg, &limit, n, r, ode, flow))
        .collect::<Result<Vec<_>>>()?;
    let x: Vec<f64> = dimensions
        .iter()
        .map(|d| (d.dimension as f64).ln())
        .collect();
    let sd: Vec<f64> = dimensions.iter().map(|d| d.log_rms_error_sd).collect();
    let y: Vec<f64> = dimensions.iter().map(|d| d.rms_error.ln()).collect();
    let y_flow: Vec<f64> = dimensions
        .iter()
        .map(|d| d.rms_error_gradient_flow.ln())
        .collect();
    let (b, b_sd) = ols_slope_with_error(&x, &y, &sd);
    Ok(PathComparison {
        step_scale: STEP_SCALE,
        ode_overlap: times
            .iter()
            .map(|&t| solve(t, Correction::Included).overlap)
            .collect(),
        ode_orthogonal: times
            .iter()
            .map(|&t| solve(t, Correction::Included).orthogonal_squared_norm)
            .collect(),
        gradient_flow_orthogonal: times
            .iter()
            .map(|&t| solve(t, Correction::Omitted).orthogonal_squared_norm)
            .collect(),
        ou_overlap_variance: covariance.iter().map(|s| s[(0, 0)]).collect(),
        ou_orthogonal_variance: covariance.iter().map(|s| s[(1, 1)]).collect(),
        ou_trace_at_one: covariance[ERROR_RECORD].trace(),
        times,
        dimensions,
        // Normal reference (dof 0): the slope's sd propagates the replica errors.
        slope: Estimate {
            value: b,
            mcse: b_sd,
            dof: 0,
        },
        slope_gradient_flow: ols_slope_with_error(&x, &y_flow, &sd).0,
    })
}

/// Section 2 rows.
pub(crate) fn rows(paths: &PathComparison) -> Vec<Row> {
    let k = ERROR_RECORD;
    let mut rows = Vec::new();
    for d in &paths.dimensions {
        let at = format!("t = 1, N = {}", d.dimension);
        rows.push(
            Row::new(format!("E m, {at}"), Provenance::Derived)
                .reference(paths.ode_overlap[k])
                .closed_form(d.exact_overlap[k])
                .simulation(d.overlap[k]),
        );
        rows.push(
            Row::new(format!("E r⊥², {at}"), Provenance::Derived)
                .reference(paths.ode_orthogonal[k])
                .closed_form(d.exact_orthogonal[k])
                .simulation(d.orthogonal[k]),
        );
        rows.push(
            Row::new(
                format!("N·E|u_N − u|², {at} (OU: tr Σ(1))"),
                Provenance::Derived,
            )
            .closed_form(paths.ou_trace_at_one)
            .simulation(d.scaled_squared_error),
        );
    }
    if let Some(d) = paths.dimensions.last() {
        rows.push(
            Row::new(
                format!(
                    "E r⊥², t = 1, N = {}: gradient-flow ODE (corrector dropped)",
                    d.dimension
                ),
                Provenance::Derived,
            )
            .closed_form(paths.gradient_flow_orthogonal[k])
            .simulation(d.orthogonal[k])
            .known_difference("rejected: from θ₀ = 0 the gradient flow keeps r⊥² = 0"),
        );
    }
    rows.push(
        Row::new(
            "slope of log RMS error on log N, t = 1",
            Provenance::Derived,
        )
        .closed_form(-0.5)
        .simulation(paths.slope),
    );
    rows
}
