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

/// The `i`th id of [`many_ids`]: spread far apart, so that no bitmap of their range can hold
/// them and the scan needs a hash set of every distinct one.
fn spread(i: i64) -> i64 {
    i * 1_000_003
}

/// A contract of one object whose `id` must be unique, and 1.5M rows with 1,000 ids repeated
/// (each twice) and 10 nulls: a set of its distinct ids (about 24 MB) is larger than the limit.
fn many_ids() -> (contrakt_core::odcs::ContractDocument, InMemory) {
    ids_of(spread)
}

fn ids_of(id: fn(i64) -> i64) -> (contrakt_core::odcs::ContractDocument, InMemory) {
    use datafusion::arrow::array::{Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let yaml = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:test:ids\nversion: 1.0.0\nstatus: active\n\
                schema:\n  - name: ids\n    properties:\n      - name: id\n        logicalType: integer\n        \
                physicalType: BIGINT\n        unique: true\n";
    let doc = odcs::load(contrakt_core::source::SourceFile::new("ids.odcs.yaml", yaml)).unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let ids: Vec<Option<i64>> = (0..1_500_000i64)
        .map(|i| match i {
            0..10 => None,
            10..1010 => Some(id(1_000_000 + i)), // repeats ids 1_000_010..1_001_010
            _ => Some(id(i)),
        })
        .collect();
    let batches = ids
        .chunks(65_536)
        .map(|c| RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(c.to_vec()))]).unwrap())
        .collect();
    (doc, InMemory { label: "ids".into(), schema, batches })
}

#[test]
fn a_memory_limit_keeps_uniqueness_exact_by_grouping_instead_of_holding_every_value() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (doc, frame) = many_ids();
    let opts = || CheckOptions { frames: vec![(None, frame.clone())], sample: 3, ..Default::default() };
    let unique = |report: &contrakt_check::CheckReport| {
        let r = report.results.iter().find(|r| r.code == "Q202").expect("the uniqueness check");
        (r.status.as_str(), r.failed_rows, r.value, r.samples.clone())
    };
    let unbounded = rt.block_on(Checker::new().check(&doc, &opts())).unwrap();
    // 1,000 ids appear twice: 1,000 rows in excess, and three of those ids as samples.
    let repeated = |i: i64| serde_json::json!({"id": spread(i), "occurrences": 2}).as_object().unwrap().clone();
    let samples = vec![repeated(1_000_010), repeated(1_000_011), repeated(1_000_012)];
    assert_eq!(unique(&unbounded), ("fail", Some(1000), Some(1000.0), samples), "{:?}", unbounded.results);

    let limited = Checker::new().with_memory_limit(16 << 20).unwrap();
    assert_eq!(limited.memory_limit(), Some(16 << 20));
    let bounded = rt.block_on(limited.check(&doc, &opts())).unwrap();
    assert_eq!(unique(&bounded), unique(&unbounded), "{:?}", bounded.results);
    assert_eq!(outcomes(&bounded), outcomes(&unbounded));

    // The plan says why: no distinct set in the fused scan, a grouping of its own instead.
    let plan = rt.block_on(limited.explain(&doc, &opts())).unwrap();
    let fused = plan.lines().find(|l| l.trim_start().starts_with("SELECT count(*) AS \"m0\"")).unwrap();
    assert!(!fused.contains("DISTINCT"), "{plan}");
    assert!(plan.contains("GROUP BY \"id\""), "{plan}");
    // Unbounded, the scan holds the distinct values, in the aggregate that also keeps the most
    // repeated ids (none kept when no samples are asked for).
    let plan = rt.block_on(Checker::new().explain(&doc, &opts())).unwrap();
    assert!(plan.contains("get_field(contrakt_repeats(3, \"id\"), 'excess')"), "{plan}");
    assert!(!plan.contains("GROUP BY"), "{plan}");
    let counts_only = CheckOptions { sample: 0, ..opts() };
    let plan = rt.block_on(Checker::new().explain(&doc, &counts_only)).unwrap();
    assert!(plan.contains("get_field(contrakt_repeats(0, \"id\"), 'excess')"), "{plan}");
    let counted = rt.block_on(Checker::new().check(&doc, &counts_only)).unwrap();
    assert_eq!(unique(&counted), ("fail", Some(1000), Some(1000.0), vec![]), "{:?}", counted.results);
}

/// Dense integer keys (a surrogate key's) are held as a bitmap of their range: the Parquet
/// file's statistics say so, and uniqueness stays in the scan under a budget that the hash set
/// of the same number of spread keys would outgrow, with the same exact answer.
#[test]
fn dense_keys_stay_in_the_scan_under_a_budget_their_hash_set_would_outgrow() {
    use datafusion::parquet::arrow::ArrowWriter;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let unique_of = |report: &contrakt_check::CheckReport| {
        let r = report.results.iter().find(|r| r.code == "Q202").expect("the uniqueness check");
        (r.status.as_str(), r.failed_rows, r.samples.len())
    };
    let mut plans = Vec::new();
    for (name, id) in [("dense", (|i| i) as fn(i64) -> i64), ("spread", spread)] {
        let (doc, frame) = ids_of(id);
        let path = dir.path().join(format!("{name}.parquet"));
        let mut w = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), frame.schema.clone(), None).unwrap();
        frame.batches.iter().for_each(|b| w.write(b).unwrap());
        w.close().unwrap();
        let opts = CheckOptions {
            data: vec![(Some("ids".into()), path.to_str().unwrap().into())],
            sample: 3,
            base_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        let small = Checker::new().with_memory_budget(16 << 20).unwrap();
        let plan = rt.block_on(small.explain(&doc, &opts)).unwrap();
        let report = rt.block_on(small.check(&doc, &opts)).unwrap();
        assert_eq!(unique_of(&report), ("fail", Some(1000), 3), "{name}: {:?}", report.results);
        plans.push(plan.contains("GROUP BY \"id\""));
    }
    // 1.5M dense ids: a bitmap of 190 KB per partition. 1.5M spread ones: 48 MB at 32 bytes
    // each, over the 16 MiB budget, so that check is planned as the grouping.
    assert_eq!(plans, vec![false, true]);
}

#[test]
fn under_a_small_budget_uniqueness_groups_and_keeps_its_exact_count_and_samples() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let (doc, frame) = many_ids();
    let unique = |report: &contrakt_check::CheckReport| {
        let r = report.results.iter().find(|r| r.code == "Q202").expect("the uniqueness check");
        (r.status.as_str(), r.failed_rows, r.samples.clone())
    };
    let opts = |filter: Option<&str>| CheckOptions {
        frames: vec![(None, frame.clone())],
        sample: 3,
        filter: filter.map(str::to_string),
        ..Default::default()
    };
    let unbounded = rt.block_on(Checker::new().check(&doc, &opts(None))).unwrap();
    assert_eq!(unique(&unbounded).1, Some(1000));
    let small = Checker::new().with_memory_budget(16 << 20).unwrap();
    // A budget is no limit: the memory limit stays unset.
    assert_eq!(small.memory_limit(), None);

    // The frame's row count is known: 1.5M ids cannot fit 16 MiB, so uniqueness is planned as
    // the grouping from the start.
    let plan = rt.block_on(small.explain(&doc, &opts(None))).unwrap();
    assert!(plan.contains("GROUP BY \"id\""), "{plan}");
    let grouped = rt.block_on(small.check(&doc, &opts(None))).unwrap();
    assert_eq!(unique(&grouped), unique(&unbounded), "{:?}", grouped.results);
    assert_eq!(outcomes(&grouped), outcomes(&unbounded));

    // Behind a filter the count is only estimated: the scan tries the in-memory set, runs out
    // of budget, and runs again as the grouping, with the same answer.
    let filtered = rt.block_on(small.check(&doc, &opts(Some("id IS NULL OR id IS NOT NULL")))).unwrap();
    assert_eq!(unique(&filtered), unique(&unbounded), "{:?}", filtered.results);
    assert_eq!(outcomes(&filtered), outcomes(&unbounded));
}
