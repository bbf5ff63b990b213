//! Each sampler's update written as an affine random map, from the papers' update equations
//! (not from the code in `samplers/`; the probe tests in `tests/` check the two agree).

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use super::affine_map::{AffineRandomMap, ExampleMatrices};
use super::preconditioners::{preconditioner_matrix, preconditioner_scales_with_inverse_step};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// The gradient and noise scales (η, τ²) of a configuration: the step uses −η ĝ_S(θ) and injected
/// noise of covariance τ² I (on θ for the plain samplers, on v for the momentum samplers).
///
/// # Formula
/// * SGLD (Welling & Teh 2011, eq. 4): η = ε/2, τ² = ε.
/// * Constant SGD on L = U/N (Mandt et al. 2017, §2): η = ε/N, τ = 0.
/// * SGD with momentum (Mandt et al. 2017, §4): η = ε/N, τ = 0 (on v).
/// * SGHMC (Chen et al. 2014, eq. 15): η = ε (the learning rate), τ² = 2(α − β̂)ε (on v).
/// * ASGS: the constant-SGD iterates it averages, η = ε/N, τ = 0.
/// * Preconditioned SGD (Mandt et al. 2017) and NGD (Smith et al. 2018): η = ε/N (times H or
///   F⁻¹), τ = 0.
/// * Stochastic NGD (Smith et al. 2018, our Riemannian-Langevin form): η = ε/N (times F⁻¹),
///   τ² = 2ε T_inj/N (times F⁻¹); Γ = 0 on quadratic models (constant F).
/// * pSGLD with fixed G (Li et al. 2016): η = ε/2 (times G), τ² = ε (times G); the same for the
///   RMSprop-adaptive pSGLD's reference law with the self-consistent G_∞.
pub fn gradient_step_scales(config: &SamplerConfig, data_size: usize) -> (f64, f64) {
    let eps = config.step_size;
    match config.kind {
        SamplerKind::Sgld | SamplerKind::Psgld { .. } | SamplerKind::PsgldRmsprop { .. } => {
            (eps / 2.0, eps)
        }
        SamplerKind::Sgd
        | SamplerKind::Asgs { .. }
        | SamplerKind::SgdMomentum { .. }
        | SamplerKind::SgdPreconditioned { .. }
        | SamplerKind::Ngd => (eps / data_size as f64, 0.0),
        SamplerKind::StochasticNgd { .. } => (
            eps / data_size as f64,
            2.0 * eps * config.injected_temperature(data_size) / data_size as f64,
        ),
        SamplerKind::Sghmc {
            friction,
            noise_estimate,
        } => (eps, 2.0 * (friction - noise_estimate) * eps),
        // SGFS: θ' = θ − H ĝ + H η with η ~ N(0, (4β/ε) I): unit drift scale on H, and noise
        // covariance τ² H² with τ² = 4β/ε (see `affine_map`).
        SamplerKind::Sgfs { scale, .. } | SamplerKind::SgfsOnline { scale } => {
            (1.0, 4.0 * scale / eps)
        }
    }
}

/// The momentum retention ρ of v ← ρ v − η ĝ + τ ξ: 1 − μ (momentum SGD), 1 − α (SGHMC); `None`
/// for the samplers without momentum.
pub fn momentum_retention(kind: &SamplerKind) -> Option<f64> {
    match *kind {
        SamplerKind::SgdMomentum { damping } => Some(1.0 - damping),
        SamplerKind::Sghmc { friction, .. } => Some(1.0 - friction),
        _ => None,
    }
}

/// Dimension of the chain state of a configuration on a d-dimensional model: 2d with momentum.
pub fn state_dimension(kind: &SamplerKind, dimension: usize) -> usize {
    if kind.has_momentum() {
        2 * dimension
    } else {
        dimension
    }
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
    let (eta, _) = gradient_step_scales(config, model.data_size());
    let bound = match momentum_retention(&config.kind) {
        None => 2.0,
        Some(rho) => 2.0 * (1.0 + rho),
    };
    let curvature = match preconditioner_matrix(config, model) {
        Ok(None) => largest_curvature(model),
        Ok(Some(h)) => match preconditioned_curvature(&h, &model.posterior_precision()) {
            Some(value) => value,
            None => return f64::NAN,
        },
        Err(_) => return f64::NAN,
    };
    if preconditioner_scales_with_inverse_step(config) {
        return if eta * curvature < bound {
            f64::INFINITY
        } else {
            0.0
        };
    }
    bound * config.step_size / (eta * curvature)
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

/// Per-example pieces of the minibatch gradient ĝ_S(θ) = (1/B) Σ_k (K_{i_k} θ − r_{i_k}),
/// K_i = Λ₀ + N H_i, r_i = Λ₀ m₀ + N b_i.
struct GradientPieces {
    /// K_i, or one shared K when all H_i are equal.
    hessians: ExampleMatrices,
    /// r_i.
    offsets: Vec<DVector<f64>>,
}

impl GradientPieces {
    fn new<M: QuadraticModel + ?Sized>(model: &M) -> Self {
        let data_size = model.data_size();
        let n = data_size as f64;
        let prior_precision = model.prior_precision();
        let prior_pull = &prior_precision * model.prior_mean();
        let offsets = (0..data_size)
            .map(|i| &prior_pull + model.example_offset(i) * n)
            .collect();
        let factors: Option<Vec<DVector<f64>>> = (0..data_size)
            .map(|i| model.example_hessian_factor(i))
            .collect();
        if let Some(factors) = factors {
            // K_i = Λ₀ + N v_i v_iᵀ: rank-one updates of the prior precision.
            let hessians = ExampleMatrices::RankOne {
                common: prior_precision,
                left: factors.iter().map(|v| v * n).collect(),
                right: factors,
            };
            return Self { hessians, offsets };
        }
        let first = model.example_hessian(0);
        let shared = (1..data_size).all(|i| model.example_hessian(i) == first);
        let hessians = if shared {
            ExampleMatrices::Shared(&prior_precision + first * n)
        } else {
            ExampleMatrices::PerExample(
                (0..data_size)
                    .map(|i| &prior_precision + model.example_hessian(i) * n)
                    .collect(),
            )
        };
        Self { hessians, offsets }
    }

    /// The per-example matrices M_i = C + L K_i Rᵀ (keeping the sharing or rank-one structure:
    /// C + L (A + u wᵀ) Rᵀ = (C + L A Rᵀ) + (L u)(R w)ᵀ).
    fn map_hessians(
        &self,
        c: &DMatrix<f64>,
        l: &DMatrix<f64>,
        r: &DMatrix<f64>,
    ) -> ExampleMatrices {
        let f = |k: &DMatrix<f64>| c + l * k * r.transpose();
        match &self.hessians {
            ExampleMatrices::Shared(k) => ExampleMatrices::Shared(f(k)),
            ExampleMatrices::PerExample(list) => {
                ExampleMatrices::PerExample(list.iter().map(f).collect())
            }
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => ExampleMatrices::RankOne {
                common: f(common),
                left: left.iter().map(|u| l * u).collect(),
                right: right.iter().map(|w| r * w).collect(),
            },
        }
    }
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
/// [`stability_limit`], reshuffled batches.
pub fn affine_map<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<AffineRandomMap> {
    let data_size = model.data_size();
    config.validate(data_size)?;
    let preconditioner = preconditioner_matrix(config, model)?;
    let limit = stability_limit(config, model);
    if !(config.step_size < limit) {
        return Err(Error::PastStabilityLimit {
            step_size: config.step_size,
            limit,
        });
    }
    preconditioned_affine_map(config, model, preconditioner)
}

/// [`affine_map`] with the preconditioner matrix already resolved (no stability-limit check: the
/// engine's mean-square-stability certificate still applies to the stationary law).
pub(crate) fn preconditioned_affine_map<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
    preconditioner: Option<DMatrix<f64>>,
) -> Result<AffineRandomMap> {
    let data_size = model.data_size();
    let (eta, tau_squared) = gradient_step_scales(config, data_size);
    let d = model.dimension();
    let identity = DMatrix::<f64>::identity(d, d);
    let pieces = GradientPieces::new(model);
    match momentum_retention(&config.kind) {
        None => {
            let h = preconditioner.unwrap_or_else(|| identity.clone());
            // SGFS injects N(0, (4β/ε) I) *before* the preconditioner H; the others inject τ² H.
            let noise =
                if let SamplerKind::Sgfs { .. } | SamplerKind::SgfsOnline { .. } = config.kind {
                    &h * &h * tau_squared
                } else {
                    &h * tau_squared
                };
            AffineRandomMap::new(
                pieces.map_hessians(&identity, &(&h * -eta), &identity),
                pieces.offsets.iter().map(|r| &h * r * eta).collect(),
                noise,
                config.batch_size,
                config.batching,
            )
        }
        Some(rho) => {
            // M_i = C + L K_i Rᵀ with C = [[I, ρI], [0, ρI]], L = [−ηI; −ηI], R = [I; 0].
            let mut c = DMatrix::zeros(2 * d, 2 * d);
            c.view_mut((0, 0), (d, d)).copy_from(&identity);
            c.view_mut((0, d), (d, d)).copy_from(&(&identity * rho));
            c.view_mut((d, d), (d, d)).copy_from(&(&identity * rho));
            let mut l = DMatrix::zeros(2 * d, d);
            l.view_mut((0, 0), (d, d)).copy_from(&(&identity * -eta));
            l.view_mut((d, 0), (d, d)).copy_from(&(&identity * -eta));
            let mut r = DMatrix::zeros(2 * d, d);
            r.view_mut((0, 0), (d, d)).copy_from(&identity);
            let matrices = pieces.map_hessians(&c, &l, &r);
            let offsets = pieces
                .offsets
                .iter()
                .map(|r| {
                    let mut c = DVector::zeros(2 * d);
                    c.rows_mut(0, d).copy_from(&(r * eta));
                    c.rows_mut(d, d).copy_from(&(r * eta));
                    c
                })
                .collect();
            let noise = DMatrix::from_element(2, 2, tau_squared).kronecker(&identity);
            AffineRandomMap::new(matrices, offsets, noise, config.batch_size, config.batching)
        }
    }
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
