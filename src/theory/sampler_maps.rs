//! Each sampler's update written as an affine random map, from the papers' update equations
//! (not from the code in `samplers/`; the probe tests in `tests/` check the two agree).

use nalgebra::{DMatrix, SymmetricEigen};

use super::affine_map::{AffineRandomMap, ExampleMatrices};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// The generic gradient step θ' = θ − η ĝ_S(θ) + τ ξ of a configuration: (η, τ²).
///
/// # Formula
/// * SGLD (Welling & Teh 2011, eq. 4): η = ε/2, τ² = ε.
/// * Constant SGD on L = U/N (Mandt et al. 2017, §2): η = ε/N, τ = 0.
pub fn gradient_step_scales(config: &SamplerConfig, data_size: usize) -> (f64, f64) {
    match config.kind {
        SamplerKind::Sgld => (config.step_size / 2.0, config.step_size),
        SamplerKind::Sgd => (config.step_size / data_size as f64, 0.0),
    }
}

/// Largest eigenvalue of the posterior precision P (the Hessian of U).
pub fn largest_curvature<M: QuadraticModel + ?Sized>(model: &M) -> f64 {
    SymmetricEigen::new(model.posterior_precision())
        .eigenvalues
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The step-size limit of the mean iteration θ̄' = (I − ηP) θ̄ + const: η λ_max(P) < 2, i.e.
/// ε < 2/(c λ_max(P)) for η = c ε (SGLD: ε < 4/λ_max(P); SGD: ε < 2N/λ_max(P) = 2/λ_max(∇²L)).
pub fn stability_limit<M: QuadraticModel + ?Sized>(config: &SamplerConfig, model: &M) -> f64 {
    let (eta, _) = gradient_step_scales(config, model.data_size());
    2.0 * config.step_size / (eta * largest_curvature(model))
}

/// The affine random map of one step of the configured sampler on a quadratic model.
///
/// # Formula
/// With ĝ_S(θ) = Λ₀(θ − m₀) + (N/B) Σ_{k} (H_{i_k} θ − b_{i_k}) = (1/B) Σ_k [Λ₀θ − Λ₀m₀ + N(H_{i_k}θ − b_{i_k})],
/// the step θ' = θ − η ĝ_S(θ) + τ ξ has per-example pieces
/// M_i = I − η(Λ₀ + N H_i), c_i = η(Λ₀ m₀ + N b_i), and noise covariance τ² I.
///
/// Errors: ε ≤ 0 or non-finite, B outside 1..=N, ε past [`stability_limit`], reshuffled batches.
pub fn affine_map<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<AffineRandomMap> {
    let data_size = model.data_size();
    config.validate(data_size)?;
    let limit = stability_limit(config, model);
    if !(config.step_size < limit) {
        return Err(Error::PastStabilityLimit {
            step_size: config.step_size,
            limit,
        });
    }
    let (eta, tau_squared) = gradient_step_scales(config, data_size);
    let d = model.dimension();
    let n = data_size as f64;
    let prior_precision = model.prior_precision();
    let identity = DMatrix::<f64>::identity(d, d);
    let prior_pull = &prior_precision * model.prior_mean();
    let offsets = (0..data_size)
        .map(|i| (&prior_pull + model.example_offset(i) * n) * eta)
        .collect();
    let first = model.example_hessian(0);
    let shared = (1..data_size).all(|i| model.example_hessian(i) == first);
    let matrices = if shared {
        ExampleMatrices::Shared(&identity - (&prior_precision + first * n) * eta)
    } else {
        ExampleMatrices::PerExample(
            (0..data_size)
                .map(|i| &identity - (&prior_precision + model.example_hessian(i) * n) * eta)
                .collect(),
        )
    };
    AffineRandomMap::new(
        matrices,
        offsets,
        identity * tau_squared,
        config.batch_size,
        config.batching,
    )
}
