//! `contrakt breaking [PATHS] --against REF`: the `buf breaking` of data contracts.

use std::time::Instant;

use contrakt_core::Error;
use contrakt_core::diff::gate::Report;
use contrakt_report::{TextOptions, diff_to_json, diff_to_markdown, diff_to_text, github_annotations};
use contrakt_workflow::breaking::{self, Against, Options};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{BreakingArgs, DiffFormat};
use crate::commands::diff::fatal;
use crate::commands::print;

pub(crate) fn run(args: BreakingArgs, color: bool) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let against = Against::parse(&args.against);
    let options = Options {
        mode: args.gate.mode,
        fail_on: args.gate.fail_on.level(),
        strict_consumers: args.gate.strict_consumers,
    };
    let mut progress = None;
    let mut observe = |done: usize, total: usize| {
        let bar = progress.get_or_insert_with(|| crate::progress::bar(total as u64, "comparing contracts"));
        bar.set_position(done as u64);
    };
    let result = breaking::breaking(&args.paths, &against, &options, &mut observe);
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let compared = match result {
        Ok(b) => b,
        Err(e) => return Ok(fatal(&e.findings(), args.gate.format, color)),
    };
    let text = render(&compared.reports, &args, &against, color, started);
    print(&text, color);
    if args.notify {
        match breaking::notify(&compared, &args.paths, &against) {
            Ok(told) => {
                let (n, d) = (&told.recorded, &told.delivered);
                eprintln!(
                    "notify: {} breaking changes touch consumers: {} alerts, {} deliveries queued; delivered {}, failed attempts {}, given up {}, still pending {}",
                    n.changes, n.alerts, n.queued, d.delivered, d.retried, d.dead, d.pending
                );
            }
            // A failure to notify leaves the gate's verdict as it is.
            Err(e) => {
                crate::commands::check::fail(&e, color);
            }
        }
    }
    Ok(if compared.passed() || args.gate.exit_zero { ExitStatus::Success } else { ExitStatus::Failure })
}

fn render(
    reports: &[(String, Report)],
    args: &BreakingArgs,
    against: &Against,
    color: bool,
    started: Instant,
) -> String {
    let passed = reports.iter().all(|(_, r)| r.passed);
    let compatible = reports.iter().all(|(_, r)| r.compatible);
    match args.gate.format {
        DiffFormat::Json => {
            let mut findings = Vec::new();
            for (id, r) in reports {
                let json = diff_to_json(r);
                for mut f in json["findings"].as_array().cloned().unwrap_or_default() {
                    f["contract"] = json!(id);
                    f["mode"] = json!(r.mode.as_str());
                    findings.push(f);
                }
            }
            let count = |l: &str| findings.iter().filter(|f| f["level"] == l).count();
            let out = json!({
                "version": contrakt_report::JSON_SCHEMA_VERSION,
                "command": "breaking",
                "against": against.label(),
                "mode": args.gate.mode.map(|m| m.as_str()),
                "compatible": compatible,
                "passed": passed,
                "summary": {
                    "contracts": reports.len(),
                    "errors": count("error"), "warnings": count("warning"), "infos": count("info"),
                    "breaking": findings.iter().filter(|f| f["breaking"] == true).count(),
                },
                "findings": findings,
            });
            format!("{out:#}\n")
        }
        DiffFormat::Github => reports.iter().map(|(_, r)| github_annotations(r)).collect(),
        DiffFormat::Sarif => {
            let all: Vec<(&str, &Report)> = reports.iter().map(|(id, r)| (id.as_str(), r)).collect();
            format!("{:#}\n", contrakt_report::diff_to_sarif(&all))
        }
        DiffFormat::Junit => {
            let all: Vec<(&str, &Report)> = reports.iter().map(|(id, r)| (id.as_str(), r)).collect();
            contrakt_report::diff_to_junit(&all, args.gate.fail_on.level())
        }
        DiffFormat::Markdown => {
            let mut out = String::new();
            let changed: Vec<&(String, Report)> = reports.iter().filter(|(_, r)| !r.findings.is_empty()).collect();
            let icon = if passed { "✅" } else { "❌" };
            out.push_str(&format!(
                "## {icon} contrakt breaking against `{}`\n\n{} contract(s) checked, {} changed; gate {}.\n\n",
                against.label(),
                reports.len(),
                changed.len(),
                if passed { "passed" } else { "failed" }
            ));
            for (id, r) in changed {
                out.push_str(&diff_to_markdown(r, &format!("`{id}`")));
                out.push('\n');
            }
            out
        }
        DiffFormat::Text => {
            let mut out = String::new();
            for (id, r) in reports.iter().filter(|(_, r)| !r.findings.is_empty()) {
                out.push_str(&format!("── {id} ──\n"));
                out.push_str(&diff_to_text(r, TextOptions { color }));
                out.push('\n');
            }
            let breaking: usize = reports.iter().map(|(_, r)| r.findings.iter().filter(|f| f.breaking).count()).sum();
            out.push_str(&format!(
                "Checked {} contract(s) against {}: {breaking} breaking change(s); gate {} ({} ms).\n",
                reports.len(),
                against.label(),
                if passed { "passed" } else { "failed" },
                started.elapsed().as_millis()
            ));
            out
        }
    }
}
