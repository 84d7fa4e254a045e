//! Reconciliation across servers (issue #25, item 2): order items in a Parquet file against
//! orders in a real PostgreSQL table (started on loopback by `postgres.rs`), both ways round:
//! the file's contract checked over files, and the table's contract checked on PostgreSQL
//! (`--server`). Each side's aggregate runs where it lives; the one-sided keys come from the
//! warehouse's distinct keys streamed into DataFusion.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use serde_json::{Value, json};

use crate::pushdown::{Target, target};

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\n";

/// The rule both contracts carry, comparing with `with` (this side's columns first).
fn reconcile(with: &str, line_total: &str, amount: &str, tolerance: &str) -> String {
    format!(
        "    customProperties:\n      - property: contraktReconcile\n        value:\n          id: {with}_match\n          with: {with}\n          rowCount: true\n          sum: [{{column: {line_total}, with: {amount}}}]\n          distinct: [order_id]\n          keys: order_id\n          tolerance: {tolerance}\n"
    )
}

/// A registry of two contracts: `orders` in PostgreSQL (ids 1–100, `amount` 10.00 each, in
/// schema `s`) and `items` in `data/items.parquet` holding `items` (order id, line total).
fn registry(t: &Target, url: &str, items: &[(i64, f64)], tolerance: &str) -> tempfile::TempDir {
    crate::postgres::server().psql(
        url,
        "DROP SCHEMA IF EXISTS s CASCADE; CREATE SCHEMA s;
         CREATE TABLE s.orders (order_id int8, amount numeric(10,2));
         INSERT INTO s.orders SELECT g, 10.00 FROM generate_series(1, 100) g;",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("data")).unwrap();
    write_items(&p.join("data/items.parquet"), items);
    std::fs::write(p.join("contrakt.yaml"), "version: 1\ncontracts: [\"*.odcs.yaml\"]\n").unwrap();
    std::fs::write(
        p.join("orders.odcs.yaml"),
        format!(
            "{HEAD}id: urn:t:orders\n{}schema:\n  - name: orders\n    properties:\n      - {{name: order_id, logicalType: integer}}\n      - {{name: amount, logicalType: number}}\n{}",
            t.server_entry("s"),
            reconcile("items", "amount", "line_total", tolerance)
        ),
    )
    .unwrap();
    std::fs::write(
        p.join("items.odcs.yaml"),
        format!(
            "{HEAD}id: urn:t:items\nservers:\n  - {{server: local, type: local, path: data/items.parquet, format: parquet}}\nschema:\n  - name: items\n    properties:\n      - {{name: order_id, logicalType: integer}}\n      - {{name: line_total, logicalType: number}}\n{}",
            reconcile("orders", "line_total", "amount", tolerance)
        ),
    )
    .unwrap();
    dir
}

fn write_items(path: &Path, items: &[(i64, f64)]) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("order_id", DataType::Int64, false),
        Field::new("line_total", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(items.iter().map(|(id, _)| *id))),
            Arc::new(Float64Array::from_iter_values(items.iter().map(|(_, total)| *total))),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// One line per order, `line_total` 10: the same numbers as the orders table.
fn lines(ids: impl IntoIterator<Item = i64>) -> Vec<(i64, f64)> {
    ids.into_iter().map(|id| (id, 10.0)).collect()
}

/// The reconciliation's result: the file's contract over files, or the table's on PostgreSQL.
fn result(t: &Target, dir: &Path, from_the_table: bool) -> Value {
    let run = match from_the_table {
        false => t.run(dir, &["check", "items.odcs.yaml", "--format", "json", "--sample", "3"]),
        true => {
            t.run(dir, &["check", "orders.odcs.yaml", "--server", "warehouse", "--format", "json", "--sample", "3"])
        }
    };
    run.assert_no_panic();
    if let Some(p) = &t.password {
        assert!(!run.stdout.contains(p.as_str()) && !run.stderr.contains(p.as_str()), "the password is shown\n{run}");
    }
    let id = if from_the_table { "items_match" } else { "orders_match" };
    crate::results_of(&run).remove(id).unwrap_or_else(|| panic!("no result {id}\n{run}"))
}

fn samples(r: &Value) -> Vec<Value> {
    r["samples"].as_array().cloned().unwrap_or_default()
}

fn summary(r: &Value) -> (&str, f64, &str) {
    (r["status"].as_str().unwrap(), r["value"].as_f64().unwrap_or(-1.0), r["message"].as_str().unwrap())
}

#[test]
fn a_parquet_file_reconciles_with_a_postgres_table_both_ways() {
    let url = crate::postgres::server().create_database("reconcile_across");
    let t = target(&url);

    // Equal datasets pass, from either side.
    let dir = registry(&t, &url, &lines(1..=100), "0");
    let r = result(&t, dir.path(), false);
    assert_eq!(
        summary(&r),
        (
            "pass",
            0.0,
            "against `orders` (exact): rows 100 vs 100 (equal); sum(line_total) vs sum(amount) 1000 vs 1000 (equal); distinct order_id 100 vs 100 (equal); 0 keys of 100 only in `items`; 0 keys of 100 only in `orders`"
        ),
        "{r:#}"
    );
    assert_eq!(samples(&r), Vec::<Value>::new(), "{r:#}");
    let r = result(&t, dir.path(), true);
    assert_eq!(
        summary(&r),
        (
            "pass",
            0.0,
            "against `items` (exact): rows 100 vs 100 (equal); sum(amount) vs sum(line_total) 1000 vs 1000 (equal); distinct order_id 100 vs 100 (equal); 0 keys of 100 only in `orders`; 0 keys of 100 only in `items`"
        ),
        "{r:#}"
    );

    // A key missing from the file: one order only in the table.
    let dir = registry(&t, &url, &lines(1..=99), "0");
    let r = result(&t, dir.path(), false);
    assert_eq!(
        summary(&r),
        (
            "fail",
            4.0,
            "against `orders` (exact): rows 99 vs 100 (1% apart, outside the tolerance); sum(line_total) vs sum(amount) 990 vs 1000 (1% apart, outside the tolerance); distinct order_id 99 vs 100 (1% apart, outside the tolerance); 0 keys of 99 only in `items`; 1 key of 100 only in `orders`, e.g. 100 (outside the tolerance)"
        ),
        "{r:#}"
    );
    assert_eq!(samples(&r), vec![json!({"only_in": "orders", "order_id": 100})], "{r:#}");
    // The same from the table's side.
    let r = result(&t, dir.path(), true);
    assert_eq!(
        summary(&r),
        (
            "fail",
            4.0,
            "against `items` (exact): rows 100 vs 99 (1% apart, outside the tolerance); sum(amount) vs sum(line_total) 1000 vs 990 (1% apart, outside the tolerance); distinct order_id 100 vs 99 (1% apart, outside the tolerance); 1 key of 100 only in `orders`, e.g. 100 (outside the tolerance); 0 keys of 99 only in `items`"
        ),
        "{r:#}"
    );
    assert_eq!(samples(&r), vec![json!({"only_in": "orders", "order_id": 100})], "{r:#}");

    // Extra keys in the file: the sample is bounded (3) and the smallest first, both ways.
    let dir = registry(&t, &url, &lines((1..=100).chain([205, 201, 204, 203, 202])), "0");
    let r = result(&t, dir.path(), false);
    assert_eq!(
        summary(&r),
        (
            "fail",
            4.0,
            "against `orders` (exact): rows 105 vs 100 (4.7619% apart, outside the tolerance); sum(line_total) vs sum(amount) 1050 vs 1000 (4.7619% apart, outside the tolerance); distinct order_id 105 vs 100 (4.7619% apart, outside the tolerance); 5 keys of 105 only in `items`, e.g. 201, 202, 203 (outside the tolerance); 0 keys of 100 only in `orders`"
        ),
        "{r:#}"
    );
    let three: Vec<Value> = (201..=203).map(|k| json!({"only_in": "items", "order_id": k})).collect();
    assert_eq!(samples(&r), three, "{r:#}");
    let r = result(&t, dir.path(), true);
    assert_eq!((r["status"].as_str(), r["value"].as_f64()), (Some("fail"), Some(4.0)), "{r:#}");
    assert_eq!(samples(&r), three, "{r:#}");

    // Keys swapped with the counts and sums equal: only the keys tell.
    let dir = registry(&t, &url, &lines((1..=95).chain(301..=305)), "0");
    let r = result(&t, dir.path(), false);
    assert_eq!(
        summary(&r),
        (
            "fail",
            2.0,
            "against `orders` (exact): rows 100 vs 100 (equal); sum(line_total) vs sum(amount) 1000 vs 1000 (equal); distinct order_id 100 vs 100 (equal); 5 keys of 100 only in `items`, e.g. 301, 302, 303 (outside the tolerance); 5 keys of 100 only in `orders`, e.g. 96, 97, 98 (outside the tolerance)"
        ),
        "{r:#}"
    );
    assert_eq!(samples(&r).len(), 6, "{r:#}");

    // A sum off by more than the tolerance, every key on both sides.
    let mut off = lines(1..=100);
    off[0].1 = 25.0;
    let dir = registry(&t, &url, &off, "0.01");
    let r = result(&t, dir.path(), false);
    assert_eq!(
        summary(&r),
        (
            "fail",
            1.0,
            "against `orders` (tolerance 1%): rows 100 vs 100 (equal); sum(line_total) vs sum(amount) 1015 vs 1000 (1.4778% apart, outside the tolerance); distinct order_id 100 vs 100 (equal); 0 keys of 100 only in `items`; 0 keys of 100 only in `orders`"
        ),
        "{r:#}"
    );
    assert_eq!(samples(&r), Vec::<Value>::new(), "{r:#}");
    let r = result(&t, dir.path(), true);
    assert_eq!((r["status"].as_str(), r["value"].as_f64()), (Some("fail"), Some(1.0)), "{r:#}");
}

/// More distinct keys on the warehouse than a reconciliation across servers brings here: the
/// key comparison is refused, saying why, and the counts and sums are still compared there.
#[test]
fn keys_above_the_streaming_bound_are_refused_with_the_counts_still_compared() {
    let url = crate::postgres::server().create_database("reconcile_bound");
    let t = target(&url);
    let dir = registry(&t, &url, &lines(1..=100), "0");
    crate::postgres::server().psql(&url, "INSERT INTO s.orders SELECT g, 0 FROM generate_series(101, 5000001) g;");
    let r = result(&t, dir.path(), false);
    assert_eq!(r["status"], "error", "{r:#}");
    assert_eq!(
        r["message"],
        "against `orders` (exact): rows 100 vs 5000001 (99.998% apart, outside the tolerance); sum(line_total) vs sum(amount) 1000 vs 1000 (equal); distinct order_id 100 vs 5000001 (99.998% apart, outside the tolerance); the keys on one side only were not compared: `orders` has 5000001 distinct keys on the warehouse `warehouse`, and keys compared across servers are brought here, at most 5000000: reconcile the counts and sums alone (no `keys`), or two objects of one server",
        "{r:#}"
    );
}

/// `--explain` runs nothing: it does not connect to the other side's server (a listener that
/// counts connections stands in for it), while `check` does.
#[test]
fn explain_connects_to_no_other_server() {
    let url = crate::postgres::server().create_database("reconcile_explain");
    let mut t = target(&url);
    let dir = registry(&t, &url, &lines(1..=100), "0");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let old = format!("port: {}", t.port);
    t.port = listener.local_addr().unwrap().port().to_string();
    let contract = std::fs::read_to_string(dir.path().join("orders.odcs.yaml")).unwrap();
    std::fs::write(dir.path().join("orders.odcs.yaml"), contract.replace(&old, &format!("port: {}", t.port))).unwrap();
    let run = t.run(dir.path(), &["check", "items.odcs.yaml", "--explain"]);
    run.assert_exit(0);
    assert!(run.stdout.contains("fused scan"), "{run}");
    assert!(listener.accept().is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock), "--explain connected");
    // A check does connect (and, the listener speaking no PostgreSQL, says the side is unreadable).
    let mut child = t
        .contrakt(dir.path(), &["check", "items.odcs.yaml", "--format", "json", "--timeout", "5"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let accepted = loop {
        match listener.accept() {
            Ok((stream, _)) => break Some(stream),
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    assert!(accepted.is_some(), "check did not connect to the other side's server");
    drop(accepted);
    let _ = child.wait();
}

/// The table's side unreachable (a stopped port): the reconciliation is an error naming the
/// other side and why, not a missing dataset.
#[test]
fn an_unreachable_warehouse_side_is_an_error_that_says_why() {
    let url = crate::postgres::server().create_database("reconcile_unreachable");
    let mut t = target(&url);
    let dir = registry(&t, &url, &lines(1..=100), "0");
    t.port = crate::free_ports(1)[0].to_string();
    let contract = std::fs::read_to_string(dir.path().join("orders.odcs.yaml")).unwrap();
    let contract = contract.replace(&format!("port: {}", target(&url).port), &format!("port: {}", t.port));
    std::fs::write(dir.path().join("orders.odcs.yaml"), contract).unwrap();
    let r = result(&t, dir.path(), false);
    assert_eq!(r["status"], "error", "{r:#}");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "`orders`, the object to reconcile with, could not be read: warehouse `warehouse`: cannot connect to"
        ),
        "{message}"
    );
}
