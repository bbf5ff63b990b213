//! The law of SGLD with control variates.

use super::description::{ControlVariate, SamplerLaw, Temperature};
use crate::config::{Anchor, SamplerConfig, SamplerKind};

/// SGLD-CV (Baker, Fearnhead, Fox & Nemeth 2019).
///
/// # Formula
/// θ' = θ − (ε/2) ĝ_cv(θ) + √ε ξ with ĝ_cv(θ) = ∇U(θ̂) + ĝ_S(θ) − ĝ_S(θ̂) (the paper's §3.1
/// estimate: the full gradient at the anchor θ̂ plus the minibatch difference, prior exact).
/// On a quadratic model ĝ_S(θ) = (1/B) Σ_k (K_{i_k} θ − r_{i_k}) and ∇U(θ̂) = K̄ θ̂ − r̄, so
/// ĝ_cv(θ) = (1/B) Σ_k (K_{i_k} θ − r^cv_{i_k}), r^cv_i = r̄ + (K_i − K̄) θ̂ (derived here): SGLD's
/// affine map (η = ε/2, τ² = ε) with the per-example offsets recentred. The stationary mean is
/// SGLD's; at θ̂ = the posterior mean m the offset deviations e_i = M_i m + η r^cv_i − m vanish,
/// so only the multiplicative minibatch noise (K_i − K̄)(θ − m) remains. At a temperature T the
/// injected noise is √(εT) ξ (τ² = εT), as tempered SGLD's (Welling & Teh 2011, eq. 4 with the
/// noise scaled by √T).
pub(super) struct SgldCv {
    /// The anchor θ̂.
    pub(super) anchor: Anchor,
    /// The temperature T.
    pub(super) temperature: f64,
}

impl SamplerLaw for SgldCv {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size * self.temperature)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }

    fn control_variate(&self) -> Option<ControlVariate> {
        Some(ControlVariate::Fixed(self.anchor))
    }

    fn with_anchor(&self, anchor: Anchor) -> Option<SamplerKind> {
        Some(SamplerKind::SgldCv {
            anchor,
            temperature: self.temperature,
        })
    }
}
