//! A pipeline step: check an Arrow `RecordBatch` held in memory against a contract, and stop the
//! pipeline when a check fails at error level.
//!
//! `cargo run --example check_batch` (exits 1: the batch has a duplicate id and a null email).

use std::process::ExitCode;
use std::sync::Arc;

use contrakt::core::SourceFile;
use contrakt::core::odcs;
use contrakt::workflow::check::{History, Options};
use contrakt::workflow::{InMemory, Status};
use contrakt::{Registry, check};
use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};

const CONTRACT: &str = r#"
apiVersion: v3.1.0
kind: DataContract
id: urn:example:users
version: 1.0.0
status: active
schema:
  - name: users
    properties:
      - name: id
        logicalType: integer
        physicalType: BIGINT
        required: true
        unique: true
      - name: email
        logicalType: string
        required: true
"#;

fn main() -> ExitCode {
    // The batch an earlier step produced.
    let schema =
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true), Field::new("email", DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 2])),
            Arc::new(StringArray::from(vec![Some("a@example.com"), None, Some("c@example.com")])),
        ],
    )
    .expect("columns match the schema");

    // A contract from text; `Registry::open(path)` reads one from a file with its registry.
    let doc = match odcs::load(SourceFile::new("users.odcs.yaml", CONTRACT)) {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("the contract cannot be read: {e}");
            return ExitCode::from(2);
        }
    };
    let registry = Registry::of_contract(doc, None);
    let mut options = Options::new();
    options.check.frames.push((None, InMemory { label: "users batch".into(), schema, batches: vec![batch] }));
    options.history = History::Off;
    let checked = match check(&registry, options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("the check could not run: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some((file, e)) = checked.failed.first() {
        eprintln!("{file}: the check could not run: {e}");
        return ExitCode::from(2);
    }
    let report = &checked.reports[0];
    for r in report.results.iter().filter(|r| r.status == Status::Fail) {
        eprintln!("failed: {} {} ({} rows)", r.code, r.id, r.failed_rows.unwrap_or_default());
    }
    if report.fails_at(contrakt::Level::Error) {
        eprintln!("stopping the pipeline: {} of {} checks failed", report.summary.failed, report.summary.total);
        return ExitCode::FAILURE;
    }
    println!("all {} checks passed", report.summary.total);
    ExitCode::SUCCESS
}
