//! MinHash compresses a paragraph's shingle set into a short signature whose agreement with
//! another signature estimates the Jaccard similarity of the two sets.
//!
//! Each of the `num_perm` hash functions is a multiply-shift hash `(a·x + b) >> 32` over the
//! 32-bit shingle hash `x` with 64-bit odd `a` and random `b` (Dietzfelbinger's scheme, which is
//! 2-independent on the high bits). They are drawn from a fixed seed, so a signature is the same
//! on every machine and every run: one xxh3 hash per shingle, then two integer operations per
//! shingle and permutation.

/// The family of hash functions behind signatures, drawn from one seed.
#[derive(Clone, Debug)]
pub struct MinHasher {
    multipliers: Vec<u64>,
    increments: Vec<u64>,
}

/// SplitMix64: a fixed, well-mixed stream of 64-bit values from a seed.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl MinHasher {
    /// `num_perm` hash functions drawn from `seed`.
    pub fn new(num_perm: usize, seed: u64) -> Self {
        let mut state = seed;
        let mut multipliers = Vec::with_capacity(num_perm);
        let mut increments = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            multipliers.push(splitmix64(&mut state) | 1);
            increments.push(splitmix64(&mut state));
        }
        MinHasher {
            multipliers,
            increments,
        }
    }

    /// Number of hash functions, the length of every signature.
    pub fn num_perm(&self) -> usize {
        self.multipliers.len()
    }

    /// Writes the signature of a shingle set into `out` (length `num_perm`). An empty set has the
    /// all-`u32::MAX` signature.
    pub fn signature_into(&self, shingles: &[u32], out: &mut [u32]) {
        out.fill(u32::MAX);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe { self.fold_avx2(shingles, out) };
                return;
            }
        }
        self.fold(shingles, out);
    }

    /// Lowers each slot of `out` to the minimum of its hash over `shingles`. The same integer
    /// arithmetic as `fold_avx2`; only the instructions the compiler may choose differ.
    #[inline(always)]
    fn fold(&self, shingles: &[u32], out: &mut [u32]) {
        for &shingle in shingles {
            let x = shingle as u64;
            for ((slot, &a), &b) in out.iter_mut().zip(&self.multipliers).zip(&self.increments) {
                let hashed = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                *slot = (*slot).min(hashed);
            }
        }
    }

    /// [`MinHasher::fold`] compiled for AVX2, which vectorizes the loop over hash functions.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fold_avx2(&self, shingles: &[u32], out: &mut [u32]) {
        self.fold(shingles, out)
    }

    /// The signature of a shingle set; see [`MinHasher::signature_into`].
    pub fn signature(&self, shingles: &[u32]) -> Vec<u32> {
        let mut out = vec![0; self.num_perm()];
        self.signature_into(shingles, &mut out);
        out
    }
}

/// The share of positions at which two signatures agree: an unbiased estimate of the Jaccard
/// similarity of the sets behind them.
pub fn estimate_jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let agree = a.iter().zip(b).filter(|(x, y)| x == y).count();
    agree as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shingle::jaccard;
    use proptest::prelude::*;

    #[test]
    fn identical_sets_have_identical_signatures() {
        let hasher = MinHasher::new(128, 7);
        let set: Vec<u32> = (0..50).map(|i| i * 7919).collect();
        assert_eq!(hasher.signature(&set), hasher.signature(&set));
        assert_eq!(
            estimate_jaccard(&hasher.signature(&set), &hasher.signature(&set)),
            1.0
        );
    }

    #[test]
    fn the_seed_fixes_the_signature() {
        let set = [1u32, 2, 3, 4, 5];
        assert_eq!(
            MinHasher::new(64, 1).signature(&set),
            MinHasher::new(64, 1).signature(&set)
        );
        assert_ne!(
            MinHasher::new(64, 1).signature(&set),
            MinHasher::new(64, 2).signature(&set)
        );
    }

    #[test]
    fn vectorized_and_portable_paths_agree() {
        let hasher = MinHasher::new(128, 99);
        for len in [0usize, 1, 7, 100, 1000] {
            let set: Vec<u32> = (0..len as u32)
                .map(|i| i.wrapping_mul(2_654_435_761))
                .collect();
            let mut portable = vec![u32::MAX; 128];
            hasher.fold(&set, &mut portable);
            assert_eq!(hasher.signature(&set), portable);
        }
    }

    proptest! {
        // With 256 hashes the estimate's standard deviation is at most 0.5/16 = 0.031; a tolerance
        // of 0.15 (almost five deviations) fails only when the hash family is biased.
        #[test]
        fn estimate_tracks_true_jaccard(
            shared in 0usize..300,
            only_a in 0usize..300,
            only_b in 0usize..300,
            salt in any::<u32>(),
        ) {
            prop_assume!(shared + only_a + only_b > 0);
            let mix = |i: u32| xxhash_rust::xxh3::xxh3_64(&(i ^ salt).to_le_bytes()) as u32;
            let mut a: Vec<u32> = (0..shared as u32).chain(1000..1000 + only_a as u32).map(mix).collect();
            let mut b: Vec<u32> = (0..shared as u32).chain(5000..5000 + only_b as u32).map(mix).collect();
            a.sort_unstable(); a.dedup();
            b.sort_unstable(); b.dedup();
            let hasher = MinHasher::new(256, 42);
            let estimate = estimate_jaccard(&hasher.signature(&a), &hasher.signature(&b));
            let truth = jaccard(&a, &b);
            prop_assert!((estimate - truth).abs() < 0.15, "estimate {estimate} truth {truth}");
        }
    }
}
