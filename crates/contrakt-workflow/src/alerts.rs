//! [`Routes::route`], [`incidents`], [`deliveries`] and [`retry`]: a check report routed to the owners
//! and consumers of what failed, and the alert state (incidents, the outbox) read back and
//! retried. What `contrakt alerts route|list|retry` run, over the registry at `paths` and its
//! `alerts:` settings; `state` overrides where incidents and the outbox are kept.

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use contrakt_alert::incident::Incident;
pub use contrakt_alert::outbox::{Delivered, Row};
pub use contrakt_alert::report::Run;
use contrakt_alert::{Store, outbox};

use crate::check::{Alerting, Alerts};
use crate::error::{Error, Result};

/// The check runs of a report as `contrakt check --format json` writes it (its `reports`, or
/// one report); `name` says where it came from in errors.
pub fn parse_report(name: &str, text: &str) -> Result<Vec<Run>> {
    Ok(contrakt_alert::report::parse(name, text)?)
}

/// A registry's contracts, consumers and `alerts:` settings, read once: what check runs are
/// routed over.
pub struct Routes(contrakt_alert::run::Loaded);

impl Routes {
    /// Reads the registry at `paths` and its alert settings; `state` overrides where incidents
    /// and the outbox are kept.
    pub fn open(paths: &[PathBuf], state: Option<&Path>) -> Result<Routes> {
        Ok(Routes(contrakt_alert::run::load(paths, state, true)?))
    }

    /// Records the runs (check reports: [`parse_report`]) against
    /// the incidents, queues their alerts and delivers the outbox for up to the budget
    /// ([`Alerting::Notify`]); or plans the alerts without sending or recording anything
    /// ([`Alerting::DryRun`]). `now_ms` is the time incidents are judged at.
    pub fn route(&self, runs: &[Run], now_ms: i64, alerting: Alerting) -> Result<Alerts> {
        let (registry, settings) = (self.0.registry(), &self.0.settings);
        Ok(match alerting {
            Alerting::Notify(budget) => {
                Alerts::Notified(contrakt_alert::run::notify(runs, &registry, settings, now_ms, budget)?)
            }
            Alerting::DryRun | Alerting::Off => Alerts::Planned {
                plans: contrakt_alert::explain(runs, &registry, settings, now_ms)?,
                settings: Box::new(settings.clone()),
            },
        })
    }
}

/// The incidents of the alert state, open and resolved.
pub fn incidents(paths: &[PathBuf], state: Option<&Path>) -> Result<Vec<Incident>> {
    Ok(open(paths, state)?.0.incidents()?)
}

/// The deliveries of the outbox; with `failed`, only those given up (dead letters).
pub fn deliveries(paths: &[PathBuf], state: Option<&Path>, failed: bool) -> Result<Vec<Row>> {
    Ok(outbox::list(&open(paths, state)?.0, failed)?)
}

/// Queues the given-up deliveries `ids` (all of them when empty) again and delivers the outbox
/// for up to `budget`; returns how many were queued again and what delivering did.
pub fn retry(paths: &[PathBuf], state: Option<&Path>, ids: &[i64], budget: Duration) -> Result<(usize, Delivered)> {
    let (mut store, settings) = open(paths, state)?;
    let requeued = outbox::requeue(&mut store, ids)?;
    let delivered = outbox::deliver(&mut store, &settings, budget)?;
    Ok((requeued, delivered))
}

/// The alert state of the registry's settings (only the settings are read).
fn open(paths: &[PathBuf], state: Option<&Path>) -> Result<(Store, contrakt_alert::Settings)> {
    let loaded = contrakt_alert::run::load(paths, state, false)?;
    let store = Store::open(&loaded.settings.state).map_err(Error::from)?;
    Ok((store, loaded.settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_is_planned_without_recording_and_an_empty_state_reads_back_empty() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("alerts.db");
        let contracts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
        let report = r#"{"version": 1, "reports": [{"contract": "urn:contrakt:meal-kit:orders", "contract_version": "1.0.0",
            "file": "orders.odcs.yaml", "now": "2026-11-22T06:00:00Z", "passed": false, "duration_ms": 1,
            "summary": {"total": 1, "passed": 0, "failed": 1, "warned": 0, "errors": 0, "skipped": 0},
            "objects": [], "results": [{"id": "orders.order_id.not_null", "code": "Q201", "kind": "not_null",
            "object": "orders", "property": "order_id", "status": "fail", "severity": "error",
            "message": "2 rows are null", "failed_rows": 2, "total_rows": 10}]}]}"#;
        let runs = parse_report("report.json", report).unwrap();
        let paths = [contracts];
        let now = 1_795_000_000_000;
        let routes = Routes::open(&paths, Some(&state)).unwrap();
        let Alerts::Planned { plans, .. } = routes.route(&runs, now, Alerting::DryRun).unwrap() else {
            panic!("a dry run plans")
        };
        assert!(!plans.is_empty() && !state.exists(), "a dry run records nothing");
        // Delivering would write to the example registry's channels: the state is read back empty.
        let budget = Duration::from_secs(5);
        assert!(incidents(&paths, Some(&state)).unwrap().is_empty());
        assert!(deliveries(&paths, Some(&state), true).unwrap().is_empty());
        let (requeued, delivered) = retry(&paths, Some(&state), &[], budget).unwrap();
        assert_eq!(delivered.delivered + delivered.pending + delivered.dead, 0);
        assert_eq!(requeued, 0, "nothing was given up");
    }
}
