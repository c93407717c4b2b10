//! The I/O contract people pipe, script and gate on: where outputs go (`-`, links, FIFOs), inputs
//! that cannot be read twice, what a folder walk reads, compression kept, outputs checked before
//! a scan. One test per finding of the issue "Trustworthy I/O"; every run of the binary is
//! bounded in time, so a regression that blocks on a FIFO fails instead of hanging.

mod common;

use common::{paradup, s, Scratch, DISCLAIMER, PARAGRAPHS as P};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Longest any one run of the binary may take here.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The output of `paradup ARGS...` run in `dir`, killed after [`RUN_LIMIT`].
fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    paradup()
        .current_dir(dir)
        .args(args)
        .timeout(RUN_LIMIT)
        .output()
        .unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// JSON Lines of the given texts.
fn jsonl(texts: &[&str]) -> String {
    texts
        .iter()
        .map(|text| serde_json::json!({ "text": text }).to_string() + "\n")
        .collect()
}

/// A small corpus: three articles sharing a disclaimer, two sharing a paragraph.
fn corpus_texts() -> Vec<String> {
    vec![
        format!("{}\n\n{}\n\n{DISCLAIMER}\n", P[0], P[1]),
        format!("{}\n\n{DISCLAIMER}\n", P[2]),
        format!("{}\n\n{}\n\n{DISCLAIMER}\n", P[3], P[1]),
    ]
}

fn write_corpus_folder(scratch: &Scratch, folder: &str) -> PathBuf {
    for (i, text) in corpus_texts().iter().enumerate() {
        scratch.write(&format!("{folder}/article{i}.txt"), text);
    }
    scratch.path(folder)
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// Writes `bytes` into the FIFO at `path` from a thread (the open waits for a reader). The
/// thread is not joined: if the binary never opens the FIFO, the thread waits until the test
/// process ends, and the bounded run of the binary fails the test.
#[cfg(unix)]
fn feed_fifo(path: &Path, bytes: Vec<u8>) {
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = fifo.write_all(&bytes);
        }
    });
}

/// Finding 1: `--json -` wrote a file named `-`; a symlink output was replaced by a file (the
/// file it pointed to left stale); a link to standard output swallowed the report; a FIFO was
/// renamed over. Now `-` is standard output for every output flag, links are followed and their
/// target replaced, and what is not a regular file is written through.
#[cfg(target_os = "linux")]
#[test]
fn outputs_go_where_the_path_leads() {
    let scratch = Scratch::new();
    let corpus = write_corpus_folder(&scratch, "data");

    // `-`: the report alone on standard output, the summary on standard error, no file `-`.
    let run = run_in(scratch.dir.path(), &["scan", "data", "--json", "-"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let report: Value = serde_json::from_slice(&run.stdout).expect("stdout is the report");
    assert_eq!(report["schema"], "paradup.report/v1");
    assert!(stderr_of(&run).contains("paradup scan: 3 documents"));
    assert!(!scratch.path("-").exists());
    let run = run_in(scratch.dir.path(), &["scan", "data", "--html", "-", "-q"]);
    assert!(stdout_of(&run).starts_with("<!DOCTYPE html>"), "{run:?}");
    assert!(!scratch.path("-").exists());
    let run = run_in(
        scratch.dir.path(),
        &["scan", "data", "--json", "-", "--html", "-"],
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr_of(&run).contains("--json and --html cannot all write to standard output"));

    let run = run_in(
        scratch.dir.path(),
        &[
            "compare",
            "data/article0.txt",
            "--reference",
            "data",
            "--json",
            "-",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let report: Value = serde_json::from_slice(&run.stdout).expect("stdout is the report");
    assert_eq!(report["schema"], "paradup.compare/v2");
    assert!(stderr_of(&run).contains("paradup compare:"));
    assert!(!scratch.path("-").exists());

    // A link to a report: the link stays, the file it names is replaced.
    std::fs::write(scratch.path("real.json"), "stale").unwrap();
    std::os::unix::fs::symlink("real.json", scratch.path("r.json")).unwrap();
    let run = run_in(
        scratch.dir.path(),
        &["scan", "-q", "data", "--json", "r.json"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(std::fs::symlink_metadata(scratch.path("r.json"))
        .unwrap()
        .file_type()
        .is_symlink());
    let real: Value = serde_json::from_str(&scratch.read("real.json")).unwrap();
    assert_eq!(real["summary"]["documents"], 3);

    // A link to this process's standard output: the report comes out there.
    std::os::unix::fs::symlink("/proc/self/fd/1", scratch.path("out")).unwrap();
    let run = run_in(scratch.dir.path(), &["scan", "-q", "data", "--json", "out"]);
    let report: Value = serde_json::from_slice(&run.stdout).expect("report on stdout");
    assert_eq!(report["summary"]["documents"], 3);
    assert!(std::fs::symlink_metadata(scratch.path("out"))
        .unwrap()
        .file_type()
        .is_symlink());

    // A FIFO: written through to its reader, still a FIFO afterwards.
    let fifo = scratch.path("report.fifo");
    mkfifo(&fifo);
    let (sender, receiver) = mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let mut text = String::new();
        let read = std::fs::File::open(&reader_path).and_then(|mut f| f.read_to_string(&mut text));
        let _ = sender.send(read.map(|_| text));
    });
    let run = run_in(
        scratch.dir.path(),
        &["scan", "-q", s(&corpus), "--json", s(&fifo)],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let text = receiver
        .recv_timeout(RUN_LIMIT)
        .expect("the FIFO's reader got the report")
        .unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["summary"]["documents"], 3);
    assert!(is_fifo(&fifo));
}

/// Finding 2: a pipe given as input was read once, so dedup saw no documents and scan's report
/// had clusters without text; a FIFO inside a folder made the walk hang; a symlinked folder inside
/// an input was an error. Now pipes are spooled, FIFOs in folders are left out with a note, and
/// linked folders are followed, a link back into the walk not twice.
#[cfg(unix)]
#[test]
fn pipes_fifos_and_linked_folders_as_inputs() {
    let scratch = Scratch::new();
    let texts = corpus_texts();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let lines = jsonl(&refs);

    // A FIFO named as input (as `<(cat c.jsonl)` is): dedup reads its bytes once.
    let fifo = scratch.path("in.fifo");
    mkfifo(&fifo);
    feed_fifo(&fifo, lines.clone().into_bytes());
    let out = scratch.path("out.jsonl");
    let run = run_in(
        scratch.dir.path(),
        &["dedup", "-q", s(&fifo), "-o", s(&out)],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written.lines().count(), 3);
    assert_eq!(written.matches(DISCLAIMER).count(), 1, "{written}");
    assert_eq!(written.matches(P[1]).count(), 1, "{written}");

    // scan: every cluster's text read back from the spool.
    let fifo = scratch.path("scan.fifo");
    mkfifo(&fifo);
    feed_fifo(&fifo, lines.into_bytes());
    let run = run_in(scratch.dir.path(), &["scan", "-q", s(&fifo), "--json", "-"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    for cluster in clusters {
        assert!(!cluster["text"].as_str().unwrap().is_empty(), "{cluster}");
    }

    // A folder holding a FIFO (no writer: opening it would wait forever), a link to a folder
    // elsewhere, and in that folder a link back to the first.
    let corpus = write_corpus_folder(&scratch, "corpus");
    mkfifo(&corpus.join("pipe"));
    scratch.write("elsewhere/linked.txt", P[5]);
    std::os::unix::fs::symlink("../elsewhere", corpus.join("shared")).unwrap();
    std::os::unix::fs::symlink("../corpus", scratch.path("elsewhere/back")).unwrap();
    let run = run_in(scratch.dir.path(), &["scan", "corpus", "--json", "r.json"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let stderr = stderr_of(&run);
    assert!(
        stderr.contains("paradup: note: corpus/pipe: left out: a FIFO"),
        "{stderr}"
    );
    assert!(
        stderr.contains("corpus/shared/back: link not followed"),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&scratch.read("r.json")).unwrap();
    assert_eq!(report["summary"]["documents"], 4);
}

/// Finding 3: with `--containment`, dedup kept a 16-word excerpt and deleted the 33-word
/// paragraph that contains it. Only the contained, shorter copy may go.
#[test]
fn containment_dedup_removes_only_the_contained_copy() {
    let scratch = Scratch::new();
    let paragraph = "The harbour board met on Monday evening and agreed after a long debate that \
                     the new container terminal will be built on reclaimed land south of the old \
                     wall next spring.";
    let excerpt = "agreed after a long debate that the new container terminal will be built on \
                   reclaimed land south";
    assert!(paragraph.contains(excerpt));
    // The excerpt first: the canonical copy is the shorter one.
    scratch.write("a/1.txt", &format!("{excerpt}\n\n{}\n", P[0]));
    scratch.write("a/2.txt", &format!("{paragraph}\n\n{}\n", P[1]));
    let run = run_in(
        scratch.dir.path(),
        &["dedup", "-q", "--containment", "0.9", "a", "-o", "out"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert_eq!(
        scratch.read("out/2.txt"),
        format!("{paragraph}\n\n{}\n", P[1])
    );
    assert_eq!(
        scratch.read("out/1.txt"),
        format!("{excerpt}\n\n{}\n", P[0])
    );

    // The paragraph first: the excerpt lying inside it goes.
    scratch.write("b/1.txt", &format!("{paragraph}\n\n{}\n", P[1]));
    scratch.write("b/2.txt", &format!("{excerpt}\n\n{}\n", P[0]));
    let run = run_in(
        scratch.dir.path(),
        &["dedup", "-q", "--containment", "0.9", "b", "-o", "out-b"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert_eq!(
        scratch.read("out-b/1.txt"),
        format!("{paragraph}\n\n{}\n", P[1])
    );
    assert_eq!(scratch.read("out-b/2.txt"), format!("{}\n", P[0]));
}

/// Finding 4: `dedup corpus.jsonl.zst -o clean.jsonl.zst` wrote plain JSON under a `.zst` name.
/// An output is compressed as its name says; a name that says nothing keeps the input's
/// compression when it is the input's own name.
#[test]
fn compression_follows_the_output_name() {
    let scratch = Scratch::new();
    let texts = corpus_texts();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let lines = jsonl(&refs);
    let zst = zstd::encode_all(lines.as_bytes(), 3).unwrap();
    std::fs::write(scratch.path("corpus.jsonl.zst"), &zst).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lines.as_bytes()).unwrap();
    std::fs::write(scratch.path("corpus.jsonl.gz"), gz.finish().unwrap()).unwrap();

    let decoded = |name: &str| -> String {
        let raw = std::fs::read(scratch.path(name)).unwrap();
        let mut text = String::new();
        if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            text = String::from_utf8(zstd::decode_all(&raw[..]).unwrap()).unwrap();
        } else if raw.starts_with(&[0x1f, 0x8b]) {
            flate2::read::MultiGzDecoder::new(&raw[..])
                .read_to_string(&mut text)
                .unwrap();
        } else {
            text = String::from_utf8(raw).unwrap();
        }
        text
    };
    let magic = |name: &str| std::fs::read(scratch.path(name)).unwrap()[..2].to_vec();

    for (input, output, expected_magic) in [
        ("corpus.jsonl.zst", "clean.jsonl.zst", vec![0x28, 0xb5]),
        (
            "corpus.jsonl.gz",
            "clean-from-gz.jsonl.zst",
            vec![0x28, 0xb5],
        ),
        ("corpus.jsonl.zst", "clean.jsonl.gz", vec![0x1f, 0x8b]),
        ("corpus.jsonl.zst", "clean.jsonl", b"{\"".to_vec()),
    ] {
        let run = run_in(scratch.dir.path(), &["dedup", "-q", input, "-o", output]);
        assert_eq!(run.status.code(), Some(0), "{input} -> {output}: {run:?}");
        assert_eq!(magic(output), expected_magic, "{input} -> {output}");
        let text = decoded(output);
        assert_eq!(text.lines().count(), 3, "{output}");
        assert_eq!(text.matches(DISCLAIMER).count(), 1, "{output}");
    }

    // In a folder output each file keeps its name, and with it its compression.
    std::fs::create_dir(scratch.path("shards")).unwrap();
    std::fs::write(scratch.path("shards/part.jsonl.zst"), &zst).unwrap();
    let run = run_in(
        scratch.dir.path(),
        &["dedup", "-q", "shards", "-o", "clean"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert_eq!(magic("clean/part.jsonl.zst"), vec![0x28, 0xb5]);
    assert_eq!(
        decoded("clean/part.jsonl.zst").matches(DISCLAIMER).count(),
        1
    );
}

/// Finding 5: `scan . --html report.html` run twice read its own report the second time. The
/// outputs of the running command are not inputs, and a folder walk leaves out the reports
/// paradup writes (JSON, HTML, a baseline, a members table), recognized by their content,
/// whatever their names.
#[test]
fn reports_are_never_read_back_as_inputs() {
    let scratch = Scratch::new();
    write_corpus_folder(&scratch, "work");
    let work = scratch.path("work");
    let first = run_in(
        &work,
        &["scan", ".", "--html", "report.html", "--json", "r.json"],
    );
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    let first_report: Value = serde_json::from_str(&scratch.read("work/r.json")).unwrap();
    assert_eq!(first_report["summary"]["documents"], 3);
    // Renamed, the reports are still recognized; the baseline too.
    std::fs::rename(work.join("r.json"), work.join("old-results.txt")).unwrap();
    std::fs::copy(work.join("report.html"), work.join("page.txt")).unwrap();
    let run = run_in(&work, &["scan", "-q", ".", "--write-baseline", "base.json"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    // The members table is a report too, known by its metadata whatever its name.
    let run = run_in(&work, &["scan", "-q", ".", "--members", "m.parquet"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    std::fs::rename(work.join("m.parquet"), work.join("copies.parquet")).unwrap();

    let second = run_in(
        &work,
        &["scan", ".", "--html", "report.html", "--json", "r.json"],
    );
    assert_eq!(second.status.code(), Some(0), "{second:?}");
    let second_report: Value = serde_json::from_str(&scratch.read("work/r.json")).unwrap();
    assert_eq!(second_report["summary"], first_report["summary"]);
    let stderr = stderr_of(&second);
    for file in [
        "report.html",
        "old-results.txt",
        "page.txt",
        "base.json",
        "copies.parquet",
    ] {
        assert!(
            stderr.contains(&format!("./{file}: left out")),
            "{file}: {stderr}"
        );
    }
}

/// Finding 8: a bad output path was found only after the scan (dedup even created missing
/// folders for `-o` while `--json` failed). All of `--json`, `--html`, `-o` are checked before
/// anything is read: here the input is a FIFO no one writes to, which a scan would wait on.
#[cfg(unix)]
#[test]
fn output_paths_are_checked_before_the_scan() {
    let scratch = Scratch::new();
    let fifo = scratch.path("never.fifo");
    mkfifo(&fifo);
    scratch.write("a-file", "x");
    std::fs::create_dir(scratch.path("a-folder")).unwrap();
    let cases: [&[&str]; 6] = [
        &["scan", "never.fifo", "--json", "missing/r.json"],
        &["scan", "never.fifo", "--html", "a-folder"],
        &["scan", "never.fifo", "--json", "a-file/r.json"],
        &["scan", "never.fifo", "--write-baseline", "missing/b.json"],
        &["dedup", "never.fifo", "-o", "missing/out.jsonl"],
        &["dedup", "never.fifo", "-o", "a-file/out.jsonl"],
    ];
    for args in cases {
        let run = run_in(scratch.dir.path(), args);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {run:?}");
        let stderr = stderr_of(&run);
        assert!(
            stderr.starts_with("paradup: error: cannot write"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!scratch.path("missing").exists());
}

/// Finding 9: `dedup a/ b/ -o out/` failed when both folders held `x.txt`. Each input folder is
/// mirrored under the output; many small files are written in parallel and leave no temporary
/// file behind.
#[test]
fn several_input_folders_are_mirrored_under_the_output() {
    let scratch = Scratch::new();
    let texts = corpus_texts();
    scratch.write("a/x.txt", &texts[0]);
    scratch.write("b/x.txt", &texts[1]);
    scratch.write("b/deep/y.txt", &texts[2]);
    scratch.write("loose.txt", P[6]);
    let run = run_in(
        scratch.dir.path(),
        &["dedup", "-q", "a", "./b/", "loose.txt", "-o", "out"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert_eq!(scratch.read("out/a/x.txt"), texts[0]);
    assert_eq!(scratch.read("out/b/x.txt"), format!("{}\n", P[2]));
    assert!(!scratch.read("out/b/deep/y.txt").contains(DISCLAIMER));
    assert_eq!(scratch.read("out/loose.txt"), P[6]);

    // Two folders that would be mirrored under the same name cannot share it.
    scratch.write("c/a/x.txt", P[7]);
    let run = run_in(
        &scratch.path("c"),
        &["dedup", "-q", "a", "../a", "-o", "../out3"],
    );
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    assert!(stderr_of(&run).contains("would both be written to"));

    // Many small files: every one written, nothing temporary left over.
    for i in 0..300 {
        scratch.write(
            &format!("many/{:02}/doc{i}.txt", i % 7),
            &format!("{}\n\n{DISCLAIMER}\n", P[i % P.len()]),
        );
    }
    let run = run_in(
        scratch.dir.path(),
        &["dedup", "-q", "many", "-o", "many-out"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let mut files = 0;
    for folder in std::fs::read_dir(scratch.path("many-out")).unwrap() {
        for entry in std::fs::read_dir(folder.unwrap().path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(name.starts_with("doc"), "{name}");
            files += 1;
        }
    }
    assert_eq!(files, 300);
}

/// The README's two pipelines, run as written: `paradup scan data/ --json - | python3 -m
/// json.tool` (standard output is the report alone) and `paradup dedup x.jsonl -o - | wc -l`
/// (standard output is the corpus alone, a line a record).
#[test]
fn readme_pipelines_work() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("paradup scan data/ --json - | python3 -m json.tool"));
    assert!(readme.contains("paradup dedup x.jsonl -o - | wc -l"));

    let scratch = Scratch::new();
    write_corpus_folder(&scratch, "data");
    let run = run_in(scratch.dir.path(), &["scan", "data/", "--json", "-"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let report: Value = serde_json::from_slice(&run.stdout).expect("one JSON document");
    assert_eq!(report["summary"]["documents"], 3);

    let texts = corpus_texts();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    scratch.write("x.jsonl", &jsonl(&refs));
    let run = run_in(scratch.dir.path(), &["dedup", "x.jsonl", "-o", "-"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let stdout = stdout_of(&run);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for line in stdout.lines() {
        serde_json::from_str::<Value>(line).expect("a record a line");
    }
    assert_eq!(stdout.matches(DISCLAIMER).count(), 1);
    assert!(stderr_of(&run).contains("paradup dedup: 3 documents"));
    assert!(!scratch.path("-").exists());
}
