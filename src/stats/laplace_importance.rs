//! How far a Laplace approximation is from the distribution it approximates: self-normalised
//! importance sampling of the target's second moment and mean, in the Laplace law's own units.
//!
//! # Formula
//! Target p(θ) ∝ exp ℓ(θ) with mode θ̂ and H = −∇²ℓ(θ̂) (positive definite); Laplace law
//! N(θ̂, H⁻¹). Draws θ_k = θ̂ + δ_k from the wider proposal q = N(θ̂, 2H⁻¹) (so the weights stay
//! bounded near the mode) get the log weights
//!
//! log w_k = ℓ(θ_k) − ℓ(θ̂) + ¼ δ_kᵀ H δ_k   (= log p/q up to a constant),
//!
//! and with the normalised weights w̃_k = w_k / Σ_j w_j the self-normalised estimate of E_p f and
//! its delta-method standard error are (Geweke 1989, "Bayesian inference in econometric models
//! using Monte Carlo integration", Econometrica 57(6):1317–1339, Theorem 2; Owen 2013, "Monte Carlo
//! theory, methods and examples", §9.2)
//!
//! f̂ = Σ_k w̃_k f(δ_k),   SE² = Σ_k w̃_k² (f(δ_k) − f̂)².
//!
//! Two functionals are reported: the second moment E_p\[δᵀHδ\]/d (1 for an exact Laplace law) and
//! the Mahalanobis offset ‖Rᵀ(E_p θ − θ̂)‖ of the target's mean (0 for an exact Laplace law), with
//! H = RRᵀ (Cholesky) and the offset's standard error that of its projection on its own direction.

use nalgebra::{Cholesky, DMatrix, DVector};
use rand::Rng;
use rand_distr::StandardNormal;

use super::StatsError;

/// A self-normalised importance-sampling estimate with its delta-method standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeightedEstimate {
    /// f̂ = Σ w̃_k f_k.
    pub value: f64,
    /// sqrt(Σ w̃_k² (f_k − f̂)²).
    pub standard_error: f64,
}

/// The two checks of a Laplace approximation (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaplaceCheck {
    /// E_p\[(θ − θ̂)ᵀH(θ − θ̂)\]/d (Laplace: 1).
    pub second_moment: WeightedEstimate,
    /// ‖Rᵀ(E_p θ − θ̂)‖ with H = RRᵀ: the target mean's distance from the mode in Laplace standard
    /// deviations (Laplace: 0).
    pub mean_offset: WeightedEstimate,
}

/// Checks the Laplace approximation N(`mode`, `hessian`⁻¹) of the density ∝ exp(`log_density`)
/// with `draws` importance draws from N(`mode`, 2·`hessian`⁻¹) (see the module documentation).
///
/// Errors when the Hessian is not positive definite or a weight is not finite.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use rand::SeedableRng;
/// use sgbayes::stats::laplace_importance::laplace_check;
///
/// // A Gaussian target: its Laplace approximation is exact.
/// let hessian = DMatrix::from_row_slice(2, 2, &[2.0, 0.5, 0.5, 1.0]);
/// let mode = DVector::from_vec(vec![1.0, -1.0]);
/// let log_density = |theta: &DVector<f64>| {
///     let delta = theta - &mode;
///     -0.5 * delta.dot(&(&hessian * &delta))
/// };
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let check = laplace_check(log_density, &mode, &hessian, 20_000, &mut rng).unwrap();
/// assert!((check.second_moment.value - 1.0).abs() < 5.0 * check.second_moment.standard_error);
/// assert!(check.mean_offset.value < 0.05);
/// ```
pub fn laplace_check<R: Rng + ?Sized>(
    log_density: impl Fn(&DVector<f64>) -> f64,
    mode: &DVector<f64>,
    hessian: &DMatrix<f64>,
    draws: usize,
    rng: &mut R,
) -> Result<LaplaceCheck, StatsError> {
    let d = mode.len();
    if hessian.nrows() != d || hessian.ncols() != d {
        return Err(StatsError::DimensionMismatch {
            what: "Hessian",
            expected: d,
            found: hessian.nrows(),
        });
    }
    let not_positive = StatsError::NotPositiveDefinite { what: "Hessian" };
    let proposal = hessian.clone().try_inverse().ok_or(not_positive.clone())? * 2.0;
    let factor = Cholesky::new(proposal).ok_or(not_positive.clone())?.l();
    let half_hessian = hessian * 0.5;
    let log_density_mode = log_density(mode);
    let mut log_weights = Vec::with_capacity(draws);
    let mut offsets = Vec::with_capacity(draws);
    for _ in 0..draws {
        let z = DVector::from_fn(d, |_, _| rng.sample::<f64, _>(StandardNormal));
        let offset = &factor * z;
        let theta = mode + &offset;
        log_weights.push(
            -(log_density_mode - log_density(&theta))
                + 0.5 * offset.dot(&(&half_hessian * &offset)),
        );
        offsets.push(offset);
    }
    if let Some(index) = log_weights.iter().position(|l| !l.is_finite()) {
        return Err(StatsError::NonFinite {
            what: "importance log weights",
            index,
        });
    }
    let top = log_weights
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_weights.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    let estimate = |f: &dyn Fn(&DVector<f64>) -> f64| {
        let values: Vec<f64> = offsets.iter().map(f).collect();
        let mean = weights.iter().zip(&values).map(|(w, v)| w * v).sum::<f64>() / total;
        let variance = weights
            .iter()
            .zip(&values)
            .map(|(w, v)| (w / total).powi(2) * (v - mean).powi(2))
            .sum::<f64>();
        WeightedEstimate {
            value: mean,
            standard_error: variance.sqrt(),
        }
    };
    let second_moment = estimate(&|o| o.dot(&(hessian * o)) / d as f64);
    let mean_offset = offsets
        .iter()
        .zip(&weights)
        .fold(DVector::zeros(d), |acc, (o, w)| acc + o * (w / total));
    let root = Cholesky::new(hessian.clone())
        .ok_or(not_positive)?
        .l()
        .transpose();
    let whitened = &root * &mean_offset;
    let norm = whitened.norm();
    let direction = if norm > 0.0 {
        &whitened / norm
    } else {
        whitened.clone()
    };
    let along = estimate(&|o| direction.dot(&(&root * o)));
    Ok(LaplaceCheck {
        second_moment,
        mean_offset: WeightedEstimate {
            value: norm,
            ..along
        },
    })
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::laplace_check;
    use crate::stats::StatsError;

    fn hessian() -> DMatrix<f64> {
        DMatrix::from_row_slice(2, 2, &[4.0, 1.0, 1.0, 2.0])
    }

    /// A Gaussian target is its own Laplace law: second moment 1, offset 0 (within 4 SE).
    #[test]
    fn an_exact_laplace_law_passes() {
        let (h, mode) = (hessian(), DVector::from_vec(vec![0.5, 2.0]));
        let log_density = |t: &DVector<f64>| -0.5 * (t - &mode).dot(&(&h * (t - &mode)));
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let check = laplace_check(log_density, &mode, &h, 40_000, &mut rng).unwrap();
        let m = check.second_moment;
        assert!((m.value - 1.0).abs() < 4.0 * m.standard_error, "{m:?}");
        assert!(check.mean_offset.value < 4.0 * check.mean_offset.standard_error);
    }

    /// Power: a target twice as wide as the Laplace law (second moment 2) and a target whose
    /// mean sits one Laplace standard deviation off the mode are both detected.
    #[test]
    fn a_wrong_laplace_law_is_detected() {
        let (h, mode) = (hessian(), DVector::zeros(2));
        let wide = |t: &DVector<f64>| -0.25 * t.dot(&(&h * t));
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let m = laplace_check(wide, &mode, &h, 40_000, &mut rng)
            .unwrap()
            .second_moment;
        assert!((m.value - 2.0).abs() < 4.0 * m.standard_error, "{m:?}");
        // Shifted by δ with δᵀHδ = 1: the offset is 1.
        let shift = DVector::from_vec(vec![0.5, 0.0]);
        let shifted = |t: &DVector<f64>| -0.5 * (t - &shift).dot(&(&h * (t - &shift)));
        let offset = laplace_check(shifted, &mode, &h, 40_000, &mut rng)
            .unwrap()
            .mean_offset;
        assert!(
            (offset.value - 1.0).abs() < 4.0 * offset.standard_error,
            "{offset:?}"
        );
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let flat = |_: &DVector<f64>| 0.0;
        let indefinite = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, -1.0]);
        assert!(matches!(
            laplace_check(flat, &DVector::zeros(2), &indefinite, 10, &mut rng),
            Err(StatsError::NotPositiveDefinite { .. })
        ));
        assert!(matches!(
            laplace_check(flat, &DVector::zeros(3), &hessian(), 10, &mut rng),
            Err(StatsError::DimensionMismatch { .. })
        ));
    }
}
