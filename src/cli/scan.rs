//! `paradup scan`: read the inputs, find the clusters, print the summary, write the report.

use super::args::{InputArgs, ScanArgs};
use super::{baseline, exit, output, summary};
use anyhow::{Context, Result};
use paradup::{
    Document, InputError, Inputs, ReadEvent, ReadOptions, Report, ScanOutcome, ScanParams, Scanner,
};
use std::ops::ControlFlow;
use std::time::Instant;

/// Documents handed to the scanner at once.
const BATCH_DOCUMENTS: usize = 2048;
/// Bytes of text handed to the scanner at once.
const BATCH_BYTES: usize = 32 << 20;

/// A finished scan with what it needs to describe itself.
pub struct ScanRun {
    pub outcome: ScanOutcome,
    pub inputs: Inputs,
    pub read_options: ReadOptions,
    pub errors: Vec<InputError>,
    pub started: Instant,
}

impl ScanRun {
    /// Text of every cluster's canonical copy, read again from the inputs.
    pub fn canonical_texts(&self) -> Vec<String> {
        let requests: Vec<(u32, usize, usize)> = self
            .outcome
            .clusters
            .iter()
            .map(|c| {
                let m = c.canonical();
                (m.doc, m.span.start, m.span.end)
            })
            .collect();
        self.inputs
            .fetch_spans(&self.read_options, &requests)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }

    pub fn report(&self) -> Report {
        Report::new(
            &self.outcome,
            self.canonical_texts(),
            self.errors.clone(),
            self.started.elapsed().as_secs_f64(),
        )
    }
}

/// Sets the worker thread count (0: one per core).
pub fn configure_threads(threads: usize) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("cannot start worker threads")
}

/// Reads every input and runs the scan.
pub fn scan_inputs(input: &InputArgs, params: ScanParams) -> Result<ScanRun> {
    let started = Instant::now();
    let read_options = input.read_options();
    let (inputs, mut errors) = Inputs::resolve(&input.inputs);
    let mut scanner = Scanner::new(params)?;
    feed(&mut scanner, &inputs, &read_options, &mut errors);
    Ok(ScanRun {
        outcome: scanner.finish(),
        inputs,
        read_options,
        errors,
        started,
    })
}

/// Reads every document of `inputs` into `scanner`, in batches; skipped records go to `errors`.
pub fn feed(
    scanner: &mut Scanner,
    inputs: &Inputs,
    read_options: &ReadOptions,
    errors: &mut Vec<InputError>,
) {
    let mut batch: Vec<Document> = Vec::new();
    let mut batch_bytes = 0usize;
    let _ = inputs.read(read_options, &mut |event| {
        match event {
            ReadEvent::Document(doc) => {
                batch_bytes += doc.text.len();
                batch.push(doc);
                if batch.len() >= BATCH_DOCUMENTS || batch_bytes >= BATCH_BYTES {
                    scanner.add_batch(std::mem::take(&mut batch));
                    batch_bytes = 0;
                }
            }
            ReadEvent::Skipped(error) => errors.push(error),
        }
        ControlFlow::Continue(())
    });
    scanner.add_batch(batch);
}

pub fn run(args: ScanArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    let run = scan_inputs(&args.input, params)?;
    let report = run.report();
    if let Some(path) = &args.json {
        let mut json = serde_json::to_vec_pretty(&report)?;
        json.push(b'\n');
        output::write_atomic(path, &json)?;
    }
    if let Some(path) = &args.write_baseline {
        baseline::write(&run, path)?;
    }
    if let Some(path) = &args.html {
        super::html::write(&run, &report, path, args.html_top)?;
    }
    for error in &report.errors {
        eprintln!("paradup: skipped {error}");
    }
    if !args.quiet {
        output::print_stdout(&summary::render(&report, args.top))?;
    }
    Ok(if report.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}
