//! Before any check runs: which objects are checked, where each one's data is (files, frames
//! in memory, a warehouse table), registered as a table behind the `--where`/`--partition`
//! slice, and the objects their references read.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::datatypes::Schema as ArrowSchema;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::DataFrame;
use tracing::{Instrument, info_span};

use contrakt_core::expect::{self, Expectation, Measure};
use contrakt_core::ir::{self, lower_contract};
use contrakt_core::odcs::ContractDocument;

use crate::compile::Tables;
use crate::dataset::{self, DataSource, FileFormat, InMemory};
use crate::error::{Error, Result, explain};
use crate::sql::{ident, string};
use crate::warehouse::{self, SqlDialect, Warehouse};

use super::{CheckOptions, Checker};

pub(super) struct Located {
    pub(super) table: String,
    pub(super) schema: ArrowSchema,
}

pub(super) struct Registered(pub(super) HashMap<String, Located>);

impl Tables for Registered {
    fn table_of(&self, object: &str) -> Option<(String, ArrowSchema)> {
        self.0.get(object).map(|l| (l.table.clone(), l.schema.clone()))
    }
}

/// An object's data as the caller gave it.
pub(super) enum Given {
    Url(String),
    Memory(InMemory),
}

impl Given {
    pub(super) fn locate(
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

    pub(super) fn memory(given: Option<&Given>) -> Option<&InMemory> {
        match given {
            Some(Given::Memory(m)) => Some(m),
            _ => None,
        }
    }
}

pub(super) struct Prepared {
    pub(super) expectations: Vec<Expectation>,
    pub(super) ir: ir::Schema,
    /// Objects to check, in contract order, with their registered data or why there is none.
    pub(super) objects: Vec<(String, std::result::Result<Located, Error>)>,
    pub(super) sources: HashMap<String, DataSource>,
    /// Every registered table by object (checked objects and referenced ones).
    pub(super) tables: Registered,
    /// The objects reconciled with that live on another server than this run's, located only
    /// when the checks run ([`super::other_server`]): `explain` connects to nothing.
    pub(super) foreign: HashMap<String, std::result::Result<crate::reconcile::Foreign, String>>,
}

impl Checker {
    pub(super) async fn prepare(&self, doc: &ContractDocument, opts: &CheckOptions) -> Result<Prepared> {
        // A bad --where stops the run before any data is read.
        slice_predicates(opts)?;
        if let (Some(as_of), Some(_)) = (opts.as_of, self.site.warehouse()) {
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
            if let (Some(w), Some(server)) = (self.site.warehouse(), opts.server.as_deref()) {
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
                    let r = match r {
                        Ok(l) if src.format == FileFormat::Json && Given::memory(given).is_none() => {
                            self.absent_json_fields(l, ir.object(&object.name)).await
                        }
                        other => other,
                    };
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
            if let Some(w) = self.site.warehouse() {
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
            if let Ok(src) = located.map(|src| src.referenced_as_of(opts.as_of)) {
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
        Ok(Prepared { expectations, ir, objects, sources, tables, foreign: HashMap::new() })
    }

    /// Registers a warehouse table as `table`: an empty table of its schema for DataFusion to
    /// plan against, behind a filtered view when `--where`/`--partition` are set, and the
    /// relation it stands for.
    pub(super) async fn register_in_warehouse(
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
            let df = self.slice_of(&raw, object, &predicates).await?;
            w.relate_view(table, df.logical_plan())?;
            let schema = df.schema().as_arrow().clone();
            self.ctx.register_table(TableReference::bare(table), df.into_view())?;
            Ok(Located { table: table.to_string(), schema })
        }
        .instrument(span)
        .await;
        (src, located)
    }

    /// The rows of registered table `raw` that the `--where`/`--partition` `predicates` keep.
    async fn slice_of(&self, raw: &str, object: &str, predicates: &[String]) -> Result<DataFrame> {
        let q = format!("SELECT * FROM {} WHERE {}", ident(raw), predicates.join(" AND "));
        self.ctx.sql(&q).await.map_err(|e| Error::Usage(format!("--where/--partition on `{object}`: {}", explain(&e))))
    }

    /// Registers data as `table`, behind a filtered view when `--where`/`--partition` are set.
    pub(super) async fn register(
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
            let df = self.slice_of(&raw, object, &predicates).await?;
            let schema = df.schema().as_arrow().clone();
            self.ctx.register_table(TableReference::bare(table), df.into_view())?;
            Ok(Located { table: table.to_string(), schema })
        }
        .instrument(span)
        .await
    }

    /// JSON records may leave out an optional property: one no record holds reads as nulls
    /// ([`dataset::json::absent_as_null`]), not as a missing column.
    pub(super) async fn absent_json_fields(&self, located: Located, object: Option<&ir::Object>) -> Result<Located> {
        let Some(object) = object else { return Ok(located) };
        let absent: Vec<(String, datafusion::arrow::datatypes::DataType)> = object
            .fields
            .iter()
            .filter(|f| f.nullable && f.primary_key_position.is_none())
            .map(|f| (f.physical_name.clone().unwrap_or_else(|| f.name.clone()), warehouse::ir_arrow(&f.data_type)))
            .filter(|(name, _)| crate::conformance::resolve(&located.schema, std::slice::from_ref(name)).is_none())
            .collect();
        Ok(match dataset::json::absent_as_null(&self.ctx, &located.table, &absent).await? {
            Some(schema) => Located { table: located.table, schema },
            None => located,
        })
    }
}

/// `--partition` and `--where` as predicates on the checked objects. `--where` must be one SQL
/// expression (see [`contrakt_core::sql_guard::parse_filter`]); it enters the plan re-rendered
/// from its parsed tree, never as the text given.
pub(super) fn slice_predicates(opts: &CheckOptions) -> Result<Vec<String>> {
    let mut predicates: Vec<String> =
        opts.partitions.iter().map(|(k, v)| format!("{} = {}", ident(k), string(v))).collect();
    if let Some(w) = &opts.filter {
        predicates.push(contrakt_core::sql_guard::parse_filter(w).map_err(Error::Usage)?);
    }
    Ok(predicates)
}

pub(super) fn contract_dir(d: &ContractDocument) -> PathBuf {
    Path::new(d.source().name()).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}
