//! The whitened moment test in one pass over the draws, with a functional set that scales with
//! the dimension.
//!
//! [`crate::stats::hypothesis::moment_test`] holds the whitened draws and estimates every
//! functional's autocorrelation time by lagged sums, `O(n τ̂)` per functional. This module reads
//! the whitened draws once, keeps per functional a running sum, a sum of squares and the sums of
//! `J ≈ 4096` consecutive micro-batches, and derives both the autocorrelation times and the
//! batch-means t-tests from those micro-batch sums: `O(n K)` time and `O(J K)` memory for `K`
//! functionals, independent of `n`.
//!
//! # Functional sets
//!
//! With `z = L⁻¹(x − m)`, `Σ = L Lᵀ`, under the null every functional below has mean 0:
//!
//! | set | functionals | `K` |
//! |-----|-------------|-----|
//! | [`FunctionalSet::Full`] (`d ≤` [`FULL_MOMENT_SET_MAX_DIM`]) | `z_i`, `z_i² − 1`, `z_i z_j` (`i < j`), `|z|² − d` | `d(d+3)/2 (+1)` |
//! | [`FunctionalSet::Scalable`] (`d >` [`FULL_MOMENT_SET_MAX_DIM`]) | `z_i`, `z_i² − 1`, `y_k² − 1` (the law's [`EXTREME_EIGEN_DIRECTIONS`] narrowest and widest eigen-directions), `w_j² − 1` ([`RANDOM_DIRECTIONS`] fixed random directions), `|z|² − d` | `2d + 33` |
//! | [`FunctionalSet::MeansOnly`] (laws without finite fourth moments) | `z_i` | `d` |
//!
//! where `y = Λ^{-1/2} Vᵀ (x − m)` for `Σ = V Λ Vᵀ` (eigenvalues ascending, so `y_0` is the
//! direction the law is narrowest in) and `w_j = r_jᵀ z` for unit vectors `r_j` drawn once from a
//! fixed seed. The scalable set sees every error of the covariance's trace (`|z|²`), of its
//! diagonal in the Cholesky frame (`z_i²`), of its extreme eigen-directions (`y_k²`), and of
//! random quadratic forms (`w_j²`, which mix the off-diagonal entries); it does not test
//! individual off-diagonal entries `E z_i z_j`: an error confined to one correlation of size `δ`
//! moves a random quadratic form by only about `δ √2 / d`.
//!
//! # Autocorrelation times and batches
//!
//! Micro-batches have length `m₀ = max(1, ⌊n / 4096⌋)` and are aligned with the end of the
//! series (the first `n mod m₀` values enter the sums, not the batches). For a functional with
//! sample variance `γ̂₀` and batch means at length `L` with sample variance `S²_L`, the batch-means
//! estimate of its integrated autocorrelation time is `τ̂(L) = L S²_L / γ̂₀` (Flyvbjerg & Petersen
//! 1989); `τ̂ = max_L τ̂(L)` over `L = m₀ 2^p` with at least 100 blocks (a slight upward bias, which
//! only lengthens the batches), floored as Geyer's estimate is. The batch length of the t-tests is
//! the rule of [`crate::stats::batch_means::checked_batch_length`],
//! `m = max(⌈20 τ̂⌉, ⌈n/100⌉)`, rounded up to a multiple of `m₀`; then, as in
//! [`crate::stats::hypothesis::moment_test`], `t = Ȳ / SE ~ t_{b−1}` per functional at `α/K`.
//!
//! # References
//!
//! - H. Flyvbjerg, H. G. Petersen (1989), "Error estimates on averages of correlated data",
//!   *Journal of Chemical Physics* 91(1), 461–466 (blocking).
//! - J. M. Flegal, G. L. Jones (2010), "Batch means and spectral variance estimators in Markov
//!   chain Monte Carlo", *Annals of Statistics* 38(2), 1034–1070.

use nalgebra::{DMatrix, DMatrixView};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::autocorrelation::tau_floor;
use super::batch_means::{checked_batch_length, MIN_BATCHES};
use super::hypothesis::{FunctionalResult, MomentSet, MomentTestReport};
use super::{check_alpha, cholesky_checked, StatsError};

/// Largest dimension at which the full set of `d(d+3)/2` mean and covariance functionals is
/// tested. Beyond it the Bonferroni share `α/K` of `K ∝ d²` functionals, each estimated from at
/// most 100 batch means, leaves little power per functional, and the cost `O(n d²)` dominates;
/// the scalable set keeps `K = 3d + 17`.
pub const FULL_MOMENT_SET_MAX_DIM: usize = 32;

/// Fixed random directions of the scalable set.
pub const RANDOM_DIRECTIONS: usize = 16;

/// Eigen-directions of the scalable set at each end of the spectrum (the narrowest and the widest
/// directions of the law, where step-size and noise errors act most and least).
pub const EXTREME_EIGEN_DIRECTIONS: usize = 8;

/// Rotated coordinates of the scalable set: `2 · EXTREME_EIGEN_DIRECTIONS + RANDOM_DIRECTIONS`.
const ROTATED: usize = 2 * EXTREME_EIGEN_DIRECTIONS + RANDOM_DIRECTIONS;

/// Seed of the random directions (fixed: the same directions in every run).
const RANDOM_DIRECTIONS_SEED: u64 = 0x5ca1_ab1e;

/// Micro-batches kept per functional (about; `m₀ = max(1, ⌊n / 4096⌋)`).
const TARGET_MICRO_BATCHES: usize = 4096;

/// Fewest blocks at a level for its `τ̂(L)` to count.
const MIN_BLOCKS_FOR_TAU: usize = 100;

/// Which functionals the streaming moment test uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionalSet {
    /// Every mean and covariance functional, `d(d+3)/2` (+ `|z|²` for `d > 1`).
    Full,
    /// Means, coordinate variances, eigen-direction variances, random-direction variances, `|z|²`.
    Scalable,
    /// Means only (laws whose fourth moments may be infinite).
    MeansOnly,
}

impl FunctionalSet {
    /// The set used for dimension `d` and the moments the law allows.
    ///
    /// # Example
    ///
    /// ```
    /// use sgbayes::stats::hypothesis::MomentSet;
    /// use sgbayes::stats::moment_stream::FunctionalSet;
    /// assert_eq!(FunctionalSet::for_dimension(32, MomentSet::MeansAndCovariances), FunctionalSet::Full);
    /// assert_eq!(FunctionalSet::for_dimension(33, MomentSet::MeansAndCovariances), FunctionalSet::Scalable);
    /// assert_eq!(FunctionalSet::for_dimension(100, MomentSet::MeansOnly), FunctionalSet::MeansOnly);
    /// ```
    pub fn for_dimension(d: usize, moments: MomentSet) -> Self {
        match moments {
            MomentSet::MeansOnly => Self::MeansOnly,
            MomentSet::MeansAndCovariances if d <= FULL_MOMENT_SET_MAX_DIM => Self::Full,
            MomentSet::MeansAndCovariances => Self::Scalable,
        }
    }

    /// Number of functionals for dimension `d`.
    pub fn count(self, d: usize) -> usize {
        let norm2 = usize::from(d > 1);
        match self {
            Self::Full => d * (d + 3) / 2 + norm2,
            Self::Scalable => 2 * d + ROTATED + norm2,
            Self::MeansOnly => d,
        }
    }

    /// Names, in the order of the values.
    fn names(self, d: usize) -> Vec<String> {
        let mut names: Vec<String> = (0..d).map(|i| format!("mean[{i}]")).collect();
        if self == Self::MeansOnly {
            return names;
        }
        names.extend((0..d).map(|i| format!("var[{i}]")));
        match self {
            Self::Full => {
                for i in 0..d {
                    names.extend((i + 1..d).map(|j| format!("cov[{i},{j}]")));
                }
            }
            Self::Scalable => {
                names.extend(extreme_eigen_indices(d).map(|k| format!("eig_var[{k}]")));
                names.extend((0..RANDOM_DIRECTIONS).map(|j| format!("dir_var[{j}]")));
            }
            Self::MeansOnly => {}
        }
        if d > 1 {
            names.push("norm2".into());
        }
        names
    }
}

/// Eigen indices (ascending eigenvalue) of the scalable set: the lowest and highest
/// [`EXTREME_EIGEN_DIRECTIONS`].
fn extreme_eigen_indices(d: usize) -> impl Iterator<Item = usize> {
    (0..EXTREME_EIGEN_DIRECTIONS).chain(d - EXTREME_EIGEN_DIRECTIONS..d)
}

/// `A X` for `X` given as row-major rows of length `a.ncols()` (i.e. column-major `Xᵀ`): the
/// rows `A x_t`, row-major. The rows are split in two fixed halves computed on two threads, so
/// the result has the same bits on any number of threads.
pub(crate) fn product_in_halves(a: &DMatrix<f64>, rows: &[f64], width: usize) -> Vec<f64> {
    let count = rows.len() / width;
    let half = count / 2;
    let (left, right) = rows.split_at(half * width);
    let times = |x: &[f64]| -> Vec<f64> {
        if x.is_empty() {
            return Vec::new();
        }
        (a * DMatrixView::from_slice(x, width, x.len() / width))
            .as_slice()
            .to_vec()
    };
    let (mut out, tail) = rayon::join(|| times(left), || times(right));
    out.extend_from_slice(&tail);
    out
}

/// The one-pass whitened moment test: push whitened draws, then [`finish`](Self::finish).
///
/// # Example
///
/// ```
/// use nalgebra::DMatrix;
/// use rand::{Rng, SeedableRng};
/// use rand_distr::StandardNormal;
/// use sgbayes::stats::hypothesis::MomentSet;
/// use sgbayes::stats::moment_stream::StreamingMomentTest;
///
/// let (d, n) = (40, 20_000);
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
/// let z: Vec<f64> = (0..n * d).map(|_| rng.sample(StandardNormal)).collect();
/// let sigma = DMatrix::identity(d, d);
/// let mut test = StreamingMomentTest::new(&sigma, MomentSet::MeansAndCovariances, n).unwrap();
/// test.push_chunk(&z).unwrap();
/// let report = test.finish(1e-6).unwrap();
/// assert_eq!(report.functionals.len(), 2 * d + 33);
/// assert!(!report.reject);
/// // Draws twice as wide: rejected.
/// let wide: Vec<f64> = z.iter().map(|v| v * 2f64.sqrt()).collect();
/// let mut test = StreamingMomentTest::new(&sigma, MomentSet::MeansAndCovariances, n).unwrap();
/// test.push_chunk(&wide).unwrap();
/// assert!(test.finish(1e-6).unwrap().reject);
/// ```
#[derive(Debug, Clone)]
pub struct StreamingMomentTest {
    d: usize,
    set: FunctionalSet,
    k: usize,
    expected: usize,
    micro_length: usize,
    /// Values before the first micro-batch (`n mod m₀`).
    offset: usize,
    seen: usize,
    /// `[Q_extreme; R]`, `ROTATED × d`, for the scalable set.
    rotation: Option<DMatrix<f64>>,
    values: Vec<f64>,
    current: Vec<f64>,
    micro_sums: Vec<f64>,
    shift: Vec<f64>,
    sum: Vec<f64>,
    sum_squares: Vec<f64>,
    scale: Vec<f64>,
}

impl StreamingMomentTest {
    /// A test of `expected` whitened draws against the law with covariance `covariance` (which
    /// only fixes the eigen-directions of the scalable set; the draws arrive whitened).
    ///
    /// # Errors
    ///
    /// [`StatsError::DimensionMismatch`], [`StatsError::NonFinite`], [`StatsError::NotSymmetric`],
    /// [`StatsError::NotPositiveDefinite`] for the covariance.
    pub fn new(
        covariance: &DMatrix<f64>,
        moments: MomentSet,
        expected: usize,
    ) -> Result<Self, StatsError> {
        let d = covariance.nrows();
        if d == 0 {
            return Err(StatsError::DimensionMismatch {
                what: "dimension (must be positive)",
                expected: 1,
                found: 0,
            });
        }
        let chol = cholesky_checked(covariance, d, "null covariance")?;
        let set = FunctionalSet::for_dimension(d, moments);
        let k = set.count(d);
        let micro_length = (expected / TARGET_MICRO_BATCHES).max(1);
        let micro = expected / micro_length;
        let rotation = (set == FunctionalSet::Scalable).then(|| {
            // Q = Λ^{-1/2} Vᵀ L (orthogonal), eigenvalues ascending.
            let eigen = covariance.clone().symmetric_eigen();
            let mut order: Vec<usize> = (0..d).collect();
            order.sort_by(|&a, &b| eigen.eigenvalues[a].total_cmp(&eigen.eigenvalues[b]));
            let l = chol.l();
            let mut rotation = DMatrix::zeros(ROTATED, d);
            for (row, k) in extreme_eigen_indices(d).enumerate() {
                let e = order[k];
                let v = eigen.eigenvectors.column(e);
                let q = (v.transpose() * &l) / eigen.eigenvalues[e].sqrt();
                rotation.row_mut(row).copy_from(&q);
            }
            let mut rng = ChaCha8Rng::seed_from_u64(RANDOM_DIRECTIONS_SEED);
            for j in 0..RANDOM_DIRECTIONS {
                let r: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
                let norm = r.iter().map(|v| v * v).sum::<f64>().sqrt();
                for (i, v) in r.iter().enumerate() {
                    rotation[(2 * EXTREME_EIGEN_DIRECTIONS + j, i)] = v / norm;
                }
            }
            rotation
        });
        Ok(Self {
            d,
            set,
            k,
            expected,
            micro_length,
            offset: expected - micro * micro_length,
            seen: 0,
            rotation,
            values: vec![0.0; k],
            current: vec![0.0; k],
            micro_sums: Vec::with_capacity(micro * k),
            shift: vec![0.0; k],
            sum: vec![0.0; k],
            sum_squares: vec![0.0; k],
            scale: vec![0.0; k],
        })
    }

    /// The functional set in use.
    pub fn set(&self) -> FunctionalSet {
        self.set
    }

    /// Adds whitened draws, row-major `[rows, d]`, finite (the caller checks).
    ///
    /// # Errors
    ///
    /// [`StatsError::DimensionMismatch`] if the chunk is not whole rows or more rows arrive than
    /// announced.
    pub fn push_chunk(&mut self, whitened: &[f64]) -> Result<(), StatsError> {
        let d = self.d;
        let rows = whitened.len() / d;
        if !whitened.len().is_multiple_of(d) || self.seen + rows > self.expected {
            return Err(StatsError::DimensionMismatch {
                what: "whitened draws pushed to the moment test",
                expected: self.expected * d,
                found: self.seen * d + whitened.len(),
            });
        }
        // Rotated coordinates of the whole chunk in one product: column t = [Q; R] z_t.
        let rotated = self
            .rotation
            .as_ref()
            .map(|rotation| product_in_halves(rotation, whitened, d))
            .unwrap_or_default();
        for (t, z) in whitened.chunks_exact(d).enumerate() {
            let extra = (!rotated.is_empty()).then(|| &rotated[t * ROTATED..(t + 1) * ROTATED]);
            self.fill(z, extra);
            self.accumulate();
        }
        Ok(())
    }

    /// The functionals of one whitened draw into `self.values`.
    fn fill(&mut self, z: &[f64], rotated: Option<&[f64]>) {
        let d = self.d;
        let v = &mut self.values;
        v[..d].copy_from_slice(z);
        if self.set == FunctionalSet::MeansOnly {
            return;
        }
        let mut at = d;
        for &zi in z {
            v[at] = zi * zi - 1.0;
            at += 1;
        }
        match self.set {
            FunctionalSet::Full => {
                for i in 0..d {
                    let zi = z[i];
                    for &zj in &z[i + 1..] {
                        v[at] = zi * zj;
                        at += 1;
                    }
                }
            }
            FunctionalSet::Scalable => {
                for &y in rotated.unwrap_or(&[]) {
                    v[at] = y * y - 1.0;
                    at += 1;
                }
            }
            FunctionalSet::MeansOnly => {}
        }
        if d > 1 {
            v[at] = z.iter().map(|x| x * x).sum::<f64>() - d as f64;
        }
    }

    fn accumulate(&mut self) {
        if self.seen == 0 {
            self.shift.copy_from_slice(&self.values);
        }
        for j in 0..self.k {
            let f = self.values[j];
            let c = f - self.shift[j];
            self.sum[j] += f;
            self.sum_squares[j] += c * c;
            self.scale[j] = self.scale[j].max(f.abs());
        }
        self.seen += 1;
        if self.seen > self.offset {
            for (c, f) in self.current.iter_mut().zip(&self.values) {
                *c += f;
            }
            if (self.seen - self.offset).is_multiple_of(self.micro_length) {
                self.micro_sums.extend_from_slice(&self.current);
                self.current.iter_mut().for_each(|c| *c = 0.0);
            }
        }
    }

    /// The test at family-wise level `alpha` (Bonferroni over the functionals).
    ///
    /// # Errors
    ///
    /// [`StatsError::InvalidAlpha`]; [`StatsError::DimensionMismatch`] if fewer draws arrived than
    /// announced; [`StatsError::TooFewDraws`] (`n < 4`); [`StatsError::ZeroVariance`] for a
    /// constant functional; [`StatsError::TooFewEffectiveDraws`] if fewer than 20 batches of
    /// `⌈20 τ̂⌉` fit.
    pub fn finish(&self, alpha: f64) -> Result<MomentTestReport, StatsError> {
        check_alpha(alpha)?;
        let (n, k, m0) = (self.seen, self.k, self.micro_length);
        if n != self.expected {
            return Err(StatsError::DimensionMismatch {
                what: "draws pushed to the moment test",
                expected: self.expected,
                found: n,
            });
        }
        if n < 4 {
            return Err(StatsError::TooFewDraws { n, needed: 4 });
        }
        let names = self.set.names(self.d);
        let micro = self.micro_sums.len() / k;
        let nf = n as f64;
        let mut taus = Vec::with_capacity(k);
        for (j, name) in names.iter().enumerate() {
            let mean_shift = self.sum[j] / nf - self.shift[j];
            let ss = self.sum_squares[j] - nf * mean_shift * mean_shift;
            let rounding = 16.0 * f64::EPSILON * self.scale[j];
            if !(ss > nf * rounding * rounding) {
                return Err(StatsError::ZeroVariance { what: name.clone() });
            }
            let g0 = ss / nf;
            let mut tau = tau_floor(n);
            let mut level = 1;
            while micro / level >= MIN_BLOCKS_FOR_TAU.min(micro) && micro / level >= 2 {
                let (_, variance) = self.batch_moments(j, level, micro / level);
                tau = tau.max((level * m0) as f64 * variance / g0);
                level *= 2;
            }
            taus.push(tau);
        }
        let max_tau = taus.iter().copied().fold(0.0_f64, f64::max);
        let rule = checked_batch_length(n, max_tau)?;
        let per_batch = rule.div_ceil(m0);
        let n_batches = micro / per_batch;
        if n_batches < MIN_BATCHES {
            return Err(StatsError::TooFewEffectiveDraws {
                n,
                tau: max_tau,
                needed: MIN_BATCHES * per_batch * m0 + self.offset,
            });
        }
        let batch_length = per_batch * m0;
        let per_functional_alpha = alpha / k as f64;
        let student = StudentsT::new(0.0, 1.0, (n_batches - 1) as f64).ok();
        let mut functionals = Vec::with_capacity(k);
        for (j, (name, &tau)) in names.iter().zip(&taus).enumerate() {
            let (mean, variance) = self.batch_moments(j, per_batch, n_batches);
            if !(variance > 0.0) {
                return Err(StatsError::ZeroVariance { what: name.clone() });
            }
            let standard_error = (variance / n_batches as f64).sqrt();
            let statistic = mean / standard_error;
            let p_value = student
                .as_ref()
                .map_or(f64::NAN, |s| (2.0 * s.sf(statistic.abs())).min(1.0));
            functionals.push(FunctionalResult {
                name: name.clone(),
                estimate: mean,
                standard_error,
                statistic,
                tau,
                effective_sample_size: nf / tau,
                p_value,
                reject: p_value < per_functional_alpha,
            });
        }
        let min_p = functionals
            .iter()
            .map(|r| r.p_value)
            .fold(1.0_f64, f64::min);
        Ok(MomentTestReport {
            reject: functionals.iter().any(|r| r.reject),
            p_value: (k as f64 * min_p).min(1.0),
            alpha,
            per_functional_alpha,
            n_draws: n,
            dim: self.d,
            batch_length,
            n_batches,
            degrees_of_freedom: n_batches - 1,
            max_tau,
            min_ess: nf / max_tau,
            functionals,
        })
    }

    /// Mean and sample variance of the means of the last `blocks` batches of `per_batch`
    /// micro-batches, for functional `j`.
    fn batch_moments(&self, j: usize, per_batch: usize, blocks: usize) -> (f64, f64) {
        let micro = self.micro_sums.len() / self.k;
        let first = micro - blocks * per_batch;
        let length = (per_batch * self.micro_length) as f64;
        let (mut mean, mut ss) = (0.0, 0.0);
        for b in 0..blocks {
            let start = first + b * per_batch;
            let y = (start..start + per_batch)
                .map(|u| self.micro_sums[u * self.k + j])
                .sum::<f64>()
                / length;
            let delta = y - mean;
            mean += delta / (b + 1) as f64;
            ss += delta * (y - mean);
        }
        (mean, ss / (blocks as f64 - 1.0))
    }
}
