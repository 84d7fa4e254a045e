//! Who is told of a check: the owners always (team owners and stewards, support channels for
//! notifications and issues), and each consumer whose `reads` overlap the check's columns or
//! whose `relies_on` names its rule or SLA. Consumers pinned to versions that exclude the
//! checked contract version are skipped: they are not reading this data.

use contrakt_core::FieldPath;
use contrakt_core::consumer::Consumer;
use contrakt_core::odcs::{Contract, ContractDocument, Property, QualityRule, Team};
use serde::Serialize;

use crate::alert::{
    Alert, Audience, CheckRef, ContactRef, ContractRef, Event, Link, Recipient, RecipientKind, Runbook, SCHEMA,
};
use crate::message;
use crate::report::Run;
use contrakt_core::expect::CheckResult;

/// A consumer of the contract that is not told, and why (shown by `--explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub consumer: String,
    pub why: String,
}

/// The alerts for one check (one per audience with anyone to tell) and the consumers skipped.
#[derive(Debug, Clone)]
pub struct Routed {
    pub alerts: Vec<Alert>,
    pub skipped: Vec<Skipped>,
}

/// A stable id for one check of one contract: what incidents and receivers group on.
pub fn fingerprint(contract: &str, row: &CheckResult) -> String {
    let key = format!(
        "{contract}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        row.object,
        row.property.as_deref().unwrap_or(""),
        row.code,
        row.id
    );
    let digest = ring::digest::digest(&ring::digest::SHA256, key.as_bytes());
    hex(&digest.as_ref()[..8])
}

/// The fingerprint of a row of this run: a publish's audit has incidents of its own, apart
/// from the checks of the published data.
pub fn fingerprint_of(run: &Run, row: &CheckResult) -> String {
    match &run.publish {
        Some(_) => fingerprint(&format!("{}#publish", run.report.contract), row),
        None => fingerprint(&run.report.contract, row),
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Routes one check row of a run.
pub fn route(
    run: &Run,
    row: &CheckResult,
    doc: &ContractDocument,
    consumers: &[Consumer],
    event: Event,
    runbook_url: Option<&str>,
) -> Routed {
    let contract = &doc.contract;
    let owners = owners(contract);
    // Consumers hear of broken promises; a check that could not run is the owners' to fix.
    let (told, skipped) = if row.status == contrakt_core::expect::Status::Error {
        (Vec::new(), Vec::new())
    } else if run.publish.is_some() {
        consumers_at_risk(run, row, contract, consumers)
    } else {
        consumers_of(run, row, contract, consumers)
    };
    let rule = find_rule(contract, &row.id);
    let runbook = runbook(run, row, contract, rule, runbook_url);
    let contract_ref = ContractRef {
        id: run.report.contract.clone(),
        version: run.report.contract_version.clone(),
        file: run.report.file.clone(),
        url: canonical_url(contract),
    };
    let check = CheckRef {
        id: row.id.clone(),
        code: row.code.clone(),
        kind: row.kind.clone(),
        name: row.name.clone(),
        object: row.object.clone(),
        property: row.property.clone(),
        message: row.message.clone(),
        value: row.value,
        threshold: row.threshold.clone(),
        unit: row.unit.clone(),
        failed_rows: row.failed_rows,
        total_rows: row.total_rows,
        location: row.location.clone(),
    };
    let fingerprint = fingerprint_of(run, row);
    let mut alerts = Vec::new();
    let audiences = [(Audience::Owners, &owners), (Audience::Consumers, &told)];
    for (audience, recipients) in audiences {
        // Owners are told even when the contract names none: the alert still reaches the
        // routes' channels, and the message says nobody is named.
        if audience == Audience::Consumers && recipients.is_empty() {
            continue;
        }
        let mut alert = Alert {
            schema: SCHEMA.to_string(),
            event,
            fingerprint: fingerprint.clone(),
            audience: audience.into(),
            severity: row.severity,
            status: row.status,
            title: String::new(),
            text: String::new(),
            checked_at: run.report.now.clone(),
            contract: contract_ref.clone(),
            check: check.clone(),
            samples: row.samples.clone(),
            quarantine: run.quarantine_of(row).map(str::to_string),
            recipients: recipients.clone(),
            runbook: runbook.clone(),
            publish: run.publish.clone(),
        };
        alert.title = message::title(&alert, contract.name.as_deref());
        alert.text = message::text(&alert, &owners, &told);
        alerts.push(alert);
    }
    Routed { alerts, skipped }
}

/// Team members who own or steward the data, and the support channels for notifications and
/// issues.
pub fn owners(contract: &Contract) -> Vec<Recipient> {
    let team_name = contract.team.as_ref().and_then(|t| match t {
        Team::Object(o) => o.name.clone(),
        Team::Members(_) => None,
    });
    let mut out = Vec::new();
    for m in contract.team.iter().flat_map(|t| t.members()) {
        let role = m.role.as_deref().unwrap_or("").to_ascii_lowercase();
        // Someone who left the team (`dateOut`) is not paged for it.
        if !(role.contains("owner") || role.contains("steward")) || m.date_out.is_some() {
            continue;
        }
        let Some(id) = m.username.clone().or_else(|| m.id.clone()).or_else(|| m.name.clone()) else { continue };
        out.push(Recipient {
            kind: RecipientKind::Member,
            id,
            name: m.name.clone(),
            role: m.role.clone(),
            team: team_name.clone(),
            contacts: Vec::new(),
            criticality: None,
            because: Vec::new(),
        });
    }
    for s in &contract.support {
        let scope = s.scope.as_deref().unwrap_or("").to_ascii_lowercase();
        if scope != "notifications" && scope != "issues" {
            continue;
        }
        out.push(Recipient {
            kind: RecipientKind::Support,
            id: s.id.clone().unwrap_or_else(|| s.channel.clone()),
            name: Some(s.channel.clone()),
            role: s.scope.clone(),
            team: team_name.clone(),
            contacts: vec![ContactRef {
                channel: s.tool.clone().unwrap_or_else(|| "other".into()),
                target: s.url.clone().unwrap_or_else(|| s.channel.clone()),
            }],
            criticality: None,
            because: Vec::new(),
        });
    }
    out
}

fn consumers_of(
    run: &Run,
    row: &CheckResult,
    contract: &Contract,
    consumers: &[Consumer],
) -> (Vec<Recipient>, Vec<Skipped>) {
    let path = FieldPath::parse(&row.path()).ok();
    let sla = sla_property(contract, row);
    let version = semver::Version::parse(&run.report.contract_version).ok();
    let (mut told, mut skipped) = (Vec::new(), Vec::new());
    for consumer in consumers {
        for usage in consumer.uses.iter().filter(|u| u.contract == run.report.contract) {
            if let (Some(range), Some(v)) = (usage.versions.as_deref(), version.as_ref())
                && semver::VersionReq::parse(range).is_ok_and(|r| !r.matches(v))
            {
                skipped.push(Skipped {
                    consumer: consumer.id.clone(),
                    why: format!("pinned to `{range}`; this data is v{v}"),
                });
                continue;
            }
            let mut because = Vec::new();
            // Only a property-level check touches columns; an object-level check (a row count,
            // a cross-column SQL rule) concerns the consumers who said they rely on it.
            if let (Some(p), true) = (&path, row.property.is_some()) {
                for read in &usage.reads {
                    if FieldPath::parse(read).is_ok_and(|r| r.overlaps(p)) {
                        because.push(format!("reads {read}"));
                    }
                }
            }
            let named = |r: &String| *r == row.id || row.name.as_deref() == Some(r.as_str());
            if usage.relies_on.rules.iter().any(named) {
                because.push(format!("relies on rule {}", row.id));
            }
            if let Some(sla) = &sla
                && usage.relies_on.sla.iter().any(|s| s.eq_ignore_ascii_case(sla))
            {
                because.push(format!("relies on SLA {sla}"));
            }
            if because.is_empty() {
                skipped.push(Skipped {
                    consumer: consumer.id.clone(),
                    why: "reads none of the checked columns and relies on neither the rule nor the SLA".into(),
                });
                continue;
            }
            told.push(consumer_recipient(consumer, usage, because));
        }
    }
    (told, skipped)
}

fn consumer_recipient(consumer: &Consumer, usage: &contrakt_core::consumer::Use, because: Vec<String>) -> Recipient {
    Recipient {
        kind: RecipientKind::Consumer,
        id: consumer.id.clone(),
        name: consumer.name.clone(),
        role: None,
        team: consumer.team.clone(),
        contacts: consumer
            .contacts
            .iter()
            .map(|c| ContactRef { channel: c.channel.clone(), target: c.target.clone() })
            .collect(),
        criticality: Some(usage.criticality),
        because,
    }
}

/// SLA properties a late release misses.
const FRESHNESS: &[&str] = &["latency", "freshness", "timeOfAvailability"];

/// The consumers a refused publish puts at risk: those who read a failed column (the data they
/// wait for is not coming as it is), and those who rely on the contract's freshness SLA (a
/// refused release is a late one). Others keep reading the published data, unchanged.
fn consumers_at_risk(
    run: &Run,
    row: &CheckResult,
    contract: &Contract,
    consumers: &[Consumer],
) -> (Vec<Recipient>, Vec<Skipped>) {
    let path = FieldPath::parse(&row.path()).ok();
    let slas: Vec<&str> = contract
        .sla_properties
        .iter()
        .map(|s| s.property.as_str())
        .filter(|p| FRESHNESS.iter().any(|f| f.eq_ignore_ascii_case(p)))
        .collect();
    let (mut told, mut skipped) = (Vec::new(), Vec::new());
    for consumer in consumers {
        for usage in consumer.uses.iter().filter(|u| u.contract == run.report.contract) {
            let mut because = Vec::new();
            if let (Some(p), true) = (&path, row.property.is_some()) {
                for read in &usage.reads {
                    if FieldPath::parse(read).is_ok_and(|r| r.overlaps(p)) {
                        because.push(format!("reads {read}"));
                    }
                }
            }
            for sla in usage.relies_on.sla.iter().filter(|s| slas.iter().any(|l| l.eq_ignore_ascii_case(s))) {
                because.push(format!("relies on SLA {sla}, which the refused release misses"));
            }
            if because.is_empty() {
                skipped.push(Skipped {
                    consumer: consumer.id.clone(),
                    why: "reads none of the failed columns and relies on no freshness SLA: what it reads is unchanged"
                        .into(),
                });
                continue;
            }
            told.push(consumer_recipient(consumer, usage, because));
        }
    }
    (told, skipped)
}

/// The SLA property (`latency`, `retention`) a freshness or retention check measures.
fn sla_property(contract: &Contract, row: &CheckResult) -> Option<String> {
    if !row.code.starts_with("Q4") {
        return None;
    }
    contract
        .sla_properties
        .iter()
        .find(|s| s.id.as_deref() == Some(row.id.as_str()) || format!("sla.{}", s.property) == row.id)
        .map(|s| s.property.clone())
}

/// The quality rule with this id (at object or property level, nested included).
fn find_rule<'c>(contract: &'c Contract, id: &str) -> Option<&'c QualityRule> {
    fn in_props<'c>(props: &'c [Property], id: &str) -> Option<&'c QualityRule> {
        props.iter().find_map(|p| {
            p.quality.iter().find(|q| q.id.as_deref() == Some(id)).or_else(|| in_props(&p.properties, id))
        })
    }
    contract
        .schema
        .iter()
        .find_map(|o| o.quality.iter().find(|q| q.id.as_deref() == Some(id)).or_else(|| in_props(&o.properties, id)))
}

fn canonical_url(contract: &Contract) -> Option<String> {
    contract
        .authoritative_definitions
        .iter()
        .find(|d| d.definition_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case("canonical")))
        .and_then(|d| d.url.clone())
}

fn runbook(
    run: &Run,
    row: &CheckResult,
    contract: &Contract,
    rule: Option<&QualityRule>,
    runbook_url: Option<&str>,
) -> Runbook {
    let mut links = Vec::new();
    if let Some(rule) = rule {
        for d in &rule.authoritative_definitions {
            if let Some(url) = &d.url {
                let label = d.definition_type.clone().unwrap_or_else(|| "rule definition".into());
                links.push(Link { label, url: url.clone() });
            }
        }
        for p in &rule.custom_properties {
            if p.property.eq_ignore_ascii_case("runbook")
                && let Some(url) = p.value.as_str()
            {
                links.push(Link { label: "runbook".into(), url: url.to_string() });
            }
        }
    }
    if let Some(url) = runbook_url.filter(|_| !links.iter().any(|l| l.label == "runbook")) {
        links.push(Link { label: "runbook".into(), url: url.to_string() });
    }
    if let Some(url) = canonical_url(contract) {
        links.push(Link { label: "contract".into(), url });
    }
    let reproduce = crate::shell::command(&[
        "contrakt",
        "check",
        &run.report.file,
        "--object",
        &row.object,
        "--now",
        &run.report.now,
        "--sample",
        "100",
    ]);
    let sql = rule.and_then(|r| r.query.clone()).map(|q| q.trim().to_string());
    let what = match (&row.property, &row.name) {
        (Some(p), _) => format!("`{}.{p}`", row.object),
        (None, Some(n)) => format!("`{}` ({n})", row.object),
        (None, None) => format!("`{}`", row.object),
    };
    let steps = vec![
        format!("Look at the samples; rerun the check with more of them to see every failing row of {what}."),
        format!(
            "Read what {} {} checks: `{}`.",
            row.code,
            row.kind,
            crate::shell::command(&["contrakt", "rules", &row.code])
        ),
        "Fix the data at its source or in the pipeline and republish; if the contract is what is wrong, change it \
         in a pull request (`contrakt breaking` says whom that breaks)."
            .to_string(),
        "Rerun the check: a pass resolves this incident and tells everyone who was told.".to_string(),
    ];
    Runbook { links, reproduce, sql, steps }
}

#[cfg(test)]
pub(crate) mod tests;
