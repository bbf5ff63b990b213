//! SGHMC in the forms the libraries ship: momentum refresh, position-first order, one minibatch
//! per trajectory (Chen, Fox & Guestrin 2014, eq. 15 and Algorithm 2; the options as blackjax 1.x
//! and SGMCMCJax 0.2 ship them).

use super::Sampler;
use crate::batching::minibatch_gradient;
use crate::config::SghmcOrder;
use crate::models::Model;

/// SGHMC with friction α, noise estimate β̂, learning rate ε, and the three library options.
///
/// # Update (Chen, Fox & Guestrin 2014, eq. 15 and Algorithm 2)
/// * Refresh (every L steps, before the first step of a trajectory): v ← √ε ζ, ζ ~ N(0, I),
///   i.e. v = ε M⁻¹ r with r ~ N(0, M) re-drawn as in Algorithm 2 (η = ε² M⁻¹ = ε here).
/// * Velocity first (eq. 15): v ← (1 − α) v − ε ĝ(θ) + √(2(α − β̂)ε) ξ;  θ ← θ + v.
/// * Position first (blackjax 1.x, SGMCMCJax 0.2): θ ← θ + v (the old v);
///   v ← (1 − α) v − ε ĝ(θ_old) + √(2(α − β̂)ε) ξ.
///
/// ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ); with one batch per trajectory, S is the batch the
/// chain draws for the trajectory's first step, reused for its L steps. The draws are the
/// positions at the trajectory ends (every L-th state). One step consumes 2d normals: ξ, then
/// ζ (used at a refresh only).
///
/// ```
/// use sgbayes::config::SghmcOrder;
/// use sgbayes::samplers::{Sampler, SghmcGeneral};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sampler = SghmcGeneral::new(0.04, 0.5, 0.0, Some(1), SghmcOrder::PositionFirst, false, 1, 1);
/// let mut state = vec![1.0, 7.0];
/// sampler.step(&model, &mut state, &[0], &[0.5, 2.0]);
/// // refresh v = 0.2·2 = 0.4; θ = 1 + 0.4; v = 0.5·0.4 − 0.04·2 + √(2·0.5·0.04)·0.5 = 0.22
/// assert!((state[0] - 1.4).abs() < 1e-12 && (state[1] - 0.22).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct SghmcGeneral {
    retention: f64,
    step_size: f64,
    noise_scale: f64,
    refresh_scale: f64,
    refresh_every: Option<usize>,
    order: SghmcOrder,
    batch_per_trajectory: bool,
    /// Steps taken in the current trajectory (0: the next step starts one).
    position_in_trajectory: usize,
    /// The trajectory's minibatch (capacity B, filled at the first step of a trajectory).
    trajectory_batch: Vec<usize>,
    gradient: Vec<f64>,
}

impl SghmcGeneral {
    /// SGHMC with learning rate ε, friction α, noise estimate β̂ (0 ≤ β̂ ≤ α, checked by
    /// [`crate::config::SamplerKind::validate`]), refresh period L, update order and batch reuse,
    /// for batches of size B on a d-dimensional model.
    #[allow(clippy::too_many_arguments)] // the sampler's own parameters, as in the configuration
    pub fn new(
        step_size: f64,
        friction: f64,
        noise_estimate: f64,
        refresh_every: Option<usize>,
        order: SghmcOrder,
        batch_per_trajectory: bool,
        batch_size: usize,
        dimension: usize,
    ) -> Self {
        Self {
            retention: 1.0 - friction,
            step_size,
            noise_scale: (2.0 * (friction - noise_estimate) * step_size)
                .max(0.0)
                .sqrt(),
            refresh_scale: step_size.sqrt(),
            refresh_every,
            order,
            batch_per_trajectory,
            position_in_trajectory: 0,
            trajectory_batch: Vec::with_capacity(batch_size),
            gradient: vec![0.0; dimension],
        }
    }
}

impl Sampler for SghmcGeneral {
    fn state_dimension(&self) -> usize {
        2 * self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        2 * self.gradient.len()
    }
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        let mut state = vec![0.0; 2 * theta.len()];
        state[..theta.len()].copy_from_slice(theta);
        state
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = self.gradient.len();
        let (theta, velocity) = state.split_at_mut(d);
        let (xi, zeta) = noise.split_at(d);
        let starts_trajectory = self.position_in_trajectory == 0;
        if let Some(length) = self.refresh_every {
            if starts_trajectory {
                for (v, z) in velocity.iter_mut().zip(zeta) {
                    *v = self.refresh_scale * z;
                }
            }
            self.position_in_trajectory = (self.position_in_trajectory + 1) % length;
        }
        let batch = if self.batch_per_trajectory {
            if starts_trajectory {
                self.trajectory_batch.clear();
                self.trajectory_batch.extend_from_slice(batch);
            }
            &self.trajectory_batch[..]
        } else {
            batch
        };
        minibatch_gradient(model, theta, batch, &mut self.gradient);
        for k in 0..d {
            let v = self.retention * velocity[k] - self.step_size * self.gradient[k]
                + self.noise_scale * xi[k];
            match self.order {
                SghmcOrder::VelocityFirst => theta[k] += v,
                SghmcOrder::PositionFirst => theta[k] += velocity[k],
            }
            velocity[k] = v;
        }
    }
}
