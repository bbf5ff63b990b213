//! Problem recipes: the `sgbayes problem <kind>` flags as data.
//!
//! A [`ProblemRecipe`] names a problem kind and its generator's parameters; [`ProblemRecipe::generate`]
//! draws the problem from a seed. The command line and the Python package both build their
//! problems through it, so the same parameters and seed give the same problem bit for bit, and
//! both take their defaults from one place: each kind's `*Params::default()` (the command line's
//! flag defaults read the same values).
//!
//! Parameters cross as JSON objects named like the command line's flags (`dim`, `data`,
//! `prior_precision`, ...; the library's field names such as `dimension` and `data_size` are
//! accepted too). An unknown name is an error that lists the accepted ones.
//!
//! ```
//! use sgbayes::recipe::ProblemRecipe;
//! let recipe = ProblemRecipe::from_named("logistic-regression", r#"{"dim": 4, "data": 200}"#).unwrap();
//! let problem = recipe.generate(7).unwrap();
//! assert_eq!(problem.model().dimension(), 4);
//! // Omitted parameters take the kind's defaults, the same as the command line's.
//! let defaults = ProblemRecipe::defaults("logistic-regression").unwrap();
//! assert_eq!(defaults["feature_correlation"], 0.6);
//! ```

use serde::{Deserialize, Serialize};

use crate::datasets::Dataset;
use crate::error::{Error, Result};
use crate::models::{
    generate_deep_linear, generate_logistic_regression, generate_tanh_regression,
    generate_teacher_student, generate_two_layer, DeepLinearParams, LogisticRegressionParams,
    ScaleParametrisation, TanhRegressionParams, TeacherStudentParams, TwoLayerParams,
};
use crate::problem::{
    generate_gaussian_mean, generate_gaussian_scale, generate_linear_regression, Problem,
};

/// Bayesian linear regression with Gaussian features and a prior draw as the true parameter
/// ([`generate_linear_regression`]); the sizes have no default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearRegressionParams {
    /// Dimension D.
    #[serde(alias = "dim")]
    pub dimension: usize,
    /// Number of data points N.
    #[serde(alias = "data")]
    pub data_size: usize,
    /// Noise variance σ² (default 1).
    #[serde(default = "one")]
    pub noise_variance: f64,
    /// Prior precision λ (default 1).
    #[serde(default = "one")]
    pub prior_precision: f64,
}

/// The mean of Gaussian observations z_i ~ N(μ₀, σ² I) with a Gaussian prior
/// ([`generate_gaussian_mean`]): the same parameters as linear regression (D, N, σ², λ; the
/// sizes have no default).
pub type GaussianMeanParams = LinearRegressionParams;

/// Observations x_i ~ N(0, σ²) for the scale σ ([`generate_gaussian_scale`]); N has no default.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaussianScaleParams {
    /// Number of observations N.
    #[serde(alias = "data")]
    pub data_size: usize,
    /// The true scale σ (default 1).
    #[serde(default = "one")]
    pub scale: f64,
    /// θ = σ or θ = log σ (default log σ).
    #[serde(default = "log_scale")]
    pub parametrisation: ScaleParametrisation,
}

fn one() -> f64 {
    1.0
}

fn log_scale() -> ScaleParametrisation {
    ScaleParametrisation::LogScale
}

/// A synthetic problem's kind and generator parameters (everything but the seed).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "params", rename_all = "kebab-case")]
pub enum ProblemRecipe {
    /// Bayesian linear regression.
    LinearRegression(LinearRegressionParams),
    /// Bayesian logistic regression on correlated Gaussian features.
    LogisticRegression(LogisticRegressionParams),
    /// Linear teacher–student.
    TeacherStudent(TeacherStudentParams),
    /// Two-layer network on teacher data.
    TwoLayer(TwoLayerParams),
    /// Deep linear network on teacher–student data.
    DeepLinear(DeepLinearParams),
    /// The 7-parameter tanh regression.
    TanhRegression(TanhRegressionParams),
    /// Scale of a centred Gaussian.
    GaussianScale(GaussianScaleParams),
    /// Mean of Gaussian observations.
    GaussianMean(GaussianMeanParams),
}

impl ProblemRecipe {
    /// The kinds, as the command line's `sgbayes problem` subcommands name them.
    pub const KINDS: [&'static str; 8] = [
        "linear-regression",
        "logistic-regression",
        "teacher-student",
        "two-layer",
        "deep-linear",
        "tanh-regression",
        "gaussian-scale",
        "gaussian-mean",
    ];

    /// The recipe of `kind` with the parameters of a JSON object (omitted ones take the kind's
    /// defaults). Errors name the kind and, for an unknown parameter, list the accepted names.
    pub fn from_named(kind: &str, parameters: &str) -> Result<Self> {
        let invalid = |why: String| Error::Invalid {
            what: format!("{kind} parameters"),
            why,
        };
        let text = if parameters.trim().is_empty() {
            "{}"
        } else {
            parameters
        };
        macro_rules! parse {
            ($variant:ident) => {
                serde_json::from_str(text)
                    .map(ProblemRecipe::$variant)
                    .map_err(|e| invalid(e.to_string()))
            };
        }
        match kind.replace('_', "-").as_str() {
            "linear-regression" => parse!(LinearRegression),
            "logistic-regression" => parse!(LogisticRegression),
            "teacher-student" => parse!(TeacherStudent),
            "two-layer" => parse!(TwoLayer),
            "deep-linear" => parse!(DeepLinear),
            "tanh-regression" => parse!(TanhRegression),
            "gaussian-scale" => parse!(GaussianScale),
            "gaussian-mean" => parse!(GaussianMean),
            _ => Err(Error::Invalid {
                what: "problem kind".into(),
                why: format!(
                    "unknown kind '{kind}'; expected one of {}",
                    Self::KINDS.join(", ")
                ),
            }),
        }
    }

    /// The default parameters of `kind` as a JSON object (the sizes of linear-regression,
    /// gaussian-scale and gaussian-mean have no default and are absent).
    pub fn defaults(kind: &str) -> Result<serde_json::Value> {
        let value = match Self::from_named(kind, "{}") {
            Ok(recipe) => recipe.parameters(),
            // The kinds whose sizes are required: their optional parameters only.
            Err(_)
                if ["linear-regression", "gaussian-mean"]
                    .contains(&kind.replace('_', "-").as_str()) =>
            {
                serde_json::json!({"noise_variance": one(), "prior_precision": one()})
            }
            Err(_) if kind.replace('_', "-") == "gaussian-scale" => {
                serde_json::json!({"scale": one(), "parametrisation": log_scale()})
            }
            Err(e) => return Err(e),
        };
        Ok(value)
    }

    /// The recipe's parameters as a JSON object.
    pub fn parameters(&self) -> serde_json::Value {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("params").cloned())
            .unwrap_or(serde_json::Value::Null)
    }

    /// Draws the problem from one seeded stream (the generators' own docs say in which order).
    pub fn generate(&self, seed: u64) -> Result<Problem> {
        Ok(match self {
            Self::LinearRegression(p) => Problem::LinearRegression(generate_linear_regression(
                p.dimension,
                p.data_size,
                seed,
                p.noise_variance,
                p.prior_precision,
            )?),
            Self::LogisticRegression(p) => {
                Problem::LogisticRegression(generate_logistic_regression(p, seed)?)
            }
            Self::TeacherStudent(p) => Problem::TeacherStudent(generate_teacher_student(p, seed)?),
            Self::TwoLayer(p) => Problem::TwoLayer(generate_two_layer(p, seed)?),
            Self::DeepLinear(p) => Problem::DeepLinear(generate_deep_linear(p, seed)?),
            Self::TanhRegression(p) => Problem::TanhRegression(generate_tanh_regression(p, seed)?),
            Self::GaussianScale(p) => Problem::GaussianScale(generate_gaussian_scale(
                p.data_size,
                p.scale,
                p.parametrisation,
                seed,
            )?),
            Self::GaussianMean(p) => Problem::GaussianMean(generate_gaussian_mean(
                p.dimension,
                p.data_size,
                seed,
                p.noise_variance,
                p.prior_precision,
            )?),
        })
    }
}

/// What a real data set becomes: the model fitted to it (the command line's
/// `problem linear-regression|logistic-regression --dataset/--data-file`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataModel {
    /// Bayesian linear regression with noise variance σ² and prior precision λ.
    LinearRegression {
        /// Noise variance σ².
        noise_variance: f64,
        /// Prior precision λ.
        prior_precision: f64,
    },
    /// Bayesian logistic regression of 0/1 targets with prior precision λ.
    LogisticRegression {
        /// Prior precision λ.
        prior_precision: f64,
    },
}

/// The problem of `model` on a data table, after the command line's `--standardise` (features
/// to unit variance; targets too for linear regression) and `--intercept` (a constant feature).
///
/// ```
/// use sgbayes::datasets::BuiltinDataset;
/// use sgbayes::recipe::{problem_from_data, DataModel};
/// let table = BuiltinDataset::from_name("diabetes").unwrap().load().unwrap();
/// let model = DataModel::LinearRegression { noise_variance: 1.0, prior_precision: 1.0 };
/// let problem = problem_from_data(&table, model, true, false).unwrap();
/// assert_eq!(problem.model().dimension(), 10);
/// ```
pub fn problem_from_data(
    table: &Dataset,
    model: DataModel,
    standardise: bool,
    intercept: bool,
) -> Result<Problem> {
    let regression = matches!(model, DataModel::LinearRegression { .. });
    let mut table = table.clone();
    if standardise {
        table = table.standardised_features();
        if regression {
            table = table.standardised_targets();
        }
    }
    if intercept {
        table = table.with_intercept();
    }
    Ok(match model {
        DataModel::LinearRegression {
            noise_variance,
            prior_precision,
        } => Problem::LinearRegression(table.linear_regression(noise_variance, prior_precision)?),
        DataModel::LogisticRegression { prior_precision } => {
            Problem::LogisticRegression(table.logistic_regression(prior_precision)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_generates_from_its_defaults() {
        for kind in ProblemRecipe::KINDS {
            let parameters = match kind {
                "linear-regression" | "gaussian-mean" => r#"{"dim": 2, "data": 10}"#,
                "gaussian-scale" => r#"{"data": 10}"#,
                _ => "{}",
            };
            let recipe = ProblemRecipe::from_named(kind, parameters).unwrap();
            recipe.generate(1).unwrap();
            assert!(ProblemRecipe::defaults(kind).unwrap().is_object(), "{kind}");
        }
    }

    #[test]
    fn unknown_names_are_refused_with_the_accepted_ones() {
        let error = ProblemRecipe::from_named("logistic-regression", r#"{"dimm": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("dimm") && error.contains("feature_scale"),
            "{error}"
        );
        let error = ProblemRecipe::from_named("quadratic", "{}")
            .unwrap_err()
            .to_string();
        assert!(error.contains("teacher-student"), "{error}");
    }

    #[test]
    fn flag_names_and_field_names_are_the_same_parameter() {
        let by_flag = ProblemRecipe::from_named("deep-linear", r#"{"teacher": [2.0, 1.0, 0.5]}"#);
        let by_field =
            ProblemRecipe::from_named("deep-linear", r#"{"teacher_strengths": [2.0, 1.0, 0.5]}"#);
        assert_eq!(by_flag.unwrap(), by_field.unwrap());
    }
}
