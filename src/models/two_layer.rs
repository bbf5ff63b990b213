//! A two-layer network f(x) = N^{−γ} Σ_i a_i φ(w_i·x) with Gaussian priors and a Gaussian
//! likelihood at temperature T: the model of the mean-field SGLD analysis of Göring, Mingard, Nam
//! & Louis, "A simple mean field model of feature learning" (arXiv 2510.15174, 2025).
//!
//! # Formula
//! Potential (Göring et al. 2025, abstract: SGLD with weight decay samples this posterior; the
//! parametrisation by prior variances is the standard one, Neal 1996, Williams 1997):
//!
//! U(a, W) = Σ_i a_i²/(2σ_a²) + Σ_i d‖w_i‖²/(2σ_w²) + Σ_μ (f(x_μ) − y_μ)²/(2T),
//!
//! i.e. a_i ~ N(0, σ_a²), w_i ~ N(0, (σ_w²/d) I_d), and a Gaussian likelihood of variance T. SGLD
//! at unit temperature on U samples exp(−U), which is the posterior of the papers' "temperature T"
//! network (the likelihood noise variance equals T).
//!
//! Per-example gradients, with r_μ = f(x_μ) − y_μ and u_{iμ} = w_i·x_μ:
//! ∂ℓ_μ/∂a_i = (r_μ/T) N^{−γ} φ(u_{iμ}),   ∂ℓ_μ/∂w_i = (r_μ/T) N^{−γ} a_i φ'(u_{iμ}) x_μ.
//!
//! # Parameter layout
//! θ = [a_1, …, a_N, w_1 (d entries), …, w_N (d entries)]: the N readout weights first, then the
//! first-layer weight vectors row by row (w_i = θ[N + i d .. N + (i + 1) d]), dimension N (d + 1).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::linear_kernel::dot;
use super::Model;
use crate::error::{ensure_finite, Error, Result};

/// Activation φ of the hidden layer.
///
/// ```
/// use sgbayes::models::Activation;
/// assert_eq!(Activation::Relu.value(-1.0), 0.0);
/// assert!((Activation::Erf.derivative(0.0) - 2.0 / std::f64::consts::PI.sqrt()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Activation {
    /// φ(u) = erf(u) (Williams 1997 closed-form kernel).
    Erf,
    /// φ(u) = max(u, 0) (arc-cosine kernel of order 1, Cho & Saul 2009); φ'(0) is taken as 0.
    Relu,
    /// φ(u) = u (Bayesian linear regression in the infinite-width limit).
    Linear,
}

impl Activation {
    /// φ(u).
    #[inline]
    pub fn value(self, u: f64) -> f64 {
        match self {
            Activation::Erf => statrs::function::erf::erf(u),
            Activation::Relu => u.max(0.0),
            Activation::Linear => u,
        }
    }
    /// φ'(u).
    #[inline]
    pub fn derivative(self, u: f64) -> f64 {
        match self {
            Activation::Erf => std::f64::consts::FRAC_2_SQRT_PI * (-u * u).exp(),
            Activation::Relu => {
                if u > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::Linear => 1.0,
        }
    }
    /// Lower-case name ("erf", "relu", "linear").
    pub fn name(self) -> &'static str {
        match self {
            Activation::Erf => "erf",
            Activation::Relu => "relu",
            Activation::Linear => "linear",
        }
    }
}

/// Output scaling exponent γ of f = N^{−γ} Σ_i a_i φ(w_i·x).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Scaling {
    /// γ = ½: standard (NNGP / neural-tangent) parametrisation; infinite width is kernel regression.
    Standard,
    /// γ = 1: mean-field parametrisation.
    MeanField,
}

impl Scaling {
    /// The exponent γ.
    pub fn exponent(self) -> f64 {
        match self {
            Scaling::Standard => 0.5,
            Scaling::MeanField => 1.0,
        }
    }
}

/// Two-layer network posterior (see the module documentation for U(θ), the gradients and the
/// layout of θ).
///
/// ```
/// use sgbayes::models::{Activation, Model, Scaling, TwoLayerNetwork, TwoLayerPrior};
/// let prior = TwoLayerPrior { readout_variance: 1.0, weight_variance: 1.0, temperature: 0.5 };
/// let model = TwoLayerNetwork::new(vec![vec![1.0], vec![-1.0]], vec![0.5, -0.5], 3, Scaling::Standard,
///     Activation::Linear, prior).unwrap();
/// assert_eq!(model.dimension(), 3 * (1 + 1));
/// // f(x) = 3^{-1/2} Σ_i a_i w_i x
/// let theta = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
/// assert!((model.output(&theta, &[2.0]) - 6.0 / 3f64.sqrt()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNetwork {
    input_dimension: usize,
    width: usize,
    /// Row-major P×d inputs.
    inputs: Vec<f64>,
    targets: Vec<f64>,
    scaling: Scaling,
    activation: Activation,
    prior: TwoLayerPrior,
    /// N^{−γ}.
    output_scale: f64,
    teacher_direction: Option<Vec<f64>>,
}

/// Prior variances and temperature of a [`TwoLayerNetwork`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoLayerPrior {
    /// σ_a²: prior variance of each readout weight a_i.
    #[doc(alias = "sigma_a")]
    pub readout_variance: f64,
    /// σ_w²: each first-layer weight vector w_i ~ N(0, (σ_w²/d) I).
    #[doc(alias = "sigma_w")]
    pub weight_variance: f64,
    /// T: likelihood noise variance (= SGLD temperature).
    pub temperature: f64,
}

impl TwoLayerNetwork {
    /// Builds the model from inputs x_μ (P rows of length d), targets y_μ, width N ≥ 1, scaling,
    /// activation and prior. Errors on empty or ragged data, non-finite values, N = 0 or
    /// non-positive variances / temperature.
    pub fn new(
        inputs: Vec<Vec<f64>>,
        targets: Vec<f64>,
        width: usize,
        scaling: Scaling,
        activation: Activation,
        prior: TwoLayerPrior,
    ) -> Result<Self> {
        let (flat, input_dimension) =
            super::validated_rows("inputs", &inputs, "targets", &targets)?;
        if width == 0 {
            return Err(Error::Invalid {
                what: "width".into(),
                why: "must be at least 1".into(),
            });
        }
        ensure_finite("targets", &targets)?;
        super::ensure_positive(&[
            ("readout_variance", prior.readout_variance),
            ("weight_variance", prior.weight_variance),
            ("temperature", prior.temperature),
        ])?;
        Ok(Self {
            input_dimension,
            width,
            inputs: flat,
            targets,
            scaling,
            activation,
            prior,
            output_scale: (width as f64).powf(-scaling.exponent()),
            teacher_direction: None,
        })
    }

    /// Attaches the direction β of a single-index teacher y = g(β·x) (metadata for the alignment
    /// order parameter; it does not change U). Errors on a wrong length, non-finite or zero β.
    pub fn with_teacher_direction(mut self, direction: Vec<f64>) -> Result<Self> {
        if direction.len() != self.input_dimension {
            return Err(Error::DimensionMismatch {
                what: "teacher direction".into(),
                expected: self.input_dimension,
                found: direction.len(),
            });
        }
        ensure_finite("teacher direction", &direction)?;
        if dot(&direction, &direction) == 0.0 {
            return Err(Error::Invalid {
                what: "teacher direction".into(),
                why: "must be non-zero".into(),
            });
        }
        self.teacher_direction = Some(direction);
        Ok(self)
    }

    /// Input dimension d.
    pub fn input_dimension(&self) -> usize {
        self.input_dimension
    }
    /// Hidden width N.
    pub fn width(&self) -> usize {
        self.width
    }
    /// Input x_μ.
    pub fn input(&self, index: usize) -> &[f64] {
        &self.inputs[index * self.input_dimension..(index + 1) * self.input_dimension]
    }
    /// Inputs as rows.
    pub fn input_rows(&self) -> Vec<Vec<f64>> {
        self.inputs
            .chunks(self.input_dimension)
            .map(|r| r.to_vec())
            .collect()
    }
    /// Targets y.
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }
    /// Output scaling.
    pub fn scaling(&self) -> Scaling {
        self.scaling
    }
    /// Activation φ.
    pub fn activation(&self) -> Activation {
        self.activation
    }
    /// Prior variances and temperature.
    pub fn prior(&self) -> TwoLayerPrior {
        self.prior
    }
    /// The single-index teacher direction β, if the model was generated from one.
    pub fn teacher_direction(&self) -> Option<&[f64]> {
        self.teacher_direction.as_deref()
    }
    /// N^{−γ}.
    pub fn output_scale(&self) -> f64 {
        self.output_scale
    }

    /// The readout weights a = θ[..N].
    pub fn readout<'t>(&self, theta: &'t [f64]) -> &'t [f64] {
        &theta[..self.width]
    }
    /// The first-layer weight vector w_i = θ[N + i d .. N + (i + 1) d].
    pub fn hidden_weight<'t>(&self, theta: &'t [f64], neuron: usize) -> &'t [f64] {
        let start = self.width + neuron * self.input_dimension;
        &theta[start..start + self.input_dimension]
    }

    /// The network output f(x) = N^{−γ} Σ_i a_i φ(w_i·x) (no allocation).
    pub fn output(&self, theta: &[f64], x: &[f64]) -> f64 {
        debug_assert_eq!(theta.len(), self.dimension());
        debug_assert_eq!(x.len(), self.input_dimension);
        let a = self.readout(theta);
        let mut sum = 0.0;
        for (i, a_i) in a.iter().enumerate() {
            sum += a_i * self.activation.value(dot(self.hidden_weight(theta, i), x));
        }
        self.output_scale * sum
    }

    /// The alignment order parameter of the first layer with a direction β (our choice, see
    /// `docs/mean-field-sgld.md`): with β̂ = β/‖β‖ and the empirical second moments over neurons,
    ///
    /// m = (d Σ_i (w_i·β̂)² / Σ_i ‖w_i‖² − 1) / (d − 1),
    ///
    /// 0 for isotropic weights (in expectation under the prior), 1 when every w_i ∥ β. (The
    /// first moment E[w·β] vanishes identically for odd φ by the (a, w) → (−a, −w) symmetry of
    /// the posterior, so it cannot serve as an order parameter.) Errors if d = 1, on a wrong
    /// length or a zero β, or if all weights vanish.
    pub fn alignment(&self, theta: &[f64], direction: &[f64]) -> Result<f64> {
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
        if theta.len() != self.dimension() {
            return Err(Error::DimensionMismatch {
                what: "theta".into(),
                expected: self.dimension(),
                found: theta.len(),
            });
        }
        let norm2 = dot(direction, direction);
        if !(norm2.is_finite() && norm2 > 0.0) {
            return Err(Error::Invalid {
                what: "alignment direction".into(),
                why: "must be finite and non-zero".into(),
            });
        }
        let (mut along, mut total) = (0.0, 0.0);
        for i in 0..self.width {
            let w = self.hidden_weight(theta, i);
            let p = dot(w, direction);
            along += p * p / norm2;
            total += dot(w, w);
        }
        if total <= 0.0 || !total.is_finite() {
            return Err(Error::Invalid {
                what: "alignment".into(),
                why: "all first-layer weights vanish".into(),
            });
        }
        Ok((d as f64 * along / total - 1.0) / (d as f64 - 1.0))
    }

    /// A draw θ from the prior: a_i ~ N(0, σ_a²), w_i ~ N(0, (σ_w²/d) I), from ChaCha20 seeded with
    /// `seed` (a natural chain start: at large width the posterior of the weights is close to it).
    ///
    /// ```
    /// use sgbayes::models::{generate_two_layer, Model, TwoLayerParams};
    /// let model = generate_two_layer(&TwoLayerParams::default(), 1).unwrap();
    /// assert_eq!(model.prior_draw(2).len(), model.dimension());
    /// ```
    pub fn prior_draw(&self, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let readout_sd = self.prior.readout_variance.sqrt();
        let weight_sd = (self.prior.weight_variance / self.input_dimension as f64).sqrt();
        (0..self.dimension())
            .map(|k| {
                let z: f64 = rng.sample(StandardNormal);
                z * if k < self.width {
                    readout_sd
                } else {
                    weight_sd
                }
            })
            .collect()
    }

    /// The serialisable specification (data included) that [`TwoLayerSpec::build`] turns back
    /// into this model.
    pub fn to_spec(&self) -> TwoLayerSpec {
        TwoLayerSpec {
            inputs: self.input_rows(),
            targets: self.targets.clone(),
            width: self.width,
            scaling: self.scaling,
            activation: self.activation,
            prior: self.prior,
            teacher_direction: self.teacher_direction.clone(),
        }
    }
}

impl Model for TwoLayerNetwork {
    fn dimension(&self) -> usize {
        self.width * (self.input_dimension + 1)
    }
    fn data_size(&self) -> usize {
        self.targets.len()
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        debug_assert_eq!(theta.len(), self.dimension());
        let readout_precision = 1.0 / self.prior.readout_variance;
        let weight_precision = self.input_dimension as f64 / self.prior.weight_variance;
        let (a_out, w_out) = out.split_at_mut(self.width);
        let (a, w) = theta.split_at(self.width);
        for (o, t) in a_out.iter_mut().zip(a) {
            *o = readout_precision * t;
        }
        for (o, t) in w_out.iter_mut().zip(w) {
            *o = weight_precision * t;
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let x = self.input(index);
        let residual = self.output(theta, x) - self.targets[index];
        // factor = scale · (r/T) · N^{−γ}; two passes over the neurons (the residual is needed
        // before any accumulation), recomputing w_i·x instead of storing it: no allocation.
        let factor = scale * residual / self.prior.temperature * self.output_scale;
        let d = self.input_dimension;
        let (a_out, w_out) = out.split_at_mut(self.width);
        for (i, a_o) in a_out.iter_mut().enumerate() {
            let u = dot(self.hidden_weight(theta, i), x);
            *a_o += factor * self.activation.value(u);
            let g = factor * theta[i] * self.activation.derivative(u);
            for (o, xk) in w_out[i * d..(i + 1) * d].iter_mut().zip(x) {
                *o += g * xk;
            }
        }
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let (a, w) = theta.split_at(self.width);
        let prior = 0.5 * dot(a, a) / self.prior.readout_variance
            + 0.5 * self.input_dimension as f64 * dot(w, w) / self.prior.weight_variance;
        let likelihood: f64 = (0..self.data_size())
            .map(|mu| {
                let r = self.output(theta, self.input(mu)) - self.targets[mu];
                r * r / (2.0 * self.prior.temperature)
            })
            .sum();
        prior + likelihood
    }
}

/// Serialisable specification of a [`TwoLayerNetwork`] (data included).
///
/// ```
/// use sgbayes::models::{generate_two_layer, TwoLayerParams};
/// let model = generate_two_layer(&TwoLayerParams::default(), 3).unwrap();
/// let spec = model.to_spec();
/// assert!(serde_json::to_string(&spec).unwrap().contains("\"activation\":\"erf\""));
/// assert_eq!(spec.build().unwrap(), model);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoLayerSpec {
    /// Inputs x_μ (P rows of length d).
    pub inputs: Vec<Vec<f64>>,
    /// Targets y_μ.
    pub targets: Vec<f64>,
    /// Hidden width N.
    pub width: usize,
    /// Output scaling (γ = ½ or 1).
    pub scaling: Scaling,
    /// Activation φ.
    pub activation: Activation,
    /// Prior variances and temperature.
    pub prior: TwoLayerPrior,
    /// Single-index teacher direction β, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_direction: Option<Vec<f64>>,
}

impl TwoLayerSpec {
    /// Builds (and validates) the model.
    pub fn build(&self) -> Result<TwoLayerNetwork> {
        let model = TwoLayerNetwork::new(
            self.inputs.clone(),
            self.targets.clone(),
            self.width,
            self.scaling,
            self.activation,
            self.prior,
        )?;
        match &self.teacher_direction {
            Some(beta) => model.with_teacher_direction(beta.clone()),
            None => Ok(model),
        }
    }
}

/// The target function of [`generate_two_layer`](generate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Teacher {
    /// y = β·x + noise with β ~ N(0, I/d).
    Linear,
    /// Single-index y = erf(β·x) + noise with β uniform on the unit sphere.
    SingleIndexErf,
}

/// Parameters of [`generate_two_layer`](generate).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TwoLayerParams {
    /// Input dimension d (default 5).
    #[serde(alias = "input_dim")]
    pub input_dimension: usize,
    /// Training set size P (default 20).
    #[serde(alias = "data")]
    pub data_size: usize,
    /// Hidden width N (default 256).
    pub width: usize,
    /// Output scaling (default γ = ½).
    pub scaling: Scaling,
    /// Activation (default erf).
    pub activation: Activation,
    /// σ_a (standard deviation of the readout prior; default 1).
    #[doc(alias = "sigma_a")]
    pub readout_scale: f64,
    /// σ_w (w_i ~ N(0, σ_w² I/d); default 1).
    #[doc(alias = "sigma_w")]
    pub weight_scale: f64,
    /// T, likelihood noise variance and SGLD temperature (default 0.1).
    pub temperature: f64,
    /// Target function (default single-index erf).
    pub teacher: Teacher,
    /// Standard deviation of the label noise added to the teacher's output (default 0).
    pub label_noise: f64,
}

impl Default for TwoLayerParams {
    fn default() -> Self {
        Self {
            input_dimension: 5,
            data_size: 20,
            width: 256,
            scaling: Scaling::Standard,
            activation: Activation::Erf,
            readout_scale: 1.0,
            weight_scale: 1.0,
            temperature: 0.1,
            teacher: Teacher::SingleIndexErf,
            label_noise: 0.0,
        }
    }
}

/// A random two-layer regression problem: x_μ ~ N(0, I_d), y_μ from the teacher plus
/// N(0, label_noise²) noise, drawn from ChaCha20 seeded with `seed` (value-stable). The teacher
/// direction β is attached to the model.
///
/// ```
/// use sgbayes::models::{generate_two_layer, Model, TwoLayerParams};
/// let model = generate_two_layer(&TwoLayerParams { width: 8, ..Default::default() }, 1).unwrap();
/// assert_eq!(model.dimension(), 8 * 6);
/// assert_eq!(model.data_size(), 20);
/// ```
pub fn generate(params: &TwoLayerParams, seed: u64) -> Result<TwoLayerNetwork> {
    let d = params.input_dimension;
    if d == 0 || params.data_size == 0 {
        return Err(Error::Invalid {
            what: "two-layer parameters".into(),
            why: "input dimension and data size must be at least 1".into(),
        });
    }
    for (what, value) in [
        ("readout_scale", params.readout_scale),
        ("weight_scale", params.weight_scale),
    ] {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::Invalid {
                what: what.into(),
                why: format!("must be positive and finite, got {value}"),
            });
        }
    }
    if !(params.label_noise.is_finite() && params.label_noise >= 0.0) {
        return Err(Error::Invalid {
            what: "label_noise".into(),
            why: format!(
                "must be non-negative and finite, got {}",
                params.label_noise
            ),
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut beta: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    let norm = dot(&beta, &beta).sqrt();
    let scale = match params.teacher {
        Teacher::Linear => 1.0 / (d as f64).sqrt(),
        Teacher::SingleIndexErf => 1.0 / norm,
    };
    beta.iter_mut().for_each(|b| *b *= scale);
    let mut inputs = Vec::with_capacity(params.data_size);
    let mut targets = Vec::with_capacity(params.data_size);
    for _ in 0..params.data_size {
        let x: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        let z = dot(&beta, &x);
        let clean = match params.teacher {
            Teacher::Linear => z,
            Teacher::SingleIndexErf => statrs::function::erf::erf(z),
        };
        let noise: f64 = rng.sample(StandardNormal);
        targets.push(clean + params.label_noise * noise);
        inputs.push(x);
    }
    TwoLayerNetwork::new(
        inputs,
        targets,
        params.width,
        params.scaling,
        params.activation,
        TwoLayerPrior {
            readout_variance: params.readout_scale * params.readout_scale,
            weight_variance: params.weight_scale * params.weight_scale,
            temperature: params.temperature,
        },
    )?
    .with_teacher_direction(beta)
}
