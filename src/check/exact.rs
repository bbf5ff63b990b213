//! What the exact stationary law says about a chain of the declared sampler: the mean and
//! covariance that whiten the draws, and bounds on the autocovariances of the whitened draws that
//! hold whatever thinning the program that wrote them used.

use nalgebra::{DMatrix, DVector};
use serde::Serialize;

use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::{Error, Result};
use crate::models::QuadraticModel;
use crate::theory::{self, AffineRandomMap, DrawAt, TheoryReport};

/// Flop budget of the autocovariance sums (beyond it the remaining tail is extrapolated
/// geometrically with the spectral radius of the mean map).
const AUTOCOVARIANCE_FLOP_BUDGET: f64 = 4e8;

/// Where the bounds of an [`ExactLaw`] come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BoundSource {
    /// `γ_0 + 2 Σ_k |γ_k|` from the exact autocovariances `M̄^k Σ`: valid for any thinning.
    ExactAutocovariances,
    /// The exact long-run covariance `Ω` (reshuffled batches at epoch ends, ASGS window means):
    /// valid for the chain as written, without thinning, when its autocorrelations are
    /// non-negative.
    LongRunCovariance,
    /// Reshuffled batches, every step: the chain is periodic, not time-homogeneous, and has no
    /// closed-form autocovariance here; the bounds are those of the per-step mean map `M̄` (the
    /// same for every uniform batching) applied to the reshuffled covariance, doubled for safety.
    ApproximateReshuffled,
}

/// The exact stationary law of the declared chain, as the check uses it.
#[derive(Debug, Clone)]
pub struct ExactLaw {
    /// Stationary mean `m` of the draws.
    pub mean: DVector<f64>,
    /// Stationary covariance `Σ` of the draws.
    pub covariance: DMatrix<f64>,
    /// Per whitened coordinate `z_i` (`z = L⁻¹(x − m)`, `Σ = L Lᵀ`): `U_i = 1 + 2 Σ_{k≥1} |γ_i(k)|`,
    /// a bound on `n Var(z̄_i)` for every `n` and every thinning.
    pub variance_bound: DVector<f64>,
    /// Per whitened coordinate: `V_i = Σ_{k≥1} k |γ_i(k)|` (bounds the covariance of the means of
    /// two adjacent blocks).
    pub lag_moment_bound: DVector<f64>,
    /// `max_i U_i`: the integrated autocorrelation time the bounds allow.
    pub autocorrelation_time: f64,
    /// Whether the law passes the fourth-moment screen (multiplicative minibatch noise can give
    /// power-law tails without finite fourth moments near the mean-square stability limit).
    pub fourth_moments: bool,
    /// Where the bounds come from.
    pub bound_source: BoundSource,
}

impl ExactLaw {
    /// The law of an affine chain `s' = M_S s + c_S + ξ` whose first `d = mean.len()` state
    /// coordinates are the draws, from its mean map `M̄` and stationary state covariance `Σ_s`.
    ///
    /// # Formula
    ///
    /// With `Σ = (Σ_s)_{θθ} = L Lᵀ`, `W = L⁻¹`, the whitened autocovariances are
    /// `γ_i(k) = (W (M̄^k Σ_s)_{θθ} Wᵀ)_{ii}` (Cov(s_{t+k}, s_t) = M̄^k Σ_s for an affine random
    /// map), and
    ///
    /// ```text
    /// U_i = 1 + 2 Σ_{k≥1} |γ_i(k)|,        V_i = Σ_{k≥1} k |γ_i(k)|.
    /// ```
    ///
    /// `n Var(z̄_i) = 1 + 2 Σ_{k<n} (1 − k/n) γ_i(kM)` for draws thinned by any `M ≥ 1`, which is
    /// at most `U_i`.
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`]; [`Error::NotPositiveDefinite`] if `Σ` is singular;
    /// [`Error::NotContracting`] if `ρ(M̄) ≥ 1`.
    ///
    /// # Example
    ///
    /// ```
    /// use nalgebra::{DMatrix, DVector};
    /// use sgbayes::check::ExactLaw;
    /// // AR(1) x' = 0.5 x + e with Var x = 1: γ(k) = 0.5^k, U = 1 + 2·1 = 3, V = Σ k 0.5^k = 2.
    /// let law = ExactLaw::affine(DVector::zeros(1), &DMatrix::from_element(1, 1, 0.5),
    ///     &DMatrix::identity(1, 1), true).unwrap();
    /// assert!((law.variance_bound[0] - 3.0).abs() < 1e-9);
    /// assert!((law.lag_moment_bound[0] - 2.0).abs() < 1e-9);
    /// ```
    pub fn affine(
        mean: DVector<f64>,
        mean_matrix: &DMatrix<f64>,
        state_covariance: &DMatrix<f64>,
        fourth_moments: bool,
    ) -> Result<Self> {
        let d = mean.len();
        let s = mean_matrix.nrows();
        if d == 0 || s < d || mean_matrix.ncols() != s || state_covariance.shape() != (s, s) {
            return Err(Error::DimensionMismatch {
                what: "exact law (mean map and state covariance)".into(),
                expected: s.max(d),
                found: state_covariance.nrows(),
            });
        }
        let rho = theory::spectral_radius(mean_matrix);
        if !(rho < 1.0) {
            return Err(Error::NotContracting {
                spectral_radius: rho,
            });
        }
        let covariance = state_covariance.view((0, 0), (d, d)).into_owned();
        let whitening = whitening_matrix(&covariance)?;
        // A_k = M̄^k Σ_s[:, θ] Wᵀ; γ_i(k) = Σ_j W[i, j] A_k[j, i].
        let mut a = state_covariance.columns(0, d) * whitening.transpose();
        let row_norms: Vec<f64> = (0..d).map(|i| whitening.row(i).norm()).collect();
        let mut u = DVector::from_element(d, 1.0);
        let mut v = DVector::zeros(d);
        let max_steps = (AUTOCOVARIANCE_FLOP_BUDGET / ((s * s * d) as f64).max(1.0)) as usize;
        let mut k = 0usize;
        loop {
            k += 1;
            a = mean_matrix * &a;
            let mut remaining = 0.0_f64;
            for i in 0..d {
                let gamma = (0..d)
                    .map(|j| whitening[(i, j)] * a[(j, i)])
                    .sum::<f64>()
                    .abs();
                u[i] += 2.0 * gamma;
                v[i] += k as f64 * gamma;
                remaining = remaining.max(row_norms[i] * a.column(i).norm());
            }
            if remaining < 1e-12 {
                break;
            }
            if k >= max_steps {
                // Geometric tail: Σ_{j≥1} ρ^j r = r ρ / (1 − ρ) (and Σ j ρ^j r for V).
                let tail = remaining * rho / (1.0 - rho);
                let lag_tail = remaining * (k as f64 * tail + rho / (1.0 - rho).powi(2));
                u.add_scalar_mut(2.0 * tail);
                v.add_scalar_mut(lag_tail);
                break;
            }
        }
        let autocorrelation_time = u.iter().copied().fold(1.0_f64, f64::max);
        Ok(Self {
            mean,
            covariance,
            variance_bound: u,
            lag_moment_bound: v,
            autocorrelation_time,
            fourth_moments,
            bound_source: BoundSource::ExactAutocovariances,
        })
    }

    /// The law when only the long-run covariance `Ω` of the draws is known: `U_i = (W Ω Wᵀ)_{ii}`,
    /// `V_i = U_i²` (the lag moment of a geometric autocorrelation with integrated time `U_i`).
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`], [`Error::NotPositiveDefinite`].
    ///
    /// # Example
    ///
    /// ```
    /// use nalgebra::{DMatrix, DVector};
    /// use sgbayes::check::ExactLaw;
    /// let law = ExactLaw::from_long_run_covariance(DVector::zeros(1), DMatrix::from_element(1, 1, 2.0),
    ///     &DMatrix::from_element(1, 1, 6.0), true).unwrap();
    /// assert!((law.variance_bound[0] - 3.0).abs() < 1e-12);
    /// ```
    pub fn from_long_run_covariance(
        mean: DVector<f64>,
        covariance: DMatrix<f64>,
        long_run_covariance: &DMatrix<f64>,
        fourth_moments: bool,
    ) -> Result<Self> {
        let d = mean.len();
        if covariance.shape() != (d, d) || long_run_covariance.shape() != (d, d) {
            return Err(Error::DimensionMismatch {
                what: "exact law (covariance and long-run covariance)".into(),
                expected: d,
                found: covariance.nrows(),
            });
        }
        let w = whitening_matrix(&covariance)?;
        let omega = &w * long_run_covariance * w.transpose();
        let u = DVector::from_iterator(d, (0..d).map(|i| omega[(i, i)].max(1.0)));
        let v = u.map(|x| x * x);
        Ok(Self {
            autocorrelation_time: u.iter().copied().fold(1.0_f64, f64::max),
            mean,
            covariance,
            variance_bound: u,
            lag_moment_bound: v,
            fourth_moments,
            bound_source: BoundSource::LongRunCovariance,
        })
    }

    /// The exact law of `config` on `model` (draws at `draw_at` with reshuffled batches).
    ///
    /// # Errors
    ///
    /// Whatever [`TheoryReport::compute`] returns (no stationary law, no closed form, bad ε or B).
    ///
    /// # Example
    ///
    /// ```
    /// use sgbayes::{batching::Batching, check::ExactLaw, config::{SamplerConfig, SamplerKind}, models::LinearRegression, theory::DrawAt};
    /// let model = LinearRegression::new(vec![vec![1.0]; 4], vec![0.0, 1.0, 2.0, 3.0], 1.0, 1.0).unwrap();
    /// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 4, Batching::WithoutReplacement);
    /// let law = ExactLaw::of_sampler(&model, &config, DrawAt::EveryStep).unwrap();
    /// // full batch: x' = (1 − εp/2) x + …, p = 5: U = (1 + a)/(1 − a), a = 0.975.
    /// assert!((law.variance_bound[0] - 1.975 / 0.025).abs() < 1e-6);
    /// ```
    pub fn of_sampler(
        model: &dyn QuadraticModel,
        config: &SamplerConfig,
        draw_at: DrawAt,
    ) -> Result<Self> {
        let report = if config.batching == Batching::Reshuffle {
            TheoryReport::compute_reshuffled(model, config, draw_at)?
        } else {
            TheoryReport::compute(model, config)?
        };
        if config.batching == Batching::Reshuffle
            && report.long_run_covariance.iter().any(|v| !v.is_finite())
        {
            let per_step = SamplerConfig {
                batching: Batching::WithoutReplacement,
                ..*config
            };
            let map = theory::affine_map(&per_step, model)?;
            let mut law = Self::affine(
                report.stationary.mean,
                &map.mean_matrix(),
                &report.stationary_state.covariance,
                true,
            )?;
            law.variance_bound *= 2.0;
            law.lag_moment_bound *= 2.0;
            law.autocorrelation_time *= 2.0;
            law.bound_source = BoundSource::ApproximateReshuffled;
            return Ok(law);
        }
        if config.batching == Batching::Reshuffle {
            return Self::from_long_run_covariance(
                report.stationary.mean,
                report.stationary.covariance,
                &report.long_run_covariance,
                true,
            );
        }
        if config.kind.draw_period().is_some() {
            // Draws at cycle ends (trajectories, cyclical schedules, SVRG epochs): the law of the
            // sequence of draws, not of one step.
            return Self::from_long_run_covariance(
                report.stationary.mean,
                report.stationary.covariance,
                &report.long_run_covariance,
                true,
            );
        }
        let resolved = theory::resolve_preconditioner(config, model)?;
        let map = theory::affine_map(&resolved, model)?;
        let fourth_moments = map.fourth_moments_screen();
        if let SamplerKind::Asgs { .. } = config.kind {
            return Self::from_long_run_covariance(
                report.stationary.mean,
                report.stationary.covariance,
                &report.long_run_covariance,
                fourth_moments,
            );
        }
        Self::of_map(&map, model.dimension(), fourth_moments)
    }

    /// The law of an affine random map whose first `dimension` state coordinates are the draws.
    ///
    /// # Errors
    ///
    /// As [`AffineRandomMap::stationary_law`] and [`ExactLaw::affine`].
    pub fn of_map(map: &AffineRandomMap, dimension: usize, fourth_moments: bool) -> Result<Self> {
        let law = map.stationary_law()?;
        Self::affine(
            law.mean.rows(0, dimension).into_owned(),
            &law.mean_matrix,
            &law.covariance,
            fourth_moments,
        )
    }

    /// `W = L⁻¹` with `Σ = L Lᵀ`.
    pub(crate) fn whitening(&self) -> Result<DMatrix<f64>> {
        whitening_matrix(&self.covariance)
    }
}

/// `L⁻¹` for the Cholesky factor `L` of `Σ`.
fn whitening_matrix(covariance: &DMatrix<f64>) -> Result<DMatrix<f64>> {
    let chol = covariance
        .clone()
        .cholesky()
        .ok_or_else(|| Error::NotPositiveDefinite {
            what: "stationary covariance of the declared law".into(),
        })?;
    let l = chol.l();
    l.solve_lower_triangular(&DMatrix::identity(l.nrows(), l.ncols()))
        .ok_or_else(|| Error::NotPositiveDefinite {
            what: "stationary covariance of the declared law".into(),
        })
}
