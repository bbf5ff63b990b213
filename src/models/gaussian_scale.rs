//! The scale of a centred Gaussian, in two parametrisations: the smallest model whose Fisher
//! information depends on the parameter, used to test parametrisation invariance (Smith et al.
//! 2018's stochastic NGD).

use serde::{Deserialize, Serialize};

use super::{FisherMetric, Model};
use crate::error::{ensure_finite, Error, Result};

/// How θ encodes the scale σ > 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum ScaleParametrisation {
    /// θ = σ (valid for θ > 0).
    Scale,
    /// θ = log σ.
    LogScale,
}

/// Observations x_i ~ N(0, σ²) with no prior term: per-example losses
/// ℓ_i = log σ + x_i²/(2σ²) (up to a constant), C = Σ_i ℓ_i, in the parametrisation θ = σ or
/// θ = log σ.
///
/// # Formulas
/// * θ = σ: ∇ℓ_i = 1/σ − x_i²/σ³; per-example Fisher F(σ) = 2/σ²; Jeffreys correction
///   Γ = (1/√F) d/dσ(√F · F⁻¹) = (σ/√2)(1/√2) = σ/2.
/// * θ = s = log σ: ℓ_i = s + x_i² e^{−2s}/2, ∇ℓ_i = 1 − x_i² e^{−2s}; F = 2; Γ = 0.
///
/// The Jeffreys-tempered law √F(θ) · exp(−C(θ)/T) is the same law of σ in both parametrisations
/// (√F carries the Jacobian), which is what makes a sampler with that stationary law
/// parametrisation invariant; exp(−C/T) alone is not (it differs by the factor σ). In the scale
/// parametrisation a state θ ≤ 0 is outside the model: the gradient is NaN there, which a chain
/// reports as non-finite draws.
///
/// ```
/// use sgbayes::models::{GaussianScale, Model, ScaleParametrisation};
/// let model = GaussianScale::new(vec![1.0, -2.0], ScaleParametrisation::LogScale).unwrap();
/// let mut g = vec![0.0];
/// model.add_example_gradient(1, &[0.0], 1.0, &mut g);
/// assert_eq!(g[0], 1.0 - 4.0); // 1 − x² e^{−2s} at s = 0
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianScale {
    observations: Vec<f64>,
    parametrisation: ScaleParametrisation,
}

impl GaussianScale {
    /// The model of the observations (finite, at least one, not all zero) in a parametrisation.
    pub fn new(observations: Vec<f64>, parametrisation: ScaleParametrisation) -> Result<Self> {
        if observations.is_empty() {
            return Err(Error::Invalid {
                what: "observations".into(),
                why: "at least one observation is needed".into(),
            });
        }
        ensure_finite("observations", observations.iter())?;
        if observations.iter().all(|x| *x == 0.0) {
            return Err(Error::Invalid {
                what: "observations".into(),
                why: "all observations are zero: the likelihood has no maximum in σ > 0".into(),
            });
        }
        Ok(Self {
            observations,
            parametrisation,
        })
    }

    /// The observations x_i.
    pub fn observations(&self) -> &[f64] {
        &self.observations
    }

    /// The parametrisation.
    pub fn parametrisation(&self) -> ScaleParametrisation {
        self.parametrisation
    }

    /// σ encoded by θ.
    pub fn scale(&self, theta: f64) -> f64 {
        match self.parametrisation {
            ScaleParametrisation::Scale => theta,
            ScaleParametrisation::LogScale => theta.exp(),
        }
    }

    /// θ encoding σ.
    pub fn parameter(&self, scale: f64) -> f64 {
        match self.parametrisation {
            ScaleParametrisation::Scale => scale,
            ScaleParametrisation::LogScale => scale.ln(),
        }
    }
}

impl Model for GaussianScale {
    fn dimension(&self) -> usize {
        1
    }
    fn data_size(&self) -> usize {
        self.observations.len()
    }
    fn prior_gradient(&self, _theta: &[f64], out: &mut [f64]) {
        out[0] = 0.0;
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let x2 = self.observations[index] * self.observations[index];
        out[0] += scale
            * match self.parametrisation {
                ScaleParametrisation::Scale if theta[0] > 0.0 => {
                    1.0 / theta[0] - x2 / theta[0].powi(3)
                }
                ScaleParametrisation::Scale => f64::NAN,
                ScaleParametrisation::LogScale => 1.0 - x2 * (-2.0 * theta[0]).exp(),
            };
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let sum_squares: f64 = self.observations.iter().map(|x| x * x).sum();
        let n = self.observations.len() as f64;
        match self.parametrisation {
            ScaleParametrisation::Scale if theta[0] > 0.0 => {
                n * theta[0].ln() + sum_squares / (2.0 * theta[0] * theta[0])
            }
            ScaleParametrisation::Scale => f64::INFINITY,
            ScaleParametrisation::LogScale => {
                n * theta[0] + sum_squares * (-2.0 * theta[0]).exp() / 2.0
            }
        }
    }
    /// F(σ) = 2/σ², Γ = σ/2 (scale); F = 2, Γ = 0 (log-scale).
    fn fisher_metric(
        &self,
        theta: &[f64],
        fisher: &mut [f64],
        correction: &mut [f64],
    ) -> FisherMetric {
        match self.parametrisation {
            ScaleParametrisation::Scale => {
                fisher[0] = 2.0 / (theta[0] * theta[0]);
                correction[0] = theta[0] / 2.0;
            }
            ScaleParametrisation::LogScale => {
                fisher[0] = 2.0;
                correction[0] = 0.0;
            }
        }
        FisherMetric::StateDependent
    }
}
