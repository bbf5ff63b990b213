//! Online SGD for a single-layer network f(θ·x) (a single-index teacher f(θ*·x) with the same
//! activation) under the square loss, one fresh Gaussian example per step.
//!
//! # Update
//! With teacher direction θ* (|θ*| = 1), input x ~ N(0, I_N), label y = f(θ*·x) + ε,
//! ε ~ N(0, σ²), and loss L(θ; x, y) = ½ (y − f(θ·x))², one online SGD step of size δ is
//!
//! ```text
//! θ ← θ − δ ∇L(θ; x, y) = θ + δ (y − f(θ·x)) f'(θ·x) x
//! ```
//!
//! with f(z) = z ([`Activation::Linear`], the default) or f(z) = max(0, z), f'(z) = 1{z > 0}
//! ([`Activation::Relu`]; the subgradient 0 at z = 0).
//!
//! (online SGD with a fresh sample each step, as in Ben Arous, Gheissari & Jagannath 2022, here
//! for Rangriz 2025's single-layer network f(θ·x)). The summary statistics are the overlap
//! m = θ·θ* and the orthogonal squared norm r⊥² = |θ − mθ*|² = |θ|² − m².

use rand::Rng;
use rand_distr::StandardNormal;

use crate::error::{Error, Result};

/// The summary statistics u_N(θ) = (m, r⊥²) of Rangriz 2025.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SummaryStatistics {
    /// The overlap m = θ·θ* with the teacher direction.
    pub overlap: f64,
    /// The orthogonal squared norm r⊥² = |θ − mθ*|² = |θ|² − m².
    pub orthogonal_squared_norm: f64,
}

/// The activation f of teacher and student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Activation {
    /// f(z) = z.
    #[default]
    Linear,
    /// f(z) = max(0, z), with f'(z) = 1{z > 0}.
    Relu,
}

/// Online SGD on y = f(θ*·x) + ε with the student f(θ·x) and the square loss (f linear unless set
/// by [`OnlineSingleIndex::with_activation`]): the simulator owns the teacher, the label-noise
/// level and one scratch input vector, so a step allocates nothing.
///
/// ```
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use sgbayes::online::OnlineSingleIndex;
/// let n = 50;
/// let mut teacher = vec![0.0; n];
/// teacher[0] = 1.0;
/// let mut sgd = OnlineSingleIndex::new(teacher, 0.5).unwrap();
/// let mut theta = vec![0.0; n];
/// let mut rng = ChaCha8Rng::seed_from_u64(7);
/// let step_size = 1.0 / n as f64; // δ = c/N with c = 1
/// for _ in 0..20 * n {
///     sgd.step(&mut theta, step_size, &mut rng);
/// }
/// let u = sgd.summary(&theta);
/// assert!((u.overlap - 1.0).abs() < 0.5); // m → 1 at rate c in time t = k/N
/// ```
#[derive(Debug, Clone)]
pub struct OnlineSingleIndex {
    teacher: Vec<f64>,
    noise_sd: f64,
    activation: Activation,
    input: Vec<f64>,
}

impl OnlineSingleIndex {
    /// A simulator for the teacher direction `teacher` (unit norm within 1e-10, finite) and label
    /// noise standard deviation `noise_sd` ≥ 0.
    pub fn new(teacher: Vec<f64>, noise_sd: f64) -> Result<Self> {
        if teacher.is_empty() {
            return Err(Error::Invalid {
                what: "teacher".into(),
                why: "zero-dimensional teacher".into(),
            });
        }
        crate::error::ensure_finite("teacher", &teacher)?;
        let norm_squared: f64 = teacher.iter().map(|t| t * t).sum();
        if (norm_squared - 1.0).abs() > 1e-10 {
            return Err(Error::Invalid {
                what: "teacher".into(),
                why: format!("must have unit norm, got |θ*|² = {norm_squared}"),
            });
        }
        if !(noise_sd.is_finite() && noise_sd >= 0.0) {
            return Err(Error::Invalid {
                what: "noise_sd".into(),
                why: format!("must be finite and >= 0, got {noise_sd}"),
            });
        }
        let input = vec![0.0; teacher.len()];
        Ok(Self {
            teacher,
            noise_sd,
            activation: Activation::Linear,
            input,
        })
    }

    /// The same simulator with activation `activation` for teacher and student.
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// The dimension N.
    pub fn dimension(&self) -> usize {
        self.teacher.len()
    }

    /// One online SGD step θ ← θ + δ (y − f(θ·x)) f'(θ·x) x on a fresh example: draws x₁, …, x_N
    /// and then the label noise ε (in that order) from `rng`.
    ///
    /// # Update
    /// θ ← θ + δ (f(θ*·x) + σ ε₀ − f(θ·x)) f'(θ·x) x, with x ~ N(0, I_N), ε₀ ~ N(0, 1) (see the
    /// module docs); for the linear activation the residual is accumulated as (θ* − θ)·x.
    pub fn step<R: Rng + ?Sized>(&mut self, theta: &mut [f64], step_size: f64, rng: &mut R) {
        debug_assert_eq!(theta.len(), self.teacher.len());
        let scale = match self.activation {
            Activation::Linear => {
                let mut residual = 0.0;
                for ((x, t), th) in self.input.iter_mut().zip(&self.teacher).zip(theta.iter()) {
                    *x = rng.sample(StandardNormal);
                    residual += (t - th) * *x;
                }
                let noise: f64 = rng.sample(StandardNormal);
                step_size * (residual + self.noise_sd * noise)
            }
            Activation::Relu => {
                let (mut teacher_field, mut student_field) = (0.0, 0.0);
                for ((x, t), th) in self.input.iter_mut().zip(&self.teacher).zip(theta.iter()) {
                    *x = rng.sample(StandardNormal);
                    teacher_field += t * *x;
                    student_field += th * *x;
                }
                let noise: f64 = rng.sample(StandardNormal);
                if student_field > 0.0 {
                    step_size * (teacher_field.max(0.0) + self.noise_sd * noise - student_field)
                } else {
                    0.0
                }
            }
        };
        for (th, x) in theta.iter_mut().zip(&self.input) {
            *th += scale * x;
        }
    }

    /// The summary statistics (m, r⊥²) of θ.
    pub fn summary(&self, theta: &[f64]) -> SummaryStatistics {
        let (mut overlap, mut norm_squared) = (0.0, 0.0);
        for (th, t) in theta.iter().zip(&self.teacher) {
            overlap += th * t;
            norm_squared += th * th;
        }
        SummaryStatistics {
            overlap,
            orthogonal_squared_norm: norm_squared - overlap * overlap,
        }
    }

    /// Runs `steps_per_record · records.len()` steps of size `step_size` and writes the summary
    /// statistics after every `steps_per_record` steps into `records` (no allocation).
    pub fn run<R: Rng + ?Sized>(
        &mut self,
        theta: &mut [f64],
        step_size: f64,
        steps_per_record: usize,
        records: &mut [SummaryStatistics],
        rng: &mut R,
    ) {
        for record in records.iter_mut() {
            for _ in 0..steps_per_record {
                self.step(theta, step_size, rng);
            }
            *record = self.summary(theta);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn rejects_bad_input() {
        assert!(OnlineSingleIndex::new(vec![], 1.0).is_err());
        assert!(OnlineSingleIndex::new(vec![0.5, 0.5], 1.0).is_err());
        assert!(OnlineSingleIndex::new(vec![1.0, 0.0], -1.0).is_err());
        assert!(OnlineSingleIndex::new(vec![1.0, 0.0], f64::NAN).is_err());
        assert!(OnlineSingleIndex::new(vec![f64::NAN, 0.0], 1.0).is_err());
    }

    #[test]
    fn step_matches_the_update_by_hand() {
        let mut sgd = OnlineSingleIndex::new(vec![0.6, 0.8], 0.3).unwrap();
        let mut theta = vec![0.2, -0.1];
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut replay = rng.clone();
        sgd.step(&mut theta, 0.1, &mut rng);
        let x: [f64; 2] = [replay.sample(StandardNormal), replay.sample(StandardNormal)];
        let eps: f64 = replay.sample(StandardNormal);
        let residual = 0.6 * x[0] + 0.8 * x[1] + 0.3 * eps - (0.2 * x[0] - 0.1 * x[1]);
        assert!((theta[0] - (0.2 + 0.1 * residual * x[0])).abs() < 1e-15);
        assert!((theta[1] - (-0.1 + 0.1 * residual * x[1])).abs() < 1e-15);
    }

    #[test]
    fn relu_step_matches_the_update_by_hand() {
        let mut sgd = OnlineSingleIndex::new(vec![0.6, 0.8], 0.3)
            .unwrap()
            .with_activation(Activation::Relu);
        for start in [[0.2, -0.1], [-0.9, -0.9]] {
            let mut theta = start.to_vec();
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let mut replay = rng.clone();
            sgd.step(&mut theta, 0.1, &mut rng);
            let x: [f64; 2] = [replay.sample(StandardNormal), replay.sample(StandardNormal)];
            let eps: f64 = replay.sample(StandardNormal);
            let w = start[0] * x[0] + start[1] * x[1];
            let y = (0.6 * x[0] + 0.8 * x[1]).max(0.0) + 0.3 * eps;
            let b = if w > 0.0 { y - w } else { 0.0 };
            assert!((theta[0] - (start[0] + 0.1 * b * x[0])).abs() < 1e-15);
            assert!((theta[1] - (start[1] + 0.1 * b * x[1])).abs() < 1e-15);
        }
    }

    #[test]
    fn summary_statistics() {
        let sgd = OnlineSingleIndex::new(vec![0.6, 0.8], 0.0).unwrap();
        let u = sgd.summary(&[1.0, 1.0]);
        assert!((u.overlap - 1.4).abs() < 1e-15);
        assert!((u.orthogonal_squared_norm - (2.0 - 1.96)).abs() < 1e-14);
    }
}
