//! The per-mode stationary variance with the mode's multiplicative gradient noise kept exactly:
//! the linearised one-mode law and its full-matrix version, beside the simulated variance.

use super::{Estimate, Provenance, Row};
use crate::error::Result;
use crate::models::DeepLinearNetwork;
use crate::theory::deep_linear::{self as theory};

/// Two rows for one mode of one stationary case: the exact linearised per-mode law
/// kγσ²/(B(2 − k − kγκ/B)) ([`theory::ModeSde::linearised_stationary_variance`], κ the data's
/// excess fourth moment along the mode) and the full-matrix variance
/// ([`theory::full_matrix_variance`]), each against the simulated variance.
pub(super) fn rows(
    label: &str,
    model: &DeepLinearNetwork,
    mode: &theory::ModeTheory,
    learning_rate: f64,
    batch_factor: f64,
    simulated: Estimate,
) -> Result<Vec<Row>> {
    let kappa = theory::input_fourth_moment_excess(model, mode.mode);
    let per_mode = mode.dynamics.linearised_stationary_variance(kappa)?;
    let full = theory::full_matrix_variance(model, learning_rate, batch_factor, mode.mode)?;
    Ok(vec![
        Row::new(
            format!("{label}: per-mode map, multiplicative noise kγσ²/(B(2−k−kγκ/B))"),
            Provenance::Derived,
        )
        .closed_form(per_mode)
        .simulation(simulated)
        .known_difference("the off-mode entries of the full matrices add noise (next row)"),
        Row::new(
            format!("{label}: full matrices, exact own-mode noise + first-order off-mode"),
            Provenance::Derived,
        )
        .closed_form(full)
        .simulation(simulated),
    ])
}
