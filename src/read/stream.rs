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
pub(crate) enum Compression {
    None,
    Gzip,
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

/// Wraps `raw` in the decoder its first bytes call for.
pub(crate) fn decode<'a>(
    mut raw: Box<dyn Read + 'a>,
) -> Result<(Box<dyn BufRead + 'a>, Compression), (Compression, io::Error)> {
    // A read may return fewer bytes than a magic number has (pipes do): read until it is decided.
    let mut head = [0u8; ZSTD_MAGIC.len()];
    let mut filled = 0;
    while filled < head.len() {
        match raw.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err((Compression::None, e)),
        }
    }
    let compression = sniff(&head[..filled]);
    let rest = io::Cursor::new(head[..filled].to_vec()).chain(raw);
    decode_with(compression, BufReader::with_capacity(BUFFER_BYTES, rest))
}

fn decode_with<'a, R: BufRead + 'a>(
    compression: Compression,
    raw: R,
) -> Result<(Box<dyn BufRead + 'a>, Compression), (Compression, io::Error)> {
    match compression {
        Compression::None => Ok((Box::new(raw), compression)),
        Compression::Gzip => Ok((
            Box::new(BufReader::with_capacity(
                BUFFER_BYTES,
                MultiGzDecoder::new(raw),
            )),
            compression,
        )),
        Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(raw) {
            Ok(decoder) => Ok((
                Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder)),
                compression,
            )),
            Err(e) => Err((compression, e)),
        },
    }
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
        let (mut reader, compression) = decode(Box::new(Trickle(bytes))).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        (out, compression)
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
