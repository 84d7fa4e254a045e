//! One module per subcommand.

pub(crate) mod alerts;
pub(crate) mod breaking;
pub(crate) mod check;
pub(crate) mod diff;
pub(crate) mod export;
pub(crate) mod history;
pub(crate) mod import;
pub(crate) mod infer;
pub(crate) mod lint;
pub(crate) mod publish;
pub(crate) mod report;
pub(crate) mod rules;

use std::io::Write;

use crate::ExitStatus;
use crate::args::{Cli, ColorChoice, Command};

pub(crate) fn run(cli: Cli) -> ExitStatus {
    let color = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never,
    };
    let result = match cli.command {
        Command::Lint(args) => lint::run(args, &cli.global, color),
        Command::Diff(args) => diff::run(args, color),
        Command::Breaking(args) => breaking::run(args, color),
        Command::Check(args) => check::run(args, &cli.global, color),
        Command::Run(args) => check::cron(args, &cli.global, color),
        Command::History(args) => history::run(args),
        Command::Report(args) => report::run(args, color),
        Command::Infer(args) => infer::run(args, &cli.global),
        Command::Publish(args) => publish::run(args, &cli.global, color),
        Command::Rules(args) => rules::run(args),
        Command::Alerts(args) => alerts::run(args, color),
        Command::Import(args) => import::run(args, &cli.global, color),
        Command::Export(args) => export::run(args, &cli.global, color),
    };
    match result {
        Ok(status) => status,
        Err(e) => {
            let mut err = std::io::stderr();
            let _ = writeln!(err, "error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let _ = writeln!(err, "  caused by: {s}");
                source = s.source();
            }
            ExitStatus::Error
        }
    }
}

/// Writes to stdout, ignoring a closed pipe (`contrakt lint | head`).
pub(crate) fn print(text: &str, color: bool) {
    let mut out = anstream::AutoStream::new(
        std::io::stdout().lock(),
        if color { anstream::ColorChoice::Always } else { anstream::ColorChoice::Never },
    );
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
