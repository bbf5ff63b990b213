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
//! * [`chain`] — the driver: seeded ChaCha streams, burn-in, thinning, streaming moments.
//! * [`theory`] — exact posterior, the affine-random-map engine, OU approximation, tuning.
//! * [`stats`] — streaming moments, ESS, calibrated tests with a false-positive budget.
//! * [`problem`] — the JSON problem file and the .npy draws file.
//! * [`check`] — tests draws from any program against the exact law of a declared sampler.
//! * [`reproductions`] — one module per paper: typed records, SVG figures, report directories.
//!
//! ```
//! use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression, theory};
//! let model = LinearRegression::new(vec![vec![1.0, 0.5], vec![0.2, 1.0], vec![1.0, -1.0]], vec![1.0, 0.0, 2.0], 1.0, 1.0).unwrap();
//! let config = SamplerConfig { kind: SamplerKind::Sgld, step_size: 0.05, batch_size: 1, batching: Batching::WithReplacement };
//! let law = theory::affine_map(&config, &model).unwrap().stationary_law().unwrap();
//! let posterior = theory::exact_posterior(&model).unwrap();
//! assert!((&law.mean - &posterior.mean).norm() < 1e-12); // SGLD's stationary mean is exact here
//! ```

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
#[cfg(feature = "reports")]
pub mod reproductions;
pub mod samplers;
pub mod spec;
pub mod stats;
pub mod theory;
pub mod workflow;

pub use error::{Error, Result};
