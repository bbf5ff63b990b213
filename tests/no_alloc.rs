//! Hot loops allocate nothing: a counting global allocator around `Chain::step` and the executor
//! `Chain::execute` with the provided observers.
//!
//! Each sampler's chain is built and warmed up (first-touch buffers), then the allocation counter
//! is reset and 10 000 steps are taken; the count must stay 0. Then a run of the executor with a
//! tuple of observers (draw recorder, streaming moments, stop flag, consecutive pairs, step,
//! epoch-end and draw closures reading the adaptive state) must allocate nothing either, for the
//! chain's own draws (states, or window means for ASGS) and for epoch-end draws.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use sgbayes::batching::Batching;
use sgbayes::chain::{
    each_draw, each_epoch_end, each_step, Chain, DrawRecorder, Draws, Flow, RunLength, StopFlag,
    Transitions,
};
use sgbayes::config::{Anchor, Preconditioner, SamplerConfig, SamplerId, SamplerKind, SghmcOrder};
use sgbayes::problem::generate_linear_regression;
use sgbayes::stats::StreamingMoments;

use common::allocation_counter::{Counting, ALLOCATIONS, COUNTING};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One test function only: the counter is global, and a second test thread would pollute it.
#[test]
fn sampler_steps_do_not_allocate() {
    COUNTING.with(|c| c.set(true));
    // Power: the counter does see an allocation.
    ALLOCATIONS.store(0, Ordering::SeqCst);
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(ALLOCATIONS.load(Ordering::SeqCst) >= 1 && v.len() == 16);

    let model = generate_linear_regression(5, 200, 3, 1.0, 1.0).unwrap();
    let rows: Vec<Vec<f64>> = (0..5)
        .map(|i| (0..5).map(|j| if i == j { 2.0 } else { 0.1 }).collect())
        .collect();
    let preconditioner = Preconditioner::from_rows(&rows).unwrap();
    let kinds = [
        SamplerKind::Sgld,
        SamplerKind::Sgd,
        SamplerKind::SgdMomentum { damping: 0.3 },
        SamplerKind::Sghmc {
            friction: 0.2,
            noise_estimate: 0.0,
        },
        SamplerKind::SgdPreconditioned { preconditioner },
        SamplerKind::Psgld { preconditioner },
        SamplerKind::PsgldRmsprop {
            decay: 0.99,
            regularizer: 1e-5,
        },
        SamplerKind::SgfsOnline { scale: 1.0 },
        // Stochastic NGD reads the constant metric of linear regression on its first step.
        SamplerKind::StochasticNgd { temperature: 1.0 },
        // NGD forms F⁻¹ on its first step (warm-up), into buffers allocated at construction.
        SamplerKind::Ngd,
        SamplerKind::Asgs { window: 10 },
        SamplerKind::Sgfs {
            fisher: preconditioner,
            scale: 1.0,
        },
        // The trajectory's minibatch is copied into a buffer allocated at construction.
        SamplerKind::SghmcGeneral {
            friction: 0.2,
            noise_estimate: 0.0,
            refresh_every: Some(7),
            order: SghmcOrder::PositionFirst,
            batch_per_trajectory: true,
        },
        // The anchor's full data gradient is taken into buffers allocated at construction.
        SamplerKind::SgldCv {
            anchor: Anchor::from_point(&[0.1, -0.2, 0.3, 0.0, 0.5]).unwrap(),
            temperature: 1.0,
        },
        SamplerKind::SvrgLd {
            epoch_length: 7,
            temperature: 1.0,
        },
        SamplerKind::Baoab {
            friction: 2.0,
            temperature: 1.0,
        },
        // The thermostat is a field of the sampler.
        SamplerKind::Sgnht {
            friction: 1.0,
            order: SghmcOrder::PositionFirst,
        },
    ];
    // Every sampler of the crate's list: a new one fails here until it joins `kinds`.
    for id in SamplerId::ALL {
        assert!(
            kinds.iter().any(|kind| kind.id() == *id),
            "sampler {} is not checked for allocations",
            id.name()
        );
    }
    for kind in kinds {
        for batching in [
            Batching::WithReplacement,
            Batching::WithoutReplacement,
            Batching::Reshuffle,
        ] {
            let config = SamplerConfig::new(kind, 1e-4, 8, batching);
            let mut chain = Chain::new(&model, &config, &[0.0; 5], 1).unwrap();
            chain.execute(
                &RunLength {
                    burn_in: 0,
                    steps: 100,
                    thin: 1,
                },
                &mut (),
            );
            ALLOCATIONS.store(0, Ordering::SeqCst);
            chain.execute(
                &RunLength {
                    burn_in: 0,
                    steps: 10_000,
                    thin: 1,
                },
                &mut (),
            );
            let count = ALLOCATIONS.load(Ordering::SeqCst);
            assert_eq!(
                count, 0,
                "{kind:?} with {batching:?}: {count} allocations in 10 000 steps"
            );
            for epoch_ends in [false, true] {
                if epoch_ends {
                    chain.set_draws(Draws::EpochEnds);
                }
                let length = RunLength {
                    burn_in: 100,
                    steps: 10_000,
                    thin: 2,
                };
                let mut recorder = DrawRecorder::new(5, chain.draw_capacity(&length));
                let mut moments = StreamingMoments::new(5);
                let stop = AtomicBool::new(false);
                let mut path = 0.0;
                let mut pairs = Transitions::new(chain.theta(), |a: &[f64], b: &[f64], _| {
                    path += (a[0] - b[0]).abs();
                    Flow::Continue
                });
                let mut adaptive = 0.0;
                let mut steps = each_step(|step| {
                    adaptive += step.auxiliary_state().first().copied().unwrap_or(0.0);
                    Flow::Continue
                });
                let (mut epochs, mut draws) = (0, 0);
                let mut epoch_ends_seen = each_epoch_end(|_, _| {
                    epochs += 1;
                    Flow::Continue
                });
                let mut draws_seen = each_draw(|_, _| {
                    draws += 1;
                    Flow::Continue
                });
                ALLOCATIONS.store(0, Ordering::SeqCst);
                let run = chain.execute(
                    &length,
                    &mut (
                        &mut recorder,
                        &mut moments,
                        StopFlag(&stop),
                        &mut pairs,
                        (&mut steps, &mut epoch_ends_seen, &mut draws_seen),
                    ),
                );
                let count = ALLOCATIONS.load(Ordering::SeqCst);
                assert_eq!(
                    count, 0,
                    "{kind:?} with {batching:?} (epoch ends: {epoch_ends}): {count} allocations in the executor"
                );
                assert!(run.draws > 0 && !run.stopped);
                drop((pairs, steps, epoch_ends_seen, draws_seen));
                assert!(epochs > 0 && draws == run.draws && path > 0.0 && adaptive.is_finite());
                assert_eq!(recorder.draws.len(), 5 * run.draws);
            }
        }
    }
}
