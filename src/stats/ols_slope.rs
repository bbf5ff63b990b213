//! The ordinary least-squares slope of y on x with the standard deviation it inherits from
//! independent errors of the y values.
//!
//! # Formula
//! With x̄ = Σx_k/K and S_xx = Σ(x_k − x̄)², the slope is a linear combination of the y values,
//!
//! ```text
//! β̂ = Σ w_k y_k,   w_k = (x_k − x̄)/S_xx,   sd(β̂) = sqrt(Σ w_k² sd_k²)
//! ```
//!
//! for independent y_k with standard deviations sd_k (the textbook OLS slope; its variance by
//! linear error propagation, e.g. Seber & Lee 2003, *Linear Regression Analysis*, §3.3 with a
//! diagonal covariance). The weights are the unweighted OLS ones even when the sd_k differ, so
//! β̂ is unbiased but not minimum-variance.

/// The OLS slope of `y` on `x` and its standard deviation for independent `y` with standard
/// deviations `sd`: `(β̂, sd(β̂))`.
///
/// The three slices must have equal length ≥ 2 with at least two distinct `x` (else the slope
/// is NaN); extra entries of a longer slice are ignored.
///
/// # Example
///
/// ```
/// use sgbayes::stats::ols_slope::ols_slope_with_error;
///
/// // y = 1 + 2x exactly; each y has standard deviation 0.1.
/// let (slope, sd) = ols_slope_with_error(&[0.0, 1.0, 2.0], &[1.0, 3.0, 5.0], &[0.1; 3]);
/// assert!((slope - 2.0).abs() < 1e-15);
/// // w = (−1/2, 0, 1/2): sd = 0.1 · sqrt(1/2).
/// assert!((sd - 0.1 * 0.5f64.sqrt()).abs() < 1e-15);
/// ```
pub fn ols_slope_with_error(x: &[f64], y: &[f64], sd: &[f64]) -> (f64, f64) {
    let mean_x = x.iter().sum::<f64>() / x.len() as f64;
    let sxx: f64 = x.iter().map(|v| (v - mean_x).powi(2)).sum();
    let w: Vec<f64> = x.iter().map(|v| (v - mean_x) / sxx).collect();
    let b = w.iter().zip(y).map(|(w, v)| w * v).sum();
    let var: f64 = w.iter().zip(sd).map(|(w, s)| w * w * s * s).sum();
    (b, var.sqrt())
}
