//! Flags as clap parses them, and their translation into validated library parameters.

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use paradup::read::FileSelection;
use paradup::{Banding, InputFormat, NormalizeOptions, ReadOptions, ScanParams, SplitMode};
use std::path::PathBuf;

/// Find duplicated and near-duplicated paragraphs within and across documents.
#[derive(Debug, Parser)]
#[command(name = "paradup", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Report duplicated paragraphs: a terminal summary, and a JSON report with --json.
    Scan(ScanArgs),
}

/// Where documents come from.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, folders (read recursively) or `-` for standard input. Plain text files are one
    /// document each; `.jsonl` files (or files whose first line is a JSON object) one per line;
    /// WET files (starting with `WARC/1.0`) one per conversion record. Gzip and zstd are detected
    /// by content.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Record format: auto, text, jsonl or wet.
    #[arg(long, default_value = "auto")]
    pub format: InputFormat,

    /// Read only the files inside folders that match (repeatable; `!PATTERN` excludes). A pattern
    /// without `/` matches file names, one with `/` paths relative to the folder.
    #[arg(long, value_name = "PATTERN")]
    pub glob: Vec<String>,

    /// Stop at the first bad record (malformed, unreadable, or not valid UTF-8) instead of
    /// skipping it.
    #[arg(long)]
    pub strict: bool,

    /// JSON field holding the text (dots reach into nested objects: `meta.body`).
    #[arg(long, default_value = "text")]
    pub text_field: String,

    /// JSON field holding the document id; records without one are named PATH:LINE.
    #[arg(long, default_value = "id")]
    pub id_field: String,

    /// JSON field naming the document's source (publisher or site); dots reach into nested
    /// objects (`meta.url`). The report then gives duplicate ratios per source.
    #[arg(long)]
    pub source_field: Option<String>,
}

impl InputArgs {
    pub fn read_options(&self) -> ReadOptions {
        ReadOptions {
            format: self.format,
            text_field: self.text_field.clone(),
            id_field: self.id_field.clone(),
            source_field: self.source_field.clone(),
        }
    }

    pub fn selection(&self) -> Result<FileSelection> {
        Ok(FileSelection::from_globs(&self.glob)?)
    }
}

/// What counts as a duplicate.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Paragraph segmentation: `auto` (blank lines where the document has them, otherwise one
    /// paragraph a line, hard-wrapped text rejoined), `blank` or `line`.
    #[arg(long, default_value = "auto")]
    pub split: SplitMode,

    /// Jaccard similarity of word n-gram sets at or above which two paragraphs are near copies.
    #[arg(long, default_value_t = 0.8)]
    pub threshold: f64,

    /// Words per shingle.
    #[arg(long, default_value_t = 3)]
    pub ngram: usize,

    /// Characters per shingle for scripts written without spaces (Chinese, Japanese, Thai, ...).
    #[arg(long, default_value_t = 5)]
    pub char_ngram: usize,

    /// MinHash functions per signature.
    #[arg(long, default_value_t = 128)]
    pub num_perm: usize,

    /// LSH bands (bands x rows may not exceed --num-perm).
    #[arg(long, default_value_t = 16)]
    pub bands: usize,

    /// Signature values per LSH band.
    #[arg(long, default_value_t = 8)]
    pub rows: usize,

    /// Paragraphs with fewer words take part in exact matching only.
    #[arg(long, default_value_t = 10)]
    pub min_words: usize,

    /// Fold every digit to 0, so that paragraphs differing only in numbers match.
    #[arg(long)]
    pub fold_digits: bool,

    /// Seed of the MinHash functions.
    #[arg(long, default_value_t = ScanParams::default().seed)]
    pub seed: u64,

    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

impl DetectArgs {
    pub fn scan_params(&self) -> Result<ScanParams> {
        let params = ScanParams {
            split: self.split,
            normalize: NormalizeOptions {
                fold_digits: self.fold_digits,
            },
            ngram: self.ngram,
            char_ngram: self.char_ngram,
            num_perm: self.num_perm,
            banding: Banding {
                bands: self.bands,
                rows: self.rows,
            },
            threshold: self.threshold,
            min_words: self.min_words,
            seed: self.seed,
        };
        if let Err(e) = params.validate() {
            bail!("invalid parameters: {e}");
        }
        Ok(params)
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    /// Write the JSON report (schema paradup.report/v1) to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Clusters listed in each section of the terminal summary.
    #[arg(long, default_value_t = 10)]
    pub top: usize,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,
}
