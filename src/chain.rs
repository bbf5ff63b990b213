//! The chain driver: owns the random streams, draws minibatches and noise, and reports every
//! step to observers.
//!
//! Randomness: one u64 seed (given once, to [`Chain::new`]) gives two ChaCha8 streams with the
//! same key — stream 0 draws minibatch indices, stream 1 draws the injected Gaussian noise — so
//! the same seed gives the same bits on any machine and any thread count, and changing a
//! sampler's noise use does not change its minibatch sequence.
//!
//! Running: [`Chain::execute`] is the one step loop of the crate (the executor, after argmin's
//! `Executor` with its `Observe`rs). It takes `burn_in` steps, then `steps` more, and reports to
//! an [`Observer`]: every step ([`StepView`]: θ, the full state, the sampler's adaptive state),
//! every epoch end, and every kept draw — a state after burn-in and thinning, a state at an epoch
//! end, or a window mean of iterates ([`Draws`]; the iterate averaging of ASGS). Observers
//! compose as tuples; [`DrawRecorder`], [`StreamingMoments`], [`StopFlag`], [`Transitions`],
//! [`DivergenceGuard`] and
//! the closure adapters [`each_step`] / [`each_draw`] / [`each_epoch_end`] cover the usual runs,
//! and any observer may stop the run ([`Flow::Stop`]). [`Chain::record`] keeps the draws and
//! their moments ([`ChainOutput`]); [`run_chains`] runs independent chains in parallel.

mod observe;
mod seeds;

pub use observe::{
    each_draw, each_epoch_end, each_step, DivergenceGuard, DrawRecorder, EachDraw, EachEpochEnd,
    EachStep, Flow, Observer, StepView, StopFlag, Transitions,
};
pub use seeds::run_seed;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::batching::{Batching, Minibatcher};
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::{FisherMetric, Model};
use crate::samplers::{self, IterateAverage, Sampler};
use crate::stats::StreamingMoments;

/// How long a run lasts: `burn_in` steps whose states are not kept, then `steps` steps whose
/// draw candidates ([`Draws`]) are thinned: every `thin`-th is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunLength {
    /// Discarded initial steps.
    pub burn_in: usize,
    /// Steps after burn-in.
    pub steps: usize,
    /// Keep every `thin`-th draw candidate (0 is read as 1).
    pub thin: usize,
}

impl RunLength {
    /// One step, its state kept: `chain.execute(&RunLength::ONE_STEP, &mut observer)` advances a
    /// chain by a single step.
    pub const ONE_STEP: RunLength = RunLength {
        burn_in: 0,
        steps: 1,
        thin: 1,
    };
}

/// Which post-burn-in quantities are the draw candidates that thinning selects from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draws {
    /// θ after every step.
    States,
    /// θ after the steps that complete an epoch (every ⌊N/B⌋ steps since the chain was built;
    /// with reshuffled batches, the states at the ends of the permutation passes).
    EpochEnds,
    /// The mean of each non-overlapping window of `window` consecutive post-burn-in θ iterates
    /// (iterate averaging; what a draw of ASGS is, [`samplers::averaging_window`]).
    WindowMeans {
        /// Iterates per window (≥ 1).
        window: usize,
    },
}

/// What one [`Chain::execute`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    /// Steps taken, burn-in included (fewer than `burn_in + steps` when stopped).
    pub steps: usize,
    /// Draws kept.
    pub draws: usize,
    /// An observer stopped the run early.
    pub stopped: bool,
    /// Per-example gradient evaluations (B per step).
    pub gradient_evaluations: u64,
}

/// What a recorded run produced.
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
    /// An observer stopped the run before its end.
    pub stopped: bool,
}

impl ChainOutput {
    /// The output of a run whose draws `recorder` kept.
    pub fn new(recorder: DrawRecorder, dimension: usize, run: &RunSummary) -> Self {
        Self {
            draws: recorder.draws,
            dimension,
            moments: recorder.moments,
            non_finite_draws: recorder.non_finite_draws,
            gradient_evaluations: run.gradient_evaluations,
            stopped: run.stopped,
        }
    }
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
    draws: Draws,
    /// The window-mean accumulator of [`Draws::WindowMeans`], allocated with the chain.
    average: Option<IterateAverage>,
}

impl<'a> Chain<'a> {
    /// A chain of the configured sampler on `model`, started at θ = `initial`, its streams seeded
    /// with `seed`. Its draws are the states, or for an iterate-averaging sampler (ASGS) the
    /// window means ([`Draws`]).
    ///
    /// ```
    /// use sgbayes::{batching::Batching, chain::{Chain, RunLength}, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
    /// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
    /// let config = SamplerConfig { kind: SamplerKind::Sgld, step_size: 0.01, batch_size: 2, batching: Batching::WithReplacement };
    /// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
    /// let out = chain.record(&RunLength { burn_in: 100, steps: 1000, thin: 10 }, &mut ());
    /// assert_eq!(out.len(), 100);
    /// ```
    pub fn new(
        model: &'a dyn Model,
        config: &SamplerConfig,
        initial: &[f64],
        seed: u64,
    ) -> Result<Self> {
        let sampler = samplers::build(config, model.dimension(), model.data_size())?;
        let mut chain = Self::with_sampler(
            model,
            sampler,
            config.batching,
            config.batch_size,
            initial,
            seed,
        )?;
        if let Some(window) = samplers::averaging_window(config) {
            chain.set_draws(Draws::WindowMeans { window });
        }
        Ok(chain)
    }

    /// A chain driving any [`Sampler`] (for example one written outside this crate, or a
    /// deliberately wrong variant in a power test) with the given batching scheme; its draws are
    /// the states. A sampler that needs the model's Fisher metric
    /// ([`Sampler::needs_fisher_metric`]) is refused on a model without one.
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
        if sampler.needs_fisher_metric() {
            let (mut fisher, mut correction) = (vec![0.0; d * d], vec![0.0; d]);
            if model.fisher_metric(initial, &mut fisher, &mut correction)
                == FisherMetric::Unavailable
            {
                return Err(Error::Invalid {
                    what: "model".into(),
                    why: "the sampler needs the model's Fisher metric (Model::fisher_metric); this model has none".into(),
                });
            }
        }
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
            draws: Draws::States,
            average: None,
        })
    }

    /// The current chain state (θ first, then auxiliary variables).
    pub fn state(&self) -> &[f64] {
        &self.state
    }

    /// The current θ (the first d entries of the state).
    pub fn theta(&self) -> &[f64] {
        &self.state[..self.model.dimension()]
    }

    /// The sampler's adaptive state ([`Sampler::auxiliary_state`]).
    pub fn auxiliary_state(&self) -> &[f64] {
        self.sampler.auxiliary_state()
    }

    /// Steps taken since the chain was built.
    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// What the chain's draws are.
    pub fn draws(&self) -> Draws {
        self.draws
    }

    /// Sets what the chain's draws are (for example [`Draws::EpochEnds`] with reshuffled batches).
    pub fn set_draws(&mut self, draws: Draws) {
        self.draws = draws;
        self.average = match draws {
            Draws::WindowMeans { window } => {
                Some(IterateAverage::new(self.model.dimension(), window))
            }
            _ => None,
        };
    }

    /// One step: draw a minibatch and noise, apply the sampler. Allocation-free.
    fn step(&mut self) {
        let batch = self.batcher.next_batch(&mut self.batch_rng);
        for z in self.noise.iter_mut() {
            *z = self.noise_rng.sample(StandardNormal);
        }
        self.sampler
            .step(self.model, &mut self.state, batch, &self.noise);
        self.steps_taken += 1;
    }

    /// Runs `length.burn_in` steps and then `length.steps` more, reporting every step, every
    /// epoch end and every kept draw ([`Draws`], thinned by `length.thin`) to `observer`; stops
    /// early when the observer asks to. Allocates nothing (a window mean starts afresh with each
    /// run, in the accumulator allocated with the chain).
    ///
    /// ```
    /// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
    /// use sgbayes::{chain::{each_draw, Chain, Flow, RunLength}, stats::StreamingMoments};
    /// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
    /// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
    /// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
    /// let (mut moments, mut largest) = (StreamingMoments::new(1), f64::MIN);
    /// let length = RunLength { burn_in: 100, steps: 10_000, thin: 10 };
    /// chain.execute(&length, &mut (&mut moments, each_draw(|_, theta: &[f64]| {
    ///     largest = largest.max(theta[0]);
    ///     Flow::Continue
    /// })));
    /// assert_eq!(moments.count(), 1000);
    /// assert!(largest > 0.0);
    /// ```
    pub fn execute<O: Observer + ?Sized>(
        &mut self,
        length: &RunLength,
        observer: &mut O,
    ) -> RunSummary {
        let draws = self.draws;
        self.execute_drawing(length, draws, observer)
    }

    /// [`Chain::execute`] with a [`DrawRecorder`] beside `observer`: the kept draws and their
    /// moments.
    pub fn record<O: Observer + ?Sized>(
        &mut self,
        length: &RunLength,
        observer: &mut O,
    ) -> ChainOutput {
        let d = self.model.dimension();
        let mut recorder = DrawRecorder::new(d, self.draw_capacity(length));
        let run = self.execute(length, &mut (&mut recorder, observer));
        ChainOutput::new(recorder, d, &run)
    }

    /// Number of draws a complete run of `length` keeps with the chain's draws.
    pub fn draw_capacity(&self, length: &RunLength) -> usize {
        let candidates = match self.draws {
            Draws::States => length.steps,
            Draws::EpochEnds => length.steps / self.batcher.batches_per_epoch(),
            Draws::WindowMeans { window } => length.steps / window.max(1),
        };
        candidates / length.thin.max(1)
    }

    /// The executor's loop with the draw candidates `draws`.
    fn execute_drawing<O: Observer + ?Sized>(
        &mut self,
        length: &RunLength,
        draws: Draws,
        observer: &mut O,
    ) -> RunSummary {
        let d = self.model.dimension();
        let thin = length.thin.max(1);
        let epoch = self.batcher.batches_per_epoch() as u64;
        let mut average = match draws {
            Draws::WindowMeans { .. } => self.average.take(),
            _ => None,
        };
        if let Some(average) = &mut average {
            average.restart();
        }
        let start = self.steps_taken;
        let (mut candidates, mut kept, mut stopped) = (0usize, 0usize, false);
        for k in 0..length.burn_in + length.steps {
            self.step();
            let burn_in = k < length.burn_in;
            let epoch_end = self.steps_taken.is_multiple_of(epoch);
            let view = StepView {
                step: self.steps_taken,
                run_step: k + 1,
                burn_in,
                epoch_end,
                state: &self.state,
                dimension: d,
                sampler: self.sampler.as_ref(),
            };
            let mut flow = observer.on_step(&view);
            if epoch_end {
                flow = flow.and(observer.on_epoch_end(self.steps_taken / epoch, &view));
            }
            if !burn_in {
                let theta = view.theta();
                let candidate = match (&mut average, draws) {
                    (Some(average), _) => average.push(theta),
                    (None, Draws::EpochEnds) => epoch_end.then_some(theta),
                    (None, _) => Some(theta),
                };
                if let Some(draw) = candidate {
                    candidates += 1;
                    if candidates.is_multiple_of(thin) {
                        flow = flow.and(observer.on_draw(kept, draw));
                        kept += 1;
                    }
                }
            }
            if flow == Flow::Stop {
                stopped = true;
                break;
            }
        }
        if average.is_some() {
            self.average = average;
        }
        let steps = (self.steps_taken - start) as usize;
        RunSummary {
            steps,
            draws: kept,
            stopped,
            gradient_evaluations: steps as u64 * self.batch_size as u64,
        }
    }
}

/// Runs one independent chain per seed, in parallel on the current rayon pool, all started at
/// `initial` and recorded ([`Chain::record`]); chain k uses `seeds[k]` and the outputs come back
/// in seed order.
///
/// Determinism: each chain owns its two ChaCha8 streams ([`streams`]) and never shares state with
/// another, so the outputs are bit-identical to running the chains one after another, at any
/// thread count (tests/parallel.rs checks 1 against 2 threads).
///
/// ```
/// use sgbayes::{batching::Batching, chain::{run_chains, RunLength}, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
/// let length = RunLength { burn_in: 100, steps: 1000, thin: 10 };
/// let outputs = run_chains(&model, &config, &[0.0], &[1, 2, 3], &length).unwrap();
/// assert_eq!(outputs.len(), 3);
/// assert_ne!(outputs[0].draws, outputs[1].draws);
/// ```
pub fn run_chains(
    model: &dyn Model,
    config: &SamplerConfig,
    initial: &[f64],
    seeds: &[u64],
    length: &RunLength,
) -> Result<Vec<ChainOutput>> {
    use rayon::prelude::*;
    seeds
        .par_iter()
        .map(|&seed| Ok(Chain::new(model, config, initial, seed)?.record(length, &mut ())))
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
