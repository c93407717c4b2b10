//! The scan pipeline: documents in, clusters of duplicated paragraphs out.
//!
//! Documents arrive in batches in input order. Each batch is segmented and normalized in parallel;
//! the exact tier (xxh3-64 of the normalized text) then collapses every paragraph seen before, so
//! that only new distinct paragraphs are shingled and MinHashed. The text itself is dropped once a
//! batch is fingerprinted: the scanner holds spans, hashes, shingle sets and LSH band keys only.
//! [`Scanner::finish`] runs LSH over the distinct paragraphs, verifies every pair of each small
//! bucket by exact Jaccard, joins the large buckets of dense families by leader clustering with a
//! bounded number of verifications a member ([`crate::cluster::join_large_bucket`]), joins verified
//! pairs with union-find and lays out the clusters in input order.
//! With a containment threshold, pairs where a short paragraph lies inside a longer one (found
//! through an inverted index of shingles) are verified by exact containment and join too. Every
//! member is measured against its cluster's canonical copy, and one that is neither similar to it
//! nor contained is marked as joined through a chain.
//!
//! A [`BoundedScanner`] keeps a scan under a memory budget: once its tables pass half the budget,
//! the paragraph records, shingle sets and band keys of every batch go to files in a spill folder
//! ([`paradup_core::spill`]), buckets are formed a band at a time from the band-key files (a
//! band in parts by its keys' top bits when it would not fit whole), candidate pairs go to sorted
//! runs merged back in order, and pairs are verified a chunk at a time against the few shingle
//! sets each chunk needs. What those stages hold for their work is what the tables kept in
//! memory leave of the budget when reading ends, measured then (at most a quarter of it). Once
//! the exact tier's index holds an eighth of the budget it stops growing: later distinct
//! paragraphs are numbered in a recent index written out in sorted runs ([`ExactOverflow`]), and
//! a text seen again after its run was written is numbered anew, its alias resolved to its first
//! number when the runs are merged after reading (its second near-tier entry left out of LSH).
//! The stages are the same functions either way, so the outcome is the same.

use crate::cluster::{join_large_bucket_where, UnionFind};
use crate::lsh::{band_candidates_among, candidates_from, BandKeyTable, Banding, Candidates};
use crate::normalize::NormalizeOptions;
use crate::read::{ColumnarDocuments, ColumnarTexts, DocumentHead};
pub use crate::read::{Document, Location};
use crate::segment::{Span, SplitMode, Unit};
use crate::shingle::{containment, jaccard, jaccard_at_least};
mod documents;
mod members_on_disk;
pub use documents::{DocumentRef, DocumentTable};
pub use members_on_disk::{CopyRun, SpilledMembers};
use paradup_core::exact::{ExactAliases, ExactIndex, ExactOverflow};
use paradup_core::rank::RankBits;
use paradup_core::set_ends::SetEnds;
use paradup_core::spill::{NumberFile, PairRuns, SetArena, SpillError, SpillFolder};
use paradup_core::{FingerprintParams, Fingerprinter, NormalizedDocument, Scratch};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Every parameter that decides what counts as a duplicate; all of them go into the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScanParams {
    /// How documents are cut into paragraphs.
    pub split: SplitMode,
    /// Whether paragraphs or whole documents are compared.
    pub unit: Unit,
    /// How paragraphs are normalized before hashing.
    pub normalize: NormalizeOptions,
    /// Words per shingle.
    pub ngram: usize,
    /// Characters per shingle for scripts written without spaces.
    pub char_ngram: usize,
    /// MinHash hash functions per signature.
    pub num_perm: usize,
    /// LSH bands and rows.
    pub banding: Banding,
    /// Jaccard similarity at or above which two paragraphs are near duplicates.
    pub threshold: f64,
    /// When set, a paragraph whose shingles lie at least this share inside another's (a short
    /// passage quoted in a longer one) joins its cluster too.
    pub containment: Option<f64>,
    /// Paragraphs with fewer words than this take part in the exact tier only.
    pub min_words: usize,
    /// Seed of the MinHash functions.
    pub seed: u64,
}

impl Default for ScanParams {
    fn default() -> Self {
        ScanParams {
            split: SplitMode::Auto,
            unit: Unit::Paragraph,
            normalize: NormalizeOptions::default(),
            ngram: 3,
            char_ngram: 5,
            num_perm: 128,
            banding: Banding::choose(0.8, 128),
            threshold: 0.8,
            containment: None,
            min_words: 10,
            seed: 0x0070_6172_6164_7570,
        }
    }
}

/// A parameter set that cannot run, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError(pub String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParamError {}

impl ScanParams {
    /// The parameters that change a paragraph's fingerprint.
    pub fn fingerprint_params(&self) -> FingerprintParams {
        FingerprintParams {
            split: self.split,
            unit: self.unit,
            normalize: self.normalize,
            ngram: self.ngram,
            char_ngram: self.char_ngram,
            min_words: self.min_words,
            num_perm: self.num_perm,
            banding: self.banding,
            seed: self.seed,
        }
    }

    /// Checks that the parameters fit together.
    pub fn validate(&self) -> Result<(), ParamError> {
        let fail = |message: String| Err(ParamError(message));
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return fail(format!(
                "threshold must be in (0, 1], got {}",
                self.threshold
            ));
        }
        if let Some(c) = self.containment {
            if !(c > 0.0 && c <= 1.0) {
                return fail(format!("containment must be in (0, 1], got {c}"));
            }
        }
        if self.ngram == 0 || self.char_ngram == 0 {
            return fail("n-gram lengths must be at least 1".into());
        }
        if self.num_perm == 0 || self.num_perm > 4096 {
            return fail(format!(
                "num-perm must be in 1..=4096, got {}",
                self.num_perm
            ));
        }
        if self.banding.bands == 0 || self.banding.rows == 0 {
            return fail("bands and rows must be at least 1".into());
        }
        if self.banding.hashes() > self.num_perm {
            return fail(format!(
                "bands x rows = {} x {} = {} exceeds num-perm {}",
                self.banding.bands,
                self.banding.rows,
                self.banding.hashes(),
                self.num_perm
            ));
        }
        Ok(())
    }
}

/// What the scanner keeps of a document once its text is gone.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentEntry {
    /// The document's id.
    pub id: String,
    /// Its source, when known.
    pub source: Option<String>,
    /// Where it was read.
    pub location: Location,
    /// Bytes of text.
    pub bytes: u64,
    /// Index of its first paragraph among all paragraphs.
    pub first_paragraph: u32,
    /// Number of paragraphs.
    pub paragraph_count: u32,
    /// Paragraphs with at least one word after normalization (those [`Summary::paragraphs`]
    /// counts).
    pub word_paragraphs: u32,
    /// For a document of a shard index taken into the scan ([`Scanner::add_indexed`]): the
    /// shard's name. `None` for the input's own documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<std::sync::Arc<str>>,
}

/// New distinct paragraphs fingerprinted by one task: their shingle sets share one vector.
const FINGERPRINT_CHUNK: usize = 64;

/// The shingle sets of a chunk of new distinct paragraphs.
struct ChunkShingles {
    /// The sets, end to end.
    shingles: Vec<u32>,
    /// Where each set ends in `shingles`.
    ends: Vec<usize>,
}

/// Marks a paragraph with no words after normalization: it takes part in nothing.
const NO_UNIQUE: u32 = u32::MAX;
/// Marks a distinct paragraph too short for the near tier.
const NOT_NEAR: u32 = u32::MAX;

/// A paragraph: where it sits and which distinct text it is.
#[derive(Clone, Copy, Debug)]
struct ParagraphEntry {
    doc: u32,
    /// Byte offsets in the document; both `LONG_SPAN` for a span that does not fit 32 bits (in
    /// a text over 4 GiB), which is kept in [`Scanner::long_spans`] instead.
    start: u32,
    end: u32,
    unique: u32,
}

/// The offsets of a [`ParagraphEntry`] whose span is kept aside.
const LONG_SPAN: u32 = u32::MAX;

impl ParagraphEntry {
    /// The entry of paragraph number `index`, its span kept in `long_spans` when it does not fit
    /// 32 bits: 16 bytes a paragraph instead of 24.
    fn new(
        index: usize,
        doc: u32,
        span: Span,
        unique: u32,
        long_spans: &mut HashMap<u32, Span>,
    ) -> ParagraphEntry {
        let (start, end) = match (u32::try_from(span.start), u32::try_from(span.end)) {
            (Ok(start), Ok(end)) if end != LONG_SPAN => (start, end),
            _ => {
                long_spans.insert(index as u32, span);
                (LONG_SPAN, LONG_SPAN)
            }
        };
        ParagraphEntry {
            doc,
            start,
            end,
            unique,
        }
    }
}

/// Normalizes `doc`, whose text is dropped here. The entry's first paragraph is left for the
/// caller, which knows what came before.
fn prepare(doc: Document, fingerprinter: &Fingerprinter) -> (DocumentEntry, NormalizedDocument) {
    let Document {
        id,
        source,
        location,
        text,
    } = doc;
    let head = DocumentHead {
        id,
        source,
        location,
    };
    prepare_text(head, &text, fingerprinter)
}

/// Normalizes the text of the document `head`; the text is only borrowed.
fn prepare_text(
    head: DocumentHead,
    text: &str,
    fingerprinter: &Fingerprinter,
) -> (DocumentEntry, NormalizedDocument) {
    let normalized = fingerprinter.normalize_document(text);
    let paragraphs = &normalized.paragraphs;
    let entry = DocumentEntry {
        id: head.id,
        source: head.source,
        location: head.location,
        bytes: text.len() as u64,
        first_paragraph: 0,
        paragraph_count: paragraphs.len() as u32,
        word_paragraphs: paragraphs.iter().filter(|p| p.words > 0).count() as u32,
        shard: None,
    };
    (entry, normalized)
}

/// How a cluster spreads over the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterKind {
    /// Every copy is in one document: a body scraped twice, a repeated line.
    WithinDocument,
    /// Copies in two or more documents: syndication, boilerplate.
    CrossDocument,
}

/// One copy of a clustered paragraph.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    /// Index of the document in input order.
    pub doc: u32,
    /// Index of the paragraph within its document.
    pub paragraph: u32,
    /// Byte span of the paragraph in its document's text.
    pub span: Span,
    /// Exact Jaccard similarity of this copy's shingles to the canonical copy's (1 for copies
    /// whose normalized text is identical).
    pub similarity: f64,
    /// Share of the smaller shingle set that lies inside the other.
    pub containment: f64,
    /// With a containment threshold set: the smaller of this copy and the canonical one lies
    /// inside the other at least that much, while their similarity is below the threshold.
    pub contained: bool,
    /// Joined as contained (`contained`), and the larger of the two: the canonical copy lies inside
    /// this copy, not this copy inside it. Dedup keeps such a copy, since removing it would lose
    /// the text around the passage they share.
    pub holds_canonical: bool,
    /// Neither similar to the canonical copy nor contained in it (or it in this one): the copy
    /// joined the cluster through other members, a chain of verified pairs.
    pub via_chain: bool,
}

/// A set of paragraphs that are copies of one another. Members are in input order; the first is
/// the canonical copy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cluster {
    /// Position of the cluster, ordered by the input position of its canonical copy.
    pub id: usize,
    /// Within one document or across documents.
    pub kind: ClusterKind,
    /// Number of distinct documents that carry a copy.
    pub documents: usize,
    /// Bytes of every copy but the canonical one: what dedup removes (with a containment
    /// threshold, it keeps the copies that hold the canonical one: see `paradup::dedup`).
    pub duplicate_bytes: u64,
    /// The copies, canonical first.
    pub members: Vec<Member>,
}

impl Cluster {
    /// The canonical copy (first in input order).
    pub fn canonical(&self) -> &Member {
        &self.members[0]
    }
}

/// Counts over the whole scan.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Documents read.
    pub documents: u64,
    /// Paragraphs with at least one word after normalization.
    pub paragraphs: u64,
    /// Paragraphs that repeat an earlier one: every cluster member but the first.
    pub duplicate_paragraphs: u64,
    /// `duplicate_paragraphs / paragraphs`.
    pub duplicate_ratio: f64,
    /// Bytes of document text.
    pub bytes: u64,
    /// Bytes of the duplicate paragraphs.
    pub duplicate_bytes: u64,
    /// `duplicate_bytes / bytes`.
    pub duplicate_byte_ratio: f64,
    /// Clusters whose copies are all in one document.
    pub within_document_clusters: u64,
    /// Clusters with copies in several documents.
    pub cross_document_clusters: u64,
    /// Distinct normalized paragraphs.
    pub distinct_paragraphs: u64,
    /// Distinct paragraphs long enough for the near tier (not in the JSON report).
    #[serde(skip_serializing)]
    pub near_tier_paragraphs: u64,
    /// Pairs checked by exact Jaccard: every pair of each LSH bucket of at most
    /// [`crate::lsh::FULL_PAIRING_LIMIT`] paragraphs (each pair once), and the checks made inside
    /// larger buckets.
    pub candidate_pairs: u64,
    /// Candidate pairs at or above the threshold.
    pub verified_pairs: u64,
    /// With a shard index: how much of the input has a copy in the index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed: Option<IndexedTotals>,
}

/// How much of the input has a copy in a shard index (see [`Scanner::add_indexed`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct IndexedTotals {
    /// Input paragraphs whose cluster holds an indexed copy.
    pub indexed_paragraphs: u64,
    /// `indexed_paragraphs / paragraphs`.
    pub indexed_ratio: f64,
    /// Bytes of those paragraphs.
    pub indexed_bytes: u64,
    /// Reported clusters holding an indexed copy.
    pub indexed_clusters: u64,
    /// Distinct indexed paragraphs taken into the scan (the exact and LSH hits of the input's
    /// paragraphs, and the rest of their clusters in the index).
    pub indexed_distinct_paragraphs: u64,
    /// Occurrences of indexed paragraphs left out of the clusters by the cap on copies listed.
    pub indexed_copies_left_out: u64,
}

/// A distinct paragraph of a shard index, taken into a scan ahead of its input.
#[derive(Clone, Debug)]
pub struct IndexedParagraph {
    /// xxh3-64 of its normalized text.
    pub exact: u64,
    /// Its shingle set (sorted), for a near-tier paragraph; `None` for a short one.
    pub shingles: Option<Vec<u32>>,
    /// Its cluster in the index: paragraphs of one group are joined before any verification.
    pub group: u64,
}

/// One occurrence of an indexed paragraph.
#[derive(Clone, Copy, Debug)]
pub struct IndexedOccurrence {
    /// Index into [`IndexedPart::documents`].
    pub doc: u32,
    /// Index of the paragraph within its document.
    pub paragraph: u32,
    /// Its byte span in the document's text.
    pub span: Span,
    /// Index into [`IndexedPart::paragraphs`].
    pub distinct: u32,
}

/// The indexed paragraphs a scan takes in: documents (their `shard` set), distinct paragraphs and
/// their occurrences in input order (by document, then paragraph).
#[derive(Clone, Debug, Default)]
pub struct IndexedPart {
    /// The documents holding the occurrences, in index order.
    pub documents: Vec<DocumentEntry>,
    /// Distinct paragraphs.
    pub paragraphs: Vec<IndexedParagraph>,
    /// Occurrences, ordered by document, then paragraph.
    pub occurrences: Vec<IndexedOccurrence>,
    /// Occurrences not listed (beyond the cap on copies an indexed paragraph lists).
    pub copies_left_out: u64,
    /// The LSH band keys to bucket each of `paragraphs` by: the scan's `bands` keys a
    /// paragraph, paragraph after paragraph (those of paragraphs without shingles are not read),
    /// or empty:
    /// then they are computed from the shingle sets. In a band where the paragraph shares no
    /// bucket with an input paragraph, any key that no input paragraph has there may stand in
    /// for its own: a bucket of indexed paragraphs only makes nothing a scan verifies.
    pub band_keys: Vec<u64>,
}

/// What the index needs of the input's paragraphs once a scan is finished
/// ([`Scanner::finish_retaining`]): each distinct paragraph's exact hash, shingles and cluster.
#[derive(Clone, Debug, Default)]
pub struct Retained {
    /// xxh3-64 of each distinct paragraph, by distinct number.
    pub exact: Vec<u64>,
    /// Each distinct paragraph's cluster: the smallest distinct number of its set.
    pub root: Vec<u32>,
    /// The group of each distinct paragraph taken from the index, by distinct number.
    pub indexed_group: HashMap<u32, u64>,
    /// For each distinct paragraph, the range of its shingles in `shingles` (`None`: not in the
    /// near tier).
    pub shingle_range: Vec<Option<std::ops::Range<usize>>>,
    /// Shingle sets end to end.
    pub shingles: Vec<u32>,
    /// The input's paragraphs with words: (document, paragraph within it, span, distinct number).
    pub paragraphs: Vec<(u32, u32, Span, u32)>,
    /// Documents of the index before the input's in the outcome's document list.
    pub indexed_documents: usize,
}

/// The input's fingerprints, for looking them up in a shard index ([`Scanner::probe`]).
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// xxh3-64 of every distinct paragraph.
    pub exact: Vec<u64>,
    /// Every band key of every near-tier paragraph, a band at a time: band `b`'s keys are
    /// `band_keys[b * n..(b + 1) * n]` for `n` paragraphs.
    pub band_keys: Vec<u64>,
    /// Bands (keys a near-tier paragraph).
    pub bands: usize,
}

/// What a scan found.
#[derive(Clone, Debug)]
pub struct ScanOutcome {
    /// The parameters it ran with.
    pub params: ScanParams,
    /// Every document, in input order.
    pub documents: DocumentTable,
    /// Every cluster, ordered by its canonical copy's position in the input.
    pub clusters: Vec<Cluster>,
    /// Totals.
    pub summary: Summary,
    /// `Some` for a scan past its memory budget finished by
    /// [`BoundedScanner::try_finish_streamed`]: the copies are in the spill folder, and each
    /// cluster's `members` holds its canonical copy only. Read the copies in order with
    /// [`ScanOutcome::try_for_each_run`] (what every output does), a few clusters with
    /// [`ScanOutcome::clusters_in`] or [`ScanOutcome::cluster_copies`], or bring them all into
    /// memory with [`ScanOutcome::load_members`].
    pub members_on_disk: Option<std::sync::Arc<SpilledMembers>>,
}

impl ScanOutcome {
    /// The input's own repeats, without a shard index's copies: each cluster's members from the
    /// input (a cluster keeps its place when at least two remain), counted as a scan counts them.
    /// Without indexed documents, a copy of the outcome.
    pub fn input_only(&self) -> ScanOutcome {
        let (clusters, summary) = self.input_clusters();
        ScanOutcome {
            params: self.params.clone(),
            documents: self.documents.clone(),
            summary,
            clusters,
            members_on_disk: None,
        }
    }

    /// [`ScanOutcome::input_only`], keeping this outcome's documents rather than copying them.
    pub fn into_input_only(self) -> ScanOutcome {
        let (clusters, summary) = self.input_clusters();
        ScanOutcome {
            params: self.params,
            documents: self.documents,
            summary,
            clusters,
            members_on_disk: None,
        }
    }

    /// The clusters and totals of [`ScanOutcome::input_only`].
    fn input_clusters(&self) -> (Vec<Cluster>, Summary) {
        let from_input = |m: &Member| !self.documents.is_indexed(m.doc as usize);
        let mut clusters: Vec<Cluster> = Vec::new();
        for cluster in &self.clusters {
            let members: Vec<Member> = cluster
                .members
                .iter()
                .filter(|m| from_input(m))
                .cloned()
                .collect();
            if members.len() < 2 {
                continue;
            }
            let mut docs: Vec<u32> = members.iter().map(|m| m.doc).collect();
            docs.dedup();
            clusters.push(Cluster {
                id: clusters.len(),
                kind: if docs.len() > 1 {
                    ClusterKind::CrossDocument
                } else {
                    ClusterKind::WithinDocument
                },
                documents: docs.len(),
                duplicate_bytes: members[1..].iter().map(|m| m.span.len() as u64).sum(),
                members,
            });
        }
        let duplicate_paragraphs: u64 = clusters.iter().map(|c| c.members.len() as u64 - 1).sum();
        let duplicate_bytes: u64 = clusters.iter().map(|c| c.duplicate_bytes).sum();
        let within = clusters
            .iter()
            .filter(|c| c.kind == ClusterKind::WithinDocument)
            .count() as u64;
        let s = &self.summary;
        let ratio = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        let summary = Summary {
            duplicate_paragraphs,
            duplicate_ratio: ratio(duplicate_paragraphs, s.paragraphs),
            duplicate_bytes,
            duplicate_byte_ratio: ratio(duplicate_bytes, s.bytes),
            within_document_clusters: within,
            cross_document_clusters: clusters.len() as u64 - within,
            indexed: None,
            ..s.clone()
        };
        (clusters, summary)
    }

    /// Cross-document clusters ranked as boilerplate: most documents first, then most duplicate
    /// bytes, then input order.
    pub fn boilerplate_ranking(&self) -> Vec<&Cluster> {
        let mut ranked: Vec<&Cluster> = self
            .clusters
            .iter()
            .filter(|c| c.kind == ClusterKind::CrossDocument)
            .collect();
        ranked.sort_by(|a, b| {
            b.documents
                .cmp(&a.documents)
                .then(b.duplicate_bytes.cmp(&a.duplicate_bytes))
                .then(a.id.cmp(&b.id))
        });
        ranked
    }
}

/// Accumulates fingerprints batch by batch; see the module documentation.
pub struct Scanner {
    params: ScanParams,
    fingerprinter: Fingerprinter,
    documents: DocumentTable,
    paragraphs: Vec<ParagraphEntry>,
    exact_index: ExactIndex,
    /// Past a budget, once `exact_index` holds its share of it: the distinct paragraphs numbered
    /// since, in sorted runs on disk (see [`ExactOverflow`]).
    exact_overflow: Option<ExactOverflow>,
    /// The distinct paragraphs numbered twice past a budget, found when the scan finishes.
    aliases: Aliases,
    /// A bit a distinct paragraph, by number: set for those in the near tier, whose near-tier
    /// number is the count of those before ([`Scanner::near_of`]).
    near_tier: RankBits,
    /// For each near-tier paragraph, where its shingle set starts in `shingles` (one extra entry
    /// at the end).
    shingle_offsets: SetEnds,
    shingles: Vec<u32>,
    /// LSH band keys of near-tier paragraphs, a block a batch, each block a band at a time (so
    /// that bucketing a band reads its keys end to end). The signatures they come from are not
    /// kept: every candidate is verified on the shingle sets, so the keys are all that LSH
    /// needs, at a quarter of a 128-value signature's size.
    band_keys: BandKeyTable,
    /// The distinct paragraph behind each near-tier entry, while the scan holds its tables
    /// (read it with [`Scanner::unique_of_near`]). Past a budget it is let go: the same number
    /// is the position of the entry's bit among the near tier's (`RankBits::select`), and 4
    /// bytes a near-tier paragraph do not stay in memory.
    near_to_unique: Vec<u32>,
    /// Whether `near_to_unique` was let go for `near_tier`'s select.
    near_by_select: bool,
    bytes: u64,
    /// What came from a shard index ahead of the input; empty without one.
    indexed: IndexedState,
    /// Spans of paragraphs that do not fit 32 bits, by paragraph number (see [`ParagraphEntry`]).
    long_spans: HashMap<u32, Span>,
    /// The budget and spill files of a [`BoundedScanner`]; `None` for a plain scanner.
    spill: Option<Box<Spill>>,
    /// Paragraph records written to the spill folder, which come before those in `paragraphs`.
    spilled_paragraphs: usize,
    /// Shingles written to the spill folder, which come before those in `shingles`.
    spilled_shingles: usize,
}

/// What a scanner keeps of the indexed paragraphs it took in ([`Scanner::add_indexed`]): they
/// are the first documents, paragraphs and distinct paragraphs.
#[derive(Default)]
struct IndexedState {
    /// A shard index was consulted (even when the input touches none of it).
    active: bool,
    /// Near-tier paragraphs among the indexed ones (the first near-tier entries).
    near: usize,
    documents: usize,
    paragraphs: usize,
    uniques: usize,
    /// Paragraph number within its document of each indexed paragraph (indexed documents hold
    /// only the occurrences taken in, so their numbers are not positions).
    paragraph_numbers: Vec<u32>,
    /// Pairs of distinct paragraphs of one index group: joined before verification.
    joined: Vec<(u32, u32)>,
    /// The group of each indexed distinct paragraph.
    group_of: HashMap<u32, u64>,
    copies_left_out: u64,
}

/// Bytes of the process's memory as the system tells them (`/proc/self/status`, Linux):
/// `field` is `VmRSS` for what it holds now, `VmHWM` for the most it has held.
pub fn process_memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| {
        line.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Bytes the process holds in memory now, where the system tells it.
fn resident_now() -> Option<u64> {
    process_memory("VmRSS")
}

/// Hands the memory freed while reading back to the system.
///
/// Reading frees many blocks (a batch's texts, a Parquet file's decoded pages and Arrow columns,
/// normalized paragraphs) while the scanner's long-lived tables grow beside them, so glibc's heaps
/// fill with free holes that stay resident; the reading thread's heap most of all, as it decodes
/// ahead of the scanner. `malloc_trim` returns the whole free pages of every heap, at the cost of
/// one pass over the free lists. On a 1 GB Parquet corpus it lowers the peak by 50 to 70 MB
/// (benches/RESULTS.md, "Parquet input").
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory the allocator holds; it takes the allocator's
    // own locks and touches no live block.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A memory budget for a scan ([`BoundedScanner`]).
#[derive(Clone, Debug)]
pub struct MemoryBudget {
    /// The peak memory the scan keeps under, in bytes.
    pub bytes: u64,
    /// Where the spill folder is made.
    pub tmp_dir: PathBuf,
    /// Bytes of text the whole input holds, when known or estimated: when a spill begins, the disk
    /// space it needs is estimated from it and checked against what the folder has free.
    pub expected_text_bytes: Option<u64>,
}

impl MemoryBudget {
    /// The budget a scan runs under: `asked` (bytes), else [`default_memory_budget`]; spill
    /// files in `tmp_dir` (default: the system's temporary folder). A scan that keeps its tables
    /// in memory (`unbounded` names why: a containment threshold, a shard index) takes none, and
    /// asked for one it is an error, the reason in words.
    pub fn resolve(
        asked: Option<u64>,
        unbounded: Option<&str>,
        tmp_dir: Option<PathBuf>,
        expected_text_bytes: Option<u64>,
    ) -> Result<Option<MemoryBudget>, String> {
        let bytes = match (asked, unbounded) {
            (Some(_), Some(what)) => {
                return Err(format!(
                    "a scan with {what} holds its tables in memory and takes no budget"
                ))
            }
            (None, Some(_)) => return Ok(None),
            (Some(bytes), None) => bytes,
            (None, None) => match default_memory_budget() {
                Some(bytes) => bytes,
                None => return Ok(None),
            },
        };
        Ok(Some(MemoryBudget {
            bytes,
            tmp_dir: tmp_dir.unwrap_or_else(std::env::temp_dir),
            expected_text_bytes,
        }))
    }
}

/// A size in bytes as `--memory` takes it: a number with an optional K, M, G or T (powers of
/// 1024; a trailing `B` or `iB` is allowed), e.g. `512M`, `8G`, `1.5GiB`.
pub fn parse_memory_size(text: &str) -> Result<u64, String> {
    let upper = text.trim().to_ascii_uppercase();
    let without_b = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (number, shift) = match without_b.chars().last() {
        Some('K') => (&without_b[..without_b.len() - 1], 10),
        Some('M') => (&without_b[..without_b.len() - 1], 20),
        Some('G') => (&without_b[..without_b.len() - 1], 30),
        Some('T') => (&without_b[..without_b.len() - 1], 40),
        _ => (without_b, 0),
    };
    let not_a_size = || format!("'{text}' is not a size (e.g. 512M, 8G)");
    let value: f64 = number.trim().parse().map_err(|_| not_a_size())?;
    if !value.is_finite() || value <= 0.0 {
        return Err(not_a_size());
    }
    Ok((value * (1u64 << shift) as f64) as u64)
}

/// The budget a scan gets when none is given: three quarters of physical memory, where the
/// system tells it (`/proc/meminfo`); `None` elsewhere.
pub fn default_memory_budget() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024 / 4 * 3)
}

/// The smallest budget a scan takes: below it, the buffers of a batch alone pass it.
pub const MIN_MEMORY_BUDGET: u64 = 1 << 20;

/// Disk space a spill is given beyond the tables' own size, for candidate pairs and margin.
const SPILL_ROOM: f64 = 1.5;

/// What a scan under a budget is doing, told to its observer ([`BoundedScanner::observe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpillPhase {
    /// The tables passed half the budget: from now on they go to files in `folder` (told as soon
    /// as the folder exists, before its files are made).
    Spill {
        /// The spill folder.
        folder: PathBuf,
    },
    /// The exact tier's sorted runs merged: `aliases` distinct paragraphs were numbered again
    /// after their first copies were written out.
    ExactRuns {
        /// Runs of exact hashes.
        runs: usize,
        /// Paragraph numbers found to be a text numbered before.
        aliases: u64,
    },
    /// Band `band` (from 1) of `bands` bucketed from its key file, in `parts` parts by the keys'
    /// top bits (1 when the band fits the memory left).
    MergeBand {
        /// The band, from 1.
        band: usize,
        /// Bands in all.
        bands: usize,
        /// Parts the band is bucketed in, one after another.
        parts: u64,
    },
    /// Candidate pairs verified so far.
    Verify {
        /// Pairs verified so far.
        pairs: u64,
    },
    /// The copies of the clusters laid out and measured, range `range` (from 1) of `ranges`;
    /// range 0 while they are laid out.
    Members {
        /// The range, from 1; 0 while the copies are laid out.
        range: usize,
        /// Ranges in all.
        ranges: usize,
    },
}

impl fmt::Display for SpillPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpillPhase::Spill { .. } => write!(f, "spill"),
            SpillPhase::ExactRuns { runs, .. } => write!(f, "merge exact hashes ({runs} runs)"),
            SpillPhase::MergeBand {
                band,
                bands,
                parts: 1,
            } => write!(f, "merge band {band}/{bands}"),
            SpillPhase::MergeBand { band, bands, parts } => {
                write!(f, "merge band {band}/{bands} in {parts} parts")
            }
            SpillPhase::Verify { pairs } => write!(f, "verify ({pairs} pairs)"),
            SpillPhase::Members { range: 0, .. } => write!(f, "members"),
            SpillPhase::Members { range, ranges } => write!(f, "members {range}/{ranges}"),
        }
    }
}

type PhaseObserver = Box<dyn FnMut(&SpillPhase) + Send + Sync>;

/// What a scan under a budget expects of the tables it keeps in memory past the budget (the
/// documents, the exact-tier index, the distinct paragraphs' entries and where each shingle set
/// starts), estimated when it spills from what they took so far, scaled to the input's size.
/// They grow with the corpus, so a budget holds only while they fit in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetForecast {
    /// The budget, in bytes.
    pub budget: u64,
    /// Bytes of text read when the estimate was made.
    pub text_read: u64,
    /// Bytes of text the whole input holds, known or estimated ([`MemoryBudget::expected_text_bytes`]).
    pub text_expected: u64,
    /// Bytes those tables held then.
    pub resident_now: u64,
    /// Bytes they will hold at the end of the input, at the same rate.
    pub resident_at_end: u64,
}

impl BudgetForecast {
    /// Whether those tables are expected to take more than half the budget by the end of the
    /// input: the other half is what a scan under a budget keeps for its batches, the tables it
    /// spills (they go to disk past half of it) and the stages after reading, so the peak would
    /// pass the budget.
    pub fn passes_budget(&self) -> bool {
        self.resident_at_end > self.budget / 2
    }
}

impl fmt::Display for BudgetForecast {
    /// The warning a command gives when the forecast passes the budget (the budget named as a
    /// size, as `--memory` and `memory=` take it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let binary = |bytes: u64| {
            if bytes >= 1 << 30 {
                format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
            } else {
                format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
            }
        };
        write!(
            f,
            "a memory budget of {} is likely too small for this input: what a scan keeps in \
             memory past its budget (documents, exact hashes, distinct paragraphs) took {} for \
             the first {} of text and will take about {} for all {}, so the peak will pass the \
             budget (README, \"Corpora larger than memory\")",
            binary(self.budget),
            binary(self.resident_now),
            crate::display::human_bytes(self.text_read),
            binary(self.resident_at_end),
            crate::display::human_bytes(self.text_expected),
        )
    }
}

/// The budget of a scan and, once it spilled, its spill files.
struct Spill {
    budget: MemoryBudget,
    bands: usize,
    folder: Option<SpillFolder>,
    tables: Option<SpilledTables>,
    failure: Option<SpillError>,
    observer: Option<PhaseObserver>,
    forecast: Option<BudgetForecast>,
    /// Bytes the stages after reading may hold for their own work, once settled by
    /// [`Spill::settle_work`] from what the process holds when reading ends.
    work: Option<usize>,
}

/// The spill files of a scan's tables.
struct SpilledTables {
    /// Four numbers a paragraph: document, start, end, distinct paragraph.
    paragraphs: NumberFile<u32>,
    /// The shingle sets of the near tier, end to end (where each ends is kept in memory).
    shingles: NumberFile<u32>,
    /// A file a band: the band's key of every near-tier paragraph, in order.
    band_keys: Vec<NumberFile<u64>>,
}

/// Bytes free to this user in the file system of `path`, where the system tells.
fn available_space(path: &std::path::Path) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let stats = rustix::fs::statvfs(path).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

impl Spill {
    /// A scan's budget, nothing spilled yet.
    fn for_budget(budget: MemoryBudget, bands: usize) -> Self {
        Spill {
            budget,
            bands,
            folder: None,
            tables: None,
            failure: None,
            observer: None,
            forecast: None,
            work: None,
        }
    }

    fn tell(&mut self, phase: SpillPhase) {
        if let Some(observer) = self.observer.as_mut() {
            observer(&phase);
        }
    }

    /// Makes the spill folder and its files, once the space the whole input needs there is
    /// estimated from what `text_bytes` of text took (`spillable` bytes of tables) and found.
    fn begin(&mut self, spillable: u64, text_bytes: u64) -> Result<(), SpillError> {
        let folder = SpillFolder::create_in(&self.budget.tmp_dir)?;
        // Told at once, before its files are made: an observer that removes the folder on an
        // interrupt must know it from the moment it exists.
        self.tell(SpillPhase::Spill {
            folder: folder.path().to_path_buf(),
        });
        if let Some(expected) = self.budget.expected_text_bytes {
            let share = spillable as f64 / text_bytes.max(1) as f64;
            let needed = (share * expected.max(text_bytes) as f64 * SPILL_ROOM) as u64;
            if let Some(available) = available_space(folder.path()) {
                if available < needed {
                    return Err(SpillError {
                        folder: folder.path().to_path_buf(),
                        action: "hold the scan's tables",
                        source: std::io::Error::other(format!(
                            "{} free there, about {} needed (estimated from the first {} of text)",
                            crate::display::human_bytes(available),
                            crate::display::human_bytes(needed),
                            crate::display::human_bytes(text_bytes)
                        )),
                    });
                }
            }
        }
        let band_keys = (0..self.bands)
            .map(|band| NumberFile::create(&folder, &format!("band-{band}")))
            .collect::<Result<Vec<_>, _>>()?;
        self.tables = Some(SpilledTables {
            paragraphs: NumberFile::create(&folder, "paragraphs")?,
            shingles: NumberFile::create(&folder, "shingles")?,
            band_keys,
        });
        self.folder = Some(folder);
        Ok(())
    }

    /// Bytes the stages after reading may hold for their own work (pair buffers, band
    /// partitions, loaded sets): a quarter of the budget until [`Spill::settle_work`].
    fn work_bytes(&self) -> usize {
        self.work
            .unwrap_or_else(|| Self::largest_work(&self.budget))
    }

    /// The most the stages after reading take for their work: a quarter of the budget.
    fn largest_work(budget: &MemoryBudget) -> usize {
        (budget.bytes / 4).max(MIN_MEMORY_BUDGET / 4) as usize
    }

    /// Sets the stages' work from what the process holds once reading is over and the tables
    /// that stay are in place (`resident`, bytes, where the system tells it): half of what the
    /// budget leaves (the stages' vectors of pairs and loaded sets pass their share by up to a
    /// third), at most a quarter of the budget and at least a sixteenth of it.
    /// The tables that stay grow with the corpus, so a fixed share on top of them would pass the
    /// budget as soon as they pass three quarters of it; what they leave keeps the stages within
    /// it while it is enough to work in. Only how the stages cut their work changes, never what
    /// they find.
    fn settle_work(&mut self, resident: Option<u64>) {
        let largest = Self::largest_work(&self.budget);
        self.work = Some(match resident {
            None => largest,
            Some(resident) => {
                let left = self.budget.bytes.saturating_sub(resident) / 2;
                let least = (self.budget.bytes / 16).max(MIN_MEMORY_BUDGET / 16);
                (left.max(least) as usize).min(largest)
            }
        });
    }
}

/// A [`Scanner`] that keeps its peak memory under a [`MemoryBudget`]: past half of it, its
/// largest tables go to a spill folder in [`MemoryBudget::tmp_dir`] (see the module
/// documentation), removed when the scan ends, fails, or is dropped. Batches are added as to a
/// [`Scanner`] (it dereferences to one); [`BoundedScanner::try_finish`] ends the scan with the
/// same outcome as [`Scanner::finish`]. A shard index and a containment threshold are not
/// bounded, so neither is taken.
pub struct BoundedScanner {
    scanner: Scanner,
}

impl BoundedScanner {
    /// A scanner for `params` under `budget`.
    pub fn new(params: ScanParams, budget: MemoryBudget) -> Result<Self, ParamError> {
        if params.containment.is_some() {
            return Err(ParamError(
                "a containment threshold is not bounded by a memory budget: scan without one"
                    .into(),
            ));
        }
        if budget.bytes < MIN_MEMORY_BUDGET {
            return Err(ParamError(format!(
                "a memory budget of {} bytes is too small: at least {}",
                budget.bytes,
                crate::display::human_bytes(MIN_MEMORY_BUDGET)
            )));
        }
        let mut scanner = Scanner::new(params)?;
        let bands = scanner.params.banding.bands;
        scanner.spill = Some(Box::new(Spill::for_budget(budget, bands)));
        Ok(BoundedScanner { scanner })
    }

    /// Calls `observer` at each phase of the scan's work past the budget.
    pub fn observe(&mut self, observer: impl FnMut(&SpillPhase) + Send + Sync + 'static) {
        if let Some(spill) = self.scanner.spill.as_mut() {
            spill.observer = Some(Box::new(observer));
        }
    }

    /// Whether the tables went to the spill folder.
    pub fn spilled(&self) -> bool {
        self.scanner
            .spill
            .as_ref()
            .is_some_and(|spill| spill.tables.is_some())
    }

    /// Runs the near tier and lays out the clusters, as [`Scanner::finish`] does; the spill
    /// folder is gone when this returns.
    pub fn try_finish(self) -> Result<ScanOutcome, SpillError> {
        let mut outcome = self.try_finish_streamed()?;
        outcome.load_members()?;
        Ok(outcome)
    }

    /// [`BoundedScanner::try_finish`], but when the scan spilled, its clusters' copies stay on
    /// disk ([`ScanOutcome::members_on_disk`]) for outputs that read them in order: the spill
    /// folder goes when the outcome does.
    pub fn try_finish_streamed(self) -> Result<ScanOutcome, SpillError> {
        self.scanner.finish_inner(false).map(|(outcome, _)| outcome)
    }
}

impl std::ops::Deref for BoundedScanner {
    type Target = Scanner;
    fn deref(&self) -> &Scanner {
        &self.scanner
    }
}

impl std::ops::DerefMut for BoundedScanner {
    fn deref_mut(&mut self) -> &mut Scanner {
        &mut self.scanner
    }
}

/// Where the stages read shingle sets: the tables held in memory, or sets loaded from the spill
/// folder for the work at hand.
#[derive(Clone, Copy)]
enum SetView<'a> {
    Held,
    Loaded(&'a SetArena),
}

/// The clusters as laid out, before their members are measured.
struct LaidOut {
    clusters: Vec<Cluster>,
    /// Paragraphs with words in the input (indexed ones aside).
    counted_paragraphs: u64,
    /// The distinct paragraph of every member, cluster after cluster.
    member_uniques: Vec<u32>,
    /// Where each cluster's members start in `member_uniques`.
    starts: Vec<usize>,
}

impl Scanner {
    /// A scanner for `params`, which must validate.
    pub fn new(params: ScanParams) -> Result<Self, ParamError> {
        params.validate()?;
        let bands = params.banding.bands;
        Ok(Scanner {
            fingerprinter: Fingerprinter::new(params.fingerprint_params()),
            params,
            documents: DocumentTable::new(),
            paragraphs: Vec::new(),
            exact_index: ExactIndex::default(),
            exact_overflow: None,
            aliases: Aliases::default(),
            near_tier: RankBits::default(),
            shingle_offsets: SetEnds::starting_at(0),
            shingles: Vec::new(),
            band_keys: BandKeyTable::new(bands),
            near_to_unique: Vec::new(),
            near_by_select: false,
            bytes: 0,
            indexed: IndexedState::default(),
            long_spans: HashMap::new(),
            spill: None,
            spilled_paragraphs: 0,
            spilled_shingles: 0,
        })
    }

    /// Takes in the paragraphs of a shard index that the input touches, ahead of the input: they
    /// come first in input order, so a cluster holding one has an indexed canonical copy, and
    /// reports of the scan leave out clusters without a member from the input. Band keys are
    /// the part's ([`IndexedPart::band_keys`]), or else computed from the stored shingle sets, so
    /// verification is the same as a scan of the indexed corpus. Must be called before the first
    /// [`Scanner::add_batch`]; later calls, or calls after input, are refused.
    pub fn add_indexed(&mut self, part: IndexedPart) -> Result<(), ParamError> {
        if self.spill.is_some() {
            return Err(ParamError(
                "a scan under a memory budget cannot take in a shard index".into(),
            ));
        }
        if !self.documents.is_empty() || self.indexed.active {
            return Err(ParamError(
                "indexed paragraphs must come before the input, once".into(),
            ));
        }
        let banding = self.params.banding;
        let given_keys = part.band_keys.len() == part.paragraphs.len() * banding.bands;
        // The near-tier paragraphs taken in, in order: their band keys are computed in parallel
        // once all are known.
        let mut near_sets: Vec<u32> = Vec::new();
        let mut first_of_group: HashMap<u64, u32> = HashMap::new();
        // Sized once: grown by doubling, these would be copied and their pages touched again.
        let distinct_count = part.paragraphs.len();
        let occurrence_count = part.occurrences.len();
        self.near_tier.reserve(distinct_count);
        self.exact_index.reserve(distinct_count);
        self.near_to_unique.reserve(distinct_count);
        self.shingle_offsets.reserve(distinct_count);
        self.shingles.reserve(
            part.paragraphs
                .iter()
                .map(|p| p.shingles.as_ref().map_or(0, Vec::len))
                .sum(),
        );
        self.paragraphs.reserve(occurrence_count);
        self.indexed.paragraph_numbers.reserve(occurrence_count);
        self.indexed.group_of.reserve(distinct_count);
        self.documents.reserve(part.documents.len());
        let mut occurrences = part.occurrences.iter().peekable();
        for (doc_index, mut entry) in part.documents.into_iter().enumerate() {
            entry.first_paragraph = self.paragraphs.len() as u32;
            entry.paragraph_count = 0;
            entry.word_paragraphs = 0;
            let doc = self.documents.len() as u32;
            while let Some(occurrence) = occurrences.next_if(|o| o.doc as usize == doc_index) {
                let Some(distinct) = part.paragraphs.get(occurrence.distinct as usize) else {
                    continue;
                };
                let unique = match self.exact_index.get(distinct.exact) {
                    Some(known) => known,
                    None => {
                        let id = self.exact_index.insert(distinct.exact);
                        self.near_tier.push(distinct.shingles.is_some());
                        if let Some(set) = &distinct.shingles {
                            near_sets.push(occurrence.distinct);
                            self.push_near_unique(id);
                            self.shingles.extend_from_slice(set);
                            self.shingle_offsets.push(self.shingles.len());
                        }
                        match first_of_group.get(&distinct.group) {
                            Some(&first) => self.indexed.joined.push((first, id)),
                            None => {
                                first_of_group.insert(distinct.group, id);
                            }
                        }
                        self.indexed.group_of.insert(id, distinct.group);
                        id
                    }
                };
                let paragraph = ParagraphEntry::new(
                    self.paragraphs.len(),
                    doc,
                    occurrence.span,
                    unique,
                    &mut self.long_spans,
                );
                self.paragraphs.push(paragraph);
                self.indexed.paragraph_numbers.push(occurrence.paragraph);
                entry.paragraph_count += 1;
                entry.word_paragraphs += 1;
            }
            self.documents.push(entry);
        }
        let bands = banding.bands.max(1);
        let mut keys = vec![0u64; near_sets.len() * banding.bands];
        if given_keys {
            for (keys, &distinct) in keys.chunks_mut(bands).zip(&near_sets) {
                let at = distinct as usize * banding.bands;
                keys.copy_from_slice(&part.band_keys[at..at + banding.bands]);
            }
        } else {
            let fingerprinter = &self.fingerprinter;
            keys.par_chunks_mut(bands)
                .zip(near_sets.par_iter())
                .for_each_init(Scratch::default, |scratch, (keys, &distinct)| {
                    if let Some(set) = &part.paragraphs[distinct as usize].shingles {
                        fingerprinter.band_keys_of(set, scratch, keys);
                    }
                });
        }
        self.band_keys.push_items(&keys);
        self.indexed.active = true;
        self.indexed.near = self.near_count();
        self.indexed.documents = self.documents.len();
        self.indexed.paragraphs = self.paragraphs.len();
        self.indexed.uniques = self.near_tier.len();
        self.indexed.copies_left_out = part.copies_left_out;
        Ok(())
    }

    /// The input's fingerprints (every distinct paragraph's exact hash, every band key), to be
    /// looked up in a shard index ([`Scanner::with_indexed_before`] then takes in what they touch).
    pub fn probe(&self) -> Probe {
        let mut band_keys = Vec::with_capacity(self.band_keys.items() * self.band_keys.bands());
        for band in 0..self.band_keys.bands() {
            band_keys.extend(self.band_keys.column(band));
        }
        Probe {
            exact: self.exact_index.hashes().collect(),
            band_keys,
            bands: self.band_keys.bands(),
        }
    }

    /// The scanner this one would be had `part` (a shard index's paragraphs, see
    /// [`Scanner::add_indexed`]) been taken in before its input: the same documents, paragraphs
    /// and fingerprints, each distinct paragraph numbered after the indexed ones in the order it
    /// first occurred, a paragraph whose text is indexed sharing its number. The input is not
    /// fingerprinted again. Its documents are numbered after the indexed ones.
    pub fn with_indexed_before(self, part: IndexedPart) -> Result<Scanner, ParamError> {
        if self.indexed.active {
            return Err(ParamError(
                "indexed paragraphs must come before the input, once".into(),
            ));
        }
        let mut merged = Scanner::new(self.params.clone())?;
        merged.add_indexed(part)?;
        // Distinct paragraphs in the order they were made (first occurrence), renumbered.
        let mut renumbered = vec![NO_UNIQUE; self.near_tier.len()];
        // For each near-tier entry of the input, its new entry, or `NOT_NEAR` when its text is
        // indexed (the indexed entry stands for it).
        let mut near_kept = vec![NOT_NEAR; self.near_count()];
        let mut kept = 0usize;
        for (unique, number) in renumbered.iter_mut().enumerate() {
            let hash = self.exact_index.hash_of(unique as u32);
            if let Some(known) = merged.exact_index.get(hash) {
                *number = known;
                continue;
            }
            let id = merged.exact_index.insert(hash);
            let near = self.near_of(unique as u32);
            merged.near_tier.push(near != NOT_NEAR);
            *number = id;
            if near != NOT_NEAR {
                merged.push_near_unique(id);
                merged.shingles.extend_from_slice(self.shingles_of(near));
                merged.shingle_offsets.push(merged.shingles.len());
                near_kept[near as usize] = kept as u32;
                kept += 1;
            }
        }
        let bands = self.band_keys.bands();
        let mut keys = vec![0u64; kept * bands];
        for band in 0..bands {
            for (near, key) in self.band_keys.column(band).enumerate() {
                let at = near_kept[near];
                if at != NOT_NEAR {
                    keys[at as usize * bands + band] = key;
                }
            }
        }
        merged.band_keys.push_items(&keys);
        let (first_doc, first_paragraph) = (
            merged.documents.len() as u32,
            merged.paragraphs.len() as u32,
        );
        merged.documents.reserve(self.documents.len());
        for doc in self.documents.iter() {
            merged.documents.push_ref(doc, first_paragraph);
        }
        merged.long_spans.extend(
            self.long_spans
                .iter()
                .map(|(&index, &span)| (index + first_paragraph, span)),
        );
        merged
            .paragraphs
            .extend(self.paragraphs.iter().map(|p| ParagraphEntry {
                doc: p.doc + first_doc,
                unique: if p.unique == NO_UNIQUE {
                    NO_UNIQUE
                } else {
                    renumbered[p.unique as usize]
                },
                ..*p
            }));
        merged.bytes += self.bytes;
        Ok(merged)
    }

    /// Documents taken in from a shard index, numbered before the input's.
    pub fn indexed_document_count(&self) -> usize {
        self.indexed.documents
    }

    /// Number of documents taken so far.
    pub fn document_count(&self) -> usize {
        self.documents.len()
    }

    /// The bytes each table of the scan holds so far, by name, as allocated (capacity, not
    /// length; the exact-hash table's from its capacity and entry size): where the memory of a
    /// scan goes before [`Scanner::finish`]. `examples/tables.rs` prints it a paragraph.
    pub fn table_bytes(&self) -> Vec<(&'static str, usize)> {
        fn vec_bytes<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        vec![
            (
                "documents (entries, ids, sources, paths)",
                self.documents.heap_bytes(),
            ),
            (
                "paragraphs (document, span, distinct)",
                vec_bytes(&self.paragraphs),
            ),
            (
                "exact-hash table (hash -> distinct)",
                self.exact_index.heap_bytes()
                    + self
                        .exact_overflow
                        .as_ref()
                        .map_or(0, ExactOverflow::heap_bytes),
            ),
            (
                "distinct paragraphs (in the near tier: a bit)",
                self.near_tier.heap_bytes(),
            ),
            (
                "near tier: distinct paragraph",
                vec_bytes(&self.near_to_unique),
            ),
            (
                "near tier: shingle sets (offsets, shingles)",
                self.shingle_offsets.heap_bytes() + vec_bytes(&self.shingles),
            ),
            ("near tier: band keys", self.band_keys.heap_bytes()),
        ]
    }

    /// Paragraphs taken so far (with or without words).
    pub fn paragraph_count(&self) -> usize {
        self.spilled_paragraphs + self.paragraphs.len()
    }

    /// Distinct paragraphs so far, and those of them in the near tier.
    pub fn distinct_counts(&self) -> (usize, usize) {
        (self.near_tier.len(), self.near_count())
    }

    /// Fingerprints a batch of documents, which follow every earlier batch in input order.
    pub fn add_batch(&mut self, batch: Vec<Document>) {
        let fingerprinter = &self.fingerprinter;
        // Each text is dropped on the worker that normalized it.
        let (entries, texts): (Vec<DocumentEntry>, Vec<NormalizedDocument>) = batch
            .into_par_iter()
            .map(|doc| prepare(doc, fingerprinter))
            .unzip();
        self.add_prepared(entries, texts);
    }

    /// Adds documents whose texts are in Arrow columns, as [`Scanner::add_batch`] does: the texts
    /// are read where they are, never copied. The batches are taken in order, as one batch.
    pub fn add_columnar(&mut self, batches: Vec<ColumnarDocuments>) {
        let fingerprinter = &self.fingerprinter;
        let (heads, columns): (Vec<Vec<DocumentHead>>, Vec<ColumnarTexts>) = batches
            .into_iter()
            .map(ColumnarDocuments::into_heads)
            .unzip();
        let documents: Vec<(DocumentHead, &ColumnarTexts, usize)> = heads
            .into_iter()
            .zip(&columns)
            .flat_map(|(heads, texts)| {
                heads
                    .into_iter()
                    .enumerate()
                    .map(move |(index, head)| (head, texts, index))
            })
            .collect();
        let (entries, texts): (Vec<DocumentEntry>, Vec<NormalizedDocument>) = documents
            .into_par_iter()
            .map(|(head, texts, index)| prepare_text(head, &texts.text(index), fingerprinter))
            .unzip();
        self.add_prepared(entries, texts);
    }

    /// Takes in the prepared documents of a batch: their paragraphs, distinct texts and, for new
    /// distinct texts of the near tier, their shingles and band keys.
    fn add_prepared(&mut self, entries: Vec<DocumentEntry>, texts: Vec<NormalizedDocument>) {
        // Sequential, in input order: which paragraphs are new distinct texts.
        let mut new_near: Vec<(u32, &str)> = Vec::new();
        for (mut entry, text) in entries.into_iter().zip(&texts) {
            let doc_index = self.documents.len() as u32;
            entry.first_paragraph = self.paragraph_count() as u32;
            self.bytes += entry.bytes;
            self.documents.push(entry);
            for paragraph in &text.paragraphs {
                let unique = if paragraph.words == 0 {
                    NO_UNIQUE
                } else if let Some(known) = self.exact_index.get(paragraph.exact) {
                    known
                } else if let Some(known) = (self.exact_overflow.as_ref())
                    .and_then(|overflow| overflow.get(paragraph.exact))
                {
                    known
                } else {
                    let id = match self.exact_overflow.as_mut() {
                        Some(overflow) => overflow.insert(paragraph.exact),
                        None => self.exact_index.insert(paragraph.exact),
                    };
                    let near = self.fingerprinter.is_near(paragraph.words);
                    self.near_tier.push(near);
                    if near {
                        new_near.push((id, &text.normalized[paragraph.normalized.clone()]));
                    }
                    id
                };
                let entry = ParagraphEntry::new(
                    self.paragraph_count(),
                    doc_index,
                    paragraph.span,
                    unique,
                    &mut self.long_spans,
                );
                self.paragraphs.push(entry);
            }
        }

        // Parallel: shingles, signatures and band keys of the new distinct paragraphs only, the
        // keys written straight into their place in the batch's table, the shingle sets of a
        // chunk of paragraphs gathered in one vector.
        let fingerprinter = &self.fingerprinter;
        let bands = self.params.banding.bands;
        let mut batch_keys = vec![0u64; new_near.len() * bands];
        let chunks: Vec<ChunkShingles> = new_near
            .par_chunks(FINGERPRINT_CHUNK)
            .zip(batch_keys.par_chunks_mut(FINGERPRINT_CHUNK * bands))
            .map_init(Scratch::default, |scratch, (items, keys)| {
                let mut chunk = ChunkShingles {
                    shingles: Vec::new(),
                    ends: Vec::with_capacity(items.len()),
                };
                for (&(_, normalized), keys) in items.iter().zip(keys.chunks_exact_mut(bands)) {
                    let set = fingerprinter.near_print_into(normalized, scratch, keys);
                    chunk.shingles.extend_from_slice(set);
                    chunk.ends.push(chunk.shingles.len());
                }
                chunk
            })
            .collect();
        self.band_keys.push_items(&batch_keys);
        for (items, chunk) in new_near.chunks(FINGERPRINT_CHUNK).zip(chunks) {
            let base = self.spilled_shingles + self.shingles.len();
            self.shingles.extend_from_slice(&chunk.shingles);
            for (&(unique, _), end) in items.iter().zip(chunk.ends) {
                self.push_near_unique(unique);
                self.shingle_offsets.push(base + end);
            }
        }
        if self.spill.is_some() {
            self.spill_batch();
        }
    }

    /// Under a budget: once the tables pass half of it, writes the paragraph records, shingle
    /// sets and band keys held in memory to the spill folder (the first time, everything taken
    /// so far; then each batch's), and lets them go. A failure is kept and ends the scan
    /// ([`Scanner::spill_failure`]).
    fn spill_batch(&mut self) {
        let Some(mut spill) = self.spill.take() else {
            return;
        };
        if spill.failure.is_none() {
            if spill.tables.is_none() && self.held_bytes() as u64 > spill.budget.bytes / 2 {
                if let Err(error) = spill.begin(self.spillable_bytes(), self.bytes) {
                    spill.failure = Some(error);
                }
                self.number_near_by_select();
                spill.forecast = self.forecast_within(&spill.budget);
            }
            if spill.tables.is_some() {
                if let Err(error) = self.write_tables(&mut spill) {
                    spill.failure = Some(error);
                }
                if let Err(error) = self.bound_exact_tier(&spill) {
                    spill.failure = Some(error);
                }
            }
        }
        self.spill = Some(spill);
    }

    /// Past a budget: once the exact tier's index holds its share of the budget it stops growing
    /// and the distinct paragraphs numbered after go to an [`ExactOverflow`], whose recent index
    /// is written out each time it holds its own share.
    fn bound_exact_tier(&mut self, spill: &Spill) -> Result<(), SpillError> {
        let Some(folder) = spill.folder.as_ref() else {
            return Ok(());
        };
        let (index_share, recent_share) = exact_tier_shares(&spill.budget);
        if self.exact_overflow.is_none() && self.exact_index.used_bytes() as u64 >= index_share {
            self.exact_overflow = Some(ExactOverflow::new(
                self.near_tier.len() as u32,
                recent_share as usize,
            ));
        }
        match self.exact_overflow.as_mut() {
            Some(overflow) if overflow.is_full() => overflow.flush(folder),
            _ => Ok(()),
        }
    }

    /// Bytes the tables hold now, all of [`Scanner::table_bytes`].
    fn held_bytes(&self) -> usize {
        self.table_bytes().iter().map(|(_, bytes)| bytes).sum()
    }

    /// Bytes of the tables that stay in memory past a budget, as used now (without the room
    /// that vectors and hash tables keep to grow, which would make a rate taken early, with
    /// tables just grown or still at their smallest, too high).
    fn resident_bytes(&self) -> u64 {
        self.exact_tier_bytes() + self.growing_resident_bytes()
    }

    /// Bytes of the exact tier's indexes, as used now.
    fn exact_tier_bytes(&self) -> u64 {
        let overflow = self
            .exact_overflow
            .as_ref()
            .map_or(0, ExactOverflow::used_bytes);
        (self.exact_index.used_bytes() + overflow) as u64
    }

    /// Bytes of the tables that stay in memory past a budget and grow with the input, as used
    /// now (every one but the exact tier's, which stops at its share of the budget).
    fn growing_resident_bytes(&self) -> u64 {
        (self.documents.used_bytes()
            + self.near_tier.used_bytes()
            + std::mem::size_of_val(self.near_to_unique.as_slice())
            + self.shingle_offsets.used_bytes()) as u64
    }

    /// What the tables that stay in memory will take at the end of the input, at the rate they
    /// grew over the text read so far; `None` when the input's size is not known.
    fn forecast_within(&self, budget: &MemoryBudget) -> Option<BudgetForecast> {
        let expected = budget.expected_text_bytes?;
        let text_read = self.bytes.max(1);
        let text_expected = expected.max(text_read);
        let scale = |bytes: u64| bytes as u128 * text_expected as u128 / text_read as u128;
        let (index_share, recent_share) = exact_tier_shares(budget);
        let exact_at_end = scale(self.exact_tier_bytes()).min((index_share + recent_share).into());
        let at_end = scale(self.growing_resident_bytes()) + exact_at_end;
        Some(BudgetForecast {
            budget: budget.bytes,
            text_read,
            text_expected,
            resident_now: self.resident_bytes(),
            resident_at_end: u64::try_from(at_end).unwrap_or(u64::MAX),
        })
    }

    /// Under a budget, once the scan spilled and the input's size is known: what it expects of
    /// the tables that stay in memory ([`BudgetForecast`]).
    pub fn budget_forecast(&self) -> Option<BudgetForecast> {
        self.spill.as_ref().and_then(|spill| spill.forecast)
    }

    /// Bytes of the tables a spill writes out, as held now.
    fn spillable_bytes(&self) -> u64 {
        (self.paragraphs.len() * 16
            + self.shingles.len() * 4
            + self.band_keys.items() * self.band_keys.bands() * 8) as u64
    }

    /// Writes the paragraph records, shingles and band keys held in memory to the spill files.
    fn write_tables(&mut self, spill: &mut Spill) -> Result<(), SpillError> {
        let Some(tables) = spill.tables.as_mut() else {
            return Ok(());
        };
        tables.paragraphs.append_iter(
            self.paragraphs
                .iter()
                .flat_map(|p| [p.doc, p.start, p.end, p.unique]),
        )?;
        tables.shingles.append(&self.shingles)?;
        for (band, file) in tables.band_keys.iter_mut().enumerate() {
            file.append_iter(self.band_keys.column(band))?;
        }
        self.spilled_paragraphs += self.paragraphs.len();
        self.spilled_shingles += self.shingles.len();
        // Capacity is kept for the next batch, but not what the tables grew to before the spill.
        let batch_capacity = |v: usize| v.min(1 << 20);
        self.paragraphs.clear();
        self.paragraphs
            .shrink_to(batch_capacity(self.paragraphs.capacity()));
        self.shingles.clear();
        self.shingles
            .shrink_to(batch_capacity(self.shingles.capacity()));
        self.band_keys = BandKeyTable::new(self.params.banding.bands);
        Ok(())
    }

    /// What ended a scan under a budget early: the spill folder could not be made, written, or
    /// lacks the space the scan needs. The scan should stop; [`BoundedScanner::try_finish`]
    /// returns the same error.
    pub fn spill_failure(&self) -> Option<&SpillError> {
        self.spill.as_ref().and_then(|spill| spill.failure.as_ref())
    }

    /// The byte span of paragraph number `index` in its document.
    fn span_of(&self, index: usize) -> Span {
        self.span_of_entry(index, &self.paragraphs[index])
    }

    /// The byte span of `entry`, paragraph number `index`.
    fn span_of_entry(&self, index: usize, entry: &ParagraphEntry) -> Span {
        if entry.start == LONG_SPAN && entry.end == LONG_SPAN {
            if let Some(&span) = self.long_spans.get(&(index as u32)) {
                return span;
            }
        }
        Span {
            start: entry.start as usize,
            end: entry.end as usize,
        }
    }

    /// The distinct paragraph behind near-tier entry `near`.
    fn unique_of_near(&self, near: u32) -> u32 {
        if self.near_by_select {
            // Every near-tier entry has its bit: `near` is below the count of set bits.
            self.near_tier
                .select(near)
                .map_or(u32::MAX, |unique| unique as u32)
        } else {
            self.near_to_unique[near as usize]
        }
    }

    /// Near-tier entries so far.
    fn near_count(&self) -> usize {
        self.near_tier.ones() as usize
    }

    /// From now on, finds each near-tier entry's distinct paragraph by select on the near
    /// tier's bits instead of holding it.
    fn number_near_by_select(&mut self) {
        debug_assert!(self
            .near_to_unique
            .iter()
            .enumerate()
            .all(|(near, &unique)| self.near_tier.select(near as u32) == Some(unique as usize)));
        self.near_to_unique = Vec::new();
        self.near_by_select = true;
    }

    /// Notes the distinct paragraph of the next near-tier entry (its bit already pushed).
    fn push_near_unique(&mut self, unique: u32) {
        if !self.near_by_select {
            self.near_to_unique.push(unique);
        }
    }

    /// The near-tier number of distinct paragraph `unique`, or `NOT_NEAR`.
    fn near_of(&self, unique: u32) -> u32 {
        (self.near_tier.rank_of_set(unique as usize)).unwrap_or(NOT_NEAR)
    }

    fn shingles_of(&self, near: u32) -> &[u32] {
        let near = near as usize;
        &self.shingles[self.shingle_offsets.set(near)]
    }

    /// The shingle set of near-tier paragraph `near`, from `view`.
    fn set_in<'a>(&'a self, view: SetView<'a>, near: u32) -> &'a [u32] {
        match view {
            SetView::Held => self.shingles_of(near),
            SetView::Loaded(arena) => arena.get(near).unwrap_or(&[]),
        }
    }

    /// Every paragraph record in order, with its number: those in the spill file first. A
    /// distinct paragraph numbered twice past a budget is given as its first number.
    fn for_each_paragraph(
        &self,
        spilled: Option<&mut NumberFile<u32>>,
        mut each: impl FnMut(usize, &ParagraphEntry),
    ) -> Result<(), SpillError> {
        let mut global = 0usize;
        if let Some(file) = spilled {
            file.for_each_block(|_, numbers| {
                for record in numbers.chunks_exact(4) {
                    let entry = ParagraphEntry {
                        doc: record[0],
                        start: record[1],
                        end: record[2],
                        unique: self.aliases.first_of(record[3]),
                    };
                    each(global, &entry);
                    global += 1;
                }
            })?;
        }
        for entry in &self.paragraphs {
            let entry = ParagraphEntry {
                unique: self.aliases.first_of(entry.unique),
                ..*entry
            };
            each(global, &entry);
            global += 1;
        }
        Ok(())
    }

    /// Runs the near tier and lays out the clusters.
    pub fn finish(self) -> ScanOutcome {
        match self.finish_inner(false) {
            Ok((outcome, _)) => outcome,
            // Only a [`BoundedScanner`] has spill files, and it is finished by `try_finish`.
            Err(error) => unreachable!("a scanner without a budget read spill files: {error}"),
        }
    }

    /// Runs the near tier and lays out the clusters, and keeps what a shard index stores of the
    /// input's distinct paragraphs (see [`Retained`]).
    pub fn finish_retaining(self) -> (ScanOutcome, Retained) {
        match self.finish_inner(true) {
            Ok((outcome, retained)) => (outcome, retained.unwrap_or_default()),
            Err(error) => unreachable!("a scanner without a budget read spill files: {error}"),
        }
    }

    /// The stages of a finished scan, in order; each says what it adds and what it lets go:
    /// [`Scanner::join_index_groups`], [`Scanner::verify_small_buckets`],
    /// [`Scanner::join_large_buckets`], [`Scanner::join_containing`],
    /// [`Scanner::lay_out_clusters`], [`Scanner::measure_members`], [`Scanner::summarize`], and
    /// for a shard index [`Scanner::retained`].
    fn finish_inner(mut self, retain: bool) -> Result<(ScanOutcome, Option<Retained>), SpillError> {
        let mut spill = self.spill.take();
        if let Some(failure) = spill.as_mut().and_then(|spill| spill.failure.take()) {
            return Err(failure);
        }
        // A budget never passed leaves nothing on disk: the stages run in memory.
        let mut spilled = spill.filter(|spill| spill.tables.is_some());
        if let Some(spill) = spilled.as_deref_mut() {
            self.resolve_aliases(spill)?;
            // Every batch's records went to the spill files: the room kept for a next batch is
            // not needed any more.
            debug_assert!(self.paragraphs.is_empty() && self.shingles.is_empty());
            self.paragraphs = Vec::new();
            self.shingles = Vec::new();
        }
        // Each distinct paragraph's exact hash, when the index needs them.
        let exact_of = if retain {
            self.exact_hash_of_uniques()
        } else {
            Vec::new()
        };
        // The exact-tier index has done its work; its memory serves the stages below. It is made
        // of many blocks of the allocator's heaps, whose pages stay resident unless handed back.
        drop(std::mem::take(&mut self.exact_index));
        release_freed_memory();
        let mut sets = UnionFind::new(self.near_tier.len());
        let mut pairs = PairCounts::default();
        self.join_index_groups(&mut sets);
        if let Some(spill) = spilled.as_deref_mut() {
            spill.settle_work(resident_now());
        }
        let (large_buckets, agreement) = match spilled.as_deref_mut() {
            None => self.verify_small_buckets(&mut sets, &mut pairs),
            Some(spill) => self.verify_small_buckets_spilled(spill, &mut sets, &mut pairs)?,
        };
        match spilled.as_deref_mut() {
            None => self.join_large_buckets(
                &large_buckets,
                &agreement,
                SetView::Held,
                &mut sets,
                &mut pairs,
            ),
            Some(spill) => self.join_large_buckets_spilled(
                spill,
                &large_buckets,
                &agreement,
                &mut sets,
                &mut pairs,
            )?,
        }
        drop((large_buckets, agreement));
        self.join_containing(&mut sets, &mut pairs);
        if !retain {
            if let Some(spill) = spilled.as_deref_mut() {
                if let Some(laid_out) = self.lay_out_on_disk(&mut sets, spill)? {
                    drop((sets, spilled));
                    let mut clusters = laid_out.clusters;
                    let members = laid_out.members;
                    let copies = |cluster: usize| members.copies(cluster);
                    let summary =
                        self.summarize(&mut clusters, laid_out.counted_paragraphs, pairs, &copies);
                    return Ok((
                        ScanOutcome {
                            params: self.params,
                            documents: self.documents,
                            clusters,
                            summary,
                            members_on_disk: Some(std::sync::Arc::new(members)),
                        },
                        None,
                    ));
                }
            }
        }
        let paragraph_file = spilled
            .as_deref_mut()
            .and_then(|spill| spill.tables.as_mut())
            .map(|tables| &mut tables.paragraphs);
        let mut laid_out = self.lay_out_clusters(&mut sets, paragraph_file)?;
        if !retain {
            // Only the shard index's tables need the sets after the layout.
            sets = UnionFind::new(0);
        }
        let member_sets = match spilled.as_deref_mut() {
            None => None,
            Some(spill) => {
                spill.tell(SpillPhase::Members {
                    range: 0,
                    ranges: 1,
                });
                let needed = self.near_members_to_measure(&laid_out);
                Some(self.load_sets(spill, &needed)?)
            }
        };
        let view = member_sets.as_ref().map_or(SetView::Held, SetView::Loaded);
        self.measure_members(&mut laid_out, view);
        drop(member_sets);
        // The spill folder is removed here, before the report is written.
        drop(spilled);
        let LaidOut {
            mut clusters,
            counted_paragraphs,
            ..
        } = laid_out;
        let clusters_copies: Vec<usize> = clusters.iter().map(|c| c.members.len()).collect();
        let copies = |cluster: usize| clusters_copies[cluster];
        let summary = self.summarize(&mut clusters, counted_paragraphs, pairs, &copies);
        let retained = retain.then(|| self.retained(&mut sets, exact_of));
        Ok((
            ScanOutcome {
                params: self.params,
                documents: self.documents,
                clusters,
                summary,
                members_on_disk: None,
            },
            retained,
        ))
    }

    /// Stage 0, past a budget whose exact tier overflowed: the runs of exact hashes merged, each
    /// distinct paragraph numbered twice (its earlier copies written out before it came again)
    /// known by its first number from here on, its near-tier entry left out of LSH.
    fn resolve_aliases(&mut self, spill: &mut Spill) -> Result<(), SpillError> {
        let (Some(overflow), Some(folder)) = (self.exact_overflow.take(), spill.folder.as_ref())
        else {
            return Ok(());
        };
        let runs = overflow.run_count();
        let first_possible = overflow.first_id();
        let exact = overflow.into_aliases(folder)?;
        let mut dead_near = vec![0u64; self.near_count().div_ceil(64)];
        let mut dead_near_count = 0;
        for alias in exact.aliases() {
            let near = self.near_of(alias);
            if near != NOT_NEAR {
                dead_near[near as usize / 64] |= 1 << (near % 64);
                dead_near_count += 1;
            }
        }
        spill.tell(SpillPhase::ExactRuns {
            runs,
            aliases: exact.len() as u64,
        });
        self.aliases = Aliases {
            exact,
            first_possible,
            dead_near,
            dead_near_count,
        };
        Ok(())
    }

    /// The shingle sets of near-tier paragraphs `ids` (ascending, no repeats), from the spill
    /// folder.
    fn load_sets(&self, spill: &mut Spill, ids: &[u32]) -> Result<SetArena, SpillError> {
        match spill.tables.as_mut() {
            Some(tables) => tables.shingles.load_sets(ids, &self.shingle_offsets),
            None => Ok(SetArena::default()),
        }
    }

    /// The near-tier paragraphs whose sets measuring the members needs: those of members that
    /// are not exact copies of their canonical copy, and the canonical copy's.
    fn near_members_to_measure(&self, laid_out: &LaidOut) -> Vec<u32> {
        let mut needed = Vec::new();
        for (cluster, &start) in laid_out.clusters.iter().zip(&laid_out.starts) {
            let uniques = &laid_out.member_uniques[start..start + cluster.members.len()];
            let canonical = uniques[0];
            let mut any = false;
            for &unique in &uniques[1..] {
                if unique != canonical {
                    needed.push(self.near_of(unique));
                    any = true;
                }
            }
            if any {
                needed.push(self.near_of(canonical));
            }
        }
        needed.retain(|&near| near != NOT_NEAR);
        needed.sort_unstable();
        needed.dedup();
        needed
    }

    /// The exact hash of each distinct paragraph, by its number.
    fn exact_hash_of_uniques(&self) -> Vec<u64> {
        self.exact_index.hashes().collect()
    }

    /// Stage 1: paragraphs of one index group are one cluster already.
    fn join_index_groups(&self, sets: &mut UnionFind) {
        for &(a, b) in &self.indexed.joined {
            sets.union(a, b);
        }
    }

    /// Whether the near-tier paragraphs `a` and `b` are near copies: exact Jaccard similarity at
    /// the threshold, or under `--containment`, one contained in the other.
    fn verifies(&self, view: SetView<'_>, a: u32, b: u32) -> bool {
        let (sa, sb) = (self.set_in(view, a), self.set_in(view, b));
        jaccard_at_least(sa, sb, self.params.threshold)
            || self
                .params
                .containment
                .is_some_and(|c| containment(sa, sb) >= c)
    }

    /// Whether a pair of near-tier paragraphs is worth verifying: two indexed paragraphs are not
    /// verified again, since the index's groups are what their verification found (indexed
    /// paragraphs come first, so a pair is indexed when its higher member is).
    fn worth_verifying(&self, a: u32, b: u32) -> bool {
        a.max(b) as usize >= self.indexed.near
    }

    /// Stage 2: LSH buckets from the band keys; every pair of a small bucket is verified, in
    /// parallel, and joined (the clusters are the connected components of the verified pairs, so
    /// the order of the unions does not matter). Pairs of two indexed paragraphs, and large
    /// buckets of indexed paragraphs only, are not even made (see [`Scanner::worth_verifying`]).
    /// Returns the large buckets, with the band keys of their members kept to rank leaders; the
    /// band key table is let go.
    fn verify_small_buckets(
        &mut self,
        sets: &mut UnionFind,
        pairs: &mut PairCounts,
    ) -> (Vec<Vec<u32>>, BandAgreement) {
        let Candidates {
            pairs: lsh_pairs,
            large_buckets,
        } = candidates_from(&self.band_keys, self.indexed.near as u32);
        let agreement = BandAgreement::new(&self.band_keys, &large_buckets, self.near_count());
        drop(std::mem::take(&mut self.band_keys));
        self.verify_pairs(SetView::Held, &lsh_pairs, sets, pairs);
        (large_buckets, agreement)
    }

    /// Verifies `candidates` (pairs of near-tier paragraphs) in parallel on the sets of `view`
    /// and joins those that pass.
    fn verify_pairs(
        &self,
        view: SetView<'_>,
        candidates: &[(u32, u32)],
        sets: &mut UnionFind,
        pairs: &mut PairCounts,
    ) {
        pairs.candidates += candidates.len() as u64;
        let verified: Vec<(u32, u32)> = candidates
            .par_iter()
            .filter(|&&(a, b)| self.verifies(view, a, b))
            .map(|&(a, b)| (self.unique_of_near(a), self.unique_of_near(b)))
            .collect();
        pairs.verified += verified.len() as u64;
        for (a, b) in verified {
            sets.union(a, b);
        }
    }

    /// Stage 2 from the spill folder: a band at a time, the band's keys read from its file and
    /// bucketed; small buckets' pairs go to sorted runs, merged back in order without repeats and
    /// verified a chunk at a time against the sets each chunk needs. The same pairs, large
    /// buckets and band agreement as [`Scanner::verify_small_buckets`].
    fn verify_small_buckets_spilled(
        &self,
        spill: &mut Spill,
        sets: &mut UnionFind,
        pairs: &mut PairCounts,
    ) -> Result<(Vec<Vec<u32>>, BandAgreement), SpillError> {
        let items = self.near_count();
        let bands = spill.bands;
        let work = spill.work_bytes();
        let Some(folder) = spill.folder.take() else {
            return Ok((Vec::new(), BandAgreement::rows(bands, &[], items)));
        };
        let result = (|| {
            // A quarter of the work for the pairs waiting to be written (8 bytes each), half
            // for the band part being bucketed, the rest for the pairs a part finds.
            let pair_size = std::mem::size_of::<(u32, u32)>();
            let mut runs = PairRuns::new("pairs", work / 4 / pair_size);
            let mut large_buckets = Vec::new();
            let partitions = KeyPartitions::within(items, work / 2);
            for band in 0..bands {
                spill.tell(SpillPhase::MergeBand {
                    band: band + 1,
                    bands,
                    parts: partitions.count(),
                });
                let Some(tables) = spill.tables.as_mut() else {
                    break;
                };
                for partition in 0..partitions.count() {
                    let mut live: Vec<(u32, u64)> =
                        Vec::with_capacity(partitions.expected_share(items));
                    tables.band_keys[band].for_each_block(|start, keys| {
                        // An alias's entry is its first copy's again: left out, as it is in
                        // memory.
                        live.extend(
                            (start as u32..)
                                .zip(keys.iter().copied())
                                .filter(|&(near, key)| {
                                    partitions.of(key) == partition && !self.aliases.is_dead(near)
                                })
                                .map(|(near, key)| (near, partitions.spread(key))),
                        );
                    })?;
                    let found = band_candidates_among(live.iter().copied(), live.len(), 0);
                    drop(live);
                    runs.push(&folder, found.pairs)?;
                    large_buckets.extend(found.large_buckets);
                }
            }
            // The bucketing's blocks, freed, go back to the system before the sets are loaded.
            release_freed_memory();
            let mut agreement = BandAgreement::rows(bands, &large_buckets, items);
            if agreement.wanted() {
                for band in 0..bands {
                    if let Some(tables) = spill.tables.as_mut() {
                        tables.band_keys[band].for_each_block(|start, keys| {
                            agreement.fill(band, start as usize, keys.iter().copied())
                        })?;
                    }
                }
            }
            let shingle_bytes = (self.spilled_shingles + self.shingles.len()) * 4;
            // Each pair brings up to two sets (their numbers, and 12 bytes of arena each) and
            // takes 16 bytes itself, in the chunk and in the list of its sets.
            let set_bytes = shingle_bytes / items.max(1) + 12;
            // Measured again: what the bucketing left (the large buckets, their agreement, the
            // allocator's holes) is not the verification's to take.
            spill.settle_work(resident_now());
            let work = spill.work_bytes();
            let chunk_pairs = (work / (2 * set_bytes + 16)).max(4096);
            let mut merged = runs.into_merged(&folder)?;
            loop {
                let chunk = merged.next_chunk(chunk_pairs)?;
                if chunk.is_empty() {
                    break;
                }
                let mut ids: Vec<u32> = chunk.iter().flat_map(|&(a, b)| [a, b]).collect();
                ids.par_sort_unstable();
                ids.dedup();
                let arena = self.load_sets(spill, &ids)?;
                drop(ids);
                self.verify_pairs(SetView::Loaded(&arena), &chunk, sets, pairs);
                spill.tell(SpillPhase::Verify {
                    pairs: pairs.candidates,
                });
            }
            Ok((large_buckets, agreement))
        })();
        spill.folder = Some(folder);
        result
    }

    /// Stage 3: large buckets (dense families of variants) one after another, in band order then
    /// key order, each joined by leader clustering against the sets formed so far: bounded work a
    /// member, and the same result whatever the thread count.
    fn join_large_buckets(
        &self,
        large_buckets: &[Vec<u32>],
        agreement: &BandAgreement,
        view: SetView<'_>,
        sets: &mut UnionFind,
        pairs: &mut PairCounts,
    ) {
        let indexed_near = self.indexed.near as u32;
        for bucket in large_buckets {
            if bucket.last().is_some_and(|&last| last < indexed_near) {
                continue;
            }
            // By select, each member's distinct paragraph is found once for the bucket
            // (members ascending), not at each comparison.
            let selected: Vec<u32> = if self.near_by_select {
                bucket
                    .iter()
                    .map(|&near| self.unique_of_near(near))
                    .collect()
            } else {
                Vec::new()
            };
            let unique_of = |near: u32| {
                if self.near_by_select {
                    if let Ok(position) = bucket.binary_search(&near) {
                        return selected[position];
                    }
                }
                self.unique_of_near(near)
            };
            let work = join_large_bucket_where(
                bucket,
                sets,
                unique_of,
                |a, b| self.verifies(view, a, b),
                |a, b| agreement.shared(a, b),
                |a, b| self.worth_verifying(a, b),
            );
            pairs.candidates += work.verifications;
            pairs.verified += work.accepted;
        }
    }

    /// Stage 3 from the spill folder: the large buckets in order, as many at a time as their
    /// sets, read from the spill folder, fit in the work the budget leaves (a bucket larger than
    /// that alone). Buckets are joined in the same order as [`Scanner::join_large_buckets`] joins
    /// them, so the same pairs are verified.
    fn join_large_buckets_spilled(
        &self,
        spill: &mut Spill,
        large_buckets: &[Vec<u32>],
        agreement: &BandAgreement,
        sets: &mut UnionFind,
        pairs: &mut PairCounts,
    ) -> Result<(), SpillError> {
        spill.settle_work(resident_now());
        let work = spill.work_bytes();
        // A loaded set takes its numbers and 12 bytes of the arena's own.
        let set_bytes = |near: u32| self.shingle_offsets.set(near as usize).len() * 4 + 12;
        let mut start = 0;
        while start < large_buckets.len() {
            let mut end = start;
            let mut bytes = 0;
            while end < large_buckets.len() && (end == start || bytes < work) {
                bytes += large_buckets[end]
                    .iter()
                    .map(|&near| set_bytes(near))
                    .sum::<usize>();
                end += 1;
            }
            let group = &large_buckets[start..end];
            let mut members: Vec<u32> = group.iter().flatten().copied().collect();
            members.sort_unstable();
            members.dedup();
            let loaded = self.load_sets(spill, &members)?;
            drop(members);
            self.join_large_buckets(group, agreement, SetView::Loaded(&loaded), sets, pairs);
            start = end;
        }
        Ok(())
    }

    /// Stage 4, under `--containment` only: paragraphs contained in another, which LSH on
    /// similarity does not pair, found by their rarest shingles and joined.
    fn join_containing(&self, sets: &mut UnionFind, pairs: &mut PairCounts) {
        let Some(min_containment) = self.params.containment else {
            return;
        };
        let candidates: Vec<(u32, u32)> =
            containment_candidates(&self.shingles, &self.shingle_offsets)
                .into_iter()
                .map(|(a, b)| (self.unique_of_near(a), self.unique_of_near(b)))
                .filter(|&(a, b)| sets.find(a) != sets.find(b))
                .collect();
        pairs.candidates += candidates.len() as u64;
        let verified: Vec<bool> = candidates
            .par_iter()
            .map(|&(a, b)| {
                let (na, nb) = (self.near_of(a), self.near_of(b));
                containment(self.shingles_of(na), self.shingles_of(nb)) >= min_containment
            })
            .collect();
        for (&(a, b), ok) in candidates.iter().zip(verified) {
            if ok {
                pairs.verified += 1;
                sets.union(a, b);
            }
        }
    }

    /// Stage 5: the clusters, sets with two or more occurrences, numbered by first occurrence,
    /// their members in input order, with the distinct paragraph of each member. Two passes over
    /// the paragraph records (from `spilled` first, when the scan spilled): one counts each set's
    /// occurrences, one lays out the members.
    fn lay_out_clusters(
        &self,
        sets: &mut UnionFind,
        mut spilled: Option<&mut NumberFile<u32>>,
    ) -> Result<LaidOut, SpillError> {
        let mut roots = self.count_roots(sets, spilled.as_deref_mut())?;
        // Sized exactly, as the member lists are: grown by doubling, they would hold up to twice
        // what they need at the scan's peak.
        let (cluster_count, member_count) = roots.clusters_and_copies();
        let mut laid_out = LaidOut {
            clusters: Vec::with_capacity(cluster_count),
            counted_paragraphs: 0,
            member_uniques: Vec::with_capacity(member_count),
            starts: Vec::with_capacity(cluster_count),
        };
        let indexed_paragraphs = self.indexed.paragraphs;
        self.for_each_paragraph(spilled, |global, paragraph| {
            if paragraph.unique == NO_UNIQUE {
                return;
            }
            let root = sets.find(paragraph.unique);
            if global >= indexed_paragraphs {
                laid_out.counted_paragraphs += 1;
            }
            let id = match roots.visit(root, laid_out.clusters.len()) {
                RootVisit::Single => return,
                RootVisit::Known(id) => id,
                RootVisit::First { id, count } => {
                    let count = count as usize;
                    laid_out.clusters.push(Cluster {
                        id,
                        kind: ClusterKind::WithinDocument,
                        documents: 0,
                        duplicate_bytes: 0,
                        // Sized exactly (the set's occurrences): grown by doubling, the member lists
                        // of a corpus full of repeats would take up to twice what they hold and
                        // raise the scan's peak memory.
                        members: Vec::with_capacity(count),
                    });
                    let start = laid_out.member_uniques.len();
                    laid_out.starts.push(start);
                    laid_out.member_uniques.resize(start + count, NO_UNIQUE);
                    id
                }
            };
            let index_in_doc = match self.indexed.paragraph_numbers.get(global) {
                Some(&number) => number,
                None => global as u32 - self.documents.first_paragraph(paragraph.doc as usize),
            };
            let cluster = &mut laid_out.clusters[id];
            laid_out.member_uniques[laid_out.starts[id] + cluster.members.len()] = paragraph.unique;
            cluster.members.push(Member {
                doc: paragraph.doc,
                paragraph: index_in_doc,
                span: self.span_of_entry(global, paragraph),
                similarity: 1.0,
                containment: 1.0,
                contained: false,
                holds_canonical: false,
                via_chain: false,
            });
        })?;
        Ok(laid_out)
    }

    /// Each root's occurrences: the paragraph records read once (from `spilled` first).
    fn count_roots(
        &self,
        sets: &mut UnionFind,
        spilled: Option<&mut NumberFile<u32>>,
    ) -> Result<RootClusters, SpillError> {
        let mut state = vec![0u32; self.near_tier.len()];
        self.for_each_paragraph(spilled, |_, paragraph| {
            if paragraph.unique != NO_UNIQUE {
                state[sets.find(paragraph.unique) as usize] += 1;
            }
        })?;
        Ok(RootClusters { state })
    }

    /// Stage 6: each cluster's kind and documents, the similarity and containment of every
    /// member to its canonical copy (the first), on the sets of `view`, how it joined (a chain, a
    /// containment), and the bytes its repeats take.
    fn measure_members(&self, laid_out: &mut LaidOut, view: SetView<'_>) {
        let member_uniques = &laid_out.member_uniques;
        laid_out
            .clusters
            .par_iter_mut()
            .zip(laid_out.starts.par_iter())
            .for_each(|(cluster, &start)| {
                let uniques = &member_uniques[start..start + cluster.members.len()];
                let canonical_unique = uniques[0];
                // Members are in input order, so equal documents are adjacent.
                let mut docs: Vec<u32> = cluster.members.iter().map(|m| m.doc).collect();
                docs.dedup();
                cluster.documents = docs.len();
                cluster.kind = if docs.len() > 1 {
                    ClusterKind::CrossDocument
                } else {
                    ClusterKind::WithinDocument
                };
                for (member, &unique) in cluster.members.iter_mut().zip(uniques) {
                    self.measure_copy(member, unique, canonical_unique, view);
                }
                cluster.duplicate_bytes = cluster.members[1..]
                    .iter()
                    .map(|m| m.span.len() as u64)
                    .sum();
            });
    }

    /// How the copy `member` (distinct paragraph `unique`) stands to its cluster's canonical copy
    /// (`canonical`), on the sets of `view`: its similarity, containment, and how it joined.
    fn measure_copy(&self, member: &mut Member, unique: u32, canonical: u32, view: SetView<'_>) {
        if unique == canonical {
            return;
        }
        let a = self.near_of(unique);
        let b = self.near_of(canonical);
        let (sa, sb) = (self.set_in(view, a), self.set_in(view, b));
        member.similarity = jaccard(sa, sb);
        member.containment = containment(sa, sb);
        if member.similarity < self.params.threshold {
            member.contained = self
                .params
                .containment
                .is_some_and(|c| member.containment >= c);
            member.holds_canonical = member.contained && sa.len() > sb.len();
            member.via_chain = !member.contained;
        }
    }

    /// Stage 7: the totals. Checked against a shard index, the clusters of indexed paragraphs
    /// alone are left out (they are not the input's business) and the rest renumbered.
    fn summarize(
        &self,
        clusters: &mut Vec<Cluster>,
        counted_paragraphs: u64,
        pairs: PairCounts,
        copies: &dyn Fn(usize) -> usize,
    ) -> Summary {
        let indexed_documents = self.indexed.documents;
        let mut indexed_totals = None;
        let (duplicate_paragraphs, duplicate_bytes, distinct_paragraphs) = if !self.indexed.active {
            (
                (0..clusters.len()).map(|c| copies(c) as u64 - 1).sum(),
                clusters.iter().map(|c| c.duplicate_bytes).sum(),
                (self.near_tier.len() - self.aliases.exact.len()) as u64,
            )
        } else {
            let from_input = |m: &Member| m.doc as usize >= indexed_documents;
            clusters.retain(|c| c.members.iter().any(from_input));
            for (id, cluster) in clusters.iter_mut().enumerate() {
                cluster.id = id;
            }
            let mut totals = IndexedTotals {
                indexed_distinct_paragraphs: self.indexed.uniques as u64,
                indexed_copies_left_out: self.indexed.copies_left_out,
                ..IndexedTotals::default()
            };
            let (mut paragraphs, mut bytes) = (0u64, 0u64);
            for cluster in clusters.iter() {
                let input_members = cluster.members.iter().filter(|m| from_input(m));
                let canonical_from_input = from_input(&cluster.members[0]);
                let count = input_members.clone().count() as u64;
                let span_bytes: u64 = input_members.map(|m| m.span.len() as u64).sum();
                if canonical_from_input {
                    paragraphs += count - 1;
                    bytes += span_bytes - cluster.members[0].span.len() as u64;
                } else {
                    paragraphs += count;
                    bytes += span_bytes;
                    totals.indexed_clusters += 1;
                }
                if !canonical_from_input {
                    totals.indexed_paragraphs += count;
                    totals.indexed_bytes += span_bytes;
                }
            }
            let mut seen = vec![false; self.near_tier.len()];
            let mut distinct = 0u64;
            for paragraph in &self.paragraphs[self.indexed.paragraphs..] {
                if paragraph.unique != NO_UNIQUE && !seen[paragraph.unique as usize] {
                    seen[paragraph.unique as usize] = true;
                    distinct += 1;
                }
            }
            totals.indexed_ratio = if counted_paragraphs == 0 {
                0.0
            } else {
                totals.indexed_paragraphs as f64 / counted_paragraphs as f64
            };
            indexed_totals = Some(totals);
            (paragraphs, bytes, distinct)
        };
        let within = clusters
            .iter()
            .filter(|c| c.kind == ClusterKind::WithinDocument)
            .count() as u64;
        let ratio = |part: u64, whole: u64| {
            if whole == 0 {
                0.0
            } else {
                part as f64 / whole as f64
            }
        };
        Summary {
            documents: (self.documents.len() - indexed_documents) as u64,
            paragraphs: counted_paragraphs,
            duplicate_paragraphs,
            duplicate_ratio: ratio(duplicate_paragraphs, counted_paragraphs),
            bytes: self.bytes,
            duplicate_bytes,
            duplicate_byte_ratio: ratio(duplicate_bytes, self.bytes),
            within_document_clusters: within,
            cross_document_clusters: clusters.len() as u64 - within,
            distinct_paragraphs,
            near_tier_paragraphs: (self.near_count() - self.aliases.dead_near_count) as u64,
            candidate_pairs: pairs.candidates,
            verified_pairs: pairs.verified,
            indexed: indexed_totals,
        }
    }

    /// For a shard index: what it stores of the input's distinct paragraphs (their exact hashes,
    /// sets, shingles and occurrences), the shingle table handed over.
    fn retained(&mut self, sets: &mut UnionFind, exact_of: Vec<u64>) -> Retained {
        let indexed_paragraphs = self.indexed.paragraphs;
        let root = (0..self.near_tier.len() as u32)
            .map(|unique| sets.find(unique))
            .collect();
        let shingle_range = (0..self.near_tier.len())
            .map(|unique| {
                let near = self.near_tier.rank_of_set(unique)?;
                Some(self.shingle_offsets.set(near as usize))
            })
            .collect();
        let paragraphs = self.paragraphs[indexed_paragraphs..]
            .iter()
            .enumerate()
            .filter(|(_, p)| p.unique != NO_UNIQUE)
            .map(|(offset, p)| {
                let global = (indexed_paragraphs + offset) as u32;
                let first = self.documents.first_paragraph(p.doc as usize);
                (
                    p.doc,
                    global - first,
                    self.span_of(global as usize),
                    p.unique,
                )
            })
            .collect();
        Retained {
            exact: exact_of,
            root,
            indexed_group: std::mem::take(&mut self.indexed.group_of),
            shingle_range,
            shingles: std::mem::take(&mut self.shingles),
            paragraphs,
            indexed_documents: self.indexed.documents,
        }
    }
}

/// Each root's occurrences until its cluster is numbered, then that number: one vector for both,
/// 4 bytes a distinct paragraph while the clusters are laid out.
struct RootClusters {
    /// An occurrence count, or a cluster number with [`NUMBERED`] set.
    state: Vec<u32>,
}

/// Marks a [`RootClusters`] entry that holds a cluster number. Cluster numbers are below it
/// (paragraphs are numbered in 32 bits, and a cluster holds two of them at least), and so are
/// counts short of a text with 2^31 copies (a corpus of over two billion paragraphs, whose
/// paragraph records alone take 32 GB in memory).
const NUMBERED: u32 = 1 << 31;

/// What [`RootClusters::visit`] finds of a root.
enum RootVisit {
    /// One occurrence: no cluster.
    Single,
    /// Its first occurrence: its cluster is numbered `id` now, with `count` copies.
    First { id: usize, count: u32 },
    /// Its cluster, numbered at an earlier occurrence.
    Known(usize),
}

impl RootClusters {
    /// Clusters to come, and their copies.
    fn clusters_and_copies(&self) -> (usize, usize) {
        self.state
            .iter()
            .filter(|&&count| count >= 2)
            .fold((0, 0), |(clusters, copies), &count| {
                (clusters + 1, copies + count as usize)
            })
    }

    /// Copies of every cluster to come.
    fn total_copies(&self) -> u64 {
        self.clusters_and_copies().1 as u64
    }

    /// An occurrence of `root`; its cluster, when it has one, is numbered `next` if this is its
    /// first occurrence.
    fn visit(&mut self, root: u32, next: usize) -> RootVisit {
        let state = &mut self.state[root as usize];
        if *state & NUMBERED != 0 {
            RootVisit::Known((*state & !NUMBERED) as usize)
        } else if *state < 2 {
            RootVisit::Single
        } else {
            let count = *state;
            *state = next as u32 | NUMBERED;
            RootVisit::First { id: next, count }
        }
    }
}

/// Shares of a budget the exact tier takes past it: its index stops growing at the first; the
/// overflow's recent index is written out at the second.
fn exact_tier_shares(budget: &MemoryBudget) -> (u64, u64) {
    (budget.bytes / 8, budget.bytes / 16)
}

/// The distinct paragraphs numbered twice past a budget ([`Scanner::resolve_aliases`]).
#[derive(Default)]
struct Aliases {
    exact: ExactAliases,
    /// No number below it is an alias.
    first_possible: u32,
    /// A bit a near-tier entry: set for an alias's.
    dead_near: Vec<u64>,
    dead_near_count: usize,
}

impl Aliases {
    /// The first number of the distinct paragraph numbered `unique`.
    fn first_of(&self, unique: u32) -> u32 {
        if unique < self.first_possible || unique == NO_UNIQUE || self.exact.is_empty() {
            unique
        } else {
            self.exact.first_of(unique)
        }
    }

    /// Whether near-tier entry `near` is an alias's.
    fn is_dead(&self, near: u32) -> bool {
        let near = near as usize;
        self.dead_near
            .get(near / 64)
            .is_some_and(|word| word >> (near % 64) & 1 == 1)
    }
}

/// Candidate pairs verified, and those that passed, over every stage.
#[derive(Default)]
struct PairCounts {
    candidates: u64,
    verified: u64,
}

/// The band keys of the paragraphs in large buckets, kept to rank a bucket's leaders by how many
/// bands they share with a member (an estimate of similarity that costs no verification).
struct BandAgreement {
    bands: usize,
    /// Row of each near-tier paragraph in `keys`, or `u32::MAX` when it is in no large bucket.
    row_of: Vec<u32>,
    /// `bands` keys a row.
    keys: Vec<u64>,
}

impl BandAgreement {
    fn new(table: &BandKeyTable, large_buckets: &[Vec<u32>], items: usize) -> Self {
        let mut agreement = BandAgreement::rows(table.bands(), large_buckets, items);
        if agreement.wanted() {
            for band in 0..table.bands() {
                agreement.fill(band, 0, table.column(band));
            }
        }
        agreement
    }

    /// The rows of the members of `large_buckets`, their keys still to be filled in a band at a
    /// time ([`BandAgreement::fill`]).
    fn rows(bands: usize, large_buckets: &[Vec<u32>], items: usize) -> Self {
        let mut row_of = vec![u32::MAX; if large_buckets.is_empty() { 0 } else { items }];
        let mut rows = 0u32;
        for &member in large_buckets.iter().flatten() {
            if row_of[member as usize] == u32::MAX {
                row_of[member as usize] = rows;
                rows += 1;
            }
        }
        BandAgreement {
            bands,
            row_of,
            keys: vec![0u64; rows as usize * bands],
        }
    }

    /// Whether any paragraph has a row (some bucket is large).
    fn wanted(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Takes band `band`'s keys of the near-tier paragraphs from number `start` on, in order.
    fn fill(&mut self, band: usize, start: usize, column: impl IntoIterator<Item = u64>) {
        for (row, key) in self.row_of.iter().skip(start).zip(column) {
            if *row != u32::MAX {
                self.keys[*row as usize * self.bands + band] = key;
            }
        }
    }

    /// Bands on which near-tier paragraphs `a` and `b` (both in large buckets) agree.
    fn shared(&self, a: u32, b: u32) -> u32 {
        let row = |item: u32| {
            let start = self.row_of[item as usize] as usize * self.bands;
            &self.keys[start..start + self.bands]
        };
        row(a).iter().zip(row(b)).filter(|(x, y)| x == y).count() as u32
    }
}

/// A band's keys cut by their top bits into parts bucketed one after another, so that a band
/// past a budget is bucketed in the memory the budget leaves, whatever the corpus's size.
/// Buckets never straddle parts (a bucket is one key), and parts in order, each sorted, are the
/// keys in order: the pairs and large buckets found are those of the whole band, in the same
/// order.
#[derive(Clone, Copy, Debug)]
struct KeyPartitions {
    /// The parts are `1 << bits`.
    bits: u32,
}

/// Bytes a near-tier paragraph takes while its band part is bucketed: its (number, key), the
/// bits of its slot among the keys, and, when its key is repeated, its place in a bucket.
const BUCKETING_BYTES: usize = 40;

impl KeyPartitions {
    /// As few parts as keep one part's bucketing of `items` keys within `bytes`.
    fn within(items: usize, bytes: usize) -> Self {
        let parts = (items * BUCKETING_BYTES).div_ceil(bytes.max(1)).max(1);
        KeyPartitions {
            bits: parts.next_power_of_two().trailing_zeros().min(10),
        }
    }

    fn count(self) -> u64 {
        1 << self.bits
    }

    /// The part of `key`.
    fn of(self, key: u64) -> u64 {
        key.checked_shr(64 - self.bits).unwrap_or(0)
    }

    /// About how many of `items` keys a part takes (hashed keys spread evenly), with room.
    fn expected_share(self, items: usize) -> usize {
        let share = items >> self.bits;
        share + share / 8 + 16
    }

    /// `key` with its part's bits moved to the bottom: within a part the order of keys is kept,
    /// and the top bits, by which bucketing spreads keys over slots, vary again.
    fn spread(self, key: u64) -> u64 {
        key.rotate_left(self.bits)
    }
}

/// Shingles of a paragraph sampled to find the paragraphs that contain it.
const CONTAINMENT_SAMPLE: usize = 8;
/// Shingles carried by more paragraphs than this are too common to sample (stock phrases).
const CONTAINMENT_POSTING_LIMIT: usize = 256;

/// Candidate pairs `(smaller, larger)` of near-tier paragraphs for containment, from an inverted
/// index of every shingle. Shingle hashes are uniformly spread, so the lowest hashes of a set are
/// a random sample of it: each paragraph samples its [`CONTAINMENT_SAMPLE`] lowest shingles that
/// some other paragraph shares (and fewer than [`CONTAINMENT_POSTING_LIMIT`] do), and pairs with
/// every longer paragraph carrying at least half of them. A paragraph lying a share `c` inside a
/// longer one misses it only when fewer than 4 of 8 samples fall inside: binomially, 4 in 10^4
/// at `c = 0.9`, 5 in 10^6 at `c = 0.95`.
fn containment_candidates(shingles: &[u32], offsets: &SetEnds) -> Vec<(u32, u32)> {
    let count = offsets.len().saturating_sub(1);
    let mut postings: Vec<(u32, u32)> = (0..count)
        .into_par_iter()
        .flat_map_iter(|near| {
            shingles[offsets.set(near)]
                .iter()
                .map(move |&shingle| (shingle, near as u32))
        })
        .collect();
    postings.par_sort_unstable();
    let size = |near: u32| offsets.set(near as usize).len();
    let mut pairs: Vec<(u32, u32)> = (0..count)
        .into_par_iter()
        .flat_map_iter(|near| {
            let near = near as u32;
            let mut found: Vec<(u32, u32)> = Vec::new();
            let mut sampled = 0;
            for &shingle in &shingles[offsets.set(near as usize)] {
                if sampled == CONTAINMENT_SAMPLE {
                    break;
                }
                let from = postings.partition_point(|&(s, _)| s < shingle);
                let to = postings.partition_point(|&(s, _)| s <= shingle);
                if to - from < 2 || to - from > CONTAINMENT_POSTING_LIMIT {
                    continue;
                }
                sampled += 1;
                for &(_, other) in &postings[from..to] {
                    if (size(other), other) > (size(near), near) {
                        found.push((near.min(other), near.max(other)));
                    }
                }
            }
            // Keep the paragraphs that carry at least half the samples.
            found.sort_unstable();
            let mut kept = Vec::new();
            for run in found.chunk_by(|a, b| a == b) {
                if run.len() * 2 >= sampled {
                    kept.push(run[0]);
                }
            }
            kept
        })
        .collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A band bucketed in parts finds the pairs and large buckets of the band bucketed whole,
        /// in the same order, for keys with few values (large and small buckets) spread over the
        /// whole range of 64 bits.
        #[test]
        fn a_band_bucketed_in_parts_finds_what_it_finds_whole(
            key_choices in proptest::collection::vec(0u64..40, 1..600),
            crowded in 0u64..40,
            bits in 0u32..6,
            salt in any::<u64>(),
        ) {
            // Every key of a choice under `crowded` is one value: buckets past the pairing limit.
            let keys: Vec<u64> = key_choices
                .iter()
                .map(|&choice| if choice < crowded { 0 } else { choice })
                .map(|choice| xxhash_rust::xxh3::xxh3_64_with_seed(&choice.to_le_bytes(), salt))
                .collect();
            let whole = band_candidates_among((0u32..).zip(keys.iter().copied()), keys.len(), 0);
            let partitions = KeyPartitions { bits };
            let mut pairs = Vec::new();
            let mut large_buckets = Vec::new();
            for partition in 0..partitions.count() {
                let live: Vec<(u32, u64)> = (0u32..)
                    .zip(keys.iter().copied())
                    .filter(|&(_, key)| partitions.of(key) == partition)
                    .map(|(item, key)| (item, partitions.spread(key)))
                    .collect();
                let found = band_candidates_among(live.iter().copied(), live.len(), 0);
                pairs.extend(found.pairs);
                large_buckets.extend(found.large_buckets);
            }
            prop_assert_eq!(pairs, whole.pairs);
            prop_assert_eq!(large_buckets, whole.large_buckets);
        }
    }

    #[test]
    fn a_band_is_cut_into_as_few_parts_as_fit_the_work() {
        assert_eq!(KeyPartitions::within(1000, 1 << 20).count(), 1);
        // 40 bytes a key: 10 M keys take 400 MB, in parts of at most 64 MiB.
        let parts = KeyPartitions::within(10_000_000, 64 << 20).count();
        assert_eq!(parts, 8);
        assert!(10_000_000 * BUCKETING_BYTES / parts as usize <= 64 << 20);
        assert_eq!(KeyPartitions::within(usize::MAX / 64, 1).count(), 1 << 10);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_memory_is_read_by_its_whole_field_name() {
        let now = process_memory("VmRSS").expect("Linux tells VmRSS");
        let peak = process_memory("VmHWM").expect("Linux tells VmHWM");
        assert!(now > 0 && peak >= now, "{now} {peak}");
        // A prefix of a field's name is not the field.
        assert_eq!(process_memory("VmRS"), None);
    }

    #[test]
    fn the_work_after_reading_is_what_the_tables_leave_of_the_budget() {
        let budget = MemoryBudget {
            bytes: 400 << 20,
            tmp_dir: std::env::temp_dir(),
            expected_text_bytes: None,
        };
        let mut spill = Spill::for_budget(budget, 4);
        assert_eq!(spill.work_bytes(), 100 << 20);
        // Nothing held: a quarter of the budget at most.
        spill.settle_work(Some(0));
        assert_eq!(spill.work_bytes(), 100 << 20);
        // 300 MiB held: half of the 100 MiB left.
        spill.settle_work(Some(300 << 20));
        assert_eq!(spill.work_bytes(), 50 << 20);
        // Past the budget: a sixteenth of it still, to work in at all.
        spill.settle_work(Some(500 << 20));
        assert_eq!(spill.work_bytes(), 25 << 20);
        // Where the system does not tell: a quarter.
        spill.settle_work(None);
        assert_eq!(spill.work_bytes(), 100 << 20);
    }

    #[test]
    fn sizes_read_in_powers_of_1024_and_nonsense_is_refused() {
        assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_size("8G"), Ok(8 << 30));
        assert_eq!(parse_memory_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_memory_size("200mb"), Ok(200 << 20));
        assert_eq!(parse_memory_size("4096"), Ok(4096));
        assert!(parse_memory_size("lots").is_err());
        assert!(parse_memory_size("-1G").is_err());
        assert!(parse_memory_size("0").is_err());
    }

    #[test]
    fn paragraph_spans_round_trip_short_and_past_four_gib() {
        let mut scanner = Scanner::new(ScanParams::default()).expect("default parameters");
        let spans = [
            Span { start: 0, end: 0 },
            Span {
                start: 17,
                end: 4_000,
            },
            Span {
                start: u32::MAX as usize - 10,
                end: u32::MAX as usize,
            },
            Span {
                start: 5_000_000_000,
                end: 5_000_000_120,
            },
        ];
        for (index, &span) in spans.iter().enumerate() {
            let entry = ParagraphEntry::new(index, 0, span, NO_UNIQUE, &mut scanner.long_spans);
            scanner.paragraphs.push(entry);
        }
        let back: Vec<Span> = (0..spans.len()).map(|i| scanner.span_of(i)).collect();
        assert_eq!(back, spans);
        // Only the spans that do not fit 32 bits are kept aside.
        assert_eq!(scanner.long_spans.len(), 2);
        assert_eq!(std::mem::size_of::<ParagraphEntry>(), 16);
    }
}
