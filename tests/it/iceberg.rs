//! `contrakt check` on Apache Iceberg tables written by pyiceberg (pinned in
//! `tests/requirements.txt`) in a SQL catalog on SQLite: a table whose history holds removed
//! files (an overwrite), a partitioned table with one partition overwritten, a schema-evolved
//! table (a column renamed, one added), a table with merge-on-read position deletes (applied)
//! and one with an equality delete (refused). Counts are compared, snapshot by snapshot, with
//! pyiceberg's own scan of the same snapshot (`tests/it/consumers/iceberg_tables.py`). Hostile
//! metadata is refused without a panic and without reading outside the table.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::written_tables::{check_on_s3, copy_dir, upload, written};
use crate::{Run, contrakt_in};

/// The tables, written once for the whole test binary, and the script's reference counts.
fn tables() -> &'static (PathBuf, Value) {
    static TABLES: OnceLock<(PathBuf, Value)> = OnceLock::new();
    TABLES.get_or_init(|| written("iceberg_tables.py", &[]))
}

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:test:iceberg\nversion: 1.0.0\nstatus: active\n";

fn info(table: &str) -> &'static Value {
    &tables().1[table]
}

/// A contract of one object `t` (id and the given properties) in a fresh folder holding a copy
/// of `table` as `table/` (its metadata still names the folder pyiceberg wrote it in).
fn workspace(table: &str, properties: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(info(table)["location"].as_str().unwrap()), &dir.path().join("table"));
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n{properties}"
    );
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    dir
}

const AMOUNT: &str = "      - name: amount\n        logicalType: number\n";

fn check(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "c.yaml", "--data", "t=table", "--format", "json", "--now", "2026-01-01T00:00:00Z"];
    args.extend(extra);
    contrakt_in(dir, args)
}

fn object(run: &Run) -> Value {
    run.json()["reports"][0]["objects"][0].clone()
}

fn reference(table: &str, snapshot: &str) -> &'static Value {
    &info(table)["reference"][snapshot]
}

fn current(table: &str) -> &'static str {
    info(table)["current"].as_str().unwrap()
}

#[test]
fn tables_are_read_at_their_current_snapshot() {
    for (table, props) in [
        ("overwritten", AMOUNT.to_string()),
        ("partitioned", format!("{AMOUNT}      - name: day\n        logicalType: string\n")),
        ("evolved", "      - name: price\n        logicalType: number\n".to_string()),
    ] {
        let dir = workspace(table, &props);
        let run = check(dir.path(), &[]);
        run.assert_exit(0);
        let o = object(&run);
        assert_eq!(o["format"], "iceberg", "{table}: {o:#}");
        assert_eq!(o["table_version"].to_string(), current(table), "{table}: {o:#}");
        assert_eq!(o["rows"], reference(table, current(table))["rows"], "{table}: {o:#}");
        let written = info(table)["expected"].as_array().unwrap().last().unwrap();
        assert_eq!(&o["rows"], written, "{table}: {o:#}");
    }
}

#[test]
fn every_snapshot_reads_as_pyiceberg_reads_it() {
    for table in ["overwritten", "partitioned", "evolved"] {
        let dir = workspace(table, "");
        for snapshot in info(table)["snapshots"].as_array().unwrap() {
            let snapshot = snapshot.as_str().unwrap();
            let run = check(dir.path(), &["--as-of", snapshot]);
            let o = object(&run);
            assert_eq!(o["table_version"].to_string(), snapshot, "{table}@{snapshot}: {run}");
            assert_eq!(o["rows"], reference(table, snapshot)["rows"], "{table}@{snapshot}: {run}");
        }
    }
}

#[test]
fn removed_files_are_not_counted() {
    // The folder holds every file ever written (100 + 50 + 30 rows); the table is the last 30.
    let dir = workspace("overwritten", AMOUNT);
    assert_eq!(object(&check(dir.path(), &[]))["rows"], 30);
    let mut args = vec!["check", "c.yaml", "--data", "t=table/data/*.parquet", "--format", "json"];
    args.extend(["--now", "2026-01-01T00:00:00Z"]);
    let plain = contrakt_in(dir.path(), args);
    assert_eq!(object(&plain)["rows"], 180, "read as plain Parquet, the removed files count: {plain}");
}

#[test]
fn as_of_a_time_reads_the_snapshot_current_then() {
    let dir = workspace("overwritten", AMOUNT);
    let second = info("overwritten")["snapshots"][1].as_str().unwrap();
    // Half a second after the second append (a second apart from the others).
    let ms = reference("overwritten", second)["timestamp_ms"].as_i64().unwrap() + 500;
    let at = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
    let run = check(dir.path(), &["--as-of", &at]);
    assert_eq!(object(&run)["table_version"].to_string(), second, "{run}");
    assert_eq!(object(&run)["rows"], 150, "{run}");
    let run = check(dir.path(), &["--as-of", "2001-01-01"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("no snapshot"), "{run}");
    let run = check(dir.path(), &["--as-of", "12345"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("no snapshot 12345"), "{run}");
}

#[test]
fn partitions_and_where_slice_the_table() {
    let dir = workspace("partitioned", "      - name: day\n        logicalType: string\n");
    let per_day = &reference("partitioned", current("partitioned"))["per_day"];
    let run = check(dir.path(), &["--partition", "day=2025-01-02"]);
    assert_eq!(object(&run)["rows"], per_day["2025-01-02"], "the overwritten partition: {run}");
    assert_eq!(object(&run)["rows"], 7);
    let run = check(dir.path(), &["--where", "day = '2025-01-03' AND id >= 5"]);
    assert_eq!(object(&run)["rows"], per_day["2025-01-03"].as_u64().unwrap() - 5, "{run}");
}

/// `amount` was renamed `price` and `note` added: files written before carry `amount` (field
/// id 2), read as `price`; `note` is null in them.
#[test]
fn renamed_and_added_columns_map_by_field_id() {
    let props = "      - name: price\n        logicalType: number\n        required: true\n      - name: note\n        logicalType: string\n        required: true\n";
    let dir = workspace("evolved", props);
    let run = check(dir.path(), &[]);
    run.assert_exit(1);
    let results = run.json()["reports"][0]["results"].clone();
    let result = |id: &str| results.as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap();
    let now = reference("evolved", current("evolved"));
    assert_eq!(result("t.price.required")["failed_rows"], now["nulls"]["price"], "{run}");
    assert_eq!(result("t.price.required")["failed_rows"], 0, "the renamed column is read in the old file");
    assert_eq!(result("t.note.required")["failed_rows"], now["nulls"]["note"], "{run}");
    assert_eq!(result("t.note.required")["failed_rows"], info("evolved")["null_notes"]);
    // The first snapshot has the first schema: `amount`, no `note`.
    let first = info("evolved")["snapshots"][0].as_str().unwrap();
    let run = check(dir.path(), &["--as-of", first]);
    assert!(run.stdout.contains("note") && run.stdout.contains("price"), "{run}");
    assert_eq!(reference("evolved", first)["columns"], serde_json::json!(["id", "amount"]));
}

/// Position deletes are applied: every snapshot of `deletes` (two delete files, one position
/// deleted twice, a data file added between them) counts what pyiceberg's scan counts.
#[test]
fn position_deletes_are_applied_as_pyiceberg_applies_them() {
    let dir = workspace("deletes", AMOUNT);
    let run = check(dir.path(), &[]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], reference("deletes", current("deletes"))["rows"], "{run}");
    assert_eq!(object(&run)["rows"], 55, "{run}");
    let expected = info("deletes")["expected"].as_array().unwrap();
    for (snapshot, written) in info("deletes")["snapshots"].as_array().unwrap().iter().zip(expected) {
        let snapshot = snapshot.as_str().unwrap();
        let run = check(dir.path(), &["--as-of", snapshot]);
        assert_eq!(object(&run)["rows"], reference("deletes", snapshot)["rows"], "{snapshot}: {run}");
        assert_eq!(&object(&run)["rows"], written, "{snapshot}: {run}");
    }
    // The deleted rows are gone, not just uncounted: ids 0, 1, 2 and 10 of the first file, 50 of
    // the second.
    let props = "      - name: amount\n        logicalType: number\n      - name: note\n        logicalType: string\n        logicalTypeOptions: {pattern: '^n[0-9]+$'}\n        required: true\n    quality:\n      - type: sql\n        query: \"SELECT count(*) FROM {object} WHERE id IN (0, 1, 2, 10, 50)\"\n        mustBe: 0\n";
    let dir = workspace("deletes", props);
    let run = check(dir.path(), &[]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], 55, "{run}");
    // A delete file that is not Parquet is an error naming it, not rows counted without it.
    for e in std::fs::read_dir(dir.path().join("table/data")).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("delete-") {
            std::fs::write(e.path(), b"PAR1 not really").unwrap();
        }
    }
    let run = check(dir.path(), &[]);
    run.assert_exit(2);
    assert!(run.stderr.contains("delete file"), "{run}");
    assert!(run.stdout.trim().is_empty(), "nothing counted: {run}");
}

#[test]
fn equality_deletes_are_refused() {
    let dir = workspace("eqdeletes", AMOUNT);
    let run = check(dir.path(), &[]);
    run.assert_exit(2);
    assert!(run.stderr.contains("1 equality-delete file"), "{run}");
    assert!(run.stdout.trim().is_empty(), "nothing counted: {run}");
    // The snapshot before the deletes reads.
    let first = info("eqdeletes")["snapshots"][0].as_str().unwrap();
    let run = check(dir.path(), &["--as-of", first]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], 20);
}

#[test]
fn a_metadata_file_or_a_server_names_the_table() {
    let dir = workspace("overwritten", AMOUNT);
    let metadata = Path::new(info("overwritten")["metadata_location"].as_str().unwrap());
    let given = format!("t=table/metadata/{}", metadata.file_name().unwrap().to_str().unwrap());
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", &given, "--format", "json"]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], 30, "{run}");
    // An earlier metadata file is the table as it was then.
    let first = std::fs::read_dir(dir.path().join("table/metadata"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.starts_with("00001-"))
        .unwrap();
    let run = contrakt_in(
        dir.path(),
        ["check", "c.yaml", "--data", &format!("t=table/metadata/{first}"), "--format", "json"],
    );
    assert_eq!(object(&run)["rows"], 100, "{run}");
    // A server with `format: iceberg`.
    let contract = std::fs::read_to_string(dir.path().join("c.yaml")).unwrap().replace(
        "schema:\n",
        "servers:\n  - server: lake\n    type: local\n    path: ./table\n    format: iceberg\nschema:\n",
    );
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--format", "json"]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], 30, "{run}");
    assert_eq!(object(&run)["format"], "iceberg");
}

/// The current metadata file of a copied table, parsed, and where to write it back.
fn metadata_of(table: &Path) -> (PathBuf, Value) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(table.join("metadata"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".metadata.json"))
        .collect();
    files.sort();
    let last = files.pop().unwrap();
    let value = serde_json::from_slice(&std::fs::read(&last).unwrap()).unwrap();
    (last, value)
}

#[test]
fn hostile_metadata_is_refused_precisely() {
    let dir = workspace("overwritten", AMOUNT);
    let table = dir.path().join("table");
    let location = info("overwritten")["location"].as_str().unwrap().to_string();
    let outside = dir.path().join("outside.avro");
    std::fs::write(&outside, b"Obj\x01").unwrap();
    type Edit = Box<dyn Fn(&mut Value)>;
    let nested = |depth: usize| -> Edit {
        Box::new(move |m: &mut Value| {
            let mut t = serde_json::json!("long");
            for _ in 0..depth {
                t = serde_json::json!({"type": "list", "element-id": 9, "element": t, "element-required": false});
            }
            for s in m["schemas"].as_array_mut().unwrap() {
                s["fields"][0]["type"] = t.clone();
            }
        })
    };
    let manifest_list = |path: String| -> Edit {
        Box::new(move |m: &mut Value| {
            for s in m["snapshots"].as_array_mut().unwrap() {
                s["manifest-list"] = Value::String(path.clone());
            }
        })
    };
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("a manifest list up and out", manifest_list(format!("{location}/../../outside.avro")), "outside the table"),
        ("a manifest list elsewhere", manifest_list(outside.display().to_string()), "not under the table's location"),
        ("another scheme", manifest_list("http://169.254.169.254/latest".into()), "not under the table's location"),
        ("a type nested 40 deep", nested(40), "nests more than 32"),
        // Written as text below: a Value this deep would overflow the test's own stack.
        ("a type nested 2000 deep", nested(0), "recursion limit"),
        (
            "a snapshot that is not there",
            Box::new(|m: &mut Value| m["current-snapshot-id"] = 42.into()),
            "current snapshot 42",
        ),
        (
            "no schema",
            Box::new(|m: &mut Value| {
                m["schemas"] = serde_json::json!([]);
            }),
            "no schema",
        ),
    ];
    for (i, (what, edit, message)) in cases.into_iter().enumerate() {
        let copy = dir.path().join(format!("hostile{i}"));
        copy_dir(&table, &copy);
        let (path, mut metadata) = metadata_of(&copy);
        edit(&mut metadata);
        let mut text = serde_json::to_string(&metadata).unwrap();
        if what.contains("2000") {
            let deep = format!(
                "{}\"long\"{}",
                r#"{"type":"list","element-id":9,"element-required":false,"element":"#.repeat(2000),
                "}".repeat(2000)
            );
            text = text.replacen(r#""type":"long""#, &format!(r#""type":{deep}"#), 1);
        }
        std::fs::write(&path, text).unwrap();
        let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", &format!("t=hostile{i}"), "--format", "json"]);
        run.assert_no_panic();
        assert_eq!(run.code, Some(2), "{what}: {run}");
        assert!(run.stderr.contains(message), "{what}: {run}");
        assert!(run.stdout.trim().is_empty(), "{what}: nothing is read or counted: {run}");
    }
    // Garbage where the manifest list is, and metadata that is not JSON.
    let copy = dir.path().join("garbage");
    copy_dir(&table, &copy);
    for e in std::fs::read_dir(copy.join("metadata")).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("snap-") {
            std::fs::write(e.path(), b"Obj\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01garbage").unwrap();
        }
    }
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=garbage", "--format", "json"]);
    run.assert_no_panic();
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("manifest list"), "{run}");
    let (path, _) = metadata_of(&copy);
    std::fs::write(path, b"{\"location\": ").unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=garbage", "--format", "json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("not Iceberg table metadata"), "{run}");
    // A data file replaced by a symbolic link out of the table.
    let copy = dir.path().join("linked");
    copy_dir(&table, &copy);
    let secret = dir.path().join("secret.parquet");
    for e in std::fs::read_dir(copy.join("data")).unwrap().flatten() {
        std::fs::copy(e.path(), &secret).unwrap();
        std::fs::remove_file(e.path()).unwrap();
        std::os::unix::fs::symlink(&secret, e.path()).unwrap();
    }
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=linked", "--format", "json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("symbolic link"), "{run}");
    // Two metadata files of the same number: the catalog knows which; contrakt asks.
    let copy = dir.path().join("raced");
    copy_dir(&table, &copy);
    let (path, _) = metadata_of(&copy);
    let name = path.file_name().unwrap().to_str().unwrap();
    std::fs::copy(&path, path.with_file_name(format!("{}-zzzz.metadata.json", &name[..5]))).unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=raced", "--format", "json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("metadata files of version"), "{run}");
}

/// `diff` against the table as deployed and `infer` from it.
#[test]
fn diff_and_infer_read_the_live_schema() {
    let dir = workspace("evolved", "      - name: amount\n        logicalType: number\n");
    // The contract still says `amount`; the table renamed it `price`.
    let run = contrakt_in(dir.path(), ["diff", "c.yaml", "t=table", "--format", "json"]);
    run.assert_exit(1);
    assert!(run.stdout.contains("t.amount"), "{run}");
    assert!(run.stdout.contains("Iceberg table, snapshot"), "{run}");
    let run = contrakt_in(dir.path(), ["infer", "t=table", "-o", "drafted.yaml", "--now", "2026-01-01T00:00:00Z"]);
    run.assert_exit(0);
    let drafted = std::fs::read_to_string(dir.path().join("drafted.yaml")).unwrap();
    assert!(drafted.contains("format: iceberg"), "{drafted}");
    assert!(drafted.contains("in 80 rows"), "{drafted}");
    assert!(drafted.contains("name: price") && drafted.contains("name: note"), "{drafted}");
}

/// pyiceberg's SQL catalog on SQLite names the current metadata file: `--data` takes the catalog.
#[test]
fn a_sql_catalog_names_the_current_metadata() {
    let dir = workspace("partitioned", "      - name: day\n        logicalType: string\n");
    let catalog = tables().0.join("catalog.db");
    let given = format!("t=sqlite:///{}#db.partitioned", catalog.display());
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", &given, "--format", "json"]);
    run.assert_exit(0);
    assert_eq!(object(&run)["rows"], reference("partitioned", current("partitioned"))["rows"], "{run}");
    assert_eq!(object(&run)["table_version"].to_string(), current("partitioned"));
    for (bad, message) in [
        (format!("t=sqlite:///{}#db.nope", catalog.display()), "no table db.nope"),
        (format!("t=sqlite:///{}#other/db.partitioned", catalog.display()), "no table db.partitioned"),
        (format!("t=sqlite:///{}", catalog.display()), "name the table"),
        ("t=sqlite:///missing.db#db.t".to_string(), "no SQLite catalog"),
        ("t=sqlite:///c.yaml#db.t".to_string(), "not an Iceberg SQL catalog"),
    ] {
        let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", &bad, "--format", "json"]);
        run.assert_no_panic();
        assert_eq!(run.code, Some(2), "{bad}: {run}");
        assert!(run.stderr.contains(message), "{bad}: {run}");
    }
    // A contract cannot name one: its metadata could be anywhere on this machine.
    let contract = std::fs::read_to_string(dir.path().join("c.yaml")).unwrap().replace(
        "schema:\n",
        &format!(
            "servers:\n  - server: lake\n    type: local\n    path: sqlite:///{}#db.partitioned\nschema:\n",
            catalog.display()
        ),
    );
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--format", "json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("give a catalog with --data"), "{run}");
}

/// An Iceberg table in S3 (moto's server on loopback, [`crate::s3_loopback`]), uploaded from the
/// folder pyiceberg wrote it in (its metadata names that folder): read from the bucket, by a
/// server with `format: iceberg` and by `--data` without a format.
#[test]
fn a_table_in_s3_is_read_at_its_snapshot() {
    let (_server, endpoint) = crate::s3_loopback::start();
    crate::s3_loopback::put(&endpoint, "/lake", b"");
    let local = PathBuf::from(info("overwritten")["location"].as_str().unwrap());
    upload(&endpoint, &local, "/lake/tables/overwritten");
    let dir = workspace("overwritten", AMOUNT);
    let contract = std::fs::read_to_string(dir.path().join("c.yaml")).unwrap().replace(
        "schema:\n",
        "servers:\n  - server: lake\n    type: s3\n    location: s3://lake/tables/overwritten/\n    format: iceberg\nschema:\n",
    );
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    let run = |extra: &[&str]| check_on_s3(dir.path(), &endpoint, extra);
    let now = run(&[]);
    assert_eq!(now["rows"], reference("overwritten", current("overwritten"))["rows"], "{now:#}");
    assert_eq!(now["format"], "iceberg", "{now:#}");
    let first = info("overwritten")["snapshots"][0].as_str().unwrap();
    let before = run(&["--as-of", first]);
    assert_eq!(before["rows"], reference("overwritten", first)["rows"], "{before:#}");
    // Given with --data and no format, the folder is read as the table (by its metadata/).
    let given = run(&["--data", "t=s3://lake/tables/overwritten/"]);
    assert_eq!(given["rows"], 30, "{given:#}");
    assert_eq!(given["format"], "iceberg", "{given:#}");
}

/// `infer --as-of` drafts from an earlier snapshot: the evolved table's first, before the rename.
#[test]
fn infer_as_of_drafts_from_an_earlier_snapshot() {
    let dir = workspace("evolved", "");
    let first = info("evolved")["snapshots"][0].as_str().unwrap();
    let run = contrakt_in(
        dir.path(),
        ["infer", "t=table", "--as-of", first, "-o", "then.yaml", "--now", "2026-01-01T00:00:00Z"],
    );
    run.assert_exit(0);
    let drafted = std::fs::read_to_string(dir.path().join("then.yaml")).unwrap();
    assert!(drafted.contains("name: amount") && !drafted.contains("name: price"), "{drafted}");
    assert!(drafted.contains("in 60 rows"), "{drafted}");
    // On data without versions it is refused, as for check.
    std::fs::write(dir.path().join("t.csv"), "id\n1\n").unwrap();
    let run = contrakt_in(dir.path(), ["infer", "t.csv", "--as-of", "1"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("--as-of"), "{run}");
}

/// `--as-of TIME` reads the tables a foreign key references as they were then too, so the check
/// sees one moment: orders name customers 0 to 14, and customers 10 to 19 came a second after
/// 0 to 9. A snapshot id numbers the checked table's history only: the references are read now.
#[test]
fn as_of_a_time_reads_referenced_tables_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(info("refs_orders")["location"].as_str().unwrap()), &dir.path().join("orders"));
    copy_dir(Path::new(info("refs_customers")["location"].as_str().unwrap()), &dir.path().join("customers"));
    let contract = format!(
        "{HEAD}schema:\n  - name: orders\n    properties:\n      - name: id\n        logicalType: integer\n      - name: customer_id\n        logicalType: integer\n        relationships:\n          - type: foreignKey\n            to: customers.customer_id\n  - name: customers\n    properties:\n      - name: customer_id\n        logicalType: integer\n"
    );
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    let orphans = |extra: &[&str]| {
        let mut args = vec!["check", "c.yaml", "--object", "orders", "--data", "orders=orders", "--data"];
        args.extend(["customers=customers", "--format", "json", "--now", "2026-01-01T00:00:00Z"]);
        args.extend(extra);
        let run = contrakt_in(dir.path(), args);
        run.assert_no_panic();
        let results = run.json()["reports"][0]["results"].clone();
        let reference = results.as_array().unwrap().iter().find(|r| r["id"] == "orders.customer_id.reference").cloned();
        (reference.unwrap_or_else(|| panic!("no reference check: {run}"))["failed_rows"].clone(), run)
    };
    let (now, run) = orphans(&[]);
    assert_eq!(now, 0, "every customer exists now: {run}");
    // Between the two appends of customers: 10 to 14 did not exist yet.
    let first = &info("refs_customers")["snapshots"][0];
    let ms = reference("refs_customers", first.as_str().unwrap())["timestamp_ms"].as_i64().unwrap() + 500;
    let at = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
    let (then, run) = orphans(&["--as-of", &at]);
    assert_eq!(then, 5, "customers 10 to 14 came later: {run}");
    // The orders' snapshot id: the customers are read as they are now.
    let (by_id, run) = orphans(&["--as-of", current("refs_orders")]);
    assert_eq!(by_id, 0, "{run}");
}
