//! Input formats and bad input, through the real binary: one test per input kind and per kind of
//! bad input, each asserting the exact outcome in the JSON report, on stderr and in the exit code.

use assert_cmd::Command;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A paragraph long enough for the near tier, distinct per `n`.
fn para(n: usize) -> String {
    format!(
        "Paragraph number {n} tells of the harbour authority and its plan for the new terminal \
         on reclaimed land, which the board approved on Tuesday after a long debate."
    )
}

struct Run {
    code: i32,
    report: Value,
    stdout: String,
    stderr: String,
}

fn paradup(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let report_path = dir.join("report.json");
    let _ = std::fs::remove_file(&report_path);
    let mut cmd = Command::cargo_bin("paradup").unwrap();
    cmd.current_dir(dir).arg("scan").args(args);
    cmd.arg("--json").arg(&report_path);
    if let Some(bytes) = stdin {
        cmd.write_stdin(bytes);
    }
    let out = cmd.output().unwrap();
    let report = std::fs::read(&report_path)
        .ok()
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or(Value::Null);
    Run {
        code: out.status.code().unwrap_or(-1),
        report,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn jsonl(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for record in records {
        out.extend(serde_json::to_vec(record).unwrap());
        out.push(b'\n');
    }
    out
}

fn summary(run: &Run, field: &str) -> u64 {
    run.report["summary"][field]
        .as_u64()
        .unwrap_or_else(|| panic!("no summary.{field} in {}", run.report))
}

/// `(path, line, message)` of each report error.
fn errors(run: &Run) -> Vec<(String, Option<u64>, String)> {
    run.report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["line"].as_u64(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn member_locations(run: &Run) -> Vec<Vec<String>> {
    run.report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["location"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------- input kinds

#[test]
fn folder_with_glob_selects_files_by_name_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let body = para(1);
    write(dir.path(), "corpus/a.txt", body.as_bytes());
    write(dir.path(), "corpus/sub/c.txt", body.as_bytes());
    write(dir.path(), "corpus/b.md", body.as_bytes());
    write(dir.path(), "corpus/sub/c-draft.txt", body.as_bytes());
    let run = paradup(
        dir.path(),
        &["corpus", "--glob", "*.txt", "--glob", "!*-draft.*"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(summary(&run, "documents"), 2);
    assert_eq!(
        member_locations(&run),
        vec![vec!["corpus/a.txt", "corpus/sub/c.txt"]]
    );

    let by_path = paradup(dir.path(), &["corpus", "--glob", "sub/*.txt"], None);
    assert_eq!(summary(&by_path, "documents"), 2);
    assert_eq!(
        member_locations(&by_path),
        vec![vec!["corpus/sub/c-draft.txt", "corpus/sub/c.txt"]]
    );

    let bad = paradup(dir.path(), &["corpus", "--glob", "[oops"], None);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("invalid glob '[oops'"),
        "{}",
        bad.stderr
    );
}

#[test]
fn jsonl_with_nested_fields_and_per_source_totals() {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        json!({"meta": {"id": "a1", "site": {"host": "daily.example"}}, "body": {"text": format!("{}\n{}", para(1), para(2))}}),
        json!({"meta": {"id": "a2", "site": {"host": "daily.example"}}, "body": {"text": para(3)}}),
        json!({"meta": {"id": "b1", "site": {"host": "copycat.example"}}, "body": {"text": format!("{}\n{}", para(1), para(2))}}),
        json!({"meta": {"id": "c1"}, "body": {"text": para(4)}}),
    ];
    write(dir.path(), "news.jsonl", &jsonl(&records));
    let run = paradup(
        dir.path(),
        &[
            "news.jsonl",
            "--text-field",
            "body.text",
            "--id-field",
            "meta.id",
            "--source-field",
            "meta.site.host",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(summary(&run, "documents"), 4);
    let docs: Vec<&str> = run.report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["doc"].as_str().unwrap())
        .collect();
    assert_eq!(docs, ["a1", "b1"]);
    assert_eq!(
        run.report["sources"],
        json!([
            {"source": "copycat.example", "documents": 1, "paragraphs": 2,
             "duplicate_paragraphs": 2, "duplicate_ratio": 1.0,
             "bytes": records[2]["body"]["text"].as_str().unwrap().len(),
             "duplicate_bytes": para(1).len() + para(2).len(),
             "duplicate_byte_ratio": (((para(1).len() + para(2).len()) as f64
                 / records[2]["body"]["text"].as_str().unwrap().len() as f64) * 1e6).round() / 1e6},
            {"source": "daily.example", "documents": 2, "paragraphs": 3,
             "duplicate_paragraphs": 0, "duplicate_ratio": 0.0,
             "bytes": records[0]["body"]["text"].as_str().unwrap().len() + para(3).len(),
             "duplicate_bytes": 0, "duplicate_byte_ratio": 0.0},
            {"source": null, "documents": 1, "paragraphs": 1,
             "duplicate_paragraphs": 0, "duplicate_ratio": 0.0,
             "bytes": para(4).len(), "duplicate_bytes": 0, "duplicate_byte_ratio": 0.0},
        ])
    );
    let table = run
        .stdout
        .split("Sources (highest duplicate ratio first):")
        .nth(1)
        .expect("a sources table");
    let rows: Vec<&str> = table.lines().skip(2).take(3).collect();
    assert!(
        rows[0].trim_start().starts_with("copycat.example"),
        "{table}"
    );
    assert!(rows[0].trim_end().ends_with("100.0%"), "{table}");
    assert!(rows[1].trim_start().starts_with("daily.example"), "{table}");
    assert!(rows[2].trim_start().starts_with("(no source)"), "{table}");
}

#[test]
fn gzip_and_zstd_are_told_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    // Two gzip members back to back, under a name that says nothing.
    let mut two_members = gzip(&jsonl(&[json!({"id": "g1", "text": para(1)})]));
    two_members.extend(gzip(&jsonl(&[json!({"id": "g2", "text": para(1)})])));
    write(dir.path(), "shard-0001", &two_members);
    let zst = zstd::encode_all(&jsonl(&[json!({"id": "z1", "text": para(1)})])[..], 3).unwrap();
    write(dir.path(), "shard-0002.dat", &zst);
    let run = paradup(dir.path(), &["shard-0001", "shard-0002.dat"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(summary(&run, "documents"), 3);
    assert_eq!(
        member_locations(&run),
        vec![vec!["shard-0001:1", "shard-0001:2", "shard-0002.dat:1"]]
    );
}

#[test]
fn standard_input_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let input = gzip(&jsonl(&[
        json!({"text": para(7)}),
        json!({"text": para(7)}),
    ]));
    let run = paradup(dir.path(), &["-"], Some(input));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(member_locations(&run), vec![vec!["-:1", "-:2"]]);
    assert_eq!(run.report["clusters"][0]["members"][1]["doc"], "-:2");
}

/// A WET file as Common Crawl writes them: warcinfo first, then conversion records.
fn wet_file(records: &[(&str, &str, &str)]) -> Vec<u8> {
    let info = "isPartOf: CC-MAIN-2024-10\r\nsoftware: test\r\n";
    let mut out = format!(
        "WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Date: 2024-03-01T00:00:00Z\r\n\
         WARC-Filename: x.warc.wet.gz\r\nWARC-Record-ID: <urn:uuid:info>\r\n\
         Content-Type: application/warc-fields\r\nContent-Length: {}\r\n\r\n{info}\r\n\r\n",
        info.len()
    );
    for (id, uri, body) in records {
        out.push_str(&format!(
            "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: {uri}\r\n\
             WARC-Date: 2024-03-01T00:00:00Z\r\nWARC-Record-ID: <{id}>\r\n\
             WARC-Refers-To: <urn:uuid:ref>\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        ));
    }
    out.into_bytes()
}

#[test]
fn wet_records_become_documents_with_id_source_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let shared = para(9);
    let wet = wet_file(&[
        (
            "urn:uuid:aaa",
            "https://www.daily.example/news/1",
            &format!("Headline one\n{shared}"),
        ),
        (
            "urn:uuid:bbb",
            "http://Copy.Example:8080/x?y",
            &format!("{shared}\nAnother line"),
        ),
    ]);
    write(dir.path(), "CC-MAIN-00000.warc.wet.gz", &gzip(&wet));
    // Content decides: the same bytes under a neutral name read the same.
    write(dir.path(), "crawl.bin", &wet);
    for name in ["CC-MAIN-00000.warc.wet.gz", "crawl.bin"] {
        let run = paradup(dir.path(), &[name], None);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(summary(&run, "documents"), 2);
        let members = &run.report["clusters"][0]["members"];
        assert_eq!(members[0]["doc"], "urn:uuid:aaa");
        assert_eq!(members[1]["doc"], "urn:uuid:bbb");
        // The warcinfo record and its separator take 12 lines; the first conversion starts on 13.
        assert_eq!(members[0]["location"], format!("{name}:13"));
        assert_eq!(members[1]["location"], format!("{name}:25"));
        let sources: Vec<&str> = run.report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["copy.example", "www.daily.example"]);
    }
}

#[test]
fn format_flag_overrides_detection() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "looks.jsonl",
        &jsonl(&[json!({"text": "a"}), json!({"text": "b"})]),
    );
    let as_text = paradup(dir.path(), &["looks.jsonl", "--format", "text"], None);
    assert_eq!(as_text.code, 0);
    assert_eq!(summary(&as_text, "documents"), 1);
    let as_wet = paradup(dir.path(), &["looks.jsonl", "--format", "wet"], None);
    assert_eq!(as_wet.code, 2);
    assert_eq!(summary(&as_wet, "documents"), 0);
    assert_eq!(
        errors(&as_wet),
        vec![(
            "looks.jsonl".into(),
            Some(1),
            "expected a WARC record header ('WARC/1.0'), found \"{\\\"text\\\":\\\"a\\\"}\"; \
             skipped to the next record"
                .into()
        )]
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn invalid_utf8_is_repaired_counted_and_reported_but_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut latin1 = para(1).into_bytes();
    latin1.extend(b"\nCaf\xe9 cr\xe8me\n");
    write(dir.path(), "old.txt", &latin1);
    write(dir.path(), "rec.jsonl", b"{\"text\": \"ok \xff here\"}\n");
    let run = paradup(dir.path(), &["old.txt", "rec.jsonl"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(summary(&run, "documents"), 2);
    assert_eq!(summary(&run, "skipped_records"), 0);
    assert_eq!(summary(&run, "invalid_utf8_records"), 2);
    assert_eq!(
        run.report["warnings"],
        json!([
            {"path": "old.txt", "line": null, "kind": "invalid_utf8", "message": format!(
                "invalid UTF-8: 2 byte sequences replaced by U+FFFD (first at byte {})",
                para(1).len() + 4)},
            {"path": "rec.jsonl", "line": 1, "kind": "invalid_utf8", "message":
                "invalid UTF-8: 1 byte sequence replaced by U+FFFD (first at byte 13)"},
        ])
    );
    assert!(run
        .stderr
        .contains("paradup: repaired rec.jsonl:1: invalid UTF-8"));
    assert!(run
        .stdout
        .contains("invalid UTF-8: 2 records kept with U+FFFD"));

    let strict = paradup(dir.path(), &["old.txt", "rec.jsonl", "--strict"], None);
    assert_eq!(strict.code, 2);
    assert_eq!(strict.report, Value::Null, "no report after a strict stop");
    assert!(
        strict.stderr.contains(
            "paradup: error: old.txt: invalid UTF-8: 2 byte sequences replaced by U+FFFD"
        ),
        "{}",
        strict.stderr
    );
}

#[test]
fn malformed_json_and_bad_text_fields_are_skipped_with_path_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = jsonl(&[json!({"text": para(1)})]);
    input.extend(b"{\"text\": \"unterminated\n");
    input.extend(b"\n"); // blank lines are not records
    input.extend(jsonl(&[
        json!({"body": "no text field"}),
        json!({"text": 42}),
        json!({"text": null}),
        json!(["not", "an", "object"]),
        json!({"text": para(1)}),
    ]));
    write(dir.path(), "dirty.jsonl", &input);
    let run = paradup(dir.path(), &["dirty.jsonl"], None);
    assert_eq!(run.code, 2);
    assert_eq!(summary(&run, "documents"), 2);
    assert_eq!(summary(&run, "skipped_records"), 5);
    let expected: Vec<(String, Option<u64>, String)> = vec![
        (
            "dirty.jsonl".into(),
            Some(2),
            "invalid JSON at the end of the line: control character (\\u0000-\\u001F) found while \
             parsing a string"
                .into(),
        ),
        (
            "dirty.jsonl".into(),
            Some(4),
            "missing text field 'text'".into(),
        ),
        (
            "dirty.jsonl".into(),
            Some(5),
            "text field 'text' is a number, not a string".into(),
        ),
        (
            "dirty.jsonl".into(),
            Some(6),
            "text field 'text' is null, not a string".into(),
        ),
        (
            "dirty.jsonl".into(),
            Some(7),
            "expected a JSON object, found an array".into(),
        ),
    ];
    assert_eq!(errors(&run), expected);
    for (path, line, message) in &expected {
        let shown = format!("paradup: skipped {path}:{}: {message}", line.unwrap());
        assert!(run.stderr.contains(&shown), "{}", run.stderr);
    }
    assert_eq!(
        member_locations(&run),
        vec![vec!["dirty.jsonl:1", "dirty.jsonl:8"]]
    );
    assert!(run.stdout.contains("skipped: 5 records or files"));

    let strict = paradup(dir.path(), &["dirty.jsonl", "--strict"], None);
    assert_eq!(strict.code, 2);
    assert_eq!(strict.report, Value::Null);
    assert_eq!(
        strict.stderr.trim_end(),
        "paradup: error: dirty.jsonl:2: invalid JSON at the end of the line: control character \
         (\\u0000-\\u001F) found while parsing a string (--strict: stopped at the first bad record)"
    );
}

#[test]
fn truncated_gzip_keeps_the_records_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = (0..400)
        .map(|i| json!({"id": format!("r{i}"), "text": para(i)}))
        .collect();
    let whole = gzip(&jsonl(&records));
    write(dir.path(), "cut.jsonl.gz", &whole[..whole.len() / 2]);
    let run = paradup(dir.path(), &["cut.jsonl.gz"], None);
    assert_eq!(run.code, 2);
    let documents = summary(&run, "documents");
    assert!(documents > 100 && documents < 400, "{documents}");
    assert_eq!(
        errors(&run),
        vec![(
            "cut.jsonl.gz".into(),
            Some(documents + 1),
            "truncated gzip stream (incomplete deflate stream); records before this line were \
             kept, the rest of the file is lost"
                .into()
        )]
    );

    // Cut inside the trailer: every record is there, the truncation still reported.
    write(dir.path(), "trailer.jsonl.gz", &whole[..whole.len() - 3]);
    let run = paradup(dir.path(), &["trailer.jsonl.gz"], None);
    assert_eq!(run.code, 2);
    assert_eq!(summary(&run, "documents"), 400);
    assert_eq!(errors(&run).len(), 1);
    assert_eq!(errors(&run)[0].1, Some(401));
}

#[test]
fn truncated_zstd_and_wet_are_reported_too() {
    let dir = tempfile::tempdir().unwrap();
    // zstd decodes whole blocks (up to 128 KiB): enough records for several.
    let records: Vec<Value> = (0..4000).map(|i| json!({"text": para(i)})).collect();
    let whole = zstd::encode_all(&jsonl(&records)[..], 3).unwrap();
    write(dir.path(), "cut.zst", &whole[..whole.len() / 2]);
    let run = paradup(dir.path(), &["cut.zst"], None);
    assert_eq!(run.code, 2);
    let documents = summary(&run, "documents");
    assert!(documents > 0 && documents < 4000, "{documents}");
    let errs = errors(&run);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].1, Some(documents + 1));
    assert!(
        errs[0].2.starts_with("truncated zstd stream"),
        "{}",
        errs[0].2
    );

    let wet = wet_file(&[
        ("urn:uuid:1", "http://a.example/", &para(1)),
        ("urn:uuid:2", "http://b.example/", &para(2)),
    ]);
    write(dir.path(), "cut.wet", &wet[..wet.len() - 40]);
    let run = paradup(dir.path(), &["cut.wet"], None);
    assert_eq!(run.code, 2);
    assert_eq!(summary(&run, "documents"), 1);
    let errs = errors(&run);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].1, Some(24));
    assert!(
        errs[0]
            .2
            .starts_with("truncated WARC record: the input ends inside its block"),
        "{}",
        errs[0].2
    );
}

#[test]
fn binary_file_in_a_folder_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "corpus/a.txt", para(1).as_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend([0u8, 0, 0, 13]);
    png.extend(b"IHDR");
    write(dir.path(), "corpus/logo.png", &png);
    let run = paradup(dir.path(), &["corpus"], None);
    assert_eq!(run.code, 2);
    assert_eq!(summary(&run, "documents"), 1);
    assert_eq!(
        errors(&run),
        vec![(
            "corpus/logo.png".into(),
            None,
            "binary file (NUL byte at offset 8), not text".into()
        )]
    );
    assert!(run
        .stderr
        .contains("paradup: skipped corpus/logo.png: binary file"));
}

#[test]
fn empty_files_are_empty_documents_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.txt", b"");
    write(dir.path(), "empty.jsonl", b"");
    write(dir.path(), "empty.jsonl.gz", &gzip(b""));
    write(dir.path(), "blank.wet", b"\r\n\r\n");
    let run = paradup(
        dir.path(),
        &["empty.txt", "empty.jsonl", "empty.jsonl.gz", "blank.wet"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The text file is one document with no paragraphs; the record formats hold no records.
    assert_eq!(summary(&run, "documents"), 1);
    assert_eq!(summary(&run, "paragraphs"), 0);
    assert_eq!(summary(&run, "skipped_records"), 0);
    assert_eq!(run.stderr, "");
}

/// 100 MB on one line, as JSON Lines and as plain text: read in one pass, no quadratic step.
#[test]
fn a_100_mb_single_line() {
    let dir = tempfile::tempdir().unwrap();
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
    ];
    let mut text = String::with_capacity(100 << 20);
    let mut i = 0usize;
    while text.len() < 100 << 20 {
        text.push_str(words[i % words.len()]);
        text.push(' ');
        i += 1;
    }
    let bytes = text.len() as u64;
    let mut line = b"{\"id\": \"big\", \"text\": \"".to_vec();
    line.extend(text.as_bytes());
    line.extend(b"\"}\n");
    write(dir.path(), "big.jsonl", &line);
    drop(line);
    write(dir.path(), "big.txt", text.as_bytes());
    drop(text);
    for name in ["big.jsonl", "big.txt"] {
        let started = Instant::now();
        let run = paradup(dir.path(), &[name], None);
        let took = started.elapsed();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(summary(&run, "documents"), 1);
        assert_eq!(summary(&run, "paragraphs"), 1);
        assert_eq!(summary(&run, "bytes"), bytes);
        // Linear work takes seconds in a release build; a quadratic step would take hours.
        let limit = if cfg!(debug_assertions) { 900 } else { 120 };
        assert!(
            took < Duration::from_secs(limit),
            "{name}: {took:?} for 100 MB"
        );
    }
}

#[test]
fn a_missing_input_is_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "here.txt", para(1).as_bytes());
    let run = paradup(dir.path(), &["here.txt", "gone.txt"], None);
    assert_eq!(run.code, 2);
    assert_eq!(summary(&run, "documents"), 1);
    assert_eq!(
        errors(&run),
        vec![(
            "gone.txt".into(),
            None,
            "cannot open: No such file or directory (os error 2)".into()
        )]
    );
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", para(1).as_bytes());
    let run = paradup(dir.path(), &["a.txt"], None);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "");
}

/// Reads resolved inputs with the library, collecting documents' ids and skips.
fn read_all(inputs: &paradup::Inputs) -> (Vec<String>, Vec<paradup::InputError>) {
    let (mut ids, mut skipped) = (Vec::new(), Vec::new());
    let _ = inputs.read(&paradup::ReadOptions::default(), &mut |event| {
        match event {
            paradup::ReadEvent::Document(d) => ids.push(d.id),
            paradup::ReadEvent::Skipped(e) => skipped.push(e),
            paradup::ReadEvent::Repaired(_) | paradup::ReadEvent::FileOffsets(_) => {}
            paradup::ReadEvent::Columnar(_) => panic!("documents come one by one unless asked"),
        }
        std::ops::ControlFlow::Continue(())
    });
    (ids, skipped)
}

#[test]
fn a_file_that_disappears_or_turns_into_a_folder_after_resolving() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    let a = write(&corpus, "a.txt", b"first");
    let b = write(&corpus, "b.txt", b"second");
    write(&corpus, "c.txt", b"third");
    let (inputs, errors) = paradup::Inputs::resolve(&[corpus.display().to_string()]);
    assert!(errors.is_empty());
    assert_eq!(inputs.file_count(), 3);
    assert_eq!(inputs.total_bytes(), Some(16));
    std::fs::remove_file(&a).unwrap();
    // Root can read any file, so unreadability is made with a folder where a file was.
    std::fs::remove_file(&b).unwrap();
    std::fs::create_dir(&b).unwrap();
    let (ids, skipped) = read_all(&inputs);
    assert_eq!(ids, [corpus.join("c.txt").display().to_string()]);
    let shown: Vec<String> = skipped.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            format!(
                "{}: cannot open: No such file or directory (os error 2)",
                a.display()
            ),
            format!("{}: read failed: Is a directory (os error 21)", b.display()),
        ]
    );
    assert_eq!(inputs.bytes_read(), 5);
}
