//! Throughput of each pipeline stage on synthetic news-like paragraphs: read, segment+normalize,
//! shingle, MinHash, LSH, verify, cluster, and a whole scan.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use paradup::cluster::UnionFind;
use paradup::lsh::candidates;
use paradup::minhash::MinHasher;
use paradup::normalize::{normalize_into, NormalizeOptions};
use paradup::segment::{segment, SplitMode};
use paradup::shingle::{jaccard, shingle_set};
use paradup::{Banding, Document, Inputs, Location, ReadEvent, ReadOptions, ScanParams, Scanner};
use std::hint::black_box;
use std::ops::ControlFlow;

const WORDS: &[&str] = &[
    "the",
    "council",
    "said",
    "on",
    "Monday",
    "that",
    "it",
    "would",
    "review",
    "budget",
    "for",
    "next",
    "year",
    "after",
    "residents",
    "asked",
    "about",
    "rising",
    "costs",
    "of",
    "housing",
    "transport",
    "and",
    "energy",
    "while",
    "officials",
    "warned",
    "delays",
    "could",
    "follow",
    "minister",
    "market",
    "prices",
    "growth",
    "inflation",
    "bank",
    "rate",
    "percent",
    "company",
    "shares",
    "report",
    "election",
    "vote",
    "party",
    "leader",
    "police",
    "court",
    "hospital",
    "school",
    "students",
    "weather",
    "storm",
    "river",
    "bridge",
    "project",
    "contract",
    "workers",
];

/// Deterministic pseudo-random words (xorshift), so every run measures the same text.
struct Words(u64);

impl Words {
    fn next(&mut self) -> &'static str {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        WORDS[(self.0 % WORDS.len() as u64) as usize]
    }

    fn paragraph(&mut self, words: usize) -> String {
        let mut text = String::new();
        for i in 0..words {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(self.next());
        }
        text.push('.');
        text
    }
}

/// `count` documents of 12 paragraphs of 20-60 words; every fourth document repeats paragraphs of
/// the one before it, as scraped corpora do.
fn documents(count: usize) -> Vec<String> {
    let mut words = Words(0x9E37_79B9_7F4A_7C15);
    let mut docs: Vec<String> = Vec::with_capacity(count);
    for d in 0..count {
        let mut paragraphs: Vec<String> = (0..12)
            .map(|p| words.paragraph(20 + (d * 7 + p * 13) % 40))
            .collect();
        if d % 4 == 3 {
            let previous: Vec<String> = docs[d - 1].lines().take(6).map(str::to_owned).collect();
            paragraphs.splice(0..6, previous);
        }
        docs.push(paragraphs.join("\n"));
    }
    docs
}

fn bench_stages(c: &mut Criterion) {
    let docs = documents(2000);
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    let options = NormalizeOptions::default();
    let params = ScanParams::default();

    let normalized: Vec<String> = docs
        .iter()
        .flat_map(|doc| {
            segment(doc, SplitMode::Auto)
                .into_iter()
                .map(|s| {
                    let mut out = String::new();
                    normalize_into(&doc[s.start..s.end], options, &mut out);
                    out
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let paragraphs = normalized.len() as u64;
    let mut scratch = Vec::new();
    let sets: Vec<Vec<u32>> = normalized
        .iter()
        .map(|p| {
            let mut set = Vec::new();
            shingle_set(p, 3, 5, &mut scratch, &mut set);
            set
        })
        .collect();
    let hasher = MinHasher::new(params.num_perm, params.seed);
    let signatures: Vec<u32> = sets.iter().flat_map(|s| hasher.signature(s)).collect();
    let banding = Banding { bands: 16, rows: 8 };

    let mut group = c.benchmark_group("stages");
    group.sample_size(20);

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("corpus.jsonl");
    let jsonl: String = docs
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}\n", serde_json::json!({"id": i, "text": d})))
        .collect();
    std::fs::write(&path, &jsonl).expect("write corpus");
    let (inputs, _) = Inputs::resolve(&[path.display().to_string()]);
    group.throughput(Throughput::Bytes(jsonl.len() as u64));
    group.bench_function("read_jsonl", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let _ = inputs.read(&ReadOptions::default(), &mut |event| {
                if let ReadEvent::Document(doc) = event {
                    n += doc.text.len();
                }
                ControlFlow::Continue(())
            });
            black_box(n)
        })
    });

    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("segment_normalize", |b| {
        let mut out = String::new();
        b.iter(|| {
            let mut total = 0;
            for doc in &docs {
                for span in segment(doc, SplitMode::Auto) {
                    normalize_into(&doc[span.start..span.end], options, &mut out);
                    total += out.len();
                }
            }
            black_box(total)
        })
    });

    group.throughput(Throughput::Elements(paragraphs));
    group.bench_function("shingle", |b| {
        let (mut scratch, mut set) = (Vec::new(), Vec::new());
        b.iter(|| {
            let mut total = 0;
            for p in &normalized {
                shingle_set(p, 3, 5, &mut scratch, &mut set);
                total += set.len();
            }
            black_box(total)
        })
    });
    group.bench_function("minhash", |b| {
        let mut signature = vec![0u32; params.num_perm];
        b.iter(|| {
            for set in &sets {
                hasher.signature_into(set, &mut signature);
            }
            black_box(signature[0])
        })
    });
    group.bench_function("lsh_16x8", |b| {
        b.iter(|| {
            black_box(
                candidates(&signatures, params.num_perm, banding)
                    .pairs
                    .len(),
            )
        })
    });
    let pairs = candidates(&signatures, params.num_perm, banding).pairs;
    group.throughput(Throughput::Elements(pairs.len().max(1) as u64));
    group.bench_function("verify", |b| {
        b.iter(|| {
            pairs
                .iter()
                .filter(|&&(a, b)| jaccard(&sets[a as usize], &sets[b as usize]) >= 0.8)
                .count()
        })
    });
    group.bench_function("cluster", |b| {
        b.iter(|| {
            let mut sets = UnionFind::new(paragraphs as usize);
            for &(a, b) in &pairs {
                sets.union(a, b);
            }
            black_box(sets.find(0))
        })
    });

    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("scan_whole", |b| {
        b.iter_batched(
            || {
                docs.iter()
                    .enumerate()
                    .map(|(i, text)| Document {
                        id: i.to_string(),
                        source: None,
                        location: Location {
                            path: "bench".into(),
                            line: Some(i as u64 + 1),
                            row: None,
                        },
                        text: text.clone(),
                    })
                    .collect::<Vec<_>>()
            },
            |batch| {
                let mut scanner = Scanner::new(ScanParams::default()).expect("params");
                scanner.add_batch(batch);
                black_box(scanner.finish().summary.duplicate_paragraphs)
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_stages);
criterion_main!(benches);
