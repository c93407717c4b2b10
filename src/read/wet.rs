//! Common Crawl WET files: WARC records whose blocks are the plain text extracted from web pages.
//!
//! A record is a `WARC/1.0` line, header lines (`Name: value`), a blank line, then exactly
//! `Content-Length` bytes of block, followed by blank lines. Each `conversion` record becomes a
//! document: `WARC-Record-ID` (without its angle brackets) is its id, the host of
//! `WARC-Target-URI` its source, and the line of its `WARC/1.0` header its location. The
//! `warcinfo` record that opens every WET file, and records of other types (found in full WARC
//! files), are passed over. A malformed record is skipped and reading resumes at the next line
//! that starts a record; a stream that ends inside a record ends the file.

use super::stream::{failure, Compression};
use super::{decode_utf8, line_error, InputErrorKind, ReadEvent};
use super::{Document, Location};
use std::io::{BufRead, Read};
use std::ops::ControlFlow;

/// A line reader that knows which line it is on.
struct Lines<'r, 'a> {
    reader: &'r mut (dyn BufRead + 'a),
    /// Lines consumed so far: the number of the line last read.
    number: u64,
    buf: Vec<u8>,
    /// A block that did not end with a newline left its last line open: the next read finishes
    /// that line rather than starting a new one.
    mid_line: bool,
}

impl Lines<'_, '_> {
    /// Reads the next line into `buf`; false at the end of the stream.
    fn next(&mut self) -> std::io::Result<bool> {
        self.buf.clear();
        if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
            return Ok(false);
        }
        if !std::mem::take(&mut self.mid_line) {
            self.number += 1;
        }
        Ok(true)
    }

    fn is_blank(&self) -> bool {
        self.buf.iter().all(u8::is_ascii_whitespace)
    }

    fn starts_record(&self) -> bool {
        self.buf.starts_with(b"WARC/")
    }
}

/// What went wrong inside a record, and how to go on.
enum Fault {
    /// Skip the record; the block has been read, reading goes on with the next record.
    Record(String),
    /// Skip the record; its end is unknown, so reading resumes at the next `WARC/` line.
    Resync(String),
    /// The stream ended or failed; nothing more can be read from this file.
    Fatal(String),
}

/// A record's header fields, lowercase names.
type Headers = Vec<(String, String)>;

fn header<'h>(headers: &'h Headers, name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The host of a URI (`https://user@Example.org:8080/a` -> `example.org`).
pub(super) fn host_of(uri: &str) -> Option<String> {
    let rest = uri.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host_port.starts_with('[') {
        // An IPv6 literal keeps its brackets; only a port after them is cut.
        &host_port[..host_port.find(']')? + 1]
    } else {
        host_port.split(':').next()?
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

pub(super) fn read_wet(
    display: &str,
    mut reader: Box<dyn BufRead + '_>,
    compression: Compression,
    visit: &mut dyn FnMut(ReadEvent) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut lines = Lines {
        reader: &mut *reader,
        number: 0,
        buf: Vec::new(),
        mid_line: false,
    };
    // Whether `lines.buf` holds a line not yet looked at (after a resynchronization).
    let mut held = false;
    loop {
        if !held {
            // Blank lines between records.
            loop {
                match lines.next() {
                    Ok(true) if lines.is_blank() => continue,
                    Ok(true) => break,
                    Ok(false) => return ControlFlow::Continue(()),
                    Err(e) => {
                        let message = format!(
                            "{}; records before this line were kept, the rest of the file is lost",
                            failure(compression, &e)
                        );
                        return visit(ReadEvent::Skipped(line_error(
                            InputErrorKind::Decompression,
                            display,
                            lines.number + 1,
                            message,
                        )));
                    }
                }
            }
        }
        held = false;
        let start = lines.number;
        let outcome = if lines.starts_record() {
            read_record(&mut lines, display, start, compression)
        } else {
            let found = String::from_utf8_lossy(&lines.buf[..lines.buf.len().min(40)])
                .trim_end()
                .to_owned();
            Err(Fault::Resync(format!(
                "expected a WARC record header ('WARC/1.0'), found {found:?}"
            )))
        };
        match outcome {
            Ok(None) => {}
            Ok(Some((document, repair))) => {
                if let Some(note) = repair {
                    visit(ReadEvent::Repaired(line_error(
                        InputErrorKind::InvalidUtf8,
                        display,
                        start,
                        note,
                    )))?;
                }
                visit(ReadEvent::Document(document))?;
            }
            Err(Fault::Record(message)) => {
                visit(ReadEvent::Skipped(line_error(
                    InputErrorKind::BadRecord,
                    display,
                    start,
                    message,
                )))?;
            }
            Err(Fault::Resync(message)) => {
                visit(ReadEvent::Skipped(line_error(
                    InputErrorKind::BadRecord,
                    display,
                    start,
                    format!("{message}; skipped to the next record"),
                )))?;
                // Find the next line that starts a record.
                loop {
                    match lines.next() {
                        Ok(true) if lines.starts_record() => {
                            held = true;
                            break;
                        }
                        Ok(true) => continue,
                        Ok(false) => return ControlFlow::Continue(()),
                        Err(e) => {
                            return visit(ReadEvent::Skipped(line_error(
                                InputErrorKind::Decompression,
                                display,
                                lines.number + 1,
                                failure(compression, &e),
                            )))
                        }
                    }
                }
            }
            Err(Fault::Fatal(message)) => {
                return visit(ReadEvent::Skipped(line_error(
                    InputErrorKind::BadRecord,
                    display,
                    start,
                    message,
                )));
            }
        }
    }
}

/// Reads the record whose `WARC/` line is in `lines.buf`. `Ok(None)` for a record that is not a
/// document (warcinfo, and types other than conversion).
fn read_record(
    lines: &mut Lines<'_, '_>,
    display: &str,
    start: u64,
    compression: Compression,
) -> Result<Option<(Document, Option<String>)>, Fault> {
    let truncated = |what: &str| {
        Fault::Fatal(format!(
            "truncated WARC record: the input ends {what}; records before it were kept"
        ))
    };
    let mut headers: Headers = Vec::new();
    loop {
        match lines.next() {
            Ok(true) => {}
            Ok(false) => return Err(truncated("inside its headers")),
            Err(e) => return Err(Fault::Fatal(failure(compression, &e))),
        }
        if lines.is_blank() {
            break;
        }
        let text = String::from_utf8_lossy(&lines.buf);
        let Some((name, value)) = text.split_once(':') else {
            return Err(Fault::Resync(format!(
                "malformed WARC header at line {}: no ':'",
                lines.number
            )));
        };
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length: u64 = match header(&headers, "content-length") {
        Some(value) => value
            .parse()
            .map_err(|_| Fault::Resync(format!("invalid Content-Length {value:?}")))?,
        None => return Err(Fault::Resync("missing Content-Length header".into())),
    };
    // The block is read as it arrives: a false length costs no memory up front.
    let mut block = Vec::new();
    if let Err(e) = (&mut *lines.reader).take(length).read_to_end(&mut block) {
        return Err(Fault::Fatal(format!(
            "{} inside a record's block; records before it were kept",
            failure(compression, &e)
        )));
    }
    lines.number += block.iter().filter(|&&b| b == b'\n').count() as u64;
    if block.last().is_some_and(|&b| b != b'\n') {
        // The block's last line continues: it is line `number + 1`, finished by the next read.
        lines.number += 1;
        lines.mid_line = true;
    }
    if (block.len() as u64) < length {
        return Err(truncated(&format!(
            "inside its block (Content-Length {length}, {} bytes present)",
            block.len()
        )));
    }
    match header(&headers, "warc-type") {
        Some("conversion") => {}
        Some(_) => return Ok(None),
        None => return Err(Fault::Record("missing WARC-Type header".into())),
    }
    let id = header(&headers, "warc-record-id")
        .map(|id| id.trim_start_matches('<').trim_end_matches('>').to_owned())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("{display}:{start}"));
    let source = header(&headers, "warc-target-uri").and_then(host_of);
    let (text, repair) = decode_utf8(block);
    Ok(Some((
        Document {
            id,
            source,
            location: Location {
                path: display.to_owned(),
                line: Some(start),
                row: None,
            },
            text,
        },
        repair,
    )))
}

#[cfg(test)]
mod tests {
    use super::super::{read_stream, InputError, InputFormat, ReadOptions};
    use super::*;

    #[test]
    fn hosts() {
        let cases = [
            ("https://Example.org/a/b?c", Some("example.org")),
            (
                "http://user:pw@news.example.com:8080/x",
                Some("news.example.com"),
            ),
            ("http://[2001:db8::1]:80/", Some("[2001:db8::1]")),
            ("http://example.org./", Some("example.org")),
            ("example.org/path", None),
            ("http:///nohost", None),
        ];
        for (uri, host) in cases {
            assert_eq!(host_of(uri).as_deref(), host, "{uri}");
        }
    }

    fn record(kind: &str, uri: &str, id: &str, body: &str) -> String {
        format!(
            "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Record-ID: <{id}>\r\n\
             Content-Type: text/plain\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        )
    }

    fn read(bytes: &[u8]) -> (Vec<Document>, Vec<InputError>) {
        let options = ReadOptions {
            format: InputFormat::Wet,
            ..ReadOptions::default()
        };
        let (mut docs, mut errors) = (Vec::new(), Vec::new());
        let _ = read_stream("x.wet", bytes, &options, &mut |event| {
            match event {
                ReadEvent::Document(d) => docs.push(d),
                ReadEvent::Skipped(e) | ReadEvent::Repaired(e) => errors.push(e),
                ReadEvent::FileOffsets(_) => {}
                ReadEvent::Columnar(_) => panic!("documents come one by one unless asked"),
            }
            ControlFlow::Continue(())
        });
        (docs, errors)
    }

    #[test]
    fn resynchronizes_after_a_malformed_record() {
        let good = record("conversion", "http://a.org/", "urn:uuid:1", "one\ntwo");
        let input =
            format!("WARC/1.0\r\nWARC-Type: conversion\r\nno colon here\r\n\r\nbody\r\n\r\n{good}");
        let (docs, errors) = read(input.as_bytes());
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].text, "one\ntwo");
        assert_eq!(docs[0].location.line, Some(7));
        assert_eq!(
            errors,
            vec![InputError {
                path: "x.wet".into(),
                line: Some(1),
                row: None,
                kind: InputErrorKind::BadRecord,
                message: "malformed WARC header at line 3: no ':'; skipped to the next record"
                    .into()
            }]
        );
    }

    #[test]
    fn a_record_without_type_is_skipped_by_its_length() {
        let body = "WARC/1.0 inside a body is not a header";
        let input = format!(
            "WARC/1.0\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n{}",
            body.len(),
            record("conversion", "http://b.org/", "urn:uuid:2", "kept")
        );
        let (docs, errors) = read(input.as_bytes());
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].id, "urn:uuid:2");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "missing WARC-Type header");
        assert_eq!(errors[0].line, Some(1));
    }

    #[test]
    fn garbage_before_the_first_record() {
        let input = format!(
            "junk line\nmore junk\n{}",
            record("conversion", "http://c.org/", "urn:uuid:3", "text")
        );
        let (docs, errors) = read(input.as_bytes());
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].location.line, Some(3));
        assert_eq!(
            errors[0].message,
            "expected a WARC record header ('WARC/1.0'), found \"junk line\"; skipped to the next record"
        );
    }

    #[test]
    fn a_false_length_is_a_truncation() {
        let input =
            "WARC/1.0\r\nWARC-Type: conversion\r\nContent-Length: 999999999999\r\n\r\nshort";
        let (docs, errors) = read(input.as_bytes());
        assert!(docs.is_empty());
        assert_eq!(
            errors[0].message,
            "truncated WARC record: the input ends inside its block (Content-Length 999999999999, \
             5 bytes present); records before it were kept"
        );
    }
}
