//! Reference laws of the adaptive samplers, whose preconditioner is estimated on the fly and so
//! carries memory: RMSprop-adaptive pSGLD (Li, Chen, Carlson & Carin 2016) and online-Fisher SGFS
//! (Ahn, Korattikara & Welling 2012). Each reference law is the exact law of the same sampler with
//! the preconditioner frozen at its self-consistent stationary value (our construction), found by
//! a fixed-point iteration through the affine-map engine.

use nalgebra::{DMatrix, DVector};

use super::laws::{sampler_law, PreconditionerRule};
use super::posterior::exact_posterior;
use super::preconditioners::sgfs_preconditioner;
use super::step_map::preconditioned_affine_map;
use crate::batching::Batching;
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// Largest number of fixed-point iterations of [`rmsprop_reference_preconditioner`].
const MAX_ITERATIONS: usize = 200;
/// Relative change of G below which the fixed point is reached.
const TOLERANCE: f64 = 1e-12;

/// The stationary average V_∞ = E[ḡ ⊙ ḡ] of the squared mean per-example gradient
/// ḡ(θ) = (1/B) Σ_{i∈S} ∇ℓ_i(θ) when θ ~ N(m, Σ) independently of the minibatch S.
///
/// # Formula (ours)
/// With g_i(θ) = H_i θ − b_i, ḡ_N = (1/N) Σ_i g_i and c = 1/B with replacement, c = (N − B)/(B(N − 1))
/// without (the finite-population factor):
/// E_S[ḡ_k² | θ] = (1 − c)(ḡ_N)_k² + c (1/N) Σ_i (g_i)_k², and over θ,
/// E[(g_i)_k²] = (H_i Σ H_i)_kk + (H_i m − b_i)_k², E[(ḡ_N)_k²] = (H̄ Σ H̄)_kk + (H̄ m − b̄)_k².
/// RMSprop's V ← αV + (1 − α) ḡ⊙ḡ averages exactly this in the stationary state.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::{batching::Batching, models::LinearRegression, theory};
/// let model = LinearRegression::new(vec![vec![1.0], vec![2.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// // θ ≡ 1: ḡ is x_i² θ = 1 or 4, each with probability ½ at B = 1: E[ḡ²] = (1 + 16)/2.
/// let v = theory::rmsprop_squared_gradient_average(&model, &DVector::from_element(1, 1.0),
///     &DMatrix::zeros(1, 1), 1, Batching::WithReplacement).unwrap();
/// assert!((v[0] - 8.5).abs() < 1e-12);
/// ```
pub fn rmsprop_squared_gradient_average<M: QuadraticModel + ?Sized>(
    model: &M,
    mean: &DVector<f64>,
    covariance: &DMatrix<f64>,
    batch_size: usize,
    batching: Batching,
) -> Result<DVector<f64>> {
    squared_batch_average(
        model.data_size(),
        |i| (model.example_hessian(i), model.example_offset(i)),
        mean,
        covariance,
        batch_size,
        batching,
    )
}

/// The stationary average E[ĝ ⊙ ĝ] of the squared whole minibatch estimate
/// ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ) when θ ~ N(m, Σ) independently of the minibatch S: what
/// V averages in SGMCMCJax's RMSprop pSGLD.
///
/// # Formula (derived here)
/// ĝ = (1/B) Σ_k (K_{i_k} θ − r_{i_k}) with K_i = Λ₀ + N H_i, r_i = Λ₀ m₀ + N b_i is a batch mean of
/// per-example affine pieces like ḡ, so [`rmsprop_squared_gradient_average`]'s formula holds with
/// (H_i, b_i) replaced by (K_i, r_i).
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::{batching::Batching, models::LinearRegression, theory};
/// let model = LinearRegression::new(vec![vec![1.0], vec![2.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// // θ ≡ 1, B = 1: ĝ = θ (prior) + 2 x_i² θ = 3 or 9, each with probability ½: E[ĝ²] = 45.
/// let v = theory::rmsprop_full_estimate_squared_average(&model, &DVector::from_element(1, 1.0),
///     &DMatrix::zeros(1, 1), 1, Batching::WithReplacement).unwrap();
/// assert!((v[0] - 45.0).abs() < 1e-12);
/// ```
pub fn rmsprop_full_estimate_squared_average<M: QuadraticModel + ?Sized>(
    model: &M,
    mean: &DVector<f64>,
    covariance: &DMatrix<f64>,
    batch_size: usize,
    batching: Batching,
) -> Result<DVector<f64>> {
    let n = model.data_size();
    let prior_precision = model.prior_precision();
    let prior_pull = &prior_precision * model.prior_mean();
    squared_batch_average(
        n,
        |i| {
            (
                &prior_precision + model.example_hessian(i) * n as f64,
                &prior_pull + model.example_offset(i) * n as f64,
            )
        },
        mean,
        covariance,
        batch_size,
        batching,
    )
}

/// E[u ⊙ u] for the batch mean u = (1/B) Σ_k (A_{i_k} θ − a_{i_k}) of per-example affine pieces
/// (A_i, a_i), θ ~ N(m, Σ) independent of the batch (the formula of
/// [`rmsprop_squared_gradient_average`]).
fn squared_batch_average(
    n: usize,
    example: impl Fn(usize) -> (DMatrix<f64>, DVector<f64>),
    mean: &DVector<f64>,
    covariance: &DMatrix<f64>,
    batch_size: usize,
    batching: Batching,
) -> Result<DVector<f64>> {
    let d = mean.len();
    let factor = batching
        .finite_population_factor(n, batch_size)
        .ok_or_else(|| Error::NoClosedForm {
            what: "the RMSprop reference law under reshuffled minibatches (batches depend on the epoch's earlier ones)".into(),
        })?;
    let c = factor / batch_size as f64;
    let mut mean_hessian = DMatrix::<f64>::zeros(d, d);
    let mut mean_offset = DVector::<f64>::zeros(d);
    let mut per_example = DVector::<f64>::zeros(d);
    for i in 0..n {
        let (h, b) = example(i);
        let residual = &h * mean - &b;
        let spread = &h * covariance * &h;
        for k in 0..d {
            per_example[k] += spread[(k, k)] + residual[k] * residual[k];
        }
        mean_hessian += h;
        mean_offset += b;
    }
    mean_hessian /= n as f64;
    mean_offset /= n as f64;
    per_example /= n as f64;
    let residual = &mean_hessian * mean - &mean_offset;
    let spread = &mean_hessian * covariance * &mean_hessian;
    Ok(DVector::from_fn(d, |k, _| {
        (1.0 - c) * (spread[(k, k)] + residual[k] * residual[k]) + c * per_example[k]
    }))
}

/// The self-consistent preconditioner G_∞ = diag(1 ⊘ (λ + √V_∞)) of RMSprop-adaptive pSGLD, where
/// V_∞ = E[ḡ⊙ḡ] under the exact stationary law of pSGLD with the fixed preconditioner G_∞.
///
/// # Construction (ours)
/// In the limit α → 1 the running average V stops fluctuating and equals its stationary
/// expectation, so the adaptive chain becomes pSGLD with a fixed G (Li et al. 2016, eq. 4 with
/// Γ = 0), whose exact discrete-time law the affine-map engine gives. G_∞ solves the fixed point
/// G ↦ law(G) ↦ V_∞ ([`rmsprop_squared_gradient_average`]) ↦ G, iterated from the posterior
/// until the relative change is below 1e-12. The exact law of pSGLD with G_∞ is the *reference*
/// law of `psgld-rmsprop`: for α < 1 the chain differs from it by the fluctuations of V
/// (relative size O(√(1 − α))) and by the dropped Γ term — a bias the tests measure, not a
/// closed form of the adaptive chain.
///
/// Errors: a configuration that is not `psgld-rmsprop`, reshuffled batches, an unstable
/// fixed-G chain, no convergence within 200 iterations.
pub fn rmsprop_reference_preconditioner<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<DMatrix<f64>> {
    let PreconditionerRule::RmspropReference {
        regularizer,
        full_estimate,
    } = sampler_law(&config.kind).preconditioner()
    else {
        return Err(Error::Invalid {
            what: "sampler".into(),
            why: format!(
                "the RMSprop reference preconditioner is defined for psgld-rmsprop, not {}",
                config.kind.name()
            ),
        });
    };
    config.validate(model.data_size())?;
    let posterior = exact_posterior(model)?;
    let (mut mean, mut covariance) = (posterior.mean, posterior.covariance);
    let mut previous: Option<DVector<f64>> = None;
    for _ in 0..MAX_ITERATIONS {
        let average = if full_estimate {
            rmsprop_full_estimate_squared_average
        } else {
            rmsprop_squared_gradient_average
        };
        let v = average(
            model,
            &mean,
            &covariance,
            config.batch_size,
            config.batching,
        )?;
        let g = v.map(|v| 1.0 / (regularizer + v.sqrt()));
        if let Some(previous) = &previous {
            let change = (&g - previous).abs().max() / g.max();
            if change < TOLERANCE {
                return Ok(DMatrix::from_diagonal(&g));
            }
        }
        let law = preconditioned_affine_map(config, model, Some(DMatrix::from_diagonal(&g)))?
            .stationary_law()?;
        mean = law.mean;
        covariance = law.covariance;
        previous = Some(g);
    }
    Err(Error::NoClosedForm {
        what: format!(
            "the RMSprop reference preconditioner: the fixed point G -> law(G) -> E[g_bar^2] -> G did not converge in {MAX_ITERATIONS} iterations"
        ),
    })
}

/// The stationary expectation Î_∞ = E\[V\] of online SGFS's minibatch score covariance
/// V = (1/(B − 1)) Σ_{i∈S} (g_i − ḡ_S)(g_i − ḡ_S)ᵀ when θ ~ N(m, Σ) independently of the batch.
///
/// # Formula (ours)
/// Given θ, the sample covariance of B draws is unbiased for the population covariance
/// C(θ) = (1/N) Σ_i (g_i − ḡ_N)(g_i − ḡ_N)ᵀ with replacement, and for N/(N − 1) · C(θ) without
/// (Cochran 1977, Thm 2.4). With g_i − ḡ_N = D_i θ − e_i, D_i = H_i − H̄, e_i = b_i − b̄:
/// E[C(θ)] = (1/N) Σ_i [D_i Σ D_iᵀ + (D_i m − e_i)(D_i m − e_i)ᵀ].
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::{batching::Batching, models::LinearRegression, theory};
/// // Gradients at θ = 1: x_i² θ − x_i y_i = 1 and 4 (y = 0): C = 2.25; without replacement ×2.
/// let model = LinearRegression::new(vec![vec![1.0], vec![2.0]], vec![0.0, 0.0], 1.0, 1.0).unwrap();
/// let at = |batching| theory::online_fisher_average(&model, &DVector::from_element(1, 1.0),
///     &DMatrix::zeros(1, 1), batching).unwrap()[(0, 0)];
/// assert!((at(Batching::WithReplacement) - 2.25).abs() < 1e-12);
/// assert!((at(Batching::WithoutReplacement) - 4.5).abs() < 1e-12);
/// ```
pub fn online_fisher_average<M: QuadraticModel + ?Sized>(
    model: &M,
    mean: &DVector<f64>,
    covariance: &DMatrix<f64>,
    batching: Batching,
) -> Result<DMatrix<f64>> {
    let n = model.data_size();
    let d = model.dimension();
    let factor = match batching {
        Batching::WithReplacement => 1.0,
        Batching::WithoutReplacement => n as f64 / (n as f64 - 1.0).max(1.0),
        Batching::Reshuffle => {
            return Err(Error::NoClosedForm {
                what: "the online-SGFS reference law under reshuffled minibatches".into(),
            })
        }
    };
    let hessians: Vec<DMatrix<f64>> = (0..n).map(|i| model.example_hessian(i)).collect();
    let offsets: Vec<DVector<f64>> = (0..n).map(|i| model.example_offset(i)).collect();
    let mean_hessian = hessians.iter().fold(DMatrix::zeros(d, d), |a, h| a + h) / n as f64;
    let mean_offset = offsets.iter().fold(DVector::zeros(d), |a, b| a + b) / n as f64;
    let mut average = DMatrix::zeros(d, d);
    for (h, b) in hessians.iter().zip(&offsets) {
        let deviation = h - &mean_hessian;
        let residual = &deviation * mean - (b - &mean_offset);
        average +=
            &deviation * covariance * deviation.transpose() + &residual * residual.transpose();
    }
    Ok(super::gaussian::symmetrize(
        &(average * (factor / n as f64)),
    ))
}

/// The self-consistent Fisher estimate Î_∞ of online SGFS: Î_∞ = E\[V\] under the exact law of
/// fixed-Fisher SGFS with Î = Î_∞ (our construction; the chain's Î_t = mean of all V so far
/// converges to it, so fixed-Fisher SGFS at Î_∞ is online SGFS's reference law).
///
/// Iterated from the posterior to a relative change below 1e-12. Errors: a configuration that is
/// not `sgfs-online`, B < 2, reshuffled batches, an unstable chain, no convergence in 200
/// iterations.
pub fn online_fisher_reference<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<DMatrix<f64>> {
    let PreconditionerRule::OnlineFisherScoring { scale } =
        sampler_law(&config.kind).preconditioner()
    else {
        return Err(Error::Invalid {
            what: "sampler".into(),
            why: format!(
                "the online-Fisher reference is defined for sgfs-online, not {}",
                config.kind.name()
            ),
        });
    };
    config.validate(model.data_size())?;
    let posterior = exact_posterior(model)?;
    let (mut mean, mut covariance) = (posterior.mean, posterior.covariance);
    let mut previous: Option<DMatrix<f64>> = None;
    for _ in 0..MAX_ITERATIONS {
        let fisher = online_fisher_average(model, &mean, &covariance, config.batching)?;
        if let Some(previous) = &previous {
            if (&fisher - previous).amax() <= TOLERANCE * fisher.amax() {
                return Ok(fisher);
            }
        }
        let h = sgfs_preconditioner(&fisher, model.data_size(), config, scale)?;
        let law = preconditioned_affine_map(config, model, Some(h))?.stationary_law()?;
        mean = law.mean;
        covariance = law.covariance;
        previous = Some(fisher);
    }
    Err(Error::NoClosedForm {
        what: format!(
            "the online-SGFS reference Fisher: the fixed point I -> law(I) -> E[V] -> I did not converge in {MAX_ITERATIONS} iterations"
        ),
    })
}
