//! Constant SGD as a variational EM algorithm (Mandt et al. 2017, contribution (2)) simulated with
//! the real `sgd` sampler in the E-step, on the diabetes regression.
//!
//! # Formula
//! The M-step of [`crate::theory::variational_em`] reads the E-step law q only through two
//! moments: λ' = d / E_q‖θ‖² and σ²' = E_q‖y − Xθ‖²/N (E_q‖θ‖² = ‖m‖² + tr S and
//! E_q‖y − Xθ‖² = ‖y − Xm‖² + tr(XᵀXS)). Here q is the empirical law of a chain of the crate's
//! `sgd` on the model at the current (λ, σ²), B = 10, step size Theorem 1's ε* at (λ, σ²), warm
//! started at the previous E-step's last state; both moments are chain averages of scalar series
//! observed through [`Chain::execute`], with batch-means standard errors, so λ' carries the
//! delta-method error λ'²·SE(‖θ‖²)/d. \[derived\]

use serde::Serialize;

use crate::batching::Batching;
use crate::chain::{each_draw, Chain, Flow, RunLength};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{LinearRegression, Model};
use crate::reproductions::numbers::{sig6_vec, Estimate};
use crate::reproductions::simulate::run_seed;
use crate::reproductions::Config;
use crate::stats::batch_means::univariate_batch_means_auto;
use crate::theory::variational_em::{
    em_update, with_hyperparameters, EStep, Hyperparameters, Learned, StepRule,
};
use crate::theory::{affine_map, exact_posterior, optimal_learning_rate};

/// The start of every EM path.
pub(crate) const EM_START: Hyperparameters = Hyperparameters {
    prior_precision: 1.0,
    noise_variance: 1.0,
};

/// Minibatch size of the simulated E-steps.
pub(crate) const EM_BATCH_SIZE: usize = 10;
/// Offset of the simulated EM's run indices in [`run_seed`] (disjoint from the other sections').
const EM_RUNS: u64 = 2000;

/// The E-step law of the closed-form comparison: constant SGD at ε*, B = [`EM_BATCH_SIZE`].
pub(crate) const SGD_E_STEP: EStep = EStep::ConstantSgd {
    step: StepRule::KlOptimal,
    batch_size: EM_BATCH_SIZE,
    batching: Batching::WithReplacement,
};

/// A simulated EM path: the hyperparameters after each iteration (the start excluded), each with
/// the Monte-Carlo error of its E-step, and the exact-law M-step from the same previous iterate.
#[derive(Debug, Clone, Serialize)]
pub struct SimulatedEm {
    /// Relaxation times per E-step chain (after a burn-in of 20).
    pub relaxations: f64,
    /// Steps per E-step chain after burn-in.
    pub steps: Vec<usize>,
    /// λ after each iteration.
    pub prior_precision: Vec<Estimate>,
    /// σ² after each iteration.
    pub noise_variance: Vec<Estimate>,
    /// λ of the exact-law M-step from the same previous (simulated) iterate.
    #[serde(serialize_with = "sig6_vec")]
    pub prior_precision_exact_step: Vec<f64>,
    /// σ² of the exact-law M-step from the same previous (simulated) iterate.
    #[serde(serialize_with = "sig6_vec")]
    pub noise_variance_exact_step: Vec<f64>,
}

/// One simulated E-step + M-step from `h`: (λ', σ²'), the chain's last state and its length.
fn simulated_step(
    model: &LinearRegression,
    h: Hyperparameters,
    start: &[f64],
    relaxations: f64,
    seed: u64,
) -> Result<(Estimate, Estimate, Vec<f64>, usize)> {
    let current = with_hyperparameters(model, h)?;
    let mean = exact_posterior(&current)?.mean;
    let batching = Batching::WithReplacement;
    let eps =
        optimal_learning_rate(&current, &mean, EM_BATCH_SIZE, batching)?.ok_or_else(|| {
            Error::NoClosedForm {
                what: "Theorem 1's step size without gradient noise".into(),
            }
        })?;
    let config = SamplerConfig::new(SamplerKind::Sgd, eps, EM_BATCH_SIZE, batching);
    let tau = 1.0 / (1.0 - affine_map(&config, &current)?.mean_spectral_radius());
    let length = RunLength {
        burn_in: (20.0 * tau).ceil() as usize,
        steps: (relaxations * tau).ceil() as usize,
        thin: ((tau / 8.0).floor() as usize).max(1),
    };
    let (rows, targets) = (current.feature_rows(), current.targets());
    let n = targets.len() as f64;
    let (mut squared_norms, mut residuals) = (Vec::new(), Vec::new());
    let mut chain = Chain::new(&current, &config, start, seed)?;
    chain.execute(
        &length,
        &mut each_draw(|_, theta: &[f64]| {
            squared_norms.push(theta.iter().map(|t| t * t).sum::<f64>());
            let residual: f64 = rows
                .iter()
                .zip(targets)
                .map(|(x, y)| (y - x.iter().zip(theta).map(|(a, b)| a * b).sum::<f64>()).powi(2))
                .sum();
            residuals.push(residual / n);
            Flow::Continue
        }),
    );
    let summary = |series: &[f64]| {
        univariate_batch_means_auto(series).map_err(|e| Error::Invalid {
            what: "simulated E-step".into(),
            why: e.to_string(),
        })
    };
    let (norms, residual) = (summary(&squared_norms)?, summary(&residuals)?);
    let d = model.dimension() as f64;
    let lambda = d / norms.mean;
    Ok((
        Estimate {
            value: lambda,
            mcse: lambda * lambda * norms.standard_error / d,
            dof: norms.n_batches - 1,
        },
        Estimate::from_batch_means(&residual),
        chain.theta().to_vec(),
        length.steps,
    ))
}

/// Runs the simulated EM from the figure's start (quick: 3 iterations of 500 relaxation times;
/// full: 8 of 2 000).
pub(super) fn simulated_em(config: &Config, model: &LinearRegression) -> Result<SimulatedEm> {
    let (iterations, relaxations) = if config.quick {
        (3, 500.0)
    } else {
        (8, 2_000.0)
    };
    let mut em = SimulatedEm {
        relaxations,
        steps: Vec::new(),
        prior_precision: Vec::new(),
        noise_variance: Vec::new(),
        prior_precision_exact_step: Vec::new(),
        noise_variance_exact_step: Vec::new(),
    };
    let mut h = EM_START;
    let mut state = vec![0.0; model.dimension()];
    for k in 0..iterations {
        let seed = run_seed(config.seed, EM_RUNS + k as u64);
        let (lambda, sigma2, last, steps) = simulated_step(model, h, &state, relaxations, seed)?;
        let (exact, _) = em_update(model, h, SGD_E_STEP, Learned::Both)?;
        em.prior_precision_exact_step.push(exact.prior_precision);
        em.noise_variance_exact_step.push(exact.noise_variance);
        em.prior_precision.push(lambda);
        em.noise_variance.push(sigma2);
        em.steps.push(steps);
        state = last;
        h = Hyperparameters {
            prior_precision: lambda.value,
            noise_variance: sigma2.value,
        };
    }
    Ok(em)
}
