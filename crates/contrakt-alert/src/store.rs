//! The alert state: one SQLite file (`.contrakt/alerts.db`) with the incidents and the outbox.
//! WAL mode, so a reader never blocks a sender; writes that decide something run in `BEGIN
//! IMMEDIATE` transactions, so two runs at once take turns instead of both deciding.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    fingerprint  TEXT PRIMARY KEY,
    contract     TEXT NOT NULL,
    object       TEXT NOT NULL,
    check_id     TEXT NOT NULL,
    state        TEXT NOT NULL,          -- open | resolved
    severity     INTEGER NOT NULL,       -- the last alerted: 0 info, 1 warning, 2 error
    generation   INTEGER NOT NULL,       -- one more each time the incident opens
    alerts       INTEGER NOT NULL,       -- alerts sent in this generation
    occurrences  INTEGER NOT NULL,       -- failing runs seen in this generation
    opened_at    INTEGER NOT NULL,       -- Unix ms
    last_seen    INTEGER NOT NULL,
    last_alerted INTEGER NOT NULL,
    resolved_at  INTEGER
);
CREATE TABLE IF NOT EXISTS deliveries (
    id           INTEGER PRIMARY KEY,
    key          TEXT NOT NULL UNIQUE,   -- the Idempotency-Key receivers see
    channel      TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    event        TEXT NOT NULL,
    audience     TEXT NOT NULL,
    title        TEXT NOT NULL,
    payload      TEXT NOT NULL,          -- the alert as JSON; never a secret
    state        TEXT NOT NULL,          -- pending | delivered | dead
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    not_before   INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  INTEGER,
    last_error   TEXT,
    delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, not_before);
";

pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating folder, file and tables as needed) the state database.
    pub fn open(path: &Path) -> Result<Store> {
        let _s = tracing::debug_span!("open_state", path = %path.display()).entered();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        }
        let state = |source| Error::State { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(state)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(state)?;
        // WAL + NORMAL survives a killed process (what "nothing lost" is about); only a power
        // cut can drop the last commits.
        conn.pragma_update(None, "journal_mode", "WAL").map_err(state)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(state)?;
        conn.execute_batch(SCHEMA).map_err(state)?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    /// Every incident, open ones first.
    pub fn incidents(&self) -> Result<Vec<crate::incident::Incident>> {
        crate::incident::list(&self.conn).map_err(|e| self.err(e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> Error {
        Error::State { path: self.path.clone(), source }
    }

    /// A write transaction taken up front, so concurrent runs serialise on it.
    pub(crate) fn immediate(&mut self) -> Result<Transaction<'_>> {
        let path = self.path.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| Error::State { path, source })
    }
}
