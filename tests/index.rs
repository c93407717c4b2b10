//! The shard index (`paradup index`, `scan --index`, `check --index`): a new shard checked against
//! the index of the shards before it reports what a scan of every shard reports about it; the
//! index survives an interrupted `add`; bad indexes fail cleanly.

mod common;

use common::{paradup, Scratch};
use paradup::scan::{IndexedOccurrence, IndexedParagraph, IndexedPart};
use paradup::{Document, DocumentEntry, ScanOutcome, ScanParams, Scanner};
use paradup_synth::synth::families::{family_paragraphs, FamilyKind, FamilySpec};
use paradup_synth::synth::Generator;
use serde_json::Value;
use std::collections::BTreeSet;

/// Writes `shards` JSON Lines files `s1.jsonl`.. holding, in order, generated news articles
/// (planted copies within and across articles) with documents of near-duplicate families mixed
/// in: a drift chain (each variant the one before with a word replaced, so early and late
/// variants are joined only through the ones between) and variants of one base paragraph.
fn write_shards(scratch: &Scratch, shards: usize, articles: usize, family: FamilySpec) {
    let specs = [
        FamilySpec {
            kind: FamilyKind::Drift,
            variants: 150,
            words: 30,
        },
        family,
    ];
    // The families' paragraphs spread evenly over the articles, a few to a document.
    let family_lines: Vec<String> = family_paragraphs(5, &specs)
        .into_iter()
        .map(|p| p.text)
        .collect();
    let mut records: Vec<Value> = Vec::new();
    let mut next_line = 0;
    for (i, article) in Generator::new(11).take(articles).enumerate() {
        records.push(serde_json::json!({"id": article.id, "text": article.text}));
        let due = (i + 1) * family_lines.len() / articles;
        if due > next_line {
            let text = family_lines[next_line..due].join("\n");
            records.push(serde_json::json!({"id": format!("fam-{i}"), "text": text}));
            next_line = due;
        }
    }
    let per_shard = records.len().div_ceil(shards);
    for (n, chunk) in records.chunks(per_shard).enumerate() {
        let text: String = chunk.iter().map(|r| format!("{r}\n")).collect();
        scratch.write(&format!("s{}.jsonl", n + 1), &text);
    }
}

/// A member as both reports write it, without `doc_index` (numbered differently when the earlier
/// shards come from the index).
fn member_key(member: &Value) -> String {
    format!(
        "{} {} {} {}-{} sim {} via_chain {}",
        member["doc"],
        member["location"],
        member["paragraph"],
        member["start"],
        member["end"],
        member["similarity"],
        member["via_chain"]
    )
}

/// Each cluster of `report` with a member in `path`: kind, documents, size and members, in order.
fn clusters_touching(report: &Value, path: &str) -> Vec<String> {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["location"].as_str().unwrap().starts_with(path))
        })
        .map(|c| {
            let members: Vec<String> = c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(member_key)
                .collect();
            format!(
                "{} docs {} size {} dup {}\n  {}",
                c["kind"],
                c["documents"],
                c["size"],
                c["duplicate_bytes"],
                members.join("\n  ")
            )
        })
        .collect()
}

fn json(scratch: &Scratch, file: &str) -> Value {
    serde_json::from_str(&scratch.read(file)).unwrap()
}

fn ok(scratch: &Scratch, args: &[&str]) -> String {
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "paradup {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `paradup ARGS` expecting exit status `code`; returns standard error.
fn fails(scratch: &Scratch, args: &[&str], code: i32) -> String {
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "paradup {args:?}: {stderr}");
    stderr
}

fn build_index(scratch: &Scratch, shards: usize) {
    ok(
        scratch,
        &["index", "build", "idx", "s1.jsonl", "--shard", "s1", "-q"],
    );
    for n in 2..=shards {
        let file = format!("s{n}.jsonl");
        let name = format!("s{n}");
        ok(
            scratch,
            &["index", "add", "idx", &file, "--shard", &name, "-q"],
        );
    }
}

/// Shards 1..k indexed, shard k+1 scanned against the index, against a scan of shards 1..k+1:
/// the same clusters touching shard k+1, with the same members (indexed ones with their shard),
/// similarities and chains; and `check --index` counts what the full scan says of shard k+1.
fn assert_parity(family: FamilySpec) {
    let scratch = Scratch::new();
    write_shards(&scratch, 4, 480, family);
    build_index(&scratch, 3);
    ok(
        &scratch,
        &[
            "scan",
            "s1.jsonl",
            "s2.jsonl",
            "s3.jsonl",
            "s4.jsonl",
            "--json",
            "full.json",
            "-q",
        ],
    );
    ok(
        &scratch,
        &[
            "scan",
            "s4.jsonl",
            "--index",
            "idx",
            "--indexed-copies",
            "1000000",
            "--json",
            "new.json",
            "-q",
        ],
    );
    let full = json(&scratch, "full.json");
    let new = json(&scratch, "new.json");
    let expected = clusters_touching(&full, "s4.jsonl");
    let found = clusters_touching(&new, "s4.jsonl");
    assert!(
        expected.len() > 20,
        "a realistic shard: {} clusters",
        expected.len()
    );
    let joined_to_earlier = expected
        .iter()
        .filter(|c| c.contains("s1.jsonl") || c.contains("s2.jsonl") || c.contains("s3.jsonl"))
        .count();
    assert!(
        joined_to_earlier > 10,
        "copies of earlier shards: {joined_to_earlier}"
    );
    assert!(
        expected.iter().any(|c| c.contains("via_chain true")),
        "a chain through the index"
    );
    assert_eq!(
        found.len(),
        new["clusters"].as_array().unwrap().len(),
        "only clusters with a new member"
    );
    for (e, f) in expected.iter().zip(&found) {
        assert_eq!(e, f);
    }
    assert_eq!(expected.len(), found.len());
    // Indexed members say so, with their shard.
    let indexed: Vec<&Value> = new["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["members"].as_array().unwrap())
        .filter(|m| m["indexed"] == true)
        .collect();
    assert!(!indexed.is_empty());
    for member in indexed {
        let shard = member["shard"].as_str().unwrap();
        assert!(member["location"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{shard}.jsonl")));
    }

    // check --index: the shard's own repeats and its copies of the index, as the full scan has them.
    let (mut own_repeats, mut with_earlier) = (0u64, 0u64);
    for cluster in full["clusters"].as_array().unwrap() {
        let members = cluster["members"].as_array().unwrap();
        let new_members = members
            .iter()
            .filter(|m| m["location"].as_str().unwrap().starts_with("s4.jsonl"))
            .count() as u64;
        if new_members < members.len() as u64 {
            with_earlier += new_members;
        }
        own_repeats += new_members.saturating_sub(1);
    }
    let code = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "check",
            "s4.jsonl",
            "--index",
            "idx",
            "--json",
            "check.json",
            "-q",
        ])
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(1));
    let check = json(&scratch, "check.json");
    assert_eq!(check["summary"]["duplicate_paragraphs"], own_repeats);
    assert_eq!(
        check["summary"]["indexed"]["indexed_paragraphs"],
        with_earlier
    );
    assert_eq!(check["summary"]["indexed"]["added_shard"], Value::Null);
}

#[test]
fn checking_a_shard_against_the_index_reports_what_a_full_scan_reports_about_it() {
    assert_parity(FamilySpec {
        kind: FamilyKind::Variants { low: 1, high: 3 },
        variants: 40,
        words: 60,
    });
}

#[test]
fn parity_holds_with_a_family_dense_enough_for_leader_clustering() {
    // 400 variants with one to three of 60 words replaced: LSH buckets of more than 64 members,
    // joined by leader clustering with bounded verifications.
    assert_parity(FamilySpec {
        kind: FamilyKind::Variants { low: 1, high: 3 },
        variants: 400,
        words: 60,
    });
}

#[test]
fn compaction_changes_nothing_a_check_reports() {
    let scratch = Scratch::new();
    write_shards(
        &scratch,
        4,
        240,
        FamilySpec {
            kind: FamilyKind::Variants { low: 1, high: 3 },
            variants: 30,
            words: 60,
        },
    );
    build_index(&scratch, 3);
    ok(
        &scratch,
        &[
            "scan",
            "s4.jsonl",
            "--index",
            "idx",
            "--json",
            "before.json",
            "-q",
        ],
    );
    let info = ok(&scratch, &["index", "info", "idx", "--json"]);
    let info: Value = serde_json::from_str(&info).unwrap();
    assert_eq!(info["totals"]["segments"], 3);
    assert_eq!(info["totals"]["shards"], 3);
    ok(&scratch, &["index", "compact", "idx", "-q"]);
    let compacted: Value =
        serde_json::from_str(&ok(&scratch, &["index", "info", "idx", "--json"])).unwrap();
    assert_eq!(compacted["totals"]["segments"], 1);
    assert_eq!(
        compacted["totals"]["paragraphs"],
        info["totals"]["paragraphs"]
    );
    assert_eq!(
        compacted["totals"]["documents"],
        info["totals"]["documents"]
    );
    let files: Vec<String> = std::fs::read_dir(scratch.path("idx"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pds"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    ok(
        &scratch,
        &[
            "scan",
            "s4.jsonl",
            "--index",
            "idx",
            "--json",
            "after.json",
            "-q",
        ],
    );
    let mut before = json(&scratch, "before.json");
    let mut after = json(&scratch, "after.json");
    before["timing"] = Value::Null;
    after["timing"] = Value::Null;
    assert_eq!(before, after);
}

#[test]
fn info_counts_shards_documents_paragraphs_and_bytes() {
    let scratch = Scratch::new();
    scratch.write(
        "a.txt",
        "A first paragraph of the first shard, long enough for the near tier here.\n\nShort one.\n",
    );
    scratch.write(
        "b.txt",
        "Another paragraph in a second shard, long enough for the near tier too.\n",
    );
    ok(&scratch, &["index", "build", "idx", "a.txt", "-q"]);
    ok(
        &scratch,
        &["index", "add", "idx", "b.txt", "--shard", "second", "-q"],
    );
    let text = ok(&scratch, &["index", "info", "idx"]);
    assert!(
        text.contains("2 shards, 2 segments, 2 documents, 3 paragraphs"),
        "{text}"
    );
    assert!(
        text.contains("shard 1 \"second\": 1 document, 1 paragraph"),
        "{text}"
    );
    let info: Value =
        serde_json::from_str(&ok(&scratch, &["index", "info", "idx", "--json"])).unwrap();
    assert_eq!(info["manifest"]["shards"][0]["name"], "a.txt");
    assert_eq!(info["totals"]["bytes"], 86 + 72);
    assert_eq!(info["manifest"]["params"]["ngram"], 3);
}

#[test]
fn add_on_pass_appends_the_shard_only_when_the_check_passes() {
    let scratch = Scratch::new();
    let old = "The harbour board met on Tuesday to approve the new ferry timetable for the winter.";
    scratch.write("s1.txt", &format!("{old}\n"));
    scratch.write(
        "clean.txt",
        "A council report on road repairs was published this week by the county office.\n",
    );
    scratch.write("copy.txt", &format!("{old}\n"));
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    // A copy of the index fails the check and is not added.
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "check",
            "copy.txt",
            "--index",
            "idx",
            "--add-on-pass",
            "--json",
            "c.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("FAIL indexed ratio: 100.0% (1 of 1 paragraph)"),
        "{stdout}"
    );
    assert!(stdout.contains("is in shard \"s1.txt\""), "{stdout}");
    let info: Value =
        serde_json::from_str(&ok(&scratch, &["index", "info", "idx", "--json"])).unwrap();
    assert_eq!(info["totals"]["shards"], 1);
    // A clean shard passes and is added; a copy of it then fails.
    ok(
        &scratch,
        &[
            "check",
            "clean.txt",
            "--index",
            "idx",
            "--add-on-pass",
            "--shard",
            "pr-7",
            "--json",
            "c.json",
            "-q",
        ],
    );
    assert_eq!(
        json(&scratch, "c.json")["summary"]["indexed"]["added_shard"],
        "pr-7"
    );
    let info: Value =
        serde_json::from_str(&ok(&scratch, &["index", "info", "idx", "--json"])).unwrap();
    assert_eq!(info["totals"]["shards"], 2);
    assert_eq!(info["manifest"]["shards"][1]["name"], "pr-7");
    scratch.write(
        "again.txt",
        &std::fs::read_to_string(scratch.path("clean.txt")).unwrap(),
    );
    let out = fails(
        &scratch,
        &[
            "check",
            "again.txt",
            "--index",
            "idx",
            "--max-indexed-ratio",
            "0.5",
        ],
        1,
    );
    assert!(out.is_empty(), "{out}");
    // A limit that allows the copy passes.
    ok(
        &scratch,
        &[
            "check",
            "again.txt",
            "--index",
            "idx",
            "--max-indexed-ratio",
            "1",
            "-q",
        ],
    );
}

#[test]
fn an_add_stopped_before_the_manifest_leaves_the_previous_index_usable() {
    let scratch = Scratch::new();
    write_shards(
        &scratch,
        3,
        120,
        FamilySpec {
            kind: FamilyKind::Variants { low: 1, high: 2 },
            variants: 10,
            words: 40,
        },
    );
    ok(&scratch, &["index", "build", "idx", "s1.jsonl", "-q"]);
    ok(
        &scratch,
        &[
            "scan",
            "s3.jsonl",
            "--index",
            "idx",
            "--json",
            "before.json",
            "-q",
        ],
    );
    let manifest_before = scratch.read("idx/index.json");
    // The process dies (abort) with the new segment in the folder and the manifest not yet
    // replaced.
    let out = paradup()
        .current_dir(scratch.dir.path())
        .env("PARADUP_INDEX_ABORT_BEFORE_MANIFEST", "1")
        .args(["index", "add", "idx", "s2.jsonl", "-q"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(scratch.read("idx/index.json"), manifest_before);
    let segments = std::fs::read_dir(scratch.path("idx"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".pds")
        })
        .count();
    assert_eq!(segments, 2, "the orphan segment is in the folder");
    ok(
        &scratch,
        &[
            "scan",
            "s3.jsonl",
            "--index",
            "idx",
            "--json",
            "after.json",
            "-q",
        ],
    );
    let mut before = json(&scratch, "before.json");
    let mut after = json(&scratch, "after.json");
    before["timing"] = Value::Null;
    after["timing"] = Value::Null;
    assert_eq!(before, after);
    // The lock died with the process: the add can be made again.
    ok(&scratch, &["index", "add", "idx", "s2.jsonl", "-q"]);
    let info: Value =
        serde_json::from_str(&ok(&scratch, &["index", "info", "idx", "--json"])).unwrap();
    assert_eq!(info["totals"]["shards"], 2);
}

#[test]
fn an_add_killed_while_reading_leaves_the_previous_index_usable() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    let manifest_before = scratch.read("idx/index.json");
    // A pipe that never ends: the add is killed while it reads.
    let fifo = scratch.path("endless");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paradup"))
        .current_dir(scratch.dir.path())
        .args(["index", "add", "idx", "endless", "-q"])
        .spawn()
        .unwrap();
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(writer);
    assert_eq!(scratch.read("idx/index.json"), manifest_before);
    scratch.write(
        "copy.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    fails(&scratch, &["check", "copy.txt", "--index", "idx", "-q"], 1);
    ok(&scratch, &["index", "add", "idx", "copy.txt", "-q"]);
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    let fifo = scratch.path("endless");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("paradup"))
        .current_dir(scratch.dir.path())
        .args(["index", "add", "idx", "endless", "-q"])
        .spawn()
        .unwrap();
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let stderr = fails(&scratch, &["index", "add", "idx", "s1.txt"], 2);
    assert!(stderr.contains("is locked by another writer"), "{stderr}");
    let stderr = fails(&scratch, &["index", "compact", "idx"], 2);
    assert!(stderr.contains("is locked by another writer"), "{stderr}");
    // Readers are not writers.
    ok(&scratch, &["index", "info", "idx"]);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(writer);
}

#[test]
fn a_parameter_mismatch_names_the_parameter() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    ok(
        &scratch,
        &["index", "build", "idx", "s1.txt", "--ngram", "4", "-q"],
    );
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "idx"], 2);
    assert!(
        stderr.contains("built with --ngram 4, this run uses 3"),
        "{stderr}"
    );
    let stderr = fails(
        &scratch,
        &[
            "scan",
            "s1.txt",
            "--index",
            "idx",
            "--ngram",
            "4",
            "--threshold",
            "0.9",
        ],
        2,
    );
    assert!(stderr.contains("--bands"), "{stderr}");
    ok(
        &scratch,
        &["scan", "s1.txt", "--index", "idx", "--ngram", "4", "-q"],
    );
    let stderr = fails(&scratch, &["index", "build", "idx", "s1.txt"], 2);
    assert!(stderr.contains("already holds an index"), "{stderr}");
    for flag in ["--html", "--members", "--write-baseline"] {
        let stderr = fails(
            &scratch,
            &[
                "scan", "s1.txt", "--index", "idx", "--ngram", "4", flag, "out",
            ],
            2,
        );
        assert!(
            stderr.contains(&format!("{flag} cannot be used with --index")),
            "{stderr}"
        );
    }
    let stderr = fails(
        &scratch,
        &["index", "build", "other", "s1.txt", "--containment", "0.9"],
        2,
    );
    assert!(
        stderr.contains("--containment cannot be used with a shard index"),
        "{stderr}"
    );
}

#[test]
fn a_corrupt_segment_or_manifest_fails_cleanly() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n\nAnd more.\n",
    );
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    let segment = scratch.path("idx/segment-000000.pds");
    let good = std::fs::read(&segment).unwrap();

    // Truncated.
    std::fs::write(&segment, &good[..good.len() - 5]).unwrap();
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "idx"], 2);
    assert!(
        stderr.contains("corrupt segment") && stderr.contains("segment-000000.pds"),
        "{stderr}"
    );

    // A flipped byte in the header.
    let mut bad = good.clone();
    bad[20] ^= 0x40;
    std::fs::write(&segment, &bad).unwrap();
    let stderr = fails(&scratch, &["scan", "s1.txt", "--index", "idx"], 2);
    assert!(
        stderr.contains("corrupt segment") && stderr.contains("header checksum"),
        "{stderr}"
    );

    // A flipped byte in the body: found by the checksum that `info` and `compact` verify.
    let mut bad = good.clone();
    let at = good.len() - 3;
    bad[at] ^= 0x01;
    std::fs::write(&segment, &bad).unwrap();
    let stderr = fails(&scratch, &["index", "info", "idx"], 2);
    assert!(stderr.contains("checksum mismatch"), "{stderr}");

    // Garbage with a valid header layout never panics: every read is bounds-checked.
    let mut bad = good.clone();
    for byte in bad.iter_mut().skip(super_header_len()) {
        *byte = 0xFF;
    }
    std::fs::write(&segment, &bad).unwrap();
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args(["scan", "s1.txt", "--index", "idx", "-q"])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0) | Some(2)), "{out:?}");
    // Paragraph records pointing outside their sections, the tables intact: the lookups find
    // them and reading them fails cleanly.
    let section = |i: usize| {
        let at = 16 + i * 16;
        let offset = u64::from_le_bytes(good[at..at + 8].try_into().unwrap()) as usize;
        let len = u64::from_le_bytes(good[at + 8..at + 16].try_into().unwrap()) as usize;
        offset..offset + len
    };
    let mut bad = good.clone();
    for byte in &mut bad[section(2)] {
        *byte = 0x7F;
    }
    std::fs::write(&segment, &bad).unwrap();
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "idx"], 2);
    assert!(
        stderr.contains("corrupt segment") && stderr.contains("outside the segment"),
        "{stderr}"
    );
    std::fs::write(&segment, &good).unwrap();

    // Not JSON, not an index, another format version.
    std::fs::write(scratch.path("idx/index.json"), "{not json").unwrap();
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "idx"], 2);
    assert!(stderr.contains("corrupt manifest"), "{stderr}");
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "nowhere"], 2);
    assert!(stderr.contains("is not a shard index"), "{stderr}");
    let stderr = fails(
        &scratch,
        &["check", "s1.txt", "--index", "nowhere", "--add-on-pass"],
        2,
    );
    assert!(stderr.contains("is not a shard index"), "{stderr}");
    assert!(
        !scratch.path("nowhere").exists(),
        "a failed check makes no folder"
    );
}

/// Bytes of a segment's header: magic, version, section count, 9 sections, checksum.
fn super_header_len() -> usize {
    8 + 4 + 4 + 9 * 16 + 8
}

#[test]
fn another_format_version_is_refused() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    let manifest = scratch
        .read("idx/index.json")
        .replace("\"format_version\": 1", "\"format_version\": 2");
    std::fs::write(scratch.path("idx/index.json"), manifest).unwrap();
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "idx"], 2);
    assert!(
        stderr.contains("format version 2; this paradup reads version 1"),
        "{stderr}"
    );
}

#[test]
fn an_ngram_reference_index_is_not_a_shard_index() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    ok(
        &scratch,
        &[
            "compare",
            "s1.txt",
            "--reference",
            "s1.txt",
            "--save-reference-index",
            "ref.idx",
            "-q",
        ],
    );
    let stderr = fails(&scratch, &["check", "s1.txt", "--index", "ref.idx"], 2);
    assert!(
        stderr.contains("is a file, not a shard index folder"),
        "{stderr}"
    );
    assert!(stderr.contains("--reference-index"), "{stderr}");
}

#[test]
fn indexed_copies_beyond_the_cap_are_counted_not_listed() {
    let scratch = Scratch::new();
    let line = "Subscribers can read every article of the archive without limits after signing in.";
    let many: String = (0..5).map(|_| format!("{line}\n\n")).collect();
    scratch.write("s1.txt", &many);
    scratch.write("new.txt", &format!("{line}\n"));
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    ok(
        &scratch,
        &[
            "scan",
            "new.txt",
            "--index",
            "idx",
            "--indexed-copies",
            "2",
            "--json",
            "r.json",
            "-q",
        ],
    );
    let report = json(&scratch, "r.json");
    assert_eq!(report["clusters"][0]["size"], 3);
    assert_eq!(report["summary"]["indexed"]["indexed_copies_left_out"], 3);
    ok(
        &scratch,
        &[
            "scan", "new.txt", "--index", "idx", "--json", "r.json", "-q",
        ],
    );
    let report = json(&scratch, "r.json");
    assert_eq!(report["clusters"][0]["size"], 6);
    let members: BTreeSet<bool> = report["clusters"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["indexed"] == true)
        .collect();
    assert_eq!(members.len(), 2);
}

#[test]
fn per_source_totals_count_the_input_not_the_index() {
    let scratch = Scratch::new();
    let text = "The harbour board met on Tuesday to approve the new ferry timetable for winter.";
    let record = |id: &str, source: &str| {
        format!(
            "{}\n",
            serde_json::json!({"id": id, "source": source, "text": text})
        )
    };
    scratch.write(
        "old.jsonl",
        &(record("a", "old-site") + &record("b", "old-site")),
    );
    scratch.write("new.jsonl", &record("c", "new-site"));
    ok(
        &scratch,
        &[
            "index",
            "build",
            "idx",
            "old.jsonl",
            "--source-field",
            "source",
            "-q",
        ],
    );
    ok(
        &scratch,
        &[
            "scan",
            "new.jsonl",
            "--index",
            "idx",
            "--source-field",
            "source",
            "--json",
            "r.json",
            "-q",
        ],
    );
    let report = json(&scratch, "r.json");
    let sources = report["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["source"], "new-site");
    assert_eq!(sources[0]["documents"], 1);
    assert_eq!(sources[0]["duplicate_paragraphs"], 1);
    assert_eq!(report["clusters"][0]["size"], 3);
    assert_eq!(report["summary"]["documents"], 1);
}

#[test]
fn an_add_with_unreadable_records_adds_nothing() {
    let scratch = Scratch::new();
    scratch.write(
        "s1.txt",
        "The harbour board met on Tuesday to approve the new ferry timetable.\n",
    );
    scratch.write(
        "bad.jsonl",
        "{\"id\": \"a\", \"text\": \"A council report on road repairs was published this week.\"}\n{not json\n",
    );
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    let manifest = scratch.read("idx/index.json");
    let stderr = fails(&scratch, &["index", "add", "idx", "bad.jsonl", "-q"], 2);
    assert!(
        stderr.contains("nothing was added to the index"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.jsonl:2"), "{stderr}");
    assert_eq!(scratch.read("idx/index.json"), manifest);
}

#[test]
fn a_baseline_excuses_the_inputs_own_repeats_with_an_index() {
    let scratch = Scratch::new();
    let old = "The harbour board met on Tuesday to approve the new ferry timetable for the winter.";
    let own = "Subscribers can read every article of the archive without limits after signing in.";
    scratch.write("s1.txt", &format!("{old}\n"));
    scratch.write("new.txt", &format!("{own}\n\n{own}\n\n{old}\n"));
    ok(&scratch, &["index", "build", "idx", "s1.txt", "-q"]);
    ok(
        &scratch,
        &["scan", "new.txt", "--write-baseline", "base.json", "-q"],
    );
    // The baseline knows the own repeat; the copy of the index is still counted.
    let out = paradup()
        .current_dir(scratch.dir.path())
        .args([
            "check",
            "new.txt",
            "--index",
            "idx",
            "--baseline",
            "base.json",
            "--json",
            "c.json",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("ok   duplicate ratio"), "{stdout}");
    assert!(
        stdout.contains("FAIL indexed ratio: 33.3% (1 of 3 paragraphs)"),
        "{stdout}"
    );
}

// The scanner itself: taking an index's paragraphs in after the input is taking them in before it.

/// The indexed part an index would hand over for `documents`: every distinct paragraph, its
/// group its cluster.
fn indexed_part(documents: Vec<Document>) -> IndexedPart {
    let mut scanner = Scanner::new(ScanParams::default()).unwrap();
    scanner.add_batch(documents);
    let (outcome, retained) = scanner.finish_retaining();
    let mut distinct_of = vec![u32::MAX; retained.exact.len()];
    let mut part = IndexedPart {
        documents: outcome
            .documents
            .iter()
            .map(|d| DocumentEntry {
                shard: Some("old".into()),
                ..d.to_entry()
            })
            .collect(),
        ..IndexedPart::default()
    };
    for &(doc, paragraph, span, unique) in &retained.paragraphs {
        if distinct_of[unique as usize] == u32::MAX {
            distinct_of[unique as usize] = part.paragraphs.len() as u32;
            part.paragraphs.push(IndexedParagraph {
                exact: retained.exact[unique as usize],
                shingles: retained.shingle_range[unique as usize]
                    .clone()
                    .map(|r| retained.shingles[r].to_vec()),
                group: u64::from(retained.root[unique as usize]),
            });
        }
        part.occurrences.push(IndexedOccurrence {
            doc,
            paragraph,
            span,
            distinct: distinct_of[unique as usize],
        });
    }
    part
}

#[test]
fn taking_the_index_in_after_the_input_is_the_same_as_before_it() {
    let articles: Vec<Document> = Generator::new(3)
        .take(300)
        .enumerate()
        .map(|(i, a)| a.document(i as u64 + 1))
        .collect();
    let (old, new) = articles.split_at(180);
    let part = indexed_part(old.to_vec());
    assert!(!part.paragraphs.is_empty());

    let mut before = Scanner::new(ScanParams::default()).unwrap();
    before.add_indexed(part.clone()).unwrap();
    before.add_batch(new[..60].to_vec());
    before.add_batch(new[60..].to_vec());
    let before = before.finish();

    let mut after = Scanner::new(ScanParams::default()).unwrap();
    after.add_batch(new[..60].to_vec());
    after.add_batch(new[60..].to_vec());
    let after = after.with_indexed_before(part).unwrap().finish();

    assert!(before.summary.indexed.as_ref().unwrap().indexed_paragraphs > 0);
    assert_eq!(before.summary, after.summary);
    assert_eq!(before.clusters, after.clusters);
    let ids = |o: &ScanOutcome| -> Vec<(String, Option<String>, u32)> {
        o.documents
            .iter()
            .map(|d| {
                (
                    d.id.to_string(),
                    d.shard.map(str::to_string),
                    d.first_paragraph,
                )
            })
            .collect()
    };
    assert_eq!(ids(&before), ids(&after));
}

#[test]
fn the_input_only_outcome_is_the_same_whether_copied_or_taken() {
    let articles: Vec<Document> = Generator::new(5)
        .take(200)
        .enumerate()
        .map(|(i, a)| a.document(i as u64 + 1))
        .collect();
    let (old, new) = articles.split_at(120);
    let mut scanner = Scanner::new(ScanParams::default()).unwrap();
    scanner.add_indexed(indexed_part(old.to_vec())).unwrap();
    scanner.add_batch(new.to_vec());
    let outcome = scanner.finish();
    assert!(outcome.summary.indexed.as_ref().unwrap().indexed_paragraphs > 0);
    let copied = outcome.input_only();
    let taken = outcome.clone().into_input_only();
    assert!(!copied.clusters.is_empty());
    assert_eq!(copied.summary, taken.summary);
    assert_eq!(copied.clusters, taken.clusters);
    let ids = |o: &ScanOutcome| -> Vec<(String, Option<String>)> {
        o.documents
            .iter()
            .map(|d| (d.id.to_string(), d.shard.map(str::to_string)))
            .collect()
    };
    assert_eq!(ids(&copied), ids(&taken));
    assert_eq!(ids(&taken), ids(&outcome));
}

#[test]
fn indexed_paragraphs_come_before_the_input_once() {
    let mut scanner = Scanner::new(ScanParams::default()).unwrap();
    scanner.add_indexed(IndexedPart::default()).unwrap();
    assert!(scanner.add_indexed(IndexedPart::default()).is_err());
    assert!(scanner.with_indexed_before(IndexedPart::default()).is_err());
}
