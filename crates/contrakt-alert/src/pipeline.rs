//! The stages end to end: a check report and the registry in, alerts planned (for `--explain`)
//! or recorded against incidents and queued in the outbox.

use contrakt_core::Level;
use contrakt_core::consumer::Consumer;
use contrakt_core::odcs::ContractDocument;
use serde::Serialize;

use crate::alert::{Alert, Event};
use crate::config::Settings;
use crate::dispatch::{self, PlannedDelivery};
use crate::error::{Error, Result};
use crate::incident::{self, Decision};
use crate::outbox;
use crate::report::Run;
use crate::route::{self, Skipped};
use crate::store::Store;
use contrakt_core::expect::{CheckResult, Status};

/// The contracts and consumers alerts are routed against.
pub struct Registry<'a> {
    pub contracts: &'a [ContractDocument],
    pub consumers: &'a [Consumer],
}

impl Registry<'_> {
    fn contract(&self, id: &str) -> Result<&ContractDocument> {
        self.contracts.iter().find(|c| c.contract.id == id).ok_or_else(|| Error::UnknownContract(id.to_string()))
    }

    /// The runs about the contracts given (a report of the whole registry routed for one
    /// contract file routes that contract); an error when none is.
    fn covered<'r>(&self, runs: &'r [Run]) -> Result<Vec<&'r Run>> {
        let covered: Vec<&Run> =
            runs.iter().filter(|r| self.contracts.iter().any(|c| c.contract.id == r.report.contract)).collect();
        match (covered.is_empty(), runs.first()) {
            (true, Some(first)) => Err(Error::UnknownContract(first.report.contract.clone())),
            _ => Ok(covered),
        }
    }
}

/// What happens for one check: its alerts with their deliveries, and who is not told.
#[derive(Debug, Clone, Serialize)]
pub struct CheckPlan {
    pub contract: String,
    pub check: CheckResult,
    pub event: Event,
    /// Set when incidents were consulted (not under `--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<&'static str>,
    pub alerts: Vec<PlannedAlert>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedAlert {
    pub alert: Alert,
    pub deliveries: Vec<PlannedDelivery>,
}

/// Who would be told of what, without touching the state: every failed or warned check.
pub fn explain(runs: &[Run], registry: &Registry<'_>, settings: &Settings, now_ms: i64) -> Result<Vec<CheckPlan>> {
    let _s = tracing::info_span!("route", runs = runs.len()).entered();
    let mut plans = Vec::new();
    for run in registry.covered(runs)? {
        let doc = registry.contract(&run.report.contract)?;
        for row in run.report.results.iter().filter(|r| r.is_failure()) {
            plans.push(plan(run, row, doc, registry, settings, Event::Trigger, row.severity, now_ms, None));
        }
    }
    Ok(plans)
}

#[allow(clippy::too_many_arguments)]
fn plan(
    run: &Run,
    row: &CheckResult,
    doc: &ContractDocument,
    registry: &Registry<'_>,
    settings: &Settings,
    event: Event,
    severity: Level,
    now_ms: i64,
    decision: Option<Decision>,
) -> CheckPlan {
    let routed = route::route(run, row, doc, registry.consumers, event, settings.runbook_url.as_deref());
    let alerts = routed
        .alerts
        .into_iter()
        .map(|alert| {
            let deliveries = dispatch::plan(&alert, severity, settings, now_ms);
            PlannedAlert { alert, deliveries }
        })
        .collect();
    CheckPlan {
        contract: run.report.contract.clone(),
        check: row.clone(),
        event,
        decision: decision.map(Decision::as_str),
        alerts,
        skipped: routed.skipped,
    }
}

/// What recording a report did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Recorded {
    pub opened: usize,
    pub escalated: usize,
    pub reminded: usize,
    pub suppressed: usize,
    pub resolved: usize,
    /// Deliveries added to the outbox.
    pub queued: usize,
}

/// Judges every result against its incident and queues the alerts that are due, in one
/// transaction: a crash leaves either all of a report's alerts queued or none, and a second run
/// at the same time waits and then sees the incidents this one opened.
pub fn record(
    runs: &[Run],
    registry: &Registry<'_>,
    settings: &Settings,
    store: &mut Store,
    now_ms: i64,
) -> Result<(Recorded, Vec<CheckPlan>)> {
    let _s = tracing::info_span!("record", runs = runs.len()).entered();
    let path = store.path().to_path_buf();
    let state = |source| Error::State { path: path.clone(), source };
    let mut stats = Recorded::default();
    let mut plans = Vec::new();
    let tx = store.immediate()?;
    let wall = outbox::now_ms();
    for run in registry.covered(runs)? {
        let doc = registry.contract(&run.report.contract)?;
        for row in &run.report.results {
            let fingerprint = route::fingerprint_of(run, row);
            let observed = match row.status {
                Status::Fail | Status::Warn | Status::Error => Some(
                    incident::fail(
                        &tx,
                        &run.report.contract,
                        &fingerprint,
                        row,
                        now_ms,
                        settings.cooldown.as_millis() as i64,
                    )
                    .map_err(state)?,
                ),
                Status::Pass => incident::pass(&tx, &fingerprint, now_ms).map_err(state)?,
                Status::Skipped => None,
            };
            let Some(observed) = observed else { continue };
            match observed.decision {
                Decision::Open => stats.opened += 1,
                Decision::Escalate => stats.escalated += 1,
                Decision::Remind => stats.reminded += 1,
                Decision::Suppress => stats.suppressed += 1,
                Decision::Resolve => stats.resolved += 1,
            }
            let event = if observed.decision == Decision::Resolve { Event::Resolve } else { Event::Trigger };
            let mut p =
                plan(run, row, doc, registry, settings, event, observed.severity, now_ms, Some(observed.decision));
            if !observed.decision.alerts() {
                p.alerts.clear();
            }
            if observed.decision == Decision::Resolve {
                let told = outbox::told(&tx, &fingerprint).map_err(state)?;
                p.alerts.retain(|a| told.iter().any(|t| t == a.alert.audience_str()));
            }
            for a in &p.alerts {
                for d in &a.deliveries {
                    let key = idempotency_key(&a.alert, &d.channel, observed.generation, observed.sequence);
                    let not_before = d.held_until.map_or(wall, |h| h.max(wall));
                    if outbox::enqueue(&tx, &a.alert, &d.channel, &key, not_before, wall).map_err(state)? {
                        stats.queued += 1;
                    }
                }
            }
            plans.push(p);
        }
    }
    tx.commit().map_err(state)?;
    Ok((stats, plans))
}

/// Stable for one alert of one incident on one channel: a resend after a lost acknowledgement
/// carries the same key, a new alert (reminder, escalation, resolution) a new one.
pub fn idempotency_key(alert: &Alert, channel: &str, generation: i64, sequence: i64) -> String {
    let text = format!(
        "{}\u{1f}{generation}\u{1f}{sequence}\u{1f}{}\u{1f}{}\u{1f}{channel}",
        alert.fingerprint,
        alert.event.as_str(),
        alert.audience_str()
    );
    let d = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    route::hex(&d.as_ref()[..16])
}
