//! `paradup dedup`: the output is the input with exactly the repeated paragraphs (and the
//! whitespace the README says goes with them) removed, byte for byte; a scan of the output finds no
//! repeats; JSON Lines records keep every other byte; gzip stays gzip; outputs never overwrite inputs.

mod common;

use common::{s, scan_report, Scratch, DISCLAIMER, PARAGRAPHS as P};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;

/// The README's rule, written independently of the implementation: a removed paragraph takes the
/// whitespace after it when a kept paragraph follows, otherwise the whitespace before it.
fn expected_dedup(text: &str, removed: &[(usize, usize)]) -> String {
    let mut spans = removed.to_vec();
    spans.sort();
    let skip_ws = |from: usize| from + (text[from..].len() - text[from..].trim_start().len());
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for (i, &(start, end)) in spans.iter().enumerate() {
        // Is there a kept paragraph after this one?
        let mut pos = end;
        let mut later = spans[i + 1..].iter();
        let kept_after = loop {
            pos = skip_ws(pos);
            if pos == text.len() {
                break false;
            }
            match later.next() {
                Some(&(s, e)) if s == pos => pos = e,
                _ => break true,
            }
        };
        let before = text[..start].trim_end().len();
        let cut = if kept_after {
            (start, skip_ws(end))
        } else if before > 0 || !text[..start].trim().is_empty() {
            (before, end)
        } else {
            (start, end)
        };
        cuts.push(cut);
    }
    cuts.sort();
    let mut out = String::new();
    let mut at = 0;
    for (start, end) in cuts {
        if start > at {
            out.push_str(&text[at..start]);
        }
        at = at.max(end);
    }
    out.push_str(&text[at..]);
    out
}

/// Repeated spans (every cluster member but the first) per location, from a scan report.
fn repeats_by_location(report: &Value) -> BTreeMap<String, Vec<(usize, usize)>> {
    let mut map: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for cluster in report["clusters"].as_array().unwrap() {
        for member in &cluster["members"].as_array().unwrap()[1..] {
            map.entry(member["location"].as_str().unwrap().to_string())
                .or_default()
                .push((
                    member["start"].as_u64().unwrap() as usize,
                    member["end"].as_u64().unwrap() as usize,
                ));
        }
    }
    map
}

fn dedup(scratch: &Scratch, args: &[&str]) -> (i32, String) {
    scratch.run(&[&["dedup"], args].concat())
}

#[test]
fn text_folder_loses_exactly_its_repeated_spans() {
    let scratch = Scratch::new();
    // Blank-line paragraphs, a repeat in the middle and one at the end; CRLF line paragraphs;
    // the bundled sample's kinds of duplication.
    scratch.write(
        "in/news/a.txt",
        &format!("{}\n\n{}\n\n{}\n\n{DISCLAIMER}\n", P[0], P[1], P[2]),
    );
    scratch.write(
        "in/news/b.txt",
        &format!(
            "{}\n\n{}\n\n{}\n\n{}\n\n{DISCLAIMER}\n",
            P[3], P[1], P[4], P[3]
        ),
    );
    scratch.write(
        "in/c.txt",
        &format!("{}\r\n{}\r\n{}\r\n{}", P[5], DISCLAIMER, P[6], P[5]),
    );
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/articles")).unwrap()
    {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        scratch.write(
            &format!("in/articles/{name}"),
            &std::fs::read_to_string(entry.path()).unwrap(),
        );
    }
    let input = scratch.path("in");
    let report = scan_report(&scratch, &[&input]);
    let duplicates = report["summary"]["duplicate_paragraphs"].as_u64().unwrap();
    assert!(duplicates >= 30, "{duplicates}");
    let repeats = repeats_by_location(&report);

    let (code, out) = dedup(&scratch, &["in", "-o", "out"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("removed:       {duplicates} duplicate paragraphs")),
        "{out}"
    );
    let mut removed_bytes = 0;
    let mut files = 0;
    for (relative, display) in walk(&input) {
        let original = std::fs::read_to_string(input.join(&relative)).unwrap();
        let written = scratch.read(&format!("out/{relative}"));
        let spans = repeats.get(&display).cloned().unwrap_or_default();
        assert_eq!(written, expected_dedup(&original, &spans), "{relative}");
        removed_bytes += original.len() - written.len();
        files += 1;
    }
    assert_eq!(files, 9);
    assert!(removed_bytes > 0);
    // Spot checks of the rule on the hand-made files.
    // c.txt holds the first disclaimer (folders are read in sorted order).
    assert_eq!(
        scratch.read("out/news/a.txt"),
        format!("{}\n\n{}\n\n{}\n", P[0], P[1], P[2])
    );
    assert_eq!(
        scratch.read("out/news/b.txt"),
        format!("{}\n\n{}\n", P[3], P[4])
    );
    assert_eq!(
        scratch.read("out/c.txt"),
        format!("{}\r\n{DISCLAIMER}\r\n{}", P[5], P[6])
    );

    // The cleaned corpus has no repeats left.
    let rescan = scan_report(&scratch, &[&scratch.path("out")]);
    assert_eq!(rescan["summary"]["duplicate_paragraphs"], 0);
    assert_eq!(
        rescan["summary"]["paragraphs"].as_u64().unwrap(),
        report["summary"]["paragraphs"].as_u64().unwrap() - duplicates
    );
}

/// Files under `root`, as (path relative to root, path as the scan names it).
fn walk(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string();
                out.push((relative, path.to_str().unwrap().to_string()));
            }
        }
    }
    out
}

fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Records with odd spacing, key orders, escapes and numbers that a re-serialization would change.
fn jsonl_corpus(scratch: &Scratch) -> (String, Vec<String>) {
    let texts = [
        format!("{}\n\n{}\n", P[0], P[1]),
        format!("{}\n\n{}\n\n{}", P[2], P[1], P[3]),
        format!("{}\n{}", P[0], P[2]),
        format!("{}\n{}\n{}\n", P[4], P[5], P[4]),
    ];
    let lines = [
        format!(
            r#"{{"id": "a", "meta": {{"lang": "en"}}, "text": {}, "score": 1.50}}"#,
            json(&texts[0])
        ),
        format!(
            r#"{{"text":{},"id":"b","url":"http://x/caf\u00e9"}}"#,
            json(&texts[1])
        ),
        String::new(),
        format!(r#"{{ "id" : "c" , "text" : {} }}"#, json(&texts[2])),
        format!(
            r#"{{"id":"d","text":{},"tags":["x",1e3]}}"#,
            json(&texts[3])
        ),
    ];
    let content = lines.join("\n") + "\n";
    scratch.write("c.jsonl", &content);
    (content, texts.to_vec())
}

#[test]
fn jsonl_records_keep_every_other_byte() {
    let scratch = Scratch::new();
    let (content, texts) = jsonl_corpus(&scratch);
    let report = scan_report(&scratch, &[&scratch.path("c.jsonl")]);
    let repeats = repeats_by_location(&report);
    let (code, out) = dedup(&scratch, &["c.jsonl", "-o", "clean.jsonl"]);
    assert_eq!(code, 0, "{out}");
    let written = scratch.read("clean.jsonl");
    let input_lines: Vec<&str> = content.split('\n').collect();
    let output_lines: Vec<&str> = written.split('\n').collect();
    assert_eq!(input_lines.len(), output_lines.len());
    let record_lines = [1usize, 2, 4, 5];
    for (number, (input, output)) in input_lines.iter().zip(&output_lines).enumerate() {
        let number = number + 1;
        let Some(record) = record_lines.iter().position(|&n| n == number) else {
            assert_eq!(input, output, "line {number}");
            continue;
        };
        let text = &texts[record];
        let spans = repeats
            .get(&format!("{}:{number}", s(&scratch.path("c.jsonl"))))
            .cloned()
            .unwrap_or_default();
        let expected = input.replace(&json(text), &json(&expected_dedup(text, &spans)));
        assert_eq!(*output, expected, "line {number}");
    }
    // Record a is the canonical copy of everything; b, c and d lose paragraphs.
    assert_eq!(output_lines[0], input_lines[0]);
    assert_eq!(
        output_lines[1],
        format!(
            r#"{{"text":{},"id":"b","url":"http://x/caf\u00e9"}}"#,
            json(&format!("{}\n\n{}", P[2], P[3]))
        )
    );
    assert_eq!(output_lines[3], r#"{ "id" : "c" , "text" : "" }"#);
    assert!(
        out.contains("removed:       4 duplicate paragraphs"),
        "{out}"
    );
}

#[test]
fn annotate_lists_the_spans_and_keeps_the_text() {
    let scratch = Scratch::new();
    let (content, _) = jsonl_corpus(&scratch);
    let report = scan_report(&scratch, &[&scratch.path("c.jsonl")]);
    let repeats = repeats_by_location(&report);
    let (code, out) = dedup(
        &scratch,
        &["c.jsonl", "-o", "annotated.jsonl", "--annotate"],
    );
    assert_eq!(code, 0, "{out}");
    let written = scratch.read("annotated.jsonl");
    for (number, (input, output)) in content.split('\n').zip(written.split('\n')).enumerate() {
        if input.is_empty() {
            assert!(output.is_empty());
            continue;
        }
        // The original record, then the added field.
        let stem = input.trim_end().strip_suffix('}').unwrap();
        assert!(output.starts_with(stem), "{output}");
        assert!(output.contains(r#""paradup":{"duplicates":["#), "{output}");
        let record: Value = serde_json::from_str(output).unwrap();
        let original: Value = serde_json::from_str(input).unwrap();
        assert_eq!(record["text"], original["text"]);
        let listed: Vec<(usize, usize)> = record["paradup"]["duplicates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["start"].as_u64().unwrap() as usize,
                    d["end"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        let location = format!("{}:{}", s(&scratch.path("c.jsonl")), number + 1);
        let mut expected = repeats.get(&location).cloned().unwrap_or_default();
        expected.sort();
        assert_eq!(listed, expected, "line {}", number + 1);
    }
    let record_c: Value = serde_json::from_str(written.split('\n').nth(3).unwrap()).unwrap();
    assert_eq!(record_c["paradup"]["duplicate_document"], true);
    assert!(record_c["paradup"]["duplicates"][0]["cluster"].is_u64());
    assert_eq!(record_c["paradup"]["duplicates"][0]["canonical"], "a");
}

#[test]
fn whole_repeated_documents_can_be_dropped() {
    let scratch = Scratch::new();
    let (content, _) = jsonl_corpus(&scratch);
    let (code, out) = dedup(
        &scratch,
        &[
            "c.jsonl",
            "-o",
            "dropped.jsonl",
            "--drop-duplicate-documents",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("dropped:       1 document whose"), "{out}");
    let written = scratch.read("dropped.jsonl");
    let kept: Vec<&str> = written.lines().collect();
    assert_eq!(kept.len(), content.lines().count() - 1);
    assert!(!written.contains(r#""id" : "c""#));
}

#[test]
fn gzip_in_gzip_out_and_bad_records_pass_through() {
    let scratch = Scratch::new();
    let (content, _) = jsonl_corpus(&scratch);
    let with_bad = format!("{content}not json at all\n");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(with_bad.as_bytes()).unwrap();
    std::fs::write(scratch.path("c2.jsonl.gz"), encoder.finish().unwrap()).unwrap();
    let (code, _) = dedup(&scratch, &["c.jsonl", "-o", "plain.jsonl"]);
    assert_eq!(code, 0);
    // A skipped record is an error (exit 2), but it is kept in the output as it was.
    let (code, _) = dedup(&scratch, &["c2.jsonl.gz", "-o", "out.jsonl.gz"]);
    assert_eq!(code, 2);
    let raw = std::fs::read(scratch.path("out.jsonl.gz")).unwrap();
    assert_eq!(&raw[..2], &[0x1f, 0x8b]);
    let mut decoded = String::new();
    flate2::read::MultiGzDecoder::new(&raw[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, scratch.read("plain.jsonl") + "not json at all\n");
}

#[test]
fn the_output_may_not_be_an_input() {
    let scratch = Scratch::new();
    let (content, _) = jsonl_corpus(&scratch);
    scratch.write("docs/a.txt", &format!("{}\n{}\n", P[0], P[0]));
    for args in [
        ["c.jsonl", "-o", "c.jsonl"],
        ["docs", "-o", "docs/clean"],
        ["docs/a.txt", "-o", "docs"],
        ["docs/a.txt", "-o", "."],
    ] {
        let (code, _) = dedup(&scratch, &args);
        assert_eq!(code, 2, "{args:?}");
    }
    assert_eq!(scratch.read("c.jsonl"), content);
    assert_eq!(scratch.read("docs/a.txt"), format!("{}\n{}\n", P[0], P[0]));
    assert!(!scratch.path("docs/clean").exists());
    // --annotate needs records to add a field to.
    let (code, _) = dedup(&scratch, &["docs", "-o", "x", "--annotate"]);
    assert_eq!(code, 2);
}
