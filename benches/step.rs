//! Criterion benchmarks: sampler step throughput and the exact-law solver.
//!
//! `cargo bench --bench step` (results in target/criterion). Throughput is reported in steps per
//! second (one element = one sampler step with B = 32 per-example gradients).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, ChainSettings};
use sgbayes::config::{SamplerConfig, SamplerKind};
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
                chain.run(
                    &ChainSettings {
                        steps,
                        burn_in: 0,
                        thin: steps,
                        seed: 7,
                    },
                    |_| {},
                )
            });
        });
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

criterion_group!(benches, sgld_steps, exact_law);
criterion_main!(benches);
