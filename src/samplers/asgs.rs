//! The Averaged Stochastic Gradient Sampler (Mandt, Hoffman & Blei 2017).
//!
//! # Update (Mandt et al. 2017, §5, "Averaged Stochastic Gradient Sampler")
//! Run constant SGD, θ ← θ − (ε/N) ĝ(θ) (the chain [`super::build`] returns for `asgs` is
//! [`super::Sgd`]), and use the mean of each window of n consecutive iterates as one draw. The
//! paper motivates it by Polyak–Ruppert averaging: a window mean has covariance
//! ≈ A⁻¹CA⁻¹/(Bn), which is the posterior's (NA)⁻¹ when C ≈ A and n = N/B (one epoch). The exact
//! finite-n law of a window mean is derived here (`theory::window_mean_covariance`).

use crate::config::{SamplerConfig, SamplerKind};

/// The averaging window of a configuration whose draws are window means of iterates (ASGS), or
/// `None` when its draws are the states. [`crate::chain::Chain::new`] reads it to make the chain's
/// draws window means ([`crate::chain::Draws::WindowMeans`]).
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, samplers};
/// let asgs = SamplerConfig::new(SamplerKind::Asgs { window: 10 }, 0.1, 2, Batching::WithReplacement);
/// assert_eq!(samplers::averaging_window(&asgs), Some(10));
/// let sgd = SamplerConfig { kind: SamplerKind::Sgd, ..asgs };
/// assert_eq!(samplers::averaging_window(&sgd), None);
/// ```
pub fn averaging_window(config: &SamplerConfig) -> Option<usize> {
    match config.kind {
        SamplerKind::Asgs { window } => Some(window),
        _ => None,
    }
}

/// The running mean of a window of iterates: the one implementation of iterate averaging (the
/// chain's [`crate::chain::Draws::WindowMeans`] and [`window_means`] both use it).
///
/// # Formula
/// The draw of window w is θ̄_w = (1/n) Σ_{t=wn+1}^{(w+1)n} θ_t (Mandt et al. 2017, §5), summed in
/// order of t and divided once. Allocation-free after construction.
///
/// ```
/// use sgbayes::samplers::IterateAverage;
/// let mut average = IterateAverage::new(1, 2);
/// assert_eq!(average.push(&[1.0]), None);
/// assert_eq!(average.push(&[4.0]), Some(&[2.5][..]));
/// assert_eq!(average.push(&[3.0]), None);
/// ```
#[derive(Debug, Clone)]
pub struct IterateAverage {
    window: usize,
    filled: usize,
    /// The running sum of the current window; the window mean once it is complete.
    sum: Vec<f64>,
}

impl IterateAverage {
    /// Means of windows of `window` (≥ 1; 0 is read as 1) iterates of dimension d.
    pub fn new(dimension: usize, window: usize) -> Self {
        Self {
            window: window.max(1),
            filled: 0,
            sum: vec![0.0; dimension],
        }
    }

    /// Drops a partly filled window: the next push starts a new one.
    pub fn restart(&mut self) {
        self.filled = 0;
    }

    /// Adds an iterate; returns the window mean when it completes a window (the next push starts
    /// a new window).
    #[inline]
    pub fn push(&mut self, iterate: &[f64]) -> Option<&[f64]> {
        if self.filled == 0 {
            self.sum.fill(0.0);
        }
        for (s, x) in self.sum.iter_mut().zip(iterate) {
            *s += x;
        }
        self.filled += 1;
        if self.filled < self.window {
            return None;
        }
        self.filled = 0;
        for s in self.sum.iter_mut() {
            *s /= self.window as f64;
        }
        Some(&self.sum)
    }
}

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
    let mut average = IterateAverage::new(dimension, window);
    let mut out = Vec::with_capacity(draws.len() / (dimension * window) * dimension);
    for row in draws.chunks_exact(dimension) {
        if let Some(mean) = average.push(row) {
            out.extend_from_slice(mean);
        }
    }
    out
}
