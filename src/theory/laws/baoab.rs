//! The law of the BAOAB splitting with stochastic gradients.

use super::description::{SamplerLaw, Splitting, Temperature};
use crate::config::SamplerConfig;

/// BAOAB (Leimkuhler & Matthews 2013) with one minibatch gradient per step (SGMCMCJax 0.2).
///
/// # Formula
/// The paper's step B A O A B with h = √ε, c = e^(−γh), unit mass and temperature: v ← v −
/// (h/2)∇U(θ), θ ← θ + (h/2) v, v ← c v + √(1 − c²) ξ, θ ← θ + (h/2) v, v ← v − (h/2)∇U(θ). With
/// the closing half-kick and the next opening one sharing one minibatch gradient, the positions
/// are a chain in (θ, u), u the velocity before the closing half-kick (derived here):
/// p = u − h ĝ_S(θ), θ' = θ + a p + (h/2) s ξ, u' = c p + s ξ, a = (h/2)(1 + c), s² = 1 − c²;
/// per example M_i = [[I − a h K_i, a I], [−c h K_i, c I]], c_i = (a h r_i, c h r_i), noise
/// s² [[h²/4, h/2], [h/2, 1]] ⊗ I. For each eigenvalue λ of P the mean map has trace
/// (1 + c)(1 − h²λ/2) and determinant c, so by the Jury criterion it is stable iff
/// 0 < h²λ < 4 for every c ∈ [0, 1): ε λ_max(P) < 4, independent of γ (derived here). The
/// mean-square limit is lower when the minibatch matrices K_S vary (linear regression) and equal
/// to it when they do not (Gaussian mean); as γ → ∞ (c → 0) the position map becomes
/// θ' = (I − (ε/2) K_S) θ + …, whose mean-square limit is SGLD's. At a temperature T the refresh is
/// u ← c u + √(T(1 − c²)) ξ: s² = T(1 − c²) in the noise above (the OU part's invariant velocity
/// law N(0, T I); the positions target posterior^(1/T)).
pub(super) struct Baoab {
    /// The friction γ per unit time.
    pub(super) friction: f64,
    /// The temperature T.
    pub(super) temperature: f64,
}

impl Baoab {
    /// (h, c).
    fn time_step_and_retention(&self, config: &SamplerConfig) -> (f64, f64) {
        let h = config.step_size.sqrt();
        (h, (-self.friction * h).exp())
    }
}

impl SamplerLaw for Baoab {
    /// η = ε = h² (the bound of [`SamplerLaw::mean_stability_bound`] is on h²λ), τ² = T(1 − c²).
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        let (_, c) = self.time_step_and_retention(config);
        (config.step_size, self.temperature * (1.0 - c * c))
    }

    fn has_velocity(&self) -> bool {
        true
    }

    fn mean_stability_bound(&self) -> Option<f64> {
        Some(4.0)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }

    fn splitting(&self, config: &SamplerConfig) -> Option<Splitting> {
        let (h, c) = self.time_step_and_retention(config);
        let s2 = self.temperature * (1.0 - c * c);
        Some(Splitting {
            kick: h,
            drift: 0.5 * h * (1.0 + c),
            retention: c,
            noise: (s2 * h * h / 4.0, s2 * h / 2.0, s2),
        })
    }
}
