//! Closed forms against independent facts (test tier 1: deterministic, tolerances ~1e-10).

mod common;

use approx::assert_relative_eq;
use common::*;
use nalgebra::{DMatrix, DVector};
use sgbayes::batching::Batching;
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::{GaussianMean, LinearRegression, QuadraticModel};
use sgbayes::theory::{
    self, kl_divergence, optimal_learning_rate, AffineRandomMap, ExampleMatrices, GaussianLaw,
    TheoryReport,
};
use sgbayes::Error;

fn config(
    kind: SamplerKind,
    step_size: f64,
    batch_size: usize,
    batching: Batching,
) -> SamplerConfig {
    SamplerConfig {
        kind,
        step_size,
        batch_size,
        batching,
    }
}

/// 1-d Gaussian mean as linear regression with unit features.
fn one_dimensional(n: usize) -> LinearRegression {
    let targets: Vec<f64> = (0..n)
        .map(|i| (i as f64 * 0.37).sin() * 2.0 + 1.0)
        .collect();
    LinearRegression::new(vec![vec![1.0]; n], targets, 1.3, 0.5).unwrap()
}

#[test]
fn sgld_full_batch_variance_is_one_over_p_one_minus_eps_p_over_four() {
    let model = one_dimensional(20);
    let p = model.posterior_precision()[(0, 0)];
    for eps in [1e-4, 0.01, 0.05, 0.15] {
        let law = theory::affine_map(
            &config(SamplerKind::Sgld, eps, 20, Batching::WithoutReplacement),
            &model,
        )
        .unwrap()
        .stationary_law()
        .unwrap();
        assert_relative_eq!(
            law.covariance[(0, 0)],
            1.0 / (p * (1.0 - eps * p / 4.0)),
            max_relative = 1e-12
        );
    }
}

#[test]
fn sgld_minibatch_variance_matches_one_dimensional_formula() {
    // Var = (2 + ηV/B)/(p(2 − ηp)), η = ε/2, V = γ N² Var_pop(y)/σ⁴ (docs/exact-discrete-law.md §6).
    let model = one_dimensional(12);
    let p = model.posterior_precision()[(0, 0)];
    let y = DVector::from_vec(model.targets().to_vec());
    let var_y = y.map(|v| (v - y.mean()).powi(2)).mean();
    for (b, batching) in [
        (3, Batching::WithReplacement),
        (3, Batching::WithoutReplacement),
        (7, Batching::WithoutReplacement),
    ] {
        let eps = 0.02;
        let eta = eps / 2.0;
        let gamma = batching.finite_population_factor(12, b).unwrap();
        let v = gamma * 144.0 * var_y / (1.3f64 * 1.3);
        let want = (2.0 + eta * v / b as f64) / (p * (2.0 - eta * p));
        let law = theory::affine_map(&config(SamplerKind::Sgld, eps, b, batching), &model)
            .unwrap()
            .stationary_law()
            .unwrap();
        assert_relative_eq!(law.covariance[(0, 0)], want, max_relative = 1e-12);
    }
}

#[test]
fn sgld_stationary_covariance_tends_to_the_posterior_as_eps_vanishes() {
    let model = random_linear_regression(3, 40, seed_of("sgld-limit"));
    let posterior = theory::exact_posterior(&model).unwrap();
    let mut previous = f64::INFINITY;
    // Step sizes as fractions of the stability limit, so that the check holds for any problem.
    let limit = theory::stability_limit(
        &config(SamplerKind::Sgld, 1.0, 4, Batching::WithReplacement),
        &model,
    );
    for eps in [1e-2, 1e-3, 1e-4, 1e-5].map(|f| f * limit) {
        let law = theory::affine_map(
            &config(SamplerKind::Sgld, eps, 4, Batching::WithReplacement),
            &model,
        )
        .unwrap()
        .stationary_law()
        .unwrap();
        let error = relative_error(&law.covariance, &posterior.covariance);
        assert!(
            error < previous / 5.0,
            "bias must fall ~linearly in ε: {error} after {previous}"
        );
        previous = error;
        assert!((&law.mean - &posterior.mean).amax() < 1e-10);
    }
    assert!(previous < 1e-3);
}

#[test]
fn exact_law_tends_to_the_ou_law_with_a_first_order_gap() {
    // |Σ_exact − Σ_OU| / |Σ_OU| = O(ε): halving ε halves the gap (slope 1 on log–log axes).
    for kind in [SamplerKind::Sgld, SamplerKind::Sgd] {
        let model = random_linear_regression(3, 30, seed_of("ou-limit"));
        let limit =
            theory::stability_limit(&config(kind, 1.0, 5, Batching::WithReplacement), &model);
        let gap = |eps: f64| {
            let map = theory::affine_map(&config(kind, eps, 5, Batching::WithReplacement), &model)
                .unwrap();
            let ou = map.continuous_time_law().unwrap().covariance;
            (&map.stationary_law().unwrap().covariance - &ou).amax() / ou.amax()
        };
        let (g1, g2) = (gap(1e-3 * limit), gap(5e-4 * limit));
        assert!(g1 < 0.01, "{kind:?}: gap {g1}");
        let slope = (g1 / g2).log2();
        assert!((slope - 1.0).abs() < 0.05, "{kind:?}: slope {slope}");
    }
}

#[test]
fn ou_approximation_breaks_down_at_large_step_sizes() {
    // The 1-d full-batch SGLD gap is exactly εp/4/(1 − εp/4): 25% at half the limit... grows without bound.
    let model = one_dimensional(10);
    let p = model.posterior_precision()[(0, 0)];
    let eps = 2.0 / p; // half the stability limit 4/p
    let map = theory::affine_map(
        &config(SamplerKind::Sgld, eps, 10, Batching::WithoutReplacement),
        &model,
    )
    .unwrap();
    let exact = map.stationary_law().unwrap().covariance[(0, 0)];
    let ou = map.continuous_time_law().unwrap().covariance[(0, 0)];
    assert_relative_eq!(ou, 1.0 / p, max_relative = 1e-12);
    assert_relative_eq!(exact / ou, 2.0, max_relative = 1e-12);
}

#[test]
fn with_and_without_replacement_agree_at_batch_size_one() {
    let model = random_linear_regression(3, 25, seed_of("b1"));
    for kind in [SamplerKind::Sgld, SamplerKind::Sgd] {
        let with = theory::affine_map(&config(kind, 0.01, 1, Batching::WithReplacement), &model)
            .unwrap()
            .stationary_law()
            .unwrap();
        let without =
            theory::affine_map(&config(kind, 0.01, 1, Batching::WithoutReplacement), &model)
                .unwrap()
                .stationary_law()
                .unwrap();
        assert!(relative_error(&with.covariance, &without.covariance) < 1e-12);
    }
}

#[test]
fn minibatch_term_vanishes_at_full_batch_without_replacement() {
    let model = random_linear_regression(3, 25, seed_of("full-batch"));
    let p = model.posterior_precision();
    let eps = 0.01;
    // SGLD: the plain discrete Lyapunov equation Σ = (I − εP/2)Σ(I − εP/2) + εI.
    let m = DMatrix::identity(3, 3) - &p * (eps / 2.0);
    let want = theory::solve_discrete_lyapunov(&m, &(DMatrix::identity(3, 3) * eps)).unwrap();
    let law = theory::affine_map(
        &config(SamplerKind::Sgld, eps, 25, Batching::WithoutReplacement),
        &model,
    )
    .unwrap()
    .stationary_law()
    .unwrap();
    assert!(relative_error(&law.covariance, &want) < 1e-12);
    // SGD: deterministic gradient descent, a point mass at the posterior mean.
    let sgd_limit = theory::stability_limit(
        &config(SamplerKind::Sgd, 1.0, 25, Batching::WithoutReplacement),
        &model,
    );
    let law = theory::affine_map(
        &config(
            SamplerKind::Sgd,
            0.5 * sgd_limit,
            25,
            Batching::WithoutReplacement,
        ),
        &model,
    )
    .unwrap()
    .stationary_law()
    .unwrap();
    assert!(law.covariance.amax() < 1e-14);
    // With replacement the minibatch noise does not vanish at B = N.
    let law = theory::affine_map(
        &config(
            SamplerKind::Sgd,
            0.2 * sgd_limit,
            25,
            Batching::WithReplacement,
        ),
        &model,
    )
    .unwrap()
    .stationary_law()
    .unwrap();
    assert!(law.covariance.amax() > 1e-6);
}

#[test]
fn long_run_covariance_of_an_ar1_is_sigma_times_one_plus_phi_over_one_minus_phi() {
    let phi = 0.8;
    let map = AffineRandomMap::new(
        ExampleMatrices::Shared(DMatrix::from_element(1, 1, phi)),
        vec![DVector::from_element(1, 0.3)],
        DMatrix::from_element(1, 1, 1.0 - phi * phi),
        1,
        Batching::WithReplacement,
    )
    .unwrap();
    let law = map.stationary_law().unwrap();
    assert_relative_eq!(law.mean[0], 0.3 / (1.0 - phi), max_relative = 1e-12);
    assert_relative_eq!(law.covariance[(0, 0)], 1.0, max_relative = 1e-12);
    assert_relative_eq!(
        law.long_run_covariance()[(0, 0)],
        (1.0 + phi) / (1.0 - phi),
        max_relative = 1e-12
    );
    assert_relative_eq!(
        law.autocovariance(3)[(0, 0)],
        phi.powi(3),
        max_relative = 1e-12
    );
}

/// Mandt et al. (2017) reference problem R1 (../shared/theory/mandt2017.md §9): oracle Gaussian
/// gradient noise, θ' = (I − εA)θ + ε S^{-1/2} B z, posterior N(0, (NA)⁻¹).
fn mandt_r1_kl(eps: f64) -> (f64, f64) {
    let a = DMatrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0]);
    let c = DMatrix::from_row_slice(2, 2, &[1.0, 0.2, 0.2, 0.5]);
    let (n, s) = (1000.0, 10.0);
    let map = AffineRandomMap::new(
        ExampleMatrices::Shared(DMatrix::identity(2, 2) - &a * eps),
        vec![DVector::zeros(2)],
        &c * (eps * eps / s),
        1,
        Batching::WithReplacement,
    )
    .unwrap();
    let posterior = GaussianLaw::new(DVector::zeros(2), (&a * n).try_inverse().unwrap()).unwrap();
    let kl = |law: theory::StationaryLaw| {
        kl_divergence(
            &GaussianLaw::new(law.mean, law.covariance).unwrap(),
            &posterior,
        )
        .unwrap()
    };
    (
        kl(map.continuous_time_law().unwrap()),
        kl(map.stationary_law().unwrap()),
    )
}

#[test]
fn mandt_reference_problem_r1_kl_table() {
    // (ε, KL_cont, KL_disc) from the digest's table, derived there by independent Lyapunov solves.
    for (eps, cont, disc) in [
        (0.005, 0.961757, 0.958845),
        (0.01, 0.456110, 0.451981),
        (0.02, 0.137963, 0.136596),
        (0.04, 0.194815, 0.220523),
        (0.08, 1.001668, 1.174470),
        (0.16, 3.308521, 4.211747),
    ] {
        let (kl_cont, kl_disc) = mandt_r1_kl(eps);
        assert!(
            (kl_cont - cont).abs() < 2e-6,
            "ε = {eps}: KL_cont {kl_cont} vs {cont}"
        );
        assert!(
            (kl_disc - disc).abs() < 2e-6,
            "ε = {eps}: KL_disc {kl_disc} vs {disc}"
        );
    }
    // Theorem 1: ε* = 2DS/(N tr C) = 0.0266667 minimises KL_cont, with KL_min = 0.1002805.
    let eps_star = 2.0 * 2.0 * 10.0 / (1000.0 * 1.5);
    let (kl_star, _) = mandt_r1_kl(eps_star);
    assert!((kl_star - 0.1002805).abs() < 1e-6);
    for factor in [0.9, 0.99, 1.01, 1.1] {
        assert!(mandt_r1_kl(eps_star * factor).0 > kl_star);
    }
}

#[test]
fn optimal_learning_rate_minimises_the_ou_kl_on_the_gaussian_mean_model() {
    // On GaussianMean the gradient noise is state-independent, so Mandt's Theorem 1 holds exactly
    // for the OU law: KL_cont(ε) is minimal at ε*.
    let model = random_gaussian_mean(3, 200, seed_of("eps-star"));
    let posterior = theory::exact_posterior(&model).unwrap();
    let eps_star = optimal_learning_rate(&model, &posterior.mean, 10, Batching::WithReplacement)
        .unwrap()
        .unwrap();
    let kl = |eps: f64| {
        TheoryReport::compute(
            &model,
            &config(SamplerKind::Sgd, eps, 10, Batching::WithReplacement),
        )
        .unwrap()
        .kl_continuous_to_posterior
    };
    let at_star = kl(eps_star);
    for factor in [0.95, 1.05] {
        assert!(kl(eps_star * factor) > at_star);
    }
    // Properties: ε* ∝ B exactly.
    let doubled = optimal_learning_rate(&model, &posterior.mean, 20, Batching::WithReplacement)
        .unwrap()
        .unwrap();
    assert_relative_eq!(doubled, 2.0 * eps_star, max_relative = 1e-12);
}

#[test]
fn smith_temperature_is_the_ratio_of_sgd_covariance_to_posterior_when_noise_matches_curvature() {
    // GaussianMean with A = I and centres whose population covariance is I: the per-example
    // gradient covariance C = A Cov(z) A = I = A (Fisher = curvature), the prior is negligible, and
    // the OU covariance of SGD is T·P⁻¹ with T = εN/(2B) (Smith et al. 2018).
    let n = 400;
    let d = 2;
    let raw: Vec<Vec<f64>> = (0..n)
        .map(|i| vec![((i * 7919) % 400) as f64, ((i * 104729) % 397) as f64])
        .collect();
    let mean: Vec<f64> = (0..d)
        .map(|k| raw.iter().map(|r| r[k]).sum::<f64>() / n as f64)
        .collect();
    let mut centred: Vec<Vec<f64>> = raw
        .iter()
        .map(|r| (0..d).map(|k| r[k] - mean[k]).collect())
        .collect();
    // Whiten the centres so that their population covariance is exactly I.
    let cov = DMatrix::from_fn(d, d, |a, b| {
        centred.iter().map(|r| r[a] * r[b]).sum::<f64>() / n as f64
    });
    let w = cov.cholesky().unwrap().l().try_inverse().unwrap();
    for r in centred.iter_mut() {
        let z = &w * DVector::from_vec(r.clone());
        *r = z.iter().cloned().collect();
    }
    let model = GaussianMean::new(DMatrix::identity(d, d), centred, vec![0.0; d], 1e-9).unwrap();
    for (eps, b) in [(0.01, 4), (0.004, 1), (0.02, 10)] {
        let report = TheoryReport::compute(
            &model,
            &config(SamplerKind::Sgd, eps, b, Batching::WithReplacement),
        )
        .unwrap();
        let t = eps * n as f64 / (2.0 * b as f64);
        assert_relative_eq!(report.temperature, t, max_relative = 1e-12);
        let ratio = &report.stationary_continuous.covariance * model.posterior_precision();
        assert!(
            relative_error(&ratio, &(DMatrix::identity(d, d) * t)) < 1e-6,
            "{ratio}"
        );
        // Exact discrete time: T_disc = T/(1 − ε/2) per direction (digest Claim M3-link, A = I).
        let ratio = &report.stationary.covariance * model.posterior_precision();
        assert!(
            relative_error(&ratio, &(DMatrix::identity(d, d) * (t / (1.0 - eps / 2.0)))) < 1e-6,
            "{ratio}"
        );
    }
}

#[test]
fn mean_square_instability_is_reported_not_a_wrong_number() {
    // Mean-stable but mean-square unstable: N = 2, x = (1, 0), SGD with B = 1 at ε = 3.5.
    let model =
        LinearRegression::new(vec![vec![1.0], vec![0.0]], vec![0.3, -0.2], 1.0, 0.01).unwrap();
    let cfg = config(SamplerKind::Sgd, 3.5, 1, Batching::WithReplacement);
    assert!(cfg.step_size < theory::stability_limit(&cfg, &model));
    assert_eq!(
        theory::affine_map(&cfg, &model)
            .unwrap()
            .stationary_law()
            .unwrap_err(),
        Error::MeanSquareUnstable { limit: None }
    );
    assert!(matches!(
        TheoryReport::compute(&model, &cfg),
        Err(Error::MeanSquareUnstable { .. })
    ));
}

#[test]
fn refusals_name_the_mean_square_stability_limit() {
    // The README's problem: SGLD has its law up to the reported mean-square limit, which depends on
    // B and lies below the mean iteration's limit; past it every refusal names it.
    let model = sgbayes::problem::generate_linear_regression(3, 200, 1, 1.0, 1.0).unwrap();
    for batch_size in [1, 10] {
        let cfg = config(
            SamplerKind::Sgld,
            0.001,
            batch_size,
            Batching::WithReplacement,
        );
        let report = TheoryReport::compute(&model, &cfg).unwrap();
        let limit = report.mean_square_stability_limit.unwrap();
        assert_eq!(report.stability_limit, report.mean_stability_limit);
        assert!(limit < report.mean_stability_limit, "B = {batch_size}");
        let at = |factor: f64| {
            TheoryReport::compute(
                &model,
                &SamplerConfig {
                    step_size: factor * limit,
                    ..cfg
                },
            )
        };
        assert!(at(0.99).is_ok(), "B = {batch_size}");
        let refused = at(1.01).unwrap_err();
        assert!(
            matches!(refused, Error::MeanSquareUnstable { limit: Some(l) } if l == limit),
            "B = {batch_size}: {refused:?}"
        );
        let printed = format!("{:.4}", limit);
        assert!(
            refused.to_string().contains(&format!(
                "reduce the step size below {}",
                &printed[..printed.len() - 1]
            )),
            "{refused}"
        );
        // Past the mean limit as well: the error names both limits.
        let past = SamplerConfig {
            step_size: 1.01 * report.mean_stability_limit,
            ..cfg
        };
        assert!(matches!(
            theory::affine_map(&past, &model),
            Err(Error::PastStabilityLimit { mean_square_limit: Some(l), .. }) if l == limit
        ));
    }
    // B = 1 and B = 10 give the limits of the README (0.00374 and 0.0115).
    let limits: Vec<f64> = [1, 10]
        .iter()
        .map(|&b| {
            theory::mean_square_stability_limit(
                &config(SamplerKind::Sgld, 0.001, b, Batching::WithReplacement),
                &model,
            )
            .unwrap()
        })
        .collect();
    assert!(
        (limits[0] - 0.00374).abs() < 1e-5 && (limits[1] - 0.0115).abs() < 1e-4,
        "{limits:?}"
    );
}

#[test]
fn bad_configurations_are_typed_errors() {
    let model = random_linear_regression(2, 10, 1);
    let limit = theory::stability_limit(
        &config(SamplerKind::Sgld, 1.0, 2, Batching::WithReplacement),
        &model,
    );
    let cases = [
        (
            config(SamplerKind::Sgld, 0.0, 2, Batching::WithReplacement),
            "non-positive",
        ),
        (
            config(SamplerKind::Sgld, -1.0, 2, Batching::WithReplacement),
            "non-positive",
        ),
        (
            config(SamplerKind::Sgld, f64::NAN, 2, Batching::WithReplacement),
            "non-positive",
        ),
        (
            config(
                SamplerKind::Sgld,
                1.01 * limit,
                2,
                Batching::WithReplacement,
            ),
            "limit",
        ),
        (
            config(SamplerKind::Sgld, 0.01, 0, Batching::WithReplacement),
            "batch",
        ),
        (
            config(SamplerKind::Sgld, 0.01, 11, Batching::WithReplacement),
            "batch",
        ),
        (
            config(SamplerKind::Sgld, 0.01, 2, Batching::Reshuffle),
            "closed form",
        ),
    ];
    for (cfg, kind) in cases {
        let err = theory::affine_map(&cfg, &model).unwrap_err();
        let ok = match kind {
            "non-positive" => matches!(err, Error::NonPositiveStepSize { .. }),
            "limit" => matches!(err, Error::PastStabilityLimit { .. }),
            "batch" => matches!(err, Error::BatchSize { .. }),
            _ => matches!(err, Error::NoClosedForm { .. }),
        };
        assert!(ok, "{cfg:?} gave {err}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn kl_divergence_is_zero_for_equal_laws_and_asymmetric_otherwise() {
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(seed_of("kl"));
    let p = GaussianLaw::new(
        DVector::from_vec(vec![1.0, 2.0, 3.0]),
        random_spd(3, 4.0, &mut rng),
    )
    .unwrap();
    let q = GaussianLaw::new(
        DVector::from_vec(vec![1.5, 2.0, 2.0]),
        random_spd(3, 4.0, &mut rng),
    )
    .unwrap();
    assert!(kl_divergence(&p, &p).unwrap().abs() < 1e-12);
    let (pq, qp) = (
        kl_divergence(&p, &q).unwrap(),
        kl_divergence(&q, &p).unwrap(),
    );
    assert!(pq > 0.0 && qp > 0.0 && (pq - qp).abs() > 1e-6);
}

#[test]
fn lyapunov_solvers_satisfy_their_equations_for_symmetric_and_general_matrices() {
    let mut rng = <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(seed_of(
        "lyapunov-residuals",
    ));
    let q = random_spd(4, 3.0, &mut rng);
    let symmetric = random_spd(4, 10.0, &mut rng);
    // A non-symmetric stable drift: symmetric part plus a skew part (eigenvalues keep positive real part).
    let skew = DMatrix::from_fn(4, 4, |i, j| (i as f64 - j as f64) * 0.3);
    for g in [symmetric.clone(), &symmetric + &skew] {
        let x = theory::solve_continuous_lyapunov(&g, &q).unwrap();
        assert!((&g * &x + &x * g.transpose() - &q).amax() < 1e-10 * q.amax());
        // Discrete: M = I − 0.05 G is a contraction for these G.
        let m = DMatrix::identity(4, 4) - &g * 0.05;
        let y = theory::solve_discrete_lyapunov(&m, &q).unwrap();
        assert!((&y - &m * &y * m.transpose() - &q).amax() < 1e-10 * y.amax());
    }
}

/// The structured (rank-one) assembly of the second-moment operator equals the dense one.
#[test]
fn rank_one_and_dense_per_example_maps_give_the_same_law() {
    let mut rng =
        <rand_chacha::ChaCha20Rng as rand::SeedableRng>::seed_from_u64(seed_of("rank-one"));
    let n = 4;
    let data = 30;
    let common = DMatrix::identity(n, n) * 0.9 - random_spd(n, 2.0, &mut rng) * 0.05;
    let left: Vec<DVector<f64>> = (0..data)
        .map(|_| DVector::from_fn(n, |_, _| rand::Rng::gen_range(&mut rng, -0.1..0.1)))
        .collect();
    let right: Vec<DVector<f64>> = (0..data)
        .map(|_| DVector::from_fn(n, |_, _| rand::Rng::gen_range(&mut rng, -1.0..1.0)))
        .collect();
    let offsets: Vec<DVector<f64>> = (0..data)
        .map(|_| DVector::from_fn(n, |_, _| rand::Rng::gen_range(&mut rng, -1.0..1.0)))
        .collect();
    let dense: Vec<DMatrix<f64>> = left
        .iter()
        .zip(&right)
        .map(|(u, w)| &common + u * w.transpose())
        .collect();
    let noise = random_spd(n, 2.0, &mut rng) * 0.01;
    for (b, batching) in [
        (1, Batching::WithReplacement),
        (7, Batching::WithoutReplacement),
    ] {
        let structured = AffineRandomMap::new(
            ExampleMatrices::RankOne {
                common: common.clone(),
                left: left.clone(),
                right: right.clone(),
            },
            offsets.clone(),
            noise.clone(),
            b,
            batching,
        )
        .unwrap()
        .stationary_law()
        .unwrap();
        let plain = AffineRandomMap::new(
            ExampleMatrices::PerExample(dense.clone()),
            offsets.clone(),
            noise.clone(),
            b,
            batching,
        )
        .unwrap()
        .stationary_law()
        .unwrap();
        assert!((&structured.mean - &plain.mean).amax() < 1e-12);
        assert!(
            relative_error(&structured.covariance, &plain.covariance) < 1e-10,
            "{} vs {}",
            structured.covariance,
            plain.covariance
        );
    }
}

/// N = 1 without replacement: the only batch is the full data set, γ = 0 (not 0/0), and the law is
/// the full-batch one.
#[test]
fn a_single_data_point_without_replacement_has_no_minibatch_noise() {
    assert_eq!(
        Batching::WithoutReplacement.finite_population_factor(1, 1),
        Some(0.0)
    );
    let model = LinearRegression::new(vec![vec![1.0]], vec![0.5], 1.0, 1.0).unwrap();
    let law = theory::affine_map(
        &config(SamplerKind::Sgld, 0.1, 1, Batching::WithoutReplacement),
        &model,
    )
    .unwrap()
    .stationary_law()
    .unwrap();
    let p = 2.0;
    assert_relative_eq!(
        law.covariance[(0, 0)],
        1.0 / (p * (1.0 - 0.1 * p / 4.0)),
        max_relative = 1e-12
    );
}
