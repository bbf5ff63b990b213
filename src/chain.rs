//! The chain driver: owns the random streams, draws minibatches and noise, and records draws.
//!
//! Randomness: one u64 seed gives two ChaCha8 streams with the same key — stream 0 draws
//! minibatch indices, stream 1 draws the injected Gaussian noise — so the same seed gives the same
//! bits on any machine and any thread count, and changing a sampler's noise use does not change
//! its minibatch sequence.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::batching::{Batching, Minibatcher};
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::Model;
use crate::samplers::{self, Sampler};
use crate::stats::StreamingMoments;

/// Run length settings: `burn_in` discarded steps, then `steps` steps of which every `thin`-th
/// state is kept, giving ⌊steps/thin⌋ draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSettings {
    /// Steps after burn-in.
    pub steps: usize,
    /// Discarded initial steps.
    pub burn_in: usize,
    /// Keep every `thin`-th state (≥ 1).
    pub thin: usize,
    /// Seed of the two ChaCha8 streams.
    pub seed: u64,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct ChainOutput {
    /// Kept draws of θ, row-major [draws × d].
    pub draws: Vec<f64>,
    /// Dimension d of θ.
    pub dimension: usize,
    /// Streaming mean and covariance of the kept draws.
    pub moments: StreamingMoments,
    /// Kept draws with a non-finite coordinate (a diverging chain); excluded from `moments`.
    pub non_finite_draws: usize,
    /// Number of per-example gradient evaluations (B per step).
    pub gradient_evaluations: u64,
}

impl ChainOutput {
    /// Number of kept draws.
    pub fn len(&self) -> usize {
        self.draws.len() / self.dimension
    }
    /// True when no draw was kept.
    pub fn is_empty(&self) -> bool {
        self.draws.is_empty()
    }
    /// Draw `k` as a slice.
    pub fn draw(&self, k: usize) -> &[f64] {
        &self.draws[k * self.dimension..(k + 1) * self.dimension]
    }
}

/// A running chain: model, sampler, batcher, random streams and the current state.
pub struct Chain<'a> {
    model: &'a dyn Model,
    sampler: Box<dyn Sampler>,
    batcher: Minibatcher,
    batch_rng: ChainRng,
    noise_rng: ChainRng,
    noise: Vec<f64>,
    state: Vec<f64>,
    steps_taken: u64,
    batch_size: usize,
}

impl<'a> Chain<'a> {
    /// A chain of the configured sampler on `model`, started at θ = `initial`.
    ///
    /// ```
    /// use sgbayes::{batching::Batching, chain::{Chain, ChainSettings}, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
    /// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
    /// let config = SamplerConfig { kind: SamplerKind::Sgld, step_size: 0.01, batch_size: 2, batching: Batching::WithReplacement };
    /// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
    /// let out = chain.run(&ChainSettings { steps: 1000, burn_in: 100, thin: 10, seed: 7 }, |_| {});
    /// assert_eq!(out.len(), 100);
    /// ```
    pub fn new(
        model: &'a dyn Model,
        config: &SamplerConfig,
        initial: &[f64],
        seed: u64,
    ) -> Result<Self> {
        let sampler = samplers::build(config, model.dimension(), model.data_size())?;
        if let crate::config::SamplerKind::StochasticNgd { .. } = config.kind {
            let d = model.dimension();
            let (mut fisher, mut correction) = (vec![0.0; d * d], vec![0.0; d]);
            if initial.len() == d
                && model.fisher_metric(initial, &mut fisher, &mut correction)
                    == crate::models::FisherMetric::Unavailable
            {
                return Err(Error::Invalid {
                    what: "model".into(),
                    why: "stochastic-ngd needs the model's Fisher metric (Model::fisher_metric); this model has none".into(),
                });
            }
        }
        Self::with_sampler(
            model,
            sampler,
            config.batching,
            config.batch_size,
            initial,
            seed,
        )
    }

    /// A chain driving any [`Sampler`] (for example one written outside this crate, or a
    /// deliberately wrong variant in a power test) with the given batching scheme.
    pub fn with_sampler(
        model: &'a dyn Model,
        sampler: Box<dyn Sampler>,
        batching: Batching,
        batch_size: usize,
        initial: &[f64],
        seed: u64,
    ) -> Result<Self> {
        let d = model.dimension();
        if initial.len() != d {
            return Err(Error::DimensionMismatch {
                what: "initial state".into(),
                expected: d,
                found: initial.len(),
            });
        }
        crate::error::ensure_finite("initial state", initial)?;
        let batcher = Minibatcher::new(batching, model.data_size(), batch_size)?;
        let (batch_rng, noise_rng) = streams(seed);
        Ok(Self {
            model,
            noise: vec![0.0; sampler.noise_dimension()],
            state: sampler.initial_state(initial),
            sampler,
            batcher,
            batch_rng,
            noise_rng,
            steps_taken: 0,
            batch_size,
        })
    }

    /// The current chain state (θ first, then auxiliary variables).
    pub fn state(&self) -> &[f64] {
        &self.state
    }

    /// One step: draw a minibatch and noise, apply the sampler. Allocation-free.
    pub fn step(&mut self) {
        let batch = self.batcher.next_batch(&mut self.batch_rng);
        for z in self.noise.iter_mut() {
            *z = self.noise_rng.sample(StandardNormal);
        }
        self.sampler
            .step(self.model, &mut self.state, batch, &self.noise);
        self.steps_taken += 1;
    }

    /// Runs burn-in and `settings.steps` further steps, keeping every `thin`-th θ. `observer` is
    /// called with the number of steps done after every step (e.g. to drive a progress bar).
    /// The seed in `settings` is ignored (the streams were seeded by [`Chain::new`]).
    pub fn run(
        &mut self,
        settings: &ChainSettings,
        mut observer: impl FnMut(usize),
    ) -> ChainOutput {
        let d = self.model.dimension();
        let thin = settings.thin.max(1);
        let mut moments = StreamingMoments::new(d);
        let mut draws = Vec::with_capacity((settings.steps / thin) * d);
        let start = self.steps_taken;
        let mut non_finite_draws = 0;
        for k in 0..settings.burn_in + settings.steps {
            self.step();
            if k >= settings.burn_in && (k - settings.burn_in + 1).is_multiple_of(thin) {
                let theta = &self.state[..d];
                draws.extend_from_slice(theta);
                if moments.push(theta).is_err() {
                    non_finite_draws += 1;
                }
            }
            observer(k + 1);
        }
        ChainOutput {
            draws,
            dimension: d,
            moments,
            non_finite_draws,
            gradient_evaluations: (self.steps_taken - start) * self.batch_size as u64,
        }
    }
}

/// Runs one independent chain per seed, in parallel on the current rayon pool, all started at
/// `initial`; chain k uses `seeds[k]` and the outputs come back in seed order.
///
/// Determinism: each chain owns its two ChaCha8 streams ([`streams`]) and never shares state with
/// another, so the outputs are bit-identical to running the chains one after another, at any
/// thread count (tests/parallel.rs checks 1 against 2 threads).
///
/// ```
/// use sgbayes::{batching::Batching, chain::{run_chains, ChainSettings}, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
/// let settings = ChainSettings { steps: 1000, burn_in: 100, thin: 10, seed: 0 };
/// let outputs = run_chains(&model, &config, &[0.0], &[1, 2, 3], &settings).unwrap();
/// assert_eq!(outputs.len(), 3);
/// assert_ne!(outputs[0].draws, outputs[1].draws);
/// ```
pub fn run_chains(
    model: &dyn Model,
    config: &SamplerConfig,
    initial: &[f64],
    seeds: &[u64],
    settings: &ChainSettings,
) -> Result<Vec<ChainOutput>> {
    use rayon::prelude::*;
    seeds
        .par_iter()
        .map(|&seed| {
            let mut chain = Chain::new(model, config, initial, seed)?;
            Ok(chain.run(&ChainSettings { seed, ..*settings }, |_| {}))
        })
        .collect()
}

/// The generator of both streams: ChaCha with 8 rounds (rand_chacha's value-stable ChaCha8Rng),
/// statistically indistinguishable from ChaCha20 for simulation and about twice as fast.
pub type ChainRng = ChaCha8Rng;

/// The minibatch stream (ChaCha8 stream 0) and the noise stream (stream 1) of a seed.
pub fn streams(seed: u64) -> (ChainRng, ChainRng) {
    let mut batch_rng = ChainRng::seed_from_u64(seed);
    batch_rng.set_stream(0);
    let mut noise_rng = ChainRng::seed_from_u64(seed);
    noise_rng.set_stream(1);
    (batch_rng, noise_rng)
}
