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
//!   coordinates (j, d + j) (each eigenvector of A spans an invariant (θ, v) plane). The
//!   decomposed matrix is the complement I − M̄ (I − A), whose eigenvalues g = 1 − λ are accurate
//!   to ε‖I − M̄‖ where 1 − λ from λ ≈ 1 would carry λ's absolute error ε; the decomposition is
//!   checked (‖GU − U diag g‖ small), since nalgebra's occasionally is not one.
//! * **Stein inverse.** In that basis S(Y) = Y − B Y Bᵀ decouples into the block pairs (a, b):
//!   (I − B_b ⊗ B_a) vec Y_ab = vec R_ab, systems of size ≤ 4 (Bartels–Stewart with a
//!   block-diagonal Schur form), O(n²) per solve; written with G = I − B
//!   (1 − λ_a λ_b = g_a + g_b − g_a g_b) so that no coefficient cancels.
//! * **Minibatch part.** For M_i = A + u_i w_iᵀ, D_i = u_i w_iᵀ − R/N with R = Σ_i u_i w_iᵀ, so
//!   Σ_i D_i Y D_iᵀ = U (diag G − G/N) Uᵀ with G = Wᵀ Y W (U, W the n×N factor matrices): four
//!   matrix products, O(N n² + N² n). Rows of W that vanish and rows of U that repeat (both happen
//!   for the momentum samplers: w_i = (x_i, 0), u_i = (a_i, a_i)) are dropped before the products.
//! * **Splitting.** With L = S⁻¹ ∘ wP (P the minibatch part), Σ solves (I − L) Σ = Δ_0 = S⁻¹(Q).
//!   S⁻¹ = Σ_j M̄ʲ(·)M̄ʲᵀ and P are positive maps, so this is a regular splitting of I − T and
//!   ρ(L) < 1 iff ρ(T) < 1 (mean-square stability).
//! * **Krylov solve.** Restarted GMRES(m) (Saad & Schultz 1986) on (I − L) Σ = Δ_0 in the
//!   Frobenius inner product, m = [`KRYLOV_DIMENSION`]; the Neumann partial sums Σ_{k<m} Lᵏ Δ_0 lie
//!   in its Krylov space, so a cycle is never worse than m plain sweeps in exact arithmetic. For
//!   the momentum form it runs on Ỹ = T Y Tᵀ, T = diag(T_a) with T_aᵀ T_a = P_a,
//!   P_a − B_aᵀ P_a B_a = I: in that norm every 2×2 block contracts, which removes the transient
//!   growth of the non-normal blocks that stalls restarted GMRES in the plain Frobenius norm. The
//!   largest real Ritz value estimates the Perron root ρ(L) (r). Each cycle ends with the true
//!   residual e = Δ_0 − (I − L)Σ computed in full; the solve stops when ‖e‖_F ≤ tol (1 − r) ‖Σ‖_F.
//!   A cycle that does not halve ‖e‖ (a strongly non-normal L, or rounding level) hands over to
//!   the plain iteration Σ ← Σ + e, e ← L(e), whose ratio ‖e_k‖/‖e_{k−1}‖ estimates r.
//! * **Certificates.** Mean-square stability is certified, not estimated: Σ ≻ 0 (Cholesky) and
//!   λ_min(Δ_0) ≥ τ > ‖e‖_F give L(Σ) ⪯ (1 − c)Σ with c = (τ − ‖e‖_F)/λ_max(Σ) > 0, hence
//!   ρ(L) ≤ 1 − c (positive map). When Δ_0 is not positive definite, the certificate equation
//!   (I − L) X = S⁻¹(I) (right side ⪰ I) is solved and X ≻ 0 checked instead. A failed certificate
//!   is [`Error::MeanSquareUnstable`]; an error estimate ‖e‖_F/((1 − r)‖Σ‖_F) above the tolerance
//!   after the iteration stops is [`Error::Invalid`] — never a silent early stop.

use std::collections::HashMap;

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Relative tolerance on the error estimate ‖e‖_F / ((1 − r) ‖Σ‖_F) of the Krylov solve (e its
/// true residual, r the contraction estimate).
pub const ITERATION_TOLERANCE: f64 = 1e-13;

/// Most sweeps of the splitting iteration before it reports that it did not converge.
pub const MAX_SWEEPS: usize = 50_000;

/// One diagonal block of the mean map in the block-diagonal basis: coordinates and entries.
#[derive(Debug, Clone)]
struct Block {
    /// Basis coordinates of the block (only the first `size` are used).
    indices: [usize; 2],
    /// 1 or 2.
    size: usize,
    /// Row-major entries B_a (only the leading `size`×`size` part is used).
    entries: [[f64; 2]; 2],
    /// I − B_a, computed from the eigenvalues of I − M̄ (not as 1 − λ): accurate to ε‖I − M̄‖
    /// where 1 − λ would carry the absolute error ε of λ ≈ 1.
    complement: [[f64; 2]; 2],
}

impl Block {
    /// A 1×1 block with entry 1 − g.
    fn scalar(j: usize, g: f64) -> Self {
        Block {
            indices: [j, j],
            size: 1,
            entries: [[1.0 - g, 0.0], [0.0, 0.0]],
            complement: [[g, 0.0], [0.0, 0.0]],
        }
    }
}

/// Eigendecomposition S = U diag(s) Uᵀ of a symmetric matrix, checked: the eigenvalues are the
/// Rayleigh quotients uᵀSu of the computed eigenvectors, and the decomposition is returned only
/// when ‖SU − U diag(s)‖_max ≤ [`EIGEN_TOLERANCE`] · n ε ‖S‖_F. nalgebra's symmetric QR
/// iteration occasionally returns a decomposition that does not reconstruct its matrix (seen:
/// error 5.6e-4 on the 26×26 mean map of an SGLD chain; dimforge/nalgebra issue 1109).
fn checked_eigen(symmetric: &DMatrix<f64>) -> Option<(DMatrix<f64>, Vec<f64>)> {
    let n = symmetric.nrows();
    let eigen = SymmetricEigen::new(symmetric.clone());
    let vectors = eigen.eigenvectors;
    let image = product(symmetric, &vectors);
    let values: Vec<f64> = (0..n)
        .map(|j| vectors.column(j).dot(&image.column(j)))
        .collect();
    let mut error = 0.0f64;
    for (j, &value) in values.iter().enumerate() {
        for (x, v) in image.column(j).iter().zip(vectors.column(j).iter()) {
            error = error.max((x - value * v).abs());
        }
    }
    let bound = EIGEN_TOLERANCE * n as f64 * f64::EPSILON * symmetric.norm();
    (error <= bound).then_some((vectors, values))
}

/// Factor of n ε ‖S‖_F allowed in the residual of [`checked_eigen`].
const EIGEN_TOLERANCE: f64 = 16.0;

/// The eigendecomposition of the complement I − S of a symmetric S: U and the eigenvalues
/// g_j = 1 − λ_j, from I − S (accurate to ε‖I − S‖ absolute) or, when nalgebra's decomposition of
/// I − S fails its check, from S (accurate to ε‖S‖).
fn complement_eigen(symmetric: &DMatrix<f64>) -> Option<(DMatrix<f64>, Vec<f64>)> {
    let n = symmetric.nrows();
    let complement = DMatrix::identity(n, n) - symmetric;
    checked_eigen(&complement).or_else(|| {
        checked_eigen(symmetric)
            .map(|(vectors, values)| (vectors, values.iter().map(|l| 1.0 - l).collect()))
    })
}

/// An orthogonal basis V = I_copies ⊗ U in which the mean map is block diagonal.
#[derive(Debug, Clone)]
pub(crate) struct BlockDiagonalBasis {
    /// U (d×d, orthogonal).
    eigenvectors: DMatrix<f64>,
    /// Uᵀ (nalgebra's products with a transposed operand do not use its fast kernel).
    eigenvectors_transposed: DMatrix<f64>,
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
            let (vectors, complements) =
                complement_eigen(&((mean_matrix + mean_matrix.transpose()) * 0.5))?;
            let blocks = complements
                .iter()
                .enumerate()
                .map(|(j, &g)| Block::scalar(j, g))
                .collect();
            return Some(Self {
                eigenvectors_transposed: vectors.transpose(),
                eigenvectors: vectors,
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
        // The mean form from the eigenvalues g = 1 − a of I − A11, with a + γ = (1 + γ) − g (exact
        // for γ = −1); the drift form from those of A21 directly.
        let (vectors, values) = if mean_form {
            complement_eigen(&((&top_left + top_left.transpose()) * 0.5))?
        } else {
            let a21 = bottom_left.into_owned();
            checked_eigen(&((&a21 + a21.transpose()) * 0.5))?
        };
        let block = |j: usize, value: f64| {
            let entries = if mean_form {
                [[1.0 - value, alpha], [(1.0 + gamma) - value, delta]]
            } else {
                [[beta, alpha], [value, delta]]
            };
            let complement = if mean_form {
                [[value, -alpha], [value - (1.0 + gamma), 1.0 - delta]]
            } else {
                [[1.0 - beta, -alpha], [-value, 1.0 - delta]]
            };
            Block {
                indices: [j, d + j],
                size: 2,
                entries,
                complement,
            }
        };
        let blocks = values
            .iter()
            .enumerate()
            .map(|(j, &value)| block(j, value))
            .collect();
        Some(Self {
            eigenvectors_transposed: vectors.transpose(),
            eigenvectors: vectors,
            copies: 2,
            blocks,
        })
    }

    /// State dimension n.
    fn dimension(&self) -> usize {
        self.eigenvectors.nrows() * self.copies
    }

    /// The congruence X ↦ T X Tᵀ, T = diag(T_a) over the 2×2 blocks, in whose Frobenius norm every
    /// block of B contracts: P_a − B_aᵀ P_a B_a = I (P_a ≻ 0 for ρ(B_a) < 1), P_a = T_aᵀ T_a
    /// (Cholesky, scaled to det T_a = 1), so ‖T_a B_a T_a⁻¹‖₂² = 1 − 1/λ_max(P_a) < 1. `None` for
    /// scalar blocks (a symmetric mean map is normal already) or when a block does not contract.
    fn contracting_congruence(&self) -> Option<BlockCongruence> {
        if self.copies == 1 {
            return None;
        }
        let mut forward = Vec::with_capacity(self.blocks.len());
        let mut inverse = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            // vec (row-major) of P: P − BᵀPB = I with B = I − G, coefficient of P[s][t] in
            // equation (p, q): δ_ps δ_qt − B[s][p] B[t][q] = δ_qt G[s][p] + δ_ps G[t][q] − G[s][p] G[t][q].
            let g = &block.complement;
            let mut system = [0.0; 16];
            let mut rhs = [1.0, 0.0, 0.0, 1.0];
            for p in 0..2 {
                for q in 0..2 {
                    for s in 0..2 {
                        for t in 0..2 {
                            system[(2 * p + q) * 4 + 2 * s + t] = f64::from(q == t) * g[s][p]
                                + f64::from(p == s) * g[t][q]
                                - g[s][p] * g[t][q];
                        }
                    }
                }
            }
            solve_small(&mut system, &mut rhs, 4)?;
            let (p11, p12, p22) = (rhs[0], 0.5 * (rhs[1] + rhs[2]), rhs[3]);
            let determinant = p11 * p22 - p12 * p12;
            if !(p11 > 0.0 && determinant > 0.0 && determinant.is_finite()) {
                return None;
            }
            let scale = determinant.sqrt();
            let (p11, p12) = (p11 / scale, p12 / scale);
            // P = TᵀT with T upper triangular, det T = 1.
            let t11 = p11.sqrt();
            let t12 = p12 / t11;
            let t22 = 1.0 / t11;
            forward.push([[t11, t12], [0.0, t22]]);
            inverse.push([[t22, -t12], [0.0, t11]]);
        }
        Some(BlockCongruence {
            half: self.eigenvectors.nrows(),
            forward,
            inverse,
        })
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
        let (u, ut) = (&self.eigenvectors, &self.eigenvectors_transposed);
        let mut out = DMatrix::zeros(x.nrows(), x.ncols());
        for a in 0..self.copies {
            for b in 0..self.copies {
                let block = x.view((a * d, b * d), (d, d)).into_owned();
                let rotated = if inward {
                    product(ut, &product(&block, u))
                } else {
                    product(u, &product(&block, ut))
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
                .copy_from(&product(&self.eigenvectors_transposed, &rows.into_owned()));
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
                    system[p * k + q] = block.complement[p][q];
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
    ///
    /// The coefficients are written with the complements G = I − B: 1 − λ_a λ_b =
    /// g_a + g_b − g_a g_b, and I − B_b ⊗ B_a = I ⊗ G_a + G_b ⊗ I − G_b ⊗ G_a, which keep the
    /// relative accuracy of small g where 1 − λ_a λ_b would cancel to ε/(1 − λ_a λ_b).
    pub(crate) fn solve_stein(&self, r: &DMatrix<f64>) -> Option<DMatrix<f64>> {
        if self.copies == 1 {
            // All blocks scalar: Y_jk = R_jk / (g_j + g_k − g_j g_k).
            let n = self.dimension();
            let mut y = DMatrix::zeros(n, n);
            for (k, bk) in self.blocks.iter().enumerate() {
                let gk = bk.complement[0][0];
                for (j, bj) in self.blocks.iter().enumerate() {
                    let gj = bj.complement[0][0];
                    let denominator = gj + gk - gj * gk;
                    if denominator == 0.0 {
                        return None;
                    }
                    y[(j, k)] = r[(j, k)] / denominator;
                }
            }
            return Some(y);
        }
        // Y ↦ Y − B_a Y B_bᵀ maps entry (s, t) of Y_ab to (p, q) with weight
        // δ_ps δ_qt − B_a[p][s] B_b[q][t] = δ_qt G_a[p][s] + δ_ps G_b[q][t] − G_a[p][s] G_b[q][t].
        self.solve_block_pairs(r, |a, b, p, s, q, t| {
            let (ga, gb) = (&a.complement, &b.complement);
            f64::from(q == t) * ga[p][s] + f64::from(p == s) * gb[q][t] - ga[p][s] * gb[q][t]
        })
    }

    /// Solves B Y + Y Bᵀ = R (symmetric R), the continuous Lyapunov equation with drift B, block
    /// pair by block pair; `None` if singular.
    pub(crate) fn solve_continuous_lyapunov(&self, r: &DMatrix<f64>) -> Option<DMatrix<f64>> {
        self.solve_block_pairs(r, |a, b, p, s, q, t| {
            f64::from(q == t) * a.entries[p][s] + f64::from(p == s) * b.entries[q][t]
        })
    }

    /// Solves 𝓛(Y) = R for a linear map 𝓛 that acts on each block Y_ab separately, with
    /// coefficient `coefficient(block a, block b, p, s, q, t)` of Y_ab[s][t] in 𝓛(Y)_ab[p][q].
    fn solve_block_pairs(
        &self,
        r: &DMatrix<f64>,
        coefficient: impl Fn(&Block, &Block, usize, usize, usize, usize) -> f64 + Sync,
    ) -> Option<DMatrix<f64>> {
        let n = self.dimension();
        // Block rows in parallel (each pair's solve is independent, so the values do not depend
        // on the thread count), written into Y in a fixed order afterwards.
        let rows: Vec<Vec<(usize, usize, f64)>> = (0..self.blocks.len())
            .into_par_iter()
            .map(|a| {
                let ba = &self.blocks[a];
                let mut entries = Vec::with_capacity(4 * (self.blocks.len() - a));
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
                                    system[row * k + s + ka * t] = coefficient(ba, bb, p, s, q, t);
                                }
                            }
                        }
                    }
                    solve_small(&mut system[..k * k], &mut rhs[..k], k)?;
                    for q in 0..kb {
                        for p in 0..ka {
                            entries.push((ba.indices[p], bb.indices[q], rhs[p + ka * q]));
                        }
                    }
                }
                Some(entries)
            })
            .collect::<Option<_>>()?;
        let mut y = DMatrix::zeros(n, n);
        for (i, j, value) in rows.into_iter().flatten() {
            y[(i, j)] = value;
            y[(j, i)] = value;
        }
        Some(y)
    }
}

/// A congruence X ↦ T X Tᵀ with T block diagonal over the coordinate pairs (j, d + j) of the
/// momentum form's basis: O(n²) per application.
struct BlockCongruence {
    /// d (the pairs are (j, half + j)).
    half: usize,
    /// T_j per pair.
    forward: Vec<[[f64; 2]; 2]>,
    /// T_j⁻¹ per pair.
    inverse: Vec<[[f64; 2]; 2]>,
}

impl BlockCongruence {
    /// T X Tᵀ (`inverse` false) or T⁻¹ X T⁻ᵀ (`inverse` true).
    fn apply(&self, x: &DMatrix<f64>, inverse: bool) -> DMatrix<f64> {
        let factors = if inverse {
            &self.inverse
        } else {
            &self.forward
        };
        let d = self.half;
        let mut y = x.clone();
        // Rows: (x_j, x_{d+j}) ← T_j (x_j, x_{d+j}) in every column.
        for mut column in y.column_iter_mut() {
            for (j, t) in factors.iter().enumerate() {
                let (a, b) = (column[j], column[d + j]);
                column[j] = t[0][0] * a + t[0][1] * b;
                column[d + j] = t[1][0] * a + t[1][1] * b;
            }
        }
        // Columns: (c_j, c_{d+j}) ← (c_j, c_{d+j}) T_jᵀ.
        let n = 2 * d;
        let data = y.as_mut_slice();
        for (j, t) in factors.iter().enumerate() {
            let (first, second) = data.split_at_mut((d + j) * n);
            let left = &mut first[j * n..(j + 1) * n];
            let right = &mut second[..n];
            for (a, b) in left.iter_mut().zip(right.iter_mut()) {
                let (u, v) = (*a, *b);
                *a = t[0][0] * u + t[0][1] * v;
                *b = t[1][0] * u + t[1][1] * v;
            }
        }
        y
    }

    /// A lower bound on σ_min(T)², so that T X Tᵀ ⪰ σ_min(T)² I for X ⪰ I.
    fn smallest_squared_singular_value(&self) -> f64 {
        self.forward
            .iter()
            .map(|t| {
                // σ_min² of a 2×2 matrix with det 1: 1/σ_max², σ_max² ≤ ‖T‖_F².
                let frobenius = t.iter().flatten().map(|v| v * v).sum::<f64>();
                1.0 / frobenius
            })
            .fold(f64::INFINITY, f64::min)
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
        let gram = product(&self.right_transposed, &product(&y_restricted, &self.right));
        let mut weights = gram * (-1.0 / data_size);
        for i in 0..weights.nrows() {
            weights[(i, i)] *= 1.0 - data_size;
        }
        let compact = product(&self.left, &product(&weights, &self.left_transposed));
        let n = self.left_rows.len();
        DMatrix::from_fn(n, n, |p, q| compact[(self.left_rows[p], self.left_rows[q])])
    }
}

/// Columns per task of [`product`]: a function of the sizes only, so the bits do not depend on
/// the number of threads.
const PRODUCT_COLUMNS: usize = 128;

/// A B, the columns of B split into fixed chunks of [`PRODUCT_COLUMNS`] multiplied in parallel
/// (each chunk by nalgebra's matrixmultiply kernel). Every entry of the product is the same dot
/// product in the same order whatever the number of threads.
pub(crate) fn product(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    let columns = b.ncols();
    if columns < 2 * PRODUCT_COLUMNS || a.nrows() < PRODUCT_COLUMNS {
        return a * b;
    }
    let starts: Vec<usize> = (0..columns).step_by(PRODUCT_COLUMNS).collect();
    let chunks: Vec<DMatrix<f64>> = starts
        .par_iter()
        .map(|&start| a * b.columns(start, PRODUCT_COLUMNS.min(columns - start)))
        .collect();
    let mut out = DMatrix::zeros(a.nrows(), columns);
    for (&start, chunk) in starts.iter().zip(&chunks) {
        out.columns_mut(start, chunk.ncols()).copy_from(chunk);
    }
    out
}

/// How the splitting iteration ended: the certificate values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IterativeCertificate {
    /// Applications of the minibatch part (Krylov sweeps) for Σ, refinements included.
    pub sweeps: usize,
    /// Sweeps of the separate certificate solve (I − L)X = S⁻¹(I) (0 when Δ_0 = S⁻¹(Q) was
    /// positive definite and Σ certified itself).
    pub certificate_sweeps: usize,
    /// The estimate r of ρ(L), L = S⁻¹ ∘ wP, the largest real Ritz value of the Krylov solve,
    /// capped by the certified bound 1 − `stability_margin`.
    pub contraction_factor: f64,
    /// Certified lower bound c > 0 on 1 − ρ(L): a positive definite X with X − L(X) ⪰ c X was
    /// found (so ρ(L) ≤ 1 − c, and the chain is mean-square stable).
    pub stability_margin: f64,
    /// Relative error estimate ‖e‖_F / ((1 − r) ‖Σ‖_F) of the Krylov solve at its true residual e.
    pub error_bound: f64,
    /// The final relative residual max|Σ − T(Σ) − Q| / max(|Σ|, |Q|), in the original coordinates.
    pub relative_residual: f64,
}

impl IterativeCertificate {
    /// The certificate of a law solved without iterating (no minibatch part): zero sweeps, no
    /// error.
    pub(crate) fn exact() -> Self {
        Self {
            sweeps: 0,
            certificate_sweeps: 0,
            contraction_factor: 0.0,
            stability_margin: 1.0,
            error_bound: 0.0,
            relative_residual: f64::NAN,
        }
    }
}

/// Krylov dimension of the restarted GMRES: GMRES(m) stores m + 1 n×n matrices.
pub const KRYLOV_DIMENSION: usize = 12;

/// Relative GMRES residual below which the Arnoldi matrix no longer gives Ritz values (see
/// [`krylov_solve`]).
const RITZ_FLOOR: f64 = 1e-10;

/// Result of one Krylov solve of (I − L) Y = b.
struct KrylovSolution {
    solution: DMatrix<f64>,
    /// The true residual b − (I − L)(Y), computed in full.
    residual: DMatrix<f64>,
    /// Largest real Ritz value of L met.
    ritz_radius: f64,
    sweeps: usize,
}

/// Frobenius inner product.
fn inner(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| x * y)
        .sum()
}

/// y ← y + a x, in place.
fn add_scaled(y: &mut DMatrix<f64>, a: f64, x: &DMatrix<f64>) {
    for (target, value) in y.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *target += a * value;
    }
}

/// The largest real Ritz value of L (1 − θ over the real eigenvalues θ of the leading k×k block
/// of the Arnoldi matrix of I − L), or 0: the estimate of the Perron root ρ(L), which for a
/// positive map is itself an eigenvalue. Complex Ritz values of a non-normal L (the momentum
/// samplers' 2×2 blocks) can have moduli above ρ(L) and are not used.
fn ritz_radius(hessenberg: &DMatrix<f64>, k: usize) -> f64 {
    let block = DMatrix::identity(k, k) - hessenberg.view((0, 0), (k, k));
    match nalgebra::Schur::try_new(block, f64::EPSILON, 10_000) {
        Some(schur) => schur
            .complex_eigenvalues()
            .iter()
            .filter(|z| z.im == 0.0)
            .map(|z| z.re)
            .fold(0.0, f64::max),
        None => 0.0,
    }
}

/// Restarted GMRES(m) for (I − L) Y = b in the Frobenius inner product (Saad & Schultz 1986,
/// Algorithm 4 with Givens rotations), from Y = 0. Stops when the true residual e satisfies
/// ‖e‖_F ≤ tolerance (1 − r) ‖Y‖_F, r the largest real Ritz value of L so far (capped at
/// `rate_cap` when known), or when a restart cycle no longer halves the true residual (rounding
/// level; the caller's certificate decides); [`Error::Invalid`] after [`MAX_SWEEPS`] sweeps.
fn krylov_solve(
    sweep: &impl Fn(&DMatrix<f64>) -> Result<DMatrix<f64>>,
    b: &DMatrix<f64>,
    tolerance: f64,
    rate_cap: Option<f64>,
) -> Result<KrylovSolution> {
    let m = KRYLOV_DIMENSION;
    let (n, _) = b.shape();
    let mut solution = DMatrix::zeros(n, n);
    let mut residual = b.clone();
    let mut ritz = 0.0f64;
    let mut sweeps = 0;
    let rate = |ritz: f64| rate_cap.map_or(ritz, |cap| cap.min(ritz));
    let mut cycles = 0;
    loop {
        let beta = residual.norm();
        let converged = |ritz: f64, residual_norm: f64, solution_norm: f64| {
            residual_norm == 0.0
                || (rate(ritz) < 1.0
                    && residual_norm <= tolerance * (1.0 - rate(ritz)) * solution_norm)
        };
        if cycles > 0 && converged(ritz, beta, solution.norm()) {
            return Ok(KrylovSolution {
                solution,
                residual,
                ritz_radius: ritz,
                sweeps,
            });
        }
        if beta == 0.0 {
            return Ok(KrylovSolution {
                solution,
                residual,
                ritz_radius: ritz,
                sweeps,
            });
        }
        if sweeps >= MAX_SWEEPS {
            return Err(Error::Invalid {
                what: "iterative second-moment solver".into(),
                why: format!(
                    "not certified after {sweeps} sweeps (Ritz estimate of the contraction {ritz:.6}, relative residual {:.2e}): too close to the mean-square stability limit",
                    beta / solution.norm().max(f64::MIN_POSITIVE)
                ),
            });
        }
        cycles += 1;
        let mut basis: Vec<DMatrix<f64>> = vec![&residual / beta];
        let mut hessenberg = DMatrix::zeros(m + 1, m);
        // The Arnoldi matrix before the Givens rotations, for the Ritz values.
        let mut arnoldi = DMatrix::zeros(m + 1, m);
        let mut cycle_ritz = 0.0;
        let mut rotations: Vec<(f64, f64)> = Vec::with_capacity(m);
        let mut g = vec![0.0; m + 1];
        g[0] = beta;
        let mut k = 0;
        // A lower bound of ‖Y‖_F for the inner stopping test: ‖b‖ when nothing is known yet.
        let scale = solution.norm().max(b.norm());
        while k < m && sweeps < MAX_SWEEPS {
            let image = sweep(&basis[k])?;
            sweeps += 1;
            let mut w = &basis[k] - image;
            for (i, v) in basis.iter().enumerate() {
                let h = inner(&w, v);
                hessenberg[(i, k)] = h;
                add_scaled(&mut w, -h, v);
            }
            let h_next = w.norm();
            hessenberg[(k + 1, k)] = h_next;
            arnoldi.column_mut(k).copy_from(&hessenberg.column(k));
            // Apply the earlier rotations to column k, then one that zeroes H[k+1, k].
            for (i, &(c, s)) in rotations.iter().enumerate() {
                let (x, y) = (hessenberg[(i, k)], hessenberg[(i + 1, k)]);
                hessenberg[(i, k)] = c * x + s * y;
                hessenberg[(i + 1, k)] = -s * x + c * y;
            }
            let (x, y) = (hessenberg[(k, k)], hessenberg[(k + 1, k)]);
            let radius = x.hypot(y);
            let (c, s) = if radius == 0.0 {
                (1.0, 0.0)
            } else {
                (x / radius, y / radius)
            };
            rotations.push((c, s));
            hessenberg[(k, k)] = radius;
            hessenberg[(k + 1, k)] = 0.0;
            g[k + 1] = -s * g[k];
            g[k] *= c;
            // The Ritz values of the whole Krylov space so far (the latest, most accurate ones),
            // while it is not yet invariant to rounding: once the residual has fallen below
            // RITZ_FLOOR·β the trailing Arnoldi entries are rounding noise, and they produced a
            // spurious real Ritz value 1 − 2·10⁻¹¹ (SGHMC, d = 1000) that blocked the stopping test.
            // The first step's Rayleigh quotient is always taken (exact when the space is invariant
            // at once, as for a 1×1 map).
            if k == 0 || g[k + 1].abs() > RITZ_FLOOR * beta {
                cycle_ritz = ritz_radius(&arnoldi, k + 1);
            }
            k += 1;
            if h_next == 0.0 || converged(ritz.max(cycle_ritz), g[k].abs(), scale) {
                break;
            }
            basis.push(w / h_next);
        }
        ritz = ritz.max(cycle_ritz);
        // Y += V y with R y = g (R the rotated Hessenberg matrix, upper triangular).
        let mut y = vec![0.0; k];
        for i in (0..k).rev() {
            let mut value = g[i];
            for j in i + 1..k {
                value -= hessenberg[(i, j)] * y[j];
            }
            y[i] = value / hessenberg[(i, i)];
        }
        for (v, &coefficient) in basis.iter().zip(&y) {
            add_scaled(&mut solution, coefficient, v);
        }
        // The true residual, in full (not the recurrence's). A cycle that does not halve it has
        // either reached the rounding level of the operator or met a strongly non-normal L (the
        // momentum samplers' blocks) that restarted GMRES handles badly: the plain splitting
        // iteration finishes the solve.
        residual = b - (&solution - sweep(&solution)?);
        sweeps += 1;
        if !(residual.norm() <= 0.5 * beta) {
            return fixed_point_finish(sweep, solution, residual, sweeps, tolerance, rate_cap);
        }
    }
}

/// The splitting iteration Y ← Y + e, e ← L(e) (e the residual of (I − L) Y = b) from a Krylov
/// iterate, stopped when ‖e‖_F ≤ tolerance (1 − r) ‖Y‖_F with r the largest of the last three
/// ratios ‖e_k‖/‖e_{k−1}‖ (the power-iteration estimate of ρ(L)), or when the residual no longer
/// falls (rounding level: the caller certifies or refuses what it has); [`Error::Invalid`] after
/// [`MAX_SWEEPS`] sweeps, [`Error::MeanSquareUnstable`] when the residual grows 10¹²-fold.
fn fixed_point_finish(
    sweep: &impl Fn(&DMatrix<f64>) -> Result<DMatrix<f64>>,
    mut solution: DMatrix<f64>,
    mut residual: DMatrix<f64>,
    mut sweeps: usize,
    tolerance: f64,
    rate_cap: Option<f64>,
) -> Result<KrylovSolution> {
    let start = residual.norm();
    let mut ratios: Vec<f64> = Vec::new();
    let mut best = start;
    let mut since_best = 0;
    loop {
        let norm = residual.norm();
        let window = &ratios[ratios.len().saturating_sub(3)..];
        let rate = window.iter().cloned().fold(0.0, f64::max);
        let rate = rate_cap.map_or(rate, |cap| cap.min(rate));
        let settled = window.len() == 3;
        let done = norm == 0.0
            || (settled && rate < 1.0 && norm <= tolerance * (1.0 - rate) * solution.norm());
        if done || since_best > 10 {
            return Ok(KrylovSolution {
                solution,
                residual,
                ritz_radius: if settled { rate } else { 0.0 },
                sweeps,
            });
        }
        if !(norm <= 1e12 * start) {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        if sweeps >= MAX_SWEEPS {
            return Err(Error::Invalid {
                what: "iterative second-moment solver".into(),
                why: format!(
                    "not certified after {sweeps} sweeps (contraction estimate {rate:.6}): too close to the mean-square stability limit"
                ),
            });
        }
        solution += &residual;
        let next = sweep(&residual)?;
        sweeps += 1;
        let next_norm = next.norm();
        ratios.push(if norm > 0.0 { next_norm / norm } else { 0.0 });
        if next_norm < best {
            best = next_norm;
            since_best = 0;
        } else {
            since_best += 1;
        }
        residual = next;
    }
}

/// Certified lower bound on 1 − ρ(L) from a solution of (I − L) Y = b + e (e the true residual):
/// if Y ≻ 0 and b − e ⪰ c Y with c > 0, then L(Y) ⪯ (1 − c) Y, so ρ(L) ≤ 1 − c (L is a positive
/// map: any X ⪰ 0 has X ⪯ (λ_max(X)/λ_min(Y)) Y, so Lᵏ(X) ⪯ (1 − c)ᵏ (λ_max(X)/λ_min(Y)) Y). With λ_min(b) ≥ τ and
/// λ_max(Y) ≤ min(‖Y‖_F, ‖Y‖_∞), c = (τ − ‖e‖_F) / λ_max bound. τ is `floor` when given (b ⪰ I),
/// else Gershgorin's lower bound min_i (b_ii − Σ_{j≠i} |b_ij|) when that exceeds 2‖e‖_F, else
/// 2‖e‖_F checked by a Cholesky factorisation of b − τI. `None` when a check fails.
fn stability_margin(
    y: &DMatrix<f64>,
    b: &DMatrix<f64>,
    residual: &DMatrix<f64>,
    floor: Option<f64>,
) -> Option<f64> {
    let error = residual.norm();
    let n = b.nrows();
    let gershgorin = (0..n)
        .map(|i| {
            let row = b.column(i);
            2.0 * row[i] - row.iter().map(|v| v.abs()).sum::<f64>()
        })
        .fold(f64::INFINITY, f64::min);
    let tau = match floor {
        Some(floor) => floor,
        None if gershgorin > 2.0 * error => gershgorin,
        None => {
            nalgebra::Cholesky::new(b - DMatrix::identity(n, n) * (2.0 * error))?;
            2.0 * error
        }
    };
    if !(tau > error) {
        return None;
    }
    nalgebra::Cholesky::new(y.clone())?;
    let row_sums = (0..n)
        .map(|i| y.column(i).iter().map(|v| v.abs()).sum::<f64>())
        .fold(0.0, f64::max);
    Some((tau - error) / y.norm().min(row_sums))
}

/// Solves Y = S⁻¹(wP(Y) + R) in the block-diagonal basis (all matrices rotated) by GMRES on
/// (I − L) Y = S⁻¹(R) to relative error estimate `tolerance`: returns Y and the certificate
/// (without the residual, filled in by the caller). `known_rate`, the contraction of an earlier
/// certified solve with the same operator, skips the stability certificate (iterative refinement
/// of a solution). For the momentum form the solve and its certificate run in the coordinates
/// T Y Tᵀ of [`BlockDiagonalBasis::contracting_congruence`] (the error estimate is relative in
/// that norm); Y is returned in the basis coordinates.
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
    // The momentum form's 2×2 blocks make L strongly non-normal in the Frobenius norm of the
    // basis (restarted GMRES stalled at d = 500); the Krylov solve runs in the coordinates
    // Ỹ = T Y Tᵀ in which every block of the mean map contracts.
    let congruence = basis.contracting_congruence();
    let into = |x: DMatrix<f64>| match &congruence {
        Some(congruence) => congruence.apply(&x, false),
        None => x,
    };
    let out = |x: DMatrix<f64>| match &congruence {
        Some(congruence) => congruence.apply(&x, true),
        None => x,
    };
    let sweep = |y: &DMatrix<f64>| -> Result<DMatrix<f64>> {
        let original = out(y.clone());
        let image = minibatch.apply(&original) * weight;
        Ok(into(stein(&((&image + image.transpose()) * 0.5))?))
    };
    let first = into(stein(rotated_noise)?);
    let no_minibatch = matches!(minibatch, MinibatchPart::Zero) || weight == 0.0;
    if no_minibatch || first.norm() == 0.0 {
        return Ok((out(first), IterativeCertificate::exact()));
    }
    let solved = krylov_solve(&sweep, &first, tolerance, known_rate)?;
    let (margin, certificate_sweeps) = match known_rate {
        Some(rate) => (1.0 - rate, 0),
        None => match stability_margin(&solved.solution, &first, &solved.residual, None) {
            Some(margin) => (margin, 0),
            None => {
                // Δ_0 not positive definite enough (or Y not positive definite): the certificate
                // equation (I − L) X = S⁻¹(I), whose right side is ⪰ I.
                // In the congruence's coordinates the right side is ⪰ T Tᵀ ⪰ σ_min(T)² I.
                let n = basis.dimension();
                let right = into(stein(&DMatrix::identity(n, n))?);
                let floor = congruence
                    .as_ref()
                    .map_or(1.0, BlockCongruence::smallest_squared_singular_value);
                let certificate = krylov_solve(&sweep, &right, tolerance, None)?;
                let margin = stability_margin(
                    &certificate.solution,
                    &right,
                    &certificate.residual,
                    Some(floor),
                )
                .ok_or(Error::MeanSquareUnstable { limit: None })?;
                (margin, certificate.sweeps)
            }
        },
    };
    let contraction = solved.ritz_radius.min(1.0 - margin);
    let solution_norm = solved.solution.norm().max(f64::MIN_POSITIVE);
    let error_bound = solved.residual.norm() / ((1.0 - contraction) * solution_norm);
    if !(error_bound <= tolerance) {
        return Err(Error::Invalid {
            what: "iterative second-moment solver".into(),
            why: format!(
                "not certified: the Krylov iteration stalled after {} sweeps at error estimate {error_bound:.2e} (contraction {contraction:.6}, tolerance {tolerance:.0e}): too close to the mean-square stability limit or too ill-conditioned",
                solved.sweeps
            ),
        });
    }
    Ok((
        out(solved.solution),
        IterativeCertificate {
            sweeps: solved.sweeps,
            certificate_sweeps,
            contraction_factor: contraction,
            stability_margin: margin,
            error_bound,
            relative_residual: f64::NAN,
        },
    ))
}
