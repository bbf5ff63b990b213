//! The law of tempered SGLD with a step-size schedule.

use super::description::{Cycle, Draws, SamplerLaw, Temperature};
use crate::config::{SamplerConfig, SamplerKind, StepSchedule};

/// SGLD at a temperature T (Welling & Teh 2011, eq. 4, with the injected noise scaled by √T).
///
/// # Formula
/// θ' = θ − (ε/2) ĝ(θ) + √(εT) ξ: η = ε/2, τ² = εT, no preconditioner; the injected noise
/// targets the tempered posterior ∝ posterior^(1/T) (covariance T P⁻¹ on a quadratic model as
/// ε → 0).
///
/// Cyclical schedule (Zhang, Li, Zhang, Chen & Wilson 2020, eq. 1): step k uses
/// ε_k = (ε/2)(cos(π mod(k, K)/K) + 1), so the states at the cycle ends form a time-homogeneous
/// chain whose step is the product of the K affine maps — its exact law (derived here; draws at the
/// cycle ends). A decreasing schedule ε_t = a(b + t)^(−γ) (Welling & Teh 2011, §3) has no
/// stationary law: the chain is not time-homogeneous, and with Σε_t = ∞, Σε_t² < ∞ it converges
/// in law to the tempered posterior itself (Teh, Thiery & Vollmer 2016).
pub(super) struct SgldGeneral {
    /// The temperature T.
    pub(super) temperature: f64,
    /// The step-size schedule.
    pub(super) schedule: StepSchedule,
}

impl SamplerLaw for SgldGeneral {
    fn step_scales(&self, config: &SamplerConfig, _data_size: usize) -> (f64, f64) {
        (config.step_size / 2.0, config.step_size * self.temperature)
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }

    fn draws(&self) -> Draws {
        match self.schedule {
            StepSchedule::Cyclical { cycle_length } => Draws::CycleEnds {
                length: cycle_length,
            },
            _ => Draws::Iterates,
        }
    }

    fn cycle(&self, config: &SamplerConfig) -> Option<Cycle> {
        let StepSchedule::Cyclical { cycle_length } = self.schedule else {
            return None;
        };
        let steps = (0..cycle_length as u64)
            .map(|k| SamplerConfig {
                kind: SamplerKind::SgldGeneral {
                    temperature: self.temperature,
                    schedule: StepSchedule::Constant,
                },
                step_size: self.schedule.step_size(config.step_size, k),
                ..*config
            })
            .collect();
        Some(Cycle {
            momentum_refresh: None,
            steps,
            position_first: false,
            one_batch: false,
            anchor_reset: false,
        })
    }

    fn no_stationary_law(&self) -> Option<&'static str> {
        matches!(self.schedule, StepSchedule::Polynomial { .. }).then_some(
            "a stationary law for a decreasing step-size schedule: the chain is not time-homogeneous and has none; with sum eps_t = infinity and sum eps_t^2 < infinity (0.5 < gamma <= 1) it converges in law to the tempered posterior itself (Welling & Teh 2011; Teh, Thiery & Vollmer 2016), whose law `theory` reports as `posterior` for a constant schedule",
        )
    }
}
