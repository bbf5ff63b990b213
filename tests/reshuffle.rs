//! Random reshuffling (SGWORLD batching): the closed form against brute-force enumeration of every
//! epoch permutation, and the real reshuffled chain against the closed form.

mod common;

use common::*;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::{GaussianMean, LinearRegression};
use sgbayes::stats::budget::ALPHA_ASSERTION;
use sgbayes::stats::gaussian_moment_test;
use sgbayes::theory::{
    self, commuting_reshuffled_law, reshuffled_law, AffineRandomMap, DrawAt, ExampleMatrices,
};

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}

/// The pieces of the configured sampler on `model` (per-step batching irrelevant here).
fn pieces(model: &GaussianMean, kind: SamplerKind, fraction: f64, b: usize) -> AffineRandomMap {
    let mut config = SamplerConfig::new(kind, 1.0, b, Batching::WithoutReplacement);
    config.step_size = fraction * theory::stability_limit(&config, model);
    theory::affine_map(&config, model).unwrap()
}

/// A mean and a covariance.
type Moments = (DVector<f64>, DMatrix<f64>);

/// Brute force over all N! permutations: epoch-end and phase-mixture mean and covariance.
fn brute_force(map: &AffineRandomMap) -> (Moments, Moments) {
    let ExampleMatrices::Shared(m) = map.example_matrices() else {
        panic!()
    };
    let (n, data, b) = (map.state_dimension(), map.data_size(), map.batch_size());
    let k_epoch = data / b;
    let perms = permutations(data);
    let weight = 1.0 / perms.len() as f64;
    let offsets = map.example_offsets();
    let noise = map.noise_covariance();
    // o_{π,r} = Σ_{k≤r} M^{r−k} c_{S_k}; the injected noise adds Σ_{k≤r} M^{r−k} LLᵀ (…)ᵀ.
    let phase_offset = |perm: &Vec<usize>, r: usize| -> DVector<f64> {
        let mut z = DVector::zeros(n);
        for k in 0..r {
            let batch_mean = perm[k * b..(k + 1) * b]
                .iter()
                .fold(DVector::zeros(n), |acc, &i| acc + &offsets[i])
                / b as f64;
            z = m * z + batch_mean;
        }
        z
    };
    let phase_noise = |r: usize| -> DMatrix<f64> {
        let mut q = DMatrix::zeros(n, n);
        for _ in 0..r {
            q = m * q * m.transpose() + noise;
        }
        q
    };
    let moments = |r: usize| -> (DVector<f64>, DMatrix<f64>) {
        let mean = perms.iter().fold(DVector::zeros(n), |acc, p| {
            acc + phase_offset(p, r) * weight
        });
        let cov = perms.iter().fold(DMatrix::zeros(n, n), |acc, p| {
            let d = phase_offset(p, r) - &mean;
            acc + &d * d.transpose() * weight
        });
        (mean, cov)
    };
    let m_k = m.pow(k_epoch as u32);
    let (o_mean, o_cov) = moments(k_epoch);
    let end_mean = (DMatrix::identity(n, n) - &m_k).try_inverse().unwrap() * o_mean;
    let end_cov = theory::solve_discrete_lyapunov(&m_k, &(o_cov + phase_noise(k_epoch))).unwrap();
    // Phase mixture: second moments about the overall mean.
    let mut phase_means = Vec::new();
    let mut phase_covs = Vec::new();
    for r in 0..k_epoch {
        let (om, oc) = moments(r);
        let m_r = m.pow(r as u32);
        phase_means.push(&m_r * &end_mean + om);
        phase_covs.push(&m_r * &end_cov * m_r.transpose() + oc + phase_noise(r));
    }
    let mix_mean = phase_means.iter().fold(DVector::zeros(n), |a, x| a + x) / k_epoch as f64;
    let mix_cov = phase_means
        .iter()
        .zip(&phase_covs)
        .fold(DMatrix::zeros(n, n), |a, (mu, c)| {
            let d = mu - &mix_mean;
            a + c + &d * d.transpose()
        })
        / k_epoch as f64;
    ((end_mean, end_cov), (mix_mean, mix_cov))
}

#[test]
fn reshuffled_law_equals_enumeration_over_all_permutations() {
    for (data, b) in [(4, 2), (5, 2), (6, 3), (6, 2), (5, 5), (4, 1)] {
        let model = random_gaussian_mean(2, data, seed_of(&format!("reshuffle-{data}-{b}")));
        for kind in [SamplerKind::Sgld, SamplerKind::Sgd] {
            let map = pieces(&model, kind, 0.3, b);
            let ((end_mean, end_cov), (mix_mean, mix_cov)) = brute_force(&map);
            let (mean, cov) = reshuffled_law(&map, DrawAt::EpochEnd).unwrap();
            assert!(
                (&mean - &end_mean).amax() < 1e-10 && relative_error(&cov, &end_cov) < 1e-9,
                "{data} {b} {kind:?} epoch end"
            );
            let (mean, cov) = reshuffled_law(&map, DrawAt::EveryStep).unwrap();
            assert!(
                (&mean - &mix_mean).amax() < 1e-10 && relative_error(&cov, &mix_cov) < 1e-9,
                "{data} {b} {kind:?} every step"
            );
        }
    }
}

/// Brute force for state-dependent noise: every permutation's epoch map z ↦ A_π z + o_π (+ noise
/// with covariance Q_π), products of the batch maps in order; the epoch-end law solves
/// m = E[A]m + E[o], S = E[A S Aᵀ + A m oᵀ + o mᵀ Aᵀ + o oᵀ + Q] (raw second moment S) with a
/// Kronecker superoperator; phase r uses the first r batches. Independent of the programme over
/// used-example sets in `theory` (it enumerates orders, not sets). Also returns the spectral
/// radius of the superoperator E[A ⊗ A] (mean-square stability of the epoch chain iff < 1).
fn brute_force_state_dependent(map: &AffineRandomMap) -> (Moments, Moments, f64) {
    let (n, data, b) = (map.state_dimension(), map.data_size(), map.batch_size());
    let k_epoch = data / b;
    let perms = permutations(data);
    let weight = 1.0 / perms.len() as f64;
    let dense = |i: usize| -> DMatrix<f64> {
        match map.example_matrices() {
            ExampleMatrices::Shared(m) => m.clone(),
            ExampleMatrices::PerExample(list) => list[i].clone(),
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => common + &left[i] * right[i].transpose(),
        }
    };
    let offsets = map.example_offsets();
    let noise = map.noise_covariance();
    // (A, o, Q) after the first r batches of permutation π.
    let phase_map = |perm: &Vec<usize>, r: usize| {
        let mut a = DMatrix::<f64>::identity(n, n);
        let mut o = DVector::<f64>::zeros(n);
        let mut q = DMatrix::<f64>::zeros(n, n);
        for k in 0..r {
            let batch = &perm[k * b..(k + 1) * b];
            let m_b = batch
                .iter()
                .fold(DMatrix::zeros(n, n), |acc, &i| acc + dense(i))
                / b as f64;
            let c_b = batch
                .iter()
                .fold(DVector::zeros(n), |acc, &i| acc + &offsets[i])
                / b as f64;
            a = &m_b * a;
            o = &m_b * o + c_b;
            q = &m_b * q * m_b.transpose() + noise;
        }
        (a, o, q)
    };
    let phase_moments = |r: usize, mean: &DVector<f64>, second: &DMatrix<f64>| {
        let mut m = DVector::zeros(n);
        let mut s = DMatrix::zeros(n, n);
        for p in &perms {
            let (a, o, q) = phase_map(p, r);
            let am = &a * mean;
            m += (&am + &o) * weight;
            s += (&a * second * a.transpose()
                + &am * o.transpose()
                + &o * am.transpose()
                + &o * o.transpose()
                + q)
                * weight;
        }
        (m, s)
    };
    // Epoch-end fixed point.
    let mut mean_a = DMatrix::zeros(n, n);
    let mut mean_o = DVector::zeros(n);
    let mut superop = DMatrix::zeros(n * n, n * n);
    for p in &perms {
        let (a, o, _) = phase_map(p, k_epoch);
        superop += a.kronecker(&a) * weight;
        mean_a += a * weight;
        mean_o += o * weight;
    }
    let epoch_radius = theory::spectral_radius(&superop);
    let end_mean = (DMatrix::identity(n, n) - mean_a).try_inverse().unwrap() * mean_o;
    let (_, rest) = phase_moments(k_epoch, &end_mean, &DMatrix::zeros(n, n));
    let rest = DVector::from_column_slice(rest.as_slice());
    let second = (DMatrix::identity(n * n, n * n) - superop)
        .try_inverse()
        .unwrap()
        * rest;
    let second = DMatrix::from_column_slice(n, n, second.as_slice());
    let end_cov = &second - &end_mean * end_mean.transpose();
    let mut mix_mean = DVector::zeros(n);
    let mut mix_second = DMatrix::zeros(n, n);
    for r in 0..k_epoch {
        let (m, s) = phase_moments(r, &end_mean, &second);
        mix_mean += m / k_epoch as f64;
        mix_second += s / k_epoch as f64;
    }
    let mix_cov = mix_second - &mix_mean * mix_mean.transpose();
    ((end_mean, end_cov), (mix_mean, mix_cov), epoch_radius)
}

/// State-dependent minibatch noise (linear regression; momentum on (θ, v)): the programme over
/// used-example sets equals the enumeration over all N! orders, to round-off. Also run on a
/// Gaussian mean, where both equal the closed form above.
#[test]
fn state_dependent_reshuffled_law_equals_enumeration_over_all_permutations() {
    for (data, b) in [(4, 1), (5, 2), (6, 2), (6, 3), (4, 4)] {
        let model = random_linear_regression(2, data, seed_of(&format!("reshuffle-lr-{data}-{b}")));
        for kind in [
            SamplerKind::Sgld,
            SamplerKind::Sgd,
            SamplerKind::SgdMomentum { damping: 0.5 },
        ] {
            let mut config = SamplerConfig::new(kind, 1.0, b, Batching::WithoutReplacement);
            config.step_size = 0.3 * theory::stability_limit(&config, &model);
            let map = theory::affine_map(&config, &model).unwrap();
            let ((end_mean, end_cov), (mix_mean, mix_cov), epoch_radius) =
                brute_force_state_dependent(&map);
            let law = reshuffled_law(&map, DrawAt::EpochEnd);
            // An epoch map that is not mean-square stable has no law (here momentum at N = 4,
            // B = 1: ρ(E[A ⊗ A]) = 2.17 over all orders, although i.i.d. batches are stable).
            if let Err(sgbayes::Error::NotContracting { spectral_radius }) = law {
                assert!(epoch_radius >= 1.0 && (spectral_radius - epoch_radius).abs() < 1e-9);
                continue;
            }
            assert!(
                epoch_radius < 1.0,
                "{data} {b} {kind:?}: ρ = {epoch_radius}"
            );
            let (mean, cov) = law.unwrap();
            assert!(
                (&mean - &end_mean).amax() < 1e-10 && relative_error(&cov, &end_cov) < 1e-9,
                "{data} {b} {kind:?} epoch end: {mean} vs {end_mean}, {cov} vs {end_cov}"
            );
            let (mean, cov) = reshuffled_law(&map, DrawAt::EveryStep).unwrap();
            assert!(
                (&mean - &mix_mean).amax() < 1e-10 && relative_error(&cov, &mix_cov) < 1e-9,
                "{data} {b} {kind:?} every step: {mean} vs {mix_mean}, {cov} vs {mix_cov}"
            );
        }
    }
    // The general brute force agrees with the shared-matrix one on a Gaussian mean.
    let model = random_gaussian_mean(2, 5, seed_of("reshuffle-general-vs-shared"));
    let map = pieces(&model, SamplerKind::Sgld, 0.3, 2);
    let (general, shared) = (brute_force_state_dependent(&map), brute_force(&map));
    assert!(general.2 < 1.0);
    assert!(relative_error(&general.0 .1, &shared.0 .1) < 1e-9);
    assert!(relative_error(&general.1 .1, &shared.1 .1) < 1e-9);
}

/// With state-dependent noise the reshuffled stationary mean moves off the posterior mean (the
/// without-replacement minimum shift of Adhikari et al. 2023, claim 4 of the digest, here exact),
/// by an amount that vanishes with ε; and beyond the enumeration limit the law is NoClosedForm.
#[test]
fn state_dependent_reshuffling_shifts_the_mean_and_has_a_size_limit() {
    let model = random_linear_regression(2, 8, seed_of("reshuffle-lr-shift"));
    let posterior = theory::exact_posterior(&model).unwrap().mean;
    let shift = |fraction: f64| {
        let mut config = SamplerConfig::new(SamplerKind::Sgd, 1.0, 2, Batching::WithoutReplacement);
        config.step_size = fraction * theory::stability_limit(&config, &model);
        let map = theory::affine_map(&config, &model).unwrap();
        (reshuffled_law(&map, DrawAt::EpochEnd).unwrap().0 - &posterior).norm()
    };
    let (large, small) = (shift(0.2), shift(0.02));
    assert!(large > 1e-6, "no shift at 0.2 of the limit: {large}");
    assert!(
        small < large / 5.0,
        "the shift does not vanish with eps: {small} vs {large}"
    );
    let big = random_linear_regression(2, theory::MAX_ENUMERATED_DATA_SIZE + 1, 1);
    let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithoutReplacement);
    let map = theory::affine_map(&config, &big).unwrap();
    assert!(matches!(
        reshuffled_law(&map, DrawAt::EpochEnd),
        Err(sgbayes::Error::NoClosedForm { .. })
    ));
}

/// The real reshuffled SGLD chain on linear regression (N = 8, B = 2) matches the enumerated law
/// at epoch ends and at every step; i.i.d. without-replacement batches are rejected against the
/// epoch-end law. α = 1e-6 per assertion.
#[test]
fn reshuffled_chain_on_linear_regression_matches_the_enumerated_law() {
    let model = random_linear_regression(2, 8, seed_of("reshuffle-lr-chain"));
    let mut config = SamplerConfig::new(SamplerKind::Sgd, 1.0, 2, Batching::Reshuffle);
    config.step_size = 0.3 * theory::stability_limit(&config, &model);
    let per_step = SamplerConfig {
        batching: Batching::WithoutReplacement,
        ..config
    };
    let map = theory::affine_map(&per_step, &model).unwrap();
    for (draw_at, batching, should_reject) in [
        (DrawAt::EpochEnd, Batching::Reshuffle, false),
        (DrawAt::EveryStep, Batching::Reshuffle, false),
        (DrawAt::EpochEnd, Batching::WithoutReplacement, true),
    ] {
        let (mean, cov) = reshuffled_law(&map, draw_at).unwrap();
        let thin = if draw_at == DrawAt::EpochEnd { 4 } else { 1 };
        let run = SamplerConfig { batching, ..config };
        let mut chain = Chain::new(
            &model,
            &run,
            mean.as_slice(),
            seed_of("reshuffle-lr-chain-run"),
        )
        .unwrap();
        let out = chain.record(
            &RunLength {
                steps: 800_000,
                burn_in: 4000,
                thin,
            },
            &mut (),
        );
        let report = gaussian_moment_test(&out.draws, &mean, &cov, ALPHA_ASSERTION).unwrap();
        assert_eq!(
            report.reject, should_reject,
            "{draw_at:?} {batching:?}: {report}"
        );
    }
}

/// SGD on a Gaussian mean with N = 8, B = 4 (two batches per epoch): epoch-end draws of the real
/// reshuffled chain match the epoch-end law; i.i.d. without-replacement batches (the wrong
/// batching inside SGWORLD) are rejected against it. α = 1e-6 each; the two laws differ by a
/// factor ≫ 1 in variance here (reshuffling cancels the deviations over an epoch), so N_eff of a
/// few hundred suffices; the runs have thousands.
#[test]
fn reshuffled_chain_matches_its_law_and_iid_batches_do_not() {
    let model = random_gaussian_mean(2, 8, seed_of("reshuffle-chain"));
    let map = pieces(&model, SamplerKind::Sgd, 0.2, 4);
    let mut config = SamplerConfig::new(SamplerKind::Sgd, 1.0, 4, Batching::Reshuffle);
    config.step_size = 0.2 * theory::stability_limit(&config, &model);
    for draw_at in [DrawAt::EpochEnd, DrawAt::EveryStep] {
        let (mean, cov) = reshuffled_law(&map, draw_at).unwrap();
        let thin = if draw_at == DrawAt::EpochEnd { 2 } else { 1 };
        for (batching, should_reject) in [
            (Batching::Reshuffle, false),
            (Batching::WithoutReplacement, true),
        ] {
            let run = SamplerConfig { batching, ..config };
            let mut chain = Chain::new(
                &model,
                &run,
                mean.as_slice(),
                seed_of("reshuffle-chain-run"),
            )
            .unwrap();
            let out = chain.record(
                &RunLength {
                    steps: 400_000,
                    burn_in: 2000,
                    thin,
                },
                &mut (),
            );
            let report = gaussian_moment_test(&out.draws, &mean, &cov, ALPHA_ASSERTION).unwrap();
            assert_eq!(
                report.reject, should_reject,
                "{draw_at:?} {batching:?}: {report}"
            );
        }
    }
}

/// Bias orders (../shared/theory/adhikari2023-sgworld.md, Claim 10, derived there and re-derived
/// here through the exact laws; local slopes between ε and ε/2 at ε = 1e-4 of the limit, within
/// 0.1 — higher orders shift them by O(ε)): the minibatch part of SGLD's stationary covariance,
/// Σ(ε) − Σ_ULA(ε) (Σ_ULA: full batch, same ε), is of order ε with i.i.d. batches (Robbins–Monro),
/// ε² with reshuffling sampled at every step, and ε³ with reshuffling sampled at epoch ends.
#[test]
fn sgld_vs_sgworld_bias_orders_are_one_two_three() {
    let model = random_gaussian_mean(2, 40, seed_of("sgworld-slopes"));
    let b = 8;
    let minibatch_part = |eps: f64, draw: Option<DrawAt>| -> f64 {
        let config = SamplerConfig::new(SamplerKind::Sgld, eps, b, Batching::WithReplacement);
        let full = SamplerConfig::new(SamplerKind::Sgld, eps, 40, Batching::WithoutReplacement);
        let ula = theory::affine_map(&full, &model)
            .unwrap()
            .stationary_law()
            .unwrap()
            .covariance;
        let map = theory::affine_map(&config, &model).unwrap();
        let cov = match draw {
            None => map.stationary_law().unwrap().covariance,
            Some(at) => reshuffled_law(&map, at).unwrap().1,
        };
        (cov - ula).trace().abs()
    };
    let limit = theory::stability_limit(
        &SamplerConfig::new(SamplerKind::Sgld, 1.0, b, Batching::WithReplacement),
        &model,
    );
    for (draw, order) in [
        (None, 1.0),
        (Some(DrawAt::EveryStep), 2.0),
        (Some(DrawAt::EpochEnd), 3.0),
    ] {
        let (e1, e2) = (1e-4 * limit, 5e-5 * limit);
        let slope = (minibatch_part(e1, draw) / minibatch_part(e2, draw)).log2();
        assert!(
            (slope - order).abs() < 0.1,
            "{draw:?}: slope {slope}, expected {order}"
        );
    }
}

/// A linear regression whose per-example maps commute: features along two orthogonal directions
/// (rotated by `angle`), so every Hessian x_i x_iᵀ is diagonal in one basis (d = 2), or d = 1.
fn commuting_regression(d: usize, n: usize, angle: f64, seed: u64) -> LinearRegression {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let directions = [
        vec![angle.cos(), angle.sin()],
        vec![-angle.sin(), angle.cos()],
    ];
    let features: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let scale: f64 = rng.sample(StandardNormal);
            if d == 1 {
                vec![scale]
            } else {
                directions[i % 2].iter().map(|x| x * scale).collect()
            }
        })
        .collect();
    let truth: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    let targets = features
        .iter()
        .map(|x| {
            x.iter().zip(&truth).map(|(a, b)| a * b).sum::<f64>()
                + rng.sample::<f64, _>(StandardNormal)
        })
        .collect();
    LinearRegression::new(features, targets, 1.0, 0.5).unwrap()
}

/// The commuting-map integrals equal the enumeration over used-example sets (N ≤ 8, B = 1; d = 1
/// and a d = 2 commuting case; SGD and SGLD; epoch ends and every step) to 1e-9, and the
/// shared-matrix closed form on a Gaussian mean at N = 100.
#[test]
fn commuting_reshuffled_law_equals_the_enumeration() {
    let mut worst: f64 = 0.0;
    for (d, data) in [(1, 2), (1, 5), (1, 8), (2, 4), (2, 7), (2, 8)] {
        let model = commuting_regression(d, data, 0.4, seed_of(&format!("commuting-{d}-{data}")));
        for kind in [SamplerKind::Sgld, SamplerKind::Sgd] {
            let mut config = SamplerConfig::new(kind, 1.0, 1, Batching::WithoutReplacement);
            config.step_size = 0.2 * theory::stability_limit(&config, &model);
            let map = theory::affine_map(&config, &model).unwrap();
            for draw_at in [DrawAt::EpochEnd, DrawAt::EveryStep] {
                let (mean, cov) = reshuffled_law(&map, draw_at).unwrap();
                let (m, c) = commuting_reshuffled_law(&map, draw_at).unwrap();
                let error =
                    ((&m - &mean).amax() / mean.amax().max(1.0)).max(relative_error(&c, &cov));
                worst = worst.max(error);
                assert!(
                    error < 1e-9,
                    "{d} {data} {kind:?} {draw_at:?}: {m} vs {mean}, {c} vs {cov}"
                );
            }
        }
    }
    eprintln!("commuting vs enumeration: worst relative error {worst:.1e}");
    // An expanding epoch (a₀a₁ = −1.5) has no law: both methods say so.
    let expanding = AffineRandomMap::new(
        ExampleMatrices::PerExample(vec![
            DMatrix::from_element(1, 1, -3.0),
            DMatrix::from_element(1, 1, 0.5),
        ]),
        vec![DVector::from_element(1, 1.0), DVector::from_element(1, 0.0)],
        DMatrix::from_element(1, 1, 1.0),
        1,
        Batching::WithoutReplacement,
    )
    .unwrap();
    for law in [reshuffled_law, commuting_reshuffled_law] {
        assert!(matches!(
            law(&expanding, DrawAt::EpochEnd),
            Err(sgbayes::Error::NotContracting { .. })
        ));
    }
    let model = random_gaussian_mean(2, 100, seed_of("commuting-shared"));
    let map = pieces(&model, SamplerKind::Sgld, 0.3, 1);
    for draw_at in [DrawAt::EpochEnd, DrawAt::EveryStep] {
        let (mean, cov) = reshuffled_law(&map, draw_at).unwrap();
        let (m, c) = commuting_reshuffled_law(&map, draw_at).unwrap();
        let error = (&m - &mean).amax().max(relative_error(&c, &cov));
        eprintln!("commuting vs shared closed form, N = 100, {draw_at:?}: {error:.1e}");
        assert!(error < 1e-9, "{draw_at:?}: {m} vs {mean}, {c} vs {cov}");
    }
}

/// Beyond the enumeration (N > 16) `reshuffled_law` dispatches to the commuting-map integrals for
/// B = 1 and commuting maps, and says what is supported otherwise.
#[test]
fn beyond_the_enumeration_commuting_maps_are_exact_and_others_say_why_not() {
    let data = theory::MAX_ENUMERATED_DATA_SIZE + 1;
    let model = commuting_regression(2, data, 0.4, seed_of("commuting-dispatch"));
    let mut config = SamplerConfig::new(SamplerKind::Sgld, 1.0, 1, Batching::WithoutReplacement);
    config.step_size = 0.2 * theory::stability_limit(&config, &model);
    let map = theory::affine_map(&config, &model).unwrap();
    assert_eq!(
        reshuffled_law(&map, DrawAt::EveryStep).unwrap(),
        commuting_reshuffled_law(&map, DrawAt::EveryStep).unwrap()
    );
    for (model, b, why) in [
        (random_linear_regression(2, data, 1), 1, "do not commute"),
        (model, 2, "batch size is 2"),
    ] {
        let config = SamplerConfig::new(SamplerKind::Sgld, 1e-3, b, Batching::WithoutReplacement);
        let map = theory::affine_map(&config, &model).unwrap();
        match reshuffled_law(&map, DrawAt::EpochEnd) {
            Err(sgbayes::Error::NoClosedForm { what }) => {
                assert!(what.contains(why) && what.contains("N = 17 > 16"), "{what}")
            }
            other => panic!("{other:?}"),
        }
    }
}

/// The real reshuffled chain (B = 1) on commuting linear regressions far beyond the enumeration
/// (d = 2 at N = 200, d = 1 at N = 1000) matches the commuting-map law at epoch ends and at every
/// step (α = 1e-6, batch-means errors); the with-replacement law, which differs at these step
/// sizes, is rejected on the same draws (power).
#[test]
fn reshuffled_chain_beyond_the_enumeration_matches_the_commuting_law() {
    for (d, data, fraction) in [(2, 200, 0.02), (1, 1000, 0.002)] {
        let model = commuting_regression(d, data, 0.4, seed_of(&format!("commuting-chain-{d}")));
        let mut with_replacement =
            SamplerConfig::new(SamplerKind::Sgd, 1.0, 1, Batching::WithReplacement);
        with_replacement.step_size =
            fraction * theory::mean_square_stability_limit(&with_replacement, &model).unwrap();
        let iid = theory::affine_map(&with_replacement, &model)
            .unwrap()
            .stationary_law()
            .unwrap();
        let config = SamplerConfig {
            batching: Batching::Reshuffle,
            ..with_replacement
        };
        let per_step = SamplerConfig {
            batching: Batching::WithoutReplacement,
            ..config
        };
        let map = theory::affine_map(&per_step, &model).unwrap();
        for draw_at in [DrawAt::EpochEnd, DrawAt::EveryStep] {
            let start = std::time::Instant::now();
            let (mean, cov) = reshuffled_law(&map, draw_at).unwrap();
            eprintln!(
                "d = {d}, N = {data}, {draw_at:?}: law in {:.2?}",
                start.elapsed()
            );
            let thin = if draw_at == DrawAt::EpochEnd { data } else { 1 };
            let mut chain = Chain::new(
                &model,
                &config,
                mean.as_slice(),
                seed_of(&format!("commuting-chain-run-{d}")),
            )
            .unwrap();
            let out = chain.record(
                &RunLength {
                    steps: 3000 * data,
                    burn_in: 10 * data,
                    thin,
                },
                &mut (),
            );
            let report = gaussian_moment_test(&out.draws, &mean, &cov, ALPHA_ASSERTION).unwrap();
            assert!(!report.reject, "d = {d} {draw_at:?}: {report}");
            let wrong =
                gaussian_moment_test(&out.draws, &iid.mean, &iid.covariance, ALPHA_ASSERTION)
                    .unwrap();
            assert!(
                wrong.reject,
                "d = {d} {draw_at:?}, with-replacement law: {wrong}"
            );
            eprintln!(
                "p = {:.2e}; with replacement: p = {:.2e}",
                report.p_value, wrong.p_value
            );
        }
    }
}
