//! The `paradup` command: parses flags, runs a subcommand, and turns its outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    paradup::cli::run()
}
