//! The BBP spectral transition of a low-rank signal in a rectangular Gaussian matrix, and the
//! spectral dynamics of gradient descent and SGD on the linear teacher–student model
//! ([`crate::models::LinearTeacherStudent`]), after Park, Bocchi, D'Amico, Lucini & Aarts (2026),
//! "Spectral phase transitions and trainability in neural network learning dynamics"
//! (arXiv:2606.28486; only the abstract was available to us).
//!
//! Provenance (details and derivations in `docs/bbp-teacher-student.md`):
//! * [`BulkNoise`] — outlier location and overlaps: Benaych-Georges & Nadakuditi (2012), "The
//!   singular values and vectors of low rank perturbations of large rectangular random matrices",
//!   J. Multivariate Anal. 111, §3.1 (Gaussian case), rescaled here to any entry variance and either
//!   orientation; bulk edge: Marchenko–Pastur.
//! * [`GradientDescentSpectrum`] — \[derived\]: exact gradient-descent trajectory on an exactly
//!   whitened sample, W_t = a^t W₀ + (1 − a^t) W_∞, combined with the BBP formulas.
//! * [`sgd_stationary_entry_variance`], [`sgd_mean_square_stability_limit`] — \[derived\]: exact
//!   stationary second moments of online SGD with Gaussian inputs (Isserlis' theorem).
//!
//! `theory/` never imports `samplers/`.

use serde::Serialize;

use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{LinearTeacherStudent, Model};

/// An n×m matrix with i.i.d. centred Gaussian entries of variance `entry_variance`, the "bulk" to
/// which a low-rank signal Σ_α θ_α u_α v_αᵀ is added.
///
/// # Formula
/// Write p = min(n, m), q = max(n, m), c = p/q ≤ 1 and s = √(q · entry_variance) (the scale at which
/// the p×q orientation has entries of variance s²/q, Benaych-Georges & Nadakuditi's normalisation
/// with s = 1). As n, m → ∞ at fixed c:
/// * bulk edge (largest singular value of the noise): s(1 + √c) (Marchenko–Pastur);
/// * BBP threshold: a signal θ produces an outlier iff θ > s c^{1/4};
/// * outlier location: s √((1 + t²)(c + t²))/t with t = θ/s, and s(1 + √c) below threshold;
/// * squared overlaps of the outlier's singular vectors with the signal's, on the short side (ℝ^p):
///   1 − c(1 + t²)/(t²(t² + c)); on the long side (ℝ^q): 1 − (c + t²)/(t²(t² + 1)); 0 below
///   threshold.
///
/// For c = 1 these reduce to the digest's square case (threshold s, location θ + s²/θ, both overlaps
/// 1 − s²/θ²). Distinct signals of a rank-r perturbation behave independently (BGN 2012, Thms 2.8–2.10).
///
/// ```
/// use sgbayes::theory::bbp::BulkNoise;
/// // 100×400 matrix with entries of variance 1/400: c = 1/4, s = 1.
/// let noise = BulkNoise::new(100, 400, 1.0 / 400.0).unwrap();
/// assert!((noise.bulk_edge() - 1.5).abs() < 1e-12);
/// assert!((noise.threshold() - 0.25f64.powf(0.25)).abs() < 1e-12);
/// let out = noise.outlier(2.0).unwrap();
/// assert!((out.singular_value - (5.0f64 * 4.25).sqrt() / 2.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BulkNoise {
    /// n (rows; the left singular vectors live in ℝ^n).
    pub rows: usize,
    /// m (columns; the right singular vectors live in ℝ^m).
    pub cols: usize,
    /// Variance of each entry.
    pub entry_variance: f64,
}

/// The predicted top singular value and singular-vector overlaps for one signal strength.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outlier {
    /// θ, the signal's singular value.
    pub strength: f64,
    /// θ above the BBP threshold.
    pub detached: bool,
    /// Limit of the corresponding singular value (the bulk edge below threshold).
    pub singular_value: f64,
    /// Squared overlap of the left singular vectors (ℝ^rows).
    pub left_overlap: f64,
    /// Squared overlap of the right singular vectors (ℝ^cols).
    pub right_overlap: f64,
}

impl BulkNoise {
    /// Checks n, m ≥ 1 and a finite non-negative entry variance.
    pub fn new(rows: usize, cols: usize, entry_variance: f64) -> Result<Self> {
        if rows == 0 || cols == 0 {
            return Err(Error::Invalid {
                what: "bulk dimensions".into(),
                why: format!("need n, m >= 1, got {rows}×{cols}"),
            });
        }
        if !(entry_variance.is_finite() && entry_variance >= 0.0) {
            return Err(Error::Invalid {
                what: "entry variance".into(),
                why: format!("must be finite and non-negative, got {entry_variance}"),
            });
        }
        Ok(Self {
            rows,
            cols,
            entry_variance,
        })
    }
    /// c = min(n, m)/max(n, m).
    pub fn aspect_ratio(&self) -> f64 {
        self.rows.min(self.cols) as f64 / self.rows.max(self.cols) as f64
    }
    /// s = √(max(n, m) · entry_variance).
    pub fn scale(&self) -> f64 {
        (self.rows.max(self.cols) as f64 * self.entry_variance).sqrt()
    }
    /// s(1 + √c).
    pub fn bulk_edge(&self) -> f64 {
        self.scale() * (1.0 + self.aspect_ratio().sqrt())
    }
    /// s c^{1/4}.
    pub fn threshold(&self) -> f64 {
        self.scale() * self.aspect_ratio().powf(0.25)
    }

    /// The outlier of a signal of strength θ ≥ 0 (see the type's formula). Without noise
    /// (entry variance 0) the singular value is θ and the overlaps are 1.
    pub fn outlier(&self, strength: f64) -> Result<Outlier> {
        if !(strength.is_finite() && strength >= 0.0) {
            return Err(Error::Invalid {
                what: "signal strength".into(),
                why: format!("must be finite and non-negative, got {strength}"),
            });
        }
        let (s, c) = (self.scale(), self.aspect_ratio());
        if strength <= self.threshold() || strength == 0.0 {
            return Ok(Outlier {
                strength,
                detached: false,
                singular_value: self.bulk_edge(),
                left_overlap: 0.0,
                right_overlap: 0.0,
            });
        }
        if s == 0.0 {
            return Ok(Outlier {
                strength,
                detached: true,
                singular_value: strength,
                left_overlap: 1.0,
                right_overlap: 1.0,
            });
        }
        let t2 = (strength / s).powi(2);
        let short = 1.0 - c * (1.0 + t2) / (t2 * (t2 + c));
        let long = 1.0 - (c + t2) / (t2 * (t2 + 1.0));
        let (left_overlap, right_overlap) = if self.rows <= self.cols {
            (short, long)
        } else {
            (long, short)
        };
        Ok(Outlier {
            strength,
            detached: true,
            singular_value: s * ((1.0 + t2) * (c + t2) / t2).sqrt(),
            left_overlap,
            right_overlap,
        })
    }

    /// The outliers of a rank-r signal with strengths θ_1, …, θ_r (independent for distinct θ).
    pub fn outliers(&self, strengths: &[f64]) -> Result<Vec<Outlier>> {
        strengths.iter().map(|&t| self.outlier(t)).collect()
    }
}

/// Spectral dynamics of full-batch gradient descent on the linear teacher–student model with an
/// exactly whitened sample, (1/N)Σ x_i x_iᵀ = I (\[derived\]).
///
/// # Formula
/// On the loss L(W) = (1/2N) Σ_i ‖W x_i − y_i‖² + (κ/2)‖W‖²_F the step W ← W − η∇L is
/// W_{t+1} − W_∞ = a (W_t − W_∞) with a = 1 − η(1 + κ) and W_∞ = (W* + Ê)/(1 + κ), where
/// Ê = (σ_ε/N) Σ_i ε_i x_iᵀ has, given a whitened sample, exactly i.i.d. N(0, σ_ε²/N) entries. Hence
/// W_t = a^t W₀ + (1 − a^t) W_∞ is a rank-r signal of strengths θ_t = |1 − a^t| θ*/(1 + κ) plus an
/// i.i.d. Gaussian bulk of entry variance v_t = a^{2t} v₀ + (1 − a^t)² f/(1 + κ)², v₀ = σ₀²/m the
/// initial entry variance and f = σ_ε²/N the estimation floor (0 for population GD). [`BulkNoise`]
/// then gives the spectrum at every step.
///
/// **Detachment time.** For 0 < a < 1 write u = a^t and A = √c·max(n, m), so that the threshold is
/// √(A v_t). Mode θ* detaches iff (1 − u)²(θ̃² − A f̃) > A v₀ u² (θ̃ = θ*/(1 + κ), f̃ = f/(1 + κ)²),
/// i.e. never when θ̃² ≤ A f̃, and otherwise after
/// t* = ln(1 + ρ)/(−ln a), ρ = √(A v₀/(θ̃² − A f̃)).
/// For n = m, κ = f = 0 this is the digest's t* = ln(1 + σ₀/θ*)/(−ln(1 − η)).
///
/// **Stability.** The iteration converges iff |a| < 1, i.e. 0 < η < 2/(1 + κ); for η past it
/// the weights diverge, while θ_t/√v_t → θ̃/√v₀, so an outlier persists iff θ̃ > √(A v₀).
///
/// ```
/// use sgbayes::theory::bbp::GradientDescentSpectrum;
/// // Square 100×100, population GD (no floor, no ridge), η = 0.2, σ₀ = 1, θ* = 2.
/// let gd = GradientDescentSpectrum::new(100, 100, 0.2, 0.0, 1.0 / 100.0, 0.0).unwrap();
/// let t_star = gd.detachment_time(2.0).unwrap();
/// assert!((t_star - (1.5f64).ln() / -(0.8f64).ln()).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GradientDescentSpectrum {
    /// n.
    pub rows: usize,
    /// m.
    pub cols: usize,
    /// η, the learning rate on the per-example-averaged loss.
    #[doc(alias = "eta")]
    pub learning_rate: f64,
    /// κ = λσ²/N, the ridge.
    #[doc(alias = "kappa")]
    pub ridge: f64,
    /// v₀ = σ₀²/m.
    pub initial_entry_variance: f64,
    /// f = σ_ε²/N (0: population gradient descent).
    pub floor_entry_variance: f64,
}

impl GradientDescentSpectrum {
    /// Checks the dimensions and that every rate and variance is finite and non-negative (η > 0).
    pub fn new(
        rows: usize,
        cols: usize,
        learning_rate: f64,
        ridge: f64,
        initial_entry_variance: f64,
        floor_entry_variance: f64,
    ) -> Result<Self> {
        BulkNoise::new(rows, cols, initial_entry_variance)?;
        BulkNoise::new(rows, cols, floor_entry_variance)?;
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(Error::NonPositiveStepSize {
                step_size: learning_rate,
            });
        }
        if !(ridge.is_finite() && ridge >= 0.0) {
            return Err(Error::Invalid {
                what: "ridge".into(),
                why: format!("must be finite and non-negative, got {ridge}"),
            });
        }
        Ok(Self {
            rows,
            cols,
            learning_rate,
            ridge,
            initial_entry_variance,
            floor_entry_variance,
        })
    }
    /// a = 1 − η(1 + κ).
    pub fn contraction(&self) -> f64 {
        1.0 - self.learning_rate * (1.0 + self.ridge)
    }
    /// 2/(1 + κ): gradient descent converges iff η is below it.
    pub fn stability_limit(&self) -> f64 {
        2.0 / (1.0 + self.ridge)
    }
    /// The bulk of W_t: entry variance a^{2t} v₀ + (1 − a^t)² f/(1 + κ)².
    pub fn noise_at(&self, step: usize) -> BulkNoise {
        let u = self.contraction().powi(step as i32);
        let f = self.floor_entry_variance / (1.0 + self.ridge).powi(2);
        BulkNoise {
            rows: self.rows,
            cols: self.cols,
            entry_variance: u * u * self.initial_entry_variance + (1.0 - u).powi(2) * f,
        }
    }
    /// θ_t = |1 − a^t| θ*/(1 + κ).
    pub fn signal_at(&self, step: usize, teacher_strength: f64) -> f64 {
        (1.0 - self.contraction().powi(step as i32)).abs() * teacher_strength / (1.0 + self.ridge)
    }
    /// The predicted singular value and overlaps of mode θ* at step t.
    pub fn outlier_at(&self, step: usize, teacher_strength: f64) -> Result<Outlier> {
        self.noise_at(step)
            .outlier(self.signal_at(step, teacher_strength))
    }
    /// The continuous detachment time t* (see the type's formula) for 0 < a < 1; `None` when the
    /// mode never detaches or a ∉ (0, 1) (use [`Self::first_detached_step`]).
    pub fn detachment_time(&self, teacher_strength: f64) -> Option<f64> {
        let a = self.contraction();
        if !(a > 0.0 && a < 1.0) {
            return None;
        }
        let big_a = self.threshold_coefficient();
        let margin = self.detachment_margin(teacher_strength, big_a);
        if margin <= 0.0 {
            return None;
        }
        let rho = (big_a * self.initial_entry_variance / margin).sqrt();
        Some((1.0 + rho).ln() / -a.ln())
    }
    /// The phase boundary of the (η, σ₀) diagram at a step budget T: the initial entry variance
    /// v₀ = σ₀²/m at which t* = T, v₀ = ρ²(θ̃² − A f̃)/A with ρ = a^{−T} − 1 (inverting the
    /// detachment-time formula; this instance's own v₀ is ignored). Larger v₀ detach after T.
    /// `None` when a ∉ (0, 1) or the mode never detaches.
    ///
    /// ```
    /// use sgbayes::theory::bbp::GradientDescentSpectrum;
    /// let gd = GradientDescentSpectrum::new(20, 40, 0.1, 0.0, 1.0, 0.0).unwrap();
    /// let v0 = gd.boundary_initial_entry_variance(1.0, 30.0).unwrap();
    /// let at = GradientDescentSpectrum { initial_entry_variance: v0, ..gd };
    /// assert!((at.detachment_time(1.0).unwrap() - 30.0).abs() < 1e-9);
    /// ```
    pub fn boundary_initial_entry_variance(
        &self,
        teacher_strength: f64,
        budget: f64,
    ) -> Option<f64> {
        let a = self.contraction();
        if !(a > 0.0 && a < 1.0) {
            return None;
        }
        let big_a = self.threshold_coefficient();
        let margin = self.detachment_margin(teacher_strength, big_a);
        if margin <= 0.0 {
            return None;
        }
        let rho = (-budget * a.ln()).exp() - 1.0;
        Some(rho * rho * margin / big_a)
    }

    /// A = √c·max(n, m): the squared threshold per unit entry variance.
    fn threshold_coefficient(&self) -> f64 {
        BulkNoise {
            rows: self.rows,
            cols: self.cols,
            entry_variance: 1.0,
        }
        .threshold()
        .powi(2)
    }

    /// θ̃² − A f̃.
    fn detachment_margin(&self, teacher_strength: f64, big_a: f64) -> f64 {
        (teacher_strength / (1.0 + self.ridge)).powi(2)
            - big_a * self.floor_entry_variance / (1.0 + self.ridge).powi(2)
    }

    /// The first step t ≤ `max_steps` at which θ_t exceeds the BBP threshold of the bulk at t (any
    /// a, including the oscillating 1 < η(1 + κ) < 2 and the divergent regime).
    pub fn first_detached_step(&self, teacher_strength: f64, max_steps: usize) -> Option<usize> {
        (1..=max_steps)
            .find(|&t| self.signal_at(t, teacher_strength) > self.noise_at(t).threshold())
    }
}

/// Mean per-entry stationary variance of the SGD fluctuation W − W_∞ for Gaussian inputs x ~ N(0, I_m)
/// drawn afresh (population, or N ≫ m with replacement) (\[derived\]).
///
/// # Formula
/// SGD on L with learning rate η, ridge κ and batch noise factor g = γ/B (γ the finite-population
/// factor, 1 with replacement): each row δ of Δ = W − W_∞ obeys
/// δ' = (1 − ηκ − ηĈ)δ − η ζ with Ĉ = (1/B)Σ_{k∈S} x_k x_kᵀ and ζ = (Ĉ − I)d − (1/B)Σ_k e_k x_k,
/// where the residual at W_∞ is r = d·x − e (d the row's ridge bias W_∞ − W*, e the label noise,
/// independent of x); ζ is uncorrelated with δ. Isserlis' theorem gives E[Ĉ S Ĉ] = S + g(S + tr(S) I), so the stationary row covariance S = α I + β d̂d̂ᵀ
/// solves, with b = (1 − η(1 + κ))²,
/// * β (1 − b − η² g) = η² g |d|²,
/// * α (1 − b − η² g (m + 1)) = η² g (σ_r² + β),  σ_r² = E r² = σ_ε² + |d|²,
///
/// and the mean entry variance is α + β/m. Without ridge (d = 0): v = ησ_ε²g/(2 − η − η g(m + 1))
/// (i.e. ησ_ε²/(B(2 − η) − η(m + 1)) with replacement). The digest's ησ_ε²/(B(2 − η)) drops the
/// multiplicative-noise term η(m + 1), which is not small unless m ≪ B/η.
/// Errors with [`Error::MeanSquareUnstable`] past [`sgd_mean_square_stability_limit`].
///
/// ```
/// use sgbayes::theory::bbp::sgd_stationary_entry_variance;
/// // η = 0.2, no ridge, B = 4 with replacement, m = 10, σ_ε² = 1: 0.2/(4·1.8 − 0.2·11) = 0.04.
/// let v = sgd_stationary_entry_variance(0.2, 0.0, 0.25, 10, 1.0, 0.0).unwrap();
/// assert!((v - 0.04).abs() < 1e-15);
/// ```
pub fn sgd_stationary_entry_variance(
    learning_rate: f64,
    ridge: f64,
    batch_factor: f64,
    inputs: usize,
    residual_variance: f64,
    bias_sq: f64,
) -> Result<f64> {
    for (what, value) in [
        ("learning rate", learning_rate),
        ("ridge", ridge),
        ("batch factor γ/B", batch_factor),
        ("residual variance", residual_variance),
        ("squared ridge bias", bias_sq),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            return Err(Error::Invalid {
                what: what.into(),
                why: format!("must be finite and non-negative, got {value}"),
            });
        }
    }
    if learning_rate == 0.0 {
        return Err(Error::NonPositiveStepSize { step_size: 0.0 });
    }
    if inputs == 0 {
        return Err(Error::Invalid {
            what: "inputs".into(),
            why: "m must be positive".into(),
        });
    }
    let (eta, g, m) = (learning_rate, batch_factor, inputs as f64);
    let b = (1.0 - eta * (1.0 + ridge)).powi(2);
    let gap = 1.0 - b - eta * eta * g * (m + 1.0);
    if gap <= 0.0 {
        return Err(Error::MeanSquareUnstable { limit: None });
    }
    let beta = eta * eta * g * bias_sq / (1.0 - b - eta * eta * g);
    let alpha = eta * eta * g * (residual_variance + beta) / gap;
    Ok(alpha + beta / m)
}

/// The mean-square stability limit of SGD with Gaussian inputs (\[derived\]):
/// η < 2(1 + κ)/((1 + κ)² + g(m + 1)), g = γ/B (2B/(B + m + 1) for κ = 0 with replacement).
/// Beyond it the second moments of SGD grow without bound although the mean iteration
/// (η < 2/(1 + κ)) still converges.
///
/// ```
/// use sgbayes::theory::bbp::sgd_mean_square_stability_limit;
/// assert!((sgd_mean_square_stability_limit(0.0, 0.25, 10) - 8.0 / 15.0).abs() < 1e-15);
/// ```
pub fn sgd_mean_square_stability_limit(ridge: f64, batch_factor: f64, inputs: usize) -> f64 {
    let k = 1.0 + ridge;
    2.0 * k / (k * k + batch_factor * (inputs as f64 + 1.0))
}

/// What the closed forms say about one SGD configuration on a [`LinearTeacherStudent`]
/// ([`report`]). Learning rates are in the sampler's ε units unless named `learning_rate`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeacherStudentTheory {
    /// Where each number comes from.
    pub provenance: String,
    /// n, m, N.
    pub outputs: usize,
    /// m.
    pub inputs: usize,
    /// N.
    pub data_size: usize,
    /// c = min(n, m)/max(n, m).
    pub aspect_ratio: f64,
    /// η = ε/σ², the learning rate on the averaged loss (1/2N)Σ‖Wx − y‖².
    pub learning_rate: f64,
    /// κ = λσ²/N.
    pub ridge: f64,
    /// Largest ε for which the mean iteration converges: 2σ²/(λ_max(C) + κ), C the sample second
    /// moment of the inputs (exact for this sample).
    pub mean_stability_limit: f64,
    /// Largest ε for which SGD is mean-square stable (Gaussian-input formula).
    pub mean_square_stability_limit: f64,
    /// θ*_α, the teacher's singular values (empty without a teacher).
    pub teacher_strengths: Vec<f64>,
    /// σ_ε² estimated from the teacher's residuals (None without a teacher).
    pub label_noise_variance: Option<f64>,
    /// σ_r², the mean squared residual per output at W_∞.
    pub residual_variance: f64,
    /// σ_ε²/(N(1 + κ)²): entry variance of the estimation error of W_∞ (0 without a teacher).
    pub estimation_entry_variance: f64,
    /// The SGD fluctuation's mean entry variance around W_∞.
    pub sgd_entry_variance: f64,
    /// The stationary bulk relative to the teacher: entry variance = estimation + SGD fluctuation.
    pub stationary_noise: BulkNoise,
    /// Its bulk edge.
    pub stationary_bulk_edge: f64,
    /// Its BBP threshold.
    pub stationary_threshold: f64,
    /// Predicted stationary outliers of the signals θ*_α/(1 + κ).
    pub stationary_outliers: Vec<Outlier>,
    /// Gradient-descent (mean) dynamics from W₀ with entries N(0, σ₀²/m).
    pub gradient_descent: GradientDescentSpectrum,
    /// t*_α of the mean dynamics (None: never, or a ∉ (0, 1)).
    pub detachment_times: Vec<Option<f64>>,
    /// First step at which mode α exceeds the threshold (within 10⁶ steps).
    pub first_detached_steps: Vec<Option<usize>>,
}

/// The closed forms for SGD (`SamplerKind::Sgd`) on a [`LinearTeacherStudent`]: BBP threshold and
/// bulk at the stationary noise level, predicted outliers and overlaps, gradient-descent detachment
/// times and the stability limits.
///
/// The spectral formulas assume whitened Gaussian inputs ([`crate::models::generate_teacher_student`]
/// with `whiten`); on other samples they hold up to O(√(m/N)). Errors: `NoClosedForm` for other
/// samplers or reshuffled batches, `PastStabilityLimit` / `MeanSquareUnstable` past the limits.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}};
/// use sgbayes::models::{generate_teacher_student, TeacherStudentParams};
/// let params = TeacherStudentParams { outputs: 10, inputs: 20, rank: 1, data_size: 200, ..Default::default() };
/// let model = generate_teacher_student(&params, 1).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgd, 0.05, 10, Batching::WithReplacement);
/// let theory = sgbayes::theory::bbp::report(&model, &config).unwrap();
/// assert!(theory.stationary_outliers[0].detached);
/// ```
pub fn report(
    model: &LinearTeacherStudent,
    config: &SamplerConfig,
) -> Result<TeacherStudentTheory> {
    if config.kind != SamplerKind::Sgd {
        return Err(Error::NoClosedForm {
            what: format!(
                "teacher–student spectral theory for {:?} (only sgd)",
                config.kind
            ),
        });
    }
    let (n, m, big_n) = (
        model.output_dimension(),
        model.input_dimension(),
        model.data_size(),
    );
    let gamma = config
        .batching
        .finite_population_factor(big_n, config.batch_size)
        .ok_or_else(|| Error::NoClosedForm {
            what: "teacher–student spectral theory under reshuffled batches".into(),
        })?;
    if config.batch_size == 0 || config.batch_size > big_n {
        return Err(Error::BatchSize {
            batch_size: config.batch_size,
            data_size: big_n,
        });
    }
    let eps = config.step_size;
    if !(eps.is_finite() && eps > 0.0) {
        return Err(Error::NonPositiveStepSize { step_size: eps });
    }
    let sigma2 = model.noise_variance();
    let learning_rate = eps / sigma2;
    let ridge = model.ridge();
    let curvature = nalgebra::SymmetricEigen::new(model.input_second_moment())
        .eigenvalues
        .max();
    let mean_stability_limit = 2.0 * sigma2 / (curvature + ridge);
    if eps >= mean_stability_limit {
        return Err(Error::PastStabilityLimit {
            step_size: eps,
            limit: mean_stability_limit,
            mean_square_limit: None,
        });
    }
    let g = gamma / config.batch_size as f64;
    let mean_square_stability_limit = sigma2 * sgd_mean_square_stability_limit(ridge, g, m);

    // Residuals at W_∞ and the ridge bias d = W_∞ − Ŷ C⁻¹ (= −κŴ/(1 + κ) on a whitened sample).
    let ridge_solution = model.ridge_solution()?;
    let mut residual_sum = 0.0;
    for i in 0..big_n {
        let x = nalgebra::DVector::from_column_slice(model.input(i));
        let y = nalgebra::DVector::from_column_slice(model.target(i));
        residual_sum += (&ridge_solution * x - y).norm_squared();
    }
    let residual_variance = residual_sum / (big_n * n) as f64;
    let least_squares = model.regularised_solution(0.0)?;
    let bias_sq = (&ridge_solution - least_squares).norm_squared() / n as f64;
    let sgd_entry_variance =
        sgd_stationary_entry_variance(learning_rate, ridge, g, m, residual_variance, bias_sq)?;

    let teacher_strengths = model.teacher_strengths();
    let label_noise_variance = model.label_noise_variance();
    let estimation_entry_variance =
        label_noise_variance.map_or(0.0, |v| v / (big_n as f64 * (1.0 + ridge).powi(2)));
    let stationary_noise = BulkNoise::new(n, m, estimation_entry_variance + sgd_entry_variance)?;
    let stationary_outliers = stationary_noise.outliers(
        &teacher_strengths
            .iter()
            .map(|t| t / (1.0 + ridge))
            .collect::<Vec<_>>(),
    )?;
    let init_variance = model.init_scale().powi(2) / m as f64;
    let gradient_descent = GradientDescentSpectrum::new(
        n,
        m,
        learning_rate,
        ridge,
        init_variance,
        label_noise_variance.unwrap_or(0.0) / big_n as f64,
    )?;
    Ok(TeacherStudentTheory {
        provenance: "BBP threshold, location, overlaps, bulk edge: Benaych-Georges & Nadakuditi \
2012 §3.1 (rescaled); stationary SGD entry variance, mean-square limit, GD spectral dynamics and \
detachment times: derived here (docs/bbp-teacher-student.md), exact for whitened Gaussian inputs \
as n, m → ∞; SGD learning rate η = ε/σ² on (1/2N)Σ‖Wx − y‖² + (κ/2)‖W‖², κ = λσ²/N"
            .into(),
        outputs: n,
        inputs: m,
        data_size: big_n,
        aspect_ratio: stationary_noise.aspect_ratio(),
        learning_rate,
        ridge,
        mean_stability_limit,
        mean_square_stability_limit,
        detachment_times: teacher_strengths
            .iter()
            .map(|&t| gradient_descent.detachment_time(t))
            .collect(),
        first_detached_steps: teacher_strengths
            .iter()
            .map(|&t| gradient_descent.first_detached_step(t, 1_000_000))
            .collect(),
        teacher_strengths,
        label_noise_variance,
        residual_variance,
        estimation_entry_variance,
        sgd_entry_variance,
        stationary_bulk_edge: stationary_noise.bulk_edge(),
        stationary_threshold: stationary_noise.threshold(),
        stationary_noise,
        stationary_outliers,
        gradient_descent,
    })
}
