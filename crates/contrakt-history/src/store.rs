//! The metrics store, in one of two backends behind [`Store`]:
//!
//! - an embedded SQLite file (the default): WAL, so readers never block the writer, and a busy
//!   timeout, so concurrent cron jobs queue instead of failing;
//! - a PostgreSQL database (`postgres://…`), for cron jobs on several machines.
//!
//! Both hold the same tables with the same meaning, migrated forward by numbered versions, and
//! record a run and its metrics in one transaction: a run is recorded whole or not at all.
//! Times are stored as fixed-width RFC 3339 text in UTC, so text order is time order and both
//! backends read back byte-identical points.

mod postgresql;
mod sqlite;

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Error, Result};

/// One measured value of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metric {
    pub object: String,
    /// Empty for object-level metrics.
    pub property: String,
    /// `rowCount`, `duration`, or a check id.
    pub metric: String,
    pub partition: String,
    /// The segment of a segmented check (`country=FR`), empty for the whole object: each
    /// segment is a series of its own.
    pub segment: String,
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
    /// The segment of a segmented check's value (`country=FR`); empty for the whole object.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub segment: String,
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

/// What `contrakt publish` did to a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// An audited release became the one readers get.
    Publish,
    /// A release was not published: its audit (or canary) failed, or moving it failed.
    Refuse,
    /// Readers were pointed back at the previous release.
    Rollback,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Publish => "publish",
            EventKind::Refuse => "refuse",
            EventKind::Rollback => "rollback",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        [EventKind::Publish, EventKind::Refuse, EventKind::Rollback].into_iter().find(|k| k.as_str() == s)
    }
}

/// One publish, refusal or rollback, as `contrakt history --events` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishEvent {
    /// The store's id; ignored when recording.
    pub id: i64,
    pub contract: String,
    pub contract_version: String,
    /// The schema object published (empty when unknown, as for a rollback of an old pointer).
    pub object: String,
    #[serde(rename = "event")]
    pub kind: EventKind,
    /// The publish run; its release folder is `v=<run id>`.
    pub run_id: String,
    /// The release readers got before the event and after it (the same one for a refusal).
    pub from_version: Option<String>,
    pub to_version: Option<String>,
    /// Where the staged data was (none for a rollback) and where it is published; recorded
    /// with any credentials in them masked.
    pub staged: Option<String>,
    pub target: String,
    /// When it happened (wall clock), as [`timestamp`] writes it.
    pub at: String,
    /// The audit's failed checks (at any severity that fails), warnings, and checks that
    /// could not run.
    pub failed: i64,
    pub warned: i64,
    pub errors: i64,
    /// Why a release was refused, or why publishing it failed.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Query {
    pub contract: Option<String>,
    pub object: Option<String>,
    pub metric: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

/// Where a store lives: a file path, or a PostgreSQL URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres {
        /// `postgres://user@host:port/database?options`; a password in it is used, but better
        /// left out and given through `password_env`.
        url: String,
        /// The environment variable holding the password when the URL has none
        /// (default `PGPASSWORD`, as for `psql`).
        password_env: Option<String>,
    },
}

impl Location {
    /// `postgres://…` or `postgresql://…` is a PostgreSQL database; anything else a file.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres { url: s.to_string(), password_env: None }
        } else {
            Location::File(PathBuf::from(s))
        }
    }

    /// A path given on the command line (file names need not be UTF-8; URLs are).
    pub fn from_path(p: &Path) -> Location {
        match p.to_str() {
            Some(s) => Location::parse(s),
            None => Location::File(p.to_path_buf()),
        }
    }

    /// Names the environment variable with the password (PostgreSQL only).
    pub fn with_password_env(self, env: Option<String>) -> Location {
        match self {
            Location::Postgres { url, .. } => Location::Postgres { url, password_env: env },
            file => file,
        }
    }
}

/// Shown without a password, so errors and logs can name the store.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Postgres { url, .. } => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

/// `url` with its password and credential parameters masked: contrakt's one redaction
/// ([`contrakt_core::redact`]), under the name this crate has always exported.
pub use contrakt_core::redact::{redact_location, redact_url as redact};

/// The two backends; each module holds its SQL.
// One store per process: boxing the larger connection would save nothing worth the indirection.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Backend {
    Sqlite(rusqlite::Connection),
    // Its own thread, so every call is bounded (see `postgresql::Connection`).
    Postgres(postgresql::Connection),
}

/// A history store; see the module documentation for the backends.
pub struct Store {
    backend: Backend,
}

/// A time as the store writes it: fixed-width RFC 3339 in UTC, microseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    ts(t)
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    // Fixed width, so text order is time order in SQL.
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

impl Store {
    /// Opens (creating it and its folder) and migrates the SQLite store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(sqlite::open(path)?) })
    }

    /// Opens and migrates the store at `location`: a file, or a PostgreSQL database (which must
    /// exist; contrakt creates its tables).
    pub fn open_at(location: &Location) -> Result<Store> {
        match location {
            Location::File(path) => Store::open(path),
            Location::Postgres { url, password_env } => {
                let connection = postgresql::open(url, password_env.as_deref()).map_err(|e| match e {
                    Error::Sql(message) => {
                        let secrets = contrakt_core::redact::url_secrets(url);
                        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                        Error::Server {
                            location: redact(url),
                            message: contrakt_core::redact::redact_text(&message, &secrets),
                        }
                    }
                    other => other,
                })?;
                Ok(Store { backend: Backend::Postgres(connection) })
            }
        }
    }

    /// Opens the store at `location` to read it: a file that holds no store yet (missing or
    /// empty) is read as an empty store and left untouched, where [`Store::open_at`] would
    /// create its tables. A PostgreSQL store is opened as by [`Store::open_at`].
    pub fn open_read_only_at(location: &Location) -> Result<Store> {
        match location {
            Location::File(path) => Ok(Store { backend: Backend::Sqlite(sqlite::open_read_only(path)?) }),
            other => Store::open_at(other),
        }
    }

    /// Records a run and all its metrics in one transaction; returns the run's id.
    pub fn record(&mut self, run: &Run) -> Result<i64> {
        let _s = tracing::debug_span!("record", contract = %run.contract, metrics = run.metrics.len()).entered();
        match &mut self.backend {
            Backend::Sqlite(c) => sqlite::record(c, run),
            Backend::Postgres(c) => {
                let run = run.clone();
                c.call(move |client| postgresql::record(client, &run))
            }
        }
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
        let a = Annotation {
            contract,
            object: object.unwrap_or(""),
            metric: metric.unwrap_or(""),
            from: ts(from),
            to: ts(to),
            note,
            created_at: ts(Utc::now()),
        };
        match &mut self.backend {
            Backend::Sqlite(c) => sqlite::annotate(c, &a),
            Backend::Postgres(c) => {
                let (contract, object, metric, note) =
                    (a.contract.to_string(), a.object.to_string(), a.metric.to_string(), a.note.to_string());
                let (from, to, created_at) = (a.from, a.to, a.created_at);
                c.call(move |client| {
                    let a = Annotation {
                        contract: &contract,
                        object: &object,
                        metric: &metric,
                        from,
                        to,
                        note: &note,
                        created_at,
                    };
                    postgresql::annotate(client, &a)
                })
            }
        }
    }

    /// Records what `contrakt publish` did; the staged and target locations are stored with
    /// their credentials masked, whatever the caller passed. Returns the event's id.
    pub fn record_event(&mut self, event: &PublishEvent) -> Result<i64> {
        let _s = tracing::debug_span!("record_event", contract = %event.contract, kind = event.kind.as_str()).entered();
        let event = PublishEvent {
            staged: event.staged.as_deref().map(redact_location),
            target: redact_location(&event.target),
            ..event.clone()
        };
        match &mut self.backend {
            Backend::Sqlite(c) => sqlite::record_event(c, &event),
            Backend::Postgres(c) => c.call(move |client| postgresql::record_event(client, &event)),
        }
    }

    /// Publish events (of `q`'s contract, object and time; its metric is ignored), oldest first.
    pub fn events(&self, q: &Query) -> Result<Vec<PublishEvent>> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite::events(c, q),
            Backend::Postgres(c) => {
                let q = q.clone();
                c.call(move |client| postgresql::events(client, &q))
            }
        }
    }

    /// Recorded points, oldest first.
    pub fn points(&self, q: &Query) -> Result<Vec<Point>> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite::points(c, q),
            Backend::Postgres(c) => {
                let q = q.clone();
                c.call(move |client| postgresql::points(client, &q))
            }
        }
    }

    /// One metric's history for a baseline, oldest first, before `before`, without points
    /// annotated as expected (over the whole object: no segment's points).
    pub fn series(
        &self,
        contract: &str,
        object: &str,
        metric: &str,
        property: &str,
        before: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, f64)>> {
        self.segment_series(contract, object, metric, property, "", before)
    }

    /// As [`Store::series`], for one segment of a segmented check (`country=FR`).
    pub fn segment_series(
        &self,
        contract: &str,
        object: &str,
        metric: &str,
        property: &str,
        segment: &str,
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
            .filter(|p| p.property == property && p.segment == segment && p.expected.is_none() && p.at < cutoff)
            .filter_map(|p| Some((DateTime::parse_from_rfc3339(&p.at).ok()?.with_timezone(&Utc), p.value)))
            .collect())
    }

    /// Each contract's latest run (by reference time, then by id), in contract order.
    pub fn latest_runs(&self) -> Result<Vec<RunSummary>> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite::latest_runs(c),
            Backend::Postgres(c) => c.call(|client| postgresql::latest_runs(client)),
        }
    }

    /// The number of runs recorded.
    pub fn runs(&self) -> Result<i64> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite::runs(c),
            Backend::Postgres(c) => c.call(|client| postgresql::runs(client)),
        }
    }

    /// The schema version the store is at.
    pub fn schema_version(&self) -> Result<usize> {
        match &self.backend {
            Backend::Sqlite(c) => sqlite::version(c),
            Backend::Postgres(c) => c.call(|client| postgresql::version(client)),
        }
    }
}

/// An annotation's row.
pub(crate) struct Annotation<'a> {
    pub contract: &'a str,
    pub object: &'a str,
    pub metric: &'a str,
    pub from: String,
    pub to: String,
    pub note: &'a str,
    pub created_at: String,
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
                    segment: String::new(),
                    value: rows,
                },
                Metric {
                    object: "orders".into(),
                    property: "x".into(),
                    metric: "nan".into(),
                    partition: String::new(),
                    segment: String::new(),
                    value: f64::NAN,
                },
            ],
        }
    }

    fn day(d: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap() + chrono::Duration::days(d)
    }

    #[test]
    fn reading_an_empty_file_creates_no_tables() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("h.db");
        std::fs::write(&path, "").unwrap();
        let location = Location::File(path.clone());
        let store = Store::open_read_only_at(&location).unwrap();
        assert_eq!(store.runs().unwrap(), 0);
        assert!(store.points(&Query::default()).unwrap().is_empty());
        drop(store);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "the empty file stays empty");
        let missing = tmp.path().join("none/h.db");
        Store::open_read_only_at(&Location::File(missing.clone())).unwrap();
        assert!(!missing.exists() && !missing.parent().unwrap().exists());
        // A real store is read as it is.
        Store::open(&path).unwrap().record(&run(day(0), 1.0)).unwrap();
        assert_eq!(Store::open_read_only_at(&location).unwrap().runs().unwrap(), 1);
    }

    #[test]
    fn locations_and_redaction() {
        assert_eq!(Location::parse("h.db"), Location::File("h.db".into()));
        assert!(matches!(Location::parse("postgresql://h/db"), Location::Postgres { .. }));
        let cases = [
            ("postgres://u:pw@h:5432/db", "postgres://u:***@h:5432/db"),
            ("postgres://u@h/db?sslmode=disable&password=pw", "postgres://u@h/db?sslmode=disable&password=***"),
            ("postgres://h", "postgres://h"),
            ("postgres://u:p@w@h/db", "postgres://u:***@h/db"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact(url), shown);
            assert_eq!(Location::parse(url).to_string(), shown);
            assert!(!format!("{:?}", Location::parse(url)).contains("pw"));
        }
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
    fn each_segment_is_a_series_of_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("h.db")).unwrap();
        for d in 0..4 {
            let mut r = run(day(d), 100.0);
            for (segment, value) in [("country=FR", 10.0 + d as f64), ("country=DE", 90.0)] {
                r.metrics.push(Metric { segment: segment.into(), value, ..r.metrics[0].clone() });
            }
            store.record(&r).unwrap();
        }
        let whole = store.series("urn:c", "orders", "rowCount", "", day(10)).unwrap();
        assert!(whole.len() == 4 && whole.iter().all(|(_, v)| *v == 100.0), "{whole:?}");
        let fr = store.segment_series("urn:c", "orders", "rowCount", "", "country=FR", day(10)).unwrap();
        assert_eq!(fr.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [10.0, 11.0, 12.0, 13.0]);
        let points = store.points(&Query::default()).unwrap();
        assert_eq!(points.iter().filter(|p| p.segment == "country=DE").count(), 4);
        let json = serde_json::to_value(points.iter().find(|p| p.segment.is_empty()).unwrap()).unwrap();
        assert!(json.get("segment").is_none(), "a point of the whole object reads as before: {json}");
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
        rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Store::open(&path).err().expect("a newer schema is refused").to_string();
        assert!(err.contains("schema version 99") && err.contains("h.db"), "{err}");
    }

    fn event(kind: EventKind, at: DateTime<Utc>) -> PublishEvent {
        PublishEvent {
            id: 0,
            contract: "urn:c".into(),
            contract_version: "1.0.0".into(),
            object: "orders".into(),
            kind,
            run_id: "20261101T060000Z-00aa".into(),
            from_version: Some("v=a".into()),
            to_version: Some("v=b".into()),
            staged: Some("s3://lake/staged/orders/?X-Amz-Signature=abc123".into()),
            target: "s3://u:pa55@lake/orders/".into(),
            at: timestamp(at),
            failed: 2,
            warned: 1,
            errors: 0,
            reason: Some("the audit failed".into()),
        }
    }

    #[test]
    fn publish_events_read_back_in_time_order_with_credentials_masked() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("h.db")).unwrap();
        store.record_event(&event(EventKind::Rollback, day(2))).unwrap();
        store.record_event(&event(EventKind::Refuse, day(1))).unwrap();
        store
            .record_event(&PublishEvent { contract: "urn:other".into(), ..event(EventKind::Publish, day(0)) })
            .unwrap();
        let q = Query { contract: Some("urn:c".into()), ..Query::default() };
        let events = store.events(&q).unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, [EventKind::Refuse, EventKind::Rollback]);
        let e = &events[0];
        assert_eq!(e.target, "s3://u:***@lake/orders/");
        assert_eq!(e.staged.as_deref(), Some("s3://lake/staged/orders/?X-Amz-Signature=***"));
        assert_eq!((e.failed, e.warned, e.errors, e.id), (2, 1, 0, 2));
        assert_eq!(e.at, "2026-11-02T06:00:00.000000Z");
        let since = Query { since: Some(day(2)), ..Query::default() };
        assert_eq!(store.events(&since).unwrap().len(), 1);
        assert_eq!(store.events(&Query::default()).unwrap().len(), 3);
    }

    #[test]
    fn a_store_of_schema_version_1_migrates_forward_keeping_its_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("old.db");
        {
            // The store as the first release wrote it: migration 1 only.
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(sqlite::MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO runs (contract, contract_version, at, recorded_at, passed)
                 VALUES ('urn:c', '1.0.0', '2026-11-01T06:00:00.000000Z', '2026-11-01T06:00:01.000000Z', 1)",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO metrics (run_id, contract, object, metric, at, value)
                 VALUES (1, 'urn:c', 'orders', 'rowCount', '2026-11-01T06:00:00.000000Z', 42)",
                [],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 3);
        assert_eq!(store.runs().unwrap(), 1);
        let old = &store.points(&Query::default()).unwrap()[0];
        assert_eq!((old.value, old.segment.as_str()), (42.0, ""), "old points are of the whole object");
        store.record_event(&event(EventKind::Publish, day(1))).unwrap();
        assert_eq!(store.events(&Query::default()).unwrap().len(), 1);
    }
}
