//! Leading orders in the step size of the relative variance bias a·v − 1 of SGLD on the 1-d
//! Gaussian model problem, for full-batch ULA, Robbins–Monro minibatches (independent batches every
//! step) and random reshuffling (epochs without replacement), after Shaw & Whalley 2025, "Random
//! reshuffling for stochastic gradient Langevin dynamics" (arXiv:2501.16055), analytical Gaussian
//! model problem, and Adhikari et al. 2023 (arXiv:2306.03521), whose exact 1-d laws they expand.
//!
//! # Formula \[derived]
//! Model ℓ_i(θ) = (θ − x_i)²/2 (σ = 1), posterior precision a, step h (the Langevin step
//! θ ← θ − h∇L_b + √(2h)ξ; the crate's SGLD has h = ε/2), M = N/B batches per epoch, s² the
//! population variance of the data. Minibatch-gradient variance V₁ = N²s²(N − B)/(B(N − 1)) for B
//! distinct indices, V = N²s²/B for i.i.d. indices. Relative bias a·v − 1 to leading order:
//! ULA ha/2; Robbins–Monro h(a + V)/2; reshuffled, all iterates ha/2 + h²aV₁(M + 1)/6; reshuffled,
//! epoch ends ha/2 + h³a²V₁M(M + 1)/24. These are the expansions of the exact stationary variances
//! (the reference digest's reconstruction of the paper's model problem; the paper's equation
//! numbers are not verified): the minibatch part is O(h) for Robbins–Monro, O(h²) for reshuffling
//! over all iterates and O(h³) at epoch ends. Each function takes h·a and a (h = (h·a)/a).
//!
//! ```
//! use sgbayes::theory::reshuffling_bias::{
//!     distinct_index_variance, reshuffled_epoch_end_bias, robbins_monro_bias, ula_bias,
//! };
//! let (a, v1) = (40.01, distinct_index_variance(40, 4, 0.5));
//! let ha = 0.01;
//! // At h·a = 0.01 the minibatch part of reshuffling at epoch ends is below 1% of Robbins–Monro's.
//! let minibatch = |bias: f64| bias - ula_bias(ha);
//! let (end, rm) = (reshuffled_epoch_end_bias(ha, a, v1, 10.0), robbins_monro_bias(ha, a, v1));
//! assert!(minibatch(end) < 0.01 * minibatch(rm));
//! ```

/// V₁ = N²s²(N − B)/(B(N − 1)): the variance of the minibatch gradient of B distinct indices
/// (σ = 1), for N data points of population variance s².
pub fn distinct_index_variance(data_size: usize, batch_size: usize, spread: f64) -> f64 {
    let (n, b) = (data_size as f64, batch_size as f64);
    n * n * spread * (n - b) / (b * (n - 1.0))
}

/// V = N²s²/B: the variance of the minibatch gradient of B i.i.d. indices (σ = 1).
pub fn iid_index_variance(data_size: usize, batch_size: usize, spread: f64) -> f64 {
    let n = data_size as f64;
    n * n * spread / batch_size as f64
}

/// Full-batch ULA: ha/2.
pub fn ula_bias(ha: f64) -> f64 {
    ha / 2.0
}

/// Robbins–Monro (independent batches every step, gradient variance `variance`): h(a + V)/2.
pub fn robbins_monro_bias(ha: f64, precision: f64, variance: f64) -> f64 {
    let h = ha / precision;
    h * (precision + variance) / 2.0
}

/// Random reshuffling, all iterates: ha/2 + h²aV₁(M + 1)/6 with M = `batches` per epoch.
pub fn reshuffled_every_step_bias(ha: f64, precision: f64, variance: f64, batches: f64) -> f64 {
    let h = ha / precision;
    ha / 2.0 + h * h * precision * variance * (batches + 1.0) / 6.0
}

/// Random reshuffling, epoch ends: ha/2 + h³a²V₁M(M + 1)/24 with M = `batches` per epoch.
pub fn reshuffled_epoch_end_bias(ha: f64, precision: f64, variance: f64, batches: f64) -> f64 {
    let h = ha / precision;
    ha / 2.0 + h.powi(3) * precision * precision * variance * batches * (batches + 1.0) / 24.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variances_carry_the_finite_population_factor() {
        let (distinct, iid) = (
            distinct_index_variance(40, 4, 2.0),
            iid_index_variance(40, 4, 2.0),
        );
        assert!((distinct / iid - 36.0 / 39.0).abs() < 1e-15);
        assert_eq!(distinct_index_variance(40, 40, 2.0), 0.0);
    }

    #[test]
    fn orders_in_the_step_size() {
        let (a, v) = (40.01, 900.0);
        let minibatch = |f: &dyn Fn(f64) -> f64, ha: f64| f(ha) - ula_bias(ha);
        let rm = |ha| robbins_monro_bias(ha, a, v);
        let every = |ha| reshuffled_every_step_bias(ha, a, v, 10.0);
        let end = |ha| reshuffled_epoch_end_bias(ha, a, v, 10.0);
        let order = |f: &dyn Fn(f64) -> f64| (minibatch(f, 2e-3) / minibatch(f, 1e-3)).log2();
        // Robbins–Monro's minibatch part h·V/2 is exactly first order.
        assert!((order(&rm) - 1.0).abs() < 1e-12);
        assert!((order(&every) - 2.0).abs() < 1e-12);
        assert!((order(&end) - 3.0).abs() < 1e-12);
    }

    #[test]
    fn one_batch_per_epoch_leaves_the_ula_bias_plus_its_term() {
        // M = 1: h²aV(2)/6 and h³a²V(2)/24.
        let (a, v, ha) = (2.0, 3.0, 0.1);
        let h = ha / a;
        let every = reshuffled_every_step_bias(ha, a, v, 1.0) - ha / 2.0;
        assert!((every - h * h * a * v / 3.0).abs() < 1e-15);
        let end = reshuffled_epoch_end_bias(ha, a, v, 1.0) - ha / 2.0;
        assert!((end - h.powi(3) * a * a * v / 12.0).abs() < 1e-15);
    }
}
