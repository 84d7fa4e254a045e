//! Contracts and data the way other tools and pipelines write them (issue #21), each class on a
//! fixture of its shape under `fixtures/ecosystem/`: quality SQL with datacontract-cli's and
//! Soda's placeholders, warehouse SQL contrakt's parser does not read, CSV files whose headers
//! differ under one glob, JSON array files, dates held as text, and typed array items.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{Run, contrakt, with_stable_output};

const NOW: &str = "2026-11-22T06:00:00Z";

/// id → result, for one JSON check report.
fn results(run: &Run) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for report in run.json()["reports"].as_array().expect("reports") {
        for r in report["results"].as_array().expect("results") {
            out.insert(r["id"].as_str().unwrap().to_string(), r.clone());
        }
    }
    out
}

#[track_caller]
fn expect(all: &BTreeMap<String, Value>, id: &str, status: &str, value: Option<f64>) -> Value {
    let r = all.get(id).unwrap_or_else(|| panic!("no result {id}; have {:?}", all.keys().collect::<Vec<_>>()));
    assert_eq!(r["status"], status, "{id}: {r:#}");
    if let Some(v) = value {
        assert_eq!(r["value"].as_f64(), Some(v), "{id}: {r:#}");
    }
    r.clone()
}

fn check(contract: &str) -> Run {
    contrakt(["check", contract, "--now", NOW, "--format", "json"])
}

/// Snapshots check text output with the run's timings and clock taken out.
fn snapshot_check_text(name: &str, run: &Run) {
    with_stable_output(|| {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(r"\d+ ms", "[TIME]");
        settings.add_filter(r"at \d{4}-\d\d-\d\dT[0-9:]+Z", "at [NOW]");
        settings.bind(|| insta::assert_snapshot!(name, run.stdout));
    });
}

/// `${model}`, `${table}`, `${field}` and `{model}` are ODCS `{object}`/`{property}`: the
/// contract lints clean and each rule runs (the negative weight is found).
#[test]
fn peer_placeholders_are_aliases() {
    let contract = "fixtures/ecosystem/placeholders/shipments.odcs.yaml";
    contrakt(["lint", contract]).assert_exit(0);
    let run = check(contract);
    run.assert_exit(1);
    let all = results(&run);
    expect(&all, "weight_not_negative", "fail", Some(1.0));
    expect(&all, "shipments_row_count", "pass", Some(4.0));
    expect(&all, "shipments_carriers", "pass", Some(3.0));
}

/// An unknown `${name}` is named, by lint (L206) and by check (an error result, exit 1).
#[test]
fn an_unknown_placeholder_is_named() {
    let contract = "fixtures/ecosystem/placeholders/unknown.odcs.yaml";
    let lint = contrakt(["lint", "--color", "never", contract]);
    lint.assert_exit(1);
    with_stable_output(|| insta::assert_snapshot!("unknown_placeholder_lint", lint.stdout));
    let run = check(contract);
    run.assert_exit(1);
    let r = expect(&results(&run), "shipments_in_schema", "error", None);
    assert!(r["message"].as_str().unwrap().contains("unknown placeholder `${schema}`"), "{r:#}");
}

/// Redshift SQL contrakt's parser does not read is a warning on a Redshift contract (the
/// server judges it); a statement that is no query is still refused.
#[test]
fn warehouse_sql_is_left_to_the_server() {
    let lint = contrakt(["lint", "--color", "never", "fixtures/ecosystem/warehouse-dialect/orders.odcs.yaml"]);
    lint.assert_exit(1);
    with_stable_output(|| insta::assert_snapshot!("warehouse_dialect_lint", lint.stdout));
    let json = contrakt(["lint", "--format", "json", "fixtures/ecosystem/warehouse-dialect/orders.odcs.yaml"]);
    let findings = json.findings();
    assert_eq!(crate::codes(&findings), ["L208", "L207"], "{json}");
}

/// A column added to later CSV files is read by header name: `currency` is null in January's
/// two rows, and the amounts stay amounts.
#[test]
fn csv_files_with_different_headers_are_read_by_name() {
    let run = check("fixtures/ecosystem/csv-added-column/parcels.odcs.yaml");
    run.assert_exit(0);
    let all = results(&run);
    expect(&all, "parcels_rows", "pass", Some(5.0));
    expect(&all, "parcels_without_currency", "pass", Some(2.0));
    expect(&all, "parcels.amount.minimum", "pass", Some(0.0));
    expect(&all, "parcels.currency.pattern", "pass", Some(0.0));
    expect(&all, "parcels.id.unique", "pass", Some(0.0));
    expect(&all, "parcels.amount.column-type", "pass", None);
}

/// A JSON file holding one array of records reads like newline-delimited JSON; a folder mixing
/// both layouts is refused with both files named.
#[test]
fn json_array_files_are_read() {
    let run = check("fixtures/ecosystem/json-array/events.odcs.yaml");
    run.assert_exit(1);
    let all = results(&run);
    expect(&all, "events.rowCount", "pass", Some(3.0));
    expect(&all, "events.kind.invalidValues", "fail", Some(1.0));
    expect(&all, "events.count.minimum", "fail", Some(1.0));
    expect(&all, "events.event_id.unique", "pass", Some(0.0));

    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy("fixtures/ecosystem/json-array/events.json", tmp.path().join("a.json")).unwrap();
    std::fs::write(tmp.path().join("b.json"), "{\"event_id\": \"e9\", \"kind\": \"view\", \"count\": 3}\n").unwrap();
    let data = format!("events={}", tmp.path().display());
    let mixed = contrakt(["check", "fixtures/ecosystem/json-array/events.odcs.yaml", "--data", &data, "--now", NOW]);
    mixed.assert_exit(2);
    assert!(
        mixed.stderr.contains("b.json holds one JSON object a line") && mixed.stderr.contains("a.json one JSON array"),
        "{mixed}"
    );
}

/// Dates held as text are checked against the calendar, with Java's quoting; a pattern that
/// cannot be checked fails the run instead of passing it.
#[test]
fn dates_are_checked_against_the_calendar() {
    let run = check("fixtures/ecosystem/dates/bookings.odcs.yaml");
    run.assert_exit(1);
    let all = results(&run);
    let samples = |r: &Value, key: &str| -> Vec<String> {
        let mut v: Vec<String> =
            r["samples"].as_array().unwrap().iter().map(|s| s[key].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let r = expect(&all, "bookings.booked_on.format", "fail", Some(3.0));
    assert_eq!(samples(&r, "booked_on"), ["1977-05-55", "2019-02-30", "2019-13-01"]);
    let r = expect(&all, "bookings.travel_date.format", "fail", Some(2.0));
    assert_eq!(samples(&r, "travel_date"), ["1900-02-29", "2019-02-29"]);
    let r = expect(&all, "bookings.checked_in_at.format", "fail", Some(3.0));
    assert_eq!(samples(&r, "checked_in_at"), ["2019-01-01 10:00:00", "2019-01-01T24:00:00", "2019-04-31T10:00:00"]);
    let r = expect(&all, "bookings.paid_on.format", "fail", Some(1.0));
    assert_eq!(samples(&r, "paid_on"), ["29/02/23"]);

    let zoned = contrakt(["check", "fixtures/ecosystem/dates/zoned.odcs.yaml", "--now", NOW]);
    zoned.assert_exit(1);
    snapshot_check_text("uncheckable_date_pattern", &zoned);
}

/// Dates held as text in arrays are checked against the calendar, item by item.
#[test]
fn array_item_dates_are_checked_against_the_calendar() {
    let run = check("fixtures/ecosystem/array-dates/shipments.odcs.yaml");
    run.assert_exit(1);
    let all = results(&run);
    // 2019-02-30, 2019-04-31 and 2019-13-01: one row each; a null item breaks nothing.
    let r = expect(&all, "shipments.delivery_dates[].format", "fail", Some(3.0));
    let rows: Vec<&str> =
        r["samples"].as_array().unwrap().iter().map(|s| s["delivery_dates"].as_str().unwrap()).collect();
    assert_eq!(rows, ["[2019-02-28, 2019-02-30]", "[2019-04-31]", "[2019-13-01]"], "{r:#}");
    // `format: date`: 2023-02-29 fails, 2024-02-29 (a leap year) passes.
    expect(&all, "shipments.holidays[].format", "fail", Some(1.0));
}

/// A JSON record may leave out an optional property: one that no record holds passes as nulls
/// (as datacontract-cli judges it); a required one that no record holds fails.
#[test]
fn json_records_may_leave_out_optional_properties() {
    let run = check("fixtures/ecosystem/json-optional/stations.odcs.yaml");
    run.assert_exit(1);
    let all = results(&run);
    let r = expect(&all, "stations.elevation_m.column-present", "pass", None);
    assert!(
        r["message"].as_str().unwrap().contains("none of the records the schema is read from holds `elevation_m`"),
        "{r:#}"
    );
    expect(&all, "stations.elevation_m.column-type", "pass", None);
    expect(&all, "stations.elevation_m.minimum", "pass", Some(0.0));
    expect(&all, "stations.region.column-present", "fail", None);
    expect(&all, "stations.station_id.unique", "pass", Some(0.0));
}

/// SLA values written as ISO 8601 durations (`PT24H`, `P1Y`) are measured, not refused.
#[test]
fn sla_values_may_be_iso_8601_durations() {
    let run = check("fixtures/ecosystem/iso-durations/events.odcs.yaml");
    run.assert_exit(1);
    let all = results(&run);
    // 18 hours old, as days (the default unit).
    expect(&all, "sla.freshness", "pass", Some(0.75));
    let r = expect(&all, "sla.retention", "fail", None);
    assert!(r["value"].as_f64().unwrap() > 365.0, "{r:#}");
}

/// Array items and the fields of structs inside arrays are held to the contract's types.
#[test]
fn array_items_are_type_checked() {
    let run = check("fixtures/ecosystem/array-items/baskets.odcs.yaml");
    run.assert_exit(1);
    let all = results(&run);
    let r = expect(&all, "baskets.values.column-type", "fail", None);
    assert_eq!(r["message"], "items: int64 does not read as string");
    let r = expect(&all, "baskets.lines.column-type", "fail", None);
    assert_eq!(r["message"], "items: field `sku`: int64 does not read as string");
    expect(&all, "baskets.tags.column-type", "pass", None);
}

/// `contrakt run contracts/` from the repository root records into the store `history:` of the
/// root's contrakt.yaml names, and `report` reads it back; before, a folder had no registry
/// root, and nothing was recorded.
#[test]
fn a_registry_folder_uses_the_history_of_contrakt_yaml() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("contrakt.yaml"), "version: 1\nhistory:\n  path: .contrakt/history.db\n").unwrap();
    std::fs::create_dir_all(dir.join("contracts")).unwrap();
    for file in ["shipments.odcs.yaml", "shipments.csv"] {
        std::fs::copy(format!("fixtures/ecosystem/placeholders/{file}"), dir.join("contracts").join(file)).unwrap();
    }
    for command in ["check", "run"] {
        crate::contrakt_in(dir, [command, "contracts/", "--now", NOW]).assert_exit(1);
    }
    assert!(dir.join(".contrakt/history.db").is_file(), "no store was written");
    let read = crate::contrakt_in(
        dir,
        ["history", "--store", ".contrakt/history.db", "--metric", "rowCount", "--format", "json"],
    );
    read.assert_exit(0);
    assert_eq!(read.json().as_array().map(Vec::len), Some(2), "one rowCount per run: {read}");
    let site = crate::contrakt_in(dir, ["report", "contracts/", "-o", "site"]);
    site.assert_exit(0);
    let index = std::fs::read_to_string(dir.join("site/index.html")).unwrap();
    assert!(!index.contains("No history store configured"), "{index}");
}

/// Reading the history of an empty file (as `touch` or a failed first run leaves it) shows no
/// runs and leaves the file empty.
#[test]
fn reading_an_empty_history_file_creates_no_tables() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("h.db"), "").unwrap();
    let read = crate::contrakt_in(tmp.path(), ["history", "--store", "h.db", "--format", "json"]);
    read.assert_exit(0);
    assert_eq!(read.json(), serde_json::json!([]));
    assert_eq!(std::fs::metadata(tmp.path().join("h.db")).unwrap().len(), 0, "the file was written to");
}

/// A manifest whose models share names (versions of one model, one name in two packages)
/// imports to a contract with distinct object names that lints clean, saying which it renamed.
#[test]
fn dbt_models_sharing_a_name_import_to_a_clean_contract() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shop.odcs.yaml");
    let run = contrakt(["import", "fixtures/ecosystem/dbt-duplicates/manifest.json", "-o", out.to_str().unwrap()]);
    run.assert_exit(0);
    assert!(
        run.stderr
            .contains("model.shop.orders.v1: another model is also named `orders`; imported as object `orders_v1`"),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "model.crm.customers: another model is also named `customers`; imported as object `crm_customers`"
        ),
        "{run}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut names: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("  - name: ")).collect();
    names.sort_unstable();
    assert_eq!(names, ["crm_customers", "customers", "orders", "orders_v1"], "{text}");
    crate::contrakt_in(tmp.path(), ["lint", "shop.odcs.yaml"]).assert_exit(0);
}

/// NaN is no number: it breaks a minimum and a maximum alike, and samples show it as NaN.
#[test]
fn nan_is_outside_every_range() {
    use std::sync::Arc;

    use datafusion::arrow::array::{Float64Array, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    let tmp = tempfile::tempdir().unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("celsius", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3])),
            Arc::new(Float64Array::from(vec![Some(21.5), Some(f64::NAN), None])),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(tmp.path().join("readings.parquet")).unwrap();
    let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let contract = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\nschema:\n  - name: readings\n    properties:\n      - name: id\n        logicalType: integer\n      - name: celsius\n        logicalType: number\n        logicalTypeOptions: {minimum: -50, maximum: 60}\n";
    std::fs::write(tmp.path().join("c.yaml"), contract).unwrap();
    let run = crate::contrakt_in(
        tmp.path(),
        ["check", "c.yaml", "--data", "readings=readings.parquet", "--format", "json", "--now", NOW],
    );
    run.assert_exit(1);
    let all = results(&run);
    for id in ["readings.celsius.minimum", "readings.celsius.maximum"] {
        let r = expect(&all, id, "fail", Some(1.0));
        assert_eq!(r["samples"][0]["celsius"], "NaN", "{r:#}");
    }
}
