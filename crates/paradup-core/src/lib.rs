//! The engine of paradup: what turns texts into paragraph fingerprints and fingerprints into
//! clusters, with no files, no printing and no command line, so that the command-line tool, an
//! index of shards, a Python module and a Spark job all compute the same thing.
//!
//! - [`segment`] cuts a text into paragraphs (byte spans), [`normalize`] folds each to a canonical
//!   form, and the xxh3 of that form is the exact tier.
//! - [`shingle`] takes a paragraph's word (or character) n-gram hashes, [`minhash`] its signature,
//!   [`lsh`] its band keys: paragraphs sharing a key are candidate pairs, verified by exact Jaccard
//!   of their shingle sets.
//! - [`set_ends`] holds where each shingle set ends in a table of sets, 4 bytes a set, and
//!   [`rank`] which distinct paragraphs are in the near tier, a bit each.
//! - [`cluster`] joins verified pairs (union-find, and leader clustering for a bucket too large to
//!   verify every pair of).
//! - [`Fingerprinter`] is the one definition of a paragraph's fingerprint, built from the above.
//!
//! ```
//! use paradup_core::{FingerprintParams, Fingerprinter};
//! use paradup_core::shingle::jaccard;
//!
//! let fingerprinter = Fingerprinter::new(FingerprintParams::default());
//! let a = "The committee meets every second Tuesday of the month in the town hall.";
//! let b = "The committee meets every second Thursday of the month in the town hall.";
//! let (a, b) = (fingerprinter.fingerprint(a), fingerprinter.fingerprint(b));
//! let (a, b) = (a[0].near.as_ref().unwrap(), b[0].near.as_ref().unwrap());
//! assert!(jaccard(&a.shingles, &b.shingles) > 0.5);
//! ```

#![deny(missing_docs)]

pub mod cluster;
pub mod exact;
pub mod fingerprint;
pub mod lsh;
pub mod minhash;
pub mod normalize;
pub mod rank;
pub mod segment;
pub mod set_ends;
pub mod shingle;
pub mod spill;

pub use fingerprint::{
    exact_hash, FingerprintParams, Fingerprinter, NearPrint, NormalizedDocument,
    NormalizedParagraph, ParagraphPrint, Scratch,
};
pub use lsh::Banding;
pub use normalize::NormalizeOptions;
pub use segment::{Span, SplitMode, Unit};
