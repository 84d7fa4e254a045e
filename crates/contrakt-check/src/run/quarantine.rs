//! The run's side of `--quarantine` and of a partial publish: where the failing rows go, and
//! the rows that pass ([`crate::quarantine`] writes both).

use std::path::Path;
use std::time::Duration;

use datafusion::common::ScalarValue;

use contrakt_core::expect::Quarantined;
use contrakt_core::odcs::ContractDocument;

use crate::compile::ObjectPlan;
use crate::dataset::FileFormat;
use crate::error::{Error, Result, explain};
use crate::quarantine::Tee;
use crate::site::Site;

use super::prepare::{Prepared, contract_dir};
use super::sample_query::key_columns;
use super::{CheckOptions, Checker};

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

    /// Completes an object's quarantine: on a warehouse, its failing rows first, streamed from
    /// their query (planned here, run there, [`Tee::rows_query`]) into the file a batch at a
    /// time; then the file closed and moved into place.
    pub(super) async fn finish_quarantine(
        &self,
        tee: Tee,
        plan: &ObjectPlan,
        fused: &[std::result::Result<ScalarValue, String>],
        timeout: Duration,
    ) -> Quarantined {
        if let (Some(w), Some(sql)) = (self.site.warehouse(), tee.rows_query()) {
            let streamed = async {
                let df = self.ctx.sql(sql).await.map_err(|e| explain(&e))?;
                let statement = w.to_sql(df.logical_plan()).map_err(|e| e.to_string())?;
                w.stream_each(&statement, df.schema().as_arrow(), |batch| tee.write(&batch)).await
            };
            let streamed = tokio::time::timeout(timeout, streamed)
                .await
                .unwrap_or_else(|_| Err(format!("timed out after {}", super::execute::humanize(timeout))));
            if let Err(e) = streamed {
                tee.failed(format!("the failing rows could not be read from the warehouse: {e}"));
            }
        }
        tee.finish(plan, fused).await
    }

    /// Where `--quarantine` writes, absolute or a URL; refused on an engine that cannot write it
    /// or inside the contract's or the data's folder.
    pub(super) fn quarantine_at(
        &self,
        doc: &ContractDocument,
        opts: &CheckOptions,
        prepared: &Prepared,
    ) -> Result<Option<String>> {
        let Some(q) = &opts.quarantine else { return Ok(None) };
        if let Site::Ballista(engine) = &self.site {
            return Err(Error::Usage(format!(
                "--quarantine writes the failing rows from this process, and on the cluster of --engine {engine} the executors scan the data: quarantine with the embedded engine (no --engine), or on a PostgreSQL server (--server)"
            )));
        }
        let location = if q.location.contains("://") {
            q.location.clone()
        } else {
            let base = opts.data_dir.as_deref().unwrap_or(&opts.base_dir);
            let path = Path::new(&q.location);
            let abs = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
            std::path::absolute(&abs).unwrap_or(abs).to_string_lossy().into_owned()
        };
        // A warehouse table has no folder of its own to keep the quarantine out of.
        let data: Vec<String> =
            prepared.sources.values().filter(|s| s.format != FileFormat::Table).map(|s| s.url.clone()).collect();
        // A contract read from a file has a folder; one given as text has none.
        let file = Path::new(doc.source().name());
        let contract =
            file.is_file().then(|| std::path::absolute(contract_dir(doc)).unwrap_or_else(|_| contract_dir(doc)));
        crate::quarantine::refuse_inside(&location, contract.as_deref(), &data).map_err(Error::Usage)?;
        Ok(Some(location))
    }
}
