//! Flags as clap parses them, and their translation into validated library parameters.

use anyhow::{bail, Result};
use clap::{Args, Parser, Subcommand};
use paradup::overlap::OverlapParams;
use paradup::read::FileSelection;
use paradup::{Banding, InputFormat, NormalizeOptions, ReadOptions, ScanParams, SplitMode, Unit};
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
    /// Fail (exit 1) when duplication exceeds the limits: a gate for CI.
    Check(CheckArgs),
    /// Write the corpus without its repeated paragraphs (or with them annotated).
    Dedup(DedupArgs),
    /// Measure how much of each input item (a test set) stands in a reference corpus (training
    /// data), by word n-gram overlap: per-item shares, verdicts and matched spans.
    Compare(CompareArgs),
    /// Build, grow, inspect and compact a shard index: the fingerprints of a corpus kept on disk,
    /// so that `check --index` and `scan --index` find a new shard's copies of earlier shards
    /// without reading them again.
    #[command(subcommand)]
    Index(IndexCommand),
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Fingerprint a corpus into a new index folder (its first shard).
    Build(IndexBuildArgs),
    /// Append a shard to an index (its parameters are the index's).
    Add(IndexAddArgs),
    /// Print an index's parameters, shards, documents, paragraphs and bytes.
    Info(IndexInfoArgs),
    /// Merge an index's segments into one.
    Compact(IndexFolderArgs),
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct IndexBuildArgs {
    /// The index folder to create (it must not hold an index yet).
    #[arg(value_name = "IDX")]
    pub index: PathBuf,

    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    /// Name of the shard (default: the inputs, as given).
    #[arg(long, value_name = "NAME")]
    pub shard: Option<String>,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct IndexAddArgs {
    /// The index folder.
    #[arg(value_name = "IDX")]
    pub index: PathBuf,

    #[command(flatten)]
    pub input: InputArgs,

    /// Name of the shard (default: the inputs, as given).
    #[arg(long, value_name = "NAME")]
    pub shard: Option<String>,

    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct IndexInfoArgs {
    /// The index folder.
    #[arg(value_name = "IDX")]
    pub index: PathBuf,

    /// Print the manifest with the totals as JSON instead.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IndexFolderArgs {
    /// The index folder.
    #[arg(value_name = "IDX")]
    pub index: PathBuf,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Scanning the inputs against a shard index (`scan --index`, `check --index`).
#[derive(Debug, Args)]
pub struct ShardIndexArgs {
    /// A shard index (from `paradup index build`): report the inputs' copies of indexed
    /// paragraphs too, each indexed copy a member of its cluster (`"indexed": true`, its shard).
    /// The detection flags must be the index's.
    #[arg(long, value_name = "IDX")]
    pub index: Option<PathBuf>,

    /// Occurrences of one indexed paragraph listed in its cluster, at most (the rest are counted
    /// in `summary.indexed.indexed_copies_left_out`).
    #[arg(long, value_name = "N", default_value_t = 100, requires = "index")]
    pub indexed_copies: usize,
}

/// Where documents come from.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Files, folders (read recursively) or `-` for standard input. Plain text files are one
    /// document each; `.jsonl` files (or files whose first line is a JSON object) one per line,
    /// files holding one JSON array of objects one per object;
    /// WET files (starting with `WARC/1.0`) one per conversion record; Parquet files (starting
    /// with `PAR1`) one per row, located as PATH:ROW (0-based). Gzip and zstd are detected by
    /// content.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Record format: auto, text, jsonl, json (one array of objects), wet or parquet.
    #[arg(long, default_value = "auto")]
    pub format: InputFormat,

    /// Read only the files inside folders that match (repeatable; `!PATTERN` excludes). A pattern
    /// without `/` matches file names, one with `/` paths relative to the folder; `*` does not
    /// cross a `/` (`**` does).
    #[arg(long, value_name = "PATTERN")]
    pub glob: Vec<String>,

    /// Stop at the first bad record (malformed, unreadable, or not valid UTF-8) instead of
    /// skipping it.
    #[arg(long)]
    pub strict: bool,

    /// JSON field (or Parquet column) holding the text; dots reach into nested objects and struct
    /// columns (`meta.body`).
    #[arg(long, default_value = "text")]
    pub text_field: String,

    /// JSON field (or Parquet column) holding the document id; records without one are named
    /// PATH:LINE (Parquet rows PATH:ROW).
    #[arg(long, default_value = "id")]
    pub id_field: String,

    /// JSON field (or Parquet column) naming the document's source (publisher or site); dots
    /// reach into nested objects (`meta.url`). The report then gives duplicate ratios per source.
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

/// The reference corpus of `compare`, `check --reference` and `dedup --reference`, read like the
/// inputs unless told otherwise: a test set rarely names its fields as the training data does.
#[derive(Debug, Args)]
pub struct ReferenceArgs {
    /// A reference file or folder (repeatable: `--reference a/ --reference b.jsonl`), read like
    /// the inputs. It must exist and hold at least one document.
    #[arg(long = "reference", value_name = "REF", num_args = 1, action = clap::ArgAction::Append)]
    pub paths: Vec<String>,

    /// Record format of the reference (default: --format).
    #[arg(long, value_name = "FORMAT")]
    pub reference_format: Option<InputFormat>,

    /// JSON field holding the reference's text (default: --text-field).
    #[arg(long, value_name = "FIELD")]
    pub reference_text_field: Option<String>,

    /// JSON field holding the reference's document id (default: --id-field).
    #[arg(long, value_name = "FIELD")]
    pub reference_id_field: Option<String>,
}

impl ReferenceArgs {
    /// How the reference is read: the inputs' options with the reference's own overrides.
    pub fn read_options(&self, input: &ReadOptions) -> ReadOptions {
        ReadOptions {
            format: self.reference_format.unwrap_or(input.format),
            text_field: self
                .reference_text_field
                .clone()
                .unwrap_or_else(|| input.text_field.clone()),
            id_field: self
                .reference_id_field
                .clone()
                .unwrap_or_else(|| input.id_field.clone()),
            source_field: input.source_field.clone(),
        }
    }
}

/// What counts as a duplicate.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Paragraph segmentation: `auto` (blank lines where the document has them, otherwise one
    /// paragraph a line, hard-wrapped text rejoined), `blank`, `line`, or `sentences:N` (windows
    /// of N sentences, for text without line breaks).
    #[arg(long, default_value = "auto")]
    pub split: SplitMode,

    /// What is compared: `paragraph`, or `document` (whole documents as one unit: near-duplicate
    /// articles).
    #[arg(long, default_value = "paragraph")]
    pub unit: Unit,

    /// Jaccard similarity of word n-gram sets at or above which two paragraphs are near copies.
    /// In a family of thousands of variants, each is verified against at most 48 earlier ones a
    /// band, so a few pairs just above the threshold can be missed (README, Accuracy).
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

    /// Also join a paragraph lying at least this share inside another (a passage quoted in a
    /// longer one), e.g. 0.9. Off by default.
    #[arg(long, value_name = "SHARE")]
    pub containment: Option<f64>,

    /// LSH bands (bands x rows may not exceed --num-perm). Default: chosen for recall at the
    /// threshold from --threshold and --num-perm (17 x 7 at 0.8 and 128).
    #[arg(long)]
    pub bands: Option<usize>,

    /// Signature values per LSH band. Default: see --bands.
    #[arg(long)]
    pub rows: Option<usize>,

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

    /// Peak memory to keep the scan under, e.g. `512M` or `8G` (K, M, G, T: powers of 1024).
    /// Past half of it the scan's tables go to files in --tmp-dir; the results are the same.
    /// Default: three quarters of physical memory. A scan with --containment or a shard index
    /// holds its tables in memory and takes no budget.
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<MemorySize>,

    /// Folder for the spill files of a scan past --memory (default: the system's temporary
    /// folder). They are removed when the run ends, fails or is interrupted.
    #[arg(long, value_name = "DIR")]
    pub tmp_dir: Option<PathBuf>,
}

/// A size in bytes, as `--memory` takes it: a number with an optional K, M, G or T (powers of
/// 1024; a trailing `B` or `iB` is allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySize(pub u64);

impl std::str::FromStr for MemorySize {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        paradup::scan::parse_memory_size(text).map(MemorySize)
    }
}

impl DetectArgs {
    /// The memory budget asked for, and where spill files go.
    pub fn memory_request(&self) -> MemoryRequest {
        MemoryRequest {
            bytes: self.memory.map(|size| size.0),
            tmp_dir: self.tmp_dir.clone(),
        }
    }

    pub fn scan_params(&self) -> Result<ScanParams> {
        for (flag, value) in [("--bands", self.bands), ("--rows", self.rows)] {
            if let Some(value) = value.filter(|&v| v > self.num_perm) {
                bail!(
                    "invalid parameters: {flag} {value} exceeds --num-perm {}",
                    self.num_perm
                );
            }
        }
        let banding = match (self.bands, self.rows) {
            (Some(bands), Some(rows)) => Banding { bands, rows },
            (Some(bands), None) => Banding {
                bands,
                rows: self.num_perm / bands.max(1),
            },
            (None, Some(rows)) => Banding {
                bands: self.num_perm / rows.max(1),
                rows,
            },
            (None, None) => Banding::choose(self.threshold, self.num_perm),
        };
        let params = ScanParams {
            split: self.split,
            unit: self.unit,
            normalize: NormalizeOptions {
                fold_digits: self.fold_digits,
            },
            ngram: self.ngram,
            char_ngram: self.char_ngram,
            num_perm: self.num_perm,
            banding,
            threshold: self.threshold,
            containment: self.containment,
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
#[command(allow_negative_numbers = true)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    /// Write the JSON report (schema paradup.report/v1) to this file (`-`: standard output, the
    /// summary then on standard error).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Write the members table to this Parquet file (`-`: standard output): one row a copy of a
    /// cluster, for DuckDB, Polars or Spark, and to join back to the input by document id.
    #[arg(long, value_name = "PATH")]
    pub members: Option<PathBuf>,

    /// Which copies of each cluster the JSON report lists: none, canonical or all. Default: all;
    /// canonical when --members is given and the clusters hold more than 1,000,000 copies (the
    /// table holds them all).
    #[arg(long, value_name = "WHICH")]
    pub json_members: Option<paradup::report::MemberLists>,

    /// Write a self-contained HTML report (summary, plots, rankings, each cluster's copies side
    /// by side) to this file (`-`: standard output).
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,

    /// Clusters shown in full in the HTML report, most copies first; the rest are counted.
    #[arg(long, value_name = "N", default_value_t = paradup::html::DEFAULT_TOP)]
    pub html_top: usize,

    /// Clusters listed in each section of the terminal summary.
    #[arg(long, default_value_t = 10)]
    pub top: usize,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,

    /// Write a baseline (schema paradup.baseline/v1) accepting every cluster found, for
    /// `check --baseline`.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    #[command(flatten)]
    pub shard_index: ShardIndexArgs,
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    /// Fail when duplicate paragraphs (repeats of an earlier copy) are more than this share of all
    /// paragraphs (of all bytes with --by-bytes). When no limit and no --reference is given, any
    /// duplicate paragraph fails (a ratio of 0).
    #[arg(long, value_name = "RATIO")]
    pub max_duplicate_ratio: Option<f64>,

    /// Measure --max-duplicate-ratio in bytes of text instead of paragraphs.
    #[arg(long, requires = "max_duplicate_ratio")]
    pub by_bytes: bool,

    /// Fail when any one document repeats more than this many of its own paragraphs.
    #[arg(long, value_name = "N")]
    pub max_within_document: Option<u64>,

    /// Fail when any one passage is carried by more than this many documents.
    #[arg(long, value_name = "N")]
    pub max_cluster_documents: Option<usize>,

    /// Known clusters (written by `scan --write-baseline`) that take no part in the limits.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// A shard index (from `paradup index build`): also measure the input's copies of indexed
    /// paragraphs (see --max-indexed-ratio); the other limits measure the input's own repeats.
    /// The detection flags must be the index's.
    #[arg(long, value_name = "IDX")]
    pub index: Option<PathBuf>,

    /// With --index: fail when more than this share of the input's paragraphs have a copy in the
    /// index. Unset (and no other limit given), any copy fails.
    #[arg(long, value_name = "RATIO", requires = "index")]
    pub max_indexed_ratio: Option<f64>,

    /// With --index: when the check passes, append the input to the index as a new shard.
    #[arg(long, requires = "index")]
    pub add_on_pass: bool,

    /// With --add-on-pass: the new shard's name (default: the inputs, as given).
    #[arg(long, value_name = "NAME", requires = "add_on_pass")]
    pub shard: Option<String>,

    /// Fail when any input document shares a stretch of words (see --overlap-ngram) with the
    /// reference (a test set, say).
    #[command(flatten)]
    pub reference: ReferenceArgs,

    #[command(flatten)]
    pub overlap: OverlapArgs,

    /// Records and files that may be skipped (unreadable, malformed) before the check fails
    /// with exit status 2.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_skipped: u64,

    /// Write the verdicts (schema paradup.check/v1) to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Offenders listed (and annotated) per limit.
    #[arg(long, default_value_t = 10)]
    pub top: usize,

    /// Print nothing but errors and, under GitHub Actions, annotations.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct DedupArgs {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub detect: DetectArgs,

    /// Output: a file when the one input is a file (`-`: standard output), otherwise a folder
    /// that receives every input file under its path inside the folder given; with several
    /// inputs, each folder is mirrored under its own name (a file given directly: its file name).
    #[arg(long, short, value_name = "OUT")]
    pub output: PathBuf,

    /// Keep the text as it is and add a field listing each record's duplicate spans and their
    /// clusters (JSON Lines only).
    #[arg(long)]
    pub annotate: bool,

    /// Name of the field --annotate adds.
    #[arg(long, default_value = "paradup", value_name = "NAME")]
    pub annotate_field: String,

    /// Leave out whole documents whose every paragraph is a repeat of an earlier one.
    #[arg(long, conflicts_with = "annotate")]
    pub drop_duplicate_documents: bool,

    /// Also remove every passage that shares a stretch of words (see --overlap-ngram) with this
    /// reference (a test set), with --reference-window bytes around it: GPT-3's training-side
    /// decontamination.
    #[command(flatten)]
    pub reference: ReferenceArgs,

    #[command(flatten)]
    pub overlap: OverlapArgs,

    /// Bytes around each passage shared with --reference that go with it (GPT-3: 200), widened
    /// to whole words.
    #[arg(long, value_name = "BYTES", default_value_t = 200)]
    pub reference_window: usize,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct CompareArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// The reference corpus to look for copies in.
    #[command(flatten)]
    pub reference: ReferenceArgs,

    #[command(flatten)]
    pub overlap: OverlapArgs,

    /// Fold every digit to 0 before words are compared.
    #[arg(long)]
    pub fold_digits: bool,

    /// Write the JSON report (schema paradup.compare/v2) to this file.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Write the inputs without their dirty items, in their own format (records and files
    /// unchanged): the clean split. A file when the one input is a file, else a folder.
    #[arg(long, value_name = "PATH")]
    pub write_clean: Option<PathBuf>,

    /// Write the dirty items only, in the inputs' format.
    #[arg(long, value_name = "PATH")]
    pub write_dirty: Option<PathBuf>,

    /// Items listed in the terminal output.
    #[arg(long, default_value_t = 20)]
    pub top: usize,

    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,

    /// Print nothing on success but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// How overlap with the reference is measured: word n-grams, independent of how either side is
/// cut into paragraphs or lines.
#[derive(Debug, Args)]
pub struct OverlapArgs {
    /// Words a shared stretch must span to count (GPT-3's filter: 13). An item shorter than
    /// that needs a match of its own length, but never shorter than --min-ngram.
    #[arg(long, value_name = "N", default_value_t = 13)]
    pub overlap_ngram: usize,

    /// The shortest shared stretch that ever counts (8, GPT-3's lower bound); shorter common
    /// phrases are never leaks. The index holds n-grams of this length.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub min_ngram: usize,

    /// Unmatched words allowed between two matches for them to form one span (a word changed).
    #[arg(long, value_name = "WORDS", default_value_t = 3)]
    pub max_gap: usize,

    /// An item with less than this share of its words in matched spans is `clean` (Llama 2:
    /// 0.2); 0 makes any match at least `partial` (GPT-3's rule).
    #[arg(long, value_name = "SHARE", default_value_t = 0.2)]
    pub clean_share: f64,

    /// An item with at least this share of its words in matched spans is `dirty` (Llama 2: 0.8).
    #[arg(long, value_name = "SHARE", default_value_t = 0.8)]
    pub dirty_share: f64,

    /// Ignore n-grams found in more than K reference documents (GPT-3 used 10): common phrases
    /// and boilerplate then never match. Off by default.
    #[arg(long, value_name = "K")]
    pub max_reference_docs: Option<usize>,

    /// Also save the reference's n-gram index to this file, for --reference-index.
    #[arg(long, value_name = "FILE")]
    pub save_reference_index: Option<PathBuf>,

    /// Use a saved n-gram index (from --save-reference-index) as the reference instead of
    /// reading it.
    #[arg(long, value_name = "FILE")]
    pub reference_index: Option<PathBuf>,
}

impl OverlapArgs {
    /// The validated parameters.
    pub fn params(&self, fold_digits: bool) -> Result<OverlapParams> {
        let params = OverlapParams {
            ngram: self.overlap_ngram,
            min_ngram: self.min_ngram,
            max_gap: self.max_gap,
            clean_share: self.clean_share,
            dirty_share: self.dirty_share,
            normalize: NormalizeOptions { fold_digits },
        };
        params.validate()?;
        Ok(params)
    }

    /// True when a reference is given, as files or as an index.
    pub fn has_reference(&self, reference: &ReferenceArgs) -> bool {
        self.reference_index.is_some() || !reference.paths.is_empty()
    }
}

/// What `--memory` and `--tmp-dir` ask for.
#[derive(Clone, Debug, Default)]
pub struct MemoryRequest {
    /// The budget given, or `None` for the default.
    pub bytes: Option<u64>,
    /// The spill folder's parent, or `None` for the system's temporary folder.
    pub tmp_dir: Option<PathBuf>,
}
