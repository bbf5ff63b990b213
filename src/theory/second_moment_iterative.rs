//! The generalised Stein equation Σ = M̄ Σ M̄ᵀ + w Σ_i D_i Σ D_iᵀ + Q at large state dimension:
//! a splitting iteration preconditioned by the exact inverse of the mean map's Stein operator.
//!
//! The dense solver (`lyapunov.rs`) assembles the n(n+1)/2 × n(n+1)/2 operator and costs O(n⁶);
//! this one stores a few n×n matrices and the per-example factors, and costs O(n³) once plus
//! O(N n² + N² n) per sweep for rank-one per-example Hessians. The derivation is in
//! `docs/exact-discrete-law.md` (§ "Large state dimension").
//!
//! # Formula
//! * **Block-diagonal basis.** An orthogonal V with M̄ = V B Vᵀ, B block diagonal with 1×1 or 2×2
//!   blocks: for a symmetric M̄, its eigenvectors (B = diag λ_j); for the momentum form
//!   M̄ = [[A, αI], [A + γI, δI]] with A symmetric (or the momentum OU drift [[βI, αI], [A, δI]]),
//!   V = diag(U, U) with A = U diag(a) Uᵀ, and one 2×2 block per eigenvalue of A on the
//!   coordinates (j, d + j) (each eigenvector of A spans an invariant (θ, v) plane).
//! * **Stein inverse.** In that basis S(Y) = Y − B Y Bᵀ decouples into the block pairs (a, b):
//!   (I − B_b ⊗ B_a) vec Y_ab = vec R_ab, systems of size ≤ 4 (Bartels–Stewart with a
//!   block-diagonal Schur form), O(n²) per solve.
//! * **Minibatch part.** For M_i = A + u_i w_iᵀ, D_i = u_i w_iᵀ − R/N with R = Σ_i u_i w_iᵀ, so
//!   Σ_i D_i Y D_iᵀ = U (diag G − G/N) Uᵀ with G = Wᵀ Y W (U, W the n×N factor matrices): four
//!   matrix products, O(N n² + N² n). Rows of W that vanish and rows of U that repeat (both happen
//!   for the momentum samplers: w_i = (x_i, 0), u_i = (a_i, a_i)) are dropped before the products.
//! * **Splitting.** With L = S⁻¹ ∘ wP (P the minibatch part), Σ = Σ_{k≥0} Δ_k, Δ_0 = S⁻¹(Q),
//!   Δ_{k+1} = L(Δ_k). S⁻¹ = Σ_j M̄ʲ(·)M̄ʲᵀ and P are positive maps, so this is a regular splitting
//!   of I − T and converges iff ρ(L) < 1 iff ρ(T) < 1 (mean-square stability).
//! * **Certificates.** The sweeps are a power iteration of L: r_k = ‖Δ_k‖_F/‖Δ_{k−1}‖_F → ρ(L) from
//!   a positive definite start (the Perron eigenvector of L's adjoint is PSD and non-zero, so a PD
//!   start has a component along L's Perron eigenvector). Once the last three ratios agree, their
//!   largest is the estimate r, and the series is stopped when r/(1 − r) ‖Δ_k‖_F ≤ tol ‖Σ_k‖_F. If
//!   Δ_0 is not positive definite, a second series from S⁻¹(I) (the dense solver's certificate
//!   equation X = T(X) + I) supplies r. Ratios that settle at ≥ 1 with the terms grown 10³-fold,
//!   or terms grown 10¹²-fold, are mean-square instability; no certification within the sweep
//!   budget is an error, never an early stop.
//! * **Acceleration.** When the ratios settle at r_c < 1 the term is nearly an eigenvector and the
//!   rest of the series about r_c/(1 − r_c) times it: the iterate jumps by that much (Aitken along
//!   the dominant mode) and stays a fixed-point iterate, so the tail bound still holds.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use crate::error::{Error, Result};

/// Relative tolerance on the error bound r/(1 − r) ‖Δ_k‖_F / ‖Σ_k‖_F of the splitting series.
pub const ITERATION_TOLERANCE: f64 = 1e-13;

/// Most sweeps of the splitting iteration before it reports that it did not converge.
pub const MAX_SWEEPS: usize = 50_000;

/// Ratios ‖Δ_k‖/‖Δ_{k−1}‖ of the last sweeps that the contraction estimate takes the maximum of.
const RATIO_WINDOW: usize = 3;

/// A series that grows by this factor over its first term diverges.
const DIVERGENCE_FACTOR: f64 = 1e12;

/// A series whose ratios settle at ≥ 1 diverges once it has grown by this factor.
const GROWTH_FACTOR: f64 = 1e3;

/// One diagonal block of the mean map in the block-diagonal basis: coordinates and entries.
#[derive(Debug, Clone)]
struct Block {
    /// Basis coordinates of the block (only the first `size` are used).
    indices: [usize; 2],
    /// 1 or 2.
    size: usize,
    /// Row-major entries (only the leading `size`×`size` part is used).
    entries: [[f64; 2]; 2],
}

/// An orthogonal basis V = I_copies ⊗ U in which the mean map is block diagonal.
#[derive(Debug, Clone)]
pub(crate) struct BlockDiagonalBasis {
    /// U (d×d, orthogonal).
    eigenvectors: DMatrix<f64>,
    /// Number of diagonal copies of U in V (1: symmetric map, 2: momentum form).
    copies: usize,
    blocks: Vec<Block>,
}

/// Relative asymmetry or mismatch tolerated when recognising a structure of M̄.
const STRUCTURE_TOLERANCE: f64 = 1e-12;

impl BlockDiagonalBasis {
    /// The basis of a symmetric mean map or of one of the momentum form; `None` otherwise.
    pub(crate) fn new(mean_matrix: &DMatrix<f64>) -> Option<Self> {
        let n = mean_matrix.nrows();
        let scale = mean_matrix.amax().max(f64::MIN_POSITIVE);
        let symmetric =
            |a: &DMatrix<f64>| (a - a.transpose()).amax() <= STRUCTURE_TOLERANCE * scale;
        if symmetric(mean_matrix) {
            let eigen = SymmetricEigen::new((mean_matrix + mean_matrix.transpose()) * 0.5);
            let blocks = eigen
                .eigenvalues
                .iter()
                .enumerate()
                .map(|(j, &value)| Block {
                    indices: [j, j],
                    size: 1,
                    entries: [[value, 0.0], [0.0, 0.0]],
                })
                .collect();
            return Some(Self {
                eigenvectors: eigen.eigenvectors,
                copies: 1,
                blocks,
            });
        }
        if !n.is_multiple_of(2) {
            return None;
        }
        let d = n / 2;
        let top_left = mean_matrix.view((0, 0), (d, d)).into_owned();
        let top_right = mean_matrix.view((0, d), (d, d));
        let bottom_left = mean_matrix.view((d, 0), (d, d));
        let bottom_right = mean_matrix.view((d, d), (d, d));
        let identity = DMatrix::<f64>::identity(d, d);
        let (alpha, delta) = (top_right[(0, 0)], bottom_right[(0, 0)]);
        let close = |a: DMatrix<f64>| a.amax() <= STRUCTURE_TOLERANCE * scale;
        if !(close(top_right - &identity * alpha) && close(bottom_right - &identity * delta)) {
            return None;
        }
        // Either A21 = A11 + γI (the sampler's mean map: diagonalise A11) or A11 = βI (the
        // momentum OU drift: diagonalise A21).
        let gamma = bottom_left[(0, 0)] - top_left[(0, 0)];
        let beta = top_left[(0, 0)];
        let mean_form = symmetric(&top_left) && close(bottom_left - &top_left - &identity * gamma);
        let drift_form = !mean_form
            && close(&top_left - &identity * beta)
            && symmetric(&bottom_left.into_owned());
        if !(mean_form || drift_form) {
            return None;
        }
        let diagonalised = if mean_form {
            top_left
        } else {
            bottom_left.into_owned()
        };
        let entries = |a: f64| {
            if mean_form {
                [[a, alpha], [a + gamma, delta]]
            } else {
                [[beta, alpha], [a, delta]]
            }
        };
        let eigen = SymmetricEigen::new((&diagonalised + diagonalised.transpose()) * 0.5);
        let blocks = eigen
            .eigenvalues
            .iter()
            .enumerate()
            .map(|(j, &a)| Block {
                indices: [j, d + j],
                size: 2,
                entries: entries(a),
            })
            .collect();
        Some(Self {
            eigenvectors: eigen.eigenvectors,
            copies: 2,
            blocks,
        })
    }

    /// State dimension n.
    fn dimension(&self) -> usize {
        self.eigenvectors.nrows() * self.copies
    }

    /// Spectral radius of B (= ρ(M̄) up to rounding): the moduli of the blocks' eigenvalues.
    pub(crate) fn spectral_radius(&self) -> f64 {
        self.blocks
            .iter()
            .map(|b| {
                if b.size == 1 {
                    return b.entries[0][0].abs();
                }
                let [[p, q], [r, s]] = b.entries;
                let (half_trace, det) = (0.5 * (p + s), p * s - q * r);
                let discriminant = half_trace * half_trace - det;
                if discriminant >= 0.0 {
                    half_trace.abs() + discriminant.sqrt()
                } else {
                    det.abs().sqrt()
                }
            })
            .fold(0.0, f64::max)
    }

    /// Vᵀ X V.
    pub(crate) fn rotate_matrix_in(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        self.congruence(x, true)
    }

    /// V Y Vᵀ.
    pub(crate) fn rotate_matrix_out(&self, y: &DMatrix<f64>) -> DMatrix<f64> {
        self.congruence(y, false)
    }

    fn congruence(&self, x: &DMatrix<f64>, inward: bool) -> DMatrix<f64> {
        let d = self.eigenvectors.nrows();
        let u = &self.eigenvectors;
        let mut out = DMatrix::zeros(x.nrows(), x.ncols());
        for a in 0..self.copies {
            for b in 0..self.copies {
                let block = x.view((a * d, b * d), (d, d));
                let rotated = if inward {
                    u.tr_mul(&(block * u))
                } else {
                    u * (block * u.transpose())
                };
                out.view_mut((a * d, b * d), (d, d)).copy_from(&rotated);
            }
        }
        out
    }

    /// Vᵀ F for a matrix F of column vectors.
    pub(crate) fn rotate_vectors_in(&self, f: &DMatrix<f64>) -> DMatrix<f64> {
        let d = self.eigenvectors.nrows();
        let mut out = DMatrix::zeros(f.nrows(), f.ncols());
        for a in 0..self.copies {
            let rows = f.rows(a * d, d);
            out.rows_mut(a * d, d)
                .copy_from(&self.eigenvectors.tr_mul(&rows));
        }
        out
    }

    /// V y.
    pub(crate) fn rotate_vector_out(&self, y: &DVector<f64>) -> DVector<f64> {
        let d = self.eigenvectors.nrows();
        let mut out = DVector::zeros(y.len());
        for a in 0..self.copies {
            out.rows_mut(a * d, d)
                .copy_from(&(&self.eigenvectors * y.rows(a * d, d)));
        }
        out
    }

    /// Solves (I − B) y = r in the basis (the stationary-mean equation); `None` if singular.
    pub(crate) fn solve_mean(&self, r: &DVector<f64>) -> Option<DVector<f64>> {
        let mut y = DVector::zeros(r.len());
        for block in &self.blocks {
            let k = block.size;
            let mut system = [0.0; 16];
            let mut rhs = [0.0; 4];
            for p in 0..k {
                for q in 0..k {
                    system[p * k + q] = f64::from(p == q) - block.entries[p][q];
                }
                rhs[p] = r[block.indices[p]];
            }
            solve_small(&mut system[..k * k], &mut rhs[..k], k)?;
            for p in 0..k {
                y[block.indices[p]] = rhs[p];
            }
        }
        Some(y)
    }

    /// Solves Y − B Y Bᵀ = R (symmetric R) block pair by block pair; `None` if singular.
    pub(crate) fn solve_stein(&self, r: &DMatrix<f64>) -> Option<DMatrix<f64>> {
        if self.copies == 1 {
            // All blocks scalar: Y_jk = R_jk / (1 − λ_j λ_k).
            let n = self.dimension();
            let mut y = DMatrix::zeros(n, n);
            for (k, bk) in self.blocks.iter().enumerate() {
                let lk = bk.entries[0][0];
                for (j, bj) in self.blocks.iter().enumerate() {
                    let denominator = 1.0 - bj.entries[0][0] * lk;
                    if denominator == 0.0 {
                        return None;
                    }
                    y[(j, k)] = r[(j, k)] / denominator;
                }
            }
            return Some(y);
        }
        // Y ↦ B_a Y B_bᵀ maps entry (s, t) of Y_ab to (p, q) with weight B_a[p][s] B_b[q][t].
        self.solve_block_pairs(r, |a, b, p, s, q, t| {
            f64::from(p == s && q == t) - a[p][s] * b[q][t]
        })
    }

    /// Solves B Y + Y Bᵀ = R (symmetric R), the continuous Lyapunov equation with drift B, block
    /// pair by block pair; `None` if singular.
    pub(crate) fn solve_continuous_lyapunov(&self, r: &DMatrix<f64>) -> Option<DMatrix<f64>> {
        self.solve_block_pairs(r, |a, b, p, s, q, t| {
            f64::from(q == t) * a[p][s] + f64::from(p == s) * b[q][t]
        })
    }

    /// Solves 𝓛(Y) = R for a linear map 𝓛 that acts on each block Y_ab separately, with
    /// coefficient `coefficient(B_a, B_b, p, s, q, t)` of Y_ab[s][t] in 𝓛(Y)_ab[p][q].
    fn solve_block_pairs(
        &self,
        r: &DMatrix<f64>,
        coefficient: impl Fn(&[[f64; 2]; 2], &[[f64; 2]; 2], usize, usize, usize, usize) -> f64,
    ) -> Option<DMatrix<f64>> {
        let n = self.dimension();
        let mut y = DMatrix::zeros(n, n);
        for (a, ba) in self.blocks.iter().enumerate() {
            for bb in &self.blocks[a..] {
                let (ka, kb) = (ba.size, bb.size);
                let k = ka * kb;
                // vec (column-major) of Y_ab: index p + ka·q for entry (p, q).
                let mut system = [0.0; 16];
                let mut rhs = [0.0; 4];
                for q in 0..kb {
                    for p in 0..ka {
                        let row = p + ka * q;
                        rhs[row] = r[(ba.indices[p], bb.indices[q])];
                        for t in 0..kb {
                            for s in 0..ka {
                                system[row * k + s + ka * t] =
                                    coefficient(&ba.entries, &bb.entries, p, s, q, t);
                            }
                        }
                    }
                }
                solve_small(&mut system[..k * k], &mut rhs[..k], k)?;
                for q in 0..kb {
                    for p in 0..ka {
                        let value = rhs[p + ka * q];
                        y[(ba.indices[p], bb.indices[q])] = value;
                        y[(bb.indices[q], ba.indices[p])] = value;
                    }
                }
            }
        }
        Some(y)
    }
}

/// Gaussian elimination with partial pivoting on a k×k row-major system (k ≤ 4), in place;
/// `None` when a pivot vanishes.
fn solve_small(a: &mut [f64], b: &mut [f64], k: usize) -> Option<()> {
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&i, &j| a[i * k + col].abs().total_cmp(&a[j * k + col].abs()))
            .expect("non-empty range");
        if a[pivot * k + col] == 0.0 || !a[pivot * k + col].is_finite() {
            return None;
        }
        if pivot != col {
            for c in 0..k {
                a.swap(pivot * k + c, col * k + c);
            }
            b.swap(pivot, col);
        }
        for row in col + 1..k {
            let factor = a[row * k + col] / a[col * k + col];
            for c in col..k {
                a[row * k + c] -= factor * a[col * k + c];
            }
            b[row] -= factor * b[col];
        }
    }
    for row in (0..k).rev() {
        let mut value = b[row];
        for c in row + 1..k {
            value -= a[row * k + c] * b[c];
        }
        b[row] = value / a[row * k + row];
    }
    Some(())
}

/// The minibatch part P(Y) = Σ_i D_i Y D_iᵀ of the second-moment operator.
#[derive(Debug, Clone)]
pub(crate) enum MinibatchPart {
    /// State-independent noise: every D_i = 0.
    Zero,
    /// The deviations D_i as dense matrices.
    Dense(Vec<DMatrix<f64>>),
    /// D_i = u_i w_iᵀ − (1/N) Σ_j u_j w_jᵀ, from the factor matrices, compressed.
    RankOne(RankOneDeviations),
}

impl MinibatchPart {
    /// Σ_i D_i Y D_iᵀ.
    pub(crate) fn apply(&self, y: &DMatrix<f64>) -> DMatrix<f64> {
        match self {
            MinibatchPart::Zero => DMatrix::zeros(y.nrows(), y.ncols()),
            MinibatchPart::Dense(list) => {
                let mut sum = DMatrix::zeros(y.nrows(), y.ncols());
                for d in list {
                    sum += d * y * d.transpose();
                }
                sum
            }
            MinibatchPart::RankOne(deviations) => deviations.apply(y),
        }
    }
}

/// Σ_i D_i Y D_iᵀ = U (diag G − G/N) Uᵀ, G = Wᵀ Y W, with the vanishing rows of W and the
/// repeated rows of U removed.
#[derive(Debug, Clone)]
pub(crate) struct RankOneDeviations {
    /// Rows of W that are not identically zero.
    right_rows: Vec<usize>,
    /// W restricted to those rows (columns w_i).
    right: DMatrix<f64>,
    /// For each state coordinate p, the index of its row among the distinct rows of U.
    left_rows: Vec<usize>,
    /// The distinct rows of U (columns u_i).
    left: DMatrix<f64>,
    /// Their transposes (matrix products with a transposed operand are slow in nalgebra).
    right_transposed: DMatrix<f64>,
    left_transposed: DMatrix<f64>,
}

impl RankOneDeviations {
    /// From the n×N factor matrices U = [u_1 … u_N] and W = [w_1 … w_N].
    pub(crate) fn new(left: &DMatrix<f64>, right: &DMatrix<f64>) -> Self {
        let right_rows: Vec<usize> = (0..right.nrows())
            .filter(|&p| right.row(p).iter().any(|&v| v != 0.0))
            .collect();
        let right = right.select_rows(&right_rows);
        let mut distinct: HashMap<Vec<u64>, usize> = HashMap::new();
        let mut kept = Vec::new();
        let left_rows = (0..left.nrows())
            .map(|p| {
                let key: Vec<u64> = left.row(p).iter().map(|v| v.to_bits()).collect();
                let next = distinct.len();
                *distinct.entry(key).or_insert_with(|| {
                    kept.push(p);
                    next
                })
            })
            .collect();
        let left = left.select_rows(&kept);
        Self {
            right_transposed: right.transpose(),
            left_transposed: left.transpose(),
            right_rows,
            right,
            left_rows,
            left,
        }
    }

    fn apply(&self, y: &DMatrix<f64>) -> DMatrix<f64> {
        let data_size = self.right.ncols() as f64;
        let y_restricted = y
            .select_rows(&self.right_rows)
            .select_columns(&self.right_rows);
        let gram = &self.right_transposed * (y_restricted * &self.right);
        let mut weights = gram * (-1.0 / data_size);
        for i in 0..weights.nrows() {
            weights[(i, i)] *= 1.0 - data_size;
        }
        let compact = &self.left * (weights * &self.left_transposed);
        let n = self.left_rows.len();
        DMatrix::from_fn(n, n, |p, q| compact[(self.left_rows[p], self.left_rows[q])])
    }
}

/// How the splitting iteration ended: the certificate values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterativeCertificate {
    /// Sweeps of the splitting series for Σ (applications of the minibatch part).
    pub sweeps: usize,
    /// Sweeps of the separate certificate series X = T(X) + I (0 when Δ_0 = S⁻¹(Q) was positive
    /// definite and the series for Σ was its own power iteration).
    pub certificate_sweeps: usize,
    /// The estimate r of ρ(L), L = S⁻¹ ∘ wP: the splitting's contraction factor; ρ(T) < 1 iff
    /// r < 1.
    pub contraction_factor: f64,
    /// Relative error bound r/(1 − r) ‖Δ_k‖_F / ‖Σ‖_F at the last sweep.
    pub error_bound: f64,
    /// The final relative residual max|Σ − T(Σ) − Q| / max(|Σ|, |Q|), in the original coordinates.
    pub relative_residual: f64,
}

/// One series Σ_k L^k(Δ_0) being summed, with Aitken-type jumps along its dominant mode.
struct Series {
    sum: DMatrix<f64>,
    term: DMatrix<f64>,
    first_norm: f64,
    last_norm: f64,
    /// Ratios ‖Δ_k‖/‖Δ_{k−1}‖ since the start or the last jump.
    ratios: Vec<f64>,
    /// Largest settled ratio seen: the estimate of ρ(L) (0 before the ratios first settle).
    rate: f64,
    /// Whether the ratios have settled below 1 at least once (or the terms vanished).
    rate_known: bool,
    /// Extrapolation jumps made.
    jumps: usize,
    sweeps: usize,
}

impl Series {
    fn new(first: DMatrix<f64>) -> Self {
        let norm = first.norm();
        Self {
            sum: first.clone(),
            term: first,
            first_norm: norm,
            last_norm: norm,
            ratios: Vec::new(),
            rate: 0.0,
            rate_known: false,
            jumps: 0,
            sweeps: 0,
        }
    }

    /// Adds the next term L(Δ_k). Once the ratios have settled at r < 1 the term is nearly an
    /// eigenvector (first the dominant one), L(Δ_k) ≈ r Δ_k, and the rest of the series is about
    /// r/(1 − r) Δ_k:
    /// with `extrapolate`, that tail c Δ_k (c = r/(1 − r)) is added at once and the term
    /// becomes the fixed-point correction at the new iterate, F(Y + cΔ_k) − (Y + cΔ_k) =
    /// (1 + c) L(Δ_k) − c Δ_k (no extra sweep). The sum stays a fixed-point iterate, so the
    /// error bound r/(1 − r) ‖Δ‖ keeps holding.
    fn push(&mut self, next: DMatrix<f64>, extrapolate: bool) {
        let norm = next.norm();
        self.ratios.push(if self.last_norm > 0.0 {
            norm / self.last_norm
        } else {
            0.0
        });
        self.sweeps += 1;
        if norm == 0.0 || (self.settled() && self.window_max() < 1.0) {
            self.rate = self.rate.max(self.window_max());
            self.rate_known = true;
        }
        // The mode that dominates now decays at the settled ratio (after a jump, the next mode's,
        // not ρ(L)).
        let current = self.window_max();
        let jump = extrapolate && self.settled() && current < 1.0 && current > 0.0;
        if jump {
            let c = current / (1.0 - current);
            self.sum += &self.term * c;
            let corrected = next * (1.0 + c) - &self.term * c;
            self.sum += &corrected;
            self.last_norm = corrected.norm();
            self.term = corrected;
            self.ratios.clear();
            self.jumps += 1;
        } else {
            self.sum += &next;
            self.term = next;
            self.last_norm = norm;
        }
    }

    fn window_max(&self) -> f64 {
        let start = self.ratios.len().saturating_sub(RATIO_WINDOW);
        self.ratios[start..].iter().cloned().fold(0.0, f64::max)
    }

    /// The contraction estimate: the settled rate once known (after an extrapolation jump the
    /// ratios of the small remainder say little about ρ(L) until they settle again), else the
    /// largest recent ratio.
    fn contraction(&self) -> f64 {
        if self.rate_known {
            self.rate
        } else {
            self.window_max()
        }
    }

    /// Whether the last ratios agree: the window is full and its spread is small against the
    /// distance to 1.
    fn settled(&self) -> bool {
        if self.ratios.len() < RATIO_WINDOW {
            return false;
        }
        let window = &self.ratios[self.ratios.len() - RATIO_WINDOW..];
        let (low, high) = window.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &r| {
            (lo.min(r), hi.max(r))
        });
        high - low <= SETTLED_SPREAD * (1.0 - high).abs().max(1e-6)
    }

    /// The power iteration shows ρ(L) ≥ 1: the series grew past 10¹² times its first term, or its
    /// ratios settled at ≥ 1 before any extrapolation with the terms grown past 10³ times the
    /// first (a non-normal L can make the terms grow for a while although ρ(L) < 1).
    fn unstable(&self) -> bool {
        !(self.last_norm <= DIVERGENCE_FACTOR * self.first_norm)
            || (self.jumps == 0
                && self.settled()
                && self.window_max() >= 1.0
                && self.last_norm > GROWTH_FACTOR * self.first_norm)
    }

    /// r/(1 − r) ‖Δ_k‖ / ‖Σ_k‖ for a contraction estimate r (∞ when r ≥ 1).
    fn error_bound(&self, contraction: f64) -> f64 {
        if self.last_norm == 0.0 {
            return 0.0;
        }
        let sum_norm = self.sum.norm();
        if !(contraction < 1.0) {
            return f64::INFINITY;
        }
        contraction / (1.0 - contraction) * self.last_norm / sum_norm.max(f64::MIN_POSITIVE)
    }
}

/// Spread of the last ratios, relative to 1 − r, at which they count as settled.
const SETTLED_SPREAD: f64 = 0.02;

/// Solves Y = S⁻¹(wP(Y) + R) in the block-diagonal basis (all matrices rotated) to relative
/// error bound `tolerance`: returns Y and the iteration's certificate (without the residual,
/// filled in by the caller). `known_rate`, an estimate of ρ(L) from an earlier solve with the
/// same operator, skips the certificate (iterative refinement of a solution).
pub(crate) fn solve_splitting(
    basis: &BlockDiagonalBasis,
    minibatch: &MinibatchPart,
    weight: f64,
    rotated_noise: &DMatrix<f64>,
    tolerance: f64,
    known_rate: Option<f64>,
) -> Result<(DMatrix<f64>, IterativeCertificate)> {
    let stein = |r: &DMatrix<f64>| {
        basis
            .solve_stein(r)
            .ok_or(Error::MeanSquareUnstable { limit: None })
    };
    let sweep = |y: &DMatrix<f64>| -> Result<DMatrix<f64>> {
        let image = minibatch.apply(y) * weight;
        stein(&((&image + image.transpose()) * 0.5))
    };
    let mut series = Series::new(stein(rotated_noise)?);
    let no_minibatch = matches!(minibatch, MinibatchPart::Zero) || weight == 0.0;
    if no_minibatch || series.last_norm == 0.0 {
        return Ok((
            series.sum,
            IterativeCertificate {
                sweeps: 0,
                certificate_sweeps: 0,
                contraction_factor: 0.0,
                error_bound: 0.0,
                relative_residual: f64::NAN,
            },
        ));
    }
    if let Some(rate) = known_rate {
        series.rate = rate;
        series.rate_known = true;
    }
    // The certificate series from S⁻¹(I) unless Δ_0 is itself positive definite.
    let mut certificate =
        if known_rate.is_some() || nalgebra::Cholesky::new(series.term.clone()).is_some() {
            None
        } else {
            let n = basis.dimension();
            Some(Series::new(stein(&DMatrix::identity(n, n))?))
        };
    loop {
        if let Some(cert) = certificate.as_mut() {
            if !cert.rate_known && cert.sweeps < MAX_SWEEPS {
                let next = sweep(&cert.term)?;
                cert.push(next, false);
                if cert.unstable() {
                    return Err(Error::MeanSquareUnstable { limit: None });
                }
            }
        }
        let certified = match &certificate {
            None => series.rate_known,
            Some(cert) => cert.rate_known,
        };
        let contraction = series
            .contraction()
            .max(certificate.as_ref().map_or(0.0, |cert| cert.contraction()));
        let bound = series.error_bound(contraction);
        if certified && bound <= tolerance {
            let certificate_sweeps = certificate.as_ref().map_or(0, |cert| cert.sweeps);
            return Ok((
                series.sum,
                IterativeCertificate {
                    sweeps: series.sweeps,
                    certificate_sweeps,
                    contraction_factor: contraction,
                    error_bound: bound,
                    relative_residual: f64::NAN,
                },
            ));
        }
        if series.unstable() {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        if series.sweeps >= MAX_SWEEPS {
            return Err(Error::Invalid {
                what: "iterative second-moment solver".into(),
                why: format!(
                    "not certified after {} sweeps (contraction estimate {contraction:.6}, error bound {bound:.2e}): too close to the mean-square stability limit",
                    series.sweeps
                ),
            });
        }
        let next = sweep(&series.term)?;
        series.push(next, true);
    }
}
