//! The checker's entry points and the flow of one run: each object's data registered
//! ([`prepare`]), its checks planned ([`planning`]), its fused scan and separate plans run
//! concurrently where its [`Site`] runs them ([`execute`]), every expectation judged, and
//! failing-row samples gathered only for the checks that failed ([`sample_query`]).

mod execute;
mod explain;
mod other_server;
mod planning;
mod prepare;
mod quarantine;
mod sample_query;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use datafusion::common::ScalarValue;
use datafusion::execution::config::SessionConfig;
use datafusion::prelude::SessionContext;
use futures::future::join_all;
use serde_json::{Map, Value as Json};
use tracing::{Instrument, info_span};

use contrakt_core::Level;
use contrakt_core::expect::{CheckReport, CheckResult, Expectation, ObjectMetric, ObjectRun, Status};
use contrakt_core::odcs::ContractDocument;

use crate::compile::ObjectPlan;
use crate::dataset::{self, InMemory};
use crate::engine::Engine;
use crate::error::{Error, Result, explain};
use crate::judge::{epoch_secs, judge, not_run, scalar_f64};
use crate::samples::{self, InScan};
use crate::site::Site;
use crate::warehouse::{SqlDialect, Warehouse};

use execute::exhausted;
use planning::{sampled_form, separate_queries};
use prepare::{Located, Prepared};
use sample_query::{key_columns, masked_columns, sample_sql, segment_sample_queries};

/// How to run a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `--data OBJECT=URL` (or `--data URL` for a contract with one object).
    pub data: Vec<(Option<String>, String)>,
    /// Read the data from this server of the contract.
    pub server: Option<String>,
    /// Check only these objects (all by default, or those named by `data`).
    pub objects: Vec<String>,
    /// The reference time for SLAs; the wall clock by default.
    pub now: Option<DateTime<Utc>>,
    /// Failing rows to show per failed check.
    pub sample: usize,
    /// Show classified values in samples.
    pub unmask: bool,
    /// `--where`: only rows matching this SQL predicate are checked.
    pub filter: Option<String>,
    /// `--partition KEY=VALUE`: only this slice is checked.
    pub partitions: Vec<(String, String)>,
    /// Bound on each query, its planning and its execution [default: [`DEFAULT_TIMEOUT`]].
    pub timeout: Option<Duration>,
    /// Relative paths of the contract's servers resolve against this folder (the contract's).
    pub base_dir: PathBuf,
    /// Relative `data` paths resolve against this folder: for the CLI, the working directory
    /// where `--data` was typed [default: `base_dir`].
    pub data_dir: Option<PathBuf>,
    /// Other contracts of the registry, for references into their objects.
    pub registry: Vec<Arc<ContractDocument>>,
    /// Data already in memory, by object like `data` (`None`: the one object checked). An
    /// object given here is not read from files; references to it read it too.
    pub frames: Vec<(Option<String>, InMemory)>,
    /// `--as-of`: read the checked objects' Delta tables at this version or time.
    pub as_of: Option<crate::delta::AsOf>,
    /// `--quarantine`: write every row failing a row-level check there, during the scan
    /// ([`crate::quarantine`]).
    pub quarantine: Option<crate::quarantine::Quarantine>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            data: Vec::new(),
            server: None,
            objects: Vec::new(),
            now: None,
            sample: 5,
            unmask: false,
            filter: None,
            partitions: Vec::new(),
            timeout: None,
            base_dir: PathBuf::from("."),
            data_dir: None,
            registry: Vec::new(),
            frames: Vec::new(),
            as_of: None,
            quarantine: None,
        }
    }
}

/// How long one query of a check (planning and execution) may take when no timeout is given:
/// an hour. No run waits forever.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);

pub use contrakt_core::time::parse_time;

/// Runs checks. One [`SessionContext`] per checker; cheap to create.
pub struct Checker {
    ctx: SessionContext,
    /// Where `ctx`'s plans run: here, on a Ballista cluster, or on a warehouse server.
    site: Site,
    /// The memory the embedded engine may hold, in bytes (`None`: unbounded). Set, the plans
    /// avoid what cannot spill to disk (see [`ObjectPlan::grouped_uniqueness`]).
    memory_limit: Option<usize>,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

impl Checker {
    pub fn new() -> Checker {
        let config =
            SessionConfig::new().with_information_schema(false).with_default_catalog_and_schema("contrakt", "data");
        Checker {
            ctx: crate::functions::embedded_session(config, crate::memory::default_runtime()),
            site: Site::Embedded,
            memory_limit: None,
        }
    }

    /// This checker, keeping the embedded engine's memory within `bytes`: operators that can
    /// spill (grouping, sorting) write to the system's temp folder instead of growing, and exact
    /// uniqueness runs as such a grouping rather than as a `count(DISTINCT …)` in the fused
    /// scan, which must hold every distinct value. What cannot spill and does not fit fails its
    /// checks with "out of resources". On a Ballista cluster the executors' own limits apply.
    pub fn with_memory_limit(self, bytes: usize) -> Result<Checker> {
        use datafusion::execution::memory_pool::FairSpillPool;
        let checker = self.on_pool(Arc::new(FairSpillPool::new(bytes)), &format!("a memory limit of {bytes} bytes"))?;
        Ok(Checker { memory_limit: Some(bytes), ..checker })
    }

    /// This checker, with a memory budget of `bytes` in place of the default one
    /// ([`crate::memory`]): groupings and sorts spill beyond it, and exact uniqueness stays in
    /// the fused scan while it fits (unlike [`Checker::with_memory_limit`], which always groups).
    /// `usize::MAX` is no budget at all (DataFusion's unbounded pool).
    pub fn with_memory_budget(self, bytes: usize) -> Result<Checker> {
        use datafusion::execution::memory_pool::{FairSpillPool, MemoryPool, UnboundedMemoryPool};
        let pool: Arc<dyn MemoryPool> = match bytes {
            usize::MAX => Arc::new(UnboundedMemoryPool::default()),
            _ => Arc::new(FairSpillPool::new(bytes)),
        };
        self.on_pool(pool, &format!("a memory budget of {bytes} bytes"))
    }

    /// This checker on a runtime whose memory pool is `pool` (`what` the error names).
    fn on_pool(self, pool: Arc<dyn datafusion::execution::memory_pool::MemoryPool>, what: &str) -> Result<Checker> {
        use datafusion::execution::runtime_env::RuntimeEnvBuilder;
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(pool)
            .build_arc()
            .map_err(|e| Error::Usage(format!("cannot set {what}: {}", explain(&e))))?;
        let ctx = crate::functions::embedded_session(self.ctx.copied_config(), runtime);
        Checker { ctx, ..self }.fresh()
    }

    /// The memory limit set by [`Checker::with_memory_limit`].
    pub fn memory_limit(&self) -> Option<usize> {
        self.memory_limit
    }

    /// A checker whose plans run on `engine`: for a Ballista cluster, once its scheduler answers.
    /// Without the `ballista` feature, a Ballista engine is a usage error saying so.
    pub async fn on_engine(engine: Engine) -> Result<Checker> {
        let checker = Checker { site: Site::reach(engine).await?, ..Checker::new() };
        checker.fresh()
    }

    /// The engine this checker's plans run on.
    pub fn engine(&self) -> &Engine {
        self.site.engine()
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Checks a contract's data. `Err` only when nothing could be checked at all.
    pub async fn check(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<CheckReport> {
        self.fresh()?.on_server(doc, opts, true).await?.check_in(doc, opts).await
    }

    /// The plans `check` would run, as SQL and DataFusion's plans, without running them.
    pub async fn explain(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<String> {
        self.fresh()?.on_server(doc, opts, false).await?.explain_in(doc, opts).await
    }

    /// The statements a check on the warehouse server `opts.server` runs, in its dialect,
    /// written from the contract's schema without connecting.
    pub async fn emit_sql(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<String> {
        let run = self.fresh()?.on_server(doc, opts, false).await?;
        if run.site.warehouse().is_none() {
            return Err(Error::Usage(
                "--emit-sql writes SQL for a warehouse server (type postgres, snowflake, bigquery, databricks or trino): name one with --server".into(),
            ));
        }
        run.emit_sql_in(doc, opts).await
    }

    /// With `opts.server` a warehouse, the run goes there: connected to run (`connect`), or
    /// only to write SQL.
    async fn on_server(self, doc: &ContractDocument, opts: &CheckOptions, connect: bool) -> Result<Checker> {
        if !self.site.engine().is_embedded() && !opts.frames.is_empty() {
            return Err(Error::Usage(format!(
                "data frames in this process's memory cannot be sent to the cluster of --engine {}: write them to files its executors can read, or check them with the embedded engine",
                self.site.engine()
            )));
        }
        let Some(name) = opts.server.as_deref() else { return Ok(self) };
        let server = dataset::server(&doc.contract, name)?;
        let Some(dialect) = SqlDialect::from_server_type(&server.server_type) else { return Ok(self) };
        if !self.site.engine().is_embedded() {
            return Err(Error::Usage(format!(
                "--server {name} runs the checks in the {} warehouse, so --engine {} has nothing to run: drop one of them",
                dialect.name(),
                self.site.engine()
            )));
        }
        if !opts.data.is_empty() || !opts.frames.is_empty() {
            return Err(Error::Usage(format!(
                "--server {name} runs the checks in the {} warehouse; other data (--data, data frames) cannot join them there",
                dialect.name()
            )));
        }
        let w = if !connect {
            Warehouse::offline(dialect, server)
        } else if dialect == SqlDialect::Postgres {
            Warehouse::connect(server, opts.timeout).await?
        } else {
            return Err(Error::Usage(format!(
                "contrakt runs pushed-down checks on PostgreSQL; for the {} server `{name}`, --emit-sql writes the statements to run there",
                dialect.name()
            )));
        };
        Ok(Checker { site: Site::Warehouse(Arc::new(w)), ..self })
    }

    /// A session of its own for each run, so the tables of one contract never meet another's;
    /// the runtime (memory pool, object stores, caches) is shared.
    fn fresh(&self) -> Result<Checker> {
        let (config, runtime) = (self.ctx.copied_config(), self.ctx.runtime_env());
        let ctx = self.site.session(config, runtime)?;
        Ok(Checker { ctx, site: self.site.clone(), memory_limit: self.memory_limit })
    }

    async fn check_in(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<CheckReport> {
        let started = Instant::now();
        let span = info_span!("check", contract = %doc.contract.id);
        async move {
            let mut prepared = self.prepare(doc, opts).await?;
            prepared.foreign = self.other_server(doc, opts, &prepared).await;
            let quarantine = self.quarantine_at(doc, opts, &prepared)?;
            let now = opts.now.unwrap_or_else(Utc::now);
            let mut objects = Vec::new();
            let mut results = Vec::new();
            for (object, outcome) in &prepared.objects {
                let t = Instant::now();
                match outcome {
                    Err(e) => {
                        objects.push(ObjectRun {
                            object: object.clone(),
                            source: prepared.sources.get(object).map(|s| s.location.clone()).unwrap_or_default(),
                            format: prepared
                                .sources
                                .get(object)
                                .map(|s| s.format_read().name().to_string())
                                .unwrap_or_default(),
                            table_version: prepared.sources.get(object).and_then(|s| s.table.version()),
                            rows: None,
                            plans: 0,
                            duration_ms: 0,
                            error: Some(e.to_string()),
                            metrics: Vec::new(),
                            quarantine: None,
                        });
                        for e2 in prepared.expectations.iter().filter(|x| x.object == *object) {
                            results.push(not_run(doc, e2, Status::Error, format!("not checked: {e}")));
                        }
                    }
                    Ok(located) => {
                        let (run, mut rs) = self
                            .run_object(doc, &prepared, object, located, now, opts, quarantine.as_deref())
                            .instrument(info_span!("object", name = %object))
                            .await;
                        objects.push(ObjectRun { duration_ms: t.elapsed().as_millis() as u64, ..run });
                        results.append(&mut rs);
                    }
                }
            }
            if !objects.is_empty()
                && objects.iter().all(|o| o.error.is_some())
                && let Some(e) = prepared.objects.into_iter().find_map(|(_, r)| r.err())
            {
                return Err(e);
            }
            let summary = CheckReport::summarize(&results);
            let mut report = CheckReport {
                version: 1,
                contract: doc.contract.id.clone(),
                contract_version: doc.contract.version.clone(),
                file: doc.source().name().to_string(),
                now: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                passed: false,
                summary,
                objects,
                results,
                duration_ms: started.elapsed().as_millis() as u64,
            };
            report.passed = !report.fails_at(Level::Error);
            Ok(report)
        }
        .instrument(span)
        .await
    }
}

impl Checker {
    #[allow(clippy::too_many_arguments)]
    async fn run_object(
        &self,
        doc: &ContractDocument,
        prepared: &Prepared,
        object: &str,
        located: &Located,
        now: DateTime<Utc>,
        opts: &CheckOptions,
        quarantine_at: Option<&str>,
    ) -> (ObjectRun, Vec<CheckResult>) {
        let src = &prepared.sources[object];
        let mut results = crate::conformance::results(doc, &prepared.ir, object, &located.schema);
        let key = key_columns(prepared, object, &located.schema);
        let (mut plan, idx) = self.plan_within_budget(prepared, object, located).await;
        let mut in_scan = self.fold_into_scan(&mut plan, prepared, &idx, &key, opts).await;
        let masked = masked_columns(doc, object, opts.unmask);
        let tee = match (&opts.quarantine, quarantine_at) {
            (Some(to), Some(location)) => {
                let checks = idx
                    .iter()
                    .map(|i| &prepared.expectations[*i])
                    .map(|e| (e.id.clone(), crate::quarantine::zero_tolerance(e)))
                    .collect();
                let setup = crate::quarantine::Setup {
                    to,
                    location: location.to_string(),
                    contract: &doc.contract.id,
                    object,
                    now,
                    checks,
                    key: &key,
                    masked: &masked,
                    warehouse: self.site.warehouse().is_some(),
                };
                Some(crate::quarantine::Tee::prepare(&self.ctx, &plan, setup).await)
            }
            _ => None,
        };
        if let Some(Ok(tee)) = &tee {
            tee.add_to(&mut plan);
        }
        let queries = separate_queries(&plan);
        let first_queries: Vec<String> = queries.iter().map(|q| q.to_string()).collect();
        // The fused scan and the separate plans run concurrently.
        let t = Instant::now();
        let ((mut fused, mut bytes_scanned), separate) = futures::join!(
            self.fused(&plan, timeout_of(opts)).instrument(info_span!("fused_scan", measures = plan.fused.len())),
            join_all(queries.iter().map(|q| self.number_sampled(q, sampled_form(&in_scan, q), timeout_of(opts))))
                .instrument(info_span!("separate_plans", n = queries.len()))
        );
        // Exact uniqueness holds its distinct values in the scan, which cannot spill: when they
        // outgrow the memory budget, the scan runs again with uniqueness as a grouping of its
        // own, which spills to disk.
        if !plan.grouped_uniqueness && fused.iter().any(|r| r.as_ref().is_err_and(|e| exhausted(e))) {
            tracing::info!("the fused scan ran out of memory; uniqueness runs as a grouping that spills");
            let (regrouped, _) = self.plan_grouped(prepared, object, located, true);
            plan = regrouped;
            in_scan = self.fold_into_scan(&mut plan, prepared, &idx, &key, opts).await;
            if let Some(Ok(tee)) = &tee {
                tee.add_to(&mut plan);
            }
            (fused, bytes_scanned) = self
                .fused(&plan, timeout_of(opts))
                .instrument(info_span!("fused_scan", measures = plan.fused.len()))
                .await;
        }
        let queries = separate_queries(&plan);
        let separate = if queries.iter().map(|q| q.as_str()).eq(first_queries.iter().map(String::as_str)) {
            separate
        } else {
            join_all(queries.iter().map(|q| self.number_sampled(q, sampled_form(&in_scan, q), timeout_of(opts)))).await
        };
        let duration_ms = t.elapsed().as_millis() as u64;
        let mut separate_samples: HashMap<&str, std::result::Result<ScalarValue, String>> = HashMap::new();
        let separate: HashMap<&str, std::result::Result<Option<f64>, String>> = queries
            .iter()
            .map(|q| q.as_str())
            .zip(separate)
            .map(|(q, (number, sampled))| {
                if let Some(s) = sampled {
                    separate_samples.insert(q, s);
                }
                (q, number)
            })
            .collect();
        let rows = fused.first().and_then(|r| r.as_ref().ok()).and_then(scalar_f64).map(|n| n as u64);
        let quarantine = match tee {
            Some(Ok(tee)) => Some(self.finish_quarantine(tee, &plan, &fused, timeout_of(opts)).await),
            Some(Err(e)) => Some(contrakt_core::expect::Quarantined {
                error: Some(format!("the quarantine could not be prepared: {e}")),
                ..Default::default()
            }),
            None => None,
        };
        let mask = |rows: &mut Vec<Map<String, Json>>| {
            for row in rows {
                for (k, v) in row.iter_mut() {
                    if masked.contains(k) && !v.is_null() {
                        *v = Json::String("***".into());
                    }
                }
            }
        };
        let mut failed_samples = Vec::new();
        let first = results.len();
        for (j, (planned, i)) in plan.checks.iter().zip(&idx).enumerate() {
            let e = &prepared.expectations[*i];
            let mut r = judge(doc, e, &planned.how, &fused, &separate, rows, now);
            r.duration_ms = duration_ms;
            if matches!(r.status, Status::Fail | Status::Warn)
                && opts.sample > 0
                && let Some(s) = &planned.sample
            {
                // Gathered by the scan, else a bounded query of its own.
                let gathered_by = |place: &InScan| match place {
                    InScan::Rows { measure, .. } | InScan::Repeats { measure, .. } => fused.get(*measure),
                    InScan::Query { query, .. } => separate_samples.get(query.as_str()),
                };
                match in_scan.get(j).and_then(Option::as_ref).map(|place| (place, gathered_by(place))) {
                    Some((place, Some(Ok(value)))) => match samples::rows_of(place, value, opts.sample) {
                        Ok(mut rows) => {
                            mask(&mut rows);
                            r.samples = rows;
                        }
                        Err(e) => tracing::warn!(error = %e, "samples not read"),
                    },
                    _ => failed_samples.push((results.len(), s.clone(), e)),
                }
            }
            results.push(r);
        }
        let exps: Vec<&Expectation> = idx.iter().map(|i| &prepared.expectations[*i]).collect();
        let collect = |sql: String| async move { self.collect(&sql, timeout_of(opts)).await };
        let judged: Vec<Status> = results[first..].iter().map(|r| r.status).collect();
        crate::segment::run(doc, &plan, &exps, &fused, &mut results[first..], now, collect)
            .instrument(info_span!("segments", n = plan.segments.groupings.len()))
            .await;
        let across = crate::reconcile::Across {
            ctx: &self.ctx,
            here: self.site.warehouse(),
            foreign: &prepared.foreign,
            timeout: timeout_of(opts),
        };
        crate::reconcile::run(
            &plan,
            &exps,
            &located.schema,
            &prepared.tables,
            &across,
            &mut results[first..],
            opts.sample,
            collect,
        )
        .instrument(info_span!("reconcile"))
        .await;
        // Samples the scan could not gather: bounded queries, only for what failed. A check that
        // passes over all rows but fails in some segments: those of its worst failing segments.
        let mut sample_queries: Vec<(usize, Option<String>, String)> = failed_samples
            .iter()
            .map(|(at, s, e)| (*at, None, sample_sql(&plan.table, s, &key, e, opts.sample, None)))
            .collect();
        let by_segment = segment_sample_queries(&plan, &exps, &results[first..], &judged, &key, opts.sample);
        sample_queries.extend(by_segment.into_iter().map(|(j, segment, q)| (first + j, Some(segment), q)));
        let fetched = join_all(sample_queries.iter().map(|(_, _, q)| self.rows(q, timeout_of(opts))))
            .instrument(info_span!("samples", n = sample_queries.len()))
            .await;
        for ((at, segment, _), rows) in sample_queries.into_iter().zip(fetched) {
            match (rows, segment) {
                (Ok(mut rows), None) => {
                    mask(&mut rows);
                    results[at].samples = rows;
                }
                (Ok(mut rows), Some(segment)) => {
                    mask(&mut rows);
                    for row in &mut rows {
                        row.insert("segment".into(), Json::String(segment.clone()));
                    }
                    results[at].samples.append(&mut rows);
                }
                (Err(e), _) => tracing::warn!(error = %e, "samples not gathered"),
            }
        }
        let run = ObjectRun {
            object: object.to_string(),
            source: src.location.clone(),
            format: src.format_read().name().to_string(),
            table_version: src.table.version(),
            rows,
            plans: 1 + queries.len() + plan.segments.groupings.len(),
            duration_ms,
            error: None,
            metrics: object_metrics(&plan, &fused, bytes_scanned, now),
            quarantine,
        };
        (run, results)
    }
}

/// The bound on each query of a run, planning and execution: `--timeout`, else
/// [`DEFAULT_TIMEOUT`].
fn timeout_of(opts: &CheckOptions) -> Duration {
    opts.timeout.unwrap_or(DEFAULT_TIMEOUT)
}

/// The history's metrics of an object from its fused scan: bytes scanned, and each stat the
/// plan asked for (the newest timestamp becomes the freshness lag in seconds at `now`).
fn object_metrics(
    plan: &ObjectPlan,
    fused: &[std::result::Result<ScalarValue, String>],
    bytes: Option<u64>,
    now: DateTime<Utc>,
) -> Vec<ObjectMetric> {
    let mut out = Vec::new();
    if let Some(b) = bytes {
        out.push(ObjectMetric { property: String::new(), metric: "bytesScanned".into(), value: b as f64 });
    }
    for stat in &plan.stats {
        let Some(Ok(s)) = fused.get(stat.measure) else { continue };
        let value = match stat.metric {
            "newest" => epoch_secs(s, true).map(|t| now.timestamp_millis() as f64 / 1e3 - t),
            _ => scalar_f64(s),
        };
        let metric = if stat.metric == "newest" { "freshnessLag" } else { stat.metric };
        if let Some(value) = value.filter(|v| v.is_finite()) {
            out.push(ObjectMetric { property: stat.property.clone(), metric: metric.into(), value });
        }
    }
    out
}
