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
