//! The law of heavy-ball SGD.

use super::description::{SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// SGD with momentum as a sampler (Mandt, Hoffman & Blei 2017, §4).
///
/// # Formula
/// v' = (1 − μ) v − (ε/N) ĝ(θ), θ' = θ + v': η = ε/N, τ = 0, retention ρ = 1 − μ, state
/// (θ, v). Momentum acts like SGD with learning rate ε/μ (Mandt et al. 2017, §4), so its
/// temperature is Smith et al.'s at ε/μ.
pub(super) struct SgdMomentum {
    /// The damping μ.
    pub(super) damping: f64,
}

impl SamplerLaw for SgdMomentum {
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64) {
        (config.step_size / data_size as f64, 0.0)
    }

    fn momentum_retention(&self) -> Option<f64> {
        Some(1.0 - self.damping)
    }

    fn temperature(&self, config: &SamplerConfig) -> Temperature {
        Temperature::Minibatch {
            step_size: config.step_size / self.damping,
        }
    }
}
