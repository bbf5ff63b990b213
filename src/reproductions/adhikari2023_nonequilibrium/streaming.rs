//! The streamed chain of the report: per-segment entropy production, area velocity, window
//! functionals and moments, accumulated step by step without storing the draws.

use crate::chain::{Chain, Flow, RunLength, StepView, Transitions};
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::Model;
use crate::stats::fluctuation_histogram::SymmetricHistogram;
use crate::theory::nonequilibrium::{Discretisation, EntropyProduction};

/// What to accumulate while streaming a chain.
#[derive(Debug, Clone)]
pub(super) struct StreamSettings {
    /// Discarded steps.
    pub(super) burn_in: usize,
    /// Segments (batch-means units) per chain.
    pub(super) segments: usize,
    /// Steps per segment.
    pub(super) segment_steps: usize,
    /// Keep every `thin`-th state for the moments (M for epoch ends of reshuffled SGD).
    pub(super) thin: usize,
    /// Half-range of the Σ_τ histograms, per window.
    pub(super) histogram_ranges: Vec<f64>,
    /// Histogram bins on [0, half-range).
    pub(super) bins: usize,
}

/// Per-segment functionals of one streamed chain.
#[derive(Debug, Clone)]
pub(super) struct SegmentStats {
    /// Mean σ (midpoint) per step.
    pub(super) entropy_midpoint: f64,
    /// Mean σ (start point) per step.
    pub(super) entropy_start_point: f64,
    /// Mean area velocity ½(x_i x'_j − x_j x'_i) for the (i, j) = `area_entry`.
    pub(super) area: f64,
    /// Per window: mean of e^{−Σ_τ} over sliding windows.
    pub(super) integral_ft: Vec<f64>,
    /// Per window: histogram of Σ_τ.
    pub(super) histograms: Vec<SymmetricHistogram>,
    /// Mean of the kept states' offsets w − centre, per coordinate.
    pub(super) offset_mean: Vec<f64>,
    /// Mean of the squared offsets (w − centre)², per coordinate.
    pub(super) offset_square: Vec<f64>,
}

/// Streams one chain of `config` from `start`: per segment, the entropy production (with
/// `estimator`), the area velocity of entry `area_entry` about `centre`, the window functionals and
/// the first two moments of the kept states' offsets from `centre`.
#[allow(clippy::too_many_arguments)]
pub(super) fn stream_chain(
    model: &dyn Model,
    config: &SamplerConfig,
    start: &[f64],
    centre: &[f64],
    estimator: &EntropyProduction,
    area_entry: (usize, usize),
    settings: &StreamSettings,
    seed: u64,
) -> Result<Vec<SegmentStats>> {
    let d = model.dimension();
    let windows = settings.histogram_ranges.len();
    let mut chain = Chain::new(model, config, start, seed)?;
    let new_stats = || SegmentStats {
        entropy_midpoint: 0.0,
        entropy_start_point: 0.0,
        area: 0.0,
        integral_ft: vec![0.0; windows],
        histograms: settings
            .histogram_ranges
            .iter()
            .map(|&range| SymmetricHistogram::new(range, settings.bins))
            .collect(),
        offset_mean: vec![0.0; d],
        offset_square: vec![0.0; d],
    };
    let mut recent = vec![0.0; windows.max(1)];
    let mut segments = Vec::with_capacity(settings.segments);
    let (i, j) = area_entry;
    let mut steps_done = 0usize;
    let mut stats = new_stats();
    let mut kept = 0usize;
    let mut window_counts = vec![0usize; windows];
    let mut err = None;
    let mut pairs = Transitions::new(
        chain.theta(),
        |previous: &[f64], current: &[f64], step: &StepView<'_>| {
            if step.burn_in {
                return Flow::Continue;
            }
            steps_done += 1;
            let sigma = estimator.step(previous, current, Discretisation::Midpoint);
            stats.entropy_midpoint += sigma;
            stats.entropy_start_point +=
                estimator.step(previous, current, Discretisation::StartPoint);
            let (xi, xj) = (previous[i] - centre[i], previous[j] - centre[j]);
            let (yi, yj) = (current[i] - centre[i], current[j] - centre[j]);
            stats.area += 0.5 * (xi * yj - xj * yi);
            // recent[k] = σ of the step k steps ago; window τ sums recent[0..τ].
            recent.rotate_right(1);
            recent[0] = sigma;
            let mut sum = 0.0;
            for w in 0..windows {
                sum += recent[w];
                if steps_done > w {
                    stats.integral_ft[w] += (-sum).exp();
                    window_counts[w] += 1;
                    stats.histograms[w].add(sum);
                }
            }
            if steps_done.is_multiple_of(settings.thin.max(1)) {
                if current.iter().any(|x| !x.is_finite()) {
                    err = Some(Error::Invalid {
                        what: "simulation".into(),
                        why: "non-finite state (the chain diverged)".into(),
                    });
                    return Flow::Stop;
                }
                kept += 1;
                for a in 0..d {
                    let x = current[a] - centre[a];
                    stats.offset_mean[a] += x;
                    stats.offset_square[a] += x * x;
                }
            }
            if steps_done.is_multiple_of(settings.segment_steps) {
                let n = settings.segment_steps as f64;
                stats.entropy_midpoint /= n;
                stats.entropy_start_point /= n;
                stats.area /= n;
                for a in 0..d {
                    stats.offset_mean[a] /= kept.max(1) as f64;
                    stats.offset_square[a] /= kept.max(1) as f64;
                }
                for (value, count) in stats.integral_ft.iter_mut().zip(&window_counts) {
                    *value /= (*count).max(1) as f64;
                }
                segments.push(std::mem::replace(&mut stats, new_stats()));
                kept = 0;
                window_counts.iter_mut().for_each(|count| *count = 0);
            }
            Flow::Continue
        },
    );
    chain.execute(
        &RunLength {
            burn_in: settings.burn_in,
            steps: settings.segments * settings.segment_steps,
            thin: 1,
        },
        &mut pairs,
    );
    drop(pairs);
    err.map_or(Ok(segments), Err)
}
