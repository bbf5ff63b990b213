//! The one-dimensional Gaussian model problem shared by the `adhikari2023` and `shaw-whalley2025`
//! reports: ℓ_i(θ) = (θ − x_i)²/(2σ²), prior N(0, σ₀²), σ = 1, σ₀ = 10, N = 40 points whose spread
//! gives V₁/a = 22.9 (Adhikari et al. 2023, arXiv:2306.03521, the digest's Claim 10 example), and
//! the minibatch schemes compared on it with their exact stationary variances.

use nalgebra::DMatrix;
use serde::Serialize;

use crate::batching::Batching;
use crate::config::{SamplerConfig, SamplerKind};
use crate::error::Result;
use crate::models::GaussianMean;
use crate::theory::{self, reshuffled_law, DrawAt};

/// BibTeX of Adhikari et al. 2023 (re-exported under the name the reports use).
pub use super::bibliography::ADHIKARI2023 as ADHIKARI2023_BIBTEX;

/// N.
pub(crate) const DATA_SIZE: usize = 40;
/// B.
pub(crate) const BATCH_SIZE: usize = 4;
/// Prior variance σ₀².
pub(crate) const PRIOR_VARIANCE: f64 = 100.0;
/// V₁/a of the digest's numerical example.
pub(crate) const NOISE_RATIO: f64 = 22.9;

/// The 1-d Gaussian model with N = 40 points whose spread gives V₁/a = 22.9 exactly (mean 0.5).
pub(crate) fn problem() -> Result<GaussianMean> {
    let n = DATA_SIZE as f64;
    let b = BATCH_SIZE as f64;
    let a = n + 1.0 / PRIOR_VARIANCE;
    // V₁ = N² s² (N − B)/(B (N − 1)) with σ = 1.
    let s2 = NOISE_RATIO * a * b * (n - 1.0) / (n * n * (n - b));
    // A fixed symmetric pattern, standardised to population variance s² and mean 0.5.
    let raw: Vec<f64> = (0..DATA_SIZE)
        .map(|i| ((i * 17 + 5) % DATA_SIZE) as f64)
        .collect();
    let mean = raw.iter().sum::<f64>() / n;
    let var = raw.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let centres = raw
        .iter()
        .map(|x| vec![0.5 + (x - mean) * (s2 / var).sqrt()])
        .collect();
    GaussianMean::new(
        DMatrix::identity(1, 1),
        centres,
        vec![0.0],
        1.0 / PRIOR_VARIANCE,
    )
}

/// The schemes compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// B distinct indices drawn afresh every step (the paper's "WR", Robbins–Monro).
    PerStep,
    /// B i.i.d. indices every step.
    Iid,
    /// Random reshuffling (SGWORLD), every step kept.
    ReshuffleEveryStep,
    /// Random reshuffling, epoch ends only.
    ReshuffleEpochEnd,
    /// Full batch (ULA, no minibatch noise).
    FullBatch,
}

impl Scheme {
    /// Human-readable name.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Scheme::PerStep => "SGLD, fresh distinct batch every step (paper's WR)",
            Scheme::Iid => "SGLD, i.i.d. indices",
            Scheme::ReshuffleEveryStep => "SGWORLD (reshuffled), every step",
            Scheme::ReshuffleEpochEnd => "SGWORLD (reshuffled), epoch ends",
            Scheme::FullBatch => "ULA (full batch)",
        }
    }
}

/// The sampler configuration of a scheme with batch size `batch_size` on `data_size` examples.
pub(crate) fn scheme_config(
    eps: f64,
    scheme: Scheme,
    data_size: usize,
    batch_size: usize,
) -> SamplerConfig {
    let (batch_size, batching) = match scheme {
        Scheme::Iid => (batch_size, Batching::WithReplacement),
        Scheme::FullBatch => (data_size, Batching::WithoutReplacement),
        Scheme::PerStep => (batch_size, Batching::WithoutReplacement),
        Scheme::ReshuffleEveryStep | Scheme::ReshuffleEpochEnd => (batch_size, Batching::Reshuffle),
    };
    SamplerConfig::new(SamplerKind::Sgld, eps, batch_size, batching)
}

/// Exact stationary variance of a scheme at ε with batch size `batch_size`.
pub(crate) fn variance_with_batch(
    model: &GaussianMean,
    eps: f64,
    scheme: Scheme,
    batch_size: usize,
) -> Result<f64> {
    use crate::models::Model;
    let cfg = scheme_config(eps, scheme, model.data_size(), batch_size);
    let law = match scheme {
        Scheme::ReshuffleEveryStep | Scheme::ReshuffleEpochEnd => {
            let per_step = SamplerConfig {
                batching: Batching::WithoutReplacement,
                ..cfg
            };
            let map = theory::affine_map(&per_step, model)?;
            let at = if scheme == Scheme::ReshuffleEpochEnd {
                DrawAt::EpochEnd
            } else {
                DrawAt::EveryStep
            };
            reshuffled_law(&map, at)?.1
        }
        _ => {
            theory::affine_map(&cfg, model)?
                .stationary_law()?
                .covariance
        }
    };
    Ok(law[(0, 0)])
}
