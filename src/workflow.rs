//! What users do with a problem and a sampler configuration — compute its closed forms, run the
//! reference sampler, check draws — done once for every front end: the command line and the
//! Python package call these functions, so their numbers are the same.
//!
//! ```
//! use sgbayes::{chain::RunLength, problem::{generate_linear_regression, Problem}, spec::SamplerSpec, workflow};
//! let problem = Problem::LinearRegression(generate_linear_regression(2, 50, 1, 1.0, 1.0)?);
//! let (config, draw_at) = SamplerSpec::new("sgld", 1e-3, 10).config()?;
//! let report = workflow::theory(&problem, &config, draw_at)?;
//! let mut run = workflow::prepare_run(&problem, &config, draw_at, RunLength { burn_in: 0, steps: 1000, thin: 10 }, 7, None)?;
//! let output = run.chain.record(&run.length, &mut ());
//! assert_eq!(output.len(), 100);
//! assert!((&report.stationary.mean - &report.posterior.mean).norm() < 1e-9);
//! # Ok::<(), sgbayes::Error>(())
//! ```

use nalgebra::DVector;

use crate::batching::Batching;
use crate::chain::{Chain, Draws, RunLength};
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::QuadraticModel;
use crate::problem::Problem;
use crate::theory::{self, DrawAt, TheoryReport};

/// The closed forms of a configuration on a problem with a Gaussian posterior (the command
/// line's `theory`): with reshuffled batches, the law of the states at `draw_at`.
pub fn theory(problem: &Problem, config: &SamplerConfig, draw_at: DrawAt) -> Result<TheoryReport> {
    let model = problem.require_quadratic("the exact stationary law")?;
    if config.batching == Batching::Reshuffle {
        TheoryReport::compute_reshuffled(model, config, draw_at)
    } else {
        TheoryReport::compute(model, config)
    }
}

/// Where a run starts, and the configuration it runs with: on a quadratic model the exact
/// stationary mean (the posterior mean when there is no closed form, the state is too large for
/// the exact solver or the solve is ill-conditioned), with Mandt's optimal preconditioners
/// resolved to their matrices; teacher–student from its random initial matrix (the BBP setting);
/// other models from their documented initial parameter.
pub fn default_start(
    problem: &Problem,
    config: &SamplerConfig,
) -> Result<(DVector<f64>, SamplerConfig)> {
    match problem.quadratic() {
        Some(_) if matches!(problem, Problem::TeacherStudent(_)) => {
            Ok((problem.initial_parameter(), *config))
        }
        Some(model) => Ok((
            quadratic_start(model, config)?,
            theory::resolve_preconditioner(config, model)?,
        )),
        None => Ok((problem.initial_parameter(), *config)),
    }
}

fn quadratic_start(model: &dyn QuadraticModel, config: &SamplerConfig) -> Result<DVector<f64>> {
    match TheoryReport::compute(model, config) {
        Ok(report) => Ok(report.stationary.mean),
        Err(
            Error::NoClosedForm { .. } | Error::IllConditioned { .. } | Error::StateTooLarge { .. },
        ) => Ok(theory::exact_posterior(model)?.mean),
        Err(e) => Err(e),
    }
}

/// A chain ready to run, with the run length it needs for the requested draws.
pub struct PreparedRun<'a> {
    /// The chain, seeded, at its start, keeping the sampler's draws.
    pub chain: Chain<'a>,
    /// The run length: burn-in rounded up to whole epochs or trajectories when the draws are
    /// their ends.
    pub length: RunLength,
    /// Steps between consecutive draws (thin × epoch or trajectory length where it applies).
    pub steps_between_draws: usize,
    /// The window of window-mean draws (asgs, iterate-average).
    pub window: Option<usize>,
}

/// Builds the chain of `config` on `problem` from `start` (default: [`default_start`]) and the run
/// length that keeps the sampler's draws: epoch ends under `DrawAt::EpochEnd` (burn-in rounded up
/// to whole epochs, one draw every `thin` epochs), trajectory ends for samplers with a momentum
/// refresh, window means for asgs.
pub fn prepare_run<'a>(
    problem: &'a Problem,
    config: &SamplerConfig,
    draw_at: DrawAt,
    length: RunLength,
    seed: u64,
    start: Option<&[f64]>,
) -> Result<PreparedRun<'a>> {
    let model = problem.model();
    let no_draws = |why: String| Error::Invalid {
        what: "run length".into(),
        why,
    };
    if length.thin == 0 {
        return Err(no_draws("thin must be at least 1".into()));
    }
    let mut length = length;
    let mut steps_between_draws = length.thin;
    let epoch_end = draw_at == DrawAt::EpochEnd;
    if epoch_end {
        let epoch = model.data_size() / config.batch_size.max(1);
        length.burn_in = length.burn_in.div_ceil(epoch) * epoch;
        steps_between_draws *= epoch;
        if length.steps / steps_between_draws == 0 {
            return Err(no_draws(format!(
                "--steps {} is shorter than --thin {} epochs of {epoch} steps: no draws",
                length.steps, length.thin
            )));
        }
    }
    if let Some(period) = config.kind.draw_period() {
        length.burn_in = length.burn_in.div_ceil(period) * period;
        length.thin *= period;
        steps_between_draws = length.thin;
        if length.steps / length.thin == 0 {
            return Err(no_draws(format!(
                "--steps {} is shorter than --thin {} trajectories of {period} steps: no draws",
                length.steps,
                length.thin / period
            )));
        }
    }
    let (default, config) = default_start(problem, config)?;
    let start = start.unwrap_or(default.as_slice());
    let mut chain = Chain::new(model, &config, start, seed)?;
    let window = match chain.draws() {
        Draws::WindowMeans { window } => Some(window),
        _ => None,
    };
    if epoch_end {
        if window.is_some() {
            return Err(Error::Invalid {
                what: "draw-at".into(),
                why: "epoch-end keeps the states at epoch ends, but asgs draws window means: drop one of them".into(),
            });
        }
        chain.set_draws(Draws::EpochEnds);
    }
    if chain.draw_capacity(&length) == 0 {
        return Err(no_draws(
            "--steps is shorter than --window × --thin: no window mean to write".into(),
        ));
    }
    Ok(PreparedRun {
        chain,
        length,
        steps_between_draws,
        window,
    })
}

/// The command line's `theory` document (JSON) of a configuration: on a problem with a Gaussian
/// posterior the posterior, the exact discrete-time stationary law, the OU approximation, KLs,
/// temperatures, ε* and the stability limit, with the conventions; on the other solvable models
/// (deep linear, tanh regression, two-layer, large teacher–student) the closed forms that exist.
pub fn theory_document(
    problem: &Problem,
    config: &SamplerConfig,
    draw_at: DrawAt,
) -> Result<serde_json::Value> {
    use crate::json::{law, matrix, number};
    use serde_json::json;
    let to_value =
        |value: serde_json::Result<serde_json::Value>| value.map_err(|e| Error::Io(e.to_string()));
    // Teacher–student beyond the exact solver's state dimension: its BBP closed forms only.
    let beyond_exact = matches!(problem, Problem::TeacherStudent(m)
        if crate::models::Model::dimension(m) > theory::MAX_DENSE_STATE_DIMENSION);
    if problem.quadratic().is_none() || beyond_exact {
        return model_theory_document(problem, config);
    }
    let report = self::theory(problem, config, draw_at)?;
    let model = problem.model();
    let mut document = json!({
        "sampler": config.kind.name(),
        "sampler_parameters": to_value(serde_json::to_value(config.kind))?,
        "eps": config.step_size,
        "batch": config.batch_size,
        "batching": config.batching.name(),
        "dimension": model.dimension(),
        "data_size": model.data_size(),
        "posterior": law(&report.posterior),
        "stationary": law(&report.stationary),
        "stationary_long_run_covariance": matrix(&report.long_run_covariance),
        "stationary_continuous": law(&report.stationary_continuous),
        "kl_stationary_to_posterior": number(report.kl_stationary_to_posterior),
        "kl_posterior_to_stationary": number(report.kl_posterior_to_stationary),
        "kl_continuous_to_posterior": number(report.kl_continuous_to_posterior),
        "temperature": number(report.temperature),
        "effective_temperature": number(report.effective_temperature),
        "optimal_eps": report.optimal_eps.map(number),
        "mean_stability_limit": number(report.mean_stability_limit),
        "mean_square_stability_limit": report.mean_square_stability_limit.map(number),
        "stability_limit": number(report.stability_limit),
        "conventions": {
            "sgld": "theta <- theta - (eps/2) g_hat(theta) + sqrt(eps) xi (Welling & Teh 2011)",
            "sgd": "theta <- theta - (eps/N) g_hat(theta), i.e. eps * grad of L = U/N (Mandt et al. 2017)",
            "sgd-momentum": "v <- (1 - mu) v - (eps/N) g_hat(theta); theta <- theta + v (Mandt et al. 2017, SGD with momentum); state (theta, v), v starts at 0",
            "sghmc": "v <- v - eps g_hat(theta) - alpha v + N(0, 2 (alpha - beta_hat) eps); theta <- theta + v (Chen et al. 2014, eq. 15; eps = eta); state (theta, v), v starts at 0; with --refresh-every L: v <- N(0, eps I) before each trajectory of L steps, draws = positions at trajectory ends, stationary = exact law of those draws; --order position-first: theta <- theta + v (old v), then the v update with g_hat(theta_old); --batch-per-trajectory: one minibatch for the L steps",
            "sgd-preconditioned": "theta <- theta - (eps/N) H g_hat(theta) (Mandt et al. 2017); H given, or optimal H* = 2B/(gamma eps N) C^-1, or its diagonal (Thm 2; gamma = (N-B)/(N-1) without replacement, 1 with)",
            "psgld": "theta <- theta - (eps/2) G g_hat(theta) + sqrt(eps) G^(1/2) xi (Li et al. 2016 with a fixed G)",
            "psgld-rmsprop": "V <- alpha V + (1 - alpha) g_bar^2, G = diag(1/(lambda + sqrt V)), theta <- theta - (eps/2) G g_hat(theta) + sqrt(eps) G^(1/2) xi (Li et al. 2016, Algorithm 1, Gamma dropped; g_bar = (1/B) sum_S grad l_i); stationary = REFERENCE law: exact law of pSGLD with the self-consistent fixed G_inf = diag(1/(lambda + sqrt E[g_bar^2])), the alpha -> 1 limit, not an exact law of the adaptive chain; --rms-of full-estimate: V averages g_hat^2 (prior and N scaling included, SGMCMCJax), reference law with V_inf = E[g_hat^2]",
            "sgfs-online": "I_t = (1 - 1/t) I_{t-1} + V_t/t (V_t the minibatch score covariance, 1/(B-1)), then the sgfs step with I_t (Ahn et al. 2012, eq. 11 and the online estimate); stationary = REFERENCE law: exact fixed-Fisher SGFS law at the self-consistent I_inf = E[V], which the running estimate converges to",
            "stochastic-ngd": "theta <- theta - (eps/N) F^-1 g_hat + (eps T/N) Gamma + sqrt(2 eps T_inj/N) F^(-1/2) xi, Gamma_i = (1/sqrt det F) sum_j d_j(sqrt det F [F^-1]_ij), T_inj = T - eps N gamma/(2B) (Smith et al. 2018's stochastic NGD in our Riemannian-Langevin form); target law prop. to sqrt(det F) exp(-U/T); on quadratic models F is constant and stationary is exact",
            "ngd": "theta <- theta - (eps/N) F^-1 g_hat(theta), F = (1/N) sum_i Hessian of l_i, the per-example Fisher (Smith et al. 2018)",
            "asgs": "draws are means of consecutive windows of --window sgd iterates (Mandt et al. 2017); stationary = exact law of one window mean; stationary_continuous = long-run covariance / window (the paper's A^-1 C A^-1/(B window))",
            "stationary": "exact discrete-time law of theta (the theta-marginal of the (theta, v) law for the momentum samplers)",
            "g_hat": "grad R(theta) + (N/B) sum_{i in S} grad l_i(theta)",
            "temperature": "sgd: Smith et al. 2018 T = eps N/(2B) (times (N-B)/(N-1) without replacement); sgd-momentum: the same with eps/mu; ngd: the same as sgd; sgd-preconditioned: 1 with the optimal H, null otherwise; asgs: gamma N/(B window); sgld, sghmc, psgld: 1, or --temperature T (sgld, psgld: noise sqrt(eps T), target prop. to posterior^(1/T))",
            "effective_temperature": "tr(P Sigma)/d, P the posterior precision, Sigma the exact stationary covariance",
            "optimal_eps": "sgd: Mandt et al. 2017 Thm 1, eps* = 2 d B/(N tr C) (divided by (N-B)/(N-1) without replacement); null for sgld",
        },
    });
    // Teacher–student: its BBP closed forms beside the exact law.
    if let Problem::TeacherStudent(m) = problem {
        document["closed_forms"] = match theory::bbp::report(m, config) {
            Ok(report) => to_value(serde_json::to_value(report))?,
            Err(e) => json!({ "error": e.to_string() }),
        };
    }
    Ok(document)
}

/// `theory` on a model without a Gaussian posterior: the closed forms that exist for it.
fn model_theory_document(problem: &Problem, config: &SamplerConfig) -> Result<serde_json::Value> {
    use serde_json::json;
    let to_value =
        |value: serde_json::Result<serde_json::Value>| value.map_err(|e| Error::Io(e.to_string()));
    let closed_forms = match problem {
        Problem::DeepLinear(m) => to_value(serde_json::to_value(theory::deep_linear::report(m, config)?))?,
        Problem::TanhRegression(m) => {
            to_value(serde_json::to_value(theory::nonequilibrium::report(m, config)?))?
        }
        Problem::TwoLayer(m) => to_value(serde_json::to_value(theory::mean_field::report(m, config)?))?,
        Problem::TeacherStudent(m) => to_value(serde_json::to_value(theory::bbp::report(m, config)?))?,
        other => {
            return Err(Error::NoClosedForm {
                what: format!(
                    "the model '{}' has no exact stationary law or model-specific closed forms (sampling works)",
                    other.kind_name()
                ),
            })
        }
    };
    let model = problem.model();
    Ok(json!({
        "model": problem.kind_name(),
        "sampler": config.kind.name(),
        "sampler_parameters": to_value(serde_json::to_value(config.kind))?,
        "eps": config.step_size,
        "batch": config.batch_size,
        "batching": config.batching.name(),
        "dimension": model.dimension(),
        "data_size": model.data_size(),
        "closed_forms": closed_forms,
    }))
}
