//! Reference implementations of the samplers, one file each.
//!
//! A sampler never owns an RNG (the rand style): [`Sampler::step`] receives the minibatch indices
//! and a slice of standard-normal variates; the [`crate::chain::Chain`] driver owns the random
//! streams. Steps allocate nothing: scratch buffers live in the sampler.
//!
//! `samplers/` never imports `theory/`; both read [`crate::config::SamplerConfig`].

mod asgs;
mod baoab;
mod control_variate;
mod gradient_step;
mod momentum_step;
mod ngd;
mod preconditioned_step;
mod psgld;
mod psgld_rmsprop;
mod sgd;
mod sgd_momentum;
mod sgd_preconditioned;
mod sgfs;
mod sgfs_online;
mod sghmc;
mod sghmc_general;
mod sgld;
mod sgld_cv;
mod sgld_general;
mod sgnht;
mod stochastic_ngd;
mod svrg_ld;

pub use asgs::{averaging_window, window_means, IterateAverage};
pub use baoab::Baoab;
pub use control_variate::ControlVariate;
pub use gradient_step::GradientStep;
pub use momentum_step::MomentumStep;
pub use ngd::Ngd;
pub use preconditioned_step::PreconditionedStep;
pub use psgld::Psgld;
pub use psgld_rmsprop::PsgldRmsprop;
pub use sgd::Sgd;
pub use sgd_momentum::SgdMomentum;
pub use sgd_preconditioned::SgdPreconditioned;
pub use sgfs::Sgfs;
pub use sgfs_online::SgfsOnline;
pub use sghmc::Sghmc;
pub use sghmc_general::SghmcGeneral;
pub use sgld::Sgld;
pub use sgld_cv::SgldCv;
pub use sgld_general::SgldGeneral;
pub use sgnht::Sgnht;
pub use stochastic_ngd::StochasticNgd;
pub use svrg_ld::SvrgLd;

use crate::config::{Anchor, Preconditioner, SamplerConfig, SamplerKind, SghmcOrder};
use crate::error::{Error, Result};
use crate::models::Model;

/// A Markov-chain update driven by minibatch gradients and Gaussian noise.
///
/// Besides the chain state (θ and auxiliary variables such as a momentum, owned by the chain), an
/// adaptive sampler carries state of its own between steps; [`Sampler::auxiliary_state`] exposes
/// it read-only, in the layout its type documents:
///
/// | sampler | auxiliary state |
/// |---|---|
/// | [`PsgldRmsprop`] | the running average V of squared mean gradients (d entries) |
/// | [`SgfsOnline`] | the online Fisher estimate Î_t, row-major d×d (symmetric) |
/// | [`SvrgLd`] | the anchor θ̃ of the current epoch (d entries) |
/// | [`Sgnht`] | the thermostat ξ (one entry) |
/// | all others | empty |
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
    /// The adaptive state the sampler carries between steps (see the table above); empty when
    /// every step depends on the chain state alone.
    fn auxiliary_state(&self) -> &[f64] {
        &[]
    }
    /// True when a step reads the model's Fisher metric ([`Model::fisher_metric`]): the chain
    /// refuses a model without one at construction instead of producing NaN draws.
    fn needs_fisher_metric(&self) -> bool {
        false
    }
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
        SamplerKind::SghmcGeneral {
            friction,
            noise_estimate,
            refresh_every,
            order,
            batch_per_trajectory,
        } => Box::new(SghmcGeneral::new(
            config.step_size,
            friction,
            noise_estimate,
            refresh_every,
            order,
            batch_per_trajectory,
            config.batch_size,
            dimension,
        )),
        SamplerKind::SgdPreconditioned { preconditioner } => Box::new(SgdPreconditioned::new(
            config.step_size,
            given_matrix(&preconditioner, dimension)?,
            dimension,
            data_size,
        )?),
        SamplerKind::SgldGeneral {
            temperature,
            schedule,
        } => Box::new(SgldGeneral::new(
            config.step_size,
            temperature,
            schedule,
            dimension,
        )),
        SamplerKind::PsgldTempered {
            preconditioner,
            temperature,
        } => Box::new(Psgld::tempered(
            config.step_size,
            temperature,
            given_matrix(&preconditioner, dimension)?,
            dimension,
        )?),
        SamplerKind::Psgld { preconditioner } => Box::new(Psgld::new(
            config.step_size,
            given_matrix(&preconditioner, dimension)?,
            dimension,
        )?),
        SamplerKind::PsgldRmspropGeneral {
            decay,
            regularizer,
            rms_of,
        } => Box::new(PsgldRmsprop::with_rms_of(
            config.step_size,
            decay,
            regularizer,
            rms_of,
            dimension,
        )),
        SamplerKind::PsgldRmsprop { decay, regularizer } => Box::new(PsgldRmsprop::new(
            config.step_size,
            decay,
            regularizer,
            dimension,
        )),
        SamplerKind::StochasticNgd { temperature } => Box::new(StochasticNgd::new(
            config.step_size,
            temperature,
            config.injected_temperature(data_size),
            dimension,
            data_size,
        )),
        SamplerKind::Ngd => Box::new(Ngd::new(config.step_size, dimension, data_size)),
        SamplerKind::Sgnht { friction, order } => Box::new(Sgnht::new(
            config.step_size,
            friction,
            order == SghmcOrder::PositionFirst,
            dimension,
        )),
        // The chain of ASGS is constant SGD; its draws are window means ([`window_means`]).
        SamplerKind::Asgs { .. } => Box::new(Sgd::new(config.step_size, dimension, data_size)),
        SamplerKind::SgfsOnline { scale } => Box::new(SgfsOnline::new(
            config.step_size,
            scale,
            dimension,
            data_size,
            config.batch_size,
        )),
        SamplerKind::SgldCv {
            anchor,
            temperature,
        } => Box::new(
            SgldCv::new(config.step_size, anchor_point(&anchor, dimension)?)
                .with_temperature(temperature),
        ),
        SamplerKind::SvrgLd {
            epoch_length,
            temperature,
        } => Box::new(
            SvrgLd::new(config.step_size, epoch_length, dimension).with_temperature(temperature),
        ),
        SamplerKind::Baoab {
            friction,
            temperature,
        } => Box::new(
            Baoab::new(config.step_size, friction, dimension).with_temperature(temperature),
        ),
        SamplerKind::Sgfs { fisher, scale } => Box::new(Sgfs::new(
            config.step_size,
            scale,
            fisher_matrix(&fisher, dimension)?,
            dimension,
            data_size,
            config.batch_size,
        )?),
    })
}

/// The coordinates of a given anchor after its dimension check; the mode must be resolved
/// against a model first.
fn anchor_point(anchor: &Anchor, dimension: usize) -> Result<&'static [f64]> {
    anchor.point(dimension)?.ok_or_else(|| Error::Invalid {
        what: "anchor".into(),
        why: "the posterior mode depends on the model; resolve it with theory::resolve_preconditioner before sampling (models with a Gaussian posterior), or give the anchor point".into(),
    })
}

/// The entries of a given Fisher estimate after its shape, symmetry and semi-definiteness checks.
fn fisher_matrix(fisher: &Preconditioner, dimension: usize) -> Result<&'static [f64]> {
    fisher.semidefinite_matrix(dimension)?;
    given_matrix_entries(fisher)
}

/// The entries of a given preconditioner after its shape, symmetry and definiteness checks; the
/// optimal choices must be resolved against a model first.
fn given_matrix(preconditioner: &Preconditioner, dimension: usize) -> Result<&'static [f64]> {
    preconditioner.matrix(dimension)?;
    given_matrix_entries(preconditioner)
}

/// The entries of a `Preconditioner::Matrix`, or an error for the model-dependent choices.
fn given_matrix_entries(preconditioner: &Preconditioner) -> Result<&'static [f64]> {
    match *preconditioner {
        Preconditioner::Matrix(values) => Ok(values),
        other => Err(Error::Invalid {
            what: "preconditioner".into(),
            why: format!(
                "'{}' depends on the model's gradient noise; resolve it to a matrix with theory::resolve_preconditioner before sampling",
                other.name()
            ),
        }),
    }
}
