//! CI formats for the breaking-change gate: SARIF 2.1.0 (code scanning) and JUnit XML (test
//! report panes). Both take one report per contract.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use contrakt_core::Level;
use contrakt_core::diff::gate::Report;
use serde_json::{Value, json};

/// SARIF 2.1.0: one run, the rules that fired with their docs, one result per finding.
pub fn diff_to_sarif(reports: &[(&str, &Report)]) -> Value {
    let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for (contract, report) in reports {
        for f in &report.findings {
            let rule = f.change.rule;
            rules.entry(rule.code).or_insert_with(|| {
                json!({
                    "id": rule.code,
                    "name": rule.slug,
                    "shortDescription": {"text": rule.summary},
                    "help": {"text": rule.summary, "markdown": rule.docs},
                    "defaultConfiguration": {"level": sarif_level(rule.level)},
                })
            });
            let mut result = json!({
                "ruleId": rule.code,
                "level": sarif_level(f.level),
                "message": {"text": f.change.message},
                "properties": {
                    "contract": contract,
                    "path": f.change.display_path,
                    "breaks": f.change.breaks.names(),
                    "breaking": f.breaking,
                    "affectedConsumers": f.affected_consumers,
                    "mode": report.mode.as_str(),
                },
            });
            if let (Some(file), Some(span)) = (&f.file, f.span.filter(|s| !s.is_none())) {
                let (start, end) = (file.location(span.start as usize), file.location(span.end as usize));
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": file.name()},
                        "region": {"startLine": start.line, "startColumn": start.column, "endLine": end.line, "endColumn": end.column},
                    }
                }]);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "contrakt",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/contrakt/contrakt",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    })
}

fn sarif_level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Info => "note",
    }
}

/// JUnit XML: a test suite per contract, a test case per finding (failed at or above
/// `fail_on`), and one passing case for a contract without findings.
pub fn diff_to_junit(reports: &[(&str, &Report)], fail_on: Level) -> String {
    let mut suites = String::new();
    let (mut total, mut failures) = (0, 0);
    for (contract, report) in reports {
        let mut cases = String::new();
        let mut suite_failures = 0;
        for f in &report.findings {
            let name = format!("{} {} {}", f.change.rule.code, f.change.rule.slug, f.change.display_path);
            let _ = write!(cases, "    <testcase name=\"{}\" classname=\"{}\"", xml(&name), xml(contract));
            if f.level >= fail_on {
                suite_failures += 1;
                let location = match (&f.file, f.span.filter(|s| !s.is_none())) {
                    (Some(file), Some(span)) => format!("{}:{}", file.name(), file.location(span.start as usize)),
                    _ => String::new(),
                };
                let detail = format!(
                    "{location}\n{}\nbreaks: {}\naffected consumers: {}",
                    f.change.message,
                    f.change.breaks.names().join(", "),
                    f.affected_consumers.join(", ")
                );
                let _ = write!(
                    cases,
                    ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                    f.change.rule.code,
                    xml(&f.change.message),
                    xml(&detail)
                );
            } else {
                cases.push_str(" />\n");
            }
        }
        let tests = report.findings.len().max(1);
        if report.findings.is_empty() {
            let _ = writeln!(
                cases,
                "    <testcase name=\"compatible under {}\" classname=\"{}\" />",
                report.mode,
                xml(contract)
            );
        }
        total += tests;
        failures += suite_failures;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{suite_failures}\" errors=\"0\">\n{cases}  </testsuite>\n",
            xml(contract)
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"contrakt\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}

pub(crate) fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
