//! Which distinct paragraphs are in the near tier, and the near-tier number of each, in about a
//! fifth of a byte a paragraph instead of a 4-byte number: near-tier numbers are given in the
//! order the distinct paragraphs are, so a paragraph's number is the count of near-tier
//! paragraphs before it (its rank in a bit vector). At tens of millions of distinct paragraphs
//! that is the difference between tens of megabytes and a few.

/// Bits a block whose rank is kept: a 4-byte count every 512 bits.
const BLOCK_WORDS: usize = 8;

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
/// ```
#[derive(Clone, Debug, Default)]
pub struct RankBits {
    words: Vec<u64>,
    /// Set bits before each block of `BLOCK_WORDS` words.
    block_ranks: Vec<u32>,
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

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8 + self.block_ranks.capacity() * 4
    }

    /// Bytes its bits and counts take, without room to grow.
    pub fn used_bytes(&self) -> usize {
        self.words.len() * 8 + self.block_ranks.len() * 4
    }
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
    }
}
