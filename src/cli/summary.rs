//! The terminal summary: what a person reads in ten seconds.

pub use paradup::display::{human_bytes, percent, plural, terminal_safe};
use paradup::report::{ranked_sources, Report};
use paradup::ClusterKind;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The first `max` characters of a paragraph on one line, safe to print (control characters and
/// escape sequences shown escaped, see [`terminal_safe`]).
pub fn preview(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    };
    terminal_safe(&cut).into_owned()
}

/// `1 record or file`, `3 records or files`: what a skip count counts.
pub fn records_or_files(count: usize) -> String {
    if count == 1 {
        "1 record or file".into()
    } else {
        format!("{count} records or files")
    }
}

/// What the scan compares, as a noun: `paragraph`, or `document` under `--unit document`.
pub fn unit_noun(unit: &str) -> &'static str {
    if unit == "document" {
        "document"
    } else {
        "paragraph"
    }
}

/// Renders the summary of a report, listing at most `top` entries a section.
pub fn render(report: &Report, top: usize) -> String {
    let s = &report.summary;
    let unit = unit_noun(&report.params.unit);
    let mut out = String::new();
    let units = if unit == "paragraph" {
        format!("{}, ", plural(s.totals.paragraphs, unit))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "paradup scan: {}, {units}{}",
        plural(s.totals.documents, "document"),
        human_bytes(s.totals.bytes)
    );
    let _ = writeln!(
        out,
        "duplicates:   {} ({}), {} ({} of bytes)",
        plural(s.totals.duplicate_paragraphs, unit),
        percent(s.totals.duplicate_ratio),
        human_bytes(s.totals.duplicate_bytes),
        percent(s.totals.duplicate_byte_ratio)
    );
    let _ = writeln!(
        out,
        "clusters:     {} cross-document, {} within-document",
        s.totals.cross_document_clusters, s.totals.within_document_clusters
    );
    if let Some(indexed) = &s.totals.indexed {
        let _ = writeln!(
            out,
            "in the index: {} ({}) have a copy in the shard index, in {}",
            plural(indexed.indexed_paragraphs, unit),
            percent(indexed.indexed_ratio),
            plural(indexed.indexed_clusters, "cluster")
        );
    }
    if !report.boilerplate.is_empty() {
        let _ = writeln!(out, "\nShared across documents (most documents first):");
        for ranked in report.boilerplate.iter().take(top) {
            let Some(cluster) = report.clusters.get(ranked.cluster) else {
                continue;
            };
            let _ = writeln!(
                out,
                "  #{:<5} {:>5} docs {:>6} copies  \"{}\"",
                cluster.id,
                cluster.documents,
                cluster.size,
                preview(cluster.text, 60)
            );
        }
        if report.boilerplate.len() > top {
            let _ = writeln!(out, "  ... and {} more", report.boilerplate.len() - top);
        }
    }
    // Per document: repeated paragraphs, and where the first repeat sits.
    let mut per_doc: BTreeMap<u32, (String, u64, Vec<usize>)> = BTreeMap::new();
    for cluster in report
        .clusters
        .iter()
        .filter(|c| c.kind == ClusterKind::WithinDocument)
    {
        let Some(first) = cluster.members.get(0) else {
            continue;
        };
        let entry = per_doc.entry(first.doc_index).or_insert_with(|| {
            (
                terminal_safe(&first.location.to_string()).into_owned(),
                0,
                Vec::new(),
            )
        });
        entry.1 += cluster.size as u64 - 1;
        entry.2.push(cluster.id);
    }
    if !per_doc.is_empty() {
        let mut ranked: Vec<_> = per_doc.into_iter().collect();
        ranked.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(&b.0)));
        let _ = writeln!(out, "\nRepeated inside one document (most repeats first):");
        for (_, (location, repeats, clusters)) in ranked.iter().take(top) {
            let _ = writeln!(
                out,
                "  {location}: {} in {}",
                plural(*repeats, "repeated paragraph"),
                plural(clusters.len() as u64, "cluster")
            );
        }
        if ranked.len() > top {
            let _ = writeln!(out, "  ... and {} more documents", ranked.len() - top);
        }
    }
    render_sources(report, top, &mut out);
    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "\nskipped: {} (listed on stderr and in the JSON report's errors)",
            records_or_files(report.errors.len())
        );
    }
    if report.summary.invalid_utf8_records > 0 {
        let _ = writeln!(
            out,
            "{}invalid UTF-8: {} kept with U+FFFD in place of bad bytes or lone surrogate escapes \
             (listed in the JSON report's warnings)",
            if report.errors.is_empty() { "\n" } else { "" },
            plural(report.summary.invalid_utf8_records, "record")
        );
    }
    out
}

/// The sources with the highest duplicate ratio, as a table.
fn render_sources(report: &Report, top: usize, out: &mut String) {
    if report.sources.is_empty() {
        return;
    }
    let ranked = ranked_sources(&report.sources);
    let width = ranked
        .iter()
        .take(top)
        .map(|s| s.label().chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 40);
    let _ = writeln!(out, "\nSources (highest duplicate ratio first):");
    // Under --unit document the documents are the units: no paragraph column.
    let by_paragraph = unit_noun(&report.params.unit) == "paragraph";
    let units = |value: String| {
        if by_paragraph {
            format!(" {value:>11}")
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        out,
        "  {:<width$} {:>9}{} {:>11} {:>7}",
        "source",
        "documents",
        units("paragraphs".into()),
        "duplicates",
        "ratio"
    );
    for source in ranked.iter().take(top) {
        let _ = writeln!(
            out,
            "  {:<width$} {:>9}{} {:>11} {:>7}",
            preview(source.label(), width),
            source.documents,
            units(source.paragraphs.to_string()),
            source.duplicate_paragraphs,
            percent(source.duplicate_ratio)
        );
    }
    if ranked.len() > top {
        let _ = writeln!(out, "  ... and {} more sources", ranked.len() - top);
    }
}
