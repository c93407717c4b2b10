//! The machine-readable report, schema `paradup.report/v1`.
//!
//! The report is a view of a [`ScanOutcome`]: it holds the totals, the rankings and the canonical
//! texts, and makes each cluster and member from the outcome when asked for or written, so that a
//! report listing millions of copies costs no more memory than its canonical texts. Writing it
//! (JSON, terminal, HTML) is the caller's business. Field names are part of the schema documented
//! in the README.

use crate::display::{ratio, round6};
use crate::read::{FileOffsets, InputError, LocationRef};
use crate::scan::{
    Cluster, ClusterKind, DocumentRef, DocumentTable, Member, ScanOutcome, ScanParams, Summary,
};
use crate::segment::Span;
use paradup_core::spill::SpillError;
use rayon::prelude::*;
use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::value::{to_raw_value, RawValue};
use std::borrow::Cow;
use std::collections::BTreeMap;

mod compact_json;

/// The schema name written into every report.
pub const SCHEMA: &str = "paradup.report/v1";

/// Which tool wrote the report.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// Always `paradup`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

/// The normalization, spelled out.
#[derive(Clone, Debug, Serialize)]
pub struct NormalizationParams {
    /// Unicode normalization form.
    pub unicode: &'static str,
    /// Text is lowercased.
    pub lowercase: bool,
    /// Punctuation and symbols are removed.
    pub strip_punctuation: bool,
    /// Runs of whitespace become one space.
    pub collapse_whitespace: bool,
    /// Digits are folded to `0`.
    pub fold_digits: bool,
}

/// Every parameter of the run.
#[derive(Clone, Debug, Serialize)]
pub struct ReportParams {
    /// Paragraph segmentation mode.
    pub split: String,
    /// `paragraph` or `document`.
    pub unit: String,
    /// Normalization choices.
    pub normalization: NormalizationParams,
    /// Hash of the exact tier.
    pub exact_hash: &'static str,
    /// Words per shingle.
    pub ngram: usize,
    /// Characters per shingle for scripts without spaces.
    pub char_ngram: usize,
    /// MinHash functions.
    pub num_perm: usize,
    /// LSH bands.
    pub bands: usize,
    /// LSH rows per band.
    pub rows: usize,
    /// Jaccard threshold of the near tier.
    pub threshold: f64,
    /// Containment at or above which a contained paragraph joins; `null` when off.
    pub containment: Option<f64>,
    /// Minimum words for the near tier.
    pub min_words: usize,
    /// MinHash seed.
    pub seed: u64,
}

impl ReportParams {
    /// The report's view of the scan parameters.
    pub fn from_scan(params: &ScanParams) -> Self {
        ReportParams {
            split: params.split.to_string(),
            unit: params.unit.to_string(),
            normalization: NormalizationParams {
                unicode: "NFKC",
                lowercase: true,
                strip_punctuation: true,
                collapse_whitespace: true,
                fold_digits: params.normalize.fold_digits,
            },
            exact_hash: "xxh3-64",
            ngram: params.ngram,
            char_ngram: params.char_ngram,
            num_perm: params.num_perm,
            bands: params.banding.bands,
            rows: params.banding.rows,
            threshold: params.threshold,
            containment: params.containment,
            min_words: params.min_words,
            seed: params.seed,
        }
    }
}

/// Totals of the run: the scan's own totals (ratios rounded to six decimals), and what reading
/// left out or repaired.
#[derive(Clone, Debug, Serialize)]
pub struct ReportSummary {
    /// Documents, paragraphs, duplicates, bytes, clusters and pairs, as the scan counted them.
    #[serde(flatten)]
    pub totals: Summary,
    /// Records and files left out; each is listed in `errors`.
    pub skipped_records: u64,
    /// Records kept after invalid UTF-8 in them was replaced by U+FFFD; each is listed in
    /// `warnings`.
    pub invalid_utf8_records: u64,
}

/// One copy in a cluster: a view of the scan's [`Member`] and its document, made when asked for
/// (a report of a large corpus lists millions of members, none of them stored).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ReportMember<'a> {
    /// The document's id.
    pub doc: &'a str,
    /// The document's position in input order.
    pub doc_index: u32,
    /// Where the document was read, written as `PATH`, `PATH:LINE` or (Parquet) `PATH:ROW`.
    #[serde(serialize_with = "as_display")]
    pub location: LocationRef<'a>,
    /// Paragraph index within the document.
    pub paragraph: u32,
    /// Byte offset of the paragraph: in the file as stored for a text file, otherwise in the
    /// document's text.
    pub start: usize,
    /// Byte offset one past its end.
    pub end: usize,
    /// The paragraph's bytes in the document's text as read (what cuts its text out again); the
    /// same as `start..end` but for text files with a byte-order mark or invalid UTF-8.
    #[serde(skip)]
    pub span: Span,
    /// Jaccard similarity of its shingles to the canonical copy's (rounded to six decimals).
    pub similarity: f64,
    /// Share of the smaller shingle set inside the other (rounded to six decimals).
    pub containment: f64,
    /// Joined as a contained passage: containment to the canonical copy at or above the
    /// containment threshold, similarity below the similarity threshold.
    pub contained: bool,
    /// Joined through other members only: below both thresholds against the canonical copy.
    pub via_chain: bool,
    /// A copy in a shard index, not in the input (written only when true).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub indexed: bool,
    /// The index shard holding it, for an indexed copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<&'a str>,
}

/// Writes a value through its `Display`, without building a string first.
fn as_display<T: std::fmt::Display, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// No text file whose text differs from its bytes.
static NO_FILE_OFFSETS: BTreeMap<u32, FileOffsets> = BTreeMap::new();

impl<'a> ReportMember<'a> {
    fn new(
        member: &'a Member,
        documents: &'a DocumentTable,
        file_offsets: &BTreeMap<u32, FileOffsets>,
    ) -> Self {
        let document = documents.at(member.doc as usize);
        let (start, end) = match file_offsets.get(&member.doc) {
            Some(offsets) => (
                offsets.to_file(member.span.start),
                offsets.to_file(member.span.end),
            ),
            None => (member.span.start, member.span.end),
        };
        ReportMember {
            doc: document.id,
            doc_index: member.doc,
            location: document.location,
            paragraph: member.paragraph,
            start,
            end,
            span: member.span,
            similarity: round6(member.similarity),
            containment: round6(member.containment),
            contained: member.contained,
            via_chain: member.via_chain,
            indexed: document.shard.is_some(),
            shard: document.shard,
        }
    }
}

/// Which copies of each cluster the JSON report lists (the terminal, HTML and members-table
/// outputs are not affected).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberLists {
    /// Every copy.
    All,
    /// The canonical copy only.
    Canonical,
    /// None: `members` is an empty list (a members table holds them).
    None,
}

impl MemberLists {
    /// Copies written a cluster.
    fn limit(self) -> usize {
        match self {
            MemberLists::All => usize::MAX,
            MemberLists::Canonical => 1,
            MemberLists::None => 0,
        }
    }
}

impl MemberLists {
    fn is_all(&self) -> bool {
        *self == MemberLists::All
    }
}

impl std::str::FromStr for MemberLists {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(MemberLists::All),
            "canonical" => Ok(MemberLists::Canonical),
            "none" => Ok(MemberLists::None),
            other => Err(format!(
                "unknown member list '{other}' (expected none, canonical or all)"
            )),
        }
    }
}

/// The copies of one cluster, canonical first, as the report shows them; written (serialized)
/// one member at a time straight from the scan's data.
#[derive(Clone, Copy, Debug)]
pub struct ReportMembers<'a> {
    members: &'a [Member],
    documents: &'a DocumentTable,
    file_offsets: &'a BTreeMap<u32, FileOffsets>,
    /// Copies the JSON lists (see [`MemberLists`]).
    json_limit: usize,
}

impl<'a> ReportMembers<'a> {
    /// Number of copies.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The scan's records of the copies, for outputs that keep some past a window.
    pub(crate) fn scan_members(&self) -> &'a [Member] {
        self.members
    }

    /// No copies (never the case for a cluster the scan found).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The copy at `index` (0 is the canonical copy).
    pub fn get(&self, index: usize) -> Option<ReportMember<'a>> {
        self.members
            .get(index)
            .map(|m| ReportMember::new(m, self.documents, self.file_offsets))
    }

    /// Every copy, canonical first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ReportMember<'a>> + Clone + 'a {
        let (documents, file_offsets) = (self.documents, self.file_offsets);
        self.members
            .iter()
            .map(move |m| ReportMember::new(m, documents, file_offsets))
    }
}

impl Serialize for ReportMembers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().take(self.json_limit))
    }
}

/// A cluster of copies, as the report shows it: a view of the scan's [`Cluster`] with the text
/// of its canonical copy.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ReportCluster<'a> {
    /// Cluster number, by input position of the canonical copy.
    pub id: usize,
    /// `within_document` or `cross_document`.
    pub kind: ClusterKind,
    /// Distinct documents carrying a copy.
    pub documents: usize,
    /// Number of copies.
    pub size: usize,
    /// Bytes of every copy but the first.
    pub duplicate_bytes: u64,
    /// Text of the canonical copy.
    pub text: &'a str,
    /// The copies, canonical first.
    pub members: ReportMembers<'a>,
}

/// Every cluster of the scan, by input position of its canonical copy. The report holds only the
/// canonical texts; each cluster and member is made from the scan's data when asked for or
/// written, so that the report costs next to nothing beside the [`ScanOutcome`] it describes.
#[derive(Clone, Debug)]
pub struct ReportClusters<'a> {
    /// The outcome's clusters: with its members on disk ([`ScanOutcome::members_on_disk`]), each
    /// holds its canonical copy only, and the copies are read a window at a time.
    clusters: &'a [Cluster],
    outcome: &'a ScanOutcome,
    documents: &'a DocumentTable,
    /// Text files whose text differs from their bytes, by document index.
    file_offsets: &'a BTreeMap<u32, FileOffsets>,
    /// `texts[i]` is the text of cluster `i`'s canonical copy; missing ones are empty.
    texts: Cow<'a, [String]>,
    /// Which copies the JSON lists.
    member_lists: MemberLists,
}

impl<'a> ReportClusters<'a> {
    /// Number of clusters.
    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    /// No clusters: nothing repeats.
    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// The cluster with id `index`. With the outcome's members on disk, its `members` list the
    /// canonical copy only (its `size` counts every copy): [`ReportClusters::try_for_each`] reads
    /// them all.
    pub fn get(&self, index: usize) -> Option<ReportCluster<'_>> {
        self.clusters
            .get(index)
            .map(|cluster| self.view(index, cluster))
    }

    /// The cluster with id `index` listing `members` (some of its copies, kept from a reading of
    /// them all) as its copies.
    pub(crate) fn with_members<'c>(
        &'c self,
        index: usize,
        members: &'c [Member],
    ) -> Option<ReportCluster<'c>> {
        let cluster = self.clusters.get(index)?;
        Some(self.view_listing(index, cluster, members))
    }

    /// Every cluster, by id; with the outcome's members on disk, as [`ReportClusters::get`] gives
    /// them.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ReportCluster<'_>> + Clone + '_ {
        self.clusters
            .iter()
            .enumerate()
            .map(|(index, cluster)| self.view(index, cluster))
    }

    /// Hands `each` every cluster's copies in order, as runs of consecutive copies (see
    /// [`ScanOutcome::try_for_each_run`]): a view of the cluster listing the run's copies, and the
    /// position in the cluster of the first (0: the canonical copy). Stops at the first error.
    pub fn try_for_each_run<E: From<SpillError>>(
        &self,
        mut each: impl FnMut(ReportCluster<'_>, usize) -> Result<(), E>,
    ) -> Result<(), E> {
        self.outcome.try_for_each_run(|run| {
            each(
                self.view_listing(run.index, run.cluster, run.copies),
                run.first,
            )
        })
    }

    fn view<'c>(&'c self, index: usize, cluster: &'c Cluster) -> ReportCluster<'c> {
        self.view_listing(index, cluster, &cluster.members)
    }

    /// The view of cluster `index` listing `members` as its copies.
    fn view_listing<'c>(
        &'c self,
        index: usize,
        cluster: &'c Cluster,
        members: &'c [Member],
    ) -> ReportCluster<'c> {
        ReportCluster {
            id: cluster.id,
            kind: cluster.kind,
            documents: cluster.documents,
            size: self.outcome.copies(index),
            duplicate_bytes: cluster.duplicate_bytes,
            text: self.texts.get(index).map_or("", String::as_str),
            members: ReportMembers {
                members,
                documents: self.documents,
                file_offsets: self.file_offsets,
                json_limit: self.member_lists.limit(),
            },
        }
    }
}

/// Clusters rendered to JSON at once when a report is written: enough to keep every core busy,
/// few enough that the rendered text held at any time stays small.
const JSON_WINDOW: usize = 1024;
/// Copies listed by the clusters of one window, at most: clusters are numbered by first
/// occurrence, so the first ones are the most copied boilerplate, and a thousand of them can
/// list millions of copies, hundreds of MB of rendered text. Three windows are held at once (one
/// rendered, one waiting, one written), each copy loaded and rendered about 170 bytes: about 17
/// MB, which a scan's smallest budgets can spare (with 262,144 copies a window, a 1 GB corpus's
/// report took 150 MB above a 256 MiB budget's scan). A cluster with more copies than this is
/// written in parts of this many (a forum's greeting line can have 700,000 copies).
const JSON_WINDOW_COPIES: usize = 1 << 15;
/// Copies of one part of a large cluster rendered together, the pieces of a part in parallel.
const PIECE_COPIES: usize = 1 << 12;

/// What is read and rendered at once when a report is written.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Window {
    /// These clusters, whole.
    Clusters(std::ops::Range<usize>),
    /// The copies `copies` of cluster `cluster`, which has more than a window holds.
    Part {
        cluster: usize,
        copies: std::ops::Range<usize>,
    },
}

/// Where a rendered piece lies in its cluster: a whole cluster starts and ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    /// The piece holds the cluster's fields and its first listed copies.
    pub starts: bool,
    /// The piece holds the cluster's last listed copies.
    pub ends: bool,
}

impl Piece {
    const WHOLE: Piece = Piece {
        starts: true,
        ends: true,
    };
}

/// The windows `count` clusters (cluster `i` with `copies(i)` copies) are read or rendered in,
/// in order: at most `max_clusters` clusters each, and no more than `max_copies` copies listed
/// (each cluster lists at most `listed` of its own). A cluster listing more is a window of its
/// own, or with `split`, parts of `max_copies` copies each.
fn copy_windows(
    count: usize,
    copies_of: impl Fn(usize) -> usize,
    listed: usize,
    max_clusters: usize,
    max_copies: usize,
    split: bool,
) -> Vec<Window> {
    let mut windows = Vec::new();
    let (mut start, mut copies) = (0, 0);
    for index in 0..count {
        let own = copies_of(index).min(listed);
        if split && own > max_copies {
            if index > start {
                windows.push(Window::Clusters(start..index));
            }
            let mut first = 0;
            while first < own {
                let end = own.min(first + max_copies);
                windows.push(Window::Part {
                    cluster: index,
                    copies: first..end,
                });
                first = end;
            }
            (start, copies) = (index + 1, 0);
            continue;
        }
        if index > start && (index - start == max_clusters || copies + own > max_copies) {
            windows.push(Window::Clusters(start..index));
            (start, copies) = (index, 0);
        }
        copies += own;
    }
    if start < count {
        windows.push(Window::Clusters(start..count));
    }
    windows
}

/// Renders every cluster of `clusters` with all the copies the JSON lists, a window of clusters
/// at a time, the clusters of a window in parallel, on a thread of their own while `each` takes
/// the window before, in order. With `split`, a cluster listing more copies than a window holds
/// is rendered in pieces of [`PIECE_COPIES`] (each a view of the cluster listing those copies,
/// with where it lies in the cluster); otherwise every piece is a whole cluster. The rendered
/// text held at any time stays bounded: one window waits while another is taken. Stops at the
/// first error of `render` or `each`, or when the copies on disk cannot be read (`from_spill`
/// makes that error, `taken` turns the rendering's errors into those of `each`).
fn for_each_window<T: Send, E: Send, F>(
    clusters: &ReportClusters<'_>,
    split: bool,
    from_spill: impl Fn(SpillError) -> E + Sync,
    render: impl Fn(ReportCluster<'_>, Piece) -> Result<T, E> + Sync,
    taken: impl Fn(E) -> F,
    mut each: impl FnMut(Vec<T>) -> Result<(), F>,
) -> Result<(), F> {
    let outcome = clusters.outcome;
    let windows = copy_windows(
        clusters.clusters.len(),
        |cluster| outcome.copies(cluster),
        clusters.member_lists.limit(),
        JSON_WINDOW,
        JSON_WINDOW_COPIES,
        split,
    );
    let render_window = |window: Window| -> Result<Vec<T>, E> {
        match window {
            Window::Clusters(range) => {
                let first = range.start;
                let loaded = outcome.clusters_in(range).map_err(&from_spill)?;
                loaded
                    .par_iter()
                    .enumerate()
                    .map(|(offset, cluster)| {
                        render(clusters.view(first + offset, cluster), Piece::WHOLE)
                    })
                    .collect()
            }
            Window::Part { cluster, copies } => {
                let listed = outcome.copies(cluster).min(clusters.member_lists.limit());
                let part_start = copies.start;
                let members = outcome
                    .cluster_copies(cluster, copies)
                    .map_err(&from_spill)?;
                members
                    .par_chunks(PIECE_COPIES)
                    .enumerate()
                    .filter_map(|(number, piece)| {
                        let start = part_start + number * PIECE_COPIES;
                        let view = clusters.with_members(cluster, piece)?;
                        let place = Piece {
                            starts: start == 0,
                            ends: start + piece.len() == listed,
                        };
                        Some(render(view, place))
                    })
                    .collect()
            }
        }
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for window in windows {
                let rendered = render_window(window);
                let failed = rendered.is_err();
                if sender.send(rendered).is_err() || failed {
                    break;
                }
            }
        });
        // Owned here, so that leaving early (a failed write) drops it and ends the rendering
        // thread instead of leaving it waiting to send.
        let receiver = receiver;
        for rendered in receiver.iter() {
            each(rendered.map_err(&taken)?)?;
        }
        Ok(())
    })
}

impl Serialize for ReportClusters<'_> {
    /// The report is JSON, and its clusters are most of it: they are rendered to JSON text in
    /// parallel (see [`for_each_window`]) and the texts written in order, unchanged (the same
    /// bytes as rendering them one after another). [`Report::write_json`] is faster still.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for_each_window(
            self,
            false,
            serde_json::Error::custom,
            |view, _| to_raw_value(&view),
            S::Error::custom,
            |rendered: Vec<Box<RawValue>>| {
                for cluster in &rendered {
                    seq.serialize_element(cluster)?;
                }
                Ok(())
            },
        )?;
        seq.end()
    }
}

/// An entry of the boilerplate ranking.
#[derive(Clone, Debug, Serialize)]
pub struct RankedCluster {
    /// The cluster's id.
    pub cluster: usize,
    /// Documents carrying it.
    pub documents: usize,
    /// Bytes its repeats take.
    pub duplicate_bytes: u64,
}

/// Totals of the documents of one source (publisher, site), for comparing sources.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceTotals {
    /// The source; `null` gathers the documents that name none.
    pub source: Option<String>,
    /// Documents from it.
    pub documents: u64,
    /// Their paragraphs (with at least one word after normalization).
    pub paragraphs: u64,
    /// Those paragraphs that repeat an earlier one, wherever the earlier one is.
    pub duplicate_paragraphs: u64,
    /// `duplicate_paragraphs / paragraphs`.
    pub duplicate_ratio: f64,
    /// Bytes of its documents' text.
    pub bytes: u64,
    /// Bytes of its duplicate paragraphs.
    pub duplicate_bytes: u64,
    /// `duplicate_bytes / bytes`.
    pub duplicate_byte_ratio: f64,
}

/// How the group of documents without a source is named where sources are listed.
pub const NO_SOURCE: &str = "(no source)";

impl SourceTotals {
    /// The source's name as listings show it ([`NO_SOURCE`] for the unnamed group).
    pub fn label(&self) -> &str {
        self.source.as_deref().unwrap_or(NO_SOURCE)
    }
}

/// The sources in the order every listing (terminal, HTML) shows them: highest duplicate ratio
/// first, then most duplicate paragraphs, then by name with the unnamed group last.
pub fn ranked_sources(sources: &[SourceTotals]) -> Vec<&SourceTotals> {
    let mut ranked: Vec<&SourceTotals> = sources.iter().collect();
    ranked.sort_by(|a, b| {
        b.duplicate_ratio
            .total_cmp(&a.duplicate_ratio)
            .then(b.duplicate_paragraphs.cmp(&a.duplicate_paragraphs))
            .then((a.source.is_none(), &a.source).cmp(&(b.source.is_none(), &b.source)))
    });
    ranked
}

/// Where each cluster's text is read back from, `(document, start, end)`, in cluster order: its
/// canonical copy, or, in a scan against a shard index, its first copy in the inputs (an indexed
/// copy's file may be gone).
pub fn canonical_spans(outcome: &ScanOutcome) -> Vec<(u32, usize, usize)> {
    let documents = &outcome.documents;
    outcome
        .clusters
        .iter()
        .map(|cluster| {
            let copy = cluster
                .members
                .iter()
                .find(|m| !documents.is_indexed(m.doc as usize))
                .unwrap_or(cluster.canonical());
            (copy.doc, copy.span.start, copy.span.end)
        })
        .collect()
}

/// Per-source totals, sorted by source name with the documents without a source last; empty when
/// no document names a source.
/// With the outcome's members on disk, they are read a window at a time.
pub fn source_totals(outcome: &ScanOutcome) -> Result<Vec<SourceTotals>, SpillError> {
    // Documents of a shard index taken into the scan are not the input's sources.
    let input = |doc: &DocumentRef| doc.shard.is_none();
    if outcome
        .documents
        .iter()
        .filter(|d| input(d))
        .all(|d| d.source.is_none())
    {
        return Ok(Vec::new());
    }
    let blank = |source: Option<&str>| SourceTotals {
        source: source.map(str::to_owned),
        documents: 0,
        paragraphs: 0,
        duplicate_paragraphs: 0,
        duplicate_ratio: 0.0,
        bytes: 0,
        duplicate_bytes: 0,
        duplicate_byte_ratio: 0.0,
    };
    // Keyed so that named sources sort by name and the unnamed group comes last.
    let mut totals: BTreeMap<(bool, Option<&str>), SourceTotals> = BTreeMap::new();
    for doc in outcome.documents.iter().filter(|d| input(d)) {
        let source = doc.source;
        let entry = totals
            .entry((source.is_none(), source))
            .or_insert_with(|| blank(source));
        entry.documents += 1;
        entry.paragraphs += u64::from(doc.word_paragraphs);
        entry.bytes += doc.bytes;
    }
    outcome.try_for_each_run(|run| {
        for member in run.repeats() {
            let document = outcome.documents.at(member.doc as usize);
            if !input(&document) {
                continue;
            }
            let source = document.source;
            if let Some(entry) = totals.get_mut(&(source.is_none(), source)) {
                entry.duplicate_paragraphs += 1;
                entry.duplicate_bytes += member.span.len() as u64;
            }
        }
        Ok::<(), SpillError>(())
    })?;
    Ok(totals
        .into_values()
        .map(|mut t| {
            t.duplicate_ratio = round6(ratio(t.duplicate_paragraphs, t.paragraphs));
            t.duplicate_byte_ratio = round6(ratio(t.duplicate_bytes, t.bytes));
            t
        })
        .collect())
}

/// Document ids used by more than one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepeatedIds {
    /// Distinct ids used more than once.
    pub ids: usize,
    /// The first of them, and the indices of its first two documents.
    pub first: (String, u32, u32),
}

/// Finds document ids used by more than one document among those from number `start` on (reports
/// then tell those documents apart by `doc_index` only); `None` when every id is unique. The
/// indices it gives count from `start`.
pub fn repeated_ids(documents: &DocumentTable, start: usize) -> Option<RepeatedIds> {
    use xxhash_rust::xxh3::xxh3_64;
    // Hashes first: sorting eight bytes a document is cheap; only colliding hashes are compared
    // as strings.
    let count = documents.len().saturating_sub(start);
    let mut hashes: Vec<(u64, u32)> = (0..count)
        .into_par_iter()
        .map(|index| {
            let id = documents.at(start + index).id;
            (xxh3_64(id.as_bytes()), index as u32)
        })
        .collect();
    hashes.par_sort_unstable();
    let mut ids = 0;
    let mut first: Option<(String, u32, u32)> = None;
    for group in hashes.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        // Within one hash, the distinct ids (almost always one) and their first two documents.
        let mut distinct: Vec<(&str, u32, Option<u32>)> = Vec::new();
        for &(_, index) in group {
            let id = documents.at(start + index as usize).id;
            match distinct.iter_mut().find(|(seen, _, _)| *seen == id) {
                Some((_, _, second)) => {
                    second.get_or_insert(index);
                }
                None => distinct.push((id, index, None)),
            }
        }
        for (id, one, two) in distinct {
            let Some(two) = two else { continue };
            ids += 1;
            if first.as_ref().is_none_or(|f| one < f.1) {
                first = Some((id.to_owned(), one, two));
            }
        }
    }
    first.map(|first| RepeatedIds { ids, first })
}

/// Wall-clock time, the one part of a report that varies between identical runs.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// Seconds the run took.
    pub seconds: f64,
}

/// The whole report: the scan's totals and rankings, and a view of its clusters (see
/// [`ReportClusters`]); it borrows the [`ScanOutcome`] it describes.
#[derive(Clone, Debug, Serialize)]
pub struct Report<'a> {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The writing tool.
    pub tool: Tool,
    /// Every parameter.
    pub params: ReportParams,
    /// Totals.
    pub summary: ReportSummary,
    /// Cross-document clusters ranked by documents, then bytes: the boilerplate list.
    pub boilerplate: Vec<RankedCluster>,
    /// Every cluster, by input position of its canonical copy.
    pub clusters: ReportClusters<'a>,
    /// Which copies `clusters[].members` lists, when not every one.
    #[serde(skip_serializing_if = "MemberLists::is_all")]
    pub member_lists: MemberLists,
    /// Records and files left out.
    pub errors: Vec<InputError>,
    /// Records kept after a repair (invalid UTF-8 replaced); not skipped.
    pub warnings: Vec<InputError>,
    /// Duplication per source, when the documents name their sources.
    pub sources: Vec<SourceTotals>,
    /// Run time.
    pub timing: Timing,
}

impl<'a> Report<'a> {
    /// Builds the report. `canonical_texts[i]` is the text of cluster `i`'s canonical copy (a
    /// cluster without one shows an empty text). Fails only when the outcome's members are on
    /// disk ([`ScanOutcome::members_on_disk`]) and cannot be read.
    pub fn new(
        outcome: &'a ScanOutcome,
        canonical_texts: Vec<String>,
        errors: Vec<InputError>,
        seconds: f64,
    ) -> Result<Report<'a>, SpillError> {
        Report::build(outcome, Cow::Owned(canonical_texts), errors, seconds)
    }

    /// [`Report::new`] borrowing the canonical texts, for a caller that keeps them to make
    /// several reports.
    pub fn borrowing(
        outcome: &'a ScanOutcome,
        canonical_texts: &'a [String],
        errors: Vec<InputError>,
        seconds: f64,
    ) -> Result<Report<'a>, SpillError> {
        Report::build(outcome, Cow::Borrowed(canonical_texts), errors, seconds)
    }

    fn build(
        outcome: &'a ScanOutcome,
        canonical_texts: Cow<'a, [String]>,
        errors: Vec<InputError>,
        seconds: f64,
    ) -> Result<Report<'a>, SpillError> {
        let s = &outcome.summary;
        Ok(Report {
            schema: SCHEMA,
            tool: Tool {
                name: "paradup",
                version: env!("CARGO_PKG_VERSION"),
            },
            params: ReportParams::from_scan(&outcome.params),
            summary: ReportSummary {
                totals: Summary {
                    duplicate_ratio: round6(s.duplicate_ratio),
                    duplicate_byte_ratio: round6(s.duplicate_byte_ratio),
                    indexed: s.indexed.clone().map(|mut t| {
                        t.indexed_ratio = round6(t.indexed_ratio);
                        t
                    }),
                    ..s.clone()
                },
                skipped_records: errors.len() as u64,
                invalid_utf8_records: 0,
            },
            boilerplate: outcome
                .boilerplate_ranking()
                .into_iter()
                .map(|c| RankedCluster {
                    cluster: c.id,
                    documents: c.documents,
                    duplicate_bytes: c.duplicate_bytes,
                })
                .collect(),
            clusters: ReportClusters {
                clusters: &outcome.clusters,
                outcome,
                documents: &outcome.documents,
                file_offsets: &NO_FILE_OFFSETS,
                texts: canonical_texts,
                member_lists: MemberLists::All,
            },
            member_lists: MemberLists::All,
            errors,
            warnings: Vec::new(),
            sources: source_totals(outcome)?,
            timing: Timing { seconds },
        })
    }

    /// Gives the spans of the text files in `file_offsets` (by document index: those whose text
    /// is not their bytes as stored, see [`FileOffsets`]) as offsets into the files.
    pub fn with_file_offsets(mut self, file_offsets: &'a BTreeMap<u32, FileOffsets>) -> Report<'a> {
        self.clusters.file_offsets = file_offsets;
        self
    }

    /// Lists only some copies of each cluster in the JSON report (a members table holds them
    /// all); the other outputs still see every copy.
    pub fn with_member_lists(mut self, member_lists: MemberLists) -> Report<'a> {
        self.member_lists = member_lists;
        self.clusters.member_lists = member_lists;
        self
    }

    /// Adds the records that were kept after invalid UTF-8 was replaced, and counts them.
    pub fn with_warnings(mut self, warnings: Vec<InputError>) -> Report<'a> {
        self.summary.invalid_utf8_records = warnings.len() as u64;
        self.warnings = warnings;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, InputErrorKind, Location, ScanParams, Scanner};

    const P: &str =
        "The harbour board met on Tuesday to approve the new ferry timetable for winter.";
    const Q: &str =
        "Subscribers can read every article of the archive without limits after signing in.";
    const Q_NEAR: &str =
        "Subscribers can read every article of the archive without limits after signing up.";

    /// One document repeating a paragraph (a within-document cluster) and sharing another, with a
    /// word changed, with a second document (a cross-document cluster).
    pub(super) fn outcome() -> ScanOutcome {
        let mut scanner = Scanner::new(ScanParams {
            containment: Some(0.9),
            ..ScanParams::default()
        })
        .unwrap();
        scanner.add_batch(vec![
            Document {
                id: "a".into(),
                source: Some("x.example".into()),
                location: Location {
                    path: "in.jsonl".into(),
                    line: Some(1),
                    row: None,
                },
                text: format!("{P}\n\n{Q}\n\n{P}"),
            },
            Document {
                id: "b.txt".into(),
                source: None,
                location: Location {
                    path: "b.txt".into(),
                    line: None,
                    row: None,
                },
                text: Q_NEAR.into(),
            },
        ]);
        scanner.finish()
    }

    #[test]
    fn windows_cover_every_copy_in_order_within_both_limits() {
        use Window::{Clusters, Part};
        let sizes = [2, 9, 3, 3, 1, 20, 2, 2, 2, 2, 2, 4];
        let windows_of = |listed, max_clusters, max_copies, split| {
            copy_windows(
                sizes.len(),
                |c| sizes[c],
                listed,
                max_clusters,
                max_copies,
                split,
            )
        };
        for split in [false, true] {
            for (listed, max_clusters, max_copies) in
                [(usize::MAX, 3, 8), (1, 4, 2), (usize::MAX, 100, 1000)]
            {
                // (cluster, copy) of every listed copy, as the windows hold them.
                let mut covered: Vec<(usize, usize)> = Vec::new();
                for window in windows_of(listed, max_clusters, max_copies, split) {
                    match window {
                        Clusters(range) => {
                            let copies: usize =
                                sizes[range.clone()].iter().map(|&n| n.min(listed)).sum();
                            assert!(range.len() <= max_clusters);
                            assert!(
                                copies <= max_copies || (range.len() == 1 && !split),
                                "{range:?}"
                            );
                            for c in range {
                                covered.extend((0..sizes[c].min(listed)).map(|k| (c, k)));
                            }
                        }
                        Part { cluster, copies } => {
                            assert!(split && copies.len() <= max_copies);
                            assert!(sizes[cluster].min(listed) > max_copies);
                            covered.extend(copies.map(|k| (cluster, k)));
                        }
                    }
                }
                let expected: Vec<(usize, usize)> = (0..sizes.len())
                    .flat_map(|c| (0..sizes[c].min(listed)).map(move |k| (c, k)))
                    .collect();
                assert_eq!(covered, expected, "listed {listed}, split {split}");
            }
        }
        // The 9 and the 20 are windows of their own; the rest are cut before passing 8.
        assert_eq!(
            windows_of(usize::MAX, 3, 8, false),
            vec![
                Clusters(0..1),
                Clusters(1..2),
                Clusters(2..5),
                Clusters(5..6),
                Clusters(6..9),
                Clusters(9..12)
            ]
        );
        // Split, they are parts of 8 copies at most.
        let part = |cluster, copies| Part { cluster, copies };
        assert_eq!(
            windows_of(usize::MAX, 3, 8, true),
            vec![
                Clusters(0..1),
                part(1, 0..8),
                part(1, 8..9),
                Clusters(2..5),
                part(5, 0..8),
                part(5, 8..16),
                part(5, 16..20),
                Clusters(6..9),
                Clusters(9..12)
            ]
        );
    }

    /// The report's JSON, byte for byte: keys, their order, rounding and compact form are the
    /// schema, and a change of any of them shows here.
    #[test]
    fn the_json_shape_is_fixed() {
        let outcome = outcome();
        let problem = |kind, message: &str| InputError {
            path: "in.jsonl".into(),
            line: Some(2),
            row: None,
            kind,
            message: message.into(),
        };
        let report = Report::new(
            &outcome,
            vec![P.into(), Q.into()],
            vec![problem(InputErrorKind::InvalidJson, "invalid JSON")],
            0.25,
        )
        .unwrap()
        .with_warnings(vec![problem(InputErrorKind::InvalidUtf8, "invalid UTF-8")]);
        let json = serde_json::to_string(&report).unwrap();
        let expected = concat!(
            r#"{"schema":"paradup.report/v1","tool":{"name":"paradup","version":"0.1.0"},"#,
            r#""params":{"split":"auto","unit":"paragraph","normalization":{"#,
            r#""unicode":"NFKC","lowercase":true,"strip_punctuation":true,"#,
            r#""collapse_whitespace":true,"fold_digits":false},"exact_hash":"xxh3-64","#,
            r#""ngram":3,"char_ngram":5,"num_perm":128,"bands":17,"rows":7,"threshold":0.8,"#,
            r#""containment":0.9,"min_words":10,"seed":31632341279733104},"#,
            r#""summary":{"documents":2,"paragraphs":4,"duplicate_paragraphs":2,"#,
            r#""duplicate_ratio":0.5,"bytes":326,"#,
            r#""duplicate_bytes":161,"duplicate_byte_ratio":0.493865,"within_document_clusters":1,"#,
            r#""cross_document_clusters":1,"distinct_paragraphs":3,"candidate_pairs":1,"#,
            r#""verified_pairs":1,"skipped_records":1,"invalid_utf8_records":1},"#,
            r#""boilerplate":[{"cluster":1,"documents":2,"duplicate_bytes":82}],"#,
            r#""clusters":["#,
            r#"{"id":0,"kind":"within_document","documents":1,"size":2,"duplicate_bytes":79,"#,
            r#""text":"The harbour board met on Tuesday to approve the new ferry timetable "#,
            r#"for winter.","members":["#,
            r#"{"doc":"a","doc_index":0,"location":"in.jsonl:1","#,
            r#""paragraph":0,"start":0,"end":79,"similarity":1.0,"containment":1.0,"#,
            r#""contained":false,"via_chain":false},"#,
            r#"{"doc":"a","doc_index":0,"location":"in.jsonl:1","#,
            r#""paragraph":2,"start":165,"end":244,"similarity":1.0,"containment":1.0,"#,
            r#""contained":false,"via_chain":false}]},"#,
            r#"{"id":1,"kind":"cross_document","documents":2,"size":2,"duplicate_bytes":82,"#,
            r#""text":"Subscribers can read every article of the archive without limits "#,
            r#"after signing in.","members":["#,
            r#"{"doc":"a","doc_index":0,"location":"in.jsonl:1","#,
            r#""paragraph":1,"start":81,"end":163,"similarity":1.0,"containment":1.0,"#,
            r#""contained":false,"via_chain":false},"#,
            r#"{"doc":"b.txt","doc_index":1,"location":"b.txt","#,
            r#""paragraph":0,"start":0,"end":82,"similarity":0.833333,"#,
            r#""containment":0.909091,"contained":false,"via_chain":false}]}],"#,
            r#""errors":[{"path":"in.jsonl","line":2,"kind":"invalid_json","message":"invalid JSON"}],"#,
            r#""warnings":[{"path":"in.jsonl","line":2,"kind":"invalid_utf8","message":"invalid UTF-8"}],"#,
            r#""sources":[{"source":"x.example","documents":1,"paragraphs":3,"#,
            r#""duplicate_paragraphs":1,"duplicate_ratio":0.333333,"bytes":244,"duplicate_bytes":79,"#,
            r#""duplicate_byte_ratio":0.32377},"#,
            r#"{"source":null,"documents":1,"paragraphs":1,"duplicate_paragraphs":1,"#,
            r#""duplicate_ratio":1.0,"bytes":82,"duplicate_bytes":82,"duplicate_byte_ratio":1.0}],"#,
            r#""timing":{"seconds":0.25}}"#,
        );
        assert_eq!(json, expected);
    }
}
