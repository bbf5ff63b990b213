//! The exact finite-size stationary law of constant-step SGD and SGLD on the linear
//! teacher–student model ([`LinearTeacherStudent`], after Park, Bocchi, D'Amico, Lucini & Aarts
//! 2026, arXiv:2606.28486) at any n·m: the Kronecker structure of the second-moment equation,
//! derived here.
//!
//! The generic engine ([`crate::theory::affine_map()`]) solves the (nm)×(nm) second-moment equation
//! and is limited to nm ≤ [`crate::theory::MAX_STATE_DIMENSION`] (dense below 64). Here the
//! student's rows share their inputs, so the equation splits into m×m blocks that all solve the
//! same generalised Stein equation; the report-sized laws (n·m = 40 000) cost a few m×m solves.
//!
//! # Formula (derived here)
//! Write W ∈ ℝ^{n×m} with rows w_a, θ = vec(W) row by row, X the N×m input matrix with rows x_iᵀ,
//! and (η, τ²) the sampler's step scales ([`crate::theory::gradient_step_scales`]: SGD η = ε/N,
//! τ = 0; SGLD η = ε/2, τ² = ε). The model's per-example gradient of U is
//! K_i θ − r_i with K_i = λ I + N (I_n ⊗ x_i x_iᵀ)/σ² and r_i = N vec(y_i x_iᵀ)/σ², so one step is
//! the affine random map θ' = M_S θ + c_S + τ ξ with
//! * M_i = I − η K_i = I_n ⊗ A_i, A_i = (1 − ηλ) I_m − g x_i x_iᵀ, g = ηN/σ² (the same m×m
//!   map acts on every row: the rows see the same x_i);
//! * row a of c_i: g y_ia x_i.
//!
//! Hence M̄ = I_n ⊗ Ā, Ā = (1 − ηλ) I − (η/σ²) XᵀX, and D_i = M_i − M̄ = I_n ⊗ Δ_i with
//! Δ_i = −g (x_i x_iᵀ − XᵀX/N). Stationary mean (row-wise): (I − Ā) m_a = c̄_a, i.e. the ridge
//! solution W_∞ = YᵀX (XᵀX + λσ² I)⁻¹.
//!
//! The engine's equation Σ = M̄ Σ M̄ᵀ + w Σ_i D_i Σ D_iᵀ + w Σ_i e_i e_iᵀ + τ² I (w = γ/(BN), γ the
//! finite-population factor, e_i = M_i m + c_i − m) acts on the m×m blocks Σ_ab = Cov(w_a, w_b)
//! separately, because (I_n ⊗ A)Σ(I_n ⊗ B)ᵀ has blocks A Σ_ab Bᵀ:
//!
//! Σ_ab = Ā Σ_ab Ā + w Σ_i Δ_i Σ_ab Δ_i + Q_ab,  Q_ab = w Σ_i e_i^a e_i^bᵀ + τ² δ_ab I,
//!
//! one m×m operator T for all n² blocks, only the right-hand sides differ. Row a of e_i is
//! e_i^a = −g (ρ_ia x_i + ν_a) with the residual ρ_ia = x_iᵀ m_a − y_ia and ν_a = (ηλ/g) m_a, so
//! with H = XᵀR (R the N×n residual matrix), V = [ν_1 … ν_n]:
//!
//! Σ_ab c_ab Q_ab = w g² [Xᵀ diag(ρ_iᵀ c ρ_i) X + H c Vᵀ + V c Hᵀ + N V c Vᵀ] + τ² tr(c) I.
//!
//! By linearity, for any n×n weights c:
//! * E[Δᵀ c Δ] = Σ_ab c_ab Σ_ab = 𝒢(Σ_ab c_ab Q_ab), Δ = W − W_∞, 𝒢 = (I − T)⁻¹: one solve
//!   (c = I: the input-side second moment E\[ΔᵀΔ\]; c = u uᵀ: Cov(Wᵀu));
//! * E[Δ F Δᵀ]_ab = ⟨F, Σ_ab⟩ = ⟨𝒢(F), Q_ab⟩ for symmetric F, since T is self-adjoint in the
//!   Frobenius inner product (Ā and Δ_i are symmetric): one solve Z = 𝒢(F) gives the whole n×n
//!   matrix w g² [Rᵀ diag(x_iᵀ Z x_i) R + Hᵀ Z V + Vᵀ Z H + N Vᵀ Z V] + τ² tr(Z) I.
//!
//! So the mean entry variance, the input- and output-side spectra and the variance of any
//! bilinear projection uᵀ W v cost one m×m solve each; the full covariance costs n(n+1)/2 of them
//! (each Σ_ab = Σ_abˢ + Σ_abᵃ: the symmetric part from the certified splitting solver of
//! `second_moment_iterative.rs`, the antisymmetric part, which comes only from the ridge term
//! ν_a ν_bᵀ, by the same splitting iterated plainly).
//!
//! Every solve uses the splitting iteration of `second_moment_iterative.rs` in the eigenbasis of
//! Ā (one eigendecomposition, one rank-one factorisation of the Δ_i, shared), is refined on its
//! residual in the original coordinates and refused above [`crate::theory::RESIDUAL_TOLERANCE`].
//! Mean-square stability is certified once, by the solve of Z = 𝒢(I).

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use super::affine_map::RESIDUAL_TOLERANCE;
use super::gaussian::symmetrize;
use super::sampler_maps::gradient_step_scales;
use super::second_moment_iterative::{
    product, solve_splitting, BlockDiagonalBasis, IterativeCertificate, MinibatchPart,
    RankOneDeviations, ITERATION_TOLERANCE, MAX_SWEEPS,
};
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{LinearTeacherStudent, Model};

/// Largest n·m for which [`TeacherStudentLaw::covariance`] assembles the full (nm)×(nm) matrix
/// (8 MB at the limit); the block quantities have no limit.
pub const MAX_FULL_COVARIANCE_DIMENSION: usize = 1024;

/// Refinement solves on the residual (at most), their trigger and their tolerance (as the
/// engine's iterative solver).
const REFINEMENTS: usize = 2;
const REFINEMENT_THRESHOLD: f64 = 1e-12;
const REFINEMENT_TOLERANCE: f64 = 1e-6;

/// The exact stationary law of SGD or SGLD on a [`LinearTeacherStudent`], in Kronecker form (see
/// the module's formula, derived here).
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}};
/// use sgbayes::models::{generate_teacher_student, LinearTeacherStudent, TeacherStudentParams};
/// use sgbayes::theory::teacher_student_law::TeacherStudentLaw;
/// let params = TeacherStudentParams { outputs: 2, inputs: 3, rank: 1, data_size: 40, ..Default::default() };
/// let model = generate_teacher_student(&params, 1).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgd, 0.1, 4, Batching::WithReplacement);
/// let law = TeacherStudentLaw::new(&model, &config).unwrap();
/// // The stationary mean is the ridge solution; the blocks agree with the full covariance.
/// assert!((law.mean() - model.ridge_solution().unwrap()).amax() < 1e-12);
/// let full = law.covariance().unwrap();
/// let block = law.block_covariance(1, 0).unwrap();
/// assert!((full.view((3, 0), (3, 3)) - block).amax() < 1e-12 * full.amax());
/// assert!((law.entry_variance() - full.trace() / 6.0).abs() < 1e-12 * full.amax());
/// ```
#[derive(Debug, Clone)]
pub struct TeacherStudentLaw {
    outputs: usize,
    inputs: usize,
    data_size: usize,
    /// W_∞ (n×m).
    mean: DMatrix<f64>,
    /// Ā (m×m).
    mean_matrix: DMatrix<f64>,
    /// I − Ā, formed without cancellation.
    drift: DMatrix<f64>,
    basis: BlockDiagonalBasis,
    /// Σ_i Δ_i (·) Δ_i in the eigenbasis of Ā and in the original coordinates.
    rotated_minibatch: MinibatchPart,
    minibatch: MinibatchPart,
    /// w = γ/(BN).
    weight: f64,
    /// w g².
    noise_scale: f64,
    /// τ².
    injected: f64,
    /// X (N×m).
    design: DMatrix<f64>,
    /// R (N×n): ρ_ia = x_iᵀ m_a − y_ia.
    residuals: DMatrix<f64>,
    /// H = XᵀR (m×n).
    residual_sums: DMatrix<f64>,
    /// V = [ν_1 … ν_n] (m×n).
    ridge_pull: DMatrix<f64>,
    /// Z = 𝒢(I), the certificate solve.
    resolvent_of_identity: DMatrix<f64>,
    certificate: IterativeCertificate,
}

impl TeacherStudentLaw {
    /// The law of `config` (`sgd` or `sgld`, batches with or without replacement) on `model`.
    ///
    /// Errors: [`Error::NoClosedForm`] for other samplers or reshuffled batches; the
    /// configuration's own errors ([`SamplerConfig::validate`]); [`Error::NotContracting`] when
    /// ρ(Ā) ≥ 1; [`Error::MeanSquareUnstable`] when the second-moment recursion does not
    /// contract (certified by the solve of 𝒢(I)); [`Error::IllConditioned`] when a solve's
    /// residual stays above [`crate::theory::RESIDUAL_TOLERANCE`].
    pub fn new(model: &LinearTeacherStudent, config: &SamplerConfig) -> Result<Self> {
        if !matches!(config.kind, SamplerKind::Sgd | SamplerKind::Sgld) {
            return Err(Error::NoClosedForm {
                what: format!(
                    "the Kronecker teacher–student law for {} (only sgd and sgld: the other samplers' steps are not I_n ⊗ A_i on vec W)",
                    config.kind.name()
                ),
            });
        }
        let big_n = model.data_size();
        config.validate(big_n)?;
        let gamma = config
            .batching
            .finite_population_factor(big_n, config.batch_size)
            .ok_or_else(|| Error::NoClosedForm {
                what: "the Kronecker teacher–student law under reshuffled batches (not a time-homogeneous Markov chain in W)".into(),
            })?;
        let (n, m) = (model.output_dimension(), model.input_dimension());
        let (eta, injected) = gradient_step_scales(config, big_n);
        let sigma2 = model.noise_variance();
        let lambda = model.prior_precision_scalar();
        let gain = eta * big_n as f64 / sigma2;
        let weight = gamma / (config.batch_size as f64 * big_n as f64);
        let design = DMatrix::from_fn(big_n, m, |i, j| model.input(i)[j]);
        let targets = DMatrix::from_fn(big_n, n, |i, a| model.target(i)[a]);
        let gram = symmetrize(&product(&design.transpose(), &design));
        let drift = DMatrix::identity(m, m) * (eta * lambda) + &gram * (eta / sigma2);
        let mean_matrix = DMatrix::identity(m, m) - &drift;
        let basis = BlockDiagonalBasis::new(&mean_matrix).ok_or_else(|| Error::Invalid {
            what: "mean map Ā".into(),
            why: "not symmetric to rounding (non-finite data?)".into(),
        })?;
        let spectral_radius = basis.spectral_radius();
        if !(spectral_radius < 1.0) {
            return Err(Error::NotContracting { spectral_radius });
        }
        // Row a of the mean offset: c̄_a = (η/σ²) Xᵀ y_a; solve (I − Ā) m_a = c̄_a for all rows at
        // once, with one step of iterative refinement.
        let offsets = product(&design.transpose(), &targets) * (eta / sigma2);
        let solve_mean = |r: &DMatrix<f64>| -> Result<DMatrix<f64>> {
            let rotated = basis.rotate_vectors_in(r);
            let mut out = DMatrix::zeros(m, n);
            for a in 0..n {
                let y = basis
                    .solve_mean(&rotated.column(a).into_owned())
                    .ok_or(Error::NotContracting { spectral_radius })?;
                out.set_column(a, &basis.rotate_vector_out(&y));
            }
            Ok(out)
        };
        let first = solve_mean(&offsets)?;
        let columns = &first + solve_mean(&(&offsets - &drift * &first))?;
        let mean = columns.transpose();
        let residuals = product(&design, &columns) - &targets;
        let residual_sums = product(&design.transpose(), &residuals);
        let ridge_pull = &columns * (eta * lambda / gain);
        // Δ_i = u_i w_iᵀ − (1/N)Σ_j u_j w_jᵀ with u_i = −g x_i, w_i = x_i.
        let left = design.transpose() * -gain;
        let right = design.transpose();
        let rotated_minibatch = MinibatchPart::RankOne(RankOneDeviations::new(
            &basis.rotate_vectors_in(&left),
            &basis.rotate_vectors_in(&right),
        ));
        let minibatch = MinibatchPart::RankOne(RankOneDeviations::new(&left, &right));
        let mut law = Self {
            outputs: n,
            inputs: m,
            data_size: big_n,
            mean,
            mean_matrix,
            drift,
            basis,
            rotated_minibatch,
            minibatch,
            weight,
            noise_scale: weight * gain * gain,
            injected,
            design,
            residuals,
            residual_sums,
            ridge_pull,
            resolvent_of_identity: DMatrix::zeros(0, 0),
            certificate: IterativeCertificate::exact(),
        };
        let (z, certificate) = law.solve_symmetric(&DMatrix::identity(m, m), None)?;
        law.resolvent_of_identity = z;
        law.certificate = certificate;
        Ok(law)
    }

    /// n, the number of outputs (rows of W).
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// m, the number of inputs (columns of W).
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The stationary mean W_∞ (n×m): the ridge solution.
    pub fn mean(&self) -> &DMatrix<f64> {
        &self.mean
    }

    /// The shared m×m mean map Ā = (1 − ηλ) I − (η/σ²) XᵀX.
    pub fn mean_matrix(&self) -> &DMatrix<f64> {
        &self.mean_matrix
    }

    /// The certificate of the solve of 𝒢(I): the contraction estimate of the splitting and the
    /// certified mean-square stability margin.
    pub fn certificate(&self) -> &IterativeCertificate {
        &self.certificate
    }

    /// Σ_ab c_ab Q_ab for n×n weights c (not necessarily symmetric).
    fn weighted_noise(&self, weights: &DMatrix<f64>) -> DMatrix<f64> {
        // s_i = ρ_iᵀ c ρ_i: the rows of R c, dotted with the rows of R.
        let mixed = product(&self.residuals, weights);
        let quadratic = DVector::from_fn(self.data_size, |i, _| {
            mixed.row(i).dot(&self.residuals.row(i))
        });
        let scaled = DMatrix::from_fn(self.data_size, self.inputs, |i, j| {
            quadratic[i] * self.design[(i, j)]
        });
        let quartic = product(&self.design.transpose(), &scaled);
        let cross = &self.residual_sums * weights * self.ridge_pull.transpose();
        let cross_back = &self.ridge_pull * weights * self.residual_sums.transpose();
        let pull = &self.ridge_pull * weights * self.ridge_pull.transpose() * self.data_size as f64;
        (quartic + cross + cross_back + pull) * self.noise_scale
            + DMatrix::identity(self.inputs, self.inputs) * (self.injected * weights.trace())
    }

    /// The residual q + w P(X) − (X − Ā X Ā) of the block equation, in the original coordinates
    /// (X − Ā X Ā = G X + X G − G X G with G = I − Ā, without cancellation).
    fn residual(&self, x: &DMatrix<f64>, q: &DMatrix<f64>) -> DMatrix<f64> {
        let left = product(&self.drift, x);
        let right = product(x, &self.drift);
        let stein = &left + &right - product(&left, &self.drift);
        q + self.minibatch.apply(x) * self.weight - stein
    }

    /// 𝒢(q) for a symmetric q: the certified splitting solve and up to [`REFINEMENTS`] refinement
    /// solves on the residual. `known_rate`: the contraction of the certificate solve.
    fn solve_symmetric(
        &self,
        q: &DMatrix<f64>,
        known_rate: Option<f64>,
    ) -> Result<(DMatrix<f64>, IterativeCertificate)> {
        let rotate_in = |r: &DMatrix<f64>| symmetrize(&self.basis.rotate_matrix_in(r));
        let (rotated, mut certificate) = solve_splitting(
            &self.basis,
            &self.rotated_minibatch,
            self.weight,
            &rotate_in(q),
            ITERATION_TOLERANCE,
            known_rate,
        )?;
        let mut x = symmetrize(&self.basis.rotate_matrix_out(&rotated));
        let scale = |x: &DMatrix<f64>| x.amax().max(q.amax()).max(f64::MIN_POSITIVE);
        let mut residual = symmetrize(&self.residual(&x, q));
        let amplification = 1.0
            / ((1.0 - certificate.contraction_factor)
                * (1.0 - self.basis.spectral_radius().powi(2)));
        let rounding_level = 2.0 * self.inputs as f64 * f64::EPSILON;
        for _ in 0..REFINEMENTS {
            let relative = residual.amax() / scale(&x);
            if relative <= rounding_level || relative * amplification <= REFINEMENT_THRESHOLD {
                break;
            }
            let (correction, refinement) = solve_splitting(
                &self.basis,
                &self.rotated_minibatch,
                self.weight,
                &rotate_in(&residual),
                REFINEMENT_TOLERANCE,
                Some(certificate.contraction_factor),
            )?;
            certificate.sweeps += refinement.sweeps;
            x += symmetrize(&self.basis.rotate_matrix_out(&correction));
            residual = symmetrize(&self.residual(&x, q));
        }
        let relative_residual = residual.amax() / scale(&x);
        if !(relative_residual <= RESIDUAL_TOLERANCE) {
            return Err(Error::IllConditioned { relative_residual });
        }
        certificate.relative_residual = relative_residual;
        Ok((x, certificate))
    }

    /// 𝒢(q) for an antisymmetric q by the plain splitting iteration X ← S⁻¹(wP(X) + q) in the
    /// eigenbasis of Ā, which contracts at the certified rate ρ(L) < 1 (L = S⁻¹ ∘ wP is a positive
    /// map, so its spectral radius on all matrices is its Perron root), then refined once.
    fn solve_antisymmetric(&self, q: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let rate = self.certificate.contraction_factor;
        let stein = |r: &DMatrix<f64>| {
            self.basis
                .solve_stein(r)
                .ok_or(Error::MeanSquareUnstable { limit: None })
        };
        let series = |r: &DMatrix<f64>| -> Result<DMatrix<f64>> {
            let mut term = stein(r)?;
            let mut sum = term.clone();
            for _ in 0..MAX_SWEEPS {
                if term.norm() * rate / (1.0 - rate) <= ITERATION_TOLERANCE * sum.norm()
                    || term.norm() == 0.0
                {
                    return Ok(sum);
                }
                term = stein(&(self.rotated_minibatch.apply(&term) * self.weight))?;
                sum += &term;
            }
            Err(Error::Invalid {
                what: "antisymmetric block solve".into(),
                why: format!("not converged after {MAX_SWEEPS} sweeps (contraction {rate:.6})"),
            })
        };
        let antisymmetric = |a: &DMatrix<f64>| (a - a.transpose()) * 0.5;
        let mut x = antisymmetric(
            &self
                .basis
                .rotate_matrix_out(&series(&antisymmetric(&self.basis.rotate_matrix_in(q)))?),
        );
        let residual = antisymmetric(&self.residual(&x, q));
        x += antisymmetric(&self.basis.rotate_matrix_out(&series(&antisymmetric(
            &self.basis.rotate_matrix_in(&residual),
        ))?));
        let relative_residual = antisymmetric(&self.residual(&x, q)).amax()
            / x.amax().max(q.amax()).max(f64::MIN_POSITIVE);
        if !(relative_residual <= RESIDUAL_TOLERANCE) {
            return Err(Error::IllConditioned { relative_residual });
        }
        Ok(x)
    }

    /// Checks that `weights` is n×n and finite.
    fn check_weights(&self, what: &str, weights: &DMatrix<f64>) -> Result<()> {
        if weights.shape() != (self.outputs, self.outputs) {
            return Err(Error::DimensionMismatch {
                what: format!("{what} (n×n, n = {})", self.outputs),
                expected: self.outputs * self.outputs,
                found: weights.len(),
            });
        }
        crate::error::ensure_finite(what, weights.as_slice())
    }

    /// E[Δᵀ c Δ] = Σ_ab c_ab Cov(w_a, w_b) (m×m) for symmetric n×n weights c, Δ = W − W_∞: one
    /// solve (c = I: E\[ΔᵀΔ\]; c = u uᵀ: Cov(Wᵀu)). Errors on a wrong shape, non-finite or
    /// non-symmetric weights.
    pub fn projected_covariance(&self, weights: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.check_weights("output weights c", weights)?;
        if (weights - weights.transpose()).amax() > 1e-12 * weights.amax() {
            return Err(Error::Invalid {
                what: "output weights c".into(),
                why: "must be symmetric".into(),
            });
        }
        let q = symmetrize(&self.weighted_noise(&symmetrize(weights)));
        Ok(self
            .solve_symmetric(&q, Some(self.certificate.contraction_factor))?
            .0)
    }

    /// E\[ΔᵀΔ\] = Σ_a Cov(w_a) (m×m), the input-side second moment of the stationary fluctuation.
    pub fn input_covariance(&self) -> Result<DMatrix<f64>> {
        self.projected_covariance(&DMatrix::identity(self.outputs, self.outputs))
    }

    /// E[Δ F Δᵀ] (n×n) for a symmetric m×m F, by the adjoint: one solve Z = 𝒢(F)
    /// (F = I: the output-side second moment E\[ΔΔᵀ\], no further solve). Errors on a wrong shape,
    /// non-finite or non-symmetric F.
    pub fn output_covariance_weighted(&self, weights: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        if weights.shape() != (self.inputs, self.inputs) {
            return Err(Error::DimensionMismatch {
                what: format!("input weights F (m×m, m = {})", self.inputs),
                expected: self.inputs * self.inputs,
                found: weights.len(),
            });
        }
        crate::error::ensure_finite("input weights F", weights.as_slice())?;
        if (weights - weights.transpose()).amax() > 1e-12 * weights.amax() {
            return Err(Error::Invalid {
                what: "input weights F".into(),
                why: "must be symmetric".into(),
            });
        }
        let z = self
            .solve_symmetric(
                &symmetrize(weights),
                Some(self.certificate.contraction_factor),
            )?
            .0;
        Ok(self.adjoint_pairing(&z))
    }

    /// ⟨Z, Q_ab⟩ for all a, b: w g² [Rᵀ diag(x_iᵀ Z x_i) R + Hᵀ Z V + Vᵀ Z H + N Vᵀ Z V] + τ² tr(Z) I.
    fn adjoint_pairing(&self, z: &DMatrix<f64>) -> DMatrix<f64> {
        let xz = product(&self.design, z);
        let quadratic = DVector::from_fn(self.data_size, |i, _| xz.row(i).dot(&self.design.row(i)));
        let scaled = DMatrix::from_fn(self.data_size, self.outputs, |i, a| {
            quadratic[i] * self.residuals[(i, a)]
        });
        let quartic = product(&self.residuals.transpose(), &scaled);
        let zv = z * &self.ridge_pull;
        let cross = self.residual_sums.transpose() * &zv;
        let pull = self.ridge_pull.transpose() * &zv * self.data_size as f64;
        let out = (&quartic + &cross + cross.transpose() + pull) * self.noise_scale
            + DMatrix::identity(self.outputs, self.outputs) * (self.injected * z.trace());
        symmetrize(&out)
    }

    /// E\[ΔΔᵀ\] (n×n), the output-side second moment of the stationary fluctuation (from the
    /// certificate solve 𝒢(I): no further solve).
    pub fn output_covariance(&self) -> DMatrix<f64> {
        self.adjoint_pairing(&self.resolvent_of_identity)
    }

    /// The mean entry variance tr Cov(vec W)/(nm) = tr E\[ΔΔᵀ\]/(nm) (no further solve).
    pub fn entry_variance(&self) -> f64 {
        self.output_covariance().trace() / (self.outputs * self.inputs) as f64
    }

    /// Var(uᵀ W v) = vᵀ Cov(Wᵀu) v for u ∈ ℝ^n, v ∈ ℝ^m: one solve.
    pub fn bilinear_variance(&self, left: &[f64], right: &[f64]) -> Result<f64> {
        if left.len() != self.outputs || right.len() != self.inputs {
            return Err(Error::DimensionMismatch {
                what: "(u, v) of uᵀWv (lengths n, m)".into(),
                expected: self.outputs + self.inputs,
                found: left.len() + right.len(),
            });
        }
        crate::error::ensure_finite("v", right)?;
        let u = DVector::from_column_slice(left);
        let v = DVector::from_column_slice(right);
        let covariance = self.projected_covariance(&(&u * u.transpose()))?;
        Ok(v.dot(&(covariance * &v)))
    }

    /// Cov(w_a, w_b) = E[δ_a δ_bᵀ] (m×m; δ_a row a of W − W_∞), a, b < n.
    pub fn block_covariance(&self, a: usize, b: usize) -> Result<DMatrix<f64>> {
        let n = self.outputs;
        if a >= n || b >= n {
            return Err(Error::Invalid {
                what: "block index".into(),
                why: format!("rows (a, b) = ({a}, {b}) must be below n = {n}"),
            });
        }
        let unit = |a: usize, b: usize| {
            let mut c = DMatrix::zeros(n, n);
            c[(a, b)] = 1.0;
            c
        };
        let q = self.weighted_noise(&unit(a, b));
        let rate = Some(self.certificate.contraction_factor);
        let symmetric = self.solve_symmetric(&symmetrize(&q), rate)?.0;
        if a == b {
            return Ok(symmetric);
        }
        Ok(symmetric + self.solve_antisymmetric(&((&q - q.transpose()) * 0.5))?)
    }

    /// The full covariance of θ = vec(W) (row-major: block (a, b) is Cov(w_a, w_b)), from
    /// n(n+1)/2 block solves in parallel (same bits at any thread count). Refused above
    /// n·m = [`MAX_FULL_COVARIANCE_DIMENSION`] with [`Error::StateTooLarge`].
    pub fn covariance(&self) -> Result<DMatrix<f64>> {
        let (n, m) = (self.outputs, self.inputs);
        if n * m > MAX_FULL_COVARIANCE_DIMENSION {
            return Err(Error::StateTooLarge {
                dimension: n * m,
                limit: MAX_FULL_COVARIANCE_DIMENSION,
                solver: "Kronecker teacher–student",
                why: "the full covariance has (nm)² entries; use the block quantities",
            });
        }
        let pairs: Vec<(usize, usize)> = (0..n).flat_map(|a| (a..n).map(move |b| (a, b))).collect();
        let blocks = pairs
            .par_iter()
            .map(|&(a, b)| self.block_covariance(a, b))
            .collect::<Result<Vec<_>>>()?;
        let mut out = DMatrix::zeros(n * m, n * m);
        for (&(a, b), block) in pairs.iter().zip(&blocks) {
            out.view_mut((a * m, b * m), (m, m)).copy_from(block);
            out.view_mut((b * m, a * m), (m, m))
                .copy_from(&block.transpose());
        }
        Ok(out)
    }
}
