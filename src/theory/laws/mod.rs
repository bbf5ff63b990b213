//! One law per sampler: its step as an affine random map, written from the paper's update
//! equation (not from `samplers/`; the probe tests in `tests/` check the two agree). A file here
//! mirrors each file of `samplers/`; [`sampler_law`] is the one place `theory/` dispatches on
//! [`SamplerKind`].

mod asgs;
mod baoab;
mod description;
mod ngd;
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

pub(crate) use description::{
    ControlVariate, Cycle, Draws, NoisePlacement, PreconditionerRule, SamplerLaw, Splitting,
    Temperature,
};

use crate::config::{RmsOf, SamplerKind, SghmcOrder};

/// The law of a sampler kind.
pub(crate) fn sampler_law(kind: &SamplerKind) -> Box<dyn SamplerLaw> {
    match *kind {
        SamplerKind::Sgld => Box::new(sgld::Sgld),
        SamplerKind::Sgd => Box::new(sgd::Sgd),
        SamplerKind::SgdMomentum { damping } => Box::new(sgd_momentum::SgdMomentum { damping }),
        SamplerKind::Sghmc {
            friction,
            noise_estimate,
        } => Box::new(sghmc::Sghmc {
            friction,
            noise_estimate,
        }),
        SamplerKind::SghmcGeneral {
            friction,
            noise_estimate,
            refresh_every,
            order,
            batch_per_trajectory,
        } => Box::new(sghmc_general::SghmcGeneral {
            friction,
            noise_estimate,
            refresh_every,
            position_first: order == SghmcOrder::PositionFirst,
            batch_per_trajectory,
        }),
        SamplerKind::SgdPreconditioned { preconditioner } => {
            Box::new(sgd_preconditioned::SgdPreconditioned { preconditioner })
        }
        SamplerKind::Psgld { preconditioner } => Box::new(psgld::Psgld {
            preconditioner,
            temperature: 1.0,
        }),
        SamplerKind::PsgldTempered {
            preconditioner,
            temperature,
        } => Box::new(psgld::Psgld {
            preconditioner,
            temperature,
        }),
        SamplerKind::SgldGeneral {
            temperature,
            schedule,
        } => Box::new(sgld_general::SgldGeneral {
            temperature,
            schedule,
        }),
        SamplerKind::PsgldRmsprop { regularizer, .. } => Box::new(psgld_rmsprop::PsgldRmsprop {
            regularizer,
            full_estimate: false,
        }),
        SamplerKind::PsgldRmspropGeneral {
            regularizer,
            rms_of,
            ..
        } => Box::new(psgld_rmsprop::PsgldRmsprop {
            regularizer,
            full_estimate: rms_of == RmsOf::FullEstimate,
        }),
        SamplerKind::Ngd => Box::new(ngd::Ngd),
        SamplerKind::StochasticNgd { temperature } => {
            Box::new(stochastic_ngd::StochasticNgd { temperature })
        }
        SamplerKind::Asgs { window } => Box::new(asgs::Asgs { window }),
        SamplerKind::Sgfs { fisher, scale } => Box::new(sgfs::Sgfs { fisher, scale }),
        SamplerKind::SgfsOnline { scale } => Box::new(sgfs_online::SgfsOnline { scale }),
        SamplerKind::SgldCv {
            anchor,
            temperature,
        } => Box::new(sgld_cv::SgldCv {
            anchor,
            temperature,
        }),
        SamplerKind::SvrgLd {
            epoch_length,
            temperature,
        } => Box::new(svrg_ld::SvrgLd {
            epoch_length,
            temperature,
        }),
        SamplerKind::Baoab {
            friction,
            temperature,
        } => Box::new(baoab::Baoab {
            friction,
            temperature,
        }),
        SamplerKind::Sgnht { friction, .. } => Box::new(sgnht::Sgnht {
            diffusion: friction,
        }),
    }
}
