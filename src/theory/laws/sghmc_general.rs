//! The law of SGHMC in the forms the libraries ship (refresh, position-first order, batch reuse).

use super::description::{Cycle, Draws, SamplerLaw, Temperature};
use crate::config::{SamplerConfig, SamplerKind};

/// SGHMC with a momentum refresh every L steps, the position-first order and one minibatch per
/// trajectory (Chen, Fox & Guestrin 2014, eq. 15 and Algorithm 2; the options as blackjax 1.x and
/// SGMCMCJax 0.2 ship them).
///
/// # Formula
/// One step is an affine random map of z = (θ, v) (η = ε, ρ = 1 − α, τ² = 2(α − β̂)ε, ĝ_S(θ) =
/// (1/B) Σ_k (K_{i_k} θ − r_{i_k})):
/// * velocity first (eq. 15): M_i = [[I − ηK_i, ρI], [−ηK_i, ρI]], c_i = (η r_i, η r_i), noise
///   τ² [[I, I], [I, I]];
/// * position first (blackjax, SGMCMCJax): θ' = θ + v, v' = ρ v − η ĝ_S(θ) + τ ξ, so
///   M_i = [[I, I], [−ηK_i, ρI]], c_i = (0, η r_i), noise τ² [[0, 0], [0, I]] (derived here).
///
/// The refresh v ← √ε ζ is the affine map z ↦ diag(I, 0) z + (0, √ε ζ). A trajectory is the
/// refresh followed by L steps, and its end states (the draws) form a Markov chain whose step is
/// the composition — an affine random map again, with independent batches per step, or with one
/// batch S for all L steps (then the L-step map is a product of L maps with the same S; derived
/// here). Per step, position first is mean-stable iff η λ_max(P) < α (Jury criterion on
/// z² − (1 + ρ) z + ρ + ηλ; derived here), against 2(2 − α) velocity first. With L = 1 and a
/// refresh, θ' = θ + √ε ζ: no gradient reaches the position and the draws are a random walk.
pub(super) struct SghmcGeneral {
    /// The friction α.
    pub(super) friction: f64,
    /// The gradient-noise estimate β̂.
    pub(super) noise_estimate: f64,
    /// The refresh period L, if any.
    pub(super) refresh_every: Option<usize>,
    /// Position-first order.
    pub(super) position_first: bool,
    /// One minibatch per trajectory.
    pub(super) batch_per_trajectory: bool,
}

impl SamplerLaw for SghmcGeneral {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        let eps = config.step_size;
        (eps, 2.0 * (self.friction - self.noise_estimate) * eps)
    }

    fn momentum_retention(&self) -> Option<f64> {
        Some(1.0 - self.friction)
    }

    fn mean_stability_bound(&self) -> Option<f64> {
        self.position_first.then_some(self.friction)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(1.0)
    }

    fn draws(&self) -> Draws {
        match self.refresh_every {
            Some(length) => Draws::CycleEnds { length },
            None => Draws::Iterates,
        }
    }

    fn cycle(&self, config: &SamplerConfig) -> Option<Cycle> {
        if self.refresh_every.is_none() && !self.position_first && !self.batch_per_trajectory {
            // Today's SGHMC step, repeated.
            return None;
        }
        let step = SamplerConfig {
            kind: SamplerKind::Sghmc {
                friction: self.friction,
                noise_estimate: self.noise_estimate,
            },
            ..*config
        };
        Some(Cycle {
            momentum_refresh: self.refresh_every.map(|_| config.step_size),
            steps: vec![step; self.refresh_every.unwrap_or(1)],
            position_first: self.position_first,
            // A trajectory of one step draws one batch either way: the same chain as fresh
            // batches (and the same law, with its random-walk refusal at L = 1 position first).
            one_batch: self.batch_per_trajectory && self.refresh_every != Some(1),
            anchor_reset: false,
        })
    }
}
