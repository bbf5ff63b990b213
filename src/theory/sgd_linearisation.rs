//! Constant-step SGD in the learning-rate convention of Adhikari et al. 2023 ("Machine learning in
//! and out of equilibrium", arXiv:2306.03521), w ← w − η∇L_b(w), and its linearisation at a
//! minimum (the paper's Ornstein–Uhlenbeck description, claims 2 and 5 of the digest).
//!
//! # Formula
//! The crate's SGD is θ ← θ − (ε/N)∇L_b, so the paper's η is ε = ηN ([`sgd_config`]). Near a
//! minimum w* the chain is w' − w* = (I − ηH)(w − w*) + noise with H = ∇²L(w*) and per-step
//! diffusion D = ½Cov(Δw) = (η²/2)S(w*), S the covariance of the minibatch gradient at w* (paper
//! claim 2, with the finite-population factor of distinct indices) ([`linearisation`]).
//!
//! ```
//! use sgbayes::batching::Batching;
//! use sgbayes::models::GaussianMean;
//! use sgbayes::theory::sgd_linearisation::{linearisation, sgd_config};
//! use nalgebra::DMatrix;
//! let model = GaussianMean::new(
//!     DMatrix::identity(1, 1),
//!     vec![vec![-1.0], vec![0.0], vec![1.0], vec![2.0]],
//!     vec![0.0],
//!     1.0,
//! )
//! .unwrap();
//! assert_eq!(sgd_config(4, 0.01, 2, Batching::WithoutReplacement).step_size, 0.04);
//! let near = linearisation(&model, &[0.4], 0.01, 2).unwrap();
//! assert!((near.hessian()[(0, 0)] - 5.0).abs() < 1e-12);
//! ```

use nalgebra::DMatrix;

use super::nonequilibrium::{report_at, CurvatureModel, NearMinimum};
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;

/// The crate's SGD configuration for the paper's learning rate η: ε = ηN.
pub fn sgd_config(
    data_size: usize,
    learning_rate: f64,
    batch_size: usize,
    batching: Batching,
) -> SamplerConfig {
    SamplerConfig::new(
        SamplerKind::Sgd,
        learning_rate * data_size as f64,
        batch_size,
        batching,
    )
}

/// The linearised SGD chain at the minimum `minimum` of `model` for learning rate η and batches of
/// `batch_size` distinct indices: (w*, H, D = (η²/2)S(w*)) as a [`NearMinimum`].
pub fn linearisation(
    model: &dyn CurvatureModel,
    minimum: &[f64],
    learning_rate: f64,
    batch_size: usize,
) -> Result<NearMinimum> {
    let config = sgd_config(
        model.data_size(),
        learning_rate,
        batch_size,
        Batching::WithoutReplacement,
    );
    let theory = report_at(model, minimum, &config)?;
    let matrix = |rows: &[Vec<f64>]| DMatrix::from_fn(rows.len(), rows.len(), |i, j| rows[i][j]);
    NearMinimum::new(
        learning_rate,
        matrix(&theory.hessian),
        matrix(&theory.diffusion),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::GaussianMean;

    #[test]
    fn learning_rate_is_step_size_over_data_size() {
        let config = sgd_config(200, 1e-6, 10, Batching::Reshuffle);
        assert_eq!(config.kind, SamplerKind::Sgd);
        assert_eq!(
            (config.batch_size, config.batching),
            (10, Batching::Reshuffle)
        );
        assert!((config.step_size - 2e-4).abs() < 1e-18);
    }

    #[test]
    fn diffusion_is_half_eta_squared_times_the_gradient_covariance() {
        // Centres ±1 (N = 2, curvature 1, prior precision 1), batches of B = 1 at θ = 0:
        // g_i = ∓1, S = γ[NΣg_i² − (Σg_i)²]/B = 4 with γ = (N − B)/(N − 1) = 1, so D = 2η².
        let model = GaussianMean::new(
            DMatrix::identity(1, 1),
            vec![vec![-1.0], vec![1.0]],
            vec![0.0],
            1.0,
        )
        .unwrap();
        let eta = 0.1;
        let near = linearisation(&model, &[0.0], eta, 1).unwrap();
        assert!((near.hessian()[(0, 0)] - 3.0).abs() < 1e-12);
        assert!((near.diffusion()[(0, 0)] - 0.5 * eta * eta * 4.0).abs() < 1e-12);
        assert!(linearisation(&model, &[0.0], -1.0, 1).is_err());
    }
}
