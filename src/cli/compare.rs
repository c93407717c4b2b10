//! `paradup compare`: the contamination check. Every input passage with an exact or near copy in
//! the reference corpus, with both places and the similarity; `check --reference` uses it too.

use super::args::{CompareArgs, InputArgs};
use super::places::{read_places, Place};
use super::progress::Progress;
use super::scan::{configure_threads, feed, ReadLog};
use super::summary::{human_bytes, preview};
use super::{exit, output};
use anyhow::Result;
use paradup::compare::{CompareReport, Contamination, Leak, PassageText};
use paradup::{InputError, Inputs, ScanOutcome, ScanParams, Scanner};
use std::collections::HashMap;
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
    pub started: Instant,
}

/// Scans the inputs and the reference together and finds the input passages with a copy in the
/// reference. The reference is read with the inputs' read options.
pub fn compare_inputs(
    input: &InputArgs,
    reference: &[String],
    params: ScanParams,
    inputs_already_told: bool,
) -> Result<Comparison> {
    let started = Instant::now();
    let read_options = input.read_options();
    let selection = input.selection()?;
    let (inputs, input_errors) = Inputs::resolve_selected(&input.inputs, &selection);
    let (references, reference_errors) = Inputs::resolve_selected(reference, &selection);
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
    log.resolved(reference_errors)?;
    let first_reference = scanner.document_count() as u32;
    feed(
        &mut scanner,
        &references,
        &read_options,
        &mut log,
        &mut progress,
    )?;
    log.finish();
    let errors = log.errors;
    let outcome = scanner.finish();

    let contamination = Contamination::new(&outcome, first_reference);
    let requests: Vec<_> = contamination
        .passages()
        .into_iter()
        .map(|p| (p.doc, p.span))
        .collect();
    let mut texts = read_places(&inputs, &read_options, 0, &requests);
    let reference_texts = read_places(&references, &read_options, first_reference, &requests);
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
        report_leak.input.location,
        report_leak.reference.location,
        preview(&report_leak.input.text, 60)
    )
}

fn render(report: &CompareReport, top: usize) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "paradup compare: {} input documents against {} reference documents",
        s.input_documents, s.reference_documents
    );
    let _ = writeln!(
        out,
        "leaks:           {} input paragraphs in {} documents have a copy in the reference ({} exact, {} near), {}",
        s.leaked_paragraphs,
        s.leaked_documents,
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
            "\nskipped: {} records or files (listed on stderr and in the JSON report's errors)",
            report.errors.len()
        );
    }
    out
}

pub fn run(args: CompareArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    // Checked before the scan; `-` takes standard output from the listing.
    let stdout_taken = match &args.json {
        Some(path) => output::check_writable(path)? == output::Destination::Stdout,
        None => false,
    };
    let comparison = compare_inputs(&args.input, &args.reference, params, false)?;
    let report = comparison.report();
    if let Some(path) = &args.json {
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        output::write_atomic(path, &json)?;
    }
    if !args.quiet {
        output::print_summary(&render(&report, args.top), stdout_taken)?;
    }
    Ok(if report.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}
