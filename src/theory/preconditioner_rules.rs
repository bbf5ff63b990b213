//! The preconditioner a sampler's law names ([`PreconditionerRule`]), as a matrix on a model.

use nalgebra::DMatrix;

use super::adaptive::{online_fisher_reference, rmsprop_reference_preconditioner};
use super::laws::{sampler_law, ControlVariate, PreconditionerRule};
use super::posterior::exact_posterior;
use super::preconditioners::{
    fisher_information, optimal_preconditioner, sgfs_preconditioner, well_conditioned_inverse,
};
use super::tuning::gradient_noise_covariance;
use crate::config::{Anchor, Preconditioner, SamplerConfig};
use crate::error::Result;
use crate::models::QuadraticModel;

/// The preconditioner matrix a configuration uses on a model: H for `sgd-preconditioned`, G for
/// `psgld`, the self-consistent G_∞ for `psgld-rmsprop`, F⁻¹ for `ngd` and `stochastic-ngd`,
/// SGFS's H (with the self-consistent Î_∞ for `sgfs-online`); `None` for the samplers without one.
pub fn preconditioner_matrix<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<Option<DMatrix<f64>>> {
    let d = model.dimension();
    match sampler_law(&config.kind).preconditioner() {
        PreconditionerRule::Identity => Ok(None),
        PreconditionerRule::Configured(preconditioner) => match preconditioner {
            Preconditioner::Matrix(_) => preconditioner.matrix(d),
            Preconditioner::Optimal | Preconditioner::OptimalDiagonal => {
                // A sampler that takes a given matrix only (psgld) refuses the optimal choices.
                config.kind.validate()?;
                optimal_preconditioner(
                    model,
                    config.step_size,
                    config.batch_size,
                    config.batching,
                    preconditioner == Preconditioner::OptimalDiagonal,
                )
                .map(Some)
            }
        },
        PreconditionerRule::RmspropReference { .. } => {
            rmsprop_reference_preconditioner(config, model).map(Some)
        }
        // SGFS (Ahn et al. 2012, eq. 11): H = 2 (γ N Î + (4β/ε) I)⁻¹, γ = (N + B)/B, with Î
        // given or the empirical per-example gradient covariance at the posterior mean.
        PreconditionerRule::FisherScoring { fisher, scale } => {
            config.kind.validate()?;
            let fisher_matrix = match fisher {
                Preconditioner::Matrix(_) => {
                    fisher.semidefinite_matrix(d)?.expect("a given matrix")
                }
                _ => gradient_noise_covariance(model, &exact_posterior(model)?.mean),
            };
            sgfs_preconditioner(&fisher_matrix, model.data_size(), config, scale).map(Some)
        }
        // Online SGFS: the reference law's H uses the self-consistent Î_∞.
        PreconditionerRule::OnlineFisherScoring { scale } => {
            let fisher_matrix = online_fisher_reference(config, model)?;
            sgfs_preconditioner(&fisher_matrix, model.data_size(), config, scale).map(Some)
        }
        PreconditionerRule::InverseFisher => Ok(Some(well_conditioned_inverse(
            &fisher_information(model),
            "per-example Fisher information F (natural gradient needs F⁻¹)",
        )?)),
    }
}

/// The configuration a sampler can run: Mandt's `optimal` / `optimal-diagonal` preconditioners
/// and SGFS's exact empirical Fisher replaced by their matrices on this model, SGLD-CV's anchor
/// `mode` by the posterior mode (other configurations are returned unchanged).
pub fn resolve_preconditioner<M: QuadraticModel + ?Sized>(
    config: &SamplerConfig,
    model: &M,
) -> Result<SamplerConfig> {
    let law = sampler_law(&config.kind);
    if let Some(ControlVariate::Fixed(Anchor::Mode)) = law.control_variate() {
        let mode = exact_posterior(model)?.mean;
        return Ok(
            match law.with_anchor(Anchor::from_point(mode.as_slice())?) {
                Some(kind) => SamplerConfig { kind, ..*config },
                None => *config,
            },
        );
    }
    let matrix = match law.preconditioner() {
        // The sampler builds H itself from Î: resolve only the exact empirical Fisher.
        PreconditionerRule::FisherScoring {
            fisher: Preconditioner::Matrix(_),
            ..
        } => return Ok(*config),
        PreconditionerRule::FisherScoring { .. } => {
            gradient_noise_covariance(model, &exact_posterior(model)?.mean)
        }
        PreconditionerRule::Configured(
            Preconditioner::Optimal | Preconditioner::OptimalDiagonal,
        ) if law.preconditioner_scales_with_inverse_step() => {
            match preconditioner_matrix(config, model)? {
                Some(h) => h,
                None => return Ok(*config),
            }
        }
        // Given matrices need nothing; the adaptive samplers build theirs from running estimates.
        _ => return Ok(*config),
    };
    let rows: Vec<Vec<f64>> = matrix
        .row_iter()
        .map(|r| r.iter().cloned().collect())
        .collect();
    let resolved = Preconditioner::from_rows(&rows)?;
    Ok(match law.with_matrix(resolved) {
        Some(kind) => SamplerConfig { kind, ..*config },
        None => *config,
    })
}
