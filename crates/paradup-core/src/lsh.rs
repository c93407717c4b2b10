//! Locality-sensitive hashing finds the pairs of signatures worth verifying without comparing every
//! pair: signatures are cut into `bands` bands of `rows` values, and two paragraphs become a
//! candidate pair when any one band agrees exactly.
//!
//! A pair with Jaccard similarity `s` agrees on one band with probability `s^r`, and so becomes a
//! candidate with probability `P(s) = 1 - (1 - s^r)^b`: an S-curve whose steep part should sit just
//! below the threshold, so that pairs at the threshold are found and pairs far below it are not.

use rayon::prelude::*;
use serde::Serialize;

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
    /// use paradup_core::Banding;
    /// let banding = Banding { bands: 16, rows: 8 };
    /// // 0.8^8 = 0.168, 1 - (1 - 0.168)^16 = 0.947
    /// assert!((banding.candidate_probability(0.8) - 0.947).abs() < 0.001);
    /// assert!(banding.candidate_probability(0.5) < 0.07);
    /// ```
    pub fn candidate_probability(&self, similarity: f64) -> f64 {
        1.0 - (1.0 - similarity.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// Hashes needed: `bands * rows`.
    pub fn hashes(&self) -> usize {
        self.bands * self.rows
    }

    /// The false-candidate mass below `threshold`: `∫₀ᵗ P(s) ds`, the area under the S-curve left
    /// of the threshold. A pair whose similarity is spread evenly over `[0, t)` becomes a
    /// candidate with probability `mass / t`; the smaller the mass, the fewer pairs are checked in
    /// vain. Computed by the midpoint rule over 400 steps.
    pub fn false_candidate_mass(&self, threshold: f64) -> f64 {
        const STEPS: usize = 400;
        let width = threshold / STEPS as f64;
        (0..STEPS)
            .map(|i| self.candidate_probability((i as f64 + 0.5) * width))
            .sum::<f64>()
            * width
    }

    /// Chooses bands and rows for `threshold` from at most `num_hashes` signature values: the
    /// banding whose candidate probability at the threshold is at least [`TARGET_RECALL`] and
    /// whose [false-candidate mass](Banding::false_candidate_mass) is smallest (fewest hashes on
    /// a tie). When no banding reaches the target, the one with the highest probability at the
    /// threshold.
    ///
    /// The arithmetic: a pair of similarity `s` agrees on all `r` rows of a band with probability
    /// `s^r`, and on at least one of `b` bands with probability `P(s) = 1 - (1 - s^r)^b`. More
    /// rows push the S-curve right (fewer candidates below the threshold, more misses at it); more
    /// bands push it left. For each `r` the fewest bands reaching the target are
    /// `b = ⌈ln(1 - target) / ln(1 - t^r)⌉`, since more bands only add false candidates. At
    /// `t = 0.8` and 128 hashes:
    ///
    /// | b x r | P(0.8) | P(0.6) | P(0.5) | mass |
    /// |---|---|---|---|---|
    /// | 16 x 8 | 0.947 | 0.237 | 0.061 | 0.138 |
    /// | 17 x 7 | 0.982 | 0.383 | 0.125 | 0.179 |
    /// | 16 x 6 | 0.992 | 0.535 | 0.223 | 0.219 |
    ///
    /// 16 x 8 misses one pair in twenty at the threshold; 17 x 7 is the cheapest banding that
    /// finds 98 in 100.
    ///
    /// ```
    /// use paradup_core::Banding;
    /// let chosen = Banding::choose(0.8, 128);
    /// assert_eq!(chosen, Banding { bands: 17, rows: 7 });
    /// // 0.8^7 = 0.2097, 1 - (1 - 0.2097)^17 = 0.9817
    /// assert!((chosen.candidate_probability(0.8) - 0.9817).abs() < 0.0001);
    /// // 16 x 8 falls short of the target at the threshold.
    /// assert!(Banding { bands: 16, rows: 8 }.candidate_probability(0.8) < 0.95);
    /// // A stricter threshold takes more rows.
    /// assert!(Banding::choose(0.9, 128).rows > chosen.rows);
    /// ```
    pub fn choose(threshold: f64, num_hashes: usize) -> Banding {
        let threshold = threshold.clamp(0.0, 1.0);
        let num_hashes = num_hashes.max(1);
        // (reaches the target, probability at the threshold, mass, hashes, banding)
        let mut best: Option<(bool, f64, f64, usize, Banding)> = None;
        for rows in 1..=num_hashes {
            let max_bands = num_hashes / rows;
            let one_band = threshold.powi(rows as i32);
            let bands = if one_band >= 1.0 {
                1
            } else if one_band <= 0.0 {
                max_bands
            } else {
                let needed = ((1.0 - TARGET_RECALL).ln() / (1.0 - one_band).ln()).ceil();
                (needed.max(1.0) as usize).min(max_bands)
            };
            let banding = Banding { bands, rows };
            let p = banding.candidate_probability(threshold);
            let candidate = (
                p >= TARGET_RECALL,
                p,
                banding.false_candidate_mass(threshold),
                banding.hashes(),
                banding,
            );
            let better = match &best {
                None => true,
                Some(b) => match (candidate.0, b.0) {
                    (true, false) => true,
                    (false, true) => false,
                    (true, true) => (candidate.2, candidate.3) < (b.2, b.3),
                    (false, false) => (candidate.1, -candidate.2) > (b.1, -b.2),
                },
            };
            if better {
                best = Some(candidate);
            }
        }
        best.map(|b| b.4).unwrap_or(Banding {
            bands: 1,
            rows: num_hashes,
        })
    }
}

/// The candidate probability at the threshold that [`Banding::choose`] aims for: a pair exactly
/// at the threshold is found 98 times in 100, pairs above it more often still.
pub const TARGET_RECALL: f64 = 0.98;

/// The key of band `band` of a signature: its values folded into 64 bits, starting from a value
/// that depends on the band number so that equal values in different bands do not meet.
pub fn band_key(signature: &[u32], band: usize, rows: usize) -> u64 {
    // Each step `x -> mix(x ^ value)` is a bijection of the running key, so two bands that
    // differ in one value never collide, and other collisions are as rare as for any 64-bit
    // hash. A collision would only add a candidate pair, which verification then rejects.
    let mut key = (band as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for &value in &signature[band * rows..(band + 1) * rows] {
        key = (key ^ u64::from(value)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        key ^= key >> 31;
    }
    key
}

/// A bucket of at most this many members is expanded into all its pairs, each verified. A larger
/// one (thousands of near-identical variants sharing a band) is handed over whole, to be joined by
/// leader clustering with a bounded number of verifications a member
/// ([`crate::cluster::join_large_bucket`]).
pub const FULL_PAIRING_LIMIT: usize = 64;

/// What LSH proposes for verification: pairs from buckets of at most [`FULL_PAIRING_LIMIT`]
/// members, and the larger buckets whole.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Every pair of every small bucket, each pair once, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// The members of each larger bucket, in item order; buckets in band order, then by key.
    pub large_buckets: Vec<Vec<u32>>,
}

/// Writes the band keys of one signature into `keys` (one per band).
pub fn band_keys_into(signature: &[u32], banding: Banding, keys: &mut [u64]) {
    for (band, key) in keys.iter_mut().enumerate().take(banding.bands) {
        *key = band_key(signature, band, banding.rows);
    }
}

/// Band keys of many items, stored as blocks (one a batch of items) laid out a band at a time:
/// bucketing a band reads each block's run of that band's keys end to end, and adding a batch
/// allocates one block of the exact size, so no large vector is ever regrown and copied.
#[derive(Clone, Debug, Default)]
pub struct BandKeyTable {
    bands: usize,
    items: usize,
    /// `(items in the block, keys)`, the keys of band `b` at `b * items .. (b + 1) * items`.
    blocks: Vec<(usize, Vec<u64>)>,
}

impl BandKeyTable {
    /// An empty table of `bands` keys an item.
    pub fn new(bands: usize) -> Self {
        BandKeyTable {
            bands,
            items: 0,
            blocks: Vec::new(),
        }
    }

    /// Appends items whose keys are laid out an item at a time (`bands` keys each).
    pub fn push_items(&mut self, item_major: &[u64]) {
        let bands = self.bands.max(1);
        let count = item_major.len() / bands;
        if count == 0 {
            return;
        }
        let mut block = vec![0u64; count * bands];
        for (item, keys) in item_major.chunks_exact(bands).enumerate() {
            for (band, &key) in keys.iter().enumerate() {
                block[band * count + item] = key;
            }
        }
        self.items += count;
        self.blocks.push((count, block));
    }

    /// Number of items.
    pub fn items(&self) -> usize {
        self.items
    }

    /// Keys an item.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Bytes the table holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.blocks.capacity() * std::mem::size_of::<(usize, Vec<u64>)>()
            + self
                .blocks
                .iter()
                .map(|(_, keys)| keys.capacity() * std::mem::size_of::<u64>())
                .sum::<usize>()
    }

    /// Band `band`'s key of every item, in item order.
    pub fn column(&self, band: usize) -> impl Iterator<Item = u64> + Clone + '_ {
        self.blocks
            .iter()
            .flat_map(move |(count, keys)| keys[band * count..(band + 1) * count].iter().copied())
    }
}

/// The candidates of one band, from that band's key of every item (in item order, `items` of
/// them): the `(lower, higher)` pairs of buckets of at most [`FULL_PAIRING_LIMIT`] members, and
/// the larger buckets' members in item order, buckets by key. Deterministic: both depend only on
/// the keys, not on the thread count.
pub fn band_candidates_in(column: impl Iterator<Item = u64> + Clone, items: usize) -> Candidates {
    band_candidates_from(column, items, 0)
}

/// [`band_candidates_in`], keeping only what involves an item numbered `first_counted` or more:
/// the pairs whose higher item is one, and the large buckets whose last member is one. (A scan
/// against a shard index does not verify two indexed paragraphs, which come first, again.) A
/// bucket is large or small by all its members, counted or not, so what is kept is what
/// [`band_candidates_in`] gives, less the rest.
pub fn band_candidates_from(
    column: impl Iterator<Item = u64> + Clone,
    items: usize,
    first_counted: u32,
) -> Candidates {
    let numbered = column.enumerate().map(|(item, key)| (item as u32, key));
    band_candidates_among(numbered, items, first_counted)
}

/// [`band_candidates_from`] over some of the items only: `column` gives each item taken part
/// with its key, in item order; the rest are in no bucket, as if they were not there. (`items`
/// bounds the numbers.)
pub fn band_candidates_among(
    column: impl Iterator<Item = (u32, u64)> + Clone,
    items: usize,
    first_counted: u32,
) -> Candidates {
    // Most keys occur once and make no pair. A few bits a slot over the keys' top bits (seen,
    // seen again, and, when some items are not counted, seen for a counted item; side by side,
    // so one memory access serves them) find the slots hit more than once, by a counted item
    // among others; only the keys in those slots (every repeated key with a counted item among
    // them) are sorted into buckets.
    let slot_bits = (items.max(1) * 16)
        .next_power_of_two()
        .trailing_zeros()
        .clamp(10, 30);
    let slot = |key: u64| (key >> (64 - slot_bits)) as usize;
    // Bits a slot: two when every item is counted (as a scan without an index has it).
    let width: usize = if first_counted == 0 { 2 } else { 4 };
    let per_word = 64 / width;
    let wanted_bits: u64 = if first_counted == 0 { 0b1 } else { 0b11 };
    let mut states = vec![0u64; (1usize << slot_bits) / per_word];
    for (item, key) in column.clone() {
        let (word, shift) = (slot(key) / per_word, (slot(key) % per_word) * width);
        let seen = (states[word] >> shift) & 1;
        let counted = u64::from(item >= first_counted && width == 4);
        states[word] |= (1 | (seen << 1) | (counted << 2)) << shift;
    }
    let wanted = |key: u64| {
        let state = states[slot(key) / per_word] >> ((slot(key) % per_word) * width + 1);
        state & wanted_bits == wanted_bits
    };
    let mut keyed: Vec<(u64, u32)> = column
        .filter(|&(_, key)| wanted(key))
        .map(|(item, key)| (key, item))
        .collect();
    keyed.sort_unstable();
    let mut pairs = Vec::new();
    let mut large = Vec::new();
    for bucket in keyed.chunk_by(|a, b| a.0 == b.0) {
        // Items are in order within a bucket: the counted ones are its end.
        let counted = bucket.partition_point(|&(_, item)| item < first_counted);
        if counted == bucket.len() {
            continue;
        }
        if bucket.len() <= FULL_PAIRING_LIMIT {
            for (j, &(_, b)) in bucket.iter().enumerate().skip(counted) {
                for &(_, a) in &bucket[..j] {
                    pairs.push((a, b));
                }
            }
        } else {
            large.push(bucket.iter().map(|&(_, item)| item).collect());
        }
    }
    Candidates {
        pairs,
        large_buckets: large,
    }
}

/// The candidates of every band: small buckets' pairs, each pair once, sorted, and the large
/// buckets in band order. Bands are bucketed in parallel, one band a task.
pub fn candidates_in(table: &BandKeyTable) -> Candidates {
    candidates_from(table, 0)
}

/// [`candidates_in`], keeping only what involves an item numbered `first_counted` or more (see
/// [`band_candidates_from`]).
pub fn candidates_from(table: &BandKeyTable, first_counted: u32) -> Candidates {
    let per_band: Vec<Candidates> = (0..table.bands())
        .into_par_iter()
        .map(|band| band_candidates_from(table.column(band), table.items(), first_counted))
        .collect();
    let mut pairs = Vec::with_capacity(per_band.iter().map(|b| b.pairs.len()).sum());
    let mut large_buckets = Vec::new();
    for band in per_band {
        pairs.extend(band.pairs);
        large_buckets.extend(band.large_buckets);
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    Candidates {
        pairs,
        large_buckets,
    }
}

/// The band keys of signatures laid end to end (each `num_perm` long).
pub fn band_keys(signatures: &[u32], num_perm: usize, banding: Banding) -> BandKeyTable {
    let mut item_major = vec![0u64; signatures.len() / num_perm * banding.bands];
    item_major
        .par_chunks_mut(banding.bands)
        .zip(signatures.par_chunks_exact(num_perm))
        .for_each(|(keys, signature)| band_keys_into(signature, banding, keys));
    let mut table = BandKeyTable::new(banding.bands);
    table.push_items(&item_major);
    table
}

/// The candidates of one band (small buckets' pairs, large buckets), for signatures laid end to
/// end in `signatures` (each `num_perm` long).
pub fn band_candidates(
    signatures: &[u32],
    num_perm: usize,
    banding: Banding,
    band: usize,
) -> Candidates {
    let table = band_keys(signatures, num_perm, banding);
    band_candidates_in(table.column(band), table.items())
}

/// The candidates of every band, for signatures laid end to end.
pub fn candidates(signatures: &[u32], num_perm: usize, banding: Banding) -> Candidates {
    candidates_in(&band_keys(signatures, num_perm, banding))
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
    fn chooser_reaches_the_target_within_the_hashes() {
        for num_hashes in [16, 32, 64, 128, 256] {
            for step in 5..=19 {
                let threshold = step as f64 / 20.0;
                let chosen = Banding::choose(threshold, num_hashes);
                assert!(chosen.hashes() <= num_hashes, "{chosen:?}");
                assert!(chosen.bands >= 1 && chosen.rows >= 1);
                let p = chosen.candidate_probability(threshold);
                // Every banding that reaches the target has at least the chosen one's mass.
                let mass = chosen.false_candidate_mass(threshold);
                for rows in 1..=num_hashes {
                    for bands in 1..=num_hashes / rows {
                        let other = Banding { bands, rows };
                        let q = other.candidate_probability(threshold);
                        if p >= TARGET_RECALL {
                            if q >= TARGET_RECALL {
                                assert!(other.false_candidate_mass(threshold) >= mass - 1e-12);
                            }
                        } else {
                            assert!(q <= p + 1e-12, "{other:?} beats {chosen:?} at {threshold}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn chooser_edge_cases() {
        // A threshold of 1 needs no spread: one band of every hash.
        assert_eq!(Banding::choose(1.0, 64), Banding { bands: 1, rows: 64 });
        // Too few hashes to reach the target: the best that fits.
        let few = Banding::choose(0.8, 2);
        assert!(few.hashes() <= 2);
        assert_eq!(few, Banding { bands: 2, rows: 1 });
        // The mass of a curve that is 1 everywhere is the threshold itself.
        let all = Banding { bands: 1, rows: 1 };
        assert!((all.false_candidate_mass(0.5) - 0.125).abs() < 1e-6);
    }

    #[test]
    fn candidates_from_keep_what_involves_a_counted_item_and_size_buckets_by_all() {
        // Band 0: a bucket of items 0, 1 and 5, one of items 2 and 3, then two large buckets
        // (items 10 on, then the rest). Band 1: one bucket, of items 6 and 7.
        let small = FULL_PAIRING_LIMIT as u32;
        let items = 10 + 2 * (small as usize + 1);
        let mut band0 = vec![0u64; items];
        let mut band1: Vec<u64> = (0..items as u64).map(|i| 1_000_000 + i).collect();
        for (item, key) in band0.iter_mut().enumerate() {
            *key = 500_000 + item as u64;
        }
        for item in [0, 1, 5] {
            band0[item] = 11;
        }
        for item in [2, 3] {
            band0[item] = 22;
        }
        let large_start = 10usize;
        band0[large_start..large_start + small as usize + 1].fill(33);
        band0[large_start + small as usize + 1..items].fill(44);
        band1[6] = 66;
        band1[7] = 66;
        let mut item_major = Vec::with_capacity(items * 2);
        for item in 0..items {
            item_major.push(band0[item]);
            item_major.push(band1[item]);
        }
        let mut table = BandKeyTable::new(2);
        table.push_items(&item_major);
        let all = candidates_in(&table);
        assert_eq!(all, candidates_from(&table, 0));
        // Counting from item 5: pairs whose higher member is 5 or more; both large buckets end
        // above 5, so both are kept, whole.
        let from5 = candidates_from(&table, 5);
        let expected: Vec<(u32, u32)> =
            all.pairs.iter().copied().filter(|&(_, b)| b >= 5).collect();
        assert_eq!(from5.pairs, expected);
        assert_eq!(from5.pairs, vec![(0, 5), (1, 5), (6, 7)]);
        assert_eq!(from5.large_buckets, all.large_buckets);
        // Counting from past the first large bucket: it goes; the second stays whole (more than
        // FULL_PAIRING_LIMIT members though only some are counted), and no pair is left.
        let first_counted = (large_start + small as usize + 1 + 3) as u32;
        let late = candidates_from(&table, first_counted);
        assert!(late.pairs.is_empty());
        assert_eq!(late.large_buckets.len(), 1);
        assert_eq!(late.large_buckets[0], all.large_buckets[1]);
        assert_eq!(late.large_buckets[0].len(), small as usize + 1);
    }

    #[test]
    fn band_keys_tell_bands_and_values_apart() {
        let signature: Vec<u32> = (0..16).collect();
        let mut keys: Vec<u64> = (0..4).map(|band| band_key(&signature, band, 4)).collect();
        // The same values in two bands give two keys.
        let repeated = [7u32; 8];
        keys.push(band_key(&repeated, 0, 4));
        keys.push(band_key(&repeated, 1, 4));
        // One value changed changes the key.
        let mut changed = signature.clone();
        changed[2] ^= 1;
        keys.push(band_key(&changed, 0, 4));
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count);
    }

    #[test]
    fn table_columns_run_across_blocks_in_item_order() {
        let mut table = BandKeyTable::new(2);
        table.push_items(&[10, 20, 11, 21]);
        table.push_items(&[]);
        table.push_items(&[12, 22]);
        assert_eq!(table.items(), 3);
        assert_eq!(table.column(0).collect::<Vec<_>>(), [10, 11, 12]);
        assert_eq!(table.column(1).collect::<Vec<_>>(), [20, 21, 22]);
    }

    #[test]
    fn bucketing_a_large_band_finds_every_equal_key_pair() {
        // Every third item's key repeats, spread over the whole key range by a multiplicative
        // mix; the rest are distinct.
        let items = 20_000u32;
        let key_of = |item: u32| {
            let group = if item % 3 == 0 {
                item % 997
            } else {
                1_000_000 + item
            };
            u64::from(group).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555
        };
        let column: Vec<u64> = (0..items).map(key_of).collect();
        let mut expected = Vec::new();
        let mut by_key: std::collections::BTreeMap<u64, Vec<u32>> = Default::default();
        for (item, &key) in column.iter().enumerate() {
            by_key.entry(key).or_default().push(item as u32);
        }
        for members in by_key.values() {
            for (i, &a) in members.iter().enumerate() {
                for &b in &members[i + 1..] {
                    expected.push((a, b));
                }
            }
        }
        expected.sort_unstable();
        let Candidates {
            pairs: mut found,
            large_buckets,
        } = band_candidates_in(column.iter().copied(), column.len());
        assert!(large_buckets.is_empty());
        found.sort_unstable();
        assert!(!expected.is_empty());
        assert_eq!(found, expected);
    }

    #[test]
    fn all_bands_give_each_pair_once() {
        let num_perm = 4;
        let banding = Banding { bands: 2, rows: 2 };
        // 0 and 2 agree on both bands, 1 and 3 on the second only.
        let signatures = [1, 2, 3, 4, 9, 9, 7, 7, 1, 2, 3, 4, 8, 8, 7, 7];
        assert_eq!(
            candidates(&signatures, num_perm, banding),
            Candidates {
                pairs: vec![(0, 2), (1, 3)],
                large_buckets: Vec::new(),
            }
        );
    }

    #[test]
    fn equal_bands_pair_up() {
        let num_perm = 4;
        let banding = Banding { bands: 2, rows: 2 };
        // Signatures 0 and 2 share band 0; 1 shares nothing with anyone.
        let signatures = [1, 2, 3, 4, 9, 9, 9, 9, 1, 2, 7, 7];
        assert_eq!(
            band_candidates(&signatures, num_perm, banding, 0),
            Candidates {
                pairs: vec![(0, 2)],
                large_buckets: Vec::new(),
            }
        );
        assert_eq!(
            band_candidates(&signatures, num_perm, banding, 1),
            Candidates::default()
        );
    }

    #[test]
    fn large_buckets_are_handed_over_whole_in_item_order() {
        let num_perm = 2;
        let banding = Banding { bands: 2, rows: 1 };
        // Items 0, 2, 4, ... share their first value; the rest share it in pairs.
        let count = FULL_PAIRING_LIMIT as u32 * 3;
        let signatures: Vec<u32> = (0..count)
            .flat_map(|i| {
                if i % 2 == 0 {
                    [5, i]
                } else {
                    [1000 + i / 4, i]
                }
            })
            .collect();
        let found = candidates(&signatures, num_perm, banding);
        let evens: Vec<u32> = (0..count).step_by(2).collect();
        assert_eq!(found.large_buckets, [evens]);
        // The odd items pair up in buckets of two: (1, 3), (5, 7), ...
        let odd_pairs: Vec<(u32, u32)> = (0..count / 4).map(|k| (4 * k + 1, 4 * k + 3)).collect();
        assert_eq!(found.pairs, odd_pairs);
    }
}
