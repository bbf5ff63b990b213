//! The subcommands. Each returns an exit code or a one-line error message (exit 2).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::json;

use super::{AgainstName, CheckModeName, Command, ProblemKind, SamplerArgs};
use sgbayes::chain::{
    DivergenceGuard, DrawRecorder, Flow, Observer, RunLength, StepView, StopFlag,
};
use sgbayes::json::{law, matrix, vector};
use sgbayes::problem::{write_draws, Problem};
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
            RunLength {
                burn_in,
                steps,
                thin,
            },
            seed,
            &out,
        ),
        Command::Check {
            sampler,
            draws,
            alpha,
            burn_in,
            thin,
            no_diagnosis,
            mode: CheckModeName::Exact,
            ..
        } => check(
            &sampler,
            &draws,
            sgbayes::check::CheckOptions {
                alpha,
                burn_in,
                thin,
                diagnose: !no_diagnosis,
            },
        ),
        Command::Check {
            sampler,
            draws,
            alpha,
            burn_in,
            thin,
            mean_tolerance,
            variance_tolerance,
            against,
            ..
        } => check_tolerance(
            &sampler,
            &draws,
            against,
            sgbayes::check::tolerance::ToleranceOptions {
                tolerance: sgbayes::check::tolerance::Tolerance {
                    mean: mean_tolerance,
                    variance: variance_tolerance,
                },
                alpha,
                burn_in,
                thin,
            },
        ),
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
    use sgbayes::models::{
        DeepLinearParams, LogisticRegressionParams, TanhRegressionParams, TeacherStudentParams,
        TwoLayerParams,
    };
    use sgbayes::recipe::{
        DataModel, GaussianMeanParams, GaussianScaleParams, LinearRegressionParams, ProblemRecipe,
    };
    let (recipe, seed) = match kind {
        ProblemKind::LogisticRegression {
            real_data,
            prior_precision,
            ..
        } if real_data.is_given() => {
            let model = DataModel::LogisticRegression { prior_precision };
            return print_problem(real_data.problem(model)?);
        }
        ProblemKind::LinearRegression {
            real_data,
            noise_variance,
            prior_precision,
            ..
        } if real_data.is_given() => {
            let model = DataModel::LinearRegression {
                noise_variance,
                prior_precision,
            };
            return print_problem(real_data.problem(model)?);
        }
        ProblemKind::LogisticRegression {
            dim,
            data,
            prior_precision,
            feature_scale,
            feature_correlation,
            seed,
            ..
        } => (
            ProblemRecipe::LogisticRegression(LogisticRegressionParams {
                dimension: dim,
                data_size: data,
                prior_precision,
                feature_scale,
                feature_correlation,
            }),
            seed,
        ),
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
        } => (
            ProblemRecipe::TeacherStudent(TeacherStudentParams {
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
            }),
            seed,
        ),
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
        } => (
            ProblemRecipe::TwoLayer(TwoLayerParams {
                input_dimension: input_dim,
                data_size: data,
                width,
                scaling,
                activation,
                readout_scale,
                weight_scale,
                temperature,
                teacher,
                label_noise,
            }),
            seed,
        ),
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
        } => (
            ProblemRecipe::DeepLinear(DeepLinearParams {
                depth,
                hidden_width,
                input_dim,
                output_dim,
                teacher_strengths: teacher,
                label_noise,
                data_size: data,
                noise_variance,
                prior_precision,
            }),
            seed,
        ),
        ProblemKind::TanhRegression {
            data,
            noise_sd,
            regularisation,
            seed,
        } => (
            ProblemRecipe::TanhRegression(TanhRegressionParams {
                data_size: data,
                noise_sd,
                regularisation,
                ..Default::default()
            }),
            seed,
        ),
        ProblemKind::GaussianScale {
            data,
            scale,
            parametrisation,
            seed,
        } => (
            ProblemRecipe::GaussianScale(GaussianScaleParams {
                data_size: data,
                scale,
                parametrisation,
            }),
            seed,
        ),
        ProblemKind::GaussianMean {
            dim,
            data,
            noise_variance,
            prior_precision,
            seed,
        } => (
            ProblemRecipe::GaussianMean(GaussianMeanParams {
                dimension: dim,
                data_size: data,
                noise_variance,
                prior_precision,
            }),
            seed,
        ),
        ProblemKind::LinearRegression {
            dim: Some(dimension),
            data: Some(data_size),
            seed,
            noise_variance,
            prior_precision,
            ..
        } => (
            ProblemRecipe::LinearRegression(LinearRegressionParams {
                dimension,
                data_size,
                noise_variance,
                prior_precision,
            }),
            seed,
        ),
        ProblemKind::LinearRegression { .. } => {
            return Err("--dim and --data are required without --data-file or --dataset".into())
        }
    };
    print_problem(recipe.generate(seed).map_err(|e| e.to_string())?)
}

impl super::RealDataArgs {
    fn is_given(&self) -> bool {
        self.data_file.is_some() || self.dataset.is_some()
    }

    /// The problem of `model` on the requested data table.
    fn problem(&self, model: sgbayes::recipe::DataModel) -> Result<Problem, String> {
        use sgbayes::datasets::{BuiltinDataset, Dataset};
        let table = match (&self.data_file, &self.dataset) {
            (Some(path), _) => Dataset::read_csv(path),
            (None, Some(name)) => BuiltinDataset::from_name(name).and_then(BuiltinDataset::load),
            (None, None) => return Err("give --data-file or --dataset".into()),
        }
        .map_err(|e| e.to_string())?;
        sgbayes::recipe::problem_from_data(&table, model, self.standardise, self.intercept)
            .map_err(|e| e.to_string())
    }
}

/// Reads the problem and computes the closed forms of the configuration.
fn load(args: &SamplerArgs) -> Result<(Problem, TheoryReport), String> {
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    let (config, draw_at) = args.spec()?.config().map_err(|e| e.to_string())?;
    let report =
        sgbayes::workflow::theory(&problem, &config, draw_at).map_err(|e| e.to_string())?;
    Ok((problem, report))
}

fn theory(args: &SamplerArgs) -> CommandResult {
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    let (config, draw_at) = args.spec()?.config().map_err(|e| e.to_string())?;
    let document = sgbayes::workflow::theory_document(&problem, &config, draw_at)
        .map_err(|e| e.to_string())?;
    print_json(&document);
    Ok(0)
}

/// Largest number of kept values (draws × D) `sample` holds in memory (4 GB of f64).
const MAX_DRAW_VALUES: usize = 500_000_000;

/// The problem's dimension if the file can be read cheaply, else 1 (the real read reports errors).
fn args_dimension_hint(args: &SamplerArgs) -> usize {
    Problem::read(&args.problem)
        .map(|p| p.model().dimension())
        .unwrap_or(1)
}

/// Set by the Ctrl-C handler: `sample` stops stepping and writes the draws so far.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
const EXIT_INTERRUPTED: i32 = 130;

/// On the first Ctrl-C, asks the running chain to stop; on a second one, exits at once.
fn stop_on_ctrl_c() {
    // A handler that cannot be installed leaves Ctrl-C's default (the process ends).
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED);
        }
    });
}

/// The progress bar of `sample` (drawn on a terminal only), advanced every [`ProgressTicks::TICK`]
/// steps.
struct ProgressTicks(indicatif::ProgressBar);

impl ProgressTicks {
    const TICK: usize = 1 << 14;

    fn new(total_steps: usize) -> Self {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Self(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(total_steps as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "sampling [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        Self(bar)
    }
}

impl Observer for ProgressTicks {
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        if step.run_step.is_multiple_of(Self::TICK) {
            self.0.inc(Self::TICK as u64);
        }
        Flow::Continue
    }
}

/// Writes the draws atomically: to a temporary file beside `out`, then a rename, so that an
/// interrupted or failed write never leaves a truncated file at `out`.
fn write_draws_atomically(
    out: &std::path::Path,
    draws: &[f64],
    dimension: usize,
) -> Result<(), String> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = out.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    write_draws(&temp, draws, dimension).map_err(|e| e.to_string())?;
    std::fs::rename(&temp, out).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write {}: {e}", out.display())
    })
}

fn sample(
    args: &SamplerArgs,
    length: RunLength,
    seed: u64,
    out: &std::path::Path,
) -> CommandResult {
    stop_on_ctrl_c();
    if length.thin == 0 {
        return Err("--thin must be at least 1".into());
    }
    if length.steps / length.thin == 0 {
        return Err("--steps / --thin leaves no draws to write".into());
    }
    if (length.steps / length.thin).saturating_mul(args_dimension_hint(args)) > MAX_DRAW_VALUES {
        return Err(format!("--steps / --thin would keep more than {MAX_DRAW_VALUES} values; thin more or run fewer steps"));
    }
    let (config, draw_at) = args.spec()?.config().map_err(|e| e.to_string())?;
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    let model = problem.model();
    let timer = Instant::now();
    let sgbayes::workflow::PreparedRun {
        mut chain,
        length,
        steps_between_draws: reported_thin,
        window,
    } = sgbayes::workflow::prepare_run(&problem, &config, draw_at, length, seed, None)
        .map_err(|e| e.to_string())?;
    let d = model.dimension();
    let mut recorder = DrawRecorder::new(d, chain.draw_capacity(&length));
    let mut progress = ProgressTicks::new(length.burn_in + length.steps);
    let mut guard = DivergenceGuard::default();
    let run = chain.execute(
        &length,
        &mut (
            &mut recorder,
            &mut progress,
            StopFlag(&INTERRUPTED),
            &mut guard,
        ),
    );
    progress.0.finish_and_clear();
    // A diverged chain writes no file: NaN draws are not draws.
    guard.result().map_err(|e| e.to_string())?;
    let seconds = timer.elapsed().as_secs_f64();
    write_draws_atomically(out, &recorder.draws, d)?;
    let mut summary = json!({
        "draws": run.draws,
        "dimension": d,
        "out": out.display().to_string(),
        "seed": seed,
        "steps": length.steps,
        "burn_in": length.burn_in,
        "thin": reported_thin,
        "gradient_evaluations": run.gradient_evaluations,
        "non_finite_draws": recorder.non_finite_draws,
        "mean": vector(&recorder.moments.mean()),
        "covariance": matrix(&recorder.moments.covariance()),
        "seconds": seconds,
        "interrupted": run.stopped,
    });
    if let Some(window) = window {
        summary["window"] = json!(window);
    }
    print_json(&summary);
    if run.stopped {
        eprintln!(
            "interrupted after {} of {} steps: wrote the {} draws so far to {}",
            run.steps,
            length.burn_in + length.steps,
            run.draws,
            out.display()
        );
        return Ok(EXIT_INTERRUPTED);
    }
    Ok(0)
}

fn check(
    args: &SamplerArgs,
    draws_paths: &[std::path::PathBuf],
    options: sgbayes::check::CheckOptions,
) -> CommandResult {
    use sgbayes::check::{check_sampler_source, Verdict};
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(format!("--alpha must lie in (0, 1), got {}", options.alpha));
    }
    let (problem, report) = load(args)?;
    let config = args.config()?;
    let kind = config.kind;
    if let Some(reason) = sgbayes::theory::reference_law_only(&kind) {
        return Err(format!("{} has no exact stationary law to check draws against ({reason}); `sgbayes theory` reports that reference law, and the same sampler with the matrix held fixed (psgld --preconditioner G_FILE, sgfs --fisher I_FILE) is checked exactly", kind.name()));
    }
    let d = problem.model().dimension();
    let files = super::npy_stream::DrawsFiles::open(draws_paths, d)?;
    let source = files.source()?;
    let result = check_sampler_source(
        source.as_ref(),
        &problem,
        &config,
        args.draw_at(&config)?,
        &options,
    )
    .map_err(|e| e.to_string())?;
    let mut document = serde_json::to_value(&result).map_err(|e| e.to_string())?;
    if let Some(object) = document.as_object_mut() {
        object.insert(
            "null".into(),
            json!("draws are stationary chains of the configured sampler: mean and covariance equal the exact discrete-time stationary law, autocovariances within what its exact autocovariances allow"),
        );
        // The moment test keeps its historical key.
        let moment = object
            .remove("moment_test")
            .unwrap_or(serde_json::Value::Null);
        object.insert("test".into(), moment);
        object.insert("stationary".into(), law(&report.stationary));
    }
    print_json(&document);
    match result.verdict {
        Verdict::Consistent => Ok(0),
        Verdict::Inconsistent => {
            eprintln!("{}", result.message);
            Ok(1)
        }
        Verdict::NoVerdict => Err(result.message),
    }
}

/// `check --mode tolerance`: the equivalence test of the draws' means and variances against the
/// posterior or the sampler's law. Exit 0 within tolerance, 1 outside, 2 cannot tell.
fn check_tolerance(
    args: &SamplerArgs,
    draws_paths: &[std::path::PathBuf],
    against: AgainstName,
    options: sgbayes::check::tolerance::ToleranceOptions,
) -> CommandResult {
    use sgbayes::check::tolerance::{check_tolerance, ToleranceVerdict};
    use sgbayes::check::ChainDraws;
    let problem = Problem::read(&args.problem).map_err(|e| e.to_string())?;
    let (config, draw_at) = args.spec()?.config().map_err(|e| e.to_string())?;
    let target = match against {
        AgainstName::Posterior => {
            let model = problem
                .require_quadratic("the posterior-with-tolerance check")
                .map_err(|e| e.to_string())?;
            sgbayes::theory::exact_posterior(model).map_err(|e| e.to_string())?
        }
        AgainstName::Reference => {
            sgbayes::workflow::theory(&problem, &config, draw_at)
                .map_err(|e| e.to_string())?
                .stationary
        }
    };
    let d = problem.model().dimension();
    let (values, chains, draws) = read_chains(draws_paths, d)?;
    let view = ChainDraws::new(&values, chains, draws, d).map_err(|e| e.to_string())?;
    let result = check_tolerance(&view, &target, &options).map_err(|e| e.to_string())?;
    let mut document = serde_json::to_value(&result).map_err(|e| e.to_string())?;
    if let Some(object) = document.as_object_mut() {
        object.insert("mode".into(), json!("tolerance"));
        object.insert(
            "against".into(),
            json!(match against {
                AgainstName::Posterior => "posterior",
                AgainstName::Reference => "reference",
            }),
        );
        object.insert("target".into(), law(&target));
    }
    print_json(&document);
    match result.verdict {
        ToleranceVerdict::WithinTolerance => Ok(0),
        ToleranceVerdict::OutsideTolerance => {
            eprintln!("{}", result.message);
            Ok(1)
        }
        ToleranceVerdict::CannotTell => Err(result.message),
    }
}

/// Reads one or several draws files into row-major [chains, draws, D] values; several files are
/// chains of equal length.
fn read_chains(paths: &[std::path::PathBuf], d: usize) -> Result<(Vec<f64>, usize, usize), String> {
    use sgbayes::problem::read_draws_array;
    let mut values = Vec::new();
    let (mut chains, mut draws) = (0, None);
    for path in paths {
        let array = read_draws_array(path).map_err(|e| e.to_string())?;
        if array.dimension != d {
            let transposed = if array.chains == 1 && array.draws == d {
                format!(
                    ": it looks transposed ([{d}, {}]); save x.T",
                    array.dimension
                )
            } else {
                String::new()
            };
            return Err(format!(
                "draws file {} has {} columns but the problem has dimension D = {d}; expected [draws, {d}] or [chains, draws, {d}]{transposed}",
                path.display(),
                array.dimension
            ));
        }
        if *draws.get_or_insert(array.draws) != array.draws {
            return Err(format!(
                "draws file {} has {} draws per chain but the first file has {}; give chains of equal length (or trim them with the same length)",
                path.display(),
                array.draws,
                draws.unwrap_or(0)
            ));
        }
        chains += array.chains;
        values.extend(array.values);
    }
    Ok((values, chains, draws.unwrap_or(0)))
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
            let (mut agree, mut explained, mut unexplained) = (0, 0, Vec::new());
            for r in registry() {
                let verdicts = reproduce_one(r, quick, out, seed)?;
                agree += verdicts.agree;
                explained += verdicts.differ_explained.len();
                unexplained.extend(
                    verdicts
                        .differ_unexplained
                        .iter()
                        .map(|q| format!("{}: {q}", r.id)),
                );
            }
            eprintln!(
                "all reproductions done in {:.1} s",
                timer.elapsed().as_secs_f64()
            );
            println!(
                "verdicts: {agree} rows agree, {explained} differ for a stated reason, {} differ without one",
                unexplained.len()
            );
            for row in &unexplained {
                println!("  differs: {row}");
            }
            Ok(0)
        }
        id => match find(id) {
            None => Err(format!(
                "unknown reproduction '{id}' (try `sgbayes reproduce list`)"
            )),
            Some(r) => reproduce_one(r, quick, out, seed).map(|_| 0),
        },
    }
}

/// Runs one reproduction and writes its report directory under `out`.
fn reproduce_one(
    r: &sgbayes::reproductions::Reproduction,
    quick: bool,
    out: &std::path::Path,
    seed: u64,
) -> Result<sgbayes::reproductions::numbers::VerdictCounts, String> {
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
    Ok(rendered.verdicts)
}
