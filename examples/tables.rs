//! Where a scan's memory goes: reads the inputs into a `Scanner` as `paradup scan` does, then
//! prints the bytes each of its tables holds, in all and a paragraph (a distinct paragraph, a
//! near-tier paragraph), before the clusters are formed.
//!
//! With `--memory BYTES` first, the scanner runs under that budget (its tables spill past half of
//! it) and the process's resident memory after reading is printed too; the scan is then finished,
//! and what the merge of the exact tier's runs found is printed (the distinct paragraphs numbered
//! twice, whose near-tier prints were made twice).
//!
//! usage: cargo run --release --example tables -- [--memory BYTES] INPUT...

use paradup::scan::{BoundedScanner, MemoryBudget};
use paradup::{Inputs, ReadEvent, ReadOptions, ScanParams, Scanner};
use std::ops::ControlFlow;

fn main() {
    let mut paths: Vec<String> = std::env::args().skip(1).collect();
    let budget = match paths.first().map(String::as_str) {
        Some("--memory") if paths.len() > 1 => {
            let bytes = paths[1].parse::<u64>().unwrap_or_else(|_| {
                eprintln!("tables: --memory takes a number of bytes");
                std::process::exit(2)
            });
            paths.drain(..2);
            Some(MemoryBudget {
                bytes,
                tmp_dir: std::env::temp_dir(),
                expected_text_bytes: None,
            })
        }
        _ => None,
    };
    let (inputs, errors) = Inputs::resolve(&paths);
    for error in &errors {
        eprintln!("tables: {error}");
    }
    let made = match budget {
        Some(budget) => BoundedScanner::new(ScanParams::default(), budget).map(Bounded),
        None => Scanner::new(ScanParams::default()).map(Plain),
    };
    let Ok(mut made) = made else {
        eprintln!("tables: the default parameters do not validate");
        std::process::exit(2);
    };
    if let Bounded(bounded) = &mut made {
        bounded.observe(|phase| {
            if let paradup::scan::SpillPhase::ExactRuns { runs, aliases } = phase {
                println!("exact tier: {runs} sorted runs merged, {aliases} distinct paragraphs numbered twice");
            }
        });
    }
    let scanner: &mut Scanner = match &mut made {
        Bounded(bounded) => bounded,
        Plain(plain) => plain,
    };
    let mut batch = Vec::new();
    let mut text_bytes = 0u64;
    let _ = inputs.read_columnar(&ReadOptions::default(), &mut |event| {
        match event {
            ReadEvent::Document(doc) => {
                text_bytes += doc.text.len() as u64;
                batch.push(doc);
                if batch.len() >= 2048 {
                    scanner.add_batch(std::mem::take(&mut batch));
                }
            }
            ReadEvent::Columnar(documents) => {
                text_bytes += documents.text_bytes() as u64;
                scanner.add_columnar(vec![documents]);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    });
    scanner.add_batch(batch);
    let paragraphs = scanner.paragraph_count().max(1);
    let (distinct, near) = scanner.distinct_counts();
    println!(
        "{} documents, {:.1} MB of text, {paragraphs} paragraphs, {distinct} distinct, {near} in the near tier",
        scanner.document_count(),
        text_bytes as f64 / 1e6
    );
    println!("{:<46} {:>10} {:>12}", "table", "MB", "B/paragraph");
    let mut total = 0usize;
    for (name, bytes) in scanner.table_bytes() {
        total += bytes;
        println!(
            "{name:<46} {:>10.1} {:>12.1}",
            bytes as f64 / 1e6,
            bytes as f64 / paragraphs as f64
        );
    }
    println!(
        "{:<46} {:>10.1} {:>12.1}",
        "all tables",
        total as f64 / 1e6,
        total as f64 / paragraphs as f64
    );
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines() {
            if line.starts_with("VmRSS") || line.starts_with("VmHWM") {
                println!("{line}");
            }
        }
    }
    if let Bounded(bounded) = made {
        match bounded.try_finish_streamed() {
            Ok(outcome) => println!(
                "finished: {} distinct paragraphs, {} clusters",
                outcome.summary.distinct_paragraphs,
                outcome.clusters.len()
            ),
            Err(error) => eprintln!("tables: {error}"),
        }
    }
}

enum Made {
    Bounded(BoundedScanner),
    Plain(Scanner),
}
use Made::{Bounded, Plain};
