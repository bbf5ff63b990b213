//! The law of stochastic natural gradient descent.

use super::description::{PreconditionerRule, SamplerLaw, Temperature};
use crate::config::SamplerConfig;

/// Stochastic NGD (Smith, Duckworth, Rezchikov, Le & Sohl-Dickstein 2018, in our
/// Riemannian-Langevin form).
///
/// # Formula
/// θ' = θ − (ε/N) F⁻¹ ĝ(θ) + (εT/N) Γ(θ) + √(2ε T_inj/N) F^{−1/2} ξ with Γ = 0 on quadratic
/// models (constant F): η = ε/N (times F⁻¹), τ² = 2ε T_inj/N (times F⁻¹),
/// T_inj = T − εNγ/(2B) ([`SamplerConfig::injected_temperature`]); the target temperature T.
pub(super) struct StochasticNgd {
    /// The target temperature T.
    pub(super) temperature: f64,
}

impl SamplerLaw for StochasticNgd {
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64) {
        let eps = config.step_size;
        (
            eps / data_size as f64,
            2.0 * eps * config.injected_temperature(data_size) / data_size as f64,
        )
    }

    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::InverseFisher
    }

    fn temperature(&self, _config: &SamplerConfig) -> Temperature {
        Temperature::Target(self.temperature)
    }
}
