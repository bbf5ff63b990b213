//! Checking draws from any program against the exact stationary law of a declared sampler: the
//! library behind `sgbayes check`.
//!
//! [`check_draws`] tests one or several chains against an [`ExactLaw`]; [`check_sampler`] computes
//! the law of a [`SamplerConfig`] on a problem, runs the test and, when the draws are
//! inconsistent, evaluates the exact laws of a catalogue of common mistakes ([`diagnosis`]).
//!
//! # The tests and the verdict
//!
//! The draws are whitened with the exact law, `z_t = L⁻¹(x_t − m)`, `Σ = L Lᵀ`. Under the null
//! ("the draws are stationary chains of the declared sampler") `E z = 0`, `E z zᵀ = I`, and the
//! law's exact autocovariances bound `n Var(z̄_i) ≤ U_i` ([`ExactLaw`]). The family, each test with
//! its share of the level α (Bonferroni):
//!
//! | test | share | needs an ESS? | what it sees |
//! |------|-------|---------------|--------------|
//! | moment test ([`crate::stats::moment_stream`]: all `d(d+3)/2` moments up to d = 32, a scalable set beyond) | α/2 | yes (τ̂ of the draws) | small errors in mean and covariance |
//! | `markov_norm2`: `P(mean |z|² ≥ c) ≤ d/c` | α/(2R) | no | gross scale errors, any autocorrelation |
//! | `chebyshev_mean`: `P(Σ_i n z̄_i²/U_i ≥ c) ≤ d/c` | α/(2R) | no | gross offsets (random walks, wrong mean) |
//! | `exact_mean[i]`: `z̄_i / sqrt(U_i/n)` ~ N(0, ≤ 1) | α/(2R) | the law's τ | offsets, drifts |
//! | `tail_fraction[k]`: fraction of `|z|² ≥ k d` vs Markov's `1/k` | α/(2R) | the law's τ | bursts, heavy tails |
//! | `long_run_variance[i]`: batch-means `σ̂²_i` vs `U_i` (χ²) | α/(2R) | the law's τ | wandering, bursts |
//! | `stationarity[c,i]`: first vs second half of chain `c` | α/(2R) | the law's τ | drifts, missing burn-in |
//! | `between_chains[i]`: chain means vs `U_i` (χ²) | α/(2R) | the law's τ | chains in different places |
//!
//! (`R` the number of robust tests.) The verdict is **inconsistent** as soon as one test rejects at
//! its share; **consistent** when every test ran and none rejected; otherwise **no verdict** (too
//! few draws for the tests that need `n ≥ 400 τ`), with the number of draws needed. The tests that
//! need no ESS always run, so a gross deviation is never answered with "run longer". The overall
//! p-value is the Bonferroni `min_j min(1, p_j α/α_j)`. The derivations are in
//! docs/verification.md.
//!
//! Every test needs only running sums, so the draws are read once, a chunk at a time, from any
//! [`DrawSource`] ([`check_source`], [`check_sampler_source`]): memory does not grow with the
//! number of draws.
//!
//! # Example
//!
//! ```
//! use nalgebra::{DMatrix, DVector};
//! use rand::{Rng, SeedableRng};
//! use rand_chacha::ChaCha8Rng;
//! use rand_distr::StandardNormal;
//! use sgbayes::check::{check_draws, ChainDraws, CheckOptions, ExactLaw, Verdict};
//!
//! // An AR(1) chain x' = 0.5 x + sqrt(0.75) e: stationary N(0, 1).
//! let mut rng = ChaCha8Rng::seed_from_u64(1);
//! let mut x = 0.0_f64;
//! let draws: Vec<f64> = (0..20_000).map(|_| {
//!     x = 0.5 * x + 0.75_f64.sqrt() * rng.sample::<f64, _>(StandardNormal);
//!     x
//! }).collect();
//! let law = ExactLaw::affine(DVector::zeros(1), &DMatrix::from_element(1, 1, 0.5),
//!     &DMatrix::identity(1, 1), true).unwrap();
//! let view = ChainDraws::single(&draws, 1).unwrap();
//! let report = check_draws(&view, &law, &CheckOptions::default()).unwrap();
//! assert_eq!(report.verdict, Verdict::Consistent);
//!
//! // The same draws against a law with twice the variance: inconsistent.
//! let wide = ExactLaw::affine(DVector::zeros(1), &DMatrix::from_element(1, 1, 0.5),
//!     &DMatrix::from_element(1, 1, 2.0), true).unwrap();
//! assert_eq!(check_draws(&view, &wide, &CheckOptions::default()).unwrap().verdict, Verdict::Inconsistent);
//! ```

pub mod diagnosis;
mod exact;
pub mod source;
mod summary;
pub mod tolerance;

pub use diagnosis::{Diagnosis, MistakeFit};
pub use exact::{BoundSource, ExactLaw};
pub use source::DrawSource;
pub use summary::RHAT_MAX_VALUES;

use serde::Serialize;

use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::problem::Problem;
use crate::stats::hypothesis::MomentTestReport;
use crate::stats::moment_stream::{FunctionalSet, FULL_MOMENT_SET_MAX_DIM};
use crate::stats::robust::{
    between_chain_test, known_variance_z_p_value, long_run_variance_of_batch_means, markov_p_value,
    split_rhat, tail_fraction_of_batch_means,
};
use crate::stats::StatsError;
use crate::theory::DrawAt;
use summary::Summary;

/// Multiples `k` of `d` in the tail-fraction tests: the fraction of draws with `|z|² ≥ k d`, at
/// most `1/k` under the null by Markov's inequality.
pub const TAIL_MULTIPLES: [f64; 2] = [3.0, 30.0];

/// Draws per unit of the law's autocorrelation time that the tests with a CLT need
/// (`MIN_BATCHES` batches of `20 τ`).
pub const DRAWS_PER_TAU: f64 = 400.0;

/// A view of `chains` chains of `draws` draws of `dim` components, row-major `[chains, draws, D]`.
#[derive(Debug, Clone, Copy)]
pub struct ChainDraws<'a> {
    values: &'a [f64],
    chains: usize,
    draws: usize,
    dim: usize,
}

impl<'a> ChainDraws<'a> {
    /// A view of row-major `[chains, draws, dim]` values.
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`] if `values.len() ≠ chains · draws · dim` or a size is zero.
    pub fn new(values: &'a [f64], chains: usize, draws: usize, dim: usize) -> Result<Self> {
        if chains == 0 || draws == 0 || dim == 0 || values.len() != chains * draws * dim {
            return Err(Error::DimensionMismatch {
                what: format!(
                    "draws (expected chains × draws × D = {chains} × {draws} × {dim} values)"
                ),
                expected: chains * draws * dim,
                found: values.len(),
            });
        }
        Ok(Self {
            values,
            chains,
            draws,
            dim,
        })
    }

    /// One chain, row-major `[draws, dim]`.
    ///
    /// # Errors
    ///
    /// [`Error::DimensionMismatch`] if the length is not a positive multiple of `dim`.
    pub fn single(values: &'a [f64], dim: usize) -> Result<Self> {
        let draws = values.len().checked_div(dim).unwrap_or(0);
        Self::new(values, 1, draws, dim)
    }

    /// Number of chains.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// Draws per chain.
    pub fn draws(&self) -> usize {
        self.draws
    }

    /// Components per draw.
    pub fn dim(&self) -> usize {
        self.dim
    }

    fn chain(&self, c: usize) -> &'a [f64] {
        &self.values[c * self.draws * self.dim..(c + 1) * self.draws * self.dim]
    }
}

/// Options of [`check_draws`] and [`check_sampler`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CheckOptions {
    /// Family-wise false-positive rate.
    pub alpha: f64,
    /// Draws discarded at the start of every chain.
    pub burn_in: usize,
    /// Keep every `thin`-th draw after the burn-in (1: all).
    pub thin: usize,
    /// Evaluate the catalogue of common mistakes when the draws are inconsistent.
    pub diagnose: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            alpha: 1e-3,
            burn_in: 0,
            thin: 1,
            diagnose: true,
        }
    }
}

/// The verdict of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No test rejected and every test ran.
    Consistent,
    /// At least one test rejected at its share of α.
    Inconsistent,
    /// Nothing rejected, but too few draws for the tests that need an effective sample size.
    NoVerdict,
}

/// One test of the robust family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RobustTest {
    /// E.g. `"markov_norm2"`, `"exact_mean[0]"`, `"tail_fraction[30]"`, `"stationarity[0,1]"`.
    pub name: String,
    /// The estimate (whitened units: a mean, a mean of |z|², a fraction, a long-run variance).
    pub estimate: f64,
    /// What the null allows: the null value or the bound the estimate is compared with.
    pub null_bound: f64,
    /// The test statistic.
    pub statistic: f64,
    /// The test's p-value (not adjusted).
    pub p_value: f64,
    /// The test's share of α.
    pub alpha: f64,
    /// `p_value < alpha`.
    pub reject: bool,
    /// Whether the test needs no effective sample size (valid whatever the autocorrelation).
    pub ess_free: bool,
}

/// The result of a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// `consistent`, `inconsistent` or `no_verdict`.
    pub verdict: Verdict,
    /// `verdict == Consistent`.
    pub consistent: bool,
    /// Bonferroni-combined p-value of the whole family.
    pub p_value: f64,
    /// Family-wise level.
    pub alpha: f64,
    /// One line for people: the verdict, the strongest evidence, the diagnosis or what to do.
    pub message: String,
    /// Number of chains.
    pub chains: usize,
    /// Draws per chain after burn-in and thinning.
    pub draws_per_chain: usize,
    /// Dimension D.
    pub dim: usize,
    /// Draws discarded at the start of every chain.
    pub burn_in: usize,
    /// Thinning applied by the check.
    pub thin: usize,
    /// The integrated autocorrelation time the exact law allows (`max_i U_i`).
    pub law_autocorrelation_time: f64,
    /// The batch-means moment test at α/2, if it could run.
    pub moment_test: Option<MomentTestReport>,
    /// Why the moment test did not run, if it did not.
    pub moment_test_skipped: Option<String>,
    /// The robust family.
    pub robust_tests: Vec<RobustTest>,
    /// Whether the whole family ran: false when the law may lack fourth moments, so that the
    /// covariance functionals and long-run-variance tests are left out.
    pub full_family: bool,
    /// The largest rank-normalised split-R̂ over the coordinates (Vehtari et al. 2021); `None`
    /// inside the diagnosis and for chains shorter than 4 draws.
    pub split_rhat: Option<f64>,
    /// Total draws (over all chains) that a verdict needs, when there is none.
    pub draws_needed: Option<usize>,
    /// Remarks (a reduced moment test for heavy-tailed laws, a high R̂, …).
    pub notes: Vec<String>,
    /// The best-fitting common mistake, when the draws are inconsistent and a catalogue applies.
    pub diagnosis: Option<Diagnosis>,
}

/// Tests draws against an exact law (no diagnosis: see [`check_sampler`]).
///
/// # Errors
///
/// - [`Error::NonFinite`] naming the first non-finite row (chain and draw, before burn-in) and the
///   number of such rows;
/// - [`Error::DimensionMismatch`] if the draws' dimension is not the law's;
/// - [`Error::Invalid`] for α outside (0, 1), `thin = 0`, or a burn-in that leaves fewer than 20
///   draws per chain.
pub fn check_draws(
    draws: &ChainDraws<'_>,
    law: &ExactLaw,
    options: &CheckOptions,
) -> Result<CheckReport> {
    check_draws_with(draws, law, options, true)
}

/// [`check_draws`], optionally without the split-R̂ (which does not depend on the law: the
/// diagnosis computes it once, not once per candidate).
pub(crate) fn check_draws_with(
    draws: &dyn DrawSource,
    law: &ExactLaw,
    options: &CheckOptions,
    with_rhat: bool,
) -> Result<CheckReport> {
    validate(draws, law, options)?;
    let summary = Summary::accumulate(draws, law, options, with_rhat)?;
    Ok(summary.run(law, options))
}

/// [`check_draws`] on any [`DrawSource`], e.g. draws streamed from a file: one pass over the
/// draws, memory independent of their number.
///
/// # Errors
///
/// As [`check_draws`], plus the source's read errors.
pub fn check_source(
    draws: &dyn DrawSource,
    law: &ExactLaw,
    options: &CheckOptions,
) -> Result<CheckReport> {
    check_draws_with(draws, law, options, true)
}

/// Computes the exact law of `config` on `problem`, tests the draws against it and, if they are
/// inconsistent and `options.diagnose`, fits the catalogue of common mistakes.
///
/// # Errors
///
/// As [`check_draws`], plus the errors of the exact law ([`ExactLaw::of_sampler`]) and
/// [`Error::NoClosedForm`] for a problem without an exact stationary law.
pub fn check_sampler(
    draws: &ChainDraws<'_>,
    problem: &Problem,
    config: &SamplerConfig,
    draw_at: DrawAt,
    options: &CheckOptions,
) -> Result<CheckReport> {
    check_sampler_source(draws, problem, config, draw_at, options)
}

/// [`check_sampler`] on any [`DrawSource`] (the diagnosis reads the draws once more per
/// candidate mistake).
///
/// # Errors
///
/// As [`check_sampler`], plus the source's read errors.
pub fn check_sampler_source(
    draws: &dyn DrawSource,
    problem: &Problem,
    config: &SamplerConfig,
    draw_at: DrawAt,
    options: &CheckOptions,
) -> Result<CheckReport> {
    let model = problem.require_quadratic("the exact stationary law")?;
    let law = ExactLaw::of_sampler(model, config, draw_at)?;
    let mut report = check_source(draws, &law, options)?;
    if options.diagnose && report.verdict == Verdict::Inconsistent {
        let diagnosis = diagnosis::diagnose(draws, problem, config, draw_at, options);
        if let Some(d) = &diagnosis {
            report.message = format!("{}; {}", report.message, d.message);
        }
        report.diagnosis = diagnosis;
    }
    Ok(report)
}

fn validate(draws: &dyn DrawSource, law: &ExactLaw, options: &CheckOptions) -> Result<()> {
    if !(options.alpha > 0.0 && options.alpha < 1.0) {
        return Err(Error::Invalid {
            what: "alpha".into(),
            why: format!("must lie in (0, 1), got {}", options.alpha),
        });
    }
    if options.thin == 0 {
        return Err(Error::Invalid {
            what: "thin".into(),
            why: "must be at least 1".into(),
        });
    }
    let d = law.mean.len();
    let (chains, n, dim) = (draws.chains(), draws.draws(), draws.dim());
    if dim != d {
        let hint = if n == d && chains == 1 {
            format!(" — the array looks transposed ([{d}, {dim}]): save x.T")
        } else {
            String::new()
        };
        return Err(Error::DimensionMismatch {
            what: format!(
                "draws: each draw must have D = {d} components (the problem's dimension); the array is [{}{n}, {dim}]{hint}",
                if chains > 1 { format!("{chains} chains, ") } else { String::new() },
            ),
            expected: d,
            found: dim,
        });
    }
    Ok(())
}

impl Summary {
    fn run(&self, law: &ExactLaw, options: &CheckOptions) -> CheckReport {
        let alpha = options.alpha;
        let (d, n_total) = (self.d, self.total());
        let tau = law.autocorrelation_time;
        let clt_ok = n_total as f64 >= DRAWS_PER_TAU * tau;
        let half = self.n / 2;
        let stationarity_ok = (half as f64) >= DRAWS_PER_TAU / 2.0 * tau;
        let long_run = law.fourth_moments;
        // Planned robust tests (their count fixes every share in advance).
        let planned = 2
            + d
            + TAIL_MULTIPLES.len()
            + if long_run { d } else { 0 }
            + self.chains * d
            + if self.chains > 1 { d } else { 0 };
        let share = alpha / 2.0 / planned as f64;
        let mut tests: Vec<RobustTest> = Vec::with_capacity(planned);
        let mut missing = false;
        let mut notes = Vec::new();
        let mut push = |name: String, estimate, null_bound, statistic, p: f64, ess_free| {
            let p = if p.is_nan() { 1.0 } else { p };
            tests.push(RobustTest {
                name,
                estimate,
                null_bound,
                statistic,
                p_value: p,
                alpha: share,
                reject: p < share,
                ess_free,
            });
        };

        // ESS-free: Markov on mean |z|² and on Σ_i n z̄_i² / U_i.
        let mean_norm2 = self.norm2_sum / n_total as f64;
        push(
            "markov_norm2".into(),
            mean_norm2,
            d as f64,
            mean_norm2 / d as f64,
            markov_p_value(mean_norm2, d as f64),
            true,
        );
        let means: Vec<f64> = (0..d).map(|i| self.sums[i] / n_total as f64).collect();
        let chebyshev: f64 = (0..d)
            .map(|i| n_total as f64 * means[i] * means[i] / law.variance_bound[i])
            .sum();
        push(
            "chebyshev_mean".into(),
            chebyshev,
            d as f64,
            chebyshev / d as f64,
            markov_p_value(chebyshev, d as f64),
            true,
        );
        // Known-variance normal tests of the means.
        if clt_ok {
            for (i, &mean) in means.iter().enumerate() {
                let bound = law.variance_bound[i] / n_total as f64;
                push(
                    format!("exact_mean[{i}]"),
                    mean,
                    0.0,
                    mean / bound.sqrt(),
                    known_variance_z_p_value(mean, bound, false),
                    false,
                );
            }
        } else {
            missing = true;
        }
        // Bounded functionals: the fraction beyond k d.
        let tails = TAIL_MULTIPLES.len();
        match (&self.batches, clt_ok) {
            (Some(b), true) => {
                for (q, k) in TAIL_MULTIPLES.iter().enumerate() {
                    let means: Vec<f64> = b
                        .tail_means
                        .iter()
                        .skip(q)
                        .step_by(tails)
                        .copied()
                        .collect();
                    let r = tail_fraction_of_batch_means(&means, b.length, 1.0 / k);
                    push(
                        format!("tail_fraction[{k}]"),
                        r.estimate,
                        r.bound,
                        r.statistic,
                        r.p_value,
                        false,
                    );
                }
            }
            _ => missing = true,
        }
        // Long-run variance of every whitened coordinate against the exact bound.
        if long_run {
            match (&self.batches, clt_ok) {
                (Some(b), true) => {
                    for i in 0..d {
                        let means: Vec<f64> = b
                            .coordinate_means
                            .iter()
                            .skip(i)
                            .step_by(d)
                            .copied()
                            .collect();
                        let r = long_run_variance_of_batch_means(
                            &means,
                            b.length,
                            law.variance_bound[i],
                        );
                        push(
                            format!("long_run_variance[{i}]"),
                            r.estimate,
                            r.bound,
                            r.statistic,
                            r.p_value,
                            false,
                        );
                    }
                }
                _ => missing = true,
            }
        } else {
            notes.push("the declared law may lack finite fourth moments (heavy power-law tails near the mean-square stability limit): the covariance functionals and the long-run-variance tests are left out".to_string());
        }
        // Stationarity: first half against second half of every chain.
        if stationarity_ok {
            let h = half as f64;
            for c in 0..self.chains {
                for i in 0..d {
                    let first = self.first_half[c * d + i] / h;
                    let second = self.second_half[c * d + i] / h;
                    // Var(ā − b̄) ≤ 2U/h + 2V/h² (adjacent blocks share at most Σ k|γ_k|/h²).
                    let bound =
                        2.0 * law.variance_bound[i] / h + 2.0 * law.lag_moment_bound[i] / (h * h);
                    push(
                        format!("stationarity[{c},{i}]"),
                        second - first,
                        0.0,
                        (second - first) / bound.sqrt(),
                        known_variance_z_p_value(second - first, bound, false),
                        false,
                    );
                }
            }
        } else {
            missing = true;
        }
        // Between chains.
        if self.chains > 1 {
            if clt_ok {
                for i in 0..d {
                    let chain_means: Vec<f64> = (0..self.chains)
                        .map(|c| self.chain_sums[c * d + i] / self.n as f64)
                        .collect();
                    if let Ok((x, p)) = between_chain_test(
                        &chain_means,
                        &vec![self.n; self.chains],
                        law.variance_bound[i],
                    ) {
                        push(
                            format!("between_chains[{i}]"),
                            x,
                            (self.chains - 1) as f64,
                            x,
                            p,
                            false,
                        );
                    }
                }
            } else {
                missing = true;
            }
        }

        // A stuck chain: most draws repeat the previous one exactly (probability 0 under any law
        // of the declared samplers with a positive-definite covariance).
        let repeats = self.repeats as f64 / (self.chains * (self.n - 1)).max(1) as f64;
        let stuck = repeats > 0.5;
        if stuck {
            notes.push(format!(
                "{:.0}% of the draws repeat the previous draw exactly: the chain is stuck",
                100.0 * repeats
            ));
        }

        // The moment test at α/2 — unless the robust family has already settled the verdict (its
        // autocorrelation estimate costs O(n τ̂), quadratic in n for a random walk).
        let settled = tests.iter().any(|t| t.reject) || stuck;
        let (moment, moment_skipped, moment_needed) = if settled {
            (
                None,
                Some("not run: the robust tests already reject".into()),
                None,
            )
        } else {
            match self
                .moment
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|m| m.finish(alpha / 2.0))
            {
                Ok(r) => (Some(r), None, None),
                Err(StatsError::TooFewEffectiveDraws { needed, .. }) => (
                    None,
                    Some(format!(
                        "not run: the draws' autocorrelation needs at least {needed} draws"
                    )),
                    Some(needed),
                ),
                Err(e) => (None, Some(format!("not run: {e}")), None),
            }
        };

        let mut p_value = tests
            .iter()
            .map(|t| (t.p_value * alpha / t.alpha).min(1.0))
            .fold(1.0_f64, f64::min);
        if let Some(m) = &moment {
            p_value = p_value.min((m.p_value * 2.0).min(1.0));
        }
        if stuck {
            p_value = 0.0;
        }
        let rejected =
            stuck || tests.iter().any(|t| t.reject) || moment.as_ref().is_some_and(|m| m.reject);
        let moment_missing = moment.is_none();
        let verdict = if rejected {
            Verdict::Inconsistent
        } else if missing || moment_missing {
            Verdict::NoVerdict
        } else {
            Verdict::Consistent
        };
        let law_needed = (DRAWS_PER_TAU * tau).ceil() as usize;
        let draws_needed = (verdict == Verdict::NoVerdict).then(|| {
            let mut needed = if missing { law_needed.max(n_total) } else { 0 };
            if let Some(m) = moment_needed {
                needed = needed.max(m);
            }
            if missing && !stationarity_ok {
                needed = needed.max(self.chains * law_needed);
            }
            needed.max(n_total + 1)
        });
        // Split-R̂ of every raw coordinate (as ArviZ reports it per parameter).
        let split_rhat = if self.rhat_draws.is_empty() {
            None
        } else {
            (0..d)
                .filter_map(|i| {
                    let refs: Vec<&[f64]> = (0..self.chains)
                        .map(|c| self.rhat_draws[c * d + i].as_slice())
                        .collect();
                    split_rhat(&refs).ok()
                })
                .fold(None, |acc: Option<f64>, r| {
                    Some(acc.map_or(r, |a| a.max(r)))
                })
        };
        if self
            .moment
            .as_ref()
            .is_ok_and(|m| m.set() == FunctionalSet::Scalable)
        {
            notes.push(format!(
                "D = {d} > {FULL_MOMENT_SET_MAX_DIM}: the moment test uses the scalable functionals (means, coordinate and eigen-direction variances, {} random directions, |z|²) instead of all D(D+3)/2 moments",
                crate::stats::moment_stream::RANDOM_DIRECTIONS
            ));
        }
        if let Some(r) = split_rhat {
            if r > 1.01 {
                notes.push(format!(
                    "rank-normalised split-R̂ = {r:.3} > 1.01: the chains (or chain halves) have not mixed"
                ));
            }
        }
        let message = summary_message(
            verdict,
            p_value,
            alpha,
            &tests,
            moment.as_ref(),
            stuck,
            draws_needed,
            n_total,
        );
        CheckReport {
            verdict,
            consistent: verdict == Verdict::Consistent,
            p_value,
            alpha,
            message,
            chains: self.chains,
            draws_per_chain: self.n,
            dim: d,
            burn_in: options.burn_in,
            thin: options.thin,
            law_autocorrelation_time: tau,
            moment_test: moment,
            moment_test_skipped: moment_skipped,
            robust_tests: tests,
            full_family: law.fourth_moments,
            split_rhat,
            draws_needed,
            notes,
            diagnosis: None,
        }
    }
}

/// The one-line human summary.
#[allow(clippy::too_many_arguments)]
fn summary_message(
    verdict: Verdict,
    p_value: f64,
    alpha: f64,
    tests: &[RobustTest],
    moment: Option<&MomentTestReport>,
    stuck: bool,
    draws_needed: Option<usize>,
    n_total: usize,
) -> String {
    match verdict {
        Verdict::Consistent => format!(
            "consistent with the declared sampler's exact stationary law (p = {p_value:.3}, alpha = {alpha:.0e})"
        ),
        Verdict::NoVerdict => format!(
            "no verdict: nothing is inconsistent yet, but {n_total} draws are too few for a calibrated test at alpha = {alpha:.0e}; run a longer chain (at least {} draws in total)",
            draws_needed.unwrap_or(n_total + 1)
        ),
        Verdict::Inconsistent => {
            if stuck {
                return "inconsistent: the chain is stuck (most draws repeat the previous one exactly)".into();
            }
            // The strongest evidence, relative to each test's level.
            let robust = tests
                .iter()
                .filter(|t| t.reject)
                .min_by(|a, b| (a.p_value / a.alpha).total_cmp(&(b.p_value / b.alpha)));
            let moment_fn = moment.filter(|m| m.reject).and_then(|m| {
                m.functionals
                    .iter()
                    .min_by(|a, b| a.p_value.total_cmp(&b.p_value))
            });
            let evidence = match (robust, moment_fn) {
                (Some(t), _) => describe(t),
                (None, Some(f)) => format!(
                    "{} is off by {:.3} (t = {:.1}, whitened units)",
                    f.name, f.estimate, f.statistic
                ),
                _ => String::new(),
            };
            format!("inconsistent (p = {p_value:.2e}, alpha = {alpha:.0e}): {evidence}")
        }
    }
}

fn describe(t: &RobustTest) -> String {
    let name = t.name.as_str();
    if name == "markov_norm2" {
        format!(
            "the mean squared whitened distance is {:.3} times what the law allows, which no autocorrelation can explain",
            t.statistic
        )
    } else if name == "chebyshev_mean" {
        format!(
            "the chain's mean lies {:.3} of the law's largest possible standard errors away, which no autocorrelation can explain",
            t.statistic.sqrt()
        )
    } else if name.starts_with("tail_fraction") {
        format!(
            "{:.1}% of the draws lie where the law allows at most {:.1}% ({name})",
            100.0 * t.estimate,
            100.0 * t.null_bound
        )
    } else if name.starts_with("long_run_variance") {
        format!(
            "the draws wander {:.3} times more (long-run variance) than the law allows ({name})",
            t.estimate / t.null_bound
        )
    } else if name.starts_with("stationarity") {
        format!("the second half of the chain differs from the first ({name}, z = {:.1}): a drift or a missing burn-in", t.statistic)
    } else if name.starts_with("between_chains") {
        format!("the chains disagree ({name}, chi2 = {:.1})", t.statistic)
    } else {
        format!(
            "{name} is off by {:.3} (z = {:.1})",
            t.estimate, t.statistic
        )
    }
}
