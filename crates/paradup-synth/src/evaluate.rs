//! Exact ground truth for a scan, by brute force, and the recall and precision of its clusters.
//!
//! MinHash and LSH trade exactness for speed; this module measures what the trade costs. It cuts
//! and normalizes the documents exactly as the scan did (same split, unit, normalization, shingles
//! and minimum length), collapses identical normalized paragraphs, computes the true Jaccard
//! similarity of every pair of the remaining distinct paragraphs, and compares with the clusters:
//!
//! - **recall** in a similarity band: the share of distinct-paragraph pairs whose true Jaccard lies
//!   in the band that ended up in one cluster; exact copies (identical normalized text, short
//!   paragraphs included) are counted apart, per repeated occurrence;
//! - **precision**: the share of cluster members that have a true match among the other members of
//!   their cluster: an identical copy, a paragraph with true Jaccard at least the stated floor, or,
//!   when the scan joins contained passages, one that contains it at least that much.
//!
//! Every pair's intersection is counted exactly through an inverted index of shingles (pairs
//! that share no shingle have similarity 0). The work grows with the square of the number of
//! paragraphs sharing each shingle: it suits corpora of a few thousand articles.

use paradup::{Document, ScanOutcome};
use paradup_core::shingle::{shingle_set, token_count};
use paradup_core::Fingerprinter;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// The similarity bands recall is reported for; the last includes 1.
pub const DEFAULT_BANDS: [(f64, f64); 3] = [(0.8, 0.85), (0.85, 0.9), (0.9, 1.0)];

/// The true Jaccard a cluster member must have to some other member to count as correct.
pub const DEFAULT_PRECISION_FLOOR: f64 = 0.7;

/// Recall within one band of true similarity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BandRecall {
    /// Lowest similarity of the band (inclusive).
    pub low: f64,
    /// Highest similarity of the band (exclusive, but 1 is included in a band ending at 1).
    pub high: f64,
    /// Pairs whose true similarity lies in the band.
    pub pairs: u64,
    /// Those of them that share a cluster.
    pub found: u64,
}

impl BandRecall {
    /// `found / pairs`, or 1 for a band with no pairs.
    pub fn recall(&self) -> f64 {
        if self.pairs == 0 {
            1.0
        } else {
            self.found as f64 / self.pairs as f64
        }
    }

    /// Whether `similarity` falls in the band.
    pub fn holds(&self, similarity: f64) -> bool {
        similarity >= self.low
            && (similarity < self.high || (self.high >= 1.0 && similarity <= 1.0))
    }
}

/// What the evaluation found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Paragraphs (or documents, by unit) with at least one word.
    pub units: u64,
    /// Distinct normalized units.
    pub distinct: u64,
    /// Distinct units long enough for the near tier.
    pub near_distinct: u64,
    /// Pairs of those whose true Jaccard was computed.
    pub compared_pairs: u64,
    /// Repeated occurrences of an identical normalized unit, and how many share their first
    /// occurrence's cluster.
    pub exact: BandRecall,
    /// Recall per band of true Jaccard, over pairs of distinct units.
    pub bands: Vec<BandRecall>,
    /// Pairs below the lowest band that share a cluster (through chains or containment).
    pub joined_below: u64,
    /// With a containment threshold: pairs below the lowest band whose smaller shingle set lies
    /// inside the other at least that much, and how many share a cluster.
    pub contained: Option<BandRecall>,
    /// True Jaccard a member needs to some other member of its cluster to be correct.
    pub precision_floor: f64,
    /// Cluster members.
    pub members: u64,
    /// Members with a true match in their cluster.
    pub supported_members: u64,
    /// Members the scan marked as joined through a chain.
    pub chained_members: u64,
    /// Distinct units whose occurrences were put in different clusters (always 0 for a correct
    /// exact tier).
    pub split_units: u64,
}

impl Evaluation {
    /// `supported_members / members`, or 1 when there are no clusters.
    pub fn precision(&self) -> f64 {
        if self.members == 0 {
            1.0
        } else {
            self.supported_members as f64 / self.members as f64
        }
    }

    /// Recall over all pairs with true similarity in `low..high` (summing whole bands).
    pub fn recall_between(&self, low: f64, high: f64) -> f64 {
        let (pairs, found) = self
            .bands
            .iter()
            .filter(|b| b.low >= low && b.high <= high)
            .fold((0, 0), |(p, f), b| (p + b.pairs, f + b.found));
        if pairs == 0 {
            1.0
        } else {
            found as f64 / pairs as f64
        }
    }
}

/// Evaluates `outcome`, the scan of `documents` (the same documents, in the same order), against
/// brute-force truth; recall is reported for `bands` and precision at `floor`.
pub fn evaluate(
    documents: &[Document],
    outcome: &ScanOutcome,
    bands: &[(f64, f64)],
    floor: f64,
) -> Evaluation {
    let params = &outcome.params;
    // Every unit with words: (document, index in document, normalized text).
    let fingerprinter = Fingerprinter::new(params.fingerprint_params());
    let units: Vec<Vec<(u32, String)>> = documents
        .par_iter()
        .map(|doc| {
            let normalized = fingerprinter.normalize_document(&doc.text);
            (0..normalized.paragraphs.len())
                .filter(|&index| normalized.paragraphs[index].words > 0)
                .map(|index| (index as u32, normalized.text(index).to_owned()))
                .collect()
        })
        .collect();

    let mut cluster_of: HashMap<(u32, u32), u32> = HashMap::new();
    let mut chained_members = 0u64;
    for (id, cluster) in outcome.clusters.iter().enumerate() {
        for member in &cluster.members {
            cluster_of.insert((member.doc, member.paragraph), id as u32);
            chained_members += member.via_chain as u64;
        }
    }

    // Distinct texts in input order; occurrences and their clusters.
    let mut distinct_index: HashMap<&str, u32> = HashMap::new();
    let mut distinct_texts: Vec<&str> = Vec::new();
    let mut occurrences: Vec<Vec<Option<u32>>> = Vec::new();
    let mut unit_count = 0u64;
    for (doc, doc_units) in units.iter().enumerate() {
        for (index, text) in doc_units {
            unit_count += 1;
            let next = distinct_texts.len() as u32;
            let id = *distinct_index.entry(text.as_str()).or_insert(next);
            if id == next {
                distinct_texts.push(text);
                occurrences.push(Vec::new());
            }
            occurrences[id as usize].push(cluster_of.get(&(doc as u32, *index)).copied());
        }
    }

    let mut exact = BandRecall {
        low: 1.0,
        high: 1.0,
        pairs: 0,
        found: 0,
    };
    let mut split_units = 0u64;
    let cluster_of_distinct: Vec<Option<u32>> = occurrences
        .iter()
        .map(|found| {
            let first = found[0];
            if found.iter().any(|&c| c != first) {
                split_units += 1;
            }
            exact.pairs += found.len() as u64 - 1;
            exact.found += found[1..]
                .iter()
                .filter(|&&c| c.is_some() && c == first)
                .count() as u64;
            first
        })
        .collect();

    // Shingle sets of the distinct texts long enough for the near tier.
    let near: Vec<u32> = (0..distinct_texts.len() as u32)
        .filter(|&id| token_count(distinct_texts[id as usize]) >= params.min_words)
        .collect();
    let sets: Vec<Vec<u32>> = near
        .par_iter()
        .map_init(Vec::new, |scratch, &id| {
            let mut set = Vec::new();
            shingle_set(
                distinct_texts[id as usize],
                params.ngram,
                params.char_ngram,
                scratch,
                &mut set,
            );
            set
        })
        .collect();

    // Every pair: keep those similar enough to matter for recall or precision.
    let lowest = bands.iter().map(|b| b.0).fold(floor, f64::min);
    let containment = params.containment;
    // Intersection sizes of every pair sharing a shingle, through an inverted index: pairs that
    // share none have Jaccard and containment 0. Exact, and far cheaper than merging every pair.
    let mut postings: Vec<(u32, u32)> = sets
        .iter()
        .enumerate()
        .flat_map(|(i, set)| set.iter().map(move |&s| (s, i as u32)))
        .collect();
    postings.par_sort_unstable();
    let posting_of = |shingle: u32| {
        let from = postings.partition_point(|&(s, _)| s < shingle);
        let to = postings.partition_point(|&(s, _)| s <= shingle);
        &postings[from..to]
    };
    let kept: Vec<(u32, u32, f64, f64)> = (0..sets.len())
        .into_par_iter()
        .map_init(
            || (vec![0u32; sets.len()], Vec::new()),
            |(counts, touched), i| {
                for &shingle in &sets[i] {
                    for &(_, j) in posting_of(shingle) {
                        if (j as usize) > i {
                            if counts[j as usize] == 0 {
                                touched.push(j);
                            }
                            counts[j as usize] += 1;
                        }
                    }
                }
                let mut found = Vec::new();
                for &j in touched.iter() {
                    let common = std::mem::take(&mut counts[j as usize]) as usize;
                    let (a, b) = (sets[i].len(), sets[j as usize].len());
                    let jaccard = common as f64 / (a + b - common) as f64;
                    let contained = common as f64 / a.min(b).max(1) as f64;
                    if jaccard >= lowest || containment.is_some_and(|c| contained >= c) {
                        found.push((i as u32, j, jaccard, contained));
                    }
                }
                touched.clear();
                found
            },
        )
        .flatten_iter()
        .collect();

    let mut band_recall: Vec<BandRecall> = bands
        .iter()
        .map(|&(low, high)| BandRecall {
            low,
            high,
            pairs: 0,
            found: 0,
        })
        .collect();
    let band_floor = bands.iter().map(|b| b.0).fold(1.0, f64::min);
    let mut joined_below = 0u64;
    let mut contained_recall = containment.map(|c| BandRecall {
        low: c,
        high: 1.0,
        pairs: 0,
        found: 0,
    });
    let mut truth: HashMap<(u32, u32), (f64, f64)> = HashMap::with_capacity(kept.len());
    for &(i, j, jaccard, contained) in &kept {
        let (a, b) = (near[i as usize], near[j as usize]);
        let together = cluster_of_distinct[a as usize].is_some()
            && cluster_of_distinct[a as usize] == cluster_of_distinct[b as usize];
        if let Some(band) = band_recall.iter_mut().find(|band| band.holds(jaccard)) {
            band.pairs += 1;
            band.found += together as u64;
        } else if jaccard < band_floor {
            joined_below += together as u64;
            if let Some(recall) = contained_recall.as_mut().filter(|r| contained >= r.low) {
                recall.pairs += 1;
                recall.found += together as u64;
            }
        }
        truth.insert((a.min(b), a.max(b)), (jaccard, contained));
    }

    // Precision: every member needs a true match among the other members of its cluster.
    let mut members = 0u64;
    let mut supported_members = 0u64;
    let mut distinct_in_cluster: HashMap<u32, HashMap<u32, u64>> = HashMap::new();
    for (id, found) in occurrences.iter().enumerate() {
        for cluster in found.iter().flatten() {
            *distinct_in_cluster
                .entry(*cluster)
                .or_default()
                .entry(id as u32)
                .or_default() += 1;
        }
    }
    for texts in distinct_in_cluster.values() {
        for (&u, &count) in texts {
            members += count;
            let matched = count >= 2
                || texts.keys().any(|&v| {
                    v != u
                        && truth
                            .get(&(u.min(v), u.max(v)))
                            .is_some_and(|&(jaccard, contained)| {
                                jaccard >= floor || containment.is_some_and(|c| contained >= c)
                            })
                });
            if matched {
                supported_members += count;
            }
        }
    }

    Evaluation {
        units: unit_count,
        distinct: distinct_texts.len() as u64,
        near_distinct: near.len() as u64,
        compared_pairs: (sets.len() as u64) * (sets.len() as u64).saturating_sub(1) / 2,
        exact,
        bands: band_recall,
        joined_below,
        contained: contained_recall,
        precision_floor: floor,
        members,
        supported_members,
        chained_members,
        split_units,
    }
}
