//! Stochastic NGD (Smith et al. 2018, our Riemannian-Langevin form): exact on quadratic models,
//! parametrisation invariant on a model whose Fisher information varies, and the tests reject the
//! variants without the Jeffreys correction or without the injected noise.
//!
//! False-positive budget: α = ALPHA_ASSERTION (1e-6) per statistical assertion, 8 here.

mod common;

use common::{log_scale_moments, random_linear_regression, seed_of};
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::{GaussianScale, Model, ScaleParametrisation};
use sgbayes::samplers::StochasticNgd;
use sgbayes::stats::batch_means::univariate_batch_means_auto;
use sgbayes::stats::budget::{two_sided_normal_quantile, ALPHA_ASSERTION};
use sgbayes::stats::gaussian_moment_test;
use sgbayes::theory::TheoryReport;

/// On linear regression F is constant and Γ = 0: the chain is affine and its exact law is known.
/// The real sampler is accepted against it; minibatch NGD without the injected noise is rejected.
#[test]
fn exact_on_quadratic_models_and_the_injected_noise_matters() {
    let model = random_linear_regression(2, 200, seed_of("sngd-quadratic"));
    let config = SamplerConfig::new(
        SamplerKind::StochasticNgd { temperature: 1.0 },
        0.02,
        10,
        Batching::WithReplacement,
    );
    // T_inj = 1 − 0.02·200/20 = 0.8: most of the temperature is injected.
    assert!((config.injected_temperature(200) - 0.8).abs() < 1e-12);
    let law = TheoryReport::compute(&model, &config).unwrap().stationary;
    let length = RunLength {
        burn_in: 1000,
        steps: 400_000,
        thin: 1,
    };
    let run = |config: &SamplerConfig, seed: &str| {
        Chain::new(&model, config, law.mean.as_slice(), seed_of(seed))
            .unwrap()
            .record(&length, &mut ())
    };
    let out = run(&config, "sngd-quadratic-run");
    let report =
        gaussian_moment_test(&out.draws, &law.mean, &law.covariance, ALPHA_ASSERTION).unwrap();
    assert!(!report.reject, "{report}");
    let plain = SamplerConfig::new(SamplerKind::Ngd, 0.02, 10, Batching::WithReplacement);
    let out = run(&plain, "sngd-quadratic-plain");
    let report =
        gaussian_moment_test(&out.draws, &law.mean, &law.covariance, ALPHA_ASSERTION).unwrap();
    assert!(report.reject, "NGD without injected noise passes: {report}");
    // The reported temperature is the target T.
    assert_eq!(
        TheoryReport::compute(&model, &config).unwrap().temperature,
        1.0
    );
}

/// Γ = (1/√F) d/dσ(√F F⁻¹) against central differences, and the log-scale metric is flat.
#[test]
fn jeffreys_correction_matches_finite_differences() {
    let model = GaussianScale::new(vec![0.3, -1.2, 2.0], ScaleParametrisation::Scale).unwrap();
    let metric = |sigma: f64| {
        let (mut f, mut g) = ([0.0], [0.0]);
        model.fisher_metric(&[sigma], &mut f, &mut g);
        (f[0], g[0])
    };
    for sigma in [0.3, 1.0, 2.5] {
        let h = 1e-5 * sigma;
        let weighted = |s: f64| metric(s).0.sqrt() / metric(s).0;
        let derivative = (weighted(sigma + h) - weighted(sigma - h)) / (2.0 * h);
        let (f, gamma) = metric(sigma);
        let expected = derivative / f.sqrt();
        assert!(
            (gamma - expected).abs() < 1e-8 * expected.abs(),
            "{gamma} vs {expected}"
        );
    }
    let log_model =
        GaussianScale::new(vec![0.3, -1.2, 2.0], ScaleParametrisation::LogScale).unwrap();
    let (mut f, mut g) = ([0.0], [0.0]);
    log_model.fisher_metric(&[0.7], &mut f, &mut g);
    assert_eq!((f[0], g[0]), (2.0, 0.0));
}

/// Batch-means z-scores of log σ and (log σ)² from a chain on `model`.
fn chain_scores(
    model: &GaussianScale,
    sampler: Option<StochasticNgd>,
    step_size: f64,
    seed: &str,
    target: (f64, f64),
) -> Vec<(f64, f64, f64)> {
    let n = model.data_size();
    let config = SamplerConfig::new(
        SamplerKind::StochasticNgd { temperature: 1.0 },
        step_size,
        n,
        Batching::WithoutReplacement,
    );
    let start = [model
        .parameter((model.observations().iter().map(|x| x * x).sum::<f64>() / n as f64).sqrt())];
    let mut chain = match sampler {
        None => Chain::new(model, &config, &start, seed_of(seed)).unwrap(),
        Some(s) => Chain::with_sampler(
            model,
            Box::new(s),
            config.batching,
            n,
            &start,
            seed_of(seed),
        )
        .unwrap(),
    };
    let out = chain.record(
        &RunLength {
            steps: 2_000_000,
            burn_in: 20_000,
            thin: 1,
        },
        &mut (),
    );
    assert_eq!(out.non_finite_draws, 0);
    let logs: Vec<f64> = (0..out.len())
        .map(|t| model.scale(out.draw(t)[0]).ln())
        .collect();
    let squares: Vec<f64> = logs.iter().map(|s| s * s).collect();
    [(&logs, target.0), (&squares, target.1)]
        .into_iter()
        .map(|(series, expected)| {
            let estimate = univariate_batch_means_auto(series).unwrap();
            (estimate.mean, expected, estimate.standard_error)
        })
        .collect()
}

/// Parametrisation invariance (Smith et al. 2018's claim, in our construction): full-batch
/// stochastic NGD on the scale of N = 5 Gaussian observations samples the same law of σ whether
/// θ = σ or θ = log σ — the Jeffreys-tempered √F e^{−C/T}, by quadrature — while dropping the
/// Jeffreys correction in the σ parametrisation (its law is ∝ σ⁻² e^{−C/T}) is rejected.
///
/// Tolerance: z·s.e. (α = 1e-6) plus a discretisation budget of 0.002 in E[log σ] and
/// E[(log σ)²] at ε = 0.005 (the O(ε) bias of the Euler step, measured below the s.e.).
#[test]
fn parametrisation_invariant_with_the_jeffreys_correction_and_not_without() {
    let observations = vec![-1.235, -0.436, 0.578, 0.319, -1.826];
    let target = log_scale_moments(&observations, 1.0, 0.0);
    let wrong_target = log_scale_moments(&observations, 1.0, 1.0);
    assert!(
        (target.0 - wrong_target.0).abs() > 0.05,
        "the two laws are too close to tell apart"
    );
    let z = two_sided_normal_quantile(ALPHA_ASSERTION);
    let step_size = 0.005;
    for parametrisation in [ScaleParametrisation::Scale, ScaleParametrisation::LogScale] {
        let model = GaussianScale::new(observations.clone(), parametrisation).unwrap();
        for (mean, expected, se) in chain_scores(
            &model,
            None,
            step_size,
            &format!("sngd-{parametrisation:?}"),
            target,
        ) {
            eprintln!("{parametrisation:?}: {mean} vs {expected} ± {se}");
            assert!(
                (mean - expected).abs() <= 0.002 + z * se,
                "{parametrisation:?}: {mean} vs {expected} ± {se}"
            );
        }
    }
    // Without Γ (correction scale 0, all of T injected) in the σ parametrisation.
    let model = GaussianScale::new(observations, ScaleParametrisation::Scale).unwrap();
    let uncorrected = StochasticNgd::new(step_size, 0.0, 1.0, 1, 5);
    let scores = chain_scores(
        &model,
        Some(uncorrected),
        step_size,
        "sngd-uncorrected",
        target,
    );
    eprintln!("uncorrected: {scores:?}; its own law: {wrong_target:?}");
    assert!(
        scores
            .iter()
            .any(|(mean, expected, se)| (mean - expected).abs() > 0.002 + z * se),
        "the uncorrected sampler passes: {scores:?}"
    );
}

#[test]
fn bad_inputs_are_typed_errors() {
    let model = random_linear_regression(2, 100, 3);
    // Minibatch temperature 0.5·100/2 = 25 > T = 1.
    let hot = SamplerConfig::new(
        SamplerKind::StochasticNgd { temperature: 1.0 },
        0.5,
        1,
        Batching::WithReplacement,
    );
    assert!(matches!(
        hot.validate(100),
        Err(sgbayes::Error::Invalid { .. })
    ));
    assert!(Chain::new(&model, &hot, &[0.0, 0.0], 1).is_err());
    for temperature in [0.0, -1.0, f64::NAN] {
        let config = SamplerConfig::new(
            SamplerKind::StochasticNgd { temperature },
            1e-3,
            10,
            Batching::WithReplacement,
        );
        assert!(config.validate(100).is_err());
    }
    // All-zero observations have no likelihood maximum.
    assert!(GaussianScale::new(vec![0.0], ScaleParametrisation::Scale).is_err());
    // A model without a Fisher metric: a typed error at chain construction, not NaN draws.
    struct NoMetric;
    impl Model for NoMetric {
        fn dimension(&self) -> usize {
            1
        }
        fn data_size(&self) -> usize {
            4
        }
        fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
            out[0] = theta[0];
        }
        fn add_example_gradient(&self, _: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
            out[0] += scale * theta[0];
        }
        fn potential(&self, theta: &[f64]) -> f64 {
            2.5 * theta[0] * theta[0]
        }
    }
    let config = SamplerConfig::new(
        SamplerKind::StochasticNgd { temperature: 1.0 },
        1e-3,
        4,
        Batching::WithoutReplacement,
    );
    assert!(matches!(
        Chain::new(&NoMetric, &config, &[0.0], 1),
        Err(sgbayes::Error::Invalid { .. })
    ));
}
