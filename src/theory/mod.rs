//! Closed forms: exact posteriors, exact discrete-time stationary laws (one engine for affine
//! random maps), their continuous-time approximations, and the papers' tuning results.
//!
//! `theory/` never imports `samplers/`: each sampler's step is written here as an affine random
//! map from the paper's update equation (one law per sampler in `laws/`), from the shared
//! [`crate::config::SamplerConfig`]. The modules are layered without cycles: the laws and the
//! matrix formulas (`preconditioners.rs`) at the bottom, then the map builder (`step_map.rs`),
//! the adaptive samplers' fixed points (`adaptive.rs`), the preconditioner rules
//! (`preconditioner_rules.rs`), the public maps (`sampler_maps.rs`) and the report (`summary.rs`).

mod adaptive;
mod affine_map;
mod averaging;
pub mod bbp;
mod cycle_map;
pub mod deep_linear;
mod draw_at;
mod gaussian;
pub mod high_dimensional_sgd;
pub mod high_dimensional_sgd_relu;
pub mod kernels;
mod laws;
mod lyapunov;
pub mod mean_field;
pub mod nonequilibrium;
mod posterior;
mod preconditioner_rules;
mod preconditioners;
mod reshuffle;
mod reshuffle_commuting;
mod reshuffle_enumeration;
pub mod reshuffling_bias;
mod sampler_maps;
mod second_moment_iterative;
pub mod sgd_linearisation;
pub mod sgfs_error;
mod step_map;
mod summary;
pub mod teacher_student_law;
mod tuning;
pub mod variational_em;

pub use affine_map::{
    spectral_radius, AffineRandomMap, ExampleMatrices, StationaryLaw, MAX_DENSE_STATE_DIMENSION,
    MAX_STATE_DIMENSION, RESIDUAL_TOLERANCE,
};
pub use averaging::{window_mean_covariance, MAX_WINDOW};
pub use cycle_map::{MAX_CYCLE_STATE_DIMENSION, MAX_ENUMERATED_BATCHES};
pub use gaussian::{kl_divergence, GaussianLaw};
pub use lyapunov::{solve_continuous_lyapunov, solve_discrete_lyapunov};
pub use posterior::{exact_posterior, MAX_POSTERIOR_DIMENSION};
pub use preconditioner_rules::{preconditioner_matrix, resolve_preconditioner};
pub use preconditioners::{fisher_information, optimal_preconditioner};
pub use sampler_maps::{
    affine_map, gradient_step_scales, largest_curvature, mean_square_stability_limit,
    momentum_continuous_covariance, momentum_retention, reference_law_only, stability_limit,
    state_dimension, with_usable_limit, MAX_LIMIT_SEARCH_STATE_DIMENSION,
};
pub use second_moment_iterative::{IterativeCertificate, ITERATION_TOLERANCE, MAX_SWEEPS};
pub use summary::TheoryReport;
pub use tuning::{gradient_noise_covariance, optimal_learning_rate, smith_temperature};

pub use adaptive::{
    online_fisher_average, online_fisher_reference, rmsprop_full_estimate_squared_average,
    rmsprop_reference_preconditioner, rmsprop_squared_gradient_average,
};
pub use draw_at::DrawAt;
pub use reshuffle::reshuffled_law;
pub use reshuffle_commuting::{commuting_reshuffled_law, COMMUTATION_TOLERANCE};
pub use reshuffle_enumeration::MAX_ENUMERATED_DATA_SIZE;
pub mod golden_section;
pub mod linearised;
pub mod scalar_gaussian;
