//! Normalization decides when two paragraphs count as the same text.
//!
//! Scraped copies of one passage differ in Unicode forms, case, quotes, dashes and spacing; none of
//! that is a difference a reader would notice, so none of it may hide a duplicate. Numbers are kept
//! by default: templated paragraphs that differ only in their prices or scores carry different facts.

use serde::Serialize;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The choices that normalization makes; every one is written into the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NormalizeOptions {
    /// Replace every digit with `0`, so that paragraphs differing only in numbers compare equal.
    pub fold_digits: bool,
}

/// Apostrophes join the parts of one word ("don't" becomes "dont"); every other mark separates words.
fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`')
}

/// Writes the normalized form of `text` into `out` (cleared first): Unicode NFKC, lowercase,
/// punctuation and symbols removed, runs of whitespace collapsed to one space, no space at the ends.
/// The words of the result are exactly its space-separated pieces.
pub fn normalize_into(text: &str, options: NormalizeOptions, out: &mut String) {
    out.clear();
    let mut pending_separator = false;
    for composed in text.nfkc() {
        for c in composed.to_lowercase() {
            if c.is_alphanumeric() || (is_combining_mark(c) && !out.is_empty()) {
                if pending_separator && !out.is_empty() {
                    out.push(' ');
                }
                pending_separator = false;
                if options.fold_digits && c.is_numeric() {
                    out.push('0');
                } else {
                    out.push(c);
                }
            } else if !is_apostrophe(c) && !is_combining_mark(c) {
                pending_separator = true;
            }
        }
    }
}

/// Returns the normalized form of `text`; see [`normalize_into`].
pub fn normalize(text: &str, options: NormalizeOptions) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, options, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(text: &str) -> String {
        normalize(text, NormalizeOptions::default())
    }

    #[test]
    fn folds_case_punctuation_and_space() {
        assert_eq!(
            norm("  Hello,   WORLD!\n\tIt's “quoted” — fine…  "),
            "hello world its quoted fine"
        );
    }

    #[test]
    fn applies_nfkc() {
        // Full-width letters, ligatures and non-breaking spaces fold to their plain forms.
        assert_eq!(norm("ＡＢＣ\u{00A0}ﬁne"), "abc fine");
        // A decomposed accent and a precomposed one give the same text.
        assert_eq!(norm("cafe\u{0301}"), norm("café"));
    }

    #[test]
    fn keeps_digits_unless_folding() {
        assert_eq!(norm("Price: $1,299.00"), "price 1 299 00");
        let folded = normalize("Price: $1,299.00", NormalizeOptions { fold_digits: true });
        assert_eq!(folded, "price 0 000 00");
        assert_ne!(norm("won 3-1"), norm("won 2-0"));
    }

    #[test]
    fn keeps_combining_marks_of_other_scripts() {
        // Devanagari vowel signs are combining marks; dropping them would merge different words.
        assert_ne!(norm("कमल"), norm("कमला"));
        assert_eq!(norm("नमस्ते दुनिया!"), "नमस्ते दुनिया");
    }

    #[test]
    fn empty_and_symbol_only_text_normalize_to_nothing() {
        assert_eq!(norm(""), "");
        assert_eq!(norm(" *** --- ... "), "");
    }
}
