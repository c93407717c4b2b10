//! `paradup compare`: the contamination check. How much of every input item (a test set's
//! records, say) also stands in a reference corpus (the training data), by word n-gram overlap,
//! with each item's verdict and matched spans; the clean and dirty splits written on request.

use super::args::CompareArgs;
use super::contamination::{
    compare_report, item_line, matched_items_ranked, measure_inputs, verdicts_by_location,
    CompareReport, MeasuredItem, Reference,
};
use super::dedup::{
    for_each_line, output_compression, output_paths, refuse_overlap, single_file_output, Encoded,
};
use super::output::Pending;
use super::scan::{configure_threads, tell_repeated_files, ReadLog};
use super::summary::{plural, records_or_files};
use super::{exit, output};
use anyhow::{bail, Context, Result};
use paradup::overlap::Verdict;
use paradup::parquet_out::RowEdit;
use paradup::read::InputFileRef;
use paradup::{InputFormat, Inputs};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

fn render(report: &CompareReport, top: usize) -> String {
    let s = &report.summary;
    let p = &report.params;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "paradup compare: {} against {} ({})",
        plural(s.items, "input item"),
        plural(report.reference.documents, "reference document"),
        plural(report.reference.words, "word")
    );
    let _ = writeln!(
        out,
        "verdicts:        {} dirty, {} partial, {} clean; {} with at least one matched span",
        s.dirty,
        s.partial,
        s.clean,
        plural(s.items_with_match, "item")
    );
    let _ = writeln!(
        out,
        "rule:            a match spans {} words ({} for short items), gaps of {} words bridged; dirty at {:.0}% of an item's words matched, clean under {:.0}%",
        p.ngram,
        p.min_ngram,
        p.max_gap,
        p.dirty_share * 100.0,
        p.clean_share * 100.0
    );
    let ranked = matched_items_ranked(&report.items);
    if !ranked.is_empty() {
        let _ = writeln!(
            out,
            "\nItems with matches (most matched first): location  verdict  share  longest  <- reference  text"
        );
        for item in ranked.iter().take(top) {
            let _ = writeln!(out, "  {}", item_line(item));
        }
        if ranked.len() > top {
            let _ = writeln!(out, "  ... and {} more", ranked.len() - top);
        }
    }
    if !report.errors.is_empty() {
        let _ = writeln!(
            out,
            "\nskipped: {} (listed on stderr and in the JSON report's errors)",
            records_or_files(report.errors.len())
        );
    }
    out
}

/// Which records of the inputs go to one side of the split.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Clean,
    Dirty,
}

impl Side {
    fn takes(self, verdict: Option<Verdict>) -> bool {
        // Lines that are not items (blank lines, skipped records) stay with the clean split.
        (verdict == Some(Verdict::Dirty)) == (self == Side::Dirty)
    }
}

/// How a file holds its items.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemsIn {
    /// The file is one item.
    Whole,
    /// A record a line.
    Lines,
    /// A record a row (Parquet).
    Rows,
}

/// Writes one side of the split: every input file again, in its own format (compressed as the
/// output's name says, or as the input is when the name is its own), with only the items of that
/// side. A text file is one item and is written whole, or left out; a JSON Lines file keeps the
/// lines of that side's records, byte for byte. The outputs wait in `pending` to be moved into
/// place together.
fn write_split(
    args: &CompareArgs,
    out: &Path,
    files: &[InputFileRef<'_>],
    items: &[MeasuredItem],
    verdicts: &HashMap<(&str, Option<u64>), Verdict>,
    side: Side,
    pending: &mut Vec<Pending>,
) -> Result<()> {
    let (given, text_field) = (&args.input.inputs, args.input.text_field.as_str());
    let targets = output_paths(given, out, files)?;
    if !single_file_output(given, out) {
        for folder in targets.iter().filter_map(|t| t.parent()) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create folder {}", folder.display()))?;
        }
    }
    // How each file holds its items: whole (text), a record a line, or a record a row (Parquet).
    let mut by_file: HashMap<&str, ItemsIn> = HashMap::new();
    for item in items {
        let kind = match (item.location.line, item.location.row) {
            (Some(_), _) => ItemsIn::Lines,
            (None, Some(_)) => ItemsIn::Rows,
            (None, None) => ItemsIn::Whole,
        };
        by_file.entry(item.location.path.as_str()).or_insert(kind);
    }
    for (file, target) in files.iter().zip(&targets) {
        let (mut reader, compression) = Inputs::open_decoded(file.path)
            .with_context(|| format!("cannot read {}", file.display))?;
        if by_file.get(file.display) == Some(&ItemsIn::Rows) {
            // Parquet: every column and row group kept, the other side's rows left out.
            if compression != paradup::read::Compression::None {
                bail!(
                    "{} is a compressed Parquet file: the splits are written for Parquet files \
                     that are not compressed as a whole",
                    file.display
                );
            }
            let input = std::fs::File::open(file.path)
                .with_context(|| format!("cannot read {}", file.display))?;
            let (written, _) = paradup::parquet_out::rewrite(
                &input,
                output::Output::create(target)?,
                text_field,
                None,
                &mut |row, _| {
                    let verdict = verdicts.get(&(file.display, Some(row))).copied();
                    Ok((
                        if side.takes(verdict) {
                            RowEdit::Keep
                        } else {
                            RowEdit::Drop
                        },
                        None,
                    ))
                },
            )
            .map_err(|e| {
                anyhow::anyhow!("{}: cannot write the Parquet split: {e}", file.display)
            })?;
            pending.push(written.finish_later()?);
            continue;
        }
        let same_name = target.file_name() == Path::new(file.display).file_name();
        let compression = output_compression(target, compression, same_name);
        if by_file.get(file.display) == Some(&ItemsIn::Whole) {
            let verdict = verdicts.get(&(file.display, None)).copied();
            if side.takes(verdict) {
                let mut bytes = Vec::new();
                reader
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("cannot read {}", file.display))?;
                let mut writer = Encoded::create(target, compression)?;
                writer.write_all(&bytes)?;
                pending.push(writer.finish()?);
            } else {
                // A stale copy from an earlier run must not stand in the wrong split.
                pending.push(Pending::removal(target));
            }
            continue;
        }
        let mut writer = Encoded::create(target, compression)?;
        for_each_line(&mut reader, file.display, None, &mut |number, raw| {
            let verdict = verdicts.get(&(file.display, Some(number))).copied();
            if side.takes(verdict) {
                writer.write_all(raw)?;
            }
            Ok(())
        })?;
        pending.push(writer.finish()?);
    }
    Ok(())
}

pub fn run(args: CompareArgs) -> Result<u8> {
    let started = Instant::now();
    configure_threads(args.threads)?;
    // Bad parameters and unwritable outputs are found before anything is read; `-` takes
    // standard output from the listing.
    args.overlap.params(args.fold_digits)?;
    let mut stdout_taken = false;
    for (flag, path) in [
        ("--json", &args.json),
        ("--write-clean", &args.write_clean),
        ("--write-dirty", &args.write_dirty),
    ] {
        let Some(path) = path else { continue };
        let read = args.input.inputs.iter().chain(&args.reference.paths);
        output::refuse_read_file(flag, path, read)?;
        if output::check_writable(path)? == output::Destination::Stdout {
            if stdout_taken {
                bail!("only one output can go to standard output");
            }
            stdout_taken = true;
        }
    }
    for split in [&args.write_clean, &args.write_dirty].into_iter().flatten() {
        refuse_overlap(split, &args.input.inputs)?;
    }
    if args.write_clean.is_some() && args.write_clean == args.write_dirty {
        bail!("--write-clean and --write-dirty name the same path");
    }
    let read_options = args.input.read_options();
    let selection = args.input.selection()?;
    let mut log = ReadLog::new(args.input.strict, Vec::new())?;
    super::contamination::refuse_stdin_twice(&args.input.inputs, &args.reference)?;
    let reference = Reference::open(
        &args.input,
        &args.reference,
        &args.overlap,
        args.fold_digits,
        &mut log,
    )?;
    let (mut inputs, input_errors) = Inputs::resolve_selected(&args.input.inputs, &selection);
    tell_repeated_files(&inputs.drop_repeated_files());
    log.resolved(input_errors)?;
    let (items, counts) = measure_inputs(&inputs, &read_options, &reference, &mut log, false)?;
    log.finish();
    let report = compare_report(&reference, &items, counts, log.errors.clone(), started);
    let files: Vec<InputFileRef<'_>> = inputs.files().collect();
    if args.write_clean.is_some() || args.write_dirty.is_some() {
        for file in &files {
            let record_lines = items
                .iter()
                .any(|i| i.location.path == file.display && i.location.line.is_some());
            if !record_lines {
                continue;
            }
            let format = Inputs::record_format(file.display, file.path, read_options.format)
                .with_context(|| format!("cannot read {}", file.display))?;
            if matches!(format, InputFormat::Wet | InputFormat::JsonArray) {
                bail!(
                    "{} is not JSON Lines: the splits are written for text, JSON Lines and Parquet inputs only",
                    file.display
                );
            }
        }
    }
    exit::settle(if report.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    });
    if let Some(path) = &args.json {
        output::write_atomic_with(path, |out| {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            out.write_all(b"\n")
        })?;
    }
    let mut pending = Vec::new();
    let verdicts = verdicts_by_location(&items);
    for (path, side) in [
        (&args.write_clean, Side::Clean),
        (&args.write_dirty, Side::Dirty),
    ] {
        if let Some(path) = path {
            write_split(&args, path, &files, &items, &verdicts, side, &mut pending)?;
        }
    }
    output::commit_all(pending)?;
    if !args.quiet {
        output::print_summary(&render(&report, args.top), stdout_taken)?;
    }
    Ok(if report.errors.is_empty() {
        exit::OK
    } else {
        exit::ERROR
    })
}
