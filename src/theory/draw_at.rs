//! Which states of a reshuffled chain are its draws (shared by the closed-form reshuffled law and
//! its enumeration for state-dependent noise).

use serde::{Deserialize, Serialize};

/// Which states of a reshuffled chain are kept as draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DrawAt {
    /// Every step (the phase-averaged law).
    #[default]
    EveryStep,
    /// Only at epoch ends (after every ⌊N/B⌋ steps).
    EpochEnd,
}
