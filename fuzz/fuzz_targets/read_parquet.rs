//! Any bytes through the Parquet reader: footers, page headers and pages that lie about their
//! sizes must end in a skipped file, never a panic. No source column is asked for, so that a
//! file whose footer reads goes on to its pages.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use paradup::{InputFormat, ReadOptions};

fuzz_target!(|data: &[u8]| common::read_all_with(
    data,
    &ReadOptions {
        format: InputFormat::Parquet,
        ..ReadOptions::default()
    }
));
