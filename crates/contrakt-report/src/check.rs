//! Check reports ([`CheckReport`]) as text, JSON (`docs/check-output.md`), markdown and JUnit.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use serde_json::json;

use contrakt_core::Level;

use crate::ci::xml;
use contrakt_core::expect::{CheckReport, CheckResult, Quarantined, Status, Summary};

/// Version of the `--format json` check report; bumped on incompatible changes.
pub const CHECK_JSON_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, Default)]
pub struct CheckTextOptions {
    pub color: bool,
    /// List passing checks too.
    pub show_passed: bool,
}

fn total(reports: &[CheckReport]) -> Summary {
    let mut s = Summary::default();
    for r in reports {
        s.total += r.summary.total;
        s.passed += r.summary.passed;
        s.failed += r.summary.failed;
        s.warned += r.summary.warned;
        s.errors += r.summary.errors;
        s.skipped += r.summary.skipped;
    }
    s
}

/// `{"version": 1, "passed": …, "summary": …, "reports": [CheckReport…]}`.
pub fn check_to_json(reports: &[CheckReport], fail_on: Level) -> String {
    let passed = !reports.iter().any(|r| r.fails_at(fail_on));
    let value = json!({
        "version": CHECK_JSON_VERSION,
        "passed": passed,
        "summary": total(reports),
        "reports": reports,
    });
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

fn badge(status: Status) -> (&'static str, Style) {
    let c = |c: AnsiColor| Style::new().fg_color(Some(c.into())).bold();
    match status {
        Status::Pass => ("pass", c(AnsiColor::Green)),
        Status::Fail => ("FAIL", c(AnsiColor::Red)),
        Status::Warn => ("warn", c(AnsiColor::Yellow)),
        Status::Error => ("ERROR", c(AnsiColor::Magenta)),
        Status::Skipped => ("skip", Style::new().dimmed()),
    }
}

fn paint(text: &str, style: Style, color: bool) -> String {
    if color { format!("{style}{text}{style:#}") } else { text.to_string() }
}

/// A terminal report: per object a header line, then every result that did not pass (and, with
/// `show_passed`, those that did), samples indented under failures, and one summary line.
pub fn check_to_text(reports: &[CheckReport], options: CheckTextOptions) -> String {
    let mut out = String::new();
    let color = options.color;
    for report in reports {
        let _ = writeln!(
            out,
            "{} {} (v{}) at {}",
            paint("contract", Style::new().bold(), color),
            report.contract,
            report.contract_version,
            report.now
        );
        for o in &report.objects {
            match &o.error {
                Some(e) => {
                    let _ = writeln!(out, "  {} {}: {e}", paint("ERROR", badge(Status::Error).1, color), o.object);
                }
                None => {
                    let rows = o.rows.map_or("?".to_string(), |r| r.to_string());
                    let extra = if o.plans > 1 { format!(" + {} separate", o.plans - 1) } else { String::new() };
                    let _ = writeln!(
                        out,
                        "  {} {}: {rows} rows from {} ({}), 1 fused scan{extra}, {} ms",
                        paint("object", Style::new().bold(), color),
                        o.object,
                        o.source,
                        match o.table_version {
                            Some(v) => format!("{} version {v}", o.format),
                            None => o.format.clone(),
                        },
                        o.duration_ms
                    );
                }
            }
            if let Some(q) = &o.quarantine {
                quarantine_line(&mut out, q, color);
            }
            let shown = report
                .results
                .iter()
                .filter(|r| r.object == o.object)
                .filter(|r| options.show_passed || r.status != Status::Pass);
            let mut lines: Vec<&CheckResult> = shown.collect();
            lines.sort_by_key(|r| std::cmp::Reverse(rank(r.status)));
            for r in lines {
                line(&mut out, r, color);
            }
        }
        let s = &report.summary;
        let verdict = if report.passed {
            paint("passed", badge(Status::Pass).1, color)
        } else {
            paint("failed", badge(Status::Fail).1, color)
        };
        let _ = writeln!(
            out,
            "  {verdict}: {} checks, {} passed, {} failed, {} warned, {} could not run, {} skipped ({} ms)\n",
            s.total, s.passed, s.failed, s.warned, s.errors, s.skipped, report.duration_ms
        );
    }
    out
}

fn rank(s: Status) -> u8 {
    match s {
        Status::Error => 4,
        Status::Fail => 3,
        Status::Warn => 2,
        Status::Skipped => 1,
        Status::Pass => 0,
    }
}

/// Where an object's failing rows went (`--quarantine`), and which checks have none to give.
fn quarantine_line(out: &mut String, q: &Quarantined, color: bool) {
    let label = paint("quarantine", Style::new().bold(), color);
    match &q.error {
        Some(e) => {
            let _ = writeln!(out, "  {label} not written: {e}");
        }
        None => {
            let rows = if q.rows == 1 { "1 row".to_string() } else { format!("{} rows", q.rows) };
            let _ = writeln!(out, "  {label} {rows} failing {} row-level checks: {}", q.checks.len(), q.location);
        }
    }
    if !q.tolerated.is_empty() {
        let _ = writeln!(
            out,
            "    {}",
            paint(
                &format!("tolerating failing rows, nothing quarantined: {}", q.tolerated.join(", ")),
                Style::new().dimmed(),
                color
            )
        );
    }
    if !q.not_row_level.is_empty() {
        let _ = writeln!(
            out,
            "    {}",
            paint(
                &format!("not row-level, nothing quarantined: {}", q.not_row_level.join(", ")),
                Style::new().dimmed(),
                color
            )
        );
    }
}

fn line(out: &mut String, r: &CheckResult, color: bool) {
    let (label, style) = badge(r.status);
    let what = match &r.property {
        Some(p) => format!("{}.{p}", r.object),
        None => r.object.clone(),
    };
    let _ = writeln!(
        out,
        "    {} {} {:<16} {what}: {}",
        paint(&format!("{label:<5}"), style, color),
        r.code,
        r.kind,
        r.message
    );
    if r.id != format!("{what}.{}", r.kind) {
        let at = r.location.as_deref().map(|l| format!(" at {l}")).unwrap_or_default();
        let _ = writeln!(out, "                {}", paint(&format!("rule {}{at}", r.id), Style::new().dimmed(), color));
    }
    for s in &r.samples {
        let _ = writeln!(
            out,
            "                {}",
            paint(&serde_json::Value::Object(s.clone()).to_string(), Style::new().dimmed(), color)
        );
    }
}

/// A pull-request or job-summary comment: a verdict line and a table of what did not pass.
pub fn check_to_markdown(reports: &[CheckReport], fail_on: Level) -> String {
    let mut out = String::new();
    let s = total(reports);
    let passed = !reports.iter().any(|r| r.fails_at(fail_on));
    let _ = writeln!(
        out,
        "### {} contrakt check: {} of {} checks passed\n",
        if passed { "✅" } else { "❌" },
        s.passed,
        s.total
    );
    let _ =
        writeln!(out, "{} failed, {} warned, {} could not run, {} skipped.\n", s.failed, s.warned, s.errors, s.skipped);
    let bad: Vec<(&CheckReport, &CheckResult)> = reports
        .iter()
        .flat_map(|rep| {
            rep.results
                .iter()
                .filter(|r| r.status != Status::Pass && r.status != Status::Skipped)
                .map(move |r| (rep, r))
        })
        .collect();
    if !bad.is_empty() {
        out.push_str(
            "| status | contract | check | where | value | threshold | message |\n|---|---|---|---|---|---|---|\n",
        );
        for (rep, r) in bad {
            let at = match &r.property {
                Some(p) => format!("{}.{p}", r.object),
                None => r.object.clone(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | `{}` {} | `{}` | {} | {} | {} |",
                r.status.as_str(),
                cell(&rep.contract),
                r.code,
                cell(&r.id),
                cell(&at),
                r.value.map(contrakt_core::expect::threshold::format_number).unwrap_or_default(),
                cell(r.threshold.as_deref().unwrap_or("")),
                cell(&r.message)
            );
        }
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// JUnit XML: a suite per contract, a case per check; failures and errors as such, skips as
/// skipped.
pub fn check_to_junit(reports: &[CheckReport]) -> String {
    let mut suites = String::new();
    let s = total(reports);
    for rep in reports {
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            xml(&rep.contract),
            rep.summary.total,
            rep.summary.failed + rep.summary.warned,
            rep.summary.errors,
            rep.summary.skipped,
            rep.duration_ms as f64 / 1000.0
        );
        for r in &rep.results {
            let _ = write!(
                suites,
                "    <testcase name=\"{} {}\" classname=\"{}\"",
                r.code,
                xml(&r.id),
                xml(&format!("{}.{}", rep.contract, r.object))
            );
            let body = format!(
                "{}\n{}",
                r.message,
                r.samples
                    .iter()
                    .map(|s| serde_json::Value::Object(s.clone()).to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            match r.status {
                Status::Pass => suites.push_str(" />\n"),
                Status::Fail | Status::Warn => {
                    let _ = write!(
                        suites,
                        ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                        r.severity,
                        xml(&r.message),
                        xml(&body)
                    );
                }
                Status::Error => {
                    let _ = write!(suites, ">\n      <error message=\"{}\" />\n    </testcase>\n", xml(&r.message));
                }
                Status::Skipped => {
                    let _ = write!(suites, ">\n      <skipped message=\"{}\" />\n    </testcase>\n", xml(&r.message));
                }
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"contrakt check\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">\n{suites}</testsuites>\n",
        s.total,
        s.failed + s.warned,
        s.errors,
        s.skipped
    )
}
