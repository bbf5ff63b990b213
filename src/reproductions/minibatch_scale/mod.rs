//! `minibatch-scale`: the exact discrete-time stationary law of constant-step SGLD and SGD on a
//! Bayesian linear regression against the continuous-time Ornstein–Uhlenbeck (OU) approximation
//! (Mandt, Hoffman & Blei 2017, §3) and against the posterior, as the dimension d grows at fixed
//! ε·λ_max, N and B.
//!
//! # Formula
//! Both samplers take θ' = θ − η ĝ_S(θ) + τ ξ (SGLD, Welling & Teh 2011, eq. 4: η = ε/2, τ² = ε;
//! constant SGD on L = U/N, Mandt et al. 2017, §2: η = ε/N, τ = 0), an affine random map with mean
//! map M̄ = I − G, G = ηP. Its exact stationary covariance solves
//! Σ = M̄ΣM̄ᵀ + T_mb(Σ) + Q, T_mb(Σ) = (κ/N)Σ_i D_iΣD_iᵀ the state-dependent (multiplicative)
//! minibatch noise and Q the one-step noise covariance at the stationary mean; the OU
//! approximation solves GΣ_OU + Σ_OUG = Q ([`crate::theory::AffineRandomMap`]). Subtracting, for a
//! unit eigenvector v of P with eigenvalue λ (g = ηλ), exactly (derived here):
//!
//!   (Σ − Σ_OU)_vv / Σ_vv = g/2 + vᵀT_mb(Σ)v / (2g Σ_vv):
//!
//! a discretisation part g/2 that depends on d only through g, and a multiplicative-noise part.
//! With κ = 1/B and D_i ≈ −ηN x_ix_iᵀ/σ², (1/N)Σ_i (x_i·v)² x_iᵀΣx_i ≈ (λ/N)·tr(PΣ)/N for
//! Gaussian-like rows, so the second part is ≈ (g/2)·tr(PΣ)/(B λ Σ_vv) ≈ (g/2)·d/B: the trace
//! tr(PΣ) sums the d directions because ‖x_i‖² grows like d. Summing the same identity over
//! directions, tr(PΣ) is inflated by 1/(1 − γ), γ = η tr P/(2B), and mean-square stability
//! fails near γ = 1.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use super::numbers::{sig6, Estimate, Provenance, Row};
use super::simulate::{self, pool, run_seed, ChainJob};
use super::Config;
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::{LinearRegression, Model, QuadraticModel};
use crate::stats::regression::log_log_slope_with_error;
use crate::theory::{self, kl_divergence, GaussianLaw};

mod render;
pub use render::render;

/// Number of data points N (fixed; see [`problem`] for why the design fixes the spectrum).
pub(crate) const DATA_SIZE: usize = 1000;
/// Minibatch size B.
pub(crate) const BATCH_SIZE: usize = 32;
/// Spread s²_max/s²_min of the likelihood curvatures (the design's condition number).
pub(crate) const CONDITION: f64 = 100.0;
/// The step sizes as fractions of the mean stability limit (η λ_max = 2 × fraction).
pub(crate) const FRACTIONS: [f64; 3] = [0.01, 0.03, 0.1];
/// The fraction of the single d = 1000 configuration (full configuration only).
pub(crate) const MAIN_FRACTION: f64 = 0.03;
/// Dimensions of the quick configuration (the tests).
pub(crate) const QUICK_DIMENSIONS: &[usize] = &[10, 20, 50, 100, 200];
/// Dimensions of the full configuration (every sampler and fraction).
pub(crate) const FULL_DIMENSIONS: &[usize] = &[10, 20, 50, 100, 200, 500];
/// The one larger dimension of the full configuration (SGLD at [`MAIN_FRACTION`]).
pub(crate) const LARGEST_DIMENSION: usize = 1000;
/// Slopes are fitted over d ≥ this (d ≥ B, where the multiplicative part dominates).
pub(crate) const SLOPE_FROM: usize = 50;
/// Dimension of the simulation cross-check.
pub(crate) const SIMULATED_DIMENSION: usize = 10;
/// Fraction of the simulation cross-check (the largest OU error of the grid).
pub(crate) const SIMULATED_FRACTION: f64 = 0.1;
/// Seed of the synthetic data sets (fixed: the problems do not change with `--seed`).
pub(crate) const PROBLEM_SEED: u64 = 20_171_000;

/// The Bayesian linear regression at dimension d with a fixed curvature spectrum.
///
/// # Formula
/// X = √N · Q · S with Q the N×d orthonormal factor of the QR decomposition of an N×d standard
/// normal matrix and S = diag(s_j), s_j² = CONDITION^{−j/(d−1)}; θ₀ ~ N(0, I), y = Xθ₀ + N(0, 1),
/// prior N(0, I). Then XᵀX = N S² exactly, P = I + N S², so the posterior spectrum is
/// log-uniform on [1 + N/CONDITION, 1 + N] at every d, while the rows (nearly Gaussian, with
/// E‖x_i‖² = Σ_j s_j² ∝ d) carry the dimension into the minibatch noise. With i.i.d. Gaussian
/// features at fixed N the spectrum of XᵀX would change shape with d/N (Marchenko–Pastur edges
/// N(1 ± √(d/N))², its lower edge reaching the prior at d = N), confounding d with the aspect
/// ratio; N ∝ d would cost O(N²d) per solver sweep (10¹¹ flops at d = 1000).
pub(crate) fn problem(dimension: usize) -> Result<LinearRegression> {
    let n = DATA_SIZE;
    let mut rng = ChaCha20Rng::seed_from_u64(PROBLEM_SEED ^ dimension as u64);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let gaussian = DMatrix::<f64>::from_fn(n, dimension, |_, _| normal());
    let q = gaussian.qr().q();
    let scale: Vec<f64> = (0..dimension)
        .map(|j| {
            let t = if dimension == 1 {
                0.0
            } else {
                j as f64 / (dimension - 1) as f64
            };
            (n as f64 * CONDITION.powf(-t)).sqrt()
        })
        .collect();
    let truth: Vec<f64> = (0..dimension).map(|_| normal()).collect();
    let mut features = Vec::with_capacity(n);
    let mut targets = Vec::with_capacity(n);
    for i in 0..n {
        let x: Vec<f64> = (0..dimension).map(|j| q[(i, j)] * scale[j]).collect();
        targets.push(x.iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>() + normal());
        features.push(x);
    }
    LinearRegression::new(features, targets, 1.0, 1.0)
}

/// The two samplers compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sampler {
    /// SGLD (Welling & Teh 2011, eq. 4).
    Sgld,
    /// Constant-step SGD on L = U/N (Mandt et al. 2017, §2).
    Sgd,
}

impl Sampler {
    fn config(self, step_size: f64) -> SamplerConfig {
        SamplerConfig {
            kind: match self {
                Sampler::Sgld => SamplerKind::Sgld,
                Sampler::Sgd => SamplerKind::Sgd,
            },
            step_size,
            batch_size: BATCH_SIZE,
            batching: Batching::WithReplacement,
        }
    }
}

/// How far an approximating covariance A is from a reference covariance R (same mean).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Errors {
    /// ‖A − R‖_F / ‖R‖_F.
    #[serde(serialize_with = "sig6")]
    pub frobenius: f64,
    /// KL(N(m, A) ‖ N(m, R)).
    #[serde(serialize_with = "sig6")]
    pub kl: f64,
    /// tr A / tr R − 1.
    #[serde(serialize_with = "sig6")]
    pub trace: f64,
    /// vᵀAv / vᵀRv − 1, v the eigenvector of P with the largest eigenvalue (steepest direction).
    #[serde(serialize_with = "sig6")]
    pub steepest: f64,
    /// The same along the eigenvector of P with the smallest eigenvalue (flattest direction).
    #[serde(serialize_with = "sig6")]
    pub flattest: f64,
}

/// The metrics, in the order of [`Errors::values`].
pub(crate) const METRICS: [&str; 5] = [
    "‖A − R‖_F/‖R‖_F",
    "KL(A ‖ R)",
    "|tr A/tr R − 1|",
    "|vᵀAv/vᵀRv − 1|, steepest",
    "|vᵀAv/vᵀRv − 1|, flattest",
];

impl Errors {
    fn between(
        approximation: &DMatrix<f64>,
        reference: &DMatrix<f64>,
        directions: &Directions,
    ) -> Result<Self> {
        let frobenius = |a: &DMatrix<f64>| a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let mean = DVector::zeros(reference.nrows());
        let kl = kl_divergence(
            &GaussianLaw::new(mean.clone(), approximation.clone())?,
            &GaussianLaw::new(mean, reference.clone())?,
        )?;
        let along = |v: &DVector<f64>| v.dot(&(approximation * v)) / v.dot(&(reference * v)) - 1.0;
        Ok(Self {
            frobenius: frobenius(&(approximation - reference)) / frobenius(reference),
            kl,
            trace: approximation.trace() / reference.trace() - 1.0,
            steepest: along(&directions.steepest),
            flattest: along(&directions.flattest),
        })
    }
    /// The metrics as magnitudes, in the order of [`METRICS`].
    pub(crate) fn values(&self) -> [f64; 5] {
        [
            self.frobenius,
            self.kl,
            self.trace.abs(),
            self.steepest.abs(),
            self.flattest.abs(),
        ]
    }
}

/// The extreme eigendirections of the posterior precision.
struct Directions {
    steepest: DVector<f64>,
    flattest: DVector<f64>,
    largest: f64,
}

impl Directions {
    fn of(precision: &DMatrix<f64>) -> Self {
        let eigen = SymmetricEigen::new(precision.clone());
        let (top, bottom) = (eigen.eigenvalues.imax(), eigen.eigenvalues.imin());
        Self {
            steepest: eigen.eigenvectors.column(top).into_owned(),
            flattest: eigen.eigenvectors.column(bottom).into_owned(),
            largest: eigen.eigenvalues[top],
        }
    }
}

/// One (sampler, d, fraction): the exact law against the OU approximation and the posterior.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Sampler.
    pub sampler: Sampler,
    /// d.
    pub dimension: usize,
    /// ε as a fraction of the mean stability limit.
    pub fraction: f64,
    /// ε.
    #[serde(serialize_with = "sig6")]
    pub step_size: f64,
    /// Mean-square gain γ = η tr P / (2B) (derived here; instability near 1).
    #[serde(serialize_with = "sig6")]
    pub gain: f64,
    /// OU approximation (A) against the exact law (R).
    pub ou: Errors,
    /// Exact law (A) against the posterior (R); SGLD only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posterior: Option<Errors>,
    /// First-order prediction of [`Errors::steepest`] of the OU law,
    /// −(g/2)(1 + tr(PΣ)/(B λ_max Σ_vv)), g = ηλ_max (the module's formula).
    #[serde(serialize_with = "sig6")]
    pub predicted_steepest: f64,
}

/// A log–log slope in d of one metric (ordinary least squares on (ln d, ln metric)).
#[derive(Debug, Clone, Serialize)]
pub struct Slope {
    /// Which comparison ("SGLD: OU vs exact", ...).
    pub comparison: String,
    /// Which metric (e.g. "KL(A ‖ R)").
    pub metric: &'static str,
    /// Fraction of the stability limit.
    pub fraction: f64,
    /// Slope.
    #[serde(serialize_with = "sig6")]
    pub slope: f64,
    /// Its least-squares standard error (departure from a straight line, not noise: the
    /// values are closed forms).
    #[serde(serialize_with = "sig6")]
    pub standard_error: f64,
    /// Dimensions fitted.
    pub dimensions: Vec<usize>,
}

/// The problem and run lengths.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// N.
    pub data_size: usize,
    /// B.
    pub batch_size: usize,
    /// Curvature spread of the design.
    pub condition: f64,
    /// Seed of the data sets.
    pub problem_seed: u64,
    /// Fractions of the mean stability limit.
    pub fractions: Vec<f64>,
    /// Dimensions (every sampler and fraction).
    pub dimensions: Vec<usize>,
    /// The extra dimension of SGLD at the main fraction (full configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub largest_dimension: Option<usize>,
    /// Slopes fitted over d ≥ this.
    pub slope_from: usize,
    /// Independent chains of the simulation.
    pub chains: usize,
    /// Steps per chain after burn-in.
    pub steps: usize,
}

/// The record of the reproduction.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Configuration.
    pub setup: Setup,
    /// Every (sampler, d, fraction).
    pub points: Vec<Point>,
    /// Log–log slopes in d.
    pub slopes: Vec<Slope>,
    /// The simulation cross-check at d = 10.
    pub rows: Vec<Row>,
}

impl Record {
    /// The row whose quantity starts with `prefix`.
    pub fn row(&self, prefix: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.quantity.starts_with(prefix))
    }
    /// The point of (sampler, d, fraction).
    pub fn point(&self, sampler: Sampler, dimension: usize, fraction: f64) -> Option<&Point> {
        self.points
            .iter()
            .find(|p| p.sampler == sampler && p.dimension == dimension && p.fraction == fraction)
    }
    /// The slope of (comparison prefix, metric prefix, fraction).
    pub fn slope(&self, comparison: &str, metric: &str, fraction: f64) -> Option<&Slope> {
        self.slopes.iter().find(|s| {
            s.comparison.starts_with(comparison)
                && s.metric.starts_with(metric)
                && s.fraction == fraction
        })
    }
}

/// Exact law, OU law and posterior of one configuration.
fn point(
    model: &LinearRegression,
    directions: &Directions,
    sampler: Sampler,
    fraction: f64,
) -> Result<Point> {
    let d = model.dimension();
    let limit = theory::stability_limit(&sampler.config(1.0), model);
    let config = sampler.config(fraction * limit);
    let map = theory::affine_map(&config, model)?;
    let exact = map.stationary_law()?.covariance;
    let ou = map.continuous_time_law()?.covariance;
    let precision = model.posterior_precision();
    let (eta, _) = theory::gradient_step_scales(&config, model.data_size());
    let v = &directions.steepest;
    let g = eta * directions.largest;
    let predicted_steepest = -(g / 2.0)
        * (1.0
            + (&precision * &exact).trace()
                / (BATCH_SIZE as f64 * directions.largest * v.dot(&(&exact * v))));
    let posterior = match sampler {
        Sampler::Sgld => Some(Errors::between(
            &exact,
            &theory::exact_posterior(model)?.covariance,
            directions,
        )?),
        Sampler::Sgd => None,
    };
    Ok(Point {
        sampler,
        dimension: d,
        fraction,
        step_size: config.step_size,
        gain: eta * precision.trace() / (2.0 * BATCH_SIZE as f64),
        ou: Errors::between(&ou, &exact, directions)?,
        posterior,
        predicted_steepest,
    })
}

/// The comparisons fitted: name, sampler, and which errors of a point.
type Comparison = (&'static str, Sampler, fn(&Point) -> Option<Errors>);

const COMPARISONS: [Comparison; 3] = [
    ("SGLD: OU vs exact", Sampler::Sgld, |p| Some(p.ou)),
    ("SGD: OU vs exact", Sampler::Sgd, |p| Some(p.ou)),
    ("SGLD: exact vs posterior", Sampler::Sgld, |p| p.posterior),
];

/// Log–log slopes of every metric in d over d ≥ [`SLOPE_FROM`].
fn slopes(points: &[Point]) -> Vec<Slope> {
    let mut slopes = Vec::new();
    for (comparison, sampler, errors) in COMPARISONS {
        for fraction in FRACTIONS {
            let series: Vec<(usize, Errors)> = points
                .iter()
                .filter(|p| {
                    p.sampler == sampler && p.fraction == fraction && p.dimension >= SLOPE_FROM
                })
                .filter_map(|p| errors(p).map(|e| (p.dimension, e)))
                .collect();
            for (m, metric) in METRICS.iter().enumerate() {
                let xy: Vec<(f64, f64)> = series
                    .iter()
                    .map(|(d, e)| (*d as f64, e.values()[m]))
                    .collect();
                let (slope, standard_error) = log_log_slope_with_error(&xy);
                slopes.push(Slope {
                    comparison: comparison.into(),
                    metric,
                    fraction,
                    slope,
                    standard_error,
                    dimensions: series.iter().map(|s| s.0).collect(),
                });
            }
        }
    }
    slopes
}

/// The simulation: SGLD chains at d = [`SIMULATED_DIMENSION`] through the crate's chain driver,
/// ratios to the posterior of quadratic forms, against the exact law, the OU law and the posterior.
fn simulation(config: &Config) -> Result<(Vec<Row>, usize, usize)> {
    let model = problem(SIMULATED_DIMENSION)?;
    let d = model.dimension();
    let (chains, relaxations) = if config.quick {
        (2, 2_000.0)
    } else {
        (4, 5_000.0)
    };
    let limit = theory::stability_limit(&Sampler::Sgld.config(1.0), &model);
    let sampler = Sampler::Sgld.config(SIMULATED_FRACTION * limit);
    let map = theory::affine_map(&sampler, &model)?;
    let law = map.stationary_law()?;
    let ou = map.continuous_time_law()?.covariance;
    let posterior = theory::exact_posterior(&model)?.covariance;
    let tau = 1.0 / (1.0 - map.mean_spectral_radius());
    let steps = (relaxations * tau).ceil() as usize;
    let jobs: Vec<ChainJob> = (0..chains)
        .map(|k| ChainJob {
            config: sampler,
            start: law.mean.iter().cloned().collect(),
            burn_in: (20.0 * tau).ceil() as usize,
            steps,
            thin: ((tau / 8.0).floor() as usize).max(1),
            seed: run_seed(config.seed, k as u64),
        })
        .collect();
    let directions = Directions::of(&model.posterior_precision());
    let precision = model.posterior_precision();
    let direction = |v: &DVector<f64>| v * v.transpose() / v.dot(&(&posterior * v));
    let forms: Vec<(&str, DMatrix<f64>)> = vec![
        ("tr Σ / tr P⁻¹", DMatrix::identity(d, d) / posterior.trace()),
        (
            "vᵀΣv / vᵀP⁻¹v, steepest direction",
            direction(&directions.steepest),
        ),
        (
            "vᵀΣv / vᵀP⁻¹v, flattest direction",
            direction(&directions.flattest),
        ),
        ("tr(PΣ)/d (effective temperature)", &precision / d as f64),
    ];
    let weights: Vec<DMatrix<f64>> = forms.iter().map(|f| f.1.clone()).collect();
    let progress = simulate::progress_bar(
        config.progress,
        simulate::total_steps(&jobs),
        "minibatch-scale",
    );
    let summaries = simulate::run_chains(&model, &jobs, &weights, &progress)?;
    progress.finish_and_clear();
    let estimates: Vec<Estimate> = pool(&summaries);
    let mut rows = Vec::new();
    for ((name, w), estimate) in forms.iter().zip(estimates) {
        let form = |s: &DMatrix<f64>| (w * s).trace();
        rows.push(
            Row::new(format!("{name} — exact discrete law"), Provenance::Derived)
                .closed_form(form(&law.covariance))
                .simulation(estimate),
        );
        rows.push(
            Row::new(format!("{name} — OU approximation"), Provenance::Derived)
                .closed_form(form(&ou)),
        );
    }
    Ok((rows, chains, steps))
}

/// The (sampler, d, fraction) grid of a configuration.
fn grid(config: &Config) -> Vec<(Sampler, usize, f64)> {
    let dimensions = if config.quick {
        QUICK_DIMENSIONS
    } else {
        FULL_DIMENSIONS
    };
    let mut grid: Vec<(Sampler, usize, f64)> = Vec::new();
    if !config.quick {
        grid.push((Sampler::Sgld, LARGEST_DIMENSION, MAIN_FRACTION));
    }
    for &d in dimensions.iter().rev() {
        for sampler in [Sampler::Sgld, Sampler::Sgd] {
            for fraction in FRACTIONS {
                grid.push((sampler, d, fraction));
            }
        }
    }
    grid
}

/// Runs the closed forms over the (sampler, d, fraction) grid, the slope fits and the simulation.
pub fn run(config: &Config) -> Result<Record> {
    let grid = grid(config);
    let mut dimensions: Vec<usize> = grid.iter().map(|g| g.1).collect();
    dimensions.sort_unstable();
    dimensions.dedup();
    // Problems in parallel, then the configurations (largest first, so the long solve starts at
    // once); results are collected in grid order.
    let problems: Vec<(usize, LinearRegression, Directions)> = dimensions
        .par_iter()
        .map(|&d| -> Result<_> {
            let model = problem(d)?;
            let directions = Directions::of(&model.posterior_precision());
            Ok((d, model, directions))
        })
        .collect::<Result<_>>()?;
    let mut points: Vec<Point> = grid
        .par_iter()
        .map(|&(sampler, d, fraction)| {
            let (_, model, directions) = problems
                .iter()
                .find(|p| p.0 == d)
                .expect("every dimension has a problem");
            point(model, directions, sampler, fraction)
        })
        .collect::<Result<_>>()?;
    points.sort_by(|a, b| {
        (a.sampler as u8, a.fraction, a.dimension)
            .partial_cmp(&(b.sampler as u8, b.fraction, b.dimension))
            .expect("finite fractions")
    });
    let slopes = slopes(&points);
    let (rows, chains, steps) = simulation(config)?;
    let listed = if config.quick {
        QUICK_DIMENSIONS
    } else {
        FULL_DIMENSIONS
    };
    Ok(Record {
        setup: Setup {
            quick: config.quick,
            seed: config.seed,
            data_size: DATA_SIZE,
            batch_size: BATCH_SIZE,
            condition: CONDITION,
            problem_seed: PROBLEM_SEED,
            fractions: FRACTIONS.to_vec(),
            dimensions: listed.to_vec(),
            largest_dimension: (!config.quick).then_some(LARGEST_DIMENSION),
            slope_from: SLOPE_FROM,
            chains,
            steps,
        },
        points,
        slopes,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_design_fixes_the_spectrum() {
        let model = problem(20).unwrap();
        let eigen = SymmetricEigen::new(model.posterior_precision());
        let (lo, hi) = (eigen.eigenvalues.min(), eigen.eigenvalues.max());
        let n = DATA_SIZE as f64;
        assert!((hi - (1.0 + n)).abs() < 1e-8 * n, "{hi}");
        assert!((lo - (1.0 + n / CONDITION)).abs() < 1e-8 * n, "{lo}");
    }
}
