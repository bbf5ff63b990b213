//! The Python binding of sgbayes: a thin layer over the library's front-end functions
//! (`sgbayes::spec`, `sgbayes::workflow`, `sgbayes::check`), the same ones the command line calls.
//! Nothing is implemented twice; values cross as numpy arrays or JSON text.

use numpy::ndarray::Array2;
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyAny;

use sgbayes::chain::{DivergenceGuard, RunLength};
use sgbayes::check::{check_sampler, ChainDraws, CheckOptions};
use sgbayes::models::LinearRegression;
use sgbayes::datasets::{BuiltinDataset, Dataset};
use sgbayes::problem::{generate_linear_regression, Problem};
use sgbayes::recipe::{problem_from_data, DataModel, ProblemRecipe};
use sgbayes::spec::SamplerSpec;

create_exception!(
    _sgbayes,
    SgbayesError,
    PyValueError,
    "Bad input or no closed form: the command line's exit-2 errors, with the same messages."
);

fn error(e: impl std::fmt::Display) -> PyErr {
    SgbayesError::new_err(e.to_string())
}

/// A problem (model and data), as in a problem file.
#[pyclass(name = "Problem", module = "sgbayes._sgbayes", frozen)]
struct PyProblem {
    inner: Problem,
}

impl PyProblem {
    /// The problem file's JSON object.
    fn file(&self) -> PyResult<serde_json::Value> {
        serde_json::to_value(self.inner.to_file()).map_err(error)
    }

    /// A numeric field of the problem file as rows (a matrix) or a vector.
    fn field(&self, names: &[&str]) -> PyResult<serde_json::Value> {
        let file = self.file()?;
        names
            .iter()
            .find_map(|name| file.get(*name).cloned())
            .ok_or_else(|| {
                error(format!(
                    "the {} problem has no {}",
                    self.inner.kind_name(),
                    names[0]
                ))
            })
    }
}

#[pymethods]
impl PyProblem {
    /// Bayesian linear regression with Gaussian features and a prior draw as the true parameter.
    #[staticmethod]
    fn linear_regression(
        py: Python<'_>,
        dim: usize,
        data: usize,
        seed: u64,
        noise_variance: f64,
        prior_precision: f64,
    ) -> PyResult<Self> {
        let model = py
            .detach(|| generate_linear_regression(dim, data, seed, noise_variance, prior_precision))
            .map_err(error)?;
        Ok(Self {
            inner: Problem::LinearRegression(model),
        })
    }

    /// A synthetic problem of any kind: `kind` as the command line's `problem` subcommand,
    /// `parameters_json` a JSON object of its flags (omitted ones take the library's defaults).
    #[staticmethod]
    fn generate(py: Python<'_>, kind: &str, parameters_json: &str, seed: u64) -> PyResult<Self> {
        let recipe = ProblemRecipe::from_named(kind, parameters_json).map_err(error)?;
        let inner = py.detach(|| recipe.generate(seed)).map_err(error)?;
        Ok(Self { inner })
    }

    /// The default generator parameters of `kind` (JSON text).
    #[staticmethod]
    fn defaults(kind: &str) -> PyResult<String> {
        let value = ProblemRecipe::defaults(kind).map_err(error)?;
        serde_json::to_string(&value).map_err(error)
    }

    /// A regression (`model` = "linear-regression") or classification ("logistic-regression")
    /// problem on a shipped data set (by name) or a CSV file (last column the target).
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    fn from_dataset(
        py: Python<'_>,
        source: &str,
        model: &str,
        standardise: bool,
        intercept: bool,
        noise_variance: f64,
        prior_precision: f64,
    ) -> PyResult<Self> {
        let model = match model.replace('_', "-").as_str() {
            "linear-regression" => DataModel::LinearRegression {
                noise_variance,
                prior_precision,
            },
            "logistic-regression" => DataModel::LogisticRegression { prior_precision },
            other => {
                return Err(error(format!(
                    "model must be \"linear-regression\" or \"logistic-regression\", got \"{other}\""
                )))
            }
        };
        let inner = py
            .detach(|| {
                let table = match BuiltinDataset::from_name(source) {
                    Ok(builtin) => builtin.load()?,
                    Err(_) if std::path::Path::new(source).is_file() => {
                        Dataset::read_csv(std::path::Path::new(source))?
                    }
                    Err(_) => {
                        return Err(sgbayes::Error::Invalid {
                            what: "data set".into(),
                            why: format!(
                                "'{source}' is neither a shipped data set (diabetes, breast-cancer) nor a CSV file"
                            ),
                        })
                    }
                };
                problem_from_data(&table, model, standardise, intercept)
            })
            .map_err(error)?;
        Ok(Self { inner })
    }

    /// Bayesian linear regression on given features (N, D) and targets (N,).
    #[staticmethod]
    fn from_arrays(
        features: PyReadonlyArray2<'_, f64>,
        targets: PyReadonlyArray1<'_, f64>,
        noise_variance: f64,
        prior_precision: f64,
    ) -> PyResult<Self> {
        let x = features.as_array();
        let rows: Vec<Vec<f64>> = x.rows().into_iter().map(|r| r.to_vec()).collect();
        let y = targets.as_array().to_vec();
        let model =
            LinearRegression::new(rows, y, noise_variance, prior_precision).map_err(error)?;
        Ok(Self {
            inner: Problem::LinearRegression(model),
        })
    }

    /// A problem from the JSON text of a problem file.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            inner: Problem::from_json(text).map_err(error)?,
        })
    }

    /// The problem file's JSON text (round-trips bit for bit).
    fn to_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.to_file()).map_err(error)
    }

    /// The model kind of the problem file, e.g. "linear_regression".
    #[getter]
    fn kind(&self) -> PyResult<String> {
        Ok(self
            .file()?
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or(self.inner.kind_name())
            .to_string())
    }

    /// The parameter dimension D.
    #[getter]
    fn dimension(&self) -> usize {
        self.inner.model().dimension()
    }

    /// The number of examples N.
    #[getter]
    fn data_size(&self) -> usize {
        self.inner.model().data_size()
    }

    /// The features (N, D).
    fn features<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let rows: Vec<Vec<f64>> =
            serde_json::from_value(self.field(&["features", "inputs"])?).map_err(error)?;
        let n = rows.len();
        let d = rows.first().map_or(0, Vec::len);
        let flat: Vec<f64> = rows.into_iter().flatten().collect();
        let array = Array2::from_shape_vec((n, d), flat).map_err(error)?;
        Ok(array.into_pyarray(py))
    }

    /// The targets (N,).
    fn targets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let values: Vec<f64> =
            serde_json::from_value(self.field(&["targets", "labels"])?).map_err(error)?;
        Ok(values.into_pyarray(py))
    }
}

fn spec(text: &str) -> PyResult<SamplerSpec> {
    SamplerSpec::from_json(text).map_err(error)
}

/// The closed forms of a configuration (JSON text with the command line's `theory` fields).
#[pyfunction]
fn theory(py: Python<'_>, problem: &PyProblem, spec_json: &str) -> PyResult<String> {
    let (config, draw_at) = spec(spec_json)?.config().map_err(error)?;
    let problem = &problem.inner;
    let document = py
        .detach(|| sgbayes::workflow::theory_document(problem, &config, draw_at))
        .map_err(error)?;
    serde_json::to_string(&document).map_err(error)
}

/// Runs the reference sampler; returns the draws [draws, D].
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (problem, spec_json, steps, burn_in, thin, seed, start=None))]
fn sample<'py>(
    py: Python<'py>,
    problem: &PyProblem,
    spec_json: &str,
    steps: usize,
    burn_in: usize,
    thin: usize,
    seed: u64,
    start: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (config, draw_at) = spec(spec_json)?.config().map_err(error)?;
    let start: Option<Vec<f64>> = start.map(|s| s.as_array().to_vec());
    let problem = &problem.inner;
    let output = py
        .detach(|| {
            let mut run = sgbayes::workflow::prepare_run(
                problem,
                &config,
                draw_at,
                RunLength {
                    burn_in,
                    steps,
                    thin,
                },
                seed,
                start.as_deref(),
            )?;
            // As on the command line: a chain that blows up is an error naming the step, never
            // NaN draws.
            let mut guard = DivergenceGuard::default();
            let output = run.chain.record(&run.length, &mut guard);
            guard.result()?;
            Ok::<_, sgbayes::Error>(output)
        })
        .map_err(error)?;
    let d = output.dimension;
    let n = output.draws.len() / d.max(1);
    let array = Array2::from_shape_vec((n, d), output.draws).map_err(error)?;
    Ok(array.into_pyarray(py))
}

/// Checks draws ([draws, D] or [chains, draws, D], float32 or float64) against the exact
/// stationary law; returns the check report as JSON text.
#[pyfunction]
fn check(
    py: Python<'_>,
    draws: &Bound<'_, PyAny>,
    problem: &PyProblem,
    spec_json: &str,
    alpha: f64,
    burn_in: usize,
    thin: usize,
) -> PyResult<String> {
    let (values, chains, rows, d) = draws_layout(draws, problem)?;
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(error(format!("alpha must lie in (0, 1), got {alpha}")));
    }
    let (config, draw_at) = spec(spec_json)?.config().map_err(error)?;
    let problem = &problem.inner;
    py.detach(|| {
        let view = ChainDraws::new(&values, chains, rows, d)?;
        let options = CheckOptions {
            alpha,
            burn_in,
            thin,
            ..CheckOptions::default()
        };
        let report = check_sampler(&view, problem, &config, draw_at, &options)?;
        // As on the command line (exit 2): no verdict is possible at this alpha — the message
        // says how many draws are needed.
        if report.verdict == sgbayes::check::Verdict::NoVerdict {
            return Err(sgbayes::Error::Invalid {
                what: "draws".into(),
                why: report.message,
            });
        }
        serde_json::to_string(&report).map_err(|e| sgbayes::Error::Io(e.to_string()))
    })
    .map_err(error)
}

/// The posterior-with-tolerance check: are the draws' whitened means and variances within the
/// tolerances of the posterior (`against` = "posterior") or of the sampler's law ("reference")?
/// Returns the report as JSON text; "cannot tell" is a verdict here, not an error.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn check_tolerance(
    py: Python<'_>,
    draws: &Bound<'_, PyAny>,
    problem: &PyProblem,
    spec_json: &str,
    against: &str,
    mean_tolerance: f64,
    variance_tolerance: f64,
    alpha: f64,
    burn_in: usize,
    thin: usize,
) -> PyResult<String> {
    use sgbayes::check::tolerance::{Tolerance, ToleranceOptions};
    let (values, chains, rows, d) = draws_layout(draws, problem)?;
    let (config, draw_at) = spec(spec_json)?.config().map_err(error)?;
    let problem = &problem.inner;
    let against_posterior = match against {
        "posterior" => true,
        "reference" => false,
        other => {
            return Err(error(format!(
                "against must be \"posterior\" or \"reference\", got \"{other}\""
            )))
        }
    };
    py.detach(|| {
        let target = if against_posterior {
            let model = problem.require_quadratic("the posterior-with-tolerance check")?;
            sgbayes::theory::exact_posterior(model)?
        } else {
            sgbayes::workflow::theory(problem, &config, draw_at)?.stationary
        };
        let view = ChainDraws::new(&values, chains, rows, d)?;
        let options = ToleranceOptions {
            tolerance: Tolerance {
                mean: mean_tolerance,
                variance: variance_tolerance,
            },
            alpha,
            burn_in,
            thin,
        };
        let report = sgbayes::check::tolerance::check_tolerance(&view, &target, &options)?;
        serde_json::to_string(&report).map_err(|e| sgbayes::Error::Io(e.to_string()))
    })
    .map_err(error)
}

/// The draws' values and their layout (chains, draws per chain, D), checked against the problem.
fn draws_layout(
    draws: &Bound<'_, PyAny>,
    problem: &PyProblem,
) -> PyResult<(Vec<f64>, usize, usize, usize)> {
    let (values, shape) = draws_values(draws)?;
    let d = problem.inner.model().dimension();
    let (chains, rows, columns) = match shape.as_slice() {
        [rows, columns] => (1, *rows, *columns),
        [chains, rows, columns] => (*chains, *rows, *columns),
        other => {
            return Err(error(format!(
                "draws must be a 2-D array [draws, {d}] or a 3-D array [chains, draws, {d}], got {} dimensions",
                other.len()
            )))
        }
    };
    if columns != d {
        let hint = if chains == 1 && rows == d {
            format!(": it looks transposed ([{d}, {columns}]); pass draws.T")
        } else {
            String::new()
        };
        return Err(error(format!(
            "draws have {columns} columns but the problem has dimension D = {d}; expected [draws, {d}] or [chains, draws, {d}]{hint}"
        )));
    }
    Ok((values, chains, rows, d))
}

/// The values of a float32 or float64 numpy array in C order, and its shape.
fn draws_values(draws: &Bound<'_, PyAny>) -> PyResult<(Vec<f64>, Vec<usize>)> {
    if let Ok(array) = draws.cast::<numpy::PyArrayDyn<f64>>() {
        let view = array.readonly();
        return Ok((
            view.as_array().iter().copied().collect(),
            view.shape().to_vec(),
        ));
    }
    if let Ok(array) = draws.cast::<numpy::PyArrayDyn<f32>>() {
        let view = array.readonly();
        return Ok((
            view.as_array().iter().map(|&v| f64::from(v)).collect(),
            view.shape().to_vec(),
        ));
    }
    Err(error(
        "draws must be a float32 or float64 array (numpy, JAX, torch: sgbayes.check converts them)",
    ))
}

#[pymodule]
fn _sgbayes(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SgbayesError", m.py().get_type::<SgbayesError>())?;
    m.add_class::<PyProblem>()?;
    m.add_function(wrap_pyfunction!(theory, m)?)?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(check_tolerance, m)?)?;
    Ok(())
}
