//! The command's outputs: the library's writer ([`paradup::output`]) for files and standard
//! output, and the summary printed at the end of a run. A closed pipe on standard output ends the
//! run quietly.

pub use crate::output::{
    check_folder_writable, check_writable, commit_all, destination, write_atomic,
    write_atomic_with, Destination, Output, Pending,
};
use anyhow::Result;
use std::io::{self, Write};

/// Prints a run's summary: on standard output, unless an output of the run took it (`-`), then on
/// standard error.
pub fn print_summary(text: &str, stdout_taken: bool) -> Result<()> {
    if stdout_taken {
        eprint!("{text}");
        Ok(())
    } else {
        print_stdout(text)
    }
}

/// Prints to standard output; a reader that went away is not an error the user needs to see.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

/// True when the error is standard output's reader closing the pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
