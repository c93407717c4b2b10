//! `paradup dedup`: writes the corpus again without its repeated paragraphs, in its own format.
//!
//! Text files are rewritten with the removed byte ranges cut out (see `paradup::dedup` for which
//! bytes go with a paragraph); JSON Lines records get a new text field spliced into the original
//! line, so every other field keeps its bytes and order; lines that are not documents (blank lines,
//! records the reader skipped) pass through unchanged. Gzip inputs give gzip outputs. Every output
//! file is written to a temporary file beside it and renamed into place.

use super::args::DedupArgs;
use super::contamination::Reference;
use super::scan::{configure_threads, scan_inputs, ReadLog, ScanRun};
use super::summary::{human_bytes, percent, plural, unit_noun};
use super::{exit, output};
use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use flate2::Compression;
use paradup::dedup::{cut_undecoded, edit_document, DedupPlan, EditedDocument};
use paradup::display::{ratio, round6};
use paradup::overlap::{removal_ranges, OverlapScratch};
use paradup::read::InputFileRef;
use paradup::splice::{json_string, replace, set_field, string_field};
use paradup::{InputFormat, Inputs};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

/// Totals of a dedup run.
#[derive(Default)]
struct Totals {
    files: u64,
    documents: u64,
    paragraphs: u64,
    bytes: u64,
    dropped_documents: u64,
    annotated_records: u64,
    /// Passages shared with `--reference`, and the bytes only their removal took.
    reference_passages: u64,
    reference_bytes: u64,
}

/// An output file written through a temporary file beside it, optionally gzip-compressed.
struct AtomicWriter {
    target: PathBuf,
    temp: tempfile::NamedTempFile,
    sink: Sink,
}

enum Sink {
    Plain(BufWriter<File>),
    Gzip(GzEncoder<BufWriter<File>>),
}

impl AtomicWriter {
    fn create(target: &Path, gzip: bool) -> Result<Self> {
        let dir = match target.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create folder {}", dir.display()))?;
        let temp = super::output::temp_file_beside(target)?;
        let file = BufWriter::new(temp.reopen()?);
        let sink = if gzip {
            Sink::Gzip(GzEncoder::new(file, Compression::default()))
        } else {
            Sink::Plain(file)
        };
        Ok(AtomicWriter {
            target: target.to_path_buf(),
            temp,
            sink,
        })
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.sink {
            Sink::Plain(w) => w.write_all(bytes),
            Sink::Gzip(w) => w.write_all(bytes),
        }
        .with_context(|| format!("cannot write {}", self.target.display()))
    }

    fn commit(self) -> Result<()> {
        let file = match self.sink {
            Sink::Plain(w) => w.into_inner().map_err(|e| e.into_error()),
            Sink::Gzip(w) => w
                .finish()
                .and_then(|w| w.into_inner().map_err(|e| e.into_error())),
        }
        .with_context(|| format!("cannot write {}", self.target.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot write {}", self.target.display()))?;
        self.temp
            .persist(&self.target)
            .with_context(|| format!("cannot replace {}", self.target.display()))?;
        Ok(())
    }
}

/// An absolute, symlink-free form of a path that may not exist yet: its nearest existing
/// ancestor, canonicalized, with the rest appended.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let absolute = std::env::current_dir().unwrap_or_default().join(path);
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while let Some(parent) = existing.parent() {
        if let Some(name) = existing.file_name() {
            rest.push(name.to_owned());
        }
        existing = parent;
        if let Ok(canonical) = existing.canonicalize() {
            let mut out = canonical;
            for name in rest.iter().rev() {
                out.push(name);
            }
            return out;
        }
    }
    absolute
}

/// Refuses an output that is, holds, or lies inside one of the inputs.
pub fn refuse_overlap(out: &Path, inputs: &[String]) -> Result<()> {
    let out_resolved = resolved(out);
    for input in inputs.iter().filter(|i| *i != "-") {
        let input_resolved = resolved(Path::new(input));
        if out_resolved == input_resolved {
            bail!("the output {} is an input", out.display());
        }
        if out_resolved.starts_with(&input_resolved) {
            bail!("the output {} lies inside the input {input}", out.display());
        }
        if input_resolved.starts_with(&out_resolved) {
            bail!("the input {input} lies inside the output {}", out.display());
        }
    }
    Ok(())
}

/// Where each input file goes: the output file itself when one file is given, otherwise its path
/// relative to the folder argument it was found in (or its file name) under the output folder.
pub fn output_paths(
    given: &[String],
    output: &Path,
    files: &[InputFileRef<'_>],
) -> Result<Vec<PathBuf>> {
    let single_file =
        given.len() == 1 && (given[0] == "-" || !Path::new(&given[0]).is_dir()) && !output.is_dir();
    if single_file {
        return Ok(files.iter().map(|_| output.to_path_buf()).collect());
    }
    let mut seen = HashSet::new();
    let mut paths = Vec::new();
    for file in files {
        if file.display == "-" {
            bail!("standard input can only be deduplicated alone, with -o naming the output file");
        }
        let display = Path::new(file.display);
        let relative = given
            .iter()
            .filter(|g| Path::new(g).is_dir())
            .find_map(|g| display.strip_prefix(g).ok())
            .map(Path::to_path_buf)
            .or_else(|| display.file_name().map(PathBuf::from))
            .with_context(|| format!("no output name for {}", file.display))?;
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            bail!("no output name for {}", file.display);
        }
        let path = output.join(&relative);
        if !seen.insert(path.clone()) {
            bail!(
                "two inputs would both be written to {}; give them in separate runs",
                path.display()
            );
        }
        paths.push(path);
    }
    Ok(paths)
}

/// True when the file's raw content starts with gzip's magic bytes.
pub fn is_gzip(path: &Path) -> bool {
    let mut head = [0u8; 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == [0x1f, 0x8b]
}

/// True when the file's content (decompressed) is a WARC/WET file, as the reader recognizes one.
pub fn is_wet(path: &Path) -> bool {
    let mut head = Vec::new();
    let read = Inputs::open_content(path).and_then(|r| r.take(8).read_to_end(&mut head));
    read.is_ok()
        && head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&head)
            .starts_with(b"WARC/")
}

/// The field `--annotate` adds to a record.
#[derive(Serialize)]
struct Annotation {
    /// The repeated paragraphs dedup would remove.
    duplicates: Vec<AnnotatedSpan>,
    /// Every paragraph with words is a repeat: `--drop-duplicate-documents` would leave it out.
    duplicate_document: bool,
}

#[derive(Serialize)]
struct AnnotatedSpan {
    start: usize,
    end: usize,
    paragraph: u32,
    cluster: usize,
    canonical: String,
    canonical_location: String,
    similarity: f64,
}

struct Writer<'a> {
    args: &'a DedupArgs,
    run: &'a ScanRun,
    plan: DedupPlan,
    /// Document index by (path, line).
    doc_at: HashMap<(&'a str, Option<u64>), u32>,
    totals: Totals,
    /// The test set whose passages are removed too (`--reference`).
    reference: Option<Reference>,
    scratch: OverlapScratch,
}

impl Writer<'_> {
    fn edit(&mut self, doc: u32, text: &str, place: &str) -> Result<EditedDocument> {
        let params = &self.run.outcome.params;
        let expected = self.run.outcome.documents[doc as usize].bytes;
        if text.len() as u64 != expected {
            bail!("{place}: the text is not what the scan read: the input changed during the run");
        }
        let mut edited = edit_document(
            text,
            params.split,
            params.unit,
            params.normalize,
            self.plan.removals(doc),
        )
        .with_context(|| place.to_string())?;
        if let Some(reference) = &self.reference {
            let overlap = reference.index.measure(text, &mut self.scratch);
            let ranges = removal_ranges(text, &overlap.spans, self.args.reference_window);
            self.totals.reference_passages += overlap.spans.len() as u64;
            self.totals.reference_bytes += edited.remove_also(text, &ranges) as u64;
        }
        Ok(edited)
    }

    fn annotation(&self, doc: u32, edited: &EditedDocument) -> String {
        let documents = &self.run.outcome.documents;
        let annotation = Annotation {
            duplicates: self
                .plan
                .removals(doc)
                .iter()
                .map(|r| AnnotatedSpan {
                    start: r.span.start,
                    end: r.span.end,
                    paragraph: r.paragraph,
                    cluster: r.cluster,
                    canonical: documents[r.canonical_doc as usize].id.clone(),
                    canonical_location: documents[r.canonical_doc as usize].location.to_string(),
                    similarity: round6(r.similarity),
                })
                .collect(),
            duplicate_document: edited.all_repeats,
        };
        serde_json::to_string(&annotation).unwrap_or_default()
    }

    /// Counts a document's removals; returns true when the whole document is to be left out.
    fn count(&mut self, doc: u32, edited: &EditedDocument, text_len: usize) -> bool {
        self.totals.documents += 1;
        let removed = self.plan.removals(doc).len() as u64;
        if self.args.annotate {
            self.totals.annotated_records += u64::from(removed > 0);
            self.totals.paragraphs += removed;
            self.totals.bytes += edited.removed_bytes as u64;
            return false;
        }
        self.totals.paragraphs += removed;
        if self.args.drop_duplicate_documents && edited.all_repeats {
            self.totals.dropped_documents += 1;
            self.totals.bytes += text_len as u64;
            return true;
        }
        self.totals.bytes += edited.removed_bytes as u64;
        false
    }

    fn text_file(&mut self, file: InputFileRef<'_>, doc: u32, out: &Path) -> Result<()> {
        let mut bytes = Vec::new();
        Inputs::open_content(file.path)
            .and_then(|mut r| r.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", file.display))?;
        // A byte-order mark is not part of the document's text; it is written back as it was.
        let (bom, bytes) = bytes.split_at(if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        });
        let text = String::from_utf8_lossy(bytes);
        let edited = self.edit(doc, &text, file.display)?;
        if self.count(doc, &edited, text.len()) {
            // A stale copy from an earlier run must not stand in for the dropped document.
            match std::fs::remove_file(out) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", out.display()))
                }
                _ => return Ok(()),
            }
        }
        let mut writer = AtomicWriter::create(out, is_gzip(file.path))?;
        writer.write_all(bom)?;
        match std::str::from_utf8(bytes) {
            Ok(_) => writer.write_all(edited.text.as_bytes())?,
            // Invalid sequences were read as U+FFFD; the output keeps the original bytes.
            Err(_) => writer.write_all(&cut_undecoded(bytes, &edited.removed))?,
        }
        writer.commit()?;
        self.totals.files += 1;
        Ok(())
    }

    fn jsonl_file(&mut self, file: InputFileRef<'_>, out: &Path) -> Result<()> {
        let mut reader = Inputs::open_content(file.path)
            .with_context(|| format!("cannot read {}", file.display))?;
        let mut writer = AtomicWriter::create(out, is_gzip(file.path))?;
        let mut raw = Vec::new();
        let mut number = 0u64;
        let text_field = self.args.input.text_field.clone();
        loop {
            raw.clear();
            if reader
                .read_until(b'\n', &mut raw)
                .with_context(|| format!("{}:{}: read failed", file.display, number + 1))?
                == 0
            {
                break;
            }
            number += 1;
            let Some(&doc) = self.doc_at.get(&(file.display, Some(number))) else {
                writer.write_all(&raw)?;
                continue;
            };
            if self.plan.removals(doc).is_empty() && !self.args.annotate && self.reference.is_none()
            {
                self.totals.documents += 1;
                writer.write_all(&raw)?;
                continue;
            }
            let place = format!("{}:{number}", file.display);
            let line = String::from_utf8_lossy(&raw);
            let body = line.trim_end_matches(['\n', '\r']);
            let ending = &line[body.len()..];
            let (text, range) = string_field(body, &text_field)
                .map_err(|e| anyhow::anyhow!("{place}: cannot rewrite the record: {e}"))?;
            let edited = self.edit(doc, &text, &place)?;
            if self.count(doc, &edited, text.len()) {
                continue;
            }
            let rewritten = if self.args.annotate {
                set_field(
                    body,
                    &self.args.annotate_field,
                    &self.annotation(doc, &edited),
                )
                .map_err(|e| anyhow::anyhow!("{place}: cannot annotate the record: {e}"))?
            } else {
                replace(body, range, &json_string(&edited.text))
            };
            writer.write_all(rewritten.as_bytes())?;
            writer.write_all(ending.as_bytes())?;
        }
        writer.commit()?;
        self.totals.files += 1;
        Ok(())
    }

    fn copy_file(&mut self, file: InputFileRef<'_>, out: &Path) -> Result<()> {
        let mut bytes = Vec::new();
        Inputs::open_content(file.path)
            .and_then(|mut r| r.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", file.display))?;
        let mut writer = AtomicWriter::create(out, is_gzip(file.path))?;
        writer.write_all(&bytes)?;
        writer.commit()?;
        self.totals.files += 1;
        Ok(())
    }
}

pub fn run(args: DedupArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    refuse_overlap(&args.output, &args.input.inputs)?;
    let run = scan_inputs(&args.input, params)?;
    let files: Vec<InputFileRef<'_>> = run.inputs.files().collect();
    let outputs = output_paths(&args.input.inputs, &args.output, &files)?;
    let mut doc_at = HashMap::new();
    // Files whose documents are records on lines (JSON Lines).
    let mut line_files: HashSet<&str> = HashSet::new();
    for (index, doc) in run.outcome.documents.iter().enumerate() {
        doc_at.insert(
            (doc.location.path.as_str(), doc.location.line),
            index as u32,
        );
        if doc.location.line.is_some() {
            line_files.insert(doc.location.path.as_str());
        }
    }
    for file in files.iter().filter(|f| line_files.contains(f.display)) {
        if Inputs::record_format(file.path, file.display, args.input.format)
            .is_ok_and(|format| format == InputFormat::JsonArray)
        {
            bail!(
                "{} is a JSON array: dedup rewrites text and JSON Lines inputs only",
                file.display
            );
        }
        if is_wet(file.path) {
            bail!(
                "{} is a WET file: dedup rewrites text and JSON Lines inputs only",
                file.display
            );
        }
    }
    if args.annotate {
        if let Some(doc) = run
            .outcome
            .documents
            .iter()
            .find(|d| d.location.line.is_none())
        {
            bail!(
                "--annotate adds a field to JSON Lines records; {} is a text document",
                doc.location.path
            );
        }
    }
    let reference = if args.overlap.has_reference(&args.reference) {
        if args.annotate {
            bail!("--annotate lists repeated paragraphs only; give --reference without it");
        }
        let mut log = ReadLog::new(args.input.strict, Vec::new())?;
        let reference = Reference::open(
            &args.input,
            &args.reference,
            &args.overlap,
            args.detect.fold_digits,
            &mut log,
        )?;
        log.finish();
        Some(reference)
    } else {
        None
    };
    let mut writer = Writer {
        args: &args,
        run: &run,
        plan: DedupPlan::new(&run.outcome),
        doc_at,
        totals: Totals::default(),
        reference,
        scratch: OverlapScratch::default(),
    };
    for (file, out) in files.iter().zip(&outputs) {
        if let Some(&doc) = writer.doc_at.get(&(file.display, None)) {
            writer.text_file(*file, doc, out)?;
        } else if line_files.contains(file.display) {
            writer.jsonl_file(*file, out)?;
        } else {
            // No document came from it (empty, or every record skipped): kept as it is.
            writer.copy_file(*file, out)?;
        }
    }

    if !args.quiet {
        let t = &writer.totals;
        let s = &run.outcome.summary;
        let share = |part: u64, whole: u64| percent(ratio(part, whole));
        let unit = unit_noun(&run.outcome.params.unit.to_string());
        let mut text = format!(
            "paradup dedup: {} in {} written to {}\n",
            plural(t.documents - t.dropped_documents, "document"),
            plural(t.files, "file"),
            args.output.display()
        );
        if args.annotate {
            text += &format!(
                "annotated:     {} ({} of {unit}s) in {}, field '{}'; {} of text would go\n",
                plural(t.paragraphs, &format!("duplicate {unit}")),
                share(t.paragraphs, s.paragraphs),
                plural(t.annotated_records, "record"),
                args.annotate_field,
                human_bytes(t.bytes)
            );
        } else {
            text += &format!(
                "removed:       {} ({} of {unit}s), {} of text ({} of bytes)\n",
                plural(t.paragraphs, &format!("duplicate {unit}")),
                share(t.paragraphs, s.paragraphs),
                human_bytes(t.bytes),
                share(t.bytes, s.bytes)
            );
        }
        if args.drop_duplicate_documents {
            text += &format!(
                "dropped:       {} whose every paragraph was a repeat\n",
                plural(t.dropped_documents, "document")
            );
        }
        if writer.reference.is_some() {
            text += &format!(
                "decontaminated: {} passages shared with the reference removed with a {}-byte window, {} more\n",
                t.reference_passages,
                args.reference_window,
                human_bytes(t.reference_bytes)
            );
        }
        output::print_stdout(&text)?;
    }
    Ok(if run.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}
