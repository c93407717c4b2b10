//! `paradup compare`: the contamination check. Every input passage with an exact or near copy in
//! the reference corpus, with both places and the similarity; `check --reference` uses it too.

use super::args::{CompareArgs, InputArgs, ReferenceArgs};
use super::places::{read_places, Place};
use super::progress::Progress;
use super::scan::{configure_threads, feed, tell_repeated_files, ReadLog};
use super::summary::{human_bytes, plural, preview, records_or_files, terminal_safe, unit_noun};
use super::{exit, output};
use anyhow::{bail, Result};
use paradup::compare::{CompareReport, Contamination, Leak, PassageText};
use paradup::{FileOffsets, InputError, Inputs, ScanOutcome, ScanParams, Scanner};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::time::Instant;

/// A finished comparison.
pub struct Comparison {
    pub outcome: ScanOutcome,
    /// Index of the first reference document in the combined scan.
    pub first_reference: u32,
    pub leaks: Vec<Leak>,
    /// Input and reference places of each leak.
    pub places: Vec<(Option<Place>, Option<Place>)>,
    pub errors: Vec<InputError>,
    /// By document index, the text files whose text is not their bytes as stored.
    pub file_offsets: BTreeMap<u32, FileOffsets>,
    pub started: Instant,
}

/// Refuses a run without a reference, or with a reference path that does not exist: a check
/// against nothing would pass whatever the inputs hold.
pub fn require_references(reference: &ReferenceArgs) -> Result<()> {
    if reference.paths.is_empty() {
        bail!("no --reference given: name the reference corpus to compare with");
    }
    for path in reference.paths.iter().filter(|p| p.as_str() != "-") {
        if let Err(e) = std::fs::metadata(path) {
            bail!("--reference {}: cannot open: {e}", terminal_safe(path));
        }
    }
    Ok(())
}

/// Scans the inputs and the reference together and finds the input passages with a copy in the
/// reference. The reference is read with its own read options (see [`ReferenceArgs`]); a
/// reference that cannot be opened or holds no document is an error.
pub fn compare_inputs(
    input: &InputArgs,
    reference: &ReferenceArgs,
    params: ScanParams,
    inputs_already_told: bool,
) -> Result<Comparison> {
    let started = Instant::now();
    require_references(reference)?;
    let read_options = input.read_options();
    let reference_options = reference.read_options(&read_options);
    let selection = input.selection()?;
    let (mut references, reference_errors) = Inputs::resolve_selected(&reference.paths, &selection);
    tell_repeated_files(&references.drop_repeated_files());
    if let Some(error) = reference_errors.first() {
        bail!("--reference {error}");
    }
    let (mut inputs, input_errors) = Inputs::resolve_selected(&input.inputs, &selection);
    let repeated = inputs.drop_repeated_files();
    if !inputs_already_told {
        tell_repeated_files(&repeated);
    }
    let mut log = ReadLog::new(input.strict, Vec::new())?;
    let mut scanner = Scanner::new(params)?;
    let mut progress = Progress::hidden();
    // When an earlier read of the same inputs told their problems, they are not told again.
    log.silent = inputs_already_told;
    log.resolved(input_errors)?;
    feed(
        &mut scanner,
        &inputs,
        &read_options,
        &mut log,
        &mut progress,
    )?;
    log.silent = false;
    let first_reference = scanner.document_count() as u32;
    let skipped_before = log.errors.len();
    feed(
        &mut scanner,
        &references,
        &reference_options,
        &mut log,
        &mut progress,
    )?;
    log.finish();
    if scanner.document_count() as u32 == first_reference {
        let skipped = log.errors.len() - skipped_before;
        bail!(
            "the reference ({}) holds no documents{}",
            terminal_safe(&reference.paths.join(", ")),
            if skipped > 0 {
                format!(
                    ": {} skipped (is --reference-text-field or --reference-format right?)",
                    records_or_files(skipped)
                )
            } else {
                String::new()
            }
        );
    }
    let errors = log.errors;
    let file_offsets = log.file_offsets;
    let outcome = scanner.finish();

    let contamination = Contamination::new(&outcome, first_reference);
    let requests: Vec<_> = contamination
        .passages()
        .into_iter()
        .map(|p| (p.doc, p.span))
        .collect();
    let mut texts = read_places(&inputs, &read_options, 0, &requests);
    let reference_texts = read_places(&references, &reference_options, first_reference, &requests);
    for ((text, reference_text), &(doc, _)) in texts.iter_mut().zip(reference_texts).zip(&requests)
    {
        if doc >= first_reference {
            *text = reference_text;
        }
    }
    let text_only: Vec<Option<String>> = texts
        .iter()
        .map(|p| p.as_ref().map(|p| p.text.clone()))
        .collect();
    let leaks = contamination.leaks(&text_only);

    // Places of the leaks, looked up among the passages read above.
    let index: HashMap<(u32, u32), usize> = contamination
        .passages()
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.doc, p.paragraph), i))
        .collect();
    let lookup = |doc: u32, paragraph: u32| -> Option<Place> {
        index.get(&(doc, paragraph)).and_then(|&i| texts[i].clone())
    };
    let places = leaks
        .iter()
        .map(|l| {
            (
                lookup(l.input.doc, l.input.paragraph),
                lookup(l.reference.doc, l.reference.paragraph),
            )
        })
        .collect();
    Ok(Comparison {
        outcome,
        first_reference,
        leaks,
        places,
        errors,
        file_offsets,
        started,
    })
}

impl Comparison {
    /// The `paradup.compare/v1` report.
    pub fn report(&self) -> CompareReport {
        let text = |place: &Option<Place>| match place {
            Some(place) => PassageText {
                text: place.text.clone(),
                location: place.location.to_string(),
            },
            None => PassageText::default(),
        };
        CompareReport::new(
            &self.outcome,
            self.first_reference,
            &self.leaks,
            self.places
                .iter()
                .map(|(input, reference)| (text(input), text(reference)))
                .collect(),
            self.errors.clone(),
            self.started.elapsed().as_secs_f64(),
        )
        .with_file_offsets(&self.leaks, &self.file_offsets)
    }
}

/// One line describing a leak: `INPUT <- REFERENCE  exact|0.87  "text"`.
pub fn leak_line(report_leak: &paradup::compare::ReportLeak) -> String {
    let how = if report_leak.exact {
        "exact".to_string()
    } else {
        format!("{:.2}", report_leak.similarity)
    };
    format!(
        "{}  <-  {}  {how}  \"{}\"",
        terminal_safe(&report_leak.input.location),
        terminal_safe(&report_leak.reference.location),
        preview(&report_leak.input.text, 60)
    )
}

fn render(report: &CompareReport, unit: &str, top: usize) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "paradup compare: {} against {}",
        plural(s.input_documents, "input document"),
        plural(s.reference_documents, "reference document")
    );
    let _ = writeln!(
        out,
        "leaks:           {} in {} {} a copy in the reference ({} exact, {} near), {}",
        plural(s.leaked_paragraphs, &format!("input {unit}")),
        plural(s.leaked_documents, "document"),
        if s.leaked_paragraphs == 1 {
            "has"
        } else {
            "have"
        },
        s.exact,
        s.near,
        human_bytes(s.leaked_bytes)
    );
    if !report.leaks.is_empty() {
        let _ = writeln!(
            out,
            "\nInput passage  <-  reference copy  similarity  text:"
        );
        for leak in report.leaks.iter().take(top) {
            let _ = writeln!(out, "  {}", leak_line(leak));
        }
        if report.leaks.len() > top {
            let _ = writeln!(out, "  ... and {} more", report.leaks.len() - top);
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "\nskipped: {} (listed on stderr and in the JSON report's errors)",
            records_or_files(report.errors.len())
        );
    }
    out
}

pub fn run(args: CompareArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    let comparison = compare_inputs(&args.input, &args.reference, params, false)?;
    let report = comparison.report();
    if let Some(path) = &args.json {
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        output::write_atomic(path, &json)?;
    }
    if !args.quiet {
        let unit = unit_noun(&comparison.outcome.params.unit.to_string());
        output::print_stdout(&render(&report, unit, args.top))?;
    }
    Ok(if report.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}
