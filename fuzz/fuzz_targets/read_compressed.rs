//! Any bytes after a gzip or zstd magic number (the first input byte chooses which), through
//! the decoders and then format detection: corrupt and truncated streams in every shape.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use paradup::InputFormat;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let magic: &[u8] = if choice & 1 == 0 {
        &[0x1f, 0x8b, 0x08]
    } else {
        &[0x28, 0xb5, 0x2f, 0xfd]
    };
    common::read_all(&[magic, rest].concat(), InputFormat::Auto);
});
