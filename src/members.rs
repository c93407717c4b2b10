//! The members table: every copy of every cluster as one row of a Parquet file.
//!
//! A JSON report of a large corpus lists hundreds of millions of members at a couple of hundred
//! bytes each, more than the corpus itself; nobody opens it, and it cannot be joined back to the
//! dataset. As a columnar, compressed table the same members take a fraction of the space and are
//! queried in place with DuckDB, Polars or Spark, and joined to the input Parquet by document id.
//! Rows go out in report order (by cluster, canonical copy first), a batch at a time, so memory
//! stays bounded by one row group whatever the number of members.

use crate::report::Report;
use crate::scan::ClusterKind;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, StringBuilder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::io::{self, Write};
use std::sync::Arc;

/// The key of the members table's file metadata that names what wrote it; its value is
/// [`SCHEMA`]. A later scan of the folder the table sits in knows it by this and leaves it out.
pub const SCHEMA_KEY: &str = "schema";
/// What the members table is, in its file metadata under [`SCHEMA_KEY`].
pub const SCHEMA: &str = "paradup.members/v1";

/// Rows built before they are handed to the Parquet writer.
const BATCH_ROWS: usize = 64 * 1024;
/// Rows a row group holds: the writer holds a row group's encoded columns until it is written,
/// about 100 bytes a row on a forum-like corpus, so a smaller group keeps a run under its memory
/// budget, at the cost of a slightly larger file (7% against groups of 1,048,576 rows).
const GROUP_ROWS: usize = 256 * 1024;

/// The table's columns, in order; the README documents each.
pub fn schema() -> SchemaRef {
    let column =
        |name: &str, data_type: DataType, nullable: bool| Field::new(name, data_type, nullable);
    Arc::new(Schema::new(vec![
        column("cluster", DataType::UInt32, false),
        column("kind", DataType::Utf8, false),
        column("cluster_size", DataType::UInt32, false),
        column("cluster_documents", DataType::UInt32, false),
        column("doc", DataType::Utf8, false),
        column("doc_index", DataType::UInt32, false),
        column("source", DataType::Utf8, true),
        column("location", DataType::Utf8, false),
        column("paragraph", DataType::UInt32, false),
        column("start", DataType::UInt64, false),
        column("end", DataType::UInt64, false),
        column("similarity", DataType::Float64, false),
        column("containment", DataType::Float64, false),
        column("contained", DataType::Boolean, false),
        column("via_chain", DataType::Boolean, false),
        column("is_canonical", DataType::Boolean, false),
    ]))
}

/// The columns of the batch being built.
struct Columns {
    cluster: UInt32Builder,
    kind: StringBuilder,
    cluster_size: UInt32Builder,
    cluster_documents: UInt32Builder,
    doc: StringBuilder,
    doc_index: UInt32Builder,
    source: StringBuilder,
    location: StringBuilder,
    paragraph: UInt32Builder,
    start: UInt64Builder,
    end: UInt64Builder,
    similarity: Float64Builder,
    containment: Float64Builder,
    contained: BooleanBuilder,
    via_chain: BooleanBuilder,
    is_canonical: BooleanBuilder,
    rows: usize,
}

impl Columns {
    fn new() -> Columns {
        Columns {
            cluster: UInt32Builder::new(),
            kind: StringBuilder::new(),
            cluster_size: UInt32Builder::new(),
            cluster_documents: UInt32Builder::new(),
            doc: StringBuilder::new(),
            doc_index: UInt32Builder::new(),
            source: StringBuilder::new(),
            location: StringBuilder::new(),
            paragraph: UInt32Builder::new(),
            start: UInt64Builder::new(),
            end: UInt64Builder::new(),
            similarity: Float64Builder::new(),
            containment: Float64Builder::new(),
            contained: BooleanBuilder::new(),
            via_chain: BooleanBuilder::new(),
            is_canonical: BooleanBuilder::new(),
            rows: 0,
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch, arrow_schema::ArrowError> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.cluster.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.cluster_size.finish()),
            Arc::new(self.cluster_documents.finish()),
            Arc::new(self.doc.finish()),
            Arc::new(self.doc_index.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.location.finish()),
            Arc::new(self.paragraph.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
            Arc::new(self.similarity.finish()),
            Arc::new(self.containment.finish()),
            Arc::new(self.contained.finish()),
            Arc::new(self.via_chain.finish()),
            Arc::new(self.is_canonical.finish()),
        ];
        RecordBatch::try_new(schema.clone(), columns)
    }
}

/// Writes every member of `report`'s clusters as a Parquet table (zstd-compressed) to `out`;
/// returns the number of rows. `sources[doc_index]` is each document's source, if any.
pub fn write_members(
    report: &Report<'_>,
    sources: &[Option<&str>],
    out: &mut dyn Write,
) -> io::Result<u64> {
    let schema = schema();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).map_err(io::Error::other)?,
        ))
        .set_max_row_group_row_count(Some(GROUP_ROWS))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            SCHEMA_KEY.to_string(),
            SCHEMA.to_string(),
        )]))
        .build();
    // The writer fills a buffer that is emptied into `out` after every batch: a row group at most
    // is held, and `out` need not be `Send`.
    let mut writer =
        ArrowWriter::try_new(Vec::new(), schema.clone(), Some(props)).map_err(io::Error::other)?;
    let drain = |writer: &mut ArrowWriter<Vec<u8>>, out: &mut dyn Write| {
        let buffer = writer.inner_mut();
        out.write_all(buffer)?;
        buffer.clear();
        Ok::<(), io::Error>(())
    };
    let rows = member_batches(report, sources, &mut |batch| {
        writer.write(&batch).map_err(io::Error::other)?;
        drain(&mut writer, out)
    })?;
    writer.finish().map_err(io::Error::other)?;
    drain(&mut writer, out)?;
    Ok(rows)
}

/// Hands every member of `report`'s clusters to `visit` as rows of record batches with the
/// columns of [`schema`] (at most 65,536 rows a batch), in report order; returns the number of
/// rows. `sources[doc_index]` is each document's source, if any.
pub fn member_batches(
    report: &Report<'_>,
    sources: &[Option<&str>],
    visit: &mut dyn FnMut(RecordBatch) -> io::Result<()>,
) -> io::Result<u64> {
    let schema = schema();
    let mut columns = Columns::new();
    let mut rows = 0u64;
    let mut location = String::new();
    report.clusters.try_for_each_run(|cluster, first| {
        let kind = match cluster.kind {
            ClusterKind::WithinDocument => "within_document",
            ClusterKind::CrossDocument => "cross_document",
        };
        for (index, member) in cluster.members.iter().enumerate() {
            let c = &mut columns;
            c.cluster.append_value(cluster.id as u32);
            c.kind.append_value(kind);
            c.cluster_size.append_value(cluster.size as u32);
            c.cluster_documents.append_value(cluster.documents as u32);
            c.doc.append_value(member.doc);
            c.doc_index.append_value(member.doc_index);
            c.source
                .append_option(sources.get(member.doc_index as usize).copied().flatten());
            location.clear();
            use std::fmt::Write as _;
            let _ = write!(location, "{}", member.location);
            c.location.append_value(&location);
            c.paragraph.append_value(member.paragraph);
            c.start.append_value(member.start as u64);
            c.end.append_value(member.end as u64);
            c.similarity.append_value(member.similarity);
            c.containment.append_value(member.containment);
            c.contained.append_value(member.contained);
            c.via_chain.append_value(member.via_chain);
            c.is_canonical.append_value(first + index == 0);
            c.rows += 1;
            rows += 1;
            if c.rows == BATCH_ROWS {
                visit(c.finish(&schema).map_err(io::Error::other)?)?;
            }
        }
        Ok::<(), io::Error>(())
    })?;
    if columns.rows > 0 {
        visit(columns.finish(&schema).map_err(io::Error::other)?)?;
    }
    Ok(rows)
}
