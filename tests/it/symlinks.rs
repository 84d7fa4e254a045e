//! Symbolic links planted in a pull request: a link found while reading a registry folder that
//! leads outside it is refused by name and never opened (its target's contents appear nowhere,
//! in any output format), and `report -o DIR` never writes through a link
//! in DIR. Files the operator names on the command line are the operator's choice.
#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::{Run, codes, contrakt_in, repo};

const SECRET: &str = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI-never-printed";

/// A folder beside the registry holding a secret, as `~/.aws/credentials` would.
fn secret(tmp: &Path) -> PathBuf {
    let dir = tmp.join("home/.aws");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials");
    std::fs::write(&file, format!("[default]\n{SECRET}\n")).unwrap();
    file
}

/// A registry with one valid contract.
fn registry(tmp: &Path) -> PathBuf {
    let reg = tmp.join("registry");
    std::fs::create_dir_all(reg.join("contracts")).unwrap();
    std::fs::copy(repo().join("contracts/orders.odcs.yaml"), reg.join("contracts/orders.odcs.yaml")).unwrap();
    reg
}

#[track_caller]
fn assert_no_secret(run: &Run) {
    assert!(!run.stdout.contains("wJalrXUtnFEMI") && !run.stderr.contains("wJalrXUtnFEMI"), "the secret leaked\n{run}");
}

#[test]
fn a_contract_linked_out_of_the_registry_is_refused_by_name_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret(tmp.path());
    let reg = registry(tmp.path());
    symlink(&secret, reg.join("contracts/env.yaml")).unwrap();
    symlink("/proc/self/environ", reg.join("contracts/environ.yaml")).unwrap();

    for format in ["text", "json"] {
        let run = contrakt_in(tmp.path(), ["lint", "registry", "--format", format]);
        run.assert_exit(2);
        assert_no_secret(&run);
        let out = format!("{}{}", run.stdout, run.stderr);
        for link in ["contracts/env.yaml", "contracts/environ.yaml"] {
            assert!(out.contains(link) && out.contains("symbolic link out of"), "{format}: {link} not named\n{run}");
        }
        assert!(!out.contains("PATH=") && !out.contains("HOME="), "the environment leaked\n{run}");
        if format == "json" {
            assert_eq!(codes(&run.findings()).iter().filter(|c| **c == "E115").count(), 2, "{run}");
        }
    }
    let check = contrakt_in(tmp.path(), ["check", "registry", "--now", "2026-11-22T06:00:00Z"]);
    check.assert_exit(2);
    assert_no_secret(&check);
    assert!(check.stderr.contains("contracts/env.yaml"), "{check}");

    // A file the operator names is read: the operator's choice, not the pull request's.
    let named = contrakt_in(tmp.path(), ["lint", "registry/contracts/env.yaml", "--format", "json"]);
    named.assert_exit(2);
    assert!(!codes(&named.findings()).contains(&"E115"), "{named}");
}

#[test]
fn a_config_linked_out_of_the_registry_is_refused_and_links_inside_it_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret(tmp.path());
    let reg = registry(tmp.path());
    symlink(&secret, reg.join("contrakt.yaml")).unwrap();
    for args in [vec!["lint", "registry"], vec!["lint", "registry/contracts/orders.odcs.yaml"]] {
        let run = contrakt_in(tmp.path(), &args);
        run.assert_exit(2);
        assert_no_secret(&run);
        assert!(run.stderr.contains("contrakt.yaml") && run.stderr.contains("symbolic link out of"), "{run}");
    }

    // Links that stay inside the registry are followed as before.
    std::fs::remove_file(reg.join("contrakt.yaml")).unwrap();
    std::fs::create_dir_all(reg.join("shared")).unwrap();
    std::fs::write(reg.join("shared/config.yaml"), "version: 1\n").unwrap();
    symlink("shared/config.yaml", reg.join("contrakt.yaml")).unwrap();
    symlink("../contracts/orders.odcs.yaml", reg.join("shared/orders-link.yaml")).unwrap();
    let run = contrakt_in(tmp.path(), ["lint", "registry", "--format", "json"]);
    assert!(!codes(&run.findings()).contains(&"E115"), "{run}");
    assert_ne!(run.code, Some(2), "{run}");
}

#[test]
fn report_never_writes_through_a_link_in_its_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = registry(tmp.path());
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("victim.html"), "unchanged").unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    // A link where a page goes, and one where a folder of pages goes.
    symlink(outside.join("victim.html"), site.join("index.html")).unwrap();
    symlink(&outside, site.join("contracts")).unwrap();

    let run = contrakt_in(tmp.path(), ["report", reg.to_str().unwrap(), "-o", "site", "--now", "2026-11-22T06:00:00Z"]);
    run.assert_exit(0);
    let entries: Vec<String> =
        std::fs::read_dir(&outside).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(entries, ["victim.html"], "nothing was written into the linked folder\n{run}");
    assert_eq!(std::fs::read_to_string(outside.join("victim.html")).unwrap(), "unchanged");
    for written in ["index.html", "contracts"] {
        let meta = std::fs::symlink_metadata(site.join(written)).unwrap();
        assert!(!meta.file_type().is_symlink(), "{written} replaced the link\n{run}");
    }
    assert!(std::fs::read_to_string(site.join("index.html")).unwrap().contains("<html"));
    assert!(site.join("contracts/contrakt-meal-kit-orders.html").is_file());
}

/// Staged data for `publish`: the example's passing deliveries, copied so links can be planted.
fn staged_copy(tmp: &Path) -> PathBuf {
    let staged = tmp.join("staged");
    std::fs::create_dir_all(staged.join("day=1")).unwrap();
    let good = repo().join("fixtures/data/staged/deliveries-fixed/deliveries.parquet");
    std::fs::copy(good, staged.join("deliveries.parquet")).unwrap();
    staged
}

#[test]
fn publish_refuses_staged_data_holding_a_link_and_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret(tmp.path());
    let contract = repo().join("contracts/deliveries.odcs.yaml");
    let publish = |tmp: &Path| {
        contrakt_in(
            tmp,
            [
                "publish",
                contract.to_str().unwrap(),
                "--staged",
                "staged",
                "--to",
                "out",
                "--now",
                "2026-11-22T06:00:00Z",
            ],
        )
    };
    // The same staged data with no link publishes: the refusal below is the link's.
    let clean = tempfile::tempdir().unwrap();
    staged_copy(clean.path());
    publish(clean.path()).assert_exit(0);

    let staged = staged_copy(tmp.path());
    // A file link, a link in a partition folder, a linked folder, and a hidden one.
    let cases: [(&str, &Path); 4] = [
        ("credentials.csv", &secret),
        ("day=1/passwd.csv", Path::new("/etc/passwd")),
        ("day=2", secret.parent().unwrap()),
        ("_SUCCESS", &secret),
    ];
    for (name, target) in cases {
        let link = staged.join(name);
        symlink(target, &link).unwrap();
        let run = publish(tmp.path());
        run.assert_exit(2);
        assert_no_secret(&run);
        assert!(
            run.stderr.contains(&format!("staged/{name}")) && run.stderr.contains("symbolic link"),
            "{name}: the link is not named\n{run}"
        );
        assert!(!tmp.path().join("out").exists(), "{name}: something was written to the target\n{run}");
        std::fs::remove_file(&link).unwrap();
    }
}

#[test]
fn alert_paths_in_contrakt_yaml_stay_inside_the_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret(tmp.path());
    let reg = registry(tmp.path());
    std::fs::create_dir_all(reg.join("templates")).unwrap();
    std::fs::write(reg.join("templates/ok.yaml"), "title: \"{{check}}\"\n").unwrap();
    symlink(&secret, reg.join("templates/linked.yaml")).unwrap();
    symlink(tmp.path().join("home"), reg.join("home")).unwrap();
    let outside = tmp.path().join("outside.jsonl");
    let config = |channel: &str, extra: &str| format!("version: 1\nalerts:\n{extra}  channels:\n    - {channel}\n");
    let list = |config: &str| {
        std::fs::write(reg.join("contrakt.yaml"), config).unwrap();
        contrakt_in(tmp.path(), ["alerts", "list", "registry"])
    };
    // Inside the registry: read.
    list(&config("{name: log, kind: stdout, template: templates/ok.yaml}", "")).assert_exit(0);
    for (channel, extra, key) in [
        ("{name: log, kind: stdout, template: templates/linked.yaml}", "", "template"),
        ("{name: log, kind: stdout, template: ../home/.aws/credentials}", "", "template"),
        ("{name: log, kind: stdout, template: home/.aws/credentials}", "", "template"),
        ("{name: log, kind: stdout, template: /etc/passwd}", "", "template"),
        ("{name: out, kind: file, path: ../outside.jsonl}", "", "path"),
        ("{name: out, kind: file, path: home/.bashrc}", "", "path"),
        ("{name: log, kind: stdout}", "  state: ../state.db\n", "state"),
        ("{name: log, kind: stdout}", "  state: home/alerts.db\n", "state"),
        (
            "{name: m, kind: email, host: localhost, tls: none, from: a@example.com, to: [b@example.com], ca-file: home/.aws/credentials}",
            "",
            "ca-file",
        ),
    ] {
        let run = list(&config(channel, extra));
        run.assert_exit(2);
        assert_no_secret(&run);
        let out = format!("{}{}", run.stdout, run.stderr);
        assert!(
            out.contains(&format!("{key}: `")) && out.contains("registry folder"),
            "{channel} {extra}: not refused by key\n{run}"
        );
    }
    assert!(!outside.exists() && !tmp.path().join("state.db").exists() && !tmp.path().join("home/alerts.db").exists());
}

#[test]
fn a_contract_reads_local_data_only_in_its_repository_or_working_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let secret = secret(tmp.path());
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    // The secret as CSV: its one line would be a failing row, printed as a sample.
    let contract = |path: &str| {
        let text = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\nservers:\n  - {{server: local, type: local, path: '{path}', format: csv}}\nschema:\n  - name: t\n    properties:\n      - name: '[default]'\n        logicalType: string\n        quality:\n          - {{id: p, metric: invalidValues, arguments: {{validValues: [a]}}, mustBe: 0}}\n"
        );
        std::fs::write(work.join("c.yaml"), text).unwrap();
    };
    symlink(secret.parent().unwrap(), work.join("aws")).unwrap();
    for path in [secret.to_str().unwrap(), "../home/.aws/credentials", "aws/credentials", "aws/*"] {
        contract(path);
        let run = contrakt_in(&work, ["check", "c.yaml"]);
        run.assert_exit(2);
        assert_no_secret(&run);
        assert!(
            run.stderr.contains("outside the repository and the working folder")
                && run.stderr.contains("CONTRAKT_ALLOW_CONTRACT_PATHS="),
            "{path}: not refused\n{run}"
        );
    }
    // The operator allows the folder: read (and the sample shows it, as data it is).
    contract(secret.to_str().unwrap());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(["check", "c.yaml"])
        .current_dir(&work)
        .env("CONTRAKT_ALLOW_CONTRACT_PATHS", secret.parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    // Data in the working folder is read as before.
    std::fs::write(work.join("t.csv"), "[default]\na\n").unwrap();
    contract("t.csv");
    contrakt_in(&work, ["check", "c.yaml"]).assert_exit(0);
    // A folder inside, with a link among its files or folders that leads out: refused by name,
    // whether the contract names the folder or a glob in it.
    for (name, link) in [("file", "data-file/x.csv"), ("folder", "data-folder/sub")] {
        let folder = work.join(format!("data-{name}"));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(work.join("t.csv"), folder.join("a.csv")).unwrap();
        let target = if name == "file" { secret.clone() } else { secret.parent().unwrap().to_path_buf() };
        symlink(&target, work.join(link)).unwrap();
        let glob = if name == "file" { format!("data-{name}/*.csv") } else { format!("data-{name}/*") };
        for path in [format!("data-{name}"), format!("data-{name}/"), glob] {
            contract(&path);
            let run = contrakt_in(&work, ["check", "c.yaml"]);
            run.assert_exit(2);
            assert_no_secret(&run);
            assert!(
                run.stderr.contains("outside the repository and the working folder") && run.stderr.contains(link),
                "{path}: the link {link} was not refused by name\n{run}"
            );
        }
    }
    // Links that stay inside are read.
    let linked = work.join("data-inside");
    std::fs::create_dir_all(&linked).unwrap();
    symlink("../t.csv", linked.join("a.csv")).unwrap();
    for path in ["data-inside/*.csv", "data-inside/"] {
        contract(path);
        contrakt_in(&work, ["check", "c.yaml"]).assert_exit(0);
    }
    // Links back up their own tree: the walks end (two such links would double every level of
    // a walk that followed them), and the listing's loop is a located error.
    let looped = work.join("data-loop");
    std::fs::create_dir_all(&looped).unwrap();
    std::fs::copy(work.join("t.csv"), looped.join("a.csv")).unwrap();
    symlink(".", looped.join("loop")).unwrap();
    symlink(".", looped.join("again")).unwrap();
    contract("data-loop/");
    let run = contrakt_in(&work, ["check", "c.yaml"]);
    run.assert_exit(2);
    assert!(!run.stderr.contains("outside the repository") && run.stderr.contains("loop"), "{run}");
}

#[test]
fn history_and_consumer_paths_in_contrakt_yaml_stay_inside_the_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = registry(tmp.path());
    let contract = "registry/contracts/orders.odcs.yaml";
    let data = format!("orders={}", repo().join("fixtures/data/orders/*.parquet").display());
    // A history store out of the registry: not created; the check still runs, with a warning.
    std::fs::write(reg.join("contrakt.yaml"), "version: 1\nhistory:\n  path: ../outside.db\n").unwrap();
    let run = contrakt_in(tmp.path(), ["check", contract, "--data", &data, "--now", "2026-11-22T06:00:00Z"]);
    run.assert_no_panic();
    assert!(run.stderr.contains("history.path") && run.stderr.contains("climbs out of the registry folder"), "{run}");
    assert!(!tmp.path().join("outside.db").exists(), "the store was created out of the registry\n{run}");
    // A consumer folder out of the registry: refused by key, nothing under it read.
    std::fs::write(reg.join("contrakt.yaml"), "version: 1\nconsumers: ../home/\n").unwrap();
    let run = contrakt_in(tmp.path(), ["diff", contract, contract]);
    run.assert_exit(2);
    assert!(run.stderr.contains("consumers: `../home/` climbs out of the registry folder"), "{run}");
}
