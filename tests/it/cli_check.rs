//! `contrakt check` end to end: the example registry with its known findings, every ODCS
//! library metric and operator on small data written by the test, the decisions the standard
//! leaves open, partitions and filters, masking, output formats, and bad input.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::{Run, contrakt, contrakt_in, with_stable_output};

/// The snapshot time of `fixtures/data/` (its newest update is 30 minutes earlier).
const NOW: &str = "2026-11-22T06:00:00Z";

/// id → result, for one JSON report.
fn results(run: &Run) -> BTreeMap<String, Value> {
    let json = run.json();
    let mut out = BTreeMap::new();
    for report in json["reports"].as_array().expect("reports") {
        for r in report["results"].as_array().expect("results") {
            out.insert(r["id"].as_str().unwrap().to_string(), r.clone());
        }
    }
    out
}

#[track_caller]
fn expect(all: &BTreeMap<String, Value>, id: &str, status: &str, failed_rows: Option<u64>) {
    let r = all.get(id).unwrap_or_else(|| panic!("no result {id}; have {:?}", all.keys().collect::<Vec<_>>()));
    assert_eq!(r["status"], status, "{id}: {r:#}");
    if let Some(n) = failed_rows {
        assert_eq!(r["failed_rows"], n, "{id}: {r:#}");
    }
}

/// The injected violations of `fixtures/data/README.md`, one by one, with exact counts.
#[test]
fn the_example_registry_has_exactly_its_known_findings() {
    let run = contrakt(["check", "contracts/", "--now", NOW, "--format", "json"]);
    run.assert_exit(1);
    let all = results(&run);
    // orders
    expect(&all, "orders.order_id.unique", "fail", Some(1));
    expect(&all, "orders_order_id_unique", "fail", Some(1));
    expect(&all, "orders.order_id.primary-key", "fail", Some(1));
    expect(&all, "orders_order_id_not_null", "pass", Some(0));
    expect(&all, "orders_box_plan_format", "fail", Some(2));
    expect(&all, "orders.box_plan.min-length", "fail", Some(2));
    expect(&all, "orders_box_plan_missing", "pass", Some(2));
    expect(&all, "orders_status_valid", "fail", Some(3));
    expect(&all, "orders.total_amount.minimum", "fail", Some(1));
    expect(&all, "orders_updated_after_created", "warn", None);
    assert_eq!(all["orders_updated_after_created"]["value"], 4.0);
    expect(&all, "orders_row_count", "pass", None);
    assert_eq!(all["orders_row_count"]["value"], 10200.0);
    expect(&all, "orders.customer_id.reference", "pass", Some(0));
    expect(&all, "sla_orders_latency", "pass", None);
    expect(&all, "sla_orders_frequency", "skipped", None);
    expect(&all, "orders_one_box_per_week", "skipped", None);
    // A percentage: 2 placeholders of 10,200 rows.
    let pct = all["orders_box_plan_missing"]["value"].as_f64().unwrap();
    assert!((pct - 200.0 / 10200.0).abs() < 1e-6, "{pct}");
    // customers
    // 2 of 500 is 0.4%, within the rule's 0.5%; the property's own pattern allows none.
    expect(&all, "cust_email_format", "pass", Some(2));
    expect(&all, "customers.email.pattern", "fail", Some(2));
    expect(&all, "customers.signup_date.minimum", "fail", Some(1));
    expect(&all, "cust_phone_missing", "warn", Some(100));
    // Written for PostgreSQL (`->>` on the jsonb `consent`, a struct in the Parquet files):
    // runs as PostgreSQL reads it, and the data keeps it.
    expect(&all, "cust_opt_in_matches_consent", "pass", None);
    assert_eq!(all["cust_opt_in_matches_consent"]["value"], 0.0);
    expect(&all, "items_line_total_consistent", "pass", None);
    // Array items are held to their `items:` pattern.
    expect(&all, "orders.promo_codes[].pattern", "pass", Some(0));
    expect(&all, "order_items.customisations[].pattern", "pass", Some(0));
    // deliveries: one attempt count over the maximum; the order reference resolves into
    // another contract's data.
    expect(&all, "deliveries.attempt_count.maximum", "fail", Some(1));
    expect(&all, "deliveries.order_id.reference", "pass", Some(0));
    // order items: 2 orders' lines point at no order, and the duplicated order id hides the
    // 3 lines of the order it overwrote.
    expect(&all, "order_items.order_id.reference", "fail", Some(9));
    // recipes: an allergen outside the regulated list, on an array column.
    expect(&all, "rcp_allergens_valid", "fail", Some(1));
    expect(&all, "rcp_calories_completeness", "warn", Some(4));
    // Schema conformance passes where the data keeps the contract.
    expect(&all, "orders.order_id.column-present", "pass", None);
    expect(&all, "orders.total_amount.column-type", "pass", None);
    expect(&all, "orders.payment.method.column-present", "pass", None);
    // Classified values never appear in samples.
    let neg = &all["orders.total_amount.minimum"]["samples"][0];
    assert_eq!(neg["total_amount"], "***", "{neg}");
    assert!(neg["order_id"].is_string());
    // And every other result, pinned: a new failure, error or skip anywhere in the registry
    // (or a check that silently disappears) changes this table.
    let mut table = String::new();
    for report in run.json()["reports"].as_array().unwrap() {
        table.push_str(&format!("{}\n", report["contract"].as_str().unwrap()));
        for r in report["results"].as_array().unwrap() {
            let rows = r["failed_rows"].as_u64().map(|n| format!(" rows={n}")).unwrap_or_default();
            table.push_str(&format!("  {:<6} {}{rows}\n", r["status"].as_str().unwrap(), r["id"].as_str().unwrap()));
        }
    }
    for status in ["error", "skipped"] {
        let n = all.values().filter(|r| r["status"] == status).count();
        assert_eq!(n, if status == "error" { 0 } else { 19 }, "{status}:\n{table}");
    }
    insta::assert_snapshot!("example_registry_every_result", table);
}

#[test]
fn orders_text_report() {
    let run = contrakt(["check", "contracts/orders.odcs.yaml", "--now", NOW]);
    run.assert_exit(1);
    with_stable_output(|| {
        insta::with_settings!({filters => vec![(r"\d+ ms", "[T] ms")]}, {
            insta::assert_snapshot!("orders_text", run.stdout);
        });
    });
}

/// Writes `files` (name → text) into a temp folder.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\n";

/// 10 rows: `a` has 2 nulls, one `''` and one `N/A`; `b` repeats one value twice (1 excess).
const TEN: &str =
    "id,a,b,n\n1,x,p,1\n2,,p,2\n3,y,q,3\n4,,r,4\n5,N/A,s,5\n6,,t,6\n7,z,u,7\n8,x,v,8\n9,w,w,9\n10,y,z,10\n";

fn rules_contract(rules: &str) -> String {
    format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n      - name: a\n        logicalType: string\n        quality:\n{rules}      - name: b\n        logicalType: string\n      - name: n\n        logicalType: integer\n"
    )
}

fn check_dir(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "c.yaml", "--data", "t=t.csv", "--format", "json"];
    if !extra.contains(&"--now") {
        args.extend(["--now", NOW]);
    }
    args.extend_from_slice(extra);
    contrakt_in(dir, args)
}

/// Every operator on one measured value (3 nulls of 10 rows = 30%), at and around its bounds.
#[test]
fn every_operator_on_null_values_in_rows_and_percent() {
    // (rows, the same in percent, expected status)
    let cases: &[(&str, &str, &str)] = &[
        ("mustBe: 3", "mustBe: 30", "pass"),
        ("mustBe: 2", "mustBe: 20", "fail"),
        ("mustNotBe: 3", "mustNotBe: 30", "fail"),
        ("mustNotBe: 0", "mustNotBe: 0", "pass"),
        ("mustBeGreaterThan: 3", "mustBeGreaterThan: 30", "fail"),
        ("mustBeGreaterThan: 2", "mustBeGreaterThan: 20", "pass"),
        ("mustBeGreaterOrEqualTo: 3", "mustBeGreaterOrEqualTo: 30", "pass"),
        ("mustBeGreaterOrEqualTo: 4", "mustBeGreaterOrEqualTo: 40", "fail"),
        ("mustBeLessThan: 3", "mustBeLessThan: 30", "fail"),
        ("mustBeLessThan: 4", "mustBeLessThan: 40", "pass"),
        ("mustBeLessOrEqualTo: 3", "mustBeLessOrEqualTo: 30", "pass"),
        ("mustBeLessOrEqualTo: 2", "mustBeLessOrEqualTo: 20", "fail"),
        ("mustBeBetween: [3, 5]", "mustBeBetween: [30, 50]", "pass"),
        ("mustBeBetween: [0, 3]", "mustBeBetween: [0, 30]", "pass"),
        ("mustBeBetween: [4, 5]", "mustBeBetween: [40, 50]", "fail"),
        ("mustNotBeBetween: [3, 5]", "mustNotBeBetween: [30, 50]", "fail"),
        ("mustNotBeBetween: [4, 5]", "mustNotBeBetween: [40, 50]", "pass"),
    ];
    let mut rules = String::new();
    for (i, (op, pct, _)) in cases.iter().enumerate() {
        rules.push_str(&format!("          - {{id: rows{i}, metric: nullValues, {op}}}\n"));
        rules.push_str(&format!("          - {{id: pct{i}, metric: nullValues, unit: percent, {pct}}}\n"));
    }
    let dir = folder(&[("c.yaml", &rules_contract(&rules)), ("t.csv", TEN)]);
    let run = check_dir(dir.path(), &[]);
    run.assert_exit(1);
    let all = results(&run);
    for (i, (op, pct, status)) in cases.iter().enumerate() {
        assert_eq!(all[&format!("rows{i}")]["status"], *status, "rows: {op}");
        assert_eq!(all[&format!("pct{i}")]["status"], *status, "percent: {pct}");
    }
    assert_eq!(all["pct0"]["value"], 30.0);
    assert_eq!(all["pct0"]["unit"], "percent");
    assert_eq!(all["rows0"]["threshold"], "mustBe: 3");
}

#[test]
fn every_library_metric() {
    let rules = "          - {id: nulls, metric: nullValues, mustBe: 3}\n          - {id: missing, metric: missingValues, arguments: {missingValues: ['', 'N/A']}, mustBe: 4}\n          - {id: invalid_list, metric: invalidValues, arguments: {validValues: [x, y, z]}, mustBe: 2}\n          - {id: invalid_pattern, metric: invalidValues, arguments: {pattern: '^[x-z]$'}, mustBe: 2}\n          - {id: dups, metric: duplicateValues, mustBe: 2}\n";
    let object_rules = "    quality:\n      - {id: rows, metric: rowCount, mustBeBetween: [10, 10]}\n      - {id: dup_b, metric: duplicateValues, arguments: {properties: [b]}, mustBe: 1}\n      - {id: dup_pair, metric: duplicateValues, arguments: {properties: [a, b]}, mustBe: 0}\n      - {id: custom, type: custom, engine: soda, implementation: 'x'}\n      - {id: prose, type: text, description: people check this}\n";
    let contract = format!("{}{object_rules}", rules_contract(rules));
    let dir = folder(&[("c.yaml", &contract), ("t.csv", TEN)]);
    let run = check_dir(dir.path(), &[]);
    let all = results(&run);
    for id in ["nulls", "missing", "invalid_list", "invalid_pattern", "dups", "rows", "dup_b", "dup_pair"] {
        assert_eq!(all[id]["status"], "pass", "{id}: {:#}", all[id]);
    }
    // Decisions: nulls count as missing (3 nulls + 'N/A'; CSV reads '' as null), nulls are not
    // invalid (w and N/A are), duplicates are excess rows (x and y twice → 2).
    assert_eq!(all["missing"]["failed_rows"], 4);
    assert_eq!(all["invalid_list"]["failed_rows"], 2);
    assert_eq!(all["dups"]["failed_rows"], 2);
    assert_eq!(all["custom"]["status"], "skipped");
    assert!(all["custom"]["message"].as_str().unwrap().contains("soda"));
    assert_eq!(all["prose"]["status"], "skipped");
    run.assert_exit(0);
}

#[test]
fn property_constraints_and_sql_rules() {
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n        unique: true\n        primaryKey: true\n        primaryKeyPosition: 1\n        logicalTypeOptions: {{minimum: 2, maximum: 9}}\n      - name: a\n        logicalType: string\n        logicalTypeOptions: {{minLength: 1, maxLength: 1, pattern: '^[a-z]$'}}\n      - name: b\n        logicalType: string\n      - name: n\n        logicalType: integer\n        logicalTypeOptions: {{exclusiveMinimum: 1, exclusiveMaximum: 10}}\n    quality:\n      - {{id: folded, type: sql, query: 'SELECT count(*) FROM {{object}} WHERE n > 5', mustBe: 5}}\n      - {{id: separate, type: sql, query: 'SELECT count(*) FROM (SELECT DISTINCT b FROM {{object}})', mustBe: 9}}\n      - {{id: writes, type: sql, query: 'DROP TABLE {{object}}', mustBe: 0}}\n      - {{id: bad_sql, type: sql, query: 'SELECT count(*) FROM {{object}} WHERE nope > 1', mustBe: 0}}\n"
    );
    let dir = folder(&[("c.yaml", &contract), ("t.csv", TEN)]);
    let run = check_dir(dir.path(), &[]);
    run.assert_exit(1);
    let all = results(&run);
    expect(&all, "t.id.required", "pass", Some(0));
    expect(&all, "t.id.unique", "pass", Some(0));
    expect(&all, "t.id.primary-key", "pass", Some(0));
    expect(&all, "t.id.minimum", "fail", Some(1));
    expect(&all, "t.id.maximum", "fail", Some(1));
    // 'N/A' is 3 characters and does not match; nulls are neither.
    expect(&all, "t.a.max-length", "fail", Some(1));
    expect(&all, "t.a.pattern", "fail", Some(1));
    // Exclusive bounds: 1 and 10 are out.
    expect(&all, "t.n.minimum", "fail", Some(1));
    expect(&all, "t.n.maximum", "fail", Some(1));
    assert_eq!(all["folded"]["status"], "pass");
    assert_eq!(all["separate"]["status"], "pass");
    assert_eq!(all["writes"]["status"], "error");
    assert!(all["writes"]["message"].as_str().unwrap().contains("DROP"), "{}", all["writes"]);
    // A rule that cannot run is an error for that rule alone: the others above still ran.
    assert_eq!(all["bad_sql"]["status"], "error");
    assert!(all["bad_sql"]["message"].as_str().unwrap().contains("nope"), "{}", all["bad_sql"]);
    // The fused scan held the folded rule; the other query ran on its own.
    assert_eq!(run.json()["reports"][0]["objects"][0]["plans"], 2);
}

#[test]
fn freshness_and_retention_against_now() {
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n      - name: at\n        logicalType: timestamp\nslaProperties:\n  - {{id: fresh, property: latency, value: 2, unit: h, element: t.at}}\n  - {{id: kept, property: retention, value: 1, unit: d, element: t.at}}\n"
    );
    let csv = "id,at\n1,2026-11-21T12:00:00Z\n2,2026-11-22T05:00:00Z\n";
    let dir = folder(&[("c.yaml", &contract), ("t.csv", csv)]);
    let run = check_dir(dir.path(), &[]);
    let all = results(&run);
    assert_eq!(all["fresh"]["status"], "pass", "{:#}", all["fresh"]);
    assert_eq!(all["fresh"]["value"], 1.0);
    assert_eq!(all["kept"]["status"], "pass");
    let later = check_dir(dir.path(), &["--now", "2026-11-23T00:00:00Z"]);
    let all = results(&later);
    assert_eq!(all["fresh"]["status"], "fail");
    assert_eq!(all["fresh"]["value"], 19.0);
    assert_eq!(all["kept"]["status"], "fail");
    later.assert_exit(1);
}

#[test]
fn hive_partitions_where_and_missing_columns() {
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n      - name: gone\n        logicalType: string\n        required: true\n"
    );
    let dir = folder(&[
        ("c.yaml", &contract),
        ("t/dt=2026-11-21/part.csv", "id,x\n1,a\n,b\n3,c\n"),
        ("t/dt=2026-11-22/part.csv", "id,x\n4,d\n5,e\n"),
    ]);
    let all_rows = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t/", "--format", "json"]);
    let all = results(&all_rows);
    assert_eq!(all["t.id.required"]["total_rows"], 5);
    assert_eq!(all["t.id.required"]["failed_rows"], 1);
    // The partition column is read from the folder names and counts as an extra column.
    assert_eq!(all["t.dt.extra-column"]["status"], "warn");
    // A missing column fails its presence check; its other checks cannot run.
    assert_eq!(all["t.gone.column-present"]["status"], "fail");
    assert_eq!(all["t.gone.required"]["status"], "error");
    let newest = contrakt_in(
        dir.path(),
        ["check", "c.yaml", "--data", "t=t/", "--format", "json", "--partition", "dt=2026-11-22"],
    );
    assert_eq!(results(&newest)["t.id.required"]["total_rows"], 2);
    assert_eq!(results(&newest)["t.id.required"]["status"], "pass");
    let filtered =
        contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t/", "--format", "json", "--where", "id > 3"]);
    assert_eq!(results(&filtered)["t.id.required"]["total_rows"], 2);
}

#[test]
fn masking_unmask_and_explain() {
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        primaryKey: true\n      - name: a\n        logicalType: string\n        classification: restricted\n        logicalTypeOptions: {{pattern: '^[a-y]$'}}\n"
    );
    let dir = folder(&[("c.yaml", &contract), ("t.csv", TEN)]);
    let masked = results(&check_dir(dir.path(), &[]));
    assert_eq!(masked["t.a.pattern"]["samples"][0]["a"], "***");
    assert_eq!(masked["t.a.pattern"]["samples"][0]["id"], 5);
    let shown = results(&check_dir(dir.path(), &["--unmask"]));
    assert_eq!(shown["t.a.pattern"]["samples"][0]["a"], "N/A");
    let none = results(&check_dir(dir.path(), &["--sample", "0"]));
    assert!(none["t.a.pattern"].get("samples").is_none());
    let explain = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.csv", "--explain"]);
    explain.assert_exit(0);
    assert!(explain.stdout.contains("fused scan ("), "{explain}");
    assert!(explain.stdout.contains("regexp_like"), "{explain}");
    assert!(explain.stdout.contains("physical_plan"), "{explain}");
}

#[test]
fn junit_and_markdown() {
    let run = contrakt(["check", "contracts/recipes.odcs.yaml", "--now", NOW, "--format", "junit"]);
    run.assert_exit(1);
    assert!(run.stdout.starts_with("<?xml"), "{run}");
    assert!(run.stdout.contains("<failure type=\"error\""), "{run}");
    assert!(run.stdout.contains("<skipped message="), "{run}");
    let md = contrakt(["check", "contracts/recipes.odcs.yaml", "--now", NOW, "--format", "markdown"]);
    assert!(md.stdout.starts_with("### ❌ contrakt check:"), "{md}");
    assert!(md.stdout.contains("| fail | urn:contrakt:meal-kit:recipes | `Q303` rcp_allergens_valid |"), "{md}");
    let zero = contrakt(["check", "contracts/recipes.odcs.yaml", "--now", NOW, "--exit-zero"]);
    zero.assert_exit(0);
    // Only warnings would remain at --fail-on error if the error failure were waived; at
    // --fail-on warning the warnings fail too.
    let warn =
        contrakt(["check", "contracts/recipes.odcs.yaml", "--now", NOW, "--format", "json", "--fail-on", "warning"]);
    assert_eq!(warn.json()["passed"], false);
}

#[test]
fn bad_data_gives_clear_errors() {
    let contract =
        format!("{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n");
    let dir = folder(&[
        ("c.yaml", &contract),
        ("corrupt.parquet", "PAR1 this is not a parquet file PAR1"),
        ("empty.csv", "id\n"),
        ("words.csv", "id\nabc\n"),
        ("truncated.csv", "id,other\n1,2\n3"),
    ]);
    std::fs::create_dir(dir.path().join("nothing")).unwrap();
    let run = |data: &str, extra: &[&str]| {
        let mut args = vec!["check", "c.yaml", "--data", data];
        args.extend_from_slice(extra);
        contrakt_in(dir.path(), args)
    };
    // Corrupt file: the run cannot happen; the message names the object and the file.
    let corrupt = run("corrupt.parquet", &[]);
    corrupt.assert_exit(2);
    assert!(corrupt.stderr.contains("cannot read the data of `t` at corrupt.parquet"), "{corrupt}");
    let missing = run("no-such.parquet", &[]);
    missing.assert_exit(2);
    assert!(missing.stderr.contains("no such file or folder"), "{missing}");
    let nothing = run("nothing/", &[]);
    nothing.assert_exit(2);
    assert!(nothing.stderr.contains("No files found"), "{nothing}");
    // An empty dataset is data: 0 rows, every check measured.
    let empty = run("empty.csv", &["--format", "json"]);
    empty.assert_exit(0);
    assert_eq!(empty.json()["reports"][0]["objects"][0]["rows"], 0);
    // A column of the wrong type fails the type check, not the run.
    let words = run("words.csv", &["--format", "json"]);
    words.assert_exit(1);
    assert_eq!(results(&words)["t.id.column-type"]["status"], "fail");
    let truncated = run("truncated.csv", &[]);
    truncated.assert_no_panic();
    assert_ne!(truncated.code, Some(0), "{truncated}");
    // Usage errors.
    let unknown = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "nope=x.csv"]);
    unknown.assert_exit(2);
    assert!(unknown.stderr.contains("no schema object `nope` (it has: t)"), "{unknown}");
    let bad_now = contrakt_in(dir.path(), ["check", "c.yaml", "--now", "yesterday"]);
    bad_now.assert_exit(2);
    assert!(bad_now.stderr.contains("--now: cannot read `yesterday`"), "{bad_now}");
    let no_data = contrakt_in(dir.path(), ["check", "c.yaml"]);
    no_data.assert_exit(2);
    assert!(no_data.stderr.contains("pass --data t=PATH"), "{no_data}");
}

#[test]
fn a_slow_rule_times_out_alone() {
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n    quality:\n      - {{id: slow, type: sql, query: 'SELECT count(*) FROM {{object}} a CROSS JOIN {{object}} b CROSS JOIN {{object}} c CROSS JOIN {{object}} d', mustBe: 0}}\n"
    );
    let rows: String = (0..400).map(|i| format!("{i}\n")).collect();
    let dir = folder(&[("c.yaml", &contract), ("t.csv", &format!("id\n{rows}"))]);
    let run = check_dir(dir.path(), &["--timeout", "0.5"]);
    run.assert_exit(1);
    let all = results(&run);
    assert_eq!(all["slow"]["status"], "error");
    assert!(all["slow"]["message"].as_str().unwrap().contains("timed out after"), "{}", all["slow"]);
    assert_eq!(all["t.id.required"]["status"], "pass");
}

/// NDJSON with nested objects and Arrow IPC read as Parquet and CSV do; nested properties are
/// checked inside their struct column.
#[test]
fn ndjson_and_arrow_ipc_with_nested_properties() {
    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n        required: true\n      - name: pay\n        logicalType: object\n        properties:\n          - name: method\n            logicalType: string\n            required: true\n            quality:\n              - {{id: methods, metric: invalidValues, arguments: {{validValues: [card, cash]}}, mustBe: 0}}\n"
    );
    let ndjson = "{\"id\": 1, \"pay\": {\"method\": \"card\"}}\n{\"id\": 2, \"pay\": {\"method\": null}}\n{\"id\": 3, \"pay\": {\"method\": \"gold\"}}\n";
    let dir = folder(&[("c.yaml", &contract), ("t.ndjson", ndjson)]);
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.ndjson", "--format", "json"]);
    run.assert_exit(1);
    let all = results(&run);
    assert_eq!(all["t.pay.method.column-present"]["status"], "pass", "{run}");
    expect(&all, "t.pay.method.required", "fail", Some(1));
    expect(&all, "methods", "fail", Some(1));
    assert_eq!(all["methods"]["samples"][0]["pay.method"], "gold", "{:#}", all["methods"]);

    let schema =
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true), Field::new("pay", DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(Int64Array::from(vec![Some(1), None])), Arc::new(StringArray::from(vec!["a", "b"]))],
    )
    .unwrap();
    let path = dir.path().join("t.arrow");
    let mut w =
        datafusion::arrow::ipc::writer::FileWriter::try_new(std::fs::File::create(&path).unwrap(), &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.arrow", "--format", "json"]);
    let all = results(&run);
    expect(&all, "t.id.required", "fail", Some(1));
    // `pay` is text here, not an object: the type check says so, and nested checks cannot run.
    assert_eq!(all["t.pay.column-type"]["status"], "fail", "{:#}", all["t.pay.column-type"]);
    assert_eq!(all["t.pay.method.column-present"]["status"], "fail");
}

/// Array items are held to the `items:` constraints (a row fails when any of its items does),
/// and PostgreSQL's JSON operators run in `sql` rules, on JSON text and on a struct column.
#[test]
fn array_items_and_json_operators() {
    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n      - name: tags\n        logicalType: array\n        items:\n          logicalType: string\n          logicalTypeOptions:\n            pattern: '^[a-z]+$'\n            maxLength: 5\n          enum: [{{value: red}}, {{value: green}}, {{value: blue}}, {{value: violet}}]\n      - name: scores\n        logicalType: array\n        items:\n          logicalType: integer\n          logicalTypeOptions:\n            minimum: 0\n            exclusiveMaximum: 100\n      - name: doc\n        logicalType: string\n      - name: pay\n        logicalType: object\n        properties:\n          - name: ok\n            logicalType: boolean\n    quality:\n      - id: doc_flag\n        type: sql\n        query: \"SELECT count(*) FROM {{object}} WHERE (doc ->> 'flag')::boolean IS NOT TRUE\"\n        mustBe: 1\n      - id: doc_nested\n        type: sql\n        query: \"SELECT count(*) FROM {{object}} WHERE doc -> 'inner' ->> 'k' = 'v'\"\n        mustBe: 2\n      - id: struct_field\n        type: sql\n        query: \"SELECT count(*) FROM {{object}} WHERE (pay ->> 'ok')::boolean\"\n        mustBe: 2\n"
    );
    let ndjson = concat!(
        r#"{"id": 1, "tags": ["red", "blue"], "scores": [0, 99], "doc": "{\"flag\": true, \"inner\": {\"k\": \"v\"}}", "pay": {"ok": true}}"#,
        "\n",
        r#"{"id": 2, "tags": ["red", "Blue"], "scores": [100], "doc": "{\"flag\": false, \"inner\": {\"k\": \"v\"}}", "pay": {"ok": true}}"#,
        "\n",
        r#"{"id": 3, "tags": ["violet", null], "scores": [-1, 5], "doc": "{\"flag\": true}", "pay": {"ok": false}}"#,
        "\n",
        r#"{"id": 4, "tags": [], "scores": null, "doc": "{\"flag\": true}", "pay": {"ok": null}}"#,
        "\n",
    );
    let dir = folder(&[("c.yaml", &contract), ("t.ndjson", ndjson)]);
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.ndjson", "--format", "json", "--now", NOW]);
    run.assert_exit(1);
    let all = results(&run);
    // "Blue" breaks the pattern and the enumeration; "violet" is longer than 5 characters.
    expect(&all, "t.tags[].pattern", "fail", Some(1));
    expect(&all, "t.tags[].enum", "fail", Some(1));
    expect(&all, "t.tags[].max-length", "fail", Some(1));
    assert_eq!(all["t.tags[].pattern"]["samples"][0]["tags"], "[red, Blue]", "{:#}", all["t.tags[].pattern"]);
    // 100 is at the exclusive maximum; -1 is below the minimum; a null array breaks nothing.
    expect(&all, "t.scores[].maximum", "fail", Some(1));
    expect(&all, "t.scores[].minimum", "fail", Some(1));
    assert!(
        all["t.tags[].pattern"]["message"].as_str().unwrap().contains("with an item not matching /^[a-z]+$/"),
        "{:#}",
        all["t.tags[].pattern"]
    );
    for id in ["doc_flag", "doc_nested", "struct_field"] {
        assert_eq!(all[id]["status"], "pass", "{id}: {:#}", all[id]);
    }
}

/// `logicalType: number` with no format is any number: a `decimal(10,2)` column keeps it.
#[test]
fn a_decimal_column_is_a_number() {
    use std::sync::Arc;

    use datafusion::arrow::array::{Decimal128Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    let contract = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: amount\n        logicalType: number\n        logicalTypeOptions: {{minimum: 0}}\n"
    );
    let dir = folder(&[("c.yaml", &contract)]);
    let schema = Arc::new(Schema::new(vec![Field::new("amount", DataType::Decimal128(10, 2), true)]));
    let amounts = Decimal128Array::from(vec![Some(1250), Some(99), None]).with_precision_and_scale(10, 2).unwrap();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(amounts)]).unwrap();
    let file = std::fs::File::create(dir.path().join("t.parquet")).unwrap();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let run = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.parquet", "--format", "json", "--now", NOW]);
    run.assert_exit(0);
    let all = results(&run);
    expect(&all, "t.amount.column-type", "pass", None);
    expect(&all, "t.amount.minimum", "pass", Some(0));
}
