//! The `contrakt` command line: clap arguments, one module per subcommand, exit codes.
//!
//! Exit codes: `0` clean, `1` findings at or above `--fail-on`, `2` usage, input or internal
//! error.

mod args;
mod commands;
mod logging;
mod progress;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;

/// What the process exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Nothing at or above the failure threshold.
    Success,
    /// Findings at or above `--fail-on`.
    Failure,
    /// Usage, input or internal error.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

/// Parses arguments and runs the command. Runs on a thread with a large stack: deeply nested
/// (but within limits) documents recurse in the JSON Schema validator.
pub fn run() -> ExitStatus {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => ExitStatus::Success,
                _ => ExitStatus::Error,
            };
        }
    };
    logging::init(cli.global.verbose, cli.global.quiet);
    let handle = std::thread::Builder::new()
        .name("contrakt".into())
        .stack_size(256 * 1024 * 1024)
        .spawn(move || commands::run(cli));
    match handle.map(|h| h.join()) {
        Ok(Ok(status)) => status,
        Ok(Err(_)) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: contrakt crashed; this is a bug, please report it with the command you ran"
            );
            ExitStatus::Error
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: cannot start worker thread: {e}");
            ExitStatus::Error
        }
    }
}
