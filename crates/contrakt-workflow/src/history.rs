//! [`points`], [`events`] and [`annotate`]: the recorded metrics and publish events read back,
//! and expected events (a backfill, a holiday) marked so baselines leave them out. What
//! `contrakt history` runs; the faces format the rows.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use contrakt_history::{Location, Point, PublishEvent, Query, Store};

use crate::error::{Error, Result};

/// Where a store is when neither the caller nor `contrakt.yaml` names one.
pub const DEFAULT_STORE: &str = ".contrakt/history.db";

/// The store `explicit` names (a file or a `postgres://` URL), else `history:` of the
/// `contrakt.yaml` of the working directory, else [`DEFAULT_STORE`].
pub fn store_location(explicit: Option<&Path>) -> Location {
    explicit
        .map(Location::from_path)
        .or_else(|| crate::registry::history_store_at(&[PathBuf::from(".")]))
        .unwrap_or_else(|| Location::File(PathBuf::from(DEFAULT_STORE)))
}

/// Which rows to read back.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// A contract, by id or by its file.
    pub contract: Option<String>,
    pub object: Option<String>,
    pub metric: Option<String>,
    /// Only rows recorded at or after this time.
    pub since: Option<DateTime<Utc>>,
}

impl Filter {
    fn query(&self) -> Query {
        Query {
            contract: self.contract.as_deref().map(contract_id),
            object: self.object.clone(),
            metric: self.metric.clone(),
            since: self.since,
        }
    }
}

/// The metrics recorded in the store at `location`, oldest first.
pub fn points(location: &Location, filter: &Filter) -> Result<Vec<Point>> {
    Ok(open_existing(location)?.points(&filter.query())?)
}

/// The publishes, refusals and rollbacks recorded in the store at `location`, oldest first.
pub fn events(location: &Location, filter: &Filter) -> Result<Vec<PublishEvent>> {
    Ok(open_existing(location)?.events(&filter.query())?)
}

/// An expected event: the metrics of `contract` (optionally one object's, one metric's) from
/// `from` to `to` are shown as expected and left out of every baseline.
#[derive(Debug, Clone)]
pub struct Annotation {
    /// The contract, by id or by its file.
    pub contract: String,
    pub object: Option<String>,
    pub metric: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Why the values are expected.
    pub note: String,
}

/// Records `a` in the store at `location` (created if missing); returns its id and the
/// contract id it was recorded for.
pub fn annotate(location: &Location, a: &Annotation) -> Result<(i64, String)> {
    if a.to < a.from {
        return Err(Error::Usage("--to is before --from".into()));
    }
    let mut store = Store::open_at(location)?;
    let contract = contract_id(&a.contract);
    let id = store.annotate(&contract, a.object.as_deref(), a.metric.as_deref(), a.from, a.to, &a.note)?;
    Ok((id, contract))
}

/// A store to read: never created just to read it.
fn open_existing(location: &Location) -> Result<Store> {
    if let Location::File(path) = location
        && !path.exists()
    {
        return Err(Error::Usage(format!(
            "no history store at {} (run `contrakt check --history {0}` first)",
            path.display()
        )));
    }
    Ok(Store::open_read_only_at(location)?)
}

/// A contract file names its contract by id; anything else is an id.
fn contract_id(s: &str) -> String {
    let path = Path::new(s);
    if path.is_file()
        && let Ok(doc) = contrakt_core::registry::read_source(path).and_then(contrakt_core::odcs::load)
    {
        return doc.contract.id;
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_annotation_names_the_contract_of_a_file_and_a_missing_store_is_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let store = Location::File(dir.path().join("h.db"));
        let missing = points(&store, &Filter::default());
        assert!(matches!(missing, Err(Error::Usage(m)) if m.starts_with("no history store at")));
        assert!(!dir.path().join("h.db").exists());

        let orders = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts/orders.odcs.yaml");
        let day = crate::check::parse_time("2026-11-01").unwrap();
        let a = Annotation {
            contract: orders.display().to_string(),
            object: None,
            metric: None,
            from: day,
            to: day + chrono::Duration::days(1),
            note: "backfill".into(),
        };
        let (_, contract) = annotate(&store, &a).unwrap();
        assert_eq!(contract, "urn:contrakt:meal-kit:orders");
        let backwards = Annotation { to: day - chrono::Duration::days(1), ..a };
        assert!(matches!(annotate(&store, &backwards), Err(Error::Usage(_))));
        assert!(points(&store, &Filter::default()).unwrap().is_empty(), "an annotation is no metric");
    }
}
