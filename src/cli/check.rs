//! `paradup check`: the CI gate. Scans the inputs, checks the limits (and, with `--reference`, the
//! absence of reference passages), names what broke each limit with `PATH:LINE`, and exits 1 when
//! any limit is exceeded. Under GitHub Actions it also prints `::error` annotations, which GitHub
//! shows on the offending lines.

use super::args::CheckArgs;
use super::contamination::{measure_inputs, MeasuredItem, Reference};
use super::places::{read_places, Place};
use super::scan::{configure_threads, scan_inputs, ReadLog, ScanRun};
use super::summary::{human_bytes, percent, preview};
use super::{baseline, exit, output};
use anyhow::Result;
use paradup::limits::{evaluate, Finding, LimitCheck, Limits};
use paradup::{Location, Span};
use std::fmt::Write;

/// One line of the verdict pointing at a place.
struct Pointer {
    location: Option<Location>,
    message: String,
}

/// A limit's verdict, ready to print.
struct Verdict {
    exceeded: bool,
    headline: String,
    pointers: Vec<Pointer>,
    /// Offenders beyond those listed.
    more: usize,
}

/// Escapes the message of a GitHub workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=...`) of a GitHub workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A GitHub Actions error annotation for a place.
pub fn annotation(location: Option<&Location>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(location) = location.filter(|l| l.path != "-") {
        properties.push(format!("file={}", escape_property(&location.path)));
        if let Some(line) = location.line {
            properties.push(format!("line={line}"));
        }
    }
    properties.push(format!("title={}", escape_property(title)));
    format!("::error {}::{}", properties.join(","), escape_data(message))
}

/// `1 repeat`, `2 repeats`.
fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn located(place: &Option<Place>) -> String {
    match place {
        Some(place) => place.location.to_string(),
        None => "?".into(),
    }
}

fn limit_verdicts(run: &ScanRun, checks: &[LimitCheck], top: usize) -> Vec<Verdict> {
    // Every place the verdicts point at, read in one pass: for each listed offender its own
    // paragraph and its cluster's canonical copy.
    let mut requests: Vec<(u32, Span)> = Vec::new();
    for check in checks.iter().filter(|c| c.exceeded) {
        for offender in check.offenders.iter().take(top) {
            requests.push((offender.doc, offender.span));
            if let Some(cluster) = offender.cluster {
                let canonical = run.outcome.clusters[cluster].canonical();
                requests.push((canonical.doc, canonical.span));
            }
        }
    }
    let places = read_places(&run.inputs, &run.read_options, 0, &requests);
    let mut places = places.into_iter();

    let mut verdicts = Vec::new();
    for check in checks {
        let headline = match &check.finding {
            Finding::DuplicateRatio {
                by_bytes,
                duplicate,
                total,
                ratio,
                max,
            } => {
                let unit = if *by_bytes {
                    format!("{} of {}", human_bytes(*duplicate), human_bytes(*total))
                } else {
                    format!("{duplicate} of {total} paragraphs")
                };
                format!(
                    "duplicate ratio{}: {} ({unit}) {} --max-duplicate-ratio {}",
                    if *by_bytes { " by bytes" } else { "" },
                    percent(*ratio),
                    if check.exceeded { "exceeds" } else { "within" },
                    percent(*max)
                )
            }
            Finding::WithinDocument {
                worst,
                documents_over,
                max,
            } => format!(
                "within-document repeats: {} (worst document repeats {worst} paragraphs) {} --max-within-document {max}",
                if *documents_over == 0 {
                    "no document over the limit".to_string()
                } else {
                    format!("{documents_over} documents over the limit")
                },
                if check.exceeded { "exceeding" } else { "within" },
            ),
            Finding::ClusterDocuments {
                widest,
                clusters_over,
                max,
            } => format!(
                "cluster documents: {} (widest spans {widest} documents) {} --max-cluster-documents {max}",
                if *clusters_over == 0 {
                    "no passage over the limit".to_string()
                } else {
                    format!("{clusters_over} passages over the limit")
                },
                if check.exceeded { "exceeding" } else { "within" },
            ),
        };
        let mut pointers = Vec::new();
        let listed = if check.exceeded {
            check.offenders.len().min(top)
        } else {
            0
        };
        for offender in &check.offenders[..listed] {
            let own = places.next().flatten();
            let canonical = match offender.cluster {
                Some(_) => places.next().flatten(),
                None => None,
            };
            let cluster = offender.cluster.map(|c| &run.outcome.clusters[c]);
            let message = match (&check.finding, cluster) {
                (Finding::DuplicateRatio { by_bytes, .. }, Some(cluster)) => format!(
                    "repeated paragraph: {} ({} copies in {}, cluster #{}), first copy at {}: \"{}\"",
                    if *by_bytes {
                        format!("{} repeated", human_bytes(offender.amount))
                    } else {
                        plural(offender.amount, "repeat")
                    },
                    cluster.members.len(),
                    plural(cluster.documents as u64, "document"),
                    cluster.id,
                    located(&canonical),
                    preview(canonical.as_ref().map_or("", |p| &p.text), 60)
                ),
                (Finding::ClusterDocuments { .. }, Some(cluster)) => format!(
                    "passage in {} documents ({} copies, cluster #{}): \"{}\"",
                    offender.amount,
                    cluster.members.len(),
                    cluster.id,
                    preview(canonical.as_ref().map_or("", |p| &p.text), 60)
                ),
                _ => format!(
                    "document repeats {} of its own paragraphs; first repeat here: \"{}\"",
                    offender.amount,
                    preview(own.as_ref().map_or("", |p| &p.text), 60)
                ),
            };
            pointers.push(Pointer {
                location: own.map(|p| p.location),
                message,
            });
        }
        verdicts.push(Verdict {
            exceeded: check.exceeded,
            headline,
            pointers,
            more: if check.exceeded {
                check.offenders.len() - listed
            } else {
                0
            },
        });
    }
    verdicts
}

pub fn run(args: CheckArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    let mut limits = Limits {
        max_duplicate_ratio: args.max_duplicate_ratio,
        by_bytes: args.by_bytes,
        max_within_document: args.max_within_document,
        max_cluster_documents: args.max_cluster_documents,
    };
    if let Some(ratio) = limits.max_duplicate_ratio {
        if !(0.0..=1.0).contains(&ratio) {
            anyhow::bail!("--max-duplicate-ratio must be between 0 and 1, got {ratio}");
        }
    }
    let no_limit = limits.max_duplicate_ratio.is_none()
        && limits.max_within_document.is_none()
        && limits.max_cluster_documents.is_none();
    if no_limit && !args.overlap.has_reference(&args.reference) {
        // A check without limits allows no duplication at all (but what a baseline excuses).
        limits.max_duplicate_ratio = Some(0.0);
    }
    // Read the baseline before the scan: a bad baseline should not cost a scan.
    let known_baseline = args.baseline.as_deref().map(baseline::load).transpose()?;

    let run = scan_inputs(&args.input, params.clone())?;
    let known = match &known_baseline {
        Some(b) => baseline::known_clusters(&run, b),
        None => Vec::new(),
    };
    let evaluation = evaluate(&run.outcome, &limits, &known);
    let mut verdicts = limit_verdicts(&run, &evaluation.checks, args.top);
    let mut errors = run.errors.clone();

    if args.overlap.has_reference(&args.reference) {
        let read_options = args.input.read_options();
        let selection = args.input.selection()?;
        let mut log = ReadLog::new(args.input.strict, Vec::new())?;
        let reference = Reference::open(
            &args.reference,
            &args.overlap,
            args.detect.fold_digits,
            &read_options,
            &selection,
            &mut log,
        )?;
        // The inputs' own problems were told and counted by the scan above.
        let reference_errors = std::mem::take(&mut log.errors);
        log.silent = true;
        let (items, _) = measure_inputs(&run.inputs, &read_options, &reference, &mut log, true)?;
        errors.extend(reference_errors);
        // A baseline excuses matches of the passages it knows (shared boilerplate, say).
        let matcher = known_baseline.as_ref().map(|b| b.matcher());
        let mut excused = 0usize;
        let mut offenders: Vec<(&MeasuredItem, usize)> = Vec::new();
        for item in &items {
            for (index, text) in item.span_texts.iter().enumerate() {
                if matcher
                    .as_ref()
                    .is_some_and(|m| m.is_known(&[text.as_str()]))
                {
                    excused += 1;
                } else {
                    offenders.push((item, index));
                }
            }
        }
        let mut documents: Vec<u32> = offenders.iter().map(|(item, _)| item.doc_index).collect();
        documents.dedup();
        let exceeded = !offenders.is_empty();
        let reference_documents = reference.index.documents();
        verdicts.push(Verdict {
            exceeded,
            headline: format!(
                "reference overlap: {} passages in {} input documents share {} or more words in a row with the reference{}{}",
                offenders.len(),
                documents.len(),
                reference.index.params().min_ngram,
                if excused > 0 {
                    format!(" ({excused} more excused by the baseline)")
                } else {
                    String::new()
                },
                if exceeded { "" } else { "; none allowed" }
            ),
            pointers: offenders
                .iter()
                .take(args.top)
                .map(|(item, index)| {
                    let span = &item.overlap.spans[*index];
                    Pointer {
                        location: Some(Location {
                            path: item.location.path.clone(),
                            line: Some(item.span_lines[*index]),
                        }),
                        message: format!(
                            "{} words also in the reference at {} (item {} of its words matched): \"{}\"",
                            span.words,
                            reference_documents[span.reference_doc as usize],
                            percent(item.overlap.share),
                            preview(&item.span_texts[*index], 60)
                        ),
                    }
                })
                .collect(),
            more: offenders.len().saturating_sub(args.top),
        });
    }

    let s = &run.outcome.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "paradup check: {} documents, {} paragraphs, {} duplicate paragraphs ({}), {} ({} of bytes)",
        s.documents,
        s.paragraphs,
        s.duplicate_paragraphs,
        percent(s.duplicate_ratio),
        human_bytes(s.duplicate_bytes),
        percent(s.duplicate_byte_ratio)
    );
    if let (Some(path), Some(b)) = (&args.baseline, &known_baseline) {
        let e = &evaluation.excused;
        let _ = writeln!(
            out,
            "baseline {}: {} known clusters, {} found here; {} duplicate paragraphs ({}) excused",
            path.display(),
            b.clusters.len(),
            e.clusters,
            e.paragraphs,
            human_bytes(e.bytes)
        );
    }
    let github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    let mut annotations = String::new();
    for verdict in &verdicts {
        let mark = if verdict.exceeded { "FAIL" } else { "ok  " };
        let _ = writeln!(out, "{mark} {}", verdict.headline);
        for pointer in &verdict.pointers {
            let at = pointer
                .location
                .as_ref()
                .map_or("?".to_string(), Location::to_string);
            let _ = writeln!(out, "       {at}: {}", pointer.message);
            if github {
                let _ = writeln!(
                    annotations,
                    "{}",
                    annotation(pointer.location.as_ref(), "paradup check", &pointer.message)
                );
            }
        }
        if verdict.more > 0 {
            let _ = writeln!(out, "       ... and {} more", verdict.more);
        }
    }
    let failed = verdicts.iter().filter(|v| v.exceeded).count();
    let _ = writeln!(
        out,
        "{}",
        if failed == 0 {
            let n = verdicts.len();
            format!(
                "paradup check: passed ({n} limit{})",
                if n == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "paradup check: FAILED ({failed} of {} limits exceeded)",
                verdicts.len()
            )
        }
    );
    if !args.quiet {
        output::print_stdout(&out)?;
    }
    if github {
        output::print_stdout(&annotations)?;
    }
    Ok(if !errors.is_empty() {
        exit::ERROR
    } else if failed > 0 {
        exit::LIMIT_EXCEEDED
    } else {
        exit::OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_reads_as_syntax() {
        let location = Location {
            path: "data/a,b:c.txt".into(),
            line: Some(7),
        };
        assert_eq!(
            annotation(Some(&location), "paradup check", "50% \"x\"\nnext"),
            "::error file=data/a%2Cb%3Ac.txt,line=7,title=paradup check::50%25 \"x\"%0Anext"
        );
        let stdin = Location {
            path: "-".into(),
            line: Some(3),
        };
        assert_eq!(annotation(Some(&stdin), "t", "m"), "::error title=t::m");
    }
}
