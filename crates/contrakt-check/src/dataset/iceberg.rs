//! Apache Iceberg tables, read natively: a folder holding `metadata/*.metadata.json` (or that
//! file itself, or a server with `format: iceberg`) is read as one snapshot of the table. The
//! table metadata names the snapshot's manifest list, the list its manifests (Avro, see
//! [`avro`](crate::dataset::iceberg::avro)), and the manifests the data files; only live files (status ADDED or EXISTING) are
//! read, through DataFusion's Parquet reader, with the snapshot's schema and columns matched by
//! Iceberg field id, so renamed and added columns read right in files written before.
//!
//! Why not iceberg-rust: its DataFusion integration is on DataFusion 53 and its core on Arrow
//! 58, against our 55 and 59; `docs/engines.md` gives the numbers.
//!
//! Merge-on-read position deletes are applied ([`deletes`]); equality deletes and deletion
//! vectors are refused, naming the count: read without them the deleted rows would count. The metadata is untrusted input: every path
//! it names must lie under the table's location and is read from the folder the table was found
//! in (a copied table reads its own files), sizes and counts are bounded, nothing panics.

pub mod avro;
pub mod commit;
mod deletes;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::{Column, TableReference};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::logical_expr::{Expr, cast, lit};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt};
use serde::Deserialize;

use super::delta::{AsOf, confined};
use super::{DataSource, MAX_COLUMNS};
use crate::Result;

/// The metadata file read at most: real ones are kilobytes to a few megabytes.
const MAX_METADATA_BYTES: u64 = 64 << 20;
/// A manifest list or manifest read at most (Iceberg writers aim at 8 MB manifests).
const MAX_AVRO_BYTES: u64 = 256 << 20;
/// Manifests of one snapshot.
const MAX_MANIFESTS: usize = 100_000;
/// Live files of one snapshot.
const MAX_FILES: usize = 1_000_000;
/// Nesting of the table schema's types.
const MAX_TYPE_DEPTH: usize = 32;
/// Versions looked for after the one `version-hint.text` names.
const HINT_PROBES: usize = 100;
/// Manifests and Parquet footers read at once.
const CONCURRENCY: usize = 8;

/// Whether a local folder is an Iceberg table: its `metadata/` holds a `*.metadata.json`.
pub fn is_table(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("metadata"))
        .map(|entries| entries.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".metadata.json")))
        .unwrap_or(false)
}

/// Whether `path` names a table's metadata file itself (`…/metadata/00003-….metadata.json`).
pub fn is_metadata_file(path: &str) -> bool {
    path.ends_with(".metadata.json")
        && path.trim_end_matches('/').rsplit('/').nth(1).is_some_and(|dir| dir == "metadata")
}

/// The current metadata file of a table in an Iceberg SQL catalog on SQLite (pyiceberg's
/// `SqlCatalog`, Java's `JdbcCatalog`): `sqlite:///PATH#NAMESPACE.TABLE`, with SQLAlchemy's
/// paths (`sqlite:///relative.db`, `sqlite:////absolute.db`; relative to `base`), and
/// `#CATALOG/NAMESPACE.TABLE` when the file holds several catalogs. The catalog is opened read-only.
pub fn from_sql_catalog(location: &str, base: &Path) -> Result<String, String> {
    let rest =
        location.strip_prefix("sqlite:///").ok_or("an Iceberg SQL catalog is `sqlite:///PATH#NAMESPACE.TABLE`")?;
    let (path, name) = rest.split_once('#').ok_or("name the table: `sqlite:///PATH#NAMESPACE.TABLE`")?;
    let (catalog, name) = match name.split_once('/') {
        Some((c, n)) => (Some(c), n),
        None => (None, name),
    };
    let (namespace, table) = name.rsplit_once('.').ok_or_else(|| format!("`{name}` is not NAMESPACE.TABLE"))?;
    let file = if Path::new(path).is_absolute() { Path::new(path).to_path_buf() } else { base.join(path) };
    if !file.is_file() {
        return Err(format!("no SQLite catalog at {}", file.display()));
    }
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = rusqlite::Connection::open_with_flags(&file, flags).map_err(|e| format!("{}: {e}", file.display()))?;
    db.busy_timeout(std::time::Duration::from_secs(5)).map_err(|e| e.to_string())?;
    let mut query = db
        .prepare(
            "SELECT catalog_name, metadata_location FROM iceberg_tables WHERE table_namespace = ?1 AND table_name = ?2 LIMIT 100",
        )
        .map_err(|e| format!("{} is not an Iceberg SQL catalog: {e}", file.display()))?;
    let rows: Vec<(String, Option<String>)> = query
        .query_map([namespace, table], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let rows: Vec<_> = rows.into_iter().filter(|(c, _)| catalog.is_none_or(|want| want == c)).collect();
    match rows.as_slice() {
        [] => Err(format!("the catalog {} has no table {namespace}.{table}", file.display())),
        [(_, None)] => Err(format!("{namespace}.{table} has no metadata location in {}", file.display())),
        [(_, Some(metadata))] => Ok(metadata.strip_prefix("file://").unwrap_or(metadata).to_string()),
        several => {
            let names: Vec<&str> = several.iter().map(|(c, _)| c.as_str()).collect();
            Err(format!(
                "several catalogs of {} hold {namespace}.{table} ({}): name one, `#CATALOG/{namespace}.{table}`",
                file.display(),
                names.join(", ")
            ))
        }
    }
}

/// The table metadata, as far as reading a snapshot needs (format versions 1 and 2).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    location: String,
    #[serde(default)]
    current_schema_id: Option<i64>,
    #[serde(default)]
    schemas: Vec<IcebergSchema>,
    /// Format version 1's single schema.
    #[serde(default)]
    schema: Option<IcebergSchema>,
    #[serde(default)]
    current_snapshot_id: Option<i64>,
    #[serde(default)]
    snapshots: Vec<Snapshot>,
    #[serde(default)]
    snapshot_log: Vec<LogEntry>,
    #[serde(default)]
    partition_specs: Vec<PartitionSpec>,
    #[serde(default)]
    properties: HashMap<String, String>,
    /// Branches and tags (format version 2; `main` is the current snapshot's).
    #[serde(default)]
    refs: HashMap<String, Ref>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Ref {
    snapshot_id: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct IcebergSchema {
    #[serde(default)]
    schema_id: i64,
    fields: Vec<IcebergField>,
}

#[derive(Debug, Deserialize)]
struct IcebergField {
    id: i64,
    name: String,
    #[serde(default)]
    required: bool,
    #[serde(rename = "type")]
    kind: serde_json::Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Snapshot {
    snapshot_id: i64,
    timestamp_ms: i64,
    #[serde(default)]
    manifest_list: Option<String>,
    #[serde(default)]
    schema_id: Option<i64>,
    #[serde(default)]
    parent_snapshot_id: Option<i64>,
    /// `operation` and counts; a staged write-audit-publish snapshot carries `wap.id`.
    #[serde(default)]
    summary: HashMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct LogEntry {
    snapshot_id: i64,
    timestamp_ms: i64,
}

#[derive(Debug, Deserialize)]
struct PartitionSpec {
    #[serde(default)]
    fields: Vec<PartitionField>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct PartitionField {
    source_id: i64,
    transform: String,
}

/// A live data file of the snapshot.
#[derive(Debug, Clone)]
struct DataFile {
    url: url::Url,
    /// As the manifest names it, for messages.
    path: String,
    /// Its data sequence number (0 in format version 1).
    sequence: i64,
    /// The positions position-delete files delete from it, sorted.
    deleted: Option<Arc<Vec<u64>>>,
}

/// Where the table is: its folder as a URL ending in `/` and the store that reads it.
struct Table {
    root: url::Url,
    store: Arc<dyn ObjectStore>,
    /// The metadata file named with `--data`, if one was.
    metadata: Option<String>,
}

impl Table {
    fn object_path(&self, url: &url::Url) -> Result<object_store::path::Path, String> {
        object_store::path::Path::from_url_path(url.path()).map_err(|e| format!("{url}: {e}"))
    }

    async fn get(&self, url: &url::Url, limit: u64, what: &str) -> Result<Vec<u8>, String> {
        let path = self.object_path(url)?;
        let meta = self.store.head(&path).await.map_err(|e| format!("{what} {}: {e}", shown(url)))?;
        if meta.size > limit {
            return Err(format!("{what} {} is {} bytes, more than contrakt reads ({limit})", shown(url), meta.size));
        }
        let got = self.store.get(&path).await.map_err(|e| format!("{what} {}: {e}", shown(url)))?;
        let bytes = got.bytes().await.map_err(|e| format!("{what} {}: {e}", shown(url)))?;
        // A file that grew between the two requests is bounded too.
        if bytes.len() as u64 > limit {
            return Err(format!("{what} {} is more than contrakt reads ({limit} bytes)", shown(url)));
        }
        Ok(bytes.to_vec())
    }
}

fn shown(url: &url::Url) -> String {
    if url.scheme() == "file" {
        url.to_file_path().map(|p| p.display().to_string()).unwrap_or_else(|()| url.to_string())
    } else {
        url.to_string()
    }
}

/// Loads the table at `src` (at its `--as-of`), and registers the snapshot as table `name`;
/// `store` is the object store of a remote table. Returns the schema; records the snapshot id
/// read in `src`.
pub(crate) async fn register(
    ctx: &SessionContext,
    name: &str,
    object: &str,
    src: &DataSource,
    store: Option<Arc<dyn ObjectStore>>,
) -> Result<SchemaRef> {
    let table = locate(object, src, store)?;
    let fail = |m: String| src.fail(object, m);
    let metadata_url = current_metadata(&table).await.map_err(|m| fail(format!("Iceberg table: {m}")))?;
    let bytes = table.get(&metadata_url, MAX_METADATA_BYTES, "table metadata").await.map_err(&fail)?;
    let metadata: Metadata = serde_json::from_slice(&bytes)
        .map_err(|e| fail(format!("table metadata {} is not Iceberg table metadata: {e}", shown(&metadata_url))))?;
    let snapshot = pick_snapshot(&metadata, src.table.as_of).map_err(|m| fail(format!("Iceberg table: {m}")))?;
    let schema_id = snapshot.and_then(|s| s.schema_id).or(metadata.current_schema_id);
    let iceberg_schema = metadata
        .schemas
        .iter()
        .find(|s| Some(s.schema_id) == schema_id)
        .or(metadata.schema.as_ref())
        .or(metadata.schemas.last())
        .ok_or_else(|| fail("the Iceberg table metadata holds no schema".into()))?;
    if iceberg_schema.fields.len() > MAX_COLUMNS {
        return Err(fail(format!(
            "the table has {} columns, more than contrakt checks ({MAX_COLUMNS})",
            iceberg_schema.fields.len()
        )));
    }
    let target = arrow_schema(iceberg_schema).map_err(|m| fail(format!("Iceberg table schema: {m}")))?;
    let Some(snapshot) = snapshot else {
        // A table created but never written: its schema, no rows.
        let _ = src.table.version.set(0);
        let _ = src.table.kind.set(super::FileFormat::Iceberg);
        let empty = MemTable::try_new(target.clone(), vec![vec![]]).map_err(|e| fail(e.to_string()))?;
        ctx.register_table(TableReference::bare(name), Arc::new(empty)).map_err(|e| fail(e.to_string()))?;
        return Ok(target);
    };
    let in_snapshot =
        |m: String| fail(format!("Iceberg table {} snapshot {}: {m}", shown(&table.root), snapshot.snapshot_id));
    let (mut files, delete_files) = live_files(&table, &metadata, snapshot).await.map_err(in_snapshot)?;
    confine_links(&table, files.iter().map(|f| (&f.url, f.path.as_str()))).map_err(&fail)?;
    confine_links(&table, delete_files.iter().map(|f| (&f.url, f.path.as_str()))).map_err(&fail)?;
    if !delete_files.is_empty() {
        let sequences: HashMap<&str, i64> = files.iter().map(|f| (f.path.as_str(), f.sequence)).collect();
        let mut deleted = deletes::positions(&table.store, &delete_files, &sequences).await.map_err(in_snapshot)?;
        for file in &mut files {
            file.deleted = deleted.remove(&file.path);
        }
    }
    let identity_sources: Vec<i64> = metadata
        .partition_specs
        .iter()
        .flat_map(|s| &s.fields)
        .filter(|f| f.transform == "identity")
        .map(|f| f.source_id)
        .collect();
    let mapping =
        MappingRules { ids: iceberg_schema.fields.iter().map(|f| f.id).collect(), names: name_mapping(&metadata) };
    let (provider, target) = scan(ctx, &table, &files, iceberg_schema, &target, &mapping, &identity_sources)
        .await
        .map_err(|m| fail(format!("Iceberg table snapshot {}: {m}", snapshot.snapshot_id)))?;
    ctx.register_table(TableReference::bare(name), provider).map_err(|e| fail(crate::error::explain(&e)))?;
    // Snapshot ids are positive in practice; a negative one is recorded as its bits.
    let _ = src.table.version.set(snapshot.snapshot_id as u64);
    let _ = src.table.kind.set(super::FileFormat::Iceberg);
    tracing::debug!(object, snapshot = snapshot.snapshot_id, files = files.len(), "Iceberg table registered");
    Ok(target)
}

/// The schema of the Iceberg table at `src` (at its `--as-of`), and the snapshot id it is of:
/// what `diff` and `infer` compare a contract with.
pub async fn schema(object: &str, src: &DataSource) -> Result<(SchemaRef, u64)> {
    let ctx = SessionContext::new();
    let schema = register(&ctx, "t", object, src, None).await?;
    Ok((schema, src.table.version.get().copied().unwrap_or_default()))
}

fn locate(object: &str, src: &DataSource, store: Option<Arc<dyn ObjectStore>>) -> Result<Table> {
    let fail = |m: String| src.fail(object, m);
    let (folder, metadata) = if is_metadata_file(&src.url) {
        let (dir, file) = src.url.rsplit_once('/').unwrap_or((".", &src.url));
        let root = dir.strip_suffix("/metadata").unwrap_or(dir);
        (root.to_string(), Some(file.to_string()))
    } else {
        (src.url.trim_end_matches('/').to_string(), None)
    };
    let (root, store): (url::Url, Arc<dyn ObjectStore>) = if folder.contains("://") {
        let root = url::Url::parse(&format!("{folder}/")).map_err(|e| fail(format!("not a URL: {e}")))?;
        let store = store.ok_or_else(|| fail("no object store for the table".into()))?;
        (root, store)
    } else {
        let dir = std::fs::canonicalize(&folder).map_err(|e| fail(format!("cannot read {folder}: {e}")))?;
        let root =
            url::Url::from_directory_path(&dir).map_err(|()| fail(format!("{} is not a folder", dir.display())))?;
        (root, Arc::new(object_store::local::LocalFileSystem::new()))
    };
    Ok(Table { root, store, metadata })
}

/// The metadata file to read: the one named, else the one `metadata/version-hint.text` names,
/// else the highest-numbered (`v3.metadata.json`, `00003-<uuid>.metadata.json`). Two of the same
/// number (writers racing, with the catalog knowing the winner) are refused: name one.
async fn current_metadata(table: &Table) -> Result<url::Url, String> {
    let dir = table.root.join("metadata/").map_err(|e| e.to_string())?;
    if let Some(file) = &table.metadata {
        return dir.join(&escape(file)).map_err(|e| e.to_string());
    }
    let hint = dir.join("version-hint.text").map_err(|e| e.to_string())?;
    if let Ok(hint_path) = table.object_path(&hint)
        && let Ok(got) = table.store.get(&hint_path).await
        && let Ok(text) = got.bytes().await
    {
        let version = String::from_utf8_lossy(&text[..text.len().min(32)]).trim().to_string();
        if let Ok(mut version) = version.parse::<u64>() {
            // A writer that died between its new version and the hint left the hint behind: the
            // versions after it are the table's, as Hadoop tables read them (bounded probing).
            for _ in 0..HINT_PROBES {
                let Some(after) = version.checked_add(1) else { break };
                let next = dir.join(&format!("v{after}.metadata.json")).map_err(|e| e.to_string())?;
                match table.store.head(&table.object_path(&next)?).await {
                    Ok(_) => version = after,
                    Err(_) => break,
                }
            }
            return dir.join(&format!("v{version}.metadata.json")).map_err(|e| e.to_string());
        }
    }
    let prefix = table.object_path(&dir)?;
    let mut best: Option<(u64, Vec<String>)> = None;
    let mut listing = table.store.list(Some(&prefix));
    let mut seen = 0usize;
    while let Some(entry) = listing.next().await {
        let entry = entry.map_err(|e| format!("listing {}: {e}", shown(&dir)))?;
        seen += 1;
        if seen > 10 * MAX_MANIFESTS {
            return Err(format!("{} holds more than {} files", shown(&dir), 10 * MAX_MANIFESTS));
        }
        let Some(file) = entry.location.filename().map(str::to_string) else { continue };
        let Some(number) = metadata_number(&file) else { continue };
        match &mut best {
            Some((n, files)) if *n == number => files.push(file),
            Some((n, _)) if *n > number => {}
            _ => best = Some((number, vec![file])),
        }
    }
    match best {
        None => Err(format!("{} holds no *.metadata.json", shown(&dir))),
        Some((_, files)) if files.len() == 1 => dir.join(&escape(&files[0])).map_err(|e| e.to_string()),
        Some((n, mut files)) => {
            files.sort();
            Err(format!(
                "{} holds {} metadata files of version {n} ({}): name the current one, `--data OBJECT=…/metadata/FILE`, as the table's catalog does",
                shown(&dir),
                files.len(),
                files.join(", ")
            ))
        }
    }
}

/// `v12.metadata.json` and `00012-<uuid>.metadata.json` → 12.
fn metadata_number(file: &str) -> Option<u64> {
    let stem = file.strip_suffix(".metadata.json")?;
    let stem = stem.strip_prefix('v').unwrap_or(stem);
    let digits: &str = stem.split('-').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The snapshot to read: `--as-of ID` (a snapshot id), `--as-of TIME` (the table's current
/// snapshot as of then, by the snapshot log), or the current one. `None`: the table has none.
fn pick_snapshot(metadata: &Metadata, as_of: Option<AsOf>) -> Result<Option<&Snapshot>, String> {
    let by_id = |id: i64| metadata.snapshots.iter().find(|s| s.snapshot_id == id);
    match as_of {
        Some(AsOf::Version(v)) => {
            let id = i64::try_from(v).map_err(|_| format!("--as-of {v} is not a snapshot id"))?;
            let known: Vec<String> =
                metadata.snapshots.iter().rev().take(5).map(|s| s.snapshot_id.to_string()).collect();
            by_id(id).map(Some).ok_or_else(|| {
                format!(
                    "the table has no snapshot {v} (its latest: {}); --as-of takes a snapshot id or a time",
                    known.join(", ")
                )
            })
        }
        Some(AsOf::Time(t)) => {
            let ms = t.timestamp_millis();
            let log: Vec<(i64, i64)> = if metadata.snapshot_log.is_empty() {
                let mut s: Vec<(i64, i64)> =
                    metadata.snapshots.iter().map(|s| (s.timestamp_ms, s.snapshot_id)).collect();
                s.sort();
                s
            } else {
                metadata.snapshot_log.iter().map(|e| (e.timestamp_ms, e.snapshot_id)).collect()
            };
            let id = log
                .iter()
                .rev()
                .find(|(at, _)| *at <= ms)
                .map(|(_, id)| *id)
                .ok_or_else(|| format!("no snapshot of the table was current at or before {}", AsOf::Time(t)))?;
            by_id(id).map(Some).ok_or_else(|| format!("snapshot {id} of the snapshot log has expired"))
        }
        None => match metadata.current_snapshot_id {
            None | Some(-1) => Ok(None),
            Some(id) => by_id(id).map(Some).ok_or_else(|| format!("the current snapshot {id} is not in the metadata")),
        },
    }
}

/// A path as the metadata names it (absolute, under the table's `location`) as a URL inside the
/// folder the table was found in; refused when it is not under the location, or leads out.
fn relocate(location: &str, root: &url::Url, path: &str) -> Result<url::Url, String> {
    let normal = |s: &str| -> String {
        let s = s.trim_end_matches('/');
        let s = s.strip_prefix("file://").or_else(|| s.strip_prefix("file:")).unwrap_or(s);
        // Hadoop's s3a:// and s3n:// name the same objects as s3://.
        for alias in ["s3a://", "s3n://"] {
            if let Some(rest) = s.strip_prefix(alias) {
                return format!("s3://{rest}");
            }
        }
        s.to_string()
    };
    let (location, whole) = (normal(location), normal(path));
    let relative = whole
        .strip_prefix(&location)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
        .ok_or_else(|| format!("`{path}` is not under the table's location `{location}`"))?;
    confined(root, &escape(relative))
}

/// An Iceberg path is plain text, not a URL: `%`, `?` and `#` are literal characters of it.
fn escape(path: &str) -> String {
    path.replace('%', "%25").replace('?', "%3F").replace('#', "%23")
}

/// For a local table, a file reached through a symbolic link out of the folder is refused.
fn confine_links<'a>(table: &Table, files: impl Iterator<Item = (&'a url::Url, &'a str)>) -> Result<(), String> {
    for (url, path) in files {
        if let Some(real) = super::linked_out(&table.root, url) {
            return Err(format!(
                "the Iceberg metadata names `{path}`, which leads to {} through a symbolic link, outside the table; contrakt does not read it",
                real.display()
            ));
        }
    }
    Ok(())
}

/// The fields of manifest lists and manifests this reader uses; the rest is read past.
fn manifest_field(name: &str) -> bool {
    matches!(
        name,
        "manifest_path"
            | "content"
            | "status"
            | "data_file"
            | "file_path"
            | "file_format"
            | "record_count"
            | "sequence_number"
    )
}

/// The snapshot's live data files, in manifest order, and its position-delete files; refused
/// when it has equality deletes or deletion vectors.
async fn live_files(
    table: &Table,
    metadata: &Metadata,
    snapshot: &Snapshot,
) -> Result<(Vec<DataFile>, Vec<deletes::DeleteFile>), String> {
    let list = snapshot.manifest_list.as_deref().ok_or_else(|| {
        "the snapshot has no manifest list (format version 1's inline `manifests` are not read)".to_string()
    })?;
    let list_url = relocate(&metadata.location, &table.root, list).map_err(|m| format!("manifest list: {m}"))?;
    let bytes = table.get(&list_url, MAX_AVRO_BYTES, "manifest list").await?;
    let entries =
        avro::read(&bytes, &manifest_field).map_err(|m| format!("manifest list {}: {m}", shown(&list_url)))?;
    if entries.len() > MAX_MANIFESTS {
        return Err(format!(
            "the manifest list names {} manifests, more than contrakt reads ({MAX_MANIFESTS})",
            entries.len()
        ));
    }
    let mut manifests = Vec::with_capacity(entries.len());
    for entry in &entries {
        let path = entry
            .get("manifest_path")
            .and_then(avro::Value::as_str)
            .ok_or("a manifest list entry without manifest_path")?;
        // Format version 1 has no `content`: every manifest holds data.
        let content = entry.get("content").and_then(avro::Value::as_long).unwrap_or(0);
        // What the manifest's ADDED entries without their own sequence number inherit.
        let sequence = entry.get("sequence_number").and_then(avro::Value::as_long).unwrap_or(0);
        let url = relocate(&metadata.location, &table.root, path).map_err(|m| format!("manifest: {m}"))?;
        manifests.push((url, content, sequence));
    }
    let read = futures::stream::iter(manifests.iter().map(|(url, content, sequence)| async move {
        let bytes = table.get(url, MAX_AVRO_BYTES, "manifest").await?;
        let entries = avro::read(&bytes, &manifest_field).map_err(|m| format!("manifest {}: {m}", shown(url)))?;
        Ok::<_, String>((entries, *content, *sequence))
    }))
    .buffered(CONCURRENCY);
    futures::pin_mut!(read);
    let (mut files, mut delete_files, mut refused) = (Vec::new(), Vec::new(), 0usize);
    while let Some(manifest) = read.next().await {
        let (entries, manifest_content, manifest_sequence) = manifest?;
        for entry in entries {
            // 0 EXISTING, 1 ADDED, 2 DELETED.
            let status = entry.get("status").and_then(avro::Value::as_long).ok_or("a manifest entry without status")?;
            if status == 2 {
                continue;
            }
            if !(0..=1).contains(&status) {
                return Err(format!("a manifest entry of status {status}"));
            }
            let file = entry.get("data_file").ok_or("a manifest entry without data_file")?;
            let content = file.get("content").and_then(avro::Value::as_long).unwrap_or(0);
            let sequence = entry.get("sequence_number").and_then(avro::Value::as_long).unwrap_or(manifest_sequence);
            let path = file.get("file_path").and_then(avro::Value::as_str).ok_or("a data file without file_path")?;
            let format = file.get("file_format").and_then(avro::Value::as_str).unwrap_or("PARQUET");
            // 1: position deletes (Parquet; a Puffin one is a deletion vector), 2: equality.
            if manifest_content != 0 || content != 0 {
                if content != 1 || !format.eq_ignore_ascii_case("parquet") {
                    refused += 1;
                    continue;
                }
                let url = relocate(&metadata.location, &table.root, path).map_err(|m| {
                    format!("the metadata names a delete file outside the table, which contrakt does not read: {m}")
                })?;
                delete_files.push(deletes::DeleteFile { url, path: path.to_string(), sequence });
                if delete_files.len() > MAX_FILES {
                    return Err(format!(
                        "the snapshot has more than {MAX_FILES} delete files, more than contrakt reads"
                    ));
                }
                continue;
            }
            if !format.eq_ignore_ascii_case("parquet") {
                return Err(format!("data file `{path}` is {format}; contrakt reads Iceberg tables of Parquet files"));
            }
            let url = relocate(&metadata.location, &table.root, path).map_err(|m| {
                format!("the metadata names a file outside the table, which contrakt does not read: {m}")
            })?;
            files.push(DataFile { url, path: path.to_string(), sequence, deleted: None });
            if files.len() > MAX_FILES {
                return Err(format!("the snapshot has more than {MAX_FILES} data files, more than contrakt reads"));
            }
        }
    }
    if refused > 0 {
        return Err(format!(
            "it has {refused} equality-delete file(s) or deletion vector(s) (merge-on-read deletes), which contrakt does not apply yet (it applies position deletes): the rows they delete would be counted. Compact the table (rewrite its data files, e.g. Spark's `rewrite_data_files`) or check a snapshot without them (--as-of)"
        ));
    }
    Ok((files, delete_files))
}

/// `schema.name-mapping.default`: field ids by column name, for files written without ids
/// (imported Parquet files).
fn name_mapping(metadata: &Metadata) -> HashMap<String, i64> {
    #[derive(Deserialize)]
    #[serde(rename_all = "kebab-case")]
    struct Mapped {
        #[serde(default)]
        field_id: Option<i64>,
        #[serde(default)]
        names: Vec<String>,
    }
    let Some(text) = metadata.properties.get("schema.name-mapping.default") else { return HashMap::new() };
    let mapped: Vec<Mapped> = serde_json::from_str(text).unwrap_or_default();
    mapped
        .into_iter()
        .filter_map(|m| Some((m.names, m.field_id?)))
        .flat_map(|(names, id)| names.into_iter().map(move |n| (n, id)))
        .collect()
}

struct MappingRules {
    ids: Vec<i64>,
    names: HashMap<String, i64>,
}

/// The Arrow schema of the snapshot's schema, as DataFusion reads the files (strings and
/// binaries as views); a required field is not nullable.
fn arrow_schema(schema: &IcebergSchema) -> Result<SchemaRef, String> {
    let fields = schema
        .fields
        .iter()
        .map(|f| Ok(Field::new(&f.name, arrow_type(&f.kind, 0)?, !f.required)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Arc::new(Schema::new(fields)))
}

fn arrow_type(kind: &serde_json::Value, depth: usize) -> Result<DataType, String> {
    use serde_json::Value as J;
    if depth > MAX_TYPE_DEPTH {
        return Err(format!("a type nests more than {MAX_TYPE_DEPTH} levels"));
    }
    Ok(match kind {
        J::String(name) => match name.as_str() {
            "boolean" => DataType::Boolean,
            "int" => DataType::Int32,
            "long" => DataType::Int64,
            "float" => DataType::Float32,
            "double" => DataType::Float64,
            "date" => DataType::Date32,
            "time" => DataType::Time64(TimeUnit::Microsecond),
            "timestamp" => DataType::Timestamp(TimeUnit::Microsecond, None),
            "timestamptz" => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            "timestamp_ns" => DataType::Timestamp(TimeUnit::Nanosecond, None),
            "timestamptz_ns" => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            "string" => DataType::Utf8View,
            "uuid" => DataType::FixedSizeBinary(16),
            "binary" => DataType::BinaryView,
            other => {
                if let Some(n) = other.strip_prefix("fixed[").and_then(|r| r.strip_suffix(']')) {
                    let n: i32 = n.trim().parse().map_err(|_| format!("type `{other}`"))?;
                    DataType::FixedSizeBinary(n)
                } else if let Some(ps) = other.strip_prefix("decimal(").and_then(|r| r.strip_suffix(')')) {
                    let (p, s) = ps.split_once(',').ok_or(format!("type `{other}`"))?;
                    let p: u8 = p.trim().parse().map_err(|_| format!("type `{other}`"))?;
                    let s: i8 = s.trim().parse().map_err(|_| format!("type `{other}`"))?;
                    if p == 0 || p > 38 {
                        return Err(format!("type `{other}`: precision 1 to 38"));
                    }
                    DataType::Decimal128(p, s)
                } else {
                    return Err(format!("type `{other}` is not an Iceberg type contrakt reads"));
                }
            }
        },
        J::Object(o) => match o.get("type").and_then(J::as_str) {
            Some("struct") => {
                let fields = o.get("fields").and_then(J::as_array).ok_or("a struct without fields")?;
                let fields = fields
                    .iter()
                    .map(|f| {
                        let name = f.get("name").and_then(J::as_str).ok_or("a struct field without name")?;
                        Ok(Field::new(
                            name,
                            arrow_type(f.get("type").ok_or("a struct field without type")?, depth + 1)?,
                            true,
                        ))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                DataType::Struct(fields.into())
            }
            Some("list") => {
                let element = arrow_type(o.get("element").ok_or("a list without element")?, depth + 1)?;
                DataType::List(Arc::new(Field::new("element", element, true)))
            }
            Some("map") => {
                let key = arrow_type(o.get("key").ok_or("a map without key")?, depth + 1)?;
                let value = arrow_type(o.get("value").ok_or("a map without value")?, depth + 1)?;
                let entries =
                    DataType::Struct(vec![Field::new("key", key, false), Field::new("value", value, true)].into());
                DataType::Map(Arc::new(Field::new("key_value", entries, false)), false)
            }
            _ => return Err(format!("type `{kind}` is not an Iceberg type")),
        },
        other => return Err(format!("type `{other}` is not an Iceberg type")),
    })
}

/// The field id Parquet files written for Iceberg carry on each column.
const FIELD_ID: &str = "PARQUET:field_id";

/// Reads the data files as the snapshot's schema: files are grouped by how their columns map to
/// the schema's fields (by field id; by the name mapping or name for files without ids); each
/// group is one Parquet listing projected onto the schema (renamed columns aliased, missing
/// ones null, types cast), and the groups are unioned. One group mapping column for column is
/// the listing itself.
async fn scan(
    ctx: &SessionContext,
    table: &Table,
    files: &[DataFile],
    iceberg: &IcebergSchema,
    target: &SchemaRef,
    rules: &MappingRules,
    identity_sources: &[i64],
) -> Result<(Arc<dyn datafusion::catalog::TableProvider>, SchemaRef), String> {
    if files.is_empty() {
        let empty = MemTable::try_new(target.clone(), vec![vec![]]).map_err(|e| e.to_string())?;
        return Ok((Arc::new(empty), target.clone()));
    }
    // Each file's Arrow schema (with field ids), read from its footer as DataFusion reads it.
    let state = ctx.state();
    // Field metadata kept: it holds the field ids.
    let format = ParquetFormat::default().with_skip_metadata(false);
    let footers = futures::stream::iter(files.iter().map(|file| {
        let (state, format) = (&state, &format);
        async move {
            let path = table.object_path(&file.url)?;
            let meta = table.store.head(&path).await.map_err(|e| format!("data file `{}`: {e}", file.path))?;
            datafusion::datasource::file_format::FileFormat::infer_schema(format, state, &table.store, &[meta])
                .await
                .map_err(|e| format!("data file `{}` is not a readable Parquet file: {e}", file.path))
        }
    }))
    .buffered(CONCURRENCY)
    .try_collect::<Vec<SchemaRef>>()
    .await?;

    // Group: for each field of the schema, the file's column (name, type) or none.
    type Key = Vec<Option<(String, DataType)>>;
    // Keyed by the mapping as text (DataType is not Ord): the mapping, the files' schema, the files.
    type Group<'f> = (Key, SchemaRef, Vec<&'f DataFile>);
    let mut groups: BTreeMap<Vec<Option<(String, String)>>, Group<'_>> = BTreeMap::new();
    for (file, schema) in files.iter().zip(&footers) {
        let file_schema = view_types(schema);
        let mut key: Key = Vec::with_capacity(rules.ids.len());
        let has_ids = file_schema.fields().iter().any(|f| f.metadata().contains_key(FIELD_ID));
        for (field, id) in iceberg.fields.iter().zip(&rules.ids) {
            let column = file_schema.fields().iter().find(|c| {
                if has_ids {
                    c.metadata().get(FIELD_ID).and_then(|v| v.parse::<i64>().ok()) == Some(*id)
                } else {
                    rules.names.get(c.name()).map_or(c.name() == &field.name, |mapped| mapped == id)
                }
            });
            if column.is_none() && identity_sources.contains(id) {
                return Err(format!(
                    "data file `{}` lacks the partition column `{}` (its value is only in the manifest), which contrakt does not read yet",
                    file.path, field.name
                ));
            }
            key.push(column.map(|c| (c.name().clone(), c.data_type().clone())));
        }
        let sort_key = key.iter().map(|c| c.as_ref().map(|(n, t)| (n.clone(), t.to_string()))).collect();
        groups.entry(sort_key).or_insert_with(|| (key, file_schema.clone(), Vec::new())).2.push(file);
    }
    // A nested column as the files have it when only nested names or field ids differ from the
    // schema's (casting it would copy every value for nothing).
    let target: SchemaRef = Arc::new(Schema::new(
        target
            .fields()
            .iter()
            .enumerate()
            .map(|(i, want)| {
                let same = groups.values().find_map(|(key, _, _)| {
                    key[i].as_ref().map(|(_, have)| have).filter(|have| have.equals_datatype(want.data_type()))
                });
                want.as_ref().clone().with_data_type(same.cloned().unwrap_or_else(|| want.data_type().clone()))
            })
            .collect::<Vec<_>>(),
    ));
    let target = &target;
    let mut union: Option<datafusion::dataframe::DataFrame> = None;
    // One group is one listing of its files without deletes, and one streaming table of its
    // files with deleted rows (skipped by a row selection; one partition each).
    let parts = groups.into_values().flat_map(|(key, file_schema, group)| {
        let (deleted, plain): (Vec<&DataFile>, Vec<&DataFile>) = group.into_iter().partition(|f| f.deleted.is_some());
        [(key.clone(), file_schema.clone(), plain, false), (key, file_schema, deleted, true)]
    });
    for (key, file_schema, group, with_deletes) in parts {
        if group.is_empty() {
            continue;
        }
        let provider: Arc<dyn datafusion::catalog::TableProvider> = if with_deletes {
            let partitions = group
                .iter()
                .map(|f| {
                    Arc::new(deletes::DeletedRows {
                        store: table.store.clone(),
                        url: f.url.clone(),
                        path: f.path.clone(),
                        schema: file_schema.clone(),
                        deleted: f.deleted.clone().unwrap_or_default(),
                    }) as Arc<dyn datafusion::physical_plan::streaming::PartitionStream>
                })
                .collect();
            Arc::new(
                datafusion::catalog::streaming::StreamingTable::try_new(file_schema.clone(), partitions)
                    .map_err(|e| e.to_string())?,
            )
        } else {
            let urls = group
                .iter()
                .map(|f| ListingTableUrl::parse(f.url.as_str()))
                .collect::<datafusion::error::Result<Vec<_>>>()
                .map_err(|e| e.to_string())?;
            let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
            let config = ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(options)
                .with_schema(file_schema.clone());
            Arc::new(ListingTable::try_new(config).map_err(|e| e.to_string())?)
        };
        let identity = groups_is_identity(&key, target, &file_schema);
        if identity && union.is_none() && key.len() == file_schema.fields().len() {
            union = Some(ctx.read_table(provider).map_err(|e| e.to_string())?);
            continue;
        }
        let df = ctx.read_table(provider).map_err(|e| e.to_string())?;
        let exprs: Vec<Expr> = key
            .iter()
            .zip(target.fields())
            .map(|(column, want)| {
                let expr = match column {
                    Some((name, have)) => {
                        let c = Expr::Column(Column::new_unqualified(name.clone()));
                        if have == want.data_type() { c } else { cast(c, want.data_type().clone()) }
                    }
                    None => cast(lit(datafusion::common::ScalarValue::Null), want.data_type().clone()),
                };
                expr.alias(want.name())
            })
            .collect();
        let df = df.select(exprs).map_err(|e| e.to_string())?;
        union = Some(match union {
            None => df,
            Some(u) => u.union(df).map_err(|e| e.to_string())?,
        });
    }
    let df = union.ok_or("no data files")?;
    Ok((df.into_view(), target.clone()))
}

/// Whether a group's files are the schema column for column: same names, same types.
fn groups_is_identity(key: &[Option<(String, DataType)>], target: &SchemaRef, file_schema: &SchemaRef) -> bool {
    key.iter().zip(target.fields()).zip(file_schema.fields()).all(|((column, want), have)| {
        column.as_ref().is_some_and(|(name, ty)| name == want.name() && ty == want.data_type() && have.name() == name)
    })
}

/// A footer's schema as DataFusion's Parquet reader reads it by default: strings and binaries
/// as views (top-level columns), with the field ids kept.
fn view_types(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let ty = match f.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 => DataType::Utf8View,
                DataType::Binary | DataType::LargeBinary => DataType::BinaryView,
                other => other.clone(),
            };
            f.as_ref().clone().with_data_type(ty)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_files_are_numbered() {
        assert_eq!(metadata_number("v12.metadata.json"), Some(12));
        assert_eq!(metadata_number("00003-5a0c2b1e-0000-4000-8000-000000000000.metadata.json"), Some(3));
        assert_eq!(metadata_number("version-hint.text"), None);
        assert_eq!(metadata_number("x.metadata.json"), None);
        assert!(is_metadata_file("/t/metadata/00001-a.metadata.json"));
        assert!(!is_metadata_file("/t/00001-a.metadata.json"));
    }

    /// A hint left behind by a writer that died before updating it: the versions after it are
    /// read, as Hadoop tables read them; a hint of no next version reads as it says.
    #[tokio::test]
    async fn versions_after_the_hint_are_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let metadata = dir.path().join("metadata");
        std::fs::create_dir(&metadata).unwrap();
        for v in 1..=3 {
            std::fs::write(metadata.join(format!("v{v}.metadata.json")), "{}").unwrap();
        }
        let table = Table {
            root: url::Url::from_directory_path(dir.path()).unwrap(),
            store: Arc::new(object_store::local::LocalFileSystem::new()),
            metadata: None,
        };
        let current =
            || async { current_metadata(&table).await.unwrap().path().rsplit('/').next().unwrap().to_string() };
        std::fs::write(metadata.join("version-hint.text"), "1\n").unwrap();
        assert_eq!(current().await, "v3.metadata.json");
        std::fs::write(metadata.join("version-hint.text"), "18446744073709551615").unwrap();
        assert_eq!(current().await, "v18446744073709551615.metadata.json", "no overflow past the last");
    }

    #[test]
    fn paths_are_relocated_into_the_folder_found() {
        let root = url::Url::parse("file:///copy/orders/").unwrap();
        let loc = "file:///warehouse/db/orders";
        let ok = relocate(loc, &root, "file:///warehouse/db/orders/data/a b%.parquet").unwrap();
        assert_eq!(ok.to_file_path().unwrap(), Path::new("/copy/orders/data/a b%.parquet"));
        assert!(relocate("/warehouse/db/orders", &root, "/warehouse/db/orders/data/x.parquet").is_ok());
        assert!(relocate("s3a://b/t", &url::Url::parse("s3://b/t/").unwrap(), "s3://b/t/data/x.parquet").is_ok());
        for bad in [
            "file:///warehouse/db/orders/../customers/x.parquet",
            "file:///warehouse/db/orders/data/../../x.parquet",
            "file:///warehouse/db/orders-evil/x.parquet",
            "file:///etc/passwd",
            "/etc/passwd",
            "s3://bucket/warehouse/db/orders/x.parquet",
            "http://169.254.169.254/latest/meta-data",
            "file:///warehouse/db/orders",
            "data/x.parquet",
        ] {
            assert!(relocate(loc, &root, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn types_convert_and_nesting_is_bounded() {
        let t = |s: &str| arrow_type(&serde_json::from_str(s).unwrap(), 0);
        assert_eq!(t(r#""decimal(10, 2)""#), Ok(DataType::Decimal128(10, 2)));
        assert_eq!(t(r#""fixed[4]""#), Ok(DataType::FixedSizeBinary(4)));
        assert_eq!(t(r#""string""#), Ok(DataType::Utf8View));
        assert!(t(r#""decimal(99, 2)""#).is_err());
        assert!(t(r#""variant""#).is_err());
        let mut deep = r#""long""#.to_string();
        for _ in 0..40 {
            deep = format!(r#"{{"type":"list","element-id":1,"element":{deep},"element-required":false}}"#);
        }
        assert!(t(&deep).unwrap_err().contains("nests"));
    }

    #[test]
    fn snapshots_are_picked_by_id_time_or_current() {
        let metadata: Metadata = serde_json::from_str(
            r#"{"format-version":2,"location":"/t","current-snapshot-id":2,
                "snapshots":[{"snapshot-id":1,"timestamp-ms":1000},{"snapshot-id":2,"timestamp-ms":2000}],
                "snapshot-log":[{"snapshot-id":1,"timestamp-ms":1000},{"snapshot-id":2,"timestamp-ms":2000}]}"#,
        )
        .unwrap();
        assert_eq!(pick_snapshot(&metadata, None).unwrap().unwrap().snapshot_id, 2);
        assert_eq!(pick_snapshot(&metadata, Some(AsOf::Version(1))).unwrap().unwrap().snapshot_id, 1);
        let at = |ms| Some(AsOf::Time(chrono::DateTime::from_timestamp_millis(ms).unwrap()));
        assert_eq!(pick_snapshot(&metadata, at(1500)).unwrap().unwrap().snapshot_id, 1);
        assert_eq!(pick_snapshot(&metadata, at(2000)).unwrap().unwrap().snapshot_id, 2);
        assert!(pick_snapshot(&metadata, at(999)).unwrap_err().contains("no snapshot"));
        assert!(pick_snapshot(&metadata, Some(AsOf::Version(7))).unwrap_err().contains("no snapshot 7"));
        assert!(pick_snapshot(&metadata, Some(AsOf::Version(u64::MAX))).is_err());
    }
}
