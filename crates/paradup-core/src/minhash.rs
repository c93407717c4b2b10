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
    /// The same functions regrouped eight at a time for the AVX2 loop.
    lanes: Vec<LaneGroup>,
}

/// Eight hash functions laid out for 256-bit registers: the low halves of the multipliers of the
/// even-numbered and the odd-numbered functions as 64-bit lanes (what `vpmuludq` reads), their
/// increments likewise, and the high halves of all eight multipliers as 32-bit lanes.
#[derive(Clone, Debug)]
#[repr(C, align(32))]
struct LaneGroup {
    low_even: [u64; 4],
    low_odd: [u64; 4],
    add_even: [u64; 4],
    add_odd: [u64; 4],
    high: [u32; 8],
}

impl LaneGroup {
    fn new(multipliers: &[u64], increments: &[u64]) -> Self {
        let pick = |values: &[u64], first: usize, f: fn(u64) -> u64| -> [u64; 4] {
            std::array::from_fn(|i| f(values[first + 2 * i]))
        };
        let low = |v: u64| v & 0xFFFF_FFFF;
        let same = |v: u64| v;
        LaneGroup {
            low_even: pick(multipliers, 0, low),
            low_odd: pick(multipliers, 1, low),
            add_even: pick(increments, 0, same),
            add_odd: pick(increments, 1, same),
            high: std::array::from_fn(|i| (multipliers[i] >> 32) as u32),
        }
    }
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
        let lanes = multipliers
            .chunks_exact(8)
            .zip(increments.chunks_exact(8))
            .map(|(m, i)| LaneGroup::new(m, i))
            .collect();
        MinHasher {
            multipliers,
            increments,
            lanes,
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

    /// [`MinHasher::fold`] in AVX2 registers, eight hash functions a register and four registers
    /// of running minima kept across the whole shingle set. The 64-bit product `a·x` of a 64-bit
    /// multiplier and a 32-bit shingle splits as `a_hi·x·2^32 + a_lo·x`, so bits 32..64 of
    /// `a·x + b` are `a_hi·x + ((a_lo·x + b) >> 32)` modulo 2^32: one 32x32->64 multiply for the
    /// low half (`vpmuludq`, even and odd functions in turn) and one 32-bit multiply for the high
    /// half (`vpmulld`). The result is bit for bit the portable loop's.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fold_avx2(&self, shingles: &[u32], out: &mut [u32]) {
        use std::arch::x86_64::*;
        /// Register groups (of eight functions) whose minima stay in registers at once.
        const GROUPS_AT_ONCE: usize = 8;

        // One group: the eight hashes of shingle `x` (broadcast to every lane).
        #[inline(always)]
        unsafe fn hashes(group: &LaneGroup, x: __m256i) -> __m256i {
            let low_even = _mm256_load_si256(group.low_even.as_ptr().cast());
            let low_odd = _mm256_load_si256(group.low_odd.as_ptr().cast());
            let add_even = _mm256_load_si256(group.add_even.as_ptr().cast());
            let add_odd = _mm256_load_si256(group.add_odd.as_ptr().cast());
            let high = _mm256_load_si256(group.high.as_ptr().cast());
            let even = _mm256_add_epi64(_mm256_mul_epu32(low_even, x), add_even);
            let odd = _mm256_add_epi64(_mm256_mul_epu32(low_odd, x), add_odd);
            // Even functions' bits 32..64 move down to the even 32-bit lanes; the odd
            // functions' are already in the odd lanes.
            let carried = _mm256_blend_epi32::<0b1010_1010>(_mm256_srli_epi64::<32>(even), odd);
            _mm256_add_epi32(carried, _mm256_mullo_epi32(high, x))
        }

        let vector_slots = self.lanes.len() * 8;
        for (block, minima_out) in self
            .lanes
            .chunks(GROUPS_AT_ONCE)
            .zip(out[..vector_slots].chunks_mut(GROUPS_AT_ONCE * 8))
        {
            let mut minima = [_mm256_set1_epi32(-1); GROUPS_AT_ONCE];
            for &shingle in shingles {
                let x = _mm256_set1_epi32(shingle as i32);
                for (minimum, group) in minima.iter_mut().zip(block) {
                    *minimum = _mm256_min_epu32(*minimum, hashes(group, x));
                }
            }
            for (minimum, slots) in minima.iter().zip(minima_out.chunks_exact_mut(8)) {
                _mm256_storeu_si256(slots.as_mut_ptr().cast(), *minimum);
            }
        }
        // Functions past the last whole group of eight.
        for &shingle in shingles {
            let x = shingle as u64;
            for ((slot, &a), &b) in out[vector_slots..]
                .iter_mut()
                .zip(&self.multipliers[vector_slots..])
                .zip(&self.increments[vector_slots..])
            {
                let hashed = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                *slot = (*slot).min(hashed);
            }
        }
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
        // Whole register groups, whole blocks of groups, and functions left over after both.
        for num_perm in [1usize, 7, 8, 32, 40, 119, 128, 200] {
            let hasher = MinHasher::new(num_perm, 99);
            for len in [0usize, 1, 7, 100, 1000] {
                let mut set: Vec<u32> = (0..len as u32)
                    .map(|i| i.wrapping_mul(2_654_435_761))
                    .collect();
                set.extend([u32::MAX, u32::MAX - 1].iter().take(len.min(2)));
                let mut portable = vec![u32::MAX; num_perm];
                hasher.fold(&set, &mut portable);
                assert_eq!(
                    hasher.signature(&set),
                    portable,
                    "{num_perm} functions, {len} shingles"
                );
            }
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
