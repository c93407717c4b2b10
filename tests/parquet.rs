//! Parquet inputs: files written here with the parquet crate (every codec, struct columns,
//! large and view strings, binary text, null texts, several row groups) read by the real binary,
//! and compared with the same corpus as JSON Lines.

mod common;

use arrow_array::builder::{BinaryBuilder, StringBuilder};
use arrow_array::Array;
use arrow_array::{
    ArrayRef, Int64Array, LargeStringArray, RecordBatch, StringArray, StringViewArray, StructArray,
};
use arrow_schema::{DataType, Field};
use common::{paradup, Scratch};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

const SHARED: &str = "The committee meets every second Tuesday of the month in the town hall \
                      and welcomes every resident who wishes to speak.";

/// Twelve documents: each has a paragraph of its own, every third one also the shared paragraph,
/// and every fourth one a near copy of it.
fn corpus() -> Vec<(String, String)> {
    (0..12)
        .map(|i| {
            let own = format!(
                "Document number {i} tells its own story about item {i} with words such as \
                 river{i}, harbour{i} and lantern{i}, found nowhere else."
            );
            let text = match i % 4 {
                0 => format!("{SHARED}\n\n{own}"),
                3 => format!("{own}\n\n{}", SHARED.replace("Tuesday", "Thursday")),
                _ if i % 3 == 0 => format!("{own}\n\n{SHARED}"),
                _ => own,
            };
            (format!("doc-{i:02}"), text)
        })
        .collect()
}

fn write_parquet(path: &Path, batch: &RecordBatch, compression: Compression, group_rows: usize) {
    let props = WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// `id` and `text` string columns.
fn flat_batch(docs: &[(String, String)]) -> RecordBatch {
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.0)));
    let texts: ArrayRef = Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.1)));
    RecordBatch::try_from_iter([("id", ids), ("text", texts)]).unwrap()
}

fn write_jsonl(path: &Path, docs: &[(String, String)]) {
    let lines: String = docs
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string() + "\n")
        .collect();
    std::fs::write(path, lines).unwrap();
}

/// Runs `paradup scan ARGS --json`, returns the exit code, the report and standard error.
fn scan(scratch: &Scratch, args: &[&str]) -> (i32, Value, String) {
    let json = scratch.path("report.json");
    let _ = std::fs::remove_file(&json);
    let out = paradup()
        .current_dir(scratch.dir.path())
        .arg("scan")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    (
        out.status.code().unwrap(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The clusters with each member's location left out (it names the file and its line or row).
fn clusters_without_locations(report: &Value) -> Value {
    let mut clusters = report["clusters"].clone();
    for cluster in clusters.as_array_mut().expect("clusters") {
        for member in cluster["members"].as_array_mut().expect("members") {
            member.as_object_mut().unwrap().remove("location");
        }
    }
    clusters
}

#[test]
fn every_codec_gives_the_clusters_of_the_same_corpus_as_json_lines() {
    let scratch = Scratch::new();
    let docs = corpus();
    write_jsonl(&scratch.path("corpus.jsonl"), &docs);
    let (code, expected, stderr) = scan(&scratch, &["corpus.jsonl"]);
    assert_eq!(code, 0, "{stderr}");
    let expected = clusters_without_locations(&expected);
    assert!(expected.as_array().unwrap().len() >= 2, "{expected}");
    let codecs = [
        ("uncompressed", Compression::UNCOMPRESSED),
        ("snappy", Compression::SNAPPY),
        ("zstd", Compression::ZSTD(ZstdLevel::default())),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("lz4", Compression::LZ4),
        ("lz4_raw", Compression::LZ4_RAW),
    ];
    for (name, codec) in codecs {
        let file = format!("{name}.parquet");
        write_parquet(&scratch.path(&file), &flat_batch(&docs), codec, 5);
        let (code, report, stderr) = scan(&scratch, &[&file]);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert_eq!(report["summary"]["documents"], 12, "{name}");
        assert_eq!(clusters_without_locations(&report), expected, "{name}");
    }
}

#[test]
fn locations_are_zero_based_rows_across_row_groups_and_texts_are_fetched_back() {
    let scratch = Scratch::new();
    let docs = corpus();
    // Row groups of 5, 5 and 2 rows.
    write_parquet(
        &scratch.path("c.parquet"),
        &flat_batch(&docs),
        Compression::SNAPPY,
        5,
    );
    let (code, report, stderr) = scan(&scratch, &["c.parquet"]);
    assert_eq!(code, 0, "{stderr}");
    let mut members = 0;
    for cluster in report["clusters"].as_array().unwrap() {
        for member in cluster["members"].as_array().unwrap() {
            let doc = member["doc"].as_str().unwrap();
            let row: usize = doc.strip_prefix("doc-").unwrap().parse().unwrap();
            assert_eq!(member["location"], format!("c.parquet:{row}"));
            let text = &docs[row].1;
            let (start, end) = (
                member["start"].as_u64().unwrap() as usize,
                member["end"].as_u64().unwrap() as usize,
            );
            // The canonical text was read back by location from the file.
            if member == &cluster["members"][0] {
                assert_eq!(cluster["text"], text[start..end]);
            }
            members += 1;
        }
    }
    // Rows 0, 4, 6, 8 and 9 hold the shared paragraph, rows 3, 7 and 11 its near copy.
    assert_eq!(members, 8);
}

#[test]
fn rows_without_an_id_column_are_named_path_row() {
    let scratch = Scratch::new();
    let docs = corpus();
    let texts: ArrayRef = Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.1)));
    let batch = RecordBatch::try_from_iter([("text", texts)]).unwrap();
    write_parquet(
        &scratch.path("t.parquet"),
        &batch,
        Compression::ZSTD(ZstdLevel::default()),
        4,
    );
    let (code, report, stderr) = scan(&scratch, &["t.parquet"]);
    assert_eq!(code, 0, "{stderr}");
    let first = &report["clusters"][0]["members"][0];
    assert_eq!(first["doc"], first["location"]);
    assert_eq!(first["doc"], "t.parquet:0");
}

#[test]
fn struct_fields_large_and_view_strings_binary_text_and_integer_ids() {
    let scratch = Scratch::new();
    let docs = corpus();
    let jsonl = scratch.path("corpus.jsonl");
    write_jsonl(&jsonl, &docs);
    let (_, expected, _) = scan(&scratch, &["corpus.jsonl"]);
    let expected_docs: Vec<Value> = expected["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["doc"].clone())
                .collect()
        })
        .collect();

    let body: ArrayRef = Arc::new(LargeStringArray::from_iter_values(
        docs.iter().map(|d| &d.1),
    ));
    let url: ArrayRef = Arc::new(StringViewArray::from_iter_values(
        docs.iter()
            .enumerate()
            .map(|(i, _)| format!("site{}.org", i % 2)),
    ));
    let meta = StructArray::from(vec![
        (
            Arc::new(Field::new("body", DataType::LargeUtf8, false)),
            body,
        ),
        (Arc::new(Field::new("url", DataType::Utf8View, false)), url),
    ]);
    // Integer ids named by their decimal text; the doc-NN ids of JSON as their numbers.
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..docs.len() as i64));
    let mut binary = BinaryBuilder::new();
    for (_, text) in &docs {
        binary.append_value(text.as_bytes());
    }
    let batch = RecordBatch::try_from_iter([
        ("num", ids),
        ("meta", Arc::new(meta) as ArrayRef),
        ("raw", Arc::new(binary.finish()) as ArrayRef),
    ])
    .unwrap();
    write_parquet(
        &scratch.path("nested.parquet"),
        &batch,
        Compression::SNAPPY,
        3,
    );
    let number = |doc: &Value| format!("doc-{:02}", doc.as_str().unwrap().parse::<u32>().unwrap());
    for text_field in ["meta.body", "raw"] {
        let (code, report, stderr) = scan(
            &scratch,
            &[
                "nested.parquet",
                "--text-field",
                text_field,
                "--id-field",
                "num",
                "--source-field",
                "meta.url",
            ],
        );
        assert_eq!(code, 0, "{text_field}: {stderr}");
        let got: Vec<Value> = report["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                c["members"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| Value::from(number(&m["doc"])))
                    .collect()
            })
            .collect();
        assert_eq!(got, expected_docs, "{text_field}");
        let sources: Vec<&str> = report["sources"]
            .as_array()
            .unwrap_or_else(|| panic!("sources in {report}"))
            .iter()
            .map(|s| s["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources.len(), 2, "{sources:?}");
        assert!(sources.contains(&"site0.org") && sources.contains(&"site1.org"));
    }
}

#[test]
fn null_texts_are_skipped_counted_and_named_by_row() {
    let scratch = Scratch::new();
    let mut texts = StringBuilder::new();
    let mut ids = StringBuilder::new();
    for i in 0..6 {
        ids.append_value(format!("r{i}"));
        if i == 2 || i == 5 {
            texts.append_null();
        } else {
            texts.append_value(format!("{SHARED} Row {i}."));
        }
    }
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(ids.finish()) as ArrayRef),
        ("text", Arc::new(texts.finish()) as ArrayRef),
    ])
    .unwrap();
    write_parquet(&scratch.path("n.parquet"), &batch, Compression::SNAPPY, 4);
    let (code, report, stderr) = scan(&scratch, &["n.parquet"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(report["summary"]["documents"], 4);
    assert_eq!(report["summary"]["skipped_records"], 2);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors[0]["path"], "n.parquet");
    assert_eq!(errors[0]["row"], 2);
    assert_eq!(errors[1]["row"], 5);
    assert!(
        stderr.contains("n.parquet:2: text column 'text' is null"),
        "{stderr}"
    );
}

#[test]
fn a_folder_of_shards_is_read_in_sorted_order_and_format_can_be_forced() {
    let scratch = Scratch::new();
    let docs = corpus();
    std::fs::create_dir_all(scratch.path("data")).unwrap();
    // Written out of order; names without the .parquet extension are told by content.
    write_parquet(
        &scratch.path("data/train-00001-of-00002.parquet"),
        &flat_batch(&docs[6..]),
        Compression::SNAPPY,
        100,
    );
    write_parquet(
        &scratch.path("data/train-00000-of-00002"),
        &flat_batch(&docs[..6]),
        Compression::SNAPPY,
        100,
    );
    for extra in [&[][..], &["--format", "parquet"][..]] {
        let mut args = vec!["data"];
        args.extend_from_slice(extra);
        let (code, report, stderr) = scan(&scratch, &args);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(report["summary"]["documents"], 12);
        let first = &report["clusters"][0]["members"][0];
        assert_eq!(first["doc"], "doc-00");
        assert_eq!(
            first["location"],
            format!(
                "{}:0",
                Path::new("data").join("train-00000-of-00002").display()
            )
        );
    }
}

#[test]
fn a_missing_or_non_text_column_is_an_error_naming_the_file() {
    let scratch = Scratch::new();
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..3));
    let texts: ArrayRef = Arc::new(StringArray::from_iter_values(["a", "b", "c"]));
    let batch = RecordBatch::try_from_iter([("n", ids), ("body", texts)]).unwrap();
    write_parquet(&scratch.path("x.parquet"), &batch, Compression::SNAPPY, 10);
    let (code, _, stderr) = scan(&scratch, &["x.parquet"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("x.parquet: no text column 'text' (the file's columns: n, body)"),
        "{stderr}"
    );
    let (code, _, stderr) = scan(&scratch, &["x.parquet", "--text-field", "n"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("x.parquet: text column 'n' is of type Int64, not text"),
        "{stderr}"
    );
    let (code, _, stderr) = scan(
        &scratch,
        &[
            "x.parquet",
            "--text-field",
            "body",
            "--source-field",
            "meta.url",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("x.parquet: no source column 'meta.url'"),
        "{stderr}"
    );
}

#[test]
fn corrupt_and_truncated_files_fail_cleanly_naming_the_file() {
    let scratch = Scratch::new();
    let docs = corpus();
    write_parquet(
        &scratch.path("good.parquet"),
        &flat_batch(&docs),
        Compression::SNAPPY,
        4,
    );
    let bytes = std::fs::read(scratch.path("good.parquet")).unwrap();
    std::fs::write(scratch.path("truncated.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    let (code, _, stderr) = scan(&scratch, &["truncated.parquet"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("truncated.parquet: not a readable Parquet file"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Every byte of the data pages overwritten: the footer still reads, the pages do not.
    let mut corrupt = bytes.clone();
    for byte in &mut corrupt[4..bytes.len() / 2] {
        *byte = 0xA5;
    }
    std::fs::write(scratch.path("corrupt.parquet"), &corrupt).unwrap();
    let (code, _, stderr) = scan(&scratch, &["corrupt.parquet"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("corrupt.parquet: row group 0 (rows 0..4) cannot be read: "),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_compressed_parquet_file_is_read_too() {
    let scratch = Scratch::new();
    let docs = corpus();
    write_parquet(
        &scratch.path("p.parquet"),
        &flat_batch(&docs),
        Compression::SNAPPY,
        4,
    );
    let bytes = std::fs::read(scratch.path("p.parquet")).unwrap();
    std::fs::write(
        scratch.path("p.parquet.zst"),
        zstd::encode_all(&bytes[..], 3).unwrap(),
    )
    .unwrap();
    let (code, plain, stderr) = scan(&scratch, &["p.parquet"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, compressed, stderr) = scan(&scratch, &["p.parquet.zst"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        clusters_without_locations(&plain),
        clusters_without_locations(&compressed)
    );
    assert_eq!(
        compressed["clusters"][0]["members"][0]["location"],
        "p.parquet.zst:0"
    );
}

/// Every row of a members table, as JSON objects keyed by column.
fn read_members(bytes: Vec<u8>) -> Vec<serde_json::Map<String, Value>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, UInt32Type, UInt64Type};
    use arrow_array::Array;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
        bytes::Bytes::from(bytes),
        1000,
    )
    .unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        for row in 0..batch.num_rows() {
            let mut object = serde_json::Map::new();
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                let value = if column.is_null(row) {
                    Value::Null
                } else {
                    match column.data_type() {
                        DataType::UInt32 => column.as_primitive::<UInt32Type>().value(row).into(),
                        DataType::UInt64 => column.as_primitive::<UInt64Type>().value(row).into(),
                        DataType::Float64 => column.as_primitive::<Float64Type>().value(row).into(),
                        DataType::Boolean => column.as_boolean().value(row).into(),
                        DataType::Utf8 => column.as_string::<i32>().value(row).into(),
                        other => panic!("unexpected column type {other}"),
                    }
                };
                object.insert(field.name().clone(), value);
            }
            rows.push(object);
        }
    }
    rows
}

#[test]
fn the_members_table_holds_every_copy_the_json_report_lists() {
    let scratch = Scratch::new();
    let docs = corpus();
    write_parquet(
        &scratch.path("c.parquet"),
        &flat_batch(&docs),
        Compression::SNAPPY,
        5,
    );
    let (code, report, stderr) = scan(
        &scratch,
        &[
            "c.parquet",
            "--members",
            "members.parquet",
            "--source-field",
            "id",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let rows = read_members(std::fs::read(scratch.path("members.parquet")).unwrap());
    let mut expected = Vec::new();
    for cluster in report["clusters"].as_array().unwrap() {
        for (index, member) in cluster["members"].as_array().unwrap().iter().enumerate() {
            expected.push(serde_json::json!({
                "cluster": cluster["id"],
                "kind": cluster["kind"],
                "cluster_size": cluster["size"],
                "cluster_documents": cluster["documents"],
                "doc": member["doc"],
                "doc_index": member["doc_index"],
                "source": member["doc"],
                "location": member["location"],
                "paragraph": member["paragraph"],
                "start": member["start"],
                "end": member["end"],
                "similarity": member["similarity"],
                "containment": member["containment"],
                "contained": member["contained"],
                "via_chain": member["via_chain"],
                "is_canonical": index == 0,
            }));
        }
    }
    assert_eq!(expected.len(), 8);
    let rows: Vec<Value> = rows.into_iter().map(Value::Object).collect();
    assert_eq!(rows, expected);
}

#[test]
fn json_member_lists_can_be_cut_to_the_canonical_copy_or_left_out() {
    let scratch = Scratch::new();
    write_jsonl(&scratch.path("c.jsonl"), &corpus());
    let (_, all, _) = scan(&scratch, &["c.jsonl"]);
    assert!(all.get("member_lists").is_none());
    let sizes = |report: &Value| -> Vec<usize> {
        report["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["members"].as_array().unwrap().len())
            .collect()
    };
    assert!(sizes(&all).iter().any(|&n| n > 1));
    for (which, limit) in [("canonical", 1), ("none", 0), ("all", usize::MAX)] {
        let (code, report, stderr) = scan(&scratch, &["c.jsonl", "--json-members", which]);
        assert_eq!(code, 0, "{stderr}");
        let expected: Vec<usize> = sizes(&all).iter().map(|&n| n.min(limit)).collect();
        assert_eq!(sizes(&report), expected, "{which}");
        // Cluster sizes and the summary still count every copy.
        assert_eq!(report["summary"], all["summary"], "{which}");
        if which != "all" {
            assert_eq!(report["member_lists"], which);
            assert_eq!(report["clusters"][0]["size"], all["clusters"][0]["size"]);
        }
    }
    let (code, _, stderr) = scan(&scratch, &["c.jsonl", "--json-members", "some"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("expected none, canonical or all"),
        "{stderr}"
    );
}

#[test]
fn a_dash_writes_the_members_table_or_the_report_to_standard_output() {
    let scratch = Scratch::new();
    write_jsonl(&scratch.path("c.jsonl"), &corpus());
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "c.jsonl", "--members", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.starts_with(b"PAR1") && out.stdout.ends_with(b"PAR1"));
    assert_eq!(read_members(out.stdout).len(), 8);

    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "c.jsonl", "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).expect("only the report on stdout");
    assert_eq!(report["schema"], "paradup.report/v1");

    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "c.jsonl", "--json", "-", "--members", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Runs `paradup ARGS`, asserting exit 0; returns standard error.
fn run_ok(scratch: &Scratch, args: &[&str]) -> String {
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    stderr
}

/// A Parquet file's metadata and rows, the rows' schema the file's (with its metadata).
fn read_parquet(path: &Path) -> (parquet::file::metadata::ParquetMetaData, Vec<RecordBatch>) {
    let file = std::fs::File::open(path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let metadata = builder.metadata().as_ref().clone();
    let schema = builder.schema().clone();
    let batches = builder
        .build()
        .unwrap()
        .map(|b| b.unwrap().with_schema(schema.clone()).unwrap())
        .collect();
    (metadata, batches)
}

fn concat(batches: &[RecordBatch]) -> RecordBatch {
    arrow_select::concat::concat_batches(&batches[0].schema(), batches).unwrap()
}

/// The corpus with a URL, a number and schema metadata, a codec a column, row groups of 5.
fn rich_input(path: &Path, docs: &[(String, String)]) {
    let ids: ArrayRef = Arc::new(StringArray::from_iter_values(docs.iter().map(|d| &d.0)));
    let urls: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..docs.len()).map(|i| format!("https://site{}.org/{i}", i % 3)),
    ));
    let scores: ArrayRef = Arc::new(Int64Array::from_iter_values(
        (0..docs.len() as i64).map(|i| i * 7),
    ));
    let texts: ArrayRef = Arc::new(LargeStringArray::from_iter_values(
        docs.iter().map(|d| &d.1),
    ));
    let batch = RecordBatch::try_from_iter([
        ("id", ids),
        ("url", urls),
        ("text", texts),
        ("score", scores),
    ])
    .unwrap();
    let schema = Arc::new(
        batch
            .schema()
            .as_ref()
            .clone()
            .with_metadata([("huggingface".to_string(), "{\"info\": 1}".to_string())].into()),
    );
    let batch = batch.with_schema(schema.clone()).unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_column_compression(
            parquet::schema::types::ColumnPath::from("text"),
            Compression::ZSTD(ZstdLevel::default()),
        )
        .set_column_compression(
            parquet::schema::types::ColumnPath::from("score"),
            Compression::UNCOMPRESSED,
        )
        .set_max_row_group_row_count(Some(5))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

#[test]
fn dedup_writes_parquet_back_with_every_column_schema_codec_and_row_group() {
    let scratch = Scratch::new();
    let docs = corpus();
    std::fs::create_dir_all(scratch.path("data")).unwrap();
    rich_input(&scratch.path("data/a.parquet"), &docs[..7]);
    rich_input(&scratch.path("data/b.parquet"), &docs[7..]);
    write_jsonl(&scratch.path("c.jsonl"), &docs);
    run_ok(&scratch, &["dedup", "data", "-o", "out"]);
    run_ok(&scratch, &["dedup", "c.jsonl", "-o", "c.out.jsonl"]);
    let expected_texts: Vec<String> = scratch
        .read("c.out.jsonl")
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(expected_texts
        .iter()
        .zip(&docs)
        .any(|(new, (_, old))| new != old));

    let mut texts = Vec::new();
    for name in ["a.parquet", "b.parquet"] {
        let (in_meta, in_batches) = read_parquet(&scratch.path(&format!("data/{name}")));
        let (out_meta, out_batches) = read_parquet(&scratch.path(&format!("out/{name}")));
        let (input, output) = (concat(&in_batches), concat(&out_batches));
        assert_eq!(input.schema(), output.schema(), "{name}");
        assert_eq!(output.schema().metadata()["huggingface"], "{\"info\": 1}");
        let groups = |m: &parquet::file::metadata::ParquetMetaData| -> Vec<(i64, Vec<String>)> {
            m.row_groups()
                .iter()
                .map(|g| {
                    (
                        g.num_rows(),
                        g.columns()
                            .iter()
                            .map(|c| c.compression().to_string())
                            .collect(),
                    )
                })
                .collect()
        };
        assert_eq!(groups(&in_meta), groups(&out_meta), "{name}");
        for column in ["id", "url", "score"] {
            assert_eq!(
                input.column_by_name(column),
                output.column_by_name(column),
                "{column}"
            );
        }
        let text = output.column_by_name("text").unwrap();
        let text = text.as_any().downcast_ref::<LargeStringArray>().unwrap();
        texts.extend(text.iter().map(|t| t.unwrap().to_owned()));
    }
    assert_eq!(texts, expected_texts);
}

#[test]
fn dedup_of_parquet_drops_rows_or_annotates_them() {
    let scratch = Scratch::new();
    let mut docs = corpus();
    // A row that is nothing but a repeat.
    docs.push(("doc-12".into(), SHARED.into()));
    write_parquet(
        &scratch.path("in.parquet"),
        &flat_batch(&docs),
        Compression::SNAPPY,
        4,
    );
    let stderr = run_ok(
        &scratch,
        &[
            "dedup",
            "in.parquet",
            "-o",
            "dropped.parquet",
            "--drop-duplicate-documents",
        ],
    );
    let (meta, batches) = read_parquet(&scratch.path("dropped.parquet"));
    let dropped = concat(&batches);
    assert_eq!(dropped.num_rows(), docs.len() - 1, "{stderr}");
    let ids = dropped.column_by_name("id").unwrap();
    let ids = ids.as_any().downcast_ref::<StringArray>().unwrap();
    assert!(!ids.iter().any(|id| id == Some("doc-12")));
    // Row groups of 4, 4, 4 and 1 rows, the last one now empty of rows or gone.
    assert_eq!(meta.row_groups()[0].num_rows(), 4);

    run_ok(
        &scratch,
        &[
            "dedup",
            "in.parquet",
            "-o",
            "annotated.parquet",
            "--annotate",
        ],
    );
    let (_, batches) = read_parquet(&scratch.path("annotated.parquet"));
    let annotated = concat(&batches);
    let (input_meta, input) = read_parquet(&scratch.path("in.parquet"));
    let _ = input_meta;
    let bytes = std::fs::read(scratch.path("in.parquet")).unwrap();
    std::fs::write(
        scratch.path("in.parquet.zst"),
        zstd::encode_all(&bytes[..], 3).unwrap(),
    )
    .unwrap();
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["dedup", "in.parquet.zst", "-o", "z.parquet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in.parquet.zst is a compressed Parquet file"),
        "{stderr}"
    );
    let input = concat(&input);
    assert_eq!(annotated.num_columns(), input.num_columns() + 1);
    assert_eq!(
        annotated.column_by_name("text"),
        input.column_by_name("text")
    );
    let notes = annotated.column_by_name("paradup").unwrap();
    let notes = notes.as_any().downcast_ref::<StringArray>().unwrap();
    let last: Value = serde_json::from_str(notes.value(docs.len() - 1)).unwrap();
    assert_eq!(last["duplicate_document"], true);
    assert_eq!(last["duplicates"][0]["canonical"], "doc-00");
    assert_eq!(last["duplicates"][0]["canonical_location"], "in.parquet:0");
    let first: Value = serde_json::from_str(notes.value(1)).unwrap();
    assert_eq!(first["duplicates"], serde_json::json!([]));
}

#[test]
fn a_corrupt_row_group_is_named_and_the_rows_before_it_are_kept() {
    let scratch = Scratch::new();
    let docs = corpus();
    // Row groups of 4 rows: 0..4, 4..8, 8..12.
    write_parquet(
        &scratch.path("good.parquet"),
        &flat_batch(&docs),
        Compression::UNCOMPRESSED,
        4,
    );
    let (metadata, _) = read_parquet(&scratch.path("good.parquet"));
    let text = &metadata.row_groups()[1].columns()[1];
    let (start, len) = text.byte_range();
    let mut bytes = std::fs::read(scratch.path("good.parquet")).unwrap();
    for byte in &mut bytes[start as usize..(start + len) as usize] {
        *byte = 0xA5;
    }
    std::fs::write(scratch.path("bad.parquet"), &bytes).unwrap();
    let (code, report, stderr) = scan(&scratch, &["bad.parquet"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("bad.parquet: row group 1 (rows 4..8) cannot be read: "),
        "{stderr}"
    );
    assert_eq!(report["summary"]["documents"], 4);
}

#[test]
fn only_the_needed_columns_are_read() {
    let scratch = Scratch::new();
    let docs = corpus();
    // The url column's pages are garbage in every row group: a read that decoded it would fail.
    rich_input(&scratch.path("in.parquet"), &docs);
    let (metadata, _) = read_parquet(&scratch.path("in.parquet"));
    let mut bytes = std::fs::read(scratch.path("in.parquet")).unwrap();
    for group in metadata.row_groups() {
        let url = group
            .columns()
            .iter()
            .find(|c| c.column_path().string() == "url")
            .unwrap();
        let (start, len) = url.byte_range();
        for byte in &mut bytes[start as usize..(start + len) as usize] {
            *byte = 0xA5;
        }
    }
    std::fs::write(scratch.path("in.parquet"), &bytes).unwrap();
    let (code, report, stderr) = scan(&scratch, &["in.parquet"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["summary"]["documents"], 12);
    // Reading the url column is what fails.
    let (code, _, stderr) = scan(&scratch, &["in.parquet", "--source-field", "url"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("in.parquet: row group 0 (rows 0..5) cannot be read"),
        "{stderr}"
    );
}

/// `compare --write-clean/--write-dirty` on a Parquet test set: each split is a Parquet file with
/// every column and the rows of its side, the schema kept.
#[test]
fn contamination_splits_of_a_parquet_test_set_keep_its_rows_whole() {
    let scratch = Scratch::new();
    let docs = corpus();
    rich_input(&scratch.path("test.parquet"), &docs);
    // The reference holds doc-01's and doc-05's own paragraphs.
    scratch.write(
        "train.txt",
        &format!(
            "{}\n\nSomething else entirely.\n\n{}\n",
            docs[1].1, docs[5].1
        ),
    );
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "compare",
            "test.parquet",
            "--reference",
            "train.txt",
            "--write-clean",
            "clean.parquet",
            "--write-dirty",
            "dirty.parquet",
            "-q",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (_, input) = read_parquet(&scratch.path("test.parquet"));
    let (_, clean) = read_parquet(&scratch.path("clean.parquet"));
    let (_, dirty) = read_parquet(&scratch.path("dirty.parquet"));
    let (input, clean, dirty) = (concat(&input), concat(&clean), concat(&dirty));
    assert_eq!(clean.schema(), input.schema());
    assert_eq!(dirty.schema(), input.schema());
    let ids = |batch: &RecordBatch| -> Vec<String> {
        let column = batch.column_by_name("id").unwrap();
        let strings = column.as_any().downcast_ref::<StringArray>().unwrap();
        strings.iter().map(|s| s.unwrap().to_string()).collect()
    };
    assert_eq!(ids(&dirty), ["doc-01", "doc-05"]);
    let mut expected: Vec<String> = docs.iter().map(|d| d.0.clone()).collect();
    expected.retain(|id| id != "doc-01" && id != "doc-05");
    assert_eq!(ids(&clean), expected);
    assert_eq!(clean.num_rows() + dirty.num_rows(), input.num_rows());
}

#[test]
fn arrow_batches_scan_like_owned_documents_without_copying_texts() {
    use paradup::{ColumnarDocuments, Document, DocumentHead, Location, ScanParams, Scanner};
    let docs = corpus();
    // Every other row of the column is null or left out, so rows and documents differ.
    let mut texts = StringBuilder::new();
    let mut heads = Vec::new();
    let mut rows = Vec::new();
    for (id, text) in &docs {
        texts.append_null();
        rows.push(heads.len() as u32 * 2 + 1);
        texts.append_value(text);
        heads.push(DocumentHead {
            id: id.clone(),
            source: None,
            location: Location {
                path: "t.parquet".into(),
                line: None,
                row: Some(heads.len() as u64 * 2 + 1),
            },
        });
    }
    let column: ArrayRef = Arc::new(texts.finish());
    let (first, second) = (heads[..5].to_vec(), heads[5..].to_vec());
    let columnar = vec![
        ColumnarDocuments::new(first, column.clone(), rows[..5].to_vec()).unwrap(),
        ColumnarDocuments::new(second, column.clone(), rows[5..].to_vec()).unwrap(),
    ];
    let owned: Vec<Document> = heads
        .iter()
        .zip(&docs)
        .map(|(head, (_, text))| Document {
            id: head.id.clone(),
            source: None,
            location: head.location.clone(),
            text: text.clone(),
        })
        .collect();

    let mut from_arrow = Scanner::new(ScanParams::default()).unwrap();
    from_arrow.add_columnar(columnar);
    let mut from_owned = Scanner::new(ScanParams::default()).unwrap();
    from_owned.add_batch(owned);
    let (arrow, owned) = (from_arrow.finish(), from_owned.finish());
    assert_eq!(
        arrow.clusters.len(),
        2,
        "the shared paragraph and its near copy"
    );
    assert_eq!(arrow.clusters, owned.clusters);
    assert_eq!(arrow.summary, owned.summary);
    let ids = |outcome: &paradup::ScanOutcome| -> Vec<String> {
        outcome.documents.iter().map(|d| d.id.to_string()).collect()
    };
    assert_eq!(ids(&arrow), ids(&owned));
}

#[test]
fn a_folder_mixing_parquet_json_lines_and_text_keeps_the_order_of_its_files() {
    let scratch = Scratch::new();
    let docs = corpus();
    let folder = scratch.path("mixed");
    std::fs::create_dir(&folder).unwrap();
    write_jsonl(&folder.join("a.jsonl"), &docs[..4]);
    write_parquet(
        &folder.join("b.parquet"),
        &flat_batch(&docs[4..9]),
        Compression::SNAPPY,
        2,
    );
    std::fs::write(folder.join("c.txt"), &docs[9].1).unwrap();
    write_jsonl(&folder.join("d.jsonl"), &docs[10..]);
    let mut expected_docs = docs.clone();
    expected_docs[9].0 = "mixed/c.txt".into();
    write_jsonl(&scratch.path("all.jsonl"), &expected_docs);

    let (code, mixed, stderr) = scan(&scratch, &["mixed"]);
    assert_eq!(code, 0, "{stderr}");
    let (_, all, _) = scan(&scratch, &["all.jsonl"]);
    // Members name their document by id and by its index in reading order.
    assert_eq!(mixed["summary"]["documents"], 12);
    assert_eq!(
        clusters_without_locations(&mixed),
        clusters_without_locations(&all)
    );
    assert!(mixed["clusters"].to_string().contains("mixed/c.txt"));
}
