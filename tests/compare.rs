//! `paradup compare`: finds the passages planted from the reference in the inputs (exact copies
//! and one with a word changed), with both places, and nothing else: not repeats inside the inputs,
//! not look-alike paragraphs that share only short phrases.

mod common;

use common::{paradup, Scratch, PARAGRAPHS as P};
use serde_json::Value;

/// A near copy of `P[10]`: its last word changed.
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

/// The reference span of a report span, as text of the reference file.
fn reference_text(scratch: &Scratch, span: &Value) -> String {
    let reference = &span["reference"];
    let text = scratch.read(reference["doc"].as_str().unwrap());
    let (start, end) = (
        reference["start"].as_u64().unwrap() as usize,
        reference["end"].as_u64().unwrap() as usize,
    );
    text[start..end].to_string()
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
        stdout.contains("paradup compare: 4 input items against 2 reference documents"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "verdicts:        0 dirty, 3 partial, 1 clean; 3 items with at least one matched span"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("test/c.jsonl:2  partial   51.4%  longest  19  <- train/y.txt"),
        "{stdout}"
    );

    let report: Value = serde_json::from_str(&scratch.read("leaks.json")).unwrap();
    assert_eq!(report["schema"], "paradup.compare/v2");
    assert_eq!(report["summary"]["items"], 4);
    assert_eq!(report["reference"]["documents"], 2);
    let items = report["items"].as_array().unwrap();
    let found: Vec<(&str, usize, &str)> = items
        .iter()
        .map(|i| {
            (
                i["location"].as_str().unwrap(),
                i["spans"].as_array().unwrap().len(),
                i["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("test/a.txt", 1, "partial"),
            ("test/b.txt", 1, "partial"),
            ("test/c.jsonl:1", 0, "clean"),
            ("test/c.jsonl:2", 1, "partial"),
        ]
    );
    // Each span is the planted paragraph on both sides (the last word of the near copy aside).
    let span = |i: usize| &items[i]["spans"][0];
    assert_eq!(span(0)["text"], P[1].trim_end_matches('.'));
    assert_eq!(
        reference_text(&scratch, span(0)),
        P[1].trim_end_matches('.')
    );
    let near_words = NEAR_P10.trim_end_matches(" fence.");
    assert_eq!(span(1)["text"], near_words);
    assert_eq!(reference_text(&scratch, span(1)), near_words);
    assert_eq!(span(1)["reference"]["doc"], "train/x.txt");
    // Spans index the document's text: in JSON Lines, the decoded text field.
    assert_eq!(items[3]["doc"], "c2");
    let text = format!("{}\n\n{}", P[5], P[6]);
    let (start, end) = (
        span(3)["start"].as_u64().unwrap() as usize,
        span(3)["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], P[6].trim_end_matches('.'));
    assert_eq!(span(3)["reference"]["location"], "train/y.txt");
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
    assert_eq!(report["summary"]["items_with_match"], 0);
    assert_eq!(report["items"][0]["verdict"], "clean");
    assert_eq!(report["items"][0]["spans"].as_array().unwrap().len(), 0);
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
