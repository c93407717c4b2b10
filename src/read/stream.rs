//! Byte streams under the record readers: compression recognized by content, and a count of the raw
//! bytes taken, so that a progress display can compare it with the inputs' total size.
//!
//! Compression is told by magic bytes, not by file name: shards are often renamed, and standard
//! input has no name. Gzip streams may hold several members (as `cat a.gz b.gz` makes); zstd
//! streams several frames.

use flate2::read::MultiGzDecoder;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// How a stream is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (one member or several).
    Gzip,
    /// zstd (one frame or several).
    Zstd,
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Bytes of the read buffer, for raw and for decoded bytes.
const BUFFER_BYTES: usize = 256 << 10;

fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(GZIP_MAGIC) {
        Compression::Gzip
    } else if head.starts_with(ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Decoded bytes looked at to tell the record format.
pub(crate) const HEAD_BYTES: usize = 1024;

/// A stream ready for the record readers: decoded, with its first bytes at hand.
pub(crate) struct Decoded<'a> {
    /// The decoded bytes, from the start.
    pub(crate) reader: Box<dyn BufRead + 'a>,
    /// How the raw stream was compressed.
    pub(crate) compression: Compression,
    /// Up to [`HEAD_BYTES`] of the decoded bytes (fewer only when the stream is shorter).
    pub(crate) head: Vec<u8>,
}

/// A reader that first returns an error met while peeking, then goes on with the rest.
struct Deferred<'a> {
    error: Option<io::Error>,
    rest: Box<dyn Read + 'a>,
}

impl Read for Deferred<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.error.take() {
            Some(error) => Err(error),
            None => self.rest.read(buf),
        }
    }
}

/// Reads up to `limit` bytes, however few each read returns (pipes and decoders may return a
/// handful), and gives them back with a reader that yields them again followed by the rest. An
/// error stops the peek and is returned by the reader after the bytes before it, so that the
/// record readers report it where it happened.
fn peek<'a>(mut input: Box<dyn Read + 'a>, limit: usize) -> (Vec<u8>, Box<dyn Read + 'a>) {
    let mut head = vec![0u8; limit];
    let mut filled = 0;
    let mut error = None;
    while filled < limit {
        match input.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    head.truncate(filled);
    let rest = Deferred { error, rest: input };
    let again: Box<dyn Read + 'a> = Box::new(io::Cursor::new(head.clone()).chain(rest));
    (head, again)
}

/// Wraps `raw` in the decoder its first bytes call for, and peeks at the decoded start.
pub(crate) fn decode<'a>(raw: Box<dyn Read + 'a>) -> Result<Decoded<'a>, (Compression, io::Error)> {
    let (magic, raw) = peek(raw, ZSTD_MAGIC.len());
    let compression = sniff(&magic);
    let raw = BufReader::with_capacity(BUFFER_BYTES, raw);
    let decoded: Box<dyn Read + 'a> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(MultiGzDecoder::new(raw)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| (compression, e))?)
        }
    };
    let (head, decoded) = peek(decoded, HEAD_BYTES);
    Ok(Decoded {
        reader: Box::new(BufReader::with_capacity(BUFFER_BYTES, decoded)),
        compression,
        head,
    })
}

/// Describes a failed read, naming the compression when there is one.
pub(crate) fn failure(compression: Compression, error: &io::Error) -> String {
    let name = match compression {
        Compression::None => return format!("read failed: {error}"),
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    };
    if error.kind() == io::ErrorKind::UnexpectedEof {
        format!("truncated {name} stream ({error})")
    } else {
        format!("corrupt {name} stream ({error})")
    }
}

/// A reader that adds every byte it passes on to a shared counter.
pub(crate) struct Counting<'a, R> {
    inner: R,
    counter: &'a AtomicU64,
}

impl<'a, R> Counting<'a, R> {
    pub(crate) fn new(inner: R, counter: &'a AtomicU64) -> Self {
        Counting { inner, counter }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Hands out its bytes one at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    fn decoded(bytes: &[u8]) -> (Vec<u8>, Compression) {
        let mut decoded = decode(Box::new(Trickle(bytes))).unwrap();
        let mut out = Vec::new();
        decoded.reader.read_to_end(&mut out).unwrap();
        assert_eq!(decoded.head, out[..out.len().min(HEAD_BYTES)]);
        (out, decoded.compression)
    }

    #[test]
    fn recognizes_compression_by_content_even_byte_by_byte() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"first member\n").unwrap();
        let mut two = gz.finish().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"second member\n").unwrap();
        two.extend(gz.finish().unwrap());
        assert_eq!(
            decoded(&two),
            (b"first member\nsecond member\n".to_vec(), Compression::Gzip)
        );

        let mut zst = zstd::encode_all(&b"frame one\n"[..], 3).unwrap();
        zst.extend(zstd::encode_all(&b"frame two\n"[..], 3).unwrap());
        assert_eq!(
            decoded(&zst),
            (b"frame one\nframe two\n".to_vec(), Compression::Zstd)
        );

        for plain in [&b""[..], b"a", b"\x1f", b"\x28\xb5\x2f", b"plain text"] {
            assert_eq!(decoded(plain), (plain.to_vec(), Compression::None));
        }
    }

    #[test]
    fn counts_raw_bytes() {
        let counter = AtomicU64::new(0);
        let mut reader = Counting::new(&b"12345"[..], &counter);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(counter.load(Ordering::Relaxed), 5);
    }
}
