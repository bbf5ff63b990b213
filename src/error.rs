//! Typed errors of the library: configuration, data and theory failures.
//!
//! Every bad input (non-finite numbers, a step size that is not positive or past the stability
//! limit, a batch size outside `1..=N`, a matrix that is not positive definite, mismatched
//! dimensions, malformed files) becomes one of these variants with a one-line message; the library
//! never panics on user input.

use thiserror::Error;

/// Errors raised while building models, configuring samplers or evaluating closed forms.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A number that must be finite is NaN or infinite.
    #[error("non-finite value in {what}")]
    NonFinite {
        /// Which input held the value.
        what: String,
    },
    /// Two inputs that must agree in shape do not.
    #[error("dimension mismatch in {what}: expected {expected}, found {found}")]
    DimensionMismatch {
        /// Which input is mis-shaped.
        what: String,
        /// The expected size.
        expected: usize,
        /// The size found.
        found: usize,
    },
    /// A parameter lies outside its admissible range.
    #[error("invalid {what}: {why}")]
    Invalid {
        /// The parameter.
        what: String,
        /// Why it is rejected.
        why: String,
    },
    /// The step size is not positive.
    #[error("step size must be positive and finite, got {step_size}")]
    NonPositiveStepSize {
        /// The offending step size.
        step_size: f64,
    },
    /// The step size makes the mean dynamics unstable: spectral radius of the mean map ≥ 1.
    #[error("step size {step_size} is past the stability limit {limit:.6} of the mean iteration (it diverges){}", .mean_square_limit.map(|limit| format!("; reduce the step size{}", usable_below(&Some(limit)))).unwrap_or_default())]
    PastStabilityLimit {
        /// The offending step size.
        step_size: f64,
        /// The largest stable step size of the mean iteration.
        limit: f64,
        /// The largest step size with a stationary law (mean-square stability, which depends on
        /// B and the batching scheme), when it was computed.
        mean_square_limit: Option<f64>,
    },
    /// The second-moment recursion has spectral radius ≥ 1: no stationary covariance exists.
    #[error("no stationary law: the chain is mean-square unstable (the second-moment recursion does not contract); reduce the step size{}", usable_below(.limit))]
    MeanSquareUnstable {
        /// The mean-square stability limit on the step size for this batch size and batching
        /// scheme, when it was computed.
        limit: Option<f64>,
    },
    /// The mean map of an affine random map does not contract: spectral radius ≥ 1.
    #[error("no stationary law: the mean iteration does not contract (spectral radius {spectral_radius:.6} >= 1)")]
    NotContracting {
        /// Spectral radius of E\[M_S\].
        spectral_radius: f64,
    },
    /// The solved second-moment equation has a residual above tolerance (ill-conditioning).
    #[error("the exact stationary covariance could not be computed accurately (relative residual {relative_residual:.2e} > 1e-8): the problem is too ill-conditioned at this step size")]
    IllConditioned {
        /// max|Σ − T(Σ) − Q| / max(|Σ|, |Q|).
        relative_residual: f64,
    },
    /// The batch size is outside `1..=N`.
    #[error("batch size must satisfy 1 <= B <= N = {data_size}, got {batch_size}")]
    BatchSize {
        /// The requested batch size.
        batch_size: usize,
        /// The number of data points.
        data_size: usize,
    },
    /// A matrix that must be symmetric positive definite is not.
    #[error("{what} is not symmetric positive definite")]
    NotPositiveDefinite {
        /// Which matrix.
        what: String,
    },
    /// No closed form is implemented for this combination.
    #[error("no closed form yet: {what}")]
    NoClosedForm {
        /// What is missing.
        what: String,
    },
    /// The chain's state is too large for an exact solver.
    #[error("state dimension {dimension} exceeds the {solver} solver's limit of {limit} ({why})")]
    StateTooLarge {
        /// The state dimension (2d for the momentum samplers).
        dimension: usize,
        /// The solver's largest state dimension.
        limit: usize,
        /// Which solver: "exact" (any) or "dense".
        solver: &'static str,
        /// What the limit comes from.
        why: &'static str,
    },
    /// A sampler flag was given to a sampler that has no such parameter.
    #[error("--{flag} does not apply to --sampler {sampler}")]
    FlagDoesNotApply {
        /// The flag, as the command line spells it.
        flag: &'static str,
        /// The sampler's name.
        sampler: String,
    },
    /// A sampler needs a flag that was not given.
    #[error("--sampler {sampler} needs --{flag}{hint}")]
    MissingFlag {
        /// The flag, as the command line spells it.
        flag: &'static str,
        /// The sampler's name.
        sampler: String,
        /// What the flag takes, when that helps (may be empty).
        hint: &'static str,
    },
    /// A chain's state became non-finite: the sampler diverged (instead of NaN draws).
    #[error("the chain diverged: its state is non-finite after step {step} (counted from 1 since the chain started); reduce the step size")]
    Diverged {
        /// The first step after which the state was non-finite.
        step: u64,
    },
    /// A file could not be read, parsed or written.
    #[error("{0}")]
    Io(String),
}

/// " below L" with L rounded down to six significant digits (so that L
/// itself is usable), or nothing when the limit is unknown.
fn usable_below(limit: &Option<f64>) -> String {
    match limit {
        Some(limit) if limit.is_finite() && *limit > 0.0 => {
            format!(" below {}", significant_floor(*limit))
        }
        _ => String::new(),
    }
}

/// `value` (positive, finite) rounded down to six significant digits, printed without trailing
/// zeros: 0.0115432198 → "0.0115432".
pub(crate) fn significant_floor(value: f64) -> String {
    let exponent = value.log10().floor() as i32;
    let decimals = (5 - exponent).max(0) as usize;
    let scale = 10f64.powi(5 - exponent);
    let floored = (value * scale).floor() / scale;
    let text = format!("{floored:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Result alias of the library.
pub type Result<T> = std::result::Result<T, Error>;

/// Returns `Err(Error::NonFinite)` when any value is not finite.
pub(crate) fn ensure_finite<'a>(
    what: &str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<()> {
    if values.into_iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::NonFinite {
            what: what.to_string(),
        })
    }
}
