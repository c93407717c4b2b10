//! A persistent, incremental index of fingerprinted shards, so that a new shard can be checked
//! against everything seen before without scanning the earlier shards again.
//!
//! An index is a folder: `index.json` (the manifest: magic, format version, every parameter that
//! changes fingerprints, the shards and the segment files) and immutable segment files. A segment
//! holds the distinct paragraphs of the shards it was written for: each one's exact hash, its
//! shingle set (the "sketch" that verification reads: the same u32 shingle hashes a scan compares,
//! so verification against the index is exact Jaccard, as in a scan), its group (the cluster it
//! belongs to among everything indexed), its occurrences (document, paragraph, byte span), and
//! three sorted tables (exact hashes, LSH band keys, groups) searched in key order through a
//! memory map. Looking up an input therefore reads the tables' pages it touches, not the index.
//!
//! Groups make chains through the index exact: the indexed paragraphs an input's keys find come
//! with their groups, and paragraphs of one group are joined before any verification, so two new
//! paragraphs joined only through older ones are joined as in a scan of everything (every indexed
//! paragraph sharing an LSH bucket with an input paragraph is found; a report that lists every
//! indexed copy takes in the groups' other paragraphs too). When a new shard joins two groups, the
//! segment written for it records the merge; [`ShardIndex::open`] resolves merges, and compaction
//! rewrites groups resolved.
//!
//! Updates are atomic: a segment is written to a temporary file, synced and renamed into the
//! folder, then the manifest is replaced the same way; a crash before the manifest's rename leaves
//! the previous index as it was (the orphan segment is ignored). A lock file (`lock`, held with an
//! OS file lock, so a killed writer releases it) keeps a second writer out.

use crate::scan::{
    DocumentEntry, DocumentRef, IndexedOccurrence, IndexedParagraph, IndexedPart, Location, Probe,
    Retained, ScanOutcome, ScanParams,
};
use crate::segment::Span;
use memmap2::Mmap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xxhash_rust::xxh3::xxh3_64;

/// The manifest's file name inside the index folder.
pub const MANIFEST: &str = "index.json";
/// The manifest's `magic` value.
pub const MAGIC: &str = "paradup.shard-index";
/// The format this paradup writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The lock file's name inside the index folder.
pub const LOCK: &str = "lock";
/// First bytes of every segment file.
const SEGMENT_MAGIC: &[u8; 8] = b"PDSHARD\0";
/// Sections of a segment, in file order.
const SECTIONS: usize = 9;
/// Bytes of a segment's header: magic, version, section count, and (offset, length) of each
/// section, then the xxh3 of everything before it.
const HEADER: usize = 8 + 4 + 4 + SECTIONS * 16 + 8;

const DOCS: usize = 0;
const STRINGS: usize = 1;
const DISTINCT: usize = 2;
const SHINGLES: usize = 3;
const OCCURRENCES: usize = 4;
const EXACT: usize = 5;
const BANDS: usize = 6;
const GROUPS: usize = 7;
const MERGES: usize = 8;

/// Bytes of a document record: shard, id, path and source lengths (u32 each), text bytes, line,
/// row and where its strings start (u64 each).
const DOC_RECORD: usize = 48;
/// Bytes of a distinct paragraph record: exact hash, group, first shingle, first occurrence (u64
/// each), shingle count, occurrence count, near flag, padding (u32 each).
const DISTINCT_RECORD: usize = 48;
/// Bytes of an occurrence: document, paragraph (u32 each), start, end (u64 each).
const OCCURRENCE_RECORD: usize = 24;
/// Bytes of a sorted table entry: a u64 key and a u32 distinct paragraph number.
const TABLE_ENTRY: usize = 12;
/// Bytes of a group merge: the group merged and the group it joins (u64 each).
const MERGE_RECORD: usize = 16;
/// Paragraphs read between two releases of the pages read.
const RELEASE_EVERY: usize = 2048;
/// Keys a lookup run looks up between two releases of the pages read: about 6 MB of a band
/// table's pages for keys as dense as a shard's (a release is a system call that stops every
/// thread of the process, so not too often).
const LOOKUP_RELEASE_EVERY: usize = 16384;
/// A missing line, row or source.
const NONE_U64: u64 = u64::MAX;
const NONE_U32: u32 = u32::MAX;

/// Something wrong with an index: missing, locked, made with other parameters, corrupt, or of
/// another format version. The message names the folder or file and what is wrong.
#[derive(Debug)]
pub struct IndexError(pub String);

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IndexError {}

type Result<T> = std::result::Result<T, IndexError>;

fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(IndexError(message.into()))
}

fn io_error(what: &str, path: &Path, error: std::io::Error) -> IndexError {
    IndexError(format!("cannot {what} {}: {error}", path.display()))
}

/// Every parameter that changes fingerprints, as the manifest records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexParams {
    /// Paragraph segmentation.
    pub split: String,
    /// `paragraph` or `document`.
    pub unit: String,
    /// Digits folded to 0.
    pub fold_digits: bool,
    /// Words per shingle.
    pub ngram: usize,
    /// Characters per shingle for scripts without spaces.
    pub char_ngram: usize,
    /// MinHash functions.
    pub num_perm: usize,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows a band.
    pub rows: usize,
    /// Jaccard threshold.
    pub threshold: f64,
    /// Minimum words for the near tier.
    pub min_words: usize,
    /// MinHash seed.
    pub seed: u64,
    /// Hash of the exact tier and of shingles.
    pub hash: String,
}

impl IndexParams {
    /// The parameters of `params` an index depends on. Containment is refused: its candidates
    /// come from every shingle of every paragraph, which an index lookup does not reach.
    pub fn from_scan(params: &ScanParams) -> Result<Self> {
        if params.containment.is_some() {
            return fail("--containment cannot be used with a shard index");
        }
        Ok(IndexParams {
            split: params.split.to_string(),
            unit: params.unit.to_string(),
            fold_digits: params.normalize.fold_digits,
            ngram: params.ngram,
            char_ngram: params.char_ngram,
            num_perm: params.num_perm,
            bands: params.banding.bands,
            rows: params.banding.rows,
            threshold: params.threshold,
            min_words: params.min_words,
            seed: params.seed,
            hash: "xxh3-64".into(),
        })
    }

    /// Fails naming the first parameter of `run` that differs from the index's.
    pub fn require_same(&self, run: &IndexParams, index: &Path) -> Result<()> {
        let pairs: [(&str, String, String); 12] = [
            ("--split", self.split.clone(), run.split.clone()),
            ("--unit", self.unit.clone(), run.unit.clone()),
            (
                "--fold-digits",
                self.fold_digits.to_string(),
                run.fold_digits.to_string(),
            ),
            ("--ngram", self.ngram.to_string(), run.ngram.to_string()),
            (
                "--char-ngram",
                self.char_ngram.to_string(),
                run.char_ngram.to_string(),
            ),
            (
                "--num-perm",
                self.num_perm.to_string(),
                run.num_perm.to_string(),
            ),
            ("--bands", self.bands.to_string(), run.bands.to_string()),
            ("--rows", self.rows.to_string(), run.rows.to_string()),
            (
                "--threshold",
                self.threshold.to_string(),
                run.threshold.to_string(),
            ),
            (
                "--min-words",
                self.min_words.to_string(),
                run.min_words.to_string(),
            ),
            ("--seed", self.seed.to_string(), run.seed.to_string()),
            ("hash", self.hash.clone(), run.hash.clone()),
        ];
        for (name, indexed, given) in pairs {
            if indexed != given {
                return fail(format!(
                    "parameter mismatch: the index {} was built with {name} {indexed}, this run \
                     uses {given}; give the same {name} (see `paradup index info`)",
                    index.display()
                ));
            }
        }
        Ok(())
    }
}

/// One shard of an index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Its name (given with `--shard`, or the inputs' names).
    pub name: String,
    /// Documents read.
    pub documents: u64,
    /// Paragraphs with words.
    pub paragraphs: u64,
    /// Bytes of text.
    pub bytes: u64,
    /// Distinct paragraphs.
    pub distinct_paragraphs: u64,
}

/// One segment file of an index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// File name inside the index folder.
    pub file: String,
    /// Its length in bytes.
    pub bytes: u64,
    /// xxh3-64 of the whole file.
    pub checksum: u64,
    /// The shards (positions in the manifest's list) it holds.
    pub shards: Vec<u32>,
    /// Distinct paragraphs it holds.
    pub distinct_paragraphs: u64,
}

/// The manifest: what an index holds and how it was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MAGIC`].
    pub magic: String,
    /// The format version, [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The fingerprint parameters.
    pub params: IndexParams,
    /// Shards in the order they were added.
    pub shards: Vec<ShardInfo>,
    /// Segment files, in shard order.
    pub segments: Vec<SegmentInfo>,
    /// The next group number free for a new cluster.
    pub next_group: u64,
    /// The next segment file number.
    pub next_segment: u64,
}

/// Reads a little-endian u64 at `at`, or fails as corrupt.
fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    let slice = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(slice.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let slice = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(slice.try_into().ok()?))
}

/// A distinct paragraph's record in a segment.
#[derive(Clone, Copy, Debug)]
struct DistinctRecord {
    exact: u64,
    group: u64,
    shingle_start: u64,
    occurrence_start: u64,
    shingle_count: u32,
    occurrence_count: u32,
    near: bool,
}

/// A document's record in a segment.
#[derive(Clone, Debug)]
struct DocRecord {
    shard: u32,
    id: String,
    path: String,
    source: Option<String>,
    bytes: u64,
    line: Option<u64>,
    row: Option<u64>,
}

/// A segment file, memory-mapped.
struct Segment {
    path: PathBuf,
    map: Mmap,
    sections: [(usize, usize); SECTIONS],
}

impl Segment {
    fn open(path: PathBuf, expected_bytes: u64) -> Result<Segment> {
        let file = File::open(&path).map_err(|e| io_error("open segment", &path, e))?;
        let length = file
            .metadata()
            .map_err(|e| io_error("read segment", &path, e))?
            .len();
        if length != expected_bytes {
            return fail(format!(
                "corrupt segment {}: {length} bytes, the manifest says {expected_bytes}",
                path.display()
            ));
        }
        // SAFETY: segments are never modified once written (a new one is written to a new name),
        // and every read through the map is bounds-checked against its length.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_error("map segment", &path, e))?;
        let corrupt = |what: &str| {
            IndexError(format!(
                "corrupt segment {}: {what} (restore the index from its copy, or rebuild it)",
                path.display()
            ))
        };
        if map.len() < HEADER || &map[..8] != SEGMENT_MAGIC {
            return Err(corrupt("not a paradup segment (bad magic)"));
        }
        let version = u32_at(&map, 8).unwrap_or(0);
        if version != FORMAT_VERSION {
            return fail(format!(
                "segment {} has format version {version}; this paradup reads version \
                 {FORMAT_VERSION} (rebuild the index with this version)",
                path.display()
            ));
        }
        if u32_at(&map, 12) != Some(SECTIONS as u32) {
            return Err(corrupt("unexpected section count"));
        }
        let header_sum = u64_at(&map, HEADER - 8).unwrap_or(0);
        if xxh3_64(&map[..HEADER - 8]) != header_sum {
            return Err(corrupt("header checksum mismatch"));
        }
        let mut sections = [(0usize, 0usize); SECTIONS];
        let record_sizes = [
            DOC_RECORD,
            1,
            DISTINCT_RECORD,
            4,
            OCCURRENCE_RECORD,
            TABLE_ENTRY,
            TABLE_ENTRY,
            TABLE_ENTRY,
            MERGE_RECORD,
        ];
        for (i, section) in sections.iter_mut().enumerate() {
            let offset = u64_at(&map, 16 + i * 16).unwrap_or(u64::MAX);
            let len = u64_at(&map, 24 + i * 16).unwrap_or(u64::MAX);
            let end = offset.checked_add(len);
            if end.is_none_or(|end| end > map.len() as u64)
                || !len.is_multiple_of(record_sizes[i] as u64)
            {
                return Err(corrupt("a section lies outside the file"));
            }
            *section = (offset as usize, len as usize);
        }
        Ok(Segment {
            path,
            map,
            sections,
        })
    }

    fn section(&self, index: usize) -> &[u8] {
        let (offset, len) = self.sections[index];
        &self.map[offset..offset + len]
    }

    fn corrupt(&self, what: &str) -> IndexError {
        IndexError(format!(
            "corrupt segment {}: {what} (restore the index from its copy, or rebuild it)",
            self.path.display()
        ))
    }

    fn distinct_count(&self) -> usize {
        self.sections[DISTINCT].1 / DISTINCT_RECORD
    }

    fn doc_count(&self) -> usize {
        self.sections[DOCS].1 / DOC_RECORD
    }

    fn distinct(&self, local: u32) -> Result<DistinctRecord> {
        let bytes = self.section(DISTINCT);
        let at = local as usize * DISTINCT_RECORD;
        let read = || -> Option<DistinctRecord> {
            Some(DistinctRecord {
                exact: u64_at(bytes, at)?,
                group: u64_at(bytes, at + 8)?,
                shingle_start: u64_at(bytes, at + 16)?,
                occurrence_start: u64_at(bytes, at + 24)?,
                shingle_count: u32_at(bytes, at + 32)?,
                occurrence_count: u32_at(bytes, at + 36)?,
                near: u32_at(bytes, at + 40)? != 0,
            })
        };
        let record =
            read().ok_or_else(|| self.corrupt("a paragraph number lies outside the segment"))?;
        // Where its shingles and occurrences are must lie inside their sections, so that every
        // later offset is in range.
        let inside = |start: u64, count: u32, section: usize, size: usize| {
            start
                .checked_add(u64::from(count))
                .is_some_and(|end| end <= (self.sections[section].1 / size) as u64)
        };
        if !inside(record.shingle_start, record.shingle_count, SHINGLES, 4)
            || !inside(
                record.occurrence_start,
                record.occurrence_count,
                OCCURRENCES,
                OCCURRENCE_RECORD,
            )
        {
            return Err(
                self.corrupt("a paragraph's shingles or occurrences lie outside the segment")
            );
        }
        Ok(record)
    }

    fn shingles(&self, record: &DistinctRecord) -> Result<Vec<u32>> {
        let bytes = self.section(SHINGLES);
        let start = record.shingle_start as usize;
        let slice = start
            .checked_mul(4)
            .and_then(|from| bytes.get(from..from.checked_add(record.shingle_count as usize * 4)?))
            .ok_or_else(|| self.corrupt("a shingle set lies outside the segment"))?;
        Ok(slice
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }

    fn occurrence(&self, index: u64) -> Result<(u32, u32, Span)> {
        let bytes = self.section(OCCURRENCES);
        let at = index as usize * OCCURRENCE_RECORD;
        let read = || -> Option<(u32, u32, Span)> {
            let start = u64_at(bytes, at + 8)? as usize;
            let end = u64_at(bytes, at + 16)? as usize;
            Some((
                u32_at(bytes, at)?,
                u32_at(bytes, at + 4)?,
                Span {
                    start,
                    end: end.max(start),
                },
            ))
        };
        read().ok_or_else(|| self.corrupt("an occurrence lies outside the segment"))
    }

    fn doc(&self, index: u32) -> Result<DocRecord> {
        let bytes = self.section(DOCS);
        let strings = self.section(STRINGS);
        let at = index as usize * DOC_RECORD;
        let read = || -> Option<DocRecord> {
            let shard = u32_at(bytes, at)?;
            let id_len = u32_at(bytes, at + 4)? as usize;
            let path_len = u32_at(bytes, at + 8)? as usize;
            let source_len = u32_at(bytes, at + 12)?;
            let text_bytes = u64_at(bytes, at + 16)?;
            let line = u64_at(bytes, at + 24)?;
            let row = u64_at(bytes, at + 32)?;
            let start = u64_at(bytes, at + 40)? as usize;
            let text = |from: usize, len: usize| -> Option<String> {
                let slice = strings.get(from..from.checked_add(len)?)?;
                Some(String::from_utf8_lossy(slice).into_owned())
            };
            let path_start = start.checked_add(id_len)?;
            let source_start = path_start.checked_add(path_len)?;
            let id = text(start, id_len)?;
            let path = text(path_start, path_len)?;
            let source = if source_len == NONE_U32 {
                None
            } else {
                Some(text(source_start, source_len as usize)?)
            };
            Some(DocRecord {
                shard,
                id,
                path,
                source,
                bytes: text_bytes,
                line: (line != NONE_U64).then_some(line),
                row: (row != NONE_U64).then_some(row),
            })
        };
        read().ok_or_else(|| self.corrupt("a document lies outside the segment"))
    }

    /// Lets the OS drop the pages read so far from this process's memory (they stay in the page
    /// cache): lookups and record reads release them as they go, so that what a query holds is
    /// bounded by the window it reads, not by the index.
    fn release_pages(&self) {
        #[cfg(unix)]
        {
            // SAFETY: the map is read-only and shared; dropped pages are read again from the
            // file when touched.
            let _ = unsafe {
                self.map
                    .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
            };
        }
    }

    /// The entries of sorted table `table` whose key is one of `keys` (sorted, without repeats),
    /// as (position of the key in `keys`, distinct paragraph), in key order, a list a run. The keys are looked
    /// up in runs, in parallel; within a run each key is found by galloping from where the last
    /// one was, so the pages read advance with the keys, and they are released every
    /// [`LOOKUP_RELEASE_EVERY`] keys. A key shared by thousands of paragraphs (a dense family's bucket)
    /// costs its entries, and no memory beyond them.
    fn lookup_sorted(&self, table: usize, keys: &[u64]) -> Result<Vec<Vec<(u32, u32)>>> {
        let bytes = self.section(table);
        let count = bytes.len() / TABLE_ENTRY;
        let key_at = |i: usize| u64_at(bytes, i * TABLE_ENTRY).unwrap_or(u64::MAX);
        let distinct = self.distinct_count();
        // Several runs a thread, so that a run of dense buckets does not hold the others back.
        let run = keys
            .len()
            .div_ceil(rayon::current_num_threads() * 8)
            .max(LOOKUP_RELEASE_EVERY);
        let runs = keys
            .par_chunks(run)
            .enumerate()
            .map(|(r, run_keys)| -> Result<Vec<(u32, u32)>> {
                let mut entries = Vec::new();
                // Where the run's first key would be: a binary search of the whole table.
                let mut position = 0usize;
                if let Some(&first) = run_keys.first() {
                    let mut high = count;
                    while position < high {
                        let mid = position + (high - position) / 2;
                        if key_at(mid) < first {
                            position = mid + 1;
                        } else {
                            high = mid;
                        }
                    }
                }
                let mut previous: Option<u64> = None;
                for (k, &key) in run_keys.iter().enumerate() {
                    if k % LOOKUP_RELEASE_EVERY == LOOKUP_RELEASE_EVERY - 1 {
                        self.release_pages();
                    }
                    // The first entry at or after `position` whose key is not below `key`.
                    // Keys are hashes, spread evenly: it is expected as many entries after the
                    // last key's as the keys between them would hold, and looked for by
                    // galloping from there to the side it lies on.
                    let expected = previous
                        .map_or(position, |last: u64| {
                            let between =
                                (u128::from(key.wrapping_sub(last)) * count as u128) >> 64;
                            position.saturating_add(usize::try_from(between).unwrap_or(usize::MAX))
                        })
                        .min(count);
                    previous = Some(key);
                    let (mut low, mut high);
                    if expected < count && key_at(expected) < key {
                        low = expected + 1;
                        let mut step = 1usize;
                        loop {
                            let probe = expected.saturating_add(step);
                            if probe >= count {
                                high = count;
                                break;
                            }
                            if key_at(probe) >= key {
                                high = probe;
                                break;
                            }
                            low = probe + 1;
                            step = step.saturating_mul(2);
                        }
                    } else {
                        (low, high) = (position, expected);
                        let mut step = 1usize;
                        while high > position {
                            let probe = high.saturating_sub(step).max(position);
                            if key_at(probe) < key {
                                low = probe + 1;
                                break;
                            }
                            high = probe;
                            step = step.saturating_mul(2);
                        }
                    }
                    while low < high {
                        let mid = low + (high - low) / 2;
                        if key_at(mid) < key {
                            low = mid + 1;
                        } else {
                            high = mid;
                        }
                    }
                    position = low;
                    let mut i = low;
                    while i < count && key_at(i) == key {
                        let local = u32_at(bytes, i * TABLE_ENTRY + 8).ok_or_else(|| {
                            self.corrupt("a table entry lies outside the segment")
                        })?;
                        if local as usize >= distinct {
                            return Err(self.corrupt("a table names a paragraph it does not hold"));
                        }
                        entries.push(((r * run + k) as u32, local));
                        i += 1;
                    }
                }
                Ok(entries)
            })
            .collect::<Result<Vec<_>>>();
        self.release_pages();
        runs
    }

    fn merges(&self) -> Vec<(u64, u64)> {
        let bytes = self.section(MERGES);
        (0..bytes.len() / MERGE_RECORD)
            .filter_map(|i| Some((u64_at(bytes, i * 16)?, u64_at(bytes, i * 16 + 8)?)))
            .collect()
    }
}

/// An open index: its manifest, its segments mapped, and its group merges resolved.
pub struct ShardIndex {
    folder: PathBuf,
    manifest: Manifest,
    segments: Vec<Segment>,
    /// Group merged -> group it joined (resolved to the end of its chain).
    merged_into: HashMap<u64, u64>,
    /// Resolved group -> the groups merged into it (itself excluded).
    merged_from: HashMap<u64, Vec<u64>>,
}

/// Reads the manifest of the index at `folder`, checking magic and format version.
pub fn read_manifest(folder: &Path) -> Result<Manifest> {
    if folder.is_file() {
        return fail(format!(
            "{} is a file, not a shard index folder (an n-gram reference index from \
             --save-reference-index is read with --reference-index)",
            folder.display()
        ));
    }
    let path = folder.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            IndexError(format!(
                "{} is not a shard index (no {MANIFEST}); make one with `paradup index build`",
                folder.display()
            ))
        } else {
            io_error("read", &path, e)
        }
    })?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| IndexError(format!("corrupt manifest {}: {e}", path.display())))?;
    if value.get("magic").and_then(|m| m.as_str()) != Some(MAGIC) {
        return fail(format!(
            "{} is not a paradup shard index manifest (no \"magic\": \"{MAGIC}\")",
            path.display()
        ));
    }
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(FORMAT_VERSION as u64) {
        return fail(format!(
            "the index {} has format version {}; this paradup reads version {FORMAT_VERSION} \
             (rebuild the index with this version)",
            folder.display(),
            version.map_or("(none)".to_string(), |v| v.to_string())
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| IndexError(format!("corrupt manifest {}: {e}", path.display())))
}

impl ShardIndex {
    /// Opens the index at `folder`: reads the manifest, maps each segment (checking its length,
    /// magic, version and header checksum) and resolves group merges.
    pub fn open(folder: &Path) -> Result<ShardIndex> {
        let manifest = read_manifest(folder)?;
        let mut segments = Vec::new();
        for info in &manifest.segments {
            if info.file.contains('/') || info.file.contains('\\') || info.file.starts_with('.') {
                return fail(format!(
                    "corrupt manifest {}: segment name {:?}",
                    folder.join(MANIFEST).display(),
                    info.file
                ));
            }
            segments.push(Segment::open(folder.join(&info.file), info.bytes)?);
        }
        let mut parent: HashMap<u64, u64> = HashMap::new();
        for segment in &segments {
            for (from, to) in segment.merges() {
                parent.insert(from, to);
            }
        }
        let resolve = |mut group: u64| {
            // A chain is at most as long as the merges; a loop (corruption) stops there.
            for _ in 0..=parent.len() {
                match parent.get(&group) {
                    Some(&next) if next != group => group = next,
                    _ => break,
                }
            }
            group
        };
        let merged_into: HashMap<u64, u64> = parent.keys().map(|&g| (g, resolve(g))).collect();
        let mut merged_from: HashMap<u64, Vec<u64>> = HashMap::new();
        for (&from, &to) in &merged_into {
            if from != to {
                merged_from.entry(to).or_default().push(from);
            }
        }
        for list in merged_from.values_mut() {
            list.sort_unstable();
        }
        Ok(ShardIndex {
            folder: folder.to_path_buf(),
            manifest,
            segments,
            merged_into,
            merged_from,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    fn resolve(&self, group: u64) -> u64 {
        self.merged_into.get(&group).copied().unwrap_or(group)
    }

    /// Reads every segment whole and compares it with the checksum in the manifest.
    pub fn verify(&self) -> Result<()> {
        for (segment, info) in self.segments.iter().zip(&self.manifest.segments) {
            if xxh3_64(&segment.map) != info.checksum {
                return Err(segment.corrupt("checksum mismatch"));
            }
        }
        Ok(())
    }

    /// The indexed paragraphs an input touches, with the rest of their groups, ready for
    /// [`crate::Scanner::add_indexed`]: each distinct paragraph whose exact hash or any LSH band
    /// key is the input's, then every paragraph of those paragraphs' groups. Cost: one binary
    /// search a segment for each of the input's keys, and the pages of what is found.
    /// `max_copies` caps the occurrences listed for one distinct text (the rest are counted).
    ///
    /// Without `whole_groups`, only the paragraphs the input's keys find are taken, each with its
    /// group: enough to join the input's paragraphs as a scan of everything would (paragraphs of
    /// one group are joined, and every indexed paragraph that shares an LSH bucket with an input
    /// paragraph is found), but a cluster then lists only those of its indexed copies.
    ///
    /// The part carries the band keys to bucket the paragraphs by
    /// ([`IndexedPart::band_keys`]), not computed again from their shingles: in each band, the
    /// input's key that found the paragraph there, else a key no input paragraph has (one for
    /// all: a bucket of indexed paragraphs only). Which of a paragraph's buckets hold an input
    /// paragraph, and with whom, is all a scan against the index acts on (it does not verify two
    /// indexed paragraphs again), and the lookups find exactly those. (The band tables do not
    /// name a key's band: an indexed key equal to an input key of another band, as rare as any
    /// collision of 64-bit keys, would only add a candidate pair, as a collision does in a scan.)
    pub fn gather(
        &self,
        probe: &Probe,
        max_copies: Option<usize>,
        whole_groups: bool,
    ) -> Result<IndexedPart> {
        let mut exact = probe.exact.clone();
        exact.sort_unstable();
        exact.dedup();
        // The input's band keys, sorted, each with its band.
        let bands = probe.bands;
        let per_band = probe.band_keys.len().checked_div(bands).unwrap_or(0);
        let mut keyed: Vec<(u64, u32)> = probe
            .band_keys
            .iter()
            .enumerate()
            .map(|(i, &key)| (key, i.checked_div(per_band).unwrap_or(0) as u32))
            .collect();
        keyed.par_sort_unstable();
        keyed.dedup();
        // A key the input has in two bands (as rare as any collision of 64-bit keys) would leave
        // the band of what it finds unknown: the scanner then computes every key.
        let keys_given = bands > 0
            && per_band * bands == probe.band_keys.len()
            && keyed.windows(2).all(|pair| pair[0].0 != pair[1].0);
        keyed.dedup_by_key(|&mut (key, _)| key);
        let (band_keys, band_of): (Vec<u64>, Vec<u32>) = keyed.into_iter().unzip();
        // A bit a distinct paragraph of each segment, and, for each segment, the (paragraph,
        // position in `band_keys`) of every band table entry found.
        let mut marks: Vec<Vec<u64>> = self
            .segments
            .iter()
            .map(|segment| vec![0u64; segment.distinct_count().div_ceil(64)])
            .collect();
        let mut band_hits: Vec<Vec<(u32, u32)>> = vec![Vec::new(); self.segments.len()];
        for ((segment, found), hits) in self
            .segments
            .iter()
            .zip(marks.iter_mut())
            .zip(band_hits.iter_mut())
        {
            let mark = |found: &mut [u64], local: u32| {
                found[local as usize / 64] |= 1 << (local % 64);
            };
            for (_, local) in segment.lookup_sorted(EXACT, &exact)?.concat() {
                mark(found, local);
            }
            let runs = segment.lookup_sorted(BANDS, &band_keys)?;
            if keys_given {
                hits.reserve_exact(runs.iter().map(Vec::len).sum());
            }
            for (key, local) in runs.into_iter().flatten() {
                mark(found, local);
                if keys_given {
                    hits.push((local, key));
                }
            }
            hits.par_sort_unstable();
        }
        drop(exact);
        let marked = |marks: &[Vec<u64>]| -> Vec<(usize, u32)> {
            let mut list = Vec::new();
            for (s, words) in marks.iter().enumerate() {
                for (w, &word) in words.iter().enumerate() {
                    let mut bits = word;
                    while bits != 0 {
                        list.push((s, (w * 64) as u32 + bits.trailing_zeros()));
                        bits &= bits - 1;
                    }
                }
            }
            list
        };
        let hits = marked(&marks);
        if whole_groups {
            let mut groups: BTreeSet<u64> = BTreeSet::new();
            for (n, &(s, local)) in hits.iter().enumerate() {
                if n % RELEASE_EVERY == RELEASE_EVERY - 1 {
                    self.segments[s].release_pages();
                }
                groups.insert(self.resolve(self.segments[s].distinct(local)?.group));
            }
            let mut raw_groups: Vec<u64> = Vec::new();
            for &group in &groups {
                raw_groups.push(group);
                raw_groups.extend(self.merged_from.get(&group).into_iter().flatten());
            }
            raw_groups.sort_unstable();
            raw_groups.dedup();
            if !raw_groups.is_empty() {
                for (segment, found) in self.segments.iter().zip(marks.iter_mut()) {
                    for (_, local) in segment.lookup_sorted(GROUPS, &raw_groups)?.concat() {
                        found[local as usize / 64] |= 1 << (local % 64);
                    }
                }
            }
        }
        // Each wanted paragraph's record, shingles and first occurrences, read in parallel, a
        // window of paragraphs at a time (its pages released after it).
        let wanted = if whole_groups { marked(&marks) } else { hits };
        drop(marks);
        let cap = max_copies.unwrap_or(usize::MAX);
        type Read = (DistinctRecord, Option<Vec<u32>>, Vec<(u32, u32, Span)>);
        let mut read: Vec<Read> = Vec::with_capacity(wanted.len());
        for window in wanted.chunks(RELEASE_EVERY) {
            let part: Vec<Read> = window
                .par_iter()
                .map(|&(s, local)| -> Result<Read> {
                    let segment = &self.segments[s];
                    let record = segment.distinct(local)?;
                    let shingles = if record.near {
                        Some(segment.shingles(&record)?)
                    } else {
                        None
                    };
                    let listed = (record.occurrence_count as usize).min(cap) as u64;
                    let occurrences = (0..listed)
                        .map(|k| {
                            let (doc, paragraph, span) =
                                segment.occurrence(record.occurrence_start + k)?;
                            if doc as usize >= segment.doc_count() {
                                return Err(segment
                                    .corrupt("an occurrence names a document it does not hold"));
                            }
                            Ok((doc, paragraph, span))
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Ok((record, shingles, occurrences))
                })
                .collect::<Result<Vec<Read>>>()?;
            read.extend(part);
            for segment in &self.segments {
                segment.release_pages();
            }
        }
        let mut part = IndexedPart::default();
        // A key no input paragraph has, for each band of a paragraph that no input key found
        // there.
        let mut absent = u64::MAX;
        while band_keys.binary_search(&absent).is_ok() {
            absent -= 1;
        }
        if keys_given {
            part.band_keys = vec![0u64; wanted.len() * bands];
        }
        let mut next_hit = vec![0usize; self.segments.len()];
        // (segment, document, paragraph, distinct number in `part`) of every occurrence taken.
        let mut taken: Vec<(usize, u32, u32, Span, u32)> = Vec::new();
        let mut copies_of: HashMap<u64, usize> = HashMap::new();
        for (&(s, local), (record, shingles, occurrences)) in wanted.iter().zip(read) {
            let distinct = part.paragraphs.len() as u32;
            if keys_given {
                // `wanted` and each segment's hits are both in paragraph order.
                let hits = &band_hits[s];
                let mut at = next_hit[s];
                while at < hits.len() && hits[at].0 < local {
                    at += 1;
                }
                let row = &mut part.band_keys[distinct as usize * bands..][..bands];
                if record.near {
                    row.fill(absent);
                }
                while at < hits.len() && hits[at].0 == local {
                    let key = hits[at].1 as usize;
                    if let Some(slot) = row.get_mut(band_of[key] as usize) {
                        *slot = band_keys[key];
                    }
                    at += 1;
                }
                next_hit[s] = at;
            }
            part.paragraphs.push(IndexedParagraph {
                exact: record.exact,
                shingles,
                group: self.resolve(record.group),
            });
            // The cap counts a text's occurrences over every segment holding it.
            // (A segment holds a text once: with one segment, nothing was listed before.)
            let mut none_yet = 0;
            let listed = if self.segments.len() > 1 {
                copies_of.entry(record.exact).or_default()
            } else {
                &mut none_yet
            };
            let room = cap.saturating_sub(*listed).min(occurrences.len());
            part.copies_left_out += record.occurrence_count as u64 - room as u64;
            *listed += room;
            for &(doc, paragraph, span) in &occurrences[..room] {
                taken.push((s, doc, paragraph, span, distinct));
            }
        }
        taken.par_sort_unstable_by_key(|&(s, doc, paragraph, _, _)| (s, doc, paragraph));
        let shard_names: Vec<Arc<str>> = self
            .manifest
            .shards
            .iter()
            .map(|s| Arc::from(s.name.as_str()))
            .collect();
        // The documents holding them, in order, read in parallel.
        let mut holding: Vec<(usize, u32)> = taken.iter().map(|&(s, doc, ..)| (s, doc)).collect();
        holding.dedup();
        part.documents = holding
            .par_iter()
            .map(|&(s, doc)| -> Result<DocumentEntry> {
                let record = self.segments[s].doc(doc)?;
                Ok(DocumentEntry {
                    id: record.id,
                    source: record.source,
                    location: Location {
                        path: record.path,
                        line: record.line,
                        row: record.row,
                    },
                    bytes: record.bytes,
                    first_paragraph: 0,
                    paragraph_count: 0,
                    word_paragraphs: 0,
                    shard: Some(
                        shard_names
                            .get(record.shard as usize)
                            .cloned()
                            .unwrap_or_else(|| Arc::from("?")),
                    ),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        part.occurrences.reserve_exact(taken.len());
        let mut number = 0usize;
        for &(s, doc, paragraph, span, distinct) in &taken {
            while holding[number] != (s, doc) {
                number += 1;
            }
            part.occurrences.push(IndexedOccurrence {
                doc: number as u32,
                paragraph,
                span,
                distinct,
            });
        }
        Ok(part)
    }
}

/// Holds the index's lock file while alive; a second writer is refused. The OS releases the lock
/// when the process ends, however it ends.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Takes the lock of the index at `folder` (which must exist), or fails when another writer
    /// holds it.
    pub fn take(folder: &Path) -> Result<WriteLock> {
        if !folder.is_dir() {
            return fail(format!(
                "{} is not a shard index (no such folder); make one with `paradup index build`",
                folder.display()
            ));
        }
        let path = folder.join(LOCK);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error("open lock file", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(WriteLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => fail(format!(
                "the index {} is locked by another writer (lock file {}); try again when it \
                 has finished",
                folder.display(),
                path.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(io_error("lock", &path, e)),
        }
    }
}

/// A new manifest for an empty index with `params`.
pub fn empty_manifest(params: IndexParams) -> Manifest {
    Manifest {
        magic: MAGIC.into(),
        format_version: FORMAT_VERSION,
        params,
        shards: Vec::new(),
        segments: Vec::new(),
        next_group: 0,
        next_segment: 0,
    }
}

/// The contents of a segment before it is written.
#[derive(Default)]
struct SegmentBuilder<'a> {
    docs: Vec<u8>,
    strings: Vec<u8>,
    distinct: Vec<u8>,
    shingles: Vec<u8>,
    /// When set, the shingles section is this slice, written as it is, and paragraphs name their
    /// ranges in it ([`SegmentBuilder::push_distinct_at`]) instead of copying their sets.
    shared_shingles: Option<&'a [u32]>,
    occurrences: Vec<u8>,
    exact: Vec<(u64, u32)>,
    bands: Vec<(u64, u32)>,
    groups: Vec<(u64, u32)>,
    merges: Vec<(u64, u64)>,
    distinct_count: u32,
}

impl SegmentBuilder<'_> {
    fn push_doc(&mut self, shard: u32, doc: &DocumentRef) {
        let start = self.strings.len() as u64;
        self.strings.extend_from_slice(doc.id.as_bytes());
        self.strings.extend_from_slice(doc.location.path.as_bytes());
        if let Some(source) = &doc.source {
            self.strings.extend_from_slice(source.as_bytes());
        }
        let d = &mut self.docs;
        d.extend_from_slice(&shard.to_le_bytes());
        d.extend_from_slice(&(doc.id.len() as u32).to_le_bytes());
        d.extend_from_slice(&(doc.location.path.len() as u32).to_le_bytes());
        d.extend_from_slice(
            &doc.source
                .as_ref()
                .map_or(NONE_U32, |s| s.len() as u32)
                .to_le_bytes(),
        );
        d.extend_from_slice(&doc.bytes.to_le_bytes());
        d.extend_from_slice(&doc.location.line.unwrap_or(NONE_U64).to_le_bytes());
        d.extend_from_slice(&doc.location.row.unwrap_or(NONE_U64).to_le_bytes());
        d.extend_from_slice(&start.to_le_bytes());
    }

    /// Adds a distinct paragraph; returns its number in the segment.
    fn push_distinct(
        &mut self,
        exact: u64,
        group: u64,
        shingles: Option<&[u32]>,
        band_keys: &[u64],
        occurrences: &[(u32, u32, Span)],
    ) -> u32 {
        let shingle_start = (self.shingles.len() / 4) as u64;
        for &shingle in shingles.unwrap_or(&[]) {
            self.shingles.extend_from_slice(&shingle.to_le_bytes());
        }
        let range = shingles.map(|set| (shingle_start, set.len()));
        self.push_distinct_at(exact, group, range, band_keys, occurrences)
    }

    /// Adds a distinct paragraph whose shingles are `shingles` (start, count) in the shared
    /// shingles (or, from [`SegmentBuilder::push_distinct`], in the section being built).
    fn push_distinct_at(
        &mut self,
        exact: u64,
        group: u64,
        shingles: Option<(u64, usize)>,
        band_keys: &[u64],
        occurrences: &[(u32, u32, Span)],
    ) -> u32 {
        let local = self.distinct_count;
        self.distinct_count += 1;
        let shingle_start = shingles.map_or(0, |(start, _)| start);
        let occurrence_start = (self.occurrences.len() / OCCURRENCE_RECORD) as u64;
        for &(doc, paragraph, span) in occurrences {
            self.occurrences.extend_from_slice(&doc.to_le_bytes());
            self.occurrences.extend_from_slice(&paragraph.to_le_bytes());
            self.occurrences
                .extend_from_slice(&(span.start as u64).to_le_bytes());
            self.occurrences
                .extend_from_slice(&(span.end as u64).to_le_bytes());
        }
        let r = &mut self.distinct;
        r.extend_from_slice(&exact.to_le_bytes());
        r.extend_from_slice(&group.to_le_bytes());
        r.extend_from_slice(&shingle_start.to_le_bytes());
        r.extend_from_slice(&occurrence_start.to_le_bytes());
        r.extend_from_slice(&(shingles.map_or(0, |(_, count)| count) as u32).to_le_bytes());
        r.extend_from_slice(&(occurrences.len() as u32).to_le_bytes());
        r.extend_from_slice(&u32::from(shingles.is_some()).to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        self.exact.push((exact, local));
        self.groups.push((group, local));
        self.bands.extend(band_keys.iter().map(|&key| (key, local)));
        local
    }

    /// Writes the segment into `folder` under a temporary name, synced; returns the open
    /// temporary file, its length and checksum.
    fn write(mut self, folder: &Path) -> Result<(tempfile::NamedTempFile, u64, u64)> {
        self.exact.par_sort_unstable();
        self.bands.par_sort_unstable();
        self.groups.par_sort_unstable();
        self.merges.sort_unstable();
        self.merges.dedup();
        let mut merges = Vec::with_capacity(self.merges.len() * MERGE_RECORD);
        for &(from, to) in &self.merges {
            merges.extend_from_slice(&from.to_le_bytes());
            merges.extend_from_slice(&to.to_le_bytes());
        }
        // The sorted tables are written entry by entry, never held as bytes as well.
        enum Section<'a> {
            Bytes(&'a [u8]),
            Table(&'a [(u64, u32)]),
            Shingles(&'a [u32]),
        }
        let sections: [Section; SECTIONS] = [
            Section::Bytes(&self.docs),
            Section::Bytes(&self.strings),
            Section::Bytes(&self.distinct),
            match self.shared_shingles {
                Some(shared) => Section::Shingles(shared),
                None => Section::Bytes(&self.shingles),
            },
            Section::Bytes(&self.occurrences),
            Section::Table(&self.exact),
            Section::Table(&self.bands),
            Section::Table(&self.groups),
            Section::Bytes(&merges),
        ];
        let length = |section: &Section| match section {
            Section::Bytes(bytes) => bytes.len() as u64,
            Section::Table(entries) => (entries.len() * TABLE_ENTRY) as u64,
            Section::Shingles(shingles) => (shingles.len() * 4) as u64,
        };
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(SEGMENT_MAGIC);
        header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        header.extend_from_slice(&(SECTIONS as u32).to_le_bytes());
        let mut offset = HEADER as u64;
        for section in &sections {
            header.extend_from_slice(&offset.to_le_bytes());
            header.extend_from_slice(&length(section).to_le_bytes());
            offset += length(section);
        }
        let sum = xxh3_64(&header);
        header.extend_from_slice(&sum.to_le_bytes());
        let mut file = tempfile::Builder::new()
            .prefix(".segment-")
            .tempfile_in(folder)
            .map_err(|e| io_error("create a segment in", folder, e))?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file.as_file_mut());
        let mut put = |bytes: &[u8]| -> std::io::Result<()> {
            hasher.update(bytes);
            out.write_all(bytes)
        };
        let mut written = put(&header);
        for section in &sections {
            match section {
                Section::Bytes(bytes) => written = written.and_then(|()| put(bytes)),
                Section::Shingles(shingles) => {
                    let mut block = Vec::with_capacity(4096 * 4);
                    for chunk in shingles.chunks(4096) {
                        block.clear();
                        for &shingle in chunk {
                            block.extend_from_slice(&shingle.to_le_bytes());
                        }
                        written = written.and_then(|()| put(&block));
                    }
                }
                Section::Table(entries) => {
                    // A block of entries at a time through the hasher and the writer.
                    let mut block = Vec::with_capacity(4096 * TABLE_ENTRY);
                    for chunk in entries.chunks(4096) {
                        block.clear();
                        for &(key, local) in chunk {
                            block.extend_from_slice(&key.to_le_bytes());
                            block.extend_from_slice(&local.to_le_bytes());
                        }
                        written = written.and_then(|()| put(&block));
                    }
                }
            }
        }
        let written = written.and_then(|()| out.flush());
        drop(out);
        written.map_err(|e| io_error("write a segment in", folder, e))?;
        file.as_file()
            .sync_all()
            .map_err(|e| io_error("sync a segment in", folder, e))?;
        Ok((file, offset, hasher.digest()))
    }
}

/// A segment written and synced under a temporary name, and the manifest that will name it:
/// [`PendingUpdate::commit`] makes it the index.
pub struct PendingUpdate {
    folder: PathBuf,
    segment: Option<(tempfile::NamedTempFile, String)>,
    manifest: Manifest,
    /// Segment files the new manifest no longer names (removed after the commit).
    replaced: Vec<String>,
}

impl PendingUpdate {
    /// The manifest the commit will write.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Moves the segment to its name in the folder; the manifest does not name it yet, so the
    /// index is still the previous one.
    pub fn place_segment(mut self) -> Result<Self> {
        if let Some((file, name)) = self.segment.take() {
            let target = self.folder.join(&name);
            file.persist(&target)
                .map_err(|e| io_error("move the segment to", &target, e.error))?;
        }
        Ok(self)
    }

    /// Moves the segment into place (unless done), then replaces the manifest (write, sync,
    /// rename, sync the folder): until the rename, the previous index is whole.
    pub fn commit(self) -> Result<()> {
        let this = self.place_segment()?;
        let mut json = serde_json::to_vec_pretty(&this.manifest)
            .map_err(|e| IndexError(format!("cannot write the manifest: {e}")))?;
        json.push(b'\n');
        let mut file = tempfile::Builder::new()
            .prefix(".manifest-")
            .tempfile_in(&this.folder)
            .map_err(|e| io_error("write the manifest in", &this.folder, e))?;
        file.write_all(&json)
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| io_error("write the manifest in", &this.folder, e))?;
        let target = this.folder.join(MANIFEST);
        file.persist(&target)
            .map_err(|e| io_error("replace", &target, e.error))?;
        if let Ok(dir) = File::open(&this.folder) {
            let _ = dir.sync_all();
        }
        for name in this.replaced {
            let _ = std::fs::remove_file(this.folder.join(name));
        }
        Ok(())
    }
}

/// Band keys of a shingle set under `params`, as the scanner computes them.
fn band_keys_of(hasher: &crate::minhash::MinHasher, params: &ScanParams, set: &[u32]) -> Vec<u64> {
    let mut signature = vec![0u32; hasher.num_perm()];
    hasher.signature_into(set, &mut signature);
    let mut keys = vec![0u64; params.banding.bands];
    crate::lsh::band_keys_into(&signature, params.banding, &mut keys);
    keys
}

/// The MinHash functions a scan with `params` computes (see [`crate::Scanner::new`]).
fn hasher_for(params: &ScanParams) -> crate::minhash::MinHasher {
    crate::minhash::MinHasher::new(
        params
            .banding
            .hashes()
            .next_multiple_of(8)
            .min(params.num_perm),
        params.seed,
    )
}

/// Prepares the segment of a new shard from a finished scan of it against the index
/// (`outcome` and `retained` from [`crate::Scanner::finish_retaining`], the scanner having taken
/// in [`ShardIndex::gather`]'s part): its documents, each distinct paragraph with its occurrences
/// and its group (the group of the indexed paragraphs its cluster holds, or a new one), and the
/// merges of groups its paragraphs join. `manifest` is the index's current manifest.
pub fn prepare_add(
    folder: &Path,
    manifest: &Manifest,
    params: &ScanParams,
    shard_name: &str,
    outcome: &ScanOutcome,
    retained: &Retained,
) -> Result<PendingUpdate> {
    let mut manifest = manifest.clone();
    let shard = manifest.shards.len() as u32;
    let mut builder = SegmentBuilder::default();
    // Without indexed paragraphs taken in, the scan's shingle sets are exactly the new segment's:
    // they are written as they lie, not copied first (a gigabyte's build holds them once).
    let shared = retained.indexed_group.is_empty();
    if shared {
        builder.shared_shingles = Some(&retained.shingles);
    }
    for (_, doc) in outcome.documents.iter_from(retained.indexed_documents) {
        builder.push_doc(shard, &doc);
    }
    // The group of each cluster (by root) that holds indexed paragraphs: the smallest of their
    // groups; the others merge into it.
    let mut groups_of_root: BTreeMap<u32, BTreeSet<u64>> = BTreeMap::new();
    for (&unique, &group) in &retained.indexed_group {
        if let Some(&root) = retained.root.get(unique as usize) {
            groups_of_root.entry(root).or_default().insert(group);
        }
    }
    for groups in groups_of_root.values() {
        let mut groups = groups.iter();
        if let Some(&kept) = groups.next() {
            builder.merges.extend(groups.map(|&other| (other, kept)));
        }
    }
    // Distinct paragraphs numbered in order of first occurrence, their occurrences laid out end
    // to end in that order (a count, a prefix sum and a fill: no list a paragraph).
    const UNNUMBERED: u32 = u32::MAX;
    let mut local_of = vec![UNNUMBERED; retained.root.len()];
    let mut order: Vec<u32> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    for &(_, _, _, unique) in &retained.paragraphs {
        let local = &mut local_of[unique as usize];
        if *local == UNNUMBERED {
            *local = order.len() as u32;
            order.push(unique);
            counts.push(0);
        }
        counts[*local as usize] += 1;
    }
    let mut starts: Vec<usize> = Vec::with_capacity(counts.len() + 1);
    starts.push(0);
    for &count in &counts {
        starts.push(starts[starts.len() - 1] + count as usize);
    }
    drop(counts);
    let mut filled = starts.clone();
    let mut occurrences = vec![(0u32, 0u32, Span { start: 0, end: 0 }); retained.paragraphs.len()];
    for &(doc, paragraph, span, unique) in &retained.paragraphs {
        let local = local_of[unique as usize] as usize;
        occurrences[filled[local]] = (doc - retained.indexed_documents as u32, paragraph, span);
        filled[local] += 1;
    }
    drop((filled, local_of));
    let hasher = hasher_for(params);
    let bands = params.banding.bands;
    // Band keys computed in parallel, a chunk of paragraphs at a time.
    for chunk in order.chunks(1 << 16) {
        let shingles_of = |unique: u32| {
            retained.shingle_range[unique as usize]
                .clone()
                .map(|range| &retained.shingles[range])
        };
        let mut keys = vec![0u64; chunk.len() * bands];
        keys.par_chunks_mut(bands.max(1))
            .zip(chunk.par_iter())
            .for_each(|(keys, &unique)| {
                if let Some(set) = shingles_of(unique) {
                    keys.copy_from_slice(&band_keys_of(&hasher, params, set));
                }
            });
        for (&unique, keys) in chunk.iter().zip(keys.chunks(bands.max(1))) {
            let root = retained.root[unique as usize];
            let group = match groups_of_root.get(&root).and_then(|g| g.first()) {
                Some(&group) => group,
                None => manifest.next_group + root as u64,
            };
            let shingles = shingles_of(unique);
            let local = builder.distinct_count as usize;
            let keys = if shingles.is_some() { keys } else { &[] };
            let occurrences = &occurrences[starts[local]..starts[local + 1]];
            let exact = retained.exact[unique as usize];
            if shared {
                let range = retained.shingle_range[unique as usize]
                    .clone()
                    .map(|range| (range.start as u64, range.len()));
                builder.push_distinct_at(exact, group, range, keys, occurrences);
            } else {
                builder.push_distinct(exact, group, shingles, keys, occurrences);
            }
        }
    }
    let paragraphs = occurrences.len() as u64;
    drop(occurrences);
    manifest.next_group += retained.root.len() as u64;
    let distinct = builder.distinct_count as u64;
    let (file, bytes, checksum) = builder.write(folder)?;
    let name = format!("segment-{:06}.pds", manifest.next_segment);
    manifest.next_segment += 1;
    manifest.shards.push(ShardInfo {
        name: shard_name.to_string(),
        documents: outcome
            .documents
            .len()
            .saturating_sub(retained.indexed_documents) as u64,
        paragraphs,
        bytes: outcome
            .documents
            .iter_from(retained.indexed_documents)
            .map(|(_, d)| d.bytes)
            .sum(),
        distinct_paragraphs: distinct,
    });
    manifest.segments.push(SegmentInfo {
        file: name.clone(),
        bytes,
        checksum,
        shards: vec![shard],
        distinct_paragraphs: distinct,
    });
    Ok(PendingUpdate {
        folder: folder.to_path_buf(),
        segment: Some((file, name)),
        manifest,
        replaced: Vec::new(),
    })
}

/// Prepares the merge of every segment of `index` into one, groups resolved and merges dropped.
/// Distinct paragraphs stay as they are (a text in two shards keeps a record in each).
pub fn prepare_compact(index: &ShardIndex) -> Result<PendingUpdate> {
    index.verify()?;
    let mut manifest = index.manifest.clone();
    let mut builder = SegmentBuilder::default();
    let mut doc_base = 0u32;
    let band_count = manifest.params.bands;
    for segment in &index.segments {
        for doc in 0..segment.doc_count() as u32 {
            let record = segment.doc(doc)?;
            let entry = DocumentEntry {
                id: record.id,
                source: record.source,
                location: Location {
                    path: record.path,
                    line: record.line,
                    row: record.row,
                },
                bytes: record.bytes,
                first_paragraph: 0,
                paragraph_count: 0,
                word_paragraphs: 0,
                shard: None,
            };
            builder.push_doc(record.shard, &entry.borrowed());
        }
        // Band keys by distinct paragraph, from the segment's own table.
        let mut keys: Vec<Vec<u64>> =
            vec![Vec::with_capacity(band_count); segment.distinct_count()];
        let table = segment.section(BANDS);
        for i in 0..table.len() / TABLE_ENTRY {
            let (Some(key), Some(local)) = (
                u64_at(table, i * TABLE_ENTRY),
                u32_at(table, i * TABLE_ENTRY + 8),
            ) else {
                return Err(segment.corrupt("a table entry lies outside the segment"));
            };
            keys.get_mut(local as usize)
                .ok_or_else(|| segment.corrupt("a table names a paragraph it does not hold"))?
                .push(key);
        }
        for local in 0..segment.distinct_count() as u32 {
            let record = segment.distinct(local)?;
            let shingles = if record.near {
                Some(segment.shingles(&record)?)
            } else {
                None
            };
            let occurrences = (0..record.occurrence_count as u64)
                .map(|k| {
                    segment
                        .occurrence(record.occurrence_start + k)
                        .map(|(doc, paragraph, span)| (doc + doc_base, paragraph, span))
                })
                .collect::<Result<Vec<_>>>()?;
            builder.push_distinct(
                record.exact,
                index.resolve(record.group),
                shingles.as_deref(),
                &keys[local as usize],
                &occurrences,
            );
        }
        doc_base += segment.doc_count() as u32;
    }
    let distinct = builder.distinct_count as u64;
    let (file, bytes, checksum) = builder.write(&index.folder)?;
    let name = format!("segment-{:06}.pds", manifest.next_segment);
    manifest.next_segment += 1;
    let replaced = manifest.segments.iter().map(|s| s.file.clone()).collect();
    manifest.segments = vec![SegmentInfo {
        file: name.clone(),
        bytes,
        checksum,
        shards: (0..manifest.shards.len() as u32).collect(),
        distinct_paragraphs: distinct,
    }];
    Ok(PendingUpdate {
        folder: index.folder.clone(),
        segment: Some((file, name)),
        manifest,
        replaced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment of `paragraphs` near-tier paragraphs, each with the band keys `keys_of` gives
    /// and group `group_of` gives, written to `folder` and opened.
    fn segment_with(
        folder: &Path,
        paragraphs: u32,
        keys_of: impl Fn(u32) -> Vec<u64>,
        group_of: impl Fn(u32) -> u64,
    ) -> (tempfile::NamedTempFile, Segment) {
        let mut builder = SegmentBuilder::default();
        let occurrence = [(0u32, 0u32, Span { start: 0, end: 1 })];
        for local in 0..paragraphs {
            builder.push_distinct(
                u64::from(local).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                group_of(local),
                Some(&[local, local + 1]),
                &keys_of(local),
                &occurrence,
            );
        }
        let (file, bytes, _) = builder.write(folder).unwrap();
        let segment = Segment::open(file.path().to_path_buf(), bytes).unwrap();
        (file, segment)
    }

    /// Every (key position, paragraph) a lookup must find, by a walk of every paragraph's keys.
    fn expected(keys: &[u64], entries: &[(u64, u32)]) -> Vec<(u32, u32)> {
        let mut found: Vec<(u32, u32)> = entries
            .iter()
            .filter_map(|&(key, local)| keys.binary_search(&key).ok().map(|at| (at as u32, local)))
            .collect();
        found.sort_unstable();
        found
    }

    #[test]
    fn lookups_find_every_entry_of_every_key_spread_or_not() {
        let folder = tempfile::tempdir().unwrap();
        let mix = |x: u64| {
            let mut z = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z ^ (z >> 29)
        };
        // Spread keys, a dense bucket (every 7th paragraph shares a key in band 0), and groups
        // that are small numbers (not spread at all), some large (3,000 paragraphs in group 5).
        let keys_of = |local: u32| -> Vec<u64> {
            let band0 = if local.is_multiple_of(7) {
                42
            } else {
                mix(u64::from(local))
            };
            vec![band0, mix(u64::from(local) + 1_000_000)]
        };
        let group_of = |local: u32| {
            if local < 3_000 {
                5
            } else {
                u64::from(local / 3)
            }
        };
        let paragraphs = 20_000;
        let (_file, segment) = segment_with(folder.path(), paragraphs, keys_of, group_of);
        let band_entries: Vec<(u64, u32)> = (0..paragraphs)
            .flat_map(|local| keys_of(local).into_iter().map(move |key| (key, local)))
            .collect();
        let group_entries: Vec<(u64, u32)> = (0..paragraphs)
            .map(|local| (group_of(local), local))
            .collect();
        let lookup = |table: usize, keys: &[u64]| -> Vec<(u32, u32)> {
            let mut found = segment.lookup_sorted(table, keys).unwrap().concat();
            found.sort_unstable();
            found
        };
        // Keys found and not, below and above every key of the table, many and few.
        let mut wanted: Vec<u64> = band_entries
            .iter()
            .step_by(3)
            .map(|&(key, _)| key)
            .chain((0..5_000).map(|i| mix(i + 7_000_000)))
            .chain([0, 1, 42, 43, u64::MAX])
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        for keys in [
            &wanted[..],
            &wanted[..1],
            &wanted[wanted.len() - 3..],
            &[42][..],
            &[],
        ] {
            assert_eq!(lookup(BANDS, keys), expected(keys, &band_entries));
        }
        let mut groups: Vec<u64> = (0..2_000).map(|g| g * 5 + 3).chain([5]).collect();
        groups.sort_unstable();
        groups.dedup();
        let found = lookup(GROUPS, &groups);
        assert_eq!(found, expected(&groups, &group_entries));
        assert!(found.len() > 3_000);
    }
}
