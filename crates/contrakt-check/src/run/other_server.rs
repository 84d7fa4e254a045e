//! The other side of a reconciliation that lives on another server than the run reads: another
//! contract's PostgreSQL table beside a run over files, or another contract's files beside a
//! run on PostgreSQL (`--server`). Registered in the run's session under a name of its own, and
//! kept apart from the tables references read ([`super::prepare::Registered`]): only
//! [`crate::reconcile`] knows how to measure a side that lives elsewhere.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use contrakt_core::expect::Measure;
use contrakt_core::ir::lower_contract;
use contrakt_core::odcs::{Contract, ContractDocument};

use crate::compile::Tables;
use crate::dataset;
use crate::reconcile::Foreign;
use crate::site::Site;
use crate::warehouse::{self, SqlDialect, Warehouse};

use super::prepare::{Prepared, contract_dir};
use super::{CheckOptions, Checker};

impl Checker {
    /// The objects the selected objects reconcile with that the run located nowhere it reads,
    /// found on another server of their contract of the registry: on a run over files, the
    /// first PostgreSQL server (connected with the environment's credentials, as `--server`
    /// is); on a PostgreSQL run, the files of a contract with no server at that address. An
    /// object of this contract is on this run's server or nowhere.
    pub(super) async fn other_server(
        &self,
        doc: &ContractDocument,
        opts: &CheckOptions,
        prepared: &Prepared,
    ) -> HashMap<String, Result<Foreign, String>> {
        let tables = &prepared.tables;
        let targets: BTreeSet<&str> = prepared
            .expectations
            .iter()
            .filter(|e| prepared.objects.iter().any(|(o, _)| *o == e.object))
            .filter_map(|e| match &e.measure {
                Measure::Reconcile(r) => Some(r.with.as_str()),
                _ => None,
            })
            .filter(|o| tables.table_of(o).is_none() && doc.contract.object(o).is_none())
            .collect();
        let mut out = HashMap::new();
        for target in targets {
            let Some(owner) = opts.registry.iter().find(|d| d.contract.object(target).is_some()) else { continue };
            let side = match &self.site {
                Site::Embedded => self.on_postgres(owner, target, opts).await,
                Site::Warehouse(w) => self.in_files(w, owner, target, opts).await,
                Site::Ballista(_) => None,
            };
            if let Some(side) = side {
                out.insert(target.to_string(), side);
            }
        }
        out
    }

    /// `target` of `owner` on its contract's first PostgreSQL server, if it has one.
    async fn on_postgres(
        &self,
        owner: &ContractDocument,
        target: &str,
        opts: &CheckOptions,
    ) -> Option<Result<Foreign, String>> {
        let server = postgres_server(&owner.contract)?;
        let w = match Warehouse::connect(server, opts.timeout).await {
            Ok(w) => Arc::new(w),
            Err(e) => return Some(Err(e.to_string())),
        };
        let ir = lower_contract(owner);
        let plain = CheckOptions { filter: None, partitions: vec![], ..opts.clone() };
        let table = format!("other_{target}");
        let (_, located) = self.register_in_warehouse(&w, &table, target, server, ir.object(target), &plain).await;
        Some(
            located
                .map(|l| Foreign { table: l.table, schema: l.schema, warehouse: Some(w) })
                .map_err(|e| e.to_string()),
        )
    }

    /// `target` of `owner` read from its contract's files, when none of its servers is the
    /// warehouse `w` this run is on.
    async fn in_files(
        &self,
        w: &Warehouse,
        owner: &ContractDocument,
        target: &str,
        opts: &CheckOptions,
    ) -> Option<Result<Foreign, String>> {
        let here = |s: &&contrakt_core::odcs::Server| {
            SqlDialect::from_server_type(&s.server_type) == Some(w.dialect) && warehouse::address(s) == w.address
        };
        if owner.contract.servers.iter().any(|s| here(&s)) {
            return None;
        }
        let object = owner.contract.object(target)?;
        let src = dataset::locate(&owner.contract, object, None, None, &contract_dir(owner)).ok()?;
        let plain = CheckOptions { filter: None, partitions: vec![], ..opts.clone() };
        let located = self.register(&format!("other_{target}"), target, &src, None, &plain).await;
        Some(located.map(|l| Foreign { table: l.table, schema: l.schema, warehouse: None }).map_err(|e| e.to_string()))
    }
}

/// A contract's first PostgreSQL server.
fn postgres_server(contract: &Contract) -> Option<&contrakt_core::odcs::Server> {
    contract.servers.iter().find(|s| SqlDialect::from_server_type(&s.server_type) == Some(SqlDialect::Postgres))
}
