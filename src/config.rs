//! The plain configuration shared by samplers and closed forms.
//!
//! `samplers/` and `theory/` never import each other: both read a [`SamplerConfig`]. The sampler
//! builds its update from it; the theory writes the same update's affine map from the paper's
//! equation. Probe tests in `tests/` tie the two.

use serde::{Deserialize, Serialize};

use crate::batching::Batching;
use crate::error::{Error, Result};

/// Which sampler (update rule) a configuration describes, with the parameters only that sampler
/// has. ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ) is the unbiased minibatch estimate of ∇U.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SamplerKind {
    /// Stochastic gradient Langevin dynamics (Welling & Teh 2011):
    /// θ ← θ − (ε/2) ĝ(θ) + √ε ξ.
    Sgld,
    /// Constant-step SGD on L = U/N (Mandt, Hoffman & Blei 2017): θ ← θ − (ε/N) ĝ(θ).
    Sgd,
    /// Heavy-ball SGD as a sampler (Mandt, Hoffman & Blei 2017, §4, SGD with momentum):
    /// v ← (1 − μ) v − (ε/N) ĝ(θ); θ ← θ + v. State (θ, v).
    SgdMomentum {
        /// Damping μ ∈ (0, 1] (μ = 1: plain SGD).
        #[doc(alias = "mu")]
        damping: f64,
    },
    /// Stochastic gradient Hamiltonian Monte Carlo in the "SGD with momentum" form of Chen, Fox &
    /// Guestrin (2014, eq. 15): v ← v − η ĝ(θ) − α v + N(0, 2(α − β̂)η I); θ ← θ + v, with the
    /// learning rate η = `step_size`. State (θ, v).
    Sghmc {
        /// Friction α ∈ (0, 1] (per step, α = ε M⁻¹ C in the paper's symbols).
        #[doc(alias = "alpha")]
        friction: f64,
        /// Estimate β̂ ∈ [0, α] of the gradient-noise term ε M⁻¹ B̂ (0: ignore the gradient noise).
        #[doc(alias = "beta_hat")]
        noise_estimate: f64,
    },
}

impl SamplerKind {
    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            SamplerKind::Sgld => "sgld",
            SamplerKind::Sgd => "sgd",
            SamplerKind::SgdMomentum { .. } => "sgd-momentum",
            SamplerKind::Sghmc { .. } => "sghmc",
        }
    }

    /// Parses the command-line name of a sampler without parameters (`sgd`, `sgld`); samplers with
    /// parameters are built as enum variants directly.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "sgld" => Ok(SamplerKind::Sgld),
            "sgd" => Ok(SamplerKind::Sgd),
            other => Err(Error::Invalid {
                what: "sampler".into(),
                why: format!("unknown parameter-free sampler '{other}' (expected sgd or sgld)"),
            }),
        }
    }

    /// True for the samplers whose chain state is (θ, v) of dimension 2d.
    pub fn has_momentum(&self) -> bool {
        matches!(
            self,
            SamplerKind::SgdMomentum { .. } | SamplerKind::Sghmc { .. }
        )
    }

    /// Checks the sampler's own parameters: μ ∈ (0, 1]; α ∈ (0, 1] and 0 ≤ β̂ ≤ α.
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: &str, why: String| {
            Err(Error::Invalid {
                what: what.into(),
                why,
            })
        };
        match *self {
            SamplerKind::Sgld | SamplerKind::Sgd => Ok(()),
            SamplerKind::SgdMomentum { damping } => {
                if !(damping > 0.0 && damping <= 1.0) {
                    return invalid(
                        "damping",
                        format!("the damping mu must lie in (0, 1], got {damping}"),
                    );
                }
                Ok(())
            }
            SamplerKind::Sghmc {
                friction,
                noise_estimate,
            } => {
                if !(friction > 0.0 && friction <= 1.0) {
                    return invalid(
                        "friction",
                        format!("the friction alpha must lie in (0, 1], got {friction}"),
                    );
                }
                if !(noise_estimate >= 0.0 && noise_estimate.is_finite()) {
                    return invalid(
                        "noise estimate",
                        format!("the noise estimate beta_hat must be finite and >= 0, got {noise_estimate}"),
                    );
                }
                if noise_estimate > friction {
                    return invalid(
                        "friction",
                        format!("the friction alpha = {friction} is below the noise estimate beta_hat = {noise_estimate}: the injected noise variance 2(alpha - beta_hat) eta would be negative"),
                    );
                }
                Ok(())
            }
        }
    }
}

/// Step size, batch size and batching scheme of a sampler run.
///
/// `step_size` is ε in the convention of the sampler's paper (see [`SamplerKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplerConfig {
    /// The update rule.
    pub kind: SamplerKind,
    /// Step size ε (learning rate) in the sampler's own convention.
    #[doc(alias = "epsilon")]
    pub step_size: f64,
    /// Minibatch size B, 1 ≤ B ≤ N.
    pub batch_size: usize,
    /// How minibatches are drawn.
    pub batching: Batching,
}

impl SamplerConfig {
    /// A configuration from its four parts.
    pub fn new(kind: SamplerKind, step_size: f64, batch_size: usize, batching: Batching) -> Self {
        Self {
            kind,
            step_size,
            batch_size,
            batching,
        }
    }

    /// Checks the parts that do not depend on the model's curvature: ε finite and positive,
    /// 1 ≤ B ≤ N, and the sampler's own parameters ([`SamplerKind::validate`]). The stability
    /// limit is checked by the closed forms, which know the curvature.
    pub fn validate(&self, data_size: usize) -> Result<()> {
        self.kind.validate()?;
        if !(self.step_size.is_finite() && self.step_size > 0.0) {
            return Err(Error::NonPositiveStepSize {
                step_size: self.step_size,
            });
        }
        if self.batch_size == 0 || self.batch_size > data_size {
            return Err(Error::BatchSize {
                batch_size: self.batch_size,
                data_size,
            });
        }
        Ok(())
    }
}
