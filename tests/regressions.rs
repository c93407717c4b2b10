//! Regression tests: each one runs the binary on the input that once went wrong and asserts what
//! it should do, so that the bug it is named after stays fixed.

mod common;

use common::{paradup, s, Scratch, DISCLAIMER, PARAGRAPHS as P};
use serde_json::Value;

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `dedup --unit document` used to segment the documents into paragraphs again and stop with
/// "paragraph 0 is not where the scan found it" on the first repeated document.
#[test]
fn dedup_unit_document_removes_repeated_documents() {
    let scratch = Scratch::new();
    let article = format!("{}\n\n{}\n\n{DISCLAIMER}\n", P[0], P[1]);
    let other = format!("{}\n\n{DISCLAIMER}\n", P[2]);
    let input = scratch.write(
        "in.jsonl",
        &[&article, &other, &article]
            .iter()
            .map(|text| serde_json::json!({ "text": text }).to_string() + "\n")
            .collect::<String>(),
    );
    let report = scratch.path("r.json");
    paradup()
        .args(["scan", "--quiet", "--unit", "document", "--json"])
        .arg(&report)
        .arg(&input)
        .assert()
        .code(0);
    assert_eq!(json(&report)["summary"]["duplicate_paragraphs"], 1);

    let out = scratch.path("out.jsonl");
    let run = paradup()
        .args(["dedup", "--unit", "document", s(&input), "-o", s(&out)])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.contains("removed:       1 duplicate document (33.3% of documents)"),
        "{stdout}"
    );
    let texts: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // The repeated document loses its text but its trailing line break; the others are untouched.
    assert_eq!(texts, vec![article.clone(), other, "\n".to_string()]);

    let dropped = scratch.path("dropped.jsonl");
    paradup()
        .args(["dedup", "--unit", "document", "--drop-duplicate-documents"])
        .arg(&input)
        .arg("-o")
        .arg(&dropped)
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(&dropped).unwrap().lines().count(),
        2
    );
}

/// `check`, `dedup` and `compare` printed every skipped record twice on standard error: once while
/// reading, and once more at the end.
#[test]
fn skipped_records_are_reported_once_on_stderr() {
    let scratch = Scratch::new();
    let line = serde_json::json!({ "text": P[0] }).to_string();
    let input = scratch.write("in.jsonl", &format!("{line}\nnot json\n{line}\n"));
    let reference = scratch.write("ref.txt", &format!("{}\n", P[1]));
    let out = scratch.path("out.jsonl");
    let runs: [Vec<&str>; 5] = [
        vec!["scan", s(&input)],
        vec!["check", s(&input)],
        vec!["dedup", s(&input), "-o", s(&out)],
        vec!["compare", s(&input), "--reference", s(&reference)],
        // `check --reference` reads the inputs twice: once for the limits, once beside the
        // reference; their problems are told once.
        vec!["check", s(&input), "--reference", s(&reference)],
    ];
    for args in runs {
        let run = paradup().args(&args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert_eq!(stderr.matches("skipped").count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.contains("in.jsonl:2: invalid JSON"),
            "{args:?}: {stderr}"
        );
    }
}

/// `dedup` on a WET file took its records for JSON Lines and stopped with "cannot rewrite the
/// record: invalid JSON"; it now says that WET is not a format it writes, before writing anything.
#[test]
fn dedup_refuses_wet_input_with_a_clear_error() {
    let scratch = Scratch::new();
    let body = format!("{}\n{}\n", P[0], P[0]);
    let wet = format!(
        "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://example.org/a\r\n\
         WARC-Record-ID: <urn:uuid:1>\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
        body.len()
    );
    let input = scratch.write("in/a.warc.wet", &wet);
    let report = scratch.path("r.json");
    paradup()
        .args(["scan", "--quiet", "--json", s(&report), s(&input)])
        .assert()
        .code(0);
    assert_eq!(json(&report)["summary"]["duplicate_paragraphs"], 1);
    let run = paradup()
        .args([
            "dedup",
            s(&scratch.path("in")),
            "-o",
            s(&scratch.path("out")),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(
        stderr.contains("a.warc.wet is a WET file: dedup rewrites text and JSON Lines inputs only"),
        "{stderr}"
    );
    assert!(!scratch.path("out/a.warc.wet").exists());
}

/// `--rows 200` (or `--bands 200`) with 128 hashes left the other at 0 and was refused with
/// "bands and rows must be at least 1", naming neither flag the user gave.
#[test]
fn bands_or_rows_above_num_perm_name_the_flag() {
    let scratch = Scratch::new();
    let input = scratch.write("a.txt", P[0]);
    for flag in ["--rows", "--bands"] {
        let run = paradup()
            .args(["scan", s(&input), flag, "200"])
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2));
        let stderr = String::from_utf8(run.stderr).unwrap();
        assert!(
            stderr.contains(&format!("{flag} 200 exceeds --num-perm 128")),
            "{stderr}"
        );
    }
}

/// `dedup` wrote text files with their invalid UTF-8 replaced by U+FFFD, although the README
/// promises that nothing but the removed bytes changes.
#[test]
fn dedup_keeps_invalid_utf8_bytes_of_text_files() {
    let scratch = Scratch::new();
    let mut original = Vec::new();
    original.extend_from_slice(b"Caf\xE9 ");
    original.extend_from_slice(P[0].as_bytes());
    original.extend_from_slice(b"\n\n");
    original.extend_from_slice(P[1].as_bytes());
    original.extend_from_slice(b" \xFF\xFE\n\nCaf\xE9 ");
    original.extend_from_slice(P[0].as_bytes());
    original.extend_from_slice(b"\n");
    let input = scratch.path("in.txt");
    std::fs::write(&input, &original).unwrap();
    let out = scratch.path("out.txt");
    let run = paradup()
        .args(["dedup", s(&input), "-o", s(&out)])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(
        stdout.contains("removed:       1 duplicate paragraph ("),
        "{stdout}"
    );
    let mut expected = Vec::new();
    expected.extend_from_slice(b"Caf\xE9 ");
    expected.extend_from_slice(P[0].as_bytes());
    expected.extend_from_slice(b"\n\n");
    expected.extend_from_slice(P[1].as_bytes());
    expected.extend_from_slice(b" \xFF\xFE\n");
    assert_eq!(std::fs::read(&out).unwrap(), expected);
}

/// Results must not depend on `--threads`, also across the scanner's batches (2048 documents):
/// the bundled sample alone never fills one. Scan JSON, HTML and dedup output are compared byte
/// for byte (but the run time) on a generated corpus of 2,300 articles with containment on.
#[test]
fn outputs_identical_for_one_and_two_threads_across_batches() {
    let scratch = Scratch::new();
    let mut corpus = Vec::new();
    for article in paradup_synth::synth::Generator::new(11).take(2300) {
        article.write_jsonl(&mut corpus);
    }
    let input = scratch.path("corpus.jsonl");
    std::fs::write(&input, &corpus).unwrap();
    let timing = |text: String| -> String {
        text.lines()
            .filter(|line| !line.contains("\"seconds\"") && !line.contains("scanned in"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let (json, html, clean) = (
            scratch.path(&format!("r{threads}.json")),
            scratch.path(&format!("r{threads}.html")),
            scratch.path(&format!("clean{threads}.jsonl")),
        );
        paradup()
            .args([
                "scan",
                "--quiet",
                "--containment",
                "0.9",
                "--source-field",
                "source",
            ])
            .args([
                "--threads",
                threads,
                "--json",
                s(&json),
                "--html",
                s(&html),
                s(&input),
            ])
            .assert()
            .code(0);
        paradup()
            .args([
                "dedup",
                "--quiet",
                "--threads",
                threads,
                s(&input),
                "-o",
                s(&clean),
            ])
            .assert()
            .code(0);
        let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
        let mut report: Value = serde_json::from_str(&read(&json)).unwrap();
        report["timing"] = Value::Null;
        outputs.push((report.to_string(), timing(read(&html)), read(&clean)));
    }
    let report: Value = serde_json::from_str(&outputs[0].0).unwrap();
    assert_eq!(report["summary"]["documents"], 2300);
    assert!(report["summary"]["duplicate_paragraphs"].as_u64().unwrap() > 1000);
    assert!(outputs[0].0 == outputs[1].0, "JSON reports differ");
    assert!(outputs[0].1 == outputs[1].1, "HTML reports differ");
    assert!(outputs[0].2 == outputs[1].2, "dedup outputs differ");
}

/// The README's JSON sample showed a seed that is not the default and byte counts of an older
/// sample corpus. Its terminal samples, and the figures of its JSON sample, must be what the tool
/// prints on the bundled sample today.
#[test]
fn readme_samples_are_what_the_tool_prints() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let stdout = |args: &[&str]| {
        let run = paradup().current_dir(root).args(args).output().unwrap();
        String::from_utf8(run.stdout).unwrap()
    };
    let scan = stdout(&["scan", "data/"]);
    assert!(readme.contains(&format!("```\n{scan}```")), "{scan}");
    let check = stdout(&[
        "check",
        "data/",
        "--max-duplicate-ratio",
        "0.05",
        "--max-within-document",
        "2",
        "--top",
        "3",
    ]);
    assert!(readme.contains(&check), "{check}");

    let scratch = Scratch::new();
    let report = scratch.path("r.json");
    paradup()
        .current_dir(root)
        .args(["scan", "data/", "--quiet", "--json", s(&report)])
        .assert()
        .code(0);
    let report = json(&report);
    let sample = &readme[readme.find("\"schema\": \"paradup.report/v1\"").unwrap()..];
    let sample = &sample[..sample.find("```").unwrap()];
    assert!(
        sample.contains(&format!("\"seed\": {}", report["params"]["seed"])),
        "{sample}"
    );
    for (field, value) in report["summary"].as_object().unwrap() {
        assert!(
            sample.contains(&format!("\"{field}\": {value}")),
            "summary.{field} = {value} is not in the README's sample"
        );
    }
}

/// `--threads 1000` kept rayon starting threads for over a minute; the count is now bounded.
#[test]
fn threads_beyond_the_limit_are_refused() {
    let out = paradup()
        .args(["scan", "data", "--threads", "100000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--threads 100000: at most 256"));
}

/// Results must not depend on how the documents are cut into batches: a batch of 1,500 generated
/// articles gives the clusters and totals of the same articles handed over one at a time.
#[test]
fn one_large_batch_finds_what_batches_of_one_document_find() {
    use paradup::{ScanParams, Scanner};
    let articles: Vec<_> = paradup_synth::synth::Generator::new(5).take(1500).collect();
    let scan = |batch_documents: usize| {
        let mut scanner = Scanner::new(ScanParams {
            containment: Some(0.9),
            ..ScanParams::default()
        })
        .unwrap();
        for (first, chunk) in articles.chunks(batch_documents).enumerate() {
            scanner.add_batch(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, article)| article.document((first * batch_documents + i + 1) as u64))
                    .collect(),
            );
        }
        scanner.finish()
    };
    let (whole, one_by_one) = (scan(articles.len()), scan(1));
    assert!(whole.clusters.len() > 100, "{}", whole.clusters.len());
    assert!(whole
        .clusters
        .iter()
        .any(|c| c.members.iter().any(|m| m.similarity < 1.0)));
    assert!(whole.clusters == one_by_one.clusters, "clusters differ");
    assert_eq!(whole.summary, one_by_one.summary);
}

/// Runs `paradup ARGS` in `scratch` with `stdin`; returns the exit code and standard error.
fn run_with_stdin(scratch: &Scratch, args: &[&str], stdin: &str) -> (i32, String) {
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// An output named as one of the files the run reads used to replace that input with the report
/// (the scan left the input out as "an output of this run", then wrote over it): each command
/// now refuses before reading, and the file is left as it was.
#[test]
fn an_output_that_is_a_named_input_is_refused_and_the_input_kept() {
    let scratch = Scratch::new();
    let corpus: String = [P[0], P[1], P[0]]
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string() + "\n")
        .collect();
    scratch.write("in.jsonl", &corpus);
    scratch.write("ref.txt", P[0]);
    for args in [
        &["scan", "in.jsonl", "--json", "in.jsonl"][..],
        &["scan", "in.jsonl", "--html", "in.jsonl"],
        &["check", "in.jsonl", "--json", "in.jsonl"],
        &[
            "check",
            "in.jsonl",
            "--reference",
            "ref.txt",
            "--json",
            "ref.txt",
        ],
        &[
            "compare",
            "in.jsonl",
            "--reference",
            "ref.txt",
            "--json",
            "in.jsonl",
        ],
        &[
            "compare",
            "in.jsonl",
            "--reference",
            "ref.txt",
            "--save-reference-index",
            "ref.txt",
        ],
    ] {
        let (code, stderr) = run_with_stdin(&scratch, args, "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(
            stderr.contains("also read by this run"),
            "{args:?}: {stderr}"
        );
        assert_eq!(scratch.read("in.jsonl"), corpus, "{args:?}");
        assert_eq!(scratch.read("ref.txt"), P[0], "{args:?}");
    }
}

/// A reference without a word (an empty file, an empty pipe) used to pass the contamination
/// gate: "1 reference document (0 words)". It is an error, as a missing reference is.
#[test]
fn a_reference_without_words_is_an_error_not_a_pass() {
    let scratch = Scratch::new();
    scratch.write("in.txt", P[0]);
    scratch.write("empty.txt", "");
    for args in [
        &["check", "in.txt", "--reference", "empty.txt"][..],
        &["compare", "in.txt", "--reference", "empty.txt"],
        &["compare", "in.txt", "--reference", "-"],
    ] {
        let (code, stderr) = run_with_stdin(&scratch, args, "");
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("holds no words"), "{args:?}: {stderr}");
    }
}

/// Standard input named twice used to be read twice, the second time as an empty document.
#[test]
fn standard_input_is_read_once() {
    let scratch = Scratch::new();
    let corpus: String = [P[0], P[1], P[0]]
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string() + "\n")
        .collect();
    let (code, stderr) = run_with_stdin(
        &scratch,
        &["scan", "-", "-", "--json", "r.json", "--quiet"],
        &corpus,
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json(&scratch.path("r.json"))["summary"]["documents"], 3);
    let (code, stderr) = run_with_stdin(&scratch, &["compare", "-", "--reference", "-"], &corpus);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("both an input and the reference"),
        "{stderr}"
    );
}

/// `dedup --annotate --annotate-field text` used to write the annotation over every record's text.
#[test]
fn an_annotation_over_a_field_that_is_read_is_refused() {
    let scratch = Scratch::new();
    let corpus = serde_json::json!({ "id": "a", "text": P[0] }).to_string() + "\n";
    scratch.write("in.jsonl", &corpus);
    for field in ["text", "id"] {
        let (code, stderr) = run_with_stdin(
            &scratch,
            &[
                "dedup",
                "in.jsonl",
                "-o",
                "out.jsonl",
                "--annotate",
                "--annotate-field",
                field,
            ],
            "",
        );
        assert_eq!(code, 2, "{field}: {stderr}");
        assert!(
            stderr.contains("a field the records are read from"),
            "{stderr}"
        );
        assert!(!scratch.path("out.jsonl").exists());
    }
}

/// A reader closing standard output early (`| head -1`) used to turn every status into 0: skipped
/// records (2) now still end the run with 2.
#[test]
fn a_closed_pipe_keeps_the_runs_status() {
    let scratch = Scratch::new();
    let mut corpus: String = [P[0], P[1], P[0]]
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string() + "\n")
        .collect();
    corpus.push_str("{not json\n");
    let input = scratch.write("in.jsonl", &corpus);
    let binary = assert_cmd::cargo::cargo_bin("paradup");
    for args in [
        &["scan", s(&input), "--json", "-", "--quiet"][..],
        &["dedup", s(&input), "-o", "-", "--quiet"],
    ] {
        let mut child = std::process::Command::new(&binary)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The reader goes away before the run writes anything.
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}");
    }
}

/// A truncated `.gz` among the inputs used to stop `dedup` with "read failed" and nothing
/// written, while the scan had kept the records before the cut: the output now holds them, the
/// other files are written, and the skipped records make the status 2. A text file cut short
/// (left out of the scan) is written as far as it decodes.
#[test]
fn dedup_writes_the_records_before_a_cut_in_a_compressed_file() {
    fn gzipped(text: &str) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    }
    fn gunzipped(path: &std::path::Path) -> String {
        let mut text = String::new();
        let file = std::fs::File::open(path).unwrap();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).unwrap();
        text
    }
    let scratch = Scratch::new();
    let record = |text: &str| serde_json::json!({ "text": text }).to_string() + "\n";
    let good: String = [P[0], P[1]].iter().map(|t| record(t)).collect();
    scratch.write("in/a.jsonl", &good);
    let many: String = (0..400)
        .map(|i| record(&format!("{} number {i} of the long file.", P[2])))
        .collect();
    let gz = gzipped(&many);
    std::fs::write(scratch.path("in/b.jsonl.gz"), &gz[..gz.len() / 2]).unwrap();
    // A text document cut short: the scan leaves it out, and dedup keeps what it decodes to.
    let article: String = (0..300)
        .map(|i| format!("{} Paragraph {i}.\n\n", P[3]))
        .collect();
    let gz = gzipped(&article);
    std::fs::write(scratch.path("in/c.txt.gz"), &gz[..gz.len() / 2]).unwrap();
    let (code, stderr) = run_with_stdin(&scratch, &["dedup", "in", "-o", "out"], "");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("records before this line were kept"),
        "{stderr}"
    );
    assert_eq!(scratch.read("out/a.jsonl"), good);
    let kept = gunzipped(&scratch.path("out/b.jsonl.gz"));
    let lines = kept.lines().count();
    assert!(lines > 0 && lines < 400, "{lines} records kept");
    assert!(
        many.starts_with(&kept),
        "the kept records are the file's first ones"
    );
    assert!(stderr.contains("in/c.txt.gz"), "{stderr}");
    let text = gunzipped(&scratch.path("out/c.txt.gz"));
    assert!(
        !text.is_empty() && text.len() < article.len() && article.starts_with(&text),
        "{} of {} bytes kept",
        text.len(),
        article.len()
    );
}

/// Ctrl-C used to leave the copy of standard input (and outputs being written) behind in the
/// temporary folder: the handler now removes this process's temporary files too.
#[cfg(unix)]
#[test]
fn an_interrupt_removes_the_copy_of_standard_input() {
    use std::io::Write;
    let scratch = Scratch::new();
    let temp = scratch.path("tmp");
    std::fs::create_dir(&temp).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paradup"))
        .args(["scan", "-", "--quiet"])
        .env("TMPDIR", &temp)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Standard input stays open: the copy is being made when the signal comes.
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all((serde_json::json!({ "text": P[0] }).to_string() + "\n").as_bytes())
        .unwrap();
    let copies = || -> Vec<String> {
        std::fs::read_dir(&temp)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let started = std::time::Instant::now();
    while copies().is_empty() && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(copies().len(), 1, "the copy of standard input is made");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        copies(),
        Vec::<String>::new(),
        "nothing is left in the temporary folder"
    );
}

/// Two inputs to one standard output used to be refused only after both were scanned; and a
/// `--memory` refused as too small used to be followed by a warning that the run passed it.
#[test]
fn refusals_come_before_the_run_and_alone() {
    let scratch = Scratch::new();
    scratch.write("a.txt", P[0]);
    scratch.write("b.txt", P[1]);
    let (code, stderr) = run_with_stdin(&scratch, &["dedup", "a.txt", "b.txt", "-o", "-"], "");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("2 inputs to write to standard output"),
        "{stderr}"
    );
    let (code, stderr) = run_with_stdin(&scratch, &["scan", "a.txt", "--memory", "10K"], "");
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("too small"), "{stderr}");
    assert!(!stderr.contains("peak memory"), "{stderr}");
}

/// Standard input was copied to the system's temporary folder even when `--tmp-dir` named another
/// (a small or missing `TMPDIR` then failed a run told where to put its files). The copy goes to
/// `--tmp-dir`, and a folder that cannot take it is named in the error.
#[test]
fn standard_input_is_copied_into_the_tmp_dir() {
    let scratch = Scratch::new();
    std::fs::create_dir(scratch.path("spill")).unwrap();
    let corpus: String = [P[0], P[1], P[0]]
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string() + "\n")
        .collect();
    let run = |args: &[&str]| {
        let out = paradup()
            .current_dir(scratch.dir.path())
            .env("TMPDIR", scratch.path("no-such-tmp"))
            .args(args)
            .write_stdin(corpus.as_str())
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let (code, stderr) = run(&["scan", "-", "-q", "--json", "r.json", "--tmp-dir", "spill"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&scratch.read("r.json")).unwrap();
    assert_eq!(report["summary"]["duplicate_paragraphs"], 1);
    assert_eq!(std::fs::read_dir(scratch.path("spill")).unwrap().count(), 0);
    let (code, stderr) = run(&["scan", "-", "-q", "--tmp-dir", "missing"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot copy it to a temporary file in missing"),
        "{stderr}"
    );
}
