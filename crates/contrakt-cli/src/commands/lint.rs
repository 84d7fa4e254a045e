//! `contrakt lint PATH...` ([`contrakt_workflow::lint`]).

use std::time::Instant;

use contrakt_core::{Error, Finding};
use contrakt_report::{Summary, TextOptions, render_text, to_json};
use contrakt_workflow::lint::{Options, lint};

use crate::ExitStatus;
use crate::args::{FailOn, GlobalArgs, LintArgs, OutputFormat};
use crate::commands::print;

pub(crate) fn run(args: LintArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let options = Options { ignore: args.ignore.clone(), fail_on: args.fail_on.map(FailOn::level) };
    let linted = match lint(&args.paths, &options) {
        Ok(l) => l,
        Err(contrakt_workflow::Error::Registry(findings)) => return Ok(report_fatal(findings, &args, color)),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    let findings = &linted.findings;
    let summary = Summary::of(linted.files, findings);
    let text = match args.format {
        OutputFormat::Json => format!("{:#}\n", to_json("lint", summary, findings)),
        OutputFormat::Text => {
            let mut t = render_text(findings, TextOptions { color });
            if !global.quiet {
                t.push_str(&summary_line(&summary, started.elapsed()));
            }
            t
        }
    };
    print(&text, color);
    Ok(if linted.fatal() {
        ExitStatus::Error
    } else if !args.exit_zero && !linted.passed() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Reports findings that stop the run before linting; exit code 2.
fn report_fatal(findings: Vec<Finding>, args: &LintArgs, color: bool) -> ExitStatus {
    match args.format {
        OutputFormat::Json => print(&format!("{:#}\n", to_json("lint", Summary::of(0, &findings), &findings)), color),
        OutputFormat::Text => {
            for f in &findings {
                if f.file.is_some() {
                    print(&render_text(std::slice::from_ref(f), TextOptions { color }), color);
                } else {
                    eprintln!("error[{}]: {}", f.code, f.message);
                }
            }
        }
    }
    ExitStatus::Error
}

fn summary_line(s: &Summary, elapsed: std::time::Duration) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let files = plural(s.files, "file");
    let ms = elapsed.as_millis();
    if s.errors + s.warnings + s.infos == 0 {
        format!("Checked {files}: no problems found ({ms} ms).\n")
    } else {
        format!(
            "Checked {files}: {}, {}, {} ({ms} ms).\n",
            plural(s.errors, "error"),
            plural(s.warnings, "warning"),
            plural(s.infos, "info")
        )
    }
}
