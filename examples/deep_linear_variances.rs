//! The per-mode stationary variances of SGD on the deep linear teacher–student problems of the
//! corlouer2025 reproduction: the additive-only per-mode map, the linearised map with its
//! multiplicative noise, the first-order full-matrix correction and the full-matrix variance with
//! the mode's multiplicative noise kept exactly.
//!
//! The problems are the reproduction's: L = 2 and 3, 4 → 4 → 3, S = (3, 2, 1), σ_ε = 0.3,
//! N = 1000, generated with seed 20171204 ^ (100 + case).
//!
//! ```sh
//! cargo run --release --example deep_linear_variances
//! ```

use sgbayes::batching::Batching;
use sgbayes::config::{SamplerConfig, SamplerKind};
use sgbayes::models::{generate_deep_linear, DeepLinearParams};
use sgbayes::theory::deep_linear::{self, ModeStationaryLaw};

fn main() -> sgbayes::Result<()> {
    let cases = [
        (2usize, 0.002, 1usize, Batching::WithReplacement),
        (2, 0.002, 8, Batching::WithoutReplacement),
        (3, 0.001, 1, Batching::WithReplacement),
        (3, 0.001, 8, Batching::WithoutReplacement),
    ];
    println!("| L | ε | B | S | k | κ_α | per-mode map (additive) | per-mode map (multiplicative) | full matrices (first order) | full matrices (multiplicative exact) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (case, &(depth, eps, batch, batching)) in cases.iter().enumerate() {
        let params = DeepLinearParams {
            depth,
            label_noise: 0.3,
            teacher_strengths: vec![3.0, 2.0, 1.0],
            ..DeepLinearParams::default()
        };
        let model = generate_deep_linear(&params, 20171204 ^ (100 + case as u64))?;
        let config = SamplerConfig::new(SamplerKind::Sgd, eps, batch, batching);
        let report = deep_linear::report(&model, &config)?;
        for mode in &report.modes {
            let ModeStationaryLaw::Fluctuating {
                variance,
                coupled_variance,
                ..
            } = mode.stationary
            else {
                continue;
            };
            let kappa = deep_linear::input_fourth_moment_excess(&model, mode.mode);
            let multiplicative = mode.dynamics.linearised_stationary_variance(kappa)?;
            let full = deep_linear::full_matrix_variance(
                &model,
                report.learning_rate,
                report.batch_factor,
                mode.mode,
            )?;
            println!(
                "| {depth} | {eps} | {batch} | {:.0} | {:.4} | {kappa:.4} | {variance:.6e} | {multiplicative:.6e} | {coupled_variance:.6e} | {full:.6e} |",
                mode.dynamics.teacher, mode.linear_rate
            );
        }
    }
    Ok(())
}
