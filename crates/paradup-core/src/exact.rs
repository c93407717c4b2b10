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
//!
//! Past a memory budget the index stops growing: [`ExactOverflow`] numbers the paragraphs it does
//! not hold in a small recent index, written out in sorted runs of (hash, number) as it fills,
//! and the runs' merge finds the paragraphs numbered twice ([`ExactAliases`]).

use crate::spill::{SortedRuns, SpillError, SpillFolder};
use hashbrown::HashTable;
use std::collections::HashMap;

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

/// The exact tier past a memory budget, beside an [`ExactIndex`] that no longer grows: each
/// paragraph it is handed that neither index holds gets the next number, and the numbers of a
/// recent stretch are held in a small index of their own. Once that index is full
/// ([`ExactOverflow::is_full`]) its (hash, number) pairs go to the spill folder as a sorted run and
/// it starts again. A paragraph whose text was last seen before such a run is numbered anew; the
/// merge of the runs ([`ExactOverflow::into_aliases`]) tells each such later number the first.
///
/// ```
/// use paradup_core::exact::ExactOverflow;
/// use paradup_core::spill::SpillFolder;
///
/// let folder = SpillFolder::create_in(&std::env::temp_dir())?;
/// // Numbers from 10 on (the frozen index holds 0 to 9).
/// let mut overflow = ExactOverflow::new(10, 0);
/// assert_eq!(overflow.insert(0xaa), 10);
/// assert_eq!(overflow.get(0xaa), Some(10));
/// assert!(overflow.is_full());
/// overflow.flush(&folder)?;
/// // Written out: the same text is numbered anew, and the merge says it is number 10.
/// assert_eq!(overflow.get(0xaa), None);
/// assert_eq!(overflow.insert(0xaa), 11);
/// let aliases = overflow.into_aliases(&folder)?;
/// assert_eq!(aliases.first_of(11), 10);
/// assert_eq!(aliases.first_of(10), 10);
/// assert_eq!(aliases.len(), 1);
/// # Ok::<(), paradup_core::spill::SpillError>(())
/// ```
pub struct ExactOverflow {
    /// The first number it gave.
    first_id: u32,
    recent: ExactIndex,
    /// The number of `recent`'s first paragraph.
    first_recent: u32,
    /// Bytes `recent` may take ([`ExactIndex::used_bytes`]) before it is written out.
    cap_bytes: usize,
    runs: SortedRuns<(u64, u32)>,
}

impl ExactOverflow {
    /// Numbers from `first_id` on; the recent index is full at `cap_bytes`.
    pub fn new(first_id: u32, cap_bytes: usize) -> Self {
        ExactOverflow {
            first_id,
            recent: ExactIndex::default(),
            first_recent: first_id,
            cap_bytes,
            runs: SortedRuns::new("exact", usize::MAX),
        }
    }

    /// The number of the paragraph with hash `hash`, if it is in the recent stretch.
    pub fn get(&self, hash: u64) -> Option<u32> {
        self.recent.get(hash).map(|local| self.first_recent + local)
    }

    /// Numbers `hash`, which [`ExactOverflow::get`] does not find, with the next number.
    pub fn insert(&mut self, hash: u64) -> u32 {
        self.first_recent + self.recent.insert(hash)
    }

    /// Whether the recent index holds its share of the budget and should be written out.
    pub fn is_full(&self) -> bool {
        self.recent.used_bytes() >= self.cap_bytes
    }

    /// Bytes the recent index takes, as [`ExactIndex::used_bytes`] counts them.
    pub fn used_bytes(&self) -> usize {
        self.recent.used_bytes()
    }

    /// Bytes it holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.recent.heap_bytes()
    }

    /// The first number it gave (or gives): none below it is an alias.
    pub fn first_id(&self) -> u32 {
        self.first_id
    }

    /// Sorted runs written so far.
    pub fn run_count(&self) -> usize {
        self.runs.run_count()
    }

    /// Writes the recent index to `folder` as a sorted run, and starts a new one.
    pub fn flush(&mut self, folder: &SpillFolder) -> Result<(), SpillError> {
        let recent = std::mem::take(&mut self.recent);
        let first = self.first_recent;
        self.first_recent += recent.len() as u32;
        self.runs.reserve_exact(recent.len());
        self.runs.push(folder, recent.hashes().zip(first..))?;
        drop(recent);
        self.runs.seal(folder)
    }

    /// Every number given to a paragraph whose text had a smaller one, with that smallest number
    /// (its first occurrence): the runs merged by hash.
    pub fn into_aliases(mut self, folder: &SpillFolder) -> Result<ExactAliases, SpillError> {
        self.flush(folder)?;
        let mut first_of = HashMap::new();
        // One run holds each hash once: only two or more can number a text twice.
        if self.runs.run_count() > 1 {
            let mut merged = self.runs.into_merged(folder)?;
            let mut current: Option<(u64, u32)> = None;
            loop {
                let chunk = merged.next_chunk(1 << 16)?;
                if chunk.is_empty() {
                    break;
                }
                for (hash, id) in chunk {
                    match current {
                        // Sorted by hash, then number: the first of a hash is its smallest.
                        Some((current_hash, first)) if current_hash == hash => {
                            first_of.insert(id, first);
                        }
                        _ => current = Some((hash, id)),
                    }
                }
            }
        }
        Ok(ExactAliases { first_of })
    }
}

/// Paragraph numbers given to a text that already had one ([`ExactOverflow::into_aliases`]), each
/// with the text's first number.
#[derive(Debug, Default)]
pub struct ExactAliases {
    first_of: HashMap<u32, u32>,
}

impl ExactAliases {
    /// The first number of the text numbered `id` (`id` itself unless it is an alias).
    pub fn first_of(&self, id: u32) -> u32 {
        self.first_of.get(&id).copied().unwrap_or(id)
    }

    /// Aliases found.
    pub fn len(&self) -> usize {
        self.first_of.len()
    }

    /// No alias found.
    pub fn is_empty(&self) -> bool {
        self.first_of.is_empty()
    }

    /// Every alias, unordered.
    pub fn aliases(&self) -> impl Iterator<Item = u32> + '_ {
        self.first_of.keys().copied()
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

    proptest! {
        /// Against a standard map over the whole stream: a frozen index, then an overflow
        /// written out every few paragraphs, number each text's first occurrence as the map does,
        /// once its aliases are resolved.
        #[test]
        fn an_overflow_with_its_aliases_numbers_first_occurrences(
            hashes in proptest::collection::vec(0u64..400, 0..2000),
            frozen_at in 0usize..200,
            cap in 0usize..300,
        ) {
            let parent = tempfile::tempdir().unwrap();
            let folder = SpillFolder::create_in(parent.path()).unwrap();
            let mut index = ExactIndex::default();
            let mut overflow: Option<ExactOverflow> = None;
            let mut given = Vec::new();
            let mut next = 0u32;
            for &hash in &hashes {
                let found = index
                    .get(hash)
                    .or_else(|| overflow.as_ref().and_then(|o| o.get(hash)));
                let id = match found {
                    Some(id) => id,
                    None => {
                        let id = match overflow.as_mut() {
                            Some(o) => o.insert(hash),
                            None => index.insert(hash),
                        };
                        prop_assert_eq!(id, next);
                        next += 1;
                        id
                    }
                };
                given.push(id);
                if overflow.is_none() && index.len() >= frozen_at {
                    overflow = Some(ExactOverflow::new(index.len() as u32, cap));
                }
                if let Some(o) = overflow.as_mut() {
                    if o.is_full() {
                        o.flush(&folder).unwrap();
                    }
                }
            }
            let aliases = match overflow {
                Some(o) => o.into_aliases(&folder).unwrap(),
                None => ExactAliases::default(),
            };
            let mut first = std::collections::HashMap::new();
            for (&hash, &id) in hashes.iter().zip(&given) {
                let resolved = aliases.first_of(id);
                let expected = *first.entry(hash).or_insert(resolved);
                prop_assert_eq!(resolved, expected);
                // The first number is the smallest the text was given.
                prop_assert!(resolved <= id);
            }
            let distinct: std::collections::HashSet<u64> = hashes.iter().copied().collect();
            prop_assert_eq!(next as usize - aliases.len(), distinct.len());
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
