//! The command's outputs: the library's writer ([`paradup::output`]) for files and standard
//! output, and the summary printed at the end of a run. A closed pipe on standard output ends the
//! run quietly.

pub use crate::output::{
    check_folder_writable, check_writable, commit_all, destination, write_atomic,
    write_atomic_with, Destination, Output, Pending,
};
use anyhow::{bail, Result};
use std::io::{self, Write};
use std::path::Path;

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

/// Refuses the output `path` of `flag` when it is one of the files the run reads (`read`: the
/// paths as given, folders among them): writing it would replace what the run read with what it
/// found there. Checked before anything is read; an output inside a folder that is read is left
/// out of the reading instead (`Inputs::resolve_excluding`).
pub fn refuse_read_file<'a>(
    flag: &str,
    path: &Path,
    read: impl IntoIterator<Item = &'a String>,
) -> Result<()> {
    let Ok(output) = path.canonicalize() else {
        // Not there yet: no input can be it.
        return Ok(());
    };
    for given in read.into_iter().filter(|given| given.as_str() != "-") {
        if Path::new(given.as_str()).canonicalize().ok().as_ref() == Some(&output) {
            bail!(
                "{flag} {} is also read by this run ({given}): writing it would replace what is read; give another path",
                path.display()
            );
        }
    }
    Ok(())
}
