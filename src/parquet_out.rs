//! A Parquet file written again with its text column changed: what `dedup` makes of a Parquet
//! input.
//!
//! Everything but the text stays as the input has it: every column and its values, the schema
//! with its metadata (pandas and Hugging Face metadata included), each column's compression codec,
//! and the row groups (an output row group a input row group, fewer rows where rows are dropped).
//! The rows go through a callback that says, row by row, whether the text is kept, replaced or the
//! row dropped, and optionally gives a value for an added string column (`--annotate`). Row groups
//! are read and written one after another, a batch at a time.

use crate::read::parquet_guarded as guarded;
use arrow_array::builder::{
    BinaryBuilder, BinaryViewBuilder, LargeBinaryBuilder, LargeStringBuilder, StringBuilder,
    StringViewBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StructArray};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

/// Rows decoded at once.
const BATCH_ROWS: usize = 1024;

/// What becomes of one row.
pub enum RowEdit {
    /// Written as it is.
    Keep,
    /// Written with this text in place of its text.
    Replace(String),
    /// Left out.
    Drop,
}

/// The column added to every row, and the value of each row (`None`: null).
pub struct AddedColumn {
    /// Its name.
    pub name: String,
}

/// What becomes of a row given its 0-based number and its text: the edit, and the value of the
/// added column; an error (naming the row itself) ends the rewrite.
pub type EditRow<'a> =
    dyn FnMut(u64, Option<&str>) -> Result<(RowEdit, Option<String>), String> + 'a;

/// Why a Parquet file could not be rewritten.
#[derive(Debug)]
pub enum RewriteError {
    /// The input cannot be decoded: its footer, a row group, a page.
    Read(String),
    /// The text column is missing, or not text.
    TextColumn(String),
    /// The column to annotate into is there already.
    ColumnTaken(String),
    /// The edit of a row failed (its message names the row).
    Edit(String),
    /// The new file cannot be encoded or written.
    Write(String),
}

impl std::fmt::Display for RewriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RewriteError::Read(message)
            | RewriteError::TextColumn(message)
            | RewriteError::Edit(message)
            | RewriteError::Write(message) => f.write_str(message),
            RewriteError::ColumnTaken(name) => {
                write!(f, "the file already has a column '{name}' to annotate into")
            }
        }
    }
}

impl std::error::Error for RewriteError {}

/// What a rewrite wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    /// Rows written.
    pub rows: u64,
    /// Rows left out.
    pub dropped: u64,
}

/// Writes the Parquet file `input` to `out`, the text column `text_field` (dots reach into struct
/// columns) changed as `edit` says for each row: `edit(row, text)` gets the 0-based row and its
/// text (`None` when null) and returns what becomes of it, with the value of the added column
/// when `added` is given; its error (which names the row itself) ends the rewrite.
pub fn rewrite<W: Write + Send>(
    input: &File,
    out: W,
    text_field: &str,
    added: Option<&AddedColumn>,
    edit: &mut EditRow<'_>,
) -> Result<(W, Rewritten), RewriteError> {
    let read_error = |e: String| RewriteError::Read(e);
    let write_error = |e: String| RewriteError::Write(e);
    let reader = input
        .try_clone()
        .map_err(|e| RewriteError::Read(e.to_string()))?;
    let metadata = guarded(|| {
        ArrowReaderMetadata::load(&reader, Default::default()).map_err(|e| e.to_string())
    })
    .map_err(|e| RewriteError::Read(format!("not a readable Parquet file: {e}")))?;
    let schema = metadata.schema().clone();
    let no_text_column = || RewriteError::TextColumn(format!("no text column '{text_field}'"));
    let names = text_path(&schema, text_field).ok_or_else(no_text_column)?;
    let out_schema = match added {
        None => schema.clone(),
        Some(column) => {
            if schema.field_with_name(&column.name).is_ok() {
                return Err(RewriteError::ColumnTaken(column.name.clone()));
            }
            let mut fields: Vec<Arc<Field>> = schema.fields().iter().cloned().collect();
            fields.push(Arc::new(Field::new(&column.name, DataType::Utf8, true)));
            Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
        }
    };
    let parquet_meta = metadata.metadata().clone();
    // Each column keeps its codec (taken from the first row group that has the column); row
    // groups are ended where the input's end, so none is cut by a size limit.
    let mut props = WriterProperties::builder().set_max_row_group_row_count(None);
    if let Some(group) = parquet_meta.row_groups().first() {
        for column in group.columns() {
            props = props.set_column_compression(
                ColumnPath::new(column.column_path().parts().to_vec()),
                column.compression(),
            );
        }
        if let Some(first) = group.columns().first() {
            props = props.set_compression(first.compression());
        }
    }
    let mut writer = ArrowWriter::try_new(out, out_schema.clone(), Some(props.build()))
        .map_err(|e| write_error(e.to_string()))?;
    let mut done = Rewritten::default();
    let mut row = 0u64;
    for group in 0..parquet_meta.num_row_groups() {
        let reader = input.try_clone().map_err(|e| read_error(e.to_string()))?;
        let batches = ParquetRecordBatchReaderBuilder::new_with_metadata(reader, metadata.clone())
            .with_row_groups(vec![group])
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| read_error(format!("row group {group}: {e}")))?;
        let mut batches = batches;
        // Columns the scan did not read are decoded here first: a corrupt page is an error.
        while let Some(batch) = guarded(|| Ok(batches.next().map(|b| b.map_err(|e| e.to_string()))))
            .and_then(|next| next.transpose())
            .map_err(|e| read_error(format!("row group {group}: {e}")))?
        {
            let texts = column_at(&batch, &names).ok_or_else(no_text_column)?;
            let mut keep = Vec::with_capacity(batch.num_rows());
            let mut new_texts: Vec<Option<String>> = Vec::with_capacity(batch.num_rows());
            let mut added_values: Vec<Option<String>> = Vec::with_capacity(batch.num_rows());
            let mut changed = false;
            for index in 0..batch.num_rows() {
                let text = text_at(&texts, index);
                let (what, value) = edit(row, text.as_deref()).map_err(RewriteError::Edit)?;
                row += 1;
                added_values.push(value);
                match what {
                    RowEdit::Keep => {
                        keep.push(true);
                        new_texts.push(text);
                    }
                    RowEdit::Replace(new) => {
                        keep.push(true);
                        new_texts.push(Some(new));
                        changed = true;
                    }
                    RowEdit::Drop => {
                        keep.push(false);
                        new_texts.push(None);
                        done.dropped += 1;
                    }
                }
            }
            let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
            if changed {
                let replacement = text_array(texts.data_type(), &new_texts, &texts)
                    .map_err(RewriteError::TextColumn)?;
                let top = schema
                    .index_of(&names[0])
                    .map_err(|e| RewriteError::TextColumn(format!("text column: {e}")))?;
                columns[top] = replace_in(&columns[top], &names[1..], replacement)
                    .map_err(RewriteError::TextColumn)?;
            }
            if added.is_some() {
                let mut builder = StringBuilder::new();
                for value in &added_values {
                    builder.append_option(value.as_deref());
                }
                columns.push(Arc::new(builder.finish()));
            }
            let mut batch = RecordBatch::try_new(out_schema.clone(), columns)
                .map_err(|e| write_error(format!("row group {group}: {e}")))?;
            if keep.iter().any(|k| !k) {
                batch =
                    arrow_select::filter::filter_record_batch(&batch, &BooleanArray::from(keep))
                        .map_err(|e| write_error(e.to_string()))?;
            }
            done.rows += batch.num_rows() as u64;
            writer
                .write(&batch)
                .map_err(|e| write_error(e.to_string()))?;
        }
        writer.flush().map_err(|e| write_error(e.to_string()))?;
    }
    let out = writer
        .into_inner()
        .map_err(|e| write_error(e.to_string()))?;
    Ok((out, done))
}

/// The field names leading to the text column: the whole dotted name at the top level first,
/// else its parts through struct columns.
fn text_path(schema: &Schema, dotted: &str) -> Option<Vec<String>> {
    if schema.field_with_name(dotted).is_ok() {
        return Some(vec![dotted.to_owned()]);
    }
    let names: Vec<String> = dotted.split('.').map(str::to_owned).collect();
    let mut fields = schema.fields().clone();
    for (depth, name) in names.iter().enumerate() {
        let field = fields.iter().find(|f| f.name() == name)?.clone();
        if depth + 1 < names.len() {
            let DataType::Struct(children) = field.data_type() else {
                return None;
            };
            fields = children.clone();
        }
    }
    Some(names)
}

fn column_at(batch: &RecordBatch, names: &[String]) -> Option<ArrayRef> {
    let (first, rest) = names.split_first()?;
    let mut array = batch.column_by_name(first)?.clone();
    for name in rest {
        array = array.as_struct_opt()?.column_by_name(name)?.clone();
    }
    Some(array)
}

/// The text of a row; `None` when null. Binary columns are read as UTF-8 (invalid sequences as
/// U+FFFD, as the readers do).
fn text_at(array: &ArrayRef, index: usize) -> Option<String> {
    if array.is_null(index) {
        return None;
    }
    let bytes = match array.data_type() {
        DataType::Utf8 => return Some(array.as_string::<i32>().value(index).to_owned()),
        DataType::LargeUtf8 => return Some(array.as_string::<i64>().value(index).to_owned()),
        DataType::Utf8View => return Some(array.as_string_view().value(index).to_owned()),
        DataType::Binary => array.as_binary::<i32>().value(index),
        DataType::LargeBinary => array.as_binary::<i64>().value(index),
        DataType::BinaryView => array.as_binary_view().value(index),
        _ => return None,
    };
    Some(String::from_utf8_lossy(bytes).into_owned())
}

/// A text column of `data_type` holding `texts`; rows whose text is unchanged keep their bytes
/// (`original`), binary values that were not valid UTF-8 included.
fn text_array(
    data_type: &DataType,
    texts: &[Option<String>],
    original: &ArrayRef,
) -> Result<ArrayRef, String> {
    macro_rules! build {
        ($builder:expr, $original:expr, $as_bytes:expr) => {{
            let mut builder = $builder;
            let original = $original;
            for (index, text) in texts.iter().enumerate() {
                match text {
                    None => builder.append_null(),
                    Some(text) => {
                        let unchanged = !original.is_null(index)
                            && String::from_utf8_lossy($as_bytes(original.value(index)))
                                == text.as_str();
                        if unchanged {
                            builder.append_value(original.value(index));
                        } else {
                            builder.append_value(text);
                        }
                    }
                }
            }
            Arc::new(builder.finish()) as ArrayRef
        }};
    }
    fn str_bytes(s: &str) -> &[u8] {
        s.as_bytes()
    }
    fn raw(b: &[u8]) -> &[u8] {
        b
    }
    Ok(match data_type {
        DataType::Utf8 => build!(StringBuilder::new(), original.as_string::<i32>(), str_bytes),
        DataType::LargeUtf8 => build!(
            LargeStringBuilder::new(),
            original.as_string::<i64>(),
            str_bytes
        ),
        DataType::Utf8View => build!(
            StringViewBuilder::new(),
            original.as_string_view(),
            str_bytes
        ),
        DataType::Binary => build!(BinaryBuilder::new(), original.as_binary::<i32>(), raw),
        DataType::LargeBinary => {
            build!(LargeBinaryBuilder::new(), original.as_binary::<i64>(), raw)
        }
        DataType::BinaryView => build!(BinaryViewBuilder::new(), original.as_binary_view(), raw),
        other => return Err(format!("the text column is of type {other}, not text")),
    })
}

/// `array` with the column at `path` below it (through struct columns) replaced by
/// `replacement`.
fn replace_in(
    array: &ArrayRef,
    path: &[String],
    replacement: ArrayRef,
) -> Result<ArrayRef, String> {
    let Some((name, rest)) = path.split_first() else {
        return Ok(replacement);
    };
    let parent = array
        .as_struct_opt()
        .ok_or_else(|| "the text column's parent is not a struct".to_string())?;
    let (fields, mut children, nulls) = parent.clone().into_parts();
    let index = fields
        .iter()
        .position(|f| f.name() == name)
        .ok_or_else(|| format!("no column '{name}'"))?;
    children[index] = replace_in(&children[index], rest, replacement)?;
    Ok(Arc::new(
        StructArray::try_new(fields, children, nulls).map_err(|e| e.to_string())?,
    ))
}
