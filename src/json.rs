//! JSON shapes of matrices and laws (row-major nested arrays), shared by the command line's and
//! the Python package's documents.

use nalgebra::{DMatrix, DVector};
use serde_json::{json, Value};

use crate::theory::GaussianLaw;

/// A matrix as a list of rows.
pub fn matrix(m: &DMatrix<f64>) -> Value {
    Value::from(
        m.row_iter()
            .map(|r| r.iter().cloned().collect::<Vec<f64>>())
            .collect::<Vec<_>>(),
    )
}

/// A vector as a list.
pub fn vector(v: &DVector<f64>) -> Value {
    Value::from(v.iter().cloned().collect::<Vec<f64>>())
}

/// `{"mean": [...], "covariance": [[...]]}`.
pub fn law(l: &GaussianLaw) -> Value {
    json!({"mean": vector(&l.mean), "covariance": matrix(&l.covariance)})
}

/// A finite number, or null.
pub fn number(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}
