//! Criterion benchmarks of the exact stationary-law solvers at growing dimension.
//!
//! `cargo bench --bench theory` (results in target/criterion). SGLD and SGHMC on Bayesian linear
//! regression with N = 1000, B = 32: the iterative solver at d = 50 … 1000 (state 2d for SGHMC)
//! and the dense vech solver at d = 50 for the ratio. Criterion's smallest sample (10 samples of
//! one iteration each, no warm-up beyond one call) still costs ten solves: at d = 1000 several
//! CPU minutes on a 2-core machine, so `cargo bench --bench theory -- '/(50|100|200)$'` runs the
//! small sizes only, and the d = 500 and 1000 points come from one-shot runs
//! (`cargo test --release --test large_law scaling_table -- --ignored --nocapture`).

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use sgbayes::batching::Batching;
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::problem::generate_linear_regression;
use sgbayes::theory;

/// SGLD at ε = 1e-4 (contraction of the splitting 0.83 at d = 1000) and SGHMC with friction 0.1
/// at η = 2e-6 (contraction 0.31 at d = 1000).
fn configurations() -> [(&'static str, SamplerConfig); 2] {
    [
        (
            "sgld",
            SamplerConfig::new(SamplerKind::Sgld, 1e-4, 32, Batching::WithReplacement),
        ),
        (
            "sghmc",
            SamplerConfig::new(
                SamplerKind::Sghmc {
                    friction: 0.1,
                    noise_estimate: 0.0,
                },
                2e-6,
                32,
                Batching::WithReplacement,
            ),
        ),
    ]
}

fn exact_law(c: &mut Criterion) {
    let mut group = c.benchmark_group("exact_law_linear_regression_N1000_B32");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_millis(1));
    for (name, config) in configurations() {
        for d in [50usize, 100, 200, 500, 1000] {
            let model = generate_linear_regression(d, 1000, 1, 1.0, 1.0).unwrap();
            let map = theory::affine_map(&config, &model).unwrap();
            group.bench_with_input(
                BenchmarkId::new(format!("iterative/{name}"), d),
                &map,
                |bench, map| bench.iter(|| map.stationary_law_iterative().unwrap()),
            );
        }
    }
    let model = generate_linear_regression(50, 1000, 1, 1.0, 1.0).unwrap();
    let (_, sgld) = &configurations()[0];
    let map = theory::affine_map(sgld, &model).unwrap();
    group.bench_function(BenchmarkId::new("dense/sgld", 50), |bench| {
        bench.iter(|| map.stationary_law_dense().unwrap())
    });
    group.finish();
}

criterion_group!(benches, exact_law);
criterion_main!(benches);
