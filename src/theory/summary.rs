//! Everything the closed forms say about one sampler configuration on one quadratic model.

use nalgebra::Cholesky;

use super::affine_map::ExampleMatrices;
use super::averaging::window_mean_covariance;
use super::cycle_map::cycle_law;
use super::draw_at::DrawAt;
use super::gaussian::{kl_divergence, symmetrize, GaussianLaw};
use super::laws::{sampler_law, Cycle, Draws, Temperature};
use super::posterior::exact_posterior;
use super::reshuffle::reshuffled_law;
use super::sampler_maps::{
    affine_map, mean_square_stability_limit, momentum_continuous_covariance, stability_limit,
    with_usable_limit,
};
use super::step_map::preconditioned_affine_map;
use super::tuning::{optimal_learning_rate, smith_temperature};
use crate::batching::Batching;
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// The closed-form report of `sgbayes theory`.
#[derive(Debug, Clone)]
pub struct TheoryReport {
    /// Exact posterior N(μ, P⁻¹).
    pub posterior: GaussianLaw,
    /// Exact discrete-time stationary mean and covariance of the sampler's draws (the θ-marginal
    /// for the samplers with momentum, whose chain state is (θ, v); the law of one window mean for
    /// ASGS).
    pub stationary: GaussianLaw,
    /// The exact stationary law of the whole chain state (θ, v) for the momentum samplers (equal
    /// to `stationary` otherwise).
    pub stationary_state: GaussianLaw,
    /// Long-run covariance Ω of the stationary chain's time average (n·Cov(θ̄_n) → Ω); for ASGS,
    /// that of the sequence of window means (Ω/window).
    pub long_run_covariance: nalgebra::DMatrix<f64>,
    /// Continuous-time (Ornstein–Uhlenbeck) approximation of the stationary law.
    pub stationary_continuous: GaussianLaw,
    /// KL(stationary ‖ posterior).
    pub kl_stationary_to_posterior: f64,
    /// KL(posterior ‖ stationary).
    pub kl_posterior_to_stationary: f64,
    /// KL(OU approximation ‖ posterior).
    pub kl_continuous_to_posterior: f64,
    /// Smith et al. (2018) temperature of the configuration: εN/(2B) (× γ without replacement) for
    /// SGD; the same with ε/μ for momentum SGD (Mandt et al. 2017: momentum acts like SGD with
    /// learning rate ε/μ); 1 for SGLD and SGHMC, whose injected noise targets T = 1.
    pub temperature: f64,
    /// Effective temperature tr(P Σ)/d of the exact stationary covariance relative to the posterior.
    pub effective_temperature: f64,
    /// Mandt et al. (2017) Theorem 1 KL-optimal learning rate (SGD only; `None` for SGLD, whose KL
    /// decreases as ε → 0, or when the gradient noise vanishes).
    pub optimal_eps: Option<f64>,
    /// The limit on ε of the mean iteration ([`stability_limit`]): past it the mean diverges.
    pub mean_stability_limit: f64,
    /// The limit on ε of mean-square stability for this batch size and batching scheme
    /// ([`mean_square_stability_limit`]): the largest step size with a stationary law, at most
    /// `mean_stability_limit`. `None` where it is not computed (reshuffled batches, ε-independent
    /// preconditioners, chain states above [`super::MAX_LIMIT_SEARCH_STATE_DIMENSION`]).
    pub mean_square_stability_limit: Option<f64>,
    /// The same as `mean_stability_limit` (the name of earlier versions).
    pub stability_limit: f64,
}

impl TheoryReport {
    /// Computes the report; errors exactly when the configuration has no stationary law (bad ε or
    /// B, instability) or the scheme has no closed form yet.
    ///
    /// ```
    /// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
    /// use sgbayes::theory::TheoryReport;
    /// let model = LinearRegression::new(vec![vec![1.0]; 4], vec![0.0, 1.0, 2.0, 3.0], 1.0, 1.0).unwrap();
    /// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 4, Batching::WithoutReplacement);
    /// let report = TheoryReport::compute(&model, &config).unwrap();
    /// // full batch: Var = 1/(p(1 − εp/4)), p = 5
    /// assert!((report.stationary.covariance[(0, 0)] - 1.0 / (5.0 * (1.0 - 0.0125))).abs() < 1e-12);
    /// ```
    pub fn compute<M: QuadraticModel + ?Sized>(model: &M, config: &SamplerConfig) -> Result<Self> {
        Self::compute_law(model, config).map_err(|e| with_usable_limit(e, config, model))
    }

    /// [`TheoryReport::compute`] without the usable limit in its errors.
    fn compute_law<M: QuadraticModel + ?Sized>(model: &M, config: &SamplerConfig) -> Result<Self> {
        if let Some(why) = sampler_law(&config.kind).no_stationary_law() {
            return Err(Error::NoClosedForm { what: why.into() });
        }
        if config.batching == Batching::Reshuffle {
            return Self::compute_reshuffled(model, config, DrawAt::EveryStep);
        }
        if let Some(cycle) = sampler_law(&config.kind).cycle(config) {
            return Self::compute_cycle(model, config, &cycle);
        }
        let posterior = exact_posterior(model)?;
        let map = affine_map(config, model)?;
        let law = map.stationary_law()?;
        let d = model.dimension();
        let long_run_covariance = theta_block(&law.long_run_covariance(), d);
        let stationary_state = GaussianLaw::new(law.mean.clone(), law.covariance.clone())?;
        // Window-mean draws (ASGS) of the SGD iterates: their exact law, the long-run covariance
        // of the window-mean sequence (Ω/n), and the paper's approximation Ω/n.
        if let Draws::WindowMeans { window } = sampler_law(&config.kind).draws() {
            let covariance = window_mean_covariance(&law, window)?;
            let scaled = &long_run_covariance / window as f64;
            let stationary = GaussianLaw::new(law.mean.clone(), covariance)?;
            let stationary_continuous = GaussianLaw::new(law.mean.clone(), scaled.clone())?;
            return Self::assemble(
                model,
                config,
                posterior,
                stationary,
                stationary_state,
                scaled,
                stationary_continuous,
            );
        }
        Self::theta_marginal(
            model,
            config,
            config,
            &map,
            posterior,
            stationary_state,
            long_run_covariance,
        )
    }

    /// The report whose `stationary` is the θ-block of the chain-state law `state`, with the OU
    /// approximation of `map` (momentum samplers: Mandt's momentum SDE on (θ, v)).
    fn theta_marginal<M: QuadraticModel + ?Sized>(
        model: &M,
        config: &SamplerConfig,
        map_config: &SamplerConfig,
        map: &super::affine_map::AffineRandomMap,
        posterior: GaussianLaw,
        state: GaussianLaw,
        long_run_covariance: nalgebra::DMatrix<f64>,
    ) -> Result<Self> {
        let d = model.dimension();
        let stationary = GaussianLaw::new(
            state.mean.rows(0, d).into_owned(),
            theta_block(&state.covariance, d),
        )?;
        let continuous_covariance = if sampler_law(&config.kind).momentum_retention().is_some() {
            momentum_continuous_covariance(map_config, model, map)?
        } else {
            map.continuous_time_law()?.covariance
        };
        let stationary_continuous = GaussianLaw::new(
            stationary.mean.clone(),
            symmetrize(&theta_block(&continuous_covariance, d)),
        )?;
        Self::assemble(
            model,
            config,
            posterior,
            stationary,
            state,
            long_run_covariance,
            stationary_continuous,
        )
    }

    /// The report for draws at the ends of cycles of steps ([`cycle_law`]): `stationary` is the
    /// exact law of the draws, `long_run_covariance` that of the sequence of draws, and
    /// `stationary_continuous` the OU approximation of the cycle's first step repeated (the exact
    /// law itself when that repeated step has none).
    fn compute_cycle<M: QuadraticModel + ?Sized>(
        model: &M,
        config: &SamplerConfig,
        cycle: &Cycle,
    ) -> Result<Self> {
        let law = cycle_law(model, config, cycle)?;
        let posterior = exact_posterior(model)?;
        let d = model.dimension();
        let long_run_covariance = theta_block(&law.long_run_covariance(), d);
        let state = GaussianLaw::new(law.mean.clone(), law.covariance.clone())?;
        let step = &cycle.steps[0];
        let per_step = preconditioned_affine_map(step, model, None);
        if let Ok(report) = per_step.and_then(|map| {
            Self::theta_marginal(
                model,
                config,
                step,
                &map,
                posterior.clone(),
                state.clone(),
                long_run_covariance.clone(),
            )
        }) {
            return Ok(report);
        }
        let stationary = GaussianLaw::new(
            state.mean.rows(0, d).into_owned(),
            theta_block(&state.covariance, d),
        )?;
        Self::assemble(
            model,
            config,
            posterior,
            stationary.clone(),
            state,
            long_run_covariance,
            stationary,
        )
    }

    /// The report for reshuffled (epoch-wise without-replacement) batches, with draws at every step
    /// or at epoch ends ([`reshuffled_law`]: closed form for state-independent minibatch noise,
    /// e.g. the Gaussian-mean model; enumeration for N ≤ 16 and the commuting-map method for
    /// B = 1 otherwise). `stationary_continuous` is the OU law of the per-step chain with i.i.d.
    /// without-replacement batches (same one-step noise marginal, no within-epoch correlation);
    /// `long_run_covariance` is that of the epoch-end chain for epoch-end draws with
    /// state-independent noise, whose epoch mean map is M̄^K, and not available (NaN) for
    /// every-step draws or state-dependent noise (there the epoch mean map is E_σ[Π_k A_σ(k)], not
    /// M̄^K, and is not computed here).
    pub fn compute_reshuffled<M: QuadraticModel + ?Sized>(
        model: &M,
        config: &SamplerConfig,
        draw_at: DrawAt,
    ) -> Result<Self> {
        if let Draws::WindowMeans { .. } = sampler_law(&config.kind).draws() {
            return Err(Error::NoClosedForm {
                what: "asgs window means under reshuffled batches".into(),
            });
        }
        if let Some(why) = sampler_law(&config.kind).no_stationary_law() {
            return Err(Error::NoClosedForm { what: why.into() });
        }
        if sampler_law(&config.kind).cycle(config).is_some() {
            return Err(Error::NoClosedForm {
                what: "cycles of steps (trajectories, schedules) under reshuffled batches".into(),
            });
        }
        let posterior = exact_posterior(model)?;
        let per_step = SamplerConfig {
            batching: Batching::WithoutReplacement,
            ..*config
        };
        let map = affine_map(&per_step, model)?;
        let (mean, covariance) = reshuffled_law(&map, draw_at)?;
        let d = model.dimension();
        let n = mean.len();
        let shared = matches!(map.example_matrices(), ExampleMatrices::Shared(_));
        let long_run_covariance = match draw_at {
            DrawAt::EpochEnd if shared => {
                let epoch = model.data_size() / config.batch_size;
                let m_epoch = map.mean_matrix().pow(epoch as u32);
                let resolvent = (nalgebra::DMatrix::identity(n, n) - m_epoch)
                    .try_inverse()
                    .ok_or(Error::MeanSquareUnstable { limit: None })?;
                let left = &resolvent * &covariance;
                theta_block(&symmetrize(&(&left + left.transpose() - &covariance)), d)
            }
            _ => nalgebra::DMatrix::from_element(d, d, f64::NAN),
        };
        let state = GaussianLaw::new(mean, covariance)?;
        Self::theta_marginal(
            model,
            config,
            &per_step,
            &map,
            posterior,
            state,
            long_run_covariance,
        )
    }

    /// The KLs, temperatures and limits of the laws.
    fn assemble<M: QuadraticModel + ?Sized>(
        model: &M,
        config: &SamplerConfig,
        posterior: GaussianLaw,
        stationary: GaussianLaw,
        stationary_state: GaussianLaw,
        long_run_covariance: nalgebra::DMatrix<f64>,
        stationary_continuous: GaussianLaw,
    ) -> Result<Self> {
        let precision = symmetrize(&model.posterior_precision());
        let effective_temperature =
            (&precision * &stationary.covariance).trace() / model.dimension() as f64;
        let kl_posterior_to_stationary = if Cholesky::new(stationary.covariance.clone()).is_some() {
            kl_divergence(&posterior, &stationary)?
        } else {
            f64::INFINITY
        };
        let law = sampler_law(&config.kind);
        let minibatch_temperature = |step_size: f64| {
            smith_temperature(
                step_size,
                model.data_size(),
                config.batch_size,
                config.batching,
            )
        };
        let temperature = match law.temperature(config) {
            Temperature::Target(temperature) => temperature,
            Temperature::Minibatch { step_size } => minibatch_temperature(step_size),
            Temperature::WindowMeans { window } => {
                minibatch_temperature(config.step_size) * 2.0 / (config.step_size * window as f64)
            }
            Temperature::NotScalar => f64::NAN,
        };
        let optimal_eps = if law.has_kl_optimal_step_size() {
            optimal_learning_rate(model, &posterior.mean, config.batch_size, config.batching)?
        } else {
            None
        };
        let mean_stability_limit = stability_limit(config, model);
        Ok(Self {
            kl_stationary_to_posterior: kl_divergence(&stationary, &posterior)?,
            kl_continuous_to_posterior: kl_divergence(&stationary_continuous, &posterior)?,
            kl_posterior_to_stationary,
            posterior,
            stationary,
            stationary_state,
            long_run_covariance,
            stationary_continuous,
            temperature,
            effective_temperature,
            optimal_eps,
            mean_stability_limit,
            mean_square_stability_limit: mean_square_stability_limit(config, model),
            stability_limit: mean_stability_limit,
        })
    }
}

/// The top-left d×d block (the θ block of a (θ, v) matrix; the whole matrix when it is d×d).
fn theta_block(m: &nalgebra::DMatrix<f64>, d: usize) -> nalgebra::DMatrix<f64> {
    m.view((0, 0), (d, d)).into_owned()
}
