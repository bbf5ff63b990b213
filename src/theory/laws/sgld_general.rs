//! The law of tempered SGLD with a step-size schedule.

use super::description::{SamplerLaw, Temperature};
use crate::config::{SamplerConfig, StepSchedule};

/// SGLD at a temperature T (Welling & Teh 2011, eq. 4, with the injected noise scaled by √T).
///
/// # Formula
/// θ' = θ − (ε/2) ĝ(θ) + √(εT) ξ: η = ε/2, τ² = εT, no preconditioner; the injected noise
/// targets the tempered posterior ∝ posterior^(1/T) (covariance T P⁻¹ on a quadratic model as
/// ε → 0).
pub(super) struct SgldGeneral {
    /// The temperature T.
    pub(super) temperature: f64,
    /// The step-size schedule.
    pub(super) schedule: StepSchedule,
}

impl SamplerLaw for SgldGeneral {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        let StepSchedule::Constant = self.schedule;
        (config.step_size / 2.0, config.step_size * self.temperature)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }
}
