//! Rendering of the `minibatch-regime` report: markdown table and figures.

use super::{Point, Record, FULL_RELAXATIONS, MAIN_FRACTION, QUICK_RELAXATIONS};
use crate::error::Result;
use crate::reproductions::bibliography;
use crate::reproductions::numbers::{markdown_table, round_significant, Num, VerdictCounts};
use crate::reproductions::plot::{self, Chart, Legend, Line, Markers};
use crate::reproductions::{to_json, Figure, Rendered};

/// README body and figures.
pub fn render(record: &Record) -> Result<Rendered> {
    Ok(Rendered {
        id: "minibatch-regime",
        title: "minibatch-regime — SGLD's stationary covariance with minibatch noise".into(),
        body: body(record),
        figures: vec![
            Figure {
                file_name: "ellipses.svg".into(),
                caption: "2-sd ellipses: posterior, exact discrete law, OU approximation, and the draws' sample covariance".into(),
                svg: plot::render(&ellipse_chart(record))?,
            },
            Figure {
                file_name: "error_vs_eps.svg".into(),
                caption: "Relative excess of tr Σ over the posterior (exact, OU, simulated) and the OU approximation's relative error, against ε".into(),
                svg: plot::render(&error_chart(record))?,
            },
        ],
        record: to_json(record)?,
        references: vec![bibliography::WELLING2011, bibliography::MANDT2017],
        verdicts: VerdictCounts::of(&record.rows),
    })
}

/// The 2-sd ellipses of the posterior, the exact and OU laws and the draws.
fn ellipse_chart(record: &Record) -> Chart {
    let s = &record.setup;
    let m = (record.posterior_mean[0], record.posterior_mean[1]);
    let as2 = |v: &[f64]| [[v[0], v[1]], [v[2], v[3]]];
    Chart {
        title: format!(
            "SGLD, N = {}, B = {}, ε = {:.3e}: 2-sd ellipses",
            s.data_size, s.batch_size, s.step_size
        ),
        x_label: "θ₁".into(),
        y_label: "θ₂".into(),
        equal_aspect: true,
        lines: vec![
            Line {
                label: "draws (sample covariance)".into(),
                points: plot::ellipse(m, as2(&record.simulated_covariance_matrix), 2.0),
                color: 3,
                width: 6,
            },
            Line {
                label: "posterior".into(),
                points: plot::ellipse(m, as2(&record.posterior_covariance), 2.0),
                color: 0,
                width: 0,
            },
            Line {
                label: "exact discrete law".into(),
                points: plot::ellipse(m, as2(&record.exact_covariance), 2.0),
                color: 1,
                width: 0,
            },
            Line {
                label: "OU approximation".into(),
                points: plot::ellipse(m, as2(&record.ou_covariance), 2.0),
                color: 2,
                width: 0,
            },
        ],
        markers: vec![Markers {
            label: "draws".into(),
            points: record.sample.iter().map(|p| (p[0], p[1], 0.0)).collect(),
            color: 3,
            size: 1,
        }],
        ..Chart::default()
    }
}

/// Relative excess covariance and the OU approximation's error against ε.
fn error_chart(record: &Record) -> Chart {
    let excess = |points: &[Point], f: &dyn Fn(&Point) -> f64| -> Vec<(f64, f64)> {
        points.iter().map(|p| (p.step_size, f(p))).collect()
    };
    let pts = &record.error_vs_step_size;
    Chart {
        title: "Excess covariance and the OU approximation's error against ε".into(),
        x_label: "ε (Welling–Teh)".into(),
        y_label: "relative quantity".into(),
        log_x: true,
        log_y: true,
        lines: vec![
            Line {
                label: "tr Σ / tr P⁻¹ − 1, exact".into(),
                points: excess(pts, &|p| p.trace_ratio_exact - 1.0),
                color: 1,
                width: 0,
            },
            Line {
                label: "tr Σ_OU / tr P⁻¹ − 1, OU".into(),
                points: excess(pts, &|p| p.trace_ratio_ou - 1.0),
                color: 2,
                width: 0,
            },
            Line {
                label: "‖Σ_OU − Σ‖_F/‖Σ‖_F".into(),
                points: excess(pts, &|p| p.ou_relative_error),
                color: 4,
                width: 0,
            },
        ],
        markers: vec![Markers {
            label: "simulation (± 2 MCSE)".into(),
            points: pts
                .iter()
                .filter_map(|p| {
                    p.trace_ratio_simulated
                        .map(|e| (p.step_size, e.value - 1.0, 2.0 * e.mcse))
                })
                .collect(),
            color: 3,
            size: 4,
        }],
        legend: Legend::UpperLeft,
        ..Chart::default()
    }
}

/// The markdown body: claim, problem, simulation and the table.
fn body(record: &Record) -> String {
    let s = &record.setup;
    let exact_of = |prefix: &str| {
        record
            .row(prefix)
            .and_then(|r| r.closed_form)
            .map_or(f64::NAN, |n| n.0)
    };
    let trace_ratio = exact_of("tr Σ / tr P⁻¹ — exact");
    let temperature = exact_of("tr(PΣ)/d (effective temperature) — exact");
    let steepest = exact_of("vᵀΣv / vᵀP⁻¹v, steepest posterior direction — exact");
    format!(
        "**Claim.** In the minibatch regime (N = {n}, B = {b}, small ε) SGLD's stationary covariance is far \
from the posterior — at ε = {eps:.3e} ({frac} of the stability limit {lim:.3e}) the covariance \
in posterior units is tr(PΣ)/d = {temp:.3} (+{temp_pct:.0}%), {steep:.3}× the posterior variance along the \
steepest posterior direction and tr Σ / tr P⁻¹ = {tr:.3} — and the exact discrete-time law of the affine random map, which keeps the state-dependent \
minibatch noise, predicts it to Monte-Carlo error. The Ornstein–Uhlenbeck approximation (continuous time, \
gradient noise at the optimum; Mandt et al. 2017 §3) is shown beside it. No paper prints these numbers: \
every value is derived here; the sampler is SGLD as in Welling & Teh (2011), eq. 4.\n\n\
**Problem.** Bayesian linear regression, d = 2, x = Lz with L = [[1, 0], [0.6, 0.5]], y = xᵀθ₀ + N(0, 1), \
θ₀ = (1, −0.5), prior N(0, I); data seed {ps}. Minibatches with replacement.\n\n\
**Simulation.** {chains} independent chain(s) per simulated ε, started at the stationary mean, burn-in \
20 relaxation times, then {tau} relaxation times; ratios are means of quadratic forms (θ − θ̄)ᵀW(θ − θ̄) \
with batch-means standard errors pooled over chains (the Frobenius ratio's error by the delta method).\n\n\
## Numbers at the main ε\n\n{table}\n\
Posterior covariance P⁻¹ = {post:?}; exact Σ = {exact:?}; OU Σ = {ou:?} (row-major, 6 significant digits).\n",
        n = s.data_size,
        b = s.batch_size,
        tr = trace_ratio,
        temp = temperature,
        temp_pct = 100.0 * (temperature - 1.0),
        steep = steepest,
        eps = s.step_size,
        frac = MAIN_FRACTION,
        lim = s.stability_limit,
        ps = s.problem_seed,
        chains = s.chains,
        tau = if s.quick { QUICK_RELAXATIONS } else { FULL_RELAXATIONS },
        table = markdown_table(&record.rows),
        post = record.posterior_covariance.iter().map(|v| Num(*v)).map(|n| round_significant(n.0, 6)).collect::<Vec<_>>(),
        exact = record.exact_covariance.iter().map(|v| round_significant(*v, 6)).collect::<Vec<_>>(),
        ou = record.ou_covariance.iter().map(|v| round_significant(*v, 6)).collect::<Vec<_>>(),
    )
}
