//! Routing against the example registry in `contracts/`: results × consumers → recipients.

use std::path::PathBuf;

use contrakt_core::Level;
use contrakt_core::consumer::{self, Consumer};
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::registry;

use super::*;
use crate::alert::{AudienceName, Event, RecipientKind};
use crate::report::Run;
use contrakt_core::expect::outcome::{ObjectRun, Quarantined};
use contrakt_core::expect::{CheckReport, CheckResult, Status};

pub(crate) fn example() -> (Vec<ContractDocument>, Vec<Consumer>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let found = registry::discover(&[root]).expect("the example registry reads");
    let contracts = found.contracts.into_iter().map(|d| odcs::load_document(d).expect("contract")).collect();
    let consumers =
        found.consumers.into_iter().map(|d| consumer::load_document(d).expect("consumer").consumer).collect();
    (contracts, consumers)
}

pub(crate) fn row(id: &str, code: &str, kind: &str, property: Option<&str>, status: Status) -> CheckResult {
    CheckResult {
        id: id.into(),
        code: code.into(),
        kind: kind.into(),
        object: "orders".into(),
        property: property.map(Into::into),
        status,
        severity: if status == Status::Warn { Level::Warning } else { Level::Error },
        value: Some(3.0),
        threshold: Some("mustBe: 0".into()),
        unit: Some("rows".into()),
        failed_rows: Some(3),
        total_rows: Some(10200),
        message: "3 of 10200 rows invalid; the contract says = 0".into(),
        samples: vec![serde_json::from_str(r#"{"order_id":"427eceae","status":"lost"}"#).unwrap()],
        name: None,
        location: Some("contracts/orders.odcs.yaml:317:13".into()),
        duration_ms: 4,
        segments: None,
    }
}

pub(crate) fn run(version: &str, results: Vec<CheckResult>) -> Run {
    let report = CheckReport {
        version: 1,
        contract: "urn:contrakt:meal-kit:orders".into(),
        contract_version: version.into(),
        file: "contracts/orders.odcs.yaml".into(),
        now: "2026-11-22T06:00:00Z".into(),
        passed: false,
        summary: CheckReport::summarize(&results),
        objects: Vec::new(),
        results,
        duration_ms: 5,
    };
    Run::from(report)
}

fn told(r: &Routed, audience: AudienceName) -> Vec<String> {
    r.alerts.iter().filter(|a| a.audience == audience).flat_map(|a| a.recipients.iter().map(|r| r.id.clone())).collect()
}

fn routed(version: &str, row: CheckResult) -> Routed {
    let (contracts, consumers) = example();
    let doc = contracts.iter().find(|c| c.contract.id == "urn:contrakt:meal-kit:orders").unwrap();
    let run = run(version, vec![row.clone()]);
    route(&run, &row, doc, &consumers, Event::Trigger, None)
}

#[test]
fn owners_are_owners_stewards_and_notification_channels() {
    let r = routed("1.4.0", row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail));
    assert_eq!(told(&r, AudienceName::Owners), ["akhan", "lmartin", "sup_orders_alerts", "sup_orders_issues"]);
    let owners = &r.alerts[0];
    assert_eq!(owners.recipients[0].role.as_deref(), Some("owner"));
    assert_eq!(owners.recipients[2].kind, RecipientKind::Support);
    assert_eq!(owners.recipients[2].contacts[0].channel, "slack");
}

#[test]
fn consumers_who_read_the_column_or_rely_on_the_rule_are_told() {
    let r = routed("1.4.0", row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail));
    assert_eq!(
        told(&r, AudienceName::Consumers),
        ["finance-revenue-dashboard", "logistics-planner", "marketing-crm-sync"]
    );
    let finance = &r.alerts[1].recipients[0];
    assert_eq!(finance.because, ["reads orders.status", "relies on rule orders_status_valid"]);
    assert_eq!(finance.criticality, Some(contrakt_core::consumer::Criticality::High));
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
}

#[test]
fn a_consumer_reading_none_of_the_failed_columns_is_not_told() {
    let r = routed("1.4.0", row("orders.total_amount.minimum", "Q204", "minimum", Some("total_amount"), Status::Fail));
    assert_eq!(told(&r, AudienceName::Consumers), ["finance-revenue-dashboard"]);
    let skipped: Vec<&str> = r.skipped.iter().map(|s| s.consumer.as_str()).collect();
    assert_eq!(skipped, ["logistics-planner", "marketing-crm-sync"]);
}

#[test]
fn an_object_level_rule_reaches_only_those_who_rely_on_it() {
    let r = routed("1.4.0", row("orders_row_count", "Q305", "row-count", None, Status::Fail));
    assert_eq!(told(&r, AudienceName::Consumers), ["finance-revenue-dashboard"]);
    assert_eq!(r.alerts[1].recipients[0].because, ["relies on rule orders_row_count"]);
}

#[test]
fn an_sla_reaches_consumers_relying_on_it_by_property_name() {
    let mut sla = row("sla_orders_latency", "Q401", "freshness", Some("updated_at"), Status::Fail);
    sla.property = Some("updated_at".into());
    let r = routed("1.4.0", sla);
    let consumers = told(&r, AudienceName::Consumers);
    assert_eq!(consumers, ["finance-revenue-dashboard", "logistics-planner", "marketing-crm-sync"]);
    assert!(r.alerts[1].recipients[0].because.contains(&"relies on SLA latency".to_string()));
}

#[test]
fn consumers_pinned_to_other_versions_are_skipped() {
    let r = routed("2.0.0", row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail));
    assert!(told(&r, AudienceName::Consumers).is_empty());
    assert_eq!(r.alerts.len(), 1, "owners only");
    assert!(r.skipped.iter().all(|s| s.why.starts_with("pinned to `>=1.0.0, <2.0.0`")), "{:?}", r.skipped);
}

#[test]
fn fingerprints_are_stable_and_distinct() {
    let a = row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail);
    let mut warned = a.clone();
    warned.status = Status::Warn;
    warned.severity = Level::Warning;
    let b = row("orders.total_amount.minimum", "Q204", "minimum", Some("total_amount"), Status::Fail);
    let c = "urn:contrakt:meal-kit:orders";
    assert_eq!(fingerprint(c, &a), fingerprint(c, &warned), "severity is not part of the fingerprint");
    assert_ne!(fingerprint(c, &a), fingerprint(c, &b));
    assert_eq!(fingerprint(c, &a).len(), 16);
}

#[test]
fn owner_and_consumer_messages_say_different_things() {
    let mut r = row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail);
    r.name = Some("Status is a known lifecycle state".into());
    let routed = routed("1.4.0", r);
    insta::assert_snapshot!("owner_message", format!("{}\n\n{}", routed.alerts[0].title, routed.alerts[0].text));
    insta::assert_snapshot!("consumer_message", format!("{}\n\n{}", routed.alerts[1].title, routed.alerts[1].text));
}

#[test]
fn a_quarantined_check_links_owners_and_consumers_to_its_failing_rows() {
    let (contracts, consumers) = example();
    let doc = contracts.iter().find(|c| c.contract.id == "urn:contrakt:meal-kit:orders").unwrap();
    let failing = row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail);
    let mut quarantined = run("1.4.0", vec![failing.clone()]);
    quarantined.report.objects.push(ObjectRun {
        object: "orders".into(),
        source: "fixtures/orders.parquet".into(),
        format: "parquet".into(),
        table_version: None,
        rows: Some(10200),
        plans: 1,
        duration_ms: 4,
        error: None,
        metrics: Vec::new(),
        quarantine: Some(Quarantined {
            location: "s3://lake/quarantine/r1/orders/orders.parquet".into(),
            rows: 3,
            checks: vec!["orders_status_valid".into()],
            ..Quarantined::default()
        }),
    });
    let r = route(&quarantined, &failing, doc, &consumers, Event::Trigger, None);
    assert!(r.alerts.iter().any(|a| a.audience == AudienceName::Consumers), "a consumer is told");
    for a in &r.alerts {
        assert_eq!(a.quarantine.as_deref(), Some("s3://lake/quarantine/r1/orders/orders.parquet"));
        assert!(
            a.text.contains(
                "Failing rows: all of them are in s3://lake/quarantine/r1/orders/orders.parquet (those with `orders_status_valid` in failing_checks)"
            ),
            "{}",
            a.text
        );
    }
    // A check whose rows the file does not hold, and a run without a quarantine: no such line.
    let other = row("orders_total_positive", "Q304", "out-of-range", Some("total"), Status::Fail);
    let r = route(&quarantined, &other, doc, &consumers, Event::Trigger, None);
    assert!(r.alerts.iter().all(|a| a.quarantine.is_none() && !a.text.contains("Failing rows:")));
    let plain = routed("1.4.0", failing);
    assert!(plain.alerts.iter().all(|a| !a.text.contains("Failing rows:")));
}
