//! Bayesian logistic regression with an isotropic Gaussian prior: the model of Mandt, Hoffman &
//! Blei (2017)'s logistic-regression experiments (theirs on UCI Skin Segmentation; ours on
//! synthetic data, see [`generate`]).

use nalgebra::{Cholesky, DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::linear_kernel::dot;
use super::{FisherMetric, Model};
use crate::dense_cholesky::{factor_in_place, solve_in_place};
use crate::error::{ensure_finite, Error, Result};

/// softplus(z) = log(1 + e^z), evaluated as max(z, 0) + log1p(e^{−|z|}) (no overflow, and no
/// cancellation for z ≪ 0).
#[inline]
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// The logistic function σ(z) = 1/(1 + e^{−z}), evaluated without overflow for either sign of z.
#[inline]
fn logistic(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

thread_local! {
    /// Per-thread scratch of [`LogisticRegression`]'s `fisher_metric` (Cholesky factor of F and
    /// one solve): allocated on a thread's first call, reused afterwards, so the sampler's step
    /// loop does not allocate.
    static METRIC_SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Bayesian logistic regression: labels y_i ∈ {0, 1} with p(y_i = 1 | θ) = σ(x_i·θ), prior
/// θ ~ N(0, λ⁻¹ I).
///
/// # Formula
/// Per-example loss ℓ_i(θ) = −log p(y_i | θ) = log(1 + e^{x_i·θ}) − y_i x_i·θ (evaluated with a
/// stable softplus), so U(θ) = λ|θ|²/2 + Σ_i ℓ_i(θ),
/// ∇ℓ_i(θ) = (σ(x_i·θ) − y_i) x_i and ∇²ℓ_i(θ) = σ(x_i·θ)(1 − σ(x_i·θ)) x_i x_iᵀ.
/// U is strictly convex (λ > 0), so the MAP θ̂ is unique; [`LogisticRegression::map_estimate`]
/// finds it by Newton's method. The Laplace approximation of the posterior is N(θ̂, H⁻¹),
/// H = ∇²U(θ̂) = λI + Σ_i ∇²ℓ_i(θ̂) (the "posterior" Mandt et al. compare constant SGD with).
///
/// Parameter layout: θ ∈ ℝ^d is the weight vector itself, θ_j multiplying feature j (no
/// intercept; add a constant feature for one).
///
/// ```
/// use sgbayes::models::{LogisticRegression, Model};
/// let model = LogisticRegression::new(vec![vec![1.0, 0.0], vec![0.0, 2.0]], vec![1.0, 0.0], 1.0).unwrap();
/// let mut grad = vec![0.0; 2];
/// model.full_gradient(&[0.0, 0.0], &mut grad);
/// // λθ + Σ (σ(0) − y_i) x_i = (−½, 1)
/// assert!((grad[0] + 0.5).abs() < 1e-15 && (grad[1] - 1.0).abs() < 1e-15);
/// // U(0) = 2 log 2
/// assert!((model.potential(&[0.0, 0.0]) - 2.0 * 2f64.ln()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegression {
    dimension: usize,
    /// Row-major N×d feature matrix.
    features: Vec<f64>,
    labels: Vec<f64>,
    prior_precision: f64,
}

/// Everything needed to rebuild a [`LogisticRegression`] (data included), for problem files.
///
/// ```
/// use sgbayes::models::LogisticRegressionSpec;
/// let spec = LogisticRegressionSpec { features: vec![vec![1.0], vec![-1.0]], labels: vec![1.0, 0.0], prior_precision: 2.0 };
/// let model = spec.build().unwrap();
/// assert_eq!(model.to_spec(), spec);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticRegressionSpec {
    /// Feature rows x_i (N rows of length d).
    pub features: Vec<Vec<f64>>,
    /// Labels y_i, each 0 or 1.
    pub labels: Vec<f64>,
    /// Prior precision λ > 0 of θ ~ N(0, λ⁻¹ I).
    pub prior_precision: f64,
}

impl LogisticRegressionSpec {
    /// Builds (and validates) the model; see [`LogisticRegression::new`].
    pub fn build(&self) -> Result<LogisticRegression> {
        LogisticRegression::new(
            self.features.clone(),
            self.labels.clone(),
            self.prior_precision,
        )
    }
}

/// Parameters of the synthetic data sets of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogisticRegressionParams {
    /// Dimension d of θ (number of features).
    #[serde(alias = "dim")]
    pub dimension: usize,
    /// Number N of data points.
    #[serde(alias = "data")]
    pub data_size: usize,
    /// Prior precision λ; the true θ₀ is drawn from the prior N(0, λ⁻¹ I).
    pub prior_precision: f64,
    /// Feature scale s: Var(x_ij) = s².
    pub feature_scale: f64,
    /// Correlation ρ ∈ (−1, 1) of neighbouring features: Cov(x_ij, x_ik) = s² ρ^{|j−k|}.
    pub feature_correlation: f64,
}

impl Default for LogisticRegressionParams {
    /// d = 3, N = 1000, λ = 1, s = 1, ρ = 0.6.
    fn default() -> Self {
        Self {
            dimension: 3,
            data_size: 1000,
            prior_precision: 1.0,
            feature_scale: 1.0,
            feature_correlation: 0.6,
        }
    }
}

/// A synthetic logistic-regression data set (no downloads; Mandt et al. used UCI Skin
/// Segmentation).
///
/// # Formula
/// With a ChaCha20 stream seeded by `seed`: θ₀ ~ N(0, λ⁻¹ I) (d draws), then for each i in turn
/// the features follow a stationary AR(1) along the coordinates,
/// x_i1 = s z_i1, x_ij = ρ x_i,j−1 + s √(1 − ρ²) z_ij (z ~ N(0, 1)), so Cov(x_i) = s² ρ^{|j−k|},
/// and the label y_i = 1{u_i < σ(x_i·θ₀)}, u_i ~ U(0, 1) — i.e. labels drawn from the model at a
/// prior draw θ₀. Errors on d = 0, N = 0, λ or s not positive and finite, or |ρ| ≥ 1.
///
/// ```
/// use sgbayes::models::{generate_logistic_regression, LogisticRegressionParams, Model};
/// let model = generate_logistic_regression(&LogisticRegressionParams::default(), 7).unwrap();
/// assert_eq!((model.dimension(), model.data_size()), (3, 1000));
/// ```
pub fn generate(params: &LogisticRegressionParams, seed: u64) -> Result<LogisticRegression> {
    let LogisticRegressionParams {
        dimension,
        data_size,
        prior_precision,
        feature_scale,
        feature_correlation: rho,
    } = *params;
    for (what, value) in [("dimension", dimension), ("data_size", data_size)] {
        if value == 0 {
            return Err(Error::Invalid {
                what: what.into(),
                why: "must be at least 1".into(),
            });
        }
    }
    for (what, value) in [
        ("prior_precision", prior_precision),
        ("feature_scale", feature_scale),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::Invalid {
                what: what.into(),
                why: format!("must be positive and finite, got {value}"),
            });
        }
    }
    if !(rho.is_finite() && rho.abs() < 1.0) {
        return Err(Error::Invalid {
            what: "feature_correlation".into(),
            why: format!("must lie in (−1, 1), got {rho}"),
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let prior_sd = prior_precision.sqrt().recip();
    let truth: Vec<f64> = (0..dimension)
        .map(|_| prior_sd * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let innovation = feature_scale * (1.0 - rho * rho).sqrt();
    let mut features = Vec::with_capacity(data_size);
    let mut labels = Vec::with_capacity(data_size);
    for _ in 0..data_size {
        let mut row = Vec::with_capacity(dimension);
        let mut previous = 0.0;
        for j in 0..dimension {
            let z: f64 = rng.sample(StandardNormal);
            let x = if j == 0 {
                feature_scale * z
            } else {
                rho * previous + innovation * z
            };
            row.push(x);
            previous = x;
        }
        let p = logistic(dot(&row, &truth));
        labels.push(if rng.gen::<f64>() < p { 1.0 } else { 0.0 });
        features.push(row);
    }
    LogisticRegression::new(features, labels, prior_precision)
}

impl LogisticRegression {
    /// Builds the model from feature rows x_i, labels y_i ∈ {0, 1} and prior precision λ > 0.
    /// Errors on empty data, ragged rows, a label count ≠ N, non-finite features, labels other
    /// than 0 or 1, or λ not positive and finite.
    pub fn new(features: Vec<Vec<f64>>, labels: Vec<f64>, prior_precision: f64) -> Result<Self> {
        let (flat, dimension) = super::validated_rows("features", &features, "labels", &labels)?;
        if let Some(bad) = labels.iter().find(|&&y| y != 0.0 && y != 1.0) {
            return Err(Error::Invalid {
                what: "labels".into(),
                why: format!("must be 0 or 1, got {bad}"),
            });
        }
        if !(prior_precision.is_finite() && prior_precision > 0.0) {
            return Err(Error::Invalid {
                what: "prior_precision".into(),
                why: format!("must be positive and finite, got {prior_precision}"),
            });
        }
        let model = Self {
            dimension,
            features: flat,
            labels,
            prior_precision,
        };
        // Products of huge features overflow the Hessian: reject instead of returning NaNs later.
        ensure_finite(
            "Hessian bound λI + XᵀX/4 (features too large)",
            model.hessian(&DVector::zeros(dimension)).iter(),
        )?;
        Ok(model)
    }

    /// Feature row x_i.
    pub fn feature(&self, index: usize) -> &[f64] {
        &self.features[index * self.dimension..(index + 1) * self.dimension]
    }
    /// Labels y (each 0 or 1).
    pub fn labels(&self) -> &[f64] {
        &self.labels
    }
    /// Prior precision λ (scalar).
    pub fn prior_precision_scalar(&self) -> f64 {
        self.prior_precision
    }
    /// The spec that rebuilds this model.
    pub fn to_spec(&self) -> LogisticRegressionSpec {
        LogisticRegressionSpec {
            features: self
                .features
                .chunks(self.dimension)
                .map(|r| r.to_vec())
                .collect(),
            labels: self.labels.clone(),
            prior_precision: self.prior_precision,
        }
    }

    /// The predicted probabilities p_i = σ(x_i·θ) = P(y_i = 1 | θ), i < N: the quantity the
    /// weight vector θ maps to (θ itself is the weight vector, see the type's docs).
    pub fn probabilities(&self, theta: &[f64]) -> Vec<f64> {
        (0..self.labels.len())
            .map(|i| logistic(dot(self.feature(i), theta)))
            .collect()
    }

    /// Per-example Hessian ∇²ℓ_i(θ) = σ(1 − σ) x_i x_iᵀ, σ = σ(x_i·θ).
    pub fn example_hessian(&self, index: usize, theta: &[f64]) -> DMatrix<f64> {
        let x = DVector::from_column_slice(self.feature(index));
        let p = logistic(dot(self.feature(index), theta));
        &x * x.transpose() * (p * (1.0 - p))
    }

    /// Hessian of the potential, ∇²U(θ) = λI + Σ_i σ_i(1 − σ_i) x_i x_iᵀ (symmetric positive
    /// definite).
    pub fn hessian(&self, theta: &DVector<f64>) -> DMatrix<f64> {
        let d = self.dimension;
        let mut h = DMatrix::identity(d, d) * self.prior_precision;
        for i in 0..self.labels.len() {
            let x = DVector::from_column_slice(self.feature(i));
            let p = logistic(dot(self.feature(i), theta.as_slice()));
            h.ger(p * (1.0 - p), &x, &x, 1.0);
        }
        // ger rounds x_j·x_k and x_k·x_j differently; make the result exactly symmetric.
        (&h + h.transpose()) * 0.5
    }

    /// Per-example gradient-noise covariance C(θ) = (1/N) Σ_i (∇ℓ_i − ḡ)(∇ℓ_i − ḡ)ᵀ,
    /// ḡ = (1/N) Σ_i ∇ℓ_i (Mandt et al. 2017, §2; the prior's share of each example's gradient
    /// is the same for every example and cancels). At the MAP, ḡ = −λθ̂/N.
    pub fn gradient_noise_covariance(&self, theta: &DVector<f64>) -> DMatrix<f64> {
        let (n, d) = (self.labels.len(), self.dimension);
        let gradient = |i: usize| {
            let x = DVector::from_column_slice(self.feature(i));
            let p = logistic(dot(self.feature(i), theta.as_slice()));
            x * (p - self.labels[i])
        };
        let mean = (0..n).fold(DVector::zeros(d), |acc, i| acc + gradient(i)) / n as f64;
        let mut c = DMatrix::zeros(d, d);
        for i in 0..n {
            let centred = gradient(i) - &mean;
            c.ger(1.0, &centred, &centred, 1.0);
        }
        c / n as f64
    }

    /// The MAP θ̂ = argmin U by Newton's method with backtracking (Armijo) line search from θ = 0.
    ///
    /// # Formula
    /// Δ = H(θ)⁻¹∇U(θ); θ ← θ − tΔ with t halved from 1 until
    /// U(θ − tΔ) ≤ U(θ) − 10⁻⁴ t ∇U·Δ. Once the predicted decrease ∇U·Δ/2 is below the round-off
    /// of U (10⁻¹²(1 + |U|)), the Armijo test can no longer be resolved and full Newton steps are
    /// taken (the quadratic-convergence regime). Stops when ‖∇U‖_∞ ≤ 10⁻¹³ (1 + λ‖θ‖_∞ + Σ_i
    /// ‖x_i‖_∞), a few ulps of the largest terms summed into the gradient. Deterministic. U is
    /// strictly convex, so the iteration converges; errors (typed) if it has not after 100 steps.
    ///
    /// ```
    /// use sgbayes::models::{generate_logistic_regression, LogisticRegressionParams, Model};
    /// let model = generate_logistic_regression(&LogisticRegressionParams::default(), 1).unwrap();
    /// let map = model.map_estimate().unwrap();
    /// let mut grad = vec![0.0; 3];
    /// model.full_gradient(map.as_slice(), &mut grad);
    /// assert!(grad.iter().all(|g| g.abs() < 1e-9));
    /// ```
    pub fn map_estimate(&self) -> Result<DVector<f64>> {
        let d = self.dimension;
        let feature_mass: f64 = self
            .features
            .chunks(d)
            .map(|x| x.iter().fold(0.0f64, |m, v| m.max(v.abs())))
            .sum();
        let mut theta = DVector::zeros(d);
        let mut gradient = vec![0.0; d];
        let mut trial = DVector::zeros(d);
        for _ in 0..100 {
            self.full_gradient(theta.as_slice(), &mut gradient);
            let g = DVector::from_column_slice(&gradient);
            let tolerance = 1e-13 * (1.0 + self.prior_precision * theta.amax() + feature_mass);
            if g.amax() <= tolerance {
                return Ok(theta);
            }
            let step = Cholesky::new(self.hessian(&theta))
                .ok_or_else(|| Error::NotPositiveDefinite {
                    what: "Hessian of the logistic-regression potential".into(),
                })?
                .solve(&g);
            let decrement = g.dot(&step);
            let u0 = self.potential(theta.as_slice());
            let mut t = 1.0;
            if 0.5 * decrement > 1e-12 * (1.0 + u0.abs()) {
                while t > 1e-10 {
                    trial.copy_from(&theta);
                    trial.axpy(-t, &step, 1.0);
                    if self.potential(trial.as_slice()) <= u0 - 1e-4 * t * decrement {
                        break;
                    }
                    t *= 0.5;
                }
            }
            theta.axpy(-t, &step, 1.0);
        }
        Err(Error::Invalid {
            what: "logistic-regression MAP".into(),
            why: "Newton's method did not converge in 100 steps".into(),
        })
    }
}

impl Model for LogisticRegression {
    fn dimension(&self) -> usize {
        self.dimension
    }
    fn data_size(&self) -> usize {
        self.labels.len()
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        debug_assert_eq!(theta.len(), self.dimension);
        for (o, t) in out.iter_mut().zip(theta) {
            *o = self.prior_precision * t;
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let x = self.feature(index);
        let factor = scale * (logistic(dot(x, theta)) - self.labels[index]);
        for (o, xi) in out.iter_mut().zip(x) {
            *o += factor * xi;
        }
    }
    /// The per-example Fisher information F(θ) = (1/N) Σ_i w_i x_i x_iᵀ, w_i = σ_i(1 − σ_i),
    /// σ_i = σ(x_i·θ) (the expected per-example Hessian; state-dependent), and the Jeffreys drift
    /// correction
    ///   Γ(θ) = −(1/(2N)) Σ_i w_i' (x_iᵀF⁻¹x_i) F⁻¹x_i,  w_i' = σ_i(1 − σ_i)(1 − 2σ_i).
    ///
    /// \[derived\] From Γ_i = Σ_j ∂_j[F⁻¹]_ij + ½ Σ_j [F⁻¹]_ij tr(F⁻¹∂_jF) with
    /// ∂_jF = (1/N)Σ_n w_n' x_nj x_n x_nᵀ and ∂_jF⁻¹ = −F⁻¹(∂_jF)F⁻¹: with u_n = F⁻¹x_n and
    /// q_n = x_n·u_n the first sum is −(1/N)Σ_n w_n' q_n u_n and the second +(1/(2N))Σ_n w_n' q_n u_n.
    /// Checked against central differences of √det F·F⁻¹ in tests/logistic_regression.rs.
    /// A singular F (features not spanning ℝ^d, or saturated σ) gives a NaN correction.
    fn fisher_metric(
        &self,
        theta: &[f64],
        fisher: &mut [f64],
        correction: &mut [f64],
    ) -> FisherMetric {
        let (d, n) = (self.dimension, self.labels.len());
        fisher.fill(0.0);
        for i in 0..n {
            let x = self.feature(i);
            let p = logistic(dot(x, theta));
            let w = p * (1.0 - p) / n as f64;
            for j in 0..d {
                for k in 0..=j {
                    fisher[j * d + k] += w * x[j] * x[k];
                }
            }
        }
        for j in 0..d {
            for k in 0..j {
                fisher[k * d + j] = fisher[j * d + k];
            }
        }
        METRIC_SCRATCH.with(|cell| {
            let mut scratch = cell.borrow_mut();
            scratch.resize(d * d + d, 0.0);
            let (factor, u) = scratch.split_at_mut(d * d);
            factor.copy_from_slice(fisher);
            if !factor_in_place(factor, d) {
                correction.fill(f64::NAN);
                return;
            }
            correction.fill(0.0);
            for i in 0..n {
                let x = self.feature(i);
                let p = logistic(dot(x, theta));
                u.copy_from_slice(x);
                solve_in_place(factor, d, u);
                let coefficient = -p * (1.0 - p) * (1.0 - 2.0 * p) * dot(x, u) / (2.0 * n as f64);
                for (c, v) in correction.iter_mut().zip(u.iter()) {
                    *c += coefficient * v;
                }
            }
        });
        FisherMetric::StateDependent
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let prior = 0.5 * self.prior_precision * theta.iter().map(|t| t * t).sum::<f64>();
        let likelihood: f64 = (0..self.labels.len())
            .map(|i| {
                let z = dot(self.feature(i), theta);
                softplus(z) - self.labels[i] * z
            })
            .sum();
        prior + likelihood
    }
}
