//! The 7-parameter nonlinear regression of Adhikari, Kabakçıoğlu, Strang, Yuret & Hinczewski (2023),
//! "Machine learning in and out of equilibrium" (arXiv:2306.03521), as set up in the authors'
//! companion notebooks (`hincz-lab/ml-nonequilibrium`, "Nonlinear regression WR/WOR"): two tanh
//! units fitted to a noisy Gaussian bump.
//!
//! # Parameter layout
//! θ = (w₁, …, w₇) flattens as θ[0] = w₁, θ[1] = w₂ (input weights), θ[2] = w₃, θ[3] = w₄ (input
//! biases), θ[4] = w₅, θ[5] = w₆ (output weights), θ[6] = w₇ (output bias), the paper's order;
//! [`TanhParameters::from_theta`] names them.

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::Model;
use crate::error::{ensure_finite, Error, Result};

/// Number of parameters of the network.
pub const TANH_PARAMETERS: usize = 7;

/// Iteration cap of [`TanhRegression::minimise`] (from the default start the Levenberg–Marquardt
/// path can cross long saturated plateaus of tanh before reaching a basin: 3 of 31 seeds needed
/// more than 500 iterations).
const MINIMISER_ITERATIONS: usize = 20_000;

/// f(x) = w₅ tanh(w₁x + w₃) + w₆ tanh(w₂x + w₄) + w₇ with the Gaussian likelihood and the ridge
/// penalty of the authors' code.
///
/// # Formula
/// Loss (the notebooks' `sqloss` plus the penalty, a sum over examples = −log posterior at
/// temperature 1): L(w) = (N/(2σ²))·mean_i (y_i − f(x_i))² + (N/(2σ²))·λ‖w‖², so that
/// ℓ_i(w) = (y_i − f(x_i))²/(2σ²) and R(w) = (Nλ/(2σ²))‖w‖² (a Gaussian prior of precision
/// Nλ/σ²). Gradient ∇ℓ_i = −r_i ∇f(x_i)/σ² with r_i = y_i − f(x_i) and, for unit u ∈ {1, 2} with
/// pre-activation a_u = w_u x + w_{u+2}, t_u = tanh a_u, s_u = 1 − t_u²:
/// ∂f/∂w_u = w_{u+4} s_u x, ∂f/∂w_{u+2} = w_{u+4} s_u, ∂f/∂w_{u+4} = t_u, ∂f/∂w₇ = 1.
/// Hessian ∇²ℓ_i = (∇f∇fᵀ − r_i ∇²f)/σ², with the non-zero second derivatives of f (per unit,
/// using ∂s/∂a = −2 s t): ∂²f/∂w_u² = −2 w_{u+4} s t x², ∂²f/∂w_u∂w_{u+2} = −2 w_{u+4} s t x,
/// ∂²f/∂w_{u+2}² = −2 w_{u+4} s t, ∂²f/∂w_u∂w_{u+4} = s x, ∂²f/∂w_{u+2}∂w_{u+4} = s.
///
/// ```
/// use sgbayes::models::{Model, TanhRegression};
/// let model = TanhRegression::new(vec![0.0, 1.0], vec![0.5, 0.2], 0.1, 1e-3).unwrap();
/// let theta = [1.0, 1.0, 0.0, 0.0, 1.0, -1.0, 0.3];
/// // The two units cancel (w₅ = −w₆, same pre-activation): f ≡ w₇ = 0.3.
/// assert!((model.prediction(&theta, 0.7) - 0.3).abs() < 1e-15);
/// let mut grad = vec![0.0; 7];
/// model.full_gradient(&theta, &mut grad);
/// assert!(grad.iter().all(|g| g.is_finite()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TanhRegression {
    inputs: Vec<f64>,
    targets: Vec<f64>,
    noise_sd: f64,
    regularisation: f64,
}

/// The named weights of θ (see the module's parameter layout).
///
/// ```
/// use sgbayes::models::TanhParameters;
/// let p = TanhParameters::from_theta(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]).unwrap();
/// assert_eq!(p.output_weights, [5.0, 6.0]);
/// assert_eq!(p.to_theta().to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TanhParameters {
    /// (w₁, w₂): the input weights of the two units.
    pub input_weights: [f64; 2],
    /// (w₃, w₄): the input biases.
    pub input_biases: [f64; 2],
    /// (w₅, w₆): the output weights.
    pub output_weights: [f64; 2],
    /// w₇: the output bias.
    pub output_bias: f64,
}

impl TanhParameters {
    /// Names the entries of θ; errors unless θ has 7 finite entries.
    pub fn from_theta(theta: &[f64]) -> Result<Self> {
        check_theta(theta)?;
        Ok(Self {
            input_weights: [theta[0], theta[1]],
            input_biases: [theta[2], theta[3]],
            output_weights: [theta[4], theta[5]],
            output_bias: theta[6],
        })
    }
    /// The flat θ.
    pub fn to_theta(&self) -> [f64; TANH_PARAMETERS] {
        [
            self.input_weights[0],
            self.input_weights[1],
            self.input_biases[0],
            self.input_biases[1],
            self.output_weights[0],
            self.output_weights[1],
            self.output_bias,
        ]
    }
}

fn check_theta(theta: &[f64]) -> Result<()> {
    if theta.len() != TANH_PARAMETERS {
        return Err(Error::DimensionMismatch {
            what: "tanh regression parameters θ".into(),
            expected: TANH_PARAMETERS,
            found: theta.len(),
        });
    }
    ensure_finite("tanh regression parameters θ", theta)
}

/// Serialisable problem: everything needed to rebuild a [`TanhRegression`] (data included).
///
/// ```
/// use sgbayes::models::{generate_tanh_regression, TanhRegressionParams};
/// let model = generate_tanh_regression(&TanhRegressionParams::default(), 1).unwrap();
/// assert_eq!(model.to_spec().build().unwrap(), model);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TanhRegressionSpec {
    /// Inputs x_i (N).
    pub inputs: Vec<f64>,
    /// Targets y_i (N).
    pub targets: Vec<f64>,
    /// Noise standard deviation σ of the likelihood.
    pub noise_sd: f64,
    /// Ridge coefficient λ of the penalty (N/(2σ²))·λ‖w‖².
    pub regularisation: f64,
}

impl TanhRegressionSpec {
    /// Validates and builds the model.
    pub fn build(&self) -> Result<TanhRegression> {
        TanhRegression::new(
            self.inputs.clone(),
            self.targets.clone(),
            self.noise_sd,
            self.regularisation,
        )
    }
}

/// Settings of the paper's data generator (defaults: the notebooks' values).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TanhRegressionParams {
    /// First grid point x₀ (−3).
    pub grid_start: f64,
    /// Grid spacing (0.03).
    pub grid_step: f64,
    /// Number N of grid points (200: −3:0.03:3 without its last point).
    #[serde(alias = "data")]
    pub data_size: usize,
    /// Standard deviation of the target noise, also the likelihood's σ (0.1).
    pub noise_sd: f64,
    /// Ridge coefficient λ (10⁻³).
    pub regularisation: f64,
}

impl Default for TanhRegressionParams {
    fn default() -> Self {
        Self {
            grid_start: -3.0,
            grid_step: 0.03,
            data_size: 200,
            noise_sd: 0.1,
            regularisation: 1e-3,
        }
    }
}

/// The paper's data: x_k = x₀ + k·Δx (k < N), y_k = exp(−x_k²) + σ·ξ_k with ξ_k standard normal
/// from ChaCha20 seeded with `seed`.
///
/// The authors drew ξ with Julia's `Random.seed!(1)`; that stream cannot be reproduced here, so
/// our data (hence w*, the Hessian and every derived number) differ from theirs at the level of
/// the noise.
///
/// ```
/// use sgbayes::models::{generate_tanh_regression, Model, TanhRegressionParams};
/// let model = generate_tanh_regression(&TanhRegressionParams::default(), 7).unwrap();
/// assert_eq!(model.data_size(), 200);
/// assert!((model.inputs()[199] - 2.97).abs() < 1e-12);
/// ```
pub fn generate(params: &TanhRegressionParams, seed: u64) -> Result<TanhRegression> {
    if params.data_size == 0 {
        return Err(Error::Invalid {
            what: "data_size".into(),
            why: "no data points".into(),
        });
    }
    for (what, value) in [
        ("grid_start", params.grid_start),
        ("grid_step", params.grid_step),
    ] {
        if !value.is_finite() {
            return Err(Error::NonFinite { what: what.into() });
        }
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let inputs: Vec<f64> = (0..params.data_size)
        .map(|k| params.grid_start + k as f64 * params.grid_step)
        .collect();
    let targets = inputs
        .iter()
        .map(|x| {
            let xi: f64 = StandardNormal.sample(&mut rng);
            (-x * x).exp() + params.noise_sd * xi
        })
        .collect();
    TanhRegression::new(inputs, targets, params.noise_sd, params.regularisation)
}

/// Pre-activation, tanh and sech² of both units at input x.
#[inline]
fn units(theta: &[f64], x: f64) -> [(f64, f64); 2] {
    let mut out = [(0.0, 0.0); 2];
    for (u, slot) in out.iter_mut().enumerate() {
        let t = (theta[u] * x + theta[u + 2]).tanh();
        *slot = (t, 1.0 - t * t);
    }
    out
}

impl TanhRegression {
    /// Builds the model from inputs x_i, targets y_i, noise sd σ > 0 and ridge λ ≥ 0. Errors on
    /// empty or mismatched data, non-finite values, σ ≤ 0 or λ < 0.
    pub fn new(
        inputs: Vec<f64>,
        targets: Vec<f64>,
        noise_sd: f64,
        regularisation: f64,
    ) -> Result<Self> {
        if inputs.is_empty() {
            return Err(Error::Invalid {
                what: "inputs".into(),
                why: "no data points".into(),
            });
        }
        if targets.len() != inputs.len() {
            return Err(Error::DimensionMismatch {
                what: "targets".into(),
                expected: inputs.len(),
                found: targets.len(),
            });
        }
        ensure_finite("inputs", &inputs)?;
        ensure_finite("targets", &targets)?;
        if !(noise_sd.is_finite() && noise_sd > 0.0) {
            return Err(Error::Invalid {
                what: "noise_sd".into(),
                why: format!("must be positive and finite, got {noise_sd}"),
            });
        }
        if !(regularisation.is_finite() && regularisation >= 0.0) {
            return Err(Error::Invalid {
                what: "regularisation".into(),
                why: format!("must be non-negative and finite, got {regularisation}"),
            });
        }
        Ok(Self {
            inputs,
            targets,
            noise_sd,
            regularisation,
        })
    }

    /// The serialisable spec (round trip: `model.to_spec().build() == model`).
    pub fn to_spec(&self) -> TanhRegressionSpec {
        TanhRegressionSpec {
            inputs: self.inputs.clone(),
            targets: self.targets.clone(),
            noise_sd: self.noise_sd,
            regularisation: self.regularisation,
        }
    }
    /// Inputs x_i.
    pub fn inputs(&self) -> &[f64] {
        &self.inputs
    }
    /// Targets y_i.
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }
    /// Noise standard deviation σ.
    pub fn noise_sd(&self) -> f64 {
        self.noise_sd
    }
    /// Ridge coefficient λ.
    pub fn regularisation(&self) -> f64 {
        self.regularisation
    }
    /// Prior precision Nλ/σ² of the penalty R(w) = (Nλ/(2σ²))‖w‖².
    pub fn prior_precision(&self) -> f64 {
        self.inputs.len() as f64 * self.regularisation / (self.noise_sd * self.noise_sd)
    }

    /// The network output f(x) at θ.
    pub fn prediction(&self, theta: &[f64], x: f64) -> f64 {
        let [(t1, _), (t2, _)] = units(theta, x);
        theta[4] * t1 + theta[5] * t2 + theta[6]
    }

    /// ∇f(x) at θ (7 entries, the parameter layout's order).
    fn prediction_gradient(theta: &[f64], x: f64) -> [f64; TANH_PARAMETERS] {
        let [(t1, s1), (t2, s2)] = units(theta, x);
        [
            theta[4] * s1 * x,
            theta[5] * s2 * x,
            theta[4] * s1,
            theta[5] * s2,
            t1,
            t2,
            1.0,
        ]
    }

    /// Per-example Hessian ∇²ℓ_i(θ) = (∇f∇fᵀ − r_i∇²f)/σ² (formula in the type's doc).
    pub fn example_hessian(&self, index: usize, theta: &[f64]) -> DMatrix<f64> {
        let x = self.inputs[index];
        let residual = self.targets[index] - self.prediction(theta, x);
        let grad = Self::prediction_gradient(theta, x);
        let mut h = DMatrix::from_fn(TANH_PARAMETERS, TANH_PARAMETERS, |a, b| grad[a] * grad[b]);
        for (u, (t, s)) in units(theta, x).into_iter().enumerate() {
            let (w, b, v) = (u, u + 2, u + 4);
            let curvature = -2.0 * theta[v] * s * t;
            let second = [
                (w, w, curvature * x * x),
                (w, b, curvature * x),
                (b, b, curvature),
                (w, v, s * x),
                (b, v, s),
            ];
            for (p, q, value) in second {
                h[(p, q)] -= residual * value;
                if p != q {
                    h[(q, p)] -= residual * value;
                }
            }
        }
        h / (self.noise_sd * self.noise_sd)
    }

    /// Hessian of the full loss, ∇²L(θ) = (Nλ/σ²) I + Σ_i ∇²ℓ_i(θ).
    pub fn hessian(&self, theta: &[f64]) -> DMatrix<f64> {
        let mut h = DMatrix::identity(TANH_PARAMETERS, TANH_PARAMETERS) * self.prior_precision();
        for i in 0..self.inputs.len() {
            h += self.example_hessian(i, theta);
        }
        h
    }

    /// A local minimum w* of L by damped Newton iterations (Levenberg–Marquardt on the exact
    /// Hessian) from `start`.
    ///
    /// # Algorithm
    /// Step δ = −(∇²L + μI)⁻¹∇L; accepted when L decreases — or, once the change of L is below its
    /// rounding error (1e-13 |L|), when ‖∇L‖∞ decreases — (then μ ← μ/3), rejected otherwise
    /// (μ ← 4μ, μ₀ = 10⁻³·max|diag ∇²L|). Stops when ‖∇L‖∞ ≤ 10⁻¹⁰·(1 + |L|) with ∇²L positive
    /// definite (a strict local minimum), or errors after 20 000 iterations. Deterministic: no random
    /// numbers, so w* is a function of the data and the start.
    ///
    /// ```
    /// use sgbayes::models::{generate_tanh_regression, TanhRegression, TanhRegressionParams};
    /// let model = generate_tanh_regression(&TanhRegressionParams::default(), 1).unwrap();
    /// let minimum = model.minimise(&TanhRegression::DEFAULT_START).unwrap();
    /// assert!(minimum.iter().all(|w| w.is_finite()));
    /// ```
    pub fn minimise(&self, start: &[f64]) -> Result<Vec<f64>> {
        check_theta(start)?;
        let mut theta = DVector::from_column_slice(start);
        let mut gradient = vec![0.0; TANH_PARAMETERS];
        let mut trial_gradient = vec![0.0; TANH_PARAMETERS];
        let mut loss = self.potential(theta.as_slice());
        let mut damping = {
            let h = self.hessian(theta.as_slice());
            1e-3 * h.diagonal().amax().max(1.0)
        };
        for _ in 0..MINIMISER_ITERATIONS {
            self.full_gradient(theta.as_slice(), &mut gradient);
            let g = DVector::from_column_slice(&gradient);
            let h = self.hessian(theta.as_slice());
            if g.amax() <= 1e-10 * (1.0 + loss.abs()) && h.clone().cholesky().is_some() {
                return Ok(theta.as_slice().to_vec());
            }
            loop {
                let damped = &h + DMatrix::identity(TANH_PARAMETERS, TANH_PARAMETERS) * damping;
                let step = damped.cholesky().map(|c| c.solve(&g));
                if let Some(step) = step {
                    let trial = &theta - step;
                    let trial_loss = self.potential(trial.as_slice());
                    // Near the minimum the loss decrease falls below its rounding error
                    // (|ΔL| ≈ gᵀH⁻¹g ≪ 1e-13 |L|): there the step is judged by the gradient.
                    let within_rounding = (trial_loss - loss).abs() <= 1e-13 * loss.abs().max(1.0);
                    let smaller_gradient = within_rounding && {
                        self.full_gradient(trial.as_slice(), &mut trial_gradient);
                        trial_gradient.iter().fold(0.0f64, |m, v| m.max(v.abs())) < g.amax()
                    };
                    if trial_loss.is_finite() && (trial_loss <= loss || smaller_gradient) {
                        theta = trial;
                        loss = trial_loss;
                        damping = (damping / 3.0).max(1e-15);
                        break;
                    }
                }
                damping *= 4.0;
                if !damping.is_finite() || damping > 1e30 {
                    return Err(Error::Invalid {
                        what: "tanh regression minimiser".into(),
                        why: "no descent step found (damping overflow)".into(),
                    });
                }
            }
        }
        Err(Error::Invalid {
            what: "tanh regression minimiser".into(),
            why: format!("no convergence within {MINIMISER_ITERATIONS} damped Newton iterations"),
        })
    }

    /// The minimiser's default start: w = (1, 1, 1, −1, 1, −1, 0), a bump made of a rising and a
    /// falling unit (the basin of the authors' w*; the network has equivalent minima under unit
    /// swaps and sign flips).
    pub const DEFAULT_START: [f64; TANH_PARAMETERS] = [1.0, 1.0, 1.0, -1.0, 1.0, -1.0, 0.0];
}

impl Model for TanhRegression {
    fn dimension(&self) -> usize {
        TANH_PARAMETERS
    }
    fn data_size(&self) -> usize {
        self.inputs.len()
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        let precision = self.prior_precision();
        for (o, t) in out.iter_mut().zip(theta) {
            *o = precision * t;
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let x = self.inputs[index];
        let [(t1, s1), (t2, s2)] = units(theta, x);
        let residual = self.targets[index] - (theta[4] * t1 + theta[5] * t2 + theta[6]);
        let factor = -scale * residual / (self.noise_sd * self.noise_sd);
        let a1 = factor * theta[4] * s1;
        let a2 = factor * theta[5] * s2;
        out[0] += a1 * x;
        out[1] += a2 * x;
        out[2] += a1;
        out[3] += a2;
        out[4] += factor * t1;
        out[5] += factor * t2;
        out[6] += factor;
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let variance = self.noise_sd * self.noise_sd;
        let data: f64 = self
            .inputs
            .iter()
            .zip(&self.targets)
            .map(|(&x, &y)| (y - self.prediction(theta, x)).powi(2))
            .sum::<f64>()
            / (2.0 * variance);
        data + 0.5 * self.prior_precision() * theta.iter().map(|t| t * t).sum::<f64>()
    }
}
