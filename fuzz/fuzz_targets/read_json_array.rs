//! Any bytes through the JSON array reader (compression still recognized by content).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use paradup::InputFormat;

fuzz_target!(|data: &[u8]| common::read_all(data, InputFormat::JsonArray));
