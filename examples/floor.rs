//! The floor any paragraph-dedup tool pays: read the inputs, segment and normalize every paragraph,
//! and hash its shingles, in parallel batches exactly as `paradup scan` does, and nothing more.
//! The peers benchmark times this beside a whole `scan` to show what the rest of the pipeline costs.
//!
//! usage: cargo run --release --example floor -- [--split auto|blank|line] INPUT...

use paradup::normalize::{normalize_into, NormalizeOptions};
use paradup::segment::{segment, SplitMode};
use paradup::shingle::shingle_set;
use paradup::{Document, Inputs, ReadEvent, ReadOptions};
use rayon::prelude::*;
use std::ops::ControlFlow;

fn fingerprint(batch: &[Document], split: SplitMode) -> usize {
    batch
        .par_iter()
        .map_init(
            || (String::new(), Vec::new(), Vec::new()),
            |(normalized, scratch, set), doc| {
                let mut shingles = 0;
                for span in segment(&doc.text, split) {
                    normalize_into(
                        &doc.text[span.start..span.end],
                        NormalizeOptions::default(),
                        normalized,
                    );
                    shingle_set(normalized, 3, 5, scratch, set);
                    shingles += set.len();
                }
                shingles
            },
        )
        .sum()
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut split = SplitMode::Auto;
    if let Some(at) = args.iter().position(|a| a == "--split") {
        let mode = args.get(at + 1).cloned().unwrap_or_default();
        split = match mode.parse() {
            Ok(mode) => mode,
            Err(e) => {
                eprintln!("floor: {e}");
                std::process::exit(2);
            }
        };
        args.drain(at..(at + 2).min(args.len()));
    }
    let (inputs, errors) = Inputs::resolve(&args);
    for error in &errors {
        eprintln!("floor: {error}");
    }
    let mut batch = Vec::new();
    let mut batch_bytes = 0;
    let mut shingles = 0;
    let _ = inputs.read(&ReadOptions::default(), &mut |event| {
        if let ReadEvent::Document(doc) = event {
            batch_bytes += doc.text.len();
            batch.push(doc);
            if batch.len() >= 2048 || batch_bytes >= 32 << 20 {
                shingles += fingerprint(&batch, split);
                batch.clear();
                batch_bytes = 0;
            }
        }
        ControlFlow::Continue(())
    });
    shingles += fingerprint(&batch, split);
    println!("{shingles} shingles");
}
