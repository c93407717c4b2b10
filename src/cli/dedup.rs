//! `paradup dedup`: writes the corpus again without its repeated paragraphs, in its own format.
//!
//! Text files are rewritten with the removed byte ranges cut out (see `paradup::dedup` for which
//! bytes go with a paragraph); JSON Lines records get a new text field spliced into the original
//! line, so every other field keeps its bytes and order; lines that are not documents (blank lines,
//! records the reader skipped) pass through unchanged. An output is compressed as its name says
//! (`.gz`, `.zst`); a file written under its input's name keeps the input's compression.
//!
//! Files are written in parallel, each to a temporary file beside its target; once all are
//! written they are synced to disk together and renamed into place (`output::commit_all`).

use super::args::DedupArgs;
use super::contamination::Reference;
use super::exit;
use super::output::{self, Output, Pending};
use super::scan::{configure_threads, scan_inputs_with, ReadLog, ScanRun};
use super::summary::{human_bytes, percent, plural, unit_noun};
use anyhow::{bail, Context, Result};
use flate2::write::GzEncoder;
use paradup::dedup::{cut_undecoded, edit_document, DedupPlan, EditedDocument};
use paradup::display::{ratio, round6};
use paradup::overlap::{removal_ranges, OverlapScratch};
use paradup::read::{Compression, InputFileRef};
use paradup::splice::{json_string, replace, set_field, string_field};
use paradup::{InputFormat, Inputs};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::{BufRead, Read, Write};
use std::ops::AddAssign;
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

impl AddAssign for Totals {
    fn add_assign(&mut self, other: Totals) {
        self.files += other.files;
        self.documents += other.documents;
        self.paragraphs += other.paragraphs;
        self.bytes += other.bytes;
        self.dropped_documents += other.dropped_documents;
        self.annotated_records += other.annotated_records;
        self.reference_passages += other.reference_passages;
        self.reference_bytes += other.reference_bytes;
    }
}

/// An output file, compressed as chosen.
pub(super) struct Encoded {
    shown: PathBuf,
    sink: Sink,
}

enum Sink {
    Plain(Output),
    Gzip(GzEncoder<Output>),
    Zstd(zstd::stream::write::Encoder<'static, Output>),
}

/// zstd's default level, as the `zstd` tool uses.
const ZSTD_LEVEL: i32 = 3;

impl Encoded {
    /// Opens the output `target`, whose folder exists.
    pub(super) fn create(target: &Path, compression: Compression) -> Result<Self> {
        let out = Output::create(target)?;
        let sink = match compression {
            Compression::None => Sink::Plain(out),
            Compression::Gzip => Sink::Gzip(GzEncoder::new(out, flate2::Compression::default())),
            Compression::Zstd => Sink::Zstd(
                zstd::stream::write::Encoder::new(out, ZSTD_LEVEL)
                    .with_context(|| format!("cannot write {}", target.display()))?,
            ),
        };
        Ok(Encoded {
            shown: target.to_path_buf(),
            sink,
        })
    }

    pub(super) fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        match &mut self.sink {
            Sink::Plain(w) => w.write_all(bytes),
            Sink::Gzip(w) => w.write_all(bytes),
            Sink::Zstd(w) => w.write_all(bytes),
        }
        .with_context(|| format!("cannot write {}", self.shown.display()))
    }

    /// Ends the compressed stream; the file is left for [`output::commit_all`].
    pub(super) fn finish(self) -> Result<Pending> {
        let out = match self.sink {
            Sink::Plain(w) => Ok(w),
            Sink::Gzip(w) => w.finish(),
            Sink::Zstd(w) => w.finish(),
        }
        .with_context(|| format!("cannot write {}", self.shown.display()))?;
        Ok(out.finish_later()?)
    }
}

/// The compression of the output `out` of an input compressed as `input`: what the output's name
/// says (`.gz`, `.zst`); a name that says nothing keeps the input's compression when the name is
/// the input's own (`same_name`), and is uncompressed otherwise; standard output is uncompressed.
pub(super) fn output_compression(out: &Path, input: Compression, same_name: bool) -> Compression {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if out.as_os_str() == "-" {
        Compression::None
    } else if name.ends_with(".gz") {
        Compression::Gzip
    } else if name.ends_with(".zst") {
        Compression::Zstd
    } else if same_name {
        input
    } else {
        Compression::None
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
pub(super) fn refuse_overlap(out: &Path, inputs: &[String]) -> Result<()> {
    if out.as_os_str() == "-" {
        return Ok(());
    }
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

/// True when the one input `given` is a file (or standard input) written to the output file
/// `output` itself.
pub(super) fn single_file_output(given: &[String], output: &Path) -> bool {
    output.as_os_str() == "-"
        || (given.len() == 1
            && (given[0] == "-" || !Path::new(&given[0]).is_dir())
            && !output.is_dir())
}

/// The folder under the output that mirrors the input folder `root`, when several inputs are
/// given: the folder as given when it is a plain relative path (`a`, `shards/2024`), its name
/// otherwise (`../a`, `/data/a`).
fn mirror_of(root: &str) -> Option<PathBuf> {
    let path = Path::new(root);
    let plain: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if !plain.as_os_str().is_empty()
        && plain
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
    {
        Some(plain)
    } else {
        path.canonicalize()
            .ok()
            .as_deref()
            .unwrap_or(path)
            .file_name()
            .map(PathBuf::from)
    }
}

/// Where each input file goes: the output file itself when one file is given; otherwise a path
/// under the output folder: with one folder given, the file's path inside it; with several
/// inputs, each folder is mirrored by its own name (`a/x.txt` and `b/x.txt` go to `OUT/a/x.txt`
/// and `OUT/b/x.txt`); a file given directly goes under its file name.
pub(super) fn output_paths(
    given: &[String],
    output: &Path,
    files: &[InputFileRef<'_>],
) -> Result<Vec<PathBuf>> {
    if single_file_output(given, output) {
        if files.len() > 1 {
            bail!(
                "{} files to write to one file {}: give one input file, or a folder as the output",
                files.len(),
                output.display()
            );
        }
        return Ok(files.iter().map(|_| output.to_path_buf()).collect());
    }
    let several = given.len() > 1;
    let mut seen: HashMap<PathBuf, &str> = HashMap::new();
    let mut paths = Vec::new();
    for file in files {
        if file.display == "-" {
            bail!("standard input can only be deduplicated alone, with -o naming the output file");
        }
        let display = Path::new(file.display);
        let relative = match file.found_in {
            Some(root) => {
                let inside = display
                    .strip_prefix(root)
                    .ok()
                    .map(Path::to_path_buf)
                    .with_context(|| format!("no output name for {}", file.display))?;
                if several {
                    mirror_of(root)
                        .with_context(|| format!("no output folder for the input {root}"))?
                        .join(inside)
                } else {
                    inside
                }
            }
            None => display
                .file_name()
                .map(PathBuf::from)
                .with_context(|| format!("no output name for {}", file.display))?,
        };
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            bail!("no output name for {}", file.display);
        }
        let path = output.join(&relative);
        if let Some(other) = seen.insert(path.clone(), file.display) {
            bail!(
                "{other} and {} would both be written to {}; give them in separate runs",
                file.display,
                path.display()
            );
        }
        paths.push(path);
    }
    Ok(paths)
}

/// Hands every line of a file's content to `line` with its 1-based number, line ending included.
pub(super) fn for_each_line(
    reader: &mut dyn BufRead,
    display: &str,
    cut_at: Option<u64>,
    line: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut raw = Vec::new();
    let mut number = 0u64;
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            // Where the scan found the stream cut (and kept the records before, as these are):
            // the rest of the file is lost, which the run's skipped records already say.
            Err(_) if cut_at == Some(number + 1) => return Ok(()),
            Err(e) => {
                return Err(e).with_context(|| format!("{display}:{}: read failed", number + 1))
            }
        }
        number += 1;
        line(number, &raw)?;
    }
}

/// The line of `display` where its compressed stream was found cut when it was read (among the
/// run's skipped records `errors`), if it was.
pub(super) fn cut_line(errors: &[crate::InputError], display: &str) -> Option<u64> {
    errors
        .iter()
        .find(|e| e.kind == crate::InputErrorKind::Decompression && e.path == display)
        .and_then(|e| e.line)
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
    /// Document index by (path, line or Parquet row).
    doc_at: HashMap<(&'a str, Option<u64>), u32>,
    /// Files whose documents are Parquet rows.
    parquet_files: HashSet<&'a str>,
    /// The test set whose passages are removed too (`--reference`).
    reference: Option<Reference>,
}

/// What writing one file gave: its totals and the output waiting to be moved into place.
struct Written {
    totals: Totals,
    pending: Option<Pending>,
}

impl Writer<'_> {
    /// True when a record goes out as it came in, unparsed: nothing of it is removed or
    /// annotated, and no reference may take a passage from it.
    fn passes_unchanged(&self, doc: u32) -> bool {
        self.plan.removal_count(doc) == 0 && !self.args.annotate && self.reference.is_none()
    }

    /// The document with its repeats removed, and with `--reference` the passages it shares with
    /// the reference (counted into `totals`).
    fn edit(
        &self,
        totals: &mut Totals,
        doc: u32,
        text: &str,
        place: &str,
    ) -> Result<EditedDocument> {
        let params = &self.run.outcome.params;
        let expected = self.run.outcome.documents.at(doc as usize).bytes;
        if text.len() as u64 != expected {
            bail!("{place}: the text is not what the scan read: the input changed during the run");
        }
        let mut edited = edit_document(
            text,
            params.split,
            params.unit,
            params.normalize,
            &self.plan.removals(doc),
        )
        .with_context(|| place.to_string())?;
        if let Some(reference) = &self.reference {
            let overlap = reference
                .index
                .measure(text, &mut OverlapScratch::default());
            let ranges = removal_ranges(text, &overlap.spans, self.args.reference_window);
            totals.reference_passages += overlap.spans.len() as u64;
            totals.reference_bytes += edited.remove_also(text, &ranges) as u64;
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
                    canonical: documents.at(r.canonical_doc as usize).id.to_string(),
                    canonical_location: documents.at(r.canonical_doc as usize).location.to_string(),
                    similarity: round6(r.similarity),
                })
                .collect(),
            duplicate_document: edited.all_repeats,
        };
        serde_json::to_string(&annotation).unwrap_or_default()
    }

    /// Counts a document's removals into `totals`; returns true when the whole document is to be
    /// left out.
    fn count(
        &self,
        totals: &mut Totals,
        doc: u32,
        edited: &EditedDocument,
        text_len: usize,
    ) -> bool {
        totals.documents += 1;
        let removed = self.plan.removal_count(doc) as u64;
        if self.args.annotate {
            totals.annotated_records += u64::from(removed > 0);
            totals.paragraphs += removed;
            totals.bytes += edited.removed_bytes as u64;
            return false;
        }
        totals.paragraphs += removed;
        if self.args.drop_duplicate_documents && edited.all_repeats {
            totals.dropped_documents += 1;
            totals.bytes += text_len as u64;
            return true;
        }
        totals.bytes += edited.removed_bytes as u64;
        false
    }

    /// Opens the output of `file` at `out`, compressed as [`output_compression`] says.
    fn create(
        &self,
        file: InputFileRef<'_>,
        compression: Compression,
        out: &Path,
    ) -> Result<Encoded> {
        let same_name = out.file_name() == Path::new(file.display).file_name();
        Encoded::create(out, output_compression(out, compression, same_name))
    }

    /// Writes the output of one input file.
    fn file(&self, file: InputFileRef<'_>, line_based: bool, out: &Path) -> Result<Written> {
        if self.parquet_files.contains(file.display) {
            return self.parquet_file(file, out);
        }
        let (reader, compression) = Inputs::open_decoded(file.path)
            .with_context(|| format!("cannot read {}", file.display))?;
        if let Some(&doc) = self.doc_at.get(&(file.display, None)) {
            self.text_file(file, reader, compression, doc, out)
        } else if line_based {
            self.jsonl_file(file, reader, compression, out)
        } else {
            // No document came from it (empty, every record skipped, or a text cut short):
            // kept as it is.
            self.copy_file(file, reader, compression, out)
        }
    }

    fn text_file(
        &self,
        file: InputFileRef<'_>,
        mut reader: Box<dyn BufRead>,
        compression: Compression,
        doc: u32,
        out: &Path,
    ) -> Result<Written> {
        let mut totals = Totals::default();
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", file.display))?;
        // A byte-order mark is not part of the document's text; it is written back as it was.
        let (bom, bytes) = bytes.split_at(if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        });
        let text = String::from_utf8_lossy(bytes);
        let edited = self.edit(&mut totals, doc, &text, file.display)?;
        if self.count(&mut totals, doc, &edited, text.len()) {
            // A stale copy from an earlier run must not stand in for the dropped document.
            return Ok(Written {
                totals,
                pending: Some(Pending::removal(out)),
            });
        }
        let mut writer = self.create(file, compression, out)?;
        writer.write_all(bom)?;
        match std::str::from_utf8(bytes) {
            Ok(_) => writer.write_all(edited.text.as_bytes())?,
            // Invalid sequences were read as U+FFFD; the output keeps the original bytes.
            Err(_) => writer.write_all(&cut_undecoded(bytes, &edited.removed))?,
        }
        totals.files += 1;
        Ok(Written {
            totals,
            pending: Some(writer.finish()?),
        })
    }

    fn jsonl_file(
        &self,
        file: InputFileRef<'_>,
        mut reader: Box<dyn BufRead>,
        compression: Compression,
        out: &Path,
    ) -> Result<Written> {
        let mut totals = Totals::default();
        let mut writer = self.create(file, compression, out)?;
        let text_field = &self.args.input.text_field;
        let cut_at = cut_line(&self.run.errors, file.display);
        for_each_line(&mut reader, file.display, cut_at, &mut |number, raw| {
            let Some(&doc) = self.doc_at.get(&(file.display, Some(number))) else {
                return writer.write_all(raw);
            };
            if self.passes_unchanged(doc) {
                totals.documents += 1;
                return writer.write_all(raw);
            }
            let place = format!("{}:{number}", file.display);
            let line = String::from_utf8_lossy(raw);
            let body = line.trim_end_matches(['\n', '\r']);
            let ending = &line[body.len()..];
            let (text, range) = string_field(body, text_field)
                .map_err(|e| anyhow::anyhow!("{place}: cannot rewrite the record: {e}"))?;
            let edited = self.edit(&mut totals, doc, &text, &place)?;
            if self.count(&mut totals, doc, &edited, text.len()) {
                return Ok(());
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
            writer.write_all(ending.as_bytes())
        })?;
        totals.files += 1;
        Ok(Written {
            totals,
            pending: Some(writer.finish()?),
        })
    }

    /// Writes a Parquet file again: the same columns, schema, codecs and row groups, the text
    /// column edited (or, with `--annotate`, a column added); rows that are not documents (null
    /// texts) are kept as they are.
    fn parquet_file(&self, file: InputFileRef<'_>, out: &Path) -> Result<Written> {
        let mut totals = Totals::default();
        let (compression, _) = Inputs::sniff(file.display, file.path)
            .with_context(|| format!("cannot read {}", file.display))?;
        if compression != Compression::None {
            bail!(
                "{} is a compressed Parquet file: dedup rewrites Parquet files that are not \
                 compressed as a whole (their pages are compressed inside)",
                file.display
            );
        }
        let input = std::fs::File::open(file.path)
            .with_context(|| format!("cannot read {}", file.display))?;
        let added = self
            .args
            .annotate
            .then(|| paradup::parquet_out::AddedColumn {
                name: self.args.annotate_field.clone(),
            });
        let (output, _) = paradup::parquet_out::rewrite(
            &input,
            Output::create(out)?,
            &self.args.input.text_field,
            added.as_ref(),
            &mut |row, text| {
                use paradup::parquet_out::RowEdit;
                let (Some(&doc), Some(text)) = (self.doc_at.get(&(file.display, Some(row))), text)
                else {
                    return Ok((RowEdit::Keep, None));
                };
                if self.passes_unchanged(doc) {
                    totals.documents += 1;
                    return Ok((RowEdit::Keep, None));
                }
                let place = format!("{}:{row}", file.display);
                let edited = self
                    .edit(&mut totals, doc, text, &place)
                    .map_err(|e| format!("{e:#}"))?;
                if self.count(&mut totals, doc, &edited, text.len()) {
                    return Ok((RowEdit::Drop, None));
                }
                Ok(if self.args.annotate {
                    (RowEdit::Keep, Some(self.annotation(doc, &edited)))
                } else {
                    (RowEdit::Replace(edited.text), None)
                })
            },
        )
        .map_err(|e| anyhow::anyhow!("{}: cannot write the Parquet output: {e}", file.display))?;
        totals.files += 1;
        Ok(Written {
            totals,
            pending: Some(output.finish_later()?),
        })
    }

    fn copy_file(
        &self,
        file: InputFileRef<'_>,
        mut reader: Box<dyn BufRead>,
        compression: Compression,
        out: &Path,
    ) -> Result<Written> {
        let mut bytes = Vec::new();
        if let Err(error) = reader.read_to_end(&mut bytes) {
            // A stream the scan found cut (and left out, told among the skipped records): what
            // it decodes to before the cut is kept, as the records before a cut are.
            let cut =
                self.run.errors.iter().any(|e| {
                    e.kind == crate::InputErrorKind::Decompression && e.path == file.display
                });
            if !cut {
                return Err(error).with_context(|| format!("cannot read {}", file.display));
            }
        }
        let mut writer = self.create(file, compression, out)?;
        writer.write_all(&bytes)?;
        Ok(Written {
            totals: Totals {
                files: 1,
                ..Totals::default()
            },
            pending: Some(writer.finish()?),
        })
    }
}

pub fn run(args: DedupArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    configure_threads(args.detect.threads)?;
    refuse_overlap(&args.output, &args.input.inputs)?;
    if args.annotate {
        let input = &args.input;
        let taken = [
            Some(&input.text_field),
            Some(&input.id_field),
            input.source_field.as_ref(),
        ];
        if taken
            .into_iter()
            .flatten()
            .any(|field| *field == args.annotate_field)
        {
            bail!(
                "--annotate-field {} is a field the records are read from: name a field of its own",
                args.annotate_field
            );
        }
    }
    // A run that cannot write its output is told so before it reads anything.
    let single_file = single_file_output(&args.input.inputs, &args.output);
    if args.output.as_os_str() == "-" && args.input.inputs.len() > 1 {
        bail!(
            "{} inputs to write to standard output: give one input file, or a folder as the output",
            args.input.inputs.len()
        );
    }
    if single_file {
        output::check_writable(&args.output)?;
    } else {
        output::check_folder_writable(&args.output)?;
    }
    let run = scan_inputs_with(
        &args.input,
        params,
        &args.detect.memory_request(),
        args.quiet,
        &[],
    )?;
    let files: Vec<InputFileRef<'_>> = run.inputs.files().collect();
    let outputs = output_paths(&args.input.inputs, &args.output, &files)?;
    let mut doc_at = HashMap::new();
    // Files whose documents are Parquet rows.
    let mut parquet_files: HashSet<&str> = HashSet::new();
    // Files whose documents are records on lines (JSON Lines).
    let mut line_files: HashSet<&str> = HashSet::new();
    for (index, doc) in run.outcome.documents.iter().enumerate() {
        doc_at.insert((doc.location.path, doc.location.record()), index as u32);
        if doc.location.row.is_some() {
            parquet_files.insert(doc.location.path);
        }
        if doc.location.line.is_some() {
            line_files.insert(doc.location.path);
        }
    }
    // Files read record by record may be WET, which dedup does not rewrite: told by the readers'
    // own sniffer.
    for file in files.iter().filter(|f| line_files.contains(f.display)) {
        let format = Inputs::record_format(file.display, file.path, run.read_options.format)
            .with_context(|| format!("cannot read {}", file.display))?;
        let refused = match format {
            InputFormat::Wet => Some("a WET file"),
            InputFormat::JsonArray => Some("a JSON array"),
            _ => None,
        };
        if let Some(kind) = refused {
            bail!(
                "{} is {kind}: dedup rewrites text and JSON Lines inputs only",
                file.display
            );
        }
    }
    if args.annotate {
        if let Some(doc) = run
            .outcome
            .documents
            .iter()
            .find(|d| d.location.record().is_none())
        {
            bail!(
                "--annotate adds a field to JSON Lines records and a column to Parquet rows; {} is a text document",
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
    exit::settle(if run.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    });
    let writer = Writer {
        args: &args,
        run: &run,
        plan: DedupPlan::new(&run.outcome)
            .context("cannot read the clusters' copies back from the spill folder")?,
        doc_at,
        parquet_files,
        reference,
    };
    // The folders of a folder output, made once rather than once a file.
    if !single_file {
        let folders: BTreeSet<&Path> = outputs.iter().filter_map(|out| out.parent()).collect();
        for folder in folders {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create folder {}", folder.display()))?;
        }
    }
    // Written in parallel (each file's output is its own); the first error in input order is
    // the one told, and every temporary file of a failed run is removed.
    let written: Vec<Result<Written>> = files
        .par_iter()
        .zip(&outputs)
        .map(|(file, out)| writer.file(*file, line_files.contains(file.display), out))
        .collect();
    let mut totals = Totals::default();
    let mut pending = Vec::with_capacity(written.len());
    for result in written {
        let written = result?;
        totals += written.totals;
        pending.extend(written.pending);
    }
    output::commit_all(pending)?;

    if !args.quiet {
        let t = &totals;
        let s = &run.outcome.summary;
        let share = |part: u64, whole: u64| percent(ratio(part, whole));
        // When standard output carries the corpus, the summary goes to standard error.
        let stdout_taken = matches!(
            output::destination(&args.output),
            Ok(output::Destination::Stdout)
        );
        let unit = unit_noun(&run.outcome.params.unit.to_string());
        let mut text = format!(
            "paradup dedup: {} in {} written to {}\n",
            plural(t.documents - t.dropped_documents, "document"),
            plural(t.files, "file"),
            if stdout_taken {
                "standard output".to_string()
            } else {
                args.output.display().to_string()
            }
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
                "decontaminated: {} shared with the reference removed with a {}-byte window, {} more\n",
                plural(t.reference_passages, "passage"),
                args.reference_window,
                human_bytes(t.reference_bytes)
            );
        }
        output::print_summary(&text, stdout_taken)?;
    }
    Ok(if run.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_is_what_the_name_says() {
        let by = |out: &str, input, same| output_compression(Path::new(out), input, same);
        assert_eq!(
            by("a.jsonl.zst", Compression::None, false),
            Compression::Zstd
        );
        assert_eq!(
            by("a.JSONL.GZ", Compression::Zstd, false),
            Compression::Gzip
        );
        assert_eq!(by("a.jsonl", Compression::Zstd, false), Compression::None);
        assert_eq!(by("a.jsonl", Compression::Gzip, true), Compression::Gzip);
        assert_eq!(by("-", Compression::Gzip, true), Compression::None);
    }

    #[test]
    fn folders_are_mirrored_by_their_path_or_name() {
        assert_eq!(mirror_of("a"), Some(PathBuf::from("a")));
        assert_eq!(
            mirror_of("./shards/2024/"),
            Some(PathBuf::from("shards/2024"))
        );
        assert_eq!(mirror_of("/data/a"), Some(PathBuf::from("a")));
        assert_eq!(mirror_of("/"), None);
    }
}
