//! The documents of a scan, held compactly: a crawl shard has millions of documents, and a
//! `DocumentEntry` with its own id, source and path strings costs about 230 bytes each. Here a
//! document is one 48-byte record, its id's bytes in one shared string, and its path, source and
//! shard names stored once each (a file holds many documents; a site publishes many pages).

use super::DocumentEntry;
use crate::read::LocationRef;
use std::collections::HashMap;
use std::sync::Arc;

/// No source, or no shard.
const NO_NAME: u32 = u32::MAX;

/// The top two bits of a record number say which it is.
const RECORD_KIND_SHIFT: u32 = 62;
const RECORD_VALUE_MASK: u64 = (1 << RECORD_KIND_SHIFT) - 1;
const RECORD_NONE: u64 = 0;
const RECORD_LINE: u64 = 1;
const RECORD_ROW: u64 = 2;

/// One document's fixed-size part.
#[derive(Clone, Copy, Debug)]
struct DocumentRecord {
    /// End of its id in [`DocumentTable::ids`]; it starts where the previous document's ends.
    id_end: u64,
    bytes: u64,
    /// Its line or row, the kind in the top two bits.
    record: u64,
    path: u32,
    source: u32,
    shard: u32,
    first_paragraph: u32,
    paragraph_count: u32,
    word_paragraphs: u32,
}

/// Names stored once each, numbered in the order first seen.
#[derive(Clone, Debug, Default)]
struct Names {
    names: Vec<Arc<str>>,
    numbers: HashMap<Arc<str>, u32>,
    /// Bytes the names hold, counted as they are added: a budget's check after each batch reads
    /// it, and a corpus may name a source a document.
    string_bytes: usize,
}

impl Names {
    fn number(&mut self, name: &str) -> u32 {
        if let Some(&number) = self.numbers.get(name) {
            return number;
        }
        let name: Arc<str> = Arc::from(name);
        let number = self.names.len() as u32;
        // An `Arc<str>` holds two counters beside the text.
        self.string_bytes += name.len() + 16;
        self.numbers.insert(Arc::clone(&name), number);
        self.names.push(name);
        number
    }

    fn get(&self, number: u32) -> Option<&Arc<str>> {
        self.names.get(number as usize)
    }

    fn heap_bytes(&self) -> usize {
        self.names.capacity() * std::mem::size_of::<Arc<str>>()
            + self.numbers.capacity() * (std::mem::size_of::<(Arc<str>, u32)>() + 1)
            + self.string_bytes
    }
}

/// Every document of a scan, in input order. Read one with [`DocumentTable::get`] (or
/// [`DocumentTable::at`] for a number known to be in range), all with [`DocumentTable::iter`].
#[derive(Clone, Debug, Default)]
pub struct DocumentTable {
    records: Vec<DocumentRecord>,
    ids: String,
    paths: Names,
    sources: Names,
    shards: Names,
}

/// One document of a [`DocumentTable`], borrowed from it: the fields of a [`DocumentEntry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentRef<'a> {
    /// The document's id.
    pub id: &'a str,
    /// Its source, when known.
    pub source: Option<&'a str>,
    /// Where it was read.
    pub location: LocationRef<'a>,
    /// Bytes of text.
    pub bytes: u64,
    /// Index of its first paragraph among all paragraphs.
    pub first_paragraph: u32,
    /// Number of paragraphs.
    pub paragraph_count: u32,
    /// Paragraphs with at least one word after normalization.
    pub word_paragraphs: u32,
    /// For a document of a shard index taken into the scan: the shard's name.
    pub shard: Option<&'a str>,
}

impl DocumentEntry {
    /// The entry borrowed, as a table gives its documents.
    pub fn borrowed(&self) -> DocumentRef<'_> {
        DocumentRef {
            id: &self.id,
            source: self.source.as_deref(),
            location: self.location.borrowed(),
            bytes: self.bytes,
            first_paragraph: self.first_paragraph,
            paragraph_count: self.paragraph_count,
            word_paragraphs: self.word_paragraphs,
            shard: self.shard.as_deref(),
        }
    }
}

impl DocumentRef<'_> {
    /// An owned copy.
    pub fn to_entry(&self) -> DocumentEntry {
        DocumentEntry {
            id: self.id.to_string(),
            source: self.source.map(str::to_string),
            location: self.location.to_location(),
            bytes: self.bytes,
            first_paragraph: self.first_paragraph,
            paragraph_count: self.paragraph_count,
            word_paragraphs: self.word_paragraphs,
            shard: self.shard.map(Arc::from),
        }
    }
}

impl DocumentTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no document.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Room for `additional` more documents.
    pub fn reserve(&mut self, additional: usize) {
        self.records.reserve(additional);
    }

    /// Adds a document after the others.
    pub fn push(&mut self, entry: DocumentEntry) {
        self.push_ref(entry.borrowed(), 0);
    }

    /// Adds a document of another table after the others, its first paragraph moved on by
    /// `paragraph_shift`.
    pub fn push_ref(&mut self, doc: DocumentRef<'_>, paragraph_shift: u32) {
        let path = self.paths.number(doc.location.path);
        let source = doc.source.map_or(NO_NAME, |s| self.sources.number(s));
        let shard = doc.shard.map_or(NO_NAME, |s| self.shards.number(s));
        self.ids.push_str(doc.id);
        self.records.push(DocumentRecord {
            id_end: self.ids.len() as u64,
            bytes: doc.bytes,
            record: record_number_of(doc.location.line, doc.location.row),
            path,
            source,
            shard,
            first_paragraph: doc.first_paragraph + paragraph_shift,
            paragraph_count: doc.paragraph_count,
            word_paragraphs: doc.word_paragraphs,
        });
    }

    /// Document number `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<DocumentRef<'_>> {
        let record = self.records.get(index)?;
        let id_start = match index {
            0 => 0,
            _ => self.records[index - 1].id_end as usize,
        };
        let (line, row) = match record.record >> RECORD_KIND_SHIFT {
            RECORD_LINE => (Some(record.record & RECORD_VALUE_MASK), None),
            RECORD_ROW => (None, Some(record.record & RECORD_VALUE_MASK)),
            _ => (None, None),
        };
        Some(DocumentRef {
            id: self.ids.get(id_start..record.id_end as usize).unwrap_or(""),
            source: self.sources.get(record.source).map(|s| &**s),
            location: LocationRef {
                path: self.paths.get(record.path).map_or("", |p| &**p),
                line,
                row,
            },
            bytes: record.bytes,
            first_paragraph: record.first_paragraph,
            paragraph_count: record.paragraph_count,
            word_paragraphs: record.word_paragraphs,
            shard: self.shards.get(record.shard).map(|s| &**s),
        })
    }

    /// Document number `index`: a number the scan gave out (a member's `doc`), so in range.
    ///
    /// # Panics
    /// When `index` is not below [`DocumentTable::len`], as slice indexing does.
    pub fn at(&self, index: usize) -> DocumentRef<'_> {
        match self.get(index) {
            Some(doc) => doc,
            None => panic!(
                "document {index} of a table of {} documents",
                self.records.len()
            ),
        }
    }

    /// Index of the first paragraph of document number `index` (0 when out of range).
    pub fn first_paragraph(&self, index: usize) -> u32 {
        self.records.get(index).map_or(0, |r| r.first_paragraph)
    }

    /// Whether document number `index` came from a shard index (false when out of range).
    pub fn is_indexed(&self, index: usize) -> bool {
        self.records.get(index).is_some_and(|r| r.shard != NO_NAME)
    }

    /// Every document, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = DocumentRef<'_>> + ExactSizeIterator {
        (0..self.records.len()).map(|index| self.at(index))
    }

    /// The documents from number `start` on, with their numbers.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = (usize, DocumentRef<'_>)> {
        (start.min(self.records.len())..self.records.len()).map(|index| (index, self.at(index)))
    }

    /// Bytes the table holds, as allocated.
    pub fn heap_bytes(&self) -> usize {
        self.records.capacity() * std::mem::size_of::<DocumentRecord>()
            + self.ids.capacity()
            + self.names_bytes()
    }

    /// Bytes the records and ids take, without the room their vectors keep to grow, and the
    /// names as allocated (stored once each, they grow with the sources, not the documents).
    pub fn used_bytes(&self) -> usize {
        std::mem::size_of_val(self.records.as_slice()) + self.ids.len() + self.names_bytes()
    }

    /// Bytes the path, source and shard names hold, as allocated.
    fn names_bytes(&self) -> usize {
        self.paths.heap_bytes() + self.sources.heap_bytes() + self.shards.heap_bytes()
    }
}

impl FromIterator<DocumentEntry> for DocumentTable {
    fn from_iter<I: IntoIterator<Item = DocumentEntry>>(entries: I) -> Self {
        let mut table = DocumentTable::new();
        table.extend(entries);
        table
    }
}

impl Extend<DocumentEntry> for DocumentTable {
    fn extend<I: IntoIterator<Item = DocumentEntry>>(&mut self, entries: I) {
        for entry in entries {
            self.push(entry);
        }
    }
}

fn record_number_of(line: Option<u64>, row: Option<u64>) -> u64 {
    match (line, row) {
        (Some(line), _) => (RECORD_LINE << RECORD_KIND_SHIFT) | (line & RECORD_VALUE_MASK),
        (None, Some(row)) => (RECORD_ROW << RECORD_KIND_SHIFT) | (row & RECORD_VALUE_MASK),
        (None, None) => RECORD_NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::Location;

    fn entry(
        id: &str,
        source: Option<&str>,
        path: &str,
        line: Option<u64>,
        row: Option<u64>,
    ) -> DocumentEntry {
        DocumentEntry {
            id: id.to_string(),
            source: source.map(str::to_string),
            location: Location {
                path: path.to_string(),
                line,
                row,
            },
            bytes: id.len() as u64 * 7,
            first_paragraph: 3,
            paragraph_count: 2,
            word_paragraphs: 1,
            shard: None,
        }
    }

    #[test]
    fn documents_come_back_as_they_went_in() {
        let shard: Arc<str> = Arc::from("shard-a");
        let mut with_shard = entry("", None, "b.parquet", None, Some(0));
        with_shard.shard = Some(Arc::clone(&shard));
        let entries = [
            entry("a-1", Some("x.example"), "a.jsonl", Some(1), None),
            entry("a-2", Some("x.example"), "a.jsonl", Some(2), None),
            with_shard,
            entry("ü-4", None, "-", None, None),
            entry(
                "a-5",
                Some("y.example"),
                "a.jsonl",
                Some(RECORD_VALUE_MASK),
                None,
            ),
        ];
        let table: DocumentTable = entries.iter().cloned().collect();
        assert_eq!(table.len(), entries.len());
        for (index, expected) in entries.iter().enumerate() {
            let got = table.at(index).to_entry();
            assert_eq!(got.id, expected.id);
            assert_eq!(got.source, expected.source);
            assert_eq!(got.location, expected.location);
            assert_eq!(got.bytes, expected.bytes);
            assert_eq!(got.shard, expected.shard);
            assert_eq!(table.is_indexed(index), expected.shard.is_some());
        }
        assert!(table.get(entries.len()).is_none());
        assert_eq!(table.paths.names.len(), 3);
        assert_eq!(table.sources.names.len(), 2);

        let mut moved = DocumentTable::new();
        for doc in table.iter() {
            moved.push_ref(doc, 10);
        }
        assert_eq!(moved.at(4).first_paragraph, 13);
        assert_eq!(moved.at(4).location, table.at(4).location);
        assert_eq!(moved.iter_from(3).count(), 2);
    }
}
