//! The stochastic gradient Nosé–Hoover thermostat: no closed-form law.

use super::description::{SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// SGNHT (Ding, Fang, Babbush, Chen, Skeel & Neven 2014, Algorithm 1).
///
/// # Formula
/// p' = p − ξ p h − ĝ(θ) h + √(2A h) ζ, θ' = θ + p' h, ξ' = ξ + (p'ᵀp'/d − 1) h, ξ(0) = A.
/// With u = h p (the paper's "SGD with momentum" form: η = h², α = ξ h, a = A h) one step at a
/// given ξ is SGHMC's (Chen et al. 2014, eq. 15): u' = (1 − ξ h) u − h² ĝ(θ) + N(0, 2A h³ I),
/// θ' = θ + u', so η = h² and τ² = 2 A h³ on u (state (θ, u)). The retention 1 − ξ h moves with
/// the thermostat, which adapts to the gradient noise (Ding et al. 2014, §3: ξ settles near A plus
/// the noise's share), and ξ multiplies the momentum: the chain is not an affine random map and
/// has no closed-form stationary law. In continuous time its θ-marginal is the posterior; at
/// finite h its draws are checked against the posterior within a stated tolerance
/// (`check --mode tolerance`, [`crate::check::tolerance`]).
pub(super) struct Sgnht {
    /// The diffusion A (ξ's initial value).
    pub(super) diffusion: f64,
}

impl SamplerLaw for Sgnht {
    /// (η, τ²) = (h², 2 A h³) of the u-form step.
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        let h = config.step_size;
        (h * h, 2.0 * self.diffusion * h * h * h)
    }

    /// The state has a momentum, but its retention 1 − ξ h is not a constant: NaN.
    fn momentum_retention(&self) -> Option<f64> {
        Some(f64::NAN)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }

    fn no_stationary_law(&self) -> Option<&'static str> {
        Some("sgnht's thermostat multiplies the momentum, so the chain is not an affine random map and has no closed-form stationary law; check its draws against the posterior with `check --mode tolerance`")
    }

    fn reference_only(&self) -> Option<&'static str> {
        Some("its thermostat adapts to the gradient noise and multiplies the momentum: no closed-form law; `check --mode tolerance` tests its draws against the posterior")
    }
}
