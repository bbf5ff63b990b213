//! Streaming estimate of ½·scale·Cov(x) about a known mean from independent draws, entry by entry
//! with i.i.d. standard errors: e.g. the per-step diffusion matrix D = ½Cov(Δw) of SGD sampled from
//! single steps at a fixed point, where Δw = −η·(minibatch gradient) and the exact mean is known
//! (Adhikari et al. 2023, arXiv:2306.03521, claim 2: the authors' check of D, made calibrated).
//!
//! # Formula \[derived here]
//! For draws x_1..x_n of mean μ (known), the products p_ij = ½·c·(x_i − μ_i)(x_j − μ_j) have mean
//! ½·c·Cov(x)_ij; the estimate is their sample mean with standard error s_ij/√n, s_ij² the sample
//! variance of the products (from running sums, clamped at 0), n − 1 degrees of freedom. With
//! x = minibatch gradient and c = η², ½c·Cov(x) = ½Cov(Δw).

use nalgebra::DMatrix;

use super::replicates::ReplicateMean;

/// Running sums of the products ½·scale·(x_i − μ_i)(x_j − μ_j). Adding a draw allocates nothing.
///
/// ```
/// use sgbayes::stats::half_covariance::HalfCovariance;
/// let mut h = HalfCovariance::new(&[0.0], 4.0);
/// for x in [1.0, -1.0, 1.0, -1.0] {
///     h.add(&[x]);
/// }
/// // ½·4·E x² = 2, no spread.
/// let entries = h.entries();
/// assert_eq!((entries[0].mean, entries[0].standard_error, entries[0].dof), (2.0, 0.0, 3));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HalfCovariance {
    mean: Vec<f64>,
    factor: f64,
    sum: DMatrix<f64>,
    sum_squares: DMatrix<f64>,
    draws: usize,
}

impl HalfCovariance {
    /// No draws yet; products about the known mean `mean`, scaled by ½·`scale`.
    pub fn new(mean: &[f64], scale: f64) -> Self {
        let d = mean.len();
        Self {
            mean: mean.to_vec(),
            factor: 0.5 * scale,
            sum: DMatrix::zeros(d, d),
            sum_squares: DMatrix::zeros(d, d),
            draws: 0,
        }
    }

    /// Adds one draw (its length must be the mean's; extra coordinates are ignored).
    pub fn add(&mut self, x: &[f64]) {
        let d = self.mean.len();
        for i in 0..d {
            for j in 0..d {
                let p = self.factor * (x[i] - self.mean[i]) * (x[j] - self.mean[j]);
                self.sum[(i, j)] += p;
                self.sum_squares[(i, j)] += p * p;
            }
        }
        self.draws += 1;
    }

    /// The entries' estimates in column-major order (entry (i, j) at index i + j·d), each with its
    /// i.i.d. standard error.
    pub fn entries(&self) -> Vec<ReplicateMean> {
        let n = self.draws as f64;
        self.sum
            .iter()
            .zip(self.sum_squares.iter())
            .map(|(sum, sum_squares)| {
                let m = sum / n;
                let sd = ((sum_squares / n - m * m) * n / (n - 1.0)).max(0.0).sqrt();
                ReplicateMean {
                    mean: m,
                    standard_error: sd / n.sqrt(),
                    dof: self.draws.saturating_sub(1),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_diagonal_entries_and_the_known_mean() {
        // Draws (1, 1) and (3, −1) about μ = (2, 0): products ½(∓1)(±1) = −½ both times.
        let mut h = HalfCovariance::new(&[2.0, 0.0], 1.0);
        h.add(&[1.0, 1.0]);
        h.add(&[3.0, -1.0]);
        let e = h.entries();
        assert_eq!(e.len(), 4);
        assert_eq!(
            (e[0].mean, e[1].mean, e[2].mean, e[3].mean),
            (0.5, -0.5, -0.5, 0.5)
        );
        assert!(e.iter().all(|x| x.standard_error == 0.0 && x.dof == 1));
    }

    #[test]
    fn standard_error_is_the_spread_of_the_products() {
        // Products ½x² for x = 0, 2: {0, 2}, mean 1, sample sd √2, SE √2/√2 = 1.
        let mut h = HalfCovariance::new(&[0.0], 1.0);
        h.add(&[0.0]);
        h.add(&[2.0]);
        let e = h.entries()[0];
        assert_eq!(e.mean, 1.0);
        assert!((e.standard_error - 1.0).abs() < 1e-15);
    }
}
