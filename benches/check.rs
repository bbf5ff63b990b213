//! Criterion benchmark of `check` (one pass over the draws) at d = 10 and d = 100.
//!
//! `cargo bench --bench check` (results in target/criterion). The draws are a stationary Gaussian
//! AR(1) chain `x' = 0.5 x + sqrt(0.75) e` per coordinate, checked against its exact law
//! (`ExactLaw::affine`): 10⁶ draws at d = 10, 2.5·10⁵ at d = 100 (2·10⁸ bytes; the 10⁶-draw
//! figure at d = 100 is measured with the command line, which streams the file — see
//! docs/performance.md).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use sgbayes::check::{check_draws, ChainDraws, CheckOptions, ExactLaw};

fn ar1_draws(d: usize, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    let mut draws = Vec::with_capacity(n * d);
    for _ in 0..n {
        for xi in x.iter_mut() {
            let e: f64 = rng.sample(StandardNormal);
            *xi = 0.5 * *xi + 0.75_f64.sqrt() * e;
        }
        draws.extend_from_slice(&x);
    }
    draws
}

fn check(c: &mut Criterion) {
    let mut group = c.benchmark_group("check_ar1");
    group.sample_size(10);
    for (d, n) in [(10, 1_000_000), (100, 250_000)] {
        let draws = ar1_draws(d, n, 1);
        let law = ExactLaw::affine(
            DVector::zeros(d),
            &(DMatrix::identity(d, d) * 0.5),
            &DMatrix::identity(d, d),
            true,
        )
        .expect("a contracting AR(1) law");
        let view = ChainDraws::single(&draws, d).expect("whole draws");
        let options = CheckOptions::default();
        group.bench_with_input(BenchmarkId::new(format!("d{d}"), n), &view, |b, view| {
            b.iter(|| check_draws(view, &law, &options).expect("a report"))
        });
    }
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
