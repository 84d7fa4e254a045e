//! The runner: registers each object's data, runs its fused scan and extra plans concurrently,
//! judges every expectation, and gathers failing-row samples only for checks that failed.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema as ArrowSchema;
use datafusion::common::{ScalarValue, TableReference};
use datafusion::datasource::MemTable;
use datafusion::execution::config::SessionConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{DataFrame, SQLOptions, SessionContext};
use futures::future::join_all;
use serde_json::{Map, Value as Json};
use tracing::{Instrument, info_span};

use contrakt_core::Level;
use contrakt_core::expect::registry::{COLUMN_PRESENT, COLUMN_TYPE, EXTRA_COLUMN};
use contrakt_core::expect::{
    self, CheckKind, CheckReport, CheckResult, Expectation, Measure, ObjectMetric, ObjectRun, Status,
};
use contrakt_core::ir::{self, lower_contract};
use contrakt_core::odcs::ContractDocument;

use crate::compile::{self, How, ObjectPlan, Part, Sample, Tables, col_expr};
use crate::conformance::{self, judge_type, resolve};
use crate::dataset::{self, DataSource, FileFormat, InMemory};
use crate::engine::{self, Engine};
use crate::error::{Error, Result, explain};
use crate::judge::{epoch_secs, first_value, judge, not_run, scalar_f64, scalar_json};
use crate::samples::{self, InScan};
use crate::sql::{ident, string};
use crate::warehouse::{self, SqlDialect, Warehouse};

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

/// Classifications whose values never appear in samples unless `--unmask`.
const MASKED: &[&str] = &["confidential", "restricted", "secret", "sensitive", "pii", "private", "highly-confidential"];

/// Runs checks. One [`SessionContext`] per checker; cheap to create.
pub struct Checker {
    ctx: SessionContext,
    /// Where `ctx` runs its plans.
    engine: Engine,
    /// Set for a run on a warehouse server: plans are unparsed and run there.
    warehouse: Option<Arc<Warehouse>>,
    /// The memory the embedded engine may hold, in bytes (`None`: unbounded). Set, the plans
    /// avoid what cannot spill to disk (see [`ObjectPlan::grouped_uniqueness`]).
    memory_limit: Option<usize>,
}

impl Default for Checker {
    fn default() -> Self {
        Self::new()
    }
}

struct Located {
    table: String,
    schema: ArrowSchema,
}

struct Registered(HashMap<String, Located>);

impl Tables for Registered {
    fn table_of(&self, object: &str) -> Option<(String, ArrowSchema)> {
        self.0.get(object).map(|l| (l.table.clone(), l.schema.clone()))
    }
}

impl Checker {
    pub fn new() -> Checker {
        let config =
            SessionConfig::new().with_information_schema(false).with_default_catalog_and_schema("contrakt", "data");
        Checker {
            ctx: crate::functions::embedded_session(config, crate::memory::default_runtime()),
            engine: Engine::Embedded,
            warehouse: None,
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
        use datafusion::execution::runtime_env::RuntimeEnvBuilder;
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(bytes)))
            .build_arc()
            .map_err(|e| Error::Usage(format!("cannot set a memory limit of {bytes} bytes: {}", explain(&e))))?;
        let ctx = crate::functions::embedded_session(self.ctx.copied_config(), runtime);
        Checker { ctx, memory_limit: Some(bytes), ..self }.fresh()
    }

    /// This checker, with a memory budget of `bytes` in place of the default one
    /// ([`crate::memory`]): groupings and sorts spill beyond it, and exact uniqueness stays in
    /// the fused scan while it fits (unlike [`Checker::with_memory_limit`], which always groups).
    pub fn with_memory_budget(self, bytes: usize) -> Result<Checker> {
        let limit = self.memory_limit;
        let bounded = self.with_memory_limit(bytes)?;
        Ok(Checker { memory_limit: limit, ..bounded })
    }

    /// The memory limit set by [`Checker::with_memory_limit`].
    pub fn memory_limit(&self) -> Option<usize> {
        self.memory_limit
    }

    /// A checker whose plans run on `engine`: for a Ballista cluster, once its scheduler answers.
    /// Without the `ballista` feature, a Ballista engine is a usage error saying so.
    pub async fn on_engine(engine: Engine) -> Result<Checker> {
        if let Some(e) = engine::unavailable(&engine) {
            return Err(e);
        }
        #[cfg(feature = "ballista")]
        crate::ballista::reachable(&engine).await?;
        let checker = Checker { engine, ..Checker::new() };
        checker.fresh()
    }

    /// The engine this checker's plans run on.
    pub fn engine(&self) -> &Engine {
        &self.engine
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
        if run.warehouse.is_none() {
            return Err(Error::Usage(
                "--emit-sql writes SQL for a warehouse server (type postgres, snowflake, bigquery, databricks or trino): name one with --server".into(),
            ));
        }
        run.emit_sql_in(doc, opts).await
    }

    /// With `opts.server` a warehouse, the run goes there: connected to run (`connect`), or
    /// only to write SQL.
    async fn on_server(self, doc: &ContractDocument, opts: &CheckOptions, connect: bool) -> Result<Checker> {
        if !self.engine.is_embedded() && !opts.frames.is_empty() {
            return Err(Error::Usage(format!(
                "data frames in this process's memory cannot be sent to the cluster of --engine {}: write them to files its executors can read, or check them with the embedded engine",
                self.engine
            )));
        }
        let Some(name) = opts.server.as_deref() else { return Ok(self) };
        let server = dataset::server(&doc.contract, name)?;
        let Some(dialect) = SqlDialect::from_server_type(&server.server_type) else { return Ok(self) };
        if !self.engine.is_embedded() {
            return Err(Error::Usage(format!(
                "--server {name} runs the checks in the {} warehouse, so --engine {} has nothing to run: drop one of them",
                dialect.name(),
                self.engine
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
        Ok(Checker { warehouse: Some(Arc::new(w)), ..self })
    }

    /// A session of its own for each run, so the tables of one contract never meet another's;
    /// the runtime (memory pool, object stores, caches) is shared.
    fn fresh(&self) -> Result<Checker> {
        let (config, runtime) = (self.ctx.copied_config(), self.ctx.runtime_env());
        let ctx = match &self.engine {
            Engine::Embedded => crate::functions::embedded_session(config, runtime),
            #[cfg(feature = "ballista")]
            ballista @ Engine::Ballista { .. } => crate::ballista::session(ballista, config, runtime)?,
            #[cfg(not(feature = "ballista"))]
            other => return Err(engine::unavailable(other).unwrap_or_else(|| Error::Internal("no engine".into()))),
        };
        Ok(Checker {
            ctx,
            engine: self.engine.clone(),
            warehouse: self.warehouse.clone(),
            memory_limit: self.memory_limit,
        })
    }

    async fn check_in(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<CheckReport> {
        let started = Instant::now();
        let span = info_span!("check", contract = %doc.contract.id);
        async move {
            let prepared = self.prepare(doc, opts).await?;
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

    async fn explain_in(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<String> {
        let prepared = self.prepare(doc, opts).await?;
        let mut out = String::new();
        for (object, outcome) in &prepared.objects {
            let located = match outcome {
                Ok(l) => l,
                Err(e) => {
                    out.push_str(&format!("## {object}\n\nnot checked: {e}\n\n"));
                    continue;
                }
            };
            let grouped = self.grouped_uniqueness(&located.table).await;
            let (mut plan, idx) = self.plan_grouped(&prepared, object, located, grouped);
            let key = key_columns(&prepared, object, &located.schema);
            self.fold_into_scan(&mut plan, &prepared, &idx, &key, opts).await;
            out.push_str(&format!(
                "## {object}\n\nfused scan ({} measures):\n  {}\n\n",
                plan.fused.len(),
                plan.fused_sql()
            ));
            let all: Vec<(usize, &str)> = plan.fused.iter().enumerate().map(|(i, m)| (i, m.as_str())).collect();
            match self.planned_fused(&plan.table, &all, false, timeout_of(opts)).await {
                Ok((df, _, _)) => match df.explain(false, false) {
                    Ok(df) => match df.collect().await {
                        Ok(batches) => {
                            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                                .map(|t| t.to_string())
                                .unwrap_or_default();
                            out.push_str(&text);
                            out.push_str("\n\n");
                        }
                        Err(e) => out.push_str(&format!("cannot explain: {}\n\n", explain(&e))),
                    },
                    Err(e) => out.push_str(&format!("cannot explain: {}\n\n", explain(&e))),
                },
                Err(e) => out.push_str(&format!("the fused scan does not plan: {e}\n\n")),
            }
            // Rules known before running not to run: what `check` would report instead.
            let not_run: Vec<String> = plan
                .checks
                .iter()
                .zip(&idx)
                .filter_map(|(c, i)| {
                    let id = &prepared.expectations[*i].id;
                    match &c.how {
                        How::Error(why) => Some(format!("  {id}: refused (cannot run): {why}\n")),
                        How::Skip(why) => Some(format!("  {id}: skipped: {why}\n")),
                        _ => None,
                    }
                })
                .collect();
            if !not_run.is_empty() {
                out.push_str("not run:\n");
                out.push_str(&not_run.concat());
                out.push('\n');
            }
            out.push_str(&crate::segment::explain(&plan));
            let extra = separate_queries(&plan);
            if !extra.is_empty() {
                out.push_str("separate plans (run concurrently with the scan):\n");
                for q in extra {
                    out.push_str(&format!("  {q}\n"));
                }
                out.push('\n');
            }
        }
        Ok(out)
    }

    async fn emit_sql_in(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<String> {
        let Some(w) = &self.warehouse else { return Err(Error::Internal("no warehouse".into())) };
        let prepared = self.prepare(doc, opts).await?;
        let mut out = format!(
            "-- {}: the checks of {} on server `{}`, in {} SQL\n\n",
            doc.source().name(),
            doc.contract.id,
            w.server,
            w.dialect.name()
        );
        for (object, outcome) in &prepared.objects {
            let located = match outcome {
                Ok(l) => l,
                Err(e) => {
                    out.push_str(&format!("-- {object}: not checked: {e}\n\n"));
                    continue;
                }
            };
            let (plan, _) = self.plan(&prepared, object, located);
            // As the run does: measures that do not plan are set aside.
            let (good, set_aside) = self.plannable(&plan, timeout_of(opts)).await;
            for (i, e) in set_aside {
                out.push_str(&format!("-- {object}: measure m{i} `{}` is not pushed down: {e}\n", plan.fused[i]));
            }
            let mut statements = vec![(
                format!("{object}: the fused scan ({} measures)", good.len()),
                compile::fused_sql(&plan.table, &good),
            )];
            statements
                .extend(separate_queries(&plan).into_iter().map(|q| (format!("{object}: a separate plan"), q.clone())));
            statements.extend(plan.segments.groupings.iter().map(|g| {
                (
                    format!("{object}: the segments by {} (after the scan)", g.properties.join(", ")),
                    crate::segment::grouped_sql(g, &plan),
                )
            }));
            for (label, sql) in statements {
                out.push_str(&format!("-- {label}\n"));
                match self.warehouse_sql(&sql).await {
                    Ok(s) => out.push_str(&format!("{s};\n\n")),
                    Err(e) => out.push_str(&format!("-- cannot be written in {}: {e}\n\n", w.dialect.name())),
                }
            }
        }
        Ok(out)
    }

    /// A query as the warehouse's statement.
    async fn warehouse_sql(&self, sql: &str) -> std::result::Result<String, String> {
        let Some(w) = &self.warehouse else { return Err("no warehouse".into()) };
        let (df, _) = self.planned(sql, false, DEFAULT_TIMEOUT).await?;
        w.to_sql(df.logical_plan()).map_err(|e| e.to_string())
    }
}

/// The queries of a plan that run apart from the fused scan.
fn separate_queries(plan: &ObjectPlan) -> Vec<&String> {
    plan.checks
        .iter()
        .flat_map(|c| match &c.how {
            How::Count(parts) => parts.iter().collect::<Vec<_>>(),
            How::Number(p) => vec![p],
            _ => vec![],
        })
        .filter_map(|p| match p {
            Part::Query(q) => Some(q),
            Part::Fused(_) => None,
        })
        .collect()
}

/// An object's data as the caller gave it.
enum Given {
    Url(String),
    Memory(InMemory),
}

impl Given {
    fn locate(
        given: Option<&Given>,
        contract: &contrakt_core::odcs::Contract,
        object: &contrakt_core::odcs::SchemaObject,
        server: Option<&str>,
        base: &Path,
        data_dir: Option<&Path>,
    ) -> Result<DataSource> {
        match given {
            Some(Given::Memory(m)) => Ok(DataSource {
                location: m.label.clone(),
                url: String::new(),
                format: FileFormat::Arrow,
                endpoint: None,
                table: Default::default(),
            }),
            Some(Given::Url(u)) => dataset::locate(contract, object, Some(u), server, data_dir.unwrap_or(base)),
            None => dataset::locate(contract, object, None, server, base),
        }
    }

    fn memory(given: Option<&Given>) -> Option<&InMemory> {
        match given {
            Some(Given::Memory(m)) => Some(m),
            _ => None,
        }
    }
}

struct Prepared {
    expectations: Vec<Expectation>,
    ir: ir::Schema,
    /// Objects to check, in contract order, with their registered data or why there is none.
    objects: Vec<(String, std::result::Result<Located, Error>)>,
    sources: HashMap<String, DataSource>,
    /// Every registered table by object (checked objects and referenced ones).
    tables: Registered,
}

impl Checker {
    async fn prepare(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<Prepared> {
        // A bad --where stops the run before any data is read.
        slice_predicates(opts)?;
        if let (Some(as_of), Some(_)) = (opts.as_of, &self.warehouse) {
            return Err(Error::Usage(format!(
                "--as-of {as_of} reads a Delta table; a warehouse table has no earlier versions"
            )));
        }
        let contract = &doc.contract;
        let names: Vec<&str> = contract.schema.iter().map(|o| o.name.as_str()).collect();
        let known = || names.join(", ");
        for o in opts.objects.iter().chain(opts.data.iter().filter_map(|(o, _)| o.as_ref())) {
            if !names.contains(&o.as_str()) {
                return Err(Error::UnknownObject { object: o.clone(), known: known() });
            }
        }
        // Data in memory may also be an object of another contract of the registry that this
        // one references (its rows are read for the reference, not checked).
        let referable = |o: &str| names.contains(&o) || opts.registry.iter().any(|d| d.contract.object(o).is_some());
        for o in opts.frames.iter().filter_map(|(o, _)| o.as_ref()) {
            if !referable(o) {
                return Err(Error::UnknownObject { object: o.clone(), known: known() });
            }
        }
        let mut given: HashMap<String, Given> = HashMap::new();
        let all_given = opts
            .data
            .iter()
            .map(|(o, url)| (o, Given::Url(url.clone())))
            .chain(opts.frames.iter().map(|(o, m)| (o, Given::Memory(m.clone()))));
        for (o, data) in all_given {
            let object = match o {
                Some(o) => o.clone(),
                None => match (opts.objects.as_slice(), names.as_slice()) {
                    ([one], _) => one.clone(),
                    ([], [one]) => one.to_string(),
                    _ => {
                        return Err(Error::Usage(format!(
                            "the contract has {} objects ({}): say which one the data is, --data OBJECT=URL",
                            names.len(),
                            known()
                        )));
                    }
                },
            };
            given.insert(object, data);
        }
        let selected: Vec<String> = if !opts.objects.is_empty() {
            opts.objects.clone()
        } else if !given.is_empty() {
            names.iter().filter(|n| given.contains_key(**n)).map(|n| n.to_string()).collect()
        } else {
            names.iter().map(|n| n.to_string()).collect()
        };
        let mut sources = HashMap::new();
        let mut objects = Vec::new();
        let mut tables = Registered(HashMap::new());
        let ir = lower_contract(doc);
        for object in contract.schema.iter().filter(|o| selected.contains(&o.name)) {
            let given = given.get(&object.name);
            if let (Some(w), Some(server)) = (&self.warehouse, opts.server.as_deref()) {
                let server = dataset::server(contract, server)?;
                let (src, located) = self
                    .register_in_warehouse(w, &object.name, &object.name, server, ir.object(&object.name), opts)
                    .await;
                if let Ok(l) = &located {
                    tables.0.insert(object.name.clone(), Located { table: l.table.clone(), schema: l.schema.clone() });
                }
                sources.insert(object.name.clone(), src);
                objects.push((object.name.clone(), located));
                continue;
            }
            let located = match Given::locate(
                given,
                contract,
                object,
                opts.server.as_deref(),
                &opts.base_dir,
                opts.data_dir.as_deref(),
            ) {
                Ok(src) => {
                    let src = src.as_of(opts.as_of);
                    let r = self.register(&object.name, &object.name, &src, Given::memory(given), opts).await;
                    sources.insert(object.name.clone(), src);
                    r
                }
                Err(e) => Err(e),
            };
            // A contract that points the job's credentials at its own endpoint stops the run
            // (exit 2), whatever its other objects: not one unreadable object among others.
            let located = match located {
                Err(
                    e @ (Error::EndpointNotAllowed { .. } | Error::UrlNotAllowed { .. } | Error::PathNotAllowed(_)),
                ) => return Err(e),
                other => other,
            };
            if let Ok(l) = &located {
                tables.0.insert(object.name.clone(), Located { table: l.table.clone(), schema: l.schema.clone() });
            }
            objects.push((object.name.clone(), located));
        }
        let expectations: Vec<Expectation> = expect::compile(doc);
        // Referenced objects: this contract's other objects, then the registry's contracts.
        let referenced: BTreeSet<String> = expectations
            .iter()
            .filter(|e| selected.contains(&e.object))
            .filter_map(|e| match &e.measure {
                Measure::Reference { object, .. } => Some(object.clone()),
                Measure::Reconcile(r) => Some(r.with.clone()),
                _ => None,
            })
            .filter(|o| !tables.0.contains_key(o))
            .collect();
        for target in referenced {
            let _span = info_span!("reference", object = %target).entered();
            let own = contract.object(&target).map(|o| (contract, o, opts.base_dir.clone()));
            let other = || {
                opts.registry.iter().find_map(|d| d.contract.object(&target).map(|o| (&d.contract, o, contract_dir(d))))
            };
            let Some((c, o, base)) = own.or_else(other) else { continue };
            if let Some(w) = &self.warehouse {
                // On a warehouse, a referenced object is read there too: this contract's
                // server, or the other contract's server at the same address.
                let server = if std::ptr::eq(c, contract) {
                    opts.server.as_deref().and_then(|s| dataset::server(c, s).ok())
                } else {
                    c.servers.iter().find(|s| {
                        SqlDialect::from_server_type(&s.server_type) == Some(w.dialect)
                            && warehouse::address(s) == w.address
                    })
                };
                let Some(server) = server else {
                    tracing::info!(object = %target, "referenced object is not on this warehouse");
                    continue;
                };
                let owner = std::iter::once(doc)
                    .chain(opts.registry.iter().map(|d| d.as_ref()))
                    .find(|d| std::ptr::eq(&d.contract, c))
                    .map(lower_contract);
                let ir_object = owner.as_ref().and_then(|s| s.object(&target));
                let plain = CheckOptions { filter: None, partitions: vec![], ..opts.clone() };
                let (_, located) =
                    self.register_in_warehouse(w, &format!("ref_{target}"), &target, server, ir_object, &plain).await;
                match located {
                    Ok(l) => {
                        tables.0.insert(target.clone(), l);
                    }
                    Err(e) => tracing::warn!(object = %target, error = %e, "referenced data not readable"),
                }
                continue;
            }
            let explicit = given.get(&target);
            let server = if std::ptr::eq(c, contract) { opts.server.as_deref() } else { None };
            let located = Given::locate(explicit, c, o, server, &base, opts.data_dir.as_deref());
            if let Err(e) = &located {
                tracing::info!(object = %target, error = %e, "referenced data not located");
            }
            if let Ok(src) = located {
                // Referenced data is read whole: the slice filter applies to checked objects only.
                let plain = CheckOptions { filter: None, partitions: vec![], ..opts.clone() };
                match self.register(&format!("ref_{target}"), &target, &src, Given::memory(explicit), &plain).await {
                    Ok(l) => {
                        tables.0.insert(target.clone(), l);
                    }
                    Err(e) => tracing::warn!(object = %target, error = %e, "referenced data not readable"),
                }
            }
        }
        Ok(Prepared { expectations, ir, objects, sources, tables })
    }

    /// Registers a warehouse table as `table`: an empty table of its schema for DataFusion to
    /// plan against, behind a filtered view when `--where`/`--partition` are set, and the
    /// relation it stands for.
    async fn register_in_warehouse(
        &self,
        w: &Warehouse,
        table: &str,
        object: &str,
        server: &contrakt_core::odcs::Server,
        ir_object: Option<&ir::Object>,
        opts: &CheckOptions,
    ) -> (DataSource, Result<Located>) {
        let physical = ir_object.and_then(|o| o.physical_name.clone()).unwrap_or_else(|| object.to_string());
        let name = w.table_name(server, &physical);
        let src = DataSource {
            location: format!("{} {}", w.address, name.join(".")),
            url: name.join("."),
            format: FileFormat::Table,
            endpoint: None,
            table: Default::default(),
        };
        let span = info_span!("register", object = %object, location = %src.location);
        let located = async {
            let (schema, as_text) = if w.is_connected() {
                w.catalog_schema(&name).await?
            } else {
                match ir_object {
                    Some(o) => w.contract_schema(o),
                    None => (ArrowSchema::empty(), vec![]),
                }
            };
            if schema.fields().is_empty() {
                return Err(Error::NoData {
                    object: object.to_string(),
                    hint: format!(
                        "server `{}` has no table {} (or the user of {} cannot see it)",
                        w.server,
                        name.join("."),
                        warehouse::USER_ENV
                    ),
                });
            }
            let empty = |schema: &ArrowSchema| MemTable::try_new(Arc::new(schema.clone()), vec![vec![]]);
            let predicates = slice_predicates(opts)?;
            if predicates.is_empty() {
                self.ctx.register_table(TableReference::bare(table), Arc::new(empty(&schema)?))?;
                w.relate_table(table, name.clone(), &schema, as_text);
                return Ok(Located { table: table.to_string(), schema });
            }
            let raw = format!("{table}__all");
            self.ctx.register_table(TableReference::bare(raw.as_str()), Arc::new(empty(&schema)?))?;
            w.relate_table(&raw, name.clone(), &schema, as_text);
            let q = format!("SELECT * FROM {} WHERE {}", ident(&raw), predicates.join(" AND "));
            let df = self
                .ctx
                .sql(&q)
                .await
                .map_err(|e| Error::Usage(format!("--where/--partition on `{object}`: {}", explain(&e))))?;
            w.relate_view(table, df.logical_plan())?;
            let schema = df.schema().as_arrow().clone();
            self.ctx.register_table(TableReference::bare(table), df.into_view())?;
            Ok(Located { table: table.to_string(), schema })
        }
        .instrument(span)
        .await;
        (src, located)
    }

    /// Registers data as `table`, behind a filtered view when `--where`/`--partition` are set.
    async fn register(
        &self,
        table: &str,
        object: &str,
        src: &DataSource,
        memory: Option<&InMemory>,
        opts: &CheckOptions,
    ) -> Result<Located> {
        let span = info_span!("register", object = %object, location = %src.location);
        async {
            let predicates = slice_predicates(opts)?;
            let register = |name: String| async move {
                match memory {
                    Some(m) => dataset::register_memory(&self.ctx, &name, object, m),
                    None => dataset::register(&self.ctx, &name, object, src).await,
                }
            };
            if predicates.is_empty() {
                let schema = register(table.to_string()).await?;
                return Ok(Located { table: table.to_string(), schema: schema.as_ref().clone() });
            }
            let raw = format!("{table}__all");
            register(raw.clone()).await?;
            let q = format!("SELECT * FROM {} WHERE {}", ident(&raw), predicates.join(" AND "));
            let df = self
                .ctx
                .sql(&q)
                .await
                .map_err(|e| Error::Usage(format!("--where/--partition on `{object}`: {}", explain(&e))))?;
            let schema = df.schema().as_arrow().clone();
            self.ctx.register_table(TableReference::bare(table), df.into_view())?;
            Ok(Located { table: table.to_string(), schema })
        }
        .instrument(span)
        .await
    }

    fn plan(&self, prepared: &Prepared, object: &str, located: &Located) -> (ObjectPlan, Vec<usize>) {
        self.plan_grouped(prepared, object, located, self.memory_limit.is_some())
    }

    /// The object's plan; exact uniqueness as a grouping of its own when `grouped`.
    fn plan_grouped(
        &self,
        prepared: &Prepared,
        object: &str,
        located: &Located,
        grouped: bool,
    ) -> (ObjectPlan, Vec<usize>) {
        let idx: Vec<usize> =
            prepared.expectations.iter().enumerate().filter(|(_, e)| e.object == object).map(|(i, _)| i).collect();
        let exps: Vec<&Expectation> = idx.iter().map(|i| &prepared.expectations[*i]).collect();
        let grouped_uniqueness = grouped && self.warehouse.is_none();
        let mut plan = compile::compile(&located.table, &located.schema, &exps, &prepared.tables, grouped_uniqueness);
        if let Some(ir_object) = prepared.ir.object(object) {
            let columns: Vec<(String, Vec<String>)> = conformance::walk(ir_object)
                .into_iter()
                .map(|(names, physical, _)| (names.join("."), physical))
                .collect();
            compile::add_column_stats(&mut plan, &located.schema, &columns);
        }
        crate::segment::add_groupings(&mut plan, &located.schema, &exps, self.warehouse.is_some());
        (plan, idx)
    }

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
        let mut results = conformance_results(doc, prepared, object, located);
        let key = key_columns(prepared, object, &located.schema);
        let grouped = self.grouped_uniqueness(&located.table).await;
        let (mut plan, idx) = self.plan_grouped(prepared, object, located, grouped);
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
            Some(Ok(tee)) => Some(tee.finish(&plan, &fused).await),
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
        crate::segment::run(doc, &plan, &exps, &fused, &mut results[first..], now, collect)
            .instrument(info_span!("segments", n = plan.segments.groupings.len()))
            .await;
        crate::reconcile::run(
            &plan,
            &exps,
            &located.schema,
            &prepared.tables,
            &mut results[first..],
            opts.sample,
            collect,
        )
        .instrument(info_span!("reconcile"))
        .await;
        // Samples the scan could not gather: bounded queries, only for what failed.
        let sample_queries: Vec<String> =
            failed_samples.iter().map(|(_, s, e)| sample_sql(&plan.table, s, &key, e, opts.sample)).collect();
        let fetched = join_all(sample_queries.iter().map(|q| self.rows(q, timeout_of(opts))))
            .instrument(info_span!("samples", n = sample_queries.len()))
            .await;
        for ((at, _, _), rows) in failed_samples.iter().zip(fetched) {
            match rows {
                Ok(mut rows) => {
                    mask(&mut rows);
                    results[*at].samples = rows;
                }
                Err(e) => tracing::warn!(error = %e, "samples not gathered"),
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

    /// The fused measures that plan (index, expression), and those that do not with their error.
    /// One planning of the whole scan when it plans, else one per measure.
    async fn plannable<'p>(
        &self,
        plan: &'p ObjectPlan,
        timeout: Duration,
    ) -> (Vec<(usize, &'p str)>, Vec<(usize, String)>) {
        let all = || plan.fused.iter().enumerate().map(|(i, m)| (i, m.as_str()));
        let measures: Vec<(usize, &str)> = all().collect();
        let whole = match self.warehouse {
            Some(_) => self.plans(&plan.fused_sql(), timeout).await,
            None => self.planned_fused(&plan.table, &measures, false, timeout).await.map(|_| ()),
        };
        if whole.is_ok() {
            return (measures, Vec::new());
        }
        self.plannable_alone(plan, timeout).await
    }

    /// Each fused measure planned alone: those that plan, and those that do not with the error.
    async fn plannable_alone<'p>(
        &self,
        plan: &'p ObjectPlan,
        timeout: Duration,
    ) -> (Vec<(usize, &'p str)>, Vec<(usize, String)>) {
        let (mut good, mut set_aside) = (Vec::new(), Vec::new());
        for (i, m) in plan.fused.iter().enumerate() {
            match self.plans(&compile::fused_sql(&plan.table, &[(i, m)]), timeout).await {
                Ok(()) => good.push((i, m.as_str())),
                Err(e) => set_aside.push((i, e)),
            }
        }
        (good, set_aside)
    }

    /// Runs the fused scan. A measure that does not plan is set aside with its error and the
    /// rest run; if execution fails, each measure runs alone so one bad rule cannot hide the
    /// others. Also returns the bytes the scan read, where the format reports them (Parquet).
    async fn fused(
        &self,
        plan: &ObjectPlan,
        timeout: Duration,
    ) -> (Vec<std::result::Result<ScalarValue, String>>, Option<u64>) {
        let mut bytes = None;
        let n = plan.fused.len();
        // A scan run again rewrites its quarantine from the start.
        crate::quarantine::restart(plan);
        let mut out: Vec<Option<std::result::Result<ScalarValue, String>>> = vec![None; n];
        // The whole scan is planned once and, when it plans, run as planned; only when it
        // does not is each measure planned alone to find the ones to set aside.
        let started = Instant::now();
        let all: Vec<(usize, &str)> = plan.fused.iter().enumerate().map(|(i, m)| (i, m.as_str())).collect();
        let whole = self.planned_fused(&plan.table, &all, self.warehouse.is_none(), timeout).await;
        let good = match whole {
            Ok(planned) => Ok((all, planned)),
            Err(_) => {
                let (good, set_aside) = self.plannable_alone(plan, timeout).await;
                for (i, e) in set_aside {
                    out[i] = Some(Err(e));
                }
                match good.is_empty() {
                    true => Err(()),
                    false => match self.planned_fused(&plan.table, &good, self.warehouse.is_none(), timeout).await {
                        Ok(planned) => Ok((good, planned)),
                        Err(e) => {
                            for (i, _) in &good {
                                out[*i] = Some(Err(e.clone()));
                            }
                            Err(())
                        }
                    },
                }
            }
        };
        if let Ok((good, (df, physical, finish))) = good {
            let schema = df.schema().clone();
            match self.run_planned(df, physical, timeout.saturating_sub(started.elapsed())).await {
                Ok((batches, scanned)) => {
                    bytes = scanned;
                    let values = match &finish {
                        Some(measures) => finish_fused(&self.ctx, &schema, measures, &batches),
                        None => (0..good.len())
                            .map(|col| first_value(&batches, col).ok_or_else(|| "the scan returned no row".to_string()))
                            .collect(),
                    };
                    for ((i, _), v) in good.iter().zip(values) {
                        out[*i] = Some(v);
                    }
                }
                Err(e) if good.len() > 1 && !exhausted(&e) => {
                    tracing::info!(error = %e, "fused scan failed; running each measure alone");
                    crate::quarantine::restart(plan);
                    let alone = join_all(good.iter().map(|(i, m)| {
                        let sql = compile::fused_sql(&plan.table, &[(*i, *m)]);
                        async move { self.collect(&sql, timeout).await }
                    }))
                    .await;
                    for ((i, _), r) in good.iter().zip(alone) {
                        out[*i] = Some(r.and_then(|b| first_value(&b, 0).ok_or_else(|| "no row".to_string())));
                    }
                }
                Err(e) => {
                    for (i, _) in &good {
                        out[*i] = Some(Err(e.clone()));
                    }
                }
            }
        }
        (out.into_iter().map(|v| v.unwrap_or_else(|| Err("not run".into()))).collect(), bytes)
    }

    /// Plans `sql` (down to the physical plan with `physical`) on a blocking thread of its own,
    /// bounded by `timeout`: DataFusion plans without yielding, so a timer on the task doing
    /// the planning could never fire. A planning that times out is abandoned (it finishes on
    /// its thread; the result is dropped).
    async fn planned(
        &self,
        sql: &str,
        physical: bool,
        timeout: Duration,
    ) -> std::result::Result<(DataFrame, Option<Arc<dyn ExecutionPlan>>), String> {
        let (df, plan, _) = self.planned_query(Query::Sql(sql.to_string()), physical, timeout).await?;
        Ok((df, plan))
    }

    /// Plans the fused scan of `table` over `measures`: here built measure by measure
    /// ([`fused_frame`], with what [`finish_fused`] computes from its row); on a warehouse as
    /// its SQL, which the warehouse is given (one column per measure).
    async fn planned_fused(
        &self,
        table: &str,
        measures: &[(usize, &str)],
        physical: bool,
        timeout: Duration,
    ) -> std::result::Result<(DataFrame, Option<Arc<dyn ExecutionPlan>>, Option<Vec<Expr>>), String> {
        let query = match self.warehouse {
            Some(_) => Query::Sql(compile::fused_sql(table, measures)),
            None => Query::Fused {
                table: table.to_string(),
                measures: measures.iter().map(|(_, m)| m.to_string()).collect(),
            },
        };
        self.planned_query(query, physical, timeout).await
    }

    async fn planned_query(
        &self,
        query: Query,
        physical: bool,
        timeout: Duration,
    ) -> std::result::Result<(DataFrame, Option<Arc<dyn ExecutionPlan>>, Option<Vec<Expr>>), String> {
        let (ctx, handle) = (self.ctx.clone(), tokio::runtime::Handle::current());
        let task = tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let (df, finish) = match query {
                    Query::Sql(sql) => ctx.sql_with_options(&sql, read_only()).await.map(|df| (df, None)),
                    Query::Fused { table, measures } => {
                        fused_frame(&ctx, &table, &measures).await.map(|(df, m)| (df, Some(m)))
                    }
                }
                .map_err(|e| explain(&e))?;
                let plan = match physical {
                    true => Some(df.clone().create_physical_plan().await.map_err(|e| explain(&e))?),
                    false => None,
                };
                Ok((df, plan, finish))
            })
        });
        match tokio::time::timeout(timeout, task).await {
            Ok(Ok(planned)) => planned,
            Ok(Err(e)) => Err(format!("the query could not be planned: {e}")),
            Err(_) => Err(format!("timed out after {} while planning", humanize(timeout))),
        }
    }

    /// `collect`, through the physical plan so its metrics can be read after: the bytes the
    /// file scans read (`bytes_scanned`, summed over the plan; `None` where no operator counts
    /// them).
    async fn collect_measured(
        &self,
        sql: &str,
        timeout: Duration,
    ) -> std::result::Result<(Vec<RecordBatch>, Option<u64>), String> {
        let started = Instant::now();
        let (df, physical) = self.planned(sql, self.warehouse.is_none(), timeout).await?;
        self.run_planned(df, physical, timeout.saturating_sub(started.elapsed())).await
    }

    /// Runs a query [`Checker::planned`] planned, within `timeout`: on a warehouse as its
    /// statement (the local tables are empty stand-ins, and the bytes it read are the
    /// warehouse's to know), here through its physical plan, with the bytes it scanned.
    async fn run_planned(
        &self,
        df: DataFrame,
        physical: Option<Arc<dyn ExecutionPlan>>,
        timeout: Duration,
    ) -> std::result::Result<(Vec<RecordBatch>, Option<u64>), String> {
        let run = async {
            match (&self.warehouse, physical) {
                (Some(w), _) => {
                    let statement = w.to_sql(df.logical_plan()).map_err(|e| e.to_string())?;
                    Ok((w.query(&statement, df.schema().as_arrow()).await?, None))
                }
                (None, Some(physical)) => {
                    let task = Arc::new(df.task_ctx());
                    let batches =
                        datafusion::physical_plan::collect(physical.clone(), task).await.map_err(|e| explain(&e))?;
                    Ok((batches, bytes_scanned(physical.as_ref())))
                }
                (None, None) => df.collect().await.map(|b| (b, None)).map_err(|e| explain(&e)),
            }
        };
        tokio::time::timeout(timeout, run)
            .await
            .unwrap_or_else(|_| Err(format!("timed out after {}", humanize(timeout))))
    }

    /// Does the query plan, down to the physical plan (where unsupported operators surface)?
    async fn plans(&self, sql: &str, timeout: Duration) -> std::result::Result<(), String> {
        let (df, _) = self.planned(sql, self.warehouse.is_none(), timeout).await?;
        if let Some(w) = &self.warehouse {
            // What matters is that the warehouse can be given it.
            return w.to_sql(df.logical_plan()).map(|_| ()).map_err(|e| e.to_string());
        }
        Ok(())
    }

    async fn collect(&self, sql: &str, timeout: Duration) -> std::result::Result<Vec<RecordBatch>, String> {
        self.collect_measured(sql, timeout).await.map(|(batches, _)| batches)
    }

    /// A query that must return one number (or null).
    async fn number(&self, sql: &str, timeout: Duration) -> std::result::Result<Option<f64>, String> {
        let batches = self.collect(sql, timeout).await?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let cols = batches.first().map_or(0, |b| b.num_columns());
        if rows != 1 || cols != 1 {
            return Err(format!(
                "the query must return one row with one number; it returned {rows} rows of {cols} columns"
            ));
        }
        let v = first_value(&batches, 0).ok_or("no value")?;
        if v.is_null() {
            return Ok(None);
        }
        scalar_f64(&v).map(Some).ok_or_else(|| format!("the query returned {} `{v}`, not a number", v.data_type()))
    }

    /// A separate query's number, by its form that also gathers samples (`sampled`: the number
    /// and a struct of samples) when there is one: the number and the samples. Should the
    /// sampled form fail, the plain query gives the number alone.
    async fn number_sampled(
        &self,
        sql: &str,
        sampled: Option<&str>,
        timeout: Duration,
    ) -> (std::result::Result<Option<f64>, String>, Option<std::result::Result<ScalarValue, String>>) {
        if let Some(sampled) = sampled
            && let Ok(batches) = self.collect(sampled, timeout).await
            && let (Some(n), Some(samples)) = (first_value(&batches, 0), first_value(&batches, 1))
        {
            let number = match n.is_null() {
                true => Ok(None),
                false => scalar_f64(&n).map(Some).ok_or_else(|| format!("the query returned {n}, not a number")),
            };
            return (number, Some(Ok(samples)));
        }
        (self.number(sql, timeout).await, None)
    }

    async fn rows(&self, sql: &str, timeout: Duration) -> std::result::Result<Vec<Map<String, Json>>, String> {
        let batches = self.collect(sql, timeout).await?;
        let mut out = Vec::new();
        for b in &batches {
            let schema = b.schema();
            for r in 0..b.num_rows() {
                let mut row = Map::new();
                for (c, f) in schema.fields().iter().enumerate() {
                    let v = ScalarValue::try_from_array(b.column(c), r).map(|s| scalar_json(&s)).unwrap_or(Json::Null);
                    row.insert(f.name().clone(), v);
                }
                out.push(row);
            }
        }
        Ok(out)
    }
}

impl Checker {
    /// Should exact uniqueness run as a grouping that spills, rather than as a set of distinct
    /// values in the fused scan? Under `--memory-limit`, always; otherwise when the data's row
    /// count (from its statistics, where the format keeps one) says the set would outgrow the
    /// memory budget ([`crate::memory`]).
    async fn grouped_uniqueness(&self, table: &str) -> bool {
        use datafusion::execution::memory_pool::MemoryLimit;
        if self.memory_limit.is_some() {
            return true;
        }
        if self.warehouse.is_some() || !self.engine.is_embedded() {
            return false;
        }
        let MemoryLimit::Finite(budget) = self.ctx.runtime_env().memory_pool.memory_limit() else { return false };
        let Ok(df) = self.ctx.table(TableReference::bare(table)).await else { return false };
        let Ok(scan) = df.create_physical_plan().await else { return false };
        use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
        let stats = StatisticsContext::new().compute(scan.as_ref(), &StatisticsArgs::new());
        let rows = stats.ok().and_then(|s| s.num_rows.get_value().copied());
        rows.is_some_and(|rows| rows.saturating_mul(crate::memory::BYTES_PER_DISTINCT) > budget)
    }

    /// Makes the fused scan measure and sample what it can on the embedded engine: references
    /// become set lookups in the scan ([`crate::references`]), and, when samples are asked
    /// for, failing rows are gathered by the scan ([`samples`]). Per check of `plan`, where its
    /// samples will be.
    async fn fold_into_scan(
        &self,
        plan: &mut ObjectPlan,
        prepared: &Prepared,
        idx: &[usize],
        key: &[String],
        opts: &CheckOptions,
    ) -> Vec<Option<InScan>> {
        if self.warehouse.is_some() || !self.engine.is_embedded() {
            return vec![None; plan.checks.len()];
        }
        let mut exprs: BTreeSet<String> = key.iter().map(|k| col_expr(std::slice::from_ref(k), None)).collect();
        for c in &plan.checks {
            match &c.sample {
                Some(Sample::Rows { column: Some(c), .. }) => {
                    exprs.insert(c.clone());
                }
                Some(Sample::Repeats { columns }) => exprs.extend(columns.iter().cloned()),
                Some(Sample::Orphans { column, .. }) => {
                    exprs.insert(column.strip_prefix("o.").unwrap_or(column).to_string());
                }
                _ => {}
            }
        }
        let mut types = HashMap::new();
        if let Ok(df) = self.ctx.table(TableReference::bare(plan.table.as_str())).await {
            use datafusion::logical_expr::ExprSchemable;
            for x in exprs {
                if let Ok(t) = df.parse_sql_expr(&x).and_then(|e| e.get_type(df.schema())) {
                    types.insert(x, t);
                }
            }
        }
        crate::references::fold_into_scan(&self.ctx, plan, &types, timeout_of(opts)).await;
        if opts.sample == 0 {
            return vec![None; plan.checks.len()];
        }
        let labels: Vec<String> =
            idx.iter().map(|i| prepared.expectations[*i].property_path().unwrap_or_else(|| "value".into())).collect();
        samples::gather_in_scan(plan, &labels, key, opts.sample, &types)
    }
}

impl Checker {
    /// Writes the rows of `object` that pass every row-level check to the Parquet file `file`
    /// (the data a partial publish releases, [`crate::quarantine::write_passing`]); the rows
    /// written. The checks are compiled as a check run compiles them (references folded into the
    /// scan included), so the rows kept are exactly those a quarantine of the same data leaves.
    pub async fn write_passing(
        &self,
        doc: &ContractDocument,
        opts: &CheckOptions,
        object: &str,
        file: &Path,
    ) -> Result<u64> {
        let prepared = self.prepare(doc, opts).await?;
        let located = match prepared.objects.iter().find(|(o, _)| o == object) {
            Some((_, Ok(located))) => located,
            Some((_, Err(e))) => return Err(Error::Usage(e.to_string())),
            None => return Err(Error::UnknownObject { object: object.to_string(), known: String::new() }),
        };
        let key = key_columns(&prepared, object, &located.schema);
        let (mut plan, idx) = self.plan(&prepared, object, located);
        let unsampled = CheckOptions { sample: 0, ..opts.clone() };
        self.fold_into_scan(&mut plan, &prepared, &idx, &key, &unsampled).await;
        crate::quarantine::write_passing(&self.ctx, &plan, file).await
    }

    /// Where `--quarantine` writes, absolute or a URL; refused on an engine that cannot write it
    /// or inside the contract's or the data's folder.
    fn quarantine_at(
        &self,
        doc: &ContractDocument,
        opts: &CheckOptions,
        prepared: &Prepared,
    ) -> Result<Option<String>> {
        let Some(q) = &opts.quarantine else { return Ok(None) };
        if self.warehouse.is_some() || !self.engine.is_embedded() {
            return Err(Error::Usage(
                "--quarantine writes failing rows from the embedded engine's scan; it cannot run on a warehouse server or a cluster".into(),
            ));
        }
        let location = if q.location.contains("://") {
            q.location.clone()
        } else {
            let base = opts.data_dir.as_deref().unwrap_or(&opts.base_dir);
            let path = Path::new(&q.location);
            let abs = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
            std::path::absolute(&abs).unwrap_or(abs).to_string_lossy().into_owned()
        };
        let data: Vec<String> = prepared.sources.values().map(|s| s.url.clone()).collect();
        // A contract read from a file has a folder; one given as text has none.
        let file = Path::new(doc.source().name());
        let contract =
            file.is_file().then(|| std::path::absolute(contract_dir(doc)).unwrap_or_else(|_| contract_dir(doc)));
        crate::quarantine::refuse_inside(&location, contract.as_deref(), &data).map_err(Error::Usage)?;
        Ok(Some(location))
    }
}

/// The form of separate query `q` that also gathers samples, if there is one.
fn sampled_form<'a>(in_scan: &'a [Option<InScan>], q: &str) -> Option<&'a str> {
    in_scan.iter().flatten().find_map(|place| match place {
        InScan::Query { query, sampled, .. } if query == q => Some(sampled.as_str()),
        _ => None,
    })
}

/// Did a query fail for want of memory (DataFusion's "resources exhausted")?
fn exhausted(error: &str) -> bool {
    error.contains("out of resources")
}

/// `--partition` and `--where` as predicates on the checked objects. `--where` must be one SQL
/// expression (see [`contrakt_core::sql_guard::parse_filter`]); it enters the plan re-rendered
/// from its parsed tree, never as the text given.
fn slice_predicates(opts: &CheckOptions) -> Result<Vec<String>> {
    let mut predicates: Vec<String> =
        opts.partitions.iter().map(|(k, v)| format!("{} = {}", ident(k), string(v))).collect();
    if let Some(w) = &opts.filter {
        predicates.push(contrakt_core::sql_guard::parse_filter(w).map_err(Error::Usage)?);
    }
    Ok(predicates)
}

/// The bound on each query of a run, planning and execution: `--timeout`, else
/// [`DEFAULT_TIMEOUT`].
fn timeout_of(opts: &CheckOptions) -> Duration {
    opts.timeout.unwrap_or(DEFAULT_TIMEOUT)
}

/// Statements a check runs: queries only.
/// What [`Checker::planned_query`] plans.
enum Query {
    Sql(String),
    /// The fused scan of a table: one aggregate over it, one column per measure, in order.
    Fused {
        table: String,
        measures: Vec<String>,
    },
}

/// The fused scan as a plan built measure by measure. The SQL planner resolves each column of
/// `SELECT m0, …, mN FROM t` by name against the aggregate's whole output (a linear search of
/// its fields, repeated by every optimizer pass): quadratic in the number of measures, 4,000
/// SQL rules took 18 s to plan. Here each measure is parsed alone against the table, each
/// distinct aggregate in it becomes one output `a<k>` of a single aggregate, and the plan ends
/// there: what each measure computes over its aggregates (`count(x) - count(DISTINCT x)`) is
/// returned, rebuilt over those columns, for [`finish_fused`] to evaluate on the one result row.
async fn fused_frame(
    ctx: &SessionContext,
    table: &str,
    measures: &[String],
) -> datafusion::error::Result<(DataFrame, Vec<Expr>)> {
    use datafusion::common::Column;
    use datafusion::common::tree_node::{Transformed, TreeNode};
    use datafusion::logical_expr::LogicalPlanBuilder;
    use datafusion::logical_expr::utils::find_aggregate_exprs;

    let scan = ctx.table(TableReference::bare(table)).await?;
    let mut aggregates: Vec<Expr> = Vec::new();
    let mut index: HashMap<Expr, usize> = HashMap::new();
    let mut rebased = Vec::with_capacity(measures.len());
    for m in measures {
        let expr = scan.parse_sql_expr(m)?;
        for a in find_aggregate_exprs(std::iter::once(&expr)) {
            index.entry(a.clone()).or_insert_with(|| {
                aggregates.push(a);
                aggregates.len() - 1
            });
        }
        let over = expr
            .transform_down(|e| {
                Ok(match index.get(&e) {
                    Some(k) => Transformed::yes(Expr::Column(Column::new_unqualified(format!("a{k}")))),
                    None => Transformed::no(e),
                })
            })?
            .data;
        rebased.push(over);
    }
    let named = aggregates.into_iter().enumerate().map(|(k, a)| a.alias(format!("a{k}")));
    let plan = LogicalPlanBuilder::from(scan.logical_plan().clone()).aggregate(Vec::<Expr>::new(), named)?.build()?;
    Ok((DataFrame::new(ctx.state(), plan), rebased))
}

/// The measures' values from the fused aggregate's one row: one batch, a column per measure. A
/// measure that is one aggregate is that column; any other is evaluated over a batch of only
/// the columns it names (so no lookup ever searches all of them). A measure that fails to
/// evaluate (an overflow) is an error of its own, in its column's place.
fn finish_fused(
    ctx: &SessionContext,
    schema: &datafusion::common::DFSchema,
    measures: &[Expr],
    batches: &[RecordBatch],
) -> Vec<std::result::Result<ScalarValue, String>> {
    use datafusion::arrow::array::RecordBatchOptions;
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::DFSchema;
    use datafusion::logical_expr::utils::expr_to_columns;

    let Some(row) = batches.iter().find(|b| b.num_rows() > 0) else {
        return measures.iter().map(|_| Err("the scan returned no row".to_string())).collect();
    };
    let position =
        |name: &str| name.strip_prefix('a').and_then(|k| k.parse::<usize>().ok()).filter(|k| *k < row.num_columns());
    let state = ctx.state();
    let evaluate = |expr: &Expr| -> std::result::Result<ScalarValue, String> {
        if let Expr::Column(c) = expr
            && let Some(k) = position(&c.name)
        {
            return ScalarValue::try_from_array(row.column(k), 0).map_err(|e| explain(&e));
        }
        let mut named = std::collections::HashSet::new();
        expr_to_columns(expr, &mut named).map_err(|e| explain(&e))?;
        let mut named: Vec<usize> = named.iter().filter_map(|c| position(&c.name)).collect();
        named.sort_unstable();
        let fields: Vec<Field> =
            named.iter().map(|k| schema.field(*k).as_ref().clone().with_name(format!("a{k}"))).collect();
        let arrow = Arc::new(ArrowSchema::new(fields));
        let columns = named.iter().map(|k| row.column(*k).slice(0, 1)).collect();
        let one = RecordBatch::try_new_with_options(
            arrow.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )
        .map_err(|e| e.to_string())?;
        let dfschema = DFSchema::try_from(arrow.as_ref().clone()).map_err(|e| explain(&e))?;
        let physical = state.create_physical_expr(expr.clone(), &dfschema).map_err(|e| explain(&e))?;
        let value = physical.evaluate(&one).and_then(|v| v.into_array(1)).map_err(|e| explain(&e))?;
        ScalarValue::try_from_array(&value, 0).map_err(|e| explain(&e))
    };
    measures.iter().map(evaluate).collect()
}

fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

fn contract_dir(d: &ContractDocument) -> PathBuf {
    Path::new(d.source().name()).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn humanize(d: Duration) -> String {
    if d.as_secs() >= 1 { format!("{}s", d.as_secs_f64()) } else { format!("{}ms", d.as_millis()) }
}

/// The `bytes_scanned` metric summed over a physical plan's operators.
fn bytes_scanned(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> Option<u64> {
    let own = plan.metrics().and_then(|m| m.sum_by_name("bytes_scanned")).map(|v| v.as_usize() as u64);
    plan.children().iter().map(|c| bytes_scanned(c.as_ref())).fold(own, |a, b| match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    })
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

/// Q101–Q103 for one object.
fn conformance_results(
    doc: &ContractDocument,
    prepared: &Prepared,
    object: &str,
    located: &Located,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    let Some(ir_object) = prepared.ir.object(object) else { return out };
    let mut matched = BTreeSet::new();
    let mk = |kind: &'static CheckKind, names: &[String], field: &ir::Field, severity: Level| CheckResult {
        property: Some(names.join(".")),
        location: doc.locate(field.span),
        ..CheckResult::new(format!("{object}.{}.{}", names.join("."), kind.name), kind, object, Status::Pass, severity)
    };
    for (names, physical, field) in conformance::walk(ir_object) {
        let mut present = mk(&COLUMN_PRESENT, &names, field, Level::Error);
        match resolve(&located.schema, &physical) {
            None => {
                present.status = Status::Fail;
                present.message = format!("no column `{}` in the data", physical.join("."));
                out.push(present);
            }
            Some(col) => {
                if names.len() == 1 {
                    matched.insert(col.path[0].clone());
                }
                present.message = if col.case_differs {
                    format!("found as `{}` (the case differs)", col.path.join("."))
                } else {
                    format!("found `{}`", col.path.join("."))
                };
                out.push(present);
                let data = conformance::ir_type(&col.data_type);
                let mut typed = mk(&COLUMN_TYPE, &names, field, Level::Error);
                let text_ok = matches!(data, ir::DataType::String)
                    && conformance::physical_is_text(field.metadata.get("physicalType").map(String::as_str));
                let judged = if text_ok {
                    // physicalType is the storage readers get, so it decides the column's type;
                    // a logicalType that disagrees is said, never silently dropped.
                    let physical = &field.metadata["physicalType"];
                    Ok(Some(match &field.data_type {
                        ir::DataType::String | ir::DataType::Uuid | ir::DataType::Enum { .. } => {
                            format!("a string column, as the physicalType `{physical}` says")
                        }
                        logical => format!(
                            "a string column, as the physicalType `{physical}` says; the logicalType ({}) disagrees, and the column's type is taken from the physicalType",
                            conformance::show(logical)
                        ),
                    }))
                } else {
                    judge_type(&data, &field.data_type)
                };
                match judged {
                    Ok(note) => {
                        typed.message = note.unwrap_or_else(|| {
                            format!("{} matches {}", conformance::show(&data), conformance::show(&field.data_type))
                        });
                    }
                    Err((level, why)) => {
                        typed.severity = level;
                        typed.status = Status::judged(false, level);
                        typed.message = why;
                    }
                }
                out.push(typed);
            }
        }
    }
    for f in located.schema.fields() {
        if !matched.contains(f.name()) {
            let mut extra = mk(
                &EXTRA_COLUMN,
                std::slice::from_ref(f.name()),
                &ir::Field::new(f.name().clone(), ir::DataType::Any),
                Level::Info,
            );
            extra.status = Status::Warn;
            extra.message = format!("column `{}` ({}) is not in the contract", f.name(), f.data_type());
            out.push(extra);
        }
    }
    out
}

/// The object's primary-key columns as they appear in the data.
fn key_columns(prepared: &Prepared, object: &str, schema: &ArrowSchema) -> Vec<String> {
    let Some(o) = prepared.ir.object(object) else { return vec![] };
    o.primary_key
        .iter()
        .filter_map(|name| o.fields.iter().find(|f| &f.name == name))
        .filter_map(|f| resolve(schema, &[f.physical_name.clone().unwrap_or_else(|| f.name.clone())]))
        .map(|c| c.path.join("."))
        .collect()
}

/// Output names of sample columns whose values are classified.
fn masked_columns(doc: &ContractDocument, object: &str, unmask: bool) -> BTreeSet<String> {
    if unmask {
        return BTreeSet::new();
    }
    doc.contract
        .walk_properties()
        .into_iter()
        .filter(|p| p.object.name == object)
        .filter(|p| {
            p.property.classification.as_deref().is_some_and(|c| MASKED.contains(&c.to_ascii_lowercase().as_str()))
        })
        .flat_map(|p| {
            let logical = p.path.split_once('.').map(|(_, rest)| rest.to_string()).unwrap_or_default();
            let physical = p.property.physical_name.clone();
            [Some(logical), physical].into_iter().flatten()
        })
        .collect()
}

fn sample_sql(table: &str, sample: &Sample, key: &[String], e: &Expectation, limit: usize) -> String {
    let t = ident(table);
    let label = e.property_path().unwrap_or_else(|| "value".into());
    let keys = |alias: Option<&str>, skip: &str| -> Vec<String> {
        key.iter()
            .filter(|k| k.as_str() != skip)
            .map(|k| format!("{} AS {}", col_expr(std::slice::from_ref(k), alias), ident(k)))
            .collect()
    };
    match sample {
        Sample::Rows { predicate, column } => {
            let mut cols = keys(None, &label);
            if let Some(c) = column {
                cols.push(format!("{c} AS {}", ident(&label)));
            }
            if cols.is_empty() {
                cols.push("*".into());
            }
            // Ordered, so the same data always shows the same samples (a top-k over the
            // failing rows only).
            let order: Vec<String> = match (key.is_empty(), column) {
                (false, _) => key.iter().map(|k| col_expr(std::slice::from_ref(k), None)).collect(),
                (true, Some(c)) => vec![c.clone()],
                (true, None) => vec![],
            };
            let order = if order.is_empty() { String::new() } else { format!(" ORDER BY {}", order.join(", ")) };
            format!("SELECT {} FROM {t} WHERE {predicate}{order} LIMIT {limit}", cols.join(", "))
        }
        Sample::Repeats { columns } => {
            let not_null = columns.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" AND ");
            format!(
                "SELECT {}, count(*) AS occurrences FROM {t} WHERE {not_null} GROUP BY {} HAVING count(*) > 1 ORDER BY occurrences DESC, {} LIMIT {limit}",
                columns.join(", "),
                columns.join(", "),
                columns.join(", ")
            )
        }
        Sample::Orphans { column, target, target_column } => {
            let mut cols = keys(Some("o"), &label);
            cols.push(format!("{column} AS {}", ident(&label)));
            // The order the scan's samples take: the orphan value, then the key.
            let order: Vec<String> = std::iter::once(column.clone())
                .chain(key.iter().filter(|k| **k != label).map(|k| col_expr(std::slice::from_ref(k), Some("o"))))
                .collect();
            format!(
                "SELECT {} FROM {t} o WHERE {column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} r WHERE {target_column} = {column}) ORDER BY {} LIMIT {limit}",
                cols.join(", "),
                ident(target),
                order.join(", ")
            )
        }
    }
}
