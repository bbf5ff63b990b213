//! Same seed, same bits: chains of several samplers hash to committed values, so the same test run
//! in debug (`cargo test --test determinism`) and in release (`cargo test --release`, as CI does)
//! checks that optimisation does not change a single bit, and `tests/parallel.rs` checks 1 against 2
//! threads. A changed constant here means every reproduction number may have moved: explain it in
//! the commit message.

mod common;

use common::random_linear_regression;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, ChainSettings};
use sgbayes::config::{SamplerConfig, SamplerKind};

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
    Chain::new(&model, &config, &[0.1, 0.2, -0.3], 99)
        .unwrap()
        .run(
            &ChainSettings {
                steps: 20_000,
                burn_in: 100,
                thin: 10,
                seed: 99,
            },
            |_| {},
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
