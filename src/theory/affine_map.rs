//! The engine: exact stationary mean and covariance of an affine random map driven by minibatches.
//!
//! On a quadratic model every sampler step is z' = M_S z + c_S + L ξ, where the pair (M_S, c_S)
//! depends only on the minibatch S and ξ ~ N(0, I) is independent of everything else. Minibatch
//! samplers average per-example pieces: M_S = (1/B) Σ_{k=1}^B M_{i_k}, c_S = (1/B) Σ_k c_{i_k}.
//! The derivation is in `docs/exact-discrete-law.md`; in short:
//!
//! # Formula
//! Write M̄ = (1/N)Σ_i M_i, c̄ = (1/N)Σ_i c_i, D_i = M_i − M̄, and κ = γ/B with γ the finite-population
//! factor of the batching scheme ([`Batching::finite_population_factor`]).
//! * Stationary mean: m = (I − M̄)⁻¹ c̄ (requires ρ(M̄) < 1).
//! * Stationary covariance Σ: the unique solution of the generalised Stein equation
//!   Σ = M̄ Σ M̄ᵀ + (κ/N) Σ_i D_i Σ D_iᵀ + (κ/N) Σ_i e_i e_iᵀ + L Lᵀ,  e_i = M_i m + c_i − m,
//!   which exists (and is positive semi-definite) iff the second-moment operator
//!   T(X) = M̄ X M̄ᵀ + (κ/N) Σ_i D_i X D_iᵀ has spectral radius < 1 (mean-square stability).
//!   T is a positive map, so ρ(T) < 1 iff X = T(X) + I has a positive definite solution; that is
//!   how instability is detected.
//! * Autocovariance Cov(z_{t+k}, z_t) = M̄^k Σ; long-run covariance of the time average
//!   Ω = Σ_{k∈ℤ} Cov(z_{t+k}, z_t) = (I − M̄)⁻¹Σ + Σ(I − M̄)⁻ᵀ − Σ.
//! * Continuous-time (Ornstein–Uhlenbeck) approximation (Mandt et al. 2017, §3): drop the terms of
//!   second order in the drift and the multiplicative noise, G Σ + Σ Gᵀ = Q_opt with G = I − M̄ and
//!   Q_opt = (κ/N) Σ_i e_i e_iᵀ + L Lᵀ, the one-step noise covariance at the stationary mean.

use nalgebra::{Cholesky, DMatrix, DVector};

use super::gaussian::symmetrize;
use super::lyapunov::{
    add_congruence, add_cross_congruence, add_rank_one_congruences, solve_continuous_lyapunov,
    SteinOperator,
};
use super::second_moment_iterative::{
    product, solve_splitting, BlockDiagonalBasis, IterativeCertificate, MinibatchPart,
    RankOneDeviations, ITERATION_TOLERANCE,
};
use crate::batching::Batching;
use crate::error::{Error, Result};

/// Largest state dimension solved by the dense exact solver (its system has n(n+1)/2 = 2080
/// unknowns at n = 64: 35 MB and a few seconds); larger maps use the iterative solver.
pub const MAX_DENSE_STATE_DIMENSION: usize = super::lyapunov::MAX_DENSE_DIMENSION;

/// Largest state dimension the exact solver accepts: d = 1000 for the momentum samplers (state
/// (θ, v)). Above [`MAX_DENSE_STATE_DIMENSION`] the second moments are solved by the splitting
/// iteration of `second_moment_iterative.rs` in O(n² + N n) memory.
pub const MAX_STATE_DIMENSION: usize = 2000;

/// Largest accepted relative residual max|Σ − T(Σ) − Q| / max(|Σ|, |Q|) of the solved equation.
pub const RESIDUAL_TOLERANCE: f64 = 1e-8;

/// Iterative solver: at most this many refinement solves on the residual ...
const REFINEMENTS: usize = 2;
/// ... each started when the relative residual times 1/(1 − r) exceeds this ...
const REFINEMENT_THRESHOLD: f64 = 1e-12;
/// ... and solved to this relative error bound (the correction is small).
const REFINEMENT_TOLERANCE: f64 = 1e-6;

/// The per-example matrices M_i of an affine random map.
#[derive(Debug, Clone)]
pub enum ExampleMatrices {
    /// Every example has the same M_i = M (state-independent minibatch noise).
    Shared(DMatrix<f64>),
    /// One matrix per example.
    PerExample(Vec<DMatrix<f64>>),
    /// Rank-one updates of a common matrix, M_i = A + u_i w_iᵀ (linear regression: the
    /// per-example Hessians x_i x_iᵀ/σ² have rank one). Same law as `PerExample` with the dense
    /// M_i, but the second-moment operator is assembled as one matrix product in O(N n⁴/4)
    /// instead of O(N n⁴/2) scattered updates, and nothing of size N·n² is stored.
    RankOne {
        /// The common part A.
        common: DMatrix<f64>,
        /// u_i.
        left: Vec<DVector<f64>>,
        /// w_i.
        right: Vec<DVector<f64>>,
    },
}

impl ExampleMatrices {
    /// M_i · x (without forming M_i).
    fn apply(&self, index: usize, x: &DVector<f64>) -> DVector<f64> {
        match self {
            ExampleMatrices::Shared(m) => m * x,
            ExampleMatrices::PerExample(list) => &list[index] * x,
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => common * x + &left[index] * right[index].dot(x),
        }
    }
}

/// An affine random map z' = M_S z + c_S + L ξ with minibatch-averaged pieces.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// use sgbayes::batching::Batching;
/// use sgbayes::theory::{AffineRandomMap, ExampleMatrices};
/// // 1-d SGLD without gradient noise: z' = (1 − ηp) z + √(2η) ξ, p = 2, η = 0.1.
/// let map = AffineRandomMap::new(
///     ExampleMatrices::Shared(DMatrix::from_element(1, 1, 0.8)),
///     vec![DVector::zeros(1)],
///     DMatrix::from_element(1, 1, 0.2),
///     1, Batching::WithReplacement,
/// ).unwrap();
/// let law = map.stationary_law().unwrap();
/// // Var = 2η / (1 − (1 − ηp)²) = 0.2 / 0.36
/// assert!((law.covariance[(0, 0)] - 0.2 / 0.36).abs() < 1e-13);
/// ```
#[derive(Debug, Clone)]
pub struct AffineRandomMap {
    matrices: ExampleMatrices,
    offsets: Vec<DVector<f64>>,
    noise_covariance: DMatrix<f64>,
    batch_size: usize,
    batching: Batching,
}

/// First two moments of the exact stationary law of an affine random map, with its mean map.
#[derive(Debug, Clone)]
pub struct StationaryLaw {
    /// Stationary mean m.
    pub mean: DVector<f64>,
    /// Stationary covariance Σ.
    pub covariance: DMatrix<f64>,
    /// The mean map M̄ = E\[M_S\], which gives the autocovariances M̄^k Σ.
    pub mean_matrix: DMatrix<f64>,
}

impl StationaryLaw {
    /// Cov(z_{t+k}, z_t) = M̄^k Σ.
    pub fn autocovariance(&self, lag: usize) -> DMatrix<f64> {
        self.mean_matrix.pow(lag as u32) * &self.covariance
    }

    /// Long-run covariance Ω = (I − M̄)⁻¹Σ + Σ(I − M̄)⁻ᵀ − Σ of the time average: for a stationary
    /// chain, n·Cov(z̄_n) → Ω.
    pub fn long_run_covariance(&self) -> DMatrix<f64> {
        let n = self.mean.len();
        let resolvent = (DMatrix::identity(n, n) - &self.mean_matrix)
            .try_inverse()
            .expect("I − M̄ is invertible when ρ(M̄) < 1");
        let left = &resolvent * &self.covariance;
        symmetrize(&(&left + left.transpose() - &self.covariance))
    }
}

impl AffineRandomMap {
    /// A map from per-example pieces (M_i, c_i), the noise covariance L Lᵀ, the batch size and the
    /// batching scheme. Errors on inconsistent shapes, B outside 1..=N, or a scheme (reshuffling)
    /// under which the chain is not a time-homogeneous Markov chain in z.
    pub fn new(
        matrices: ExampleMatrices,
        offsets: Vec<DVector<f64>>,
        noise_covariance: DMatrix<f64>,
        batch_size: usize,
        batching: Batching,
    ) -> Result<Self> {
        let data_size = offsets.len();
        if data_size == 0 {
            return Err(Error::Invalid {
                what: "affine map".into(),
                why: "no examples".into(),
            });
        }
        let n = offsets[0].len();
        if n > MAX_STATE_DIMENSION {
            return Err(Error::StateTooLarge {
                dimension: n,
                limit: MAX_STATE_DIMENSION,
                solver: "exact",
                why: "above the dense limit it iterates on n×n matrices with an O(n³) decomposition of the mean map",
            });
        }
        let check = |what: &str, rows: usize, cols: usize| -> Result<()> {
            if rows != n || cols != n {
                return Err(Error::DimensionMismatch {
                    what: what.into(),
                    expected: n,
                    found: rows.max(cols),
                });
            }
            Ok(())
        };
        match &matrices {
            ExampleMatrices::Shared(m) => check("shared matrix", m.nrows(), m.ncols())?,
            ExampleMatrices::PerExample(list) => {
                if list.len() != data_size {
                    return Err(Error::DimensionMismatch {
                        what: "per-example matrices".into(),
                        expected: data_size,
                        found: list.len(),
                    });
                }
                for m in list {
                    check("per-example matrix", m.nrows(), m.ncols())?;
                }
            }
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => {
                check("common matrix", common.nrows(), common.ncols())?;
                for list in [left, right] {
                    if list.len() != data_size {
                        return Err(Error::DimensionMismatch {
                            what: "rank-one factors".into(),
                            expected: data_size,
                            found: list.len(),
                        });
                    }
                    for v in list {
                        check("rank-one factor", v.len(), n)?;
                    }
                }
            }
        }
        for c in &offsets {
            check("offset", c.len(), n)?;
        }
        check(
            "noise covariance",
            noise_covariance.nrows(),
            noise_covariance.ncols(),
        )?;
        if batch_size == 0 || batch_size > data_size {
            return Err(Error::BatchSize {
                batch_size,
                data_size,
            });
        }
        // Non-finite pieces would stall the eigen-solvers: reject them here.
        let finite = match &matrices {
            ExampleMatrices::Shared(m) => m.iter().all(|v| v.is_finite()),
            ExampleMatrices::PerExample(list) => {
                list.iter().all(|m| m.iter().all(|v| v.is_finite()))
            }
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => {
                common.iter().all(|v| v.is_finite())
                    && left
                        .iter()
                        .chain(right)
                        .all(|v| v.iter().all(|x| x.is_finite()))
            }
        } && offsets.iter().all(|c| c.iter().all(|v| v.is_finite()))
            && noise_covariance.iter().all(|v| v.is_finite());
        if !finite {
            return Err(Error::NonFinite {
                what: "affine map pieces".into(),
            });
        }
        if batching == Batching::Reshuffle {
            return Err(Error::NoClosedForm {
                what: "reshuffled (epoch-wise without-replacement) batches make the step-to-step chain non-Markov; its law is not implemented yet".into(),
            });
        }
        Ok(Self {
            matrices,
            offsets,
            noise_covariance,
            batch_size,
            batching,
        })
    }

    /// The per-example matrices M_i.
    pub fn example_matrices(&self) -> &ExampleMatrices {
        &self.matrices
    }

    /// The per-example offsets c_i.
    pub fn example_offsets(&self) -> &[DVector<f64>] {
        &self.offsets
    }

    /// The injected-noise covariance L Lᵀ.
    pub fn noise_covariance(&self) -> &DMatrix<f64> {
        &self.noise_covariance
    }

    /// A sufficient screen for finite fourth moments of the stationary law, which the covariance
    /// tests need (the batch-means variance of z² assumes them): the map with its multiplicative
    /// deviations inflated by √3, M_i' = M̄ + √3 (M_i − M̄), is still mean-square stable.
    ///
    /// # Derivation (ours)
    /// In one dimension with Gaussian-like fluctuations m = μ + δ, Var δ = v:
    /// E m⁴ = μ⁴ + 6μ²v + 3v² ≤ (μ² + 3v)², and μ² + 3v < 1 is the inflated map's mean-square
    /// condition, so E m⁴ < 1 and the fourth moment of the stationary law is finite. Random affine
    /// maps with multiplicative noise have power-law (Kesten) tails; below index 4 sample variances
    /// converge slowly and are biased low, which a calibrated test reads as a rejection. Always
    /// true with state-independent noise (shared M).
    ///
    /// ```
    /// use nalgebra::{DMatrix, DVector};
    /// use sgbayes::batching::Batching;
    /// use sgbayes::theory::{AffineRandomMap, ExampleMatrices};
    /// // m = 0.5 ± 0.8 (two examples, B = 1): E m² = 0.89 < 1, so the law exists, but
    /// // E m⁴ = 1.43 > 1 (infinite fourth moment); the inflated map has μ² + 3v = 2.17 > 1:
    /// // screened out. m = 0.5 ± 0.2 passes.
    /// let map = |spread: f64| AffineRandomMap::new(
    ///     ExampleMatrices::PerExample(vec![DMatrix::from_element(1, 1, 0.5 + spread),
    ///                                      DMatrix::from_element(1, 1, 0.5 - spread)]),
    ///     vec![DVector::zeros(1); 2], DMatrix::from_element(1, 1, 1.0), 1,
    ///     Batching::WithReplacement).unwrap();
    /// assert!(map(0.8).stationary_law().is_ok() && !map(0.8).fourth_moments_screen());
    /// assert!(map(0.2).fourth_moments_screen());
    /// ```
    pub fn fourth_moments_screen(&self) -> bool {
        let mean = self.mean_matrix();
        let inflate = |m: DMatrix<f64>| &mean + (m - &mean) * 3f64.sqrt();
        let matrices = match &self.matrices {
            ExampleMatrices::Shared(_) => return true,
            ExampleMatrices::PerExample(list) => list.iter().cloned().map(inflate).collect(),
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } if self.uses_dense_solver() => left
                .iter()
                .zip(right)
                .map(|(u, w)| inflate(common + u * w.transpose()))
                .collect(),
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => {
                // M̄ + √3 (u_i w_iᵀ − R/N) = (M̄ − √3 (M̄ − A)) + (√3 u_i) w_iᵀ: still rank-one.
                let root = 3f64.sqrt();
                let inflated = ExampleMatrices::RankOne {
                    common: &mean - (&mean - common) * root,
                    left: left.iter().map(|u| u * root).collect(),
                    right: right.clone(),
                };
                return AffineRandomMap::new(
                    inflated,
                    self.offsets.clone(),
                    self.noise_covariance.clone(),
                    self.batch_size,
                    self.batching,
                )
                .and_then(|m| m.stationary_law())
                .is_ok();
            }
        };
        AffineRandomMap::new(
            ExampleMatrices::PerExample(matrices),
            self.offsets.clone(),
            self.noise_covariance.clone(),
            self.batch_size,
            self.batching,
        )
        .and_then(|m| m.stationary_law())
        .is_ok()
    }

    /// The batch size B.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of examples N.
    pub fn data_size(&self) -> usize {
        self.offsets.len()
    }

    /// State dimension n.
    pub fn state_dimension(&self) -> usize {
        self.offsets[0].len()
    }

    /// κ = γ/B, the weight of the per-example covariance in one step's minibatch covariance.
    fn minibatch_weight(&self) -> f64 {
        let gamma = self
            .batching
            .finite_population_factor(self.data_size(), self.batch_size)
            .expect("reshuffling is rejected in the constructor");
        gamma / self.batch_size as f64
    }

    /// M̄ = (1/N) Σ_i M_i.
    pub fn mean_matrix(&self) -> DMatrix<f64> {
        match &self.matrices {
            ExampleMatrices::Shared(m) => m.clone(),
            ExampleMatrices::PerExample(list) => {
                let mut sum = DMatrix::zeros(self.state_dimension(), self.state_dimension());
                for m in list {
                    sum += m;
                }
                sum / self.data_size() as f64
            }
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } if self.uses_dense_solver() => {
                let mut sum = DMatrix::zeros(self.state_dimension(), self.state_dimension());
                for (u, w) in left.iter().zip(right) {
                    sum.ger(1.0, u, w, 1.0);
                }
                common + sum / self.data_size() as f64
            }
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => {
                // One matrix product U Wᵀ instead of N rank-one updates.
                let (u, w) = (factor_matrix(left), factor_matrix(right));
                common + u * w.transpose() / self.data_size() as f64
            }
        }
    }

    /// Whether the state dimension is small enough for the dense solver (n ≤
    /// [`MAX_DENSE_STATE_DIMENSION`]); above it the iterative solver and its O(N n²) helpers run.
    fn uses_dense_solver(&self) -> bool {
        self.state_dimension() <= MAX_DENSE_STATE_DIMENSION
    }

    /// The block-diagonal basis of M̄ the iterative solver needs, or the error that says which
    /// mean maps it covers.
    fn block_basis(&self, mean_matrix: &DMatrix<f64>) -> Result<BlockDiagonalBasis> {
        BlockDiagonalBasis::new(mean_matrix).ok_or_else(|| Error::NoClosedForm {
            what: format!(
                "the iterative exact solver (state dimension above {MAX_DENSE_STATE_DIMENSION}) needs a symmetric mean map or the momentum form [[A, αI], [A + γI, δI]]; this map (preconditioned?) is neither"
            ),
        })
    }

    /// m = (I − M̄)⁻¹ c̄ through the block-diagonal basis, with one step of iterative refinement.
    fn structured_mean(
        &self,
        basis: &BlockDiagonalBasis,
        mean_matrix: &DMatrix<f64>,
    ) -> Result<DVector<f64>> {
        let spectral_radius = basis.spectral_radius();
        if !(spectral_radius < 1.0) {
            return Err(Error::NotContracting { spectral_radius });
        }
        let solve = |r: &DVector<f64>| -> Result<DVector<f64>> {
            let rotated =
                basis.rotate_vectors_in(&DMatrix::from_column_slice(r.len(), 1, r.as_slice()));
            let y = basis
                .solve_mean(&rotated.column(0).into_owned())
                .ok_or(Error::NotContracting { spectral_radius })?;
            Ok(basis.rotate_vector_out(&y))
        };
        let offset = self.mean_offset();
        let mean = solve(&offset)?;
        // The residual through I − M̄ formed once (its entries are exact differences): computed as
        // m − M̄ m it would cancel to ε|m| / |(I − M̄) m| relative accuracy, ≈ 1e-9 when
        // 1 − ρ(M̄) ≈ 1e-7.
        let drift = DMatrix::identity(mean.len(), mean.len()) - mean_matrix;
        let correction = solve(&(&offset - &drift * &mean))?;
        Ok(mean + correction)
    }

    /// The minibatch part Σ_i D_i X D_iᵀ of the second-moment operator, in the original
    /// coordinates or rotated into a block-diagonal basis (D_i ↦ Vᵀ D_i V).
    fn minibatch_part(
        &self,
        mean_matrix: &DMatrix<f64>,
        basis: Option<&BlockDiagonalBasis>,
    ) -> MinibatchPart {
        match &self.matrices {
            ExampleMatrices::Shared(_) => MinibatchPart::Zero,
            ExampleMatrices::PerExample(list) => MinibatchPart::Dense(
                list.iter()
                    .map(|m| {
                        let deviation = m - mean_matrix;
                        match basis {
                            Some(basis) => basis.rotate_matrix_in(&deviation),
                            None => deviation,
                        }
                    })
                    .collect(),
            ),
            ExampleMatrices::RankOne { left, right, .. } => {
                let (u, w) = (factor_matrix(left), factor_matrix(right));
                MinibatchPart::RankOne(match basis {
                    Some(basis) => RankOneDeviations::new(
                        &basis.rotate_vectors_in(&u),
                        &basis.rotate_vectors_in(&w),
                    ),
                    None => RankOneDeviations::new(&u, &w),
                })
            }
        }
    }

    /// c̄ = (1/N) Σ_i c_i.
    pub fn mean_offset(&self) -> DVector<f64> {
        let mut sum = DVector::zeros(self.state_dimension());
        for c in &self.offsets {
            sum += c;
        }
        sum / self.data_size() as f64
    }

    /// Spectral radius of M̄ (above [`MAX_DENSE_STATE_DIMENSION`], from its block-diagonal form
    /// when it has one).
    pub fn mean_spectral_radius(&self) -> f64 {
        let mean_matrix = self.mean_matrix();
        if !self.uses_dense_solver() {
            if let Some(basis) = BlockDiagonalBasis::new(&mean_matrix) {
                return basis.spectral_radius();
            }
        }
        spectral_radius(&mean_matrix)
    }

    /// m = (I − M̄)⁻¹ c̄, after checking ρ(M̄) < 1.
    fn stationary_mean(&self, mean_matrix: &DMatrix<f64>) -> Result<DVector<f64>> {
        if !self.uses_dense_solver() {
            return self.structured_mean(&self.block_basis(mean_matrix)?, mean_matrix);
        }
        let mut spectral_radius = self.mean_spectral_radius();
        if !(spectral_radius < 1.0) {
            // When nalgebra's Schur iteration does not converge, the general spectral radius falls
            // back to Gelfand's formula, relative error ≈ 1e-6 (seen: 1.000001 for an SGLD map with
            // 1 − ρ ≈ 1e-7): a structured map is rechecked from its block-diagonal form.
            if let Some(basis) = BlockDiagonalBasis::new(mean_matrix) {
                spectral_radius = basis.spectral_radius();
            }
        }
        if !(spectral_radius < 1.0) {
            return Err(Error::NotContracting { spectral_radius });
        }
        let n = self.state_dimension();
        (DMatrix::identity(n, n) - mean_matrix)
            .lu()
            .solve(&self.mean_offset())
            .ok_or(Error::NotContracting { spectral_radius })
    }

    /// The second-moment operator T(X) = M̄ X M̄ᵀ + (κ/N) Σ_i D_i X D_iᵀ, D_i = M_i − M̄, in vech
    /// form. For rank-one updates, Σ_i D_i X D_iᵀ = Σ_i M_i X M_iᵀ − N M̄ X M̄ᵀ with
    /// Σ_i M_i X M_iᵀ = N A X Aᵀ + A X Rᵀ + R X Aᵀ + Σ_i (w_iᵀ X w_i) u_i u_iᵀ, R = Σ_i u_i w_iᵀ.
    fn second_moment_operator(&self, mean_matrix: &DMatrix<f64>, weight: f64) -> SteinOperator {
        let n = self.state_dimension();
        match &self.matrices {
            ExampleMatrices::Shared(_) => SteinOperator::new(mean_matrix, &[], weight),
            ExampleMatrices::PerExample(list) => {
                let deviations: Vec<_> = list.iter().map(|m| m - mean_matrix).collect();
                SteinOperator::new(mean_matrix, &deviations, weight)
            }
            ExampleMatrices::RankOne {
                common,
                left,
                right,
            } => {
                let m = n * (n + 1) / 2;
                let data_size = self.data_size() as f64;
                let mut t = DMatrix::zeros(m, m);
                add_congruence(&mut t, mean_matrix, 1.0 - weight * data_size);
                if weight != 0.0 {
                    add_congruence(&mut t, common, weight * data_size);
                    let mut r = DMatrix::zeros(n, n);
                    for (u, w) in left.iter().zip(right) {
                        r.ger(1.0, u, w, 1.0);
                    }
                    add_cross_congruence(&mut t, common, &r, weight);
                    add_rank_one_congruences(&mut t, left, right, weight);
                }
                SteinOperator::from_vech_matrix(n, t)
            }
        }
    }

    /// Σ_i D_i X D_iᵀ, computed directly (for the residual check).
    fn deviation_congruence_sum(
        &self,
        mean_matrix: &DMatrix<f64>,
        x: &DMatrix<f64>,
    ) -> DMatrix<f64> {
        let n = self.state_dimension();
        let mut sum = DMatrix::zeros(n, n);
        for i in 0..self.data_size() {
            if let ExampleMatrices::Shared(_) = self.matrices {
                break;
            }
            // D_i X D_iᵀ column by column: D_i y = M_i y − M̄ y.
            let mut dx = DMatrix::zeros(n, n);
            for col in 0..n {
                let y = x.column(col).into_owned();
                dx.set_column(col, &(self.matrices.apply(i, &y) - mean_matrix * &y));
            }
            let dxt = dx.transpose();
            let mut term = DMatrix::zeros(n, n);
            for col in 0..n {
                let y = dxt.column(col).into_owned();
                term.set_column(col, &(self.matrices.apply(i, &y) - mean_matrix * &y));
            }
            sum += term;
        }
        sum
    }

    /// The one-step noise covariance at the stationary mean m:
    /// (κ/N) Σ_i e_i e_iᵀ + L Lᵀ, e_i = M_i m + c_i − m.
    fn noise_at(&self, mean: &DVector<f64>) -> DMatrix<f64> {
        let n = self.state_dimension();
        if !self.uses_dense_solver() {
            // E = [e_1 … e_N] and one product E Eᵀ; for rank-one pieces
            // e_i = (A m − m) + u_i (w_iᵀ m) + c_i without forming M_i.
            let mut errors = DMatrix::zeros(n, self.data_size());
            for (i, c) in self.offsets.iter().enumerate() {
                errors.set_column(i, c);
            }
            match &self.matrices {
                ExampleMatrices::RankOne {
                    common,
                    left,
                    right,
                } => {
                    let base = common * mean - mean;
                    for (i, (u, w)) in left.iter().zip(right).enumerate() {
                        let mut column = errors.column_mut(i);
                        column += &base;
                        column.axpy(w.dot(mean), u, 1.0);
                    }
                }
                _ => {
                    for i in 0..self.data_size() {
                        let e = self.matrices.apply(i, mean) - mean;
                        let mut column = errors.column_mut(i);
                        column += e;
                    }
                }
            }
            let outer = &errors * errors.transpose();
            return symmetrize(
                &(outer * (self.minibatch_weight() / self.data_size() as f64)
                    + &self.noise_covariance),
            );
        }
        let mut outer = DMatrix::zeros(n, n);
        for (i, c) in self.offsets.iter().enumerate() {
            let e = self.matrices.apply(i, mean) + c - mean;
            outer.ger(1.0, &e, &e, 1.0);
        }
        symmetrize(
            &(outer * (self.minibatch_weight() / self.data_size() as f64) + &self.noise_covariance),
        )
    }

    /// The one-step noise covariance at the stationary mean, Q_opt = (κ/N) Σ_i e_i e_iᵀ + L Lᵀ with
    /// e_i = M_i m + c_i − m: the minibatch-noise covariance "at the optimum" of the
    /// continuous-time approximations, plus the injected noise.
    pub fn noise_at_stationary_mean(&self) -> Result<DMatrix<f64>> {
        let mean = self.stationary_mean(&self.mean_matrix())?;
        Ok(self.noise_at(&mean))
    }

    /// The stationary mean m = (I − M̄)⁻¹ c̄ (errors when ρ(M̄) ≥ 1).
    pub fn mean_of_stationary_law(&self) -> Result<DVector<f64>> {
        self.stationary_mean(&self.mean_matrix())
    }

    /// Whether the chain is mean-square stable, decided by the dense solver's certificate: the
    /// second-moment equation Σ = T(Σ) + I has a symmetric positive-definite solution iff the
    /// spectral radius of T is below 1 (and then ρ(M̄) < 1 as well). `None` above
    /// [`MAX_DENSE_STATE_DIMENSION`], where only the iterative solver runs.
    pub fn is_mean_square_stable(&self) -> Option<bool> {
        if !self.uses_dense_solver() {
            return None;
        }
        let mean_matrix = self.mean_matrix();
        if !(self.mean_spectral_radius() < 1.0) {
            return Some(false);
        }
        let weight = self.minibatch_weight() / self.data_size() as f64;
        let n = self.state_dimension();
        let certificate = self
            .second_moment_operator(&mean_matrix, weight)
            .solve(&DMatrix::identity(n, n));
        Some(certificate.is_some_and(|c| Cholesky::new(symmetrize(&c)).is_some()))
    }

    /// The exact stationary mean and covariance (see the module's formula): the dense solver up to
    /// state dimension [`MAX_DENSE_STATE_DIMENSION`], the iterative one
    /// ([`stationary_law_iterative`](Self::stationary_law_iterative)) above.
    ///
    /// Errors: [`Error::NotContracting`] when ρ(M̄) ≥ 1, [`Error::MeanSquareUnstable`] when the
    /// second-moment recursion does not contract.
    pub fn stationary_law(&self) -> Result<StationaryLaw> {
        if self.uses_dense_solver() {
            self.stationary_law_dense()
        } else {
            Ok(self.stationary_law_iterative()?.0)
        }
    }

    /// The exact stationary law from the dense vech system (O(n⁶) time, O(n⁴) memory; refused
    /// above [`MAX_DENSE_STATE_DIMENSION`]). The reference for the iterative solver.
    pub fn stationary_law_dense(&self) -> Result<StationaryLaw> {
        let n = self.state_dimension();
        if n > MAX_DENSE_STATE_DIMENSION {
            return Err(Error::StateTooLarge {
                dimension: n,
                limit: MAX_DENSE_STATE_DIMENSION,
                solver: "dense",
                why: "its second-moment system has n(n+1)/2 unknowns; use the iterative solver",
            });
        }
        let mean_matrix = self.mean_matrix();
        let mean = self.stationary_mean(&mean_matrix)?;
        let weight = self.minibatch_weight() / self.data_size() as f64;
        let operator = self.second_moment_operator(&mean_matrix, weight);
        let n = self.state_dimension();
        let certificate = operator
            .solve(&DMatrix::identity(n, n))
            .ok_or(Error::MeanSquareUnstable { limit: None })?;
        if Cholesky::new(symmetrize(&certificate)).is_none() {
            return Err(Error::MeanSquareUnstable { limit: None });
        }
        let noise = self.noise_at(&mean);
        let solve = |right: &DMatrix<f64>| {
            operator
                .solve(right)
                .map(|x| symmetrize(&x))
                .ok_or(Error::MeanSquareUnstable { limit: None })
        };
        // Residual of the generalised Stein equation, computed directly (not in vech form).
        let drift = DMatrix::identity(n, n) - &mean_matrix;
        let residual_of = |covariance: &DMatrix<f64>| {
            stein_difference(&drift, covariance)
                - &noise
                - self.deviation_congruence_sum(&mean_matrix, covariance) * weight
        };
        // One step of iterative refinement with the same LU factors: the vech solve is backward
        // stable, but its forward error grows with the conditioning of the Stein system (seen:
        // 5e-7 relative at posterior condition numbers near 10⁶); the directly computed residual
        // brings it back to the rounding level of the equation.
        let first = solve(&noise)?;
        let covariance = &first - solve(&residual_of(&first))?;
        let residual = residual_of(&covariance);
        let scale = covariance.amax().max(noise.amax()).max(f64::MIN_POSITIVE);
        let relative_residual = residual.amax() / scale;
        if !(relative_residual <= RESIDUAL_TOLERANCE) {
            return Err(Error::IllConditioned { relative_residual });
        }
        Ok(StationaryLaw {
            mean,
            covariance,
            mean_matrix,
        })
    }

    /// The exact stationary law by the splitting iteration of `second_moment_iterative.rs`, with
    /// its certificate: O(n³) once (an eigendecomposition of M̄, or of its d×d block for the
    /// momentum form) and O(N n² + N² n) per sweep for rank-one per-example Hessians, O(n² + N n)
    /// memory. Covers a symmetric M̄ and the momentum form; other maps get
    /// [`Error::NoClosedForm`].
    ///
    /// # Formula
    /// (I − L) Σ = S⁻¹(Q) with S(X) = X − M̄ X M̄ᵀ solved in the block-diagonal basis of M̄ and
    /// L = S⁻¹ ∘ (κ/N) Σ_i D_i (·) D_iᵀ, by restarted GMRES; stopped when the true residual e has
    /// ‖e‖ ≤ 10⁻¹³ (1 − r) ‖Σ‖ with r the Ritz estimate of ρ(L), and ρ(L) < 1 (mean-square
    /// stability) certified by a positive definite solution. The final
    /// residual of Σ = T(Σ) + Q is computed in the original coordinates and must be ≤
    /// [`RESIDUAL_TOLERANCE`] (derivation: `docs/exact-discrete-law.md`, large state dimension).
    ///
    /// Errors: as [`stationary_law`](Self::stationary_law), plus [`Error::Invalid`] when the
    /// series is not certified within the sweep budget (too close to the stability limit).
    ///
    /// ```
    /// use nalgebra::{DMatrix, DVector};
    /// use sgbayes::batching::Batching;
    /// use sgbayes::theory::{AffineRandomMap, ExampleMatrices};
    /// // m_i = 0.5 ± 0.3 with offsets ±1, B = 1: solved both ways.
    /// let map = AffineRandomMap::new(
    ///     ExampleMatrices::PerExample(vec![DMatrix::from_element(1, 1, 0.8),
    ///                                      DMatrix::from_element(1, 1, 0.2)]),
    ///     vec![DVector::from_element(1, 1.0), DVector::from_element(1, -1.0)],
    ///     DMatrix::from_element(1, 1, 0.1), 1, Batching::WithReplacement).unwrap();
    /// let (law, certificate) = map.stationary_law_iterative().unwrap();
    /// let dense = map.stationary_law_dense().unwrap();
    /// assert!((law.covariance[(0, 0)] - dense.covariance[(0, 0)]).abs() < 1e-12);
    /// // E m² = 0.34: the splitting contracts by 0.09/(1 − 0.25) = 0.12 per sweep.
    /// assert!((certificate.contraction_factor - 0.12).abs() < 1e-6);
    /// ```
    pub fn stationary_law_iterative(&self) -> Result<(StationaryLaw, IterativeCertificate)> {
        let n = self.state_dimension();
        let mean_matrix = self.mean_matrix();
        let basis = self.block_basis(&mean_matrix)?;
        let mean = self.structured_mean(&basis, &mean_matrix)?;
        let weight = self.minibatch_weight() / self.data_size() as f64;
        let noise = self.noise_at(&mean);
        let rotated_minibatch = self.minibatch_part(&mean_matrix, Some(&basis));
        let (rotated, mut certificate) = solve_splitting(
            &basis,
            &rotated_minibatch,
            weight,
            &symmetrize(&basis.rotate_matrix_in(&noise)),
            ITERATION_TOLERANCE,
            None,
        )?;
        let mut covariance = symmetrize(&basis.rotate_matrix_out(&rotated));
        // Residual of the generalised Stein equation in the original coordinates. The basis is
        // orthogonal only to rounding and the Stein inverse amplifies that by up to 1/(1 − ρ(M̄)²),
        // so the residual is fed back once or twice (iterative refinement with the same solver).
        let minibatch = self.minibatch_part(&mean_matrix, None);
        let drift = DMatrix::identity(n, n) - &mean_matrix;
        let residual_of = |covariance: &DMatrix<f64>| {
            symmetrize(
                &(&noise + minibatch.apply(covariance) * weight
                    - stein_difference(&drift, covariance)),
            )
        };
        let scale =
            |covariance: &DMatrix<f64>| covariance.amax().max(noise.amax()).max(f64::MIN_POSITIVE);
        let mut residual = residual_of(&covariance);
        // The error of Σ is up to about residual/((1 − r)(1 − ρ(M̄)²)) (r the splitting's
        // contraction, 1/(1 − ρ(M̄)²) the Stein inverse's gain); a residual at the rounding level
        // of its own evaluation (≈ n ε relative) cannot be reduced by refining.
        let amplification = 1.0
            / ((1.0 - certificate.contraction_factor) * (1.0 - basis.spectral_radius().powi(2)));
        let rounding_level = 2.0 * self.state_dimension() as f64 * f64::EPSILON;
        for _ in 0..REFINEMENTS {
            let relative = residual.amax() / scale(&covariance);
            if relative <= rounding_level || relative * amplification <= REFINEMENT_THRESHOLD {
                break;
            }
            let (correction, refinement) = solve_splitting(
                &basis,
                &rotated_minibatch,
                weight,
                &symmetrize(&basis.rotate_matrix_in(&residual)),
                REFINEMENT_TOLERANCE,
                Some(certificate.contraction_factor),
            )?;
            certificate.sweeps += refinement.sweeps;
            covariance += symmetrize(&basis.rotate_matrix_out(&correction));
            residual = residual_of(&covariance);
        }
        let relative_residual = residual.amax() / scale(&covariance);
        if !(relative_residual <= RESIDUAL_TOLERANCE) {
            return Err(Error::IllConditioned { relative_residual });
        }
        certificate.relative_residual = relative_residual;
        Ok((
            StationaryLaw {
                mean,
                covariance,
                mean_matrix,
            },
            certificate,
        ))
    }

    /// The continuous-time (Ornstein–Uhlenbeck) approximation of the stationary law: same mean,
    /// covariance from G Σ + Σ Gᵀ = Q_opt, G = I − M̄ (Mandt et al. 2017, §3, eq. for the OU
    /// stationary covariance, with the gradient-noise covariance evaluated at the optimum).
    pub fn continuous_time_law(&self) -> Result<StationaryLaw> {
        let mean_matrix = self.mean_matrix();
        let mean = self.stationary_mean(&mean_matrix)?;
        let n = self.state_dimension();
        let drift = DMatrix::identity(n, n) - &mean_matrix;
        let covariance = solve_continuous_lyapunov(&drift, &self.noise_at(&mean))?;
        Ok(StationaryLaw {
            mean,
            covariance: symmetrize(&covariance),
            mean_matrix,
        })
    }
}

/// X − M̄ X M̄ᵀ = G X + X Gᵀ − G X Gᵀ with G = I − M̄: without the cancellation of X − M̄ X M̄ᵀ,
/// whose relative rounding error is ε/(1 − ρ(M̄)²) when M̄ is near the identity.
fn stein_difference(drift: &DMatrix<f64>, x: &DMatrix<f64>) -> DMatrix<f64> {
    let left = product(drift, x);
    let transposed = drift.transpose();
    &left + left.transpose() - product(&left, &transposed)
}

/// The n×N matrix with the given columns.
fn factor_matrix(columns: &[DVector<f64>]) -> DMatrix<f64> {
    DMatrix::from_columns(columns)
}

/// Iteration cap of the real Schur decomposition in [`spectral_radius`].
const SCHUR_ITERATIONS: usize = 10_000;

/// The spectral radius ρ(M) = max |λ_i(M)|.
///
/// From the eigenvalues of the real Schur form, with an iteration cap: nalgebra's uncapped Schur
/// iteration can fail to converge on matrices with repeated eigenvalues (it hung on the mean map
/// of a whitened teacher–student problem). If the capped iteration does not converge, Gelfand's
/// formula ρ = lim ‖M^k‖^{1/k} at k = 2²⁰ (repeated squaring with rescaling) gives ρ to a relative
/// error of about ln(κ)/k for a diagonalisable M with eigenvector condition number κ.
///
/// ```
/// use nalgebra::DMatrix;
/// let m = DMatrix::from_row_slice(2, 2, &[0.5, 1.0, 0.0, 0.5]);
/// assert!((sgbayes::theory::spectral_radius(&m) - 0.5).abs() < 1e-12);
/// ```
pub fn spectral_radius(m: &DMatrix<f64>) -> f64 {
    if let Some(schur) = nalgebra::Schur::try_new(m.clone(), f64::EPSILON, SCHUR_ITERATIONS) {
        return schur
            .complex_eigenvalues()
            .iter()
            .map(|z| z.norm())
            .fold(0.0, f64::max);
    }
    // Gelfand: ‖M^(2^j)‖^(1/2^j), keeping log-scale so the powers neither overflow nor vanish.
    let mut power = m.clone();
    let mut log_scale = 0.0;
    for j in 0..20 {
        let norm = power.norm();
        if !(norm > 0.0 && norm.is_finite()) {
            return if norm == 0.0 { 0.0 } else { f64::NAN };
        }
        power /= norm;
        log_scale += norm.ln() / f64::powi(2.0, j);
        power = &power * &power;
    }
    (log_scale + power.norm().ln() / f64::powi(2.0, 20)).exp()
}
