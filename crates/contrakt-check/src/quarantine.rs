//! The quarantine (`check --quarantine DIR|URL`): every row failing a row-level check, written
//! as Parquet by the fused scan itself, without a second read of the data.
//!
//! How it runs, and why so:
//! - Each row-level check (nulls, formats, ranges, enums, patterns, lengths, array items, a
//!   reference folded into the scan) already counts its failing rows as
//!   `count(*) FILTER (WHERE p)`. The scan gains one more aggregate,
//!   `contrakt_quarantine(token, p1, …, pn, c1, …, cm) FILTER (WHERE p1 OR … OR pn)`, a tee: it
//!   keeps nothing, but writes each batch of matching rows (the columns `c`, and the ids of the
//!   checks whose `p` holds, as a list) to the run's Parquet writer, and returns how many it
//!   wrote. Its state is that count, so partitions merge as any count does.
//! - The writer streams: row groups of [`ROW_GROUP`] rows, so memory stays bounded whatever
//!   the number of failing rows. Partitions write through one writer (a mutex): the rows of a
//!   file are in no particular order.
//! - The file is written next to its final place and renamed into it when the scan ends
//!   (locally), or spooled to the temp folder and uploaded in parts (object stores): a reader
//!   never sees half a file. A scan run again (out of memory, or each measure alone after a
//!   failure) starts the file again, so no row is written twice.
//! - Aggregate checks (row count, uniqueness, freshness, a reference by anti-join, SQL rules)
//!   judge the table, not a row: they quarantine nothing, and the object's result lists them.
//!
//! The location is the operator's (a flag, the Rust or Python option), never the contract's,
//! and is refused inside the contract's folder or a checked object's data folder, where the
//! next run would read it as data or contracts.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, Weak};

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListBuilder, RecordBatch, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::common::{Result as DfResult, ScalarValue, TableReference, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::physical_expr::expressions::Literal;
use datafusion::prelude::SessionContext;

use contrakt_core::expect::Quarantined;

use crate::compile::{How, ObjectPlan, Part, Sample, col_expr};
use crate::sql::{ident, string};

pub(crate) const QUARANTINE: &str = "contrakt_quarantine";

/// The name of the list column holding the ids of the checks a row fails.
pub const FAILING_CHECKS: &str = "failing_checks";

/// Rows per row group of a quarantine file: what the writer holds before it writes.
const ROW_GROUP: usize = 64 * 1024;

/// Parts of an upload to an object store.
const PART: usize = 8 * 1024 * 1024;

/// Where a run writes its failing rows, and what of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine {
    /// A local folder, or an `s3://bucket/prefix` or `gs://bucket/prefix` URL. A relative
    /// folder resolves against the run's `data_dir` (the working folder, for the CLI).
    pub location: String,
    /// The rows' key columns only, or whole rows.
    pub rows: QuarantineRows,
    /// The run's folder under `location` [default: the run's time, `20261207T0600Z`-style].
    pub run: Option<String>,
}

impl Quarantine {
    /// Keys only, under a folder named by the run's time.
    pub fn new(location: impl Into<String>) -> Quarantine {
        Quarantine { location: location.into(), rows: QuarantineRows::Keys, run: None }
    }
}

/// What a quarantine file holds of each failing row, beside the failing check ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QuarantineRows {
    /// The object's primary-key columns (every column when it has no primary key).
    #[default]
    Keys,
    /// Every column, classified ones masked as samples are (`***`).
    Full,
}

impl std::str::FromStr for QuarantineRows {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "keys" => Ok(QuarantineRows::Keys),
            "full" => Ok(QuarantineRows::Full),
            other => Err(format!("`{other}`: expected `keys` or `full`")),
        }
    }
}

/// Adds the tee aggregate to a session.
pub(crate) fn register(ctx: &SessionContext) {
    ctx.register_udaf(AggregateUDF::new_from_impl(Writer::new()));
}

/// The run's folder name from its time: `20261207T060000Z`.
pub fn run_name(now: DateTime<Utc>) -> String {
    now.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A path segment made of a name a contract chose (an object, a contract id): letters, digits,
/// `-`, `_` and `.` kept, anything else `_`, never `.` or `..`, never empty.
pub fn segment_name(name: &str) -> String {
    let mut s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

/// Refuses a quarantine location inside the contract's folder or a checked object's data
/// folder (`data`: local paths or URLs, as resolved for the run). `location` is absolute or a
/// URL.
pub(crate) fn refuse_inside(location: &str, contract_dir: Option<&Path>, data: &[String]) -> Result<(), String> {
    if is_url(location) {
        let at = location.trim_end_matches('/');
        for d in data.iter().filter(|d| is_url(d)) {
            let folder = data_folder_url(d);
            if at == folder || at.starts_with(&format!("{folder}/")) {
                return Err(format!(
                    "the quarantine {location} is inside the data folder {folder}: the next check would read the quarantined rows as data. Choose a location outside it"
                ));
            }
        }
        return Ok(());
    }
    let at = real(Path::new(location));
    if let Some(dir) = contract_dir.map(real)
        && at.starts_with(&dir)
    {
        return Err(format!(
            "the quarantine {location} is inside the contract's folder {}: the registry would hold data files. Choose a location outside it",
            dir.display()
        ));
    }
    for d in data.iter().filter(|d| !is_url(d)) {
        let folder = real(&data_folder(Path::new(d)));
        if at.starts_with(&folder) {
            return Err(format!(
                "the quarantine {location} is inside the data folder {}: the next check would read the quarantined rows as data. Choose a location outside it",
                folder.display()
            ));
        }
    }
    Ok(())
}

fn is_url(location: &str) -> bool {
    location.contains("://")
}

/// The folder a local data location reads: itself if a folder, else the folder of the file or
/// of the glob's first wildcard.
fn data_folder(path: &Path) -> PathBuf {
    let mut kept = PathBuf::new();
    for c in path.components() {
        if c.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            return kept;
        }
        kept.push(c);
    }
    if kept.is_dir() { kept } else { kept.parent().map(Path::to_path_buf).unwrap_or(kept) }
}

/// The folder a data URL reads: itself, or its parent when it names a file (an extension) or a
/// glob.
fn data_folder_url(url: &str) -> String {
    let url = url.split(['*', '?', '[']).next().unwrap_or(url).trim_end_matches('/');
    match url.rsplit_once('/') {
        Some((parent, last)) if last.contains('.') && !parent.ends_with('/') => parent.to_string(),
        _ => url.to_string(),
    }
}

/// `path` made absolute as the OS would walk it: component by component, each link resolved
/// where it exists (so `link/..` is the link target's parent), `.` and `..` folded where it
/// does not yet. An empty path (the folder of a bare file name) is the working folder.
fn real(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => {
                out.push(other);
                if let Ok(resolved) = out.canonicalize() {
                    out = resolved;
                }
            }
        }
    }
    out
}

/// Whether a check fails on a single failing row (`mustBe: 0`, at most 0%): only then is each
/// failing row a violation of its own, to quarantine (and to hold back from a publish).
pub(crate) fn zero_tolerance(e: &contrakt_core::expect::Expectation) -> bool {
    let one_row = match e.unit {
        contrakt_core::expect::Unit::Rows => 1.0,
        // One row of any number of rows.
        contrakt_core::expect::Unit::Percent => 1e-9,
    };
    !e.threshold.holds(one_row)
}

/// Row-level checks of a plan: per check, the predicate its failing rows match (`None` for a
/// check that judges the table, not a row). Read before or after the samples rewrite the scan.
pub(crate) fn row_predicates(plan: &ObjectPlan) -> Vec<Option<String>> {
    plan.checks
        .iter()
        .map(|c| match (&c.how, &c.sample) {
            (How::Count(parts), Some(Sample::Rows { predicate, .. }))
                if matches!(parts.as_slice(), [Part::Fused(_)]) =>
            {
                Some(predicate.clone())
            }
            // A reference folded into the scan: its orphans are rows failing a predicate.
            (How::Count(parts), Some(Sample::Orphans { .. })) => match parts.as_slice() {
                [Part::Fused(m)] => filter_of(&plan.fused[*m]).map(str::to_string),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The predicate of a fused count, plain (`count(*) FILTER (WHERE p)`) or sampled
/// (`get_field(contrakt_failing(…) FILTER (WHERE p), 'n')`).
fn filter_of(measure: &str) -> Option<&str> {
    crate::references::fused_predicate(measure).or_else(|| crate::samples::sampled_predicate(measure))
}

/// An object's quarantine for one run: its measure in the scan, and the file it writes.
pub(crate) struct Tee {
    sink: Arc<Sink>,
    /// The scan measure, `None` when no check is row-level (the file is written empty).
    measure: Option<String>,
    /// Where the file goes: a local path or a URL.
    target: String,
    /// Ids of the checks that cannot quarantine rows.
    not_row_level: Vec<String>,
    /// Ids of the row-level checks whose thresholds accept failing rows.
    tolerated: Vec<String>,
    /// On a warehouse, the query of the failing rows (the predicates' flags, then the columns
    /// written), in place of the scan's measure.
    rows_query: Option<String>,
}

/// What an object's quarantine needs from the run.
pub(crate) struct Setup<'a> {
    pub to: &'a Quarantine,
    /// The location, absolute or a URL.
    pub location: String,
    pub contract: &'a str,
    pub object: &'a str,
    pub now: DateTime<Utc>,
    /// Check ids, in the order of the plan's checks, and whether each fails on one row
    /// ([`zero_tolerance`]).
    pub checks: Vec<(String, bool)>,
    pub key: &'a [String],
    pub masked: &'a BTreeSet<String>,
    /// The object lives on a warehouse: its failing rows come from a query of their own
    /// ([`Tee::rows_query`], streamed here), not from a measure of the scan, and the columns
    /// whose values come back as text ([`crate::warehouse::readable`]) are written as text.
    pub warehouse: bool,
}

impl Tee {
    /// Prepares the quarantine of the object whose plan is `plan`: the columns it writes, their
    /// types, and the file. The measure is added by [`Tee::add_to`].
    pub(crate) async fn prepare(ctx: &SessionContext, plan: &ObjectPlan, s: Setup<'_>) -> Result<Tee, String> {
        let df = ctx.table(TableReference::bare(plan.table.as_str())).await.map_err(|e| e.to_string())?;
        let mut predicates = row_predicates(plan);
        let top: Vec<String> = df.schema().fields().iter().map(|f| f.name().clone()).collect();
        let names: Vec<String> = match (s.to.rows, s.key.is_empty()) {
            (QuarantineRows::Keys, false) => s.key.to_vec(),
            _ => top.clone(),
        };
        let mut columns = Vec::new();
        let mut fields = Vec::new();
        for name in &names {
            let c = if top.contains(name) { ident(name) } else { col_expr(std::slice::from_ref(name), None) };
            let (sql, t) = if s.masked.contains(name) {
                (format!("CASE WHEN {c} IS NULL THEN NULL ELSE '***' END"), DataType::Utf8)
            } else {
                use datafusion::logical_expr::ExprSchemable;
                let t = df.parse_sql_expr(&c).and_then(|e| e.get_type(df.schema())).map_err(|e| e.to_string())?;
                let t = if s.warehouse && !crate::warehouse::readable(&t) { DataType::Utf8 } else { t };
                (c, t)
            };
            columns.push(sql);
            fields.push(Field::new(name.clone(), t, true));
        }
        let mut list = FAILING_CHECKS.to_string();
        while names.contains(&list) {
            list.insert(0, '_');
        }
        fields.push(Field::new(list, DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))), true));
        let schema = Arc::new(Schema::new(fields));
        // Row-level and failing on one row: what the file holds. A check that tolerates failing
        // rows (nulls up to 5%) accepts each of them: they are data, not quarantined.
        let mut tolerated = Vec::new();
        for (p, (id, strict)) in predicates.iter_mut().zip(&s.checks) {
            if p.is_some() && !strict {
                tolerated.push(id.clone());
                *p = None;
            }
        }
        let ids: Vec<String> =
            predicates.iter().zip(&s.checks).filter(|(p, _)| p.is_some()).map(|(_, (id, _))| id.clone()).collect();
        let not_row_level: Vec<String> = predicates
            .iter()
            .zip(&s.checks)
            .filter(|(p, (id, _))| p.is_none() && !tolerated.contains(id))
            .map(|(_, (id, _))| id.clone())
            .collect();
        let run = s.to.run.clone().unwrap_or_else(|| run_name(s.now));
        let rel = format!("{}/{}/{}.parquet", segment_name(&run), segment_name(s.contract), segment_name(s.object));
        let target = format!("{}/{rel}", s.location.trim_end_matches('/'));
        let token = token();
        let spool = if is_url(&target) {
            std::env::temp_dir().join(format!("contrakt-quarantine-{token}.parquet"))
        } else {
            let t = PathBuf::from(&target);
            let dir = t.parent().map(Path::to_path_buf).unwrap_or_default();
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            dir.join(format!(".{}.parquet.partial", segment_name(s.object)))
        };
        let sink = Arc::new(Sink { ids, schema, spool, state: Mutex::new(State::default()) });
        SINKS.lock().unwrap_or_else(|e| e.into_inner()).insert(token.clone(), Arc::downgrade(&sink));
        let row_level: Vec<&String> = predicates.iter().flatten().collect();
        let any = row_level.iter().map(|p| format!("({p})")).collect::<Vec<_>>().join(" OR ");
        let (measure, rows_query) = match (row_level.is_empty(), s.warehouse) {
            (true, _) => (None, None),
            (false, false) => {
                let mut args = vec![string(&token)];
                args.extend(row_level.iter().map(|p| format!("({p})")));
                args.extend(columns);
                (Some(format!("{QUARANTINE}({}) FILTER (WHERE {any})", args.join(", "))), None)
            }
            (false, true) => {
                // Flags named apart from the columns; a null flag (a comparison with a null)
                // fails no check, as in the scan's `FILTER (WHERE …)`.
                let mut select: Vec<String> =
                    row_level.iter().enumerate().map(|(i, p)| format!("coalesce(({p}), false) AS \"p{i}\"")).collect();
                select.extend(columns.iter().zip(&names).map(|(c, n)| format!("{c} AS {}", ident(n))));
                (None, Some(format!("SELECT {} FROM {} WHERE {any}", select.join(", "), ident(&plan.table))))
            }
        };
        Ok(Tee { sink, measure, target, not_row_level, tolerated, rows_query })
    }

    /// Adds the tee to the plan's fused scan (again, after a plan is rebuilt).
    pub(crate) fn add_to(&self, plan: &mut ObjectPlan) {
        if let Some(m) = &self.measure {
            plan.measure(m.clone());
        }
    }

    /// On a warehouse, the query of the failing rows ([`Setup::warehouse`]), to stream into
    /// [`Tee::write`]; `None` elsewhere, or when no check is row-level.
    pub(crate) fn rows_query(&self) -> Option<&str> {
        self.rows_query.as_deref()
    }

    /// Writes a batch of [`Tee::rows_query`]'s rows (flags, then columns) to the file.
    pub(crate) fn write(&self, batch: &RecordBatch) -> Result<(), String> {
        self.sink.write(batch.columns()).map(|_| ()).map_err(|e| crate::error::explain(&e))
    }

    /// Marks the file incomplete: its rows could not all be read (`finish` reports `why`).
    pub(crate) fn failed(&self, why: String) {
        self.sink.discard();
        self.sink.state().error = Some(why);
    }

    /// Closes the file and moves it into place, unless the scan that wrote it failed (`fused`:
    /// the scan's measures, the tee's among them).
    pub(crate) async fn finish(self, plan: &ObjectPlan, fused: &[Result<ScalarValue, String>]) -> Quarantined {
        let mut q = Quarantined {
            location: contrakt_core::redact::redact_location(&self.target),
            rows: 0,
            checks: self.sink.ids.clone(),
            not_row_level: self.not_row_level.clone(),
            tolerated: self.tolerated.clone(),
            error: None,
        };
        let scanned = self.measure.as_ref().and_then(|m| plan.fused.iter().position(|x| x == m)).map(|i| &fused[i]);
        if let Some(Err(e)) = scanned {
            self.sink.discard();
            q.error = Some(format!("the scan that writes the quarantine failed: {e}"));
            return q;
        }
        let written = match self.sink.close() {
            Ok(n) => n,
            Err(e) => {
                self.sink.discard();
                q.error = Some(e);
                return q;
            }
        };
        q.rows = written;
        let moved = if is_url(&self.target) {
            let r = upload(&self.sink.spool, &self.target).await;
            self.sink.discard();
            r
        } else {
            std::fs::rename(&self.sink.spool, &self.target).map_err(|e| format!("{}: {e}", self.target))
        };
        if let Err(e) = moved {
            q.error = Some(e);
        }
        q
    }
}

/// Writes the rows of the plan's table that fail no row-level check to `file`, as one Parquet
/// file (streamed: DataFusion writes as it reads). Returns the rows written.
pub(crate) async fn write_passing(ctx: &SessionContext, plan: &ObjectPlan, file: &Path) -> crate::Result<u64> {
    use datafusion::dataframe::DataFrameWriteOptions;
    let failing: Vec<String> = row_predicates(plan).into_iter().flatten().map(|p| format!("({p})")).collect();
    // A predicate that is null (a comparison with a null) does not fail the row, as in the
    // checks' `FILTER (WHERE …)`.
    let keep = match failing.is_empty() {
        true => "true".to_string(),
        false => format!("NOT coalesce({}, false)", failing.join(" OR ")),
    };
    let sql = format!("SELECT * FROM {} WHERE {keep}", ident(&plan.table));
    let df = ctx.sql(&sql).await?;
    let path = file.to_string_lossy();
    let done = df.write_parquet(&path, DataFrameWriteOptions::new().with_single_file_output(true), None).await?;
    Ok(done
        .first()
        .and_then(|b| b.columns().first().cloned())
        .and_then(|c| c.as_primitive_opt::<datafusion::arrow::datatypes::UInt64Type>().map(|a| a.value(0)))
        .unwrap_or(0))
}

/// Uploads a local file to an object-store URL, in parts (memory stays bounded). Credentials
/// and endpoint from the environment only, as for the data.
async fn upload(file: &Path, url: &str) -> Result<(), String> {
    use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", contrakt_core::redact::redact_location(url));
    let parsed = url::Url::parse(url).map_err(|e| fail(&e))?;
    let bucket = parsed.host_str().ok_or_else(|| fail(&"the URL names no bucket"))?;
    let store: Arc<dyn ObjectStore> = match parsed.scheme() {
        "s3" => Arc::new(
            object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket).build().map_err(|e| fail(&e))?,
        ),
        "gs" => Arc::new(
            object_store::gcp::GoogleCloudStorageBuilder::from_env()
                .with_bucket_name(bucket)
                .build()
                .map_err(|e| fail(&e))?,
        ),
        other => return Err(fail(&format!("no quarantine to `{other}://` (s3:// and gs:// are supported)"))),
    };
    let key = object_store::path::Path::from(parsed.path().trim_start_matches('/'));
    let mut upload = WriteMultipart::new_with_chunk_size(store.put_multipart(&key).await.map_err(|e| fail(&e))?, PART);
    let mut f = File::open(file).map_err(|e| fail(&e))?;
    let mut buf = vec![0; PART];
    loop {
        let n = f.read(&mut buf).map_err(|e| fail(&e))?;
        if n == 0 {
            break;
        }
        upload.wait_for_capacity(2).await.map_err(|e| fail(&e))?;
        upload.write(&buf[..n]);
    }
    upload.finish().await.map_err(|e| fail(&e))?;
    Ok(())
}

/// Starts the quarantine files of a scan that is about to run again: what a failed run wrote
/// is dropped.
pub(crate) fn restart(plan: &ObjectPlan) {
    let prefix = format!("{QUARANTINE}('");
    for m in plan.fused.iter().filter(|m| m.starts_with(&prefix)) {
        let token = m[prefix.len()..].split('\'').next().unwrap_or_default();
        if let Some(sink) = sink(token) {
            sink.discard();
        }
    }
}

/// Open quarantine files by token (the tee's first argument): weak, so a run that ends (or
/// panics) leaves nothing behind here.
static SINKS: LazyLock<Mutex<HashMap<String, Weak<Sink>>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn sink(token: &str) -> Option<Arc<Sink>> {
    let mut sinks = SINKS.lock().unwrap_or_else(|e| e.into_inner());
    sinks.retain(|_, s| s.strong_count() > 0);
    sinks.get(token).and_then(Weak::upgrade)
}

/// A token no contract can guess: the tee writes only for the run that made it.
fn token() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    format!("q{:016x}{:08x}", h.finish(), std::process::id())
}

/// One quarantine file being written.
struct Sink {
    /// The row-level checks, in the order of the tee's predicates.
    ids: Vec<String>,
    schema: SchemaRef,
    /// Where the file is written before it is complete.
    spool: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    writer: Option<ArrowWriter<File>>,
    rows: u64,
    /// The first write that failed: the file is not complete.
    error: Option<String>,
}

impl Sink {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn open(&self) -> Result<ArrowWriter<File>, String> {
        let f = File::create(&self.spool).map_err(|e| format!("{}: {e}", self.spool.display()))?;
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(ROW_GROUP)).build();
        ArrowWriter::try_new(f, self.schema.clone(), Some(props)).map_err(|e| e.to_string())
    }

    /// Writes rows: the tee's arguments after its token, already filtered to failing rows.
    fn write(&self, values: &[ArrayRef]) -> DfResult<usize> {
        let n = self.ids.len();
        let rows = values.first().map_or(0, |v| v.len());
        if rows == 0 || values.len() != n + self.schema.fields().len() - 1 {
            return Ok(0);
        }
        let mut list = ListBuilder::new(StringBuilder::new());
        let flags: Vec<_> = values[..n].iter().map(|v| v.as_boolean()).collect();
        for r in 0..rows {
            for (flag, id) in flags.iter().zip(&self.ids) {
                if flag.is_valid(r) && flag.value(r) {
                    list.values().append_value(id);
                }
            }
            list.append(true);
        }
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for (v, f) in values[n..].iter().zip(self.schema.fields()) {
            columns.push(if v.data_type() == f.data_type() { v.clone() } else { cast(v, f.data_type())? });
        }
        columns.push(Arc::new(list.finish()));
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        let mut state = self.state();
        if state.error.is_some() {
            return Ok(0);
        }
        if state.writer.is_none() {
            match self.open() {
                Ok(w) => state.writer = Some(w),
                Err(e) => {
                    state.error = Some(e.clone());
                    return exec_err!("quarantine: {e}");
                }
            }
        }
        let Some(w) = state.writer.as_mut() else { return Ok(0) };
        if let Err(e) = w.write(&batch) {
            state.error = Some(e.to_string());
            return exec_err!("quarantine: {e}");
        }
        state.rows += rows as u64;
        Ok(rows)
    }

    /// Completes the file (an empty one when nothing failed): the rows written.
    fn close(&self) -> Result<u64, String> {
        let mut state = self.state();
        if let Some(e) = &state.error {
            return Err(e.clone());
        }
        let writer = match state.writer.take() {
            Some(w) => w,
            None => self.open()?,
        };
        writer.close().map_err(|e| e.to_string())?;
        Ok(state.rows)
    }

    /// Drops what was written.
    fn discard(&self) {
        let mut state = self.state();
        *state = State::default();
        let _ = std::fs::remove_file(&self.spool);
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // A file never closed (a run abandoned) is removed; a closed one was moved away.
        let _ = std::fs::remove_file(&self.spool);
    }
}

/// `contrakt_quarantine(token, p1, …, pn, c1, …, cm)`: see the module's documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Writer {
    signature: Signature,
}

impl Writer {
    fn new() -> Self {
        Writer { signature: Signature::variadic_any(Volatility::Volatile) }
    }
}

impl AggregateUDFImpl for Writer {
    fn name(&self) -> &str {
        QUARANTINE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format_state_name(args.name, "written"), DataType::Int64, true))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        let token = args.exprs.first().and_then(|e| e.downcast_ref::<Literal>()).map(|l| l.value().clone());
        let sink = match token {
            Some(ScalarValue::Utf8(Some(t))) => sink(&t),
            _ => None,
        };
        match sink {
            Some(sink) => Ok(Box::new(Writes { sink, written: 0 })),
            None => exec_err!("{QUARANTINE} is contrakt's own, for the run that made its first argument"),
        }
    }
}

/// A partition's writes, counted.
#[derive(Debug)]
struct Writes {
    sink: Arc<Sink>,
    written: i64,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sink({})", self.spool.display())
    }
}

impl Accumulator for Writes {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        self.written += self.sink.write(values.get(1..).unwrap_or_default())? as i64;
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let [n] = states else { return exec_err!("{QUARANTINE}: a state of {} columns", states.len()) };
        let n = n.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
        self.written += n.iter().flatten().sum::<i64>();
        Ok(())
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Int64(Some(self.written))])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.written)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_a_contract_stay_one_path_segment() {
        assert_eq!(segment_name("orders"), "orders");
        assert_eq!(segment_name("urn:contrakt:orders"), "urn_contrakt_orders");
        assert_eq!(segment_name(".."), "_..");
        assert_eq!(segment_name("../../etc"), "_.._.._etc");
        assert_eq!(segment_name("a/b\\c"), "a_b_c");
        assert_eq!(segment_name(""), "_");
    }

    #[test]
    fn locations_inside_the_contract_or_data_folder_are_refused() {
        let tmp = std::env::temp_dir().join(format!("contrakt-quarantine-test-{}", std::process::id()));
        let (contracts, data) = (tmp.join("contracts"), tmp.join("data"));
        std::fs::create_dir_all(&contracts).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let file = data.join("orders.csv").to_string_lossy().into_owned();
        let glob = data.join("*.csv").to_string_lossy().into_owned();
        let at = |p: &str| tmp.join(p).to_string_lossy().into_owned();
        for data in [&file, &glob] {
            let d = std::slice::from_ref(data);
            assert!(refuse_inside(&at("quarantine"), Some(&contracts), d).is_ok());
            assert!(refuse_inside(&at("data/q"), Some(&contracts), d).is_err());
            assert!(refuse_inside(&at("data"), Some(&contracts), d).is_err());
            assert!(refuse_inside(&at("contracts/q/r"), Some(&contracts), d).is_err());
            assert!(refuse_inside(&at("quarantine/../data/x"), Some(&contracts), d).is_err());
            // A folder whose name starts like the data's is another folder.
            assert!(refuse_inside(&at("data-quarantine"), Some(&contracts), d).is_ok());
        }
        // A relative contract path (a bare file name) is the working folder, not every path.
        assert!(refuse_inside(&at("quarantine"), Some(Path::new("")), std::slice::from_ref(&file)).is_ok());
        let urls = ["s3://lake/orders/part-0.parquet".to_string(), "s3://lake/items/".to_string()];
        assert!(refuse_inside("s3://lake/quarantine", None, &urls).is_ok());
        assert!(refuse_inside("s3://lake/orders/q", None, &urls).is_err());
        assert!(refuse_inside("s3://lake/items", None, &urls).is_err());
        assert!(refuse_inside("s3://lake/items2", None, &urls).is_ok());
        let _ = std::fs::remove_dir_all(&tmp);
    }

    /// A scan run again (out of memory, or each measure alone) starts the file again: what the
    /// first run wrote is dropped, so no row is written twice.
    #[test]
    fn a_restarted_sink_writes_each_row_once() {
        use datafusion::arrow::array::{BooleanArray, StringArray};
        let spool = std::env::temp_dir().join(format!("contrakt-sink-test-{}.parquet", std::process::id()));
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new(FAILING_CHECKS, DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))), true),
        ]));
        let sink = Sink { ids: vec!["a".into(), "b".into()], schema, spool: spool.clone(), state: Mutex::default() };
        let values = |ids: &[&str], a: &[Option<bool>], b: &[Option<bool>]| -> Vec<ArrayRef> {
            vec![
                Arc::new(BooleanArray::from(a.to_vec())),
                Arc::new(BooleanArray::from(b.to_vec())),
                Arc::new(StringArray::from(ids.to_vec())),
            ]
        };
        assert_eq!(sink.write(&values(&["x", "y"], &[Some(true), None], &[Some(true), Some(true)])).unwrap(), 2);
        sink.discard();
        assert_eq!(sink.write(&values(&["x"], &[Some(true)], &[Some(false)])).unwrap(), 1);
        assert_eq!(sink.write(&values(&["y"], &[None], &[Some(true)])).unwrap(), 1);
        assert_eq!(sink.close().unwrap(), 2);
        let file = File::open(&spool).unwrap();
        let reader = datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let ids = batch.column(0).as_string::<i32>();
            let lists = batch.column(1).as_list::<i32>();
            for r in 0..batch.num_rows() {
                let l = lists.value(r);
                let l = l.as_string::<i32>();
                rows.push(format!(
                    "{}:{}",
                    ids.value(r),
                    (0..l.len()).map(|i| l.value(i)).collect::<Vec<_>>().join("+")
                ));
            }
        }
        assert_eq!(rows, ["x:a", "y:b"]);
        drop(sink);
        assert!(!spool.exists(), "a sink dropped without being moved away removes its file");
    }

    #[test]
    fn sampled_and_plain_counts_give_the_row_predicate() {
        assert_eq!(filter_of("count(*) FILTER (WHERE \"a\" IS NULL)"), Some("\"a\" IS NULL"));
        assert_eq!(
            filter_of("get_field(contrakt_failing(5, \"id\", \"a\") FILTER (WHERE \"a\" < 0), 'n')"),
            Some("\"a\" < 0")
        );
        assert_eq!(filter_of("count(\"a\") - count(DISTINCT \"a\")"), None);
    }
}
