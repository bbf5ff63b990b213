//! Which common mistake explains inconsistent draws: the exact laws of a catalogue of mistaken
//! configurations, each tested against the draws like the declared one.
//!
//! | mistake | the draws' exact law | applies to |
//! |---------|----------------------|-----------|
//! | step size ×2 | the declared sampler at 2ε (e.g. a library whose SGLD step `s` means ε = 2s here) | all |
//! | step size ×½ | the declared sampler at ε/2 | all |
//! | SGHMC learning rate `ε²` or `√ε` | sghmc at ε² or √ε (step size and learning rate `η = ε²` mixed up) | sghmc |
//! | friction given as momentum | sghmc with friction 1 − α; sgd-momentum with damping 1 − μ | momentum |
//! | injected noise ×2 in variance (`√(2ε)` instead of `√ε`) | the declared map with twice its noise covariance; for SGLD this is exactly SGLD at 2ε on the tempered potential U/2 | samplers with injected noise |
//! | injected noise ×½ in variance | the declared map with half its noise covariance | samplers with injected noise |
//! | N/B dropped | the likelihood scaled by B/N (σ² → σ² N/B; Gaussian-mean curvature × B/N) | linear regression, Gaussian mean |
//! | mean instead of sum | the likelihood scaled by 1/N (σ² → N σ²; curvature / N) | linear regression, Gaussian mean |
//! | other batching | with ↔ without replacement | B > 1, not reshuffled |
//! | missing burn-in | the declared law after discarding the first 10 %, 25 % or 50 % of every chain | all |
//!
//! Each candidate's law comes from the existing closed forms ([`crate::theory`]) applied to the
//! mistaken configuration, never from a separate formula. The best fit is the candidate with the
//! largest check p-value; it is reported as an explanation only when that check is consistent.

use serde::Serialize;

use super::{check_draws_with, CheckOptions, DrawSource, ExactLaw, Verdict};
use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::problem::{Problem, ProblemFile};
use crate::theory::{self, AffineRandomMap, DrawAt};

/// One mistaken configuration and how well it fits the draws.
#[derive(Debug, Clone, Serialize)]
pub struct MistakeFit {
    /// Short identifier, e.g. `"step_size_x2"`.
    pub mistake: String,
    /// What the draws would then be, e.g. `"sgld at eps = 0.016 (2x)"`.
    pub law: String,
    /// The question to ask of the program that wrote the draws, and the flags that describe it.
    pub hint: String,
    /// Flags of `sgbayes check` under which the draws are this candidate's (empty if none).
    pub corrected_flags: String,
    /// The check's verdict against this candidate's law.
    pub verdict: Verdict,
    /// The check's p-value against this candidate's law.
    pub p_value: f64,
    /// Whether the whole test family applied (false for a heavy-tailed candidate law, against
    /// which only the mean and tail tests run: a weaker fit).
    pub full_family: bool,
}

/// The diagnosis of inconsistent draws.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// The best-fitting candidate if the draws are consistent with it.
    pub best: Option<MistakeFit>,
    /// Every candidate evaluated, best first.
    pub candidates: Vec<MistakeFit>,
    /// One line for people.
    pub message: String,
}

struct Candidate {
    mistake: &'static str,
    law: String,
    hint: String,
    flags: String,
    exact: crate::Result<ExactLaw>,
    burn_in: usize,
}

/// Evaluates the catalogue; `None` if no candidate applies.
pub(crate) fn diagnose(
    draws: &dyn DrawSource,
    problem: &Problem,
    config: &SamplerConfig,
    draw_at: DrawAt,
    options: &CheckOptions,
) -> Option<Diagnosis> {
    let model = problem.quadratic()?;
    let name = config.kind.name();
    let eps = config.step_size;
    let law_of = |c: &SamplerConfig| ExactLaw::of_sampler(model, c, draw_at);
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut with_eps = |mistake: &'static str, factor_text: &str, new_eps: f64, hint: String| {
        let c = SamplerConfig {
            step_size: new_eps,
            ..*config
        };
        candidates.push(Candidate {
            mistake,
            law: format!("{name} at eps = {new_eps} ({factor_text})"),
            hint,
            flags: format!("--eps {new_eps}"),
            exact: law_of(&c),
            burn_in: options.burn_in,
        });
    };
    with_eps(
        "step_size_x2",
        "2x",
        2.0 * eps,
        "did the program take eps/2? (a step size s in the convention theta += s grad log p + sqrt(2s) xi is eps = 2s here)".into(),
    );
    with_eps(
        "step_size_x0.5",
        "0.5x",
        0.5 * eps,
        "did the program take 2 eps? (eps here is twice the step s of theta += s grad log p + sqrt(2s) xi)".into(),
    );
    if let SamplerKind::Sghmc { .. } = config.kind {
        with_eps(
            "sghmc_eps_squared",
            "eps^2",
            eps * eps,
            "was the step size passed where the learning rate eta = eps^2 is expected?".into(),
        );
        with_eps(
            "sghmc_eps_sqrt",
            "sqrt(eps)",
            eps.sqrt(),
            "was the learning rate eta passed where a step size sqrt(eta) is expected?".into(),
        );
    }
    match config.kind {
        SamplerKind::Sghmc {
            friction,
            noise_estimate,
        } if friction < 1.0 => {
            let c = SamplerConfig {
                kind: SamplerKind::Sghmc {
                    friction: 1.0 - friction,
                    noise_estimate: noise_estimate.min(1.0 - friction),
                },
                ..*config
            };
            candidates.push(Candidate {
                mistake: "friction_as_momentum",
                law: format!("sghmc with friction {:.6}", 1.0 - friction),
                hint: "was the momentum decay (1 - friction) passed as the friction?".into(),
                flags: format!("--friction {}", 1.0 - friction),
                exact: law_of(&c),
                burn_in: options.burn_in,
            });
        }
        SamplerKind::SgdMomentum { damping } if damping < 1.0 => {
            let c = SamplerConfig {
                kind: SamplerKind::SgdMomentum {
                    damping: 1.0 - damping,
                },
                ..*config
            };
            candidates.push(Candidate {
                mistake: "damping_as_momentum",
                law: format!("sgd-momentum with damping {:.6}", 1.0 - damping),
                hint: "was the momentum coefficient (1 - damping) passed as the damping?".into(),
                flags: format!("--damping {}", 1.0 - damping),
                exact: law_of(&c),
                burn_in: options.burn_in,
            });
        }
        _ => {}
    }
    // The injected noise scaled (affine-map samplers with injected noise only).
    let injects = matches!(
        config.kind,
        SamplerKind::Sgld
            | SamplerKind::Sghmc { .. }
            | SamplerKind::Psgld { .. }
            | SamplerKind::Sgfs { .. }
    );
    if injects && config.batching != Batching::Reshuffle {
        for (mistake, factor, hint) in [
            ("noise_variance_x2", 2.0, "is the injected noise sqrt(2 eps) xi instead of sqrt(eps) xi? (for SGLD: exactly SGLD at 2 eps on the tempered potential U/2, i.e. temperature 2)"),
            ("noise_variance_x0.5", 0.5, "is the injected noise sqrt(eps/2) xi instead of sqrt(eps) xi? (temperature 1/2)"),
        ] {
            let exact = theory::resolve_preconditioner(config, model)
                .and_then(|r| theory::affine_map(&r, model))
                .and_then(|map| {
                    let scaled = AffineRandomMap::new(
                        map.example_matrices().clone(),
                        map.example_offsets().to_vec(),
                        map.noise_covariance() * factor,
                        map.batch_size(),
                        config.batching,
                    )?;
                    let fourth = scaled.fourth_moments_screen();
                    ExactLaw::of_map(&scaled, model.dimension(), fourth)
                });
            candidates.push(Candidate {
                mistake,
                law: format!("{name} with the injected noise variance x{factor}"),
                hint: hint.into(),
                flags: String::new(),
                exact,
                burn_in: options.burn_in,
            });
        }
    }
    // The likelihood scaled: N/B dropped, or a mean instead of a sum.
    let n_data = model.data_size();
    let b = config.batch_size;
    let mut scaled_likelihood = |mistake: &'static str, scale: f64, what: &str, hint: &str| {
        if let Some(p) = scaled_problem(problem, scale) {
            let exact = p
                .quadratic()
                .ok_or_else(|| crate::Error::NoClosedForm {
                    what: "scaled problem".into(),
                })
                .and_then(|m| ExactLaw::of_sampler(m, config, draw_at));
            candidates.push(Candidate {
                mistake,
                law: format!("{name} on the likelihood scaled by {what}"),
                hint: hint.into(),
                flags: String::new(),
                exact,
                burn_in: options.burn_in,
            });
        }
    };
    if b < n_data {
        scaled_likelihood(
            "minibatch_scale_dropped",
            b as f64 / n_data as f64,
            "B/N",
            "is the factor N/B missing from the minibatch gradient? (sum the B per-example gradients and multiply by N/B)",
        );
    }
    scaled_likelihood(
        "mean_instead_of_sum",
        1.0 / n_data as f64,
        "1/N",
        "is the likelihood gradient a mean over examples instead of a sum? (the posterior needs the sum over all N)",
    );
    // The other batching scheme.
    if b > 1 && b < n_data && config.batching != Batching::Reshuffle {
        let other = if config.batching == Batching::WithReplacement {
            Batching::WithoutReplacement
        } else {
            Batching::WithReplacement
        };
        let c = SamplerConfig {
            batching: other,
            ..*config
        };
        candidates.push(Candidate {
            mistake: "other_batching",
            law: format!("{name} with batches drawn {}", other.name()),
            hint: format!("are the minibatches drawn {}?", other.name()),
            flags: format!("--batching {}", other.name()),
            exact: law_of(&c),
            burn_in: options.burn_in,
        });
    }
    // A missing burn-in.
    for fraction in [0.1, 0.25, 0.5] {
        let extra = (draws.draws() as f64 * fraction) as usize;
        let burn_in = options.burn_in + extra * options.thin.max(1);
        if burn_in + 20 * options.thin >= draws.draws() {
            continue;
        }
        candidates.push(Candidate {
            mistake: "missing_burn_in",
            law: format!(
                "the declared law after discarding the first {burn_in} draws of every chain"
            ),
            hint: "the chain had not reached its stationary law at the start: discard a burn-in"
                .into(),
            flags: format!("--burn-in {burn_in}"),
            exact: law_of(config),
            burn_in,
        });
    }

    let mut fits: Vec<MistakeFit> = candidates
        .into_iter()
        .filter_map(|c| {
            let law = c.exact.ok()?;
            let opts = CheckOptions {
                burn_in: c.burn_in,
                diagnose: false,
                ..*options
            };
            let report = check_draws_with(draws, &law, &opts, false).ok()?;
            Some(MistakeFit {
                mistake: c.mistake.into(),
                law: c.law,
                hint: c.hint,
                corrected_flags: c.flags,
                verdict: report.verdict,
                p_value: report.p_value,
                full_family: report.full_family,
            })
        })
        .collect();
    if fits.is_empty() {
        return None;
    }
    // Best first: consistent under the whole family, consistent under the reduced family of a
    // heavy-tailed law, no verdict, inconsistent; then by p-value.
    let rank = |f: &MistakeFit| match (f.verdict, f.full_family) {
        (Verdict::Consistent, true) => 0,
        (Verdict::Consistent, false) => 1,
        (Verdict::NoVerdict, _) => 2,
        (Verdict::Inconsistent, _) => 3,
    };
    fits.sort_by(|a, b| rank(a).cmp(&rank(b)).then(b.p_value.total_cmp(&a.p_value)));
    // A fit is reported only under the whole family: the reduced family of a heavy-tailed law
    // cannot tell many laws apart.
    let best = fits
        .first()
        .filter(|f| f.verdict == Verdict::Consistent && f.full_family)
        .cloned();
    let message = match &best {
        Some(f) => format!(
            "consistent with {} (p = {:.3}): {}{}",
            f.law,
            f.p_value,
            f.hint,
            if f.corrected_flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", f.corrected_flags)
            }
        ),
        None => format!(
            "none of {} common mistakes explains the draws (closest: {}, p = {:.2e})",
            fits.len(),
            fits[0].law,
            fits[0].p_value
        ),
    };
    Some(Diagnosis {
        best,
        candidates: fits,
        message,
    })
}

/// The problem with its likelihood multiplied by `scale` (linear regression: σ² / scale;
/// Gaussian mean: curvature × scale); `None` for other problems.
fn scaled_problem(problem: &Problem, scale: f64) -> Option<Problem> {
    let file = match problem.to_file() {
        ProblemFile::LinearRegression {
            features,
            targets,
            noise_variance,
            prior_precision,
        } => ProblemFile::LinearRegression {
            features,
            targets,
            noise_variance: noise_variance / scale,
            prior_precision,
        },
        ProblemFile::GaussianMean {
            curvature,
            centres,
            prior_mean,
            prior_precision,
        } => ProblemFile::GaussianMean {
            curvature: curvature
                .into_iter()
                .map(|row| row.into_iter().map(|v| v * scale).collect())
                .collect(),
            centres,
            prior_mean,
            prior_precision,
        },
        _ => return None,
    };
    Problem::from_file(file).ok()
}
