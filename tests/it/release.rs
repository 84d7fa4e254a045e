//! Release engineering: what `cargo publish`, the release workflow and the GitHub Action rely on.
//!
//! - Every publishable crate carries the metadata crates.io shows and versioned internal
//!   dependencies (`cargo metadata`); only the Python binding crate is unpublished.
//! - The action (`action.yml`) downloads exactly the archives `.github/workflows/release.yml`
//!   builds: the workflow's own archive script makes one, the action's own install script
//!   installs it from a `file://` release and refuses it once its checksum is wrong.
//! - The action's gate script, with the real binary on PATH: lint findings as annotations on
//!   their file and line, `breaking --format github`, and contrakt's exit codes as its own.
//!
//! The workflow and action files are read with contrakt's own YAML parser, and their shell
//! scripts run with bash (plus curl, tar, sha256sum and jq, as on GitHub's runners).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use contrakt_core::SourceFile;
use contrakt_core::document::Document;
use serde_json::Value;

use crate::repo;

/// A YAML file of the repository as JSON.
fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    match Document::parse(SourceFile::new(rel, text)) {
        Ok(doc) => doc.root.to_json(),
        Err(e) => panic!("{rel} does not parse as YAML: {e}"),
    }
}

/// The `run:` script of the step named `name` in a list of steps.
fn step_script(steps: &Value, name: &str) -> String {
    let steps = steps.as_array().expect("steps is a list");
    let step = steps.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("no step named {name:?}"));
    step["run"].as_str().unwrap_or_else(|| panic!("step {name:?} has no run script")).to_string()
}

/// Runs `script` with bash in `dir`, with `env` added.
fn bash(script: &str, dir: &Path, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.args(["-c", script]).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run bash")
}

fn text(out: &Output) -> String {
    format!(
        "exit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn publishable_crates_carry_crates_io_metadata() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version", "1", "--offline"])
        .current_dir(repo())
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata failed\n{}", text(&out));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");

    let mut unpublished = BTreeSet::new();
    let mut problems = Vec::new();
    for pkg in meta["packages"].as_array().expect("packages") {
        let name = pkg["name"].as_str().unwrap();
        let version = pkg["version"].as_str().unwrap();
        let dir = Path::new(pkg["manifest_path"].as_str().unwrap()).parent().unwrap();
        if pkg["publish"] == serde_json::json!([]) {
            unpublished.insert(name.to_string());
            continue;
        }
        if pkg["description"].as_str().is_none_or(str::is_empty) {
            problems.push(format!("{name}: no description"));
        }
        if pkg["license"] != "Apache-2.0" {
            problems.push(format!("{name}: license is {}, not Apache-2.0", pkg["license"]));
        }
        if pkg["repository"].as_str().is_none_or(|r| !r.starts_with("https://")) {
            problems.push(format!("{name}: no repository URL"));
        }
        match pkg["readme"].as_str() {
            Some(readme) if dir.join(readme).is_file() => {}
            other => problems.push(format!("{name}: readme {other:?} is not a file in {}", dir.display())),
        }
        let license = std::fs::read_to_string(dir.join("LICENSE")).unwrap_or_default();
        if !license.contains("Apache License") || !license.contains("Version 2.0, January 2004") {
            problems.push(format!("{name}: {}/LICENSE is not the Apache-2.0 text", dir.display()));
        }
        // A path dependency without a version cannot be published: cargo needs the version
        // crates.io will resolve it to.
        for dep in pkg["dependencies"].as_array().unwrap() {
            let dep_name = dep["name"].as_str().unwrap();
            if dep["path"].is_string() && dep["req"] != format!("^{version}") {
                problems.push(format!(
                    "{name}: dependency {dep_name} has version requirement {} (want ^{version})",
                    dep["req"]
                ));
            }
        }
    }
    assert!(problems.is_empty(), "crates that cargo publish would refuse or show badly:\n{}", problems.join("\n"));
    assert_eq!(
        unpublished,
        BTreeSet::from(["contrakt-python".to_string()]),
        "publish = false only on the Python binding crate"
    );

    // The root package ships its binary, not the end-to-end tests and their fixtures.
    let root = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(
        root.contains(r#"include = ["/src/**/*.rs", "/README.md", "/LICENSE", "/CHANGELOG.md"]"#),
        "the root package's include list changed"
    );
}

/// The target triples of the release's binary matrix, and those action.yml maps runners to.
fn release_targets() -> (BTreeSet<String>, BTreeSet<String>) {
    let release = yaml(".github/workflows/release.yml");
    let built: BTreeSet<String> = release["jobs"]["binaries"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("the binaries job has a matrix include list")
        .iter()
        .map(|entry| entry["target"].as_str().expect("each entry names a target").to_string())
        .collect();
    let action = yaml("action.yml");
    let install = step_script(&action["runs"]["steps"], "Install contrakt");
    let downloaded: BTreeSet<String> = install
        .lines()
        .filter_map(|line| line.split_once(") target=").map(|(_, t)| t.trim_end_matches(" ;;").trim().to_string()))
        .collect();
    (built, downloaded)
}

#[test]
fn the_action_downloads_every_binary_the_release_builds() {
    let (built, downloaded) = release_targets();
    assert_eq!(built.len(), 5, "{built:?}");
    assert_eq!(downloaded, built, "action.yml must map runners to exactly the targets release.yml builds");
}

/// A release folder as `release.yml` makes it (its own archive script, on a stand-in binary),
/// installed by `action.yml`'s own install script from a `file://` URL.
#[cfg(unix)]
#[test]
fn the_action_installs_the_release_archive_and_checks_its_checksum() {
    let target = "x86_64-unknown-linux-musl";
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("checkout");
    let bin = work.join(format!("target/{target}/dist"));
    std::fs::create_dir_all(&bin).unwrap();
    for f in ["LICENSE", "README.md", "CHANGELOG.md"] {
        std::fs::copy(repo().join(f), work.join(f)).unwrap();
    }
    std::fs::write(bin.join("contrakt"), "#!/bin/sh\necho 'contrakt 0.1.0 (stand-in)'\n").unwrap();
    Command::new("chmod").args(["+x"]).arg(bin.join("contrakt")).status().unwrap();

    let release = yaml(".github/workflows/release.yml");
    let archive_script = step_script(&release["jobs"]["binaries"]["steps"], "Archive and checksum");
    let out = bash(&format!("set -e\n{archive_script}"), &work, &[("TARGET", target.into())]);
    assert!(out.status.success(), "the release's archive script failed\n{}", text(&out));
    let archive = format!("contrakt-{target}.tar.gz");
    let dist = work.join("dist");
    let checksum = std::fs::read_to_string(dist.join(format!("{archive}.sha256"))).unwrap();
    assert!(checksum.ends_with(&format!("  {archive}\n")), "sha256sum format: {checksum:?}");

    // The GitHub release: releases/download/v0.1.0/<files>.
    let served = tmp.path().join("github/releases/download/v0.1.0");
    std::fs::create_dir_all(&served).unwrap();
    for f in [archive.clone(), format!("{archive}.sha256")] {
        std::fs::copy(dist.join(&f), served.join(&f)).unwrap();
    }

    let action = yaml("action.yml");
    let install = step_script(&action["runs"]["steps"], "Install contrakt");
    let install_with = |runner: &Path| {
        std::fs::create_dir_all(runner).unwrap();
        let env = [
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("RUNNER_TEMP", runner.display().to_string()),
            ("GITHUB_PATH", runner.join("path").display().to_string()),
            ("INSTALL", "release".to_string()),
            ("VERSION", "v0.1.0".to_string()),
            ("REPOSITORY", format!("file://{}", tmp.path().join("github").display())),
        ];
        bash(&install, &work, &env)
    };

    let runner = tmp.path().join("runner");
    let out = install_with(&runner);
    assert!(out.status.success(), "install failed\n{}", text(&out));
    let path_entry = std::fs::read_to_string(runner.join("path")).unwrap();
    let installed = PathBuf::from(path_entry.trim()).join("contrakt");
    let version = Command::new(&installed).output().expect("run the installed binary");
    assert_eq!(String::from_utf8_lossy(&version.stdout), "contrakt 0.1.0 (stand-in)\n");
    for f in ["LICENSE", "README.md", "CHANGELOG.md"] {
        assert!(installed.with_file_name(f).is_file(), "{f} is in the archive");
    }

    // A wrong checksum: nothing is installed, exit 2 with an annotation.
    std::fs::write(served.join(format!("{archive}.sha256")), format!("{}  {archive}\n", "0".repeat(64))).unwrap();
    let runner = tmp.path().join("runner-tampered");
    let out = install_with(&runner);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("::error::checksum mismatch for {archive}: expected {}", "0".repeat(64))),
        "{}",
        text(&out)
    );
    assert!(!runner.join("path").exists(), "nothing was added to PATH");

    // A version that was never released: exit 2, and the message says so.
    std::fs::remove_dir_all(&served).unwrap();
    let out = install_with(&tmp.path().join("runner-missing"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("is 'v0.1.0' a contrakt release?"), "{}", text(&out));
}

/// `action.yml`'s gate script with the real binary on PATH: a duplicate property (lint) and a
/// removed required field (breaking, against a folder) in one run.
#[cfg(unix)]
#[test]
fn the_action_gate_annotates_findings_and_exits_like_contrakt() {
    assert!(
        Command::new("jq").arg("--version").output().is_ok_and(|o| o.status.success()),
        "jq is needed (as on GitHub's runners): apt-get install -y jq"
    );
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_contrakt"), bin.join("contrakt")).unwrap();
    for side in ["before", "after"] {
        std::fs::create_dir_all(tmp.path().join(side)).unwrap();
        std::fs::copy(
            repo().join(format!("fixtures/breaking/F004/{side}.odcs.yaml")),
            tmp.path().join(format!("{side}/orders.odcs.yaml")),
        )
        .unwrap();
    }
    let action = yaml("action.yml");
    let gate = step_script(&action["runs"]["steps"], "contrakt lint and breaking");
    let run = |paths: &str, against: &str, mode: &str| {
        let outputs = tmp.path().join("outputs");
        let _ = std::fs::remove_file(&outputs);
        let env = [
            ("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())),
            ("RUNNER_TEMP", tmp.path().display().to_string()),
            ("GITHUB_OUTPUT", outputs.display().to_string()),
            ("GATE_PATH", paths.to_string()),
            ("AGAINST", against.to_string()),
            ("MODE", mode.to_string()),
            ("FAIL_ON", "error".to_string()),
            ("LINT", "true".to_string()),
            ("BREAKING", "true".to_string()),
            ("NO_COLOR", "1".to_string()),
        ];
        let out = bash(&gate, repo(), &env);
        (out, std::fs::read_to_string(&outputs).unwrap_or_default())
    };

    let after = tmp.path().join("after");
    let before = tmp.path().join("before");
    let (out, outputs) =
        run(&format!("{} fixtures/lint/L101/fail", after.display()), &before.display().to_string(), "full");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(outputs, "lint-exit-code=1\nbreaking-exit-code=1\n", "{}", text(&out));
    assert!(
        stdout.contains(
            "::error file=fixtures/lint/L101/fail/orders.odcs.yaml,line=25,col=15,endLine=25,endColumn=21,title=L101 duplicate-name::property `amount` is defined twice in this object\n"
        ),
        "{}",
        text(&out)
    );
    assert!(
        stdout.contains(&format!(
            "::error file={}/orders.odcs.yaml,line=16,col=9,title=F004 field-removed::orders.discount_code: field `discount_code` was removed\n",
            before.display()
        )),
        "{}",
        text(&out)
    );
    assert!(stdout.contains("contrakt lint: 2 files, 1 errors, 0 warnings, 0 infos"), "{}", text(&out));

    // The example registry against itself: clean, exit 0.
    let (out, outputs) = run("contracts", "contracts", "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(outputs, "lint-exit-code=0\nbreaking-exit-code=0\n");

    // Outside a pull request, with no `against`: lint only, and a notice says breaking was skipped.
    let (out, outputs) = run("contracts", "", "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(outputs, "lint-exit-code=0\n");
    assert!(String::from_utf8_lossy(&out.stdout).contains("::notice::contrakt breaking skipped"), "{}", text(&out));

    // A path that cannot be read, and an unknown mode: exit 2 (the gate could not run).
    let (out, outputs) = run("no-such-folder", "", "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(outputs, "lint-exit-code=2\n");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("::error title=E100 io-error::cannot read no-such-folder"),
        "{}",
        text(&out)
    );
    let (out, outputs) = run("contracts", "contracts", "sideways");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(outputs, "lint-exit-code=0\nbreaking-exit-code=2\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown mode `sideways`"), "{}", text(&out));
}

/// actionlint, from the provisioned venv (`CONTRAKT_ACTIONLINT`) or the PATH.
fn actionlint() -> PathBuf {
    if let Some(p) = std::env::var_os("CONTRAKT_ACTIONLINT") {
        return PathBuf::from(p);
    }
    match Command::new("actionlint").arg("-version").output() {
        Ok(o) if o.status.success() => PathBuf::from("actionlint"),
        _ => panic!(
            "actionlint is needed: run the tests through scripts/test (it provisions it) or set CONTRAKT_ACTIONLINT"
        ),
    }
}

#[test]
fn workflows_pass_actionlint() {
    let lint = actionlint();
    let workflows: Vec<PathBuf> = std::fs::read_dir(repo().join(".github/workflows"))
        .expect("read .github/workflows")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    assert!(workflows.len() >= 3, "ci, release and self-test workflows: {workflows:?}");
    let out = Command::new(&lint).args(&workflows).current_dir(repo()).output().expect("run actionlint");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The linter does look: a job without `runs-on` and an unknown expression context fail it.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "on: push\njobs:\n  t:\n    steps:\n      - run: echo ${{ nope.x }}\n").unwrap();
    let out = Command::new(&lint).arg(&bad).output().expect("run actionlint");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("runs-on") && stdout.contains("nope"), "{}", text(&out));
}
