//! Seeds of independent runs derived from one master seed.

/// SplitMix64 finaliser (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number
/// generators", OOPSLA): a bijective mix of a 64-bit word.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

/// The seed of run `index` of a computation seeded with `seed`.
///
/// # Formula
/// `splitmix64(seed ⊕ splitmix64(index + 1))`, with SplitMix64 the finaliser of Steele, Lea &
/// Flood (2014). Run k's seed depends only on (seed, k) — never on a thread identity — so chains
/// seeded this way and run with [`run_chains`](super::run_chains) give the same bits at any thread
/// count.
///
/// # Example
///
/// ```
/// use sgbayes::chain::run_seed;
///
/// let seeds: Vec<u64> = (0..4).map(|k| run_seed(2017, k)).collect();
/// assert_eq!(seeds[2], run_seed(2017, 2));
/// assert!(seeds.windows(2).all(|w| w[0] != w[1]));
/// assert_ne!(run_seed(2017, 0), run_seed(2018, 0));
/// ```
pub fn run_seed(seed: u64, index: u64) -> u64 {
    splitmix64(seed ^ splitmix64(index.wrapping_add(1)))
}
