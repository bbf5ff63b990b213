//! The law of stochastic gradient Fisher scoring with a fixed Fisher estimate.

use super::description::{NoisePlacement, PreconditionerRule, SamplerLaw, Temperature};
use crate::config::{Preconditioner, SamplerConfig, SamplerKind};

/// SGFS with a fixed Fisher estimate Î (Ahn, Korattikara & Welling 2012, eq. 11 with Î held
/// fixed; B_p = β I).
///
/// # Formula
/// θ' = θ − H ĝ(θ) + H η, η ~ N(0, (4β/ε) I), H = 2 (γ N Î + (4β/ε) I)⁻¹, γ = (N + B)/B: unit
/// drift scale on H (η = 1), noise τ² = 4β/ε entering before H (covariance τ² H²); H scales
/// with 1/ε as ε → 0. The injected noise targets T = 1.
pub(super) struct Sgfs {
    /// The Fisher estimate Î (a given matrix, or the exact empirical Fisher).
    pub(super) fisher: Preconditioner,
    /// β of B_p = β I.
    pub(super) scale: f64,
}

impl SamplerLaw for Sgfs {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (1.0, 4.0 * self.scale / config.step_size)
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::FisherScoring {
            fisher: self.fisher,
            scale: self.scale,
        }
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

    fn with_matrix(&self, matrix: Preconditioner) -> Option<SamplerKind> {
        Some(SamplerKind::Sgfs {
            fisher: matrix,
            scale: self.scale,
        })
    }
}
