//! `contrakt rules [CODE]`: the lint rules and the breaking-change catalog, as a list, one
//! explanation, or the generated docs pages.

use contrakt_core::diff::rules as breaking;
use contrakt_core::lint::registry as lint;
use contrakt_core::{Error, Level};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{RuleKind, RulesArgs, RulesFormat};
use crate::commands::print;

/// One entry of either registry, as the listings show it.
struct Entry {
    code: &'static str,
    name: &'static str,
    level: Level,
    summary: &'static str,
    docs: &'static str,
    /// Breaking rules: the default verdict per direction.
    verdict: Option<(breaking::Verdict, breaking::Verdict)>,
    /// Breaking rules: the family `use`/`except` can select it by.
    category: Option<breaking::Category>,
    /// Breaking rules: the buf checks it makes and their buf categories (also selectors).
    buf: Option<String>,
}

fn entries(kind: RuleKind) -> Vec<Entry> {
    let mut out = Vec::new();
    if matches!(kind, RuleKind::All | RuleKind::Lint) {
        out.extend(lint::RULES.iter().map(|r| Entry {
            code: r.code,
            name: r.name,
            level: r.level,
            summary: r.summary,
            docs: r.docs,
            verdict: None,
            category: None,
            buf: None,
        }));
    }
    if matches!(kind, RuleKind::All | RuleKind::Breaking) {
        out.extend(breaking::CATALOG.iter().map(|r| Entry {
            code: r.code,
            name: r.slug,
            level: r.level,
            summary: r.summary,
            docs: r.docs,
            verdict: Some((r.backward, r.forward)),
            category: Some(r.category()),
            buf: buf_checks(r),
        }));
    }
    if matches!(kind, RuleKind::All | RuleKind::Check) {
        // A check's severity comes from its rule (`severity`, default error); Q103 is info, Q601 a warning.
        out.extend(contrakt_core::expect::CHECKS.iter().map(|c| Entry {
            code: c.code,
            name: c.name,
            level: match c.code {
                "Q103" => Level::Info,
                // An anomaly warns unless its spec says `severity: error`.
                "Q601" => Level::Warning,
                _ => Level::Error,
            },
            summary: c.summary,
            docs: c.docs,
            verdict: None,
            category: None,
            buf: None,
        }));
    }
    out
}

/// "buf: `FIELD_NO_DELETE` (buf categories FILE, PACKAGE)" for a rule that makes buf checks.
fn buf_checks(r: &breaking::BreakingRule) -> Option<String> {
    let categories = r.buf_categories();
    if categories.is_empty() {
        return None;
    }
    let names: Vec<String> =
        r.aliases.iter().filter(|a| r.buf_selects(a) == Some(true)).map(|a| format!("`{a}`")).collect();
    Some(format!("buf: {} (buf categories {})", names.join(", "), categories.join(", ")))
}

pub(crate) fn run(args: RulesArgs) -> Result<ExitStatus, Error> {
    let all = entries(args.kind);
    let rules: Vec<&Entry> = match &args.rule {
        Some(sel) => {
            let sel_code = sel.strip_prefix("CK-").unwrap_or(sel);
            match all.iter().find(|r| r.code.eq_ignore_ascii_case(sel_code) || r.name.eq_ignore_ascii_case(sel)) {
                Some(r) => vec![r],
                None => {
                    eprintln!("error: no rule `{sel}`; `contrakt rules` lists them");
                    return Ok(ExitStatus::Error);
                }
            }
        }
        None => all.iter().collect(),
    };
    let text = match args.format {
        RulesFormat::Json => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| {
                    let mut o =
                        json!({"code": r.code, "name": r.name, "level": r.level, "summary": r.summary, "docs": r.docs});
                    if let Some((b, f)) = r.verdict {
                        o["backward"] = json!(verdict(b));
                        o["forward"] = json!(verdict(f));
                    }
                    if let Some(c) = r.category {
                        o["category"] = json!(c.name());
                    }
                    o
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
        }
        RulesFormat::Markdown => markdown(&rules, args.kind),
        RulesFormat::Text if args.rule.is_some() => {
            let r = rules[0];
            let verdicts = r
                .verdict
                .map_or(String::new(), |(b, f)| format!("backward: {}, forward: {}\n\n", verdict(b), verdict(f)));
            let verdicts = match r.category {
                Some(c) => format!("{verdicts}category: {c}\n\n"),
                None => verdicts,
            };
            format!("{} {} ({})\n\n{}\n\n{verdicts}{}", r.code, r.name, r.level, r.summary, r.docs)
        }
        RulesFormat::Text => {
            rules.iter().map(|r| format!("{}  {:<34} {:<8} {}\n", r.code, r.name, r.level, r.summary)).collect()
        }
    };
    print(&text, false);
    Ok(ExitStatus::Success)
}

fn verdict(v: breaking::Verdict) -> &'static str {
    match v {
        breaking::Verdict::Compatible => "compatible",
        breaking::Verdict::Breaking => "breaking",
        breaking::Verdict::Depends => "depends on the format's reader semantics",
    }
}

/// A generated reference page: `docs/lint-rules.md` (`--kind lint`) and
/// `docs/breaking-rules.md` (`--kind breaking`).
fn markdown(rules: &[&Entry], kind: RuleKind) -> String {
    let title = match kind {
        RuleKind::Lint => "Lint rules",
        RuleKind::Breaking => "Breaking-change rules",
        RuleKind::Check => "Checks",
        RuleKind::All => "Rules",
    };
    let mut out = format!(
        "# {title}\n\n<!-- Generated by `contrakt rules --format markdown --kind {}`; do not edit. -->\n\n",
        match kind {
            RuleKind::Lint => "lint",
            RuleKind::Breaking => "breaking",
            RuleKind::Check => "check",
            RuleKind::All => "all",
        }
    );
    let breaking_table = rules.iter().any(|r| r.verdict.is_some());
    if breaking_table {
        out.push_str("B = BACKWARD (a reader of the new schema reads old data), F = FORWARD (today's readers read new data). Categories nest for `use`/`except` in `contrakt.yaml`: WIRE ⊂ SCHEMA ⊂ SEMANTIC; POLICY stands apart. buf's categories select the rules that make buf's checks: `buf:WIRE`, `buf:WIRE_JSON` (or `WIRE_JSON`), `PACKAGE`, `FILE`; so does a buf rule name (`FIELD_NO_DELETE`).\n\n| code | name | B | F | category | level | summary |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    } else {
        out.push_str("| code | name | level | summary |\n| --- | --- | --- | --- |\n");
    }
    let mark = |v: breaking::Verdict| match v {
        breaking::Verdict::Compatible => "✓",
        breaking::Verdict::Breaking => "✗",
        breaking::Verdict::Depends => "~",
    };
    for r in rules {
        let summary = r.summary.replace('|', "\\|");
        match r.verdict {
            Some((b, f)) => out.push_str(&format!(
                "| [{}](#{}) | `{}` | {} | {} | {} | {} | {summary} |\n",
                r.code,
                r.code.to_lowercase(),
                r.name,
                mark(b),
                mark(f),
                r.category.map_or("", breaking::Category::name),
                r.level
            )),
            None => out.push_str(&format!(
                "| [{}](#{}) | `{}` | {} | {summary} |\n",
                r.code,
                r.code.to_lowercase(),
                r.name,
                r.level
            )),
        }
    }
    for r in rules {
        let docs = r.docs.replace("## ", "### ");
        let buf = r.buf.as_ref().map_or(String::new(), |b| format!(" · {b}"));
        out.push_str(&format!(
            "\n## {}\n\n`{}` · default level: {}{buf}\n\n{}\n\n{}",
            r.code, r.name, r.level, r.summary, docs
        ));
    }
    out
}
