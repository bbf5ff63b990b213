//! A sampler configuration as users write it: a sampler name, the step size ε, the batch size B, a
//! batching scheme and the sampler's flags — the command line's `--sampler NAME --eps --batch
//! --batching --friction ...`, or the Python package's keyword arguments. Both front ends build
//! their [`SamplerConfig`] here, so a flag means the same thing in each, and a flag that does not
//! apply to the sampler, or a missing one, is the same typed error
//! ([`Error::FlagDoesNotApply`], [`Error::MissingFlag`]).
//!
//! ```
//! use sgbayes::spec::{SamplerFlags, SamplerSpec};
//! let spec = SamplerSpec::new("sghmc", 0.01, 10)
//!     .with_flags(SamplerFlags { friction: Some(0.1), ..SamplerFlags::default() });
//! let (config, _draw_at) = spec.config().unwrap();
//! assert_eq!(config.kind.name(), "sghmc");
//! // A flag of another sampler is refused, naming the flag.
//! let wrong = SamplerSpec::new("sgld", 0.01, 10)
//!     .with_flags(SamplerFlags { friction: Some(0.1), ..SamplerFlags::default() });
//! assert!(matches!(wrong.config(), Err(sgbayes::Error::FlagDoesNotApply { .. })));
//! ```

use serde::Deserialize;

use crate::batching::Batching;
use crate::config::{
    Anchor, Preconditioner, RmsOf, SamplerConfig, SamplerId, SamplerKind, SghmcOrder, StepSchedule,
};
use crate::error::{Error, Result};
use crate::theory::DrawAt;

/// A matrix-valued flag: a name (`optimal`, `optimal-diagonal`, `exact`, `online`, as the flag
/// allows) or the matrix itself as rows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum MatrixSpec {
    /// A named choice.
    Name(String),
    /// A d×d matrix, row by row.
    Rows(Vec<Vec<f64>>),
}

/// The anchor of sgld-cv: `mode` or the point itself.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum AnchorSpec {
    /// A named choice (`mode`).
    Name(String),
    /// The d coordinates.
    Point(Vec<f64>),
}

/// The flags of the samplers (the command line's, with `-` written `_`). Unknown names are refused
/// when parsed from JSON.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerFlags {
    /// Damping μ of sgd-momentum.
    pub damping: Option<f64>,
    /// Friction α of sghmc, or γ (per unit time) of baoab.
    pub friction: Option<f64>,
    /// Gradient-noise estimate β̂ of sghmc (default 0).
    pub noise_estimate: Option<f64>,
    /// sghmc: momentum re-drawn from N(0, εI) every L steps; the draws are trajectory ends.
    pub refresh_every: Option<usize>,
    /// sghmc: `velocity-first` (default) or `position-first`.
    pub order: Option<String>,
    /// sghmc: one minibatch for all L steps of a trajectory.
    pub batch_per_trajectory: Option<bool>,
    /// Preconditioner H (sgd-preconditioned: a matrix, `optimal`, `optimal-diagonal`) or G (psgld:
    /// a matrix).
    pub preconditioner: Option<MatrixSpec>,
    /// Window n of asgs / iterate-average.
    pub window: Option<usize>,
    /// Fisher estimate of sgfs: a matrix, `exact` or `online`.
    pub fisher: Option<MatrixSpec>,
    /// β of sgfs's B_p = β I (default 1).
    pub sgfs_scale: Option<f64>,
    /// Temperature T: stochastic-ngd's target, or the SGLD family's (target ∝ posterior^(1/T)).
    pub temperature: Option<f64>,
    /// Decay α of psgld-rmsprop's running average (default 0.99).
    pub rmsprop_decay: Option<f64>,
    /// Regulariser λ of psgld-rmsprop (default 1e-5).
    pub rmsprop_regularizer: Option<f64>,
    /// psgld-rmsprop: `mean-example` (default) or `full-estimate`.
    pub rms_of: Option<String>,
    /// sgld: `constant` (default), `cyclical` or `polynomial`.
    pub schedule: Option<String>,
    /// Cycle length K of the cyclical schedule.
    pub cycle_length: Option<usize>,
    /// b of the polynomial schedule a(b + t)^(−γ) (default 1).
    pub schedule_b: Option<f64>,
    /// γ of the polynomial schedule (default 0.55).
    pub schedule_gamma: Option<f64>,
    /// Which states are draws under reshuffling: `every-step` (default) or `epoch-end`.
    pub draw_at: Option<String>,
    /// The anchor θ̂ of sgld-cv: `mode` (default) or a point.
    pub anchor: Option<AnchorSpec>,
    /// The epoch length K of svrg-ld (the anchor is reset every K steps; draws at epoch ends).
    pub epoch_length: Option<usize>,
}

/// A sampler configuration as written by a user (see the module documentation).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplerSpec {
    /// The sampler's name ([`SamplerId::name`], or the spellings `sgworld` and `iterate-average`).
    pub sampler: String,
    /// Step size ε in the sampler's convention.
    pub eps: f64,
    /// Batch size B.
    pub batch: usize,
    /// Batching scheme ([`Batching::name`]); `None` is with replacement (reshuffled for sgworld).
    #[serde(default)]
    pub batching: Option<String>,
    /// The sampler's flags.
    #[serde(default)]
    pub flags: SamplerFlags,
}

/// The command-line spellings that are not the library's sampler names.
const SPELLINGS: [(&str, SamplerId); 2] = [
    ("sgworld", SamplerId::Sgld),
    ("iterate-average", SamplerId::Asgs),
];

impl SamplerSpec {
    /// A specification without flags, batches drawn with replacement.
    pub fn new(sampler: &str, eps: f64, batch: usize) -> Self {
        Self {
            sampler: sampler.to_string(),
            eps,
            batch,
            batching: None,
            flags: SamplerFlags::default(),
        }
    }

    /// The same specification with these flags.
    pub fn with_flags(mut self, flags: SamplerFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Parses the JSON object `{"sampler", "eps", "batch", "batching"?, "flags"?}`.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| Error::Invalid {
            what: "sampler specification".into(),
            why: e.to_string(),
        })
    }

    /// The sampler's identity: its name or one of the command-line spellings.
    pub fn sampler_id(&self) -> Result<SamplerId> {
        match SPELLINGS.iter().find(|(name, _)| *name == self.sampler) {
            Some((_, id)) => Ok(*id),
            None => SamplerId::parse(&self.sampler),
        }
    }

    /// The configuration the specification describes and which states are draws.
    ///
    /// Errors: an unknown sampler, batching or option value ([`Error::Invalid`]); a flag given to
    /// a sampler without that parameter ([`Error::FlagDoesNotApply`]); a required flag missing
    /// ([`Error::MissingFlag`]); a malformed matrix. Ranges (ε > 0, 1 ≤ B ≤ N, ...) are checked
    /// where the model is known.
    pub fn config(&self) -> Result<(SamplerConfig, DrawAt)> {
        let id = self.sampler_id()?;
        let flags = &self.flags;
        let sampler = self.sampler.as_str();
        let unused = |flag: &'static str, given: bool| -> Result<()> {
            if given {
                Err(Error::FlagDoesNotApply {
                    flag,
                    sampler: sampler.to_string(),
                })
            } else {
                Ok(())
            }
        };
        let required = |flag: &'static str, value: Option<f64>| -> Result<f64> {
            value.ok_or_else(|| Error::MissingFlag {
                flag,
                sampler: sampler.to_string(),
                hint: "",
            })
        };
        if id != SamplerId::SgdMomentum {
            unused("damping", flags.damping.is_some())?;
        }
        if !matches!(id, SamplerId::Sghmc | SamplerId::Baoab | SamplerId::Sgnht) {
            unused("friction", flags.friction.is_some())?;
        }
        if id != SamplerId::SgldCv {
            unused("anchor", flags.anchor.is_some())?;
        }
        if id != SamplerId::SvrgLd {
            unused("epoch-length", flags.epoch_length.is_some())?;
        }
        if !matches!(id, SamplerId::Sghmc | SamplerId::Sgnht) {
            unused("order", flags.order.is_some())?;
        }
        if id != SamplerId::Sghmc {
            unused("noise-estimate", flags.noise_estimate.is_some())?;
            unused("refresh-every", flags.refresh_every.is_some())?;
            unused(
                "batch-per-trajectory",
                flags.batch_per_trajectory == Some(true),
            )?;
        }
        if !matches!(id, SamplerId::SgdPreconditioned | SamplerId::Psgld) {
            unused("preconditioner", flags.preconditioner.is_some())?;
        }
        if id != SamplerId::Asgs {
            unused("window", flags.window.is_some())?;
        }
        if !matches!(id, SamplerId::Sgfs | SamplerId::SgfsOnline) {
            unused("sgfs-scale", flags.sgfs_scale.is_some())?;
        }
        if id != SamplerId::Sgfs {
            unused("fisher", flags.fisher.is_some())?;
        }
        if !matches!(
            id,
            SamplerId::StochasticNgd
                | SamplerId::Sgld
                | SamplerId::Psgld
                | SamplerId::SgldCv
                | SamplerId::SvrgLd
                | SamplerId::Baoab
        ) {
            unused("temperature", flags.temperature.is_some())?;
        }
        let tempered = flags.temperature.filter(|&t| t != 1.0);
        if id != SamplerId::Sgld {
            unused("schedule", flags.schedule.is_some())?;
        }
        let schedule_name = flags.schedule.as_deref().unwrap_or("constant");
        if schedule_name != "cyclical" {
            unused("cycle-length", flags.cycle_length.is_some())?;
        }
        if schedule_name != "polynomial" {
            unused("schedule-b", flags.schedule_b.is_some())?;
            unused("schedule-gamma", flags.schedule_gamma.is_some())?;
        }
        let schedule = match schedule_name {
            "constant" => StepSchedule::Constant,
            "cyclical" => StepSchedule::Cyclical {
                cycle_length: flags.cycle_length.ok_or(Error::MissingFlag {
                    flag: "cycle-length",
                    sampler: sampler.to_string(),
                    hint: " (with --schedule cyclical)",
                })?,
            },
            "polynomial" => StepSchedule::Polynomial {
                b: flags.schedule_b.unwrap_or(1.0),
                gamma: flags.schedule_gamma.unwrap_or(0.55),
            },
            other => {
                return Err(unknown_value(
                    "schedule",
                    other,
                    "constant, cyclical, polynomial",
                ))
            }
        };
        if id != SamplerId::PsgldRmsprop {
            unused("rmsprop-decay", flags.rmsprop_decay.is_some())?;
            unused("rmsprop-regularizer", flags.rmsprop_regularizer.is_some())?;
            unused("rms-of", flags.rms_of.is_some())?;
        }
        let preconditioner = || -> Result<Preconditioner> {
            match &flags.preconditioner {
                None => Err(Error::MissingFlag {
                    flag: "preconditioner",
                    sampler: sampler.to_string(),
                    hint: "",
                }),
                Some(MatrixSpec::Name(name)) if name == "optimal" => Ok(Preconditioner::Optimal),
                Some(MatrixSpec::Name(name)) if name == "optimal-diagonal" => {
                    Ok(Preconditioner::OptimalDiagonal)
                }
                Some(MatrixSpec::Name(other)) => Err(unknown_value(
                    "preconditioner",
                    other,
                    "a d×d matrix, optimal or optimal-diagonal",
                )),
                Some(MatrixSpec::Rows(rows)) => Preconditioner::from_rows(rows),
            }
        };
        let kind = match id {
            SamplerId::Sgd => SamplerKind::Sgd,
            SamplerId::Sgld => {
                if tempered.is_none() && schedule == StepSchedule::Constant {
                    SamplerKind::Sgld
                } else {
                    SamplerKind::SgldGeneral {
                        temperature: tempered.unwrap_or(1.0),
                        schedule,
                    }
                }
            }
            SamplerId::SgdMomentum => SamplerKind::SgdMomentum {
                damping: required("damping", flags.damping)?,
            },
            SamplerId::Sghmc => {
                let friction = required("friction", flags.friction)?;
                let noise_estimate = flags.noise_estimate.unwrap_or(0.0);
                let order = order(flags)?;
                let batch_per_trajectory = flags.batch_per_trajectory.unwrap_or(false);
                if flags.refresh_every.is_none()
                    && order == SghmcOrder::VelocityFirst
                    && !batch_per_trajectory
                {
                    SamplerKind::Sghmc {
                        friction,
                        noise_estimate,
                    }
                } else {
                    SamplerKind::SghmcGeneral {
                        friction,
                        noise_estimate,
                        refresh_every: flags.refresh_every,
                        order,
                        batch_per_trajectory,
                    }
                }
            }
            SamplerId::Sgnht => SamplerKind::Sgnht {
                friction: required("friction", flags.friction)?,
                order: order(flags)?,
            },
            SamplerId::SgdPreconditioned => SamplerKind::SgdPreconditioned {
                preconditioner: preconditioner()?,
            },
            SamplerId::Psgld => match tempered {
                None => SamplerKind::Psgld {
                    preconditioner: preconditioner()?,
                },
                Some(temperature) => SamplerKind::PsgldTempered {
                    preconditioner: preconditioner()?,
                    temperature,
                },
            },
            SamplerId::PsgldRmsprop => {
                let decay = flags.rmsprop_decay.unwrap_or(0.99);
                let regularizer = flags.rmsprop_regularizer.unwrap_or(1e-5);
                match flags.rms_of.as_deref() {
                    None | Some("mean-example") => SamplerKind::PsgldRmsprop { decay, regularizer },
                    Some("full-estimate") => SamplerKind::PsgldRmspropGeneral {
                        decay,
                        regularizer,
                        rms_of: RmsOf::FullEstimate,
                    },
                    Some(other) => {
                        return Err(unknown_value(
                            "rms-of",
                            other,
                            "mean-example, full-estimate",
                        ))
                    }
                }
            }
            SamplerId::Ngd => SamplerKind::Ngd,
            SamplerId::StochasticNgd => SamplerKind::StochasticNgd {
                temperature: flags.temperature.unwrap_or(1.0),
            },
            SamplerId::Sgfs if flags.fisher == Some(MatrixSpec::Name("online".into())) => {
                SamplerKind::SgfsOnline {
                    scale: flags.sgfs_scale.unwrap_or(1.0),
                }
            }
            SamplerId::SgfsOnline => SamplerKind::SgfsOnline {
                scale: flags.sgfs_scale.unwrap_or(1.0),
            },
            SamplerId::Sgfs => SamplerKind::Sgfs {
                fisher: match &flags.fisher {
                    None => {
                        return Err(Error::MissingFlag {
                            flag: "fisher",
                            sampler: sampler.to_string(),
                            hint: " (a d×d matrix, exact or online)",
                        })
                    }
                    Some(MatrixSpec::Name(name)) if name == "exact" => Preconditioner::Optimal,
                    Some(MatrixSpec::Name(other)) => {
                        return Err(unknown_value(
                            "fisher",
                            other,
                            "a d×d matrix, exact or online",
                        ))
                    }
                    Some(MatrixSpec::Rows(rows)) => Preconditioner::from_rows(rows)?,
                },
                scale: flags.sgfs_scale.unwrap_or(1.0),
            },
            SamplerId::SgldCv => SamplerKind::SgldCv {
                anchor: match &flags.anchor {
                    None => Anchor::Mode,
                    Some(AnchorSpec::Name(name)) if name == "mode" => Anchor::Mode,
                    Some(AnchorSpec::Name(other)) => {
                        return Err(unknown_value("anchor", other, "mode or a point"))
                    }
                    Some(AnchorSpec::Point(point)) => Anchor::from_point(point)?,
                },
                temperature: flags.temperature.unwrap_or(1.0),
            },
            SamplerId::SvrgLd => SamplerKind::SvrgLd {
                epoch_length: flags.epoch_length.ok_or_else(|| Error::MissingFlag {
                    flag: "epoch-length",
                    sampler: sampler.to_string(),
                    hint: "",
                })?,
                temperature: flags.temperature.unwrap_or(1.0),
            },
            SamplerId::Baoab => SamplerKind::Baoab {
                friction: required("friction", flags.friction)?,
                temperature: flags.temperature.unwrap_or(1.0),
            },
            SamplerId::Asgs => SamplerKind::Asgs {
                window: flags.window.ok_or_else(|| Error::MissingFlag {
                    flag: "window",
                    sampler: sampler.to_string(),
                    hint: "",
                })?,
            },
        };
        let sgworld = self.sampler == "sgworld";
        let batching = match self.batching.as_deref() {
            None if sgworld => Batching::Reshuffle,
            None => Batching::WithReplacement,
            Some(name) => Batching::parse(name)?,
        };
        let batching = match (sgworld, batching) {
            (true, Batching::Reshuffle | Batching::WithReplacement) => Batching::Reshuffle,
            (true, Batching::WithoutReplacement) => {
                return Err(Error::Invalid {
                    what: "batching".into(),
                    why: "sgworld uses reshuffled batches; drop the batching or use reshuffle"
                        .into(),
                })
            }
            (false, batching) => batching,
        };
        let draw_at = match flags.draw_at.as_deref() {
            None | Some("every-step") => DrawAt::EveryStep,
            Some("epoch-end") if batching == Batching::Reshuffle => DrawAt::EpochEnd,
            Some("epoch-end") => {
                return Err(Error::Invalid {
                    what: "draw-at".into(),
                    why:
                        "epoch-end needs reshuffled batches (batching reshuffle or sampler sgworld)"
                            .into(),
                })
            }
            Some(other) => return Err(unknown_value("draw-at", other, "every-step, epoch-end")),
        };
        let config = SamplerConfig {
            kind,
            step_size: self.eps,
            batch_size: self.batch,
            batching,
        };
        Ok((config, draw_at))
    }
}

/// The `order` flag of sghmc and sgnht (default velocity-first).
fn order(flags: &SamplerFlags) -> Result<SghmcOrder> {
    match flags.order.as_deref() {
        None | Some("velocity-first") => Ok(SghmcOrder::VelocityFirst),
        Some("position-first") => Ok(SghmcOrder::PositionFirst),
        Some(other) => Err(unknown_value(
            "order",
            other,
            "velocity-first, position-first",
        )),
    }
}

fn unknown_value(flag: &str, value: &str, expected: &str) -> Error {
    Error::Invalid {
        what: flag.to_string(),
        why: format!("unknown value '{value}' (expected {expected})"),
    }
}
