//! The command-line front end: flags (clap), validated configuration, one module per subcommand.
//! Only this part of paradup prints, reads the environment, or decides exit codes.

mod args;
mod exit;
mod output;
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
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if output::is_broken_pipe(&e) {
                return ExitCode::from(exit::OK);
            }
            eprintln!("paradup: error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
