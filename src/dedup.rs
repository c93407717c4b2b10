//! Dedup: which paragraph copies a cleaned corpus leaves out, and exactly which bytes go with each.
//!
//! Every cluster keeps its canonical copy (its first occurrence in input order) and loses the other
//! members whose text that copy holds: its near copies, and (with a containment threshold) the
//! passages lying inside it. A member that holds the canonical copy (a whole paragraph around a
//! quoted excerpt) is kept: removing it would lose the text around the passage, and only the
//! contained, shorter copy may go. With a containment threshold, a member joined only through a
//! chain of other members is kept too, since nothing says the kept copy holds its text.
//!
//! A removed paragraph takes with it the bytes that separated it from its neighbours, so that the
//! text around it reads as it did, by this rule:
//!
//! - when a kept paragraph follows it later in the document, it takes its own span and the
//!   whitespace after it, up to the start of the next paragraph;
//! - otherwise (it ends the document, or only removed paragraphs follow) it takes the whitespace
//!   before it, from the end of the previous paragraph, and its own span; the document's trailing
//!   whitespace (its final line break) stays;
//! - a document's only remaining paragraphs all removed: the first takes just its span, so the
//!   leading and trailing whitespace stay.
//!
//! Whatever lies between two paragraphs is whitespace (segmentation trims every paragraph and
//! leaves no text outside one), so no word is ever removed with a paragraph that was not part of it.

use crate::normalize::{normalize, NormalizeOptions};
use crate::scan::{Member, ScanOutcome};
use crate::segment::{segment_units, Span, SplitMode, Unit};
use crate::shingle::token_count;
use paradup_core::spill::SpillError;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

/// One paragraph copy that dedup removes.
#[derive(Clone, Debug, PartialEq)]
pub struct Removal {
    /// Index of the paragraph in its document.
    pub paragraph: u32,
    /// Its byte span in the document's text.
    pub span: Span,
    /// The cluster it belongs to.
    pub cluster: usize,
    /// Document holding the cluster's canonical copy (the one kept).
    pub canonical_doc: u32,
    /// Similarity of this copy to the canonical one.
    pub similarity: f64,
}

/// A removal as the plan holds it: 20 bytes, the similarity kept aside when it is not 1 and the
/// span when it does not fit 32 bits.
#[derive(Clone, Copy, Debug, Default)]
struct PlannedRemoval {
    paragraph: u32,
    start: u32,
    end: u32,
    cluster: u32,
    canonical_doc: u32,
}

/// Marks a [`PlannedRemoval`] whose span is kept aside (in a text over 4 GiB).
const LONG_SPAN: u32 = u32::MAX;

/// The removals of a whole scan, by document: one table of every removal, sorted by document
/// and then paragraph, and where each document's start. A scan of a few GB removes tens of
/// millions of copies, so a removal takes 20 bytes (most copies are exact: a similarity other
/// than 1 is kept aside, as is a span past 4 GiB).
#[derive(Clone, Debug, Default)]
pub struct DedupPlan {
    removals: Vec<PlannedRemoval>,
    /// Where document `d`'s removals start in `removals` (one extra entry at the end).
    starts: Vec<usize>,
    /// Similarities other than 1, by place in `removals`.
    similarities: HashMap<usize, f64>,
    /// Spans that do not fit 32 bits, by place in `removals`.
    long_spans: HashMap<usize, Span>,
}

impl DedupPlan {
    /// Every member of every cluster whose text the canonical copy holds (see the module
    /// documentation), grouped by document and sorted by paragraph. Copies left on disk by a scan
    /// past its budget ([`ScanOutcome::members_on_disk`]) are read a window of clusters at a time,
    /// twice (to count each document's removals, then to place them), so the plan is all that
    /// is held; failing to read them is the error.
    pub fn new(outcome: &ScanOutcome) -> Result<Self, SpillError> {
        let removed = removed_in(outcome);
        let documents = outcome.documents.len();
        let mut starts = vec![0usize; documents + 1];
        for (doc, count) in removal_counts(outcome)?.into_iter().enumerate() {
            starts[doc + 1] = starts[doc] + count as usize;
        }
        let mut plan = DedupPlan {
            removals: vec![PlannedRemoval::default(); starts[documents]],
            starts: Vec::new(),
            similarities: HashMap::new(),
            long_spans: HashMap::new(),
        };
        let mut next = starts.clone();
        outcome.try_for_each_run(|run| {
            let canonical = run.cluster.canonical();
            for member in run.repeats().filter(|m| removed(m)) {
                let place = next[member.doc as usize];
                next[member.doc as usize] += 1;
                plan.place(place, member, run.cluster.id, canonical.doc);
            }
            Ok::<(), SpillError>(())
        })?;
        // Each document's removals by paragraph, the values kept aside moved with them.
        for doc in 0..documents {
            let range = starts[doc]..starts[doc + 1];
            if plan.removals[range.clone()]
                .windows(2)
                .all(|pair| pair[0].paragraph <= pair[1].paragraph)
            {
                continue;
            }
            let mut removals: Vec<Removal> = range.clone().map(|i| plan.removal(i)).collect();
            removals.sort_by_key(|r| r.paragraph);
            for (place, removal) in range.zip(&removals) {
                plan.similarities.remove(&place);
                plan.long_spans.remove(&place);
                plan.place_removal(place, removal);
            }
        }
        plan.starts = starts;
        Ok(plan)
    }

    /// Puts `member` of cluster `cluster` (whose canonical copy is in `canonical_doc`) at `place`.
    fn place(&mut self, place: usize, member: &Member, cluster: usize, canonical_doc: u32) {
        self.place_removal(
            place,
            &Removal {
                paragraph: member.paragraph,
                span: member.span,
                cluster,
                canonical_doc,
                similarity: member.similarity,
            },
        );
    }

    fn place_removal(&mut self, place: usize, removal: &Removal) {
        let (start, end) = match (
            u32::try_from(removal.span.start),
            u32::try_from(removal.span.end),
        ) {
            (Ok(start), Ok(end)) if end != LONG_SPAN => (start, end),
            _ => {
                self.long_spans.insert(place, removal.span);
                (LONG_SPAN, LONG_SPAN)
            }
        };
        if removal.similarity != 1.0 {
            self.similarities.insert(place, removal.similarity);
        }
        self.removals[place] = PlannedRemoval {
            paragraph: removal.paragraph,
            start,
            end,
            // Cluster ids number distinct paragraphs at most, which are 32-bit.
            cluster: u32::try_from(removal.cluster).unwrap_or(u32::MAX),
            canonical_doc: removal.canonical_doc,
        };
    }

    /// The removal at `place`, whole again.
    fn removal(&self, place: usize) -> Removal {
        let planned = self.removals[place];
        let span = match self.long_spans.get(&place) {
            Some(&span) if planned.start == LONG_SPAN => span,
            _ => Span {
                start: planned.start as usize,
                end: planned.end as usize,
            },
        };
        Removal {
            paragraph: planned.paragraph,
            span,
            cluster: planned.cluster as usize,
            canonical_doc: planned.canonical_doc,
            similarity: self.similarities.get(&place).copied().unwrap_or(1.0),
        }
    }

    /// The places of document `doc`'s removals (empty for an unknown index).
    fn places(&self, doc: u32) -> std::ops::Range<usize> {
        let doc = doc as usize;
        match (self.starts.get(doc), self.starts.get(doc + 1)) {
            (Some(&start), Some(&end)) => start..end,
            _ => 0..0,
        }
    }

    /// The removals in document `doc`, by paragraph (empty for an unknown index).
    pub fn removals(&self, doc: u32) -> Vec<Removal> {
        self.places(doc).map(|place| self.removal(place)).collect()
    }

    /// How many paragraphs of document `doc` are removed.
    pub fn removal_count(&self, doc: u32) -> usize {
        self.places(doc).len()
    }

    /// Paragraphs removed in all.
    pub fn paragraph_count(&self) -> usize {
        self.removals.len()
    }

    /// For each document of `outcome` (the scan this plan was made from), whether it has a
    /// paragraph with words and every such paragraph is removed: the documents
    /// `--drop-duplicate-documents` leaves out, as [`EditedDocument::all_repeats`] says of each.
    pub fn whole_repeats(&self, outcome: &ScanOutcome) -> Vec<bool> {
        whole_repeats_of(outcome, |doc| self.removal_count(doc as u32))
    }
}

/// Whether dedup removes `member` of a cluster of `outcome` (a copy but the canonical one): all
/// but those that hold the canonical copy, and with a containment threshold those joined
/// through a chain (see the module documentation).
fn removed_in(outcome: &ScanOutcome) -> impl Fn(&Member) -> bool {
    let with_containment = outcome.params.containment.is_some();
    move |member: &Member| !(member.holds_canonical || (with_containment && member.via_chain))
}

/// How many paragraphs dedup removes from each document of `outcome`, by document; the copies
/// are read once (a window at a time when on disk).
fn removal_counts(outcome: &ScanOutcome) -> Result<Vec<u32>, SpillError> {
    let removed = removed_in(outcome);
    let mut counts = vec![0u32; outcome.documents.len()];
    outcome.try_for_each_run(|run| {
        for member in run.repeats().filter(|m| removed(m)) {
            counts[member.doc as usize] += 1;
        }
        Ok::<(), SpillError>(())
    })?;
    Ok(counts)
}

/// By document of `outcome`: whether dedup removes every paragraph with words of it, given the
/// number of paragraphs it removes from each (`removals`).
fn whole_repeats_of(outcome: &ScanOutcome, removals: impl Fn(usize) -> usize) -> Vec<bool> {
    outcome
        .documents
        .iter()
        .enumerate()
        .map(|(doc, entry)| {
            entry.word_paragraphs > 0 && removals(doc) == entry.word_paragraphs as usize
        })
        .collect()
}

/// [`DedupPlan::whole_repeats`] without a plan: only each document's removals are counted (4
/// bytes a document, where a plan holds 20 bytes a removed paragraph).
pub fn whole_repeats(outcome: &ScanOutcome) -> Result<Vec<bool>, SpillError> {
    let counts = removal_counts(outcome)?;
    Ok(whole_repeats_of(outcome, |doc| counts[doc] as usize))
}

/// A document's text no longer segments as it did during the scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedInput {
    /// The paragraph that does not match.
    pub paragraph: u32,
}

impl fmt::Display for ChangedInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "paragraph {} is not where the scan found it: the input changed during the run",
            self.paragraph
        )
    }
}

impl std::error::Error for ChangedInput {}

/// A document after dedup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditedDocument {
    /// The text with the removed ranges cut out.
    pub text: String,
    /// The byte ranges cut out of the original text, sorted, merged where they touch.
    pub removed: Vec<Range<usize>>,
    /// Bytes removed.
    pub removed_bytes: usize,
    /// True when the document has at least one paragraph with words and every such paragraph is
    /// removed: the whole document is a repeat.
    pub all_repeats: bool,
}

/// Byte ranges that go with the removed paragraphs, given every paragraph span of a document and
/// which of them are removed; see the module documentation for the rule. Sorted and merged.
pub fn removed_ranges(spans: &[Span], removed: &[bool]) -> Vec<Range<usize>> {
    let last_kept = (0..spans.len()).rev().find(|&i| !removed[i]);
    let mut ranges: Vec<Range<usize>> = Vec::new();
    for i in (0..spans.len()).filter(|&i| removed[i]) {
        let range = if last_kept.is_some_and(|k| k > i) {
            spans[i].start..spans[i + 1].start
        } else if i > 0 {
            spans[i - 1].end..spans[i].end
        } else {
            spans[i].start..spans[i].end
        };
        match ranges.last_mut() {
            Some(previous) if previous.end >= range.start => {
                previous.end = previous.end.max(range.end)
            }
            _ => ranges.push(range),
        }
    }
    ranges
}

/// `text` without the `ranges` (sorted, not overlapping).
pub fn cut(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for range in ranges {
        out.push_str(&text[at..range.start]);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// `bytes` without the `ranges`, where the ranges are byte offsets into `bytes` decoded as UTF-8
/// with each invalid sequence replaced by U+FFFD (as the readers decode it): the bytes kept are the
/// original ones, invalid sequences included. A range boundary inside a replacement character
/// cannot occur (ranges are paragraph and whitespace boundaries, so character boundaries).
pub fn cut_undecoded(bytes: &[u8], ranges: &[Range<usize>]) -> Vec<u8> {
    // (decoded offset, raw offset) at the start of every valid run and every replacement.
    let mut marks: Vec<(usize, usize)> = Vec::new();
    let (mut decoded, mut raw) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        marks.push((decoded, raw));
        decoded += chunk.valid().len();
        raw += chunk.valid().len();
        if !chunk.invalid().is_empty() {
            marks.push((decoded, raw));
            decoded += char::REPLACEMENT_CHARACTER.len_utf8();
            raw += chunk.invalid().len();
        }
    }
    marks.push((decoded, raw));
    let to_raw = |offset: usize| {
        let at = marks.partition_point(|&(d, _)| d <= offset) - 1;
        let (d, r) = marks[at];
        // Inside a valid run offsets move together; a replacement is passed whole.
        (r + (offset - d)).min(marks.get(at + 1).map_or(bytes.len(), |&(_, next)| next))
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for range in ranges {
        let (start, end) = (to_raw(range.start), to_raw(range.end));
        out.extend_from_slice(&bytes[at..start]);
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    out
}

/// Applies `removals` (from [`DedupPlan::removals`]) to a document's text. The text is segmented
/// again with the scan's `split` mode and `unit`; a removal that does not land on the same span is
/// an error, since the input must have changed since the scan.
pub fn edit_document(
    text: &str,
    split: SplitMode,
    unit: Unit,
    normalize_options: NormalizeOptions,
    removals: &[Removal],
) -> Result<EditedDocument, ChangedInput> {
    let spans = segment_units(text, split, unit);
    let mut removed = vec![false; spans.len()];
    for removal in removals {
        match spans.get(removal.paragraph as usize) {
            Some(span) if *span == removal.span => removed[removal.paragraph as usize] = true,
            _ => {
                return Err(ChangedInput {
                    paragraph: removal.paragraph,
                })
            }
        }
    }
    let ranges = removed_ranges(&spans, &removed);
    let removed_bytes = ranges.iter().map(Range::len).sum();
    let mut with_words = spans
        .iter()
        .zip(&removed)
        .filter(|(span, _)| {
            token_count(&normalize(&text[span.start..span.end], normalize_options)) > 0
        })
        .peekable();
    let all_repeats = with_words.peek().is_some() && with_words.all(|(_, &gone)| gone);
    Ok(EditedDocument {
        text: cut(text, &ranges),
        removed: ranges,
        removed_bytes,
        all_repeats,
    })
}

impl EditedDocument {
    /// Also removes `extra` byte ranges of `text` (the original text this was edited from): the
    /// ranges are merged with those already removed and the text cut again. Returns the bytes
    /// that only `extra` removed.
    pub fn remove_also(&mut self, text: &str, extra: &[Range<usize>]) -> usize {
        if extra.is_empty() {
            return 0;
        }
        let before = self.removed_bytes;
        let mut all: Vec<Range<usize>> = self.removed.iter().chain(extra).cloned().collect();
        all.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(all.len());
        for range in all {
            match merged.last_mut() {
                Some(last) if last.end >= range.start => last.end = last.end.max(range.end),
                _ => merged.push(range),
            }
        }
        self.text = cut(text, &merged);
        self.removed_bytes = merged.iter().map(Range::len).sum();
        self.removed = merged;
        self.removed_bytes - before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::segment;

    fn removal(text: &str, paragraph: u32, split: SplitMode) -> Removal {
        let span = segment(text, split)[paragraph as usize];
        Removal {
            paragraph,
            span,
            cluster: 0,
            canonical_doc: 0,
            similarity: 1.0,
        }
    }

    fn dedup(text: &str, split: SplitMode, paragraphs: &[u32]) -> String {
        let removals: Vec<Removal> = paragraphs
            .iter()
            .map(|&p| removal(text, p, split))
            .collect();
        edit_document(
            text,
            split,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &removals,
        )
        .unwrap()
        .text
    }

    #[test]
    fn a_middle_paragraph_takes_the_whitespace_after_it() {
        let text = "A one.\n\nB two.\n\nC three.\n";
        assert_eq!(dedup(text, SplitMode::Blank, &[1]), "A one.\n\nC three.\n");
        assert_eq!(dedup(text, SplitMode::Blank, &[0]), "B two.\n\nC three.\n");
    }

    #[test]
    fn a_final_run_takes_the_whitespace_before_it() {
        let text = "A one.\n\nB two.\n\nC three.\n";
        assert_eq!(dedup(text, SplitMode::Blank, &[2]), "A one.\n\nB two.\n");
        assert_eq!(dedup(text, SplitMode::Blank, &[1, 2]), "A one.\n");
        let lines = "a\r\nb\r\na";
        assert_eq!(dedup(lines, SplitMode::Line, &[2]), "a\r\nb");
    }

    #[test]
    fn removing_everything_leaves_the_outer_whitespace() {
        let text = "  A one.\n\nB two.\n";
        assert_eq!(dedup(text, SplitMode::Blank, &[0, 1]), "  \n");
    }

    #[test]
    fn all_repeats_ignores_paragraphs_without_words() {
        let text = "Same words here.\n***\nOther words here.\n";
        let removals = [
            removal(text, 0, SplitMode::Line),
            removal(text, 2, SplitMode::Line),
        ];
        let edited = edit_document(
            text,
            SplitMode::Line,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &removals,
        )
        .unwrap();
        assert!(edited.all_repeats);
        assert_eq!(edited.text, "***\n");
        assert_eq!(edited.removed_bytes, text.len() - 4);
        let one = edit_document(
            text,
            SplitMode::Line,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &removals[..1],
        )
        .unwrap();
        assert!(!one.all_repeats);
        let empty = edit_document(
            "",
            SplitMode::Line,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &[],
        )
        .unwrap();
        assert!(!empty.all_repeats);
    }

    #[test]
    fn whole_repeats_agree_with_the_edited_documents() {
        use crate::{Document, Location, ScanParams, Scanner};
        let body =
            "The harbour board met on Tuesday to approve the new ferry timetable for winter.";
        let other =
            "Subscribers can read every article of the archive without limits after signing in.";
        let texts = [
            format!("{body}\n\n{other}\n"),
            format!("{other}\n\n***\n\n{body}\n"),
            format!("{body}\n\nA line of its own that nobody else has written anywhere at all.\n"),
            "***\n".to_string(),
        ];
        let documents: Vec<Document> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| Document {
                id: i.to_string(),
                source: None,
                location: Location {
                    path: format!("{i}.txt"),
                    line: None,
                    row: None,
                },
                text: text.clone(),
            })
            .collect();
        let mut scanner = Scanner::new(ScanParams::default()).unwrap();
        scanner.add_batch(documents);
        let outcome = scanner.finish();
        let plan = DedupPlan::new(&outcome).expect("clusters held in memory");
        let edited: Vec<bool> = texts
            .iter()
            .enumerate()
            .map(|(doc, text)| {
                let p = &outcome.params;
                edit_document(
                    text,
                    p.split,
                    p.unit,
                    p.normalize,
                    &plan.removals(doc as u32),
                )
                .unwrap()
                .all_repeats
            })
            .collect();
        assert_eq!(edited, [false, true, false, false]);
        assert_eq!(plan.whole_repeats(&outcome), edited);
        assert_eq!(whole_repeats(&outcome).unwrap(), edited);
    }

    #[test]
    fn the_plan_gives_each_document_its_removals_by_paragraph_as_the_clusters_say() {
        use crate::{Document, Location, ScanParams, Scanner};
        // Shared paragraphs in a different order in each document, some with a word changed
        // (near copies, similarity below 1), so that a document's removals come in cluster
        // order unsorted.
        let shared: Vec<String> = (0..12)
            .map(|i| {
                (0..14)
                    .map(|w| format!("word{}", (i * 31 + w * 7) % 97))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let mut state = 7u64;
        let documents: Vec<Document> = (0..40)
            .map(|doc| {
                let paragraphs: Vec<String> = (0..8)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let mut text = shared[(state >> 33) as usize % shared.len()].clone();
                        if (state >> 20).is_multiple_of(3) {
                            text.push_str(&format!(" extra{doc}"));
                        }
                        text
                    })
                    .collect();
                Document {
                    id: doc.to_string(),
                    source: None,
                    location: Location {
                        path: format!("{doc}.txt"),
                        line: None,
                        row: None,
                    },
                    text: paragraphs.join("\n\n"),
                }
            })
            .collect();
        let mut scanner = Scanner::new(ScanParams::default()).unwrap();
        scanner.add_batch(documents);
        let outcome = scanner.finish();
        let plan = DedupPlan::new(&outcome).expect("clusters held in memory");
        let mut expected: Vec<Vec<Removal>> = vec![Vec::new(); outcome.documents.len()];
        for cluster in &outcome.clusters {
            let canonical = cluster.canonical();
            for member in cluster
                .members
                .iter()
                .skip(1)
                .filter(|m| !m.holds_canonical)
            {
                expected[member.doc as usize].push(Removal {
                    paragraph: member.paragraph,
                    span: member.span,
                    cluster: cluster.id,
                    canonical_doc: canonical.doc,
                    similarity: member.similarity,
                });
            }
        }
        let mut unsorted = 0;
        for (doc, removals) in expected.iter_mut().enumerate() {
            unsorted += usize::from(!removals.is_sorted_by_key(|r| r.paragraph));
            removals.sort_by_key(|r| r.paragraph);
            assert_eq!(&plan.removals(doc as u32), removals, "document {doc}");
            assert_eq!(plan.removal_count(doc as u32), removals.len());
        }
        assert!(unsorted > 0, "some documents' removals came unsorted");
        assert!(
            plan.similarities.values().any(|&s| s < 1.0),
            "near copies kept their similarities"
        );
        assert_eq!(
            plan.paragraph_count(),
            expected.iter().map(Vec::len).sum::<usize>()
        );
        assert!(plan.removals(999).is_empty());
    }

    #[test]
    fn a_span_past_four_gib_is_kept_whole() {
        let far = Removal {
            paragraph: 3,
            span: Span {
                start: 5 << 30,
                end: (5 << 30) + 100,
            },
            cluster: 9,
            canonical_doc: 1,
            similarity: 0.9,
        };
        let mut plan = DedupPlan {
            removals: vec![PlannedRemoval::default()],
            starts: vec![0, 1],
            ..DedupPlan::default()
        };
        plan.place_removal(0, &far);
        assert_eq!(plan.removals(0), [far]);
    }

    #[test]
    fn a_changed_input_is_an_error() {
        let stale = removal("first line\nsecond line\n", 1, SplitMode::Line);
        assert!(edit_document(
            "first line\nsecond, longer line\n",
            SplitMode::Line,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &[stale]
        )
        .is_err());
    }

    #[test]
    fn cut_undecoded_keeps_invalid_bytes_where_they_were() {
        let bytes = b"caf\xE9 one\nx\xFF\xFEy two\ncaf\xE9 one\n";
        let text = String::from_utf8_lossy(bytes);
        let removals = [removal(&text, 2, SplitMode::Line)];
        let edited = edit_document(
            &text,
            SplitMode::Line,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &removals,
        )
        .unwrap();
        assert_eq!(
            cut_undecoded(bytes, &edited.removed),
            b"caf\xE9 one\nx\xFF\xFEy two\n"
        );
        let first = [removal(&text, 0, SplitMode::Line)];
        let edited = edit_document(
            &text,
            SplitMode::Line,
            Unit::Paragraph,
            NormalizeOptions::default(),
            &first,
        )
        .unwrap();
        assert_eq!(
            cut_undecoded(bytes, &edited.removed),
            b"x\xFF\xFEy two\ncaf\xE9 one\n"
        );
        assert_eq!(cut_undecoded(b"ok", &[0..1, 2..2]), b"k");
    }

    #[test]
    fn ranges_merge_and_keep_every_kept_paragraph() {
        let spans = [
            Span { start: 0, end: 2 },
            Span { start: 3, end: 5 },
            Span { start: 6, end: 8 },
            Span { start: 9, end: 11 },
        ];
        assert_eq!(
            removed_ranges(&spans, &[false, true, true, false]),
            vec![3..9]
        );
        assert_eq!(
            removed_ranges(&spans, &[true, false, false, true]),
            vec![0..3, 8..11]
        );
    }
}
