//! `contrakt check` on Delta Lake tables written by delta-rs's own Python writer (`deltalake`,
//! pinned in `tests/requirements.txt`): a table whose history holds removed files (an
//! overwrite), a partitioned table with one partition overwritten, a schema-evolved table and a
//! deletion. Counts are compared with the writes themselves and with a reference read by pyarrow
//! over the files the `deltalake` package lists (`tests/it/consumers/delta_tables.py`), version
//! by version. Hostile logs (paths out of the table, garbage) are refused without a panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::written_tables::{check_on_s3, copy_dir, upload, written};
use crate::{Run, contrakt_in, repo};

/// The tables, written once for the whole test binary, and the script's reference counts.
fn tables() -> &'static (PathBuf, Value) {
    static TABLES: OnceLock<(PathBuf, Value)> = OnceLock::new();
    TABLES.get_or_init(|| written("delta_tables.py", &[&repo().join("fixtures/data/orders/orders.parquet")]))
}

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:test:delta\nversion: 1.0.0\nstatus: active\n";

/// A contract of one object `t` (id, amount, and the given extra properties), in a fresh folder
/// holding a copy of `table` (so tests may change it) as `table/`.
fn workspace(table: &str, extra: &str, servers: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&tables().0.join(table), &dir.path().join("table"));
    let contract = format!(
        "{HEAD}{servers}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n      - name: amount\n        logicalType: number\n{extra}"
    );
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    dir
}

fn check(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "c.yaml", "--data", "t=table", "--format", "json", "--now", "2026-01-01T00:00:00Z"];
    args.extend(extra);
    contrakt_in(dir, args)
}

/// The checked object's run: `objects[0]` of the one report.
fn object(run: &Run) -> Value {
    run.json()["reports"][0]["objects"][0].clone()
}

/// The `deleted` table (two versions) and its reference counts by version, for other modules.
pub(crate) fn deleted_table() -> (PathBuf, &'static Value) {
    (tables().0.join("deleted"), &tables().1["deleted"]["reference"])
}

fn reference(table: &str, version: u64) -> &'static Value {
    &tables().1[table]["reference"][version.to_string()]
}

fn latest(table: &str) -> u64 {
    tables().1[table]["reference"].as_object().unwrap().keys().map(|k| k.parse::<u64>().unwrap()).max().unwrap()
}

#[test]
fn tables_are_read_at_their_current_snapshot() {
    for table in ["overwritten", "partitioned", "evolved", "deleted"] {
        let extra = if table == "partitioned" { "      - name: day\n        logicalType: string\n" } else { "" };
        let dir = workspace(table, extra, "");
        let run = check(dir.path(), &[]);
        run.assert_exit(0);
        let o = object(&run);
        let v = latest(table);
        assert_eq!(o["format"], "delta", "{table}: {o:#}");
        assert_eq!(o["table_version"], v, "{table}: {o:#}");
        assert_eq!(o["rows"], reference(table, v)["rows"], "{table}: {o:#}");
        assert_eq!(o["rows"], tables().1[table]["expected"][v.to_string()], "{table}: {o:#}");
    }
}

#[test]
fn removed_files_are_not_counted() {
    // The folder holds every file ever written (100 + 50 + 30 rows); the table is the last 30.
    let dir = workspace("overwritten", "", "");
    let as_files = check(dir.path(), &[]).json()["reports"][0]["objects"][0]["rows"].clone();
    assert_eq!(as_files, 30);
    let mut args = vec!["check", "c.yaml", "--data", "t=table/*.parquet", "--format", "json"];
    args.extend(["--now", "2026-01-01T00:00:00Z"]);
    let plain = contrakt_in(dir.path(), args);
    assert_eq!(object(&plain)["rows"], 180, "read as plain Parquet, the removed files count: {plain}");
    assert_eq!(object(&plain)["format"], "parquet");
}

#[test]
fn as_of_reads_every_earlier_version() {
    for table in ["overwritten", "partitioned", "evolved", "deleted"] {
        let extra = if table == "partitioned" { "      - name: day\n        logicalType: string\n" } else { "" };
        let dir = workspace(table, extra, "");
        for v in 0..=latest(table) {
            let run = check(dir.path(), &["--as-of", &v.to_string()]);
            let o = object(&run);
            assert_eq!(o["table_version"], v, "{table}@{v}: {run}");
            assert_eq!(o["rows"], reference(table, v)["rows"], "{table}@{v}: {run}");
            if let Some(want) = tables().1[table]["expected"].get(v.to_string()) {
                assert_eq!(&o["rows"], want, "{table}@{v}");
            }
        }
    }
}

#[test]
fn as_of_a_time_reads_the_version_committed_then() {
    let dir = workspace("overwritten", "", "");
    // Half a second after version 1's commit (a second apart from the others).
    let ms = reference("overwritten", 1)["timestamp_ms"].as_i64().unwrap() + 500;
    let at = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
    let run = check(dir.path(), &["--as-of", &at]);
    let o = object(&run);
    assert_eq!(o["table_version"], 1, "{run}");
    assert_eq!(o["rows"], 150, "{run}");

    // Before the first commit there is no table: the object cannot be checked, and says when.
    let run = check(dir.path(), &["--as-of", "2001-01-01"]);
    run.assert_exit(2);
    assert!(run.stdout.contains("2001-01-01") || run.stderr.contains("2001-01-01"), "{run}");
    // A version that does not exist yet.
    let run = check(dir.path(), &["--as-of", "99"]);
    run.assert_exit(2);
    assert!(run.stdout.contains("version 99") || run.stderr.contains("version 99"), "{run}");
}

#[test]
fn partitions_and_where_slice_the_table() {
    let extra = "      - name: day\n        logicalType: string\n";
    let dir = workspace("partitioned", extra, "");
    let per_day = &reference("partitioned", latest("partitioned"))["per_day"];
    let run = check(dir.path(), &["--partition", "day=2025-01-02"]);
    assert_eq!(object(&run)["rows"], per_day["2025-01-02"], "the overwritten partition: {run}");
    assert_eq!(object(&run)["rows"], 7);
    let run = check(dir.path(), &["--where", "day = '2025-01-03' AND id >= 5"]);
    assert_eq!(object(&run)["rows"], per_day["2025-01-03"].as_u64().unwrap() - 5, "{run}");
    // An earlier version's slice: the partition before it was overwritten.
    let run = check(dir.path(), &["--partition", "day=2025-01-02", "--as-of", "2"]);
    assert_eq!(object(&run)["rows"], reference("partitioned", 2)["per_day"]["2025-01-02"], "{run}");
}

#[test]
fn an_added_column_is_null_in_older_files() {
    let extra = "      - name: note\n        logicalType: string\n        required: true\n";
    let dir = workspace("evolved", extra, "");
    let run = check(dir.path(), &[]);
    run.assert_exit(1);
    let report = &run.json()["reports"][0];
    let required = report["results"].as_array().unwrap().iter().find(|r| r["id"] == "t.note.required").unwrap();
    assert_eq!(required["failed_rows"], reference("evolved", 1)["null_notes"], "{required:#}");
    assert_eq!(required["failed_rows"], tables().1["evolved"]["null_notes"]["1"]);
    // Version 0 has no `note` column at all.
    let run = check(dir.path(), &["--as-of", "0"]);
    assert!(run.stdout.contains("note"), "{run}");
}

#[test]
fn a_server_with_format_delta_is_a_table_and_history_records_its_version() {
    let servers = "servers:\n  - server: lake\n    type: local\n    path: ./table\n    format: delta\n";
    let dir = workspace("deleted", "", servers);
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--format", "json", "--history", "h.db"]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], 90);
    assert_eq!(object(&run)["table_version"], 1);
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--format", "json", "--history", "h.db", "--as-of", "0"]);
    assert_eq!(object(&run)["rows"], 100, "{run}");
    let history =
        contrakt_in(dir.path(), ["history", "--store", "h.db", "--metric", "tableVersion", "--format", "json"]);
    history.assert_exit(0);
    let mut versions: Vec<f64> =
        history.json().as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    versions.sort_by(f64::total_cmp);
    assert_eq!(versions, [0.0, 1.0], "{history}");
}

#[test]
fn as_of_needs_a_table_with_versions() {
    let dir = workspace("deleted", "", "");
    std::fs::write(dir.path().join("t.csv"), "id,amount\n1,2.5\n").unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.csv", "--as-of", "1"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("--as-of") && run.stderr.contains("Delta"), "{run}");
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=table", "--as-of", "yesterday"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("yesterday"), "{run}");
}

/// Appends a commit to a copied table's log that adds `path` (and removes nothing).
fn add_commit(table: &Path, version: u64, add: &Value) {
    let commit = serde_json::json!({"add": add});
    let name = table.join("_delta_log").join(format!("{version:020}.json"));
    std::fs::write(name, format!("{commit}\n")).unwrap();
}

fn add_action(path: &str, size: u64) -> Value {
    serde_json::json!({"path": path, "partitionValues": {}, "size": size, "modificationTime": 1, "dataChange": true})
}

#[test]
fn a_hostile_log_cannot_read_outside_the_table() {
    let dir = workspace("deleted", "", "");
    let table = dir.path().join("table");
    // A Parquet file outside the table, which the log tries to have read.
    let secret = dir.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    let data =
        std::fs::read_dir(&table).unwrap().flatten().find(|e| e.path().extension().is_some_and(|x| x == "parquet"));
    let data = data.unwrap().path();
    let size = std::fs::metadata(&data).unwrap().len();
    std::fs::copy(&data, secret.join("s.parquet")).unwrap();
    let absolute = format!("file://{}", secret.join("s.parquet").canonicalize().unwrap().display());
    for (i, path) in ["../secret/s.parquet", "%2E%2E/secret/s.parquet", absolute.as_str()].into_iter().enumerate() {
        let copy = dir.path().join(format!("hostile{i}"));
        copy_dir(&table, &copy);
        add_commit(&copy, 2, &add_action(path, size));
        let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", &format!("t=hostile{i}"), "--format", "json"]);
        run.assert_exit(2);
        assert!(run.stderr.contains("outside the table"), "{path}: {run}");
        assert!(run.stdout.trim().is_empty(), "{path}: nothing is read or counted: {run}");
    }
    // A symbolic link inside the table that leads out of it.
    let copy = dir.path().join("linked");
    copy_dir(&table, &copy);
    std::os::unix::fs::symlink(secret.join("s.parquet"), copy.join("inside.parquet")).unwrap();
    add_commit(&copy, 2, &add_action("inside.parquet", size));
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=linked", "--format", "json"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("symbolic link"), "{run}");
}

#[test]
fn a_broken_log_is_an_error_not_a_crash() {
    let dir = workspace("deleted", "", "");
    let table = dir.path().join("table");
    let cases: [(&str, &[u8]); 5] = [
        ("not json", b"{not json"),
        ("binary", b"\x00\xff\xfe\x00garbage"),
        ("empty add", b"{\"add\": {}}\n"),
        ("wrong types", b"{\"add\": {\"path\": 7, \"size\": \"big\", \"partitionValues\": [], \"modificationTime\": -1, \"dataChange\": 1}}\n"),
        ("a metaData that lies", b"{\"metaData\": {\"id\": \"x\", \"format\": {\"provider\": \"parquet\", \"options\": {}}, \"schemaString\": \"{\\\"type\\\": \\\"struct\\\", \\\"fields\\\": [{\\\"name\\\": \\\"id\\\", \\\"type\\\": \\\"decimal(99,99)\\\", \\\"nullable\\\": true, \\\"metadata\\\": {}}]}\", \"partitionColumns\": [\"nope\"], \"configuration\": {}}}\n"),
    ];
    for (i, (what, text)) in cases.iter().enumerate() {
        let copy = dir.path().join(format!("broken{i}"));
        copy_dir(&table, &copy);
        std::fs::write(copy.join("_delta_log").join(format!("{:020}.json", 2)), text).unwrap();
        let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", &format!("t=broken{i}"), "--format", "json"]);
        run.assert_no_panic();
        assert_eq!(run.code, Some(2), "{what}: {run}");
    }
    // A log folder with no commit at all.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(empty.join("_delta_log")).unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=empty", "--format", "json"]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "{run}");
}

/// `diff` against the table as deployed: the orders fixture written as a Delta table without
/// `total_amount`, compared with the registered contract, names the consumer that reads it.
#[test]
fn diff_against_a_live_table_names_the_consumers_a_drift_breaks() {
    let table = tables().0.join("orders");
    let table = table.to_str().unwrap();
    let run = crate::contrakt([
        "diff",
        "contracts/orders.odcs.yaml",
        table,
        "--consumers",
        "contracts/consumers",
        "--format",
        "json",
    ]);
    run.assert_exit(1);
    let findings = run.findings();
    let removed = findings
        .iter()
        .find(|f| f["path"] == "orders.total_amount")
        .unwrap_or_else(|| panic!("no finding on orders.total_amount\n{run}"));
    assert!(removed["code"] == "F004" || removed["code"] == "F005", "a removed field: {run}");
    let affected: Vec<&str> =
        removed["affected_consumers"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(affected.contains(&"finance-revenue-dashboard"), "{run}");
    assert_eq!(removed["level"], "error", "a consumer reads it: {run}");
    // Findings on the table's side name it, and the version read.
    let typed = findings.iter().find(|f| f["path"] == "orders.order_id").unwrap();
    assert!(typed["file"].as_str().unwrap().ends_with("orders (Delta table, version 0)"), "{run}");
    // The same table against itself: no drift.
    crate::contrakt(["diff", table, table]).assert_exit(0);
}

/// `infer` drafts a contract from a Delta table's current snapshot (not its removed files),
/// with `format: delta` on its server, and that contract checks the table.
#[test]
fn infer_drafts_from_the_snapshot() {
    let dir = workspace("overwritten", "", "");
    let run = contrakt_in(dir.path(), ["infer", "t=table", "-o", "drafted.yaml", "--now", "2026-01-01T00:00:00Z"]);
    run.assert_exit(0);
    let drafted = std::fs::read_to_string(dir.path().join("drafted.yaml")).unwrap();
    assert!(drafted.contains("format: delta"), "{drafted}");
    assert!(drafted.contains("in 30 rows"), "profiled the 30 rows of the snapshot: {drafted}");
    let run = contrakt_in(dir.path(), ["check", "drafted.yaml", "--format", "json", "--now", "2026-01-01T00:00:00Z"]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], 30, "{run}");
}

/// A Delta table in S3 (moto's server on loopback, [`crate::s3_loopback`]), named by a server
/// with `format: delta`: read through contrakt's own S3 store, at its snapshot and by version.
#[test]
fn a_table_in_s3_is_read_at_its_snapshot() {
    let (_server, endpoint) = crate::s3_loopback::start();
    crate::s3_loopback::put(&endpoint, "/lake", b"");
    upload(&endpoint, &tables().0.join("deleted"), "/lake/tables/deleted");
    let servers =
        "servers:\n  - server: lake\n    type: s3\n    location: s3://lake/tables/deleted/\n    format: delta\n";
    let dir = workspace("deleted", "", servers);
    let run = |extra: &[&str]| check_on_s3(dir.path(), &endpoint, extra);
    let now = run(&[]);
    assert_eq!(now["rows"], reference("deleted", 1)["rows"], "{now:#}");
    assert_eq!(now["table_version"], 1);
    assert_eq!(now["source"], "s3://lake/tables/deleted/");
    let before = run(&["--as-of", "0"]);
    assert_eq!(before["rows"], reference("deleted", 0)["rows"], "{before:#}");
    // Given with --data and no format, the folder is still read as the table (by its
    // _delta_log/), not as its files (the removed one would count: 190 rows).
    let given = run(&["--data", "t=s3://lake/tables/deleted/"]);
    assert_eq!(given["rows"], reference("deleted", 1)["rows"], "{given:#}");
    assert_eq!(given["format"], "delta", "{given:#}");
    assert_eq!(given["table_version"], 1, "{given:#}");
}

/// The table's version and its `id`s, sorted, as the `deltalake` Python package reads them (not
/// contrakt).
fn table_state(table: &Path) -> (u64, Vec<i64>) {
    // `os._exit`: the interpreter's shutdown can abort in delta-rs's native threads ("terminate
    // called without an active exception") after the answer is out.
    let script = "import json, os, sys\nfrom deltalake import DeltaTable\nt = DeltaTable(sys.argv[1])\nprint(json.dumps({'version': t.version(), 'ids': sorted(t.to_pyarrow_table().column('id').to_pylist())}), flush=True)\nos._exit(0)";
    let out = std::process::Command::new(crate::test_python()).args(["-c", script]).arg(table).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = v["ids"].as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect();
    (v["version"].as_u64().unwrap(), ids)
}

/// Write-audit-publish to a Delta table: a failing audit leaves the table as it was; a passing
/// one adds exactly one version holding exactly the staged rows; rollback commits a version
/// holding exactly the rows of the one before.
#[test]
fn publish_to_a_delta_table_commits_only_audited_data_and_rolls_back_exactly() {
    let dir = workspace("overwritten", "", "");
    let table = dir.path().join("table");
    let (v0, ids0) = table_state(&table);
    assert_eq!((v0, ids0.len()), (2, 30));
    std::fs::write(dir.path().join("bad.csv"), "id,amount\n2000,1.5\n,2.5\n").unwrap();
    std::fs::write(dir.path().join("good.csv"), "id,amount\n2000,1.5\n2001,2.5\n2002,3.5\n").unwrap();
    let publish = |staged: &str| {
        contrakt_in(
            dir.path(),
            ["publish", "c.yaml", "--staged", staged, "--to", "table", "--no-history", "--now", "2026-01-01T00:00:00Z"],
        )
    };
    let refused = publish("bad.csv");
    refused.assert_exit(1);
    assert!(refused.stdout.contains("not published") && refused.stdout.contains("version 2"), "{refused}");
    assert_eq!(table_state(&table), (v0, ids0.clone()), "a refused release changes nothing");

    let published = publish("good.csv");
    published.assert_exit(0);
    assert!(published.stdout.contains("version 3"), "{published}");
    let (v1, ids1) = table_state(&table);
    assert_eq!(v1, v0 + 1, "exactly one commit");
    let mut want = ids0.clone();
    want.extend([2000, 2001, 2002]);
    want.sort();
    assert_eq!(ids1, want, "exactly the staged rows added");
    // contrakt reads the new version too.
    assert_eq!(object(&check(dir.path(), &[]))["rows"], 33);

    let back = contrakt_in(dir.path(), ["publish", "--rollback", "--to", "table", "--no-history"]);
    back.assert_exit(0);
    assert!(back.stdout.contains("version 4 (the rows of version 2)"), "{back}");
    assert_eq!(table_state(&table), (v1 + 1, ids0), "the rows of the version before");
    let log = std::fs::read_to_string(table.join("_publish_log.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 3, "{log}");
}

/// A partial publish to a Delta table (`contraktPartialPublish`, `--quarantine`): the commit
/// holds only the rows that pass, and the quarantine the rest.
#[test]
fn a_partial_publish_to_a_delta_table_appends_only_the_rows_that_pass() {
    let allow =
        "    customProperties:\n      - property: contraktPartialPublish\n        value: {maxFailingFraction: 0.5}\n";
    let dir = workspace("overwritten", allow, "");
    let held = tempfile::tempdir().unwrap();
    let table = dir.path().join("table");
    let (v0, ids0) = table_state(&table);
    std::fs::write(dir.path().join("mixed.csv"), "id,amount\n2000,1.5\n,2.5\n2001,3.5\n").unwrap();
    let run = contrakt_in(
        dir.path(),
        [
            "publish",
            "c.yaml",
            "--staged",
            "mixed.csv",
            "--to",
            "table",
            "--no-history",
            "--now",
            "2026-01-01T00:00:00Z",
            "--quarantine",
            held.path().to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    run.assert_exit(0);
    let json = run.json();
    assert_eq!(
        (json["partial"]["published_rows"].as_u64(), json["partial"]["quarantined_rows"].as_u64()),
        (Some(2), Some(1)),
        "{json:#}"
    );
    let (v1, ids1) = table_state(&table);
    assert_eq!(v1, v0 + 1, "exactly one commit");
    let mut want = ids0;
    want.extend([2000, 2001]);
    want.sort();
    assert_eq!(ids1, want, "only the rows that pass");
    let log = std::fs::read_to_string(table.join("_publish_log.jsonl")).unwrap();
    assert!(log.contains("\"event\":\"published-partial\""), "{log}");
}
