//! # sgbayes
//!
//! Checks stochastic-gradient samplers against mathematics. Constant-step SGD, SGLD and their
//! relatives are Markov chains whose stationary laws approximate a Bayesian posterior; on
//! quadratic models (Bayesian linear regression, Gaussian means) every step is an affine random
//! map and the stationary mean and covariance are known exactly in discrete time.
//!
//! * [`models`] — [`models::Model`] (what samplers need) and [`models::QuadraticModel`] (what the
//!   closed forms need).
//! * [`batching`] — minibatch schedules and the single N/B-scaled gradient estimate.
//! * [`samplers`] — reference implementations, one file each; allocation-free steps.
//! * [`online`] — online SGD on fresh Gaussian examples in growing dimension (no data set).
//! * [`chain`] — the executor: two seeded ChaCha8 streams, burn-in, thinning, observers.
//! * [`theory`] — exact posterior, the affine-random-map engine, OU approximation, tuning.
//! * [`stats`] — streaming moments, ESS, calibrated tests with a false-positive budget.
//! * [`problem`] — the JSON problem file and the .npy draws file.
//! * [`check`] — tests draws from any program against the exact law of a declared sampler.
#![cfg_attr(
    feature = "reports",
    doc = "* [`reproductions`] — one module per paper: typed records, SVG figures, report directories."
)]
#![cfg_attr(
    not(feature = "reports"),
    doc = "* `reproductions` (with the `reports` feature) — one module per paper: typed records, SVG figures, report directories."
)]
//!
//! The library builds without the command line and the reports (`default-features = false`);
//! the layers, their rules and where new code goes are described in `docs/architecture.md`.
//!
//! # The exact law of a sampler
//!
//! [`theory::affine_map`] describes one step of a sampler on a quadratic model as an affine
//! random map; its stationary law is exact in discrete time (no small-step approximation).
//!
//! ```
//! use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression, theory};
//! let model = LinearRegression::new(vec![vec![1.0, 0.5], vec![0.2, 1.0], vec![1.0, -1.0]], vec![1.0, 0.0, 2.0], 1.0, 1.0)?;
//! let config = SamplerConfig::new(SamplerKind::Sgld, 0.05, 1, Batching::WithReplacement);
//! let law = theory::affine_map(&config, &model)?.stationary_law()?;
//! let posterior = theory::exact_posterior(&model)?;
//! assert!((&law.mean - &posterior.mean).norm() < 1e-12); // SGLD's stationary mean is exact here
//! assert!(law.covariance[(0, 0)] > posterior.covariance[(0, 0)]); // its covariance is not
//! # Ok::<(), sgbayes::Error>(())
//! ```
//!
//! # Running a chain
//!
//! [`chain::Chain::new`] seeds the chain's two random streams (minibatches and noise) once;
//! [`chain::Chain::record`] runs a [`chain::RunLength`] (burn-in, steps, thinning) and returns the
//! kept draws with their streaming moments, and [`chain::Chain::execute`] runs it with any
//! [`chain::Observer`] instead (observers see every step, epoch end and kept draw, compose as
//! tuples and may stop the run).
//!
//! ```
//! use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
//! use sgbayes::chain::{each_step, Chain, Flow, RunLength, StepView};
//! let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0)?;
//! let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
//! let length = RunLength { burn_in: 1_000, steps: 20_000, thin: 10 };
//!
//! // Keep the draws (row-major [draws × d]) and their mean and covariance.
//! let out = Chain::new(&model, &config, &[0.0], 7)?.record(&length, &mut ());
//! assert_eq!(out.len(), 2_000);
//! let mean = out.moments.mean()[0]; // the posterior mean is 5/11
//! assert!((mean - 5.0 / 11.0).abs() < 0.1);
//!
//! // Or watch every step: the same seed gives the same chain.
//! let mut last = f64::NAN;
//! let summary = Chain::new(&model, &config, &[0.0], 7)?.execute(
//!     &length,
//!     &mut each_step(|step: &StepView<'_>| {
//!         last = step.theta()[0];
//!         Flow::Continue
//!     }),
//! );
//! assert_eq!(summary.steps, 21_000);
//! assert_eq!(last, out.draw(out.len() - 1)[0]);
//! # Ok::<(), sgbayes::Error>(())
//! ```
//!
//! # Checking draws from Rust
//!
//! [`check::check_sampler`] tests draws made by any code against the exact stationary law of the
//! sampler they claim to be, and when they are inconsistent it names the common mistake whose
//! exact law fits. Here an SGLD written by hand, θ ← θ − (ε/2) ĝ(θ) + √ε ξ with
//! ĝ = λθ + (N/B) Σ_{i∈S} x_i(x_i θ − y_i)/σ², is checked twice: as written, and with the
//! noise of the other common convention, √(2ε) ξ.
//!
//! ```
//! use rand::{Rng, SeedableRng};
//! use rand_distr::StandardNormal;
//! use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
//! use sgbayes::check::{check_sampler, ChainDraws, CheckOptions, Verdict};
//! use sgbayes::{problem::Problem, theory::DrawAt};
//!
//! let x: Vec<f64> = (0..20).map(|i| (i as f64 - 9.5) / 5.0).collect();
//! let y: Vec<f64> = x.iter().map(|x| 0.7 * x + 0.3).collect();
//! let (eps, batch) = (0.02, 4);
//! let my_sgld = |noise_scale: f64| -> Vec<f64> {
//!     let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
//!     let mut theta = 0.0_f64;
//!     (0..200_000).map(|_| {
//!         let mut grad = 1.0 * theta; // prior precision λ = 1, noise variance σ² = 1
//!         for _ in 0..batch {
//!             let i = rng.gen_range(0..x.len());
//!             grad += (x.len() / batch) as f64 * x[i] * (x[i] * theta - y[i]);
//!         }
//!         let xi: f64 = rng.sample(StandardNormal);
//!         theta += -0.5 * eps * grad + noise_scale * eps.sqrt() * xi;
//!         theta
//!     }).collect()
//! };
//!
//! let rows: Vec<Vec<f64>> = x.iter().map(|&x| vec![x]).collect();
//! let problem = Problem::LinearRegression(LinearRegression::new(rows, y.clone(), 1.0, 1.0)?);
//! let claimed = SamplerConfig::new(SamplerKind::Sgld, eps, batch, Batching::WithReplacement);
//! let options = CheckOptions { burn_in: 1_000, ..CheckOptions::default() };
//!
//! let draws = my_sgld(1.0);
//! let report = check_sampler(&ChainDraws::single(&draws, 1)?, &problem, &claimed, DrawAt::EveryStep, &options)?;
//! assert_eq!(report.verdict, Verdict::Consistent);
//!
//! let wrong = my_sgld(2.0_f64.sqrt()); // noise √(2ε): a different law
//! let report = check_sampler(&ChainDraws::single(&wrong, 1)?, &problem, &claimed, DrawAt::EveryStep, &options)?;
//! assert_eq!(report.verdict, Verdict::Inconsistent);
//! // The message gives the evidence and the mistake whose exact law fits the draws:
//! // "... consistent with sgld with the injected noise variance x2 (p = 0.384): is the injected
//! // noise sqrt(2 eps) xi instead of sqrt(eps) xi? ..."
//! let fit = report.diagnosis.and_then(|d| d.best).expect("a mistake that fits");
//! assert_eq!(fit.mistake, "noise_variance_x2");
//! # Ok::<(), sgbayes::Error>(())
//! ```
//!
//! [`check::check_draws`] does the same against any [`check::ExactLaw`] (for instance one built
//! from a model of your own), and [`check::ChainDraws::new`] takes several chains.

// `!(x > 0.0)` is deliberate throughout: it rejects NaN along with the out-of-range values.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod batching;
pub mod chain;
pub mod check;
pub mod config;
pub mod datasets;
mod dense_cholesky;
pub mod error;
pub mod json;
pub mod models;
pub mod online;
pub mod problem;
pub mod recipe;
#[cfg(feature = "reports")]
pub mod reproductions;
pub mod samplers;
pub mod spec;
pub mod stats;
pub mod theory;
pub mod workflow;

pub use error::{Error, Result};
