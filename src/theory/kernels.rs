//! Neural-network Gaussian-process (NNGP) kernels of two-layer networks and the Gaussian-process /
//! kernel-ridge posterior they define: the infinite-width limit of the SGLD posterior of a
//! [`TwoLayerNetwork`] with γ = ½ (Neal 1996; Williams 1997; Göring, Mingard, Nam & Louis 2025,
//! arXiv 2510.15174, abstract: "reduces to kernel ridge regression" in that limit).
//!
//! # Formula
//! K(x, x') = p σ_a² E_{w ~ N(0, s I)}[φ(w·x) φ(w·x')], s = σ_w²/d, p = N^{1−2γ}
//! (p = 1 for γ = ½; for γ = 1 it is the prior kernel of the finite network, which shrinks as 1/N).
//! With u = w·x, v = w·x' jointly Gaussian, Σ_uu = s‖x‖², Σ_vv = s‖x'‖², Σ_uv = s x·x':
//! * erf (Williams 1997, "Computing with infinite networks"; no bias input):
//!   E[erf(u) erf(v)] = (2/π) arcsin(2Σ_uv / √((1 + 2Σ_uu)(1 + 2Σ_vv)));
//! * ReLU (arc-cosine kernel of order 1, Cho & Saul 2009: their k_1 = (1/π)‖x‖‖x′‖ J_1(ϑ) is
//!   2 E[relu(u) relu(v)] for unit-variance weights):
//!   E[relu(u) relu(v)] = (1/(2π)) √(Σ_uu Σ_vv) (sin ϑ + (π − ϑ) cos ϑ), cos ϑ = Σ_uv/√(Σ_uu Σ_vv);
//! * linear: E\[uv\] = Σ_uv.
//!
//! Posterior (Rasmussen & Williams 2006, eqs. 2.25–2.26) of f under the prior GP(0, K) and the
//! likelihood N(y; f, T I):
//! f̄(x) = k(x)ᵀ (K + T I)⁻¹ y,   Var f(x) = K(x, x) − k(x)ᵀ (K + T I)⁻¹ k(x).

use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use serde::Serialize;

use crate::error::{ensure_finite, Error, Result};
use crate::models::{Activation, TwoLayerNetwork};

/// The NNGP kernel K(x, x') = p σ_a² E_{w ~ N(0, s I)}[φ(w·x) φ(w·x')] (module documentation).
///
/// ```
/// use sgbayes::models::Activation;
/// use sgbayes::theory::kernels::NngpKernel;
/// let k = NngpKernel::new(Activation::Linear, 2.0, 0.5, 1.0).unwrap();
/// // linear: p σ_a² s x·x' = 2 · 0.5 · 3
/// assert!((k.evaluate(&[1.0, 1.0], &[1.0, 2.0]) - 3.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NngpKernel {
    /// Activation φ.
    pub activation: Activation,
    /// σ_a².
    pub readout_variance: f64,
    /// s = σ_w²/d, the variance of each entry of w.
    pub entry_variance: f64,
    /// p = N^{1−2γ} (1 for γ = ½).
    pub prefactor: f64,
}

impl NngpKernel {
    /// A kernel from φ, σ_a², s = σ_w²/d and p = N^{1−2γ}; errors unless all three are positive
    /// and finite.
    pub fn new(
        activation: Activation,
        readout_variance: f64,
        entry_variance: f64,
        prefactor: f64,
    ) -> Result<Self> {
        for (what, value) in [
            ("readout variance", readout_variance),
            ("entry variance", entry_variance),
            ("kernel prefactor", prefactor),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(Error::Invalid {
                    what: what.into(),
                    why: format!("must be positive and finite, got {value}"),
                });
            }
        }
        Ok(Self {
            activation,
            readout_variance,
            entry_variance,
            prefactor,
        })
    }

    /// The prior kernel of `model`'s network function: φ, σ_a², s = σ_w²/d and p = N^{1−2γ}.
    pub fn of_model(model: &TwoLayerNetwork) -> Self {
        let prior = model.prior();
        let width = model.width() as f64;
        Self {
            activation: model.activation(),
            readout_variance: prior.readout_variance,
            entry_variance: prior.weight_variance / model.input_dimension() as f64,
            prefactor: width.powf(1.0 - 2.0 * model.scaling().exponent()),
        }
    }

    /// The infinite-width (γ = ½) kernel of `model`, p = 1, whatever its width and scaling.
    pub fn infinite_width(model: &TwoLayerNetwork) -> Self {
        Self {
            prefactor: 1.0,
            ..Self::of_model(model)
        }
    }

    /// E[φ(u) φ(v)] for (u, v) centred Gaussian with the given covariance entries.
    pub fn activation_covariance(activation: Activation, suu: f64, svv: f64, suv: f64) -> f64 {
        match activation {
            Activation::Erf => {
                let arg = 2.0 * suv / ((1.0 + 2.0 * suu) * (1.0 + 2.0 * svv)).sqrt();
                std::f64::consts::FRAC_2_PI * arg.clamp(-1.0, 1.0).asin()
            }
            Activation::Relu => {
                let norm = (suu * svv).sqrt();
                if norm == 0.0 {
                    return 0.0;
                }
                let cos = (suv / norm).clamp(-1.0, 1.0);
                let angle = cos.acos();
                norm / (2.0 * std::f64::consts::PI)
                    * (angle.sin() + (std::f64::consts::PI - angle) * cos)
            }
            Activation::Linear => suv,
        }
    }

    /// K(x, x').
    pub fn evaluate(&self, x: &[f64], x_prime: &[f64]) -> f64 {
        let s = self.entry_variance;
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
        self.prefactor
            * self.readout_variance
            * Self::activation_covariance(
                self.activation,
                s * dot(x, x),
                s * dot(x_prime, x_prime),
                s * dot(x, x_prime),
            )
    }

    /// The Gram matrix K_{jk} = K(a_j, b_k).
    pub fn matrix(&self, a: &[Vec<f64>], b: &[Vec<f64>]) -> DMatrix<f64> {
        DMatrix::from_fn(a.len(), b.len(), |j, k| self.evaluate(&a[j], &b[k]))
    }
}

/// Gaussian-process (kernel-ridge) posterior of f at test inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpPosterior {
    /// Posterior mean f̄(x) = k(x)ᵀ α at each test input.
    pub mean: Vec<f64>,
    /// Posterior variance K(x, x) − k(x)ᵀ (K + T I)⁻¹ k(x) at each test input (of f, without the
    /// likelihood noise T).
    pub variance: Vec<f64>,
    /// Dual coefficients α = (K + T I)⁻¹ y.
    pub dual: Vec<f64>,
}

/// A Gram matrix K + T I factorised once: the kernel-ridge system of [`gp_posterior`].
#[derive(Debug, Clone)]
pub struct KernelRidge {
    cholesky: Cholesky<f64, Dyn>,
    dual: DVector<f64>,
}

impl KernelRidge {
    /// Factorises K + T I (K the P×P training Gram matrix, T > 0) and solves α = (K + T I)⁻¹ y.
    /// Errors: dimension mismatch, non-finite entries, T ≤ 0, or K + T I not positive definite.
    pub fn new(gram: &DMatrix<f64>, targets: &[f64], temperature: f64) -> Result<Self> {
        let p = targets.len();
        if gram.nrows() != p || gram.ncols() != p {
            return Err(Error::DimensionMismatch {
                what: "Gram matrix (P×P)".into(),
                expected: p,
                found: gram.nrows().max(gram.ncols()),
            });
        }
        ensure_finite("Gram matrix", gram.iter())?;
        ensure_finite("targets", targets)?;
        if !(temperature.is_finite() && temperature > 0.0) {
            return Err(Error::Invalid {
                what: "temperature".into(),
                why: format!("must be positive and finite, got {temperature}"),
            });
        }
        let mut system = gram.clone();
        for j in 0..p {
            system[(j, j)] += temperature;
        }
        let cholesky = system
            .cholesky()
            .ok_or_else(|| Error::NotPositiveDefinite {
                what: "K + T I (kernel ridge system)".into(),
            })?;
        let dual = cholesky.solve(&DVector::from_column_slice(targets));
        Ok(Self { cholesky, dual })
    }

    /// α = (K + T I)⁻¹ y.
    pub fn dual(&self) -> &DVector<f64> {
        &self.dual
    }

    /// (K + T I)⁻¹.
    pub fn inverse(&self) -> DMatrix<f64> {
        self.cholesky.inverse()
    }

    /// Posterior mean k(x)ᵀα and variance K(x, x) − k(x)ᵀ(K + TI)⁻¹k(x) from the cross-kernel
    /// column k(x) (length P) and the prior variance K(x, x).
    pub fn predict(&self, cross: &DVector<f64>, prior_variance: f64) -> (f64, f64) {
        let solved = self.cholesky.solve(cross);
        (cross.dot(&self.dual), prior_variance - cross.dot(&solved))
    }
}

/// The GP / kernel-ridge posterior of f at `test_inputs` given training inputs, targets and the
/// noise variance (temperature) T.
///
/// ```
/// use sgbayes::models::Activation;
/// use sgbayes::theory::kernels::{gp_posterior, NngpKernel};
/// let k = NngpKernel::new(Activation::Linear, 1.0, 1.0, 1.0).unwrap();
/// // One point: f̄ = K y/(K + T), Var = K − K²/(K + T) with K = 1, T = 1.
/// let post = gp_posterior(&k, &[vec![1.0]], &[2.0], 1.0, &[vec![1.0]]).unwrap();
/// assert!((post.mean[0] - 1.0).abs() < 1e-15 && (post.variance[0] - 0.5).abs() < 1e-15);
/// ```
pub fn gp_posterior(
    kernel: &NngpKernel,
    train_inputs: &[Vec<f64>],
    targets: &[f64],
    temperature: f64,
    test_inputs: &[Vec<f64>],
) -> Result<GpPosterior> {
    let d = train_inputs.first().map_or(0, |x| x.len());
    for x in train_inputs.iter().chain(test_inputs) {
        if x.len() != d {
            return Err(Error::DimensionMismatch {
                what: "input (all inputs must have the training dimension)".into(),
                expected: d,
                found: x.len(),
            });
        }
        ensure_finite("inputs", x)?;
    }
    let ridge = KernelRidge::new(
        &kernel.matrix(train_inputs, train_inputs),
        targets,
        temperature,
    )?;
    let (mut mean, mut variance) = (Vec::new(), Vec::new());
    for x in test_inputs {
        let cross = DVector::from_iterator(
            train_inputs.len(),
            train_inputs.iter().map(|t| kernel.evaluate(x, t)),
        );
        let (m, v) = ridge.predict(&cross, kernel.evaluate(x, x));
        mean.push(m);
        variance.push(v);
    }
    Ok(GpPosterior {
        mean,
        variance,
        dual: ridge.dual().iter().copied().collect(),
    })
}
