//! The control-variate minibatch gradient of SGLD-CV and SVRG-LD.

use crate::models::Model;

/// The gradient estimate with a control variate at an anchor θ̂.
///
/// # Formula (Baker, Fearnhead, Fox & Nemeth 2019, §3.1; Dubey et al. 2016, eq. 4)
/// ĝ_cv(θ) = ∇R(θ) + Σ_{j=1}^N ∇ℓ_j(θ̂) + (N/B) Σ_{i∈S} (∇ℓ_i(θ) − ∇ℓ_i(θ̂)):
/// unbiased for ∇U(θ), exact at θ = θ̂, and on a quadratic model its minibatch noise is
/// (N/B) Σ_{i∈S} (H_i − H̄)(θ − θ̂), which vanishes at the anchor. The prior gradient is exact
/// (the papers' f₀ term), the data sum at the anchor is taken once per anchor.
#[derive(Debug, Clone)]
pub struct ControlVariate {
    anchor: Vec<f64>,
    /// Σ_j ∇ℓ_j(θ̂).
    anchor_data_gradient: Vec<f64>,
}

impl ControlVariate {
    /// A control variate for a d-dimensional model; its anchor is set by
    /// [`ControlVariate::set_anchor`] before the first gradient.
    pub fn new(dimension: usize) -> Self {
        Self {
            anchor: vec![0.0; dimension],
            anchor_data_gradient: vec![0.0; dimension],
        }
    }

    /// Moves the anchor to θ̂ and takes the full data gradient there (N example gradients; no
    /// allocation).
    pub fn set_anchor(&mut self, model: &dyn Model, anchor: &[f64]) {
        self.anchor.copy_from_slice(anchor);
        self.anchor_data_gradient.fill(0.0);
        for i in 0..model.data_size() {
            model.add_example_gradient(i, &self.anchor, 1.0, &mut self.anchor_data_gradient);
        }
    }

    /// The anchor θ̂.
    pub fn anchor(&self) -> &[f64] {
        &self.anchor
    }

    /// Writes ĝ_cv(θ) on minibatch `batch` into `out` (see the type's formula).
    pub fn gradient(&self, model: &dyn Model, theta: &[f64], batch: &[usize], out: &mut [f64]) {
        let scale = model.data_size() as f64 / batch.len() as f64;
        model.prior_gradient(theta, out);
        model.add_batch_gradient(batch, theta, scale, out);
        model.add_batch_gradient(batch, &self.anchor, -scale, out);
        for (o, g) in out.iter_mut().zip(&self.anchor_data_gradient) {
            *o += g;
        }
    }
}
