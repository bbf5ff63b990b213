//! Deep linear networks f(x) = W_L ⋯ W_1 x on squared loss, the model of Corlouer, Semler, Strang &
//! Gietelink Oldenziel, "SGD in the saddle-to-saddle regime of deep linear networks"
//! (arXiv:2604.06366), with a teacher–student data generator.
//!
//! # Parameter layout
//! θ is the concatenation of the row-major W_1, …, W_L, where W_l is d_l × d_{l−1} for the widths
//! (d_0 = input, d_1 … d_{L−1} hidden, d_L = output): entry (j, k) of W_l is
//! θ[o_l + j d_{l−1} + k] with o_l = Σ_{m<l} d_m d_{m−1} ([`DeepLinearNetwork::layer_offset`]).
//!
//! # Modes
//! The teacher's modes are the singular triples (S_α, u_α, v_α) of the empirical cross-covariance
//! Σ_yx = (1/N) Σ_i y_i x_iᵀ, sorted by decreasing S_α. For whitened inputs (Σ_x = (1/N)Σ x_i x_iᵀ = I)
//! Σ_yx is the exact minimiser of the empirical loss, so S_α are the strengths the network learns.
//! The per-mode strength of a network is s_α = u_αᵀ W v_α with W = W_L ⋯ W_1
//! ([`DeepLinearNetwork::mode_strengths`]).

use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::Model;
use crate::error::{ensure_finite, Error, Result};

/// Largest scratch (Σ_{l≥1} d_l + 2 max_l d_l values) of the allocation-free gradient: the
/// forward activations and two back-propagation buffers live in a stack array of at most this
/// many `f64` (32 KiB).
const MAX_SCRATCH: usize = 4096;

/// A deep linear network W = W_L ⋯ W_1 (L ≥ 2) with a Gaussian likelihood and prior.
///
/// # Formula
/// U(θ) = (λ/2)‖θ‖² + Σ_i ℓ_i(θ), ℓ_i(θ) = ‖W x_i − y_i‖²/(2σ²). Writing h_0 = x_i,
/// h_l = W_l h_{l−1}, r = (h_L − y_i)/σ² and b_L = r, b_{l−1} = W_lᵀ b_l, the per-example gradient
/// is ∇_{W_l} ℓ_i = b_l h_{l−1}ᵀ (back-propagation).
///
/// Normalisation: with the crate's SGD, θ ← θ − (ε/N) ĝ with ĝ = λθ + (N/B)Σ_{i∈S}∇ℓ_i, so for
/// λ = 0 one step is θ ← θ − (ε/σ²) ∇_θ (1/B)Σ_{i∈S} ½‖W x_i − y_i‖²: plain SGD on the half mean
/// squared error with learning rate η = ε/σ² (σ² = 1 gives η = ε). The closed forms in
/// [`crate::theory::deep_linear`] use this η.
///
/// Cost of one per-example gradient: 2 Σ_l d_l d_{l−1} multiply–adds (one forward and one
/// backward pass), no allocation: the activations live in a stack array of at most
/// 4096 values (networks needing more are rejected by [`DeepLinearNetwork::new`]).
///
/// ```
/// use sgbayes::models::{DeepLinearNetwork, Model};
/// // L = 2, widths 1 → 1 → 1, one example (x, y) = (1, 2): ℓ = (w₂w₁ − 2)²/2.
/// let model = DeepLinearNetwork::new(vec![1, 1, 1], vec![vec![1.0]], vec![vec![2.0]], 1.0, 0.0).unwrap();
/// let mut grad = vec![0.0; 2];
/// model.full_gradient(&[0.5, 2.0], &mut grad);
/// // r = 0.5·2 − 2 = −1: ∂/∂w₁ = r w₂ = −2, ∂/∂w₂ = r w₁ = −0.5
/// assert!((grad[0] + 2.0).abs() < 1e-12 && (grad[1] + 0.5).abs() < 1e-12);
/// assert_eq!(model.teacher_strengths(), &[2.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DeepLinearNetwork {
    widths: Vec<usize>,
    offsets: Vec<usize>,
    /// Row-major N × d_0.
    inputs: Vec<f64>,
    /// Row-major N × d_L.
    targets: Vec<f64>,
    noise_variance: f64,
    prior_precision: f64,
    /// S_α, decreasing.
    teacher_strengths: Vec<f64>,
    /// u_α (length d_L each).
    output_directions: Vec<Vec<f64>>,
    /// v_α (length d_0 each).
    input_directions: Vec<Vec<f64>>,
    scratch_len: usize,
}

/// Serialisable form of a [`DeepLinearNetwork`] (everything needed to rebuild it, data included).
///
/// ```
/// use sgbayes::models::{generate_deep_linear, DeepLinearParams};
/// let model = generate_deep_linear(&DeepLinearParams::default(), 1).unwrap();
/// let spec = model.to_spec();
/// assert_eq!(spec.build().unwrap(), model);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepLinearSpec {
    /// Widths d_0 (input), d_1 … d_{L−1} (hidden), d_L (output); L = len − 1 ≥ 2.
    pub widths: Vec<usize>,
    /// N input rows x_i (d_0 each).
    pub inputs: Vec<Vec<f64>>,
    /// N target rows y_i (d_L each).
    pub targets: Vec<Vec<f64>>,
    /// Likelihood variance σ² > 0.
    pub noise_variance: f64,
    /// Prior precision λ ≥ 0 (0: flat prior, for SGD).
    pub prior_precision: f64,
}

impl DeepLinearSpec {
    /// Validates and builds the model ([`DeepLinearNetwork::new`]).
    pub fn build(&self) -> Result<DeepLinearNetwork> {
        DeepLinearNetwork::new(
            self.widths.clone(),
            self.inputs.clone(),
            self.targets.clone(),
            self.noise_variance,
            self.prior_precision,
        )
    }
}

fn flatten(what: &str, rows: &[Vec<f64>], width: usize) -> Result<Vec<f64>> {
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
    Ok(flat)
}

impl DeepLinearNetwork {
    /// Builds the network from its widths [d_0, …, d_L] (L ≥ 2, all ≥ 1), N ≥ 1 examples (x_i, y_i),
    /// likelihood variance σ² > 0 and prior precision λ ≥ 0. Errors on a depth below 2, zero or
    /// too large widths (scratch beyond 4096 values), ragged or non-finite data, or bad σ², λ.
    pub fn new(
        widths: Vec<usize>,
        inputs: Vec<Vec<f64>>,
        targets: Vec<Vec<f64>>,
        noise_variance: f64,
        prior_precision: f64,
    ) -> Result<Self> {
        if widths.len() < 3 {
            return Err(Error::Invalid {
                what: "widths".into(),
                why: format!(
                    "a deep linear network needs depth L >= 2, i.e. at least 3 widths, got {}",
                    widths.len()
                ),
            });
        }
        if widths.contains(&0) {
            return Err(Error::Invalid {
                what: "widths".into(),
                why: "every width must be at least 1".into(),
            });
        }
        let depth = widths.len() - 1;
        let scratch_len =
            widths[1..].iter().sum::<usize>() + 2 * widths.iter().copied().max().unwrap_or(0);
        if scratch_len > MAX_SCRATCH {
            return Err(Error::Invalid {
                what: "widths".into(),
                why: format!("the allocation-free gradient needs sum of widths d_1..d_L + 2 max width <= {MAX_SCRATCH}, got {scratch_len}"),
            });
        }
        if inputs.is_empty() {
            return Err(Error::Invalid {
                what: "inputs".into(),
                why: "no data points".into(),
            });
        }
        if targets.len() != inputs.len() {
            return Err(Error::DimensionMismatch {
                what: "targets".into(),
                expected: inputs.len(),
                found: targets.len(),
            });
        }
        let flat_inputs = flatten("inputs", &inputs, widths[0])?;
        let flat_targets = flatten("targets", &targets, widths[depth])?;
        if !(noise_variance.is_finite() && noise_variance > 0.0) {
            return Err(Error::Invalid {
                what: "noise_variance".into(),
                why: format!("must be positive and finite, got {noise_variance}"),
            });
        }
        if !(prior_precision.is_finite() && prior_precision >= 0.0) {
            return Err(Error::Invalid {
                what: "prior_precision".into(),
                why: format!("must be finite and >= 0, got {prior_precision}"),
            });
        }
        let mut offsets = vec![0];
        for l in 1..=depth {
            offsets.push(offsets[l - 1] + widths[l] * widths[l - 1]);
        }
        let n = inputs.len() as f64;
        let cross = DMatrix::from_fn(widths[depth], widths[0], |j, k| {
            inputs
                .iter()
                .zip(&targets)
                .map(|(x, y)| y[j] * x[k])
                .sum::<f64>()
                / n
        });
        ensure_finite("cross-covariance (inputs too large)", cross.iter())?;
        let svd = cross.svd(true, true);
        let (u, v_t) = match (svd.u, svd.v_t) {
            (Some(u), Some(v_t)) => (u, v_t),
            _ => {
                return Err(Error::Invalid {
                    what: "cross-covariance".into(),
                    why: "singular value decomposition failed".into(),
                })
            }
        };
        let mut order: Vec<usize> = (0..svd.singular_values.len()).collect();
        order.sort_by(|&a, &b| svd.singular_values[b].total_cmp(&svd.singular_values[a]));
        Ok(Self {
            offsets,
            inputs: flat_inputs,
            targets: flat_targets,
            noise_variance,
            prior_precision,
            teacher_strengths: order.iter().map(|&a| svd.singular_values[a]).collect(),
            output_directions: order
                .iter()
                .map(|&a| u.column(a).iter().copied().collect())
                .collect(),
            input_directions: order
                .iter()
                .map(|&a| v_t.row(a).iter().copied().collect())
                .collect(),
            widths,
            scratch_len,
        })
    }

    /// Depth L (number of weight matrices).
    pub fn depth(&self) -> usize {
        self.widths.len() - 1
    }
    /// Widths [d_0, …, d_L].
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }
    /// Offset o_l of W_l in θ, for l = 1..=L (o_{L+1} := d, the dimension).
    pub fn layer_offset(&self, layer: usize) -> usize {
        self.offsets[layer - 1]
    }
    /// W_l (l = 1..=L) as a d_l × d_{l−1} matrix.
    pub fn layer(&self, theta: &[f64], layer: usize) -> DMatrix<f64> {
        let (rows, cols) = (self.widths[layer], self.widths[layer - 1]);
        let o = self.offsets[layer - 1];
        DMatrix::from_row_slice(rows, cols, &theta[o..o + rows * cols])
    }
    /// The end-to-end map W = W_L ⋯ W_1 (d_L × d_0).
    pub fn end_to_end(&self, theta: &[f64]) -> DMatrix<f64> {
        (2..=self.depth()).fold(self.layer(theta, 1), |acc, l| self.layer(theta, l) * acc)
    }
    /// Input row x_i.
    pub fn input(&self, index: usize) -> &[f64] {
        let d0 = self.widths[0];
        &self.inputs[index * d0..(index + 1) * d0]
    }
    /// Target row y_i.
    pub fn target(&self, index: usize) -> &[f64] {
        let dl = self.widths[self.depth()];
        &self.targets[index * dl..(index + 1) * dl]
    }
    /// Likelihood variance σ².
    pub fn noise_variance(&self) -> f64 {
        self.noise_variance
    }
    /// Prior precision λ.
    pub fn prior_precision(&self) -> f64 {
        self.prior_precision
    }
    /// Teacher strengths S_α: singular values of Σ_yx = (1/N) Σ_i y_i x_iᵀ, decreasing
    /// (min(d_0, d_L) of them, zeros included).
    pub fn teacher_strengths(&self) -> &[f64] {
        &self.teacher_strengths
    }
    /// Output direction u_α of mode α.
    pub fn output_direction(&self, mode: usize) -> &[f64] {
        &self.output_directions[mode]
    }
    /// Input direction v_α of mode α.
    pub fn input_direction(&self, mode: usize) -> &[f64] {
        &self.input_directions[mode]
    }
    /// Number of modes a balanced aligned network can carry: min(d_0, …, d_L).
    pub fn learnable_modes(&self) -> usize {
        self.widths.iter().copied().min().unwrap_or(0)
    }
    /// Empirical input second moment Σ_x = (1/N) Σ_i x_i x_iᵀ (I for whitened inputs).
    pub fn input_second_moment(&self) -> DMatrix<f64> {
        let d0 = self.widths[0];
        let n = self.data_size() as f64;
        DMatrix::from_fn(d0, d0, |a, b| {
            (0..self.data_size())
                .map(|i| self.input(i)[a] * self.input(i)[b])
                .sum::<f64>()
                / n
        })
    }
    /// Per-mode strengths s_α = u_αᵀ W v_α for every teacher mode α (the quantities the per-mode
    /// theory describes).
    pub fn mode_strengths(&self, theta: &[f64]) -> Vec<f64> {
        let w = self.end_to_end(theta);
        (0..self.teacher_strengths.len())
            .map(|a| {
                let u = DVector::from_column_slice(&self.output_directions[a]);
                let v = DVector::from_column_slice(&self.input_directions[a]);
                u.dot(&(&w * v))
            })
            .collect()
    }
    /// The per-example projected gradient ξ_{α,i} = u_αᵀ (W x_i − y_i) · (v_αᵀ x_i), the noise
    /// source of mode α (in units of y; divide by σ² for the gradient of ℓ_i).
    ///
    /// Its empirical variance over i at an aligned state is the finite-N version of the digest's
    /// V(s) = 2(s − S)² + σ_ε² (population, Gaussian inputs).
    pub fn projected_residuals(&self, theta: &[f64], mode: usize) -> Vec<f64> {
        let w = self.end_to_end(theta);
        let u = DVector::from_column_slice(&self.output_directions[mode]);
        let v = DVector::from_column_slice(&self.input_directions[mode]);
        let wt_u = w.transpose() * &u;
        (0..self.data_size())
            .map(|i| {
                let x = DVector::from_column_slice(self.input(i));
                let y = DVector::from_column_slice(self.target(i));
                (wt_u.dot(&x) - u.dot(&y)) * v.dot(&x)
            })
            .collect()
    }

    /// An aligned and balanced θ with per-mode strengths s_α(0) = `strengths[α]` (modes beyond the
    /// slice start at 0): W_1 = Σ_α a_α e_α v_αᵀ, W_l = Σ_α a_α e_α e_αᵀ (1 < l < L),
    /// W_L = Σ_α a_α u_α e_αᵀ with a_α = s_α^{1/L}, so W_{l+1}ᵀW_{l+1} = W_l W_lᵀ and s_α = a_α^L.
    /// Errors when more strengths than [`Self::learnable_modes`] are given or one is negative or
    /// not finite.
    ///
    /// ```
    /// use sgbayes::models::{generate_deep_linear, DeepLinearParams};
    /// let model = generate_deep_linear(&DeepLinearParams::default(), 3).unwrap();
    /// let theta = model.aligned_balanced_init(&[0.5, 0.25]).unwrap();
    /// let s = model.mode_strengths(&theta);
    /// assert!((s[0] - 0.5).abs() < 1e-12 && (s[1] - 0.25).abs() < 1e-12 && s[2].abs() < 1e-12);
    /// ```
    pub fn aligned_balanced_init(&self, strengths: &[f64]) -> Result<Vec<f64>> {
        if strengths.len() > self.learnable_modes() {
            return Err(Error::DimensionMismatch {
                what: "initial mode strengths (at most min width)".into(),
                expected: self.learnable_modes(),
                found: strengths.len(),
            });
        }
        ensure_finite("initial mode strengths", strengths)?;
        if let Some(bad) = strengths.iter().find(|s| **s < 0.0) {
            return Err(Error::Invalid {
                what: "initial mode strengths".into(),
                why: format!("a balanced aligned mode has s = a^L >= 0, got {bad}"),
            });
        }
        let depth = self.depth();
        let mut theta = vec![0.0; self.dimension()];
        for (a, &s) in strengths.iter().enumerate() {
            let amplitude = s.powf(1.0 / depth as f64);
            for l in 1..=depth {
                let (rows, cols, o) = (self.widths[l], self.widths[l - 1], self.offsets[l - 1]);
                for j in 0..rows {
                    for k in 0..cols {
                        let left = if l == depth {
                            self.output_directions[a][j]
                        } else {
                            f64::from(u8::from(j == a))
                        };
                        let right = if l == 1 {
                            self.input_directions[a][k]
                        } else {
                            f64::from(u8::from(k == a))
                        };
                        theta[o + j * cols + k] += amplitude * left * right;
                    }
                }
            }
        }
        Ok(theta)
    }

    /// The serialisable form (round trip: `model.to_spec().build() == model`).
    pub fn to_spec(&self) -> DeepLinearSpec {
        DeepLinearSpec {
            widths: self.widths.clone(),
            inputs: (0..self.data_size())
                .map(|i| self.input(i).to_vec())
                .collect(),
            targets: (0..self.data_size())
                .map(|i| self.target(i).to_vec())
                .collect(),
            noise_variance: self.noise_variance,
            prior_precision: self.prior_precision,
        }
    }

    /// Runs `f` on a zeroed stack scratch of `scratch_len` values (no heap allocation).
    fn with_scratch<R>(&self, f: impl FnOnce(&mut [f64]) -> R) -> R {
        let n = self.scratch_len;
        if n <= 64 {
            f(&mut [0.0; 64][..n])
        } else if n <= 512 {
            f(&mut [0.0; 512][..n])
        } else {
            f(&mut [0.0; MAX_SCRATCH][..n])
        }
    }

    /// Forward pass of example `index`: h_l = W_l h_{l−1} for l = 1..=L into `forward`
    /// (concatenated, h_L last).
    fn forward(&self, index: usize, theta: &[f64], forward: &mut [f64]) {
        let mut start = 0;
        for l in 1..=self.depth() {
            let (rows, cols, o) = (self.widths[l], self.widths[l - 1], self.offsets[l - 1]);
            let (done, rest) = forward.split_at_mut(start);
            let previous = if l == 1 {
                self.input(index)
            } else {
                &done[start - cols..]
            };
            for (j, h) in rest[..rows].iter_mut().enumerate() {
                let row = &theta[o + j * cols..o + (j + 1) * cols];
                *h = row.iter().zip(previous).map(|(w, x)| w * x).sum();
            }
            start += rows;
        }
    }
}

impl Model for DeepLinearNetwork {
    fn dimension(&self) -> usize {
        self.offsets[self.depth()]
    }
    fn data_size(&self) -> usize {
        self.inputs.len() / self.widths[0]
    }
    fn prior_gradient(&self, theta: &[f64], out: &mut [f64]) {
        for (o, t) in out.iter_mut().zip(theta) {
            *o = self.prior_precision * t;
        }
    }
    fn add_example_gradient(&self, index: usize, theta: &[f64], scale: f64, out: &mut [f64]) {
        let depth = self.depth();
        let hidden_total: usize = self.widths[1..].iter().sum();
        let max_width = self.widths.iter().copied().max().unwrap_or(0);
        self.with_scratch(|scratch| {
            let (forward, back) = scratch.split_at_mut(hidden_total);
            self.forward(index, theta, forward);
            let (mut current, mut next) = back.split_at_mut(max_width);
            // b_L = scale · (h_L − y)/σ².
            let d_out = self.widths[depth];
            let factor = scale / self.noise_variance;
            for ((b, h), y) in current
                .iter_mut()
                .zip(&forward[hidden_total - d_out..])
                .zip(self.target(index))
            {
                *b = factor * (h - y);
            }
            let mut end = hidden_total - d_out;
            for l in (1..=depth).rev() {
                let (rows, cols, o) = (self.widths[l], self.widths[l - 1], self.offsets[l - 1]);
                let previous = if l == 1 {
                    self.input(index)
                } else {
                    &forward[end - cols..end]
                };
                for j in 0..rows {
                    let bj = current[j];
                    for (g, x) in out[o + j * cols..o + (j + 1) * cols]
                        .iter_mut()
                        .zip(previous)
                    {
                        *g += bj * x;
                    }
                }
                if l > 1 {
                    // b_{l−1} = W_lᵀ b_l.
                    for (k, nk) in next[..cols].iter_mut().enumerate() {
                        *nk = (0..rows)
                            .map(|j| theta[o + j * cols + k] * current[j])
                            .sum();
                    }
                    std::mem::swap(&mut current, &mut next);
                    end -= cols;
                }
            }
        });
    }
    fn potential(&self, theta: &[f64]) -> f64 {
        let prior = 0.5 * self.prior_precision * theta.iter().map(|t| t * t).sum::<f64>();
        let hidden_total: usize = self.widths[1..].iter().sum();
        let d_out = self.widths[self.depth()];
        let likelihood: f64 = (0..self.data_size())
            .map(|i| {
                self.with_scratch(|scratch| {
                    self.forward(i, theta, scratch);
                    scratch[hidden_total - d_out..hidden_total]
                        .iter()
                        .zip(self.target(i))
                        .map(|(h, y)| (h - y).powi(2))
                        .sum::<f64>()
                })
            })
            .sum();
        prior + likelihood / (2.0 * self.noise_variance)
    }
}

/// Parameters of the teacher–student generator [`generate_deep_linear`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeepLinearParams {
    /// Depth L ≥ 2 (number of weight matrices).
    pub depth: usize,
    /// Width of every hidden layer.
    pub hidden_width: usize,
    /// Input dimension d_0.
    pub input_dim: usize,
    /// Output dimension d_L.
    pub output_dim: usize,
    /// Teacher singular values S_α (at most min(d_0, d_L), positive, distinct for unique modes).
    #[serde(alias = "teacher")]
    pub teacher_strengths: Vec<f64>,
    /// Label-noise standard deviation σ_ε (y = W* x + ε, ε ~ N(0, σ_ε² I)).
    pub label_noise: f64,
    /// Number of examples N (≥ d_0 + d_L when σ_ε > 0, ≥ d_0 otherwise).
    #[serde(alias = "data")]
    pub data_size: usize,
    /// Likelihood variance σ² of the model (1: SGD's learning rate η equals ε).
    pub noise_variance: f64,
    /// Prior precision λ ≥ 0.
    pub prior_precision: f64,
}

impl Default for DeepLinearParams {
    /// L = 2, widths 4 → 4 → 3, teacher S = (3, 2, 1), no label noise, N = 1000, σ² = 1, λ = 0.
    fn default() -> Self {
        Self {
            depth: 2,
            hidden_width: 4,
            input_dim: 4,
            output_dim: 3,
            teacher_strengths: vec![3.0, 2.0, 1.0],
            label_noise: 0.0,
            data_size: 1000,
            noise_variance: 1.0,
            prior_precision: 0.0,
        }
    }
}

/// Symmetric inverse square root of an SPD matrix (eigen-decomposition).
fn inverse_sqrt(m: &DMatrix<f64>, what: &str) -> Result<DMatrix<f64>> {
    let eig = m.clone().symmetric_eigen();
    let floor = 1e-12 * m.amax();
    // NaN eigenvalues (non-finite input) fail the check too.
    if eig.eigenvalues.iter().any(|l| l.is_nan() || *l <= floor) {
        return Err(Error::NotPositiveDefinite { what: what.into() });
    }
    let d = DMatrix::from_diagonal(&eig.eigenvalues.map(|l| 1.0 / l.sqrt()));
    Ok(&eig.eigenvectors * d * eig.eigenvectors.transpose())
}

fn random_orthogonal(n: usize, rng: &mut ChaCha20Rng) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |_, _| StandardNormal.sample(rng))
        .qr()
        .q()
}

/// Teacher–student data for a deep linear network, exactly whitened.
///
/// # Formula
/// Teacher W* = Σ_α S_α u_α v_αᵀ with Haar-random orthogonal (u_α), (v_α) (QR of Gaussian
/// matrices). Inputs: a Gaussian N × d_0 matrix X rescaled so that XᵀX/N = I exactly. Label noise:
/// a Gaussian N × d_L matrix E with its projection on the column space of X removed (XᵀE = 0) and
/// rescaled so that EᵀE/N = σ_ε² I exactly. Targets Y = X W*ᵀ + E.
///
/// Consequences (our design choice, so that finite-N runs test the per-mode theory without O(N^{−1/2})
/// nuisance terms): Σ_x = I, Σ_yx = W* exactly, so the model's modes are the teacher's, the
/// full-batch gradient flow decouples exactly per mode, and the gradient noise at W = W* has mean 0.
/// The per-mode noise (1/N)Σ_i (u_αᵀε_i)²(v_αᵀx_i)² is σ_ε² only up to O(N^{−1/2}); the closed forms
/// use the empirical value.
///
/// ```
/// use sgbayes::models::{generate_deep_linear, DeepLinearParams};
/// let model = generate_deep_linear(&DeepLinearParams { label_noise: 0.3, ..Default::default() }, 7).unwrap();
/// let s = model.teacher_strengths();
/// assert!((s[0] - 3.0).abs() < 1e-10 && (s[1] - 2.0).abs() < 1e-10 && (s[2] - 1.0).abs() < 1e-10);
/// ```
pub fn generate_deep_linear(params: &DeepLinearParams, seed: u64) -> Result<DeepLinearNetwork> {
    let invalid = |what: &str, why: String| Error::Invalid {
        what: what.into(),
        why,
    };
    let (d0, dl, n) = (params.input_dim, params.output_dim, params.data_size);
    if params.depth < 2 {
        return Err(invalid(
            "depth",
            format!("must be at least 2, got {}", params.depth),
        ));
    }
    if d0 == 0 || dl == 0 || params.hidden_width == 0 {
        return Err(invalid(
            "widths",
            "input, hidden and output widths must be at least 1".into(),
        ));
    }
    if params.teacher_strengths.len() > d0.min(dl) {
        return Err(Error::DimensionMismatch {
            what: "teacher strengths (at most min(input_dim, output_dim))".into(),
            expected: d0.min(dl),
            found: params.teacher_strengths.len(),
        });
    }
    ensure_finite("teacher strengths", &params.teacher_strengths)?;
    if params.teacher_strengths.iter().any(|s| *s < 0.0) {
        return Err(invalid(
            "teacher strengths",
            "singular values must be >= 0".into(),
        ));
    }
    if !(params.label_noise.is_finite() && params.label_noise >= 0.0) {
        return Err(invalid(
            "label_noise",
            format!("must be finite and >= 0, got {}", params.label_noise),
        ));
    }
    let needed = if params.label_noise > 0.0 {
        d0 + dl
    } else {
        d0
    };
    if n < needed {
        return Err(invalid(
            "data_size",
            format!(
                "exact whitening needs N >= {needed} (d_0{}), got {n}",
                if params.label_noise > 0.0 {
                    " + d_L"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let u = random_orthogonal(dl, &mut rng);
    let v = random_orthogonal(d0, &mut rng);
    let mut teacher = DMatrix::zeros(dl, d0);
    for (a, s) in params.teacher_strengths.iter().enumerate() {
        teacher += u.column(a) * v.column(a).transpose() * *s;
    }
    let nf = n as f64;
    let raw_x = DMatrix::from_fn(n, d0, |_, _| StandardNormal.sample(&mut rng));
    let x = &raw_x * inverse_sqrt(&(raw_x.transpose() * &raw_x / nf), "input second moment")?;
    let mut y = &x * teacher.transpose();
    if params.label_noise > 0.0 {
        let raw_e = DMatrix::from_fn(n, dl, |_, _| StandardNormal.sample(&mut rng));
        let e = &raw_e - &x * (x.transpose() * &raw_e) / nf;
        let e = &e
            * inverse_sqrt(&(e.transpose() * &e / nf), "label-noise second moment")?
            * params.label_noise;
        y += e;
    }
    let mut widths = vec![d0];
    widths.extend(std::iter::repeat_n(params.hidden_width, params.depth - 1));
    widths.push(dl);
    let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
        (0..m.nrows())
            .map(|i| m.row(i).iter().copied().collect())
            .collect()
    };
    DeepLinearNetwork::new(
        widths,
        rows(&x),
        rows(&y),
        params.noise_variance,
        params.prior_precision,
    )
}
