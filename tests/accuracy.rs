//! Pins paradup's accuracy on a small generated corpus against brute-force truth, so that a change
//! that costs recall or precision fails here. The figures in the README come from the same
//! measurement on a larger corpus (`cargo run --release --example evaluate`).

use paradup::normalize::normalize;
use paradup::shingle::{jaccard, shingle_set};
use paradup::{Banding, Document, ScanOutcome, ScanParams, Scanner, Unit};
use paradup_synth::evaluate::{evaluate, Evaluation, DEFAULT_BANDS, DEFAULT_PRECISION_FLOOR};
use paradup_synth::synth::families::{
    evaluation_families, family_documents, family_paragraphs, FamilyKind, FamilyParagraph,
    FamilySpec,
};
use paradup_synth::synth::{Article, Generator, PlantKind};
use std::collections::HashMap;

/// A paragraph's cluster (if any) and its shingle set.
type ClusteredSet = (Option<usize>, Vec<u32>);

const DOCUMENTS: usize = 800;

fn corpus(seed: u64) -> (Vec<Article>, Vec<Document>) {
    let articles: Vec<Article> = Generator::new(seed).take(DOCUMENTS).collect();
    let documents = articles
        .iter()
        .enumerate()
        .map(|(line, a)| a.document(line as u64 + 1))
        .collect();
    (articles, documents)
}

fn scan(documents: &[Document], params: ScanParams) -> ScanOutcome {
    let mut scanner = Scanner::new(params).unwrap();
    scanner.add_batch(documents.to_vec());
    scanner.finish()
}

fn measure(seed: u64, params: ScanParams) -> (Vec<Article>, ScanOutcome, Evaluation) {
    let (articles, documents) = corpus(seed);
    let outcome = scan(&documents, params);
    let result = evaluate(
        &documents,
        &outcome,
        &DEFAULT_BANDS,
        DEFAULT_PRECISION_FLOOR,
    );
    (articles, outcome, result)
}

#[test]
fn defaults_come_from_the_chooser() {
    let params = ScanParams::default();
    assert_eq!(
        params.banding,
        Banding::choose(params.threshold, params.num_perm)
    );
    assert_eq!(params.banding, Banding { bands: 17, rows: 7 });
}

#[test]
fn default_parameters_meet_the_recall_and_precision_targets() {
    let mut totals = [(0u64, 0u64); 3];
    for seed in [1, 2] {
        let (articles, outcome, result) = measure(seed, ScanParams::default());
        // The corpus holds enough of every kind of pair for the figures to mean something.
        for band in &result.bands {
            assert!(band.pairs >= 40, "seed {seed}: too few pairs in {band:?}");
        }
        assert!(result.exact.pairs >= 1000);
        assert_eq!(
            result.exact.found, result.exact.pairs,
            "exact copies missed"
        );
        assert_eq!(result.split_units, 0);
        assert!(
            result.precision() >= 0.99,
            "seed {seed}: precision {}",
            result.precision()
        );
        for (total, band) in totals.iter_mut().zip(&result.bands) {
            total.0 += band.pairs;
            total.1 += band.found;
        }

        // No two look-alikes (one template, different facts) below the threshold share a cluster.
        let mut cluster_of = HashMap::new();
        for (id, cluster) in outcome.clusters.iter().enumerate() {
            for m in &cluster.members {
                cluster_of.insert((m.doc, m.paragraph), id);
            }
        }
        let mut families: HashMap<u32, Vec<ClusteredSet>> = HashMap::new();
        let mut scratch = Vec::new();
        for (doc, article) in articles.iter().enumerate() {
            for plant in article
                .plants
                .iter()
                .filter(|p| p.kind == PlantKind::Lookalike)
            {
                let mut set = Vec::new();
                let text = normalize(&article.text[plant.start..plant.end], Default::default());
                shingle_set(&text, 3, 5, &mut scratch, &mut set);
                let cluster = cluster_of.get(&(doc as u32, plant.paragraph)).copied();
                families
                    .entry(plant.family.unwrap())
                    .or_default()
                    .push((cluster, set));
            }
        }
        let mut compared = 0;
        for members in families.values() {
            for (i, (ca, sa)) in members.iter().enumerate() {
                for (cb, sb) in &members[i + 1..] {
                    compared += 1;
                    if jaccard(sa, sb) < 0.8 {
                        assert!(ca.is_none() || ca != cb, "look-alikes joined");
                    }
                }
            }
        }
        assert!(compared >= 1000, "{compared}");
    }
    let recall = |(pairs, found): (u64, u64)| found as f64 / pairs as f64;
    let high = recall(totals[2]);
    let middle = recall((totals[0].0 + totals[1].0, totals[0].1 + totals[1].1));
    assert!(high >= 0.98, "recall at 0.9-1.0: {high}");
    assert!(middle >= 0.95, "recall at 0.8-0.9: {middle}");
}

#[test]
fn a_banding_that_costs_recall_fails_the_targets() {
    // The measurement is sharp enough to see a bad choice: 10 x 12 finds half the pairs at 0.8.
    let params = ScanParams {
        banding: Banding {
            bands: 10,
            rows: 12,
        },
        ..ScanParams::default()
    };
    let (_, _, result) = measure(1, params);
    assert!(result.recall_between(0.8, 0.9) < 0.95, "{:?}", result.bands);
}

#[test]
fn containment_finds_planted_excerpts() {
    let params = ScanParams {
        containment: Some(0.9),
        ..ScanParams::default()
    };
    let (_, outcome, result) = measure(1, params);
    let contained = result.contained.clone().unwrap();
    assert!(contained.pairs >= 20, "{contained:?}");
    assert!(contained.recall() >= 0.95, "{contained:?}");
    assert!(result.precision() >= 0.99);
    assert!(outcome
        .clusters
        .iter()
        .flat_map(|c| &c.members)
        .any(|m| m.contained && m.containment >= 0.9 && m.similarity < 0.8));
}

#[test]
fn document_unit_finds_syndicated_articles() {
    let params = ScanParams {
        unit: Unit::Document,
        ..ScanParams::default()
    };
    let (_, outcome, result) = measure(1, params);
    assert!(result.exact.pairs >= 5, "{:?}", result.exact);
    assert_eq!(result.exact.found, result.exact.pairs);
    let near: u64 = result.bands.iter().map(|b| b.pairs).sum();
    assert!(near >= 5, "{:?}", result.bands);
    assert!(result.recall_between(0.8, 1.0) >= 0.95);
    assert!(result.precision() >= 0.99);
    // Every cluster is a set of whole documents.
    for cluster in &outcome.clusters {
        assert!(cluster.members.iter().all(|m| m.paragraph == 0));
    }
}

/// Scans the paragraphs of dense families (one paragraph a line, 20 a document) and measures the
/// outcome against brute-force truth.
fn measure_families(paragraphs: &[FamilyParagraph], params: ScanParams) -> (u64, Evaluation) {
    let documents = family_documents(paragraphs, 20);
    let outcome = scan(&documents, params);
    let result = evaluate(&documents, &outcome, &[(0.8, 0.9), (0.9, 1.0)], 0.7);
    (outcome.summary.candidate_pairs, result)
}

#[test]
fn dense_families_meet_the_recall_and_precision_targets() {
    // Families of 300 to 5,000 variants: 1-3 words replaced in 40-80 words, drift chains, and
    // a templated family whose variants differ only in their numbers. Each family is measured on
    // its own (a family's pairs must not hide behind another's), then all of them together.
    let specs = evaluation_families();
    let paragraphs = family_paragraphs(1, &specs);
    let mut all_pairs = 0;
    for (index, spec) in specs.iter().enumerate() {
        let members: Vec<FamilyParagraph> = paragraphs
            .iter()
            .filter(|p| p.family == index as u32)
            .cloned()
            .collect();
        let (verifications, result) = measure_families(&members, ScanParams::default());
        let (middle, high) = (&result.bands[0], &result.bands[1]);
        eprintln!(
            "{spec:?}: 0.8-0.9 {}/{} 0.9-1 {}/{} precision {:.4} verifications {verifications}",
            middle.found,
            middle.pairs,
            high.found,
            high.pairs,
            result.precision()
        );
        // Bounded work: a few hundred verifications a variant, not one per pair.
        assert!(
            verifications <= 320 * spec.variants as u64,
            "{spec:?}: {verifications} verifications"
        );
        assert!(result.precision() >= 0.99, "{spec:?}: {result:?}");
        if spec.kind == FamilyKind::Numbers {
            // Different facts are not copies: no two variants share a cluster.
            assert_eq!(result.members, 0, "{spec:?}: {result:?}");
            continue;
        }
        all_pairs += middle.pairs + high.pairs;
        assert!(middle.pairs + high.pairs >= 300, "{spec:?}: {result:?}");
        assert!(
            result.recall_between(0.8, 1.0) >= 0.98,
            "{spec:?}: {:?}",
            result.bands
        );
        assert!(high.recall() >= 0.995, "{spec:?}: {high:?}");
    }
    let (_, result) = measure_families(&paragraphs, ScanParams::default());
    assert!(result.bands.iter().map(|b| b.pairs).sum::<u64>() >= all_pairs);
    assert!(
        result.recall_between(0.8, 1.0) >= 0.98,
        "{:?}",
        result.bands
    );
    assert!(result.bands[1].recall() >= 0.995, "{:?}", result.bands);
    assert!(result.precision() >= 0.99);
}

#[test]
fn number_variants_join_only_when_digits_are_folded() {
    let specs = [FamilySpec {
        kind: FamilyKind::Numbers,
        variants: 400,
        words: 40,
    }];
    let paragraphs = family_paragraphs(2, &specs);
    let (_, apart) = measure_families(&paragraphs, ScanParams::default());
    // Different numbers are different facts: no pair reaches the threshold, none is joined.
    assert_eq!(apart.bands.iter().map(|b| b.pairs).sum::<u64>(), 0);
    assert_eq!(apart.members, 0, "{apart:?}");
    let folded = ScanParams {
        normalize: paradup::NormalizeOptions { fold_digits: true },
        ..ScanParams::default()
    };
    let (_, joined) = measure_families(&paragraphs, folded);
    assert_eq!(joined.members, 400, "{joined:?}");
}

#[test]
fn a_two_word_family_stays_together() {
    // The reported case: 3,000 variants of one 60-word paragraph, each with two words replaced
    // (true pairwise Jaccard of near copies 0.80-0.90). Pairing each member of a large bucket
    // with its first member and its neighbour found about three in four of these pairs.
    let specs = [FamilySpec {
        kind: FamilyKind::Variants { low: 2, high: 2 },
        variants: 3000,
        words: 60,
    }];
    let paragraphs = family_paragraphs(7, &specs);
    let (verifications, result) = measure_families(&paragraphs, ScanParams::default());
    assert!(result.bands[0].pairs >= 5000, "{result:?}");
    assert!(
        result.recall_between(0.8, 1.0) >= 0.98,
        "{:?}",
        result.bands
    );
    assert!(result.precision() >= 0.99);
    assert!(verifications <= 320 * 3000, "{verifications}");
}

#[test]
fn dense_family_clusters_do_not_depend_on_the_thread_count() {
    let specs = [
        FamilySpec {
            kind: FamilyKind::Variants { low: 2, high: 2 },
            variants: 1500,
            words: 60,
        },
        FamilySpec {
            kind: FamilyKind::Drift,
            variants: 300,
            words: 50,
        },
    ];
    let documents = family_documents(&family_paragraphs(4, &specs), 20);
    let clusters_with = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let outcome = pool.install(|| scan(&documents, ScanParams::default()));
        (outcome.clusters, outcome.summary)
    };
    let one = clusters_with(1);
    assert!(one.0.len() > 1);
    assert_eq!(one, clusters_with(2));
    assert_eq!(one, clusters_with(3));
}
