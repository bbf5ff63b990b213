//! Tuning results of the papers: the KL-optimal constant learning rate and the temperature.

use nalgebra::DMatrix;

use crate::batching::Batching;
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// Per-example gradient-noise covariance at θ:
/// C(θ) = (1/N) Σ_i (∇ℓ_i(θ) − ḡ)(∇ℓ_i(θ) − ḡ)ᵀ, ḡ = (1/N)Σ_i ∇ℓ_i(θ)
/// (Mandt et al. 2017, §2, with the prior split evenly over examples: the prior's share is the
/// same for every example and cancels).
pub fn gradient_noise_covariance<M: QuadraticModel + ?Sized>(
    model: &M,
    theta: &nalgebra::DVector<f64>,
) -> DMatrix<f64> {
    let n = model.data_size();
    let d = model.dimension();
    let gradients: Vec<_> = (0..n)
        .map(|i| model.example_hessian(i) * theta - model.example_offset(i))
        .collect();
    let mean = gradients
        .iter()
        .fold(nalgebra::DVector::zeros(d), |acc, g| acc + g)
        / n as f64;
    let mut c = DMatrix::zeros(d, d);
    for g in &gradients {
        let centred = g - &mean;
        c.ger(1.0, &centred, &centred, 1.0);
    }
    c / n as f64
}

/// KL-optimal constant learning rate of SGD (Mandt et al. 2017, Theorem 1).
///
/// # Formula
/// ε* = 2 d B / (N Tr C), with C the per-example gradient-noise covariance at the optimum θ*
/// ([`gradient_noise_covariance`]), for θ ← θ − ε ∇L̂_S(θ), L = U/N.
/// The paper assumes sampling with replacement (or B ≪ N). For minibatches drawn without
/// replacement the minibatch covariance is γC/B, γ = (N − B)/(N − 1), and the same derivation
/// gives ε* = 2dB/(γ N Tr C) — this refinement is ours. Returns `None` when the gradient noise
/// vanishes (γ = 0 or C = 0): then KL decreases without bound in ε up to the stability limit.
///
/// ```
/// use nalgebra::DVector;
/// use sgbayes::batching::Batching;
/// use sgbayes::models::LinearRegression;
/// use sgbayes::theory::optimal_learning_rate;
/// let model = LinearRegression::new(vec![vec![1.0]; 4], vec![0.0, 1.0, 2.0, 3.0], 1.0, 1.0).unwrap();
/// // C = Var(θ* − y_i) = Var(y) = 1.25, d = 1, B = 2, N = 4:  ε* = 4/(4·1.25)
/// let eps = optimal_learning_rate(&model, &DVector::from_element(1, 0.3), 2, Batching::WithReplacement).unwrap();
/// assert!((eps.unwrap() - 0.8).abs() < 1e-12);
/// ```
pub fn optimal_learning_rate<M: QuadraticModel + ?Sized>(
    model: &M,
    optimum: &nalgebra::DVector<f64>,
    batch_size: usize,
    batching: Batching,
) -> Result<Option<f64>> {
    let n = model.data_size();
    if batch_size == 0 || batch_size > n {
        return Err(Error::BatchSize {
            batch_size,
            data_size: n,
        });
    }
    let gamma = batching
        .finite_population_factor(n, batch_size)
        .unwrap_or(1.0);
    let trace = gradient_noise_covariance(model, optimum).trace();
    let denominator = gamma * n as f64 * trace;
    Ok((denominator > 0.0)
        .then(|| 2.0 * model.dimension() as f64 * batch_size as f64 / denominator))
}

/// Temperature of minibatch (natural-)gradient descent (Smith et al. 2018).
///
/// # Formula
/// T = εN/(2B), for the update Δω = −(ε/N) F⁻¹ ∂Ĉ/∂ω with Ĉ the minibatch estimate of the summed
/// cost (Smith et al. 2018, §3; the same learning-rate convention as our `sgd`, whose update is
/// −(ε/N) ĝ). The stationary law then approaches p(ω | data)^{1/T} near a minimum when the
/// per-example gradient covariance matches the Fisher. Without replacement (our refinement, exact
/// finite-population factor) the minibatch covariance carries γ = (N − B)/(N − 1), so
/// T = γ εN/(2B) (≈ ε(N − B)/(2B) for large N).
///
/// ```
/// use sgbayes::batching::Batching;
/// use sgbayes::theory::smith_temperature;
/// assert_eq!(smith_temperature(0.1, 1000, 50, Batching::WithReplacement), 1.0);
/// assert_eq!(smith_temperature(0.1, 1000, 1000, Batching::WithoutReplacement), 0.0);
/// ```
pub fn smith_temperature(
    step_size: f64,
    data_size: usize,
    batch_size: usize,
    batching: Batching,
) -> f64 {
    // Reshuffled batches have, at each step, the marginal law of a without-replacement batch.
    let scheme = if batching == Batching::Reshuffle {
        Batching::WithoutReplacement
    } else {
        batching
    };
    let gamma = scheme
        .finite_population_factor(data_size, batch_size)
        .unwrap_or(1.0);
    gamma * step_size * data_size as f64 / (2.0 * batch_size as f64)
}
