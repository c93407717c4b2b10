//! Any bytes as a saved n-gram index: loading refuses what is not one and never panics; an index
//! that loads can be queried.
#![no_main]

use libfuzzer_sys::fuzz_target;
use paradup::overlap::{OverlapScratch, ReferenceIndex};

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = ReferenceIndex::load(&mut &data[..], data.len() as u64) {
        let _ = index.measure(
            "a query of a few words that may or may not match the index",
            &mut OverlapScratch::default(),
        );
    }
});
