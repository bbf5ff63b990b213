//! Real data: the standardised diabetes regression (Efron et al. 2004; `data/`, docs/datasets.md)
//! under Theorem 1, SGFS beside SGLD at finite ε, and constant SGD as a variational EM algorithm
//! for the hyperparameters (Mandt et al. 2017, contributions (2) and (4)). Every number here is an
//! exact closed form (deterministic); the SGLD simulation on the same data is tests/datasets.rs.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;

use crate::batching::Batching;
use crate::config::{Preconditioner, SamplerConfig, SamplerKind};
use crate::datasets::BuiltinDataset;
use crate::error::{Error, Result};
use crate::models::{LinearRegression, Model, QuadraticModel};
use crate::reproductions::numbers::sig6_vec;
use crate::reproductions::{Provenance, Row};
use crate::theory::sgfs_error::SgfsSetting;
use crate::theory::variational_em::{
    em_path, type_two_maximum_likelihood, EStep, Hyperparameters, Learned, StepRule,
};
use crate::theory::{
    affine_map, exact_posterior, gradient_noise_covariance, optimal_learning_rate, stability_limit,
    TheoryReport,
};

/// One EM path of the hyperparameter figure.
#[derive(Debug, Clone, Serialize)]
pub struct EmCurve {
    /// Legend label.
    pub label: String,
    /// λ after each iteration (the start first).
    #[serde(serialize_with = "sig6_vec")]
    pub prior_precision: Vec<f64>,
    /// σ² after each iteration.
    #[serde(serialize_with = "sig6_vec")]
    pub noise_variance: Vec<f64>,
}

/// The real-data section of the report.
#[derive(Debug, Clone, Serialize)]
pub struct RealData {
    /// Rows of the real-data table.
    pub rows: Vec<Row>,
    /// EM hyperparameter paths (first iterations).
    pub em_paths: Vec<EmCurve>,
}

/// Iterations of the EM paths shown in the figure.
pub(crate) const EM_FIGURE_ITERATIONS: usize = 60;

/// The standardised diabetes regression with σ² = 0.5, λ = 1 (docs/datasets.md).
pub(crate) fn diabetes() -> Result<LinearRegression> {
    BuiltinDataset::Diabetes
        .load()?
        .standardised_features()
        .standardised_targets()
        .linear_regression(0.5, 1.0)
}

/// Largest eigenvalue of Σ_post^{-1/2} Σ Σ_post^{-1/2}: the largest variance ratio over directions.
fn largest_relative_variance(sigma: &DMatrix<f64>, posterior: &DMatrix<f64>) -> Result<f64> {
    let l = posterior
        .clone()
        .cholesky()
        .ok_or_else(|| Error::NotPositiveDefinite {
            what: "posterior covariance".into(),
        })?
        .l();
    let li = l.try_inverse().ok_or_else(|| Error::NotPositiveDefinite {
        what: "posterior Cholesky factor".into(),
    })?;
    let m = &li * sigma * li.transpose();
    Ok(SymmetricEigen::new((&m + m.transpose()) * 0.5)
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max))
}

fn theorem_one_rows(model: &LinearRegression, rows: &mut Vec<Row>) -> Result<()> {
    let posterior = exact_posterior(model)?;
    for batch in [1usize, 10, 50] {
        let Some(eps) =
            optimal_learning_rate(model, &posterior.mean, batch, Batching::WithReplacement)?
        else {
            continue;
        };
        let config = SamplerConfig::new(SamplerKind::Sgd, eps, batch, Batching::WithReplacement);
        let report = TheoryReport::compute(model, &config)?;
        let at = format!("diabetes, SGD B = {batch}");
        rows.push(Row::new(format!("{at}: Theorem 1's ε*"), Provenance::Paper).paper(eps));
        rows.push(
            Row::new(
                format!("{at}: tr(PΣ)/d at ε*, exact law (1 = posterior)"),
                Provenance::Derived,
            )
            .closed_form(report.effective_temperature),
        );
        rows.push(
            Row::new(
                format!("{at}: largest variance ratio over directions at ε*"),
                Provenance::Derived,
            )
            .closed_form(largest_relative_variance(
                &report.stationary.covariance,
                &posterior.covariance,
            )?),
        );
    }
    let probe = SamplerConfig::new(SamplerKind::Sgld, 1e-6, 10, Batching::WithReplacement);
    let limit = stability_limit(&probe, model);
    let sgld = SamplerConfig::new(
        SamplerKind::Sgld,
        0.1 * limit,
        10,
        Batching::WithReplacement,
    );
    let report = TheoryReport::compute(model, &sgld)?;
    rows.push(
        Row::new(
            format!(
                "diabetes, SGLD B = 10, ε = {:.4e} (a tenth of the stability limit): tr(PΣ)/d, exact law",
                sgld.step_size
            ),
            Provenance::Derived,
        )
        .closed_form(report.effective_temperature),
    );
    Ok(())
}

fn sgfs_rows(model: &LinearRegression, rows: &mut Vec<Row>) -> Result<()> {
    let posterior = exact_posterior(model)?;
    let p = model.posterior_precision();
    let c = gradient_noise_covariance(model, &posterior.mean);
    let d = model.dimension() as f64;
    let relative = |sigma: &DMatrix<f64>| (&p * sigma).trace() / d;
    let fisher: Vec<Vec<f64>> = c.row_iter().map(|r| r.iter().copied().collect()).collect();
    for eps in [1e-4, 1e-2, 1.0, 100.0] {
        let setting = SgfsSetting {
            data_size: model.data_size(),
            batch_size: 10,
            batching: Batching::WithReplacement,
            scale: 1.0,
            step_size: eps,
        };
        let (_, ou) = setting.sgfs_covariances(&p, &c, &c)?;
        let config = SamplerConfig::new(
            SamplerKind::Sgfs {
                fisher: Preconditioner::from_rows(&fisher)?,
                scale: 1.0,
            },
            eps,
            10,
            Batching::WithReplacement,
        );
        let exact = affine_map(&config, model)?.stationary_law()?.covariance;
        rows.push(
            Row::new(
                format!("diabetes, SGFS B = 10, β = 1, Î = C, ε = {eps}: tr(PΣ)/d"),
                Provenance::Derived,
            )
            .paper(relative(&ou))
            .closed_form(relative(&exact))
            .known_difference("the continuous-time analysis drops the discretisation"),
        );
    }
    for eps in [1e-5, 1e-4] {
        let sgld = SamplerConfig::new(SamplerKind::Sgld, eps, 10, Batching::WithReplacement);
        let report = TheoryReport::compute(model, &sgld)?;
        rows.push(
            Row::new(
                format!("diabetes, SGLD B = 10, ε = {eps}: tr(PΣ)/d"),
                Provenance::Derived,
            )
            .paper(relative(&report.stationary_continuous.covariance))
            .closed_form(relative(&report.stationary.covariance))
            .known_difference("the continuous-time analysis drops the discretisation"),
        );
    }
    Ok(())
}

const START: Hyperparameters = Hyperparameters {
    prior_precision: 1.0,
    noise_variance: 1.0,
};

fn em_rows(model: &LinearRegression, rows: &mut Vec<Row>) -> Result<Vec<EmCurve>> {
    let ml = type_two_maximum_likelihood(model, START, Learned::Both)?;
    rows.push(
        Row::new(
            "diabetes, type-II maximum likelihood λ",
            Provenance::Derived,
        )
        .closed_form(ml.prior_precision),
    );
    rows.push(
        Row::new(
            "diabetes, type-II maximum likelihood σ²",
            Provenance::Derived,
        )
        .closed_form(ml.noise_variance),
    );
    let cases = [
        ("EM, posterior E-step", EStep::Posterior),
        (
            "EM, constant SGD at ε* (B = 1)",
            EStep::ConstantSgd {
                step: StepRule::KlOptimal,
                batch_size: 1,
                batching: Batching::WithReplacement,
            },
        ),
        (
            "EM, constant SGD at ε* (B = 10)",
            EStep::ConstantSgd {
                step: StepRule::KlOptimal,
                batch_size: 10,
                batching: Batching::WithReplacement,
            },
        ),
        (
            "EM, constant SGD at ε = 1e-4 (B = 1)",
            EStep::ConstantSgd {
                step: StepRule::Fixed(1e-4),
                batch_size: 1,
                batching: Batching::WithReplacement,
            },
        ),
    ];
    let mut curves = Vec::new();
    for (label, e_step) in cases {
        let path = em_path(model, START, e_step, Learned::Both, 1e-12, 100_000)?;
        let fixed = path.last().ok_or_else(|| Error::NoClosedForm {
            what: "an EM path".into(),
        })?;
        let why = (!matches!(e_step, EStep::Posterior)).then_some(
            "the SGD law's covariance replaces the posterior's in the M-step, so the fixed \
             point moves off the evidence maximum",
        );
        for (name, value, reference) in [
            ("λ", fixed.prior_precision, ml.prior_precision),
            ("σ²", fixed.noise_variance, ml.noise_variance),
        ] {
            let mut row = Row::new(
                format!("diabetes, {label}: fixed point {name} (reference: type-II ML)"),
                Provenance::Derived,
            )
            .reference(reference)
            .closed_form(value);
            if let Some(why) = why {
                row = row.known_difference(why);
            }
            rows.push(row);
        }
        let shown = path.iterates.iter().take(EM_FIGURE_ITERATIONS + 1);
        curves.push(EmCurve {
            label: label.into(),
            prior_precision: shown.clone().map(|h| h.prior_precision).collect(),
            noise_variance: shown.map(|h| h.noise_variance).collect(),
        });
    }
    Ok(curves)
}

/// Runs the real-data section (closed forms only; fast).
pub(super) fn run() -> Result<RealData> {
    let model = diabetes()?;
    let mut rows = Vec::new();
    theorem_one_rows(&model, &mut rows)?;
    sgfs_rows(&model, &mut rows)?;
    let em_paths = em_rows(&model, &mut rows)?;
    Ok(RealData { rows, em_paths })
}
