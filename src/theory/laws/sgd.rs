//! The law of constant-step SGD.

use super::description::{SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// Constant SGD on L = U/N (Mandt, Hoffman & Blei 2017).
///
/// # Formula
/// θ' = θ − (ε/N) ĝ(θ) (Mandt et al. 2017, §2): η = ε/N, τ = 0. Its temperature is Smith et
/// al.'s (2018) εN/(2B) (× γ without replacement), and Mandt et al.'s Theorem 1 gives the
/// KL-optimal ε*.
pub(super) struct Sgd;

impl SamplerLaw for Sgd {
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64) {
        (config.step_size / data_size as f64, 0.0)
    }

    fn temperature(&self, config: &SamplerConfig) -> Temperature {
        Temperature::Minibatch {
            step_size: config.step_size,
        }
    }

    fn has_kl_optimal_step_size(&self) -> bool {
        true
    }
}
