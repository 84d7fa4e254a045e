//! Lint against real files: the official ODCS examples, the rule fixtures, the example registry.

use std::path::{Path, PathBuf};

use super::{Options, Workspace, lint};
use crate::diagnostic::{Finding, Level};
use crate::registry::discover;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn conformance() -> PathBuf {
    repo().join("tests/conformance/odcs")
}

fn lint_paths(paths: &[PathBuf]) -> Vec<Finding> {
    let found = discover(paths).expect("paths exist");
    let mut findings: Vec<Finding> = found.errors.iter().flat_map(|e| Finding::from_error(e, None)).collect();
    let report = lint(
        Workspace { contracts: found.contracts, consumers: found.consumers, context: Vec::new() },
        &Options::default(),
    );
    findings.extend(report.findings);
    findings
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {}:{:?} {}",
                f.code,
                f.level,
                f.file_name().unwrap_or("-"),
                f.location().map(|l| l.line),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_official_v3_1_example_lints_without_errors() {
    let files = yaml_files(&conformance().join("v3.1.0/examples"));
    assert_eq!(files.len(), 18, "the ODCS v3.1.0 example set has 18 contracts");
    for file in files {
        let errors: Vec<Finding> =
            lint_paths(std::slice::from_ref(&file)).into_iter().filter(|f| f.level == Level::Error).collect();
        assert!(errors.is_empty(), "{}:\n{}", file.display(), describe(&errors));
    }
}

#[test]
fn every_official_example_loads_into_the_model() {
    let mut loaded = 0;
    for (dir, expected) in [("v3.1.0/examples", 18), ("v3.2.0-draft/examples", 28)] {
        let files = yaml_files(&conformance().join(dir));
        assert_eq!(files.len(), expected, "{dir}");
        for file in files {
            let source = crate::registry::read_source(&file).unwrap();
            let doc = crate::odcs::load(source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(!doc.contract.id.is_empty(), "{}", file.display());
            loaded += 1;
        }
    }
    assert_eq!(loaded, 46);
}

#[test]
fn the_v3_0_2_schema_rejects_what_only_v3_1_allows() {
    // SOURCE.md: 8 of the 18 v3.1.0 examples fail the v3.0.2 schema. Our fallback must not
    // hide real v3.0 violations: a v3.1 construct in a v3.0 document that v3.1 also rejects fails.
    let source = crate::SourceFile::new(
        "bad.yaml",
        "apiVersion: v3.0.2\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\nowner: me\n",
    );
    let doc = crate::document::Document::parse(source).unwrap();
    let findings = lint(Workspace { contracts: vec![doc], ..Default::default() }, &Options::default()).findings;
    assert!(findings.iter().any(|f| f.code == "L001" && f.message.contains("`owner`")), "{}", describe(&findings));
}

#[test]
fn each_rule_has_a_failing_and_a_passing_fixture() {
    let root = repo().join("fixtures/lint");
    for rule in super::RULES {
        let dir = root.join(rule.code);
        let fail = lint_paths(&[dir.join("fail")]);
        assert!(
            fail.iter().any(|f| f.code == rule.code),
            "{}/fail should report {}, got:\n{}",
            rule.code,
            rule.code,
            describe(&fail)
        );
        assert!(fail.iter().all(|f| !f.fatal), "{}/fail must be readable:\n{}", rule.code, describe(&fail));
        let pass = lint_paths(&[dir.join("pass")]);
        let bad: Vec<_> = pass.iter().filter(|f| f.code == rule.code || f.level == Level::Error).cloned().collect();
        assert!(bad.is_empty(), "{}/pass should be clean:\n{}", rule.code, describe(&bad));
    }
}

#[test]
fn the_example_registry_lints_clean() {
    let findings = lint_paths(&[repo().join("contracts")]);
    assert!(findings.is_empty(), "{}", describe(&findings));
    let found = discover(&[repo().join("contracts")]).unwrap();
    assert!(found.contracts.len() >= 5, "at least five contracts");
    assert!(found.consumers.len() >= 4, "at least four consumers");
    assert!(found.config.is_some(), "contracts/contrakt.yaml is read");
}
