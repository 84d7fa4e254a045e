//! `contrakt import` end to end: every format fixture becomes a contract that `contrakt lint`
//! passes, and bad input exits 2.

use crate::{contrakt, repo};

const FIXTURES: &[&str] = &[
    "fixtures/formats/sql/orders.sql",
    "fixtures/formats/avro/orders.avsc",
    "fixtures/formats/protobuf/orders.proto",
    "fixtures/formats/jsonschema/orders.v2.schema.json",
];

#[test]
fn import_writes_contracts_that_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    for fixture in FIXTURES {
        let out = dir.path().join(format!("{}.odcs.yaml", fixture.rsplit('/').next().unwrap()));
        let run = contrakt(["import", fixture, "--id", "urn:test:imported", "-o", out.to_str().unwrap()]);
        run.assert_exit(0);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("urn:test:imported"), "{text}");
        contrakt(["lint", out.to_str().unwrap()]).assert_exit(0);
    }
}

#[test]
fn import_prints_to_stdout_and_lists_losses_on_stderr() {
    let run = contrakt(["import", "fixtures/formats/avro/orders.avsc"]);
    run.assert_exit(0);
    assert!(run.stdout.contains("apiVersion") && run.stdout.contains("v3.1.0"), "{run}");
    assert!(run.stdout.contains("urn:contrakt:imported:orders"), "{run}");
    assert!(run.stderr.contains("warning: com.freshbox.commerce.Order.status: an enum type"), "{run}");
}

#[test]
fn import_rejects_bad_input_with_exit_2() {
    contrakt(["import", "no/such/file.avsc"]).assert_exit(2);
    let run = contrakt(["import", "fixtures/formats/avro/orders.avsc", "--format", "cobol"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("unknown format `cobol`"), "{run}");
    let bad = repo().join("Cargo.toml");
    contrakt(["import", bad.to_str().unwrap(), "--format", "avro"]).assert_exit(2);
}

#[test]
fn export_writes_every_language_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    for (to, file, format) in [
        ("jsonschema", "orders.schema.json", "jsonschema"),
        ("avro", "orders.avsc", "avro"),
        ("protobuf", "orders.proto", "protobuf"),
        ("sql:postgres", "orders.sql", "sql"),
        ("sql:spark", "orders_spark.sql", "sql"),
        ("arrow", "orders.arrow", "arrow"),
    ] {
        let out = dir.path().join(file);
        let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", to, "-o", out.to_str().unwrap()]);
        run.assert_exit(0);
        assert!(run.stderr.contains("warning: orders."), "losses are listed\n{run}");
        // Read back by `contrakt diff` (the front ends): the export is a schema it understands.
        let diff = contrakt(["diff", "contracts/orders.odcs.yaml", out.to_str().unwrap(), "--new-format", format]);
        assert!(diff.code == Some(0) || diff.code == Some(1), "{diff}");
    }
}

#[test]
fn export_rejects_bad_input_with_exit_2() {
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "cobol"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("unknown target `cobol`"), "{run}");
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "avro", "--object", "nope"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("no schema object `nope`"), "{run}");
    contrakt(["export", "no/such.odcs.yaml", "--to", "avro"]).assert_exit(2);
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "arrow", "--object", "orders"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("binary file"), "{run}");
}

#[test]
fn import_reads_dbt_manifests() {
    let run = contrakt(["import", "fixtures/dbt/manifest.json", "--model", "orders"]);
    run.assert_exit(0);
    assert!(run.stdout.contains("urn:contrakt:imported:orders"), "{run}");
    assert!(run.stdout.contains("customers.customer_id"), "the relationships test is a foreign key\n{run}");
    assert!(!run.stdout.contains("signup_date"), "only the model asked for\n{run}");
    assert!(run.stderr.contains("dbt test `expression_is_true` is not translated"), "{run}");
    contrakt(["import", "fixtures/dbt/manifest.json", "--model", "nope"]).assert_exit(2);
}

/// The example registry's contracts.
fn registry() -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(repo().join("contracts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".odcs.yaml"))
        .collect();
    out.sort();
    assert!(out.len() >= 5, "the example registry has its contracts: {out:?}");
    out
}

/// The objects of a contract, by name.
fn objects_of(contract: &std::path::Path) -> Vec<String> {
    let schema = contrakt_formats::load(contract, Some(contrakt_formats::Format::Odcs)).unwrap();
    schema.objects.iter().map(|o| o.name.clone()).collect()
}

/// YAML text as JSON, read by contrakt's own YAML loader.
fn yaml_to_json(name: &str, text: &str) -> serde_json::Value {
    let doc = contrakt_core::document::Document::parse(contrakt_core::SourceFile::new(name, text))
        .unwrap_or_else(|e| panic!("{name} is not YAML: {e}\n{text}"));
    doc.root.to_json()
}

/// dbt's published JSON Schema for property files (`fixtures/dbt/jsonschema/`, from
/// dbt-labs/dbt-jsonschema).
fn dbt_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("fixtures/dbt/jsonschema/dbt_yml_files-latest.json")).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn dbt_exports_of_the_registry_validate_against_dbts_json_schema() {
    let validator = dbt_validator();
    for contract in registry() {
        let run = contrakt(["export", contract.to_str().unwrap(), "--to", "dbt"]);
        run.assert_exit(0);
        let yaml = yaml_to_json("schema.yml", &run.stdout);
        let errors: Vec<String> =
            validator.iter_errors(&yaml).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}\n{run}", contract.display());
        // An enforced contract needs every column's data_type.
        for model in yaml["models"].as_array().unwrap() {
            assert_eq!(model["config"]["contract"]["enforced"], true, "{run}");
            for column in model["columns"].as_array().unwrap() {
                assert!(column["data_type"].as_str().is_some_and(|t| !t.is_empty()), "{column}\n{run}");
            }
        }
    }
    // The schema does reject what dbt would: it is no rubber stamp.
    let bad =
        serde_json::json!({"version": 2, "models": [{"name": "m", "columns": [{"name": "c", "data_typ": "int"}]}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn dbt_export_of_orders() {
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "dbt"]);
    run.assert_exit(0);
    let yaml = yaml_to_json("schema.yml", &run.stdout);
    let model = &yaml["models"][0];
    assert_eq!(model["name"], "orders");
    assert_eq!(model["config"]["alias"], "orders_v1", "the physical name is the relation dbt builds");
    let column = |name: &str| model["columns"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    let order_id = column("order_id");
    assert_eq!(order_id["data_type"], "uuid", "the prod server is PostgreSQL");
    assert_eq!(order_id["constraints"], serde_json::json!([{"type": "not_null"}, {"type": "primary_key"}]));
    assert_eq!(order_id["data_tests"], serde_json::json!(["not_null", "unique"]));
    assert_eq!(
        column("customer_id")["data_tests"][1],
        serde_json::json!({"relationships": {"to": "ref('customers')", "field": "customer_id"}})
    );
    assert_eq!(column("status")["data_tests"][1]["accepted_values"]["values"][0], "pending");
    assert_eq!(
        column("total_amount")["constraints"][1],
        serde_json::json!({"type": "check", "expression": "total_amount >= 0 AND total_amount <= 1000"})
    );
    assert_eq!(
        model["constraints"][0],
        serde_json::json!({"type": "foreign_key", "columns": ["customer_id"], "to": "ref('customers')", "to_columns": ["customer_id"]})
    );
    // What core dbt cannot test is listed, not dropped.
    for lost in [
        "orders.box_plan: dbt cannot run `orders_box_plan_format` (invalid-values)",
        "orders: dbt cannot run `orders_row_count` (row-count)",
        "orders.updated_at: dbt cannot run `sla_orders_latency` (freshness)",
    ] {
        assert!(run.stderr.contains(lost), "{lost}\n{run}");
    }
    // Another warehouse's types on request.
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "dbt:snowflake"]);
    run.assert_exit(0);
    assert!(run.stdout.contains("data_type: timestamp_tz"), "{run}");
    assert!(run.stderr.contains("snowflake does not enforce check constraints"), "{run}");
}

/// The Python that has the consumers the exports are checked with: Soda Core 3.x (SodaCL's
/// parser) and fastavro, pinned in `tests/requirements.txt`: the test venv
/// ([`crate::test_python`]), or `CONTRAKT_CONSUMER_PYTHON`.
fn consumer_python() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("CONTRAKT_CONSUMER_PYTHON") {
        return p.into();
    }
    crate::test_python()
}

fn consumer(script: &str, args: &[&std::path::Path]) -> std::process::Output {
    std::process::Command::new(consumer_python())
        .arg(repo().join("tests/it/consumers").join(script))
        .args(args)
        .output()
        .expect("run the consumer script")
}

#[test]
fn soda_exports_of_the_registry_parse_with_soda_core() {
    let dir = tempfile::tempdir().unwrap();
    for contract in registry() {
        let out = dir.path().join("checks.yml");
        let run = contrakt(["export", contract.to_str().unwrap(), "--to", "soda", "-o", out.to_str().unwrap()]);
        run.assert_exit(0);
        let parsed = consumer("sodacl_parse.py", &[&out]);
        assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
        let report: serde_json::Value = serde_json::from_slice(&parsed.stdout).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(report["problems"], serde_json::json!([]), "{}:\n{text}", contract.display());
        // Soda built one check per entry we wrote: nothing was dropped or misread.
        let written = text.lines().filter(|l| l.starts_with("  - ")).count();
        assert_eq!(report["checks"].as_array().unwrap().len(), written, "{report}\n{text}");
    }
}

#[test]
fn soda_export_of_orders() {
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "soda"]);
    run.assert_exit(0);
    let yaml = yaml_to_json("checks.yml", &run.stdout);
    let checks = yaml["checks for orders_v1"].as_array().unwrap_or_else(|| panic!("{run}"));
    let has = |line: &str| checks.iter().any(|c| c.as_str() == Some(line) || c.get(line).is_some());
    for line in [
        "schema",
        "row_count > 10000",
        "missing_count(order_id) = 0",
        "duplicate_count(order_id) = 0",
        "invalid_count(status) = 0",
        "freshness(updated_at) < 2h",
        "values in (customer_id) must exist in customers_v3 (customer_id)",
        "missing_percent(box_plan)",
        "orders_total_amount_non_negative = 0",
        "failed rows",
    ] {
        assert!(has(line), "{line}\n{run}");
    }
    let warn = checks.iter().find_map(|c| c.get("missing_percent(box_plan)")).unwrap();
    assert_eq!(warn["warn"], "when > 0.1", "a warning-level rule warns: {run}");
    assert_eq!(warn["missing values"], serde_json::json!(["", "unknown", "N/A"]));
    let sql = checks.iter().find_map(|c| c.get("orders_total_amount_non_negative = 0")).unwrap();
    assert_eq!(sql["orders_total_amount_non_negative query"], "SELECT COUNT(*) FROM orders_v1 WHERE total_amount < 0");
    assert!(run.stderr.contains("orders.order_date: soda cannot run `sla_orders_retention` (retention)"), "{run}");
}

#[test]
fn great_expectations_exports_of_the_registry_fit_the_suite_shape() {
    let text = std::fs::read_to_string(repo().join("tests/it/consumers/gx-suite.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    for contract in registry() {
        for object in objects_of(&contract) {
            let run =
                contrakt(["export", contract.to_str().unwrap(), "--to", "great-expectations", "--object", &object]);
            run.assert_exit(0);
            let suite = run.json();
            let errors: Vec<String> =
                validator.iter_errors(&suite).map(|e| format!("{} at {}", e, e.instance_path())).collect();
            assert!(errors.is_empty(), "{}: {errors:#?}\n{run}", contract.display());
            assert_eq!(suite["name"], object.as_str());
        }
    }
    // The shape is no rubber stamp either.
    let bad = serde_json::json!({"name": "x", "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 2}}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn great_expectations_export_of_orders() {
    let run = contrakt(["export", "contracts/orders.odcs.yaml", "--to", "gx"]);
    run.assert_exit(0);
    let suite = run.json();
    let of = |kind: &str| -> Vec<serde_json::Value> {
        suite["expectations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| e["kwargs"].clone())
            .collect()
    };
    assert_eq!(of("expect_column_to_exist").len(), 14, "one per column");
    assert!(
        of("expect_column_values_to_be_of_type").contains(&serde_json::json!({"column": "order_id", "type_": "UUID"}))
    );
    assert_eq!(of("expect_table_row_count_to_be_between"), vec![serde_json::json!({"min_value": 10001})]);
    assert!(
        of("expect_column_values_to_not_be_null").contains(&serde_json::json!({"column": "box_plan", "mostly": 0.999}))
    );
    assert!(
        of("expect_column_values_to_be_between")
            .contains(&serde_json::json!({"column": "total_amount", "min_value": 0, "strict_min": false}))
    );
    assert!(of("unexpected_rows_expectation").contains(
        &serde_json::json!({"unexpected_rows_query": "SELECT * FROM {batch} WHERE updated_at < created_at"})
    ));
    let warning = suite["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["meta"]["contrakt"]["id"] == "orders_updated_after_created")
        .unwrap();
    assert_eq!(warning["severity"], "warning", "{run}");
    assert!(
        run.stderr.contains("orders.customer_id: great-expectations cannot run `orders.customer_id.reference`"),
        "{run}"
    );
}

#[test]
fn avro_exports_of_the_registry_parse_with_fastavro() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for contract in registry() {
        for object in objects_of(&contract) {
            let out = dir.path().join(format!("{object}.avsc"));
            contrakt([
                "export",
                contract.to_str().unwrap(),
                "--to",
                "avro",
                "--object",
                &object,
                "-o",
                out.to_str().unwrap(),
            ])
            .assert_exit(0);
            files.push(out);
        }
    }
    let paths: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    let parsed = consumer("avro_parse.py", &paths);
    assert!(parsed.status.success(), "{}", String::from_utf8_lossy(&parsed.stderr));
    assert_eq!(String::from_utf8_lossy(&parsed.stdout).lines().count(), files.len());
}

/// The type PostgreSQL reports in `information_schema.columns` (`data_type`, and for arrays
/// `udt_name`) for a contract type, with the length, precision and scale it must keep.
fn postgres_type(
    t: &contrakt_core::ir::DataType,
    max_length: Option<u64>,
) -> (String, Option<u64>, Option<(u64, u64)>) {
    use contrakt_core::ir::DataType::*;
    let plain = |s: &str| (s.to_string(), None, None);
    match t {
        Boolean => plain("boolean"),
        // The narrowest signed type that holds every value (PostgreSQL has no unsigned types).
        Int { bits: Some(8 | 16), signed: true } | Int { bits: Some(8), signed: false } => plain("smallint"),
        Int { bits: Some(32), signed: true } | Int { bits: Some(16), signed: false } => plain("integer"),
        Int { bits: Some(64) | None, signed: true } | Int { bits: Some(32), signed: false } => plain("bigint"),
        Int { .. } => plain("numeric"),
        Float { bits: Some(32) } => plain("real"),
        Float { .. } => plain("double precision"),
        Decimal { precision: Some(p), scale } => {
            ("numeric".into(), None, Some((u64::from(*p), scale.map_or(0, |s| s as u64))))
        }
        Decimal { .. } => plain("numeric"),
        String | Enum { .. } if max_length.is_some() => ("character varying".into(), max_length, None),
        String | Enum { .. } => plain("text"),
        Uuid => plain("uuid"),
        Date => plain("date"),
        Time { .. } => plain("time without time zone"),
        Timestamp { timezone: Some(false), .. } => plain("timestamp without time zone"),
        Timestamp { .. } => plain("timestamp with time zone"),
        Binary | FixedBinary { .. } => plain("bytea"),
        Duration => plain("interval"),
        // Arrays of scalars; nested values are documents (the export warns).
        List(item) if !matches!(item.data_type, List(_) | Struct(_) | Map { .. }) => plain("ARRAY"),
        List(_) => plain("jsonb"),
        Struct(_) | Map { .. } | Any => plain("jsonb"),
        other => panic!("no PostgreSQL type expected for {other}"),
    }
}

#[test]
fn sql_exports_of_the_registry_create_the_contracts_tables_in_postgres() {
    let pg = crate::postgres::server();
    let url = pg.create_database("export_ddl");
    // Every contract's DDL, created in an order where referenced tables come first.
    let mut pending: Vec<(std::path::PathBuf, String)> = registry()
        .into_iter()
        .map(|c| {
            let run = contrakt(["export", c.to_str().unwrap(), "--to", "sql:postgres"]);
            run.assert_exit(0);
            (c, run.stdout)
        })
        .collect();
    let word_after = |sql: &str, keyword: &str| -> Vec<String> {
        sql.split(keyword).skip(1).filter_map(|rest| rest.split_whitespace().next()).map(str::to_string).collect()
    };
    let mut created: Vec<String> = Vec::new();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(_, sql)| {
                let own = word_after(sql, "CREATE TABLE ");
                word_after(sql, "REFERENCES ").iter().all(|t| created.contains(t) || own.contains(t))
            })
            .unwrap_or_else(|| panic!("foreign keys point at tables no contract creates: {pending:#?}"));
        let (_, sql) = pending.remove(ready);
        pg.psql(&url, &sql);
        created.extend(word_after(&sql, "CREATE TABLE "));
    }
    // Read each table back and compare with its contract.
    for contract in registry() {
        let schema = contrakt_formats::load(&contract, Some(contrakt_formats::Format::Odcs)).unwrap();
        for o in &schema.objects {
            let table = o.physical_name.clone().unwrap_or_else(|| o.name.clone());
            let rows = pg.psql(
                &url,
                &format!(
                    "SELECT column_name, data_type, is_nullable, coalesce(character_maximum_length::text, ''), \
                     coalesce(numeric_precision::text, ''), coalesce(numeric_scale::text, '') \
                     FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
                ),
            );
            let actual: Vec<Vec<&str>> = rows.lines().map(|l| l.split('|').collect()).collect();
            assert_eq!(actual.len(), o.fields.len(), "{table}: columns\n{rows}");
            for (f, row) in o.fields.iter().zip(&actual) {
                let at = format!("{table}.{}", f.name);
                assert_eq!(row[0], f.physical_name.as_deref().unwrap_or(&f.name), "{at}: column order and names");
                let (ty, length, numeric) = postgres_type(&f.data_type, f.constraints.max_length);
                assert_eq!(row[1], ty, "{at}: type of {}", f.data_type);
                assert_eq!(row[2], if f.nullable { "YES" } else { "NO" }, "{at}: nullability");
                if let Some(n) = length {
                    assert_eq!(row[3], n.to_string(), "{at}: length");
                }
                if let Some((p, s)) = numeric {
                    assert_eq!((row[4], row[5]), (p.to_string().as_str(), s.to_string().as_str()), "{at}: precision");
                }
            }
            // Keys, as PostgreSQL states them.
            let constraints = pg.psql(
                &url,
                &format!(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = '{table}'::regclass ORDER BY conname"
                ),
            );
            let constraints: Vec<&str> = constraints.lines().collect();
            let col = |name: &String| {
                o.fields
                    .iter()
                    .find(|f| &f.name == name)
                    .and_then(|f| f.physical_name.clone())
                    .unwrap_or_else(|| name.clone())
            };
            if !o.primary_key.is_empty() {
                let key = format!("PRIMARY KEY ({})", o.primary_key.iter().map(col).collect::<Vec<_>>().join(", "));
                assert!(constraints.contains(&key.as_str()), "{table}: {key} in {constraints:#?}");
            }
            for f in o.fields.iter().filter(|f| f.unique && f.primary_key_position.is_none()) {
                let key = format!("UNIQUE ({})", col(&f.name));
                assert!(constraints.contains(&key.as_str()), "{table}: {key} in {constraints:#?}");
            }
            for k in &o.foreign_keys {
                let (target, _) = k.to[0].split_once('.').unwrap();
                let target_table = created.iter().find(|t| t.starts_with(target)).unwrap_or_else(|| panic!("{target}"));
                let to: Vec<&str> = k.to.iter().map(|t| t.split_once('.').unwrap().1).collect();
                let key = format!(
                    "FOREIGN KEY ({}) REFERENCES {target_table}({})",
                    k.from.iter().map(col).collect::<Vec<_>>().join(", "),
                    to.join(", ")
                );
                assert!(constraints.contains(&key.as_str()), "{table}: {key} in {constraints:#?}");
            }
            let expected = usize::from(!o.primary_key.is_empty())
                + o.fields.iter().filter(|f| f.unique && f.primary_key_position.is_none()).count()
                + o.foreign_keys.len();
            assert_eq!(constraints.len(), expected, "{table}: no other constraints\n{constraints:#?}");
        }
    }
}
