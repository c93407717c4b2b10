//! paradup's engine as a Python extension module (`paradup._paradup`).
//!
//! The Python package (`python/paradup`) turns whatever a user hands it (paths, a list of strings
//! or of dicts, any object that exports an Arrow stream) into one of three calls here; each reads
//! into the same `Scanner` the command line uses, with the GIL released, and returns a
//! [`ScanReport`] whose JSON is the command line's `paradup.report/v1`. Texts given from Python
//! are copied once into an Arrow column; Arrow texts are read where they lie.

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray};
use arrow_schema::DataType;
use paradup::dedup::DedupPlan;
use paradup::html::{self, HtmlOptions, MemberTexts};
use paradup::read::ColumnarTexts;
use paradup::report::MemberLists;
use paradup::{
    Banding, ColumnarDocuments, DocumentEntry, DocumentHead, InputError, Inputs, Location,
    ReadEvent, ReadOptions, Report, ScanOutcome, ScanParams, Scanner, SplitMode, Unit,
};
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::{PyRecordBatchReader, PyTable};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

pyo3::create_exception!(
    _paradup,
    RawInputError,
    pyo3::exceptions::PyException,
    "A bad input: (message, path, line or row)."
);

/// Documents handed to the scanner at once, as on the command line.
const BATCH_DOCUMENTS: usize = 2048;

/// The scan parameters a Python call gives, checked.
#[allow(clippy::too_many_arguments)]
fn scan_params(
    threshold: f64,
    ngram: usize,
    num_perm: usize,
    min_words: usize,
    split: &str,
    unit: &str,
    containment: Option<f64>,
    banding: Option<(usize, usize)>,
) -> PyResult<ScanParams> {
    let split = SplitMode::from_str(split).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let unit = Unit::from_str(unit).map_err(|e| PyValueError::new_err(e.to_string()))?;
    if !(threshold > 0.0 && threshold <= 1.0) {
        return Err(PyValueError::new_err(format!(
            "threshold must be in (0, 1], got {threshold}"
        )));
    }
    if num_perm == 0 || num_perm > 4096 {
        return Err(PyValueError::new_err(format!(
            "num_perm must be in 1..=4096, got {num_perm}"
        )));
    }
    let params = ScanParams {
        split,
        unit,
        ngram,
        num_perm,
        banding: match banding {
            Some((bands, rows)) => Banding { bands, rows },
            None => Banding::choose(threshold, num_perm),
        },
        threshold,
        containment,
        min_words,
        ..ScanParams::default()
    };
    params
        .validate()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(params)
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
        documents: &[DocumentEntry],
        requests: &[(u32, usize, usize)],
    ) -> Vec<Option<String>> {
        match self {
            Held::Files { inputs, options } => inputs.fetch_spans(options, documents, requests),
            Held::Columns(columns) => requests
                .iter()
                .map(|&(doc, start, end)| {
                    let batch = columns.partition_point(|(first, _)| *first <= doc);
                    let (first, texts) = columns.get(batch.checked_sub(1)?)?;
                    let text = texts.text((doc - first) as usize);
                    text.get(start..end).map(str::to_owned)
                })
                .collect(),
        }
    }
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
    fn report(&self, member_lists: MemberLists) -> Report<'_> {
        Report::new(
            &self.outcome,
            self.canonical_texts.clone(),
            self.errors.clone(),
            self.seconds,
        )
        .with_warnings(self.warnings.clone())
        .with_member_lists(member_lists)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder, renamed into place.
fn write_atomically(path: &str, bytes: &[u8]) -> PyResult<()> {
    let target = Path::new(path);
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let failed = |e: std::io::Error| PyOSError::new_err(format!("{path}: {e}"));
    let mut file = tempfile::NamedTempFile::new_in(folder).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    file.persist(target).map_err(|e| failed(e.error))?;
    Ok(())
}

#[pymethods]
impl ScanReport {
    /// The report as JSON (`paradup.report/v1`); `members` is `all`, `canonical` or `none`.
    #[pyo3(signature = (members = "all"))]
    fn json(&self, py: Python<'_>, members: &str) -> PyResult<String> {
        let lists = match members {
            "all" => MemberLists::All,
            "canonical" => MemberLists::Canonical,
            "none" => MemberLists::None,
            other => {
                return Err(PyValueError::new_err(format!(
                    "members must be 'all', 'canonical' or 'none', not {other:?}"
                )))
            }
        };
        py.detach(|| serde_json::to_string(&self.report(lists)))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// Every member of every cluster as an Arrow table (the columns of `--members`).
    fn members(&self, py: Python<'_>) -> PyResult<PyTable> {
        let report = self.report(MemberLists::All);
        let sources: Vec<Option<&str>> = self
            .outcome
            .documents
            .iter()
            .map(|d| d.source.as_deref())
            .collect();
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
    fn duplicate_mask(&self) -> Vec<bool> {
        let whole = DedupPlan::new(&self.outcome).whole_repeats(&self.outcome);
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
        mask
    }

    /// Writes the HTML report to `path` (atomically), showing the `top` largest clusters.
    #[pyo3(signature = (path, top = 50))]
    fn html(&self, py: Python<'_>, path: &str, top: usize) -> PyResult<()> {
        let page = py.detach(|| {
            let report = self.report(MemberLists::All);
            let options = HtmlOptions { top };
            let refs = html::members_to_fetch(&report, &options);
            let requests: Vec<(u32, usize, usize)> =
                refs.iter().map(|r| (r.doc, r.start, r.end)).collect();
            let texts = self.held.fetch(&self.outcome.documents, &requests);
            let texts = MemberTexts::from_fetched(&refs, texts);
            html::render(&report, &self.outcome.documents, &texts, &options)
        });
        let page = page.map_err(|e| PyValueError::new_err(e.to_string()))?;
        write_atomically(path, page.as_bytes())
    }

    /// Writes the JSON report to `path` (atomically).
    #[pyo3(signature = (path, members = "all"))]
    fn write_json(&self, py: Python<'_>, path: &str, members: &str) -> PyResult<()> {
        let json = self.json(py, members)?;
        write_atomically(path, json.as_bytes())
    }

    /// Number of documents scanned.
    #[getter]
    fn documents(&self) -> usize {
        self.outcome.documents.len()
    }
}

/// Runs `work` on `threads` worker threads (0: the global pool, one a core).
fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    if threads == 0 {
        return Ok(work());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| PyValueError::new_err(format!("threads={threads}: {e}")))?;
    Ok(pool.install(work))
}

/// True when Python has a pending signal (Ctrl-C): checked between batches.
fn interrupted() -> bool {
    Python::attach(|py| py.check_signals().is_err())
}

/// A scan over documents handed in batches, with what the report needs afterwards.
struct Run {
    scanner: Scanner,
    columns: Vec<(u32, ColumnarTexts)>,
    rows: Vec<u64>,
    row_count: u64,
    errors: Vec<InputError>,
    warnings: Vec<InputError>,
    started: Instant,
}

impl Run {
    fn new(params: ScanParams) -> PyResult<Run> {
        Ok(Run {
            scanner: Scanner::new(params).map_err(|e| PyValueError::new_err(e.to_string()))?,
            columns: Vec::new(),
            rows: Vec::new(),
            row_count: 0,
            errors: Vec::new(),
            warnings: Vec::new(),
            started: Instant::now(),
        })
    }

    /// Adds the documents of one batch whose texts are `texts` (a text column), in `rows` of it.
    fn add(&mut self, heads: Vec<DocumentHead>, texts: ArrayRef, rows: Vec<u32>) -> PyResult<()> {
        let base = self.row_count;
        self.rows.extend(rows.iter().map(|&row| base + row as u64));
        self.row_count += texts.len() as u64;
        let documents = ColumnarDocuments::new(heads, texts, rows)
            .ok_or_else(|| PyValueError::new_err("a batch does not match its text column"))?;
        let first = self.scanner.document_count() as u32;
        let (_, kept) = documents.clone().into_heads();
        self.columns.push((first, kept));
        self.scanner.add_columnar(vec![documents]);
        Ok(())
    }

    fn finish(self, held: Option<Held>) -> ScanReport {
        let Run {
            scanner,
            columns,
            rows,
            row_count,
            errors,
            warnings,
            started,
        } = self;
        let outcome = scanner.finish();
        let held = held.unwrap_or(Held::Columns(columns));
        let requests: Vec<(u32, usize, usize)> = outcome
            .clusters
            .iter()
            .map(|c| {
                let m = c.canonical();
                (m.doc, m.span.start, m.span.end)
            })
            .collect();
        let canonical_texts = held
            .fetch(&outcome.documents, &requests)
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect();
        ScanReport {
            outcome,
            canonical_texts,
            errors,
            warnings,
            seconds: started.elapsed().as_secs_f64(),
            held,
            rows,
            row_count,
        }
    }
}

fn raw_input_error(error: &InputError) -> PyErr {
    RawInputError::new_err((
        error.to_string(),
        error.path.clone(),
        error.line.or(error.row),
    ))
}

/// Scans files and folders, as `paradup scan PATH...` does.
#[pyfunction]
#[pyo3(signature = (paths, text_field, id_field, source_field, threshold, ngram, num_perm,
    min_words, split, unit, containment, threads, strict, bands = None, rows = None))]
#[allow(clippy::too_many_arguments)]
fn scan_paths(
    py: Python<'_>,
    paths: Vec<String>,
    text_field: String,
    id_field: String,
    source_field: Option<String>,
    threshold: f64,
    ngram: usize,
    num_perm: usize,
    min_words: usize,
    split: &str,
    unit: &str,
    containment: Option<f64>,
    threads: usize,
    strict: bool,
    bands: Option<usize>,
    rows: Option<usize>,
) -> PyResult<ScanReport> {
    let params = scan_params(
        threshold,
        ngram,
        num_perm,
        min_words,
        split,
        unit,
        containment,
        banding(bands, rows)?,
    )?;
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
    let mut run = Run::new(params)?;
    run.errors.append(&mut errors);
    let outcome: Result<Run, PyErr> = py.detach(|| {
        on_threads(threads, || {
            let mut batch = Vec::new();
            let mut failure: Option<PyErr> = None;
            let mut seen = 0usize;
            let _ = inputs.read_columnar(&options, &mut |event| {
                seen += 1;
                if seen % BATCH_DOCUMENTS == 0 && interrupted() {
                    failure = Some(PyKeyboardInterrupt::new_err("scan interrupted"));
                    return ControlFlow::Break(());
                }
                match event {
                    ReadEvent::Document(doc) => {
                        run.rows.push(run.row_count);
                        run.row_count += 1;
                        batch.push(doc);
                        if batch.len() >= BATCH_DOCUMENTS {
                            run.scanner.add_batch(std::mem::take(&mut batch));
                        }
                    }
                    ReadEvent::Columnar(documents) => {
                        if !batch.is_empty() {
                            run.scanner.add_batch(std::mem::take(&mut batch));
                        }
                        for _ in 0..documents.len() {
                            run.rows.push(run.row_count);
                            run.row_count += 1;
                        }
                        run.scanner.add_columnar(vec![documents]);
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
            if !batch.is_empty() {
                run.scanner.add_batch(batch);
            }
            match failure {
                Some(error) => Err(error),
                None => Ok(run),
            }
        })?
    });
    let run = outcome?;
    Ok(py.detach(|| run.finish(Some(Held::Files { inputs, options }))))
}

/// Scans texts given as Python strings (with optional ids and sources, one a text).
#[pyfunction]
#[pyo3(signature = (texts, ids, sources, threshold, ngram, num_perm, min_words, split, unit,
    containment, threads, bands = None, rows = None))]
#[allow(clippy::too_many_arguments)]
fn scan_texts(
    py: Python<'_>,
    texts: Vec<Option<String>>,
    ids: Option<Vec<Option<String>>>,
    sources: Option<Vec<Option<String>>>,
    threshold: f64,
    ngram: usize,
    num_perm: usize,
    min_words: usize,
    split: &str,
    unit: &str,
    containment: Option<f64>,
    threads: usize,
    bands: Option<usize>,
    rows: Option<usize>,
) -> PyResult<ScanReport> {
    let params = scan_params(
        threshold,
        ngram,
        num_perm,
        min_words,
        split,
        unit,
        containment,
        banding(bands, rows)?,
    )?;
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
    let mut run = Run::new(params)?;
    let run = py.detach(|| {
        on_threads(threads, || -> PyResult<Run> {
            for (chunk_index, chunk) in texts.chunks(BATCH_DOCUMENTS).enumerate() {
                if interrupted() {
                    return Err(PyKeyboardInterrupt::new_err("scan interrupted"));
                }
                let first = chunk_index * BATCH_DOCUMENTS;
                let mut column = StringBuilder::new();
                let mut heads = Vec::new();
                let mut rows = Vec::new();
                for (offset, text) in chunk.iter().enumerate() {
                    let row = first + offset;
                    column.append_option(text.as_deref());
                    if text.is_none() {
                        run.errors.push(InputError {
                            path: "<texts>".into(),
                            line: None,
                            row: Some(row as u64),
                            message: "the text is None".into(),
                        });
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
                run.add(heads, Arc::new(column.finish()), rows)?;
            }
            Ok(run)
        })?
    })?;
    Ok(py.detach(|| run.finish(None)))
}

/// The column at `path` (dots reach into struct columns) of `batch`.
fn column_at(batch: &RecordBatch, path: &str) -> Option<ArrayRef> {
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
fn label_at(column: &ArrayRef, row: usize) -> Option<String> {
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
#[pyo3(signature = (stream, text_field, id_field, source_field, threshold, ngram, num_perm,
    min_words, split, unit, containment, threads, bands = None, rows = None))]
#[allow(clippy::too_many_arguments)]
fn scan_arrow(
    py: Python<'_>,
    stream: PyRecordBatchReader,
    text_field: String,
    id_field: String,
    source_field: Option<String>,
    threshold: f64,
    ngram: usize,
    num_perm: usize,
    min_words: usize,
    split: &str,
    unit: &str,
    containment: Option<f64>,
    threads: usize,
    bands: Option<usize>,
    rows: Option<usize>,
) -> PyResult<ScanReport> {
    let params = scan_params(
        threshold,
        ngram,
        num_perm,
        min_words,
        split,
        unit,
        containment,
        banding(bands, rows)?,
    )?;
    let reader = stream.into_reader()?;
    let mut run = Run::new(params)?;
    let run = py.detach(|| {
        on_threads(threads, || -> PyResult<Run> {
            for batch in reader {
                if interrupted() {
                    return Err(PyKeyboardInterrupt::new_err("scan interrupted"));
                }
                let batch = batch.map_err(|e| PyValueError::new_err(e.to_string()))?;
                let first = run.row_count;
                let texts = column_at(&batch, &text_field).ok_or_else(|| {
                    RawInputError::new_err((
                        format!("the data has no text column '{text_field}'"),
                        "<arrow>".to_string(),
                        None::<u64>,
                    ))
                })?;
                if !paradup::read::is_text_column(texts.data_type()) {
                    return Err(RawInputError::new_err((
                        format!(
                            "text column '{text_field}' is {}, not text",
                            texts.data_type()
                        ),
                        "<arrow>".to_string(),
                        None::<u64>,
                    )));
                }
                let ids = column_at(&batch, &id_field);
                let sources = source_field.as_deref().and_then(|f| column_at(&batch, f));
                let mut heads = Vec::new();
                let mut rows = Vec::new();
                for row in 0..batch.num_rows() {
                    let global = first + row as u64;
                    if texts.is_null(row) {
                        run.errors.push(InputError {
                            path: "<arrow>".into(),
                            line: None,
                            row: Some(global),
                            message: format!("text column '{text_field}' is null"),
                        });
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
                run.add(heads, texts, rows)?;
            }
            Ok(run)
        })?
    })?;
    Ok(py.detach(|| run.finish(None)))
}

/// The extension module.
#[pymodule]
fn _paradup(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(scan_paths, module)?)?;
    module.add_function(wrap_pyfunction!(scan_texts, module)?)?;
    module.add_function(wrap_pyfunction!(scan_arrow, module)?)?;
    module.add_class::<ScanReport>()?;
    module.add("RawInputError", module.py().get_type::<RawInputError>())?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
