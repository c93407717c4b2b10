//! The `paradup` command: parses flags, runs a subcommand, and turns its outcome into an exit code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
