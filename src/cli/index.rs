//! `paradup index build|add|info|compact`: the shard index on disk (see `paradup::shard_index`),
//! and appending a scanned shard to it, which `check --add-on-pass` shares.

use super::args::{IndexAddArgs, IndexBuildArgs, IndexCommand, IndexFolderArgs, IndexInfoArgs};
use super::scan::{configure_threads, scan_inputs_indexed, AgainstIndex, ScanRun};
use super::summary::{human_bytes, plural};
use super::{exit, output};
use anyhow::{bail, Context, Result};
use paradup::lsh::Banding;
use paradup::scan::Retained;
use paradup::shard_index::{
    empty_manifest, prepare_add, prepare_compact, IndexParams, Manifest, ShardIndex, WriteLock,
    MANIFEST,
};
use paradup::{NormalizeOptions, ScanParams};
use std::path::Path;

/// Set to make `add` stop (abort, as a crash would) after its segment is in the folder and
/// before the manifest names it: the tests' way to show that an interrupted `add` leaves the
/// previous index whole.
const ABORT_BEFORE_MANIFEST: &str = "PARADUP_INDEX_ABORT_BEFORE_MANIFEST";

/// Runs an `index` subcommand.
pub fn run(command: IndexCommand) -> Result<u8> {
    match command {
        IndexCommand::Build(args) => build(args),
        IndexCommand::Add(args) => add(args),
        IndexCommand::Info(args) => info(args),
        IndexCommand::Compact(args) => compact(args),
    }
}

/// The scan parameters an index was made with.
pub fn scan_params_of(params: &IndexParams) -> Result<ScanParams> {
    let scan = ScanParams {
        split: params
            .split
            .parse()
            .map_err(|e: String| anyhow::anyhow!("index parameter split: {e}"))?,
        unit: params
            .unit
            .parse()
            .map_err(|e: String| anyhow::anyhow!("index parameter unit: {e}"))?,
        normalize: NormalizeOptions {
            fold_digits: params.fold_digits,
        },
        ngram: params.ngram,
        char_ngram: params.char_ngram,
        num_perm: params.num_perm,
        banding: Banding {
            bands: params.bands,
            rows: params.rows,
        },
        threshold: params.threshold,
        containment: None,
        min_words: params.min_words,
        seed: params.seed,
    };
    scan.validate()
        .map_err(|e| anyhow::anyhow!("index parameters: {e}"))?;
    Ok(scan)
}

/// Opens the index at `folder` for scanning with `params`, which must be the index's.
pub fn open_for(folder: &Path, params: &ScanParams) -> Result<ShardIndex> {
    let index = ShardIndex::open(folder)?;
    index
        .manifest()
        .params
        .require_same(&IndexParams::from_scan(params)?, folder)?;
    Ok(index)
}

/// The name of a new shard: as given, else the inputs.
pub fn shard_name(given: Option<&str>, inputs: &[String]) -> String {
    given.map_or_else(|| inputs.join(" "), str::to_string)
}

/// Writes the shard scanned in `run` into the index at `folder` (whose manifest is `manifest`,
/// its lock held by the caller): segment first, then the manifest.
pub fn append(
    folder: &Path,
    manifest: &Manifest,
    run: &ScanRun,
    retained: &Retained,
    name: &str,
) -> Result<()> {
    let pending = prepare_add(
        folder,
        manifest,
        &run.outcome.params,
        name,
        &run.outcome,
        retained,
    )?;
    let pending = pending.place_segment()?;
    if std::env::var_os(ABORT_BEFORE_MANIFEST).is_some() {
        std::process::abort();
    }
    pending.commit()?;
    Ok(())
}

fn refuse_skipped(run: &ScanRun) -> Result<()> {
    if let Some(first) = run.errors.first() {
        bail!(
            "{} could not be read (first: {first}); nothing was added to the index",
            plural(run.errors.len() as u64, "record or file")
        );
    }
    Ok(())
}

fn added_line(folder: &Path, name: &str, run: &ScanRun) -> String {
    let s = &run.outcome.summary;
    format!(
        "paradup index: added shard \"{}\" to {}: {}, {}, {}\n",
        super::summary::terminal_safe(name),
        super::summary::terminal_safe(&folder.display().to_string()),
        plural(s.documents, "document"),
        plural(s.paragraphs, "paragraph"),
        human_bytes(s.bytes)
    )
}

fn build(args: IndexBuildArgs) -> Result<u8> {
    let params = args.detect.scan_params()?;
    let index_params = IndexParams::from_scan(&params)?;
    configure_threads(args.detect.threads)?;
    if args.index.join(MANIFEST).exists() {
        bail!(
            "{} already holds an index; add shards with `paradup index add`",
            args.index.display()
        );
    }
    std::fs::create_dir_all(&args.index)
        .with_context(|| format!("cannot create {}", args.index.display()))?;
    let _lock = WriteLock::take(&args.index)?;
    let (run, retained) = scan_inputs_indexed(
        &args.input,
        params,
        &args.detect.memory_request(),
        args.quiet,
        &[],
        None,
        true,
    )?;
    refuse_skipped(&run)?;
    let name = shard_name(args.shard.as_deref(), &args.input.inputs);
    let manifest = empty_manifest(index_params);
    append(
        &args.index,
        &manifest,
        &run,
        &retained.unwrap_or_default(),
        &name,
    )?;
    if !args.quiet {
        output::print_stdout(&added_line(&args.index, &name, &run))?;
    }
    Ok(exit::OK)
}

fn add(args: IndexAddArgs) -> Result<u8> {
    configure_threads(args.threads)?;
    let _lock = WriteLock::take(&args.index)?;
    let index = ShardIndex::open(&args.index)?;
    let params = scan_params_of(&index.manifest().params)?;
    let against = AgainstIndex {
        index: &index,
        max_copies: Some(1),
        whole_groups: false,
    };
    let (run, retained) = scan_inputs_indexed(
        &args.input,
        params,
        &Default::default(),
        args.quiet,
        &[],
        Some(against),
        true,
    )?;
    refuse_skipped(&run)?;
    let name = shard_name(args.shard.as_deref(), &args.input.inputs);
    append(
        &args.index,
        index.manifest(),
        &run,
        &retained.unwrap_or_default(),
        &name,
    )?;
    if !args.quiet {
        output::print_stdout(&added_line(&args.index, &name, &run))?;
    }
    Ok(exit::OK)
}

/// Bytes of every file the manifest names, and the manifest.
fn index_bytes(folder: &Path, manifest: &Manifest) -> u64 {
    let manifest_bytes = std::fs::metadata(folder.join(MANIFEST)).map_or(0, |m| m.len());
    manifest_bytes + manifest.segments.iter().map(|s| s.bytes).sum::<u64>()
}

fn info(args: IndexInfoArgs) -> Result<u8> {
    let index = ShardIndex::open(&args.index)?;
    index
        .verify()
        .with_context(|| format!("verifying {}", args.index.display()))?;
    let m = index.manifest();
    let documents: u64 = m.shards.iter().map(|s| s.documents).sum();
    let paragraphs: u64 = m.shards.iter().map(|s| s.paragraphs).sum();
    let distinct: u64 = m.shards.iter().map(|s| s.distinct_paragraphs).sum();
    let bytes: u64 = m.shards.iter().map(|s| s.bytes).sum();
    let on_disk = index_bytes(&args.index, m);
    let per_paragraph = if paragraphs == 0 {
        0.0
    } else {
        on_disk as f64 / paragraphs as f64
    };
    if args.json {
        let value = serde_json::json!({
            "manifest": m,
            "totals": {
                "shards": m.shards.len(),
                "segments": m.segments.len(),
                "documents": documents,
                "paragraphs": paragraphs,
                "distinct_paragraphs": distinct,
                "bytes": bytes,
                "index_bytes": on_disk,
                "index_bytes_per_paragraph": paradup::display::round6(per_paragraph),
            },
        });
        let mut text = serde_json::to_string_pretty(&value)?;
        text.push('\n');
        output::print_stdout(&text)?;
        return Ok(exit::OK);
    }
    let p = &m.params;
    let mut out = format!(
        "paradup index {} (format {}, checksums verified)\n\
         params:   --split {} --unit {} --ngram {} --char-ngram {} --num-perm {} --bands {} \
         --rows {} --threshold {} --min-words {} --seed {}{}\n\
         contents: {}, {}, {}, {} ({} distinct), {} of text\n\
         on disk:  {} in {} ({:.1} bytes a paragraph)\n",
        super::summary::terminal_safe(&args.index.display().to_string()),
        m.format_version,
        p.split,
        p.unit,
        p.ngram,
        p.char_ngram,
        p.num_perm,
        p.bands,
        p.rows,
        p.threshold,
        p.min_words,
        p.seed,
        if p.fold_digits { " --fold-digits" } else { "" },
        plural(m.shards.len() as u64, "shard"),
        plural(m.segments.len() as u64, "segment"),
        plural(documents, "document"),
        plural(paragraphs, "paragraph"),
        distinct,
        human_bytes(bytes),
        human_bytes(on_disk),
        plural(m.segments.len() as u64 + 1, "file"),
        per_paragraph
    );
    for (i, shard) in m.shards.iter().enumerate() {
        out.push_str(&format!(
            "  shard {i} \"{}\": {}, {}, {}\n",
            super::summary::terminal_safe(&shard.name),
            plural(shard.documents, "document"),
            plural(shard.paragraphs, "paragraph"),
            human_bytes(shard.bytes)
        ));
    }
    output::print_stdout(&out)?;
    Ok(exit::OK)
}

fn compact(args: IndexFolderArgs) -> Result<u8> {
    let _lock = WriteLock::take(&args.index)?;
    let index = ShardIndex::open(&args.index)?;
    let before = index.manifest().segments.len();
    let pending = prepare_compact(&index)?;
    drop(index);
    pending.place_segment()?.commit()?;
    if !args.quiet {
        output::print_stdout(&format!(
            "paradup index: compacted {} into one\n",
            plural(before as u64, "segment")
        ))?;
    }
    Ok(exit::OK)
}
