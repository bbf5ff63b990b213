//! One pass over the draws: everything the check's tests need, as running sums.
//!
//! Each kept draw (after burn-in and thinning) is whitened, `z = W (x − m)` with `W = L⁻¹`, a
//! chunk at a time in one matrix product, and enters
//!
//! - the per-chain sums of `z`, of its first and of its last half (means, Chebyshev, exact-mean,
//!   stationarity and between-chain tests), and the sum of `|z|²` (Markov);
//! - the sums of `z` and of the tail indicators `1{|z|² ≥ k d}` over the batches of the
//!   concatenated chains (long-run-variance and tail-fraction tests; at most 100 batches);
//! - the streaming moment test ([`StreamingMomentTest`]);
//! - a count of exact repeats of the previous draw (a stuck chain);
//! - an evenly thinned copy of the raw draws, at most [`RHAT_MAX_VALUES`] values, for the split-R̂
//!   diagnostic (R̂ is rank-based and needs the values themselves).
//!
//! Memory is `O(d² + 100 d + J K + RHAT_MAX_VALUES)`, independent of the number of draws; time
//! is `O(n d²)` for the whitening product plus `O(n K)` for the moment functionals.

use super::source::DrawSource;
use super::{CheckOptions, ExactLaw, TAIL_MULTIPLES};
use crate::error::{Error, Result};
use crate::stats::hypothesis::MomentSet;
use crate::stats::moment_stream::{product_in_halves, StreamingMomentTest};
use crate::stats::robust::capped_batch_length;
use crate::stats::{StatsError, MIN_BATCHES};

/// Most raw values kept for the split-R̂ (over all chains and coordinates); beyond it every
/// chain is thinned evenly. R̂ is a diagnostic: thinning loses precision, not validity.
pub const RHAT_MAX_VALUES: usize = 1 << 21;

/// Draws per chain kept after burn-in and thinning.
pub(crate) fn kept_draws(draws: usize, options: &CheckOptions) -> usize {
    draws.saturating_sub(options.burn_in).div_ceil(options.thin)
}

/// The robust tests' batches over the concatenated chains.
#[derive(Debug, Clone)]
pub(crate) struct Batches {
    /// Batch length `m`.
    pub length: usize,
    /// Batch means of every whitened coordinate, `[b, d]`.
    pub coordinate_means: Vec<f64>,
    /// Batch means of the tail indicators, `[b, TAIL_MULTIPLES.len()]`.
    pub tail_means: Vec<f64>,
}

/// The running sums of one pass.
pub(crate) struct Summary {
    pub chains: usize,
    /// Kept draws per chain.
    pub n: usize,
    pub d: usize,
    /// Sum of `z` over all chains, `[d]` (in draw order).
    pub sums: Vec<f64>,
    /// Per-chain sums of `z`, `[chains, d]`.
    pub chain_sums: Vec<f64>,
    /// Per-chain sums over the first `⌊n/2⌋` kept draws, `[chains, d]`.
    pub first_half: Vec<f64>,
    /// Per-chain sums over the last `⌊n/2⌋` kept draws, `[chains, d]`.
    pub second_half: Vec<f64>,
    /// `Σ |z|²`.
    pub norm2_sum: f64,
    pub batches: Option<Batches>,
    /// Consecutive kept draws (within chains) that repeat the previous one exactly.
    pub repeats: usize,
    /// The moment test's accumulator, or why it could not be set up.
    pub moment: std::result::Result<StreamingMomentTest, StatsError>,
    /// Thinned raw draws per chain and coordinate, `[chains · d][…]`, for the split-R̂ (empty
    /// without it).
    pub rhat_draws: Vec<Vec<f64>>,
}

impl Summary {
    /// Reads every draw once.
    ///
    /// # Errors
    ///
    /// [`Error::NonFinite`] naming the first non-finite row (chain and draw, before burn-in) and
    /// the number of such rows; [`Error::Invalid`] if fewer than 20 draws per chain remain after
    /// burn-in and thinning; the source's read errors.
    pub fn accumulate(
        source: &dyn DrawSource,
        law: &ExactLaw,
        options: &CheckOptions,
        with_rhat: bool,
    ) -> Result<Self> {
        let (chains, d) = (source.chains(), source.dim());
        let n = kept_draws(source.draws(), options);
        let total = chains * n;
        let w = law.whitening()?;
        let moment_set = if law.fourth_moments {
            MomentSet::MeansAndCovariances
        } else {
            MomentSet::MeansOnly
        };
        let min_batch = (20.0 * law.autocorrelation_time).ceil() as usize;
        let batch_length = capped_batch_length(total, min_batch).ok();
        let n_batches = batch_length.map_or(0, |m| total / m);
        let batch_start = batch_length.map_or(total, |m| total - n_batches * m);
        let rhat_stride = if with_rhat {
            (total * d).div_ceil(RHAT_MAX_VALUES).max(1)
        } else {
            usize::MAX
        };
        let mut summary = Self {
            chains,
            n,
            d,
            sums: vec![0.0; d],
            chain_sums: vec![0.0; chains * d],
            first_half: vec![0.0; chains * d],
            second_half: vec![0.0; chains * d],
            norm2_sum: 0.0,
            batches: batch_length.map(|length| Batches {
                length,
                coordinate_means: vec![0.0; n_batches * d],
                tail_means: vec![0.0; n_batches * TAIL_MULTIPLES.len()],
            }),
            repeats: 0,
            moment: StreamingMomentTest::new(&law.covariance, moment_set, total),
            rhat_draws: if with_rhat {
                vec![Vec::with_capacity(n.div_ceil(rhat_stride)); chains * d]
            } else {
                Vec::new()
            },
        };
        let half = n / 2;
        let mut bad_rows = 0usize;
        let mut first_bad: Option<(usize, usize)> = None;
        let mut kept = Vec::with_capacity(super::source::CHUNK_ROWS * d);
        let mut centred = Vec::with_capacity(super::source::CHUNK_ROWS * d);
        let mut previous = vec![f64::NAN; d];
        source.for_each_chunk(&mut |c, first_row, rows| {
            // Non-finite rows anywhere (before burn-in too) make the input unusable.
            for (r, row) in rows.chunks_exact(d).enumerate() {
                if row.iter().any(|v| !v.is_finite()) {
                    bad_rows += 1;
                    first_bad.get_or_insert((c, first_row + r));
                }
            }
            if bad_rows > 0 || n < MIN_BATCHES {
                return Ok(());
            }
            kept.clear();
            centred.clear();
            let mut first_kept = None;
            for (r, row) in rows.chunks_exact(d).enumerate() {
                let t = first_row + r;
                if t >= options.burn_in && (t - options.burn_in).is_multiple_of(options.thin) {
                    first_kept.get_or_insert((t - options.burn_in) / options.thin);
                    kept.extend_from_slice(row);
                    centred.extend(row.iter().zip(law.mean.iter()).map(|(x, m)| x - m));
                }
            }
            let Some(first_kept) = first_kept else {
                return Ok(());
            };
            // Zᵀ = W Xᵀ: column t of the product is the whitened draw t.
            let z = product_in_halves(&w, &centred, d);
            if let Ok(moment) = summary.moment.as_mut() {
                moment.push_chunk(&z).map_err(|e| Error::Invalid {
                    what: "draws".into(),
                    why: e.to_string(),
                })?;
            }
            for (r, zt) in z.chunks_exact(d).enumerate() {
                let t = first_kept + r;
                let x = &kept[r * d..(r + 1) * d];
                summary.add(c, t, zt, x, half, batch_start, &mut previous, rhat_stride);
            }
            Ok(())
        })?;
        if let Some((c, r)) = first_bad {
            let chain = if chains > 1 {
                format!("chain {c}, ")
            } else {
                String::new()
            };
            return Err(Error::NonFinite {
                what: format!(
                    "draws: {chain}row {r} (0-based) is the first of {bad_rows} rows holding NaN or ±inf; the sampler diverged or the file was cut: drop those rows or fix the run"
                ),
            });
        }
        if n < MIN_BATCHES {
            return Err(Error::Invalid {
                what: "burn-in/thin".into(),
                why: format!(
                    "--burn-in {} and --thin {} leave {n} of {} draws per chain; at least {MIN_BATCHES} are needed",
                    options.burn_in,
                    options.thin,
                    source.draws()
                ),
            });
        }
        if let Some(b) = summary.batches.as_mut() {
            let m = b.length as f64;
            b.coordinate_means.iter_mut().for_each(|v| *v /= m);
            b.tail_means.iter_mut().for_each(|v| *v /= m);
        }
        Ok(summary)
    }

    /// Adds kept draw `t` of chain `c`: whitened `z`, raw `x`.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        c: usize,
        t: usize,
        z: &[f64],
        raw: &[f64],
        half: usize,
        batch_start: usize,
        previous: &mut [f64],
        rhat_stride: usize,
    ) {
        let d = self.d;
        let norm2: f64 = z.iter().map(|v| v * v).sum();
        self.norm2_sum += norm2;
        let row = c * d..(c + 1) * d;
        for (s, v) in self.sums.iter_mut().zip(z) {
            *s += v;
        }
        for (s, v) in self.chain_sums[row.clone()].iter_mut().zip(z) {
            *s += v;
        }
        if t < half {
            for (s, v) in self.first_half[row.clone()].iter_mut().zip(z) {
                *s += v;
            }
        }
        if t >= self.n - half {
            for (s, v) in self.second_half[row].iter_mut().zip(z) {
                *s += v;
            }
        }
        let global = c * self.n + t;
        if let Some(b) = self.batches.as_mut() {
            if global >= batch_start {
                let j = (global - batch_start) / b.length;
                for (s, v) in b.coordinate_means[j * d..(j + 1) * d].iter_mut().zip(z) {
                    *s += v;
                }
                for (q, k) in TAIL_MULTIPLES.iter().enumerate() {
                    if norm2 >= k * d as f64 {
                        b.tail_means[j * TAIL_MULTIPLES.len() + q] += 1.0;
                    }
                }
            }
        }
        if t > 0 && previous.iter().zip(raw).all(|(a, b)| a == b) {
            self.repeats += 1;
        }
        previous.copy_from_slice(raw);
        if !self.rhat_draws.is_empty() && t.is_multiple_of(rhat_stride) {
            for (i, v) in raw.iter().enumerate() {
                self.rhat_draws[c * d + i].push(*v);
            }
        }
    }

    /// Total kept draws over the chains.
    pub fn total(&self) -> usize {
        self.chains * self.n
    }
}
