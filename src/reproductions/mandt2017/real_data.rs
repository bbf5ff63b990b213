//! Real data: the standardised diabetes regression (Efron et al. 2004; `data/`, docs/datasets.md)
//! under Theorem 1, SGFS beside SGLD at finite ε, and constant SGD as a variational EM algorithm
//! for the hyperparameters (Mandt et al. 2017, contributions (2) and (4)), closed forms and an EM
//! simulated with the real `sgd` sampler ([`super::em_simulation`]); the Wisconsin breast-cancer
//! logistic regression under Theorem 1 (laws linearised at the MAP). The SGLD simulation on the
//! diabetes data is tests/datasets.rs.

use nalgebra::{DMatrix, SymmetricEigen};
use serde::Serialize;

use super::em_simulation::{simulated_em, SimulatedEm, EM_BATCH_SIZE, EM_START, SGD_E_STEP};
use crate::batching::Batching;
use crate::config::{Preconditioner, SamplerConfig, SamplerKind};
use crate::datasets::BuiltinDataset;
use crate::error::{Error, Result};
use crate::models::{LinearRegression, Model, QuadraticModel};
use crate::reproductions::numbers::sig6_vec;
use crate::reproductions::{Config, Provenance, Row};
use crate::theory::golden_section::minimise_log_scale;
use crate::theory::linearised::LinearisedLaws;
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
    /// EM with the real `sgd` sampler in the E-step.
    pub simulated_em: SimulatedEm,
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

/// The exact-law EM rows and paths; returns the paths and type-II ML.
fn em_rows(
    model: &LinearRegression,
    rows: &mut Vec<Row>,
) -> Result<(Vec<EmCurve>, Hyperparameters)> {
    let ml = type_two_maximum_likelihood(model, EM_START, Learned::Both)?;
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
        let path = em_path(model, EM_START, e_step, Learned::Both, 1e-12, 100_000)?;
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
    Ok((curves, ml))
}

/// The rows of the EM simulated with the `sgd` sampler: its last M-step against the exact-law
/// M-step from the same iterate, and its last iterate against the exact-law fixed point and
/// type-II ML.
fn simulated_em_rows(
    model: &LinearRegression,
    em: &SimulatedEm,
    ml: Hyperparameters,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let path = em_path(model, EM_START, SGD_E_STEP, Learned::Both, 1e-12, 100_000)?;
    let fixed = path.last().ok_or_else(|| Error::NoClosedForm {
        what: "an EM path".into(),
    })?;
    let k = em.prior_precision.len();
    let exact_at_k = path.iterates.get(k).copied().unwrap_or(fixed);
    let at = format!(
        "diabetes, EM with the `sgd` sampler in the E-step (B = {EM_BATCH_SIZE}, ε* each iteration)"
    );
    for (name, simulated, exact_step, fixed_point, exact_path, ml_value) in [
        (
            "λ",
            em.prior_precision[k - 1],
            em.prior_precision_exact_step[k - 1],
            fixed.prior_precision,
            exact_at_k.prior_precision,
            ml.prior_precision,
        ),
        (
            "σ²",
            em.noise_variance[k - 1],
            em.noise_variance_exact_step[k - 1],
            fixed.noise_variance,
            exact_at_k.noise_variance,
            ml.noise_variance,
        ),
    ] {
        rows.push(
            Row::new(
                format!("{at}, iteration {k}: {name} (closed form: the exact-law M-step from the same previous iterate)"),
                Provenance::Derived,
            )
            .closed_form(exact_step)
            .simulation(simulated),
        );
        rows.push(
            Row::new(
                format!("{at}: {name} after {k} iterations (closed form: the exact-law EM fixed point; reference: type-II ML)"),
                Provenance::Derived,
            )
            .reference(ml_value)
            .closed_form(fixed_point)
            .simulation(simulated)
            .known_difference(format!(
                "EM converges linearly: after {k} iterations the exact-law path is at {exact_path:.6} \
                 ({:+.3}% from its fixed point)",
                100.0 * (exact_path / fixed_point - 1.0)
            )),
        );
    }
    Ok(())
}

/// Theorem 1 on the Wisconsin breast-cancer logistic regression (standardised features, an
/// intercept, prior precision 1), with the laws linearised at the MAP as in the synthetic
/// logistic section.
fn breast_cancer_rows(rows: &mut Vec<Row>) -> Result<()> {
    let model = BuiltinDataset::BreastCancer
        .load()?
        .standardised_features()
        .with_intercept()
        .logistic_regression(1.0)?;
    let laws = LinearisedLaws::new(&model, EM_BATCH_SIZE)?;
    let eps_star = laws.eps_star();
    let kl = |e: f64| laws.kl(SamplerKind::Sgd, e);
    let eps_continuous = minimise_log_scale(|e| Ok(kl(e)?.0), eps_star / 4.0, eps_star * 4.0)?;
    let eps_discrete = minimise_log_scale(|e| Ok(kl(e)?.1), eps_star / 4.0, eps_star * 4.0)?;
    let (kl_continuous, kl_discrete) = kl(eps_star)?;
    let (_, discrete) = laws.laws(SamplerKind::Sgd, eps_star)?;
    let d = laws.map.len() as f64;
    let at = format!(
        "breast cancer (logistic, N = {}, d = {}), SGD B = {EM_BATCH_SIZE}",
        model.data_size(),
        laws.map.len()
    );
    rows.push(
        Row::new(
            format!("{at}: ε* — paper: 2dB/(N tr C(θ̂)) (Theorem 1, C at the MAP); ours: argmin of KL_OU"),
            Provenance::Paper,
        )
        .paper(eps_star)
        .closed_form(eps_continuous),
    );
    rows.push(
        Row::new(
            format!("{at}: argmin KL_disc (linearised at the MAP, exact discrete)"),
            Provenance::Derived,
        )
        .closed_form(eps_discrete),
    );
    rows.push(
        Row::new(
            format!("{at}: KL_OU(ε*) to the Laplace posterior"),
            Provenance::Paper,
        )
        .closed_form(kl_continuous),
    );
    rows.push(
        Row::new(
            format!("{at}: KL_disc(ε*) to the Laplace posterior (linearised)"),
            Provenance::Derived,
        )
        .closed_form(kl_discrete),
    );
    rows.push(
        Row::new(
            format!("{at}: tr(HΣ)/d at ε*, linearised discrete law (1 = Laplace posterior)"),
            Provenance::Derived,
        )
        .closed_form((&laws.hessian * &discrete.covariance).trace() / d),
    );
    Ok(())
}

/// Runs the real-data section: closed forms and the simulated EM.
pub(super) fn run(config: &Config) -> Result<RealData> {
    let model = diabetes()?;
    let mut rows = Vec::new();
    theorem_one_rows(&model, &mut rows)?;
    sgfs_rows(&model, &mut rows)?;
    let (em_paths, ml) = em_rows(&model, &mut rows)?;
    let simulated_em = simulated_em(config, &model)?;
    simulated_em_rows(&model, &simulated_em, ml, &mut rows)?;
    breast_cancer_rows(&mut rows)?;
    Ok(RealData {
        rows,
        em_paths,
        simulated_em,
    })
}
