//! The plain configuration shared by samplers and closed forms.
//!
//! `samplers/` and `theory/` never import each other: both read a [`SamplerConfig`]. The sampler
//! builds its update from it; the theory writes the same update's affine map from the paper's
//! equation. Probe tests in `tests/` tie the two.

use serde::{Deserialize, Serialize};

use crate::batching::Batching;
use crate::error::{Error, Result};

/// Which sampler (update rule) a configuration describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SamplerKind {
    /// Stochastic gradient Langevin dynamics (Welling & Teh 2011):
    /// θ ← θ − (ε/2) ĝ(θ) + √ε ξ.
    Sgld,
    /// Constant-step SGD on L = U/N (Mandt, Hoffman & Blei 2017): θ ← θ − (ε/N) ĝ(θ).
    Sgd,
}

impl SamplerKind {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            SamplerKind::Sgld => "sgld",
            SamplerKind::Sgd => "sgd",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "sgld" => Ok(SamplerKind::Sgld),
            "sgd" => Ok(SamplerKind::Sgd),
            other => Err(Error::Invalid {
                what: "sampler".into(),
                why: format!("unknown sampler '{other}' (expected sgd or sgld)"),
            }),
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
    /// Checks the parts that do not depend on the model's curvature: ε finite and positive,
    /// 1 ≤ B ≤ N. The stability limit is checked by the closed forms, which know the curvature.
    pub fn validate(&self, data_size: usize) -> Result<()> {
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
