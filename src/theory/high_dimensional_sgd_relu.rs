//! Effective dynamics of online SGD at δ = c/N for a single-layer ReLU network: teacher and
//! student share the activation f(z) = max(0, z), square loss. The population drift and the
//! critical corrector of the summary statistics (m, r⊥²) in closed form through the arc-cosine
//! kernel, their fixed points, and the critical step scale.
//!
//! # Provenance
//! Framework (ODE limit in t = k/N, corrector at δ = c/N): Ben Arous, Gheissari & Jagannath
//! (arXiv:2206.04030) and Rangriz (arXiv:2511.02258), as in [`super::high_dimensional_sgd`]. The
//! Gaussian expectations are the degree-0 and degree-1 arc-cosine kernels of Cho & Saul,
//! "Kernel methods for deep learning" (NIPS 2009); everything else is **\[derived here\]** and
//! checked against simulations of [`crate::online::OnlineSingleIndex`] with
//! `Activation::Relu` in tests/high_dimensional_sgd.rs.
//!
//! # Setting
//! x ~ N(0, I_N) fresh each step, y = f(θ*·x) + ε with |θ*| = 1 and ε ~ N(0, σ²), loss
//! ½(y − f(θ·x))², step θ ← θ + δ·b·x with b = (y − f(w))·1{w > 0}, w = θ·x, δ = c/N, time
//! t = k/N; m = θ·θ*, p = r⊥² = |θ|² − m².
//!
//! # Formula
//! With u = θ*·x ~ N(0, 1), γ = w − mu ~ N(0, p) independent of u, Q = m² + p = |θ|²,
//! cos φ = m/√Q, and (X, Y) = (u, w/√Q) standard bivariate normal with correlation cos φ:
//! * J₂(φ) = E[X²1{X > 0, Y > 0}] = (π − φ + sin φ cos φ)/(2π),
//!   κ₁(φ) = E[max(X, 0)max(Y, 0)] = (sin φ + (π − φ)cos φ)/(2π) (Cho & Saul's J₁/(2π));
//! * E\[bu\] = J₂ − m/2, E\[bw\] = √Q κ₁ − Q/2, E\[bγ\] = E\[bw\] − m E\[bu\],
//!   E\[b²\] = J₂ − 2√Q κ₁ + Q/2 + σ²/2;
//! * population drift F = (c E\[bu\], 2c E\[bγ\]) (the gradient flow of the population loss in time
//!   ct), corrector G = (0, c² E\[b²\]) (the Itô term δ²N·E\[b²|x|²/N\] of |θ|², less that of m²,
//!   which is O(1/N)) \[derived here\].
//!
//! These hold for Q > 0; at θ = 0 the student and its gradient vanish identically, a fixed point
//! of SGD that the ODE (whose Q → 0 limit has E\[bu\] = ¼) leaves, so starts must have Q > 0.
//!
//! Near the teacher (m → 1, p → 0) half the inputs see a linear student, so both rates halve
//! against the linear model: r⊥²' ≈ −c(1 − c/2)p + c²σ²/2, fixed point ≈ cσ²/(2 − c). Far from it
//! (p → ∞, φ → π/2) r⊥²' ≈ c(c/2 − 1)p + c(1 − c)√p/π, so r⊥² started large diverges for c > 2.
//! In between the ReLU differs from the linear model: m* < 1 pulls r⊥²* below cσ²/(2 − c), and
//! the corrected fixed point reached from the teacher survives past c = 2 (σ = 0.5: r⊥²* = 2.72 at
//! c = 2, 5.90 at c = 2.1; from the teacher the ODE diverges at c = 2.3) \[derived here\];
//! [`ReluSingleIndexLimit::fixed_point`] solves F + G = 0.

use crate::error::{Error, Result};
use crate::theory::high_dimensional_sgd::{rk4, validate_scales, Correction, SummaryState};

/// The Gaussian expectations of the ReLU single-index model at one state (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReluExpectations {
    /// E\[b u\].
    pub gradient_overlap: f64,
    /// E\[b γ\], γ = θ⊥·x.
    pub gradient_orthogonal: f64,
    /// E\[b²\].
    pub gradient_square: f64,
}

/// The high-dimensional limit of online SGD with δ = c/N on the ReLU single-index model with
/// label-noise level σ.
///
/// ```
/// use sgbayes::theory::high_dimensional_sgd::{Correction, SummaryState};
/// use sgbayes::theory::high_dimensional_sgd_relu::ReluSingleIndexLimit;
/// let limit = ReluSingleIndexLimit::new(1.0, 0.5).unwrap();
/// // The gradient flow recovers the teacher; the corrector keeps r⊥² > 0.
/// let flow = limit.fixed_point(Correction::Omitted).unwrap();
/// assert_eq!((flow.overlap, flow.orthogonal_squared_norm), (1.0, 0.0));
/// let u = limit.fixed_point(Correction::Included).unwrap();
/// assert!(u.orthogonal_squared_norm > 0.1 && u.orthogonal_squared_norm < 0.4);
/// let f = limit.drift(u, Correction::Included).unwrap();
/// assert!(f.overlap.abs() < 1e-12 && f.orthogonal_squared_norm.abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReluSingleIndexLimit {
    step_scale: f64,
    noise_variance: f64,
}

impl ReluSingleIndexLimit {
    /// The limit for δ = `step_scale`/N (c > 0) and label-noise standard deviation `noise_sd` ≥ 0.
    pub fn new(step_scale: f64, noise_sd: f64) -> Result<Self> {
        validate_scales(step_scale, noise_sd)?;
        Ok(Self {
            step_scale,
            noise_variance: noise_sd * noise_sd,
        })
    }

    /// E\[bu\], E\[bγ\], E\[b²\] at u = (m, r⊥²) with |θ|² = m² + r⊥² > 0.
    ///
    /// # Formula
    /// cos φ = m/√Q, J₂ = (π − φ + sin φ cos φ)/(2π), κ₁ = (sin φ + (π − φ)cos φ)/(2π);
    /// E\[bu\] = J₂ − m/2, E\[bγ\] = √Q κ₁ − Q/2 − m E\[bu\], E\[b²\] = J₂ − 2√Q κ₁ + Q/2 + σ²/2
    /// (Cho & Saul 2009 for κ₁; \[derived here\]).
    pub fn expectations(&self, u: SummaryState) -> Result<ReluExpectations> {
        let m = u.overlap;
        let p = u.orthogonal_squared_norm;
        let q = m * m + p;
        if !(q > 0.0 && p >= 0.0 && q.is_finite()) {
            return Err(Error::Invalid {
                what: "state".into(),
                why: format!("need r⊥² >= 0 and |θ|² > 0, got m = {m}, r⊥² = {p}"),
            });
        }
        let norm = q.sqrt();
        let phi = (m / norm).clamp(-1.0, 1.0).acos();
        let (sin, cos) = phi.sin_cos();
        let tau = std::f64::consts::TAU;
        let j2 = (std::f64::consts::PI - phi + sin * cos) / tau;
        let kappa1 = (sin + (std::f64::consts::PI - phi) * cos) / tau;
        let gradient_overlap = j2 - 0.5 * m;
        Ok(ReluExpectations {
            gradient_overlap,
            gradient_orthogonal: norm * kappa1 - 0.5 * q - m * gradient_overlap,
            gradient_square: j2 - 2.0 * norm * kappa1 + 0.5 * q + 0.5 * self.noise_variance,
        })
    }

    /// The effective drift F + G (or F alone) at u \[derived here\].
    pub fn drift(&self, u: SummaryState, correction: Correction) -> Result<SummaryState> {
        let e = self.expectations(u)?;
        let c = self.step_scale;
        let corrector = match correction {
            Correction::Included => c * c * e.gradient_square,
            Correction::Omitted => 0.0,
        };
        Ok(SummaryState::new(
            c * e.gradient_overlap,
            2.0 * c * e.gradient_orthogonal + corrector,
        ))
    }

    /// u(t) from `initial` (|θ₀|² > 0) by classical RK4 with `steps` equal steps.
    pub fn solution(
        &self,
        initial: SummaryState,
        time: f64,
        correction: Correction,
        steps: usize,
    ) -> Result<SummaryState> {
        self.expectations(initial)?;
        let field = |a: [f64; 2]| {
            self.drift(SummaryState::new(a[0], a[1].max(0.0)), correction)
                .map_or([f64::NAN; 2], |d| [d.overlap, d.orthogonal_squared_norm])
        };
        let end = rk4(
            field,
            [initial.overlap, initial.orthogonal_squared_norm],
            time,
            steps,
        );
        if !(end[0].is_finite() && end[1].is_finite()) {
            return Err(Error::Invalid {
                what: "solution".into(),
                why: "the ODE left the domain |θ|² > 0".into(),
            });
        }
        Ok(SummaryState::new(end[0], end[1]))
    }

    /// The stable fixed point: (1, 0) for the gradient flow; with the corrector, the point the ODE
    /// reaches from the teacher (time 400/c), polished by Newton's method (finite-difference
    /// Jacobian) to |F + G| < 1e-13. `Error::MeanSquareUnstable` when r⊥² runs away instead (c = 2.3
    /// at σ = 0.5) or has not settled to |F + G| < 1e-6 by then (near the fold, c ≈ 2.1, where the
    /// relaxation is slow; see the module docs) \[derived here\].
    pub fn fixed_point(&self, correction: Correction) -> Result<SummaryState> {
        if correction == Correction::Omitted {
            return Ok(SummaryState::new(1.0, 0.0));
        }
        let c = self.step_scale;
        let time = 400.0 / c;
        let mut u = self.solution(SummaryState::new(1.0, 1e-3), time, correction, 8_000)?;
        let settled = self.drift(u, correction)?;
        if settled
            .overlap
            .abs()
            .max(settled.orthogonal_squared_norm.abs())
            > 1e-6
        {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        for _ in 0..50 {
            let f = self.drift(u, correction)?;
            if f.overlap.abs().max(f.orthogonal_squared_norm.abs()) < 1e-13 {
                return Ok(u);
            }
            let h = 1e-6;
            let dm = self.drift(
                SummaryState::new(u.overlap + h, u.orthogonal_squared_norm),
                correction,
            )?;
            let dp = self.drift(
                SummaryState::new(u.overlap, u.orthogonal_squared_norm + h),
                correction,
            )?;
            let (a, b) = ((dm.overlap - f.overlap) / h, (dp.overlap - f.overlap) / h);
            let (cc, d) = (
                (dm.orthogonal_squared_norm - f.orthogonal_squared_norm) / h,
                (dp.orthogonal_squared_norm - f.orthogonal_squared_norm) / h,
            );
            let det = a * d - b * cc;
            let step_m = (d * f.overlap - b * f.orthogonal_squared_norm) / det;
            let step_p = (a * f.orthogonal_squared_norm - cc * f.overlap) / det;
            u = SummaryState::new(u.overlap - step_m, u.orthogonal_squared_norm - step_p);
        }
        Err(Error::MeanSquareUnstable { limit: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        assert!(ReluSingleIndexLimit::new(0.0, 1.0).is_err());
        assert!(ReluSingleIndexLimit::new(1.0, f64::NAN).is_err());
        let limit = ReluSingleIndexLimit::new(1.0, 0.5).unwrap();
        assert!(limit.expectations(SummaryState::new(0.0, 0.0)).is_err());
        assert!(limit.expectations(SummaryState::new(0.5, -0.1)).is_err());
        assert!(ReluSingleIndexLimit::new(2.3, 0.5)
            .unwrap()
            .fixed_point(Correction::Included)
            .is_err());
    }

    /// At the teacher only the label noise drives r⊥²: F = 0, E\[b²\] = σ²/2.
    #[test]
    fn teacher_is_the_gradient_flow_fixed_point() {
        let limit = ReluSingleIndexLimit::new(1.3, 0.4).unwrap();
        let e = limit.expectations(SummaryState::new(1.0, 0.0)).unwrap();
        assert!(e.gradient_overlap.abs() < 1e-15 && e.gradient_orthogonal.abs() < 1e-15);
        assert!((e.gradient_square - 0.08).abs() < 1e-15);
    }
}
