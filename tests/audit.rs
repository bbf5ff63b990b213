//! Calibration audit (slow tier, `#[ignore]`): the false-alarm rate of the statistical check used
//! by the suite and by `sgbayes check`, measured on correct samplers under fresh seeds.
//!
//! Run: `SGBAYES_AUDIT_RESEEDS=200 cargo test --release --test audit -- --ignored --nocapture`
//!
//! For every configuration of a fixed catalogue (SGLD and SGD × with/without replacement ×
//! linear regression/Gaussian mean) and every reseed k, a chain of the real sampler is tested
//! against its exact stationary law. Reported: rejections at α = 0.01 and 0.05 of the
//! Bonferroni-combined test per configuration and overall with a 99.9% Clopper–Pearson interval,
//! and a Kolmogorov–Smirnov test that the per-functional p-values are uniform. The audit fails if
//! the overall rejection rate at α = 0.05 is incompatible with ≤ α (one-sided binomial, 1e-4), or
//! any functional's p-values fail the KS test (Bonferroni over functionals, 1e-4).
//!
//! The same chains also go through the whole `check` ([`sgbayes::check::check_draws`]: moment
//! test plus the robust family) at α = 0.05 and 0.01; its rejection rate is reported per
//! configuration and overall, with the rate of each robust test at its own share, and the overall
//! rate is held to the same binomial bound.

mod common;

use common::*;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::check::{check_draws, ChainDraws, CheckOptions, ExactLaw, Verdict};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::QuadraticModel;
use sgbayes::stats::gaussian_moment_test;
use sgbayes::theory;
use sgbayes::theory::DrawAt;
use statrs::distribution::{Beta, ContinuousCDF};

fn spectral_radius(m: &nalgebra::DMatrix<f64>) -> f64 {
    m.complex_eigenvalues()
        .iter()
        .map(|z| z.norm())
        .fold(0.0, f64::max)
}

/// Clopper–Pearson interval for k successes in n at confidence 1 − a.
fn clopper_pearson(k: usize, n: usize, a: f64) -> (f64, f64) {
    let lo = if k == 0 {
        0.0
    } else {
        Beta::new(k as f64, (n - k + 1) as f64)
            .unwrap()
            .inverse_cdf(a / 2.0)
    };
    let hi = if k == n {
        1.0
    } else {
        Beta::new((k + 1) as f64, (n - k) as f64)
            .unwrap()
            .inverse_cdf(1.0 - a / 2.0)
    };
    (lo, hi)
}

/// One-sample KS statistic against U(0, 1) and its asymptotic p-value.
fn ks_uniform(mut p: Vec<f64>) -> (f64, f64) {
    p.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = p.len() as f64;
    let d = p
        .iter()
        .enumerate()
        .map(|(i, &x)| (x - i as f64 / n).abs().max(((i + 1) as f64 / n - x).abs()))
        .fold(0.0, f64::max);
    let lambda = (n.sqrt() + 0.12 + 0.11 / n.sqrt()) * d;
    let pvalue = (1..100)
        .map(|j| 2.0 * (-1f64).powi(j - 1) * (-2.0 * (j as f64).powi(2) * lambda * lambda).exp())
        .sum::<f64>();
    (d, pvalue.clamp(0.0, 1.0))
}

#[test]
#[ignore = "slow calibration audit; see the module docs for the command"]
fn calibration_audit() {
    let reseeds: usize = std::env::var("SGBAYES_AUDIT_RESEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut rows = Vec::new();
    // p-values per functional name, one per run (independent across runs).
    let mut functional_p: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
    let (mut total, mut reject01, mut reject05) = (0usize, 0usize, 0usize);
    // The whole check: rejections at α = 0.01 / 0.05, runs without a verdict, and per robust test.
    let (mut check01, mut check05, mut no_verdict) = (0usize, 0usize, 0usize);
    let mut robust_rejections: std::collections::BTreeMap<String, usize> = Default::default();
    for kind in [SamplerKind::Sgld, SamplerKind::Sgd] {
        for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
            for regression in [true, false] {
                let model: Box<dyn QuadraticModel> = if regression {
                    Box::new(random_linear_regression(3, 40, seed_of("audit-lr")))
                } else {
                    Box::new(random_gaussian_mean(3, 40, seed_of("audit-gm")))
                };
                let mut config = SamplerConfig {
                    kind,
                    step_size: 1.0,
                    batch_size: 4,
                    batching,
                };
                config.step_size = 0.1 * theory::stability_limit(&config, model.as_ref());
                let law = theory::affine_map(&config, model.as_ref())
                    .unwrap()
                    .stationary_law()
                    .unwrap();
                let tau = 1.0 / (1.0 - spectral_radius(&law.mean_matrix));
                let steps = ((2000.0 * tau) as usize).max(50_000);
                let exact =
                    ExactLaw::of_sampler(model.as_ref(), &config, DrawAt::EveryStep).unwrap();
                let (mut r01, mut r05) = (0, 0);
                let (mut c01, mut c05) = (0, 0);
                for k in 0..reseeds {
                    let seed = seed_of(&format!("audit-{kind:?}-{batching:?}-{regression}-{k}"));
                    let mut chain =
                        Chain::new(model.as_ref(), &config, law.mean.as_slice(), seed).unwrap();
                    let out = chain.record(
                        &RunLength {
                            steps,
                            burn_in: (20.0 * tau) as usize,
                            thin: 1,
                        },
                        &mut (),
                    );
                    let report =
                        gaussian_moment_test(&out.draws, &law.mean, &law.covariance, 0.05).unwrap();
                    let view = ChainDraws::single(&out.draws, model.dimension()).unwrap();
                    for (level, counter) in [(0.01, &mut c01), (0.05, &mut c05)] {
                        let options = CheckOptions {
                            alpha: level,
                            diagnose: false,
                            ..CheckOptions::default()
                        };
                        let full = check_draws(&view, &exact, &options).unwrap();
                        *counter += (full.verdict == Verdict::Inconsistent) as usize;
                        no_verdict += (full.verdict == Verdict::NoVerdict) as usize;
                        if level == 0.05 {
                            for t in full.robust_tests.iter().filter(|t| t.reject) {
                                *robust_rejections.entry(t.name.clone()).or_default() += 1;
                            }
                        }
                    }
                    r01 += (report.p_value < 0.01) as usize;
                    r05 += (report.p_value < 0.05) as usize;
                    for f in &report.functionals {
                        functional_p
                            .entry(f.name.clone())
                            .or_default()
                            .push(f.p_value);
                    }
                }
                total += reseeds;
                check01 += c01;
                check05 += c05;
                reject01 += r01;
                reject05 += r05;
                rows.push(format!(
                    "| {} | {} | {} | {:.0} | {} | {r01}/{reseeds} | {r05}/{reseeds} | {c01}/{reseeds} | {c05}/{reseeds} |",
                    kind.name(),
                    batching.name(),
                    if regression {
                        "linear regression"
                    } else {
                        "Gaussian mean"
                    },
                    tau,
                    steps
                ));
            }
        }
    }
    let (lo05, hi05) = clopper_pearson(reject05, total, 1e-3);
    let (lo01, hi01) = clopper_pearson(reject01, total, 1e-3);
    // KS per functional (across runs), Bonferroni over functionals.
    let ks: Vec<(String, f64, f64)> = functional_p
        .iter()
        .map(|(name, p)| {
            let (d, pv) = ks_uniform(p.clone());
            (name.clone(), d, pv)
        })
        .collect();
    let ks_min = ks.iter().map(|k| k.2).fold(1.0, f64::min) * ks.len() as f64;
    println!("| sampler | batching | model | τ (steps) | steps | moment test α=0.01 | moment test α=0.05 | check α=0.01 | check α=0.05 |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for row in &rows {
        println!("{row}");
    }
    println!("overall: α=0.01: {reject01}/{total} (99.9% CI {lo01:.4}–{hi01:.4}); α=0.05: {reject05}/{total} (99.9% CI {lo05:.4}–{hi05:.4})");
    for (name, d, pv) in &ks {
        println!("KS uniformity of {name} p-values over {total} runs: D = {d:.4}, p = {pv:.3}");
    }
    println!(
        "Bonferroni-adjusted smallest KS p-value: {:.3}",
        ks_min.min(1.0)
    );
    let (clo05, chi05) = clopper_pearson(check05, total, 1e-3);
    println!("whole check: α=0.01: {check01}/{total}; α=0.05: {check05}/{total} (99.9% CI {clo05:.4}–{chi05:.4}); runs without a verdict: {no_verdict}");
    for (name, count) in &robust_rejections {
        println!("robust test {name} rejected at its share of α=0.05 in {count}/{total} runs");
    }
    let check_tail = 1.0
        - statrs::distribution::Binomial::new(0.05, total as u64)
            .map(|b| {
                use statrs::distribution::DiscreteCDF;
                b.cdf(check05.saturating_sub(1) as u64)
            })
            .unwrap();
    assert!(
        check_tail > 1e-4,
        "check rejection rate {check05}/{total} exceeds α = 0.05 (tail {check_tail:e})"
    );
    // One-sided: the Bonferroni-combined test must not reject more often than its level.
    let binomial_tail = 1.0
        - statrs::distribution::Binomial::new(0.05, total as u64)
            .map(|b| {
                use statrs::distribution::DiscreteCDF;
                b.cdf(reject05.saturating_sub(1) as u64)
            })
            .unwrap();
    assert!(
        binomial_tail > 1e-4,
        "rejection rate {reject05}/{total} exceeds α = 0.05 (tail {binomial_tail:e})"
    );
    assert!(
        ks_min > 1e-4,
        "per-functional p-values are not uniform: {ks:?}"
    );
}
