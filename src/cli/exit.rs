//! Every exit status paradup returns.

/// The run finished and every limit held.
pub const OK: u8 = 0;
/// `check` found a limit exceeded.
pub const LIMIT_EXCEEDED: u8 = 1;
/// Usage error, unreadable input, or records skipped.
pub const ERROR: u8 = 2;

use std::sync::atomic::{AtomicU8, Ordering};

/// The status the running command ends with, once it is known.
static SETTLED: AtomicU8 = AtomicU8::new(OK);

/// Records the status the run ends with, once it is known and before its outputs are written: a
/// reader that closes standard output early (`paradup check ... | head -1`) then ends the run
/// quietly with this status, so that a failed check or skipped records are not turned into 0.
pub fn settle(code: u8) {
    SETTLED.store(code, Ordering::Relaxed);
}

/// The status [`settle`]d last ([`OK`] when none was).
pub fn settled() -> u8 {
    SETTLED.load(Ordering::Relaxed)
}
