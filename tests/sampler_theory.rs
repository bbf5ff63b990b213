//! Closed forms of the samplers of issue 3 against independent facts (deterministic, tier 1):
//! limits that reduce a sampler to one whose law is already tested, the papers' continuous-time
//! statements, and the tuning results.

mod common;

use approx::assert_relative_eq;
use common::*;
use nalgebra::DMatrix;
use sgbayes::batching::Batching;
use sgbayes::config::{Preconditioner, SamplerConfig, SamplerKind};
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
    // η relative to the curvature of the committed problem, so that a reseeded problem (the
    // calibration audit) gets the same ηλ_max; on the committed seed the factor is exactly 1.
    let reference = random_linear_regression(2, 12, fixed_seed_of("sghmc-limit"));
    let scale = theory::largest_curvature(&reference) / theory::largest_curvature(&model);
    for eta in [4e-3, 2e-3, 1e-3].map(|e| e * scale) {
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

// ---------------------------------------------------------------------------------------------
// Preconditioned samplers.

fn given(h: &DMatrix<f64>) -> Preconditioner {
    let rows: Vec<Vec<f64>> = h.row_iter().map(|r| r.iter().cloned().collect()).collect();
    Preconditioner::from_rows(&rows).unwrap()
}

/// Centres whose empirical covariance (1/N normalisation) is exactly diag(scales²), around `shift`.
fn centres_with_covariance(d: usize, n: usize, scales: &[f64], seed: u64) -> Vec<Vec<f64>> {
    let base = random_gaussian_mean(d, n, seed);
    let raw = DMatrix::from_fn(n, d, |i, k| base.centre(i)[k]);
    let mean = raw.row_mean();
    let centred = DMatrix::from_fn(n, d, |i, k| raw[(i, k)] - mean[k]);
    let covariance = centred.transpose() * &centred / n as f64;
    let whitening = nalgebra::Cholesky::new(covariance)
        .unwrap()
        .l()
        .try_inverse()
        .unwrap();
    let white = &centred * whitening.transpose();
    (0..n)
        .map(|i| (0..d).map(|k| white[(i, k)] * scales[k] + 0.5).collect())
        .collect()
}

#[test]
fn preconditioner_identity_is_plain_sgd_and_psgld_identity_is_sgld() {
    let model = random_linear_regression(3, 25, seed_of("identity-preconditioner"));
    let identity = given(&DMatrix::identity(3, 3));
    for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
        for (plain, preconditioned, eps) in [
            (
                SamplerKind::Sgd,
                SamplerKind::SgdPreconditioned {
                    preconditioner: identity,
                },
                0.2,
            ),
            (
                SamplerKind::Sgld,
                SamplerKind::Psgld {
                    preconditioner: identity,
                },
                0.01,
            ),
        ] {
            let a = theta_law(&SamplerConfig::new(plain, eps, 4, batching), &model);
            let b = theta_law(
                &SamplerConfig::new(preconditioned, eps, 4, batching),
                &model,
            );
            assert!(relative_error(&b.stationary.covariance, &a.stationary.covariance) < 1e-12);
            assert!((&a.stationary.mean - &b.stationary.mean).amax() < 1e-12);
            assert_relative_eq!(a.stability_limit, b.stability_limit, max_relative = 1e-12);
        }
    }
}

/// Mandt et al. (2017), Theorem 2: with H* = (2B/(εN)) C⁻¹ the OU stationary law is the posterior,
/// KL = 0 (also without replacement with our γ refinement); the exact discrete law is not the
/// posterior, and its KL grows with the ε-free step 2B/(γN) (ε H* does not depend on ε).
///
/// (An earlier version bounded KL_exact by 2B/(γN); the reseed audit found problems where it is
/// exceeded — on linear regression the state-dependent part of the gradient noise, which H* does
/// not see, inflates the exact covariance by an O(1) multiple of the step. The bound was a
/// heuristic; the monotonicity below and the exact Gaussian-mean identity in the next test are
/// what the mathematics supports.)
#[test]
fn optimal_preconditioner_makes_the_ou_law_the_posterior() {
    let model = random_linear_regression(3, 40, seed_of("optimal-preconditioner"));
    for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
        let mut previous = 0.0;
        for b in [1, 3, 5] {
            let config = SamplerConfig::new(
                SamplerKind::SgdPreconditioned {
                    preconditioner: Preconditioner::Optimal,
                },
                0.05,
                b,
                batching,
            );
            let report = theta_law(&config, &model);
            assert!(
                report.kl_continuous_to_posterior.abs() < 1e-10,
                "{config:?}: {}",
                report.kl_continuous_to_posterior
            );
            assert!(
                report.kl_stationary_to_posterior > previous,
                "{config:?}: KL {} does not grow with B (previous {previous})",
                report.kl_stationary_to_posterior
            );
            previous = report.kl_stationary_to_posterior;
            // ε H* does not depend on ε: the exact law does not either.
            let other = theta_law(
                &SamplerConfig {
                    step_size: 0.5,
                    ..config
                },
                &model,
            );
            assert!(
                relative_error(&other.stationary.covariance, &report.stationary.covariance) < 1e-10
            );
        }
    }
}

/// With state-independent gradient noise (Gaussian mean) the exact law under H* is explicit: the
/// step is θ' − μ = (I − A)(θ − μ) + noise with A = (ε/N) H* P and, because the OU law is the
/// posterior, noise covariance Q = A P⁻¹ + P⁻¹ Aᵀ; so Σ_exact = (I − A) Σ_exact (I − A)ᵀ + Q,
/// i.e. A X + X Aᵀ − A X Aᵀ = Q (derived here). Checked against the engine to 1e-9.
#[test]
fn optimal_preconditioner_exact_law_on_a_gaussian_mean_is_the_discrete_lyapunov_solution() {
    let model = random_gaussian_mean(3, 40, seed_of("optimal-preconditioner-gm"));
    let precision = model.posterior_precision();
    let covariance = precision.clone().try_inverse().unwrap();
    for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
        for b in [1, 5] {
            let config = SamplerConfig::new(
                SamplerKind::SgdPreconditioned {
                    preconditioner: Preconditioner::Optimal,
                },
                0.05,
                b,
                batching,
            );
            let h = theory::preconditioner_matrix(&config, &model)
                .unwrap()
                .unwrap();
            let a = &h * &precision * (0.05 / 40.0);
            let q = &a * &covariance + &covariance * a.transpose();
            let retention = DMatrix::identity(3, 3) - &a;
            let expected = theory::solve_discrete_lyapunov(&retention, &q).unwrap();
            let report = theta_law(&config, &model);
            assert!(
                relative_error(&report.stationary.covariance, &expected) < 1e-9,
                "{config:?}: {} vs {expected}",
                report.stationary.covariance
            );
        }
    }
}

/// The diagonal optimum H*_kk = 2B/(εN C_kk) is the full optimum when A and C are diagonal
/// (Mandt et al. 2017, §4): then its OU law is the posterior too.
#[test]
fn optimal_diagonal_preconditioner_is_exact_when_curvature_and_noise_are_diagonal() {
    let (d, n) = (3, 30);
    let curvature = DMatrix::from_diagonal(&nalgebra::DVector::from_vec(vec![0.5, 1.0, 3.0]));
    let centres = centres_with_covariance(d, n, &[1.0, 0.4, 2.0], seed_of("diag-optimal"));
    let model = GaussianMean::new(curvature, centres, vec![0.5; d], 0.8).unwrap();
    for preconditioner in [Preconditioner::Optimal, Preconditioner::OptimalDiagonal] {
        let config = SamplerConfig::new(
            SamplerKind::SgdPreconditioned { preconditioner },
            0.1,
            3,
            Batching::WithReplacement,
        );
        let report = theta_law(&config, &model);
        assert!(report.kl_continuous_to_posterior.abs() < 1e-10);
    }
    let full =
        theory::optimal_preconditioner(&model, 0.1, 3, Batching::WithReplacement, false).unwrap();
    let diagonal =
        theory::optimal_preconditioner(&model, 0.1, 3, Batching::WithReplacement, true).unwrap();
    assert!(relative_error(&full, &diagonal) < 1e-10);
}

/// pSGLD with a fixed G and no gradient noise (full batch): Σ = (P − (ε/4) P G P)⁻¹ (the
/// preconditioned-Langevin closed form of the companion digest, claim S2, with η = ε/2).
#[test]
fn full_batch_psgld_covariance_has_the_closed_form() {
    let model = random_linear_regression(3, 15, seed_of("psgld-closed-form"));
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(3);
    let g = random_spd(3, 4.0, &mut rng);
    let g = (&g + g.transpose()) * 0.5;
    let p = model.posterior_precision();
    let mut config = SamplerConfig::new(
        SamplerKind::Psgld {
            preconditioner: given(&g),
        },
        1.0,
        15,
        Batching::WithoutReplacement,
    );
    let limit = theory::stability_limit(&config, &model);
    for fraction in [0.01, 0.2, 0.6] {
        config.step_size = fraction * limit;
        let want = (&p - &p * &g * &p * (config.step_size / 4.0))
            .try_inverse()
            .unwrap();
        let report = theta_law(&config, &model);
        assert!(relative_error(&report.stationary.covariance, &want) < 1e-10);
    }
}

/// NGD on a Gaussian mean with A = I and centres of empirical covariance I (gradient noise equal
/// to the Fisher): the exact law is Σ = ε²γ/(B(1 − ρ²)) I with ρ = 1 − ε(1 + λ/N), and as λ → 0
/// Σ = T_disc (NA)⁻¹ with T_disc = γεN/(B(2 − ε)) (derived here; Smith et al.'s T = γεN/(2B) is
/// its ε → 0 limit).
#[test]
fn ngd_discrete_temperature_on_the_gaussian_mean() {
    let (d, n) = (2, 60);
    let centres = centres_with_covariance(d, n, &[1.0, 1.0], seed_of("ngd-temperature"));
    for (lambda, tolerance) in [(0.7, 1e-10), (1e-9, 1e-7)] {
        let model = GaussianMean::new(
            DMatrix::identity(d, d),
            centres.clone(),
            vec![0.0; d],
            lambda,
        )
        .unwrap();
        for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
            for (eps, b) in [(0.1, 10), (0.5, 3), (1.2, 30)] {
                let config = SamplerConfig::new(SamplerKind::Ngd, eps, b, batching);
                let report = theta_law(&config, &model);
                let gamma = batching.finite_population_factor(n, b).unwrap();
                let rho = 1.0 - eps * (1.0 + lambda / n as f64);
                let variance = eps * eps * gamma / (b as f64 * (1.0 - rho * rho));
                let want = DMatrix::identity(d, d) * variance;
                assert!(relative_error(&report.stationary.covariance, &want) < 1e-10);
                if lambda < 1e-6 {
                    let t_disc = gamma * eps * n as f64 / (b as f64 * (2.0 - eps));
                    assert_relative_eq!(
                        report.effective_temperature,
                        t_disc,
                        max_relative = tolerance
                    );
                    assert_relative_eq!(
                        report.temperature,
                        gamma * eps * n as f64 / (2.0 * b as f64),
                        max_relative = 1e-12
                    );
                }
            }
        }
    }
}

#[test]
fn bad_preconditioners_are_typed_errors() {
    let model = random_linear_regression(2, 10, seed_of("preconditioner-errors"));
    let with = |kind| SamplerConfig::new(kind, 0.01, 2, Batching::WithReplacement);
    let not_spd = given(&DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]));
    let not_symmetric = given(&DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]));
    let wrong_size = given(&DMatrix::identity(3, 3));
    for preconditioner in [not_spd, not_symmetric, wrong_size] {
        for kind in [
            SamplerKind::SgdPreconditioned { preconditioner },
            SamplerKind::Psgld { preconditioner },
        ] {
            let err = theory::affine_map(&with(kind), &model).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::NotPositiveDefinite { .. } | Error::DimensionMismatch { .. }
                ),
                "{err}"
            );
            assert!(sgbayes::samplers::build(&with(kind), 2, 10).is_err());
        }
    }
    assert!(Preconditioner::from_rows(&[vec![1.0, 0.0], vec![0.0]]).is_err());
    assert!(Preconditioner::from_rows(&[vec![f64::NAN]]).is_err());
    // pSGLD has no optimal preconditioner; the sampler needs optimal ones resolved first.
    let psgld_optimal = SamplerKind::Psgld {
        preconditioner: Preconditioner::Optimal,
    };
    assert!(matches!(
        theory::affine_map(&with(psgld_optimal), &model).unwrap_err(),
        Error::Invalid { .. }
    ));
    let optimal = with(SamplerKind::SgdPreconditioned {
        preconditioner: Preconditioner::Optimal,
    });
    assert!(matches!(
        sgbayes::samplers::build(&optimal, 2, 10).err().unwrap(),
        Error::Invalid { .. }
    ));
    assert!(sgbayes::samplers::build(
        &theory::resolve_preconditioner(&optimal, &model).unwrap(),
        2,
        10
    )
    .is_ok());
    // No gradient noise (B = N without replacement): no optimal preconditioner.
    let full = SamplerConfig::new(
        SamplerKind::SgdPreconditioned {
            preconditioner: Preconditioner::Optimal,
        },
        0.01,
        10,
        Batching::WithoutReplacement,
    );
    assert!(theory::affine_map(&full, &model).is_err());
    // NGD needs a non-singular Fisher: linear regression with N < d has none.
    let small = random_linear_regression(3, 2, seed_of("singular-fisher"));
    let ngd = SamplerConfig::new(SamplerKind::Ngd, 0.1, 1, Batching::WithReplacement);
    assert!(matches!(
        theory::affine_map(&ngd, &small).unwrap_err(),
        Error::NotPositiveDefinite { .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Iterate averaging and ASGS.

/// The finite-n window covariance equals the double sum of the exact autocovariances,
/// (1/n²) Σ_{s,t<n} Cov(z_s, z_t), and n·Cov(θ̄_n) → Ω with an O(1/n) gap.
#[test]
fn window_mean_covariance_is_the_double_sum_and_tends_to_omega_over_n() {
    let model = random_linear_regression(3, 30, seed_of("window-mean"));
    let mut config = SamplerConfig::new(SamplerKind::Sgd, 1.0, 4, Batching::WithReplacement);
    config.step_size = 0.3 * theory::stability_limit(&config, &model);
    let law = theory::affine_map(&config, &model)
        .unwrap()
        .stationary_law()
        .unwrap();
    for n in [1usize, 2, 7, 30] {
        let mut want = DMatrix::zeros(3, 3);
        for s in 0..n {
            for t in 0..n {
                let c = if s >= t {
                    law.autocovariance(s - t)
                } else {
                    law.autocovariance(t - s).transpose()
                };
                want += c;
            }
        }
        want /= (n * n) as f64;
        let got = theory::window_mean_covariance(&law, n).unwrap();
        assert!(relative_error(&got, &want) < 1e-10, "n = {n}");
    }
    let omega = law.long_run_covariance();
    let gap = |n: usize| {
        relative_error(
            &(theory::window_mean_covariance(&law, n).unwrap() * n as f64),
            &omega,
        )
    };
    let (g1, g2) = (gap(2000), gap(4000));
    assert!(g1 < 0.05, "{g1}");
    assert!(((g1 / g2).log2() - 1.0).abs() < 0.05, "{g1} {g2}");
    assert!(theory::window_mean_covariance(&law, 0).is_err());
}

/// Polyak–Ruppert / Mandt et al. (2017, §5): with state-independent gradient noise (Gaussian mean)
/// the long-run covariance of constant SGD is (γ/B) A⁻¹ C A⁻¹ (A = P/N, C the per-example
/// gradient-noise covariance) for every ε — exactly, in discrete time.
#[test]
fn polyak_long_run_covariance_does_not_depend_on_eps() {
    let model = random_gaussian_mean(3, 40, seed_of("polyak"));
    let n = 40.0;
    let optimum = theory::exact_posterior(&model).unwrap().mean;
    let c = theory::gradient_noise_covariance(&model, &optimum);
    let a_inverse = (model.posterior_precision() / n).try_inverse().unwrap();
    for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
        let b = 5;
        let gamma = batching.finite_population_factor(40, b).unwrap();
        let want = &a_inverse * &c * &a_inverse * (gamma / b as f64);
        let mut config = SamplerConfig::new(SamplerKind::Sgd, 1.0, b, batching);
        let limit = theory::stability_limit(&config, &model);
        for fraction in [0.01, 0.1, 0.5] {
            config.step_size = fraction * limit;
            let report = theta_law(&config, &model);
            assert!(relative_error(&report.long_run_covariance, &want) < 1e-10);
        }
    }
}

/// ASGS reports the law of one window mean, Ω/n as the paper's approximation and T = γN/(Bn).
#[test]
fn asgs_report_is_the_window_mean_law() {
    let model = random_linear_regression(2, 30, seed_of("asgs-report"));
    let sgd = SamplerConfig::new(SamplerKind::Sgd, 0.5, 3, Batching::WithoutReplacement);
    let asgs = SamplerConfig {
        kind: SamplerKind::Asgs { window: 10 },
        ..sgd
    };
    let law = theory::affine_map(&sgd, &model)
        .unwrap()
        .stationary_law()
        .unwrap();
    let report = theta_law(&asgs, &model);
    let want = theory::window_mean_covariance(&law, 10).unwrap();
    assert!(relative_error(&report.stationary.covariance, &want) < 1e-12);
    assert!(
        relative_error(
            &report.stationary_continuous.covariance,
            &(law.long_run_covariance() / 10.0)
        ) < 1e-12
    );
    let gamma = 27.0 / 29.0;
    assert_relative_eq!(
        report.temperature,
        gamma * 30.0 / 30.0,
        max_relative = 1e-12
    );
    let one = theta_law(
        &SamplerConfig {
            kind: SamplerKind::Asgs { window: 1 },
            ..sgd
        },
        &model,
    );
    assert!(
        relative_error(
            &one.stationary.covariance,
            &theta_law(&sgd, &model).stationary.covariance
        ) < 1e-12
    );
    let zero = SamplerConfig {
        kind: SamplerKind::Asgs { window: 0 },
        ..sgd
    };
    assert!(matches!(
        theory::affine_map(&zero, &model).unwrap_err(),
        Error::Invalid { .. }
    ));
}
