//! Bug catalogue of SGNHT (docs/bug-catalogue.md, "SGNHT"): deliberately wrong variants of
//! Ding et al.'s (2014) Algorithm 1, each run as a chain and judged by the posterior-with-tolerance
//! check (δ_m = 0.1 sd, δ_v = 10 %, α = 1e-6) or by the divergence guard, with the expected verdict;
//! the correct sampler (both orders) is the control. The variant's step is written here from the
//! paper (the correct one equals the crate's step: `reimplemented_step_equals_the_real_one`).
//!
//! `cargo test --release --test bug_catalogue_sgnht -- --nocapture` prints the table.

mod common;

use common::{random_linear_regression, seed_of};
use sgbayes::batching::{minibatch_gradient, Batching};
use sgbayes::chain::{Chain, DivergenceGuard, DrawRecorder, RunLength};
use sgbayes::check::tolerance::{check_tolerance_posterior, ToleranceOptions, ToleranceVerdict};
use sgbayes::check::ChainDraws;
use sgbayes::config::{SamplerConfig, SamplerKind, SghmcOrder};
use sgbayes::models::Model;
use sgbayes::problem::Problem;
use sgbayes::samplers::{self, Sampler};
use sgbayes::theory;

/// The step h, diffusion A and batch size B of every entry (the configuration of
/// tests/sgnht.rs, within tolerance when correct).
const STEP: f64 = 0.003;
const DIFFUSION: f64 = 10.0;
const BATCH: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mistake {
    /// The correct step (control).
    None,
    /// ξ ← ξ + (pᵀp − 1) h: the kinetic energy summed, not averaged (temperature 1/d).
    ThermostatSum,
    /// ξ ← ξ − (pᵀp/d − 1) h: the feedback's sign flipped (ξ runs away).
    ThermostatSignFlipped,
    /// ĝ = ∇R + Σ_{i∈S} ∇ℓ_i: the N/B scaling dropped (a prior-dominated posterior).
    NoDataScaling,
    /// θ ← θ + p h² (the u = h p form's position update applied to p): mass 1/h, temperature h.
    PositionStepSquared,
    /// Noise √(A h) instead of √(2A h): the thermostat settles at A/2 and absorbs it.
    NoiseHalfVariance,
}

/// What the judge should say.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expected {
    Within,
    Outside,
    Diverges,
}

struct Variant {
    mistake: Mistake,
    position_first: bool,
    xi: [f64; 1],
    gradient: Vec<f64>,
}

impl Sampler for Variant {
    fn state_dimension(&self) -> usize {
        2 * self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        let mut state = theta.to_vec();
        state.extend(theta.iter().map(|_| 0.0));
        state
    }
    fn auxiliary_state(&self) -> &[f64] {
        &self.xi
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = self.gradient.len();
        let h = STEP;
        let (theta, p) = state.split_at_mut(d);
        if self.mistake == Mistake::NoDataScaling {
            model.prior_gradient(theta, &mut self.gradient);
            for &i in batch {
                model.add_example_gradient(i, theta, 1.0, &mut self.gradient);
            }
        } else {
            minibatch_gradient(model, theta, batch, &mut self.gradient);
        }
        let diffusion = if self.mistake == Mistake::NoiseHalfVariance {
            DIFFUSION / 2.0
        } else {
            DIFFUSION
        };
        let retention = 1.0 - self.xi[0] * h;
        let noise_scale = (2.0 * diffusion * h).sqrt();
        let position_scale = if self.mistake == Mistake::PositionStepSquared {
            h * h
        } else {
            h
        };
        let mut kinetic = 0.0;
        for k in 0..d {
            let next = retention * p[k] - h * self.gradient[k] + noise_scale * noise[k];
            theta[k] += position_scale * if self.position_first { p[k] } else { next };
            p[k] = next;
            kinetic += next * next;
        }
        let energy = match self.mistake {
            Mistake::ThermostatSum => kinetic,
            _ => kinetic / d as f64,
        };
        let sign = if self.mistake == Mistake::ThermostatSignFlipped {
            -1.0
        } else {
            1.0
        };
        self.xi[0] += sign * (energy - 1.0) * h;
    }
}

fn variant(mistake: Mistake, position_first: bool) -> Box<dyn Sampler> {
    Box::new(Variant {
        mistake,
        position_first,
        xi: [DIFFUSION],
        gradient: vec![0.0; 2],
    })
}

fn problem() -> Problem {
    Problem::LinearRegression(random_linear_regression(2, 100, seed_of("sgnht-posterior")))
}

/// The entries: mistake, order, expected verdict, predicted effect.
fn catalogue() -> Vec<(Mistake, bool, Expected, &'static str)> {
    vec![
        (
            Mistake::None,
            false,
            Expected::Within,
            "none (control, momentum first)",
        ),
        (
            Mistake::None,
            true,
            Expected::Within,
            "none (control, position first)",
        ),
        (
            Mistake::ThermostatSum,
            false,
            Expected::Outside,
            "temperature 1/d = 1/2: variances -50 %",
        ),
        (
            Mistake::ThermostatSignFlipped,
            false,
            Expected::Diverges,
            "xi runs away: the chain overflows",
        ),
        (
            Mistake::NoDataScaling,
            false,
            Expected::Outside,
            "posterior of N = B = 10 points: means and variances off",
        ),
        (
            Mistake::PositionStepSquared,
            false,
            Expected::Outside,
            "mass 1/h: temperature h = 0.003",
        ),
        (
            Mistake::NoiseHalfVariance,
            false,
            Expected::Within,
            "none: xi settles at A/2 (the thermostat's purpose)",
        ),
    ]
}

/// The verdict on one entry: diverged, or the tolerance check's verdict and message.
/// `steps` after a burn-in of 20 000: 2 000 000 for the entries expected within tolerance (a
/// "within" claim needs the intervals inside ±δ) and for the slowly mixing position step h²
/// (at 400 000 steps: "cannot tell"), 400 000 for the other gross effects.
fn judge(
    problem: &Problem,
    sampler: Box<dyn Sampler>,
    seed: u64,
    steps: usize,
) -> (Expected, String) {
    let model = problem.quadratic().unwrap();
    let start: Vec<f64> = theory::exact_posterior(model)
        .unwrap()
        .mean
        .iter()
        .copied()
        .collect();
    let mut chain = Chain::with_sampler(
        problem.model(),
        sampler,
        Batching::WithoutReplacement,
        BATCH,
        &start,
        seed,
    )
    .unwrap();
    let length = RunLength {
        burn_in: 20_000,
        steps,
        thin: 1,
    };
    let mut recorder = DrawRecorder::new(2, chain.draw_capacity(&length));
    let mut guard = DivergenceGuard::default();
    chain.execute(&length, &mut (&mut recorder, &mut guard));
    if let Err(e) = guard.result() {
        return (Expected::Diverges, e.to_string());
    }
    let options = ToleranceOptions {
        alpha: 1e-6,
        ..ToleranceOptions::default()
    };
    let report = check_tolerance_posterior(
        &ChainDraws::single(&recorder.draws, 2).unwrap(),
        problem,
        &options,
    )
    .unwrap();
    let verdict = match report.verdict {
        ToleranceVerdict::WithinTolerance => Expected::Within,
        ToleranceVerdict::OutsideTolerance => Expected::Outside,
        ToleranceVerdict::CannotTell => {
            return (Expected::Within, format!("CANNOT TELL: {}", report.message))
        }
    };
    (verdict, report.message)
}

#[test]
fn every_sgnht_bug_gets_its_expected_verdict() {
    let problem = problem();
    println!("| entry | order | predicted effect | expected | verdict | evidence |");
    println!("|---|---|---|---|---|---|");
    let mut wrong = Vec::new();
    for (mistake, position_first, expected, effect) in catalogue() {
        let seed = seed_of(&format!("sgnht-bug-{mistake:?}-{position_first}"));
        let steps = if expected == Expected::Within || mistake == Mistake::PositionStepSquared {
            2_000_000
        } else {
            400_000
        };
        let (verdict, message) = judge(&problem, variant(mistake, position_first), seed, steps);
        let order = if position_first {
            "position first"
        } else {
            "momentum first"
        };
        println!("| {mistake:?} | {order} | {effect} | {expected:?} | {verdict:?} | {message} |");
        if verdict != expected || message.starts_with("CANNOT TELL") {
            wrong.push(format!(
                "{mistake:?} ({order}): expected {expected:?}, got {verdict:?}: {message}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The variant without a mistake is the crate's step, bit for bit, in both orders.
#[test]
fn reimplemented_step_equals_the_real_one() {
    let problem = problem();
    for order in [SghmcOrder::VelocityFirst, SghmcOrder::PositionFirst] {
        let config = SamplerConfig::new(
            SamplerKind::Sgnht {
                friction: DIFFUSION,
                order,
            },
            STEP,
            BATCH,
            Batching::WithoutReplacement,
        );
        let real = samplers::build(&config, 2, 100).unwrap();
        let mine = variant(Mistake::None, order == SghmcOrder::PositionFirst);
        let draws = |sampler: Box<dyn Sampler>| {
            let mut chain = Chain::with_sampler(
                problem.model(),
                sampler,
                Batching::WithoutReplacement,
                BATCH,
                &[0.1, -0.2],
                5,
            )
            .unwrap();
            let out = chain.record(
                &RunLength {
                    burn_in: 0,
                    steps: 5_000,
                    thin: 1,
                },
                &mut (),
            );
            (out.draws, chain.auxiliary_state().to_vec())
        };
        assert_eq!(draws(real), draws(mine), "{order:?}");
    }
}
