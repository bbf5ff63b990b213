//! Random reshuffling (SGWORLD batching): the closed form against brute-force enumeration of every
//! epoch permutation, and the real reshuffled chain against the closed form.

mod common;

use common::*;
use nalgebra::{DMatrix, DVector};
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, ChainSettings};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::GaussianMean;
use sgbayes::stats::budget::ALPHA_ASSERTION;
use sgbayes::stats::gaussian_moment_test;
use sgbayes::theory::{self, reshuffled_law, AffineRandomMap, DrawAt, ExampleMatrices};

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

#[test]
fn state_dependent_noise_has_no_closed_form_yet() {
    let model = random_linear_regression(2, 6, 1);
    let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithoutReplacement);
    let map = theory::affine_map(&config, &model).unwrap();
    assert!(matches!(
        reshuffled_law(&map, DrawAt::EpochEnd),
        Err(sgbayes::Error::NoClosedForm { .. })
    ));
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
            let out = chain.run(
                &ChainSettings {
                    steps: 400_000,
                    burn_in: 2000,
                    thin,
                    seed: 0,
                },
                |_| {},
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
