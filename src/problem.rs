//! Problem files (JSON) and draws files (.npy): the interchange formats of the command line.
//!
//! A problem file is one JSON object:
//! * `{"model": "linear_regression", "features": [[...], ...] (N×D), "targets": [...] (N),
//!   "noise_variance": σ², "prior_precision": λ}`;
//! * `{"model": "gaussian_mean", "curvature": [[...]] (D×D), "centres": [[...], ...] (N×D),
//!   "prior_mean": [...] (D), "prior_precision": λ}`;
//! * `{"model": "gaussian_scale", "observations": [...] (N), "parametrisation": "scale" |
//!   "log-scale"}` (non-quadratic: no exact stationary law; for `stochastic-ngd`);
//! * `{"model": "deep_linear", ...}` ([`DeepLinearSpec`]) and `{"model": "tanh_regression", ...}`
//!   ([`TanhRegressionSpec`]), `{"model": "two_layer", ...}` ([`TwoLayerSpec`]): non-quadratic;
//!   `theory` reports their model-specific closed forms;
//! * `{"model": "logistic_regression", ...}` ([`LogisticRegressionSpec`]): non-quadratic, sampling
//!   only (its linearised laws are in the mandt2017 reproduction);
//! * `{"model": "teacher_student", ...}` ([`TeacherStudentSpec`]): quadratic (exact laws for
//!   n·m ≤ 64) with BBP closed forms.
//!
//! A draws file is a float64 or float32 .npy array of shape [draws, D] (one chain in order) or
//! [chains, draws, D] ([`read_draws_array`]).

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::models::{
    DeepLinearNetwork, DeepLinearSpec, GaussianMean, GaussianScale, LinearRegression,
    LinearTeacherStudent, LogisticRegression, LogisticRegressionSpec, Model, QuadraticModel,
    ScaleParametrisation, TanhRegression, TanhRegressionSpec, TeacherStudentSpec, TwoLayerNetwork,
    TwoLayerSpec,
};

/// The serialised form of a problem file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProblemFile {
    /// Bayesian linear regression.
    LinearRegression {
        /// N×D feature rows.
        features: Vec<Vec<f64>>,
        /// N targets.
        targets: Vec<f64>,
        /// Noise variance σ².
        noise_variance: f64,
        /// Prior precision λ.
        prior_precision: f64,
    },
    /// Gaussian-mean model with shared curvature.
    GaussianMean {
        /// D×D curvature A.
        curvature: Vec<Vec<f64>>,
        /// N×D centres z_i.
        centres: Vec<Vec<f64>>,
        /// Prior mean m₀.
        prior_mean: Vec<f64>,
        /// Prior precision λ.
        prior_precision: f64,
    },
    /// Deep linear network (Corlouer et al.; non-quadratic): see [`DeepLinearSpec`].
    DeepLinear(DeepLinearSpec),
    /// The 7-parameter tanh regression of Adhikari et al. 2023 (non-quadratic): see
    /// [`TanhRegressionSpec`].
    TanhRegression(TanhRegressionSpec),
    /// Bayesian logistic regression (non-quadratic): see [`LogisticRegressionSpec`].
    LogisticRegression(LogisticRegressionSpec),
    /// Linear teacher–student (quadratic, matrix-valued parameter): see [`TeacherStudentSpec`].
    TeacherStudent(TeacherStudentSpec),
    /// Two-layer network with Gaussian priors at temperature T (non-quadratic): see
    /// [`TwoLayerSpec`].
    TwoLayer(TwoLayerSpec),
    /// Scale of a centred Gaussian (non-quadratic; its Fisher information varies).
    GaussianScale {
        /// Observations x_i.
        observations: Vec<f64>,
        /// `scale` (θ = σ) or `log-scale` (θ = log σ).
        parametrisation: ScaleParametrisation,
    },
}

/// A validated problem: a quadratic model ready for samplers and closed forms.
#[derive(Debug, Clone)]
pub enum Problem {
    /// Bayesian linear regression.
    LinearRegression(LinearRegression),
    /// Gaussian-mean model.
    GaussianMean(GaussianMean),
    /// Scale of a centred Gaussian.
    GaussianScale(GaussianScale),
    /// Deep linear network.
    DeepLinear(DeepLinearNetwork),
    /// Tanh regression.
    TanhRegression(TanhRegression),
    /// Bayesian logistic regression.
    LogisticRegression(LogisticRegression),
    /// Linear teacher–student.
    TeacherStudent(LinearTeacherStudent),
    /// Two-layer network.
    TwoLayer(TwoLayerNetwork),
}

impl Problem {
    /// Validates a parsed problem file.
    pub fn from_file(file: ProblemFile) -> Result<Self> {
        match file {
            ProblemFile::LinearRegression {
                features,
                targets,
                noise_variance,
                prior_precision,
            } => Ok(Problem::LinearRegression(LinearRegression::new(
                features,
                targets,
                noise_variance,
                prior_precision,
            )?)),
            ProblemFile::GaussianMean {
                curvature,
                centres,
                prior_mean,
                prior_precision,
            } => {
                let d = curvature.len();
                let mut flat = Vec::with_capacity(d * d);
                for row in &curvature {
                    if row.len() != d {
                        return Err(Error::DimensionMismatch {
                            what: "curvature row".into(),
                            expected: d,
                            found: row.len(),
                        });
                    }
                    flat.extend_from_slice(row);
                }
                if d == 0 {
                    return Err(Error::Invalid {
                        what: "curvature".into(),
                        why: "empty matrix".into(),
                    });
                }
                let curvature = DMatrix::from_row_slice(d, d, &flat);
                Ok(Problem::GaussianMean(GaussianMean::new(
                    curvature,
                    centres,
                    prior_mean,
                    prior_precision,
                )?))
            }
            ProblemFile::GaussianScale {
                observations,
                parametrisation,
            } => Ok(Problem::GaussianScale(GaussianScale::new(
                observations,
                parametrisation,
            )?)),
            ProblemFile::DeepLinear(spec) => Ok(Problem::DeepLinear(spec.build()?)),
            ProblemFile::TanhRegression(spec) => Ok(Problem::TanhRegression(spec.build()?)),
            ProblemFile::TeacherStudent(spec) => Ok(Problem::TeacherStudent(spec.build()?)),
            ProblemFile::LogisticRegression(spec) => Ok(Problem::LogisticRegression(spec.build()?)),
            ProblemFile::TwoLayer(spec) => Ok(Problem::TwoLayer(spec.build()?)),
        }
    }

    /// Parses and validates a JSON problem.
    pub fn from_json(text: &str) -> Result<Self> {
        let file: ProblemFile = serde_json::from_str(text)
            .map_err(|e| Error::Io(format!("malformed problem JSON: {e}")))?;
        Self::from_file(file)
    }

    /// Reads and validates a problem file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io(format!("cannot read problem file {}: {e}", path.display())))?;
        Self::from_json(&text)
    }

    /// The serialisable form.
    pub fn to_file(&self) -> ProblemFile {
        match self {
            Problem::LinearRegression(m) => ProblemFile::LinearRegression {
                features: m.feature_rows(),
                targets: m.targets().to_vec(),
                noise_variance: m.noise_variance(),
                prior_precision: m.prior_precision_scalar(),
            },
            Problem::GaussianMean(m) => ProblemFile::GaussianMean {
                curvature: m
                    .curvature()
                    .row_iter()
                    .map(|r| r.iter().cloned().collect())
                    .collect(),
                centres: (0..crate::models::Model::data_size(m))
                    .map(|i| m.centre(i).to_vec())
                    .collect(),
                prior_mean: m.prior_mean().iter().cloned().collect(),
                prior_precision: m.prior_precision()[(0, 0)],
            },
            Problem::GaussianScale(m) => ProblemFile::GaussianScale {
                observations: m.observations().to_vec(),
                parametrisation: m.parametrisation(),
            },
            Problem::DeepLinear(m) => ProblemFile::DeepLinear(m.to_spec()),
            Problem::TanhRegression(m) => ProblemFile::TanhRegression(m.to_spec()),
            Problem::TeacherStudent(m) => ProblemFile::TeacherStudent(m.to_spec()),
            Problem::LogisticRegression(m) => ProblemFile::LogisticRegression(m.to_spec()),
            Problem::TwoLayer(m) => ProblemFile::TwoLayer(m.to_spec()),
        }
    }

    /// The model, as every sampler sees it.
    pub fn model(&self) -> &dyn Model {
        match self {
            Problem::LinearRegression(m) => m,
            Problem::GaussianMean(m) => m,
            Problem::GaussianScale(m) => m,
            Problem::DeepLinear(m) => m,
            Problem::TanhRegression(m) => m,
            Problem::TeacherStudent(m) => m,
            Problem::TwoLayer(m) => m,
            Problem::LogisticRegression(m) => m,
        }
    }

    /// The model as a quadratic model (exact posterior and exact discrete-time stationary laws), or
    /// `None` for the models whose closed forms are model-specific (deep linear, two-layer, …).
    pub fn quadratic(&self) -> Option<&dyn QuadraticModel> {
        match self {
            Problem::LinearRegression(m) => Some(m),
            Problem::GaussianMean(m) => Some(m),
            Problem::TeacherStudent(m) => Some(m),
            Problem::GaussianScale(_)
            | Problem::DeepLinear(_)
            | Problem::TanhRegression(_)
            | Problem::TwoLayer(_)
            | Problem::LogisticRegression(_) => None,
        }
    }

    /// The model as a quadratic model, or a typed error naming what needs one.
    pub fn require_quadratic(&self, what: &str) -> Result<&dyn QuadraticModel> {
        self.quadratic().ok_or_else(|| Error::NoClosedForm {
            what: format!(
                "{what} needs a model with a Gaussian posterior (linear_regression, gaussian_mean, teacher_student); this problem is '{}'",
                self.kind_name()
            ),
        })
    }

    /// Where `sgbayes sample` starts a chain on a model without a Gaussian posterior: the model's
    /// documented initialisation (deep linear: aligned and balanced with every mode at 1e-3; tanh
    /// regression: its minimum w*; Gaussian scale: the maximum-likelihood σ; teacher–student: the
    /// random initial matrix W₀ of seed 0; two-layer: a prior draw of seed 0; logistic regression: the MAP) (quadratic models start at their stationary or posterior mean,
    /// computed by the caller from the closed forms).
    pub fn initial_parameter(&self) -> DVector<f64> {
        match self {
            // The maximum-likelihood scale σ̂ = √(mean x²).
            Problem::GaussianScale(m) => {
                let n = m.observations().len() as f64;
                let mle = (m.observations().iter().map(|x| x * x).sum::<f64>() / n).sqrt();
                DVector::from_element(1, m.parameter(mle))
            }
            // Saddle-to-saddle regime: aligned and balanced, every mode at strength 1e-3.
            Problem::DeepLinear(m) => {
                let strengths = vec![1e-3; m.teacher_strengths().len()];
                m.aligned_balanced_init(&strengths)
                    .map(DVector::from_vec)
                    .unwrap_or_else(|_| DVector::zeros(m.dimension()))
            }
            // The minimum w* (damped Newton from the paper's start), else that start.
            Problem::TanhRegression(m) => DVector::from_vec(
                m.minimise(&TanhRegression::DEFAULT_START)
                    .unwrap_or_else(|_| TanhRegression::DEFAULT_START.to_vec()),
            ),
            // Training from a random matrix: W₀ with i.i.d. N(0, σ₀²/m) entries (seed 0).
            Problem::TeacherStudent(m) => DVector::from_vec(m.initial_weights(0)),
            // A draw from the prior (seed 0).
            Problem::TwoLayer(m) => DVector::from_vec(m.prior_draw(0)),
            // The MAP (Newton), else the origin.
            Problem::LogisticRegression(m) => m
                .map_estimate()
                .unwrap_or_else(|_| DVector::zeros(m.dimension())),
            _ => DVector::zeros(self.model().dimension()),
        }
    }

    /// The problem file's `model` tag.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Problem::LinearRegression(_) => "linear_regression",
            Problem::GaussianMean(_) => "gaussian_mean",
            Problem::GaussianScale(_) => "gaussian_scale",
            Problem::DeepLinear(_) => "deep_linear",
            Problem::TanhRegression(_) => "tanh_regression",
            Problem::TeacherStudent(_) => "teacher_student",
            Problem::TwoLayer(_) => "two_layer",
            Problem::LogisticRegression(_) => "logistic_regression",
        }
    }
}

/// Largest number of feature values N·D a generated problem may have (800 MB of f64).
pub const MAX_GENERATED_VALUES: usize = 100_000_000;

/// The sizes and scales of the Gaussian generators: D, N ≥ 1, σ² and λ positive and finite, N·D
/// within [`MAX_GENERATED_VALUES`].
fn check_gaussian_generator(
    dimension: usize,
    data_size: usize,
    noise_variance: f64,
    prior_precision: f64,
) -> Result<()> {
    if dimension == 0 || data_size == 0 {
        return Err(Error::Invalid {
            what: "problem size".into(),
            why: "dimension and data size must be at least 1".into(),
        });
    }
    if !(noise_variance.is_finite()
        && noise_variance > 0.0
        && prior_precision.is_finite()
        && prior_precision > 0.0)
    {
        return Err(Error::Invalid {
            what: "noise_variance / prior_precision".into(),
            why: "must be positive and finite".into(),
        });
    }
    if dimension.saturating_mul(data_size) > MAX_GENERATED_VALUES {
        return Err(Error::Invalid {
            what: "problem size".into(),
            why: format!("N·D = {data_size}·{dimension} exceeds the limit of {MAX_GENERATED_VALUES} feature values"),
        });
    }
    Ok(())
}

/// The Gaussian generators' stream seeded by `seed` and its first draws: the true parameter
/// θ₀ ~ N(0, λ⁻¹ I), a draw from the prior.
fn prior_draw(dimension: usize, prior_precision: f64, seed: u64) -> (ChaCha20Rng, Vec<f64>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let truth = (0..dimension)
        .map(|_| Distribution::<f64>::sample(&StandardNormal, &mut rng) / prior_precision.sqrt())
        .collect();
    (rng, truth)
}

/// Generates a synthetic Bayesian linear regression problem.
///
/// Features x_ij ~ N(0, 1); true parameter θ₀ ~ N(0, λ⁻¹ I) (a draw from the prior); targets
/// y_i = x_i·θ₀ + σ ζ_i, ζ_i ~ N(0, 1). All from one ChaCha20 stream seeded by `seed`.
///
/// ```
/// let model = sgbayes::problem::generate_linear_regression(3, 20, 1, 1.0, 1.0).unwrap();
/// assert_eq!(sgbayes::models::Model::data_size(&model), 20);
/// ```
pub fn generate_linear_regression(
    dimension: usize,
    data_size: usize,
    seed: u64,
    noise_variance: f64,
    prior_precision: f64,
) -> Result<LinearRegression> {
    check_gaussian_generator(dimension, data_size, noise_variance, prior_precision)?;
    let (mut rng, truth) = prior_draw(dimension, prior_precision, seed);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let features: Vec<Vec<f64>> = (0..data_size)
        .map(|_| (0..dimension).map(|_| normal()).collect())
        .collect();
    let targets = features
        .iter()
        .map(|x| {
            x.iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>() + noise_variance.sqrt() * normal()
        })
        .collect();
    LinearRegression::new(features, targets, noise_variance, prior_precision)
}

/// Bayesian linear regression with correlated Gaussian features: x_i = L z_i, z_i ~ N(0, I),
/// y_i = x_i·θ₀ + σ ζ_i, ζ_i ~ N(0, 1), drawn in that order (z_i, then ζ_i) from one ChaCha20
/// stream seeded by `seed`.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// let mixing = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.6, 0.5]);
/// let model = sgbayes::problem::correlated_linear_regression(&mixing, &[1.0, -0.5], 100, 7, 1.0, 1.0).unwrap();
/// assert_eq!(sgbayes::models::Model::dimension(&model), 2);
/// ```
pub fn correlated_linear_regression(
    mixing: &DMatrix<f64>,
    truth: &[f64],
    data_size: usize,
    seed: u64,
    noise_variance: f64,
    prior_precision: f64,
) -> Result<LinearRegression> {
    let d = mixing.nrows();
    if mixing.ncols() != d || truth.len() != d {
        return Err(Error::DimensionMismatch {
            what: "mixing matrix / true parameter".into(),
            expected: d,
            found: truth.len(),
        });
    }
    if d.saturating_mul(data_size) > MAX_GENERATED_VALUES {
        return Err(Error::Invalid {
            what: "problem size".into(),
            why: format!("N·D exceeds the limit of {MAX_GENERATED_VALUES}"),
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let truth = nalgebra::DVector::from_column_slice(truth);
    let mut features = Vec::with_capacity(data_size);
    let mut targets = Vec::with_capacity(data_size);
    for _ in 0..data_size {
        let z = nalgebra::DVector::from_fn(d, |_, _| StandardNormal.sample(&mut rng));
        let x = mixing * z;
        let noise: f64 = StandardNormal.sample(&mut rng);
        targets.push(x.dot(&truth) + noise_variance.sqrt() * noise);
        features.push(x.iter().cloned().collect());
    }
    LinearRegression::new(features, targets, noise_variance, prior_precision)
}

/// Generates a synthetic Gaussian-mean problem: the textbook case whose minibatch gradient noise
/// does not depend on θ.
///
/// True mean μ₀ ~ N(0, λ⁻¹ I) (a draw from the prior); observations z_i = μ₀ + σ ζ_i,
/// ζ_i ~ N(0, I); the model is [`GaussianMean`] with curvature A = I/σ² (the likelihood
/// N(z_i; θ, σ² I)), prior N(0, λ⁻¹ I). All from one ChaCha20 stream seeded by `seed` (μ₀ first,
/// then the observations row by row).
///
/// ```
/// use sgbayes::models::QuadraticModel;
/// let model = sgbayes::problem::generate_gaussian_mean(2, 50, 1, 4.0, 1.0).unwrap();
/// // P = λ I + N A = (1 + 50/4) I
/// assert!((model.posterior_precision()[(1, 1)] - 13.5).abs() < 1e-12);
/// ```
pub fn generate_gaussian_mean(
    dimension: usize,
    data_size: usize,
    seed: u64,
    noise_variance: f64,
    prior_precision: f64,
) -> Result<GaussianMean> {
    check_gaussian_generator(dimension, data_size, noise_variance, prior_precision)?;
    let (mut rng, truth) = prior_draw(dimension, prior_precision, seed);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let noise_sd = noise_variance.sqrt();
    let centres = (0..data_size)
        .map(|_| truth.iter().map(|mu| mu + noise_sd * normal()).collect())
        .collect();
    GaussianMean::new(
        DMatrix::identity(dimension, dimension) / noise_variance,
        centres,
        vec![0.0; dimension],
        prior_precision,
    )
}

/// Observations x_i = σ ζ_i, ζ_i ~ N(0, 1) from one ChaCha20 stream seeded by `seed`, as a
/// [`GaussianScale`] model in the given parametrisation.
///
/// ```
/// use sgbayes::models::{Model, ScaleParametrisation};
/// let model = sgbayes::problem::generate_gaussian_scale(5, 2.0, ScaleParametrisation::LogScale, 1).unwrap();
/// assert_eq!(model.data_size(), 5);
/// ```
pub fn generate_gaussian_scale(
    data_size: usize,
    scale: f64,
    parametrisation: ScaleParametrisation,
    seed: u64,
) -> Result<GaussianScale> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::Invalid {
            what: "scale".into(),
            why: format!("sigma must be positive and finite, got {scale}"),
        });
    }
    if data_size == 0 || data_size > MAX_GENERATED_VALUES {
        return Err(Error::Invalid {
            what: "problem size".into(),
            why: format!("N must lie in 1..={MAX_GENERATED_VALUES}"),
        });
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let observations = (0..data_size)
        .map(|_| scale * Distribution::<f64>::sample(&StandardNormal, &mut rng))
        .collect::<Vec<f64>>();
    GaussianScale::new(observations, parametrisation)
}

/// Writes draws (row-major, `dimension` columns) as a float64 .npy array [draws, D].
pub fn write_draws(path: &Path, draws: &[f64], dimension: usize) -> Result<()> {
    let array = ndarray::Array2::from_shape_vec(
        (draws.len() / dimension.max(1), dimension),
        draws.to_vec(),
    )
    .map_err(|e| Error::Io(format!("draws have an inconsistent shape: {e}")))?;
    ndarray_npy::write_npy(path, &array)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
}

/// The contents of a draws file: `chains` chains of `draws` draws of `dimension` components each,
/// row-major `[chains, draws, D]` in float64 (converted exactly from float32 files).
#[derive(Debug, Clone, PartialEq)]
pub struct DrawsArray {
    /// The values, row-major `[chains, draws, D]`.
    pub values: Vec<f64>,
    /// Number of chains (1 for a 2-d file).
    pub chains: usize,
    /// Draws per chain.
    pub draws: usize,
    /// Components per draw.
    pub dimension: usize,
    /// The file's element type: `"float64"` or `"float32"`.
    pub dtype: &'static str,
}

/// The `descr` entry of an .npy header, if the file has one (for error messages only).
fn npy_descriptor(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let header = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).into_owned();
    let start = header.find("'descr':")? + "'descr':".len();
    let rest = header[start..].trim_start().strip_prefix('\'')?;
    Some(rest[..rest.find('\'')?].to_string())
}

/// Reads a draws file: an .npy array of float64 or float32 (little or big endian, C or Fortran
/// order), shaped `[draws, D]` (one chain in order) or `[chains, draws, D]`.
///
/// Values are not checked for finiteness here: [`crate::check`] names the first non-finite row.
///
/// # Errors
///
/// [`Error::Io`] with a message that says what was found, what was expected and what to do: an
/// unreadable or truncated file, an element type other than float32/float64 (e.g. integers or
/// float16), or an array that is not 2-d or 3-d (a 1-d array of a one-parameter chain must be
/// saved as `x.reshape(-1, 1)`).
///
/// # Example
///
/// ```
/// let path = std::env::temp_dir().join(format!("sgbayes-doc-draws-{}.npy", std::process::id()));
/// let chains = ndarray::Array3::<f32>::from_elem((2, 5, 3), 0.5);
/// ndarray_npy::write_npy(&path, &chains).unwrap();
/// let read = sgbayes::problem::read_draws_array(&path).unwrap();
/// assert_eq!((read.chains, read.draws, read.dimension, read.dtype), (2, 5, 3, "float32"));
/// assert_eq!(read.values, vec![0.5; 30]);
/// ```
pub fn read_draws_array(path: &Path) -> Result<DrawsArray> {
    use ndarray_npy::ReadNpyError;
    let cannot = |e: &dyn std::fmt::Display| {
        Error::Io(format!(
            "cannot read draws file {}: {e} (expected a NumPy .npy file written by numpy.save)",
            path.display()
        ))
    };
    let (values, shape, dtype) = match ndarray_npy::read_npy::<_, ndarray::ArrayD<f64>>(path) {
        Ok(a) => (
            a.iter().copied().collect::<Vec<f64>>(),
            a.shape().to_vec(),
            "float64",
        ),
        Err(ReadNpyError::WrongDescriptor(_)) => {
            match ndarray_npy::read_npy::<_, ndarray::ArrayD<f32>>(path) {
                Ok(a) => (
                    a.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>(),
                    a.shape().to_vec(),
                    "float32",
                ),
                Err(ReadNpyError::WrongDescriptor(_)) => {
                    let found = npy_descriptor(path).unwrap_or_else(|| "unknown".into());
                    return Err(Error::Io(format!(
                        "draws file {} holds elements of type '{found}'; expected float64 or float32: save x.astype(numpy.float64)",
                        path.display()
                    )));
                }
                Err(e) => return Err(cannot(&e)),
            }
        }
        Err(e) => return Err(cannot(&e)),
    };
    let (chains, draws, dimension) = match shape.as_slice() {
        [n, d] => (1, *n, *d),
        [c, n, d] => (*c, *n, *d),
        [n] => {
            return Err(Error::Io(format!(
                "draws file {} holds a 1-d array of {n} values; expected [draws, D] (one chain) or [chains, draws, D]: for a one-parameter chain save x.reshape(-1, 1)",
                path.display()
            )))
        }
        other => {
            return Err(Error::Io(format!(
                "draws file {} holds an array of shape {other:?}; expected [draws, D] (one chain) or [chains, draws, D]",
                path.display()
            )))
        }
    };
    Ok(DrawsArray {
        values,
        chains,
        draws,
        dimension,
        dtype,
    })
}

/// Reads a 2-d draws file `[draws, D]` (float64 or float32, C or Fortran order, finite values);
/// returns the row-major values and D.
///
/// # Errors
///
/// As [`read_draws_array`], plus [`Error::Io`] for a 3-d file and [`Error::NonFinite`] naming the
/// first non-finite row and the number of such rows.
pub fn read_draws(path: &Path) -> Result<(Vec<f64>, usize)> {
    let array = read_draws_array(path)?;
    if array.chains != 1 || array.values.len() != array.draws * array.dimension {
        return Err(Error::Io(format!(
            "draws file {} holds {} chains; expected one chain [draws, D]",
            path.display(),
            array.chains
        )));
    }
    if let Some(row) = (0..array.draws).find(|&r| {
        array.values[r * array.dimension..(r + 1) * array.dimension]
            .iter()
            .any(|v| !v.is_finite())
    }) {
        let count = (0..array.draws)
            .filter(|&r| {
                array.values[r * array.dimension..(r + 1) * array.dimension]
                    .iter()
                    .any(|v| !v.is_finite())
            })
            .count();
        return Err(Error::NonFinite {
            what: format!(
                "draws: row {row} (0-based) is the first of {count} rows holding NaN or ±inf"
            ),
        });
    }
    Ok((array.values, array.dimension))
}
