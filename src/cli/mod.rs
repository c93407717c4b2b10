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

/// Parses the command line and runs it. Ctrl-C (or SIGTERM or SIGHUP) removes the spill folder
/// of a scan past its memory budget and the temporary files (outputs being written, copies of
/// standard input) before the process ends.
pub fn run() -> ExitCode {
    // Without a handler, these signals end the process as they always do.
    let _ = ctrlc::set_handler(|| {
        if let Ok(parent) = SPILL_PARENT.lock() {
            if let Some(parent) = parent.as_ref() {
                remove_own_spill_folders(parent);
            }
        }
        paradup::output::remove_temporary_files();
        std::process::exit(130);
    });
    let code = match execute(std::env::args_os()) {
        Ok(code) => {
            // Only a run that went to its end has a peak worth telling.
            tell_if_past_budget();
            code
        }
        Err(message) => {
            eprintln!("paradup: error: {message}");
            exit::ERROR
        }
    };
    ExitCode::from(code)
}

/// The `--memory` a scan of this run was given (0: none).
static MEMORY_ASKED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Notes the budget given with `--memory`, for [`tell_if_past_budget`].
fn note_memory_asked(bytes: u64) {
    MEMORY_ASKED.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

/// The process's peak resident memory, where the system tells it.
fn peak_resident_bytes() -> Option<u64> {
    paradup::scan::process_memory("VmHWM")
}

/// Says so when the run's peak memory passed the `--memory` it was given: what a scan keeps in
/// memory past its budget (documents, exact hashes, clusters) grows with the corpus.
fn tell_if_past_budget() {
    let asked = MEMORY_ASKED.load(std::sync::atomic::Ordering::Relaxed);
    if asked == 0 {
        return;
    }
    if let Some(peak) = peak_resident_bytes().filter(|&peak| peak > asked) {
        eprintln!(
            "paradup: warning: the run's peak memory was {} MiB, past --memory {} MiB: what a \
             scan keeps in memory past its budget (documents, exact hashes, clusters, the \
             report) outgrew it (README, \"Corpora larger than memory\")",
            peak >> 20,
            asked >> 20
        );
    }
}

/// Where the scan running now makes its spill folder: on Ctrl-C, SIGTERM or SIGHUP, the folders
/// of this process there are removed.
static SPILL_PARENT: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// Has Ctrl-C remove this process's spill folders in `parent` (a scan's `--tmp-dir`). Called
/// before the scan can make one, so that none made an instant before the signal is left.
fn remove_on_interrupt(parent: std::path::PathBuf) {
    if let Ok(mut held) = SPILL_PARENT.lock() {
        *held = Some(parent);
    }
}

/// The spill folder is gone: Ctrl-C has nothing to remove.
fn remove_on_interrupt_no_more() {
    if let Ok(mut held) = SPILL_PARENT.lock() {
        *held = None;
    }
}

/// Removes the folders of `parent` named as this process names its spill folders.
fn remove_own_spill_folders(parent: &std::path::Path) {
    let prefix = paradup_core::spill::SpillFolder::name_prefix();
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            // The scan goes on writing while this runs: a file made after the folder was listed
            // fails its removal, and the next attempt takes it.
            let path = entry.path();
            for _ in 0..8 {
                if std::fs::remove_dir_all(&path).is_ok() || !path.exists() {
                    break;
                }
            }
        }
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
    exit::settle(exit::OK);
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
        // The reader of standard output went away: what was known of the run still counts.
        Err(e) if output::is_broken_pipe(&e) => Ok(exit::settled()),
        // Errors name files, whose names may hold control characters.
        Err(e) => Err(paradup::display::terminal_safe(&format!("{e:#}")).into_owned()),
    }
}
