//! F. The exact finite-size stationary law of SGD (and SGLD) on the report's gradient-descent
//! problem (n = 100, m = 400, N = 800; quick: 30, 120, 240), beside the asymptotic predictions of
//! [`crate::theory::bbp`].
//!
//! # Formula
//! The law is [`TeacherStudentLaw`] (Kronecker form of the second-moment equation, derived here):
//! the stationary mean W_∞, the entry variance tr Cov(vec W)/(nm), the input- and output-side
//! second moments E[ΔᵀΔ]/n and E[ΔΔᵀ]/m of Δ = W − W_∞ and the variances Var(u_αᵀWv_α) of the
//! learned teacher modes, each from one m×m solve. The asymptotic predictions are those of
//! [`bbp::report`] (Gaussian inputs, N → ∞ at fixed m: the fluctuation is an i.i.d. bulk of entry
//! variance v, so both second moments are v·I and Var(uᵀΔv) = v for unit u, v) and
//! [`BulkNoise::outlier`] (Benaych-Georges & Nadakuditi 2012). No simulation: every number here
//! is a closed form.

use nalgebra::{DVector, SymmetricEigen};
use serde::Serialize;

use super::super::numbers::{sig6, sig6_vec, Provenance, Row};
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::{LinearTeacherStudent, Model};
use crate::reproductions::plot::{Chart, Legend, Line};
use crate::theory::bbp::{self, BulkNoise};
use crate::theory::teacher_student_law::TeacherStudentLaw;

/// SGD step ε (= η, σ² = 1) and batch size of the section.
pub(crate) const SGD_STEP: f64 = 0.05;
/// Batch size (with replacement) of both samplers.
pub(crate) const BATCH_SIZE: usize = 40;
/// SGLD step as a fraction of 1/(λ + N λ_max(C)/σ²), the inverse largest posterior curvature.
pub(crate) const SGLD_STEP_FRACTION: f64 = 0.1;

/// One learned teacher mode: exact stationary mean and variance of u_αᵀWv_α and the asymptotic
/// predictions.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ModeLaw {
    /// θ*_α.
    #[serde(serialize_with = "sig6")]
    pub(crate) teacher_strength: f64,
    /// u_αᵀ W_∞ v_α (exact).
    #[serde(serialize_with = "sig6")]
    pub(crate) mean: f64,
    /// Var(u_αᵀ W v_α) (exact).
    #[serde(serialize_with = "sig6")]
    pub(crate) variance: f64,
}

/// The section's record.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ExactStationaryLaw {
    /// n, m, N.
    pub(crate) shape: (usize, usize, usize),
    /// κ = λσ²/N.
    #[serde(serialize_with = "sig6")]
    pub(crate) ridge: f64,
    /// Exact SGD entry variance tr Cov(vec W)/(nm).
    #[serde(serialize_with = "sig6")]
    pub(crate) entry_variance: f64,
    /// Asymptotic SGD entry variance ([`bbp::sgd_stationary_entry_variance`] via the report).
    #[serde(serialize_with = "sig6")]
    pub(crate) asymptotic_entry_variance: f64,
    /// Entry variance σ_ε²/(N(1 + κ)²) of the estimation error of W_∞ (asymptotic bulk part).
    #[serde(serialize_with = "sig6")]
    pub(crate) estimation_entry_variance: f64,
    /// Eigenvalues of E[ΔᵀΔ]/n, decreasing (m values).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) input_spectrum: Vec<f64>,
    /// Eigenvalues of E[ΔΔᵀ]/m, decreasing (n values).
    #[serde(serialize_with = "sig6_vec")]
    pub(crate) output_spectrum: Vec<f64>,
    /// The teacher modes.
    pub(crate) modes: Vec<ModeLaw>,
    /// Top singular value of W_∞ (exact, this sample).
    #[serde(serialize_with = "sig6")]
    pub(crate) mean_top_singular_value: f64,
    /// BBP outlier of mode 1 with the exact SGD entry variance (plus the estimation part).
    #[serde(serialize_with = "sig6")]
    pub(crate) outlier_exact_bulk: f64,
    /// BBP outlier of mode 1 as in the report (asymptotic SGD entry variance).
    #[serde(serialize_with = "sig6")]
    pub(crate) outlier_asymptotic_bulk: f64,
    /// SGLD step ε.
    #[serde(serialize_with = "sig6")]
    pub(crate) sgld_step: f64,
    /// Exact SGLD entry variance.
    #[serde(serialize_with = "sig6")]
    pub(crate) sgld_entry_variance: f64,
    /// Posterior entry variance tr (λI + XᵀX/σ²)⁻¹/m.
    #[serde(serialize_with = "sig6")]
    pub(crate) posterior_entry_variance: f64,
}

fn decreasing_eigenvalues(matrix: nalgebra::DMatrix<f64>) -> Vec<f64> {
    let mut values: Vec<f64> = SymmetricEigen::new(matrix)
        .eigenvalues
        .iter()
        .copied()
        .collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values
}

/// Solves the exact laws on `model` (the report's gradient-descent problem).
pub(crate) fn exact_law(model: &LinearTeacherStudent) -> Result<ExactStationaryLaw> {
    let (n, m, big_n) = (
        model.output_dimension(),
        model.input_dimension(),
        model.data_size(),
    );
    let config = SamplerConfig::new(
        SamplerKind::Sgd,
        SGD_STEP,
        BATCH_SIZE,
        Batching::WithReplacement,
    );
    let theory = bbp::report(model, &config)?;
    let law = TeacherStudentLaw::new(model, &config)?;
    let entry_variance = law.entry_variance();
    let input_spectrum = decreasing_eigenvalues(law.input_covariance()? / n as f64);
    let output_spectrum = decreasing_eigenvalues(law.output_covariance() / m as f64);
    let teacher = model
        .teacher()
        .ok_or_else(|| crate::error::Error::Invalid {
            what: "teacher–student problem".into(),
            why: "the exact-law section needs the teacher".into(),
        })?;
    let svd = teacher.svd(true, true);
    let (Some(u), Some(v_t)) = (svd.u, svd.v_t) else {
        return Err(crate::error::Error::Invalid {
            what: "teacher".into(),
            why: "singular value decomposition failed".into(),
        });
    };
    let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
    order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
    let modes = order
        .iter()
        .take(theory.teacher_strengths.len())
        .map(|&k| {
            let left: Vec<f64> = u.column(k).iter().copied().collect();
            let right: Vec<f64> = v_t.row(k).iter().copied().collect();
            let mean = DVector::from_column_slice(&left)
                .dot(&(law.mean() * DVector::from_column_slice(&right)));
            Ok(ModeLaw {
                teacher_strength: svd.singular_values[k],
                mean,
                variance: law.bilinear_variance(&left, &right)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let signal = theory.teacher_strengths[0] / (1.0 + theory.ridge);
    let outlier_exact_bulk =
        BulkNoise::new(n, m, theory.estimation_entry_variance + entry_variance)?
            .outlier(signal)?
            .singular_value;
    let mean_top_singular_value = law.mean().singular_values().max();

    let precision = |scale: f64| model.prior_precision_scalar() + scale / model.noise_variance();
    let curvature = SymmetricEigen::new(model.input_second_moment())
        .eigenvalues
        .max();
    let sgld_step = SGLD_STEP_FRACTION / precision(big_n as f64 * curvature);
    let sgld = TeacherStudentLaw::new(
        model,
        &SamplerConfig::new(
            SamplerKind::Sgld,
            sgld_step,
            BATCH_SIZE,
            Batching::WithReplacement,
        ),
    )?;
    let posterior_entry_variance = SymmetricEigen::new(model.input_second_moment())
        .eigenvalues
        .iter()
        .map(|&c| 1.0 / precision(big_n as f64 * c))
        .sum::<f64>()
        / m as f64;
    Ok(ExactStationaryLaw {
        shape: (n, m, big_n),
        ridge: theory.ridge,
        entry_variance,
        asymptotic_entry_variance: theory.sgd_entry_variance,
        estimation_entry_variance: theory.estimation_entry_variance,
        input_spectrum,
        output_spectrum,
        modes,
        mean_top_singular_value,
        outlier_exact_bulk,
        outlier_asymptotic_bulk: theory.stationary_outliers[0].singular_value,
        sgld_step,
        sgld_entry_variance: sgld.entry_variance(),
        posterior_entry_variance,
    })
}

/// The section's rows.
pub(crate) fn exact_law_rows(law: &ExactStationaryLaw) -> Vec<Row> {
    let (n, m, big_n) = law.shape;
    let at = format!("n = {n}, m = {m}, N = {big_n}, B = {BATCH_SIZE}, ε = {SGD_STEP}");
    let v = law.asymptotic_entry_variance;
    let finite_sample = "the reference is the Gaussian-input limit N → ∞ at fixed m; here N = 2m, so the residuals at W_∞ are correlated with the inputs (leverage m/N) and the sample's fourth moments differ from Gaussian ones";
    let input_side = "the reference is the asymptotic i.i.d. bulk (second moment v·I); the exact input-side moment weights x_i x_iᵀ by the squared residual norms ‖ρ_i‖² at W_∞, which vary over the sample and shrink with the leverage ‖x_i‖²/N";
    let output_side = "the reference approximates the exact output-side moment, built from RᵀR (R the N×n residuals at W_∞, shared by all steps: a Wishart matrix with N − m degrees of freedom), by v·RᵀR/((N − m)σ_r²) and takes its Marchenko–Pastur edges; finite n";
    let aspect = n as f64 / (big_n - m) as f64;
    let mut rows = vec![Row::new(
        format!("exact finite-n SGD stationary entry variance of W − W_∞ ({at}); reference: Gaussian-input formula"),
        Provenance::Derived,
    )
    .reference(v)
    .closed_form(law.entry_variance)
    .known_difference(finite_sample)];
    for (which, value) in [
        ("largest", law.input_spectrum[0]),
        ("smallest", law.input_spectrum[law.input_spectrum.len() - 1]),
    ] {
        rows.push(
            Row::new(
                format!("exact SGD fluctuation: {which} eigenvalue of the input side E[ΔᵀΔ]/n; reference: asymptotic entry variance v"),
                Provenance::Derived,
            )
            .reference(v)
            .closed_form(value)
            .known_difference(input_side),
        );
    }
    for (which, value, sign) in [
        ("largest", law.output_spectrum[0], 1.0),
        (
            "smallest",
            law.output_spectrum[law.output_spectrum.len() - 1],
            -1.0,
        ),
    ] {
        rows.push(
            Row::new(
                format!("exact SGD fluctuation: {which} eigenvalue of the output side E[ΔΔᵀ]/m; reference: v(1 ± √(n/(N − m)))², the residuals' Marchenko–Pastur edge"),
                Provenance::Derived,
            )
            .reference(v * (1.0 + sign * aspect.sqrt()).powi(2))
            .closed_form(value)
            .known_difference(output_side),
        );
    }
    for (alpha, mode) in law.modes.iter().enumerate() {
        rows.push(
            Row::new(
                format!(
                    "learned mode {} (θ* = {:.2}): exact stationary mean of u_αᵀWv_α; reference: θ*/(1 + κ)",
                    alpha + 1,
                    mode.teacher_strength
                ),
                Provenance::Derived,
            )
            .reference(mode.teacher_strength / (1.0 + law.ridge))
            .closed_form(mode.mean)
            .known_difference("the sample's estimation noise u_αᵀÊv_α, of variance σ_ε²/N, shifts the mean"),
        );
        rows.push(
            Row::new(
                format!(
                    "learned mode {}: exact stationary SGD variance of u_αᵀWv_α; reference: asymptotic entry variance v",
                    alpha + 1
                ),
                Provenance::Derived,
            )
            .reference(v)
            .closed_form(mode.variance)
            .known_difference(finite_sample),
        );
    }
    rows.push(
        Row::new(
            "stationary outlier of mode 1: BBP location with the exact SGD entry variance; reference: with the asymptotic one",
            Provenance::Literature("Benaych-Georges & Nadakuditi 2012"),
        )
        .reference(law.outlier_asymptotic_bulk)
        .closed_form(law.outlier_exact_bulk)
        .known_difference("the SGD part of the bulk variance differs as in the entry-variance row"),
    );
    rows.push(
        Row::new(
            "top singular value of the stationary mean W_∞ (this sample); reference: BBP location with the asymptotic stationary bulk",
            Provenance::Derived,
        )
        .reference(law.outlier_asymptotic_bulk)
        .closed_form(law.mean_top_singular_value)
        .known_difference("W_∞ carries only the estimation bulk, not the SGD fluctuation; finite n"),
    );
    rows.push(
        Row::new(
            format!(
                "exact SGLD stationary entry variance (B = {BATCH_SIZE}, ε = {SGLD_STEP_FRACTION}/(λ + Nλ_max(C)/σ²)); reference: posterior entry variance"
            ),
            Provenance::Derived,
        )
        .reference(law.posterior_entry_variance)
        .closed_form(law.sgld_entry_variance)
        .known_difference("SGLD's discretisation and minibatch noise inflate the posterior variance"),
    );
    rows
}

/// Figure 6: the spectra of the exact stationary fluctuation's second moments against the
/// asymptotic flat bulk.
pub(crate) fn fluctuation_spectrum_chart(law: &ExactStationaryLaw) -> Chart {
    let fractions = |values: &[f64]| -> Vec<(f64, f64)> {
        let count = values.len() as f64;
        values
            .iter()
            .enumerate()
            .map(|(k, &y)| ((k as f64 + 0.5) / count, y))
            .collect()
    };
    let (n, m, big_n) = law.shape;
    let flat = |y: f64| vec![(0.0, y), (1.0, y)];
    Chart {
        title: format!(
            "Exact stationary SGD fluctuation W − W_∞, n = {n}, m = {m}, N = {big_n}, B = {BATCH_SIZE}, ε = {SGD_STEP}"
        ),
        x_label: "eigenvalue rank / count".into(),
        y_label: "eigenvalue of the second moment".into(),
        lines: vec![
            Line {
                label: format!("exact: E[ΔᵀΔ]/n ({m} eigenvalues)"),
                points: fractions(&law.input_spectrum),
                color: 0,
                width: 0,
            },
            Line {
                label: format!("exact: E[ΔΔᵀ]/m ({n} eigenvalues)"),
                points: fractions(&law.output_spectrum),
                color: 2,
                width: 0,
            },
            Line {
                label: "exact mean entry variance".into(),
                points: flat(law.entry_variance),
                color: 3,
                width: 1,
            },
            Line {
                label: "asymptotic entry variance v (Gaussian inputs, N → ∞)".into(),
                points: flat(law.asymptotic_entry_variance),
                color: 1,
                width: 1,
            },
        ],
        legend: Legend::UpperRight,
        ..Chart::default()
    }
}
