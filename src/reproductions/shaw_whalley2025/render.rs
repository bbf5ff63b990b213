//! Rendering of the `shaw-whalley2025` report: markdown table and figures.

use super::{Record, BIBTEX};
use crate::error::Result;
use crate::reproductions::gaussian_mean_problem::ADHIKARI2023_BIBTEX;
use crate::reproductions::plot::{self, Chart, Legend, Line};
use crate::reproductions::{to_json, Figure, Rendered};

/// README body and figures.
pub fn render(record: &Record) -> Result<Rendered> {
    let mut lines = Vec::new();
    for (k, curve) in record.ratios.iter().enumerate() {
        let zip = |ys: &[f64]| {
            record
                .grid
                .ha
                .iter()
                .cloned()
                .zip(ys.iter().cloned())
                .collect()
        };
        lines.push(Line {
            label: format!("RR every step / RM i.i.d., N/B = {}", 40 / curve.batch_size),
            points: zip(&curve.every_step_vs_iid),
            color: k + 1,
            width: 2,
        });
        lines.push(Line {
            label: format!("RR epoch ends / RM i.i.d., N/B = {}", 40 / curve.batch_size),
            points: zip(&curve.epoch_end_vs_iid),
            color: k + 1,
            width: 1,
        });
    }
    lines.push(Line {
        label: "ratio 1".into(),
        points: vec![
            (record.grid.ha[0], 1.0),
            (*record.grid.ha.last().expect("grid"), 1.0),
        ],
        color: 0,
        width: 1,
    });
    let chart = Chart {
        title: "Bias ratio W₂(RR)/W₂(RM) against the step size".into(),
        x_label: "h·a (h = ε/2)".into(),
        y_label: "W₂(RR) / W₂(RM)".into(),
        log_x: true,
        log_y: true,
        lines,
        legend: Legend::LowerRight,
        ..Chart::default()
    };
    let body = format!(
        "**Paper.** L. Shaw, P. A. Whalley (2025), \"Random reshuffling for stochastic gradient Langevin \
dynamics\", arXiv:2501.16055.\n\n\
**Claim.** Random reshuffling (RR: each epoch a random permutation cut into N/B batches) reduces \
SGLD's bias compared with Robbins–Monro (RM: independent batches every step); on the Gaussian model \
problem the bias is computed analytically. We reproduce the model problem with the exact \
discrete-time laws (the paper's Wasserstein bound and logistic-regression experiments need results \
and models not implemented here): the stochastic-gradient part of the bias is O(h) for RM, O(h²) for \
RR over all iterates and O(h³) at epoch ends, and W₂(RR) < W₂(RM) for every h·a ≤ 0.3 and \
N/B ∈ {{4, 10, 20}}.\n\n\
**Problem.** The 1-d model of `adhikari2023`: ℓ_i(θ) = (θ − x_i)²/2, prior N(0, 10²), N = 40, \
posterior precision a = {a}; SGLD θ ← θ − (ε/2)ĝ + √ε ξ, h = ε/2. RM is shown with i.i.d. indices \
and with B distinct indices per step. W₂ = |√v − √(1/a)| between centred Gaussians (our \
statistic; the paper's exact functional was not verified). The \"reference value\" column gives \
the leading-order relative biases (derived here), which the exact values approach as h → 0, so \
they differ from the exact values by the higher orders in h. Simulations: the real `sgld` sampler with \
`--batching with-replacement` or `reshuffle`, one chain each at h·a = 0.1.\n\n\
## Numbers\n\n{table}\n",
        a = a_of(record),
        table = crate::reproductions::numbers::markdown_table(&record.rows),
    );
    Ok(Rendered {
        id: "shaw-whalley2025",
        title: "shaw-whalley2025 — random reshuffling vs Robbins–Monro bias of SGLD on the Gaussian model".into(),
        body,
        figures: vec![Figure {
            file_name: "bias_ratio.svg".into(),
            caption: "W₂(RR)/W₂(RM) against h·a for N/B = 4, 10, 20 (every step: thick; epoch ends: thin)".into(),
            svg: plot::render(&chart)?,
        }],
        record: to_json(record)?,
        references: vec![BIBTEX, ADHIKARI2023_BIBTEX],
        verdicts: crate::reproductions::numbers::VerdictCounts::of(&record.rows),
    })
}

fn a_of(record: &Record) -> f64 {
    record.grid.posterior_precision
}
