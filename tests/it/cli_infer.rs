//! `contrakt infer DATA…` end to end: a drafted contract lints clean and passes `check` on the
//! data it came from, says what it saw, and bad data gets a clear error.

use serde_json::Value;

use crate::{contrakt, contrakt_in, repo, with_stable_output};

const NOW: &str = "2026-11-22T06:00:00Z";

/// Reads a drafted contract back as JSON through contrakt's own YAML loader.
fn as_json(yaml: &str) -> Value {
    let file = contrakt_core::SourceFile::new("drafted.yaml", yaml.to_string());
    contrakt_core::document::parse(&file, &contrakt_core::document::Limits::default()).expect("valid YAML").to_json()
}

fn property<'a>(contract: &'a Value, name: &str) -> &'a Value {
    contract["schema"][0]["properties"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no property {name}"))
}

fn rule<'a>(p: &'a Value, metric: &str) -> Option<&'a Value> {
    p["quality"].as_array()?.iter().find(|q| q["metric"] == metric)
}

#[test]
fn every_fixture_dataset_drafts_a_contract_that_lints_clean_and_passes_on_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    for object in ["orders", "customers", "order_items", "deliveries", "recipes", "weekly_menu"] {
        let out = tmp.path().join(format!("{object}.odcs.yaml"));
        let data = repo().join("fixtures/data").join(object);
        let run = contrakt(["infer", data.to_str().unwrap(), "--now", NOW, "-o", out.to_str().unwrap()]);
        run.assert_exit(0);
        assert!(run.stderr.contains(&format!("wrote {}", out.display())), "{run}");
        let lint = contrakt(["lint", out.to_str().unwrap()]);
        lint.assert_exit(0);
        let check = contrakt(["check", out.to_str().unwrap(), "--now", NOW, "--format", "json"]);
        check.assert_exit(0);
        let report = check.json();
        let summary = &report["summary"];
        assert_eq!(summary["failed"], 0, "{object}: {check}");
        assert_eq!(summary["errors"], 0, "{object}: {check}");
        // Every column was checked for presence and type, and more than that was promised.
        let columns =
            report["reports"][0]["results"].as_array().unwrap().iter().filter(|r| r["code"] == "Q101").count();
        assert!(columns > 2, "{object}: {check}");
        assert!(summary["total"].as_u64().unwrap() > 2 * columns as u64, "{object}: few suggestions\n{check}");
    }
}

#[test]
fn the_orders_draft_says_what_it_saw() {
    let run = contrakt_in(repo(), ["infer", "fixtures/data/orders/", "--now", NOW]);
    run.assert_exit(0);
    let c = as_json(&run.stdout);
    assert_eq!(c["id"], "urn:contrakt:inferred:orders");
    assert_eq!(c["status"], "draft");
    // Relative to where the contract is printed from, so `check` finds the data again.
    assert_eq!(c["servers"][0]["path"], "fixtures/data/orders");
    assert_eq!(c["servers"][0]["format"], "parquet");

    // The fixture injects duplicate order ids (fixtures/data/README.md): not unique, no key.
    let order_id = property(&c, "order_id");
    assert_eq!(order_id["required"], true);
    assert!(order_id.get("unique").is_none() && order_id.get("primaryKey").is_none(), "{order_id}");
    assert_eq!(order_id["logicalTypeOptions"]["format"], "uuid");
    assert_eq!(order_id["logicalTypeOptions"]["maxLength"], 36);

    // Low-cardinality strings become enumerations, with their counts as evidence.
    let currency = property(&c, "currency");
    let domain = rule(currency, "invalidValues").expect("an enumeration");
    assert_eq!(domain["arguments"]["validValues"], serde_json::json!(["EUR", "GBP"]));
    assert!(domain["description"].as_str().unwrap().contains("EUR (1133)"), "{domain}");

    // A nullable column gets a null budget above what was seen; a signed amount no minimum.
    let promo = property(&c, "promo_codes");
    let nulls = rule(promo, "nullValues").expect("a null budget");
    assert_eq!((nulls["unit"].as_str(), nulls["mustBeLessOrEqualTo"].as_u64()), (Some("percent"), Some(39)));
    assert!(promo.get("required").is_none());
    assert!(property(&c, "total_amount").get("logicalTypeOptions").is_none());
    assert_eq!(property(&c, "recipes_per_box")["logicalTypeOptions"]["minimum"], 0);

    // Volume and freshness.
    let rows = &c["schema"][0]["quality"][0];
    assert_eq!(
        (rows["metric"].as_str(), &rows["mustBeBetween"]),
        (Some("rowCount"), &serde_json::json!([5100, 20400]))
    );
    let sla = &c["slaProperties"][0];
    assert_eq!((sla["property"].as_str(), sla["element"].as_str()), (Some("latency"), Some("orders.updated_at")));
    assert_eq!((sla["value"].as_u64(), sla["unit"].as_str()), (Some(1), Some("d")));

    with_stable_output(|| insta::assert_snapshot!("infer_orders", run.stdout));
}

#[test]
fn a_sample_promises_no_volume_and_says_so() {
    let run =
        contrakt_in(repo(), ["infer", "orders=fixtures/data/orders/orders.parquet", "--sample", "500", "--now", NOW]);
    run.assert_exit(0);
    let c = as_json(&run.stdout);
    assert_eq!(c["schema"][0]["name"], "orders");
    assert!(c["schema"][0].get("quality").is_none(), "no rowCount from a sample");
    assert!(c["schema"][0]["description"].as_str().unwrap().contains("500 rows, a sample"), "{}", run.stdout);
}

#[test]
fn several_datasets_share_one_server_path() {
    let run = contrakt_in(repo(), ["infer", "fixtures/data/orders/", "fixtures/data/customers/", "--now", NOW]);
    run.assert_exit(0);
    let c = as_json(&run.stdout);
    let names: Vec<&str> = c["schema"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(names, ["orders", "customers"]);
    assert_eq!(c["servers"][0]["path"], "fixtures/data/{model}");
}

/// Float columns (Float32 and Float64, in CSV, NDJSON and Parquet) are profiled like any number:
/// the draft lints clean and passes on its data (`approx_distinct` takes no floats).
#[test]
fn float_columns_are_profiled() {
    let tmp = tempfile::tempdir().unwrap();
    let rows: String = (0..50).map(|i| format!("{i},{}.25,{}\n", i % 7, (i as f32) * 0.5)).collect();
    std::fs::write(tmp.path().join("readings.csv"), format!("id,temperature,ratio\n{rows}")).unwrap();
    let ndjson: String = (0..50).map(|i| format!("{{\"id\": {i}, \"weight\": {}.5}}\n", i % 3)).collect();
    std::fs::write(tmp.path().join("parcels.ndjson"), ndjson).unwrap();
    {
        use std::sync::Arc;

        use datafusion::arrow::array::{Float32Array, Int64Array, RecordBatch};
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("score", DataType::Float32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from((0..50).collect::<Vec<i64>>())),
                Arc::new(Float32Array::from((0..50).map(|i| Some(i as f32 / 4.0)).collect::<Vec<_>>())),
            ],
        )
        .unwrap();
        let file = std::fs::File::create(tmp.path().join("scores.parquet")).unwrap();
        let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }
    for (data, float) in [("readings.csv", "temperature"), ("parcels.ndjson", "weight"), ("scores.parquet", "score")] {
        let out = format!("{data}.odcs.yaml");
        let run = contrakt_in(tmp.path(), ["infer", data, "--now", NOW, "-o", &out]);
        run.assert_exit(0);
        let drafted = std::fs::read_to_string(tmp.path().join(&out)).unwrap();
        let contract = as_json(&drafted);
        let p = property(&contract, float);
        assert_eq!(p["logicalType"], "number", "{drafted}");
        let lint = contrakt_in(tmp.path(), ["lint", &out]);
        lint.assert_exit(0);
        let check = contrakt_in(tmp.path(), ["check", &out, "--now", NOW]);
        check.assert_exit(0);
    }
}

#[test]
fn bad_data_gives_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("corrupt.parquet"), "PAR1 this is not a parquet file PAR1").unwrap();
    let corrupt = contrakt_in(tmp.path(), ["infer", "corrupt.parquet"]);
    corrupt.assert_exit(2);
    assert!(corrupt.stderr.contains("cannot read the data of `corrupt` at corrupt.parquet"), "{corrupt}");
    assert_eq!(corrupt.stdout, "");

    let missing = contrakt_in(tmp.path(), ["infer", "nowhere/orders.parquet"]);
    missing.assert_exit(2);
    assert!(missing.stderr.contains("nowhere/orders.parquet"), "{missing}");

    let twice = contrakt_in(repo(), ["infer", "fixtures/data/orders/", "fixtures/data/orders/orders.parquet"]);
    twice.assert_exit(2);
    assert!(twice.stderr.contains("both named `orders`"), "{twice}");

    let now = contrakt_in(repo(), ["infer", "fixtures/data/orders/", "--now", "yesterday"]);
    now.assert_exit(2);
    assert!(now.stderr.contains("--now"), "{now}");
}

#[test]
fn country_code_columns_are_recognised() {
    // 60 shipments: destinations in 15 alpha-2 countries, origins in 8 alpha-3 ones, warehouses
    // coded XA..XF (two letters, user-assigned: no country), a market of GB and IE only.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shipments.odcs.yaml");
    let data = repo().join("fixtures/infer/shipments.csv");
    let run = contrakt(["infer", data.to_str().unwrap(), "--now", NOW, "-o", out.to_str().unwrap()]);
    run.assert_exit(0);
    let c = as_json(&std::fs::read_to_string(&out).unwrap());

    let destination = property(&c, "destination");
    assert!(destination["description"].as_str().unwrap().contains("every value an ISO 3166-1 alpha-2 country code"));
    let countries = rule(destination, "invalidValues").expect("a country rule");
    let valid = countries["arguments"]["validValues"].as_array().unwrap();
    assert_eq!(valid.len(), 249, "every officially assigned code, not only the 15 seen");
    assert!(valid.contains(&"NO".into()) && valid.contains(&"SE".into()) && !valid.contains(&"UK".into()));
    let seen = countries["description"].as_str().unwrap();
    assert!(seen.starts_with("Seen ~15 distinct values in 60 rows"), "{seen}");

    // Eight alpha-3 origins: a small domain, whose own values are the stricter promise.
    let origin = property(&c, "origin_iso3");
    assert!(origin["description"].as_str().unwrap().contains("ISO 3166-1 alpha-3 country code"));
    assert_eq!(rule(origin, "invalidValues").unwrap()["arguments"]["validValues"].as_array().unwrap().len(), 8);

    // Fixed-width codes that are not countries, and too little evidence, are not countries.
    for name in ["warehouse", "market"] {
        assert!(!property(&c, name)["description"].as_str().unwrap().contains("country"), "{name}");
    }

    contrakt(["lint", out.to_str().unwrap()]).assert_exit(0);
    let check = contrakt(["check", out.to_str().unwrap(), "--now", NOW, "--format", "json"]);
    check.assert_exit(0);
    assert_eq!(check.json()["summary"]["failed"], 0, "{check}");
}
