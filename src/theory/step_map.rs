//! The engine side of the sampler laws: one step of a sampler, described by its law
//! (`laws/`), as the affine random map [`AffineRandomMap`] of the model's per-example pieces.

use nalgebra::{DMatrix, DVector};

use super::affine_map::{AffineRandomMap, ExampleMatrices};
use super::laws::{sampler_law, ControlVariate, NoisePlacement, Splitting};
use super::posterior::exact_posterior;
use crate::config::SamplerConfig;
use crate::error::Result;
use crate::models::QuadraticModel;

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

    /// The control-variate offsets at the anchor θ̂: r^cv_i = r̄ + (K_i − K̄) θ̂, so that
    /// (1/B) Σ_k (K_{i_k} θ − r^cv_{i_k}) = ∇U(θ̂) + ĝ_S(θ) − ĝ_S(θ̂) (K̄ = P, the posterior
    /// precision).
    fn recentre<M: QuadraticModel + ?Sized>(&mut self, model: &M, anchor: &DVector<f64>) {
        // K_i θ̂ = Λ₀ θ̂ + N H_i θ̂ and K̄ = P.
        let n = model.data_size() as f64;
        let common = self.mean_offset() - model.posterior_precision() * anchor
            + model.prior_precision() * anchor;
        for (i, r) in self.offsets.iter_mut().enumerate() {
            *r = &common + model.example_hessian(i) * anchor * n;
        }
    }

    /// r̄ = (1/N) Σ_i r_i.
    fn mean_offset(&self) -> DVector<f64> {
        let mut sum = DVector::zeros(self.offsets[0].len());
        for r in &self.offsets {
            sum += r;
        }
        sum / self.offsets.len() as f64
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

/// The affine random map of one step with the preconditioner matrix already resolved (no stability-limit check: the
/// engine's mean-square-stability certificate still applies to the stationary law).
pub(crate) fn preconditioned_affine_map<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
    preconditioner: Option<DMatrix<f64>>,
) -> Result<AffineRandomMap> {
    let data_size = model.data_size();
    let law = sampler_law(&config.kind);
    let (eta, tau_squared) = law.step_scales(config, data_size);
    let d = model.dimension();
    let identity = DMatrix::<f64>::identity(d, d);
    let mut pieces = GradientPieces::new(model);
    match law.control_variate() {
        Some(ControlVariate::Fixed(anchor)) => {
            let point = match anchor.point(d)? {
                Some(values) => DVector::from_column_slice(values),
                None => exact_posterior(model)?.mean,
            };
            pieces.recentre(model, &point);
        }
        Some(ControlVariate::Reset) => {
            return anchored_map(&pieces, model, config, eta, tau_squared);
        }
        None => {}
    }
    if let Some(splitting) = law.splitting(config) {
        return splitting_map(&pieces, d, config, &splitting);
    }
    match law.momentum_retention() {
        None => {
            let h = preconditioner.unwrap_or_else(|| identity.clone());
            let noise = match law.noise_placement() {
                NoisePlacement::BeforePreconditioner => &h * &h * tau_squared,
                NoisePlacement::AfterPreconditioner => &h * tau_squared,
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

/// One step of SGLD with the control variate anchored at a second state block θ̃ (SVRG-LD), an
/// affine map of z = (θ, θ̃): M_i = C + L K_i Rᵀ with C = [[I, −η K̄], [0, I]], L = [−η I; 0],
/// R = [I; −I] (so M_i = [[I − η K_i, η (K_i − K̄)], [0, I]]), c_i = (η r̄, 0), noise τ² on θ only.
fn anchored_map<M: QuadraticModel + ?Sized>(
    pieces: &GradientPieces,
    model: &M,
    config: &SamplerConfig,
    eta: f64,
    tau_squared: f64,
) -> Result<AffineRandomMap> {
    let d = model.dimension();
    let identity = DMatrix::<f64>::identity(d, d);
    let mut c = DMatrix::zeros(2 * d, 2 * d);
    c.view_mut((0, 0), (d, d)).copy_from(&identity);
    c.view_mut((0, d), (d, d))
        .copy_from(&(model.posterior_precision() * -eta));
    c.view_mut((d, d), (d, d)).copy_from(&identity);
    let mut l = DMatrix::zeros(2 * d, d);
    l.view_mut((0, 0), (d, d)).copy_from(&(&identity * -eta));
    let mut r = DMatrix::zeros(2 * d, d);
    r.view_mut((0, 0), (d, d)).copy_from(&identity);
    r.view_mut((d, 0), (d, d)).copy_from(&(-&identity));
    let mut offset = DVector::zeros(2 * d);
    offset
        .rows_mut(0, d)
        .copy_from(&(pieces.mean_offset() * eta));
    let mut noise = DMatrix::zeros(2 * d, 2 * d);
    noise
        .view_mut((0, 0), (d, d))
        .copy_from(&(&identity * tau_squared));
    AffineRandomMap::new(
        pieces.map_hessians(&c, &l, &r),
        vec![offset; model.data_size()],
        noise,
        config.batch_size,
        config.batching,
    )
}

/// One splitting step on (θ, u) (BAOAB): M_i = C + L K_i Rᵀ with C = [[I, a I], [0, c I]],
/// L = [−a k I; −c k I], R = [I; 0]; c_i = (a k r_i, c k r_i); noise [[q_θθ, q_θu], [q_θu, q_uu]] ⊗ I.
fn splitting_map(
    pieces: &GradientPieces,
    d: usize,
    config: &SamplerConfig,
    splitting: &Splitting,
) -> Result<AffineRandomMap> {
    let Splitting {
        kick,
        drift,
        retention,
        noise: (q_position, q_cross, q_velocity),
    } = *splitting;
    let identity = DMatrix::<f64>::identity(d, d);
    let mut c = DMatrix::zeros(2 * d, 2 * d);
    c.view_mut((0, 0), (d, d)).copy_from(&identity);
    c.view_mut((0, d), (d, d)).copy_from(&(&identity * drift));
    c.view_mut((d, d), (d, d))
        .copy_from(&(&identity * retention));
    let mut l = DMatrix::zeros(2 * d, d);
    l.view_mut((0, 0), (d, d))
        .copy_from(&(&identity * (-drift * kick)));
    l.view_mut((d, 0), (d, d))
        .copy_from(&(&identity * (-retention * kick)));
    let mut r = DMatrix::zeros(2 * d, d);
    r.view_mut((0, 0), (d, d)).copy_from(&identity);
    let offsets = pieces
        .offsets
        .iter()
        .map(|r| {
            let mut c = DVector::zeros(2 * d);
            c.rows_mut(0, d).copy_from(&(r * (drift * kick)));
            c.rows_mut(d, d).copy_from(&(r * (retention * kick)));
            c
        })
        .collect();
    let noise = DMatrix::from_row_slice(2, 2, &[q_position, q_cross, q_cross, q_velocity])
        .kronecker(&identity);
    AffineRandomMap::new(
        pieces.map_hessians(&c, &l, &r),
        offsets,
        noise,
        config.batch_size,
        config.batching,
    )
}
