//! contrakt: data-contract enforcement for ODCS v3 contracts.
//!
//! This facade re-exports the stable public API of the crates below it: the contract model
//! ([`core`]), the report renderers ([`report`]) and the workflows the `contrakt` command line
//! and the Python package run ([`workflow`]), so a pipeline gets what they get with
//! `cargo add contrakt`.
//!
//! # Check data against a contract
//!
//! [`Registry::open`] reads a contract (or a folder of them) and the registry it sits in, once;
//! [`check()`] runs its checks on the data and returns one typed report per contract. Failed
//! checks are results: decide what stops the pipeline.
//!
//! ```
//! use contrakt::workflow::check::{History, Options};
//! use contrakt::{Registry, check};
//!
//! let registry = Registry::open("contracts/orders.odcs.yaml")?;
//! let mut options = Options::new();
//! // Relative data paths resolve against the contract's folder (or `options.check.data_dir`).
//! options.check.data.push((Some("orders".into()), "../fixtures/data/orders/orders.parquet".into()));
//! options.check.now = contrakt::workflow::check::parse_time("2026-11-22T06:00:00Z");
//! options.history = History::Off;
//! let checked = check(&registry, options)?;
//! assert!(checked.failed.is_empty(), "{:?}", checked.failed);
//!
//! let report = &checked.reports[0];
//! assert_eq!(report.contract, "urn:contrakt:meal-kit:orders");
//! // The example data carries known violations (fixtures/data/README.md).
//! assert!(!report.passed && report.summary.failed > 0);
//! # Ok::<(), contrakt::workflow::Error>(())
//! ```
//!
//! With [`History::At`](workflow::History) (or `history:` in the registry's `contrakt.yaml`)
//! each run is recorded and the contract's adaptive checks (Q601) are judged against the runs
//! before it; with [`Alerting::Notify`](workflow::Alerting) failures open incidents and are sent
//! over the registry's alert routes, as `contrakt run` does:
//!
//! ```
//! use contrakt::workflow::check::{Alerts, Alerting, History, Options};
//! use contrakt::{Location, Registry, check};
//!
//! let dir = tempfile::tempdir()?;
//! let registry = Registry::open("contracts/orders.odcs.yaml")?;
//! let run = || {
//!     let mut options = Options::new();
//!     options.check.data.push((Some("orders".into()), "../fixtures/data/orders/orders.parquet".into()));
//!     options.check.now = contrakt::workflow::check::parse_time("2026-11-22T06:00:00Z");
//!     options.history = History::At(Location::File(dir.path().join("history.db")));
//!     options.alerts = Alerting::DryRun;
//!     check(&registry, options)
//! };
//! let checked = run()?;
//! assert!(dir.path().join("history.db").is_file(), "the run is recorded");
//! match checked.alerts {
//!     // A dry run plans the alerts the failures call for; it sends and records nothing.
//!     Some(Ok(Alerts::Planned { plans, .. })) => assert!(!plans.is_empty()),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Gate a schema change
//!
//! [`workflow::gate`] judges a new version of a schema (any format contrakt reads) against the
//! old one, with the settings of the registry the new one sits in:
//!
//! ```
//! use contrakt::workflow::gate::{GateOptions, gate, load, load_contract_text};
//!
//! let old = load("contracts/orders.odcs.yaml".as_ref(), None)?;
//! let text = std::fs::read_to_string("contracts/orders.odcs.yaml")?;
//! // The new version as text (here: the same contract, so nothing breaks).
//! let new = load_contract_text("orders.odcs.yaml", &text)?;
//! let options = GateOptions { mode: None, consumers: None, strict_consumers: false, fail_on: contrakt::Level::Error };
//! let report = gate(&old, &new, &[], "contracts/orders.odcs.yaml".as_ref(), &options)?;
//! assert!(report.passed, "an unchanged contract breaks nothing");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`workflow::breaking`] does the same for every contract of a registry against its versions
//! at a git reference or in another folder:
//!
//! ```
//! use contrakt::workflow::breaking::{Against, Options, breaking};
//!
//! let options = Options { mode: None, fail_on: contrakt::Level::Error, strict_consumers: false };
//! let against = Against::parse("contracts");
//! let compared = breaking(&["contracts".into()], &against, &options, &mut |_, _| {})?;
//! assert!(compared.passed() && compared.reports.len() >= 5);
//! # Ok::<(), contrakt::workflow::Error>(())
//! ```
//!
//! # Publish only data that passes
//!
//! [`workflow::publish`](mod@workflow::publish) audits staged data against its contract and, only if it passes, makes
//! it the release readers of a folder (or `s3://` prefix) get; a refusal is a result:
//!
//! ```
//! use contrakt::workflow::publish::{Options, Outcome, RollbackOptions, publish, rollback};
//! use contrakt::workflow::{History, Registry};
//!
//! let dir = tempfile::tempdir()?;
//! let to = dir.path().join("deliveries");
//! let registry = Registry::open("contracts/deliveries.odcs.yaml")?;
//! let staged = |kind: &str| {
//!     let mut options = Options::new(format!("fixtures/data/staged/deliveries-{kind}"), &to);
//!     options.now = contrakt::workflow::check::parse_time("2026-11-22T06:00:00Z");
//!     options.history = History::Off;
//!     options
//! };
//! let refused = publish(&registry, staged("broken"))?;
//! assert!(matches!(refused.outcome, Outcome::Refused { serving: None, .. }));
//! assert!(refused.report.summary.failed > 0, "the audit's report says why");
//!
//! let first = publish(&registry, staged("fixed"))?;
//! let second = publish(&registry, staged("fixed"))?;
//! assert!(first.published() && second.published());
//! // Readers go back to the first release.
//! let back = rollback(&to, RollbackOptions { history: History::Off, ..Default::default() })?;
//! assert!(matches!(first.outcome, Outcome::Published { current, .. } if current == back.pointer.current));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Lint a registry
//!
//! [`workflow::lint`] reads contracts and consumer files and reports what makes them wrong or
//! unsafe to use, with the registry's `lint:` settings:
//!
//! ```
//! use contrakt::workflow::lint::{Options, lint};
//!
//! let linted = lint(&["contracts".into()], &Options::default())?;
//! assert!(linted.files >= 5 && !linted.fatal());
//! for finding in linted.findings.iter().filter(|f| f.level >= linted.fail_on) {
//!     println!("{}: {}", finding.code, finding.message);
//! }
//! # Ok::<(), contrakt::workflow::Error>(())
//! ```
//!
//! # Import and export schemas
//!
//! [`workflow::convert`] drafts a contract from a producer's schema, and writes a contract's
//! schema in another language:
//!
//! ```
//! use contrakt::workflow::convert::{ImportOptions, Target, export, import};
//!
//! let exported = export("contracts/orders.odcs.yaml".as_ref(), Target::Avro, Some("orders"))?;
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("orders.avsc"), &exported.content)?;
//! let options = ImportOptions { id: Some("urn:example:orders".into()), ..ImportOptions::default() };
//! let imported = import(&dir.path().join("orders.avsc"), &options)?;
//! assert!(imported.to_yaml().contains("id: urn:example:orders"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Read the history back, and write the registry's site
//!
//! [`workflow::history`] reads back what checks and publishes recorded and marks expected
//! events; [`workflow::report`] writes the registry as a static site, with the history's charts
//! and each contract's breaking changes by commit:
//!
//! ```
//! use contrakt::workflow::check::{History, Options};
//! use contrakt::workflow::history::{self, Filter};
//! use contrakt::workflow::{Location, Registry, check, report};
//!
//! let dir = tempfile::tempdir()?;
//! let store = dir.path().join("history.db");
//! let mut options = Options::new();
//! options.check.data.push((Some("orders".into()), "../fixtures/data/orders/orders.parquet".into()));
//! options.check.now = contrakt::workflow::check::parse_time("2026-11-22T06:00:00Z");
//! options.history = History::At(Location::File(store.clone()));
//! check(&Registry::open("contracts/orders.odcs.yaml")?, options)?;
//!
//! let filter = Filter { contract: Some("urn:contrakt:meal-kit:orders".into()), ..Filter::default() };
//! let points = history::points(&Location::File(store.clone()), &filter)?;
//! assert!(points.iter().any(|p| p.metric == "rowCount"));
//!
//! let mut site = report::Options::new(dir.path().join("site"));
//! site.history = Some(store);
//! let written = report::report(&["contracts".into()], &site)?;
//! assert!(written.index.is_file() && written.contracts >= 5);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Route a report's failures
//!
//! [`workflow::alerts`] routes check reports (as `contrakt check --format json` writes them) to
//! the owners and consumers of what failed, over the registry's `alerts:` settings, and reads
//! the alert state back:
//!
//! ```
//! use contrakt::workflow::alerts::{Routes, incidents, parse_report};
//! use contrakt::workflow::check::{Alerting, Alerts};
//!
//! let report = r#"{"contract": "urn:contrakt:meal-kit:orders", "contract_version": "1.0.0",
//!   "file": "contracts/orders.odcs.yaml", "now": "2026-11-22T06:00:00Z",
//!   "results": [{"id": "orders.order_id.not_null", "code": "Q201", "kind": "not_null",
//!     "object": "orders", "property": "order_id", "status": "fail", "severity": "error",
//!     "message": "2 rows are null"}]}"#;
//! let runs = parse_report("report.json", report)?;
//! let dir = tempfile::tempdir()?;
//! let state = dir.path().join("alerts.db");
//! let routes = Routes::open(&["contracts".into()], Some(&state))?;
//! // A dry run plans who would hear of it, and sends and records nothing.
//! let Alerts::Planned { plans, .. } = routes.route(&runs, 1_795_000_000_000, Alerting::DryRun)? else {
//!     unreachable!("a dry run plans")
//! };
//! assert!(plans.iter().any(|p| !p.alerts.is_empty()));
//! assert!(incidents(&["contracts".into()], Some(&state))?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Draft a contract from data
//!
//! [`workflow::infer`] profiles datasets in one scan each and writes down every promise that
//! held on them:
//!
//! ```
//! use contrakt::workflow::infer::{Options, infer};
//!
//! let options = Options {
//!     data: vec!["menu=fixtures/data/weekly_menu/weekly_menu.parquet".into()],
//!     id: Some("urn:example:menu".into()),
//!     sample: None,
//!     now: contrakt::workflow::check::parse_time("2026-11-22").ok_or("not a time")?,
//!     cwd: ".".into(),
//!     contract_dir: "contracts".into(),
//!     as_of: None,
//! };
//! let drafted = infer(options, &mut |_| {})?;
//! assert!(drafted.yaml.contains("id: urn:example:menu") && drafted.objects == 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `examples/check_batch.rs` checks an Arrow `RecordBatch` held in memory and stops on failure.

pub use contrakt_core as core;
pub use contrakt_core::{Error, Finding, Level, Result};
pub use contrakt_report as report;
pub use contrakt_workflow as workflow;
pub use contrakt_workflow::{Location, Registry, check};
