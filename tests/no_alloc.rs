//! Hot loops allocate nothing: a counting global allocator around `Chain::step`.
//!
//! Each sampler's chain is built and warmed up (first-touch buffers), then the allocation counter
//! is reset and 10 000 steps are taken; the count must stay 0.

mod common;

use std::sync::atomic::Ordering;

use sgbayes::batching::Batching;
use sgbayes::chain::Chain;
use sgbayes::config::{Preconditioner, SamplerConfig, SamplerKind, SghmcOrder};
use sgbayes::problem::generate_linear_regression;

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
    ];
    for kind in kinds {
        for batching in [
            Batching::WithReplacement,
            Batching::WithoutReplacement,
            Batching::Reshuffle,
        ] {
            let config = SamplerConfig::new(kind, 1e-4, 8, batching);
            let mut chain = Chain::new(&model, &config, &[0.0; 5], 1).unwrap();
            for _ in 0..100 {
                chain.step();
            }
            ALLOCATIONS.store(0, Ordering::SeqCst);
            for _ in 0..10_000 {
                chain.step();
            }
            let count = ALLOCATIONS.load(Ordering::SeqCst);
            assert_eq!(
                count, 0,
                "{kind:?} with {batching:?}: {count} allocations in 10 000 steps"
            );
        }
    }
}
