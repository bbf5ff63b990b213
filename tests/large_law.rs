//! The iterative exact-law solver against the dense one (random problems, ill-conditioned ones,
//! near the mean-square stability limit), and the exact law at d = 1000 with its certificates.

mod common;

use common::*;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use sgbayes::batching::Batching;
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::LinearRegression;
use sgbayes::theory::{self, AffineRandomMap, ExampleMatrices};
use sgbayes::Error;

/// Linear regression with N(0, 1) features scaled by 10^(−spread · j/(d−1)) in coordinate j and
/// prior precision 10^(−prior_decades): the posterior precision λI + XᵀX has condition number up
/// to about N · 10^prior_decades (10⁶ and more at spread 3, prior 10⁻⁵).
fn regression(
    d: usize,
    data_size: usize,
    spread: f64,
    prior_decades: f64,
    seed: u64,
) -> LinearRegression {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let scales: Vec<f64> = (0..d)
        .map(|j| 10f64.powf(-spread * j as f64 / (d.max(2) - 1) as f64))
        .collect();
    let features: Vec<Vec<f64>> = (0..data_size)
        .map(|_| {
            scales
                .iter()
                .map(|s| s * rng.sample::<f64, _>(StandardNormal))
                .collect()
        })
        .collect();
    let targets = (0..data_size)
        .map(|i| features[i].iter().sum::<f64>() * 0.3 + rng.sample::<f64, _>(StandardNormal))
        .collect();
    LinearRegression::new(features, targets, 1.0, 10f64.powf(-prior_decades)).unwrap()
}

fn sampler(choice: usize) -> SamplerKind {
    match choice {
        0 => SamplerKind::Sgld,
        1 => SamplerKind::Sgd,
        2 => SamplerKind::SgdMomentum { damping: 0.3 },
        _ => SamplerKind::Sghmc {
            friction: 0.2,
            noise_estimate: 0.05,
        },
    }
}

/// max|a − b| / max|b|.
fn relative(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).amax() / b.amax().max(f64::MIN_POSITIVE)
}

/// max|μ − μ_dense| relative to max(|μ_dense|, the law's largest standard deviation): relative to
/// |μ| alone it is meaningless when μ is near 0.
fn mean_disagreement(law: &theory::StationaryLaw, dense: &theory::StationaryLaw) -> f64 {
    let scale = dense
        .mean
        .amax()
        .max(dense.covariance.diagonal().amax().sqrt())
        .max(f64::MIN_POSITIVE);
    (&law.mean - &dense.mean).amax() / scale
}

/// Relative residual max|(I − M̄) m − c̄| / max|c̄| of a stationary mean.
fn mean_residual(map: &AffineRandomMap, law: &theory::StationaryLaw) -> f64 {
    let n = law.mean.len();
    let offset = map.mean_offset();
    let residual = (DMatrix::identity(n, n) - &law.mean_matrix) * &law.mean - &offset;
    residual.amax() / offset.amax().max(f64::MIN_POSITIVE)
}

/// The iterative law equals the dense one to `tolerance` relative (means and covariances), with
/// its certificates, or refuses with a typed error: both refuse past the mean-square limit, and
/// the iterative solver may also refuse to certify (too close to the limit, or a residual check
/// it cannot pass) — never a silent early stop or a wrong number. Returns whether it compared.
fn assert_agree(map: &AffineRandomMap, tolerance: f64) -> bool {
    match (map.stationary_law_dense(), map.stationary_law_iterative()) {
        (Ok(dense), Ok((law, certificate))) => {
            let covariance_error = relative(&law.covariance, &dense.covariance);
            let mean_error = mean_disagreement(&law, &dense);
            assert!(
                covariance_error <= tolerance && mean_error <= tolerance,
                "covariance {covariance_error:.2e}, mean {mean_error:.2e}, {certificate:?}"
            );
            assert!(certificate.contraction_factor < 1.0, "{certificate:?}");
            assert!(certificate.stability_margin > 0.0, "{certificate:?}");
            assert!(
                certificate.error_bound <= theory::ITERATION_TOLERANCE,
                "{certificate:?}"
            );
            assert!(certificate.relative_residual <= theory::RESIDUAL_TOLERANCE);
            true
        }
        (Ok(_), Err(error)) => {
            assert!(
                matches!(error, Error::IllConditioned { .. } | Error::Invalid { .. }),
                "the dense solver certified the law, the iterative one failed with: {error}"
            );
            false
        }
        (Err(Error::MeanSquareUnstable { .. } | Error::NotContracting { .. }), iterative) => {
            assert!(
                matches!(
                    iterative,
                    Err(Error::MeanSquareUnstable { .. }
                        | Error::NotContracting { .. }
                        | Error::Invalid { .. })
                ),
                "past the mean-square limit the iterative solver returned {:?}",
                iterative.map(|(_, certificate)| certificate)
            );
            false
        }
        (Err(Error::IllConditioned { .. }), _) => false,
        (Err(other), _) => panic!("dense solver: {other}"),
    }
}

/// Relative agreement of the iterative and dense laws (means and covariances).
const AGREEMENT: f64 = 1e-9;

/// Cases per property: 40, or `PROPTEST_CASES` for an exploration run (with
/// `SGBAYES_SEED_OFFSET=k` for fresh seeds).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha, rng_seed: proptest::test_runner::RngSeed::Fixed(seed_of("large_law")), ..ProptestConfig::default() })]

    /// SGLD, SGD, momentum SGD and SGHMC on linear regressions with posterior condition numbers
    /// up to 10⁶ and beyond, step sizes up to 0.999 of the mean-iteration limit (past the
    /// mean-square limit for small batches), both batching schemes: agreement to 1e-9 relative.
    #[test]
    fn iterative_and_dense_laws_agree(
        d in 1usize..=30,
        data_size in 2usize..80,
        spread in 0.0f64..3.0,
        prior_decades in -1.0f64..5.0,
        choice in 0usize..4,
        fraction in 0.05f64..0.999,
        batch_fraction in 0.0f64..1.0,
        without in proptest::bool::ANY,
        seed in 0u64..1000,
    ) {
        let kind = sampler(choice);
        let d = if sgbayes::theory::momentum_retention(&kind).is_some() { d.div_ceil(2) } else { d };
        let model = regression(d, data_size, spread, prior_decades, seed);
        let batch_size = 1 + (batch_fraction * (data_size - 1) as f64) as usize;
        let batching = if without { Batching::WithoutReplacement } else { Batching::WithReplacement };
        let mut config = SamplerConfig::new(kind, 1.0, batch_size, batching);
        config.step_size = fraction * theory::stability_limit(&config, &model);
        assert_agree(&theory::affine_map(&config, &model).unwrap(), AGREEMENT);
    }

    /// Near the mean-square limit found by bisection with the dense solver (B = 1, where the
    /// minibatch noise sets the limit inside the mean iteration's), on both sides of it:
    /// agreement to 1e-9 with certificates below it, a typed refusal past it.
    #[test]
    fn near_the_mean_square_limit_the_solvers_agree_or_refuse(
        d in 1usize..=10,
        data_size in 2usize..40,
        spread in 0.0f64..3.0,
        prior_decades in -1.0f64..5.0,
        choice in 0usize..4,
        fraction in 0.9f64..1.05,
        seed in 0u64..1000,
    ) {
        let kind = sampler(choice);
        let model = regression(d, data_size, spread, prior_decades, seed);
        let config = SamplerConfig::new(kind, 1.0, 1, Batching::WithReplacement);
        let step_size = fraction * mean_square_limit(&config, &model);
        prop_assume!(step_size < theory::stability_limit(&config, &model));
        let map = theory::affine_map(&SamplerConfig { step_size, ..config }, &model).unwrap();
        assert_agree(&map, AGREEMENT);
    }

    /// Dense per-example matrices (symmetric M_i, so a symmetric mean map) with per-example
    /// offsets and a general noise covariance.
    #[test]
    fn iterative_and_dense_agree_on_dense_per_example_maps(
        n in 1usize..12,
        data_size in 1usize..20,
        spread in 0.0f64..0.4,
        seed in 0u64..1000,
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let common = DMatrix::identity(n, n) * 0.5;
        let matrices: Vec<DMatrix<f64>> = (0..data_size)
            .map(|_| {
                let g = DMatrix::from_fn(n, n, |_, _| rng.gen_range(-1.0..1.0));
                &common + (&g + g.transpose()) * (spread / n as f64)
            })
            .collect();
        let offsets = (0..data_size)
            .map(|_| DVector::from_fn(n, |_, _| rng.gen_range(-1.0..1.0)))
            .collect();
        let noise = random_spd(n, 10.0, &mut rng) * 0.1;
        let map = AffineRandomMap::new(
            ExampleMatrices::PerExample(matrices), offsets, noise, 1, Batching::WithReplacement,
        ).unwrap();
        assert_agree(&map, AGREEMENT);
    }
}

/// The step size at which the dense solver first reports mean-square instability (bisection).
fn mean_square_limit(config: &SamplerConfig, model: &LinearRegression) -> f64 {
    let (mut low, mut high) = (0.0, theory::stability_limit(config, model));
    for _ in 0..40 {
        let middle = 0.5 * (low + high);
        let trial = SamplerConfig {
            step_size: middle,
            ..*config
        };
        match theory::affine_map(&trial, model)
            .unwrap()
            .stationary_law_dense()
        {
            Ok(_) => low = middle,
            Err(_) => high = middle,
        }
    }
    low
}

/// Near the mean-square limit (B = 1, so the minibatch noise sets the limit well inside the mean
/// iteration's): the iterative law matches the dense one at 0.95 and 0.99 of the limit, its
/// contraction estimate approaches 1, and past the limit it reports instability.
#[test]
fn near_the_mean_square_limit_the_solvers_agree_or_both_refuse() {
    for (choice, d, spread) in [(0, 12, 1.0), (1, 20, 0.0), (3, 8, 1.5), (2, 10, 0.5)] {
        let model = regression(d, 40, spread, 1.0, seed_of("near-limit") + choice as u64);
        let config = SamplerConfig::new(sampler(choice), 1.0, 1, Batching::WithReplacement);
        let limit = mean_square_limit(&config, &model);
        let mut previous = 0.0;
        for fraction in [0.5, 0.95, 0.99] {
            let map = theory::affine_map(
                &SamplerConfig {
                    step_size: fraction * limit,
                    ..config
                },
                &model,
            )
            .unwrap();
            assert!(assert_agree(&map, AGREEMENT));
            let (_, certificate) = map.stationary_law_iterative().unwrap();
            assert!(certificate.contraction_factor > previous, "{certificate:?}");
            previous = certificate.contraction_factor;
        }
        let past = SamplerConfig {
            step_size: 1.02 * limit,
            ..config
        };
        if past.step_size < theory::stability_limit(&config, &model) {
            let map = theory::affine_map(&past, &model).unwrap();
            assert!(matches!(
                map.stationary_law_iterative(),
                Err(Error::MeanSquareUnstable { .. })
            ));
        }
    }
}

/// The exact law of SGLD at d = 1000, N = 1000 (B = 32): residual and contraction certificates.
/// About 30–60 s on the 2-core project machine, so not in the default run:
/// `cargo test --release --test large_law -- --ignored --nocapture`.
#[test]
#[ignore = "30-60 s: cargo test --release --test large_law -- --ignored"]
fn sgld_law_at_dimension_1000_is_certified() {
    let model = sgbayes::problem::generate_linear_regression(1000, 1000, 1, 1.0, 1.0).unwrap();
    let config = SamplerConfig::new(SamplerKind::Sgld, 1e-4, 32, Batching::WithReplacement);
    let map = theory::affine_map(&config, &model).unwrap();
    let start = std::time::Instant::now();
    let (law, certificate) = map.stationary_law_iterative().unwrap();
    eprintln!("d = 1000 SGLD: {:?}, {certificate:?}", start.elapsed());
    assert!(certificate.relative_residual <= theory::RESIDUAL_TOLERANCE);
    assert!(certificate.contraction_factor < 1.0 && certificate.error_bound <= 1e-12);
    assert_eq!(law.covariance.nrows(), 1000);
}

/// The exact law of SGHMC at d = 1000 (state 2000), N = 1000 (same command as above).
#[test]
#[ignore = "30-60 s: cargo test --release --test large_law -- --ignored"]
fn sghmc_law_at_dimension_1000_is_certified() {
    let model = sgbayes::problem::generate_linear_regression(1000, 1000, 1, 1.0, 1.0).unwrap();
    let config = SamplerConfig::new(
        SamplerKind::Sghmc {
            friction: 0.1,
            noise_estimate: 0.0,
        },
        2e-6,
        32,
        Batching::WithReplacement,
    );
    let map = theory::affine_map(&config, &model).unwrap();
    let start = std::time::Instant::now();
    let (law, certificate) = map.stationary_law_iterative().unwrap();
    eprintln!("d = 1000 SGHMC: {:?}, {certificate:?}", start.elapsed());
    assert!(certificate.relative_residual <= theory::RESIDUAL_TOLERANCE);
    assert!(certificate.contraction_factor < 1.0 && certificate.error_bound <= 1e-12);
    assert_eq!(law.covariance.nrows(), 2000);
}

/// CPU seconds (user + system, all threads) of this process so far, from /proc/self/stat (Linux;
/// 100 ticks a second), so that timings under load can be compared; 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// One-shot wall times (and CPU times) of the iterative solver at d = 50 … 1000 and of the dense one at d = 50
/// (the scaling table of docs/performance.md):
/// `cargo test --release --test large_law scaling_table -- --ignored --nocapture`.
#[test]
#[ignore = "minutes: prints the scaling table"]
fn scaling_table() {
    let sizes: Vec<usize> = std::env::var("SGBAYES_SCALING_SIZES")
        .ok()
        .map(|s| s.split(',').map(|v| v.parse().unwrap()).collect())
        .unwrap_or_else(|| vec![50, 100, 200, 500, 1000]);
    let configs = [
        SamplerConfig::new(SamplerKind::Sgld, 1e-4, 32, Batching::WithReplacement),
        SamplerConfig::new(
            SamplerKind::Sghmc {
                friction: 0.1,
                noise_estimate: 0.0,
            },
            2e-6,
            32,
            Batching::WithReplacement,
        ),
    ];
    let samplers =
        std::env::var("SGBAYES_SCALING_SAMPLERS").unwrap_or_else(|_| "sgld,sghmc".into());
    for config in configs
        .iter()
        .filter(|config| samplers.split(',').any(|name| name == config.kind.name()))
    {
        for &d in &sizes {
            let model = sgbayes::problem::generate_linear_regression(d, 1000, 1, 1.0, 1.0).unwrap();
            let map = theory::affine_map(config, &model).unwrap();
            let (start, cpu) = (std::time::Instant::now(), cpu_seconds());
            let (_, certificate) = map.stationary_law_iterative().unwrap();
            eprintln!(
                "{} d={d} iterative {:.3} s (CPU {:.2} s) {certificate:?}",
                config.kind.name(),
                start.elapsed().as_secs_f64(),
                cpu_seconds() - cpu
            );
            if d <= 50 && sgbayes::theory::momentum_retention(&config.kind).is_none() {
                let (start, cpu) = (std::time::Instant::now(), cpu_seconds());
                map.stationary_law_dense().unwrap();
                eprintln!(
                    "{} d={d} dense {:.3} s (CPU {:.2} s)",
                    config.kind.name(),
                    start.elapsed().as_secs_f64(),
                    cpu_seconds() - cpu
                );
            }
        }
    }
}

/// Survey of the dense–iterative disagreement over `PROPTEST_CASES` random linear-regression
/// problems (default 300) drawn like `iterative_and_dense_laws_agree`, by posterior condition
/// number: `cargo test --release --test large_law agreement_survey -- --ignored --nocapture`
/// (with `SGBAYES_SEED_OFFSET=k` for other draws).
#[test]
#[ignore = "a minute: prints the largest disagreement per condition-number decade"]
fn agreement_survey() {
    let mut rng = ChaCha20Rng::seed_from_u64(seed_of("agreement-survey"));
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut worst = [0.0f64; 8];
    let mut worst_mean = [0.0f64; 8];
    let mut worst_residual = [(0.0f64, 0.0f64); 8];
    let (mut refused, mut counted) = (0, 0);
    for _ in 0..cases {
        let kind = sampler(rng.gen_range(0..4));
        let d = rng.gen_range(1usize..=30);
        let d = if theory::momentum_retention(&kind).is_some() {
            d.div_ceil(2)
        } else {
            d
        };
        let data_size = rng.gen_range(2usize..80);
        let model = regression(
            d,
            data_size,
            rng.gen_range(0.0..3.0),
            rng.gen_range(-1.0..5.0),
            rng.gen_range(0..1000),
        );
        let batch_size = 1 + (rng.gen_range(0.0..1.0) * (data_size - 1) as f64) as usize;
        let batching = if rng.gen_bool(0.5) {
            Batching::WithoutReplacement
        } else {
            Batching::WithReplacement
        };
        let mut config = SamplerConfig::new(kind, 1.0, batch_size, batching);
        config.step_size = rng.gen_range(0.05..0.999) * theory::stability_limit(&config, &model);
        let eigenvalues = nalgebra::SymmetricEigen::new(
            sgbayes::models::QuadraticModel::posterior_precision(&model),
        )
        .eigenvalues;
        let decade = (eigenvalues.max() / eigenvalues.min())
            .log10()
            .floor()
            .clamp(0.0, 7.0) as usize;
        let map = theory::affine_map(&config, &model).unwrap();
        let (Ok(dense), iterative) = (map.stationary_law_dense(), map.stationary_law_iterative())
        else {
            continue;
        };
        match iterative {
            Ok((law, _)) => {
                counted += 1;
                worst[decade] = worst[decade].max(relative(&law.covariance, &dense.covariance));
                worst_mean[decade] = worst_mean[decade].max(mean_disagreement(&law, &dense));
                let (iterative, dense) = (mean_residual(&map, &law), mean_residual(&map, &dense));
                worst_residual[decade].0 = worst_residual[decade].0.max(iterative);
                worst_residual[decade].1 = worst_residual[decade].1.max(dense);
            }
            Err(error) => {
                refused += 1;
                eprintln!(
                    "refused ({:?}, d = {d}, condition 1e{decade}): {error}",
                    config.kind
                );
            }
        }
    }
    eprintln!("{counted} compared, {refused} refused by the iterative solver");
    for (decade, error) in worst.iter().enumerate() {
        eprintln!(
            "condition 1e{decade}: largest relative disagreement: covariance {error:.2e}, mean {:.2e}; mean residual iterative {:.2e}, dense {:.2e}",
            worst_mean[decade], worst_residual[decade].0, worst_residual[decade].1
        );
    }
}
