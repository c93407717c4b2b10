//! Numbers and corpus text as people read them (byte sizes, percentages, counted nouns, text made
//! safe for a terminal) and the one way every output computes a ratio, so that the terminal, the
//! HTML report and the CI gate show the same figure for the same measure.

use std::fmt::Write;

/// A byte count in decimal units: `512 B`, `8.5 KB`, `1.2 GB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A ratio as a percentage with one decimal: `39.1%`.
pub fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// `part / whole`, and 0 for an empty whole.
pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A ratio or similarity rounded to six decimals, as every JSON output writes it: it reads
/// cleanly and compares exactly.
pub fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// `1 document`, `2 documents`: a count with its noun, plural by adding `s`.
pub fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// Whether a character would act on a terminal or reorder what is shown instead of being shown:
/// control characters (C0, DEL, C1: escape sequences start with them) and the bidirectional
/// controls that make text read differently from how it is stored.
fn acts_on_display(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Corpus text (or a file name) made safe to print on a terminal or in a CI annotation: every
/// control character and bidirectional control is shown escaped (`\x1b`, `\u{202e}`) instead of
/// acting, so that a corpus cannot set the window title, clear the screen or hide what it holds.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(acts_on_display) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts_on_display(c) {
            let code = u32::from(c);
            if code < 0x100 {
                let _ = write!(out, "\\x{code:02x}");
            } else {
                let _ = write!(out, "\\u{{{code:04x}}}");
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_percentages_and_ratios_read_as_documented() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(8508), "8.5 KB");
        assert_eq!(human_bytes(1_250_000_000), "1.2 GB");
        assert_eq!(percent(0.390625), "39.1%");
        assert_eq!(ratio(1, 4), 0.25);
        assert_eq!(ratio(3, 0), 0.0);
        assert_eq!(round6(1.0 / 3.0), 0.333333);
    }

    #[test]
    fn counted_nouns_agree_with_their_count() {
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(0, "file"), "0 files");
        assert_eq!(plural(2, "cluster"), "2 clusters");
    }

    #[test]
    fn escape_sequences_are_shown_not_run() {
        assert_eq!(
            terminal_safe("a\x1b]0;title\x07\x1b[2Jb"),
            "a\\x1b]0;title\\x07\\x1b[2Jb"
        );
        assert_eq!(terminal_safe("\u{202E}cod\u{9b}"), "\\u{202e}cod\\x9b");
        assert!(matches!(
            terminal_safe("plain, ünïcode"),
            std::borrow::Cow::Borrowed("plain, ünïcode")
        ));
    }
}
