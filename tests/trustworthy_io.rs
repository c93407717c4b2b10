//! Regressions of issue 11 ("Trustworthy I/O"), one test per finding: the CI gate's verdict and
//! exit status agree, the reference is read with its own fields, corpus text cannot drive the
//! terminal, odd but real inputs are read, spans point into files as stored, and every figure and
//! word is the same wherever it is shown.

mod common;

use common::{paradup, s, Scratch, DISCLAIMER, PARAGRAPHS as P};
use serde_json::{json, Value};

fn json_file(scratch: &Scratch, relative: &str) -> Value {
    serde_json::from_str(&scratch.read(relative)).unwrap()
}

/// Finding 6: a skipped record fails the check with a verdict line that says so (exit 2, never
/// "passed"), is annotated for GitHub, may be tolerated with `--max-skipped`; a reference that is
/// missing or empty is an error; `--json` writes the verdicts.
#[test]
fn check_verdict_agrees_with_the_exit_status() {
    let scratch = Scratch::new();
    scratch.write(
        "docs/a.jsonl",
        &format!(
            "{}\n{{\"text\": broken\n{}\n",
            json!({"text": P[0]}),
            json!({"text": P[1]})
        ),
    );
    let (code, out) = scratch.run(&["check", "docs", "--max-duplicate-ratio", "0.5"]);
    assert_eq!(code, 2, "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("paradup check: FAILED ("), "{out}");
    assert!(
        last.contains("1 record or file skipped, more than --max-skipped 0"),
        "{out}"
    );
    assert!(
        out.contains("FAIL skipped: 1 record or file could not be read exceeding --max-skipped 0"),
        "{out}"
    );
    assert!(
        out.contains("       docs/a.jsonl:2: skipped: invalid JSON"),
        "{out}"
    );

    // Under GitHub Actions the skipped record is annotated on its line.
    let out = paradup()
        .current_dir(scratch.dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["check", "docs", "--max-duplicate-ratio", "0.5", "--quiet"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "::error file=docs/a.jsonl,line=2,title=paradup check::skipped: invalid JSON"
        ),
        "{stdout}"
    );

    // Tolerated on purpose: the limits decide, and the verdict line says passed.
    let (code, out) = scratch.run(&[
        "check",
        "docs",
        "--max-duplicate-ratio",
        "0.5",
        "--max-skipped",
        "1",
        "--json",
        "verdicts.json",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("paradup check: passed (1 limit)\n"), "{out}");
    assert!(out.contains("ok   skipped: 1 record or file could not be read within --max-skipped 1"));
    let verdicts = json_file(&scratch, "verdicts.json");
    assert_eq!(verdicts["schema"], "paradup.check/v1");
    assert_eq!(verdicts["passed"], true);
    assert_eq!(verdicts["exit_code"], 0);
    assert_eq!(verdicts["summary"]["skipped_records"], 1);
    assert_eq!(
        verdicts["verdicts"][0]["measure"]["limit"],
        "duplicate_ratio"
    );
    assert_eq!(verdicts["verdicts"][0]["exceeded"], false);
    assert_eq!(verdicts["verdicts"][1]["measure"]["limit"], "skipped");
    assert_eq!(
        verdicts["verdicts"][1]["offenders"][0]["location"],
        "docs/a.jsonl:2"
    );
    assert_eq!(verdicts["errors"][0]["line"], 2);

    // The JSON says what the exit status says when a limit fails.
    scratch.write("docs/b.txt", &format!("{}\n", P[0]));
    let (code, _) = scratch.run(&[
        "check",
        "docs",
        "--max-duplicate-ratio",
        "0",
        "--max-skipped",
        "1",
        "--json",
        "verdicts.json",
    ]);
    assert_eq!(code, 1);
    let verdicts = json_file(&scratch, "verdicts.json");
    assert_eq!(
        (verdicts["passed"].clone(), verdicts["exit_code"].clone()),
        (json!(false), json!(1))
    );
    assert_eq!(
        verdicts["verdicts"][0]["offenders"][0]["location"],
        "docs/b.txt:1"
    );

    // A reference that is missing, or holds nothing, is an error before any verdict.
    for reference in ["no-such-folder", "empty"] {
        std::fs::create_dir_all(scratch.path("empty")).unwrap();
        let out = paradup()
            .current_dir(scratch.dir.path())
            .args([
                "check",
                "docs",
                "--max-skipped",
                "1",
                "--reference",
                reference,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{reference}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(!stdout.contains("passed"), "{stdout}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(reference), "{stderr}");
    }
}

/// Finding 7: the reference has its own format and field names, and `--reference` takes one
/// value, so that the inputs may follow it.
#[test]
fn reference_read_with_its_own_fields() {
    let scratch = Scratch::new();
    scratch.write(
        "train/shard.jsonl",
        &format!(
            "{}\n{}\n",
            json!({"doc_id": "t1", "content": P[3]}),
            json!({"doc_id": "t2", "content": P[4]})
        ),
    );
    scratch.write(
        "test.jsonl",
        &format!(
            "{}\n{}\n",
            json!({"qid": "q1", "prompt": P[3]}),
            json!({"qid": "q2", "prompt": P[5]})
        ),
    );
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "compare",
            "--reference",
            "train/",
            "test.jsonl",
            "--text-field",
            "prompt",
            "--id-field",
            "qid",
            "--reference-text-field",
            "content",
            "--reference-id-field",
            "doc_id",
            "--reference-format",
            "jsonl",
            "--json",
            "leaks.json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 item with at least one matched span"),
        "{stdout}"
    );
    let report = json_file(&scratch, "leaks.json");
    let item = &report["items"][0];
    assert_eq!(item["doc"], "q1", "{report}");
    assert_eq!(item["spans"][0]["reference"]["doc"], "t1", "{report}");
    assert_eq!(
        item["spans"][0]["reference"]["location"],
        "train/shard.jsonl:1"
    );
    assert_eq!(report["items"][1]["spans"].as_array().unwrap().len(), 0);

    // `check` takes the same flags.
    let (code, out) = scratch.run(&[
        "check",
        "--reference",
        "train",
        "test.jsonl",
        "--text-field",
        "prompt",
        "--reference-text-field",
        "content",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("test.jsonl:1: 20 words also in the reference at train/shard.jsonl:1"),
        "{out}"
    );
}

/// Finding 14: counts agree with their nouns; `--unit document` speaks of documents; a negative
/// number is a value (rejected as out of range), not a flag; `*` in `--glob` does not cross `/`.
#[test]
fn wording_negative_values_and_globs() {
    let scratch = Scratch::new();
    scratch.write("one/a.txt", &format!("{}\n{}\n{}\n", P[0], P[1], P[0]));
    let (code, out) = scratch.run(&["scan", "one"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("paradup scan: 1 document, 3 paragraphs,"),
        "{out}"
    );
    assert!(out.contains("duplicates:   1 paragraph (33.3%)"), "{out}");
    assert!(
        out.contains("one/a.txt: 1 repeated paragraph in 1 cluster\n"),
        "{out}"
    );

    scratch.write("docs/x.txt", &format!("{}\n\n{}\n", P[2], P[3]));
    scratch.write("docs/y.txt", &format!("{}\n\n{}\n", P[2], P[3]));
    let (code, out) = scratch.run(&["scan", "docs", "--unit", "document"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("duplicates:   1 document (50.0%)"), "{out}");
    assert!(!out.contains("paragraph"), "{out}");
    let (code, out) = scratch.run(&["check", "docs", "--unit", "document"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("(1 of 2 documents)"), "{out}");
    assert!(out.contains("repeated document: 1 repeat"), "{out}");
    assert!(!out.contains("paragraph"), "{out}");

    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["dedup", "one/a.txt", "-o", "clean.txt"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(" 1 document in 1 file written to clean.txt"),
        "{stdout}"
    );
    assert!(
        stdout.contains("removed:       1 duplicate paragraph ("),
        "{stdout}"
    );

    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["check", "docs", "--max-duplicate-ratio", "-0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--max-duplicate-ratio must be between 0 and 1, got -0.1"),
        "{stderr}"
    );

    scratch.write("tree/2024/a.txt", P[4]);
    scratch.write("tree/2024/01/b.txt", P[5]);
    let report = scratch.path("glob.json");
    paradup()
        .current_dir(scratch.dir.path())
        .args([
            "scan",
            "tree",
            "--glob",
            "2024/*.txt",
            "--quiet",
            "--json",
            s(&report),
        ])
        .assert()
        .code(0);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["summary"]["documents"], 1, "{report}");
}

/// Finding 15: the per-source duplicate share is one figure, the same in the JSON report, the
/// HTML report and the terminal, even when documents hold paragraphs without words.
#[test]
fn per_source_share_is_one_figure_everywhere() {
    let scratch = Scratch::new();
    // Paragraphs of punctuation only count in no ratio: they have no words.
    scratch.write(
        "news.jsonl",
        &format!(
            "{}\n{}\n",
            json!({"site": "a.example", "text": format!("{}\n\n***\n\n---\n\n{}\n\n* * *\n\n{DISCLAIMER}", P[0], P[1])}),
            json!({"site": "b.example", "text": format!("{}\n\n***\n\n{DISCLAIMER}\n\n+++\n\n{}", P[2], P[3])}),
        ),
    );
    let (code, out) = scratch.run(&[
        "scan",
        "news.jsonl",
        "--source-field",
        "site",
        "--json",
        "r.json",
        "--html",
        "r.html",
    ]);
    assert_eq!(code, 0, "{out}");
    let report = json_file(&scratch, "r.json");
    let b = report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "b.example")
        .unwrap()
        .clone();
    assert_eq!(b["paragraphs"], 3, "{b}");
    assert_eq!(b["duplicate_paragraphs"], 1, "{b}");
    let share = "33.3%";
    let html = scratch.read("r.html");
    let row = html
        .lines()
        .find(|l| l.contains("<td class=\"location\">b.example</td>"))
        .expect("a source row in the HTML report");
    assert!(
        row.contains(&format!(
            "<td class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">{share}</td>"
        )),
        "{row}"
    );
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("b.example"))
        .expect("a source row in the terminal");
    assert!(line.trim_end().ends_with(share), "{line}");
}

/// Finding 10: control characters and escape sequences in the corpus (or its file names) reach
/// the terminal and GitHub annotations escaped, never as bytes a terminal would act on.
#[test]
fn corpus_text_cannot_drive_the_terminal() {
    let scratch = Scratch::new();
    let hostile = format!("\x1b]0;owned\x07\x1b[2J{} \u{202E}gnp.exe", P[6]);
    scratch.write("docs/a.txt", &format!("{hostile}\n{}\n", P[7]));
    scratch.write("docs/b\x1b[31m.txt", &format!("{hostile}\n{}\n", P[8]));
    scratch.write("docs/c.jsonl", "{\"text\": broken\n");
    let acting = |text: &str| {
        text.chars()
            .any(|c| c == '\x1b' || c == '\x07' || c == '\u{202E}')
    };
    for args in [
        &["scan", "docs"][..],
        &["check", "docs", "--max-skipped", "5"],
        &["compare", "docs/a.txt", "--reference", "docs/b\x1b[31m.txt"],
    ] {
        let out = paradup()
            .current_dir(scratch.dir.path())
            .env("GITHUB_ACTIONS", "true")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(!acting(&stdout), "{args:?}: {stdout:?}");
        assert!(!acting(&stderr), "{args:?}: {stderr:?}");
        // Shown escaped (a comparison's spans start at the first word, "0").
        assert!(stdout.contains("owned\\x07\\x1b[2J"), "{args:?}: {stdout}");
        if args[0] == "check" {
            assert!(
                stdout.contains("::error file=docs/b\\x1b[31m.txt,line=1,"),
                "{stdout}"
            );
        }
    }
}

/// Finding 11: a lone surrogate escape is repaired and counted, not a skip; an id that is not a
/// string is named by its JSON text; a `.json` file holding an array of objects is read as
/// documents; messages give the file's own line and the column, not serde's position in the
/// record.
#[test]
fn odd_json_records_are_read() {
    let scratch = Scratch::new();
    scratch.write(
        "a.jsonl",
        &format!(
            "{{\"id\": 1e400, \"text\": \"{}\"}}\n{{\"id\": {{\"shard\": 3}}, \"text\": \"{}\\n\\ncut \\ud800 here\"}}\n{{\"text\": \"no end\n",
            P[0], P[0]
        ),
    );
    // Pretty-printed, with two objects starting on line 3; the second one's paragraph is the
    // first copy of a passage repeated in the JSON Lines file that follows it.
    scratch.write(
        "b.json",
        &format!(
            "[\n  {{\"id\": \"b0\", \"text\": \"{}\"}},\n  {{\"id\": \"b1\", \"text\": \"{}\"}}, {{\"id\": \"b2\", \"text\": \"{}\"}}\n]\n",
            P[1], P[2], P[3]
        ),
    );
    scratch.write(
        "c.jsonl",
        &format!("{}\n", json!({"id": "c0", "text": P[3]})),
    );
    let (code, out) = scratch.run(&["scan", "a.jsonl", "b.json", "c.jsonl", "--json", "r.json"]);
    assert_eq!(code, 2, "{out}");
    let report = json_file(&scratch, "r.json");
    assert_eq!(report["summary"]["documents"], 6, "{report}");
    assert_eq!(report["summary"]["invalid_utf8_records"], 1);
    assert_eq!(report["warnings"][0]["line"], 2);
    let warning = report["warnings"][0]["message"].as_str().unwrap();
    assert!(
        warning.starts_with("lone surrogate escape: 1 replaced by U+FFFD"),
        "{warning}"
    );
    assert_eq!(report["summary"]["skipped_records"], 1);
    assert_eq!(report["errors"][0]["line"], 3);
    let error = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        error.starts_with("invalid JSON at the end of the line: "),
        "{error}"
    );
    assert!(!error.contains(" at line "), "{error}");

    let clusters = report["clusters"].as_array().unwrap();
    let docs = |cluster: &Value| -> Vec<(String, String)> {
        cluster["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["doc"].as_str().unwrap().into(),
                    m["location"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    assert_eq!(
        docs(&clusters[0]),
        [
            ("1e400".into(), "a.jsonl:1".into()),
            ("{\"shard\": 3}".into(), "a.jsonl:2".into())
        ]
    );
    assert_eq!(
        docs(&clusters[1]),
        [
            ("b2".into(), "b.json:3".into()),
            ("c0".into(), "c.jsonl:1".into())
        ]
    );
    assert_eq!(
        clusters[1]["text"], P[3],
        "the text of b2, not of b1 on the same line"
    );

    let bad = scratch.write("bad.json", "[\n  {\"text\": \"a\"},\n  {\"text\": }\n]\n");
    let (_, _) = scratch.run(&["scan", s(&bad), "--json", "bad.json.report"]);
    let report = json_file(&scratch, "bad.json.report");
    assert_eq!(report["errors"][0]["line"], 3, "{report}");
    let message = report["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid JSON array at column 12: "),
        "{message}"
    );
}

/// The bytes of `path` that a report member's `start`/`end` point at.
fn stored(scratch: &Scratch, relative: &str, member: &Value) -> Vec<u8> {
    let bytes = std::fs::read(scratch.path(relative)).unwrap();
    let (start, end) = (
        member["start"].as_u64().unwrap() as usize,
        member["end"].as_u64().unwrap() as usize,
    );
    assert!(end <= bytes.len(), "{member} beyond {} bytes", bytes.len());
    bytes[start..end].to_vec()
}

/// Finding 12: in a text file with invalid UTF-8, `start`/`end` are offsets into the file as
/// stored (each bad sequence counts its own bytes, not the three of U+FFFD), in the scan report
/// and in the comparison report.
#[test]
fn spans_of_repaired_text_files_point_into_the_file() {
    let scratch = Scratch::new();
    let mut bytes = b"Caf\xE9 cr\xE8me and \xFF\xFE bytes from an old encoding.\n\n".to_vec();
    bytes.extend(format!("{}\n\n{}\n", P[0], P[1]).as_bytes());
    std::fs::write(scratch.path("latin1.txt"), &bytes).unwrap();
    scratch.write("clean.txt", &format!("{}\n\n{}\n", P[1], P[0]));
    let (code, out) = scratch.run(&["scan", "latin1.txt", "clean.txt", "--json", "r.json"]);
    assert_eq!(code, 0, "{out}");
    let report = json_file(&scratch, "r.json");
    let mut checked = 0;
    for cluster in report["clusters"].as_array().unwrap() {
        for member in cluster["members"].as_array().unwrap() {
            let path = member["location"].as_str().unwrap();
            assert_eq!(
                stored(&scratch, path, member),
                cluster["text"].as_str().unwrap().as_bytes(),
                "{member}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4, "{report}");

    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "compare",
            "latin1.txt",
            "--reference",
            "clean.txt",
            "--json",
            "c.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json_file(&scratch, "c.json");
    // The two paragraphs of clean.txt stand in latin1.txt as one span, after its bad bytes.
    let spans = report["items"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 1, "{report}");
    let span = &spans[0];
    assert_eq!(
        stored(&scratch, "latin1.txt", span),
        span["text"].as_str().unwrap().as_bytes()
    );
    assert_eq!(
        stored(&scratch, "clean.txt", &span["reference"]),
        span["reference"]["text"].as_str().unwrap().as_bytes()
    );
}

/// Finding 13: a UTF-8 byte-order mark is not part of the first paragraph (nor removed from the
/// file by dedup); ids used twice and a file given twice are each told once, and the file is
/// read once.
#[test]
fn byte_order_marks_repeated_ids_and_repeated_files() {
    let scratch = Scratch::new();
    let bom = format!("\u{FEFF}{}\n\n{}\n\n{}\n", P[0], P[1], P[0]);
    scratch.write("a/bom.txt", &bom);
    scratch.write("plain.txt", &format!("{}\n", P[0]));
    let (code, out) = scratch.run(&["scan", "a/bom.txt", "plain.txt", "--json", "r.json"]);
    assert_eq!(code, 0, "{out}");
    let report = json_file(&scratch, "r.json");
    let cluster = &report["clusters"][0];
    assert_eq!(cluster["text"], P[0], "{cluster}");
    assert_eq!(cluster["size"], 3, "{cluster}");
    let first = &cluster["members"][0];
    assert_eq!(first["start"], 3, "{first}");
    assert_eq!(stored(&scratch, "a/bom.txt", first), P[0].as_bytes());

    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["dedup", "a/bom.txt", "-o", "clean.txt"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        scratch.read("clean.txt"),
        format!("\u{FEFF}{}\n\n{}\n", P[0], P[1])
    );

    // The same file three times over: read once, said once.
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "a", "a/bom.txt", "./a", "--json", "twice.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.matches("warning").count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "2 files given more than once, each read once (a/bom.txt is also given as a/bom.txt"
        ),
        "{stderr}"
    );
    assert_eq!(json_file(&scratch, "twice.json")["summary"]["documents"], 1);

    // Ids used twice: one warning for all of them.
    scratch.write(
        "ids.jsonl",
        &[
            json!({"id": "x", "text": P[2]}),
            json!({"id": "y", "text": P[3]}),
            json!({"id": "x", "text": P[4]}),
            json!({"id": "y", "text": P[5]}),
            json!({"id": "x", "text": P[6]}),
        ]
        .map(|r| r.to_string())
        .join("\n"),
    );
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "ids.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "paradup: warning: 2 document ids used by more than one document (first: \"x\" at \
         ids.jsonl:1 and ids.jsonl:3); reports tell them apart by doc_index\n"
    );
}
