//! Out-of-equilibrium SGD near a minimum: diffusion matrices, the stationary Ornstein–Uhlenbeck law,
//! the probability current and its circulation, entropy production and the fluctuation theorems
//! (Adhikari, Kabakçıoğlu, Strang, Yuret & Hinczewski 2023, "Machine learning in and out of
//! equilibrium", arXiv:2306.03521; digest claims 2–8). Derivations: docs/nonequilibrium.md.
//!
//! # Conventions
//! The paper's SGD map is w ← w − η∇L_b(w), with L = Σ_i ℓ_i + R the full (summed) loss and
//! L_b = (N/B)Σ_{i∈b} ℓ_i + R its minibatch estimate; time is counted in steps. The crate's
//! [`SamplerKind::Sgd`] is θ ← θ − (ε/N)ĝ with ĝ = ∇L_b, so **η = ε/N**; its
//! [`SamplerKind::Sgld`] θ ← θ − (ε/2)ĝ + √ε ξ is the same map with η = ε/2 plus injected noise of
//! covariance 2η I. The paper's "WR" (a fresh batch of B *distinct* indices every step) is the
//! crate's [`Batching::WithoutReplacement`]; the paper's "WOR" (reshuffled epochs) is
//! [`Batching::Reshuffle`]; i.i.d. indices are [`Batching::WithReplacement`].
//!
//! # Provenance
//! * D_WR (claim 2) and the mean entropy production ⟨σ⟩ = tr(QᵀD⁻¹QC⁻¹) (Eq. 29) and the Lyapunov
//!   relation HC + CH = (2/η)D (Eq. 21): the paper and its code.
//! * Q = (η/2)(HC − CH), v = −QC⁻¹(w − w̄), the area velocity, the equilibrium condition, the WOR
//!   effective loss and diffusion (claims 4, 6): the digest's derivations, re-derived in
//!   docs/nonequilibrium.md and checked numerically in tests/nonequilibrium.rs \[derived].
//! * The exact discrete-time covariance (I − ηH)C(I − ηH)ᵀ + 2D = C and the exact discrete-time
//!   expectation of the per-step entropy estimator ([`expected_step_entropy`]): ours \[derived].

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::Serialize;

use super::{solve_continuous_lyapunov, solve_discrete_lyapunov};
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{ensure_finite, Error, Result};
use crate::models::{GaussianMean, LinearRegression, Model, QuadraticModel, TanhRegression};

/// A model with per-example Hessians and a known local minimum: what the closed forms near a
/// minimum need beyond [`Model`].
pub trait CurvatureModel: Model {
    /// ∇²ℓ_i(θ), the Hessian of example i's loss.
    fn example_hessian_at(&self, index: usize, theta: &[f64]) -> DMatrix<f64>;
    /// ∇²R(θ), the Hessian of the negative log prior / regulariser.
    fn prior_hessian_at(&self, theta: &[f64]) -> DMatrix<f64>;
    /// The minimum w* of L around which the closed forms expand (for quadratic models the exact
    /// minimiser; for [`TanhRegression`] the damped-Newton minimum from its default start).
    fn minimum(&self) -> Result<Vec<f64>>;

    /// The full Hessian ∇²L(θ) = ∇²R + Σ_i ∇²ℓ_i.
    fn hessian_at(&self, theta: &[f64]) -> DMatrix<f64> {
        let mut h = self.prior_hessian_at(theta);
        for i in 0..self.data_size() {
            h += self.example_hessian_at(i, theta);
        }
        h
    }
}

fn quadratic_minimum<M: QuadraticModel + ?Sized>(model: &M) -> Result<Vec<f64>> {
    let chol =
        model
            .posterior_precision()
            .cholesky()
            .ok_or_else(|| Error::NotPositiveDefinite {
                what: "Hessian of the loss".into(),
            })?;
    Ok(chol
        .solve(&model.normal_equations_rhs())
        .as_slice()
        .to_vec())
}

macro_rules! quadratic_curvature {
    ($model:ty) => {
        impl CurvatureModel for $model {
            fn example_hessian_at(&self, index: usize, _theta: &[f64]) -> DMatrix<f64> {
                self.example_hessian(index)
            }
            fn prior_hessian_at(&self, _theta: &[f64]) -> DMatrix<f64> {
                self.prior_precision()
            }
            fn minimum(&self) -> Result<Vec<f64>> {
                quadratic_minimum(self)
            }
        }
    };
}
quadratic_curvature!(LinearRegression);
quadratic_curvature!(GaussianMean);

/// Any quadratic model (e.g. `Problem::model()`) seen as a [`CurvatureModel`], for [`report`].
///
/// ```
/// use sgbayes::batching::Batching;
/// use sgbayes::config::{SamplerConfig, SamplerKind};
/// use sgbayes::models::{LinearRegression, QuadraticModel};
/// use sgbayes::theory::nonequilibrium::{report, QuadraticCurvature};
/// let model = LinearRegression::new(vec![vec![1.0], vec![2.0]], vec![0.5, 1.0], 1.0, 1.0).unwrap();
/// let quadratic: &dyn QuadraticModel = &model;
/// let config = SamplerConfig::new(SamplerKind::Sgd, 0.01, 1, Batching::WithReplacement);
/// let theory = report(&QuadraticCurvature(quadratic), &config).unwrap();
/// assert_eq!(theory.hessian_eigenvalues.len(), 1);
/// ```
#[derive(Clone, Copy)]
pub struct QuadraticCurvature<'a>(pub &'a dyn QuadraticModel);

impl Model for QuadraticCurvature<'_> {
    fn dimension(&self) -> usize {
        self.0.dimension()
    }
    fn data_size(&self) -> usize {
        self.0.data_size()
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        self.0.prior_gradient(theta, out)
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        self.0.add_example_gradient(index, theta, scale, out)
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        self.0.potential(theta)
    }
}
impl QuadraticModel for QuadraticCurvature<'_> {
    fn example_hessian(&self, index: usize) -> DMatrix<f64> {
        self.0.example_hessian(index)
    }
    fn example_offset(&self, index: usize) -> DVector<f64> {
        self.0.example_offset(index)
    }
    fn prior_precision(&self) -> DMatrix<f64> {
        self.0.prior_precision()
    }
    fn prior_mean(&self) -> DVector<f64> {
        self.0.prior_mean()
    }
}
quadratic_curvature!(QuadraticCurvature<'_>);

impl CurvatureModel for TanhRegression {
    fn example_hessian_at(&self, index: usize, theta: &[f64]) -> DMatrix<f64> {
        self.example_hessian(index, theta)
    }
    fn prior_hessian_at(&self, _theta: &[f64]) -> DMatrix<f64> {
        DMatrix::identity(self.dimension(), self.dimension()) * self.prior_precision()
    }
    fn minimum(&self) -> Result<Vec<f64>> {
        self.minimise(&TanhRegression::DEFAULT_START)
    }
}

/// Per-example gradients ∇ℓ_i(θ) (data terms only), one vector per example.
fn example_gradients(model: &dyn Model, theta: &[f64]) -> Vec<DVector<f64>> {
    let d = model.dimension();
    (0..model.data_size())
        .map(|i| {
            let mut g = DVector::zeros(d);
            model.add_example_gradient(i, theta, 1.0, g.as_mut_slice());
            g
        })
        .collect()
}

/// The finite-population factor of one block of B indices: i.i.d. indices 1, distinct indices
/// (N − B)/(N − 1); a reshuffled block is marginally a uniform B-subset, so it takes the latter.
fn block_factor(batching: Batching, data_size: usize, batch_size: usize) -> f64 {
    let per_block = match batching {
        Batching::Reshuffle => Batching::WithoutReplacement,
        other => other,
    };
    per_block
        .finite_population_factor(data_size, batch_size)
        .unwrap_or(1.0)
}

fn check_batch(model: &dyn Model, batch_size: usize) -> Result<()> {
    if batch_size == 0 || batch_size > model.data_size() {
        return Err(Error::BatchSize {
            batch_size,
            data_size: model.data_size(),
        });
    }
    Ok(())
}

fn check_point(model: &dyn Model, theta: &[f64]) -> Result<()> {
    if theta.len() != model.dimension() {
        return Err(Error::DimensionMismatch {
            what: "θ".into(),
            expected: model.dimension(),
            found: theta.len(),
        });
    }
    ensure_finite("θ", theta)
}

/// Covariance of one minibatch gradient, S(w) = Cov_b[∇L_b(w)] (digest claim 2 without the ½η²).
///
/// # Formula
/// S = (N²γ/B)·(1/N)Σ_i (g_i − ḡ)(g_i − ḡ)ᵀ = (γ/B)[N Σ_i g_i g_iᵀ − (Σ_i g_i)(Σ_i g_i)ᵀ],
/// g_i = ∇ℓ_i(w), with γ = (N − B)/(N − 1) for distinct indices (the paper's WR, and one block of
/// a reshuffled epoch) and γ = 1 for i.i.d. indices (Cochran 1977, Thm 2.2; the paper's code).
///
/// ```
/// use sgbayes::batching::Batching;
/// use sgbayes::models::LinearRegression;
/// use sgbayes::theory::nonequilibrium::minibatch_gradient_covariance;
/// let model = LinearRegression::new(vec![vec![1.0]; 4], vec![0.0, 1.0, 2.0, 3.0], 1.0, 1.0).unwrap();
/// // g_i = θ − y_i: (1/N)Σ(g_i − ḡ)² = Var(y) = 1.25;  S = N²γ/B · 1.25 with γ = 2/3, B = 2
/// let s = minibatch_gradient_covariance(&model, &[0.0], 2, Batching::WithoutReplacement).unwrap();
/// assert!((s[(0, 0)] - 16.0 * (2.0 / 3.0) / 2.0 * 1.25).abs() < 1e-12);
/// ```
pub fn minibatch_gradient_covariance(
    model: &dyn Model,
    theta: &[f64],
    batch_size: usize,
    batching: Batching,
) -> Result<DMatrix<f64>> {
    check_batch(model, batch_size)?;
    check_point(model, theta)?;
    let n = model.data_size();
    let gradients = example_gradients(model, theta);
    let mean = gradients
        .iter()
        .fold(DVector::zeros(model.dimension()), |acc, g| acc + g)
        / n as f64;
    let mut c = DMatrix::zeros(model.dimension(), model.dimension());
    for g in &gradients {
        let centred = g - &mean;
        c.ger(1.0, &centred, &centred, 1.0);
    }
    let n = n as f64;
    let gamma = block_factor(batching, model.data_size(), batch_size);
    let s = c * (n * gamma / batch_size as f64);
    ensure_finite("minibatch gradient covariance", s.iter())?;
    Ok(s)
}

/// E_b[H_b ∇L_b] − H∇L at w: the cross-covariance of a block's Hessian and gradient, which moves
/// the minimum of the reshuffled (WOR) chain.
///
/// # Formula
/// (N²γ/B)·(1/N)Σ_i (H_i − H̄)(g_i − ḡ), H_i = ∇²ℓ_i(w), γ = (N − B)/(N − 1) \[derived: the
/// cross-covariance of two simple-random-sample means].
fn block_cross_covariance(
    model: &dyn CurvatureModel,
    theta: &[f64],
    batch_size: usize,
) -> DVector<f64> {
    let n = model.data_size();
    let d = model.dimension();
    let gradients = example_gradients(model, theta);
    let hessians: Vec<DMatrix<f64>> = (0..n).map(|i| model.example_hessian_at(i, theta)).collect();
    let g_mean = gradients.iter().fold(DVector::zeros(d), |a, g| a + g) / n as f64;
    let h_mean = hessians.iter().fold(DMatrix::zeros(d, d), |a, h| a + h) / n as f64;
    let mut cross = DVector::zeros(d);
    for (h, g) in hessians.iter().zip(&gradients) {
        cross += (h - &h_mean) * (g - &g_mean);
    }
    let gamma = block_factor(Batching::Reshuffle, n, batch_size);
    cross * (n as f64 * gamma / batch_size as f64)
}

/// Gradient of the without-replacement (reshuffled-epoch) effective loss (digest claim 4, to O(η)):
/// ∇L̃_WOR(w) = ∇L + (η/2)E_b[H_b∇L_b] = ∇L + (η/2)[H∇L + (N²γ/B)(1/N)Σ_i (H_i − H̄)(g_i − ḡ)].
///
/// # Formula
/// L̃_WOR = L + (η/(4M))Σ_k ‖∇L_k‖², averaged over the random partition (each block is marginally a
/// uniform B-subset): L̃_WOR = L + (η/4)E_b‖∇L_b‖² \[derived in docs/nonequilibrium.md from the
/// second-order expansion of one epoch]. The (η/4)‖∇L‖² part vanishes to first order at w*; the
/// cross-covariance part moves the minimum unless all H_i are equal.
pub fn without_replacement_effective_gradient(
    model: &dyn CurvatureModel,
    theta: &[f64],
    learning_rate: f64,
    batch_size: usize,
) -> Result<DVector<f64>> {
    check_batch(model, batch_size)?;
    check_point(model, theta)?;
    check_learning_rate(learning_rate)?;
    let mut g = DVector::zeros(model.dimension());
    model.full_gradient(theta, g.as_mut_slice());
    let h = model.hessian_at(theta);
    let correction = &h * &g + block_cross_covariance(model, theta, batch_size);
    Ok(g + correction * (0.5 * learning_rate))
}

/// The minimiser w̃ of the WOR effective loss near `start` (digest claim 4: the reshuffled chain's
/// stationary mean, to O(η²)).
///
/// # Algorithm
/// Newton–chord iterations w ← w − H(w)⁻¹∇L̃_WOR(w) with the Hessian H of L (the Jacobian of ∇L̃
/// up to O(η)), to ‖Δw‖∞ ≤ 10⁻¹⁴(1 + ‖w‖∞); the contraction rate is O(ηλ_max).
///
/// ```
/// use sgbayes::models::LinearRegression;
/// use sgbayes::theory::nonequilibrium::{without_replacement_minimum, CurvatureModel};
/// // Examples with different curvatures x_i²: the reshuffled chain's minimum moves by O(η).
/// let model = LinearRegression::new(vec![vec![1.0], vec![2.0], vec![0.5], vec![1.5]],
///     vec![1.0, 1.0, 2.0, -1.0], 1.0, 1.0).unwrap();
/// let w_star = model.minimum().unwrap();
/// let w_tilde = without_replacement_minimum(&model, &w_star, 1e-3, 1).unwrap();
/// assert!((w_tilde[0] - w_star[0]).abs() > 1e-5 && (w_tilde[0] - w_star[0]).abs() < 1e-2);
/// ```
pub fn without_replacement_minimum(
    model: &dyn CurvatureModel,
    start: &[f64],
    learning_rate: f64,
    batch_size: usize,
) -> Result<Vec<f64>> {
    let mut w = DVector::from_column_slice(start);
    for _ in 0..200 {
        let g =
            without_replacement_effective_gradient(model, w.as_slice(), learning_rate, batch_size)?;
        let step = model
            .hessian_at(w.as_slice())
            .cholesky()
            .ok_or_else(|| Error::NotPositiveDefinite {
                what: "Hessian of the loss near the WOR minimum".into(),
            })?
            .solve(&g);
        w -= &step;
        ensure_finite("WOR effective minimum", w.iter())?;
        if step.amax() <= 1e-14 * (1.0 + w.amax()) {
            return Ok(w.as_slice().to_vec());
        }
    }
    Err(Error::Invalid {
        what: "WOR effective minimum".into(),
        why: "Newton–chord iterations did not converge (step size too large?)".into(),
    })
}

fn check_learning_rate(learning_rate: f64) -> Result<()> {
    if learning_rate.is_finite() && learning_rate > 0.0 {
        Ok(())
    } else {
        Err(Error::NonPositiveStepSize {
            step_size: learning_rate,
        })
    }
}

fn check_symmetric(what: &str, m: &DMatrix<f64>, dimension: usize) -> Result<()> {
    if m.nrows() != dimension || m.ncols() != dimension {
        return Err(Error::DimensionMismatch {
            what: format!("{what} (square, matching the Hessian)"),
            expected: dimension,
            found: if m.nrows() != dimension {
                m.nrows()
            } else {
                m.ncols()
            },
        });
    }
    ensure_finite(what, m.iter())?;
    if (m - m.transpose()).amax() > 1e-10 * m.amax().max(f64::MIN_POSITIVE) {
        return Err(Error::Invalid {
            what: what.into(),
            why: "not symmetric".into(),
        });
    }
    Ok(())
}

/// The linearised SGD chain near a minimum, x = w − w̄: x' = (I − ηH)x + noise with
/// Cov(noise) = 2D, the Ornstein–Uhlenbeck description of claims 5–7.
///
/// ```
/// use nalgebra::DMatrix;
/// use sgbayes::theory::nonequilibrium::NearMinimum;
/// let h = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 4.0]);
/// let d = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]) * 1e-4;
/// let near = NearMinimum::new(0.01, h, d).unwrap();
/// let c = near.stationary_covariance().unwrap();
/// let q = near.circulation(&c);
/// // Q₁₂ = (h₁ − h₂) D₁₂/(h₁ + h₂) for diagonal H \[derived]
/// assert!((q[(0, 1)] - (1.0 - 4.0) * 0.5e-4 / 5.0).abs() < 1e-18);
/// assert!(near.mean_entropy_production(&c).unwrap() > 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NearMinimum {
    learning_rate: f64,
    hessian: DMatrix<f64>,
    diffusion: DMatrix<f64>,
}

impl NearMinimum {
    /// Learning rate η > 0, Hessian H (symmetric positive definite) and per-step diffusion matrix
    /// D = ½Cov(Δw) (symmetric positive semi-definite).
    pub fn new(learning_rate: f64, hessian: DMatrix<f64>, diffusion: DMatrix<f64>) -> Result<Self> {
        check_learning_rate(learning_rate)?;
        let d = hessian.nrows();
        if d == 0 {
            return Err(Error::Invalid {
                what: "Hessian".into(),
                why: "empty matrix".into(),
            });
        }
        check_symmetric("Hessian", &hessian, d)?;
        check_symmetric("diffusion matrix", &diffusion, d)?;
        if hessian.clone().cholesky().is_none() {
            return Err(Error::NotPositiveDefinite {
                what: "Hessian".into(),
            });
        }
        let smallest = SymmetricEigen::new(diffusion.clone()).eigenvalues.min();
        if smallest < -1e-12 * diffusion.amax() {
            return Err(Error::Invalid {
                what: "diffusion matrix".into(),
                why: format!("not positive semi-definite (eigenvalue {smallest:e})"),
            });
        }
        Ok(Self {
            learning_rate,
            hessian,
            diffusion,
        })
    }

    /// η.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }
    /// H.
    pub fn hessian(&self) -> &DMatrix<f64> {
        &self.hessian
    }
    /// D.
    pub fn diffusion(&self) -> &DMatrix<f64> {
        &self.diffusion
    }
    /// The mean map A = I − ηH of one step.
    pub fn mean_matrix(&self) -> DMatrix<f64> {
        let d = self.hessian.nrows();
        DMatrix::identity(d, d) - &self.hessian * self.learning_rate
    }

    /// Stationary covariance of the Ornstein–Uhlenbeck approximation (paper Eq. 21, claim 5).
    ///
    /// # Formula
    /// H C + C H = (2/η) D; in the eigenbasis H = O diag(h) Oᵀ,
    /// C = (2/η) O[(OᵀDO)_ab/(h_a + h_b)]Oᵀ.
    pub fn stationary_covariance(&self) -> Result<DMatrix<f64>> {
        solve_continuous_lyapunov(
            &self.hessian,
            &(&self.diffusion * (2.0 / self.learning_rate)),
        )
    }

    /// Exact stationary covariance of the linearised discrete chain x' = (I − ηH)x + noise,
    /// Cov(noise) = 2D \[derived].
    ///
    /// # Formula
    /// C = (I − ηH) C (I − ηH)ᵀ + 2D, i.e. HC + CH − ηHCH = (2/η)D: the OU relation plus the
    /// discrete-time correction η HCH, of relative size O(ηλ_max). Exact for the SGD law on models
    /// with equal per-example Hessians (additive minibatch noise, e.g. [`GaussianMean`]); with
    /// multiplicative noise the exact law is the affine-map engine's (`theory::affine_map`).
    /// Errors with [`Error::PastStabilityLimit`] when ηλ_max ≥ 2.
    pub fn discrete_stationary_covariance(&self) -> Result<DMatrix<f64>> {
        let largest = SymmetricEigen::new(self.hessian.clone()).eigenvalues.max();
        if self.learning_rate * largest >= 2.0 {
            return Err(Error::PastStabilityLimit {
                step_size: self.learning_rate,
                limit: 2.0 / largest,
                mean_square_limit: None,
            });
        }
        solve_discrete_lyapunov(&self.mean_matrix(), &(&self.diffusion * 2.0))
    }

    /// Circulation (stochastic-area) matrix Q = (η/2)(HC − CH), antisymmetric (claim 6) \[derived].
    ///
    /// # Formula
    /// With C the OU covariance, the probability current is J = v p with
    /// v(w) = −ηH x + D C⁻¹x = −Q C⁻¹ x. With C the exact discrete covariance, Q equals the mean
    /// area velocity ½⟨x_i(n)x_j(n+1) − x_j(n)x_i(n+1)⟩ exactly, since ⟨x(n)x(n+1)ᵀ⟩ = C(I − ηH)ᵀ.
    pub fn circulation(&self, covariance: &DMatrix<f64>) -> DMatrix<f64> {
        (&self.hessian * covariance - covariance * &self.hessian) * (0.5 * self.learning_rate)
    }

    /// The velocity matrix K = −Q C⁻¹ of v(w) = K (w − w̄) (claim 6). Errors unless C is positive
    /// definite.
    pub fn velocity_matrix(&self, covariance: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let inverse = spd_inverse("stationary covariance C", covariance)?;
        Ok(-self.circulation(covariance) * inverse)
    }

    /// Mean entropy production per step, ⟨σ⟩ = tr(Qᵀ D⁻¹ Q C⁻¹) ≥ 0 (paper Eq. 29; claim 7).
    ///
    /// # Formula
    /// ⟨σ⟩ = ⟨vᵀD⁻¹v⟩ = tr(C⁻¹QᵀD⁻¹QC⁻¹·C); zero iff Q = 0. Errors unless D and C are positive
    /// definite.
    pub fn mean_entropy_production(&self, covariance: &DMatrix<f64>) -> Result<f64> {
        let q = self.circulation(covariance);
        let d_inv = spd_inverse("diffusion matrix D", &self.diffusion)?;
        let c_inv = spd_inverse("stationary covariance C", covariance)?;
        Ok((q.transpose() * d_inv * q * c_inv).trace())
    }

    /// Relative commutator ‖HD − DH‖_F/(‖H‖_F‖D‖_F): zero iff the stationary state is in
    /// equilibrium (Q = 0 iff [H, D] = 0, claim 6) \[derived].
    pub fn relative_commutator(&self) -> f64 {
        let commutator = &self.hessian * &self.diffusion - &self.diffusion * &self.hessian;
        let scale = self.hessian.norm() * self.diffusion.norm();
        if scale == 0.0 {
            0.0
        } else {
            commutator.norm() / scale
        }
    }
}

fn spd_inverse(what: &str, m: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    m.clone()
        .cholesky()
        .map(|c| c.inverse())
        .ok_or_else(|| Error::NotPositiveDefinite { what: what.into() })
}

/// Where the per-step entropy estimator evaluates the velocity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discretisation {
    /// v at the midpoint (w_n + w_{n+1})/2: the Stratonovich rule, under which Σ_τ is the total
    /// entropy production of the continuous diffusion (the default).
    #[default]
    Midpoint,
    /// v at the start point w_n, as in the authors' code (Itô rule; same mean, since tr K = 0).
    StartPoint,
}

/// The per-step entropy production σ_n = v(w̃_n)ᵀ D⁻¹ (w_{n+1} − w_n) of claim 7, with
/// v(w) = K(w − w̄) and w̃_n the midpoint or the start point.
///
/// ```
/// use nalgebra::DMatrix;
/// use sgbayes::theory::nonequilibrium::{Discretisation, EntropyProduction};
/// let k = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, 0.0]);
/// let d = DMatrix::identity(2, 2);
/// let e = EntropyProduction::new(&[0.0, 0.0], &k, &d).unwrap();
/// // w₀ = (1, 0) → w₁ = (1, 1): midpoint (1, 0.5), v = K (1, 0.5) = (0.5, −1), Δw = (0, 1): σ = −1;
/// // start point: v = K (1, 0) = (0, −1): σ = −1 as well.
/// let sigma = e.along(&[1.0, 0.0, 1.0, 1.0], Discretisation::Midpoint).unwrap();
/// assert!((sigma[0] + 1.0).abs() < 1e-15);
/// assert!((e.step(&[1.0, 0.0], &[1.0, 1.0], Discretisation::StartPoint) + 1.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EntropyProduction {
    centre: Vec<f64>,
    /// M = Kᵀ D⁻¹, row-major, so σ = (w̃ − w̄)ᵀ M Δw.
    form: Vec<f64>,
}

impl EntropyProduction {
    /// From the centre w̄, the velocity matrix K (e.g. [`NearMinimum::velocity_matrix`]) and the
    /// per-step diffusion matrix D (symmetric positive definite).
    pub fn new(
        centre: &[f64],
        velocity_matrix: &DMatrix<f64>,
        diffusion: &DMatrix<f64>,
    ) -> Result<Self> {
        let d = centre.len();
        ensure_finite("centre w̄", centre)?;
        if velocity_matrix.nrows() != d || velocity_matrix.ncols() != d {
            return Err(Error::DimensionMismatch {
                what: "velocity matrix K".into(),
                expected: d,
                found: velocity_matrix.nrows(),
            });
        }
        ensure_finite("velocity matrix K", velocity_matrix.iter())?;
        check_symmetric("diffusion matrix D", diffusion, d)?;
        let d_inv = spd_inverse("diffusion matrix D", diffusion)?;
        let form = velocity_matrix.transpose() * d_inv;
        Ok(Self {
            centre: centre.to_vec(),
            form: form.transpose().as_slice().to_vec(),
        })
    }

    /// The matrix M = KᵀD⁻¹ of the bilinear form σ = (w̃ − w̄)ᵀ M Δw.
    pub fn form(&self) -> DMatrix<f64> {
        let d = self.centre.len();
        DMatrix::from_row_slice(d, d, &self.form)
    }

    /// σ for one step from `from` to `to` (no allocation).
    pub fn step(&self, from: &[f64], to: &[f64], rule: Discretisation) -> f64 {
        let d = self.centre.len();
        let mut sigma = 0.0;
        for a in 0..d {
            let anchor = match rule {
                Discretisation::Midpoint => 0.5 * (from[a] + to[a]),
                Discretisation::StartPoint => from[a],
            } - self.centre[a];
            let row = &self.form[a * d..(a + 1) * d];
            let mut inner = 0.0;
            for b in 0..d {
                inner += row[b] * (to[b] - from[b]);
            }
            sigma += anchor * inner;
        }
        sigma
    }

    /// σ_n for every step of a trajectory given row-major (states × d); errors on a ragged or
    /// non-finite trajectory.
    pub fn along(&self, trajectory: &[f64], rule: Discretisation) -> Result<Vec<f64>> {
        let d = self.centre.len();
        if !trajectory.len().is_multiple_of(d) {
            return Err(Error::DimensionMismatch {
                what: "trajectory length (a multiple of d)".into(),
                expected: d * (trajectory.len() / d + 1),
                found: trajectory.len(),
            });
        }
        ensure_finite("trajectory", trajectory)?;
        Ok(trajectory
            .chunks_exact(d)
            .zip(trajectory.chunks_exact(d).skip(1))
            .map(|(from, to)| self.step(from, to, rule))
            .collect())
    }
}

/// Σ_τ over windows of `window` consecutive steps starting every `spacing` steps:
/// Σ^{(k)} = Σ_{n = k·spacing}^{k·spacing + window − 1} σ_n (claim 8's window sums).
///
/// ```
/// use sgbayes::theory::nonequilibrium::window_sums;
/// assert_eq!(window_sums(&[1.0, 2.0, 3.0, 4.0, 5.0], 2, 2).unwrap(), vec![3.0, 7.0]);
/// ```
pub fn window_sums(step_values: &[f64], window: usize, spacing: usize) -> Result<Vec<f64>> {
    if window == 0 || spacing == 0 {
        return Err(Error::Invalid {
            what: "window sums".into(),
            why: format!("window ({window}) and spacing ({spacing}) must be positive"),
        });
    }
    Ok((0..)
        .map(|k| k * spacing)
        .take_while(|start| start + window <= step_values.len())
        .map(|start| step_values[start..start + window].iter().sum())
        .collect())
}

/// Exact stationary expectation of the per-step estimator σ_n for a chain with
/// E[x_{n+1} | x_n] = A x_n and stationary covariance C (any noise law; x = w − w̄) \[derived].
///
/// # Formula
/// With M the estimator's form ([`EntropyProduction::form`]):
/// midpoint ½ tr(M(AC − CAᵀ)) (the symmetric part telescopes); start point tr(M(A − I)C).
/// With the OU covariance and A = I − ηH both tend to tr(QᵀD⁻¹QC⁻¹) as η → 0.
///
/// ```
/// use nalgebra::DMatrix;
/// use sgbayes::theory::nonequilibrium::{expected_step_entropy, Discretisation, EntropyProduction, NearMinimum};
/// let h = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 4.0]);
/// let d = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
/// let near = NearMinimum::new(1e-4, h, d).unwrap();
/// let c = near.stationary_covariance().unwrap();
/// let e = EntropyProduction::new(&[0.0, 0.0], &near.velocity_matrix(&c).unwrap(), near.diffusion()).unwrap();
/// let exact = expected_step_entropy(&near.mean_matrix(), &near.discrete_stationary_covariance().unwrap(), &e, Discretisation::Midpoint);
/// let ou = near.mean_entropy_production(&c).unwrap();
/// assert!((exact / ou - 1.0).abs() < 1e-3);
/// ```
pub fn expected_step_entropy(
    mean_matrix: &DMatrix<f64>,
    covariance: &DMatrix<f64>,
    estimator: &EntropyProduction,
    rule: Discretisation,
) -> f64 {
    let m = estimator.form();
    let ac = mean_matrix * covariance;
    match rule {
        Discretisation::Midpoint => 0.5 * (&m * (&ac - ac.transpose())).trace(),
        Discretisation::StartPoint => (&m * (ac - covariance)).trace(),
    }
}

/// Exact E[exp(−s Σ_τ)] of the per-step estimator summed over a window of τ steps, for the
/// stationary *Gaussian* linear chain x' = A x + noise (noise Gaussian, independent of x, so that
/// x ~ N(0, C) and consecutive states are jointly Gaussian) \[derived].
///
/// # Formula
/// With z = (x_0, …, x_τ) ~ N(0, Σ_z), Cov(x_i, x_j) = A^{i−j} C (i ≥ j), Σ_τ = zᵀ W z is a quadratic
/// form (per step: midpoint blocks ½[[−M, M], [−M, M]], start point [[−M, M], [0, 0]], symmetrised),
/// and E e^{−s zᵀWz} = det(I + 2s LᵀWL)^{−1/2} with Σ_z = LLᵀ, when I + 2s LᵀWL ≻ 0; otherwise the
/// expectation diverges and `f64::INFINITY` is returned (the heavy tail of e^{−Σ} at large ηλ).
/// s = 1 gives the integral fluctuation theorem's ⟨e^{−Σ_τ}⟩, which tends to 1 as η → 0 with the
/// OU matrices; s = 2 gives its second moment (finite variance of the Monte-Carlo estimate).
///
/// ```
/// use nalgebra::DMatrix;
/// use sgbayes::theory::nonequilibrium::{gaussian_exponential_moment, Discretisation, EntropyProduction, NearMinimum};
/// let h = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 4.0]);
/// let d = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]);
/// let near = NearMinimum::new(1e-3, h, d).unwrap();
/// let c = near.stationary_covariance().unwrap();
/// let e = EntropyProduction::new(&[0.0, 0.0], &near.velocity_matrix(&c).unwrap(), near.diffusion()).unwrap();
/// let cd = near.discrete_stationary_covariance().unwrap();
/// let ift = gaussian_exponential_moment(&near.mean_matrix(), &cd, &e, 3, Discretisation::Midpoint, 1.0).unwrap();
/// assert!((ift - 1.0).abs() < 1e-4);
/// ```
pub fn gaussian_exponential_moment(
    mean_matrix: &DMatrix<f64>,
    covariance: &DMatrix<f64>,
    estimator: &EntropyProduction,
    window: usize,
    rule: Discretisation,
    scale: f64,
) -> Result<f64> {
    let d = covariance.nrows();
    if window == 0 {
        return Err(Error::Invalid {
            what: "window".into(),
            why: "must be at least one step".into(),
        });
    }
    if mean_matrix.shape() != (d, d) || estimator.centre.len() != d {
        return Err(Error::DimensionMismatch {
            what: "mean matrix / estimator (matching the covariance)".into(),
            expected: d,
            found: mean_matrix.nrows(),
        });
    }
    if !scale.is_finite() {
        return Err(Error::NonFinite {
            what: "scale s".into(),
        });
    }
    let n = d * (window + 1);
    let mut powers = vec![DMatrix::identity(d, d)];
    for k in 1..=window {
        powers.push(mean_matrix * &powers[k - 1]);
    }
    let mut sigma_z = DMatrix::zeros(n, n);
    for i in 0..=window {
        for j in 0..=i {
            let block = &powers[i - j] * covariance;
            sigma_z.view_mut((i * d, j * d), (d, d)).copy_from(&block);
            sigma_z
                .view_mut((j * d, i * d), (d, d))
                .copy_from(&block.transpose());
        }
    }
    let m = estimator.form();
    let mut w = DMatrix::zeros(n, n);
    for k in 0..window {
        let (u, v) = (k * d, (k + 1) * d);
        let blocks: [(usize, usize, f64); 4] = match rule {
            Discretisation::Midpoint => [(u, u, -0.5), (u, v, 0.5), (v, v, 0.5), (v, u, -0.5)],
            Discretisation::StartPoint => [(u, u, -1.0), (u, v, 1.0), (v, v, 0.0), (v, u, 0.0)],
        };
        for (r, c, f) in blocks {
            let mut view = w.view_mut((r, c), (d, d));
            view += &m * f;
        }
    }
    let w = (&w + w.transpose()) * 0.5;
    let l = sigma_z
        .cholesky()
        .ok_or_else(|| Error::NotPositiveDefinite {
            what: "joint covariance of the window's states".into(),
        })?
        .l();
    let k = DMatrix::identity(n, n) + l.transpose() * w * &l * (2.0 * scale);
    let eigenvalues = SymmetricEigen::new((&k + k.transpose()) * 0.5).eigenvalues;
    if eigenvalues.iter().any(|&e| e <= 0.0) {
        return Ok(f64::INFINITY);
    }
    Ok(eigenvalues
        .iter()
        .map(|e| e.ln())
        .sum::<f64>()
        .mul_add(-0.5, 0.0)
        .exp())
}

/// How the report's numbers are obtained (serialised in [`NonequilibriumTheory`]).
pub const PROVENANCE: &str = "H = ∇²L(w*) (exact/analytic); D: paper's claim 2 (½η² Cov of the minibatch gradient at w*, finite-population factor); C: Lyapunov HC + CH = (2/η)D (paper Eq. 21) and its exact discrete counterpart C = (I − ηH)C(I − ηH)ᵀ + 2D [derived]; Q = (η/2)(HC − CH) [derived]; ⟨σ⟩ = tr(QᵀD⁻¹QC⁻¹) (paper Eq. 29); reshuffled (WOR) epochs: leading-order per-epoch D = (η⁴/2)(M²(M+1)/12)HSH with H_k ≈ H and time in epochs [derived; digest claim 4], WOR minimum from the effective loss L + (η/4)E_b‖∇L_b‖² [derived]";

/// The closed forms at a minimum for one sampler configuration (the `theory` summary for
/// `sgbayes problem tanh-regression`, and for quadratic models).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NonequilibriumTheory {
    /// Conventions and sources of every number.
    pub provenance: String,
    /// The paper's learning rate η of w ← w − η∇L_b (SGD: ε/N; SGLD: ε/2).
    pub learning_rate: f64,
    /// Time unit of D, C, Q and ⟨σ⟩: "step" or "epoch" (reshuffled SGD).
    pub time_unit: String,
    /// The minimum w* of L.
    pub minimum: Vec<f64>,
    /// The WOR effective minimum w̃ (reshuffled SGD only).
    pub effective_minimum: Option<Vec<f64>>,
    /// Eigenvalues of H, ascending.
    pub hessian_eigenvalues: Vec<f64>,
    /// H = ∇²L(w*).
    pub hessian: Vec<Vec<f64>>,
    /// Diffusion matrix D per time unit.
    pub diffusion: Vec<Vec<f64>>,
    /// OU stationary covariance C (Lyapunov).
    pub covariance: Vec<Vec<f64>>,
    /// Exact discrete-time covariance of the linearised chain, per step (None past the stability
    /// limit, and for reshuffled SGD, whose epoch map is not I − ηMH).
    pub discrete_covariance: Option<Vec<Vec<f64>>>,
    /// Circulation Q = (η/2)(HC − CH) with the OU covariance.
    pub circulation: Vec<Vec<f64>>,
    /// Mean entropy production per time unit, tr(QᵀD⁻¹QC⁻¹) (None when D is singular).
    pub mean_entropy_production: Option<f64>,
    /// ‖[H, D]‖_F/(‖H‖_F‖D‖_F): 0 in equilibrium.
    pub relative_commutator: f64,
}

fn rows(m: &DMatrix<f64>) -> Vec<Vec<f64>> {
    m.row_iter().map(|r| r.iter().copied().collect()).collect()
}

/// The closed forms of claims 2–7 for `config` at the model's minimum ([`CurvatureModel::minimum`]).
///
/// # Supported configurations
/// * SGD (η = ε/N) with i.i.d. or distinct-index batches: D = (η²/2)S(w*), per step.
/// * SGD with reshuffled epochs: per epoch, D = (η⁴/2)(M²(M+1)/12) H S H, drift ηM H, and the
///   WOR effective minimum (leading order in η, with H_k ≈ H for the covariance).
/// * SGLD (η = ε/2): D = (η²/2)S + ηI per step (i.i.d./distinct indices) or ηI (reshuffled, whose
///   minibatch part is O(η⁴) per epoch), so SGWORLD is in equilibrium to leading order.
///
/// Other samplers give [`Error::NoClosedForm`].
///
/// ```
/// use sgbayes::batching::Batching;
/// use sgbayes::config::{SamplerConfig, SamplerKind};
/// use sgbayes::models::LinearRegression;
/// use sgbayes::theory::nonequilibrium::report;
/// let model = LinearRegression::new(vec![vec![1.0, 0.3], vec![0.2, 2.0], vec![1.0, -1.0], vec![0.5, 0.5]],
///     vec![1.0, 0.0, 2.0, -1.0], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgd, 0.05, 2, Batching::WithoutReplacement);
/// let theory = report(&model, &config).unwrap();
/// assert!(theory.mean_entropy_production.unwrap() >= 0.0);
/// assert!((theory.circulation[0][1] + theory.circulation[1][0]).abs() < 1e-15);
/// ```
pub fn report(model: &dyn CurvatureModel, config: &SamplerConfig) -> Result<NonequilibriumTheory> {
    let minimum = model.minimum()?;
    report_at(model, &minimum, config)
}

/// [`report`] at a given minimum (e.g. one found from another start).
pub fn report_at(
    model: &dyn CurvatureModel,
    minimum: &[f64],
    config: &SamplerConfig,
) -> Result<NonequilibriumTheory> {
    check_point(model, minimum)?;
    check_batch(model, config.batch_size)?;
    check_learning_rate(config.step_size)?;
    let n = model.data_size();
    let d = model.dimension();
    let hessian = model.hessian_at(minimum);
    let s = minibatch_gradient_covariance(model, minimum, config.batch_size, config.batching)?;
    let reshuffled = config.batching == Batching::Reshuffle;
    let blocks = (n / config.batch_size) as f64;
    let (eta, learning_rate, diffusion, time_unit, effective_minimum) =
        match (config.kind, reshuffled) {
            (SamplerKind::Sgd, false) => {
                let eta = config.step_size / n as f64;
                (eta, eta, &s * (0.5 * eta * eta), "step", None)
            }
            (SamplerKind::Sgd, true) => {
                let eta = config.step_size / n as f64;
                let factor = 0.5 * eta.powi(4) * blocks * blocks * (blocks + 1.0) / 12.0;
                let w_tilde = without_replacement_minimum(model, minimum, eta, config.batch_size)?;
                (
                    eta,
                    eta * blocks,
                    &hessian * &s * &hessian * factor,
                    "epoch",
                    Some(w_tilde),
                )
            }
            (SamplerKind::Sgld, false) => {
                let eta = 0.5 * config.step_size;
                let diffusion = &s * (0.5 * eta * eta) + DMatrix::identity(d, d) * eta;
                (eta, eta, diffusion, "step", None)
            }
            (SamplerKind::Sgld, true) => {
                let eta = 0.5 * config.step_size;
                (eta, eta, DMatrix::identity(d, d) * eta, "step", None)
            }
            (kind, _) => {
                return Err(Error::NoClosedForm {
                    what: format!("non-equilibrium closed forms for {kind:?} (SGD and SGLD only)"),
                })
            }
        };
    let near = NearMinimum::new(learning_rate, hessian.clone(), diffusion)?;
    let covariance = near.stationary_covariance()?;
    // The per-epoch map of reshuffled SGD is a product of M steps, not I − ηMH: no exact
    // linearised discrete law is claimed there.
    let discrete_covariance = if reshuffled && config.kind == SamplerKind::Sgd {
        None
    } else {
        near.discrete_stationary_covariance().ok()
    };
    let circulation = near.circulation(&covariance);
    let mean_entropy_production = near.mean_entropy_production(&covariance).ok();
    let mut eigenvalues: Vec<f64> = SymmetricEigen::new(hessian.clone())
        .eigenvalues
        .iter()
        .copied()
        .collect();
    eigenvalues.sort_by(f64::total_cmp);
    Ok(NonequilibriumTheory {
        provenance: PROVENANCE.into(),
        learning_rate: eta,
        time_unit: time_unit.into(),
        minimum: minimum.to_vec(),
        effective_minimum,
        hessian_eigenvalues: eigenvalues,
        hessian: rows(&hessian),
        diffusion: rows(near.diffusion()),
        covariance: rows(&covariance),
        discrete_covariance: discrete_covariance.as_ref().map(rows),
        circulation: rows(&circulation),
        mean_entropy_production,
        relative_commutator: near.relative_commutator(),
    })
}
