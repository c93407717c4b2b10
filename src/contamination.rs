//! The comparison report of `paradup compare` (schema `paradup.compare/v2`): input documents
//! measured one by one against a reference index ([`crate::overlap`]), their totals, and the
//! report built from them. The command line and the Python module both build it here, so that
//! both write the same JSON.

use crate::overlap::{ItemOverlap, OverlapScratch, ReferenceDocument, ReferenceIndex, Verdict};
use crate::read::{FileOffsets, InputError, Inputs, Location, ReadOptions};
use crate::scan::{DocumentEntry, DocumentTable};
use serde::Serialize;
use std::collections::HashMap;
use std::io::Read;

/// One input document measured against the reference.
pub struct MeasuredItem {
    /// Position among the inputs' documents.
    pub doc_index: u32,
    /// The document's id.
    pub id: String,
    /// Where the document was read.
    pub location: Location,
    /// What of it the reference holds.
    pub overlap: ItemOverlap,
    /// The text of each matched span, in the input.
    pub span_texts: Vec<String>,
    /// The line of the document's file each matched span starts on (1-based).
    pub span_lines: Vec<u64>,
}

/// Measures one input document (`doc_index`-th of the inputs) against `index`. Where the text is
/// not the file's bytes as stored (`file_offsets`), the spans are moved to offsets in the file.
pub fn measure_document(
    index: &ReferenceIndex,
    doc_index: u32,
    id: String,
    location: Location,
    text: &str,
    file_offsets: Option<&FileOffsets>,
    scratch: &mut OverlapScratch,
) -> MeasuredItem {
    let mut overlap = index.measure(text, scratch);
    let span_texts = overlap
        .spans
        .iter()
        .map(|s| text[s.start..s.end].to_string())
        .collect();
    let first_line = location.record().unwrap_or(1);
    let span_lines = overlap
        .spans
        .iter()
        .map(|s| match location.record() {
            // A record's text is on its one line; a file's spans on their own lines.
            Some(_) => first_line,
            None => first_line + newlines(&text[..s.start]),
        })
        .collect();
    if let Some(offsets) = file_offsets {
        for span in &mut overlap.spans {
            span.start = offsets.to_file(span.start);
            span.end = offsets.to_file(span.end);
        }
    }
    MeasuredItem {
        doc_index,
        id,
        location,
        overlap,
        span_texts,
        span_lines,
    }
}

fn newlines(text: &str) -> u64 {
    text.bytes().filter(|&b| b == b'\n').count() as u64
}

/// Totals over every measured item.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Counts {
    /// Items measured.
    pub items: u64,
    /// Their words.
    pub words: u64,
    /// Words inside a matched span.
    pub matched_words: u64,
    /// Items with at least one matched span.
    pub items_with_match: u64,
    /// Items under the clean share.
    pub clean: u64,
    /// Items between the clean and the dirty share.
    pub partial: u64,
    /// Items at or above the dirty share.
    pub dirty: u64,
    /// Records and files left out, on either side; each is in the report's `errors`.
    pub skipped_records: u64,
}

impl Counts {
    /// Counts one measured item.
    pub fn add(&mut self, overlap: &ItemOverlap) {
        self.items += 1;
        self.words += overlap.words as u64;
        self.matched_words += overlap.matched_words as u64;
        self.items_with_match += u64::from(!overlap.spans.is_empty());
        match overlap.verdict {
            Verdict::Clean => self.clean += 1,
            Verdict::Partial => self.partial += 1,
            Verdict::Dirty => self.dirty += 1,
        }
    }
}

/// The schema name of the comparison report.
pub const SCHEMA: &str = "paradup.compare/v2";

/// A matched span's place in the reference, as the report gives it.
#[derive(Serialize)]
pub struct ReportReferenceSpan {
    /// The reference document's id.
    pub doc: String,
    /// Its file and line.
    pub location: String,
    /// Byte offsets of the matched text in it.
    pub start: usize,
    /// End of the matched text.
    pub end: usize,
    /// `null` where the reference could not be read again (a saved index whose files are gone).
    pub text: Option<String>,
}

/// A matched span, as the report gives it.
#[derive(Serialize)]
pub struct ReportSpan {
    /// Byte offsets in the input document (in its file, for text files).
    pub start: usize,
    /// End of the span.
    pub end: usize,
    /// Words in the span.
    pub words: usize,
    /// The span's text in the input.
    pub text: String,
    /// Where the reference holds it.
    pub reference: ReportReferenceSpan,
}

/// An item, as the report gives it.
#[derive(Serialize)]
pub struct ReportItem {
    /// The input document's id.
    pub doc: String,
    /// Its position among the inputs' documents.
    pub doc_index: u32,
    /// Its file and line.
    pub location: String,
    /// Its words.
    pub words: usize,
    /// The n-gram length it was matched with.
    pub ngram: usize,
    /// Words inside a matched span.
    pub matched_words: usize,
    /// `matched_words / words`.
    pub share: f64,
    /// Words in the longest matched span.
    pub longest_match: usize,
    /// Clean, partial or dirty.
    pub verdict: Verdict,
    /// Ids of the reference documents it matched.
    pub reference_documents: Vec<String>,
    /// The matched spans.
    pub spans: Vec<ReportSpan>,
}

/// The parameters, as the report gives them.
#[derive(Serialize)]
pub struct ReportParams {
    /// Words an n-gram.
    pub ngram: usize,
    /// Words an n-gram for short items.
    pub min_ngram: usize,
    /// Unmatched words bridged between matches.
    pub max_gap: usize,
    /// Under this share an item is clean.
    pub clean_share: f64,
    /// At this share an item is dirty.
    pub dirty_share: f64,
    /// Whether digits were folded.
    pub fold_digits: bool,
    /// The cap on reference documents an n-gram lists.
    pub max_reference_documents: Option<usize>,
}

/// The reference's size, as the report gives it.
#[derive(Serialize)]
pub struct ReportReference {
    /// Reference documents.
    pub documents: u64,
    /// Their words.
    pub words: u64,
    /// Distinct n-grams indexed.
    pub ngrams: u64,
    /// The index's size in memory.
    pub index_bytes: u64,
}

/// The comparison report, schema `paradup.compare/v2`.
#[derive(Serialize)]
pub struct CompareReport {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The program that wrote it.
    pub tool: crate::report::Tool,
    /// The parameters.
    pub params: ReportParams,
    /// The reference's size.
    pub reference: ReportReference,
    /// Totals.
    pub summary: Counts,
    /// Every measured item, in input order.
    pub items: Vec<ReportItem>,
    /// Records and files left out.
    pub errors: Vec<InputError>,
    /// How long the run took.
    pub timing: crate::report::Timing,
}

impl CompareReport {
    /// Builds the report of `items` measured against `index`; `reference_texts` gives, in the
    /// order of the items' spans, the reference text of each matched span (`None` where the
    /// reference cannot be read again): see [`CompareReport::span_requests`].
    pub fn new(
        index: &ReferenceIndex,
        items: &[MeasuredItem],
        counts: Counts,
        errors: Vec<InputError>,
        seconds: f64,
        reference_texts: Vec<Option<String>>,
    ) -> CompareReport {
        let mut reference_texts = reference_texts.into_iter();
        let documents = index.documents();
        let report_items = items
            .iter()
            .map(|item| {
                let o = &item.overlap;
                ReportItem {
                    doc: item.id.clone(),
                    doc_index: item.doc_index,
                    location: item.location.to_string(),
                    words: o.words,
                    ngram: o.ngram,
                    matched_words: o.matched_words,
                    share: crate::display::round6(o.share),
                    longest_match: o.longest_match,
                    verdict: o.verdict,
                    reference_documents: o
                        .reference_docs
                        .iter()
                        .map(|&d| documents[d as usize].id.clone())
                        .collect(),
                    spans: o
                        .spans
                        .iter()
                        .zip(&item.span_texts)
                        .map(|(s, text)| {
                            let doc = &documents[s.reference_doc as usize];
                            ReportSpan {
                                start: s.start,
                                end: s.end,
                                words: s.words,
                                text: text.clone(),
                                reference: ReportReferenceSpan {
                                    doc: doc.id.clone(),
                                    location: doc.to_string(),
                                    start: s.reference_start,
                                    end: s.reference_end,
                                    text: reference_texts.next().flatten(),
                                },
                            }
                        })
                        .collect(),
                }
            })
            .collect();
        let params = index.params();
        CompareReport {
            schema: SCHEMA,
            tool: crate::report::Tool {
                name: "paradup",
                version: env!("CARGO_PKG_VERSION"),
            },
            params: ReportParams {
                ngram: params.ngram,
                min_ngram: params.min_ngram,
                max_gap: params.max_gap,
                clean_share: params.clean_share,
                dirty_share: params.dirty_share,
                fold_digits: params.normalize.fold_digits,
                max_reference_documents: index.max_documents(),
            },
            reference: ReportReference {
                documents: documents.len() as u64,
                words: index.word_count() as u64,
                ngrams: index.ngram_count() as u64,
                index_bytes: index.heap_bytes() as u64,
            },
            summary: Counts {
                skipped_records: errors.len() as u64,
                ..counts
            },
            items: report_items,
            errors,
            timing: crate::report::Timing { seconds },
        }
    }

    /// The `(reference document, start, end)` of every matched span of `items`, in the order
    /// [`CompareReport::new`] takes their texts.
    pub fn span_requests(items: &[MeasuredItem]) -> Vec<(u32, usize, usize)> {
        items
            .iter()
            .flat_map(|item| &item.overlap.spans)
            .map(|s| (s.reference_doc, s.reference_start, s.reference_end))
            .collect()
    }
}

/// The reference text of each `(document, start, end)` of `documents` (the index's), read again
/// from the reference's files in `inputs`: records are cut from their text field, text files from
/// their bytes as stored. `None` where it cannot be read.
pub fn reference_span_texts(
    inputs: &Inputs,
    options: &ReadOptions,
    documents: &[ReferenceDocument],
    requests: &[(u32, usize, usize)],
) -> Vec<Option<String>> {
    let entries: DocumentTable = documents
        .iter()
        .map(|d| DocumentEntry {
            id: d.id.clone(),
            source: None,
            location: Location {
                path: d.path.clone(),
                line: d.line,
                row: None,
            },
            bytes: 0,
            first_paragraph: 0,
            paragraph_count: 0,
            word_paragraphs: 0,
            shard: None,
        })
        .collect();
    let records: Vec<(u32, usize, usize)> = requests
        .iter()
        .map(|&(doc, start, end)| match documents[doc as usize].line {
            Some(_) => (doc, start, end),
            // Not looked up as a record.
            None => (u32::MAX, 0, 0),
        })
        .collect();
    let mut texts = inputs.fetch_spans(options, &entries, &records);
    let paths: HashMap<&str, &std::path::Path> =
        inputs.files().map(|f| (f.display, f.path)).collect();
    let mut file_bytes: HashMap<&str, Option<Vec<u8>>> = HashMap::new();
    for (text, &(doc, start, end)) in texts.iter_mut().zip(requests) {
        let document = &documents[doc as usize];
        if document.line.is_some() {
            continue;
        }
        let bytes = file_bytes.entry(document.path.as_str()).or_insert_with(|| {
            let path = paths.get(document.path.as_str())?;
            let mut bytes = Vec::new();
            Inputs::open_content(path)
                .and_then(|mut r| r.read_to_end(&mut bytes))
                .ok()?;
            Some(bytes)
        });
        *text = bytes
            .as_ref()
            .and_then(|b| b.get(start..end))
            .map(|b| String::from_utf8_lossy(b).into_owned());
    }
    texts
}
