//! Segmented checks (`contraktSegments`) and reconciliation (`contraktReconcile`, Q701) end to
//! end, on real files: thresholds per segment, the failing segments named, high-cardinality
//! columns refused, a history series per segment with an adaptive check judging each segment
//! (SQLite and PostgreSQL), and one object reconciled with another contract's.

use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use crate::{Run, contrakt_in, results_of as results};

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nversion: 1.0.0\nstatus: active\n";

/// Orders by country: FR 400, DE 300 (20% of them without a status), ES 200, GB 5, and 2
/// without a country; `amount` 10 each. `n` extra rows of FR are left out.
fn orders_csv(fr_dropped: usize) -> String {
    let mut csv = String::from("order_id,country,amount,status\n");
    let mut id = 0;
    for (country, rows) in [("FR", 400 - fr_dropped), ("DE", 300), ("ES", 200), ("GB", 5), ("", 2)] {
        for i in 0..rows {
            id += 1;
            let status = if country == "DE" && i % 5 == 0 { "" } else { "placed" };
            writeln!(csv, "o{id},{country},10,{status}").unwrap();
        }
    }
    csv
}

fn orders_contract(extra_object_props: &str) -> String {
    format!(
        "{HEAD}id: urn:t:orders\nschema:
  - name: orders
{extra_object_props}    properties:
      - name: order_id
        logicalType: string
      - name: country
        logicalType: string
      - name: amount
        logicalType: number
      - name: status
        logicalType: string
        quality:
          - id: status_nulls_per_country
            metric: nullValues
            unit: percent
            mustBeLessOrEqualTo: 10
            customProperties:
              - {{property: contraktSegments, value: [country]}}
    quality:
      - id: orders_per_country
        metric: rowCount
        mustBeGreaterThan: 50
        customProperties:
          - {{property: contraktSegments, value: country}}
      - id: orders_total
        metric: rowCount
        mustBeGreaterThan: 50
"
    )
}

fn folder(contract: &str, csv: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), contract).unwrap();
    std::fs::write(dir.path().join("orders.csv"), csv).unwrap();
    dir
}

fn check(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "c.yaml", "--data", "orders=orders.csv", "--format", "json"];
    args.extend_from_slice(extra);
    contrakt_in(dir, args)
}

#[test]
fn thresholds_apply_per_segment_and_the_failing_segments_are_named() {
    let dir = folder(&orders_contract(""), &orders_csv(0));
    let run = check(dir.path(), &[]);
    run.assert_exit(1);
    let all = results(&run);

    // 907 rows pass `> 50` over the whole table; GB's 5 do not, and fail the rule.
    let per = &all["orders_per_country"];
    assert_eq!((per["status"].as_str(), per["value"].as_f64()), (Some("fail"), Some(907.0)), "{per:#}");
    let s = &per["segments"];
    assert_eq!(s["by"], serde_json::json!(["country"]));
    assert_eq!((s["total"].as_u64(), s["failing"].as_u64(), s["more_failing"].as_u64()), (Some(5), Some(2), Some(0)));
    // Worst first: the 2 rows without a country are the furthest below 50, then GB's 5.
    let worst: Vec<(&str, f64)> = s["worst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["segment"].as_str().unwrap(), w["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(worst, [("country=(null)", 2.0), ("country=GB", 5.0)], "{s:#}");
    assert_eq!(s["worst"][1]["values"], serde_json::json!({"country": "GB"}));
    assert_eq!(s["worst"][0]["values"], serde_json::json!({"country": null}));
    assert_eq!(
        per["message"],
        "2 of 5 segments by country fail (the contract says > 50 for each): country=(null) (2 rows), country=GB (5 rows) (over all rows: 907 rows; the contract says > 50)"
    );
    // The same threshold without segments passes.
    assert_eq!(all["orders_total"]["status"], "pass");
    assert!(all["orders_total"].get("segments").is_none());

    // A percentage is of the segment's rows: DE has 60 of 300 (20%) without a status, 6.6% of
    // all rows.
    let nulls = &all["status_nulls_per_country"];
    assert_eq!(nulls["status"], "fail", "{nulls:#}");
    assert!((nulls["value"].as_f64().unwrap() - 60.0 * 100.0 / 907.0).abs() < 1e-4, "{nulls:#}");
    let de = &nulls["segments"]["worst"][0];
    assert_eq!((de["segment"].as_str(), de["value"].as_f64()), (Some("country=DE"), Some(20.0)), "{nulls:#}");
    assert_eq!((de["failed_rows"].as_u64(), de["total_rows"].as_u64()), (Some(60), Some(300)));
    assert_eq!(nulls["segments"]["failing"], 1);

    // Both rules segment by `country`: one grouped aggregate beside the fused scan.
    assert_eq!(run.json()["reports"][0]["objects"][0]["plans"], 2);

    // The text report names the failing segments too.
    let text = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "orders=orders.csv"]);
    text.assert_exit(1);
    assert!(text.stdout.contains("country=GB (5 rows)") && text.stdout.contains("country=DE (20%)"), "{text}");
}

/// A check passing over all rows and failing in a segment shows failing rows of the worst
/// failing segments, each labelled with its segment, in key order; one failing over all rows
/// keeps the whole table's samples.
#[test]
fn a_check_failing_only_in_a_segment_shows_that_segments_failing_rows() {
    let contract = orders_contract("").replace(
        "      - name: order_id\n        logicalType: string\n",
        "      - name: order_id\n        logicalType: string\n        primaryKey: true\n",
    );
    let dir = folder(&contract, &orders_csv(0));
    let run = check(dir.path(), &["--sample", "3"]);
    run.assert_exit(1);
    let nulls = &results(&run)["status_nulls_per_country"];
    assert_eq!(nulls["status"], "fail", "{nulls:#}");
    // DE's orders o401–o700 lack a status every fifth row: o401, o406, o411 first by key.
    let want: Vec<Value> = ["o401", "o406", "o411"]
        .iter()
        .map(|id| serde_json::json!({"order_id": id, "status": null, "segment": "country=DE"}))
        .collect();
    assert_eq!(nulls["samples"].as_array().unwrap(), &want, "{nulls:#}");

    // Two failing segments (DE 20%, ES 14.5%; 9.9% over all rows): each shows its own rows,
    // the worst segment first.
    let mut csv = String::from("order_id,country,amount,status\n");
    let mut id = 0;
    for (country, rows, every) in [("FR", 400, 0), ("DE", 300, 5), ("ES", 200, 7)] {
        for i in 0..rows {
            id += 1;
            let status = if every > 0 && i % every == 0 { "" } else { "placed" };
            writeln!(csv, "o{id:04},{country},10,{status}").unwrap();
        }
    }
    let dir = folder(&contract, &csv);
    let run = check(dir.path(), &["--sample", "2"]);
    let nulls = &results(&run)["status_nulls_per_country"];
    assert_eq!((nulls["status"].as_str(), nulls["segments"]["failing"].as_u64()), (Some("fail"), Some(2)), "{nulls:#}");
    let shown: Vec<(&str, &str)> = nulls["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["segment"].as_str().unwrap(), s["order_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        shown,
        [("country=DE", "o0401"), ("country=DE", "o0406"), ("country=ES", "o0701"), ("country=ES", "o0708")],
        "{nulls:#}"
    );

    // No samples asked, none gathered.
    let run = check(dir.path(), &["--sample", "0"]);
    assert!(
        results(&run)["status_nulls_per_country"]
            .get("samples")
            .is_none_or(|s| s.as_array().is_some_and(Vec::is_empty))
    );
}

#[test]
fn only_the_worst_segments_are_named_and_the_rest_counted() {
    // 12 countries of 3 rows each: every one fails `> 5`; 5 are named, 7 counted.
    let mut csv = String::from("order_id,country,amount,status\n");
    for c in 0..12 {
        for i in 0..3 {
            writeln!(csv, "o{c}-{i},C{c:02},10,placed").unwrap();
        }
    }
    let contract = orders_contract("")
        .replace("mustBeGreaterThan: 50\n        customProperties", "mustBeGreaterThan: 5\n        customProperties");
    let dir = folder(&contract, &csv);
    let run = check(dir.path(), &[]);
    let per = &results(&run)["orders_per_country"];
    let s = &per["segments"];
    assert_eq!((s["total"].as_u64(), s["failing"].as_u64(), s["more_failing"].as_u64()), (Some(12), Some(12), Some(7)));
    assert_eq!(s["worst"].as_array().unwrap().len(), 5);
    assert!(per["message"].as_str().unwrap().contains("and 7 more"), "{per:#}");
}

#[test]
fn a_high_cardinality_segment_column_is_refused_and_a_misspelt_one_is_linted() {
    let mut csv = String::from("order_id,country,amount,status\n");
    for i in 0..1500 {
        writeln!(csv, "o{i},FR,10,placed").unwrap();
    }
    let contract = orders_contract("").replace("value: country}", "value: order_id}");
    let dir = folder(&contract, &csv);
    let run = check(dir.path(), &[]);
    run.assert_exit(1);
    let per = &results(&run)["orders_per_country"];
    assert_eq!(per["status"], "error", "{per:#}");
    let m = per["message"].as_str().unwrap();
    assert!(m.contains("`contraktSegments: [order_id]` makes about 1") && m.contains("more than the 1000"), "{m}");
    // The other rule, segmented by a 1-value column, still runs.
    assert_eq!(results(&run)["status_nulls_per_country"]["status"], "pass");

    let misspelt = orders_contract("").replace("value: country}", "value: cuntry}");
    std::fs::write(dir.path().join("c.yaml"), misspelt).unwrap();
    let lint = contrakt_in(dir.path(), ["lint", "c.yaml", "--format", "json"]);
    lint.assert_exit(1);
    let findings = lint.findings();
    assert_eq!(crate::codes(&findings), ["L209"], "{lint}");
    assert!(findings[0]["message"].as_str().unwrap().contains("`cuntry`, which is not a property of `orders`"));
    let run = check(dir.path(), &[]);
    assert_eq!(results(&run)["orders_per_country"]["status"], "error", "never silently global");
}

/// The adaptive check on a segmented rule, run on day `day` into `store`.
fn day(dir: &Path, store: &str, day: u32) -> Run {
    let now = format!("2026-11-{day:02}T06:00:00Z");
    check(dir, &["--history", store, "--now", &now])
}

fn anomaly(run: &Run) -> Value {
    results(run).into_values().find(|r| r["code"] == "Q601").expect("a Q601 result")
}

#[test]
fn each_segment_learns_its_own_baseline_on_sqlite_and_postgres() {
    let spec = "    customProperties:\n      - property: contraktAnomaly\n        value: {metric: orders_per_country, model: median, min_history: 3, sensitivity: 3}\n";
    let url = crate::postgres::server().create_database("segment_history");
    let mut read_back = Vec::new();
    for store in ["h.db", url.as_str()] {
        let dir = folder(&orders_contract(spec), &orders_csv(0));
        for d in 1..=3 {
            let a = anomaly(&day(dir.path(), store, d));
            assert_eq!(a["status"], "skipped", "{a:#}");
            assert!(a["message"].as_str().unwrap().contains("segments still warming up"), "{a:#}");
        }
        let steady = anomaly(&day(dir.path(), store, 4));
        assert_eq!(steady["status"], "pass", "{steady:#}");
        assert!(
            steady["message"].as_str().unwrap().ends_with("all 5 segments by country within their bands"),
            "{steady:#}"
        );

        // FR loses 100 of its 400 orders: FR's own series says so, the other segments are as
        // ever.
        std::fs::write(dir.path().join("orders.csv"), orders_csv(100)).unwrap();
        let drop = anomaly(&day(dir.path(), store, 5));
        assert_eq!(drop["status"], "warn", "{drop:#}");
        let s = &drop["segments"];
        assert_eq!((s["total"].as_u64(), s["failing"].as_u64()), (Some(5), Some(1)), "{drop:#}");
        assert_eq!(
            (s["worst"][0]["segment"].as_str(), s["worst"][0]["value"].as_f64()),
            (Some("country=FR"), Some(300.0))
        );
        assert!(
            drop["message"]
                .as_str()
                .unwrap()
                .starts_with("1 of 5 segments by country are anomalous: country=FR = 300 is outside the expected"),
            "{drop:#}"
        );

        // The history holds a series per segment, beside the whole object's.
        let json = contrakt_in(
            dir.path(),
            ["history", "--store", store, "--metric", "orders_per_country", "--format", "json"],
        );
        json.assert_exit(0);
        let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
        let fr: Vec<f64> =
            points.iter().filter(|p| p["segment"] == "country=FR").map(|p| p["value"].as_f64().unwrap()).collect();
        assert_eq!(fr, [400.0, 400.0, 400.0, 400.0, 300.0]);
        assert_eq!(points.iter().filter(|p| p.get("segment").is_none()).count(), 5, "the whole object's series");
        let text = contrakt_in(dir.path(), ["history", "--store", store, "--metric", "orders_per_country"]);
        assert_eq!(text.stdout.lines().filter(|l| l.contains("orders_per_country [country=FR]")).count(), 5, "{text}");
        let csv =
            contrakt_in(dir.path(), ["history", "--store", store, "--metric", "orders_per_country", "--format", "csv"]);
        assert_eq!(csv.stdout.lines().filter(|l| l.ends_with(",country=DE")).count(), 5, "{csv}");
        read_back.push(
            points.iter().map(|p| (p["segment"].clone(), p["value"].clone(), p["at"].clone())).collect::<Vec<_>>(),
        );
        if store != "h.db" {
            continue;
        }
        // The report charts each segment's series after the whole object's, the anomalous
        // segment first.
        let report = contrakt_in(
            dir.path(),
            ["report", "c.yaml", "--history", store, "-o", "site", "--now", "2026-11-05T07:00:00Z"],
        );
        report.assert_exit(0);
        let page = std::fs::read_dir(dir.path().join("site/contracts"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .find(|html| html.contains("orders_per_country"))
            .expect("the contract's page");
        assert!(page.contains("5 segments, charted below"), "{page}");
        let at = |segment: &str| {
            let card = format!("segment <span class=\"mono\">{segment}</span>");
            page.find(&card).unwrap_or_else(|| panic!("no card for {segment}"))
        };
        for other in ["country=DE", "country=ES", "country=GB"] {
            assert!(at("country=FR") < at(other), "FR, anomalous, before {other}");
        }
        let card = &page[page[..at("country=FR")].rfind("<article").unwrap()..at("country=FR")];
        assert!(card.contains("Q601") && card.contains("check warn"), "FR's card is the anomaly's, flagged: {card}");
    }
    assert_eq!(read_back[0], read_back[1], "SQLite and PostgreSQL hold the same series");
}

/// A registry of two contracts: orders (100, `amount` 10 each) and their items (2 lines of 5 per
/// order for orders 1–99, and 2 lines of orders 200 and 201 that do not exist).
fn registry(tolerance: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("data")).unwrap();
    let mut orders = String::from("order_id,amount\n");
    for o in 1..=100 {
        writeln!(orders, "{o},10").unwrap();
    }
    let mut items = String::from("order_id,line,line_total\n");
    for o in (1..=99).chain([200, 201]) {
        for l in 0..if o > 100 { 1 } else { 2 } {
            writeln!(items, "{o},{l},5").unwrap();
        }
    }
    std::fs::write(p.join("data/orders.csv"), orders).unwrap();
    std::fs::write(p.join("data/items.csv"), items).unwrap();
    std::fs::write(
        p.join("orders.odcs.yaml"),
        format!(
            "{HEAD}id: urn:t:orders\nservers:\n  - {{server: local, type: local, path: data/orders.csv, format: csv}}\nschema:\n  - name: orders\n    properties:\n      - {{name: order_id, logicalType: integer}}\n      - {{name: amount, logicalType: number}}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        p.join("items.odcs.yaml"),
        format!(
            "{HEAD}id: urn:t:items\nservers:\n  - {{server: local, type: local, path: data/items.csv, format: csv}}\nschema:\n  - name: items\n    properties:\n      - {{name: order_id, logicalType: integer}}\n      - {{name: line, logicalType: integer}}\n      - {{name: line_total, logicalType: number}}\n    customProperties:\n      - property: contraktReconcile\n        value:\n          id: items_match_orders\n          with: orders\n          rowCount: true\n          sum: [{{column: line_total, with: amount}}]\n          distinct: [order_id]\n          keys: order_id\n          tolerance: {tolerance}\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn an_object_reconciles_with_another_contracts_object() {
    let dir = registry("0");
    let run = contrakt_in(dir.path(), ["check", ".", "--format", "json", "--sample", "2"]);
    run.assert_exit(1);
    let r = &results(&run)["items_match_orders"];
    assert_eq!((r["code"].as_str(), r["status"].as_str()), (Some("Q701"), Some("fail")), "{r:#}");
    // Rows 200 vs 100 and distinct ids 101 vs 100 disagree; the sums (1000 each) agree; 2 ids
    // only in items and 1 only in orders: 4 disagreements.
    assert_eq!(r["value"], 4.0, "{r:#}");
    assert_eq!(
        r["message"],
        "against `orders` (exact): rows 200 vs 100 (50% apart, outside the tolerance); sum(line_total) vs sum(amount) 1000 vs 1000 (equal); distinct order_id 101 vs 100 (0.9901% apart, outside the tolerance); 2 keys of 101 only in `items`, e.g. 200, 201 (outside the tolerance); 1 key of 100 only in `orders`, e.g. 100 (outside the tolerance)"
    );
    let samples = r["samples"].as_array().unwrap();
    assert_eq!(
        samples,
        &vec![
            serde_json::json!({"only_in": "items", "order_id": 200}),
            serde_json::json!({"only_in": "items", "order_id": 201}),
            serde_json::json!({"only_in": "orders", "order_id": 100}),
        ]
    );

    // Within 2% the distinct counts agree and 2 of 101 one-sided keys are allowed; the row
    // counts still do not.
    let dir = registry("0.02");
    let run = contrakt_in(dir.path(), ["check", ".", "--format", "json"]);
    let r = &results(&run)["items_match_orders"];
    assert_eq!((r["status"].as_str(), r["value"].as_f64()), (Some("fail"), Some(1.0)), "{r:#}");
    assert_eq!(r["samples"].as_array().unwrap().len(), 3, "the one-sided keys are still shown: {r:#}");

    // Without the other contract in the registry, the check says what is missing.
    std::fs::remove_file(dir.path().join("orders.odcs.yaml")).unwrap();
    let run = contrakt_in(dir.path(), ["check", "items.odcs.yaml", "--format", "json"]);
    let r = &results(&run)["items_match_orders"];
    assert_eq!(r["status"], "error", "{r:#}");
    assert!(r["message"].as_str().unwrap().starts_with("no data located for `orders`"), "{r:#}");
}

/// On PostgreSQL both sides live in the warehouse: the segment count, the grouped aggregate and
/// the reconciliation's plans run there, and give the embedded engine's results.
#[test]
fn segments_and_reconciliation_push_down_to_postgres() {
    use crate::pushdown::{load, load_orders, registry_on, target};
    let url = crate::postgres::server().create_database("segments_pushdown");
    let t = target(&url);
    let dir = tempfile::tempdir().unwrap();
    load_orders(&url, dir.path());
    load(
        &url,
        "commerce",
        "order_items_v1",
        "fixtures/data/order_items/order_items.parquet",
        &["order_id"],
        dir.path(),
    );
    let contracts = registry_on(&t, dir.path());
    let now = "2026-11-22T06:00:00Z";
    for (file, id) in [("orders.odcs.yaml", "orders_per_market"), ("order-items.odcs.yaml", "items_match_orders")] {
        let embedded = crate::contrakt(["check", &format!("contracts/{file}"), "--now", now, "--format", "json"]);
        let out = t
            .contrakt(&contracts, &["check", file, "--server", "warehouse", "--now", now, "--format", "json"])
            .output()
            .unwrap();
        let pushed: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let pushed =
            pushed["reports"][0]["results"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap();
        let want = &results(&embedded)[id];
        assert_eq!(want["status"], "pass", "{want:#}");
        for field in ["status", "value", "message", "segments", "total_rows"] {
            assert_eq!(want[field], pushed[field], "{id}.{field}: embedded {want:#} | pushed down {pushed:#}");
        }
    }
}
