//! `smith2018`: the temperature of minibatch SGD (Smith, Duckworth, Rezchikov, Le & Sohl-Dickstein
//! 2018, "Stochastic natural gradient descent draws posterior samples in function space", §3):
//! near a minimum where the per-example gradient covariance equals the curvature (the Fisher), the
//! stationary law of SGD with learning rate ε and batch size B is the posterior at temperature
//! T = εN/(2B).
//!
//! # Formula
//! Gaussian-mean model ℓ_i(θ) = |θ − z_i|²/2 (A = I), centres whitened so that their population
//! covariance is I, so C = A exactly; negligible prior (λ = 1e-9), so P = N·I + λI. SGD in the
//! paper's convention θ ← θ − (ε/N) ĝ_S(θ). Then (digest ngd-and-sgmcmc.md, Claim N2):
//! * paper: T = εN/(2B);
//! * without replacement (derived here): T = γ εN/(2B), γ = (N − B)/(N − 1);
//! * exact discrete time (derived here): T = tr(PΣ)/d with Σ the exact stationary covariance, which
//!   for this model is γ εN/(B(2 − ε)) up to the prior's O(λ/N) share.
//!
//! The simulation measures T = tr(P Σ̂)/d from one long chain per grid point.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use super::numbers::{sig6, Estimate};
use super::simulate::{self, pool, run_seed, ChainJob};
use super::Config;
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::{GaussianMean, QuadraticModel};
use crate::theory::{smith_temperature, TheoryReport};

mod render;
pub use render::render;

/// Dimension of θ.
pub(crate) const DIMENSION: usize = 2;
/// Prior precision (negligible against N).
pub(crate) const PRIOR_PRECISION: f64 = 1e-9;

/// The Gaussian-mean model with N whitened centres (population covariance exactly I) and A = I.
pub(crate) fn problem(data_size: usize) -> Result<GaussianMean> {
    let d = DIMENSION;
    let mut rng = ChaCha20Rng::seed_from_u64(2018 + data_size as u64);
    let raw: Vec<Vec<f64>> = (0..data_size)
        .map(|_| (0..d).map(|_| StandardNormal.sample(&mut rng)).collect())
        .collect();
    let mean: Vec<f64> = (0..d)
        .map(|k| raw.iter().map(|r| r[k]).sum::<f64>() / data_size as f64)
        .collect();
    let centred: Vec<Vec<f64>> = raw
        .iter()
        .map(|r| (0..d).map(|k| r[k] - mean[k]).collect())
        .collect();
    let cov = DMatrix::from_fn(d, d, |a, b| {
        centred.iter().map(|r| r[a] * r[b]).sum::<f64>() / data_size as f64
    });
    let whitening = cov
        .cholesky()
        .ok_or_else(|| crate::Error::NotPositiveDefinite {
            what: "centre covariance".into(),
        })?
        .l()
        .try_inverse()
        .ok_or_else(|| crate::Error::NotPositiveDefinite {
            what: "centre covariance".into(),
        })?;
    let centres = centred
        .iter()
        .map(|r| {
            (&whitening * nalgebra::DVector::from_vec(r.clone()))
                .iter()
                .cloned()
                .collect()
        })
        .collect();
    GaussianMean::new(
        DMatrix::identity(d, d),
        centres,
        vec![0.0; d],
        PRIOR_PRECISION,
    )
}

/// Seed of the NGD regression's data.
pub(crate) const REGRESSION_SEED: u64 = 1806;

/// Bayesian linear regression for NGD: d = 2, x = Lz with L = [[1, 0], [0.8, 0.6]] (correlated,
/// anisotropic), y = xᵀθ₀ + N(0, 1), θ₀ = (1, −1), σ² = 1 known, prior precision 10⁻⁶. The model is
/// well specified, so the per-example gradient covariance at the optimum is close to (not equal
/// to) the Fisher F = XᵀX/N.
pub(crate) fn regression(data_size: usize) -> Result<crate::models::LinearRegression> {
    let mut rng = ChaCha20Rng::seed_from_u64(REGRESSION_SEED + data_size as u64);
    let mut features = Vec::with_capacity(data_size);
    let mut targets = Vec::with_capacity(data_size);
    for _ in 0..data_size {
        let z: [f64; 2] = [
            StandardNormal.sample(&mut rng),
            StandardNormal.sample(&mut rng),
        ];
        let x = vec![z[0], 0.8 * z[0] + 0.6 * z[1]];
        let noise: f64 = StandardNormal.sample(&mut rng);
        targets.push(x[0] - x[1] + noise);
        features.push(x);
    }
    crate::models::LinearRegression::new(features, targets, 1.0, 1e-6)
}

/// One grid point.
#[derive(Debug, Clone, Serialize)]
pub struct GridPoint {
    /// "sgd" (on the Gaussian-mean model, where SGD is NGD) or "ngd" (on the regression).
    pub sampler: String,
    /// N.
    pub data_size: usize,
    /// B.
    pub batch_size: usize,
    /// ε.
    pub step_size: f64,
    /// Batching scheme.
    pub batching: Batching,
    /// Paper: εN/(2B).
    #[serde(serialize_with = "sig6")]
    pub temperature_paper: f64,
    /// Finite-population refinement γεN/(2B) (equal to the paper's with replacement).
    #[serde(serialize_with = "sig6")]
    pub temperature_finite_population: f64,
    /// Exact discrete-time tr(PΣ)/d.
    #[serde(serialize_with = "sig6")]
    pub temperature_exact: f64,
    /// Simulated tr(PΣ̂)/d.
    pub temperature_simulated: Estimate,
    /// Steps after burn-in.
    pub steps: usize,
}

/// The record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// d.
    pub dimension: usize,
    /// Prior precision λ.
    pub prior_precision: f64,
    /// The grid, in run order.
    pub grid: Vec<GridPoint>,
}

/// (sampler, N, B, ε, batching): SGD on the Gaussian-mean model first, then NGD on the regression
/// (appended, so adding NGD left the SGD runs' seeds unchanged).
fn grid(quick: bool) -> Vec<(SamplerKind, usize, usize, f64, Batching)> {
    let mut out = Vec::new();
    let schemes = [Batching::WithReplacement, Batching::WithoutReplacement];
    let (sizes, batches, steps): (&[usize], &[usize], &[f64]) = if quick {
        (&[200], &[1, 50], &[0.05, 0.2])
    } else {
        (&[200, 1000, 5000], &[1, 10, 50], &[0.01, 0.05, 0.2])
    };
    for &n in sizes {
        for &b in batches {
            for &eps in steps {
                for batching in schemes {
                    out.push((SamplerKind::Sgd, n, b, eps, batching));
                }
            }
        }
    }
    let (sizes, batches, steps): (&[usize], &[usize], &[f64]) = if quick {
        (&[1000], &[1, 50], &[0.05, 0.2])
    } else {
        (&[1000], &[1, 10, 50], &[0.01, 0.05, 0.2])
    };
    for &n in sizes {
        for &b in batches {
            for &eps in steps {
                for batching in schemes {
                    out.push((SamplerKind::Ngd, n, b, eps, batching));
                }
            }
        }
    }
    out
}

/// Runs the grid: closed forms and one chain per point, in parallel.
pub fn run(config: &Config) -> Result<Record> {
    let points = grid(config.quick);
    let relaxations = if config.quick { 2_000.0 } else { 40_000.0 };
    let mut models: std::collections::BTreeMap<(bool, usize), Box<dyn QuadraticModel>> =
        std::collections::BTreeMap::new();
    let key = |kind: SamplerKind, n: usize| (kind == SamplerKind::Ngd, n);
    for &(kind, n, ..) in &points {
        if let std::collections::btree_map::Entry::Vacant(e) = models.entry(key(kind, n)) {
            if kind == SamplerKind::Ngd {
                e.insert(Box::new(regression(n)?));
            } else {
                e.insert(Box::new(problem(n)?));
            }
        }
    }
    let mut prepared = Vec::new();
    for (index, &(kind, n, b, eps, batching)) in points.iter().enumerate() {
        let model = models[&key(kind, n)].as_ref();
        let cfg = SamplerConfig {
            kind,
            step_size: eps,
            batch_size: b,
            batching,
        };
        let report = TheoryReport::compute(model, &cfg)?;
        let rho = crate::theory::affine_map(&cfg, model)?.mean_spectral_radius();
        let tau = 1.0 / (1.0 - rho);
        let job = ChainJob {
            config: cfg,
            start: report.stationary.mean.iter().cloned().collect(),
            burn_in: (20.0 * tau).ceil() as usize,
            steps: (relaxations * tau).ceil() as usize,
            thin: ((tau / 8.0).floor() as usize).max(1),
            seed: run_seed(config.seed, index as u64),
        };
        prepared.push((report, job));
    }
    let total = prepared
        .iter()
        .map(|(_, j)| (j.burn_in + j.steps) as u64)
        .sum();
    let progress = simulate::progress_bar(config.progress, total, "smith2018");
    use rayon::prelude::*;
    let estimates = prepared
        .par_iter()
        .zip(points.par_iter())
        .map(|((_, job), &(kind, n, ..))| {
            let model = models[&key(kind, n)].as_ref();
            let weight = model.posterior_precision() / model.dimension() as f64;
            let summary = simulate::run_chain(model, job, &[weight], &progress)?;
            Ok(pool(&[summary])[0])
        })
        .collect::<Result<Vec<Estimate>>>()?;
    progress.finish_and_clear();
    let grid = points
        .iter()
        .zip(prepared.iter())
        .zip(estimates)
        .map(
            |((&(kind, n, b, eps, batching), (report, job)), estimate)| GridPoint {
                sampler: kind.name().into(),
                data_size: n,
                batch_size: b,
                step_size: eps,
                batching,
                temperature_paper: smith_temperature(eps, n, b, Batching::WithReplacement),
                temperature_finite_population: smith_temperature(eps, n, b, batching),
                temperature_exact: report.effective_temperature,
                temperature_simulated: estimate,
                steps: job.steps,
            },
        )
        .collect();
    Ok(Record {
        quick: config.quick,
        seed: config.seed,
        dimension: DIMENSION,
        prior_precision: PRIOR_PRECISION,
        grid,
    })
}
