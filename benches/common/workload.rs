//! The shared orders workload (`../shared/bench/`) as the scale benchmark reads it: the
//! contract rendered for a data folder, and contrakt's report checked against `expected.json`, so
//! a fast run that measured the wrong thing fails instead of winning.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

/// The 12 checks of the workload, in the order of `common.py`'s `CHECK_KEYS`, with the key of
/// each in `expected.json`.
pub const CHECKS: [(&str, &str); 12] = [
    ("row_count", "row_count_between"),
    ("order_id_not_null", "order_id_not_null"),
    ("order_id_unique", "order_id_unique"),
    ("email_regex", "email_regex"),
    ("country_in_set", "country_in_set"),
    ("status_in_set", "status_in_set"),
    ("amount_ge_0", "amount_non_negative"),
    ("quantity_1_100", "quantity_between_1_100"),
    ("created_le_updated", "created_le_updated"),
    ("discount_null_ratio", "discount_code_null_ratio_le_0_99"),
    ("freshness", "freshness_max_created_at_within_1d"),
    ("customer_ri", "customer_id_in_customers"),
];

pub fn rows_of(size: &str) -> u64 {
    match size {
        "100k" => 100_000,
        "1m" => 1_000_000,
        "10m" => 10_000_000,
        "100m" => 100_000_000,
        other => panic!("unknown size {other:?}: use 100k, 1m, 10m or 100m"),
    }
}

/// The contract for `orders/` and `customers/` under `data`, with `extra_servers` (YAML list
/// items) after the workload's file server.
pub fn render(template: &str, data: &Path, rows: u64, extra_servers: &str) -> String {
    template
        .replace("@DATA@", data.to_str().unwrap())
        .replace("@MIN_ROWS@", &(rows * 9 / 10).to_string())
        .replace("@MAX_ROWS@", &(rows * 11 / 10).to_string())
        .replacen("schema:\n", &format!("{extra_servers}schema:\n"), 1)
}

/// `expected.json`'s checks for 100M rows made of ten copies of the 10M rows with their order
/// ids moved apart (`scale.rs` writes them so): every count ten times, ratios and the newest
/// timestamp the same.
pub fn times_ten(checks: &Value) -> Value {
    let mut out = checks.clone();
    for (key, check) in out.as_object_mut().unwrap() {
        for field in ["failing_rows", "duplicate_values", "rows_with_non_unique_value", "excess_rows", "value"] {
            if let Some(n) = check.get(field).and_then(Value::as_u64) {
                check[field] = json!(n * 10);
            }
        }
        if key == "row_count_between" {
            check["min"] = json!(90_000_000);
            check["max"] = json!(110_000_000);
        }
    }
    out
}

/// The counts contrakt measured, keyed like `CHECKS`, from `check --format json`.
pub fn contrakt_counts(report: &Value) -> BTreeMap<&'static str, Value> {
    let results = report["reports"][0]["results"].as_array().expect("results");
    let find = |code: &str, property: Option<&str>, name: Option<&str>| -> &Value {
        results
            .iter()
            .find(|r| {
                r["object"] == "orders"
                    && r["code"] == code
                    && property.is_none_or(|p| r["property"] == p)
                    && name.is_none_or(|n| r["name"] == n)
            })
            .unwrap_or_else(|| panic!("no {code} result for {property:?} {name:?} in the report"))
    };
    let rows = |code: &str, property: &str| find(code, Some(property), None)["failed_rows"].clone();
    let value = |code: &str, property: Option<&str>, name: Option<&str>| find(code, property, name)["value"].clone();
    let quantity = rows("Q204", "quantity").as_u64().unwrap() + rows("Q205", "quantity").as_u64().unwrap();
    BTreeMap::from([
        ("row_count", value("Q305", None, None)),
        ("order_id_not_null", rows("Q201", "order_id")),
        ("order_id_unique", value("Q202", Some("order_id"), None)),
        ("email_regex", rows("Q208", "customer_email")),
        ("country_in_set", rows("Q303", "country")),
        ("status_in_set", rows("Q303", "status")),
        ("amount_ge_0", rows("Q204", "amount")),
        ("quantity_1_100", Value::from(quantity)),
        ("created_le_updated", value("Q306", None, Some("created_le_updated"))),
        // Percent in contrakt's report, a ratio in expected.json: compare as a ratio.
        ("discount_null_ratio", Value::from(value("Q301", Some("discount_code"), None).as_f64().unwrap() / 100.0)),
        ("freshness", value("Q306", None, Some("freshness"))),
        ("customer_ri", rows("Q501", "customer_id")),
    ])
}

/// Whether a measured value agrees with `expected.json`'s entry for that check.
pub fn agrees(key: &str, got: &Value, expected: &Value) -> bool {
    let num = |v: &Value| v.as_f64();
    match key {
        "row_count" => num(got) == num(&expected["value"]),
        "order_id_unique" => ["duplicate_values", "rows_with_non_unique_value", "excess_rows"]
            .iter()
            .any(|k| num(got) == num(&expected[*k])),
        "discount_null_ratio" => num(got).zip(num(&expected["null_ratio"])).is_some_and(|(a, b)| (a - b).abs() < 1e-9),
        // contrakt's freshness rule is the workload's SQL returning 1 when fresh; DuckDB reports
        // the newest timestamp. Both agree when neither says the data is stale.
        "freshness" => match got {
            Value::Number(n) => (n.as_f64() == Some(1.0)) != expected["fail"].as_bool().unwrap(),
            Value::String(s) => s.replace(' ', "T").starts_with(&expected["max_created_at"].as_str().unwrap()[..19]),
            _ => false,
        },
        _ => num(got) == num(&expected["failing_rows"]),
    }
}

/// Panics unless every count of `check_duckdb.py`'s `RESULT_JSON=` line matches `expected`.
pub fn assert_duckdb_counts(label: &str, stdout: &[u8], expected: &Value) {
    let line = String::from_utf8_lossy(stdout)
        .lines()
        .find_map(|l| l.strip_prefix("RESULT_JSON=").map(str::to_owned))
        .unwrap_or_else(|| panic!("{label}: no RESULT_JSON line from DuckDB"));
    let result: Value = serde_json::from_str(&line).unwrap();
    for (key, exp_key) in CHECKS {
        let got = &result["checks"][key]["value"];
        assert!(agrees(key, got, &expected[exp_key]), "{label} {key}: got {got} expected {}", expected[exp_key]);
    }
}

/// Panics unless every count of a `check --format json` report matches `expected`.
pub fn assert_counts(label: &str, stdout: &[u8], expected: &Value) {
    let report: Value = serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("{label}: not a JSON report ({e}): {}", String::from_utf8_lossy(stdout)));
    let counts = contrakt_counts(&report);
    for (key, exp_key) in CHECKS {
        assert!(
            agrees(key, &counts[key], &expected[exp_key]),
            "{label} {key}: got {} expected {}",
            counts[key],
            expected[exp_key]
        );
    }
}

/// Panics unless the decode floor (`check_duckdb.py --mode scan`) read every row.
pub fn assert_row_count(label: &str, stdout: &[u8], expected: &Value) {
    let line = String::from_utf8_lossy(stdout)
        .lines()
        .find_map(|l| l.strip_prefix("RESULT_JSON=").map(str::to_owned))
        .unwrap_or_else(|| panic!("{label}: no RESULT_JSON line"));
    let result: Value = serde_json::from_str(&line).unwrap();
    let got = &result["checks"]["row_count"]["value"];
    assert!(agrees("row_count", got, &expected["row_count_between"]), "{label}: read {got} rows");
}

/// Panics unless every failed check of the workload that samples rows (nulls, uniqueness,
/// patterns, enumerations, ranges, references) shows between 1 and `limit` of them.
pub fn assert_samples(label: &str, stdout: &[u8], limit: usize) {
    let report: Value = serde_json::from_slice(stdout).unwrap();
    let results = report["reports"][0]["results"].as_array().expect("results");
    let sampled = ["Q201", "Q202", "Q204", "Q205", "Q208", "Q303", "Q501"];
    let mut seen = 0;
    for r in results.iter().filter(|r| r["status"] == "fail" && sampled.contains(&r["code"].as_str().unwrap_or(""))) {
        let n = r["samples"].as_array().map_or(0, Vec::len);
        assert!((1..=limit).contains(&n), "{label}: {} has {n} samples", r["id"]);
        seen += 1;
    }
    assert!(seen >= 8, "{label}: only {seen} failed checks with samples");
}
