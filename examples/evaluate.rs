//! Measures paradup's recall and precision on a generated corpus against brute-force truth: every
//! pair of distinct paragraphs gets its true Jaccard, and the scan's clusters are checked against
//! them (see `paradup_synth::evaluate`). Scan parameters are the library defaults unless given.
//!
//! ```sh
//! cargo run --release --example evaluate -- --documents 3000 --seed 1
//! cargo run --release --example evaluate -- --documents 3000 --bands 16 --rows 8
//! cargo run --release --example evaluate -- --families
//! ```
//!
//! With `--families`, the corpus is the dense families of `synth::families::evaluation_families`
//! instead of news articles: thousands of near copies of one paragraph, templated paragraphs that
//! differ only in numbers, drift chains.

use anyhow::{bail, Result};
use clap::Parser;
use paradup::normalize::normalize;
use paradup::shingle::{jaccard, shingle_set};
use paradup::{Banding, Document, ScanParams, Scanner, SplitMode, Unit};
use paradup_synth::evaluate::{evaluate, DEFAULT_BANDS, DEFAULT_PRECISION_FLOOR};
use paradup_synth::synth::families::{evaluation_families, family_documents, family_paragraphs};
use paradup_synth::synth::{Generator, PlantKind};
use std::collections::HashMap;
use std::time::Instant;

/// A paragraph's cluster (if any) and its shingle set.
type ClusteredSet = (Option<usize>, Vec<u32>);

/// Recall and precision of paradup on a generated corpus.
#[derive(Debug, Parser)]
struct Args {
    /// Articles to generate.
    #[arg(long, default_value_t = 3000)]
    documents: usize,

    /// Seed of the corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Similarity threshold (default: the library's).
    #[arg(long)]
    threshold: Option<f64>,

    /// MinHash functions (default: the library's).
    #[arg(long)]
    num_perm: Option<usize>,

    /// LSH bands (default: chosen for the threshold).
    #[arg(long)]
    bands: Option<usize>,

    /// LSH rows (default: chosen for the threshold).
    #[arg(long)]
    rows: Option<usize>,

    /// Join contained passages at this containment.
    #[arg(long)]
    containment: Option<f64>,

    /// Split mode.
    #[arg(long)]
    split: Option<SplitMode>,

    /// Unit: paragraph or document.
    #[arg(long)]
    unit: Option<Unit>,

    /// True Jaccard a cluster member needs to another member to count as correct.
    #[arg(long, default_value_t = DEFAULT_PRECISION_FLOOR)]
    floor: f64,

    /// Evaluate on dense families of near copies (20 paragraphs a document) instead of articles.
    #[arg(long)]
    families: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut params = ScanParams::default();
    let tuned_banding = args.threshold.is_some() || args.num_perm.is_some();
    if let Some(threshold) = args.threshold {
        params.threshold = threshold;
    }
    if let Some(num_perm) = args.num_perm {
        params.num_perm = num_perm;
    }
    if tuned_banding {
        params.banding = Banding::choose(params.threshold, params.num_perm);
    }
    match (args.bands, args.rows) {
        (Some(bands), Some(rows)) => params.banding = Banding { bands, rows },
        (None, None) => {}
        _ => bail!("give both --bands and --rows, or neither"),
    }
    params.containment = args.containment;
    if let Some(split) = args.split {
        params.split = split;
    }
    if let Some(unit) = args.unit {
        params.unit = unit;
    }
    if let Err(e) = params.validate() {
        bail!("invalid parameters: {e}");
    }

    let started = Instant::now();
    let articles: Vec<_> = if args.families {
        Vec::new()
    } else {
        Generator::new(args.seed).take(args.documents).collect()
    };
    let documents: Vec<Document> = if args.families {
        family_documents(&family_paragraphs(args.seed, &evaluation_families()), 20)
    } else {
        articles
            .iter()
            .enumerate()
            .map(|(line, a)| a.document(line as u64 + 1))
            .collect()
    };
    let bytes: usize = documents.iter().map(|d| d.text.len()).sum();
    let generated = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut scanner = Scanner::new(params.clone())?;
    scanner.add_batch(documents.clone());
    let outcome = scanner.finish();
    let scanned = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let result = evaluate(&documents, &outcome, &DEFAULT_BANDS, args.floor);
    let brute = started.elapsed().as_secs_f64();

    println!(
        "corpus: {} generated {}, seed {}, {:.1} MB ({generated:.1} s)",
        documents.len(),
        if args.families {
            "documents of dense families"
        } else {
            "articles"
        },
        args.seed,
        bytes as f64 / 1e6
    );
    println!(
        "scan:   unit {}, split {}, threshold {}, {} hashes, {} bands x {} rows{}; {} candidate pairs, {} verified ({scanned:.2} s)",
        params.unit,
        params.split,
        params.threshold,
        params.num_perm,
        params.banding.bands,
        params.banding.rows,
        params
            .containment
            .map(|c| format!(", containment {c}"))
            .unwrap_or_default(),
        outcome.summary.candidate_pairs,
        outcome.summary.verified_pairs
    );
    println!(
        "truth:  {} units, {} distinct, {} in the near tier, {} pairs compared ({brute:.1} s)",
        result.units, result.distinct, result.near_distinct, result.compared_pairs
    );
    println!();
    println!("| true Jaccard | pairs | found | recall |");
    println!("|---|---:|---:|---:|");
    let row = |label: String, pairs: u64, found: u64| {
        let recall = if pairs == 0 {
            1.0
        } else {
            found as f64 / pairs as f64
        };
        println!("| {label} | {pairs} | {found} | {recall:.4} |");
    };
    row(
        "exact copies".into(),
        result.exact.pairs,
        result.exact.found,
    );
    for band in &result.bands {
        row(
            format!("{:.2} - {:.2}", band.low, band.high),
            band.pairs,
            band.found,
        );
    }
    let (pairs, found) = result
        .bands
        .iter()
        .filter(|b| b.high <= 0.9 + 1e-9)
        .fold((0, 0), |(p, f), b| (p + b.pairs, f + b.found));
    row("0.80 - 0.90".into(), pairs, found);
    if let Some(contained) = &result.contained {
        row(
            format!("below 0.80, containment >= {}", contained.low),
            contained.pairs,
            contained.found,
        );
    }
    println!();
    println!(
        "precision: {:.4} ({} of {} cluster members have a true match >= {} in their cluster)",
        result.precision(),
        result.supported_members,
        result.members,
        result.precision_floor
    );
    println!(
        "chains:    {} members marked via_chain; {} pairs below {:.2} share a cluster",
        result.chained_members, result.joined_below, DEFAULT_BANDS[0].0
    );
    if result.split_units > 0 {
        println!(
            "error:     {} identical units were split across clusters",
            result.split_units
        );
    }

    // Planted look-alikes: paragraphs of one template with different facts.
    if !args.families && params.unit == Unit::Paragraph && params.split == SplitMode::Auto {
        let mut cluster_of: HashMap<(u32, u32), usize> = HashMap::new();
        for (id, cluster) in outcome.clusters.iter().enumerate() {
            for m in &cluster.members {
                cluster_of.insert((m.doc, m.paragraph), id);
            }
        }
        let mut families: HashMap<u32, Vec<ClusteredSet>> = HashMap::new();
        let mut scratch = Vec::new();
        for (doc, article) in articles.iter().enumerate() {
            for plant in &article.plants {
                if plant.kind != PlantKind::Lookalike {
                    continue;
                }
                let mut set = Vec::new();
                let normalized = normalize(&article.text[plant.start..plant.end], params.normalize);
                shingle_set(
                    &normalized,
                    params.ngram,
                    params.char_ngram,
                    &mut scratch,
                    &mut set,
                );
                let cluster = cluster_of.get(&(doc as u32, plant.paragraph)).copied();
                families
                    .entry(plant.family.unwrap_or(0))
                    .or_default()
                    .push((cluster, set));
            }
        }
        let (mut pairs, mut joined, mut similar, mut highest) = (0u64, 0u64, 0u64, 0.0f64);
        for members in families.values() {
            for (i, (ca, sa)) in members.iter().enumerate() {
                for (cb, sb) in &members[i + 1..] {
                    pairs += 1;
                    let j = jaccard(sa, sb);
                    if j >= params.threshold {
                        similar += 1;
                    } else {
                        highest = highest.max(j);
                        if ca.is_some() && ca == cb {
                            joined += 1;
                        }
                    }
                }
            }
        }
        println!(
            "look-alikes: {pairs} pairs of same-template paragraphs; {similar} reach the threshold by chance; of the rest (true Jaccard up to {highest:.3}) {joined} share a cluster"
        );
    }
    Ok(())
}
