//! `breaking`: every contract of a registry compared with its version at a git reference or in
//! another folder (`contrakt breaking --against REF`, the `buf breaking` of data contracts), judged
//! with the registry's modes, rule selection and waivers; and the consumers it touches told.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use contrakt_alert::outbox::Delivered;
use contrakt_alert::preflight::{self, BreakingChange};
use contrakt_core::consumer::{self, Consumer};
use contrakt_core::diff::gate::{self, Compared, Policy, Report, Side};
use contrakt_core::diff::{self, Change, Directions, Mode, rules};
use contrakt_core::document::Document;
use contrakt_core::ir::lower_contract;
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::path::{FieldPath, Segment};
use contrakt_core::{Finding, Level, config, registry};

use crate::error::{Error, Result};
use crate::gate::default_mode;
pub use crate::git::Against;

/// How to judge the changes.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The compatibility mode for every contract; by default per contract from `contrakt.yaml`
    /// (`breaking.modes`, `compatibility`), else by the kind of schema.
    pub mode: Option<Mode>,
    /// Findings at or above this level fail the gate.
    pub fail_on: Level,
    /// Changes that touch a consumer's declared reads fail the gate whatever their level.
    pub strict_consumers: bool,
}

impl Options {
    fn policy(&self, mode: Mode) -> Policy {
        Policy { mode, fail_on: self.fail_on, strict_consumers: self.strict_consumers }
    }
}

/// The comparison: one report per contract (by id), then one for `contrakt.yaml` when some of
/// its waivers matched nothing.
#[derive(Debug)]
pub struct Breaking {
    pub reports: Vec<(String, Report)>,
    /// The contracts of the working side (the proposed versions).
    pub contracts: Vec<ContractDocument>,
    /// The consumers of both sides; the working side's version of a consumer wins.
    pub consumers: Vec<Consumer>,
}

impl Breaking {
    /// Every report passed the gate.
    pub fn passed(&self) -> bool {
        self.reports.iter().all(|(_, r)| r.passed)
    }

    /// Every report is compatible (no breaking change at all, whatever the levels).
    pub fn compatible(&self) -> bool {
        self.reports.iter().all(|(_, r)| r.compatible)
    }
}

/// Contracts and consumers of one side.
#[derive(Default)]
struct Loaded {
    contracts: Vec<ContractDocument>,
    consumers: Vec<Consumer>,
}

/// Compares the contracts at `paths` (files or folders) with their versions `against`.
/// `observe(done, total)` is told as each contract is compared. `Err` lists every file of
/// either side that cannot be read, located.
pub fn breaking(
    paths: &[PathBuf],
    against: &Against,
    options: &Options,
    observe: &mut dyn FnMut(usize, usize),
) -> Result<Breaking> {
    let mut errors: Vec<Finding> = Vec::new();
    let new = {
        let _s = tracing::info_span!("read", side = "new").entered();
        let found = registry::discover(paths)?;
        errors.extend(found.errors.iter().flat_map(|e| Finding::from_error(e, None)));
        load(found.contracts, found.consumers, &mut errors)
    };
    let old = {
        let _s = tracing::info_span!("read", side = "old", against = %against.label()).entered();
        let (contracts, consumers) = match against {
            Against::Folder(dir) => {
                let f = registry::discover(std::slice::from_ref(dir))?;
                errors.extend(f.errors.iter().flat_map(|e| Finding::from_error(e, None)));
                (f.contracts, f.consumers)
            }
            Against::Git { reference, subdir } => {
                let files = crate::git::read_files(reference, subdir.as_deref(), paths)
                    .map_err(|message| Error::Registry(vec![Finding::fatal("E114", "git-error", message)]))?;
                classify(files, &mut errors)
            }
        };
        load(contracts, consumers, &mut errors)
    };
    if !errors.is_empty() {
        return Err(Error::Registry(errors));
    }

    // Consumers from both sides; the working tree's version of a consumer wins.
    let mut consumers: BTreeMap<String, Consumer> = old.consumers.into_iter().map(|c| (c.id.clone(), c)).collect();
    consumers.extend(new.consumers.into_iter().map(|c| (c.id.clone(), c)));
    let consumers: Vec<Consumer> = consumers.into_values().collect();
    // With no consumer files at all, impact is unknown rather than empty: no consumer policy.
    let known = (!consumers.is_empty()).then_some(consumers.as_slice());
    let config = paths
        .iter()
        .find_map(|p| if p.is_dir() { Some(p.clone()) } else { registry::registry_root(p) })
        .map(|root| (root.join(config::FILE_NAME), root))
        .filter(|(p, _)| p.is_file())
        .and_then(|(p, root)| registry::read_within(&p, &root).and_then(config::load).ok());

    let _s = tracing::info_span!("gate", contracts = new.contracts.len()).entered();
    let mut reports: Vec<(String, Report)> = Vec::new();
    let old_by_id: BTreeMap<&str, &ContractDocument> =
        old.contracts.iter().map(|c| (c.contract.id.as_str(), c)).collect();
    let breaking_config = config.as_ref().map(|c| c.breaking.clone()).unwrap_or_default();
    let mode_for = |id: &str, file: &str, schema: &contrakt_core::ir::Schema| {
        options
            .mode
            .or_else(|| breaking_config.mode_for(id, file.trim_start_matches("./")).and_then(Mode::parse))
            .unwrap_or_else(|| default_mode(schema, config.as_ref()))
    };
    for (i, doc) in new.contracts.iter().enumerate() {
        let schema = lower_contract(doc);
        let mode = mode_for(&doc.contract.id, doc.source().name(), &schema);
        let policy = options.policy(mode);
        let new_side = Side::of_contract(doc);
        let report = match old_by_id.get(doc.contract.id.as_str()) {
            Some(before) => {
                let old_side = Side::of_contract(before);
                let changes = diff::diff(&lower_contract(before), &schema);
                gate::judge(vec![Compared { changes, old: &old_side, label: None }], &new_side, known, &policy)
            }
            None => {
                let changes = schema
                    .objects
                    .iter()
                    .map(|o| object_change(&rules::OBJECT_ADDED, &o.name, o.span, &doc.contract.id, true))
                    .collect();
                gate::judge(vec![Compared { changes, old: &Side::default(), label: None }], &new_side, known, &policy)
            }
        };
        reports.push((doc.contract.id.clone(), report));
        observe(i + 1, new.contracts.len());
    }
    for before in &old.contracts {
        if new.contracts.iter().any(|d| d.contract.id == before.contract.id) {
            continue;
        }
        let schema = lower_contract(before);
        let mode = mode_for(&before.contract.id, before.source().name(), &schema);
        let policy = options.policy(mode);
        let old_side = Side::of_contract(before);
        let changes = schema
            .objects
            .iter()
            .map(|o| object_change(&rules::OBJECT_REMOVED, &o.name, o.span, &before.contract.id, false))
            .collect();
        let new_side = Side { contract_id: Some(before.contract.id.clone()), ..Side::default() };
        reports.push((
            before.contract.id.clone(),
            gate::judge(vec![Compared { changes, old: &old_side, label: None }], &new_side, known, &policy),
        ));
    }
    drop(_s);

    // contrakt.yaml: rule selection and waivers, then waivers that matched nothing.
    let today = config::today();
    let mut used = Vec::new();
    for (id, report) in &mut reports {
        let policy = options.policy(report.mode);
        used.extend(gate::apply_config(report, id, &breaking_config, today, &policy));
    }
    let unused = gate::unused_waivers(&breaking_config, &used, options.mode.unwrap_or(Mode::Full));
    if !unused.is_empty() {
        let passed = unused.iter().all(|f| f.level < options.fail_on);
        let mode = options.mode.unwrap_or(Mode::Full);
        reports.push((
            config::FILE_NAME.to_string(),
            Report { mode, compatible: true, passed, findings: unused, consumers_known: false },
        ));
    }
    Ok(Breaking { reports, contracts: new.contracts, consumers })
}

/// What telling the consumers did.
#[derive(Debug, Clone)]
pub struct Told {
    /// Breaking changes that touch a consumer, alerts planned and deliveries queued.
    pub recorded: preflight::Notified,
    pub delivered: Delivered,
}

/// The breaking findings that touch consumers, told through the alert outbox of the registry
/// at `paths` (its `alerts:` settings), delivering for up to 30 seconds.
pub fn notify(breaking: &Breaking, paths: &[PathBuf], against: &Against) -> Result<Told> {
    let mut changes = Vec::new();
    for (id, report) in &breaking.reports {
        let Some(doc) = breaking.contracts.iter().find(|d| d.contract.id == *id) else { continue };
        // Breaking schema changes, and SLA or server changes (G rules), that touch consumers.
        for f in report.findings.iter().filter(|f| !f.affected_consumers.is_empty()) {
            let location = f
                .file
                .as_ref()
                .zip(f.span)
                .map(|(file, span)| format!("{}:{}", file.name(), file.location(span.start as usize)));
            changes.push(BreakingChange {
                contract: id.clone(),
                version: doc.contract.version.clone(),
                file: doc.source().name().to_string(),
                code: f.change.rule.code.to_string(),
                slug: f.change.rule.slug.to_string(),
                path: f.change.display_path.clone(),
                old: f.change.old.clone(),
                new: f.change.new.clone(),
                message: f.change.message.clone(),
                level: f.level,
                location,
                consumers: f.affected_consumers.clone(),
            });
        }
    }
    let mut loaded = contrakt_alert::run::load(paths, None, false)?;
    loaded.settings.stdout_to_stderr = true;
    let settings = &loaded.settings;
    let mut store = contrakt_alert::Store::open(&settings.state)?;
    let now = contrakt_alert::outbox::now_ms();
    let recorded = preflight::record(
        &changes,
        &against.label(),
        &breaking.contracts,
        &breaking.consumers,
        settings,
        &mut store,
        now,
    )?;
    let delivered = contrakt_alert::outbox::deliver(&mut store, settings, Duration::from_secs(30))?;
    Ok(Told { recorded, delivered })
}

/// A whole contract added or removed: one change per schema object.
fn object_change(
    rule: &'static rules::BreakingRule,
    object: &str,
    span: contrakt_core::Span,
    contract: &str,
    added: bool,
) -> Change {
    let breaks = if added { Directions::NONE } else { Directions { backward: false, forward: true } };
    let (verb, old, new) =
        if added { ("added", None, Some(object.to_string())) } else { ("removed", Some(object.to_string()), None) };
    Change {
        rule,
        path: FieldPath { segments: vec![Segment::Name(object.to_string())] },
        display_path: object.to_string(),
        old,
        new,
        breaks,
        message: format!("contract `{contract}` was {verb}, and with it schema object `{object}`"),
        old_span: (!added).then_some(span),
        new_span: added.then_some(span),
        level: None,
        hint: None,
    }
}

fn classify(files: Vec<(String, Vec<u8>)>, errors: &mut Vec<Finding>) -> (Vec<Document>, Vec<Document>) {
    let (mut contracts, mut consumers) = (Vec::new(), Vec::new());
    for (name, bytes) in files {
        match registry::source_from_bytes(name, bytes).and_then(Document::parse) {
            Ok(doc) if odcs::looks_like_contract(&doc.root) => contracts.push(doc),
            Ok(doc) if consumer::looks_like_consumer(&doc.root) => consumers.push(doc),
            Ok(_) => {}
            Err(e) => errors.extend(Finding::from_error(&e, None)),
        }
    }
    (contracts, consumers)
}

fn load(contracts: Vec<Document>, consumers: Vec<Document>, errors: &mut Vec<Finding>) -> Loaded {
    let mut reg = Loaded::default();
    for d in contracts {
        match odcs::load_document(d) {
            Ok(c) => reg.contracts.push(c),
            Err(e) => errors.extend(Finding::from_error(&e, None)),
        }
    }
    for d in consumers {
        match consumer::load_document(d) {
            Ok(c) => reg.consumers.push(c.consumer),
            Err(e) => errors.extend(Finding::from_error(&e, None)),
        }
    }
    reg
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn contract(dir: &Path, properties: &str) {
        std::fs::create_dir_all(dir).unwrap();
        let text = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: urn:t:orders\nversion: 1.0.0\nstatus: active\n\
             schema:\n  - name: orders\n    physicalType: table\n    properties:\n{properties}"
        );
        std::fs::write(dir.join("orders.odcs.yaml"), text).unwrap();
    }

    const OPTIONS: Options = Options { mode: None, fail_on: Level::Error, strict_consumers: false };

    #[test]
    fn a_removed_required_field_fails_the_gate_and_every_contract_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        let id = "      - {name: id, logicalType: integer, required: true}\n";
        contract(&old, &format!("{id}      - {{name: total, logicalType: number, required: true}}\n"));
        contract(&new, id);
        let mut seen = Vec::new();
        let compared = breaking(std::slice::from_ref(&new), &Against::Folder(old.clone()), &OPTIONS, &mut |d, t| {
            seen.push((d, t))
        })
        .unwrap();
        assert!(!compared.passed());
        assert_eq!(seen, [(1, 1)]);
        let (id, report) = &compared.reports[0];
        assert_eq!(id, "urn:t:orders");
        let codes: Vec<&str> = report.findings.iter().map(|f| f.change.rule.code).collect();
        assert!(codes.contains(&"F004"), "field-removed: {codes:?}");

        // The same contract on both sides breaks nothing.
        let same =
            breaking(std::slice::from_ref(&old), &Against::Folder(old.clone()), &OPTIONS, &mut |_, _| {}).unwrap();
        assert!(same.passed() && same.compatible() && same.reports[0].1.findings.is_empty());
    }

    #[test]
    fn unreadable_files_on_either_side_are_all_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
        std::fs::create_dir_all(&old).unwrap();
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(old.join("a.odcs.yaml"), "apiVersion: v3.1.0\nkind: DataContract\nid: [\n").unwrap();
        std::fs::write(new.join("b.odcs.yaml"), "apiVersion: v3.1.0\nkind: DataContract\nid: [\n").unwrap();
        let Err(Error::Registry(findings)) = breaking(&[new], &Against::Folder(old), &OPTIONS, &mut |_, _| {}) else {
            panic!("both sides were read")
        };
        assert_eq!(findings.len(), 2, "{findings:?}");
    }
}
