//! Reading turns the paths a user gives into documents, one at a time and in a fixed order.
//!
//! Folders are walked in sorted order (optionally narrowed by glob patterns), standard input and
//! other inputs that cannot be read twice (pipes, FIFOs) are spooled to a temporary file, and gzip
//! and zstd are recognized by their magic bytes, so that the same inputs always yield the same
//! documents with the same indices, and can be read a second time (to cut out the text of a
//! cluster's copies) without keeping the corpus in memory.
//!
//! Four record formats are read: plain text (a file is a document), JSON Lines (an object a line),
//! a JSON array of objects (read whole) and Common Crawl WET (WARC records of extracted text).
//! Reading streams: only the record at hand is in memory. A bad record never stops the reading: it
//! is reported, with its file and line, as a [`ReadEvent::Skipped`], and the caller decides whether
//! to go on. Text that is not valid UTF-8 is decoded with U+FFFD in place of the bad bytes, as is
//! a lone surrogate escape in JSON, and announced by a [`ReadEvent::Repaired`]; a text file whose
//! text is thereby not its bytes (or that starts with a byte-order mark, which is not text) also
//! gets a [`ReadEvent::FileOffsets`], so that reports can point into the file as stored.

mod columnar;
mod parquet;
mod select;
mod stream;
mod wet;

pub use columnar::{is_text_column, ColumnarDocuments, ColumnarTexts, DocumentHead};
pub use select::{FileSelection, SelectionError};

use crate::scan::DocumentTable;
use parquet::Delivery;
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

/// Where a document came from: its file, and its line for line-based formats or its row for
/// tables (Parquet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Path of the input file as given (`-` for standard input).
    pub path: String,
    /// 1-based line of the record, for formats with one record a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 0-based row of the record in a table file (Parquet), numbered as pyarrow and DuckDB do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
}

impl Location {
    /// The record's line or row: where in its file the record is, when the file holds several.
    pub fn record(&self) -> Option<u64> {
        self.line.or(self.row)
    }
}

impl Location {
    /// The location borrowed.
    pub fn borrowed(&self) -> LocationRef<'_> {
        LocationRef {
            path: &self.path,
            line: self.line,
            row: self.row,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.borrowed().fmt(f)
    }
}

/// A [`Location`] whose path is borrowed (from a scan's document table): written and shown the
/// same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LocationRef<'a> {
    /// Path of the input file as given (`-` for standard input).
    pub path: &'a str,
    /// 1-based line of the record, for formats with one record a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// 0-based row of the record in a table file (Parquet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
}

impl LocationRef<'_> {
    /// The record's line or row, when the file holds several.
    pub fn record(&self) -> Option<u64> {
        self.line.or(self.row)
    }

    /// An owned copy.
    pub fn to_location(&self) -> Location {
        Location {
            path: self.path.to_string(),
            line: self.line,
            row: self.row,
        }
    }
}

impl fmt::Display for LocationRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record() {
            Some(record) => write!(f, "{}:{}", self.path, record),
            None => f.write_str(self.path),
        }
    }
}

/// One document as read from the input.
#[derive(Clone, Debug)]
pub struct Document {
    /// The document's id (from the id field, or its location).
    pub id: String,
    /// The publisher or site it came from, when the input says.
    pub source: Option<String>,
    /// Where it was read.
    pub location: Location,
    /// Its text.
    pub text: String,
}

/// The record format of an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// Decided per file: WET when the (decompressed) content starts with `WARC/`; a JSON array
    /// when it starts with `[` followed by `{` or `]`, or with `[` in a `.json` file; JSON Lines
    /// by name (`.jsonl`, `.ndjson`, `.json`, optionally compressed) or by a first line that is a
    /// JSON object; WET by name (`.wet`, `.warc`); plain text otherwise.
    Auto,
    /// The whole file is one document.
    Text,
    /// One JSON object a line.
    Jsonl,
    /// One JSON array of objects, each a document (`[{"text": ...}, ...]`); the file is read
    /// whole.
    JsonArray,
    /// Common Crawl WET: WARC `conversion` records, one document each.
    Wet,
    /// Apache Parquet: a row a document, the text in a column (told by the `PAR1` magic under
    /// [`InputFormat::Auto`]).
    Parquet,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Auto => "auto",
            InputFormat::Text => "text",
            InputFormat::Jsonl => "jsonl",
            InputFormat::JsonArray => "json",
            InputFormat::Wet => "wet",
            InputFormat::Parquet => "parquet",
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
            "json" => Ok(InputFormat::JsonArray),
            "wet" => Ok(InputFormat::Wet),
            "parquet" => Ok(InputFormat::Parquet),
            other => Err(format!(
                "unknown format '{other}' (expected auto, text, jsonl, json, wet or parquet)"
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
    /// 0-based row, in table files (Parquet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// What kind of problem it is, for programs to act on.
    pub kind: InputErrorKind,
    /// What was wrong.
    pub message: String,
}

/// The kinds of [`InputError`], as reports name them (`kind`: `unreadable`, `invalid_json`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputErrorKind {
    /// A file or folder that cannot be opened, listed or read.
    Unreadable,
    /// A compressed stream that is corrupt or truncated, or a read that failed part way.
    Decompression,
    /// A file that is binary (a NUL byte), not text.
    NotText,
    /// Bytes that are not UTF-8, or lone surrogates: repaired (U+FFFD), or the record skipped.
    InvalidUtf8,
    /// A record (or a JSON array file) that is not valid JSON.
    InvalidJson,
    /// A JSON record that is not an object.
    NotAnObject,
    /// A record without its text: the field is missing, or null.
    MissingText,
    /// A text field that holds something other than a string.
    TextNotString,
    /// A table file (Parquet) that cannot be decoded: its footer or a row group.
    BadTable,
    /// A table column that is missing or of the wrong type.
    BadColumn,
    /// A WARC/WET record that is malformed.
    BadRecord,
    /// A file left out on purpose (a FIFO or device met in a folder, a report of paradup's own).
    LeftOut,
    /// Data handed in by a program (Python) that is not usable.
    BadValue,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line.or(self.row) {
            Some(record) => write!(f, "{}:{}: {}", self.path, record, self.message),
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
    /// The document that follows is a text file whose text is not its bytes as stored (a
    /// byte-order mark left out, invalid UTF-8 replaced): this maps offsets in the text to
    /// offsets in the file. Comes after the [`ReadEvent::Repaired`] of the same document, if any.
    FileOffsets(FileOffsets),
    /// Documents of one Arrow record batch, their texts left in its column: only from
    /// [`Inputs::read_columnar`], for Parquet files. The skipped and repaired records among its
    /// rows come before it.
    Columnar(ColumnarDocuments),
}

/// How a text file's document text maps back to the file's bytes where the two differ: a UTF-8
/// byte-order mark is not part of the text, and each invalid UTF-8 sequence is one U+FFFD (three
/// bytes) in the text. Reports give spans of text files as offsets into the file as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOffsets {
    /// `(text offset, file offset)` at the start of every stretch where the two move together.
    marks: Vec<(usize, usize)>,
    /// Bytes of the file.
    file_len: usize,
}

impl FileOffsets {
    /// The offsets of a text file holding `bytes`, read as paradup reads it; `None` when its text
    /// is its bytes (no byte-order mark, valid UTF-8).
    pub fn of_text_file(bytes: &[u8]) -> Option<FileOffsets> {
        let bom = if bytes.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        let body = &bytes[bom..];
        if bom == 0 && std::str::from_utf8(body).is_ok() {
            return None;
        }
        let mut marks = Vec::new();
        let (mut text, mut file) = (0, bom);
        for chunk in body.utf8_chunks() {
            marks.push((text, file));
            text += chunk.valid().len();
            file += chunk.valid().len();
            if !chunk.invalid().is_empty() {
                marks.push((text, file));
                text += char::REPLACEMENT_CHARACTER.len_utf8();
                file += chunk.invalid().len();
            }
        }
        marks.push((text, file));
        Some(FileOffsets {
            marks,
            file_len: bytes.len(),
        })
    }

    /// The offset in the file of `offset` in the text (a character boundary: inside a
    /// replacement character it gives the end of the bytes it replaced).
    pub fn to_file(&self, offset: usize) -> usize {
        let at = self
            .marks
            .partition_point(|&(text, _)| text <= offset)
            .saturating_sub(1);
        let Some(&(text, file)) = self.marks.get(at) else {
            return offset;
        };
        let limit = self
            .marks
            .get(at + 1)
            .map_or(self.file_len, |&(_, next)| next);
        (file + offset.saturating_sub(text)).min(limit)
    }
}

/// Runs a step of the Parquet decoder, a panic of it (on some corrupt pages) turned into an error.
pub(crate) fn parquet_guarded<T>(step: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    parquet::guarded(step)
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

/// Text a compressed file is taken to hold for each byte it takes (web text compresses about 3
/// to 4 times with gzip or zstd), where the disk space a spill needs is estimated.
pub const COMPRESSED_TEXT_RATIO: u64 = 4;

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
        Inputs::resolve_excluding(paths, selection, &[], None)
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
    /// Spool files go to `spool_folder` (default: the system's temporary folder).
    pub fn resolve_excluding(
        paths: &[String],
        selection: &FileSelection,
        excluded: &[PathBuf],
        spool_folder: Option<&Path>,
    ) -> (Inputs, Vec<InputError>) {
        let mut resolver = Resolver {
            spool_folder: spool_folder.map_or_else(std::env::temp_dir, Path::to_path_buf),
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
            stdin_taken: false,
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

    /// Leaves out every file that is already among the inputs under another name (`a/x.txt`
    /// given again as `./a/x.txt`, or inside a folder given too): reading it twice would only
    /// make each of its paragraphs a duplicate of itself. The first name is kept; returns
    /// `(kept, left out)` names of each file left out.
    pub fn drop_repeated_files(&mut self) -> Vec<(String, String)> {
        let mut seen: HashMap<FileIdentity, usize> = HashMap::new();
        let mut repeated = Vec::new();
        let mut kept = Vec::with_capacity(self.files.len());
        for file in std::mem::take(&mut self.files) {
            let Some(identity) = file_identity(&file.path) else {
                kept.push(file);
                continue;
            };
            match seen.get(&identity) {
                Some(&first) => {
                    let first: &InputFile = &kept[first];
                    repeated.push((first.display.clone(), file.display));
                }
                None => {
                    seen.insert(identity, kept.len());
                    kept.push(file);
                }
            }
        }
        self.files = kept;
        repeated
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

    /// The bytes of text the inputs are expected to hold, to estimate the disk space a scan past
    /// its memory budget needs: their sizes, a compressed file (gzip, zstd, Parquet) counted
    /// [`COMPRESSED_TEXT_RATIO`] times. `None` when a size is unknown.
    pub fn expected_text_bytes(&self) -> Option<u64> {
        self.files
            .iter()
            .map(|file| {
                let size = file.size?;
                let name = file.display.to_ascii_lowercase();
                let compressed = [".gz", ".zst", ".zstd", ".parquet"]
                    .iter()
                    .any(|suffix| name.ends_with(suffix));
                Some(if compressed {
                    size * COMPRESSED_TEXT_RATIO
                } else {
                    size
                })
            })
            .sum()
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
        self.read_files(options, Delivery::Documents, &|_| Some(LineSet::All), visit)
    }

    /// Reads every file in order as [`Inputs::read`] does, except that the documents of a Parquet
    /// file come a record batch at a time as [`ReadEvent::Columnar`], their texts not copied.
    pub fn read_columnar(
        &self,
        options: &ReadOptions,
        visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.read_files(options, Delivery::Columnar, &|_| Some(LineSet::All), visit)
    }

    /// Reads the files for which `lines_of` (given the display name) says which lines it wants;
    /// in line-based formats the records on other lines are passed over without parsing.
    fn read_files(
        &self,
        options: &ReadOptions,
        delivery: Delivery,
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
                        InputErrorKind::Unreadable,
                        &file.display,
                        format!("cannot open: {e}"),
                    )))?;
                    continue;
                }
            };
            let wanted = |line: u64| lines.contains(line);
            let raw = match parquet_magic(raw, options.format) {
                Ok(Some(raw)) => {
                    parquet::read_parquet(
                        &file.display,
                        raw,
                        options,
                        delivery,
                        Some(&wanted),
                        Some(&self.bytes_read),
                        visit,
                    )?;
                    continue;
                }
                Ok(None) => match File::open(&file.path) {
                    Ok(raw) => raw,
                    Err(e) => {
                        visit(ReadEvent::Skipped(file_error(
                            InputErrorKind::Unreadable,
                            &file.display,
                            format!("cannot open: {e}"),
                        )))?;
                        continue;
                    }
                },
                Err(e) => {
                    visit(ReadEvent::Skipped(file_error(
                        InputErrorKind::Unreadable,
                        &file.display,
                        format!("read failed: {e}"),
                    )))?;
                    continue;
                }
            };
            let counted = stream::Counting::new(raw, &self.bytes_read);
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
        documents: &DocumentTable,
        requests: &[(u32, usize, usize)],
    ) -> Vec<Option<String>> {
        let mut found: Vec<Option<String>> = vec![None; requests.len()];
        self.for_each_span(options, documents, requests, &mut |request, text| {
            found[request] = Some(text.to_owned());
        });
        found
    }

    /// [`Inputs::fetch_spans`], each span found handed to `each` with its request's number as
    /// its document is read (in input order), and none kept: for callers that need less than
    /// every text at once.
    pub fn for_each_span(
        &self,
        options: &ReadOptions,
        documents: &DocumentTable,
        requests: &[(u32, usize, usize)],
        each: &mut dyn FnMut(usize, &str),
    ) {
        // Requests by the location of their document and its place among the documents read at
        // that same location one after another (the objects of a JSON array starting on one
        // line share it).
        let mut by_location: HashMap<(&str, Option<u64>, usize), Vec<usize>> = HashMap::new();
        for (i, &(doc, _, _)) in requests.iter().enumerate() {
            if let Some(entry) = documents.get(doc as usize) {
                let ordinal = (0..doc as usize)
                    .rev()
                    .take_while(|&other| documents.at(other).location == entry.location)
                    .count();
                let location = (entry.location.path, entry.location.record(), ordinal);
                by_location.entry(location).or_default().push(i);
            }
        }
        if by_location.is_empty() {
            return;
        }
        // The wanted lines of each file, looked up once a file rather than once a line.
        let mut lines_by_file: HashMap<&str, LineSet> = HashMap::new();
        for &(path, line, _) in by_location.keys() {
            let lines = lines_by_file.entry(path).or_insert_with(LineSet::none);
            match line {
                Some(line) => lines.insert(line),
                None => *lines = LineSet::All,
            }
        }
        let mut remaining = by_location.len();
        let mut previous: Option<Location> = None;
        let mut ordinal = 0;
        let _ = self.read_files(
            options,
            Delivery::Documents,
            &|file| lines_by_file.get(file).cloned(),
            &mut |event| {
                if let ReadEvent::Document(doc) = event {
                    if previous.as_ref() == Some(&doc.location) {
                        ordinal += 1;
                    } else {
                        ordinal = 0;
                    }
                    let key = (doc.location.path.as_str(), doc.location.record(), ordinal);
                    if let Some(wanted) = by_location.get(&key) {
                        for &i in wanted {
                            let (_, start, end) = requests[i];
                            if let Some(text) = doc.text.get(start..end) {
                                each(i, text);
                            }
                        }
                        remaining -= 1;
                        if remaining == 0 {
                            return ControlFlow::Break(());
                        }
                    }
                    previous = Some(doc.location);
                }
                ControlFlow::Continue(())
            },
        );
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

fn file_error(kind: InputErrorKind, path: &str, message: String) -> InputError {
    InputError {
        path: path.to_owned(),
        line: None,
        row: None,
        kind,
        message,
    }
}

fn line_error(kind: InputErrorKind, path: &str, line: u64, message: String) -> InputError {
    InputError {
        path: path.to_owned(),
        line: Some(line),
        row: None,
        kind,
        message,
    }
}

/// What makes two paths the same file.
#[cfg(unix)]
type FileIdentity = (u64, u64);
#[cfg(not(unix))]
type FileIdentity = PathBuf;

/// The device and inode of a file (its canonical path where there are none); `None` when it
/// cannot be looked up (the read reports that).
fn file_identity(path: &Path) -> Option<FileIdentity> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        std::fs::canonicalize(path).ok()
    }
}

/// Copies a stream that cannot be read twice into a temporary file in `folder` that can.
fn spool(mut input: impl Read, folder: &Path) -> io::Result<tempfile::NamedTempFile> {
    let in_folder = |e: io::Error| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot copy it to a temporary file in {}: {e}",
                folder.display()
            ),
        )
    };
    let mut spool = crate::output::temporary_file_in(folder, false).map_err(in_folder)?;
    io::copy(&mut input, spool.as_file_mut()).map_err(in_folder)?;
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
/// starting `paradup.` (scan, compare, baseline), an HTML page whose generator is paradup, or a
/// members table (a Parquet file whose metadata says so, [`crate::members::SCHEMA`]).
fn is_paradup_report(path: &Path) -> bool {
    let mut head = Vec::new();
    let Ok(file) = File::open(path) else {
        return false;
    };
    if (&file)
        .take(REPORT_HEAD_BYTES)
        .read_to_end(&mut head)
        .is_err()
    {
        return false;
    }
    if head.starts_with(parquet::MAGIC) {
        return parquet::file_metadata_value(file, crate::members::SCHEMA_KEY)
            .is_some_and(|value| value.starts_with("paradup."));
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
    /// Standard input was taken as an input: it gives its bytes once.
    stdin_taken: bool,
    /// Where inputs that cannot be read twice are copied.
    spool_folder: PathBuf,
}

/// Whether `given` names standard input: `-`, or a path to descriptor 0 that is not a regular
/// file (a file redirected to standard input is read as that file).
pub fn names_stdin(given: &str) -> bool {
    given == "-"
        || (["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"].contains(&given)
            && !std::fs::metadata(given).is_ok_and(|meta| meta.is_file() || meta.is_dir()))
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
        self.inputs.notes.push(file_error(
            InputErrorKind::LeftOut,
            &path.display().to_string(),
            message,
        ));
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
            Err(e) => self.errors.push(file_error(
                InputErrorKind::Unreadable,
                display,
                format!("cannot read: {e}"),
            )),
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
        if names_stdin(given) {
            if self.stdin_taken {
                self.note(
                    Path::new(given),
                    "left out: standard input is already an input, and it is read once".into(),
                );
                return;
            }
            self.stdin_taken = true;
        }
        if given == "-" {
            let spooled = spool(io::stdin().lock(), &self.spool_folder);
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
                let spooled = File::open(path).and_then(|file| spool(file, &self.spool_folder));
                self.spooled(given, spooled);
            }
            Err(e) => self.errors.push(file_error(
                InputErrorKind::Unreadable,
                given,
                format!("cannot open: {e}"),
            )),
        }
    }

    /// Walks `dir` (inside the folder `root` given), whose canonical path and those of the
    /// folders above it are `ancestors`.
    fn walk(&mut self, root: &Path, dir: &Path, ancestors: &mut Vec<PathBuf>) {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => {
                self.errors.push(file_error(
                    InputErrorKind::Unreadable,
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

/// Gives back `file` (at its start) when it is to be read as Parquet: under `format`, or, when
/// the format is told per file, because it starts with the Parquet magic. Parquet is read from
/// the file itself (it is not a stream: its index is at the end); other formats are streamed.
fn parquet_magic(mut file: File, format: InputFormat) -> io::Result<Option<File>> {
    use std::io::Seek;
    match format {
        InputFormat::Parquet => return Ok(Some(file)),
        InputFormat::Auto => {}
        _ => return Ok(None),
    }
    let mut magic = Vec::with_capacity(parquet::MAGIC.len());
    (&mut file)
        .take(parquet::MAGIC.len() as u64)
        .read_to_end(&mut magic)?;
    if magic != parquet::MAGIC {
        return Ok(None);
    }
    file.rewind()?;
    Ok(Some(file))
}

/// Picks the record format of a stream whose first buffered bytes are `head`.
fn detect_format(display: &str, head: &[u8]) -> InputFormat {
    if head.starts_with(parquet::MAGIC) {
        return InputFormat::Parquet;
    }
    let head = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    let mut tokens = head.iter().filter(|b| !b.is_ascii_whitespace());
    let (first, second) = (tokens.next(), tokens.next());
    if head.starts_with(b"WARC/") {
        InputFormat::Wet
    } else if first == Some(&b'[')
        && (matches!(second, Some(b'{' | b']')) || named_as(display, &[".json"]))
    {
        InputFormat::JsonArray
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
                InputErrorKind::Decompression,
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
        InputFormat::JsonArray => {
            read_json_array(display, reader, compression, options, wanted, visit)
        }
        InputFormat::Wet => wet::read_wet(display, reader, compression, visit),
        InputFormat::Parquet => {
            read_parquet_stream(display, reader, compression, options, wanted, visit)
        }
        InputFormat::Text | InputFormat::Auto => read_text(display, reader, compression, visit),
    }
}

/// The whole content of a file whose format (`kind`) can only be read whole; a read that fails
/// leaves the file out, for the reason returned.
fn read_whole(
    display: &str,
    reader: &mut dyn BufRead,
    compression: Compression,
    kind: &str,
) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    match reader.read_to_end(&mut bytes) {
        Ok(_) => Ok(bytes),
        Err(e) => Err(file_error(
            InputErrorKind::Decompression,
            display,
            format!(
                "{}; {kind} is read whole, so the file is left out",
                stream::failure(compression, &e)
            ),
        )),
    }
}

/// Reads a Parquet file that comes as a stream (standard input is a file, so this is a compressed
/// file, or [`read_stream`]'s bytes): Parquet's index is at its end, so the stream is read whole.
fn read_parquet_stream(
    display: &str,
    mut reader: Box<dyn BufRead + '_>,
    compression: Compression,
    options: &ReadOptions,
    wanted: LineFilter<'_>,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let bytes = match read_whole(
        display,
        &mut reader,
        compression,
        "a compressed Parquet file",
    ) {
        Ok(bytes) => bytes,
        Err(error) => return visit(ReadEvent::Skipped(error)),
    };
    parquet::read_parquet(
        display,
        bytes::Bytes::from(bytes),
        options,
        Delivery::Documents,
        wanted,
        None,
        visit,
    )
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
        return visit(ReadEvent::Skipped(file_error(
            InputErrorKind::Decompression,
            display,
            message,
        )));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return visit(ReadEvent::Skipped(file_error(
            InputErrorKind::NotText,
            display,
            format!("binary file (NUL byte at offset {at}), not text"),
        )));
    }
    let offsets = FileOffsets::of_text_file(&bytes);
    // A byte-order mark says how the file is encoded; it is not part of the first paragraph.
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    let (text, repair) = decode_utf8(bytes);
    if let Some(note) = repair {
        visit(ReadEvent::Repaired(file_error(
            InputErrorKind::InvalidUtf8,
            display,
            note,
        )))?;
    }
    if let Some(offsets) = offsets {
        visit(ReadEvent::FileOffsets(offsets))?;
    }
    visit(ReadEvent::Document(Document {
        id: display.to_owned(),
        source: None,
        location: Location {
            path: display.to_owned(),
            line: None,
            row: None,
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
                        InputErrorKind::Decompression,
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
        let parsed: Vec<Result<Record, RecordError>> = lines
            .par_iter()
            .map(|(_, range)| parse_record(&buffer[range.clone()], options))
            .collect();
        for ((line, _), record) in lines.iter().zip(parsed) {
            match record {
                Ok((text, id, source, repair)) => {
                    if let Some(note) = repair {
                        visit(ReadEvent::Repaired(line_error(
                            InputErrorKind::InvalidUtf8,
                            display,
                            *line,
                            note,
                        )))?;
                    }
                    visit(ReadEvent::Document(Document {
                        id: id.unwrap_or_else(|| format!("{display}:{line}")),
                        source,
                        location: Location {
                            path: display.to_owned(),
                            line: Some(*line),
                            row: None,
                        },
                        text,
                    }))?;
                }
                Err((kind, message)) => visit(ReadEvent::Skipped(line_error(
                    kind, display, *line, message,
                )))?,
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

/// Reads a file holding one JSON array of objects: each object is a document, located at the line
/// where it starts and named `PATH[INDEX]` when it has no id (several may start on one line).
/// The file is read whole; an array that does not parse leaves the whole file out.
fn read_json_array(
    display: &str,
    mut reader: Box<dyn BufRead + '_>,
    compression: Compression,
    options: &ReadOptions,
    wanted: LineFilter<'_>,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let bytes = match read_whole(display, &mut reader, compression, "a JSON array") {
        Ok(bytes) => bytes,
        Err(error) => return visit(ReadEvent::Skipped(error)),
    };
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(&bytes);
    // Invalid UTF-8 is replaced as everywhere; the records holding a replacement say so.
    let (text, replaced_at) = match std::str::from_utf8(body) {
        Ok(valid) => (std::borrow::Cow::Borrowed(valid), Vec::new()),
        Err(_) => {
            let mut at = Vec::new();
            let mut offset = 0;
            for chunk in body.utf8_chunks() {
                offset += chunk.valid().len();
                if !chunk.invalid().is_empty() {
                    at.push(offset);
                    offset += char::REPLACEMENT_CHARACTER.len_utf8();
                }
            }
            (String::from_utf8_lossy(body), at)
        }
    };
    let parsed: Result<Vec<&serde_json::value::RawValue>, _> = serde_json::from_str(&text);
    let elements = match parsed {
        Ok(elements) => elements,
        Err(e) => {
            let message = format!(
                "invalid JSON array at column {}: {}; the file is left out",
                e.column(),
                json_message(&e)
            );
            return visit(ReadEvent::Skipped(match e.line() {
                0 => file_error(InputErrorKind::InvalidJson, display, message),
                line => line_error(InputErrorKind::InvalidJson, display, line as u64, message),
            }));
        }
    };
    let (mut line, mut counted) = (1u64, 0usize);
    for (index, element) in elements.iter().enumerate() {
        let raw = element.get();
        let start = raw.as_ptr() as usize - text.as_ptr() as usize;
        line += text.as_bytes()[counted..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        counted = start;
        if !wanted.is_none_or(|wanted| wanted(line)) {
            continue;
        }
        let replaced = replaced_at
            .iter()
            .filter(|&&at| at >= start && at < start + raw.len())
            .count();
        match parse_record(raw.as_bytes(), options) {
            Ok((text, id, source, repair)) => {
                let mut notes: Vec<String> = repair.into_iter().collect();
                if replaced > 0 {
                    notes.insert(
                        0,
                        format!(
                            "invalid UTF-8: {replaced} byte sequence{} replaced by U+FFFD",
                            if replaced == 1 { "" } else { "s" }
                        ),
                    );
                }
                if !notes.is_empty() {
                    visit(ReadEvent::Repaired(line_error(
                        InputErrorKind::InvalidUtf8,
                        display,
                        line,
                        notes.join("; "),
                    )))?;
                }
                visit(ReadEvent::Document(Document {
                    id: id.unwrap_or_else(|| format!("{display}[{index}]")),
                    source,
                    location: Location {
                        path: display.to_owned(),
                        line: Some(line),
                        row: None,
                    },
                    text,
                }))?;
            }
            Err((kind, message)) => {
                visit(ReadEvent::Skipped(line_error(kind, display, line, message)))?
            }
        }
    }
    ControlFlow::Continue(())
}

/// A record's text, id, source, and the note of a UTF-8 repair if one was needed.
type Record = (String, Option<String>, Option<String>, Option<String>);

/// serde_json's message without the position it appends: that position counts the lines of the
/// text it was given (a record), not of the file, so the readers say where themselves.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&position).unwrap_or(&text).to_owned()
}

/// A JSON Lines record that does not parse, described with the column on its own line.
fn record_json_error(error: &serde_json::Error) -> String {
    let message = json_message(error);
    match error.line() {
        0 => format!("invalid JSON: {message}"),
        1 => format!("invalid JSON at column {}: {message}", error.column()),
        // Past the record's one line: its end came too early.
        _ => format!("invalid JSON at the end of the line: {message}"),
    }
}

/// The four hex digits of a `\u` escape starting at `at`, as a number.
fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let digits = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(digits, 16)
        .ok()
        .filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// JSON text with every lone surrogate escape (`\ud800` without its pair, or a pair's second half
/// alone) replaced by `\ufffd`, the escape of U+FFFD: a string cannot hold half a character, and
/// such escapes come from text cut in the middle of one. Returns `None` when there is none,
/// otherwise the text, how many were replaced and the byte offset of the first.
fn repair_lone_surrogates(text: &str) -> Option<(String, usize, usize)> {
    let bytes = text.as_bytes();
    let (mut out, mut copied, mut count, mut first) = (String::new(), 0, 0, None);
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'\\' {
            at += 1;
            continue;
        }
        let unit = match (bytes.get(at + 1), hex4(bytes, at + 2)) {
            (Some(b'u'), Some(unit)) => unit,
            // Any other escape: skip the escaped character too.
            _ => {
                at += 2;
                continue;
            }
        };
        let high = (0xD800..0xDC00).contains(&unit);
        let low = (0xDC00..0xE000).contains(&unit);
        let paired = high
            && bytes.get(at + 6) == Some(&b'\\')
            && bytes.get(at + 7) == Some(&b'u')
            && hex4(bytes, at + 8).is_some_and(|next| (0xDC00..0xE000).contains(&next));
        if paired {
            at += 12;
        } else if high || low {
            out.push_str(&text[copied..at]);
            out.push_str("\\ufffd");
            copied = at + 6;
            count += 1;
            first.get_or_insert(at);
            at += 6;
        } else {
            at += 6;
        }
    }
    let first = first?;
    out.push_str(&text[copied..]);
    Some((out, count, first))
}

/// Parses JSON text, repairing lone surrogate escapes when that is what stops it; a repair is
/// described in `notes`. Returns the value and the repaired text, if it was repaired.
fn parse_json_repairing(
    text: &str,
    notes: &mut Vec<String>,
) -> Result<(Value, Option<String>), serde_json::Error> {
    match serde_json::from_str(text) {
        Ok(value) => Ok((value, None)),
        Err(error) => {
            let Some((repaired, count, first)) = repair_lone_surrogates(text) else {
                return Err(error);
            };
            let value = serde_json::from_str(&repaired).map_err(|_| error)?;
            notes.push(format!(
                "lone surrogate escape: {count} replaced by U+FFFD (first at byte {first})"
            ));
            Ok((value, Some(repaired)))
        }
    }
}

/// The JSON text of a field of an object as it stands in `json` (`1e400`, `{"shard": 3}`), for
/// naming a document by an id that is not a string.
fn raw_field<'a>(json: &'a str, dotted: &str) -> Option<&'a str> {
    type Object<'a> = HashMap<String, &'a serde_json::value::RawValue>;
    let object: Object = serde_json::from_str(json).ok()?;
    if let Some(value) = object.get(dotted) {
        return Some(value.get());
    }
    dotted.split('.').try_fold(json, |json, key| {
        let object: Object = serde_json::from_str(json).ok()?;
        object.get(key).map(|value| value.get())
    })
}

/// Why a record was skipped.
type RecordError = (InputErrorKind, String);

fn parse_record(line: &[u8], options: &ReadOptions) -> Result<Record, RecordError> {
    let mut notes = Vec::new();
    let decoded;
    let text = match std::str::from_utf8(line) {
        Ok(valid) => valid,
        Err(_) => {
            let (text, note) = decode_utf8(line.to_vec());
            notes.extend(note);
            decoded = text;
            &decoded
        }
    };
    let (mut record, repaired) = parse_json_repairing(text, &mut notes)
        .map_err(|e| (InputErrorKind::InvalidJson, record_json_error(&e)))?;
    let text = repaired.as_deref().unwrap_or(text);
    let repair = (!notes.is_empty()).then(|| notes.join("; "));
    if !record.is_object() {
        return Err((
            InputErrorKind::NotAnObject,
            format!("expected a JSON object, found {}", kind_of(&record)),
        ));
    }
    // An id that is not a string is named by its JSON text (`1e400`, `{"shard": 3}`).
    let id = match field(&record, &options.id_field) {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(other) => Some(
            raw_field(text, &options.id_field).map_or_else(|| other.to_string(), str::to_owned),
        ),
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
            return Err((
                InputErrorKind::TextNotString,
                format!(
                    "text field '{}' is {}, not a string",
                    options.text_field,
                    kind_of(other)
                ),
            ))
        }
        None => {
            return Err((
                InputErrorKind::MissingText,
                format!("missing text field '{}'", options.text_field),
            ))
        }
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
    fn text_offsets_map_back_to_the_file_as_stored() {
        assert_eq!(FileOffsets::of_text_file(b"plain"), None);
        // BOM, "ab", an invalid byte, "cd", a truncated sequence, "e".
        let bytes = b"\xEF\xBB\xBFab\xFFcd\xE2\x82e";
        let offsets = FileOffsets::of_text_file(bytes).unwrap();
        let got = events("x.txt", bytes, &ReadOptions::default());
        let text = match &got[..] {
            [ReadEvent::Repaired(_), ReadEvent::FileOffsets(o), ReadEvent::Document(d)] => {
                assert_eq!(o, &offsets);
                d.text.clone()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(text, "ab\u{FFFD}cd\u{FFFD}e");
        let file = |start: usize, end: usize| &bytes[offsets.to_file(start)..offsets.to_file(end)];
        assert_eq!(file(0, 2), b"ab");
        assert_eq!(file(2, 5), b"\xFF");
        assert_eq!(file(5, 7), b"cd");
        assert_eq!(file(7, 11), b"\xE2\x82e");
        assert_eq!(offsets.to_file(text.len()), bytes.len());
        let only_bom = FileOffsets::of_text_file(b"\xEF\xBB\xBFhi").unwrap();
        assert_eq!((only_bom.to_file(0), only_bom.to_file(2)), (3, 5));
    }

    #[test]
    fn only_lone_surrogate_escapes_are_repaired() {
        let repaired = repair_lone_surrogates;
        // A pair, an escaped backslash before `ud800`, other escapes: nothing to repair.
        assert_eq!(repaired(r#""\ud83d\ude00 \\ud800 \n \u00e9""#), None);
        assert_eq!(
            repaired(r#""a\ud800b\udc00\ud800\u0041""#),
            Some((r#""a\ufffdb\ufffd\ufffd\u0041""#.to_string(), 3, 2))
        );
        // Cut short, or not hex: left for the parser to refuse.
        assert_eq!(repaired(r#""\ud8""#), None);
        assert_eq!(repaired(r#""\uzzzz""#), None);
        let options = ReadOptions::default();
        let got = events("x.jsonl", b"{\"text\": \"x\\ud800\"}\n", &options);
        assert!(
            matches!(&got[..], [ReadEvent::Repaired(e), ReadEvent::Document(d)]
                if d.text == "x\u{FFFD}" && e.message.starts_with("lone surrogate escape: 1")),
            "{got:?}"
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

    /// The record format a file is read as under `format` (for [`InputFormat::Auto`], what its
    /// content and its name `display` say).
    pub fn record_format(
        display: &str,
        path: &Path,
        format: InputFormat,
    ) -> io::Result<InputFormat> {
        match format {
            InputFormat::Auto => Ok(Inputs::sniff(display, path)?.1),
            explicit => Ok(explicit),
        }
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
