//! paradup's engine as a Python extension module (`paradup._paradup`).
//!
//! The Python package (`python/paradup`) turns whatever a user hands it (paths, a list of strings
//! or of dicts, any object that exports an Arrow stream) into one of three calls here; each reads
//! into the same `Scanner` the command line uses, with the GIL released, and returns a
//! [`ScanReport`] whose JSON is the command line's `paradup.report/v1`. Texts given from Python
//! are copied once into an Arrow column; Arrow texts are read where they lie.

use arrow_array::builder::{StringBuilder, UInt16Builder, UInt32Builder, UInt64Builder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema};
use paradup::dedup::{edit_document, DedupPlan};
use paradup::html::{self, HtmlOptions, MemberTexts};
use paradup::read::ColumnarTexts;
use paradup::report::MemberLists;
use paradup::scan::{BoundedScanner, DocumentTable, MemoryBudget};
use paradup::{
    Banding, ColumnarDocuments, DocumentHead, InputError, InputErrorKind, Inputs, Location,
    ReadEvent, ReadOptions, Report, ScanOutcome, ScanParams, Scanner, SplitMode, Unit,
};
use pyo3::exceptions::{PyOSError, PyRuntimeWarning, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};
use rayon::prelude::*;
use std::borrow::Cow;
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

mod compare;
mod spark_blocks;
mod watch;

use watch::{Threads, Watch};

pyo3::create_exception!(
    _paradup,
    RawInputError,
    pyo3::exceptions::PyException,
    "A bad input: (message, path, line or row, kind)."
);

/// Documents handed to the scanner at once, as on the command line.
const BATCH_DOCUMENTS: usize = 2048;

/// The scan parameters of a Python call (a dict of the keyword arguments `paradup.scan` takes).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
struct ScanArgs {
    threshold: f64,
    ngram: usize,
    num_perm: usize,
    min_words: usize,
    split: String,
    unit: String,
    containment: Option<f64>,
    threads: usize,
    bands: Option<usize>,
    rows: Option<usize>,
    /// The memory budget: bytes, or a size such as "512M"; `None` for the command's default.
    memory: Option<MemorySize>,
    /// Where spill files go past the budget (default: the system's temporary folder).
    tmp_dir: Option<String>,
}

/// A memory budget as Python gives it: bytes, or a size in words ("512M", "8G").
#[derive(FromPyObject)]
enum MemorySize {
    Bytes(u64),
    Text(String),
}

impl ScanArgs {
    /// The memory budget the scan runs under: `memory`, else the command's default (three
    /// quarters of physical memory); none with a containment threshold (which holds its tables
    /// in memory; asked for one, it is an error). `expected_text_bytes` as the inputs' sizes tell.
    fn budget(&self, expected_text_bytes: Option<u64>) -> PyResult<Option<MemoryBudget>> {
        let asked = match &self.memory {
            None => None,
            Some(MemorySize::Bytes(bytes)) => Some(*bytes),
            Some(MemorySize::Text(text)) => {
                Some(paradup::scan::parse_memory_size(text).map_err(PyValueError::new_err)?)
            }
        };
        let unbounded = self.containment.is_some().then_some("containment");
        let tmp_dir = self.tmp_dir.as_ref().map(std::path::PathBuf::from);
        MemoryBudget::resolve(asked, unbounded, tmp_dir, expected_text_bytes)
            .map_err(|e| PyValueError::new_err(format!("memory: {e}")))
    }

    /// The scanner's parameters, checked.
    fn params(&self) -> PyResult<ScanParams> {
        let invalid = |e: String| PyValueError::new_err(e);
        let split = SplitMode::from_str(&self.split).map_err(|e| invalid(e.to_string()))?;
        let unit = Unit::from_str(&self.unit).map_err(|e| invalid(e.to_string()))?;
        let threshold = self.threshold;
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(invalid(format!(
                "threshold must be in (0, 1], got {threshold}"
            )));
        }
        if self.num_perm == 0 || self.num_perm > 4096 {
            return Err(invalid(format!(
                "num_perm must be in 1..=4096, got {}",
                self.num_perm
            )));
        }
        let params = ScanParams {
            split,
            unit,
            ngram: self.ngram,
            num_perm: self.num_perm,
            banding: match banding(self.bands, self.rows)? {
                Some((bands, rows)) => Banding { bands, rows },
                None => Banding::choose(threshold, self.num_perm),
            },
            threshold,
            containment: self.containment,
            min_words: self.min_words,
            ..ScanParams::default()
        };
        params.validate().map_err(|e| invalid(e.to_string()))?;
        Ok(params)
    }
}

/// LSH bands and rows when both are given (neither: chosen for the threshold).
fn banding(bands: Option<usize>, rows: Option<usize>) -> PyResult<Option<(usize, usize)>> {
    match (bands, rows) {
        (Some(bands), Some(rows)) => Ok(Some((bands, rows))),
        (None, None) => Ok(None),
        _ => Err(PyValueError::new_err(
            "give bands and rows together, or neither",
        )),
    }
}

/// Where the texts of a finished scan can be read again (for the report's cluster texts and the
/// HTML page's copies).
enum Held {
    /// Files: read again from their paths.
    Files {
        inputs: Inputs,
        options: ReadOptions,
    },
    /// Arrow columns kept from the scan: `(first document, texts)` a batch.
    Columns(Vec<(u32, ColumnarTexts)>),
}

impl Held {
    /// The text of each `(document, start, end)` requested; `None` where it cannot be had.
    fn fetch(
        &self,
        documents: &DocumentTable,
        requests: &[(u32, usize, usize)],
    ) -> Vec<Option<String>> {
        match self {
            Held::Files { inputs, options } => inputs.fetch_spans(options, documents, requests),
            Held::Columns(columns) => requests
                .iter()
                .map(|&(doc, start, end)| {
                    column_text(columns, doc)?
                        .get(start..end)
                        .map(str::to_owned)
                })
                .collect(),
        }
    }
}

/// The whole text of document `doc` among batches kept as `(first document, texts)`.
fn column_text(columns: &[(u32, ColumnarTexts)], doc: u32) -> Option<Cow<'_, str>> {
    let batch = columns.partition_point(|(first, _)| *first <= doc);
    let (first, texts) = columns.get(batch.checked_sub(1)?)?;
    Some(texts.text((doc - first) as usize))
}

/// A finished scan.
#[pyclass(module = "paradup._paradup", frozen)]
struct ScanReport {
    outcome: ScanOutcome,
    canonical_texts: Vec<String>,
    errors: Vec<InputError>,
    warnings: Vec<InputError>,
    seconds: f64,
    held: Held,
    /// For each document, its row among the rows handed in (rows with no text have none).
    rows: Vec<u64>,
    /// Rows handed in.
    row_count: u64,
}

impl ScanReport {
    /// The report; fails only when the copies are on disk and cannot be read.
    fn report(&self, member_lists: MemberLists) -> PyResult<Report<'_>> {
        Ok(Report::borrowing(
            &self.outcome,
            &self.canonical_texts,
            self.errors.clone(),
            self.seconds,
        )
        .map_err(|e| PyOSError::new_err(e.to_string()))?
        .with_warnings(self.warnings.clone())
        .with_member_lists(member_lists))
    }

    /// The JSON report's bytes, for [`ScanReport::json`].
    fn json_bytes(&self, py: Python<'_>, members: &str) -> PyResult<Vec<u8>> {
        let report = self.report(member_lists(members)?)?;
        py.detach(|| {
            let mut json = Vec::new();
            report.write_json(&mut json).map(|()| json)
        })
        .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// The member lists named `members` (`all`, `canonical` or `none`).
fn member_lists(members: &str) -> PyResult<MemberLists> {
    match members {
        "all" => Ok(MemberLists::All),
        "canonical" => Ok(MemberLists::Canonical),
        "none" => Ok(MemberLists::None),
        other => Err(PyValueError::new_err(format!(
            "members must be 'all', 'canonical' or 'none', not {other:?}"
        ))),
    }
}

/// Writes `bytes` to the output `path`, as the command writes its outputs
/// ([`paradup::output`]): a regular file through a temporary file renamed into place.
pub(crate) fn write_atomically(path: &str, bytes: &[u8]) -> PyResult<()> {
    write_atomically_with(path, |out| out.write_all(bytes))
}

/// Writes what `write` writes to the output `path` ([`paradup::output::write_atomic_with`]).
pub(crate) fn write_atomically_with(
    path: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> PyResult<()> {
    paradup::output::write_atomic_with(Path::new(path), write)
        .map_err(|e| PyOSError::new_err(e.message()))
}

#[pymethods]
impl ScanReport {
    /// The report as JSON (`paradup.report/v1`); `members` is `all`, `canonical` or `none`.
    #[pyo3(signature = (members = "all"))]
    fn json(&self, py: Python<'_>, members: &str) -> PyResult<String> {
        String::from_utf8(self.json_bytes(py, members)?)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Every member of every cluster as an Arrow table (the columns of `--members`).
    fn members(&self, py: Python<'_>) -> PyResult<PyTable> {
        let report = self.report(MemberLists::All)?;
        let sources: Vec<Option<&str>> = self.outcome.documents.iter().map(|d| d.source).collect();
        let mut batches: Vec<RecordBatch> = Vec::new();
        py.detach(|| {
            paradup::members::member_batches(&report, &sources, &mut |batch| {
                batches.push(batch);
                Ok(())
            })
        })
        .map_err(|e| PyOSError::new_err(e.to_string()))?;
        PyTable::try_new(batches, paradup::members::schema())
    }

    /// One boolean a row handed in: true where the row's every paragraph with words is a repeat
    /// (the rows `dedup --drop-duplicate-documents` leaves out).
    fn duplicate_mask(&self) -> PyResult<Vec<bool>> {
        let whole = paradup::dedup::whole_repeats(&self.outcome)
            .map_err(|e| PyOSError::new_err(e.to_string()))?;
        let mut mask = vec![false; self.row_count as usize];
        for (doc, repeat) in whole.into_iter().enumerate() {
            if let Some(slot) = self
                .rows
                .get(doc)
                .and_then(|&row| mask.get_mut(row as usize))
            {
                *slot = repeat;
            }
        }
        Ok(mask)
    }

    /// The texts handed in without their repeats, one a row (`None` for a row with no text),
    /// the byte ranges cut out of each, and whether each row is entirely a repeat: what `paradup
    /// dedup` writes, for texts given from Python or as Arrow (files: use the command).
    #[allow(clippy::type_complexity)]
    fn dedup_rows(
        &self,
        py: Python<'_>,
    ) -> PyResult<(Vec<Option<String>>, Vec<Vec<(u64, u64)>>, Vec<bool>)> {
        let Held::Columns(columns) = &self.held else {
            return Err(PyValueError::new_err(
                "dedup of files is the command's: paradup dedup INPUT -o OUTPUT",
            ));
        };
        py.detach(|| {
            let plan =
                DedupPlan::new(&self.outcome).map_err(|e| PyOSError::new_err(e.to_string()))?;
            let params = &self.outcome.params;
            let rows = self.row_count as usize;
            let (mut texts, mut removed, mut whole) =
                (vec![None; rows], vec![Vec::new(); rows], vec![false; rows]);
            for (doc, &row) in self.rows.iter().enumerate() {
                let text = column_text(columns, doc as u32).ok_or_else(|| {
                    PyValueError::new_err(format!("the text of document {doc} was not kept"))
                })?;
                let edited = edit_document(
                    &text,
                    params.split,
                    params.unit,
                    params.normalize,
                    &plan.removals(doc as u32),
                )
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
                let row = row as usize;
                removed[row] = edited
                    .removed
                    .iter()
                    .map(|range| (range.start as u64, range.end as u64))
                    .collect();
                whole[row] = edited.all_repeats;
                texts[row] = Some(edited.text);
            }
            Ok((texts, removed, whole))
        })
    }

    /// Writes the HTML report to `path` (atomically), showing the `top` largest clusters.
    #[pyo3(signature = (path, top = 50))]
    fn html(&self, py: Python<'_>, path: &str, top: usize) -> PyResult<()> {
        let report = self.report(MemberLists::All)?;
        let page = py.detach(|| {
            let options = HtmlOptions { top };
            let copies = html::PageCopies::gather(&report, self.outcome.documents.len(), &options)
                .map_err(|e| e.to_string())?;
            let refs = copies.members_to_fetch();
            let requests: Vec<(u32, usize, usize)> =
                refs.iter().map(|r| (r.doc, r.start, r.end)).collect();
            let texts = self.held.fetch(&self.outcome.documents, &requests);
            let texts = MemberTexts::from_fetched(&refs, texts);
            html::render(&report, &self.outcome.documents, &copies, &texts, &options)
                .map_err(|e| e.to_string())
        });
        let page = page.map_err(|e| PyValueError::new_err(e.to_string()))?;
        let written = write_atomically(path, page.as_bytes());
        paradup::scan::release_freed_memory();
        written
    }

    /// Writes the JSON report to `path` (atomically).
    #[pyo3(signature = (path, members = "all"))]
    fn write_json(&self, py: Python<'_>, path: &str, members: &str) -> PyResult<()> {
        // Streamed to the file a window of clusters at a time, never held whole.
        let report = self.report(member_lists(members)?)?;
        let written = py.detach(|| write_atomically_with(path, |out| report.write_json(out)));
        // The windows' rendered text is gone: its pages go back before the next output.
        paradup::scan::release_freed_memory();
        written
    }

    /// Number of documents scanned.
    #[getter]
    fn documents(&self) -> usize {
        self.outcome.documents.len()
    }
}

/// A scan over documents handed in batches, with what the report needs afterwards.
/// The scanner of a call: under a memory budget, or (with a containment threshold) not.
enum Engine {
    Plain(Scanner),
    Bounded(BoundedScanner),
}

impl std::ops::Deref for Engine {
    type Target = Scanner;
    fn deref(&self) -> &Scanner {
        match self {
            Engine::Plain(scanner) => scanner,
            Engine::Bounded(scanner) => scanner,
        }
    }
}

impl std::ops::DerefMut for Engine {
    fn deref_mut(&mut self) -> &mut Scanner {
        match self {
            Engine::Plain(scanner) => scanner,
            Engine::Bounded(scanner) => scanner,
        }
    }
}

impl Engine {
    fn finish(self) -> PyResult<ScanOutcome> {
        match self {
            Engine::Plain(scanner) => Ok(scanner.finish()),
            // The report's outputs (JSON, members, HTML, dedup) read the clusters' copies in
            // order: past the budget they stay in the spill folder while the report lives.
            Engine::Bounded(scanner) => scanner
                .try_finish_streamed()
                .map_err(|e| PyOSError::new_err(e.to_string())),
        }
    }
}

struct Run {
    scanner: Engine,
    columns: Vec<(u32, ColumnarTexts)>,
    rows: Vec<u64>,
    row_count: u64,
    errors: Vec<InputError>,
    warnings: Vec<InputError>,
    started: Instant,
    /// The budget's forecast was made (and, when it passes the budget, told).
    forecast_told: bool,
}

impl Run {
    fn new(params: ScanParams, budget: Option<MemoryBudget>) -> PyResult<Run> {
        let invalid = |e: paradup::scan::ParamError| PyValueError::new_err(e.to_string());
        let scanner = match budget {
            Some(budget) => Engine::Bounded(BoundedScanner::new(params, budget).map_err(invalid)?),
            None => Engine::Plain(Scanner::new(params).map_err(invalid)?),
        };
        Ok(Run {
            scanner,
            columns: Vec::new(),
            rows: Vec::new(),
            row_count: 0,
            errors: Vec::new(),
            warnings: Vec::new(),
            started: Instant::now(),
            forecast_told: false,
        })
    }

    /// Once the scan spilled and estimated what it keeps in memory past its budget: a
    /// `RuntimeWarning`, at once, when that will not fit the budget by the end of the input (as
    /// the command warns). An error when warnings are turned into errors.
    fn tell_forecast(&mut self) -> PyResult<()> {
        if self.forecast_told {
            return Ok(());
        }
        let Some(forecast) = self.scanner.budget_forecast() else {
            return Ok(());
        };
        self.forecast_told = true;
        if !forecast.passes_budget() {
            return Ok(());
        }
        let message = std::ffi::CString::new(forecast.to_string())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Python::attach(|py| PyErr::warn(py, &py.get_type::<PyRuntimeWarning>(), &message, 1))
    }

    /// Adds the documents of one batch whose texts are `texts` (a text column), in `rows` of it.
    fn add(
        &mut self,
        heads: Vec<DocumentHead>,
        texts: ArrayRef,
        rows: Vec<u32>,
        threads: &Threads,
    ) -> PyResult<u64> {
        let base = self.row_count;
        self.rows.extend(rows.iter().map(|&row| base + row as u64));
        self.row_count += texts.len() as u64;
        let documents = ColumnarDocuments::new(heads, texts, rows)
            .ok_or_else(|| PyValueError::new_err("a batch does not match its text column"))?;
        let first = self.scanner.document_count() as u32;
        self.columns.push((first, documents.texts()));
        let bytes = documents.text_bytes() as u64;
        let scanner = &mut self.scanner;
        threads.run(|| scanner.add_columnar(vec![documents]));
        self.spill_failure()?;
        self.tell_forecast()?;
        Ok(bytes)
    }

    /// The spill folder's failure (it cannot be written, or lacks the space the scan needs), as
    /// the `OSError` that ends the scan.
    fn spill_failure(&self) -> PyResult<()> {
        match self.scanner.spill_failure() {
            Some(error) => Err(PyOSError::new_err(error.to_string())),
            None => Ok(()),
        }
    }

    /// Clusters what was added and builds the report; `bytes` of text were read.
    fn finish(
        mut self,
        held: Option<Held>,
        threads: &Threads,
        watch: &mut Watch,
        bytes: u64,
    ) -> PyResult<ScanReport> {
        // A forecast made by the last batch is told before the scan goes on.
        self.tell_forecast()?;
        watch.tick("cluster", self.row_count, bytes)?;
        let Run {
            scanner,
            columns,
            rows,
            row_count,
            errors,
            warnings,
            started,
            forecast_told: _,
        } = self;
        let outcome = threads.run(|| scanner.finish())?;
        // The stages' tables are gone: their pages go back before the report takes its own (as
        // the command does).
        paradup::scan::release_freed_memory();
        watch.tick("report", row_count, bytes)?;
        let held = held.unwrap_or(Held::Columns(columns));
        let requests = paradup::report::canonical_spans(&outcome);
        let canonical_texts = held
            .fetch(&outcome.documents, &requests)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        watch.tick("done", row_count, bytes)?;
        Ok(ScanReport {
            outcome,
            canonical_texts,
            errors,
            warnings,
            seconds: started.elapsed().as_secs_f64(),
            held,
            rows,
            row_count,
        })
    }
}

pub(crate) fn raw_input_error(error: &InputError) -> PyErr {
    let kind = serde_json::to_value(error.kind)
        .ok()
        .and_then(|kind| kind.as_str().map(str::to_owned));
    RawInputError::new_err((
        error.to_string(),
        error.path.clone(),
        error.line.or(error.row),
        kind,
    ))
}

/// The error of a row handed in (of `<texts>` or `<arrow>` data) that has no text.
pub(crate) fn missing_text(path: &str, row: u64, message: String) -> InputError {
    InputError {
        path: path.into(),
        line: None,
        row: Some(row),
        kind: InputErrorKind::MissingText,
        message,
    }
}

/// The rows of `texts` (a text column) that hold a text, and those texts as columnar documents
/// without names (each located by its row); `None` when the column is not text.
pub(crate) fn rows_with_text(texts: &ArrayRef) -> Option<(Vec<usize>, ColumnarDocuments)> {
    let rows: Vec<usize> = (0..texts.len())
        .filter(|&row| !texts.is_null(row))
        .collect();
    let heads = rows
        .iter()
        .map(|&row| DocumentHead {
            id: String::new(),
            source: None,
            location: Location {
                path: String::new(),
                line: None,
                row: Some(row as u64),
            },
        })
        .collect();
    let numbers = rows.iter().map(|&row| row as u32).collect();
    let documents = ColumnarDocuments::new(heads, texts.clone(), numbers)?;
    Some((rows, documents))
}

/// The error of Arrow data handed in whose text column is missing or not text.
pub(crate) fn arrow_column_error(message: String) -> PyErr {
    raw_input_error(&InputError {
        path: "<arrow>".into(),
        line: None,
        row: None,
        kind: InputErrorKind::BadColumn,
        message,
    })
}

/// Scans files and folders, as `paradup scan PATH...` does.
#[pyfunction]
#[pyo3(signature = (paths, text_field, id_field, source_field, strict, args, progress=None))]
#[allow(clippy::too_many_arguments)]
fn scan_paths(
    py: Python<'_>,
    paths: Vec<String>,
    text_field: String,
    id_field: String,
    source_field: Option<String>,
    strict: bool,
    args: ScanArgs,
    progress: Option<Py<PyAny>>,
) -> PyResult<ScanReport> {
    let params = args.params()?;
    let threads = Threads::new(args.threads)?;
    let mut watch = Watch::new(progress);
    let (inputs, mut errors) = Inputs::resolve(&paths);
    if inputs.file_count() == 0 {
        if let Some(error) = errors.first() {
            return Err(raw_input_error(error));
        }
        return Err(PyValueError::new_err("no input files"));
    }
    let options = ReadOptions {
        text_field,
        id_field,
        source_field,
        ..ReadOptions::default()
    };
    let budget = args.budget(inputs.expected_text_bytes())?;
    let mut run = Run::new(params, budget)?;
    run.errors.append(&mut errors);
    py.detach(|| {
        let mut batch = Vec::new();
        let mut failure: Option<PyErr> = None;
        let mut seen = 0usize;
        let mut bytes = 0u64;
        let _ = inputs.read_columnar(&options, &mut |event| {
            seen += 1;
            if seen % BATCH_DOCUMENTS == 0 {
                if let Err(error) = run
                    .spill_failure()
                    .and_then(|()| run.tell_forecast())
                    .and_then(|()| watch.tick("read", run.row_count, bytes))
                {
                    failure = Some(error);
                    return ControlFlow::Break(());
                }
            }
            match event {
                ReadEvent::Document(doc) => {
                    run.rows.push(run.row_count);
                    run.row_count += 1;
                    bytes += doc.text.len() as u64;
                    batch.push(doc);
                    if batch.len() >= BATCH_DOCUMENTS {
                        let full = std::mem::take(&mut batch);
                        threads.run(|| run.scanner.add_batch(full));
                    }
                }
                ReadEvent::Columnar(documents) => {
                    if !batch.is_empty() {
                        let full = std::mem::take(&mut batch);
                        threads.run(|| run.scanner.add_batch(full));
                    }
                    for _ in 0..documents.len() {
                        run.rows.push(run.row_count);
                        run.row_count += 1;
                    }
                    bytes += documents.text_bytes() as u64;
                    threads.run(|| run.scanner.add_columnar(vec![documents]));
                    if let Err(error) = run
                        .tell_forecast()
                        .and_then(|()| watch.tick("read", run.row_count, bytes))
                    {
                        failure = Some(error);
                        return ControlFlow::Break(());
                    }
                }
                ReadEvent::Skipped(error) | ReadEvent::Repaired(error) if strict => {
                    failure = Some(raw_input_error(&error));
                    return ControlFlow::Break(());
                }
                ReadEvent::Skipped(error) => run.errors.push(error),
                ReadEvent::Repaired(error) => run.warnings.push(error),
                ReadEvent::FileOffsets(_) => {}
            }
            ControlFlow::Continue(())
        });
        if let Some(error) = failure {
            return Err(error);
        }
        if !batch.is_empty() {
            threads.run(|| run.scanner.add_batch(batch));
        }
        run.finish(
            Some(Held::Files { inputs, options }),
            &threads,
            &mut watch,
            bytes,
        )
    })
}

/// Scans texts given as Python strings (with optional ids and sources, one a text).
#[pyfunction]
#[pyo3(signature = (texts, ids, sources, args, progress=None))]
fn scan_texts(
    py: Python<'_>,
    texts: Vec<Option<String>>,
    ids: Option<Vec<Option<String>>>,
    sources: Option<Vec<Option<String>>>,
    args: ScanArgs,
    progress: Option<Py<PyAny>>,
) -> PyResult<ScanReport> {
    let params = args.params()?;
    let threads = Threads::new(args.threads)?;
    let mut watch = Watch::new(progress);
    for (name, list) in [("ids", &ids), ("sources", &sources)] {
        if let Some(list) = list {
            if list.len() != texts.len() {
                return Err(PyValueError::new_err(format!(
                    "{name} has {} values for {} texts",
                    list.len(),
                    texts.len()
                )));
            }
        }
    }
    let mut run = Run::new(params, args.budget(None)?)?;
    py.detach(|| {
        let mut bytes = 0u64;
        {
            for (chunk_index, chunk) in texts.chunks(BATCH_DOCUMENTS).enumerate() {
                watch.tick("read", run.row_count, bytes)?;
                let first = chunk_index * BATCH_DOCUMENTS;
                let mut column = StringBuilder::new();
                let mut heads = Vec::new();
                let mut rows = Vec::new();
                for (offset, text) in chunk.iter().enumerate() {
                    let row = first + offset;
                    column.append_option(text.as_deref());
                    if text.is_none() {
                        run.errors.push(missing_text(
                            "<texts>",
                            row as u64,
                            "the text is None".into(),
                        ));
                        continue;
                    }
                    let label = |list: &Option<Vec<Option<String>>>| {
                        list.as_ref().and_then(|list| list[row].clone())
                    };
                    heads.push(DocumentHead {
                        id: label(&ids).unwrap_or_else(|| row.to_string()),
                        source: label(&sources),
                        location: Location {
                            path: "<texts>".into(),
                            line: None,
                            row: Some(row as u64),
                        },
                    });
                    rows.push(offset as u32);
                }
                bytes += run.add(heads, Arc::new(column.finish()), rows, &threads)?;
            }
        }
        run.finish(None, &threads, &mut watch, bytes)
    })
}

/// The column at `path` (dots reach into struct columns) of `batch`.
pub(crate) fn column_at(batch: &RecordBatch, path: &str) -> Option<ArrayRef> {
    if let Some(column) = batch.column_by_name(path) {
        return Some(column.clone());
    }
    let mut names = path.split('.');
    let mut column = batch.column_by_name(names.next()?)?.clone();
    for name in names {
        let parent: &StructArray = column.as_struct_opt()?;
        column = parent.column_by_name(name)?.clone();
    }
    Some(column)
}

/// A label (id or source) of row `row` as text; `None` when null or not text or an integer.
pub(crate) fn label_at(column: &ArrayRef, row: usize) -> Option<String> {
    if column.is_null(row) {
        return None;
    }
    let display = arrow_array::cast::as_string_array;
    Some(match column.data_type() {
        DataType::Utf8 => display(column).value(row).to_owned(),
        DataType::LargeUtf8 => column.as_string::<i64>().value(row).to_owned(),
        DataType::Utf8View => column.as_string_view().value(row).to_owned(),
        DataType::Int64 => column
            .as_primitive::<arrow_array::types::Int64Type>()
            .value(row)
            .to_string(),
        DataType::Int32 => column
            .as_primitive::<arrow_array::types::Int32Type>()
            .value(row)
            .to_string(),
        DataType::UInt64 => column
            .as_primitive::<arrow_array::types::UInt64Type>()
            .value(row)
            .to_string(),
        _ => return None,
    })
}

/// Scans an Arrow stream (a pyarrow table or reader, a Polars frame, a DuckDB result: anything
/// with `__arrow_c_stream__`), its texts read where they lie.
#[pyfunction]
#[pyo3(signature = (stream, text_field, id_field, source_field, args, progress=None))]
fn scan_arrow(
    py: Python<'_>,
    stream: PyRecordBatchReader,
    text_field: String,
    id_field: String,
    source_field: Option<String>,
    args: ScanArgs,
    progress: Option<Py<PyAny>>,
) -> PyResult<ScanReport> {
    let params = args.params()?;
    let threads = Threads::new(args.threads)?;
    let mut watch = Watch::new(progress);
    let reader = stream.into_reader()?;
    let mut run = Run::new(params, args.budget(None)?)?;
    py.detach(|| {
        let mut bytes = 0u64;
        {
            for batch in reader {
                watch.tick("read", run.row_count, bytes)?;
                let batch = batch.map_err(|e| PyValueError::new_err(e.to_string()))?;
                let first = run.row_count;
                let texts = column_at(&batch, &text_field).ok_or_else(|| {
                    arrow_column_error(format!("the data has no text column '{text_field}'"))
                })?;
                if !paradup::read::is_text_column(texts.data_type()) {
                    return Err(arrow_column_error(format!(
                        "text column '{text_field}' is {}, not text",
                        texts.data_type()
                    )));
                }
                let ids = column_at(&batch, &id_field);
                let sources = source_field.as_deref().and_then(|f| column_at(&batch, f));
                let mut heads = Vec::new();
                let mut rows = Vec::new();
                for row in 0..batch.num_rows() {
                    let global = first + row as u64;
                    if texts.is_null(row) {
                        run.errors.push(missing_text(
                            "<arrow>",
                            global,
                            format!("text column '{text_field}' is null"),
                        ));
                        continue;
                    }
                    heads.push(DocumentHead {
                        id: ids
                            .as_ref()
                            .and_then(|ids| label_at(ids, row))
                            .unwrap_or_else(|| global.to_string()),
                        source: sources.as_ref().and_then(|s| label_at(s, row)),
                        location: Location {
                            path: "<arrow>".into(),
                            line: None,
                            row: Some(global),
                        },
                    });
                    rows.push(row as u32);
                }
                bytes += run.add(heads, texts, rows, &threads)?;
            }
        }
        run.finish(None, &threads, &mut watch, bytes)
    })
}

/// The fingerprint of paragraphs, for engines that spread a scan over many machines (Spark): band
/// keys to join candidate pairs on, and the exact similarity that verifies them.
#[pyclass(module = "paradup._paradup", frozen, name = "Fingerprinter")]
struct PyFingerprinter {
    inner: paradup_core::Fingerprinter,
}

/// The columns of [`PyFingerprinter::band_keys`].
fn band_key_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("doc", DataType::UInt64, false),
        Field::new("paragraph", DataType::UInt32, false),
        Field::new("start", DataType::UInt64, false),
        Field::new("end", DataType::UInt64, false),
        Field::new("exact_hash", DataType::UInt64, false),
        Field::new("band", DataType::UInt16, true),
        Field::new("key", DataType::UInt64, true),
    ]))
}

#[pymethods]
impl PyFingerprinter {
    #[new]
    fn new(args: ScanArgs) -> PyResult<Self> {
        Ok(PyFingerprinter {
            inner: paradup_core::Fingerprinter::new(args.params()?.fingerprint_params()),
        })
    }

    /// One row a band of every paragraph of the near tier, and one row (band and key null) a
    /// shorter paragraph with words: `doc` is the row in `stream`, `start`/`end` byte offsets in
    /// its text. Rows with a null text have none.
    fn band_keys(
        &self,
        py: Python<'_>,
        stream: PyRecordBatchReader,
        text_field: String,
    ) -> PyResult<PyTable> {
        let reader = stream.into_reader()?;
        let schema = band_key_schema();
        let batches = py.detach(|| -> PyResult<Vec<RecordBatch>> {
            let mut out = Vec::new();
            let mut first = 0u64;
            for batch in reader {
                let batch = batch.map_err(|e| PyValueError::new_err(e.to_string()))?;
                let texts = column_at(&batch, &text_field).ok_or_else(|| {
                    PyValueError::new_err(format!("the data has no text column '{text_field}'"))
                })?;
                let (rows, documents) = rows_with_text(&texts)
                    .ok_or_else(|| PyValueError::new_err("the text column is not text"))?;
                let printed: Vec<(u64, Vec<paradup_core::ParagraphPrint>)> = rows
                    .par_iter()
                    .enumerate()
                    .map(|(index, &row)| {
                        (
                            first + row as u64,
                            self.inner.fingerprint(&documents.text(index)),
                        )
                    })
                    .collect();
                let mut columns = BandKeyColumns::default();
                for (doc, prints) in printed {
                    for (paragraph, print) in prints.iter().enumerate() {
                        columns.push(doc, paragraph as u32, print);
                    }
                }
                out.push(columns.finish(&schema)?);
                first += batch.num_rows() as u64;
            }
            Ok(out)
        })?;
        PyTable::try_new(batches, schema)
    }

    /// The exact Jaccard similarity of each pair `(left[i], right[i])` of paragraphs, as a scan
    /// verifies a candidate pair (a null on either side gives 0).
    fn similarity(
        &self,
        py: Python<'_>,
        left: Vec<Option<String>>,
        right: Vec<Option<String>>,
    ) -> PyResult<Vec<f64>> {
        if left.len() != right.len() {
            return Err(PyValueError::new_err(format!(
                "{} left paragraphs for {} right ones",
                left.len(),
                right.len()
            )));
        }
        Ok(py.detach(|| {
            left.par_iter()
                .zip(&right)
                .map(|pair| match pair {
                    (Some(a), Some(b)) => self.inner.similarity(a, b),
                    _ => 0.0,
                })
                .collect()
        }))
    }
}

/// The columns of band-key rows being built.
#[derive(Default)]
struct BandKeyColumns {
    doc: UInt64Builder,
    paragraph: UInt32Builder,
    start: UInt64Builder,
    end: UInt64Builder,
    exact_hash: UInt64Builder,
    band: UInt16Builder,
    key: UInt64Builder,
}

impl BandKeyColumns {
    fn push(&mut self, doc: u64, paragraph: u32, print: &paradup_core::ParagraphPrint) {
        if print.words == 0 {
            return;
        }
        let mut row = |band: Option<u16>, key: Option<u64>| {
            self.doc.append_value(doc);
            self.paragraph.append_value(paragraph);
            self.start.append_value(print.span.start as u64);
            self.end.append_value(print.span.end as u64);
            self.exact_hash.append_value(print.exact);
            self.band.append_option(band);
            self.key.append_option(key);
        };
        match &print.near {
            Some(near) => {
                for (band, &key) in near.band_keys.iter().enumerate() {
                    row(Some(band as u16), Some(key));
                }
            }
            None => row(None, None),
        }
    }

    fn finish(&mut self, schema: &Arc<Schema>) -> PyResult<RecordBatch> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.doc.finish()),
            Arc::new(self.paragraph.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.exact_hash.finish()),
            Arc::new(self.band.finish()),
            Arc::new(self.key.finish()),
        ];
        RecordBatch::try_new(schema.clone(), columns)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }
}

/// Runs the `paradup` command line `args` (the program's name first) in this process, with the
/// GIL released: its exit status, and the error that ended it (which the command would print after
/// `paradup: error:`), if one did. It prints what the command prints otherwise. With `threads`, on a
/// pool of that many worker threads (0: one a core) that the command then uses; without, the
/// command sets up its threads itself (the `paradup` console script, which runs nothing else).
#[pyfunction]
#[pyo3(signature = (args, threads=None))]
fn command(
    py: Python<'_>,
    args: Vec<String>,
    threads: Option<usize>,
) -> PyResult<(u8, Option<String>)> {
    let outcome = match threads {
        None => py.detach(|| paradup::cli::execute(args)),
        Some(threads) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| PyValueError::new_err(format!("threads={threads}: {e}")))?;
            py.detach(|| pool.install(|| paradup::cli::execute(args)))
        }
    };
    Ok(match outcome {
        Ok(code) => (code, None),
        Err(message) => (2, Some(message)),
    })
}

/// The extension module.
#[pymodule]
fn _paradup(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(scan_paths, module)?)?;
    module.add_function(wrap_pyfunction!(command, module)?)?;
    module.add_function(wrap_pyfunction!(scan_texts, module)?)?;
    module.add_function(wrap_pyfunction!(scan_arrow, module)?)?;
    module.add_class::<ScanReport>()?;
    module.add_function(wrap_pyfunction!(compare::compare, module)?)?;
    module.add_class::<compare::ComparedReport>()?;
    module.add_class::<PyFingerprinter>()?;
    module.add_class::<spark_blocks::SparkBlocks>()?;
    module.add("RawInputError", module.py().get_type::<RawInputError>())?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
