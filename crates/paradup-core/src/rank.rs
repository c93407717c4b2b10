//! Which distinct paragraphs are in the near tier, and the near-tier number of each, in about a
//! fifth of a byte a paragraph instead of a 4-byte number: near-tier numbers are given in the
//! order the distinct paragraphs are, so a paragraph's number is the count of near-tier
//! paragraphs before it (its rank in a bit vector). At tens of millions of distinct paragraphs
//! that is the difference between tens of megabytes and a few.

/// Bits a block whose rank is kept: a 4-byte count every 512 bits.
const BLOCK_WORDS: usize = 8;

/// Set bits between two samples of where they are: the block of every 512th set bit is kept,
/// so that finding the `n`th set bit searches the few blocks between two samples.
const SELECT_SAMPLE: u32 = 512;

/// A growable bit vector that counts its set bits before any position in constant time.
///
/// ```
/// use paradup_core::rank::RankBits;
///
/// let mut bits = RankBits::default();
/// for bit in [true, false, false, true, true] {
///     bits.push(bit);
/// }
/// assert_eq!(bits.len(), 5);
/// assert_eq!(bits.ones(), 3);
/// assert!(bits.get(3));
/// assert_eq!(bits.rank(3), 1);
/// assert_eq!(bits.rank_of_set(4), Some(2));
/// assert_eq!(bits.rank_of_set(1), None);
/// assert_eq!(bits.select(2), Some(4));
/// assert_eq!(bits.select(3), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RankBits {
    words: Vec<u64>,
    /// Set bits before each block of `BLOCK_WORDS` words.
    block_ranks: Vec<u32>,
    /// The block of set bit number `k * SELECT_SAMPLE`, for each `k`.
    select_samples: Vec<u32>,
    len: usize,
    ones: u32,
}

impl RankBits {
    /// Bits held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No bit held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Set bits held.
    pub fn ones(&self) -> u32 {
        self.ones
    }

    /// Room for `additional` more bits without growing.
    pub fn reserve(&mut self, additional: usize) {
        let words = (self.len + additional).div_ceil(64);
        self.words.reserve(words.saturating_sub(self.words.len()));
        let blocks = words.div_ceil(BLOCK_WORDS);
        self.block_ranks
            .reserve(blocks.saturating_sub(self.block_ranks.len()));
    }

    /// Appends `bit`.
    pub fn push(&mut self, bit: bool) {
        if self.len % 64 == 0 {
            if self.words.len() % BLOCK_WORDS == 0 {
                self.block_ranks.push(self.ones);
            }
            self.words.push(0);
        }
        if bit {
            if let Some(word) = self.words.last_mut() {
                *word |= 1 << (self.len % 64);
            }
            if self.ones % SELECT_SAMPLE == 0 {
                self.select_samples
                    .push(((self.words.len() - 1) / BLOCK_WORDS) as u32);
            }
            self.ones += 1;
        }
        self.len += 1;
    }

    /// Bit `index` (below [`RankBits::len`]).
    pub fn get(&self, index: usize) -> bool {
        self.words[index / 64] >> (index % 64) & 1 == 1
    }

    /// Set bits before `index` (at most [`RankBits::len`]).
    pub fn rank(&self, index: usize) -> u32 {
        let word = index / 64;
        let block = word / BLOCK_WORDS;
        let mut rank = self.block_ranks.get(block).copied().unwrap_or(self.ones);
        for &whole in &self.words[block * BLOCK_WORDS..word] {
            rank += whole.count_ones();
        }
        if index % 64 != 0 {
            rank += (self.words[word] & ((1u64 << (index % 64)) - 1)).count_ones();
        }
        rank
    }

    /// The rank of bit `index` when it is set ([`RankBits::rank`]), `None` when it is not.
    pub fn rank_of_set(&self, index: usize) -> Option<u32> {
        self.get(index).then(|| self.rank(index))
    }

    /// The position of set bit number `nth` (from 0): the inverse of [`RankBits::rank`] over set
    /// bits; `None` when fewer bits are set.
    pub fn select(&self, nth: u32) -> Option<usize> {
        if nth >= self.ones {
            return None;
        }
        // The blocks between the samples around it; the last block whose count before it is at
        // most `nth` holds it.
        let sample = (nth / SELECT_SAMPLE) as usize;
        let first = self.select_samples[sample] as usize;
        let last = self
            .select_samples
            .get(sample + 1)
            .map_or(self.block_ranks.len(), |&block| block as usize + 1);
        let within = self.block_ranks[first..last].partition_point(|&rank| rank <= nth);
        let block = first + within.saturating_sub(1);
        let mut left = nth - self.block_ranks[block];
        let words = &self.words[block * BLOCK_WORDS..];
        for (offset, &word) in words.iter().enumerate().take(BLOCK_WORDS) {
            let count = word.count_ones();
            if left < count {
                let position = (block * BLOCK_WORDS + offset) * 64;
                return Some(position + select_in_word(word, left) as usize);
            }
            left -= count;
        }
        None
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
            + self.block_ranks.capacity() * 4
            + self.select_samples.capacity() * 4
    }

    /// Bytes its bits and counts take, without room to grow.
    pub fn used_bytes(&self) -> usize {
        self.words.len() * 8 + self.block_ranks.len() * 4 + self.select_samples.len() * 4
    }
}

/// The position in `word` of its set bit number `nth` (from 0; fewer than its set bits): a byte
/// at a time, then a bit at a time within the byte.
fn select_in_word(word: u64, nth: u32) -> u32 {
    let mut left = nth;
    for byte in 0..8 {
        let bits = (word >> (byte * 8)) as u8;
        let count = bits.count_ones();
        if left < count {
            let mut bits = bits;
            for _ in 0..left {
                bits &= bits - 1;
            }
            return byte * 8 + bits.trailing_zeros();
        }
        left -= count;
    }
    64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against counting: every position's bit and rank, across blocks.
        #[test]
        fn ranks_count_the_set_bits_before(bits in proptest::collection::vec(any::<bool>(), 0..3000)) {
            let mut ranked = RankBits::default();
            for &bit in &bits {
                ranked.push(bit);
            }
            prop_assert_eq!(ranked.len(), bits.len());
            let mut before = 0u32;
            for (index, &bit) in bits.iter().enumerate() {
                prop_assert_eq!(ranked.get(index), bit);
                prop_assert_eq!(ranked.rank(index), before);
                prop_assert_eq!(ranked.rank_of_set(index), bit.then_some(before));
                before += u32::from(bit);
            }
            prop_assert_eq!(ranked.rank(bits.len()), before);
            prop_assert_eq!(ranked.ones(), before);
        }

        /// Against listing the set bits: each one's position, for sparse and dense vectors
        /// across many blocks and samples.
        #[test]
        fn select_finds_each_set_bit(
            gaps in proptest::collection::vec(0usize..700, 0..3000),
            dense_run in 0usize..3000,
        ) {
            let mut positions = Vec::new();
            let mut ranked = RankBits::default();
            for gap in gaps {
                for _ in 0..gap {
                    ranked.push(false);
                }
                positions.push(ranked.len());
                ranked.push(true);
            }
            for _ in 0..dense_run {
                positions.push(ranked.len());
                ranked.push(true);
            }
            for (nth, &position) in positions.iter().enumerate() {
                prop_assert_eq!(ranked.select(nth as u32), Some(position));
                prop_assert_eq!(ranked.rank(position), nth as u32);
            }
            prop_assert_eq!(ranked.select(positions.len() as u32), None);
        }
    }
}
