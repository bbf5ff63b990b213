//! Self-consistent mean-field theory of the SGLD posterior of a finite-width two-layer network,
//! after Göring, Mingard, Nam & Louis, "A simple mean field model of feature learning"
//! (arXiv 2510.15174, 2025).
//!
//! **Provenance.** The paper's abstract states that a tractable self-consistent mean-field (MF)
//! theory exists, reduces to kernel ridge regression at infinite width and predicts a
//! symmetry-breaking (feature-learning) transition. Its main text was not available to us: the
//! equations below are our **\[derived\]** reconstruction (`docs/mean-field-sgld.md`), not the
//! paper's; the alignment order parameter is our choice.
//!
//! # Formula
//! 1. Integrating out the readout a (Gaussian) leaves the first-layer posterior
//!    p(W) ∝ Π_i N(w_i; 0, s I) · det(K_W + T I)^{−1/2} exp(−½ yᵀ (K_W + T I)⁻¹ y),
//!    K_W = σ_a² N^{−2γ} Σ_i φ_i φ_iᵀ, φ_i = φ(X w_i) ∈ R^P, s = σ_w²/d.
//! 2. Product ansatz p(W) ≈ Π_i q(w_i) and linearisation of
//!    F(K) = −½ log det(K + T I) − ½ yᵀ (K + T I)⁻¹ y around K̄ = σ_a² N^{1−2γ} E_q[φ φᵀ]
//!    (∇F = ½(ᾱᾱᵀ − (K̄ + T I)⁻¹), ᾱ = (K̄ + T I)⁻¹ y) give the single-neuron measure
//!    q(w) ∝ N(w; 0, s I) · exp(½ σ_a² N^{−2γ} φ(Xw)ᵀ [ᾱ ᾱᵀ − (K̄ + T I)⁻¹] φ(Xw)).
//! 3. Fixed point q → K̄ → ᾱ → q, solved here by damped iteration on K̄,
//!    K̄ ← (1 − η) K̄ + η K̄_new. Expectations over q are self-normalised importance sampling
//!    with an adaptive Gaussian proposal N(0, Σ_prop), Σ_prop = 1.5 E_q[w wᵀ] + 0.05 s I from the
//!    previous iterate (the first proposal is the prior), drawn as w_k = L z_k from a fixed,
//!    seeded set of M standard normal vectors z_k (common random numbers: the iteration is a
//!    deterministic map, and the result is bit-identical for a given seed). The tilt is ramped up
//!    linearly over the first 20 iterations so the proposal can follow q; the fixed point is
//!    unchanged. The Kish effective sample size (Σ ω)²/Σ ω² of the final weights is reported;
//!    below `min_effective_sample_size` the solver returns an error instead of a silently wrong
//!    number.
//!
//! MF predictor: f̄(x) = k̄(x)ᵀ ᾱ, Var f(x) = K̄(x, x) − k̄(x)ᵀ (K̄ + T I)⁻¹ k̄(x), with
//! k̄(x)_μ = σ_a² N^{1−2γ} E_q[φ(w·x) φ(w·x_μ)]. For γ = ½ the tilt is O(1/N): q → prior and
//! K̄ → the NNGP kernel as N → ∞, which is kernel ridge regression ([`super::kernels`]).

use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

use super::kernels::{gp_posterior, GpPosterior, KernelRidge, NngpKernel};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{Activation, Model, TwoLayerNetwork};

/// Settings of [`solve`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanFieldSettings {
    /// M, the number of prior draws of w in the importance-sampling pool.
    pub pool_size: usize,
    /// Seed of the pool (ChaCha20).
    pub seed: u64,
    /// Initial damping η ∈ (0, 1] of the update K̄ ← (1 − η) K̄ + η K̄_new (halved, down to 1/64,
    /// whenever the residual grows).
    pub damping: f64,
    /// Convergence when ‖K̄_new − K̄‖_F ≤ tolerance · ‖K̄‖_F.
    pub tolerance: f64,
    /// Iteration cap.
    pub max_iterations: usize,
    /// Smallest acceptable Kish effective sample size of the importance weights.
    pub min_effective_sample_size: f64,
}

impl Default for MeanFieldSettings {
    fn default() -> Self {
        Self {
            pool_size: 8_000,
            seed: 0x006d_665f_706f_6f6c,
            damping: 0.5,
            tolerance: 1e-10,
            max_iterations: 500,
            min_effective_sample_size: 200.0,
        }
    }
}

/// The mean-field fixed point.
#[derive(Debug, Clone)]
pub struct MeanFieldSolution {
    /// Self-consistent kernel K̄ on the training inputs (P×P).
    pub kernel: DMatrix<f64>,
    /// Prior (tilt-free) kernel on the final pool (importance weights prior/proposal): the
    /// Monte-Carlo NNGP kernel times N^{1−2γ}, with the same draws as `kernel`.
    pub prior_kernel: DMatrix<f64>,
    /// ᾱ = (K̄ + T I)⁻¹ y.
    pub dual: Vec<f64>,
    /// Iterations used.
    pub iterations: usize,
    /// ‖K̄_new − K̄‖_F / ‖K̄‖_F at each iteration (convergence diagnostic).
    pub residuals: Vec<f64>,
    /// Kish effective sample size of the final importance weights.
    pub effective_sample_size: f64,
    /// Relative change ‖K̄ − K̄_prior‖_F / ‖K̄_prior‖_F caused by the tilt.
    pub kernel_change: f64,
    /// Pool of prior draws (M rows of length d, row-major) and their normalised weights under q.
    pool: Vec<f64>,
    weights: Vec<f64>,
    input_dimension: usize,
    /// σ_a² N^{1−2γ}.
    kernel_scale: f64,
    activation: Activation,
}

impl MeanFieldSolution {
    /// E_q[g(w)] for any function of the first-layer weight vector.
    pub fn expectation(&self, g: impl Fn(&[f64]) -> f64) -> f64 {
        self.pool
            .chunks(self.input_dimension)
            .zip(&self.weights)
            .map(|(w, omega)| omega * g(w))
            .sum()
    }

    /// The alignment order parameter of q with a direction β (our choice; see
    /// [`TwoLayerNetwork::alignment`]): m = (d E_q[(w·β̂)²]/E_q[‖w‖²] − 1)/(d − 1), 0 under the
    /// isotropic prior (up to pool noise), 1 when q concentrates on the line of β.
    /// Errors if d = 1, on a wrong length or a zero β.
    pub fn alignment(&self, direction: &[f64]) -> Result<f64> {
        let d = self.input_dimension;
        if d < 2 {
            return Err(Error::Invalid {
                what: "alignment".into(),
                why: "needs input dimension d >= 2".into(),
            });
        }
        if direction.len() != d {
            return Err(Error::DimensionMismatch {
                what: "alignment direction".into(),
                expected: d,
                found: direction.len(),
            });
        }
        let norm2: f64 = direction.iter().map(|b| b * b).sum();
        if !(norm2.is_finite() && norm2 > 0.0) {
            return Err(Error::Invalid {
                what: "alignment direction".into(),
                why: "must be finite and non-zero".into(),
            });
        }
        let along = self.expectation(|w| {
            let p: f64 = w.iter().zip(direction).map(|(a, b)| a * b).sum();
            p * p / norm2
        });
        let total = self.expectation(|w| w.iter().map(|a| a * a).sum());
        Ok((d as f64 * along / total - 1.0) / (d as f64 - 1.0))
    }

    /// MF posterior mean and variance of f at `test_inputs` (module documentation).
    pub fn predict(
        &self,
        model: &TwoLayerNetwork,
        test_inputs: &[Vec<f64>],
    ) -> Result<GpPosterior> {
        let d = self.input_dimension;
        let ridge = KernelRidge::new(&self.kernel, model.targets(), model.prior().temperature)?;
        let train: Vec<&[f64]> = (0..model.data_size()).map(|mu| model.input(mu)).collect();
        let (mut mean, mut variance) = (Vec::new(), Vec::new());
        for x in test_inputs {
            if x.len() != d {
                return Err(Error::DimensionMismatch {
                    what: "test input".into(),
                    expected: d,
                    found: x.len(),
                });
            }
            let mut cross = DVector::zeros(train.len());
            let mut prior_variance = 0.0;
            for (w, omega) in self.pool.chunks(d).zip(&self.weights) {
                let phi_x = self.activation.value(dot(w, x));
                prior_variance += omega * phi_x * phi_x;
                for (c, t) in cross.iter_mut().zip(&train) {
                    *c += omega * phi_x * self.activation.value(dot(w, t));
                }
            }
            cross *= self.kernel_scale;
            let (m, v) = ridge.predict(&cross, self.kernel_scale * prior_variance);
            mean.push(m);
            variance.push(v);
        }
        Ok(GpPosterior {
            mean,
            variance,
            dual: self.dual.clone(),
        })
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// Iterations over which the tilt is ramped up to full strength.
const RAMP: usize = 20;
/// Floor of the adaptive damping.
const MIN_DAMPING: f64 = 1.0 / 64.0;
/// Inflation of the adaptive Gaussian proposal relative to q's second moment (heavier tails than q).
const PROPOSAL_INFLATION: f64 = 1.5;
/// Isotropic floor of the proposal covariance, in units of the prior variance s.
const PROPOSAL_FLOOR: f64 = 0.05;

/// Solves the \[derived\] mean-field fixed point of `model` (module documentation).
///
/// Errors: invalid settings; K̄ + T I not positive definite; importance weights degenerate
/// (effective sample size below the minimum: the tilt is too strong for the prior pool).
/// Not converging within `max_iterations` is not an error: check `residuals`.
///
/// ```
/// use sgbayes::models::{generate_two_layer, TwoLayerParams};
/// use sgbayes::theory::mean_field::{solve, MeanFieldSettings};
/// let model = generate_two_layer(&TwoLayerParams { data_size: 10, width: 64, ..Default::default() }, 1).unwrap();
/// let settings = MeanFieldSettings { pool_size: 2000, ..Default::default() };
/// let sol = solve(&model, &settings).unwrap();
/// assert!(sol.residuals.last().unwrap() < &1e-10);
/// assert!(sol.kernel_change < 0.5);
/// ```
pub fn solve(model: &TwoLayerNetwork, settings: &MeanFieldSettings) -> Result<MeanFieldSolution> {
    if settings.pool_size < 2 {
        return Err(Error::Invalid {
            what: "pool_size".into(),
            why: "need at least 2 draws".into(),
        });
    }
    if !(settings.damping > 0.0 && settings.damping <= 1.0) {
        return Err(Error::Invalid {
            what: "damping".into(),
            why: format!("must lie in (0, 1], got {}", settings.damping),
        });
    }
    if !(settings.tolerance.is_finite() && settings.tolerance > 0.0) {
        return Err(Error::Invalid {
            what: "tolerance".into(),
            why: format!("must be positive and finite, got {}", settings.tolerance),
        });
    }
    let d = model.input_dimension();
    let p = model.data_size();
    let m = settings.pool_size;
    let prior = model.prior();
    let width = model.width() as f64;
    let gamma = model.scaling().exponent();
    // Tilt coefficient c = σ_a² N^{−2γ}; kernel scale σ_a² N^{1−2γ} = N c.
    let tilt_coefficient = prior.readout_variance * width.powf(-2.0 * gamma);
    let kernel_scale = width * tilt_coefficient;
    let entry_variance = prior.weight_variance / d as f64;
    let activation = model.activation();

    // Common random numbers: the proposal draws are w_k = L z_k with fixed z_k ~ N(0, I_d).
    let mut rng = ChaCha20Rng::seed_from_u64(settings.seed);
    let normals: Vec<f64> = (0..m * d)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    let mut proposal = DMatrix::<f64>::identity(d, d) * entry_variance;
    let mut pool = vec![0.0; m * d];
    let mut features = DMatrix::<f64>::zeros(m, p);
    // log N(w; 0, sI) − log N(w; 0, LLᵀ) for each pool draw, filled by `draw_pool`.
    let mut log_ratio = vec![0.0; m];
    let draw_pool = |proposal: &DMatrix<f64>,
                     pool: &mut [f64],
                     features: &mut DMatrix<f64>,
                     log_ratio: &mut [f64]|
     -> Result<()> {
        let factor = proposal
            .clone()
            .cholesky()
            .ok_or_else(|| Error::NotPositiveDefinite {
                what: "mean-field proposal covariance".into(),
            })?
            .l();
        let log_det_factor: f64 = factor.diagonal().iter().map(|v| v.ln()).sum();
        for k in 0..m {
            let z = &normals[k * d..(k + 1) * d];
            let w = &mut pool[k * d..(k + 1) * d];
            for (j, wj) in w.iter_mut().enumerate() {
                *wj = (0..=j).map(|l| factor[(j, l)] * z[l]).sum();
            }
            log_ratio[k] = -0.5 * dot(w, w) / entry_variance + 0.5 * dot(z, z) + log_det_factor
                - 0.5 * d as f64 * entry_variance.ln();
            for mu in 0..p {
                features[(k, mu)] = activation.value(dot(w, model.input(mu)));
            }
        }
        Ok(())
    };
    let weighted_kernel = |features: &DMatrix<f64>, weights: &[f64]| -> DMatrix<f64> {
        let mut scaled = features.clone();
        for (k, omega) in weights.iter().enumerate() {
            scaled.row_mut(k).scale_mut(*omega);
        }
        features.transpose() * scaled * kernel_scale
    };
    draw_pool(&proposal, &mut pool, &mut features, &mut log_ratio)?;
    let uniform = vec![1.0 / m as f64; m];
    let mut kernel = weighted_kernel(&features, &uniform);
    let mut weights = uniform;
    let mut residuals = Vec::new();
    let mut dual = DVector::zeros(p);
    let mut effective_sample_size = m as f64;
    let mut damping = settings.damping;
    for iteration in 0..settings.max_iterations {
        if iteration > 0 {
            draw_pool(&proposal, &mut pool, &mut features, &mut log_ratio)?;
        }
        let ridge = KernelRidge::new(&kernel, model.targets(), prior.temperature)?;
        dual = ridge.dual().clone();
        let inverse = ridge.inverse();
        // Tempering ramp: the tilt reaches full strength after RAMP iterations (the fixed point
        // is unchanged; the ramp only lets the proposal follow q gradually).
        let strength = ((iteration + 1) as f64 / RAMP as f64).min(1.0);
        // log ω_k = log(prior/proposal) + ½ c [(ᾱ·φ_k)² − φ_kᵀ (K̄ + TI)⁻¹ φ_k].
        let projections = &features * &dual;
        let quadratic = (&features * &inverse).component_mul(&features);
        let log_weights: Vec<f64> = (0..m)
            .map(|k| {
                log_ratio[k]
                    + strength
                        * 0.5
                        * tilt_coefficient
                        * (projections[k] * projections[k] - quadratic.row(k).sum())
            })
            .collect();
        let max = log_weights
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if !max.is_finite() {
            return Err(Error::NonFinite {
                what: "mean-field tilt".into(),
            });
        }
        let raw: Vec<f64> = log_weights.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = raw.iter().sum();
        weights = raw.iter().map(|r| r / total).collect();
        effective_sample_size = 1.0 / weights.iter().map(|w| w * w).sum::<f64>();
        let updated = weighted_kernel(&features, &weights);
        let residual = (&updated - &kernel).norm() / kernel.norm();
        // Adaptive damping: halve η whenever the full-strength residual grows (oscillation).
        if strength == 1.0 && residuals.last().is_some_and(|last| residual > *last) {
            damping = (0.5 * damping).max(MIN_DAMPING);
        }
        residuals.push(residual);
        kernel = &kernel * (1.0 - damping) + updated * damping;
        // Next proposal: N(0, PROPOSAL_INFLATION · E_q[w wᵀ] + floor · s I), the floor keeping it
        // non-degenerate in directions q has squeezed.
        let mut second_moment = DMatrix::<f64>::zeros(d, d);
        for (w, omega) in pool.chunks(d).zip(&weights) {
            for j in 0..d {
                for l in 0..=j {
                    second_moment[(j, l)] += omega * w[j] * w[l];
                }
            }
        }
        for j in 0..d {
            for l in 0..j {
                second_moment[(l, j)] = second_moment[(j, l)];
            }
        }
        proposal = second_moment * PROPOSAL_INFLATION
            + DMatrix::identity(d, d) * (PROPOSAL_FLOOR * entry_variance);
        if strength == 1.0 && residual <= settings.tolerance {
            break;
        }
    }
    if effective_sample_size < settings.min_effective_sample_size {
        return Err(Error::Invalid {
            what: "mean-field solver".into(),
            why: format!(
                "importance weights degenerate (effective sample size {effective_sample_size:.1} of {m} < {}): the tilt is too strong for the pool",
                settings.min_effective_sample_size
            ),
        });
    }
    // The tilt-free kernel on the final pool (weights prior/proposal only): the same draws as K̄,
    // so the Monte-Carlo noise cancels in the comparison.
    let max_ratio = log_ratio.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let prior_weights: Vec<f64> = log_ratio.iter().map(|l| (l - max_ratio).exp()).collect();
    let prior_total: f64 = prior_weights.iter().sum();
    let prior_weights: Vec<f64> = prior_weights.iter().map(|w| w / prior_total).collect();
    let prior_kernel = weighted_kernel(&features, &prior_weights);
    let kernel_change = (&kernel - &prior_kernel).norm() / prior_kernel.norm();
    Ok(MeanFieldSolution {
        iterations: residuals.len(),
        kernel,
        prior_kernel,
        dual: dual.iter().copied().collect(),
        residuals,
        effective_sample_size,
        kernel_change,
        pool,
        weights,
        input_dimension: d,
        kernel_scale,
        activation,
    })
}

/// Closed forms available for a [`TwoLayerNetwork`] sampled by SGLD (the integrator's
/// `sgbayes theory` summary).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoLayerTheory {
    /// The kernel used: φ, σ_a², s = σ_w²/d and p = N^{1−2γ}.
    pub kernel: NngpKernel,
    /// GP (kernel-ridge) posterior of f on the training inputs with that kernel: exact as N → ∞
    /// for γ = ½; for γ = 1 it is the prior-kernel GP, which ignores feature learning.
    pub kernel_ridge: GpPosterior,
    /// h_max = (1 + λ_max(K)/T)/σ_a², the largest readout-layer curvature of U at infinite width
    /// (K the kernel above on the training inputs).
    pub largest_curvature: f64,
    /// ε h_max/4: the relative SGLD discretisation bias of the stiffest function-space variance is
    /// ε h_max/(4 − ε h_max) (Gaussian SGLD law (H(I − εH/4))⁻¹, \[derived\]).
    pub discretisation_bias: f64,
    /// MF alignment order parameter m with the model's teacher direction, when the model has
    /// one, d ≥ 2 and a small (M = 4000) pool suffices; otherwise `None`.
    pub mean_field_alignment: Option<f64>,
    /// Relative change of the MF kernel from the prior kernel, when the MF solve succeeded.
    pub mean_field_kernel_change: Option<f64>,
    /// Conventions and provenance.
    pub provenance: String,
}

/// The theory summary of `model` under `config`: the NNGP kernel, the kernel-ridge posterior on
/// the training inputs, the SGLD discretisation bias and, cheaply, the MF order parameter.
///
/// Errors: a sampler other than SGLD (no closed form here: SGD/momentum samplers have other
/// temperatures), K + T I not positive definite.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}};
/// use sgbayes::models::{generate_two_layer, TwoLayerParams};
/// let model = generate_two_layer(&TwoLayerParams { data_size: 10, ..Default::default() }, 1).unwrap();
/// let config = SamplerConfig { kind: SamplerKind::Sgld, step_size: 1e-3, batch_size: 10, batching: Batching::WithoutReplacement };
/// let theory = sgbayes::theory::mean_field::report(&model, &config).unwrap();
/// assert_eq!(theory.kernel_ridge.mean.len(), 10);
/// ```
pub fn report(model: &TwoLayerNetwork, config: &SamplerConfig) -> Result<TwoLayerTheory> {
    if !matches!(config.kind, SamplerKind::Sgld) {
        return Err(Error::NoClosedForm {
            what: format!(
                "two-layer network theory covers SGLD only, got {:?}",
                config.kind
            ),
        });
    }
    let kernel = NngpKernel::of_model(model);
    let inputs = model.input_rows();
    let prior = model.prior();
    let kernel_ridge = gp_posterior(
        &kernel,
        &inputs,
        model.targets(),
        prior.temperature,
        &inputs,
    )?;
    let gram = kernel.matrix(&inputs, &inputs);
    let largest = gram.symmetric_eigenvalues().max().max(0.0);
    let curvature = (1.0 + largest / prior.temperature) / prior.readout_variance;
    let discretisation_bias = config.step_size * curvature / 4.0;
    let solution = solve(
        model,
        &MeanFieldSettings {
            pool_size: 4000,
            ..Default::default()
        },
    )
    .ok();
    let mean_field_alignment = match (&solution, model.teacher_direction()) {
        (Some(sol), Some(beta)) => sol.alignment(beta).ok(),
        _ => None,
    };
    Ok(TwoLayerTheory {
        kernel,
        kernel_ridge,
        largest_curvature: curvature,
        discretisation_bias,
        mean_field_alignment,
        mean_field_kernel_change: solution.map(|s| s.kernel_change),
        provenance: "SGLD samples exp(-U), U = |a|^2/(2 sa^2) + d|W|^2/(2 sw^2) + sum (f - y)^2/(2T); \
             KRR limit: Williams 1997 / Cho & Saul 2009 kernels, Rasmussen & Williams eqs. 2.25-2.26; \
             mean-field equations and alignment m: derived here (Goring et al. 2025 main text not consulted)"
            .into(),
    })
}
