//! `paradup compare`: finds the passages planted from the reference in the inputs (exact and near
//! copies), with both places and the similarity, and nothing else: not repeats inside the inputs,
//! not look-alike paragraphs below the threshold.

mod common;

use common::{paradup, Scratch, PARAGRAPHS as P};
use serde_json::Value;

/// A near copy of `P[10]`: its last word changed (Jaccard of word 3-grams 15/17 = 0.88).
const NEAR_P10: &str = "The port authority approved plans for a container terminal on reclaimed land south of the existing harbour fence.";
/// Same template as `P[2]`, different facts: similar, but well below the threshold.
const LOOKALIKE_P2: &str = "The central bank raised its main interest rate sharply, saying inflation had jumped and remained far above its target.";

fn corpus() -> Scratch {
    let scratch = Scratch::new();
    // Test set: two planted exact copies, one planted near copy, one look-alike, one paragraph
    // repeated inside the test set only.
    scratch.write("test/a.txt", &format!("{}\n{}\n{}\n", P[0], P[1], P[9]));
    scratch.write(
        "test/b.txt",
        &format!("{}\n{}\n{LOOKALIKE_P2}\n{}\n", P[3], NEAR_P10, P[9]),
    );
    scratch.write(
        "test/c.jsonl",
        &format!(
            "{}\n{}\n",
            serde_json::json!({"id": "c1", "text": P[4]}),
            serde_json::json!({"id": "c2", "text": format!("{}\n\n{}", P[5], P[6])})
        ),
    );
    // Reference: carries P[1], P[6], P[10] and P[2], plus its own paragraphs.
    scratch.write("train/x.txt", &format!("{}\n{}\n{}\n", P[7], P[1], P[10]));
    scratch.write("train/y.txt", &format!("{}\n{}\n{}\n", P[2], P[8], P[6]));
    scratch
}

#[test]
fn finds_the_planted_leaks_and_nothing_else() {
    let scratch = corpus();
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "compare",
            "test",
            "--reference",
            "train",
            "--json",
            "leaks.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("leaks:           3 input paragraphs in 3 documents have a copy in the reference (2 exact, 1 near)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test/a.txt:2  <-  train/x.txt:2  exact"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test/c.jsonl:2  <-  train/y.txt:3  exact"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test/b.txt:2  <-  train/x.txt:3  0.88"),
        "{stdout}"
    );

    let report: Value = serde_json::from_str(&scratch.read("leaks.json")).unwrap();
    assert_eq!(report["schema"], "paradup.compare/v1");
    assert_eq!(report["summary"]["input_documents"], 4);
    assert_eq!(report["summary"]["reference_documents"], 2);
    assert_eq!(report["summary"]["leaked_paragraphs"], 3);
    let leaks = report["leaks"].as_array().unwrap();
    let found: Vec<(&str, &str, bool)> = leaks
        .iter()
        .map(|l| {
            (
                l["input"]["location"].as_str().unwrap(),
                l["reference"]["location"].as_str().unwrap(),
                l["exact"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("test/a.txt:2", "train/x.txt:2", true),
            ("test/b.txt:2", "train/x.txt:3", false),
            ("test/c.jsonl:2", "train/y.txt:3", true),
        ]
    );
    // The near copy: its similarity, and both texts as they stand in the files.
    let near = &leaks[1];
    let similarity = near["similarity"].as_f64().unwrap();
    assert!((similarity - 15.0 / 17.0).abs() < 1e-6, "{similarity}");
    assert_eq!(near["input"]["text"], NEAR_P10);
    assert_eq!(near["reference"]["text"], P[10]);
    assert_eq!(near["reference"]["doc_index"], 0);
    // Spans index the document's text: in JSON Lines, the decoded text field.
    let jsonl = &leaks[2]["input"];
    assert_eq!(jsonl["doc"], "c2");
    let text = format!("{}\n\n{}", P[5], P[6]);
    let (start, end) = (
        jsonl["start"].as_u64().unwrap() as usize,
        jsonl["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], P[6]);
}

#[test]
fn no_shared_passages_no_leaks() {
    let scratch = corpus();
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "compare",
            "test/a.txt",
            "--reference",
            "train/y.txt",
            "--json",
            "none.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_str(&scratch.read("none.json")).unwrap();
    assert_eq!(report["summary"]["leaked_paragraphs"], 0);
    assert_eq!(report["leaks"].as_array().unwrap().len(), 0);
}

#[test]
fn a_missing_reference_is_an_error() {
    let scratch = corpus();
    paradup()
        .current_dir(scratch.dir.path())
        .args(["compare", "test", "--reference", "nowhere"])
        .assert()
        .code(2);
    paradup()
        .current_dir(scratch.dir.path())
        .args(["compare", "test"])
        .assert()
        .code(2);
}
