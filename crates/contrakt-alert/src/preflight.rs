//! Pre-flight notifications: `contrakt breaking … --notify` tells each consumer whose reads a
//! proposed change breaks, and tells the owners which consumers were told, through the same
//! routes and outbox as check alerts. Each delivery's key is derived from the change itself,
//! so a rerun of the same comparison (the same pull request, pushed again) queues nothing.

use std::fmt::Write;

use contrakt_core::Level;
use contrakt_core::consumer::Consumer;
use contrakt_core::odcs::ContractDocument;
use contrakt_core::path::FieldPath;
use serde::Serialize;

use crate::alert::{
    Alert, AudienceName, CheckRef, ContactRef, ContractRef, Event, Link, Recipient, RecipientKind, Runbook, SCHEMA,
};
use crate::config::Settings;
use crate::dispatch;
use crate::error::{Error, Result};
use crate::outbox;
use crate::route::{self, hex};
use crate::store::Store;
use contrakt_core::expect::Status;

/// One breaking finding of the gate, with the consumers whose reads it breaks.
#[derive(Debug, Clone)]
pub struct BreakingChange {
    pub contract: String,
    /// The proposed version.
    pub version: String,
    pub file: String,
    /// The breaking rule: code and slug (`B203`, `type-narrowed`).
    pub code: String,
    pub slug: String,
    /// The changed path, object first (`orders.status`).
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub message: String,
    pub level: Level,
    pub location: Option<String>,
    pub consumers: Vec<String>,
}

/// What notifying did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Notified {
    /// Breaking changes that touch a consumer.
    pub changes: usize,
    pub alerts: usize,
    /// Deliveries added to the outbox (0 on a rerun of the same comparison).
    pub queued: usize,
}

/// Queues the alerts for these changes; `against` names what they were compared with.
pub fn record(
    changes: &[BreakingChange],
    against: &str,
    contracts: &[ContractDocument],
    consumers: &[Consumer],
    settings: &Settings,
    store: &mut Store,
    now_ms: i64,
) -> Result<Notified> {
    let _s = tracing::info_span!("preflight", changes = changes.len()).entered();
    let path = store.path().to_path_buf();
    let state = |source| Error::State { path: path.clone(), source };
    let mut out = Notified::default();
    let tx = store.immediate()?;
    let wall = outbox::now_ms();
    for change in changes.iter().filter(|c| !c.consumers.is_empty()) {
        let doc = contracts
            .iter()
            .find(|d| d.contract.id == change.contract)
            .ok_or_else(|| Error::UnknownContract(change.contract.clone()))?;
        out.changes += 1;
        for alert in alerts(change, against, doc, consumers, settings.runbook_url.as_deref()) {
            out.alerts += 1;
            for d in dispatch::plan(&alert, change.level, settings, now_ms) {
                let key = key(&alert, &d.channel);
                let not_before = d.held_until.map_or(wall, |h| h.max(wall));
                if outbox::enqueue(&tx, &alert, &d.channel, &key, not_before, wall).map_err(state)? {
                    out.queued += 1;
                }
            }
        }
    }
    tx.commit().map_err(state)?;
    Ok(out)
}

/// Stable for one change told to one audience on one channel.
fn key(alert: &Alert, channel: &str) -> String {
    let text = format!("preflight\u{1f}{}\u{1f}{}\u{1f}{channel}", alert.fingerprint, alert.audience_str());
    hex(&ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref()[..16])
}

/// The consumers' alert and the owners' for one change.
pub fn alerts(
    change: &BreakingChange,
    against: &str,
    doc: &ContractDocument,
    consumers: &[Consumer],
    runbook_url: Option<&str>,
) -> Vec<Alert> {
    let contract = &doc.contract;
    let owners = route::owners(contract);
    let changed = FieldPath::parse(&change.path).ok();
    let told: Vec<Recipient> = consumers
        .iter()
        .filter(|c| change.consumers.contains(&c.id))
        .map(|c| {
            let usage = c.uses.iter().find(|u| u.contract == change.contract);
            let mut because: Vec<String> = usage
                .into_iter()
                .flat_map(|u| &u.reads)
                .filter(|r| changed.as_ref().is_some_and(|p| FieldPath::parse(r).is_ok_and(|r| r.overlaps(p))))
                .map(|r| format!("reads {r}"))
                .collect();
            if because.is_empty() {
                because.push(format!("uses {}", change.contract));
            }
            Recipient {
                kind: RecipientKind::Consumer,
                id: c.id.clone(),
                name: c.name.clone(),
                role: None,
                team: c.team.clone(),
                contacts: c
                    .contacts
                    .iter()
                    .map(|k| ContactRef { channel: k.channel.clone(), target: k.target.clone() })
                    .collect(),
                criticality: usage.map(|u| u.criticality),
                because,
            }
        })
        .collect();
    let identity = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        change.contract,
        change.code,
        change.path,
        change.old.as_deref().unwrap_or(""),
        change.new.as_deref().unwrap_or("")
    );
    let fingerprint = hex(&ring::digest::digest(&ring::digest::SHA256, identity.as_bytes()).as_ref()[..8]);
    let (object, property) = match change.path.split_once('.') {
        Some((o, p)) => (o.to_string(), Some(p.to_string())),
        None => (change.path.clone(), None),
    };
    let mut links: Vec<Link> =
        runbook_url.map(|u| Link { label: "runbook".into(), url: u.into() }).into_iter().collect();
    if let Some(url) = contract
        .authoritative_definitions
        .iter()
        .find_map(|d| d.definition_type.as_deref().filter(|t| t.eq_ignore_ascii_case("canonical")).and(d.url.clone()))
    {
        links.push(Link { label: "contract".into(), url });
    }
    let runbook = Runbook {
        links,
        reproduce: crate::shell::command(&["contrakt", "breaking", &change.file, "--against", against]),
        sql: None,
        steps: vec![
            "Talk to the consumers told before this merges: they read what it changes.".into(),
            format!(
                "Or make it compatible (add beside instead of renaming or removing; widen instead of narrowing): `{}` says how.",
                crate::shell::command(&["contrakt", "rules", &change.code])
            ),
            "Or release it as a new major version that consumers move to on their own schedule.".into(),
            "Waive it in contrakt.yaml (`breaking.waivers`, with a reason and an expiry) only once the consumers agree."
                .into(),
        ],
    };
    let base = Alert {
        schema: SCHEMA.to_string(),
        event: Event::Trigger,
        fingerprint,
        audience: AudienceName::Owners,
        severity: change.level,
        status: Status::Fail,
        title: String::new(),
        text: String::new(),
        checked_at: crate::explain::rfc3339(outbox::now_ms()),
        contract: ContractRef {
            id: change.contract.clone(),
            version: change.version.clone(),
            file: change.file.clone(),
            url: None,
        },
        check: CheckRef {
            id: change.code.clone(),
            code: change.code.clone(),
            kind: change.slug.clone(),
            name: None,
            object,
            property,
            message: change.message.clone(),
            value: None,
            threshold: None,
            unit: None,
            failed_rows: None,
            total_rows: None,
            location: change.location.clone(),
        },
        samples: Vec::new(),
        quarantine: None,
        recipients: Vec::new(),
        runbook,
        publish: None,
    };
    let name = contract.name.as_deref().unwrap_or(&change.contract);
    let names: Vec<String> = told.iter().map(|r| format!("{} ({})", r.id, r.because.join(", "))).collect();
    let mut consumer_alert = base.clone();
    consumer_alert.audience = AudienceName::Consumers;
    consumer_alert.recipients = told.clone();
    consumer_alert.title = format!("BREAKING: a proposed change to {name} breaks {}, which you read", change.path);
    let mut text = String::new();
    let _ =
        writeln!(text, "A proposed change to contract {} (v{}) breaks data you read.", change.contract, change.version);
    let _ = writeln!(text, "What changes: {} {} at {}: {}", change.code, change.slug, change.path, change.message);
    for r in &told {
        let _ = writeln!(text, "Why you: {} ({})", r.id, r.because.join(", "));
    }
    let _ = writeln!(
        text,
        "It is not merged yet (compared against {against}): tell the owners what it would break for you."
    );
    let owners_named: Vec<String> = owners.iter().map(|r| r.name.clone().unwrap_or_else(|| r.id.clone())).collect();
    if !owners_named.is_empty() {
        let _ = writeln!(text, "Owners: {}", owners_named.join(", "));
    }
    consumer_alert.text = text;

    let mut owner_alert = base;
    owner_alert.recipients = owners;
    owner_alert.title = format!(
        "BREAKING: {} {} in {name} v{}; {} consumers told",
        change.path,
        change.slug,
        change.version,
        told.len()
    );
    let mut text = String::new();
    let _ =
        writeln!(text, "Your proposed change to contract {} (v{}) breaks consumers.", change.contract, change.version);
    let _ = writeln!(text, "What changes: {} {} at {}: {}", change.code, change.slug, change.path, change.message);
    let _ = writeln!(text, "Consumers told: {}", names.join("; "));
    let _ = writeln!(text, "Reproduce: {}", owner_alert.runbook.reproduce);
    let _ = writeln!(text, "Next steps:");
    for (i, s) in owner_alert.runbook.steps.iter().enumerate() {
        let _ = writeln!(text, "  {}. {s}", i + 1);
    }
    owner_alert.text = text;
    vec![consumer_alert, owner_alert]
}
