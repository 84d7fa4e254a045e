//! Alerts for checks just run: the registry around the contracts checked (its contracts,
//! consumers and the `alerts:` settings of its contrakt.yaml), and the reports recorded against
//! the incidents and delivered. `contrakt run`, `check --notify`, `alerts route` and the Python
//! package's `check(..., notify=True)` all go through here, so they alert alike.

use std::path::{Path, PathBuf};
use std::time::Duration;

use contrakt_core::consumer::{self, Consumer};
use contrakt_core::expect::outcome::CheckReport;
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::registry;
use serde::Serialize;

use crate::config::Settings;
use crate::error::Result;
use crate::outbox::{self, Delivered};
use crate::pipeline::{CheckPlan, Recorded, Registry, record};
use crate::report::{self, Run};
use crate::store::Store;

/// How long a check waits for its alerts to be delivered (retries included) before leaving the
/// rest in the outbox for the next run.
pub const CHECK_DELIVERY_BUDGET: Duration = Duration::from_secs(30);

/// The registry's contracts, consumers and alert settings.
pub struct Loaded {
    pub contracts: Vec<ContractDocument>,
    pub consumers: Vec<Consumer>,
    pub settings: Settings,
}

impl Loaded {
    pub fn registry(&self) -> Registry<'_> {
        Registry { contracts: &self.contracts, consumers: &self.consumers }
    }
}

/// Reads the registry `paths` name (contract files or folders) and its alert settings; `state`
/// overrides where incidents and the outbox are kept. Without `need_registry` only the settings
/// are read (contracts and consumers are left empty).
pub fn load(paths: &[PathBuf], state: Option<&Path>, need_registry: bool) -> Result<Loaded> {
    let _s = tracing::info_span!("discover", paths = paths.len()).entered();
    let found = registry::discover(paths)?;
    if need_registry && let Some(e) = found.errors.into_iter().next() {
        return Err(e.into());
    }
    let contracts = if need_registry {
        found.contracts.into_iter().map(odcs::load_document).collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    let mut consumers: Vec<Consumer> = if need_registry {
        found.consumers.into_iter().map(|d| consumer::load_document(d).map(|c| c.consumer)).collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    // A contract file named on its own still has its registry's consumers.
    if need_registry && !found.roots.is_empty() {
        let around = registry::discover(&found.roots)?;
        for d in around.consumers {
            let c = consumer::load_document(d)?.consumer;
            if !consumers.iter().any(|k| k.id == c.id) {
                consumers.push(c);
            }
        }
    }
    let (settings, root) = match found.config {
        Some((path, config)) => {
            let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let source = registry::read_source(&path)?;
            (crate::config::resolve(&config.alerts, &root, Some(&source))?, root)
        }
        None => {
            let root = paths.first().map_or_else(
                || PathBuf::from("."),
                |p| {
                    if p.is_dir() { p.clone() } else { p.parent().map(Path::to_path_buf).unwrap_or_default() }
                },
            );
            (crate::config::resolve(&Default::default(), &root, None)?, root)
        }
    };
    let mut settings = settings;
    if let Some(s) = state {
        settings.state = s.to_path_buf();
    }
    tracing::debug!(root = %root.display(), state = %settings.state.display(), "alert settings");
    Ok(Loaded { contracts, consumers, settings })
}

/// What routing a report did: incidents changed, deliveries made, and the dead letters left.
#[derive(Debug, Clone, Serialize)]
pub struct Notified {
    pub recorded: Recorded,
    #[serde(skip)]
    pub plans: Vec<CheckPlan>,
    pub delivered: Delivered,
    #[serde(skip)]
    pub dead_letters: Vec<outbox::Row>,
}

impl Notified {
    /// The summary `contrakt run` prints: incidents changed and deliveries made.
    pub fn summary(&self) -> String {
        let Recorded { opened, escalated, reminded, suppressed, resolved, queued } = &self.recorded;
        let d = &self.delivered;
        let mut s = format!(
            "alerts: {} checks changed incidents: {opened} opened, {escalated} escalated, {reminded} reminded, {resolved} resolved, {suppressed} unchanged within the cool-down; {queued} deliveries queued\n",
            self.plans.len()
        );
        s.push_str(&format!(
            "delivered {}, failed attempts {}, given up {}, still pending {}\n",
            d.delivered, d.retried, d.dead, d.pending
        ));
        if !self.dead_letters.is_empty() {
            s.push_str(&format!(
                "{} dead letters: `contrakt alerts list --failed` shows them, `contrakt alerts retry` resends\n",
                self.dead_letters.len()
            ));
        }
        s
    }

    /// Every delivery of this run went out (none pending, none given up).
    pub fn all_delivered(&self) -> bool {
        self.delivered.pending == 0 && self.delivered.dead == 0
    }
}

/// Records the runs against the incidents, queues their alerts and delivers the outbox, retrying
/// for up to `budget`; what is left waits in the outbox for the next run.
pub fn notify(
    runs: &[Run],
    registry: &Registry<'_>,
    settings: &Settings,
    now_ms: i64,
    budget: Duration,
) -> Result<Notified> {
    let mut store = Store::open(&settings.state)?;
    let (recorded, plans) = record(runs, registry, settings, &mut store, now_ms)?;
    let delivered = outbox::deliver(&mut store, settings, budget)?;
    let dead_letters = outbox::list(&store, true)?;
    Ok(Notified { recorded, plans, delivered, dead_letters })
}

/// Alerts for check reports of the contracts at `paths`, routed by their registry's settings.
/// `stdout` channels write to standard error: standard output holds the caller's report.
pub fn notify_checks(paths: &[PathBuf], reports: &[CheckReport], now_ms: i64, budget: Duration) -> Result<Notified> {
    let _s = tracing::info_span!("alert", reports = reports.len()).entered();
    let runs: Vec<Run> = reports.iter().map(report::from_report).collect();
    let mut loaded = load(paths, None, true)?;
    loaded.settings.stdout_to_stderr = true;
    notify(&runs, &loaded.registry(), &loaded.settings, now_ms, budget)
}
