//! Scans one dense family of near-duplicate paragraphs (or the evaluation's set of families) and
//! reports the time and the number of verifications (candidate pairs checked by exact Jaccard);
//! with `--truth`, also recall and precision against brute-force truth (see `paradup_synth::evaluate`).
//!
//! ```sh
//! cargo run --release --example families -- --variants 100000
//! cargo run --release --example families -- --evaluation --truth
//! ```

use anyhow::{bail, Result};
use clap::Parser;
use paradup::{ScanParams, Scanner};
use paradup_synth::evaluate::{evaluate, DEFAULT_PRECISION_FLOOR};
use paradup_synth::synth::families::{
    evaluation_families, family_documents, family_paragraphs, FamilyKind, FamilySpec,
};
use std::time::Instant;

/// Time and verifications of a scan of dense near-duplicate families.
#[derive(Debug, Parser)]
struct Args {
    /// Variants of the one family.
    #[arg(long, default_value_t = 10_000)]
    variants: usize,

    /// Words of its base paragraph.
    #[arg(long, default_value_t = 60)]
    words: usize,

    /// Fewest words replaced in a variant.
    #[arg(long, default_value_t = 1)]
    low: usize,

    /// Most words replaced in a variant.
    #[arg(long, default_value_t = 3)]
    high: usize,

    /// Scan the families of the accuracy evaluation instead of one family.
    #[arg(long)]
    evaluation: bool,

    /// Seed of the generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Paragraphs a document.
    #[arg(long, default_value_t = 20)]
    per_document: usize,

    /// Also measure recall and precision against brute-force truth (quadratic in the family).
    #[arg(long)]
    truth: bool,

    /// Scans to time; the median is reported.
    #[arg(long, default_value_t = 1)]
    runs: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let specs = if args.evaluation {
        evaluation_families()
    } else {
        vec![FamilySpec {
            kind: FamilyKind::Variants {
                low: args.low,
                high: args.high,
            },
            variants: args.variants,
            words: args.words,
        }]
    };
    let paragraphs = family_paragraphs(args.seed, &specs);
    let documents = family_documents(&paragraphs, args.per_document);
    let params = ScanParams::default();
    let mut times = Vec::new();
    let mut outcome = None;
    for _ in 0..args.runs {
        let started = Instant::now();
        let mut scanner = Scanner::new(params.clone())?;
        scanner.add_batch(documents.clone());
        outcome = Some(scanner.finish());
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let Some(outcome) = outcome else {
        bail!("no scan ran");
    };
    let summary = &outcome.summary;
    println!(
        "{} paragraphs ({} distinct in the near tier): {} verifications, {} verified, {} clusters, {} duplicate paragraphs; scan {:.3} s (median of {})",
        paragraphs.len(),
        summary.near_tier_paragraphs,
        summary.candidate_pairs,
        summary.verified_pairs,
        outcome.clusters.len(),
        summary.duplicate_paragraphs,
        times[times.len() / 2],
        times.len()
    );
    if args.truth {
        let bands = [(0.8, 0.9), (0.9, 1.0)];
        let result = evaluate(&documents, &outcome, &bands, DEFAULT_PRECISION_FLOOR);
        for band in &result.bands {
            println!(
                "true Jaccard {:.2} - {:.2}: {} of {} pairs in one cluster ({:.4})",
                band.low,
                band.high,
                band.found,
                band.pairs,
                band.recall()
            );
        }
        println!(
            "precision {:.4} ({} of {} members); {} pairs below 0.8 share a cluster",
            result.precision(),
            result.supported_members,
            result.members,
            result.joined_below
        );
    }
    Ok(())
}
