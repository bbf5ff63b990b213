//! Mandt, Hoffman & Blei (2017), contributions (2) and (4) for SGFS: the finite-step error of SGFS
//! (`theory::sgfs_error`) against the exact discrete law of the `sgfs` sampler and a simulation, and
//! constant-SGD variational EM (`theory::variational_em`) against type-II maximum likelihood.
//!
//! Budget: 1 statistical assertion at α = 1e-6 (the SGFS simulation), with a power assertion.

mod common;

use common::{random_gaussian_mean, seed_of};
use nalgebra::DMatrix;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::config::{Preconditioner, SamplerConfig, SamplerKind};
use sgbayes::datasets::BuiltinDataset;
use sgbayes::models::{GaussianMean, LinearRegression, QuadraticModel};
use sgbayes::stats::batch_means::univariate_batch_means_auto;
use sgbayes::stats::critical_value;
use sgbayes::stats::ALPHA_ASSERTION;
use sgbayes::theory::sgfs_error::SgfsSetting;
use sgbayes::theory::variational_em::{
    em_path, em_update, log_evidence, type_two_maximum_likelihood, EStep, Hyperparameters, Learned,
    StepRule,
};
use sgbayes::theory::{
    affine_map, exact_posterior, gradient_noise_covariance, optimal_learning_rate,
};

fn sgfs_config(
    fisher: &DMatrix<f64>,
    scale: f64,
    eps: f64,
    b: usize,
    batching: Batching,
) -> SamplerConfig {
    let rows: Vec<Vec<f64>> = fisher
        .row_iter()
        .map(|r| r.iter().copied().collect())
        .collect();
    SamplerConfig::new(
        SamplerKind::Sgfs {
            fisher: Preconditioner::from_rows(&rows).unwrap(),
            scale,
        },
        eps,
        b,
        batching,
    )
}

/// A 1-D Gaussian-mean model with N centres whose per-example gradient variance is c.
fn one_dimensional(n: usize, curvature: f64, prior_precision: f64, seed: u64) -> GaussianMean {
    let model = random_gaussian_mean(1, n, seed);
    let centres: Vec<Vec<f64>> = (0..n).map(|i| model.centre(i).to_vec()).collect();
    GaussianMean::new(
        DMatrix::from_element(1, 1, curvature),
        centres,
        vec![0.0],
        prior_precision,
    )
    .unwrap()
}

/// The closed forms equal the exact discrete law of the `sgfs` map (theory::affine_map) wherever
/// the gradient noise is additive (Gaussian-mean models: identical per-example Hessians), to 1e-9
/// relative: 1-D scalar forms, and the d = 3 matrix form with non-commuting P, C and Î.
#[test]
fn sgfs_closed_forms_equal_the_exact_law() {
    for (n, b, batching) in [
        (20usize, 10usize, Batching::WithReplacement),
        (200, 5, Batching::WithoutReplacement),
    ] {
        let model = one_dimensional(n, 1.3, 0.7, 11);
        let p = model.posterior_precision()[(0, 0)];
        let mean = exact_posterior(&model).unwrap().mean;
        let c = gradient_noise_covariance(&model, &mean)[(0, 0)];
        for (fisher, eps) in [(c, 1.0), (c, 1e-3), (1.3, 0.05), (0.5 * c, 10.0)] {
            let setting = SgfsSetting {
                data_size: n,
                batch_size: b,
                batching,
                scale: 1.0,
                step_size: eps,
            };
            let (disc, ou) = setting.sgfs_relative_variance(p, c, fisher).unwrap();
            let f = DMatrix::from_element(1, 1, fisher);
            let law = affine_map(&sgfs_config(&f, 1.0, eps, b, batching), &model)
                .unwrap()
                .stationary_law()
                .unwrap();
            let exact = law.covariance[(0, 0)] * p;
            assert!(
                (disc / exact - 1.0).abs() < 1e-9,
                "N={n} B={b} f={fisher} ε={eps}: {disc} vs {exact}"
            );
            let (m_disc, m_ou) = setting
                .sgfs_covariances(
                    &model.posterior_precision(),
                    &DMatrix::from_element(1, 1, c),
                    &f,
                )
                .unwrap();
            assert!((m_disc[(0, 0)] * p / disc - 1.0).abs() < 1e-9);
            assert!((m_ou[(0, 0)] * p / ou - 1.0).abs() < 1e-9);
            // SGLD beside it.
            let sgld = SamplerConfig::new(SamplerKind::Sgld, 0.1 / p, b, batching);
            let setting = SgfsSetting {
                step_size: 0.1 / p,
                ..setting
            };
            let (sgld_disc, _) = setting.sgld_relative_variance(p, c).unwrap();
            let law = affine_map(&sgld, &model).unwrap().stationary_law().unwrap();
            assert!((sgld_disc / (law.covariance[(0, 0)] * p) - 1.0).abs() < 1e-9);
        }
    }
    // d = 3: P, C, Î do not commute.
    let model = random_gaussian_mean(3, 30, 5);
    let mean = exact_posterior(&model).unwrap().mean;
    let c = gradient_noise_covariance(&model, &mean);
    let fisher = &c * 1.2 + DMatrix::identity(3, 3) * 0.1;
    for eps in [0.01, 1.0, 100.0] {
        let setting = SgfsSetting {
            data_size: 30,
            batch_size: 6,
            batching: Batching::WithReplacement,
            scale: 1.0,
            step_size: eps,
        };
        let (disc, _) = setting
            .sgfs_covariances(&model.posterior_precision(), &c, &fisher)
            .unwrap();
        let law = affine_map(
            &sgfs_config(&fisher, 1.0, eps, 6, Batching::WithReplacement),
            &model,
        )
        .unwrap()
        .stationary_law()
        .unwrap();
        assert!(
            (&disc - &law.covariance).amax() < 1e-9 * law.covariance.amax(),
            "ε = {eps}"
        );
    }
}

/// Well-specified SGFS (N Î = P − λ... here N c = p exactly, Î = c, with replacement) is exact in
/// discrete time at every ε, while the OU analysis predicts 1 − p/(γNc + 4β/ε).
#[test]
fn well_specified_sgfs_is_exact_in_discrete_time() {
    for (n, b) in [(20usize, 10usize), (100, 1), (1000, 50)] {
        let p = 2.0;
        let c = p / n as f64;
        for eps in [1e-4, 0.1, 1.0, 1e4] {
            let s = SgfsSetting {
                data_size: n,
                batch_size: b,
                batching: Batching::WithReplacement,
                scale: 1.0,
                step_size: eps,
            };
            let (disc, ou) = s.sgfs_relative_variance(p, c, c).unwrap();
            assert!((disc - 1.0).abs() < 1e-12, "{disc}");
            let gamma = (n + b) as f64 / b as f64;
            assert!((ou - (1.0 - p / (gamma * n as f64 * c + 4.0 / eps))).abs() < 1e-12);
        }
    }
}

/// The real `sgfs` chain against the discrete closed form, where the OU analysis is 20% off.
///
/// Null: Var θ = Σ_disc of a 1-D Gaussian mean (N = 20, B = 10 with replacement, Î = the model's
/// Fisher information A = 1.3, β = 1, ε = 1: Σ_disc·p and Σ_OU·p differ by more than 10%). Statistic: batch means of (θ_t − θ̄)², 4·10⁵ steps
/// (the contraction per step is h = Hp ≈ 0.2–0.6, τ of a few steps), z against the Student-t
/// critical value at α = 1e-6: 1 assertion. Power (asserted): the OU value is rejected.
#[test]
fn sgfs_simulation_matches_the_discrete_error() {
    let (n, b, eps) = (20usize, 10usize, 1.0);
    let model = one_dimensional(n, 1.3, 0.7, 11);
    let p = model.posterior_precision()[(0, 0)];
    let mean = exact_posterior(&model).unwrap().mean;
    let c = gradient_noise_covariance(&model, &mean)[(0, 0)];
    let setting = SgfsSetting {
        data_size: n,
        batch_size: b,
        batching: Batching::WithReplacement,
        scale: 1.0,
        step_size: eps,
    };
    let (disc, ou) = setting.sgfs_relative_variance(p, c, 1.3).unwrap();
    assert!(
        disc / ou - 1.0 > 0.1,
        "the case must separate the two: {disc} {ou}"
    );
    let config = sgfs_config(
        &DMatrix::from_element(1, 1, 1.3),
        1.0,
        eps,
        b,
        Batching::WithReplacement,
    );
    let seed = seed_of("sgfs_simulation");
    let mut chain = Chain::new(&model, &config, mean.as_slice(), seed).unwrap();
    chain.execute(
        &RunLength {
            burn_in: 0,
            steps: 1000,
            thin: 1,
        },
        &mut (),
    );
    let draws: Vec<f64> = (0..400_000)
        .map(|_| {
            chain.execute(&RunLength::ONE_STEP, &mut ());
            chain.state()[0]
        })
        .collect();
    let m = draws.iter().sum::<f64>() / draws.len() as f64;
    let squares: Vec<f64> = draws.iter().map(|x| (x - m).powi(2)).collect();
    let bm = univariate_batch_means_auto(&squares).unwrap();
    let crit = critical_value(ALPHA_ASSERTION, bm.n_batches - 1);
    let z = (bm.mean - disc / p) / bm.standard_error;
    assert!(
        z.abs() < crit,
        "Var θ = {} ± {} vs {}, z = {z}",
        bm.mean,
        bm.standard_error,
        disc / p
    );
    let z_ou = (bm.mean - ou / p) / bm.standard_error;
    assert!(
        z_ou.abs() > crit,
        "power: OU value {} not rejected (z = {z_ou})",
        ou / p
    );
}

/// The standardised diabetes regression of docs/datasets.md.
fn diabetes() -> LinearRegression {
    BuiltinDataset::Diabetes
        .load()
        .unwrap()
        .standardised_features()
        .standardised_targets()
        .linear_regression(0.5, 1.0)
        .unwrap()
}

const START: Hyperparameters = Hyperparameters {
    prior_precision: 1.0,
    noise_variance: 1.0,
};

/// EM with the exact posterior climbs the evidence monotonically and converges to type-II ML
/// (MacKay's fixed point), where the evidence is stationary (central differences < 1e-6).
#[test]
fn posterior_em_converges_to_type_two_maximum_likelihood() {
    let model = diabetes();
    for learned in [Learned::PriorPrecision, Learned::Both] {
        let ml = type_two_maximum_likelihood(&model, START, learned).unwrap();
        let path = em_path(&model, START, EStep::Posterior, learned, 1e-13, 200_000).unwrap();
        assert!(path.converged);
        let em = path.last().unwrap();
        assert!(
            (em.prior_precision / ml.prior_precision - 1.0).abs() < 1e-8,
            "{em:?} {ml:?}"
        );
        assert!((em.noise_variance / ml.noise_variance - 1.0).abs() < 1e-8);
        let evidence: Vec<f64> = path
            .iterates
            .iter()
            .map(|&h| log_evidence(&model, h).unwrap())
            .collect();
        assert!(
            evidence.windows(2).all(|w| w[1] >= w[0] - 1e-9),
            "EM must not decrease the evidence"
        );
        let h = 1e-5;
        let at = |dl: f64, ds: f64| {
            log_evidence(
                &model,
                Hyperparameters {
                    prior_precision: ml.prior_precision * (1.0 + dl),
                    noise_variance: ml.noise_variance * (1.0 + ds),
                },
            )
            .unwrap()
        };
        assert!(((at(h, 0.0) - at(-h, 0.0)) / (2.0 * h)).abs() < 1e-6);
        if learned == Learned::Both {
            assert!(((at(0.0, h) - at(0.0, -h)) / (2.0 * h)).abs() < 1e-6);
        }
    }
}

/// Constant-SGD variational EM on diabetes: the fixed point from the exact discrete law (1e-6
/// relative, deterministic), against type-II ML. The numbers of docs/samplers.md.
#[test]
fn constant_sgd_variational_em_fixed_points() {
    let model = diabetes();
    let ml = type_two_maximum_likelihood(&model, START, Learned::Both).unwrap();
    let mut rows = Vec::new();
    for (step, b) in [
        (StepRule::KlOptimal, 1usize),
        (StepRule::KlOptimal, 10),
        (StepRule::Fixed(1e-4), 1),
    ] {
        let e_step = EStep::ConstantSgd {
            step,
            batch_size: b,
            batching: Batching::WithReplacement,
        };
        let path = match em_path(&model, START, e_step, Learned::Both, 1e-12, 100_000) {
            Ok(p) => p,
            Err(e) => panic!("{step:?} B = {b}: {e}"),
        };
        assert!(path.converged, "{step:?} B = {b}");
        let fixed = path.last().unwrap();
        // It is a fixed point of the update.
        let (again, eps) = em_update(&model, fixed, e_step, Learned::Both).unwrap();
        assert!((again.prior_precision / fixed.prior_precision - 1.0).abs() < 1e-10);
        if let StepRule::KlOptimal = step {
            let m = sgbayes::theory::variational_em::with_hyperparameters(&model, fixed).unwrap();
            let mean = exact_posterior(&m).unwrap().mean;
            let star = optimal_learning_rate(&m, &mean, b, Batching::WithReplacement)
                .unwrap()
                .unwrap();
            assert!((eps / star - 1.0).abs() < 1e-12);
        }
        rows.push((
            b,
            eps,
            fixed.prior_precision,
            fixed.noise_variance,
            path.iterates.len() - 1,
        ));
    }
    let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-6;
    assert!(
        close(ml.prior_precision, 30.0427753) && close(ml.noise_variance, 0.494509360),
        "{ml:?}"
    );
    // (B, ε at the fixed point, λ, σ²): Theorem 1's ε* (B = 1, 10) and a fixed small ε.
    let expected = [
        (1usize, 0.00250419792, 34.4878183, 0.496331607),
        (10, 0.0251047746, 34.4523458, 0.496953765),
        (1, 1e-4, 35.7893653, 0.485592396),
    ];
    for (row, want) in rows.iter().zip(expected) {
        assert!(
            row.0 == want.0 && close(row.1, want.1) && close(row.2, want.2) && close(row.3, want.3),
            "{row:?} vs {want:?}"
        );
    }
}

/// SGFS beside SGLD on the standardised diabetes regression (B = 10 with replacement, Î = the
/// per-example gradient covariance C at the mode, β = 1): tr(PΣ)/d of the exact law (multiplicative
/// noise, theory::affine_map), of the frozen-noise discrete closed form and of the OU form.
#[test]
fn sgfs_and_sgld_errors_on_diabetes() {
    let model = diabetes();
    let posterior = exact_posterior(&model).unwrap();
    let p = model.posterior_precision();
    let c = gradient_noise_covariance(&model, &posterior.mean);
    let d = 10.0;
    let relative = |sigma: &DMatrix<f64>| (&p * sigma).trace() / d;
    let mut rows = Vec::new();
    for eps in [1e-4, 1e-2, 1.0, 100.0] {
        let setting = SgfsSetting {
            data_size: 442,
            batch_size: 10,
            batching: Batching::WithReplacement,
            scale: 1.0,
            step_size: eps,
        };
        let (disc, ou) = setting.sgfs_covariances(&p, &c, &c).unwrap();
        let exact = affine_map(
            &sgfs_config(&c, 1.0, eps, 10, Batching::WithReplacement),
            &model,
        )
        .unwrap()
        .stationary_law()
        .unwrap()
        .covariance;
        rows.push((
            "sgfs",
            eps,
            relative(&exact),
            relative(&disc),
            relative(&ou),
        ));
    }
    for eps in [1e-5, 1e-4] {
        let sgld = SamplerConfig::new(SamplerKind::Sgld, eps, 10, Batching::WithReplacement);
        let exact = affine_map(&sgld, &model)
            .unwrap()
            .stationary_law()
            .unwrap()
            .covariance;
        let report = sgbayes::theory::TheoryReport::compute(&model, &sgld).unwrap();
        rows.push((
            "sgld",
            eps,
            relative(&exact),
            f64::NAN,
            relative(&report.stationary_continuous.covariance),
        ));
    }
    // (sampler, ε, exact, frozen-noise discrete, OU) of tr(PΣ)/d.
    let expected = [
        ("sgfs", 1e-4, 1.01216775, 1.00105105, 0.991666738),
        ("sgfs", 1e-2, 1.03521429, 1.00350828, 0.979737493),
        ("sgfs", 1.0, 1.04190164, 1.00427268, 0.977913276),
        ("sgfs", 100.0, 1.04205080, 1.00428909, 0.977876482),
        ("sgld", 1e-5, 1.09154689, f64::NAN, 1.08615002),
        ("sgld", 1e-4, 1.97906050, f64::NAN, 1.86150019),
    ];
    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || ((a - b) / b).abs() < 1e-6;
    for (row, want) in rows.iter().zip(expected) {
        assert!(
            row.0 == want.0
                && row.1 == want.1
                && close(row.2, want.2)
                && close(row.3, want.3)
                && close(row.4, want.4),
            "{row:?} vs {want:?}"
        );
    }
}
