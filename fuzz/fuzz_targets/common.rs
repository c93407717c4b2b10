//! What every reader target checks: reading any bytes ends without a panic, every repair is
//! followed by its document, and every document names the stream it came from.

use paradup::read::read_stream;
use paradup::{InputFormat, ReadEvent, ReadOptions};
use std::ops::ControlFlow;

#[allow(dead_code)]
pub fn read_all(data: &[u8], format: InputFormat) {
    read_all_with(
        data,
        &ReadOptions {
            format,
            source_field: Some("meta.source".into()),
            ..ReadOptions::default()
        },
    )
}

pub fn read_all_with(data: &[u8], options: &ReadOptions) {
    let mut repaired = false;
    let _ = read_stream("fuzz", data, options, &mut |event| {
        match event {
            ReadEvent::Document(doc) => {
                assert_eq!(doc.location.path, "fuzz");
                repaired = false;
            }
            ReadEvent::Skipped(error) => {
                assert!(!repaired, "a repair must be followed by its document");
                assert_eq!(error.path, "fuzz");
            }
            ReadEvent::Repaired(_) => {
                assert!(!repaired, "two repairs in a row");
                repaired = true;
            }
            // Comes between a repair and its document; it is about that document.
            ReadEvent::FileOffsets(_) => {}
            ReadEvent::Columnar(_) => panic!("documents come one by one unless asked"),
        }
        ControlFlow::Continue(())
    });
    assert!(!repaired, "a repair must be followed by its document");
}
