//! The checker on data already in memory (what the Python package hands over): the same
//! results as reading the same data from its files.

use std::sync::Arc;

use contrakt_check::{CheckOptions, Checker, InMemory, parse_time};
use contrakt_core::{odcs, registry};
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::repo;

fn outcomes(report: &contrakt_check::CheckReport) -> Vec<(String, &'static str, Option<u64>)> {
    report.results.iter().map(|r| (r.id.clone(), r.status.as_str(), r.failed_rows)).collect()
}

#[test]
fn in_memory_batches_check_like_their_files() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let path = repo().join("contracts/orders.odcs.yaml");
    let doc = odcs::load(registry::read_source(&path).unwrap()).unwrap();
    let now = parse_time("2026-11-22T06:00:00Z");
    let base_dir = repo().join("contracts");
    let checker = Checker::new();
    let from_files =
        CheckOptions { objects: vec!["orders".into()], now, base_dir: base_dir.clone(), ..Default::default() };
    let files = rt.block_on(checker.check(&doc, &from_files)).unwrap();

    let batches = rt.block_on(async {
        let ctx = SessionContext::new();
        let file = repo().join("fixtures/data/orders/orders.parquet");
        ctx.read_parquet(file.to_str().unwrap(), ParquetReadOptions::default()).await.unwrap().collect().await.unwrap()
    });
    let memory = InMemory { label: "test batches".into(), schema: batches[0].schema(), batches };
    let from_memory = CheckOptions { frames: vec![(None, memory)], now, base_dir, ..Default::default() };
    let mem = rt.block_on(checker.check(&doc, &from_memory)).unwrap();

    assert_eq!(mem.objects.len(), 1, "{:?}", mem.objects);
    assert_eq!(mem.objects[0].source, "test batches");
    assert_eq!(mem.objects[0].rows, Some(10200));
    assert_eq!(outcomes(&mem), outcomes(&files));
    assert!(!mem.passed);
    let status = |id: &str| mem.results.iter().find(|r| r.id == id).map(|r| (r.status.as_str(), r.failed_rows));
    assert_eq!(status("orders_status_valid"), Some(("fail", Some(3))));
    assert_eq!(status("orders.total_amount.minimum"), Some(("fail", Some(1))));
}

#[test]
fn in_memory_data_must_name_an_object_of_the_contract() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let doc = odcs::load(registry::read_source(&repo().join("contracts/orders.odcs.yaml")).unwrap()).unwrap();
    let schema = Arc::new(datafusion::arrow::datatypes::Schema::empty());
    let memory = InMemory { label: "x".into(), schema, batches: vec![] };
    let opts = CheckOptions { frames: vec![(Some("nope".into()), memory)], ..Default::default() };
    let err = rt.block_on(Checker::new().check(&doc, &opts)).unwrap_err();
    assert!(err.to_string().contains("no schema object `nope`"), "{err}");
}
