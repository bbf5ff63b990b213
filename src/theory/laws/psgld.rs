//! The law of preconditioned SGLD with a fixed preconditioner.

use super::description::{PreconditionerRule, SamplerLaw, Temperature};
use crate::config::{Preconditioner, SamplerConfig};

/// pSGLD with a fixed preconditioner G (Li, Chen, Carlson & Carin 2016, with G frozen; the Γ(θ)
/// correction vanishes for a constant G).
///
/// # Formula
/// θ' = θ − (ε/2) G ĝ(θ) + √(εT) G^{1/2} ξ: η = ε/2 (times G), τ² = εT (times G); the injected
/// noise targets T (1 for pSGLD; a tempered posterior ∝ posterior^(1/T) otherwise).
pub(super) struct Psgld {
    /// The preconditioner G (a given matrix; the parameters check refuses the optimal choices).
    pub(super) preconditioner: Preconditioner,
    /// The temperature T.
    pub(super) temperature: f64,
}

impl SamplerLaw for Psgld {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size * self.temperature)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::Configured(self.preconditioner)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }
}
