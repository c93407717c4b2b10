//! Property tests of the readers: random bytes through every reader and every compression never
//! panic, and what comes out accounts for what went in (every record is a document or a skip, in
//! order, and a cut stream keeps the records before the cut).

use paradup::{InputError, InputFormat, Inputs, ReadEvent, ReadOptions};
use proptest::prelude::*;
use std::io::Write;
use std::ops::ControlFlow;

#[derive(Debug, PartialEq)]
enum Event {
    Document {
        text: String,
        line: Option<u64>,
        repaired: bool,
    },
    Skipped(InputError),
}

/// Writes `bytes` to a file and reads it back as paradup does.
fn read_file(bytes: &[u8], format: InputFormat) -> Vec<Event> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input");
    std::fs::write(&path, bytes).unwrap();
    let (inputs, errors) = Inputs::resolve(&[path.display().to_string()]);
    assert!(errors.is_empty());
    let options = ReadOptions {
        format,
        ..ReadOptions::default()
    };
    let mut events = Vec::new();
    let mut repaired = false;
    let _ = inputs.read(&options, &mut |event| {
        match event {
            ReadEvent::Document(doc) => events.push(Event::Document {
                text: doc.text,
                line: doc.location.line,
                repaired: std::mem::take(&mut repaired),
            }),
            ReadEvent::Skipped(error) => {
                assert!(!repaired, "a repair must be followed by its document");
                events.push(Event::Skipped(error));
            }
            ReadEvent::Repaired(_) => {
                assert!(!repaired, "two repairs in a row");
                repaired = true;
            }
            ReadEvent::FileOffsets(_) => {}
            ReadEvent::Columnar(_) => panic!("documents come one by one unless asked"),
        }
        ControlFlow::Continue(())
    });
    assert!(!repaired, "a repair must be followed by its document");
    events
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 1).unwrap()
}

/// Records a JSON Lines reader must see: lines that are not blank (a BOM on the first is not
/// content).
fn jsonl_records(bytes: &[u8]) -> usize {
    bytes
        .split_inclusive(|&b| b == b'\n')
        .enumerate()
        .filter(|(i, line)| {
            let line = if *i == 0 {
                line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
            } else {
                line
            };
            !line.iter().all(u8::is_ascii_whitespace)
        })
        .count()
}

fn count(events: &[Event]) -> (usize, usize) {
    let docs = events
        .iter()
        .filter(|e| matches!(e, Event::Document { .. }))
        .count();
    (docs, events.len() - docs)
}

const FORMATS: [InputFormat; 5] = [
    InputFormat::Auto,
    InputFormat::Text,
    InputFormat::Jsonl,
    InputFormat::JsonArray,
    InputFormat::Wet,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any bytes, plain or compressed, through every reader: no panic, and each reader accounts
    /// for its records.
    #[test]
    fn random_bytes_through_every_reader(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..2048),
            // Bytes that look like the formats, to get past the first checks.
            proptest::collection::vec(
                prop_oneof![
                    Just(b"WARC/1.0\r\n".to_vec()),
                    Just(b"Content-Length: 5\r\n".to_vec()),
                    Just(b"WARC-Type: conversion\r\n".to_vec()),
                    Just(b"\r\n".to_vec()),
                    Just(b"{\"text\": \"a\"}\n".to_vec()),
                    Just(b"{\"text\": 1}\n".to_vec()),
                    Just(b"[{\"text\": \"\\ud800\"},".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..16),
                ],
                0..40,
            ).prop_map(|parts| parts.concat()),
        ],
    ) {
        for wrapped in [bytes.clone(), gzip(&bytes), zstd(&bytes)] {
            for format in FORMATS {
                let events = read_file(&wrapped, format);
                let (docs, skips) = count(&events);
                match format {
                    InputFormat::Text => prop_assert_eq!(docs + skips, 1),
                    InputFormat::Jsonl => prop_assert_eq!(docs + skips, jsonl_records(&bytes)),
                    InputFormat::Wet => {
                        let starts = bytes
                            .split(|&b| b == b'\n')
                            .filter(|l| l.starts_with(b"WARC/"))
                            .count();
                        prop_assert!(docs <= starts);
                        prop_assert!(skips <= bytes.split(|&b| b == b'\n').count());
                    }
                    // One document per row, or one skip for the whole file.
                    InputFormat::Parquet => prop_assert!(docs + skips <= 1),
                    // One document per array element, or one skip for the whole file.
                    InputFormat::JsonArray | InputFormat::Auto => {
                        prop_assert!(docs + skips <= bytes.len().max(1))
                    }
                }
            }
        }
    }

    /// Well-formed WET records of any body: one document per conversion record, its text the
    /// block, its line the record's first line; other records passed over.
    #[test]
    fn wet_records_account(
        records in proptest::collection::vec(
            (0..3u8, proptest::collection::vec(
                prop_oneof![
                    Just(b"WARC/1.0\r\n".to_vec()),
                    Just(b"\n".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
                0..6,
            ).prop_map(|parts| parts.concat())),
            0..12,
        ),
        compress in any::<bool>(),
    ) {
        let mut file = Vec::new();
        let mut expected = Vec::new();
        for (kind, body) in &records {
            let start = file.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            let kind = ["warcinfo", "conversion", "metadata"][*kind as usize];
            file.extend(format!(
                "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: http://h.example/\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            ).as_bytes());
            file.extend(body);
            file.extend(b"\r\n\r\n");
            if kind == "conversion" {
                expected.push(Event::Document {
                    text: String::from_utf8_lossy(body).into_owned(),
                    line: Some(start),
                    repaired: std::str::from_utf8(body).is_err(),
                });
            }
        }
        let bytes = if compress { gzip(&file) } else { file };
        // Content tells the format, unless there is none (an empty file is an empty text).
        let format = if records.is_empty() { InputFormat::Wet } else { InputFormat::Auto };
        prop_assert_eq!(read_file(&bytes, format), expected);
    }

    /// JSON Lines with bad lines among good ones, compressed and possibly cut: every good record
    /// before the cut is a document, every bad one a skip, in order; a cut adds exactly one skip,
    /// the last event, saying the stream was truncated or corrupt.
    #[test]
    fn jsonl_records_account_through_compression_and_cuts(
        lines in proptest::collection::vec(
            prop_oneof![
                any::<String>().prop_map(Ok),
                proptest::collection::vec(any::<u8>(), 0..30).prop_map(Err),
            ],
            0..60,
        ),
        zstd_not_gzip in any::<bool>(),
        cut in proptest::option::of(0.0..1.0f64),
    ) {
        let mut plain = Vec::new();
        let mut expected = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let number = i as u64 + 1;
            match line {
                Ok(text) => {
                    plain.extend(serde_json::to_vec(&serde_json::json!({"text": text})).unwrap());
                    expected.push(Some((text.clone(), number)));
                }
                Err(junk) => {
                    // Never valid JSON, never blank.
                    plain.push(b'x');
                    plain.extend(junk.iter().map(|&b| if b == b'\n' { b' ' } else { b }));
                    expected.push(None);
                }
            }
            plain.push(b'\n');
        }
        let whole = if zstd_not_gzip { zstd(&plain) } else { gzip(&plain) };
        let bytes = match cut {
            Some(share) => {
                let at = 4 + ((whole.len() - 4) as f64 * share) as usize;
                whole[..at.min(whole.len() - 1)].to_vec()
            }
            None => whole,
        };
        let events = read_file(&bytes, InputFormat::Jsonl);
        let mut rest = events.as_slice();
        if cut.is_some() {
            let Some((Event::Skipped(last), before)) = rest.split_last() else {
                return Err(TestCaseError::fail("a cut stream must end with a skip"));
            };
            prop_assert!(
                last.message.starts_with("truncated ") || last.message.starts_with("corrupt "),
                "{}", last.message
            );
            rest = before;
        }
        prop_assert!(rest.len() <= expected.len());
        if cut.is_none() {
            prop_assert_eq!(rest.len(), expected.len());
        }
        for (event, want) in rest.iter().zip(&expected) {
            match (event, want) {
                (Event::Document { text, line, .. }, Some((want_text, number))) => {
                    prop_assert_eq!(text, want_text);
                    prop_assert_eq!(*line, Some(*number));
                }
                (Event::Skipped(error), None) => {
                    prop_assert!(error.message.starts_with("invalid JSON"), "{}", error.message);
                }
                (got, want) => {
                    return Err(TestCaseError::fail(format!("{got:?} where {want:?} was due")));
                }
            }
        }
    }
}
