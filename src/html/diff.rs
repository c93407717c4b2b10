//! Word-level differences between two copies of a paragraph, so that a reader sees at a glance
//! which words a near copy changed.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// How a run of text relates to the other copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    /// In both copies.
    Same,
    /// Only in the left (canonical) copy.
    Removed,
    /// Only in the right copy.
    Added,
}

/// A run of text of one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// How the run relates to the other copy.
    pub kind: SegmentKind,
    /// The text, unescaped.
    pub text: String,
}

/// Both sides of a comparison: the left copy with its removed words marked, the right copy with
/// its added words marked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideBySide {
    /// The left copy.
    pub left: Vec<Segment>,
    /// The right copy.
    pub right: Vec<Segment>,
}

fn push(segments: &mut Vec<Segment>, kind: SegmentKind, text: &str) {
    match segments.last_mut() {
        Some(last) if last.kind == kind => last.text.push_str(text),
        _ => segments.push(Segment {
            kind,
            text: text.to_owned(),
        }),
    }
}

/// Marks whitespace between two marked words of one side as marked too, then joins runs of one
/// kind.
fn join_marks(tokens: Vec<(SegmentKind, &str)>, mark: SegmentKind) -> Vec<Segment> {
    let mut segments = Vec::new();
    for (i, &(kind, text)) in tokens.iter().enumerate() {
        let between_marks = kind == SegmentKind::Same
            && text.trim().is_empty()
            && i > 0
            && tokens[i - 1].0 == mark
            && tokens.get(i + 1).is_some_and(|next| next.0 == mark);
        push(&mut segments, if between_marks { mark } else { kind }, text);
    }
    segments
}

/// Compares two texts word by word (words are runs between whitespace, punctuation included).
/// Whitespace between two changed words is marked with them, so that a changed phrase reads as
/// one mark rather than a row of single words.
pub fn side_by_side(left: &str, right: &str) -> SideBySide {
    let diff = TextDiff::from_words(left, right);
    let mut left_tokens = Vec::new();
    let mut right_tokens = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Delete => left_tokens.push((SegmentKind::Removed, text)),
            ChangeTag::Insert => right_tokens.push((SegmentKind::Added, text)),
            ChangeTag::Equal => {
                left_tokens.push((SegmentKind::Same, text));
                right_tokens.push((SegmentKind::Same, text));
            }
        }
    }
    SideBySide {
        left: join_marks(left_tokens, SegmentKind::Removed),
        right: join_marks(right_tokens, SegmentKind::Added),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(segments: &[Segment], kind: SegmentKind) -> Vec<&str> {
        segments
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.text.as_str())
            .collect()
    }

    fn joined(segments: &[Segment]) -> String {
        segments.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn each_side_keeps_its_whole_text() {
        let left = "The board said the terminal would be built on reclaimed land.";
        let right = "The board said on Monday the new terminal would be built on land.";
        let diff = side_by_side(left, right);
        assert_eq!(joined(&diff.left), left);
        assert_eq!(joined(&diff.right), right);
    }

    #[test]
    fn changed_words_are_marked_on_their_side() {
        let diff = side_by_side(
            "prices rose by three percent in March",
            "prices rose by four percent in April",
        );
        assert_eq!(marked(&diff.left, SegmentKind::Removed), ["three", "March"]);
        assert_eq!(marked(&diff.right, SegmentKind::Added), ["four", "April"]);
        assert!(marked(&diff.left, SegmentKind::Added).is_empty());
        assert!(marked(&diff.right, SegmentKind::Removed).is_empty());
    }

    #[test]
    fn a_changed_phrase_is_one_mark() {
        let diff = side_by_side(
            "the port said on Monday that it agreed",
            "the port said late last week that it agreed",
        );
        assert_eq!(marked(&diff.left, SegmentKind::Removed), ["on Monday"]);
        assert_eq!(marked(&diff.right, SegmentKind::Added), ["late last week"]);
    }

    #[test]
    fn identical_texts_have_no_marks() {
        let diff = side_by_side("same words here", "same words here");
        assert_eq!(diff.left.len(), 1);
        assert_eq!(diff.left[0].kind, SegmentKind::Same);
        assert_eq!(diff.left, diff.right);
    }
}
