//! `contrakt lint` and `contrakt rules` end to end.

use serde_json::Value;

use crate::{codes, contrakt, contrakt_in, locate, repo, with_stable_output};

const SEVERAL: &str = "fixtures/bad-input/several-findings.odcs.yaml";
const WARNING_ONLY: &str = "fixtures/lint/L102/fail/orders.odcs.yaml";

#[test]
fn the_example_registry_lints_clean() {
    let run = contrakt(["lint", "--color", "never", "contracts/"]);
    run.assert_exit(0);
    assert!(run.stdout.contains("no problems found"), "expected a clean summary\n{run}");
    let summary = run.stdout.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("Checked ")
            && summary.contains(" files: no problems found (")
            && summary.ends_with(" ms)."),
        "unexpected summary line {summary:?}\n{run}"
    );

    let run = contrakt(["lint", "--format", "json", "contracts/"]);
    run.assert_exit(0);
    assert_eq!(run.findings().len(), 0, "{run}");
    let files = run.json()["summary"]["files"].as_u64().unwrap_or(0);
    assert!(files >= 9, "five contracts and four consumers are checked\n{run}");
}

/// Copies the orders contract into a temp folder, breaks one line, and checks that lint
/// points at exactly that line.
#[test]
fn a_broken_copy_of_a_contract_is_reported_at_the_changed_line() {
    let original = std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).expect("read orders contract");

    struct Breakage {
        /// Line (text) that identifies where to start looking.
        after: &'static str,
        from: &'static str,
        to: &'static str,
        code: &'static str,
        message: &'static str,
    }
    let breakages = [
        // A typo in a property's logicalType: not in the schema's enumeration.
        Breakage {
            after: "        name: box_plan",
            from: "logicalType: string",
            to: "logicalType: strng",
            code: "L001",
            message: "logicalType` must be one of: string",
        },
        // A second property named `currency` (`status` is referenced nowhere else).
        Breakage {
            after: "        name: status",
            from: "name: status",
            to: "name: currency",
            code: "L101",
            message: "property `currency` is defined twice",
        },
    ];

    for b in breakages {
        let dir = tempfile::tempdir().expect("tempdir");
        let (after_line, _) = locate(&original, b.after, 1);
        let (line, _) = locate(&original, b.from, after_line);
        let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
        lines[line - 1] = lines[line - 1].replacen(b.from, b.to, 1);
        let broken = lines.join("\n") + "\n";
        // The column of the changed value (the part after `key: `).
        let column = lines[line - 1].find(": ").map(|i| i + 3).expect("a `key: value` line");
        std::fs::write(dir.path().join("orders.odcs.yaml"), &broken).expect("write the broken copy");

        let run = contrakt_in(dir.path(), ["lint", "--format", "json", "orders.odcs.yaml"]);
        run.assert_exit(1);
        // Alone, the copy cannot resolve its reference to `customers` (a warning); the only
        // error is the one introduced.
        let errors: Vec<Value> = run.findings().into_iter().filter(|f| f["level"] == "error").collect();
        assert_eq!(codes(&errors), [b.code], "expected exactly one {} error\n{run}", b.code);
        let f = &errors[0];
        assert_eq!(f["line"], line, "{} should be reported at line {line} (changed to {:?})\n{run}", b.code, b.to);
        assert_eq!(f["column"], column, "{} should point at the bad value\n{run}", b.code);
        assert!(
            f["message"].as_str().unwrap_or_default().contains(b.message),
            "message should contain {:?}\n{run}",
            b.message
        );
        assert_eq!(f["file"], "orders.odcs.yaml", "{run}");
    }
}

#[test]
fn several_findings_text_output() {
    let run = contrakt(["lint", "--color", "never", SEVERAL]);
    run.assert_exit(1);
    assert_eq!(run.stderr, "", "{run}");
    with_stable_output(|| insta::assert_snapshot!("several_findings_text", run.stdout));
}

#[test]
fn several_findings_json_output() {
    let run = contrakt(["lint", "--color", "never", "--format", "json", SEVERAL]);
    run.assert_exit(1);
    assert_eq!(run.stderr, "", "{run}");
    with_stable_output(|| insta::assert_snapshot!("several_findings_json", run.stdout));
}

/// Two operators on one quality rule are an L202 (and the ODCS schema's `oneOf` says so too),
/// but the keys of the rule are valid: they must not be reported as unknown.
#[test]
fn a_rule_with_two_operators_has_no_unknown_keys() {
    let run = contrakt(["lint", "--format", "json", "fixtures/lint/L202/fail/orders.odcs.yaml"]);
    run.assert_exit(1);
    let findings = run.findings();
    assert!(codes(&findings).contains(&"L202"), "{run}");
    let bogus: Vec<&str> = findings
        .iter()
        .filter(|f| f["code"] == "L001")
        .filter_map(|f| f["message"].as_str())
        .filter(|m| m.starts_with("unknown key `"))
        .collect();
    assert!(
        bogus.is_empty(),
        "`metric`, `mustBeGreaterThan` and `mustBeLessThan` are ODCS keys, yet reported as unknown: {bogus:#?}\n{run}"
    );
}

#[test]
fn exit_zero_reports_findings_but_exits_0() {
    let run = contrakt(["lint", "--color", "never", "--exit-zero", SEVERAL]);
    run.assert_exit(0);
    assert!(run.stdout.contains("error[L101]"), "findings are still printed\n{run}");

    let run = contrakt(["lint", "--format", "json", "--exit-zero", SEVERAL]);
    run.assert_exit(0);
    assert!(!run.findings().is_empty(), "{run}");
}

#[test]
fn exit_zero_does_not_hide_unreadable_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("empty.yaml"), "").expect("write");
    let run = contrakt_in(dir.path(), ["lint", "--exit-zero", "empty.yaml"]);
    run.assert_exit(2);
}

#[test]
fn fail_on_warning_fails_a_warning_only_file() {
    let run = contrakt(["lint", "--format", "json", WARNING_ONLY]);
    run.assert_exit(0);
    let findings = run.findings();
    assert_eq!(codes(&findings), ["L102"], "the fixture has exactly one warning\n{run}");
    assert_eq!(findings[0]["level"], "warning", "{run}");

    contrakt(["lint", "--fail-on", "warning", WARNING_ONLY]).assert_exit(1);
    contrakt(["lint", "--fail-on", "info", WARNING_ONLY]).assert_exit(1);
    contrakt(["lint", "--fail-on", "error", WARNING_ONLY]).assert_exit(0);
}

#[test]
fn ignore_removes_a_code() {
    let before = contrakt(["lint", "--format", "json", SEVERAL]);
    let before_findings = before.findings();
    assert!(codes(&before_findings).contains(&"L102"), "{before}");
    let expected: Vec<&str> = codes(&before_findings).into_iter().filter(|c| *c != "L102").collect();

    for selector in ["L102", "l102", "primary-key-not-required"] {
        let run = contrakt(["lint", "--format", "json", "--ignore", selector, SEVERAL]);
        run.assert_exit(1);
        let after = run.findings();
        assert!(!codes(&after).contains(&"L102"), "--ignore {selector} should drop L102\n{run}");
        assert_eq!(codes(&after), expected, "only L102 goes away\n{run}");
        assert_eq!(run.json()["summary"]["warnings"], 0, "{run}");
    }

    // The warning-only file becomes clean, even with --fail-on warning.
    let run = contrakt(["lint", "--color", "never", "--fail-on", "warning", "--ignore", "L102", WARNING_ONLY]);
    run.assert_exit(0);
    assert!(run.stdout.contains("no problems found"), "{run}");

    // Several codes, comma-separated.
    let run = contrakt(["lint", "--format", "json", "--ignore", "L102,L104", SEVERAL]);
    let after = run.findings();
    assert!(!codes(&after).contains(&"L102") && !codes(&after).contains(&"L104"), "{run}");

    // A code that does not exist is a usage error.
    let run = contrakt(["lint", "--ignore", "L999", SEVERAL]);
    run.assert_exit(2);
    assert!(run.stderr.contains("no rule `L999`"), "{run}");
}

#[test]
fn rules_lists_every_code() {
    let run = contrakt(["rules"]);
    run.assert_exit(0);
    let listed: Vec<&str> = run.stdout.lines().filter_map(|l| l.split_whitespace().next()).collect();
    let registry: Vec<&str> = contrakt_core::lint::RULES
        .iter()
        .map(|r| r.code)
        .chain(contrakt_core::diff::rules::CATALOG.iter().map(|r| r.code))
        .chain(contrakt_core::expect::CHECKS.iter().map(|c| c.code))
        .collect();
    assert_eq!(
        listed, registry,
        "`contrakt rules` lists each lint rule, each breaking rule, then each check, once\n{run}"
    );
    for rule in contrakt_core::lint::RULES {
        let line = run.stdout.lines().find(|l| l.starts_with(rule.code)).unwrap_or_default();
        assert!(line.contains(rule.name) && line.contains(rule.summary), "{}: {line:?}\n{run}", rule.code);
    }
    // Every rule with a fixture folder is listed (a second source of truth).
    for entry in std::fs::read_dir(repo().join("fixtures/lint")).expect("fixtures/lint") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(listed.contains(&name.as_str()), "fixtures/lint/{name} has no rule in `contrakt rules`\n{run}");
    }

    let run = contrakt(["rules", "--format", "json"]);
    run.assert_exit(0);
    let json = run.json();
    let json_codes: Vec<&str> = json.as_array().expect("an array").iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(json_codes, registry, "{run}");
}

/// The list is a table: the name, level and summary columns line up.
#[test]
fn rules_list_columns_line_up() {
    let run = contrakt(["rules"]);
    run.assert_exit(0);
    let mut starts = std::collections::BTreeMap::new();
    for rule in contrakt_core::lint::RULES {
        let line = run.stdout.lines().find(|l| l.starts_with(rule.code)).unwrap_or_default();
        let at = line.find(rule.summary).unwrap_or(usize::MAX);
        starts.entry(at).or_insert_with(Vec::new).push(rule.code);
    }
    assert_eq!(starts.len(), 1, "summaries start at different columns (column → codes): {starts:?}\n{run}");
}

#[test]
fn rules_explains_one_rule() {
    for selector in ["L101", "l101", "duplicate-name"] {
        let run = contrakt(["rules", selector]);
        run.assert_exit(0);
        assert!(run.stdout.starts_with("L101 duplicate-name (error)"), "{run}");
        for heading in ["## What it does", "## Why", "## Example"] {
            assert!(run.stdout.contains(heading), "missing {heading:?}\n{run}");
        }
    }
}

#[test]
fn rules_rejects_an_unknown_rule() {
    let run = contrakt(["rules", "NOPE"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("no rule `NOPE`"), "{run}");
    assert_eq!(run.stdout, "", "{run}");
}

/// `docs/lint-rules.md`, `docs/breaking-rules.md` and `docs/check-rules.md` are generated; they
/// must match what the binary prints.
#[test]
fn the_rules_docs_pages_are_up_to_date() {
    for kind in ["lint", "breaking", "check"] {
        let page = format!("docs/{kind}-rules.md");
        let run = contrakt(["rules", "--format", "markdown", "--kind", kind]);
        run.assert_exit(0);
        let committed = std::fs::read_to_string(repo().join(&page)).unwrap_or_default();
        assert!(
            committed == run.stdout,
            "{page} is out of date with the rule registry; regenerate it with\n\n    cargo run -- rules --format markdown --kind {kind} > {page}\n"
        );
    }
}
