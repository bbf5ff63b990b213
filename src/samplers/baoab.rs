//! The BAOAB splitting of underdamped Langevin dynamics with stochastic gradients (Leimkuhler &
//! Matthews 2013), in the one-gradient-per-step form SGMCMCJax 0.2 runs.

use super::Sampler;
use crate::batching::minibatch_gradient;
use crate::models::Model;

/// BAOAB with friction γ and time step h = √ε.
///
/// # Update (Leimkuhler & Matthews 2013, §2 (BAOAB); unit mass and temperature)
/// The paper's step is B A O A B: v ← v − (h/2)∇U(θ); θ ← θ + (h/2) v;
/// v ← c v + √(1 − c²) ξ with c = e^(−γh); θ ← θ + (h/2) v; v ← v − (h/2)∇U(θ). With stochastic
/// gradients SGMCMCJax (`build_baoab_kernel`, 0.2) evaluates one minibatch gradient per step, at
/// the position the step ends at, and uses it for that step's closing half-kick and the next
/// step's opening half-kick. So the positions are a Markov chain in (θ, u), u the velocity
/// before the closing half-kick, with the step
/// u ← u − h ĝ(θ) (both half-kicks, one minibatch S);  θ ← θ + (h/2) u;
/// u ← c u + √(1 − c²) ξ;  θ ← θ + (h/2) u,
/// ĝ(θ) = ∇R(θ) + (N/B) Σ_{i∈S} ∇ℓ_i(θ). The chain starts at u = 0 (SGMCMCJax starts at v = 0,
/// which is u = (h/2) ĝ(θ₀) before its first step: only the first step differs).
/// ε = h² is the SGLD-convention step size: the mean iteration is stable iff ε λ_max(P) < 4 (as
/// SGLD's), and at γ → ∞ the positions follow Leimkuhler & Matthews' non-Markovian scheme
/// θ ← θ − (ε/2) ĝ(θ) + (√ε/2)(ξ_k + ξ_{k+1}).
///
/// ```
/// use sgbayes::samplers::{Baoab, Sampler};
/// use sgbayes::models::LinearRegression;
/// let model = LinearRegression::new(vec![vec![1.0]], vec![0.0], 1.0, 1.0).unwrap();
/// let mut sampler = Baoab::new(0.04, 1.0, 1);
/// let mut state = vec![1.0, 0.0];
/// sampler.step(&model, &mut state, &[0], &[0.5]);
/// // h = 0.2, c = e^(−0.2): u = −0.2·2 = −0.4; θ = 1 − 0.04; u = −0.4c + √(1 − c²)·0.5; θ += 0.1u
/// let c = (-0.2f64).exp();
/// let u = -0.4 * c + (1.0 - c * c).sqrt() * 0.5;
/// assert!((state[0] - (0.96 + 0.1 * u)).abs() < 1e-12 && (state[1] - u).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Baoab {
    time_step: f64,
    retention: f64,
    noise_scale: f64,
    gradient: Vec<f64>,
}

impl Baoab {
    /// BAOAB with step size ε = h² and friction γ > 0 (checked by
    /// [`crate::config::SamplerKind::validate`]) on a d-dimensional model.
    pub fn new(step_size: f64, friction: f64, dimension: usize) -> Self {
        let time_step = step_size.sqrt();
        let retention = (-friction * time_step).exp();
        Self {
            time_step,
            retention,
            noise_scale: (1.0 - retention * retention).sqrt(),
            gradient: vec![0.0; dimension],
        }
    }

    /// The same sampler at temperature T > 0 (checked by
    /// [`crate::config::SamplerKind::validate`]): the refresh becomes u ← c u + √(T(1 − c²)) ξ,
    /// whose invariant velocity law is N(0, T I), so the positions target the tempered posterior
    /// ∝ posterior^(1/T) (T = 1 is unchanged). SGMCMCJax's `baoab(dt, gamma, tau)` multiplies
    /// the noise by `tau` itself: its `tau` is √T.
    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.noise_scale *= temperature.sqrt();
        self
    }
}

impl Sampler for Baoab {
    fn state_dimension(&self) -> usize {
        2 * self.gradient.len()
    }
    fn noise_dimension(&self) -> usize {
        self.gradient.len()
    }
    fn initial_state(&self, theta: &[f64]) -> Vec<f64> {
        let mut state = vec![0.0; 2 * theta.len()];
        state[..theta.len()].copy_from_slice(theta);
        state
    }
    fn step(&mut self, model: &dyn Model, state: &mut [f64], batch: &[usize], noise: &[f64]) {
        let d = self.gradient.len();
        let (theta, velocity) = state.split_at_mut(d);
        minibatch_gradient(model, theta, batch, &mut self.gradient);
        let half = 0.5 * self.time_step;
        for k in 0..d {
            let kicked = velocity[k] - self.time_step * self.gradient[k];
            let refreshed = self.retention * kicked + self.noise_scale * noise[k];
            theta[k] += half * kicked;
            theta[k] += half * refreshed;
            velocity[k] = refreshed;
        }
    }
}
