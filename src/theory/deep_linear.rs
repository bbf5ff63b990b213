//! Per-mode closed forms for SGD on deep linear networks in the saddle-to-saddle regime, after
//! Corlouer, Semler, Strang & Gietelink Oldenziel, "SGD in the saddle-to-saddle regime of deep
//! linear networks" (arXiv:2604.06366, v1 7 Apr 2026).
//!
//! # Provenance
//! Only the paper's abstract and table of contents were available. The gradient-flow ODE is the
//! standard result of Saxe, McClelland & Ganguli (2014) and Arora, Cohen & Hazan (2018). **Every
//! constant below is \[derived\] here** (the project's digest, Item 2, re-derived and checked
//! numerically in `tests/deep_linear.rs`); the paper's own constants are unverified.
//!
//! # Conventions
//! Model [`crate::models::DeepLinearNetwork`]: ℓ_i = ‖W x_i − y_i‖²/(2σ²), W = W_L⋯W_1, whitened
//! inputs ((1/N)Σ x_i x_iᵀ = I), teacher modes (S_α, u_α, v_α) = SVD of (1/N)Σ y_i x_iᵀ. The
//! crate's SGD, θ ← θ − (ε/N)ĝ with λ = 0, is SGD with learning rate **η = ε/σ²** on the half mean
//! squared error; time t counts steps. An aligned, balanced mode has every layer's singular value
//! a = s^{1/L}, s = u_αᵀ W v_α.
//!
//! # Formula
//! * Gradient flow (Saxe et al.): ds/dt = η L s^{2−2/L}(S − s); for L = 2 it is logistic,
//!   s(t) = S/(1 + (S/s₀ − 1)e^{−2ηSt}).
//! * Per-mode noise \[derived\]: the per-example projected gradient ξ_i = u_αᵀ(W x_i − y_i)(v_αᵀx_i)
//!   has, at an aligned state and for x ~ N(0, I), mean s − S and variance
//!   V(s) = 2(s − S)² + σ_α², with σ_α² = E[(u_αᵀε)²(v_αᵀx)²] = σ_ε² (Isserlis). A minibatch of B
//!   multiplies it by γ/B (γ = 1 with replacement, (N − B)/(N − 1) without).
//! * SDE \[derived\] (Itô on s = Π_l a_l, all layers driven by the same scalar noise):
//!   ds = μ(s)dt + √(2D(s)) dW with μ(s) = ηL s^{2−2/L}(S − s) + ½η²L(L−1)s^{3−4/L}V(s)γ/B and
//!   D(s) = ½η²L² s^{4−4/L} V(s)γ/B.
//! * Diffusion peak \[derived\]: without label noise D ∝ s^{4−4/L}(S − s)², maximal at
//!   s* = 2(L − 1)S/(3L − 2), the inflection point of the learning curve. With σ_α² = q > 0, writing
//!   p = 4 − 4/L, the interior maximum is the smaller root of (2p + 4)s² − 4(p + 1)S s + 2pS² + pq = 0,
//!   which exists iff q ≤ 2S²/(p(p + 2)).
//! * Stationary law \[derived\]: σ_α = 0 gives δ(s − S). Otherwise the linearised discrete map
//!   δs' = (1 − k)δs − kζ, k = ηL S^{2−2/L}, Var ζ = γσ_α²/B, gives
//!   Var s = kγσ_α²/(B(2 − k)); its leading order is the digest's T_eff = ηL S^{2−2/L}σ_ε²/(2B).
//!   That map drops the multiplicative part of the noise (the fluctuation of x_α² inside V(s)):
//!   the exact linearisation δs' = (1 − k m)δs + k n gives
//!   Var s = kγσ_α²/(B(2 − k − kγκ_α/B)), κ_α = E x_α⁴ − 1
//!   ([`ModeSde::linearised_stationary_variance`]). The
//!   zero-flux density p(s) ∝ D(s)⁻¹exp(∫μ/D) of the SDE is evaluated numerically on a window of
//!   ±12√T_eff around S (it is a quasi-stationary law: the saddle s = 0 is absorbing for the SDE).
//! * Full weight matrices \[derived\]: the off-mode entries of W − W* fluctuate too and feed
//!   multiplicative noise into every mode; to first order in η this replaces σ_α² by
//!   [`coupled_noise_variance`] (a 1–3% correction in the reproduction, where it is visible).

use serde::Serialize;

use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::{DeepLinearNetwork, Model};

/// Fraction of S at which a mode counts as learned (t_95).
pub const COMPLETION_FRACTION: f64 = 0.95;
/// Initial strength s₀ of the learning times in [`report`] (small initialisation).
pub const REPORT_INITIAL_STRENGTH: f64 = 1e-3;
/// Largest tolerated deviation max|Σ_x − I| of the inputs' second moment for the closed forms.
pub const WHITENING_TOLERANCE: f64 = 1e-8;

fn invalid(what: &str, why: String) -> Error {
    Error::Invalid {
        what: what.into(),
        why,
    }
}

/// The scalar dynamics of one aligned, balanced mode under SGD.
///
/// ```
/// use sgbayes::theory::deep_linear::ModeSde;
/// let mode = ModeSde::new(2, 0.01, 1.0, 0.0, 1.0).unwrap();
/// assert!((mode.diffusion_peak().unwrap() - 0.5).abs() < 1e-12); // s* = S/2 at L = 2
/// let s = mode.trajectory(1e-3, &[0.0, 500.0]).unwrap();
/// assert!((s[1] - mode.logistic(1e-3, 500.0).unwrap()).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModeSde {
    /// Depth L ≥ 1 (L = 1 is linear regression, kept for comparisons).
    pub depth: usize,
    /// Learning rate η = ε/σ² per step.
    #[doc(alias = "eta")]
    pub learning_rate: f64,
    /// Teacher strength S > 0.
    pub teacher: f64,
    /// Per-example projected label-noise variance σ_α² (σ_ε² in the population).
    pub label_variance: f64,
    /// γ/B: the minibatch factor of the gradient-noise variance.
    pub batch_factor: f64,
}

impl ModeSde {
    /// A validated mode: L ≥ 1, η > 0, S > 0, σ_α² ≥ 0, γ/B ≥ 0, all finite.
    pub fn new(
        depth: usize,
        learning_rate: f64,
        teacher: f64,
        label_variance: f64,
        batch_factor: f64,
    ) -> Result<Self> {
        if depth == 0 {
            return Err(invalid("depth", "must be at least 1".into()));
        }
        for (what, v, positive) in [
            ("learning rate", learning_rate, true),
            ("teacher strength", teacher, true),
            ("label variance", label_variance, false),
            ("batch factor", batch_factor, false),
        ] {
            if !v.is_finite() {
                return Err(Error::NonFinite { what: what.into() });
            }
            if (positive && v <= 0.0) || v < 0.0 {
                return Err(invalid(
                    what,
                    format!(
                        "must be {}, got {v}",
                        if positive { "positive" } else { ">= 0" }
                    ),
                ));
            }
        }
        Ok(Self {
            depth,
            learning_rate,
            teacher,
            label_variance,
            batch_factor,
        })
    }

    fn l(&self) -> f64 {
        self.depth as f64
    }

    /// Gradient-flow velocity ηL s^{2−2/L}(S − s) (s ≥ 0).
    pub fn velocity(&self, s: f64) -> f64 {
        self.learning_rate * self.l() * s.powf(2.0 - 2.0 / self.l()) * (self.teacher - s)
    }

    /// Per-step gradient-noise variance of the mode, V(s)γ/B = (2(s − S)² + σ_α²)γ/B.
    pub fn noise_variance(&self, s: f64) -> f64 {
        (2.0 * (s - self.teacher).powi(2) + self.label_variance) * self.batch_factor
    }

    /// SDE drift μ(s) = ηL s^{2−2/L}(S − s) + ½η²L(L − 1)s^{3−4/L}V(s)γ/B.
    pub fn drift(&self, s: f64) -> f64 {
        let l = self.l();
        self.velocity(s)
            + 0.5
                * self.learning_rate.powi(2)
                * l
                * (l - 1.0)
                * s.powf(3.0 - 4.0 / l)
                * self.noise_variance(s)
    }

    /// SDE diffusion coefficient D(s) = ½η²L² s^{4−4/L}V(s)γ/B (Var of one step's increment ≈ 2D).
    pub fn diffusion(&self, s: f64) -> f64 {
        let l = self.l();
        0.5 * (self.learning_rate * l).powi(2) * s.powf(4.0 - 4.0 / l) * self.noise_variance(s)
    }

    /// k = ηL S^{2−2/L}: the linear contraction rate of s − S per step.
    pub fn linear_rate(&self) -> f64 {
        self.learning_rate * self.l() * self.teacher.powf(2.0 - 2.0 / self.l())
    }

    /// Location of the interior maximum of D(s) on (0, S) (see the module's formula); an error
    /// when the label noise is too large for one (q > 2S²/(p(p + 2))) or L = 1.
    pub fn diffusion_peak(&self) -> Result<f64> {
        let p = 4.0 - 4.0 / self.l();
        let (s, q) = (self.teacher, self.label_variance);
        if self.depth < 2 || q > 2.0 * s * s / (p * (p + 2.0)) {
            return Err(Error::NoClosedForm {
                what: format!(
                    "no interior diffusion peak at depth {} with label variance {q} and S = {s}",
                    self.depth
                ),
            });
        }
        let (a, b, c) = (2.0 * p + 4.0, 4.0 * (p + 1.0) * s, 2.0 * p * s * s + p * q);
        let disc = (b * b - 4.0 * a * c).max(0.0);
        // Smaller root, in the cancellation-free form 2c/(b + √disc).
        Ok(2.0 * c / (b + disc.sqrt()))
    }

    /// The logistic solution s(t) = S/(1 + (S/s₀ − 1)e^{−2ηSt}) of the L = 2 gradient flow.
    pub fn logistic(&self, initial: f64, time: f64) -> Result<f64> {
        if self.depth != 2 {
            return Err(Error::NoClosedForm {
                what: format!("the logistic solution is for L = 2, not L = {}", self.depth),
            });
        }
        check_strength(initial)?;
        let s = self.teacher;
        Ok(s / (1.0 + (s / initial - 1.0) * (-2.0 * self.learning_rate * s * time).exp()))
    }

    /// Gradient-flow time from s₀ to s₁ (both in (0, S) or both above S),
    /// t = ∫ ds/(ηL s^{2−2/L}(S − s)), by composite Simpson in u = ln s (20 000 intervals).
    pub fn learning_time(&self, initial: f64, target: f64) -> Result<f64> {
        check_strength(initial)?;
        check_strength(target)?;
        let s = self.teacher;
        if (initial - s) * (target - s) <= 0.0 {
            return Err(invalid("learning time", format!("s0 = {initial} and s1 = {target} must lie on the same side of S = {s} (S is reached only as t → ∞)")));
        }
        let (u0, u1) = (initial.ln(), target.ln());
        let n = 20_000;
        let h = (u1 - u0) / n as f64;
        let integrand = |u: f64| {
            let s = u.exp();
            1.0 / (self.learning_rate
                * self.l()
                * s.powf(1.0 - 2.0 / self.l())
                * (self.teacher - s))
        };
        let mut sum = integrand(u0) + integrand(u1);
        for k in 1..n {
            sum += integrand(u0 + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
        }
        Ok(sum * h / 3.0)
    }

    /// Gradient-flow trajectory s(t) at non-decreasing `times` ≥ 0 from s(0) = s₀ > 0, by RK4 on
    /// ln s with steps of at most 0.01 of the fastest e-folding time.
    pub fn trajectory(&self, initial: f64, times: &[f64]) -> Result<Vec<f64>> {
        check_strength(initial)?;
        if times.iter().any(|t| !(t.is_finite() && *t >= 0.0))
            || times.windows(2).any(|w| w[1] < w[0])
        {
            return Err(invalid(
                "times",
                "must be finite, >= 0 and non-decreasing".into(),
            ));
        }
        let top = initial.max(self.teacher);
        let max_rate = self.learning_rate * self.l() * top.powf(1.0 - 2.0 / self.l()) * top;
        let h_max = 0.01 / max_rate;
        let rate = |u: f64| {
            let s = u.exp();
            self.learning_rate * self.l() * s.powf(1.0 - 2.0 / self.l()) * (self.teacher - s)
        };
        let (mut t, mut u) = (0.0, initial.ln());
        let mut out = Vec::with_capacity(times.len());
        for &target in times {
            while t < target {
                let h = h_max.min(target - t);
                let k1 = rate(u);
                let k2 = rate(u + 0.5 * h * k1);
                let k3 = rate(u + 0.5 * h * k2);
                let k4 = rate(u + h * k3);
                u += h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0;
                t += h;
            }
            out.push(u.exp());
        }
        Ok(out)
    }

    /// Var s of the linearised discrete map, kγσ_α²/(B(2 − k)) \[derived\]; errors when k ≥ 2
    /// (the mode's fixed point is unstable).
    pub fn stationary_variance(&self) -> Result<f64> {
        let k = self.linear_rate();
        if k >= 2.0 {
            return Err(Error::NotContracting {
                spectral_radius: (1.0 - k).abs(),
            });
        }
        Ok(k * self.batch_factor * self.label_variance / (2.0 - k))
    }

    /// Var s of the linearised discrete map **with its multiplicative noise**, the exact
    /// stationary variance of the one-mode linearisation of SGD \[derived\]:
    /// kγσ_α²/(B(2 − k − kγκ_α/B)), with κ_α = E\[x_α⁴\] − 1 the excess fourth moment of the
    /// inputs along the mode (2 for Gaussian inputs; [`input_fourth_moment_excess`] on data).
    ///
    /// # Formula
    /// At a = S^{1/L} + δa, a minibatch moves every layer by −η(s/a)g with the minibatch
    /// gradient g = m δs − n, m = (1/B)Σ_{i∈batch} x_{α,i}², n = (1/B)Σ_{i∈batch} ε_{α,i}x_{α,i}
    /// (whitened inputs: E m = 1, E n = 0). To first order in δs, ε:
    /// δs' = (1 − k m)δs + k n, with (m, n) fresh each step and independent of δs. So
    /// E δs = 0 and v = E δs² obeys v' = E[(1 − k m)²]v + k²E n², with
    /// E(1 − km)² = (1 − k)² + k²Var m, Var m = γκ_α/B, E n² = γσ_α²/B; its fixed point is
    /// v = k²γσ_α²/B / (1 − (1 − k)² − k²γκ_α/B) = kγσ_α²/(B(2 − k − kγκ_α/B)).
    /// [`Self::stationary_variance`] keeps only the additive part n (κ_α → 0); the ratio of the
    /// two is (2 − k)/(2 − k − kγκ_α/B) = 1 + kγκ_α/(2B) + O(k²): 1.2% at k = 0.012 and 14.6% at
    /// k = 0.12 for Gaussian inputs and B = 1. The law itself is that of a random-coefficient
    /// AR(1) (Kesten) recursion, heavier-tailed than a Gaussian.
    ///
    /// Errors when the second-moment recursion does not contract, (1 − k)² + k²γκ_α/B ≥ 1, or
    /// when κ_α is negative or not finite.
    ///
    /// ```
    /// use sgbayes::theory::deep_linear::ModeSde;
    /// // L = 2, η = 0.06, S = 1: k = 0.12; B = 1 with replacement, σ_α² = 1, Gaussian inputs.
    /// let mode = ModeSde::new(2, 0.06, 1.0, 1.0, 1.0).unwrap();
    /// let exact = mode.linearised_stationary_variance(2.0).unwrap();
    /// assert!((exact - 0.12 / 1.64).abs() < 1e-15);
    /// assert!((exact / mode.stationary_variance().unwrap() - 1.88 / 1.64).abs() < 1e-12);
    /// ```
    pub fn linearised_stationary_variance(&self, fourth_moment_excess: f64) -> Result<f64> {
        if !fourth_moment_excess.is_finite() {
            return Err(Error::NonFinite {
                what: "input fourth-moment excess".into(),
            });
        }
        if fourth_moment_excess < 0.0 {
            return Err(invalid(
                "input fourth-moment excess",
                format!("must be >= 0 (it is a variance), got {fourth_moment_excess}"),
            ));
        }
        let k = self.linear_rate();
        let contraction = (1.0 - k).powi(2) + k * k * self.batch_factor * fourth_moment_excess;
        if contraction >= 1.0 {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        Ok(k * self.batch_factor * self.label_variance
            / (2.0 - k - k * self.batch_factor * fourth_moment_excess))
    }

    /// The digest's effective temperature T_eff = ηL S^{2−2/L}σ_α²γ/(2B), the leading order of
    /// [`Self::stationary_variance`] as η → 0.
    pub fn effective_temperature(&self) -> f64 {
        0.5 * self.linear_rate() * self.batch_factor * self.label_variance
    }

    /// Mean and variance of the zero-flux density p(s) ∝ D(s)⁻¹exp(∫_S^s μ/D) on the window
    /// S ± 12√T_eff (20 001 points, trapezoid rule). Errors without label noise (the law is
    /// δ(s − S)) or when the window reaches S/2 (the noise is too large for a local law).
    pub fn zero_flux_moments(&self) -> Result<(f64, f64)> {
        let temperature = self.effective_temperature();
        if temperature <= 0.0 {
            return Err(Error::NoClosedForm {
                what: "zero-flux density without label noise: the stationary law is δ(s − S)"
                    .into(),
            });
        }
        let half_width = 12.0 * temperature.sqrt();
        if half_width >= 0.5 * self.teacher {
            return Err(Error::NoClosedForm {
                what: format!("zero-flux density: the window S ± 12√T_eff = {} ± {half_width} reaches the saddle region (noise too large)", self.teacher),
            });
        }
        let n = 20_000;
        let h = 2.0 * half_width / n as f64;
        let grid: Vec<f64> = (0..=n)
            .map(|k| self.teacher - half_width + k as f64 * h)
            .collect();
        let ratio: Vec<f64> = grid
            .iter()
            .map(|&s| self.drift(s) / self.diffusion(s))
            .collect();
        let mut log_p = vec![0.0; n + 1];
        let mut integral = 0.0;
        for k in 1..=n {
            integral += 0.5 * h * (ratio[k - 1] + ratio[k]);
            log_p[k] = integral;
        }
        for (lp, &s) in log_p.iter_mut().zip(&grid) {
            *lp -= self.diffusion(s).ln();
        }
        let top = log_p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = log_p
            .iter()
            .enumerate()
            .map(|(k, lp)| (lp - top).exp() * if k == 0 || k == n { 0.5 } else { 1.0 })
            .collect();
        let total: f64 = weights.iter().sum();
        let mean = weights.iter().zip(&grid).map(|(w, s)| w * s).sum::<f64>() / total;
        let variance = weights
            .iter()
            .zip(&grid)
            .map(|(w, s)| w * (s - mean).powi(2))
            .sum::<f64>()
            / total;
        Ok((mean, variance))
    }
}

fn check_strength(s: f64) -> Result<()> {
    if !(s.is_finite() && s > 0.0) {
        return Err(invalid(
            "mode strength",
            format!("must be positive and finite, got {s}"),
        ));
    }
    Ok(())
}

/// The per-mode stationary law of SGD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "law")]
pub enum ModeStationaryLaw {
    /// No label noise along the mode: δ(s − S), the fixed point of gradient flow.
    Dirac {
        /// The location S.
        location: f64,
    },
    /// Label noise: a narrow law around S.
    Fluctuating {
        /// Var s of the linearised discrete map, kγσ_α²/(B(2 − k)) \[derived\].
        variance: f64,
        /// Var s of the full weight matrices to first order in η: `variance` with σ_α² replaced by
        /// the effective noise σ_α² + (γ/2B)(2kσ_α² + Σ_{β≠α} r_{αβ}σ_{αβ}²) of
        /// [`coupled_noise_variance`] \[derived\].
        coupled_variance: f64,
        /// The digest's leading order T_eff = ηL S^{2−2/L}σ_α²γ/(2B).
        effective_temperature: f64,
        /// Mean of the zero-flux density of the SDE (numerical).
        zero_flux_mean: f64,
        /// Variance of the zero-flux density of the SDE (numerical).
        zero_flux_variance: f64,
    },
}

/// Closed forms for one teacher mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModeTheory {
    /// Mode index α (decreasing S_α).
    pub mode: usize,
    /// The scalar dynamics' parameters.
    pub dynamics: ModeSde,
    /// k = ηL S^{2−2/L}.
    pub linear_rate: f64,
    /// Gradient-flow time from s₀ = [`REPORT_INITIAL_STRENGTH`] to S/2 (steps).
    pub half_time: f64,
    /// Gradient-flow time from s₀ to 0.95 S (steps).
    pub completion_time: f64,
    /// Location s* of the diffusion peak, if there is an interior one.
    pub diffusion_peak: Option<f64>,
    /// Gradient-flow time from s₀ to s* (steps).
    pub diffusion_peak_time: Option<f64>,
    /// Stationary law of s_α.
    pub stationary: ModeStationaryLaw,
}

/// What [`report`] returns: the per-mode closed forms at a configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeepLinearTheory {
    /// Where the formulas come from.
    pub provenance: String,
    /// Depth L.
    pub depth: usize,
    /// η = ε/σ².
    pub learning_rate: f64,
    /// B.
    pub batch_size: usize,
    /// γ/B.
    pub batch_factor: f64,
    /// s₀ of the learning times.
    pub initial_strength: f64,
    /// One entry per learnable teacher mode (α < min width) with S_α > s₀/0.95 (smaller modes are
    /// not learned from s₀ in the sense of the learning times).
    pub modes: Vec<ModeTheory>,
}

/// The effective per-example noise variance of mode α at stationarity in the full weight matrices,
/// to first order in η \[derived\]:
/// σ_eff² = σ_α² + (γ/2B)(2kσ_α² + Σ_{β≠α} r_{αβ}σ_{αβ}²).
///
/// # Formula
/// Near W* the end-to-end entries δW_{αβ} = u_αᵀ(W − W*)v_β of a balanced aligned network evolve,
/// to linear order, as independent AR(1) processes δ' = (1 − r_{αβ})δ − r_{αβ}ζ_{αβ} with
/// r_{αβ} = η Σ_{l=1}^{L} a_α^{2(L−l)} a_β^{2(l−1)} (a_β = S_β^{1/L}, 0 for input directions the
/// teacher does not use; r_{αα} = k) and ζ_{αβ} the minibatch mean of −(u_αᵀε_i)(v_βᵀx_i), of
/// per-example variance σ_{αβ}² = (1/N)Σ_i (u_αᵀε_i)²(v_βᵀx_i)²; so Var δW_{αβ} ≈ r_{αβ}γσ_{αβ}²/(2B).
/// Mode α's gradient noise ξ = (Σ_β δW_{αβ}x_β − u_αᵀε)x_α then has conditional variance
/// σ_α² + 2δW_{αα}² + Σ_{β≠α} δW_{αβ}² (Isserlis), whose mean is σ_eff². The directions v_β outside
/// the teacher's SVD (d_0 > d_L) are summed at once through (1/N)Σ_i (u_αᵀε_i)²‖x_i‖².
/// Assumes every teacher mode with S_β > 0 is learnable (hidden widths ≥ their number).
pub fn coupled_noise_variance(
    model: &DeepLinearNetwork,
    learning_rate: f64,
    batch_factor: f64,
    mode: usize,
) -> f64 {
    let depth = model.depth() as i32;
    let strengths = model.teacher_strengths();
    let amplitude = |b: usize| strengths[b].max(0.0).powf(1.0 / depth as f64);
    let rate = |a: usize, b: usize| {
        learning_rate
            * (1..=depth)
                .map(|l| amplitude(a).powi(2 * (depth - l)) * amplitude(b).powi(2 * (l - 1)))
                .sum::<f64>()
    };
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (u, v, s) = (
        model.output_direction(mode),
        model.input_direction(mode),
        strengths[mode],
    );
    let n = model.data_size() as f64;
    let modes = strengths.len();
    let mut projected = vec![0.0; modes];
    let mut total = 0.0;
    for i in 0..model.data_size() {
        let x = model.input(i);
        let residual = dot(u, model.target(i)) - s * dot(v, x);
        let r2 = residual * residual;
        total += r2 * dot(x, x) / n;
        for (b, p) in projected.iter_mut().enumerate() {
            *p += r2 * dot(model.input_direction(b), x).powi(2) / n;
        }
    }
    let own = projected[mode];
    let outside = (total - projected.iter().sum::<f64>()).max(0.0);
    let mut coupling = 2.0 * rate(mode, mode) * own
        + learning_rate * amplitude(mode).powi(2 * (depth - 1)) * outside;
    for (b, p) in projected.iter().enumerate() {
        if b != mode {
            coupling += rate(mode, b) * p;
        }
    }
    own + 0.5 * batch_factor * coupling
}

/// The empirical per-example projected label-noise variance of mode α,
/// σ_α² = (1/N)Σ_i [(u_αᵀy_i − S_α v_αᵀx_i)(v_αᵀx_i)]², the gradient-noise variance at the teacher.
pub fn label_variance(model: &DeepLinearNetwork, mode: usize) -> f64 {
    let (u, v, s) = (
        model.output_direction(mode),
        model.input_direction(mode),
        model.teacher_strengths()[mode],
    );
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    (0..model.data_size())
        .map(|i| {
            let xv = dot(v, model.input(i));
            ((dot(u, model.target(i)) - s * xv) * xv).powi(2)
        })
        .sum::<f64>()
        / model.data_size() as f64
}

/// The excess fourth moment of the inputs along mode α, κ_α = (1/N)Σ_i (v_αᵀx_i)⁴ − 1: the
/// variance of x_α² over the data for whitened inputs (2 in the Gaussian population, by Isserlis).
/// It sets the multiplicative part of the mode's minibatch noise
/// ([`ModeSde::linearised_stationary_variance`]).
pub fn input_fourth_moment_excess(model: &DeepLinearNetwork, mode: usize) -> f64 {
    let v = model.input_direction(mode);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    (0..model.data_size())
        .map(|i| dot(v, model.input(i)).powi(4))
        .sum::<f64>()
        / model.data_size() as f64
        - 1.0
}

/// Var s_α in the full weight matrices with the mode's own multiplicative noise kept exactly and
/// the off-mode couplings to first order in η \[derived\]:
/// kγσ_off²/(B(2 − k − kγκ_α/B)), σ_off² = σ_α² + (γ/2B)Σ_{β≠α} r_{αβ}σ_{αβ}² (the off-mode part
/// of [`coupled_noise_variance`]).
///
/// # Formula
/// [`coupled_noise_variance`] adds (γ/2B)·2kσ_α² for the mode's own fluctuation δW_{αα}: that is
/// the first-order expansion in k of the multiplicative term, which
/// [`ModeSde::linearised_stationary_variance`] keeps exactly (with the empirical κ_α in place of
/// the Gaussian 2). The off-mode entries δW_{αβ} enter mode α's gradient as the additive noise
/// δW_{αβ}x_βx_α and keep their first-order form.
pub fn full_matrix_variance(
    model: &DeepLinearNetwork,
    learning_rate: f64,
    batch_factor: f64,
    mode: usize,
) -> Result<f64> {
    let depth = model.depth();
    let teacher = model.teacher_strengths()[mode];
    let own = label_variance(model, mode);
    let dynamics = ModeSde::new(depth, learning_rate, teacher, own, batch_factor)?;
    let k = dynamics.linear_rate();
    let off_mode = coupled_noise_variance(model, learning_rate, batch_factor, mode)
        - own * (1.0 + batch_factor * k);
    ModeSde {
        label_variance: own + off_mode.max(0.0),
        ..dynamics
    }
    .linearised_stationary_variance(input_fourth_moment_excess(model, mode))
}

/// The per-mode closed forms for SGD (`config.kind = sgd`, batches with or without replacement)
/// on a deep linear network with whitened inputs and no prior (λ = 0).
///
/// Errors: other samplers, reshuffled batches, λ > 0, non-whitened inputs
/// ([`WHITENING_TOLERANCE`]) → `NoClosedForm`; a step size with k = ηL S₁^{2−2/L} ≥ 2 →
/// `PastStabilityLimit`; invalid configurations as in [`SamplerConfig::validate`].
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}};
/// use sgbayes::models::{generate_deep_linear, DeepLinearParams};
/// use sgbayes::theory::deep_linear::{report, ModeStationaryLaw};
/// let model = generate_deep_linear(&DeepLinearParams::default(), 1).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgd, 0.01, 1, Batching::WithReplacement);
/// let theory = report(&model, &config).unwrap();
/// assert_eq!(theory.modes.len(), 3);
/// assert!(matches!(theory.modes[0].stationary, ModeStationaryLaw::Dirac { .. }));
/// assert!(theory.modes[0].completion_time < theory.modes[1].completion_time);
/// ```
pub fn report(model: &DeepLinearNetwork, config: &SamplerConfig) -> Result<DeepLinearTheory> {
    config.validate(model.data_size())?;
    if config.kind != SamplerKind::Sgd {
        return Err(Error::NoClosedForm {
            what: format!(
                "deep linear per-mode theory for sampler '{}' (only sgd)",
                config.kind.name()
            ),
        });
    }
    if model.prior_precision() != 0.0 {
        return Err(Error::NoClosedForm {
            what: "deep linear per-mode theory with a prior (weight decay): needs lambda = 0"
                .into(),
        });
    }
    let d0 = model.widths()[0];
    let deviation = (model.input_second_moment() - nalgebra::DMatrix::identity(d0, d0)).amax();
    if deviation > WHITENING_TOLERANCE {
        return Err(Error::NoClosedForm {
            what: format!("deep linear per-mode theory needs whitened inputs (max|Σ_x − I| = {deviation:.2e} > {WHITENING_TOLERANCE:e})"),
        });
    }
    let gamma = config
        .batching
        .finite_population_factor(model.data_size(), config.batch_size)
        .ok_or_else(|| Error::NoClosedForm {
            what: "deep linear per-mode theory with reshuffled batches".into(),
        })?;
    let depth = model.depth();
    let learning_rate = config.step_size / model.noise_variance();
    let batch_factor = gamma / config.batch_size as f64;
    let strengths = model.teacher_strengths();
    let count = model.learnable_modes().min(strengths.len());
    let largest = strengths[0];
    let l = depth as f64;
    if learning_rate * l * largest.powf(2.0 - 2.0 / l) >= 2.0 {
        return Err(Error::PastStabilityLimit {
            step_size: config.step_size,
            limit: 2.0 * model.noise_variance() / (l * largest.powf(2.0 - 2.0 / l)),
            mean_square_limit: None,
        });
    }
    let s0 = REPORT_INITIAL_STRENGTH;
    let mut modes = Vec::new();
    for (alpha, &teacher) in strengths.iter().enumerate().take(count) {
        if teacher <= 1e-12 * largest || teacher <= s0 / COMPLETION_FRACTION {
            continue;
        }
        let dynamics = ModeSde::new(
            depth,
            learning_rate,
            teacher,
            label_variance(model, alpha),
            batch_factor,
        )?;
        let peak = dynamics.diffusion_peak().ok();
        // Rounding leaves σ_α² ~ 1e-32 S² on noiseless data: below 1e-20 S² (residual rms
        // 1e-10 S) the mode counts as noiseless.
        let stationary = if dynamics.label_variance <= 1e-20 * teacher * teacher {
            ModeStationaryLaw::Dirac { location: teacher }
        } else {
            let (zero_flux_mean, zero_flux_variance) = dynamics.zero_flux_moments()?;
            let coupled = ModeSde {
                label_variance: coupled_noise_variance(model, learning_rate, batch_factor, alpha),
                ..dynamics
            };
            ModeStationaryLaw::Fluctuating {
                variance: dynamics.stationary_variance()?,
                coupled_variance: coupled.stationary_variance()?,
                effective_temperature: dynamics.effective_temperature(),
                zero_flux_mean,
                zero_flux_variance,
            }
        };
        modes.push(ModeTheory {
            mode: alpha,
            linear_rate: dynamics.linear_rate(),
            half_time: dynamics.learning_time(s0, 0.5 * teacher)?,
            completion_time: dynamics.learning_time(s0, COMPLETION_FRACTION * teacher)?,
            diffusion_peak_time: match peak {
                Some(p) if p > s0 => Some(dynamics.learning_time(s0, p)?),
                _ => None,
            },
            diffusion_peak: peak,
            dynamics,
            stationary,
        });
    }
    Ok(DeepLinearTheory {
        provenance: "[derived] from the digest's Item 2 (Corlouer et al., arXiv:2604.06366; paper constants unverified); gradient flow: Saxe et al. 2014. Conventions: eta = step_size / noise_variance, time in SGD steps, whitened inputs, modes = SVD of (1/N) sum y x^T".into(),
        depth,
        learning_rate,
        batch_size: config.batch_size,
        batch_factor,
        initial_strength: s0,
        modes,
    })
}
