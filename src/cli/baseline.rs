//! Baseline files on disk: `scan --write-baseline` writes one, `check --baseline` reads one and
//! marks the clusters it knows.

use super::output;
use super::scan::ScanRun;
use anyhow::{Context, Result};
use paradup::baseline::{paragraph_hash, Baseline, BaselineMatcher};
use paradup::normalize::NormalizeOptions;
use paradup::Report;
use paradup_core::spill::SpillError;
use std::path::Path;

/// Bytes a copy looked for takes while the inputs are read again: its request, its cluster and
/// the reader's index of it.
const BYTES_A_COPY_LOOKED_FOR: u64 = 64;

/// Copies whose texts one reading of the inputs looks for when the scan passed its budget: an
/// eighth of the budget's worth (4,096 to 1,048,576; the outcome, the reader's buffers and the
/// hashes found take the rest); more copies take more readings.
fn copies_a_reading(budget: u64) -> usize {
    (budget / 8 / BYTES_A_COPY_LOOKED_FOR).clamp(1 << 12, 1 << 20) as usize
}

/// For each cluster of the run, the hashes ([`paragraph_hash`] with `options`) of its copies'
/// texts, read again from the inputs: each text is hashed as its document is read and let go, so
/// that only the hashes are held. When the scan passed its budget, its copies are read from the
/// spill folder a window at a time, and the inputs are read once for every [`copies_a_reading`]
/// copies. Copies that cannot be read again are left out.
fn member_hashes(run: &ScanRun, options: NormalizeOptions) -> Result<Vec<Vec<u64>>> {
    let outcome = &run.outcome;
    let copies_a_reading = match (&outcome.members_on_disk, run.budget_bytes) {
        (Some(_), Some(budget)) => copies_a_reading(budget),
        _ => usize::MAX,
    };
    let mut hashes = vec![Vec::new(); outcome.clusters.len()];
    // The copies of the clusters since the last reading: where each is, and its cluster.
    let mut requests: Vec<(u32, usize, usize)> = Vec::new();
    let mut cluster_of: Vec<u32> = Vec::new();
    let mut read = |requests: &mut Vec<(u32, usize, usize)>, cluster_of: &mut Vec<u32>| {
        run.inputs.for_each_span(
            &run.read_options,
            &outcome.documents,
            requests,
            &mut |request, text| {
                let cluster = cluster_of[request] as usize;
                add_hash(&mut hashes[cluster], paragraph_hash(text, options));
            },
        );
        requests.clear();
        cluster_of.clear();
    };
    outcome
        .try_for_each_run(|run| {
            for member in run.copies {
                requests.push((member.doc, member.span.start, member.span.end));
                cluster_of.push(run.index as u32);
            }
            if requests.len() >= copies_a_reading {
                read(&mut requests, &mut cluster_of);
            }
            Ok::<(), SpillError>(())
        })
        .context("cannot read the clusters' copies back from the spill folder")?;
    if !requests.is_empty() {
        read(&mut requests, &mut cluster_of);
    }
    Ok(hashes)
}

/// Adds `hash` to a cluster's hashes, which are kept without repeats (most copies of a cluster
/// are exact, one hash for thousands of copies) but sorted only when they double.
fn add_hash(hashes: &mut Vec<u64>, hash: u64) {
    if hashes.last() == Some(&hash) || hashes.first() == Some(&hash) {
        return;
    }
    if hashes.len() == hashes.capacity() && hashes.len() >= 8 {
        hashes.sort_unstable();
        hashes.dedup();
        if hashes.binary_search(&hash).is_ok() {
            return;
        }
    }
    hashes.push(hash);
}

/// Writes a baseline accepting every cluster of the run, with the canonical texts of its `report`.
pub fn write(run: &ScanRun, report: &Report<'_>, path: &Path) -> Result<()> {
    let options = run.outcome.params.normalize;
    let hashes = member_hashes(run, options)?;
    let texts = report.clusters.iter().map(|c| c.text.to_owned()).collect();
    let baseline = Baseline::from_clusters(&run.outcome, hashes, texts, options);
    // Streamed to the file: the baseline of a large corpus is large.
    output::write_atomic_with(path, |out| {
        serde_json::to_writer_pretty(&mut *out, &baseline)?;
        out.write_all(b"\n")
    })?;
    Ok(())
}

/// Reads a baseline file.
pub fn load(path: &Path) -> Result<Baseline> {
    let json = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read baseline {}", path.display()))?;
    Baseline::parse(&json).with_context(|| format!("baseline {}", path.display()))
}

/// For each cluster of the run, whether the baseline knows it.
pub fn known_clusters(run: &ScanRun, matcher: &BaselineMatcher) -> Result<Vec<bool>> {
    let hashes = member_hashes(run, matcher.options())?;
    Ok(hashes
        .iter()
        .map(|hashes| hashes.iter().any(|&hash| matcher.knows(hash)))
        .collect())
}
