//! Where an object's data lives (`--data`, or the contract's `servers`) and how DataFusion
//! reads it: local files, globs and folders with hive partitions, in Parquet, CSV, NDJSON or
//! Arrow IPC.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
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

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Parquet,
    Csv,
    Json,
    Arrow,
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
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv => "csv",
            FileFormat::Json => "json",
            FileFormat::Arrow => "arrow",
            FileFormat::Table => "table",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileFormat::Parquet => ".parquet",
            FileFormat::Csv => ".csv",
            FileFormat::Json => ".json",
            FileFormat::Arrow => ".arrow",
            FileFormat::Table => "",
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
    /// As the user or contract wrote it, for messages.
    pub location: String,
    /// Resolved: an absolute path (with any glob) or a URL.
    pub url: String,
    pub format: FileFormat,
    /// An S3-compatible endpoint from the contract's server (`endpointUrl`); the environment's
    /// `AWS_ENDPOINT_URL` wins.
    pub endpoint: Option<String>,
}

impl DataSource {
    fn remote(&self) -> bool {
        self.url.contains("://")
    }
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
    let url = follow_pointer(object, &location, resolve(&location, base))?;
    let format = match format.map(|f| (f, FileFormat::parse(f))) {
        Some((_, Some(f))) => f,
        Some((f, None)) => {
            return Err(Error::NoData {
                object: object.to_string(),
                hint: format!("format `{f}` is not one contrakt reads (parquet, csv, json, arrow)"),
            });
        }
        None => FileFormat::from_path(&url).or_else(|| sniff_folder(&url)).unwrap_or(FileFormat::Parquet),
    };
    if url.contains("://") && !(url.starts_with("s3://") || url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::NoData {
            object: object.to_string(),
            hint: format!(
                "`{location}`: contrakt reads local files, s3:// and https:// so far; copy the data or mount it"
            ),
        });
    }
    Ok(DataSource { location, url, format, endpoint })
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
        Err(e) => {
            Err(Error::Source { object: object.to_string(), location: location.to_string(), message: e.to_string() })
        }
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

/// The format of the first data file in a folder.
fn sniff_folder(url: &str) -> Option<FileFormat> {
    let dir = Path::new(url);
    if !dir.is_dir() {
        return None;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d).ok()?.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if let Some(f) = p.to_str().and_then(FileFormat::from_path) {
                return Some(f);
            }
        }
    }
    None
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

/// Registers the data as table `name`, with hive partition columns (`key=value` folders)
/// as string columns. Returns the table's schema.
pub async fn register(ctx: &SessionContext, name: &str, object: &str, src: &DataSource) -> Result<SchemaRef> {
    let fail = |e: DataFusionError| Error::source_error(object, &src.location, &e);
    if src.remote() {
        register_store(ctx, object, src)?;
    }
    let is_dir = if src.remote() { src.url.ends_with('/') } else { Path::new(&src.url).is_dir() };
    let has_glob = !src.remote() && src.url.contains(['*', '?', '[']);
    if !src.remote() && !is_dir && !has_glob && !Path::new(&src.url).exists() {
        return Err(Error::Source {
            object: object.to_string(),
            location: src.location.clone(),
            message: format!("no such file or folder: {}", src.url),
        });
    }
    if src.format == FileFormat::Parquet && !src.remote() {
        for file in local_files(&src.url, is_dir, has_glob, ".parquet") {
            if let Err(why) = contrakt_formats::arrow::parquet_footer_ok(&file) {
                return Err(Error::Source {
                    object: object.to_string(),
                    location: src.location.clone(),
                    message: format!("{} is not a readable Parquet file: {why}", file.display()),
                });
            }
        }
    }
    if src.format == FileFormat::Csv && !src.remote() {
        // Before DataFusion infers the schema: that costs memory per column (13 GB for 100,000).
        for file in local_files(&src.url, is_dir, has_glob, ".csv") {
            match csv_columns(&file) {
                Ok(n) if n > MAX_COLUMNS => {
                    return Err(too_wide(object, src, &format!("{}'s header", file.display()), n));
                }
                Ok(_) => {}
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
    let format: Arc<dyn DfFileFormat> = match src.format {
        FileFormat::Parquet => Arc::new(ParquetFormat::default()),
        FileFormat::Csv => Arc::new(CsvFormat::default().with_has_header(true)),
        FileFormat::Json => Arc::new(JsonFormat::default()),
        FileFormat::Arrow => Arc::new(ArrowFormat),
        FileFormat::Table => {
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
    let config = ListingTableConfig::new(url).with_listing_options(options).infer_schema(&state).await.map_err(fail)?;
    // Every format (Parquet, JSON, Arrow, remote files): refused before any plan is made.
    if let Some(schema) = &config.file_schema
        && schema.fields().len() > MAX_COLUMNS
    {
        return Err(too_wide(object, src, "its schema", schema.fields().len()));
    }
    let table = ListingTable::try_new(config).map_err(fail)?;
    let schema = datafusion::datasource::TableProvider::schema(&table);
    ctx.register_table(name, Arc::new(table)).map_err(fail)?;
    Ok(schema)
}

/// Makes an `s3://bucket/…` or `https://host/…` URL readable: credentials, region and
/// endpoint come from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION`, `AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP`, …), never from the
/// contract, and never appear in messages.
fn register_store(ctx: &SessionContext, object: &str, src: &DataSource) -> Result<()> {
    let fail = |message: String| Error::Source { object: object.to_string(), location: src.location.clone(), message };
    let url = url::Url::parse(&src.url).map_err(|e| fail(format!("not a URL: {e}")))?;
    let store: Arc<dyn object_store::ObjectStore> = match url.scheme() {
        "s3" => {
            let bucket = url.host_str().ok_or_else(|| fail("an s3:// URL names a bucket: s3://bucket/path".into()))?;
            let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            let env_endpoint = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT"].iter().any(|k| std::env::var_os(k).is_some());
            if let (Some(endpoint), false) = (&src.endpoint, env_endpoint) {
                builder = builder.with_endpoint(endpoint);
            }
            Arc::new(builder.build().map_err(|e| fail(format!("S3 configuration: {e}")))?)
        }
        "https" | "http" => {
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
    ctx.register_object_store(&root, store);
    Ok(())
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
    ctx.register_table(name, Arc::new(table)).map_err(fail)?;
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
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(url)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for p in entries.flatten().map(|e| e.path()) {
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(extension) {
                out.push(p);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
