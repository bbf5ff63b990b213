//! The mean of independent chains' batch-means estimates of the same quantity.
//!
//! # Formula
//! K independent chains with batch-means estimates x̄_k, standard errors SE_k and b_k batches:
//!
//! ```text
//! x̄ = Σ_k x̄_k / K,    SE(x̄) = sqrt(Σ_k SE_k²) / K,    ν = Σ_k (b_k − 1).
//! ```
//!
//! The variance is that of an average of independent estimates. Each (x̄_k − μ)/SE_k is
//! approximately Student-t with b_k − 1 degrees of freedom (Flegal & Jones 2010, "Batch means and
//! spectral variance estimators in Markov chain Monte Carlo", Ann. Statist. 38(2)); for
//! identically distributed chains the pooled statistic (x̄ − μ)/SE(x̄) is the batch-means
//! statistic of all Σ b_k batches, with ν degrees of freedom (derived here).

use super::batch_means::UnivariateBatchMeans;

/// A pooled estimate over independent chains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PooledMean {
    /// x̄, the mean of the chains' estimates.
    pub mean: f64,
    /// sqrt(Σ SE_k²)/K.
    pub standard_error: f64,
    /// Σ (b_k − 1), the degrees of freedom of the pooled t statistic.
    pub dof: usize,
}

/// Pools the batch-means summaries of independent chains (one per chain, in chain order).
///
/// An empty slice gives a NaN mean and standard error (there is nothing to pool).
///
/// # Example
///
/// ```
/// use sgbayes::stats::pooled_chains::pool_batch_means;
/// use sgbayes::stats::univariate_batch_means;
///
/// let a: Vec<f64> = (0..400).map(|t| ((t * 7919) % 101) as f64).collect();
/// let b: Vec<f64> = (0..400).map(|t| ((t * 104_729) % 103) as f64).collect();
/// let chains = [univariate_batch_means(&a, 20).unwrap(), univariate_batch_means(&b, 20).unwrap()];
/// let pooled = pool_batch_means(&chains);
/// assert_eq!(pooled.mean, (chains[0].mean + chains[1].mean) / 2.0);
/// let se = (chains[0].standard_error.powi(2) + chains[1].standard_error.powi(2)).sqrt() / 2.0;
/// assert_eq!(pooled.standard_error, se);
/// assert_eq!(pooled.dof, 2 * 19);
/// ```
pub fn pool_batch_means(chains: &[UnivariateBatchMeans]) -> PooledMean {
    let k = chains.len() as f64;
    let mean = chains.iter().map(|c| c.mean).sum::<f64>() / k;
    let variance = chains.iter().map(|c| c.standard_error.powi(2)).sum::<f64>();
    PooledMean {
        mean,
        standard_error: variance.sqrt() / k,
        dof: chains.iter().map(|c| c.n_batches - 1).sum(),
    }
}
