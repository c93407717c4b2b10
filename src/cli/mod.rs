//! The command-line front end: flags (clap), validated configuration, one module per subcommand.
//! Only this part of paradup prints, reads the environment, or decides exit codes.

mod args;
mod baseline;
mod check;
mod compare;
mod contamination;
mod dedup;
mod exit;
mod html;
mod index;
mod output;
mod places;
mod progress;
mod scan;
mod summary;

use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// Parses the command line and runs it. Ctrl-C removes the spill folder of a scan past its
/// memory budget before the process ends.
pub fn run() -> ExitCode {
    // Without a handler, Ctrl-C ends the process as it always does.
    let _ = ctrlc::set_handler(|| {
        if let Ok(folder) = SPILL_FOLDER.lock() {
            if let Some(folder) = folder.as_ref() {
                let _ = std::fs::remove_dir_all(folder);
            }
        }
        std::process::exit(130);
    });
    ExitCode::from(run_from(std::env::args_os()))
}

/// The spill folder of the scan running now, removed on Ctrl-C.
static SPILL_FOLDER: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// Has Ctrl-C remove `folder` (a scan's spill folder).
fn remove_on_interrupt(folder: std::path::PathBuf) {
    if let Ok(mut held) = SPILL_FOLDER.lock() {
        *held = Some(folder);
    }
}

/// The spill folder is gone: Ctrl-C has nothing to remove.
fn remove_on_interrupt_no_more() {
    if let Ok(mut held) = SPILL_FOLDER.lock() {
        *held = None;
    }
}

/// Runs the command line `args` (the program's name first) and returns its exit status: what the
/// `paradup` binary does. Its worker threads are those of the rayon pool it runs in, when it runs
/// in one.
pub fn run_from<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match execute(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("paradup: error: {message}");
            exit::ERROR
        }
    }
}

/// Runs the command line `args` like [`run_from`], except that an error that ends the run is
/// returned (as the one line the command would print after `paradup: error:`) instead of printed:
/// how the Python package runs a command in its own process. Flag errors and `--help` are printed
/// as the command prints them.
pub fn execute<I, T>(args: I) -> Result<u8, String>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return Ok(code);
        }
    };
    let result = match cli.command {
        args::Command::Scan(scan_args) => scan::run(scan_args),
        args::Command::Check(check_args) => check::run(check_args),
        args::Command::Dedup(dedup_args) => dedup::run(dedup_args),
        args::Command::Compare(compare_args) => compare::run(compare_args),
        args::Command::Index(command) => index::run(command),
    };
    match result {
        Ok(code) => Ok(code),
        Err(e) if output::is_broken_pipe(&e) => Ok(exit::OK),
        // Errors name files, whose names may hold control characters.
        Err(e) => Err(paradup::display::terminal_safe(&format!("{e:#}")).into_owned()),
    }
}
