//! Synthetic corpora with known duplicates, and the evaluation of a scan against them.
//!
//! Kept out of paradup's library: it is what paradup's tests, examples and benchmarks measure the
//! tool with, not something a user of the tool calls. [`synth`] generates news-like articles with
//! planted copies, near copies and boilerplate, and dense families of templated near copies;
//! [`evaluate`] computes the true Jaccard of every pair of paragraphs and scores a scan's clusters
//! against it (recall and precision by similarity band).

#![deny(missing_docs)]

pub mod evaluate;
pub mod synth;
