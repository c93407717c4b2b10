//! Baseline files on disk: `scan --write-baseline` writes one, `check --baseline` reads one and
//! marks the clusters it knows.

use super::output;
use super::scan::ScanRun;
use anyhow::{Context, Result};
use paradup::baseline::Baseline;
use std::path::Path;

/// The text of every member of every cluster, read again from the inputs; copies that cannot be
/// read again are left out.
fn member_texts(run: &ScanRun) -> Vec<Vec<String>> {
    let requests: Vec<(u32, usize, usize)> = run
        .outcome
        .clusters
        .iter()
        .flat_map(|c| &c.members)
        .map(|m| (m.doc, m.span.start, m.span.end))
        .collect();
    let mut texts = run
        .inputs
        .fetch_spans(&run.read_options, &run.outcome.documents, &requests)
        .into_iter();
    run.outcome
        .clusters
        .iter()
        .map(|c| texts.by_ref().take(c.members.len()).flatten().collect())
        .collect()
}

/// Writes a baseline accepting every cluster of the run.
pub fn write(run: &ScanRun, path: &Path) -> Result<()> {
    let baseline = Baseline::from_clusters(
        &run.outcome,
        &member_texts(run),
        run.outcome.params.normalize,
    );
    let mut json = serde_json::to_vec_pretty(&baseline)?;
    json.push(b'\n');
    output::write_atomic(path, &json)
}

/// Reads a baseline file.
pub fn load(path: &Path) -> Result<Baseline> {
    let json = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read baseline {}", path.display()))?;
    Baseline::parse(&json).with_context(|| format!("baseline {}", path.display()))
}

/// For each cluster of the run, whether the baseline knows it.
pub fn known_clusters(run: &ScanRun, baseline: &Baseline) -> Vec<bool> {
    let matcher = baseline.matcher();
    member_texts(run)
        .iter()
        .map(|texts| matcher.is_known(texts))
        .collect()
}
