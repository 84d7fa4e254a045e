//! `contrakt breaking --against REF` against a temporary git repository with two commits.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::{contrakt_in, repo};

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git").args(args).current_dir(dir).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A repository whose `main` holds the example registry; the working tree is then edited.
fn registry_repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    git(&root, &["init", "-q", "-b", "main"]);
    git(&root, &["config", "user.email", "ci@example.com"]);
    git(&root, &["config", "user.name", "CI"]);
    copy_dir(&repo().join("contracts"), &root.join("contracts"));
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "registry v1"]);
    (tmp, root)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn edit(root: &Path, file: &str, from: &str, to: &str) {
    let path = root.join(file);
    let text = std::fs::read_to_string(&path).expect("read");
    assert!(text.contains(from), "{file} contains {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

fn json(run: &crate::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e})\n{run}"))
}

#[test]
fn an_unchanged_registry_passes() {
    let (_tmp, root) = registry_repo();
    for against in ["main", ".git#branch=main", "HEAD"] {
        let run = contrakt_in(&root, ["breaking", "contracts", "--against", against]);
        run.assert_exit(0);
        assert!(run.stdout.contains("Checked 5 contract(s)"), "{run}");
    }
}

#[test]
fn a_breaking_change_names_the_contract_rule_and_consumers() {
    let (_tmp, root) = registry_repo();
    // Loosen the currency's maximum length: today's readers sized their column for 3.
    edit(&root, "contracts/orders.odcs.yaml", "maxLength: 3", "maxLength: 8");
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(1);
    let report = json(&run);
    assert_eq!(report["passed"], false, "{run}");
    let findings = report["findings"].as_array().expect("findings");
    let c002 = findings.iter().find(|f| f["code"] == "C002").unwrap_or_else(|| panic!("C002 reported\n{run}"));
    assert_eq!(c002["contract"], "urn:contrakt:meal-kit:orders");
    assert_eq!(c002["path"], "orders.currency");
    assert_eq!(c002["breaks"], serde_json::json!(["forward"]));
    assert!(c002["affected_consumers"].as_array().unwrap().iter().any(|c| c == "finance-revenue-dashboard"), "{run}");
    assert_eq!(c002["file"], "contracts/orders.odcs.yaml");
    let text = std::fs::read_to_string(root.join("contracts/orders.odcs.yaml")).unwrap();
    let line = c002["line"].as_u64().unwrap() as usize;
    assert!(text.lines().nth(line - 1).unwrap().contains("orders_currency"), "line {line} is the currency property");
    // The version did not move: that is its own finding.
    assert!(findings.iter().any(|f| f["code"] == "V001"), "{run}");

    // The same through a commit: compare HEAD against HEAD~1.
    git(&root, &["commit", "-q", "-am", "loosen currency"]);
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "HEAD~1", "--format", "github"]);
    run.assert_exit(1);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error file=contracts/orders.odcs.yaml,line=") && l.contains("C002")),
        "{run}"
    );
}

#[test]
fn removed_and_added_contracts() {
    let (_tmp, root) = registry_repo();
    std::fs::remove_file(root.join("contracts/deliveries.odcs.yaml")).unwrap();
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(1);
    let report = json(&run);
    let removed: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "S001").collect();
    assert!(!removed.is_empty(), "{run}");
    assert_eq!(removed[0]["contract"], "urn:contrakt:meal-kit:deliveries");
    assert_eq!(removed[0]["file"], "main:contracts/deliveries.odcs.yaml", "points into the old version");
    assert!(removed[0]["affected_consumers"].as_array().unwrap().iter().any(|c| c == "logistics-planner"), "{run}");

    // A new contract is a note, not a failure.
    let (_tmp2, root) = registry_repo();
    let text = std::fs::read_to_string(root.join("contracts/recipes.odcs.yaml")).unwrap();
    std::fs::write(
        root.join("contracts/recipes-v2.odcs.yaml"),
        text.replace("urn:contrakt:meal-kit:recipes", "urn:contrakt:meal-kit:recipes-v2"),
    )
    .unwrap();
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(0);
    let report = json(&run);
    let added: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "S002").collect();
    assert!(!added.is_empty() && added.iter().all(|f| f["level"] == "info"), "{run}");
}

#[test]
fn a_folder_can_be_the_baseline() {
    let (_tmp, root) = registry_repo();
    copy_dir(&root.join("contracts"), &root.join("baseline"));
    edit(&root, "contracts/customers.odcs.yaml", "version: \"3.0.1\"", "version: \"4.0.0\"");
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "baseline", "--format", "json"]);
    run.assert_exit(0);
    let report = json(&run);
    let v002: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "V002").collect();
    assert_eq!(v002.len(), 1, "a major bump without breaking changes is noted\n{run}");
}

#[test]
fn bad_references_are_input_errors() {
    let (_tmp, root) = registry_repo();
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "no-such-branch"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("E114") && run.stderr.contains("no-such-branch"), "{run}");
    // Outside a git repository, a git reference cannot be read.
    let outside = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("contracts"), &outside.path().join("contracts"));
    let run = contrakt_in(outside.path(), ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(2);
    assert_eq!(json(&run)["findings"][0]["code"], "E114", "{run}");
}

#[test]
fn waivers_and_rule_selection_from_contrakt_yaml() {
    let (_tmp, root) = registry_repo();
    edit(&root, "contracts/orders.odcs.yaml", "maxLength: 3", "maxLength: 8");
    let config = root.join("contracts/contrakt.yaml");
    let base = std::fs::read_to_string(&config).unwrap();
    let with = |extra: &str| std::fs::write(&config, format!("{base}\n{extra}")).unwrap();
    let findings = |run: &crate::Run| json(run)["findings"].as_array().cloned().unwrap_or_default();

    // Waived until a future date: reported as info with the reason; the gate passes.
    with(
        "breaking:\n  waivers:\n    - {rule: C002, contract: 'urn:contrakt:meal-kit:orders', path: orders.currency, reason: \"finance widened its column\", until: 2999-12-31}\n    - {rule: breaking-without-major-bump, contract: 'urn:contrakt:meal-kit:orders', reason: \"released as 1.4 by agreement\", until: 2999-12-31}\n",
    );
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(0);
    let c002 = findings(&run).into_iter().find(|f| f["code"] == "C002").expect("still reported");
    assert_eq!(c002["level"], "info", "{run}");
    assert!(c002["hint"].as_str().unwrap().contains("finance widened its column"), "{run}");

    // Expired: the finding is back at its level and the waiver itself is an error.
    with(
        "breaking:\n  waivers:\n    - {rule: C002, path: orders.currency, reason: \"temporary\", until: 2020-01-01}\n",
    );
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(1);
    let all = findings(&run);
    assert!(all.iter().any(|f| f["code"] == "W001" && f["level"] == "error"), "{run}");
    assert!(all.iter().any(|f| f["code"] == "C002" && f["level"] == "error"), "{run}");

    // A waiver that matches nothing is a warning; `except` drops a rule.
    with(
        "breaking:\n  except: [C002, V001]\n  waivers:\n    - {rule: F004, path: orders.nothing_here, reason: \"stale\", until: 2999-12-31}\n",
    );
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "json"]);
    run.assert_exit(0);
    let all = findings(&run);
    assert!(!all.iter().any(|f| f["code"] == "C002"), "{run}");
    assert!(all.iter().any(|f| f["code"] == "W002" && f["level"] == "warning"), "{run}");

    // A waiver without a reason is a configuration error.
    with("breaking:\n  waivers:\n    - {rule: C002, until: 2999-12-31}\n");
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main"]);
    assert_ne!(run.code, Some(0), "{run}");
}

#[test]
fn sarif_and_junit_reports() {
    let (_tmp, root) = registry_repo();
    edit(&root, "contracts/orders.odcs.yaml", "maxLength: 3", "maxLength: 8");
    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "sarif"]);
    run.assert_exit(1);
    let sarif = json(&run);
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "contrakt");
    let rule_ids: Vec<&str> = driver["rules"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    for r in results {
        assert!(rule_ids.contains(&r["ruleId"].as_str().unwrap()), "every result's rule is described\n{run}");
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
    let c002 = results.iter().find(|r| r["ruleId"] == "C002").unwrap_or_else(|| panic!("{run}"));
    let loc = &c002["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "contracts/orders.odcs.yaml");
    assert!(loc["region"]["startLine"].as_u64().unwrap() > 1);
    assert_eq!(c002["properties"]["affectedConsumers"][0], "finance-revenue-dashboard");

    let run = contrakt_in(&root, ["breaking", "contracts", "--against", "main", "--format", "junit"]);
    run.assert_exit(1);
    let xml = &run.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"contrakt\""), "{run}");
    assert_eq!(xml.matches("<testsuite ").count(), 5, "a suite per contract\n{run}");
    assert_eq!(xml.matches("<testsuite ").count(), xml.matches("</testsuite>").count());
    assert!(xml.contains("<failure type=\"C002\""), "{run}");
    let failures = xml.matches("<failure ").count();
    assert!(
        xml.contains(&format!("failures=\"{failures}\" errors=\"0\">\n  <testsuite")),
        "the total counts the failures\n{run}"
    );
}
