//! [`Registry`]: the contracts a workflow runs on, with the registry around them (its other
//! contracts, its consumers and its `contrakt.yaml`), read once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use contrakt_alert::Settings;
use contrakt_core::Finding;
use contrakt_core::config::{self, Config};
use contrakt_core::consumer::{self, Consumer};
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::registry::{self as discovery, Discovery};
use contrakt_history::Location;

use crate::error::{Error, Result};

/// The contracts named (files or folders) and the registry they sit in.
///
/// A contract file's registry is the nearest folder above it holding `contrakt.yaml`; its other
/// contracts resolve references (`relationships` into their objects), its consumers and the
/// `alerts:` section route alerts, and `history:` names where checks are recorded.
#[derive(Debug)]
pub struct Registry {
    /// The paths as named: alert settings default to the first one's folder.
    paths: Vec<PathBuf>,
    /// The contracts named, in discovery order.
    contracts: Vec<Arc<ContractDocument>>,
    /// Every contract the registry holds: the named ones, then the rest of their registries.
    all: Vec<Arc<ContractDocument>>,
    /// The consumers named and those of the registries around the files named.
    consumers: Vec<Consumer>,
    /// Consumers that could not be read: only the workflows that need consumers fail on them.
    consumer_errors: Vec<Finding>,
    /// Why `contrakt.yaml` could not be read, when reading it was left to the workflows that
    /// need it ([`Registry::of_contract`]).
    config_errors: Vec<Finding>,
    /// The first `contrakt.yaml` found: at a named folder's root or above a named file.
    config: Option<(PathBuf, Config)>,
    /// Registry roots above the files named.
    roots: Vec<PathBuf>,
}

impl Registry {
    /// Opens the contracts at `path` (a contract file or a folder of them) and their registry.
    ///
    /// `Err` lists every file that cannot be read as a contract (each error located in its
    /// file), or says that `path` holds no contract.
    pub fn open(path: impl AsRef<Path>) -> Result<Registry> {
        Registry::open_all(&[path.as_ref().to_path_buf()])
    }

    /// [`Registry::open`] over several paths, as `contrakt check A B` names them.
    pub fn open_all(paths: &[PathBuf]) -> Result<Registry> {
        let found = {
            let _s = tracing::info_span!("discover", paths = paths.len()).entered();
            discovery::discover(paths)?
        };
        let Discovery { contracts: named, consumers, config, errors, roots, .. } = found;
        let mut problems: Vec<Finding> = errors.iter().flat_map(|e| Finding::from_error(e, None)).collect();
        let mut contracts = Vec::new();
        for d in named {
            match odcs::load_document(d) {
                Ok(doc) => contracts.push(Arc::new(doc)),
                Err(e) => problems.extend(Finding::from_error(&e, None)),
            }
        }
        if !problems.is_empty() {
            return Err(Error::Registry(problems));
        }
        if contracts.is_empty() {
            return Err(Error::NoContracts(paths.to_vec()));
        }
        let mut registry = Registry {
            paths: paths.to_vec(),
            all: contracts.clone(),
            contracts,
            consumers: Vec::new(),
            consumer_errors: Vec::new(),
            config_errors: Vec::new(),
            config,
            roots,
        };
        for d in consumers {
            registry.add_consumer(d);
        }
        registry.read_around();
        Ok(registry)
    }

    /// A registry of one contract already loaded (from text, or read by the caller). With the
    /// `file` it was read from, the registry around that file comes too, as [`Registry::open`]
    /// reads it; but an unreadable `contrakt.yaml` fails only the workflows that need it (the
    /// alerts), as the contract itself was read without it.
    pub fn of_contract(doc: ContractDocument, file: Option<&Path>) -> Registry {
        let root = file.and_then(discovery::registry_root);
        let mut config_errors = Vec::new();
        let config = root.as_ref().and_then(|root| {
            let path = root.join(config::FILE_NAME);
            match discovery::read_within(&path, root).and_then(config::load) {
                Ok(config) => Some((path, config)),
                Err(e) => {
                    config_errors = Finding::from_error(&e, None);
                    None
                }
            }
        });
        let doc = Arc::new(doc);
        let mut registry = Registry {
            paths: file.map(|f| vec![f.to_path_buf()]).unwrap_or_default(),
            all: vec![Arc::clone(&doc)],
            contracts: vec![doc],
            consumers: Vec::new(),
            consumer_errors: Vec::new(),
            config_errors,
            config,
            roots: root.into_iter().collect(),
        };
        registry.read_around();
        registry
    }

    /// The rest of the registries the named files sit in: their contracts (for references;
    /// one that cannot be read is left out, as linting it says why) and consumers.
    fn read_around(&mut self) {
        if self.roots.is_empty() {
            return;
        }
        let Ok(around) = discovery::discover(&self.roots) else { return };
        for d in around.contracts {
            if let Ok(doc) = odcs::load_document(d)
                && !self.all.iter().any(|c| c.contract.id == doc.contract.id)
            {
                self.all.push(Arc::new(doc));
            }
        }
        for d in around.consumers {
            self.add_consumer(d);
        }
    }

    fn add_consumer(&mut self, d: contrakt_core::document::Document) {
        match consumer::load_document(d) {
            Ok(c) if !self.consumers.iter().any(|k| k.id == c.consumer.id) => self.consumers.push(c.consumer),
            Ok(_) => {}
            Err(e) => self.consumer_errors.extend(Finding::from_error(&e, None)),
        }
    }

    /// The contracts named, in the order they were found.
    pub fn contracts(&self) -> &[Arc<ContractDocument>] {
        &self.contracts
    }

    /// The contracts the registry holds other than `id`: what references out of `id` resolve
    /// against.
    pub fn others(&self, id: &str) -> Vec<Arc<ContractDocument>> {
        self.all.iter().filter(|c| c.contract.id != id).cloned().collect()
    }

    /// The consumers of the registry. `Err` when a consumer file cannot be read.
    pub fn consumers(&self) -> Result<&[Consumer]> {
        if self.consumer_errors.is_empty() {
            Ok(&self.consumers)
        } else {
            Err(Error::Registry(self.consumer_errors.clone()))
        }
    }

    /// The registry's `contrakt.yaml` (its path and content), if it has one.
    pub fn config(&self) -> Option<(&Path, &Config)> {
        self.config.as_ref().map(|(p, c)| (p.as_path(), c))
    }

    /// Where `history:` of the registry's `contrakt.yaml` keeps check metrics: a file relative to
    /// the registry root, or a PostgreSQL URL (with `password-env`). Only registries above
    /// contract files are consulted, as `contrakt check FILE` does.
    pub fn history_store(&self) -> Option<Location> {
        history_store_at(&self.roots)
    }

    /// The `alerts:` settings of the registry's `contrakt.yaml` (the defaults without one),
    /// resolved against its folder; `Err` is located in the file.
    pub fn alert_settings(&self) -> Result<Settings> {
        if !self.config_errors.is_empty() {
            return Err(Error::Registry(self.config_errors.clone()));
        }
        let settings = match &self.config {
            Some((path, config)) => {
                let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let source = discovery::read_source(path)?;
                contrakt_alert::resolve(&config.alerts, &root, Some(&source))?
            }
            None => {
                let root = self.paths.first().map_or_else(
                    || PathBuf::from("."),
                    |p| if p.is_dir() { p.clone() } else { p.parent().map(Path::to_path_buf).unwrap_or_default() },
                );
                contrakt_alert::resolve(&Default::default(), &root, None)?
            }
        };
        Ok(settings)
    }

    /// The paths the registry was opened with.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }
}

/// The history store named by `history:` in the `contrakt.yaml` of the first of `roots` that
/// has one: a file (relative to that root) or a PostgreSQL URL with its `password-env`.
pub fn history_store_at(roots: &[PathBuf]) -> Option<Location> {
    roots.iter().find_map(|root| {
        let file = root.join(config::FILE_NAME);
        let config = discovery::read_within(&file, root).and_then(config::load).ok()?;
        let h = config.history?;
        match Location::parse(&h.path) {
            // contrakt.yaml may come from a pull request: its store stays inside the registry.
            Location::File(path) => match discovery::path_within(root, &path) {
                Ok(inside) => Some(Location::File(inside)),
                Err(why) => {
                    eprintln!("warning: history.path in {}: {why}; no history is kept", file.display());
                    None
                }
            },
            server => {
                // The server is contrakt.yaml's, which a pull request can change: a password from
                // this job's environment (`password-env`, else PGPASSWORD) goes only to a host the
                // operator allows, as for a contract's warehouse.
                let env = h.password_env.clone().unwrap_or_else(|| "PGPASSWORD".into());
                // A password written in the URL is contrakt.yaml's own, not this job's.
                let has_password = contrakt_core::redact::has_password(&h.path);
                let allow = std::env::var(contrakt_check::dataset::ALLOW_ENDPOINTS_ENV).unwrap_or_default();
                if !has_password
                    && std::env::var_os(&env).is_some()
                    && !contrakt_check::dataset::endpoint_allowed(&h.path, &allow)
                {
                    eprintln!(
                        "warning: history.path in {} names a PostgreSQL server that {} does not allow; {env} is not sent to a server chosen by contrakt.yaml, and no history is kept (allow its host:port, or give --history)",
                        file.display(),
                        contrakt_check::dataset::ALLOW_ENDPOINTS_ENV
                    );
                    return None;
                }
                Some(server.with_password_env(h.password_env))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTRACT: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:t:a\nversion: 1.0.0\nstatus: active\n";

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_file_brings_its_registry_contracts_consumers_and_history_store() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "contrakt.yaml", "version: 1\nconsumers: consumers/\nhistory: {path: h.db}\n");
        let a = write(root, "a.odcs.yaml", CONTRACT);
        write(root, "b.odcs.yaml", &CONTRACT.replace("urn:t:a", "urn:t:b"));
        std::fs::create_dir(root.join("consumers")).unwrap();
        write(
            &root.join("consumers"),
            "c.yaml",
            "apiVersion: contrakt/v1\nkind: Consumer\nid: c\nteam: t\nuses:\n  - contract: urn:t:a\n",
        );
        let registry = Registry::open(&a).unwrap();
        let ids: Vec<&str> = registry.contracts().iter().map(|c| c.contract.id.as_str()).collect();
        assert_eq!(ids, ["urn:t:a"], "only the named contract is checked");
        let others: Vec<String> = registry.others("urn:t:a").iter().map(|c| c.contract.id.clone()).collect();
        assert_eq!(others, ["urn:t:b"], "the rest of the registry resolves references");
        let consumers = registry.consumers().unwrap();
        assert_eq!(consumers.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c"]);
        let root = discovery::registry_root(&a).unwrap();
        assert_eq!(registry.history_store(), Some(Location::File(root.join("h.db"))));
    }

    #[test]
    fn every_unreadable_contract_is_reported_located() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.odcs.yaml", &format!("{CONTRACT}schema: 3\n"));
        write(dir.path(), "b.odcs.yaml", "apiVersion: v3.1.0\nkind: DataContract\nid: [\n");
        let Err(Error::Registry(findings)) = Registry::open(dir.path()) else { panic!("not a registry error") };
        let files: Vec<&str> = findings.iter().filter_map(|f| f.file_name()).collect();
        assert!(files.iter().any(|f| f.ends_with("a.odcs.yaml")), "{files:?}");
        assert!(files.iter().any(|f| f.ends_with("b.odcs.yaml")), "{files:?}");
        assert!(findings.iter().all(|f| f.location().is_some()), "each points at its line");
    }

    #[test]
    fn a_folder_without_contracts_or_a_missing_path_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let Err(Error::NoContracts(paths)) = Registry::open(dir.path()) else { panic!("contracts found") };
        assert_eq!(paths, [dir.path().to_path_buf()]);
        let missing = dir.path().join("nope.odcs.yaml");
        match Registry::open(&missing) {
            Err(Error::Io { path, source }) => {
                assert_eq!((path, source.kind()), (missing, std::io::ErrorKind::NotFound));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_broken_consumer_fails_only_what_needs_consumers() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a.odcs.yaml", CONTRACT);
        write(dir.path(), "c.yaml", "apiVersion: contrakt/v1\nkind: Consumer\nid: c\nuses: 3\n");
        let registry = Registry::open(dir.path()).unwrap();
        assert_eq!(registry.contracts().len(), 1);
        let Err(Error::Registry(findings)) = registry.consumers() else { panic!("the consumer was read") };
        assert!(findings[0].file_name().is_some_and(|f| f.ends_with("c.yaml")), "{findings:?}");
        drop(a);
    }

    #[test]
    fn a_contract_loaded_by_the_caller_defers_an_unreadable_config_to_the_alerts() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "contrakt.yaml", "version: 1\nalerts: {min-backof: 1s}\n");
        let a = write(dir.path(), "a.odcs.yaml", CONTRACT);
        let doc = odcs::load(discovery::read_source(&a).unwrap()).unwrap();
        let registry = Registry::of_contract(doc, Some(&a));
        assert_eq!(registry.contracts().len(), 1);
        let Err(Error::Registry(findings)) = registry.alert_settings() else { panic!("the settings were read") };
        assert!(findings[0].message.contains("min-backof"), "{findings:?}");
        // Opened by path, as the command line does, the registry is refused at once.
        assert!(matches!(Registry::open(&a), Err(Error::Registry(_))));
    }
}
