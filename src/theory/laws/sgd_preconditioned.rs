//! The law of preconditioned constant SGD.

use super::description::{PreconditionerRule, SamplerLaw, Temperature};
use crate::config::{Preconditioner, SamplerConfig, SamplerKind};

/// Preconditioned constant SGD (Mandt, Hoffman & Blei 2017, §4, Theorem 2).
///
/// # Formula
/// θ' = θ − ε H ∇L̂_S(θ) = θ − (ε/N) H ĝ(θ): η = ε/N (times H), τ = 0. Theorem 2's optimum
/// H* = (2B/(γεN)) C⁻¹ scales with 1/ε and makes the Ornstein–Uhlenbeck law the posterior
/// (T = 1); a given or diagonal H has no scalar temperature.
pub(super) struct SgdPreconditioned {
    /// The preconditioner H.
    pub(super) preconditioner: Preconditioner,
}

impl SamplerLaw for SgdPreconditioned {
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64) {
        (config.step_size / data_size as f64, 0.0)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::Configured(self.preconditioner)
    }

    fn preconditioner_scales_with_inverse_step(&self) -> bool {
        matches!(
            self.preconditioner,
            Preconditioner::Optimal | Preconditioner::OptimalDiagonal
        )
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        if self.preconditioner == Preconditioner::Optimal {
            Temperature::Target(1.0)
        } else {
            Temperature::NotScalar
        }
    }

    fn with_matrix(&self, matrix: Preconditioner) -> Option<SamplerKind> {
        Some(SamplerKind::SgdPreconditioned {
            preconditioner: matrix,
        })
    }
}
