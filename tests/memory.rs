//! A scan under a memory budget (`--memory`): its tables spill to files, and everything it writes
//! is what a scan in memory writes; the spill folder is gone afterwards, after an error, and
//! after Ctrl-C; a folder without the space the scan needs is said up front.

use assert_cmd::Command;
use paradup::scan::{BoundedScanner, MemoryBudget, SpillPhase};
use paradup::{Document, Location, ScanParams, Scanner};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

fn paradup() -> Command {
    Command::cargo_bin("paradup").expect("binary built")
}

/// A small deterministic generator of numbers.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

fn word(numbers: &mut Numbers) -> String {
    format!("w{}", numbers.below(3000))
}

fn sentence(numbers: &mut Numbers, words: usize) -> Vec<String> {
    (0..words).map(|_| word(numbers)).collect()
}

/// Texts shaped like scraped web text: unique paragraphs, site boilerplate repeated exactly, near
/// copies of shared paragraphs (a word or two changed), a dense family of thousands of variants of
/// one template (large LSH buckets), short repeated lines, and Greek and Chinese text.
fn corpus(documents: usize, seed: u64) -> Vec<(String, String)> {
    let mut numbers = Numbers(seed);
    let boilerplate: Vec<String> = (0..30)
        .map(|_| {
            let words = 12 + numbers.below(20);
            sentence(&mut numbers, words).join(" ")
        })
        .collect();
    let shared: Vec<Vec<String>> = (0..400)
        .map(|_| {
            let words = 15 + numbers.below(30);
            sentence(&mut numbers, words)
        })
        .collect();
    let template = sentence(&mut numbers, 24);
    let short_lines: Vec<String> = (0..20)
        .map(|_| sentence(&mut numbers, 3).join(" "))
        .collect();
    (0..documents)
        .map(|doc| {
            let mut paragraphs = Vec::new();
            for _ in 0..4 + numbers.below(10) {
                let paragraph = match numbers.below(10) {
                    0 | 1 => boilerplate[numbers.below(30)].clone(),
                    2 | 3 => {
                        let mut words = shared[numbers.below(400)].clone();
                        for _ in 0..numbers.below(3) {
                            let at = numbers.below(words.len() as u64);
                            words[at] = word(&mut numbers);
                        }
                        words.join(" ")
                    }
                    4 => {
                        let mut words = template.clone();
                        let at = numbers.below(24);
                        words[at] = format!("v{}", numbers.below(5000));
                        words.join(" ")
                    }
                    5 => short_lines[numbers.below(20)].clone(),
                    6 if doc % 7 == 0 => {
                        "Η επιτροπή συνεδριάζει κάθε δεύτερη Τρίτη του μήνα στο δημαρχείο της πόλης μας"
                            .to_string()
                    }
                    6 if doc % 11 == 0 => {
                        "委员会每个月的第二个星期二在市政厅开会讨论城市的预算和新的公园计划".to_string()
                    }
                    _ => {
                        let words = 8 + numbers.below(40);
                        sentence(&mut numbers, words).join(" ")
                    }
                };
                paragraphs.push(paragraph);
            }
            (format!("d{doc}"), paragraphs.join("\n\n"))
        })
        .collect()
}

fn write_jsonl(path: &Path, documents: &[(String, String)]) {
    let mut out = String::new();
    for (id, text) in documents {
        out.push_str(&serde_json::json!({"id": id, "text": text}).to_string());
        out.push('\n');
    }
    std::fs::write(path, out).expect("write corpus");
}

/// A temporary folder holding an empty `spill` folder and `web.jsonl`, a corpus of `documents`
/// generated from `seed`.
fn folder_with_corpus(documents: usize, seed: u64) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).expect("spill folder");
    let input = dir.path().join("web.jsonl");
    write_jsonl(&input, &corpus(documents, seed));
    (dir, spill, input)
}

fn entries(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .expect("folder readable")
        .map(|entry| entry.expect("entry").path())
        .collect()
}

/// The report without its timing.
fn without_seconds(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\"seconds\":") {
        let (head, tail) = rest.split_at(at + "\"seconds\":".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-'))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The HTML page without the time its scan took.
fn without_scan_time(page: &str) -> String {
    match page.find("scanned in ") {
        Some(at) => {
            let end = page[at..]
                .find(" s</footer>")
                .map_or(page.len(), |e| at + e);
            format!("{}{}", &page[..at], &page[end..])
        }
        None => page.to_string(),
    }
}

/// Runs `paradup ARGS`, asserting exit status 0.
fn run_ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) {
    let output = paradup().args(args).output().expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "paradup {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_budget_that_spills_changes_no_output_at_one_and_two_threads() {
    let (dir, spill, input) = folder_with_corpus(6000, 7);
    let input = input.to_str().expect("utf-8 path");
    let spill_dir = spill.to_str().expect("utf-8 path");
    let out = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_string();

    // The budget is small enough that this corpus spills: with a spill folder that cannot be
    // made, the scan fails.
    let missing = dir.path().join("missing");
    let output = paradup()
        .args(["scan", input, "-q", "--memory", "1M", "--tmp-dir"])
        .arg(&missing)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot make a spill folder"));

    for threads in ["1", "2"] {
        // The scan's JSON and HTML reports and dedup's output, named after `run`; and the JSON
        // report, members table and baseline of a second scan. Past the budget every one of
        // them reads the clusters' copies back from disk in order.
        let outputs_of = |run: &str, extra: &[&str]| {
            let (json, html, clean) = (
                out(&format!("{run}.json")),
                out(&format!("{run}.html")),
                out(&format!("{run}.jsonl")),
            );
            let (streamed, members) = (
                out(&format!("{run}-streamed.json")),
                out(&format!("{run}-members.parquet")),
            );
            // `args` with the run's thread count and budget.
            let with_run = |args: &[&str]| -> Vec<String> {
                let common = ["-q", "--threads", threads];
                let all = args.iter().chain(&common).chain(extra);
                all.map(|arg| arg.to_string()).collect()
            };
            let scan = with_run(&["scan", input, "--json", &json, "--html", &html]);
            run_ok(&scan);
            let baseline = out(&format!("{run}-baseline.json"));
            let scan = with_run(&[
                "scan",
                input,
                "--json",
                &streamed,
                "--members",
                &members,
                "--write-baseline",
                &baseline,
            ]);
            run_ok(&scan);
            // A gate against that baseline knows every cluster, with copies on disk or not.
            let excused = out(&format!("{run}-excused.json"));
            let check = with_run(&["check", input, "--baseline", &baseline, "--json", &excused]);
            run_ok(&check);
            // A gate over every limit fails each, pointing at the same places.
            let verdicts = out(&format!("{run}-verdicts.json"));
            let check = with_run(&[
                "check",
                input,
                "--max-duplicate-ratio",
                "0.01",
                "--max-within-document",
                "0",
                "--max-cluster-documents",
                "20",
                "--top",
                "50",
                "--json",
                &verdicts,
            ]);
            let output = paradup().args(&check).output().expect("runs");
            assert_eq!(output.status.code(), Some(1), "{check:?}: {output:?}");
            let dedup = with_run(&["dedup", input, "--output", &clean]);
            run_ok(&dedup);
            let annotated = out(&format!("{run}-annotated.jsonl"));
            let dedup = with_run(&["dedup", input, "--annotate", "--output", &annotated]);
            run_ok(&dedup);
            (json, html, clean)
        };
        let (json, html, clean) = outputs_of("a", &[]);
        let (bjson, bhtml, bclean) = outputs_of("b", &["--memory", "1M", "--tmp-dir", spill_dir]);
        let read = |path: &str| std::fs::read_to_string(path).expect("written");
        let (a, b) = (read(&json), read(&bjson));
        for run in ["a", "b"] {
            assert_eq!(
                without_seconds(&read(&out(&format!("{run}-streamed.json")))),
                without_seconds(&a),
                "JSON without HTML, run {run}, {threads} threads"
            );
        }
        let table =
            |run: &str| std::fs::read(out(&format!("{run}-members.parquet"))).expect("written");
        assert_eq!(table("a"), table("b"), "members table, {threads} threads");
        let baseline = read(&out("a-baseline.json"));
        assert!(baseline.contains("\"hashes\""), "{baseline}");
        assert_eq!(
            baseline,
            read(&out("b-baseline.json")),
            "baseline, {threads} threads"
        );
        let report: serde_json::Value = serde_json::from_str(&a).expect("JSON");
        assert!(report["summary"]["cross_document_clusters"].as_u64() > Some(100));
        // More copies than a baseline under 1 MiB looks for in one reading of the input (4,096):
        // the baseline above was read in several.
        assert!(report["summary"]["duplicate_paragraphs"].as_u64() > Some(2 * 4096));
        assert_eq!(
            without_seconds(&a),
            without_seconds(&b),
            "JSON, {threads} threads"
        );
        assert_eq!(
            without_scan_time(&read(&html)),
            without_scan_time(&read(&bhtml)),
            "HTML, {threads} threads"
        );
        assert_eq!(read(&clean), read(&bclean), "dedup, {threads} threads");
        for name in ["excused", "verdicts"] {
            let check = |run: &str| read(&out(&format!("{run}-{name}.json")));
            assert_eq!(check("a"), check("b"), "check {name}, {threads} threads");
        }
        let verdicts: serde_json::Value =
            serde_json::from_str(&read(&out("a-verdicts.json"))).expect("JSON");
        let exceeded: Vec<_> = verdicts["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .filter(|v| {
                v["exceeded"] == true && v["offenders"].as_array().map(Vec::len) == Some(50)
            })
            .collect();
        assert_eq!(exceeded.len(), 3, "{verdicts}");
        let excused: serde_json::Value =
            serde_json::from_str(&read(&out("a-excused.json"))).expect("JSON");
        assert_eq!(excused["passed"], true, "{excused}");
        assert!(
            excused["excused"]["paragraphs"].as_u64() > Some(2 * 4096),
            "{excused}"
        );
        let annotated = read(&out("a-annotated.jsonl"));
        assert!(
            annotated.contains("\"similarity\":0."),
            "near copies annotated"
        );
        assert_eq!(
            annotated,
            read(&out("b-annotated.jsonl")),
            "dedup --annotate, {threads} threads"
        );
        // The terminal summary, whose rankings read the clusters' canonical copies only.
        let summary = |extra: &[&str]| {
            let output = paradup()
                .args(["scan", input, "--threads", threads])
                .args(extra)
                .output()
                .expect("runs");
            String::from_utf8_lossy(&output.stdout).into_owned()
        };
        let held = summary(&[]);
        assert!(held.contains("Shared across documents"), "{held}");
        assert_eq!(
            held,
            summary(&["--memory", "1M", "--tmp-dir", spill_dir]),
            "summary, {threads} threads"
        );
        assert!(
            entries(&spill).is_empty(),
            "spill files left: {:?}",
            entries(&spill)
        );
    }
}

#[test]
fn a_run_past_its_budget_says_so_and_one_within_it_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("web.jsonl");
    write_jsonl(&input, &corpus(2000, 13));
    let stderr = |budget: &str| {
        let output = paradup()
            .args(["scan", "-q", "--memory", budget, "--tmp-dir"])
            .arg(dir.path())
            .arg(&input)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let past = stderr("1M");
    if cfg!(target_os = "linux") {
        assert!(past.contains("past --memory 1 MiB"), "{past}");
    }
    assert!(!stderr("16G").contains("past --memory"));
}

#[test]
fn a_budget_too_small_for_the_tables_kept_in_memory_is_said_while_reading() {
    let (_dir, spill, input) = folder_with_corpus(6000, 3);
    let stderr = |budget: &str| {
        let output = paradup()
            .args(["scan", "-q", "--memory", budget, "--tmp-dir"])
            .arg(&spill)
            .arg(&input)
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let warning = "is likely too small for this input";
    // The documents, exact hashes and distinct paragraphs of this corpus outgrow half of 1 MiB,
    // but not of 16 MiB; both budgets spill.
    let small = stderr("1M");
    assert!(small.contains(warning), "{small}");
    assert!(small.contains("a memory budget of 1.0 MiB"), "{small}");
    let forecast = small
        .split("will take about ")
        .nth(1)
        .and_then(|rest| rest.split(" MiB").next())
        .and_then(|mib| mib.parse::<f64>().ok())
        .expect("a forecast in MiB");
    assert!(forecast > 0.5, "{small}");
    assert!(!stderr("16M").contains(warning));
    // Within the budget nothing spills, and nothing is forecast.
    assert!(!stderr("1G").contains(warning));
}

#[test]
fn the_spill_folder_is_removed_after_an_error() {
    let (_dir, spill, input) = folder_with_corpus(6000, 3);
    // A bad record at the end, met long after the tables went to disk.
    let mut text = std::fs::read_to_string(&input).expect("read");
    text.push_str("{\"id\": \"broken\", \"text\": \n");
    std::fs::write(&input, text).expect("write");
    let output = paradup()
        .args(["scan", "-q", "--strict", "--memory", "1M", "--tmp-dir"])
        .arg(&spill)
        .arg(&input)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--strict"));
    assert!(entries(&spill).is_empty(), "left: {:?}", entries(&spill));
}

/// Starts a scan that spills, sends it `signal` once its spill folder exists, and checks that it
/// ended at once with the folder removed.
#[cfg(unix)]
fn interrupted_scan_removes_its_spill_folder(signal: &str) {
    let (_dir, spill, input) = folder_with_corpus(60_000, 5);
    let binary = assert_cmd::cargo::cargo_bin("paradup");
    let mut child = std::process::Command::new(binary)
        .args(["scan", "-q", "--memory", "1M", "--tmp-dir"])
        .arg(&spill)
        .arg(&input)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    // Wait for the spill folder to appear, then interrupt.
    let started = std::time::Instant::now();
    while entries(&spill).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no spill folder after a minute"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let status = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = child.wait().expect("ends");
    assert_eq!(
        status.code(),
        Some(130),
        "{signal}: interrupted, not finished"
    );
    assert!(
        entries(&spill).is_empty(),
        "{signal} left: {:?}",
        entries(&spill)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_removes_the_spill_folder() {
    interrupted_scan_removes_its_spill_folder("-INT");
}

/// What `timeout`, job schedulers and `kill` send.
#[cfg(unix)]
#[test]
fn a_termination_signal_removes_the_spill_folder() {
    interrupted_scan_removes_its_spill_folder("-TERM");
}

#[test]
fn a_folder_without_the_space_needed_is_said_before_the_tables_fill_it() {
    // Enough batches that the scan stops while still reading this file.
    let (dir, spill, input) = folder_with_corpus(30_000, 9);
    // A second input said to hold 8 TB (sparse: it takes no space), never read: the estimate
    // made when the first file's tables reach the spill folder counts it.
    let huge = dir.path().join("huge.jsonl");
    let file = std::fs::File::create(&huge).expect("create");
    file.set_len(8 << 40).expect("sparse file");
    let output = paradup()
        .args(["scan", "-q", "--memory", "1M", "--tmp-dir"])
        .arg(&spill)
        .arg(&input)
        .arg(&huge)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("free there, about"), "{stderr}");
    assert!(
        stderr.contains("TB needed") || stderr.contains("GB needed"),
        "{stderr}"
    );
    assert!(entries(&spill).is_empty(), "left: {:?}", entries(&spill));
}

fn document(id: &str, text: &str) -> Document {
    Document {
        id: id.into(),
        source: None,
        location: Location {
            path: "corpus.jsonl".into(),
            line: None,
            row: None,
        },
        text: text.into(),
    }
}

/// The corpus of `documents` generated from `seed`, as documents for a scanner.
/// A scanner with a budget of 1 MiB, spilling into `tmp_dir`, that does not know its input's size.
fn scanner_under_one_mib(tmp_dir: &Path) -> BoundedScanner {
    let budget = MemoryBudget {
        bytes: 1 << 20,
        tmp_dir: tmp_dir.to_path_buf(),
        expected_text_bytes: None,
    };
    BoundedScanner::new(ScanParams::default(), budget).expect("params")
}

fn corpus_documents(documents: usize, seed: u64) -> Vec<Document> {
    corpus(documents, seed)
        .iter()
        .map(|(id, text)| document(id, text))
        .collect()
}

#[test]
fn the_forecast_scales_the_tables_kept_in_memory_to_the_input_size() {
    let documents = corpus_documents(4000, 17);
    let text_bytes: u64 = documents.iter().map(|d| d.text.len() as u64).sum();
    let dir = tempfile::tempdir().expect("temp dir");
    let budget = |expected_text_bytes| MemoryBudget {
        bytes: 1 << 20,
        tmp_dir: dir.path().to_path_buf(),
        expected_text_bytes,
    };
    // Said to be a hundred times larger than it is.
    let mut bounded =
        BoundedScanner::new(ScanParams::default(), budget(Some(100 * text_bytes))).expect("params");
    for batch in documents.chunks(250) {
        assert!(bounded.budget_forecast().is_none() || bounded.spilled());
        bounded.add_batch(batch.to_vec());
    }
    assert!(bounded.spilled());
    let forecast = bounded
        .budget_forecast()
        .expect("made when the scan spilled");
    assert!(forecast.text_read > 0 && forecast.text_read < text_bytes);
    assert_eq!(forecast.text_expected, 100 * text_bytes);
    assert!(forecast.resident_now > 0);
    // Every table kept in memory grows with the input but the exact tier's, which stops at its
    // share of the budget: the forecast is less than the tables scaled whole, but not by more
    // than the exact tier's part of them (about half of this small corpus's tables, once the
    // near tier's distinct numbers are let go at the spill).
    let scaled =
        forecast.resident_now as f64 * forecast.text_expected as f64 / forecast.text_read as f64;
    assert!((forecast.resident_at_end as f64) < scaled, "{forecast:?}");
    assert!(
        forecast.resident_at_end as f64 > scaled * 0.3,
        "{forecast:?}"
    );
    assert!(forecast.passes_budget(), "{forecast:?}");
    // Without the input's size there is nothing to scale to.
    let mut unknown = BoundedScanner::new(ScanParams::default(), budget(None)).expect("params");
    for batch in documents.chunks(250) {
        unknown.add_batch(batch.to_vec());
    }
    assert!(unknown.spilled());
    assert_eq!(unknown.budget_forecast(), None);
}

#[test]
fn a_bounded_scanner_spills_merges_every_band_and_verifies_in_chunks() {
    let documents = corpus_documents(8000, 11);
    let mut plain = Scanner::new(ScanParams::default()).expect("params");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bounded = scanner_under_one_mib(dir.path());
    let phases = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&phases);
    bounded.observe(move |phase| seen.lock().expect("lock").push(phase.clone()));
    for batch in documents.chunks(500) {
        plain.add_batch(batch.to_vec());
        bounded.add_batch(batch.to_vec());
    }
    assert!(bounded.spilled());
    let expected = plain.finish();
    let mut outcome = bounded.try_finish_streamed().expect("spill works");
    // The copies wait on disk, each cluster holding its canonical copy, until loaded.
    assert!(outcome.members_on_disk.is_some());
    assert!(!entries(dir.path()).is_empty());
    assert!(outcome.clusters.iter().all(|c| c.members.len() == 1));
    assert_eq!(outcome.clusters.len(), expected.clusters.len());
    let copies: Vec<usize> = (0..outcome.clusters.len())
        .map(|c| outcome.copies(c))
        .collect();
    let expected_copies: Vec<usize> = expected.clusters.iter().map(|c| c.members.len()).collect();
    assert_eq!(copies, expected_copies);
    let middle = outcome.clusters.len() / 2;
    let window = outcome
        .clusters_in(middle - 3..middle + 3)
        .expect("read back");
    assert_eq!(
        serde_json::to_value(&*window).expect("clusters"),
        serde_json::to_value(&expected.clusters[middle - 3..middle + 3]).expect("clusters")
    );
    drop(window);
    outcome.load_members().expect("read back");
    assert!(outcome.members_on_disk.is_none());
    assert_eq!(
        serde_json::to_value(&outcome.clusters).expect("clusters"),
        serde_json::to_value(&expected.clusters).expect("clusters")
    );
    assert_eq!(
        serde_json::to_value(&outcome.summary).expect("summary"),
        serde_json::to_value(&expected.summary).expect("summary")
    );
    let phases = phases.lock().expect("lock");
    let bands = ScanParams::default().banding.bands;
    let merged = phases
        .iter()
        .filter(|p| matches!(p, SpillPhase::MergeBand { .. }))
        .count();
    // With a megabyte, the band keys are more than the memory left for bucketing a band whole.
    let band_parts: Vec<u64> = phases
        .iter()
        .filter_map(|p| match p {
            SpillPhase::MergeBand { parts, .. } => Some(*parts),
            _ => None,
        })
        .collect();
    assert!(band_parts.iter().all(|&parts| parts > 1), "{band_parts:?}");
    let chunks = phases
        .iter()
        .filter(|p| matches!(p, SpillPhase::Verify { .. }))
        .count();
    assert!(matches!(phases[0], SpillPhase::Spill { .. }));
    // The exact tier outgrew its share: texts seen again after their first copies were written
    // out were numbered anew, and the report above is the same as in memory all the same.
    let aliases: Vec<(usize, u64)> = phases
        .iter()
        .filter_map(|p| match p {
            SpillPhase::ExactRuns { runs, aliases } => Some((*runs, *aliases)),
            _ => None,
        })
        .collect();
    assert_eq!(aliases.len(), 1, "{aliases:?}");
    assert!(aliases[0].0 > 2 && aliases[0].1 > 100, "{aliases:?}");
    assert_eq!(merged, bands);
    assert!(chunks > 1, "pairs verified in {chunks} chunk");
    let member_ranges = phases
        .iter()
        .filter(|p| matches!(p, SpillPhase::Members { range, .. } if *range > 0))
        .count();
    assert!(
        member_ranges > 1,
        "copies measured in {member_ranges} range"
    );
    assert!(entries(dir.path()).is_empty());
    assert!(expected.summary.candidate_pairs > 10_000);
}

/// A forum's greeting line can have more copies than a window of the JSON report holds (32,768),
/// and more than are read from the spill folder at once (65,536): the report writes it in parts,
/// the same bytes as serde writes it whole, and every output reads it in runs, the same whether
/// the copies are held or read from the spill folder.
#[test]
fn a_cluster_larger_than_a_window_is_read_and_written_in_parts() {
    use paradup::html::{render, HtmlOptions, MemberTexts, PageCopies};
    use paradup::limits::{evaluate, Limits};
    let greeting = "Hi all, thanks for reading and for every answer so far.";
    let mut numbers = Numbers(23);
    let documents: Vec<Document> = (0..500)
        .map(|d| {
            let mut paragraphs = vec![greeting.to_string(); 140];
            for _ in 0..20 {
                paragraphs.push(sentence(&mut numbers, 12).join(" "));
            }
            paragraphs.push(greeting.to_string());
            document(&format!("post-{d}"), &paragraphs.join("\n\n"))
        })
        .collect();
    let texts: Vec<&str> = documents.iter().map(|d| d.text.as_str()).collect();
    let text_of = |doc: u32, start: usize, end: usize| texts[doc as usize].get(start..end);
    // What each output makes of an outcome.
    let outputs = |outcome: &paradup::ScanOutcome| {
        let canonical = outcome
            .clusters
            .iter()
            .map(|c| {
                let m = c.canonical();
                text_of(m.doc, m.span.start, m.span.end)
                    .expect("in the text")
                    .to_string()
            })
            .collect();
        let report = paradup::Report::new(outcome, canonical, Vec::new(), 0.0).expect("copies");
        let mut json = Vec::new();
        report.write_json(&mut json).expect("written");
        let limits = Limits {
            max_duplicate_ratio: Some(0.01),
            by_bytes: false,
            max_within_document: Some(0),
            max_cluster_documents: Some(2),
        };
        let evaluation = evaluate(outcome, &limits, &[]).expect("copies");
        let plan = paradup::dedup::DedupPlan::new(outcome).expect("copies");
        let removals: Vec<_> = (0..outcome.documents.len())
            .map(|doc| plan.removals(doc as u32))
            .collect();
        let options = HtmlOptions::default();
        let copies =
            PageCopies::gather(&report, outcome.documents.len(), &options).expect("copies");
        let wanted = copies.members_to_fetch();
        let fetched = wanted
            .iter()
            .map(|m| text_of(m.doc, m.start, m.end).map(str::to_owned))
            .collect();
        let texts = MemberTexts::from_fetched(&wanted, fetched);
        let page = render(&report, &outcome.documents, &copies, &texts, &options).expect("page");
        let mut batches = Vec::new();
        paradup::members::member_batches(&report, &[], &mut |batch| {
            batches.push(batch);
            Ok(())
        })
        .expect("copies");
        let whole = serde_json::to_vec(&report).expect("written");
        (json, whole, evaluation, removals, page, batches)
    };
    let mut plain = Scanner::new(ScanParams::default()).expect("params");
    plain.add_batch(documents.clone());
    let held = plain.finish();
    assert_eq!(held.clusters[0].members.len(), 70_500);
    let held_outputs = outputs(&held);
    assert!(held_outputs.0 == held_outputs.1, "parts and whole differ");

    let dir = tempfile::tempdir().expect("temp dir");
    let mut bounded = scanner_under_one_mib(dir.path());
    for batch in documents.chunks(50) {
        bounded.add_batch(batch.to_vec());
    }
    let on_disk = bounded.try_finish_streamed().expect("spill works");
    assert!(on_disk.members_on_disk.is_some());
    assert_eq!(on_disk.copies(0), 70_500);
    let disk_outputs = outputs(&on_disk);
    assert!(disk_outputs.0 == held_outputs.0, "JSON from disk differs");
    assert_eq!(disk_outputs.2, held_outputs.2, "limits");
    assert!(held_outputs.2.failed());
    assert!(disk_outputs.3 == held_outputs.3, "dedup plan");
    assert_eq!(held_outputs.3[0].len(), 140);
    assert!(disk_outputs.4 == held_outputs.4, "HTML page");
    assert!(
        held_outputs.4.contains("70500"),
        "the cluster's size on the page"
    );
    assert_eq!(disk_outputs.5, held_outputs.5, "members table");
    let rows: usize = held_outputs.5.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 70_500);
}
