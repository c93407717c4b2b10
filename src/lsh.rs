//! Locality-sensitive hashing finds the pairs of signatures worth verifying without comparing every
//! pair: signatures are cut into `bands` bands of `rows` values, and two paragraphs become a
//! candidate pair when any one band agrees exactly.
//!
//! A pair with Jaccard similarity `s` agrees on one band with probability `s^r`, and so becomes a
//! candidate with probability `P(s) = 1 - (1 - s^r)^b`: an S-curve whose steep part should sit just
//! below the threshold, so that pairs at the threshold are found and pairs far below it are not.

use rayon::prelude::*;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// How signatures are cut into bands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Banding {
    /// Number of bands.
    pub bands: usize,
    /// Signature values in each band.
    pub rows: usize,
}

impl Banding {
    /// Probability that a pair with Jaccard similarity `similarity` shares at least one band:
    /// `1 - (1 - s^rows)^bands`.
    ///
    /// ```
    /// use paradup::Banding;
    /// let default = Banding { bands: 16, rows: 8 };
    /// // 0.8^8 = 0.168, 1 - (1 - 0.168)^16 = 0.947
    /// assert!((default.candidate_probability(0.8) - 0.947).abs() < 0.001);
    /// assert!(default.candidate_probability(0.5) < 0.07);
    /// ```
    pub fn candidate_probability(&self, similarity: f64) -> f64 {
        1.0 - (1.0 - similarity.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Hashes needed: `bands * rows`.
    pub fn hashes(&self) -> usize {
        self.bands * self.rows
    }
}

/// The key of band `band` of a signature: xxh3 of the band's values, seeded by the band number so
/// that equal values in different bands do not meet.
pub fn band_key(signature: &[u32], band: usize, rows: usize) -> u64 {
    let values = &signature[band * rows..(band + 1) * rows];
    let mut bytes = [0u8; 4 * 64];
    if rows <= 64 {
        for (chunk, value) in bytes.chunks_exact_mut(4).zip(values) {
            chunk.copy_from_slice(&value.to_le_bytes());
        }
        xxh3_64_with_seed(&bytes[..4 * rows], band as u64)
    } else {
        let long: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        xxh3_64_with_seed(&long, band as u64)
    }
}

/// A bucket larger than this is not expanded into all its pairs: each member is paired with the
/// bucket's first member and with its neighbour in input order, which keeps the work linear when
/// thousands of near-identical variants share a band.
pub const FULL_PAIRING_LIMIT: usize = 64;

/// The candidate pairs of one band, for signatures laid end to end in `signatures` (each
/// `num_perm` long), as `(lower, higher)` indices. Deterministic: the pairs depend only on the
/// signatures, not on the thread count.
pub fn band_candidates(
    signatures: &[u32],
    num_perm: usize,
    banding: Banding,
    band: usize,
) -> Vec<(u32, u32)> {
    let mut keyed: Vec<(u64, u32)> = signatures
        .par_chunks_exact(num_perm)
        .enumerate()
        .map(|(i, sig)| (band_key(sig, band, banding.rows), i as u32))
        .collect();
    keyed.par_sort_unstable();
    let mut pairs = Vec::new();
    let mut start = 0;
    while start < keyed.len() {
        let key = keyed[start].0;
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == key {
            end += 1;
        }
        let bucket = &keyed[start..end];
        if bucket.len() <= FULL_PAIRING_LIMIT {
            for (i, &(_, a)) in bucket.iter().enumerate() {
                for &(_, b) in &bucket[i + 1..] {
                    pairs.push((a, b));
                }
            }
        } else {
            let first = bucket[0].1;
            for window in bucket.windows(2) {
                pairs.push((window[0].1, window[1].1));
                if window[0].1 != first {
                    pairs.push((first, window[1].1));
                }
            }
        }
        start = end;
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_is_an_s_curve() {
        let banding = Banding { bands: 16, rows: 8 };
        assert!(banding.candidate_probability(1.0) > 0.999_999);
        assert!(banding.candidate_probability(0.0) < 1e-9);
        assert!(banding.candidate_probability(0.9) > 0.999);
        let mut last = 0.0;
        for step in 0..=20 {
            let p = banding.candidate_probability(step as f64 / 20.0);
            assert!(p >= last);
            last = p;
        }
    }

    #[test]
    fn equal_bands_pair_up() {
        let num_perm = 4;
        let banding = Banding { bands: 2, rows: 2 };
        // Signatures 0 and 2 share band 0; 1 shares nothing with anyone.
        let signatures = [1, 2, 3, 4, 9, 9, 9, 9, 1, 2, 7, 7];
        assert_eq!(band_candidates(&signatures, num_perm, banding, 0), [(0, 2)]);
        assert!(band_candidates(&signatures, num_perm, banding, 1).is_empty());
    }

    #[test]
    fn large_buckets_stay_connected_in_linear_pairs() {
        let num_perm = 2;
        let banding = Banding { bands: 1, rows: 2 };
        let count = FULL_PAIRING_LIMIT as u32 * 3;
        let signatures: Vec<u32> = (0..count).flat_map(|_| [5, 6]).collect();
        let pairs = band_candidates(&signatures, num_perm, banding, 0);
        assert!(pairs.len() < 2 * count as usize);
        assert!(pairs.iter().all(|&(a, b)| a < b));
        // Every member is paired with the first.
        for member in 1..count {
            assert!(pairs.contains(&(0, member)));
        }
    }
}
