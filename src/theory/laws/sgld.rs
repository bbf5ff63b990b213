//! The law of stochastic gradient Langevin dynamics.

use super::description::{SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// SGLD (Welling & Teh 2011).
///
/// # Formula
/// θ' = θ − (ε/2) ĝ(θ) + √ε ξ (Welling & Teh 2011, eq. 4): η = ε/2, τ² = ε, no preconditioner;
/// the injected noise targets the posterior, T = 1.
pub(super) struct Sgld;

impl SamplerLaw for Sgld {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }
}
