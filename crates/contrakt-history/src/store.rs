//! The metrics store: an embedded SQLite file (WAL, so readers never block the writer, and a
//! busy timeout, so concurrent cron jobs queue instead of failing). A run and its metrics go in
//! one transaction: a run is recorded whole or not at all. Schema versions are SQLite's
//! `user_version`, migrated forward in order.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::{Error, Result};

/// Forward migrations; entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &["CREATE TABLE runs (
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
     );"];

/// One measured value of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub object: String,
    /// Empty for object-level metrics.
    pub property: String,
    /// `rowCount`, `duration`, or a check id.
    pub metric: String,
    pub partition: String,
    pub value: f64,
}

/// A run to record: its reference time (`--now`) orders the history.
#[derive(Debug, Clone)]
pub struct Run {
    pub contract: String,
    pub contract_version: String,
    pub at: DateTime<Utc>,
    pub passed: bool,
    pub metrics: Vec<Metric>,
}

/// A recorded value, as `contrakt history` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub run_id: i64,
    pub contract: String,
    pub contract_version: String,
    pub object: String,
    pub property: String,
    pub metric: String,
    pub partition: String,
    pub at: String,
    pub value: f64,
    /// The note of an annotation covering this point: an expected event, left out of baselines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}

/// A recorded run, without its metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub run_id: i64,
    pub contract: String,
    pub contract_version: String,
    pub at: String,
    /// Whether the run passed its gate (no check failed at severity error).
    pub passed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub contract: Option<String>,
    pub object: Option<String>,
    pub metric: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

pub struct Store {
    conn: Connection,
}

fn ts(t: DateTime<Utc>) -> String {
    // Fixed width, so text order is time order in SQL.
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Store {
    /// Opens (creating it and its folder) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.to_path_buf(), source: e })?;
        }
        let sql = |e: rusqlite::Error| Error::Store { path: path.to_path_buf(), message: e.to_string() };
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sql)?;
        let mut store = Store { conn };
        store.migrate().map_err(|e| match e {
            Error::Sql(m) => Error::Store { path: path.to_path_buf(), message: m },
            other => other,
        })?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: usize = tx.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize;
        if version > MIGRATIONS.len() {
            return Err(Error::Sql(format!(
                "the store has schema version {version}, newer than this contrakt knows ({}); upgrade contrakt",
                MIGRATIONS.len()
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version) {
            tracing::info!(to = i + 1, "migrating the history store");
            tx.execute_batch(m)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a run and all its metrics in one transaction; returns the run's id.
    pub fn record(&mut self, run: &Run) -> Result<i64> {
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let at = ts(run.at);
        tx.execute(
            "INSERT INTO runs (contract, contract_version, at, recorded_at, passed) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![run.contract, run.contract_version, at, ts(Utc::now()), run.passed],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO metrics (run_id, contract, object, property, metric, partition, at, value)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for m in run.metrics.iter().filter(|m| m.value.is_finite()) {
                insert.execute(params![id, run.contract, m.object, m.property, m.metric, m.partition, at, m.value])?;
            }
        }
        tx.commit()?;
        Ok(id)
    }

    /// Marks a time range of a contract's metrics (one object or metric, or all) as expected.
    pub fn annotate(
        &mut self,
        contract: &str,
        object: Option<&str>,
        metric: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        note: &str,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO annotations (contract, object, metric, at_from, at_to, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![contract, object.unwrap_or(""), metric.unwrap_or(""), ts(from), ts(to), note, ts(Utc::now())],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Recorded points, oldest first.
    pub fn points(&self, q: &Query) -> Result<Vec<Point>> {
        let mut stmt = self.conn.prepare(
            "SELECT m.run_id, m.contract, r.contract_version, m.object, m.property, m.metric, m.partition, m.at, m.value,
                    (SELECT a.note FROM annotations a
                      WHERE a.contract = m.contract AND (a.object = '' OR a.object = m.object)
                        AND (a.metric = '' OR a.metric = m.metric) AND m.at BETWEEN a.at_from AND a.at_to
                      ORDER BY a.id DESC LIMIT 1)
             FROM metrics m JOIN runs r ON r.id = m.run_id
             WHERE (?1 IS NULL OR m.contract = ?1) AND (?2 IS NULL OR m.object = ?2)
               AND (?3 IS NULL OR m.metric = ?3) AND (?4 IS NULL OR m.at >= ?4)
             ORDER BY m.at, m.run_id, m.object, m.metric, m.property",
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
                expected: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// One metric's history for a baseline, oldest first, before `before`, without points
    /// annotated as expected.
    pub fn series(
        &self,
        contract: &str,
        object: &str,
        metric: &str,
        property: &str,
        before: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, f64)>> {
        let q = Query {
            contract: Some(contract.into()),
            object: Some(object.into()),
            metric: Some(metric.into()),
            since: None,
        };
        let cutoff = ts(before);
        Ok(self
            .points(&q)?
            .into_iter()
            .filter(|p| p.property == property && p.expected.is_none() && p.at < cutoff)
            .filter_map(|p| Some((DateTime::parse_from_rfc3339(&p.at).ok()?.with_timezone(&Utc), p.value)))
            .collect())
    }

    /// Each contract's latest run (by reference time, then by id), in contract order.
    pub fn latest_runs(&self) -> Result<Vec<RunSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, contract, contract_version, at, passed FROM runs r
             WHERE id = (SELECT id FROM runs l WHERE l.contract = r.contract ORDER BY l.at DESC, l.id DESC LIMIT 1)
             ORDER BY contract",
        )?;
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

    /// The number of runs recorded.
    pub fn runs(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0)).optional()?.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn run(at: DateTime<Utc>, rows: f64) -> Run {
        Run {
            contract: "urn:c".into(),
            contract_version: "1.0.0".into(),
            at,
            passed: true,
            metrics: vec![
                Metric {
                    object: "orders".into(),
                    property: String::new(),
                    metric: "rowCount".into(),
                    partition: String::new(),
                    value: rows,
                },
                Metric {
                    object: "orders".into(),
                    property: "x".into(),
                    metric: "nan".into(),
                    partition: String::new(),
                    value: f64::NAN,
                },
            ],
        }
    }

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap() + chrono::Duration::days(d)
    }

    #[test]
    fn concurrent_writers_lose_no_run() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("deep/history.db");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // Each writer its own connection, as separate cron jobs would have.
                    let mut store = Store::open(&path).unwrap();
                    for i in 0..25 {
                        store.record(&run(day(i), (w * 100 + i) as f64)).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.runs().unwrap(), 100);
        let points = store.points(&Query::default()).unwrap();
        assert_eq!(points.len(), 100, "one finite metric per run; NaN is not recorded");
        assert!(points.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
    }

    #[test]
    fn annotated_points_stay_out_of_the_series() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("h.db")).unwrap();
        for d in 0..10 {
            store.record(&run(day(d), if d == 4 { 1.0 } else { 100.0 })).unwrap();
        }
        store.annotate("urn:c", Some("orders"), Some("rowCount"), day(4), day(4), "backfill outage").unwrap();
        let series = store.series("urn:c", "orders", "rowCount", "", day(10)).unwrap();
        assert_eq!(series.len(), 9);
        assert!(series.iter().all(|(_, v)| *v == 100.0));
        let all = store.points(&Query { metric: Some("rowCount".into()), ..Query::default() }).unwrap();
        assert_eq!(all.iter().filter(|p| p.expected.as_deref() == Some("backfill outage")).count(), 1);
        // Only points before the cutoff: a run is never its own baseline.
        assert_eq!(store.series("urn:c", "orders", "rowCount", "", day(3)).unwrap().len(), 3);
    }

    #[test]
    fn latest_runs_are_the_latest_by_reference_time() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("h.db")).unwrap();
        store.record(&run(day(3), 1.0)).unwrap();
        // Recorded later, but for an earlier day (a backfill): not the latest.
        store.record(&Run { passed: false, ..run(day(1), 1.0) }).unwrap();
        store.record(&Run { contract: "urn:b".into(), passed: false, ..run(day(0), 1.0) }).unwrap();
        let latest = store.latest_runs().unwrap();
        let seen: Vec<_> = latest.iter().map(|r| (r.contract.as_str(), r.run_id, r.passed)).collect();
        assert_eq!(seen, [("urn:b", 3, false), ("urn:c", 1, true)]);
    }

    #[test]
    fn migrations_are_idempotent_and_a_newer_store_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("h.db");
        Store::open(&path).unwrap().record(&run(day(0), 1.0)).unwrap();
        assert_eq!(Store::open(&path).unwrap().runs().unwrap(), 1, "reopening keeps the data");
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Store::open(&path).err().expect("a newer schema is refused").to_string();
        assert!(err.contains("schema version 99") && err.contains("h.db"), "{err}");
    }
}
