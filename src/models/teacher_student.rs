//! The linear teacher–student model of Park, Bocchi, D'Amico, Lucini & Aarts (2026), "Spectral
//! phase transitions and trainability in neural network learning dynamics" (arXiv:2606.28486), as a
//! Bayesian model: a student matrix W ∈ ℝ^{n×m} fitted to labels of a low-rank teacher.
//!
//! Only the paper's abstract was available to us: the model below (whitened Gaussian inputs,
//! rank-r teacher, Gaussian label noise, squared loss) is the standard linear teacher–student set-up
//! the abstract names; its exact normalisations are ours (see `docs/bbp-teacher-student.md`).

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::{Model, QuadraticModel};
use crate::error::{ensure_finite, Error, Result};

/// Linear teacher–student regression: y_i = W* x_i + σ_ε ε_i, student W ∈ ℝ^{n×m}.
///
/// # Formula
/// Per-example loss ℓ_i(W) = ‖W x_i − y_i‖²/(2σ²) and prior W ~ N(0, λ⁻¹ I), so
/// U(W) = λ‖W‖²_F/2 + Σ_i ‖W x_i − y_i‖²/(2σ²) and ∇ℓ_i(W) = (W x_i − y_i) x_iᵀ/σ².
///
/// **Parameter layout.** θ = vec(W) row by row: θ[a·m + j] = W_{aj} (a < n outputs, j < m inputs),
/// d = n·m. In this layout ℓ_i is quadratic with Hessian H_i = I_n ⊗ x_i x_iᵀ/σ² (n diagonal blocks
/// x_i x_iᵀ/σ²) and offset b_i = vec(y_i x_iᵀ)/σ², so the model is a [`QuadraticModel`]: every
/// sampler step is an affine random map and the exact discrete-time law of `theory::TheoryReport`
/// applies (d ≤ 64 for the dense solver).
///
/// The posterior mean (and the fixed point of full-batch gradient descent) is the ridge estimate
/// W_∞ = (Σ_i y_i x_iᵀ)(Σ_i x_i x_iᵀ + λσ² I)⁻¹ ([`LinearTeacherStudent::ridge_solution`]).
///
/// ```
/// use sgbayes::models::{LinearTeacherStudent, Model};
/// // n = 1 output, m = 2 inputs, N = 2 examples, σ² = 1, λ = 1, no teacher stored.
/// let model = LinearTeacherStudent::new(
///     vec![vec![1.0, 0.0], vec![0.0, 1.0]], vec![vec![2.0], vec![-1.0]], 1.0, 1.0, None, 1.0,
/// ).unwrap();
/// let mut grad = vec![0.0; 2];
/// model.full_gradient(&[1.0, 1.0], &mut grad);
/// // λW + Σ (W x_i − y_i) x_iᵀ = (1 + (1 − 2), 1 + (1 + 1))
/// assert_eq!(grad, vec![0.0, 3.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearTeacherStudent {
    outputs: usize,
    inputs: usize,
    /// Row-major N×m inputs.
    input_rows: Vec<f64>,
    /// Row-major N×n labels.
    target_rows: Vec<f64>,
    noise_variance: f64,
    prior_precision: f64,
    /// Row-major n×m teacher W*, when known.
    teacher: Option<Vec<f64>>,
    init_scale: f64,
}

/// Serialisable description of a [`LinearTeacherStudent`] (data included), for `sgbayes problem`.
///
/// ```
/// use sgbayes::models::{generate_teacher_student as generate, Model, TeacherStudentParams};
/// let model = generate(&TeacherStudentParams { outputs: 2, inputs: 3, rank: 1, data_size: 6, ..Default::default() }, 1).unwrap();
/// let spec = model.to_spec();
/// assert_eq!(spec.build().unwrap(), model);
/// let json = serde_json::to_string(&spec).unwrap();
/// let back: sgbayes::models::TeacherStudentSpec = serde_json::from_str(&json).unwrap();
/// assert_eq!(back.build().unwrap().dimension(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeacherStudentSpec {
    /// Input rows x_i ∈ ℝ^m.
    pub inputs: Vec<Vec<f64>>,
    /// Label rows y_i ∈ ℝ^n.
    pub targets: Vec<Vec<f64>>,
    /// Likelihood variance σ² (σ² = 1: SGD on the plain squared loss ½‖Wx − y‖²).
    pub noise_variance: f64,
    /// Prior precision λ > 0.
    pub prior_precision: f64,
    /// The teacher W* as n rows of length m, when known (the theory reads its singular values).
    #[serde(default)]
    pub teacher: Option<Vec<Vec<f64>>>,
    /// Initial weight scale σ₀: W₀ has i.i.d. N(0, σ₀²/m) entries.
    #[serde(default = "default_init_scale")]
    pub init_scale: f64,
}

fn default_init_scale() -> f64 {
    1.0
}

impl TeacherStudentSpec {
    /// Validates and builds the model ([`LinearTeacherStudent::new`]).
    pub fn build(&self) -> Result<LinearTeacherStudent> {
        LinearTeacherStudent::new(
            self.inputs.clone(),
            self.targets.clone(),
            self.noise_variance,
            self.prior_precision,
            self.teacher.clone(),
            self.init_scale,
        )
    }
}

/// Parameters of [`generate`]: a rank-r teacher W* = Σ_{α<r} θ*_α u_α v_αᵀ with Haar-random
/// orthonormal u_α ∈ ℝ^n, v_α ∈ ℝ^m and θ*_α = `signal`·`signal_ratio`^α, N Gaussian inputs
/// (whitened exactly when `whiten`), labels y = W* x + σ_ε ε.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeacherStudentParams {
    /// n, the number of outputs (rows of W).
    pub outputs: usize,
    /// m, the number of inputs (columns of W).
    pub inputs: usize,
    /// r, the teacher's rank (1 ≤ r ≤ min(n, m)).
    pub rank: usize,
    /// θ*_1, the teacher's largest singular value.
    #[doc(alias = "theta_star")]
    pub signal: f64,
    /// θ*_{α+1}/θ*_α ∈ (0, 1].
    pub signal_ratio: f64,
    /// σ_ε ≥ 0, the label-noise standard deviation.
    #[doc(alias = "sigma_epsilon")]
    pub label_noise: f64,
    /// N, the number of examples.
    #[serde(alias = "data")]
    pub data_size: usize,
    /// Likelihood variance σ² of the model (1: the plain squared loss).
    pub noise_variance: f64,
    /// Prior precision λ.
    pub prior_precision: f64,
    /// σ₀ ≥ 0: W₀ has i.i.d. N(0, σ₀²/m) entries ([`LinearTeacherStudent::initial_weights`]).
    #[doc(alias = "sigma_0")]
    pub init_scale: f64,
    /// Whiten the sample exactly, (1/N) Σ_i x_i x_iᵀ = I (needs N ≥ m); otherwise raw N(0, I) inputs.
    pub whiten: bool,
}

impl Default for TeacherStudentParams {
    fn default() -> Self {
        Self {
            outputs: 40,
            inputs: 80,
            rank: 2,
            signal: 2.0,
            signal_ratio: 0.5,
            label_noise: 0.5,
            data_size: 1000,
            noise_variance: 1.0,
            prior_precision: 1.0,
            init_scale: 1.0,
            whiten: true,
        }
    }
}

impl TeacherStudentParams {
    /// The teacher's singular values θ*_α = signal·ratio^α, α < r.
    pub fn teacher_strengths(&self) -> Vec<f64> {
        (0..self.rank)
            .map(|a| self.signal * self.signal_ratio.powi(a as i32))
            .collect()
    }

    fn validate(&self) -> Result<()> {
        let invalid = |what: &str, why: String| Error::Invalid {
            what: what.into(),
            why,
        };
        if self.outputs == 0 || self.inputs == 0 {
            return Err(invalid("dimensions", "n and m must be positive".into()));
        }
        if self.rank == 0 || self.rank > self.outputs.min(self.inputs) {
            return Err(invalid(
                "rank",
                format!("must satisfy 1 <= r <= min(n, m), got {}", self.rank),
            ));
        }
        if self.data_size == 0 || (self.whiten && self.data_size < self.inputs) {
            return Err(invalid(
                "data_size",
                format!(
                    "need N >= 1 (and N >= m = {} to whiten), got {}",
                    self.inputs, self.data_size
                ),
            ));
        }
        for (what, value, positive) in [
            ("signal", self.signal, false),
            ("label_noise", self.label_noise, false),
            ("init_scale", self.init_scale, false),
            ("noise_variance", self.noise_variance, true),
            ("prior_precision", self.prior_precision, true),
        ] {
            if !value.is_finite() || value < 0.0 || (positive && value == 0.0) {
                return Err(invalid(
                    what,
                    format!("must be finite and non-negative (positive for σ², λ), got {value}"),
                ));
            }
        }
        if !(self.signal_ratio > 0.0 && self.signal_ratio <= 1.0) {
            return Err(invalid(
                "signal_ratio",
                format!("must lie in (0, 1], got {}", self.signal_ratio),
            ));
        }
        Ok(())
    }
}

/// A random teacher–student problem (see [`TeacherStudentParams`]); the same seed gives the same bits.
/// Re-exported as `sgbayes::models::generate_teacher_student`.
///
/// ```
/// use sgbayes::models::{generate_teacher_student as generate, Model, TeacherStudentParams};
/// let params = TeacherStudentParams { outputs: 3, inputs: 4, rank: 1, data_size: 20, ..Default::default() };
/// let model = generate(&params, 7).unwrap();
/// assert_eq!((model.dimension(), model.data_size()), (12, 20));
/// ```
pub fn generate(params: &TeacherStudentParams, seed: u64) -> Result<LinearTeacherStudent> {
    params.validate()?;
    let (n, m, big_n) = (params.outputs, params.inputs, params.data_size);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut gaussian = |rows: usize, cols: usize| {
        DMatrix::from_fn(rows, cols, |_, _| rng.sample::<f64, _>(StandardNormal))
    };
    let left = gaussian(n, params.rank).qr().q();
    let right = gaussian(m, params.rank).qr().q();
    let strengths = DMatrix::from_diagonal(&DVector::from_vec(params.teacher_strengths()));
    let teacher = &left * strengths * right.transpose();
    let mut inputs = gaussian(big_n, m);
    if params.whiten {
        // X ← X C^{-1/2}, C = XᵀX/N, so that the sample second moment is exactly I.
        let eigen = SymmetricEigen::new(inputs.transpose() * &inputs / big_n as f64);
        if eigen.eigenvalues.iter().any(|&l| l <= 1e-12) {
            return Err(Error::NotPositiveDefinite {
                what: "sample input covariance (cannot whiten)".into(),
            });
        }
        let inv_sqrt = DMatrix::from_diagonal(&eigen.eigenvalues.map(|l| 1.0 / l.sqrt()));
        inputs = &inputs * (&eigen.eigenvectors * inv_sqrt * eigen.eigenvectors.transpose());
    }
    let noise = gaussian(big_n, n);
    let targets = &inputs * teacher.transpose() + noise * params.label_noise;
    let rows = |a: &DMatrix<f64>| -> Vec<Vec<f64>> {
        a.row_iter().map(|r| r.iter().copied().collect()).collect()
    };
    LinearTeacherStudent::new(
        rows(&inputs),
        rows(&targets),
        params.noise_variance,
        params.prior_precision,
        Some(rows(&teacher)),
        params.init_scale,
    )
}

fn flatten(what: &str, rows: &[Vec<f64>], width: Option<usize>) -> Result<(Vec<f64>, usize)> {
    let width = width.unwrap_or_else(|| rows.first().map_or(0, Vec::len));
    if rows.is_empty() || width == 0 {
        return Err(Error::Invalid {
            what: what.into(),
            why: "empty".into(),
        });
    }
    let mut flat = Vec::with_capacity(rows.len() * width);
    for row in rows {
        if row.len() != width {
            return Err(Error::DimensionMismatch {
                what: format!("{what} row"),
                expected: width,
                found: row.len(),
            });
        }
        flat.extend_from_slice(row);
    }
    ensure_finite(what, &flat)?;
    Ok((flat, width))
}

impl LinearTeacherStudent {
    /// Builds the model from input rows x_i ∈ ℝ^m, label rows y_i ∈ ℝ^n, the likelihood variance
    /// σ² > 0, the prior precision λ > 0, the teacher W* (n rows of length m) if known, and the
    /// initial weight scale σ₀ ≥ 0. Errors on empty or ragged data, non-finite values, or
    /// non-positive σ², λ.
    pub fn new(
        inputs: Vec<Vec<f64>>,
        targets: Vec<Vec<f64>>,
        noise_variance: f64,
        prior_precision: f64,
        teacher: Option<Vec<Vec<f64>>>,
        init_scale: f64,
    ) -> Result<Self> {
        let (input_rows, m) = flatten("inputs", &inputs, None)?;
        let (target_rows, n) = flatten("targets", &targets, None)?;
        if targets.len() != inputs.len() {
            return Err(Error::DimensionMismatch {
                what: "targets (one label row per input row)".into(),
                expected: inputs.len(),
                found: targets.len(),
            });
        }
        let teacher = match teacher {
            None => None,
            Some(rows) => {
                if rows.len() != n {
                    return Err(Error::DimensionMismatch {
                        what: "teacher rows (n outputs)".into(),
                        expected: n,
                        found: rows.len(),
                    });
                }
                Some(flatten("teacher", &rows, Some(m))?.0)
            }
        };
        for (what, value) in [
            ("noise_variance", noise_variance),
            ("prior_precision", prior_precision),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(Error::Invalid {
                    what: what.into(),
                    why: format!("must be positive and finite, got {value}"),
                });
            }
        }
        if !(init_scale.is_finite() && init_scale >= 0.0) {
            return Err(Error::Invalid {
                what: "init_scale".into(),
                why: format!("must be finite and non-negative, got {init_scale}"),
            });
        }
        // The curvature N·max|x|²/σ² must be finite (1e200 inputs overflow it).
        let largest = input_rows.iter().fold(0.0f64, |a, x| a.max(x * x));
        ensure_finite(
            "curvature N·max|x|²/σ² (inputs too large)",
            &[largest * (inputs.len() * m) as f64 / noise_variance],
        )?;
        Ok(Self {
            outputs: n,
            inputs: m,
            input_rows,
            target_rows,
            noise_variance,
            prior_precision,
            teacher,
            init_scale,
        })
    }

    /// n, the number of outputs (rows of W).
    pub fn output_dimension(&self) -> usize {
        self.outputs
    }
    /// m, the number of inputs (columns of W).
    pub fn input_dimension(&self) -> usize {
        self.inputs
    }
    /// Input x_i.
    pub fn input(&self, index: usize) -> &[f64] {
        &self.input_rows[index * self.inputs..(index + 1) * self.inputs]
    }
    /// Label y_i.
    pub fn target(&self, index: usize) -> &[f64] {
        &self.target_rows[index * self.outputs..(index + 1) * self.outputs]
    }
    /// Likelihood variance σ².
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// Prior precision λ (scalar).
    pub fn prior_precision_scalar(&self) -> f64 {
        self.prior_precision
    }
    /// Initial weight scale σ₀.
    pub fn init_scale(&self) -> f64 {
        self.init_scale
    }
    /// The teacher W* (n×m), when known.
    pub fn teacher(&self) -> Option<DMatrix<f64>> {
        self.teacher
            .as_ref()
            .map(|t| DMatrix::from_row_slice(self.outputs, self.inputs, t))
    }
    /// The teacher's nonzero singular values θ*_α (above 1e-12 of the largest), in decreasing
    /// order; empty without a teacher.
    pub fn teacher_strengths(&self) -> Vec<f64> {
        let Some(teacher) = self.teacher() else {
            return Vec::new();
        };
        let mut values: Vec<f64> = teacher.singular_values().iter().copied().collect();
        values.sort_by(|a, b| b.total_cmp(a));
        let top = values.first().copied().unwrap_or(0.0);
        values.retain(|&v| v > 1e-12 * top && v > 0.0);
        values
    }

    /// W as an n×m matrix from θ = vec(W) (row-major layout). Errors on a wrong length.
    pub fn weights(&self, theta: &[f64]) -> Result<DMatrix<f64>> {
        if theta.len() != self.dimension() {
            return Err(Error::DimensionMismatch {
                what: "θ = vec(W)".into(),
                expected: self.dimension(),
                found: theta.len(),
            });
        }
        Ok(DMatrix::from_row_slice(self.outputs, self.inputs, theta))
    }

    /// θ = vec(W), row by row (the inverse of [`Self::weights`]).
    pub fn flatten(weights: &DMatrix<f64>) -> Vec<f64> {
        weights.transpose().as_slice().to_vec()
    }

    /// The sample second moment C = (1/N) Σ_i x_i x_iᵀ (m×m; I for a whitened sample).
    pub fn input_second_moment(&self) -> DMatrix<f64> {
        let x = DMatrix::from_row_slice(self.data_size(), self.inputs, &self.input_rows);
        x.transpose() * &x / self.data_size() as f64
    }

    /// The ridge estimate W_∞ = Ŷ (C + κ I)⁻¹ with Ŷ = (1/N) Σ_i y_i x_iᵀ and κ = λσ²/N: the
    /// posterior mean and the fixed point of every gradient method on U.
    pub fn ridge_solution(&self) -> Result<DMatrix<f64>> {
        self.regularised_solution(self.ridge())
    }

    /// Ŷ (C + ρ I)⁻¹ for a ridge ρ ≥ 0 (ρ = 0: least squares, which needs C positive definite).
    pub fn regularised_solution(&self, ridge: f64) -> Result<DMatrix<f64>> {
        let big_n = self.data_size();
        let x = DMatrix::from_row_slice(big_n, self.inputs, &self.input_rows);
        let y = DMatrix::from_row_slice(big_n, self.outputs, &self.target_rows);
        let cross = y.transpose() * &x / big_n as f64;
        let regularised =
            self.input_second_moment() + DMatrix::identity(self.inputs, self.inputs) * ridge;
        let inverse = regularised
            .cholesky()
            .ok_or(Error::NotPositiveDefinite {
                what: "C + ridge·I (sample input second moment)".into(),
            })?
            .inverse();
        Ok(cross * inverse)
    }

    /// κ = λσ²/N, the ridge of the per-example loss (the prior spread over the N examples).
    pub fn ridge(&self) -> f64 {
        self.prior_precision * self.noise_variance / self.data_size() as f64
    }

    /// Label-noise variance σ_ε² estimated from the teacher's residuals, ‖Y − X W*ᵀ‖²_F/(N n);
    /// `None` without a teacher.
    pub fn label_noise_variance(&self) -> Option<f64> {
        let teacher = self.teacher.as_ref()?;
        let (n, m) = (self.outputs, self.inputs);
        let mut total = 0.0;
        for i in 0..self.data_size() {
            let (x, y) = (self.input(i), self.target(i));
            for a in 0..n {
                let r = super::linear_kernel::dot(&teacher[a * m..(a + 1) * m], x) - y[a];
                total += r * r;
            }
        }
        Some(total / (self.data_size() * n) as f64)
    }

    /// W₀ with i.i.d. N(0, σ₀²/m) entries as θ₀ = vec(W₀) (ChaCha20 stream 1 of `seed`, so the same
    /// seed as [`generate`] gives an independent draw).
    pub fn initial_weights(&self, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let scale = self.init_scale / (self.inputs as f64).sqrt();
        (0..self.dimension())
            .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
            .collect()
    }

    /// The serialisable description (round trip: `to_spec().build() == self`).
    pub fn to_spec(&self) -> TeacherStudentSpec {
        let rows = |flat: &[f64], width: usize| -> Vec<Vec<f64>> {
            flat.chunks(width).map(|r| r.to_vec()).collect()
        };
        TeacherStudentSpec {
            inputs: rows(&self.input_rows, self.inputs),
            targets: rows(&self.target_rows, self.outputs),
            noise_variance: self.noise_variance,
            prior_precision: self.prior_precision,
            teacher: self.teacher.as_ref().map(|t| rows(t, self.inputs)),
            init_scale: self.init_scale,
        }
    }

    /// The student's spectrum relative to the teacher, from θ = vec(W).
    ///
    /// # Formula
    /// With the student SVD W = Σ_k σ_k û_k v̂_kᵀ and the teacher's W* = Σ_α θ*_α u_α v_αᵀ:
    /// singular values σ_k (decreasing), mode strengths s_α = u_αᵀ W v_α, and the squared overlaps
    /// (û_α·u_α)², (v̂_α·v_α)² of the α-th student and teacher singular vectors (α < r).
    ///
    /// ```
    /// use sgbayes::models::{generate_teacher_student as generate, TeacherStudentParams};
    /// let params = TeacherStudentParams { outputs: 4, inputs: 5, rank: 1, data_size: 10, ..Default::default() };
    /// let model = generate(&params, 3).unwrap();
    /// // The teacher itself: strengths θ*, overlaps 1.
    /// let theta = sgbayes::models::LinearTeacherStudent::flatten(&model.teacher().unwrap());
    /// let s = model.spectral_summary(&theta).unwrap();
    /// assert!((s.mode_strengths[0] - 2.0).abs() < 1e-12 && (s.left_overlaps[0] - 1.0).abs() < 1e-12);
    /// ```
    pub fn spectral_summary(&self, theta: &[f64]) -> Result<SpectralSummary> {
        let w = self.weights(theta)?;
        ensure_finite("θ", theta)?;
        let svd = w.clone().svd(true, true);
        let (Some(u), Some(v_t)) = (svd.u, svd.v_t) else {
            return Err(Error::Invalid {
                what: "θ".into(),
                why: "singular value decomposition failed".into(),
            });
        };
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        let singular_values = order.iter().map(|&k| svd.singular_values[k]).collect();
        let mut summary = SpectralSummary {
            singular_values,
            mode_strengths: Vec::new(),
            left_overlaps: Vec::new(),
            right_overlaps: Vec::new(),
        };
        if let Some(teacher) = self.teacher() {
            let tsvd = teacher.svd(true, true);
            if let (Some(tu), Some(tv_t)) = (tsvd.u, tsvd.v_t) {
                let mut torder: Vec<usize> = (0..tsvd.singular_values.len())
                    .filter(|&k| tsvd.singular_values[k] > 0.0)
                    .collect();
                torder
                    .sort_by(|&a, &b| tsvd.singular_values[b].total_cmp(&tsvd.singular_values[a]));
                let strengths = self.teacher_strengths();
                for (alpha, &k) in torder.iter().take(strengths.len()).enumerate() {
                    let (tu_k, tv_k) = (tu.column(k), tv_t.row(k).transpose());
                    summary.mode_strengths.push(tu_k.dot(&(&w * &tv_k)));
                    let s = order[alpha];
                    summary.left_overlaps.push(u.column(s).dot(&tu_k).powi(2));
                    summary
                        .right_overlaps
                        .push(v_t.row(s).transpose().dot(&tv_k).powi(2));
                }
            }
        }
        Ok(summary)
    }
}

/// The student's spectrum relative to the teacher ([`LinearTeacherStudent::spectral_summary`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpectralSummary {
    /// Singular values of W, decreasing.
    pub singular_values: Vec<f64>,
    /// s_α = u_αᵀ W v_α per teacher mode.
    pub mode_strengths: Vec<f64>,
    /// (û_α·u_α)², output side (ℝ^n).
    pub left_overlaps: Vec<f64>,
    /// (v̂_α·v_α)², input side (ℝ^m).
    pub right_overlaps: Vec<f64>,
}

impl Model for LinearTeacherStudent {
    fn dimension(&self) -> usize {
        self.outputs * self.inputs
    }
    fn data_size(&self) -> usize {
        self.input_rows.len() / self.inputs
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        debug_assert_eq!(theta.len(), self.dimension());
        for (o, t) in out.iter_mut().zip(theta) {
            *o = self.prior_precision * t;
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let (x, y, m) = (self.input(index), self.target(index), self.inputs);
        for (a, (row, out_row)) in theta.chunks(m).zip(out.chunks_mut(m)).enumerate() {
            let factor = scale * (super::linear_kernel::dot(row, x) - y[a]) / self.noise_variance;
            for (o, xj) in out_row.iter_mut().zip(x) {
                *o += factor * xj;
            }
        }
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let prior = 0.5 * self.prior_precision * theta.iter().map(|t| t * t).sum::<f64>();
        let m = self.inputs;
        let mut likelihood = 0.0;
        for i in 0..self.data_size() {
            let (x, y) = (self.input(i), self.target(i));
            for (a, row) in theta.chunks(m).enumerate() {
                let r = super::linear_kernel::dot(row, x) - y[a];
                likelihood += r * r;
            }
        }
        prior + likelihood / (2.0 * self.noise_variance)
    }
}

impl QuadraticModel for LinearTeacherStudent {
    fn example_hessian(&self, index: usize) -> DMatrix<f64> {
        let x = DVector::from_column_slice(self.input(index));
        let block = &x * x.transpose() / self.noise_variance;
        let m = self.inputs;
        let mut h = DMatrix::zeros(self.dimension(), self.dimension());
        for a in 0..self.outputs {
            h.view_mut((a * m, a * m), (m, m)).copy_from(&block);
        }
        h
    }
    fn example_offset(&self, index: usize) -> DVector<f64> {
        let (x, y) = (self.input(index), self.target(index));
        DVector::from_fn(self.dimension(), |k, _| {
            y[k / self.inputs] * x[k % self.inputs] / self.noise_variance
        })
    }
    fn prior_precision(&self) -> DMatrix<f64> {
        DMatrix::identity(self.dimension(), self.dimension()) * self.prior_precision
    }
    fn prior_mean(&self) -> DVector<f64> {
        DVector::zeros(self.dimension())
    }
}
