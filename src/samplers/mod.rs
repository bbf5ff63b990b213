//! Reference implementations of the samplers, one file each.
//!
//! A sampler never owns an RNG (the rand style): [`Sampler::step`] receives the minibatch indices
//! and a slice of standard-normal variates; the [`crate::chain::Chain`] driver owns the random
//! streams. Steps allocate nothing: scratch buffers live in the sampler.
//!
//! `samplers/` never imports `theory/`; both read [`crate::config::SamplerConfig`].

mod gradient_step;
mod momentum_step;
mod sgd;
mod sgd_momentum;
mod sghmc;
mod sgld;

pub use gradient_step::GradientStep;
pub use momentum_step::MomentumStep;
pub use sgd::Sgd;
pub use sgd_momentum::SgdMomentum;
pub use sghmc::Sghmc;
pub use sgld::Sgld;

use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::Model;

/// A Markov-chain update driven by minibatch gradients and Gaussian noise.
pub trait Sampler: Send {
    /// Dimension of the chain state: θ first (the model's dimension), then any auxiliary variables.
    fn state_dimension(&self) -> usize;
    /// Number of standard-normal variates one step consumes (0 for noiseless samplers).
    fn noise_dimension(&self) -> usize;
    /// The chain state that starts at parameter θ (auxiliary variables at their rest value).
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        theta.to_vec()
    }
    /// Advances `state` by one step with minibatch `batch` and standard-normal `noise`.
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]);
}

/// Builds the sampler a configuration names, for a model of the given dimension and data size.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, samplers};
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
/// let sampler = samplers::build(&config, 3, 10).unwrap();
/// assert_eq!(sampler.noise_dimension(), 3);
/// ```
pub fn build(
    config: &SamplerConfig,
    dimension: usize,
    data_size: usize,
) -> Result<Box<dyn Sampler>> {
    config.validate(data_size)?;
    Ok(match config.kind {
        SamplerKind::Sgld => Box::new(Sgld::new(config.step_size, dimension)),
        SamplerKind::Sgd => Box::new(Sgd::new(config.step_size, dimension, data_size)),
        SamplerKind::SgdMomentum { damping } => Box::new(SgdMomentum::new(
            config.step_size,
            damping,
            dimension,
            data_size,
        )),
        SamplerKind::Sghmc {
            friction,
            noise_estimate,
        } => Box::new(Sghmc::new(
            config.step_size,
            friction,
            noise_estimate,
            dimension,
        )),
    })
}
