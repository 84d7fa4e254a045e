//! End-to-end tests: the real `contrakt` binary, run as a user would run it.
//!
//! - `check_samples`: failing-row samples of each kind, their order, masking, and the same
//!   samples for the same rows in another order.
//! - `cli_lint`: `contrakt lint` and `contrakt rules` on the example registry and fixtures,
//!   with snapshots of the text and JSON output.
//! - `cli_alerts`: `contrakt alerts` on the example registry's check report, and delivery to a
//!   webhook receiver on loopback (dedup across runs, dead letters, retry, secrets never shown).
//! - `azure`: `az://` and `abfss://` against a loopback listener (no Azure server runs here):
//!   the environment's account and credentials sign requests to its endpoint, never printed.
//! - `architecture`: no crate's modules import each other in a circle.
//! - `bad_input`: one table of broken, hostile and missing inputs, each checked for its exit
//!   code, error code, message and location, in both output formats.
//! - `hostile_check`: one table of hostile contracts and options for `contrakt check` (issue
//!   #18): reversed ranges, dotted and quoted names, `--where` injection, unbounded functions,
//!   recursive and huge queries, timeouts, and errors that must say what is wrong.
//! - `cli_diff`: `contrakt diff` on one fixture pair per breaking-change rule
//!   (`fixtures/breaking/<CODE>/`), consumer impact, version pins, modes and bad input.
//! - `cli_infer`: `contrakt infer` on the fixture datasets: drafts that lint clean and pass
//!   `check` on their own data.
//! - `cli_publish`: write-audit-publish of the example registry's deliveries: failing and passing
//!   audits, canary, rollback, a crash before the pointer moves, concurrent readers, and the
//!   publish events in the history (SQLite and PostgreSQL, an old store migrated forward).
//! - `publish_s3`: the same on S3 (moto on loopback): conditional pointer puts, two racing
//!   publishers, readers during publishes, rollback, no credential anywhere.
//! - `cli_report`: `contrakt report` on the example registry after a generated month of runs
//!   (`month`), in git with a breaking commit, rendered in headless Chromium.
//! - `conformance`: the Confluent and buf Protobuf corpora in `tests/conformance/`, with
//!   an agreement table and `conformance-allowlist.yaml` for deliberate differences.
//! - `conformance_avro`: Apache Avro's compatibility tests (299 reader/writer verdicts), section
//!   `avro` of the allowlist.
//! - `conformance_jsonschema`: Confluent's JSON Schema corpus (STRICT and LENIENT verdicts),
//!   section `confluent-jsonschema` of the allowlist.
//! - `conformance_odcs`: datacontract-cli's ODCS corpora (PR #1482 breaking detection, changelog),
//!   same pattern, section `datacontract-cli-odcs` of the allowlist.
//! - `ballista` (with `--features ballista`): the example registry on a Ballista cluster started
//!   on loopback (in-process and as processes), against the embedded engine and PostgreSQL
//!   pushdown, and an executor killed mid-run.
//! - `postgres`: a real PostgreSQL server on loopback for the tests that need one.
//! - `segments`: segmented checks (`contraktSegments`: per-segment thresholds, history and
//!   baselines, refused high cardinality) and reconciliation (`contraktReconcile`, Q701), on
//!   files and pushed down to PostgreSQL.
//! - `reconcile`: reconciliation across servers, a Parquet file against a PostgreSQL table both
//!   ways round (counts, sums, one-sided keys streamed from the warehouse).
//! - `symlinks`: links planted in a registry or an output folder are refused or replaced, never
//!   followed out of it.
//! - `secrets`: hostile contracts leak nothing (issue #18): a contract's S3 `endpointUrl` gets no
//!   request unless allowed, HTTP sources get no credential, `--data` URLs are shown masked.
//! - `iceberg`: Iceberg tables written by pyiceberg, read at a snapshot and compared with
//!   pyiceberg's own scan; delete files and hostile metadata refused.
//! - `iceberg_publish`: write-audit-publish on Iceberg tables (a branch or a staged `wap.id`
//!   snapshot audited, then `main` fast-forwarded), judged by pyiceberg's reads.
//! - `release`: what publishing relies on: crate metadata for crates.io, the release workflow's
//!   archives installed by the GitHub Action (checksum checked), the action's gate script.

mod architecture;
mod azure;
mod bad_input;
#[cfg(feature = "ballista")]
mod ballista;
mod check_memory;
mod check_samples;
mod cli_alerts;
mod cli_breaking;
mod cli_check;
mod cli_convert;
mod cli_diff;
mod cli_history;
mod cli_infer;
mod cli_lint;
mod cli_publish;
mod cli_report;
mod conformance;
mod conformance_avro;
mod conformance_jsonschema;
mod conformance_odcs;
#[cfg(feature = "delta")]
mod delta;
mod diff_postgres;
mod ecosystem;
mod fixture_data;
mod gcs_loopback;
mod hostile_check;
mod iceberg;
mod iceberg_publish;
mod json_arrays;
mod month;
mod postgres;
mod publish_s3;
mod pushdown;
mod quarantine;
mod reconcile;
mod release;
mod resource_bounds;
mod s3_loopback;
mod secrets;
mod segments;
mod symlinks;
mod warehouse_rules;
mod written_tables;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Free loopback ports, distinct, free when asked. Ballista binds the ports it is given and
/// cannot report one it picked, so a port may be taken between this and the child's bind:
/// [`spawn_listening`] checks that the child itself listens, and retries on fresh ports.
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> =
        (0..n).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    held.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// Whether process `pid` itself holds a listening socket on `port`: on Linux the socket's inode
/// (`/proc/net/tcp`, state `0A`) among the process's descriptors, so another process that
/// took the port does not count; elsewhere, that the port answers.
pub fn listens(pid: u32, port: u16) -> bool {
    let tables: Vec<String> =
        ["/proc/net/tcp", "/proc/net/tcp6"].iter().filter_map(|f| std::fs::read_to_string(f).ok()).collect();
    if tables.is_empty() {
        return std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    }
    let sockets: Vec<String> = tables
        .iter()
        .flat_map(|t| t.lines().skip(1))
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local = u16::from_str_radix(cols.get(1)?.rsplit(':').next()?, 16).ok()?;
            let inode = cols.get(9)?;
            (local == port && *cols.get(3)? == "0A").then(|| format!("socket:[{inode}]"))
        })
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| sockets.iter().any(|s| l.as_os_str() == s.as_str())))
}

/// Starts a child on `ports` fresh loopback ports and waits until it listens on all of them
/// and `ready` holds. A child that exits first, or is not listening within 60 s (its port was
/// another's), is stopped and started again on fresh ports, up to three times.
pub fn spawn_listening(
    what: &str,
    ports: usize,
    spawn: impl Fn(&[u16]) -> std::process::Child,
    ready: impl Fn(&[u16]) -> bool,
) -> (std::process::Child, Vec<u16>) {
    let mut why = String::new();
    for _ in 0..3 {
        let picked = free_ports(ports);
        let mut child = spawn(&picked);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if picked.iter().all(|p| listens(child.id(), *p)) && ready(&picked) {
                return (child, picked);
            }
            if let Ok(Some(status)) = child.try_wait() {
                why = format!("{what} exited with {status} before listening on {picked:?}");
                break;
            }
            if std::time::Instant::now() > deadline {
                why = format!("{what} was not listening on {picked:?} and ready within 60 s");
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        eprintln!("{why}; starting it again on other ports");
    }
    panic!("{why}, three times")
}

/// The Python of the test venv (`CONTRAKT_VENV`, else `~/.cache/contrakt/venv`) holding the
/// pinned `tests/requirements.txt` (moto, soda-core, fastavro…), as `scripts/provision.sh`
/// leaves it. When it is missing or stale (its `.requirements` stamp differs), it is installed
/// once for the whole run, under a lock folder beside it, so tests and test processes never
/// run pip into one venv together, and every machine tests against the same versions.
pub fn test_python() -> PathBuf {
    static READY: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    READY.get_or_init(provision_venv).clone().unwrap_or_else(|e| panic!("{e}"))
}

fn provision_venv() -> Result<PathBuf, String> {
    let venv = std::env::var_os("CONTRAKT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/contrakt/venv"));
    let requirements = repo().join("tests/requirements.txt");
    let wanted = std::fs::read(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let (python, stamp) = (venv.join("bin/python"), venv.join(".requirements"));
    let fresh = || python.exists() && std::fs::read(&stamp).is_ok_and(|s| s == wanted);
    if fresh() {
        return Ok(python);
    }
    let lock = venv.with_extension("lock");
    if let Some(parent) = lock.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20 * 60);
    loop {
        match std::fs::create_dir(&lock) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if fresh() {
                    return Ok(python);
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!(
                        "{} was held for 20 minutes; if no test run is installing, remove it",
                        lock.display()
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => return Err(format!("{}: {e}", lock.display())),
        }
    }
    let install = || -> Result<(), String> {
        if fresh() {
            return Ok(());
        }
        let run = |c: &mut Command| c.status().is_ok_and(|s| s.success());
        if !python.exists() && !run(Command::new("python3").args(["-m", "venv"]).arg(&venv)) {
            return Err(format!("cannot create a venv at {} (python3 -m venv)", venv.display()));
        }
        if !run(Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check", "-r"])
            .arg(&requirements))
        {
            return Err(format!("cannot install {} into {}", requirements.display(), venv.display()));
        }
        std::fs::write(&stamp, &wanted).map_err(|e| format!("{}: {e}", stamp.display()))
    };
    let result = install();
    let _ = std::fs::remove_dir(&lock);
    result.map(|()| python)
}

/// The repository root (the root package's manifest folder).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A finished run of the binary.
pub struct Run {
    pub args: Vec<String>,
    pub dir: PathBuf,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: contrakt {} (in {})", self.args.join(" "), self.dir.display())?;
        writeln!(f, "exit code: {:?}", self.code)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl Run {
    /// Asserts the exit code, and that nothing panicked or crashed.
    #[track_caller]
    pub fn assert_exit(&self, expected: i32) -> &Self {
        self.assert_no_panic();
        assert_eq!(self.code, Some(expected), "unexpected exit code\n{self}");
        self
    }

    #[track_caller]
    pub fn assert_no_panic(&self) -> &Self {
        for bad in ["panicked", "contrakt crashed", "RUST_BACKTRACE"] {
            assert!(!self.stderr.contains(bad), "stderr contains {bad:?}\n{self}");
        }
        assert!(self.code.is_some(), "killed by a signal\n{self}");
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e})\n{self}"))
    }

    /// The `findings` array of `--format json` output.
    #[track_caller]
    pub fn findings(&self) -> Vec<serde_json::Value> {
        match self.json().get("findings").and_then(|f| f.as_array()) {
            Some(f) => f.clone(),
            None => panic!("JSON output has no `findings` array\n{self}"),
        }
    }
}

/// Runs `contrakt ARGS` in `dir`, with colour and logging settings that do not depend on the
/// environment the tests run in.
pub fn contrakt_in<I, S>(dir: &Path, args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_os_string()).collect();
    let output = Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(&args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("CONTRAKT_LOG")
        .env_remove("CONTRAKT_COLOR")
        .env("NO_COLOR", "1")
        .output()
        .expect("run the contrakt binary");
    Run {
        args: args.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        dir: dir.to_path_buf(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The results of a `check --format json` run, by check id (see [`results_in`]).
#[track_caller]
pub fn results_of(run: &Run) -> std::collections::BTreeMap<String, serde_json::Value> {
    results_in(&run.json())
}

/// The results of a `check --format json` report, by check id, over every contract it checked.
#[track_caller]
pub fn results_in(report: &serde_json::Value) -> std::collections::BTreeMap<String, serde_json::Value> {
    let reports = report["reports"].as_array().unwrap_or_else(|| panic!("no reports: {report:#}"));
    let results = reports.iter().flat_map(|r| r["results"].as_array().unwrap_or_else(|| panic!("no results: {r:#}")));
    results.map(|r| (r["id"].as_str().unwrap().to_string(), r.clone())).collect()
}

/// Runs `contrakt ARGS` at the repository root.
pub fn contrakt<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    contrakt_in(repo(), args)
}

/// 1-based line and column (in characters) of the first occurrence of `needle` at or after
/// line `from_line` (1-based) of `text`.
pub fn locate(text: &str, needle: &str, from_line: usize) -> (usize, usize) {
    for (i, line) in text.lines().enumerate().skip(from_line.saturating_sub(1)) {
        if let Some(byte) = line.find(needle) {
            return (i + 1, line[..byte].chars().count() + 1);
        }
    }
    panic!("{needle:?} not found in the text after line {from_line}");
}

/// Escapes a literal for use in an insta filter regex.
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Runs snapshot assertions with timings, the repository path and the temp dir filtered out.
pub fn with_stable_output(body: impl FnOnce()) {
    let repo = regex_escape(&repo().display().to_string());
    let tmp = regex_escape(std::env::temp_dir().display().to_string().trim_end_matches('/'));
    insta::with_settings!({
        filters => vec![
            (r"\(\d+ ms\)", "([TIME])"),
            (repo.as_str(), "[REPO]"),
            (tmp.as_str(), "[TMP]"),
        ],
        prepend_module_to_snapshot => true,
    }, {
        body()
    });
}

/// The `code` of each finding of a JSON report.
pub fn codes(findings: &[serde_json::Value]) -> Vec<&str> {
    findings.iter().map(|f| f["code"].as_str().unwrap_or("?")).collect()
}
