//! Shingling turns a normalized paragraph into the set that near-duplicate detection compares.
//!
//! Two paragraphs are near copies when their sets of word n-grams overlap heavily (Jaccard
//! similarity). Scripts written without spaces (Chinese, Japanese, Thai, ...) have no words to
//! count, so their paragraphs are shingled by character n-grams instead.

use xxhash_rust::xxh3::xxh3_64;

/// Counts the words of a normalized paragraph, or its characters when it is written in a script
/// without spaces: the unit that `--min-words` and the n-gram length count.
pub fn token_count(normalized: &str) -> usize {
    if normalized.is_empty() {
        0
    } else if is_unspaced_script(normalized) {
        normalized.chars().filter(|c| *c != ' ').count()
    } else {
        // Normalized text separates words by exactly one space.
        normalized.bytes().filter(|&b| b == b' ').count() + 1
    }
}

/// True for a character of a script that does not separate words by spaces.
pub fn is_unspaced_char(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x2FA1F) // CJK extensions B and later
}

/// True when most letters of the text belong to scripts that do not separate words by spaces.
pub fn is_unspaced_script(normalized: &str) -> bool {
    if normalized.is_ascii() {
        return false;
    }
    let mut unspaced = 0usize;
    let mut letters = 0usize;
    for c in normalized.chars() {
        if c != ' ' {
            letters += 1;
            if is_unspaced_char(c) {
                unspaced += 1;
            }
        }
    }
    unspaced * 2 > letters
}

/// The hash of one shingle: the low 32 bits of its xxh3-64. At paragraph sizes (hundreds of
/// shingles) a collision between two different shingles is a one-in-millions event per pair, and
/// 32-bit values halve the memory that the verification sets take.
fn shingle_hash(bytes: &[u8]) -> u32 {
    xxh3_64(bytes) as u32
}

/// Writes the sorted, deduplicated set of shingle hashes of a normalized paragraph into `out`:
/// word `ngram`-grams, or character `char_ngram`-grams for unspaced scripts. A paragraph shorter
/// than one n-gram is a single shingle. `scratch` is working space, reused between calls.
pub fn shingle_set(
    normalized: &str,
    ngram: usize,
    char_ngram: usize,
    scratch: &mut Vec<usize>,
    out: &mut Vec<u32>,
) {
    out.clear();
    scratch.clear();
    if normalized.is_empty() {
        return;
    }
    let bytes = normalized.as_bytes();
    if is_unspaced_script(normalized) {
        // Windows of `char_ngram` characters; `scratch` holds where each character ends.
        let char_ends = scratch;
        char_ends.extend(normalized.char_indices().map(|(i, c)| i + c.len_utf8()));
        let n = char_ngram.max(1);
        if char_ends.len() <= n {
            out.push(shingle_hash(bytes));
        } else {
            let mut start = 0;
            for i in 0..=char_ends.len() - n {
                out.push(shingle_hash(&bytes[start..char_ends[i + n - 1]]));
                start = char_ends[i];
            }
        }
    } else {
        // Words are separated by exactly one space, so a window of n words is one contiguous slice.
        let starts = scratch;
        starts.push(0);
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b' ')
                .map(|(i, _)| i + 1),
        );
        let words = starts.len();
        let n = ngram.max(1);
        if words <= n {
            out.push(shingle_hash(bytes));
        } else {
            for first in 0..=words - n {
                let last = first + n - 1;
                let end = if last + 1 < words {
                    starts[last + 1] - 1
                } else {
                    bytes.len()
                };
                out.push(shingle_hash(&bytes[starts[first]..end]));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
}

/// Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two sorted, deduplicated sets. Two empty sets
/// are identical (1.0).
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    let common = intersection_size(a, b);
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    }
}

/// Whether `jaccard(a, b) >= threshold`, decided as soon as the merge of the two sets settles it:
/// once the shared shingles counted so far pass, or once even sharing every shingle left in the
/// shorter remainder could not. Gives exactly the answer of comparing [`jaccard`]'s value, since
/// that value only grows with the intersection.
pub fn jaccard_at_least(a: &[u32], b: &[u32], threshold: f64) -> bool {
    let total = a.len() + b.len();
    let passes = |common: usize| {
        let union = total - common;
        let similarity = if union == 0 {
            1.0
        } else {
            common as f64 / union as f64
        };
        similarity >= threshold
    };
    // The smallest intersection that passes, by bisection over 0..=min(|A|, |B|).
    let (mut low, mut high) = (0, a.len().min(b.len()) + 1);
    while low < high {
        let middle = (low + high) / 2;
        if passes(middle) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    let needed = low;
    if needed > a.len().min(b.len()) {
        return false;
    }
    let (mut i, mut j, mut common) = (0, 0, 0);
    loop {
        if common >= needed {
            return true;
        }
        if common + (a.len() - i).min(b.len() - j) < needed {
            return false;
        }
        // Branch-free merge step: both indices move on a match.
        let (x, y) = (a[i], b[j]);
        common += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
}

/// Containment |A ∩ B| / min(|A|, |B|): how much of the smaller set lies inside the larger one.
pub fn containment(a: &[u32], b: &[u32]) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return if a.len() == b.len() { 1.0 } else { 0.0 };
    }
    intersection_size(a, b) as f64 / smaller as f64
}

/// Size of the intersection of two sorted, deduplicated sets (a linear merge).
pub fn intersection_size(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        // Branch-free: which side moves is data, not a jump the CPU must guess.
        let (x, y) = (a[i], b[j]);
        common += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    common
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, n: usize) -> Vec<u32> {
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        shingle_set(text, n, 5, &mut scratch, &mut out);
        out
    }

    #[test]
    fn word_trigrams_of_a_sentence() {
        // 6 words give 4 trigrams.
        assert_eq!(set("a b c d e f", 3).len(), 4);
        assert_eq!(set("a b c d e f", 3), set("a b c d e f", 3));
        // Shorter than one n-gram: a single shingle.
        assert_eq!(set("a b", 3).len(), 1);
        assert!(set("", 3).is_empty());
    }

    #[test]
    fn trigram_sets_match_a_direct_computation() {
        let text = "the quick brown fox jumps over the lazy dog";
        let words: Vec<&str> = text.split(' ').collect();
        let mut expected: Vec<u32> = words
            .windows(3)
            .map(|w| xxh3_64(w.join(" ").as_bytes()) as u32)
            .collect();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(set(text, 3), expected);
    }

    #[test]
    fn unspaced_scripts_use_character_ngrams() {
        assert!(is_unspaced_script("日本語の段落です"));
        assert!(!is_unspaced_script("hello 日本"));
        assert_eq!(token_count("日本語の段落です"), 8);
        assert_eq!(token_count("one two three"), 3);
        // 8 characters in 5-grams: 4 shingles.
        assert_eq!(set("日本語の段落です", 3).len(), 4);
    }

    proptest::proptest! {
        #[test]
        fn early_decision_agrees_with_the_full_similarity(
            a in proptest::collection::btree_set(0u32..60, 0..40),
            b in proptest::collection::btree_set(0u32..60, 0..40),
            step in 0usize..=20,
        ) {
            let (a, b): (Vec<u32>, Vec<u32>) = (a.into_iter().collect(), b.into_iter().collect());
            let threshold = step as f64 / 20.0;
            proptest::prop_assert_eq!(
                jaccard_at_least(&a, &b, threshold),
                jaccard(&a, &b) >= threshold
            );
        }
    }

    #[test]
    fn jaccard_and_containment() {
        assert_eq!(jaccard(&[1, 2, 3, 4], &[3, 4, 5, 6]), 2.0 / 6.0);
        assert_eq!(jaccard(&[], &[]), 1.0);
        assert_eq!(jaccard(&[1], &[]), 0.0);
        assert_eq!(containment(&[1, 2], &[1, 2, 3, 4, 5]), 1.0);
        assert_eq!(containment(&[1, 9], &[1, 2, 3]), 0.5);
    }
}
