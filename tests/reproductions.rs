//! Every reproduction's quick configuration: calibrated assertions for its scientific claims, and
//! its record pinned by an insta snapshot (numbers rounded at serialisation to what their errors
//! justify; configuration in the snapshot metadata).
//!
//! Statistical assertions: |simulation − closed form| ≤ t_{1−α/2, dof}·MCSE with α = 10⁻⁶
//! ([`sgbayes::stats::budget::ALPHA_ASSERTION`]) and dof the pooled batch-means degrees of freedom.
//! Power assertions (a wrong law is rejected) use the same critical value. All seeds are fixed.

use sgbayes::reproductions::{
    self, adhikari2023, mandt2017, minibatch_regime, minibatch_scale, rangriz2025,
    shaw_whalley2025, smith2018, Config, Estimate,
};
use sgbayes::stats::budget::ALPHA_ASSERTION;

fn assert_agrees(what: &str, estimate: Estimate, theory: f64) {
    assert!(
        estimate.agrees_with(theory, ALPHA_ASSERTION),
        "{what}: simulation {} vs theory {theory}: |z| = {:.2} > t = {:.2} (dof {})",
        estimate.display(),
        estimate.z_score(theory),
        estimate.critical_value(ALPHA_ASSERTION),
        estimate.dof
    );
}

fn assert_rejects(what: &str, estimate: Estimate, wrong: f64) {
    assert!(
        !estimate.agrees_with(wrong, ALPHA_ASSERTION),
        "{what}: simulation {} does not reject {wrong}: |z| = {:.2} ≤ t = {:.2}",
        estimate.display(),
        estimate.z_score(wrong),
        estimate.critical_value(ALPHA_ASSERTION)
    );
}

#[test]
fn minibatch_regime_quick() {
    let config = Config::quick();
    let record = minibatch_regime::run(&config).unwrap();
    // The exact discrete law predicts every simulated ratio.
    let mut checked = 0;
    for row in &record.rows {
        if let (Some(sim), Some(exact)) = (row.simulation, row.closed_form) {
            assert_agrees(&row.quantity, sim, exact.0);
            checked += 1;
        }
    }
    assert_eq!(checked, 5);
    // ... far from the posterior (all ratios would be 1) ...
    let trace = record.row("tr Σ / tr P⁻¹ — exact").unwrap();
    assert_rejects("trace ratio vs posterior", trace.simulation.unwrap(), 1.0);
    let temperature = record
        .row("tr(PΣ)/d (effective temperature) — exact")
        .unwrap();
    assert!(temperature.closed_form.unwrap().0 > 1.5);
    // ... and the OU approximation is rejected where its error is largest.
    for name in [
        "vᵀΣv / vᵀP⁻¹v, steepest posterior direction",
        "tr(PΣ)/d (effective temperature)",
    ] {
        let sim = record
            .row(&format!("{name} — exact"))
            .unwrap()
            .simulation
            .unwrap();
        let ou = record
            .row(&format!("{name} — OU"))
            .unwrap()
            .closed_form
            .unwrap()
            .0;
        assert_rejects(&format!("{name} vs OU"), sim, ou);
    }
    // The excess covariance and the OU approximation's relative error are both first order in ε.
    for prefix in ["log–log slope of tr Σ", "log–log slope of ‖Σ_OU"] {
        let slope = record.row(prefix).unwrap().closed_form.unwrap().0;
        assert!((slope - 1.0).abs() < 0.1, "{prefix}: {slope}");
    }
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("minibatch-regime", record);
    });
}

#[test]
fn minibatch_scale_quick() {
    use minibatch_scale::Sampler;
    let config = Config::quick();
    let record = minibatch_scale::run(&config).unwrap();
    // The exact discrete law predicts every simulated ratio at d = 10 ...
    let mut checked = 0;
    for row in &record.rows {
        if let (Some(sim), Some(exact)) = (row.simulation, row.closed_form) {
            assert_agrees(&row.quantity, sim, exact.0);
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
    // ... and the simulation rejects the OU law and the posterior where they differ most.
    for name in [
        "vᵀΣv / vᵀP⁻¹v, steepest direction",
        "tr(PΣ)/d (effective temperature)",
    ] {
        let sim = record
            .row(&format!("{name} — exact"))
            .unwrap()
            .simulation
            .unwrap();
        let ou = record.row(&format!("{name} — OU")).unwrap().closed_form;
        assert_rejects(&format!("{name} vs OU"), sim, ou.unwrap().0);
        assert_rejects(&format!("{name} vs posterior"), sim, 1.0);
    }
    // At fixed ε·λ_max the OU error grows with d (both samplers, every fraction), and the
    // first-order prediction (g/2)(1 + tr(PΣ)/(Bλ_maxΣ_vv)) matches SGLD's to 5% once d ≥ 50.
    for sampler in [Sampler::Sgld, Sampler::Sgd] {
        for fraction in record.setup.fractions.clone() {
            let series: Vec<_> = record
                .points
                .iter()
                .filter(|p| p.sampler == sampler && p.fraction == fraction)
                .collect();
            assert_eq!(series.len(), record.setup.dimensions.len());
            for pair in series.windows(2) {
                assert!(pair[1].ou.kl > pair[0].ou.kl);
                assert!(pair[1].ou.steepest < pair[0].ou.steepest);
            }
            let predicted = series
                .iter()
                .filter(|p| p.sampler == Sampler::Sgld && p.dimension >= 50);
            for p in predicted {
                let ratio = p.ou.steepest / p.predicted_steepest;
                assert!(
                    (ratio - 1.0).abs() < 0.05,
                    "{sampler:?} d = {}: {ratio}",
                    p.dimension
                );
            }
        }
    }
    // Slopes in d at the main fraction: OU errors grow (KL between 1 + 2·0.5 and 3), SGLD's
    // per-direction distance to the posterior does not, its KL grows like the number of directions.
    let slope = |c: &str, m: &str| record.slope(c, m, 0.03).unwrap().slope;
    let steepest = "|vᵀAv/vᵀRv − 1|, steepest";
    assert!((0.4..1.0).contains(&slope("SGLD: OU", steepest)));
    assert!((2.0..3.0).contains(&slope("SGLD: OU", "KL")));
    assert!((2.0..3.0).contains(&slope("SGD: OU", "KL")));
    assert!(slope("SGLD: exact vs posterior", steepest).abs() < 0.2);
    assert!((slope("SGLD: exact vs posterior", "KL") - 1.0).abs() < 0.2);
    // Snapshot: closed forms to 4 significant digits (the solves are certified to a relative
    // residual of 1e-8, so 4 digits are stable under solver changes), slopes to 0.01, the
    // simulation rounded to its Monte-Carlo error.
    let r4 = |x: f64| reproductions::numbers::round_significant(x, 4);
    let points: Vec<_> = record
        .points
        .iter()
        .map(|p| {
            serde_json::json!({
                "sampler": p.sampler,
                "d": p.dimension,
                "fraction": p.fraction,
                "ou_steepest": r4(p.ou.steepest),
                "ou_kl": r4(p.ou.kl),
                "ou_trace": r4(p.ou.trace),
                "posterior_kl": p.posterior.map(|e| r4(e.kl)),
            })
        })
        .collect();
    let slopes: Vec<_> = record
        .slopes
        .iter()
        .filter(|s| s.fraction == 0.03)
        .map(|s| format!("{} / {}: {:.2}", s.comparison, s.metric, s.slope))
        .collect();
    let summary = serde_json::json!({
        "points": points,
        "slopes_at_0.03": slopes,
        "simulation": record.rows,
    });
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("minibatch-scale", summary);
    });
}

#[test]
fn mandt2017_quick() {
    let config = Config::quick();
    let record = mandt2017::run(&config).unwrap();
    // Closed forms reproduce the independently derived reference values.
    for row in &record.rows {
        if let (Some(reference), Some(ours)) = (row.reference, row.closed_form) {
            assert!(
                (ours.0 - reference.0).abs() <= 1e-5 * reference.0.abs().max(1e-2),
                "{}: ours {} vs digest {}",
                row.quantity,
                ours.0,
                reference.0
            );
        }
    }
    // Theorem 1 on R1 is the argmin of the OU KL; the exact discrete optimum lies below it.
    assert!((record.r1_eps_star - 2.0 * 2.0 * 10.0 / (1000.0 * 1.5)).abs() < 1e-15);
    assert!(record.r1_eps_star_discrete < record.r1_eps_star);
    // Simulations of the real samplers agree with the exact law: the covariance in posterior
    // units always, the KL where it is not near 0 (there its delta-method error degenerates).
    for sim in &record.simulations {
        assert_agrees(
            &format!("{} tr(PΣ)/d at ε = {}", sim.sampler, sim.step_size),
            sim.temperature_simulated,
            sim.temperature_exact,
        );
        if sim.kl_exact > 0.01 {
            assert_agrees(
                &format!("{} KL at ε = {}", sim.sampler, sim.step_size),
                sim.kl_simulated,
                sim.kl_exact,
            );
        }
    }
    // Theorem 2: with the full H* the OU law is the posterior.
    let optimal = record
        .simulations
        .iter()
        .find(|s| s.sampler == "sgd-preconditioned H*")
        .unwrap();
    assert!(
        optimal.kl_continuous.abs() < 1e-10,
        "{}",
        optimal.kl_continuous
    );
    // SGLD: the OU approximation's KL is rejected by the simulation.
    let sgld = record
        .simulations
        .iter()
        .find(|s| s.sampler == "sgld")
        .unwrap();
    assert_rejects("SGLD KL vs OU", sgld.kl_simulated, sgld.kl_continuous);
    // Logistic regression: the simulated tr(HΣ)/d agrees with the law linearised at the MAP up
    // to t·MCSE plus the stated linearisation budget (relative, first order in the spread), and
    // the same check rejects the prediction with B replaced by 2B (Σ halved).
    for sim in &record.logistic.simulations {
        let (p, budget) = (&sim.point, sim.nonlinearity_budget);
        let t = p.temperature_simulated.critical_value(ALPHA_ASSERTION);
        let allowed = t * p.temperature_simulated.mcse + budget * p.temperature_exact;
        let diff = (p.temperature_simulated.value - p.temperature_exact).abs();
        assert!(
            diff <= allowed,
            "logistic {} tr(HΣ)/d: {} vs linearised {} (budget {budget})",
            p.sampler,
            p.temperature_simulated.display(),
            p.temperature_exact
        );
    }
    let sgd = &record.logistic.simulations[0];
    assert_eq!(sgd.point.sampler, "sgd");
    assert!(sgd.nonlinearity_budget < 0.25);
    assert!(
        (sgd.point.temperature_simulated.value - sgd.point.temperature_exact / 2.0).abs()
            > sgd
                .point
                .temperature_simulated
                .critical_value(ALPHA_ASSERTION)
                * sgd.point.temperature_simulated.mcse
                + sgd.nonlinearity_budget * sgd.point.temperature_exact / 2.0
    );
    // Constant-SGD variational EM with the real `sgd` sampler in the E-step: every simulated
    // M-step agrees with the exact-law M-step from the same iterate, and the last one rejects the
    // posterior E-step's M-step (type-II ML is ≈ 13% lower in λ).
    let em = &record.real_data.simulated_em;
    for (k, (lambda, exact)) in em
        .prior_precision
        .iter()
        .zip(&em.prior_precision_exact_step)
        .enumerate()
    {
        assert_agrees(
            &format!("simulated EM λ, iteration {}", k + 1),
            *lambda,
            *exact,
        );
    }
    let last = *em.prior_precision.last().unwrap();
    assert_rejects(
        "simulated EM λ vs 0.88 × exact step",
        last,
        0.88 * em.prior_precision_exact_step.last().unwrap(),
    );
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("mandt2017", record);
    });
}

#[test]
fn smith2018_quick() {
    let config = Config::quick();
    let record = smith2018::run(&config).unwrap();
    for p in &record.grid {
        assert_agrees(
            &format!(
                "{} T at N={} B={} ε={} {:?}",
                p.sampler, p.data_size, p.batch_size, p.step_size, p.batching
            ),
            p.temperature_simulated,
            p.temperature_exact,
        );
    }
    // Without replacement at B/N = 1/4 the paper's εN/(2B) is rejected; γεN/(2B) is the refinement.
    let p = record
        .grid
        .iter()
        .find(|p| {
            p.sampler == "sgd"
                && p.batch_size == 50
                && p.step_size == 0.05
                && p.batching == sgbayes::batching::Batching::WithoutReplacement
        })
        .unwrap();
    assert_rejects(
        "εN/(2B) without replacement",
        p.temperature_simulated,
        p.temperature_paper,
    );
    // NGD on the regression: both samplers are represented.
    assert!(record.grid.iter().any(|p| p.sampler == "ngd"));
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("smith2018", record);
    });
}

#[test]
fn adhikari2023_quick() {
    let config = Config::quick();
    let record = adhikari2023::run(&config).unwrap();
    for row in &record.rows {
        let ours = row.closed_form.unwrap().0;
        if let Some(reference) = row.reference {
            // The digest's variances come from data with V₁/a = 22.9 rounded to 3 digits; its
            // slopes are the orders 1, 2, 3.
            let tolerance = if row.quantity.contains("slope") {
                0.05
            } else {
                2e-3 * reference.0
            };
            assert!(
                (ours - reference.0).abs() <= tolerance,
                "{}: ours {ours} vs digest {}",
                row.quantity,
                reference.0
            );
        }
        if let Some(sim) = row.simulation {
            assert_agrees(&row.quantity, sim, ours);
        }
    }
    for sim in &record.simulations {
        assert_agrees(
            &format!("{:?} at h·a = {}", sim.scheme, sim.ha),
            sim.simulated,
            sim.exact,
        );
    }
    // Claim 11: at h·a = 0.05 SGWORLD's KL is more than 10 times smaller.
    let ratio = record
        .row("KL ratio SGLD / SGWORLD (every step) at h·a = 0.05")
        .unwrap()
        .closed_form
        .unwrap()
        .0;
    assert!(ratio > 10.0, "{ratio}");
    // Per-step (fresh distinct batch) draws reject the reshuffled every-step law at h·a = 0.2.
    let per_step = record
        .simulations
        .iter()
        .find(|s| s.scheme == adhikari2023::Scheme::PerStep)
        .unwrap();
    let reshuffled = record
        .simulations
        .iter()
        .find(|s| s.scheme == adhikari2023::Scheme::ReshuffleEveryStep)
        .unwrap();
    assert_rejects(
        "per-step draws vs the reshuffled law",
        per_step.simulated,
        reshuffled.exact,
    );
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("adhikari2023", record);
    });
}

#[test]
fn shaw_whalley2025_quick() {
    let config = Config::quick();
    let record = shaw_whalley2025::run(&config).unwrap();
    // RR has the smaller W₂ bias for every step size and N/B.
    for curve in &record.ratios {
        assert!(
            curve.max_ratio < 1.0,
            "B = {}: {}",
            curve.batch_size,
            curve.max_ratio
        );
    }
    // The exact biases approach the digest's leading orders as h → 0 (1% at h·a = 0.01).
    for row in record
        .rows
        .iter()
        .filter(|r| r.quantity.contains("h·a = 0.01,"))
    {
        let (ours, leading) = (row.closed_form.unwrap().0, row.reference.unwrap().0);
        assert!(
            (ours - leading).abs() <= 0.01 * leading,
            "{}: {ours} vs {leading}",
            row.quantity
        );
    }
    for sim in &record.simulations {
        assert_agrees(
            &format!("{:?} B = {}", sim.scheme, sim.batch_size),
            sim.relative_bias_simulated,
            sim.relative_bias_exact,
        );
    }
    // The RR draws reject the RM (i.i.d.) law.
    let rr = record
        .simulations
        .iter()
        .find(|s| s.scheme == adhikari2023::Scheme::ReshuffleEveryStep)
        .unwrap();
    let rm = record
        .simulations
        .iter()
        .find(|s| s.scheme == adhikari2023::Scheme::Iid && s.batch_size == rr.batch_size)
        .unwrap();
    assert_rejects(
        "RR draws vs the RM law",
        rr.relative_bias_simulated,
        rm.relative_bias_exact,
    );
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("shaw-whalley2025", record);
    });
}

/// `rangriz2025` (quick): online SGD at δ = c/N on the linear single-index model. The stationary
/// mean, N·Var m, N·Var r⊥² and N·Cov agree with the exact finite-N values at every c; the
/// gradient-flow fixed point r⊥²* = 0 and the OU variance without the corrector's own fluctuation
/// are rejected; the path means at t = 1 agree with the exact finite-N moments, the RMS error's
/// slope on log N with −1/2, and E r⊥² across the critical c with the exact mean. Same bits at any
/// thread count; the table rows are pinned by a snapshot. 39 assertions at α = 10⁻⁶.
#[test]
fn rangriz2025_quick() {
    let config = Config::quick();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| rangriz2025::run(&config).unwrap())
    };
    let record = run(1);
    assert_eq!(format!("{record:?}"), format!("{:?}", run(2)));
    for cell in &record.stationary {
        let at = format!("c = {}, N = {}", cell.step_scale, cell.dimension);
        assert_agrees(&format!("E m, {at}"), cell.overlap_mean, 1.0);
        assert_agrees(
            &format!("E r⊥², {at}"),
            cell.orthogonal_mean,
            cell.exact_orthogonal_mean,
        );
        assert_agrees(
            &format!("N·Var m, {at}"),
            cell.overlap_variance,
            cell.exact_overlap_variance,
        );
        assert_agrees(
            &format!("N·Var r⊥², {at}"),
            cell.orthogonal_variance,
            cell.exact_orthogonal_variance,
        );
        assert_agrees(&format!("N·Cov, {at}"), cell.covariance, 0.0);
        assert_rejects(&format!("gradient flow, {at}"), cell.orthogonal_mean, 0.0);
        assert_rejects(
            &format!("corrector fluctuation dropped, {at}"),
            cell.orthogonal_variance,
            cell.dropped_fluctuation_variance,
        );
    }
    let paths = &record.paths;
    let k = paths.times.iter().position(|t| *t == 1.0).unwrap();
    for d in &paths.dimensions {
        let at = format!("t = 1, N = {}", d.dimension);
        assert_agrees(&format!("E m, {at}"), d.overlap[k], d.exact_overlap[k]);
        assert_agrees(
            &format!("E r⊥², {at}"),
            d.orthogonal[k],
            d.exact_orthogonal[k],
        );
    }
    assert_agrees("RMS error slope", paths.slope, -0.5);
    let last = record.critical.times.len() - 1;
    for curve in &record.critical.curves {
        assert_agrees(
            &format!("E r⊥², c = {}", curve.step_scale),
            curve.simulated[last],
            curve.exact[last],
        );
    }
    rangriz2025::render(&record).unwrap();
    let summary = serde_json::json!({
        "fixed_point_rows": record.fixed_point_rows,
        "path_rows": record.path_rows,
        "fluctuation_rows": record.fluctuation_rows,
        "critical_rows": record.critical_rows,
    });
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("rangriz2025", summary);
    });
}

#[test]
fn same_bits_at_any_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| format!("{:?}", smith2018::run(&Config::quick()).unwrap()))
    };
    assert_eq!(run(1), run(3));
}

#[test]
fn registry_lists_every_paper() {
    let ids: Vec<_> = reproductions::registry().iter().map(|r| r.id).collect();
    for id in [
        "minibatch-regime",
        "minibatch-scale",
        "mandt2017",
        "smith2018",
        "adhikari2023",
        "adhikari2023-nonequilibrium",
        "shaw-whalley2025",
        "corlouer2025",
        "bbp-teacher-student",
        "mean-field-sgld",
        "rangriz2025",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

fn sgbayes(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sgbayes"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_list_and_report_directory() {
    let (code, out, _) = sgbayes(&["reproduce", "list"]);
    assert_eq!(code, 0);
    assert!(out.lines().any(|l| l.starts_with("bbp-teacher-student")));
    assert!(out.lines().any(|l| l.starts_with("smith2018")));
    let (code, _, err) = sgbayes(&["reproduce", "no-such-paper"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown reproduction"), "{err}");

    let dir = std::env::temp_dir().join(format!("sgbayes-repro-{}", std::process::id()));
    let (code, _, err) = sgbayes(&[
        "reproduce",
        "smith2018",
        "--quick",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let report = dir.join("smith2018");
    let readme = std::fs::read_to_string(report.join("README.md")).unwrap();
    assert!(
        readme.contains("--quick") && readme.contains("How to cite") && readme.contains("seed")
    );
    let numbers: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("numbers.json")).unwrap())
            .unwrap();
    assert_eq!(numbers["id"], "smith2018");
    assert!(std::fs::read_to_string(report.join("temperature.svg"))
        .unwrap()
        .starts_with("<svg"));
    // Atomic writes leave no temporary files behind.
    for entry in std::fs::read_dir(&report).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp-"), "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
