//! Closed forms of the samplers of issue 3 against independent facts (deterministic, tier 1):
//! limits that reduce a sampler to one whose law is already tested, the papers' continuous-time
//! statements, and the tuning results.

mod common;

use approx::assert_relative_eq;
use common::*;
use nalgebra::DMatrix;
use sgbayes::batching::Batching;
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::{GaussianMean, QuadraticModel};
use sgbayes::theory::{self, TheoryReport};
use sgbayes::Error;

fn theta_law(config: &SamplerConfig, model: &dyn QuadraticModel) -> TheoryReport {
    TheoryReport::compute(model, config).unwrap()
}

/// A Gaussian-mean model with isotropic curvature A = a I (so every matrix of the problem commutes
/// with the posterior precision).
fn isotropic_gaussian_mean(d: usize, n: usize, a: f64, seed: u64) -> GaussianMean {
    let base = random_gaussian_mean(d, n, seed);
    let centres = (0..n).map(|i| base.centre(i).to_vec()).collect();
    GaussianMean::new(DMatrix::identity(d, d) * a, centres, vec![0.3; d], 0.7).unwrap()
}

#[test]
fn momentum_with_unit_damping_is_plain_sgd() {
    let model = random_linear_regression(3, 20, seed_of("momentum-mu-1"));
    for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
        let sgd = SamplerConfig::new(SamplerKind::Sgd, 0.3, 4, batching);
        let momentum = SamplerConfig {
            kind: SamplerKind::SgdMomentum { damping: 1.0 },
            ..sgd
        };
        let (a, b) = (theta_law(&sgd, &model), theta_law(&momentum, &model));
        assert!((&a.stationary.mean - &b.stationary.mean).amax() < 1e-10);
        assert!(relative_error(&b.stationary.covariance, &a.stationary.covariance) < 1e-10);
        assert_relative_eq!(a.stability_limit, b.stability_limit, max_relative = 1e-12);
    }
}

/// Mandt et al. (2017, §4): momentum SGD with damping μ behaves like SGD with learning rate ε/μ,
/// so halving ε and μ together leaves the θ-law unchanged up to discrete-time corrections of
/// order ελ/μ (λ = λ_max of the Hessian of L = U/N). At fixed μ the change falls linearly in ε.
#[test]
fn halving_eps_and_damping_together_changes_the_momentum_law_by_order_eps_lambda_over_mu() {
    let n = 40;
    let model = random_linear_regression(3, n, seed_of("momentum-halving"));
    let lambda = theory::largest_curvature(&model) / n as f64;
    let config = |eps: f64, mu: f64| {
        SamplerConfig::new(
            SamplerKind::SgdMomentum { damping: mu },
            eps,
            5,
            Batching::WithReplacement,
        )
    };
    let mu = 0.4;
    let mut previous = f64::INFINITY;
    for eps in [0.2, 0.1, 0.05] {
        let a = theta_law(&config(eps, mu), &model);
        let b = theta_law(&config(eps / 2.0, mu / 2.0), &model);
        let change = relative_error(&a.stationary.covariance, &b.stationary.covariance);
        let order = eps * lambda / mu;
        assert!(
            change < 0.2 * order,
            "ε = {eps}: change {change} vs ελ/μ = {order}"
        );
        assert!(
            change < 0.55 * previous,
            "change must fall ~linearly in ε: {change} after {previous}"
        );
        previous = change;
        assert!((&a.stationary.mean - &b.stationary.mean).amax() < 1e-10);
    }
}

/// In the commuting case the OU θ-law of momentum SGD is exactly that of SGD with learning rate
/// ε/μ (Mandt et al. 2017, §4: A Σ + Σ A = (ε/(μS)) C).
#[test]
fn momentum_ou_law_is_sgd_ou_law_at_eps_over_mu_when_everything_commutes() {
    let model = isotropic_gaussian_mean(3, 30, 1.7, seed_of("momentum-ou"));
    for (eps, mu) in [(0.05, 0.5), (0.02, 0.1), (0.3, 0.9)] {
        let momentum = SamplerConfig::new(
            SamplerKind::SgdMomentum { damping: mu },
            eps,
            4,
            Batching::WithoutReplacement,
        );
        let sgd = SamplerConfig::new(SamplerKind::Sgd, eps / mu, 4, Batching::WithoutReplacement);
        let (a, b) = (theta_law(&momentum, &model), theta_law(&sgd, &model));
        assert!(
            relative_error(
                &a.stationary_continuous.covariance,
                &b.stationary_continuous.covariance
            ) < 1e-10
        );
        assert_relative_eq!(a.temperature, b.temperature, max_relative = 1e-12);
    }
}

/// SGHMC with α = 1, β̂ = 0 forgets v: θ' = θ − η ĝ + √(2η) ξ, which is SGLD with ε = 2η.
#[test]
fn sghmc_with_unit_friction_is_sgld_at_twice_the_learning_rate() {
    let model = random_gaussian_mean(2, 15, seed_of("sghmc-alpha-1"));
    let eta = 0.01;
    let sghmc = SamplerConfig::new(
        SamplerKind::Sghmc {
            friction: 1.0,
            noise_estimate: 0.0,
        },
        eta,
        3,
        Batching::WithReplacement,
    );
    let sgld = SamplerConfig::new(SamplerKind::Sgld, 2.0 * eta, 3, Batching::WithReplacement);
    let (a, b) = (theta_law(&sghmc, &model), theta_law(&sgld, &model));
    assert!((&a.stationary.mean - &b.stationary.mean).amax() < 1e-10);
    assert!(relative_error(&a.stationary.covariance, &b.stationary.covariance) < 1e-10);
}

/// Chen et al. (2014): with exact gradients (full batch) SGHMC's law tends to the posterior for θ
/// (O(η) discretisation error at fixed friction) and v to N(0, η I) (v = ε M⁻¹ r, r ~ N(0, M)) up
/// to the factor 2/(2 − α) of the discrete friction step.
#[test]
fn full_batch_sghmc_tends_to_the_posterior_and_v_to_variance_eta() {
    let model = random_linear_regression(2, 12, seed_of("sghmc-limit"));
    let posterior = theory::exact_posterior(&model).unwrap();
    let mut previous = f64::INFINITY;
    for eta in [4e-3, 2e-3, 1e-3] {
        let config = SamplerConfig::new(
            SamplerKind::Sghmc {
                friction: 0.3,
                noise_estimate: 0.0,
            },
            eta,
            12,
            Batching::WithoutReplacement,
        );
        let report = theta_law(&config, &model);
        let error = relative_error(&report.stationary.covariance, &posterior.covariance);
        assert!(
            error < 0.55 * previous,
            "η = {eta}: {error} after {previous}"
        );
        previous = error;
        let v_block = report
            .stationary_state
            .covariance
            .view((2, 2), (2, 2))
            .into_owned();
        // Without the gradient, v' = (1 − α) v + N(0, 2αη) has variance 2η/(2 − α): the v-form's
        // O(α) discretisation factor (α = ε M⁻¹ C → 0 with the step in the paper's scaling).
        let want = DMatrix::identity(2, 2) * (2.0 / (2.0 - 0.3));
        assert!(relative_error(&(v_block / eta), &want) < 0.02);
        assert!((&report.stationary.mean - &posterior.mean).amax() < 1e-10);
    }
    assert!(previous < 0.02);
}

#[test]
fn bad_momentum_parameters_are_typed_errors() {
    let model = random_linear_regression(2, 10, seed_of("momentum-errors"));
    let with = |kind| SamplerConfig::new(kind, 0.01, 2, Batching::WithReplacement);
    for damping in [0.0, -0.1, 1.5, f64::NAN] {
        let err =
            theory::affine_map(&with(SamplerKind::SgdMomentum { damping }), &model).unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err}");
        assert!(
            sgbayes::samplers::build(&with(SamplerKind::SgdMomentum { damping }), 2, 10).is_err()
        );
    }
    for (friction, noise_estimate) in [
        (0.0, 0.0),
        (0.1, 0.2),
        (0.1, -0.01),
        (1.5, 0.0),
        (f64::NAN, 0.0),
    ] {
        let kind = SamplerKind::Sghmc {
            friction,
            noise_estimate,
        };
        let err = theory::affine_map(&with(kind), &model).unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err}");
        assert!(sgbayes::samplers::build(&with(kind), 2, 10).is_err());
    }
    // Past the momentum stability limit η λ_max < 2(2 − μ).
    let mut config = with(SamplerKind::SgdMomentum { damping: 0.5 });
    config.step_size = 1.01 * theory::stability_limit(&config, &model);
    assert!(matches!(
        theory::affine_map(&config, &model).unwrap_err(),
        Error::PastStabilityLimit { .. }
    ));
    config.step_size *= 0.98;
    let map = theory::affine_map(&config, &model).unwrap();
    assert!(map.mean_spectral_radius() < 1.0);
}
