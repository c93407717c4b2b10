//! The exact tier's index: which distinct paragraph an xxh3 hash of normalized text is. It holds
//! one entry for every distinct paragraph of a scan, so its bytes an entry bound how much text one
//! machine can scan, and it is laid out for that:
//!
//! - the hashes sit in one array by paragraph number, in fixed-size chunks (no copy of the whole
//!   array when it grows, no capacity left unused but in the last chunk);
//! - the lookup tables hold 4-byte paragraph numbers only (a hash is compared through the array),
//!   in 256 tables picked by bits of the hash, so that growing one table copies a 256th of them.
//!
//! About 16 bytes a distinct paragraph at the tables' average load, against 32 for a standard
//! `HashMap<u64, u32>`, whose growth also holds the old and the new table at once (1.5 times the
//! whole index).

use hashbrown::HashTable;

/// Hashes a chunk of the hash array holds.
const CHUNK: usize = 1 << 16;
/// Lookup tables; a hash's bits 32-39 pick its table.
const TABLES: usize = 256;

/// Distinct paragraphs by exact hash, numbered 0, 1, 2... in the order they were added.
///
/// ```
/// use paradup_core::exact::ExactIndex;
///
/// let mut index = ExactIndex::default();
/// assert_eq!(index.insert(0xfeed), 0);
/// assert_eq!(index.insert(0xbeef), 1);
/// assert_eq!(index.get(0xbeef), Some(1));
/// assert_eq!(index.get(0xcafe), None);
/// assert_eq!(index.hash_of(0), 0xfeed);
/// ```
pub struct ExactIndex {
    tables: Vec<HashTable<u32>>,
    /// `chunks[i / CHUNK][i % CHUNK]` is paragraph `i`'s hash.
    chunks: Vec<Vec<u64>>,
    len: usize,
}

impl Default for ExactIndex {
    fn default() -> Self {
        ExactIndex {
            tables: (0..TABLES).map(|_| HashTable::new()).collect(),
            chunks: Vec::new(),
            len: 0,
        }
    }
}

/// The table a hash is looked up in: bits the tables' own positions (the low bits) and tags (the
/// top seven) do not use.
fn table_of(hash: u64) -> usize {
    (hash >> 32) as usize % TABLES
}

/// Paragraph `id`'s hash in the chunked array.
fn hash_in(chunks: &[Vec<u64>], id: u32) -> u64 {
    let id = id as usize;
    chunks[id / CHUNK][id % CHUNK]
}

impl ExactIndex {
    /// Distinct paragraphs held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing added yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The hash of paragraph `id` (which must be below [`ExactIndex::len`]).
    pub fn hash_of(&self, id: u32) -> u64 {
        hash_in(&self.chunks, id)
    }

    /// The number of the paragraph with hash `hash`, if added.
    pub fn get(&self, hash: u64) -> Option<u32> {
        self.tables[table_of(hash)]
            .find(hash, |&id| self.hash_of(id) == hash)
            .copied()
    }

    /// Adds `hash`, which must not be held yet, as the next paragraph; returns its number.
    pub fn insert(&mut self, hash: u64) -> u32 {
        let id = self.len as u32;
        if self.chunks.last().is_none_or(|chunk| chunk.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(hash);
        }
        self.len += 1;
        let chunks = &self.chunks;
        let hash_at = |&id: &u32| hash_in(chunks, id);
        self.tables[table_of(hash)].insert_unique(hash, id, hash_at);
        id
    }

    /// Room for `additional` more paragraphs without growing a table.
    pub fn reserve(&mut self, additional: usize) {
        let each = additional.div_ceil(TABLES);
        let chunks = &self.chunks;
        let hash_at = |&id: &u32| hash_in(chunks, id);
        for table in &mut self.tables {
            table.reserve(each, hash_at);
        }
    }

    /// Every hash, by paragraph number.
    pub fn hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.chunks.iter().flatten().copied()
    }

    /// Bytes the index holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        let tables: usize = self
            .tables
            .iter()
            .map(|t| t.capacity() * (std::mem::size_of::<u32>() + 1))
            .sum();
        let chunks: usize = self.chunks.iter().map(|c| c.capacity() * 8).sum();
        tables + chunks
    }

    /// Bytes its entries take, without the room its tables keep to grow: each table's entry (a
    /// number and a control byte) at the tables' full load of seven eighths, and each hash. What
    /// the index grows by a paragraph, on average over its growth.
    pub fn used_bytes(&self) -> usize {
        self.len() * (std::mem::size_of::<u32>() + 1) * 8 / 7 + self.len() * 8
    }

    /// Lets go of the lookup tables, keeping the hashes by number ([`ExactIndex::hash_of`] still
    /// answers; [`ExactIndex::get`] no longer finds anything).
    pub fn drop_lookup(&mut self) {
        for table in &mut self.tables {
            *table = HashTable::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a standard map: every hash added is found under its number, others are not,
        /// and the hashes come back in order.
        #[test]
        fn agrees_with_a_hash_map(hashes in proptest::collection::vec(any::<u64>(), 0..3000)) {
            let mut index = ExactIndex::default();
            let mut map = std::collections::HashMap::new();
            for &hash in &hashes {
                match map.get(&hash) {
                    Some(&id) => prop_assert_eq!(index.get(hash), Some(id)),
                    None => {
                        prop_assert_eq!(index.get(hash), None);
                        let id = index.insert(hash);
                        map.insert(hash, id);
                    }
                }
            }
            prop_assert_eq!(index.len(), map.len());
            let mut order: Vec<(u32, u64)> = map.iter().map(|(&h, &id)| (id, h)).collect();
            order.sort_unstable();
            let expected: Vec<u64> = order.into_iter().map(|(_, h)| h).collect();
            prop_assert_eq!(index.hashes().collect::<Vec<_>>(), expected);
        }
    }

    #[test]
    fn hashes_that_share_low_bits_stay_apart() {
        let mut index = ExactIndex::default();
        // Equal low 32 bits and equal table bits: only the top bits tell them apart.
        let hashes: Vec<u64> = (0..3_000u64).map(|i| (i << 40) | 0x1234_5678).collect();
        for &hash in &hashes {
            index.insert(hash);
        }
        for (id, &hash) in hashes.iter().enumerate() {
            assert_eq!(index.get(hash), Some(id as u32));
            assert_eq!(index.hash_of(id as u32), hash);
        }
        assert_eq!(index.get(0x1234_5678 | (7 << 60) | 1), None);
        assert!(index.heap_bytes() >= hashes.len() * 8);
        index.drop_lookup();
        assert_eq!(index.get(hashes[0]), None);
        assert_eq!(index.hash_of(5), hashes[5]);
    }
}
