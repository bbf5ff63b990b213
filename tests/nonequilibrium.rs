//! Out-of-equilibrium SGD (Adhikari et al. 2023, digest claims 2–8): closed forms against brute force
//! and exact discrete-time laws, the reshuffled-epoch minimum shift, the detailed-theorem slope
//! estimator, the tanh-regression model, typed errors, and the reproduction. The calibrated checks
//! of the current, the entropy production and the fluctuation theorems on the report's circulating
//! problem live beside it (`adhikari2023_nonequilibrium::tests`, the library's unit tests).
//!
//! Statistical budget: every statistical assertion runs at α = [`ALPHA_ASSERTION`] = 10⁻⁶ (Student-t
//! critical value of its batch-means degrees of freedom, about 5–6); power tests assert rejection at
//! the same α. Seeds: [`common::seed_of`] per test.

mod common;

use std::sync::atomic::Ordering;

use common::{random_linear_regression, random_spd, seed_of};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sgbayes::batching::{minibatch_gradient, Batching, Minibatcher};
use sgbayes::chain::{Chain, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::error::Error;
use sgbayes::models::{
    generate_tanh_regression, GaussianMean, LinearRegression, Model, QuadraticModel,
    TanhParameters, TanhRegression, TanhRegressionParams, TanhRegressionSpec,
};
use sgbayes::reproductions::adhikari2023_nonequilibrium as repro;
use sgbayes::reproductions::{Config, Estimate};
use sgbayes::stats::fluctuation_histogram::SymmetricHistogram;
use sgbayes::stats::ALPHA_ASSERTION;
use sgbayes::theory::affine_map;
use sgbayes::theory::nonequilibrium::{
    gaussian_exponential_moment, minibatch_gradient_covariance, report, window_sums,
    without_replacement_minimum, CurvatureModel, Discretisation, EntropyProduction, NearMinimum,
};
use sgbayes::theory::sgd_linearisation::{linearisation, sgd_config};

use common::allocation_counter::{Counting, ALLOCATIONS, COUNTING};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Batch size B of the authors' notebooks (the report's tanh regression).
const BATCH_SIZE: usize = 10;
/// λ_max of the 2-d problems' Hessians (diag(101, 501)): the scale of their step sizes.
const CIRCULATING_LAMBDA_MAX: f64 = 501.0;

/// The tanh regression of the authors' notebooks with the report's data seed 1.
fn regression_problem() -> TanhRegression {
    generate_tanh_regression(&TanhRegressionParams::default(), 1).unwrap()
}

/// A 2-d Gaussian-mean problem with diagonal curvature diag(1, 5), prior precision 1 and centres of
/// an exactly diagonal empirical covariance (a 2×2 factorial design): H = diag(101, 501) and D
/// diagonal, so H and D commute (equilibrium).
fn factorial_problem() -> GaussianMean {
    let centres: Vec<Vec<f64>> = (0..100)
        .map(|i| {
            vec![
                if i % 2 == 0 { 1.0 } else { -1.0 },
                if (i / 2) % 2 == 0 { 0.3 } else { -0.3 },
            ]
        })
        .collect();
    GaussianMean::new(
        DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 5.0])),
        centres,
        vec![0.0, 0.0],
        1.0,
    )
    .unwrap()
}

fn accepts(what: &str, estimate: Estimate, target: f64) {
    assert!(
        estimate.agrees_with(target, ALPHA_ASSERTION),
        "{what}: {} vs {target}: |z| = {:.2} > {:.2} (dof {})",
        estimate.display(),
        estimate.z_score(target),
        estimate.critical_value(ALPHA_ASSERTION),
        estimate.dof
    );
}

/// Elementwise z-scores of ½·(sample covariance of `draws`) against `target`, each with the standard
/// error sd(products)/√n of independent draws.
fn half_covariance_z(draws: &[Vec<f64>], target: &DMatrix<f64>) -> f64 {
    let n = draws.len() as f64;
    let d = target.nrows();
    let mean: Vec<f64> = (0..d)
        .map(|a| draws.iter().map(|x| x[a]).sum::<f64>() / n)
        .collect();
    let mut worst: f64 = 0.0;
    for a in 0..d {
        for b in a..d {
            let products: Vec<f64> = draws
                .iter()
                .map(|x| 0.5 * (x[a] - mean[a]) * (x[b] - mean[b]))
                .collect();
            let m = products.iter().sum::<f64>() / n;
            let sd = (products.iter().map(|p| (p - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            worst = worst.max((m - target[(a, b)]).abs() / (sd / n.sqrt()));
        }
    }
    worst
}

/// One-step increments Δw = −η∇L_b(w) at fixed w for fresh distinct-index batches.
fn sampled_steps(
    model: &dyn Model,
    at: &[f64],
    eta: f64,
    batch: usize,
    draws: usize,
    seed: u64,
) -> Vec<Vec<f64>> {
    let mut batcher =
        Minibatcher::new(Batching::WithoutReplacement, model.data_size(), batch).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut g = vec![0.0; model.dimension()];
    (0..draws)
        .map(|_| {
            minibatch_gradient(model, at, batcher.next_batch(&mut rng), &mut g);
            g.iter().map(|x| -eta * x).collect()
        })
        .collect()
}

/// Claim 2 (the notebooks' check, made calibrated): ½Cov(Δw) of 10⁵ single steps at fixed w equals
/// D = (η²/2)(N−B)/(B(N−1))[NΣg gᵀ − (Σg)(Σg)ᵀ], on a linear regression (d = 3, N = 50, B = 5) and on
/// the tanh regression at w*. Null: the entries' sample means of ½(Δw_a − Δw̄_a)(Δw_b − Δw̄_b) have
/// mean D_ab; statistic max_ab |z_ab| over the d(d+1)/2 entries with i.i.d. standard errors; α = 10⁻⁶
/// Bonferroni-split over the entries (z ≈ 5.5–5.9). Power: the i.i.d.-index factor 1/B instead of
/// (N−B)/(B(N−1)) (8% larger for N = 50, B = 5) must be rejected; with n = 10⁵ the diagonal entries'
/// relative error is ≈ 0.5%, so the effect is ≈ 15 standard errors.
#[test]
fn diffusion_matches_sampled_half_covariance_of_one_step() {
    let regression = random_linear_regression(3, 50, seed_of("diffusion-lr-data"));
    let w = regression.minimum().unwrap();
    let eta = 1e-3;
    let s =
        minibatch_gradient_covariance(&regression, &w, 5, Batching::WithoutReplacement).unwrap();
    let d = &s * (0.5 * eta * eta);
    let draws = sampled_steps(&regression, &w, eta, 5, 100_000, seed_of("diffusion-lr"));
    let critical = sgbayes::stats::budget::two_sided_normal_quantile(ALPHA_ASSERTION / 6.0);
    let z = half_covariance_z(&draws, &d);
    assert!(
        z < critical,
        "D_WR vs sampled: max |z| = {z:.2} ≥ {critical:.2}"
    );
    let iid = minibatch_gradient_covariance(&regression, &w, 5, Batching::WithReplacement).unwrap();
    let z_wrong = half_covariance_z(&draws, &(&iid * (0.5 * eta * eta)));
    assert!(
        z_wrong > critical,
        "power: i.i.d. factor not rejected (max |z| = {z_wrong:.2})"
    );

    let tanh = regression_problem();
    let w = tanh.minimum().unwrap();
    let s =
        minibatch_gradient_covariance(&tanh, &w, BATCH_SIZE, Batching::WithoutReplacement).unwrap();
    let draws = sampled_steps(
        &tanh,
        &w,
        1e-6,
        BATCH_SIZE,
        100_000,
        seed_of("diffusion-tanh"),
    );
    let critical = sgbayes::stats::budget::two_sided_normal_quantile(ALPHA_ASSERTION / 28.0);
    let z = half_covariance_z(&draws, &(&s * 0.5e-12));
    assert!(
        z < critical,
        "tanh D_WR vs sampled: max |z| = {z:.2} ≥ {critical:.2}"
    );
}

/// Claim 5 with multiplicative noise (linear regression, H_i = x_i x_iᵀ/σ²): the exact SGD law
/// (affine-map engine) differs from the linearised chain with D(w*) at O(ηλ_max) (the noise grows
/// with |w − w*|): < 2% at ηλ = 0.01 and halving with η (within 10%). (The additive-noise case, on
/// the report's circulating problem, is a unit test of the report.)
#[test]
fn linearised_chain_against_the_exact_law_with_multiplicative_noise() {
    let regression = random_linear_regression(3, 50, seed_of("ou-multiplicative-data"));
    let w = regression.minimum().unwrap();
    let lambda_max = regression
        .posterior_precision()
        .symmetric_eigenvalues()
        .max();
    let gap = |eta_lambda: f64| {
        let eta = eta_lambda / lambda_max;
        let near = linearisation(&regression, &w, eta, 5).unwrap();
        let discrete = near.discrete_stationary_covariance().unwrap();
        let config = sgd_config(50, eta, 5, Batching::WithoutReplacement);
        let exact = affine_map(&config, &regression)
            .unwrap()
            .stationary_law()
            .unwrap()
            .covariance;
        (discrete - &exact).norm() / exact.norm()
    };
    let (g1, g2) = (gap(0.01), gap(0.005));
    assert!(g1 < 0.02, "multiplicative-noise gap at ηλ = 0.01: {g1}");
    assert!((g1 / g2 - 2.0).abs() < 0.2, "gap not O(η): {g1} / {g2}");
}

fn proptest_config(name: &str, cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed_of(name)),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config("circulation-identities", 64))]

    /// Claim 6 identities on random SPD H, D (d = 2..4, condition ≤ 50, ηλ_max ∈ [10⁻³, 0.5]):
    /// Q antisymmetric; −ηH + DC⁻¹ = −QC⁻¹ (the current); ⟨σ⟩ ≥ 0; the area identity
    /// (η/2)(HC_d − C_dH) = antisymmetric part of C_d(I − ηH)ᵀ with the exact discrete C_d; and with a
    /// commuting D' = aI + bH + cH² (equilibrium): Q = 0, ⟨σ⟩ = 0, relative commutator 0.
    /// Tolerances relative to the size of the cancelling terms (η‖H‖ + ‖D‖‖C⁻¹‖, or η‖H‖‖C‖): 10⁻⁷ where
    /// the Lyapunov solver's residual enters, 10⁻⁹–10⁻¹² for pure algebra.
    #[test]
    fn circulation_identities(d in 2usize..5, seed in any::<u64>(), eta_lambda in 1e-3f64..0.5) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let h = symmetric(random_spd(d, 50.0, &mut rng));
        let diffusion = symmetric(random_spd(d, 50.0, &mut rng));
        let lambda_max = h.symmetric_eigenvalues().max();
        let eta = eta_lambda / lambda_max;
        let near = NearMinimum::new(eta, h.clone(), diffusion.clone()).unwrap();
        let c = near.stationary_covariance().unwrap();
        let q = near.circulation(&c);
        // Scales: each identity cancels terms of size η‖H‖‖C‖ (Q, area) or η‖H‖ (current).
        let scale = eta * h.norm();
        prop_assert!((&q + q.transpose()).norm() <= 1e-12 * scale * c.norm());
        let c_inv = c.clone().try_inverse().unwrap();
        let current = -&h * eta + &diffusion * &c_inv;
        let k = near.velocity_matrix(&c).unwrap();
        // current − K = −(η/2)·r·C⁻¹ with r the Lyapunov residual HC + CH − (2/η)D, so the tolerance
        // is the solver's accuracy (residuals up to ≈ 10⁻⁸ relative seen over seeds), not algebra.
        let terms = scale + diffusion.norm() * c_inv.norm();
        let residual = (&h * &c + &c * &h - &diffusion * (2.0 / eta)).norm() / (&diffusion * (2.0 / eta)).norm();
        prop_assert!(residual <= 1e-7, "Lyapunov residual {residual:e}");
        prop_assert!((&current - &k).norm() <= 1e-7 * terms, "{:e} vs {:e}", (&current - &k).norm(), terms);
        prop_assert!(near.mean_entropy_production(&c).unwrap() >= -1e-12);
        let cd = near.discrete_stationary_covariance().unwrap();
        let lagged = &cd * near.mean_matrix().transpose();
        let area = (&lagged - lagged.transpose()) * 0.5;
        prop_assert!((near.circulation(&cd) - &area).norm() <= 1e-9 * scale * cd.norm());

        let (a, b, c2) = (rng.gen_range(0.1..1.0), rng.gen_range(0.0..1.0), rng.gen_range(0.0..1.0));
        let commuting = DMatrix::identity(d, d) * a + &h * (b / lambda_max) + &h * &h * (c2 / (lambda_max * lambda_max));
        let equilibrium = NearMinimum::new(eta, h.clone(), symmetric(commuting)).unwrap();
        let ce = equilibrium.stationary_covariance().unwrap();
        let qe = equilibrium.circulation(&ce);
        // Rounding of the eigen-based Lyapunov solve: up to 3e-10 relative observed over seeds.
        prop_assert!(qe.norm() <= 1e-8 * eta * h.norm() * ce.norm(), "Q = {:e}, ratio {:e}", qe.norm(), qe.norm() / (eta * h.norm() * ce.norm()));
        prop_assert!(equilibrium.mean_entropy_production(&ce).unwrap().abs() <= 1e-10);
        prop_assert!(equilibrium.relative_commutator() <= 1e-12);
        prop_assert!(near.relative_commutator() > 1e-6);
    }
}

fn symmetric(m: DMatrix<f64>) -> DMatrix<f64> {
    (&m + m.transpose()) * 0.5
}

/// Equilibrium recovered exactly: a 2-d Gaussian-mean problem whose centres have an exactly diagonal
/// empirical covariance (a 2×2 factorial design) with diagonal curvature has D diagonal, so H and D
/// commute: Q = 0 and ⟨σ⟩ = 0 (10⁻¹² relative, rounding only). (The SGWORLD report's equilibrium on
/// a circulating problem is a unit test of the report.)
#[test]
fn equilibrium_when_hessian_and_diffusion_commute() {
    let model = factorial_problem();
    let config = sgd_config(
        100,
        0.1 / CIRCULATING_LAMBDA_MAX,
        BATCH_SIZE,
        Batching::WithoutReplacement,
    );
    let theory = report(&model, &config).unwrap();
    let q_max = theory
        .circulation
        .iter()
        .flatten()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let c_max = theory
        .covariance
        .iter()
        .flatten()
        .fold(0.0f64, |m, x| m.max(x.abs()));
    assert!(q_max <= 1e-12 * c_max, "Q = {:?}", theory.circulation);
    assert!(theory.mean_entropy_production.unwrap().abs() <= 1e-12);
    assert!(theory.relative_commutator <= 1e-12);
}

/// Claim 4, exact: the stationary epoch-end mean of reshuffled SGD on a 2-d linear regression with
/// N = 6, B = 2 (M = 3), computed by enumerating all 720 permutations of the epoch's affine map,
/// lies on the minimum of the effective loss L + (η/4)E_b‖∇L_b‖² up to O(η²): at ηλ_max = 0.01 the
/// residual |w̄ − w̃| is < 5% of the shift |w̃ − w*|, and halving η halves the ratio (within 15%).
/// Power: w* itself (no shift) is rejected: |w̄ − w*| > 10 |w̄ − w̃|.
#[test]
fn reshuffled_minimum_shift_matches_effective_loss() {
    let features = vec![
        vec![1.0, 0.2],
        vec![0.3, 2.0],
        vec![1.5, -0.5],
        vec![0.1, 0.4],
        vec![2.0, 1.0],
        vec![-0.7, 0.9],
    ];
    let model =
        LinearRegression::new(features, vec![1.0, -1.0, 2.0, 0.5, 3.0, -2.0], 1.0, 0.5).unwrap();
    let w_star = DVector::from_vec(model.minimum().unwrap());
    let lambda_max = model.posterior_precision().symmetric_eigenvalues().max();
    let permutations = permutations(6);
    let ratio = |eta_lambda: f64| {
        let eta = eta_lambda / lambda_max;
        let (mut p_mean, mut r_mean) = (DMatrix::<f64>::zeros(2, 2), DVector::<f64>::zeros(2));
        for perm in &permutations {
            let (mut p, mut r) = (DMatrix::<f64>::identity(2, 2), DVector::<f64>::zeros(2));
            for block in perm.chunks(2) {
                let mut h = model.prior_precision();
                let mut c = model.prior_precision() * model.prior_mean();
                for &i in block {
                    h += model.example_hessian(i) * 3.0;
                    c += model.example_offset(i) * 3.0;
                }
                let step = DMatrix::identity(2, 2) - h * eta;
                r = &step * r + c * eta;
                p = step * p;
            }
            p_mean += p;
            r_mean += r;
        }
        let count = permutations.len() as f64;
        let w_bar = (DMatrix::identity(2, 2) - p_mean / count)
            .lu()
            .solve(&(r_mean / count))
            .unwrap();
        let w_tilde = DVector::from_vec(
            without_replacement_minimum(&model, w_star.as_slice(), eta, 2).unwrap(),
        );
        let shift = (&w_tilde - &w_star).norm();
        assert!(
            (&w_bar - &w_star).norm() > 10.0 * (&w_bar - &w_tilde).norm(),
            "power: w* not rejected"
        );
        (&w_bar - &w_tilde).norm() / shift
    };
    let (r1, r2) = (ratio(0.01), ratio(0.005));
    assert!(r1 < 0.05, "residual/shift at ηλ = 0.01: {r1}");
    assert!(
        (r1 / r2 - 2.0).abs() < 0.3,
        "residual not O(η²): {r1} / {r2}"
    );
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for k in 0..=p.len() {
            let mut q = p.clone();
            q.insert(k, n - 1);
            out.push(q);
        }
    }
    out
}

proptest! {
    #![proptest_config(proptest_config("tanh-derivatives", 32))]

    /// The tanh model's analytic gradient equals central differences of its potential, and its
    /// analytic Hessian equals central differences of the analytic gradient, at random θ ∈ [−2, 2]⁷ on
    /// the paper's data. Step 10⁻⁵·(1 + |θ_k|): truncation O(h²) ≈ 10⁻¹⁰ relative, rounding
    /// ≈ ε|U|/h ≈ 10⁻⁸ relative to the gradient scale, hence the 10⁻⁶ tolerance.
    #[test]
    fn tanh_derivatives_match_finite_differences(theta in proptest::collection::vec(-2.0f64..2.0, 7)) {
        let model = regression_problem();
        let mut gradient = vec![0.0; 7];
        model.full_gradient(&theta, &mut gradient);
        let hessian = model.hessian(&theta);
        let scale_g = gradient.iter().fold(1.0f64, |m, g| m.max(g.abs()));
        let scale_h = hessian.amax().max(1.0);
        for k in 0..7 {
            let h = 1e-5 * (1.0 + theta[k].abs());
            let (mut plus, mut minus) = (theta.clone(), theta.clone());
            plus[k] += h;
            minus[k] -= h;
            let numeric = (model.potential(&plus) - model.potential(&minus)) / (2.0 * h);
            prop_assert!((numeric - gradient[k]).abs() <= 1e-6 * scale_g, "∂U/∂θ{k}: {numeric} vs {}", gradient[k]);
            let (mut gp, mut gm) = (vec![0.0; 7], vec![0.0; 7]);
            model.full_gradient(&plus, &mut gp);
            model.full_gradient(&minus, &mut gm);
            for j in 0..7 {
                let numeric = (gp[j] - gm[j]) / (2.0 * h);
                prop_assert!((numeric - hessian[(j, k)]).abs() <= 1e-6 * scale_h, "H[{j},{k}]: {numeric} vs {}", hessian[(j, k)]);
            }
        }
    }
}

/// The tanh regression at the paper's settings: N = 200 on −3:0.03:3 without its last point; w* is a
/// strict minimum (‖∇L‖∞ ≤ 10⁻⁸, H positive definite; the loose cross-checks against the authors'
/// numbers are a unit test of the report). The spec round-trips exactly (and through JSON to the
/// last bit), unknown fields are refused, and the named parameter view round-trips θ.
#[test]
fn tanh_regression_problem_and_interface() {
    let model = regression_problem();
    assert_eq!(model.data_size(), 200);
    assert!((model.inputs()[0] + 3.0).abs() < 1e-15 && (model.inputs()[199] - 2.97).abs() < 1e-12);
    let w = model.minimum().unwrap();
    let mut g = vec![0.0; 7];
    model.full_gradient(&w, &mut g);
    assert!(g.iter().all(|x| x.abs() < 1e-8), "{g:?}");
    let mut eigenvalues: Vec<f64> = model
        .hessian(&w)
        .symmetric_eigenvalues()
        .iter()
        .copied()
        .collect();
    eigenvalues.sort_by(f64::total_cmp);
    assert!(eigenvalues[0] > 0.0);

    assert_eq!(model.to_spec().build().unwrap(), model);
    // serde_json (without its float_roundtrip feature) may change the last bit of a float.
    let json = serde_json::to_string(&model.to_spec()).unwrap();
    let spec: TanhRegressionSpec = serde_json::from_str(&json).unwrap();
    let parsed = spec.build().unwrap();
    let close = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 4e-16 * x.abs().max(1.0))
    };
    assert!(close(parsed.inputs(), model.inputs()) && close(parsed.targets(), model.targets()));
    assert_eq!(
        (parsed.noise_sd(), parsed.regularisation()),
        (model.noise_sd(), model.regularisation())
    );
    let extra = json.replacen('{', "{\"extra\":1,", 1);
    assert!(serde_json::from_str::<TanhRegressionSpec>(&extra).is_err());
    let named = TanhParameters::from_theta(&w).unwrap();
    assert_eq!(named.to_theta().to_vec(), w);
    assert_eq!(
        generate_tanh_regression(&TanhRegressionParams::default(), 1).unwrap(),
        model
    );
}

/// Bad input gives typed errors, never a panic.
#[test]
fn bad_inputs_are_typed_errors() {
    assert!(matches!(
        TanhRegression::new(vec![], vec![], 0.1, 1e-3),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        TanhRegression::new(vec![0.0], vec![1.0, 2.0], 0.1, 1e-3),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        TanhRegression::new(vec![f64::NAN], vec![1.0], 0.1, 1e-3),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        TanhRegression::new(vec![0.0], vec![1.0], 0.0, 1e-3),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        TanhRegression::new(vec![0.0], vec![1.0], 0.1, -1.0),
        Err(Error::Invalid { .. })
    ));
    let params = TanhRegressionParams {
        data_size: 0,
        ..TanhRegressionParams::default()
    };
    assert!(generate_tanh_regression(&params, 1).is_err());
    assert!(matches!(
        TanhParameters::from_theta(&[1.0; 6]),
        Err(Error::DimensionMismatch { .. })
    ));
    let model = regression_problem();
    assert!(matches!(
        model.minimise(&[f64::INFINITY; 7]),
        Err(Error::NonFinite { .. })
    ));

    let h = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.0, 1.0]);
    let d = DMatrix::identity(2, 2);
    assert!(matches!(
        NearMinimum::new(0.1, h, d.clone()),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        NearMinimum::new(0.0, d.clone(), d.clone()),
        Err(Error::NonPositiveStepSize { .. })
    ));
    assert!(matches!(
        NearMinimum::new(0.1, -d.clone(), d.clone()),
        Err(Error::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        NearMinimum::new(0.1, d.clone(), DMatrix::identity(3, 3)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        NearMinimum::new(0.1, d.clone(), -d.clone()),
        Err(Error::Invalid { .. })
    ));
    let past = NearMinimum::new(3.0, d.clone(), d.clone()).unwrap();
    assert!(matches!(
        past.discrete_stationary_covariance(),
        Err(Error::PastStabilityLimit { .. })
    ));
    let singular = NearMinimum::new(0.1, d.clone(), DMatrix::zeros(2, 2)).unwrap();
    let c = singular.stationary_covariance().unwrap();
    assert!(matches!(
        singular.mean_entropy_production(&c),
        Err(Error::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        EntropyProduction::new(&[0.0, 0.0], &d, &DMatrix::zeros(2, 2)),
        Err(Error::NotPositiveDefinite { .. })
    ));
    let e = EntropyProduction::new(&[0.0, 0.0], &d, &d).unwrap();
    assert!(matches!(
        e.along(&[0.0, 1.0, 2.0], Discretisation::Midpoint),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        e.along(&[0.0, f64::NAN], Discretisation::Midpoint),
        Err(Error::NonFinite { .. })
    ));
    assert!(window_sums(&[1.0], 0, 1).is_err());
    assert!(gaussian_exponential_moment(&d, &d, &e, 0, Discretisation::Midpoint, 1.0).is_err());

    let circulating = factorial_problem();
    let sghmc = SamplerConfig::new(
        SamplerKind::Sghmc {
            friction: 0.1,
            noise_estimate: 0.0,
        },
        1e-3,
        10,
        Batching::WithoutReplacement,
    );
    assert!(matches!(
        report(&circulating, &sghmc),
        Err(Error::NoClosedForm { .. })
    ));
    let zero_batch = SamplerConfig::new(SamplerKind::Sgd, 1e-3, 0, Batching::WithoutReplacement);
    assert!(matches!(
        report(&circulating, &zero_batch),
        Err(Error::BatchSize { .. })
    ));
    assert!(matches!(
        minibatch_gradient_covariance(&circulating, &[0.0], 10, Batching::WithoutReplacement),
        Err(Error::DimensionMismatch { .. })
    ));
}

/// The histogram estimator of the detailed theorem is unbiased whatever the bin width: exact
/// Gaussian samples of mean m and variance 2m (which satisfy the theorem) give slope 1 within
/// 6 binomial-scale standard errors even with 6 coarse bins; a bin-centre abscissa would bias it by
/// ≈ −w²/(12·2m) ≈ −3% here. Power: samples of variance 4m (slope ½) are rejected.
#[test]
fn detailed_slope_estimator_is_unbiased() {
    let mut rng = ChaCha20Rng::seed_from_u64(seed_of("histogram"));
    let m = 1.0f64;
    let (mut right, mut wrong) = (
        SymmetricHistogram::new(6.0, 6),
        SymmetricHistogram::new(6.0, 6),
    );
    for _ in 0..1_000_000 {
        let z: f64 = rng.sample(rand_distr::StandardNormal);
        right.add(m + (2.0 * m).sqrt() * z);
        wrong.add(m + (4.0 * m).sqrt() * z);
    }
    let points = right.points();
    let se = 1.0 / points.iter().map(|(x, _, w)| w * x * x).sum::<f64>().sqrt();
    let s = right.slope().unwrap();
    assert!((s - 1.0).abs() < 6.0 * se, "slope {s} ± {se}");
    assert!((wrong.slope().unwrap() - 1.0).abs() > 6.0 * se);
}

/// The reproduction's quick configuration: its calibrated numbers agree with theory, and its record
/// is pinned by a snapshot (its speed is measured by `reproduce`'s timing file, not asserted).
#[test]
fn reproduction_quick() {
    let config = Config::quick();
    let record = repro::run(&config).unwrap();
    let row = record.row("area velocity").unwrap();
    accepts(
        "area velocity",
        row.simulation.unwrap(),
        row.closed_form.unwrap().0,
    );
    let row = record
        .row("mean entropy production per step ⟨σ⟩, midpoint")
        .unwrap();
    accepts(
        "⟨σ⟩ tanh",
        row.simulation.unwrap(),
        row.closed_form.unwrap().0,
    );
    for row in record
        .rows
        .iter()
        .filter(|r| r.quantity.starts_with("integral FT"))
    {
        accepts(&row.quantity, row.simulation.unwrap(), 1.0);
    }
    repro::render(&record).unwrap();
    insta::with_settings!({info => &config, omit_expression => true}, {
        insta::assert_yaml_snapshot!("adhikari2023-nonequilibrium", record);
    });
}

/// Same seed, same bits at any thread count: the quick record under 1 and 3 rayon threads.
#[test]
fn reproduction_is_thread_count_independent() {
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| serde_json::to_string(&repro::run(&Config::quick()).unwrap()).unwrap())
    };
    assert_eq!(run(1), run(3));
}

/// Hot paths allocate nothing: 10⁴ SGD steps on the tanh regression (its `add_example_gradient`)
/// and 10⁴ entropy-production steps, after warm-up, with a counting allocator on this thread
/// (power: a `vec!` is counted).
#[test]
fn hot_paths_do_not_allocate() {
    let model = regression_problem();
    let w = model.minimum().unwrap();
    let config = sgd_config(
        model.data_size(),
        1e-6,
        BATCH_SIZE,
        Batching::WithoutReplacement,
    );
    let mut chain = Chain::new(&model, &config, &w, 1).unwrap();
    let k = DMatrix::from_fn(7, 7, |i, j| (i as f64 - j as f64) * 0.1);
    let estimator = EntropyProduction::new(&w, &k, &DMatrix::identity(7, 7)).unwrap();
    let mut previous = w.clone();
    chain.execute(&RunLength::ONE_STEP, &mut ());
    COUNTING.with(|c| c.set(true));
    ALLOCATIONS.store(0, Ordering::SeqCst);
    let v = std::hint::black_box(vec![1u8; 16]);
    assert!(ALLOCATIONS.load(Ordering::SeqCst) >= 1 && v.len() == 16);
    ALLOCATIONS.store(0, Ordering::SeqCst);
    let mut total = 0.0;
    for _ in 0..10_000 {
        chain.execute(&RunLength::ONE_STEP, &mut ());
        total += estimator.step(&previous, &chain.state()[..7], Discretisation::Midpoint);
        previous.copy_from_slice(&chain.state()[..7]);
    }
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(false));
    assert!(total.is_finite());
    assert_eq!(allocations, 0, "allocations in the hot loop");
}

/// Full-configuration reproduction (≈ 50 s): `cargo test --release --test nonequilibrium -- --ignored`.
#[test]
#[ignore]
fn reproduction_full() {
    let record = repro::run(&Config::full()).unwrap();
    let row = record
        .row("mean entropy production per step ⟨σ⟩, midpoint")
        .unwrap();
    accepts(
        "⟨σ⟩ tanh",
        row.simulation.unwrap(),
        row.closed_form.unwrap().0,
    );
}
