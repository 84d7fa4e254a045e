//! The durable outbox. Every delivery is a row before anything is sent; a sender leases rows
//! (so two runs never send the same one), marks them delivered only on success, and otherwise
//! schedules a retry with exponential backoff and jitter (or the receiver's `Retry-After`),
//! until a permanent failure or `give-up-after` moves the row to the dead letters.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::alert::Alert;
use crate::channel::{self, Outcome};
use crate::config::Settings;
use crate::error::Result;
use crate::store::Store;

/// Rows claimed at once. The lease (`alerts.lease`, default 60 s) must outlast a batch's sends
/// (4 × `alerts.timeout`, default 10 s) and is short enough that rows a killed run had claimed go out
/// with a run a minute later. A send that outlives its lease may be repeated: receivers see the
/// same idempotency key.
const BATCH: usize = 4;

/// Wall-clock milliseconds: when deliveries are due is real time, even under `--now`.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Adds a delivery unless one with the same key exists (a rerun of the same decision).
/// Returns whether a row was added.
pub fn enqueue(
    tx: &Transaction<'_>,
    alert: &Alert,
    channel: &str,
    key: &str,
    not_before: i64,
    now: i64,
) -> rusqlite::Result<bool> {
    let payload = serde_json::to_string(alert).unwrap_or_default();
    let n = tx.execute(
        "INSERT OR IGNORE INTO deliveries (key, channel, fingerprint, event, audience, title, payload, state,
            created_at, not_before)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9)",
        params![
            key,
            channel,
            alert.fingerprint,
            alert.event.as_str(),
            alert.audience_str(),
            alert.title,
            payload,
            now,
            not_before.max(now)
        ],
    )?;
    Ok(n == 1)
}

/// The audiences alerted (queued at least) since the fingerprint's last resolution: a
/// resolution tells them and no one else (consumers never hear of a check that could not run,
/// so they are not told it runs again).
pub fn told(tx: &Transaction<'_>, fingerprint: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = tx.prepare(
        "SELECT DISTINCT audience FROM deliveries WHERE fingerprint = ?1 AND event = 'trigger'
            AND id > COALESCE((SELECT MAX(id) FROM deliveries WHERE fingerprint = ?1 AND event = 'resolve'), 0)",
    )?;
    let rows = stmt.query_map([fingerprint], |r| r.get(0))?;
    rows.collect()
}

struct Claimed {
    id: i64,
    key: String,
    channel: String,
    payload: String,
    attempts: i64,
    created_at: i64,
}

fn claim(store: &mut Store, owner: &str, now: i64, lease_ms: i64) -> Result<Vec<Claimed>> {
    let path = store.path().to_path_buf();
    let state = |source| crate::error::Error::State { path: path.clone(), source };
    let tx = store.immediate()?;
    let claimed = {
        let mut stmt = tx
            .prepare(
                "SELECT id, key, channel, payload, attempts, created_at FROM deliveries
                 WHERE state = 'pending' AND not_before <= ?1 AND (lease_until IS NULL OR lease_until < ?1)
                 ORDER BY not_before, id LIMIT ?2",
            )
            .map_err(state)?;
        let rows = stmt
            .query_map(params![now, BATCH as i64], |r| {
                Ok(Claimed {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    channel: r.get(2)?,
                    payload: r.get(3)?,
                    attempts: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })
            .map_err(state)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(state)?
    };
    for c in &claimed {
        tx.execute(
            "UPDATE deliveries SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1",
            params![c.id, owner, now + lease_ms],
        )
        .map_err(state)?;
    }
    tx.commit().map_err(state)?;
    Ok(claimed)
}

/// The wait before attempt `attempts + 1`: doubling from `min_backoff`, capped, with jitter
/// over the upper half so a crowd of retries spreads out.
pub fn backoff(settings: &Settings, attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 30) as u32 - 1;
    let base = settings.min_backoff.saturating_mul(2u32.saturating_pow(exp)).min(settings.max_backoff);
    let half = base / 2;
    half + Duration::from_nanos(fastrand::u64(0..=half.as_nanos().min(u64::MAX as u128) as u64))
}

fn record(store: &mut Store, c: &Claimed, owner: &str, outcome: &Outcome, settings: &Settings) -> Result<()> {
    let now = now_ms();
    let attempts = c.attempts + 1;
    let r = match outcome {
        Outcome::Delivered => store.conn.execute(
            "UPDATE deliveries SET state = 'delivered', attempts = ?3, delivered_at = ?4, lease_owner = NULL,
                lease_until = NULL, last_error = NULL WHERE id = ?1 AND lease_owner = ?2",
            params![c.id, owner, attempts, now],
        ),
        Outcome::Retry { error, after } => {
            let gave_up = now - c.created_at >= settings.give_up_after.as_millis() as i64;
            if gave_up {
                let error = format!("gave up after {attempts} attempts: {error}");
                dead(store, c.id, owner, attempts, &error)
            } else {
                let wait = after.unwrap_or_else(|| backoff(settings, attempts));
                store.conn.execute(
                    "UPDATE deliveries SET attempts = ?3, not_before = ?4, last_error = ?5, lease_owner = NULL,
                        lease_until = NULL WHERE id = ?1 AND lease_owner = ?2",
                    params![c.id, owner, attempts, now + wait.as_millis() as i64, error],
                )
            }
        }
        Outcome::Dead { error } => dead(store, c.id, owner, attempts, error),
    };
    r.map(|_| ()).map_err(|e| store.err(e))
}

fn dead(store: &Store, id: i64, owner: &str, attempts: i64, error: &str) -> rusqlite::Result<usize> {
    store.conn.execute(
        "UPDATE deliveries SET state = 'dead', attempts = ?3, last_error = ?4, lease_owner = NULL, lease_until = NULL
         WHERE id = ?1 AND lease_owner = ?2",
        params![id, owner, attempts, error],
    )
}

/// What a delivery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Delivered {
    pub delivered: usize,
    /// Failed attempts that will be retried.
    pub retried: usize,
    /// Deliveries given up in this run.
    pub dead: usize,
    /// Still waiting in the outbox when the run ended.
    pub pending: usize,
}

/// Sends what is due, retrying within `budget`; whatever is left waits for the next run.
pub fn deliver(store: &mut Store, settings: &Settings, budget: Duration) -> Result<Delivered> {
    let _s = tracing::info_span!("deliver").entered();
    let owner = format!("{}-{:016x}", std::process::id(), fastrand::u64(..));
    let deadline = Instant::now() + budget;
    let agent = channel::agent(settings.timeout);
    let mut stats = Delivered::default();
    loop {
        let batch = claim(store, &owner, now_ms(), settings.lease.as_millis() as i64)?;
        if batch.is_empty() {
            let next: Option<i64> = store
                .conn
                .query_row(
                    "SELECT MIN(not_before) FROM deliveries WHERE state = 'pending' AND not_before > ?1",
                    [now_ms()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| store.err(e))?
                .flatten();
            let Some(next) = next else { break };
            let wait = Duration::from_millis((next - now_ms()).max(1) as u64);
            if Instant::now() + wait > deadline {
                break;
            }
            std::thread::sleep(wait);
            continue;
        }
        let mut out_of_time = false;
        for c in &batch {
            if out_of_time || Instant::now() > deadline {
                out_of_time = true;
                // Hand the row back instead of holding its lease until it expires.
                store
                    .conn
                    .execute(
                        "UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE id = ?1 AND lease_owner = ?2",
                        params![c.id, owner],
                    )
                    .map_err(|e| store.err(e))?;
                continue;
            }
            let outcome = match (settings.channel(&c.channel), serde_json::from_str::<Alert>(&c.payload)) {
                (Some(ch), Ok(alert)) => channel::send(&agent, ch, settings, &alert, &c.key),
                (None, _) => Outcome::Dead { error: format!("channel `{}` is no longer configured", c.channel) },
                (_, Err(e)) => Outcome::Dead { error: format!("unreadable payload: {e}") },
            };
            match &outcome {
                Outcome::Delivered => stats.delivered += 1,
                Outcome::Retry { error, .. } => {
                    tracing::warn!(channel = %c.channel, attempt = c.attempts + 1, "delivery failed, will retry: {error}");
                    stats.retried += 1;
                }
                Outcome::Dead { error } => {
                    tracing::warn!(channel = %c.channel, "delivery given up: {error}");
                    stats.dead += 1;
                }
            }
            record(store, c, &owner, &outcome, settings)?;
        }
        if out_of_time {
            break;
        }
    }
    stats.pending = store
        .conn
        .query_row("SELECT COUNT(*) FROM deliveries WHERE state = 'pending'", [], |r| r.get::<_, i64>(0))
        .map_err(|e| store.err(e))? as usize;
    Ok(stats)
}

/// One row of the outbox, as `alerts list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: i64,
    pub state: String,
    pub channel: String,
    pub event: String,
    pub audience: String,
    pub fingerprint: String,
    pub title: String,
    pub attempts: i64,
    pub created_at: i64,
    pub not_before: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    pub key: String,
}

/// The outbox, oldest first; only dead letters when `failed`.
pub fn list(store: &Store, failed: bool) -> Result<Vec<Row>> {
    let sql = format!(
        "SELECT id, state, channel, event, audience, fingerprint, title, attempts, created_at, not_before, last_error,
            delivered_at, key FROM deliveries {} ORDER BY id",
        if failed { "WHERE state = 'dead'" } else { "" }
    );
    let read = || -> rusqlite::Result<Vec<Row>> {
        let mut stmt = store.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok(Row {
                id: r.get(0)?,
                state: r.get(1)?,
                channel: r.get(2)?,
                event: r.get(3)?,
                audience: r.get(4)?,
                fingerprint: r.get(5)?,
                title: r.get(6)?,
                attempts: r.get(7)?,
                created_at: r.get(8)?,
                not_before: r.get(9)?,
                last_error: r.get(10)?,
                delivered_at: r.get(11)?,
                key: r.get(12)?,
            })
        })?;
        rows.collect()
    };
    read().map_err(|e| store.err(e))
}

/// Puts dead letters (all, or those ids) back in the queue, due now, with a fresh give-up
/// clock. Returns how many.
pub fn requeue(store: &mut Store, ids: &[i64]) -> Result<usize> {
    let now = now_ms();
    let n = if ids.is_empty() {
        store.conn.execute(
            "UPDATE deliveries SET state = 'pending', not_before = ?1, created_at = ?1, lease_owner = NULL,
                lease_until = NULL WHERE state = 'dead'",
            [now],
        )
    } else {
        let mut n = 0;
        for id in ids {
            n += store
                .conn
                .execute(
                    "UPDATE deliveries SET state = 'pending', not_before = ?1, created_at = ?1, lease_owner = NULL,
                        lease_until = NULL WHERE state = 'dead' AND id = ?2",
                    params![now, id],
                )
                .map_err(|e| store.err(e))?;
        }
        Ok(n)
    };
    n.map_err(|e| store.err(e))
}
