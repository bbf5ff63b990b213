//! The report's rows: the Hessian at the minimum, the stationary moments with and without
//! replacement, the probability currents and the fluctuation theorems, each against its closed
//! form (and the paper's value where it has one).

use nalgebra::DMatrix;

use super::{
    estimate, max_abs_off_diagonal, sampled_diffusion_ratio, slope_estimate, Linearised,
    SegmentStats, BATCH_SIZE, DATA_SEED, LEARNING_RATE, PAPER_EIGENVALUES, PAPER_MINIMUM, WINDOWS,
};
use crate::error::{Error, Result};
use crate::models::{generate_tanh_regression, Model, TanhRegressionParams};
use crate::reproductions::numbers::{round_significant, Estimate, Provenance, Row};
use crate::reproductions::simulate::run_seed;
use crate::reproductions::Config;
use crate::stats::pooled_slope::pooled_histogram;
use crate::stats::ratio_extremes::ratio_extremes;
use crate::stats::relative_distance::{relative_distance, relative_offset};
use crate::stats::replicates::ReplicateMean;
use crate::stats::segment_moments::segment_mean_and_variance;
use crate::stats::StatsError;
use crate::theory::nonequilibrium::{gaussian_exponential_moment, CurvatureModel, Discretisation};

/// Per coordinate, the pooled offset of the kept states from the centre and their variance about
/// it ([`segment_mean_and_variance`] of the segments' first and second moments).
fn offset_and_variances(
    segments: &[SegmentStats],
) -> std::result::Result<(Vec<ReplicateMean>, Vec<ReplicateMean>), StatsError> {
    let d = segments.first().map_or(0, |s| s.offset_mean.len());
    let per_coordinate = (0..d)
        .map(|a| {
            let means: Vec<f64> = segments.iter().map(|s| s.offset_mean[a]).collect();
            let squares: Vec<f64> = segments.iter().map(|s| s.offset_square[a]).collect();
            segment_mean_and_variance(&means, &squares)
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(per_coordinate.into_iter().unzip())
}

/// A statistic the report cannot form from its segments.
fn statistics_error(what: &str, error: impl std::fmt::Display) -> Error {
    Error::Invalid {
        what: what.into(),
        why: error.to_string(),
    }
}

/// Number of other noise draws over which the spread of the Hessian's extreme eigenvalues is
/// measured (data seeds `DATA_SEED + 1 ..= DATA_SEED + NOISE_DRAWS`).
const NOISE_DRAWS: u64 = 16;

/// Standard deviations of the smallest and largest Hessian eigenvalue at w* over
/// [`NOISE_DRAWS`] other draws of the regression noise: the scale on which a dataset with another
/// noise draw (the authors') differs from ours.
fn eigenvalue_spread() -> Result<(f64, f64)> {
    let mut extremes = Vec::new();
    for seed in DATA_SEED + 1..=DATA_SEED + NOISE_DRAWS {
        let model = generate_tanh_regression(&TanhRegressionParams::default(), seed)?;
        let minimum = model.minimum()?;
        let mut eigenvalues: Vec<f64> = nalgebra::SymmetricEigen::new(model.hessian_at(&minimum))
            .eigenvalues
            .iter()
            .copied()
            .collect();
        eigenvalues.sort_by(f64::total_cmp);
        extremes.push((eigenvalues[0], eigenvalues[eigenvalues.len() - 1]));
    }
    let sd = |pick: fn(&(f64, f64)) -> f64| {
        let values: Vec<f64> = extremes.iter().map(pick).collect();
        let k = values.len() as f64;
        let mean = values.iter().sum::<f64>() / k;
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0)).sqrt()
    };
    Ok((sd(|e| e.0), sd(|e| e.1)))
}

/// Why an eigenvalue of our Hessian differs from the authors': another noise draw, quantified by
/// the spread `sd` over other draws.
fn noise_draw_reason(ours: f64, paper: f64, sd: f64) -> String {
    format!(
        "the authors' data has another noise draw (their Julia stream cannot be reproduced); over \
         {NOISE_DRAWS} other draws this eigenvalue has standard deviation {:.3} ({:.1}%), so the \
         authors' value is {:.1} of those from ours",
        round_significant(sd, 3),
        100.0 * sd / ours,
        (paper - ours).abs() / sd
    )
}

/// Rows of the Hessian against the authors' and of the sampled diffusion (claim 2).
pub(super) fn curvature_rows(cfg: &Config, lin: &Linearised) -> Result<Vec<Row>> {
    let (sd_min, sd_max) = eigenvalue_spread()?;
    let mut rows = vec![
        Row::new("smallest Hessian eigenvalue at w*", Provenance::Paper)
            .paper(PAPER_EIGENVALUES[0])
            .closed_form(lin.lambda_min())
            .known_difference(noise_draw_reason(
                lin.lambda_min(),
                PAPER_EIGENVALUES[0],
                sd_min,
            )),
        Row::new("largest Hessian eigenvalue at w*", Provenance::Paper)
            .paper(PAPER_EIGENVALUES[6])
            .closed_form(lin.lambda_max())
            .known_difference(noise_draw_reason(
                lin.lambda_max(),
                PAPER_EIGENVALUES[6],
                sd_max,
            )),
        Row::new(
            "relative distance |w* − w*_paper|/|w*_paper|",
            Provenance::Derived,
        )
        .closed_form(relative_distance(&lin.minimum, &PAPER_MINIMUM)),
    ];
    let (ratio_min, ratio_max) = sampled_diffusion_ratio(
        &lin.model,
        &lin.minimum,
        lin.near.diffusion(),
        LEARNING_RATE,
        if cfg.quick { 20_000 } else { 400_000 },
        run_seed(cfg.seed, 1000),
    )?;
    rows.push(
        Row::new(
            "sampled ½Cov(Δw) / D_WR, smallest entry ratio (claim 2)",
            Provenance::Paper,
        )
        .paper(0.85)
        .closed_form(1.0)
        .simulation(ratio_min),
    );
    rows.push(
        Row::new(
            "sampled ½Cov(Δw) / D_WR, largest entry ratio (claim 2)",
            Provenance::Paper,
        )
        .paper(1.03)
        .closed_form(1.0)
        .simulation(ratio_max),
    );
    Ok(rows)
}

/// Rows of the stationary means and variances of the WR and WOR chains.
pub(super) fn moment_rows(
    lin: &Linearised,
    wr_segments: &[SegmentStats],
    wor_segments: &[SegmentStats],
) -> Result<Vec<Row>> {
    let minimum = &lin.minimum;
    let w_tilde = &lin.w_tilde;
    let moments = |segments| {
        offset_and_variances(segments).map_err(|e| statistics_error("stationary moments", e))
    };
    let (wr_offsets, wr_variances) = moments(wr_segments)?;
    let (wor_offsets, wor_variances) = moments(wor_segments)?;
    let extremes = |variances: &[ReplicateMean], theory: &[f64]| {
        ratio_extremes(variances, theory)
            .map(|(low, high)| (estimate(low), estimate(high)))
            .map_err(|e| statistics_error("variance ratios", e))
    };
    let offset = |offsets: &[ReplicateMean], target: &[f64]| {
        relative_offset(offsets, minimum, target, minimum)
            .map(estimate)
            .ok_or_else(|| statistics_error("stationary mean", "no coordinates"))
    };
    let (low, high) = extremes(&wr_variances, lin.covariance.diagonal().as_slice())?;
    let wr_offset = offset(&wr_offsets, minimum)?;
    let wor_offset_tilde = offset(&wor_offsets, w_tilde)?;
    let wor_offset = offset(&wor_offsets, minimum)?;
    let mut rows = vec![
        Row::new(
            "WR variances: simulated/Lyapunov, smallest diagonal ratio (Eq. 21)",
            Provenance::Paper,
        )
        .reference(1.0)
        .simulation(low),
        Row::new(
            "WR variances: simulated/Lyapunov, largest diagonal ratio (Eq. 21)",
            Provenance::Paper,
        )
        .reference(1.0)
        .simulation(high),
        Row::new(
            "WR stationary mean: |w̄ − w*|/|w*| (O(η); paper at η = 10⁻⁷)",
            Provenance::Paper,
        )
        .paper(5.2e-5)
        .simulation(wr_offset)
        .known_difference(scaled_paper_reason(5.2e-5, 1, wr_offset.value)),
        Row::new(
            "WOR effective-minimum shift |w̃ − w*|/|w*| (claim 4)",
            Provenance::Derived,
        )
        .closed_form(relative_distance(w_tilde, minimum)),
        Row::new(
            "WOR epoch-end mean: |w̄ − w̃|/|w*| (claim 4; O(η²); paper at η = 10⁻⁷)",
            Provenance::Paper,
        )
        .paper(2.0e-7)
        .simulation(wor_offset_tilde)
        .known_difference(scaled_paper_reason(2.0e-7, 2, wor_offset_tilde.value)),
        Row::new(
            "WOR epoch-end mean: |w̄ − w*|/|w*| (claim 4; O(η); paper at η = 10⁻⁷)",
            Provenance::Paper,
        )
        .paper(4.1e-5)
        .simulation(wor_offset)
        .known_difference(scaled_paper_reason(4.1e-5, 1, wor_offset.value)),
    ];
    let wor_c = DMatrix::from_fn(7, 7, |i, j| lin.wor.covariance[i][j]);
    let (low, high) = extremes(&wor_variances, wor_c.diagonal().as_slice())?;
    let epoch_scale =
        LEARNING_RATE * (lin.model.data_size() / BATCH_SIZE) as f64 * lin.lambda_max();
    let leading_order = format!(
        "the leading order keeps the epoch map Π_k(I − ηH_k) to first order in ηMH with H_k ≈ H \
         (M = N/B batches per epoch); here ηMλ_max = {:.2}, so relative corrections up to that \
         size are expected in the coordinates the stiff directions dominate",
        round_significant(epoch_scale, 2)
    );
    rows.push(
        Row::new(
            "WOR per-epoch variances: simulated/leading order (H_k ≈ H), smallest ratio",
            Provenance::Derived,
        )
        .reference(1.0)
        .simulation(low)
        .known_difference(leading_order.clone()),
    );
    rows.push(
        Row::new(
            "WOR per-epoch variances: simulated/leading order (H_k ≈ H), largest ratio",
            Provenance::Derived,
        )
        .reference(1.0)
        .simulation(high)
        .known_difference(leading_order),
    );
    Ok(rows)
}

/// The authors' η.
const PAPER_LEARNING_RATE: f64 = 1e-7;

/// Why a mean offset differs from the authors' printed value: theirs is at η = 10⁻⁷ on their
/// dataset, and the offset is O(η^`order`), so it is compared after scaling to our η.
fn scaled_paper_reason(paper: f64, order: i32, ours: f64) -> String {
    let scaled = paper * (LEARNING_RATE / PAPER_LEARNING_RATE).powi(order);
    format!(
        "the authors' value is at η = 10⁻⁷ on their dataset and the offset is O(η{}); scaled to our \
         η = 10⁻⁶ it is {:.1e}, and ours is {:.2} times that",
        if order == 2 { "²" } else { "" },
        scaled,
        ours / scaled
    )
}

/// The segment estimate of a per-segment statistic of the WR chains.
pub(super) type PerSegment<'a> = &'a dyn Fn(&dyn Fn(&SegmentStats) -> f64) -> Estimate;

/// Rows of the circulation, the area velocity and the mean entropy production.
pub(super) fn circulation_rows(
    lin: &Linearised,
    area_entry: (usize, usize),
    per: PerSegment<'_>,
) -> Vec<Row> {
    let q = &lin.circulation;
    let wor_q = DMatrix::from_fn(7, 7, |i, j| lin.wor.circulation[i][j]);
    vec![
        Row::new("max |Q_ij| WR, per step", Provenance::Derived)
            .closed_form(max_abs_off_diagonal(q).0),
        Row::new(
            "max |Q_ij| WOR, per epoch (leading order)",
            Provenance::Derived,
        )
        .closed_form(max_abs_off_diagonal(&wor_q).0),
        Row::new(
            format!(
                "area velocity of entry ({}, {}) vs Q (claim 6)",
                area_entry.0 + 1,
                area_entry.1 + 1
            ),
            Provenance::Derived,
        )
        .closed_form(q[area_entry])
        .simulation(per(&|s| s.area)),
        Row::new(
            "mean entropy production per step ⟨σ⟩, midpoint (Eq. 29, OU)",
            Provenance::Paper,
        )
        .closed_form(lin.sigma_ou)
        .simulation(per(&|s| s.entropy_midpoint)),
        Row::new(
            "mean entropy production per step, exact linearised discrete chain",
            Provenance::Derived,
        )
        .closed_form(lin.sigma_exact),
        Row::new(
            "mean entropy production per step ⟨σ⟩, start point (authors' rule)",
            Provenance::Paper,
        )
        .closed_form(lin.sigma_ou)
        .simulation(per(&|s| s.entropy_start_point))
        .known_difference(
            "the start-point (Itô) estimator is biased when the noise is state-dependent \
             (docs/nonequilibrium.md); the midpoint row agrees",
        ),
    ]
}

/// Rows of the integral and detailed fluctuation theorems per window, and the detailed-FT points
/// (abscissae, log ratios) of the τ = 3 window.
pub(super) fn fluctuation_rows(
    lin: &Linearised,
    wr_segments: &[SegmentStats],
    per: PerSegment<'_>,
) -> Result<(Vec<Row>, Vec<f64>, Vec<f64>)> {
    let paper_ift = [0.9999738, 0.9999385, 0.9999316];
    let mut rows = Vec::new();
    let (mut detailed_abscissa, mut detailed_log_ratio) = (Vec::new(), Vec::new());
    for (w, &window) in WINDOWS.iter().enumerate() {
        rows.push(
            Row::new(
                format!("integral FT ⟨e^(−Σ_τ)⟩, τ = {window}"),
                Provenance::Paper,
            )
            .paper(paper_ift[w])
            .closed_form(gaussian_exponential_moment(
                &lin.near.mean_matrix(),
                &lin.discrete_covariance,
                &lin.estimator,
                window,
                Discretisation::Midpoint,
                1.0,
            )?)
            .simulation(per(&|s| s.integral_ft[w])),
        );
        let mut row = Row::new(
            format!("detailed FT slope of ln P(Σ_τ)/P(−Σ_τ), τ = {window}"),
            Provenance::Paper,
        )
        .reference(1.0);
        if let Some(slope) = slope_estimate(wr_segments, w) {
            row = row.simulation(slope);
        }
        rows.push(row);
        if let (3, Some(pooled)) = (
            window,
            pooled_histogram(wr_segments.iter().map(|s| &s.histograms[w])),
        ) {
            for (x, y, _) in pooled.points() {
                detailed_abscissa.push(x);
                detailed_log_ratio.push(y);
            }
        }
    }
    Ok((rows, detailed_abscissa, detailed_log_ratio))
}
