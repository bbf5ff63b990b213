//! Observers of a running chain (the model is argmin's `Observe`): what the driver
//! [`super::Chain::execute`] reports after every step, at every epoch end and for every kept draw.
//!
//! An [`Observer`] has three methods, each with a do-nothing default, and each returns a
//! [`Flow`]: [`Flow::Stop`] ends the run after the current step (a cooperative stop, e.g. on
//! Ctrl-C via [`StopFlag`]). Observers compose: a tuple of observers is an observer that calls
//! each in order (and stops when any asks to), and so are `&mut O`, `Box<O>` and a slice or `Vec`
//! of boxed observers. Observers are called from the hot loop: keep them allocation-free (set up
//! buffers when the observer is built).
//!
//! Provided here: [`DrawRecorder`] (the kept draws, their streaming moments and non-finite count
//! — what [`super::ChainOutput`] holds), [`StreamingMoments`] itself (moments of the finite kept
//! draws), [`StopFlag`], [`Transitions`] (consecutive pairs of states, e.g. for entropy
//! production), [`DivergenceGuard`] (stops at the first non-finite state) and the closure adapters [`each_step`], [`each_draw`] and [`each_epoch_end`].

use std::sync::atomic::{AtomicBool, Ordering};

use crate::samplers::Sampler;
use crate::stats::StreamingMoments;

/// Whether the run goes on after an observer has seen an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flow {
    /// Keep stepping.
    Continue,
    /// Stop after the current step (its remaining events are still delivered).
    Stop,
}

impl Flow {
    /// [`Flow::Stop`] if either asks to stop.
    #[inline]
    pub fn and(self, other: Flow) -> Flow {
        self.max(other)
    }
}

/// One step as observers see it, right after the sampler's update.
#[derive(Clone, Copy)]
pub struct StepView<'a> {
    /// Steps the chain has taken since it was built (1 after its first step).
    pub step: u64,
    /// Steps taken in this run, burn-in included (1 after the run's first step).
    pub run_step: usize,
    /// True while the run is in its burn-in.
    pub burn_in: bool,
    /// True when this step completed an epoch (every ⌊N/B⌋ steps since the chain was built).
    pub epoch_end: bool,
    /// The chain state: θ (the first `dimension` entries), then the sampler's auxiliary variables
    /// (e.g. the momentum of the momentum samplers).
    pub state: &'a [f64],
    /// The model's dimension d.
    pub dimension: usize,
    pub(super) sampler: &'a dyn Sampler,
}

impl<'a> StepView<'a> {
    /// θ, the first d entries of the state.
    #[inline]
    pub fn theta(&self) -> &'a [f64] {
        &self.state[..self.dimension]
    }
    /// The sampler's adaptive state carried between steps ([`Sampler::auxiliary_state`]: e.g.
    /// RMSprop's running average V, or the online Fisher estimate); empty for most samplers.
    #[inline]
    pub fn auxiliary_state(&self) -> &'a [f64] {
        self.sampler.auxiliary_state()
    }
}

/// Sees a running chain's events; every method defaults to doing nothing and continuing.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// use sgbayes::chain::{Chain, Flow, Observer, RunLength, StepView};
/// /// Counts the steps whose θ is positive and stops after the 50th kept draw.
/// struct Positive { steps: usize }
/// impl Observer for Positive {
///     fn on_step(&mut self, step: &StepView<'_>) -> Flow {
///         self.steps += usize::from(step.theta()[0] > 0.0);
///         Flow::Continue
///     }
///     fn on_draw(&mut self, index: usize, _draw: &[f64]) -> Flow {
///         if index + 1 == 50 { Flow::Stop } else { Flow::Continue }
///     }
/// }
/// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
/// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
/// let mut positive = Positive { steps: 0 };
/// let run = chain.execute(&RunLength { burn_in: 100, steps: 1000, thin: 10 }, &mut positive);
/// assert!(run.stopped && run.draws == 50 && run.steps == 600);
/// assert!(positive.steps > 0);
/// ```
pub trait Observer {
    /// After every step, burn-in included.
    #[inline]
    fn on_step(&mut self, _step: &StepView<'_>) -> Flow {
        Flow::Continue
    }
    /// After a step that completed an epoch (`epoch` counts from 1), right after [`Self::on_step`].
    #[inline]
    fn on_epoch_end(&mut self, _epoch: u64, _step: &StepView<'_>) -> Flow {
        Flow::Continue
    }
    /// A kept draw (`index` counts from 0): θ, an epoch-end θ or a window mean, after burn-in
    /// and thinning ([`super::Draws`]); called after [`Self::on_step`] of the same step.
    #[inline]
    fn on_draw(&mut self, _index: usize, _draw: &[f64]) -> Flow {
        Flow::Continue
    }
}

/// The observer that sees nothing.
impl Observer for () {}

impl<O: Observer + ?Sized> Observer for &mut O {
    #[inline]
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        (**self).on_step(step)
    }
    #[inline]
    fn on_epoch_end(&mut self, epoch: u64, step: &StepView<'_>) -> Flow {
        (**self).on_epoch_end(epoch, step)
    }
    #[inline]
    fn on_draw(&mut self, index: usize, draw: &[f64]) -> Flow {
        (**self).on_draw(index, draw)
    }
}

impl<O: Observer + ?Sized> Observer for Box<O> {
    #[inline]
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        (**self).on_step(step)
    }
    #[inline]
    fn on_epoch_end(&mut self, epoch: u64, step: &StepView<'_>) -> Flow {
        (**self).on_epoch_end(epoch, step)
    }
    #[inline]
    fn on_draw(&mut self, index: usize, draw: &[f64]) -> Flow {
        (**self).on_draw(index, draw)
    }
}

/// Every observer of the slice in order.
impl<O: Observer> Observer for [O] {
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        self.iter_mut()
            .fold(Flow::Continue, |flow, o| flow.and(o.on_step(step)))
    }
    fn on_epoch_end(&mut self, epoch: u64, step: &StepView<'_>) -> Flow {
        self.iter_mut().fold(Flow::Continue, |flow, o| {
            flow.and(o.on_epoch_end(epoch, step))
        })
    }
    fn on_draw(&mut self, index: usize, draw: &[f64]) -> Flow {
        self.iter_mut()
            .fold(Flow::Continue, |flow, o| flow.and(o.on_draw(index, draw)))
    }
}

/// Every observer of the vector in order.
impl<O: Observer> Observer for Vec<O> {
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        self.as_mut_slice().on_step(step)
    }
    fn on_epoch_end(&mut self, epoch: u64, step: &StepView<'_>) -> Flow {
        self.as_mut_slice().on_epoch_end(epoch, step)
    }
    fn on_draw(&mut self, index: usize, draw: &[f64]) -> Flow {
        self.as_mut_slice().on_draw(index, draw)
    }
}

/// Tuples of observers: each member in order; the run stops if any member asks to.
macro_rules! tuple_observer {
    ($($name:ident $index:tt),+) => {
        impl<$($name: Observer),+> Observer for ($($name,)+) {
            #[inline]
            fn on_step(&mut self, step: &StepView<'_>) -> Flow {
                Flow::Continue$(.and(self.$index.on_step(step)))+
            }
            #[inline]
            fn on_epoch_end(&mut self, epoch: u64, step: &StepView<'_>) -> Flow {
                Flow::Continue$(.and(self.$index.on_epoch_end(epoch, step)))+
            }
            #[inline]
            fn on_draw(&mut self, index: usize, draw: &[f64]) -> Flow {
                Flow::Continue$(.and(self.$index.on_draw(index, draw)))+
            }
        }
    };
}
tuple_observer!(A 0);
tuple_observer!(A 0, B 1);
tuple_observer!(A 0, B 1, C 2);
tuple_observer!(A 0, B 1, C 2, D 3);
tuple_observer!(A 0, B 1, C 2, D 3, E 4);

/// Streaming mean and covariance of the kept draws; a draw with a non-finite coordinate is
/// skipped (count them with [`DrawRecorder`]).
impl Observer for StreamingMoments {
    #[inline]
    fn on_draw(&mut self, _index: usize, draw: &[f64]) -> Flow {
        let _ = self.push(draw);
        Flow::Continue
    }
}

/// Records the kept draws (row-major), their streaming moments and how many had a non-finite
/// coordinate (those are excluded from the moments).
#[derive(Debug, Clone)]
pub struct DrawRecorder {
    /// Kept draws, row-major [draws × d].
    pub draws: Vec<f64>,
    /// Streaming mean and covariance of the finite kept draws.
    pub moments: StreamingMoments,
    /// Kept draws with a non-finite coordinate.
    pub non_finite_draws: usize,
}

impl DrawRecorder {
    /// A recorder of d-dimensional draws with room for `capacity` draws (reserved now, so that
    /// recording up to that many allocates nothing).
    pub fn new(dimension: usize, capacity: usize) -> Self {
        Self {
            draws: Vec::with_capacity(capacity * dimension),
            moments: StreamingMoments::new(dimension),
            non_finite_draws: 0,
        }
    }
}

impl Observer for DrawRecorder {
    #[inline]
    fn on_draw(&mut self, _index: usize, draw: &[f64]) -> Flow {
        self.draws.extend_from_slice(draw);
        if self.moments.push(draw).is_err() {
            self.non_finite_draws += 1;
        }
        Flow::Continue
    }
}

/// Stops the run at the first step whose chain state (θ and the auxiliary variables, e.g. a
/// momentum) or sampler state (e.g. a thermostat) is non-finite, and remembers that step: a
/// diverging sampler becomes [`crate::Error::Diverged`] naming the step instead of NaN draws.
/// One pass over the state per step.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// use sgbayes::chain::{Chain, DivergenceGuard, RunLength};
/// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
/// // SGLD far past its stability limit 4/λ_max = 4/11 overflows within a few hundred steps.
/// let config = SamplerConfig::new(SamplerKind::Sgld, 1.0, 2, Batching::WithReplacement);
/// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
/// let mut guard = DivergenceGuard::default();
/// let run = chain.execute(&RunLength { burn_in: 0, steps: 100_000, thin: 1 }, &mut guard);
/// assert!(run.stopped && run.steps < 100_000);
/// assert!(matches!(guard.result(), Err(sgbayes::Error::Diverged { .. })));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DivergenceGuard {
    /// The first step (counted since the chain was built) after which the state was non-finite.
    pub diverged_at: Option<u64>,
}

impl DivergenceGuard {
    /// `Ok(())`, or [`crate::Error::Diverged`] naming the step.
    pub fn result(&self) -> crate::error::Result<()> {
        match self.diverged_at {
            None => Ok(()),
            Some(step) => Err(crate::error::Error::Diverged { step }),
        }
    }
}

impl Observer for DivergenceGuard {
    #[inline]
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        let finite = |values: &[f64]| values.iter().all(|v| v.is_finite());
        if finite(step.state) && finite(step.auxiliary_state()) {
            Flow::Continue
        } else {
            self.diverged_at = Some(step.step);
            Flow::Stop
        }
    }
}

/// Asks the run to stop once the flag is set (e.g. by a Ctrl-C handler); one relaxed atomic
/// load per step.
#[derive(Debug, Clone, Copy)]
pub struct StopFlag<'a>(pub &'a AtomicBool);

impl Observer for StopFlag<'_> {
    #[inline]
    fn on_step(&mut self, _step: &StepView<'_>) -> Flow {
        if self.0.load(Ordering::Relaxed) {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }
}

/// Calls a closure with every step ([`each_step`]).
#[derive(Debug, Clone)]
pub struct EachStep<F>(F);
/// Calls a closure with every kept draw ([`each_draw`]).
#[derive(Debug, Clone)]
pub struct EachDraw<F>(F);
/// Calls a closure at every epoch end ([`each_epoch_end`]).
#[derive(Debug, Clone)]
pub struct EachEpochEnd<F>(F);

/// An observer calling `f` after every step (burn-in included).
pub fn each_step<F: FnMut(&StepView<'_>) -> Flow>(f: F) -> EachStep<F> {
    EachStep(f)
}
/// An observer calling `f(index, draw)` with every kept draw.
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// use sgbayes::chain::{each_draw, Chain, Flow, RunLength};
/// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgd, 0.1, 2, Batching::WithReplacement);
/// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
/// let mut squares = Vec::new();
/// chain.execute(
///     &RunLength { burn_in: 10, steps: 100, thin: 1 },
///     &mut each_draw(|_, theta: &[f64]| { squares.push(theta[0] * theta[0]); Flow::Continue }),
/// );
/// assert_eq!(squares.len(), 100);
/// ```
pub fn each_draw<F: FnMut(usize, &[f64]) -> Flow>(f: F) -> EachDraw<F> {
    EachDraw(f)
}
/// An observer calling `f(epoch, step)` at every epoch end.
pub fn each_epoch_end<F: FnMut(u64, &StepView<'_>) -> Flow>(f: F) -> EachEpochEnd<F> {
    EachEpochEnd(f)
}

impl<F: FnMut(&StepView<'_>) -> Flow> Observer for EachStep<F> {
    #[inline]
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        (self.0)(step)
    }
}
impl<F: FnMut(usize, &[f64]) -> Flow> Observer for EachDraw<F> {
    #[inline]
    fn on_draw(&mut self, index: usize, draw: &[f64]) -> Flow {
        (self.0)(index, draw)
    }
}
impl<F: FnMut(u64, &StepView<'_>) -> Flow> Observer for EachEpochEnd<F> {
    #[inline]
    fn on_epoch_end(&mut self, epoch: u64, step: &StepView<'_>) -> Flow {
        (self.0)(epoch, step)
    }
}

/// Consecutive pairs of θ: calls `f(previous, current, step)` after every step with the θ
/// before and after it (burn-in steps included: test `step.burn_in` to skip them). The previous
/// θ is copied into a buffer allocated once, in [`Transitions::new`].
///
/// ```
/// use sgbayes::{batching::Batching, config::{SamplerConfig, SamplerKind}, models::LinearRegression};
/// use sgbayes::chain::{Chain, Flow, RunLength, Transitions};
/// let model = LinearRegression::new(vec![vec![1.0]; 10], vec![0.5; 10], 1.0, 1.0).unwrap();
/// let config = SamplerConfig::new(SamplerKind::Sgld, 0.01, 2, Batching::WithReplacement);
/// let mut chain = Chain::new(&model, &config, &[0.0], 7).unwrap();
/// let mut path_length = 0.0;
/// let mut moves = Transitions::new(chain.theta(), |previous: &[f64], current: &[f64], _| {
///     path_length += (current[0] - previous[0]).abs();
///     Flow::Continue
/// });
/// chain.execute(&RunLength { burn_in: 0, steps: 100, thin: 1 }, &mut moves);
/// assert!(path_length > 0.0);
/// ```
#[derive(Debug, Clone)]
pub struct Transitions<F> {
    previous: Vec<f64>,
    f: F,
}

impl<F: FnMut(&[f64], &[f64], &StepView<'_>) -> Flow> Transitions<F> {
    /// Pairs starting from θ = `start` (normally the chain's current θ, [`super::Chain::theta`]).
    pub fn new(start: &[f64], f: F) -> Self {
        Self {
            previous: start.to_vec(),
            f,
        }
    }
}

impl<F: FnMut(&[f64], &[f64], &StepView<'_>) -> Flow> Observer for Transitions<F> {
    #[inline]
    fn on_step(&mut self, step: &StepView<'_>) -> Flow {
        let current = step.theta();
        let flow = (self.f)(&self.previous, current, step);
        self.previous.copy_from_slice(current);
        flow
    }
}
