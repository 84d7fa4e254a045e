//! Incidents: one per fingerprint while a check keeps failing. The same failure on a later run
//! updates the incident without a new alert until the cool-down has passed; a rise in
//! severity alerts at once; a pass resolves it (and is told).

use contrakt_core::Level;
use rusqlite::{OptionalExtension, Transaction, params};

use contrakt_core::expect::CheckResult;

/// What a run's result does to its incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// No open incident: open one and alert.
    Open,
    /// Open, and the severity rose: alert again.
    Escalate,
    /// Open, still failing, and the cool-down since the last alert has passed: remind.
    Remind,
    /// Open and alerted within the cool-down: no alert.
    Suppress,
    /// Open, and the check passed: resolve and tell.
    Resolve,
}

impl Decision {
    pub fn alerts(self) -> bool {
        !matches!(self, Decision::Suppress)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Open => "opened",
            Decision::Escalate => "escalated",
            Decision::Remind => "reminded",
            Decision::Suppress => "suppressed",
            Decision::Resolve => "resolved",
        }
    }
}

/// The decision and the incident's identity for idempotency keys: (generation, alert number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub decision: Decision,
    pub generation: i64,
    pub sequence: i64,
    /// The severity the incident was last alerted at (routes judge a resolution by it).
    pub severity: Level,
}

fn rank(l: Level) -> i64 {
    match l {
        Level::Info => 0,
        Level::Warning => 1,
        Level::Error => 2,
    }
}

fn level(rank: i64) -> Level {
    match rank {
        0 => Level::Info,
        1 => Level::Warning,
        _ => Level::Error,
    }
}

/// Records a failing result.
pub fn fail(
    tx: &Transaction<'_>,
    contract: &str,
    fingerprint: &str,
    row: &CheckResult,
    now_ms: i64,
    cooldown_ms: i64,
) -> rusqlite::Result<Observed> {
    let sev = rank(row.severity);
    let current: Option<(String, i64, i64, i64, i64)> = tx
        .query_row(
            "SELECT state, severity, generation, alerts, last_alerted FROM incidents WHERE fingerprint = ?1",
            [fingerprint],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    match current {
        Some((state, severity, generation, alerts, last_alerted)) if state == "open" => {
            let decision = if sev > severity {
                Decision::Escalate
            } else if now_ms - last_alerted >= cooldown_ms {
                Decision::Remind
            } else {
                Decision::Suppress
            };
            if decision.alerts() {
                tx.execute(
                    "UPDATE incidents SET severity = ?2, alerts = alerts + 1, occurrences = occurrences + 1,
                     last_seen = ?3, last_alerted = ?3 WHERE fingerprint = ?1",
                    params![fingerprint, sev.max(severity), now_ms],
                )?;
            } else {
                tx.execute(
                    "UPDATE incidents SET occurrences = occurrences + 1, last_seen = ?2 WHERE fingerprint = ?1",
                    params![fingerprint, now_ms],
                )?;
            }
            let sequence = if decision.alerts() { alerts + 1 } else { alerts };
            Ok(Observed { decision, generation, sequence, severity: level(sev.max(severity)) })
        }
        previous => {
            let generation = previous.map_or(1, |p| p.2 + 1);
            tx.execute(
                "INSERT INTO incidents (fingerprint, contract, object, check_id, state, severity, generation,
                    alerts, occurrences, opened_at, last_seen, last_alerted, resolved_at)
                 VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?6, 1, 1, ?7, ?7, ?7, NULL)
                 ON CONFLICT (fingerprint) DO UPDATE SET state = 'open', severity = ?5, generation = ?6,
                    alerts = 1, occurrences = 1, opened_at = ?7, last_seen = ?7, last_alerted = ?7, resolved_at = NULL",
                params![fingerprint, contract, row.object, row.id, sev, generation, now_ms],
            )?;
            Ok(Observed { decision: Decision::Open, generation, sequence: 1, severity: row.severity })
        }
    }
}

/// Records a passing result: resolves an open incident, if there is one.
pub fn pass(tx: &Transaction<'_>, fingerprint: &str, now_ms: i64) -> rusqlite::Result<Option<Observed>> {
    let open: Option<(i64, i64, i64)> = tx
        .query_row(
            "SELECT severity, generation, alerts FROM incidents WHERE fingerprint = ?1 AND state = 'open'",
            [fingerprint],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((severity, generation, alerts)) = open else { return Ok(None) };
    tx.execute(
        "UPDATE incidents SET state = 'resolved', resolved_at = ?2, last_seen = ?2 WHERE fingerprint = ?1",
        params![fingerprint, now_ms],
    )?;
    Ok(Some(Observed { decision: Decision::Resolve, generation, sequence: alerts + 1, severity: level(severity) }))
}

/// An incident as `alerts list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Incident {
    pub fingerprint: String,
    pub contract: String,
    pub object: String,
    pub check: String,
    pub state: String,
    pub severity: &'static str,
    pub alerts: i64,
    pub occurrences: i64,
    pub opened_at: i64,
    pub last_seen: i64,
}

pub fn list(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<Incident>> {
    let mut stmt = conn.prepare(
        "SELECT fingerprint, contract, object, check_id, state, severity, alerts, occurrences, opened_at, last_seen
         FROM incidents ORDER BY state = 'resolved', opened_at, fingerprint",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Incident {
            fingerprint: r.get(0)?,
            contract: r.get(1)?,
            object: r.get(2)?,
            check: r.get(3)?,
            state: r.get(4)?,
            severity: level(r.get(5)?).as_str(),
            alerts: r.get(6)?,
            occurrences: r.get(7)?,
            opened_at: r.get(8)?,
            last_seen: r.get(9)?,
        })
    })?;
    rows.collect()
}
