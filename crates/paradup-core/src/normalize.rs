//! Normalization decides when two paragraphs count as the same text.
//!
//! Scraped copies of one passage differ in Unicode forms, case, quotes, dashes and spacing; none of
//! that is a difference a reader would notice, so none of it may hide a duplicate. Numbers are kept
//! by default: templated paragraphs that differ only in their prices or scores carry different facts.

use serde::{Deserialize, Serialize};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// The choices that normalization makes; every one is written into the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    if text.is_ascii() {
        // ASCII is its own NFKC form: a byte loop gives the same result as the general path.
        normalize_ascii(text.as_bytes(), options, out);
    } else {
        if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
            normalize_chars(text.chars(), options, out);
        } else {
            normalize_chars(text.nfkc(), options, out);
        }
        // Dropping a mark between two combining characters, or lowercasing, can leave them out of
        // canonical order; putting them back in order keeps normalization idempotent.
        if is_nfkc_quick(out.chars()) != IsNormalized::Yes {
            let composed: String = out.nfkc().collect();
            out.clear();
            normalize_chars(composed.chars(), options, out);
        }
    }
}

/// What the ASCII path does with a byte: [`SEPARATES`], [`DROPPED`], or the byte to write.
const SEPARATES: u8 = 0;
const DROPPED: u8 = 1;
const ASCII_ACTIONS: [u8; 256] = ascii_actions(false);
const ASCII_ACTIONS_FOLDING_DIGITS: [u8; 256] = ascii_actions(true);

const fn ascii_actions(fold_digits: bool) -> [u8; 256] {
    let mut actions = [SEPARATES; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        if fold_digits && byte.is_ascii_digit() {
            actions[b] = b'0';
        } else if byte.is_ascii_alphanumeric() {
            actions[b] = byte.to_ascii_lowercase();
        } else if byte == b'\'' || byte == b'`' {
            actions[b] = DROPPED;
        }
        b += 1;
    }
    actions
}

/// The ASCII path, without a branch per byte: every byte's output is written, and the length
/// advances only past what is kept. A space is owed after a separator and paid before the next
/// kept byte, so the output is never longer than the input.
fn normalize_ascii(bytes: &[u8], options: NormalizeOptions, out: &mut String) {
    let actions = if options.fold_digits {
        &ASCII_ACTIONS_FOLDING_DIGITS
    } else {
        &ASCII_ACTIONS
    };
    let mut normalized = std::mem::take(out).into_bytes();
    normalized.clear();
    normalized.resize(bytes.len() + 1, 0);
    let mut len = 0usize;
    let mut pending_separator = false;
    for &b in bytes {
        let action = actions[b as usize];
        let kept = action > DROPPED;
        normalized[len] = b' ';
        len += (kept & pending_separator & (len > 0)) as usize;
        normalized[len] = action;
        len += kept as usize;
        pending_separator = (pending_separator | (action == SEPARATES)) & !kept;
    }
    normalized.truncate(len);
    // Only ASCII bytes were written, so this conversion always succeeds.
    *out = String::from_utf8(normalized)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

fn normalize_chars(chars: impl Iterator<Item = char>, options: NormalizeOptions, out: &mut String) {
    let mut pending_separator = false;
    for composed in chars {
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

    proptest::proptest! {
        #[test]
        fn ascii_fast_path_matches_the_general_path(text in "[ -~\t\n\r]{0,80}", fold in proptest::bool::ANY) {
            let options = NormalizeOptions { fold_digits: fold };
            let mut fast = String::new();
            normalize_into(&text, options, &mut fast);
            let mut general = String::new();
            normalize_chars(text.nfkc(), options, &mut general);
            proptest::prop_assert_eq!(fast, general);
        }

        #[test]
        fn normalizing_twice_changes_nothing(text in "\\PC{0,60}") {
            let once = norm(&text);
            proptest::prop_assert_eq!(norm(&once), once.clone());
            proptest::prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        }
    }

    #[test]
    fn empty_and_symbol_only_text_normalize_to_nothing() {
        assert_eq!(norm(""), "");
        assert_eq!(norm(" *** --- ... "), "");
    }
}
