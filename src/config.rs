//! The plain configuration shared by samplers and closed forms.
//!
//! `samplers/` and `theory/` never import each other: both read a [`SamplerConfig`]. The sampler
//! builds its update from it; the theory writes the same update's affine map from the paper's
//! equation. Probe tests in `tests/` tie the two.

use serde::{Deserialize, Serialize};

use crate::batching::Batching;
use crate::error::{Error, Result};

/// Which sampler (update rule) a configuration describes, with the parameters only that sampler
/// has. ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ) is the unbiased minibatch estimate of ∇U.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SamplerKind {
    /// Stochastic gradient Langevin dynamics (Welling & Teh 2011):
    /// θ ← θ − (ε/2) ĝ(θ) + √ε ξ.
    Sgld,
    /// Constant-step SGD on L = U/N (Mandt, Hoffman & Blei 2017): θ ← θ − (ε/N) ĝ(θ).
    Sgd,
    /// Heavy-ball SGD as a sampler (Mandt, Hoffman & Blei 2017, §4, SGD with momentum):
    /// v ← (1 − μ) v − (ε/N) ĝ(θ); θ ← θ + v. State (θ, v).
    SgdMomentum {
        /// Damping μ ∈ (0, 1] (μ = 1: plain SGD).
        #[doc(alias = "mu")]
        damping: f64,
    },
    /// Stochastic gradient Hamiltonian Monte Carlo in the "SGD with momentum" form of Chen, Fox &
    /// Guestrin (2014, eq. 15): v ← v − η ĝ(θ) − α v + N(0, 2(α − β̂)η I); θ ← θ + v, with the
    /// learning rate η = `step_size`. State (θ, v).
    Sghmc {
        /// Friction α ∈ (0, 1] (per step, α = ε M⁻¹ C in the paper's symbols).
        #[doc(alias = "alpha")]
        friction: f64,
        /// Estimate β̂ ∈ [0, α] of the gradient-noise term ε M⁻¹ B̂ (0: ignore the gradient noise).
        #[doc(alias = "beta_hat")]
        noise_estimate: f64,
    },
    /// Preconditioned constant SGD (Mandt, Hoffman & Blei 2017, §4, Theorem 2):
    /// θ ← θ − ε H ∇L̂_S(θ) = θ − (ε/N) H ĝ(θ).
    SgdPreconditioned {
        /// The preconditioner H: a given SPD matrix, or the paper's KL-optimal choices.
        preconditioner: Preconditioner,
    },
    /// Preconditioned SGLD with a fixed preconditioner G (Li, Chen, Carlson & Carin 2016, with
    /// G frozen and the Γ(θ) correction, which vanishes for a constant G):
    /// θ ← θ − (ε/2) G ĝ(θ) + √ε G^{1/2} ξ.
    Psgld {
        /// The fixed preconditioner G (a given SPD matrix; the optimal choices do not apply).
        preconditioner: Preconditioner,
    },
    /// Preconditioned SGLD with the RMSprop-adaptive diagonal preconditioner (Li, Chen, Carlson &
    /// Carin 2016, Algorithm 1, with the Γ(θ) correction dropped as in the paper's experiments):
    /// V ← αV + (1 − α) ḡ ⊙ ḡ, G = diag(1 ⊘ (λ + √V)), θ ← θ − (ε/2) G ĝ(θ) + √ε G^{1/2} ξ,
    /// ḡ = (1/B) Σ_{i∈S} ∇ℓ_i(θ) the mean per-example likelihood gradient. The chain of θ alone is
    /// not Markov (V carries memory) and has no exact closed form; its reference law is the
    /// self-consistent fixed-G pSGLD law ([`crate::theory::rmsprop_reference_preconditioner`]).
    PsgldRmsprop {
        /// Decay α ∈ (0, 1) of the running average V of squared gradients (the paper uses 0.99).
        #[doc(alias = "alpha")]
        decay: f64,
        /// Regulariser λ > 0 of G = diag(1 ⊘ (λ + √V)) (the paper uses 1e-5).
        #[doc(alias = "lambda")]
        regularizer: f64,
    },
    /// Minibatch natural gradient descent (Smith, Kindermans, Ying & Le 2018):
    /// Δθ = −(ε/N) F⁻¹ ĝ(θ), F the per-example Fisher information (the Hessian of the likelihood
    /// part divided by N, constant on the quadratic models).
    Ngd,
    /// Stochastic natural gradient descent (Smith, Duckworth, Rezchikov, Le & Sohl-Dickstein 2018):
    /// minibatch NGD with the state-dependent Fisher F(θ), the Jeffreys drift correction and
    /// injected noise topping the minibatch temperature up to `temperature`:
    /// θ ← θ − (ε/N) F⁻¹ ĝ(θ) + (εT/N) Γ(θ) + √(2ε T_inj/N) F^{−1/2} ξ,
    /// T_inj = T − εNγ/(2B) ≥ 0 ([`SamplerConfig::injected_temperature`]); stationary law
    /// ∝ √det F · exp(−U/T) as ε → 0 when the gradient noise covariance is F.
    StochasticNgd {
        /// The target temperature T > 0 (1: the Jeffreys-biased posterior).
        temperature: f64,
    },
    /// Stochastic gradient Fisher scoring with a fixed Fisher estimate Î (Ahn, Korattikara &
    /// Welling 2012, eq. 11 with Î held fixed; B_p = `scale`·I):
    /// θ ← θ − H ĝ(θ) + H η, η ~ N(0, (4β/ε) I), H = 2 (γ N Î + (4β/ε) I)⁻¹, γ = (N + B)/B.
    Sgfs {
        /// The Fisher estimate Î: a given matrix, or `Optimal` for the empirical per-example
        /// gradient covariance C at the posterior mean (resolved by `theory::resolve_preconditioner`).
        fisher: Preconditioner,
        /// β > 0 of the user matrix B_p = β I.
        #[doc(alias = "B")]
        scale: f64,
    },
    /// Stochastic gradient Fisher scoring with the paper's online Fisher estimate (Ahn,
    /// Korattikara & Welling 2012, eq. 11 and §4): Î_t = (1 − 1/t) Î_{t−1} + V(θ_t)/t, V the
    /// minibatch's empirical per-example score covariance (needs B ≥ 2), then the `sgfs` step with
    /// Î_t. Its reference law is the fixed-Fisher SGFS law at the self-consistent Î_∞
    /// ([`crate::theory::online_fisher_reference`]).
    SgfsOnline {
        /// β > 0 of the user matrix B_p = β I.
        #[doc(alias = "B")]
        scale: f64,
    },
    /// The Averaged Stochastic Gradient Sampler (Mandt, Hoffman & Blei 2017, §5): constant SGD,
    /// θ ← θ − (ε/N) ĝ(θ), whose draws are the means of consecutive non-overlapping windows of
    /// `window` iterates (Polyak–Ruppert averaging within each window).
    Asgs {
        /// Window length n ≥ 1 (n = 1: plain SGD draws).
        window: usize,
    },
    /// [`SamplerKind::PsgldRmsprop`] with the choice of what V averages: the mean per-example
    /// gradient ḡ (the paper) or the whole estimate ĝ (SGMCMCJax):
    /// V ← αV + (1 − α) u ⊙ u, u = ḡ or ĝ, G = diag(1 ⊘ (λ + √V)), then the pSGLD step with G.
    PsgldRmspropGeneral {
        /// Decay α ∈ (0, 1).
        #[doc(alias = "alpha")]
        decay: f64,
        /// Regulariser λ > 0.
        #[doc(alias = "lambda")]
        regularizer: f64,
        /// What V averages.
        rms_of: RmsOf,
    },
    /// SGLD at a temperature T (Welling & Teh 2011, eq. 4, with the injected noise scaled so the
    /// target is the tempered posterior ∝ posterior^(1/T)), with a step-size schedule ε_k:
    /// θ ← θ − (ε_k/2) ĝ(θ) + √(ε_k T) ξ.
    SgldGeneral {
        /// The temperature T > 0 (T < 1: a "cold" posterior).
        temperature: f64,
        /// The step-size schedule.
        schedule: StepSchedule,
    },
    /// pSGLD with a fixed preconditioner G at a temperature T:
    /// θ ← θ − (ε/2) G ĝ(θ) + √(εT) G^{1/2} ξ.
    PsgldTempered {
        /// The fixed preconditioner G (a given SPD matrix).
        preconditioner: Preconditioner,
        /// The temperature T > 0.
        temperature: f64,
    },
    /// SGHMC in the forms the libraries ship (blackjax, SGMCMCJax): [`SamplerKind::Sghmc`]'s step
    /// with, optionally, the momentum re-drawn v ~ N(0, εI) before each trajectory of L steps (the
    /// draws are then the positions at the trajectory ends), the position updated first
    /// (θ ← θ + v with the old v, then v ← (1 − α)v − ε ĝ(θ_old) + N(0, 2(α − β̂)ε I)), and one
    /// minibatch for all L steps of a trajectory.
    SghmcGeneral {
        /// Friction α ∈ (0, 1].
        #[doc(alias = "alpha")]
        friction: f64,
        /// Estimate β̂ ∈ [0, α] of the gradient-noise term.
        #[doc(alias = "beta_hat")]
        noise_estimate: f64,
        /// L ≥ 1: v re-drawn from N(0, εI) before each trajectory of L steps; `None`: the momentum
        /// persists (every step's θ is a draw).
        refresh_every: Option<usize>,
        /// Which of θ and v a step updates first.
        order: SghmcOrder,
        /// One minibatch for all L steps of a trajectory (needs `refresh_every`).
        batch_per_trajectory: bool,
    },
    /// SGLD with control variates (Baker, Fearnhead, Fox & Nemeth 2019, §3.1):
    /// θ ← θ − (ε/2) ĝ_cv(θ) + √ε ξ, ĝ_cv(θ) = ∇R(θ) + Σ_j ∇ℓ_j(θ̂) + (N/B) Σ_{i∈S} (∇ℓ_i(θ) −
    /// ∇ℓ_i(θ̂)), the full data gradient taken once at the anchor θ̂.
    SgldCv {
        /// The anchor θ̂: the posterior mode or a given point.
        anchor: Anchor,
        /// The temperature T > 0 of the injected noise √(εT) ξ (1: the posterior).
        temperature: f64,
    },
    /// Stochastic variance-reduced gradient Langevin dynamics (Dubey, Reddi, Póczos, Smola, Xing &
    /// Williamson 2016, SVRG-LD): [`SamplerKind::SgldCv`]'s step with the anchor θ̃ reset to the
    /// current state at the start of each epoch of K steps (the full data gradient taken there);
    /// the draws are the states at the epoch ends.
    SvrgLd {
        /// The epoch length K ≥ 1 in steps.
        epoch_length: usize,
        /// The temperature T > 0 of the injected noise √(εT) ξ (1: the posterior).
        temperature: f64,
    },
    /// The BAOAB splitting of underdamped Langevin dynamics (Leimkuhler & Matthews 2013) with
    /// stochastic gradients, one gradient per step as SGMCMCJax 0.2 runs it: with h = √ε and
    /// c = e^(−γh), a step is the kick u ← u − h ĝ(θ) (the two half-kicks B that meet between
    /// steps, one minibatch), then θ ← θ + (h/2) u, u ← c u + √(1 − c²) ξ, θ ← θ + (h/2) u.
    /// State (θ, u), u the velocity before the closing half-kick.
    Baoab {
        /// The friction γ > 0 per unit time.
        #[doc(alias = "gamma")]
        friction: f64,
        /// The temperature T > 0: the refresh is u ← c u + √(T(1 − c²)) ξ (1: the posterior;
        /// SGMCMCJax's `tau` scales the noise itself, so `tau` = √T).
        temperature: f64,
    },
    /// The stochastic gradient Nosé–Hoover thermostat (Ding, Fang, Babbush, Chen, Skeel & Neven
    /// 2014, Algorithm 1), step h = `step_size`, state (θ, p) and the scalar thermostat ξ:
    /// p ← p − ξ p h − ĝ(θ) h + √(2A h) ζ; θ ← θ + p h; ξ ← ξ + (pᵀp/d − 1) h, ξ(0) = A.
    /// The thermostat adapts the friction to the unknown gradient noise; the chain has no exact
    /// stationary law on the quadratic models (ξ multiplies p), only a reference law.
    Sgnht {
        /// The diffusion A > 0, also the thermostat's initial value ξ(0) = A.
        #[doc(alias = "A")]
        friction: f64,
        /// Which of θ and p a step updates first (the paper: momentum first; blackjax: position
        /// first, θ ← θ + p h with the old p and the gradient at the old θ).
        order: SghmcOrder,
    },
}

/// The anchor θ̂ of the control-variate gradient estimate ([`SamplerKind::SgldCv`]).
///
/// `Point` holds the d coordinates, interned for the life of the process like
/// [`Preconditioner::Matrix`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    /// The posterior mode (resolved against a model with a Gaussian posterior by
    /// `theory::resolve_preconditioner`).
    Mode,
    /// A given point.
    Point(#[serde(deserialize_with = "deserialize_interned")] &'static [f64]),
}

impl Anchor {
    /// A given point: checks that it is non-empty and finite, and interns it. (Its dimension is
    /// checked against the model's by [`Anchor::point`].)
    ///
    /// ```
    /// use sgbayes::config::Anchor;
    /// assert!(Anchor::from_point(&[0.5, -1.0]).is_ok());
    /// assert!(Anchor::from_point(&[f64::NAN]).is_err());
    /// ```
    pub fn from_point(point: &[f64]) -> Result<Self> {
        if point.is_empty() {
            return Err(Error::Invalid {
                what: "anchor".into(),
                why: "empty point".into(),
            });
        }
        crate::error::ensure_finite("anchor", point.iter())?;
        Ok(Anchor::Point(Box::leak(point.to_vec().into_boxed_slice())))
    }

    /// The given point after checking its dimension; `None` for the mode, which depends on the
    /// model.
    pub fn point(&self, dimension: usize) -> Result<Option<&'static [f64]>> {
        match *self {
            Anchor::Mode => Ok(None),
            Anchor::Point(values) if values.len() != dimension => Err(Error::DimensionMismatch {
                what: "anchor (d coordinates)".into(),
                expected: dimension,
                found: values.len(),
            }),
            Anchor::Point(values) => Ok(Some(values)),
        }
    }
}

/// What RMSprop-adaptive pSGLD averages the squares of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RmsOf {
    /// The mean per-example likelihood gradient ḡ = (1/B) Σ_{i∈S} ∇ℓ_i (Li et al. 2016,
    /// Algorithm 1).
    MeanExample,
    /// The whole estimate ĝ = ∇R + (N/B) Σ_{i∈S} ∇ℓ_i, prior and N scaling included (SGMCMCJax).
    FullEstimate,
}

impl RmsOf {
    /// The command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            RmsOf::MeanExample => "mean-example",
            RmsOf::FullEstimate => "full-estimate",
        }
    }
}

/// The step-size schedule of [`SamplerKind::SgldGeneral`]: ε_k at step k = 0, 1, … from the
/// configured ε.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StepSchedule {
    /// ε_k = ε.
    Constant,
    /// Cyclical SGLD (Zhang, Li, Zhang, Chen & Wilson 2020, eq. 1):
    /// ε_k = (ε/2)(cos(π mod(k, K)/K) + 1); the draws are the states at the cycle ends.
    Cyclical {
        /// The cycle length K ≥ 1 in steps.
        cycle_length: usize,
    },
    /// Welling & Teh's (2011, §3) decreasing schedule ε_t = a(b + t)^(−γ) with a = ε.
    Polynomial {
        /// b > 0.
        b: f64,
        /// γ ∈ (0.5, 1].
        gamma: f64,
    },
}

impl StepSchedule {
    /// The step size ε_k of step k = 0, 1, … from the base ε.
    ///
    /// ```
    /// use sgbayes::config::StepSchedule;
    /// let cyclical = StepSchedule::Cyclical { cycle_length: 4 };
    /// assert_eq!(cyclical.step_size(0.1, 0), 0.1);
    /// assert!((cyclical.step_size(0.1, 2) - 0.05).abs() < 1e-15);
    /// assert_eq!(cyclical.step_size(0.1, 4), 0.1);
    /// let polynomial = StepSchedule::Polynomial { b: 1.0, gamma: 1.0 };
    /// assert!((polynomial.step_size(0.1, 9) - 0.01).abs() < 1e-15);
    /// ```
    pub fn step_size(&self, step_size: f64, step: u64) -> f64 {
        match *self {
            StepSchedule::Constant => step_size,
            StepSchedule::Cyclical { cycle_length } => {
                let phase = (step % cycle_length as u64) as f64 / cycle_length as f64;
                0.5 * step_size * ((std::f64::consts::PI * phase).cos() + 1.0)
            }
            StepSchedule::Polynomial { b, gamma } => step_size * (b + step as f64).powf(-gamma),
        }
    }
}

/// The update order of an SGHMC step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SghmcOrder {
    /// v ← (1 − α)v − ε ĝ(θ) + N(0, 2(α − β̂)ε I), then θ ← θ + v with the new v (Chen et al. 2014,
    /// eq. 15 and Algorithm 2).
    VelocityFirst,
    /// θ ← θ + v with the old v, then v ← (1 − α)v − ε ĝ(θ_old) + N(0, 2(α − β̂)ε I) (the order
    /// blackjax 1.x and SGMCMCJax 0.2 ship).
    PositionFirst,
}

impl SghmcOrder {
    /// The command-line spelling.
    pub fn name(self) -> &'static str {
        match self {
            SghmcOrder::VelocityFirst => "velocity-first",
            SghmcOrder::PositionFirst => "position-first",
        }
    }
}

/// A preconditioner H (or G) of the preconditioned samplers.
///
/// `Matrix` holds a row-major d×d matrix. To keep [`SamplerConfig`] a `Copy` value the entries are
/// interned for the life of the process ([`Preconditioner::from_rows`] leaks one small allocation
/// per call; configurations are built a handful of times per run).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preconditioner {
    /// A given symmetric positive-definite matrix, row-major d×d.
    Matrix(#[serde(deserialize_with = "deserialize_interned")] &'static [f64]),
    /// Mandt et al. (2017), Theorem 2: H* = (2B/(εN)) C⁻¹, C the per-example gradient-noise
    /// covariance at the optimum (divided by γ = (N − B)/(N − 1) without replacement — our
    /// refinement). Resolved against a model by `theory::resolve_preconditioner`.
    Optimal,
    /// The diagonal version, H*_kk = 2B/(εN γ C_kk) (Mandt et al. 2017, §4).
    OptimalDiagonal,
}

fn deserialize_interned<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<&'static [f64], D::Error> {
    let values = Vec::<f64>::deserialize(deserializer)?;
    Ok(Box::leak(values.into_boxed_slice()))
}

impl Preconditioner {
    /// A given matrix from its rows: checks that it is square and finite, and interns it.
    /// (Symmetry and positive definiteness are checked where the dimension is known:
    /// [`Preconditioner::matrix`].)
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self> {
        let d = rows.len();
        if d == 0 {
            return Err(Error::Invalid {
                what: "preconditioner".into(),
                why: "empty matrix".into(),
            });
        }
        for row in rows {
            if row.len() != d {
                return Err(Error::DimensionMismatch {
                    what: "preconditioner row (the matrix must be square)".into(),
                    expected: d,
                    found: row.len(),
                });
            }
        }
        let flat: Vec<f64> = rows.iter().flatten().cloned().collect();
        crate::error::ensure_finite("preconditioner", flat.iter())?;
        Ok(Preconditioner::Matrix(Box::leak(flat.into_boxed_slice())))
    }

    /// The given matrix as a d×d matrix after checking its shape, symmetry (to 1e-12 relative)
    /// and positive definiteness; `None` for the optimal choices, which depend on the model.
    pub fn matrix(&self, dimension: usize) -> Result<Option<nalgebra::DMatrix<f64>>> {
        let Preconditioner::Matrix(values) = *self else {
            return Ok(None);
        };
        if values.len() != dimension * dimension {
            return Err(Error::DimensionMismatch {
                what: "preconditioner (d×d entries)".into(),
                expected: dimension * dimension,
                found: values.len(),
            });
        }
        crate::error::ensure_finite("preconditioner", values.iter())?;
        let m = nalgebra::DMatrix::from_row_slice(dimension, dimension, values);
        let scale = m.amax().max(f64::MIN_POSITIVE);
        if (&m - m.transpose()).amax() > 1e-12 * scale
            || nalgebra::Cholesky::new(m.clone()).is_none()
        {
            return Err(Error::NotPositiveDefinite {
                what: "preconditioner".into(),
            });
        }
        Ok(Some(m))
    }

    /// The given matrix as a d×d matrix after checking its shape, symmetry (to 1e-12 relative)
    /// and positive *semi*-definiteness (eigenvalues ≥ −1e-12 relative): what a Fisher estimate
    /// must be (e.g. SGFS's empirical Fisher from fewer examples than dimensions is singular).
    /// `None` for the choices that depend on the model.
    pub fn semidefinite_matrix(&self, dimension: usize) -> Result<Option<nalgebra::DMatrix<f64>>> {
        let Preconditioner::Matrix(values) = *self else {
            return Ok(None);
        };
        if values.len() != dimension * dimension {
            return Err(Error::DimensionMismatch {
                what: "matrix (d×d entries)".into(),
                expected: dimension * dimension,
                found: values.len(),
            });
        }
        crate::error::ensure_finite("matrix", values.iter())?;
        let m = nalgebra::DMatrix::from_row_slice(dimension, dimension, values);
        let scale = m.amax().max(f64::MIN_POSITIVE);
        let smallest = nalgebra::SymmetricEigen::new((&m + m.transpose()) * 0.5)
            .eigenvalues
            .min();
        if (&m - m.transpose()).amax() > 1e-12 * scale || smallest < -1e-12 * scale {
            return Err(Error::NotPositiveDefinite {
                what: "Fisher estimate (must be symmetric positive semi-definite)".into(),
            });
        }
        Ok(Some(m))
    }

    /// The command-line spelling.
    pub fn name(&self) -> &'static str {
        match self {
            Preconditioner::Matrix(_) => "matrix",
            Preconditioner::Optimal => "optimal",
            Preconditioner::OptimalDiagonal => "optimal-diagonal",
        }
    }
}

/// Declares [`SamplerId`], [`SamplerId::ALL`] and the name and summary tables from one list, so
/// that a sampler cannot be listed in one and missing from another.
macro_rules! sampler_ids {
    ($($id:ident => $name:literal, $summary:literal;)*) => {
        /// A sampler without its parameters: the one list of samplers, which the command line,
        /// the reports, the tests and the benches iterate ([`SamplerId::ALL`]).
        ///
        /// ```
        /// use sgbayes::config::{SamplerId, SamplerKind};
        /// assert_eq!(SamplerId::parse("sghmc").unwrap(), SamplerId::Sghmc);
        /// assert_eq!(SamplerKind::Sgld.id().name(), "sgld");
        /// assert!(SamplerId::ALL.iter().all(|id| SamplerId::parse(id.name()).unwrap() == *id));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SamplerId {
            $(#[doc = $summary] $id,)*
        }

        impl SamplerId {
            /// Every sampler, in the order the command line lists them.
            pub const ALL: &'static [SamplerId] = &[$(SamplerId::$id),*];

            /// The command-line name (also the `serde` spelling of [`SamplerKind`]).
            pub fn name(self) -> &'static str {
                match self {
                    $(SamplerId::$id => $name,)*
                }
            }

            /// A one-line description with the sampler's paper.
            pub fn summary(self) -> &'static str {
                match self {
                    $(SamplerId::$id => $summary,)*
                }
            }
        }
    };
}

sampler_ids! {
    Sgd => "sgd", "Constant-step SGD on L = U/N (Mandt, Hoffman & Blei 2017).";
    Sgld => "sgld", "Stochastic gradient Langevin dynamics (Welling & Teh 2011).";
    SgdMomentum => "sgd-momentum", "Heavy-ball SGD as a sampler (Mandt, Hoffman & Blei 2017, §4).";
    Sghmc => "sghmc", "Stochastic gradient Hamiltonian Monte Carlo (Chen, Fox & Guestrin 2014).";
    SgdPreconditioned => "sgd-preconditioned", "Preconditioned constant SGD (Mandt, Hoffman & Blei 2017, Theorem 2).";
    Psgld => "psgld", "Preconditioned SGLD with a fixed preconditioner (Li, Chen, Carlson & Carin 2016).";
    PsgldRmsprop => "psgld-rmsprop", "pSGLD with the RMSprop-adaptive diagonal preconditioner (Li et al. 2016, Algorithm 1).";
    Ngd => "ngd", "Minibatch natural gradient descent (Smith, Kindermans, Ying & Le 2018).";
    StochasticNgd => "stochastic-ngd", "Stochastic NGD with the Jeffreys correction and injected noise (Smith et al. 2018).";
    Asgs => "asgs", "The Averaged Stochastic Gradient Sampler: window means of constant SGD (Mandt et al. 2017, §5).";
    Sgfs => "sgfs", "Stochastic gradient Fisher scoring with a fixed Fisher estimate (Ahn, Korattikara & Welling 2012).";
    SgfsOnline => "sgfs-online", "SGFS with the paper's online Fisher estimate (Ahn, Korattikara & Welling 2012).";
    SgldCv => "sgld-cv", "SGLD with control variates at an anchor (Baker, Fearnhead, Fox & Nemeth 2019).";
    SvrgLd => "svrg-ld", "SVRG Langevin dynamics: control variates re-anchored every epoch (Dubey et al. 2016).";
    Baoab => "baoab", "BAOAB splitting of underdamped Langevin with stochastic gradients (Leimkuhler & Matthews 2013).";
    Sgnht => "sgnht", "Stochastic gradient Nosé–Hoover thermostat (Ding, Fang, Babbush, Chen, Skeel & Neven 2014).";
}

impl SamplerId {
    /// The sampler of a command-line name.
    pub fn parse(name: &str) -> Result<Self> {
        SamplerId::ALL
            .iter()
            .copied()
            .find(|id| id.name() == name)
            .ok_or_else(|| Error::Invalid {
                what: "sampler".into(),
                why: format!(
                    "unknown sampler '{name}' (expected one of {})",
                    SamplerId::ALL
                        .iter()
                        .map(|id| id.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

impl SamplerKind {
    /// Which sampler this is, without its parameters.
    pub fn id(&self) -> SamplerId {
        match self {
            SamplerKind::Sgld => SamplerId::Sgld,
            SamplerKind::Sgd => SamplerId::Sgd,
            SamplerKind::SgdMomentum { .. } => SamplerId::SgdMomentum,
            SamplerKind::Sghmc { .. } => SamplerId::Sghmc,
            SamplerKind::SgdPreconditioned { .. } => SamplerId::SgdPreconditioned,
            SamplerKind::Psgld { .. } => SamplerId::Psgld,
            SamplerKind::PsgldRmsprop { .. } => SamplerId::PsgldRmsprop,
            SamplerKind::Ngd => SamplerId::Ngd,
            SamplerKind::StochasticNgd { .. } => SamplerId::StochasticNgd,
            SamplerKind::Asgs { .. } => SamplerId::Asgs,
            SamplerKind::Sgfs { .. } => SamplerId::Sgfs,
            SamplerKind::SgfsOnline { .. } => SamplerId::SgfsOnline,
            SamplerKind::SghmcGeneral { .. } => SamplerId::Sghmc,
            SamplerKind::SgldGeneral { .. } => SamplerId::Sgld,
            SamplerKind::PsgldTempered { .. } => SamplerId::Psgld,
            SamplerKind::PsgldRmspropGeneral { .. } => SamplerId::PsgldRmsprop,
            SamplerKind::SgldCv { .. } => SamplerId::SgldCv,
            SamplerKind::SvrgLd { .. } => SamplerId::SvrgLd,
            SamplerKind::Baoab { .. } => SamplerId::Baoab,
            SamplerKind::Sgnht { .. } => SamplerId::Sgnht,
        }
    }

    /// The command-line name ([`SamplerId::name`]).
    pub fn name(&self) -> &'static str {
        self.id().name()
    }

    /// `Some(L)` when the sampler's draws are the states at the end of each cycle of L steps (SGHMC
    /// with a momentum refresh every L steps, cyclical SGLD, SVRG-LD's epochs); `None` when every
    /// step's state is a draw.
    ///
    /// ```
    /// use sgbayes::config::{SamplerKind, SghmcOrder};
    /// let kind = SamplerKind::SghmcGeneral { friction: 0.1, noise_estimate: 0.0, refresh_every: Some(10), order: SghmcOrder::PositionFirst, batch_per_trajectory: true };
    /// assert_eq!(kind.draw_period(), Some(10));
    /// assert_eq!(SamplerKind::Sgld.draw_period(), None);
    /// ```
    pub fn draw_period(&self) -> Option<usize> {
        match *self {
            SamplerKind::SghmcGeneral { refresh_every, .. } => refresh_every,
            SamplerKind::SgldGeneral {
                schedule: StepSchedule::Cyclical { cycle_length },
                ..
            } => Some(cycle_length),
            SamplerKind::SvrgLd { epoch_length, .. } => Some(epoch_length),
            _ => None,
        }
    }

    /// Checks the sampler's own parameters: μ ∈ (0, 1]; α ∈ (0, 1] and 0 ≤ β̂ ≤ α; pSGLD takes a
    /// given matrix only. (Shapes and positive definiteness of a given preconditioner are checked
    /// against the model's dimension by [`Preconditioner::matrix`].)
    pub fn validate(&self) -> Result<()> {
        let invalid = |what: &str, why: String| {
            Err(Error::Invalid {
                what: what.into(),
                why,
            })
        };
        match *self {
            SamplerKind::Sgld
            | SamplerKind::Sgd
            | SamplerKind::Ngd
            | SamplerKind::SgdPreconditioned { .. } => Ok(()),
            SamplerKind::SvrgLd { epoch_length: 0, .. } => {
                invalid("epoch length", "an epoch has at least one step (K >= 1)".into())
            }
            SamplerKind::Baoab { friction, .. } if !(friction.is_finite() && friction > 0.0) => {
                invalid(
                    "friction",
                    format!("the baoab friction gamma must be positive and finite (per unit time; gamma = 0 has no stationary law), got {friction}"),
                )
            }
            SamplerKind::Sgfs { fisher, scale } => {
                if !(scale.is_finite() && scale > 0.0) {
                    return invalid("sgfs scale", format!("beta must be positive and finite, got {scale}"));
                }
                if fisher == Preconditioner::OptimalDiagonal {
                    return invalid("fisher", "sgfs takes a given matrix or the exact empirical Fisher".into());
                }
                Ok(())
            }
            SamplerKind::PsgldTempered {
                preconditioner,
                temperature,
            } => {
                SamplerKind::SgldGeneral {
                    temperature,
                    schedule: StepSchedule::Constant,
                }
                .validate()?;
                SamplerKind::Psgld { preconditioner }.validate()
            }
            SamplerKind::SgldGeneral {
                schedule: StepSchedule::Cyclical { cycle_length: 0 },
                ..
            } => invalid("cycle length", "a cycle has at least one step (K >= 1)".into()),
            SamplerKind::SgldGeneral {
                schedule: StepSchedule::Polynomial { b, gamma },
                ..
            } if !(b.is_finite() && b > 0.0 && gamma > 0.5 && gamma <= 1.0) => invalid(
                "polynomial schedule",
                format!("a(b + t)^(-gamma) needs b > 0 and 0.5 < gamma <= 1 (sum eps_t = infinity, sum eps_t^2 < infinity; Welling & Teh 2011), got b = {b}, gamma = {gamma}"),
            ),
            SamplerKind::SgldGeneral { temperature, .. }
            | SamplerKind::StochasticNgd { temperature }
            | SamplerKind::SgldCv { temperature, .. }
            | SamplerKind::SvrgLd { temperature, .. }
            | SamplerKind::Baoab { temperature, .. } => {
                if !(temperature.is_finite() && temperature > 0.0) {
                    return invalid(
                        "temperature",
                        format!("the temperature T must be positive and finite, got {temperature}"),
                    );
                }
                Ok(())
            }
            SamplerKind::SgfsOnline { scale } => {
                if !(scale.is_finite() && scale > 0.0) {
                    return invalid("sgfs scale", format!("beta must be positive and finite, got {scale}"));
                }
                Ok(())
            }
            SamplerKind::Sgnht { friction, .. } => {
                if !(friction.is_finite() && friction > 0.0) {
                    return invalid(
                        "friction",
                        format!("the diffusion A (the thermostat's initial value) must be positive and finite, got {friction}"),
                    );
                }
                Ok(())
            }
            SamplerKind::Asgs { window } => {
                if window == 0 {
                    return invalid("window", "the averaging window must be at least 1".into());
                }
                Ok(())
            }
            SamplerKind::Psgld { preconditioner } => match preconditioner {
                Preconditioner::Matrix(_) => Ok(()),
                other => invalid(
                    "preconditioner",
                    format!("psgld takes a given matrix G, not '{}' (the KL-optimal preconditioners are Mandt et al.'s, for sgd-preconditioned)", other.name()),
                ),
            },
            SamplerKind::PsgldRmspropGeneral {
                decay, regularizer, ..
            }
            | SamplerKind::PsgldRmsprop { decay, regularizer } => {
                if !(decay > 0.0 && decay < 1.0) {
                    return invalid(
                        "rmsprop decay",
                        format!("the decay alpha must lie in (0, 1), got {decay}"),
                    );
                }
                if !(regularizer.is_finite() && regularizer > 0.0) {
                    return invalid(
                        "rmsprop regularizer",
                        format!("the regulariser lambda must be positive and finite, got {regularizer}"),
                    );
                }
                Ok(())
            }
            SamplerKind::SgdMomentum { damping } => {
                if !(damping > 0.0 && damping <= 1.0) {
                    return invalid(
                        "damping",
                        format!("the damping mu must lie in (0, 1], got {damping}"),
                    );
                }
                Ok(())
            }
            SamplerKind::SghmcGeneral {
                friction,
                noise_estimate,
                refresh_every,
                batch_per_trajectory,
                ..
            } => {
                if refresh_every == Some(0) {
                    return invalid("refresh-every", "a trajectory has at least one step (L >= 1)".into());
                }
                if batch_per_trajectory && refresh_every.is_none() {
                    return invalid("batch-per-trajectory", "one minibatch per trajectory needs trajectories: give --refresh-every L".into());
                }
                SamplerKind::Sghmc {
                    friction,
                    noise_estimate,
                }
                .validate()
            }
            SamplerKind::Sghmc {
                friction,
                noise_estimate,
            } => {
                if !(friction > 0.0 && friction <= 1.0) {
                    return invalid(
                        "friction",
                        format!("the friction alpha must lie in (0, 1], got {friction}"),
                    );
                }
                if !(noise_estimate >= 0.0 && noise_estimate.is_finite()) {
                    return invalid(
                        "noise estimate",
                        format!("the noise estimate beta_hat must be finite and >= 0, got {noise_estimate}"),
                    );
                }
                if noise_estimate > friction {
                    return invalid(
                        "friction",
                        format!("the friction alpha = {friction} is below the noise estimate beta_hat = {noise_estimate}: the injected noise variance 2(alpha - beta_hat) eta would be negative"),
                    );
                }
                Ok(())
            }
        }
    }
}

/// Step size, batch size and batching scheme of a sampler run.
///
/// `step_size` is ε in the convention of the sampler's paper (see [`SamplerKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplerConfig {
    /// The update rule.
    pub kind: SamplerKind,
    /// Step size ε (learning rate) in the sampler's own convention.
    #[doc(alias = "epsilon")]
    pub step_size: f64,
    /// Minibatch size B, 1 ≤ B ≤ N.
    pub batch_size: usize,
    /// How minibatches are drawn.
    pub batching: Batching,
}

impl SamplerConfig {
    /// A configuration from its four parts.
    pub fn new(kind: SamplerKind, step_size: f64, batch_size: usize, batching: Batching) -> Self {
        Self {
            kind,
            step_size,
            batch_size,
            batching,
        }
    }

    /// The injected temperature of `stochastic-ngd`: T_inj = T − εNγ/(2B), the target temperature
    /// minus Smith et al.'s minibatch temperature (γ = (N − B)/(N − 1) without replacement, 1
    /// with; reshuffling counted as without). 0 for the other samplers.
    ///
    /// ```
    /// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}};
    /// let config = SamplerConfig::new(SamplerKind::StochasticNgd { temperature: 1.0 }, 0.01, 10, Batching::WithReplacement);
    /// assert!((config.injected_temperature(1000) - 0.5).abs() < 1e-12); // 1 − 0.01·1000/20
    /// ```
    pub fn injected_temperature(&self, data_size: usize) -> f64 {
        let SamplerKind::StochasticNgd { temperature } = self.kind else {
            return 0.0;
        };
        let gamma = match self.batching {
            Batching::WithReplacement => 1.0,
            _ if data_size <= 1 => 0.0,
            _ => (data_size as f64 - self.batch_size as f64) / (data_size as f64 - 1.0),
        };
        temperature - self.step_size * data_size as f64 * gamma / (2.0 * self.batch_size as f64)
    }

    /// Checks the parts that do not depend on the model's curvature: ε finite and positive,
    /// 1 ≤ B ≤ N, and the sampler's own parameters ([`SamplerKind::validate`]). The stability
    /// limit is checked by the closed forms, which know the curvature.
    pub fn validate(&self, data_size: usize) -> Result<()> {
        self.kind.validate()?;
        if !(self.step_size.is_finite() && self.step_size > 0.0) {
            return Err(Error::NonPositiveStepSize {
                step_size: self.step_size,
            });
        }
        if self.batch_size == 0 || self.batch_size > data_size {
            return Err(Error::BatchSize {
                batch_size: self.batch_size,
                data_size,
            });
        }
        if let SamplerKind::StochasticNgd { temperature } = self.kind {
            let injected = self.injected_temperature(data_size);
            if !(injected >= 0.0) {
                return Err(Error::Invalid {
                    what: "temperature".into(),
                    why: format!(
                        "the minibatch noise alone has temperature eps N gamma/(2B) = {:.6} > T = {temperature}: increase B or T, or decrease eps",
                        temperature - injected
                    ),
                });
            }
        }
        if matches!(self.kind, SamplerKind::SgfsOnline { .. }) && self.batch_size < 2 {
            return Err(Error::Invalid {
                what: "batch size".into(),
                why: "sgfs-online estimates the Fisher from the minibatch's score covariance, which needs B >= 2".into(),
            });
        }
        Ok(())
    }
}
