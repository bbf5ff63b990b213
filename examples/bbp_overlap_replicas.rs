//! Squared singular-vector overlaps and outlier location of X + θ u vᵀ (X n × m with i.i.d.
//! N(0, 1/m) entries, c = n/m = 1/4, θ = 2.5) over many replicas, against the rectangular BBP
//! formulas (Benaych-Georges & Nadakuditi 2012): the finite-size bias of the overlaps at n = 100
//! and 200 resolved by the Monte Carlo error.
//!
//! ```sh
//! cargo run --release --example bbp_overlap_replicas [replicas]
//! ```
//!
//! With 400 replicas (about 5 minutes on 2 cores): at n = 100 the location and both overlaps are
//! within 0.7 SE of the limits; at n = 200 the left overlap² is 0.955752 ± 0.000219 (+1.7 SE) and
//! the right 0.857472 ± 0.000367 (+2.5 SE) against 0.955385 and 0.856552. The per-replica standard
//! deviation of the left overlap² at n = 200 is 0.0044, so 6 replicas give an SE near 0.0018.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use sgbayes::theory::bbp::BulkNoise;

/// Top singular value and squared left/right overlaps of one replica.
fn replica(rows: usize, cols: usize, strength: f64, seed: u64) -> (f64, f64, f64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut unit = |len: usize| {
        DVector::<f64>::from_fn(len, |_, _| rng.sample::<f64, _>(StandardNormal)).normalize()
    };
    let (u, v) = (unit(rows), unit(cols));
    let scale = 1.0 / (cols as f64).sqrt();
    let mut y = DMatrix::from_fn(rows, cols, |_, _| {
        scale * rng.sample::<f64, _>(StandardNormal)
    });
    y += &u * v.transpose() * strength;
    let svd = y.svd(true, true);
    let k = svd.singular_values.imax();
    match (svd.u, svd.v_t) {
        (Some(a), Some(b)) => (
            svd.singular_values[k],
            a.column(k).dot(&u).powi(2),
            b.row(k).transpose().dot(&v).powi(2),
        ),
        _ => (f64::NAN, f64::NAN, f64::NAN),
    }
}

fn mean_se(values: &[f64]) -> (f64, f64) {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0);
    (mean, (var / k).sqrt())
}

fn main() -> sgbayes::Result<()> {
    let replicas: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(400);
    let theta = 2.5;
    println!("| n | replicas | quantity | BBP limit | simulation ± SE | (sim − limit)/SE | per-replica sd |");
    println!("|---|---|---|---|---|---|---|");
    for rows in [100usize, 200] {
        let cols = 4 * rows;
        let limit = BulkNoise::new(rows, cols, 1.0 / cols as f64)?.outlier(theta)?;
        let samples: Vec<(f64, f64, f64)> = (0..replicas)
            .into_par_iter()
            .map(|r| replica(rows, cols, theta, 1_000_003 * rows as u64 + r))
            .collect();
        for (name, pick, value) in [
            ("outlier location", 0, limit.singular_value),
            ("left overlap² (short side)", 1, limit.left_overlap),
            ("right overlap² (long side)", 2, limit.right_overlap),
        ] {
            let xs: Vec<f64> = samples.iter().map(|s| [s.0, s.1, s.2][pick]).collect();
            let (mean, se) = mean_se(&xs);
            println!(
                "| {rows} | {replicas} | {name} | {value:.6} | {mean:.6} ± {se:.6} | {:.2} | {:.5} |",
                (mean - value) / se,
                se * (replicas as f64).sqrt()
            );
        }
    }
    Ok(())
}
