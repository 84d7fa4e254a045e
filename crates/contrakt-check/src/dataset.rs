//! Where an object's data lives (`--data`, or the contract's `servers`) and how DataFusion
//! reads it: local files, globs and folders with hive partitions, in Parquet, CSV, NDJSON or
//! Arrow IPC.

/// Delta Lake tables, one kind of data source.
pub mod delta;
/// Apache Iceberg tables, read natively.
pub mod iceberg;
/// JSON in an object store, in either layout; optional properties no record holds.
pub(crate) mod json;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormat as DfFileFormat;
use datafusion::datasource::file_format::arrow::ArrowFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;

use contrakt_core::odcs::{Contract, SchemaObject, Server};

use contrakt_core::redact;

use crate::delta::AsOf;
use crate::error::{Error, Result, explain};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    Csv,
    Json,
    Arrow,
    /// A Delta Lake table (a folder with `_delta_log/`), read at one snapshot ([`crate::delta`]).
    Delta,
    /// An Iceberg table (a folder with `metadata/*.metadata.json`), read at one snapshot
    /// ([`iceberg`]).
    Iceberg,
    /// A warehouse table, read where it is.
    Table,
}

impl FileFormat {
    pub fn parse(s: &str) -> Option<FileFormat> {
        match s.to_ascii_lowercase().as_str() {
            "parquet" | "pq" => Some(FileFormat::Parquet),
            "csv" => Some(FileFormat::Csv),
            "json" | "ndjson" | "jsonl" => Some(FileFormat::Json),
            "arrow" | "ipc" | "feather" | "arrow_ipc" => Some(FileFormat::Arrow),
            "delta" => Some(FileFormat::Delta),
            "iceberg" => Some(FileFormat::Iceberg),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv => "csv",
            FileFormat::Json => "json",
            FileFormat::Arrow => "arrow",
            FileFormat::Delta => "delta",
            FileFormat::Iceberg => "iceberg",
            FileFormat::Table => "table",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileFormat::Parquet => ".parquet",
            FileFormat::Csv => ".csv",
            FileFormat::Json => ".json",
            FileFormat::Arrow => ".arrow",
            // The table's log, not the extension, says which files are data.
            FileFormat::Delta | FileFormat::Iceberg | FileFormat::Table => "",
        }
    }

    /// From a file name: `orders.parquet`, `*.ndjson`.
    fn from_path(path: &str) -> Option<FileFormat> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.')?.1;
        FileFormat::parse(ext)
    }
}

/// Where one object's data is.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// As the user or contract wrote it, with any credential masked
    /// ([`contrakt_core::redact::redact_location`]): what messages, logs and reports show.
    pub location: String,
    /// Resolved: an absolute path (with any glob) or a URL.
    pub url: String,
    pub format: FileFormat,
    /// An S3-compatible endpoint from the contract's server (`endpointUrl`). The environment's
    /// `AWS_ENDPOINT_URL` wins; otherwise it is used only if [`ALLOW_ENDPOINTS_ENV`] allows it
    /// (see [`endpoint_allowed`]).
    pub endpoint: Option<String>,
    /// For a Delta or Iceberg table: the snapshot to read, and the version that was read.
    pub table: TableRead,
}

/// Which snapshot of a table a run reads (`--as-of`) and which it read: set by [`register`],
/// shared by clones, so the run's result records the version checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableRead {
    pub as_of: Option<AsOf>,
    /// The Delta version, or the Iceberg snapshot id, read.
    pub(crate) version: Arc<std::sync::OnceLock<u64>>,
    /// Which kind of table was read (a remote folder's is found when it is read).
    pub(crate) kind: Arc<std::sync::OnceLock<FileFormat>>,
    /// No format was declared for a remote folder: [`register`] looks for a `_delta_log/` in it
    /// (a local folder's is seen by [`source`]), so a Delta table is never read as its files.
    pub(crate) sniff: bool,
}

impl TableRead {
    /// The table version read, once the data is registered: a Delta table's version, an Iceberg
    /// table's snapshot id.
    pub fn version(&self) -> Option<u64> {
        self.version.get().copied()
    }
}

impl DataSource {
    /// The format the data was read as: a remote folder found to be a Delta table is `Delta`.
    pub fn format_read(&self) -> FileFormat {
        match (self.table.kind.get(), self.table.version()) {
            (Some(kind), _) => *kind,
            (None, Some(_)) => FileFormat::Delta,
            (None, None) => self.format,
        }
    }

    /// This data read at `as_of` (`--as-of`; only a Delta table has earlier versions).
    pub fn as_of(mut self, as_of: Option<AsOf>) -> DataSource {
        self.table.as_of = as_of;
        self
    }

    /// This data as a referenced object (a foreign key's target) is read when the checked objects
    /// are read `--as-of` a time: a Delta or Iceberg table as it was then, so the check sees one
    /// moment. A version or snapshot id numbers one table's history only: then, and for other
    /// data, it is read as it is now.
    pub fn referenced_as_of(self, as_of: Option<AsOf>) -> DataSource {
        match as_of {
            Some(t @ AsOf::Time(_)) if matches!(self.format, FileFormat::Delta | FileFormat::Iceberg) => {
                self.as_of(Some(t))
            }
            _ => self,
        }
    }

    fn remote(&self) -> bool {
        self.url.contains("://")
    }

    /// An error reading this data: `message` (which may quote the URL in any form) is masked
    /// with the credentials the URL carries.
    pub fn fail(&self, object: &str, message: impl AsRef<str>) -> Error {
        let secrets = redact::url_secrets(&self.url);
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        Error::Source {
            object: object.to_string(),
            location: self.location.clone(),
            message: redact::redact_text(message.as_ref(), &secrets),
        }
    }
}

pub use crate::ALLOW_ENDPOINTS_ENV;

/// Whether `allow` (the value of [`ALLOW_ENDPOINTS_ENV`]) lets a contract send requests, signed
/// with this job's AWS credentials, to `endpoint`. A contract in a pull request is untrusted:
/// without this, its `endpointUrl` could collect the credentials.
pub fn endpoint_allowed(endpoint: &str, allow: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint.trim()) else { return allow.split(',').any(|a| a.trim() == "*") };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let port = url.port_or_known_default();
    let plain = |u: &url::Url| u.as_str().trim_end_matches('/').to_ascii_lowercase();
    allow.split(',').map(str::trim).filter(|a| !a.is_empty()).any(|a| {
        if a == "*" {
            return true;
        }
        if a.contains("://") {
            return url::Url::parse(a).is_ok_and(|u| plain(&u) == plain(&url));
        }
        match a.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
                h.trim_matches(['[', ']']).eq_ignore_ascii_case(host.trim_matches(['[', ']']))
                    && p.parse::<u16>().ok() == port
            }
            _ => a.trim_matches(['[', ']']).eq_ignore_ascii_case(host.trim_matches(['[', ']'])),
        }
    })
}

/// An http(s) data URL written in a contract is fetched only from a host that
/// [`ALLOW_ENDPOINTS_ENV`] allows, as for an S3 `endpointUrl`: the contract may come from a pull
/// request, and the job's network reaches what the author's does not. `--data` URLs are the
/// operator's.
fn refuse_contract_url(object: &str, location: &str) -> Result<()> {
    let scheme = location.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Ok(());
    }
    let allow = std::env::var(ALLOW_ENDPOINTS_ENV).unwrap_or_default();
    if endpoint_allowed(location, &allow) {
        return Ok(());
    }
    let host = url::Url::parse(location)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "*".into());
    Err(Error::UrlNotAllowed { object: object.to_string(), url: redact::redact_location(location), allow: host })
}

pub use crate::ALLOW_PATHS_ENV;

/// A local path written in a contract is read only inside the folders a contract may read: the
/// repository holding the contract (the nearest folder above it with `.git`; outside a
/// repository, the contract's folder), the working folder, and those [`ALLOW_PATHS_ENV`] names. The path is resolved through symbolic links
/// (of the part before any glob), so a link committed in the repository cannot lead out.
fn refuse_contract_path(object: &str, location: &str, base: &Path) -> Result<()> {
    if location.contains("://") && !location.starts_with("file://") {
        return Ok(());
    }
    let allow = std::env::var(ALLOW_PATHS_ENV).unwrap_or_default();
    if allow.split(',').any(|a| a.trim() == "*") {
        return Ok(());
    }
    let resolved = resolve(location, base);
    // The fixed part of a glob (`data/*.parquet` → `data`), then the deepest part that exists.
    let fixed = match resolved.find(['*', '?', '[']) {
        Some(i) => resolved[..i].rsplit_once('/').map_or("/", |(dir, _)| if dir.is_empty() { "/" } else { dir }),
        None => resolved.as_str(),
    };
    let mut probe = PathBuf::from(fixed);
    let real = loop {
        if let Ok(real) = std::fs::canonicalize(&probe) {
            break real;
        }
        if !probe.pop() {
            return Ok(());
        }
    };
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
    // Outside a repository (an unpacked archive, a notebook's folder), the contract's own folder.
    let repository =
        canonical(base).map(|b| b.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf).unwrap_or(b));
    let mut roots: Vec<PathBuf> =
        repository.into_iter().chain(std::env::current_dir().ok().and_then(|d| canonical(&d))).collect();
    roots.extend(allow.split(',').map(str::trim).filter(|a| !a.is_empty()).filter_map(|a| canonical(Path::new(a))));
    let inside = |p: &Path| roots.iter().any(|r| p.starts_with(r));
    let refuse = |path: String, real: &Path| {
        let shown: Vec<String> = roots.iter().take(2).map(|r| r.display().to_string()).collect();
        let folder = if real.is_dir() {
            real.to_path_buf()
        } else {
            real.parent().map_or_else(|| real.to_path_buf(), Path::to_path_buf)
        };
        Err(Error::PathNotAllowed(Box::new(crate::error::PathRefusal {
            object: object.to_string(),
            path,
            roots: shown.join(", "),
            allow: folder.display().to_string(),
        })))
    };
    if !inside(&real) {
        return refuse(location.to_string(), &real);
    }
    // The folder or glob is inside, but a link among its files (`data/x.csv -> ~/.aws/credentials`)
    // would still be read: every file and folder it names must resolve inside too.
    let named: Vec<PathBuf> = if resolved.contains(['*', '?', '[']) {
        glob::glob(&resolved).map(|paths| paths.flatten().collect()).unwrap_or_default()
    } else {
        vec![PathBuf::from(&resolved)]
    };
    if let Some((link, real)) = link_out_of(&named, &inside) {
        let path = format!("{location} (whose {} leads to {})", link.display(), real.display());
        return refuse(path, &real);
    }
    Ok(())
}

/// The first of `paths`, or of the files and folders below them, that resolves (through links)
/// to a place `inside` rejects, with where it leads. A folder outside is not listed.
fn link_out_of(paths: &[PathBuf], inside: &dyn Fn(&Path) -> bool) -> Option<(PathBuf, PathBuf)> {
    walk(paths, &|_| false).find(|(_, real)| !inside(real))
}

/// Every file and folder at or below `roots`, as named through the folders as named, with the
/// real path it resolves to, in name order. Links are followed, but each real folder is listed
/// once, so links back up the tree (`a -> .`, `b -> .`) can neither loop nor multiply the walk;
/// a folder is listed only when the walk goes past it, so a caller that stops at one reads
/// nothing below it. `skip` leaves entries (and what is below them) out by name; dangling links
/// are left out.
fn walk<'a>(roots: &[PathBuf], skip: &'a dyn Fn(&str) -> bool) -> impl Iterator<Item = (PathBuf, PathBuf)> + use<'a> {
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<PathBuf> = roots.iter().rev().cloned().collect();
    let mut last: Option<(PathBuf, PathBuf)> = None;
    std::iter::from_fn(move || {
        if let Some((path, real)) = last.take()
            && real.is_dir()
            && seen.insert(real)
            && let Ok(entries) = std::fs::read_dir(&path)
        {
            let mut below: Vec<PathBuf> =
                entries.flatten().filter(|e| !skip(&e.file_name().to_string_lossy())).map(|e| e.path()).collect();
            below.sort_unstable_by(|a, b| b.cmp(a));
            stack.extend(below);
        }
        loop {
            let path = stack.pop()?;
            let Ok(real) = std::fs::canonicalize(&path) else { continue };
            last = Some((path.clone(), real.clone()));
            return Some((path, real));
        }
    })
}

/// The files at or below `dir` (see [`walk`]).
fn files_below<'a>(dir: &Path, skip: &'a dyn Fn(&str) -> bool) -> impl Iterator<Item = PathBuf> + use<'a> {
    walk(&[dir.to_path_buf()], skip).filter(|(_, real)| real.is_file()).map(|(path, _)| path)
}

/// Server types whose data is files contrakt can read.
const FILE_SERVERS: &[&str] = &["local", "file", "s3", "gcs", "azure", "https", "http"];

/// Finds an object's data: `given` (from `--data`) wins, else the named server, else the first
/// file-like server of the contract. Relative paths are relative to `base` (the contract's
/// folder). `{model}` in a server path is replaced by the object name.
pub fn locate(
    contract: &Contract,
    object: &SchemaObject,
    given: Option<&str>,
    server: Option<&str>,
    base: &Path,
) -> Result<DataSource> {
    let (location, format, endpoint) = match given {
        Some(g) => (g.to_string(), None, None),
        None => {
            let server = pick_server(contract, server, &object.name)?;
            let path = server.path.clone().or_else(|| server.location.clone()).ok_or_else(|| Error::NoData {
                object: object.name.clone(),
                hint: format!("server `{}` has no `path` or `location`", server.server),
            })?;
            let path = path.replace("{model}", &object.name).replace("{object}", &object.name);
            if path.starts_with("sqlite:") {
                // A catalog's metadata locations may name any file on this machine.
                return Err(Error::NoData {
                    object: object.name.clone(),
                    hint: format!(
                        "server `{}` names an Iceberg SQL catalog ({path}): give a catalog with --data, or the table's folder in the contract",
                        server.server
                    ),
                });
            }
            refuse_contract_url(&object.name, &path)?;
            refuse_contract_path(&object.name, &path, base)?;
            (path, server.format.clone(), server.endpoint_url.clone())
        }
    };
    source(object.name.as_str(), location, format.as_deref(), endpoint, base)
}

/// A data location as written (a path, glob, folder or URL, relative to `base`) and its
/// declared format, if any, as a [`DataSource`]; the format is otherwise taken from the
/// extension or the files of a folder. `object` names the data in errors.
pub fn source(
    object: &str,
    location: String,
    format: Option<&str>,
    endpoint: Option<String>,
    base: &Path,
) -> Result<DataSource> {
    if location.starts_with("sqlite:") {
        let metadata = iceberg::from_sql_catalog(&location, base).map_err(|message| Error::Source {
            object: object.to_string(),
            location: location.clone(),
            message,
        })?;
        let src = source(object, metadata, Some("iceberg"), endpoint, base)?;
        return Ok(DataSource { location: redact::redact_location(&location), ..src });
    }
    let url = follow_pointer(object, &location, resolve(&location, base))?;
    let sniff = format.is_none() && url.contains("://") && url.ends_with('/');
    let format = match format.map(|f| (f, FileFormat::parse(f))) {
        Some((_, Some(f))) => f,
        Some((f, None)) => {
            return Err(Error::NoData {
                object: object.to_string(),
                hint: format!("format `{f}` is not one contrakt reads (parquet, csv, json, arrow, delta, iceberg)"),
            });
        }
        None if !url.contains("://") && crate::delta::is_table(Path::new(&url)) => FileFormat::Delta,
        None if iceberg::is_metadata_file(&url) || (!url.contains("://") && iceberg::is_table(Path::new(&url))) => {
            FileFormat::Iceberg
        }
        None => match FileFormat::from_path(&url) {
            Some(f) => f,
            None => sniff_folder(&url)
                .map_err(|message| Error::Source { object: object.to_string(), location: location.clone(), message })?
                .unwrap_or(FileFormat::Parquet),
        },
    };
    let readable = ["s3://", "gs://", "az://", "azure://", "abfs://", "abfss://", "adl://", "https://", "http://"];
    if url.contains("://") && !readable.iter().any(|s| url.starts_with(s)) {
        return Err(Error::NoData {
            object: object.to_string(),
            hint: format!(
                "`{}`: contrakt reads local files, s3://, gs://, az:// (abfss://) and https:// so far; copy the data or mount it",
                redact::redact_location(&location)
            ),
        });
    }
    let table = matches!(format, FileFormat::Delta | FileFormat::Iceberg);
    if table && url.contains("://") && !(url.starts_with("s3://") || url.starts_with("gs://")) {
        return Err(Error::NoData {
            object: object.to_string(),
            hint: format!(
                "`{}`: contrakt reads {} tables on local disk, s3:// and gs:// so far",
                redact::redact_location(&location),
                if format == FileFormat::Delta { "Delta" } else { "Iceberg" }
            ),
        });
    }
    warn_ignored(object, &url, format);
    let table = TableRead { sniff, ..TableRead::default() };
    Ok(DataSource { location: redact::redact_location(&location), url, format, endpoint, table })
}

/// Says which files of a local folder are not read: a folder is read as one format (declared,
/// or the one its files share), so files of another format or extension (`b.json` beside
/// `a.csv`, `x.csv.gz`) would otherwise be left out without a word. Hidden and `_` files
/// (`.crc`, `_SUCCESS`) are markers, not data.
fn warn_ignored(object: &str, url: &str, format: FileFormat) {
    let dir = Path::new(url);
    if !dir.is_dir() {
        return;
    }
    let marker = |name: &str| name.starts_with('.') || name.starts_with('_');
    let mut ignored: Vec<String> = files_below(dir, &marker)
        .filter(|p| !p.to_string_lossy().ends_with(format.extension()))
        .map(|p| p.strip_prefix(dir).unwrap_or(&p).display().to_string())
        .collect();
    if ignored.is_empty() {
        return;
    }
    ignored.sort();
    let shown = ignored.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    let more = if ignored.len() > 6 { format!(" and {} more", ignored.len() - 6) } else { String::new() };
    tracing::warn!(
        "object `{object}`: {} is read as {} (only its *{} files); {} other file(s) not read: {shown}{more}",
        url.trim_end_matches('/'),
        format.name(),
        format.extension(),
        ignored.len()
    );
}

/// A folder published by `contrakt publish` is read at its current release (the reader
/// convention of `contrakt_publish`): `folder` and `folder/*.parquet` both follow the pointer.
fn follow_pointer(object: &str, location: &str, url: String) -> Result<String> {
    if url.contains("://") {
        return Ok(url);
    }
    let (dir, rest) = match url.rsplit_once('/') {
        Some((dir, pattern)) if pattern.contains(['*', '?', '[']) => (dir.to_string(), Some(pattern.to_string())),
        _ => (url.clone(), None),
    };
    let dir_path = Path::new(&dir);
    if !dir_path.is_dir() {
        return Ok(url);
    }
    match contrakt_publish::resolve(dir_path) {
        Ok(Some(current)) => {
            let current = current.to_string_lossy().into_owned();
            tracing::debug!(object, current, "following the published pointer");
            Ok(match rest {
                Some(pattern) => format!("{current}/{pattern}"),
                None => current,
            })
        }
        Ok(None) => Ok(url),
        Err(e) => Err(Error::Source {
            object: object.to_string(),
            location: redact::redact_location(location),
            message: e.to_string(),
        }),
    }
}

/// The contract's server entry named `name` (its `server` or `id`).
pub fn server<'a>(contract: &'a Contract, name: &str) -> Result<&'a Server> {
    contract.servers.iter().find(|s| s.server == name || s.id.as_deref() == Some(name)).ok_or_else(|| {
        let known: Vec<&str> = contract.servers.iter().map(|s| s.server.as_str()).collect();
        Error::Usage(format!("the contract has no server `{name}` (it has: {})", known.join(", ")))
    })
}

fn pick_server<'a>(contract: &'a Contract, name: Option<&str>, object: &str) -> Result<&'a Server> {
    if let Some(name) = name {
        return server(contract, name);
    }
    contract
        .servers
        .iter()
        .find(|s| FILE_SERVERS.contains(&s.server_type.as_str()) && (s.path.is_some() || s.location.is_some()))
        .ok_or_else(|| Error::NoData {
            object: object.to_string(),
            hint: format!("the contract names no file server; pass --data {object}=PATH"),
        })
}

fn resolve(location: &str, base: &Path) -> String {
    if let Some(rest) = location.strip_prefix("file://") {
        return rest.to_string();
    }
    if location.contains("://") {
        return location.to_string();
    }
    let p = PathBuf::from(location);
    // From an absolute base: a relative one (`contrakt check .` in the contracts folder) would
    // let `normalize` drop a leading `..` that has nothing left to pop.
    // `orders.yaml`'s folder is the empty path, which `absolute` refuses.
    let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
    let p = if p.is_absolute() { p } else { std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf()).join(p) };
    // Keep a trailing slash: it marks a folder for the listing.
    let mut s = normalize(&p).to_string_lossy().into_owned();
    if location.ends_with('/') && !s.ends_with('/') {
        s.push('/');
    }
    s
}

/// `a/./b/../c` → `a/c`, without touching the file system (globs must survive).
/// Where a file a table's log or metadata names really is, when a symbolic link inside a local
/// table (`root`, a `file://` URL) leads out of it: Delta and Iceberg tables both refuse it,
/// since the file's rows would be read (and sampled) from anywhere on this machine. `None`
/// for a file inside, one that does not exist, or a remote table.
pub(crate) fn linked_out(root: &url::Url, file: &url::Url) -> Option<PathBuf> {
    let root = root.to_file_path().ok().filter(|_| root.scheme() == "file")?;
    let real = std::fs::canonicalize(file.to_file_path().ok()?).ok()?;
    (!real.starts_with(&root)).then_some(real)
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The format of a folder's data files. A folder holding files of several formats is refused,
/// naming them: reading one format and ignoring the rest without a word would check part of
/// the data.
fn sniff_folder(url: &str) -> std::result::Result<Option<FileFormat>, String> {
    let dir = Path::new(url);
    if !dir.is_dir() {
        return Ok(None);
    }
    let found: Vec<(FileFormat, PathBuf)> =
        files_below(dir, &|_| false).filter_map(|p| Some((p.to_str().and_then(FileFormat::from_path)?, p))).collect();
    let Some((first, _)) = found.first().cloned() else { return Ok(None) };
    let others: Vec<&(FileFormat, PathBuf)> = found.iter().filter(|(f, _)| *f != first).collect();
    if others.is_empty() {
        return Ok(Some(first));
    }
    let mut formats: Vec<&str> = found.iter().map(|(f, _)| f.name()).collect();
    formats.sort_unstable();
    formats.dedup();
    let named: Vec<String> =
        found.iter().take(6).map(|(_, p)| p.strip_prefix(dir).unwrap_or(p).display().to_string()).collect();
    let more =
        if found.len() > named.len() { format!(" and {} more", found.len() - named.len()) } else { String::new() };
    Err(format!(
        "the folder holds data files of several formats ({}): {}{more}; contrakt reads one format per dataset: point at one with a glob (`{}/*{}`) or set the server's `format`",
        formats.join(", "),
        named.join(", "),
        url.trim_end_matches('/'),
        first.extension()
    ))
}

/// The most columns a dataset may have. Wider data is refused before it is planned (for CSV,
/// from its header line alone, before schema inference): every column costs memory in
/// inference and in each check's plan, about 130 KB a column for a one-row CSV.
pub const MAX_COLUMNS: usize = 10_000;

/// How much of a CSV file's first line is read to count its columns; a header is never longer.
const MAX_HEADER_BYTES: u64 = 16 * 1024 * 1024;

fn too_wide(object: &str, src: &DataSource, what: &str, columns: usize) -> Error {
    Error::Source {
        object: object.to_string(),
        location: src.location.clone(),
        message: format!(
            "{what} has {}{columns} columns, more than contrakt checks ({MAX_COLUMNS}); select the columns the contract describes into a narrower file",
            if columns > MAX_COLUMNS && what.ends_with("header") { "at least " } else { "" }
        ),
    }
}

/// The number of comma-separated columns of a CSV file's header line (quotes respected), read
/// from at most [`MAX_HEADER_BYTES`] and only as far as needed: counting stops past
/// [`MAX_COLUMNS`].
fn csv_columns(path: &Path) -> std::io::Result<usize> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::new(file).take(MAX_HEADER_BYTES);
    let mut buf = [0u8; 64 * 1024];
    let (mut columns, mut quoted, mut any) = (1usize, false, false);
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            return Ok(if any { columns } else { 0 });
        }
        for &b in &buf[..n] {
            any = true;
            match b {
                b'"' => quoted = !quoted,
                b',' if !quoted => {
                    columns += 1;
                    if columns > MAX_COLUMNS {
                        return Ok(columns);
                    }
                }
                b'\n' if !quoted => return Ok(columns),
                _ => {}
            }
        }
    }
}

/// The column names of a CSV file's header line (quotes respected, `""` inside quotes is one
/// `"`), read from at most [`MAX_HEADER_BYTES`]. Called after [`csv_columns`] has bounded the
/// count.
fn csv_header(path: &Path) -> std::io::Result<Vec<String>> {
    use std::io::{BufRead, Read};
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::new(file).take(MAX_HEADER_BYTES);
    let mut line = Vec::new();
    // A quoted name may hold a newline: read on until the quotes balance.
    loop {
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 || line.iter().filter(|b| **b == b'"').count() % 2 == 0 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&line);
    let text = text.trim_start_matches('\u{feff}').trim_end_matches(['\n', '\r']);
    let (mut names, mut name, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                name.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => names.push(std::mem::take(&mut name)),
            c => name.push(c),
        }
    }
    if !text.is_empty() {
        names.push(name);
    }
    Ok(names)
}

/// How a JSON file holds its records: one object a line, or one array of objects (ODCS
/// `delimiter: array`), told by its first character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonLayout {
    Lines,
    Array,
}

fn json_layout(path: &Path) -> std::io::Result<Option<JsonLayout>> {
    use std::io::Read;
    let mut file = std::io::BufReader::new(std::fs::File::open(path)?);
    let mut buf = [0u8; 4096];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        let text = &buf[..n];
        let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        if let Some(b) = text.iter().find(|b| !b.is_ascii_whitespace()) {
            return Ok(Some(if *b == b'[' { JsonLayout::Array } else { JsonLayout::Lines }));
        }
    }
}

/// The layout shared by every JSON file of the data; files of both layouts are refused, naming
/// one of each (one read cannot take both).
fn json_files_layout(object: &str, src: &DataSource, files: &[PathBuf]) -> Result<JsonLayout> {
    let mut seen: Option<(JsonLayout, &PathBuf)> = None;
    for file in files {
        let layout = json_layout(file).map_err(|e| src.fail(object, format!("cannot read {}: {e}", file.display())))?;
        let Some(layout) = layout else { continue };
        match seen {
            None => seen = Some((layout, file)),
            Some((first, at)) if first != layout => {
                let (lines, array) = if first == JsonLayout::Lines { (at, file) } else { (file, at) };
                return Err(src.fail(
                    object,
                    format!(
                        "{} holds one JSON object a line and {} one JSON array: contrakt reads one layout per dataset; point at one with a glob",
                        lines.display(),
                        array.display()
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(seen.map_or(JsonLayout::Lines, |(l, _)| l))
}

/// Registers the data as table `name`, with hive partition columns (`key=value` folders)
/// as string columns. Returns the table's schema.
pub async fn register(ctx: &SessionContext, name: &str, object: &str, src: &DataSource) -> Result<SchemaRef> {
    let fail = |e: DataFusionError| src.fail(object, explain(&e));
    if src.format == FileFormat::Delta {
        let store = if src.remote() { Some(register_store(ctx, object, src)?) } else { None };
        return crate::delta::register(ctx, name, object, src, store).await;
    }
    if src.format == FileFormat::Iceberg {
        let store = if src.remote() { Some(register_store(ctx, object, src)?) } else { None };
        return iceberg::register(ctx, name, object, src, store).await;
    }
    if src.table.sniff && src.remote() {
        let store = register_store(ctx, object, src)?;
        if has_below(store.as_ref(), &src.url, "_delta_log").await {
            return crate::delta::register(ctx, name, object, src, Some(store)).await;
        }
        if has_below(store.as_ref(), &src.url, "metadata").await {
            return iceberg::register(ctx, name, object, src, Some(store)).await;
        }
    }
    if let Some(as_of) = src.table.as_of {
        return Err(Error::Usage(format!(
            "--as-of {as_of}: `{object}` is {} data ({}), which has no earlier versions; --as-of reads a Delta or Iceberg table",
            src.format.name(),
            src.location
        )));
    }
    let store = if src.remote() { Some(register_store(ctx, object, src)?) } else { None };
    let is_dir = if src.remote() { src.url.ends_with('/') } else { Path::new(&src.url).is_dir() };
    let has_glob = !src.remote() && src.url.contains(['*', '?', '[']);
    if !src.remote() && !is_dir && !has_glob && !Path::new(&src.url).exists() {
        return Err(src.fail(object, format!("no such file or folder: {}", src.url)));
    }
    if src.format == FileFormat::Parquet && !src.remote() {
        for file in local_files(&src.url, is_dir, has_glob, ".parquet") {
            if let Err(why) = contrakt_formats::arrow::parquet_footer_ok(&file) {
                return Err(src.fail(object, format!("{} is not a readable Parquet file: {why}", file.display())));
            }
        }
    }
    let mut csv_headers: Vec<(PathBuf, Vec<String>)> = Vec::new();
    if src.format == FileFormat::Csv && !src.remote() {
        // Before DataFusion infers the schema: that costs memory per column (13 GB for 100,000).
        for file in local_files(&src.url, is_dir, has_glob, ".csv") {
            let header = match csv_columns(&file) {
                Ok(n) if n > MAX_COLUMNS => {
                    return Err(too_wide(object, src, &format!("{}'s header", file.display()), n));
                }
                Ok(_) => csv_header(&file),
                Err(e) => Err(e),
            };
            match header {
                Ok(header) => csv_headers.push((file, header)),
                Err(e) => {
                    return Err(Error::Source {
                        object: object.to_string(),
                        location: src.location.clone(),
                        message: format!("cannot read {}: {e}", file.display()),
                    });
                }
            }
        }
    }
    let url_text = if is_dir && !src.url.ends_with('/') { format!("{}/", src.url) } else { src.url.clone() };
    let url = ListingTableUrl::parse(&url_text).map_err(fail)?;
    // A remote JSON file's layout and schema from its first bytes (see [`json`]).
    let (json_layout, json_schema) = match (src.format, &store) {
        (FileFormat::Json, None) => {
            (json_files_layout(object, src, &local_files(&src.url, is_dir, has_glob, ".json"))?, None)
        }
        (FileFormat::Json, Some(store)) => {
            let extension = if is_dir { src.format.extension() } else { "" };
            match json::sniff(&ctx.state(), store, &url, extension).await.map_err(|e| src.fail(object, e))? {
                Some((layout, schema)) => (layout, Some(Arc::new(schema))),
                None => (JsonLayout::Lines, None),
            }
        }
        _ => (JsonLayout::Lines, None),
    };
    if json_layout == JsonLayout::Array {
        // An array is one record stream from its `[`: DataFusion cannot split a file of it into
        // byte ranges read in parallel (it refuses to), so this session does not split files.
        ctx.state_ref().write().config_mut().options_mut().optimizer.repartition_file_scans = false;
    }
    let format: Arc<dyn DfFileFormat> = match src.format {
        FileFormat::Parquet => Arc::new(ParquetFormat::default()),
        FileFormat::Csv => Arc::new(CsvFormat::default().with_has_header(true)),
        FileFormat::Json => Arc::new(JsonFormat::default().with_newline_delimited(json_layout == JsonLayout::Lines)),
        FileFormat::Arrow => Arc::new(ArrowFormat),
        FileFormat::Delta | FileFormat::Iceberg | FileFormat::Table => {
            return Err(Error::NoData {
                object: object.to_string(),
                hint: format!("{} is a warehouse table: check it with --server", src.location),
            });
        }
    };
    // A folder lists files of the format's extension; a file or glob names its files itself.
    let extension = if is_dir { src.format.extension() } else { "" };
    let mut options = ListingOptions::new(format).with_file_extension(extension);
    let state = ctx.state();
    if is_dir {
        let partitions = options.infer_partitions(&state, &url).await.map_err(fail)?;
        options = options.with_table_partition_cols(partitions.into_iter().map(|p| (p, DataType::Utf8)).collect());
    }
    let partition_names: Vec<String> = options.table_partition_cols.iter().map(|(n, _)| n.clone()).collect();
    if csv_headers.iter().any(|(_, h)| *h != csv_headers[0].1) {
        // DataFusion reads CSV by position against one schema: files whose headers differ (a
        // column added in later files) are read each by its own header and unioned by name.
        let root = if is_dir { Some(Path::new(&src.url)) } else { None };
        let df = csv_union_by_name(ctx, options, &csv_headers, root, &partition_names).await.map_err(fail)?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        if schema.fields().len() > MAX_COLUMNS {
            return Err(too_wide(object, src, "its schema", schema.fields().len()));
        }
        ctx.register_table(TableReference::bare(name), df.into_view()).map_err(fail)?;
        return Ok(schema);
    }
    let config = ListingTableConfig::new(url).with_listing_options(options);
    let config = match json_schema {
        Some(schema) => config.with_schema(schema),
        None => config.infer_schema(&state).await.map_err(fail)?,
    };
    // Every format (Parquet, JSON, Arrow, remote files): refused before any plan is made.
    if let Some(schema) = &config.file_schema
        && schema.fields().len() > MAX_COLUMNS
    {
        return Err(too_wide(object, src, "its schema", schema.fields().len()));
    }
    let table = ListingTable::try_new(config).map_err(fail)?;
    let schema = datafusion::datasource::TableProvider::schema(&table);
    ctx.register_table(TableReference::bare(name), Arc::new(table)).map_err(fail)?;
    Ok(schema)
}

/// Whether the remote folder at `url` holds a folder `name` (`_delta_log`, an Iceberg table's
/// `metadata`) with a file `is_marker` accepts first: one listing request, one page.
async fn has_below(store: &dyn object_store::ObjectStore, url: &str, name: &str) -> bool {
    use futures::StreamExt;
    let Ok(parsed) = url::Url::parse(url) else { return false };
    let prefix = object_store::path::Path::from(format!("{}/{name}", parsed.path().trim_matches('/')));
    let first = store.list(Some(&prefix)).next().await;
    let Some(Ok(first)) = first else { return false };
    // An Iceberg `metadata/` holds table metadata, manifests (Avro) and maybe a version hint; a
    // plain folder of Parquet files may have a `metadata/` of something else.
    let file = first.location.filename().unwrap_or_default();
    name != "metadata" || file.ends_with(".metadata.json") || file.ends_with(".avro") || file == "version-hint.text"
}

/// CSV files whose headers differ as one table: the files of each header (and hive partition)
/// are one listing, read by their header; the listings are unioned by column name, a column a
/// file lacks being null there, and partition values are added as text columns.
async fn csv_union_by_name(
    ctx: &SessionContext,
    options: ListingOptions,
    files: &[(PathBuf, Vec<String>)],
    root: Option<&Path>,
    partition_names: &[String],
) -> datafusion::error::Result<datafusion::dataframe::DataFrame> {
    use std::collections::BTreeMap;
    let options = options.with_table_partition_cols(vec![]);
    // (header, partition values) → its files.
    type Group = (Vec<String>, Vec<Option<String>>);
    let mut groups: BTreeMap<Group, Vec<&PathBuf>> = BTreeMap::new();
    for (file, header) in files {
        let values = partition_names.iter().map(|key| root.and_then(|r| partition_value(r, file, key))).collect();
        groups.entry((header.clone(), values)).or_default().push(file);
    }
    let state = ctx.state();
    let mut union: Option<datafusion::dataframe::DataFrame> = None;
    for ((_, values), paths) in groups {
        let urls = paths
            .iter()
            .map(|p| ListingTableUrl::parse(p.to_string_lossy()))
            .collect::<datafusion::error::Result<Vec<_>>>()?;
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options.clone())
            .infer_schema(&state)
            .await?;
        let mut df = ctx.read_table(Arc::new(ListingTable::try_new(config)?))?;
        for (key, value) in partition_names.iter().zip(values) {
            let value = datafusion::prelude::lit(datafusion::common::ScalarValue::Utf8(value));
            df = df.with_column(key, value)?;
        }
        union = Some(match union {
            None => df,
            Some(u) => u.union_by_name(df)?,
        });
    }
    union.ok_or_else(|| DataFusionError::Plan("no CSV files".into()))
}

/// The value of hive partition `key` (`key=value` folder) on the way from `root` to `file`.
fn partition_value(root: &Path, file: &Path, key: &str) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?.parent()?;
    rel.components().find_map(|c| {
        let c = c.as_os_str().to_str()?;
        let (k, v) = c.split_once('=')?;
        (k == key).then(|| v.to_string())
    })
}

/// Makes an `s3://bucket/…`, `gs://bucket/…`, `az://container/…` or `https://host/…` URL readable. For S3, credentials, region and
/// endpoint come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, …), never from the
/// contract, and never appear in messages. The contract's `endpointUrl` is used only where the
/// environment names none and [`ALLOW_ENDPOINTS_ENV`] allows it; otherwise the read is refused
/// before any request, since every request carries the signed credentials. An HTTP(S) source
/// is read without credentials of any kind: no AWS keys, no user info of the URL.
fn register_store(ctx: &SessionContext, object: &str, src: &DataSource) -> Result<Arc<dyn object_store::ObjectStore>> {
    let fail = |message: String| src.fail(object, message);
    let url = url::Url::parse(&src.url).map_err(|e| fail(format!("not a URL: {e}")))?;
    let store: Arc<dyn object_store::ObjectStore> = match url.scheme() {
        "s3" => {
            let bucket = url.host_str().ok_or_else(|| fail("an s3:// URL names a bucket: s3://bucket/path".into()))?;
            let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            let env_endpoint =
                ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"].iter().any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()));
            match &src.endpoint {
                Some(endpoint) if env_endpoint => {
                    tracing::debug!(endpoint = %redact::redact_url(endpoint), "the contract's endpointUrl is ignored: AWS_ENDPOINT_URL is set");
                }
                Some(endpoint) => {
                    let allow = std::env::var(ALLOW_ENDPOINTS_ENV).unwrap_or_default();
                    if !endpoint_allowed(endpoint, &allow) {
                        let shown = redact::redact_url(endpoint);
                        let host = url::Url::parse(endpoint)
                            .ok()
                            .and_then(|u| {
                                u.host_str().map(|h| match u.port() {
                                    Some(p) => format!("{h}:{p}"),
                                    None => h.to_string(),
                                })
                            })
                            .unwrap_or_else(|| shown.clone());
                        return Err(Error::EndpointNotAllowed {
                            object: object.to_string(),
                            endpoint: shown,
                            allow: host,
                        });
                    }
                    tracing::info!(endpoint = %redact::redact_url(endpoint), "the contract's endpointUrl, allowed by {ALLOW_ENDPOINTS_ENV}");
                    builder = builder.with_endpoint(endpoint);
                }
                None => {}
            }
            Arc::new(builder.build().map_err(|e| fail(format!("S3 configuration: {e}")))?)
        }
        "gs" => {
            // Credentials and settings from the environment only (`GOOGLE_APPLICATION_CREDENTIALS`,
            // `GOOGLE_SERVICE_ACCOUNT`, `GOOGLE_SERVICE_ACCOUNT_KEY`, `GOOGLE_BASE_URL`, …), as
            // for S3: a contract names a bucket, never where the job's token goes.
            let bucket = url.host_str().ok_or_else(|| fail("a gs:// URL names a bucket: gs://bucket/path".into()))?;
            if let Some(endpoint) = &src.endpoint {
                tracing::debug!(endpoint = %redact::redact_url(endpoint), "a gcs server's endpointUrl is not used: GOOGLE_BASE_URL says where GCS is");
            }
            let builder = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
            Arc::new(builder.build().map_err(|e| fail(format!("GCS configuration: {e}")))?)
        }
        "az" | "azure" | "abfs" | "abfss" | "adl" => {
            // As for S3 and GCS, the account, credentials and endpoint come from the environment
            // only (`AZURE_STORAGE_ACCOUNT_NAME`, `AZURE_STORAGE_ACCOUNT_KEY`,
            // `AZURE_STORAGE_SAS_TOKEN`, `AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`/`AZURE_TENANT_ID`,
            // `AZURE_FEDERATED_TOKEN_FILE`, managed identity, `AZURE_STORAGE_ENDPOINT`, …): a
            // contract names a container, never where the job's token goes. The URL gives the
            // container (`az://container/…`) and, for `abfss://container@account.dfs.core.windows.net/…`,
            // the account.
            if let Some(endpoint) = &src.endpoint {
                tracing::debug!(endpoint = %redact::redact_url(endpoint), "an azure server's endpointUrl is not used: AZURE_STORAGE_ENDPOINT says where Azure is");
            }
            let builder = object_store::azure::MicrosoftAzureBuilder::from_env().with_url(url.as_str());
            Arc::new(builder.build().map_err(|e| fail(azure_configuration(&e.to_string())))?)
        }
        "https" | "http" => {
            // The origin only: the URL's user info and query never reach the client, and
            // `HttpBuilder::new` reads no credentials from the environment.
            let origin = url.origin().ascii_serialization();
            let builder = object_store::http::HttpBuilder::new().with_url(origin);
            let builder = if url.scheme() == "http" {
                builder.with_client_options(object_store::ClientOptions::new().with_allow_http(true))
            } else {
                builder
            };
            Arc::new(builder.build().map_err(|e| fail(format!("HTTP store: {e}")))?)
        }
        other => return Err(fail(format!("no object store for `{other}://`"))),
    };
    let root = url::Url::parse(&format!("{}://{}", url.scheme(), url.authority())).map_err(|e| fail(e.to_string()))?;
    ctx.register_object_store(&root, store.clone());
    Ok(store)
}

/// object_store's message for an Azure store it cannot build, with what to set.
fn azure_configuration(message: &str) -> String {
    let hint = if message.contains("ccount") {
        "; name the storage account with AZURE_STORAGE_ACCOUNT_NAME (or in the URL: abfss://CONTAINER@ACCOUNT.dfs.core.windows.net/PATH)"
    } else if message.contains("ontainer") {
        "; name the container in the URL: az://CONTAINER/PATH"
    } else {
        ""
    };
    format!("Azure configuration: {message}{hint}")
}

/// Data already in memory, checked in place of files: how the Python package hands over a
/// DataFrame (its Arrow buffers, shared, not copied).
#[derive(Debug, Clone)]
pub struct InMemory {
    /// Where it came from, for the report (`pyarrow.Table`, `polars.DataFrame`).
    pub label: String,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
}

/// Registers in-memory batches as table `name`, spread over the session's partitions so the
/// scan uses every core. Returns the table's schema.
pub fn register_memory(ctx: &SessionContext, name: &str, object: &str, data: &InMemory) -> Result<SchemaRef> {
    let fail = |e: DataFusionError| Error::source_error(object, &data.label, &e);
    let n = ctx.copied_config().target_partitions().clamp(1, data.batches.len().max(1));
    let mut partitions = vec![Vec::new(); n];
    for (i, b) in data.batches.iter().enumerate() {
        partitions[i % n].push(b.clone());
    }
    let table = MemTable::try_new(data.schema.clone(), partitions).map_err(fail)?;
    ctx.register_table(TableReference::bare(name), Arc::new(table)).map_err(fail)?;
    Ok(data.schema.clone())
}

/// The local files a path, folder or glob names.
fn local_files(url: &str, is_dir: bool, has_glob: bool, extension: &str) -> Vec<PathBuf> {
    if has_glob {
        return glob::glob(url).map(|paths| paths.flatten().filter(|p| p.is_file()).collect()).unwrap_or_default();
    }
    if !is_dir {
        return vec![PathBuf::from(url)];
    }
    files_below(Path::new(url), &|_| false).filter(|p| p.to_string_lossy().ends_with(extension)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_endpoints_need_the_operators_allowance() {
        let e = "http://minio.internal:9000";
        assert!(!endpoint_allowed(e, ""));
        assert!(!endpoint_allowed(e, "minio.other, http://minio.internal:9001"));
        assert!(!endpoint_allowed(e, "minio.internal:9001"));
        for allow in ["*", "minio.internal", "MINIO.internal:9000", "a, http://minio.internal:9000/ ,b", " * "] {
            assert!(endpoint_allowed(e, allow), "{allow}");
        }
        assert!(endpoint_allowed("https://s3.eu.example.com", "s3.eu.example.com:443"));
        assert!(!endpoint_allowed("not a url", "not a url"));
        assert!(endpoint_allowed("http://[::1]:9000", "[::1]:9000"));
    }

    #[test]
    fn locations_are_shown_masked() {
        let src = source("o", "https://u:pw12@h/x.parquet?sig=SIG1&a=1".into(), None, None, Path::new("/")).unwrap();
        assert_eq!(src.location, "https://u:***@h/x.parquet?sig=***&a=1");
        assert_eq!(src.url, "https://u:pw12@h/x.parquet?sig=SIG1&a=1");
        let e = src.fail("o", "GET https://h/x.parquet%3Fsig%3DSIG1 as u:pw12 failed").to_string();
        assert!(!e.contains("SIG1") && !e.contains("pw12"), "{e}");
        assert!(e.contains("https://u:***@h/x.parquet?sig=***&a=1"), "{e}");
    }

    #[test]
    fn csv_headers_are_counted_without_reading_the_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a,\"b,c\",d\n1,2,3,4,5,6\n").unwrap();
        assert_eq!(csv_columns(&path).unwrap(), 3);
        std::fs::write(&path, "").unwrap();
        assert_eq!(csv_columns(&path).unwrap(), 0);
        let wide: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
        std::fs::write(&path, wide.join(",")).unwrap();
        assert_eq!(csv_columns(&path).unwrap(), MAX_COLUMNS + 1, "counting stops past the bound");
    }

    #[test]
    fn csv_headers_are_read_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "\u{feff}id,\"a,b\",\"say \"\"hi\"\"\"\r\n1,2,3\n").unwrap();
        assert_eq!(csv_header(&path).unwrap(), ["id", "a,b", "say \"hi\""]);
        std::fs::write(&path, "").unwrap();
        assert!(csv_header(&path).unwrap().is_empty());
    }

    #[test]
    fn json_layouts_are_told_by_the_first_character() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        for (text, want) in [
            ("  \n[{\"a\": 1}]", Some(JsonLayout::Array)),
            ("\u{feff}{\"a\": 1}\n{\"a\": 2}", Some(JsonLayout::Lines)),
            ("   ", None),
        ] {
            std::fs::write(&path, text).unwrap();
            assert_eq!(json_layout(&path).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn partition_values_come_from_the_folders() {
        let root = Path::new("/d");
        assert_eq!(partition_value(root, Path::new("/d/day=1/x.csv"), "day").as_deref(), Some("1"));
        assert_eq!(partition_value(root, Path::new("/d/x.csv"), "day"), None);
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(FileFormat::from_path("/d/orders.parquet"), Some(FileFormat::Parquet));
        assert_eq!(FileFormat::from_path("/d/*.ndjson"), Some(FileFormat::Json));
        assert_eq!(FileFormat::from_path("/d/x.feather"), Some(FileFormat::Arrow));
        assert_eq!(FileFormat::from_path("/d/folder"), None);
    }

    #[test]
    fn relative_paths_resolve_against_the_contract() {
        let base = Path::new("/repo/contracts");
        assert_eq!(resolve("./data/orders/*.parquet", base), "/repo/contracts/data/orders/*.parquet");
        assert_eq!(resolve("../fixtures/data/orders/", base), "/repo/fixtures/data/orders/");
        assert_eq!(resolve("/abs/x.csv", base), "/abs/x.csv");
        assert_eq!(resolve("file:///abs/x.csv", base), "/abs/x.csv");
        assert_eq!(resolve("s3://bucket/x/", base), "s3://bucket/x/");
    }

    #[test]
    fn a_relative_base_keeps_its_parent_steps() {
        let cwd = std::env::current_dir().unwrap();
        let want = cwd.parent().unwrap().join("fixtures/data/orders");
        assert_eq!(resolve("../fixtures/data/orders/", Path::new(".")), format!("{}/", want.display()));
        assert_eq!(
            resolve("../../x.csv", Path::new("")),
            cwd.parent().unwrap().parent().unwrap().join("x.csv").display().to_string()
        );
    }
}
