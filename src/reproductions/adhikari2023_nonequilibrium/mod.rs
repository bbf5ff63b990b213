//! `adhikari2023-nonequilibrium`: the out-of-equilibrium parts of Adhikari, Kabakçıoğlu, Strang,
//! Yuret & Hinczewski (2023), "Machine learning in and out of equilibrium" (arXiv:2306.03521): the
//! nonlinear-regression example of the authors' notebooks (7-parameter tanh network, N = 200,
//! B = 10) trained by constant-step SGD with fresh distinct-index batches (the paper's "WR") and
//! with reshuffled epochs (the paper's "WOR"); the diffusion matrix, the Lyapunov covariance, the
//! circulation, the mean entropy production (paper Eq. 29) and the integral and detailed
//! fluctuation theorems; and, on a 2-d quadratic problem with non-commuting H and D, where the
//! continuous-time statements break as the step size grows.
//!
//! # Conventions
//! The paper's map w ← w − η∇L_b is the crate's `sgd` with ε = ηN ([`crate::theory::nonequilibrium`]).
//! We run η = 10⁻⁶ (the paper: 10⁻⁷ with 3·10⁷ steps, too long here), ηλ_max ≈ 0.03, well inside
//! the quadratic regime. Simulations stream every step: entropy production per step with the OU
//! matrices at w* (midpoint rule; the authors' start-point rule beside it), window sums Σ_τ over
//! sliding windows of τ = 1, 2, 3 steps, and the stochastic area. Monte-Carlo errors come from
//! segment means (batch means over segments much longer than the slowest relaxation time) pooled
//! over independent chains seeded by [`run_seed`], so results do not depend on the thread count.

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

use super::numbers::{sig6, sig6_vec, Estimate, Row};
use super::simulate::run_seed;
use super::Config;
use crate::batching::{minibatch_gradient, Batching, Minibatcher};
use crate::error::{Error, Result};
use crate::models::{
    generate_tanh_regression, GaussianMean, Model, TanhRegression, TanhRegressionParams,
};
use crate::stats::half_covariance::HalfCovariance;
use crate::stats::pooled_slope::pooled_slope;
use crate::stats::ratio_extremes::ratio_extremes;
use crate::stats::replicates::{replicate_mean, ReplicateMean};
use crate::theory::nonequilibrium::{
    expected_step_entropy, gaussian_exponential_moment, report_at, CurvatureModel, Discretisation,
    EntropyProduction, NearMinimum, NonequilibriumTheory,
};
use crate::theory::sgd_linearisation::{linearisation, sgd_config};

mod render;
mod rows;
mod streaming;
#[cfg(test)]
mod tests;
pub use render::render;
use rows::{circulation_rows, curvature_rows, fluctuation_rows, moment_rows};
use streaming::{stream_chain, SegmentStats, StreamSettings};

use super::gaussian_mean_problem::ADHIKARI2023_BIBTEX as BIBTEX;

/// Seed of the regression data (ChaCha20; the authors' Julia stream cannot be reproduced).
const DATA_SEED: u64 = 1;
/// Batch size B (the notebooks').
const BATCH_SIZE: usize = 10;
/// Our learning rate η (the paper's: 10⁻⁷).
const LEARNING_RATE: f64 = 1e-6;
/// Window lengths τ of the fluctuation theorems (the notebooks').
const WINDOWS: [usize; 3] = [1, 2, 3];
/// The authors' Hessian eigenvalues at their w* (their dataset; loose cross-check only).
const PAPER_EIGENVALUES: [f64; 7] = [55.02, 58.52, 397.25, 1848.56, 3097.67, 24658.46, 28317.71];
/// The authors' w* (their dataset).
const PAPER_MINIMUM: [f64; 7] = [
    1.28333, 1.23075, 0.70458, -0.53175, 0.92781, -0.90885, -0.0088418,
];
/// Correlation ρ of the 2-d circulating problem's minibatch noise (before the curvature).
const CIRCULATING_CORRELATION: f64 = 0.5;

/// The nonlinear-regression data of the notebooks with our seed.
fn regression_problem() -> Result<TanhRegression> {
    generate_tanh_regression(&TanhRegressionParams::default(), DATA_SEED)
}

/// A 2-d Gaussian-mean problem whose minibatch noise does not commute with the Hessian, so its
/// SGD stationary state circulates: curvature A = diag(1, 5), N = 100 centres z_i = (u_i, v_i/5)
/// with (u, v) standard normal of correlation ρ ([`CIRCULATING_CORRELATION`]) from ChaCha20 seed 3,
/// prior precision 1, so H = diag(101, 501) and the gradient-noise covariance A Cov(z) A ≈
/// [[1, ρ], [ρ, 1]].
fn circulating_problem() -> Result<GaussianMean> {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let rho = CIRCULATING_CORRELATION;
    let centres = (0..100)
        .map(|_| {
            let a: f64 = rng.sample(StandardNormal);
            let b: f64 = rng.sample(StandardNormal);
            vec![a, (rho * a + (1.0 - rho * rho).sqrt() * b) / 5.0]
        })
        .collect();
    GaussianMean::new(
        DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 5.0]),
        centres,
        vec![0.0, 0.0],
        1.0,
    )
}

/// The report's form of a replicate mean (segments or chains as replicates).
fn estimate(r: ReplicateMean) -> Estimate {
    Estimate {
        value: r.mean,
        mcse: r.standard_error,
        dof: r.dof,
    }
}

/// Mean and standard error of segment means (t with K − 1 degrees of freedom).
fn segment_estimate(values: &[f64]) -> Estimate {
    estimate(replicate_mean(values))
}

/// Detailed-FT slope of window `window` from the segments' histograms
/// ([`crate::stats::pooled_slope`]).
fn slope_estimate(segments: &[SegmentStats], window: usize) -> Option<Estimate> {
    pooled_slope(segments.iter().map(|s| &s.histograms[window])).map(estimate)
}

/// Sampled ½Cov(Δw) of `draws` single SGD steps at fixed w = `at` against D (claim 2; the
/// notebooks' check): the entries with the smallest and largest ratio sampled/D among those with
/// |D_ij| ≥ 0.1 max|D| ([`HalfCovariance`] of the minibatch gradients about the exact mean ∇L(w),
/// scaled by η², and [`ratio_extremes`]).
fn sampled_diffusion_ratio(
    model: &dyn Model,
    at: &[f64],
    diffusion: &DMatrix<f64>,
    learning_rate: f64,
    draws: usize,
    seed: u64,
) -> Result<(Estimate, Estimate)> {
    let d = model.dimension();
    let mut batcher =
        Minibatcher::new(Batching::WithoutReplacement, model.data_size(), BATCH_SIZE)?;
    let mut rng = crate::chain::streams(seed).0;
    let mut mean = vec![0.0; d];
    model.full_gradient(at, &mut mean);
    let mut gradient = vec![0.0; d];
    let mut half_covariance = HalfCovariance::new(&mean, learning_rate.powi(2));
    for _ in 0..draws {
        let batch = batcher.next_batch(&mut rng);
        minibatch_gradient(model, at, batch, &mut gradient);
        half_covariance.add(&gradient);
    }
    let threshold = 0.1 * diffusion.amax();
    let (entries, references): (Vec<ReplicateMean>, Vec<f64>) = half_covariance
        .entries()
        .into_iter()
        .zip(diffusion.iter())
        .filter(|(_, reference)| reference.abs() >= threshold)
        .map(|(entry, reference)| (entry, *reference))
        .unzip();
    let (min, max) = ratio_extremes(&entries, &references).map_err(|_| Error::Invalid {
        what: "diffusion check".into(),
        why: "D has no non-zero entry".into(),
    })?;
    Ok((estimate(min), estimate(max)))
}

/// One step size of the 2-d sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    /// ηλ_max.
    #[serde(serialize_with = "sig6")]
    pub(crate) eta_lambda: f64,
    /// tr(QᵀD⁻¹QC⁻¹) with the OU covariance (paper Eq. 29).
    #[serde(serialize_with = "sig6")]
    pub(crate) entropy_ou: f64,
    /// Exact discrete-time expectation of the midpoint estimator.
    #[serde(serialize_with = "sig6")]
    pub(crate) entropy_exact: f64,
    /// Simulated mean σ.
    pub(crate) entropy_simulated: Estimate,
    /// ⟨e^{−σ}⟩ (one step) of the Gaussian linear chain, exact.
    #[serde(serialize_with = "sig6")]
    pub(crate) integral_ft_gaussian: f64,
    /// Simulated ⟨e^{−σ}⟩ (one step).
    pub(crate) integral_ft_simulated: Estimate,
    /// ⟨e^{−2σ}⟩ (one step) of the Gaussian linear chain, exact; `None` where it diverges (e^{−σ}
    /// then has infinite variance and its Monte-Carlo error bar is not reliable).
    #[serde(serialize_with = "sig6_option")]
    pub(crate) integral_ft_second_moment: Option<f64>,
    /// Simulated detailed-FT slope (one step).
    pub(crate) detailed_slope: Option<Estimate>,
}

fn sig6_option<S: serde::Serializer>(
    x: &Option<f64>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match x {
        Some(x) => sig6(x, serializer),
        None => serializer.serialize_none(),
    }
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration.
    pub(crate) quick: bool,
    /// Master seed.
    pub(crate) seed: u64,
    /// η.
    #[serde(serialize_with = "sig6")]
    pub(crate) learning_rate: f64,
    /// w*.
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) minimum: Vec<f64>,
    /// WOR effective minimum w̃.
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) effective_minimum: Vec<f64>,
    /// Eigenvalues of H at w*.
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) hessian_eigenvalues: Vec<f64>,
    /// ηλ_max.
    #[serde(serialize_with = "sig6")]
    pub(crate) eta_lambda: f64,
    /// The table.
    pub rows: Vec<Row>,
    /// 2-d sweep.
    pub(crate) sweep: Vec<SweepPoint>,
    /// Detailed-FT points of the τ = 3 window: abscissae x_k = ln(n₊/t₊) ≈ A
    /// ([`crate::stats::fluctuation_histogram::SymmetricHistogram`]).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) detailed_abscissa: Vec<f64>,
    /// Detailed-FT points of the τ = 3 window: ln P(A)/P(−A) = ln(n₊/n₋).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) detailed_log_ratio: Vec<f64>,
}

impl Record {
    /// The first row whose quantity starts with `prefix`.
    pub fn row(&self, prefix: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.quantity.starts_with(prefix))
    }
}

/// The largest |m_ij| over the upper triangle i < j (Q is antisymmetric: scanning both triangles
/// would let a last-bit difference between |Q_ij| and |Q_ji| pick the orientation).
fn max_abs_off_diagonal(m: &DMatrix<f64>) -> (f64, (usize, usize)) {
    let mut best = (0.0, (0, 1));
    for i in 0..m.nrows() {
        for j in i + 1..m.ncols() {
            if m[(i, j)].abs() > best.0 {
                best = (m[(i, j)].abs(), (i, j));
            }
        }
    }
    best
}

/// The closed forms at the minimum of the tanh regression for the paper's WR and WOR chains.
struct Linearised {
    model: TanhRegression,
    minimum: Vec<f64>,
    near: NearMinimum,
    /// Lyapunov (OU) covariance C.
    covariance: DMatrix<f64>,
    /// Exact discrete-time covariance of the linearised chain.
    discrete_covariance: DMatrix<f64>,
    circulation: DMatrix<f64>,
    estimator: EntropyProduction,
    /// ⟨σ⟩ by paper Eq. 29.
    sigma_ou: f64,
    /// ⟨σ⟩ of the exact linearised discrete chain (midpoint rule).
    sigma_exact: f64,
    /// The reshuffled (WOR) closed forms.
    wor: NonequilibriumTheory,
    /// w̃, the WOR effective minimum.
    w_tilde: Vec<f64>,
    /// Eigenvalues of H, ascending.
    eigenvalues: Vec<f64>,
}

impl Linearised {
    fn new() -> Result<Self> {
        let model = regression_problem()?;
        let minimum = model.minimum()?;
        let n = model.data_size();
        let eta = LEARNING_RATE;
        let near = linearisation(&model, &minimum, eta, BATCH_SIZE)?;
        let covariance = near.stationary_covariance()?;
        let discrete_covariance = near.discrete_stationary_covariance()?;
        let circulation = near.circulation(&covariance);
        let estimator = EntropyProduction::new(
            &minimum,
            &near.velocity_matrix(&covariance)?,
            near.diffusion(),
        )?;
        let sigma_ou = near.mean_entropy_production(&covariance)?;
        let sigma_exact = expected_step_entropy(
            &near.mean_matrix(),
            &discrete_covariance,
            &estimator,
            Discretisation::Midpoint,
        );
        let wor = report_at(
            &model,
            &minimum,
            &sgd_config(n, eta, BATCH_SIZE, Batching::Reshuffle),
        )?;
        let w_tilde = wor.effective_minimum.clone().unwrap_or_default();
        let mut eigenvalues: Vec<f64> = nalgebra::SymmetricEigen::new(near.hessian().clone())
            .eigenvalues
            .iter()
            .copied()
            .collect();
        eigenvalues.sort_by(f64::total_cmp);
        Ok(Self {
            model,
            minimum,
            near,
            covariance,
            discrete_covariance,
            circulation,
            estimator,
            sigma_ou,
            sigma_exact,
            wor,
            w_tilde,
            eigenvalues,
        })
    }

    fn lambda_min(&self) -> f64 {
        self.eigenvalues[0]
    }

    fn lambda_max(&self) -> f64 {
        self.eigenvalues[self.eigenvalues.len() - 1]
    }
}

/// Streaming runs: `chains` WR chains (fresh distinct batches) and as many WOR chains (reshuffled
/// epochs, moments at epoch ends), chain k seeded by run seed k. Returns the segments of each.
fn stream_runs(
    cfg: &Config,
    lin: &Linearised,
    area_entry: (usize, usize),
) -> Result<(Vec<SegmentStats>, Vec<SegmentStats>)> {
    let n = lin.model.data_size();
    let relaxation = 1.0 / (LEARNING_RATE * lin.lambda_min());
    let (chains, segments, segment_relaxations) = if cfg.quick {
        (2, 5, 3.0)
    } else {
        (8, 10, 12.0)
    };
    let segment_steps = ((segment_relaxations * relaxation) as usize).div_ceil(20) * 20;
    let ranges: Vec<f64> = WINDOWS
        .iter()
        .map(|&w| 5.0 * (2.0 * w as f64 * lin.sigma_ou).sqrt())
        .collect();
    let settings = |thin| StreamSettings {
        burn_in: ((5.0 * relaxation) as usize).div_ceil(20) * 20,
        segments,
        segment_steps,
        thin,
        histogram_ranges: ranges.clone(),
        bins: 16,
    };
    let blocks = n / BATCH_SIZE;
    let jobs: Vec<(Batching, u64)> = (0..2 * chains)
        .map(|k| {
            let batching = if k < chains {
                Batching::WithoutReplacement
            } else {
                Batching::Reshuffle
            };
            (batching, run_seed(cfg.seed, k as u64))
        })
        .collect();
    let results: Vec<Vec<SegmentStats>> = jobs
        .par_iter()
        .map(|(batching, seed)| {
            let thin = if *batching == Batching::Reshuffle {
                blocks
            } else {
                1
            };
            stream_chain(
                &lin.model,
                &sgd_config(n, LEARNING_RATE, BATCH_SIZE, *batching),
                &lin.minimum,
                &lin.minimum,
                &lin.estimator,
                area_entry,
                &settings(thin),
                *seed,
            )
        })
        .collect::<Result<_>>()?;
    let (wr, wor) = results.split_at(chains);
    Ok((wr.concat(), wor.concat()))
}

/// Runs the closed forms and the simulations.
pub fn run(cfg: &Config) -> Result<Record> {
    let lin = Linearised::new()?;
    let (_, area_entry) = max_abs_off_diagonal(&lin.circulation);
    let (wr_segments, wor_segments) = stream_runs(cfg, &lin, area_entry)?;
    let per = |f: &dyn Fn(&SegmentStats) -> f64| {
        segment_estimate(&wr_segments.iter().map(f).collect::<Vec<_>>())
    };
    let mut rows = curvature_rows(cfg, &lin)?;
    rows.extend(moment_rows(&lin, &wr_segments, &wor_segments)?);
    rows.extend(circulation_rows(&lin, area_entry, &per));
    let (fluctuation, detailed_abscissa, detailed_log_ratio) =
        fluctuation_rows(&lin, &wr_segments, &per)?;
    rows.extend(fluctuation);
    let sweep = sweep(cfg)?;
    Ok(Record {
        quick: cfg.quick,
        seed: cfg.seed,
        learning_rate: LEARNING_RATE,
        eta_lambda: LEARNING_RATE * lin.lambda_max(),
        minimum: lin.minimum,
        effective_minimum: lin.w_tilde,
        hessian_eigenvalues: lin.eigenvalues,
        rows,
        sweep,
        detailed_abscissa,
        detailed_log_ratio,
    })
}

/// The 2-d sweep over ηλ_max: entropy production and one-step fluctuation theorems against the
/// OU formulas and the exact discrete-time values.
fn sweep(cfg: &Config) -> Result<Vec<SweepPoint>> {
    let model = circulating_problem()?;
    let minimum = model.minimum()?;
    let lambda_max = 501.0;
    let grid: &[f64] = if cfg.quick {
        &[0.1, 1.0]
    } else {
        &[0.03, 0.1, 0.3, 0.6, 1.0]
    };
    let steps = if cfg.quick { 200_000 } else { 2_000_000 };
    grid.par_iter()
        .enumerate()
        .map(|(k, &eta_lambda)| {
            let eta = eta_lambda / lambda_max;
            let near = linearisation(&model, &minimum, eta, BATCH_SIZE)?;
            let c = near.stationary_covariance()?;
            let cd = near.discrete_stationary_covariance()?;
            let estimator =
                EntropyProduction::new(&minimum, &near.velocity_matrix(&c)?, near.diffusion())?;
            let sigma = near.mean_entropy_production(&c)?;
            let settings = StreamSettings {
                burn_in: 10_000,
                segments: 40,
                segment_steps: steps / 40,
                thin: 1,
                histogram_ranges: vec![5.0 * (2.0 * sigma).sqrt()],
                bins: 16,
            };
            let segments = stream_chain(
                &model,
                &sgd_config(
                    model.data_size(),
                    eta,
                    BATCH_SIZE,
                    Batching::WithoutReplacement,
                ),
                &minimum,
                &minimum,
                &estimator,
                (0, 1),
                &settings,
                run_seed(cfg.seed, 2000 + k as u64),
            )?;
            Ok(SweepPoint {
                eta_lambda,
                entropy_ou: sigma,
                entropy_exact: expected_step_entropy(
                    &near.mean_matrix(),
                    &cd,
                    &estimator,
                    Discretisation::Midpoint,
                ),
                entropy_simulated: segment_estimate(
                    &segments
                        .iter()
                        .map(|s| s.entropy_midpoint)
                        .collect::<Vec<_>>(),
                ),
                integral_ft_gaussian: gaussian_exponential_moment(
                    &near.mean_matrix(),
                    &cd,
                    &estimator,
                    1,
                    Discretisation::Midpoint,
                    1.0,
                )?,
                integral_ft_second_moment: Some(gaussian_exponential_moment(
                    &near.mean_matrix(),
                    &cd,
                    &estimator,
                    1,
                    Discretisation::Midpoint,
                    2.0,
                )?)
                .filter(|m| m.is_finite()),
                integral_ft_simulated: segment_estimate(
                    &segments
                        .iter()
                        .map(|s| s.integral_ft[0])
                        .collect::<Vec<_>>(),
                ),
                detailed_slope: slope_estimate(&segments, 0),
            })
        })
        .collect()
}
