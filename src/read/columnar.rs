//! Documents whose texts stay where the Arrow reader decoded them.
//!
//! A Parquet file decodes into Arrow record batches whose text column already holds every text of
//! the batch in one buffer. Copying each text into its own `String` costs an allocation and a copy
//! a row and, while a batch waits for the scanner, a second copy of its bytes. A
//! [`ColumnarDocuments`] keeps the column and hands out each document's text as a slice of it: the
//! scanner fingerprints straight from the Arrow buffer. The same type is the entry point for Arrow
//! data that comes from elsewhere (a Python table, a Spark partition).

use super::{Document, Location};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use std::borrow::Cow;

/// What a document is apart from its text: its id, source and location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentHead {
    /// The document's id (from the id column, or its location).
    pub id: String,
    /// The publisher or site it came from, when the input says.
    pub source: Option<String>,
    /// Where it was read.
    pub location: Location,
}

/// The documents of one Arrow record batch: a head a document, and the batch's text column, which
/// is shared, not copied.
#[derive(Clone, Debug)]
pub struct ColumnarDocuments {
    heads: Vec<DocumentHead>,
    texts: ColumnarTexts,
}

/// A column type whose values can be a document's text.
pub fn is_text_column(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Utf8View
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
    )
}

/// The bytes of row `row` of a text or binary column; `None` for another type of column. The
/// caller has checked that the value is not null.
pub(crate) fn bytes_at(array: &dyn Array, row: usize) -> Option<&[u8]> {
    Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).as_bytes(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).as_bytes(),
        DataType::Utf8View => array.as_string_view().value(row).as_bytes(),
        DataType::Binary => array.as_binary::<i32>().value(row),
        DataType::LargeBinary => array.as_binary::<i64>().value(row),
        DataType::BinaryView => array.as_binary_view().value(row),
        _ => return None,
    })
}

impl ColumnarDocuments {
    /// Documents over `texts`, a text or binary column: `heads[i]` is the document at row
    /// `rows[i]`. Returns `None` when the column is not text, the two lists differ in length, or a
    /// row is out of range or null.
    pub fn new(heads: Vec<DocumentHead>, texts: ArrayRef, rows: Vec<u32>) -> Option<Self> {
        let fits = is_text_column(texts.data_type())
            && heads.len() == rows.len()
            && rows
                .iter()
                .all(|&row| (row as usize) < texts.len() && !texts.is_null(row as usize));
        fits.then_some(ColumnarDocuments {
            heads,
            texts: ColumnarTexts { texts, rows },
        })
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    /// True when there are no documents.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// The heads, in order.
    pub fn heads(&self) -> &[DocumentHead] {
        &self.heads
    }

    /// Bytes of text of all the documents.
    pub fn text_bytes(&self) -> usize {
        (0..self.len())
            .map(|index| self.texts.raw(index).len())
            .sum()
    }

    /// Bytes of memory the batch holds: its text column's buffers (which may be larger than the
    /// texts: they hold every row of the record batch, and room to grow), not its heads.
    pub fn memory_size(&self) -> usize {
        self.texts.texts.get_buffer_memory_size()
    }

    /// The text of document `index`: borrowed from the column, unless the column is binary and
    /// the value is not valid UTF-8, when each invalid sequence is replaced by U+FFFD (the reader
    /// has announced that repair).
    pub fn text(&self, index: usize) -> Cow<'_, str> {
        self.texts.text(index)
    }

    /// The texts, sharing the column: no text is copied.
    pub fn texts(&self) -> ColumnarTexts {
        self.texts.clone()
    }

    /// Splits the batch into its heads and a view of the texts.
    pub fn into_heads(self) -> (Vec<DocumentHead>, ColumnarTexts) {
        (self.heads, self.texts)
    }

    /// The documents as owned [`Document`]s, each text copied out of the column.
    pub fn into_documents(self) -> Vec<Document> {
        let (heads, texts) = self.into_heads();
        heads
            .into_iter()
            .enumerate()
            .map(|(index, head)| Document {
                id: head.id,
                source: head.source,
                location: head.location,
                text: texts.text(index).into_owned(),
            })
            .collect()
    }
}

/// The texts of a [`ColumnarDocuments`]: its text column and the row of each document.
#[derive(Clone, Debug)]
pub struct ColumnarTexts {
    texts: ArrayRef,
    /// For each document, its row in `texts` (rows with a null text, or not wanted, have none).
    rows: Vec<u32>,
}

impl ColumnarTexts {
    /// The text of document `index`, as [`ColumnarDocuments::text`].
    pub fn text(&self, index: usize) -> Cow<'_, str> {
        String::from_utf8_lossy(self.raw(index))
    }

    fn raw(&self, index: usize) -> &[u8] {
        bytes_at(self.texts.as_ref(), self.rows[index] as usize).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{BinaryArray, Int32Array, LargeStringArray, StringArray};
    use std::sync::Arc;

    fn head(id: &str, row: u64) -> DocumentHead {
        DocumentHead {
            id: id.into(),
            source: None,
            location: Location {
                path: "f.parquet".into(),
                line: None,
                row: Some(row),
            },
        }
    }

    #[test]
    fn texts_are_slices_of_the_column() {
        let column: ArrayRef = Arc::new(StringArray::from(vec![Some("one"), None, Some("three")]));
        let docs =
            ColumnarDocuments::new(vec![head("a", 0), head("c", 2)], column.clone(), vec![0, 2])
                .expect("valid batch");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs.text_bytes(), 8);
        let three = docs.text(1);
        assert!(matches!(three, Cow::Borrowed(_)));
        let values = column.as_string::<i32>().value_data().as_ptr_range();
        assert!(values.contains(&three.as_ptr()), "the text is not a copy");
        let owned = docs.into_documents();
        assert_eq!(owned[0].text, "one");
        assert_eq!(owned[1].id, "c");
    }

    #[test]
    fn invalid_utf8_in_a_binary_column_is_replaced() {
        let column: ArrayRef = Arc::new(BinaryArray::from(vec![&b"ok \xff end"[..]]));
        let docs = ColumnarDocuments::new(vec![head("a", 0)], column, vec![0]).expect("valid");
        assert_eq!(docs.text(0), "ok \u{fffd} end");
    }

    #[test]
    fn a_batch_that_does_not_fit_its_column_is_refused() {
        let strings: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("x"), None]));
        assert!(ColumnarDocuments::new(vec![head("a", 0)], strings.clone(), vec![1]).is_none());
        assert!(ColumnarDocuments::new(vec![head("a", 0)], strings.clone(), vec![2]).is_none());
        assert!(ColumnarDocuments::new(vec![], strings, vec![0]).is_none());
        let numbers: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        assert!(ColumnarDocuments::new(vec![head("a", 0)], numbers, vec![0]).is_none());
    }
}
