//! Criterion benchmarks: sampler step throughput and the exact-law solver.
//!
//! `cargo bench --bench step` (results in target/criterion). Throughput is reported in steps per
//! second (one element = one sampler step with B = 32 per-example gradients).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sgbayes::batching::Batching;
use sgbayes::chain::{run_chains, Chain, Draws, RunLength};
use sgbayes::config::{Anchor, Preconditioner, SamplerConfig, SamplerId, SamplerKind, SghmcOrder};
use sgbayes::problem::generate_linear_regression;
use sgbayes::theory;

fn sgld_steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("sgld_step_linear_regression_N1000_B32");
    let steps = 10_000;
    group.throughput(Throughput::Elements(steps as u64));
    for d in [2usize, 10, 100] {
        let model = generate_linear_regression(d, 1000, 1, 1.0, 1.0).unwrap();
        let config = SamplerConfig {
            kind: SamplerKind::Sgld,
            step_size: 1e-4,
            batch_size: 32,
            batching: Batching::WithReplacement,
        };
        group.bench_with_input(BenchmarkId::from_parameter(d), &d, |bench, &d| {
            let mut chain = Chain::new(&model, &config, &vec![0.0; d], 7).unwrap();
            bench.iter(|| {
                chain.set_draws(Draws::States);
                chain.record(
                    &RunLength {
                        steps,
                        burn_in: 0,
                        thin: steps,
                    },
                    &mut (),
                )
            });
        });
    }
    group.finish();
}

/// Every sampler's step at d = 10 (N = 1000, B = 32): steps per second, one chain.
fn every_sampler(c: &mut Criterion) {
    let mut group = c.benchmark_group("every_sampler_step_linear_regression_d10_N1000_B32");
    let steps = 10_000;
    let d = 10;
    group.throughput(Throughput::Elements(steps as u64));
    let model = generate_linear_regression(d, 1000, 1, 1.0, 1.0).unwrap();
    let identity: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect();
    let matrix = Preconditioner::from_rows(&identity).unwrap();
    // Every sampler of the crate's list (exhaustive: a new sampler does not compile here until it
    // has a configuration).
    let kinds = SamplerId::ALL.iter().map(|id| match id {
        SamplerId::Sgld => SamplerKind::Sgld,
        SamplerId::Sgd => SamplerKind::Sgd,
        SamplerId::SgdMomentum => SamplerKind::SgdMomentum { damping: 0.3 },
        SamplerId::Sghmc => SamplerKind::Sghmc {
            friction: 0.3,
            noise_estimate: 0.0,
        },
        SamplerId::SgdPreconditioned => SamplerKind::SgdPreconditioned {
            preconditioner: matrix,
        },
        SamplerId::Psgld => SamplerKind::Psgld {
            preconditioner: matrix,
        },
        SamplerId::PsgldRmsprop => SamplerKind::PsgldRmsprop {
            decay: 0.99,
            regularizer: 1e-5,
        },
        SamplerId::Ngd => SamplerKind::Ngd,
        SamplerId::StochasticNgd => SamplerKind::StochasticNgd { temperature: 1.0 },
        SamplerId::Asgs => SamplerKind::Asgs { window: 10 },
        SamplerId::Sgfs => SamplerKind::Sgfs {
            fisher: matrix,
            scale: 1.0,
        },
        SamplerId::SgfsOnline => SamplerKind::SgfsOnline { scale: 1.0 },
        SamplerId::SgldCv => SamplerKind::SgldCv {
            anchor: Anchor::from_point(&vec![0.0; d]).unwrap(),
            temperature: 1.0,
        },
        SamplerId::SvrgLd => SamplerKind::SvrgLd {
            epoch_length: 100,
            temperature: 1.0,
        },
        SamplerId::Baoab => SamplerKind::Baoab {
            friction: 1.0,
            temperature: 1.0,
        },
        SamplerId::Sgnht => SamplerKind::Sgnht {
            friction: 1.0,
            order: SghmcOrder::VelocityFirst,
        },
    });
    for kind in kinds {
        let config = SamplerConfig::new(kind, 1e-6, 32, Batching::WithReplacement);
        group.bench_function(kind.name(), |bench| {
            let mut chain = Chain::new(&model, &config, &vec![0.0; d], 7).unwrap();
            bench.iter(|| {
                chain.set_draws(Draws::States);
                chain.record(
                    &RunLength {
                        steps,
                        burn_in: 0,
                        thin: steps,
                    },
                    &mut (),
                )
            });
        });
    }
    group.finish();
}

/// K = 8 independent SGLD chains advanced together ([`run_chains`]) on 1 and 2 threads: total
/// steps per second (bit-identical outputs at both thread counts: tests/parallel.rs).
fn parallel_chains(c: &mut Criterion) {
    let mut group = c.benchmark_group("parallel_sgld_chains_K8_d10_N1000_B32");
    group.sample_size(10);
    let (chains, steps, d) = (8usize, 20_000usize, 10usize);
    group.throughput(Throughput::Elements((chains * steps) as u64));
    let model = generate_linear_regression(d, 1000, 1, 1.0, 1.0).unwrap();
    let config = SamplerConfig::new(SamplerKind::Sgld, 1e-4, 32, Batching::WithReplacement);
    let seeds: Vec<u64> = (0..chains as u64).collect();
    let length = RunLength {
        burn_in: 0,
        steps,
        thin: steps,
    };
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_with_input(
            BenchmarkId::new("threads", threads),
            &threads,
            |bench, _| {
                bench.iter(|| {
                    pool.install(|| {
                        run_chains(&model, &config, &vec![0.0; d], &seeds, &length).unwrap()
                    })
                });
            },
        );
    }
    group.finish();
}

fn exact_law(c: &mut Criterion) {
    let mut group = c.benchmark_group("exact_stationary_law_linear_regression_N1000");
    group.sample_size(10);
    for d in [2usize, 5, 10, 20] {
        let model = generate_linear_regression(d, 1000, 1, 1.0, 1.0).unwrap();
        let config = SamplerConfig {
            kind: SamplerKind::Sgld,
            step_size: 1e-4,
            batch_size: 32,
            batching: Batching::WithReplacement,
        };
        group.bench_with_input(BenchmarkId::from_parameter(d), &d, |bench, _| {
            bench.iter(|| {
                theory::affine_map(&config, &model)
                    .unwrap()
                    .stationary_law()
                    .unwrap()
            });
        });
    }
    group.finish();
}

/// The statistical checks on 10⁶ draws of an AR(1) chain (φ = 0.9, τ = 19): the effective sample
/// size of one coordinate (Geyer's initial-sequence estimator, O(n log n) autocorrelations), and the
/// full moment test of `sgbayes check` on 10⁶ draws in d = 2 and d = 10 (whitening, the d + d(d+1)/2
/// + 1 functionals, batch means).
fn statistical_checks(c: &mut Criterion) {
    use nalgebra::{DMatrix, DVector};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::StandardNormal;
    use sgbayes::stats::{effective_sample_size, gaussian_moment_test};

    let n = 1_000_000;
    let ar1 = |d: usize| -> Vec<f64> {
        let (phi, mut rng) = (0.9_f64, ChaCha8Rng::seed_from_u64(11));
        let mut x = vec![0.0; d];
        let mut draws = Vec::with_capacity(n * d);
        for _ in 0..n {
            for xi in x.iter_mut() {
                let e: f64 = rng.sample(StandardNormal);
                *xi = phi * *xi + (1.0 - phi * phi).sqrt() * e;
            }
            draws.extend_from_slice(&x);
        }
        draws
    };
    let mut group = c.benchmark_group("statistical_checks_1e6_draws");
    group.sample_size(10);
    let series = ar1(1);
    group.bench_function("ess_one_coordinate", |bench| {
        bench.iter(|| effective_sample_size(&series).unwrap())
    });
    for d in [2usize, 10] {
        let draws = ar1(d);
        let (mean, covariance) = (DVector::zeros(d), DMatrix::identity(d, d));
        group.bench_with_input(BenchmarkId::new("moment_test", d), &d, |bench, _| {
            bench.iter(|| gaussian_moment_test(&draws, &mean, &covariance, 1e-6).unwrap())
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    sgld_steps,
    every_sampler,
    parallel_chains,
    exact_law,
    statistical_checks
);
criterion_main!(benches);
