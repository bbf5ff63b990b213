//! Effective dynamics of online SGD in high dimension at the critical step-size scaling δ = c/N,
//! for a single-layer network with linear activation (linear single-index teacher, square loss):
//! the ODE of the summary statistics (m, r⊥²), its critical correction, its fixed points, the exact
//! finite-N moments, and the Ornstein–Uhlenbeck fluctuations about the fixed point.
//!
//! # Provenance
//! The framework — summary statistics u_N, the ODE limit u' = F + G in time t = k/N with a
//! population drift F (gradient flow of the population loss) and a corrector G (the Itô term
//! ½ δ² N E[∇L∇Lᵀ : ∇²u_N]) present exactly at δ = Θ(1/N), and the diffusive (OU) limit of
//! √N(u − u*) near fixed points — is Ben Arous, Gheissari & Jagannath, "High-dimensional limit
//! theorems for SGD: effective dynamics and critical scaling" (NeurIPS 2022; arXiv:2206.04030),
//! specialised to single-layer networks with u = (m, r⊥²) by Rangriz,
//! "Limit Theorems for Stochastic Gradient Descent in High-Dimensional Single-Layer Networks"
//! (arXiv:2511.02258). Only the abstracts of both papers were available here: **every explicit
//! formula below (drift, corrector, fixed point, critical c, finite-N moments, diffusion matrix,
//! OU covariance) is \[derived here\]** for f(u) = u from Gaussian moments (Isserlis), and checked
//! against simulations of [`crate::online::OnlineSingleIndex`] in tests/high_dimensional_sgd.rs.
//!
//! # Setting
//! x ~ N(0, I_N) fresh each step, y = θ*·x + ε with |θ*| = 1 and ε ~ N(0, σ²), loss
//! ½(y − θ·x)², step θ ← θ + δ(y − θ·x)x with δ = c/N, time t = k/N; m = θ·θ*,
//! r⊥² = |θ|² − m².
//!
//! # Formula
//! With α = 1 − m and p = r⊥² (per unit time t, as N → ∞) \[derived here\]:
//! * population drift (gradient flow of ½E(y − θ·x)² in time ct): F = (cα, −2cp);
//! * corrector (Itô term δ²N·E[(y − θ·x)²]·|x|²/N): G = (0, c²(p + α² + σ²));
//! * effective ODE: (m, r⊥²)' = F + G (critical scaling) or F alone (δ = o(1/N)), closed form
//!   m(t) = 1 − α₀e^{−ct} and, with λ = c(c − 2),
//!   r⊥²(t) = e^{λt}p₀ + c²σ²(e^{λt} − 1)/λ + α₀²(e^{λt} − e^{−2ct});
//! * fixed point m* = 1, r⊥²* = cσ²/(2 − c) for c < 2 (0 without G); the critical
//!   c = 2 where λ = 0 and the corrected dynamics stop converging;
//! * fluctuations: √N(u − u(t)) → OU with drift J (the Jacobian of F + G) and diffusion D, the
//!   covariance of N·(Δm, Δr⊥²) = (c·au, 2c·ag + c²a²) per step, a = y − θ·x, u = θ*·x,
//!   g = θ⊥·x. With L = α² + p + σ² = E a²:
//!   D = [[c²(L + α²), 2c²α(cL − p)], [2c²α(cL − p), 4c²p(L + p) − 8c³Lp + 2c⁴L²]].
//!   The c²a² part is the corrector's own fluctuation: it is of the same order 1/N as the
//!   gradient term and must be kept. At the fixed point (α = 0, ρ = r⊥²*, L = 2ρ/c)
//!   J = diag(−c, λ), D = diag(c²L, 4cρ²(2 − c)), and JS + SJᵀ + D = 0 gives S = diag(ρ, 2ρ²):
//!   the law of √N(θ − θ*) is, to this order, isotropic Gaussian with variance ρ per coordinate.

use nalgebra::DMatrix;

use crate::error::{Error, Result};
use crate::theory::lyapunov::solve_continuous_lyapunov;

/// The critical step scale of the N → ∞ effective dynamics: at δ = c/N with c ≥ 2 the corrected
/// ODE for r⊥² has no stable fixed point \[derived here\].
pub const CRITICAL_STEP_SCALE: f64 = 2.0;

/// Whether the effective ODE keeps the corrector G (critical scaling δ = c/N) or drops it (the
/// gradient flow of the population loss, the limit for δ = o(1/N)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Correction {
    /// u' = F + G: the critical-scaling effective dynamics.
    Included,
    /// u' = F: population gradient flow (the ballistic limit below the critical scaling).
    Omitted,
}

/// A point u = (m, r⊥²) of the summary-statistics plane.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SummaryState {
    /// Overlap m = θ·θ*.
    pub overlap: f64,
    /// Orthogonal squared norm r⊥² = |θ − mθ*|².
    pub orthogonal_squared_norm: f64,
}

impl SummaryState {
    /// The state (m, r⊥²).
    pub fn new(overlap: f64, orthogonal_squared_norm: f64) -> Self {
        Self {
            overlap,
            orthogonal_squared_norm,
        }
    }

    fn to_array(self) -> [f64; 2] {
        [self.overlap, self.orthogonal_squared_norm]
    }

    fn from_array(a: [f64; 2]) -> Self {
        Self::new(a[0], a[1])
    }
}

/// Exact moments of the summary statistics after k steps at finite dimension N, from a
/// deterministic start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiniteDimensionMoments {
    /// E m_k.
    pub overlap_mean: f64,
    /// Var m_k.
    pub overlap_variance: f64,
    /// E r⊥²_k.
    pub orthogonal_squared_norm_mean: f64,
}

/// The high-dimensional limit of online SGD with δ = c/N on the linear single-index model with
/// label-noise level σ (see the module docs for every formula).
///
/// ```
/// use sgbayes::theory::high_dimensional_sgd::{Correction, LinearSingleIndexLimit};
/// let limit = LinearSingleIndexLimit::new(1.0, 0.5).unwrap();
/// let u = limit.fixed_point(Correction::Included).unwrap();
/// assert!((u.overlap - 1.0).abs() < 1e-15);
/// assert!((u.orthogonal_squared_norm - 0.25).abs() < 1e-15); // cσ²/(2 − c)
/// assert_eq!(limit.fixed_point(Correction::Omitted).unwrap().orthogonal_squared_norm, 0.0);
/// assert!(LinearSingleIndexLimit::new(2.5, 0.5).unwrap().fixed_point(Correction::Included).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearSingleIndexLimit {
    step_scale: f64,
    noise_variance: f64,
}

/// Checks the step scale c > 0 (δ = c/N) and the label-noise standard deviation σ ≥ 0 of a
/// single-index limit.
pub(crate) fn validate_scales(step_scale: f64, noise_sd: f64) -> Result<()> {
    if !(step_scale.is_finite() && step_scale > 0.0) {
        return Err(Error::Invalid {
            what: "step_scale".into(),
            why: format!("c in δ = c/N must be positive and finite, got {step_scale}"),
        });
    }
    if !(noise_sd.is_finite() && noise_sd >= 0.0) {
        return Err(Error::Invalid {
            what: "noise_sd".into(),
            why: format!("must be finite and >= 0, got {noise_sd}"),
        });
    }
    Ok(())
}

impl LinearSingleIndexLimit {
    /// The limit for step size δ = `step_scale`/N (c > 0) and label-noise standard deviation
    /// `noise_sd` ≥ 0.
    #[doc(alias = "c")]
    pub fn new(step_scale: f64, noise_sd: f64) -> Result<Self> {
        validate_scales(step_scale, noise_sd)?;
        Ok(Self {
            step_scale,
            noise_variance: noise_sd * noise_sd,
        })
    }

    /// The step scale c.
    pub fn step_scale(&self) -> f64 {
        self.step_scale
    }

    /// The population drift F(u) = (cα, −2cp), α = 1 − m, p = r⊥² \[derived here\].
    pub fn population_drift(&self, u: SummaryState) -> SummaryState {
        let c = self.step_scale;
        SummaryState::new(c * (1.0 - u.overlap), -2.0 * c * u.orthogonal_squared_norm)
    }

    /// The corrector G(u) = (0, c²(p + α² + σ²)) = (0, c²·E(y − θ·x)²): the Itô term of |θ|² at
    /// δ = c/N \[derived here\].
    pub fn corrector(&self, u: SummaryState) -> SummaryState {
        let c = self.step_scale;
        let alpha = 1.0 - u.overlap;
        SummaryState::new(
            0.0,
            c * c * (u.orthogonal_squared_norm + alpha * alpha + self.noise_variance),
        )
    }

    /// The effective drift F + G (or F alone).
    pub fn drift(&self, u: SummaryState, correction: Correction) -> SummaryState {
        let f = self.population_drift(u);
        match correction {
            Correction::Omitted => f,
            Correction::Included => {
                let g = self.corrector(u);
                SummaryState::new(
                    f.overlap + g.overlap,
                    f.orthogonal_squared_norm + g.orthogonal_squared_norm,
                )
            }
        }
    }

    /// The rate λ of r⊥² near the fixed point: c(c − 2) with the corrector, −2c without.
    pub fn orthogonal_rate(&self, correction: Correction) -> f64 {
        let c = self.step_scale;
        match correction {
            Correction::Included => c * (c - 2.0),
            Correction::Omitted => -2.0 * c,
        }
    }

    /// The closed-form solution u(t) of the effective ODE from `initial` (see the module docs).
    ///
    /// # Formula
    /// m(t) = 1 − α₀e^{−ct}; r⊥²(t) = e^{λt}p₀ + c²σ²(e^{λt} − 1)/λ + α₀²(e^{λt} − e^{−2ct}) with
    /// λ = c(c − 2) (with G; (e^{λt} − 1)/λ → t at λ = 0), and r⊥²(t) = e^{−2ct}p₀ without G
    /// \[derived here\].
    pub fn solution(
        &self,
        initial: SummaryState,
        time: f64,
        correction: Correction,
    ) -> SummaryState {
        let c = self.step_scale;
        let alpha0 = 1.0 - initial.overlap;
        let overlap = 1.0 - alpha0 * (-c * time).exp();
        let p0 = initial.orthogonal_squared_norm;
        let orthogonal = match correction {
            Correction::Omitted => p0 * (-2.0 * c * time).exp(),
            Correction::Included => {
                let lambda = self.orthogonal_rate(correction);
                let growth = (lambda * time).exp();
                let integral = if lambda == 0.0 {
                    time
                } else {
                    (lambda * time).exp_m1() / lambda
                };
                growth * p0
                    + c * c * self.noise_variance * integral
                    + alpha0 * alpha0 * (growth - (-2.0 * c * time).exp())
            }
        };
        SummaryState::new(overlap, orthogonal)
    }

    /// The same solution by classical RK4 with `steps` equal steps (the numerical cross-check of
    /// [`Self::solution`], and the integrator for drifts without a closed form).
    pub fn rk4_solution(
        &self,
        initial: SummaryState,
        time: f64,
        correction: Correction,
        steps: usize,
    ) -> SummaryState {
        let field = |a: [f64; 2]| {
            self.drift(SummaryState::from_array(a), correction)
                .to_array()
        };
        SummaryState::from_array(rk4(field, initial.to_array(), time, steps))
    }

    /// The stable fixed point u* of the effective ODE: (1, cσ²/(2 − c)) with the corrector,
    /// (1, 0) without; `Error::MeanSquareUnstable` when c ≥ [`CRITICAL_STEP_SCALE`] with the
    /// corrector (r⊥² then grows without bound) \[derived here\].
    pub fn fixed_point(&self, correction: Correction) -> Result<SummaryState> {
        match correction {
            Correction::Omitted => Ok(SummaryState::new(1.0, 0.0)),
            Correction::Included => {
                let c = self.step_scale;
                if c >= CRITICAL_STEP_SCALE {
                    return Err(Error::MeanSquareUnstable { limit: None });
                }
                Ok(SummaryState::new(1.0, c * self.noise_variance / (2.0 - c)))
            }
        }
    }

    /// Jacobian J = ∂(F + G)/∂(m, r⊥²) at u: [[−c, 0], [−2c²α, c² − 2c]] \[derived here\].
    pub fn drift_jacobian(&self, u: SummaryState) -> DMatrix<f64> {
        let c = self.step_scale;
        let alpha = 1.0 - u.overlap;
        DMatrix::from_row_slice(2, 2, &[-c, 0.0, -2.0 * c * c * alpha, c * c - 2.0 * c])
    }

    /// Diffusion matrix D(u) of √N·(m, r⊥²) per unit time t: the covariance of the scaled
    /// per-step increments N·(Δm, Δr⊥²) = (c·au, 2c·ag + c²a²) to leading order, where
    /// a = y − θ·x, u = θ*·x ~ N(0, 1) and g = θ⊥·x ~ N(0, p) are independent of each other.
    ///
    /// # Formula
    /// a = αu − g + ε is Gaussian with E a² = L = α² + p + σ², E au = α, E ag = −p; Isserlis gives
    /// D = [[c²(L + α²), 2c²α(cL − p)], [2c²α(cL − p), 4c²p(L + p) − 8c³Lp + 2c⁴L²]]
    /// \[derived here\].
    pub fn diffusion(&self, u: SummaryState) -> DMatrix<f64> {
        let c = self.step_scale;
        let c2 = c * c;
        let alpha = 1.0 - u.overlap;
        let p = u.orthogonal_squared_norm;
        let loss = alpha * alpha + p + self.noise_variance;
        let cross = 2.0 * c2 * alpha * (c * loss - p);
        DMatrix::from_row_slice(
            2,
            2,
            &[
                c2 * (loss + alpha * alpha),
                cross,
                cross,
                4.0 * c2 * p * (loss + p) - 8.0 * c2 * c * loss * p + 2.0 * c2 * c2 * loss * loss,
            ],
        )
    }

    /// Stationary covariance S of the OU limit of √N(m − m*, r⊥² − r⊥²*), the solution of
    /// J S + S Jᵀ + D = 0 at the corrected fixed point; closed form diag(ρ, 2ρ²),
    /// ρ = cσ²/(2 − c) \[derived here\].
    ///
    /// ```
    /// use sgbayes::theory::high_dimensional_sgd::LinearSingleIndexLimit;
    /// let s = LinearSingleIndexLimit::new(1.0, 0.5).unwrap().stationary_fluctuation_covariance().unwrap();
    /// assert!((s[(0, 0)] - 0.25).abs() < 1e-12 && (s[(1, 1)] - 0.125).abs() < 1e-12);
    /// ```
    pub fn stationary_fluctuation_covariance(&self) -> Result<DMatrix<f64>> {
        let u = self.fixed_point(Correction::Included)?;
        solve_continuous_lyapunov(&(-self.drift_jacobian(u)), &self.diffusion(u))
    }

    /// The effective ODE's solution together with the covariance Σ(t) of the OU limit of
    /// √N(u_N(t) − u(t)) from a deterministic start (Σ(0) = 0), by RK4 on
    /// u' = F + G, Σ' = JΣ + ΣJᵀ + D(u) with `steps` equal steps.
    pub fn fluctuation_covariance_path(
        &self,
        initial: SummaryState,
        time: f64,
        steps: usize,
    ) -> (SummaryState, DMatrix<f64>) {
        let field = |a: [f64; 5]| {
            let u = SummaryState::new(a[0], a[1]);
            let du = self.drift(u, Correction::Included);
            let j = self.drift_jacobian(u);
            let d = self.diffusion(u);
            let s = DMatrix::from_row_slice(2, 2, &[a[2], a[3], a[3], a[4]]);
            let ds = &j * &s + &s * j.transpose() + d;
            [
                du.overlap,
                du.orthogonal_squared_norm,
                ds[(0, 0)],
                ds[(0, 1)],
                ds[(1, 1)],
            ]
        };
        let start = [
            initial.overlap,
            initial.orthogonal_squared_norm,
            0.0,
            0.0,
            0.0,
        ];
        let a = rk4(field, start, time, steps);
        (
            SummaryState::new(a[0], a[1]),
            DMatrix::from_row_slice(2, 2, &[a[2], a[3], a[3], a[4]]),
        )
    }

    /// The largest stable step scale at finite N: the second-moment recursion of θ − θ* contracts
    /// iff c < 2N/(N + 2) \[derived here\].
    pub fn finite_dimension_critical_step_scale(dimension: usize) -> f64 {
        let n = dimension as f64;
        2.0 * n / (n + 2.0)
    }

    /// Exact E m_k, Var m_k and E r⊥²_k after `steps` steps at dimension N from the deterministic
    /// start `initial`, with δ = c/N.
    ///
    /// # Formula
    /// e = θ − θ* obeys e' = (I − δxxᵀ)e + δεx, so (Isserlis, E\[xxᵀAxxᵀ\] = 2A + tr(A)I)
    /// E\[e'\] = (1 − δ)E\[e\] and E\[e'e'ᵀ\] = λE\[eeᵀ\] + δ²(tr E\[eeᵀ\] + σ²)I with λ = 1 − 2δ + 2δ².
    /// Hence E[e_k e_kᵀ] = λᵏ e₀e₀ᵀ + a_k I with a₀ = 0,
    /// a_{k+1} = (λ + Nδ²)a_k + δ²(λᵏ|e₀|² + σ²), and, with α₀ = 1 − m₀ and p₀ = r⊥²₀:
    /// E m_k = 1 − (1 − δ)ᵏα₀, Var m_k = λᵏα₀² + a_k − (1 − δ)^{2k}α₀²,
    /// E r⊥²_k = λᵏp₀ + (N − 1)a_k \[derived here\].
    pub fn finite_dimension_moments(
        &self,
        dimension: usize,
        initial: SummaryState,
        steps: usize,
    ) -> FiniteDimensionMoments {
        let n = dimension as f64;
        let delta = self.step_scale / n;
        let lambda = 1.0 - 2.0 * delta + 2.0 * delta * delta;
        let alpha0 = 1.0 - initial.overlap;
        let p0 = initial.orthogonal_squared_norm;
        let e0_squared = alpha0 * alpha0 + p0;
        let (mut a, mut lambda_k, mut mean_factor) = (0.0, 1.0, 1.0);
        for _ in 0..steps {
            a = (lambda + n * delta * delta) * a
                + delta * delta * (lambda_k * e0_squared + self.noise_variance);
            lambda_k *= lambda;
            mean_factor *= 1.0 - delta;
        }
        FiniteDimensionMoments {
            overlap_mean: 1.0 - mean_factor * alpha0,
            overlap_variance: lambda_k * alpha0 * alpha0 + a
                - mean_factor * mean_factor * alpha0 * alpha0,
            orthogonal_squared_norm_mean: lambda_k * p0 + (n - 1.0) * a,
        }
    }

    /// The exact stationary moments at finite N (the k → ∞ limit of
    /// [`Self::finite_dimension_moments`]): E m = 1, Var m = s, E r⊥² = (N − 1)s with
    /// s = cσ²/(N(2 − c − 2c/N)); `Error::MeanSquareUnstable` when c ≥ 2N/(N + 2)
    /// \[derived here\].
    pub fn finite_dimension_stationary_moments(
        &self,
        dimension: usize,
    ) -> Result<FiniteDimensionMoments> {
        let c = self.step_scale;
        if dimension == 0 {
            return Err(Error::Invalid {
                what: "dimension".into(),
                why: "must be at least 1".into(),
            });
        }
        if c >= Self::finite_dimension_critical_step_scale(dimension) {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        let n = dimension as f64;
        let s = c * self.noise_variance / (n * (2.0 - c - 2.0 * c / n));
        Ok(FiniteDimensionMoments {
            overlap_mean: 1.0,
            overlap_variance: s,
            orthogonal_squared_norm_mean: (n - 1.0) * s,
        })
    }
}

impl LinearSingleIndexLimit {
    /// The exact stationary variance of r⊥² at finite N (the k → ∞ law from any start), from the
    /// second and fourth moments of |θ − θ*|²; `Error::MeanSquareUnstable` when the fourth moment
    /// diverges (E A² ≥ 1 below, slightly before c_N) \[derived here\].
    ///
    /// # Formula
    /// e = θ − θ* obeys e' = e + δ(ε − xᵀe)x, which does not involve θ*: the stationary law of e
    /// is rotation invariant, e = R·v with v uniform on the sphere, independent of R. With
    /// s = |e|², a = xᵀe/|e| ~ N(0, 1) and Q = |x|² ~ χ²_N,
    /// |e'|² = A s + B √s ε + C ε², A = 1 − 2δa² + δ²a²Q, B = 2δa(1 − δQ), C = δ²Q, so
    /// (Isserlis on x, E x₁⁴Q^k = 3E Q^{k+2}/(N(N + 2)))
    /// * E A = 1 − 2δ + δ²(N + 2), E C = δ²N;
    /// * E A² = 1 − 4δ + δ²(2N + 16) − 12δ³(N + 4) + 3δ⁴(N + 4)(N + 6);
    /// * E AC = δ²(N − 2δ(N + 2) + δ²(N + 2)(N + 4)), E B² = 4δ²(1 − 2δ(N + 2) + δ²(N + 2)(N + 4)),
    ///   E C² = δ⁴N(N + 2);
    ///
    /// and the stationary moments M₂ = E s = E C σ²/(1 − E A),
    /// M₄ = E s² = ((2E AC + E B²)σ²M₂ + 3E C²σ⁴)/(1 − E A²). Since r⊥² = s(1 − v₁²) with
    /// E v₁² = 1/N, E v₁⁴ = 3/(N(N + 2)):
    /// Var r⊥² = M₄(1 − 2/N + 3/(N(N + 2))) − M₂²(1 − 1/N)², and Cov(m, r⊥²) = 0 by v₁ → −v₁.
    ///
    /// ```
    /// use sgbayes::theory::high_dimensional_sgd::LinearSingleIndexLimit;
    /// let limit = LinearSingleIndexLimit::new(1.0, 0.5).unwrap();
    /// // N·Var r⊥² → 2ρ² = 0.125 (the OU variance) as N → ∞.
    /// let n = 1_000_000;
    /// let v = limit.finite_dimension_stationary_orthogonal_variance(n).unwrap();
    /// assert!((n as f64 * v - 0.125).abs() < 1e-5);
    /// ```
    pub fn finite_dimension_stationary_orthogonal_variance(&self, dimension: usize) -> Result<f64> {
        let second = self.finite_dimension_stationary_moments(dimension)?;
        let n = dimension as f64;
        let d = self.step_scale / n;
        let sigma2 = self.noise_variance;
        let (n2, n4, n6) = (n + 2.0, n + 4.0, n + 6.0);
        let a2 = 1.0 - 4.0 * d + d * d * (2.0 * n + 16.0) - 12.0 * d.powi(3) * n4
            + 3.0 * d.powi(4) * n4 * n6;
        if a2 >= 1.0 {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        let ac = d * d * (n - 2.0 * d * n2 + d * d * n2 * n4);
        let b2 = 4.0 * d * d * (1.0 - 2.0 * d * n2 + d * d * n2 * n4);
        let c2 = d.powi(4) * n * n2;
        let m2 = n * second.overlap_variance;
        let m4 = ((2.0 * ac + b2) * sigma2 * m2 + 3.0 * c2 * sigma2 * sigma2) / (1.0 - a2);
        let spread = 1.0 - 2.0 / n + 3.0 / (n * n2);
        let mean = m2 * (1.0 - 1.0 / n);
        Ok(m4 * spread - mean * mean)
    }
}

/// Classical fourth-order Runge–Kutta for y' = f(y) over [0, time] in `steps` equal steps.
pub(crate) fn rk4<const K: usize>(
    f: impl Fn([f64; K]) -> [f64; K],
    y0: [f64; K],
    time: f64,
    steps: usize,
) -> [f64; K] {
    let steps = steps.max(1);
    let h = time / steps as f64;
    let axpy = |y: &[f64; K], k: &[f64; K], s: f64| -> [f64; K] {
        let mut out = *y;
        for (o, ki) in out.iter_mut().zip(k) {
            *o += s * ki;
        }
        out
    };
    let mut y = y0;
    for _ in 0..steps {
        let k1 = f(y);
        let k2 = f(axpy(&y, &k1, 0.5 * h));
        let k3 = f(axpy(&y, &k2, 0.5 * h));
        let k4 = f(axpy(&y, &k3, h));
        for i in 0..K {
            y[i] += h * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]) / 6.0;
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        assert!(LinearSingleIndexLimit::new(0.0, 1.0).is_err());
        assert!(LinearSingleIndexLimit::new(f64::NAN, 1.0).is_err());
        assert!(LinearSingleIndexLimit::new(1.0, -0.1).is_err());
        let limit = LinearSingleIndexLimit::new(1.0, 1.0).unwrap();
        assert!(limit.finite_dimension_stationary_moments(0).is_err());
        // c = 1.99 < 2 but above 2N/(N + 2) = 1.96 at N = 100.
        let near = LinearSingleIndexLimit::new(1.99, 1.0).unwrap();
        assert!(near.fixed_point(Correction::Included).is_ok());
        assert_eq!(
            near.finite_dimension_stationary_moments(100),
            Err(Error::MeanSquareUnstable { limit: None })
        );
        assert!(near
            .finite_dimension_stationary_orthogonal_variance(100)
            .is_err());
    }

    /// At N = 1, r⊥² = 0 identically; as N → ∞, N·Var r⊥² tends to the OU variance 2ρ².
    #[test]
    fn stationary_orthogonal_variance_limits() {
        // c = 0.1: at N = 1 the fourth moment needs E(1 − δx²)⁴ < 1.
        let limit = LinearSingleIndexLimit::new(0.1, 0.7).unwrap();
        assert!(
            limit
                .finite_dimension_stationary_orthogonal_variance(1)
                .unwrap()
                .abs()
                < 1e-15
        );
        // N·Var r⊥²/(2ρ²) − 1 = O(1/N) (about 0.27/N, 4.5/N, 31/N here); N ≤ 1e5 keeps the
        // cancellation in M₄(…) − M₂²(…) well above rounding.
        for c in [0.3, 1.0, 1.6] {
            let limit = LinearSingleIndexLimit::new(c, 0.5).unwrap();
            let rho = c * 0.25 / (2.0 - c);
            let gap = |n: usize| {
                let v = limit
                    .finite_dimension_stationary_orthogonal_variance(n)
                    .unwrap();
                n as f64 * v / (2.0 * rho * rho) - 1.0
            };
            let (small, large) = (gap(10_000), gap(100_000));
            assert!(small.abs() < 40.0 / 10_000.0, "c = {c}: {small}");
            let ratio = small / large;
            assert!((5.0..20.0).contains(&ratio), "c = {c}: {small} / {large}");
        }
    }
}
