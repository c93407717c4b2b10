//! The texts of the input's distinct paragraphs as they were first read, kept while they fit a
//! limit. A cluster's canonical copy is the first occurrence of one of them, so a report on a
//! corpus small enough needs no second read of its inputs (which costs as much as parsing them
//! again, and more for compressed or Parquet inputs); past the limit they are dropped, and the
//! texts are read back from the inputs as before.

use crate::segment::Span;

/// Most bytes the texts take, with their keys, in a scan without a memory budget. With one, the
/// limit is the smaller of this and a sixteenth of the budget.
pub const FIRST_COPIES_LIMIT: usize = 64 << 20;

/// Bytes a text costs besides its own: its key and where it ends.
const BYTES_PER_ENTRY: usize = 12;

/// Bytes of text a chunk holds (more only for a longer text, alone in its chunk): chunks of a
/// fixed size, rather than one string grown by doubling, hold what they are given without up to
/// as much again unused, and are never copied to grow.
const CHUNK_BYTES: usize = 1 << 20;

/// First occurrences' texts, by document and start offset, in input order.
#[derive(Clone, Debug)]
pub struct FirstCopies {
    /// `document << 32 | start` of each text, ascending (the input's order).
    keys: Vec<u64>,
    /// Where each text ends in its chunk.
    ends: Vec<u32>,
    /// The texts, end to end, a chunk after another.
    chunks: Vec<String>,
    /// The number of the first text of each chunk.
    chunk_firsts: Vec<u32>,
    /// Bytes of text held.
    text_bytes: usize,
    limit: usize,
}

impl FirstCopies {
    /// An empty store that holds at most `limit` bytes (not above `u32::MAX`).
    pub fn new(limit: usize) -> FirstCopies {
        FirstCopies {
            keys: Vec::new(),
            ends: Vec::new(),
            chunks: Vec::new(),
            chunk_firsts: Vec::new(),
            text_bytes: 0,
            limit: limit.min(u32::MAX as usize),
        }
    }

    /// Keeps `text`, the paragraph at `span` of document `doc`, which comes after every text kept
    /// so far. Returns `false`, keeping nothing, when the store would pass its limit: it is then
    /// of no use (a later canonical copy could be missing) and should be dropped.
    pub fn push(&mut self, doc: u32, span: Span, text: &str) -> bool {
        let Ok(start) = u32::try_from(span.start) else {
            return false;
        };
        let key = (doc as u64) << 32 | start as u64;
        if self.bytes() + BYTES_PER_ENTRY + text.len() > self.limit
            || self.keys.last().is_some_and(|&last| last >= key)
        {
            return false;
        }
        let fits = self
            .chunks
            .last()
            .is_some_and(|chunk| chunk.len() + text.len() <= chunk.capacity());
        if !fits {
            self.chunks
                .push(String::with_capacity(text.len().max(CHUNK_BYTES)));
            self.chunk_firsts.push(self.keys.len() as u32);
        }
        let Some(chunk) = self.chunks.last_mut() else {
            return false;
        };
        chunk.push_str(text);
        self.keys.push(key);
        self.ends.push(chunk.len() as u32);
        self.text_bytes += text.len();
        true
    }

    /// The text kept for the paragraph at `start..end` of document `doc`, if it is one.
    pub fn text(&self, doc: u32, start: usize, end: usize) -> Option<&str> {
        let start_key = u32::try_from(start).ok()?;
        let at = self
            .keys
            .binary_search(&((doc as u64) << 32 | start_key as u64))
            .ok()?;
        // The chunk holding text `at`: the last one starting at or before it.
        let chunk = self
            .chunk_firsts
            .partition_point(|&first| first as usize <= at)
            .checked_sub(1)?;
        let first_of_chunk = self.chunk_firsts[chunk] as usize == at;
        let from = if first_of_chunk { 0 } else { self.ends[at - 1] } as usize;
        let text = self.chunks[chunk].get(from..self.ends[at] as usize)?;
        (text.len() == end.checked_sub(start)?).then_some(text)
    }

    /// Number of texts kept.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no text is kept.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Bytes the texts and their keys take, as counted against the limit.
    pub fn bytes(&self) -> usize {
        self.text_bytes + self.keys.len() * BYTES_PER_ENTRY
    }

    /// Bytes allocated.
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(String::capacity).sum::<usize>()
            + self.keys.capacity() * 8
            + self.ends.capacity() * 4
            + self.chunk_firsts.capacity() * 4
    }

    /// The same texts for documents numbered `shift` later (when documents are put before them).
    pub fn shifted(mut self, shift: u32) -> Option<FirstCopies> {
        for key in &mut self.keys {
            let doc = (*key >> 32) as u32;
            *key = (doc.checked_add(shift)? as u64) << 32 | (*key & u32::MAX as u64);
        }
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    #[test]
    fn a_kept_text_is_found_only_at_its_own_place_and_length() {
        let mut copies = FirstCopies::new(1 << 20);
        assert!(copies.push(0, span(0, 5), "Hello"));
        assert!(copies.push(0, span(7, 12), "World"));
        assert!(copies.push(3, span(2, 6), "Ωμ"));
        assert_eq!(copies.text(0, 0, 5), Some("Hello"));
        assert_eq!(copies.text(0, 7, 12), Some("World"));
        assert_eq!(copies.text(3, 2, 6), Some("Ωμ"));
        assert_eq!(copies.text(0, 7, 11), None, "another length");
        assert_eq!(copies.text(1, 0, 5), None, "another document");
        assert_eq!(copies.text(0, 1, 6), None, "another start");
        let shifted = copies.shifted(10).unwrap();
        assert_eq!(shifted.text(10, 7, 12), Some("World"));
        assert_eq!(shifted.text(0, 7, 12), None);
    }

    #[test]
    fn texts_across_many_chunks_and_one_longer_than_a_chunk_are_found() {
        let mut copies = FirstCopies::new(64 << 20);
        let text_of = |i: usize| format!("paragraph {i} ").repeat(1 + i % 5000);
        let long = "λ".repeat(CHUNK_BYTES);
        let mut expected = Vec::new();
        for i in 0..600 {
            let text = if i == 300 { long.clone() } else { text_of(i) };
            let doc = i as u32 / 3;
            let start = (i % 3) * 10;
            assert!(copies.push(doc, span(start, start + text.len()), &text));
            expected.push((doc, start, text));
        }
        assert!(copies.chunks.len() > 3, "{} chunks", copies.chunks.len());
        for (doc, start, text) in &expected {
            let end = start + text.len();
            assert_eq!(copies.text(*doc, *start, end), Some(text.as_str()));
        }
        let held: usize = expected.iter().map(|(_, _, text)| text.len()).sum();
        assert_eq!(copies.bytes(), held + expected.len() * BYTES_PER_ENTRY);
    }

    #[test]
    fn a_text_past_the_limit_or_out_of_order_is_refused() {
        let mut copies = FirstCopies::new(2 * BYTES_PER_ENTRY + 8);
        assert!(copies.push(1, span(0, 4), "abcd"));
        assert!(!copies.push(0, span(0, 4), "abcd"), "before the last one");
        assert!(!copies.push(1, span(0, 4), "abcd"), "the same place again");
        assert!(!copies.push(1, span(5, 10), "abcde"), "past the limit");
        assert!(copies.push(1, span(5, 9), "abcd"));
        assert_eq!(copies.len(), 2);
        assert_eq!(copies.bytes(), 2 * BYTES_PER_ENTRY + 8);
    }
}
