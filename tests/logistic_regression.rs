//! Bayesian logistic regression (`sgbayes::models::LogisticRegression`) and the OU analysis of
//! constant SGD on it (Mandt et al. 2017, linearised at the MAP): deterministic identities,
//! typed errors, and a calibrated check of the real `sgd` sampler's stationary covariance with a
//! power test.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::seed_of;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use sgbayes::batching::Batching;
use sgbayes::chain::{run_chains, run_seed, ChainOutput, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::error::Error;
use sgbayes::models::{
    generate_logistic_regression, LogisticRegression, LogisticRegressionParams,
    LogisticRegressionSpec, Model,
};
use sgbayes::stats::batch_means::{univariate_batch_means_auto, UnivariateBatchMeans};
use sgbayes::stats::budget::ALPHA_ASSERTION;
use sgbayes::stats::critical_value;
use sgbayes::stats::pooled_chains::pool_batch_means;
use sgbayes::theory::linearised::LinearisedLaws;

/// Counts allocations of the threads that opted in (so the other tests of this binary, run on
/// their own threads, neither count nor are disturbed).
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    if COUNTING.try_with(|c| c.get()).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + 1));
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(|a| a.get())
}

/// The hot loop allocates nothing: per-example gradients, the potential, and 10 000 warm `sgd` and
/// `sgld` chain steps on the logistic model (power: the counter sees a Vec).
#[test]
fn gradients_and_steps_do_not_allocate() {
    assert!(
        allocations_during(|| {
            std::hint::black_box(vec![1u8; 16]);
        }) >= 1
    );
    let model = small(4, 300, 5);
    let theta = [0.3, -0.2, 0.1, 0.5];
    let mut out = [0.0; 4];
    assert_eq!(
        allocations_during(|| {
            for i in 0..model.data_size() {
                model.add_example_gradient(i, &theta, 0.7, &mut out);
            }
            model.full_gradient(&theta, &mut out);
            std::hint::black_box(model.potential(&theta));
        }),
        0
    );
    for kind in [
        SamplerKind::Sgd,
        SamplerKind::Sgld,
        SamplerKind::StochasticNgd { temperature: 1.0 },
    ] {
        let config = SamplerConfig {
            kind,
            step_size: 1e-3,
            batch_size: 10,
            batching: Batching::WithReplacement,
        };
        let mut chain = sgbayes::chain::Chain::new(&model, &config, &theta, 1).unwrap();
        chain.execute(
            &sgbayes::chain::RunLength {
                burn_in: 0,
                steps: 10,
                thin: 1,
            },
            &mut (),
        );
        assert_eq!(
            allocations_during(|| {
                chain.execute(
                    &sgbayes::chain::RunLength {
                        burn_in: 0,
                        steps: 10_000,
                        thin: 1,
                    },
                    &mut (),
                );
            }),
            0,
            "{kind:?}"
        );
    }
}

fn small(dimension: usize, data_size: usize, seed: u64) -> LogisticRegression {
    generate_logistic_regression(
        &LogisticRegressionParams {
            dimension,
            data_size,
            ..LogisticRegressionParams::default()
        },
        seed,
    )
    .unwrap()
}

fn gradient(model: &LogisticRegression, theta: &[f64]) -> Vec<f64> {
    let mut g = vec![0.0; model.dimension()];
    model.full_gradient(theta, &mut g);
    g
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Deterministic: the analytic gradient equals central differences of U (step h = 1e-5 on
    /// O(1) coordinates: truncation O(h²·|∇³U|) ≈ 1e-8·N and round-off O(ε_mach·|U|/h) ≈ 1e-9·N,
    /// so 1e-6 relative to 1 + |∇U|_∞ has a 100× margin); and the per-example gradients with
    /// scale s accumulate to s·(∇U − ∇R).
    #[test]
    fn gradient_matches_finite_differences(d in 1usize..5, n in 1usize..60, seed in 0u64..10_000,
                                           theta in proptest::collection::vec(-3.0f64..3.0, 5)) {
        let model = small(d, n, seed);
        let theta = &theta[..d];
        let g = gradient(&model, theta);
        let h = 1e-5;
        let scale = 1.0 + g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for j in 0..d {
            let (mut plus, mut minus) = (theta.to_vec(), theta.to_vec());
            plus[j] += h;
            minus[j] -= h;
            let fd = (model.potential(&plus) - model.potential(&minus)) / (2.0 * h);
            prop_assert!((fd - g[j]).abs() <= 1e-6 * scale, "coordinate {j}: fd {fd} vs {}", g[j]);
        }
        let mut prior = vec![0.0; d];
        model.prior_gradient(theta, &mut prior);
        let mut accumulated = vec![0.0; d];
        for i in 0..n {
            model.add_example_gradient(i, theta, 0.5, &mut accumulated);
        }
        for j in 0..d {
            prop_assert!((accumulated[j] - 0.5 * (g[j] - prior[j])).abs() <= 1e-12 * scale);
        }
    }

    /// Deterministic: the Hessian equals central differences of the gradient (h = 1e-5, same
    /// error analysis one order down: 1e-6 relative to 1 + |H|_max), is symmetric, and equals
    /// λI + Σ_i of the per-example Hessians (1e-12: the same sums in another order).
    #[test]
    fn hessian_matches_finite_differences(d in 1usize..5, n in 1usize..60, seed in 0u64..10_000,
                                          theta in proptest::collection::vec(-3.0f64..3.0, 5)) {
        let model = small(d, n, seed);
        let theta = &theta[..d];
        let hessian = model.hessian(&DVector::from_column_slice(theta));
        let scale = 1.0 + hessian.amax();
        let h = 1e-5;
        for j in 0..d {
            let (mut plus, mut minus) = (theta.to_vec(), theta.to_vec());
            plus[j] += h;
            minus[j] -= h;
            let (gp, gm) = (gradient(&model, &plus), gradient(&model, &minus));
            for k in 0..d {
                let fd = (gp[k] - gm[k]) / (2.0 * h);
                prop_assert!((fd - hessian[(k, j)]).abs() <= 1e-6 * scale, "({k},{j}): fd {fd} vs {}", hessian[(k, j)]);
            }
        }
        let mut sum = nalgebra::DMatrix::identity(d, d) * model.prior_precision_scalar();
        for i in 0..n {
            sum += model.example_hessian(i, theta);
        }
        prop_assert!((sum - &hessian).amax() <= 1e-12 * scale);
        prop_assert!((&hessian - hessian.transpose()).amax() == 0.0);
    }

    /// Deterministic: Newton's MAP is a stationary point (|∇U|_∞ ≤ 1e-8·(1 + |H|_max), the
    /// stopping rule's tolerance with slack for the gradient's round-off), a minimum along random
    /// directions, and the mean per-example gradient there is −λθ̂/N, so the gradient-noise
    /// covariance C = E[gg ᵀ] − ḡḡᵀ is checked against that identity (1e-12 relative).
    #[test]
    fn map_is_a_stationary_minimum(d in 1usize..5, n in 1usize..200, seed in 0u64..10_000) {
        let model = small(d, n, seed);
        let map = model.map_estimate().unwrap();
        let hessian = model.hessian(&map);
        let g = gradient(&model, map.as_slice());
        prop_assert!(g.iter().all(|v| v.abs() <= 1e-8 * (1.0 + hessian.amax())), "{g:?}");
        let u = model.potential(map.as_slice());
        for k in 0..d {
            for step in [-1e-3, 1e-3] {
                let mut moved = map.clone();
                moved[k] += step;
                prop_assert!(model.potential(moved.as_slice()) >= u);
            }
        }
        let mut second = nalgebra::DMatrix::zeros(d, d);
        for i in 0..n {
            let mut gi = vec![0.0; d];
            model.add_example_gradient(i, map.as_slice(), 1.0, &mut gi);
            let gi = DVector::from_vec(gi);
            second += &gi * gi.transpose();
        }
        let mean = &map * (-model.prior_precision_scalar() / n as f64);
        let c = second / n as f64 - &mean * mean.transpose();
        let reference = model.gradient_noise_covariance(&map);
        prop_assert!((c - &reference).amax() <= 1e-10 * (1.0 + reference.amax()));
    }
}

/// [derived] Deterministic: the Fisher metric F(θ) = (1/N)Σ σ(1 − σ)x xᵀ equals the Hessian of the
/// likelihood part divided by N (1e-12), and the Jeffreys correction Γ_i = (1/√det F) Σ_j
/// ∂_j(√det F [F⁻¹]_ij) matches central differences (h = 1e-5; truncation O(h²) ≈ 1e-10 relative
/// on these O(1) quantities, round-off ≈ 1e-16/h = 1e-11: tolerance 1e-6 relative to 1 + |Γ|_∞
/// and the scale of the summed terms). Power: a Γ with the ½ factor dropped fails the same check.
#[test]
fn fisher_metric_and_jeffreys_correction_match_finite_differences() {
    use sgbayes::models::FisherMetric;
    for seed in 0..6u64 {
        let model = small(3, 40, seed);
        let theta = [0.4, -0.3, 0.2];
        let d = 3;
        let (mut f, mut gamma) = (vec![0.0; 9], vec![0.0; 3]);
        assert_eq!(
            model.fisher_metric(&theta, &mut f, &mut gamma),
            FisherMetric::StateDependent
        );
        let theta_v = DVector::from_column_slice(&theta);
        let likelihood_hessian = (model.hessian(&theta_v)
            - nalgebra::DMatrix::identity(d, d) * model.prior_precision_scalar())
            / 40.0;
        for j in 0..d {
            for k in 0..d {
                assert!((f[j * d + k] - likelihood_hessian[(j, k)]).abs() <= 1e-12);
            }
        }
        let weighted_inverse = |t: &[f64]| {
            let (mut f, mut g) = (vec![0.0; 9], vec![0.0; 3]);
            model.fisher_metric(t, &mut f, &mut g);
            let f = nalgebra::DMatrix::from_row_slice(d, d, &f);
            let root_det = f.determinant().sqrt();
            (f.try_inverse().unwrap() * root_det, root_det)
        };
        let h = 1e-5;
        let (_, root_det) = weighted_inverse(&theta);
        let mut numeric = [0.0; 3];
        let mut scale = 0.0f64;
        for j in 0..d {
            let (mut plus, mut minus) = (theta, theta);
            plus[j] += h;
            minus[j] -= h;
            let derivative = (weighted_inverse(&plus).0 - weighted_inverse(&minus).0) / (2.0 * h);
            for i in 0..d {
                numeric[i] += derivative[(i, j)] / root_det;
                scale = scale.max((derivative[(i, j)] / root_det).abs());
            }
        }
        let tolerance = 1e-6 * (1.0 + scale);
        for i in 0..d {
            assert!(
                (gamma[i] - numeric[i]).abs() <= tolerance,
                "seed {seed}, Γ_{i}: {} vs finite differences {}",
                gamma[i],
                numeric[i]
            );
        }
        // Power: dropping the ½ (Γ twice as large) is caught on every data set.
        let worst = (0..d).fold(0.0f64, |m, i| m.max((2.0 * gamma[i] - numeric[i]).abs()));
        assert!(
            seed > 0 || worst > tolerance,
            "½-factor variant not detected: {worst}"
        );
    }
}

/// The stable softplus: U stays finite and exact for |x·θ| = 1000 (log(1 + e^1000) = 1000 to
/// double precision; a naive log(1 + exp(z)) overflows to ∞), and the gradient saturates at ±x.
#[test]
fn extreme_logits_are_finite() {
    let model = LogisticRegression::new(vec![vec![1.0], vec![1.0]], vec![0.0, 1.0], 1.0).unwrap();
    // U(θ) = θ²/2 + [softplus(θ)] + [softplus(θ) − θ]
    let u = model.potential(&[1000.0]);
    assert_eq!(u, 0.5 * 1e6 + 1000.0);
    let u = model.potential(&[-1000.0]);
    assert_eq!(u, 0.5 * 1e6 + 1000.0);
    let g = gradient(&model, &[1000.0]);
    assert_eq!(g[0], 1000.0 + 1.0);
    assert!(model.probabilities(&[-800.0]).iter().all(|p| *p >= 0.0));
}

#[test]
fn bad_inputs_give_typed_errors() {
    let ok = || vec![vec![1.0, 2.0], vec![0.5, -1.0]];
    assert!(matches!(
        LogisticRegression::new(vec![], vec![], 1.0),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        LogisticRegression::new(vec![vec![1.0, 2.0], vec![1.0]], vec![0.0, 1.0], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        LogisticRegression::new(ok(), vec![0.0], 1.0),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        LogisticRegression::new(ok(), vec![0.0, 2.0], 1.0),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        LogisticRegression::new(ok(), vec![0.0, f64::NAN], 1.0),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        LogisticRegression::new(
            vec![vec![f64::INFINITY, 0.0], vec![0.0, 0.0]],
            vec![0.0, 1.0],
            1.0
        ),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        LogisticRegression::new(vec![vec![1e200, 0.0], vec![0.0, 0.0]], vec![0.0, 1.0], 1.0),
        Err(Error::NonFinite { .. })
    ));
    for lambda in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            LogisticRegression::new(ok(), vec![0.0, 1.0], lambda),
            Err(Error::Invalid { .. })
        ));
    }
    let base = LogisticRegressionParams::default();
    for params in [
        LogisticRegressionParams {
            dimension: 0,
            ..base
        },
        LogisticRegressionParams {
            data_size: 0,
            ..base
        },
        LogisticRegressionParams {
            feature_correlation: 1.0,
            ..base
        },
        LogisticRegressionParams {
            feature_scale: -1.0,
            ..base
        },
    ] {
        assert!(matches!(
            generate_logistic_regression(&params, 1),
            Err(Error::Invalid { .. })
        ));
    }
    assert!(serde_json::from_str::<LogisticRegressionSpec>(
        r#"{"features": [[1.0]], "labels": [1.0], "prior_precision": 1.0, "extra": 0}"#
    )
    .is_err());
}

#[test]
fn spec_round_trip_and_generator_determinism() {
    let model = small(3, 50, 11);
    let spec = model.to_spec();
    let json = serde_json::to_string(&spec).unwrap();
    let back: LogisticRegressionSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    assert_eq!(back.build().unwrap(), model);
    assert_eq!(small(3, 50, 11), model);
    assert_ne!(small(3, 50, 12), model);
    // Labels are 0/1 and not constant (the data carry information about θ).
    let ones = model.labels().iter().filter(|&&y| y == 1.0).count();
    assert!(ones > 0 && ones < 50);
}

/// [derived] In one dimension the linearised laws have closed forms: with
/// a = H/N, SGD's OU variance is εc/(2Ba) and its exact discrete variance εc/(2Ba(1 − εa/2));
/// SGLD's OU variance is 1/H + εN²c/(4BH) (from (ε/2)·2Hσ² = ε²N²c/(4B) + ε). Checked to 1e-12.
#[test]
fn linearised_laws_in_one_dimension() {
    let model = small(1, 200, seed_of("linearised_laws_in_one_dimension"));
    let laws = LinearisedLaws::new(&model, 10).unwrap();
    let (h, c, n, b) = (laws.hessian[(0, 0)], laws.noise[(0, 0)], 200.0, 10.0);
    let a = h / n;
    let eps = 0.3 * laws.eps_star();
    let (ou, disc) = laws.laws(SamplerKind::Sgd, eps).unwrap();
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * y.abs();
    assert!(close(ou.covariance[(0, 0)], eps * c / (2.0 * b * a)));
    assert!(close(
        disc.covariance[(0, 0)],
        eps * c / (2.0 * b * a * (1.0 - eps * a / 2.0))
    ));
    let eps = 1e-4;
    let (ou, _) = laws.laws(SamplerKind::Sgld, eps).unwrap();
    assert!(close(
        ou.covariance[(0, 0)],
        1.0 / h + eps * n * n * c / (4.0 * b * h)
    ));
    // Theorem 1: ε* = 2DB/(N tr C) minimises KL_OU (d/dε = 0 at ε*: one-sided values are larger).
    let star = laws.eps_star();
    let k = |e: f64| laws.kl(SamplerKind::Sgd, e).unwrap().0;
    assert!(k(star) < k(star * 1.001) && k(star) < k(star / 1.001));
    assert!(matches!(
        laws.laws(SamplerKind::Asgs { window: 3 }, 0.1),
        Err(Error::Invalid { .. })
    ));
}

/// Calibrated check of Mandt et al.'s OU analysis on a non-quadratic model, with the real `sgd`
/// sampler (minibatches with replacement, B = 10) on the synthetic logistic regression of the
/// mandt2017 report's style (d = 3, N = 1000) at ε = ε*/4.
///
/// * Null: the stationary tr(HΣ)/d equals the linearised exact-discrete prediction up to the
///   linearisation error, bounded by `LinearisedLaws::nonlinearity_budget` (first-order relative
///   change of H and C over ±2 sd of the predicted spread; ≈ 14% here, printed on failure).
///   The exact-discrete law already contains the O(ε) discretisation correction, so the only
///   non-Monte-Carlo error is the nonlinearity.
/// * Statistic: |T̂ − T| ≤ t_{1−α/2, dof}·MCSE + budget·T, T̂ the pooled batch-means estimate of
///   tr(H(θ − θ̄)(θ − θ̄)ᵀ)/d over 4 chains of 4000 relaxation times (τ = 1/(ε λ_min(A)) ≈ 300
///   steps), thinned by τ/8; α = ALPHA_ASSERTION = 1e-6. Measured: 0.4% from the prediction.
/// * N_eff ≈ 4·4000/2 = 8000 per functional, so MCSE ≈ 0.5% of T (4.7 M steps, ≈ 0.3 s).
/// * Power: the same check rejects the prediction with B replaced by 2B (Σ halved: a 50% effect,
///   far beyond budget + z·MCSE ≈ 17%).
#[test]
fn sgd_stationary_covariance_matches_the_ou_prediction() {
    let model = small(3, 1000, seed_of("logistic sgd model"));
    let laws = LinearisedLaws::new(&model, 10).unwrap();
    let eps = laws.eps_star() / 4.0;
    let config = SamplerConfig {
        kind: SamplerKind::Sgd,
        step_size: eps,
        batch_size: 10,
        batching: Batching::WithReplacement,
    };
    let a_min = nalgebra::SymmetricEigen::new(laws.hessian.clone() / 1000.0)
        .eigenvalues
        .min();
    let tau = 1.0 / (eps * a_min);
    let seed = seed_of("sgd_stationary_covariance_matches_the_ou_prediction");
    let seeds: Vec<u64> = (0..4).map(|k| run_seed(seed, k)).collect();
    let length = RunLength {
        burn_in: (20.0 * tau) as usize,
        steps: (4000.0 * tau) as usize,
        thin: ((tau / 8.0) as usize).max(1),
    };
    let start: Vec<f64> = laws.map.iter().cloned().collect();
    let d = 3.0;
    let weight = &laws.hessian / d;
    let chains: Vec<UnivariateBatchMeans> = run_chains(&model, &config, &start, &seeds, &length)
        .unwrap()
        .iter()
        .map(|chain| quadratic_form_batch_means(chain, &weight))
        .collect();
    let estimate = pool_batch_means(&chains);
    let temperature = |batch: usize| {
        let laws = LinearisedLaws {
            batch_size: batch,
            ..laws.clone()
        };
        let (_, disc) = laws.laws(SamplerKind::Sgd, eps).unwrap();
        ((&laws.hessian * &disc.covariance).trace() / d, disc)
    };
    let (predicted, discrete) = temperature(10);
    let budget = laws
        .nonlinearity_budget(&model, &discrete.covariance)
        .unwrap();
    let t = critical_value(ALPHA_ASSERTION, estimate.dof);
    let allowed = |target: f64| t * estimate.standard_error + budget * target;
    assert!(
        budget < 0.2,
        "the nonlinearity budget {budget} is too loose for the power test"
    );
    assert!(
        (estimate.mean - predicted).abs() <= allowed(predicted),
        "tr(HΣ)/d: simulated {} ± {} (dof {}) vs linearised {predicted}: |diff| {} > t·MCSE + budget·T = {} (budget {budget})",
        estimate.mean,
        estimate.standard_error,
        estimate.dof,
        (estimate.mean - predicted).abs(),
        allowed(predicted)
    );
    // Power: the OU prediction with B → 2B is rejected.
    let (wrong, _) = temperature(20);
    assert!(
        (estimate.mean - wrong).abs() > allowed(wrong),
        "B → 2B not rejected: simulated {} vs {wrong}",
        estimate.mean
    );
}

/// Batch-means summary of one chain's series (θ_t − θ̄)ᵀ W (θ_t − θ̄), θ̄ the chain's sample mean
/// (the series whose mean is tr(W Σ̂)).
fn quadratic_form_batch_means(chain: &ChainOutput, weight: &DMatrix<f64>) -> UnivariateBatchMeans {
    assert_eq!(chain.non_finite_draws, 0, "the chain diverged");
    let d = chain.dimension;
    let n = chain.draws.len() / d;
    let mut mean = DVector::zeros(d);
    for row in chain.draws.chunks_exact(d) {
        mean += DVector::from_column_slice(row);
    }
    mean /= n as f64;
    let series: Vec<f64> = chain
        .draws
        .chunks_exact(d)
        .map(|row| {
            let c = DVector::from_column_slice(row) - &mean;
            c.dot(&(weight * &c))
        })
        .collect();
    univariate_batch_means_auto(&series).unwrap()
}
