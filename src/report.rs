//! The machine-readable report, schema `paradup.report/v1`.
//!
//! The report is a plain data structure built from a [`ScanOutcome`]; writing it (JSON, terminal,
//! HTML) is the caller's business. Field names are part of the schema documented in the README.

use crate::display::round6;
use crate::read::InputError;
use crate::scan::{ClusterKind, DocumentEntry, ScanOutcome, ScanParams, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

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

/// One copy in a cluster.
#[derive(Clone, Debug, Serialize)]
pub struct ReportMember {
    /// The document's id (shared by every member from the document: a report of a large corpus
    /// lists millions of members).
    pub doc: Arc<str>,
    /// The document's position in input order.
    pub doc_index: u32,
    /// `PATH` or `PATH:LINE` of the document (shared likewise).
    pub location: Arc<str>,
    /// Paragraph index within the document.
    pub paragraph: u32,
    /// Byte offset of the paragraph in the document's text.
    pub start: usize,
    /// Byte offset one past its end.
    pub end: usize,
    /// Jaccard similarity of its shingles to the canonical copy's.
    pub similarity: f64,
    /// Share of the smaller shingle set inside the other.
    pub containment: f64,
    /// Joined as a contained passage: containment to the canonical copy at or above the
    /// containment threshold, similarity below the similarity threshold.
    pub contained: bool,
    /// Joined through other members only: below both thresholds against the canonical copy.
    pub via_chain: bool,
}

/// A cluster of copies.
#[derive(Clone, Debug, Serialize)]
pub struct ReportCluster {
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
    pub text: String,
    /// The copies, canonical first.
    pub members: Vec<ReportMember>,
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
}

/// Per-source totals, sorted by source name with the documents without a source last; empty when
/// no document names a source.
pub fn source_totals(outcome: &ScanOutcome) -> Vec<SourceTotals> {
    if outcome.documents.iter().all(|d| d.source.is_none()) {
        return Vec::new();
    }
    let blank = |source: Option<&str>| SourceTotals {
        source: source.map(str::to_owned),
        documents: 0,
        paragraphs: 0,
        duplicate_paragraphs: 0,
        duplicate_ratio: 0.0,
        bytes: 0,
        duplicate_bytes: 0,
    };
    // Keyed so that named sources sort by name and the unnamed group comes last.
    let mut totals: BTreeMap<(bool, Option<&str>), SourceTotals> = BTreeMap::new();
    for doc in &outcome.documents {
        let source = doc.source.as_deref();
        let entry = totals
            .entry((source.is_none(), source))
            .or_insert_with(|| blank(source));
        entry.documents += 1;
        entry.paragraphs += u64::from(doc.word_paragraphs);
        entry.bytes += doc.bytes;
    }
    for cluster in &outcome.clusters {
        for member in &cluster.members[1..] {
            let source = outcome.documents[member.doc as usize].source.as_deref();
            if let Some(entry) = totals.get_mut(&(source.is_none(), source)) {
                entry.duplicate_paragraphs += 1;
                entry.duplicate_bytes += member.span.len() as u64;
            }
        }
    }
    totals
        .into_values()
        .map(|mut t| {
            t.duplicate_ratio = if t.paragraphs == 0 {
                0.0
            } else {
                round6(t.duplicate_paragraphs as f64 / t.paragraphs as f64)
            };
            t
        })
        .collect()
}

/// Wall-clock time, the one part of a report that varies between identical runs.
#[derive(Clone, Debug, Serialize)]
pub struct Timing {
    /// Seconds the run took.
    pub seconds: f64,
}

/// The id and location of each document, made once and shared by all its members.
struct SharedNames<'a> {
    documents: &'a [DocumentEntry],
    made: Vec<Option<(Arc<str>, Arc<str>)>>,
}

impl<'a> SharedNames<'a> {
    fn new(documents: &'a [DocumentEntry]) -> Self {
        SharedNames {
            documents,
            made: vec![None; documents.len()],
        }
    }

    fn of(&mut self, doc: u32) -> (Arc<str>, Arc<str>) {
        let entry = &self.documents[doc as usize];
        self.made[doc as usize]
            .get_or_insert_with(|| {
                (
                    Arc::from(entry.id.as_str()),
                    Arc::from(entry.location.to_string()),
                )
            })
            .clone()
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
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
    pub clusters: Vec<ReportCluster>,
    /// Records and files left out.
    pub errors: Vec<InputError>,
    /// Records kept after a repair (invalid UTF-8 replaced); not skipped.
    pub warnings: Vec<InputError>,
    /// Duplication per source, when the documents name their sources.
    pub sources: Vec<SourceTotals>,
    /// Run time.
    pub timing: Timing,
}

impl Report {
    /// Builds the report. `canonical_texts[i]` is the text of cluster `i`'s canonical copy.
    pub fn new(
        outcome: &ScanOutcome,
        canonical_texts: Vec<String>,
        errors: Vec<InputError>,
        seconds: f64,
    ) -> Report {
        let s = &outcome.summary;
        let mut names = SharedNames::new(&outcome.documents);
        let clusters = outcome
            .clusters
            .iter()
            .zip(
                canonical_texts
                    .into_iter()
                    .chain(std::iter::repeat(String::new())),
            )
            .map(|(cluster, text)| ReportCluster {
                id: cluster.id,
                kind: cluster.kind,
                documents: cluster.documents,
                size: cluster.members.len(),
                duplicate_bytes: cluster.duplicate_bytes,
                text,
                members: cluster
                    .members
                    .iter()
                    .map(|m| {
                        let (doc, location) = names.of(m.doc);
                        ReportMember {
                            doc,
                            doc_index: m.doc,
                            location,
                            paragraph: m.paragraph,
                            start: m.span.start,
                            end: m.span.end,
                            similarity: round6(m.similarity),
                            containment: round6(m.containment),
                            contained: m.contained,
                            via_chain: m.via_chain,
                        }
                    })
                    .collect(),
            })
            .collect();
        Report {
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
            clusters,
            errors,
            warnings: Vec::new(),
            sources: source_totals(outcome),
            timing: Timing { seconds },
        }
    }

    /// Adds the records that were kept after invalid UTF-8 was replaced, and counts them.
    pub fn with_warnings(mut self, warnings: Vec<InputError>) -> Report {
        self.summary.invalid_utf8_records = warnings.len() as u64;
        self.warnings = warnings;
        self
    }
}
