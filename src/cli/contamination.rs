//! Contamination by n-gram overlap, as `compare`, `check --reference` and `dedup --reference` run
//! it: the reference is indexed (or a saved index loaded), every input document is measured
//! against it as one item, and the matched spans are given their reference text by reading the
//! reference again where it is still there.

use super::args::{InputArgs, OverlapArgs, ReferenceArgs};
use super::progress::Progress;
use super::scan::tell_repeated_files;
use super::scan::ReadLog;
use super::summary::{preview, records_or_files, terminal_safe};
use anyhow::{bail, Context, Result};
use paradup::contamination::{measure_document, reference_span_texts};
pub use paradup::contamination::{CompareReport, Counts, MeasuredItem, ReportItem};
use paradup::overlap::{
    IndexBuilder, OverlapScratch, ReferenceDocument, ReferenceIndex, ReferenceText, Verdict,
};
use paradup::{FileOffsets, Inputs, ReadEvent, ReadOptions};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::time::Instant;

/// Documents measured or indexed together: enough to keep every core busy.
const BATCH_DOCUMENTS: usize = 4096;
/// ... or this many bytes of text, whichever comes first.
const BATCH_BYTES: usize = 32 << 20;

/// Keys under which an index records how its reference was read.
const READ_FORMAT: &str = "read.format";
const READ_TEXT_FIELD: &str = "read.text_field";
const READ_ID_FIELD: &str = "read.id_field";

/// The reference side: its index and, when it was read in this run, its inputs.
pub struct Reference {
    pub index: ReferenceIndex,
    inputs: Option<Inputs>,
    read_options: ReadOptions,
}

/// Reads `documents` of `inputs` in batches, handing each batch to `batch`; skips and repairs go
/// to `log` (under `--strict` the first of them ends the run).
fn read_batches(
    inputs: &Inputs,
    options: &ReadOptions,
    log: &mut ReadLog,
    progress: &Progress,
    batch: &mut dyn FnMut(Vec<(paradup::Document, Option<FileOffsets>)>) -> Result<()>,
) -> Result<()> {
    let mut pending = Vec::new();
    let mut pending_bytes = 0usize;
    let mut add = |doc: paradup::Document, offsets: Option<FileOffsets>| {
        pending_bytes += doc.text.len();
        pending.push((doc, offsets));
        if pending.len() >= BATCH_DOCUMENTS || pending_bytes >= BATCH_BYTES {
            pending_bytes = 0;
            batch(std::mem::take(&mut pending))
        } else {
            Ok(())
        }
    };
    let mut next_offsets: Option<FileOffsets> = None;
    let mut failure: Option<anyhow::Error> = None;
    let _ = inputs.read(options, &mut |event| {
        let outcome = match event {
            ReadEvent::Document(doc) => add(doc, next_offsets.take()),
            ReadEvent::Columnar(documents) => documents
                .into_documents()
                .into_iter()
                .try_for_each(|doc| add(doc, None)),
            ReadEvent::FileOffsets(offsets) => {
                // For the document that comes next.
                next_offsets = Some(offsets);
                Ok(())
            }
            ReadEvent::Skipped(error) => log.skipped(progress, error),
            ReadEvent::Repaired(error) => log.repaired(progress, error),
        };
        match outcome {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if !pending.is_empty() {
        batch(pending)?;
    }
    Ok(())
}

/// Refuses standard input as both an input and the reference: it gives its bytes once.
pub fn refuse_stdin_twice(inputs: &[String], reference: &ReferenceArgs) -> Result<()> {
    let stdin = |paths: &[String]| paths.iter().any(|p| paradup::read::names_stdin(p));
    if stdin(inputs) && stdin(&reference.paths) {
        bail!("standard input cannot be both an input and the reference: it is read once");
    }
    Ok(())
}

/// Refuses a run without a reference, or with a reference path that does not exist: a check
/// against nothing would pass whatever the inputs hold.
pub fn require_references(reference: &ReferenceArgs, overlap: &OverlapArgs) -> Result<()> {
    if let Some(path) = &overlap.save_reference_index {
        // Found before the reference is read, not after.
        super::output::refuse_read_file("--save-reference-index", path, &reference.paths)?;
        super::output::check_writable(path)?;
    }
    if overlap.reference_index.is_some() {
        if !reference.paths.is_empty() {
            bail!("give the reference either as files (--reference) or as a saved index (--reference-index), not both");
        }
        return Ok(());
    }
    if reference.paths.is_empty() {
        bail!("no --reference given: name the reference corpus to compare with (or --reference-index FILE)");
    }
    for path in reference.paths.iter().filter(|p| p.as_str() != "-") {
        if let Err(e) = std::fs::metadata(path) {
            bail!("--reference {}: cannot open: {e}", terminal_safe(path));
        }
    }
    Ok(())
}

impl Reference {
    /// Indexes the reference files, or loads the saved index that `--reference-index` names;
    /// with `--save-reference-index` the index is also written there.
    pub fn open(
        input: &InputArgs,
        reference: &ReferenceArgs,
        overlap: &OverlapArgs,
        fold_digits: bool,
        log: &mut ReadLog,
    ) -> Result<Reference> {
        let params = overlap.params(fold_digits)?;
        let selection = input.selection()?;
        let read_options = reference.read_options(&input.read_options());
        if let Some(path) = &overlap.reference_index {
            require_references(reference, overlap)?;
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open index {}", path.display()))?;
            let length = file
                .metadata()
                .with_context(|| format!("cannot read index {}", path.display()))?
                .len();
            let mut index =
                ReferenceIndex::load(&mut BufReader::with_capacity(1 << 20, file), length)
                    .with_context(|| format!("cannot read index {}", path.display()))?;
            index
                .set_params(params)
                .with_context(|| format!("index {}", path.display()))?;
            if index.word_count() == 0 {
                bail!(
                    "the reference index {} holds no words: nothing could match it",
                    path.display()
                );
            }
            // The reference's own files, where they still are, give the matched spans' text.
            let mut paths: Vec<String> = index.documents().iter().map(|d| d.path.clone()).collect();
            paths.dedup();
            paths.retain(|p| std::path::Path::new(p).is_file());
            let stored = |key: &str| index.metadata.get(key).cloned();
            let read_options = ReadOptions {
                format: stored(READ_FORMAT)
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(read_options.format),
                text_field: stored(READ_TEXT_FIELD).unwrap_or(read_options.text_field),
                id_field: stored(READ_ID_FIELD).unwrap_or(read_options.id_field),
                source_field: None,
            };
            let (inputs, _) = Inputs::resolve(&paths);
            return Ok(Reference {
                index,
                inputs: Some(inputs),
                read_options,
            });
        }
        require_references(reference, overlap)?;
        let (mut inputs, errors) = Inputs::resolve_selected(&reference.paths, &selection);
        tell_repeated_files(&inputs.drop_repeated_files());
        if let Some(error) = errors.first() {
            bail!("--reference {error}");
        }
        let skipped_before = log.errors.len();
        let mut builder = IndexBuilder::new(params)?;
        let progress = Progress::hidden();
        read_batches(&inputs, &read_options, log, &progress, &mut |batch| {
            let texts = batch
                .into_iter()
                .map(|(doc, file_offsets)| ReferenceText {
                    document: ReferenceDocument {
                        id: doc.id,
                        // A Parquet row stands where a line would: it finds the record again.
                        line: doc.location.record(),
                        path: doc.location.path,
                    },
                    text: doc.text,
                    file_offsets,
                })
                .collect();
            builder.add_batch(texts).map_err(anyhow::Error::from)
        })?;
        if builder.document_count() == 0 {
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
        let mut index = builder.finish(overlap.max_reference_docs);
        if index.word_count() == 0 {
            // Empty files, blank lines or text without words: nothing could ever match it.
            bail!(
                "the reference ({}) holds no words: {} without any",
                terminal_safe(&reference.paths.join(", ")),
                paradup::display::plural(index.documents().len() as u64, "document")
            );
        }
        index
            .metadata
            .insert(READ_FORMAT.into(), read_options.format.to_string());
        index
            .metadata
            .insert(READ_TEXT_FIELD.into(), read_options.text_field.clone());
        index
            .metadata
            .insert(READ_ID_FIELD.into(), read_options.id_field.clone());
        if let Some(path) = &overlap.save_reference_index {
            super::output::write_atomic_with(path, |out| {
                index.save(out).map_err(std::io::Error::other)
            })?;
        }
        Ok(Reference {
            index,
            inputs: Some(inputs),
            read_options,
        })
    }

    /// The reference text of each `(document, start, end)`, where the reference can be read
    /// again; `None` where it cannot.
    pub fn texts(&self, requests: &[(u32, usize, usize)]) -> Vec<Option<String>> {
        match &self.inputs {
            Some(inputs) => {
                reference_span_texts(inputs, &self.read_options, self.index.documents(), requests)
            }
            None => vec![None; requests.len()],
        }
    }
}

/// Measures every input document against the reference, in input order. With `matched_only`,
/// only the items with at least one matched span are kept (the others are counted).
pub fn measure_inputs(
    inputs: &Inputs,
    options: &ReadOptions,
    reference: &Reference,
    log: &mut ReadLog,
    matched_only: bool,
) -> Result<(Vec<MeasuredItem>, Counts)> {
    let mut items = Vec::new();
    let mut counts = Counts::default();
    let mut next_index = 0u32;
    let progress = Progress::hidden();
    read_batches(inputs, options, log, &progress, &mut |batch| {
        let first = next_index;
        next_index += batch.len() as u32;
        let measured: Vec<MeasuredItem> = batch
            .into_par_iter()
            .enumerate()
            .map_init(
                OverlapScratch::default,
                |scratch, (i, (doc, file_offsets))| {
                    measure_document(
                        &reference.index,
                        first + i as u32,
                        doc.id,
                        doc.location,
                        &doc.text,
                        file_offsets.as_ref(),
                        scratch,
                    )
                },
            )
            .collect();
        for item in measured {
            counts.add(&item.overlap);
            if !matched_only || !item.overlap.spans.is_empty() {
                items.push(item);
            }
        }
        Ok(())
    })?;
    Ok((items, counts))
}

/// The report of `items` measured against `reference`, with the reference text of every matched
/// span read again where it can be.
pub fn compare_report(
    reference: &Reference,
    items: &[MeasuredItem],
    counts: Counts,
    errors: Vec<paradup::InputError>,
    started: Instant,
) -> CompareReport {
    let texts = reference.texts(&CompareReport::span_requests(items));
    CompareReport::new(
        &reference.index,
        items,
        counts,
        errors,
        started.elapsed().as_secs_f64(),
        texts,
    )
}

/// One line for an item with matches: `LOCATION  VERDICT  SHARE  longest N  <- REFERENCE  "text"`.
pub fn item_line(item: &ReportItem) -> String {
    let first = item.spans.first();
    let reference = first.map_or(String::new(), |s| {
        let more = item.reference_documents.len().saturating_sub(1);
        if more > 0 {
            format!(
                "  <- {} (+{more} more)",
                terminal_safe(&s.reference.location)
            )
        } else {
            format!("  <- {}", terminal_safe(&s.reference.location))
        }
    });
    format!(
        "{}  {:<7}  {:>5.1}%  longest {:>3}{reference}  \"{}\"",
        terminal_safe(&item.location),
        item.verdict.name(),
        item.share * 100.0,
        item.longest_match,
        first.map_or(String::new(), |s| preview(&s.text, 50))
    )
}

/// Items by how much of them matched (most first; input order among equals).
pub fn matched_items_ranked(items: &[ReportItem]) -> Vec<&ReportItem> {
    let mut ranked: Vec<&ReportItem> = items.iter().filter(|i| !i.spans.is_empty()).collect();
    ranked.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then(b.longest_match.cmp(&a.longest_match))
            .then(a.doc_index.cmp(&b.doc_index))
    });
    ranked
}

/// The verdict of every measured input document, by its file and record (line or row; `None`
/// for a text file), for writing splits.
pub fn verdicts_by_location(items: &[MeasuredItem]) -> HashMap<(&str, Option<u64>), Verdict> {
    items
        .iter()
        .map(|i| {
            (
                (i.location.path.as_str(), i.location.record()),
                i.overlap.verdict,
            )
        })
        .collect()
}
