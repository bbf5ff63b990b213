//! The step kernel of the linear models: dot products and the least-squares gradient summed over a
//! minibatch, allocation-free, compiled for several instruction sets and, for small widths, with
//! the width known at compile time — every variant giving the same bits.
//!
//! Why the bits agree: the kernel uses only IEEE-754 multiplications and additions in an order
//! fixed by the source (eight dot-product lanes, a fixed reduction tree, then a per-coordinate
//! running sum over the batch). Rust never fuses a multiply and an add on its own, and vector
//! instructions apply the same scalar operation lane by lane, so neither the instruction set nor
//! constant-width unrolling can change a result. tests/determinism.rs pins the bits of every path.

/// x·y with eight independent accumulators, so that the compiler can vectorise the reduction
/// (a single running sum is a serial dependency chain under IEEE semantics).
///
/// # Formula
/// lanes_k = Σ_{c} x_{8c+k} y_{8c+k} (k < 8, over whole chunks of eight), tail = Σ over the last
/// n mod 8 entries, x·y = ((l₀+l₄)+(l₁+l₅)) + ((l₂+l₆)+(l₃+l₇)) + tail.
/// Below eight entries every lane is +0.0 and the lane sum is exactly +0.0, so the result is
/// `tail + 0.0` (which also turns a −0.0 tail into +0.0, as the full expression does): the
/// short path gives the same bits without the seven additions of zeros. Slices of unequal length
/// are read up to the shorter one.
#[inline(always)]
pub(crate) fn dot(x: &[f64], y: &[f64]) -> f64 {
    let [value] = dots([x], y);
    value
}

/// [`dot`] of several rows with the same y in one pass: the same lanes, reduction tree and tail for
/// each row (so the same bits as R calls of [`dot`]), but R independent dependency chains in
/// flight, which hides the addition latency that dominates one dot product of moderate length.
#[inline(always)]
fn dots<const R: usize>(rows: [&[f64]; R], y: &[f64]) -> [f64; R] {
    debug_assert!(rows.iter().all(|x| x.len() == y.len()));
    let n = rows.iter().fold(y.len(), |n, x| n.min(x.len()));
    let rows = rows.map(|x| &x[..n]);
    let y = &y[..n];
    let mut tails = [0.0f64; R];
    let whole = n - n % 8;
    if n < 8 {
        for (tail, x) in tails.iter_mut().zip(rows) {
            for (a, b) in x.iter().zip(y) {
                *tail += a * b;
            }
            *tail += 0.0;
        }
        return tails;
    }
    let mut lanes = [[0.0f64; 8]; R];
    let mut row_chunks = rows.map(|x| x[..whole].chunks_exact(8));
    for ys in y[..whole].chunks_exact(8) {
        for (lane, chunks) in lanes.iter_mut().zip(row_chunks.iter_mut()) {
            // Every row has `whole` entries, so each yields a chunk with y.
            if let Some(xs) = chunks.next() {
                for k in 0..8 {
                    lane[k] += xs[k] * ys[k];
                }
            }
        }
    }
    for ((tail, x), lane) in tails.iter_mut().zip(rows).zip(&lanes) {
        for (a, b) in x[whole..].iter().zip(&y[whole..]) {
            *tail += a * b;
        }
        // lane sum + tail (IEEE addition is commutative, so `+=` gives the same bits).
        *tail += ((lane[0] + lane[4]) + (lane[1] + lane[5]))
            + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
    }
    tails
}

/// out += scale · Σ_{i∈batch} x_i (x_i·θ − y_i)/σ², example by example in batch order, for
/// row-major `features` of the given width d (the least-squares per-example gradient of Bayesian
/// linear regression, summed over a minibatch).
///
/// Compiled for the baseline x86-64 and again with AVX2 (chosen at run time by `multiversion`),
/// and inside each with the width a compile-time constant for d ≤ 16 (loop overhead dominates a
/// step at small d). All variants give the same bits (see the module documentation). `theta` and
/// `out` shorter or longer than d are read up to the shorter length, as a zip would.
#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets("x86_64+avx2"))]
pub(crate) fn add_rows_gradient(
    features: &[f64],
    targets: &[f64],
    width: usize,
    noise_variance: f64,
    batch: &[usize],
    theta: &[f64],
    scale: f64,
    out: &mut [f64],
) {
    macro_rules! constant_widths {
        ($($w:literal)*) => {
            match width {
                $($w if theta.len() == $w && out.len() == $w => rows_gradient(
                    features, targets, $w, noise_variance, batch, theta, scale, out,
                ),)*
                _ => rows_gradient(
                    features, targets, width, noise_variance, batch, theta, scale, out,
                ),
            }
        };
    }
    constant_widths!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

/// The body of [`add_rows_gradient`], inlined into each of its variants.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn rows_gradient(
    features: &[f64],
    targets: &[f64],
    width: usize,
    noise_variance: f64,
    batch: &[usize],
    theta: &[f64],
    scale: f64,
    out: &mut [f64],
) {
    // Two examples at a time: their dot products run side by side, then the update adds example
    // i's term before example j's, exactly as two single steps would.
    let mut pairs = batch.chunks_exact(2);
    for pair in &mut pairs {
        let (i, j) = (pair[0], pair[1]);
        let (x, z) = (
            &features[i * width..][..width],
            &features[j * width..][..width],
        );
        let [x_theta, z_theta] = dots([x, z], theta);
        let factor_i = scale * (x_theta - targets[i]) / noise_variance;
        let factor_j = scale * (z_theta - targets[j]) / noise_variance;
        for ((o, xk), zk) in out.iter_mut().zip(x).zip(z) {
            *o = (*o + factor_i * xk) + factor_j * zk;
        }
    }
    for &i in pairs.remainder() {
        let x = &features[i * width..][..width];
        let factor = scale * (dot(x, theta) - targets[i]) / noise_variance;
        for (o, xk) in out.iter_mut().zip(x) {
            *o += factor * xk;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The plain per-example loop the kernel replaced: one [`dot`], then a running sum per
    /// coordinate.
    fn one_example_at_a_time(
        features: &[f64],
        targets: &[f64],
        width: usize,
        batch: &[usize],
        theta: &[f64],
        out: &mut [f64],
    ) {
        for &i in batch {
            let x = &features[i * width..(i + 1) * width];
            let factor = 0.7 * (dot(x, theta) - targets[i]) / 1.3;
            for (o, xk) in out.iter_mut().zip(x) {
                *o += factor * xk;
            }
        }
    }

    /// Every variant — the run-time-dispatched one (AVX2 on a machine that has it), the body
    /// compiled for the baseline target (this test function has no target features), and the
    /// per-example loop — gives the same bits, for widths around every special case (constant
    /// widths ≤ 16, chunks of eight with and without a tail) and odd and even batches.
    #[test]
    fn every_variant_gives_the_same_bits() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for width in 1..=41 {
            for batch_size in 1..=7 {
                let n = 9;
                let features: Vec<f64> = (0..n * width).map(|_| rng.gen_range(-2.0..2.0)).collect();
                let targets: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
                let theta: Vec<f64> = (0..width).map(|_| rng.gen_range(-1.0..1.0)).collect();
                let batch: Vec<usize> = (0..batch_size).map(|_| rng.gen_range(0..n)).collect();
                let start: Vec<f64> = (0..width).map(|_| rng.gen_range(-1.0..1.0)).collect();
                let run = |variant: usize| {
                    let mut out = start.clone();
                    match variant {
                        0 => add_rows_gradient(
                            &features, &targets, width, 1.3, &batch, &theta, 0.7, &mut out,
                        ),
                        1 => rows_gradient(
                            &features, &targets, width, 1.3, &batch, &theta, 0.7, &mut out,
                        ),
                        _ => one_example_at_a_time(
                            &features, &targets, width, &batch, &theta, &mut out,
                        ),
                    }
                    out.iter().map(|v| v.to_bits()).collect::<Vec<u64>>()
                };
                let reference = run(2);
                assert_eq!(
                    run(0),
                    reference,
                    "dispatched, width {width}, batch {batch_size}"
                );
                assert_eq!(
                    run(1),
                    reference,
                    "baseline, width {width}, batch {batch_size}"
                );
            }
        }
    }
}
