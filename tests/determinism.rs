//! Same seed, same bits: chains of several samplers hash to committed values, so the same test run
//! in debug (`cargo test --test determinism`) and in release (`cargo test --release`, as CI does)
//! checks that optimisation does not change a single bit, and `tests/parallel.rs` checks 1 against 2
//! threads. A changed constant here means every reproduction number may have moved: explain it in
//! the commit message.

mod common;

use common::random_linear_regression;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, Draws, RunLength};
use sgbayes::config::{Anchor, Preconditioner, SamplerConfig, SamplerId, SamplerKind, SghmcOrder};

/// FNV-1a over the bit patterns of the draws.
fn fingerprint(values: &[f64]) -> u64 {
    values.iter().fold(0xcbf29ce484222325u64, |hash, v| {
        v.to_bits()
            .to_le_bytes()
            .iter()
            .fold(hash, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3))
    })
}

fn draws(kind: SamplerKind, batching: Batching) -> Vec<f64> {
    let model = random_linear_regression(3, 30, 2024);
    let config = SamplerConfig::new(kind, 2e-3, 4, batching);
    let mut chain = Chain::new(&model, &config, &[0.1, 0.2, -0.3], 99).unwrap();
    // The θ states, also for ASGS (whose draws are window means).
    chain.set_draws(Draws::States);
    chain
        .record(
            &RunLength {
                burn_in: 100,
                steps: 20_000,
                thin: 10,
            },
            &mut (),
        )
        .draws
}

#[test]
fn chains_hash_to_the_committed_bits_in_debug_and_release() {
    let cases = [
        (SamplerKind::Sgld, Batching::WithReplacement),
        (SamplerKind::Sgd, Batching::WithoutReplacement),
        (
            SamplerKind::Sghmc {
                friction: 0.3,
                noise_estimate: 0.0,
            },
            Batching::Reshuffle,
        ),
        (
            SamplerKind::PsgldRmsprop {
                decay: 0.99,
                regularizer: 1e-5,
            },
            Batching::WithReplacement,
        ),
        (
            SamplerKind::StochasticNgd { temperature: 50.0 },
            Batching::WithReplacement,
        ),
    ];
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let mut report = Vec::new();
    for (kind, batching) in cases {
        let values = draws(kind, batching);
        assert!(values.iter().all(|v| v.is_finite()), "{kind:?} diverged");
        report.push((kind.name(), fingerprint(&values)));
    }
    eprintln!("{profile}: {report:x?}");
    let committed: [(&str, u64); 5] = COMMITTED;
    assert_eq!(
        report,
        committed.to_vec(),
        "{profile} build: the bits changed"
    );
}

const COMMITTED: [(&str, u64); 5] = [
    ("sgld", 0x6ecf21801a173914),
    ("sgd", 0xe058976e8c550c63),
    ("sghmc", 0xc35ece05c7e74058),
    ("psgld-rmsprop", 0x5e58e0328b0bc19b),
    ("stochastic-ngd", 0x26606ffe050e8656),
];

/// One configuration of every sampler of the crate's list on the 3-dimensional model of
/// [`draws`] (the match is exhaustive: a new sampler does not compile here until it has one).
fn example_kind(id: SamplerId) -> SamplerKind {
    let rows: Vec<Vec<f64>> = (0..3)
        .map(|i| (0..3).map(|j| if i == j { 1.5 } else { 0.2 }).collect())
        .collect();
    let matrix = Preconditioner::from_rows(&rows).unwrap();
    match id {
        SamplerId::Sgd => SamplerKind::Sgd,
        SamplerId::Sgld => SamplerKind::Sgld,
        SamplerId::SgdMomentum => SamplerKind::SgdMomentum { damping: 0.3 },
        SamplerId::Sghmc => SamplerKind::Sghmc {
            friction: 0.3,
            noise_estimate: 0.1,
        },
        SamplerId::SgdPreconditioned => SamplerKind::SgdPreconditioned {
            preconditioner: matrix,
        },
        SamplerId::Psgld => SamplerKind::Psgld {
            preconditioner: matrix,
        },
        SamplerId::PsgldRmsprop => SamplerKind::PsgldRmsprop {
            decay: 0.9,
            regularizer: 1e-3,
        },
        SamplerId::Ngd => SamplerKind::Ngd,
        SamplerId::StochasticNgd => SamplerKind::StochasticNgd { temperature: 2.0 },
        SamplerId::Asgs => SamplerKind::Asgs { window: 5 },
        SamplerId::Sgfs => SamplerKind::Sgfs {
            fisher: matrix,
            scale: 1.0,
        },
        SamplerId::SgfsOnline => SamplerKind::SgfsOnline { scale: 1.0 },
        SamplerId::SgldCv => SamplerKind::SgldCv {
            anchor: Anchor::from_point(&[0.1, -0.2, 0.3]).unwrap(),
            temperature: 1.0,
        },
        SamplerId::SvrgLd => SamplerKind::SvrgLd {
            epoch_length: 7,
            temperature: 1.0,
        },
        SamplerId::Baoab => SamplerKind::Baoab {
            friction: 2.0,
            temperature: 1.0,
        },
        SamplerId::Sgnht => SamplerKind::Sgnht {
            friction: 1.0,
            order: SghmcOrder::VelocityFirst,
        },
    }
}

/// Every sampler of the crate's list hashes to committed bits: a new sampler fails here until its
/// fingerprint is committed.
#[test]
fn every_sampler_hashes_to_the_committed_bits() {
    let mut report = Vec::new();
    for id in SamplerId::ALL {
        let values = draws(example_kind(*id), Batching::WithoutReplacement);
        assert!(
            values.iter().all(|v| v.is_finite()),
            "{} diverged",
            id.name()
        );
        report.push((id.name(), fingerprint(&values)));
    }
    eprintln!("{report:x?}");
    assert_eq!(report, EVERY_SAMPLER.to_vec(), "the bits changed");
}

/// Without replacement; `sgd` equals the committed `sgd` above and `asgs`, whose chain is constant
/// SGD (its window means are formed outside the chain), equals `sgd`.
const EVERY_SAMPLER: [(&str, u64); 16] = [
    ("sgd", 0xe058976e8c550c63),
    ("sgld", 0x9fc2320631b4e5a3),
    ("sgd-momentum", 0x445fa0ed4df4b7b0),
    ("sghmc", 0x0dc7f59fb25c1dff),
    ("sgd-preconditioned", 0x3df34298a23ec5a7),
    ("psgld", 0x39cb2b75e276c216),
    ("psgld-rmsprop", 0x5747657f9711f927),
    ("ngd", 0xca3dab71ade64def),
    ("stochastic-ngd", 0x78a8003cff430313),
    ("asgs", 0xe058976e8c550c63),
    ("sgfs", 0x10b86a8d06ae284a),
    ("sgfs-online", 0xc2a9bbf6ea0dd22f),
    ("sgld-cv", 0x539a450704dc4cba),
    ("svrg-ld", 0x36b25734bf87a9a2),
    ("baoab", 0x676a26ffc3688203),
    ("sgnht", 0xe3879b0e07ec7b03),
];

/// The step kernel has a path per small dimension (d < 8, compile-time d) and a generic path
/// (eight-lane dot product plus a tail; possibly compiled for several instruction sets): every
/// path must give the bits of the plain per-example loop it replaced. d = 1, 2, 7 cover the
/// compile-time paths, d = 8 the generic path without tail, d = 12 and 37 with a tail.
#[test]
fn every_kernel_path_hashes_to_the_committed_bits() {
    let mut report = Vec::new();
    for d in [1usize, 2, 7, 8, 12, 37] {
        let model = random_linear_regression(d, 40, 7 + d as u64);
        let config = SamplerConfig::new(SamplerKind::Sgld, 1e-3, 5, Batching::WithReplacement);
        let initial: Vec<f64> = (0..d).map(|k| 0.1 * k as f64 - 0.2).collect();
        let values = Chain::new(&model, &config, &initial, 5)
            .unwrap()
            .record(
                &RunLength {
                    steps: 4_000,
                    burn_in: 0,
                    thin: 4,
                },
                &mut (),
            )
            .draws;
        assert!(values.iter().all(|v| v.is_finite()), "d = {d} diverged");
        report.push((d, fingerprint(&values)));
    }
    eprintln!("{report:x?}");
    assert_eq!(report, KERNEL_PATHS.to_vec(), "the bits changed");
}

const KERNEL_PATHS: [(usize, u64); 6] = [
    (1, 0x07c59c94ff01ac37),
    (2, 0xf275d8e83cfec1c3),
    (7, 0x15b80fbf69a31db2),
    (8, 0xf23670307d3c2347),
    (12, 0xef6da4d2f179b37a),
    (37, 0x926f196c9031aac5),
];
