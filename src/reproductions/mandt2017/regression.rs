//! Closed forms on the synthetic linear regression: Theorem 1, momentum (Claim M4) and ASGS
//! windows (Claims M7/M8).

use super::{log_grid, regression_kl, sampler, MomentumCurve, BATCH_SIZE, DATA_SIZE};
use crate::batching::Batching;
use crate::config::SamplerKind;
use crate::error::Result;
use crate::models::{LinearRegression, Model, QuadraticModel};
use crate::reproductions::numbers::{Provenance, Row};
use crate::theory::golden_section::minimise_log_scale;
use crate::theory::{optimal_learning_rate, GaussianLaw, TheoryReport};

/// ε* of the regression (Theorem 1) and the numerical optima of its KL curves.
#[derive(Debug, Clone, Copy)]
pub(super) struct RegressionOptimum {
    /// Theorem 1's ε* = 2DB/(N tr C(θ*)).
    pub(super) eps_star: f64,
    /// argmin of the exact discrete KL.
    pub(super) eps_star_discrete: f64,
    /// KL_cont(ε*).
    pub(super) kl_continuous_at_star: f64,
}

/// Theorem 1 on the synthetic linear regression (rows).
pub(super) fn optimum_section(
    model: &LinearRegression,
    posterior: &GaussianLaw,
) -> Result<(RegressionOptimum, Vec<Row>)> {
    let mut rows = Vec::new();
    let reg_eps_star = optimal_learning_rate(
        model,
        &posterior.mean,
        BATCH_SIZE,
        Batching::WithReplacement,
    )?
    .expect("the regression has gradient noise");
    let reg_eps_star_disc = minimise_log_scale(
        |e| Ok(regression_kl(model, SamplerKind::Sgd, e)?.1),
        reg_eps_star / 4.0,
        reg_eps_star * 4.0,
    )?;
    let reg_eps_star_cont = minimise_log_scale(
        |e| Ok(regression_kl(model, SamplerKind::Sgd, e)?.0),
        reg_eps_star / 4.0,
        reg_eps_star * 4.0,
    )?;
    let (reg_cont_star, reg_disc_star) = regression_kl(model, SamplerKind::Sgd, reg_eps_star)?;
    rows.push(
        Row::new(
            "regression: ε* = 2DB/(N tr C(θ*)) (Theorem 1)",
            Provenance::Paper,
        )
        .paper(reg_eps_star),
    );
    rows.push(
        Row::new(
            "regression: argmin KL_cont (OU with C at θ*)",
            Provenance::Derived,
        )
        .closed_form(reg_eps_star_cont),
    );
    rows.push(
        Row::new(
            "regression: argmin KL_disc (exact, state-dependent noise)",
            Provenance::Derived,
        )
        .closed_form(reg_eps_star_disc),
    );
    rows.push(Row::new("regression: KL_cont(ε*)", Provenance::Derived).closed_form(reg_cont_star));
    rows.push(Row::new("regression: KL_disc(ε*)", Provenance::Derived).closed_form(reg_disc_star));
    rows.push(
        Row::new("regression: KL_disc(argmin)", Provenance::Derived)
            .closed_form(regression_kl(model, SamplerKind::Sgd, reg_eps_star_disc)?.1),
    );
    let optimum = RegressionOptimum {
        eps_star: reg_eps_star,
        eps_star_discrete: reg_eps_star_disc,
        kl_continuous_at_star: reg_cont_star,
    };
    Ok((optimum, rows))
}

/// Claim M4: momentum acts as plain SGD with learning rate ε/μ, so at fixed ε the KL-optimal
/// damping is μ* = ε/ε* (= εN tr C/(2DS)).
pub(super) fn momentum_section(
    model: &LinearRegression,
    optimum: &RegressionOptimum,
    points: usize,
) -> Result<(MomentumCurve, Vec<Row>)> {
    let (reg_eps_star, reg_cont_star) = (optimum.eps_star, optimum.kl_continuous_at_star);
    let mut rows = Vec::new();
    let momentum_kl = |damping: f64| {
        regression_kl(
            model,
            SamplerKind::SgdMomentum { damping },
            reg_eps_star / 4.0,
        )
    };
    let dampings = log_grid(0.05, 1.0, points);
    let mut momentum_cont = Vec::new();
    let mut momentum_disc = Vec::new();
    for &mu in &dampings {
        let (c, d) = momentum_kl(mu)?;
        momentum_cont.push(c);
        momentum_disc.push(d);
    }
    let momentum = MomentumCurve {
        step_size: reg_eps_star / 4.0,
        damping_star: 0.25,
        damping_star_continuous: minimise_log_scale(|mu| Ok(momentum_kl(mu)?.0), 0.05, 1.0)?,
        damping_star_discrete: minimise_log_scale(|mu| Ok(momentum_kl(mu)?.1), 0.05, 1.0)?,
        dampings,
        continuous: momentum_cont,
        discrete: momentum_disc,
    };
    rows.push(
        Row::new(
            "regression momentum, ε = ε*/4: μ* = εN tr C/(2DB) (Claim M4)",
            Provenance::Paper,
        )
        .paper(momentum.damping_star),
    );
    rows.push(
        Row::new("regression momentum: argmin_μ KL_cont", Provenance::Derived)
            .closed_form(momentum.damping_star_continuous),
    );
    rows.push(
        Row::new("regression momentum: argmin_μ KL_disc", Provenance::Derived)
            .closed_form(momentum.damping_star_discrete),
    );
    let (mc, md) = momentum_kl(0.25)?;
    rows.push(Row::new(format!("regression momentum (ε*/4, μ*): KL_cont (plain SGD at ε* = ε/μ*: {reg_cont_star:.6})"), Provenance::Derived).closed_form(mc));
    rows.push(
        Row::new(
            "regression momentum (ε*/4, μ*): KL_disc",
            Provenance::Derived,
        )
        .closed_form(md),
    );
    Ok((momentum, rows))
}

/// Claims M7/M8 on the regression: Polyak averaging and ASGS windows of one epoch.
pub(super) fn asgs_rows(model: &LinearRegression, reg_eps_star: f64) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let window = DATA_SIZE / BATCH_SIZE;
    for factor in [0.25, 1.0, 4.0] {
        let eps = factor * reg_eps_star;
        let asgs = TheoryReport::compute(model, &sampler(SamplerKind::Asgs { window }, eps))?;
        let d = model.dimension() as f64;
        let precision = model.posterior_precision();
        rows.push(
            Row::new(
                format!("regression ASGS, window N/B = {window}, ε = {factor}·ε*: tr(P Ω)/(d n) (Polyak, C ≈ A ⇒ ≈ 1)"),
                Provenance::Derived,
            )
            .closed_form((&precision * &asgs.long_run_covariance).trace() / d),
        );
        rows.push(
            Row::new(
                format!("regression ASGS, window N/B = {window}, ε = {factor}·ε*: tr(P Σ_window)/d (exact finite window)"),
                Provenance::Derived,
            )
            .closed_form(asgs.effective_temperature),
        );
    }
    Ok(rows)
}
