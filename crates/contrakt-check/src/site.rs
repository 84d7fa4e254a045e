//! Where a checker's plans run: DataFusion in this process, a Ballista cluster, or a warehouse
//! server. The checker compiles and plans the same way for all three (DataFusion plans against
//! the data, or against empty stand-ins of a warehouse's tables); [`Site`] answers the questions
//! on which they differ, so the runner asks it rather than branching on where it is.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::execution::config::SessionConfig;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{DataFrame, SessionContext};

use crate::compile;
use crate::engine::{self, Engine};
use crate::error::{Result, explain};
use crate::warehouse::Warehouse;

/// Where a checker's plans run.
#[derive(Debug, Clone, Default)]
pub(crate) enum Site {
    /// DataFusion in this process.
    #[default]
    Embedded,
    /// A Ballista cluster (always an [`Engine::Ballista`]): plans are serialised to its
    /// scheduler and the executors read the data.
    Ballista(Engine),
    /// A warehouse server: DataFusion plans over empty tables of its schema, and each plan is
    /// unparsed into the warehouse's dialect and run there.
    Warehouse(Arc<Warehouse>),
}

/// What [`Site::engine`] says for the sites that are not a cluster.
static EMBEDDED: Engine = Engine::Embedded;

impl Site {
    /// The site of `engine`, once it can be used: for a Ballista cluster, once its scheduler
    /// answers; without the `ballista` feature, a Ballista engine is a usage error saying so.
    pub(crate) async fn reach(engine: Engine) -> Result<Site> {
        if let Some(e) = engine::unavailable(&engine) {
            return Err(e);
        }
        #[cfg(feature = "ballista")]
        crate::ballista::reachable(&engine).await?;
        Ok(match engine {
            Engine::Embedded => Site::Embedded,
            ballista @ Engine::Ballista { .. } => Site::Ballista(ballista),
        })
    }

    /// The engine whose session plans the queries (a warehouse's are planned in this process).
    pub(crate) fn engine(&self) -> &Engine {
        match self {
            Site::Ballista(engine) => engine,
            Site::Embedded | Site::Warehouse(_) => &EMBEDDED,
        }
    }

    /// The warehouse the plans run on, if they run on one.
    pub(crate) fn warehouse(&self) -> Option<&Arc<Warehouse>> {
        match self {
            Site::Warehouse(w) => Some(w),
            _ => None,
        }
    }

    /// A session for one run here, with the checker's configuration and runtime.
    pub(crate) fn session(&self, config: SessionConfig, runtime: Arc<RuntimeEnv>) -> Result<SessionContext> {
        match self {
            Site::Embedded | Site::Warehouse(_) => Ok(crate::functions::embedded_session(config, runtime)),
            #[cfg(feature = "ballista")]
            Site::Ballista(engine) => crate::ballista::session(engine, config, runtime),
            #[cfg(not(feature = "ballista"))]
            Site::Ballista(engine) => Err(engine::unavailable(engine)
                .unwrap_or_else(|| crate::error::Error::Internal(format!("no session for {engine}")))),
        }
    }

    /// Does the fused scan also measure references (as set lookups) and gather failing rows'
    /// samples, and may the data's statistics size uniqueness? Only in this process: the
    /// lookups and sample structs are built in its session, and the statistics are read from
    /// the files here.
    pub(crate) fn folds_into_scan(&self) -> bool {
        matches!(self, Site::Embedded)
    }

    /// Are queries run from DataFusion's physical plan (whose metrics give the bytes scanned)?
    /// Not on a warehouse, which is given the statement and reads its own tables.
    pub(crate) fn plans_physically(&self) -> bool {
        !matches!(self, Site::Warehouse(_))
    }

    /// May exact uniqueness run as a grouping of its own that spills to disk? The spilling is
    /// DataFusion's; a warehouse is given `count(DISTINCT …)` and manages its own memory.
    pub(crate) fn spills(&self) -> bool {
        !matches!(self, Site::Warehouse(_))
    }

    /// Does the site have DataFusion's approximate-distinct sketches? A warehouse is given
    /// `count(DISTINCT …)` rather than a sketch it may not have.
    pub(crate) fn has_sketches(&self) -> bool {
        !matches!(self, Site::Warehouse(_))
    }

    /// The fused scan of `table` over `measures`: built measure by measure where DataFusion runs
    /// it; as its SQL for a warehouse, which is given the statement (one column per measure).
    pub(crate) fn fused_query(&self, table: &str, measures: &[(usize, &str)]) -> Query {
        match self {
            Site::Warehouse(_) => Query::Sql(compile::fused_sql(table, measures)),
            Site::Embedded | Site::Ballista(_) => Query::Fused {
                table: table.to_string(),
                measures: measures.iter().map(|(_, m)| m.to_string()).collect(),
            },
        }
    }

    /// Can a planned query run here? A warehouse must be able to be given it as a statement.
    pub(crate) fn accepts(&self, df: &DataFrame) -> std::result::Result<(), String> {
        match self {
            Site::Warehouse(w) => w.to_sql(df.logical_plan()).map(|_| ()).map_err(|e| e.to_string()),
            Site::Embedded | Site::Ballista(_) => Ok(()),
        }
    }

    /// A planned query as the statement a warehouse is given (`Err` elsewhere).
    pub(crate) fn statement(&self, df: &DataFrame) -> std::result::Result<String, String> {
        match self {
            Site::Warehouse(w) => w.to_sql(df.logical_plan()).map_err(|e| e.to_string()),
            Site::Embedded | Site::Ballista(_) => Err("no warehouse".into()),
        }
    }

    /// Runs a planned query: on a warehouse as its statement (the local tables are empty
    /// stand-ins, and the bytes it read are the warehouse's to know); here through its physical
    /// plan when there is one, with the bytes it scanned.
    pub(crate) async fn run(
        &self,
        df: DataFrame,
        physical: Option<Arc<dyn ExecutionPlan>>,
    ) -> std::result::Result<(Vec<RecordBatch>, Option<u64>), String> {
        match (self, physical) {
            (Site::Warehouse(w), _) => {
                let statement = w.to_sql(df.logical_plan()).map_err(|e| e.to_string())?;
                Ok((w.query(&statement, df.schema().as_arrow()).await?, None))
            }
            (_, Some(physical)) => {
                let task = Arc::new(df.task_ctx());
                let batches =
                    datafusion::physical_plan::collect(physical.clone(), task).await.map_err(|e| explain(&e))?;
                Ok((batches, bytes_scanned(physical.as_ref())))
            }
            (_, None) => df.collect().await.map(|b| (b, None)).map_err(|e| explain(&e)),
        }
    }
}

/// What the checker plans: a statement, or the fused scan of a table.
pub(crate) enum Query {
    Sql(String),
    /// The fused scan of a table: one aggregate over it, one column per measure, in order.
    Fused {
        table: String,
        measures: Vec<String>,
    },
}

/// The `bytes_scanned` metric summed over a physical plan's operators.
fn bytes_scanned(plan: &dyn ExecutionPlan) -> Option<u64> {
    let own = plan.metrics().and_then(|m| m.sum_by_name("bytes_scanned")).map(|v| v.as_usize() as u64);
    plan.children().iter().map(|c| bytes_scanned(c.as_ref())).fold(own, |a, b| match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    })
}
