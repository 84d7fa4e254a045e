//! Write-audit-publish on an Iceberg table: a producer writes a snapshot that is not on `main`
//! (a branch such as `audit`, a tag, or a staged snapshot carrying a `wap.id`), contrakt audits
//! that snapshot, and only then moves `main` to it: a new metadata file whose `refs.main` and
//! `current-snapshot-id` name the audited snapshot, with a snapshot-log entry, committed with an
//! optimistic check so a concurrent commit is never lost:
//!
//! - in an SQL catalog (pyiceberg's `SqlCatalog`, Java's `JdbcCatalog`), by
//!   `UPDATE iceberg_tables SET metadata_location = new … WHERE metadata_location = old`, as
//!   those catalogs commit;
//! - in a table without a catalog, by creating `v{N+1}.metadata.json` only if no file of that
//!   version exists (Hadoop tables' convention), then pointing `version-hint.text` at it.
//!
//! A rollback moves `main` back to the snapshot it named before its latest change (by the
//! snapshot log), the same way. Only `main` moves: no data or manifest is written, so readers
//! see either the old snapshot or the audited one.
//!
//! The metadata was written by someone else: it is read bounded (as the reader reads it), the
//! new file is the old one's JSON with those fields changed (everything else kept as it was),
//! and it is written beside the old one, in the folder the table was found in.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{MAX_METADATA_BYTES, Metadata, Table, current_metadata};
use crate::{Error, Result};

/// Metadata-log entries kept when the table does not say (`write.metadata.previous-versions-max`,
/// Iceberg's default).
const PREVIOUS_VERSIONS: usize = 100;

/// Where an Iceberg table's current metadata is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Catalog {
    /// A row of an SQL catalog on SQLite.
    Sql { db: PathBuf, catalog: String, namespace: String, table: String },
    /// The table's own `metadata/` folder (the highest version, or `version-hint.text`).
    Folder(PathBuf),
}

/// A local Iceberg table to publish to: its folder, or its row in an SQL catalog on SQLite
/// (`sqlite:///PATH#NAMESPACE.TABLE`, as `--data` takes it).
#[derive(Debug, Clone)]
pub struct TableRef {
    /// As given, for messages.
    pub name: String,
    catalog: Catalog,
}

/// The table as read at one moment: its current metadata file and what it says.
#[derive(Debug)]
pub struct Head {
    /// The metadata file's path on this machine: the audit reads exactly this one.
    pub file: PathBuf,
    /// As the catalog records it (`file:///…` for pyiceberg), or the path.
    location: String,
    value: Value,
    metadata: Metadata,
}

/// A move of `main` committed: from which snapshot to which, and the new metadata file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: Option<i64>,
    pub to: i64,
    pub metadata: PathBuf,
}

impl TableRef {
    /// `location` (relative to `base`) as a table to publish to, if it is one: a folder holding
    /// `metadata/*.metadata.json`, or an SQL catalog on SQLite.
    pub fn parse(location: &str, base: &Path) -> Option<Result<TableRef>> {
        if location.starts_with("sqlite:") {
            return Some(sql_table(location, base).map(|catalog| TableRef { name: location.to_string(), catalog }));
        }
        let dir = base.join(location);
        super::is_table(&dir).then(|| {
            let dir = std::fs::canonicalize(&dir).map_err(|e| usage(location, &format!("cannot read it: {e}")))?;
            Ok(TableRef { name: location.to_string(), catalog: Catalog::Folder(dir) })
        })
    }

    /// The folder of the table's files (where a publish log goes): the current metadata
    /// folder's parent, found without reading the metadata.
    pub fn folder(&self) -> Result<PathBuf> {
        match &self.catalog {
            Catalog::Folder(dir) => Ok(dir.clone()),
            Catalog::Sql { db, catalog, namespace, table } => {
                let location = sql_location(db, catalog, namespace, table).map_err(|m| usage(&self.name, &m))?;
                let file = Path::new(location.strip_prefix("file://").unwrap_or(&location));
                Ok(file.parent().and_then(Path::parent).unwrap_or(Path::new(".")).to_path_buf())
            }
        }
    }

    /// Reads the table's current metadata.
    pub async fn head(&self) -> Result<Head> {
        let (file, location) = match &self.catalog {
            Catalog::Sql { db, catalog, namespace, table } => {
                let location = sql_location(db, catalog, namespace, table).map_err(|m| usage(&self.name, &m))?;
                let path = location.strip_prefix("file://").unwrap_or(&location);
                if location.contains("://") && !location.starts_with("file://") {
                    return Err(usage(
                        &self.name,
                        &format!("its metadata is at {location}; contrakt publishes to local tables"),
                    ));
                }
                (PathBuf::from(path), location)
            }
            Catalog::Folder(dir) => {
                let root = url::Url::from_directory_path(dir).map_err(|()| usage(&self.name, "not a folder"))?;
                let table = Table {
                    root,
                    store: std::sync::Arc::new(object_store::local::LocalFileSystem::new()),
                    metadata: None,
                };
                let url = current_metadata(&table).await.map_err(|m| usage(&self.name, &m))?;
                let path = url.to_file_path().map_err(|()| usage(&self.name, &format!("{url} is not a local path")))?;
                let location = path.display().to_string();
                (path, location)
            }
        };
        let bytes = read_bounded(&file).map_err(|m| usage(&self.name, &m))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| usage(&self.name, &format!("{} is not Iceberg table metadata: {e}", file.display())))?;
        let metadata: Metadata = serde_json::from_value(value.clone())
            .map_err(|e| usage(&self.name, &format!("{} is not Iceberg table metadata: {e}", file.display())))?;
        if !value.is_object() {
            return Err(usage(&self.name, &format!("{} is not a JSON object", file.display())));
        }
        // The metadata log names files as the table's `location` does: a URL, or a path.
        let location = match &self.catalog {
            Catalog::Folder(_) if metadata.location.starts_with("file:") => format!("file://{location}"),
            _ => location,
        };
        Ok(Head { file, location, value, metadata })
    }

    /// Moves `main` from the snapshot it names in `head` to `snapshot`, which must descend from
    /// it (a fast-forward); fails without changing anything when the table changed since `head`
    /// was read.
    pub fn fast_forward(&self, head: &Head, snapshot: i64) -> Result<Moved> {
        head.fast_forwardable(snapshot).map_err(|m| usage(&self.name, &m))?;
        self.commit(head, snapshot)
    }

    /// Moves `main` back to the snapshot it named before its latest change (the snapshot log's
    /// entry before the last), as a new metadata version.
    pub fn roll_back(&self, head: &Head) -> Result<Moved> {
        let previous = head.previous().map_err(|m| usage(&self.name, &m))?;
        self.commit(head, previous)
    }

    fn commit(&self, head: &Head, snapshot: i64) -> Result<Moved> {
        let from = head.main();
        let now = chrono::Utc::now().timestamp_millis();
        let text = serde_json::to_vec_pretty(&head.moved(snapshot, now)).map_err(|e| Error::Internal(e.to_string()))?;
        let dir = head.file.parent().ok_or_else(|| usage(&self.name, "its metadata file has no folder"))?;
        let number = super::metadata_number(&head.file.file_name().unwrap_or_default().to_string_lossy());
        let fail = |message: String, conflict: bool| Error::TableCommit { table: self.name.clone(), message, conflict };
        // The next version's number (a hostile `v18446744073709551615` has none).
        let next = match number {
            None => 1,
            Some(n) => n.checked_add(1).ok_or_else(|| fail(format!("its metadata version {n} has no next"), false))?,
        };
        match &self.catalog {
            Catalog::Sql { db, catalog, namespace, table } => {
                let name = format!("{next:05}-{}.metadata.json", random_uuid());
                let file = dir.join(name);
                create_new(&file, &text).map_err(|e| fail(format!("writing {}: {e}", file.display()), false))?;
                let location = if head.location.starts_with("file://") {
                    format!("file://{}", file.display())
                } else {
                    file.display().to_string()
                };
                match swap_sql(db, catalog, namespace, table, &head.location, &location) {
                    Ok(true) => Ok(Moved { from, to: snapshot, metadata: file }),
                    Ok(false) => {
                        // Not committed: the file is nobody's (Iceberg's own writers delete it too).
                        let _ = std::fs::remove_file(&file);
                        Err(fail(changed(&head.location), true))
                    }
                    Err(m) => {
                        let _ = std::fs::remove_file(&file);
                        Err(fail(m, false))
                    }
                }
            }
            Catalog::Folder(table) => {
                // The table's files are someone else's: a `metadata` folder linked elsewhere
                // does not get written to.
                let real = std::fs::canonicalize(dir).map_err(|e| fail(format!("{}: {e}", dir.display()), false))?;
                if !real.starts_with(table) {
                    return Err(fail(
                        format!(
                            "its metadata folder leads to {} through a symbolic link, outside the table",
                            real.display()
                        ),
                        false,
                    ));
                }
                // The optimistic check for writers that name files otherwise: still the head?
                let now_current = current_file(dir).map_err(|m| fail(m, false))?;
                if now_current.as_deref() != Some(head.file.as_path()) {
                    return Err(fail(changed(&head.location), true));
                }
                let file = dir.join(format!("v{next}.metadata.json"));
                match create_new(&file, &text) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        return Err(fail(changed(&head.location), true));
                    }
                    Err(e) => return Err(fail(format!("writing {}: {e}", file.display()), false)),
                }
                // Another writer's file of the same version (named otherwise) makes two: ours goes.
                if same_version(dir, next).map_err(|m| fail(m, false))? > 1 {
                    let _ = std::fs::remove_file(&file);
                    return Err(fail(changed(&head.location), true));
                }
                write_hint(dir, next).map_err(|e| fail(format!("writing version-hint.text: {e}"), false))?;
                Ok(Moved { from, to: snapshot, metadata: file })
            }
        }
    }
}

fn changed(old: &str) -> String {
    format!(
        "the table changed since it was audited (its current metadata is no longer {old}): nothing was committed; publish again to audit the table as it is now"
    )
}

fn usage(table: &str, message: &str) -> Error {
    Error::Usage(format!("Iceberg table {table}: {message}"))
}

impl Head {
    /// The snapshot `main` names (`refs.main`, else `current-snapshot-id`), if any.
    pub fn main(&self) -> Option<i64> {
        self.metadata
            .refs
            .get("main")
            .map(|r| r.snapshot_id)
            .or(self.metadata.current_snapshot_id)
            .filter(|id| *id != -1)
    }

    /// The snapshot a staged reference names: a branch or tag of `refs`, a snapshot id, or
    /// `wap.id=ID` (the snapshot whose summary carries that write-audit-publish id).
    pub fn resolve(&self, reference: &str) -> Result<i64, String> {
        let known = |id: i64| self.metadata.snapshots.iter().any(|s| s.snapshot_id == id);
        if let Some(wap) = reference.strip_prefix("wap.id=") {
            let staged: Vec<i64> = self
                .metadata
                .snapshots
                .iter()
                .filter(|s| s.summary.get("wap.id").and_then(Value::as_str) == Some(wap))
                .map(|s| s.snapshot_id)
                .collect();
            return match staged.as_slice() {
                [id] => Ok(*id),
                [] => Err(format!("no snapshot carries wap.id `{wap}`")),
                several => Err(format!(
                    "{} snapshots carry wap.id `{wap}` ({}): name one by its id",
                    several.len(),
                    several.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                )),
            };
        }
        if reference == "main" {
            return Err("`main` is what a publish moves; name the branch, tag or snapshot to publish".into());
        }
        if let Some(r) = self.metadata.refs.get(reference) {
            return if known(r.snapshot_id) {
                Ok(r.snapshot_id)
            } else {
                Err(format!("`{reference}` names snapshot {}, which the metadata does not hold", r.snapshot_id))
            };
        }
        if let Ok(id) = reference.parse::<i64>()
            && known(id)
        {
            return Ok(id);
        }
        let mut refs: Vec<&str> = self.metadata.refs.keys().map(String::as_str).filter(|r| *r != "main").collect();
        refs.sort_unstable();
        Err(format!(
            "no branch, tag or snapshot `{reference}` (its branches and tags: {}); stage as `@BRANCH`, `@SNAPSHOT_ID` or `@wap.id=ID`",
            if refs.is_empty() { "none".to_string() } else { refs.join(", ") }
        ))
    }

    fn parent(&self, id: i64) -> Option<i64> {
        self.metadata.snapshots.iter().find(|s| s.snapshot_id == id).and_then(|s| s.parent_snapshot_id)
    }

    /// Whether `main` can move to `snapshot`: it descends from `main`'s snapshot (or `main` has
    /// none yet). Otherwise `main` moved since the snapshot was staged, or it was staged from
    /// elsewhere, and moving would drop what `main` holds.
    pub fn fast_forwardable(&self, snapshot: i64) -> Result<(), String> {
        let Some(main) = self.main() else { return Ok(()) };
        if snapshot == main {
            return Err(format!("main already is snapshot {snapshot}: there is nothing to publish"));
        }
        let mut at = Some(snapshot);
        // Bounded by the snapshots held: a cycle in hostile metadata ends too.
        for _ in 0..=self.metadata.snapshots.len() {
            match at {
                Some(id) if id == main => return Ok(()),
                Some(id) => at = self.parent(id),
                None => break,
            }
        }
        Err(format!(
            "snapshot {snapshot} does not descend from main's snapshot {main}: main moved since it was staged, or it was staged from another snapshot. Stage it again from main (a fast-forward publishes only what the audit saw on top of main)"
        ))
    }

    /// The snapshot `main` named before its latest change, by the snapshot log.
    fn previous(&self) -> Result<i64, String> {
        let main = self.main().ok_or("main has no snapshot: there is nothing to roll back")?;
        let log = &self.metadata.snapshot_log;
        // The log's latest entries are main's current snapshot; the one before them is what
        // readers got before.
        let previous = log.iter().rev().skip_while(|e| e.snapshot_id == main).map(|e| e.snapshot_id).next();
        let previous = previous
            .or_else(|| self.parent(main))
            .ok_or_else(|| format!("main's snapshot {main} has no earlier snapshot to roll back to"))?;
        if !self.metadata.snapshots.iter().any(|s| s.snapshot_id == previous) {
            return Err(format!(
                "the snapshot before main's, {previous}, has expired: there is nothing to roll back to"
            ));
        }
        Ok(previous)
    }

    /// The metadata with `main` at `snapshot`: the old JSON with `current-snapshot-id`,
    /// `refs.main`, the snapshot log, the metadata log and `last-updated-ms` changed.
    fn moved(&self, snapshot: i64, now_ms: i64) -> Value {
        let mut value = self.value.clone();
        let last_updated = value.get("last-updated-ms").and_then(Value::as_i64).unwrap_or(0);
        let keep = self
            .metadata
            .properties
            .get("write.metadata.previous-versions-max")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(PREVIOUS_VERSIONS);
        let Some(o) = value.as_object_mut() else { return value };
        // Monotonic even if this machine's clock is behind the last writer's.
        let at = now_ms.max(last_updated.saturating_add(1));
        o.insert("current-snapshot-id".into(), json!(snapshot));
        let refs = o.entry("refs").or_insert_with(|| json!({}));
        if !refs.is_object() {
            *refs = json!({});
        }
        let main = refs.as_object_mut().map(|r| r.entry("main").or_insert_with(|| json!({"type": "branch"})));
        if let Some(main) = main {
            if !main.is_object() {
                *main = json!({"type": "branch"});
            }
            main["snapshot-id"] = json!(snapshot);
            main["type"] = json!("branch");
        }
        push(o, "snapshot-log", json!({"snapshot-id": snapshot, "timestamp-ms": at}), usize::MAX);
        push(o, "metadata-log", json!({"metadata-file": self.location, "timestamp-ms": last_updated}), keep);
        o.insert("last-updated-ms".into(), json!(at));
        value
    }
}

/// Appends to the array `key` (made one if it is not), keeping its last `keep` entries.
fn push(o: &mut serde_json::Map<String, Value>, key: &str, entry: Value, keep: usize) {
    let log = o.entry(key).or_insert_with(|| json!([]));
    if !log.is_array() {
        *log = json!([]);
    }
    if let Some(log) = log.as_array_mut() {
        log.push(entry);
        let extra = log.len().saturating_sub(keep.max(1));
        log.drain(..extra);
    }
}

fn read_bounded(file: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_METADATA_BYTES + 1).read_to_end(&mut bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(format!("{} is more than contrakt reads ({MAX_METADATA_BYTES} bytes)", file.display()));
    }
    Ok(bytes)
}

/// Writes `file` whole or not at all, only if it does not exist: a hidden temporary file,
/// synced, hard-linked to its name (which fails if the name exists).
fn create_new(file: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".contrakt-{}.tmp", random_uuid()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, file)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

fn write_hint(dir: &Path, version: u64) -> std::io::Result<()> {
    let tmp = dir.join(format!(".contrakt-hint-{}.tmp", random_uuid()));
    std::fs::write(&tmp, version.to_string())?;
    std::fs::rename(&tmp, dir.join("version-hint.text"))
}

/// The metadata file a folder's table reads now, as the reader finds it (`current_metadata`),
/// without a runtime (the commit is sync).
fn current_file(dir: &Path) -> Result<Option<PathBuf>, String> {
    let hint = std::fs::read_to_string(dir.join("version-hint.text")).ok();
    if let Some(mut v) = hint.and_then(|h| h.trim().parse::<u64>().ok()) {
        for _ in 0..super::HINT_PROBES {
            match v.checked_add(1) {
                Some(after) if dir.join(format!("v{after}.metadata.json")).exists() => v = after,
                _ => break,
            }
        }
        return Ok(Some(dir.join(format!("v{v}.metadata.json"))));
    }
    Ok(newest(dir)?.map(|(_, f)| f))
}

fn newest(dir: &Path) -> Result<Option<(u64, PathBuf)>, String> {
    let mut best: Option<(u64, PathBuf)> = None;
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = super::metadata_number(&name)
            && best.as_ref().is_none_or(|(b, _)| n > *b)
        {
            best = Some((n, e.path()));
        }
    }
    Ok(best)
}

fn same_version(dir: &Path, version: u64) -> Result<usize, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(entries.flatten().filter(|e| super::metadata_number(&e.file_name().to_string_lossy()) == Some(version)).count())
}

/// A random UUID (version 4 layout) for new file names, from the standard library's random
/// hasher keys.
fn random_uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
        h.finish()
    };
    let (a, b) = (word(), word());
    let (a, b) = ((a & !0xf000) | 0x4000, (b & !(0xc << 60)) | (0x8 << 60));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The SQL catalog row `sqlite:///PATH#[CATALOG/]NAMESPACE.TABLE` names.
fn sql_table(location: &str, base: &Path) -> Result<Catalog> {
    let bad = |m: String| usage(location, &m);
    let rest = location
        .strip_prefix("sqlite:///")
        .ok_or_else(|| bad("an SQL catalog is `sqlite:///PATH#NAMESPACE.TABLE`".into()))?;
    let (path, name) =
        rest.split_once('#').ok_or_else(|| bad("name the table: `sqlite:///PATH#NAMESPACE.TABLE`".into()))?;
    let (catalog, name) = match name.split_once('/') {
        Some((c, n)) => (Some(c.to_string()), n),
        None => (None, name),
    };
    let (namespace, table) = name.rsplit_once('.').ok_or_else(|| bad(format!("`{name}` is not NAMESPACE.TABLE")))?;
    let db = if Path::new(path).is_absolute() { PathBuf::from(path) } else { base.join(path) };
    if !db.is_file() {
        return Err(bad(format!("no SQLite catalog at {}", db.display())));
    }
    let catalog = match catalog {
        Some(c) => c,
        None => {
            let conn = open(&db, true).map_err(&bad)?;
            let mut q = conn
                .prepare("SELECT DISTINCT catalog_name FROM iceberg_tables WHERE table_namespace = ?1 AND table_name = ?2 LIMIT 10")
                .map_err(|e| bad(format!("{} is not an Iceberg SQL catalog: {e}", db.display())))?;
            let names: Vec<String> = q
                .query_map([namespace, table], |r| r.get(0))
                .and_then(Iterator::collect)
                .map_err(|e| bad(e.to_string()))?;
            match names.as_slice() {
                [one] => one.clone(),
                [] => return Err(bad(format!("the catalog {} has no table {namespace}.{table}", db.display()))),
                several => {
                    return Err(bad(format!(
                        "several catalogs hold {namespace}.{table} ({}): name one, `#CATALOG/{namespace}.{table}`",
                        several.join(", ")
                    )));
                }
            }
        }
    };
    Ok(Catalog::Sql { db, catalog, namespace: namespace.to_string(), table: table.to_string() })
}

fn open(db: &Path, read_only: bool) -> Result<rusqlite::Connection, String> {
    let flags = if read_only {
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = rusqlite::Connection::open_with_flags(db, flags).map_err(|e| format!("{}: {e}", db.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| e.to_string())?;
    Ok(conn)
}

fn sql_location(db: &Path, catalog: &str, namespace: &str, table: &str) -> Result<String, String> {
    let conn = open(db, true)?;
    let location: Option<Option<String>> = conn
        .query_row(
            "SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3",
            [catalog, namespace, table],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
        .map_err(|e| format!("{} is not an Iceberg SQL catalog: {e}", db.display()))?;
    match location {
        None => Err(format!("the catalog {} has no table {namespace}.{table}", db.display())),
        Some(None) => Err(format!("{namespace}.{table} has no metadata location in {}", db.display())),
        Some(Some(l)) => Ok(l),
    }
}

/// The catalog's commit: the row moves from `old` to `new` only if it still names `old`.
/// `Ok(false)`: another writer committed first.
fn swap_sql(db: &Path, catalog: &str, namespace: &str, table: &str, old: &str, new: &str) -> Result<bool, String> {
    let conn = open(db, false)?;
    let changed = conn
        .execute(
            "UPDATE iceberg_tables SET metadata_location = ?1, previous_metadata_location = ?2 \
             WHERE catalog_name = ?3 AND table_namespace = ?4 AND table_name = ?5 AND metadata_location = ?2",
            [new, old, catalog, namespace, table],
        )
        .map_err(|e| format!("committing to the catalog {}: {e}", db.display()))?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        let value: Value = serde_json::from_str(text).unwrap();
        Head {
            file: PathBuf::from("/t/metadata/v3.metadata.json"),
            location: "/t/metadata/v3.metadata.json".into(),
            metadata: serde_json::from_value(value.clone()).unwrap(),
            value,
        }
    }

    const TABLE: &str = r#"{"format-version":2,"location":"/t","last-updated-ms":5000,"current-snapshot-id":1,
        "snapshots":[{"snapshot-id":1,"timestamp-ms":1000},
                     {"snapshot-id":2,"parent-snapshot-id":1,"timestamp-ms":2000},
                     {"snapshot-id":3,"parent-snapshot-id":2,"timestamp-ms":3000,"summary":{"operation":"append","wap.id":"w1"}},
                     {"snapshot-id":4,"timestamp-ms":4000}],
        "snapshot-log":[{"snapshot-id":1,"timestamp-ms":1000}],
        "refs":{"main":{"snapshot-id":1,"type":"branch","max-ref-age-ms":99},"audit":{"snapshot-id":3,"type":"branch"}},
        "properties":{"write.metadata.previous-versions-max":"1"},
        "metadata-log":[{"metadata-file":"/t/metadata/v1.metadata.json","timestamp-ms":1},{"metadata-file":"/t/metadata/v2.metadata.json","timestamp-ms":2}],
        "x-unknown":{"kept":true}}"#;

    #[test]
    fn references_resolve_to_snapshots() {
        let h = head(TABLE);
        assert_eq!(h.main(), Some(1));
        assert_eq!(h.resolve("audit"), Ok(3));
        assert_eq!(h.resolve("wap.id=w1"), Ok(3));
        assert_eq!(h.resolve("2"), Ok(2));
        assert!(h.resolve("wap.id=nope").unwrap_err().contains("no snapshot carries"));
        assert!(h.resolve("main").unwrap_err().contains("what a publish moves"));
        assert!(h.resolve("nope").unwrap_err().contains("audit"));
        assert!(h.resolve("99").is_err());
    }

    #[test]
    fn only_descendants_of_main_fast_forward() {
        let h = head(TABLE);
        assert!(h.fast_forwardable(3).is_ok());
        assert!(h.fast_forwardable(2).is_ok());
        assert!(h.fast_forwardable(1).unwrap_err().contains("nothing to publish"));
        assert!(h.fast_forwardable(4).unwrap_err().contains("does not descend"));
        // A cycle of parents ends.
        let cyclic = TABLE.replace(r#"{"snapshot-id":4,"timestamp-ms":4000}"#, r#"{"snapshot-id":4,"parent-snapshot-id":5,"timestamp-ms":4000},{"snapshot-id":5,"parent-snapshot-id":4,"timestamp-ms":4000}"#);
        assert!(head(&cyclic).fast_forwardable(4).is_err());
    }

    #[test]
    fn a_move_changes_main_and_the_logs_and_keeps_the_rest() {
        let h = head(TABLE);
        let moved = h.moved(3, 4000);
        assert_eq!(moved["current-snapshot-id"], 3);
        assert_eq!(moved["refs"]["main"], json!({"snapshot-id": 3, "type": "branch", "max-ref-age-ms": 99}));
        assert_eq!(moved["refs"]["audit"]["snapshot-id"], 3);
        // The clock behind the last writer's: still later than it.
        assert_eq!(moved["last-updated-ms"], 5001);
        assert_eq!(
            moved["snapshot-log"].as_array().unwrap().last().unwrap(),
            &json!({"snapshot-id": 3, "timestamp-ms": 5001})
        );
        assert_eq!(
            moved["metadata-log"],
            json!([{"metadata-file": "/t/metadata/v3.metadata.json", "timestamp-ms": 5000}])
        );
        assert_eq!(moved["x-unknown"], json!({"kept": true}));
        let mut rest = moved.clone();
        let mut before = h.value.clone();
        for k in ["current-snapshot-id", "refs", "last-updated-ms", "snapshot-log", "metadata-log"] {
            rest.as_object_mut().unwrap().remove(k);
            before.as_object_mut().unwrap().remove(k);
        }
        assert_eq!(rest, before);
    }

    #[test]
    fn odd_logs_and_refs_are_rebuilt_not_trusted() {
        // Fields the typed reading does not check, in shapes Iceberg does not write.
        let odd = r#"{"format-version":1,"location":"/t","current-snapshot-id":-1,"metadata-log":5,
            "snapshots":[{"snapshot-id":7,"timestamp-ms":1}],"properties":{"write.metadata.previous-versions-max":"0"}}"#;
        let h = head(odd);
        assert_eq!(h.main(), None);
        assert!(h.fast_forwardable(7).is_ok(), "an empty main takes any snapshot");
        let moved = h.moved(7, 10);
        assert_eq!(moved["refs"], json!({"main": {"snapshot-id": 7, "type": "branch"}}));
        assert_eq!(moved["metadata-log"].as_array().unwrap().len(), 1, "kept at least the last");
        assert_eq!(moved["snapshot-log"], json!([{"snapshot-id": 7, "timestamp-ms": 10}]));
        assert_eq!(moved["last-updated-ms"], 10);
        let late = odd.replace(r#""location":"/t""#, r#""location":"/t","last-updated-ms":9223372036854775807"#);
        assert_eq!(head(&late).moved(7, 10)["last-updated-ms"], i64::MAX, "no overflow");
    }

    #[test]
    fn rollback_returns_to_what_main_named_before() {
        let after = head(TABLE).moved(3, 6000);
        let h = Head { metadata: serde_json::from_value(after.clone()).unwrap(), value: after, ..head(TABLE) };
        assert_eq!(h.previous(), Ok(1));
        assert!(head(TABLE).previous().unwrap_err().contains("no earlier snapshot"));
    }

    #[test]
    fn the_head_is_found_as_the_reader_finds_it() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["00001-a.metadata.json", "00002-b.metadata.json"] {
            std::fs::write(dir.path().join(name), "{}").unwrap();
        }
        assert_eq!(current_file(dir.path()).unwrap().unwrap(), dir.path().join("00002-b.metadata.json"));
        for v in [3, 4] {
            std::fs::write(dir.path().join(format!("v{v}.metadata.json")), "{}").unwrap();
        }
        std::fs::write(dir.path().join("version-hint.text"), "3").unwrap();
        assert_eq!(current_file(dir.path()).unwrap().unwrap(), dir.path().join("v4.metadata.json"));
    }

    proptest::proptest! {
        /// Whatever snapshots, parents (cycles too), logs and refs a table holds, resolving,
        /// judging a fast-forward, finding the snapshot before and moving main never panic, and
        /// a move leaves main exactly at the snapshot asked for.
        #[test]
        fn any_history_moves_main_or_says_why(
            snapshots in proptest::collection::vec((0i64..8, proptest::option::of(0i64..8), proptest::option::of(i64::MIN..i64::MAX)), 0..8),
            log in proptest::collection::vec(0i64..8, 0..6),
            main in proptest::option::of(-1i64..8),
            target in 0i64..8,
            updated in proptest::option::of(proptest::num::i64::ANY),
        ) {
            let snapshots: Vec<Value> = snapshots
                .iter()
                .map(|(id, parent, at)| json!({"snapshot-id": id, "parent-snapshot-id": parent, "timestamp-ms": at.unwrap_or(0)}))
                .collect();
            let log: Vec<Value> = log.iter().map(|id| json!({"snapshot-id": id, "timestamp-ms": 0})).collect();
            let mut table = json!({"location": "/t", "snapshots": snapshots, "snapshot-log": log, "current-snapshot-id": main});
            if let Some(ms) = updated {
                table["last-updated-ms"] = json!(ms);
            }
            if let Some(m) = main {
                table["refs"] = json!({"main": {"snapshot-id": m, "type": "branch"}, "b": {"snapshot-id": target, "type": "branch"}});
            }
            let h = head(&table.to_string());
            let _ = h.resolve("b");
            let _ = h.resolve(&target.to_string());
            let _ = h.previous();
            if h.fast_forwardable(target).is_ok() {
                let moved = h.moved(target, 0);
                proptest::prop_assert_eq!(&moved["refs"]["main"]["snapshot-id"], &json!(target));
                proptest::prop_assert_eq!(&moved["current-snapshot-id"], &json!(target));
            }
        }
    }

    #[test]
    fn new_files_are_created_only_if_absent() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v2.metadata.json");
        create_new(&f, b"one").unwrap();
        assert_eq!(create_new(&f, b"two").unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&f).unwrap(), b"one");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_ne!(u, random_uuid());
    }
}
