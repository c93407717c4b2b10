//! `paradup check`: the CI gate. Scans the inputs, checks the limits (and, with `--reference`, the
//! absence of reference passages), names what broke each limit with `PATH:LINE`, and exits 1 when
//! any limit is exceeded, 2 when more records were skipped than `--max-skipped` allows. The last
//! line always says what the exit status says. Under GitHub Actions it also prints `::error`
//! annotations, which GitHub shows on the offending lines; `--json` writes the verdicts as
//! `paradup.check/v1`.

use super::args::CheckArgs;
use super::contamination::{
    measure_inputs, refuse_stdin_twice, require_references, MeasuredItem, Reference,
};
use super::places::{read_places, Place};
use super::scan::{configure_threads, scan_inputs_indexed, AgainstIndex, ReadLog, ScanRun};
use super::summary::{
    human_bytes, percent, plural, preview, records_or_files, terminal_safe, unit_noun,
};
use super::{baseline, exit, output};
use anyhow::Result;
use paradup::baseline::BaselineMatcher;
use paradup::display::round6;
use paradup::limits::{evaluate, Finding, LimitCheck, Limits};
use paradup::{InputError, Location, Span};
use serde::Serialize;
use std::fmt::Write;

/// The schema name of `check --json`.
pub const SCHEMA: &str = "paradup.check/v1";

/// One line of the verdict pointing at a place.
#[derive(Serialize)]
struct Pointer {
    /// `PATH:LINE`, when the place could be read again.
    #[serde(serialize_with = "optional_display")]
    location: Option<Location>,
    message: String,
}

fn optional_display<S: serde::Serializer>(
    location: &Option<Location>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match location {
        Some(location) => serializer.collect_str(location),
        None => serializer.serialize_none(),
    }
}

/// What a verdict measured, as numbers; `limit` names which limit.
#[derive(Serialize)]
#[serde(untagged)]
enum Measure {
    /// One of the duplication limits.
    Limit(Finding),
    /// Input passages with a copy in the reference (none allowed).
    Reference {
        limit: &'static str,
        leaked: usize,
        documents: usize,
        excused: usize,
        max: usize,
    },
    /// Input paragraphs with a copy in the shard index, against `--max-indexed-ratio`.
    Indexed {
        limit: &'static str,
        indexed: u64,
        total: u64,
        ratio: f64,
        max: f64,
    },
    /// Records and files skipped, against `--max-skipped`.
    Skipped {
        limit: &'static str,
        skipped: u64,
        max: u64,
    },
}

/// A limit's verdict, ready to print.
#[derive(Serialize)]
struct Verdict {
    exceeded: bool,
    headline: String,
    measure: Measure,
    #[serde(rename = "offenders")]
    pointers: Vec<Pointer>,
    /// Offenders beyond those listed.
    #[serde(rename = "more_offenders")]
    more: usize,
}

/// Escapes the message of a GitHub workflow command.
fn escape_data(text: &str) -> String {
    let escaped = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    terminal_safe(&escaped).into_owned()
}

/// Escapes a property value (`file=...`) of a GitHub workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A GitHub Actions annotation (`level` is `error` or `warning`) for a place. Corpus text and
/// file names in it are shown escaped (see [`terminal_safe`]), never interpreted.
pub fn annotation(level: &str, location: Option<&Location>, title: &str, message: &str) -> String {
    let mut properties = Vec::new();
    if let Some(location) = location.filter(|l| l.path != "-") {
        properties.push(format!("file={}", escape_property(&location.path)));
        if let Some(line) = location.line {
            properties.push(format!("line={line}"));
        }
    }
    properties.push(format!("title={}", escape_property(title)));
    format!(
        "::{level} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

fn located(place: &Option<Place>) -> String {
    match place {
        Some(place) => terminal_safe(&place.location.to_string()).into_owned(),
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
    let places = read_places(
        &run.inputs,
        &run.read_options,
        run.first_input_document(),
        &requests,
    );
    let mut places = places.into_iter();
    let unit = unit_noun(&run.outcome.params.unit.to_string());

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
                let amount = if *by_bytes {
                    format!("{} of {}", human_bytes(*duplicate), human_bytes(*total))
                } else {
                    format!("{duplicate} of {}", plural(*total, unit))
                };
                format!(
                    "duplicate ratio{}: {} ({amount}) {} --max-duplicate-ratio {}",
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
                "within-document repeats: {} (worst document repeats {}) {} --max-within-document {max}",
                if *documents_over == 0 {
                    "no document over the limit".to_string()
                } else {
                    format!("{} over the limit", plural(*documents_over as u64, "document"))
                },
                plural(*worst, unit),
                if check.exceeded { "exceeding" } else { "within" },
            ),
            Finding::ClusterDocuments {
                widest,
                clusters_over,
                max,
            } => format!(
                "cluster documents: {} (widest spans {}) {} --max-cluster-documents {max}",
                if *clusters_over == 0 {
                    "no passage over the limit".to_string()
                } else {
                    format!("{} over the limit", plural(*clusters_over as u64, "passage"))
                },
                plural(*widest as u64, "document"),
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
                    "repeated {unit}: {} ({} copies in {}, cluster #{}), first copy at {}: \"{}\"",
                    if *by_bytes {
                        format!("{} repeated", human_bytes(offender.amount))
                    } else {
                        plural(offender.amount, "repeat")
                    },
                    run.outcome.copies(cluster.id),
                    plural(cluster.documents as u64, "document"),
                    cluster.id,
                    located(&canonical),
                    preview(canonical.as_ref().map_or("", |p| &p.text), 60)
                ),
                (Finding::ClusterDocuments { .. }, Some(cluster)) => format!(
                    "passage in {} ({} copies, cluster #{}): \"{}\"",
                    plural(offender.amount, "document"),
                    run.outcome.copies(cluster.id),
                    cluster.id,
                    preview(canonical.as_ref().map_or("", |p| &p.text), 60)
                ),
                _ => format!(
                    "document repeats {} of its own {unit}s; first repeat here: \"{}\"",
                    offender.amount,
                    preview(own.as_ref().map_or("", |p| &p.text), 60)
                ),
            };
            pointers.push(Pointer {
                location: own.map(|p| p.location),
                message,
            });
        }
        let mut finding = check.finding.clone();
        if let Finding::DuplicateRatio { ratio, .. } = &mut finding {
            *ratio = round6(*ratio);
        }
        let measure = Measure::Limit(finding);
        verdicts.push(Verdict {
            exceeded: check.exceeded,
            headline,
            measure,
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

/// The verdict on skipped records and files: within `--max-skipped`, or not (exit status 2).
fn skipped_verdict(errors: &[InputError], max_skipped: u64, top: usize) -> Verdict {
    let skipped = errors.len() as u64;
    let exceeded = skipped > max_skipped;
    Verdict {
        exceeded,
        headline: format!(
            "skipped: {} could not be read {} --max-skipped {max_skipped}",
            records_or_files(errors.len()),
            if exceeded { "exceeding" } else { "within" }
        ),
        measure: Measure::Skipped {
            limit: "skipped",
            skipped,
            max: max_skipped,
        },
        pointers: errors
            .iter()
            .take(top)
            .map(|error| Pointer {
                location: Some(Location {
                    path: error.path.clone(),
                    line: error.line,
                    row: error.row,
                }),
                message: format!("skipped: {}", error.message),
            })
            .collect(),
        more: errors.len().saturating_sub(top),
    }
}

/// The verdict on `--max-indexed-ratio`: the input's paragraphs whose cluster holds a copy from
/// the shard index (read from the full outcome, indexed copies included), the clusters with the
/// most such paragraphs first.
fn indexed_verdict(run: &ScanRun, max: f64, top: usize) -> Verdict {
    let outcome = &run.outcome;
    let totals = outcome.summary.indexed.clone().unwrap_or_default();
    let total = outcome.summary.paragraphs;
    let exceeded = totals.indexed_ratio > max;
    let from_input = |m: &paradup::Member| !outcome.documents.is_indexed(m.doc as usize);
    // Clusters whose canonical copy is indexed: (input copies, cluster).
    let mut offenders: Vec<(usize, &paradup::Cluster)> = outcome
        .clusters
        .iter()
        .filter(|c| !from_input(c.canonical()))
        .map(|c| (c.members.iter().filter(|m| from_input(m)).count(), c))
        .collect();
    offenders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    let listed = if exceeded {
        offenders.len().min(top)
    } else {
        0
    };
    let requests: Vec<(u32, Span)> = offenders[..listed]
        .iter()
        .filter_map(|(_, c)| c.members.iter().find(|m| from_input(m)))
        .map(|m| (m.doc, m.span))
        .collect();
    let places = read_places(
        &run.inputs,
        &run.read_options,
        run.first_input_document(),
        &requests,
    );
    let pointers = offenders[..listed]
        .iter()
        .zip(places)
        .map(|((copies, cluster), place)| {
            let canonical = cluster.canonical();
            let doc = outcome.documents.at(canonical.doc as usize);
            Pointer {
                message: format!(
                    "{} with a copy in the index (cluster #{}): \"{}\" is in shard \"{}\", \
                     document {} at {}",
                    plural(*copies as u64, "paragraph"),
                    cluster.id,
                    preview(place.as_ref().map_or("", |p| &p.text), 60),
                    doc.shard.unwrap_or("?"),
                    doc.id,
                    doc.location
                ),
                location: place.map(|p| p.location),
            }
        })
        .collect();
    Verdict {
        exceeded,
        headline: format!(
            "indexed ratio: {} ({} of {}) have a copy in the index, {} --max-indexed-ratio {}",
            percent(totals.indexed_ratio),
            totals.indexed_paragraphs,
            plural(total, "paragraph"),
            if exceeded { "exceeding" } else { "within" },
            percent(max)
        ),
        measure: Measure::Indexed {
            limit: "indexed_ratio",
            indexed: totals.indexed_paragraphs,
            total,
            ratio: round6(totals.indexed_ratio),
            max,
        },
        pointers,
        more: if exceeded {
            offenders.len() - listed
        } else {
            0
        },
    }
}

/// What `check --index` found in the index, and what it added.
#[derive(Serialize)]
struct CheckIndexed {
    /// Input paragraphs whose cluster holds an indexed copy.
    indexed_paragraphs: u64,
    /// Their share of the input's paragraphs.
    indexed_ratio: f64,
    /// Bytes of those paragraphs.
    indexed_bytes: u64,
    /// The shard appended by `--add-on-pass`, when it was.
    added_shard: Option<String>,
}

/// The scan's totals, and what was skipped.
#[derive(Serialize)]
struct CheckSummary {
    documents: u64,
    paragraphs: u64,
    duplicate_paragraphs: u64,
    duplicate_ratio: f64,
    bytes: u64,
    duplicate_bytes: u64,
    duplicate_byte_ratio: f64,
    skipped_records: u64,
    max_skipped: u64,
    /// With `--index`.
    #[serde(skip_serializing_if = "Option::is_none")]
    indexed: Option<CheckIndexed>,
}

/// What `check --json` writes.
#[derive(Serialize)]
struct CheckReport<'a> {
    schema: &'static str,
    tool: paradup::report::Tool,
    /// True when every limit held and no more was skipped than allowed: exit status 0.
    passed: bool,
    /// The exit status of the run.
    exit_code: u8,
    /// `paragraph` or `document`: what the counts count.
    unit: &'static str,
    summary: CheckSummary,
    /// Duplication excused by the baseline, when one was given.
    excused: Option<paradup::limits::Excused>,
    verdicts: &'a [Verdict],
    /// Every record or file left out.
    errors: &'a [InputError],
}

/// The verdict on `--reference`: the input passages with a copy in the reference, but those the
/// baseline knows. Problems met reading the reference join `errors`.
fn reference_verdict(
    args: &CheckArgs,
    run: &ScanRun,
    known_baseline: Option<&BaselineMatcher>,
    errors: &mut Vec<InputError>,
) -> Result<Verdict> {
    let read_options = args.input.read_options();
    let mut log = ReadLog::new(args.input.strict, Vec::new())?;
    let reference = Reference::open(
        &args.input,
        &args.reference,
        &args.overlap,
        args.detect.fold_digits,
        &mut log,
    )?;
    // The inputs' own problems were told and counted by the scan.
    errors.append(&mut log.errors);
    log.silent = true;
    let (items, _) = measure_inputs(&run.inputs, &read_options, &reference, &mut log, true)?;
    // A baseline excuses matches of the passages it knows (shared boilerplate, say).
    let mut excused = 0usize;
    let mut offenders: Vec<(&MeasuredItem, usize)> = Vec::new();
    for item in &items {
        for (index, text) in item.span_texts.iter().enumerate() {
            if known_baseline.is_some_and(|m| m.is_known(&[text.as_str()])) {
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
    Ok(Verdict {
        exceeded,
        headline: format!(
            "reference overlap: {} in {} {} {} or more words in a row with the reference{}{}",
            plural(offenders.len() as u64, "passage"),
            plural(documents.len() as u64, "input document"),
            if offenders.len() == 1 { "shares" } else { "share" },
            reference.index.params().min_ngram,
            if excused > 0 {
                format!(" ({excused} more excused by the baseline)")
            } else {
                String::new()
            },
            if exceeded { "" } else { "; none allowed" }
        ),
        measure: Measure::Reference {
            limit: "reference",
            leaked: offenders.len(),
            documents: documents.len(),
            excused,
            max: 0,
        },
        pointers: offenders
            .iter()
            .take(args.top)
            .map(|(item, index)| {
                let span = &item.overlap.spans[*index];
                Pointer {
                    location: Some(Location {
                        path: item.location.path.clone(),
                        line: Some(item.span_lines[*index]),
                        row: None,
                    }),
                    message: format!(
                        "{} words also in the reference at {} (item {} of its words matched): \"{}\"",
                        span.words,
                        terminal_safe(&reference_documents[span.reference_doc as usize].to_string()),
                        percent(item.overlap.share),
                        preview(&item.span_texts[*index], 60)
                    ),
                }
            })
            .collect(),
        more: offenders.len().saturating_sub(args.top),
    })
}

/// The verdicts as the terminal shows them, and (under GitHub Actions) as annotations.
fn render_verdicts(verdicts: &[Verdict], github: bool, out: &mut String, annotations: &mut String) {
    for verdict in verdicts {
        let mark = if verdict.exceeded { "FAIL" } else { "ok  " };
        let _ = writeln!(out, "{mark} {}", verdict.headline);
        for pointer in &verdict.pointers {
            let at = pointer
                .location
                .as_ref()
                .map_or("?".to_string(), Location::to_string);
            let _ = writeln!(
                out,
                "       {}: {}",
                terminal_safe(&at),
                terminal_safe(&pointer.message)
            );
            if github {
                // A skipped record within --max-skipped is a warning, not an error.
                let level = if verdict.exceeded { "error" } else { "warning" };
                let _ = writeln!(
                    annotations,
                    "{}",
                    annotation(
                        level,
                        pointer.location.as_ref(),
                        "paradup check",
                        &pointer.message
                    )
                );
            }
        }
        if verdict.more > 0 {
            let _ = writeln!(out, "       ... and {} more", verdict.more);
        }
    }
}

/// The last line: `passed` exactly when the exit status is 0.
fn verdict_line(
    limits_failed: usize,
    limits_checked: usize,
    too_many_skipped: bool,
    skipped: usize,
    max_skipped: u64,
) -> String {
    let skipped_note = if too_many_skipped {
        format!(
            "{} skipped, more than --max-skipped {max_skipped}",
            records_or_files(skipped)
        )
    } else {
        String::new()
    };
    match (limits_failed, too_many_skipped) {
        (0, false) => format!(
            "paradup check: passed ({})",
            plural(limits_checked as u64, "limit")
        ),
        (0, true) => format!("paradup check: FAILED ({skipped_note})"),
        (failed, skipped) => format!(
            "paradup check: FAILED ({failed} of {limits_checked} limits exceeded{}{skipped_note})",
            if skipped { "; " } else { "" }
        ),
    }
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
    for (flag, value) in [
        ("--max-duplicate-ratio", limits.max_duplicate_ratio),
        ("--max-indexed-ratio", args.max_indexed_ratio),
    ] {
        if let Some(ratio) = value {
            if !(0.0..=1.0).contains(&ratio) {
                anyhow::bail!("{flag} must be between 0 and 1, got {ratio}");
            }
        }
    }
    // An unwritable --json is found before the scan; `-` takes standard output from the verdicts.
    let stdout_taken = match &args.json {
        Some(path) => {
            let read = args.input.inputs.iter().chain(&args.reference.paths);
            output::refuse_read_file("--json", path, read)?;
            output::check_writable(path)? == output::Destination::Stdout
        }
        None => false,
    };
    let with_reference = args.overlap.has_reference(&args.reference);
    if with_reference {
        // A missing reference is found before the scan, not after it.
        require_references(&args.reference, &args.overlap)?;
        refuse_stdin_twice(&args.input.inputs, &args.reference)?;
    }
    let no_limit = limits.max_duplicate_ratio.is_none()
        && limits.max_within_document.is_none()
        && limits.max_cluster_documents.is_none()
        && args.max_indexed_ratio.is_none();
    let mut max_indexed_ratio = args.max_indexed_ratio;
    if no_limit && !with_reference {
        // A check without limits allows no duplication at all (but what a baseline excuses),
        // and no copy of the index.
        limits.max_duplicate_ratio = Some(0.0);
        if args.index.is_some() {
            max_indexed_ratio = Some(0.0);
        }
    }
    // Read the baseline before the scan: a bad baseline should not cost a scan. Only its hashes
    // (in a set) and its number of clusters are kept: its texts and hex digits go before the
    // scan begins.
    let known_baseline = args
        .baseline
        .as_deref()
        .map(|path| -> Result<(BaselineMatcher, usize)> {
            let baseline = baseline::load(path)?;
            Ok((baseline.matcher(), baseline.clusters.len()))
        })
        .transpose()?;
    paradup::scan::release_freed_memory();

    // With --add-on-pass, the index is locked from before the scan to the append, so that what
    // was checked is what the new shard is added to.
    let lock = match (&args.index, args.add_on_pass) {
        (Some(folder), true) => Some(paradup::shard_index::WriteLock::take(folder)?),
        _ => None,
    };
    let index = match &args.index {
        Some(folder) => Some(super::index::open_for(folder, &params)?),
        None => None,
    };
    let against = index.as_ref().map(|index| AgainstIndex {
        index,
        // The verdicts count copies and point at one: one occurrence of each indexed text is
        // enough.
        max_copies: Some(1),
        // The verdicts count the input's copies of the index: the indexed paragraphs its keys
        // find, with their groups, join it as everything indexed would.
        whole_groups: false,
    });
    let (mut run, retained) = scan_inputs_indexed(
        &args.input,
        params.clone(),
        &args.detect.memory_request(),
        true,
        &[],
        against,
        args.add_on_pass,
    )?;
    let indexed_totals = run.outcome.summary.indexed.clone();
    let indexed_verdict = max_indexed_ratio.map(|max| indexed_verdict(&run, max, args.top));
    if index.is_some() {
        // The limits measure the input's own repeats; copies of the index have their verdict.
        let placeholder = paradup::scan::ScanOutcome {
            params: run.outcome.params.clone(),
            documents: Default::default(),
            clusters: Vec::new(),
            summary: Default::default(),
            members_on_disk: None,
        };
        run.outcome = std::mem::replace(&mut run.outcome, placeholder).into_input_only();
    }
    let unit = unit_noun(&run.outcome.params.unit.to_string());
    let known = match &known_baseline {
        Some((matcher, _)) => baseline::known_clusters(&run, matcher)?,
        None => Vec::new(),
    };
    let evaluation = evaluate(&run.outcome, &limits, &known)?;
    let mut verdicts = limit_verdicts(&run, &evaluation.checks, args.top);
    verdicts.extend(indexed_verdict);
    let mut errors = run.errors.clone();
    if with_reference {
        verdicts.push(reference_verdict(
            &args,
            &run,
            known_baseline.as_ref().map(|(matcher, _)| matcher),
            &mut errors,
        )?);
    }
    let limits_failed = verdicts.iter().filter(|v| v.exceeded).count();
    let limits_checked = verdicts.len();
    // Skipped records are told whenever there are some; they fail the check (exit 2) only
    // beyond --max-skipped.
    let skipped =
        (!errors.is_empty()).then(|| skipped_verdict(&errors, args.max_skipped, args.top));
    let too_many_skipped = skipped.as_ref().is_some_and(|v| v.exceeded);
    let code = if too_many_skipped {
        exit::ERROR
    } else if limits_failed > 0 {
        exit::LIMIT_EXCEEDED
    } else {
        exit::OK
    };
    exit::settle(code);
    verdicts.extend(skipped);
    let mut added_shard = None;
    if let (Some(index), Some(retained), true) = (&index, &retained, code == exit::OK) {
        let name = super::index::shard_name(args.shard.as_deref(), &args.input.inputs);
        super::index::append(index.folder(), index.manifest(), &run, retained, &name)?;
        added_shard = Some(name);
    }
    drop(lock);

    let s = &run.outcome.summary;
    let mut out = String::new();
    let units = if unit == "paragraph" {
        format!("{}, ", plural(s.paragraphs, unit))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "paradup check: {}, {units}{} ({}), {} ({} of bytes)",
        plural(s.documents, "document"),
        plural(s.duplicate_paragraphs, &format!("duplicate {unit}")),
        percent(s.duplicate_ratio),
        human_bytes(s.duplicate_bytes),
        percent(s.duplicate_byte_ratio)
    );
    if let (Some(path), Some((_, known_clusters))) = (&args.baseline, &known_baseline) {
        let e = &evaluation.excused;
        let _ = writeln!(
            out,
            "baseline {}: {} known clusters, {} found here; {} ({}) excused",
            path.display(),
            known_clusters,
            e.clusters,
            plural(e.paragraphs, &format!("duplicate {unit}")),
            human_bytes(e.bytes)
        );
    }
    let github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    let mut annotations = String::new();
    render_verdicts(&verdicts, github, &mut out, &mut annotations);
    let _ = writeln!(
        out,
        "{}",
        verdict_line(
            limits_failed,
            limits_checked,
            too_many_skipped,
            errors.len(),
            args.max_skipped
        )
    );
    if let Some(path) = &args.json {
        let report = CheckReport {
            schema: SCHEMA,
            tool: paradup::report::Tool {
                name: "paradup",
                version: env!("CARGO_PKG_VERSION"),
            },
            passed: code == exit::OK,
            exit_code: code,
            unit,
            summary: CheckSummary {
                documents: s.documents,
                paragraphs: s.paragraphs,
                duplicate_paragraphs: s.duplicate_paragraphs,
                duplicate_ratio: round6(s.duplicate_ratio),
                bytes: s.bytes,
                duplicate_bytes: s.duplicate_bytes,
                duplicate_byte_ratio: round6(s.duplicate_byte_ratio),
                skipped_records: errors.len() as u64,
                max_skipped: args.max_skipped,
                indexed: indexed_totals.as_ref().map(|t| CheckIndexed {
                    indexed_paragraphs: t.indexed_paragraphs,
                    indexed_ratio: round6(t.indexed_ratio),
                    indexed_bytes: t.indexed_bytes,
                    added_shard: added_shard.clone(),
                }),
            },
            excused: known_baseline.as_ref().map(|_| evaluation.excused),
            verdicts: &verdicts,
            errors: &errors,
        };
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        output::write_atomic(path, &json)?;
    }
    if !args.quiet {
        output::print_summary(&out, stdout_taken)?;
    }
    if github {
        output::print_summary(&annotations, stdout_taken)?;
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_escape_what_github_reads_as_syntax() {
        let location = Location {
            path: "data/a,b:c.txt".into(),
            line: Some(7),
            row: None,
        };
        assert_eq!(
            annotation(
                "error",
                Some(&location),
                "paradup check",
                "50% \"x\"\nnext\x1b[2J"
            ),
            "::error file=data/a%2Cb%3Ac.txt,line=7,title=paradup check::50%25 \"x\"%0Anext\\x1b[2J"
        );
        let stdin = Location {
            path: "-".into(),
            line: Some(3),
            row: None,
        };
        assert_eq!(
            annotation("warning", Some(&stdin), "t", "m"),
            "::warning title=t::m"
        );
    }
}
