//! What every sampler law states: its step as an affine random map, in the terms the generic
//! engine consumes (`step_map.rs` builds the map, `sampler_maps.rs` resolves the preconditioner
//! and the stability limit, `summary.rs` the temperature, ε* and the kept draws).
//!
//! Every step the crate knows is, on a quadratic model, one of three affine random maps of the
//! minibatch gradient ĝ_S(θ):
//! * θ' = θ − η H ĝ_S(θ) + noise, noise covariance τ² H (or τ² H² when the noise enters before
//!   the preconditioner), H = I without a preconditioner;
//! * v' = ρ v − η ĝ_S(θ) + τ ξ, θ' = θ + v' (state (θ, v));
//! * a splitting step p = u − k ĝ_S(θ), θ' = θ + a p + e_θ, u' = c p + e_u (state (θ, u), BAOAB);
//!
//! with ĝ_S optionally replaced by its control variate at an anchor ([`ControlVariate`]).
//! A sampler law fills in η, τ², ρ, the rule for H, where the noise enters, the temperature and
//! which states are draws, from its paper's update equation.

use crate::config::{Anchor, Preconditioner, SamplerConfig, SamplerKind};

/// One sampler's step as an affine random map (see the module documentation). Each file of
/// `laws/` implements it from its paper's update equation, with the `# Formula` and citation on
/// the implementation.
pub(crate) trait SamplerLaw {
    /// The gradient and noise scales (η, τ²): the step uses −η ĝ_S(θ) (times H) and injected
    /// noise of covariance τ² (on θ, or on v with momentum).
    fn step_scales(&self, config: &SamplerConfig, data_size: usize) -> (f64, f64);

    /// The momentum retention ρ of v' = ρ v − η ĝ + τ ξ, θ' = θ + v' (chain state (θ, v));
    /// `None` for the samplers whose state is θ alone.
    fn momentum_retention(&self) -> Option<f64> {
        None
    }

    /// True when the chain state is (θ, v) (a momentum or a splitting step), 2d coordinates.
    fn has_velocity(&self) -> bool {
        self.momentum_retention().is_some()
    }

    /// Where the preconditioner H comes from (the identity by default).
    fn preconditioner(&self) -> PreconditionerRule {
        PreconditionerRule::Identity
    }

    /// Whether the injected noise enters after the preconditioner (covariance τ² H, the default)
    /// or before it (τ² H²).
    fn noise_placement(&self) -> NoisePlacement {
        NoisePlacement::AfterPreconditioner
    }

    /// True when H is proportional to 1/ε, so that the step does not depend on ε (then the
    /// stability limit is +∞ or 0).
    fn preconditioner_scales_with_inverse_step(&self) -> bool {
        false
    }

    /// The temperature the configuration's stationary law is reported at.
    fn temperature(&self, config: &SamplerConfig) -> Temperature;

    /// True when Mandt et al.'s (2017) Theorem 1 KL-optimal learning rate ε* applies.
    fn has_kl_optimal_step_size(&self) -> bool {
        false
    }

    /// Which states of the chain are the sampler's draws.
    fn draws(&self) -> Draws {
        Draws::Iterates
    }

    /// The step-size bound c of the mean iteration, η λ_max < c, when it is not the one of the
    /// map's form (2 without momentum, 2(1 + ρ) with); `None` for the form's bound.
    fn mean_stability_bound(&self) -> Option<f64> {
        None
    }

    /// The cycle of steps whose end states are the draws, when the chain is not one repeated
    /// step of the forms above (a momentum refresh, a position-first order, a minibatch reused
    /// for a trajectory, a periodic step-size schedule); `None` for a repeated step.
    fn cycle(&self, _config: &SamplerConfig) -> Option<Cycle> {
        None
    }

    /// Why the chain has no stationary law at all (a decreasing step-size schedule); `None` when
    /// it has one.
    fn no_stationary_law(&self) -> Option<&'static str> {
        None
    }

    /// `None` when the law is the sampler's exact stationary law; otherwise why the chain has
    /// only a reference law (an adaptive preconditioner whose memory the law freezes).
    fn reference_only(&self) -> Option<&'static str> {
        None
    }

    /// The sampler with its model-dependent matrix (an optimal preconditioner, the exact
    /// empirical Fisher) replaced by the given one; `None` when it has no such matrix.
    fn with_matrix(&self, _matrix: Preconditioner) -> Option<SamplerKind> {
        None
    }

    /// The control variate of the minibatch gradient, ĝ_cv(θ) = ∇U(θ̂) + ĝ_S(θ) − ĝ_S(θ̂)
    /// (Baker et al. 2019; Dubey et al. 2016); `None` for the plain estimate ĝ_S(θ).
    fn control_variate(&self) -> Option<ControlVariate> {
        None
    }

    /// The sampler with its anchor replaced by the given point; `None` when it has no anchor.
    fn with_anchor(&self, _anchor: Anchor) -> Option<SamplerKind> {
        None
    }

    /// The kick–drift form of a splitting step on (θ, u) (BAOAB), used instead of the momentum
    /// form when present; `None` for the forms above.
    fn splitting(&self, _config: &SamplerConfig) -> Option<Splitting> {
        None
    }
}

/// Where the anchor θ̂ of a control-variate gradient estimate sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ControlVariate {
    /// A fixed anchor (SGLD-CV): the step is θ's affine map with per-example offsets
    /// recentred at θ̂ (`step_map.rs`).
    Fixed(Anchor),
    /// The anchor θ̃ is a second block of the chain state, reset to θ at each cycle's start
    /// (SVRG-LD): the step is an affine map of (θ, θ̃).
    Reset,
}

/// A splitting step on the chain state (θ, u), with the minibatch gradient taken at the step's
/// starting position:
/// p = u − k ĝ_S(θ) (the kick);  θ' = θ + a p + e_θ;  u' = c p + e_u,
/// with (e_θ, e_u) ~ N(0, [[q_θθ, q_θu], [q_θu, q_uu]] ⊗ I) independent of the batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Splitting {
    /// The kick k.
    pub(crate) kick: f64,
    /// The drift a of the position per unit of velocity.
    pub(crate) drift: f64,
    /// The velocity retention c.
    pub(crate) retention: f64,
    /// The noise covariance blocks (q_θθ, q_θu, q_uu).
    pub(crate) noise: (f64, f64, f64),
}

/// Where a sampler's preconditioner H comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum PreconditionerRule {
    /// No preconditioner: H = I.
    Identity,
    /// The configured preconditioner: a given SPD matrix, or Mandt et al.'s (2017, Theorem 2)
    /// KL-optimal choices (refused by the samplers whose parameters check says so).
    Configured(Preconditioner),
    /// The inverse per-example Fisher information F⁻¹ (natural gradient descent).
    InverseFisher,
    /// Stochastic gradient Fisher scoring (Ahn et al. 2012, eq. 11):
    /// H = 2 (γ N Î + (4β/ε) I)⁻¹, γ = (N + B)/B, with Î given or the exact empirical Fisher.
    FisherScoring {
        /// The Fisher estimate Î.
        fisher: Preconditioner,
        /// β of B_p = β I.
        scale: f64,
    },
    /// Fisher scoring with the self-consistent Fisher estimate Î_∞ of the online estimator.
    OnlineFisherScoring {
        /// β of B_p = β I.
        scale: f64,
    },
    /// The self-consistent RMSprop preconditioner G_∞ = diag(1 ⊘ (λ + √V_∞)).
    RmspropReference {
        /// The regulariser λ.
        regularizer: f64,
        /// V_∞ = E[ĝ⊙ĝ] of the whole estimate (else E[ḡ⊙ḡ] of the mean per-example gradient).
        full_estimate: bool,
    },
}

/// Where the injected noise enters a step with preconditioner H.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoisePlacement {
    /// θ' = θ − η H ĝ + τ H^{1/2} ξ: covariance τ² H.
    AfterPreconditioner,
    /// θ' = θ − H ĝ + H η, η ~ N(0, τ² I): covariance τ² H².
    BeforePreconditioner,
}

/// The temperature a sampler's stationary law is reported at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Temperature {
    /// The temperature the injected noise targets.
    Target(f64),
    /// Smith et al.'s (2018) minibatch temperature γ εN/(2B) at this learning rate ε.
    Minibatch {
        /// The learning rate ε the temperature is evaluated at.
        step_size: f64,
    },
    /// The minibatch temperature of a mean of `window` iterates: γ εN/(2B) · 2/(ε n).
    WindowMeans {
        /// The window n.
        window: usize,
    },
    /// No scalar temperature (a general preconditioner).
    NotScalar,
}

/// A cycle of steps, each an affine random map, whose end states are the draws.
#[derive(Debug, Clone)]
pub(crate) struct Cycle {
    /// The variance r of a momentum refresh v ← N(0, r I) before the cycle's first step (state
    /// (θ, v)); `None` without refresh.
    pub(crate) momentum_refresh: Option<f64>,
    /// The cycle's steps in order, each the configuration of a sampler whose step is one of the
    /// forms above.
    pub(crate) steps: Vec<SamplerConfig>,
    /// The momentum steps update the position first: θ' = θ + v (the old v), then
    /// v' = ρ v − η ĝ(θ) + τ ξ.
    pub(crate) position_first: bool,
    /// One minibatch for all steps of the cycle (else a fresh one per step).
    pub(crate) one_batch: bool,
    /// The anchor block θ̃ of a state (θ, θ̃) is reset to θ before the cycle's first step
    /// ([`ControlVariate::Reset`]).
    pub(crate) anchor_reset: bool,
}

/// Which states of a chain are its draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Draws {
    /// Every iterate.
    Iterates,
    /// The means of consecutive non-overlapping windows of `window` iterates.
    WindowMeans {
        /// The window n ≥ 1.
        window: usize,
    },
    /// The states at the end of each cycle of `length` steps ([`SamplerLaw::cycle`]).
    CycleEnds {
        /// The cycle length L ≥ 1.
        length: usize,
    },
}
