//! The law of minibatch natural gradient descent.

use super::description::{PreconditionerRule, SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// Minibatch NGD (Smith, Kindermans, Ying & Le 2018).
///
/// # Formula
/// Δθ = −(ε/N) F⁻¹ ĝ(θ), F the per-example Fisher information (constant on quadratic models):
/// η = ε/N (times H = F⁻¹), τ = 0; temperature εN/(2B) (× γ without replacement; Smith et al.
/// 2018, §3).
pub(super) struct Ngd;

impl SamplerLaw for Ngd {
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64) {
        (config.step_size / data_size as f64, 0.0)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::InverseFisher
    }

    fn temperature(&self, config: &SamplerConfig) -> Temperature {
        Temperature::Minibatch {
            step_size: config.step_size,
        }
    }
}
