//! `paradup scan`: read the inputs, find the clusters, print the summary, write the report.

use super::args::{InputArgs, MemoryRequest, ScanArgs};
use super::progress::Progress;
use super::{baseline, exit, output, summary};
use anyhow::{bail, Context, Result};
use paradup::report::MemberLists;
use paradup::scan::{BoundedScanner, MemoryBudget, Retained};
use paradup::shard_index::ShardIndex;
use paradup::{
    ColumnarDocuments, Document, FileOffsets, InputError, Inputs, ReadEvent, ReadOptions, Report,
    ScanOutcome, ScanParams, Scanner,
};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// Documents handed to the scanner at once.
const BATCH_DOCUMENTS: usize = 2048;
/// Bytes of text handed to the scanner at once.
const BATCH_BYTES: usize = 32 << 20;

/// Bytes of text a batch holds under a memory budget: a sixteenth of it (two batches are in
/// flight, each with its normalized copy), between 1 MiB and [`BATCH_BYTES`]. Smaller batches
/// only cost a little parallelism; the results do not depend on them.
fn batch_bytes_within(budget: u64) -> usize {
    ((budget / 16) as usize).clamp(1 << 20, BATCH_BYTES)
}

/// A finished scan with what it needs to describe itself.
pub struct ScanRun {
    pub outcome: ScanOutcome,
    pub inputs: Inputs,
    pub read_options: ReadOptions,
    pub errors: Vec<InputError>,
    /// Records kept after invalid UTF-8 was replaced.
    pub warnings: Vec<InputError>,
    /// By document index, the text files whose text is not their bytes as stored: reports give
    /// their spans as offsets into the file.
    pub file_offsets: BTreeMap<u32, FileOffsets>,
    pub started: Instant,
    /// The memory budget the scan ran under, in bytes; `None` without one.
    pub budget_bytes: Option<u64>,
}

impl ScanRun {
    /// Index of the first document read from the inputs: documents of a shard index come first.
    pub fn first_input_document(&self) -> u32 {
        self.outcome
            .documents
            .iter()
            .take_while(|d| d.shard.is_some())
            .count() as u32
    }

    /// Text of every cluster's canonical copy, read again from the inputs. A text that cannot be
    /// read back (an input changed or vanished during the run) is left empty, and said so.
    pub fn canonical_texts(&self) -> Vec<String> {
        let requests = paradup::report::canonical_spans(&self.outcome);
        let texts = self
            .inputs
            .fetch_spans(&self.read_options, &self.outcome.documents, &requests);
        let missing = texts.iter().filter(|t| t.is_none()).count();
        if missing > 0 {
            eprintln!(
                "paradup: warning: the text of {missing} clusters could not be read back \
                 (did an input change during the run?); they are shown without text"
            );
        }
        texts.into_iter().map(Option::unwrap_or_default).collect()
    }

    pub fn report(&self) -> Result<Report<'_>> {
        Ok(Report::new(
            &self.outcome,
            self.canonical_texts(),
            self.errors.clone(),
            self.started.elapsed().as_secs_f64(),
        )?
        .with_warnings(self.warnings.clone())
        .with_file_offsets(&self.file_offsets))
    }
}

/// The most worker threads `--threads` may ask for: more only cost time on any machine.
const MAX_THREADS: usize = 256;

/// Sets the worker thread count (0: one per core).
pub fn configure_threads(threads: usize) -> Result<()> {
    if threads > MAX_THREADS {
        bail!("--threads {threads}: at most {MAX_THREADS}");
    }
    // Run inside a pool of its own (from the Python package), the command uses that pool.
    if rayon::current_thread_index().is_some() {
        return Ok(());
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("cannot start worker threads")
}

/// Skip and repair messages printed on standard error; the rest are counted, and all of them are
/// in the JSON report.
const MAX_MESSAGES: usize = 100;

/// Reads every input and runs the scan, showing a progress bar on standard error unless `quiet`
/// (or standard error is not a terminal). Skipped records and repairs are printed on standard
/// error as they are found; with `--strict`, the first of them ends the run with an error.
/// The files at `outputs` (what the run is about to write) are not read.
pub fn scan_inputs_with(
    input: &InputArgs,
    params: ScanParams,
    memory: &MemoryRequest,
    quiet: bool,
    outputs: &[PathBuf],
) -> Result<ScanRun> {
    Ok(scan_inputs_indexed(input, params, memory, quiet, outputs, None, false)?.0)
}

/// The budget a scan runs under: `--memory`, or three quarters of physical memory. A scan with a
/// containment threshold or a shard index takes none (asked for one, it is an error).
fn memory_budget(
    request: &MemoryRequest,
    params: &ScanParams,
    indexed: bool,
    inputs: &Inputs,
) -> Result<Option<MemoryBudget>> {
    let unbounded = if params.containment.is_some() {
        Some("--containment")
    } else if indexed {
        Some("a shard index")
    } else {
        None
    };
    let budget = MemoryBudget::resolve(
        request.bytes,
        unbounded,
        request.tmp_dir.clone(),
        inputs.expected_text_bytes(),
    )
    .map_err(|e| anyhow::anyhow!("--memory: {e}"))?;
    if let Some(bytes) = request.bytes {
        super::note_memory_asked(bytes);
    }
    Ok(budget)
}

/// A shard index to scan the inputs against, and the most occurrences an indexed text lists.
pub struct AgainstIndex<'a> {
    pub index: &'a ShardIndex,
    pub max_copies: Option<usize>,
    /// Take in every indexed paragraph of the clusters the input touches (to list them), not only
    /// those its keys find (enough for the counts).
    pub whole_groups: bool,
}

/// Like [`scan_inputs_with`]; with an index, the inputs' fingerprints are looked up in it once
/// they are read, and the indexed paragraphs they touch are taken in ahead of them. With `retain`,
/// also returns what the index stores of the inputs.
pub fn scan_inputs_indexed(
    input: &InputArgs,
    params: ScanParams,
    memory: &MemoryRequest,
    quiet: bool,
    outputs: &[PathBuf],
    index: Option<AgainstIndex<'_>>,
    retain: bool,
) -> Result<(ScanRun, Option<Retained>)> {
    let started = Instant::now();
    let read_options = input.read_options();
    let selection = input.selection()?;
    // Standard input and pipes are copied where spill files go.
    let (mut inputs, errors) = Inputs::resolve_excluding(
        &input.inputs,
        &selection,
        outputs,
        memory.tmp_dir.as_deref(),
    );
    if !quiet {
        for note in inputs.notes() {
            eprintln!("paradup: note: {note}");
        }
    }
    tell_repeated_files(&inputs.drop_repeated_files());
    let mut log = ReadLog::new(input.strict, errors)?;
    let budget = memory_budget(memory, &params, index.is_some() || retain, &inputs)?;
    let mut progress = Progress::for_stderr(quiet, inputs.total_bytes());
    let budget_bytes = budget.as_ref().map(|budget| budget.bytes);
    let (outcome, retained) = match budget {
        Some(budget) => {
            let outcome = scan_bounded(
                params,
                budget,
                &inputs,
                &read_options,
                &mut log,
                &mut progress,
            )?;
            (outcome, None)
        }
        None => {
            let mut scanner = Scanner::new(params)?;
            feed(
                &mut scanner,
                &inputs,
                &read_options,
                &mut log,
                &mut progress,
                BATCH_BYTES,
            )?;
            progress.finish();
            log.finish();
            if let Some(against) = &index {
                // The inputs' fingerprints, looked up in the index; what they touch is taken in
                // ahead of the inputs, whose documents are then numbered after the indexed ones.
                let part = against.index.gather(
                    &scanner.probe(),
                    against.max_copies,
                    against.whole_groups,
                )?;
                scanner = scanner.with_indexed_before(part)?;
                let shift = scanner.indexed_document_count() as u32;
                log.file_offsets = std::mem::take(&mut log.file_offsets)
                    .into_iter()
                    .map(|(doc, offsets)| (doc + shift, offsets))
                    .collect();
            }
            if retain {
                let (outcome, retained) = scanner.finish_retaining();
                (outcome, Some(retained))
            } else {
                (scanner.finish(), None)
            }
        }
    };
    let own = outcome
        .documents
        .iter()
        .take_while(|d| d.shard.is_some())
        .count();
    tell_repeated_ids(&outcome.documents, own);
    Ok((
        ScanRun {
            outcome,
            inputs,
            read_options,
            errors: log.errors,
            warnings: log.warnings,
            file_offsets: log.file_offsets,
            started,
            budget_bytes,
        },
        retained,
    ))
}

/// Reads every input into a scanner under `budget` and finishes it: the spill folder is removed
/// on Ctrl-C, and gone when this returns.
fn scan_bounded(
    params: ScanParams,
    budget: MemoryBudget,
    inputs: &Inputs,
    read_options: &ReadOptions,
    log: &mut ReadLog,
    progress: &mut Progress,
) -> Result<ScanOutcome> {
    let batch_bytes = batch_bytes_within(budget.bytes);
    // Before the spill folder can exist: a signal an instant after it is made still removes it.
    super::remove_on_interrupt(budget.tmp_dir.clone());
    let mut scanner =
        BoundedScanner::new(params, budget).map_err(|e| anyhow::anyhow!("--memory: {e}"))?;
    let phases = progress.phases();
    scanner.observe(move |phase| phases.show(phase));
    feed(
        &mut scanner,
        inputs,
        read_options,
        log,
        progress,
        batch_bytes,
    )?;
    log.finish();
    // Every output reads the clusters' copies in order (the report, the members table, a
    // baseline, the HTML page, check's limits, dedup's plan), so past the budget they stay on
    // disk, and the spill folder goes with the outcome.
    let outcome = scanner.try_finish_streamed();
    let folder_left = outcome
        .as_ref()
        .is_ok_and(|outcome| outcome.members_on_disk.is_some());
    if !folder_left {
        super::remove_on_interrupt_no_more();
    }
    progress.finish();
    let outcome = outcome?;
    // The stages' tables are gone: their pages go back before the report takes its own.
    paradup::scan::release_freed_memory();
    Ok(outcome)
}

/// Says, once, that files given more than once (`(kept, left out)` names) are read once.
pub fn tell_repeated_files(repeated: &[(String, String)]) {
    if let Some((kept, dropped)) = repeated.first() {
        eprintln!(
            "paradup: warning: {} given more than once, each read once ({} is also given as {}{})",
            summary::plural(repeated.len() as u64, "file"),
            summary::terminal_safe(kept),
            summary::terminal_safe(dropped),
            if repeated.len() > 1 { ", ..." } else { "" }
        );
    }
}

/// Says, once, that some document ids name more than one document.
fn tell_repeated_ids(documents: &paradup::scan::DocumentTable, own: usize) {
    let Some(repeated) = paradup::report::repeated_ids(documents, own) else {
        return;
    };
    let (id, one, two) = &repeated.first;
    let at = |index: &u32| {
        documents
            .get(own + *index as usize)
            .map_or(String::new(), |d| d.location.to_string())
    };
    eprintln!(
        "paradup: warning: {} used by more than one document (first: \"{}\" at {} and {}); \
         reports tell them apart by doc_index",
        summary::plural(repeated.ids as u64, "document id"),
        summary::terminal_safe(id),
        summary::terminal_safe(&at(one)),
        summary::terminal_safe(&at(two))
    );
}

/// What reading found besides documents, and how it is told on standard error.
pub struct ReadLog {
    /// Files and records left out.
    pub errors: Vec<InputError>,
    /// Records kept after invalid UTF-8 was replaced.
    pub warnings: Vec<InputError>,
    /// By document index (in the scan), the text files whose text is not their bytes as stored.
    pub file_offsets: BTreeMap<u32, FileOffsets>,
    strict: bool,
    messages: usize,
    /// Problems are collected without a word on standard error (they were told by an earlier
    /// read of the same inputs).
    pub silent: bool,
}

impl ReadLog {
    /// A log that starts with the errors of resolving the inputs (each printed); under `strict`
    /// the first of them is already the end of the run.
    pub fn new(strict: bool, resolve_errors: Vec<InputError>) -> Result<ReadLog> {
        let mut log = ReadLog {
            errors: Vec::new(),
            warnings: Vec::new(),
            file_offsets: BTreeMap::new(),
            strict,
            messages: 0,
            silent: false,
        };
        log.resolved(resolve_errors)?;
        Ok(log)
    }

    /// Takes the errors of resolving inputs (each told); under `strict` the first of them is
    /// already the end of the run.
    pub fn resolved(&mut self, resolve_errors: Vec<InputError>) -> Result<()> {
        if self.strict {
            if let Some(error) = resolve_errors.first() {
                bail!("{error} (--strict: stopped at the first bad input)");
            }
        }
        for error in resolve_errors {
            self.tell(&Progress::hidden(), "skipped", &error);
            self.errors.push(error);
        }
        Ok(())
    }

    fn tell(&mut self, progress: &Progress, kind: &str, error: &InputError) {
        if self.silent {
            return;
        }
        self.messages += 1;
        if self.messages <= MAX_MESSAGES {
            let told = summary::terminal_safe(&error.to_string()).into_owned();
            progress.suspend(|| eprintln!("paradup: {kind} {told}"));
        }
    }

    /// Takes a skipped record: told, kept; under `strict` it ends the run.
    pub fn skipped(&mut self, progress: &Progress, error: InputError) -> Result<()> {
        if self.strict {
            bail!("{error} (--strict: stopped at the first bad record)");
        }
        self.keep(progress, error, false);
        Ok(())
    }

    /// Takes a record kept after a repair: told, kept; under `strict` it ends the run.
    pub fn repaired(&mut self, progress: &Progress, error: InputError) -> Result<()> {
        if self.strict {
            bail!("{error} (--strict: stopped at the first bad record)");
        }
        self.keep(progress, error, true);
        Ok(())
    }

    /// Tells a skipped record (or, `repaired`, a record kept after a repair) and keeps it among
    /// the errors (the warnings).
    fn keep(&mut self, progress: &Progress, error: InputError, repaired: bool) {
        if repaired {
            self.tell(progress, "repaired", &error);
            self.warnings.push(error);
        } else {
            self.tell(progress, "skipped", &error);
            self.errors.push(error);
        }
    }

    /// Says how many messages were not printed.
    pub fn finish(&self) {
        if self.messages > MAX_MESSAGES {
            eprintln!(
                "paradup: {} more skipped or repaired records not shown (all are in the JSON report)",
                self.messages - MAX_MESSAGES
            );
        }
    }
}

/// What the reading thread hands to the scanning one, in input order.
enum Delivery {
    /// Documents to fingerprint, and the file offsets of those (by position in the batch) whose
    /// text is not their file's bytes.
    Batch(Vec<Document>, Vec<(usize, FileOffsets)>),
    /// Documents whose texts are in Arrow columns (from Parquet files), fingerprinted in place.
    Columnar(Vec<ColumnarDocuments>),
    /// A record or file left out.
    Skipped(InputError),
    /// A record kept after its invalid UTF-8 was replaced.
    Repaired(InputError),
}

/// Once a scan under a budget has spilled and estimated the tables it keeps in memory: warns,
/// while it is still reading, when they will not fit the budget by the end of the input. Whether
/// the estimate is made (and so nothing more is to be told).
fn tell_forecast(scanner: &Scanner, progress: &Progress) -> bool {
    let Some(forecast) = scanner.budget_forecast() else {
        return false;
    };
    if forecast.passes_budget() {
        progress.suspend(|| eprintln!("paradup: warning: {forecast}"));
    }
    true
}

/// Batches waiting between the reading thread and the scanner. Reading runs several times faster
/// than fingerprinting (JSON parsing and Parquet decoding alike), so one waiting batch keeps the
/// scanner busy; more would only hold more texts in memory.
const BATCHES_IN_FLIGHT: usize = 1;

/// Reads every document of `inputs` into `scanner`, in batches; skipped and repaired records go
/// to `log`. Under `--strict` the first of them stops the reading with an error.
///
/// Reading (decompression, line splitting, JSON parsing) runs on a thread of its own while the
/// scanner fingerprints the batch before, so neither waits for the other. The documents reach
/// the scanner in input order, so the result is the same as reading and scanning in turn.
pub fn feed(
    scanner: &mut Scanner,
    inputs: &Inputs,
    read_options: &ReadOptions,
    log: &mut ReadLog,
    progress: &mut Progress,
    batch_limit: usize,
) -> Result<()> {
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::sync_channel::<Delivery>(BATCHES_IN_FLIGHT);
    let mut stopped: Option<InputError> = None;
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || {
            let mut batch: Vec<Document> = Vec::new();
            let mut batch_offsets: Vec<(usize, FileOffsets)> = Vec::new();
            let mut columnar: Vec<ColumnarDocuments> = Vec::new();
            let mut columnar_documents = 0usize;
            let mut batch_bytes = 0usize;
            let _ = inputs.read_columnar(read_options, &mut |event| {
                if stop.load(Ordering::Relaxed) {
                    return ControlFlow::Break(());
                }
                let delivery = match event {
                    ReadEvent::Document(doc) => {
                        batch_bytes += doc.text.len();
                        batch.push(doc);
                        if batch.len() < BATCH_DOCUMENTS && batch_bytes < batch_limit {
                            return ControlFlow::Continue(());
                        }
                        batch_bytes = 0;
                        Delivery::Batch(
                            std::mem::take(&mut batch),
                            std::mem::take(&mut batch_offsets),
                        )
                    }
                    ReadEvent::Columnar(documents) => {
                        // The documents before these (of another file) go first.
                        if !batch.is_empty() {
                            batch_bytes = 0;
                            let earlier = Delivery::Batch(
                                std::mem::take(&mut batch),
                                std::mem::take(&mut batch_offsets),
                            );
                            if sender.send(earlier).is_err() {
                                return ControlFlow::Break(());
                            }
                        }
                        // What the batch holds, not only its texts: the scanner's tables
                        // and these batches share the memory.
                        batch_bytes += documents.memory_size();
                        columnar_documents += documents.len();
                        columnar.push(documents);
                        if columnar_documents < BATCH_DOCUMENTS && batch_bytes < batch_limit {
                            return ControlFlow::Continue(());
                        }
                        (batch_bytes, columnar_documents) = (0, 0);
                        Delivery::Columnar(std::mem::take(&mut columnar))
                    }
                    ReadEvent::FileOffsets(offsets) => {
                        // For the document that comes next.
                        batch_offsets.push((batch.len(), offsets));
                        return ControlFlow::Continue(());
                    }
                    ReadEvent::Skipped(error) => Delivery::Skipped(error),
                    ReadEvent::Repaired(error) => Delivery::Repaired(error),
                };
                // A Parquet file's documents go before those of a file after it.
                if !columnar.is_empty() && matches!(delivery, Delivery::Batch(..)) {
                    let earlier = Delivery::Columnar(std::mem::take(&mut columnar));
                    columnar_documents = 0;
                    if sender.send(earlier).is_err() {
                        return ControlFlow::Break(());
                    }
                }
                match sender.send(delivery) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            });
            if !columnar.is_empty() {
                let _ = sender.send(Delivery::Columnar(columnar));
            }
            if !batch.is_empty() {
                let _ = sender.send(Delivery::Batch(batch, batch_offsets));
            }
        });
        let mut documents = 0u64;
        let mut text_since_trim = 0usize;
        let mut forecast_told = false;
        for delivery in receiver.iter() {
            if text_since_trim >= TRIM_EVERY_BYTES {
                text_since_trim = 0;
                paradup::scan::release_freed_memory();
            }
            match delivery {
                Delivery::Batch(batch, offsets) => {
                    documents += batch.len() as u64;
                    text_since_trim += batch.iter().map(|doc| doc.text.len()).sum::<usize>();
                    let first = scanner.document_count() as u32;
                    log.file_offsets.extend(
                        offsets
                            .into_iter()
                            .map(|(index, offsets)| (first + index as u32, offsets)),
                    );
                    scanner.add_batch(batch);
                    progress.update(documents, inputs.bytes_read());
                    forecast_told = forecast_told || tell_forecast(scanner, progress);
                    if scanner.spill_failure().is_some() {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                }
                Delivery::Columnar(batches) => {
                    documents += batches.iter().map(|b| b.len() as u64).sum::<u64>();
                    text_since_trim += batches.iter().map(|b| b.text_bytes()).sum::<usize>();
                    scanner.add_columnar(batches);
                    progress.update(documents, inputs.bytes_read());
                    forecast_told = forecast_told || tell_forecast(scanner, progress);
                    if scanner.spill_failure().is_some() {
                        stop.store(true, Ordering::Relaxed);
                        break;
                    }
                }
                Delivery::Skipped(error) | Delivery::Repaired(error) if log.strict => {
                    stopped = Some(error);
                    stop.store(true, Ordering::Relaxed);
                    break;
                }
                Delivery::Skipped(error) => log.keep(progress, error, false),
                Delivery::Repaired(error) => log.keep(progress, error, true),
            }
        }
        // Dropping the receiver ends a reader still waiting to send.
        drop(receiver);
    });
    if let Some(error) = stopped {
        progress.finish();
        bail!("{error} (--strict: stopped at the first bad record)");
    }
    if let Some(error) = scanner.spill_failure() {
        progress.finish();
        bail!("{error}");
    }
    paradup::scan::release_freed_memory();
    Ok(())
}

/// Text fingerprinted between two returns of freed memory to the system.
const TRIM_EVERY_BYTES: usize = 64 << 20;

/// Copies of all clusters above which the JSON report lists only canonical copies by default,
/// when a members table holds them all.
pub const JSON_MEMBERS_LIMIT: usize = 1_000_000;

/// Which copies the JSON report lists: as asked, else all but for a large scan (`copies` in
/// all clusters) whose members go to a table.
fn member_lists(asked: Option<MemberLists>, table: bool, copies: usize) -> MemberLists {
    asked.unwrap_or(if table && copies > JSON_MEMBERS_LIMIT {
        MemberLists::Canonical
    } else {
        MemberLists::All
    })
}

/// Checks the output flags before the scan: each can be written, and at most one is standard
/// output. Returns the files the outputs replace (not to be read as inputs) and whether standard
/// output carries one of them (then the summary goes to standard error).
fn check_outputs(args: &ScanArgs) -> Result<(Vec<PathBuf>, bool)> {
    let mut replaced = Vec::new();
    let mut to_stdout: Vec<&str> = Vec::new();
    for (flag, path) in [
        ("--json", &args.json),
        ("--members", &args.members),
        ("--html", &args.html),
        ("--write-baseline", &args.write_baseline),
    ] {
        let Some(path) = path else { continue };
        output::refuse_read_file(flag, path, &args.input.inputs)?;
        match output::check_writable(path)? {
            output::Destination::Stdout => to_stdout.push(flag),
            output::Destination::Replace(target) => replaced.push(target),
            output::Destination::Through(_) => {}
        }
    }
    if to_stdout.len() > 1 {
        bail!(
            "{} cannot all write to standard output",
            to_stdout.join(" and ")
        );
    }
    Ok((replaced, !to_stdout.is_empty()))
}

pub fn run(args: ScanArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    let (outputs, stdout_taken) = check_outputs(&args)?;
    let index = match &args.shard_index.index {
        Some(folder) => {
            for (flag, given) in [
                ("--html", args.html.is_some()),
                ("--members", args.members.is_some()),
                ("--write-baseline", args.write_baseline.is_some()),
            ] {
                if given {
                    bail!("{flag} cannot be used with --index");
                }
            }
            Some(super::index::open_for(folder, &params)?)
        }
        None => None,
    };
    let against = index.as_ref().map(|index| AgainstIndex {
        index,
        max_copies: Some(args.shard_index.indexed_copies.max(1)),
        whole_groups: true,
    });
    let memory = args.detect.memory_request();
    let (run, _) = scan_inputs_indexed(
        &args.input,
        params,
        &memory,
        args.quiet,
        &outputs,
        against,
        false,
    )?;
    let writing = Progress::phase_for_stderr(args.quiet, "report");
    let report = run.report()?.with_member_lists(member_lists(
        args.json_members,
        args.members.is_some(),
        run.outcome.total_copies() as usize,
    ));
    let clean = report.errors.is_empty();
    exit::settle(if clean { exit::OK } else { exit::ERROR });
    if let Some(path) = &args.json {
        // Streamed to the file: the report of a large corpus is large.
        output::write_atomic_with(path, |out| {
            report.write_json(out)?;
            out.write_all(b"\n")
        })?;
    }
    if let Some(path) = &args.members {
        let sources: Vec<Option<&str>> = run.outcome.documents.iter().map(|d| d.source).collect();
        output::write_atomic_with(path, |out| {
            paradup::members::write_members(&report, &sources, out).map(|_| ())
        })?;
    }
    if let Some(path) = &args.write_baseline {
        baseline::write(&run, &report, path)?;
    }
    if let Some(path) = &args.html {
        super::html::write(&run, &report, path, args.html_top)?;
    }
    writing.finish();
    if !args.quiet {
        output::print_summary(&summary::render(&report, args.top), stdout_taken)?;
    }
    // The copies left on disk go with the outcome: Ctrl-C has nothing more to remove.
    drop(report);
    drop(run);
    super::remove_on_interrupt_no_more();
    Ok(if clean { exit::OK } else { exit::ERROR })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_member_lists_default_to_canonical_only_past_the_limit_with_a_table() {
        let limit = JSON_MEMBERS_LIMIT;
        assert_eq!(member_lists(None, true, limit), MemberLists::All);
        assert_eq!(member_lists(None, true, limit + 1), MemberLists::Canonical);
        assert_eq!(member_lists(None, false, limit + 1), MemberLists::All);
        let asked = Some(MemberLists::All);
        assert_eq!(member_lists(asked, true, limit + 1), MemberLists::All);
        let asked = Some(MemberLists::None);
        assert_eq!(member_lists(asked, false, 0), MemberLists::None);
    }
}
