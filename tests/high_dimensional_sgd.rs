//! Online SGD in high dimension at the critical scaling δ = c/N (linear single-index teacher,
//! square loss): the simulator `online::OnlineSingleIndex` against the closed forms of
//! `theory::high_dimensional_sgd` — the effective ODE of (m, r⊥²) with its critical corrector, the
//! exact finite-N moments and the Ornstein–Uhlenbeck fluctuations.
//!
//! The ReLU activation (`Activation::Relu`, `theory::high_dimensional_sgd_relu`) is checked at the
//! end: closed forms against quadrature, fixed point, and the N^{-1/2} path error.
//!
//! Budget: 14 statistical assertions at α = 1e-6 (path means 6, error-scaling slope 1,
//! stationary law 4, critical-scaling power 2, ReLU error-scaling slope 1); every one has a power
//! check on a wrong prediction.

mod common;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sgbayes::online::{Activation, OnlineSingleIndex, SummaryStatistics};
use sgbayes::stats::batch_means::univariate_batch_means;
use sgbayes::stats::budget::{two_sided_normal_quantile, ALPHA_ASSERTION};
use sgbayes::theory::high_dimensional_sgd::{
    Correction, LinearSingleIndexLimit, SummaryState, CRITICAL_STEP_SCALE,
};
use sgbayes::theory::high_dimensional_sgd_relu::ReluSingleIndexLimit;

const NOISE_SD: f64 = 0.5;

fn teacher(n: usize) -> Vec<f64> {
    // A dense unit teacher (no coordinate is special).
    vec![1.0 / (n as f64).sqrt(); n]
}

fn z() -> f64 {
    two_sided_normal_quantile(ALPHA_ASSERTION)
}

// ---------------------------------------------------------------- deterministic identities

/// The fixed points zero the effective drift, with and without the corrector.
#[test]
fn fixed_points_zero_the_drift() {
    for c in [0.05, 0.5, 1.0, 1.5, 1.95] {
        for sd in [0.0, 0.3, 1.0] {
            let limit = LinearSingleIndexLimit::new(c, sd).unwrap();
            for correction in [Correction::Included, Correction::Omitted] {
                let u = limit.fixed_point(correction).unwrap();
                let f = limit.drift(u, correction);
                assert!(f.overlap.abs() < 1e-12 && f.orthogonal_squared_norm.abs() < 1e-12);
            }
            // The corrector moves r⊥²* from 0 to cσ²/(2 − c).
            let moved = limit.fixed_point(Correction::Included).unwrap();
            assert!((moved.orthogonal_squared_norm - c * sd * sd / (2.0 - c)).abs() < 1e-14);
        }
    }
}

/// At and beyond the critical c = 2 the corrected dynamics have no fixed point: r⊥² grows.
#[test]
fn critical_step_scale_destroys_convergence() {
    let start = SummaryState::new(0.0, 0.0);
    for c in [CRITICAL_STEP_SCALE, 2.5] {
        let limit = LinearSingleIndexLimit::new(c, NOISE_SD).unwrap();
        assert!(limit.fixed_point(Correction::Included).is_err());
        assert!(limit.orthogonal_rate(Correction::Included) >= 0.0);
        let late = limit.solution(start, 20.0, Correction::Included);
        assert!(late.orthogonal_squared_norm > 20.0 * c * c * NOISE_SD * NOISE_SD * 0.99);
        // The gradient flow alone still converges.
        let flow = limit.solution(start, 20.0, Correction::Omitted);
        assert!(flow.orthogonal_squared_norm == 0.0 && (flow.overlap - 1.0).abs() < 1e-12);
    }
    // Finite N: the exact second-moment recursion is stable iff c < 2N/(N + 2) → 2.
    for n in [10, 100, 1_000_000] {
        let limit_n = LinearSingleIndexLimit::finite_dimension_critical_step_scale(n);
        assert!(limit_n < 2.0 && (2.0 - limit_n) <= 4.0 / n as f64 + 1e-15);
    }
}

/// The closed-form solution matches RK4 to 1e-10, including at c = 2 (λ = 0) and c > 2.
#[test]
fn closed_form_matches_rk4() {
    let starts = [
        SummaryState::new(0.0, 0.0),
        SummaryState::new(-0.5, 2.0),
        SummaryState::new(0.9, 0.1),
    ];
    for c in [0.3, 1.0, 1.8, 2.0, 2.3] {
        let limit = LinearSingleIndexLimit::new(c, 0.7).unwrap();
        for start in starts {
            for correction in [Correction::Included, Correction::Omitted] {
                let exact = limit.solution(start, 3.0, correction);
                let numeric = limit.rk4_solution(start, 3.0, correction, 20_000);
                let scale = 1.0 + exact.orthogonal_squared_norm.abs();
                assert!((exact.overlap - numeric.overlap).abs() < 1e-10);
                assert!(
                    (exact.orthogonal_squared_norm - numeric.orthogonal_squared_norm).abs()
                        < 1e-10 * scale,
                    "c = {c}, {start:?}, {correction:?}: {exact:?} vs {numeric:?}"
                );
            }
        }
    }
}

/// As c → 0 the corrector vanishes against the population drift (|G|/|F| = O(c) at fixed u) and
/// the corrected fixed point tends to the gradient flow's.
#[test]
fn correction_vanishes_as_c_goes_to_zero() {
    let u = SummaryState::new(0.3, 0.8);
    let mut previous = f64::INFINITY;
    for c in [1e-1, 1e-2, 1e-3, 1e-4] {
        let limit = LinearSingleIndexLimit::new(c, 1.0).unwrap();
        let f = limit.population_drift(u);
        let g = limit.corrector(u);
        let ratio = g.orthogonal_squared_norm.abs() / f.orthogonal_squared_norm.abs();
        assert!((ratio / c - (0.8 + 0.49 + 1.0) / 1.6).abs() < 1e-12);
        assert!(ratio < previous);
        previous = ratio;
        let fixed = limit.fixed_point(Correction::Included).unwrap();
        assert!(fixed.orthogonal_squared_norm <= c);
    }
}

/// The exact finite-N moments converge to the ODE at rate 1/N (k = Nt steps), and their
/// stationary limit is the closed form.
#[test]
fn finite_dimension_moments_converge_to_the_ode() {
    let limit = LinearSingleIndexLimit::new(1.2, NOISE_SD).unwrap();
    let start = SummaryState::new(0.0, 0.5);
    let ode = limit.solution(start, 1.5, Correction::Included);
    let mut scaled = Vec::new();
    for n in [100, 1_000, 10_000] {
        let moments = limit.finite_dimension_moments(n, start, 3 * n / 2);
        scaled.push((
            n as f64 * (moments.overlap_mean - ode.overlap),
            n as f64 * (moments.orthogonal_squared_norm_mean - ode.orthogonal_squared_norm),
        ));
        // N·Var m tends to the OU variance Σ_mm(t).
        let (_, sigma) = limit.fluctuation_covariance_path(start, 1.5, 4_000);
        let rel = (n as f64 * moments.overlap_variance / sigma[(0, 0)] - 1.0).abs();
        assert!(rel < 30.0 / n as f64, "N = {n}: {rel}");
    }
    // N × error settles (error = O(1/N)).
    assert!((scaled[2].0 / scaled[1].0 - 1.0).abs() < 0.05);
    assert!((scaled[2].1 / scaled[1].1 - 1.0).abs() < 0.05);
    for n in [50, 400] {
        let stationary = limit.finite_dimension_stationary_moments(n).unwrap();
        let late = limit.finite_dimension_moments(n, start, 200 * n);
        assert!((late.overlap_mean - 1.0).abs() < 1e-12);
        assert!((late.overlap_variance / stationary.overlap_variance - 1.0).abs() < 1e-10);
        assert!(
            (late.orthogonal_squared_norm_mean / stationary.orthogonal_squared_norm_mean - 1.0)
                .abs()
                < 1e-10
        );
    }
}

/// The Lyapunov solution is the closed form diag(ρ, 2ρ²), and the path covariance
/// of the OU limit relaxes to it; N·Var m at finite N tends to S_mm.
#[test]
fn ou_covariance_closed_form() {
    for c in [0.2, 1.0, 1.7] {
        let limit = LinearSingleIndexLimit::new(c, NOISE_SD).unwrap();
        let rho = c * NOISE_SD * NOISE_SD / (2.0 - c);
        let s = limit.stationary_fluctuation_covariance().unwrap();
        let expected = DMatrix::from_row_slice(2, 2, &[rho, 0.0, 0.0, 2.0 * rho * rho]);
        assert!((&s - &expected).amax() < 1e-12 * expected.amax());
        let fixed = limit.fixed_point(Correction::Included).unwrap();
        let (u, path) = limit.fluctuation_covariance_path(fixed, 60.0 / (c * (2.0 - c)), 20_000);
        assert!((u.orthogonal_squared_norm - rho).abs() < 1e-12);
        assert!((&path - &expected).amax() < 1e-9 * expected.amax());
        let n = 1_000_000;
        let exact = limit.finite_dimension_stationary_moments(n).unwrap();
        // Exact: N·Var m / ρ = (2 − c)/(2 − c − 2c/N) = 1 + O(c/(N(2 − c))).
        let rel = (n as f64 * exact.overlap_variance / rho - 1.0).abs();
        assert!(rel < 1.01 * 2.0 * c / (n as f64 * (2.0 - c - 2.0 * c / n as f64)));
    }
    let beyond = LinearSingleIndexLimit::new(2.0, NOISE_SD).unwrap();
    assert!(beyond.stationary_fluctuation_covariance().is_err());
}

/// The simulator's step allocates nothing.
#[test]
fn online_step_does_not_allocate() {
    use common::allocation_counter::{ALLOCATIONS, COUNTING};
    let n = 64;
    let mut sgd = OnlineSingleIndex::new(teacher(n), NOISE_SD).unwrap();
    let mut theta = vec![0.0; n];
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut records = [SummaryStatistics::default(); 4];
    COUNTING.with(|c| c.set(true));
    ALLOCATIONS.store(0, std::sync::atomic::Ordering::SeqCst);
    sgd.run(&mut theta, 1.0 / n as f64, 50, &mut records, &mut rng);
    COUNTING.with(|c| c.set(false));
    assert_eq!(ALLOCATIONS.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[global_allocator]
static GLOBAL: common::allocation_counter::Counting = common::allocation_counter::Counting;

// ---------------------------------------------------------------- statistical checks

/// R independent replicas from θ₀ = 0, recording (m, r⊥²) at t = 0.5 and t = 1 (k = N/2, N).
fn replicas(n: usize, c: f64, replicas: usize, seed: u64) -> Vec<[SummaryStatistics; 2]> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sgd = OnlineSingleIndex::new(teacher(n), NOISE_SD).unwrap();
    let mut theta = vec![0.0; n];
    (0..replicas)
        .map(|_| {
            theta.fill(0.0);
            let mut records = [SummaryStatistics::default(); 2];
            sgd.run(&mut theta, c / n as f64, n / 2, &mut records, &mut rng);
            records
        })
        .collect()
}

fn mean_and_variance(values: impl Iterator<Item = f64> + Clone) -> (f64, f64, usize) {
    let count = values.clone().count();
    let mean = values.clone().sum::<f64>() / count as f64;
    let var = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1) as f64;
    (mean, var, count)
}

/// Paths at growing N: at t = 1 the replica means of m and r⊥² equal the exact finite-N moments.
///
/// * Null: E m_k and E r⊥²_k from `finite_dimension_moments` (exact at every N), c = 1, σ = 0.5,
///   θ₀ = 0, k = N.
/// * Statistic: z = (mean − E)/SE; SE from the exact Var m_k for m, from the replica sample
///   variance for r⊥² (R ≥ 64, so the t-correction at z = 4.89 is below 10 %: the threshold is
///   the Student t quantile bound z·(1 + 2.5/R)).
/// * α = 1e-6 per assertion, 6 assertions (2 statistics × N ∈ {100, 400, 1600}); R = 512, 128, 64.
/// * Power: the ODE without the corrector keeps r⊥² = 0 from θ₀ = 0, against the corrected
///   r⊥²(1) = 0.39; rejected at every N (z > 160 measured).
#[test]
fn path_means_match_the_exact_finite_dimension_moments() {
    let c = 1.0;
    let limit = LinearSingleIndexLimit::new(c, NOISE_SD).unwrap();
    let start = SummaryState::new(0.0, 0.0);
    let wrong = limit.solution(start, 1.0, Correction::Omitted);
    for (n, r) in [(100, 512), (400, 128), (1600, 64)] {
        let runs = replicas(n, c, r, common::seed_of(&format!("path_means_{n}")));
        let exact = limit.finite_dimension_moments(n, start, n);
        let threshold = z() * (1.0 + 2.5 / r as f64);
        let (m_mean, _, _) = mean_and_variance(runs.iter().map(|x| x[1].overlap));
        let z_m = (m_mean - exact.overlap_mean) / (exact.overlap_variance / r as f64).sqrt();
        let (p_mean, p_var, _) =
            mean_and_variance(runs.iter().map(|x| x[1].orthogonal_squared_norm));
        let se = (p_var / r as f64).sqrt();
        let z_p = (p_mean - exact.orthogonal_squared_norm_mean) / se;
        let z_wrong = (p_mean - wrong.orthogonal_squared_norm) / se;
        println!(
            "N = {n}: m {m_mean:.5} vs {:.5} (z {z_m:.2}); r⊥² {p_mean:.5} vs {:.5} (z {z_p:.2}); \
             no corrector {:.5} (z {z_wrong:.1})",
            exact.overlap_mean, exact.orthogonal_squared_norm_mean, wrong.orthogonal_squared_norm
        );
        assert!(z_m.abs() < threshold, "N = {n}: z_m = {z_m}");
        assert!(z_p.abs() < threshold, "N = {n}: z_p = {z_p}");
        assert!(z_wrong.abs() > threshold, "power, N = {n}: {z_wrong}");
    }
}

/// Least-squares slope of y on x and its standard deviation for independent y_i with sd `sd_i`.
fn slope_with_sd(x: &[f64], y: &[f64], sd: &[f64]) -> (f64, f64) {
    let mean_x = x.iter().sum::<f64>() / x.len() as f64;
    let sxx: f64 = x.iter().map(|v| (v - mean_x).powi(2)).sum();
    let weights: Vec<f64> = x.iter().map(|v| (v - mean_x) / sxx).collect();
    let slope = weights.iter().zip(y).map(|(w, v)| w * v).sum();
    let var = weights
        .iter()
        .zip(sd)
        .map(|(w, s)| w * w * s * s)
        .sum::<f64>();
    (slope, var.sqrt())
}

/// The simulated paths approach the effective ODE like N^{-1/2}: the root-mean-square error
/// E_N of (m, r⊥²) at t = 1 over R replicas, fitted on log N, has slope −1/2.
///
/// * Null: N·E_N² → tr Σ(1), the OU path covariance (`fluctuation_covariance_path`), so
///   log E_N = −½ log N + const + O(1/N).
/// * Statistic: least-squares slope over N ∈ {100, 400, 1600} (R = 512, 128, 64). E_N² is a mean
///   of R i.i.d. Q = X² + Y² with Gaussian X, Y, so sd(log E_N) ≤ 1/√(2R); the slope's sd
///   follows from the least-squares weights (0.045 here), tolerance z = 4.89 times it.
/// * α = 1e-6, 1 assertion. Power: against the ODE without the corrector the error does not
///   shrink (slope ≈ 0, rejected).
#[test]
fn path_error_shrinks_like_inverse_square_root_of_dimension() {
    let c = 1.0;
    let limit = LinearSingleIndexLimit::new(c, NOISE_SD).unwrap();
    let start = SummaryState::new(0.0, 0.0);
    let ode = limit.solution(start, 1.0, Correction::Included);
    let flow = limit.solution(start, 1.0, Correction::Omitted);
    let (_, sigma) = limit.fluctuation_covariance_path(start, 1.0, 2_000);
    let (mut x, mut y, mut y_wrong, mut sd) = (vec![], vec![], vec![], vec![]);
    for (n, r) in [(100, 512), (400, 128), (1600, 64)] {
        let runs = replicas(n, c, r, common::seed_of(&format!("path_error_{n}")));
        let mse = |u: SummaryState| {
            runs.iter()
                .map(|x| {
                    (x[1].overlap - u.overlap).powi(2)
                        + (x[1].orthogonal_squared_norm - u.orthogonal_squared_norm).powi(2)
                })
                .sum::<f64>()
                / r as f64
        };
        let e2 = mse(ode);
        println!(
            "N = {n}: E_N = {:.5}, N·E_N² = {:.4} (OU tr Σ(1) = {:.4})",
            e2.sqrt(),
            n as f64 * e2,
            sigma.trace()
        );
        x.push((n as f64).ln());
        y.push(0.5 * e2.ln());
        y_wrong.push(0.5 * mse(flow).ln());
        sd.push(1.0 / (2.0 * r as f64).sqrt());
    }
    let (slope, slope_sd) = slope_with_sd(&x, &y, &sd);
    let (slope_wrong, _) = slope_with_sd(&x, &y_wrong, &sd);
    println!("slope {slope:.4} ± {slope_sd:.4}; without corrector {slope_wrong:.4}");
    assert!(
        (slope + 0.5).abs() < z() * slope_sd,
        "slope {slope} ± {slope_sd}"
    );
    assert!(
        (slope_wrong + 0.5).abs() > z() * slope_sd,
        "power: {slope_wrong}"
    );
}

/// One long stationary run at dimension `n`: (m, r⊥²) every N/4 steps after a burn-in.
fn stationary_series(n: usize, c: f64, time: usize, seed: u64) -> Vec<SummaryStatistics> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let teacher = teacher(n);
    let mut theta = teacher.clone();
    let mut sgd = OnlineSingleIndex::new(teacher, NOISE_SD).unwrap();
    let burn_in = (20.0 / (c * (2.0 - c))).ceil() as usize;
    let step_size = c / n as f64;
    let mut scratch = [SummaryStatistics::default(); 1];
    sgd.run(&mut theta, step_size, burn_in * n, &mut scratch, &mut rng);
    let mut records = vec![SummaryStatistics::default(); 4 * time];
    sgd.run(&mut theta, step_size, n / 4, &mut records, &mut rng);
    records
}

/// z-statistic of the batch-means mean of `series` against `target`, batches of `length`.
fn batch_z(series: &[f64], length: usize, target: f64) -> (f64, f64, f64) {
    let bm = univariate_batch_means(series, length).unwrap();
    (
        (bm.mean - target) / bm.standard_error,
        bm.mean,
        bm.standard_error,
    )
}

/// The stationary law at N = 100, c = 1, σ = 0.5 (ρ = r⊥²* = 0.25).
///
/// * Null (exact at finite N): E r⊥² = (N − 1)s and E N(m − 1)² = N s with
///   s = cσ²/(N(2 − c − 2c/N)) (`finite_dimension_stationary_moments`); (OU, N → ∞) the scaled
///   fluctuations √N(m − 1, r⊥² − E r⊥²) have covariance S = diag(ρ, 2ρ²) = diag(0.25, 0.125)
///   (`stationary_fluctuation_covariance`); for S_rr a bias budget of
///   8c/(N(2 − c)) = 8 % covers the O(1/N) finite-dimension correction (the exact N·Var m
///   differs from S_mm by 2c/(N(2 − c − 2c/N)) = 2 %).
/// * Statistic: batch-means z of each functional, 3 000 time units recorded every t = 1/4
///   (12 000 records, batches of 25 time units: 120 batches, relaxation time 1/(c(2 − c)) = 1),
///   threshold z·1.1 (Student t with 119 dof at α = 1e-6 is below 1.1 z).
/// * α = 1e-6, 4 assertions: E r⊥², N·Var m, N·Var r⊥², N·Cov(m, r⊥²) = 0.
/// * Power: the corrector dropped (r⊥²* = 0, S_mm = cσ²/2 = 0.125) is rejected; so is
///   S_rr = 2ρ²(2 + c)/(2 − c) = 0.375, the OU variance when the diffusion drops the corrector's
///   own fluctuation c²(a² − E a²) (a derivation error made and caught here), and Cov = 2ρ, the
///   value for |θ|² in place of r⊥².
#[test]
fn stationary_law_matches_exact_moments_and_ou_covariance() {
    let (n, c) = (100, 1.0);
    let limit = LinearSingleIndexLimit::new(c, NOISE_SD).unwrap();
    let exact = limit.finite_dimension_stationary_moments(n).unwrap();
    let s = limit.stationary_fluctuation_covariance().unwrap();
    let series = stationary_series(n, c, 3_000, common::seed_of("stationary_law"));
    let nf = n as f64;
    let threshold = 1.1 * z();
    let p: Vec<f64> = series.iter().map(|u| u.orthogonal_squared_norm).collect();
    let m2: Vec<f64> = series
        .iter()
        .map(|u| nf * (u.overlap - 1.0).powi(2))
        .collect();
    let p2: Vec<f64> = p
        .iter()
        .map(|v| nf * (v - exact.orthogonal_squared_norm_mean).powi(2))
        .collect();
    let mp: Vec<f64> = series
        .iter()
        .map(|u| {
            nf * (u.overlap - 1.0)
                * (u.orthogonal_squared_norm - exact.orthogonal_squared_norm_mean)
        })
        .collect();
    let length = 100;
    let (z_p, p_hat, p_se) = batch_z(&p, length, exact.orthogonal_squared_norm_mean);
    let (z_m2, m2_hat, m2_se) = batch_z(&m2, length, nf * exact.overlap_variance);
    let budget = 8.0 * c / (nf * (2.0 - c)) * s[(1, 1)];
    let (_, p2_hat, p2_se) = batch_z(&p2, length, s[(1, 1)]);
    let (z_mp, mp_hat, mp_se) = batch_z(&mp, length, 0.0);
    println!(
        "E r⊥² {p_hat:.5} ± {p_se:.5} (exact {:.5}); N Var m {m2_hat:.5} ± {m2_se:.5} (exact {:.5}, OU {:.4}); \
         N Var r⊥² {p2_hat:.5} ± {p2_se:.5} (OU {:.4}); N Cov {mp_hat:.5} ± {mp_se:.5}",
        exact.orthogonal_squared_norm_mean,
        nf * exact.overlap_variance,
        s[(0, 0)],
        s[(1, 1)]
    );
    assert!(z_p.abs() < threshold, "E r⊥²: z = {z_p}");
    assert!(z_m2.abs() < threshold, "N Var m: z = {z_m2}");
    assert!(
        (p2_hat - s[(1, 1)]).abs() < budget + threshold * p2_se,
        "N Var r⊥² {p2_hat} vs {} (budget {budget})",
        s[(1, 1)]
    );
    assert!(z_mp.abs() < threshold, "N Cov: z = {z_mp}");
    // Power.
    let rho = s[(0, 0)];
    assert!((p_hat / p_se).abs() > threshold);
    assert!(((m2_hat - c * NOISE_SD * NOISE_SD / 2.0) / m2_se).abs() > threshold);
    let dropped = 2.0 * rho * rho * (2.0 + c) / (2.0 - c);
    assert!((p2_hat - dropped).abs() > budget + threshold * p2_se);
    assert!(((mp_hat - 2.0 * rho) / mp_se).abs() > threshold);
}

/// Near the critical scaling (c = 1.8, N = 100) the stationary r⊥² follows the exact finite-N
/// law and the gradient-flow ODE (no corrector, r⊥²* = 0) is rejected.
///
/// * Null: E r⊥² = (N − 1)s, s = cσ²/(N(2 − c − 2c/N)) = 2.716 (the N → ∞ value is
///   cσ²/(2 − c) = 2.25; the gap is the finite-N shift of the critical c to 2N/(N + 2) = 1.96).
/// * Statistic: batch-means z over 4 000 time units recorded every t = 1/4, batches of 50 time
///   units (80 batches; relaxation time 1/(c(2 − c)) = 2.8), threshold z·1.15 (t with 79 dof).
/// * α = 1e-6, 2 assertions (the exact mean; E r⊥² ≥ the N → ∞ fixed point, which the corrected
///   ODE gives and the uncorrected one misses by 2.25). Power: r⊥²* = 0 rejected.
#[test]
fn critical_scaling_rejects_the_uncorrected_ode() {
    let (n, c) = (100, 1.8);
    let limit = LinearSingleIndexLimit::new(c, NOISE_SD).unwrap();
    let exact = limit.finite_dimension_stationary_moments(n).unwrap();
    let corrected = limit.fixed_point(Correction::Included).unwrap();
    let series = stationary_series(n, c, 4_000, common::seed_of("critical_scaling"));
    let p: Vec<f64> = series.iter().map(|u| u.orthogonal_squared_norm).collect();
    let threshold = 1.15 * z();
    let (z_p, p_hat, p_se) = batch_z(&p, 200, exact.orthogonal_squared_norm_mean);
    println!(
        "c = {c}: E r⊥² {p_hat:.4} ± {p_se:.4} (exact N = {n}: {:.4}; N → ∞ corrected {:.4}; uncorrected 0)",
        exact.orthogonal_squared_norm_mean, corrected.orthogonal_squared_norm
    );
    assert!(z_p.abs() < threshold, "z = {z_p}");
    assert!((p_hat - corrected.orthogonal_squared_norm) / p_se > -threshold);
    assert!(
        p_hat / p_se > threshold,
        "power: the uncorrected fixed point 0"
    );
}

// ---------------------------------------------------------------- ReLU activation

/// Standard normal density and upper tail.
fn density(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}
fn upper_tail(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}

/// E[bu], E[bγ], E[b²] by quadrature, independently of the arc-cosine closed forms: for each u
/// the integral over γ = √p z is exact (truncated moments of z above z₀ = −mu/√p), the integral
/// over u is the midpoint rule on [−10, 0] and [0, 10] (split at the kink of max(0, u)).
fn relu_expectations_by_quadrature(m: f64, p: f64, noise_var: f64) -> [f64; 3] {
    let sp = p.sqrt();
    let h = 1e-4;
    let mut out = [0.0; 3];
    for side in [-1.0, 1.0] {
        for i in 0..100_000 {
            let u = side * (i as f64 + 0.5) * h;
            let z0 = -m * u / sp;
            let (p0, p1) = (upper_tail(z0), density(z0));
            let p2 = p0 + z0 * p1;
            let r = u.max(0.0);
            // b = (r − mu − √p z)·1{z > z0} (+ noise, mean zero).
            let bu = u * ((r - m * u) * p0 - sp * p1);
            let bg = sp * ((r - m * u) * p1 - sp * p2);
            let b2 =
                (r - m * u).powi(2) * p0 - 2.0 * (r - m * u) * sp * p1 + p * p2 + noise_var * p0;
            let w = density(u) * h;
            out[0] += w * bu;
            out[1] += w * bg;
            out[2] += w * b2;
        }
    }
    out
}

/// The arc-cosine closed forms of the ReLU drift equal the quadrature to 1e-7.
#[test]
fn relu_expectations_match_quadrature() {
    let limit = ReluSingleIndexLimit::new(1.0, 0.5).unwrap();
    for (m, p) in [
        (0.0, 1.0),
        (0.3, 0.5),
        (-0.6, 0.2),
        (0.95, 0.05),
        (1.2, 2.0),
    ] {
        let e = limit.expectations(SummaryState::new(m, p)).unwrap();
        let q = relu_expectations_by_quadrature(m, p, 0.25);
        for (closed, numeric) in [e.gradient_overlap, e.gradient_orthogonal, e.gradient_square]
            .iter()
            .zip(q)
        {
            assert!(
                (closed - numeric).abs() < 1e-7,
                "m = {m}, p = {p}: {closed} vs {numeric}"
            );
        }
    }
}

/// The corrected ReLU fixed point zeroes the drift, tends to the near-teacher approximation
/// cσ²/(2 − c) as c → 0, grows with c and, unlike the linear model's, survives at c = 2; from the
/// teacher the ODE diverges at c = 2.3.
#[test]
fn relu_fixed_point() {
    let mut previous = 0.0;
    for c in [0.01, 0.5, 1.0, 1.5, 1.9, 2.0] {
        let limit = ReluSingleIndexLimit::new(c, NOISE_SD).unwrap();
        let u = limit.fixed_point(Correction::Included).unwrap();
        let f = limit.drift(u, Correction::Included).unwrap();
        assert!(f.overlap.abs() < 1e-12 && f.orthogonal_squared_norm.abs() < 1e-12);
        assert!(u.orthogonal_squared_norm > previous);
        previous = u.orthogonal_squared_norm;
        if c == 0.01 {
            let near = c * NOISE_SD * NOISE_SD / (2.0 - c);
            assert!(
                (u.orthogonal_squared_norm / near - 1.0).abs() < 0.05,
                "{u:?}"
            );
        }
        println!(
            "ReLU c = {c}: u* = ({:.6}, {:.6}); linear-model r⊥²* {:.6}",
            u.overlap,
            u.orthogonal_squared_norm,
            c * NOISE_SD * NOISE_SD / (2.0 - c)
        );
    }
}

/// ReLU paths approach the corrected ODE like N^{-1/2}: as
/// `path_error_shrinks_like_inverse_square_root_of_dimension`, from m₀ = 0.3, r⊥²₀ = 0.5 at c = 1,
/// t = 1, against the RK4 solution of the corrected ODE.
///
/// * Statistic: least-squares slope of log E_N on log N over N ∈ {100, 400, 1600}
///   (R = 512, 128, 32); sd of log E_N from the replicas (delta method), tolerance z·sd.
/// * α = 1e-6, 1 assertion. Power: against the gradient flow (no corrector) the error does not
///   shrink and the slope is rejected.
#[test]
fn relu_path_error_shrinks_like_inverse_square_root_of_dimension() {
    let c = 1.0;
    let limit = ReluSingleIndexLimit::new(c, NOISE_SD).unwrap();
    let (m0, p0) = (0.3, 0.5);
    let start = SummaryState::new(m0, p0);
    let ode = limit
        .solution(start, 1.0, Correction::Included, 4_000)
        .unwrap();
    let flow = limit
        .solution(start, 1.0, Correction::Omitted, 4_000)
        .unwrap();
    let (mut x, mut y, mut y_flow, mut sd) = (vec![], vec![], vec![], vec![]);
    for (n, r) in [(100, 512), (400, 128), (1600, 32)] {
        let teacher = teacher(n);
        // θ₀ = m₀θ* + √p₀(e₁ − e₂)/√2 (orthogonal to the dense teacher).
        let mut theta0: Vec<f64> = teacher.iter().map(|t| m0 * t).collect();
        theta0[0] += (p0 / 2.0).sqrt();
        theta0[1] -= (p0 / 2.0).sqrt();
        let mut sgd = OnlineSingleIndex::new(teacher, NOISE_SD)
            .unwrap()
            .with_activation(Activation::Relu);
        let mut rng = ChaCha8Rng::seed_from_u64(common::seed_of(&format!("relu_path_{n}")));
        let (mut q, mut q_flow) = (Vec::new(), Vec::new());
        for _ in 0..r {
            let mut theta = theta0.clone();
            let mut record = [SummaryStatistics::default(); 1];
            sgd.run(&mut theta, c / n as f64, n, &mut record, &mut rng);
            let u = record[0];
            let sq = |v: SummaryState| {
                (u.overlap - v.overlap).powi(2)
                    + (u.orthogonal_squared_norm - v.orthogonal_squared_norm).powi(2)
            };
            q.push(sq(ode));
            q_flow.push(sq(flow));
        }
        let (mean, var, _) = mean_and_variance(q.iter().copied());
        let (mean_flow, _, _) = mean_and_variance(q_flow.iter().copied());
        println!(
            "ReLU N = {n}: RMS error {:.5} (N·MSE {:.4}); to the gradient flow {:.5}",
            mean.sqrt(),
            n as f64 * mean,
            mean_flow.sqrt()
        );
        x.push((n as f64).ln());
        y.push(0.5 * mean.ln());
        y_flow.push(0.5 * mean_flow.ln());
        sd.push(0.5 * (var / r as f64).sqrt() / mean);
    }
    let (slope, slope_sd) = slope_with_sd(&x, &y, &sd);
    let (slope_flow, _) = slope_with_sd(&x, &y_flow, &sd);
    println!("ReLU slope {slope:.4} ± {slope_sd:.4}; without corrector {slope_flow:.4}");
    assert!(
        (slope + 0.5).abs() < z() * slope_sd,
        "slope {slope} ± {slope_sd}"
    );
    assert!(
        (slope_flow + 0.5).abs() > z() * slope_sd,
        "power: {slope_flow}"
    );
}
