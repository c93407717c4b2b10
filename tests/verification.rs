//! What verification reports about each cluster member: chains, containment, whole documents,
//! sentence windows, and the banding chosen when none is given. Library tests first, then the
//! real binary.

use assert_cmd::Command;
use paradup::{Banding, Document, Location, ScanParams, Scanner, SplitMode, Unit};
use serde_json::Value;

fn words(range: std::ops::Range<usize>) -> String {
    range
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn doc(id: &str, text: &str) -> Document {
    Document {
        id: id.into(),
        source: None,
        location: Location {
            path: format!("{id}.txt"),
            line: None,
            row: None,
        },
        text: text.into(),
    }
}

fn scan(params: ScanParams, docs: Vec<Document>) -> paradup::ScanOutcome {
    let mut scanner = Scanner::new(params).unwrap();
    scanner.add_batch(docs);
    scanner.finish()
}

/// Sure-fire banding for the small similarities these tests use.
fn wide() -> ScanParams {
    ScanParams {
        banding: Banding { bands: 64, rows: 2 },
        ..ScanParams::default()
    }
}

#[test]
fn a_member_joined_only_through_a_chain_is_flagged() {
    // Windows of 60 words shifted by 5: neighbours share 53 of 63 trigrams (0.84), the ends only
    // 48 of 68 (0.71).
    let a = words(0..60);
    let b = words(5..65);
    let c = words(10..70);
    let outcome = scan(
        wide(),
        vec![
            doc("a", &a),
            doc("b", &b),
            doc("c", &c),
            doc("x", &words(100..160)),
        ],
    );
    assert_eq!(outcome.clusters.len(), 1);
    let members = &outcome.clusters[0].members;
    assert_eq!(members.len(), 3);
    assert_eq!(members[0].doc, 0);
    assert!(!members[0].via_chain && !members[1].via_chain);
    assert!((members[1].similarity - 53.0 / 63.0).abs() < 1e-9);
    assert!(members[2].via_chain, "{:?}", members[2]);
    assert!((members[2].similarity - 48.0 / 68.0).abs() < 1e-9);
    assert!(!members[2].contained);
}

#[test]
fn a_contained_passage_joins_only_with_containment_on() {
    let long = words(0..80);
    let short = words(30..45);
    let docs = || {
        vec![
            doc("long", &long),
            doc("other", &words(200..260)),
            doc("short", &short),
        ]
    };
    let off = scan(ScanParams::default(), docs());
    assert!(off.clusters.is_empty());

    let on = scan(
        ScanParams {
            containment: Some(0.9),
            ..ScanParams::default()
        },
        docs(),
    );
    assert_eq!(on.clusters.len(), 1);
    let member = &on.clusters[0].members[1];
    assert_eq!(member.doc, 2);
    assert!(member.contained && !member.via_chain);
    assert_eq!(member.containment, 1.0);
    // 13 trigrams of the short one among 78 of the long one.
    assert!((member.similarity - 13.0 / 78.0).abs() < 1e-9);
}

#[test]
fn partial_containment_below_the_threshold_does_not_join() {
    // Half of the short passage lies in the long one.
    let long = words(0..80);
    let short = format!("{} {}", words(30..40), words(300..310));
    let on = scan(
        ScanParams {
            containment: Some(0.9),
            ..ScanParams::default()
        },
        vec![doc("long", &long), doc("short", &short)],
    );
    assert!(on.clusters.is_empty());
}

#[test]
fn document_unit_clusters_whole_near_copy_documents() {
    let original = format!(
        "{}\n\n{}\n{}",
        words(0..70),
        words(70..140),
        words(140..200)
    );
    // Three words replaced in 200.
    let copy = original
        .replace("word50 ", "changed1 ")
        .replace("word120 ", "changed2 ")
        .replace("word180 ", "changed3 ");
    let params = ScanParams {
        unit: Unit::Document,
        ..ScanParams::default()
    };
    let outcome = scan(
        params,
        vec![
            doc("a", &original),
            doc("b", &words(500..700)),
            doc("c", &format!("  {copy}\n")),
        ],
    );
    assert_eq!(outcome.clusters.len(), 1);
    let cluster = &outcome.clusters[0];
    assert_eq!(cluster.documents, 2);
    assert_eq!(cluster.members[1].doc, 2);
    assert_eq!(cluster.members[1].span.start, 2);
    assert_eq!(cluster.members[1].span.end, 2 + copy.len());
    assert!(cluster.members[1].similarity > 0.9);
    // By paragraph, nothing in the copy is identical, but each paragraph is a near copy.
    let by_paragraph = scan(
        ScanParams::default(),
        vec![doc("a", &original), doc("c", &copy)],
    );
    assert_eq!(by_paragraph.clusters.len(), 3);
}

#[test]
fn sentence_windows_find_a_passage_in_flattened_text() {
    let sentence = |i: usize| format!("Sentence {} is here with {}.", words(i * 10..i * 10 + 8), i);
    let body: Vec<String> = (0..6).map(sentence).collect();
    let first = format!("Intro one. Intro two. {}", body.join(" "));
    let second = format!("Other one. Other two. {} Closing words.", body.join(" "));
    let params = ScanParams {
        split: SplitMode::Sentences(2),
        ..ScanParams::default()
    };
    let outcome = scan(params, vec![doc("a", &first), doc("b", &second)]);
    assert_eq!(outcome.clusters.len(), 3);
    for cluster in &outcome.clusters {
        let [a, b] = &cluster.members[..] else {
            panic!("{cluster:?}")
        };
        assert_eq!(
            &first[a.span.start..a.span.end],
            &second[b.span.start..b.span.end]
        );
    }
}

fn run_json(dir: &std::path::Path, args: &[&str]) -> Value {
    let report = dir.join("report.json");
    Command::cargo_bin("paradup")
        .unwrap()
        .arg("scan")
        .args(args)
        .arg("--json")
        .arg(&report)
        .arg("--quiet")
        .assert()
        .success();
    serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap()
}

#[test]
fn cli_chooses_the_banding_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.txt");
    std::fs::write(&input, format!("{}\n", words(0..40))).unwrap();
    let path = input.to_str().unwrap();
    let report = run_json(dir.path(), &[path]);
    assert_eq!(report["params"]["bands"], 17);
    assert_eq!(report["params"]["rows"], 7);
    assert_eq!(report["params"]["unit"], "paragraph");
    assert_eq!(report["params"]["containment"], Value::Null);
    let strict = Banding::choose(0.9, 128);
    let report = run_json(dir.path(), &[path, "--threshold", "0.9"]);
    assert_eq!(report["params"]["bands"], strict.bands);
    assert_eq!(report["params"]["rows"], strict.rows);
    let report = run_json(dir.path(), &[path, "--bands", "16", "--rows", "8"]);
    assert_eq!(
        (
            report["params"]["bands"].as_u64(),
            report["params"]["rows"].as_u64()
        ),
        (Some(16), Some(8))
    );
    let report = run_json(dir.path(), &[path, "--bands", "32"]);
    assert_eq!(
        (
            report["params"]["bands"].as_u64(),
            report["params"]["rows"].as_u64()
        ),
        (Some(32), Some(4))
    );
}

#[test]
fn cli_reports_containment_chains_units_and_sentence_splits() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    let records = [
        ("long", words(0..80)),
        ("short", words(30..45)),
        (
            "flat",
            format!(
                "Start {} end. Next {} end.",
                words(300..320),
                words(320..340)
            ),
        ),
        (
            "flat2",
            format!(
                "Start {} end. Different words entirely here.",
                words(300..320)
            ),
        ),
    ];
    let lines: Vec<String> = records
        .iter()
        .map(|(id, text)| serde_json::json!({"id": id, "text": text}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let path = input.to_str().unwrap();

    let report = run_json(dir.path(), &[path, "--containment", "0.9"]);
    assert_eq!(report["params"]["containment"], 0.9);
    let member = &report["clusters"][0]["members"][1];
    assert_eq!(member["doc"], "short");
    assert_eq!(member["contained"], true);
    assert_eq!(member["via_chain"], false);
    assert_eq!(member["containment"], 1.0);

    let report = run_json(dir.path(), &[path, "--split", "sentences:1"]);
    assert_eq!(report["params"]["split"], "sentences:1");
    let cluster = &report["clusters"][0];
    assert_eq!(cluster["members"][0]["doc"], "flat");
    assert_eq!(cluster["members"][1]["doc"], "flat2");
    let text = &records[2].1;
    let (start, end) = (
        cluster["members"][0]["start"].as_u64().unwrap() as usize,
        cluster["members"][0]["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], format!("Start {} end.", words(300..320)));

    let report = run_json(dir.path(), &[path, "--unit", "document"]);
    assert_eq!(report["params"]["unit"], "document");
    assert_eq!(report["clusters"].as_array().unwrap().len(), 0);

    Command::cargo_bin("paradup")
        .unwrap()
        .args(["scan", path, "--split", "sentences:0"])
        .assert()
        .code(2);
    Command::cargo_bin("paradup")
        .unwrap()
        .args(["scan", path, "--containment", "1.5"])
        .assert()
        .code(2);
}
