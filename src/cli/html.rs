//! `--html`: gathers what the page needs from the clusters' copies, reads back the text of those
//! it shows, renders the page, writes it atomically.

use super::output;
use super::scan::ScanRun;
use anyhow::Result;
use paradup::html::{render, HtmlOptions, MemberTexts, PageCopies};
use paradup::Report;
use std::path::Path;

/// Writes the HTML report of `run` to `path`, showing the `top` clusters with the most copies.
pub fn write(run: &ScanRun, report: &Report<'_>, path: &Path, top: usize) -> Result<()> {
    let options = HtmlOptions { top };
    let copies = PageCopies::gather(report, run.outcome.documents.len(), &options)?;
    let wanted = copies.members_to_fetch();
    let spans: Vec<(u32, usize, usize)> = wanted.iter().map(|m| (m.doc, m.start, m.end)).collect();
    let texts = run
        .inputs
        .fetch_spans(&run.read_options, &run.outcome.documents, &spans);
    let page = render(
        report,
        &run.outcome.documents,
        &copies,
        &MemberTexts::from_fetched(&wanted, texts),
        &options,
    )?;
    Ok(output::write_atomic(path, page.as_bytes())?)
}
