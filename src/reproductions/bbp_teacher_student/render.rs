//! Rendering of the `bbp-teacher-student` report: markdown table and figures.

use super::{BbpPoint, Cell, Phase, Record, ASPECT_RATIO};
use crate::error::Result;
use crate::reproductions::bibliography;
use crate::reproductions::numbers::{markdown_table, Estimate, VerdictCounts};
use crate::reproductions::plot::{self, Chart, Legend, Line, Markers, VerticalLine};
use crate::reproductions::{to_json, Figure, Rendered};
use crate::theory::bbp::{self, BulkNoise};

fn phase_markers(cells: &[Cell]) -> Vec<Markers> {
    let phases = [
        (Phase::Detached, "detached", 3),
        (Phase::NotYet, "inside the bulk", 2),
        (Phase::Divergent, "divergent", 1),
    ];
    // Large discs in the predicted phase's colour under small discs in the simulated one's: a
    // cell whose simulation contradicts the prediction shows a ring of another colour.
    let layer = |predicted: bool, size: u32| {
        phases
            .into_iter()
            .map(move |(phase, name, color): (Phase, &str, usize)| Markers {
                // One legend entry explains the predicted layer (same colours as the simulated).
                label: match (predicted, phase) {
                    (false, _) => format!("simulated: {name}"),
                    (true, Phase::Detached) => "large disc: predicted phase".into(),
                    (true, _) => String::new(),
                },
                points: cells
                    .iter()
                    .filter(|c| (if predicted { c.predicted } else { c.simulated }) == phase)
                    .map(|c| (c.x, c.y, 0.0))
                    .collect(),
                color,
                size,
            })
    };
    layer(true, 8).chain(layer(false, 4)).collect()
}

/// The BBP limit curve `f` of the outlier at c = 1/4, unit scale, over θ ∈ [0.05, 2.55].
fn limit_curve(f: fn(&bbp::Outlier) -> f64) -> Result<Vec<(f64, f64)>> {
    let noise = BulkNoise::new(1, 4, 0.25)?; // c = 1/4, unit scale
    (0..200)
        .map(|k| 0.05 + 2.5 * k as f64 / 199.0)
        .map(|t| noise.outlier(t).map(|o| (t, f(&o))))
        .collect()
}

/// Simulated BBP points of `record` (mean ± 2 SE of quantity `f`), one marker series per size.
fn size_markers(record: &Record, f: fn(&BbpPoint) -> Estimate) -> Vec<Markers> {
    let sizes: Vec<usize> = {
        let mut s: Vec<usize> = record.bbp.iter().map(|p| p.rows).collect();
        s.dedup();
        s.sort_unstable();
        s.dedup();
        s
    };
    sizes
        .iter()
        .enumerate()
        .map(|(k, &n)| Markers {
            label: format!(
                "simulated, n = {n}, m = {}",
                (n as f64 / ASPECT_RATIO) as usize
            ),
            points: record
                .bbp
                .iter()
                .filter(|p| p.rows == n)
                .map(|p| {
                    let e = f(p);
                    (p.strength, e.value, 2.0 * e.mcse)
                })
                .collect(),
            color: k + 2,
            size: 3,
        })
        .collect()
}

/// Figure 1: outlier location against θ.
fn location_chart(record: &Record) -> Result<Chart> {
    Ok(Chart {
        title: "Top singular value of X + θuvᵀ, c = 1/4: BBP location vs simulation".into(),
        x_label: "θ".into(),
        y_label: "top singular value".into(),
        lines: vec![Line {
            label: "BBP: √((1+θ²)(c+θ²))/θ above c^{1/4}, edge 1+√c below".into(),
            points: limit_curve(|o| o.singular_value)?,
            color: 0,
            width: 0,
        }],
        markers: size_markers(record, |p| p.singular_value),
        verticals: vec![VerticalLine {
            label: "threshold c^{1/4}".into(),
            x: ASPECT_RATIO.powf(0.25),
            color: 1,
        }],
        legend: Legend::UpperLeft,
        ..Chart::default()
    })
}

/// Figure 2: squared overlaps against θ.
fn overlap_chart(record: &Record) -> Result<Chart> {
    let mut overlap_markers = size_markers(record, |p| p.left_overlap);
    for m in size_markers(record, |p| p.right_overlap) {
        overlap_markers.push(Markers {
            label: format!("{} (right)", m.label),
            color: m.color + 2,
            ..m
        });
    }
    Ok(Chart {
        title: "Squared singular-vector overlaps, c = 1/4 (left: short side, dimension n; right: dimension m)"
            .into(),
        x_label: "θ".into(),
        y_label: "overlap²".into(),
        lines: vec![
            Line {
                label: "BBP left 1 − c(1+θ²)/(θ²(θ²+c))".into(),
                points: limit_curve(|o| o.left_overlap)?,
                color: 0,
                width: 0,
            },
            Line {
                label: "BBP right 1 − (c+θ²)/(θ²(θ²+1))".into(),
                points: limit_curve(|o| o.right_overlap)?,
                color: 1,
                width: 0,
            },
        ],
        markers: overlap_markers,
        verticals: vec![VerticalLine {
            label: "threshold".into(),
            x: ASPECT_RATIO.powf(0.25),
            color: 1,
        }],
        legend: Legend::UpperLeft,
        ..Chart::default()
    })
}

/// Figure 3: top singular values during gradient descent.
fn trajectory_chart(record: &Record) -> Chart {
    let tr = &record.trajectory;
    let steps = tr.measured.len();
    let mut lines = vec![Line {
        label: "predicted bulk edge".into(),
        points: (0..steps).map(|t| (t as f64, tr.bulk_edge[t])).collect(),
        color: 0,
        width: 1,
    }];
    let mut traj_markers = Vec::new();
    for alpha in 0..tr.teacher_strengths.len() {
        lines.push(Line {
            label: format!(
                "predicted σ_{} (θ* = {:.2})",
                alpha + 1,
                tr.teacher_strengths[alpha]
            ),
            points: (0..steps)
                .map(|t| (t as f64, tr.predicted[t][alpha]))
                .collect(),
            color: alpha + 1,
            width: 0,
        });
        traj_markers.push(Markers {
            label: format!("measured σ_{}", alpha + 1),
            points: (0..steps)
                .step_by(4)
                .map(|t| (t as f64, tr.measured[t][alpha], 0.0))
                .collect(),
            color: alpha + 1,
            size: 2,
        });
    }
    Chart {
        title: format!(
            "Gradient descent: top singular values of W_t (n = {}, m = {}, N = {}, η = {}, σ₀ = {})",
            tr.shape.0, tr.shape.1, tr.shape.2, tr.learning_rate, tr.init_scale
        ),
        x_label: "step t".into(),
        y_label: "singular value".into(),
        lines,
        markers: traj_markers,
        verticals: tr
            .detachment_times
            .iter()
            .enumerate()
            .filter_map(|(a, t)| {
                t.map(|t| VerticalLine {
                    label: format!("t* mode {}", a + 1),
                    x: t,
                    color: a + 1,
                })
            })
            .collect(),
        legend: Legend::UpperRight,
        ..Chart::default()
    }
}

/// Figure 4: the (η, σ₀) trainability diagram.
fn trainability_chart(record: &Record) -> Chart {
    Chart {
        title: format!(
            "Trainability in (η, σ₀): GD, n = 20, m = 40, θ* = 1, phase at T = {} steps",
            record.budget
        ),
        x_label: "learning rate η".into(),
        y_label: "initial scale σ₀".into(),
        log_y: true,
        lines: vec![Line {
            label: "t*(η, σ₀) = T (derived)".into(),
            points: record.boundary.clone(),
            color: 0,
            width: 0,
        }],
        markers: {
            // An invisible point a decade above the top row of cells: the legend sits in that
            // headroom instead of covering the cells.
            let top = record.trainability.iter().map(|c| c.y).fold(0.0, f64::max);
            let mut markers = phase_markers(&record.trainability);
            markers.push(Markers {
                label: String::new(),
                points: vec![(record.trainability[0].x, 10.0 * top, 0.0)],
                color: 0,
                size: 0,
            });
            markers
        },
        verticals: vec![VerticalLine {
            label: "divergence η = 2/(1 + κ)".into(),
            x: 2.0 / (1.0 + 1.0 / 80.0),
            color: 1,
        }],
        legend: Legend::UpperMiddle,
        ..Chart::default()
    }
}

/// Figure 5: the (c, θ) BBP diagram.
fn signal_chart(record: &Record) -> Chart {
    Chart {
        title: "BBP phase diagram in (aspect ratio c, signal θ), unit bulk scale".into(),
        x_label: "c = n/m".into(),
        y_label: "θ".into(),
        lines: vec![Line {
            label: "threshold θ = c^{1/4}".into(),
            points: (1..=100)
                .map(|k| {
                    let x = k as f64 / 100.0;
                    (x, x.powf(0.25))
                })
                .collect(),
            color: 0,
            width: 0,
        }],
        markers: phase_markers(&record.signal_aspect),
        legend: Legend::LowerRight,
        ..Chart::default()
    }
}

/// The README body.
fn body(record: &Record) -> String {
    format!(
        "**Paper.** C. Park, M. Bocchi, A. D'Amico, B. Lucini, G. Aarts (2026), \"Spectral phase \
transitions and trainability in neural network learning dynamics\", arXiv:2606.28486. Only the abstract \
was available: the claims reproduced are the abstract's (training reshapes the bulk and amplifies the \
signal, so isolated singular values detach from the bulk in a BBP transition; in a solvable linear \
teacher–student model the spectral evolution is analytic and gives a trainability phase diagram in \
(learning rate, initial weight variance)). Every formula below is either the standard BBP result \
(Benaych-Georges & Nadakuditi 2012) or derived here; none is the paper's.\n\n\
**Model.** Student W ∈ ℝ^{{n×m}}, teacher W* of rank r, y = W*x + σ_ε ε, inputs whitened exactly on \
the sample; loss (1/2N)Σ‖Wx − y‖² + (κ/2)‖W‖², κ = λσ²/N. W₀ has i.i.d. N(0, σ₀²/m) entries. \
Gradient descent is the real `sgd` sampler with B = N; SGD has B = 4. See docs/bbp-teacher-student.md.\n\n\
**Figures.** (1, 2) outlier location and squared overlaps against θ at c = 1/4, simulated at two sizes \
(means over replicas ± 2 SE) against the rectangular BBP formulas; (3) the top two singular values of \
W_t during gradient descent against the prediction (bulk of variance a^{{2t}}σ₀²/m + (1 − a^t)²σ_ε²/N, \
signal (1 − a^t)θ*/(1 + κ), a = 1 − η(1 + κ)), with the detachment times t*; (4) the trainability \
diagram in (η, σ₀) after T steps: divergence at η = 2/(1 + κ), and the derived boundary t* = T \
between detached and still-in-the-bulk (large discs: the predicted phase; small discs: the simulated \
one, so a ring of another colour marks a cell where they differ); (5) the BBP diagram in (c, θ) with the threshold c^{{1/4}}; \
(6) the eigenvalues of the exact finite-n second moments E[ΔᵀΔ]/n and E[ΔΔᵀ]/m of the stationary SGD \
fluctuation Δ = W − W_∞ on the problem of figure 3, against the asymptotic flat bulk.\n\n\
## Numbers\n\n{table}\n\
The location and overlap rows (θ = {theta:.2}) average {replicas} independent replicas per size, \
so their standard errors are precise; the other points of figures 1 and 2 average {few} replicas \
each (error bars ± 2 SE).\n\n\
The leading-order stationary SGD variance ησ_ε²/(B(2 − η)) omits the multiplicative \
minibatch noise; the exact Gaussian-input value is ησ_ε²/(B(2 − η) − η(m + 1)) (derived here), which \
the simulation confirms. SGD's trainability limit is therefore the mean-square limit \
2B/(B + m + 1) (for κ = 0), far below gradient descent's η < 2 when m ≫ B.\n\n\
The exact-law rows solve the exact finite-n stationary law of SGD (B = 40, ε = 0.05) and of SGLD on \
the problem of figure 3 (n·m = {nm} parameters): the student's rows share their inputs, so every m×m \
block of the (nm)×(nm) second moment solves the same generalised Stein equation (derived here), and \
each quantity is one m×m solve. They compare it with the Gaussian-input (N → ∞) predictions above; \
the differences are finite-sample effects of this sample with N = 2m, not Monte-Carlo error.\n",
        table = markdown_table(&record.rows),
        theta = record.strengths[record.strengths.len() - 1],
        replicas = record.table_replicas,
        few = record.figure_replicas,
        nm = record.exact_law.shape.0 * record.exact_law.shape.1,
    )
}

/// README body and figures.
pub fn render(record: &Record) -> Result<Rendered> {
    Ok(Rendered {
        id: "bbp-teacher-student",
        title: "bbp-teacher-student — BBP spectral transition and trainability in the linear teacher–student model".into(),
        body: body(record),
        figures: vec![
            Figure {
                file_name: "outlier_location.svg".into(),
                caption: "Top singular value against the signal strength θ, c = 1/4".into(),
                svg: plot::render(&location_chart(record)?)?,
            },
            Figure {
                file_name: "overlaps.svg".into(),
                caption: "Squared singular-vector overlaps against θ, c = 1/4".into(),
                svg: plot::render(&overlap_chart(record)?)?,
            },
            Figure {
                file_name: "spectral_evolution.svg".into(),
                caption: "Top singular values during gradient descent with predicted detachment".into(),
                svg: plot::render(&trajectory_chart(record))?,
            },
            Figure {
                file_name: "trainability.svg".into(),
                caption: "Trainability phase diagram in (η, σ₀)".into(),
                svg: plot::render(&trainability_chart(record))?,
            },
            Figure {
                file_name: "signal_aspect.svg".into(),
                caption: "BBP phase diagram in (c, θ)".into(),
                svg: plot::render(&signal_chart(record))?,
            },
            Figure {
                file_name: "exact_fluctuation_spectrum.svg".into(),
                caption: "Spectra of the exact stationary SGD fluctuation's second moments".into(),
                svg: plot::render(&super::exact_law::fluctuation_spectrum_chart(&record.exact_law))?,
            },
        ],
        record: to_json(record)?,
        references: vec![bibliography::PARK2026_BENAYCH2012],
        verdicts: VerdictCounts::of(&record.rows),
    })
}
