//! The report as compact JSON, written fast.
//!
//! A scan's report of short paragraphs lists more bytes of copies than the input has text, and
//! rendering them through serde's generic serializer took as long as a third of the scan. This
//! writer renders the clusters' fields itself (numbers, plain strings and the usual similarities
//! written without the general formatters) and the rest of the report through serde, and writes
//! the same bytes as `serde_json::to_writer` does of the [`Report`]: a test holds the two
//! together.

use super::{for_each_window, Piece, Report, ReportCluster, ReportMember, ReportMembers};
use crate::scan::ClusterKind;
use serde::Serialize;
use std::io::{self, Write};

/// The fields of a report before its clusters, in the order of [`Report`].
#[derive(Serialize)]
struct Head<'r> {
    schema: &'static str,
    tool: &'r super::Tool,
    params: &'r super::ReportParams,
    summary: &'r super::ReportSummary,
    boilerplate: &'r [super::RankedCluster],
}

/// The fields of a report after its clusters, in the order of [`Report`].
#[derive(Serialize)]
struct Tail<'r> {
    #[serde(skip_serializing_if = "super::MemberLists::is_all")]
    member_lists: super::MemberLists,
    errors: &'r [crate::read::InputError],
    warnings: &'r [crate::read::InputError],
    sources: &'r [super::SourceTotals],
    timing: &'r super::Timing,
}

/// Bytes a copy takes in the JSON, about: what a cluster's text is made room for at once.
const MEMBER_BYTES: usize = 224;

impl Report<'_> {
    /// Writes the report as compact JSON, the same bytes as `serde_json::to_writer` writes of it
    /// (without a final newline). The clusters are rendered in parallel, a window at a time on a
    /// thread of their own while the window before is written. Fails when `out` does, or when
    /// the outcome's copies on disk cannot be read.
    pub fn write_json(&self, out: &mut dyn Write) -> io::Result<()> {
        let head = serde_json::to_vec(&Head {
            schema: self.schema,
            tool: &self.tool,
            params: &self.params,
            summary: &self.summary,
            boilerplate: &self.boilerplate,
        })?;
        // `{...}` without its closing brace, then the clusters as the next field.
        out.write_all(&head[..head.len() - 1])?;
        out.write_all(b",\"clusters\":[")?;
        let mut first = true;
        for_each_window(
            &self.clusters,
            true,
            io::Error::other,
            |view, piece| {
                let listed = view.members.len().min(view.members.json_limit);
                let mut text = Vec::with_capacity(view.text.len() + 128 + listed * MEMBER_BYTES);
                write_piece(&mut text, &view, piece)?;
                Ok::<(bool, Vec<u8>), io::Error>((piece.starts, text))
            },
            |error| error,
            |rendered| {
                for (starts, piece) in rendered {
                    if starts && !first {
                        out.write_all(b",")?;
                    }
                    first = false;
                    out.write_all(&piece)?;
                }
                Ok(())
            },
        )?;
        out.write_all(b"]")?;
        let tail = serde_json::to_vec(&Tail {
            member_lists: self.member_lists,
            errors: &self.errors,
            warnings: &self.warnings,
            sources: &self.sources,
            timing: &self.timing,
        })?;
        // `{...}` as the fields that follow: its opening brace becomes their comma.
        out.write_all(b",")?;
        out.write_all(&tail[1..])
    }
}

/// One cluster, as serde writes a [`ReportCluster`], or the piece `piece` of it: a piece that
/// does not start the cluster continues its list of copies (after a comma), and one that does
/// not end it leaves the list open.
fn write_piece(out: &mut Vec<u8>, cluster: &ReportCluster<'_>, piece: Piece) -> io::Result<()> {
    let numbers = &mut itoa::Buffer::new();
    if piece.starts {
        integer_field(out, numbers, b"{\"id\":", cluster.id);
        out.extend_from_slice(match cluster.kind {
            ClusterKind::WithinDocument => b",\"kind\":\"within_document\"",
            ClusterKind::CrossDocument => b",\"kind\":\"cross_document\"",
        });
        integer_field(out, numbers, b",\"documents\":", cluster.documents);
        integer_field(out, numbers, b",\"size\":", cluster.size);
        integer_field(
            out,
            numbers,
            b",\"duplicate_bytes\":",
            cluster.duplicate_bytes,
        );
        out.extend_from_slice(b",\"text\":");
        write_str(out, cluster.text)?;
        out.extend_from_slice(b",\"members\":[");
    } else {
        out.push(b',');
    }
    write_members(out, &cluster.members, numbers)?;
    if piece.ends {
        out.extend_from_slice(b"]}");
    }
    Ok(())
}

fn write_members(
    out: &mut Vec<u8>,
    members: &ReportMembers<'_>,
    numbers: &mut itoa::Buffer,
) -> io::Result<()> {
    for (index, member) in members.iter().take(members.json_limit).enumerate() {
        if index > 0 {
            out.push(b',');
        }
        write_member(out, &member, numbers)?;
    }
    Ok(())
}

/// One copy, as serde writes a [`ReportMember`].
fn write_member(
    out: &mut Vec<u8>,
    member: &ReportMember<'_>,
    numbers: &mut itoa::Buffer,
) -> io::Result<()> {
    out.extend_from_slice(b"{\"doc\":");
    write_str(out, member.doc)?;
    integer_field(out, numbers, b",\"doc_index\":", member.doc_index);
    out.extend_from_slice(b",\"location\":");
    let location = member.location;
    match location.record() {
        Some(record) if is_plain(location.path) => {
            out.push(b'"');
            out.extend_from_slice(location.path.as_bytes());
            out.push(b':');
            out.extend_from_slice(numbers.format(record).as_bytes());
            out.push(b'"');
        }
        None if is_plain(location.path) => write_plain(out, location.path),
        _ => write_str(out, &location.to_string())?,
    }
    integer_field(out, numbers, b",\"paragraph\":", member.paragraph);
    integer_field(out, numbers, b",\"start\":", member.start);
    integer_field(out, numbers, b",\"end\":", member.end);
    out.extend_from_slice(b",\"similarity\":");
    write_f64(out, member.similarity)?;
    out.extend_from_slice(b",\"containment\":");
    write_f64(out, member.containment)?;
    out.extend_from_slice(b",\"contained\":");
    out.extend_from_slice(bool_text(member.contained));
    out.extend_from_slice(b",\"via_chain\":");
    out.extend_from_slice(bool_text(member.via_chain));
    if member.indexed {
        out.extend_from_slice(b",\"indexed\":true");
    }
    if let Some(shard) = member.shard {
        out.extend_from_slice(b",\"shard\":");
        write_str(out, shard)?;
    }
    out.push(b'}');
    Ok(())
}

/// Writes `key` (the field's name with its quotes and colon, and the comma or brace before it)
/// and an integer.
fn integer_field(
    out: &mut Vec<u8>,
    numbers: &mut itoa::Buffer,
    key: &[u8],
    value: impl itoa::Integer,
) {
    out.extend_from_slice(key);
    out.extend_from_slice(numbers.format(value).as_bytes());
}

fn bool_text(value: bool) -> &'static [u8] {
    if value {
        b"true"
    } else {
        b"false"
    }
}

/// A similarity: the exact ones (most copies are identical) written directly, others as serde
/// formats them.
fn write_f64(out: &mut Vec<u8>, value: f64) -> io::Result<()> {
    if value == 1.0 {
        out.extend_from_slice(b"1.0");
    } else if value == 0.0 && value.is_sign_positive() {
        out.extend_from_slice(b"0.0");
    } else {
        serde_json::to_writer(&mut *out, &value)?;
    }
    Ok(())
}

/// JSON escapes control characters, quotes and backslashes; a string without them is written as
/// it is.
fn is_plain(text: &str) -> bool {
    !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
}

fn write_plain(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

fn write_str(out: &mut Vec<u8>, text: &str) -> io::Result<()> {
    if is_plain(text) {
        write_plain(out, text);
        Ok(())
    } else {
        Ok(serde_json::to_writer(&mut *out, text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::MemberLists;
    use crate::{Document, InputError, InputErrorKind, Location, ScanParams, Scanner};
    use proptest::prelude::*;

    /// Both ways of writing a report give the same bytes.
    fn assert_same_json(report: &Report<'_>) {
        let mut fast = Vec::new();
        report.write_json(&mut fast).unwrap();
        let serde = serde_json::to_vec(report).unwrap();
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            String::from_utf8(serde).unwrap()
        );
    }

    #[test]
    fn the_fixture_report_is_written_as_serde_writes_it() {
        let outcome = super::super::tests::outcome();
        let texts = outcome
            .clusters
            .iter()
            .map(|_| "t\"x\n".to_owned())
            .collect();
        let error = InputError {
            kind: InputErrorKind::InvalidJson,
            path: "in.jsonl".into(),
            line: Some(3),
            row: None,
            message: "expected value".into(),
        };
        let report = Report::new(&outcome, texts, vec![error], 0.25).unwrap();
        for lists in [MemberLists::All, MemberLists::Canonical, MemberLists::None] {
            assert_same_json(&report.clone().with_member_lists(lists));
        }
    }

    /// A name or text of any characters: quotes, backslashes, control characters, other scripts.
    fn any_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('\n'),
                Just('\u{1}'),
                Just('\u{7f}'),
                Just('é'),
                Just('文'),
                Just(':'),
                proptest::char::range('a', 'z'),
            ],
            0..12,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_names_and_texts_are_written_as_serde_writes_them(
            ids in proptest::collection::vec(any_text(), 3),
            paths in proptest::collection::vec(any_text(), 3),
            lines in proptest::collection::vec(proptest::option::of(0u64..u64::MAX), 3),
            canonical_text in any_text(),
            changed_word in 0usize..14,
        ) {
            const BASE: &str = "the ferry timetable for the winter months was approved by the harbour board";
            let near: String = BASE
                .split(' ')
                .enumerate()
                .map(|(i, w)| if i == changed_word { "changed" } else { w })
                .collect::<Vec<_>>()
                .join(" ");
            let mut scanner = Scanner::new(ScanParams {
                containment: Some(0.5),
                ..ScanParams::default()
            })
            .unwrap();
            let documents = ids
                .iter()
                .zip(&paths)
                .zip(&lines)
                .enumerate()
                .map(|(index, ((id, path), line))| Document {
                    id: id.clone(),
                    source: None,
                    location: Location { path: path.clone(), line: *line, row: None },
                    text: match index {
                        0 => format!("{BASE}\n\n{BASE}"),
                        1 => near.clone(),
                        _ => format!("intro words\n\n{BASE} and more words at its end here"),
                    },
                })
                .collect();
            scanner.add_batch(documents);
            let outcome = scanner.finish();
            prop_assert!(!outcome.clusters.is_empty());
            let texts = vec![canonical_text; outcome.clusters.len()];
            assert_same_json(&Report::new(&outcome, texts, Vec::new(), 1.5).unwrap());
        }
    }
}
