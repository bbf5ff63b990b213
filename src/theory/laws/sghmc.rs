//! The law of stochastic gradient Hamiltonian Monte Carlo.

use super::description::{SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// SGHMC in the "SGD with momentum" form (Chen, Fox & Guestrin 2014).
///
/// # Formula
/// v' = v − η ĝ(θ) − α v + N(0, 2(α − β̂)η I), θ' = θ + v' (Chen et al. 2014, eq. 15) with the
/// learning rate η = ε: η = ε, τ² = 2(α − β̂)ε (on v), retention ρ = 1 − α, state (θ, v); the
/// injected noise targets T = 1.
pub(super) struct Sghmc {
    /// The friction α.
    pub(super) friction: f64,
    /// The gradient-noise estimate β̂.
    pub(super) noise_estimate: f64,
}

impl SamplerLaw for Sghmc {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        let eps = config.step_size;
        (eps, 2.0 * (self.friction - self.noise_estimate) * eps)
    }

    fn momentum_retention(&self) -> Option<f64> {
        Some(1.0 - self.friction)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }
}
