//! Lakehouse tables for the `delta`, `iceberg` and `iceberg_publish` tests, written by the
//! formats' own Python writers (`deltalake`, `pyiceberg`, pinned in `tests/requirements.txt`),
//! and copies of them that a test may change.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::repo;

/// Runs `tests/it/consumers/SCRIPT DIR ARGS…` with the test venv's Python in a folder kept for
/// the whole test binary: the folder and the JSON the script prints (its reference counts).
pub fn written(script: &str, args: &[&Path]) -> (PathBuf, Value) {
    let dir = tempfile::tempdir().unwrap().keep();
    let out = std::process::Command::new(crate::test_python())
        .arg(repo().join("tests/it/consumers").join(script))
        .arg(&dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    let printed = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{script} prints JSON: {e}"));
    (dir, printed)
}

/// Copies the folder `from` to `to`, keeping file times (time travel by time reads Delta
/// commits' file times, as Spark and delta-rs do).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
            let modified = e.metadata().unwrap().modified().unwrap();
            std::fs::File::options().write(true).open(&target).unwrap().set_modified(modified).unwrap();
        }
    }
}

/// Every file under the folder `local`, with its path relative to it (`/`-separated): what
/// an upload of the table to an object store names each object.
pub fn files(local: &Path) -> Vec<(String, PathBuf)> {
    let (mut out, mut stack) = (Vec::new(), vec![local.to_path_buf()]);
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path().strip_prefix(local).unwrap().to_str().unwrap().to_string(), e.path()));
            }
        }
    }
    out
}

/// Uploads every file under the folder `local` to the loopback S3 server at `endpoint`
/// ([`crate::s3_loopback`]), under `/BUCKET/PREFIX/` as `prefix` names it.
pub fn upload(endpoint: &str, local: &Path, prefix: &str) {
    for (key, path) in files(local) {
        crate::s3_loopback::put(endpoint, &format!("{prefix}/{key}"), &std::fs::read(path).unwrap());
    }
}

/// `contrakt check c.yaml --format json EXTRA…` in `dir` with S3 credentials for the loopback
/// server at `endpoint`: the one object's run. It must pass, and print no secret.
pub fn check_on_s3(dir: &Path, endpoint: &str, extra: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(["check", "c.yaml", "--format", "json", "--now", "2026-01-01T00:00:00Z"])
        .args(extra)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("AWS_PROFILE")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("s3cr3t") && !stderr.contains("s3cr3t"));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    serde_json::from_str::<Value>(&stdout).unwrap()["reports"][0]["objects"][0].clone()
}
