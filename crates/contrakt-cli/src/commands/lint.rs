//! `contrakt lint PATH...`

use std::time::Instant;

use contrakt_core::lint::{self, Workspace};
use contrakt_core::registry::{self, Discovery};
use contrakt_core::{Error, Finding, Level};
use contrakt_report::{Summary, TextOptions, render_text, to_json};

use crate::ExitStatus;
use crate::args::{FailOn, GlobalArgs, LintArgs, OutputFormat};
use crate::commands::print;

pub(crate) fn run(args: LintArgs, global: &GlobalArgs, color: bool) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let discovery = {
        let _s = tracing::info_span!("discover", paths = args.paths.len()).entered();
        match registry::discover(&args.paths) {
            Ok(d) => d,
            Err(e) => return Ok(report_fatal(Finding::from_error(&e, None), &args, color)),
        }
    };
    let Discovery { contracts, consumers, config, errors, skipped, roots } = discovery;
    tracing::info!(contracts = contracts.len(), consumers = consumers.len(), skipped = skipped.len(), "discovered");

    let mut findings: Vec<Finding> = errors.iter().flat_map(|e| Finding::from_error(e, None)).collect();
    let files = contracts.len() + consumers.len() + errors.len();
    if files == 0 {
        let shown: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        let message = format!(
            "no contracts or consumer files found in {} (looked for *.yaml, *.yml and *.json with `kind: DataContract` or `kind: Consumer`)",
            shown.join(", ")
        );
        return Ok(report_fatal(vec![Finding::fatal("E113", "nothing-to-lint", message)], &args, color));
    }

    // Consumers named on their own still resolve against their registry's contracts.
    let mut context = Vec::new();
    if !consumers.is_empty() {
        let linted: Vec<String> = contracts.iter().map(|d| d.source.name().to_string()).collect();
        for root in &roots {
            context.extend(registry::load_contracts(root).into_iter().filter(|c| {
                let abs = std::path::absolute(c.source().name()).ok();
                !linted.iter().any(|l| std::path::absolute(l).ok() == abs)
            }));
        }
    }

    let mut ignore = args.ignore.clone();
    let mut fail_on = args.fail_on.map(FailOn::level);
    if let Some((_, config)) = &config {
        ignore.extend(config.lint.ignore.iter().cloned());
        fail_on = fail_on.or(config.lint.fail_on.map(Level::from));
    }
    for sel in &ignore {
        if lint::registry::find(sel).is_none() {
            eprintln!("error: --ignore: no rule `{sel}`; `contrakt rules` lists them");
            return Ok(ExitStatus::Error);
        }
    }
    let report = lint::lint(Workspace { contracts, consumers, context }, &lint::Options { ignore });
    findings.extend(report.findings);
    lint::sort(&mut findings);

    let summary = Summary::of(files, &findings);
    let text = match args.format {
        OutputFormat::Json => format!("{:#}\n", to_json("lint", summary, &findings)),
        OutputFormat::Text => {
            let mut t = render_text(&findings, TextOptions { color });
            if !global.quiet {
                t.push_str(&summary_line(&summary, started.elapsed()));
            }
            t
        }
    };
    print(&text, color);
    Ok(exit_status(&findings, fail_on.unwrap_or(Level::Error), args.exit_zero))
}

fn exit_status(findings: &[Finding], fail_on: Level, exit_zero: bool) -> ExitStatus {
    if findings.iter().any(|f| f.fatal) {
        ExitStatus::Error
    } else if !exit_zero && findings.iter().any(|f| f.level >= fail_on) {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
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
