//! The subcommands. Each returns an exit code or a one-line error message (exit 2).

use std::time::Instant;

use nalgebra::DVector;
use serde_json::json;

use super::json::{law, matrix, number, vector};
use super::{Command, ProblemKind, SamplerArgs};
use sgbayes::chain::{Chain, ChainSettings};
use sgbayes::config::SamplerKind;
use sgbayes::problem::{generate_linear_regression, read_draws, write_draws, Problem};
use sgbayes::stats::{gaussian_moment_test, StreamingMoments};
use sgbayes::theory::TheoryReport;

type CommandResult = Result<i32, String>;

pub fn run(command: Command) -> CommandResult {
    match command {
        Command::Problem { kind } => problem(kind),
        Command::Theory(args) => theory(&args),
        Command::Sample {
            sampler,
            steps,
            burn_in,
            thin,
            seed,
            out,
        } => sample(
            &sampler,
            ChainSettings {
                steps,
                burn_in,
                thin,
                seed,
            },
            &out,
        ),
        Command::Check {
            sampler,
            draws,
            alpha,
        } => check(&sampler, &draws, alpha),
        Command::Reproduce {
            target,
            quick,
            out,
            seed,
        } => reproduce(&target, quick, &out, seed),
    }
}

/// Prints a JSON document; a closed stdout (e.g. `| head`) is ignored rather than a panic.
fn print_json(value: &serde_json::Value) {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value).expect("JSON values always serialise");
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Prints a problem file.
fn print_problem(problem: Problem) -> CommandResult {
    println!(
        "{}",
        serde_json::to_string(&problem.to_file()).map_err(|e| e.to_string())?
    );
    Ok(0)
}

fn problem(kind: ProblemKind) -> CommandResult {
    use sgbayes::models::{Activation, Scaling, Teacher};
    match kind {
        ProblemKind::LogisticRegression {
            dim,
            data,
            prior_precision,
            feature_scale,
            feature_correlation,
            seed,
        } => {
            let params = sgbayes::models::LogisticRegressionParams {
                dimension: dim,
                data_size: data,
                prior_precision,
                feature_scale,
                feature_correlation,
            };
            let model = sgbayes::models::generate_logistic_regression(&params, seed)
                .map_err(|e| e.to_string())?;
            print_problem(Problem::LogisticRegression(model))
        }
        ProblemKind::TeacherStudent {
            outputs,
            inputs,
            rank,
            signal,
            signal_ratio,
            label_noise,
            data,
            noise_variance,
            prior_precision,
            init_scale,
            no_whiten,
            seed,
        } => {
            let params = sgbayes::models::TeacherStudentParams {
                outputs,
                inputs,
                rank,
                signal,
                signal_ratio,
                label_noise,
                data_size: data,
                noise_variance,
                prior_precision,
                init_scale,
                whiten: !no_whiten,
            };
            let model = sgbayes::models::generate_teacher_student(&params, seed)
                .map_err(|e| e.to_string())?;
            print_problem(Problem::TeacherStudent(model))
        }
        ProblemKind::TwoLayer {
            input_dim,
            data,
            width,
            scaling,
            activation,
            readout_scale,
            weight_scale,
            temperature,
            teacher,
            label_noise,
            seed,
        } => {
            let params = sgbayes::models::TwoLayerParams {
                input_dimension: input_dim,
                data_size: data,
                width,
                scaling: match scaling {
                    super::ScalingName::Standard => Scaling::Standard,
                    super::ScalingName::MeanField => Scaling::MeanField,
                },
                activation: match activation {
                    super::ActivationName::Erf => Activation::Erf,
                    super::ActivationName::Relu => Activation::Relu,
                    super::ActivationName::Linear => Activation::Linear,
                },
                readout_scale,
                weight_scale,
                temperature,
                teacher: match teacher {
                    super::TeacherName::Linear => Teacher::Linear,
                    super::TeacherName::SingleIndexErf => Teacher::SingleIndexErf,
                },
                label_noise,
            };
            let model =
                sgbayes::models::generate_two_layer(&params, seed).map_err(|e| e.to_string())?;
            print_problem(Problem::TwoLayer(model))
        }
        ProblemKind::DeepLinear {
            depth,
            hidden_width,
            input_dim,
            output_dim,
            teacher,
            label_noise,
            data,
            noise_variance,
            prior_precision,
            seed,
        } => {
            let params = sgbayes::models::DeepLinearParams {
                depth,
                hidden_width,
                input_dim,
                output_dim,
                teacher_strengths: teacher,
                label_noise,
                data_size: data,
                noise_variance,
                prior_precision,
            };
            let model =
                sgbayes::models::generate_deep_linear(&params, seed).map_err(|e| e.to_string())?;
            print_problem(Problem::DeepLinear(model))
        }
        ProblemKind::TanhRegression {
            data,
            noise_sd,
            regularisation,
            seed,
        } => {
            let params = sgbayes::models::TanhRegressionParams {
                data_size: data,
                noise_sd,
                regularisation,
                ..Default::default()
            };
            let model = sgbayes::models::generate_tanh_regression(&params, seed)
                .map_err(|e| e.to_string())?;
            print_problem(Problem::TanhRegression(model))
        }
        ProblemKind::GaussianScale {
            data,
            scale,
            parametrisation,
            seed,
        } => {
            let parametrisation = match parametrisation {
                super::ParametrisationName::Scale => sgbayes::models::ScaleParametrisation::Scale,
                super::ParametrisationName::LogScale => {
                    sgbayes::models::ScaleParametrisation::LogScale
                }
            };
            let model =
                sgbayes::problem::generate_gaussian_scale(data, scale, parametrisation, seed)
                    .map_err(|e| e.to_string())?;
            print_problem(Problem::GaussianScale(model))
        }
        ProblemKind::LinearRegression {
            dim,
            data,
            seed,
            noise_variance,
            prior_precision,
        } => {
            let model =
                generate_linear_regression(dim, data, seed, noise_variance, prior_precision)
                    .map_err(|e| e.to_string())?;
            print_problem(Problem::LinearRegression(model))
        }
    }
}

/// Reads the problem and computes the closed forms of the configuration.
fn load(args: &SamplerArgs) -> Result<(Problem, TheoryReport), String> {
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    let config = args.config()?;
    let model = problem
        .require_quadratic("the exact stationary law")
        .map_err(|e| e.to_string())?;
    let report = compute_report(model, &config, args.draw_at(&config)?)?;
    Ok((problem, report))
}

/// The closed forms, with the reshuffled law at the requested draw times when batches are reshuffled.
fn compute_report(
    model: &dyn sgbayes::models::QuadraticModel,
    config: &sgbayes::config::SamplerConfig,
    draw_at: sgbayes::theory::DrawAt,
) -> Result<TheoryReport, String> {
    if config.batching == sgbayes::batching::Batching::Reshuffle {
        TheoryReport::compute_reshuffled(model, config, draw_at)
    } else {
        TheoryReport::compute(model, config)
    }
    .map_err(|e| e.to_string())
}

/// `theory` on a model without a Gaussian posterior: the closed forms that exist for it.
fn model_theory(problem: &Problem, args: &SamplerArgs) -> CommandResult {
    let config = args.config()?;
    let closed_forms = match problem {
        Problem::DeepLinear(m) => serde_json::to_value(
            sgbayes::theory::deep_linear::report(m, &config).map_err(|e| e.to_string())?,
        ),
        Problem::TanhRegression(m) => serde_json::to_value(
            sgbayes::theory::nonequilibrium::report(m, &config).map_err(|e| e.to_string())?,
        ),
        Problem::TwoLayer(m) => serde_json::to_value(
            sgbayes::theory::mean_field::report(m, &config).map_err(|e| e.to_string())?,
        ),
        Problem::TeacherStudent(m) => serde_json::to_value(
            sgbayes::theory::bbp::report(m, &config).map_err(|e| e.to_string())?,
        ),
        other => {
            return Err(format!(
                "no closed form yet: the model '{}' has no exact stationary law or model-specific closed forms (sampling works)",
                other.kind_name()
            ))
        }
    }
    .map_err(|e| e.to_string())?;
    let model = problem.model();
    print_json(&json!({
        "model": problem.kind_name(),
        "sampler": config.kind.name(),
        "sampler_parameters": serde_json::to_value(config.kind).map_err(|e| e.to_string())?,
        "eps": config.step_size,
        "batch": config.batch_size,
        "batching": config.batching.name(),
        "dimension": model.dimension(),
        "data_size": model.data_size(),
        "closed_forms": closed_forms,
    }));
    Ok(0)
}

fn theory(args: &SamplerArgs) -> CommandResult {
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    // Teacher–student beyond the exact solver's state dimension: its BBP closed forms only.
    let beyond_exact = matches!(&problem, Problem::TeacherStudent(m)
        if sgbayes::models::Model::dimension(m) > sgbayes::theory::MAX_STATE_DIMENSION);
    if problem.quadratic().is_none() || beyond_exact {
        return model_theory(&problem, args);
    }
    let (problem, report) = load(args)?;
    let config = args.config()?;
    let model = problem.model();
    let mut document = json!({
        "sampler": config.kind.name(),
        "sampler_parameters": serde_json::to_value(config.kind).map_err(|e| e.to_string())?,
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
    if let Problem::TeacherStudent(m) = &problem {
        document["closed_forms"] = match sgbayes::theory::bbp::report(m, &config) {
            Ok(report) => serde_json::to_value(report).map_err(|e| e.to_string())?,
            Err(e) => json!({ "error": e.to_string() }),
        };
    }
    print_json(&document);
    Ok(0)
}

/// The start of a chain on a quadratic model: the stationary mean when the exact law exists, else
/// the posterior mean.
fn quadratic_start(
    model: &dyn sgbayes::models::QuadraticModel,
    config: &sgbayes::config::SamplerConfig,
) -> Result<DVector<f64>, String> {
    match TheoryReport::compute(model, config) {
        Ok(report) => Ok(report.stationary.mean),
        // No closed form, a state too large for the exact solver, or an ill-conditioned solve:
        // sampling still works, from the posterior mean.
        Err(sgbayes::Error::NoClosedForm { .. } | sgbayes::Error::IllConditioned { .. }) => {
            Ok(sgbayes::theory::exact_posterior(model)
                .map_err(|e| e.to_string())?
                .mean)
        }
        Err(sgbayes::Error::Invalid { what, .. }) if what == "state dimension" => {
            Ok(sgbayes::theory::exact_posterior(model)
                .map_err(|e| e.to_string())?
                .mean)
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Largest number of kept values (draws × D) `sample` holds in memory (4 GB of f64).
const MAX_DRAW_VALUES: usize = 500_000_000;

/// The problem's dimension if the file can be read cheaply, else 1 (the real read reports errors).
fn args_dimension_hint(args: &SamplerArgs) -> usize {
    Problem::read(&args.problem)
        .map(|p| p.model().dimension())
        .unwrap_or(1)
}

fn sample(args: &SamplerArgs, settings: ChainSettings, out: &std::path::Path) -> CommandResult {
    if settings.thin == 0 {
        return Err("--thin must be at least 1".into());
    }
    if settings.steps / settings.thin == 0 {
        return Err("--steps / --thin leaves no draws to write".into());
    }
    if (settings.steps / settings.thin).saturating_mul(args_dimension_hint(args)) > MAX_DRAW_VALUES
    {
        return Err(format!("--steps / --thin would keep more than {MAX_DRAW_VALUES} values; thin more or run fewer steps"));
    }
    let config = args.config()?;
    let draw_at = args.draw_at(&config)?;
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    let model = problem.model();
    // Epoch-end draws: burn-in rounded up to whole epochs, and one draw every `thin` epochs.
    let mut settings = settings;
    if draw_at == sgbayes::theory::DrawAt::EpochEnd {
        let epoch = model.data_size() / config.batch_size.max(1);
        settings.burn_in = settings.burn_in.div_ceil(epoch) * epoch;
        settings.thin *= epoch;
        if settings.steps / settings.thin == 0 {
            return Err(format!(
                "--steps {} is shorter than --thin {} epochs of {epoch} steps: no draws",
                settings.steps,
                settings.thin / epoch
            ));
        }
    }
    // Draws at the ends of cycles of L steps (momentum-refreshed trajectories): burn-in rounded
    // up to whole cycles, and one draw every `thin` cycles.
    if let Some(period) = config.kind.draw_period() {
        settings.burn_in = settings.burn_in.div_ceil(period) * period;
        settings.thin *= period;
        if settings.steps / settings.thin == 0 {
            return Err(format!(
                "--steps {} is shorter than --thin {} trajectories of {period} steps: no draws",
                settings.steps,
                settings.thin / period
            ));
        }
    }
    let (start, config) = match problem.quadratic() {
        // Teacher–student trains from its random initial matrix (the BBP setting).
        Some(_) if matches!(problem, Problem::TeacherStudent(_)) => {
            (problem.initial_parameter(), config)
        }
        Some(quadratic) => (
            quadratic_start(quadratic, &config)?,
            // Mandt's optimal preconditioners depend on the model: the sampler runs with their matrices.
            sgbayes::theory::resolve_preconditioner(&config, quadratic)
                .map_err(|e| e.to_string())?,
        ),
        None => (problem.initial_parameter(), config),
    };
    let timer = Instant::now();
    let mut chain =
        Chain::new(model, &config, start.as_slice(), settings.seed).map_err(|e| e.to_string())?;
    if let SamplerKind::Asgs { window } = config.kind {
        return sample_window_means(&mut chain, window, config.batch_size, settings, out, timer);
    }
    let output = chain.run(&settings, |_| {});
    let seconds = timer.elapsed().as_secs_f64();
    write_draws(out, &output.draws, output.dimension).map_err(|e| e.to_string())?;
    print_json(&json!({
        "draws": output.len(),
        "dimension": output.dimension,
        "out": out.display().to_string(),
        "seed": settings.seed,
        "steps": settings.steps,
        "burn_in": settings.burn_in,
        "thin": settings.thin,
        "gradient_evaluations": output.gradient_evaluations,
        "non_finite_draws": output.non_finite_draws,
        "mean": vector(&output.moments.mean()),
        "covariance": matrix(&output.moments.covariance()),
        "seconds": seconds,
    }));
    Ok(0)
}

/// ASGS: after burn-in, the means of consecutive windows of `window` SGD iterates are the draws;
/// `--thin k` keeps every k-th window mean.
fn sample_window_means(
    chain: &mut Chain,
    window: usize,
    batch_size: usize,
    settings: ChainSettings,
    out: &std::path::Path,
    timer: Instant,
) -> CommandResult {
    let d = chain.state().len();
    for _ in 0..settings.burn_in {
        chain.step();
    }
    let mut sum = vec![0.0; d];
    let mut draws = Vec::new();
    let mut moments = StreamingMoments::new(d);
    let mut non_finite_draws = 0;
    let mut windows = 0usize;
    for k in 0..settings.steps {
        chain.step();
        for (s, x) in sum.iter_mut().zip(chain.state()) {
            *s += x;
        }
        if (k + 1) % window == 0 {
            windows += 1;
            if windows.is_multiple_of(settings.thin) {
                let mean: Vec<f64> = sum.iter().map(|s| s / window as f64).collect();
                if moments.push(&mean).is_err() {
                    non_finite_draws += 1;
                }
                draws.extend_from_slice(&mean);
            }
            sum.fill(0.0);
        }
    }
    if draws.is_empty() {
        return Err("--steps is shorter than --window × --thin: no window mean to write".into());
    }
    let seconds = timer.elapsed().as_secs_f64();
    write_draws(out, &draws, d).map_err(|e| e.to_string())?;
    print_json(&json!({
        "draws": draws.len() / d,
        "dimension": d,
        "out": out.display().to_string(),
        "seed": settings.seed,
        "steps": settings.steps,
        "burn_in": settings.burn_in,
        "thin": settings.thin,
        "window": window,
        "gradient_evaluations": (settings.burn_in + settings.steps) as u64 * batch_size as u64,
        "non_finite_draws": non_finite_draws,
        "mean": vector(&moments.mean()),
        "covariance": matrix(&moments.covariance()),
        "seconds": seconds,
    }));
    Ok(0)
}

fn check(args: &SamplerArgs, draws_path: &std::path::Path, alpha: f64) -> CommandResult {
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(format!("--alpha must lie in (0, 1), got {alpha}"));
    }
    let (problem, report) = load(args)?;
    if let SamplerKind::SgfsOnline { .. } = args.config()?.kind {
        return Err("sgfs-online has no exact stationary law to check draws against (its running Fisher estimate carries memory); `sgbayes theory` reports its self-consistent fixed-Fisher reference law, and `check --sampler sgfs --fisher I_FILE` checks fixed-Fisher SGFS exactly".into());
    }
    if let SamplerKind::PsgldRmsprop { .. } | SamplerKind::PsgldRmspropGeneral { .. } =
        args.config()?.kind
    {
        return Err("psgld-rmsprop has no exact stationary law to check draws against (its adaptive preconditioner carries memory); `sgbayes theory` reports its self-consistent fixed-G reference law, and `check --sampler psgld --preconditioner G_FILE` checks a fixed-G pSGLD exactly".into());
    }
    // The covariance functionals need finite fourth moments of the stationary law.
    let config = args.config()?;
    if config.batching != sgbayes::batching::Batching::Reshuffle {
        if let Some(quadratic) = problem.quadratic() {
            let resolved = sgbayes::theory::resolve_preconditioner(&config, quadratic)
                .map_err(|e| e.to_string())?;
            let map =
                sgbayes::theory::affine_map(&resolved, quadratic).map_err(|e| e.to_string())?;
            if !map.fourth_moments_screen() {
                return Err("the stationary law may lack finite fourth moments (multiplicative minibatch noise gives power-law tails), which the covariance test needs: use a smaller --eps or a larger --batch".into());
            }
        }
    }
    let (draws, dimension) = read_draws(draws_path).map_err(|e| e.to_string())?;
    let d = problem.model().dimension();
    if dimension != d {
        return Err(format!(
            "draws have {dimension} columns but the problem has dimension {d}"
        ));
    }
    let test = gaussian_moment_test(
        &draws,
        &report.stationary.mean,
        &report.stationary.covariance,
        alpha,
    )
    .map_err(|e| e.to_string())?;
    let consistent = !test.reject;
    print_json(&json!({
        "verdict": if consistent { "consistent" } else { "inconsistent" },
        "null": "draws are one stationary chain of the configured sampler: mean and covariance equal the exact discrete-time stationary law",
        "p_value": test.p_value,
        "alpha": alpha,
        "test": serde_json::to_value(&test).map_err(|e| e.to_string())?,
        "stationary": law(&report.stationary),
    }));
    Ok(if consistent { 0 } else { 1 })
}

fn reproduce(target: &str, quick: bool, out: &std::path::Path, seed: u64) -> CommandResult {
    use sgbayes::reproductions::{find, registry};
    match target {
        "list" => {
            for r in registry() {
                println!("{:<28} {}", r.id, r.description);
            }
            Ok(0)
        }
        "all" => {
            let timer = Instant::now();
            for r in registry() {
                reproduce_one(r, quick, out, seed)?;
            }
            eprintln!(
                "all reproductions done in {:.1} s",
                timer.elapsed().as_secs_f64()
            );
            Ok(0)
        }
        id => match find(id) {
            None => Err(format!(
                "unknown reproduction '{id}' (try `sgbayes reproduce list`)"
            )),
            Some(r) => reproduce_one(r, quick, out, seed).map(|()| 0),
        },
    }
}

/// Runs one reproduction and writes its report directory under `out`.
fn reproduce_one(
    r: &sgbayes::reproductions::Reproduction,
    quick: bool,
    out: &std::path::Path,
    seed: u64,
) -> Result<(), String> {
    use sgbayes::reproductions::{write_report, Config, RunInfo, DEFAULT_SEED};
    use std::io::IsTerminal;
    let config = Config {
        quick,
        seed,
        progress: std::io::stderr().is_terminal(),
    };
    let timer = Instant::now();
    let rendered = r.run(&config).map_err(|e| format!("{}: {e}", r.id))?;
    let seconds = timer.elapsed().as_secs_f64();
    let mut command = format!("cargo run --release -- reproduce {}", r.id);
    if quick {
        command.push_str(" --quick");
    }
    if seed != DEFAULT_SEED {
        command.push_str(&format!(" --seed {seed}"));
    }
    if out != std::path::Path::new("reproductions") {
        command.push_str(&format!(" --out {}", out.display()));
    }
    let info = RunInfo {
        command,
        seed,
        quick,
        crate_version: env!("CARGO_PKG_VERSION"),
        seconds,
        threads: rayon::current_num_threads(),
    };
    let dir = write_report(out, &rendered, &info).map_err(|e| format!("{}: {e}", r.id))?;
    println!("{:<28} {:>7.1} s  {}", r.id, seconds, dir.display());
    Ok(())
}
