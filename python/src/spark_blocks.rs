//! The per-record steps of a scan spread over Spark (`paradup.spark`), one Arrow batch at a time.
//!
//! Spark hands each task's rows to Python as Arrow record batches (`mapInArrow`); the Python side
//! passes each batch here and yields what comes back, so every step that touches a text or a
//! shingle set runs in the engine, exactly as a scan on one machine runs it: cutting documents
//! into paragraphs with their exact hashes, shingle sets and LSH band keys; verifying candidate
//! pairs by exact Jaccard on the shingle sets they carry (texts never travel to the verifier); and
//! cutting the canonical copies' texts out of their documents by byte span. Spark has no unsigned
//! types, so hashes and keys travel as `int64` and shingles as `int32`, bit for bit.
//!
//! Spark already runs one task a core, so a batch is worked on one thread here.

use crate::{column_at, rows_with_text, ScanArgs};
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use paradup_core::shingle::{containment, jaccard};
use paradup_core::{Fingerprinter, ParagraphPrint};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3_arrow::PyRecordBatch;
use std::sync::Arc;

/// The engine's steps for one set of scan parameters.
#[pyclass(module = "paradup._paradup", frozen, name = "SparkBlocks")]
pub(crate) struct SparkBlocks {
    fingerprinter: Fingerprinter,
    threshold: f64,
    containment: Option<f64>,
}

fn invalid(message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(message.to_string())
}

/// The column `name` of `batch`, or an error naming it.
fn required(batch: &RecordBatch, name: &str) -> PyResult<ArrayRef> {
    column_at(batch, name).ok_or_else(|| invalid(format!("the batch has no column '{name}'")))
}

/// An `int64` column as values (a null reads as `None`).
fn int64_column(batch: &RecordBatch, name: &str) -> PyResult<Vec<Option<i64>>> {
    let column = required(batch, name)?;
    let values = column.as_primitive_opt::<Int64Type>().ok_or_else(|| {
        invalid(format!(
            "column '{name}' is {}, not int64",
            column.data_type()
        ))
    })?;
    Ok(values.iter().collect())
}

/// The columns of [`SparkBlocks::paragraphs`].
fn paragraph_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![
        Field::new("doc", DataType::Int64, false),
        Field::new("paragraph", DataType::Int32, false),
        Field::new("start", DataType::Int64, false),
        Field::new("end", DataType::Int64, false),
        Field::new("exact", DataType::Int64, false),
        Field::new("near", DataType::Boolean, false),
        Field::new(
            "keys",
            DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
            true,
        ),
        Field::new(
            "shingles",
            DataType::List(Arc::new(Field::new("item", DataType::Int32, true))),
            true,
        ),
    ]))
}

/// The shingle sets of a list column of `int32` (as [`SparkBlocks::paragraphs`] wrote them), one
/// a row; `None` for a null row.
fn shingle_sets<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> PyResult<Vec<Option<Vec<u32>>>> {
    let mut sets = Vec::with_capacity(list.len());
    for row in 0..list.len() {
        if list.is_null(row) {
            sets.push(None);
            continue;
        }
        let values = list.value(row);
        let values = values
            .as_primitive_opt::<Int32Type>()
            .ok_or_else(|| invalid("a shingle list does not hold int32 values"))?;
        // Spark has no unsigned integers: the engine's u32 shingles travel bit for bit as i32.
        sets.push(Some(values.values().iter().map(|&v| v as u32).collect()));
    }
    Ok(sets)
}

/// The shingle sets of column `name` of `batch`.
fn shingle_column(batch: &RecordBatch, name: &str) -> PyResult<Vec<Option<Vec<u32>>>> {
    let column = required(batch, name)?;
    match column.data_type() {
        DataType::List(_) => shingle_sets(column.as_list::<i32>()),
        DataType::LargeList(_) => shingle_sets(column.as_list::<i64>()),
        other => Err(invalid(format!(
            "column '{name}' is {other}, not a list of int32"
        ))),
    }
}

fn record_batch(schema: Arc<Schema>, columns: Vec<ArrayRef>) -> PyResult<PyRecordBatch> {
    RecordBatch::try_new(schema, columns)
        .map(PyRecordBatch::new)
        .map_err(invalid)
}

#[pymethods]
impl SparkBlocks {
    #[new]
    fn new(args: ScanArgs) -> PyResult<Self> {
        let params = args.params()?;
        Ok(SparkBlocks {
            fingerprinter: Fingerprinter::new(params.fingerprint_params()),
            threshold: params.threshold,
            containment: params.containment,
        })
    }

    /// One row a paragraph with words of each document of `batch` (a null text has none):
    /// `(doc, paragraph, start, end, exact, near, keys, shingles)`, `doc` copied from the column
    /// `doc_field`, `start`/`end` byte offsets in the text, `exact` the xxh3-64 of the normalized
    /// text, and for a paragraph of the near tier (`near`) its LSH band keys and shingle set.
    fn paragraphs(
        &self,
        py: Python<'_>,
        batch: PyRecordBatch,
        doc_field: &str,
        text_field: &str,
    ) -> PyResult<PyRecordBatch> {
        let batch = batch.into_inner();
        let docs = int64_column(&batch, doc_field)?;
        let texts = required(&batch, text_field)?;
        if !paradup::read::is_text_column(texts.data_type()) {
            return Err(invalid(format!(
                "text column '{text_field}' is {}, not text",
                texts.data_type()
            )));
        }
        py.detach(|| {
            let (rows, documents) = rows_with_text(&texts)
                .ok_or_else(|| invalid("the text column does not match the batch"))?;
            let mut columns = ParagraphColumns::default();
            for (index, &row) in rows.iter().enumerate() {
                let doc = docs[row]
                    .ok_or_else(|| invalid(format!("column '{doc_field}' is null in row {row}")))?;
                let prints = self.fingerprinter.fingerprint(&documents.text(index));
                for (paragraph, print) in prints.iter().enumerate() {
                    let paragraph = i32::try_from(paragraph).map_err(|_| {
                        invalid(format!("document {doc} has more than 2^31 paragraphs"))
                    })?;
                    columns.push(doc, paragraph, print);
                }
            }
            record_batch(paragraph_schema(), columns.finish())
        })
    }

    /// For each row of `batch`, the exact Jaccard similarity and containment of the shingle sets
    /// in columns `left` and `right` (lists of int32, as `paragraphs` writes them), and whether
    /// the pair is a near copy as a scan decides it (similarity at or above the threshold, or,
    /// with a containment threshold, containment at or above it). A null side gives 0 and false.
    fn verify(
        &self,
        py: Python<'_>,
        batch: PyRecordBatch,
        left: &str,
        right: &str,
    ) -> PyResult<PyRecordBatch> {
        let batch = batch.into_inner();
        let lefts = shingle_column(&batch, left)?;
        let rights = shingle_column(&batch, right)?;
        py.detach(|| {
            let mut similarity = Float64Builder::with_capacity(lefts.len());
            let mut contained = Float64Builder::with_capacity(lefts.len());
            let mut accepted = BooleanBuilder::with_capacity(lefts.len());
            for (a, b) in lefts.iter().zip(&rights) {
                let (s, c) = match (a, b) {
                    (Some(a), Some(b)) => (jaccard(a, b), containment(a, b)),
                    _ => (0.0, 0.0),
                };
                let near = a.is_some()
                    && b.is_some()
                    && (s >= self.threshold || self.containment.is_some_and(|min| c >= min));
                similarity.append_value(s);
                contained.append_value(c);
                accepted.append_value(near);
            }
            let schema = Arc::new(Schema::new(vec![
                Field::new("similarity", DataType::Float64, false),
                Field::new("containment", DataType::Float64, false),
                Field::new("accepted", DataType::Boolean, false),
            ]));
            record_batch(
                schema,
                vec![
                    Arc::new(similarity.finish()),
                    Arc::new(contained.finish()),
                    Arc::new(accepted.finish()),
                ],
            )
        })
    }

    /// The text `text[start..end]` of each row (byte offsets), as one column `text`; null where
    /// the text is null or the span does not fall on character boundaries inside it.
    fn spans(
        &self,
        py: Python<'_>,
        batch: PyRecordBatch,
        text_field: &str,
        start_field: &str,
        end_field: &str,
    ) -> PyResult<PyRecordBatch> {
        let batch = batch.into_inner();
        let texts = required(&batch, text_field)?;
        let starts = int64_column(&batch, start_field)?;
        let ends = int64_column(&batch, end_field)?;
        let (rows, documents) = rows_with_text(&texts)
            .ok_or_else(|| invalid(format!("column '{text_field}' is not text")))?;
        py.detach(|| {
            let mut out = StringBuilder::new();
            let mut next = rows.iter().enumerate().peekable();
            for row in 0..batch.num_rows() {
                let Some((index, _)) = next.next_if(|&(_, &r)| r == row) else {
                    out.append_null();
                    continue;
                };
                let text = documents.text(index);
                let span = match (starts[row], ends[row]) {
                    (Some(start), Some(end)) => usize::try_from(start)
                        .ok()
                        .zip(usize::try_from(end).ok())
                        .and_then(|(start, end)| text.get(start..end)),
                    _ => None,
                };
                out.append_option(span);
            }
            let schema = Arc::new(Schema::new(vec![Field::new("text", DataType::Utf8, true)]));
            record_batch(schema, vec![Arc::new(out.finish())])
        })
    }
}

/// The columns of paragraph rows being built.
#[derive(Default)]
struct ParagraphColumns {
    doc: Int64Builder,
    paragraph: Int32Builder,
    start: Int64Builder,
    end: Int64Builder,
    exact: Int64Builder,
    near: BooleanBuilder,
    keys: ListBuilder<Int64Builder>,
    shingles: ListBuilder<Int32Builder>,
}

impl ParagraphColumns {
    fn push(&mut self, doc: i64, paragraph: i32, print: &ParagraphPrint) {
        if print.words == 0 {
            return;
        }
        self.doc.append_value(doc);
        self.paragraph.append_value(paragraph);
        self.start.append_value(print.span.start as i64);
        self.end.append_value(print.span.end as i64);
        // Bit for bit: Spark has no unsigned 64-bit integer.
        self.exact.append_value(print.exact as i64);
        self.near.append_value(print.near.is_some());
        match &print.near {
            Some(near) => {
                for &key in &near.band_keys {
                    self.keys.values().append_value(key as i64);
                }
                self.keys.append(true);
                for &shingle in &near.shingles {
                    self.shingles.values().append_value(shingle as i32);
                }
                self.shingles.append(true);
            }
            None => {
                self.keys.append(false);
                self.shingles.append(false);
            }
        }
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        let keys = self.keys.finish();
        let shingles = self.shingles.finish();
        vec![
            Arc::new(self.doc.finish()),
            Arc::new(self.paragraph.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.exact.finish()),
            Arc::new(self.near.finish()),
            Arc::new(keys),
            Arc::new(shingles),
        ]
    }
}
