//! The SQLite backend. Schema versions are SQLite's `user_version`, migrated forward in order
//! inside an immediate transaction, so two first runs cannot both migrate.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Annotation, EventKind, Point, PublishEvent, Query, Run, RunSummary, ts};
use crate::{Error, Result};

/// Forward migrations; entry `i` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        contract TEXT NOT NULL,
        contract_version TEXT NOT NULL,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        passed INTEGER NOT NULL
     );
     CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        contract TEXT NOT NULL,
        object TEXT NOT NULL,
        property TEXT NOT NULL DEFAULT '',
        metric TEXT NOT NULL,
        partition TEXT NOT NULL DEFAULT '',
        at TEXT NOT NULL,
        value REAL NOT NULL
     );
     CREATE INDEX metrics_series ON metrics(contract, object, metric, property, at);
     CREATE TABLE annotations (
        id INTEGER PRIMARY KEY,
        contract TEXT NOT NULL,
        object TEXT NOT NULL DEFAULT '',
        metric TEXT NOT NULL DEFAULT '',
        at_from TEXT NOT NULL,
        at_to TEXT NOT NULL,
        note TEXT NOT NULL,
        created_at TEXT NOT NULL
     );",
    // 2: what `contrakt publish` did to each release.
    "CREATE TABLE publish_events (
        id INTEGER PRIMARY KEY,
        contract TEXT NOT NULL,
        contract_version TEXT NOT NULL,
        object TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL CHECK (kind IN ('publish', 'refuse', 'rollback')),
        run_id TEXT NOT NULL,
        from_version TEXT,
        to_version TEXT,
        staged TEXT,
        target TEXT NOT NULL,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        failed INTEGER NOT NULL DEFAULT 0,
        warned INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        reason TEXT
     );
     CREATE INDEX publish_events_by_contract ON publish_events(contract, at);",
    // 3: per-segment series of segmented checks (`contraktSegments`); '' is the whole object.
    "ALTER TABLE metrics ADD COLUMN segment TEXT NOT NULL DEFAULT '';",
];

pub(super) fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
    }
    let sql = |e: rusqlite::Error| Error::Store { path: path.to_path_buf(), message: e.to_string() };
    let mut conn = Connection::open(path).map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    // Switching a new file to WAL takes an exclusive lock that SQLite does not wait for (the
    // busy handler is not called there), so cron jobs that open a new store together can get
    // "database is locked" at once: retry, within the same bound as any other wait.
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => break other.map_err(sql)?,
        }
    }
    conn.pragma_update(None, "foreign_keys", "ON").map_err(sql)?;
    migrate(&mut conn).map_err(|e| match e {
        Error::Sql(m) => Error::Store { path: path.to_path_buf(), message: m },
        other => other,
    })?;
    Ok(conn)
}

/// Opens the store at `path` for reading only. A file that holds no store yet (it does not
/// exist, or is empty) is left as it is, and read as an empty store (an in-memory one with the
/// tables): looking must not create what it looks at. A store of an older schema is migrated,
/// as by any command, since the queries read the current one.
pub(super) fn open_read_only(path: &Path) -> Result<Connection> {
    let sql = |e: rusqlite::Error| Error::Store { path: path.to_path_buf(), message: e.to_string() };
    let holds_store = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    if holds_store {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let found = version(&conn).map_err(|e| match e {
            Error::Sql(m) => Error::Store { path: path.to_path_buf(), message: m },
            other => other,
        })?;
        if found == MIGRATIONS.len() {
            return Ok(conn);
        }
        if found > 0 {
            drop(conn);
            return open(path);
        }
    }
    let mut conn = Connection::open_in_memory().map_err(sql)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// How long a writer waits for another one (and an opener for another opener).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: usize = tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(Error::newer_schema(version, MIGRATIONS.len()));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version) {
        tracing::info!(to = i + 1, "migrating the history store");
        tx.execute_batch(m)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn version(conn: &Connection) -> Result<usize> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize)
}

pub(super) fn record(conn: &mut Connection, run: &Run) -> Result<i64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let at = ts(run.at);
    tx.execute(
        "INSERT INTO runs (contract, contract_version, at, recorded_at, passed) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run.contract, run.contract_version, at, ts(Utc::now()), run.passed],
    )?;
    let id = tx.last_insert_rowid();
    {
        let mut insert = tx.prepare(
            "INSERT INTO metrics (run_id, contract, object, property, metric, partition, segment, at, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for m in run.metrics.iter().filter(|m| m.value.is_finite()) {
            insert.execute(params![
                id,
                run.contract,
                m.object,
                m.property,
                m.metric,
                m.partition,
                m.segment,
                at,
                m.value
            ])?;
        }
    }
    tx.commit()?;
    Ok(id)
}

pub(super) fn annotate(conn: &mut Connection, a: &Annotation<'_>) -> Result<i64> {
    conn.execute(
        "INSERT INTO annotations (contract, object, metric, at_from, at_to, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![a.contract, a.object, a.metric, a.from, a.to, a.note, a.created_at],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn points(conn: &Connection, q: &Query) -> Result<Vec<Point>> {
    let mut stmt = conn.prepare(
        "SELECT m.run_id, m.contract, r.contract_version, m.object, m.property, m.metric, m.partition, m.at, m.value,
                m.segment,
                (SELECT a.note FROM annotations a
                  WHERE a.contract = m.contract AND (a.object = '' OR a.object = m.object)
                    AND (a.metric = '' OR a.metric = m.metric) AND m.at BETWEEN a.at_from AND a.at_to
                  ORDER BY a.id DESC LIMIT 1)
         FROM metrics m JOIN runs r ON r.id = m.run_id
         WHERE (?1 IS NULL OR m.contract = ?1) AND (?2 IS NULL OR m.object = ?2)
           AND (?3 IS NULL OR m.metric = ?3) AND (?4 IS NULL OR m.at >= ?4)
         ORDER BY m.at, m.run_id, m.object, m.metric, m.property, m.partition, m.segment",
    )?;
    let rows = stmt.query_map(params![q.contract, q.object, q.metric, q.since.map(ts)], |r| {
        Ok(Point {
            run_id: r.get(0)?,
            contract: r.get(1)?,
            contract_version: r.get(2)?,
            object: r.get(3)?,
            property: r.get(4)?,
            metric: r.get(5)?,
            partition: r.get(6)?,
            at: r.get(7)?,
            value: r.get(8)?,
            segment: r.get(9)?,
            expected: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(super) fn latest_runs(conn: &Connection) -> Result<Vec<RunSummary>> {
    let mut stmt = conn.prepare(LATEST_RUNS)?;
    let rows = stmt.query_map([], |r| {
        Ok(RunSummary {
            run_id: r.get(0)?,
            contract: r.get(1)?,
            contract_version: r.get(2)?,
            at: r.get(3)?,
            passed: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Each contract's latest run; the same SQL on both backends.
pub(super) const LATEST_RUNS: &str = "SELECT id, contract, contract_version, at, passed FROM runs r
     WHERE id = (SELECT id FROM runs l WHERE l.contract = r.contract ORDER BY l.at DESC, l.id DESC LIMIT 1)
     ORDER BY contract";

pub(super) fn runs(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).optional()?.unwrap_or(0))
}

pub(super) fn record_event(conn: &mut Connection, e: &PublishEvent) -> Result<i64> {
    conn.execute(
        "INSERT INTO publish_events (contract, contract_version, object, kind, run_id, from_version, to_version,
                                     staged, target, at, recorded_at, failed, warned, errors, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            e.contract,
            e.contract_version,
            e.object,
            e.kind.as_str(),
            e.run_id,
            e.from_version,
            e.to_version,
            e.staged,
            e.target,
            e.at,
            ts(Utc::now()),
            e.failed,
            e.warned,
            e.errors,
            e.reason
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn events(conn: &Connection, q: &Query) -> Result<Vec<PublishEvent>> {
    let mut stmt = conn.prepare(EVENTS)?;
    let rows = stmt.query_map(params![q.contract, q.object, q.since.map(ts)], |r| {
        let kind: String = r.get(4)?;
        Ok(PublishEvent {
            id: r.get(0)?,
            contract: r.get(1)?,
            contract_version: r.get(2)?,
            object: r.get(3)?,
            kind: EventKind::parse(&kind).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, kind.into())
            })?,
            run_id: r.get(5)?,
            from_version: r.get(6)?,
            to_version: r.get(7)?,
            staged: r.get(8)?,
            target: r.get(9)?,
            at: r.get(10)?,
            failed: r.get(11)?,
            warned: r.get(12)?,
            errors: r.get(13)?,
            reason: r.get(14)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

const EVENTS: &str = "SELECT id, contract, contract_version, object, kind, run_id, from_version, to_version,
            staged, target, at, failed, warned, errors, reason
     FROM publish_events
     WHERE (?1 IS NULL OR contract = ?1) AND (?2 IS NULL OR object = ?2) AND (?3 IS NULL OR at >= ?3)
     ORDER BY at, id";
