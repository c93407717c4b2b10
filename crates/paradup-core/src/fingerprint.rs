//! One paragraph's fingerprint, computed one way for every caller.
//!
//! A scan, an index of shards, a Python call and a Spark task must agree on what a paragraph's
//! fingerprint is, bit for bit, or their results cannot be joined. [`Fingerprinter`] is that one
//! definition: segment a text into paragraphs, normalize each, hash it (the exact tier), and, for a
//! paragraph of enough words, take its shingle set, MinHash signature and LSH band keys (the near
//! tier).

use crate::lsh::{band_keys_into, Banding};
use crate::minhash::MinHasher;
use crate::normalize::{normalize_into, NormalizeOptions};
use crate::segment::{segment_units, Span, SplitMode, Unit};
use crate::shingle::{jaccard, shingle_set, token_count};
use std::ops::Range;
use xxhash_rust::xxh3::xxh3_64;

/// The exact-tier hash of a normalized paragraph: xxh3-64 of its bytes.
pub fn exact_hash(normalized: &str) -> u64 {
    xxh3_64(normalized.as_bytes())
}

/// Every parameter that changes a fingerprint.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FingerprintParams {
    /// How documents are cut into paragraphs.
    pub split: SplitMode,
    /// Whether paragraphs or whole documents are compared.
    pub unit: Unit,
    /// How paragraphs are normalized before hashing.
    pub normalize: NormalizeOptions,
    /// Words per shingle.
    pub ngram: usize,
    /// Characters per shingle for scripts written without spaces.
    pub char_ngram: usize,
    /// Paragraphs with fewer words than this take part in the exact tier only.
    pub min_words: usize,
    /// MinHash hash functions per signature.
    pub num_perm: usize,
    /// LSH bands and rows.
    pub banding: Banding,
    /// Seed of the MinHash functions.
    pub seed: u64,
}

impl Default for FingerprintParams {
    fn default() -> Self {
        FingerprintParams {
            split: SplitMode::Auto,
            unit: Unit::Paragraph,
            normalize: NormalizeOptions::default(),
            ngram: 3,
            char_ngram: 5,
            min_words: 10,
            num_perm: 128,
            banding: Banding::choose(0.8, 128),
            seed: 0x0070_6172_6164_7570,
        }
    }
}

/// A paragraph of a document, normalized: where it lies, its exact-tier hash and its words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NormalizedParagraph {
    /// Byte range in the document's text.
    pub span: Span,
    /// xxh3-64 of the normalized text: equal for exact duplicates.
    pub exact: u64,
    /// Words (or characters, in scripts written without spaces) after normalization.
    pub words: usize,
    /// Where the normalized text lies in [`NormalizedDocument::normalized`].
    pub normalized: Range<usize>,
}

/// The paragraphs of a document, normalized, their texts end to end in one buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NormalizedDocument {
    /// The paragraphs in order.
    pub paragraphs: Vec<NormalizedParagraph>,
    /// Every normalized paragraph, end to end: one allocation a document, not one a paragraph.
    pub normalized: String,
}

impl NormalizedDocument {
    /// The normalized text of paragraph `index`.
    pub fn text(&self, index: usize) -> &str {
        &self.normalized[self.paragraphs[index].normalized.clone()]
    }
}

/// The near-tier part of a paragraph's fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NearPrint {
    /// The sorted, distinct 32-bit hashes of its shingles: exact Jaccard is computed on them.
    pub shingles: Vec<u32>,
    /// One LSH key a band: paragraphs sharing a key are candidate pairs.
    pub band_keys: Vec<u64>,
}

/// One paragraph's whole fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParagraphPrint {
    /// Byte range in the document's text.
    pub span: Span,
    /// xxh3-64 of the normalized text.
    pub exact: u64,
    /// Words after normalization.
    pub words: usize,
    /// Shingles and band keys, for a paragraph of at least `min_words` words.
    pub near: Option<NearPrint>,
}

/// Buffers reused from one paragraph to the next (one a thread).
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    positions: Vec<usize>,
    shingles: Vec<u32>,
    signature: Vec<u32>,
}

/// Computes fingerprints with fixed parameters.
///
/// ```
/// use paradup_core::{FingerprintParams, Fingerprinter};
///
/// let fingerprinter = Fingerprinter::new(FingerprintParams::default());
/// let body = "Speaking in an interview late Monday, the president revisited his proposal.";
/// let prints = fingerprinter.fingerprint(&format!("{body}\n\nA short line.\n\n{body}\n"));
/// assert_eq!(prints.len(), 3);
/// assert_eq!(prints[0].exact, prints[2].exact);
/// assert!(prints[0].near.is_some(), "eleven words: in the near tier");
/// assert!(prints[1].near.is_none(), "three words: exact tier only");
/// ```
#[derive(Clone, Debug)]
pub struct Fingerprinter {
    params: FingerprintParams,
    hasher: MinHasher,
}

impl Fingerprinter {
    /// A fingerprinter for `params`, which the caller has checked (bands x rows at most
    /// `num_perm`, `ngram` and `char_ngram` at least 1).
    pub fn new(params: FingerprintParams) -> Self {
        // Only the functions that LSH's bands read (with `bands x rows` below `num_perm`, the rest
        // of a signature would be computed for nothing), rounded up to whole vector groups of
        // eight when `num_perm` allows: a function computed in a vector lane costs less than one
        // left over for the scalar loop. The first functions are the same whatever their number.
        let functions = params
            .banding
            .hashes()
            .next_multiple_of(8)
            .min(params.num_perm);
        Fingerprinter {
            hasher: MinHasher::new(functions, params.seed),
            params,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &FingerprintParams {
        &self.params
    }

    /// Segments `text` and normalizes each paragraph: the exact tier of its fingerprints.
    pub fn normalize_document(&self, text: &str) -> NormalizedDocument {
        let mut normalized = String::with_capacity(text.len());
        let mut scratch = String::new();
        let paragraphs = segment_units(text, self.params.split, self.params.unit)
            .into_iter()
            .map(|span| {
                normalize_into(
                    &text[span.start..span.end],
                    self.params.normalize,
                    &mut scratch,
                );
                let start = normalized.len();
                normalized.push_str(&scratch);
                NormalizedParagraph {
                    span,
                    exact: exact_hash(&scratch),
                    words: token_count(&scratch),
                    normalized: start..normalized.len(),
                }
            })
            .collect();
        NormalizedDocument {
            paragraphs,
            normalized,
        }
    }

    /// True when a paragraph of `words` words takes part in the near tier.
    pub fn is_near(&self, words: usize) -> bool {
        words > 0 && words >= self.params.min_words
    }

    /// The shingle set of the normalized paragraph `normalized`, left in `scratch` and returned,
    /// with its band keys written to `band_keys` (one a band).
    pub fn near_print_into<'s>(
        &self,
        normalized: &str,
        scratch: &'s mut Scratch,
        band_keys: &mut [u64],
    ) -> &'s [u32] {
        let Scratch {
            positions,
            shingles,
            signature,
        } = scratch;
        shingle_set(
            normalized,
            self.params.ngram,
            self.params.char_ngram,
            positions,
            shingles,
        );
        signature.resize(self.hasher.num_perm(), 0);
        self.hasher.signature_into(shingles, signature);
        band_keys_into(signature, self.params.banding, band_keys);
        shingles
    }

    /// The shingle set of one paragraph given as it stands (normalized here, not segmented).
    pub fn paragraph_shingles(&self, paragraph: &str) -> Vec<u32> {
        let mut normalized = String::new();
        normalize_into(paragraph, self.params.normalize, &mut normalized);
        let (mut positions, mut shingles) = (Vec::new(), Vec::new());
        shingle_set(
            &normalized,
            self.params.ngram,
            self.params.char_ngram,
            &mut positions,
            &mut shingles,
        );
        shingles
    }

    /// The exact Jaccard similarity of two paragraphs' shingle sets: how a scan verifies a
    /// candidate pair.
    pub fn similarity(&self, a: &str, b: &str) -> f64 {
        jaccard(&self.paragraph_shingles(a), &self.paragraph_shingles(b))
    }

    /// The band keys of a paragraph whose shingle set is `shingles` (as
    /// [`Fingerprinter::near_print_into`] made it), written to `band_keys` (one a band): how a
    /// stored shingle set (a shard index keeps them, not the keys) is bucketed again.
    pub fn band_keys_of(&self, shingles: &[u32], scratch: &mut Scratch, band_keys: &mut [u64]) {
        let signature = &mut scratch.signature;
        signature.resize(self.hasher.num_perm(), 0);
        self.hasher.signature_into(shingles, signature);
        band_keys_into(signature, self.params.banding, band_keys);
    }

    /// Every paragraph's fingerprint, in order.
    pub fn fingerprint(&self, text: &str) -> Vec<ParagraphPrint> {
        let document = self.normalize_document(text);
        let mut scratch = Scratch::default();
        document
            .paragraphs
            .iter()
            .enumerate()
            .map(|(index, paragraph)| ParagraphPrint {
                span: paragraph.span,
                exact: paragraph.exact,
                words: paragraph.words,
                near: self.is_near(paragraph.words).then(|| {
                    let mut band_keys = vec![0u64; self.params.banding.bands];
                    let shingles = self
                        .near_print_into(document.text(index), &mut scratch, &mut band_keys)
                        .to_vec();
                    NearPrint {
                        shingles,
                        band_keys,
                    }
                }),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "The committee meets every second Tuesday of the month in the town hall \
                        and welcomes every resident who wishes to speak.";

    #[test]
    fn exact_copies_share_every_part_of_their_print() {
        let fingerprinter = Fingerprinter::new(FingerprintParams::default());
        let prints = fingerprinter.fingerprint(&format!("{BODY}\n\n{}\n", BODY.to_uppercase()));
        assert_eq!(prints.len(), 2);
        assert_eq!(prints[0].exact, prints[1].exact, "normalization folds case");
        assert_eq!(prints[0].near, prints[1].near);
        let near = prints[0].near.as_ref().expect("near tier");
        assert_eq!(
            near.band_keys.len(),
            FingerprintParams::default().banding.bands
        );
        assert!(near.shingles.windows(2).all(|pair| pair[0] < pair[1]));
    }

    /// The near-tier print of a one-paragraph text.
    fn near_print(fingerprinter: &Fingerprinter, text: &str) -> NearPrint {
        fingerprinter
            .fingerprint(text)
            .remove(0)
            .near
            .expect("near")
    }

    #[test]
    fn a_near_copy_shares_band_keys_and_its_shingles_measure_jaccard() {
        let fingerprinter = Fingerprinter::new(FingerprintParams::default());
        let changed = BODY.replace("Tuesday", "Thursday");
        let (a, b) = (
            near_print(&fingerprinter, BODY),
            near_print(&fingerprinter, &changed),
        );
        let similarity = jaccard(&a.shingles, &b.shingles);
        assert!(similarity > 0.7 && similarity < 1.0, "{similarity}");
        assert_ne!(a.band_keys, b.band_keys);
    }

    #[test]
    fn similarity_of_two_paragraphs_is_the_jaccard_of_their_prints() {
        let fingerprinter = Fingerprinter::new(FingerprintParams::default());
        let changed = BODY.replace("Tuesday", "Thursday");
        let (a, b) = (
            near_print(&fingerprinter, BODY),
            near_print(&fingerprinter, &changed),
        );
        let expected = jaccard(&a.shingles, &b.shingles);
        assert_eq!(fingerprinter.similarity(BODY, &changed), expected);
        assert_eq!(fingerprinter.similarity(BODY, &BODY.to_uppercase()), 1.0);
        assert_eq!(fingerprinter.paragraph_shingles(BODY), a.shingles);
    }

    #[test]
    fn short_and_empty_paragraphs_stay_in_the_exact_tier() {
        let params = FingerprintParams {
            min_words: 5,
            ..FingerprintParams::default()
        };
        let fingerprinter = Fingerprinter::new(params);
        let prints = fingerprinter.fingerprint("one two three\n\n!!!\n\none two three four five\n");
        let words: Vec<usize> = prints.iter().map(|p| p.words).collect();
        assert_eq!(words, [3, 0, 5]);
        let near: Vec<bool> = prints.iter().map(|p| p.near.is_some()).collect();
        assert_eq!(near, [false, false, true]);
    }

    #[test]
    fn the_seed_changes_band_keys_but_not_shingles() {
        let one = Fingerprinter::new(FingerprintParams::default());
        let other = Fingerprinter::new(FingerprintParams {
            seed: 7,
            ..FingerprintParams::default()
        });
        let (a, b) = (one.fingerprint(BODY), other.fingerprint(BODY));
        let (a, b) = (a[0].near.as_ref().unwrap(), b[0].near.as_ref().unwrap());
        assert_eq!(a.shingles, b.shingles);
        assert_ne!(a.band_keys, b.band_keys);
    }
}
