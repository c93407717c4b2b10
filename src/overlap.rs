//! Contamination by word n-gram overlap: which stretches of a query text (a test item) also stand
//! in a reference corpus (the training data), however either side is cut into paragraphs or lines.
//!
//! Matching paragraph against paragraph only finds a leak that both sides happen to cut alike; a
//! test set is almost never formatted like the crawl it leaked from. Here both sides are read as
//! one stream of words each (normalized as paragraphs are: NFKC, lowercase, punctuation dropped;
//! each character of a script without spaces is a word), so line breaks, joins and indentation
//! make no difference.
//!
//! The reference is indexed by the hash of every run of [`OverlapParams::min_ngram`] words, with
//! the document and word position it starts at. A query's runs are looked up in order; hits that
//! continue each other in one reference document (query word `q` at reference word `p`, then `q+1`
//! at `p+1`, ...) form an aligned match, whose length is known exactly however long it is. A match
//! counts when it is at least the item's n-gram length long: [`OverlapParams::ngram`] (13, as
//! GPT-3's filter), lowered for items shorter than that to their own length, but never below
//! `min_ngram` (8), so that a phrase shorter than that is never a leak. Matches closer than
//! [`OverlapParams::max_gap`] words merge into one span (a changed word does not split a leak).
//!
//! Per item this gives what the field reports: whether any n-gram matched (GPT-3's dirty), the
//! share of the item's words inside matched spans (Llama 2's contamination percentage, with its
//! clean and dirty thresholds), the longest match, and each span with its reference document and
//! byte span.

use crate::normalize::{normalize_into, NormalizeOptions};
use crate::read::FileOffsets;
use crate::shingle::is_unspaced_char;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, Read, Write};
use std::ops::Range;
use xxhash_rust::xxh3::xxh3_64;

/// How overlap is measured and judged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverlapParams {
    /// Words a match must span in an item of at least this many words (GPT-3: 13).
    pub ngram: usize,
    /// The shortest match that ever counts, for short items (GPT-3's lower bound: 8). The index
    /// holds runs of this many words.
    pub min_ngram: usize,
    /// Matches separated by at most this many unmatched words are merged into one span, the
    /// words between them counted as matched.
    pub max_gap: usize,
    /// An item whose matched share is below this is `clean` (Llama 2: 0.2); 0 makes every item
    /// with any match at least `partial` (GPT-3's rule).
    pub clean_share: f64,
    /// An item whose matched share is at least this is `dirty` (Llama 2: 0.8).
    pub dirty_share: f64,
    /// Normalization of words, as for paragraphs.
    pub normalize: NormalizeOptions,
}

impl Default for OverlapParams {
    fn default() -> Self {
        OverlapParams {
            ngram: 13,
            min_ngram: 8,
            max_gap: 3,
            clean_share: 0.2,
            dirty_share: 0.8,
            normalize: NormalizeOptions::default(),
        }
    }
}

/// Why overlap parameters, an index, or a saved index cannot be used.
#[derive(Debug)]
pub struct OverlapError {
    kind: OverlapErrorKind,
    message: String,
}

/// The kinds of [`OverlapError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverlapErrorKind {
    /// A parameter out of its range.
    Params,
    /// A saved index that is not one, is damaged, or was built with other parameters.
    Format,
    /// Reading or writing a saved index failed.
    Io,
    /// A document too large to index (over 4 GiB, or over 4 G words).
    TooLarge,
}

impl OverlapError {
    fn new(kind: OverlapErrorKind, message: impl Into<String>) -> Self {
        OverlapError {
            kind,
            message: message.into(),
        }
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> OverlapErrorKind {
        self.kind
    }
}

impl fmt::Display for OverlapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OverlapError {}

impl From<io::Error> for OverlapError {
    fn from(e: io::Error) -> Self {
        OverlapError::new(OverlapErrorKind::Io, e.to_string())
    }
}

impl OverlapParams {
    /// Checks that the parameters make sense together.
    pub fn validate(&self) -> Result<(), OverlapError> {
        let bad = |m: String| Err(OverlapError::new(OverlapErrorKind::Params, m));
        if self.min_ngram < 1 {
            return bad("the shortest n-gram must be at least 1 word".into());
        }
        if self.ngram < self.min_ngram {
            return bad(format!(
                "the n-gram length ({}) must not be below the shortest n-gram ({})",
                self.ngram, self.min_ngram
            ));
        }
        for (name, value) in [
            ("clean share", self.clean_share),
            ("dirty share", self.dirty_share),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return bad(format!("the {name} must be between 0 and 1, not {value}"));
            }
        }
        if self.clean_share > self.dirty_share {
            return bad(format!(
                "the clean share ({}) must not exceed the dirty share ({})",
                self.clean_share, self.dirty_share
            ));
        }
        Ok(())
    }

    /// The match length that counts in an item of `words` words: `ngram`, or the item's own
    /// length when it is shorter, but never below `min_ngram`.
    pub fn ngram_for(&self, words: usize) -> usize {
        words.clamp(self.min_ngram, self.ngram)
    }
}

/// A word of a text: the hash of its normalized form and its byte span in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// xxh3-64 of the normalized word.
    pub hash: u64,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset one past its last character.
    pub end: usize,
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`')
}

/// Writes the words of `text` into `out` (cleared first). A word is a run of letters, digits and
/// combining marks (apostrophes inside it join, as normalization drops them); every character of a
/// script without spaces is a word of its own. `scratch` is reused between calls.
pub fn words_into(
    text: &str,
    options: NormalizeOptions,
    scratch: &mut String,
    out: &mut Vec<Word>,
) {
    out.clear();
    let mut start: Option<usize> = None;
    let push = |range: Range<usize>, out: &mut Vec<Word>, scratch: &mut String| {
        let word = &text[range.clone()];
        if word.is_ascii() {
            // What normalization makes of an ASCII word, without its general machinery: letters
            // lowercased, apostrophes dropped, digits folded when asked.
            scratch.clear();
            scratch.extend(word.bytes().filter_map(|b| match b {
                b'\'' | b'`' => None,
                b'0'..=b'9' if options.fold_digits => Some('0'),
                _ => Some(char::from(b.to_ascii_lowercase())),
            }));
        } else {
            normalize_into(word, options, scratch);
        }
        if !scratch.is_empty() {
            out.push(Word {
                hash: xxh3_64(scratch.as_bytes()),
                start: range.start,
                end: range.end,
            });
        }
    };
    for (at, c) in text.char_indices() {
        let inside = c.is_alphanumeric()
            || (start.is_some()
                && (unicode_normalization::char::is_combining_mark(c) || is_joiner(c)));
        if is_unspaced_char(c) {
            if let Some(s) = start.take() {
                push(s..at, out, scratch);
            }
            push(at..at + c.len_utf8(), out, scratch);
        } else if inside {
            start.get_or_insert(at);
        } else if let Some(s) = start.take() {
            push(s..at, out, scratch);
        }
    }
    if let Some(s) = start {
        push(s..text.len(), out, scratch);
    }
    // A word that ends in a joiner ("dogs'") keeps the joiner in its span only when it is inside.
    for word in out.iter_mut() {
        while let Some(c) = text[word.start..word.end].chars().next_back() {
            if is_joiner(c) && word.end > word.start + c.len_utf8() {
                word.end -= c.len_utf8();
            } else {
                break;
            }
        }
    }
}

/// The hash of the `n` words starting at `words[0]`.
fn gram_hash(words: &[Word]) -> u64 {
    let mut bytes = [0u8; 8 * 32];
    if words.len() <= 32 {
        for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.hash.to_le_bytes());
        }
        xxh3_64(&bytes[..8 * words.len()])
    } else {
        let all: Vec<u8> = words.iter().flat_map(|w| w.hash.to_le_bytes()).collect();
        xxh3_64(&all)
    }
}

/// One indexed n-gram: its hash and where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Posting {
    hash: u64,
    doc: u32,
    word: u32,
}

/// A reference document as the index knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceDocument {
    /// Its id.
    pub id: String,
    /// The file it was read from.
    pub path: String,
    /// Its 1-based line in that file, for formats with a record a line.
    pub line: Option<u64>,
}

impl fmt::Display for ReferenceDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.path, line),
            None => f.write_str(&self.path),
        }
    }
}

/// Collects reference documents into a [`ReferenceIndex`].
pub struct IndexBuilder {
    params: OverlapParams,
    documents: Vec<ReferenceDocument>,
    /// Where each document's words start in `word_spans`.
    first_word: Vec<u64>,
    /// Byte start and end of every word of every document, document after document.
    word_spans: Vec<[u32; 2]>,
    postings: Vec<Posting>,
}

/// A reference document to add: where it was read, and its text.
pub struct ReferenceText {
    /// Its id and location.
    pub document: ReferenceDocument,
    /// Its text.
    pub text: String,
    /// For a text file whose text is not its bytes as stored: how to map offsets into the file,
    /// where the index then points (as reports do for text files).
    pub file_offsets: Option<FileOffsets>,
}

impl IndexBuilder {
    /// An empty index with these parameters.
    pub fn new(params: OverlapParams) -> Result<Self, OverlapError> {
        params.validate()?;
        Ok(IndexBuilder {
            params,
            documents: Vec::new(),
            first_word: Vec::new(),
            word_spans: Vec::new(),
            postings: Vec::new(),
        })
    }

    /// Documents added so far.
    pub fn document_count(&self) -> usize {
        self.documents.len()
    }

    /// Adds documents (their words are found in parallel); they are numbered in the order given,
    /// after those added before. A document over 4 GiB is refused whole, before anything is added.
    pub fn add_batch(&mut self, batch: Vec<ReferenceText>) -> Result<(), OverlapError> {
        if let Some(big) = batch.iter().find(|d| d.text.len() > u32::MAX as usize) {
            return Err(OverlapError::new(
                OverlapErrorKind::TooLarge,
                format!(
                    "{}: a reference document over 4 GiB cannot be indexed",
                    big.document
                ),
            ));
        }
        let n = self.params.min_ngram;
        let options = self.params.normalize;
        let words: Vec<Vec<Word>> = batch
            .par_iter()
            .map_init(String::new, |scratch, doc| {
                let mut words = Vec::new();
                words_into(&doc.text, options, scratch, &mut words);
                words
            })
            .collect();
        for (doc, words) in batch.into_iter().zip(words) {
            let doc_index = u32::try_from(self.documents.len()).map_err(|_| {
                OverlapError::new(
                    OverlapErrorKind::TooLarge,
                    "more than 4 G reference documents",
                )
            })?;
            if words.len() > u32::MAX as usize {
                return Err(OverlapError::new(
                    OverlapErrorKind::TooLarge,
                    format!("{}: over 4 G words", doc.document),
                ));
            }
            self.first_word.push(self.word_spans.len() as u64);
            let to_file = |offset: usize| match &doc.file_offsets {
                Some(offsets) => offsets.to_file(offset),
                None => offset,
            };
            self.word_spans.extend(
                words
                    .iter()
                    .map(|w| [to_file(w.start) as u32, to_file(w.end) as u32]),
            );
            if words.len() >= n {
                self.postings
                    .extend(words.windows(n).enumerate().map(|(i, gram)| Posting {
                        hash: gram_hash(gram),
                        doc: doc_index,
                        word: i as u32,
                    }));
            }
            self.documents.push(doc.document);
        }
        Ok(())
    }

    /// The finished index. With `max_documents`, n-grams found in more reference documents than
    /// that are dropped (GPT-3 dropped those in more than 10): common phrases and boilerplate then
    /// never make a match.
    pub fn finish(mut self, max_documents: Option<usize>) -> ReferenceIndex {
        self.postings.par_sort_unstable();
        if let Some(limit) = max_documents {
            let mut kept = Vec::with_capacity(self.postings.len());
            for group in self.postings.chunk_by(|a, b| a.hash == b.hash) {
                let mut docs = 0usize;
                let mut last = None;
                for p in group {
                    if last != Some(p.doc) {
                        docs += 1;
                        last = Some(p.doc);
                    }
                }
                if docs <= limit {
                    kept.extend_from_slice(group);
                }
            }
            self.postings = kept;
        }
        self.postings.shrink_to_fit();
        self.first_word.push(self.word_spans.len() as u64);
        let (directory, directory_shift) = build_directory(&self.postings);
        ReferenceIndex {
            directory,
            directory_shift,
            params: self.params,
            max_documents,
            metadata: BTreeMap::new(),
            documents: self.documents,
            first_word: self.first_word,
            word_spans: self.word_spans,
            postings: self.postings,
        }
    }
}

/// The n-grams of a reference corpus, with where each stands. Costs [`ReferenceIndex::BYTES_PER_WORD`]
/// bytes a reference word (one n-gram starts at every word), plus the documents' ids.
pub struct ReferenceIndex {
    params: OverlapParams,
    max_documents: Option<usize>,
    /// Facts the caller records with the index (how its documents were read), kept when saved.
    pub metadata: BTreeMap<String, String>,
    documents: Vec<ReferenceDocument>,
    first_word: Vec<u64>,
    word_spans: Vec<[u32; 2]>,
    postings: Vec<Posting>,
    /// See [`build_directory`]; not saved, built again on loading.
    directory: Vec<u64>,
    directory_shift: u32,
}

/// A stretch of a query that also stands in the reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MatchedSpan {
    /// Byte offset of its first word in the query text.
    pub start: usize,
    /// Byte offset one past its last word.
    pub end: usize,
    /// Query words it spans (words in the gaps between merged matches included).
    pub words: usize,
    /// The reference document holding most of it.
    pub reference_doc: u32,
    /// Byte span of the matched words in that document.
    pub reference_start: usize,
    /// Byte offset one past the last matched word there.
    pub reference_end: usize,
}

/// How much of one query item stands in the reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemOverlap {
    /// Words of the item.
    pub words: usize,
    /// The match length that counted for it.
    pub ngram: usize,
    /// Words inside matched spans.
    pub matched_words: usize,
    /// `matched_words / words` (0 for an item without words).
    pub share: f64,
    /// The longest single aligned match, in words.
    pub longest_match: usize,
    /// Reference documents with at least one match, in index order.
    pub reference_docs: Vec<u32>,
    /// Matched spans, in query order.
    pub spans: Vec<MatchedSpan>,
    /// The judgement.
    pub verdict: Verdict,
}

/// What an item is judged to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// No match, or a matched share below the clean threshold.
    Clean,
    /// Matched, between the thresholds.
    Partial,
    /// A matched share at or above the dirty threshold.
    Dirty,
}

impl Verdict {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Clean => "clean",
            Verdict::Partial => "partial",
            Verdict::Dirty => "dirty",
        }
    }
}

/// A run of hits that may go on: its next hit must be word `next_word` of `doc`.
#[derive(Clone, Copy)]
struct OpenRun {
    doc: u32,
    next_word: u32,
    query_start: usize,
    reference_start: usize,
}

/// The directory of sorted n-grams: entry `b` is the first n-gram whose hash's top bits are `b`
/// (about four n-grams a bucket), so a lookup reads one small bucket instead of searching them all.
fn build_directory(postings: &[Posting]) -> (Vec<u64>, u32) {
    let bits = (usize::BITS - (postings.len() / 4).max(1).leading_zeros()).clamp(1, 32);
    let shift = 64 - bits;
    let buckets = 1usize << bits;
    let mut directory = Vec::with_capacity(buckets + 1);
    let mut at = 0usize;
    for bucket in 0..buckets as u64 {
        while at < postings.len() && (postings[at].hash >> shift) < bucket {
            at += 1;
        }
        directory.push(at as u64);
    }
    directory.push(postings.len() as u64);
    (directory, shift)
}

/// Finds `key` among the places `places[from..]` (sorted by document and word) by galloping from
/// `from`: returns whether it is there, and where a search for a larger key may start.
fn gallop(places: &[Posting], from: usize, key: (u32, u32)) -> (bool, usize) {
    let below = |p: &Posting| (p.doc, p.word) < key;
    let mut step = 1;
    let mut end = from;
    while end < places.len() && below(&places[end]) {
        end = from + step;
        step *= 2;
    }
    let end = end.min(places.len());
    let start = from + (end - from) / 2;
    let at = start.min(end) + places[start.min(end)..end].partition_point(below);
    let found = places.get(at).is_some_and(|p| (p.doc, p.word) == key);
    (found, at)
}

/// An aligned run of hits: query words `query` stand at reference words `reference` of `doc`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Run {
    query_start: usize,
    query_end: usize,
    doc: u32,
    reference_start: usize,
}

/// New matches start at no more than this many places of one n-gram (the first in index order),
/// and none while this many are under way; a match already under way goes on wherever the n-gram
/// is, and a match found later is followed back to its start. An n-gram in thousands of reference
/// documents would otherwise start thousands of runs a word.
const MAX_PLACES_PER_NGRAM: usize = 64;

impl ReferenceIndex {
    /// Bytes a reference word costs, about: one n-gram entry (hash, document, word: 16 bytes), its
    /// share of the lookup directory (2 bytes) and the word's byte span (8 bytes).
    pub const BYTES_PER_WORD: usize = 26;

    /// The parameters it was built with.
    pub fn params(&self) -> &OverlapParams {
        &self.params
    }

    /// The common n-gram limit it was built with.
    pub fn max_documents(&self) -> Option<usize> {
        self.max_documents
    }

    /// Its documents, in index order.
    pub fn documents(&self) -> &[ReferenceDocument] {
        &self.documents
    }

    /// N-grams held.
    pub fn ngram_count(&self) -> usize {
        self.postings.len()
    }

    /// Words of the reference.
    pub fn word_count(&self) -> usize {
        self.word_spans.len()
    }

    /// Bytes the index holds in memory, ids aside.
    pub fn heap_bytes(&self) -> usize {
        self.postings.len() * std::mem::size_of::<Posting>()
            + self.directory.len() * 8
            + self.word_spans.len() * std::mem::size_of::<[u32; 2]>()
            + self.first_word.len() * 8
    }

    /// Replaces the judging parameters (thresholds, gap, n-gram length) of a loaded index; the
    /// ones that decide what is indexed (the shortest n-gram, normalization) must stay as built.
    pub fn set_params(&mut self, params: OverlapParams) -> Result<(), OverlapError> {
        params.validate()?;
        if params.min_ngram != self.params.min_ngram {
            return Err(OverlapError::new(
                OverlapErrorKind::Params,
                format!(
                    "the index holds {}-grams, not {}-grams (shortest n-gram); build it again to change that",
                    self.params.min_ngram, params.min_ngram
                ),
            ));
        }
        if params.normalize != self.params.normalize {
            return Err(OverlapError::new(
                OverlapErrorKind::Params,
                "the index was built with other normalization (fold digits); build it again to change that",
            ));
        }
        self.params = params;
        Ok(())
    }

    fn places(&self, hash: u64) -> &[Posting] {
        let bucket = (hash >> self.directory_shift) as usize;
        let (first, last) = (
            self.directory[bucket] as usize,
            self.directory[bucket + 1] as usize,
        );
        let in_bucket = &self.postings[first..last];
        let from = in_bucket.partition_point(|p| p.hash < hash);
        let to = from + in_bucket[from..].partition_point(|p| p.hash == hash);
        &in_bucket[from..to]
    }

    /// Where a match that has its n-gram `q` at word `word` of `doc` really starts: a common
    /// n-gram before it starts no new match in every document (see [`MAX_PLACES_PER_NGRAM`]), so
    /// the match is followed back while the n-grams before it stand just before it in `doc`.
    fn start_of(&self, hashes: &[u64], q: usize, doc: u32, word: u32) -> (usize, usize) {
        let (mut q, mut word) = (q, word);
        while q > 0 && word > 0 {
            let key = (doc, word - 1);
            let before = self.places(hashes[q - 1]);
            if before.len() <= MAX_PLACES_PER_NGRAM
                || before
                    .binary_search_by(|p| (p.doc, p.word).cmp(&key))
                    .is_err()
            {
                break;
            }
            q -= 1;
            word -= 1;
        }
        (q, word as usize)
    }

    fn reference_bytes(&self, doc: u32, words: Range<usize>) -> Range<usize> {
        let first = self.first_word[doc as usize] as usize;
        let start = self.word_spans[first + words.start][0] as usize;
        let end = self.word_spans[first + words.end - 1][1] as usize;
        start..end
    }

    /// Measures one query text against the reference. `scratch` is reused between calls.
    pub fn measure(&self, text: &str, scratch: &mut OverlapScratch) -> ItemOverlap {
        let params = &self.params;
        words_into(
            text,
            params.normalize,
            &mut scratch.text,
            &mut scratch.words,
        );
        let words = &scratch.words;
        let ngram = params.ngram_for(words.len());
        let m = params.min_ngram;
        let mut runs: Vec<Run> = Vec::new();
        if words.len() >= m {
            // Runs still open, sorted by the reference place their next hit must have; the
            // places of an n-gram come sorted the same way, so the two lists are merged.
            let mut open: Vec<OpenRun> = Vec::new();
            let mut next_open: Vec<OpenRun> = Vec::new();
            let grams = words.len() - m + 1;
            let hashes = &mut scratch.hashes;
            hashes.clear();
            hashes.extend(words.windows(m).map(gram_hash));
            let hashes = &hashes[..];
            for q in 0..=grams {
                next_open.clear();
                let places = if q < grams {
                    self.places(hashes[q])
                } else {
                    &[]
                };
                let mut ended = |run: &OpenRun| {
                    // It ended with the n-gram at q - 1.
                    let query_end = q - 1 + m;
                    if query_end - run.query_start >= ngram {
                        runs.push(Run {
                            query_start: run.query_start,
                            query_end,
                            doc: run.doc,
                            reference_start: run.reference_start,
                        });
                    }
                };
                if places.len() > MAX_PLACES_PER_NGRAM {
                    // A common n-gram: every open run that it continues goes on (found by
                    // search), and new runs start at its first places only.
                    // Both lists are sorted: each search goes on from where the last one ended.
                    let mut from = 0;
                    for run in &open {
                        let (found, at) = gallop(places, from, (run.doc, run.next_word));
                        from = at;
                        if found {
                            next_open.push(OpenRun {
                                next_word: run.next_word + 1,
                                ..*run
                            });
                        } else {
                            ended(run);
                        }
                    }
                    // New matches start only while few go on: a stretch that many documents
                    // share is covered by those already under way.
                    let continued = next_open.len();
                    let starting = if continued < MAX_PLACES_PER_NGRAM {
                        &places[..MAX_PLACES_PER_NGRAM]
                    } else {
                        &[]
                    };
                    for place in starting {
                        let key = (place.doc, place.word + 1);
                        let known = next_open[..continued]
                            .binary_search_by(|r| (r.doc, r.next_word).cmp(&key))
                            .is_ok();
                        if !known {
                            let (query_start, reference_start) =
                                self.start_of(hashes, q, place.doc, place.word);
                            next_open.push(OpenRun {
                                doc: place.doc,
                                next_word: place.word + 1,
                                query_start,
                                reference_start,
                            });
                        }
                    }
                    next_open.sort_unstable_by_key(|r| (r.doc, r.next_word));
                    std::mem::swap(&mut open, &mut next_open);
                    continue;
                }
                let mut waiting = open.iter().peekable();
                for place in places {
                    let key = (place.doc, place.word);
                    while let Some(run) = waiting.next_if(|r| (r.doc, r.next_word) < key) {
                        ended(run);
                    }
                    let (query_start, reference_start) =
                        match waiting.next_if(|r| (r.doc, r.next_word) == key) {
                            Some(run) => (run.query_start, run.reference_start),
                            None => self.start_of(hashes, q, place.doc, place.word),
                        };
                    next_open.push(OpenRun {
                        doc: place.doc,
                        next_word: place.word + 1,
                        query_start,
                        reference_start,
                    });
                }
                waiting.for_each(&mut ended);
                std::mem::swap(&mut open, &mut next_open);
            }
        }
        runs.sort_unstable();
        runs.dedup();
        let longest_match = runs
            .iter()
            .map(|r| r.query_end - r.query_start)
            .max()
            .unwrap_or(0);
        let mut reference_docs: Vec<u32> = runs.iter().map(|r| r.doc).collect();
        reference_docs.sort_unstable();
        reference_docs.dedup();

        // Merge runs into spans over the query, gaps of up to max_gap words bridged.
        let mut spans = Vec::new();
        let mut matched_words = 0;
        let mut at = 0;
        while at < runs.len() {
            let mut end = runs[at].query_end;
            let mut next = at + 1;
            while next < runs.len() && runs[next].query_start <= end + params.max_gap {
                end = end.max(runs[next].query_end);
                next += 1;
            }
            let group = &runs[at..next];
            let start = group[0].query_start;
            matched_words += end - start;
            spans.push(self.span_of(group, start, end, words));
            at = next;
        }
        let share = if words.is_empty() {
            0.0
        } else {
            matched_words as f64 / words.len() as f64
        };
        let verdict = if matched_words == 0 || share < params.clean_share {
            Verdict::Clean
        } else if share >= params.dirty_share {
            Verdict::Dirty
        } else {
            Verdict::Partial
        };
        ItemOverlap {
            words: words.len(),
            ngram,
            matched_words,
            share,
            longest_match,
            reference_docs,
            spans,
            verdict,
        }
    }

    /// A merged span of query words `start..end`, credited to the reference document whose runs
    /// cover most of its words (the first in index order among equals).
    fn span_of(&self, group: &[Run], start: usize, end: usize, words: &[Word]) -> MatchedSpan {
        let mut covered: HashMap<u32, usize> = HashMap::new();
        for run in group {
            *covered.entry(run.doc).or_default() += run.query_end - run.query_start;
        }
        let doc = covered
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(&doc, _)| doc)
            .unwrap_or(group[0].doc);
        let (mut reference_start, mut reference_end) = (usize::MAX, 0);
        for run in group.iter().filter(|r| r.doc == doc) {
            reference_start = reference_start.min(run.reference_start);
            reference_end =
                reference_end.max(run.reference_start + (run.query_end - run.query_start));
        }
        let bytes = self.reference_bytes(doc, reference_start..reference_end);
        MatchedSpan {
            start: words[start].start,
            end: words[end - 1].end,
            words: end - start,
            reference_doc: doc,
            reference_start: bytes.start,
            reference_end: bytes.end,
        }
    }
}

/// The byte ranges of `text` that training-side decontamination removes for `spans` (from
/// [`ReferenceIndex::measure`] of the same text): each span widened by up to `window` bytes on
/// either side (GPT-3 took 200 characters), then narrowed so that no word is cut in two. Sorted,
/// merged where they touch.
pub fn removal_ranges(text: &str, spans: &[MatchedSpan], window: usize) -> Vec<Range<usize>> {
    let is_word_byte = |at: usize| {
        text[at..]
            .chars()
            .next()
            .is_some_and(|c| !c.is_whitespace())
    };
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for span in spans {
        let mut start = span.start.saturating_sub(window).min(span.start);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        // Inside a word that goes on before `start`: keep that word whole.
        if start > 0 && start < span.start && is_word_byte(start) {
            let before = text[..start].chars().next_back();
            if before.is_some_and(|c| !c.is_whitespace()) {
                while start < span.start && is_word_byte(start) {
                    start += text[start..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
        let mut end = (span.end + window).min(text.len()).max(span.end);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        if end < text.len() && end > span.end && is_word_byte(end) {
            let before = text[..end].chars().next_back();
            if before.is_some_and(|c| !c.is_whitespace()) {
                while end > span.end
                    && text[..end]
                        .chars()
                        .next_back()
                        .is_some_and(|c| !c.is_whitespace())
                {
                    end -= text[..end].chars().next_back().map_or(1, char::len_utf8);
                }
            }
        }
        match ranges.last_mut() {
            Some(last) if last.end >= start => last.end = last.end.max(end),
            _ => ranges.push(start..end),
        }
    }
    ranges
}

/// Buffers [`ReferenceIndex::measure`] reuses.
#[derive(Default)]
pub struct OverlapScratch {
    text: String,
    words: Vec<Word>,
    hashes: Vec<u64>,
}

/// The first bytes of a saved index.
const MAGIC: &[u8; 8] = b"PDUPNGX\0";
/// The version of the saved format; a file of another version is refused.
const FORMAT_VERSION: u32 = 1;

/// What a saved index says of itself before its tables.
#[derive(Serialize, Deserialize)]
struct SavedHeader {
    tool_version: String,
    params: OverlapParams,
    max_documents: Option<usize>,
    metadata: BTreeMap<String, String>,
    documents: Vec<ReferenceDocument>,
    words: u64,
    ngrams: u64,
}

impl ReferenceIndex {
    /// Writes the index: magic, format version, a JSON header (parameters, documents), then the
    /// word spans and n-grams as little-endian integers.
    pub fn save(&self, out: &mut dyn Write) -> Result<(), OverlapError> {
        let header = SavedHeader {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            params: self.params,
            max_documents: self.max_documents,
            metadata: self.metadata.clone(),
            documents: self.documents.clone(),
            words: self.word_spans.len() as u64,
            ngrams: self.postings.len() as u64,
        };
        let header = serde_json::to_vec(&header)
            .map_err(|e| OverlapError::new(OverlapErrorKind::Format, e.to_string()))?;
        out.write_all(MAGIC)?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())?;
        out.write_all(&(header.len() as u64).to_le_bytes())?;
        out.write_all(&header)?;
        let mut buffer = Vec::with_capacity(1 << 20);
        for first in &self.first_word {
            buffer.extend_from_slice(&first.to_le_bytes());
        }
        out.write_all(&buffer)?;
        for chunk in self.word_spans.chunks(1 << 16) {
            buffer.clear();
            for [start, end] in chunk {
                buffer.extend_from_slice(&start.to_le_bytes());
                buffer.extend_from_slice(&end.to_le_bytes());
            }
            out.write_all(&buffer)?;
        }
        for chunk in self.postings.chunks(1 << 16) {
            buffer.clear();
            for p in chunk {
                buffer.extend_from_slice(&p.hash.to_le_bytes());
                buffer.extend_from_slice(&p.doc.to_le_bytes());
                buffer.extend_from_slice(&p.word.to_le_bytes());
            }
            out.write_all(&buffer)?;
        }
        out.flush()?;
        Ok(())
    }

    /// Reads an index written by [`ReferenceIndex::save`] from `input`, whose length in bytes is
    /// `length`, checking what it can: the magic, the version, the sizes, that n-grams are sorted
    /// and point at words that exist.
    pub fn load(input: &mut dyn Read, length: u64) -> Result<ReferenceIndex, OverlapError> {
        let format = |m: &str| OverlapError::new(OverlapErrorKind::Format, m.to_string());
        let truncated = |e: io::Error| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                format("truncated: the file ends before the index does")
            } else {
                e.into()
            }
        };
        let mut magic = [0u8; 8];
        input
            .read_exact(&mut magic)
            .map_err(|_| format("not a paradup n-gram index"))?;
        if &magic != MAGIC {
            return Err(format("not a paradup n-gram index"));
        }
        let mut four = [0u8; 4];
        input.read_exact(&mut four).map_err(truncated)?;
        let version = u32::from_le_bytes(four);
        if version != FORMAT_VERSION {
            return Err(format(&format!(
                "index format version {version}; this paradup reads version {FORMAT_VERSION}"
            )));
        }
        let mut eight = [0u8; 8];
        input.read_exact(&mut eight).map_err(truncated)?;
        let header_len = u64::from_le_bytes(eight);
        if header_len > length.saturating_sub(20) {
            return Err(format(
                "truncated or damaged: the header is longer than the file",
            ));
        }
        let mut header = vec![0u8; header_len as usize];
        input.read_exact(&mut header).map_err(truncated)?;
        let header: SavedHeader =
            serde_json::from_slice(&header).map_err(|e| format(&format!("damaged header: {e}")))?;
        header.params.validate()?;
        let documents = header.documents.len();
        let words = usize::try_from(header.words).map_err(|_| format("too many words"))?;
        let ngrams = usize::try_from(header.ngrams).map_err(|_| format("too many n-grams"))?;
        // The sizes the header gives must add up to the file's length: nothing is allocated for
        // a damaged header's counts.
        let expected = (documents as u128 + 1) * 8 + words as u128 * 8 + ngrams as u128 * 16;
        let after_header = u128::from(length).saturating_sub(20 + u128::from(header_len));
        if expected != after_header {
            return Err(format(
                "truncated or damaged: its tables are not the size its header says",
            ));
        }
        let mut buffer = vec![0u8; 16 << 16];
        let mut read_records =
            |count: usize, size: usize, push: &mut dyn FnMut(&[u8])| -> Result<(), OverlapError> {
                let mut left = count;
                while left > 0 {
                    let take = left.min(1 << 16);
                    let bytes = &mut buffer[..take * size];
                    input.read_exact(bytes).map_err(truncated)?;
                    bytes.chunks_exact(size).for_each(&mut *push);
                    left -= take;
                }
                Ok(())
            };
        let le64 = |b: &[u8]| u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let le32 = |b: &[u8]| u32::from_le_bytes(b[..4].try_into().unwrap_or_default());
        let mut first_word = Vec::with_capacity(documents + 1);
        read_records(documents + 1, 8, &mut |b| first_word.push(le64(b)))?;
        let mut word_spans: Vec<[u32; 2]> = Vec::with_capacity(words);
        read_records(words, 8, &mut |b| word_spans.push([le32(b), le32(&b[4..])]))?;
        let mut postings = Vec::with_capacity(ngrams);
        read_records(ngrams, 16, &mut |b| {
            postings.push(Posting {
                hash: le64(b),
                doc: le32(&b[8..]),
                word: le32(&b[12..]),
            })
        })?;
        let mut rest = [0u8; 1];
        if input.read(&mut rest)? != 0 {
            return Err(format("damaged: bytes after the end of the index"));
        }
        // Everything a query will index into is checked once here.
        let monotone = first_word.windows(2).all(|w| w[0] <= w[1]);
        if first_word.first() != Some(&0) || first_word.last() != Some(&(words as u64)) || !monotone
        {
            return Err(format("damaged: word table does not match its documents"));
        }
        let m = header.params.min_ngram as u64;
        for (i, p) in postings.iter().enumerate() {
            let doc = p.doc as usize;
            let in_range =
                doc < documents && first_word[doc] + u64::from(p.word) + m <= first_word[doc + 1];
            if !in_range || (i > 0 && postings[i - 1] > *p) {
                return Err(format("damaged: an n-gram points outside its document"));
            }
        }
        let (directory, directory_shift) = build_directory(&postings);
        Ok(ReferenceIndex {
            directory,
            directory_shift,
            params: header.params,
            max_documents: header.max_documents,
            metadata: header.metadata,
            documents: header.documents,
            first_word,
            word_spans,
            postings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_of(texts: &[&str], params: OverlapParams) -> ReferenceIndex {
        let mut builder = IndexBuilder::new(params).unwrap();
        builder
            .add_batch(
                texts
                    .iter()
                    .enumerate()
                    .map(|(i, t)| ReferenceText {
                        document: ReferenceDocument {
                            id: format!("ref{i}"),
                            path: format!("ref{i}.txt"),
                            line: None,
                        },
                        text: t.to_string(),
                        file_offsets: None,
                    })
                    .collect(),
            )
            .unwrap();
        builder.finish(None)
    }

    fn words_of(text: &str) -> Vec<&str> {
        let mut words = Vec::new();
        words_into(
            text,
            NormalizeOptions::default(),
            &mut String::new(),
            &mut words,
        );
        words.iter().map(|w| &text[w.start..w.end]).collect()
    }

    #[test]
    fn words_ignore_punctuation_and_keep_their_spans() {
        assert_eq!(
            words_of("  \"Don't\" stop — it's 3.5%, ok?"),
            vec!["Don't", "stop", "it's", "3", "5", "ok"]
        );
        assert_eq!(words_of("東京 タワー"), vec!["東", "京", "タ", "ワ", "ー"]);
        assert!(words_of(" ... --- ").is_empty());
    }

    const REFERENCE: &str =
        "The committee approved the new budget for public schools after a long \
        debate on Thursday evening, and the mayor said the money would arrive before the start of \
        the next school year in September.";

    #[test]
    fn a_leak_is_found_however_the_lines_are_cut() {
        let index = index_of(
            &["Unrelated opening line.", REFERENCE],
            OverlapParams::default(),
        );
        let rewrapped = REFERENCE
            .replace(" after ", "\nafter\n   ")
            .replace(", and", ",\n\nand");
        let query = format!("A question about schools.\n> {rewrapped}\nThanks!");
        let item = index.measure(&query, &mut OverlapScratch::default());
        assert_eq!(item.spans.len(), 1, "{item:?}");
        let span = &item.spans[0];
        assert_eq!(span.reference_doc, 1);
        assert_eq!(
            &REFERENCE[span.reference_start..span.reference_end],
            REFERENCE.trim_end_matches('.')
        );
        assert!(query[span.start..span.end].starts_with("The committee"));
        assert_eq!(item.verdict, Verdict::Dirty);
        assert_eq!(item.longest_match, item.spans[0].words);
    }

    #[test]
    fn a_changed_word_is_bridged_and_short_phrases_never_count() {
        let index = index_of(&[REFERENCE], OverlapParams::default());
        let edited = REFERENCE.replace("Thursday", "Friday");
        let item = index.measure(&edited, &mut OverlapScratch::default());
        assert_eq!(item.spans.len(), 1, "{item:?}");
        assert_eq!(item.matched_words, item.words);
        // Seven shared words in a row are under the shortest n-gram.
        let phrase = "We heard the new budget for public schools was late.";
        let item = index.measure(phrase, &mut OverlapScratch::default());
        assert_eq!(item.verdict, Verdict::Clean);
        assert!(item.spans.is_empty());
    }

    #[test]
    fn share_and_verdicts_follow_the_thresholds() {
        let index = index_of(&[REFERENCE], OverlapParams::default());
        let own = "Completely different words fill this part of the item so that the leaked \
            stretch is only a part of everything the item says about its own unrelated topic here \
            and there and everywhere else too.";
        let query = format!("{own} {REFERENCE}");
        let item = index.measure(&query, &mut OverlapScratch::default());
        let reference_words = words_of(REFERENCE).len();
        assert_eq!(item.matched_words, reference_words);
        assert_eq!(item.words, words_of(own).len() + reference_words);
        assert!((item.share - reference_words as f64 / item.words as f64).abs() < 1e-12);
        assert_eq!(item.verdict, Verdict::Partial);
    }

    #[test]
    fn common_ngrams_can_be_dropped() {
        let texts = [REFERENCE, REFERENCE, REFERENCE];
        let mut builder = IndexBuilder::new(OverlapParams::default()).unwrap();
        builder
            .add_batch(
                texts
                    .iter()
                    .map(|t| ReferenceText {
                        document: ReferenceDocument {
                            id: "x".into(),
                            path: "x".into(),
                            line: Some(1),
                        },
                        text: t.to_string(),
                        file_offsets: None,
                    })
                    .collect(),
            )
            .unwrap();
        let index = builder.finish(Some(2));
        assert_eq!(index.ngram_count(), 0);
        let item = index.measure(REFERENCE, &mut OverlapScratch::default());
        assert_eq!(item.verdict, Verdict::Clean);
    }

    #[test]
    fn a_saved_index_loads_back_and_damage_is_refused() {
        let index = index_of(
            &["Unrelated opening line.", REFERENCE],
            OverlapParams::default(),
        );
        let mut bytes = Vec::new();
        index.save(&mut bytes).unwrap();
        let loaded = ReferenceIndex::load(&mut bytes.as_slice(), bytes.len() as u64).unwrap();
        let mut scratch = OverlapScratch::default();
        assert_eq!(
            loaded.measure(REFERENCE, &mut scratch),
            index.measure(REFERENCE, &mut scratch)
        );
        assert_eq!(loaded.documents(), index.documents());
        for cut in [3, 20, bytes.len() - 5] {
            let err = ReferenceIndex::load(&mut &bytes[..cut], cut as u64)
                .err()
                .unwrap();
            assert_eq!(err.kind(), OverlapErrorKind::Format, "{err}");
        }
        let mut damaged = bytes.clone();
        let last = damaged.len() - 8;
        damaged[last..last + 4].copy_from_slice(&7u32.to_le_bytes());
        assert!(ReferenceIndex::load(&mut damaged.as_slice(), damaged.len() as u64).is_err());
        // A header claiming more than the file holds allocates nothing and is refused.
        assert!(ReferenceIndex::load(&mut bytes.as_slice(), bytes.len() as u64 + 16).is_err());
        assert!(ReferenceIndex::load(&mut &b"{\"not\": \"an index\"}"[..], 17).is_err());
    }

    /// Matched words by definition: every word inside a stretch of at least the item's n-gram
    /// length that stands word for word in one reference document, then gaps of up to `max_gap`
    /// words between such words filled.
    fn brute_force_matched(
        query: &[&str],
        references: &[Vec<&str>],
        params: &OverlapParams,
    ) -> usize {
        let n = params.ngram_for(query.len());
        let mut covered = vec![false; query.len()];
        for start in 0..query.len() {
            for end in start + n..=query.len() {
                let stretch = &query[start..end];
                if references
                    .iter()
                    .any(|r| r.windows(stretch.len()).any(|w| w == stretch))
                {
                    covered[start..end].iter_mut().for_each(|c| *c = true);
                }
            }
        }
        let mut at = 0;
        let mut last_covered: Option<usize> = None;
        while at < covered.len() {
            if covered[at] {
                if let Some(last) = last_covered {
                    if at - last - 1 <= params.max_gap {
                        covered[last + 1..at].iter_mut().for_each(|c| *c = true);
                    }
                }
                last_covered = Some(at);
            }
            at += 1;
        }
        covered.iter().filter(|&&c| c).count()
    }

    #[test]
    fn removal_ranges_take_the_window_in_whole_words() {
        let text = "alpha beta gamma LEAK LEAK LEAK delta epsilon zeta";
        let start = text.find("LEAK").unwrap();
        let end = text.rfind("LEAK").unwrap() + 4;
        let span = MatchedSpan {
            start,
            end,
            words: 3,
            reference_doc: 0,
            reference_start: 0,
            reference_end: 0,
        };
        // Eight bytes back land inside "beta": it stays whole; eight forward inside "epsilon".
        let ranges = removal_ranges(text, std::slice::from_ref(&span), 8);
        assert_eq!(ranges.len(), 1);
        assert_eq!(&text[ranges[0].clone()], " gamma LEAK LEAK LEAK delta ");
        assert_eq!(
            removal_ranges(text, std::slice::from_ref(&span), 0),
            vec![start..end]
        );
        assert_eq!(removal_ranges(text, &[span], 1000), vec![0..text.len()]);
    }

    #[test]
    fn a_match_goes_on_through_an_ngram_common_to_many_documents() {
        let common = "this shared closing sentence appears in every single one of the many \
            reference documents of the corpus today";
        let mut texts: Vec<String> = (0..70)
            .map(|i| format!("document number {i} opens with words of its own here. {common}"))
            .collect();
        let opening = "a rare opening that only the last reference document has in it at all";
        texts.push(format!("{opening} {common}"));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let index = index_of(&refs, OverlapParams::default());
        let item = index.measure(
            &format!("{opening} {common}"),
            &mut OverlapScratch::default(),
        );
        assert_eq!(item.matched_words, item.words);
        // One aligned match from the first word to the last, in the one document that has both.
        assert_eq!(item.longest_match, item.words, "{item:?}");
        assert_eq!(item.spans.len(), 1);
        assert_eq!(item.spans[0].reference_doc, 70);
    }

    #[test]
    fn a_match_that_starts_in_a_common_ngram_is_followed_back_to_its_start() {
        let common = "this shared opening sentence appears in every single one of the many \
            reference documents of the corpus today";
        let mut texts: Vec<String> = (0..70)
            .map(|i| format!("{common} and then document number {i} goes on in words of its own"))
            .collect();
        let ending = "but the last reference document ends in a way that none of the others do";
        texts.push(format!("{common} {ending}"));
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let index = index_of(&refs, OverlapParams::default());
        let item = index.measure(
            &format!("{common} {ending}"),
            &mut OverlapScratch::default(),
        );
        assert_eq!(item.longest_match, item.words, "{item:?}");
        assert_eq!(item.spans[0].reference_doc, 70);
    }

    proptest::proptest! {
        #[test]
        fn galloping_finds_what_binary_search_finds(
            mut keys in proptest::collection::vec((0u32..20, 0u32..20), 0..60),
            from_share in 0.0f64..1.0,
            key in (0u32..21, 0u32..21),
        ) {
            keys.sort_unstable();
            keys.dedup();
            let places: Vec<Posting> = keys.iter().map(|&(doc, word)| Posting { hash: 0, doc, word }).collect();
            let from = ((places.len() as f64) * from_share) as usize;
            let (found, at) = gallop(&places, from, key);
            let expected_at = from + places[from..].partition_point(|p| (p.doc, p.word) < key);
            proptest::prop_assert_eq!(at, expected_at);
            proptest::prop_assert_eq!(found, places[from..].iter().any(|p| (p.doc, p.word) == key));
        }
    }

    proptest::proptest! {
        #[test]
        fn a_word_is_hashed_as_its_normalized_form(
            text in "[a-zA-Z0-9'` .,;é\u{0301}東ß-]{0,40}",
            fold in proptest::bool::ANY,
        ) {
            let options = NormalizeOptions { fold_digits: fold };
            let mut words = Vec::new();
            words_into(&text, options, &mut String::new(), &mut words);
            for word in words {
                let normalized = crate::normalize::normalize(&text[word.start..word.end], options);
                proptest::prop_assert_eq!(word.hash, xxh3_64(normalized.as_bytes()));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn spans_are_in_bounds_on_any_text(
            reference in "\\PC{0,300}",
            query_start in 0usize..300,
            noise in "\\PC{0,40}",
        ) {
            // The query: noise, then a piece of the reference, so that some of it matches.
            let from = reference
                .char_indices()
                .map(|(i, _)| i)
                .find(|&i| i >= query_start.min(reference.len()))
                .unwrap_or(reference.len());
            let query = format!("{noise}{}", &reference[from..]);
            let params = OverlapParams { ngram: 3, min_ngram: 2, ..OverlapParams::default() };
            let index = index_of(&[&reference], params);
            let item = index.measure(&query, &mut OverlapScratch::default());
            for span in &item.spans {
                proptest::prop_assert!(span.start < span.end && span.end <= query.len());
                proptest::prop_assert!(query.is_char_boundary(span.start) && query.is_char_boundary(span.end));
                proptest::prop_assert!(span.reference_start < span.reference_end);
                proptest::prop_assert!(span.reference_end <= reference.len());
                proptest::prop_assert!(reference.is_char_boundary(span.reference_start));
                proptest::prop_assert!(reference.is_char_boundary(span.reference_end));
            }
            proptest::prop_assert!(item.matched_words <= item.words);
            let ranges = removal_ranges(&query, &item.spans, 5);
            for range in ranges {
                proptest::prop_assert!(query.is_char_boundary(range.start) && query.is_char_boundary(range.end));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn matched_words_agree_with_brute_force(
            query in proptest::collection::vec(0usize..3, 0..50),
            first in proptest::collection::vec(0usize..3, 0..60),
            second in proptest::collection::vec(0usize..3, 0..60),
            max_gap in 0usize..4,
        ) {
            const VOCABULARY: [&str; 3] = ["alpha", "Beta", "gamma"];
            let spell = |ids: &[usize]| ids.iter().map(|&i| VOCABULARY[i]).collect::<Vec<_>>();
            let params = OverlapParams { ngram: 7, min_ngram: 4, max_gap, ..OverlapParams::default() };
            let (query, first, second) = (spell(&query), spell(&first), spell(&second));
            let index = index_of(&[&first.join(" "), &second.join("\n")], params);
            let item = index.measure(&query.join(" , "), &mut OverlapScratch::default());
            let lowered: Vec<Vec<&str>> = [&first, &second]
                .iter()
                .map(|r| r.iter().map(|w| if *w == "Beta" { "beta" } else { w }).collect())
                .collect();
            let query_lowered: Vec<&str> = query.iter().map(|w| if *w == "Beta" { "beta" } else { w }).collect();
            proptest::prop_assert_eq!(item.matched_words, brute_force_matched(&query_lowered, &lowered, &params));
            proptest::prop_assert_eq!(item.words, query.len());
        }
    }
}
