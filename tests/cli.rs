//! The command-line contract end to end: exit codes, JSON shapes and clean errors.

use std::path::PathBuf;
use std::process::Command;

fn sgbayes(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sgbayes"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sgbayes-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn problem_file(name: &str) -> String {
    let (code, out, _) = sgbayes(&[
        "problem",
        "linear-regression",
        "--dim",
        "2",
        "--data",
        "40",
        "--seed",
        "5",
    ]);
    assert_eq!(code, 0);
    let path = temp(name);
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

fn assert_clean_error((code, _, err): (i32, String, String), what: &str) {
    assert_eq!(code, 2, "{what}: exit code {code}, stderr {err}");
    assert!(
        !err.contains("panicked") && err.trim().lines().count() == 1,
        "{what}: {err}"
    );
}

#[test]
fn theory_prints_the_contract_keys() {
    let p = problem_file("theory.json");
    let (code, out, err) = sgbayes(&[
        "theory",
        "--problem",
        &p,
        "--sampler",
        "sgd",
        "--eps",
        "0.1",
        "--batch",
        "4",
        "--batching",
        "without-replacement",
    ]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["posterior", "stationary", "stationary_continuous"] {
        assert_eq!(j[key]["covariance"].as_array().unwrap().len(), 2);
        assert_eq!(j[key]["mean"].as_array().unwrap().len(), 2);
    }
    for key in ["kl_stationary_to_posterior", "temperature", "optimal_eps"] {
        assert!(j[key].is_number(), "{key}: {}", j[key]);
    }
}

#[test]
fn sample_then_check_accepts_and_a_wrong_law_rejects() {
    let p = problem_file("roundtrip.json");
    let draws = temp("draws.npy").display().to_string();
    let common = [
        "--problem",
        p.as_str(),
        "--sampler",
        "sgld",
        "--eps",
        "0.005",
        "--batch",
        "4",
        "--batching",
        "with-replacement",
    ];
    let mut args = vec!["sample"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&[
        "--steps",
        "200000",
        "--burn-in",
        "2000",
        "--thin",
        "5",
        "--seed",
        "3",
        "--out",
        &draws,
    ]);
    let (code, out, err) = sgbayes(&args);
    assert_eq!(code, 0, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["draws"], 40000);
    let mut args = vec!["check"];
    args.extend_from_slice(&common);
    args.extend_from_slice(&["--draws", &draws, "--alpha", "1e-6"]);
    let (code, out, err) = sgbayes(&args);
    assert_eq!(code, 0, "{out}{err}");
    // The same draws judged as SGD draws at another step size: inconsistent.
    let (code, out, _) = sgbayes(&[
        "check",
        "--problem",
        &p,
        "--sampler",
        "sgld",
        "--eps",
        "0.02",
        "--batch",
        "4",
        "--batching",
        "with-replacement",
        "--draws",
        &draws,
        "--alpha",
        "1e-6",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn bad_inputs_are_one_line_errors_with_exit_code_two() {
    let p = problem_file("bad.json");
    let base = |eps: &str, batch: &str| -> Vec<String> {
        [
            "theory",
            "--problem",
            &p,
            "--sampler",
            "sgld",
            "--eps",
            eps,
            "--batch",
            batch,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    for (eps, batch, what) in [
        ("0", "3", "eps 0"),
        ("-1", "3", "negative eps"),
        ("nan", "3", "NaN eps"),
        ("inf", "3", "infinite eps"),
        ("100", "3", "past limit"),
        ("0.01", "0", "batch 0"),
        ("0.01", "41", "batch > N"),
    ] {
        let args = base(eps, batch);
        assert_clean_error(
            sgbayes(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
            what,
        );
    }
    // Reshuffling on linear regression (state-dependent noise) with N = 40 > 16: beyond the exact
    // enumeration, a clean error.
    let mut args = base("0.01", "4");
    args.extend(["--batching".to_string(), "reshuffle".to_string()]);
    assert_clean_error(
        sgbayes(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        "reshuffle",
    );
    // Malformed and inconsistent problem files.
    for (name, text) in [
        ("malformed.json", "{not json"),
        (
            "ragged.json",
            r#"{"model":"linear_regression","features":[[1,2],[3]],"targets":[1,2],"noise_variance":1,"prior_precision":1}"#,
        ),
        (
            "targets.json",
            r#"{"model":"linear_regression","features":[[1,2],[3,4]],"targets":[1],"noise_variance":1,"prior_precision":1}"#,
        ),
        (
            "sigma.json",
            r#"{"model":"linear_regression","features":[[1,2],[3,4]],"targets":[1,2],"noise_variance":-1,"prior_precision":1}"#,
        ),
        (
            "unknown.json",
            r#"{"model":"logistic","features":[[1]],"targets":[1]}"#,
        ),
        (
            "notpd.json",
            r#"{"model":"gaussian_mean","curvature":[[1,2],[2,1]],"centres":[[0,0]],"prior_mean":[0,0],"prior_precision":1}"#,
        ),
    ] {
        let path = temp(name);
        std::fs::write(&path, text).unwrap();
        let path = path.display().to_string();
        assert_clean_error(
            sgbayes(&[
                "theory",
                "--problem",
                &path,
                "--sampler",
                "sgld",
                "--eps",
                "0.01",
                "--batch",
                "1",
            ]),
            name,
        );
    }
    // Malformed draws and mismatched dimensions.
    let junk = temp("junk.npy");
    std::fs::write(&junk, b"not an npy file").unwrap();
    let junk = junk.display().to_string();
    assert_clean_error(
        sgbayes(&[
            "check",
            "--problem",
            &p,
            "--sampler",
            "sgld",
            "--eps",
            "0.01",
            "--batch",
            "4",
            "--draws",
            &junk,
        ]),
        "junk npy",
    );
    let three = temp("three.npy");
    sgbayes::problem::write_draws(&three, &vec![0.0; 300], 3).unwrap();
    let three = three.display().to_string();
    assert_clean_error(
        sgbayes(&[
            "check",
            "--problem",
            &p,
            "--sampler",
            "sgld",
            "--eps",
            "0.01",
            "--batch",
            "4",
            "--draws",
            &three,
        ]),
        "dimension mismatch",
    );
    let missing = temp("missing.npy").display().to_string();
    assert_clean_error(
        sgbayes(&[
            "check",
            "--problem",
            &p,
            "--sampler",
            "sgld",
            "--eps",
            "0.01",
            "--batch",
            "4",
            "--draws",
            &missing,
        ]),
        "missing file",
    );
}

#[test]
fn reproduce_list_runs() {
    let (code, out, _) = sgbayes(&["reproduce", "list"]);
    assert_eq!(code, 0);
    assert!(!out.trim().is_empty());
}

/// The samplers of issue 3 through theory, sample and check: the contract keys, the θ-marginal
/// shapes, and a round trip whose check runs at α = 1e-6 (one statistical assertion per sampler).
#[test]
fn momentum_samplers_work_through_theory_sample_and_check() {
    let p = problem_file("momentum.json");
    let cases: [&[&str]; 2] = [
        &[
            "--sampler",
            "sgd-momentum",
            "--damping",
            "0.3",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sghmc",
            "--friction",
            "0.2",
            "--noise-estimate",
            "0.05",
            "--eps",
            "0.0005",
        ],
    ];
    for (k, sampler) in cases.iter().enumerate() {
        let mut base = vec!["--problem", p.as_str(), "--batch", "4"];
        base.extend_from_slice(sampler);
        let mut args = vec!["theory"];
        args.extend_from_slice(&base);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{sampler:?}: {err}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        for key in ["posterior", "stationary", "stationary_continuous"] {
            assert_eq!(j[key]["covariance"].as_array().unwrap().len(), 2);
            assert_eq!(j[key]["mean"].as_array().unwrap().len(), 2);
        }
        assert!(j["kl_stationary_to_posterior"].is_number());
        let draws = temp(&format!("momentum-{k}.npy")).display().to_string();
        let mut args = vec!["sample"];
        args.extend_from_slice(&base);
        args.extend_from_slice(&[
            "--steps",
            "400000",
            "--burn-in",
            "5000",
            "--thin",
            "4",
            "--seed",
            "11",
            "--out",
            &draws,
        ]);
        let (code, _, err) = sgbayes(&args);
        assert_eq!(code, 0, "{sampler:?}: {err}");
        let mut args = vec!["check"];
        args.extend_from_slice(&base);
        args.extend_from_slice(&["--draws", &draws, "--alpha", "1e-6"]);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{sampler:?}: {out} {err}");
    }
}

#[test]
fn bad_momentum_parameters_exit_2_with_one_line() {
    let p = problem_file("momentum-bad.json");
    for extra in [
        &["--sampler", "sgd-momentum", "--eps", "0.05"][..],
        &[
            "--sampler",
            "sgd-momentum",
            "--damping",
            "0",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgd-momentum",
            "--damping",
            "1.5",
            "--eps",
            "0.05",
        ],
        &["--sampler", "sghmc", "--eps", "0.001"],
        &[
            "--sampler",
            "sghmc",
            "--friction",
            "0.1",
            "--noise-estimate",
            "0.2",
            "--eps",
            "0.001",
        ],
        &["--sampler", "sgd", "--damping", "0.5", "--eps", "0.05"],
        &["--sampler", "sgld", "--friction", "0.5", "--eps", "0.05"],
    ] {
        let mut args = vec!["theory", "--problem", p.as_str(), "--batch", "4"];
        args.extend_from_slice(extra);
        assert_clean_error(sgbayes(&args), &format!("{extra:?}"));
    }
}

/// The preconditioned samplers through theory, sample and check (one check at α = 1e-6 each).
#[test]
fn preconditioned_samplers_work_through_theory_sample_and_check() {
    let p = problem_file("preconditioned.json");
    let h = temp("h.json");
    std::fs::write(&h, "[[2.0, 0.5], [0.5, 1.0]]").unwrap();
    let h = h.display().to_string();
    let cases: [&[&str]; 5] = [
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            &h,
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            "optimal",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            "optimal-diagonal",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "psgld",
            "--preconditioner",
            &h,
            "--eps",
            "0.002",
        ],
        &["--sampler", "ngd", "--eps", "0.1"],
    ];
    for (k, sampler) in cases.iter().enumerate() {
        let mut base = vec!["--problem", p.as_str(), "--batch", "4"];
        base.extend_from_slice(sampler);
        let mut args = vec!["theory"];
        args.extend_from_slice(&base);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{sampler:?}: {err}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(j["stationary"]["covariance"].as_array().unwrap().len(), 2);
        assert!(j["kl_stationary_to_posterior"].is_number());
        let draws = temp(&format!("preconditioned-{k}.npy"))
            .display()
            .to_string();
        let mut args = vec!["sample"];
        args.extend_from_slice(&base);
        args.extend_from_slice(&[
            "--steps",
            "400000",
            "--burn-in",
            "5000",
            "--thin",
            "4",
            "--seed",
            "13",
            "--out",
            &draws,
        ]);
        let (code, _, err) = sgbayes(&args);
        assert_eq!(code, 0, "{sampler:?}: {err}");
        let mut args = vec!["check"];
        args.extend_from_slice(&base);
        args.extend_from_slice(&["--draws", &draws, "--alpha", "1e-6"]);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{sampler:?}: {out} {err}");
    }
}

#[test]
fn bad_preconditioners_exit_2_with_one_line() {
    let p = problem_file("preconditioned-bad.json");
    let not_spd = temp("not-spd.json");
    std::fs::write(&not_spd, "[[1.0, 2.0], [2.0, 1.0]]").unwrap();
    let three = temp("three.json");
    std::fs::write(&three, "[[1,0,0],[0,1,0],[0,0,1]]").unwrap();
    let garbage = temp("garbage.json");
    std::fs::write(&garbage, "{\"not\": \"a matrix\"}").unwrap();
    let (not_spd, three, garbage) = (
        not_spd.display().to_string(),
        three.display().to_string(),
        garbage.display().to_string(),
    );
    for extra in [
        &["--sampler", "sgd-preconditioned", "--eps", "0.05"][..],
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            &not_spd,
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            &three,
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            &garbage,
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgd-preconditioned",
            "--preconditioner",
            "/nonexistent.json",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "psgld",
            "--preconditioner",
            "optimal",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "ngd",
            "--preconditioner",
            "optimal",
            "--eps",
            "0.05",
        ],
        &[
            "--sampler",
            "sgld",
            "--preconditioner",
            &three,
            "--eps",
            "0.05",
        ],
    ] {
        let mut args = vec!["theory", "--problem", p.as_str(), "--batch", "4"];
        args.extend_from_slice(extra);
        assert_clean_error(sgbayes(&args), &format!("{extra:?}"));
    }
}

/// ASGS through theory, sample (window means) and check; the window off by one is rejected.
#[test]
fn asgs_window_means_work_through_theory_sample_and_check() {
    let p = problem_file("asgs.json");
    let draws = temp("asgs.npy").display().to_string();
    let base = |window: &'static str| {
        vec![
            "--problem",
            p.as_str(),
            "--sampler",
            "asgs",
            "--window",
            window,
            "--eps",
            "0.5",
            "--batch",
            "4",
        ]
    };
    let mut args = vec!["theory"];
    args.extend(base("10"));
    let (code, out, err) = sgbayes(&args);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(j["temperature"].is_number());
    let mut args = vec!["sample"];
    args.extend(base("10"));
    args.extend_from_slice(&[
        "--steps",
        "600000",
        "--burn-in",
        "1000",
        "--seed",
        "5",
        "--out",
        &draws,
    ]);
    let (code, out, err) = sgbayes(&args);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["draws"], 60_000);
    for (window, want) in [("10", 0), ("11", 1)] {
        let mut args = vec!["check"];
        args.extend(base(window));
        args.extend_from_slice(&["--draws", &draws, "--alpha", "1e-6"]);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, want, "window {window}: {out} {err}");
    }
    let mut args = vec!["theory"];
    args.extend(base("0"));
    assert_clean_error(sgbayes(&args), "window 0");
    assert_clean_error(
        sgbayes(&[
            "theory",
            "--problem",
            &p,
            "--sampler",
            "asgs",
            "--eps",
            "0.5",
            "--batch",
            "4",
        ]),
        "missing window",
    );
}

/// `sgworld` (SGLD with reshuffled batches) on a Gaussian-mean problem: theory, sample and check
/// at every step and at epoch ends; epoch-end draws judged against the every-step law fail.
#[test]
fn sgworld_round_trip_on_a_gaussian_mean_problem() {
    let centres: Vec<Vec<f64>> = (0..12)
        .map(|i| vec![(i as f64 * 0.7).sin() * 2.0, (i as f64 * 1.3).cos()])
        .collect();
    let problem = serde_json::json!({
        "model": "gaussian_mean", "curvature": [[1.0, 0.2], [0.2, 0.5]], "centres": centres,
        "prior_mean": [0.0, 0.0], "prior_precision": 0.5,
    });
    let path = temp("gm.json");
    std::fs::write(&path, problem.to_string()).unwrap();
    let p = path.display().to_string();
    let common = [
        "--problem",
        p.as_str(),
        "--sampler",
        "sgworld",
        "--eps",
        "0.05",
        "--batch",
        "4",
    ];
    for draw_at in ["every-step", "epoch-end"] {
        let mut args = vec!["theory"];
        args.extend_from_slice(&common);
        args.extend_from_slice(&["--draw-at", draw_at]);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{err}");
        let j: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(j["batching"], "reshuffle");
        let draws = temp(&format!("sgworld-{draw_at}.npy"))
            .display()
            .to_string();
        let mut args = vec!["sample"];
        args.extend_from_slice(&common);
        args.extend_from_slice(&[
            "--draw-at",
            draw_at,
            "--steps",
            "600000",
            "--burn-in",
            "1000",
            "--seed",
            "9",
            "--out",
            &draws,
        ]);
        let (code, _, err) = sgbayes(&args);
        assert_eq!(code, 0, "{err}");
        let mut args = vec!["check"];
        args.extend_from_slice(&common);
        args.extend_from_slice(&["--draw-at", draw_at, "--draws", &draws, "--alpha", "1e-6"]);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{draw_at}: {out}{err}");
    }
    // --draw-at epoch-end without reshuffling is a usage error.
    let (code, _, err) = sgbayes(&[
        "theory",
        "--problem",
        &p,
        "--sampler",
        "sgld",
        "--eps",
        "0.05",
        "--batch",
        "4",
        "--draw-at",
        "epoch-end",
    ]);
    assert_eq!(code, 2, "{err}");
}

/// Above the exact solver's dimension limit, `theory` refuses with the limit while `sample` still
/// runs (from the posterior mean).
#[test]
fn sampling_works_above_the_exact_solver_limit() {
    let (code, out, _) = sgbayes(&[
        "problem",
        "linear-regression",
        "--dim",
        "70",
        "--data",
        "100",
        "--seed",
        "2",
    ]);
    assert_eq!(code, 0);
    let path = temp("d70.json");
    std::fs::write(&path, out).unwrap();
    let p = path.display().to_string();
    let (code, _, err) = sgbayes(&[
        "theory",
        "--problem",
        &p,
        "--sampler",
        "sgld",
        "--eps",
        "1e-5",
        "--batch",
        "10",
    ]);
    // Above the dense solver's d = 64 the iterative exact solver answers.
    assert_eq!(code, 0, "{err}");
    let draws = temp("d70.npy").display().to_string();
    let (code, out, err) = sgbayes(&[
        "sample",
        "--problem",
        &p,
        "--sampler",
        "sgld",
        "--eps",
        "1e-5",
        "--batch",
        "10",
        "--steps",
        "1000",
        "--thin",
        "10",
        "--out",
        &draws,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"draws\": 100"), "{out}");
}

/// The issue-7 models and the Gaussian-scale model through the CLI: `problem` writes a file that
/// reads back, `theory` prints its closed forms (or a clean "no closed form"), `sample` runs, and
/// `check` refuses a model without an exact law with a one-line exit 2.
#[test]
fn non_gaussian_models_work_through_problem_theory_and_sample() {
    let cases: [(&str, &[&str], &str, &[&str]); 6] = [
        (
            "logistic-regression",
            &["--dim", "2", "--data", "200"],
            "stochastic-ngd",
            &["--eps", "0.01", "--batch", "10", "--temperature", "2"],
        ),
        (
            "deep-linear",
            &["--data", "100", "--label-noise", "0.1"],
            "sgd",
            &["--eps", "0.01", "--batch", "4"],
        ),
        (
            "teacher-student",
            &["--outputs", "2", "--inputs", "3", "--data", "40"],
            "sgd",
            &["--eps", "0.3", "--batch", "4"],
        ),
        (
            "two-layer",
            &["--width", "16", "--data", "10"],
            "sgld",
            &["--eps", "0.0005", "--batch", "5"],
        ),
        (
            "tanh-regression",
            &[],
            "sgd",
            &["--eps", "0.0002", "--batch", "10"],
        ),
        (
            "gaussian-scale",
            &["--data", "5", "--parametrisation", "scale"],
            "stochastic-ngd",
            &[
                "--eps",
                "0.01",
                "--batch",
                "5",
                "--batching",
                "without-replacement",
            ],
        ),
    ];
    for (kind, problem_args, sampler, sampler_args) in cases {
        let mut args = vec!["problem", kind];
        args.extend_from_slice(problem_args);
        let (code, out, err) = sgbayes(&args);
        assert_eq!(code, 0, "{kind}: {err}");
        let path = temp(&format!("{kind}.json"));
        std::fs::write(&path, &out).unwrap();
        let path = path.display().to_string();
        let base = |command: &'static str| {
            let mut a = vec![command, "--problem", path.as_str(), "--sampler", sampler];
            a.extend_from_slice(sampler_args);
            a
        };
        let (code, out, err) = sgbayes(&base("theory"));
        if kind == "gaussian-scale" || kind == "logistic-regression" {
            assert_eq!(code, 2, "{kind}: {out}");
            assert!(err.contains("no closed form"), "{kind}: {err}");
        } else {
            assert_eq!(code, 0, "{kind}: {err}");
            let json: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert!(json["closed_forms"].is_object(), "{kind}: {out}");
        }
        let draws = temp(&format!("{kind}.npy")).display().to_string();
        let mut sample = base("sample");
        sample.extend_from_slice(&["--steps", "2000", "--thin", "10", "--out", draws.as_str()]);
        let (code, out, err) = sgbayes(&sample);
        assert_eq!(code, 0, "{kind}: {err}");
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["non_finite_draws"], 0, "{kind}: {out}");
        if kind != "teacher-student" {
            let mut check = base("check");
            check.extend_from_slice(&["--draws", draws.as_str()]);
            assert_clean_error(sgbayes(&check), kind);
        }
    }
    // Bad generator input: one-line exit 2.
    assert_clean_error(
        sgbayes(&["problem", "deep-linear", "--depth", "1"]),
        "depth 1",
    );
    assert_clean_error(
        sgbayes(&["problem", "two-layer", "--temperature", "-1"]),
        "negative temperature",
    );
    assert_clean_error(
        sgbayes(&["problem", "teacher-student", "--rank", "0"]),
        "rank 0",
    );
    assert_clean_error(
        sgbayes(&["problem", "gaussian-scale", "--data", "0"]),
        "no data",
    );
}

/// Near the mean-square limit the stationary law exists but may lack fourth moments (heavy tails
/// from multiplicative minibatch noise): `check` still gives a verdict, from the tests that need
/// second moments only, and says so in `notes` (linear regression, d = 2, N = 40, B = 1: the law
/// exists up to ε ≈ 0.035). One statistical assertion at α = 1e-6.
#[test]
fn check_answers_heavy_tailed_laws_with_the_reduced_family() {
    let path = problem_file("heavy-tails.json");
    let draws = temp("heavy-tails.npy").display().to_string();
    let args = |eps: &'static str| {
        vec![
            "--problem",
            path.as_str(),
            "--sampler",
            "sgld",
            "--eps",
            eps,
            "--batch",
            "1",
        ]
    };
    let mut sample = vec!["sample"];
    sample.extend(args("0.03"));
    sample.extend(["--steps", "400000", "--seed", "11", "--out", draws.as_str()]);
    let (code, _, err) = sgbayes(&sample);
    assert_eq!(code, 0, "{err}");
    let mut check = vec!["check"];
    check.extend(args("0.03"));
    check.extend(["--draws", draws.as_str(), "--alpha", "1e-6"]);
    let (code, out, err) = sgbayes(&check);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("fourth moments"),
        "{out}"
    );
    assert_eq!(report["full_family"], false);
}

/// Draws as users have them: float32, Fortran order, [chains, draws, D], several files, burn-in
/// and thinning; clear messages for 1-d, transposed and non-finite files; a random walk far away
/// is inconsistent (exit 1) with a one-line stderr summary, not a request for more draws.
/// One statistical assertion (the float32 round trip) at α = 1e-6.
#[test]
fn check_reads_draws_as_users_have_them() {
    let path = problem_file("formats.json");
    let raw = temp("formats-raw.npy");
    let raw_s = raw.display().to_string();
    let base = |draws: Vec<String>, extra: &[&str]| {
        let mut args: Vec<String> = [
            "check",
            "--problem",
            &path,
            "--sampler",
            "sgld",
            "--eps",
            "0.003",
            "--batch",
            "4",
            "--alpha",
            "1e-6",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for d in draws {
            args.push("--draws".into());
            args.push(d);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        sgbayes(&refs)
    };
    let (code, _, err) = sgbayes(&[
        "sample",
        "--problem",
        &path,
        "--sampler",
        "sgld",
        "--eps",
        "0.003",
        "--batch",
        "4",
        "--steps",
        "200000",
        "--burn-in",
        "2000",
        "--seed",
        "3",
        "--out",
        &raw_s,
    ]);
    assert_eq!(code, 0, "{err}");
    let array: ndarray::Array2<f64> = ndarray_npy::read_npy(&raw).unwrap();
    // float32 in Fortran order, with --burn-in and --thin.
    let f32_path = temp("formats-f32-fortran.npy");
    let fortran = array
        .mapv(|v| v as f32)
        .reversed_axes()
        .as_standard_layout()
        .reversed_axes()
        .to_owned();
    assert!(fortran.t().is_standard_layout());
    ndarray_npy::write_npy(&f32_path, &fortran).unwrap();
    let (code, out, err) = base(
        vec![f32_path.display().to_string()],
        &["--burn-in", "100", "--thin", "2"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["draws_per_chain"], 99_950);
    // Two files = two chains; and one [2, draws, D] array.
    let halves: Vec<String> = (0..2)
        .map(|k| {
            let p = temp(&format!("formats-half-{k}.npy"));
            let half = array
                .slice(ndarray::s![k * 100_000..(k + 1) * 100_000, ..])
                .to_owned();
            ndarray_npy::write_npy(&p, &half).unwrap();
            p.display().to_string()
        })
        .collect();
    let (code, out, err) = base(halves.clone(), &[]);
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["chains"], 2);
    assert!(report["split_rhat"].as_f64().unwrap() < 1.01);
    // Shapes: 1-d, transposed, 3 columns.
    let one_d = temp("formats-1d.npy");
    ndarray_npy::write_npy(&one_d, &array.column(0).to_owned()).unwrap();
    let (code, _, err) = base(vec![one_d.display().to_string()], &[]);
    assert!(code == 2 && err.contains("reshape(-1, 1)"), "{err}");
    let transposed = temp("formats-transposed.npy");
    ndarray_npy::write_npy(&transposed, &array.t().as_standard_layout().to_owned()).unwrap();
    let (code, _, err) = base(vec![transposed.display().to_string()], &[]);
    assert!(code == 2 && err.contains("transposed"), "{err}");
    // NaN rows at the end: the first row and the count.
    let mut broken = array.clone();
    broken.slice_mut(ndarray::s![199_990.., ..]).fill(f64::NAN);
    let nan_path = temp("formats-nan.npy");
    ndarray_npy::write_npy(&nan_path, &broken).unwrap();
    let (code, _, err) = base(vec![nan_path.display().to_string()], &[]);
    assert!(
        code == 2 && err.contains("row 199990") && err.contains("10 rows"),
        "{err}"
    );
    // A random walk 100 posterior sd away: inconsistent, never "run longer".
    let sd = array.column(0).std(0.0);
    let mut walk = ndarray::Array2::<f64>::zeros((20_000, 2));
    let mut x = [array[[0, 0]] + 100.0 * sd, array[[0, 1]]];
    for t in 0..20_000 {
        x[0] += 0.01 * sd * ((t * 7919 % 1000) as f64 / 500.0 - 1.0);
        x[1] += 0.01 * sd * ((t * 104_729 % 997) as f64 / 498.5 - 1.0);
        walk[[t, 0]] = x[0];
        walk[[t, 1]] = x[1];
    }
    let walk_path = temp("formats-walk.npy");
    ndarray_npy::write_npy(&walk_path, &walk).unwrap();
    let (code, out, err) = base(vec![walk_path.display().to_string()], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.trim().lines().count() == 1 && err.contains("inconsistent"),
        "{err}"
    );
}

/// Ctrl-C during `sample`: the draws so far are written as a valid .npy, the JSON summary says
/// `interrupted`, one line on stderr says so, and the exit code is 130.
#[cfg(unix)]
#[test]
fn ctrl_c_during_sample_writes_the_draws_so_far() {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};
    let p = problem_file("interrupt.json");
    let draws = temp("interrupted.npy");
    // 2·10⁹ steps would take hours: the run can only end by the interrupt.
    let args = [
        "sample",
        "--problem",
        &p,
        "--sampler",
        "sgld",
        "--eps",
        "0.001",
        "--batch",
        "4",
        "--steps",
        "2000000000",
        "--thin",
        "1000",
        "--seed",
        "3",
        "--out",
    ];
    // The handler is installed when `sample` starts; a signal that comes earlier ends the process
    // by SIGINT itself, so retry with a longer wait (start-up is slow on a loaded machine).
    for wait in [1u64, 3, 9, 27] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sgbayes"))
            .args(args)
            .arg(&draws)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(wait));
        let status = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(120);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                child.kill().unwrap();
                panic!("sample did not stop within 120 s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        if out.status.signal() == Some(2) {
            continue; // interrupted before the handler was installed
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "stderr: {stderr}");
        assert!(stderr.contains("interrupted"), "stderr: {stderr}");
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(summary["interrupted"], true);
        let kept = summary["draws"].as_u64().unwrap() as usize;
        assert!(kept < 2_000_000, "{kept} draws");
        // A valid .npy with the draws so far: `check`'s reader accepts it.
        let bytes = std::fs::read(&draws).unwrap();
        assert!(bytes.starts_with(b"\x93NUMPY"));
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        let header = String::from_utf8_lossy(&bytes[10..10 + header_len]);
        assert!(
            header.contains(&format!("'shape': ({kept}, 2)")),
            "{header}"
        );
        assert_eq!(bytes.len(), 10 + header_len + kept * 2 * 8);
        return;
    }
    panic!("every SIGINT arrived before sample had installed its handler");
}
