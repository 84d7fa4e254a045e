//! Renderers for the breaking-change gate: text, JSON (a stable interface) and markdown
//! (a ready pull-request comment).

use contrakt_core::Finding as Diagnostic;
use contrakt_core::Level;
use contrakt_core::diff::gate::{Finding, Report};
use serde_json::{Value, json};

use crate::json::JSON_SCHEMA_VERSION;
use crate::text::{TextOptions, render_text};

fn count(report: &Report, level: Level) -> usize {
    report.findings.iter().filter(|f| f.level == level).count()
}

/// `{version, command, mode, compatible, passed, summary, findings: [{code, rule, level, path,
/// breaks, affected_consumers, moving_consumers, message, old, new, file, line, column, hint,
/// against}]}`
pub fn diff_to_json(report: &Report) -> Value {
    json!({
        "version": JSON_SCHEMA_VERSION,
        "command": "diff",
        "mode": report.mode.as_str(),
        "compatible": report.compatible,
        "passed": report.passed,
        "summary": {
            "errors": count(report, Level::Error),
            "warnings": count(report, Level::Warning),
            "infos": count(report, Level::Info),
            "breaking": report.findings.iter().filter(|f| f.breaking).count(),
        },
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
    })
}

fn finding_json(f: &Finding) -> Value {
    let loc = f.file.as_ref().zip(f.span.filter(|s| !s.is_none())).map(|(file, s)| file.location(s.start as usize));
    json!({
        "code": f.change.rule.code,
        "rule": f.change.rule.slug,
        "level": f.level,
        "path": f.change.display_path,
        "breaks": f.change.breaks.names(),
        "breaking": f.breaking,
        "affected_consumers": f.affected_consumers,
        "moving_consumers": f.moving_consumers,
        "message": f.change.message,
        "old": f.change.old,
        "new": f.change.new,
        "file": f.file.as_ref().map(|s| s.name()),
        "line": loc.map(|l| l.line),
        "column": loc.map(|l| l.column),
        "hint": f.change.hint,
        "against": f.against,
    })
}

/// As diagnostics with snippets, followed by a verdict line.
pub fn diff_to_text(report: &Report, options: TextOptions) -> String {
    let diagnostics: Vec<Diagnostic> = report.findings.iter().map(|f| diagnostic(f, report.consumers_known)).collect();
    let mut out = render_text(&diagnostics, options);
    out.push_str(&verdict_line(report));
    out.push('\n');
    out
}

fn diagnostic(f: &Finding, consumers_known: bool) -> Diagnostic {
    let mut message = f.change.message.clone();
    if f.breaking {
        message.push_str(&format!(" [breaks {}]", f.change.breaks.names().join(" and ")));
    }
    if let Some(against) = &f.against {
        message.push_str(&format!(" (against {against})"));
    }
    let mut help = Vec::new();
    if f.breaking && f.change.breaks.forward && consumers_known {
        if f.affected_consumers.is_empty() {
            help.push("breaking for 0 known consumers".to_string());
        } else {
            help.push(format!("breaks consumers: {}", f.affected_consumers.join(", ")));
        }
    }
    if !f.moving_consumers.is_empty() {
        help.push(format!(
            "consumers pinned to the previous major version, to be told a new one is coming: {}",
            f.moving_consumers.join(", ")
        ));
    }
    help.extend(f.change.hint.clone());
    Diagnostic {
        code: f.change.rule.code,
        name: f.change.rule.slug,
        level: f.level,
        message,
        file: f.file.clone(),
        span: f.span,
        path: Some(f.change.display_path.clone()),
        notes: Vec::new(),
        help: (!help.is_empty()).then(|| help.join("; ")),
        fatal: false,
    }
}

fn verdict_line(report: &Report) -> String {
    let breaking = report.findings.iter().filter(|f| f.breaking).count();
    let affected: std::collections::BTreeSet<&str> =
        report.findings.iter().flat_map(|f| f.affected_consumers.iter().map(String::as_str)).collect();
    let compat = if report.compatible {
        format!("compatible under {}", report.mode)
    } else {
        format!("{breaking} breaking change{} under {}", if breaking == 1 { "" } else { "s" }, report.mode)
    };
    let consumers = if affected.is_empty() {
        String::new()
    } else {
        format!(", affecting {}", affected.into_iter().collect::<Vec<_>>().join(", "))
    };
    let gate = if report.passed { "passed" } else { "failed" };
    format!(
        "{compat}{consumers}; {} error(s), {} warning(s), {} info; gate {gate}.",
        count(report, Level::Error),
        count(report, Level::Warning),
        count(report, Level::Info)
    )
}

/// A pull-request comment: verdict, a table of findings with affected consumers, and how to
/// evolve safely for each rule that fired.
pub fn diff_to_markdown(report: &Report, title: &str) -> String {
    let icon = if report.passed { "✅" } else { "❌" };
    let mut out = format!("### {icon} contrakt: {title}\n\n{}\n\n", verdict_line(report));
    if report.findings.is_empty() {
        out.push_str("No schema changes.\n");
        return out;
    }
    out.push_str("| level | rule | path | breaks | consumers | change |\n| --- | --- | --- | --- | --- | --- |\n");
    for f in &report.findings {
        let breaks =
            if f.change.breaks.names().is_empty() { "—".to_string() } else { f.change.breaks.names().join(", ") };
        let consumers =
            if f.affected_consumers.is_empty() { "—".to_string() } else { f.affected_consumers.join(", ") };
        out.push_str(&format!(
            "| {} | `{}` {} | `{}` | {} | {} | {} |\n",
            f.level,
            f.change.rule.code,
            f.change.rule.slug,
            f.change.display_path,
            breaks,
            consumers,
            f.change.message.replace('|', "\\|")
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    let advice: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.level >= Level::Warning && seen.insert(f.change.rule.code))
        .filter_map(|f| {
            let docs = f.change.rule.docs;
            let start = docs.find("## How to evolve safely")? + "## How to evolve safely".len();
            let rest = &docs[start..];
            let end = rest.find("\n## ").unwrap_or(rest.len());
            Some(format!(
                "- **{} {}**: {}",
                f.change.rule.code,
                f.change.rule.slug,
                rest[..end].trim().replace('\n', " ")
            ))
        })
        .collect();
    if !advice.is_empty() {
        out.push_str("\n<details><summary>How to evolve safely</summary>\n\n");
        out.push_str(&advice.join("\n"));
        out.push_str("\n\n</details>\n");
    }
    out
}

/// GitHub Actions workflow commands (`::error file=…,line=…::…`): annotations on the pull
/// request's files.
pub fn github_annotations(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = &f.file {
            props.push(format!("file={}", escape_property(file.name())));
            if let Some(span) = f.span.filter(|s| !s.is_none()) {
                let loc = file.location(span.start as usize);
                props.push(format!("line={},col={}", loc.line, loc.column));
            }
        }
        props.push(format!("title={}", escape_property(&format!("{} {}", f.change.rule.code, f.change.rule.slug))));
        let mut message = format!("{}: {}", f.change.display_path, f.change.message);
        if !f.affected_consumers.is_empty() {
            message.push_str(&format!(" (breaks {})", f.affected_consumers.join(", ")));
        }
        out.push_str(&format!("::{command} {}::{}\n", props.join(","), escape_data(&message)));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
