//! The reference law of RMSprop-adaptive preconditioned SGLD.

use super::description::{PreconditionerRule, SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// pSGLD with the RMSprop-adaptive diagonal preconditioner (Li, Chen, Carlson & Carin 2016,
/// Algorithm 1, Γ dropped). The chain of θ alone is not Markov (V carries memory); its reference
/// law is the fixed-G pSGLD law at the self-consistent G_∞ (`adaptive.rs`, our construction).
///
/// # Formula
/// θ' = θ − (ε/2) G ĝ(θ) + √ε G^{1/2} ξ with G = G_∞ = diag(1 ⊘ (λ + √V_∞)): η = ε/2 (times G),
/// τ² = ε (times G); T = 1. V_∞ = E[ḡ⊙ḡ] (the paper), or E[ĝ⊙ĝ] when V averages the whole
/// estimate (SGMCMCJax's form).
pub(super) struct PsgldRmsprop {
    /// The regulariser λ of G.
    pub(super) regularizer: f64,
    /// V averages the squares of the whole estimate ĝ.
    pub(super) full_estimate: bool,
}

impl SamplerLaw for PsgldRmsprop {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::RmspropReference {
            regularizer: self.regularizer,
            full_estimate: self.full_estimate,
        }
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }

    fn reference_only(&self) -> Option<&'static str> {
        Some("its adaptive preconditioner carries memory; its reference law is pSGLD with the self-consistent fixed preconditioner G")
    }
}
