//! `--html`: reads back the copies the page shows, renders the page, writes it atomically.

use super::output;
use super::scan::ScanRun;
use anyhow::Result;
use paradup::html::{members_to_fetch, render, HtmlOptions, MemberTexts};
use paradup::Report;
use std::path::Path;

/// Writes the HTML report of `run` to `path`, showing the `top` clusters with the most copies.
pub fn write(run: &ScanRun, report: &Report<'_>, path: &Path, top: usize) -> Result<()> {
    let options = HtmlOptions { top };
    let wanted = members_to_fetch(report, &options);
    let spans: Vec<(u32, usize, usize)> = wanted.iter().map(|m| (m.doc, m.start, m.end)).collect();
    let texts = run
        .inputs
        .fetch_spans(&run.read_options, &run.outcome.documents, &spans);
    let page = render(
        report,
        &run.outcome.documents,
        &MemberTexts::from_fetched(&wanted, texts),
        &options,
    )?;
    output::write_atomic(path, page.as_bytes())
}
