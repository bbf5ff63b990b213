//! Exact law of random reshuffling with state-dependent minibatch noise (per-example matrices
//! M_i differ, e.g. linear regression), by a dynamic programme over the sets of examples an epoch
//! has used. Exact for small N (at most [`MAX_ENUMERATED_DATA_SIZE`]).
//!
//! # Formula (derived here)
//! An epoch cuts a uniform random permutation into K = ⌊N/B⌋ consecutive batches. Condition on
//! the set U of the kB examples used by the first k batches: U is uniform over the kB-subsets,
//! the k-th batch b is uniform over the B-subsets of U, and the first k − 1 batches are a uniform
//! ordering of U ∖ b. So, for the state z after those k steps of an epoch started at z₀ (with
//! z₀ independent of the epoch's permutation), with M_b = (1/B) Σ_{i∈b} M_i, c_b = (1/B) Σ_{i∈b} c_i
//! and the injected noise covariance Q:
//!
//! m_U = avg_b (M_b m_{U∖b} + c_b),
//! S_U = avg_b (M_b S_{U∖b} M_bᵀ + M_b m_{U∖b} c_bᵀ + c_b m_{U∖b}ᵀ M_bᵀ + c_b c_bᵀ + Q),
//!
//! m_∅ = E z₀, S_∅ = E z₀z₀ᵀ (raw second moments), averages over the C(|U|, B) batches b ⊂ U.
//! Both are affine in (m_∅, S_∅): m_U = P_U m_∅ + p_U and vec S_U = T_U vec S_∅ + r_U, so the
//! epoch-end fixed point is m* = (I − P̄)⁻¹ p̄ and vec S* = (I − T̄)⁻¹ r̄, the bars averaging over
//! the KB-subsets (r_U computed with m_∅ = m*). Phase k of the every-step law averages (m_U, S_U)
//! over the kB-subsets started from (m*, S*); the every-step law is the mixture over k < K (its
//! mean need not equal m*: with state-dependent noise each phase has its own mean).
//!
//! Cost Σ_k C(N, kB) C(kB, B) n⁶ for state dimension n: [`MAX_ENUMERATED_DATA_SIZE`] and a work
//! limit keep it to seconds.

use nalgebra::{DMatrix, DVector};

use super::affine_map::{AffineRandomMap, ExampleMatrices};
use super::draw_at::DrawAt;
use super::gaussian::symmetrize;
use crate::error::{Error, Result};

/// Largest N for which the reshuffled law with state-dependent noise is enumerated.
pub const MAX_ENUMERATED_DATA_SIZE: usize = 16;

/// Largest Σ_k C(N, kB)·C(kB, B)·n⁶ the enumeration may cost (≈ seconds).
const MAX_WORK: f64 = 4e9;

/// The dense per-example matrix M_i.
pub(super) fn example_matrix(matrices: &ExampleMatrices, index: usize) -> DMatrix<f64> {
    match matrices {
        ExampleMatrices::Shared(m) => m.clone(),
        ExampleMatrices::PerExample(list) => list[index].clone(),
        ExampleMatrices::RankOne {
            common,
            left,
            right,
        } => common + &left[index] * right[index].transpose(),
    }
}

/// All B-subsets (as bit masks) of the set bits of `mask`.
fn subsets_of_size(mask: u32, size: usize) -> Vec<u32> {
    let bits: Vec<u32> = (0..32).filter(|i| mask & (1 << i) != 0).collect();
    let mut out = Vec::new();
    let mut chosen = Vec::with_capacity(size);
    fn recurse(bits: &[u32], size: usize, start: usize, chosen: &mut Vec<u32>, out: &mut Vec<u32>) {
        if chosen.len() == size {
            out.push(chosen.iter().fold(0, |m, &b| m | (1 << b)));
            return;
        }
        for i in start..bits.len() {
            if bits.len() - i < size - chosen.len() {
                break;
            }
            chosen.push(bits[i]);
            recurse(bits, size, i + 1, chosen, out);
            chosen.pop();
        }
    }
    recurse(&bits, size, 0, &mut chosen, &mut out);
    out
}

fn binomial(n: usize, k: usize) -> f64 {
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// One layer of the programme: per subset U (bit mask) of size kB, the affine mean map
/// (P_U, p_U), the mean m_U for the chosen start, the superoperator T_U and the offset S-part R_U.
struct Layer {
    masks: Vec<u32>,
    mean_maps: Vec<(DMatrix<f64>, DVector<f64>)>,
    second: Vec<(DMatrix<f64>, DMatrix<f64>)>,
}

/// The exact reshuffled law by enumeration over used-example sets (module docs).
pub(crate) fn enumerated_reshuffled_law(
    map: &AffineRandomMap,
    draw_at: DrawAt,
) -> Result<(DVector<f64>, DMatrix<f64>)> {
    let data_size = map.data_size();
    let b = map.batch_size();
    let n = map.state_dimension();
    let epoch = data_size / b;
    let work: f64 = (1..=epoch)
        .map(|k| binomial(data_size, k * b) * binomial(k * b, b))
        .sum::<f64>()
        * (n as f64).powi(6);
    let beyond = if data_size > MAX_ENUMERATED_DATA_SIZE {
        Some(format!("N = {data_size} > {MAX_ENUMERATED_DATA_SIZE}"))
    } else if work > MAX_WORK {
        Some(format!(
            "the enumeration would cost {work:.1e} > {MAX_WORK:.0e} operations (N = {data_size}, B = {b}, state dimension {n})"
        ))
    } else {
        None
    };
    if let Some(why) = beyond {
        return Err(Error::NoClosedForm {
            what: format!(
                "reshuffled batches with state-dependent minibatch noise beyond the exact enumeration over used-example sets: {why}"
            ),
        });
    }
    let matrices: Vec<DMatrix<f64>> = (0..data_size)
        .map(|i| example_matrix(map.example_matrices(), i))
        .collect();
    let offsets = map.example_offsets();
    let noise = map.noise_covariance();
    let batch_piece = |batch: u32| -> (DMatrix<f64>, DVector<f64>) {
        let mut m = DMatrix::zeros(n, n);
        let mut c = DVector::zeros(n);
        for i in (0..data_size).filter(|i| batch & (1 << i) != 0) {
            m += &matrices[i];
            c += &offsets[i];
        }
        (m / b as f64, c / b as f64)
    };
    let identity = DMatrix::<f64>::identity(n, n);
    // Pass 1: the affine mean maps, to find the epoch-end mean m*.
    // Pass 2 (with m_∅ = m*): superoperators T_U and offsets R_U.
    let run = |start_mean: Option<&DVector<f64>>| -> Vec<Layer> {
        let mut layers = vec![Layer {
            masks: vec![0],
            mean_maps: vec![(identity.clone(), DVector::zeros(n))],
            second: vec![(DMatrix::identity(n * n, n * n), DMatrix::zeros(n, n))],
        }];
        for k in 1..=epoch {
            let previous = layers.last().expect("layer 0 exists");
            let mut index = std::collections::HashMap::with_capacity(previous.masks.len());
            for (j, &mask) in previous.masks.iter().enumerate() {
                index.insert(mask, j);
            }
            let masks: Vec<u32> = (0u32..(1u32 << data_size))
                .filter(|m| m.count_ones() as usize == k * b)
                .collect();
            let mut mean_maps = Vec::with_capacity(masks.len());
            let mut second = Vec::with_capacity(masks.len());
            for &mask in &masks {
                let batches = subsets_of_size(mask, b);
                let weight = 1.0 / batches.len() as f64;
                let mut p = DMatrix::zeros(n, n);
                let mut q = DVector::zeros(n);
                let mut t = DMatrix::zeros(n * n, n * n);
                let mut r = DMatrix::zeros(n, n);
                for &batch in &batches {
                    let (m_b, c_b) = batch_piece(batch);
                    let j = index[&(mask & !batch)];
                    let (p_prev, q_prev) = &previous.mean_maps[j];
                    p += &m_b * p_prev * weight;
                    q += (&m_b * q_prev + &c_b) * weight;
                    if let Some(start) = start_mean {
                        let (t_prev, r_prev) = &previous.second[j];
                        // vec(M X Mᵀ) = (M ⊗ M) vec X (column-major vec).
                        t += m_b.kronecker(&m_b) * t_prev * weight;
                        let mean_prev = p_prev * start + q_prev;
                        let cross = &m_b * &mean_prev * c_b.transpose();
                        r += (&m_b * r_prev * m_b.transpose()
                            + &cross
                            + cross.transpose()
                            + &c_b * c_b.transpose()
                            + noise)
                            * weight;
                    }
                }
                mean_maps.push((p, q));
                second.push((t, r));
            }
            layers.push(Layer {
                masks,
                mean_maps,
                second,
            });
            // Only the previous layer is needed to build the next; keep all for the phases.
        }
        layers
    };
    let average_mean_map = |layer: &Layer| {
        let w = 1.0 / layer.masks.len() as f64;
        layer.mean_maps.iter().fold(
            (DMatrix::zeros(n, n), DVector::zeros(n)),
            |(p, q), (pu, qu)| (p + pu * w, q + qu * w),
        )
    };
    let not_contracting = |matrix: &DMatrix<f64>| Error::NotContracting {
        spectral_radius: super::affine_map::spectral_radius(matrix),
    };
    let first = run(None);
    let (p_bar, q_bar) = average_mean_map(first.last().expect("epoch ≥ 1"));
    let mean = (&identity - &p_bar)
        .lu()
        .solve(&q_bar)
        .ok_or_else(|| not_contracting(&p_bar))?;
    let layers = run(Some(&mean));
    let last = layers.last().expect("epoch ≥ 1");
    let w = 1.0 / last.masks.len() as f64;
    let (t_bar, r_bar) = last.second.iter().fold(
        (DMatrix::zeros(n * n, n * n), DMatrix::zeros(n, n)),
        |(t, r), (tu, ru)| (t + tu * w, r + ru * w),
    );
    // The epoch chain is mean-square stable iff ρ(T̄) < 1; beyond, (I − T̄)⁻¹ r̄ is no law.
    let mean_square_radius = super::affine_map::spectral_radius(&t_bar);
    if !(mean_square_radius < 1.0) {
        return Err(Error::NotContracting {
            spectral_radius: mean_square_radius,
        });
    }
    let r_vec = DVector::from_column_slice(r_bar.as_slice());
    let s_vec = (DMatrix::identity(n * n, n * n) - &t_bar)
        .lu()
        .solve(&r_vec)
        .ok_or_else(|| not_contracting(&t_bar))?;
    let second_moment = DMatrix::from_column_slice(n, n, s_vec.as_slice());
    if !s_vec.iter().all(|x| x.is_finite()) {
        return Err(not_contracting(&t_bar));
    }
    match draw_at {
        DrawAt::EpochEnd => Ok((
            mean.clone(),
            symmetrize(&(second_moment - &mean * mean.transpose())),
        )),
        DrawAt::EveryStep => {
            let mut phase_mean = DVector::zeros(n);
            let mut phase_second = DMatrix::zeros(n, n);
            for layer in &layers[..epoch] {
                let w = 1.0 / (layer.masks.len() * epoch) as f64;
                for ((p, q), (t, r)) in layer.mean_maps.iter().zip(&layer.second) {
                    phase_mean += (p * &mean + q) * w;
                    let s = t * &s_vec;
                    phase_second += (DMatrix::from_column_slice(n, n, s.as_slice()) + r) * w;
                }
            }
            Ok((
                phase_mean.clone(),
                symmetrize(&(phase_second - &phase_mean * phase_mean.transpose())),
            ))
        }
    }
}
