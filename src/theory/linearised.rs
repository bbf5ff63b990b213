//! The Ornstein–Uhlenbeck analysis of constant-step SGD and SGLD on a non-quadratic model,
//! linearised at the MAP (Mandt, Hoffman & Blei 2017, "Stochastic gradient descent as approximate
//! Bayesian inference", JMLR 18(134), §2–3 and Theorem 1), on top of the near-minimum chain of
//! [`NearMinimum`].

use nalgebra::{DMatrix, DVector};

use super::nonequilibrium::NearMinimum;
use super::{kl_divergence, GaussianLaw};
use crate::config::SamplerKind;
use crate::error::{Error, Result};
use crate::models::{LogisticRegression, Model};

/// The paper's Ornstein–Uhlenbeck analysis of a non-quadratic model, linearised at the MAP θ̂.
///
/// # Formula
/// With L = U/N, A = ∇²L(θ̂) = H/N (H = ∇²U(θ̂)) and C the per-example gradient covariance at θ̂
/// (Mandt et al. 2017, §2–3, Assumptions 1–4), constant SGD θ ← θ − ε∇L̂_S — the crate's `sgd`,
/// θ ← θ − (ε/N)ĝ with ĝ = ∇R + (N/B)Σ_{i∈S}∇ℓ_i, is exactly this with S = B (minibatches with
/// replacement) — has the OU stationary law N(θ̂, Σ) with
///   A Σ + Σ A = (ε/B) C   (the paper's equation),
/// and Theorem 1's ε* = 2dB/(N tr C) minimises KL(N(θ̂, Σ) ‖ N(θ̂, H⁻¹)), the Laplace posterior.
/// \[derived\] The linearised exact discrete law of the same linear model: Σ = MΣMᵀ + (ε²/B)C,
/// M = I − εA. For the crate's `sgld` (Welling–Teh, θ ← θ − (ε/2)ĝ + √ε ξ) linearised at θ̂:
/// G Σ + Σ Gᵀ = (ε²N²/(4B))C + εI with G = (ε/2)H (OU), and Σ = MΣMᵀ + (ε²N²/(4B))C + εI with
/// M = I − (ε/2)H (discrete), whose B → ∞ limit is the Laplace covariance H⁻¹ (OU) \[derived\].
///
/// ```
/// use sgbayes::config::SamplerKind;
/// use sgbayes::models::{generate_logistic_regression, LogisticRegressionParams};
/// use sgbayes::theory::linearised::LinearisedLaws;
/// let model = generate_logistic_regression(&LogisticRegressionParams::default(), 1704).unwrap();
/// let laws = LinearisedLaws::new(&model, 10).unwrap();
/// let eps = laws.eps_star();
/// // Theorem 1: ε* minimises the OU law's KL to the Laplace posterior.
/// let kl = |e: f64| laws.kl(SamplerKind::Sgd, e).unwrap().0;
/// assert!(kl(eps) < kl(1.1 * eps) && kl(eps) < kl(eps / 1.1));
/// ```
#[derive(Debug, Clone)]
pub struct LinearisedLaws {
    /// The MAP θ̂.
    pub map: DVector<f64>,
    /// H = ∇²U(θ̂).
    pub hessian: DMatrix<f64>,
    /// C, the per-example gradient covariance at θ̂.
    pub noise: DMatrix<f64>,
    /// N.
    pub data_size: usize,
    /// B (with replacement).
    pub batch_size: usize,
}

impl LinearisedLaws {
    /// The MAP, Hessian and gradient covariance of `model` for batches of size `batch_size`.
    pub fn new(model: &LogisticRegression, batch_size: usize) -> Result<Self> {
        let map = model.map_estimate()?;
        Ok(Self {
            hessian: model.hessian(&map),
            noise: model.gradient_noise_covariance(&map),
            map,
            data_size: model.data_size(),
            batch_size,
        })
    }

    /// The Laplace posterior N(θ̂, H⁻¹).
    pub fn posterior(&self) -> Result<GaussianLaw> {
        let covariance =
            self.hessian
                .clone()
                .try_inverse()
                .ok_or_else(|| Error::NotPositiveDefinite {
                    what: "Hessian at the MAP".into(),
                })?;
        GaussianLaw::new(self.map.clone(), covariance)
    }

    /// Theorem 1: ε* = 2dB/(N tr C).
    pub fn eps_star(&self) -> f64 {
        2.0 * self.map.len() as f64 * self.batch_size as f64
            / (self.data_size as f64 * self.noise.trace())
    }

    /// The linearised `kind` (`Sgd` or `Sgld`) at step size ε as the chain x' = (I − ηH)x + noise of
    /// [`NearMinimum`]: η = ε/N for `sgd` (θ ← θ − (ε/N)ĝ) and ε/2 for `sgld` (θ ← θ − (ε/2)ĝ + √ε ξ),
    /// with per-step diffusion D = ½Cov(noise) = ε²C/(2B) (`sgd`) or ε²N²C/(8B) + (ε/2)I (`sgld`).
    pub fn near_minimum(&self, kind: SamplerKind, eps: f64) -> Result<NearMinimum> {
        let (n, b, d) = (
            self.data_size as f64,
            self.batch_size as f64,
            self.map.len(),
        );
        let (learning_rate, noise) = match kind {
            SamplerKind::Sgd => (eps / n, &self.noise * (eps * eps / b)),
            SamplerKind::Sgld => (
                eps / 2.0,
                &self.noise * (eps * eps * n * n / (4.0 * b)) + DMatrix::identity(d, d) * eps,
            ),
            other => {
                return Err(Error::Invalid {
                    what: "sampler".into(),
                    why: format!("the linearised logistic laws cover sgd and sgld, not {other:?}"),
                })
            }
        };
        NearMinimum::new(learning_rate, self.hessian.clone(), noise * 0.5)
    }

    /// (OU law, linearised exact discrete law) of `kind` at step size ε: the stationary
    /// covariances of [`Self::near_minimum`] centred at the MAP.
    pub fn laws(&self, kind: SamplerKind, eps: f64) -> Result<(GaussianLaw, GaussianLaw)> {
        let near = self.near_minimum(kind, eps)?;
        Ok((
            GaussianLaw::new(self.map.clone(), near.stationary_covariance()?)?,
            GaussianLaw::new(self.map.clone(), near.discrete_stationary_covariance()?)?,
        ))
    }

    /// A first-order budget for the error of the linearised laws on a non-quadratic model:
    /// δ_H + δ_C, the largest relative change ‖H(θ̂)⁻¹(H(θ) − H(θ̂))‖_F + ‖C(θ̂)⁻¹(C(θ) − C(θ̂))‖_F
    /// over the points θ = θ̂ ± 2√s_k v_k on the principal axes (s_k, v_k) of `covariance`.
    ///
    /// \[derived\] The stationary covariance solves a Lyapunov equation linear in C and, at first
    /// order, changes by a relative amount ≤ ‖A⁻¹ΔA‖ + ‖C⁻¹ΔC‖ when A and C are perturbed; the
    /// chain explores A(θ), C(θ) over its spread (±2 sd covers 95% per axis), so the relative error
    /// of tr(HΣ)/d is bounded by this budget at first order (the actual error is smaller: the
    /// first-order terms average out over a symmetric spread).
    pub fn nonlinearity_budget(
        &self,
        model: &LogisticRegression,
        covariance: &DMatrix<f64>,
    ) -> Result<f64> {
        let hessian_inv = self.posterior()?.covariance;
        let noise_inv =
            self.noise
                .clone()
                .try_inverse()
                .ok_or_else(|| Error::NotPositiveDefinite {
                    what: "gradient-noise covariance at the MAP".into(),
                })?;
        let eigen = nalgebra::SymmetricEigen::new(covariance.clone());
        let mut budget: f64 = 0.0;
        for k in 0..self.map.len() {
            let axis = eigen.eigenvectors.column(k) * (2.0 * eigen.eigenvalues[k].max(0.0).sqrt());
            for sign in [-1.0, 1.0] {
                let theta = &self.map + &axis * sign;
                let dh = (&hessian_inv * (model.hessian(&theta) - &self.hessian)).norm();
                let dc =
                    (&noise_inv * (model.gradient_noise_covariance(&theta) - &self.noise)).norm();
                budget = budget.max(dh + dc);
            }
        }
        Ok(budget)
    }

    /// (KL_OU, KL_disc) to the Laplace posterior.
    pub fn kl(&self, kind: SamplerKind, eps: f64) -> Result<(f64, f64)> {
        let (c, d) = self.laws(kind, eps)?;
        let posterior = self.posterior()?;
        Ok((
            kl_divergence(&c, &posterior)?,
            kl_divergence(&d, &posterior)?,
        ))
    }
}
