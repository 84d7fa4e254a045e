//! `contrakt check --quarantine` end to end, on real files and a real S3-compatible server
//! (moto): the exact rows and check ids written, read back with DataFusion; keys or full rows
//! (classified columns masked); aggregate checks named as quarantining nothing; locations
//! inside the contract's or the data's folder refused.

use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde_json::Value;

use crate::{Run, contrakt_in};

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\n";

/// Orders with a primary key and a confidential column: `o2` lacks a status, `o3` has a
/// negative amount, `o4` fails three row-level checks, `o5` is there twice (a uniqueness
/// failure, which no row carries alone), `o6` has an unknown country, which its rule's
/// threshold tolerates (up to half the rows): the contract accepts that row.
const ORDERS: &str = "order_id,email,status,amount,country
o1,a@example.com,placed,10,FR
o2,b@example.com,,10,FR
o3,c@example.com,placed,-5,DE
o4,,bogus,-1,XX
o5,e@example.com,placed,20,ES
o5,e@example.com,placed,20,ES
o6,f@example.com,shipped,30,IT
";

fn contract(primary_key: bool) -> String {
    let pk = if primary_key { "\n        primaryKey: true" } else { "" };
    format!(
        "{HEAD}id: urn:t:orders\nschema:
  - name: orders
    properties:
      - name: order_id
        logicalType: string{pk}
        quality:
          - id: order_id_unique
            metric: duplicateValues
            mustBe: 0
      - name: email
        logicalType: string
        classification: confidential
      - name: status
        logicalType: string
        quality:
          - id: status_present
            metric: nullValues
            mustBe: 0
          - id: status_known
            metric: invalidValues
            arguments:
              validValues: [placed, shipped]
            mustBe: 0
      - name: amount
        logicalType: integer
        quality:
          - id: amount_not_negative
            metric: invalidValues
            arguments:
              pattern: '^[0-9]+$'
            mustBe: 0
      - name: country
        logicalType: string
        quality:
          - id: country_known
            metric: invalidValues
            arguments:
              validValues: [FR, DE, ES]
            mustBeLessOrEqualTo: 50
            unit: percent
    quality:
      - id: enough_orders
        metric: rowCount
        mustBeGreaterThan: 100
"
    )
}

/// A registry folder (`contracts/`), a data folder (`data/`), and room for a quarantine beside.
fn workspace(primary_key: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("contracts")).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("contracts/orders.yaml"), contract(primary_key)).unwrap();
    std::fs::write(dir.path().join("data/orders.csv"), ORDERS).unwrap();
    dir
}

fn check(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "check",
        "contracts/orders.yaml",
        "--data",
        "data/orders.csv",
        "--format",
        "json",
        "--now",
        "2026-12-07T06:00:00Z",
        "--no-history",
    ];
    args.extend_from_slice(extra);
    contrakt_in(dir, args)
}

/// A Parquet file's rows, each as `column=value` texts, sorted (partitions write in no order).
fn rows_of(file: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (names, batches): (Vec<String>, Vec<RecordBatch>) = rt.block_on(async {
        let ctx = SessionContext::new();
        let df = ctx.read_parquet(file.to_str().unwrap(), ParquetReadOptions::default()).await.unwrap();
        let names = df.schema().fields().iter().map(|f| f.name().clone()).collect();
        (names, df.collect().await.unwrap())
    });
    let mut rows = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            let row = (0..b.num_columns())
                .map(|c| {
                    let col = b.column(c);
                    if col.is_null(r) {
                        return "null".to_string();
                    }
                    match col.data_type() {
                        datafusion::arrow::datatypes::DataType::List(_) => {
                            let ids = col.as_list::<i32>().value(r);
                            let ids = ids.as_string::<i32>();
                            (0..ids.len()).map(|i| ids.value(i)).collect::<Vec<_>>().join("+")
                        }
                        _ => array_value_to_string(col, r).unwrap(),
                    }
                })
                .collect();
            rows.push(row);
        }
    }
    rows.sort();
    (names, rows)
}

fn quarantine_of(run: &Run) -> Value {
    run.json()["reports"][0]["objects"][0]["quarantine"].clone()
}

fn file(dir: &Path, run: &str) -> PathBuf {
    dir.join("q").join(run).join("urn_t_orders").join("orders.parquet")
}

#[test]
fn writes_each_failing_row_once_with_the_ids_of_the_checks_it_fails() {
    let dir = workspace(true);
    let run = check(dir.path(), &["--quarantine", "q", "--quarantine-run", "r1"]);
    run.assert_exit(1).assert_no_panic();
    let q = quarantine_of(&run);
    let path = file(dir.path(), "r1");
    assert_eq!(q["location"], Value::String(path.to_string_lossy().into_owned()), "{q}");
    assert_eq!(q["rows"], 3, "{q}");
    assert_eq!(q["checks"], serde_json::json!(["status_present", "status_known", "amount_not_negative"]), "{q}");
    assert_eq!(q["tolerated"], serde_json::json!(["country_known"]), "{q}");
    // Uniqueness, the primary key (null or repeated) and the row count judge the table.
    assert_eq!(
        q["not_row_level"],
        serde_json::json!(["order_id_unique", "orders.order_id.primary-key", "enough_orders"]),
        "{q}"
    );
    let (names, rows) = rows_of(&path);
    assert_eq!(names, ["order_id", "failing_checks"]);
    assert_eq!(
        rows,
        [["o2", "status_present"], ["o3", "amount_not_negative"], ["o4", "status_known+amount_not_negative"],]
    );
    // No partial file is left beside it.
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("orders.parquet")]);
}

/// The whole failing rows of [`ORDERS`], the confidential `email` masked where not null.
#[track_caller]
fn assert_full_rows(file: &Path) {
    let (names, rows) = rows_of(file);
    assert_eq!(names, ["order_id", "email", "status", "amount", "country", "failing_checks"]);
    assert_eq!(
        rows,
        [
            ["o2", "***", "null", "10", "FR", "status_present"],
            ["o3", "***", "placed", "-5", "DE", "amount_not_negative"],
            ["o4", "null", "bogus", "-1", "XX", "status_known+amount_not_negative"],
        ]
    );
}

#[test]
fn full_rows_mask_classified_columns_as_samples_do() {
    let dir = workspace(true);
    let run = check(dir.path(), &["--quarantine", "q", "--quarantine-run", "r2", "--quarantine-rows", "full"]);
    run.assert_exit(1).assert_no_panic();
    assert_full_rows(&file(dir.path(), "r2"));
    // The samples of the same run mask the same column the same way.
    let samples = run.json()["reports"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "status_present")
        .unwrap()["samples"]
        .clone();
    assert!(!samples.to_string().contains("b@example.com"), "{samples}");
}

/// On PostgreSQL (`--server`), the failing rows come from one query pushed down and streamed
/// into the same file: the same rows, check ids and masking as over the files.
#[test]
fn on_postgres_the_failing_rows_are_streamed_into_the_same_file() {
    let pg = crate::postgres::server();
    let url = pg.create_database("quarantine_pg");
    let t = crate::pushdown::target(&url);
    let dir = workspace(true);
    pg.psql(
        &url,
        "CREATE SCHEMA s; CREATE TABLE s.orders (order_id text, email text, status text, amount int8, country text)",
    );
    let csv = dir.path().join("data/orders.csv");
    pg.psql(&url, &format!("\\copy s.orders FROM '{}' WITH (FORMAT csv, HEADER true)", csv.display()));
    let on_pg = contract(true).replace("schema:\n", &format!("{}schema:\n", t.server_entry("s")));
    std::fs::write(dir.path().join("contracts/orders.yaml"), on_pg).unwrap();
    let args = |run: &'static str, rows: &'static str| {
        let mut a = vec!["check", "contracts/orders.yaml", "--server", "warehouse", "--format", "json", "--no-history"];
        a.extend([
            "--now",
            "2026-12-07T06:00:00Z",
            "--quarantine",
            "q",
            "--quarantine-run",
            run,
            "--quarantine-rows",
            rows,
        ]);
        a
    };
    let run = t.run(dir.path(), &args("pg-keys", "keys"));
    run.assert_exit(1);
    let q = quarantine_of(&run);
    assert_eq!((q["rows"].as_u64(), q.get("error")), (Some(3), None), "{q}\n{run}");
    assert_eq!(q["checks"], serde_json::json!(["status_present", "status_known", "amount_not_negative"]), "{q}");
    assert_eq!(q["tolerated"], serde_json::json!(["country_known"]), "{q}");
    let (names, rows) = rows_of(&file(dir.path(), "pg-keys"));
    assert_eq!(names, ["order_id", "failing_checks"]);
    assert_eq!(
        rows,
        [["o2", "status_present"], ["o3", "amount_not_negative"], ["o4", "status_known+amount_not_negative"]]
    );

    let run = t.run(dir.path(), &args("pg-full", "full"));
    run.assert_exit(1);
    assert_full_rows(&file(dir.path(), "pg-full"));
}

#[test]
fn without_a_primary_key_every_column_is_the_key() {
    let dir = workspace(false);
    let run = check(dir.path(), &["--quarantine", "q", "--quarantine-run", "r3"]);
    run.assert_exit(1).assert_no_panic();
    let (names, rows) = rows_of(&file(dir.path(), "r3"));
    assert_eq!(names, ["order_id", "email", "status", "amount", "country", "failing_checks"]);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0], ["o2", "***", "null", "10", "FR", "status_present"]);
}

#[test]
fn a_clean_run_writes_an_empty_file() {
    let dir = workspace(true);
    let clean = "order_id,email,status,amount,country\no1,a@example.com,placed,10,FR\n";
    std::fs::write(dir.path().join("data/orders.csv"), clean).unwrap();
    let run = check(dir.path(), &["--quarantine", "q", "--quarantine-run", "r4"]);
    run.assert_no_panic();
    assert_eq!(quarantine_of(&run)["rows"], 0);
    let (names, rows) = rows_of(&file(dir.path(), "r4"));
    assert_eq!(names, ["order_id", "failing_checks"]);
    assert!(rows.is_empty());
}

#[test]
fn the_text_report_says_where_the_rows_went() {
    let dir = workspace(true);
    let run = contrakt_in(
        dir.path(),
        [
            "check",
            "contracts/orders.yaml",
            "--data",
            "data/orders.csv",
            "--no-history",
            "--quarantine",
            "q",
            "--quarantine-run",
            "r5",
        ],
    );
    run.assert_exit(1).assert_no_panic();
    let shown = file(dir.path(), "r5");
    assert!(
        run.stdout.contains(&format!("quarantine 3 rows failing 3 row-level checks: {}", shown.display())),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("tolerating failing rows, nothing quarantined: country_known"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "not row-level, nothing quarantined: order_id_unique, orders.order_id.primary-key, enough_orders"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn locations_the_next_run_would_read_are_refused() {
    let dir = workspace(true);
    for inside in ["data/q", "data", "contracts/q", "./contracts/../data/x"] {
        let run = check(dir.path(), &["--quarantine", inside]);
        run.assert_exit(2).assert_no_panic();
        assert!(run.stderr.contains("Choose a location outside it"), "{inside}: {}", run.stderr);
    }
    assert!(!dir.path().join("data/q").exists() && !dir.path().join("contracts/q").exists());
    // A link into the data folder is the data folder.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("data"), dir.path().join("link")).unwrap();
        let run = check(dir.path(), &["--quarantine", "link/q"]);
        run.assert_exit(2);
        assert!(run.stderr.contains("inside the data folder"), "{}", run.stderr);
    }
}

#[test]
fn writes_to_s3_on_a_loopback_server() {
    use crate::s3_loopback::{put, start};
    let (_server, endpoint) = start();
    put(&endpoint, "/lake", b"");
    let dir = workspace(true);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"));
    cmd.current_dir(dir.path())
        .args([
            "check",
            "contracts/orders.yaml",
            "--data",
            "data/orders.csv",
            "--format",
            "json",
            "--no-history",
            "--quarantine",
            "s3://lake/quarantine/",
            "--quarantine-run",
            "r6",
        ])
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .env("AWS_ALLOW_HTTP", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    let q = &json["reports"][0]["objects"][0]["quarantine"];
    assert_eq!(q["location"], "s3://lake/quarantine/r6/urn_t_orders/orders.parquet", "{q}");
    assert_eq!(q["rows"], 3, "{q}");
    let prefix = contrakt_publish::object::Prefix::parse_with("s3://lake/quarantine/r6/urn_t_orders", |b| {
        b.with_endpoint(&endpoint)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_access_key_id("test")
            .with_secret_access_key("test-secret")
    })
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let objects = rt.block_on(prefix.read_release("")).unwrap();
    assert_eq!(objects.keys().collect::<Vec<_>>(), ["orders.parquet"]);
    let local = dir.path().join("back.parquet");
    std::fs::write(&local, &objects["orders.parquet"]).unwrap();
    let (_, rows) = rows_of(&local);
    assert_eq!(
        rows,
        [["o2", "status_present"], ["o3", "amount_not_negative"], ["o4", "status_known+amount_not_negative"],]
    );
    // Nothing spooled is left in the temp folder by this run.
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

// ---- publish --quarantine on the example registry's deliveries ----

const NOW: &str = "2026-11-22T06:00:00Z";
const DELIVERIES: &str = "contracts/deliveries.odcs.yaml";

fn publish(target: &Path, staged: &str, quarantine: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["--quarantine", quarantine.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    publish_plain(target, staged, &args)
}

/// `contrakt publish` of the staged deliveries `staged` to `target`, without a quarantine unless
/// `extra` names one.
fn publish_plain(target: &Path, staged: &str, extra: &[&str]) -> Run {
    let staged = crate::repo().join("fixtures/data/staged").join(staged);
    let (staged, target) = (staged.to_str().unwrap(), target.to_str().unwrap());
    let mut args = vec!["publish", DELIVERIES, "--staged", staged, "--to", target, "--now", NOW, "--no-history"];
    args.extend_from_slice(extra);
    contrakt_in(crate::repo(), args)
}

/// The one Parquet file under a folder (recursively).
fn only_parquet(dir: &Path) -> PathBuf {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                found.push(p);
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    found.pop().unwrap()
}

/// `SELECT …` over one Parquet file, each row's values joined by `|`, sorted.
fn query(file: &Path, select: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let ctx = SessionContext::new();
        ctx.register_parquet("t", file.to_str().unwrap(), ParquetReadOptions::default()).await.unwrap();
        let batches = ctx.sql(&format!("{select} FROM t")).await.unwrap().collect().await.unwrap();
        let mut out = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                let row: Vec<String> =
                    (0..b.num_columns()).map(|c| array_value_to_string(b.column(c), r).unwrap()).collect();
                out.push(row.join("|"));
            }
        }
        out.sort();
        out
    })
}

#[test]
fn publish_releases_the_rows_that_pass_and_holds_back_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let (target, q) = (tmp.path().join("published"), tmp.path().join("quarantine"));
    let run = publish(&target, "deliveries-partial", &q, &[]);
    run.assert_exit(0).assert_no_panic();
    let json = run.json();
    assert_eq!(json["published"], true, "{json}");
    let partial = &json["partial"];
    assert_eq!(partial["published_rows"], 5047, "{partial}");
    assert_eq!(partial["quarantined_rows"], 53, "{partial}");
    assert_eq!(partial["max_failing_fraction"], 0.2, "{partial}");
    // The check the held-back rows fail: deliveries' `maximum` on attempt_count.
    let results = json["check"]["reports"][0]["results"].as_array().unwrap();
    let maximum = results
        .iter()
        .find(|r| r["code"] == "Q205" && r["property"] == "attempt_count")
        .expect("the maximum check")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The release: the rows that pass, every one of them, and none above the maximum.
    let release = only_parquet(&target.join(json["current"].as_str().unwrap()));
    assert_eq!(
        query(&release, "SELECT count(*), count(DISTINCT delivery_id), max(attempt_count) <= 5"),
        ["5047|5047|true"]
    );
    // The quarantine: the 53 others, each with the one check it fails.
    let held = only_parquet(&q);
    assert_eq!(partial["quarantine"], Value::String(held.to_string_lossy().into_owned()));
    assert_eq!(
        query(
            &held,
            "SELECT count(*), count(DISTINCT delivery_id), min(array_to_string(failing_checks, ',')), max(array_to_string(failing_checks, ','))"
        ),
        [format!("53|53|{maximum}|{maximum}")]
    );
    // Together they are the staged rows, with no delivery on both sides.
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let overlap = rt.block_on(async {
        let ctx = SessionContext::new();
        ctx.register_parquet("released", release.to_str().unwrap(), ParquetReadOptions::default()).await.unwrap();
        ctx.register_parquet("held", held.to_str().unwrap(), ParquetReadOptions::default()).await.unwrap();
        let b = ctx
            .sql("SELECT count(*) FROM released r JOIN held h ON r.delivery_id = h.delivery_id")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        array_value_to_string(b[0].column(0), 0).unwrap()
    });
    assert_eq!(overlap, "0");
    let log = std::fs::read_to_string(target.join("_publish_log.jsonl")).unwrap();
    assert!(log.contains("\"event\":\"published-partial\""), "{log}");
}

#[test]
fn publish_refuses_what_holding_rows_back_cannot_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let (target, q) = (tmp.path().join("published"), tmp.path().join("quarantine"));
    // Every 7th delivery fails: the rest are too few for the row count (a table-level check).
    let run = publish(&target, "deliveries-broken", &q, &[]);
    run.assert_exit(1).assert_no_panic();
    let json = run.json();
    assert_eq!(json["published"], false, "{json}");
    assert!(json.get("partial").is_none_or(Value::is_null), "{json}");
    assert!(!target.join("_published.json").exists());
    // The audit's quarantine is written all the same: 729 deliveries.
    assert_eq!(query(&only_parquet(&q), "SELECT count(*)"), ["729"]);
    // Time-zone warnings judge columns, not rows: at --fail-on warning nothing is published.
    let (target2, q2) = (tmp.path().join("published2"), tmp.path().join("quarantine2"));
    let run = publish(&target2, "deliveries-partial", &q2, &["--fail-on", "warning"]);
    run.assert_exit(1).assert_no_panic();
    assert!(!target2.join("_published.json").exists());
    // Without --quarantine the partial data is refused as any failing release.
    let target3 = tmp.path().join("published3");
    let run = publish_plain(&target3, "deliveries-partial", &[]);
    run.assert_exit(1).assert_no_panic();
    assert!(!target3.join("_published.json").exists());
}
