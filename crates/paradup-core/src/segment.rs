//! Segmentation cuts a document into paragraphs and remembers where each one sits.
//!
//! Every later stage, and every report, speaks of a paragraph by its byte span in the document's own
//! text, so that `&text[span.start..span.end]` is exactly the paragraph: trimmed of surrounding
//! whitespace, line endings (LF or CRLF) excluded.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How a document is cut into paragraphs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitMode {
    /// Blank-line paragraphs where the document has them, otherwise one paragraph a line;
    /// hard-wrapped text (short lines of similar length) is joined back into its paragraphs.
    Auto,
    /// Paragraphs are separated by blank lines; the lines of one paragraph stay together.
    Blank,
    /// Every non-blank line is a paragraph.
    Line,
    /// Windows of this many sentences, for text without paragraph breaks (flattened articles).
    /// Windows start afresh at every line; the last window of a line may be shorter.
    Sentences(usize),
}

impl fmt::Display for SplitMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitMode::Auto => f.write_str("auto"),
            SplitMode::Blank => f.write_str("blank"),
            SplitMode::Line => f.write_str("line"),
            SplitMode::Sentences(n) => write!(f, "sentences:{n}"),
        }
    }
}

impl FromStr for SplitMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(SplitMode::Auto),
            "blank" => Ok(SplitMode::Blank),
            "line" => Ok(SplitMode::Line),
            other => match other.strip_prefix("sentences:").map(str::parse::<usize>) {
                Some(Ok(n)) if n >= 1 => Ok(SplitMode::Sentences(n)),
                Some(_) => Err(format!(
                    "bad split mode '{other}': sentences:N needs a whole number N of at least 1"
                )),
                None => Err(format!(
                    "unknown split mode '{other}' (expected auto, blank, line or sentences:N)"
                )),
            },
        }
    }
}

impl Serialize for SplitMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What one unit of comparison is: a paragraph (as cut by [`SplitMode`]) or a whole document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    /// Paragraphs, sentence windows or lines, as the split mode cuts them.
    #[default]
    Paragraph,
    /// Each document is one unit: near-duplicate articles rather than passages.
    Document,
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Paragraph => "paragraph",
            Unit::Document => "document",
        })
    }
}

impl FromStr for Unit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "paragraph" => Ok(Unit::Paragraph),
            "document" => Ok(Unit::Document),
            other => Err(format!(
                "unknown unit '{other}' (expected paragraph or document)"
            )),
        }
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The units of `text`: its paragraphs under `mode`, or for [`Unit::Document`] the whole text
/// with surrounding whitespace trimmed (none when it is blank).
pub fn segment_units(text: &str, mode: SplitMode, unit: Unit) -> Vec<Span> {
    match unit {
        Unit::Paragraph => segment(text, mode),
        Unit::Document => {
            let start = text.len() - text.trim_start().len();
            let end = text.trim_end().len();
            if start < end {
                vec![Span { start, end }]
            } else {
                Vec::new()
            }
        }
    }
}

/// A byte range of a document's text: `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One line of the document, trimmed.
#[derive(Clone, Copy, Debug)]
struct Line {
    span: Span,
    /// Characters of the trimmed line.
    chars: usize,
    /// The raw line starts with whitespace.
    indented: bool,
    /// The trimmed line is empty.
    blank: bool,
    /// The trimmed line starts with a lowercase letter (continues a sentence).
    starts_lowercase: bool,
}

fn lines_of(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let raw_start = offset;
        offset += raw.len();
        let content = raw.strip_suffix('\n').unwrap_or(raw);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let after_leading = content.trim_start();
        let leading = content.len() - after_leading.len();
        let trimmed = after_leading.trim_end();
        let start = raw_start + leading;
        lines.push(Line {
            span: Span {
                start,
                end: start + trimmed.len(),
            },
            chars: trimmed.chars().count(),
            indented: leading > 0,
            blank: trimmed.is_empty(),
            starts_lowercase: trimmed.chars().next().is_some_and(char::is_lowercase),
        });
    }
    lines
}

/// Splits `text` into paragraph spans, in document order. Empty and whitespace-only documents have
/// no paragraphs.
pub fn segment(text: &str, mode: SplitMode) -> Vec<Span> {
    let lines = lines_of(text);
    let blocks = blocks_of(&lines);
    let mut spans = Vec::new();
    match mode {
        SplitMode::Line => spans.extend(lines.iter().filter(|l| !l.blank).map(|l| l.span)),
        SplitMode::Blank => spans.extend(blocks.iter().map(|block| block_span(block))),
        SplitMode::Sentences(n) => {
            for line in lines.iter().filter(|l| !l.blank) {
                sentence_windows(text, line.span, n.max(1), &mut spans);
            }
        }
        SplitMode::Auto => {
            if blocks.len() > 1 {
                for block in &blocks {
                    if block.len() == 1 || looks_hard_wrapped(text, block) {
                        spans.push(block_span(block));
                    } else {
                        spans.extend(block.iter().map(|l| l.span));
                    }
                }
            } else if let Some(only) = blocks.first() {
                if looks_hard_wrapped(text, only) {
                    split_wrapped(only, &mut spans);
                } else {
                    spans.extend(only.iter().map(|l| l.span));
                }
            }
        }
    }
    spans
}

/// Runs of non-blank lines.
fn blocks_of(lines: &[Line]) -> Vec<&[Line]> {
    lines
        .split(|line| line.blank)
        .filter(|block| !block.is_empty())
        .collect()
}

fn block_span(block: &[Line]) -> Span {
    Span {
        start: block[0].span.start,
        end: block[block.len() - 1].span.end,
    }
}

/// The longest line a hard-wrapped text may have; typical wrap widths are 60 to 80 columns.
const MAX_WRAP_WIDTH: usize = 100;
/// The shortest wrap width taken for hard wrapping (below it, the lines are a list, not prose).
const MIN_WRAP_WIDTH: usize = 30;
/// A line shorter than this share of the wrap width ends its paragraph.
const SHORT_LINE_SHARE: f64 = 0.55;
/// A wrapped line and the next line's first word run past this share of the wrap width.
const FIT_SHARE: f64 = 0.9;

/// Hard-wrapped prose: several lines, none longer than a wrap width, most of them nearly that long,
/// broken where the next word would not have fitted, and sentences that run on from one line to
/// the next (or paragraphs marked by indentation). Lists, tables, quoted e-mail, signatures and
/// blocks that repeat a line are not prose and stay line by line: joining them would hide their
/// repeats.
fn looks_hard_wrapped(text: &str, lines: &[Line]) -> bool {
    if lines.len() < 2 {
        return false;
    }
    let width = lines.iter().map(|l| l.chars).max().unwrap_or(0);
    if !(MIN_WRAP_WIDTH..=MAX_WRAP_WIDTH).contains(&width) {
        return false;
    }
    let line_text = |line: &Line| &text[line.span.start..line.span.end];
    if lines.iter().any(|l| is_marked_line(line_text(l))) {
        return false;
    }
    let mut seen: Vec<&str> = lines.iter().map(line_text).collect();
    seen.sort_unstable();
    if seen.windows(2).any(|pair| pair[0] == pair[1]) {
        return false;
    }
    let long_enough = |l: &Line| l.chars as f64 >= SHORT_LINE_SHARE * width as f64;
    let body = &lines[..lines.len() - 1];
    let long = body.iter().filter(|l| long_enough(l)).count();
    // A wrapped line ends where the next word would have run past the width (nearly: wrappers
    // that balance line lengths, as `fmt` does, break a little early); a list's lines end
    // wherever their items do. Breaks before a new paragraph (a short line, or an indented
    // one) say nothing either way.
    let (mut breaks, mut forced) = (0, 0);
    for pair in lines.windows(2) {
        if !long_enough(&pair[0]) || (pair[1].indented && !pair[0].indented) {
            continue;
        }
        breaks += 1;
        let next_word = line_text(&pair[1])
            .split_whitespace()
            .next()
            .map_or(0, |w| w.chars().count());
        if (pair[0].chars + 1 + next_word) as f64 > FIT_SHARE * width as f64 {
            forced += 1;
        }
    }
    let continued = lines[1..].iter().filter(|l| l.starts_lowercase).count();
    let indented = lines.iter().filter(|l| l.indented).count();
    let marks_by_indent = indented > 0 && indented < lines.len();
    long * 10 >= body.len() * 7
        && forced * 4 >= breaks * 3
        && (continued * 4 >= lines.len() - 1 || marks_by_indent)
}

/// A line that starts a list item, a table row, a quoted e-mail line or a signature: `>`, `|`,
/// `-`, `*`, `+`, `•` or `#` followed by a space or the end, a number or letter with `.` or `)`
/// before a space (`1.`, `2)`, `a)`), or the signature delimiter `--`. A line with a tab or
/// a run of three spaces inside is a row of aligned columns.
fn is_marked_line(line: &str) -> bool {
    if line.starts_with('>') || line.starts_with('|') || line.starts_with("--") {
        return true;
    }
    if line.contains('\t') || line.contains("   ") {
        return true;
    }
    let mut chars = line.chars();
    let first = chars.next();
    let second = chars.next();
    if matches!(first, Some('-' | '*' | '+' | '\u{2022}' | '#'))
        && second.is_none_or(char::is_whitespace)
    {
        return true;
    }
    // `1.`, `12)`, `a)`: up to three digits, or one letter, then `.` or `)` and a space.
    let marker_end = line
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_digit())
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[marker_end..];
    let numbered =
        (1..=3).contains(&marker_end) && (rest.starts_with(". ") || rest.starts_with(") "));
    let lettered =
        line.len() > 3 && line.as_bytes()[0].is_ascii_lowercase() && line[1..].starts_with(") ");
    numbered || lettered
}

/// Joins hard-wrapped lines into paragraphs: a paragraph ends at a short line, and a new one starts
/// at an indented line.
fn split_wrapped(lines: &[Line], spans: &mut Vec<Span>) {
    let width = lines.iter().map(|l| l.chars).max().unwrap_or(0) as f64;
    let all_indented = lines.iter().all(|l| l.indented);
    let mut start: Option<usize> = None;
    let mut end = 0;
    for line in lines {
        if line.indented && !all_indented {
            if let Some(s) = start.take() {
                spans.push(Span { start: s, end });
            }
        }
        start.get_or_insert(line.span.start);
        end = line.span.end;
        if (line.chars as f64) < SHORT_LINE_SHARE * width {
            if let Some(s) = start.take() {
                spans.push(Span { start: s, end });
            }
        }
    }
    if let Some(s) = start {
        spans.push(Span { start: s, end });
    }
}

/// Words that end in a period without ending a sentence (compared without the period, ignoring
/// case). Single letters (initials) and words with an inner period (`U.S`, `e.g`, `a.m`) are
/// abbreviations too.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "gov", "sen", "rep", "rev", "lt",
    "col", "capt", "sgt", "mt", "ft", "inc", "ltd", "co", "corp", "vs", "etc", "no", "nos", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "dept",
    "est", "fig", "vol", "pp", "ave", "blvd", "univ", "assn",
];

fn is_abbreviation(word: &str) -> bool {
    let word = word.trim_start_matches(|c: char| !c.is_alphanumeric());
    if word.is_empty() {
        return false;
    }
    let mut chars = word.chars();
    let single = chars.next().is_some_and(char::is_alphabetic) && chars.next().is_none();
    single
        || word.contains('.')
        || ABBREVIATIONS
            .iter()
            .any(|abbreviation| abbreviation.eq_ignore_ascii_case(word))
}

/// Marks that may close a sentence after its final stop: quotes and brackets.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '\u{201D}' | '\u{2019}' | '\u{BB}'
    )
}

/// Characters that may open a sentence: capitals, digits, quotes and brackets.
fn opens_sentence(c: char) -> bool {
    c.is_uppercase()
        || c.is_numeric()
        || matches!(
            c,
            '"' | '\'' | '(' | '[' | '\u{201C}' | '\u{2018}' | '\u{AB}'
        )
}

/// The sentences of one trimmed line, as spans into `text`: a sentence ends at `.`, `!` or `?`
/// (with any closing quotes or brackets) followed by whitespace and a capital, digit or opening
/// quote, unless the period ends an abbreviation.
pub fn sentences(text: &str, line: Span) -> Vec<Span> {
    let slice = &text[line.start..line.end];
    let mut spans = Vec::new();
    let mut start = 0;
    let mut chars = slice.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, next)) = chars.peek() {
            if matches!(next, '.' | '!' | '?') || is_closing(next) {
                end = j + next.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        let rest = &slice[end..];
        let after_space = rest.trim_start();
        if after_space.len() == rest.len()
            || !after_space.chars().next().is_some_and(opens_sentence)
        {
            continue;
        }
        if c == '.' {
            let word_start = slice[..i].rfind(char::is_whitespace).map_or(0, |w| w + 1);
            if is_abbreviation(&slice[word_start..i]) {
                continue;
            }
        }
        spans.push(Span {
            start: line.start + start,
            end: line.start + end,
        });
        start = slice.len() - after_space.len();
    }
    if start < slice.len() {
        spans.push(Span {
            start: line.start + start,
            end: line.end,
        });
    }
    spans
}

/// Windows of `n` consecutive sentences of one line.
fn sentence_windows(text: &str, line: Span, n: usize, spans: &mut Vec<Span>) {
    for window in sentences(text, line).chunks(n) {
        spans.push(Span {
            start: window[0].start,
            end: window[window.len() - 1].end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, mode: SplitMode) -> Vec<&str> {
        segment(text, mode)
            .into_iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn one_paragraph_a_line_without_blank_lines() {
        let text = "First line here.\nSecond line here.\n  Third, indented.  \n";
        assert_eq!(
            texts(text, SplitMode::Auto),
            ["First line here.", "Second line here.", "Third, indented."]
        );
    }

    #[test]
    fn crlf_is_excluded_from_spans() {
        let text = "alpha beta\r\ngamma delta\r\n\r\n";
        let spans = segment(text, SplitMode::Line);
        assert_eq!(
            spans,
            [Span { start: 0, end: 10 }, Span { start: 12, end: 23 }]
        );
        assert_eq!(texts(text, SplitMode::Auto), ["alpha beta", "gamma delta"]);
    }

    #[test]
    fn trailing_text_without_newline_is_kept() {
        let text = "one\ntwo without newline";
        assert_eq!(texts(text, SplitMode::Auto), ["one", "two without newline"]);
    }

    #[test]
    fn empty_documents_have_no_paragraphs() {
        for mode in [SplitMode::Auto, SplitMode::Blank, SplitMode::Line] {
            assert!(segment("", mode).is_empty());
            assert!(segment(" \n\r\n\t\n", mode).is_empty());
        }
    }

    #[test]
    fn multibyte_characters_keep_char_boundaries() {
        let text = "  Türkiye — “no such thing” …\n日本語の段落です。\n";
        let spans = segment(text, SplitMode::Auto);
        assert_eq!(spans.len(), 2);
        for span in &spans {
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
        assert_eq!(
            texts(text, SplitMode::Auto),
            ["Türkiye — “no such thing” …", "日本語の段落です。"]
        );
    }

    #[test]
    fn blank_mode_keeps_lines_of_a_paragraph_together() {
        let text = "a b\nc d\n\n\ne f\n";
        assert_eq!(texts(text, SplitMode::Blank), ["a b\nc d", "e f"]);
        assert_eq!(texts(text, SplitMode::Line), ["a b", "c d", "e f"]);
    }

    #[test]
    fn auto_splits_scraped_lines_inside_blank_separated_blocks() {
        // A scrape that puts one paragraph a line, with a stray blank line: the long lines are
        // paragraphs of their own, not one block.
        let long_a = "a".repeat(150);
        let long_b = "b".repeat(160);
        let text = format!("{long_a}\n{long_b}\n\nTail paragraph.\n");
        assert_eq!(
            texts(&text, SplitMode::Auto),
            [long_a.as_str(), long_b.as_str(), "Tail paragraph."]
        );
    }

    const WIRE: &str = "\
    The city council voted on Tuesday to extend the library's opening
hours through the winter, after a petition signed by more than two
thousand residents.
    The measure passed seven votes to two. Members who opposed it said
the cost had not been settled and would fall on next year's budget.
";

    #[test]
    fn auto_joins_hard_wrapped_paragraphs_marked_by_indentation() {
        let got = texts(WIRE, SplitMode::Auto);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("The city council") && got[0].ends_with("residents."));
        assert!(got[1].starts_with("The measure") && got[1].ends_with("budget."));
    }

    #[test]
    fn auto_joins_hard_wrapped_blocks_between_blank_lines() {
        let text = "The first paragraph is wrapped at a narrow width so that it runs\nover three lines of text, as e-mail and wire copy usually are when\nthey are sent.\n\nA second paragraph follows after a blank line and it is wrapped\nthe same way.\n";
        let got = texts(text, SplitMode::Auto);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].ends_with("sent."));
    }

    #[test]
    fn a_list_of_short_headlines_stays_one_a_line() {
        let text = "Markets Rally As Inflation Cools In October\nLocal Team Wins The Championship Final\nWeather: Storm Expected Over The Weekend\n";
        assert_eq!(texts(text, SplitMode::Auto).len(), 3);
    }

    #[test]
    fn document_unit_is_the_trimmed_text() {
        let text = "\n  First para.\n\nSecond para.  \r\n";
        let spans = segment_units(text, SplitMode::Auto, Unit::Document);
        assert_eq!(spans.len(), 1);
        assert_eq!(
            &text[spans[0].start..spans[0].end],
            "First para.\n\nSecond para."
        );
        assert!(segment_units(" \n ", SplitMode::Auto, Unit::Document).is_empty());
        assert_eq!(
            segment_units(text, SplitMode::Auto, Unit::Paragraph).len(),
            2
        );
        assert_eq!("document".parse(), Ok(Unit::Document));
        assert_eq!(Unit::Paragraph.to_string(), "paragraph");
        assert!("page".parse::<Unit>().is_err());
    }

    #[test]
    fn sentence_mode_parses_and_prints() {
        assert_eq!("sentences:3".parse(), Ok(SplitMode::Sentences(3)));
        assert_eq!(SplitMode::Sentences(3).to_string(), "sentences:3");
        assert!("sentences:0".parse::<SplitMode>().is_err());
        assert!("sentences:x".parse::<SplitMode>().is_err());
        assert!("sentences".parse::<SplitMode>().is_err());
    }

    #[test]
    fn sentences_end_at_stops_before_capitals_digits_and_quotes() {
        let text = "Prices rose. \"We are surprised,\" he said! Was it 2024? 15 firms agreed.";
        assert_eq!(
            texts(text, SplitMode::Sentences(1)),
            [
                "Prices rose.",
                "\"We are surprised,\" he said!",
                "Was it 2024?",
                "15 firms agreed."
            ]
        );
        // A stop followed by lowercase, or by nothing but a number's decimals, is not an end.
        let text = "It grew 3.5 percent. then it fell";
        assert_eq!(texts(text, SplitMode::Sentences(1)), [text]);
    }

    #[test]
    fn abbreviations_and_initials_do_not_end_sentences() {
        let text = "Mr. Smith met Dr. Jones in the U.S. Capitol on Jan. 5. J. R. Doe, of Acme Inc. Ltd., was there. He left at 9 a.m. Tuesday.";
        assert_eq!(
            texts(text, SplitMode::Sentences(1)),
            [
                "Mr. Smith met Dr. Jones in the U.S. Capitol on Jan. 5.",
                "J. R. Doe, of Acme Inc. Ltd., was there.",
                "He left at 9 a.m. Tuesday."
            ]
        );
    }

    #[test]
    fn sentence_windows_group_n_and_restart_at_lines() {
        let text = "A one. B two. C three.\r\nD four. E five.\n\n  F six.  ";
        assert_eq!(
            texts(text, SplitMode::Sentences(2)),
            ["A one. B two.", "C three.", "D four. E five.", "F six."]
        );
        assert_eq!(
            texts(text, SplitMode::Sentences(9)),
            ["A one. B two. C three.", "D four. E five.", "F six."]
        );
    }

    #[test]
    fn sentence_spans_are_exact_with_multibyte_text() {
        let text = "« Bonjour » dit-il. “Ça va?” Élise répondit… Oui. Über alles!";
        let spans = segment(text, SplitMode::Sentences(1));
        for span in &spans {
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
            let piece = &text[span.start..span.end];
            assert_eq!(piece, piece.trim());
        }
        assert_eq!(
            texts(text, SplitMode::Sentences(1)),
            [
                "« Bonjour » dit-il.",
                "“Ça va?”",
                "Élise répondit… Oui.",
                "Über alles!"
            ]
        );
    }

    proptest::proptest! {
        #[test]
        fn sentence_spans_are_ordered_trimmed_boundaries(
            text in "([A-Za-z0-9 .!?\"'”“’()\n\r]|é|Ü|…){0,200}",
            n in 1usize..4,
        ) {
            let spans = segment(&text, SplitMode::Sentences(n));
            let mut last = 0;
            for span in spans {
                proptest::prop_assert!(span.start >= last && span.start < span.end);
                proptest::prop_assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
                let piece = &text[span.start..span.end];
                proptest::prop_assert_eq!(piece, piece.trim());
                proptest::prop_assert!(!piece.contains('\n'));
                last = span.end;
            }
        }
    }
}
