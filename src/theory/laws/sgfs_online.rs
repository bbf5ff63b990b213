//! The reference law of stochastic gradient Fisher scoring with the online Fisher estimate.

use super::description::{NoisePlacement, PreconditionerRule, SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// SGFS with the paper's online Fisher estimate (Ahn, Korattikara & Welling 2012, eq. 11 and
/// §4). Î_t carries memory; the reference law is fixed-Fisher SGFS at the self-consistent Î_∞
/// (`adaptive.rs`, our construction).
///
/// # Formula
/// θ' = θ − H ĝ(θ) + H η, η ~ N(0, (4β/ε) I), H = 2 (γ N Î_∞ + (4β/ε) I)⁻¹, γ = (N + B)/B:
/// η = 1, τ² = 4β/ε entering before H (covariance τ² H²); T = 1.
pub(super) struct SgfsOnline {
    /// β of B_p = β I.
    pub(super) scale: f64,
}

impl SamplerLaw for SgfsOnline {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (1.0, 4.0 * self.scale / config.step_size)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::OnlineFisherScoring { scale: self.scale }
    }

    fn noise_placement(&self) -> NoisePlacement {
        NoisePlacement::BeforePreconditioner
    }

    fn preconditioner_scales_with_inverse_step(&self) -> bool {
        true
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }

    fn reference_only(&self) -> Option<&'static str> {
        Some("its running Fisher estimate carries memory; its reference law is fixed-Fisher SGFS at the self-consistent Fisher estimate")
    }
}
