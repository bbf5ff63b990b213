//! Closed forms: exact posteriors, exact discrete-time stationary laws (one engine for affine
//! random maps), their continuous-time approximations, and the papers' tuning results.
//!
//! `theory/` never imports `samplers/`: each sampler's affine map is written here from the
//! paper's update equation, from the shared [`crate::config::SamplerConfig`].

mod affine_map;
mod averaging;
pub mod bbp;
pub mod deep_linear;
mod gaussian;
pub mod high_dimensional_sgd;
pub mod kernels;
mod lyapunov;
pub mod mean_field;
pub mod nonequilibrium;
mod posterior;
mod preconditioners;
mod sampler_maps;
pub mod sgfs_error;
mod summary;
mod tuning;
pub mod variational_em;

pub use affine_map::{
    spectral_radius, AffineRandomMap, ExampleMatrices, StationaryLaw, MAX_STATE_DIMENSION,
    RESIDUAL_TOLERANCE,
};
pub use averaging::{window_mean_covariance, MAX_WINDOW};
pub use gaussian::{kl_divergence, GaussianLaw};
pub use lyapunov::{solve_continuous_lyapunov, solve_discrete_lyapunov};
pub use posterior::{exact_posterior, MAX_POSTERIOR_DIMENSION};
pub use preconditioners::{
    fisher_information, optimal_preconditioner, preconditioner_matrix, resolve_preconditioner,
};
pub use sampler_maps::{
    affine_map, gradient_step_scales, largest_curvature, momentum_continuous_covariance,
    momentum_retention, stability_limit, state_dimension,
};
pub use summary::TheoryReport;
pub use tuning::{gradient_noise_covariance, optimal_learning_rate, smith_temperature};

mod reshuffle;
mod reshuffle_enumeration;
pub use reshuffle_enumeration::MAX_ENUMERATED_DATA_SIZE;
mod adaptive;
pub use adaptive::{
    online_fisher_average, online_fisher_reference, rmsprop_reference_preconditioner,
    rmsprop_squared_gradient_average,
};
pub use reshuffle::{reshuffled_law, DrawAt};
