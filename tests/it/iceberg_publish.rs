//! Write-audit-publish on Iceberg tables: pyiceberg writes the staged snapshots (a branch, a
//! staged `wap.id` snapshot) in an SQL catalog on SQLite, `contrakt publish` audits one and
//! fast-forwards `main` to it, and pyiceberg reads the table back
//! (`tests/it/consumers/iceberg_wap.py`), not contrakt: a refused audit leaves `main` as it was,
//! a passing one makes `main` exactly the staged snapshot, a rollback restores the exact rows
//! before, and a commit made by another writer between the audit and the commit is detected.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Run, contrakt_in, repo};

const CONTRACT: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:test:iceberg-wap\nversion: 1.0.0\nstatus: active\nschema:\n  - name: orders\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n      - name: amount\n        logicalType: number\n        logicalTypeOptions: {minimum: 0}\n";

/// A fresh catalog written by pyiceberg, and the contract, in a temporary folder.
fn lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    wap(dir.path(), &["setup"]);
    std::fs::write(dir.path().join("c.yaml"), CONTRACT).unwrap();
    dir
}

fn wap(dir: &Path, args: &[&str]) -> Value {
    let out = std::process::Command::new(crate::test_python())
        .arg(repo().join("tests/it/consumers/iceberg_wap.py"))
        .arg(args[0])
        .arg(dir)
        .args(&args[1..])
        .output()
        .expect("run iceberg_wap.py");
    assert!(out.status.success(), "iceberg_wap.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("iceberg_wap.py prints JSON")
}

/// The tables as pyiceberg reads them through the catalog.
fn read(dir: &Path) -> Value {
    wap(dir, &["read"])
}

fn catalog(dir: &Path, table: &str) -> String {
    format!("sqlite:///{}#db.{table}", dir.join("catalog.db").display())
}

fn publish(dir: &Path, staged: &str, to: &str) -> Run {
    contrakt_in(dir, ["publish", "c.yaml", "--staged", staged, "--to", to, "--no-history", "--format", "json"])
}

fn ids(range: std::ops::Range<i64>) -> Value {
    Value::from(range.collect::<Vec<_>>())
}

#[test]
fn a_refused_audit_changes_nothing_and_a_passing_one_fast_forwards_main() {
    let dir = lake();
    let to = catalog(dir.path(), "orders");
    let before = read(dir.path())["orders"].clone();
    assert_eq!(before["ids"], ids(0..10));

    // `bad` holds negative amounts: refused, and the table is exactly as it was.
    let run = publish(dir.path(), "@bad", &to);
    run.assert_exit(1);
    assert_eq!(run.json()["published"], false, "{run}");
    assert_eq!(read(dir.path())["orders"], before, "a refused audit changes nothing: {run}");

    // `audit` passes: main is now exactly its snapshot, with its rows.
    let run = publish(dir.path(), "@audit", &to);
    run.assert_exit(0);
    let after = read(dir.path())["orders"].clone();
    assert_eq!(after["main"], before["refs"]["audit"], "{run}");
    assert_eq!(after["ids"], ids(0..15), "{run}");
    assert_eq!(run.json()["current"], format!("snapshot {}", after["main"]), "{run}");
    assert_ne!(after["metadata_location"], before["metadata_location"], "a new metadata version");
    assert_eq!(after["snapshot_log"].as_array().unwrap().last(), Some(&after["main"]));
    // The other branches are untouched.
    for branch in ["bad", "more", "audit"] {
        assert_eq!(after["refs"][branch], before["refs"][branch], "{branch}");
    }
    // The audit read the staged snapshot: 15 rows.
    assert_eq!(run.json()["check"]["reports"][0]["objects"][0]["rows"], 15, "{run}");
    let log = std::fs::read_to_string(Path::new(after["location"].as_str().unwrap()).join("_publish_log.jsonl"));
    assert!(log.unwrap().lines().count() == 2, "an audit-failed line and a published line");

    // Rollback: main returns to the snapshot before, with exactly its rows.
    let run = contrakt_in(dir.path(), ["publish", "--rollback", "--to", &to, "--no-history"]);
    run.assert_exit(0);
    let back = read(dir.path())["orders"].clone();
    assert_eq!(back["main"], before["main"], "{run}");
    assert_eq!(back["ids"], before["ids"], "{run}");
    assert!(run.stdout.contains(&format!("snapshot {}", before["main"])), "{run}");
}

#[test]
fn a_branch_of_several_commits_and_a_staged_wap_snapshot_publish_whole() {
    let dir = lake();
    let to = catalog(dir.path(), "orders");
    let before = read(dir.path())["orders"].clone();
    // `TABLE@REF` names the same table as --to.
    let run = publish(dir.path(), &format!("{to}@more"), &to);
    run.assert_exit(0);
    let after = read(dir.path())["orders"].clone();
    assert_eq!(after["main"], before["refs"]["more"], "{run}");
    let mut want: Vec<i64> = (0..10).chain(20..25).collect();
    want.sort();
    assert_eq!(after["ids"], Value::from(want));
    // Rolled back past both commits of `more`: to what main was before the publish.
    contrakt_in(dir.path(), ["publish", "--rollback", "--to", &to, "--no-history"]).assert_exit(0);
    assert_eq!(read(dir.path())["orders"]["ids"], ids(0..10));
    assert_eq!(read(dir.path())["orders"]["main"], before["main"]);

    // Spark's write-audit-publish: a snapshot on no branch, found by its wap.id.
    let run = publish(dir.path(), "@wap.id=w1", &to);
    run.assert_exit(0);
    let after = read(dir.path())["orders"].clone();
    assert_eq!(after["main"], before["wap"]["w1"], "{run}");
    let want: Vec<i64> = (0..10).chain(30..34).collect();
    assert_eq!(after["ids"], Value::from(want));
}

#[test]
fn what_cannot_fast_forward_is_refused_before_the_audit() {
    let dir = lake();
    let before = read(dir.path());
    for (staged, to, message) in [
        // Main moved on since `stale` was branched: publishing it would drop main's new row.
        ("@stale", catalog(dir.path(), "moved"), "does not descend from main"),
        ("@nope", catalog(dir.path(), "orders"), "no branch, tag or snapshot `nope`"),
        ("@main", catalog(dir.path(), "orders"), "what a publish moves"),
        ("@wap.id=w9", catalog(dir.path(), "orders"), "no snapshot carries wap.id `w9`"),
        ("staged/", catalog(dir.path(), "orders"), "audits a snapshot of it"),
        ("other@audit", catalog(dir.path(), "orders"), "not of the table published to"),
    ] {
        let run = publish(dir.path(), staged, &to);
        run.assert_exit(2);
        assert!(run.stderr.contains(message), "{staged}: {run}");
        assert!(!run.stdout.contains("\"check\""), "{staged}: no audit ran: {run}");
    }
    assert_eq!(read(dir.path()), before, "nothing changed");
    // Rolling back a table whose main never moved has nowhere to go.
    let run =
        contrakt_in(dir.path(), ["publish", "--rollback", "--to", &catalog(dir.path(), "orders"), "--no-history"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("no earlier snapshot"), "{run}");
}

/// Another writer commits to the table between contrakt's audit and its commit: the catalog's
/// conditional update finds another metadata location, and the publish fails (exit 2 on the
/// command line) without losing that commit.
#[test]
fn a_concurrent_commit_between_audit_and_commit_is_detected() {
    use contrakt::workflow::check::History;
    use contrakt::workflow::publish::{Options, Outcome, Step, publish_observed};

    let dir = lake();
    let to = catalog(dir.path(), "orders");
    let before = read(dir.path())["orders"].clone();
    let registry = contrakt::Registry::open(dir.path().join("c.yaml")).unwrap();
    let options = Options { history: History::Off, cwd: Some(dir.path().to_path_buf()), ..Options::new("@audit", &to) };
    let mut concurrent = None;
    let done = publish_observed(&registry, options, &mut |step| {
        if matches!(step, Step::Checked) {
            concurrent = Some(wap(dir.path(), &["commit"]));
        }
    })
    .unwrap();
    assert!(done.report.passed, "the audit passed: {:?}", done.report.summary);
    let Outcome::Failed { why, .. } = &done.outcome else { panic!("{:?}", done.outcome) };
    assert!(why.contains("changed since it was audited"), "{why}");
    let after = read(dir.path())["orders"].clone();
    assert_eq!(after["main"], concurrent.unwrap()["main"], "the other writer's commit stands");
    let want: Vec<i64> = (0..10).chain([999]).collect();
    assert_eq!(after["ids"], Value::from(want));
    assert_ne!(after["main"], before["refs"]["audit"]);
    // No metadata file was left behind by the failed commit.
    let metadata = Path::new(after["location"].as_str().unwrap()).join("metadata");
    let files = std::fs::read_dir(&metadata).unwrap().flatten();
    let versions = files.filter(|e| e.file_name().to_string_lossy().ends_with(".metadata.json")).count();
    let log = after["metadata_location"].as_str().unwrap().rsplit('/').next().unwrap()[..5].parse::<usize>().unwrap();
    assert_eq!(versions, log + 1, "only the catalog's own versions: {metadata:?}");
}

/// A table without a catalog (its folder): the next `vN.metadata.json` is created only if no
/// writer created it first, and pyiceberg reads the new version as the table.
#[test]
fn a_table_without_a_catalog_gets_its_next_version_only_if_absent() {
    let dir = lake();
    let table = PathBuf::from(read(dir.path())["orders"]["location"].as_str().unwrap());
    let before = read(dir.path())["orders"].clone();
    let metadata = table.join("metadata");
    let run = publish(dir.path(), "@audit", table.to_str().unwrap());
    run.assert_exit(0);
    let newest = |n: u32| metadata.join(format!("v{n}.metadata.json"));
    // pyiceberg wrote 00000… to 00008…; the next version is 9.
    let n = (0..100).rev().find(|n| newest(*n).exists()).expect("a vN.metadata.json");
    let version = std::fs::read_to_string(metadata.join("version-hint.text")).unwrap();
    assert_eq!(version.trim(), n.to_string());
    let after = wap(dir.path(), &["read", newest(n).to_str().unwrap()])["orders"].clone();
    assert_eq!(after["main"], before["refs"]["audit"]);
    assert_eq!(after["ids"], ids(0..15));
    // The metadata log names the version before, as the table's location names files (a URL).
    let written: Value = serde_json::from_slice(&std::fs::read(newest(n)).unwrap()).unwrap();
    let log = written["metadata-log"].as_array().unwrap();
    assert_eq!(log.last().unwrap()["metadata-file"], before["metadata_location"]);
    // contrakt reads the table at its new head too.
    let run = contrakt_in(dir.path(), ["publish", "--rollback", "--to", table.to_str().unwrap(), "--no-history"]);
    run.assert_exit(0);
    let back = wap(dir.path(), &["read", newest(n + 1).to_str().unwrap()])["orders"].clone();
    assert_eq!(back["ids"], ids(0..10));
    // Another writer commits the next version between the audit and the commit: it stands.
    use contrakt::workflow::check::History;
    use contrakt::workflow::publish::{Options, Outcome, Step, publish_observed};
    let registry = contrakt::Registry::open(dir.path().join("c.yaml")).unwrap();
    let to = table.to_str().unwrap();
    let options = Options { history: History::Off, cwd: Some(dir.path().to_path_buf()), ..Options::new("@audit", to) };
    let theirs = std::fs::read(newest(n)).unwrap();
    let done = publish_observed(&registry, options, &mut |step| {
        if matches!(step, Step::Checked) {
            std::fs::write(newest(n + 2), &theirs).unwrap();
        }
    })
    .unwrap();
    let Outcome::Failed { why, .. } = &done.outcome else { panic!("{:?}", done.outcome) };
    assert!(why.contains("changed since it was audited"), "{why}");
    assert_eq!(std::fs::read(newest(n + 2)).unwrap(), theirs, "their version is not overwritten");
    assert!(!newest(n + 3).exists());
}

/// The metadata is someone else's: a staged snapshot naming files outside the table, or
/// metadata that is not what Iceberg writes, stops the publish (exit 2) before anything is
/// committed; pyiceberg reads `main` as it was.
#[test]
fn hostile_metadata_stops_the_publish_and_changes_nothing() {
    let dir = lake();
    let to = catalog(dir.path(), "orders");
    let before = read(dir.path())["orders"].clone();
    let file = PathBuf::from(before["metadata_location"].as_str().unwrap().trim_start_matches("file://"));
    let original = std::fs::read(&file).unwrap();
    let audit = before["refs"]["audit"].clone();
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "a staged manifest list outside the table",
            Box::new(move |m: &mut Value| {
                for s in m["snapshots"].as_array_mut().unwrap() {
                    if s["snapshot-id"] == audit {
                        s["manifest-list"] = "/etc/passwd".into();
                    }
                }
            }),
            "not under the table's location",
        ),
        (
            "refs that are not refs",
            Box::new(|m: &mut Value| m["refs"]["audit"] = 5.into()),
            "not Iceberg table metadata",
        ),
        (
            "no snapshots",
            Box::new(|m: &mut Value| m["snapshots"] = serde_json::json!([])),
            "the metadata does not hold",
        ),
    ];
    for (what, edit, message) in cases {
        let mut metadata: Value = serde_json::from_slice(&original).unwrap();
        edit(&mut metadata);
        std::fs::write(&file, serde_json::to_vec(&metadata).unwrap()).unwrap();
        let run = publish(dir.path(), "@audit", &to);
        run.assert_no_panic();
        assert_eq!(run.code, Some(2), "{what}: {run}");
        assert!(run.stderr.contains(message), "{what}: {run}");
        std::fs::write(&file, &original).unwrap();
        assert_eq!(read(dir.path())["orders"], before, "{what}: nothing committed");
    }
}

/// Each refusal, publish and rollback is an event of the history store, from snapshot to
/// snapshot, and a canary that already fails refuses before the full audit.
#[test]
fn publishes_and_rollbacks_are_recorded_in_the_history() {
    let dir = lake();
    let to = catalog(dir.path(), "orders");
    let before = read(dir.path())["orders"].clone();
    let history = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--history", "h.db"]);
        contrakt_in(dir.path(), all)
    };
    // Half of `bad`'s new rows are negative: the canary of 0.99 of the rows sees them.
    let run = history(&["publish", "c.yaml", "--staged", "@bad", "--to", &to, "--canary", "0.99"]);
    run.assert_exit(1);
    assert!(run.stdout.contains("canary"), "{run}");
    history(&["publish", "c.yaml", "--staged", "@audit", "--to", &to]).assert_exit(0);
    history(&["publish", "--rollback", "--to", &to]).assert_exit(0);
    let store = contrakt_history::Store::open(&dir.path().join("h.db")).unwrap();
    let events = store.events(&contrakt_history::Query::default()).unwrap();
    let events: Vec<_> =
        events.into_iter().map(|e| (e.kind.as_str().to_string(), e.from_version, e.to_version)).collect();
    let (main, audit) = (format!("snapshot {}", before["main"]), format!("snapshot {}", before["refs"]["audit"]));
    assert_eq!(
        events,
        [
            ("refuse".into(), Some(main.clone()), Some(main.clone())),
            ("publish".into(), Some(main.clone()), Some(audit.clone())),
            ("rollback".into(), Some(audit), Some(main)),
        ]
    );
    let log = std::fs::read_to_string(Path::new(before["location"].as_str().unwrap()).join("_publish_log.jsonl"));
    let kinds: Vec<String> = log
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["canary-failed", "published", "rollback"]);
}
