//! Limits on duplication: what a CI gate measures, and which clusters and documents break a limit.
//!
//! Three limits, each optional: the share of duplicate paragraphs (or bytes) in the corpus, the
//! repeated paragraphs inside any one document, and the documents any one cluster spans. Clusters
//! marked as known (by a baseline) take no part in any of them. Exceeding means strictly above.

use crate::display::ratio;
use crate::scan::{Cluster, ScanOutcome};
use crate::segment::Span;
use paradup_core::spill::SpillError;
use serde::Serialize;
use std::collections::BTreeMap;

/// The limits to check; `None` leaves a limit out.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Limits {
    /// Largest allowed share of duplicate paragraphs.
    pub max_duplicate_ratio: Option<f64>,
    /// Measure the share in bytes of text instead of paragraphs.
    pub by_bytes: bool,
    /// Largest allowed number of repeated paragraphs inside one document.
    pub max_within_document: Option<u64>,
    /// Largest allowed number of documents carrying one cluster.
    pub max_cluster_documents: Option<usize>,
}

/// What one limit measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "limit", rename_all = "snake_case")]
pub enum Finding {
    /// Share of duplicate paragraphs (or bytes) in the corpus.
    DuplicateRatio {
        /// Measured in bytes rather than paragraphs.
        by_bytes: bool,
        /// Duplicate paragraphs (or bytes) not excused by the baseline.
        duplicate: u64,
        /// Paragraphs (or bytes) in all.
        total: u64,
        /// `duplicate / total`.
        ratio: f64,
        /// The allowed ratio.
        max: f64,
    },
    /// Repeated paragraphs inside single documents.
    WithinDocument {
        /// Most repeats found in one document.
        worst: u64,
        /// Documents above the limit.
        documents_over: usize,
        /// The allowed repeats.
        max: u64,
    },
    /// Documents spanned by single clusters.
    ClusterDocuments {
        /// Most documents one cluster spans.
        widest: usize,
        /// Clusters above the limit.
        clusters_over: usize,
        /// The allowed documents.
        max: usize,
    },
}

/// A place that contributes to a limit's measure, worst first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Offender {
    /// The cluster, for limits measured on clusters.
    pub cluster: Option<usize>,
    /// Document to point at.
    pub doc: u32,
    /// Paragraph to point at within it.
    pub paragraph: u32,
    /// Its byte span.
    pub span: Span,
    /// Its share of the measure: repeats (or bytes) of a cluster, repeats in a document, or
    /// documents of a cluster.
    pub amount: u64,
}

/// One limit, checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LimitCheck {
    /// What was measured.
    pub finding: Finding,
    /// True when the measure is above the limit.
    pub exceeded: bool,
    /// What contributes to the measure, worst first: for the duplicate ratio every duplicated
    /// cluster; for the other limits the documents or clusters above the limit.
    pub offenders: Vec<Offender>,
}

/// Duplication excused by a baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Excused {
    /// Known clusters.
    pub clusters: u64,
    /// Their duplicate paragraphs.
    pub paragraphs: u64,
    /// Their duplicate bytes.
    pub bytes: u64,
}

/// Every limit checked, and what was excused.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// One entry per limit given, in the order duplicate ratio, within document, cluster documents.
    pub checks: Vec<LimitCheck>,
    /// What the baseline excused.
    pub excused: Excused,
}

impl Evaluation {
    /// True when any limit is exceeded.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.exceeded)
    }
}

/// What the limits need from the copies of the clusters not excused, gathered in one reading of
/// them (a window at a time when a scan left them on disk past its memory budget).
struct OpenCopies {
    /// By cluster index: the first repeat (the copy a cleaned corpus would lose first), for
    /// clusters not excused.
    first_repeats: Vec<Option<(u32, u32, Span)>>,
    /// Per document: repeats (copies after a cluster's first copy in that document) and the
    /// earliest of them.
    within: BTreeMap<u32, (u64, u32, Span)>,
}

impl OpenCopies {
    fn gather(outcome: &ScanOutcome, is_open: impl Fn(usize) -> bool) -> Result<Self, SpillError> {
        let mut first_repeats = vec![None; outcome.clusters.len()];
        let mut within: BTreeMap<u32, (u64, u32, Span)> = BTreeMap::new();
        // The document of the copy before, carried from one run of a cluster's copies to the next.
        let mut previous_doc = None;
        outcome.try_for_each_run(|run| {
            if !is_open(run.index) {
                return Ok::<(), SpillError>(());
            }
            if run.first == 0 {
                previous_doc = None;
            }
            if let Some((_, m)) = run.positioned().find(|(position, _)| *position == 1) {
                first_repeats[run.index] = Some((m.doc, m.paragraph, m.span));
            }
            for member in run.copies {
                if previous_doc == Some(member.doc) {
                    let entry =
                        within
                            .entry(member.doc)
                            .or_insert((0, member.paragraph, member.span));
                    entry.0 += 1;
                    if member.paragraph < entry.1 {
                        entry.1 = member.paragraph;
                        entry.2 = member.span;
                    }
                }
                previous_doc = Some(member.doc);
            }
            Ok(())
        })?;
        Ok(OpenCopies {
            first_repeats,
            within,
        })
    }
}

/// Checks `limits` against a scan. `known[i]` marks cluster `i` as excused (a shorter slice
/// excuses nothing beyond its end). The copies are read once, a window at a time when they are
/// on disk ([`ScanOutcome::members_on_disk`]); fails only when those cannot be read.
pub fn evaluate(
    outcome: &ScanOutcome,
    limits: &Limits,
    known: &[bool],
) -> Result<Evaluation, SpillError> {
    let is_known = |index: usize| known.get(index).copied().unwrap_or(false);
    let open: Vec<(usize, &Cluster)> = outcome
        .clusters
        .iter()
        .enumerate()
        .filter(|(index, _)| !is_known(*index))
        .collect();
    let repeats = |index: usize| outcome.copies(index) as u64 - 1;
    let mut excused = Excused::default();
    for (index, cluster) in outcome.clusters.iter().enumerate() {
        if is_known(index) {
            excused.clusters += 1;
            excused.paragraphs += repeats(index);
            excused.bytes += cluster.duplicate_bytes;
        }
    }
    let needs_copies = limits.max_duplicate_ratio.is_some() || limits.max_within_document.is_some();
    let copies = if needs_copies {
        OpenCopies::gather(outcome, |index| !is_known(index))?
    } else {
        OpenCopies {
            first_repeats: Vec::new(),
            within: BTreeMap::new(),
        }
    };
    let mut checks = Vec::new();

    if let Some(max) = limits.max_duplicate_ratio {
        let amount = |(index, c): (usize, &Cluster)| {
            if limits.by_bytes {
                c.duplicate_bytes
            } else {
                repeats(index)
            }
        };
        let duplicate: u64 = open.iter().map(|&c| amount(c)).sum();
        let total = if limits.by_bytes {
            outcome.summary.bytes
        } else {
            outcome.summary.paragraphs
        };
        let measured = ratio(duplicate, total);
        let mut ranked = open.clone();
        ranked.sort_by(|&a, &b| amount(b).cmp(&amount(a)).then(a.1.id.cmp(&b.1.id)));
        checks.push(LimitCheck {
            finding: Finding::DuplicateRatio {
                by_bytes: limits.by_bytes,
                duplicate,
                total,
                ratio: measured,
                max,
            },
            exceeded: measured > max,
            offenders: ranked
                .into_iter()
                .filter_map(|(index, c)| {
                    // Point at the first repeat: the copy a cleaned corpus would lose first.
                    let (doc, paragraph, span) = copies.first_repeats.get(index).copied()??;
                    Some(Offender {
                        cluster: Some(c.id),
                        doc,
                        paragraph,
                        span,
                        amount: amount((index, c)),
                    })
                })
                .collect(),
        });
    }

    if let Some(max) = limits.max_within_document {
        let per_doc = copies.within;
        let worst = per_doc.values().map(|v| v.0).max().unwrap_or(0);
        let mut offenders: Vec<Offender> = per_doc
            .into_iter()
            .filter(|(_, (repeats, _, _))| *repeats > max)
            .map(|(doc, (repeats, paragraph, span))| Offender {
                cluster: None,
                doc,
                paragraph,
                span,
                amount: repeats,
            })
            .collect();
        offenders.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.doc.cmp(&b.doc)));
        checks.push(LimitCheck {
            finding: Finding::WithinDocument {
                worst,
                documents_over: offenders.len(),
                max,
            },
            exceeded: worst > max,
            offenders,
        });
    }

    if let Some(max) = limits.max_cluster_documents {
        let widest = open.iter().map(|(_, c)| c.documents).max().unwrap_or(0);
        let mut over: Vec<&Cluster> = open
            .iter()
            .map(|&(_, c)| c)
            .filter(|c| c.documents > max)
            .collect();
        over.sort_by(|a, b| b.documents.cmp(&a.documents).then(a.id.cmp(&b.id)));
        checks.push(LimitCheck {
            finding: Finding::ClusterDocuments {
                widest,
                clusters_over: over.len(),
                max,
            },
            exceeded: widest > max,
            offenders: over
                .into_iter()
                .map(|c| {
                    let canonical = c.canonical();
                    Offender {
                        cluster: Some(c.id),
                        doc: canonical.doc,
                        paragraph: canonical.paragraph,
                        span: canonical.span,
                        amount: c.documents as u64,
                    }
                })
                .collect(),
        });
    }

    Ok(Evaluation { checks, excused })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Document, Location, ScanParams, Scanner};

    fn scan(texts: &[&str]) -> ScanOutcome {
        let mut scanner = Scanner::new(ScanParams::default()).unwrap();
        scanner.add_batch(
            texts
                .iter()
                .enumerate()
                .map(|(i, text)| Document {
                    id: i.to_string(),
                    source: None,
                    location: Location {
                        path: format!("{i}.txt"),
                        line: None,
                        row: None,
                    },
                    text: text.to_string(),
                })
                .collect(),
        );
        scanner.finish()
    }

    #[test]
    fn each_limit_measures_and_points_at_offenders() {
        // Doc 0 repeats "alpha" twice; "shared" is in all three documents.
        let outcome = scan(&[
            "alpha line\nshared line\nalpha line\nalpha line\n",
            "shared line\nbeta line\n",
            "gamma line\nshared line\n",
        ]);
        assert_eq!(outcome.summary.paragraphs, 8);
        let limits = Limits {
            max_duplicate_ratio: Some(0.3),
            by_bytes: false,
            max_within_document: Some(1),
            max_cluster_documents: Some(2),
        };
        let evaluation = evaluate(&outcome, &limits, &[]).unwrap();
        assert!(evaluation.failed());
        let [ratio, within, docs] = &evaluation.checks[..] else {
            panic!("three checks expected")
        };
        // 4 repeats of 8 paragraphs.
        assert!(matches!(
            ratio.finding,
            Finding::DuplicateRatio {
                duplicate: 4,
                total: 8,
                ..
            }
        ));
        assert!(ratio.exceeded);
        assert_eq!(ratio.offenders[0].amount, 2);
        assert!(within.exceeded);
        assert_eq!(within.offenders.len(), 1);
        assert_eq!(
            (within.offenders[0].doc, within.offenders[0].paragraph),
            (0, 2)
        );
        assert!(docs.exceeded);
        assert_eq!(docs.offenders[0].amount, 3);
        assert_eq!(docs.offenders[0].paragraph, 1);

        // Excusing both clusters clears every limit.
        let excused = evaluate(&outcome, &limits, &[true, true]).unwrap();
        assert!(!excused.failed());
        assert_eq!(excused.excused.paragraphs, 4);
    }

    #[test]
    fn limits_are_inclusive() {
        let outcome = scan(&["one line\none line\n", "two line\n"]);
        let limits = Limits {
            max_duplicate_ratio: Some(1.0 / 3.0),
            by_bytes: false,
            max_within_document: Some(1),
            max_cluster_documents: Some(1),
        };
        assert!(!evaluate(&outcome, &limits, &[]).unwrap().failed());
    }
}
