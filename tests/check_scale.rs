//! `check` at d = 100, where the moment test uses the scalable functional set (means, coordinate
//! and extreme eigen-direction variances, random directions, |z|²): a correct SGLD chain passes,
//! and the catalogue's wrong samplers — step size ×2 and ×½, injected noise ×2 in variance, N/B
//! dropped, a bursty heavy-tailed chain, a slow drift — are rejected.
//!
//! False-positive budget: the correct chain is one statistical assertion at α = ALPHA_ASSERTION
//! (1e-6); the wrong samplers are power checks at the same α. Seeds are fixed per entry.
//! `cargo test --release --test check_scale -- --nocapture` prints the table in
//! docs/verification.md.

mod common;

use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::check::{check_sampler, ChainDraws, CheckOptions, CheckReport, ExactLaw, Verdict};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::{LinearRegression, Model};
use sgbayes::problem::Problem;
use sgbayes::stats::budget::ALPHA_ASSERTION;
use sgbayes::theory::{self, DrawAt};

const D: usize = 100;
const N: usize = 1_000;
const B: usize = 10;
/// Steps per chain; the writer keeps every `THIN`-th.
const STEPS: usize = 250_000;
const THIN: usize = 5;

fn problem() -> LinearRegression {
    random_linear_regression(D, N, fixed_seed_of("check-scale-problem"))
}

/// SGLD, B = 10 with replacement, at 4 % of the mean stability limit (the law keeps finite
/// fourth moments, so the whole family runs, and 2ε still has a law).
fn declared(model: &LinearRegression) -> SamplerConfig {
    let c = SamplerConfig::new(SamplerKind::Sgld, 1.0, B, Batching::WithReplacement);
    SamplerConfig {
        step_size: 0.04 * theory::stability_limit(&c, model),
        ..c
    }
}

fn run(model: &LinearRegression, config: &SamplerConfig, start: &[f64], seed: u64) -> Vec<f64> {
    let mut chain = Chain::new(model, config, start, seed).unwrap();
    chain
        .record(
            &RunLength {
                burn_in: 20_000,
                steps: STEPS,
                thin: THIN,
            },
            &mut (),
        )
        .draws
}

fn check(model: &LinearRegression, draws: &[f64], config: &SamplerConfig) -> CheckReport {
    let view = ChainDraws::single(draws, D).unwrap();
    let options = CheckOptions {
        alpha: ALPHA_ASSERTION,
        diagnose: false,
        ..CheckOptions::default()
    };
    let problem = Problem::LinearRegression(model.clone());
    check_sampler(&view, &problem, config, DrawAt::EveryStep, &options).unwrap()
}

fn expect(name: &str, report: &CheckReport, verdict: Verdict) {
    let strongest = report
        .robust_tests
        .iter()
        .min_by(|a, b| (a.p_value / a.alpha).total_cmp(&(b.p_value / b.alpha)))
        .map(|t| format!("{} = {:.3} (bound {:.3})", t.name, t.estimate, t.null_bound))
        .unwrap_or_default();
    let moment = report
        .moment_test
        .as_ref()
        .and_then(|m| {
            m.functionals
                .iter()
                .min_by(|a, b| a.p_value.total_cmp(&b.p_value))
        })
        .map(|f| format!("; moment: {} t = {:.1}", f.name, f.statistic))
        .unwrap_or_default();
    println!(
        "| {name} | {:?} | {:.2e} | {strongest}{moment} |",
        report.verdict, report.p_value
    );
    assert_eq!(report.verdict, verdict, "{name}: {}", report.message);
}

/// SGLD written by hand: θ ← θ − (ε/2) ĝ + sqrt(noise_variance · ε) ξ, B = 10 with replacement.
fn hand_written_sgld(
    model: &LinearRegression,
    eps: f64,
    noise_variance: f64,
    start: &[f64],
    seed: u64,
) -> Vec<f64> {
    let n_data = model.data_size();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = start.to_vec();
    let mut grad = vec![0.0; D];
    let mut draws = Vec::with_capacity(STEPS / THIN * D);
    for t in 0..STEPS + 20_000 {
        let batch: Vec<usize> = (0..B).map(|_| rng.gen_range(0..n_data)).collect();
        model.prior_gradient(&theta, &mut grad);
        model.add_batch_gradient(&batch, &theta, n_data as f64 / B as f64, &mut grad);
        for i in 0..D {
            let noise: f64 = rng.sample(StandardNormal);
            theta[i] += -0.5 * eps * grad[i] + (noise_variance * eps).sqrt() * noise;
        }
        if t >= 20_000 && (t - 20_000) % THIN == 0 {
            draws.extend_from_slice(&theta);
        }
    }
    draws
}

#[test]
fn d100_correct_chain_passes_and_wrong_samplers_are_rejected() {
    let model = problem();
    let config = declared(&model);
    let law = ExactLaw::of_sampler(&model, &config, DrawAt::EveryStep).unwrap();
    assert!(law.fourth_moments, "the declared law must pass the screen");
    let start = law.mean.as_slice().to_vec();

    let correct = run(&model, &config, &start, seed_of("check-scale-correct"));
    let report = check(&model, &correct, &config);
    expect("d = 100: correct SGLD chain", &report, Verdict::Consistent);
    let moment = report.moment_test.as_ref().expect("the moment test ran");
    assert_eq!(moment.functionals.len(), 2 * D + 33);

    let scaled = |factor: f64| SamplerConfig {
        step_size: factor * config.step_size,
        ..config
    };
    for (name, writer) in [
        ("d = 100: SGLD at 2 eps", scaled(2.0)),
        ("d = 100: SGLD at eps/2", scaled(0.5)),
    ] {
        let draws = run(&model, &writer, &start, fixed_seed_of(name));
        expect(name, &check(&model, &draws, &config), Verdict::Inconsistent);
    }
    let name = "d = 100: SGLD with noise sqrt(2 eps)";
    let draws = hand_written_sgld(&model, config.step_size, 2.0, &start, fixed_seed_of(name));
    expect(name, &check(&model, &draws, &config), Verdict::Inconsistent);
    let name = "d = 100: SGLD with N/B dropped";
    let dropped = LinearRegression::new(
        model.feature_rows(),
        model.targets().to_vec(),
        model.noise_variance() * (N / B) as f64,
        model.prior_precision_scalar(),
    )
    .unwrap();
    let draws = run(&dropped, &config, &start, fixed_seed_of(name));
    expect(name, &check(&model, &draws, &config), Verdict::Inconsistent);

    // The catalogue's bursty chains: deviations scaled by 40 in bursts covering half the draws,
    // and by 10 in rare bursts covering about 1 % of them (bursts of mean length 500).
    for (name, rate, scale) in [
        (
            "d = 100: bursty heavy-tailed (x40 bursts, half the draws)",
            2e-3,
            40.0,
        ),
        ("d = 100: rare bursts (1% of draws, x10)", 2e-5, 10.0),
    ] {
        let mut rng = ChaCha8Rng::seed_from_u64(fixed_seed_of(name));
        let mut bursty = correct.clone();
        let mut in_burst = false;
        for x in bursty.chunks_exact_mut(D) {
            in_burst = if in_burst {
                rng.gen::<f64>() > 1.0 / 500.0
            } else {
                rng.gen::<f64>() < rate
            };
            if in_burst {
                for (xi, m) in x.iter_mut().zip(law.mean.iter()) {
                    *xi = m + scale * (*xi - m);
                }
            }
        }
        expect(
            name,
            &check(&model, &bursty, &config),
            Verdict::Inconsistent,
        );
    }

    // A slow drift of the whole chain from −0.5 to +0.5 law standard deviations along every
    // coordinate (the mean is right on average).
    let n = correct.len() / D;
    let sd: Vec<f64> = (0..D).map(|i| law.covariance[(i, i)].sqrt()).collect();
    let drift: Vec<f64> = correct
        .chunks_exact(D)
        .enumerate()
        .flat_map(|(t, x)| {
            let shift = -0.5 + t as f64 / n as f64;
            x.iter()
                .zip(&sd)
                .map(move |(xi, s)| xi + shift * s)
                .collect::<Vec<f64>>()
        })
        .collect();
    expect(
        "d = 100: slow drift -0.5 sd -> +0.5 sd",
        &check(&model, &drift, &config),
        Verdict::Inconsistent,
    );
}
