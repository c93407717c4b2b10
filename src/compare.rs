//! Contamination: passages of one corpus (say, a test set) that also occur in another (the
//! training data, the reference), exactly or as near copies.
//!
//! Both corpora go through one [`Scanner`](crate::Scanner): the input's documents first, the
//! reference's after them, so a document index tells the sides apart. Every cluster with copies on
//! both sides is a candidate; since clusters can chain (A near B, B near C, A not near C), each
//! input copy is then measured against every reference copy of its cluster, and only a pair at or
//! above the threshold (or with identical normalized text) counts as a leak. Each leaking input
//! paragraph is reported once, with its most similar reference copy.

use crate::display::round6;
use crate::normalize::normalize;
use crate::scan::{Cluster, ScanOutcome};
use crate::segment::Span;
use crate::shingle::{containment, jaccard, shingle_set, token_count};
use serde::Serialize;
use std::collections::HashMap;

/// A paragraph of one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Passage {
    /// Document index in the combined scan (reference documents follow the input's).
    pub doc: u32,
    /// Paragraph index within the document.
    pub paragraph: u32,
    /// Byte span in the document's text.
    pub span: Span,
}

/// An input paragraph with a copy in the reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Leak {
    /// The cluster of the combined scan that joined them.
    pub cluster: usize,
    /// The input paragraph.
    pub input: Passage,
    /// Its most similar reference copy (the first in input order among equals).
    pub reference: Passage,
    /// Exact Jaccard similarity of their shingle sets (1 for identical normalized text).
    pub similarity: f64,
    /// Share of the smaller shingle set inside the other.
    pub containment: f64,
    /// Their normalized texts are identical.
    pub exact: bool,
}

/// The clusters of a combined scan that hold copies from both sides.
pub struct Contamination<'a> {
    outcome: &'a ScanOutcome,
    first_reference: u32,
    shared: Vec<&'a Cluster>,
}

/// What is computed once per distinct normalized text.
struct Variant {
    hash: u64,
    tokens: usize,
    shingles: Vec<u32>,
}

impl<'a> Contamination<'a> {
    /// The clusters of `outcome` with members on both sides; documents from `first_reference` on
    /// are the reference.
    pub fn new(outcome: &'a ScanOutcome, first_reference: u32) -> Self {
        let shared = outcome
            .clusters
            .iter()
            .filter(|c| {
                c.members.iter().any(|m| m.doc < first_reference)
                    && c.members.iter().any(|m| m.doc >= first_reference)
            })
            .collect();
        Contamination {
            outcome,
            first_reference,
            shared,
        }
    }

    /// Every member of the shared clusters, cluster by cluster: the paragraphs whose texts
    /// [`Contamination::leaks`] needs, in this order.
    pub fn passages(&self) -> Vec<Passage> {
        self.shared
            .iter()
            .flat_map(|c| &c.members)
            .map(|m| Passage {
                doc: m.doc,
                paragraph: m.paragraph,
                span: m.span,
            })
            .collect()
    }

    /// The leaks, in input order. `texts[i]` is the text of `passages()[i]`; a passage without text
    /// (its document could not be read again) takes part in nothing.
    pub fn leaks(&self, texts: &[Option<String>]) -> Vec<Leak> {
        let params = &self.outcome.params;
        let mut scratch = Vec::new();
        let mut leaks = Vec::new();
        let mut next_text = texts.iter();
        for cluster in &self.shared {
            let mut variants: Vec<Variant> = Vec::new();
            let mut variant_of_hash: HashMap<u64, usize> = HashMap::new();
            // (member index, variant index) for members whose text is known.
            let mut members: Vec<(usize, usize)> = Vec::new();
            for (index, text) in (0..cluster.members.len()).zip(next_text.by_ref()) {
                let Some(text) = text else { continue };
                let normalized = normalize(text, params.normalize);
                let hash = xxhash_rust::xxh3::xxh3_64(normalized.as_bytes());
                let variant = *variant_of_hash.entry(hash).or_insert_with(|| {
                    let mut shingles = Vec::new();
                    shingle_set(
                        &normalized,
                        params.ngram,
                        params.char_ngram,
                        &mut scratch,
                        &mut shingles,
                    );
                    variants.push(Variant {
                        hash,
                        tokens: token_count(&normalized),
                        shingles,
                    });
                    variants.len() - 1
                });
                members.push((index, variant));
            }
            let (inputs, references): (Vec<_>, Vec<_>) = members
                .iter()
                .partition(|(index, _)| cluster.members[*index].doc < self.first_reference);
            let mut scores: HashMap<(usize, usize), (f64, f64, bool)> = HashMap::new();
            for &(input_index, input_variant) in &inputs {
                let mut best: Option<(usize, f64, f64, bool)> = None;
                for &(reference_index, reference_variant) in &references {
                    let (similarity, contained, exact) = *scores
                        .entry((input_variant, reference_variant))
                        .or_insert_with(|| {
                            let (a, b) = (&variants[input_variant], &variants[reference_variant]);
                            if a.hash == b.hash {
                                (1.0, 1.0, true)
                            } else if a.tokens < params.min_words || b.tokens < params.min_words {
                                (0.0, 0.0, false)
                            } else {
                                (
                                    jaccard(&a.shingles, &b.shingles),
                                    containment(&a.shingles, &b.shingles),
                                    false,
                                )
                            }
                        });
                    if !exact && similarity < params.threshold {
                        continue;
                    }
                    if !matches!(best, Some((_, s, _, _)) if s >= similarity) {
                        best = Some((reference_index, similarity, contained, exact));
                    }
                }
                if let Some((reference_index, similarity, contained, exact)) = best {
                    let passage = |index: usize| {
                        let m = &cluster.members[index];
                        Passage {
                            doc: m.doc,
                            paragraph: m.paragraph,
                            span: m.span,
                        }
                    };
                    leaks.push(Leak {
                        cluster: cluster.id,
                        input: passage(input_index),
                        reference: passage(reference_index),
                        similarity,
                        containment: contained,
                        exact,
                    });
                }
            }
        }
        leaks.sort_by_key(|l| (l.input.doc, l.input.paragraph));
        leaks
    }
}

/// The schema name written into every comparison report.
pub const SCHEMA: &str = "paradup.compare/v1";

/// One side of a leak, as the report gives it.
#[derive(Clone, Debug, Serialize)]
pub struct ReportPassage {
    /// The document's id.
    pub doc: String,
    /// The document's position among its own side's documents.
    pub doc_index: u32,
    /// `PATH:LINE`: the paragraph's line in a text file, the record's line in JSON Lines.
    pub location: String,
    /// Paragraph index within the document.
    pub paragraph: u32,
    /// Byte offset of the paragraph: in the file as stored for a text file, otherwise in the
    /// document's text (as in the scan report).
    pub start: usize,
    /// Byte offset one past its end.
    pub end: usize,
    /// The paragraph.
    pub text: String,
}

/// A leak, as the report gives it.
#[derive(Clone, Debug, Serialize)]
pub struct ReportLeak {
    /// Cluster of the combined scan.
    pub cluster: usize,
    /// Exact Jaccard similarity of the two copies' shingles (1 for identical normalized text).
    pub similarity: f64,
    /// Share of the smaller shingle set inside the other.
    pub containment: f64,
    /// Identical normalized text.
    pub exact: bool,
    /// The input paragraph.
    pub input: ReportPassage,
    /// Its reference copy.
    pub reference: ReportPassage,
}

/// Totals of a comparison.
#[derive(Clone, Debug, Serialize)]
pub struct CompareSummary {
    /// Documents of the input.
    pub input_documents: u64,
    /// Documents of the reference.
    pub reference_documents: u64,
    /// Input paragraphs with a copy in the reference.
    pub leaked_paragraphs: u64,
    /// Of which with identical normalized text.
    pub exact: u64,
    /// Of which near copies.
    pub near: u64,
    /// Input documents with at least one leaked paragraph.
    pub leaked_documents: u64,
    /// Bytes of the leaked input paragraphs.
    pub leaked_bytes: u64,
    /// Records and files left out, on either side; each is listed in `errors`.
    pub skipped_records: u64,
}

/// The comparison report, schema `paradup.compare/v1`.
#[derive(Clone, Debug, Serialize)]
pub struct CompareReport {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// The writing tool.
    pub tool: crate::report::Tool,
    /// Every parameter of the combined scan.
    pub params: crate::report::ReportParams,
    /// Totals.
    pub summary: CompareSummary,
    /// Every leak, in input order.
    pub leaks: Vec<ReportLeak>,
    /// Records and files left out.
    pub errors: Vec<crate::read::InputError>,
    /// Run time.
    pub timing: crate::report::Timing,
}

/// A paragraph's text and its `PATH:LINE`, as the caller read them again.
#[derive(Clone, Debug, Default)]
pub struct PassageText {
    /// The paragraph.
    pub text: String,
    /// Where it is.
    pub location: String,
}

impl CompareReport {
    /// Gives the spans of the text files in `file_offsets` (by document index of the combined
    /// scan: those whose text is not their bytes as stored) as offsets into the files; `leaks` are
    /// the leaks the report was built from.
    pub fn with_file_offsets(
        mut self,
        leaks: &[Leak],
        file_offsets: &std::collections::BTreeMap<u32, crate::read::FileOffsets>,
    ) -> CompareReport {
        for (shown, leak) in self.leaks.iter_mut().zip(leaks) {
            for (passage, found) in [
                (&mut shown.input, &leak.input),
                (&mut shown.reference, &leak.reference),
            ] {
                if let Some(offsets) = file_offsets.get(&found.doc) {
                    passage.start = offsets.to_file(found.span.start);
                    passage.end = offsets.to_file(found.span.end);
                }
            }
        }
        self
    }

    /// Builds the report; `texts[i]` are the input and reference texts of `leaks[i]`.
    pub fn new(
        outcome: &ScanOutcome,
        first_reference: u32,
        leaks: &[Leak],
        texts: Vec<(PassageText, PassageText)>,
        errors: Vec<crate::read::InputError>,
        seconds: f64,
    ) -> CompareReport {
        let passage = |p: &Passage, text: PassageText| {
            let entry = &outcome.documents[p.doc as usize];
            let base = if p.doc >= first_reference {
                first_reference
            } else {
                0
            };
            ReportPassage {
                doc: entry.id.clone(),
                doc_index: p.doc - base,
                location: text.location,
                paragraph: p.paragraph,
                start: p.span.start,
                end: p.span.end,
                text: text.text,
            }
        };
        let report_leaks: Vec<ReportLeak> = leaks
            .iter()
            .zip(
                texts
                    .into_iter()
                    .chain(std::iter::repeat_with(Default::default)),
            )
            .map(|(leak, (input, reference))| ReportLeak {
                cluster: leak.cluster,
                similarity: round6(leak.similarity),
                containment: round6(leak.containment),
                exact: leak.exact,
                input: passage(&leak.input, input),
                reference: passage(&leak.reference, reference),
            })
            .collect();
        let mut leaked_docs: Vec<u32> = leaks.iter().map(|l| l.input.doc).collect();
        leaked_docs.dedup();
        let exact = leaks.iter().filter(|l| l.exact).count() as u64;
        let documents = outcome.documents.len() as u64;
        CompareReport {
            schema: SCHEMA,
            tool: crate::report::Tool {
                name: "paradup",
                version: env!("CARGO_PKG_VERSION"),
            },
            params: crate::report::ReportParams::from_scan(&outcome.params),
            summary: CompareSummary {
                input_documents: u64::from(first_reference).min(documents),
                reference_documents: documents.saturating_sub(u64::from(first_reference)),
                leaked_paragraphs: leaks.len() as u64,
                exact,
                near: leaks.len() as u64 - exact,
                leaked_documents: leaked_docs.len() as u64,
                leaked_bytes: leaks.iter().map(|l| l.input.span.len() as u64).sum(),
                skipped_records: errors.len() as u64,
            },
            leaks: report_leaks,
            errors,
            timing: crate::report::Timing { seconds },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Document, Location, ScanParams, Scanner};

    fn doc(name: &str, text: &str) -> Document {
        Document {
            id: name.into(),
            source: None,
            location: Location {
                path: name.into(),
                line: None,
            },
            text: text.into(),
        }
    }

    const LEAKED: &str = "The committee approved the new budget for public schools after a long debate on Thursday evening.";
    const EDITED: &str = "The committee approved the new budget for public schools after a long debate on Thursday night.";
    const OWN: &str = "Residents of the northern district reported power cuts lasting several hours during the storm.";
    const OTHER: &str = "A local bakery won the regional prize for its sourdough bread, beating forty other entries.";

    fn texts_of(docs: &[Document], passages: &[Passage]) -> Vec<Option<String>> {
        passages
            .iter()
            .map(|p| Some(docs[p.doc as usize].text[p.span.start..p.span.end].to_string()))
            .collect()
    }

    #[test]
    fn finds_exact_and_near_copies_in_the_reference_only() {
        let docs = vec![
            doc("test/a", &format!("{LEAKED}\n{OWN}\n")),
            doc("test/b", &format!("{OWN}\n{EDITED}\n")),
            doc("train/x", &format!("{OTHER}\n{LEAKED}\n")),
        ];
        let mut scanner = Scanner::new(ScanParams::default()).unwrap();
        scanner.add_batch(docs.clone());
        let outcome = scanner.finish();
        let check = Contamination::new(&outcome, 2);
        let passages = check.passages();
        let leaks = check.leaks(&texts_of(&docs, &passages));
        // OWN is repeated inside the input only: not a leak.
        assert_eq!(leaks.len(), 2, "{leaks:?}");
        assert_eq!((leaks[0].input.doc, leaks[0].input.paragraph), (0, 0));
        assert!(leaks[0].exact);
        assert_eq!(leaks[0].reference.doc, 2);
        assert_eq!((leaks[1].input.doc, leaks[1].input.paragraph), (1, 1));
        assert!(!leaks[1].exact);
        assert!(leaks[1].similarity >= 0.8 && leaks[1].similarity < 1.0);
    }

    #[test]
    fn no_reference_copies_no_leaks() {
        let docs = vec![
            doc("test/a", &format!("{LEAKED}\n{LEAKED}\n")),
            doc("train/x", OTHER),
        ];
        let mut scanner = Scanner::new(ScanParams::default()).unwrap();
        scanner.add_batch(docs.clone());
        let outcome = scanner.finish();
        let check = Contamination::new(&outcome, 1);
        assert!(check.passages().is_empty());
        assert!(check.leaks(&[]).is_empty());
    }
}
