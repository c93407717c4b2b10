//! Parquet input: the layout most published corpora come in (Hugging Face datasets, FineWeb,
//! RedPajama, Spark output), read as Arrow record batches.
//!
//! Only the columns a read needs (text, and id and source when there are such columns) are
//! decoded, a batch of rows at a time, row group after row group, so memory is bounded by a few
//! batches whatever the size of the file. Columns are named as in JSON: dots reach into struct
//! columns (`meta.url`). A record's location is its 0-based row in the file, as pyarrow and DuckDB
//! number rows. A file that cannot be read (bad footer, a missing or non-text column, a corrupt
//! page) is one skipped record naming the file and, where it is known, the row group; a null text
//! is a skipped record naming its row.

use super::columnar::{bytes_at, ColumnarDocuments, DocumentHead};
use super::{decode_utf8, file_error, InputError, InputErrorKind, ReadEvent, ReadOptions};
use super::{Document, Location};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Fields};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::schema::types::SchemaDescriptor;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};

/// The first (and last) four bytes of every Parquet file.
pub(crate) const MAGIC: &[u8] = b"PAR1";

/// A decoder failure, as text.
type Failure = String;

thread_local! {
    /// Set while this thread runs the Parquet decoder, whose panics are caught and told as errors.
    static IN_DECODER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The value of `key` in the file metadata of the Parquet file `file`, when it reads as one and
/// has the key.
pub(crate) fn file_metadata_value(file: std::fs::File, key: &str) -> Option<String> {
    let reader = guarded(|| SerializedFileReader::new(file).map_err(|e| e.to_string())).ok()?;
    let pairs = reader.metadata().file_metadata().key_value_metadata()?;
    pairs
        .iter()
        .find(|pair| pair.key == key)
        .and_then(|pair| pair.value.clone())
}

/// Runs a step of the Parquet decoder, turning a panic of it (some corrupt pages make the decoder
/// divide by zero or index out of bounds) into an error: a bad file is a skipped file, never a
/// crash. Such panics are kept off standard error; any other goes to the hook there was.
pub(crate) fn guarded<T>(step: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    static FILTER: std::sync::Once = std::sync::Once::new();
    FILTER.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(|flag| flag.get()) {
                previous(info);
            }
        }));
    });
    IN_DECODER.with(|flag| flag.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(step));
    IN_DECODER.with(|flag| flag.set(false));
    result.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        Err(format!("the decoder failed: {what}"))
    })
}

/// Rows decoded at once: small enough that a batch of long texts stays a few megabytes.
const BATCH_ROWS: usize = 256;

/// A Parquet source that can be opened again, a reader a row group.
pub(crate) trait Reopen: ChunkReader + Sized + 'static {
    /// The same bytes, read independently.
    fn reopen(&self) -> std::io::Result<Self>;
}

impl Reopen for std::fs::File {
    fn reopen(&self) -> std::io::Result<Self> {
        self.try_clone()
    }
}

impl Reopen for bytes::Bytes {
    fn reopen(&self) -> std::io::Result<Self> {
        Ok(self.clone())
    }
}

/// Which rows of a file a read wants, by 0-based row; `None` wants them all.
pub(crate) type RowFilter<'f> = Option<&'f dyn Fn(u64) -> bool>;

/// A column the read needs: its path of field names from the top of the schema.
#[derive(Debug)]
struct ColumnPath {
    /// The name the user gave (`meta.url`).
    given: String,
    /// The field names leading to it (`["meta", "url"]`, or `["a.b"]` for a top-level column
    /// whose name holds a dot).
    names: Vec<String>,
}

/// How documents are handed over: one [`ReadEvent::Document`] each (texts copied out of the
/// column), or one [`ReadEvent::Columnar`] a record batch (texts left in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delivery {
    Documents,
    Columnar,
}

/// Reads the Parquet file `input` (shown as `display`), handing every document and every skipped
/// row to `visit`. Raw bytes are added to `bytes_read` as rows are read, reaching the file's size
/// at its end.
pub(crate) fn read_parquet<R: Reopen>(
    display: &str,
    input: R,
    options: &ReadOptions,
    delivery: Delivery,
    wanted: RowFilter<'_>,
    bytes_read: Option<&AtomicU64>,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let file_bytes = input.len();
    let mut counted = 0u64;
    let mut count = |bytes: u64| {
        if let Some(counter) = bytes_read {
            counter.fetch_add(bytes, Ordering::Relaxed);
        }
        counted += bytes;
    };
    let result = read_rows(display, input, options, delivery, wanted, &mut count, visit);
    let rest = file_bytes.saturating_sub(counted);
    if let Some(counter) = bytes_read {
        counter.fetch_add(rest, Ordering::Relaxed);
    }
    match result {
        Ok(flow) => flow,
        Err(error) => visit(ReadEvent::Skipped(error)),
    }
}

fn read_rows<R: Reopen>(
    display: &str,
    input: R,
    options: &ReadOptions,
    delivery: Delivery,
    wanted: RowFilter<'_>,
    count: &mut dyn FnMut(u64),
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> Result<ControlFlow<()>, InputError> {
    let file_bytes = input.len();
    let metadata = guarded(|| {
        ArrowReaderMetadata::load(&input, Default::default()).map_err(|e| e.to_string())
    })
    .map_err(|e| {
        file_error(
            InputErrorKind::BadTable,
            display,
            format!("not a readable Parquet file (truncated or corrupt footer: {e})"),
        )
    })?;
    let file_metadata = metadata.metadata().clone();
    let descriptor = file_metadata.file_metadata().schema_descr();
    let fields = metadata.schema().fields().clone();

    let mut text = ColumnPath::new(&options.text_field);
    let text_leaves = text.leaves(descriptor);
    if text_leaves.is_empty() {
        return Err(missing_column(display, "text", &text, &fields));
    }
    let text_type = text.data_type(&fields);
    if !is_text(text_type.as_ref()) || text_leaves.len() != 1 {
        return Err(file_error(
            InputErrorKind::BadColumn,
            display,
            format!(
                "text column '{}' is {}, not text (string, large_string, string_view or binary)",
                text.given,
                describe(text_type.as_ref())
            ),
        ));
    }
    // A file without an id column names its rows by location, as JSON records without an id.
    let mut id = ColumnPath::new(&options.id_field);
    let id_leaves = id.leaves(descriptor);
    let id = (!id_leaves.is_empty()).then_some(id);
    let mut source = options.source_field.as_deref().map(ColumnPath::new);
    let mut source_leaves = Vec::new();
    if let Some(source) = &mut source {
        source_leaves = source.leaves(descriptor);
        if source_leaves.is_empty() {
            return Err(missing_column(display, "source", source, &fields));
        }
    }
    for (role, column) in [("id", &id), ("source", &source)] {
        if let Some(column) = column {
            let data_type = column.data_type(&fields);
            if !is_label(data_type.as_ref()) {
                return Err(file_error(
                    InputErrorKind::BadColumn,
                    display,
                    format!(
                        "{role} column '{}' is {}, not text or an integer",
                        column.given,
                        describe(data_type.as_ref())
                    ),
                ));
            }
        }
    }
    let mut leaves: Vec<usize> = text_leaves;
    leaves.extend(if id.is_some() { id_leaves } else { Vec::new() });
    leaves.extend(source_leaves);
    leaves.sort_unstable();
    leaves.dedup();

    // Row groups: where each starts, and which ones a read that wants some rows needs.
    let mut groups: Vec<(usize, u64, u64)> = Vec::new();
    let mut start = 0u64;
    for (index, group) in file_metadata.row_groups().iter().enumerate() {
        let rows = group.num_rows().max(0) as u64;
        let needed = wanted.is_none_or(|wanted| (start..start + rows).any(wanted));
        if needed && rows > 0 {
            groups.push((index, start, rows));
        }
        start += rows;
    }
    let total_rows = start.max(1);
    if groups.is_empty() {
        return Ok(ControlFlow::Continue(()));
    }
    let projection = ProjectionMask::leaves(descriptor, leaves);
    // A reader a row group: a batch never spans two, so an error names its row group and the
    // rows before it are all delivered.
    for &(index, first, rows) in &groups {
        let failed = |e: String| {
            file_error(
                InputErrorKind::BadTable,
                display,
                format!(
                    "row group {index} (rows {first}..{}) cannot be read: {e}; rows before it \
                     were kept, the rest of the file is left out",
                    first + rows
                ),
            )
        };
        let reopened = input.reopen().map_err(|e| failed(e.to_string()))?;
        let mut reader =
            ParquetRecordBatchReaderBuilder::new_with_metadata(reopened, metadata.clone())
                .with_projection(projection.clone())
                .with_row_groups(vec![index])
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| failed(e.to_string()))?;
        let mut row = first;
        loop {
            let next = guarded(|| Ok(reader.next().map(|batch| batch.map_err(|e| e.to_string()))));
            let batch = match next {
                Ok(None) => break,
                Ok(Some(Ok(batch))) => batch,
                Ok(Some(Err(e))) | Err(e) => return Err(failed(e)),
            };
            let texts = text.column(&batch);
            let ids = id.as_ref().and_then(|id| id.column(&batch));
            let sources = source.as_ref().and_then(|source| source.column(&batch));
            let Some((texts, text_nulls)) = texts else {
                return Err(file_error(
                    InputErrorKind::BadColumn,
                    display,
                    format!("text column '{}' is not in the data", text.given),
                ));
            };
            let mut heads = Vec::new();
            let mut rows = Vec::new();
            for index in 0..batch.num_rows() {
                let row = row + index as u64;
                if !wanted.is_none_or(|wanted| wanted(row)) {
                    continue;
                }
                let null = text_nulls.iter().any(|array| array.is_null(index));
                let repair = match delivery {
                    _ if null => None,
                    // Only a note is needed now: the text stays in the column.
                    Delivery::Columnar => bytes_at(texts.as_ref(), index).map(|bytes| {
                        let note = std::str::from_utf8(bytes)
                            .is_err()
                            .then(|| decode_utf8(bytes.to_vec()).1)
                            .flatten();
                        (String::new(), note)
                    }),
                    Delivery::Documents => text_at(&texts, index),
                };
                let Some((value, repaired)) = repair else {
                    let error = row_error(
                        InputErrorKind::MissingText,
                        display,
                        row,
                        format!("text column '{}' is null", text.given),
                    );
                    if visit(ReadEvent::Skipped(error)).is_break() {
                        return Ok(ControlFlow::Break(()));
                    }
                    continue;
                };
                if let Some(note) = repaired {
                    if visit(ReadEvent::Repaired(row_error(
                        InputErrorKind::InvalidUtf8,
                        display,
                        row,
                        note,
                    )))
                    .is_break()
                    {
                        return Ok(ControlFlow::Break(()));
                    }
                }
                let id = ids
                    .as_ref()
                    .and_then(|(ids, nulls)| label_at(ids, nulls, index))
                    .unwrap_or_else(|| format!("{display}:{row}"));
                let source = sources
                    .as_ref()
                    .and_then(|(sources, nulls)| label_at(sources, nulls, index));
                let location = Location {
                    path: display.to_owned(),
                    line: None,
                    row: Some(row),
                };
                if delivery == Delivery::Columnar {
                    heads.push(DocumentHead {
                        id,
                        source,
                        location,
                    });
                    rows.push(index as u32);
                    continue;
                }
                let document = Document {
                    id,
                    source,
                    location,
                    text: value,
                };
                if visit(ReadEvent::Document(document)).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            if !heads.is_empty() {
                let documents = ColumnarDocuments::new(heads, texts.clone(), rows)
                    .ok_or_else(|| failed("a record batch does not match its rows".into()))?;
                if visit(ReadEvent::Columnar(documents)).is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            row += batch.num_rows() as u64;
            count(file_bytes * batch.num_rows() as u64 / total_rows);
        }
    }
    Ok(ControlFlow::Continue(()))
}

fn row_error(kind: InputErrorKind, path: &str, row: u64, message: String) -> InputError {
    InputError {
        path: path.to_owned(),
        line: None,
        row: Some(row),
        kind,
        message,
    }
}

fn missing_column(display: &str, role: &str, column: &ColumnPath, fields: &Fields) -> InputError {
    let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
    file_error(
        InputErrorKind::BadColumn,
        display,
        format!(
            "no {role} column '{}' (the file's columns: {})",
            column.given,
            names.join(", ")
        ),
    )
}

impl ColumnPath {
    fn new(given: &str) -> ColumnPath {
        ColumnPath {
            given: given.to_owned(),
            names: given.split('.').map(str::to_owned).collect(),
        }
    }

    /// The leaf columns (in the file's order) under this path: one for a text column, several for
    /// a struct, none when the file has no such column. A top-level column whose name is the
    /// whole dotted name is preferred, as in JSON.
    fn leaves(&mut self, descriptor: &SchemaDescriptor) -> Vec<usize> {
        let under = |names: &[String]| -> Vec<usize> {
            descriptor
                .columns()
                .iter()
                .enumerate()
                .filter(|(_, column)| {
                    let parts = column.path().parts();
                    parts.len() >= names.len() && parts.iter().zip(names).all(|(a, b)| a == b)
                })
                .map(|(index, _)| index)
                .collect()
        };
        let whole = [self.given.clone()];
        let found = under(&whole);
        if !found.is_empty() {
            self.names = whole.to_vec();
            return found;
        }
        under(&self.names)
    }

    /// The field this path names in an Arrow schema.
    fn field<'a>(&self, fields: &'a Fields) -> Option<&'a Field> {
        let (first, rest) = self.names.split_first()?;
        let mut field = fields.iter().find(|f| f.name() == first)?;
        for name in rest {
            let DataType::Struct(children) = field.data_type() else {
                return None;
            };
            field = children.iter().find(|f| f.name() == name)?;
        }
        Some(field)
    }

    fn data_type(&self, fields: &Fields) -> Option<DataType> {
        self.field(fields).map(|f| f.data_type().clone())
    }

    /// The column in a (projected) batch, with the struct columns above it: a row is null when it
    /// or any of them is.
    fn column(&self, batch: &RecordBatch) -> Option<(ArrayRef, Vec<ArrayRef>)> {
        let (first, rest) = self.names.split_first()?;
        let mut array = batch.column_by_name(first)?.clone();
        let mut nulls = vec![array.clone()];
        for name in rest {
            let child = array.as_struct_opt()?.column_by_name(name)?.clone();
            nulls.push(child.clone());
            array = child;
        }
        Some((array, nulls))
    }
}

/// Types a text column may have.
fn is_text(data_type: Option<&DataType>) -> bool {
    data_type.is_some_and(super::columnar::is_text_column)
}

/// Types an id or source column may have: text or integers.
fn is_label(data_type: Option<&DataType>) -> bool {
    is_text(data_type)
        || matches!(
            data_type,
            Some(
                DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
                    | DataType::UInt8
                    | DataType::UInt16
                    | DataType::UInt32
                    | DataType::UInt64
            )
        )
}

fn describe(data_type: Option<&DataType>) -> String {
    match data_type {
        Some(DataType::Struct(_)) => "a struct".into(),
        Some(DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_)) => "a list".into(),
        Some(other) => format!("of type {other}"),
        None => "not a plain column".into(),
    }
}

/// The text of row `index`, and a note when invalid UTF-8 (in a binary column) was replaced.
fn text_at(array: &ArrayRef, index: usize) -> Option<(String, Option<String>)> {
    let bytes = bytes_at(array.as_ref(), index)?;
    Some(match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), None),
        Err(_) => decode_utf8(bytes.to_vec()),
    })
}

/// An id or source value as text; `None` when it (or a struct above it) is null.
fn label_at(array: &ArrayRef, nulls: &[ArrayRef], index: usize) -> Option<String> {
    if nulls.iter().any(|a| a.is_null(index)) {
        return None;
    }
    if let Some(bytes) = bytes_at(array.as_ref(), index) {
        return Some(String::from_utf8_lossy(bytes).into_owned());
    }
    Some(match array.data_type() {
        DataType::Int8 => array.as_primitive::<Int8Type>().value(index).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(index).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(index).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(index).to_string(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(index).to_string(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(index).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(index).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(index).to_string(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{read_stream, InputFormat};
    use arrow_array::StringArray;
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    fn small_file(compression: Compression) -> Vec<u8> {
        let ids: ArrayRef = Arc::new(StringArray::from_iter_values(["a", "b", "c", "d"]));
        let texts: ArrayRef = Arc::new(StringArray::from_iter_values([
            "one paragraph\n\nand another",
            "two",
            "three words here",
            "four",
        ]));
        let batch = RecordBatch::try_from_iter([("id", ids), ("text", texts)]).unwrap();
        let props = WriterProperties::builder()
            .set_compression(compression)
            .set_max_row_group_row_count(Some(2))
            .build();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        out
    }

    /// `(documents, skipped)` of reading `bytes` as Parquet.
    fn read(bytes: &[u8]) -> (Vec<Document>, Vec<InputError>) {
        let options = ReadOptions {
            format: InputFormat::Parquet,
            ..ReadOptions::default()
        };
        let (mut docs, mut skipped) = (Vec::new(), Vec::new());
        let _ = read_stream("t.parquet", bytes, &options, &mut |event| {
            match event {
                ReadEvent::Document(doc) => docs.push(doc),
                ReadEvent::Skipped(error) => skipped.push(error),
                ReadEvent::Repaired(_) | ReadEvent::FileOffsets(_) => {}
                ReadEvent::Columnar(_) => panic!("documents come one by one unless asked"),
            }
            ControlFlow::Continue(())
        });
        (docs, skipped)
    }

    #[test]
    fn reads_rows_in_order_across_row_groups() {
        let (docs, skipped) = read(&small_file(Compression::SNAPPY));
        assert!(skipped.is_empty(), "{skipped:?}");
        let rows: Vec<(String, Option<u64>)> = docs
            .iter()
            .map(|d| (d.id.clone(), d.location.row))
            .collect();
        assert_eq!(
            rows,
            [("a", 0), ("b", 1), ("c", 2), ("d", 3)].map(|(id, row)| (id.to_string(), Some(row)))
        );
        assert_eq!(docs[2].text, "three words here");
    }

    /// What a fuzzer finds first: any single byte changed anywhere in a file, or the file cut
    /// anywhere, ends in documents and skipped records naming the file, never a panic.
    #[test]
    fn every_single_byte_change_and_every_cut_is_survived() {
        for compression in [Compression::UNCOMPRESSED, Compression::SNAPPY] {
            let good = small_file(compression);
            for at in 0..good.len() {
                for value in [0x00, 0xFF, good[at] ^ 0x01] {
                    let mut bad = good.clone();
                    bad[at] = value;
                    let (docs, skipped) = read(&bad);
                    assert!(docs.len() <= 4);
                    assert!(skipped.iter().all(|e| e.path == "t.parquet"));
                }
                let (_, skipped) = read(&good[..at]);
                assert_eq!(skipped.len(), 1, "cut at {at}");
                assert!(skipped[0].message.contains("not a readable Parquet file"));
            }
        }
    }
}
