//! Reading turns the paths a user gives into documents, one at a time and in a fixed order.
//!
//! Folders are walked in sorted order (optionally narrowed by glob patterns), standard input and
//! other inputs that cannot be read twice (pipes, FIFOs) are spooled to a temporary file, and gzip
//! and zstd are recognized by their magic bytes, so that the same inputs always yield the same
//! documents with the same indices, and can be read a second time (to cut out the text of a
//! cluster's copies) without keeping the corpus in memory.
//!
//! Three record formats are read: plain text (a file is a document), JSON Lines (an object a line)
//! and Common Crawl WET (WARC records of extracted text). Reading streams: only the record at hand
//! is in memory. A bad record never stops the reading: it is reported, with its file and line, as a
//! [`ReadEvent::Skipped`], and the caller decides whether to go on. Text that is not valid UTF-8 is
//! decoded with U+FFFD in place of the bad bytes and announced by a [`ReadEvent::Repaired`].

mod select;
mod stream;
mod wet;

pub use select::{FileSelection, SelectionError};

use crate::scan::{Document, DocumentEntry, Location};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
pub use stream::Compression;

/// The record format of an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// Decided per file: WET when the (decompressed) content starts with `WARC/`; JSON Lines by
    /// name (`.jsonl`, `.ndjson`, `.json`, optionally compressed) or by a first line that is a JSON
    /// object; WET by name (`.wet`, `.warc`); plain text otherwise.
    Auto,
    /// The whole file is one document.
    Text,
    /// One JSON object a line.
    Jsonl,
    /// Common Crawl WET: WARC `conversion` records, one document each.
    Wet,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Auto => "auto",
            InputFormat::Text => "text",
            InputFormat::Jsonl => "jsonl",
            InputFormat::Wet => "wet",
        })
    }
}

impl FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(InputFormat::Auto),
            "text" => Ok(InputFormat::Text),
            "jsonl" => Ok(InputFormat::Jsonl),
            "wet" => Ok(InputFormat::Wet),
            other => Err(format!(
                "unknown format '{other}' (expected auto, text, jsonl or wet)"
            )),
        }
    }
}

/// How records are read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// Record format.
    pub format: InputFormat,
    /// JSON field holding the text; dots reach into nested objects (`meta.body`).
    pub text_field: String,
    /// JSON field holding the document id; a record without one is named `PATH:LINE`.
    pub id_field: String,
    /// JSON field naming the document's source (publisher, site), if any; dots reach into nested
    /// objects (`meta.url`).
    pub source_field: Option<String>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            format: InputFormat::Auto,
            text_field: "text".into(),
            id_field: "id".into(),
            source_field: None,
        }
    }
}

/// A record or file that could not be read (or was read only after a repair), and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// The input file (`-` for standard input).
    pub path: String,
    /// 1-based line, where the format has lines.
    pub line: Option<u64>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.path, line, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for InputError {}

/// What reading yields, in input order.
#[derive(Debug)]
pub enum ReadEvent {
    /// A document.
    Document(Document),
    /// A record or file left out.
    Skipped(InputError),
    /// The document that follows was kept, but its bytes were not valid UTF-8: each invalid
    /// sequence was replaced by U+FFFD. Not a skip: the document is the next event.
    Repaired(InputError),
}

/// One file to read.
#[derive(Debug)]
struct InputFile {
    /// The name reports use.
    display: String,
    /// Where the bytes are (a spool file for standard input).
    path: PathBuf,
    /// Its size when it is a regular file.
    size: Option<u64>,
    /// The folder, as given, that the file was found in (none for a file named directly).
    found_in: Option<String>,
}

/// The resolved inputs of a run: every file, in the order they are read.
#[derive(Debug)]
pub struct Inputs {
    files: Vec<InputFile>,
    /// Files met in folders and left out on purpose, and why.
    notes: Vec<InputError>,
    /// Keeps the spool files (of standard input, pipes and devices) alive as long as the inputs.
    _spools: Vec<tempfile::NamedTempFile>,
    /// Raw (still compressed) bytes taken from the files so far, for progress displays.
    bytes_read: AtomicU64,
}

impl Inputs {
    /// Expands the paths a user gave: a folder becomes its files (recursively, sorted by name,
    /// hidden entries left out), `-` becomes standard input. Paths that cannot be opened are
    /// returned as errors and left out.
    pub fn resolve(paths: &[String]) -> (Inputs, Vec<InputError>) {
        Inputs::resolve_selected(paths, &FileSelection::all())
    }

    /// Like [`Inputs::resolve`], keeping only the files inside folders that `selection` selects.
    /// Files named directly are always kept.
    pub fn resolve_selected(
        paths: &[String],
        selection: &FileSelection,
    ) -> (Inputs, Vec<InputError>) {
        Inputs::resolve_excluding(paths, selection, &[])
    }

    /// Like [`Inputs::resolve_selected`], leaving out the files at `excluded` (the outputs of the
    /// running command: what it writes is never what it reads), with a note.
    ///
    /// Standard input, and any other input that cannot be read twice (a pipe such as `<(cat x)`,
    /// a FIFO, a device), is read once into a temporary spool file, so that every later pass sees
    /// the same bytes. In folders, symbolic links are followed (a link back to a folder being
    /// walked is not, so the walk ends); FIFOs, sockets and devices are left out (reading one
    /// could wait forever), and so are the reports paradup writes (a JSON file whose `schema`
    /// starts `paradup.`, an HTML page paradup generated), each with a note ([`Inputs::notes`]).
    pub fn resolve_excluding(
        paths: &[String],
        selection: &FileSelection,
        excluded: &[PathBuf],
    ) -> (Inputs, Vec<InputError>) {
        let mut resolver = Resolver {
            selection,
            excluded: excluded
                .iter()
                .filter_map(|path| path.canonicalize().ok())
                .collect(),
            inputs: Inputs {
                files: Vec::new(),
                notes: Vec::new(),
                _spools: Vec::new(),
                bytes_read: AtomicU64::new(0),
            },
            errors: Vec::new(),
            walked: Vec::new(),
        };
        for given in paths {
            resolver.given(given);
        }
        resolver.leave_out_reports();
        (resolver.inputs, resolver.errors)
    }

    /// Files met in folders (or named) and left out on purpose, and why: not errors, but worth
    /// a word to the user.
    pub fn notes(&self) -> &[InputError] {
        &self.notes
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// The names of the files, in reading order, as reports show them.
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.display.as_str())
    }

    /// Sum of the files' sizes, when every input is a regular file (then it is what
    /// [`Inputs::bytes_read`] reaches at the end of a full read).
    pub fn total_bytes(&self) -> Option<u64> {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Raw bytes (compressed, where the file is) read from the files so far, over every read.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// Reads every file in order, handing each document and each skipped record to `visit`, which
    /// may stop the reading early.
    pub fn read(
        &self,
        options: &ReadOptions,
        visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.read_files(options, &|_| Some(LineSet::All), visit)
    }

    /// Reads the files for which `lines_of` (given the display name) says which lines it wants;
    /// in line-based formats the records on other lines are passed over without parsing.
    fn read_files(
        &self,
        options: &ReadOptions,
        lines_of: &dyn Fn(&str) -> Option<LineSet>,
        visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        for file in &self.files {
            let Some(lines) = lines_of(&file.display) else {
                continue;
            };
            let raw = match File::open(&file.path) {
                Ok(raw) => raw,
                Err(e) => {
                    visit(ReadEvent::Skipped(file_error(
                        &file.display,
                        format!("cannot open: {e}"),
                    )))?;
                    continue;
                }
            };
            let counted = stream::Counting::new(raw, &self.bytes_read);
            let wanted = |line: u64| lines.contains(line);
            read_source(
                &file.display,
                Box::new(counted),
                options,
                Some(&wanted),
                visit,
            )?;
        }
        ControlFlow::Continue(())
    }

    /// Reads the inputs again and cuts out the requested spans: `(document index, start, end)`,
    /// where `documents` are the scan's documents (their locations say where to look, so only the
    /// files and records holding a requested span are parsed). A span whose document is gone, or
    /// no longer that long, comes back as `None`.
    pub fn fetch_spans(
        &self,
        options: &ReadOptions,
        documents: &[DocumentEntry],
        requests: &[(u32, usize, usize)],
    ) -> Vec<Option<String>> {
        let mut found: Vec<Option<String>> = vec![None; requests.len()];
        // Requests by the location of their document.
        let mut by_location: HashMap<(&str, Option<u64>), Vec<usize>> = HashMap::new();
        for (i, &(doc, _, _)) in requests.iter().enumerate() {
            if let Some(entry) = documents.get(doc as usize) {
                let location = (entry.location.path.as_str(), entry.location.line);
                by_location.entry(location).or_default().push(i);
            }
        }
        if by_location.is_empty() {
            return found;
        }
        // The wanted lines of each file, looked up once a file rather than once a line.
        let mut lines_by_file: HashMap<&str, LineSet> = HashMap::new();
        for &(path, line) in by_location.keys() {
            let lines = lines_by_file.entry(path).or_insert_with(LineSet::none);
            match line {
                Some(line) => lines.insert(line),
                None => *lines = LineSet::All,
            }
        }
        let mut remaining = by_location.len();
        let _ = self.read_files(
            options,
            &|file| lines_by_file.get(file).cloned(),
            &mut |event| {
                if let ReadEvent::Document(doc) = event {
                    let key = (doc.location.path.as_str(), doc.location.line);
                    if let Some(wanted) = by_location.get(&key) {
                        for &i in wanted {
                            let (_, start, end) = requests[i];
                            found[i] = doc.text.get(start..end).map(str::to_owned);
                        }
                        remaining -= 1;
                        if remaining == 0 {
                            return ControlFlow::Break(());
                        }
                    }
                }
                ControlFlow::Continue(())
            },
        );
        found
    }
}

/// Reads one byte stream as paradup reads a file called `name`: gzip or zstd compression and
/// (with [`InputFormat::Auto`]) the record format are recognized from the content, and every
/// document, skipped record and repair goes to `visit`, in order. This is what [`Inputs::read`]
/// does for each file; it is public so that any source of bytes can be read the same way.
pub fn read_stream(
    name: &str,
    input: impl Read,
    options: &ReadOptions,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    read_source(name, Box::new(input), options, None, visit)
}

fn file_error(path: &str, message: String) -> InputError {
    InputError {
        path: path.to_owned(),
        line: None,
        message,
    }
}

fn line_error(path: &str, line: u64, message: String) -> InputError {
    InputError {
        path: path.to_owned(),
        line: Some(line),
        message,
    }
}

/// Copies a stream that cannot be read twice into a temporary file that can.
fn spool(mut input: impl Read) -> io::Result<tempfile::NamedTempFile> {
    let mut spool = tempfile::NamedTempFile::new()?;
    io::copy(&mut input, spool.as_file_mut())?;
    Ok(spool)
}

/// What a file system entry that is neither a folder nor a regular file is, for notes.
fn special_kind(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        } else if kind.is_socket() {
            return "a socket";
        } else if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    let _ = kind;
    "not a regular file"
}

/// Bytes of a file's start looked at to recognize a paradup report.
const REPORT_HEAD_BYTES: u64 = 4096;

/// True when the file is a report paradup writes: a JSON object whose first field is a `schema`
/// starting `paradup.` (scan, compare, baseline), or an HTML page whose generator is paradup.
fn is_paradup_report(path: &Path) -> bool {
    let mut head = Vec::new();
    if File::open(path)
        .and_then(|file| file.take(REPORT_HEAD_BYTES).read_to_end(&mut head))
        .is_err()
    {
        return false;
    }
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(&head);
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start();
    if let Some(rest) = text.strip_prefix('{') {
        let schema = rest
            .trim_start()
            .strip_prefix("\"schema\"")
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::trim_start);
        return schema.is_some_and(|value| value.starts_with("\"paradup."));
    }
    text.starts_with('<') && text.contains("<meta name=\"generator\" content=\"paradup ")
}

/// Turns the paths a user gave into the files of [`Inputs`].
struct Resolver<'a> {
    selection: &'a FileSelection,
    /// Canonical paths of files that are not read.
    excluded: Vec<PathBuf>,
    inputs: Inputs,
    errors: Vec<InputError>,
    /// For each file of `inputs`, whether it was found in a folder (and so is left out if it is a
    /// paradup report).
    walked: Vec<bool>,
}

impl Resolver<'_> {
    /// Leaves out the files found in folders that are paradup's own reports (looked at in
    /// parallel: one small read a file), each with a note, in input order.
    fn leave_out_reports(&mut self) {
        let files = std::mem::take(&mut self.inputs.files);
        let reports: Vec<bool> = files
            .par_iter()
            .zip(&self.walked)
            .map(|(file, &walked)| walked && is_paradup_report(&file.path))
            .collect();
        for (file, report) in files.into_iter().zip(reports) {
            if report {
                self.note(
                    Path::new(&file.display),
                    "left out: a report written by paradup".into(),
                );
            } else {
                self.inputs.files.push(file);
            }
        }
    }

    fn push(&mut self, file: InputFile, walked: bool) {
        self.inputs.files.push(file);
        self.walked.push(walked);
    }

    fn note(&mut self, path: &Path, message: String) {
        self.inputs
            .notes
            .push(file_error(&path.display().to_string(), message));
    }

    fn spooled(&mut self, display: &str, spooled: io::Result<tempfile::NamedTempFile>) {
        match spooled {
            Ok(spool) => {
                let size = spool.as_file().metadata().ok().map(|m| m.len());
                self.push(
                    InputFile {
                        display: display.to_owned(),
                        path: spool.path().to_path_buf(),
                        size,
                        found_in: None,
                    },
                    false,
                );
                self.inputs._spools.push(spool);
            }
            Err(e) => self
                .errors
                .push(file_error(display, format!("cannot read: {e}"))),
        }
    }

    /// True (after a note) when the file at `canonical` is an output of the run.
    fn excluded(&mut self, path: &Path, canonical: impl FnOnce() -> Option<PathBuf>) -> bool {
        if self.excluded.is_empty() {
            return false;
        }
        let Some(canonical) = canonical() else {
            return false;
        };
        if self.excluded.contains(&canonical) {
            self.note(path, "left out: it is an output of this run".into());
            return true;
        }
        false
    }

    fn given(&mut self, given: &str) {
        if given == "-" {
            let spooled = spool(io::stdin().lock());
            self.spooled("-", spooled);
            return;
        }
        let path = Path::new(given);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut ancestors =
                    vec![path.canonicalize().unwrap_or_else(|_| path.to_path_buf())];
                self.walk(path, path, &mut ancestors);
            }
            Ok(meta) if meta.is_file() => {
                if !self.excluded(path, || path.canonicalize().ok()) {
                    self.push(
                        InputFile {
                            display: given.to_owned(),
                            path: path.to_path_buf(),
                            size: Some(meta.len()),
                            found_in: None,
                        },
                        false,
                    );
                }
            }
            // A pipe (`<(cat x)`), a FIFO or a device gives its bytes once.
            Ok(_) => {
                let spooled = File::open(path).and_then(spool);
                self.spooled(given, spooled);
            }
            Err(e) => self
                .errors
                .push(file_error(given, format!("cannot open: {e}"))),
        }
    }

    /// Walks `dir` (inside the folder `root` given), whose canonical path and those of the
    /// folders above it are `ancestors`.
    fn walk(&mut self, root: &Path, dir: &Path, ancestors: &mut Vec<PathBuf>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.errors.push(file_error(
                    &dir.display().to_string(),
                    format!("cannot list folder: {e}"),
                ));
                return;
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
            .map(|entry| entry.path())
            .collect();
        paths.sort();
        for path in paths {
            let Ok(own) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let is_link = own.file_type().is_symlink();
            // A link is read through: what counts is what it leads to. A broken link is listed
            // and fails to open when read, as a file that vanished would.
            let meta = if is_link {
                std::fs::metadata(&path).unwrap_or(own)
            } else {
                own
            };
            let canonical = || -> Option<PathBuf> {
                if is_link {
                    path.canonicalize().ok()
                } else {
                    Some(ancestors.last()?.join(path.file_name()?))
                }
            };
            if meta.is_dir() {
                let Some(canonical) = canonical() else {
                    continue;
                };
                if ancestors.contains(&canonical) {
                    self.note(
                        &path,
                        format!(
                            "link not followed: it leads back to {}, a folder being read",
                            canonical.display()
                        ),
                    );
                    continue;
                }
                ancestors.push(canonical);
                self.walk(root, &path, ancestors);
                ancestors.pop();
                continue;
            }
            if !self
                .selection
                .selects(path.strip_prefix(root).unwrap_or(&path))
            {
                continue;
            }
            if !meta.is_file() && !meta.file_type().is_symlink() {
                let kind = special_kind(meta.file_type());
                self.note(&path, format!("left out: {kind}, not a file to read"));
                continue;
            }
            if self.excluded(&path, canonical) {
                continue;
            }
            self.push(
                InputFile {
                    display: path.display().to_string(),
                    size: meta.is_file().then_some(meta.len()),
                    path,
                    found_in: Some(root.display().to_string()),
                },
                meta.is_file(),
            );
        }
    }
}

fn named_as(display: &str, extensions: &[&str]) -> bool {
    let name = display.to_ascii_lowercase();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(&name);
    extensions.iter().any(|ext| name.ends_with(ext))
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Picks the record format of a stream whose first buffered bytes are `head`.
fn detect_format(display: &str, head: &[u8]) -> InputFormat {
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    if head.starts_with(b"WARC/") {
        InputFormat::Wet
    } else if named_as(display, &[".jsonl", ".ndjson", ".json"]) {
        InputFormat::Jsonl
    } else if named_as(display, &[".wet", ".warc"]) {
        InputFormat::Wet
    } else if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        InputFormat::Jsonl
    } else {
        InputFormat::Text
    }
}

fn read_source<'a>(
    display: &str,
    raw: Box<dyn Read + 'a>,
    options: &ReadOptions,
    wanted: LineFilter<'_>,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let decoded = match stream::decode(raw) {
        Ok(decoded) => decoded,
        Err((compression, e)) => {
            return visit(ReadEvent::Skipped(file_error(
                display,
                stream::failure(compression, &e),
            )))
        }
    };
    let format = match options.format {
        InputFormat::Auto => detect_format(display, &decoded.head),
        explicit => explicit,
    };
    let (reader, compression) = (decoded.reader, decoded.compression);
    match format {
        InputFormat::Jsonl => read_jsonl(display, reader, compression, options, wanted, visit),
        InputFormat::Wet => wet::read_wet(display, reader, compression, visit),
        InputFormat::Text | InputFormat::Auto => read_text(display, reader, compression, visit),
    }
}

/// Decodes `bytes` as UTF-8, replacing invalid sequences with U+FFFD. Returns the text and, when
/// something was replaced, a description of the repair.
fn decode_utf8(bytes: Vec<u8>) -> (String, Option<String>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let bytes = e.into_bytes();
            let mut invalid = 0usize;
            let mut first = None;
            let mut offset = 0usize;
            for chunk in bytes.utf8_chunks() {
                offset += chunk.valid().len();
                if !chunk.invalid().is_empty() {
                    invalid += 1;
                    first.get_or_insert(offset);
                    offset += chunk.invalid().len();
                }
            }
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let note = format!(
                "invalid UTF-8: {invalid} byte sequence{} replaced by U+FFFD (first at byte {})",
                if invalid == 1 { "" } else { "s" },
                first.unwrap_or(0)
            );
            (text, Some(note))
        }
    }
}

fn read_text(
    display: &str,
    mut reader: Box<dyn BufRead + '_>,
    compression: Compression,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        let mut message = stream::failure(compression, &e);
        if !bytes.is_empty() {
            message.push_str("; the document is incomplete and left out");
        }
        return visit(ReadEvent::Skipped(file_error(display, message)));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return visit(ReadEvent::Skipped(file_error(
            display,
            format!("binary file (NUL byte at offset {at}), not text"),
        )));
    }
    let (text, repair) = decode_utf8(bytes);
    if let Some(note) = repair {
        visit(ReadEvent::Repaired(file_error(display, note)))?;
    }
    visit(ReadEvent::Document(Document {
        id: display.to_owned(),
        source: None,
        location: Location {
            path: display.to_owned(),
            line: None,
        },
        text,
    }))
}

/// Follows a dotted path (`meta.url`) into nested objects; a key that itself contains dots is
/// found too when the record has it at the top level.
fn field<'a>(record: &'a Value, dotted: &str) -> Option<&'a Value> {
    if let Some(value) = record.as_object().and_then(|o| o.get(dotted)) {
        return Some(value);
    }
    dotted
        .split('.')
        .try_fold(record, |value, key| value.as_object()?.get(key))
}

fn field_mut<'a>(record: &'a mut Value, dotted: &str) -> Option<&'a mut Value> {
    if record.as_object().is_some_and(|o| o.contains_key(dotted)) {
        return record.as_object_mut()?.get_mut(dotted);
    }
    dotted
        .split('.')
        .try_fold(record, |value, key| value.as_object_mut()?.get_mut(key))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Lines of JSON Lines gathered before they are parsed together, in parallel.
const CHUNK_LINES: usize = 1024;
/// Bytes of JSON Lines gathered before they are parsed together (a longer line is a chunk alone).
const CHUNK_BYTES: usize = 4 << 20;

/// The lines of a file that a read wants.
#[derive(Clone, Debug)]
enum LineSet {
    /// Every line (and every record of formats without lines).
    All,
    /// The lines whose bits are set, bit `n` for line `n`.
    Lines(Vec<u64>),
}

impl LineSet {
    fn none() -> Self {
        LineSet::Lines(Vec::new())
    }

    fn insert(&mut self, line: u64) {
        if let LineSet::Lines(bits) = self {
            let word = (line / 64) as usize;
            if bits.len() <= word {
                bits.resize(word + 1, 0);
            }
            bits[word] |= 1 << (line % 64);
        }
    }

    fn contains(&self, line: u64) -> bool {
        match self {
            LineSet::All => true,
            LineSet::Lines(bits) => bits
                .get((line / 64) as usize)
                .is_some_and(|word| word & (1 << (line % 64)) != 0),
        }
    }
}

/// Which records of a line-based file a read wants; the others are passed over unparsed.
type LineFilter<'f> = Option<&'f dyn Fn(u64) -> bool>;

fn read_jsonl(
    display: &str,
    mut reader: Box<dyn BufRead + '_>,
    compression: Compression,
    options: &ReadOptions,
    wanted: LineFilter<'_>,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    // Lines are read into one buffer, a chunk at a time; the chunk's records are parsed in
    // parallel and handed to `visit` in order, so the events are the same as line by line.
    let mut buffer: Vec<u8> = Vec::new();
    let mut lines: Vec<(u64, std::ops::Range<usize>)> = Vec::new();
    let mut number = 0u64;
    loop {
        buffer.clear();
        lines.clear();
        let mut failure = None;
        while lines.len() < CHUNK_LINES && buffer.len() < CHUNK_BYTES {
            let start = buffer.len();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) => break,
                Ok(_) => number += 1,
                Err(e) => {
                    failure = Some(line_error(
                        display,
                        number + 1,
                        format!(
                            "{}; records before this line were kept, the rest of the file is lost",
                            stream::failure(compression, &e)
                        ),
                    ));
                    buffer.truncate(start);
                    break;
                }
            }
            let mut line = start..buffer.len();
            if number == 1 && buffer[line.clone()].starts_with(UTF8_BOM) {
                line.start += UTF8_BOM.len();
            }
            let blank = buffer[line.clone()].iter().all(u8::is_ascii_whitespace);
            if !blank && wanted.is_none_or(|wanted| wanted(number)) {
                lines.push((number, line));
            }
        }
        let end_of_input = failure.is_some() || (lines.is_empty() && buffer.is_empty());
        let parsed: Vec<Result<Record, String>> = lines
            .par_iter()
            .map(|(_, range)| parse_record(&buffer[range.clone()], options))
            .collect();
        for ((line, _), record) in lines.iter().zip(parsed) {
            match record {
                Ok((text, id, source, repair)) => {
                    if let Some(note) = repair {
                        visit(ReadEvent::Repaired(line_error(display, *line, note)))?;
                    }
                    visit(ReadEvent::Document(Document {
                        id: id.unwrap_or_else(|| format!("{display}:{line}")),
                        source,
                        location: Location {
                            path: display.to_owned(),
                            line: Some(*line),
                        },
                        text,
                    }))?;
                }
                Err(message) => visit(ReadEvent::Skipped(line_error(display, *line, message)))?,
            }
        }
        if let Some(error) = failure {
            return visit(ReadEvent::Skipped(error));
        }
        if end_of_input || buffer.is_empty() {
            return ControlFlow::Continue(());
        }
        if buffer.capacity() > 2 * CHUNK_BYTES {
            // One huge record need not pin its size for the rest of the file.
            buffer = Vec::new();
        }
    }
}

/// A record's text, id, source, and the note of a UTF-8 repair if one was needed.
type Record = (String, Option<String>, Option<String>, Option<String>);

fn parse_record(line: &[u8], options: &ReadOptions) -> Result<Record, String> {
    let (mut record, repair): (Value, Option<String>) = match std::str::from_utf8(line) {
        Ok(valid) => (
            serde_json::from_str(valid).map_err(|e| format!("invalid JSON: {e}"))?,
            None,
        ),
        Err(_) => {
            let (decoded, note) = decode_utf8(line.to_vec());
            (
                serde_json::from_str(&decoded).map_err(|e| format!("invalid JSON: {e}"))?,
                note,
            )
        }
    };
    if !record.is_object() {
        return Err(format!(
            "expected a JSON object, found {}",
            kind_of(&record)
        ));
    }
    let id = match field(&record, &options.id_field) {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    let source = match options
        .source_field
        .as_deref()
        .and_then(|name| field(&record, name))
    {
        Some(Value::String(source)) => Some(source.clone()),
        Some(Value::Number(source)) => Some(source.to_string()),
        _ => None,
    };
    // The text is moved out of the record, not copied: a record may be very large.
    let text = match field_mut(&mut record, &options.text_field) {
        Some(Value::String(text)) => std::mem::take(text),
        Some(other) => {
            return Err(format!(
                "text field '{}' is {}, not a string",
                options.text_field,
                kind_of(other)
            ))
        }
        None => return Err(format!("missing text field '{}'", options.text_field)),
    };
    Ok((text, id, source, repair))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(name: &str, bytes: &[u8], options: &ReadOptions) -> Vec<ReadEvent> {
        let mut out = Vec::new();
        let _ = read_stream(name, bytes, options, &mut |event| {
            out.push(event);
            ControlFlow::Continue(())
        });
        out
    }

    #[test]
    fn detects_formats_by_content_before_name() {
        assert_eq!(detect_format("a.jsonl", b"WARC/1.0\r\n"), InputFormat::Wet);
        assert_eq!(
            detect_format("a.txt", b"\xEF\xBB\xBFWARC/1.0"),
            InputFormat::Wet
        );
        assert_eq!(detect_format("a.jsonl.gz", b"hello"), InputFormat::Jsonl);
        assert_eq!(detect_format("a.warc.wet.gz", b"hello"), InputFormat::Wet);
        assert_eq!(
            detect_format("a.txt", b"  {\"text\": 1}"),
            InputFormat::Jsonl
        );
        assert_eq!(detect_format("a.txt", b"plain words"), InputFormat::Text);
        assert_eq!(detect_format("a", b""), InputFormat::Text);
    }

    #[test]
    fn counts_and_locates_invalid_utf8() {
        let (text, note) = decode_utf8(b"ab\xFFcd\xC3(x".to_vec());
        assert_eq!(text, "ab\u{FFFD}cd\u{FFFD}(x");
        assert_eq!(
            note.as_deref(),
            Some("invalid UTF-8: 2 byte sequences replaced by U+FFFD (first at byte 2)")
        );
        assert_eq!(decode_utf8(b"fine".to_vec()), ("fine".into(), None));
    }

    #[test]
    fn jsonl_reads_nested_fields_and_moves_text() {
        let options = ReadOptions {
            source_field: Some("meta.site".into()),
            id_field: "meta.id".into(),
            text_field: "body.text".into(),
            ..ReadOptions::default()
        };
        let input = b"{\"meta\":{\"site\":\"example.org\",\"id\":7},\"body\":{\"text\":\"Hi.\"}}\n\
                      {\"meta.site\":\"dotted.org\",\"body\":{\"text\":\"Yo.\"}}\n";
        let got = events("x.jsonl", input, &options);
        let docs: Vec<&Document> = got
            .iter()
            .filter_map(|e| match e {
                ReadEvent::Document(d) => Some(d),
                _ => None,
            })
            .collect();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            (
                docs[0].id.as_str(),
                docs[0].source.as_deref(),
                docs[0].text.as_str()
            ),
            ("7", Some("example.org"), "Hi.")
        );
        assert_eq!(
            (
                docs[1].id.as_str(),
                docs[1].source.as_deref(),
                docs[1].text.as_str()
            ),
            ("x.jsonl:2", Some("dotted.org"), "Yo.")
        );
    }

    #[test]
    fn jsonl_strips_a_byte_order_mark() {
        let got = events(
            "x.jsonl",
            b"\xEF\xBB\xBF{\"text\":\"a\"}\n",
            &ReadOptions::default(),
        );
        assert!(matches!(&got[..], [ReadEvent::Document(d)] if d.text == "a"));
    }
}

/// A file of the inputs, for writers that reproduce the inputs file by file (dedup).
#[derive(Clone, Copy, Debug)]
pub struct InputFileRef<'a> {
    /// The name that reports and documents' locations use (`-` for standard input).
    pub display: &'a str,
    /// Where its bytes are (a spool file for standard input, a pipe or a FIFO).
    pub path: &'a Path,
    /// The folder, as given, that the file was found in; `None` for a file named directly.
    pub found_in: Option<&'a str>,
}

impl Inputs {
    /// Every file, in reading order.
    pub fn files(&self) -> impl Iterator<Item = InputFileRef<'_>> {
        self.files.iter().map(|file| InputFileRef {
            display: &file.display,
            path: &file.path,
            found_in: file.found_in.as_deref(),
        })
    }

    /// How a file's bytes are stored, as the readers tell it from its content: its compression,
    /// and the record format `--format auto` gives it (`display` is the name that format
    /// detection looks at).
    pub fn sniff(display: &str, path: &Path) -> io::Result<(Compression, InputFormat)> {
        let decoded = stream::decode(Box::new(File::open(path)?)).map_err(|(_, error)| error)?;
        Ok((decoded.compression, detect_format(display, &decoded.head)))
    }

    /// Opens a file's content the way the readers see it: decompressed when it is compressed.
    pub fn open_content(path: &Path) -> io::Result<Box<dyn BufRead>> {
        Inputs::open_decoded(path).map(|(reader, _)| reader)
    }

    /// Like [`Inputs::open_content`], also saying how the file is compressed.
    pub fn open_decoded(path: &Path) -> io::Result<(Box<dyn BufRead>, Compression)> {
        let file = File::open(path)?;
        stream::decode(Box::new(file))
            .map(|decoded| (decoded.reader, decoded.compression))
            .map_err(|(_, error)| error)
    }
}
