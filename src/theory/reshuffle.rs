//! Exact law of random reshuffling (epoch-wise sampling without replacement; SGWORLD) when the
//! minibatch noise does not depend on the state (shared per-example matrices, e.g. GaussianMean).
//!
//! # Formula (derived here; the setting of Adhikari et al. 2023 and Shaw & Whalley 2025)
//! Each step is z' = M z + c̄ + δ_k + L ξ with a shared M and δ_k = (1/B)Σ_{i∈S_k}(c_i − c̄), where
//! the K = ⌊N/B⌋ batches S_1..S_K of an epoch are consecutive blocks of one uniform random
//! permutation (the last N − KB indices unused). With V = (1/N)Σ_i (c_i − c̄)(c_i − c̄)ᵀ, sampling
//! without replacement gives, for the exchangeable deviations,
//! Cov(δ_k) = a V, a = (N − B)/(B(N − 1)); Cov(δ_j, δ_k) = b V, b = −1/(N − 1) (j ≠ k)
//! (each pair of distinct draws has covariance −V/(N − 1); Cochran 1977, Thm 2.2). When KB = N
//! the deviations sum to zero over an epoch.
//!
//! * Epoch-end law: the epoch map z_K = M^K z_0 + Σ_k M^{K−k}(c̄ + δ_k + Lξ_k) has i.i.d. noise
//!   across epochs, so Σ_E = M^K Σ_E (M^K)ᵀ + W with
//!   W = (a − b) Σ_{k=1}^K M^{K−k} V (M^{K−k})ᵀ + b S_K V S_Kᵀ + Σ_{k=1}^K M^{K−k} LLᵀ (M^{K−k})ᵀ,
//!   S_r = Σ_{k=1}^r M^{r−k}.
//! * Phase r = 0..K−1 after an epoch end: Σ_r = M^r Σ_E (M^r)ᵀ + (a − b) Σ_{k=1}^r M^{r−k}V(M^{r−k})ᵀ
//!   + b S_r V S_rᵀ + Σ_{k=1}^r M^{r−k} LLᵀ (M^{r−k})ᵀ (z_0 is independent of the current epoch).
//! * Every-step law: the phase average Σ_step = (1/K) Σ_{r=0}^{K−1} Σ_r; the mean is
//!   m = (I − M)⁻¹ c̄ at every phase.

use nalgebra::{DMatrix, DVector};

use super::affine_map::{AffineRandomMap, ExampleMatrices};
use super::draw_at::DrawAt;
use super::gaussian::symmetrize;
use super::lyapunov::solve_discrete_lyapunov;
use super::reshuffle_commuting::commuting_reshuffled_law;
use crate::error::{Error, Result};

/// Exact stationary mean and covariance of a reshuffled chain (see the module's formula).
///
/// `map` supplies the per-example pieces (its own batching field is ignored). When the
/// per-example matrices differ (state-dependent minibatch noise, e.g. linear regression) the law
/// is computed exactly by a dynamic programme over used-example sets for N ≤
/// [`crate::theory::MAX_ENUMERATED_DATA_SIZE`] (`reshuffle_enumeration.rs`); beyond, exactly for
/// batch size 1 when the per-example maps are symmetric and commute (d = 1, or features pairwise
/// parallel or orthogonal; [`crate::theory::commuting_reshuffled_law`]), and otherwise it is
/// [`Error::NoClosedForm`].
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::batching::Batching;
/// use sgbayes::theory::{reshuffled_law, AffineRandomMap, DrawAt, ExampleMatrices};
/// // Full batch (B = N): one batch per epoch, no minibatch noise: the plain Lyapunov law.
/// let offsets = vec![DVector::from_element(1, 1.0), DVector::from_element(1, -1.0)];
/// let map = AffineRandomMap::new(ExampleMatrices::Shared(DMatrix::from_element(1, 1, 0.5)), offsets,
///     DMatrix::from_element(1, 1, 1.0), 2, Batching::WithoutReplacement).unwrap();
/// let (mean, cov) = reshuffled_law(&map, DrawAt::EveryStep).unwrap();
/// assert!(mean[0].abs() < 1e-15 && (cov[(0, 0)] - 1.0 / 0.75).abs() < 1e-12);
/// ```
pub fn reshuffled_law(
    map: &AffineRandomMap,
    draw_at: DrawAt,
) -> Result<(DVector<f64>, DMatrix<f64>)> {
    let ExampleMatrices::Shared(m) = map.example_matrices() else {
        // State-dependent minibatch noise: exact by enumeration for small N; beyond, exact for
        // B = 1 and commuting per-example maps; else NoClosedForm naming both limits.
        return match super::reshuffle_enumeration::enumerated_reshuffled_law(map, draw_at) {
            Err(Error::NoClosedForm { what: enumeration }) => {
                commuting_reshuffled_law(map, draw_at).map_err(|error| match error {
                    Error::NoClosedForm { what } => Error::NoClosedForm {
                        what: format!("{enumeration}; {what}"),
                    },
                    other => other,
                })
            }
            law => law,
        };
    };
    let n = map.state_dimension();
    let data_size = map.data_size();
    let b = map.batch_size();
    let epoch = data_size / b;
    let spectral_radius = map.mean_spectral_radius();
    if !(spectral_radius < 1.0) {
        return Err(Error::NotContracting { spectral_radius });
    }
    let c_bar = map.mean_offset();
    let mean = (DMatrix::identity(n, n) - m)
        .lu()
        .solve(&c_bar)
        .ok_or(Error::NotContracting { spectral_radius })?;
    let mut v = DMatrix::zeros(n, n);
    for c in map.example_offsets() {
        let dev = c - &c_bar;
        v.ger(1.0, &dev, &dev, 1.0);
    }
    v /= data_size as f64;
    let (a, bb) = if data_size > 1 {
        (
            (data_size - b) as f64 / (b as f64 * (data_size - 1) as f64),
            -1.0 / (data_size - 1) as f64,
        )
    } else {
        (0.0, 0.0)
    };
    let noise = map.noise_covariance();
    // Phase-r noise accumulated over r steps of one epoch, from a zero start.
    let within_epoch = |r: usize| -> DMatrix<f64> {
        let mut sum_congruence = DMatrix::zeros(n, n);
        let mut s_r = DMatrix::zeros(n, n);
        let mut power = DMatrix::identity(n, n); // M^{r−k} for k = r, r−1, …, 1
        for _ in 0..r {
            sum_congruence += &power * (&v * (a - bb) + noise) * power.transpose();
            s_r += &power;
            power = m * power;
        }
        sum_congruence + &s_r * &v * s_r.transpose() * bb
    };
    let m_epoch = m.pow(epoch as u32);
    let epoch_end = symmetrize(&solve_discrete_lyapunov(&m_epoch, &within_epoch(epoch))?);
    let covariance = match draw_at {
        DrawAt::EpochEnd => epoch_end,
        DrawAt::EveryStep => {
            let mut sum = DMatrix::zeros(n, n);
            for r in 0..epoch {
                let m_r = m.pow(r as u32);
                sum += &m_r * &epoch_end * m_r.transpose() + within_epoch(r);
            }
            symmetrize(&(sum / epoch as f64))
        }
    };
    Ok((mean, covariance))
}
