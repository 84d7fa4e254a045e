use super::*;
use crate::odcs::load;
use crate::source::SourceFile;

fn compile_yaml(yaml: &str) -> Vec<Expectation> {
    let doc = load(SourceFile::new("c.yaml", yaml.to_string())).expect("contract loads");
    compile(&doc)
}

fn orders() -> Vec<Expectation> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contracts/orders.odcs.yaml");
    compile_yaml(&std::fs::read_to_string(path).unwrap())
}

fn by_id<'a>(all: &'a [Expectation], id: &str) -> &'a Expectation {
    all.iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no {id} in {:?}", all.iter().map(|e| &e.id).collect::<Vec<_>>()))
}

#[test]
fn the_orders_contract_compiles_every_promise() {
    let all = orders();
    let e = by_id(&all, "orders.order_id.required");
    assert_eq!((e.kind.code, &e.measure, e.column.clone()), ("Q201", &Measure::Nulls, vec!["order_id".to_string()]));
    assert_eq!(by_id(&all, "orders.order_id.unique").measure, Measure::Excess);
    assert_eq!(by_id(&all, "orders.order_id.primary-key").measure, Measure::Key(vec![vec!["order_id".into()]]));
    // Quality rules keep their ids, thresholds, units and severities.
    let missing = by_id(&all, "orders_box_plan_missing");
    assert_eq!(missing.unit, Unit::Percent);
    assert_eq!(missing.severity, Level::Warning);
    assert_eq!(missing.threshold.written(), "mustBeLessOrEqualTo: 0.1");
    assert!(matches!(&missing.measure, Measure::Missing(v) if v.len() == 3));
    let rows = by_id(&all, "orders_row_count");
    assert_eq!((rows.kind.code, rows.threshold.written()), ("Q305", "mustBeGreaterThan: 10000".to_string()));
    assert!(matches!(&by_id(&all, "orders_updated_after_created").measure, Measure::Sql(q) if q.contains("{object}")));
    assert!(matches!(&by_id(&all, "orders_one_box_per_week").measure, Measure::Skip(_)));
    // Bounds, lengths, formats; a date minimum stays a string for the checker to type.
    assert_eq!(
        by_id(&all, "orders.order_date.minimum").measure,
        Measure::Below { bound: "2019-01-01".into(), exclusive: false }
    );
    assert_eq!(by_id(&all, "orders.box_plan.max-length").measure, Measure::LongerThan(5));
    assert_eq!(by_id(&all, "orders.promo_codes.max-items").measure, Measure::MoreItems(3));
    // Nested properties carry their path; the FK resolves to another contract's object.
    assert_eq!(by_id(&all, "orders.payment.method.required").property, vec!["payment", "method"]);
    assert_eq!(
        by_id(&all, "orders.customer_id.reference").measure,
        Measure::Reference { object: "customers".into(), column: "customer_id".into() }
    );
    // SLAs: latency and retention measured; the rest skipped, never dropped.
    assert_eq!(by_id(&all, "sla_orders_latency").measure, Measure::Freshness { max_age: 7200.0, unit: "h".into() });
    assert!(matches!(by_id(&all, "sla_orders_retention").measure, Measure::Retention { .. }));
    assert_eq!(by_id(&all, "sla_orders_frequency").kind.code, "Q403");
}

#[test]
fn ids_are_unique_and_stable() {
    let all = orders();
    let ids: std::collections::HashSet<_> = all.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), all.len());
    let again: Vec<_> = orders().into_iter().map(|e| e.id).collect();
    assert_eq!(again, all.iter().map(|e| e.id.clone()).collect::<Vec<_>>());
}

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\n";

#[test]
fn composite_keys_and_object_level_duplicates() {
    let all = compile_yaml(&format!(
        "{HEAD}schema:\n  - name: lines\n    properties:\n      - {{name: line, primaryKey: true, primaryKeyPosition: 2}}\n      - {{name: order, physicalName: ORDER_ID, primaryKey: true, primaryKeyPosition: 1}}\n    quality:\n      - metric: duplicateValues\n        arguments: {{properties: [order, line]}}\n        mustBe: 0\n"
    ));
    let key = by_id(&all, "lines.order+line.primary-key");
    assert_eq!(key.measure, Measure::Key(vec![vec!["ORDER_ID".into()], vec!["line".into()]]));
    let dup = all.iter().find(|e| e.kind.code == "Q304").unwrap();
    assert_eq!(dup.measure, Measure::ExcessOf(vec![vec!["ORDER_ID".into()], vec!["line".into()]]));
}

#[test]
fn unusable_rules_become_errors_not_passes() {
    let all = compile_yaml(&format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: a\n        quality:\n          - {{metric: nullValues, mustBe: lots}}\n          - {{metric: invalidValues, mustBe: 0}}\n          - {{metric: rowCount}}\n"
    ));
    let measures: Vec<_> = all.iter().map(|e| &e.measure).collect();
    assert!(matches!(measures[0], Measure::Unusable(m) if m.contains("must be a number")), "{measures:?}");
    assert!(matches!(measures[1], Measure::Unusable(m) if m.contains("validValues")), "{measures:?}");
    // rowCount without an operator is checked as > 0.
    assert_eq!(all[2].threshold.written(), "mustBeGreaterThan: 0");
}

#[test]
fn v30_exclusive_flags_and_v31_exclusive_bounds() {
    let all = compile_yaml(&format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: a\n        logicalType: number\n        logicalTypeOptions: {{exclusiveMinimum: 0, maximum: 10}}\n"
    ));
    assert_eq!(all[0].measure, Measure::Below { bound: 0.into(), exclusive: true });
    assert_eq!(all[1].measure, Measure::Above { bound: 10.into(), exclusive: false });
}

#[test]
fn sla_units() {
    assert_eq!(duration_secs(Some(&2.into()), Some("h")), Ok(7200.0));
    assert_eq!(duration_secs(Some(&1.into()), Some("days")), Ok(86400.0));
    assert_eq!(duration_secs(Some(&30.into()), Some("s")), Ok(30.0));
    assert!(duration_secs(Some(&1.into()), Some("fortnight")).unwrap_err().contains("unknown SLA unit"));
    assert!(duration_secs(None, Some("d")).is_err());
}

#[test]
fn sla_values_may_be_iso_8601_durations() {
    use serde_json::json;
    let secs = |v: serde_json::Value, unit: Option<&str>| super::duration_secs(Some(&v), unit);
    assert_eq!(secs(json!("P1Y"), None), Ok(365.0 * 86_400.0));
    assert_eq!(secs(json!("P1Y"), Some("h")), Ok(365.0 * 86_400.0), "the duration carries its unit");
    assert_eq!(secs(json!("PT24H"), None), Ok(86_400.0));
    assert_eq!(secs(json!("P1DT12H30M"), None), Ok(86_400.0 + 12.0 * 3600.0 + 1800.0));
    assert_eq!(secs(json!("p2w"), None), Ok(14.0 * 86_400.0));
    assert_eq!(secs(json!("PT0,5S"), None), Ok(0.5));
    assert_eq!(secs(json!("P1M"), None), Ok(30.0 * 86_400.0));
    assert_eq!(secs(json!("PT1M"), None), Ok(60.0));
    for bad in ["P", "PT", "P1", "P1H", "PD", "P1D1Y", "P1YT", "PT1D", "P1.2.3D", "Px"] {
        assert!(secs(json!(bad), None).unwrap_err().contains("ISO 8601"), "{bad}");
    }
    // Numbers keep their unit.
    assert_eq!(secs(json!(3), Some("y")), Ok(3.0 * 365.0 * 86_400.0));
    assert_eq!(secs(json!("24"), Some("h")), Ok(86_400.0));
}
