//! `paradup check`: the CI gate passes, fails each limit with the offender's PATH:LINE, honours a
//! baseline, annotates for GitHub Actions, and tells errors (2) from exceeded limits (1).

mod common;

use common::{paradup, Scratch, DISCLAIMER, PARAGRAPHS as P};

/// Four documents: the disclaimer in all four, and `c.txt` repeating one paragraph twice.
/// 13 paragraphs, 5 of them repeats (3 disclaimers, 2 repeats in c.txt).
fn corpus() -> Scratch {
    let scratch = Scratch::new();
    scratch.write("docs/a.txt", &format!("{}\n{}\n{DISCLAIMER}\n", P[0], P[1]));
    scratch.write("docs/b.txt", &format!("{}\n{}\n{DISCLAIMER}\n", P[2], P[3]));
    scratch.write(
        "docs/c.txt",
        &format!("{}\n{}\n{}\n{}\n{DISCLAIMER}\n", P[4], P[5], P[4], P[4]),
    );
    scratch.write("docs/d.txt", &format!("{}\n{DISCLAIMER}\n", P[6]));
    scratch
}

fn check(scratch: &Scratch, args: &[&str]) -> (i32, String) {
    scratch.run(&[&["check", "docs"], args].concat())
}

#[test]
fn a_corpus_without_repeats_passes() {
    let scratch = Scratch::new();
    scratch.write("docs/a.txt", &format!("{}\n{}\n", P[0], P[1]));
    scratch.write("docs/b.txt", &format!("{}\n{}\n", P[2], P[3]));
    let (code, out) = check(&scratch, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok   duplicate ratio: 0.0% (0 of 4 paragraphs)"),
        "{out}"
    );
    assert!(out.ends_with("paradup check: passed (1 limit)\n"), "{out}");
}

#[test]
fn duplicate_ratio_by_paragraphs() {
    let scratch = corpus();
    let (code, out) = check(&scratch, &["--max-duplicate-ratio", "0.3"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "FAIL duplicate ratio: 38.5% (5 of 13 paragraphs) exceeds --max-duplicate-ratio 30.0%"
        ),
        "{out}"
    );
    // Worst offender first: the disclaimer's first repeat, pointing at its first copy.
    let first = out.lines().nth(2).unwrap();
    assert!(
        first.starts_with("       docs/b.txt:3: repeated paragraph: 3 repeats (4 copies in 4 documents, cluster #"),
        "{first}"
    );
    assert!(first.contains("first copy at docs/a.txt:3"), "{first}");
    let second = out.lines().nth(3).unwrap();
    assert!(
        second.starts_with(
            "       docs/c.txt:3: repeated paragraph: 2 repeats (3 copies in 1 document,"
        ),
        "{second}"
    );
    assert!(out.contains("FAILED (1 of 1 limits exceeded)"));

    let (code, out) = check(&scratch, &["--max-duplicate-ratio", "0.4"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn duplicate_ratio_by_bytes() {
    let scratch = corpus();
    let total: usize = ["a", "b", "c", "d"]
        .iter()
        .map(|d| scratch.read(&format!("docs/{d}.txt")).len())
        .sum();
    let duplicate = 3 * DISCLAIMER.len() + 2 * P[4].len();
    let ratio = duplicate as f64 / total as f64;
    let below = format!("{:.4}", ratio - 0.001);
    let above = format!("{:.4}", ratio + 0.001);
    let (code, out) = check(&scratch, &["--max-duplicate-ratio", &below, "--by-bytes"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL duplicate ratio by bytes:"), "{out}");
    assert!(out.contains(&format!("{duplicate} B of")), "{out}");
    let (code, out) = check(&scratch, &["--max-duplicate-ratio", &above, "--by-bytes"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn repeats_inside_one_document() {
    let scratch = corpus();
    let (code, out) = check(&scratch, &["--max-within-document", "1"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL within-document repeats: 1 document over the limit (worst document repeats 2 paragraphs)"), "{out}");
    assert!(
        out.contains("       docs/c.txt:3: document repeats 2 of its own paragraphs; first repeat here: \"Researchers"),
        "{out}"
    );
    let (code, out) = check(&scratch, &["--max-within-document", "2"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn documents_per_cluster() {
    let scratch = corpus();
    let (code, out) = check(&scratch, &["--max-cluster-documents", "3"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL cluster documents: 1 passage over the limit (widest spans 4 documents)"),
        "{out}"
    );
    assert!(
        out.contains("       docs/a.txt:3: passage in 4 documents (4 copies, cluster #"),
        "{out}"
    );
    let (code, out) = check(&scratch, &["--max-cluster-documents", "4"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn every_limit_at_once_reports_each() {
    let scratch = corpus();
    let (code, out) = check(
        &scratch,
        &[
            "--max-duplicate-ratio",
            "0.5",
            "--max-within-document",
            "1",
            "--max-cluster-documents",
            "3",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ok   duplicate ratio"), "{out}");
    assert!(out.contains("FAIL within-document repeats"), "{out}");
    assert!(out.contains("FAIL cluster documents"), "{out}");
    assert!(out.contains("FAILED (2 of 3 limits exceeded)"), "{out}");
}

#[test]
fn a_baseline_turns_known_duplication_into_a_pass_and_new_duplication_still_fails() {
    let scratch = corpus();
    let (code, _) = check(&scratch, &[]);
    assert_eq!(code, 1);
    paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "docs", "--quiet", "--write-baseline", "known.json"])
        .assert()
        .code(0);
    let baseline: serde_json::Value = serde_json::from_str(&scratch.read("known.json")).unwrap();
    assert_eq!(baseline["schema"], "paradup.baseline/v1");
    assert_eq!(baseline["clusters"].as_array().unwrap().len(), 2);

    let (code, out) = check(&scratch, &["--baseline", "known.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2 known clusters, 2 found here; 5 duplicate paragraphs"),
        "{out}"
    );

    // A new first document carrying the disclaimer (now the canonical copy) stays known; a new
    // repeated paragraph is what fails, and the only thing named.
    scratch.write("docs/0.txt", &format!("{}\n{DISCLAIMER}\n", P[7]));
    scratch.write("docs/e.txt", &format!("{}\n{}\n", P[8], P[8]));
    let (code, out) = check(&scratch, &["--baseline", "known.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL duplicate ratio: 5.9% (1 of 17 paragraphs)"),
        "{out}"
    );
    assert!(
        out.contains("docs/e.txt:2: repeated paragraph: 1 repeat"),
        "{out}"
    );
    assert!(!out.contains("Legal Disclaimer"), "{out}");
}

#[test]
fn github_actions_annotations() {
    let scratch = corpus();
    let out = paradup()
        .current_dir(scratch.dir.path())
        .env("GITHUB_ACTIONS", "true")
        .args(["check", "docs", "--max-within-document", "1", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(
        lines[0].starts_with("::error file=docs/c.txt,line=3,title=paradup check::document repeats 2 of its own paragraphs; first repeat here: \"Researchers"),
        "{stdout}"
    );
    // Outside GitHub Actions, no workflow commands.
    let (_, plain) = check(&scratch, &["--max-within-document", "1"]);
    assert!(!plain.contains("::error"), "{plain}");
}

#[test]
fn reference_overlap_fails_the_check() {
    let scratch = corpus();
    scratch.write("train/x.txt", &format!("{}\n{}\n", P[9], P[5]));
    let (code, out) = check(
        &scratch,
        &["--max-duplicate-ratio", "0.5", "--reference", "train"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "FAIL reference overlap: 1 passage in 1 input document shares 8 or more words in a row with the reference"
        ),
        "{out}"
    );
    assert!(
        out.contains("docs/c.txt:2: 18 words also in the reference at train/x.txt"),
        "{out}"
    );
    scratch.write("train/x.txt", &format!("{}\n{}\n", P[9], P[10]));
    let (code, out) = check(&scratch, &["--reference", "train"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn errors_exit_2() {
    let scratch = corpus();
    let (code, _) = check(&scratch, &["missing-folder"]);
    assert_eq!(code, 2);
    scratch.write("bad.json", "{\"schema\": \"something else\"}");
    let (code, _) = check(&scratch, &["--baseline", "bad.json"]);
    assert_eq!(code, 2);
    let (code, _) = check(&scratch, &["--by-bytes"]);
    assert_eq!(code, 2);
    let (code, _) = check(&scratch, &["--max-duplicate-ratio", "1.5"]);
    assert_eq!(code, 2);
}
