//! Reading turns the paths a user gives into documents, one at a time and in a fixed order.
//!
//! Folders are walked in sorted order, standard input is spooled to a temporary file, and gzip is
//! recognized by its magic bytes, so that the same inputs always yield the same documents with the
//! same indices, and can be read a second time (to cut out the text of a cluster's copies) without
//! keeping the corpus in memory. A bad record never stops the run: it is reported, with its file
//! and line, as a [`ReadEvent::Skipped`].

use crate::scan::{Document, Location};
use flate2::read::MultiGzDecoder;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The record format of an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// Decided per file: JSON Lines by name (`.jsonl`, `.ndjson`, `.json`, optionally compressed)
    /// or by a first line that is a JSON object; plain text otherwise.
    Auto,
    /// The whole file is one document.
    Text,
    /// One JSON object a line.
    Jsonl,
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputFormat::Auto => "auto",
            InputFormat::Text => "text",
            InputFormat::Jsonl => "jsonl",
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
            other => Err(format!(
                "unknown format '{other}' (expected auto, text or jsonl)"
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
    /// JSON field naming the document's source (publisher, site), if any.
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

/// A record or file that could not be read, and why.
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

/// What reading yields, in input order.
#[derive(Debug)]
pub enum ReadEvent {
    /// A document.
    Document(Document),
    /// A record or file left out.
    Skipped(InputError),
}

/// One file to read.
#[derive(Debug)]
struct InputFile {
    /// The name reports use.
    display: String,
    /// Where the bytes are (a spool file for standard input).
    path: PathBuf,
}

/// The resolved inputs of a run: every file, in the order they are read.
#[derive(Debug)]
pub struct Inputs {
    files: Vec<InputFile>,
    /// Keeps standard input's spool file alive as long as the inputs are.
    _spools: Vec<tempfile::NamedTempFile>,
}

/// Bytes looked at to tell a binary file from text.
const SNIFF_BYTES: usize = 8192;

impl Inputs {
    /// Expands the paths a user gave: a folder becomes its files (recursively, sorted by name,
    /// hidden entries left out), `-` becomes standard input. Paths that cannot be opened are
    /// returned as errors and left out.
    pub fn resolve(paths: &[String]) -> (Inputs, Vec<InputError>) {
        let mut inputs = Inputs {
            files: Vec::new(),
            _spools: Vec::new(),
        };
        let mut errors = Vec::new();
        for given in paths {
            if given == "-" {
                match spool_stdin() {
                    Ok(spool) => {
                        inputs.files.push(InputFile {
                            display: "-".into(),
                            path: spool.path().to_path_buf(),
                        });
                        inputs._spools.push(spool);
                    }
                    Err(e) => {
                        errors.push(file_error("-", format!("cannot read standard input: {e}")))
                    }
                }
                continue;
            }
            let path = Path::new(given);
            match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => walk(path, &mut inputs.files, &mut errors),
                Ok(_) => inputs.files.push(InputFile {
                    display: given.clone(),
                    path: path.to_path_buf(),
                }),
                Err(e) => errors.push(file_error(given, format!("cannot open: {e}"))),
            }
        }
        (inputs, errors)
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Reads every file in order, handing each document and each skipped record to `visit`, which
    /// may stop the reading early.
    pub fn read(
        &self,
        options: &ReadOptions,
        visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        for file in &self.files {
            read_file(file, options, visit)?;
        }
        ControlFlow::Continue(())
    }

    /// Reads the inputs again and cuts out the requested spans: `(document index, start, end)`.
    /// A span whose document is gone, or no longer that long, comes back as `None`.
    pub fn fetch_spans(
        &self,
        options: &ReadOptions,
        requests: &[(u32, usize, usize)],
    ) -> Vec<Option<String>> {
        let mut order: Vec<usize> = (0..requests.len()).collect();
        order.sort_by_key(|&i| requests[i].0);
        let mut found: Vec<Option<String>> = vec![None; requests.len()];
        let mut next = 0;
        let mut doc_index = 0u32;
        let _ = self.read(options, &mut |event| {
            if let ReadEvent::Document(doc) = event {
                while next < order.len() && requests[order[next]].0 == doc_index {
                    let (_, start, end) = requests[order[next]];
                    found[order[next]] = doc.text.get(start..end).map(str::to_owned);
                    next += 1;
                }
                doc_index += 1;
                if next == order.len() {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        found
    }
}

fn file_error(path: &str, message: String) -> InputError {
    InputError {
        path: path.to_owned(),
        line: None,
        message,
    }
}

fn spool_stdin() -> io::Result<tempfile::NamedTempFile> {
    let mut spool = tempfile::NamedTempFile::new()?;
    io::copy(&mut io::stdin().lock(), spool.as_file_mut())?;
    Ok(spool)
}

fn walk(dir: &Path, files: &mut Vec<InputFile>, errors: &mut Vec<InputError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            errors.push(file_error(
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
        // Symbolic links to folders are not followed, so a link cycle cannot loop the walk.
        let is_dir = std::fs::symlink_metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        if is_dir {
            walk(&path, files, errors);
        } else {
            files.push(InputFile {
                display: path.display().to_string(),
                path,
            });
        }
    }
}

/// Opens a file, undoing gzip compression when the content starts with gzip's magic bytes.
fn open_decoded(path: &Path) -> io::Result<Box<dyn BufRead>> {
    let mut raw = BufReader::new(File::open(path)?);
    let head = raw.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::new(MultiGzDecoder::new(raw))))
    } else {
        Ok(Box::new(raw))
    }
}

fn named_as_jsonl(display: &str) -> bool {
    let name = display.to_ascii_lowercase();
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".zst"))
        .unwrap_or(&name);
    name.ends_with(".jsonl") || name.ends_with(".ndjson") || name.ends_with(".json")
}

fn read_file(
    file: &InputFile,
    options: &ReadOptions,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut reader = match open_decoded(&file.path) {
        Ok(reader) => reader,
        Err(e) => {
            return visit(ReadEvent::Skipped(file_error(
                &file.display,
                format!("cannot open: {e}"),
            )))
        }
    };
    let format = match options.format {
        InputFormat::Auto if named_as_jsonl(&file.display) => InputFormat::Jsonl,
        InputFormat::Auto => match reader.fill_buf() {
            Ok(head) if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => {
                InputFormat::Jsonl
            }
            _ => InputFormat::Text,
        },
        explicit => explicit,
    };
    match format {
        InputFormat::Jsonl => read_jsonl(file, reader, options, visit),
        _ => read_text(file, reader, visit),
    }
}

fn read_text(
    file: &InputFile,
    mut reader: Box<dyn BufRead>,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return visit(ReadEvent::Skipped(file_error(
            &file.display,
            format!("read failed: {e}"),
        )));
    }
    if bytes[..bytes.len().min(SNIFF_BYTES)].contains(&0) {
        return visit(ReadEvent::Skipped(file_error(
            &file.display,
            "binary file (NUL bytes), not text".into(),
        )));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    visit(ReadEvent::Document(Document {
        id: file.display.clone(),
        source: None,
        location: Location {
            path: file.display.clone(),
            line: None,
        },
        text,
    }))
}

/// Follows a dotted path (`meta.url`) into nested objects.
fn field<'a>(record: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(record, |value, key| value.as_object()?.get(key))
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

fn read_jsonl(
    file: &InputFile,
    mut reader: Box<dyn BufRead>,
    options: &ReadOptions,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => return ControlFlow::Continue(()),
            Ok(_) => number += 1,
            Err(e) => {
                return visit(ReadEvent::Skipped(InputError {
                    path: file.display.clone(),
                    line: Some(number + 1),
                    message: format!("read failed: {e}"),
                }))
            }
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let event = match parse_record(&line, options) {
            Ok((text, id, source)) => ReadEvent::Document(Document {
                id: id.unwrap_or_else(|| format!("{}:{}", file.display, number)),
                source,
                location: Location {
                    path: file.display.clone(),
                    line: Some(number),
                },
                text,
            }),
            Err(message) => ReadEvent::Skipped(InputError {
                path: file.display.clone(),
                line: Some(number),
                message,
            }),
        };
        visit(event)?;
    }
}

type Record = (String, Option<String>, Option<String>);

fn parse_record(line: &[u8], options: &ReadOptions) -> Result<Record, String> {
    let decoded = String::from_utf8_lossy(line);
    let record: Value = serde_json::from_str(&decoded).map_err(|e| format!("invalid JSON: {e}"))?;
    if !record.is_object() {
        return Err(format!(
            "expected a JSON object, found {}",
            kind_of(&record)
        ));
    }
    let text = match field(&record, &options.text_field) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => {
            return Err(format!(
                "text field '{}' is {}, not a string",
                options.text_field,
                kind_of(other)
            ))
        }
        None => return Err(format!("missing text field '{}'", options.text_field)),
    };
    let id = match field(&record, &options.id_field) {
        Some(Value::String(id)) => Some(id.clone()),
        Some(Value::Number(id)) => Some(id.to_string()),
        _ => None,
    };
    let source = options
        .source_field
        .as_deref()
        .and_then(|name| field(&record, name))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((text, id, source))
}

/// A file of the inputs, for writers that reproduce the inputs file by file (dedup).
#[derive(Clone, Copy, Debug)]
pub struct InputFileRef<'a> {
    /// The name that reports and documents' locations use (`-` for standard input).
    pub display: &'a str,
    /// Where its bytes are (a spool file for standard input).
    pub path: &'a Path,
}

impl Inputs {
    /// Every file, in reading order.
    pub fn files(&self) -> impl Iterator<Item = InputFileRef<'_>> {
        self.files.iter().map(|file| InputFileRef {
            display: &file.display,
            path: &file.path,
        })
    }

    /// Opens a file's content the way the readers see it: decompressed when it is compressed.
    pub fn open_content(path: &Path) -> io::Result<Box<dyn BufRead>> {
        open_decoded(path)
    }
}
