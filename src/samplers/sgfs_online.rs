//! Stochastic gradient Fisher scoring with the online Fisher estimate (Ahn, Korattikara &
//! Welling 2012).

use super::Sampler;
use crate::dense_cholesky::{factor_in_place, solve_in_place};
use crate::models::Model;

/// SGFS as published: the Fisher estimate Î is a running average of minibatch score covariances.
///
/// # Update (Ahn, Korattikara & Welling 2012, eq. 11 with the online estimate of §4)
/// With g_i = ∇ℓ_i(θ_t) for the B examples of the step's minibatch, ḡ their mean and
/// V(θ_t) = (1/(B − 1)) Σ_i (g_i − ḡ)(g_i − ḡ)ᵀ (the score covariance: the sign of g is
/// immaterial), κ_t = 1/t:
///
/// Î_t = (1 − κ_t) Î_{t−1} + κ_t V(θ_t),
/// θ_{t+1} = θ_t − 2 (γ N Î_t + (4β/ε) I)⁻¹ (ĝ(θ_t) − η),  η ~ N(0, (4β/ε) I),  γ = (N + B)/B,
///
/// which is the paper's θ + 2(γNÎ + 4B_p/ε)⁻¹[∇log p(θ) + N ḡ_score + η] with B_p = β I (−η and η
/// have one law). Each step factors γNÎ_t + (4β/ε)I in place (O(d³), no allocation). Because
/// κ_t = 1/t, Î_t is the mean of every V so far, which converges to its stationary expectation:
/// the chain tends to fixed-Fisher SGFS with the self-consistent Î_∞
/// (`theory::online_fisher_reference`), its reference law. A step whose system is not positive
/// definite (impossible for β > 0 unless values overflow) makes the state NaN.
///
/// ```
/// use sgbayes::samplers::{Sampler, SgfsOnline};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]; 4], vec![0.0, 1.0, 2.0, 3.0], 1.0, 1.0).unwrap();
/// // N = 4, B = 2: γ = 3; ε = 4, β = 1. At θ = 0 the scores of examples 0 and 1 are 0 and −1:
/// // V = 0.5, so Î_1 = 0.5 and the system is 3·4·0.5 + 1 = 7; ĝ(0) = 2·(0 − 1) = −2.
/// let mut sgfs = SgfsOnline::new(4.0, 1.0, 1, 4, 2);
/// let mut theta = vec![0.0];
/// sgfs.step(&model, &mut theta, &[0, 1], &[0.0]);
/// assert!((theta[0] - 4.0 / 7.0).abs() < 1e-12);
/// assert_eq!(sgfs.auxiliary_state(), &[0.5]); // Î_1, inspectable
/// ```
#[derive(Debug, Clone)]
pub struct SgfsOnline {
    /// 4β/ε.
    prior_term: f64,
    /// γ N.
    gamma_n: f64,
    /// N / B.
    batch_scale: f64,
    /// Steps taken t.
    steps: u64,
    /// Î, row-major d×d.
    fisher: Vec<f64>,
    /// γNÎ + (4β/ε)I, then its Cholesky factor.
    system: Vec<f64>,
    /// Per-example gradients of the batch, row-major B×d.
    example_gradients: Vec<f64>,
    /// ḡ, then scratch.
    mean_gradient: Vec<f64>,
    /// ĝ, then the solve's right-hand side.
    gradient: Vec<f64>,
}

impl SgfsOnline {
    /// Online SGFS with step size ε and B_p = β I on a d-dimensional model with N data points and
    /// minibatches of B ≥ 2 (validated by [`crate::config::SamplerConfig::validate`]).
    pub fn new(
        step_size: f64,
        scale: f64,
        dimension: usize,
        data_size: usize,
        batch_size: usize,
    ) -> Self {
        let (n, b) = (data_size as f64, batch_size as f64);
        Self {
            prior_term: 4.0 * scale / step_size,
            gamma_n: (n + b) / b * n,
            batch_scale: n / b,
            steps: 0,
            fisher: vec![0.0; dimension * dimension],
            system: vec![0.0; dimension * dimension],
            example_gradients: vec![0.0; batch_size * dimension],
            mean_gradient: vec![0.0; dimension],
            gradient: vec![0.0; dimension],
        }
    }
}

impl Sampler for SgfsOnline {
    fn state_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        self.gradient.len()
    }
    /// The online Fisher estimate Î_t, row-major d×d (symmetric; zero before the first step).
    fn auxiliary_state(&self) -> &[f64] {
        &self.fisher
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = state.len();
        let b = batch.len();
        // Per-example gradients g_i and their mean ḡ.
        self.example_gradients[..b * d].fill(0.0);
        self.mean_gradient.fill(0.0);
        for (row, &i) in batch.iter().enumerate() {
            let g = &mut self.example_gradients[row * d..(row + 1) * d];
            model.add_example_gradient(i, state, 1.0, g);
            for (m, gk) in self.mean_gradient.iter_mut().zip(g.iter()) {
                *m += gk / b as f64;
            }
        }
        // ĝ = ∇R + (N/B) Σ g_i = ∇R + N ḡ.
        model.prior_gradient(state, &mut self.gradient);
        for (g, m) in self.gradient.iter_mut().zip(&self.mean_gradient) {
            *g += self.batch_scale * b as f64 * m;
        }
        // Î_t = (1 − 1/t) Î_{t−1} + V(θ_t)/t, V with the 1/(B − 1) normalisation.
        self.steps += 1;
        let kappa = 1.0 / self.steps as f64;
        let normalisation = kappa / (b as f64 - 1.0);
        for value in self.fisher.iter_mut() {
            *value *= 1.0 - kappa;
        }
        for row in 0..b {
            let g = &self.example_gradients[row * d..(row + 1) * d];
            for j in 0..d {
                let dj = g[j] - self.mean_gradient[j];
                let lower = &mut self.fisher[j * d..j * d + j + 1];
                for ((f, gk), mk) in lower.iter_mut().zip(g).zip(&self.mean_gradient) {
                    *f += normalisation * dj * (gk - mk);
                }
            }
        }
        for j in 0..d {
            for k in 0..j {
                self.fisher[k * d + j] = self.fisher[j * d + k];
            }
        }
        // Solve (γNÎ + (4β/ε)I) x = ĝ − η and step θ ← θ − 2x.
        for (s, f) in self.system.iter_mut().zip(&self.fisher) {
            *s = self.gamma_n * f;
        }
        for j in 0..d {
            self.system[j * d + j] += self.prior_term;
        }
        if !factor_in_place(&mut self.system, d) {
            state.fill(f64::NAN);
            return;
        }
        let noise_scale = self.prior_term.sqrt();
        for (g, xi) in self.gradient.iter_mut().zip(noise) {
            *g -= noise_scale * xi;
        }
        solve_in_place(&self.system, d, &mut self.gradient);
        for (t, x) in state.iter_mut().zip(&self.gradient) {
            *t -= 2.0 * x;
        }
    }
}
