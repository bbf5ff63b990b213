//! The law of the Averaged Stochastic Gradient Sampler.

use super::description::{Draws, SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// ASGS (Mandt, Hoffman & Blei 2017, §5): the constant-SGD chain, whose draws are the means of
/// consecutive non-overlapping windows of n iterates.
///
/// # Formula
/// The iterates: θ' = θ − (ε/N) ĝ(θ), η = ε/N, τ = 0. A window mean has covariance
/// ≈ (γ/(Bn)) A⁻¹CA⁻¹ (Mandt et al. 2017, §5), i.e. T = γN/(Bn) when C = A: Smith's γεN/(2B)
/// times 2/(εn) (1 for one epoch, n = N/B, with replacement).
pub(super) struct Asgs {
    /// The window n.
    pub(super) window: usize,
}

impl SamplerLaw for Asgs {
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64) {
        (config.step_size / data_size as f64, 0.0)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::WindowMeans {
            window: self.window,
        }
    }

    fn draws(&self) -> Draws {
        Draws::WindowMeans {
            window: self.window,
        }
    }
}
