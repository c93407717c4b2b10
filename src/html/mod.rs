//! The HTML report: one self-contained page for people who will not read JSON.
//!
//! The page carries everything it shows (styles, script, plots as inline SVG) and loads nothing:
//! its Content-Security-Policy allows no network at all, and only the page's own style sheet and
//! script, named by their SHA-256 hashes. Every string from the corpus goes through the template
//! engine's HTML escaping (or, in plots, the same escaping by hand), so that scraped markup shows
//! as text and a scraped `<script>` never runs.
//!
//! The page needs every copy once (the similarity plot, the per-document ratios) and the listed
//! copies of the clusters it shows. [`PageCopies::gather`] reads the clusters once for both,
//! a window at a time when a scan left its copies on disk past its memory budget, and keeps only
//! counts and the listed copies. Rendering is then pure: [`render`] takes the [`Report`], what the
//! scan kept of each document, the gathered copies and the text of the listed ones, and returns
//! the page. [`PageCopies::members_to_fetch`] names those, so that the caller reads back from the
//! input only what is shown: the `top` clusters with the most copies, at most [`MEMBERS_SHOWN`]
//! copies of each.
//!
//! ```
//! use paradup::html::{render, HtmlOptions, MemberTexts, PageCopies};
//! use paradup::{Document, Location, Report, ScanParams, Scanner};
//!
//! let line = "Speaking late on Monday, the minister defended the budget before the assembly.";
//! let text = format!("{line}\n<b>unrelated</b>\n{line}\n");
//! let mut scanner = Scanner::new(ScanParams::default()).unwrap();
//! scanner.add_batch(vec![Document {
//!     id: "a".into(),
//!     source: None,
//!     location: Location { path: "a.txt".into(), line: None, row: None },
//!     text: text.clone(),
//! }]);
//! let outcome = scanner.finish();
//! let report = Report::new(&outcome, vec![line.to_string()], Vec::new(), 0.0).unwrap();
//! let options = HtmlOptions::default();
//! let copies = PageCopies::gather(&report, outcome.documents.len(), &options).unwrap();
//! let wanted = copies.members_to_fetch();
//! let texts = wanted.iter().map(|m| text.get(m.start..m.end).map(str::to_owned)).collect();
//! let texts = MemberTexts::from_fetched(&wanted, texts);
//! let page = render(&report, &outcome.documents, &copies, &texts, &options).unwrap();
//! assert!(page.starts_with("<!DOCTYPE html>"));
//! assert!(page.contains("the minister defended the budget"));
//! ```

mod diff;
mod plot;

use crate::display::{human_bytes, percent, ratio};
use crate::report::{ranked_sources, Report, ReportCluster};
use crate::scan::{ClusterKind, DocumentTable, Member};
use base64::Engine as _;
use diff::{side_by_side, Segment, SegmentKind};
use minijinja::value::{Serde, Value};
use minijinja::{context, AutoEscape, Environment};
use paradup_core::spill::SpillError;
use plot::{column_chart, row_chart, Column, Row, Series};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// The page template.
const TEMPLATE: &str = include_str!("../../templates/report.html");
/// The page's style sheet, inlined.
const STYLE: &str = include_str!("../../templates/report.css");
/// The page's script (filtering, search, sorting), inlined.
const SCRIPT: &str = include_str!("../../templates/report.js");

/// Clusters shown in full by default.
pub const DEFAULT_TOP: usize = 200;
/// Copies of one cluster listed on the page; the rest are counted.
pub const MEMBERS_SHOWN: usize = 20;
/// Distinct wordings of one cluster compared side by side with its canonical copy.
const VARIANTS_SHOWN: usize = 4;
/// Characters of a paragraph shown before it is cut.
const TEXT_CHARS: usize = 4000;
/// Characters of a paragraph in a table preview.
const PREVIEW_CHARS: usize = 180;
/// Rows of the per-source or per-document plot.
const PLOT_ROWS: usize = 25;

/// Colours shared by the plots and the page's badges.
const CROSS_COLOR: &str = "#2563eb";
const WITHIN_COLOR: &str = "#d97706";
const NEAR_COLOR: &str = "#7c3aed";
const IDENTICAL_COLOR: &str = "#94a3b8";
const RATIO_COLOR: &str = "#0f766e";

/// How much the page shows.
#[derive(Clone, Debug)]
pub struct HtmlOptions {
    /// Clusters shown in full (the most copies first); also the rows of the boilerplate, the
    /// per-document, the per-source and the skipped-record tables. The rest are counted.
    pub top: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions { top: DEFAULT_TOP }
    }
}

/// A copy whose text the page shows: cluster `cluster`'s member `member`, which is
/// `start..end` of document `doc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberRef {
    /// The cluster's id.
    pub cluster: usize,
    /// The member's position in the cluster (0 is the canonical copy).
    pub member: usize,
    /// The document's position in input order.
    pub doc: u32,
    /// Byte offset of the copy in the document's text.
    pub start: usize,
    /// Byte offset one past its end.
    pub end: usize,
}

/// The text of the copies the page shows, by cluster and member.
#[derive(Clone, Debug, Default)]
pub struct MemberTexts {
    texts: HashMap<(usize, usize), String>,
}

impl MemberTexts {
    /// No texts: every copy but the canonical one shows as unavailable.
    pub fn new() -> Self {
        MemberTexts::default()
    }

    /// Pairs the copies asked for with the texts read back (`None`: no longer readable).
    pub fn from_fetched(refs: &[MemberRef], texts: Vec<Option<String>>) -> Self {
        let mut out = MemberTexts::new();
        for (r, text) in refs.iter().zip(texts) {
            if let Some(text) = text {
                out.insert(r.cluster, r.member, text);
            }
        }
        out
    }

    /// Records the text of one copy.
    pub fn insert(&mut self, cluster: usize, member: usize, text: String) {
        self.texts.insert((cluster, member), text);
    }

    fn get(&self, cluster: usize, member: usize) -> Option<&str> {
        self.texts.get(&(cluster, member)).map(String::as_str)
    }
}

/// The template could not be rendered (a defect of paradup, not of the input).
#[derive(Debug)]
pub struct RenderError(String);

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot render the HTML report: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

/// The clusters shown in full, in the page's order: most copies first, then most duplicate
/// bytes, then input order.
pub fn shown_clusters(report: &Report, options: &HtmlOptions) -> Vec<usize> {
    // (position, copies, duplicate bytes, id) of every cluster.
    let mut order: Vec<(usize, usize, u64, usize)> = report
        .clusters
        .iter()
        .enumerate()
        .map(|(index, c)| (index, c.size, c.duplicate_bytes, c.id))
        .collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));
    order.truncate(options.top);
    order.into_iter().map(|(index, ..)| index).collect()
}

/// The listed copies of one shown cluster, and what the page says of all of them.
#[derive(Debug)]
struct ShownCopies {
    /// The first [`MEMBERS_SHOWN`] copies, canonical first.
    listed: Vec<Member>,
    /// The lowest similarity of any copy to the canonical one (as the report rounds it).
    min_similarity: f64,
}

/// What the page needs from the copies of every cluster, gathered in one reading of them (see the
/// module's documentation): the listed copies of the shown clusters, and counts of the rest.
#[derive(Debug)]
pub struct PageCopies {
    /// The shown clusters, in the page's order.
    order: Vec<usize>,
    /// By cluster id.
    shown: HashMap<usize, ShownCopies>,
    /// Repeats (copies but the canonical one) by similarity to their canonical copy as the report
    /// rounds it, keyed by its bits, which order similarities (never negative) as their values do.
    similarities: BTreeMap<u64, u64>,
    /// `(duplicate paragraphs, duplicate bytes)` by document index.
    per_doc: Vec<(u64, u64)>,
}

impl PageCopies {
    /// Reads every cluster's copies once (a window at a time when they are on disk) for a page
    /// of `report` over `documents` documents. Fails only when copies on disk cannot be read.
    pub fn gather(
        report: &Report,
        documents: usize,
        options: &HtmlOptions,
    ) -> Result<PageCopies, SpillError> {
        let order = shown_clusters(report, options);
        let mut shown: HashMap<usize, ShownCopies> = order
            .iter()
            .map(|&index| {
                let copies = ShownCopies {
                    listed: Vec::new(),
                    min_similarity: 1.0,
                };
                (index, copies)
            })
            .collect();
        let mut similarities = BTreeMap::new();
        let mut per_doc = vec![(0u64, 0u64); documents];
        report.clusters.try_for_each_run(|cluster, first| {
            // The run's copies but the canonical one.
            let skip = usize::from(first == 0);
            for m in cluster.members.iter().skip(skip) {
                *similarities.entry(m.similarity.to_bits()).or_insert(0) += 1;
                if let Some(entry) = per_doc.get_mut(m.doc_index as usize) {
                    entry.0 += 1;
                    entry.1 += m.span.len() as u64;
                }
            }
            if let Some(copies) = shown.get_mut(&cluster.id) {
                let members = cluster.members.scan_members();
                let wanted = MEMBERS_SHOWN.saturating_sub(first);
                copies.listed.extend(members.iter().take(wanted).cloned());
                copies.min_similarity = cluster
                    .members
                    .iter()
                    .map(|m| m.similarity)
                    .fold(copies.min_similarity, f64::min);
            }
            Ok::<(), SpillError>(())
        })?;
        Ok(PageCopies {
            order,
            shown,
            similarities,
            per_doc,
        })
    }

    /// The copies whose text [`render`] needs beyond the canonical copies the report holds: the
    /// listed copies of every shown cluster, in the page's order.
    pub fn members_to_fetch(&self) -> Vec<MemberRef> {
        self.order
            .iter()
            .filter_map(|index| Some((*index, self.shown.get(index)?)))
            .flat_map(|(index, copies)| {
                copies
                    .listed
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(move |(member, m)| MemberRef {
                        cluster: index,
                        member,
                        doc: m.doc,
                        start: m.span.start,
                        end: m.span.end,
                    })
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// What the template sees. Every field that comes from the corpus is a plain string, escaped on
// output; only `Plot::svg` is markup, built by `plot` with its own escaping.

#[derive(Serialize)]
struct Page {
    version: &'static str,
    schema: &'static str,
    seconds: String,
    params: String,
    cards: Vec<Card>,
    plots: Vec<Plot>,
    boilerplate: Table<BoilerplateRow>,
    within: Table<WithinRow>,
    sources: Option<Table<SourceRow>>,
    clusters: Vec<ClusterView>,
    clusters_total: usize,
    clusters_more: usize,
    errors: Table<ErrorRow>,
}

#[derive(Serialize)]
struct Table<T> {
    rows: Vec<T>,
    more: usize,
}

impl<T> Table<T> {
    fn cut(mut rows: Vec<T>, top: usize) -> Self {
        let more = rows.len().saturating_sub(top);
        rows.truncate(top);
        Table { rows, more }
    }
}

#[derive(Serialize)]
struct Card {
    label: &'static str,
    value: String,
    detail: String,
    tone: &'static str,
}

#[derive(Serialize)]
struct Plot {
    id: &'static str,
    title: String,
    caption: String,
    svg: String,
}

#[derive(Serialize)]
struct BoilerplateRow {
    rank: usize,
    cluster: usize,
    shown: bool,
    documents: usize,
    document_share: String,
    copies: usize,
    duplicate_bytes: String,
    preview: String,
}

#[derive(Serialize)]
struct ClusterLink {
    cluster: usize,
    shown: bool,
    copies: usize,
}

#[derive(Serialize)]
struct WithinRow {
    location: String,
    doc: String,
    repeats: u64,
    paragraphs: Option<u32>,
    share: Option<String>,
    duplicate_bytes: String,
    clusters: Vec<ClusterLink>,
}

#[derive(Serialize)]
struct SourceRow {
    source: String,
    documents: u64,
    paragraphs: u64,
    duplicate_paragraphs: u64,
    ratio: String,
    byte_ratio: String,
}

#[derive(Serialize)]
struct ErrorRow {
    location: String,
    message: String,
}

#[derive(Serialize)]
struct MemberView {
    number: usize,
    location: String,
    doc: String,
    paragraph: u32,
    start: usize,
    end: usize,
    similarity: String,
    containment: String,
    variant: String,
}

#[derive(Serialize)]
struct VariantView {
    label: String,
    copies: usize,
    similarity: String,
    left: Vec<Segment>,
    right: Vec<Segment>,
}

#[derive(Serialize)]
struct ClusterView {
    id: usize,
    rank: usize,
    kind: &'static str,
    kind_label: &'static str,
    size: usize,
    documents: usize,
    duplicate_bytes: u64,
    duplicate_bytes_human: String,
    min_similarity: f64,
    min_similarity_text: String,
    canonical: Vec<Segment>,
    canonical_cut: usize,
    members: Vec<MemberView>,
    members_more: usize,
    variants: Vec<VariantView>,
    variants_more: usize,
    unavailable: usize,
}

// ---------------------------------------------------------------------------------------------

fn similarity_text(value: f64) -> String {
    if value >= 1.0 {
        "1".into()
    } else {
        format!("{value:.3}")
    }
}

/// The first `chars` characters of `text`, and how many bytes were left out.
fn cut_text(text: &str, chars: usize) -> (&str, usize) {
    match text.char_indices().nth(chars) {
        Some((at, _)) => (&text[..at], text.len() - at),
        None => (text, 0),
    }
}

/// A paragraph on one line, cut to `chars` characters.
fn preview(text: &str, chars: usize) -> String {
    // Only the start of a long paragraph is flattened.
    let (start, left_out) = cut_text(text, chars * 2);
    let flat = start.split_whitespace().collect::<Vec<_>>().join(" ");
    let (head, rest) = cut_text(&flat, chars);
    if rest == 0 && left_out == 0 {
        flat
    } else {
        format!("{head}…")
    }
}

fn plain(text: &str) -> Vec<Segment> {
    vec![Segment {
        kind: SegmentKind::Same,
        text: text.to_owned(),
    }]
}

fn kind_of(cluster: &ReportCluster) -> (&'static str, &'static str) {
    match cluster.kind {
        ClusterKind::CrossDocument => ("cross_document", "across documents"),
        ClusterKind::WithinDocument => ("within_document", "within one document"),
    }
}

fn cards(report: &Report) -> Vec<Card> {
    let s = &report.summary;
    let clusters = s.totals.cross_document_clusters + s.totals.within_document_clusters;
    vec![
        Card {
            label: "Documents",
            value: s.totals.documents.to_string(),
            detail: format!("{} of text", human_bytes(s.totals.bytes)),
            tone: "plain",
        },
        Card {
            label: "Paragraphs",
            value: s.totals.paragraphs.to_string(),
            detail: format!(
                "{} distinct after normalization",
                s.totals.distinct_paragraphs
            ),
            tone: "plain",
        },
        Card {
            label: "Duplicate paragraphs",
            value: percent(s.totals.duplicate_ratio),
            detail: format!(
                "{} repeats of an earlier paragraph",
                s.totals.duplicate_paragraphs
            ),
            tone: "accent",
        },
        Card {
            label: "Duplicate bytes",
            value: percent(s.totals.duplicate_byte_ratio),
            detail: format!(
                "{} that dedup would remove",
                human_bytes(s.totals.duplicate_bytes)
            ),
            tone: "accent",
        },
        Card {
            label: "Clusters",
            value: clusters.to_string(),
            detail: format!(
                "{} across documents · {} within one document",
                s.totals.cross_document_clusters, s.totals.within_document_clusters
            ),
            tone: "plain",
        },
        Card {
            label: "Skipped records",
            value: s.skipped_records.to_string(),
            detail: if s.skipped_records == 0 {
                "every record was read".into()
            } else {
                "records or files left out: see below".into()
            },
            tone: if s.skipped_records == 0 {
                "plain"
            } else {
                "warn"
            },
        },
    ]
}

fn params_line(report: &Report) -> String {
    let p = &report.params;
    format!(
        "Jaccard threshold {} on word {}-grams · {} MinHash functions as {} bands × {} rows · \
         near matching from {} words · split {} · NFKC, lowercase, punctuation removed, digits {} · \
         seed {}",
        p.threshold,
        p.ngram,
        p.num_perm,
        p.bands,
        p.rows,
        p.min_words,
        p.split,
        if p.normalization.fold_digits {
            "folded"
        } else {
            "kept"
        },
        p.seed
    )
}

/// Cluster sizes in bins that stay readable from two copies to millions.
fn size_plot(report: &Report) -> Plot {
    const EDGES: [usize; 9] = [2, 3, 4, 6, 10, 20, 50, 100, 1000];
    const LABELS: [&str; 9] = [
        "2",
        "3",
        "4–5",
        "6–9",
        "10–19",
        "20–49",
        "50–99",
        "100–999",
        "1000+",
    ];
    let mut counts = [[0u64; 2]; 9];
    for cluster in report.clusters.iter() {
        let bin = EDGES.iter().rposition(|&e| cluster.size >= e).unwrap_or(0);
        let series = match cluster.kind {
            ClusterKind::CrossDocument => 0,
            ClusterKind::WithinDocument => 1,
        };
        counts[bin][series] += 1;
    }
    let last = counts
        .iter()
        .rposition(|c| c[0] + c[1] > 0)
        .unwrap_or(0)
        .max(2);
    let columns: Vec<Column> = counts[..=last]
        .iter()
        .zip(LABELS)
        .map(|(c, label)| Column {
            label: label.into(),
            values: c.to_vec(),
        })
        .collect();
    let series = [
        Series {
            name: "across documents",
            color: CROSS_COLOR,
        },
        Series {
            name: "within one document",
            color: WITHIN_COLOR,
        },
    ];
    Plot {
        id: "plot-sizes",
        title: "Cluster sizes".into(),
        caption: format!("{} clusters by number of copies", report.clusters.len()),
        svg: column_chart(
            "Number of clusters by number of copies",
            &columns,
            &series,
            "clusters",
        ),
    }
}

/// Similarity of every repeat to its cluster's canonical copy.
fn similarity_plot(report: &Report, copies: &PageCopies) -> Plot {
    let similarities = || {
        copies
            .similarities
            .iter()
            .map(|(bits, count)| (f64::from_bits(*bits), *count))
    };
    let threshold = report.params.threshold;
    let lowest = similarities()
        .map(|(s, _)| s)
        .filter(|s| *s < 1.0)
        .fold(threshold, f64::min);
    let width = if lowest >= 0.5 { 0.02 } else { 0.05 };
    let start = (lowest / width + 1e-9).floor() * width;
    let bins = (((1.0 - start) / width) - 1e-9).ceil().max(1.0) as usize;
    let mut near = vec![0u64; bins];
    let mut identical = 0u64;
    for (s, count) in similarities() {
        if s >= 1.0 {
            identical += count;
        } else {
            let bin = (((s - start) / width) + 1e-9).floor().max(0.0) as usize;
            near[bin.min(bins - 1)] += count;
        }
    }
    let mut columns: Vec<Column> = near
        .iter()
        .enumerate()
        .map(|(i, &n)| Column {
            label: format!("{:.2}", start + i as f64 * width),
            values: vec![n, 0],
        })
        .collect();
    columns.push(Column {
        label: "1".into(),
        values: vec![0, identical],
    });
    let near_total: u64 = near.iter().sum();
    let series = [
        Series {
            name: "near copies",
            color: NEAR_COLOR,
        },
        Series {
            name: "similarity 1",
            color: IDENTICAL_COLOR,
        },
    ];
    Plot {
        id: "plot-similarity",
        title: "Similarity of repeats to their canonical copy".into(),
        caption: format!(
            "{} repeats: {} with similarity 1, {} near copies (bins of {width}, threshold {threshold})",
            identical + near_total,
            identical,
            near_total
        ),
        svg: column_chart(
            "Number of repeats by Jaccard similarity to the canonical copy",
            &columns,
            &series,
            "repeats",
        ),
    }
}

/// The duplicate ratio per source when documents name one (the plot and the table, from the
/// report's own per-source totals, so that every output shows the same figures), otherwise per
/// document (the plot only).
fn ratio_views(
    report: &Report,
    documents: &DocumentTable,
    per_doc: &[(u64, u64)],
    top: usize,
) -> (Option<Plot>, Option<Table<SourceRow>>) {
    if !report.sources.is_empty() {
        let ranked = ranked_sources(&report.sources);
        let rows: Vec<Row> = ranked
            .iter()
            .take(PLOT_ROWS)
            .map(|t| Row {
                label: t.label().to_owned(),
                ratio: t.duplicate_ratio,
                note: format!(
                    "({} of {} paragraphs, {} documents)",
                    t.duplicate_paragraphs, t.paragraphs, t.documents
                ),
            })
            .collect();
        let count = ranked.len();
        let plot = Plot {
            id: "plot-sources",
            title: "Duplicate paragraphs per source".into(),
            caption: if count > PLOT_ROWS {
                format!("the {PLOT_ROWS} sources with the highest share, of {count}")
            } else {
                format!("{count} sources, highest share first")
            },
            svg: row_chart(
                "Share of duplicate paragraphs per source",
                &rows,
                RATIO_COLOR,
            ),
        };
        let table = ranked
            .into_iter()
            .map(|t| SourceRow {
                source: t.label().to_owned(),
                documents: t.documents,
                paragraphs: t.paragraphs,
                duplicate_paragraphs: t.duplicate_paragraphs,
                ratio: percent(t.duplicate_ratio),
                byte_ratio: percent(t.duplicate_byte_ratio),
            })
            .collect();
        return (Some(plot), Some(Table::cut(table, top)));
    }
    let mut ranked: Vec<(usize, f64)> = documents
        .iter()
        .zip(per_doc)
        .enumerate()
        .filter(|(_, (_, dup))| dup.0 > 0)
        .map(|(i, (doc, dup))| (i, ratio(dup.0, u64::from(doc.word_paragraphs))))
        .collect();
    if ranked.is_empty() {
        return (None, None);
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let count = ranked.len();
    let rows: Vec<Row> = ranked
        .iter()
        .take(PLOT_ROWS)
        .map(|&(i, r)| Row {
            label: documents.at(i).location.to_string(),
            ratio: r,
            note: format!(
                "({} of {} paragraphs)",
                per_doc[i].0,
                documents.at(i).word_paragraphs
            ),
        })
        .collect();
    let plot = Plot {
        id: "plot-documents",
        title: "Duplicate paragraphs per document".into(),
        caption: if count > PLOT_ROWS {
            format!("the {PLOT_ROWS} documents with the highest share, of {count} with repeats")
        } else {
            format!("{count} documents with repeats, highest share first")
        },
        svg: row_chart(
            "Share of duplicate paragraphs per document",
            &rows,
            RATIO_COLOR,
        ),
    };
    (Some(plot), None)
}

/// The first `top` entries of the boilerplate ranking (previews are made for those only).
fn boilerplate_rows(report: &Report, shown: &[bool], top: usize) -> Table<BoilerplateRow> {
    let rows = report
        .boilerplate
        .iter()
        .take(top)
        .enumerate()
        .filter_map(|(rank, entry)| {
            let cluster = report.clusters.get(entry.cluster)?;
            Some(BoilerplateRow {
                rank: rank + 1,
                cluster: cluster.id,
                shown: shown.get(cluster.id).copied().unwrap_or(false),
                documents: cluster.documents,
                document_share: percent(ratio(
                    cluster.documents as u64,
                    report.summary.totals.documents,
                )),
                copies: cluster.size,
                duplicate_bytes: human_bytes(cluster.duplicate_bytes),
                preview: preview(cluster.text, PREVIEW_CHARS),
            })
        })
        .collect();
    Table {
        rows,
        more: report.boilerplate.len().saturating_sub(top),
    }
}

fn within_rows(report: &Report, documents: &DocumentTable, shown: &[bool]) -> Vec<WithinRow> {
    struct Acc {
        location: String,
        doc: String,
        repeats: u64,
        bytes: u64,
        clusters: Vec<ClusterLink>,
    }
    let mut per_doc: BTreeMap<u32, Acc> = BTreeMap::new();
    for cluster in report
        .clusters
        .iter()
        .filter(|c| c.kind == ClusterKind::WithinDocument)
    {
        let Some(first) = cluster.members.get(0) else {
            continue;
        };
        let acc = per_doc.entry(first.doc_index).or_insert_with(|| Acc {
            location: first.location.to_string(),
            doc: first.doc.to_string(),
            repeats: 0,
            bytes: 0,
            clusters: Vec::new(),
        });
        acc.repeats += cluster.size as u64 - 1;
        acc.bytes += cluster.duplicate_bytes;
        acc.clusters.push(ClusterLink {
            cluster: cluster.id,
            shown: shown.get(cluster.id).copied().unwrap_or(false),
            copies: cluster.size,
        });
    }
    let mut ranked: Vec<(u32, Acc)> = per_doc.into_iter().collect();
    ranked.sort_by(|a, b| b.1.repeats.cmp(&a.1.repeats).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .map(|(index, acc)| {
            let paragraphs = documents.get(index as usize).map(|d| d.word_paragraphs);
            WithinRow {
                share: paragraphs.map(|p| percent(ratio(acc.repeats, u64::from(p)))),
                paragraphs,
                doc: if acc.doc == acc.location {
                    String::new()
                } else {
                    acc.doc
                },
                location: acc.location,
                repeats: acc.repeats,
                duplicate_bytes: human_bytes(acc.bytes),
                clusters: acc.clusters,
            }
        })
        .collect()
}

/// Letters for the distinct wordings of a cluster: A is the canonical copy's.
fn variant_label(index: usize) -> String {
    match u8::try_from(index) {
        Ok(i) if i < 26 => char::from(b'A' + i).to_string(),
        _ => format!("#{}", index + 1),
    }
}

fn cluster_view(
    cluster: &ReportCluster,
    min_similarity: f64,
    rank: usize,
    texts: &MemberTexts,
) -> ClusterView {
    let (kind, kind_label) = kind_of(cluster);
    let (canonical, canonical_cut) = cut_text(cluster.text, TEXT_CHARS);
    // Distinct wordings among the listed copies, in order of first appearance.
    let mut wordings: Vec<&str> = vec![cluster.text];
    let mut variant_copies: Vec<usize> = vec![1];
    let mut variant_similarity: Vec<f64> = vec![1.0];
    let mut members = Vec::new();
    let mut unavailable = 0;
    for (number, m) in cluster.members.iter().enumerate().take(MEMBERS_SHOWN) {
        let variant = if number == 0 {
            variant_label(0)
        } else {
            match texts.get(cluster.id, number) {
                Some(text) => {
                    let index = match wordings.iter().position(|w| *w == text) {
                        Some(index) => index,
                        None => {
                            wordings.push(text);
                            variant_copies.push(0);
                            variant_similarity.push(m.similarity);
                            wordings.len() - 1
                        }
                    };
                    variant_copies[index] += 1;
                    variant_label(index)
                }
                None => {
                    unavailable += 1;
                    "?".into()
                }
            }
        };
        let location = m.location.to_string();
        members.push(MemberView {
            number: number + 1,
            doc: if m.doc == location {
                String::new()
            } else {
                m.doc.to_string()
            },
            location,
            paragraph: m.paragraph,
            start: m.start,
            end: m.end,
            similarity: similarity_text(m.similarity),
            containment: similarity_text(m.containment),
            variant,
        });
    }
    let variants = wordings
        .iter()
        .enumerate()
        .skip(1)
        .take(VARIANTS_SHOWN)
        .map(|(index, wording)| {
            let (text, _) = cut_text(wording, TEXT_CHARS);
            let diff = side_by_side(canonical, text);
            VariantView {
                label: variant_label(index),
                copies: variant_copies[index],
                similarity: similarity_text(variant_similarity[index]),
                left: diff.left,
                right: diff.right,
            }
        })
        .collect();
    ClusterView {
        id: cluster.id,
        rank,
        kind,
        kind_label,
        size: cluster.size,
        documents: cluster.documents,
        duplicate_bytes: cluster.duplicate_bytes,
        duplicate_bytes_human: human_bytes(cluster.duplicate_bytes),
        min_similarity,
        min_similarity_text: similarity_text(min_similarity),
        canonical: plain(canonical),
        canonical_cut,
        members_more: cluster.size.saturating_sub(MEMBERS_SHOWN),
        members,
        variants_more: wordings.len().saturating_sub(1 + VARIANTS_SHOWN),
        variants,
        unavailable,
    }
}

/// `'sha256-…'`, the Content-Security-Policy source naming an inline block by its hash.
fn csp_hash(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Renders the page. `documents` is what the scan kept of each document (for the per-document
/// and per-source views; an empty table leaves those out); `copies` were gathered from `report`
/// with the same `options`; `texts` holds the copies [`PageCopies::members_to_fetch`] lists (a
/// copy without text shows as unavailable).
pub fn render(
    report: &Report,
    documents: &DocumentTable,
    copies: &PageCopies,
    texts: &MemberTexts,
    options: &HtmlOptions,
) -> Result<String, RenderError> {
    let top = options.top;
    let order = &copies.order;
    let mut shown = vec![false; report.clusters.len()];
    for &index in order {
        shown[index] = true;
    }
    let (ratio_plot, sources) = ratio_views(report, documents, &copies.per_doc, top);
    let mut plots = vec![size_plot(report), similarity_plot(report, copies)];
    plots.extend(ratio_plot);
    let page = Page {
        version: report.tool.version,
        schema: report.schema,
        seconds: format!("{:.2}", report.timing.seconds),
        params: params_line(report),
        cards: cards(report),
        plots,
        boilerplate: boilerplate_rows(report, &shown, top),
        within: Table::cut(within_rows(report, documents, &shown), top),
        sources,
        clusters: order
            .iter()
            .enumerate()
            .filter_map(|(rank, &index)| {
                let listed = copies.shown.get(&index)?;
                let cluster = report.clusters.with_members(index, &listed.listed)?;
                Some(cluster_view(&cluster, listed.min_similarity, rank, texts))
            })
            .collect(),
        clusters_total: report.clusters.len(),
        clusters_more: report.clusters.len() - order.len(),
        errors: Table::cut(
            report
                .errors
                .iter()
                .map(|e| ErrorRow {
                    location: match e.line.or(e.row) {
                        Some(line) => format!("{}:{}", e.path, line),
                        None => e.path.clone(),
                    },
                    message: e.message.clone(),
                })
                .collect(),
            top,
        ),
    };
    let csp = format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; \
         form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| RenderError(e.to_string()))?;
    let template = env
        .get_template("report.html")
        .map_err(|e| RenderError(e.to_string()))?;
    template
        .render(context! {
            page => Value::from(Serde(&page)),
            csp => Value::from_safe_string(csp),
            style => Value::from_safe_string(STYLE.to_owned()),
            script => Value::from_safe_string(SCRIPT.to_owned()),
        })
        .map_err(|e| RenderError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Document, Location, ScanParams, Scanner};

    const BODY: &str =
        "The regional port authority approved a second container terminal on Monday evening.";
    const NEAR: &str =
        "The regional port authority approved a third container terminal on Monday evening.";

    fn doc(id: &str, source: Option<&str>, text: &str) -> Document {
        Document {
            id: id.into(),
            source: source.map(str::to_owned),
            location: Location {
                path: format!("{id}.txt"),
                line: None,
                row: None,
            },
            text: text.into(),
        }
    }

    /// Scans `docs` and renders the page with every listed copy's text; returns the number of
    /// clusters and the page.
    fn page_for(docs: Vec<Document>, options: &HtmlOptions) -> (usize, String) {
        // A low threshold and short bands, so that one changed word in a short line still matches.
        let params = ScanParams {
            threshold: 0.5,
            min_words: 3,
            banding: crate::Banding { bands: 64, rows: 2 },
            ..ScanParams::default()
        };
        let mut scanner = Scanner::new(params).unwrap();
        let texts: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
        scanner.add_batch(docs);
        let outcome = scanner.finish();
        let canonical = outcome
            .clusters
            .iter()
            .map(|c| {
                let m = c.canonical();
                texts[m.doc as usize][m.span.start..m.span.end].to_owned()
            })
            .collect();
        let report = Report::new(&outcome, canonical, Vec::new(), 0.0).unwrap();
        let copies = PageCopies::gather(&report, outcome.documents.len(), options).unwrap();
        let wanted = copies.members_to_fetch();
        let fetched = wanted
            .iter()
            .map(|m| texts[m.doc as usize].get(m.start..m.end).map(str::to_owned))
            .collect();
        let page = render(
            &report,
            &outcome.documents,
            &copies,
            &MemberTexts::from_fetched(&wanted, fetched),
            options,
        )
        .unwrap();
        (report.clusters.len(), page)
    }

    #[test]
    fn corpus_markup_is_escaped_everywhere() {
        let evil = "<script>alert(1)</script> <img src=x onerror=alert(2)> \"quoted\" & more words";
        let (_, page) = page_for(
            vec![
                doc(
                    "a",
                    Some("<b>bold source</b>"),
                    &format!("{evil}\n\n{BODY}"),
                ),
                doc(
                    "b",
                    Some("<b>bold source</b>"),
                    &format!("{evil}\n\n{NEAR}"),
                ),
            ],
            &HtmlOptions::default(),
        );
        // The page's own script is the only script element.
        assert_eq!(page.matches("<script").count(), 1, "{page}");
        assert!(!page.contains("<img"));
        assert!(!page.contains("<b>bold"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(page.contains("&lt;b&gt;bold source&lt;&#x2f;b&gt;"));
    }

    #[test]
    fn near_copies_are_compared_word_by_word() {
        let (_, page) = page_for(
            vec![doc("a", None, BODY), doc("b", None, NEAR)],
            &HtmlOptions::default(),
        );
        assert!(page.contains("<del>second</del>"), "{page}");
        assert!(page.contains("<ins>third</ins>"));
        // The cluster's lowest similarity is the report's, rounded to six decimals.
        let sim = page
            .split("data-sim=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a cluster with its lowest similarity");
        let value: f64 = sim.parse().expect("a number");
        assert!(value < 1.0 && sim.len() <= 8, "{sim}");
    }

    #[test]
    fn the_top_limit_counts_the_rest() {
        let docs = vec![
            doc(
                "a",
                None,
                "alpha line one\n\nbeta line two\n\ngamma line three",
            ),
            doc(
                "b",
                None,
                "alpha line one\n\nbeta line two\n\ngamma line three",
            ),
        ];
        let (clusters, page) = page_for(docs.clone(), &HtmlOptions { top: 1 });
        assert_eq!(clusters, 3);
        assert_eq!(page.matches("<article class=\"cluster\"").count(), 1);
        assert!(page.contains("2 more clusters"), "{page}");
        let (_, page) = page_for(docs, &HtmlOptions::default());
        assert_eq!(page.matches("<article class=\"cluster\"").count(), 3);
    }

    #[test]
    fn previews_are_one_line_and_cut() {
        assert_eq!(preview("a  b\n\nc", 10), "a b c");
        assert_eq!(preview("abcdef", 3), "abc…");
        let spaced = format!("a{}b", " ".repeat(50));
        assert_eq!(preview(&spaced, 10), "a…");
        assert_eq!(cut_text("héllo", 2), ("hé", 3));
    }

    #[test]
    fn shown_members_are_bounded() {
        let text = vec![BODY; MEMBERS_SHOWN + 5].join("\n\n");
        let mut scanner = Scanner::new(ScanParams::default()).unwrap();
        scanner.add_batch(vec![doc("a", None, &text)]);
        let outcome = scanner.finish();
        let report = Report::new(&outcome, vec![BODY.into()], Vec::new(), 0.0).unwrap();
        let options = HtmlOptions::default();
        let copies = PageCopies::gather(&report, outcome.documents.len(), &options).unwrap();
        let wanted = copies.members_to_fetch();
        assert_eq!(wanted.len(), MEMBERS_SHOWN - 1);
        assert_eq!(copies.shown[&0].listed.len(), MEMBERS_SHOWN);
        assert!(wanted.iter().all(|m| &text[m.start..m.end] == BODY));
    }

    #[test]
    fn the_policy_names_the_inline_blocks_by_hash() {
        let (_, page) = page_for(vec![doc("a", None, BODY)], &HtmlOptions::default());
        assert!(page.contains(&format!("script-src {};", csp_hash(SCRIPT))));
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
    }
}
