//! Per-step limit of SGLD on linear regression (N = 1000, B = 32), measured on this machine:
//! - the throughput of a register-resident multiply-add loop (the machine's usable peak flops for
//!   the instruction set this build targets),
//! - the cost of one standard normal and of one batch index from ChaCha8 with rand_distr's
//!   StandardNormal and `gen_range(0..N as u32)`, exactly what sgbayes's chain draws,
//! - a tight fused reference SGLD step (B indices, B per-example gradients, d normals, update; no
//!   dyn dispatch, no driver) and its gradient part alone.
//! Prints one JSON document. Timings are thread CPU time, best of 5 repetitions.
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;

/// CPU time of this thread in seconds (not wall time: on a shared, loaded machine the time
/// slices given to other processes do not count).
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Best of 5 repetitions, in thread CPU seconds.
fn secs<F: FnMut()>(mut f: F) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = thread_cpu_seconds();
        f();
        best = best.min(thread_cpu_seconds() - t);
    }
    best
}

#[inline(always)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, ra) = a.split_at(a.len() / 8 * 8);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(8).zip(cb.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = acc.iter().sum::<f64>();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

fn peak_flops() -> f64 {
    // 32 independent multiply-add chains, kept in registers.
    let a = black_box(0.999_999_9f64);
    let b = black_box(1e-9f64);
    let iters = 20_000_000usize;
    let mut acc = [0.0f64; 32];
    let t = secs(|| {
        let mut x = black_box([1.0f64; 32]);
        for _ in 0..iters {
            for v in x.iter_mut() {
                *v = *v * a + b;
            }
        }
        acc = black_box(x);
    });
    black_box(acc);
    (iters * 32 * 2) as f64 / t
}

fn main() {
    let peak = peak_flops();
    println!("{{\"peak_flops_per_s\": {peak:.4e},");
    let n_normals = 20_000_000usize;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut buf = vec![0.0f64; 1000];
    let t = secs(|| {
        for _ in 0..n_normals / 1000 {
            for z in buf.iter_mut() {
                *z = rng.sample(StandardNormal);
            }
            black_box(&buf);
        }
    });
    let ns_normal = t / n_normals as f64 * 1e9;
    let mut ibuf = vec![0u32; 1000];
    let t = secs(|| {
        for _ in 0..n_normals / 1000 {
            for z in ibuf.iter_mut() {
                *z = rng.gen_range(0..1000u32);
            }
            black_box(&ibuf);
        }
    });
    let ns_index = t / n_normals as f64 * 1e9;
    println!(" \"ns_per_normal\": {ns_normal:.3}, \"ns_per_index\": {ns_index:.3},");
    println!(" \"dims\": [");
    let (n, b, eps) = (1000usize, 32usize, 1e-4f64);
    for (k, &d) in [2usize, 10, 100].iter().enumerate() {
        let mut g = ChaCha8Rng::seed_from_u64(2);
        let x: Vec<f64> = (0..n * d).map(|_| g.sample(StandardNormal)).collect();
        let y: Vec<f64> = (0..n).map(|_| g.sample(StandardNormal)).collect();
        let batches: Vec<usize> = (0..4096 * b).map(|_| g.gen_range(0..n)).collect();
        let mut theta = vec![0.0f64; d];
        let mut grad = vec![0.0f64; d];
        let mut noise = vec![0.0f64; d];
        let scale = n as f64 / b as f64;
        let steps = (40_000_000 / (d * b)).max(100_000);
        // gradient kernel only (pre-drawn indices, no RNG)
        let tg = secs(|| {
            for s in 0..steps {
                let bi = &batches[(s % 4096) * b..(s % 4096 + 1) * b];
                for (gj, tj) in grad.iter_mut().zip(&theta) {
                    *gj = *tj; // prior precision 1
                }
                for &i in bi {
                    let row = &x[i * d..(i + 1) * d];
                    let r = scale * (dot(row, &theta) - y[i]);
                    for (gj, xj) in grad.iter_mut().zip(row) {
                        *gj += r * xj;
                    }
                }
                for (tj, gj) in theta.iter_mut().zip(&grad) {
                    *tj -= 0.5 * eps * gj;
                }
                black_box(&theta);
            }
        }) / steps as f64;
        theta.iter_mut().for_each(|t| *t = 0.0);
        // the full fused step: B indices + gradient + d normals + update
        let mut irng = ChaCha8Rng::seed_from_u64(3);
        let mut nrng = ChaCha8Rng::seed_from_u64(4);
        let mut bi = vec![0usize; b];
        let sq = eps.sqrt();
        let tf = secs(|| {
            for _ in 0..steps {
                for s in bi.iter_mut() {
                    *s = irng.gen_range(0..n as u32) as usize;
                }
                for z in noise.iter_mut() {
                    *z = nrng.sample(StandardNormal);
                }
                for (gj, tj) in grad.iter_mut().zip(&theta) {
                    *gj = *tj;
                }
                for &i in &bi {
                    let row = &x[i * d..(i + 1) * d];
                    let r = scale * (dot(row, &theta) - y[i]);
                    for (gj, xj) in grad.iter_mut().zip(row) {
                        *gj += r * xj;
                    }
                }
                for ((tj, gj), z) in theta.iter_mut().zip(&grad).zip(&noise) {
                    *tj += -0.5 * eps * gj + sq * z;
                }
                black_box(&theta);
            }
        }) / steps as f64;
        let sep = if k == 2 { "" } else { "," };
        println!(
            "  {{\"d\": {d}, \"flops\": {}, \"ns_gradient_kernel\": {:.1}, \"ns_fused_step\": {:.1}, \"fused_steps_per_s\": {:.0}}}{sep}",
            4 * d * b, tg * 1e9, tf * 1e9, 1.0 / tf
        );
    }
    println!(" ]}}");
}
