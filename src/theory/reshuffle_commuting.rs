//! Exact law of random reshuffling with state-dependent minibatch noise for any N, when B = 1 and
//! the per-example maps commute (d = 1, or features that are pairwise parallel or orthogonal): an
//! O(N³) computation by integrals over uniform arrival times.
//!
//! # Formula (derived here)
//! Each step of an epoch is z' = A_i z + c_i + ξ (ξ ~ N(0, Q) independent) for the example i the
//! epoch's uniform random permutation puts there. The A_i are symmetric and commute, so in a
//! common orthonormal eigenbasis V they are diagonal, A_i = V diag(λ_{i1}, …, λ_{in}) Vᵀ; write
//! c_{ia}, Q_{ab} for the offsets and the noise covariance in that basis and w_j = λ_{ja} λ_{jb}
//! for a coordinate pair (a, b). After the steps of a set U of used examples in a uniform order,
//! started at z₀ (independent of the permutation),
//!
//! z_a = (Π_{j∈U} λ_{ja}) z_{0a} + Σ_{i∈U} (Π_{j∈U after i} λ_{ja}) (c_{ia} + ξ_{ia}),
//!
//! so the factor in front of c_i is a product over the random set of examples after i.
//!
//! **Elementary symmetric form.** The set after i is uniform among the s-subsets of the other
//! N − 1 examples, s uniform in 0..N−1, so E Π_{j after i} λ_{ja} = (1/N) Σ_s e_s(λ_{−i,a}) /
//! C(N − 1, s), e_s the elementary symmetric polynomials. The ratios e_s/C(N − 1, s) are
//! averages of products; they are computed as such through the Beta integral
//! ∫₀¹ xˢ(1 − x)^{N−1−s} dx = 1/(N C(N − 1, s)):
//!
//! E Π_{j after i} λ_{ja} = ∫₀¹ Π_{j≠i} (1 − x + x λ_{ja}) dx.
//!
//! **Arrival times.** This is the case K = 1 of a representation used for every term: give each
//! example an independent uniform arrival time τ_j in (0, 1); their order is a uniform
//! permutation, and the first k steps of an epoch are the examples with τ_j < κ given that k
//! arrivals precede the cut κ. For a cut κ uniform in (0, 1) the number of used examples is
//! uniform on 0..N, so averaging over κ gives the mixture of the phases 0..N with equal weights
//! (phase N, a full epoch, has the epoch-end law, like phase 0). Given the arrival times of one or
//! two marked examples, the other examples fall independently before, between or after them, and
//! every expectation becomes an integral of a product of N − 1 or N − 2 affine factors:
//!
//! * mean: E z_a(κ) = m_{0a} Π_j (1 − κ + κλ_{ja}) + ∫₀^κ Σ_i c_{ia} Π_{j≠i} (1 − x + xλ_{ja}) dx
//!   (x = κ − τ_i, the time from i to the cut);
//! * raw second moment: E z_a z_b(κ) is the sum of
//!   - S_{0ab} Π_j (1 − κ + κ w_j);
//!   - m_{0a} ∫₀^κ Σ_i c_{ib} λ_{ia} Π_{j≠i} (1 − κ + (κ − x)λ_{ja} + x w_j) dx, and (a ↔ b);
//!   - ∫₀^κ Σ_i (c_{ia} c_{ib} + Q_{ab}) Π_{j≠i} (1 − x + x w_j) dx;
//!   - ∫∫_{0<y<x<κ} Σ_{i≠i'} c_{ia} c_{i'b} λ_{i'a} Π_{j∉{i,i'}} (1 − x + (x − y)λ_{ja} + y w_j)
//!     dy dx, and (a ↔ b): i precedes i' (x, y their times to the cut), examples before i
//!     carry weight 1, between i and i' λ_{ja}, after i' w_j, and i' itself λ_{i'a}.
//!
//!   The noise of a step is attached to that step's example, so it enters like an offset with
//!   only the i = i' term.
//!
//! **Epoch ends (κ = 1).** With P_a = Π_j λ_{ja}, the epoch map is deterministic in its linear
//! part, so the fixed point is m*_a = I_a/(1 − P_a) and
//! S*_ab = (P_a m*_a (1 − P_b) m*_b + P_b m*_b (1 − P_a) m*_a + R_{ab})/(1 − P_a P_b), with I_a and
//! R_{ab} the offset integrals above at κ = 1; it exists iff max_a |P_a| < 1.
//! **Every step.** Averaging the κ-moments (started from m*, S*) over κ ∈ (0, 1) gives the equal
//! mixture of phases 0..N; the integrals over κ of ∫₀^κ and ∫∫_{y<x<κ} put the weight (1 − x) on
//! the inner integrals, and the κ-averaged cross term is an integral over 0 < x < κ < 1. The
//! every-step law (phases 0..N−1) is ((N + 1)·average − epoch-end law)/N, for the mean and the raw
//! second moment.
//!
//! **Computation.** Every integrand is a polynomial of degree at most N in each variable after
//! the collapsed map of the triangle (y = xη, Jacobian x), so Gauss–Legendre quadrature with
//! ⌊N/2⌋ + 2 nodes per variable is exact up to round-off. At a node, sums over one or two left-out
//! examples, Σ_i α_i Π_{j≠i} f_j and Σ_{i≠i'} α_i β_{i'} Π_{j∉{i,i'}} f_j, are accumulated in one
//! pass over j without division. The factors are convex combinations of 1, λ and λλ', so no
//! binomial coefficients or large elementary symmetric polynomials appear. Cost O(n² N³/4) for
//! the pair terms (n the state dimension); the work is spread over threads with a fixed-order sum
//! (same bits at any thread count). For accuracy the law is computed about the epoch-end mean
//! (offsets c_i + (A_i − I)m*, found first from the mean integrals).
//!
//! **Commutation.** The maps are taken to commute when every A_i is symmetric and diagonal in the
//! eigenbasis of a generic combination Σ_i r_i A_i, both to relative [`COMMUTATION_TOLERANCE`].

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::affine_map::AffineRandomMap;
use super::draw_at::DrawAt;
use super::gaussian::symmetrize;
use super::reshuffle_enumeration::example_matrix;
use crate::error::{Error, Result};

/// Relative tolerance for the symmetry and the common diagonal form of the per-example maps.
pub const COMMUTATION_TOLERANCE: f64 = 1e-12;

/// Largest n²·q²·N (state dimension n, q quadrature nodes per variable, N examples) computed:
/// N = 1000 at n = 2 costs 1.0·10⁹ (2–10 s on two busy cores); the limit allows N ≈ 2000 at
/// n = 1 and N ≈ 1260 at n = 2.
const MAX_WORK: f64 = 2e9;

/// Gauss–Legendre nodes and weights on [0, 1] (Newton's method on the three-term recurrence).
fn gauss_legendre(count: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; count];
    let mut weights = vec![0.0; count];
    let n = count as f64;
    for k in 0..count.div_ceil(2) {
        let mut t = (std::f64::consts::PI * (k as f64 + 0.75) / (n + 0.5)).cos();
        let mut derivative = 0.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, t);
            for j in 2..=count {
                let j = j as f64;
                let p2 = ((2.0 * j - 1.0) * t * p1 - (j - 1.0) * p0) / j;
                p0 = p1;
                p1 = p2;
            }
            derivative = n * (t * p1 - p0) / (t * t - 1.0);
            let step = p1 / derivative;
            t -= step;
            if step.abs() < 1e-15 {
                break;
            }
        }
        let weight = 1.0 / ((1.0 - t * t) * derivative * derivative);
        nodes[k] = (1.0 - t) / 2.0;
        nodes[count - 1 - k] = (1.0 + t) / 2.0;
        weights[k] = weight;
        weights[count - 1 - k] = weight;
    }
    (nodes, weights)
}

/// The per-example maps in a common orthonormal eigenbasis: the basis V and, per coordinate a,
/// the eigenvalues λ_{ja} of every example j. `Err` says why there is none.
fn common_eigenbasis(
    matrices: &[DMatrix<f64>],
) -> std::result::Result<(DMatrix<f64>, Vec<Vec<f64>>), String> {
    let n = matrices[0].nrows();
    let mut combination = DMatrix::zeros(n, n);
    for (i, a) in matrices.iter().enumerate() {
        let scale = a.amax().max(f64::MIN_POSITIVE);
        if (a - a.transpose()).amax() > COMMUTATION_TOLERANCE * scale {
            return Err(format!("the map of example {i} is not symmetric"));
        }
        // Weights in [1, 2) from the golden-ratio sequence: generic, deterministic.
        let r = 1.0 + (i as f64 * 0.618_033_988_749_895).fract();
        combination += a * r;
    }
    let shift = combination.trace() / n as f64;
    combination -= DMatrix::identity(n, n) * shift;
    let basis = symmetrize(&combination).symmetric_eigen().eigenvectors;
    let mut values = vec![Vec::with_capacity(matrices.len()); n];
    for (i, a) in matrices.iter().enumerate() {
        let diagonal = basis.transpose() * a * &basis;
        let scale = a.amax().max(f64::MIN_POSITIVE);
        for r in 0..n {
            for c in 0..n {
                if r != c && diagonal[(r, c)].abs() > COMMUTATION_TOLERANCE * scale {
                    return Err(format!(
                        "the maps do not commute (example {i} is off-diagonal by {:.1e} of its size in the common eigenbasis)",
                        diagonal[(r, c)].abs() / scale
                    ));
                }
            }
            values[r].push(diagonal[(r, r)]);
        }
    }
    Ok((basis, values))
}

/// The pieces in eigen-coordinates: λ_{ja} and c_{ja} by coordinate, and Q.
struct Coordinates {
    eigenvalues: Vec<Vec<f64>>,
    offsets: Vec<Vec<f64>>,
    noise: DMatrix<f64>,
}

/// Mean and raw second moment, at epoch ends and averaged over the phases 0..N.
struct Moments {
    end_mean: DVector<f64>,
    end_second: DMatrix<f64>,
    average_mean: DVector<f64>,
    average_second: DMatrix<f64>,
}

/// Σ_i α_i Π_{j≠i} f_j (and Π_j f_j) in one pass.
fn leave_one_out(items: impl Iterator<Item = (f64, f64)>) -> (f64, f64) {
    items.fold((1.0, 0.0), |(product, sum), (f, alpha)| {
        (product * f, sum * f + alpha * product)
    })
}

impl Coordinates {
    fn data_size(&self) -> usize {
        self.offsets[0].len()
    }

    /// The law (module formula) from the one- and two-dimensional integrals.
    fn moments(&self) -> Result<Moments> {
        let n = self.eigenvalues.len();
        let data_size = self.data_size();
        let q = data_size / 2 + 2;
        let (nodes, weights) = gauss_legendre(q);
        let [end_offset_mean, average_offset_mean, average_product_mean] =
            self.mean_integrals(&nodes, &weights);
        // One-dimensional integrals per coordinate pair: the diagonal (i = i') term.
        let mut end_diagonal = DMatrix::<f64>::zeros(n, n);
        let mut average_diagonal = DMatrix::<f64>::zeros(n, n);
        let mut average_product_second = DMatrix::<f64>::zeros(n, n);
        for (&x, &w) in nodes.iter().zip(&weights) {
            for a in 0..n {
                for b in a..n {
                    let (product, sum) = leave_one_out((0..data_size).map(|j| {
                        let wj = self.eigenvalues[a][j] * self.eigenvalues[b][j];
                        (
                            1.0 - x + x * wj,
                            self.offsets[a][j] * self.offsets[b][j] + self.noise[(a, b)],
                        )
                    }));
                    end_diagonal[(a, b)] += w * sum;
                    average_diagonal[(a, b)] += w * (1.0 - x) * sum;
                    average_product_second[(a, b)] += w * product;
                }
            }
        }
        // Two-dimensional integrals on the triangle 0 < s < t < 1 (s = tη): per ordered pair,
        // the pair term (weights 1 and 1 − t) and the κ-averaged cross term.
        let per_node: Vec<[DMatrix<f64>; 3]> = nodes
            .par_iter()
            .zip(weights.par_iter())
            .map(|(&t, &wt)| {
                let mut pair_end = DMatrix::zeros(n, n);
                let mut pair_average = DMatrix::zeros(n, n);
                let mut cross_average = DMatrix::zeros(n, n);
                for (&eta, &we) in nodes.iter().zip(&weights) {
                    let s = t * eta;
                    let weight = wt * we * t;
                    for a in 0..n {
                        for b in 0..n {
                            let (la, lb) = (&self.eigenvalues[a], &self.eigenvalues[b]);
                            let (ca, cb) = (&self.offsets[a], &self.offsets[b]);
                            let (mut product, mut sum_a, mut sum_b, mut sum_ab) =
                                (1.0, 0.0, 0.0, 0.0);
                            for j in 0..data_size {
                                let f = 1.0 - t + (t - s) * la[j] + s * la[j] * lb[j];
                                let (alpha, beta) = (ca[j], cb[j] * la[j]);
                                sum_ab = sum_ab * f + sum_a * beta + sum_b * alpha;
                                sum_a = sum_a * f + alpha * product;
                                sum_b = sum_b * f + beta * product;
                                product *= f;
                            }
                            pair_end[(a, b)] += weight * sum_ab;
                            pair_average[(a, b)] += weight * (1.0 - t) * sum_ab;
                            cross_average[(a, b)] += weight * sum_b;
                        }
                    }
                }
                [pair_end, pair_average, cross_average]
            })
            .collect();
        let mut pair_end = DMatrix::zeros(n, n);
        let mut pair_average = DMatrix::zeros(n, n);
        let mut cross_average = DMatrix::zeros(n, n);
        for [e, a, c] in &per_node {
            pair_end += e;
            pair_average += a;
            cross_average += c;
        }
        // Epoch-end fixed point.
        let epoch_factor = self.epoch_factors()?;
        let p = DVector::from_vec(epoch_factor);
        let end_mean = end_offset_mean.component_div(&p.map(|x| 1.0 - x));
        let m = &end_mean;
        let end_second = DMatrix::from_fn(n, n, |a, b| {
            let diagonal = end_diagonal[(a.min(b), a.max(b))];
            (p[a] * m[a] * (1.0 - p[b]) * m[b]
                + p[b] * m[b] * (1.0 - p[a]) * m[a]
                + diagonal
                + pair_end[(a, b)]
                + pair_end[(b, a)])
                / (1.0 - p[a] * p[b])
        });
        let average_mean = DVector::from_fn(n, |a, _| {
            m[a] * average_product_mean[a] + average_offset_mean[a]
        });
        let average_second = DMatrix::from_fn(n, n, |a, b| {
            let (lo, hi) = (a.min(b), a.max(b));
            end_second[(a, b)] * average_product_second[(lo, hi)]
                + m[a] * cross_average[(a, b)]
                + m[b] * cross_average[(b, a)]
                + average_diagonal[(lo, hi)]
                + pair_average[(a, b)]
                + pair_average[(b, a)]
        });
        Ok(Moments {
            end_mean,
            end_second,
            average_mean,
            average_second,
        })
    }
}

/// Exact reshuffled law (B = 1, commuting symmetric per-example maps) at epoch ends or every
/// step, for any N (module formula). [`Error::NoClosedForm`] when B > 1, when the maps are not
/// symmetric or do not commute (to relative [`COMMUTATION_TOLERANCE`]) or beyond the work limit;
/// [`Error::NotContracting`] when the epoch map does not contract (`spectral_radius` is then that
/// of the epoch's linear part Π_i A_i).
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::batching::Batching;
/// use sgbayes::theory::{commuting_reshuffled_law, AffineRandomMap, DrawAt, ExampleMatrices};
/// // Two scalar examples z' = a_i z + c_i; an epoch applies them in a uniform random order.
/// let (a, c) = ([0.5, 0.8], [1.0, -1.0]);
/// let map = AffineRandomMap::new(
///     ExampleMatrices::PerExample(a.iter().map(|&x| DMatrix::from_element(1, 1, x)).collect()),
///     c.iter().map(|&x| DVector::from_element(1, x)).collect(),
///     DMatrix::zeros(1, 1), 1, Batching::WithoutReplacement).unwrap();
/// let (mean, _) = commuting_reshuffled_law(&map, DrawAt::EpochEnd).unwrap();
/// // Epoch offset: order (0, 1) gives a₁c₀ + c₁, order (1, 0) gives a₀c₁ + c₀.
/// let offset = 0.5 * ((a[1] * c[0] + c[1]) + (a[0] * c[1] + c[0]));
/// assert!((mean[0] - offset / (1.0 - a[0] * a[1])).abs() < 1e-14);
/// ```
pub fn commuting_reshuffled_law(
    map: &AffineRandomMap,
    draw_at: DrawAt,
) -> Result<(DVector<f64>, DMatrix<f64>)> {
    let no_closed_form = |why: String| {
        Error::NoClosedForm {
        what: format!(
            "the exact method for any N needs batch size 1 and symmetric per-example maps that commute (d = 1, or features pairwise parallel or orthogonal): {why}"
        ),
    }
    };
    let data_size = map.data_size();
    let n = map.state_dimension();
    if map.batch_size() != 1 {
        return Err(no_closed_form(format!(
            "here the batch size is {}",
            map.batch_size()
        )));
    }
    let nodes = (data_size / 2 + 2) as f64;
    let work = (n * n) as f64 * nodes * nodes * data_size as f64;
    if work > MAX_WORK {
        return Err(no_closed_form(format!(
            "the quadrature would cost {work:.1e} > {MAX_WORK:.0e} operations (N = {data_size}, state dimension {n})"
        )));
    }
    let matrices: Vec<DMatrix<f64>> = (0..data_size)
        .map(|i| example_matrix(map.example_matrices(), i))
        .collect();
    let (basis, eigenvalues) = common_eigenbasis(&matrices).map_err(no_closed_form)?;
    let rotated: Vec<DVector<f64>> = map
        .example_offsets()
        .iter()
        .map(|c| basis.transpose() * c)
        .collect();
    let noise = basis.transpose() * map.noise_covariance() * &basis;
    let coordinates = |center: &DVector<f64>| Coordinates {
        eigenvalues: eigenvalues.clone(),
        // Offsets about `center`: c_i + (A_i − I) center.
        offsets: (0..n)
            .map(|a| {
                (0..data_size)
                    .map(|j| rotated[j][a] + (eigenvalues[a][j] - 1.0) * center[a])
                    .collect()
            })
            .collect(),
        noise: noise.clone(),
    };
    // First pass: the epoch-end mean (the mean integrals only need the zero centre).
    let center = coordinates(&DVector::zeros(n)).end_mean()?;
    let moments = coordinates(&center).moments()?;
    let (mean, second) = match draw_at {
        DrawAt::EpochEnd => (moments.end_mean, moments.end_second),
        DrawAt::EveryStep => {
            let (total, count) = ((data_size + 1) as f64, data_size as f64);
            (
                (moments.average_mean * total - moments.end_mean) / count,
                (moments.average_second * total - moments.end_second) / count,
            )
        }
    };
    let covariance = &second - &mean * mean.transpose();
    let values = covariance.iter().chain(mean.iter()).all(|v| v.is_finite());
    if !values {
        return Err(no_closed_form(
            "the quadrature overflowed (per-example maps far from contracting)".into(),
        ));
    }
    Ok((
        &basis * (mean + center),
        symmetrize(&(&basis * covariance * basis.transpose())),
    ))
}

impl Coordinates {
    /// P_a = Π_j λ_{ja}, the epoch's linear part; [`Error::NotContracting`] unless all |P_a| < 1.
    fn epoch_factors(&self) -> Result<Vec<f64>> {
        let factors: Vec<f64> = self
            .eigenvalues
            .iter()
            .map(|l| l.iter().product())
            .collect();
        let spectral_radius = factors.iter().fold(0.0f64, |m, p| m.max(p.abs()));
        if !(spectral_radius < 1.0) {
            return Err(Error::NotContracting { spectral_radius });
        }
        Ok(factors)
    }

    /// Per coordinate: the offset integral at epoch ends, the same averaged over the cut, and
    /// the cut-averaged epoch factor.
    fn mean_integrals(&self, nodes: &[f64], weights: &[f64]) -> [DVector<f64>; 3] {
        let n = self.eigenvalues.len();
        let mut out = [DVector::zeros(n), DVector::zeros(n), DVector::zeros(n)];
        for (&x, &w) in nodes.iter().zip(weights) {
            for (a, (eigenvalues, offsets)) in
                self.eigenvalues.iter().zip(&self.offsets).enumerate()
            {
                let (product, sum) = leave_one_out(
                    eigenvalues
                        .iter()
                        .zip(offsets)
                        .map(|(&l, &c)| (1.0 - x + x * l, c)),
                );
                out[0][a] += w * sum;
                out[1][a] += w * (1.0 - x) * sum;
                out[2][a] += w * product;
            }
        }
        out
    }

    /// The epoch-end mean alone (one-dimensional integrals).
    fn end_mean(&self) -> Result<DVector<f64>> {
        let (nodes, weights) = gauss_legendre(self.data_size() / 2 + 2);
        let p = DVector::from_vec(self.epoch_factors()?);
        let [end_offset_mean, _, _] = self.mean_integrals(&nodes, &weights);
        Ok(end_offset_mean.component_div(&p.map(|x| 1.0 - x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_is_exact_to_degree_2q_minus_1() {
        for q in [1, 2, 5, 40, 502] {
            let (x, w) = gauss_legendre(q);
            for k in [0, 1, q, 2 * q - 1] {
                let integral: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(k as i32)).sum();
                assert!(
                    (integral * (k + 1) as f64 - 1.0).abs() < 1e-12,
                    "q = {q}, k = {k}: {integral}"
                );
            }
        }
    }
}
