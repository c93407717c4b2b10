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
use std::process::ExitCode;

/// Parses the command line and runs it.
pub fn run() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
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
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return ExitCode::from(exit::OK);
            }
            // Errors name files, whose names may hold control characters.
            let message = format!("{e:#}");
            eprintln!(
                "paradup: error: {}",
                paradup::display::terminal_safe(&message)
            );
            ExitCode::from(exit::ERROR)
        }
    }
}
