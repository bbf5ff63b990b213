//! Exact law of the draws at the ends of cycles of steps (momentum-refreshed trajectories,
//! periodic step-size schedules), each step an affine random map.
//!
//! # Formula (derived here)
//! A cycle is a sequence of phases, each an affine random map z' = A z + b + e with e ~ N(0, Q)
//! and (A, b, Q) drawn independently of the past: a fresh-minibatch step (the batch average of
//! per-example pieces, [`AffineRandomMap`]), or a finite mixture (a momentum refresh; a whole
//! trajectory on one enumerated minibatch). A phase maps the first two moments (m, Σ) to
//! * m' = Ā m + b̄,
//! * Σ' = E[A Σ Aᵀ] + E[Q] + Cov(A m + b), i.e. vec Σ' = E[A ⊗ A] vec Σ + vec Q(m),
//!
//! with, for a fresh batch, E[A ⊗ A] = M̄ ⊗ M̄ + (κ/N) Σ_i D_i ⊗ D_i and Cov(A m + b) =
//! (κ/N) Σ_i f_i f_iᵀ, f_i = M_i m + c_i − M̄ m − c̄, κ = γ/B (as in `affine_map.rs`). The cycle's
//! end states form a Markov chain; its stationary mean solves m = Φ m + ψ (Φ, ψ the composed mean
//! map, ρ(Φ) < 1), and its covariance solves vec Σ = 𝒯 vec Σ + vec q with 𝒯 the product of the
//! phases' E[A ⊗ A] and q the covariance one cycle adds from Σ = 0 at the stationary phase means
//! (ρ(𝒯) < 1: mean-square stability). Autocovariances of the draws are Φᵏ Σ.
//!
//! One minibatch S for a whole cycle: the cycle is the product of its steps' maps at the same S.
//! When every example has the same matrix (state-independent minibatch noise, e.g. the
//! Gaussian-mean model), only the offsets depend on S and the composed map is again a batch
//! average: A = M_K ⋯ M_1, per-example offsets b_i = Σ_k M_K ⋯ M_{k+1} c_i^{(k)}, noise
//! Σ_k (M_K ⋯ M_{k+1}) Q_k (⋯)ᵀ. Otherwise the batches are enumerated (N^B ordered batches with
//! replacement, C(N, B) subsets without), up to [`MAX_ENUMERATED_BATCHES`].
//!
//! An anchor reset (SVRG-LD's epoch start, state (θ, θ̃)) is the deterministic phase
//! z ↦ [[I, 0], [I, 0]] z.

use nalgebra::{DMatrix, DVector};

use super::affine_map::{spectral_radius, AffineRandomMap, ExampleMatrices, StationaryLaw};
use super::gaussian::symmetrize;
use super::laws::Cycle;
use super::step_map::preconditioned_affine_map;
use super::RESIDUAL_TOLERANCE;
use crate::batching::Batching;
use crate::config::SamplerConfig;
use crate::error::{Error, Result};
use crate::models::QuadraticModel;

/// Largest chain state dimension n of a cycle law (its moment operators are n² × n²).
pub const MAX_CYCLE_STATE_DIMENSION: usize = 16;

/// Largest number of minibatches enumerated for a cycle on one minibatch with state-dependent
/// minibatch noise.
pub const MAX_ENUMERATED_BATCHES: usize = 20_000;

/// One map of a finite mixture: z' = A z + b + N(0, Q) with probability p.
struct Component {
    probability: f64,
    matrix: DMatrix<f64>,
    offset: DVector<f64>,
    noise: DMatrix<f64>,
}

/// One phase of a cycle.
enum Phase {
    /// A step on a fresh minibatch, with the minibatch weight κ/N.
    Minibatch { map: AffineRandomMap, weight: f64 },
    /// Finitely many maps with their probabilities.
    Mixture(Vec<Component>),
}

impl Phase {
    /// The mean map (Ā, b̄).
    fn mean_map(&self) -> (DMatrix<f64>, DVector<f64>) {
        match self {
            Phase::Minibatch { map, .. } => (map.mean_matrix(), map.mean_offset()),
            Phase::Mixture(components) => {
                let n = components[0].offset.len();
                let mut a = DMatrix::zeros(n, n);
                let mut b = DVector::zeros(n);
                for c in components {
                    a += &c.matrix * c.probability;
                    b += &c.offset * c.probability;
                }
                (a, b)
            }
        }
    }

    /// E[A ⊗ A], acting on column-major vec Σ.
    fn second_moment(&self) -> DMatrix<f64> {
        match self {
            Phase::Minibatch { map, weight } => {
                let mean = map.mean_matrix();
                let mut t = mean.kronecker(&mean);
                if !matches!(map.example_matrices(), ExampleMatrices::Shared(_)) {
                    for i in 0..map.data_size() {
                        let deviation = example_matrix(map.example_matrices(), i) - &mean;
                        t += deviation.kronecker(&deviation) * *weight;
                    }
                }
                t
            }
            Phase::Mixture(components) => {
                let n = components[0].offset.len();
                let mut t = DMatrix::zeros(n * n, n * n);
                for c in components {
                    t += c.matrix.kronecker(&c.matrix) * c.probability;
                }
                t
            }
        }
    }

    /// E[Q] + Cov(A m + b) at the phase's input mean m.
    fn noise_at(&self, mean: &DVector<f64>) -> DMatrix<f64> {
        let (a, b) = self.mean_map();
        let image = &a * mean + b;
        match self {
            Phase::Minibatch { map, weight } => {
                let mut q = map.noise_covariance().clone();
                for (i, c) in map.example_offsets().iter().enumerate() {
                    let f = example_matrix(map.example_matrices(), i) * mean + c - &image;
                    q.ger(*weight, &f, &f, 1.0);
                }
                q
            }
            Phase::Mixture(components) => {
                let mut q = DMatrix::zeros(mean.len(), mean.len());
                for c in components {
                    let f = &c.matrix * mean + &c.offset - &image;
                    q += &c.noise * c.probability;
                    q.ger(c.probability, &f, &f, 1.0);
                }
                q
            }
        }
    }
}

/// The dense per-example matrix M_i.
fn example_matrix(matrices: &ExampleMatrices, index: usize) -> DMatrix<f64> {
    match matrices {
        ExampleMatrices::Shared(m) => m.clone(),
        ExampleMatrices::PerExample(list) => list[index].clone(),
        ExampleMatrices::RankOne {
            common,
            left,
            right,
        } => common + &left[index] * right[index].transpose(),
    }
}

/// The exact stationary law of the draws at the cycle ends (the whole chain state; `mean_matrix`
/// is the cycle's mean map Φ). See the module documentation.
///
/// Errors: bad configurations; [`Error::NoClosedForm`] for reshuffled batches, a state beyond
/// [`MAX_CYCLE_STATE_DIMENSION`], or too many batches to enumerate; [`Error::Invalid`] (sampler)
/// when no gradient reaches the position over a cycle (a random walk);
/// [`Error::NotContracting`] / [`Error::MeanSquareUnstable`] when the draws have no stationary law.
pub(crate) fn cycle_law<M: QuadraticModel + ?Sized>(
    model: &M,
    config: &SamplerConfig,
    cycle: &Cycle,
) -> Result<StationaryLaw> {
    config.validate(model.data_size())?;
    if config.batching == Batching::Reshuffle {
        return Err(Error::NoClosedForm {
            what: "cycles of steps (trajectories, schedules) under reshuffled batches".into(),
        });
    }
    let phases = phases(model, config, cycle)?;
    let d = model.dimension();
    let n = phases[0].mean_map().1.len();
    let mut phi = DMatrix::<f64>::identity(n, n);
    let mut psi = DVector::<f64>::zeros(n);
    for phase in &phases {
        let (a, b) = phase.mean_map();
        psi = &a * psi + b;
        phi = a * phi;
    }
    let radius = spectral_radius(&phi);
    if !(radius < 1.0) {
        if n == 2 * d && is_random_walk(&phi, d) {
            return Err(Error::Invalid {
                what: "sampler".into(),
                why: "no stationary law: over one trajectory the position moves by theta' = theta + (a term that does not depend on theta) - no gradient ever reaches the position, the draws are a random walk (SGHMC with --refresh-every 1 and --order position-first: theta' = theta + v with v freshly drawn; use L >= 2 or velocity-first)".into(),
            });
        }
        return Err(Error::NotContracting {
            spectral_radius: radius,
        });
    }
    let identity = DMatrix::<f64>::identity(n, n);
    let mean = (&identity - &phi)
        .lu()
        .solve(&psi)
        .ok_or(Error::NotContracting {
            spectral_radius: radius,
        })?;
    // Second moments: 𝒯 and the covariance q one cycle adds, along the stationary phase means.
    let mut operator = DMatrix::<f64>::identity(n * n, n * n);
    let mut added = DVector::<f64>::zeros(n * n);
    let mut phase_mean = mean.clone();
    for phase in &phases {
        let t = phase.second_moment();
        let q = phase.noise_at(&phase_mean);
        added = &t * added + DVector::from_column_slice(q.as_slice());
        operator = t * operator;
        let (a, b) = phase.mean_map();
        phase_mean = a * phase_mean + b;
    }
    if !(spectral_radius(&operator) < 1.0) {
        return Err(Error::MeanSquareUnstable { limit: None });
    }
    let system = DMatrix::<f64>::identity(n * n, n * n) - &operator;
    let solution = system
        .clone()
        .lu()
        .solve(&added)
        .ok_or(Error::MeanSquareUnstable { limit: None })?;
    let residual = (&system * &solution - &added).amax();
    let scale = solution.amax().max(added.amax()).max(f64::MIN_POSITIVE);
    if !(residual / scale <= RESIDUAL_TOLERANCE) {
        return Err(Error::IllConditioned {
            relative_residual: residual / scale,
        });
    }
    let covariance = symmetrize(&DMatrix::from_column_slice(n, n, solution.as_slice()));
    Ok(StationaryLaw {
        mean,
        covariance,
        mean_matrix: phi,
    })
}

/// True when the θ rows of the cycle's mean map are exactly [I, 0]: θ' = θ + (a term that does
/// not depend on the state).
fn is_random_walk(phi: &DMatrix<f64>, d: usize) -> bool {
    let theta_rows = phi.rows(0, d);
    theta_rows.columns(0, d) == DMatrix::<f64>::identity(d, d)
        && theta_rows.columns(d, d).iter().all(|&x| x == 0.0)
}

/// The phases of a cycle on a model.
fn phases<M: QuadraticModel + ?Sized>(
    model: &M,
    config: &SamplerConfig,
    cycle: &Cycle,
) -> Result<Vec<Phase>> {
    let data_size = model.data_size();
    let gamma = config
        .batching
        .finite_population_factor(data_size, config.batch_size)
        .expect("reshuffled batches are refused above");
    let weight = gamma / (config.batch_size as f64 * data_size as f64);
    let mut steps = Vec::with_capacity(cycle.steps.len());
    for step in &cycle.steps {
        step.validate(data_size)?;
        let map = preconditioned_affine_map(step, model, None)?;
        let map = if cycle.position_first {
            position_first(&map, model.dimension(), config)?
        } else {
            map
        };
        steps.push(map);
    }
    let n = steps[0].state_dimension();
    if n > MAX_CYCLE_STATE_DIMENSION {
        return Err(Error::NoClosedForm {
            what: format!(
                "the law of cycles of steps for a chain state of dimension {n} (the exact cycle solver handles up to {MAX_CYCLE_STATE_DIMENSION})"
            ),
        });
    }
    let mut phases = Vec::with_capacity(steps.len() + 1);
    if let Some(variance) = cycle.momentum_refresh {
        let d = n / 2;
        let mut keep = DMatrix::zeros(n, n);
        keep.view_mut((0, 0), (d, d)).fill_with_identity();
        let mut noise = DMatrix::zeros(n, n);
        noise
            .view_mut((d, d), (d, d))
            .copy_from(&(DMatrix::<f64>::identity(d, d) * variance));
        phases.push(Phase::Mixture(vec![Component {
            probability: 1.0,
            matrix: keep,
            offset: DVector::zeros(n),
            noise,
        }]));
    }
    if cycle.anchor_reset {
        // (θ, θ̃) ↦ (θ, θ): the anchor block takes the current position.
        let d = n / 2;
        let mut copy = DMatrix::zeros(n, n);
        copy.view_mut((0, 0), (d, d)).fill_with_identity();
        copy.view_mut((d, 0), (d, d)).fill_with_identity();
        phases.push(Phase::Mixture(vec![Component {
            probability: 1.0,
            matrix: copy,
            offset: DVector::zeros(n),
            noise: DMatrix::zeros(n, n),
        }]));
    }
    if !cycle.one_batch {
        phases.extend(
            steps
                .into_iter()
                .map(|map| Phase::Minibatch { map, weight }),
        );
        return Ok(phases);
    }
    let shared: Option<Vec<DMatrix<f64>>> = steps
        .iter()
        .map(|map| match map.example_matrices() {
            ExampleMatrices::Shared(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    phases.push(match shared {
        Some(matrices) => one_batch_shared(&steps, &matrices, config)?,
        None => one_batch_enumerated(&steps, config)?,
    });
    Ok(phases)
}

/// One step in position-first order from its velocity-first map (state (θ, v)): the velocity
/// rows are kept, the position rows become θ' = θ + v. M' = E + S M, c' = S c, Q' = S Q S with
/// S = diag(0, I), E = [[I, I], [0, 0]].
fn position_first(
    map: &AffineRandomMap,
    d: usize,
    config: &SamplerConfig,
) -> Result<AffineRandomMap> {
    let n = 2 * d;
    let mut select = DMatrix::zeros(n, n);
    select.view_mut((d, d), (d, d)).fill_with_identity();
    let mut shift = DMatrix::zeros(n, n);
    shift.view_mut((0, 0), (d, d)).fill_with_identity();
    shift.view_mut((0, d), (d, d)).fill_with_identity();
    let matrices = match map.example_matrices() {
        ExampleMatrices::Shared(m) => ExampleMatrices::Shared(&shift + &select * m),
        ExampleMatrices::PerExample(list) => {
            ExampleMatrices::PerExample(list.iter().map(|m| &shift + &select * m).collect())
        }
        ExampleMatrices::RankOne {
            common,
            left,
            right,
        } => ExampleMatrices::RankOne {
            common: &shift + &select * common,
            left: left.iter().map(|u| &select * u).collect(),
            right: right.clone(),
        },
    };
    AffineRandomMap::new(
        matrices,
        map.example_offsets().iter().map(|c| &select * c).collect(),
        &select * map.noise_covariance() * &select,
        config.batch_size,
        config.batching,
    )
}

/// A cycle on one minibatch when every step has one shared matrix: the composed map is a batch
/// average of composed per-example offsets (see the module documentation).
fn one_batch_shared(
    steps: &[AffineRandomMap],
    matrices: &[DMatrix<f64>],
    config: &SamplerConfig,
) -> Result<Phase> {
    let n = matrices[0].nrows();
    let data_size = steps[0].data_size();
    let mut product = DMatrix::<f64>::identity(n, n);
    let mut offsets = vec![DVector::<f64>::zeros(n); data_size];
    let mut noise = DMatrix::<f64>::zeros(n, n);
    for (map, m) in steps.iter().zip(matrices) {
        product = m * product;
        for (b, c) in offsets.iter_mut().zip(map.example_offsets()) {
            *b = m * &*b + c;
        }
        noise = m * noise * m.transpose() + map.noise_covariance();
    }
    let weight = config
        .batching
        .finite_population_factor(data_size, config.batch_size)
        .expect("reshuffled batches are refused above")
        / (config.batch_size as f64 * data_size as f64);
    Ok(Phase::Minibatch {
        map: AffineRandomMap::new(
            ExampleMatrices::Shared(product),
            offsets,
            symmetrize(&noise),
            config.batch_size,
            config.batching,
        )?,
        weight,
    })
}

/// A cycle on one minibatch with per-example matrices: every batch S with its probability, the
/// cycle's composed map at S.
fn one_batch_enumerated(steps: &[AffineRandomMap], config: &SamplerConfig) -> Result<Phase> {
    let data_size = steps[0].data_size();
    let batches = enumerate_batches(data_size, config.batch_size, config.batching)?;
    let per_example: Vec<Vec<DMatrix<f64>>> = steps
        .iter()
        .map(|map| {
            (0..data_size)
                .map(|i| example_matrix(map.example_matrices(), i))
                .collect()
        })
        .collect();
    let n = steps[0].state_dimension();
    let components = batches
        .into_iter()
        .map(|(batch, probability)| {
            let scale = 1.0 / batch.len() as f64;
            let mut matrix = DMatrix::<f64>::identity(n, n);
            let mut offset = DVector::<f64>::zeros(n);
            let mut noise = DMatrix::<f64>::zeros(n, n);
            for (map, examples) in steps.iter().zip(&per_example) {
                let mut m = DMatrix::<f64>::zeros(n, n);
                let mut c = DVector::<f64>::zeros(n);
                for &i in &batch {
                    m += &examples[i] * scale;
                    c += &map.example_offsets()[i] * scale;
                }
                matrix = &m * matrix;
                offset = &m * offset + c;
                noise = &m * noise * m.transpose() + map.noise_covariance();
            }
            Component {
                probability,
                matrix,
                offset,
                noise: symmetrize(&noise),
            }
        })
        .collect();
    Ok(Phase::Mixture(components))
}

/// Every minibatch of size B from N examples with its probability: the N^B ordered index tuples
/// with replacement, the C(N, B) subsets without. Refused beyond [`MAX_ENUMERATED_BATCHES`].
fn enumerate_batches(
    data_size: usize,
    batch_size: usize,
    batching: Batching,
) -> Result<Vec<(Vec<usize>, f64)>> {
    let too_many = || {
        Error::NoClosedForm {
        what: format!(
            "one minibatch per trajectory with state-dependent minibatch noise at N = {data_size}, B = {batch_size}: the exact law enumerates every batch and there are more than {MAX_ENUMERATED_BATCHES} (exact for the Gaussian-mean model at any N, or with fresh batches)"
        ),
    }
    };
    let mut count: usize = 1;
    for k in 0..batch_size {
        count = match batching {
            Batching::WithReplacement => count.checked_mul(data_size),
            _ => count.checked_mul(data_size - k).map(|c| c / (k + 1)),
        }
        .filter(|&c| c <= MAX_ENUMERATED_BATCHES)
        .ok_or_else(too_many)?;
    }
    let probability = 1.0 / count as f64;
    let mut batches = Vec::with_capacity(count);
    let mut batch: Vec<usize> = match batching {
        Batching::WithReplacement => vec![0; batch_size],
        _ => (0..batch_size).collect(),
    };
    loop {
        batches.push((batch.clone(), probability));
        // Next tuple (with replacement: base-N counter) or next combination (increasing indices).
        let mut k = batch_size;
        loop {
            if k == 0 {
                return Ok(batches);
            }
            k -= 1;
            let limit = match batching {
                Batching::WithReplacement => data_size - 1,
                _ => data_size - batch_size + k,
            };
            if batch[k] < limit {
                batch[k] += 1;
                for j in k + 1..batch_size {
                    batch[j] = match batching {
                        Batching::WithReplacement => 0,
                        _ => batch[j - 1] + 1,
                    };
                }
                break;
            }
        }
    }
}
