//! Paper reproductions: one module per paper, each with `run(&Config) -> Result<Record>` (a typed,
//! serialisable record of every reported number) and `render(&Record)` (README body and SVG
//! figures). [`registry`] lists them; the `reproduce` command writes
//! each to `reproductions/<id>/` with [`write_report`].
//!
//! Numbers: closed forms are serialised with 6 significant digits ([`Num`]); simulations are
//! [`Estimate`]s with a batch-means Monte-Carlo standard error, rounded to what that error
//! justifies. Runs are parallel over independent chains (rayon) and seeded per run from
//! (seed, run index), so results are identical at any thread count.
//!
//! ```
//! use sgbayes::reproductions::{find, registry};
//! assert!(registry().iter().any(|r| r.id == "smith2018"));
//! assert!(find("mean-field-sgld").is_some() && find("no-such-paper").is_none());
//! ```

pub mod adhikari2023;
pub mod adhikari2023_nonequilibrium;
pub mod bbp_teacher_student;
pub(crate) mod bibliography;
pub mod corlouer2025;
mod gaussian_mean_problem;
pub mod mandt2017;
pub mod mean_field_sgld;
pub mod minibatch_regime;
pub mod minibatch_scale;
pub mod numbers;
mod plot;
pub mod rangriz2025;
mod report;
pub mod shaw_whalley2025;
pub(crate) mod simulate;
pub mod smith2018;
mod step_grid;

pub use numbers::{Estimate, Num, Provenance, Row, VerdictCounts};
pub use report::{write_report, Figure, Rendered, RunInfo};

use serde::Serialize;

use crate::error::{Error, Result};

/// The default seed of `sgbayes reproduce`.
pub const DEFAULT_SEED: u64 = 20171204;

/// How to run a reproduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Config {
    /// The reduced configuration the tests run (seconds) instead of the full one (minutes).
    pub quick: bool,
    /// Master seed; run k is seeded by a SplitMix64 hash of (seed, k).
    pub seed: u64,
    /// Draw progress bars (the caller decides, e.g. only when stderr is a terminal).
    #[serde(skip)]
    pub progress: bool,
}

impl Config {
    /// The quick configuration with the default seed and no progress bars (what the tests run).
    pub fn quick() -> Self {
        Self {
            quick: true,
            seed: DEFAULT_SEED,
            progress: false,
        }
    }
    /// The full configuration with the default seed and no progress bars.
    pub fn full() -> Self {
        Self {
            quick: false,
            ..Self::quick()
        }
    }
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy)]
pub struct Reproduction {
    /// Identifier (`sgbayes reproduce <id>`, directory `reproductions/<id>/`).
    pub id: &'static str,
    /// One line saying what is reproduced.
    pub description: &'static str,
    runner: fn(&Config) -> Result<Rendered>,
}

impl Reproduction {
    /// Runs the reproduction and renders its report.
    pub fn run(&self, config: &Config) -> Result<Rendered> {
        (self.runner)(config)
    }
}

fn run_minibatch_regime(config: &Config) -> Result<Rendered> {
    minibatch_regime::render(&minibatch_regime::run(config)?)
}
fn run_mandt2017(config: &Config) -> Result<Rendered> {
    mandt2017::render(&mandt2017::run(config)?)
}
fn run_adhikari2023(config: &Config) -> Result<Rendered> {
    adhikari2023::render(&adhikari2023::run(config)?)
}
fn run_adhikari2023_nonequilibrium(config: &Config) -> Result<Rendered> {
    adhikari2023_nonequilibrium::render(&adhikari2023_nonequilibrium::run(config)?)
}
fn run_shaw_whalley2025(config: &Config) -> Result<Rendered> {
    shaw_whalley2025::render(&shaw_whalley2025::run(config)?)
}
fn run_smith2018(config: &Config) -> Result<Rendered> {
    smith2018::render(&smith2018::run(config)?)
}
fn run_corlouer2025(config: &Config) -> Result<Rendered> {
    corlouer2025::render(&corlouer2025::run(config)?)
}
fn run_mean_field_sgld(config: &Config) -> Result<Rendered> {
    mean_field_sgld::render(&mean_field_sgld::run(config)?)
}
fn run_bbp_teacher_student(config: &Config) -> Result<Rendered> {
    bbp_teacher_student::render(&bbp_teacher_student::run(config)?)
}
fn run_rangriz2025(config: &Config) -> Result<Rendered> {
    rangriz2025::render(&rangriz2025::run(config)?)
}

const REGISTRY: &[Reproduction] = &[
    Reproduction {
        id: "minibatch-regime",
        description: "SGLD with N = 1000, B = 32: stationary covariance far from the posterior, exactly predicted by the discrete law (OU error beside it)",
        runner: run_minibatch_regime,
    },
    Reproduction {
        id: "minibatch-scale",
        description: "SGLD and SGD, d = 10 to 1000 at fixed eps*lambda_max, N = 1000, B = 32: exact discrete law vs the OU approximation (error grows like d/B per direction) and vs the posterior, log-log slopes in d",
        runner: |c| minibatch_scale::render(&minibatch_scale::run(c)?),
    },
    Reproduction {
        id: "mandt2017",
        description: "Mandt, Hoffman & Blei 2017: KL(q||posterior) vs eps with eps* (Thm 1), reference problems R1-R3, SGLD finite-eps error",
        runner: run_mandt2017,
    },
    Reproduction {
        id: "smith2018",
        description: "Smith et al. 2018: SGD temperature T = eps N/(2B) over a grid of eps, N, B, with the without-replacement and discrete refinements",
        runner: run_smith2018,
    },
    Reproduction {
        id: "adhikari2023",
        description: "Adhikari et al. 2023 (quadratic parts): SGLD vs SGWORLD (random reshuffling) on the exact Gaussian model, minibatch-error orders h, h^2, h^3 and the KL advantage",
        runner: run_adhikari2023,
    },
    Reproduction {
        id: "adhikari2023-nonequilibrium",
        description: "Adhikari et al. 2023 (out of equilibrium): 7-parameter tanh regression under SGD, diffusion, Lyapunov covariance, circulation, entropy production (Eq. 29), integral and detailed fluctuation theorems, WOR minimum shift; where they break as eta grows",
        runner: run_adhikari2023_nonequilibrium,
    },
    Reproduction {
        id: "shaw-whalley2025",
        description: "Shaw & Whalley 2025 (Gaussian model problem): random reshuffling vs Robbins-Monro bias of SGLD, exact laws, W2 ratios, simulations",
        runner: run_shaw_whalley2025,
    },
    Reproduction {
        id: "mean-field-sgld",
        description: "Göring et al. 2025 (mean-field SGLD): two-layer erf networks under SGLD vs the kernel-ridge (NNGP) limit, finite-width gap, derived mean-field alignment",
        runner: run_mean_field_sgld,
    },
    Reproduction {
        id: "corlouer2025",
        description: "Corlouer et al. (arXiv:2604.06366): deep linear networks under SGD, saddle-to-saddle per-mode learning vs the ODE, diffusion peak before completion, per-mode stationary variance (all constants derived)",
        runner: run_corlouer2025,
    },
    Reproduction {
        id: "bbp-teacher-student",
        description: "Park et al. 2026 (abstract) / Benaych-Georges & Nadakuditi 2012: BBP outlier location and overlaps vs theta at two sizes, GD spectral evolution with detachment time t*, trainability diagrams in (eta, sigma0) and (c, theta), exact stationary SGD bulk",
        runner: run_bbp_teacher_student,
    },
    Reproduction {
        id: "rangriz2025",
        description: "Rangriz 2025 / Ben Arous, Gheissari & Jagannath 2022 (abstract-level): online SGD at delta = c/N, linear single-index model: corrected fixed points vs c, ODE vs paths with N^-1/2 error, OU variances, divergence at the critical c = 2 (all formulas derived)",
        runner: run_rangriz2025,
    },
];

/// Every reproduction.
pub fn registry() -> &'static [Reproduction] {
    REGISTRY
}

/// The reproduction with this id.
pub fn find(id: &str) -> Option<&'static Reproduction> {
    REGISTRY.iter().find(|r| r.id == id)
}

/// Converts a record to JSON for [`Rendered::record`].
pub(crate) fn to_json<T: Serialize>(record: &T) -> Result<serde_json::Value> {
    serde_json::to_value(record).map_err(|e| Error::Io(format!("serialising a record: {e}")))
}
