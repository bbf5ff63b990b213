//! SGNHT (Ding et al. 2014, Algorithm 1): its step against the paper's update and Chen's SGHMC
//! map, its draws against the posterior within tolerance, a wrong thermostat rejected, divergence
//! reported with its step.

mod common;

use common::*;
use nalgebra::{DMatrix, DVector};
use sgbayes::batching::{minibatch_gradient, Batching};
use sgbayes::chain::{Chain, DivergenceGuard, RunLength};
use sgbayes::check::tolerance::{check_tolerance_posterior, ToleranceOptions, ToleranceVerdict};
use sgbayes::check::ChainDraws;
use sgbayes::config::{SamplerConfig, SamplerKind, SghmcOrder};
use sgbayes::models::Model;
use sgbayes::problem::Problem;
use sgbayes::samplers::{self, Sampler};
use sgbayes::theory::{self, TheoryReport};

fn sgnht(friction: f64, order: SghmcOrder) -> SamplerKind {
    SamplerKind::Sgnht { friction, order }
}

/// One step of a fresh sampler (ξ = A) from `state` with minibatch `batch` and `noise`; the new
/// state and ξ.
fn one_step(
    model: &dyn Model,
    config: &SamplerConfig,
    state: &[f64],
    batch: &[usize],
    noise: &[f64],
) -> (Vec<f64>, f64) {
    let mut sampler = samplers::build(config, model.dimension(), model.data_size()).unwrap();
    let mut state = state.to_vec();
    sampler.step(model, &mut state, batch, noise);
    (state, sampler.auxiliary_state()[0])
}

/// The step equals Algorithm 1 written out here (momentum first; blackjax's position first), and
/// the thermostat moves by (pᵀp/d − 1) h.
#[test]
fn the_step_is_algorithm_1() {
    let model = random_linear_regression(3, 12, seed_of("sgnht-step"));
    let (h, a) = (0.05, 0.7);
    let theta = [0.3, -0.2, 0.5];
    let momentum = [0.4, 1.1, -0.6];
    let noise = [0.2, -1.3, 0.7];
    let batch = [4, 9, 4];
    let mut gradient = vec![0.0; 3];
    minibatch_gradient(&model, &theta, &batch, &mut gradient);
    for order in [SghmcOrder::VelocityFirst, SghmcOrder::PositionFirst] {
        let config = SamplerConfig::new(sgnht(a, order), h, 3, Batching::WithReplacement);
        let state: Vec<f64> = theta.iter().chain(&momentum).copied().collect();
        let (next, xi) = one_step(&model, &config, &state, &batch, &noise);
        let p: Vec<f64> = (0..3)
            .map(|k| {
                momentum[k] - a * momentum[k] * h - gradient[k] * h
                    + (2.0 * a * h).sqrt() * noise[k]
            })
            .collect();
        for k in 0..3 {
            let moved = if order == SghmcOrder::VelocityFirst {
                p[k]
            } else {
                momentum[k]
            };
            assert!(
                (next[k] - (theta[k] + moved * h)).abs() < 1e-14,
                "{order:?} θ"
            );
            assert!((next[3 + k] - p[k]).abs() < 1e-14, "{order:?} p");
        }
        let kinetic = p.iter().map(|v| v * v).sum::<f64>() / 3.0;
        assert!(
            (xi - (a + (kinetic - 1.0) * h)).abs() < 1e-14,
            "{order:?} ξ"
        );
    }
}

/// Probe: with the thermostat at A, one step on (θ, u = h p) is Chen et al.'s SGHMC step with
/// η = h², α = A h, β̂ = 0. The probed per-batch maps of the real step, solved by brute force, give
/// the exact law the crate's SGHMC closed forms give (velocity first and position first).
#[test]
fn the_frozen_thermostat_step_is_sghmc_with_learning_rate_h_squared() {
    let model = random_linear_regression(2, 4, seed_of("sgnht-probe"));
    let (h, a, b) = (0.04, 2.0, 2);
    for order in [SghmcOrder::VelocityFirst, SghmcOrder::PositionFirst] {
        let config = SamplerConfig::new(sgnht(a, order), h, b, Batching::WithoutReplacement);
        let n = 4;
        // (θ, u) = T (θ, p), T = diag(I, h I).
        let scale = |i: usize| if i < 2 { 1.0 } else { h };
        let zero = vec![0.0; 2];
        let pieces: Vec<(f64, DMatrix<f64>, DVector<f64>)> =
            enumerate_batches(4, b, Batching::WithoutReplacement)
                .into_iter()
                .map(|(batch, p)| {
                    let (origin, _) = one_step(&model, &config, &vec![0.0; n], &batch, &zero);
                    let c = DVector::from_fn(n, |i, _| scale(i) * origin[i]);
                    let m = DMatrix::from_fn(n, n, |i, j| {
                        let mut unit = vec![0.0; n];
                        unit[j] = 1.0;
                        let (moved, _) = one_step(&model, &config, &unit, &batch, &zero);
                        scale(i) * (moved[i] - origin[i]) / scale(j)
                    });
                    (p, m, c)
                })
                .collect();
        let all: Vec<usize> = (0..b).collect();
        let (base, _) = one_step(&model, &config, &vec![0.0; n], &all, &zero);
        let loading = DMatrix::from_fn(n, 2, |i, j| {
            let mut noise = vec![0.0; 2];
            noise[j] = 1.0;
            let (moved, _) = one_step(&model, &config, &vec![0.0; n], &all, &noise);
            scale(i) * (moved[i] - base[i])
        });
        let (mean, covariance) = brute_force_law(&pieces, &(&loading * loading.transpose()));
        let sghmc = SamplerConfig::new(
            SamplerKind::SghmcGeneral {
                friction: a * h,
                noise_estimate: 0.0,
                refresh_every: None,
                order,
                batch_per_trajectory: false,
            },
            h * h,
            b,
            Batching::WithoutReplacement,
        );
        let law = TheoryReport::compute(&model, &sghmc).unwrap().stationary;
        let theta_block = covariance.view((0, 0), (2, 2)).into_owned();
        assert!(
            (&law.mean - mean.rows(0, 2)).amax() < 1e-10,
            "{order:?}: mean {} vs probed {}",
            law.mean,
            mean
        );
        assert!(
            relative_error(&law.covariance, &theta_block) < 1e-9,
            "{order:?}: covariance {} vs probed {}",
            law.covariance,
            theta_block
        );
    }
    // The closed forms refuse SGNHT itself, saying where to go.
    let config = SamplerConfig::new(
        sgnht(a, SghmcOrder::VelocityFirst),
        h,
        b,
        Batching::WithReplacement,
    );
    let error = TheoryReport::compute(&model, &config)
        .unwrap_err()
        .to_string();
    assert!(error.contains("--mode tolerance"), "{error}");
    assert!(theory::reference_law_only(&config.kind).is_some());
}

/// The problem of the sampling tests: d = 2, N = 100, B = 10.
fn problem() -> Problem {
    Problem::LinearRegression(random_linear_regression(2, 100, seed_of("sgnht-posterior")))
}

fn posterior_mean(problem: &Problem) -> Vec<f64> {
    let model = problem.quadratic().unwrap();
    theory::exact_posterior(model)
        .unwrap()
        .mean
        .iter()
        .copied()
        .collect()
}

/// Draws of a sampler from the posterior mean: 2 000 000 steps after 20 000 of burn-in.
fn run(problem: &Problem, sampler: Box<dyn Sampler>, seed: u64) -> Vec<f64> {
    let mut chain = Chain::with_sampler(
        problem.model(),
        sampler,
        Batching::WithoutReplacement,
        10,
        &posterior_mean(problem),
        seed,
    )
    .unwrap();
    let out = chain.record(
        &RunLength {
            burn_in: 20_000,
            steps: 2_000_000,
            thin: 1,
        },
        &mut (),
    );
    assert_eq!(out.non_finite_draws, 0, "the chain diverged");
    out.draws
}

/// At h = 0.003, A = 10 the draws lie within 0.1 posterior sd (means) and 10 % (variances) of
/// the posterior at α = 1e-6 (measured: largest |variance error| 4 %, standard errors ≤ 0.007).
#[test]
fn sgnht_samples_the_posterior_within_tolerance_at_a_small_step() {
    let problem = problem();
    let config = SamplerConfig::new(
        sgnht(10.0, SghmcOrder::VelocityFirst),
        0.003,
        10,
        Batching::WithoutReplacement,
    );
    let sampler = samplers::build(&config, 2, 100).unwrap();
    let draws = run(&problem, sampler, seed_of("sgnht-within"));
    let options = ToleranceOptions {
        alpha: 1e-6,
        ..ToleranceOptions::default()
    };
    let report =
        check_tolerance_posterior(&ChainDraws::single(&draws, 2).unwrap(), &problem, &options)
            .unwrap();
    assert_eq!(
        report.verdict,
        ToleranceVerdict::WithinTolerance,
        "{}",
        report.message
    );
}

// The power tests (wrong thermostats, a dropped N/B, a position step of h², …) are the SGNHT
// entries of the bug catalogue: tests/bug_catalogue_sgnht.rs.

/// Past its stability limit the chain overflows; the guard stops it at the first non-finite state
/// and names the step (blackjax went on writing NaN draws).
#[test]
fn divergence_is_a_typed_error_naming_the_step() {
    let problem = problem();
    let config = SamplerConfig::new(
        sgnht(1.0, SghmcOrder::PositionFirst),
        0.3,
        10,
        Batching::WithReplacement,
    );
    let mut chain = Chain::new(problem.model(), &config, &posterior_mean(&problem), 1).unwrap();
    let mut guard = DivergenceGuard::default();
    let run = chain.execute(
        &RunLength {
            burn_in: 0,
            steps: 100_000,
            thin: 1,
        },
        &mut guard,
    );
    assert!(run.stopped);
    let step = guard.diverged_at.unwrap();
    assert_eq!(step, run.steps as u64);
    assert!(chain
        .state()
        .iter()
        .chain(chain.auxiliary_state())
        .any(|v| !v.is_finite()));
    match guard.result() {
        Err(sgbayes::Error::Diverged { step: named }) => assert_eq!(named, step),
        other => panic!("{other:?}"),
    }
    // A stable chain runs to its end.
    let config = SamplerConfig::new(
        sgnht(1.0, SghmcOrder::PositionFirst),
        0.003,
        10,
        Batching::WithReplacement,
    );
    let mut chain = Chain::new(problem.model(), &config, &posterior_mean(&problem), 1).unwrap();
    let mut guard = DivergenceGuard::default();
    let run = chain.execute(
        &RunLength {
            burn_in: 0,
            steps: 10_000,
            thin: 1,
        },
        &mut guard,
    );
    assert!(!run.stopped && guard.result().is_ok());
}

/// `sample` writes no file for a diverged chain and exits 2 naming the step.
#[test]
fn the_cli_refuses_to_write_a_diverged_chain() {
    let dir = std::env::temp_dir().join(format!("sgbayes-sgnht-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let problem = dir.join("problem.json");
    problem_file(&problem);
    let out = dir.join("draws.npy");
    let result = std::process::Command::new(env!("CARGO_BIN_EXE_sgbayes"))
        .args(["sample", "--problem"])
        .arg(&problem)
        .args([
            "--sampler",
            "sgnht",
            "--eps",
            "0.3",
            "--batch",
            "10",
            "--friction",
            "1",
            "--steps",
            "20000",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("diverged") && stderr.contains("after step"),
        "{stderr}"
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn problem_file(path: &std::path::Path) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sgbayes"))
        .args([
            "problem",
            "linear-regression",
            "--dim",
            "2",
            "--data",
            "100",
            "--seed",
            "1",
        ])
        .output()
        .unwrap();
    std::fs::write(path, output.stdout).unwrap();
}
