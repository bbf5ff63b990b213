//! Deterministic round trip between samplers/ and theory/ (test tier 1 of the design card).
//!
//! The real `step` of each sampler is probed on every minibatch of a tiny data set: with zero
//! noise from θ = 0 and θ = e_j it reveals (M_S, c_S); with unit noise vectors it reveals the
//! noise loading L. From those probed maps and the exact batch probabilities a brute-force
//! n²-dimensional Kronecker solve gives the stationary mean and covariance, which must equal the
//! crate's closed form (written independently from the papers' equations) to 1e-10. This catches
//! a missing factor 2 in the noise, a wrong N/B scaling, or a wrong finite-population factor γ
//! exactly, with no sampling error.

mod common;

use common::*;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::SeedableRng;
use sgbayes::batching::Batching;
use sgbayes::config::{Anchor, Preconditioner, SamplerConfig, SamplerId, SamplerKind};
use sgbayes::models::{Model, QuadraticModel};
use sgbayes::samplers;
use sgbayes::theory;

/// Probes (M_S, c_S) of the configured sampler's real step on batch `batch`: the step from the
/// zero state gives c_S, from the n unit vectors of the chain state (n = 2d with momentum) the
/// columns of M_S.
fn probe_map(
    model: &dyn Model,
    config: &SamplerConfig,
    batch: &[usize],
) -> (DMatrix<f64>, DVector<f64>) {
    let mut sampler = samplers::build(config, model.dimension(), model.data_size()).unwrap();
    let n = sampler.state_dimension();
    let zero_noise = vec![0.0; sampler.noise_dimension()];
    let mut origin = vec![0.0; n];
    sampler.step(model, &mut origin, batch, &zero_noise);
    let c = DVector::from_vec(origin.clone());
    let mut m = DMatrix::zeros(n, n);
    for j in 0..n {
        let mut state = vec![0.0; n];
        state[j] = 1.0;
        sampler.step(model, &mut state, batch, &zero_noise);
        for i in 0..n {
            m[(i, j)] = state[i] - c[i];
        }
    }
    (m, c)
}

/// Probes the noise covariance L Lᵀ of the real step (unit noise vectors, zero state).
fn probe_noise(model: &dyn Model, config: &SamplerConfig) -> DMatrix<f64> {
    let mut sampler = samplers::build(config, model.dimension(), model.data_size()).unwrap();
    let n = sampler.state_dimension();
    let k = sampler.noise_dimension();
    let batch: Vec<usize> = (0..config.batch_size).collect();
    let mut base = vec![0.0; n];
    sampler.step(model, &mut base, &batch, &vec![0.0; k]);
    let mut loading = DMatrix::zeros(n, k);
    for j in 0..k {
        let mut noise = vec![0.0; k];
        noise[j] = 1.0;
        let mut state = vec![0.0; n];
        sampler.step(model, &mut state, &batch, &noise);
        for i in 0..n {
            loading[(i, j)] = state[i] - base[i];
        }
    }
    &loading * loading.transpose()
}

/// Brute force from probes vs the closed form, for one model and configuration.
/// The sampler runs the configuration with Mandt's optimal preconditioners resolved to matrices
/// (`theory::resolve_preconditioner`); the closed form gets the unresolved configuration.
fn assert_probe_matches_theory<M: QuadraticModel>(model: &M, config: &SamplerConfig) {
    let run = theory::resolve_preconditioner(config, model).unwrap();
    let pieces: Vec<_> = enumerate_batches(model.data_size(), config.batch_size, config.batching)
        .into_iter()
        .map(|(batch, p)| {
            let (m, c) = probe_map(model, &run, &batch);
            (p, m, c)
        })
        .collect();
    let (mean, covariance) = brute_force_law(&pieces, &probe_noise(model, &run));
    let law = theory::affine_map(config, model)
        .unwrap()
        .stationary_law()
        .unwrap();
    let mean_error = (&law.mean - &mean).amax() / mean.amax().max(1.0);
    assert!(
        mean_error < 1e-10,
        "{config:?}: mean {} vs probed {}",
        law.mean,
        mean
    );
    let cov_error = relative_error(&law.covariance, &covariance);
    assert!(
        cov_error < 1e-9,
        "{config:?}: covariance {} vs probed {} (rel. error {cov_error:e})",
        law.covariance,
        covariance
    );
}

fn assert_probe_matches_theory_dyn(model: &dyn QuadraticModel, config: &SamplerConfig) {
    assert_probe_matches_theory(&DynModel(model), config);
}

/// A `QuadraticModel` view of a trait object (the probe helpers are generic over sized models).
struct DynModel<'a>(&'a dyn QuadraticModel);

impl Model for DynModel<'_> {
    fn dimension(&self) -> usize {
        self.0.dimension()
    }
    fn data_size(&self) -> usize {
        self.0.data_size()
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        self.0.prior_gradient(theta, out)
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        self.0.add_example_gradient(index, theta, scale, out)
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        self.0.potential(theta)
    }
    fn fisher_metric(
        &self,
        theta: &[f64],
        fisher: &mut [f64],
        correction: &mut [f64],
    ) -> sgbayes::models::FisherMetric {
        self.0.fisher_metric(theta, fisher, correction)
    }
}

impl QuadraticModel for DynModel<'_> {
    fn example_hessian(&self, index: usize) -> DMatrix<f64> {
        self.0.example_hessian(index)
    }
    fn example_offset(&self, index: usize) -> DVector<f64> {
        self.0.example_offset(index)
    }
    fn prior_precision(&self) -> DMatrix<f64> {
        self.0.prior_precision()
    }
    fn prior_mean(&self) -> DVector<f64> {
        self.0.prior_mean()
    }
}

/// A step size at `fraction` of the mean-stability limit, reduced until the law exists. `None`
/// when the configuration has no law on this model for every ε: Mandt's optimal preconditioners
/// (ε H does not depend on ε) when the gradient noise is singular (N − 1 < d) or absent
/// (B = N without replacement), or when their step is unstable.
fn stable_config(
    model: &dyn QuadraticModel,
    kind: SamplerKind,
    b: usize,
    batching: Batching,
    fraction: f64,
) -> Option<SamplerConfig> {
    let mut config = SamplerConfig::new(kind, 1.0, b, batching);
    let limit = theory::stability_limit(&config, model);
    if limit.is_infinite() || limit.is_nan() || limit == 0.0 {
        // ε-free step (optimal preconditioners) or no valid preconditioner on this model.
        return theory::affine_map(&config, model)
            .ok()?
            .stationary_law()
            .ok()
            .map(|_| config);
    }
    config.step_size = fraction * limit;
    let mut halvings = 0;
    while theory::affine_map(&config, model)
        .unwrap()
        .stationary_law()
        .is_err()
    {
        config.step_size *= 0.5;
        halvings += 1;
        assert!(
            halvings < 60,
            "{config:?}: no stationary law at any step size"
        );
    }
    Some(config)
}

/// A random SPD matrix (condition ≤ 5) of dimension d as a given preconditioner.
fn random_preconditioner(d: usize, seed: u64) -> Preconditioner {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let h = random_spd(d, 5.0, &mut rng);
    let h = (&h + h.transpose()) * 0.5;
    let rows: Vec<Vec<f64>> = h.row_iter().map(|r| r.iter().cloned().collect()).collect();
    Preconditioner::from_rows(&rows).unwrap()
}

/// One configuration of every sampler (parameters chosen away from special values).
fn all_kinds(d: usize) -> Vec<SamplerKind> {
    (0..KINDS)
        .map(|which| kind_from(which, 0.3, d, 17))
        .collect()
}

const KINDS: usize = 16;

/// A sampler kind from proptest inputs: `which` picks the sampler, `p` ∈ (0, 1) its parameter,
/// `seed` its random preconditioner.
fn kind_from(which: usize, p: f64, d: usize, seed: u64) -> SamplerKind {
    match which {
        0 => SamplerKind::Sgld,
        1 => SamplerKind::Sgd,
        2 => SamplerKind::SgdMomentum { damping: p },
        3 => SamplerKind::Sghmc {
            friction: p,
            noise_estimate: 0.5 * p * p,
        },
        4 => SamplerKind::SgdPreconditioned {
            preconditioner: random_preconditioner(d, seed),
        },
        5 => SamplerKind::SgdPreconditioned {
            preconditioner: Preconditioner::Optimal,
        },
        6 => SamplerKind::SgdPreconditioned {
            preconditioner: Preconditioner::OptimalDiagonal,
        },
        7 => SamplerKind::Psgld {
            preconditioner: random_preconditioner(d, seed),
        },
        8 => SamplerKind::Ngd,
        9 => SamplerKind::Sgfs {
            fisher: random_preconditioner(d, seed ^ 0x5f),
            scale: 0.1 + p,
        },
        10 => SamplerKind::Sgfs {
            fisher: Preconditioner::Optimal,
            scale: 1.0,
        },
        // Constant Fisher on quadratic models: Γ = 0; T large enough that T_inj ≥ 0 at any ε.
        11 => SamplerKind::StochasticNgd {
            temperature: 10.0 + 1e3 * p,
        },
        // The chain of ASGS is constant SGD (its window means are tested in sampler_laws.rs).
        12 => SamplerKind::Asgs {
            window: 1 + (10.0 * p) as usize,
        },
        // The run resolves the mode to the exact posterior mean; the closed form takes `mode`.
        13 => SamplerKind::SgldCv {
            anchor: Anchor::Mode,
            temperature: 1.0,
        },
        14 => SamplerKind::SgldCv {
            anchor: Anchor::from_point(
                &(0..d)
                    .map(|k| ((seed as usize + k) % 7) as f64 * 0.4 - 1.2 + p)
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
            temperature: 0.5 + p,
        },
        _ => SamplerKind::Baoab {
            friction: 0.1 + 10.0 * p,
            temperature: 0.3 + 2.0 * p,
        },
    }
}

/// Every sampler of the crate's list is probed, except the adaptive samplers and SGNHT, whose
/// theory is a reference law or none (their running estimate carries memory; tests/adaptive.rs and the adaptive bug
/// catalogue test them against it). A new sampler fails here until it joins [`kind_from`].
#[test]
fn every_sampler_with_an_exact_law_is_probed() {
    let reference_only = [
        SamplerKind::PsgldRmsprop {
            decay: 0.99,
            regularizer: 1e-5,
        },
        SamplerKind::SgfsOnline { scale: 1.0 },
        // No closed form at all (tests/sgnht.rs probes its step against Algorithm 1).
        SamplerKind::Sgnht {
            friction: 1.0,
            order: sgbayes::config::SghmcOrder::VelocityFirst,
        },
    ];
    for kind in &reference_only {
        assert!(
            theory::reference_law_only(kind).is_some(),
            "{} has an exact law: probe it",
            kind.name()
        );
    }
    let probed = all_kinds(2);
    for kind in &probed {
        assert!(theory::reference_law_only(kind).is_none(), "{kind:?}");
    }
    // Not one repeated map of θ (the anchor is reset every epoch): probed over whole epochs in
    // tests/dialects.rs.
    let probed_over_epochs = [SamplerKind::SvrgLd {
        epoch_length: 3,
        temperature: 1.0,
    }];
    for id in SamplerId::ALL {
        assert!(
            probed
                .iter()
                .chain(&reference_only)
                .chain(&probed_over_epochs)
                .any(|k| k.id() == *id),
            "sampler {} is not probed against its closed form",
            id.name()
        );
    }
}

#[test]
fn probe_equals_theory_on_fixed_small_problems() {
    let lr = random_linear_regression(2, 4, seed_of("probe-lr"));
    let gm = random_gaussian_mean(2, 4, seed_of("probe-gm"));
    let mut checked = 0;
    for kind in all_kinds(2) {
        for batching in [Batching::WithReplacement, Batching::WithoutReplacement] {
            for b in 1..=4 {
                for model in [&lr as &dyn QuadraticModel, &gm] {
                    if let Some(config) = stable_config(model, kind, b, batching, 0.3) {
                        assert_probe_matches_theory_dyn(model, &config);
                        checked += 1;
                    }
                }
            }
        }
    }
    // Only the optimal preconditioners at B = N without replacement (no gradient noise) and
    // unstable ε-free optimal steps may be skipped.
    assert!(
        checked >= 2 * 9 * 2 * 4 - 2 * 2 * 2 * 4,
        "only {checked} configurations checked"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(common::seed_of("probe")), ..ProptestConfig::default() })]

    /// Exact identity over random tiny problems (d 1–3, N 2–5, B 1–N, ε 5–80% of the limit).
    #[test]
    fn probe_equals_theory_on_random_problems(
        d in 1usize..=3,
        (n, b) in (2usize..=5).prop_flat_map(|n| (Just(n), 1..=n)),
        fraction in 0.05f64..0.8,
        seed in any::<u64>(),
        which in 0usize..KINDS,
        parameter in 0.05f64..1.0,
        with_replacement in any::<bool>(),
        regression in any::<bool>(),
    ) {
        let kind = kind_from(which, parameter, d, seed ^ 0x9e37);
        let batching = if with_replacement { Batching::WithReplacement } else { Batching::WithoutReplacement };
        let model: Box<dyn QuadraticModel> = if regression {
            Box::new(random_linear_regression(d, n, seed))
        } else {
            Box::new(random_gaussian_mean(d, n, seed))
        };
        if let Some(config) = stable_config(model.as_ref(), kind, b, batching, fraction) {
            assert_probe_matches_theory_dyn(model.as_ref(), &config);
        }
    }
}
