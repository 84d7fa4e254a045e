//! Delta Lake tables: a folder with a `_delta_log/` (or a server with `format: delta`) is read
//! as one snapshot of the table through delta-rs's DataFusion table provider, so files that a
//! later commit removed are never counted, deletion vectors apply, and `--where`/`--partition`
//! prune files by their partition values and statistics. `--as-of` reads an earlier version.
//!
//! A Delta log is data written by someone else: its file paths are confined to the table (see
//! `confined`) before anything is scanned. The reading itself needs the cargo feature `delta`;
//! without it a Delta table is refused with a message that says so.

use std::fmt;
use std::path::Path;

use chrono::{DateTime, Utc};

/// Which snapshot of a Delta table to read (`--as-of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// A table version (commit number).
    Version(u64),
    /// The newest version committed at or before this time.
    Time(DateTime<Utc>),
}

impl AsOf {
    /// `12` (a version), or a time as `--now` reads it (RFC 3339, a naive timestamp in UTC, or
    /// a date).
    pub fn parse(s: &str) -> Result<AsOf, String> {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(AsOf::Version).map_err(|e| format!("`{s}`: {e}"));
        }
        contrakt_core::time::parse_time(s).map(AsOf::Time).ok_or_else(|| {
            format!(
                "cannot read `{s}` as a table version (`12`) or a time (RFC 3339, `2025-06-01T00:00:00Z`, or a date)"
            )
        })
    }
}

impl fmt::Display for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsOf::Version(v) => write!(f, "version {v}"),
            AsOf::Time(t) => write!(f, "{}", t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        }
    }
}

/// Whether a local folder is a Delta table: it holds a `_delta_log` folder.
pub fn is_table(dir: &Path) -> bool {
    dir.join("_delta_log").is_dir()
}

/// Whether `path`, a data file's or a deletion vector's path as a Delta log gives it (relative
/// to the table, or an absolute URL), stays inside the table at `root` (a URL ending in `/`).
/// delta-rs resolves paths the same way (`resolve`); an absolute URL elsewhere or `..`
/// steps would otherwise read any file the job can (`file:///home/ci/.aws/credentials`), and
/// the failing-row samples would print it. `Err` says why.
pub fn confined(root: &url::Url, path: &str) -> Result<url::Url, String> {
    let resolved = resolve(root, path).map_err(|e| format!("`{path}` is not a path: {e}"))?;
    let same_store = resolved.scheme() == root.scheme()
        && resolved.host_str() == root.host_str()
        && resolved.port_or_known_default() == root.port_or_known_default();
    if !same_store || !resolved.path().starts_with(root.path()) {
        return Err(format!("`{path}` is outside the table"));
    }
    // Object stores decode the URL's path: an encoded `..` (`%2E%2E`, `a%2F..`) must not
    // become a step out either.
    let decoded = percent_decode(&resolved.path()[root.path().len()..]);
    if decoded.split(['/', '\\']).any(|s| s == ".." || s == ".") || decoded.contains('\0') {
        return Err(format!("`{path}` steps out of the table"));
    }
    Ok(resolved)
}

/// A log path as delta-rs reads it: an absolute URL as it is, anything else relative to the
/// table's root.
fn resolve(root: &url::Url, path: &str) -> Result<url::Url, url::ParseError> {
    match url::Url::parse(path) {
        Ok(url) => Ok(url),
        Err(_) => root.join(path),
    }
}

/// `%2E` → `.`: a URL path (segment) as object stores and file systems read it.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |i: usize| bytes.get(i).and_then(|b| (*b as char).to_digit(16));
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path a deletion vector stored beside the data (`storageType: u`) has: an optional
/// prefix folder and a name from its 20-character UUID, relative to the table.
#[cfg_attr(not(feature = "delta"), allow(dead_code))]
fn relative_dv_path(path_or_inline_dv: &str) -> Option<String> {
    let cut = path_or_inline_dv.len().checked_sub(20)?;
    let prefix = path_or_inline_dv.get(..cut)?;
    // The name is made from the UUID; only the prefix, a folder, can lead anywhere.
    Some(if prefix.is_empty() { "deletion_vector.bin".into() } else { format!("{prefix}/deletion_vector.bin") })
}

#[cfg(feature = "delta")]
pub(crate) use read::register;
#[cfg(feature = "delta")]
pub use read::schema;
#[cfg(feature = "delta")]
pub use write::{append, restore_previous};

/// A commit made by [`append`] or [`restore_previous`]: the table's version before it, if the
/// table existed, and the version it made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub from: Option<u64>,
    pub to: u64,
    /// For a restore: the version whose files the new version holds.
    pub restored: Option<u64>,
}

#[cfg(not(feature = "delta"))]
pub async fn append(
    object: &str,
    _staged: &crate::dataset::DataSource,
    table: &crate::dataset::DataSource,
) -> crate::Result<Committed> {
    Err(table
        .fail(object, "a Delta table, and this contrakt was built without Delta Lake support (cargo feature `delta`)"))
}

#[cfg(not(feature = "delta"))]
pub async fn restore_previous(object: &str, table: &crate::dataset::DataSource) -> crate::Result<Committed> {
    Err(table
        .fail(object, "a Delta table, and this contrakt was built without Delta Lake support (cargo feature `delta`)"))
}

/// The schema of the Delta table at `src` (at its `--as-of`), and the version it is of: what
/// `diff` and `infer` compare a contract with.
#[cfg(not(feature = "delta"))]
pub async fn schema(
    object: &str,
    src: &crate::dataset::DataSource,
) -> crate::Result<(datafusion::arrow::datatypes::SchemaRef, u64)> {
    register(&datafusion::prelude::SessionContext::new(), "t", object, src, None).await.map(|s| (s, 0))
}

#[cfg(not(feature = "delta"))]
pub(crate) async fn register(
    _ctx: &datafusion::prelude::SessionContext,
    _name: &str,
    object: &str,
    src: &crate::dataset::DataSource,
    _store: Option<std::sync::Arc<dyn object_store::ObjectStore>>,
) -> crate::Result<datafusion::arrow::datatypes::SchemaRef> {
    Err(src
        .fail(object, "a Delta table, and this contrakt was built without Delta Lake support (cargo feature `delta`)"))
}

#[cfg(feature = "delta")]
mod read {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::SchemaRef;
    use datafusion::common::TableReference;
    use datafusion::prelude::SessionContext;
    use deltalake::kernel::StorageType;
    use deltalake::logstore::{LogStore, LogStoreFactory, StorageConfig, default_logstore, logstore_factories};
    use deltalake::{DeltaTable, DeltaTableBuilder, ObjectStore};

    use super::{AsOf, confined, relative_dv_path};
    use crate::dataset::{DataSource, MAX_COLUMNS};
    use crate::{Error, Result};

    /// The log store of a table on S3 read through contrakt's own S3 store (credentials from the
    /// environment, the endpoint rules of [`crate::dataset`]): delta-rs's default one, which is
    /// all a reader needs (delta-rs's S3 crate adds the locking that writers need).
    #[derive(Debug, Default)]
    struct ReadOnlyLogStore;

    impl LogStoreFactory for ReadOnlyLogStore {
        fn with_options(
            &self,
            prefixed_store: Arc<dyn ObjectStore>,
            root_store: Arc<dyn ObjectStore>,
            location: &url::Url,
            options: &StorageConfig,
        ) -> deltalake::DeltaResult<Arc<dyn LogStore>> {
            Ok(default_logstore(prefixed_store, root_store, location, options))
        }
    }

    /// The table's root as a URL ending in `/`: a local folder resolved through symbolic
    /// links, or the `s3://` URL.
    fn table_url(object: &str, src: &DataSource) -> Result<url::Url> {
        let fail = |m: String| src.fail(object, m);
        if src.url.contains("://") {
            let mut url = url::Url::parse(&src.url).map_err(|e| fail(format!("not a URL: {e}")))?;
            if !url.path().ends_with('/') {
                url.set_path(&format!("{}/", url.path()));
            }
            return Ok(url);
        }
        let dir = std::fs::canonicalize(&src.url).map_err(|e| fail(format!("cannot read {}: {e}", src.url)))?;
        url::Url::from_directory_path(&dir).map_err(|()| fail(format!("{} is not a folder", dir.display())))
    }

    /// Loads the table (at `src`'s `--as-of`), confines its files, and registers its snapshot as
    /// table `name`; `store` is the object store of a remote table. Returns the table's schema and
    /// records the version read in `src`.
    pub(crate) async fn register(
        ctx: &SessionContext,
        name: &str,
        object: &str,
        src: &DataSource,
        store: Option<Arc<dyn ObjectStore>>,
    ) -> Result<SchemaRef> {
        let table = load(object, src, store).await?;
        let snapshot = table.snapshot().map_err(|e| src.fail(object, e.to_string()))?;
        let version = snapshot.version();
        let provider = table
            .table_provider()
            .await
            .map_err(|e| src.fail(object, format!("Delta table version {version}: {e}")))?;
        let schema = provider.schema();
        if schema.fields().len() > MAX_COLUMNS {
            return Err(src.fail(
                object,
                format!("the table has {} columns, more than contrakt checks ({MAX_COLUMNS})", schema.fields().len()),
            ));
        }
        // The table's own store for the scan (a local table's is the session's file system).
        table.update_datafusion_session(&ctx.state()).map_err(|e| src.fail(object, e.to_string()))?;
        ctx.register_table(TableReference::bare(name), provider)
            .map_err(|e| src.fail(object, crate::error::explain(&e)))?;
        let _ = src.table.version.set(version);
        tracing::debug!(object, version, files = snapshot.log_data().num_files(), "Delta table registered");
        Ok(schema)
    }

    /// The schema of the Delta table at `src` (at its `--as-of`), and the version it is of:
    /// what `diff` and `infer` compare a contract with.
    pub async fn schema(object: &str, src: &DataSource) -> Result<(SchemaRef, u64)> {
        let ctx = SessionContext::new();
        let schema = register(&ctx, "t", object, src, None).await?;
        Ok((schema, src.table.version.get().copied().unwrap_or_default()))
    }

    pub(super) async fn load(
        object: &str,
        src: &DataSource,
        store: Option<Arc<dyn ObjectStore>>,
    ) -> Result<DeltaTable> {
        let fail = |m: String| src.fail(object, m);
        let root = table_url(object, src)?;
        let mut builder = DeltaTableBuilder::from_url(root.clone()).map_err(|e| fail(e.to_string()))?;
        if let Some(store) = store {
            let scheme = url::Url::parse(&format!("{}://", root.scheme())).map_err(|e| fail(e.to_string()))?;
            let factories = logstore_factories();
            if !factories.contains_key(&scheme) {
                factories.insert(scheme, Arc::new(ReadOnlyLogStore));
            }
            builder = builder.with_storage_backend(store, root.clone());
        }
        builder = match src.table.as_of {
            Some(AsOf::Version(v)) => builder.with_version(v),
            Some(AsOf::Time(t)) => builder.with_timestamp(t),
            None => builder,
        };
        // delta-rs parses a log written by someone else: a panic in it is this object's error,
        // not the run's end.
        let table = tokio::spawn(builder.load())
            .await
            .map_err(|e| fail(format!("reading the Delta log failed: {e}")))?
            .map_err(|e| {
                let at = src.table.as_of.map(|a| format!(" at {a}")).unwrap_or_default();
                fail(format!("not a readable Delta table{at}: {e}"))
            })?;
        if let Some(AsOf::Time(t)) = src.table.as_of {
            // delta-rs reads the first version for a time before it; there was no table then.
            let snapshot = table.snapshot().map_err(|e| fail(e.to_string()))?;
            let committed = snapshot.version_timestamp(snapshot.version());
            if committed.is_some_and(|ms| ms > t.timestamp_millis()) {
                let when = committed
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|c| c.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .unwrap_or_default();
                return Err(fail(format!(
                    "no version of the Delta table was committed at or before {} (version {} was, at {when})",
                    AsOf::Time(t),
                    snapshot.version()
                )));
            }
        }
        confine(object, src, &root, &table)?;
        Ok(table)
    }

    /// Refuses a table whose log names a data file or deletion vector outside it (see
    /// `confined`); for a local table, also through symbolic links inside the folder.
    fn confine(object: &str, src: &DataSource, root: &url::Url, table: &DeltaTable) -> Result<()> {
        let refuse = |why: String| -> Error {
            src.fail(
                object,
                format!("the Delta log names a file outside the table, which contrakt does not read: {why}"),
            )
        };
        let snapshot = table.snapshot().map_err(|e| src.fail(object, e.to_string()))?;
        for file in snapshot.log_data().iter() {
            let path = file.path();
            let url = confined(root, &path).map_err(&refuse)?;
            if let Some(real) = crate::dataset::linked_out(root, &url) {
                return Err(refuse(format!("`{path}` leads to {} through a symbolic link", real.display())));
            }
            if let Some(dv) = file.deletion_vector_descriptor() {
                let dv_path = match dv.storage_type {
                    StorageType::Inline => continue,
                    StorageType::AbsolutePath => Some(dv.path_or_inline_dv.clone()),
                    StorageType::UuidRelativePath => relative_dv_path(&dv.path_or_inline_dv),
                };
                let dv_path = dv_path.ok_or_else(|| refuse(format!("deletion vector `{}`", dv.path_or_inline_dv)))?;
                confined(root, &dv_path).map_err(|why| refuse(format!("deletion vector of `{path}`: {why}")))?;
            }
        }
        Ok(())
    }
}

/// Write-audit-publish on a Delta table: the audited data goes in as one commit (delta-rs's
/// write, an atomic `put-if-absent` of the next log entry), and a rollback is one more commit
/// that restores the version before the latest (delta-rs's restore).
#[cfg(feature = "delta")]
mod write {
    use std::sync::Arc;

    use datafusion::prelude::SessionContext;
    use deltalake::protocol::SaveMode;

    use super::Committed;
    use crate::Result;
    use crate::dataset::DataSource;

    fn version(table: &deltalake::DeltaTable) -> Option<u64> {
        table.version()
    }

    /// Appends the data at `staged` to the Delta table at `table` in one commit.
    pub async fn append(object: &str, staged: &DataSource, table: &DataSource) -> Result<Committed> {
        // delta-rs's session: its write plan has nodes only its planner executes.
        let ctx: SessionContext = deltalake::delta_datafusion::create_session().into_inner();
        crate::dataset::register(&ctx, "staged", object, staged).await?;
        let plan = ctx
            .table("staged")
            .await
            .map_err(|e| staged.fail(object, crate::error::explain(&e)))?
            .into_unoptimized_plan();
        let delta = super::read::load(object, table, None).await?;
        let from = version(&delta);
        let written = delta
            .write(Vec::new())
            .with_input_plan(plan)
            .with_session_state(Arc::new(ctx.state()))
            .with_save_mode(SaveMode::Append)
            .await
            .map_err(|e| table.fail(object, format!("writing to the Delta table: {e}")))?;
        let to = version(&written).ok_or_else(|| table.fail(object, "the Delta write made no version"))?;
        Ok(Committed { from, to, restored: None })
    }

    /// Restores the Delta table at `table` to the version before its latest, as a new commit.
    pub async fn restore_previous(object: &str, table: &DataSource) -> Result<Committed> {
        let delta = super::read::load(object, table, None).await?;
        let from = version(&delta).ok_or_else(|| table.fail(object, "the Delta table has no version"))?;
        let Some(restored) = from.checked_sub(1) else {
            return Err(
                table.fail(object, "the Delta table has only version 0: there is no earlier version to roll back to")
            );
        };
        let (restored_table, _) = delta
            .restore()
            .with_version_to_restore(restored)
            .await
            .map_err(|e| table.fail(object, format!("restoring version {restored}: {e}")))?;
        let to = version(&restored_table).ok_or_else(|| table.fail(object, "the restore made no version"))?;
        Ok(Committed { from: Some(from), to, restored: Some(restored) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_is_a_version_or_a_time() {
        assert_eq!(AsOf::parse("12"), Ok(AsOf::Version(12)));
        assert_eq!(AsOf::parse(" 0 "), Ok(AsOf::Version(0)));
        let t = AsOf::parse("2025-06-01T10:00:00Z").unwrap();
        assert_eq!(t.to_string(), "2025-06-01T10:00:00Z");
        assert!(matches!(AsOf::parse("2025-06-01"), Ok(AsOf::Time(_))));
        assert!(AsOf::parse("99999999999999999999999").is_err());
        assert!(AsOf::parse("-1").is_err());
        assert!(AsOf::parse("yesterday").unwrap_err().contains("yesterday"));
    }

    #[test]
    fn log_paths_stay_inside_the_table() {
        let root = url::Url::parse("file:///data/orders/").unwrap();
        for ok in
            ["part-0.parquet", "day=2025-01-01/part-0.parquet", "a%20b/x.parquet", "file:///data/orders/x.parquet"]
        {
            assert!(confined(&root, ok).is_ok(), "{ok}");
        }
        for bad in [
            "../secrets.parquet",
            "day=1/../../x.parquet",
            "%2E%2E/x.parquet",
            "a%2F..%2F..%2Fetc/passwd",
            "/etc/passwd",
            "file:///etc/passwd",
            "file:///data/orders-evil/x.parquet",
            "file://other/data/orders/x.parquet",
            "s3://bucket/data/orders/x.parquet",
            "http://169.254.169.254/latest/meta-data",
            "x%00.parquet",
        ] {
            assert!(confined(&root, bad).is_err(), "{bad}");
        }
        let s3 = url::Url::parse("s3://bucket/tables/orders/").unwrap();
        assert!(confined(&s3, "part-0.parquet").is_ok());
        assert!(confined(&s3, "s3://other/tables/orders/part-0.parquet").is_err());
        assert!(confined(&s3, "../customers/part-0.parquet").is_err());
    }

    #[test]
    fn deletion_vectors_beside_the_data_stay_inside() {
        let root = url::Url::parse("file:///data/orders/").unwrap();
        let uuid = "vBn[lx{q8@P<9BNH/isA";
        assert!(confined(&root, &relative_dv_path(uuid).unwrap()).is_ok());
        assert!(confined(&root, &relative_dv_path(&format!("ab{uuid}")).unwrap()).is_ok());
        assert!(confined(&root, &relative_dv_path(&format!("../../etc{uuid}")).unwrap()).is_err());
        assert_eq!(relative_dv_path("short"), None);
    }

    proptest::proptest! {
        /// Whatever a log says, a path let through resolves under the table's root and decodes
        /// to no step out of it; nothing panics.
        #[test]
        fn nothing_confined_leads_out(path in "[a-z./%2E5Cf:=_-]{0,40}") {
            let root = url::Url::parse("file:///data/orders/").unwrap();
            if let Ok(url) = confined(&root, &path) {
                proptest::prop_assert!(url.as_str().starts_with("file:///data/orders/"), "{url}");
                let decoded = percent_decode(url.path());
                proptest::prop_assert!(!decoded.split('/').any(|s| s == ".."), "{url}");
            }
        }
    }

    #[test]
    fn tables_are_told_by_their_log() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_table(dir.path()));
        std::fs::create_dir(dir.path().join("_delta_log")).unwrap();
        assert!(is_table(dir.path()));
    }
}
