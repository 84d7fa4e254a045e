//! `contrakt publish --to s3://…` against a real S3-compatible server on loopback (moto, as in
//! `s3_loopback`): the pointer moves only on a passing audit, by a conditional put that lets
//! exactly one of two racing publishers win; readers following the pointer only ever see whole
//! releases; rollback restores the previous bytes; the history records every event with no
//! credential in it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use contrakt_publish::object::Prefix;
use serde_json::Value;

use crate::s3_loopback::{put, start};
use crate::{Run, repo};

const NOW: &str = "2026-11-22T06:00:00Z";
const CONTRACT: &str = "contracts/deliveries.odcs.yaml";
const SECRET: &str = "s3cr3t-never-printed";

fn staged(kind: &str) -> PathBuf {
    repo().join("fixtures/data/staged").join(format!("deliveries-{kind}"))
}

/// Every file under a local folder (relative path → bytes).
fn local(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// A moto server with a bucket `lake`, and what talks to it.
struct Lake {
    _server: crate::s3_loopback::Server,
    endpoint: String,
    rt: tokio::runtime::Runtime,
}

impl Lake {
    fn new() -> Lake {
        let (server, endpoint) = start();
        put(&endpoint, "/lake", b"");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        Lake { _server: server, endpoint, rt }
    }

    /// The prefix as a reader sees it, with the same credentials the binary gets.
    fn prefix(&self, url: &str) -> Prefix {
        Prefix::parse_with(url, |b| {
            b.with_endpoint(&self.endpoint)
                .with_allow_http(true)
                .with_region("us-east-1")
                .with_access_key_id("test")
                .with_secret_access_key(SECRET)
        })
        .unwrap()
    }

    fn pointer(&self, url: &str) -> Option<Value> {
        let p = self.rt.block_on(self.prefix(url).read_pointer()).unwrap()?;
        Some(serde_json::to_value(p.0).unwrap())
    }

    /// The reader convention: the pointer, then the objects under its `current`.
    fn current(&self, url: &str) -> BTreeMap<String, Vec<u8>> {
        self.rt.block_on(self.prefix(url).read_current()).unwrap().expect("a published release").1
    }

    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_contrakt"));
        cmd.args(args).current_dir(dir).env("NO_COLOR", "1").env_remove("RUST_LOG").env_remove("CONTRAKT_LOG");
        for k in ["AWS_ENDPOINT", "AWS_PROFILE", "AWS_SESSION_TOKEN", "CONTRAKT_PUBLISH_FAULT"] {
            cmd.env_remove(k);
        }
        cmd.env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ALLOW_HTTP", "true");
        cmd
    }

    fn run(&self, args: &[&str]) -> Run {
        finish(args, self.command(repo(), args).output().unwrap())
    }

    fn publish(&self, staged: &str, to: &str, extra: &[&str]) -> Run {
        let mut args = vec!["publish", CONTRACT, "--staged", staged, "--to", to, "--now", NOW];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn finish(args: &[&str], out: std::process::Output) -> Run {
    let run = Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        dir: repo().to_path_buf(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "a credential was printed\n{run}");
    run
}

/// Run ids carry a one-second stamp: make sure the next publish gets another.
fn next_second() {
    std::thread::sleep(Duration::from_millis(1100));
}

#[test]
fn a_failing_audit_leaves_the_s3_pointer_alone_and_a_passing_one_moves_it() {
    let lake = Lake::new();
    let to = "s3://lake/published/deliveries";
    let tmp = tempfile::tempdir().unwrap();
    let history = tmp.path().join("h.db");
    let history = history.to_str().unwrap();

    let refused = lake.publish(staged("broken").to_str().unwrap(), to, &["--history", history]);
    refused.assert_exit(1);
    assert!(refused.stdout.contains("not published: the audit failed"), "{refused}");
    assert!(lake.pointer(to).is_none(), "no pointer after a failed audit");

    let published = lake.publish(staged("fixed").to_str().unwrap(), to, &["--format", "json", "--history", history]);
    published.assert_exit(0);
    let p = lake.pointer(to).unwrap();
    assert_eq!(published.json()["current"], p["current"], "{published}");
    assert_eq!(p["object"], "deliveries");
    assert_eq!(lake.current(to), local(&staged("fixed")), "the release is the staged data, byte for byte");
    let before = lake.rt.block_on(lake.prefix(to).read_pointer()).unwrap().unwrap();

    next_second();
    let refused = lake.publish(staged("broken").to_str().unwrap(), to, &["--history", history]);
    refused.assert_exit(1);
    let after = lake.rt.block_on(lake.prefix(to).read_pointer()).unwrap().unwrap();
    assert_eq!(after, before, "a failing audit leaves the pointer, and its ETag, untouched");
    assert!(refused.stdout.contains(&format!("still serves {}", p["current"].as_str().unwrap())), "{refused}");

    // Staged data in the same bucket is copied server-side, and publishes the same way.
    let parquet = std::fs::read(staged("fixed").join("deliveries.parquet")).unwrap();
    put(&lake.endpoint, "/lake/staged/deliveries/day=1/part-0.parquet", &parquet);
    put(&lake.endpoint, "/lake/staged/deliveries/_SUCCESS", b"");
    next_second();
    lake.publish("s3://lake/staged/deliveries/", to, &["--history", history]).assert_exit(0);
    let files = lake.current(to);
    assert_eq!(files.keys().collect::<Vec<_>>(), ["day=1/part-0.parquet"], "markers are not data");
    assert_eq!(files["day=1/part-0.parquet"], parquet);

    // `check` reads an S3 release at its pointer's `current`, as any reader does.
    let current = lake.pointer(to).unwrap()["current"].as_str().unwrap().to_string();
    let data = format!("deliveries={to}/{current}/");
    let check = lake.run(&["check", CONTRACT, "--data", &data, "--now", NOW, "--format", "json"]);
    check.assert_exit(0);
    assert_eq!(check.json()["reports"][0]["objects"][0]["rows"], 5100, "{check}");

    // The history has each event, with the S3 target and no credential.
    let events = crate::contrakt_in(
        repo(),
        ["history", "urn:contrakt:meal-kit:deliveries", "--events", "--store", history, "--format", "json"],
    );
    events.assert_exit(0);
    let events = events.json();
    let kinds: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["refuse", "publish", "refuse", "publish"]);
    assert_eq!(events[0]["target"], to);
    assert!(events[0]["failed"].as_i64().unwrap() > 0, "{events}");
    assert_eq!(events[2]["from_version"], p["current"]);
    assert_eq!(events[3]["staged"], "s3://lake/staged/deliveries/");
    let db = std::fs::read(tmp.path().join("h.db")).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains(SECRET));
}

/// Starts a publish that reads the pointer, then waits at `gate` before writing it.
fn racing_publish(lake: &Lake, staged: &Path, to: &str, gate: &Path) -> Child {
    let args = ["publish", CONTRACT, "--staged", staged.to_str().unwrap(), "--to", to, "--now", NOW];
    lake.command(repo(), &args)
        .env("CONTRAKT_PUBLISH_FAULT", format!("wait-before-pointer:{}", gate.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `n` publishers wait at `gate` (each leaves `gate.<pid>`).
fn waiting_at(gate: &Path, n: usize) {
    let dir = gate.parent().unwrap();
    let name = gate.file_name().unwrap().to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("{name}.")))
            .count();
        if waiting >= n {
            return;
        }
        assert!(Instant::now() < deadline, "the publishers did not reach the pointer");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn of_two_publishers_that_read_the_same_pointer_exactly_one_wins() {
    let lake = Lake::new();
    let tmp = tempfile::tempdir().unwrap();
    let to = "s3://lake/race/deliveries";
    let second = tmp.path().join("second");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::copy(staged("fixed").join("deliveries.parquet"), second.join("part-2.parquet")).unwrap();

    // Round 1 races for the first pointer (If-None-Match: *), round 2 to replace it (If-Match).
    for round in 1..=2 {
        let before = lake.pointer(to);
        let (gate_a, gate_b) = (tmp.path().join(format!("a{round}")), tmp.path().join(format!("b{round}")));
        let a = racing_publish(&lake, &staged("fixed"), to, &gate_a);
        let b = racing_publish(&lake, &second, to, &gate_b);
        waiting_at(&gate_a, 1);
        waiting_at(&gate_b, 1);
        // Both have read the same pointer; A writes first, then B tries with what it read.
        std::fs::write(&gate_a, "").unwrap();
        let a = finish(&["publish (a)"], a.wait_with_output().unwrap());
        std::fs::write(&gate_b, "").unwrap();
        let b = finish(&["publish (b)"], b.wait_with_output().unwrap());
        a.assert_exit(0);
        b.assert_exit(2);
        assert!(
            b.stderr.contains("another publish or rollback moved the pointer of s3://lake/race/deliveries first"),
            "{b}"
        );
        assert!(b.stderr.contains("this release was not published"), "{b}");
        let p = lake.pointer(to).unwrap();
        assert!(a.stdout.contains(p["current"].as_str().unwrap()), "the winner's release is current\n{a}");
        assert_eq!(p["history"].as_array().unwrap().len(), round - 1, "the loser is in no history: {p}");
        if let Some(before) = before {
            assert_eq!(p["history"][0], before["current"]);
        }
        assert_eq!(lake.current(to), local(&staged("fixed")));
        // The loser removed its copy: only the releases the pointer names are left.
        let mut named: Vec<String> =
            p["history"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().into()).collect();
        named.push(p["current"].as_str().unwrap().into());
        named.sort();
        assert_eq!(lake.rt.block_on(lake.prefix(to).releases()).unwrap(), named);
        next_second();
    }
}

#[test]
fn readers_on_s3_only_ever_see_whole_releases_and_rollback_restores_the_previous_bytes() {
    let lake = Arc::new(Lake::new());
    let tmp = tempfile::tempdir().unwrap();
    let to = "s3://lake/readers/deliveries";
    let second = tmp.path().join("second");
    std::fs::create_dir_all(second.join("day=1")).unwrap();
    let parquet = std::fs::read(staged("fixed").join("deliveries.parquet")).unwrap();
    std::fs::write(second.join("day=1/part-1.parquet"), &parquet).unwrap();
    let releases = [local(&staged("fixed")), {
        let mut m = BTreeMap::new();
        m.insert("day=1/part-1.parquet".to_string(), parquet.clone());
        m
    }];
    lake.publish(staged("fixed").to_str().unwrap(), to, &[]).assert_exit(0);
    let first = lake.current(to);

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (stop, lake, releases) = (stop.clone(), lake.clone(), releases.clone());
            std::thread::spawn(move || {
                let prefix = lake.prefix(to);
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (_, seen) = lake.rt.block_on(prefix.read_current()).unwrap().unwrap();
                    assert!(releases.contains(&seen), "a reader saw a release never published: {:?}", seen.keys());
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for dir in [&second, &staged("fixed"), &second] {
        next_second();
        lake.publish(dir.to_str().unwrap(), to, &[]).assert_exit(0);
    }
    let back = lake.run(&["publish", "--rollback", "--to", to]);
    back.assert_exit(0);
    assert!(back.stdout.contains("rolled back s3://lake/readers/deliveries"), "{back}");
    stop.store(true, Ordering::Relaxed);
    let reads: usize = readers.into_iter().map(|r| r.join().expect("a reader failed")).sum();
    assert!(reads > 5, "the readers ran during the publishes ({reads} reads)");
    assert_eq!(lake.current(to), first, "rollback restores the previous release exactly");
    let p = lake.pointer(to).unwrap();
    assert_eq!(p["history"].as_array().unwrap().len(), 3, "{p}");

    let nothing = lake.run(&["publish", "--rollback", "--to", "s3://lake/never-published"]);
    nothing.assert_exit(2);
    assert!(nothing.stderr.contains("s3://lake/never-published has no published release"), "{nothing}");
}

#[test]
fn a_hostile_s3_pointer_is_refused_and_no_object_is_deleted() {
    // "" names the whole prefix: pruning it would delete every release and the pointer.
    for bad in ["", "../victim", "v=x/../../victim", "/victim", "v=ok/deliveries.parquet"] {
        // moto takes unsigned PUTs only before the first signed request: a server per case.
        let lake = Lake::new();
        let to = "s3://lake/published/deliveries";
        put(&lake.endpoint, "/lake/victim/keep.parquet", b"precious");
        put(&lake.endpoint, "/lake/published/deliveries/v%3Dok/deliveries.parquet", b"release");
        let text = serde_json::json!({
            "version": 1, "current": "v=ok", "history": [bad], "run_id": "ok", "published_at": NOW,
            "contract": "urn:contrakt:meal-kit:deliveries", "contract_version": "1.0.0",
        })
        .to_string();
        put(&lake.endpoint, "/lake/published/deliveries/_published.json", text.as_bytes());
        let run = lake.publish(staged("fixed").to_str().unwrap(), to, &["--keep", "1"]);
        let back = lake.run(&["publish", "--rollback", "--to", to]);
        for run in [&run, &back] {
            run.assert_exit(2);
            assert!(run.stderr.contains("s3://lake/published/deliveries/_published.json"), "{run}");
            assert!(run.stderr.contains(&format!("{bad:?}")), "{run}");
        }
        let victim = lake.rt.block_on(lake.prefix("s3://lake/victim").read_release("")).unwrap();
        assert_eq!(victim.get("keep.parquet").map(Vec::as_slice), Some(&b"precious"[..]), "{bad:?}");
        let kept = lake.rt.block_on(lake.prefix(to).read_release("v=ok")).unwrap();
        assert_eq!(kept.get("deliveries.parquet").map(Vec::as_slice), Some(&b"release"[..]), "{bad:?}");
        assert_eq!(lake.rt.block_on(lake.prefix(to).releases()).unwrap(), ["v=ok"], "{bad:?}: nothing copied in");
    }
}
