//! Each sampler's update as an affine random map: the public face of the sampler laws
//! (`laws/`, one per sampler, written from the papers' update equations and not from the code in
//! `samplers/`; the probe tests in `tests/` check the two agree).

use nalgebra::{DMatrix, SymmetricEigen};

use super::affine_map::AffineRandomMap;
use super::laws::{sampler_law, ControlVariate};
use super::preconditioner_rules::preconditioner_matrix;
use super::step_map::preconditioned_affine_map;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// The gradient and noise scales (η, τ²) of a configuration: the step uses −η ĝ_S(θ) and injected
/// noise of covariance τ² I (on θ for the plain samplers, on v for the momentum samplers).
///
/// # Formula
/// Each sampler's law states them from its paper's update equation (`theory/laws/`, one file
/// per sampler): e.g. SGLD (Welling & Teh 2011, eq. 4) η = ε/2, τ² = ε; constant SGD on
/// L = U/N (Mandt et al. 2017, §2) η = ε/N, τ = 0; SGHMC (Chen et al. 2014, eq. 15) η = ε,
/// τ² = 2(α − β̂)ε on v.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, theory};
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.1, 5, Batching::WithReplacement);
/// assert_eq!(theory::gradient_step_scales(&config, 100), (0.05, 0.1));
/// ```
pub fn gradient_step_scales(config: &SamplerConfig, data_size: usize) -> (f64, f64) {
    sampler_law(&config.kind).step_scales(config, data_size)
}

/// The momentum retention ρ of v ← ρ v − η ĝ + τ ξ: 1 − μ (momentum SGD), 1 − α (SGHMC); `None`
/// for the samplers without momentum.
pub fn momentum_retention(kind: &SamplerKind) -> Option<f64> {
    sampler_law(kind).momentum_retention()
}

/// Dimension of the chain state of a configuration on a d-dimensional model: 2d with momentum
/// (or a velocity, BAOAB).
pub fn state_dimension(kind: &SamplerKind, dimension: usize) -> usize {
    if sampler_law(kind).has_velocity() {
        2 * dimension
    } else {
        dimension
    }
}

/// `None` when the closed forms give the sampler's exact stationary law; otherwise why they give
/// only a reference law (the adaptive samplers, whose running preconditioner estimate carries
/// memory: [`crate::theory::rmsprop_reference_preconditioner`],
/// [`crate::theory::online_fisher_reference`]).
///
/// ```
/// use sgbayes::{config::SamplerKind, theory};
/// assert!(theory::reference_law_only(&SamplerKind::Sgld).is_none());
/// assert!(theory::reference_law_only(&SamplerKind::SgfsOnline { scale: 1.0 }).is_some());
/// ```
pub fn reference_law_only(kind: &SamplerKind) -> Option<&'static str> {
    sampler_law(kind).reference_only()
}

/// Largest eigenvalue of the posterior precision P (the Hessian of U).
pub fn largest_curvature<M: QuadraticModel + ?Sized>(model: &M) -> f64 {
    SymmetricEigen::new(model.posterior_precision())
        .eigenvalues
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The step-size limit of the mean iteration.
///
/// # Formula
/// * Without momentum, θ̄' = (I − ηP) θ̄ + const: η λ_max(P) < 2, i.e. ε < 2/(c λ_max(P)) for
///   η = c ε (SGLD: ε < 4/λ_max(P); SGD: ε < 2N/λ_max(P) = 2/λ_max(∇²L)).
/// * With momentum (retention ρ), each eigenvalue λ of P gives the 2×2 mean map
///   [[1 − ηλ, ρ], [−ηλ, ρ]] with characteristic polynomial z² − (1 + ρ − ηλ) z + ρ; by the Jury
///   criterion its roots lie inside the unit circle iff |ρ| < 1 and 0 < ηλ < 2(1 + ρ). So
///   η λ_max(P) < 2(1 + ρ) = 2(2 − μ) (derived here; for μ = 1 it is plain SGD's limit).
/// * With a preconditioner H (SPD), the eigenvalues of HP are real and positive (HP is similar to
///   H^{1/2} P H^{1/2}): η λ_max(HP) < 2. For Mandt's optimal preconditioners εH does not depend
///   on ε, so the limit is +∞ when the step is stable and 0 when it is not.
///
/// NaN when the configuration's preconditioner is invalid (the closed forms report the error).
pub fn stability_limit<M: QuadraticModel + ?Sized>(config: &SamplerConfig, model: &M) -> f64 {
    let law = sampler_law(&config.kind);
    let (eta, _) = law.step_scales(config, model.data_size());
    let bound = law
        .mean_stability_bound()
        .unwrap_or(match law.momentum_retention() {
            None => 2.0,
            Some(rho) => 2.0 * (1.0 + rho),
        });
    let curvature = match preconditioner_matrix(config, model) {
        Ok(None) => largest_curvature(model),
        Ok(Some(h)) => match preconditioned_curvature(&h, &model.posterior_precision()) {
            Some(value) => value,
            None => return f64::NAN,
        },
        Err(_) => return f64::NAN,
    };
    if law.preconditioner_scales_with_inverse_step() {
        return if eta * curvature < bound {
            f64::INFINITY
        } else {
            0.0
        };
    }
    bound * config.step_size / (eta * curvature)
}

/// Largest chain-state dimension for which [`mean_square_stability_limit`] searches (a dense
/// second-moment system of 136 unknowns per trial step size).
pub const MAX_LIMIT_SEARCH_STATE_DIMENSION: usize = 16;

/// The mean-square stability limit on ε: the largest step size at which the configured sampler
/// (with its batch size and batching scheme) has a stationary law, to a relative 10⁻⁷ and rounded
/// down (the returned step size itself is stable).
///
/// # Formula
/// The chain has a stationary covariance iff its second-moment operator
/// T(X) = M̄ X M̄ᵀ + (κ/N) Σ_i D_i X D_iᵀ contracts (docs/exact-discrete-law.md; the certificate
/// of [`AffineRandomMap::is_mean_square_stable`]). Mean-square stability implies mean stability, so
/// the limit lies in (0, [`stability_limit`]]; it is found by bisection on ε over that interval
/// (about 24 dense certificates), taking the stable steps to be the interval below the limit.
///
/// `None` when the search does not apply: ε-independent preconditioners, reshuffled batches
/// (not a step-wise Markov chain), state dimensions above [`MAX_LIMIT_SEARCH_STATE_DIMENSION`]
/// (where two dozen second-moment solves would cost more than the law itself), or a
/// configuration whose mean limit is not finite.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// use sgbayes::theory::{mean_square_stability_limit, stability_limit};
/// let model = LinearRegression::new(vec![vec![1.0], vec![2.0], vec![-1.0]], vec![1.0, 0.0, 2.0], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.1, 1, Batching::WithReplacement);
/// let mean_square = mean_square_stability_limit(&config, &model).unwrap();
/// assert!(mean_square < stability_limit(&config, &model)); // minibatch noise lowers the limit
/// ```
pub fn mean_square_stability_limit<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Option<f64> {
    let mean_limit = stability_limit(config, model);
    if state_dimension(&config.kind, model.dimension()) > MAX_LIMIT_SEARCH_STATE_DIMENSION
        || config.batching == crate::batching::Batching::Reshuffle
        || sampler_law(&config.kind).preconditioner_scales_with_inverse_step()
        || !(mean_limit.is_finite() && mean_limit > 0.0)
    {
        return None;
    }
    let stable = |step_size: f64| -> Option<bool> {
        let trial = SamplerConfig {
            step_size,
            ..*config
        };
        match affine_map(&trial, model) {
            Ok(map) => map.is_mean_square_stable(),
            Err(_) => Some(false),
        }
    };
    let (mut stable_step, mut unstable_step) = (0.0, mean_limit);
    while unstable_step - stable_step > 1e-7 * unstable_step {
        let middle = 0.5 * (stable_step + unstable_step);
        if stable(middle)? {
            stable_step = middle;
        } else {
            unstable_step = middle;
        }
    }
    (stable_step > 0.0).then_some(stable_step)
}

/// `error` with the usable step-size limit of `config` filled in: a [`Error::MeanSquareUnstable`]
/// without a limit gets [`mean_square_stability_limit`]; other errors are returned unchanged.
pub fn with_usable_limit<M: QuadraticModel + ?Sized>(
    error: Error,
    config: &SamplerConfig,
    model: &M,
) -> Error {
    match error {
        Error::MeanSquareUnstable { limit: None } => Error::MeanSquareUnstable {
            limit: mean_square_stability_limit(config, model),
        },
        other => other,
    }
}

/// λ_max(HP) for SPD H and P, from the symmetric matrix Lᵀ P L (H = L Lᵀ).
fn preconditioned_curvature(h: &DMatrix<f64>, p: &DMatrix<f64>) -> Option<f64> {
    let l = nalgebra::Cholesky::new(h.clone())?.l();
    let s = l.transpose() * p * &l;
    Some(
        SymmetricEigen::new((&s + s.transpose()) * 0.5)
            .eigenvalues
            .iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max),
    )
}

/// The affine random map of one step of the configured sampler on a quadratic model.
///
/// # Formula
/// With ĝ_S(θ) = Λ₀(θ − m₀) + (N/B) Σ_{k} (H_{i_k} θ − b_{i_k}) = (1/B) Σ_k (K_{i_k} θ − r_{i_k}),
/// K_i = Λ₀ + N H_i, r_i = Λ₀ m₀ + N b_i:
/// * the step θ' = θ − η ĝ_S(θ) + τ ξ (SGLD, SGD) has per-example pieces M_i = I − η K_i,
///   c_i = η r_i, and noise covariance τ² I;
/// * the preconditioned step θ' = θ − η H ĝ_S(θ) + τ H^{1/2} ξ (preconditioned SGD, pSGLD with
///   G = H, NGD with H = F⁻¹) has M_i = I − η H K_i, c_i = η H r_i, and noise covariance τ² H;
/// * the momentum step v' = ρ v − η ĝ_S(θ) + τ ξ, θ' = θ + v' (momentum SGD, SGHMC) is affine in
///   z = (θ, v) with
///   M_i = [[I − η K_i, ρ I], [−η K_i, ρ I]],  c_i = (η r_i, η r_i),
///   noise covariance τ² [[I, I], [I, I]] (the same ξ enters v' and θ').
///
/// Both are minibatch averages of per-example pieces, so the one engine ([`AffineRandomMap`])
/// gives the exact stationary law.
///
/// Errors: ε ≤ 0 or non-finite, B outside 1..=N, bad sampler parameters, ε past
/// [`stability_limit`] (the error carries [`mean_square_stability_limit`], the usable limit),
/// reshuffled batches; [`Error::NoClosedForm`] for `svrg-ld`, whose steps are not one repeated
/// map of θ (its epoch-end law is [`crate::theory::TheoryReport`]'s).
///
/// [`Error::MeanSquareUnstable`] from the map's stationary law does not know ε;
/// [`with_usable_limit`] adds the configuration's mean-square limit to it.
pub fn affine_map<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<AffineRandomMap> {
    let data_size = model.data_size();
    config.validate(data_size)?;
    if sampler_law(&config.kind).control_variate() == Some(ControlVariate::Reset) {
        return Err(Error::NoClosedForm {
            what: format!(
                "a one-step map of {} (its anchor is reset every epoch, so its steps are not one repeated map of theta; the exact law of its epoch-end draws is TheoryReport's)",
                config.kind.name()
            ),
        });
    }
    let preconditioner = preconditioner_matrix(config, model)?;
    let limit = stability_limit(config, model);
    if !(config.step_size < limit) {
        return Err(Error::PastStabilityLimit {
            step_size: config.step_size,
            limit,
            mean_square_limit: mean_square_stability_limit(config, model),
        });
    }
    preconditioned_affine_map(config, model, preconditioner)
}

/// The continuous-time (Ornstein–Uhlenbeck) approximation of a momentum sampler's stationary law
/// on (θ, v).
///
/// # Formula (Mandt et al. 2017, §4; Chen et al. 2014, eq. 3 in the v-form)
/// dθ = v dt, dv = −(1 − ρ) v dt − η P (θ − m_θ) dt + Q_v^{1/2} dW, one step = one time unit,
/// where Q_v is the one-step noise covariance of v at the stationary mean (minibatch noise plus
/// injected noise). Its stationary covariance solves G Σ + Σ Gᵀ = diag(0, Q_v) with
/// G = [[0, −I], [ηP, (1 − ρ) I]]. In the commuting case the θ block satisfies
/// P Σ_θ + Σ_θ P = Q_v/(η(1 − ρ)) — for momentum SGD A Σ_θ + Σ_θ A = (ε/(μ B)) C, the paper's
/// "SGD with learning rate ε/μ".
pub fn momentum_continuous_covariance<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
    map: &AffineRandomMap,
) -> Result<DMatrix<f64>> {
    let rho = momentum_retention(&config.kind).ok_or_else(|| Error::Invalid {
        what: "sampler".into(),
        why: "not a momentum sampler".into(),
    })?;
    let (eta, _) = gradient_step_scales(config, model.data_size());
    let d = model.dimension();
    let identity = DMatrix::<f64>::identity(d, d);
    let mut drift = DMatrix::zeros(2 * d, 2 * d);
    drift.view_mut((0, d), (d, d)).copy_from(&(-&identity));
    drift
        .view_mut((d, 0), (d, d))
        .copy_from(&(model.posterior_precision() * eta));
    drift
        .view_mut((d, d), (d, d))
        .copy_from(&(&identity * (1.0 - rho)));
    let q_opt = map.noise_at_stationary_mean()?;
    let mut q = DMatrix::zeros(2 * d, 2 * d);
    q.view_mut((d, d), (d, d))
        .copy_from(&q_opt.view((d, d), (d, d)));
    super::lyapunov::solve_continuous_lyapunov(&drift, &q)
}
