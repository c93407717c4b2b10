//! `paradup.compare`: the contamination check of `paradup compare` for Python. The reference
//! (paths, texts or Arrow data) is indexed by word n-grams, every input document is measured
//! against it, and the report is the command's `paradup.compare/v2`, built by the same library
//! code ([`paradup::contamination`]).

use crate::watch::{Threads, Watch};
use crate::{arrow_column_error, column_at, label_at, missing_text, raw_input_error};
use arrow_array::{Array, ArrayRef};
use paradup::contamination::{
    measure_document, reference_span_texts, CompareReport, Counts, MeasuredItem,
};
use paradup::normalize::NormalizeOptions;
use paradup::overlap::{
    IndexBuilder, OverlapParams, OverlapScratch, ReferenceDocument, ReferenceIndex, ReferenceText,
};
use paradup::{
    ColumnarDocuments, DocumentHead, FileOffsets, InputError, Inputs, Location, ReadEvent,
    ReadOptions,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatchReader;
use rayon::prelude::*;
use std::ops::ControlFlow;
use std::time::Instant;

/// Documents measured or indexed at once.
const BATCH_DOCUMENTS: usize = 4096;

/// The overlap parameters of a Python call (the keyword arguments of `paradup.compare`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub struct CompareArgs {
    ngram: usize,
    min_ngram: usize,
    max_gap: usize,
    clean_share: f64,
    dirty_share: f64,
    fold_digits: bool,
    max_reference_documents: Option<usize>,
    threads: usize,
}

impl CompareArgs {
    fn params(&self) -> PyResult<OverlapParams> {
        let params = OverlapParams {
            ngram: self.ngram,
            min_ngram: self.min_ngram,
            max_gap: self.max_gap,
            clean_share: self.clean_share,
            dirty_share: self.dirty_share,
            normalize: NormalizeOptions {
                fold_digits: self.fold_digits,
            },
        };
        params
            .validate()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(params)
    }
}

/// One side of a comparison, as the Python package hands it over.
pub enum Side {
    /// Files and folders, read as the command reads them.
    Paths {
        inputs: Inputs,
        options: ReadOptions,
    },
    /// Texts from Python, with optional ids (one a text).
    Texts {
        texts: Vec<Option<String>>,
        ids: Option<Vec<Option<String>>>,
    },
    /// Any Arrow stream.
    Arrow {
        stream: PyRecordBatchReader,
        text_field: String,
        id_field: String,
    },
}

impl Side {
    /// The side named by `kind` ("paths", "texts" or "arrow") and its `data`.
    pub fn extract(
        kind: &str,
        data: &Bound<'_, PyAny>,
        ids: Option<Vec<Option<String>>>,
        text_field: &str,
        id_field: &str,
    ) -> PyResult<Side> {
        match kind {
            "paths" => {
                let paths: Vec<String> = data.extract()?;
                let (inputs, errors) = Inputs::resolve(&paths);
                if let Some(error) = errors.first() {
                    return Err(raw_input_error(error));
                }
                if inputs.file_count() == 0 {
                    return Err(PyValueError::new_err("no input files"));
                }
                Ok(Side::Paths {
                    inputs,
                    options: ReadOptions {
                        text_field: text_field.to_owned(),
                        id_field: id_field.to_owned(),
                        source_field: None,
                        ..ReadOptions::default()
                    },
                })
            }
            "texts" => {
                let texts: Vec<Option<String>> = data.extract()?;
                if let Some(ids) = &ids {
                    if ids.len() != texts.len() {
                        return Err(PyValueError::new_err(format!(
                            "ids has {} values for {} texts",
                            ids.len(),
                            texts.len()
                        )));
                    }
                }
                Ok(Side::Texts { texts, ids })
            }
            "arrow" => Ok(Side::Arrow {
                stream: data.extract()?,
                text_field: text_field.to_owned(),
                id_field: id_field.to_owned(),
            }),
            other => Err(PyValueError::new_err(format!(
                "unknown source kind {other}"
            ))),
        }
    }
}

/// The files a side was read from (to read its texts again), when it was read from paths.
type SideFiles = Option<(Inputs, ReadOptions)>;

/// A document of one side: its id, where it is, its text, and where its text is not the
/// file's bytes, how to map offsets back.
struct SideDocument {
    id: String,
    location: Location,
    text: String,
    file_offsets: Option<FileOffsets>,
}

/// What reading one side left behind: the texts of the rows handed in (for cutting the reference
/// spans back out), the rows read, and the records skipped.
#[derive(Default)]
struct SideRead {
    /// Texts of an in-memory side, by document (paths are read again instead).
    texts: Vec<String>,
    /// The row handed in of each document.
    rows: Vec<u64>,
    /// Rows handed in (documents read, for paths).
    row_count: u64,
    /// Bytes of text read.
    bytes: u64,
    errors: Vec<InputError>,
}

/// Reads `side` in batches of documents, in order, handing each batch to `batch`; stops at
/// Ctrl-C, and reports its progress as `phase`. With `keep_texts`, the texts of an in-memory side
/// are kept in the result.
fn read_side(
    side: Side,
    keep_texts: bool,
    phase: &'static str,
    watch: &mut Watch,
    batch: &mut dyn FnMut(Vec<SideDocument>) -> PyResult<()>,
) -> PyResult<(SideRead, SideFiles)> {
    let mut read = SideRead::default();
    let mut pending: Vec<SideDocument> = Vec::new();
    let mut documents = 0u64;
    let mut bytes = 0u64;
    let mut flush = |pending: &mut Vec<SideDocument>, force: bool| -> PyResult<()> {
        if pending.len() >= BATCH_DOCUMENTS || (force && !pending.is_empty()) {
            documents += pending.len() as u64;
            bytes += pending.iter().map(|d| d.text.len() as u64).sum::<u64>();
            watch.tick(phase, documents, bytes)?;
            batch(std::mem::take(pending))?;
        }
        Ok(())
    };
    match side {
        Side::Paths { inputs, options } => {
            let mut failure: Option<PyErr> = None;
            let mut next_offsets: Option<FileOffsets> = None;
            let _ = inputs.read(&options, &mut |event| {
                let mut push = |doc: paradup::Document, offsets: Option<FileOffsets>| {
                    read.rows.push(read.row_count);
                    read.row_count += 1;
                    pending.push(SideDocument {
                        id: doc.id,
                        location: doc.location,
                        text: doc.text,
                        file_offsets: offsets,
                    });
                };
                match event {
                    ReadEvent::Document(doc) => push(doc, next_offsets.take()),
                    ReadEvent::Columnar(documents) => {
                        for doc in documents.into_documents() {
                            push(doc, None);
                        }
                    }
                    ReadEvent::FileOffsets(offsets) => next_offsets = Some(offsets),
                    ReadEvent::Skipped(error) => read.errors.push(error),
                    ReadEvent::Repaired(_) => {}
                }
                match flush(&mut pending, false) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(error) => {
                        failure = Some(error);
                        ControlFlow::Break(())
                    }
                }
            });
            if let Some(error) = failure {
                return Err(error);
            }
            flush(&mut pending, true)?;
            read.bytes = bytes;
            return Ok((read, Some((inputs, options))));
        }
        Side::Texts { texts, ids } => {
            for (row, text) in texts.into_iter().enumerate() {
                read.row_count += 1;
                let Some(text) = text else {
                    read.errors.push(missing_text(
                        "<texts>",
                        row as u64,
                        "the text is None".into(),
                    ));
                    continue;
                };
                read.rows.push(row as u64);
                if keep_texts {
                    read.texts.push(text.clone());
                }
                pending.push(SideDocument {
                    id: ids
                        .as_ref()
                        .and_then(|ids| ids[row].clone())
                        .unwrap_or_else(|| row.to_string()),
                    location: Location {
                        path: "<texts>".into(),
                        line: None,
                        row: Some(row as u64),
                    },
                    text,
                    file_offsets: None,
                });
                flush(&mut pending, false)?;
            }
        }
        Side::Arrow {
            stream,
            text_field,
            id_field,
        } => {
            for record_batch in stream.into_reader()? {
                let record_batch =
                    record_batch.map_err(|e| PyValueError::new_err(e.to_string()))?;
                let texts: ArrayRef = column_at(&record_batch, &text_field).ok_or_else(|| {
                    arrow_column_error(format!("the data has no text column '{text_field}'"))
                })?;
                let ids = column_at(&record_batch, &id_field);
                let first = read.row_count;
                read.row_count += record_batch.num_rows() as u64;
                let rows: Vec<u32> = (0..record_batch.num_rows() as u32)
                    .filter(|&row| !texts.is_null(row as usize))
                    .collect();
                for row in (0..record_batch.num_rows()).filter(|&row| texts.is_null(row)) {
                    read.errors.push(missing_text(
                        "<arrow>",
                        first + row as u64,
                        format!("text column '{text_field}' is null"),
                    ));
                }
                let heads = rows
                    .iter()
                    .map(|&row| DocumentHead {
                        id: String::new(),
                        source: None,
                        location: Location {
                            path: "<arrow>".into(),
                            line: None,
                            row: Some(first + row as u64),
                        },
                    })
                    .collect();
                let documents =
                    ColumnarDocuments::new(heads, texts, rows.clone()).ok_or_else(|| {
                        arrow_column_error(format!("text column '{text_field}' is not text"))
                    })?;
                for (index, &row) in rows.iter().enumerate() {
                    let global = first + row as u64;
                    let text = documents.text(index).into_owned();
                    read.rows.push(global);
                    if keep_texts {
                        read.texts.push(text.clone());
                    }
                    pending.push(SideDocument {
                        id: ids
                            .as_ref()
                            .and_then(|ids| label_at(ids, row as usize))
                            .unwrap_or_else(|| global.to_string()),
                        location: Location {
                            path: "<arrow>".into(),
                            line: None,
                            row: Some(global),
                        },
                        text,
                        file_offsets: None,
                    });
                    flush(&mut pending, false)?;
                }
            }
        }
    }
    flush(&mut pending, true)?;
    read.bytes = bytes;
    Ok((read, None))
}

/// A finished comparison: the report, and the row handed in of each item.
#[pyclass(module = "paradup._paradup", frozen)]
pub struct ComparedReport {
    json: String,
    item_rows: Vec<u64>,
    item_verdicts: Vec<&'static str>,
    row_count: u64,
}

#[pymethods]
impl ComparedReport {
    /// The report as the command writes it with `--json` (`paradup.compare/v2`).
    fn json(&self) -> &str {
        &self.json
    }

    /// Writes the report to `path` atomically.
    fn write_json(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        py.detach(|| crate::write_atomically(path, self.json.as_bytes()))
    }

    /// The verdict of every row handed in (`None` for a row that was not measured: a null
    /// text, a skipped record).
    fn verdicts(&self) -> Vec<Option<&'static str>> {
        let mut verdicts = vec![None; self.row_count as usize];
        for (&row, &verdict) in self.item_rows.iter().zip(&self.item_verdicts) {
            if let Some(slot) = verdicts.get_mut(row as usize) {
                *slot = Some(verdict);
            }
        }
        verdicts
    }
}

/// Indexes `reference`, measures every document of `inputs` against it, and builds the report.
#[pyfunction]
#[pyo3(signature = (inputs_kind, inputs, inputs_ids, reference_kind, reference, reference_ids, text_field, id_field, reference_text_field, reference_id_field, args, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn compare(
    py: Python<'_>,
    inputs_kind: &str,
    inputs: &Bound<'_, PyAny>,
    inputs_ids: Option<Vec<Option<String>>>,
    reference_kind: &str,
    reference: &Bound<'_, PyAny>,
    reference_ids: Option<Vec<Option<String>>>,
    text_field: &str,
    id_field: &str,
    reference_text_field: &str,
    reference_id_field: &str,
    args: CompareArgs,
    progress: Option<Py<PyAny>>,
) -> PyResult<ComparedReport> {
    let params = args.params()?;
    let threads = Threads::new(args.threads)?;
    let mut watch = Watch::new(progress);
    let started = Instant::now();
    let input_side = Side::extract(inputs_kind, inputs, inputs_ids, text_field, id_field)?;
    let reference_side = Side::extract(
        reference_kind,
        reference,
        reference_ids,
        reference_text_field,
        reference_id_field,
    )?;
    let max_documents = args.max_reference_documents;
    py.detach(|| {
        let (index, reference_read, reference_files) =
            index_reference(reference_side, params, max_documents, &threads, &mut watch)?;
        let mut items: Vec<MeasuredItem> = Vec::new();
        let mut counts = Counts::default();
        let (input_read, _) = read_side(input_side, false, "measure", &mut watch, &mut |batch| {
            let first = items.len() as u32;
            let measured: Vec<MeasuredItem> = threads.run(|| {
                batch
                    .into_par_iter()
                    .enumerate()
                    .map_init(OverlapScratch::default, |scratch, (i, doc)| {
                        measure_document(
                            &index,
                            first + i as u32,
                            doc.id,
                            doc.location,
                            &doc.text,
                            doc.file_offsets.as_ref(),
                            scratch,
                        )
                    })
                    .collect()
            });
            for item in &measured {
                counts.add(&item.overlap);
            }
            items.extend(measured);
            Ok(())
        })?;
        let requests = CompareReport::span_requests(&items);
        let reference_texts = match &reference_files {
            Some((files, options)) => {
                reference_span_texts(files, options, index.documents(), &requests)
            }
            None => requests
                .iter()
                .map(|&(doc, start, end)| {
                    reference_read
                        .texts
                        .get(doc as usize)
                        .and_then(|text| text.get(start..end))
                        .map(str::to_owned)
                })
                .collect(),
        };
        let mut errors = reference_read.errors;
        errors.extend(input_read.errors);
        let item_rows = items
            .iter()
            .map(|item| input_read.rows[item.doc_index as usize])
            .collect();
        let item_verdicts = items
            .iter()
            .map(|item| item.overlap.verdict.name())
            .collect();
        let report = CompareReport::new(
            &index,
            &items,
            counts,
            errors,
            started.elapsed().as_secs_f64(),
            reference_texts,
        );
        let mut json = serde_json::to_string_pretty(&report)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        json.push('\n');
        watch.tick("done", input_read.row_count, input_read.bytes)?;
        Ok(ComparedReport {
            json,
            item_rows,
            item_verdicts,
            row_count: input_read.row_count,
        })
    })
}

/// The n-gram index of the reference side, what reading it left, and its files when it was read
/// from paths.
fn index_reference(
    side: Side,
    params: OverlapParams,
    max_documents: Option<usize>,
    threads: &Threads,
    watch: &mut Watch,
) -> PyResult<(ReferenceIndex, SideRead, SideFiles)> {
    let mut builder =
        IndexBuilder::new(params).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let (read, files) = read_side(side, true, "index", watch, &mut |batch| {
        let texts = batch
            .into_iter()
            .map(|doc| ReferenceText {
                document: ReferenceDocument {
                    id: doc.id,
                    line: doc.location.record(),
                    path: doc.location.path,
                },
                text: doc.text,
                file_offsets: doc.file_offsets,
            })
            .collect();
        threads
            .run(|| builder.add_batch(texts))
            .map_err(|e| PyValueError::new_err(e.to_string()))
    })?;
    if builder.document_count() == 0 {
        return Err(PyValueError::new_err(format!(
            "the reference holds no documents{}",
            if read.errors.is_empty() {
                String::new()
            } else {
                format!(": {} skipped", read.errors.len())
            }
        )));
    }
    let index = threads.run(|| builder.finish(max_documents));
    Ok((index, read, files))
}
