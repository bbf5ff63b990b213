//! The grid of h·a and the record header shared by the `adhikari2023` and `shaw-whalley2025`
//! reports on the 1-d Gaussian model problem: h·a = 0.001 … 0.3, log-spaced, the points
//! 0.001·300^(k/(K − 1)), k = 0..K − 1.

use serde::Serialize;

use super::numbers::{sig6, sig6_vec};
use super::Config;

/// What both records start with: the configuration, the posterior precision a and the grid of h·a
/// (serialised in place, as the records' first fields).
#[derive(Debug, Clone, Serialize)]
pub struct StepGrid {
    /// Quick configuration.
    pub quick: bool,
    /// Master seed.
    pub seed: u64,
    /// Posterior precision a.
    #[serde(serialize_with = "sig6")]
    pub posterior_precision: f64,
    /// The grid of h·a.
    #[serde(serialize_with = "sig6_vec")]
    pub ha: Vec<f64>,
}

impl StepGrid {
    /// The header of a run of `cfg` with posterior precision `a` on a grid of `points` (quick,
    /// full) points.
    pub(crate) fn new(cfg: &Config, posterior_precision: f64, points: (usize, usize)) -> Self {
        Self {
            quick: cfg.quick,
            seed: cfg.seed,
            posterior_precision,
            ha: step_grid(if cfg.quick { points.0 } else { points.1 }),
        }
    }
}

/// h·a = 0.001 … 0.3, log-spaced: 0.001·300^(k/(points − 1)).
fn step_grid(points: usize) -> Vec<f64> {
    (0..points)
        .map(|k| 0.001 * 300f64.powf(k as f64 / (points - 1) as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_runs_from_a_thousandth_to_three_tenths() {
        let grid = StepGrid::new(&Config::quick(), 40.01, (7, 31));
        assert_eq!(grid.ha.len(), 7);
        assert_eq!(grid.ha[0], 0.001);
        assert!((grid.ha[6] - 0.3).abs() < 1e-15);
        assert!(grid
            .ha
            .windows(2)
            .all(|w| (w[1] / w[0] - 300f64.powf(1.0 / 6.0)).abs() < 1e-12));
        assert_eq!(StepGrid::new(&Config::full(), 1.0, (7, 31)).ha.len(), 31);
    }
}
