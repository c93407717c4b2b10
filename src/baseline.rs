//! Baselines: the duplication a dataset already has and has accepted, so that a CI gate fails on
//! new duplication only.
//!
//! A cluster is identified across runs by the texts of its copies, not by its number or position
//! (both change as documents are added): a baseline entry holds the xxh3-64 hash of the normalized
//! text of every distinct copy in the cluster. A cluster of a later scan is *known* when any of its
//! copies has one of the hashes of any entry, so a publisher's disclaimer stays known when it is
//! appended to new articles, when a new document becomes its first occurrence, and when a known
//! variant sits among new near copies. Hashes are computed with the normalization recorded in the
//! baseline, so a baseline keeps its meaning whatever flags a later run uses.

use crate::normalize::{normalize, NormalizeOptions};
use crate::scan::ScanOutcome;
use paradup_core::exact_hash;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;

/// The schema name written into every baseline.
pub const SCHEMA: &str = "paradup.baseline/v1";

/// The hash that identifies a paragraph's text: xxh3-64 of its normalized form, the same hash
/// the scan's exact tier uses.
pub fn paragraph_hash(text: &str, options: NormalizeOptions) -> u64 {
    exact_hash(&normalize(text, options))
}

/// Normalization choices that change the hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineNormalization {
    /// Digits were folded to `0` before hashing.
    pub fold_digits: bool,
}

/// One accepted cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineCluster {
    /// Hashes of the normalized text of every distinct copy, 16 lowercase hex digits each, sorted.
    pub hashes: Vec<String>,
    /// Documents that carried a copy when the baseline was written (for people; not compared).
    pub documents: usize,
    /// Copies when the baseline was written (for people; not compared).
    pub copies: usize,
    /// Text of the canonical copy (for people; not compared).
    pub text: String,
}

/// A baseline file, schema `paradup.baseline/v1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Always `xxh3-64`.
    pub hash: String,
    /// How paragraphs were normalized before hashing.
    pub normalization: BaselineNormalization,
    /// The accepted clusters, in the order of the scan that wrote them.
    pub clusters: Vec<BaselineCluster>,
}

/// A baseline file that cannot be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaselineError(pub String);

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BaselineError {}

fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

impl Baseline {
    /// A baseline accepting every cluster of `outcome`, given for each cluster the hashes
    /// ([`paragraph_hash`] with `options`) of its copies' texts and its canonical copy's text.
    pub fn from_clusters(
        outcome: &ScanOutcome,
        member_hashes: Vec<Vec<u64>>,
        canonical_texts: Vec<String>,
        options: NormalizeOptions,
    ) -> Baseline {
        let clusters = outcome
            .clusters
            .iter()
            .enumerate()
            .zip(member_hashes.into_iter().zip(canonical_texts))
            .map(|((index, cluster), (mut hashes, text))| {
                hashes.sort_unstable();
                hashes.dedup();
                BaselineCluster {
                    hashes: hashes.into_iter().map(hex).collect(),
                    documents: cluster.documents,
                    copies: outcome.copies(index),
                    text,
                }
            })
            .collect();
        Baseline {
            schema: SCHEMA.into(),
            hash: "xxh3-64".into(),
            normalization: BaselineNormalization {
                fold_digits: options.fold_digits,
            },
            clusters,
        }
    }

    /// Reads a baseline from its JSON.
    pub fn parse(json: &str) -> Result<Baseline, BaselineError> {
        let baseline: Baseline = serde_json::from_str(json)
            .map_err(|e| BaselineError(format!("not a paradup baseline: {e}")))?;
        if baseline.schema != SCHEMA {
            return Err(BaselineError(format!(
                "schema is '{}', expected '{SCHEMA}'",
                baseline.schema
            )));
        }
        if baseline.hash != "xxh3-64" {
            return Err(BaselineError(format!(
                "hash is '{}', expected 'xxh3-64'",
                baseline.hash
            )));
        }
        for cluster in &baseline.clusters {
            for hash in &cluster.hashes {
                if u64::from_str_radix(hash, 16).is_err() || hash.len() != 16 {
                    return Err(BaselineError(format!(
                        "'{hash}' is not a hash of 16 hex digits"
                    )));
                }
            }
        }
        Ok(baseline)
    }

    /// The normalization that hashes are computed with.
    pub fn normalize_options(&self) -> NormalizeOptions {
        NormalizeOptions {
            fold_digits: self.normalization.fold_digits,
        }
    }

    /// A matcher over every hash of the baseline.
    pub fn matcher(&self) -> BaselineMatcher {
        BaselineMatcher {
            options: self.normalize_options(),
            hashes: self
                .clusters
                .iter()
                .flat_map(|c| &c.hashes)
                .filter_map(|h| u64::from_str_radix(h, 16).ok())
                .collect(),
        }
    }
}

/// Tells known clusters from new ones.
#[derive(Clone, Debug)]
pub struct BaselineMatcher {
    options: NormalizeOptions,
    hashes: HashSet<u64>,
}

impl BaselineMatcher {
    /// True when any of a cluster's copies (given by their texts) is in the baseline.
    pub fn is_known<S: AsRef<str>>(&self, member_texts: &[S]) -> bool {
        member_texts
            .iter()
            .any(|text| self.knows(paragraph_hash(text.as_ref(), self.options)))
    }

    /// True when a copy whose text hashes to `hash` (with [`BaselineMatcher::options`]) is in the
    /// baseline.
    pub fn knows(&self, hash: u64) -> bool {
        self.hashes.contains(&hash)
    }

    /// The normalization the baseline's hashes were computed with.
    pub fn options(&self) -> NormalizeOptions {
        self.options
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_ignore_what_normalization_ignores() {
        let options = NormalizeOptions::default();
        assert_eq!(
            paragraph_hash("Legal  Disclaimer:", options),
            paragraph_hash("legal disclaimer", options)
        );
        assert_ne!(
            paragraph_hash("Paid 12 dollars", options),
            paragraph_hash("Paid 13 dollars", options)
        );
    }

    #[test]
    fn round_trip_and_matching() {
        let options = NormalizeOptions::default();
        let baseline = Baseline {
            schema: SCHEMA.into(),
            hash: "xxh3-64".into(),
            normalization: BaselineNormalization { fold_digits: false },
            clusters: vec![BaselineCluster {
                hashes: vec![hex(paragraph_hash("Legal Disclaimer:", options))],
                documents: 2,
                copies: 2,
                text: "Legal Disclaimer:".into(),
            }],
        };
        let json = serde_json::to_string(&baseline).unwrap();
        let parsed = Baseline::parse(&json).unwrap();
        assert_eq!(parsed, baseline);
        let matcher = parsed.matcher();
        assert!(matcher.is_known(&["something new", "LEGAL disclaimer"]));
        assert!(!matcher.is_known(&["something new", "another"]));
    }

    #[test]
    fn bad_baselines_are_refused() {
        assert!(Baseline::parse("{}").is_err());
        assert!(Baseline::parse(
            r#"{"schema":"other","hash":"xxh3-64","normalization":{"fold_digits":false},"clusters":[]}"#
        )
        .is_err());
        assert!(Baseline::parse(
            r#"{"schema":"paradup.baseline/v1","hash":"xxh3-64","normalization":{"fold_digits":false},"clusters":[{"hashes":["xyz"],"documents":1,"copies":1,"text":""}]}"#
        )
        .is_err());
    }
}
