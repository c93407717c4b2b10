//! Every exit status paradup returns.

/// The run finished and every limit held.
pub const OK: u8 = 0;
/// `check` found a limit exceeded.
pub const LIMIT_EXCEEDED: u8 = 1;
/// Usage error, unreadable input, or records skipped.
pub const ERROR: u8 = 2;
