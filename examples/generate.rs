//! Writes a synthetic scraped-news corpus (JSON Lines) with planted duplicates, and optionally
//! the truth file describing every plant; see `paradup_synth::synth`.
//!
//! ```sh
//! cargo run --release --example generate -- --bytes 30000000 --out corpus.jsonl
//! cargo run --release --example generate -- --documents 2000 --seed 7 --out small.jsonl --truth small.truth.jsonl
//! ```

use anyhow::{bail, Context, Result};
use clap::Parser;
use paradup_synth::synth::Generator;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Write a synthetic news corpus with planted duplicates.
#[derive(Debug, Parser)]
struct Args {
    /// Stop once the corpus holds at least this many bytes.
    #[arg(long, conflicts_with = "documents")]
    bytes: Option<u64>,

    /// Write exactly this many articles.
    #[arg(long)]
    documents: Option<u64>,

    /// Seed: the same seed writes the same corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// The corpus file (JSON Lines: id, source, url, title, text).
    #[arg(long)]
    out: PathBuf,

    /// Also write the planted duplicates, one JSON object a line.
    #[arg(long)]
    truth: Option<PathBuf>,
}

/// A file written through a temporary file beside it and renamed into place when complete.
struct AtomicFile {
    temp: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
    fn create(path: &Path) -> Result<Self> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        Ok(AtomicFile {
            temp: BufWriter::with_capacity(1 << 20, temp),
            path: path.to_path_buf(),
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.temp
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    fn commit(self) -> Result<()> {
        let temp = self
            .temp
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        temp.persist(&self.path)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        Ok(())
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let (max_bytes, max_documents) = match (args.bytes, args.documents) {
        (Some(bytes), None) => (bytes, u64::MAX),
        (None, Some(documents)) => (u64::MAX, documents),
        _ => bail!("give --bytes or --documents"),
    };
    let started = Instant::now();
    let mut corpus = AtomicFile::create(&args.out)?;
    let mut truth = args.truth.as_deref().map(AtomicFile::create).transpose()?;
    let mut written = 0u64;
    let mut documents = 0u64;
    let mut plants: BTreeMap<String, u64> = BTreeMap::new();
    let mut buffer = Vec::with_capacity(1 << 16);
    let mut truth_buffer = Vec::new();
    for article in Generator::new(args.seed) {
        if written >= max_bytes || documents >= max_documents {
            break;
        }
        buffer.clear();
        article.write_jsonl(&mut buffer);
        corpus.write(&buffer)?;
        written += buffer.len() as u64;
        documents += 1;
        if let Some(truth) = truth.as_mut() {
            truth_buffer.clear();
            article.write_truth(&mut truth_buffer)?;
            truth.write(&truth_buffer)?;
            for plant in &article.plants {
                let kind = serde_json::to_value(plant.kind)?;
                *plants
                    .entry(kind.as_str().unwrap_or("?").to_string())
                    .or_default() += 1;
            }
        }
    }
    corpus.commit()?;
    if let Some(truth) = truth {
        truth.commit()?;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "generate: {documents} documents, {written} bytes to {} in {seconds:.2} s ({:.0} MB/s), seed {}",
        args.out.display(),
        written as f64 / 1e6 / seconds.max(1e-9),
        args.seed
    );
    if !plants.is_empty() {
        let list: Vec<String> = plants.iter().map(|(k, v)| format!("{k} {v}")).collect();
        eprintln!("planted: {}", list.join(", "));
    }
    Ok(())
}
