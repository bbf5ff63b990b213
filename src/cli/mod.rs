//! Argument parsing and subcommand dispatch (binary only: the library knows nothing of the CLI).

mod commands;
mod npy_stream;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use sgbayes::batching::Batching;
use sgbayes::config::{SamplerConfig, SamplerId};
use sgbayes::models::{
    Activation, DeepLinearParams, LogisticRegressionParams, ScaleParametrisation, Scaling,
    TanhRegressionParams, Teacher, TeacherStudentParams, TwoLayerParams,
};
use sgbayes::spec::{AnchorSpec, MatrixSpec, SamplerFlags, SamplerSpec};
use sgbayes::theory::DrawAt;

/// Checks stochastic-gradient samplers against the exact stationary laws of solvable models.
#[derive(Parser, Debug)]
#[command(name = "sgbayes", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print a problem file (JSON) to stdout.
    Problem {
        #[command(subcommand)]
        kind: ProblemKind,
    },
    /// Print the closed forms (posterior, exact stationary law, OU approximation, tuning) as JSON.
    Theory(SamplerArgs),
    /// Run a sampler, write its draws as a float64 .npy [draws, D] and print a JSON summary.
    Sample {
        #[command(flatten)]
        sampler: SamplerArgs,
        /// Steps after burn-in.
        #[arg(long)]
        steps: usize,
        /// Discarded initial steps.
        #[arg(long, default_value_t = 0)]
        burn_in: usize,
        /// Keep every M-th state.
        #[arg(long, default_value_t = 1)]
        thin: usize,
        /// Seed of the two ChaCha8 streams (minibatches and noise).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output .npy path.
        #[arg(long)]
        out: PathBuf,
    },
    /// Test draws from any program against the exact stationary law (exit 0 consistent, 1 not, 2 bad
    /// input or too few draws for a verdict), naming the common mistake that fits inconsistent draws.
    Check {
        #[command(flatten)]
        sampler: SamplerArgs,
        /// Draws: .npy of float64 or float32, [draws, D] (one chain in order) or
        /// [chains, draws, D]; repeat --draws for chains in separate files.
        #[arg(long, required = true)]
        draws: Vec<PathBuf>,
        /// Family-wise false-positive rate of the test.
        #[arg(long, default_value_t = 1e-3)]
        alpha: f64,
        /// Draws to discard at the start of every chain.
        #[arg(long, default_value_t = 0)]
        burn_in: usize,
        /// Keep every M-th draw (after the burn-in).
        #[arg(long, default_value_t = 1)]
        thin: usize,
        /// Skip the catalogue of common mistakes when the draws are inconsistent.
        #[arg(long)]
        no_diagnosis: bool,
        /// `exact`: test against the sampler's exact stationary law; `tolerance`: an equivalence
        /// test that the draws' means and variances lie within --mean-tolerance and
        /// --variance-tolerance of the posterior (or of the sampler's law, --against reference),
        /// for samplers without an exact law (sgnht, psgld-rmsprop, any sampler at a tiny step).
        #[arg(long, value_enum, default_value = "exact")]
        mode: CheckModeName,
        /// Tolerance mode: how far each whitened mean may lie from the target's, in target
        /// standard deviations.
        #[arg(long, default_value_t = 0.1)]
        mean_tolerance: f64,
        /// Tolerance mode: the relative error each whitened variance may have.
        #[arg(long, default_value_t = 0.1)]
        variance_tolerance: f64,
        /// Tolerance mode: the target law — the exact posterior, or the sampler's exact or
        /// reference stationary law (what `sgbayes theory` reports as `stationary`).
        #[arg(long, value_enum, default_value = "posterior")]
        against: AgainstName,
    },
    /// Regenerate the paper reproductions under reproductions/.
    Reproduce {
        /// `list`, `all`, or a reproduction id (see `sgbayes reproduce list`).
        target: String,
        /// Reduced configuration (the one the tests use).
        #[arg(long)]
        quick: bool,
        /// Output directory.
        #[arg(long, default_value = "reproductions")]
        out: PathBuf,
        /// Master seed (run k of a reproduction is seeded from (seed, k)).
        #[arg(long, default_value_t = sgbayes::reproductions::DEFAULT_SEED)]
        seed: u64,
    },
}

/// What `check` tests the draws against.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum CheckModeName {
    /// The sampler's exact stationary law (consistent / inconsistent).
    Exact,
    /// Equivalence within a tolerance (within / outside / cannot tell).
    Tolerance,
}

/// The target of the tolerance mode.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum AgainstName {
    /// The exact posterior.
    Posterior,
    /// The sampler's exact or reference stationary law.
    Reference,
}

/// Defaults of the problem generators: the library's, shared with the Python package.
fn logistic_defaults() -> LogisticRegressionParams {
    LogisticRegressionParams::default()
}
fn teacher_student_defaults() -> TeacherStudentParams {
    TeacherStudentParams::default()
}
fn two_layer_defaults() -> TwoLayerParams {
    TwoLayerParams::default()
}
fn deep_linear_defaults() -> DeepLinearParams {
    DeepLinearParams::default()
}
fn tanh_defaults() -> TanhRegressionParams {
    TanhRegressionParams::default()
}

#[derive(Subcommand, Debug)]
enum ProblemKind {
    /// Bayesian logistic regression: correlated Gaussian features (Cov = s² ρ^|j−k|), labels drawn
    /// from the model at a prior draw θ₀ (Mandt et al.'s experiment, synthetic).
    LogisticRegression {
        /// Dimension D.
        #[arg(long, default_value_t = logistic_defaults().dimension)]
        dim: usize,
        /// Number of data points N.
        #[arg(long, default_value_t = logistic_defaults().data_size)]
        data: usize,
        /// Prior precision λ.
        #[arg(long, default_value_t = logistic_defaults().prior_precision, allow_negative_numbers = true)]
        prior_precision: f64,
        /// Feature scale s.
        #[arg(long, default_value_t = logistic_defaults().feature_scale, allow_negative_numbers = true)]
        feature_scale: f64,
        /// Correlation ρ of neighbouring features.
        #[arg(long, default_value_t = logistic_defaults().feature_correlation, allow_negative_numbers = true)]
        feature_correlation: f64,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[command(flatten)]
        real_data: RealDataArgs,
    },
    /// Linear teacher–student (Park et al. setting): W ∈ R^{n×m} learned from a rank-r teacher with
    /// whitened Gaussian inputs and label noise; quadratic, with BBP closed forms.
    TeacherStudent {
        /// Outputs n (rows of W).
        #[arg(long, default_value_t = teacher_student_defaults().outputs)]
        outputs: usize,
        /// Inputs m (columns of W).
        #[arg(long, default_value_t = teacher_student_defaults().inputs)]
        inputs: usize,
        /// Teacher rank r.
        #[arg(long, default_value_t = teacher_student_defaults().rank)]
        rank: usize,
        /// Largest teacher singular value θ*.
        #[arg(long, default_value_t = teacher_student_defaults().signal, allow_negative_numbers = true)]
        signal: f64,
        /// Ratio of consecutive teacher singular values.
        #[arg(long, default_value_t = teacher_student_defaults().signal_ratio, allow_negative_numbers = true)]
        signal_ratio: f64,
        /// Label-noise standard deviation σ_ε.
        #[arg(long, default_value_t = teacher_student_defaults().label_noise, allow_negative_numbers = true)]
        label_noise: f64,
        /// Number of examples N.
        #[arg(long, default_value_t = teacher_student_defaults().data_size)]
        data: usize,
        /// Likelihood variance σ².
        #[arg(long, default_value_t = teacher_student_defaults().noise_variance, allow_negative_numbers = true)]
        noise_variance: f64,
        /// Prior precision λ.
        #[arg(long, default_value_t = teacher_student_defaults().prior_precision, allow_negative_numbers = true)]
        prior_precision: f64,
        /// σ₀ of the initial matrix W₀ (entries N(0, σ₀²/m)).
        #[arg(long, default_value_t = teacher_student_defaults().init_scale, allow_negative_numbers = true)]
        init_scale: f64,
        /// Keep the raw Gaussian inputs instead of whitening the sample exactly.
        #[arg(long)]
        no_whiten: bool,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Two-layer network f(x) = N^{−γ} Σ a_i φ(w_i·x) with Gaussian priors at temperature T
    /// (Göring et al. mean-field SGLD setting), on teacher data.
    TwoLayer {
        /// Input dimension d.
        #[arg(long, default_value_t = two_layer_defaults().input_dimension)]
        input_dim: usize,
        /// Training set size P.
        #[arg(long, default_value_t = two_layer_defaults().data_size)]
        data: usize,
        /// Hidden width N.
        #[arg(long, default_value_t = two_layer_defaults().width)]
        width: usize,
        /// Output scaling.
        #[arg(long, value_enum, default_value_t = two_layer_defaults().scaling)]
        scaling: Scaling,
        /// Activation φ.
        #[arg(long, value_enum, default_value_t = two_layer_defaults().activation)]
        activation: Activation,
        /// σ_a of the readout prior.
        #[arg(long, default_value_t = two_layer_defaults().readout_scale, allow_negative_numbers = true)]
        readout_scale: f64,
        /// σ_w of the first-layer prior (w_i ~ N(0, σ_w² I/d)).
        #[arg(long, default_value_t = two_layer_defaults().weight_scale, allow_negative_numbers = true)]
        weight_scale: f64,
        /// Temperature T (likelihood noise variance).
        #[arg(long, default_value_t = two_layer_defaults().temperature, allow_negative_numbers = true)]
        temperature: f64,
        /// Target function.
        #[arg(long, value_enum, default_value_t = two_layer_defaults().teacher)]
        teacher: Teacher,
        /// Label-noise standard deviation.
        #[arg(long, default_value_t = two_layer_defaults().label_noise, allow_negative_numbers = true)]
        label_noise: f64,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Deep linear network on teacher–student data with exactly whitened inputs (Corlouer et al.):
    /// widths d_0 → hidden… → d_L, teacher singular values, optional label noise.
    DeepLinear {
        /// Depth L ≥ 2 (number of weight matrices).
        #[arg(long, default_value_t = deep_linear_defaults().depth)]
        depth: usize,
        /// Width of every hidden layer.
        #[arg(long, default_value_t = deep_linear_defaults().hidden_width)]
        hidden_width: usize,
        /// Input dimension d_0.
        #[arg(long, default_value_t = deep_linear_defaults().input_dim)]
        input_dim: usize,
        /// Output dimension d_L.
        #[arg(long, default_value_t = deep_linear_defaults().output_dim)]
        output_dim: usize,
        /// Teacher singular values S_α, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = deep_linear_defaults().teacher_strengths, allow_negative_numbers = true)]
        teacher: Vec<f64>,
        /// Label-noise standard deviation σ_ε.
        #[arg(long, default_value_t = deep_linear_defaults().label_noise, allow_negative_numbers = true)]
        label_noise: f64,
        /// Number of examples N.
        #[arg(long, default_value_t = deep_linear_defaults().data_size)]
        data: usize,
        /// Likelihood variance σ².
        #[arg(long, default_value_t = deep_linear_defaults().noise_variance, allow_negative_numbers = true)]
        noise_variance: f64,
        /// Prior precision λ ≥ 0.
        #[arg(long, default_value_t = deep_linear_defaults().prior_precision, allow_negative_numbers = true)]
        prior_precision: f64,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// The 7-parameter tanh regression of Adhikari et al. 2023 (their notebooks' settings:
    /// x on −3:0.03:3 without its last point, y = exp(−x²) + 0.1 ξ, λ = 1e-3).
    TanhRegression {
        /// Number of grid points N.
        #[arg(long, default_value_t = tanh_defaults().data_size)]
        data: usize,
        /// Target noise standard deviation σ (also the likelihood's).
        #[arg(long, default_value_t = tanh_defaults().noise_sd, allow_negative_numbers = true)]
        noise_sd: f64,
        /// Ridge coefficient λ.
        #[arg(long, default_value_t = tanh_defaults().regularisation, allow_negative_numbers = true)]
        regularisation: f64,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Observations x_i ~ N(0, σ²) for the scale σ, parametrised by σ or log σ (no prior): the
    /// model whose Fisher information varies, for stochastic-ngd.
    GaussianScale {
        /// Number of observations N.
        #[arg(long)]
        data: usize,
        /// The true scale σ.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        scale: f64,
        /// θ = σ or θ = log σ.
        #[arg(long, value_enum, default_value_t = ScaleParametrisation::LogScale)]
        parametrisation: ScaleParametrisation,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// The mean of Gaussian observations z_i ~ N(μ₀, σ² I) with prior N(0, λ⁻¹ I), μ₀ a prior
    /// draw: the textbook case whose minibatch gradient noise does not depend on θ.
    GaussianMean {
        /// Dimension D.
        #[arg(long)]
        dim: usize,
        /// Number of observations N.
        #[arg(long)]
        data: usize,
        /// Observation noise variance σ².
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        noise_variance: f64,
        /// Prior precision λ.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        prior_precision: f64,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Bayesian linear regression with Gaussian features and a prior draw as the true parameter.
    LinearRegression {
        /// Dimension D (synthetic data).
        #[arg(long, required_unless_present_any = ["data_file", "dataset"])]
        dim: Option<usize>,
        /// Number of data points N (synthetic data).
        #[arg(long, required_unless_present_any = ["data_file", "dataset"])]
        data: Option<usize>,
        #[command(flatten)]
        real_data: RealDataArgs,
        /// Seed of the generator (one ChaCha20 stream; the same seed gives the same problem).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Noise variance σ².
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        noise_variance: f64,
        /// Prior precision λ.
        #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
        prior_precision: f64,
    },
}

/// Real data instead of the synthetic generator (`docs/datasets.md`): a CSV file whose last column
/// is the target, or a shipped data set.
#[derive(Args, Debug, Clone)]
struct RealDataArgs {
    /// CSV data file (header line; last column = target; 0/1 targets for logistic regression).
    #[arg(long, conflicts_with = "dataset")]
    data_file: Option<PathBuf>,
    /// Shipped data set: diabetes (regression) or breast-cancer (classification).
    #[arg(long)]
    dataset: Option<String>,
    /// Centre and scale the features to unit variance (and the target, for linear regression).
    #[arg(long)]
    standardise: bool,
    /// Append a constant feature 1 (an intercept).
    #[arg(long)]
    intercept: bool,
}

/// The sampler configuration flags shared by theory, sample and check.
#[derive(Args, Debug, Clone)]
struct SamplerArgs {
    /// Problem file (JSON).
    #[arg(long)]
    problem: PathBuf,
    /// Sampler.
    #[arg(long, value_parser = sampler_choices())]
    sampler: SamplerChoice,
    /// Step size ε in the sampler's convention (see README).
    #[arg(long, allow_negative_numbers = true)]
    eps: f64,
    /// Minibatch size B.
    #[arg(long)]
    batch: usize,
    /// Minibatch scheme.
    #[arg(long, value_parser = batching_choices(), default_value = Batching::WithReplacement.name())]
    batching: Batching,
    /// Damping μ ∈ (0, 1] of sgd-momentum (v ← (1 − μ)v − (ε/N)ĝ; θ ← θ + v).
    #[arg(long, allow_negative_numbers = true)]
    damping: Option<f64>,
    /// Friction α ∈ (0, 1] of sghmc (v ← (1 − α)v − ε ĝ + N(0, 2(α − β̂)ε); θ ← θ + v); γ > 0 per
    /// unit time of baoab (O step v ← e^(−γh) v + √(1 − e^(−2γh)) ξ, h = √ε); for sgnht the
    /// diffusion A > 0, also the thermostat's initial value (Ding et al. 2014).
    #[arg(long, allow_negative_numbers = true)]
    friction: Option<f64>,
    /// Gradient-noise estimate β̂ ∈ [0, α] of sghmc (default 0).
    #[arg(long, allow_negative_numbers = true)]
    noise_estimate: Option<f64>,
    /// sghmc: re-draw the momentum v ~ N(0, εI) before each trajectory of L steps; the draws are
    /// the positions at the trajectory ends (blackjax's and SGMCMCJax's SGHMC).
    #[arg(long)]
    refresh_every: Option<usize>,
    /// sghmc, sgnht: update the velocity first (Chen et al. 2014, eq. 15; Ding et al. 2014) or the
    /// position first with the old velocity (θ ← θ + v; v ← (1 − α)v − ε ĝ(θ_old) + noise:
    /// blackjax, SGMCMCJax's SGHMC).
    #[arg(long, value_enum)]
    order: Option<OrderName>,
    /// sghmc: one minibatch for all L steps of a trajectory (blackjax; needs --refresh-every).
    #[arg(long)]
    batch_per_trajectory: bool,
    /// Preconditioner of sgd-preconditioned (H) or psgld (G): a JSON file holding a d×d nested
    /// array, or `optimal` / `optimal-diagonal` (Mandt et al. 2017, Thm 2; sgd-preconditioned only).
    #[arg(long)]
    preconditioner: Option<String>,
    /// Window n of asgs: each draw is the mean of n consecutive constant-SGD iterates.
    #[arg(long)]
    window: Option<usize>,
    /// Fisher estimate Î of sgfs: a JSON d×d array, `exact` (the empirical per-example gradient
    /// covariance at the posterior mean), or `online` (the paper's running estimate: sgfs-online).
    #[arg(long)]
    fisher: Option<String>,
    /// β of sgfs's B_p = β I (default 1).
    #[arg(long, allow_negative_numbers = true)]
    sgfs_scale: Option<f64>,
    /// Target temperature T (default 1). stochastic-ngd: the injected noise tops the minibatch
    /// temperature εNγ/(2B) up to T. sgld, sgworld, psgld, sgld-cv, svrg-ld: the injected noise
    /// √(εT) targets the tempered posterior ∝ posterior^(1/T). baoab: the velocity refresh
    /// √(T(1 − c²)) ξ (SGMCMCJax's tau is √T).
    #[arg(long, allow_negative_numbers = true)]
    temperature: Option<f64>,
    /// Decay α ∈ (0, 1) of psgld-rmsprop's running average V of squared gradients (default 0.99).
    #[arg(long, allow_negative_numbers = true)]
    rmsprop_decay: Option<f64>,
    /// Regulariser λ > 0 of psgld-rmsprop's G = diag(1 ⊘ (λ + √V)) (default 1e-5).
    #[arg(long, allow_negative_numbers = true)]
    rmsprop_regularizer: Option<f64>,
    /// sgld, sgworld: the step-size schedule — constant, cyclical (Zhang et al. 2020:
    /// ε_k = (ε/2)(cos(π mod(k, K)/K) + 1), draws at the cycle ends) or polynomial (Welling & Teh
    /// 2011: ε_t = ε(b + t)^(−γ), no stationary law).
    #[arg(long, value_enum)]
    schedule: Option<ScheduleName>,
    /// The cycle length K of `--schedule cyclical`.
    #[arg(long)]
    cycle_length: Option<usize>,
    /// b of `--schedule polynomial` (default 1).
    #[arg(long, allow_negative_numbers = true)]
    schedule_b: Option<f64>,
    /// γ of `--schedule polynomial` (default 0.55).
    #[arg(long, allow_negative_numbers = true)]
    schedule_gamma: Option<f64>,
    /// What psgld-rmsprop's V averages: the mean per-example likelihood gradient (Li et al. 2016,
    /// the default) or the whole estimate ĝ, prior and N scaling included (SGMCMCJax).
    #[arg(long, value_enum)]
    rms_of: Option<RmsOfName>,
    /// sgld-cv: the control variates' anchor θ̂ — `mode` (the posterior mode, the default; models
    /// with a Gaussian posterior) or a JSON file holding an array of d numbers.
    #[arg(long)]
    anchor: Option<String>,
    /// svrg-ld: the epoch length K; the anchor is reset to the current state (full gradient there)
    /// every K steps, and the draws are the states at the epoch ends.
    #[arg(long)]
    epoch_length: Option<usize>,
    /// With reshuffled batches (`--batching reshuffle`, or `--sampler sgworld`): the draws are
    /// every step's state, or only the states at epoch ends (every ⌊N/B⌋ steps).
    #[arg(long, value_enum, default_value_t = DrawAtName::EveryStep)]
    draw_at: DrawAtName,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ScheduleName {
    Constant,
    Cyclical,
    Polynomial,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum RmsOfName {
    MeanExample,
    FullEstimate,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum OrderName {
    VelocityFirst,
    PositionFirst,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum DrawAtName {
    EveryStep,
    EpochEnd,
}

/// `--sampler`: a sampler of the library's list ([`SamplerId::ALL`]), or a command-line spelling
/// of one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SamplerChoice {
    Sampler(SamplerId),
    /// SGLD with reshuffled batches (SGWORLD, Adhikari et al. 2023): `sgld --batching reshuffle`.
    Sgworld,
    /// Polyak–Ruppert averages of constant-SGD iterates over windows of `--window n` steps: the
    /// same chain and law as `asgs` (Mandt et al. 2017, §5: Cov → A⁻¹CA⁻¹/(Bn), independent of ε).
    IterateAverage,
}

impl SamplerChoice {
    /// The spellings of the command line that are not the library's names, each after the
    /// sampler it spells.
    const SPELLINGS: [(SamplerChoice, &'static str, &'static str); 2] = [
        (
            SamplerChoice::Sgworld,
            "sgworld",
            "SGLD with reshuffled batches (SGWORLD, Adhikari et al. 2023): sgld --batching reshuffle.",
        ),
        (
            SamplerChoice::IterateAverage,
            "iterate-average",
            "Polyak–Ruppert window averages of constant SGD: the same chain and law as asgs.",
        ),
    ];

    /// The sampler it runs.
    fn id(self) -> SamplerId {
        match self {
            SamplerChoice::Sampler(id) => id,
            SamplerChoice::Sgworld => SamplerId::Sgld,
            SamplerChoice::IterateAverage => SamplerId::Asgs,
        }
    }

    /// The spelling on the command line.
    fn name(self) -> &'static str {
        match self {
            SamplerChoice::Sampler(id) => id.name(),
            other => Self::SPELLINGS
                .iter()
                .find(|(choice, _, _)| *choice == other)
                .map_or("", |(_, name, _)| name),
        }
    }

    /// The choice a spelling names (`None` for an unknown one, which clap has already refused).
    fn parse(name: &str) -> Option<Self> {
        Self::SPELLINGS
            .iter()
            .find(|(_, spelling, _)| *spelling == name)
            .map(|(choice, _, _)| *choice)
            .or_else(|| SamplerId::parse(name).ok().map(SamplerChoice::Sampler))
    }
}

/// The `--sampler` values: the library's samplers with their summaries, each followed by its
/// command-line spellings.
fn sampler_choices() -> impl TypedValueParser<Value = SamplerChoice> {
    let values = SamplerId::ALL.iter().flat_map(|&id| {
        std::iter::once(PossibleValue::new(id.name()).help(id.summary())).chain(
            SamplerChoice::SPELLINGS
                .iter()
                .filter(move |(choice, _, _)| choice.id() == id)
                .map(|(_, name, help)| PossibleValue::new(*name).help(*help)),
        )
    });
    PossibleValuesParser::new(values)
        .map(|name| SamplerChoice::parse(&name).expect("clap accepts the listed spellings only"))
}

/// The `--batching` values: the library's names ([`Batching::name`]).
fn batching_choices() -> impl TypedValueParser<Value = Batching> {
    PossibleValuesParser::new(Batching::ALL.map(Batching::name))
        .map(|name| Batching::parse(&name).expect("clap accepts the listed names only"))
}

impl SamplerArgs {
    /// The library's sampler specification of the flags: matrix files are read here, everything
    /// else is interpreted by [`sgbayes::spec::SamplerSpec::config`], as in the Python package.
    fn spec(&self) -> Result<SamplerSpec, String> {
        let value_name =
            |value: Option<clap::builder::PossibleValue>| value.map(|v| v.get_name().to_string());
        let matrix = |flag: &str,
                      value: &Option<String>,
                      names: &[&str]|
         -> Result<Option<MatrixSpec>, String> {
            match value.as_deref() {
                None => Ok(None),
                Some(name) if names.contains(&name) => Ok(Some(MatrixSpec::Name(name.to_string()))),
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {flag} file {path}: {e}"))?;
                    let rows: Vec<Vec<f64>> = serde_json::from_str(&text).map_err(|e| {
                        format!("{flag} file {path} is not a JSON d×d array of numbers: {e}")
                    })?;
                    Ok(Some(MatrixSpec::Rows(rows)))
                }
            }
        };
        Ok(SamplerSpec {
            sampler: self.sampler.name().to_string(),
            eps: self.eps,
            batch: self.batch,
            batching: Some(self.batching.name().to_string()),
            flags: SamplerFlags {
                damping: self.damping,
                friction: self.friction,
                noise_estimate: self.noise_estimate,
                refresh_every: self.refresh_every,
                order: self.order.and_then(|o| value_name(o.to_possible_value())),
                batch_per_trajectory: self.batch_per_trajectory.then_some(true),
                preconditioner: matrix(
                    "preconditioner",
                    &self.preconditioner,
                    &["optimal", "optimal-diagonal"],
                )?,
                window: self.window,
                fisher: matrix("fisher", &self.fisher, &["exact", "online"])?,
                sgfs_scale: self.sgfs_scale,
                temperature: self.temperature,
                rmsprop_decay: self.rmsprop_decay,
                rmsprop_regularizer: self.rmsprop_regularizer,
                rms_of: self.rms_of.and_then(|r| value_name(r.to_possible_value())),
                schedule: self
                    .schedule
                    .and_then(|s| value_name(s.to_possible_value())),
                cycle_length: self.cycle_length,
                schedule_b: self.schedule_b,
                schedule_gamma: self.schedule_gamma,
                draw_at: value_name(self.draw_at.to_possible_value()),
                anchor: match self.anchor.as_deref() {
                    None => None,
                    Some("mode") => Some(AnchorSpec::Name("mode".into())),
                    Some(path) => {
                        let text = std::fs::read_to_string(path)
                            .map_err(|e| format!("cannot read anchor file {path}: {e}"))?;
                        let point: Vec<f64> = serde_json::from_str(&text).map_err(|e| {
                            format!("anchor file {path} is not a JSON array of d numbers: {e}")
                        })?;
                        Some(AnchorSpec::Point(point))
                    }
                },
                epoch_length: self.epoch_length,
            },
        })
    }

    /// The configuration the flags describe; a one-line message when a sampler's parameter is
    /// missing or given to a sampler that has no such parameter.
    fn config(&self) -> Result<SamplerConfig, String> {
        Ok(self.spec()?.config().map_err(|e| e.to_string())?.0)
    }

    /// Which states are draws; epoch ends only make sense with reshuffled batches.
    fn draw_at(&self, _config: &SamplerConfig) -> Result<DrawAt, String> {
        Ok(self.spec()?.config().map_err(|e| e.to_string())?.1)
    }
}

/// Parses arguments, runs the command, maps errors to exit code 2.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            2
        }
    }
}
