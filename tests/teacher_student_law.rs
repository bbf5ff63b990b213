//! The Kronecker form of the exact stationary SGD/SGLD law on the linear teacher–student model
//! (`theory::teacher_student_law`): against the generic dense solver at small n·m, its derived
//! quantities against the full covariance, against the real `sgd` sampler at a size the dense
//! solver refuses (calibrated batch-means test with a power check), and its typed errors.
//!
//! Run alone: `cargo test --release --test teacher_student_law` (about 20 s on two cores).

mod common;

use common::seed_of;
use nalgebra::{DMatrix, DVector};
use sgbayes::batching::Batching;
use sgbayes::chain::{Chain, RunLength};
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::error::Error;
use sgbayes::models::{generate_teacher_student, LinearTeacherStudent, TeacherStudentParams};
use sgbayes::stats::{univariate_batch_means_z_test, ALPHA_ASSERTION};
use sgbayes::theory::teacher_student_law::TeacherStudentLaw;

fn problem(outputs: usize, inputs: usize, data_size: usize, name: &str) -> LinearTeacherStudent {
    // Raw (not whitened) inputs: a whitened sample makes every eigenvalue of the engine's mean
    // map nm-fold, on which its dense spectral-radius check is slow.
    let params = TeacherStudentParams {
        outputs,
        inputs,
        rank: 1,
        data_size,
        label_noise: 0.7,
        prior_precision: 2.5,
        noise_variance: 1.3,
        whiten: false,
        ..Default::default()
    };
    generate_teacher_student(&params, seed_of(name)).unwrap()
}

fn relative(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).amax() / b.amax()
}

/// Deterministic: the Kronecker law equals the generic dense solver's (affine map of the real
/// sampler laws, d = nm ≤ 64) to 1e-9 relative in mean and covariance, for SGD with and without
/// replacement and for SGLD, at three shapes (n, m) = (2, 3), (4, 8), (8, 8). Both solvers are
/// refined to rounding level (residuals ≤ 1e-12 relative), and the conditioning of these problems
/// (1/(1 − ρ) ≲ 10³) leaves the difference at ≈ 1e-12.
#[test]
fn kronecker_law_equals_dense_solver() {
    for (n, m, big_n) in [(2, 3, 40), (4, 8, 60), (8, 8, 50)] {
        let model = problem(n, m, big_n, "ts-law-dense");
        for (kind, step, batch, batching) in [
            (SamplerKind::Sgd, 0.3, 4, Batching::WithReplacement),
            (SamplerKind::Sgd, 0.2, 7, Batching::WithoutReplacement),
            (
                SamplerKind::Sgld,
                0.2 / big_n as f64,
                5,
                Batching::WithReplacement,
            ),
        ] {
            let config = SamplerConfig::new(kind, step, batch, batching);
            let dense = sgbayes::theory::affine_map(&config, &model)
                .unwrap()
                .stationary_law_dense()
                .unwrap();
            let law = TeacherStudentLaw::new(&model, &config).unwrap();
            let mean = DVector::from_vec(LinearTeacherStudent::flatten(law.mean()));
            let mean_error = (&mean - &dense.mean).amax() / dense.mean.amax();
            let covariance = law.covariance().unwrap();
            let covariance_error = relative(&covariance, &dense.covariance);
            eprintln!("{kind:?} n = {n}, m = {m}: mean {mean_error:.1e}, covariance {covariance_error:.1e}");
            assert!(mean_error < 1e-9, "{kind:?} n = {n}, m = {m}: {mean_error}");
            assert!(
                covariance_error < 1e-9,
                "{kind:?} n = {n}, m = {m}: {covariance_error}"
            );
            let ridge = model.ridge_solution().unwrap();
            assert!(relative(law.mean(), &ridge) < 1e-10);
        }
    }
}

/// Deterministic: the one-solve quantities (input-side E[ΔᵀΔ], output-side E[ΔΔᵀ] by the adjoint,
/// its weighted form E[ΔFΔᵀ], the entry variance, Var(uᵀWv), Cov(Wᵀu)) equal their definitions
/// evaluated on the assembled full covariance, to 1e-10 relative (independent solves, each
/// refined to rounding level).
#[test]
fn derived_quantities_match_the_full_covariance() {
    let (n, m) = (3, 5);
    let model = problem(n, m, 30, "ts-law-derived");
    let config = SamplerConfig::new(SamplerKind::Sgd, 0.25, 3, Batching::WithReplacement);
    let law = TeacherStudentLaw::new(&model, &config).unwrap();
    let full = law.covariance().unwrap();
    let block = |a: usize, b: usize| full.view((a * m, b * m), (m, m)).into_owned();
    let mut input = DMatrix::zeros(m, m);
    for a in 0..n {
        input += block(a, a);
    }
    assert!(relative(&law.input_covariance().unwrap(), &input) < 1e-10);
    let f = DMatrix::from_fn(m, m, |j, k| 1.0 / (1.0 + j as f64 + k as f64));
    let output_f = DMatrix::from_fn(n, n, |a, b| (f.transpose() * block(a, b)).trace());
    assert!(relative(&law.output_covariance_weighted(&f).unwrap(), &output_f) < 1e-10);
    let output = DMatrix::from_fn(n, n, |a, b| block(a, b).trace());
    assert!(relative(&law.output_covariance(), &output) < 1e-10);
    assert!((law.entry_variance() / (full.trace() / (n * m) as f64) - 1.0).abs() < 1e-10);
    let (u, v) = ([0.3, -1.0, 0.5], [1.0, 0.2, 0.0, -0.4, 0.7]);
    let uv = DVector::from_fn(n * m, |k, _| u[k / m] * v[k % m]);
    let exact = uv.dot(&(&full * &uv));
    assert!((law.bilinear_variance(&u, &v).unwrap() / exact - 1.0).abs() < 1e-10);
    let uu = DVector::from_column_slice(&u) * DVector::from_column_slice(&u).transpose();
    let mut projected = DMatrix::zeros(m, m);
    for a in 0..n {
        for b in 0..n {
            projected += block(a, b) * uu[(a, b)];
        }
    }
    assert!(relative(&law.projected_covariance(&uu).unwrap(), &projected) < 1e-10);
}

/// Calibrated test at a size the generic dense solver refuses (n = 4, m = 24, d = 96; N = 300
/// raw Gaussian inputs, SGD ε = 0.3, B = 5 with replacement), started at W_∞.
///
/// * Null: the per-step mean squared entry |θ_t − vec W_∞|²/(nm) of the real `sgd` sampler has
///   mean [`TeacherStudentLaw::entry_variance`] (exact: no approximation).
/// * Statistic: batch-means z (`univariate_batch_means_z_test`), α = 10⁻⁶, 2·10⁵ steps after a
///   burn-in of 2·10³; integrated autocorrelation time τ ≈ 13, N_eff ≈ 1.5·10⁴, relative SE
///   ≈ 0.16 %: minimum detectable relative effect ≈ 5.3 SE ≈ 0.9 %.
/// * Power: the law with the minibatch factor N/B dropped (the same problem's law for B = N with
///   replacement, whose noise is B/N = 1/60 as large) must be rejected by the same test.
#[test]
fn kronecker_law_agrees_with_the_sgd_sampler() {
    let model = problem(4, 24, 300, "ts-law-chain");
    let config = SamplerConfig::new(SamplerKind::Sgd, 0.3, 5, Batching::WithReplacement);
    let law = TeacherStudentLaw::new(&model, &config).unwrap();
    assert!(sgbayes::theory::affine_map(&config, &model)
        .unwrap()
        .stationary_law_dense()
        .is_err());
    let fixed = LinearTeacherStudent::flatten(law.mean());
    let mut chain = Chain::new(&model, &config, &fixed, seed_of("ts-law-chain-run")).unwrap();
    chain.execute(
        &RunLength {
            burn_in: 0,
            steps: 2000,
            thin: 1,
        },
        &mut (),
    );
    let d = fixed.len() as f64;
    let series: Vec<f64> = (0..200_000)
        .map(|_| {
            chain.execute(&RunLength::ONE_STEP, &mut ());
            chain
                .state()
                .iter()
                .zip(&fixed)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                / d
        })
        .collect();
    let test =
        univariate_batch_means_z_test(&series, law.entry_variance(), ALPHA_ASSERTION).unwrap();
    eprintln!("exact {}: {test:?}", law.entry_variance());
    assert!(!test.reject, "{test:?}");
    let dropped = SamplerConfig {
        batch_size: model_size(&model),
        ..config
    };
    let wrong = TeacherStudentLaw::new(&model, &dropped)
        .unwrap()
        .entry_variance();
    let power = univariate_batch_means_z_test(&series, wrong, ALPHA_ASSERTION).unwrap();
    assert!(
        power.reject,
        "the N/B-dropped law {wrong} was not rejected: {power:?}"
    );
}

fn model_size(model: &LinearTeacherStudent) -> usize {
    sgbayes::models::Model::data_size(model)
}

/// Deterministic: bad input is a typed error, never a panic.
#[test]
fn bad_input_is_a_typed_error() {
    let model = problem(2, 3, 20, "ts-law-errors");
    let sgd = SamplerConfig::new(SamplerKind::Sgd, 0.1, 4, Batching::WithReplacement);
    let other = SamplerConfig::new(
        SamplerKind::SgdMomentum { damping: 0.5 },
        0.1,
        4,
        Batching::WithReplacement,
    );
    assert!(matches!(
        TeacherStudentLaw::new(&model, &other),
        Err(Error::NoClosedForm { .. })
    ));
    let reshuffled = SamplerConfig {
        batching: Batching::Reshuffle,
        ..sgd
    };
    assert!(matches!(
        TeacherStudentLaw::new(&model, &reshuffled),
        Err(Error::NoClosedForm { .. })
    ));
    let too_big = SamplerConfig {
        batch_size: 21,
        ..sgd
    };
    assert!(matches!(
        TeacherStudentLaw::new(&model, &too_big),
        Err(Error::BatchSize { .. })
    ));
    // Past the mean limit 2σ²/λ_max: the mean map does not contract.
    let divergent = SamplerConfig {
        step_size: 1e3,
        ..sgd
    };
    assert!(matches!(
        TeacherStudentLaw::new(&model, &divergent),
        Err(Error::NotContracting { .. })
    ));
    // Between the mean-square and the mean limit 2σ²/(λ_max(C) + κ) (B = 1): the certificate
    // fails.
    let limit = 2.0 * model.noise_variance()
        / (nalgebra::SymmetricEigen::new(model.input_second_moment())
            .eigenvalues
            .max()
            + model.ridge());
    let noisy = SamplerConfig {
        step_size: 0.8 * limit,
        batch_size: 1,
        ..sgd
    };
    let unstable = TeacherStudentLaw::new(&model, &noisy);
    assert!(
        matches!(
            unstable,
            Err(Error::MeanSquareUnstable { .. } | Error::Invalid { .. })
        ),
        "{:?}",
        unstable.map(|law| law.entry_variance())
    );
    let law = TeacherStudentLaw::new(&model, &sgd).unwrap();
    assert!(matches!(
        law.projected_covariance(&DMatrix::identity(3, 3)),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        law.projected_covariance(&DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 0.0, 1.0])),
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        law.output_covariance_weighted(&DMatrix::from_element(3, 3, f64::NAN)),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(
        law.bilinear_variance(&[1.0], &[1.0, 0.0, 0.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        law.block_covariance(0, 2),
        Err(Error::Invalid { .. })
    ));
    let wide = problem(40, 30, 60, "ts-law-wide");
    let law = TeacherStudentLaw::new(&wide, &sgd).unwrap();
    assert!(matches!(law.covariance(), Err(Error::StateTooLarge { .. })));
}
