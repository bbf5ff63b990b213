//! The law of stochastic variance-reduced gradient Langevin dynamics.

use super::description::{ControlVariate, Cycle, Draws, SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// SVRG-LD (Dubey, Reddi, Póczos, Smola, Xing & Williamson 2016).
///
/// # Formula
/// Each epoch resets the anchor θ̃ ← θ, then takes K steps θ' = θ − (ε/2) ĝ_cv(θ) + √ε ξ with
/// ĝ_cv(θ) = ∇U(θ̃) + ĝ_S(θ) − ĝ_S(θ̃) (Algorithm 2). On a quadratic model, with
/// ĝ_S(θ) = (1/B) Σ_k (K_{i_k} θ − r_{i_k}) and ∇U(θ̃) = K̄ θ̃ − r̄, one step is an affine random map
/// of z = (θ, θ̃) (derived here; η = ε/2):
/// M_i = [[I − η K_i, η (K_i − K̄)], [0, I]],  c_i = (η r̄, 0),  noise ε [[I, 0], [0, 0]],
/// and the reset is z ↦ [[I, 0], [I, 0]] z. The epoch ends form a Markov chain whose step is the
/// reset followed by the K steps: its exact law is the cycle law (`cycle_map.rs`). The mean map
/// of θ does not involve θ̃ (E[K_S − K̄] = 0), so the mean is stable iff ε λ_max(P) < 4, as
/// SGLD's; K = 1 is full-gradient SGLD. At a temperature T the injected noise is √(εT) ξ (the
/// noise block εT).
pub(super) struct SvrgLd {
    /// The epoch length K.
    pub(super) epoch_length: usize,
    /// The temperature T.
    pub(super) temperature: f64,
}

impl SamplerLaw for SvrgLd {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size * self.temperature)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }

    fn control_variate(&self) -> Option<ControlVariate> {
        Some(ControlVariate::Reset)
    }

    fn draws(&self) -> Draws {
        Draws::CycleEnds {
            length: self.epoch_length,
        }
    }

    fn cycle(&self, config: &SamplerConfig) -> Option<Cycle> {
        Some(Cycle {
            momentum_refresh: None,
            steps: vec![*config; self.epoch_length],
            position_first: false,
            one_batch: false,
            anchor_reset: true,
        })
    }
}
