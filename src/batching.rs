//! Minibatch schedules and the N/B-scaled minibatch gradient estimate.
//!
//! Three schemes, used by every sampler:
//! * [`Batching::WithReplacement`] — B i.i.d. uniform indices;
//! * [`Batching::WithoutReplacement`] — a simple random sample of B distinct indices, drawn afresh
//!   every step;
//! * [`Batching::Reshuffle`] — random reshuffling: at the start of each epoch a uniform random
//!   permutation of 0..N is drawn and cut into ⌊N/B⌋ consecutive batches (the last N mod B indices of
//!   the permutation are not used in that epoch), so indices are drawn without replacement across
//!   the epoch (SGWORLD, Adhikari et al. 2023; Shaw & Whalley 2025).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::models::Model;

/// How minibatch indices are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Batching {
    /// B indices i.i.d. uniform on 0..N.
    WithReplacement,
    /// B distinct indices, uniform over subsets, independently each step.
    WithoutReplacement,
    /// Epoch-wise reshuffling: without replacement across an epoch.
    Reshuffle,
}

impl Batching {
    /// Every scheme, in the order the command line lists them.
    pub const ALL: [Batching; 3] = [
        Batching::WithReplacement,
        Batching::WithoutReplacement,
        Batching::Reshuffle,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Batching::WithReplacement => "with-replacement",
            Batching::WithoutReplacement => "without-replacement",
            Batching::Reshuffle => "reshuffle",
        }
    }

    /// Parses a command-line name ([`Batching::name`]).
    ///
    /// ```
    /// use sgbayes::batching::Batching;
    /// assert!(Batching::ALL.iter().all(|b| Batching::parse(b.name()).unwrap() == *b));
    /// assert!(Batching::parse("with replacement").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self> {
        Batching::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .ok_or_else(|| Error::Invalid {
                what: "batching".into(),
                why: format!("unknown batching '{name}' (expected with-replacement, without-replacement or reshuffle)"),
            })
    }

    /// The finite-population factor γ of the minibatch-mean covariance:
    /// Cov[(1/B)Σ_{k} v_{i_k}] = (γ/B) · (1/N) Σ_i (v_i − v̄)(v_i − v̄)ᵀ for one step's batch.
    ///
    /// # Formula
    /// γ = 1 with replacement; γ = (N − B)/(N − 1) for a simple random sample without replacement
    /// (Cochran 1977, Thm 2.2). `None` for reshuffling, whose batches are not independent across
    /// steps. For N = 1 (so B = 1) the factor is 0 without replacement.
    pub fn finite_population_factor(self, data_size: usize, batch_size: usize) -> Option<f64> {
        match self {
            Batching::WithReplacement => Some(1.0),
            Batching::WithoutReplacement if data_size <= 1 => Some(0.0),
            Batching::WithoutReplacement => {
                Some((data_size - batch_size) as f64 / (data_size - 1) as f64)
            }
            Batching::Reshuffle => None,
        }
    }
}

/// Draws minibatches of a fixed scheme; owns only index buffers, never an RNG.
///
/// ```
/// use rand::SeedableRng;
/// use sgbayes::batching::{Batching, Minibatcher};
/// let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
/// let mut batcher = Minibatcher::new(Batching::Reshuffle, 6, 2).unwrap();
/// let mut seen = vec![];
/// for _ in 0..3 { seen.extend_from_slice(batcher.next_batch(&mut rng)); }
/// seen.sort();
/// assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]); // one epoch visits every index once
/// ```
#[derive(Debug, Clone)]
pub struct Minibatcher {
    batching: Batching,
    batch_size: usize,
    permutation: Vec<usize>,
    batch: Vec<usize>,
    /// Reshuffle only: index of the next batch inside the current epoch.
    next_in_epoch: usize,
}

impl Minibatcher {
    /// A batcher over `data_size` indices with batches of `batch_size` (1 ≤ B ≤ N).
    pub fn new(batching: Batching, data_size: usize, batch_size: usize) -> Result<Self> {
        if batch_size == 0 || batch_size > data_size {
            return Err(Error::BatchSize {
                batch_size,
                data_size,
            });
        }
        if data_size > u32::MAX as usize {
            return Err(Error::Invalid {
                what: "data size".into(),
                why: format!("{data_size} exceeds 2^32 - 1 data points"),
            });
        }
        Ok(Self {
            batching,
            batch_size,
            permutation: (0..data_size).collect(),
            batch: vec![0; batch_size],
            next_in_epoch: usize::MAX,
        })
    }

    /// Batches per epoch under reshuffling, ⌊N/B⌋.
    pub fn batches_per_epoch(&self) -> usize {
        self.permutation.len() / self.batch_size
    }

    /// The next minibatch's indices. Allocation-free.
    pub fn next_batch<R: Rng + ?Sized>(&mut self, rng: &mut R) -> &[usize] {
        let n = self.permutation.len();
        match self.batching {
            Batching::WithReplacement => {
                // Indices are drawn as u32 (data sets of up to 2³² − 1 points; checked in `new`):
                // half the random bits of a u64 draw.
                let bound = n as u32;
                for slot in self.batch.iter_mut() {
                    *slot = rng.gen_range(0..bound) as usize;
                }
                &self.batch
            }
            Batching::WithoutReplacement => {
                partial_shuffle(&mut self.permutation, self.batch_size, rng);
                &self.permutation[..self.batch_size]
            }
            Batching::Reshuffle => {
                if self.next_in_epoch >= self.batches_per_epoch() {
                    partial_shuffle(&mut self.permutation, n, rng);
                    self.next_in_epoch = 0;
                }
                let start = self.next_in_epoch * self.batch_size;
                self.next_in_epoch += 1;
                &self.permutation[start..start + self.batch_size]
            }
        }
    }
}

/// Fisher–Yates on the first `count` positions: afterwards `values[..count]` is a uniformly random
/// ordered sample without replacement from the whole slice.
fn partial_shuffle<R: Rng + ?Sized>(values: &mut [usize], count: usize, rng: &mut R) {
    let n = values.len();
    for k in 0..count.min(n.saturating_sub(1)) {
        let j = rng.gen_range(k..n);
        values.swap(k, j);
    }
}

/// Writes the unbiased minibatch estimate of ∇U into `out`:
///
/// # Formula
/// ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ), with R = −log prior (Welling & Teh 2011, eq. 4).
/// Every sampler's step uses it, except the two that need the per-example gradients themselves
/// (`psgld-rmsprop`'s squared mean gradient, `sgfs-online`'s score covariance), which apply the
/// same N/B scaling in their own loops.
pub fn minibatch_gradient<M: Model + ?Sized>(
    model: &M,
    theta: &[f64],
    batch: &[usize],
    out: &mut [f64],
) {
    model.prior_gradient(theta, out);
    let scale = model.data_size() as f64 / batch.len() as f64;
    model.add_batch_gradient(batch, theta, scale, out);
}
