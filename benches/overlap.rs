//! Throughput of contamination checks by n-gram overlap: indexing a reference corpus and
//! measuring test items against it, on generated news articles (whose publishers' boilerplate
//! makes many n-grams common to thousands of documents, the expensive case).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use paradup::overlap::{
    IndexBuilder, OverlapParams, OverlapScratch, ReferenceDocument, ReferenceIndex, ReferenceText,
};
use paradup_synth::synth::Generator;
use std::hint::black_box;

/// Reference documents of about 2 KB each.
const REFERENCE_DOCUMENTS: usize = 4000;
/// Test items measured per iteration.
const ITEMS: usize = 400;

fn texts(seed: u64, count: usize) -> Vec<String> {
    let mut generator = Generator::new(seed);
    (0..count).map(|_| generator.next_article().text).collect()
}

fn reference(texts: &[String]) -> Vec<ReferenceText> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| ReferenceText {
            document: ReferenceDocument {
                id: format!("ref{i}"),
                path: "reference.jsonl".into(),
                line: Some(i as u64 + 1),
            },
            text: text.clone(),
            file_offsets: None,
        })
        .collect()
}

fn index(texts: &[String]) -> ReferenceIndex {
    let mut builder = IndexBuilder::new(OverlapParams::default()).expect("default parameters");
    builder
        .add_batch(reference(texts))
        .expect("small documents");
    builder.finish(None)
}

fn overlap(c: &mut Criterion) {
    let reference_texts = texts(3, REFERENCE_DOCUMENTS);
    let reference_bytes: usize = reference_texts.iter().map(String::len).sum();
    let items = texts(9, ITEMS);
    let item_bytes: usize = items.iter().map(String::len).sum();

    let mut group = c.benchmark_group("overlap");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(reference_bytes as u64));
    group.bench_function("index_build", |b| {
        b.iter(|| black_box(index(&reference_texts)).ngram_count())
    });
    let built = index(&reference_texts);
    group.throughput(Throughput::Bytes(item_bytes as u64));
    group.bench_function("measure_items", |b| {
        let mut scratch = OverlapScratch::default();
        b.iter(|| {
            items
                .iter()
                .map(|item| built.measure(item, &mut scratch).matched_words)
                .sum::<usize>()
        })
    });
    let mut saved = Vec::new();
    built.save(&mut saved).expect("in memory");
    group.throughput(Throughput::Bytes(saved.len() as u64));
    group.bench_function("index_load", |b| {
        b.iter(|| {
            ReferenceIndex::load(&mut saved.as_slice(), saved.len() as u64)
                .expect("just saved")
                .ngram_count()
        })
    });
    group.finish();
}

criterion_group!(benches, overlap);
criterion_main!(benches);
