//! Two-layer networks under SGLD (Göring, Mingard, Nam & Louis 2025, arXiv 2510.15174): model
//! gradients, NNGP kernels against Monte Carlo, the kernel-ridge limit of SGLD at large width with
//! power tests, the finite-width gap, and the [derived] mean-field solver.
//!
//! Budget: every statistical assertion runs at α = 1e-6 (`ALPHA_ASSERTION`); the file makes 6
//! kernel Monte-Carlo assertions and 6 SGLD assertions at the null, i.e. ≤ 1.2e-5 of the suite's
//! 1e-3 false-fail budget. Whole file ≈ 40 s in release on two loaded cores (measured 31–49 s).

mod common;

use common::seed_of;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, ChainOutput, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::error::Error;
use sgbayes::models::{
    generate_two_layer, Activation, Model, Scaling, TwoLayerNetwork, TwoLayerParams, TwoLayerPrior,
    TwoLayerSpec,
};
use sgbayes::reproductions::mean_field_sgld;
use sgbayes::reproductions::Config;
use sgbayes::stats::batch_means::univariate_batch_means_auto;
use sgbayes::stats::budget::{two_sided_normal_quantile, ALPHA_ASSERTION};
use sgbayes::stats::critical_value;
use sgbayes::theory::kernels::{gp_posterior, KernelRidge, NngpKernel};
use sgbayes::theory::mean_field::{report, solve, MeanFieldSettings};

/// Temperature of the slice problem (the `mean-field-sgld` report's part 1).
const SLICE_TEMPERATURE: f64 = 0.25;
/// SGLD step size on the slice problem (ε λ_max/4 ≈ 0.022).
const SLICE_STEP: f64 = 0.01;

/// The 1-d slice problem of the reproduction: x_μ = (t_μ, 1), t_μ = −2 + 4μ/5 (μ = 0..5),
/// y = sin(1.5t), erf activation, σ_a² = 1, σ_w² = 2, T = 0.25.
fn slice_model(width: usize) -> TwoLayerNetwork {
    let p = 6;
    let inputs: Vec<Vec<f64>> = (0..p)
        .map(|k| vec![-2.0 + 4.0 * k as f64 / (p - 1) as f64, 1.0])
        .collect();
    let targets = inputs.iter().map(|x| (1.5 * x[0]).sin()).collect();
    TwoLayerNetwork::new(
        inputs,
        targets,
        width,
        Scaling::Standard,
        Activation::Erf,
        TwoLayerPrior {
            readout_variance: 1.0,
            weight_variance: 2.0,
            temperature: SLICE_TEMPERATURE,
        },
    )
    .unwrap()
}

fn test_points() -> Vec<Vec<f64>> {
    vec![vec![-1.0, 1.0], vec![0.3, 1.0], vec![3.0, 1.0]]
}

fn full_batch_sgld(model: &TwoLayerNetwork, step_size: f64) -> SamplerConfig {
    SamplerConfig {
        kind: SamplerKind::Sgld,
        step_size,
        batch_size: model.data_size(),
        batching: Batching::WithoutReplacement,
    }
}

fn run_sgld(model: &TwoLayerNetwork, steps: usize, seed: u64) -> ChainOutput {
    let config = full_batch_sgld(model, SLICE_STEP);
    let start = model.prior_draw(seed ^ 0x5eed);
    let mut chain = Chain::new(model, &config, &start, seed).unwrap();
    chain.record(
        &RunLength {
            steps,
            burn_in: 20_000,
            thin: 10,
        },
        &mut (),
    )
}

/// Batch-means (mean, standard error, degrees of freedom) of a series.
fn batch_mean(series: &[f64]) -> (f64, f64, usize) {
    let bm = univariate_batch_means_auto(series).unwrap();
    (bm.mean, bm.standard_error, bm.n_batches - 1)
}

/// The largest |t| of the SGLD predictive mean and second moment about `mean` against a GP
/// posterior, after removing the allowed discretisation bias `relative_bias · variance` from the
/// variance gap (see `sgld_on_wide_network_matches_kernel_ridge`).
fn predictive_statistics(
    model: &TwoLayerNetwork,
    draws: &ChainOutput,
    means: &[f64],
    variances: &[f64],
    relative_bias: f64,
) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for (j, x) in test_points().iter().enumerate() {
        let f: Vec<f64> = (0..draws.len())
            .map(|k| model.output(draws.draw(k), x))
            .collect();
        let (m, se, dof) = batch_mean(&f);
        let t_mean = (m - means[j]).abs() / se / critical_value(ALPHA_ASSERTION, dof);
        let squares: Vec<f64> = f.iter().map(|v| (v - means[j]).powi(2)).collect();
        let (v, se_v, dof_v) = batch_mean(&squares);
        let gap = ((v - variances[j]).abs() - relative_bias * variances[j]).max(0.0);
        out.push((t_mean, gap / se_v / critical_value(ALPHA_ASSERTION, dof_v)));
    }
    out
}

fn largest(stats: &[(f64, f64)]) -> f64 {
    stats.iter().map(|(a, b)| a.max(*b)).fold(0.0, f64::max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha, ..ProptestConfig::default() })]

    /// The per-example gradients sum (with the prior gradient) to the gradient of U, checked by
    /// central differences: error O(h²) + O(ε_mach |U|/h) ≈ 1e-9 at h = 1e-6, so 1e-6 relative is
    /// loose by 10³ yet catches any wrong factor. `add_example_gradient` accumulates `scale ·`.
    #[test]
    fn gradient_matches_finite_differences(
        d in 1usize..4, width in 1usize..6, p in 1usize..5,
        activation in prop_oneof![Just(Activation::Erf), Just(Activation::Relu), Just(Activation::Linear)],
        mean_field in any::<bool>(), seed in any::<u64>(),
    ) {
        let params = TwoLayerParams {
            input_dimension: d, data_size: p, width, activation, temperature: 0.3,
            scaling: if mean_field { Scaling::MeanField } else { Scaling::Standard },
            label_noise: 0.1, ..Default::default()
        };
        let model = generate_two_layer(&params, seed).unwrap();
        let theta: Vec<f64> = model.prior_draw(seed.wrapping_add(1)).iter().map(|t| 2.0 * t).collect();
        let mut grad = vec![0.0; model.dimension()];
        model.full_gradient(&theta, &mut grad);
        let h = 1e-6;
        for k in 0..theta.len() {
            let (mut plus, mut minus) = (theta.clone(), theta.clone());
            plus[k] += h;
            minus[k] -= h;
            let fd = (model.potential(&plus) - model.potential(&minus)) / (2.0 * h);
            prop_assert!((fd - grad[k]).abs() <= 1e-6 * (1.0 + grad[k].abs()), "k={k}: fd {fd} vs {}", grad[k]);
        }
        let mut acc = vec![1.0; model.dimension()];
        let mut single = vec![0.0; model.dimension()];
        model.add_example_gradient(0, &theta, 1.0, &mut single);
        model.add_example_gradient(0, &theta, -2.5, &mut acc);
        for k in 0..theta.len() {
            prop_assert!((acc[k] - (1.0 - 2.5 * single[k])).abs() <= 1e-12 * (1.0 + single[k].abs()));
        }
    }
}

/// Kernels against Monte Carlo over w ~ N(0, s I), n = 10⁶ draws (d = 3, s = 0.7, σ_a² = 1.3).
/// Null: E[σ_a² φ(w·x)φ(w·x')] equals the closed form; statistic |mean − K|/(sd/√n), normal,
/// α = 1e-6 per assertion (z = 4.89), 6 assertions. Power: the same Monte-Carlo estimate of the
/// erf kernel must reject the closed form with s doubled (a missing factor 2 in s) and the ReLU
/// estimate must reject the formula without the 1/(2π) → 1/π halving; both shifts are > 30 sd.
#[test]
fn kernels_match_monte_carlo() {
    let mut rng = ChaCha20Rng::seed_from_u64(seed_of("kernels_match_monte_carlo"));
    let (s, readout_variance, n): (f64, f64, usize) = (0.7, 1.3, 1_000_000);
    let pairs = [
        (vec![1.0, -0.5, 2.0], vec![0.3, 1.0, 1.5]),
        (vec![0.2, 0.1, -1.0], vec![-2.0, 0.5, 0.4]),
    ];
    let z = two_sided_normal_quantile(ALPHA_ASSERTION);
    let draws: Vec<[f64; 3]> = (0..n)
        .map(|_| {
            let mut w = [0.0; 3];
            w.iter_mut()
                .for_each(|v| *v = s.sqrt() * rng.sample::<f64, _>(StandardNormal));
            w
        })
        .collect();
    let monte_carlo = |activation: Activation, x: &[f64], y: &[f64]| {
        let (mut sum, mut sum2) = (0.0, 0.0);
        for w in &draws {
            let u: f64 = w.iter().zip(x).map(|(a, b)| a * b).sum();
            let v: f64 = w.iter().zip(y).map(|(a, b)| a * b).sum();
            let prod = readout_variance * activation.value(u) * activation.value(v);
            sum += prod;
            sum2 += prod * prod;
        }
        let mean = sum / n as f64;
        (mean, ((sum2 / n as f64 - mean * mean) / n as f64).sqrt())
    };
    for activation in [Activation::Erf, Activation::Relu, Activation::Linear] {
        let kernel = NngpKernel::new(activation, readout_variance, s, 1.0).unwrap();
        for (x, y) in &pairs {
            let (mean, se) = monte_carlo(activation, x, y);
            let closed = kernel.evaluate(x, y);
            assert!(
                (mean - closed).abs() <= z * se,
                "{activation:?}: MC {mean} ± {se} vs closed form {closed} (z = {})",
                (mean - closed).abs() / se
            );
        }
    }
    let (x, y) = &pairs[0];
    let (mean, se) = monte_carlo(Activation::Erf, x, y);
    let wrong_s = NngpKernel::new(Activation::Erf, readout_variance, 2.0 * s, 1.0).unwrap();
    assert!((mean - wrong_s.evaluate(x, y)).abs() > z * se);
    let (mean, se) = monte_carlo(Activation::Relu, x, y);
    let relu = NngpKernel::new(Activation::Relu, readout_variance, s, 1.0).unwrap();
    assert!((mean - 2.0 * relu.evaluate(x, y)).abs() > z * se);
}

/// Deterministic identities of the GP posterior (tolerance 1e-10: a P = 6 Cholesky solve of a
/// well-conditioned system, condition number < 10³): at the training inputs the mean is
/// K (K + TI)⁻¹ y = y − T α and the variance is T − T² [(K + TI)⁻¹]_μμ; variances lie in [0, K(x,x)].
#[test]
fn kernel_ridge_identities() {
    let model = slice_model(1);
    let kernel = NngpKernel::infinite_width(&model);
    let inputs = model.input_rows();
    let post = gp_posterior(&kernel, &inputs, model.targets(), 0.25, &inputs).unwrap();
    let ridge = KernelRidge::new(&kernel.matrix(&inputs, &inputs), model.targets(), 0.25).unwrap();
    let inverse = ridge.inverse();
    for mu in 0..inputs.len() {
        assert!((post.mean[mu] - (model.targets()[mu] - 0.25 * post.dual[mu])).abs() < 1e-10);
        let expected = 0.25 - 0.0625 * inverse[(mu, mu)];
        assert!((post.variance[mu] - expected).abs() < 1e-10);
        assert!(
            post.variance[mu] >= 0.0
                && post.variance[mu] <= kernel.evaluate(&inputs[mu], &inputs[mu])
        );
    }
}

/// Bad inputs give typed errors, never panics.
#[test]
fn bad_inputs_are_typed_errors() {
    let ok = || slice_model(4).to_spec();
    let mut spec = ok();
    spec.width = 0;
    assert!(matches!(spec.build(), Err(Error::Invalid { .. })));
    let mut spec = ok();
    spec.prior.temperature = -1.0;
    assert!(matches!(spec.build(), Err(Error::Invalid { .. })));
    let mut spec = ok();
    spec.inputs[2] = vec![f64::NAN, 1.0];
    assert!(matches!(spec.build(), Err(Error::NonFinite { .. })));
    let mut spec = ok();
    spec.inputs[2] = vec![1.0];
    assert!(matches!(spec.build(), Err(Error::DimensionMismatch { .. })));
    let mut spec = ok();
    spec.teacher_direction = Some(vec![0.0, 0.0]);
    assert!(matches!(spec.build(), Err(Error::Invalid { .. })));
    assert!(serde_json::from_str::<TwoLayerSpec>(r#"{"inputs": [[1.0]], "bogus": 1}"#).is_err());
    // Kernel ridge: an indefinite "Gram" matrix, a negative temperature, mismatched sizes.
    let indefinite = nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 3.0, 3.0, 1.0]);
    assert!(matches!(
        KernelRidge::new(&indefinite, &[1.0, 2.0], 0.1),
        Err(Error::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        KernelRidge::new(&indefinite, &[1.0, 2.0], -0.1),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        KernelRidge::new(&indefinite, &[1.0], 0.1),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(NngpKernel::new(Activation::Erf, 1.0, 0.0, 1.0).is_err());
    // The theory summary covers SGLD only.
    let model = slice_model(4);
    let mut config = full_batch_sgld(&model, 0.01);
    config.kind = SamplerKind::Sgd;
    assert!(matches!(
        report(&model, &config),
        Err(Error::NoClosedForm { .. })
    ));
    // Mean-field settings and alignment.
    let bad = MeanFieldSettings {
        damping: 0.0,
        ..Default::default()
    };
    assert!(solve(&model, &bad).is_err());
    assert!(model.alignment(&model.prior_draw(1), &[1.0]).is_err());
    assert!(generate_two_layer(
        &TwoLayerParams {
            weight_scale: f64::NAN,
            ..Default::default()
        },
        1
    )
    .is_err());
}

/// Spec round trip (JSON) and generator determinism.
#[test]
fn spec_round_trip_and_generator() {
    let params = TwoLayerParams {
        width: 7,
        ..Default::default()
    };
    let model = generate_two_layer(&params, 11).unwrap();
    assert_eq!(model, generate_two_layer(&params, 11).unwrap());
    assert_eq!(model.to_spec().build().unwrap(), model);
    // JSON keeps every number to within one unit in the last place (serde_json's default float
    // parser is not always exact), and the rebuilt model has the same specification.
    let json = serde_json::to_string(&model.to_spec()).unwrap();
    let back: TwoLayerSpec = serde_json::from_str(&json).unwrap();
    let rebuilt = back.build().unwrap();
    assert_eq!(rebuilt.to_spec(), back);
    let close = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-15 * x.abs().max(1.0))
    };
    assert!(close(rebuilt.targets(), model.targets()));
    for mu in 0..model.data_size() {
        assert!(close(rebuilt.input(mu), model.input(mu)));
    }
    assert_eq!(
        (rebuilt.width(), rebuilt.activation(), rebuilt.prior()),
        (7, Activation::Erf, model.prior())
    );
    // A single-index teacher has a unit direction, and y = erf(β·x) exactly without label noise.
    let beta = model.teacher_direction().unwrap();
    assert!((beta.iter().map(|b| b * b).sum::<f64>() - 1.0).abs() < 1e-12);
    let z: f64 = beta.iter().zip(model.input(3)).map(|(a, b)| a * b).sum();
    assert!((model.targets()[3] - statrs::function::erf::erf(z)).abs() < 1e-15);
}

/// SGLD (the crate's generic sampler, full batch, ε = 0.01) on an erf network of width N = 256
/// reproduces the kernel-ridge predictive mean and variance at three test inputs of the slice
/// problem, and the same check rejects a wrong kernel (linear instead of erf) and a wrong
/// temperature (2T instead of T).
///
/// Null law: batch-means t statistics of the series f(x*) (mean k(x*)ᵀα) and (f(x*) − f̄_KRR)²
/// (mean Var_KRR(x*)), t_{b−1} at α = 1e-6 per assertion (6 assertions). Bias allowance (tier 4):
/// for fixed first-layer weights the readout layer is Gaussian and SGLD's stationary covariance is
/// (H(I − εH/4))⁻¹, so the relative variance bias is at most ε λ_max/(4 − ε λ_max) with λ_max the
/// largest curvature (reported by `theory::mean_field::report`, ≈ 2.2% here); the mean is unbiased.
/// The finite-width O(1/N) gap is below resolution at N = 256 (next test shows it at N = 4).
/// Run: 80 000 steps (20 000 burn-in), thin 10, ≈ 6 000 draws, IAT ≈ 5 draws → N_eff ≈ 1 200; the
/// variance MCSE is ≈ 4%, so the minimum detectable variance error is ≈ 20% + bias and the mean's
/// ≈ 0.05; T → 2T moves the variances by > 40% and the linear kernel moves the mean at x = 3 by > 1.
#[test]
fn sgld_on_wide_network_matches_kernel_ridge() {
    let model = slice_model(256);
    let theory = report(&model, &full_batch_sgld(&model, SLICE_STEP)).unwrap();
    let b = theory.discretisation_bias;
    let relative_bias = b / (1.0 - b);
    assert!(relative_bias < 0.03);
    let draws = run_sgld(
        &model,
        60_000,
        seed_of("sgld_on_wide_network_matches_kernel_ridge"),
    );
    let inputs = model.input_rows();
    let posterior = |kernel: &NngpKernel, temperature: f64| {
        gp_posterior(
            kernel,
            &inputs,
            model.targets(),
            temperature,
            &test_points(),
        )
        .unwrap()
    };
    let exact = posterior(&NngpKernel::infinite_width(&model), SLICE_TEMPERATURE);
    let stats = predictive_statistics(&model, &draws, &exact.mean, &exact.variance, relative_bias);
    assert!(
        largest(&stats) <= 1.0,
        "SGLD vs KRR: |t|/t_crit per test point (mean, variance) = {stats:?}"
    );
    let linear = NngpKernel {
        activation: Activation::Linear,
        ..NngpKernel::infinite_width(&model)
    };
    let wrong_kernel = posterior(&linear, SLICE_TEMPERATURE);
    let stats = predictive_statistics(
        &model,
        &draws,
        &wrong_kernel.mean,
        &wrong_kernel.variance,
        relative_bias,
    );
    assert!(
        largest(&stats) > 1.0,
        "linear kernel not rejected: {stats:?}"
    );
    let wrong_temperature = posterior(&NngpKernel::infinite_width(&model), 2.0 * SLICE_TEMPERATURE);
    let stats = predictive_statistics(
        &model,
        &draws,
        &wrong_temperature.mean,
        &wrong_temperature.variance,
        relative_bias,
    );
    assert!(
        largest(&stats) > 1.0,
        "temperature 2T not rejected: {stats:?}"
    );
}

/// The finite-width gap: the same check as above at width N = 4 rejects the kernel-ridge law (the
/// O(1/N) correction is resolved), and its variance gap at x* = (3, 1) exceeds the N = 256 gap.
/// 400 000 steps at N = 4 (≈ 40 000 draws, N_eff ≈ 8 000). This is a power statement (the
/// rejection is the expected outcome), so it spends no false-fail budget.
#[test]
fn finite_width_gap_shrinks() {
    let seed = seed_of("finite_width_gap_shrinks");
    let narrow = slice_model(4);
    let exact = gp_posterior(
        &NngpKernel::infinite_width(&narrow),
        &narrow.input_rows(),
        narrow.targets(),
        SLICE_TEMPERATURE,
        &test_points(),
    )
    .unwrap();
    let draws = run_sgld(&narrow, 400_000, seed);
    let stats = predictive_statistics(&narrow, &draws, &exact.mean, &exact.variance, 0.03);
    assert!(
        largest(&stats) > 1.0,
        "N = 4 indistinguishable from KRR: {stats:?}"
    );
    let gap = |model: &TwoLayerNetwork, draws: &ChainOutput| {
        let x = &test_points()[2];
        let f: Vec<f64> = (0..draws.len())
            .map(|k| model.output(draws.draw(k), x))
            .collect();
        let mean = f.iter().sum::<f64>() / f.len() as f64;
        let var = f.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / f.len() as f64;
        (var / exact.variance[2] - 1.0).abs()
    };
    let wide = slice_model(64);
    let wide_draws = run_sgld(&wide, 200_000, seed.wrapping_add(1));
    let (narrow_gap, wide_gap) = (gap(&narrow, &draws), gap(&wide, &wide_draws));
    assert!(
        narrow_gap > wide_gap,
        "gap N=4: {narrow_gap}, N=64: {wide_gap}"
    );
}

/// The single-index problem of the reproduction's part 2: d = 5, y = erf(β·x), erf network,
/// σ_a = σ_w = 1.
fn single_index(width: usize, data_size: usize, temperature: f64, seed: u64) -> TwoLayerNetwork {
    generate_two_layer(
        &TwoLayerParams {
            input_dimension: 5,
            data_size,
            width,
            temperature,
            ..Default::default()
        },
        seed,
    )
    .unwrap()
}

fn quick_settings() -> MeanFieldSettings {
    MeanFieldSettings {
        pool_size: 4000,
        tolerance: 1e-9,
        ..Default::default()
    }
}

/// The MF solver converges (residual ≤ 1e-9 with ESS well above the floor) and, as N → ∞ at
/// γ = ½, its kernel tends to the NNGP kernel: the relative change from the prior kernel decays as
/// 1/N (ratio between N = 10⁴ and 10⁵ within [0.07, 0.14] of the exact 0.1: the tilt is O(1/N) and
/// its O(1/N²) feedback is small) and is below 1% at N = 10⁵ (the digest asks 1% at N = 10⁴; at
/// T = 0.01 the tilt is ≈ 1.8% there, so its criterion depends on T). The tilt-free pool kernel equals
/// the closed form within 5 σ_a²/√M per entry (|φφ| ≤ 1 for erf, so the Monte-Carlo sd is at most
/// σ_a²), and the MF predictor at N = 10⁵ matches kernel ridge regression.
#[test]
fn mean_field_converges_and_recovers_kernel_ridge() {
    let settings = quick_settings();
    let finite = single_index(16, 10, 0.01, seed_of("single_index_problem"));
    let sol = solve(&finite, &settings).unwrap();
    assert!(
        *sol.residuals.last().unwrap() <= 1e-9,
        "{:?}",
        &sol.residuals[sol.residuals.len().saturating_sub(5)..]
    );
    assert!(sol.effective_sample_size > 1000.0);
    assert!(
        sol.kernel_change > 0.02,
        "finite width must tilt: {}",
        sol.kernel_change
    );
    let change_1e4 = solve(
        &single_index(10_000, 10, 0.01, seed_of("single_index_problem")),
        &settings,
    )
    .unwrap()
    .kernel_change;
    let wide = single_index(100_000, 10, 0.01, seed_of("single_index_problem"));
    let sol = solve(&wide, &settings).unwrap();
    let ratio = sol.kernel_change / change_1e4;
    assert!(
        sol.kernel_change < 0.01 && (0.07..0.14).contains(&ratio),
        "kernel change {change_1e4} at N = 1e4, {} at 1e5",
        sol.kernel_change
    );
    let inputs = wide.input_rows();
    let nngp = NngpKernel::infinite_width(&wide).matrix(&inputs, &inputs);
    let bound = 5.0 / (settings.pool_size as f64).sqrt();
    assert!((&sol.prior_kernel - &nngp).amax() <= bound);
    let test = vec![inputs[0].iter().map(|v| -0.5 * v).collect::<Vec<_>>()];
    let mf = sol.predict(&wide, &test).unwrap();
    let krr = gp_posterior(
        &NngpKernel::infinite_width(&wide),
        &inputs,
        wide.targets(),
        0.01,
        &test,
    )
    .unwrap();
    assert!((mf.mean[0] - krr.mean[0]).abs() < 0.05, "{mf:?} vs {krr:?}");
}

/// Direction of the feature-learning transition in the [derived] MF theory (deterministic, fixed
/// pool): the alignment m with the teacher direction grows with the sample size P, shrinks with the
/// width N (the γ = ½ tilt is O(1/N)) and shrinks with the temperature T.
#[test]
fn mean_field_alignment_moves_the_predicted_way() {
    let settings = quick_settings();
    let m = |width: usize, data_size: usize, temperature: f64| {
        let model = single_index(
            width,
            data_size,
            temperature,
            seed_of("single_index_problem"),
        );
        let beta = model.teacher_direction().unwrap().to_vec();
        solve(&model, &settings).unwrap().alignment(&beta).unwrap()
    };
    let by_p = [m(16, 5, 0.01), m(16, 10, 0.01), m(16, 20, 0.01)];
    assert!(by_p[0] < by_p[1] && by_p[1] < by_p[2], "m vs P: {by_p:?}");
    let by_n = [m(16, 20, 0.01), m(64, 20, 0.01), m(256, 20, 0.01)];
    assert!(by_n[0] > by_n[1] && by_n[1] > by_n[2], "m vs N: {by_n:?}");
    let by_t = [m(16, 20, 0.003), m(16, 20, 0.03), m(16, 20, 0.3)];
    assert!(by_t[0] > by_t[1] && by_t[1] > by_t[2], "m vs T: {by_t:?}");
}

/// The quick reproduction gives the same bits on one and on two rayon threads, and its typed record
/// is snapshotted (rounded numbers; the statistical checks above decide pass/fail). Its speed is
/// measured by `reproduce`'s timing file, not asserted here.
#[test]
fn reproduction_quick_snapshot() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| mean_field_sgld::run(&Config::quick()).unwrap())
    };
    let record = run(2);
    let serial = run(1);
    assert_eq!(format!("{record:?}"), format!("{serial:?}"));
    let rendered = mean_field_sgld::render(&record).unwrap();
    assert_eq!(rendered.figures.len(), 3);
    insta::with_settings!({ info => &Config::quick() }, {
        insta::assert_yaml_snapshot!("mean-field-sgld-quick", record);
    });
}

#[global_allocator]
static GLOBAL: common::allocation_counter::Counting = common::allocation_counter::Counting;

/// The gradient and SGLD steps on the two-layer network allocate nothing (after warm-up), for
/// every activation; power: the counter sees a deliberate allocation.
#[test]
fn gradients_and_steps_do_not_allocate() {
    use common::allocation_counter::{ALLOCATIONS, COUNTING};
    use std::sync::atomic::Ordering;
    for activation in [Activation::Erf, Activation::Relu, Activation::Linear] {
        let model = generate_two_layer(
            &TwoLayerParams {
                width: 32,
                activation,
                ..Default::default()
            },
            5,
        )
        .unwrap();
        let theta = model.prior_draw(6);
        let mut out = vec![0.0; model.dimension()];
        let config = SamplerConfig {
            kind: SamplerKind::Sgld,
            step_size: 1e-3,
            batch_size: 4,
            batching: Batching::WithReplacement,
        };
        let mut chain = Chain::new(&model, &config, &theta, 7).unwrap();
        chain.execute(&RunLength::ONE_STEP, &mut ());
        COUNTING.with(|c| c.set(true));
        ALLOCATIONS.store(0, Ordering::SeqCst);
        let probe = std::hint::black_box(vec![1u8; 8]);
        assert!(ALLOCATIONS.load(Ordering::SeqCst) >= 1 && probe.len() == 8);
        ALLOCATIONS.store(0, Ordering::SeqCst);
        for _ in 0..20 {
            model.full_gradient(&theta, &mut out);
            model.add_example_gradient(3, &theta, 0.5, &mut out);
            chain.execute(&RunLength::ONE_STEP, &mut ());
        }
        let allocations = ALLOCATIONS.load(Ordering::SeqCst);
        COUNTING.with(|c| c.set(false));
        assert_eq!(allocations, 0, "{activation:?}");
    }
}

/// SGLD's first-layer alignment moves the way the MF theory predicts, and MF is semi-quantitative.
/// Single-index erf teacher, d = 5, T = 0.01, N = 16, full-batch SGLD with ε = 0.4/h_max (h_max the
/// largest readout curvature, `report`; ≤ 11% variance bias in the stiffest readout direction,
/// the alignment is a first-layer quantity), 250 000 steps after 50 000 burn-in, thin 50 (5 000
/// draws; the batch-means rule requires N_eff ≥ 400 draws, and MCSE of m ≈ 0.003–0.005).
/// Assertions: m_SGLD(P = 20) − m_SGLD(P = 5) exceeds t_crit(α = 1e-6) times its standard error
/// (independent chains: SEs add in quadrature) — the reproduction measures a difference ≈ 0.12, so
/// this is a power statement; and the MF value at P = 20 lies within a factor 2 of SGLD's (the
/// digest's semi-quantitative tolerance for Claim 4; the reproduction measures MF/SGLD ≈ 0.7).
#[test]
fn sgld_alignment_follows_mean_field_trend() {
    let seed = seed_of("sgld_alignment_follows_mean_field_trend");
    let alignment = |p: usize| {
        let model = single_index(16, p, 0.01, seed);
        let step_size = 0.4
            / report(&model, &full_batch_sgld(&model, 1e-3))
                .unwrap()
                .largest_curvature;
        let mut chain = Chain::new(
            &model,
            &full_batch_sgld(&model, step_size),
            &model.prior_draw(seed ^ p as u64),
            seed.wrapping_add(p as u64),
        )
        .unwrap();
        let out = chain.record(
            &RunLength {
                steps: 250_000,
                burn_in: 50_000,
                thin: 50,
            },
            &mut (),
        );
        let beta = model.teacher_direction().unwrap().to_vec();
        let series: Vec<f64> = (0..out.len())
            .map(|k| model.alignment(out.draw(k), &beta).unwrap())
            .collect();
        let mean_field = solve(&model, &quick_settings())
            .unwrap()
            .alignment(&beta)
            .unwrap();
        (batch_mean(&series), mean_field)
    };
    let ((small, se_small, dof_small), _) = alignment(5);
    let ((large, se_large, dof_large), mean_field) = alignment(20);
    let t = critical_value(ALPHA_ASSERTION, dof_small.min(dof_large));
    assert!(
        large - small > t * se_small.hypot(se_large),
        "m_SGLD: P = 5 {small} ± {se_small}, P = 20 {large} ± {se_large}"
    );
    let ratio = mean_field / large;
    assert!(
        (0.5..=2.0).contains(&ratio),
        "MF {mean_field} vs SGLD {large} ± {se_large}"
    );
}

/// The theory summary: the KRR posterior on the training inputs equals `gp_posterior` with the
/// model's kernel (bitwise: the same computation), the discretisation bias is ε h_max/4 (1e-15
/// relative), and the cheap MF alignment is present for a single-index model.
#[test]
fn theory_report_summarises_the_model() {
    let model = generate_two_layer(
        &TwoLayerParams {
            data_size: 10,
            width: 32,
            ..Default::default()
        },
        seed_of("theory_report_summarises_the_model"),
    )
    .unwrap();
    let config = full_batch_sgld(&model, 2e-3);
    let theory = report(&model, &config).unwrap();
    let inputs = model.input_rows();
    let krr = gp_posterior(
        &NngpKernel::of_model(&model),
        &inputs,
        model.targets(),
        0.1,
        &inputs,
    )
    .unwrap();
    assert_eq!(theory.kernel_ridge, krr);
    assert!(
        (theory.discretisation_bias - 2e-3 * theory.largest_curvature / 4.0).abs()
            <= 1e-15 * theory.discretisation_bias
    );
    let m = theory
        .mean_field_alignment
        .expect("single-index model with d = 5");
    assert!(m > 0.0 && m < 1.0, "{m}");
    assert!(serde_json::to_string(&theory)
        .unwrap()
        .contains("\"provenance\""));
}
