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

use super::numbers::{round_significant, sig6, Estimate};
use super::plot::{self, Chart, Legend, Line, Markers};
use super::simulate::{self, pool, run_seed, ChainJob};
use super::{to_json, Config, Figure, Rendered};
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::{GaussianMean, QuadraticModel};
use crate::theory::{smith_temperature, TheoryReport};

/// BibTeX of the paper.
pub const BIBTEX: &str = r"@article{smith2018natural,
  title = {Stochastic natural gradient descent draws posterior samples in function space},
  author = {Smith, Samuel L. and Duckworth, Daniel and Rezchikov, Semon and Le, Quoc V. and Sohl-Dickstein, Jascha},
  journal = {arXiv preprint arXiv:1806.09597},
  year = {2018}
}";

/// Dimension of θ.
pub const DIMENSION: usize = 2;
/// Prior precision (negligible against N).
pub const PRIOR_PRECISION: f64 = 1e-9;

/// The Gaussian-mean model with N whitened centres (population covariance exactly I) and A = I.
pub fn problem(data_size: usize) -> Result<GaussianMean> {
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
pub const REGRESSION_SEED: u64 = 1806;

/// Bayesian linear regression for NGD: d = 2, x = Lz with L = [[1, 0], [0.8, 0.6]] (correlated,
/// anisotropic), y = xᵀθ₀ + N(0, 1), θ₀ = (1, −1), σ² = 1 known, prior precision 10⁻⁶. The model is
/// well specified, so the per-example gradient covariance at the optimum is close to (not equal
/// to) the Fisher F = XᵀX/N.
pub fn regression(data_size: usize) -> Result<crate::models::LinearRegression> {
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
                temperature_paper: eps * n as f64 / (2.0 * b as f64),
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

/// README body and the figure.
pub fn render(record: &Record) -> Result<Rendered> {
    let with = |sampler: &'static str, b: Batching| {
        record
            .grid
            .iter()
            .filter(move |p| p.batching == b && p.sampler == sampler)
            .map(|p| {
                (
                    p.temperature_paper,
                    p.temperature_simulated.value,
                    2.0 * p.temperature_simulated.mcse,
                )
            })
            .collect::<Vec<_>>()
    };
    let lo = record
        .grid
        .iter()
        .map(|p| p.temperature_paper)
        .fold(f64::INFINITY, f64::min);
    let hi = record
        .grid
        .iter()
        .map(|p| p.temperature_paper)
        .fold(0.0, f64::max);
    let chart = Chart {
        title: "Temperature of minibatch (N)GD: measured tr(PΣ)/d against εN/(2B)".into(),
        x_label: "εN/(2B) (Smith et al. 2018)".into(),
        y_label: "T measured".into(),
        log_x: true,
        log_y: true,
        lines: vec![Line {
            label: "T = εN/(2B)".into(),
            points: vec![(lo, lo), (hi, hi)],
            color: 0,
            width: 0,
        }],
        markers: vec![
            Markers {
                label: "exact discrete law".into(),
                points: record
                    .grid
                    .iter()
                    .map(|p| (p.temperature_paper, p.temperature_exact, 0.0))
                    .collect(),
                color: 4,
                size: 6,
            },
            Markers {
                label: "SGD (A = I), with replacement (± 2 MCSE)".into(),
                points: with("sgd", Batching::WithReplacement),
                color: 1,
                size: 3,
            },
            Markers {
                label: "SGD (A = I), without replacement (± 2 MCSE)".into(),
                points: with("sgd", Batching::WithoutReplacement),
                color: 2,
                size: 3,
            },
            Markers {
                label: "NGD (regression), with replacement (± 2 MCSE)".into(),
                points: with("ngd", Batching::WithReplacement),
                color: 5,
                size: 3,
            },
            Markers {
                label: "NGD (regression), without replacement (± 2 MCSE)".into(),
                points: with("ngd", Batching::WithoutReplacement),
                color: 3,
                size: 3,
            },
        ],
        legend: Legend::UpperLeft,
        ..Chart::default()
    };
    let ratio = |b: Batching| {
        record
            .grid
            .iter()
            .filter(move |p| p.batching == b)
            .map(|p| {
                (
                    p.step_size,
                    p.temperature_simulated.value / p.temperature_paper,
                    2.0 * p.temperature_simulated.mcse / p.temperature_paper,
                )
            })
            .collect::<Vec<_>>()
    };
    let ratio_chart = Chart {
        title: "Refinements: measured T / (εN/(2B)) against ε".into(),
        x_label: "ε".into(),
        y_label: "T measured / (εN/(2B))".into(),
        log_x: true,
        lines: vec![Line {
            label: "2/(2 − ε) (exact, with replacement)".into(),
            points: (0..=40)
                .map(|k| {
                    let e = 0.008 * (0.25f64 / 0.008).powf(k as f64 / 40.0);
                    (e, 2.0 / (2.0 - e))
                })
                .collect(),
            color: 0,
            width: 0,
        }],
        markers: vec![
            Markers {
                label: "exact discrete law".into(),
                points: record
                    .grid
                    .iter()
                    .map(|p| (p.step_size, p.temperature_exact / p.temperature_paper, 0.0))
                    .collect(),
                color: 4,
                size: 6,
            },
            Markers {
                label: "with replacement (± 2 MCSE)".into(),
                points: ratio(Batching::WithReplacement),
                color: 1,
                size: 3,
            },
            Markers {
                label: "without replacement (± 2 MCSE)".into(),
                points: ratio(Batching::WithoutReplacement),
                color: 2,
                size: 3,
            },
        ],
        legend: Legend::LowerRight,
        ..Chart::default()
    };
    let mut table = String::from(
        "| sampler | N | B | ε | batching | paper εN/(2B) | γεN/(2B) | exact discrete | simulation ± MCSE | (sim − exact)/MCSE |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for p in &record.grid {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {:+.2} |\n",
            p.sampler,
            p.data_size,
            p.batch_size,
            p.step_size,
            p.batching.name(),
            round_significant(p.temperature_paper, 6),
            round_significant(p.temperature_finite_population, 6),
            round_significant(p.temperature_exact, 6),
            p.temperature_simulated.display(),
            (p.temperature_simulated.value - p.temperature_exact) / p.temperature_simulated.mcse,
        ));
    }
    let body = format!(
        "**Paper.** S. L. Smith, D. Duckworth, S. Rezchikov, Q. V. Le, J. Sohl-Dickstein (2018), \
\"Stochastic natural gradient descent draws posterior samples in function space\", NeurIPS 2018 \
Bayesian Deep Learning workshop, arXiv:1806.09597.\n\n\
**Claim (§3).** Near a minimum, when the per-example gradient covariance equals the Fisher F, \
minibatch natural gradient descent Δω = −(ε/N)F⁻¹∂Ĉ/∂ω samples the posterior at temperature \
T = εN/(2B).\n\n\
**Set-up.** (1) `sgd` on a Gaussian-mean model ℓ_i(θ) = |θ − z_i|²/2 in d = {d}, centres whitened \
so that their population covariance is exactly I: the gradient covariance equals the curvature \
(F = I), so SGD θ ← θ − (ε/N)ĝ_S(θ) *is* NGD and the claim's assumption holds exactly; prior \
precision λ = {lam:e} (negligible). (2) The real `ngd` sampler on a well-specified Bayesian linear \
regression, d = 2, x = Lz with L = [[1, 0], [0.8, 0.6]], y = xᵀ(1, −1) + N(0, 1), prior precision \
10⁻⁶, data seed {rs} + N: F = XᵀX/N is anisotropic and the gradient covariance only approximately \
F (and state-dependent). Over the grid we compare the paper's εN/(2B), our finite-population \
refinement γεN/(2B), γ = (N − B)/(N − 1) for minibatches drawn without replacement (derived \
here), the exact discrete-time law's tr(PΣ)/d (derived here; = γεN/(B(2 − ε)) on the \
Gaussian-mean model), and the simulated tr(PΣ̂)/d of one chain per point ({relax} relaxation \
times after a burn-in of 20).\n\n\
**Result.** The simulation agrees with the exact discrete law at every grid point (the last column \
is the standardised difference; the test suite asserts |·| ≤ t_(1−α/2) at α = 10⁻⁶). The paper's \
εN/(2B) is the ε → 0, B ≪ N limit: the discrete factor 2/(2 − ε) and the factor γ are visible \
where ε or B/N is not small.\n\n## Numbers\n\n{table}\n\
Provenance: the column \"paper\" evaluates Smith et al.'s formula; the refinement, the exact \
discrete law and the simulation are derived here.\n",
        d = record.dimension,
        lam = record.prior_precision,
        relax = if record.quick { 2_000 } else { 40_000 },
        rs = REGRESSION_SEED,
    );
    Ok(Rendered {
        id: "smith2018",
        title: "smith2018 — the temperature of minibatch (natural) gradient descent, T = εN/(2B)".into(),
        body,
        figures: vec![Figure {
            file_name: "temperature.svg".into(),
            caption: "Measured temperature tr(PΣ̂)/d against εN/(2B), with the exact discrete law"
                .into(),
            svg: plot::render(&chart)?,
        },
        Figure {
            file_name: "refinements.svg".into(),
            caption: "Measured T divided by the paper's εN/(2B): the discrete factor 2/(2 − ε) and, without replacement, γ = (N − B)/(N − 1)".into(),
            svg: plot::render(&ratio_chart)?,
        }],
        record: to_json(record)?,
        references: vec![BIBTEX],
    })
}
