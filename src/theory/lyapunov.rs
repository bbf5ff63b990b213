//! Linear matrix equations on symmetric matrices: discrete (Stein) and continuous Lyapunov
//! equations, and the generalised Stein equation with a minibatch term.
//!
//! All are solved in half-vectorised form: a symmetric n×n matrix X is represented by
//! vech(X) ∈ ℝ^{n(n+1)/2} (entries X_jk, j ≤ k), the linear operator is assembled as an
//! m×m matrix (m = n(n+1)/2) and the system is solved by LU decomposition. This is exact (no
//! iteration) and costs O(m³) = O(n⁶/8); the state dimensions of interest (≤ 40) keep it well
//! under a second.

use nalgebra::{DMatrix, DVector};

use super::second_moment_iterative::BlockDiagonalBasis;
use crate::error::{Error, Result};

/// Largest dimension solved through the dense vech system (n(n+1)/2 = 2080 unknowns at n = 64:
/// 35 MB and a few seconds); larger problems use the block-diagonal solvers of
/// `second_moment_iterative.rs`.
pub(crate) const MAX_DENSE_DIMENSION: usize = 64;

/// Index pairs (j, k), j ≤ k, in vech order.
pub(crate) fn vech_pairs(n: usize) -> Vec<(usize, usize)> {
    (0..n).flat_map(|j| (j..n).map(move |k| (j, k))).collect()
}

/// vech(X) for symmetric X (upper triangle, row by row).
pub(crate) fn vech(x: &DMatrix<f64>) -> DVector<f64> {
    let pairs = vech_pairs(x.nrows());
    DVector::from_iterator(
        pairs.len(),
        pairs.iter().map(|&(j, k)| 0.5 * (x[(j, k)] + x[(k, j)])),
    )
}

/// The symmetric matrix with half-vectorisation `v`.
pub(crate) fn unvech(v: &DVector<f64>, n: usize) -> DMatrix<f64> {
    let mut x = DMatrix::zeros(n, n);
    for (idx, (j, k)) in vech_pairs(n).into_iter().enumerate() {
        x[(j, k)] = v[idx];
        x[(k, j)] = v[idx];
    }
    x
}

/// Adds `weight · vech-matrix of X ↦ D X Dᵀ` to `target` (m×m).
///
/// # Formula
/// (D E_jk Dᵀ)_pq = D_pj D_qk + D_pk D_qj for j ≠ k and D_pj D_qj for j = k, where E_jk is the
/// symmetric basis matrix with ones at (j,k) and (k,j).
pub(crate) fn add_congruence(target: &mut DMatrix<f64>, d: &DMatrix<f64>, weight: f64) {
    // Column (j,k) of the vech-matrix is vech(d_j d_kᵀ + d_k d_jᵀ) (d_j the j-th column of D;
    // halved on the diagonal j = k). Rows (p, q ≥ p) of one p are contiguous in vech order and the
    // target is column-major, so the inner loop over q is a contiguous, vectorisable update.
    let n = d.nrows();
    let m = target.nrows();
    let columns = d.as_slice();
    let out = target.as_mut_slice();
    let mut col = 0;
    for j in 0..n {
        let dj = &columns[j * n..(j + 1) * n];
        for k in j..n {
            let dk = &columns[k * n..(k + 1) * n];
            let target_col = &mut out[col * m..(col + 1) * m];
            let mut row = 0;
            for p in 0..n {
                let len = n - p;
                let slot = &mut target_col[row..row + len];
                if j == k {
                    let a = weight * dj[p];
                    for (t, &x) in slot.iter_mut().zip(&dj[p..]) {
                        *t += a * x;
                    }
                } else {
                    let (a, b) = (weight * dj[p], weight * dk[p]);
                    for ((t, &xk), &xj) in slot.iter_mut().zip(&dk[p..]).zip(&dj[p..]) {
                        *t += a * xk + b * xj;
                    }
                }
                row += len;
            }
            col += 1;
        }
    }
}

/// Adds `weight · vech-matrix of X ↦ A X Rᵀ + R X Aᵀ` to `target` (m×m).
///
/// # Formula
/// (A E_jk Rᵀ + R E_jk Aᵀ)_pq = A_pj R_qk + A_pk R_qj + R_pj A_qk + R_pk A_qj for j ≠ k, and
/// A_pj R_qj + R_pj A_qj for j = k.
pub(crate) fn add_cross_congruence(
    target: &mut DMatrix<f64>,
    a: &DMatrix<f64>,
    r: &DMatrix<f64>,
    weight: f64,
) {
    let n = a.nrows();
    let pairs = vech_pairs(n);
    for (col, &(j, k)) in pairs.iter().enumerate() {
        for (row, &(p, q)) in pairs.iter().enumerate() {
            let value = if j == k {
                a[(p, j)] * r[(q, j)] + r[(p, j)] * a[(q, j)]
            } else {
                a[(p, j)] * r[(q, k)]
                    + a[(p, k)] * r[(q, j)]
                    + r[(p, j)] * a[(q, k)]
                    + r[(p, k)] * a[(q, j)]
            };
            target[(row, col)] += weight * value;
        }
    }
}

/// Adds `weight · Σ_i vech-matrix of X ↦ (w_iᵀ X w_i) u_i u_iᵀ` to `target`, as one matrix
/// product W Zᵀ with W[:, i] = vech(u_i u_iᵀ) and Z[(j,k), i] = s_jk w_ij w_ik (s = 2 off the
/// diagonal, 1 on it), in chunks of examples. This is Σ_i (u_i w_iᵀ) ⊗ (u_i w_iᵀ) in vech form.
pub(crate) fn add_rank_one_congruences(
    target: &mut DMatrix<f64>,
    left: &[DVector<f64>],
    right: &[DVector<f64>],
    weight: f64,
) {
    const CHUNK: usize = 512;
    let n = left.first().map_or(0, |u| u.len());
    let pairs = vech_pairs(n);
    let m = pairs.len();
    for (lefts, rights) in left.chunks(CHUNK).zip(right.chunks(CHUNK)) {
        let count = lefts.len();
        let w = DMatrix::from_fn(m, count, |row, i| {
            let (p, q) = pairs[row];
            lefts[i][p] * lefts[i][q]
        });
        let z = DMatrix::from_fn(m, count, |row, i| {
            let (j, k) = pairs[row];
            let s = if j == k { 1.0 } else { 2.0 };
            s * rights[i][j] * rights[i][k]
        });
        target.gemm(weight, &w, &z.transpose(), 1.0);
    }
}

/// The vech-matrix of X ↦ G X + X Gᵀ.
fn lyapunov_operator(g: &DMatrix<f64>) -> DMatrix<f64> {
    let n = g.nrows();
    let pairs = vech_pairs(n);
    let mut op = DMatrix::zeros(pairs.len(), pairs.len());
    for (col, &(j, k)) in pairs.iter().enumerate() {
        let mut basis = DMatrix::zeros(n, n);
        basis[(j, k)] = 1.0;
        basis[(k, j)] = 1.0;
        let image = g * &basis + &basis * g.transpose();
        for (row, &(p, q)) in pairs.iter().enumerate() {
            op[(row, col)] = image[(p, q)];
        }
    }
    op
}

/// Solves the continuous Lyapunov equation G X + X Gᵀ = Q for symmetric X (dense vech system up
/// to dimension 64; above it, symmetric drifts and momentum drifts [[βI, αI], [A, δI]] only).
///
/// # Formula
/// For a stable drift G (eigenvalues with positive real part) and Q ⪰ 0, the unique solution is
/// X = ∫₀^∞ e^{−Gt} Q e^{−Gᵀt} dt, the stationary covariance of dX = −G X dt + Q^{1/2} dW.
///
/// ```
/// use nalgebra::DMatrix;
/// use sgbayes::theory::solve_continuous_lyapunov;
/// let g = DMatrix::from_row_slice(1, 1, &[2.0]);
/// let q = DMatrix::from_row_slice(1, 1, &[1.0]);
/// assert!((solve_continuous_lyapunov(&g, &q).unwrap()[(0, 0)] - 0.25).abs() < 1e-14);
/// ```
pub fn solve_continuous_lyapunov(g: &DMatrix<f64>, q: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let n = g.nrows();
    if (g - g.transpose()).amax() <= 1e-14 * g.amax() {
        // Symmetric drift G = V diag(g) Vᵀ: in its eigenbasis X̃_jk = Q̃_jk / (g_j + g_k), O(n³).
        let eigen = nalgebra::SymmetricEigen::new((g + g.transpose()) * 0.5);
        let v = &eigen.eigenvectors;
        let mut rotated = v.transpose() * q * v;
        for j in 0..n {
            for k in 0..n {
                let denominator = eigen.eigenvalues[j] + eigen.eigenvalues[k];
                if denominator.abs() <= f64::EPSILON * eigen.eigenvalues.amax() {
                    return Err(Error::Invalid {
                        what: "continuous Lyapunov equation".into(),
                        why: "singular operator (drift has eigenvalues λ_i + λ_j = 0)".into(),
                    });
                }
                rotated[(j, k)] /= denominator;
            }
        }
        let solution = v * rotated * v.transpose();
        // The symmetric eigendecomposition is not always backward stable in practice (a
        // reconstruction error of 5.6e-4 was seen on a 26×26 map), so the solution is checked
        // against the equation itself; a failed check falls through to the other solvers.
        let residual = g * &solution + &solution * g - q;
        if residual.norm() <= 1e-10 * (q.norm() + 2.0 * g.norm() * solution.norm()) {
            return Ok(solution);
        }
    }
    if n > MAX_DENSE_DIMENSION {
        // Too large for the vech system: the checked block-diagonal form of a symmetric drift or
        // of a momentum drift [[βI, αI], [A, δI]] (the momentum OU approximation), O(n³).
        let basis = BlockDiagonalBasis::new(g).ok_or_else(|| Error::NoClosedForm {
            what: format!(
                "continuous Lyapunov equation above dimension {MAX_DENSE_DIMENSION} with a drift that is neither symmetric nor of the momentum form"
            ),
        })?;
        let rotated = basis
            .solve_continuous_lyapunov(&basis.rotate_matrix_in(q))
            .ok_or_else(|| Error::Invalid {
                what: "continuous Lyapunov equation".into(),
                why: "singular operator (drift has eigenvalues λ_i + λ_j = 0)".into(),
            })?;
        return Ok(basis.rotate_matrix_out(&rotated));
    }
    let op = lyapunov_operator(g);
    let solution = op.lu().solve(&vech(q)).ok_or_else(|| Error::Invalid {
        what: "continuous Lyapunov equation".into(),
        why: "singular operator (drift has eigenvalues λ_i + λ_j = 0)".into(),
    })?;
    Ok(unvech(&solution, n))
}

/// A generalised Stein equation X = M X Mᵀ + Σ_i w_i D_i X D_iᵀ + Q, assembled once and solvable
/// for several right-hand sides Q.
pub(crate) struct SteinOperator {
    n: usize,
    /// LU factors of I − T in vech coordinates.
    lu: nalgebra::LU<f64, nalgebra::Dyn, nalgebra::Dyn>,
}

impl SteinOperator {
    /// Assembles I − T with T(X) = M X Mᵀ + weight · Σ_i D_i X D_iᵀ.
    pub(crate) fn new(
        mean_matrix: &DMatrix<f64>,
        deviations: &[DMatrix<f64>],
        weight: f64,
    ) -> Self {
        let n = mean_matrix.nrows();
        let m = n * (n + 1) / 2;
        let mut t = DMatrix::zeros(m, m);
        add_congruence(&mut t, mean_matrix, 1.0);
        if weight != 0.0 {
            for d in deviations {
                add_congruence(&mut t, d, weight);
            }
        }
        let system = DMatrix::identity(m, m) - t;
        Self { n, lu: system.lu() }
    }

    /// The operator from an assembled vech-matrix of T.
    pub(crate) fn from_vech_matrix(n: usize, t: DMatrix<f64>) -> Self {
        let m = t.nrows();
        let system = DMatrix::identity(m, m) - t;
        Self { n, lu: system.lu() }
    }

    /// Solves X = T(X) + Q; `None` when I − T is singular.
    pub(crate) fn solve(&self, q: &DMatrix<f64>) -> Option<DMatrix<f64>> {
        self.lu.solve(&vech(q)).map(|v| unvech(&v, self.n))
    }
}

/// Solves the discrete Lyapunov (Stein) equation X = M X Mᵀ + Q.
///
/// # Formula
/// For spectral radius ρ(M) < 1 the unique solution is X = Σ_{k≥0} M^k Q (Mᵀ)^k, the stationary
/// covariance of x' = M x + w with Cov w = Q.
///
/// ```
/// use nalgebra::DMatrix;
/// use sgbayes::theory::solve_discrete_lyapunov;
/// let m = DMatrix::from_row_slice(1, 1, &[0.5]);
/// let q = DMatrix::from_row_slice(1, 1, &[1.0]);
/// assert!((solve_discrete_lyapunov(&m, &q).unwrap()[(0, 0)] - 4.0 / 3.0).abs() < 1e-14);
/// ```
pub fn solve_discrete_lyapunov(m: &DMatrix<f64>, q: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    SteinOperator::new(m, &[], 0.0)
        .solve(q)
        .ok_or_else(|| Error::Invalid {
            what: "discrete Lyapunov equation".into(),
            why: "singular operator (M has eigenvalues with λ_i λ_j = 1)".into(),
        })
}
