//! The finite-step error of stochastic gradient Fisher scoring beside SGLD's, after Mandt, Hoffman
//! & Blei (2017, JMLR 18:134, contribution (4): "for SGLD and SGFS we quantify the approximation
//! errors due to finite learning rates").
//!
//! # Provenance
//! The paper's method: write the sampler as a linear stochastic recursion around the mode and
//! solve for its stationary covariance — continuous time (Ornstein–Uhlenbeck, the paper's
//! Assumptions 1–4) in the paper. The paper's printed SGFS expression was not available to us;
//! the formulas below are **\[derived\]** with that method, and also in exact discrete time
//! (which the paper does not use). Sampler: Ahn, Korattikara & Welling (2012), eq. 11, with a
//! fixed Fisher estimate Î (the crate's `sgfs`).
//!
//! # Formula
//! SGFS: θ' = θ − H ĝ(θ) + H η, η ~ N(0, u I), u = 4β/ε, H = 2(γ N Î + u I)⁻¹, γ = (N + B)/B, with
//! ĝ the minibatch gradient of U = −log posterior, Cov ĝ = γ_b N² C/B at the mode (C the
//! per-example gradient covariance, γ_b = 1 with replacement, (N − B)/(N − 1) without). Around the
//! mode, with P = ∇²U and the noise frozen at the mode (additive noise):
//! * exact discrete time: Σ = (I − HP) Σ (I − HP)ᵀ + H Q H, Q = γ_b N² C/B + u I;
//! * continuous time (the paper's OU method): HP Σ + Σ PH = H Q H.
//!
//! In one dimension (or when P, C, Î commute), with posterior precision p, per-example gradient
//! variance c and Fisher estimate f:
//! * **Σ_disc · p = (γ_b N²c/B + u)/(γ N f + u − p)**,
//! * **Σ_OU · p = (γ_b N²c/B + u)/(γ N f + u)**.
//!
//! So discrete-time SGFS is exact at every ε when N f = p and γ_b N²c/B + p = γ N f — e.g. f = c
//! with N c = p and batches with replacement: then γNf − p = N²c/B and the ratio is 1. Ahn et
//! al.'s γ = (N + B)/B is what makes this work; the OU analysis misses the discrete (I − HP/2)⁻¹
//! factor and reports a spurious underestimate 1 − p/(γNf + u) (B/(N + B) at large ε). For
//! SGLD (θ' = θ − (ε/2)ĝ + √ε ξ) the same steps give
//! Σ_disc · p = (1 + εγ_b N²c/(4B))/(1 − εp/4) and Σ_OU · p = 1 + εγ_b N²c/(4B): the minibatch
//! term is SGLD's O(ε) error, which SGFS's preconditioner absorbs.

use nalgebra::DMatrix;

use super::lyapunov::{solve_continuous_lyapunov, solve_discrete_lyapunov};
use crate::batching::Batching;
use crate::error::{Error, Result};

/// The sizes and scalars of an SGFS (or SGLD) error computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgfsSetting {
    /// N.
    pub data_size: usize,
    /// B.
    pub batch_size: usize,
    /// How the minibatches are drawn (with or without replacement).
    pub batching: Batching,
    /// β of B_p = β I.
    pub scale: f64,
    /// ε.
    pub step_size: f64,
}

impl SgfsSetting {
    fn validate(&self) -> Result<f64> {
        if self.batch_size == 0 || self.batch_size > self.data_size {
            return Err(Error::BatchSize {
                batch_size: self.batch_size,
                data_size: self.data_size,
            });
        }
        for (what, v) in [("scale", self.scale), ("step size", self.step_size)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::Invalid {
                    what: what.into(),
                    why: format!("must be positive and finite, got {v}"),
                });
            }
        }
        self.batching
            .finite_population_factor(self.data_size, self.batch_size)
            .ok_or_else(|| Error::NoClosedForm {
                what: "SGFS error with reshuffled batches".into(),
            })
    }

    /// The minibatch gradient's variance per unit of per-example variance, γ_b N²/B.
    fn minibatch_factor(&self) -> Result<f64> {
        let gamma_b = self.validate()?;
        let n = self.data_size as f64;
        Ok(gamma_b * n * n / self.batch_size as f64)
    }

    /// γ N = (N + B)N/B of the SGFS preconditioner.
    fn fisher_weight(&self) -> f64 {
        let (n, b) = (self.data_size as f64, self.batch_size as f64);
        (n + b) / b * n
    }

    /// u = 4β/ε.
    fn injected(&self) -> f64 {
        4.0 * self.scale / self.step_size
    }

    /// Σ · p of SGFS in one dimension: (exact discrete time, continuous time), for posterior
    /// precision p, per-example gradient variance c and Fisher estimate f (see the module's
    /// formula).
    ///
    /// ```
    /// use sgbayes::{batching::Batching, theory::sgfs_error::SgfsSetting};
    /// let s = SgfsSetting { data_size: 20, batch_size: 10, batching: Batching::WithReplacement, scale: 1.0, step_size: 1.0 };
    /// // Well specified: N c = p, f = c — exact in discrete time, 1 − p/(γNf + u) in the OU picture.
    /// let (disc, ou) = s.sgfs_relative_variance(2.0, 0.1, 0.1).unwrap();
    /// assert!((disc - 1.0).abs() < 1e-14);
    /// assert!((ou - (1.0 - 2.0 / (3.0 * 2.0 + 4.0))).abs() < 1e-14);
    /// ```
    pub fn sgfs_relative_variance(
        &self,
        posterior_precision: f64,
        gradient_variance: f64,
        fisher: f64,
    ) -> Result<(f64, f64)> {
        check_scalars(posterior_precision, gradient_variance, fisher)?;
        let numerator = self.minibatch_factor()? * gradient_variance + self.injected();
        let denominator = self.fisher_weight() * fisher + self.injected();
        let contraction = 2.0 * posterior_precision / denominator;
        if contraction >= 2.0 {
            return Err(Error::NotContracting {
                spectral_radius: (1.0 - contraction).abs(),
            });
        }
        Ok((
            numerator / (denominator - posterior_precision),
            numerator / denominator,
        ))
    }

    /// Σ · p of SGLD (θ' = θ − (ε/2)ĝ + √ε ξ) in one dimension: (exact discrete time, continuous
    /// time) = ((1 + εγ_bN²c/(4B))/(1 − εp/4), 1 + εγ_bN²c/(4B)) (Mandt et al. 2017's SGLD
    /// analysis in this crate's convention; discrete form \[derived\]).
    pub fn sgld_relative_variance(
        &self,
        posterior_precision: f64,
        gradient_variance: f64,
    ) -> Result<(f64, f64)> {
        check_scalars(posterior_precision, gradient_variance, 1.0)?;
        let eps = self.step_size;
        if eps * posterior_precision >= 4.0 {
            return Err(Error::PastStabilityLimit {
                step_size: eps,
                limit: 4.0 / posterior_precision,
                mean_square_limit: None,
            });
        }
        let ou = 1.0 + eps * self.minibatch_factor()? * gradient_variance / 4.0;
        Ok((ou / (1.0 - eps * posterior_precision / 4.0), ou))
    }

    /// The SGFS stationary covariance with the gradient noise frozen at the mode: (exact discrete
    /// time, continuous time), from the posterior precision P, the per-example gradient covariance
    /// C and the Fisher estimate Î (d × d; see the module's formula).
    pub fn sgfs_covariances(
        &self,
        posterior_precision: &DMatrix<f64>,
        gradient_covariance: &DMatrix<f64>,
        fisher: &DMatrix<f64>,
    ) -> Result<(DMatrix<f64>, DMatrix<f64>)> {
        let d = posterior_precision.nrows();
        for (what, m) in [
            ("gradient covariance", gradient_covariance),
            ("Fisher estimate", fisher),
        ] {
            if m.shape() != (d, d) || posterior_precision.ncols() != d {
                return Err(Error::DimensionMismatch {
                    what: what.into(),
                    expected: d,
                    found: m.nrows(),
                });
            }
        }
        let u = self.injected();
        let identity = DMatrix::<f64>::identity(d, d);
        let system = fisher * self.fisher_weight() + &identity * u;
        let h = system
            .cholesky()
            .ok_or_else(|| Error::NotPositiveDefinite {
                what: "γNÎ + (4β/ε)I".into(),
            })?
            .inverse()
            * 2.0;
        let q = gradient_covariance * self.minibatch_factor()? + &identity * u;
        let noise = &h * q * &h;
        let drift = &h * posterior_precision;
        let discrete = solve_discrete_lyapunov(&(&identity - &drift), &noise)?;
        let continuous = solve_continuous_lyapunov(&drift, &noise)?;
        Ok((discrete, continuous))
    }
}

fn check_scalars(p: f64, c: f64, f: f64) -> Result<()> {
    for (what, v, positive) in [
        ("posterior precision", p, true),
        ("gradient variance", c, false),
        ("Fisher estimate", f, false),
    ] {
        if !v.is_finite() || v < 0.0 || (positive && v == 0.0) {
            return Err(Error::Invalid {
                what: what.into(),
                why: format!(
                    "must be {} and finite, got {v}",
                    if positive { "positive" } else { ">= 0" }
                ),
            });
        }
    }
    Ok(())
}
