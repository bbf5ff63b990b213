//! Power catalogue of `check`: chains written the way other programs go wrong — bursty and
//! heavy-tailed, random walks, slow drifts, stuck, rare huge outliers, NaN at the end, unburnt,
//! momentum in another update order, the common convention mistakes — each with its expected
//! verdict, beside correct chains that must pass (thinned, several chains, SGHMC, and SGLD near
//! the mean-square stability limit, where the exact law has power-law tails).
//!
//! False-positive budget: each correct chain is one statistical assertion at α = ALPHA_ASSERTION
//! (1e-6); the broken chains are power checks at the same α. Seeds are fixed per entry.
//!
//! `cargo test --release --test check_catalogue -- --nocapture` prints the table of verdicts and
//! effect sizes that docs/verification.md shows.

mod common;

use common::*;
use nalgebra::DVector;
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
use sgbayes::Error;

fn problem() -> LinearRegression {
    random_linear_regression(2, 40, fixed_seed_of("check-catalogue-problem"))
}

fn sgld(step_size: f64, batch_size: usize) -> SamplerConfig {
    SamplerConfig::new(
        SamplerKind::Sgld,
        step_size,
        batch_size,
        Batching::WithReplacement,
    )
}

fn sghmc(step_size: f64) -> SamplerConfig {
    SamplerConfig::new(
        SamplerKind::Sghmc {
            friction: 0.1,
            noise_estimate: 0.0,
        },
        step_size,
        4,
        Batching::WithReplacement,
    )
}

/// The largest ε (bisection) at which `config` has a stationary law: the mean-square limit.
fn mean_square_limit(config: &SamplerConfig) -> f64 {
    let model = problem();
    let exists = |eps: f64| {
        let c = SamplerConfig {
            step_size: eps,
            ..*config
        };
        ExactLaw::of_sampler(&model, &c, DrawAt::EveryStep).is_ok()
    };
    let (mut lo, mut hi) = (0.0, theory::stability_limit(config, &model));
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if exists(mid) {
            lo = mid
        } else {
            hi = mid
        }
    }
    lo
}

/// The declared configuration of most entries: SGLD, B = 4 with replacement, ε = 0.15 × the
/// mean-square limit (so that 2ε still has a law with finite fourth moments).
fn declared() -> SamplerConfig {
    let c = sgld(1.0, 4);
    sgld(0.15 * mean_square_limit(&c), 4)
}

/// `steps` draws of our sampler, started at `start` (the law's mean if `None`).
fn run(
    model: &LinearRegression,
    config: &SamplerConfig,
    steps: usize,
    thin: usize,
    burn_in: usize,
    start: Option<Vec<f64>>,
    seed: u64,
) -> Vec<f64> {
    let law = ExactLaw::of_sampler(model, config, DrawAt::EveryStep).unwrap();
    let initial = start.unwrap_or_else(|| law.mean.as_slice().to_vec());
    let mut chain = Chain::new(model, config, &initial, seed).unwrap();
    chain
        .record(
            &RunLength {
                burn_in,
                steps,
                thin,
            },
            &mut (),
        )
        .draws
}

fn check(
    draws: &[f64],
    chains: usize,
    config: &SamplerConfig,
    options: CheckOptions,
) -> CheckReport {
    let model = problem();
    let d = model.dimension();
    let view = ChainDraws::new(draws, chains, draws.len() / d / chains, d).unwrap();
    let problem = Problem::LinearRegression(model);
    check_sampler(&view, &problem, config, DrawAt::EveryStep, &options).unwrap()
}

fn options() -> CheckOptions {
    CheckOptions {
        alpha: ALPHA_ASSERTION,
        ..CheckOptions::default()
    }
}

/// The strongest rejecting (or the smallest-p) test and its statistic, for the table.
fn effect(report: &CheckReport) -> String {
    let robust = report
        .robust_tests
        .iter()
        .min_by(|a, b| (a.p_value / a.alpha).total_cmp(&(b.p_value / b.alpha)));
    let mut text = match robust {
        Some(t) => format!("{} = {:.3} (bound {:.3})", t.name, t.estimate, t.null_bound),
        None => String::new(),
    };
    if let Some(d) = report.diagnosis.as_ref().and_then(|d| d.best.as_ref()) {
        text.push_str(&format!("; diagnosis: {}", d.mistake));
    }
    text
}

fn row(name: &str, report: &CheckReport) {
    println!(
        "| {name} | {:?} | {:.2e} | {} |",
        report.verdict,
        report.p_value,
        effect(report)
    );
}

fn expect(name: &str, report: &CheckReport, verdict: Verdict) {
    row(name, report);
    assert_eq!(report.verdict, verdict, "{name}: {}", report.message);
}

/// Correct chains pass: plain, thinned by the writer, thinned by the check, several chains.
#[test]
fn correct_chains_pass() {
    let model = problem();
    let config = declared();
    let draws = run(
        &model,
        &config,
        200_000,
        1,
        0,
        None,
        seed_of("catalogue-correct"),
    );
    expect(
        "correct SGLD chain",
        &check(&draws, 1, &config, options()),
        Verdict::Consistent,
    );
    let thinned = run(
        &model,
        &config,
        1_000_000,
        10,
        0,
        None,
        seed_of("catalogue-thinned"),
    );
    expect(
        "correct chain thinned x10 by the writer",
        &check(&thinned, 1, &config, options()),
        Verdict::Consistent,
    );
    let check_thinned = CheckOptions {
        thin: 5,
        burn_in: 1_000,
        ..options()
    };
    expect(
        "correct chain, --burn-in 1000 --thin 5",
        &check(&draws, 1, &config, check_thinned),
        Verdict::Consistent,
    );
    let mut four = Vec::new();
    for k in 0..4 {
        four.extend(run(
            &model,
            &config,
            50_000,
            1,
            0,
            None,
            seed_of(&format!("catalogue-chain-{k}")),
        ));
    }
    let report = check(&four, 4, &config, options());
    expect("4 correct chains", &report, Verdict::Consistent);
    assert!(report.split_rhat.unwrap() < 1.01, "{:?}", report.split_rhat);
}

/// Correct SGHMC and SGLD near the mean-square stability limit (heavy Kesten tails) pass.
#[test]
fn correct_chains_with_momentum_or_heavy_tails_pass() {
    let model = problem();
    let config = sghmc(0.2 * mean_square_limit(&sghmc(1.0)));
    let draws = run(
        &model,
        &config,
        400_000,
        1,
        0,
        None,
        seed_of("catalogue-sghmc"),
    );
    expect(
        "correct SGHMC chain",
        &check(&draws, 1, &config, options()),
        Verdict::Consistent,
    );

    let lo = mean_square_limit(&sgld(1.0, 1));
    for fraction in [0.8, 0.95] {
        let config = sgld(fraction * lo, 1);
        let law = ExactLaw::of_sampler(&model, &config, DrawAt::EveryStep).unwrap();
        let draws = run(
            &model,
            &config,
            1_000_000,
            1,
            0,
            None,
            seed_of(&format!("catalogue-kesten-{fraction}")),
        );
        let report = check(&draws, 1, &config, options());
        expect(
            &format!(
                "correct SGLD at {fraction} x the mean-square limit (fourth moments: {})",
                law.fourth_moments
            ),
            &report,
            Verdict::Consistent,
        );
    }
}

/// Scales the deviations of a correct chain from the law's mean by a regime-switching factor:
/// bursts of mean length `burst` entered with probability `rate` per draw, during which the
/// deviation is multiplied by `scale`.
fn bursty(
    draws: &[f64],
    mean: &DVector<f64>,
    rate: f64,
    burst: f64,
    scale: f64,
    seed: u64,
) -> Vec<f64> {
    let d = mean.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut in_burst = false;
    let mut out = draws.to_vec();
    for x in out.chunks_exact_mut(d) {
        in_burst = if in_burst {
            rng.gen::<f64>() > 1.0 / burst
        } else {
            rng.gen::<f64>() < rate
        };
        if in_burst {
            for i in 0..d {
                x[i] = mean[i] + scale * (x[i] - mean[i]);
            }
        }
    }
    out
}

/// Broken chains that look like real samplers' failures are inconsistent — never "run longer".
#[test]
fn broken_chains_are_inconsistent() {
    let model = problem();
    let config = declared();
    let law = ExactLaw::of_sampler(&model, &config, DrawAt::EveryStep).unwrap();
    let d = 2;
    let sd: Vec<f64> = (0..d).map(|i| law.covariance[(i, i)].sqrt()).collect();
    let draws = run(
        &model,
        &config,
        200_000,
        1,
        0,
        None,
        fixed_seed_of("catalogue-base"),
    );

    // Bursty and heavy-tailed: half the draws inside bursts of scale 40 (variance x1600 there).
    let b = bursty(
        &draws,
        &law.mean,
        2e-3,
        500.0,
        40.0,
        fixed_seed_of("catalogue-bursty"),
    );
    expect(
        "bursty heavy-tailed (x40 bursts, half the draws)",
        &check(&b, 1, &config, options()),
        Verdict::Inconsistent,
    );
    // Rare bursts: 1% of the draws, scale 10.
    let b = bursty(
        &draws,
        &law.mean,
        2e-5,
        500.0,
        10.0,
        fixed_seed_of("catalogue-rare-bursts"),
    );
    expect(
        "rare bursts (1% of draws, x10)",
        &check(&b, 1, &config, options()),
        Verdict::Inconsistent,
    );

    // A random walk 100 standard deviations away, with tiny steps (ESS of a few draws).
    let mut rng = ChaCha8Rng::seed_from_u64(fixed_seed_of("catalogue-random-walk"));
    let mut x: Vec<f64> = (0..d).map(|i| law.mean[i] + 100.0 * sd[i]).collect();
    let walk: Vec<f64> = (0..20_000)
        .flat_map(|_| {
            for i in 0..d {
                x[i] += 0.05 * sd[i] * rng.sample::<f64, _>(StandardNormal);
            }
            x.clone()
        })
        .collect();
    expect(
        "random walk 100 sd away (20k draws)",
        &check(&walk, 1, &config, options()),
        Verdict::Inconsistent,
    );
    // A random walk started at the mean.
    let mut x: Vec<f64> = law.mean.as_slice().to_vec();
    let walk: Vec<f64> = (0..100_000)
        .flat_map(|_| {
            for i in 0..d {
                x[i] += 0.1 * sd[i] * rng.sample::<f64, _>(StandardNormal);
            }
            x.clone()
        })
        .collect();
    expect(
        "random walk from the mean (100k draws)",
        &check(&walk, 1, &config, options()),
        Verdict::Inconsistent,
    );

    // A slow drift from −1 to +1 standard deviation over the run (mean right on average).
    let n = draws.len() / d;
    let drift: Vec<f64> = draws
        .chunks_exact(d)
        .enumerate()
        .flat_map(|(t, x)| {
            let shift = -1.0 + 2.0 * t as f64 / n as f64;
            (0..d).map(|i| x[i] + shift * sd[i]).collect::<Vec<f64>>()
        })
        .collect();
    expect(
        "slow drift -1 sd -> +1 sd",
        &check(&drift, 1, &config, options()),
        Verdict::Inconsistent,
    );

    // Stuck at the mean.
    let stuck: Vec<f64> = (0..50_000)
        .flat_map(|_| law.mean.iter().copied().collect::<Vec<_>>())
        .collect();
    expect(
        "stuck chain",
        &check(&stuck, 1, &config, options()),
        Verdict::Inconsistent,
    );
    // Stuck for most of the run after a correct start.
    let mut half_stuck = draws.clone();
    let frozen = half_stuck[2 * 10_000..2 * 10_000 + d].to_vec();
    for x in half_stuck.chunks_exact_mut(d).skip(10_000) {
        x.copy_from_slice(&frozen);
    }
    expect(
        "stuck after 10k draws",
        &check(&half_stuck, 1, &config, options()),
        Verdict::Inconsistent,
    );

    // Five huge outliers (10⁶ sd) among 200 000 correct draws.
    let mut outliers = draws.clone();
    for k in 0..5 {
        let t = 30_000 * (k + 1);
        outliers[t * d] = law.mean[0] + 1e6 * sd[0];
    }
    expect(
        "5 outliers at 1e6 sd",
        &check(&outliers, 1, &config, options()),
        Verdict::Inconsistent,
    );

    // Unburnt: 20 000 draws started 1000 sd away; consistent once the burn-in is discarded.
    let start: Vec<f64> = (0..d).map(|i| law.mean[i] + 1000.0 * sd[i]).collect();
    let unburnt = run(
        &model,
        &config,
        20_000,
        1,
        0,
        Some(start),
        fixed_seed_of("catalogue-unburnt"),
    );
    let report = check(&unburnt, 1, &config, options());
    expect(
        "unburnt chain started 1000 sd away (20k draws)",
        &report,
        Verdict::Inconsistent,
    );
    let burnt = CheckOptions {
        burn_in: 2_000,
        ..options()
    };
    expect(
        "the same with --burn-in 2000",
        &check(&unburnt, 1, &config, burnt),
        Verdict::Consistent,
    );

    // Several chains, one of them stuck far away.
    let mut chains = draws[..2 * 100_000].to_vec();
    chains.extend(
        (0..100_000).flat_map(|t| vec![law.mean[0] + 3.0 * sd[0] + 1e-9 * t as f64, law.mean[1]]),
    );
    expect(
        "2 chains, one frozen 3 sd away",
        &check(&chains, 2, &config, options()),
        Verdict::Inconsistent,
    );
}

/// A correct chain with NaN rows at the end: exit-2 error naming the first row and the count.
#[test]
fn nan_rows_are_named() {
    let model = problem();
    let config = declared();
    let mut draws = run(
        &model,
        &config,
        1_000,
        1,
        0,
        None,
        fixed_seed_of("catalogue-nan"),
    );
    for v in draws[2 * 997..].iter_mut() {
        *v = f64::NAN;
    }
    let view = ChainDraws::single(&draws, 2).unwrap();
    let problem = Problem::LinearRegression(model);
    match check_sampler(&view, &problem, &config, DrawAt::EveryStep, &options()) {
        Err(Error::NonFinite { what }) => {
            assert!(
                what.contains("row 997") && what.contains("3 rows"),
                "{what}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// The convention mistakes of the diagnosis catalogue are named.
#[test]
fn convention_mistakes_are_diagnosed() {
    let model = problem();
    let config = declared();
    let cases: Vec<(&str, SamplerConfig, Option<LinearRegression>, &str)> = vec![
        (
            "SGLD at 2 eps (a library taking eps/2)",
            SamplerConfig {
                step_size: 2.0 * config.step_size,
                ..config
            },
            None,
            "step_size_x2",
        ),
        (
            "SGLD at eps/2",
            SamplerConfig {
                step_size: 0.5 * config.step_size,
                ..config
            },
            None,
            "step_size_x0.5",
        ),
        (
            "SGLD with N/B dropped",
            config,
            Some(
                LinearRegression::new(
                    model.feature_rows(),
                    model.targets().to_vec(),
                    model.noise_variance() * 10.0,
                    model.prior_precision_scalar(),
                )
                .unwrap(),
            ),
            "minibatch_scale_dropped",
        ),
        (
            "SGLD with batches drawn without replacement",
            SamplerConfig {
                batching: Batching::WithoutReplacement,
                ..config
            },
            None,
            "other_batching",
        ),
    ];
    // SGLD with the injected noise sqrt(2 eps) xi (the drift of sgbayes' convention, the noise of
    // theta += eps grad log p + sqrt(2 eps) xi), written by hand.
    {
        let name = "SGLD with noise sqrt(2 eps)";
        let draws = hand_written_sgld(&model, config.step_size, 2.0, 400_000, fixed_seed_of(name));
        let report = check(&draws, 1, &config, options());
        expect(name, &report, Verdict::Inconsistent);
        let best = report.diagnosis.as_ref().and_then(|d| d.best.as_ref());
        assert_eq!(
            best.map(|b| b.mistake.as_str()),
            Some("noise_variance_x2"),
            "{}",
            report.message
        );
    }
    for (name, writer, writer_model, expected) in cases {
        let writer_model = writer_model.unwrap_or_else(problem);
        let draws = run(
            &writer_model,
            &writer,
            400_000,
            1,
            0,
            None,
            fixed_seed_of(name),
        );
        let report = check(&draws, 1, &config, options());
        expect(name, &report, Verdict::Inconsistent);
        let best = report
            .diagnosis
            .as_ref()
            .and_then(|d| d.best.as_ref())
            .unwrap_or_else(|| panic!("{name}: no diagnosis: {}", report.message));
        assert_eq!(best.mistake, expected, "{name}: {}", report.message);
    }
}

/// SGLD, B = 4 with replacement, θ ← θ − (ε/2) ĝ + sqrt(noise_variance · ε) ξ, after 20 000 steps.
fn hand_written_sgld(
    model: &LinearRegression,
    eps: f64,
    noise_variance: f64,
    steps: usize,
    seed: u64,
) -> Vec<f64> {
    let d = model.dimension();
    let n_data = model.data_size();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut theta = vec![0.0; d];
    let mut grad = vec![0.0; d];
    let mut draws = Vec::with_capacity(steps * d);
    for t in 0..steps + 20_000 {
        let batch: Vec<usize> = (0..4).map(|_| rng.gen_range(0..n_data)).collect();
        model.prior_gradient(&theta, &mut grad);
        model.add_batch_gradient(&batch, &theta, n_data as f64 / 4.0, &mut grad);
        for i in 0..d {
            let noise: f64 = rng.sample(StandardNormal);
            theta[i] += -0.5 * eps * grad[i] + (noise_variance * eps).sqrt() * noise;
        }
        if t >= 20_000 {
            draws.extend_from_slice(&theta);
        }
    }
    draws
}

/// SGHMC written in another order (explicit Euler: θ ← θ + v with the old v, then
/// v ← (1 − α) v − ε ĝ(θ_old) + noise) has another law. (The order "θ ← θ + v_old, then v from
/// ĝ(θ_new)" is the same chain as ours shifted by one velocity, with the same θ-law.)
#[test]
fn momentum_in_another_order_is_inconsistent() {
    let model = problem();
    let config = sghmc(0.3 * mean_square_limit(&sghmc(1.0)));
    let law = ExactLaw::of_sampler(&model, &config, DrawAt::EveryStep).unwrap();
    let (eps, alpha) = (config.step_size, 0.1);
    let d = 2;
    let n_data = model.data_size();
    let mut rng = ChaCha8Rng::seed_from_u64(fixed_seed_of("catalogue-explicit-euler"));
    let mut theta: Vec<f64> = law.mean.as_slice().to_vec();
    let mut v = vec![0.0; d];
    let mut grad = vec![0.0; d];
    let mut draws = Vec::with_capacity(400_000 * d);
    for t in 0..420_000 {
        let batch: Vec<usize> = (0..4).map(|_| rng.gen_range(0..n_data)).collect();
        model.prior_gradient(&theta, &mut grad);
        model.add_batch_gradient(&batch, &theta, n_data as f64 / 4.0, &mut grad);
        for i in 0..d {
            theta[i] += v[i];
            let noise: f64 = rng.sample(StandardNormal);
            v[i] = (1.0 - alpha) * v[i] - eps * grad[i] + (2.0 * alpha * eps).sqrt() * noise;
        }
        if t >= 20_000 {
            draws.extend_from_slice(&theta);
        }
    }
    let report = check(&draws, 1, &config, options());
    expect(
        "SGHMC in explicit-Euler order",
        &report,
        Verdict::Inconsistent,
    );
}
