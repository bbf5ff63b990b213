//! In-place Cholesky factorisation and triangular solves on row-major d×d buffers: the
//! allocation-free linear algebra of the samplers that precondition with an inverse (NGD once,
//! online SGFS and stochastic NGD every step) and of the logistic-regression Jeffreys correction.

/// Factors the symmetric matrix `a` (row-major d×d; only the lower triangle is read) as L Lᵀ,
/// writing L into the lower triangle. Returns false (leaving `a` partly overwritten) when a pivot
/// is not positive and finite, i.e. the matrix is not numerically positive definite.
///
/// ```ignore
/// let mut a = vec![4.0, 2.0, 2.0, 3.0];
/// assert!(factor_in_place(&mut a, 2));
/// assert_eq!((a[0], a[2], a[3]), (2.0, 1.0, 2f64.sqrt()));
/// ```
pub(crate) fn factor_in_place(a: &mut [f64], d: usize) -> bool {
    for j in 0..d {
        let mut pivot = a[j * d + j];
        for k in 0..j {
            pivot -= a[j * d + k] * a[j * d + k];
        }
        if !(pivot > 0.0 && pivot.is_finite()) {
            return false;
        }
        let pivot = pivot.sqrt();
        a[j * d + j] = pivot;
        for i in j + 1..d {
            let mut value = a[i * d + j];
            for k in 0..j {
                value -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = value / pivot;
        }
    }
    true
}

/// Overwrites x with (L Lᵀ)⁻¹ x, L the lower triangle of `factor` from [`factor_in_place`].
pub(crate) fn solve_in_place(factor: &[f64], d: usize, x: &mut [f64]) {
    for i in 0..d {
        let mut value = x[i];
        for k in 0..i {
            value -= factor[i * d + k] * x[k];
        }
        x[i] = value / factor[i * d + i];
    }
    solve_transposed_in_place(factor, d, x);
}

/// Overwrites x with L⁻ᵀ x. For ξ ~ N(0, I), L⁻ᵀ ξ ~ N(0, (L Lᵀ)⁻¹): a square root of the inverse.
pub(crate) fn solve_transposed_in_place(factor: &[f64], d: usize, x: &mut [f64]) {
    for i in (0..d).rev() {
        let mut value = x[i];
        for k in i + 1..d {
            value -= factor[k * d + i] * x[k];
        }
        x[i] = value / factor[i * d + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_and_solve_agree_with_nalgebra() {
        let a =
            nalgebra::DMatrix::from_row_slice(3, 3, &[4.0, 2.0, 0.4, 2.0, 3.0, 0.5, 0.4, 0.5, 2.0]);
        let mut buffer: Vec<f64> = a.transpose().iter().cloned().collect();
        assert!(factor_in_place(&mut buffer, 3));
        let mut x = vec![1.0, -2.0, 0.5];
        solve_in_place(&buffer, 3, &mut x);
        let expected = a
            .cholesky()
            .unwrap()
            .solve(&nalgebra::DVector::from_vec(vec![1.0, -2.0, 0.5]));
        for k in 0..3 {
            assert!((x[k] - expected[k]).abs() < 1e-14);
        }
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(!factor_in_place(&mut singular, 2));
    }
}
