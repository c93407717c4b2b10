//! paradup finds duplicated and near-duplicated paragraphs in text corpora: repeated inside one
//! document (a body scraped twice) and shared across documents (boilerplate, syndicated copies).
//!
//! The pipeline: [`read`] documents, [`segment`] them into paragraphs with byte spans,
//! [`normalize`] each, collapse identical ones by xxh3 (the exact tier), [`shingle`] and
//! [`minhash`] the rest, find candidate pairs with [`lsh`], verify each by exact Jaccard, join them
//! with [`cluster`], and describe the result as a [`report`]. [`Scanner`] runs it all.
//!
//! ```
//! use paradup::{Document, Location, ScanParams, Scanner};
//!
//! let body = "Speaking in an interview late Monday, the president revisited his proposal from the summit.";
//! let text = format!("{body}\nAn unrelated closing line.\n{body}\n");
//! let mut scanner = Scanner::new(ScanParams::default()).unwrap();
//! scanner.add_batch(vec![Document {
//!     id: "a".into(),
//!     source: None,
//!     location: Location { path: "a.txt".into(), line: None, row: None },
//!     text: text.clone(),
//! }]);
//! let outcome = scanner.finish();
//! assert_eq!(outcome.clusters.len(), 1);
//! let repeat = &outcome.clusters[0].members[1];
//! assert_eq!(&text[repeat.span.start..repeat.span.end], body);
//! ```

#![deny(missing_docs)]

// The command line (`cli`) names the library as `paradup::`, as it did from the binary.
extern crate self as paradup;

pub use paradup_core::{cluster, lsh, minhash, normalize, segment, shingle};

pub mod baseline;
#[doc(hidden)]
#[allow(missing_docs)]
pub mod cli;
pub mod contamination;
pub mod dedup;
pub mod display;
pub mod html;
pub mod limits;
pub mod members;
pub mod output;
pub mod overlap;
pub mod parquet_out;
pub mod read;
pub mod report;
pub mod scan;
pub mod shard_index;
pub mod splice;

pub use lsh::Banding;
pub use normalize::NormalizeOptions;
pub use read::{
    ColumnarDocuments, DocumentHead, FileOffsets, InputError, InputErrorKind, InputFormat, Inputs,
    ReadEvent, ReadOptions,
};
pub use report::Report;
pub use scan::{
    Cluster, ClusterKind, Document, DocumentEntry, Location, Member, ScanOutcome, ScanParams,
    Scanner, Summary,
};
pub use segment::{Span, SplitMode, Unit};
