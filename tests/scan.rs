//! End-to-end tests of `paradup scan`: the real binary on files, with assertions on the JSON report.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const SEED: &str = "data/articles/000_f1f90f2143f892f6.txt";

fn paradup() -> Command {
    Command::cargo_bin("paradup").expect("binary built")
}

/// Runs `paradup scan` with `args` plus `--json`, asserts the exit code, returns the report.
fn scan_json(args: &[&str], expected_code: i32) -> Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("report.json");
    let output = paradup()
        .arg("scan")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(expected_code),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&json).expect("report written");
    serde_json::from_str(&text).expect("report is JSON")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write input");
    path
}

#[test]
fn seed_article_reports_the_body_scraped_twice() {
    let report = scan_json(&[SEED], 0);
    let text = std::fs::read_to_string(SEED).expect("seed");
    let lines: Vec<&str> = text.lines().collect();
    // Lines 5..=9 (0-based) are the body; lines 10..=14 repeat them.
    let clusters = report["clusters"].as_array().expect("clusters");
    let within: Vec<&Value> = clusters
        .iter()
        .filter(|c| c["kind"] == "within_document")
        .collect();
    assert_eq!(within.len(), 5);
    assert_eq!(report["summary"]["duplicate_paragraphs"], 5);
    assert_eq!(report["summary"]["within_document_clusters"], 5);
    for (i, cluster) in within.iter().enumerate() {
        let members = cluster["members"].as_array().expect("members");
        assert_eq!(members.len(), 2);
        let cut = |m: &Value| {
            let start = m["start"].as_u64().expect("start") as usize;
            let end = m["end"].as_u64().expect("end") as usize;
            &text[start..end]
        };
        assert_eq!(cut(&members[0]), lines[5 + i]);
        assert_eq!(cut(&members[1]), lines[10 + i]);
        assert_eq!(cluster["text"], lines[5 + i]);
        assert_eq!(members[1]["similarity"], 1.0);
        // The copy comes after the canonical one.
        assert!(members[1]["start"].as_u64() > members[0]["end"].as_u64());
    }
}

#[test]
fn shared_boilerplate_tops_the_ranking_and_carries_every_article() {
    let report = scan_json(&["data/articles"], 0);
    let documents = report["summary"]["documents"].as_u64().expect("documents");
    assert_eq!(documents, 6);
    let clusters = report["clusters"].as_array().expect("clusters");
    let ranking = report["boilerplate"].as_array().expect("ranking");
    let top_texts: Vec<&str> = ranking[..5]
        .iter()
        .map(|r| {
            let id = r["cluster"].as_u64().expect("id") as usize;
            clusters[id]["text"].as_str().expect("text")
        })
        .collect();
    // Five articles carry the disclaimer; four carry the error page lines.
    for expected in [
        "MENAFN provides the information",
        "Legal Disclaimer:",
        "Sorry!!",
        "Error! We're sorry",
    ] {
        assert!(
            top_texts.iter().any(|t| t.starts_with(expected)),
            "{expected} not among {top_texts:?}"
        );
    }
    let disclaimer = clusters
        .iter()
        .find(|c| {
            c["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("MENAFN provides"))
        })
        .expect("disclaimer cluster");
    assert_eq!(disclaimer["kind"], "cross_document");
    assert_eq!(disclaimer["documents"], 5);
    assert_eq!(ranking[0]["documents"], 5);
    // The ranking is ordered by documents carrying each cluster.
    let counts: Vec<u64> = ranking
        .iter()
        .map(|r| r["documents"].as_u64().expect("n"))
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
}

const ORIGINAL: &str = "The regional water board announced on Monday that it will replace more than forty kilometres of ageing pipes across the northern districts over the next three years, a programme it expects to cost about ninety million and to finance through a mix of tariff increases, national grants and a long-term loan from the development bank, while engineers warned that several older neighbourhoods would face repeated interruptions to their supply during the works.";

#[test]
fn a_paragraph_with_a_few_words_changed_joins_its_original() {
    let dir = tempfile::tempdir().expect("temp dir");
    // 78 trigrams, two words changed far apart: 6 trigrams differ, Jaccard 72/84 = 0.857.
    let edited = ORIGINAL
        .replace("Monday", "Tuesday")
        .replace("repeated", "frequent");
    let unrelated = "Ticket sales for the summer music festival opened this morning and the organisers expect the first weekend to sell out within a few hours of release.";
    let a = write(dir.path(), "a.txt", &format!("{ORIGINAL}\n{unrelated}\n"));
    let b = write(
        dir.path(),
        "b.txt",
        &format!("Intro line of the second article.\n{edited}\n"),
    );
    let report = scan_json(&[a.to_str().expect("utf8"), b.to_str().expect("utf8")], 0);
    let clusters = report["clusters"].as_array().expect("clusters");
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let members = clusters[0]["members"].as_array().expect("members");
    assert_eq!(members.len(), 2);
    assert_eq!(clusters[0]["kind"], "cross_document");
    let similarity = members[1]["similarity"].as_f64().expect("similarity");
    assert!((0.8..1.0).contains(&similarity), "{similarity}");
    assert_eq!(members[1]["doc"], b.to_str().expect("utf8"));
}

#[test]
fn unrelated_and_templated_paragraphs_never_cluster() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::new();
    for (i, topic) in ["rail", "school", "harbour", "museum", "bridge", "clinic"]
        .iter()
        .enumerate()
    {
        text.push_str(&format!(
            "The {topic} project in district {i} will cost {} million and is due to open in {} after a review by the council.\n",
            10 + i * 7,
            2027 + i
        ));
    }
    let path = write(dir.path(), "templated.txt", &text);
    let report = scan_json(&[path.to_str().expect("utf8")], 0);
    assert_eq!(report["clusters"].as_array().expect("clusters").len(), 0);
    assert_eq!(report["summary"]["duplicate_paragraphs"], 0);
}

#[test]
fn jsonl_offsets_point_into_the_decoded_text_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let para =
        "Ünïcödé “quotes” and — dashes in a paragraph that is long enough to be fingerprinted.";
    let doc1 = serde_json::json!({"id": "first", "text": format!("Opening line.\n{para}")});
    let doc2 = serde_json::json!({"text": format!("{para}\r\nClosing line.")});
    let path = write(dir.path(), "docs.jsonl", &format!("{doc1}\n\n{doc2}\n"));
    let report = scan_json(&[path.to_str().expect("utf8")], 0);
    let cluster = &report["clusters"][0];
    assert_eq!(cluster["text"], para);
    let members = cluster["members"].as_array().expect("members");
    assert_eq!(members[0]["doc"], "first");
    // A record without an id is named PATH:LINE (line 3: the blank line 2 counts).
    let second_id = format!("{}:3", path.display());
    assert_eq!(members[1]["doc"], second_id.as_str());
    assert_eq!(members[1]["location"], second_id.as_str());
    let text1 = doc1["text"].as_str().expect("text");
    let (s, e) = (
        members[0]["start"].as_u64().expect("s") as usize,
        members[0]["end"].as_u64().expect("e") as usize,
    );
    assert_eq!(&text1[s..e], para);
    let text2 = doc2["text"].as_str().expect("text");
    let (s, e) = (
        members[1]["start"].as_u64().expect("s") as usize,
        members[1]["end"].as_u64().expect("e") as usize,
    );
    assert_eq!(&text2[s..e], para);
}

#[test]
fn malformed_records_are_skipped_reported_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = serde_json::json!({"id": "ok", "text": "A good record."});
    let path = write(
        dir.path(),
        "mixed.jsonl",
        &format!("{good}\n{{not json\n{{\"id\": \"n\", \"text\": 5}}\n{{\"id\": \"m\"}}\n"),
    );
    let report = scan_json(&[path.to_str().expect("utf8")], 2);
    assert_eq!(report["summary"]["documents"], 1);
    assert_eq!(report["summary"]["skipped_records"], 3);
    let errors = report["errors"].as_array().expect("errors");
    let lines: Vec<u64> = errors
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [2, 3, 4]);
    assert!(errors[0]["message"]
        .as_str()
        .expect("m")
        .starts_with("invalid JSON"));
    assert_eq!(
        errors[1]["message"],
        "text field 'text' is a number, not a string"
    );
    assert_eq!(errors[2]["message"], "missing text field 'text'");
    // Each names its kind, for programs that act on them.
    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["invalid_json", "text_not_string", "missing_text"]);
}

#[test]
fn report_is_identical_for_one_and_two_threads() {
    let strip_timing = |mut report: Value| {
        report["timing"] = Value::Null;
        report
    };
    let one = strip_timing(scan_json(&["data", "--threads", "1"], 0));
    let two = strip_timing(scan_json(&["data", "--threads", "2"], 0));
    assert_eq!(
        serde_json::to_string_pretty(&one).expect("json"),
        serde_json::to_string_pretty(&two).expect("json")
    );
    assert!(one["clusters"].as_array().expect("clusters").len() > 5);
}

#[test]
fn report_records_every_parameter() {
    let report = scan_json(
        &[
            SEED,
            "--threshold",
            "0.9",
            "--fold-digits",
            "--split",
            "line",
        ],
        0,
    );
    assert_eq!(report["schema"], "paradup.report/v1");
    assert_eq!(report["tool"]["name"], "paradup");
    let params = &report["params"];
    assert_eq!(params["threshold"], 0.9);
    assert_eq!(params["split"], "line");
    assert_eq!(params["normalization"]["fold_digits"], true);
    assert_eq!(params["normalization"]["unicode"], "NFKC");
    for key in ["ngram", "num_perm", "bands", "rows", "min_words", "seed"] {
        assert!(params[key].is_u64(), "{key} missing");
    }
}

#[test]
fn bad_parameters_and_missing_inputs_exit_2() {
    let out = paradup()
        .args(["scan", SEED, "--bands", "20", "--rows", "8"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exceeds num-perm"));

    let out = paradup()
        .args(["scan", "no/such/file.txt"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.txt"));
}

#[test]
fn standard_input_is_read_as_one_document() {
    let text = std::fs::read_to_string(SEED).expect("seed");
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("r.json");
    paradup()
        .args(["scan", "-", "--json"])
        .arg(&json)
        .write_stdin(text)
        .assert()
        .success();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parse");
    assert_eq!(report["summary"]["within_document_clusters"], 5);
    // The canonical text is cut from the spooled input, not lost with the stream.
    assert!(report["clusters"][0]["text"]
        .as_str()
        .expect("t")
        .starts_with("Speaking"));
}

#[test]
fn terminal_summary_names_boilerplate_and_repeats() {
    let out = paradup().args(["scan", "data"]).output().expect("runs");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("6 documents"), "{stdout}");
    assert!(stdout.contains("Shared across documents"));
    assert!(stdout.contains("Legal Disclaimer:"));
    assert!(stdout.contains("000_f1f90f2143f892f6.txt: 5 repeated paragraphs"));
}

#[cfg(unix)]
#[test]
fn reports_are_written_readable_like_any_new_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("report.json");
    paradup()
        .args(["scan", SEED, "--quiet", "--json"])
        .arg(&json)
        .assert()
        .success();
    let mode = std::fs::metadata(&json)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o044,
        0o044,
        "mode {mode:o}: the report must be readable by others"
    );
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(names.len(), 1);
}
