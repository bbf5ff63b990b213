//! The law of preconditioned SGLD with a fixed preconditioner.

use super::description::{PreconditionerRule, SamplerLaw, Temperature};
use crate::config::{Preconditioner, SamplerConfig};

/// pSGLD with a fixed preconditioner G (Li, Chen, Carlson & Carin 2016, with G frozen; the Γ(θ)
/// correction vanishes for a constant G).
///
/// # Formula
/// θ' = θ − (ε/2) G ĝ(θ) + √ε G^{1/2} ξ: η = ε/2 (times G), τ² = ε (times G); T = 1.
pub(super) struct Psgld {
    /// The preconditioner G (a given matrix; the parameters check refuses the optimal choices).
    pub(super) preconditioner: Preconditioner,
}

impl SamplerLaw for Psgld {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::Configured(self.preconditioner)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }
}
