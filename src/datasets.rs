//! Small public data sets shipped with the crate, and CSV data files as problems.
//!
//! A data file is a comma-separated table with one header line: the feature names, then the
//! target's name in the last column; every other line is one example (numbers only). The two
//! shipped tables (`data/` in the repository, compiled into the binary) are
//! * `diabetes`: Efron, Hastie, Johnstone & Tibshirani (2004), "Least angle regression", Annals of
//!   Statistics 32(2), 407–499 — 442 patients, 10 baseline variables (age, sex, body-mass index,
//!   blood pressure, six serum measurements; raw units), target: disease progression one year
//!   later;
//! * `breast-cancer`: Wolberg, Mangasarian, Street & Street (1993), Breast Cancer Wisconsin
//!   (Diagnostic), UCI Machine Learning Repository, doi:10.24432/C5DW2B (CC BY 4.0) — 569 tumours,
//!   30 nuclear features, target: 1 = malignant, 0 = benign.
//!
//! Licences and provenance: `docs/datasets.md`.
//!
//! ```
//! use sgbayes::datasets::BuiltinDataset;
//! let data = BuiltinDataset::Diabetes.load().unwrap();
//! assert_eq!((data.features.len(), data.feature_names.len()), (442, 10));
//! let model = data.standardised_features().standardised_targets().linear_regression(1.0, 1.0).unwrap();
//! # use sgbayes::models::Model;
//! assert_eq!(model.dimension(), 10);
//! ```

use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::models::{LinearRegression, LogisticRegression};

/// A table of examples: feature rows and one target per row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dataset {
    /// Names of the feature columns.
    pub feature_names: Vec<String>,
    /// Name of the target column.
    pub target_name: String,
    /// N feature rows of length d.
    pub features: Vec<Vec<f64>>,
    /// N targets.
    pub targets: Vec<f64>,
}

/// The data sets compiled into the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinDataset {
    /// Efron et al. (2004) diabetes regression data, 442 × 10 (raw units).
    Diabetes,
    /// Breast Cancer Wisconsin (Diagnostic), 569 × 30, target 1 = malignant.
    BreastCancer,
}

impl BuiltinDataset {
    /// Every shipped data set.
    pub const ALL: [BuiltinDataset; 2] = [BuiltinDataset::Diabetes, BuiltinDataset::BreastCancer];

    /// The name used on the command line (`diabetes`, `breast-cancer`).
    pub fn name(self) -> &'static str {
        match self {
            BuiltinDataset::Diabetes => "diabetes",
            BuiltinDataset::BreastCancer => "breast-cancer",
        }
    }

    /// The data set of a command-line name.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| Error::Invalid {
                what: "data set".into(),
                why: format!("unknown name '{name}' (known: diabetes, breast-cancer)"),
            })
    }

    /// The shipped CSV text.
    pub fn csv(self) -> &'static str {
        match self {
            BuiltinDataset::Diabetes => include_str!("../data/diabetes.csv"),
            BuiltinDataset::BreastCancer => include_str!("../data/breast_cancer.csv"),
        }
    }

    /// The parsed table.
    pub fn load(self) -> Result<Dataset> {
        Dataset::parse_csv(self.csv(), self.name())
    }
}

impl Dataset {
    /// Parses a data file's text (`source` names it in error messages).
    ///
    /// Errors: no header, fewer than two columns, a row of the wrong length, a field that is not
    /// a finite number, no examples.
    pub fn parse_csv(text: &str, source: &str) -> Result<Self> {
        let invalid = |why: String| Error::Invalid {
            what: format!("data file {source}"),
            why,
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines
            .next()
            .ok_or_else(|| invalid("empty (no header line)".into()))?;
        let mut names: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
        if names.len() < 2 {
            return Err(invalid(format!(
                "the header must name at least one feature and the target, got '{header}'"
            )));
        }
        let target_name = names.pop().unwrap_or_default();
        let width = names.len() + 1;
        let (mut features, mut targets) = (Vec::new(), Vec::new());
        for (number, line) in lines {
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != width {
                return Err(invalid(format!(
                    "line {} has {} fields, the header has {width}",
                    number + 1,
                    fields.len()
                )));
            }
            let mut row = Vec::with_capacity(width);
            for field in fields {
                let value: f64 = field.trim().parse().map_err(|_| {
                    invalid(format!("line {}: '{field}' is not a number", number + 1))
                })?;
                if !value.is_finite() {
                    return Err(Error::NonFinite {
                        what: format!("data file {source}, line {}", number + 1),
                    });
                }
                row.push(value);
            }
            targets.push(row.pop().unwrap_or_default());
            features.push(row);
        }
        if features.is_empty() {
            return Err(invalid("no examples after the header".into()));
        }
        Ok(Self {
            feature_names: names,
            target_name,
            features,
            targets,
        })
    }

    /// Reads a data file.
    pub fn read_csv(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io(format!("cannot read data file {}: {e}", path.display())))?;
        Self::parse_csv(&text, &path.display().to_string())
    }

    /// The table as a data file (numbers in Rust's shortest round-trip form).
    pub fn to_csv(&self) -> String {
        let mut out = self.feature_names.join(",");
        out.push(',');
        out.push_str(&self.target_name);
        out.push('\n');
        for (row, target) in self.features.iter().zip(&self.targets) {
            for x in row {
                out.push_str(&format!("{x},"));
            }
            out.push_str(&format!("{target}\n"));
        }
        out
    }

    /// Number of examples N.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no examples (never true for a parsed table).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Mean and population standard deviation (divisor N) of each feature column.
    pub fn feature_moments(&self) -> Vec<(f64, f64)> {
        let n = self.len() as f64;
        (0..self.feature_names.len())
            .map(|j| {
                let mean = self.features.iter().map(|r| r[j]).sum::<f64>() / n;
                let var = self
                    .features
                    .iter()
                    .map(|r| (r[j] - mean).powi(2))
                    .sum::<f64>()
                    / n;
                (mean, var.sqrt())
            })
            .collect()
    }

    /// Features centred and scaled to unit population variance, x ← (x − mean)/sd (divisor N);
    /// constant columns are only centred.
    pub fn standardised_features(&self) -> Self {
        let moments = self.feature_moments();
        let features = self
            .features
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&moments)
                    .map(|(x, &(m, s))| if s > 0.0 { (x - m) / s } else { x - m })
                    .collect()
            })
            .collect();
        Self {
            features,
            ..self.clone()
        }
    }

    /// Targets centred and scaled to unit population variance (a constant target is only
    /// centred).
    pub fn standardised_targets(&self) -> Self {
        let n = self.len() as f64;
        let mean = self.targets.iter().sum::<f64>() / n;
        let sd = (self.targets.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / n).sqrt();
        let scale = if sd > 0.0 { sd } else { 1.0 };
        Self {
            targets: self.targets.iter().map(|y| (y - mean) / scale).collect(),
            ..self.clone()
        }
    }

    /// The table with a constant feature 1 appended (an intercept), named `intercept`.
    pub fn with_intercept(&self) -> Self {
        let mut names = self.feature_names.clone();
        names.push("intercept".into());
        Self {
            feature_names: names,
            features: self
                .features
                .iter()
                .map(|r| r.iter().copied().chain(std::iter::once(1.0)).collect())
                .collect(),
            ..self.clone()
        }
    }

    /// Bayesian linear regression of the targets on the features (see [`LinearRegression::new`]).
    pub fn linear_regression(
        &self,
        noise_variance: f64,
        prior_precision: f64,
    ) -> Result<LinearRegression> {
        LinearRegression::new(
            self.features.clone(),
            self.targets.clone(),
            noise_variance,
            prior_precision,
        )
    }

    /// Bayesian logistic regression of 0/1 targets on the features (see
    /// [`LogisticRegression::new`]; other targets are refused there).
    pub fn logistic_regression(&self, prior_precision: f64) -> Result<LogisticRegression> {
        LogisticRegression::new(self.features.clone(), self.targets.clone(), prior_precision)
    }
}
