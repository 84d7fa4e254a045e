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
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FileFormat::Parquet => ".parquet",
            FileFormat::Csv => ".csv",
            FileFormat::Json => ".json",
            FileFormat::Arrow => ".arrow",
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
    let (location, format) = match given {
        Some(g) => (g.to_string(), None),
        None => {
            let server = pick_server(contract, server, &object.name)?;
            let path = server.path.clone().or_else(|| server.location.clone()).ok_or_else(|| Error::NoData {
                object: object.name.clone(),
                hint: format!("server `{}` has no `path` or `location`", server.server),
            })?;
            let path = path.replace("{model}", &object.name).replace("{object}", &object.name);
            (path, server.format.clone())
        }
    };
    let url = resolve(&location, base);
    let format = match format.as_deref().map(|f| (f, FileFormat::parse(f))) {
        Some((_, Some(f))) => f,
        Some((f, None)) => {
            return Err(Error::NoData {
                object: object.name.clone(),
                hint: format!("format `{f}` is not one contrakt reads (parquet, csv, json, arrow)"),
            });
        }
        None => FileFormat::from_path(&url).or_else(|| sniff_folder(&url)).unwrap_or(FileFormat::Parquet),
    };
    if url.contains("://") && !url.starts_with("file://") {
        return Err(Error::NoData {
            object: object.name.clone(),
            hint: format!("`{location}`: object stores are not supported yet; copy the data locally or mount it"),
        });
    }
    Ok(DataSource { location, url, format })
}

fn pick_server<'a>(contract: &'a Contract, name: Option<&str>, object: &str) -> Result<&'a Server> {
    if let Some(name) = name {
        return contract.servers.iter().find(|s| s.server == name || s.id.as_deref() == Some(name)).ok_or_else(|| {
            let known: Vec<&str> = contract.servers.iter().map(|s| s.server.as_str()).collect();
            Error::Usage(format!("the contract has no server `{name}` (it has: {})", known.join(", ")))
        });
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
    let p = if p.is_absolute() { p } else { base.join(p) };
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

/// Registers the data as table `name`, with hive partition columns (`key=value` folders)
/// as string columns. Returns the table's schema.
pub async fn register(ctx: &SessionContext, name: &str, object: &str, src: &DataSource) -> Result<SchemaRef> {
    let fail = |e: DataFusionError| Error::source_error(object, &src.location, &e);
    let is_dir = Path::new(&src.url).is_dir();
    let has_glob = src.url.contains(['*', '?', '[']);
    if !is_dir && !has_glob && !Path::new(&src.url).exists() {
        return Err(Error::Source {
            object: object.to_string(),
            location: src.location.clone(),
            message: format!("no such file or folder: {}", src.url),
        });
    }
    if src.format == FileFormat::Parquet {
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
    let url_text = if is_dir && !src.url.ends_with('/') { format!("{}/", src.url) } else { src.url.clone() };
    let url = ListingTableUrl::parse(&url_text).map_err(fail)?;
    let format: Arc<dyn DfFileFormat> = match src.format {
        FileFormat::Parquet => Arc::new(ParquetFormat::default()),
        FileFormat::Csv => Arc::new(CsvFormat::default().with_has_header(true)),
        FileFormat::Json => Arc::new(JsonFormat::default()),
        FileFormat::Arrow => Arc::new(ArrowFormat),
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
    let table = ListingTable::try_new(config).map_err(fail)?;
    let schema = datafusion::datasource::TableProvider::schema(&table);
    ctx.register_table(name, Arc::new(table)).map_err(fail)?;
    Ok(schema)
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
}
