//! The Averaged Stochastic Gradient Sampler (Mandt, Hoffman & Blei 2017).
//!
//! # Update (Mandt et al. 2017, §5, "Averaged Stochastic Gradient Sampler")
//! Run constant SGD, θ ← θ − (ε/N) ĝ(θ) (the chain [`super::build`] returns for `asgs` is
//! [`super::Sgd`]), and use the mean of each window of n consecutive iterates as one draw. The
//! paper motivates it by Polyak–Ruppert averaging: a window mean has covariance
//! ≈ A⁻¹CA⁻¹/(Bn), which is the posterior's (NA)⁻¹ when C ≈ A and n = N/B (one epoch). The exact
//! finite-n law of a window mean is derived here (`theory::window_mean_covariance`).

/// Means of consecutive non-overlapping windows of `window` draws (row-major, `dimension`
/// columns); a trailing incomplete window is dropped.
///
/// ```
/// use sgbayes::samplers::window_means;
/// let draws = [1.0, 10.0, 3.0, 20.0, 5.0, 30.0, 7.0, 40.0, 9.0, 50.0];
/// assert_eq!(window_means(&draws, 2, 2), vec![2.0, 15.0, 6.0, 35.0]);
/// ```
pub fn window_means(draws: &[f64], dimension: usize, window: usize) -> Vec<f64> {
    if dimension == 0 || window == 0 {
        return Vec::new();
    }
    let rows = draws.len() / dimension;
    let windows = rows / window;
    let mut out = vec![0.0; windows * dimension];
    for w in 0..windows {
        let target = &mut out[w * dimension..(w + 1) * dimension];
        for r in w * window..(w + 1) * window {
            for (t, x) in target
                .iter_mut()
                .zip(&draws[r * dimension..(r + 1) * dimension])
            {
                *t += x;
            }
        }
        for t in target.iter_mut() {
            *t /= window as f64;
        }
    }
    out
}
