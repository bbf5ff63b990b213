//! Simulations of the real samplers on the synthetic linear regression.

use nalgebra::DVector;

use super::{sampler, MomentumCurve, SimPoint, BATCH_SIZE, DATA_SIZE};
use crate::config::{Preconditioner, SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::{LinearRegression, Model, QuadraticModel};
use crate::reproductions::numbers::{Estimate, Provenance, Row};
use crate::reproductions::simulate::{self, pool, pooled_covariance, run_seed, ChainJob};
use crate::reproductions::Config;
use crate::theory::{self, kl_divergence, resolve_preconditioner, GaussianLaw, TheoryReport};

/// Simulations of the real samplers on the regression: KL of the draws' Gaussian fit, delta-method
/// MCSE.
pub(super) fn regression_simulations(
    config: &Config,
    model: &LinearRegression,
    posterior: &GaussianLaw,
    reg_eps_star: f64,
    sgld_limit: f64,
    momentum: &MomentumCurve,
) -> Result<Vec<SimPoint>> {
    let (chains, relaxations, sgd_factors, sgld_fractions): (usize, f64, Vec<f64>, Vec<f64>) =
        if config.quick {
            (2, 3_000.0, vec![1.0], vec![0.05])
        } else {
            (4, 20_000.0, vec![0.25, 1.0, 4.0], vec![0.01, 0.05, 0.2])
        };
    let mut specs: Vec<(String, SamplerConfig)> = sgd_factors
        .iter()
        .map(|f| {
            (
                "sgd".to_string(),
                sampler(SamplerKind::Sgd, f * reg_eps_star),
            )
        })
        .collect();
    specs.extend(sgld_fractions.iter().map(|f| {
        (
            "sgld".to_string(),
            sampler(SamplerKind::Sgld, f * sgld_limit),
        )
    }));
    // Claim M4: SGD with momentum at ε = ε*/4 and the KL-optimal damping μ* = ε/ε*.
    specs.push((
        "sgd-momentum".to_string(),
        sampler(
            SamplerKind::SgdMomentum {
                damping: momentum.damping_star,
            },
            momentum.step_size,
        ),
    ));
    // Theorem 2: the KL-optimal full and diagonal preconditioners (εH* does not depend on ε).
    for (label, preconditioner) in [
        ("sgd-preconditioned H*", Preconditioner::Optimal),
        (
            "sgd-preconditioned diagonal H*",
            Preconditioner::OptimalDiagonal,
        ),
    ] {
        let cfg = resolve_preconditioner(
            &sampler(
                SamplerKind::SgdPreconditioned { preconditioner },
                reg_eps_star,
            ),
            model,
        )?;
        specs.push((label.to_string(), cfg));
    }
    // Claim M8: the Averaged Stochastic Gradient Sampler, windows of one epoch (N/B iterates).
    let window = DATA_SIZE / BATCH_SIZE;
    specs.push((
        format!("asgs (window {window})"),
        sampler(SamplerKind::Asgs { window }, reg_eps_star),
    ));
    let mut jobs = Vec::new();
    let mut prepared = Vec::new();
    for (label, cfg) in specs {
        let eps = cfg.step_size;
        let report = TheoryReport::compute(model, &cfg)?;
        let rho = theory::affine_map(&cfg, model)?.mean_spectral_radius();
        let tau = 1.0 / (1.0 - rho);
        let steps = (relaxations * tau).ceil() as usize;
        for _ in 0..chains {
            jobs.push(ChainJob {
                config: cfg,
                start: report.stationary.mean.iter().cloned().collect(),
                burn_in: (20.0 * tau).ceil() as usize,
                steps,
                thin: if matches!(cfg.kind, SamplerKind::Asgs { .. }) {
                    1
                } else {
                    ((tau / 8.0).floor() as usize).max(1)
                },
                seed: run_seed(config.seed, jobs.len() as u64),
            });
        }
        prepared.push((label, eps, report, steps));
    }
    let progress =
        simulate::progress_bar(config.progress, simulate::total_steps(&jobs), "mandt2017");
    let precision = model.posterior_precision();
    let d = model.dimension();
    let mut simulations = Vec::new();
    for (k, (label, eps, report, steps)) in prepared.into_iter().enumerate() {
        let sigma_inv = report
            .stationary
            .covariance
            .clone()
            .try_inverse()
            .expect("the stationary covariance is positive definite");
        let weight = (&precision - sigma_inv) * 0.5;
        let summaries = simulate::run_chains(
            model,
            &jobs[k * chains..(k + 1) * chains],
            &[weight, &precision / d as f64],
            &progress,
        )?;
        let pooled = pool(&summaries);
        let linear = pooled[0];
        let mean = summaries
            .iter()
            .fold(DVector::zeros(d), |acc, s| acc + &s.mean)
            / summaries.len() as f64;
        let fitted = GaussianLaw::new(mean, pooled_covariance(&summaries))?;
        let kl = kl_divergence(&fitted, posterior)?;
        simulations.push(SimPoint {
            sampler: label,
            step_size: eps,
            kl_exact: report.kl_stationary_to_posterior,
            kl_continuous: report.kl_continuous_to_posterior,
            kl_simulated: Estimate {
                value: kl,
                ..linear
            },
            temperature_exact: report.effective_temperature,
            temperature_simulated: pooled[1],
            chains,
            steps,
        });
    }
    progress.finish_and_clear();
    Ok(simulations)
}

/// The rows of the regression simulations.
pub(super) fn simulation_rows(simulations: &[SimPoint]) -> Vec<Row> {
    let mut rows = Vec::new();
    for sim in simulations {
        rows.push(
            Row::new(
                format!(
                    "regression {}: KL at ε = {:.4e} (OU / asymptotic approximation: {:.4})",
                    sim.sampler,
                    sim.step_size,
                    if sim.kl_continuous.abs() < 1e-12 {
                        0.0
                    } else {
                        sim.kl_continuous
                    }
                ),
                Provenance::Derived,
            )
            .closed_form(sim.kl_exact)
            .simulation(sim.kl_simulated),
        );
        rows.push(
            Row::new(
                format!(
                    "regression {}: tr(PΣ)/d at ε = {:.4e}",
                    sim.sampler, sim.step_size
                ),
                Provenance::Derived,
            )
            .closed_form(sim.temperature_exact)
            .simulation(sim.temperature_simulated),
        );
    }
    rows
}
