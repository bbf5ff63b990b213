//! The shipped data sets (`sgbayes::datasets`, docs/datasets.md): shapes, known statistics, CSV
//! round trips, typed errors, the command line, and the closed forms of the papers on the
//! standardised diabetes regression (Theorem 1 of Mandt et al. 2017, the exact stationary
//! covariance's inflation, and a calibrated SGLD check).
//!
//! Budget: 1 statistical assertion at α = 1e-6 (the SGLD check), with a power assertion.

mod common;

use std::process::Command;

use common::seed_of;
use nalgebra::{DMatrix, SymmetricEigen};
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::datasets::{BuiltinDataset, Dataset};
use sgbayes::models::{LinearRegression, QuadraticModel};
use sgbayes::problem::Problem;
use sgbayes::stats::{gaussian_moment_test, ALPHA_ASSERTION};
use sgbayes::theory::{exact_posterior, optimal_learning_rate, stability_limit, TheoryReport};
use sgbayes::Error;

/// The standardised diabetes regression of docs/datasets.md: features and target standardised,
/// σ² = 0.5, λ = 1.
fn diabetes() -> LinearRegression {
    BuiltinDataset::Diabetes
        .load()
        .unwrap()
        .standardised_features()
        .standardised_targets()
        .linear_regression(0.5, 1.0)
        .unwrap()
}

#[test]
fn shapes_and_known_statistics() {
    let d = BuiltinDataset::Diabetes.load().unwrap();
    assert_eq!((d.len(), d.feature_names.len()), (442, 10));
    assert_eq!(d.feature_names[2], "bmi");
    assert_eq!(d.target_name, "progression");
    // Efron et al. (2004): mean progression 152.133, mean BMI 26.376 (sklearn's raw copy).
    let mean_target = d.targets.iter().sum::<f64>() / 442.0;
    assert!(
        (mean_target - 152.13348416289594).abs() < 1e-10,
        "{mean_target}"
    );
    assert!((d.feature_moments()[2].0 - 26.37579185520362).abs() < 1e-10);
    assert_eq!(
        d.features[0],
        vec![59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0]
    );

    let b = BuiltinDataset::BreastCancer.load().unwrap();
    assert_eq!((b.len(), b.feature_names.len()), (569, 30));
    assert_eq!(b.target_name, "malignant");
    // 212 malignant, 357 benign; mean radius 14.1273 (UCI WDBC).
    assert_eq!(b.targets.iter().filter(|&&y| y == 1.0).count(), 212);
    assert_eq!(b.targets.iter().filter(|&&y| y == 0.0).count(), 357);
    assert!((b.feature_moments()[0].0 - 14.127291739894552).abs() < 1e-10);
    assert!(b.logistic_regression(1.0).is_ok());
}

#[test]
fn csv_round_trips_and_standardises() {
    for set in BuiltinDataset::ALL {
        let d = set.load().unwrap();
        assert_eq!(Dataset::parse_csv(&d.to_csv(), "round trip").unwrap(), d);
        assert_eq!(BuiltinDataset::from_name(set.name()).unwrap(), set);
        let s = d.standardised_features().standardised_targets();
        for (mean, sd) in s.feature_moments() {
            assert!(
                mean.abs() < 1e-12 && (sd - 1.0).abs() < 1e-12,
                "{mean} {sd}"
            );
        }
        let n = s.len() as f64;
        let ym = s.targets.iter().sum::<f64>() / n;
        let yv = s.targets.iter().map(|y| (y - ym).powi(2)).sum::<f64>() / n;
        assert!(ym.abs() < 1e-12 && (yv - 1.0).abs() < 1e-12);
        let with = d.with_intercept();
        assert_eq!(with.feature_names.len(), d.feature_names.len() + 1);
        assert!(with.features.iter().all(|r| *r.last().unwrap() == 1.0));
    }
    let dir = std::env::temp_dir().join(format!("sgbayes-datasets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("diabetes.csv");
    std::fs::write(&path, BuiltinDataset::Diabetes.csv()).unwrap();
    assert_eq!(
        Dataset::read_csv(&path).unwrap(),
        BuiltinDataset::Diabetes.load().unwrap()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_data_files_are_typed_errors() {
    for (text, needle) in [
        ("", "no header"),
        ("y\n1\n", "at least one feature"),
        ("a,y\n", "no examples"),
        ("a,y\n1,2\n3\n", "line 3 has 1 fields"),
        ("a,y\n1,x\n", "'x' is not a number"),
    ] {
        let err = Dataset::parse_csv(text, "t.csv").unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    }
    assert!(matches!(
        Dataset::parse_csv("a,y\nNaN,1\n", "t.csv").unwrap_err(),
        Error::NonFinite { .. }
    ));
    assert!(matches!(
        Dataset::read_csv(std::path::Path::new("/nonexistent/x.csv")).unwrap_err(),
        Error::Io(_)
    ));
    assert!(BuiltinDataset::from_name("iris").is_err());
    // Labels other than 0/1 are refused by the logistic model.
    let diabetes = BuiltinDataset::Diabetes.load().unwrap();
    assert!(diabetes.logistic_regression(1.0).is_err());
}

fn sgbayes(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sgbayes"))
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
fn command_line_reads_data_files_and_shipped_sets() {
    let (code, out, err) = sgbayes(&[
        "problem",
        "linear-regression",
        "--dataset",
        "diabetes",
        "--standardise",
        "--noise-variance",
        "0.5",
    ]);
    assert_eq!(code, 0, "{err}");
    let problem = Problem::from_json(&out).unwrap();
    let Problem::LinearRegression(model) = problem else {
        panic!("not a linear regression");
    };
    let reference = diabetes();
    assert_eq!(model.posterior_precision(), reference.posterior_precision());
    assert_eq!(model.targets(), reference.targets());

    let dir = std::env::temp_dir().join(format!("sgbayes-datasets-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bc.csv");
    std::fs::write(&path, BuiltinDataset::BreastCancer.csv()).unwrap();
    let (code, out, err) = sgbayes(&[
        "problem",
        "logistic-regression",
        "--data-file",
        path.to_str().unwrap(),
        "--standardise",
        "--intercept",
    ]);
    assert_eq!(code, 0, "{err}");
    let problem = Problem::from_json(&out).unwrap();
    assert_eq!(problem.model().dimension(), 31);
    assert_eq!(problem.model().data_size(), 569);
    // Errors: regression targets for logistic regression, a missing file, synthetic flags missing.
    let (code, _, err) = sgbayes(&["problem", "logistic-regression", "--dataset", "diabetes"]);
    assert_ne!(code, 0);
    assert!(err.contains("label"), "{err}");
    let (code, _, err) = sgbayes(&[
        "problem",
        "linear-regression",
        "--data-file",
        "/nonexistent.csv",
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot read data file"), "{err}");
    let (code, _, _) = sgbayes(&["problem", "linear-regression", "--dim", "3"]);
    assert_ne!(code, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Mandt et al. (2017) Theorem 1 and the exact stationary laws on the standardised diabetes
/// regression (σ² = 0.5, λ = 1, N = 442, d = 10): the numbers of docs/datasets.md, to 1e-6
/// relative (deterministic).
#[test]
fn diabetes_closed_forms() {
    let model = diabetes();
    let posterior = exact_posterior(&model).unwrap();
    let mut rows = Vec::new();
    for batch in [1usize, 10, 50] {
        let eps = optimal_learning_rate(&model, &posterior.mean, batch, Batching::WithReplacement)
            .unwrap()
            .unwrap();
        let config = SamplerConfig::new(SamplerKind::Sgd, eps, batch, Batching::WithReplacement);
        let report = TheoryReport::compute(&model, &config).unwrap();
        let inflation =
            largest_relative_variance(&report.stationary.covariance, &posterior.covariance);
        rows.push((
            batch,
            eps,
            report.effective_temperature,
            inflation,
            report.kl_stationary_to_posterior,
        ));
    }
    let sgld = sgld_config(&model);
    let report = TheoryReport::compute(&model, &sgld).unwrap();
    let sgld_row = (
        sgld.step_size,
        report.effective_temperature,
        largest_relative_variance(&report.stationary.covariance, &posterior.covariance),
    );
    // (B, ε*, tr(PΣ)/d, largest variance ratio, KL(stationary ‖ posterior)) for SGD at ε*.
    let expected = [
        (1, 0.00256529253, 1.03514219, 3.71599929, 3.81262920),
        (10, 0.0256529253, 1.09060200, 4.10185970, 3.96158206),
        (50, 0.128264627, 1.53956382, 7.67640530, 5.49426514),
    ];
    let close = |a: f64, b: f64| ((a - b) / b).abs() < 1e-6;
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(row.0, want.0);
        assert!(
            close(row.1, want.1)
                && close(row.2, want.2)
                && close(row.3, want.3)
                && close(row.4, want.4),
            "{row:?} vs {want:?}"
        );
    }
    // ε* ∝ B exactly (Theorem 1).
    assert!(close(rows[1].1, 10.0 * rows[0].1));
    // SGLD, B = 10, ε = 0.1 of the stability limit: (ε, tr(PΣ)/d, largest variance ratio).
    assert!(
        close(sgld_row.0, 0.000112409999)
            && close(sgld_row.1, 2.11142132)
            && close(sgld_row.2, 5.19748480),
        "{sgld_row:?}"
    );
}

/// Largest eigenvalue of Σ_post^{-1/2} Σ Σ_post^{-1/2}: the largest variance ratio over directions.
fn largest_relative_variance(sigma: &DMatrix<f64>, posterior: &DMatrix<f64>) -> f64 {
    let l = posterior.clone().cholesky().unwrap().l();
    let li = l.clone().try_inverse().unwrap();
    let m = &li * sigma * li.transpose();
    SymmetricEigen::new((&m + m.transpose()) * 0.5)
        .eigenvalues
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max)
}

/// SGLD with B = 10 with replacement at a tenth of its mean-stability limit.
fn sgld_config(model: &LinearRegression) -> SamplerConfig {
    let probe = SamplerConfig::new(SamplerKind::Sgld, 1e-6, 10, Batching::WithReplacement);
    let limit = stability_limit(&probe, model);
    SamplerConfig::new(
        SamplerKind::Sgld,
        0.1 * limit,
        10,
        Batching::WithReplacement,
    )
}

/// SGLD on real data against its exact discrete-time stationary law.
///
/// Null: the draws have the exact stationary mean and covariance of the affine map
/// (theory::TheoryReport). Statistic: `stats::gaussian_moment_test` (batch-means Wald tests of the
/// first and second moments along the law's principal axes, Bonferroni over functionals) at
/// α = 1e-6: 1 assertion. Run: B = 10 with replacement, ε = 0.1 of the stability limit, started at
/// the stationary mean, 10⁵ steps of burn-in (≈ 26 τ_max), 2·10⁶ steps thinned by 10 (the
/// slowest functional has τ ≈ 3800 steps, ESS ≈ 520; p = 0.04 on this seed).
/// Power (asserted): the exact posterior N(μ, P⁻¹), which ignores the minibatch noise, is rejected
/// (its variances are up to 5.2 times too small here).
#[test]
fn sgld_on_diabetes_matches_its_exact_law() {
    let model = diabetes();
    let config = sgld_config(&model);
    let report = TheoryReport::compute(&model, &config).unwrap();
    let law = &report.stationary;
    let seed = seed_of("sgld_on_diabetes");
    let mut chain = Chain::new(&model, &config, law.mean.as_slice(), seed).unwrap();
    let out = chain.record(
        &RunLength {
            steps: 2_000_000,
            burn_in: 100_000,
            thin: 10,
        },
        &mut (),
    );
    let test =
        gaussian_moment_test(&out.draws, &law.mean, &law.covariance, ALPHA_ASSERTION).unwrap();
    assert!(!test.reject, "{test}");
    let posterior = &report.posterior;
    let wrong = gaussian_moment_test(
        &out.draws,
        &posterior.mean,
        &posterior.covariance,
        ALPHA_ASSERTION,
    )
    .unwrap();
    assert!(
        wrong.reject,
        "power: the posterior is not rejected: {wrong}"
    );
}
