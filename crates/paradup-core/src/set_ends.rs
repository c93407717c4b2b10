//! Where each shingle set ends in a table of sets laid end to end, in 4 bytes a set.
//!
//! The near tier keeps one such position a distinct paragraph, in memory even past a memory
//! budget (the sets themselves go to disk). Positions only grow, and a table passes 2^32 shingles
//! only on corpora of tens of gigabytes, so each is kept as its low 32 bits, with the few places
//! where the high bits step up kept aside: half of a `Vec<usize>`.

/// Ascending positions (`usize`), 4 bytes each.
#[derive(Clone, Debug, Default)]
pub struct SetEnds {
    /// Each position's low 32 bits.
    low: Vec<u32>,
    /// `steps[k]`: the first entry whose position is at least `(k + 1) << 32`.
    steps: Vec<usize>,
}

impl SetEnds {
    /// A table whose first entry is `first` (where the first set begins).
    pub fn starting_at(first: usize) -> SetEnds {
        let mut ends = SetEnds::default();
        ends.push(first);
        ends
    }

    /// Appends `position`, which must not be below the last one.
    pub fn push(&mut self, position: usize) {
        debug_assert!(self.last().is_none_or(|last| last <= position));
        let high = (position as u64 >> 32) as usize;
        while self.steps.len() < high {
            self.steps.push(self.low.len());
        }
        self.low.push(position as u32);
    }

    /// Entry `index`.
    ///
    /// # Panics
    /// When `index` is out of range, as a slice would.
    #[inline]
    pub fn get(&self, index: usize) -> usize {
        let low = self.low[index] as usize;
        if self.steps.is_empty() {
            return low;
        }
        let high = self.steps.partition_point(|&step| step <= index);
        ((high as u64) << 32) as usize | low
    }

    /// Where set `index` lies: from entry `index` to entry `index + 1`.
    #[inline]
    pub fn set(&self, index: usize) -> std::ops::Range<usize> {
        self.get(index)..self.get(index + 1)
    }

    /// The last entry.
    pub fn last(&self) -> Option<usize> {
        self.low.len().checked_sub(1).map(|index| self.get(index))
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.low.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.low.is_empty()
    }

    /// Makes room for `more` entries.
    pub fn reserve(&mut self, more: usize) {
        self.low.reserve(more);
    }

    /// Bytes of memory held, room to grow included.
    pub fn heap_bytes(&self) -> usize {
        self.low.capacity() * std::mem::size_of::<u32>()
            + self.steps.capacity() * std::mem::size_of::<usize>()
    }

    /// Bytes of memory the entries use.
    pub fn used_bytes(&self) -> usize {
        std::mem::size_of_val(self.low.as_slice()) + std::mem::size_of_val(self.steps.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Positions read back as pushed, across any number of 2^32 steps, including runs of
        /// equal positions (empty sets) and jumps over several steps at once.
        #[test]
        fn positions_read_back_as_pushed(steps in proptest::collection::vec((0u64..4, 0u64..1 << 33), 1..200)) {
            let mut position = 0u64;
            let mut expected = vec![0usize];
            let mut ends = SetEnds::starting_at(0);
            for (kind, amount) in steps {
                position += match kind {
                    0 => 0,
                    1 => amount % 64,
                    _ => amount,
                };
                expected.push(position as usize);
                ends.push(position as usize);
            }
            prop_assert_eq!(ends.len(), expected.len());
            for (index, &want) in expected.iter().enumerate() {
                prop_assert_eq!(ends.get(index), want);
            }
            for index in 0..expected.len() - 1 {
                prop_assert_eq!(ends.set(index), expected[index]..expected[index + 1]);
            }
            prop_assert_eq!(ends.last(), expected.last().copied());
        }
    }

    #[test]
    fn four_bytes_an_entry_below_four_gib() {
        let mut ends = SetEnds::starting_at(0);
        for position in (0..1000).map(|i| i * 37) {
            ends.push(position);
        }
        assert_eq!(ends.used_bytes(), 1001 * 4);
        assert_eq!(ends.get(1000), 999 * 37);
    }
}
