//! `contrakt breaking [PATHS] --against REF`: the `buf breaking` of data contracts.

use std::collections::BTreeMap;
use std::time::Instant;

use contrakt_core::consumer::{self, Consumer};
use contrakt_core::diff::gate::{self, Compared, Report, Side};
use contrakt_core::diff::{self, Change, Directions, rules};
use contrakt_core::document::Document;
use contrakt_core::ir::lower_contract;
use contrakt_core::odcs::{self, ContractDocument};
use contrakt_core::path::{FieldPath, Segment};
use contrakt_core::{Error, Finding, config, registry};
use contrakt_report::{TextOptions, diff_to_json, diff_to_markdown, diff_to_text, github_annotations};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{BreakingArgs, DiffFormat};
use crate::commands::diff::fatal;
use crate::commands::print;
use crate::gitref::{self, Against};
use contrakt_workflow::gate::default_mode;

/// Contracts and consumers of one side.
#[derive(Default)]
struct Registry {
    contracts: Vec<ContractDocument>,
    consumers: Vec<Consumer>,
}

pub(crate) fn run(args: BreakingArgs, color: bool) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let against = Against::parse(&args.against);
    let mut errors: Vec<Finding> = Vec::new();

    let new = {
        let _s = tracing::info_span!("read", side = "new").entered();
        match registry::discover(&args.paths) {
            Ok(found) => {
                errors.extend(found.errors.iter().flat_map(|e| Finding::from_error(e, None)));
                load(found.contracts, found.consumers, &mut errors)
            }
            Err(e) => return Ok(fatal(&Finding::from_error(&e, None), args.gate.format, color)),
        }
    };
    let old = {
        let _s = tracing::info_span!("read", side = "old", against = %against.label()).entered();
        let docs = match &against {
            Against::Folder(dir) => registry::discover(std::slice::from_ref(dir)).map(|f| {
                errors.extend(f.errors.iter().flat_map(|e| Finding::from_error(e, None)));
                (f.contracts, f.consumers)
            }),
            Against::Git { reference, subdir } => match gitref::read_files(reference, subdir.as_deref(), &args.paths) {
                Ok(files) => Ok(classify(files, &mut errors)),
                Err(message) => {
                    return Ok(fatal(&[Finding::fatal("E114", "git-error", message)], args.gate.format, color));
                }
            },
        };
        match docs {
            Ok((contracts, consumers)) => load(contracts, consumers, &mut errors),
            Err(e) => return Ok(fatal(&Finding::from_error(&e, None), args.gate.format, color)),
        }
    };
    if !errors.is_empty() {
        return Ok(fatal(&errors, args.gate.format, color));
    }

    // Consumers from both sides; the working tree's version of a consumer wins.
    let mut consumers: BTreeMap<String, Consumer> = old.consumers.into_iter().map(|c| (c.id.clone(), c)).collect();
    consumers.extend(new.consumers.into_iter().map(|c| (c.id.clone(), c)));
    let consumers: Vec<Consumer> = consumers.into_values().collect();
    // With no consumer files at all, impact is unknown rather than empty: no consumer policy.
    let known = (!consumers.is_empty()).then_some(consumers.as_slice());
    let config = args
        .paths
        .iter()
        .find_map(|p| if p.is_dir() { Some(p.clone()) } else { registry::registry_root(p) })
        .map(|root| (root.join(config::FILE_NAME), root))
        .filter(|(p, _)| p.is_file())
        .and_then(|(p, root)| registry::read_within(&p, &root).and_then(config::load).ok());

    let _s = tracing::info_span!("gate", contracts = new.contracts.len()).entered();
    let progress = crate::progress::bar(new.contracts.len() as u64, "comparing contracts");
    let mut reports: Vec<(String, Report)> = Vec::new();
    let old_by_id: BTreeMap<&str, &ContractDocument> =
        old.contracts.iter().map(|c| (c.contract.id.as_str(), c)).collect();
    let breaking_config = config.as_ref().map(|c| c.breaking.clone()).unwrap_or_default();
    let mode_for = |id: &str, file: &str, schema: &contrakt_core::ir::Schema| {
        args.gate
            .mode
            .or_else(|| breaking_config.mode_for(id, file.trim_start_matches("./")).and_then(diff::Mode::parse))
            .unwrap_or_else(|| default_mode(schema, config.as_ref()))
    };
    for doc in &new.contracts {
        let schema = lower_contract(doc);
        let mode = mode_for(&doc.contract.id, doc.source().name(), &schema);
        let policy = args.gate.policy(mode);
        let new_side = side(doc);
        let report = match old_by_id.get(doc.contract.id.as_str()) {
            Some(before) => {
                let old_side = side(before);
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
        progress.inc(1);
    }
    progress.finish_and_clear();
    for before in &old.contracts {
        if new.contracts.iter().any(|d| d.contract.id == before.contract.id) {
            continue;
        }
        let schema = lower_contract(before);
        let mode = mode_for(&before.contract.id, before.source().name(), &schema);
        let policy = args.gate.policy(mode);
        let old_side = side(before);
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
        let policy = args.gate.policy(report.mode);
        used.extend(gate::apply_config(report, id, &breaking_config, today, &policy));
    }
    let unused = gate::unused_waivers(&breaking_config, &used, args.gate.mode.unwrap_or(diff::Mode::Full));
    if !unused.is_empty() {
        let passed = unused.iter().all(|f| f.level < args.gate.fail_on.level());
        let mode = args.gate.mode.unwrap_or(diff::Mode::Full);
        reports.push((
            config::FILE_NAME.to_string(),
            Report { mode, compatible: true, passed, findings: unused, consumers_known: false },
        ));
    }

    let passed = reports.iter().all(|(_, r)| r.passed);
    let text = render(&reports, &args, &against, color, started);
    print(&text, color);
    if args.notify {
        notify(&reports, &new.contracts, &consumers, &args.paths, &against, color);
    }
    Ok(if passed || args.gate.exit_zero { ExitStatus::Success } else { ExitStatus::Failure })
}

/// `--notify`: the breaking findings that touch consumers, told through the alert outbox. A
/// failure to notify is reported on stderr and leaves the gate's verdict as it is.
fn notify(
    reports: &[(String, Report)],
    contracts: &[ContractDocument],
    consumers: &[Consumer],
    paths: &[std::path::PathBuf],
    against: &Against,
    color: bool,
) {
    use contrakt_alert::preflight::{self, BreakingChange};
    let mut changes = Vec::new();
    for (id, report) in reports {
        let Some(doc) = contracts.iter().find(|d| d.contract.id == *id) else { continue };
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
    let result = crate::commands::alerts::load(paths, None, false).and_then(|mut loaded| {
        loaded.settings.stdout_to_stderr = true;
        let settings = &loaded.settings;
        let mut store = contrakt_alert::Store::open(&settings.state)?;
        let now = contrakt_alert::outbox::now_ms();
        let n = preflight::record(&changes, &against.label(), contracts, consumers, settings, &mut store, now)?;
        let d = contrakt_alert::outbox::deliver(&mut store, settings, std::time::Duration::from_secs(30))?;
        Ok(format!(
            "notify: {} breaking changes touch consumers: {} alerts, {} deliveries queued; delivered {}, failed attempts {}, given up {}, still pending {}\n",
            n.changes, n.alerts, n.queued, d.delivered, d.retried, d.dead, d.pending
        ))
    });
    match result {
        Ok(summary) => eprint!("{summary}"),
        Err(e) => {
            crate::commands::alerts::fail(&e, color);
        }
    }
}

pub(crate) fn side(doc: &ContractDocument) -> Side {
    Side::of_contract(doc)
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

fn load(contracts: Vec<Document>, consumers: Vec<Document>, errors: &mut Vec<Finding>) -> Registry {
    let mut reg = Registry::default();
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

fn render(
    reports: &[(String, Report)],
    args: &BreakingArgs,
    against: &Against,
    color: bool,
    started: Instant,
) -> String {
    let passed = reports.iter().all(|(_, r)| r.passed);
    let compatible = reports.iter().all(|(_, r)| r.compatible);
    match args.gate.format {
        DiffFormat::Json => {
            let mut findings = Vec::new();
            for (id, r) in reports {
                let json = diff_to_json(r);
                for mut f in json["findings"].as_array().cloned().unwrap_or_default() {
                    f["contract"] = json!(id);
                    f["mode"] = json!(r.mode.as_str());
                    findings.push(f);
                }
            }
            let count = |l: &str| findings.iter().filter(|f| f["level"] == l).count();
            let out = json!({
                "version": contrakt_report::JSON_SCHEMA_VERSION,
                "command": "breaking",
                "against": against.label(),
                "mode": args.gate.mode.map(|m| m.as_str()),
                "compatible": compatible,
                "passed": passed,
                "summary": {
                    "contracts": reports.len(),
                    "errors": count("error"), "warnings": count("warning"), "infos": count("info"),
                    "breaking": findings.iter().filter(|f| f["breaking"] == true).count(),
                },
                "findings": findings,
            });
            format!("{out:#}\n")
        }
        DiffFormat::Github => reports.iter().map(|(_, r)| github_annotations(r)).collect(),
        DiffFormat::Sarif => {
            let all: Vec<(&str, &Report)> = reports.iter().map(|(id, r)| (id.as_str(), r)).collect();
            format!("{:#}\n", contrakt_report::diff_to_sarif(&all))
        }
        DiffFormat::Junit => {
            let all: Vec<(&str, &Report)> = reports.iter().map(|(id, r)| (id.as_str(), r)).collect();
            contrakt_report::diff_to_junit(&all, args.gate.fail_on.level())
        }
        DiffFormat::Markdown => {
            let mut out = String::new();
            let changed: Vec<&(String, Report)> = reports.iter().filter(|(_, r)| !r.findings.is_empty()).collect();
            let icon = if passed { "✅" } else { "❌" };
            out.push_str(&format!(
                "## {icon} contrakt breaking against `{}`\n\n{} contract(s) checked, {} changed; gate {}.\n\n",
                against.label(),
                reports.len(),
                changed.len(),
                if passed { "passed" } else { "failed" }
            ));
            for (id, r) in changed {
                out.push_str(&diff_to_markdown(r, &format!("`{id}`")));
                out.push('\n');
            }
            out
        }
        DiffFormat::Text => {
            let mut out = String::new();
            for (id, r) in reports.iter().filter(|(_, r)| !r.findings.is_empty()) {
                out.push_str(&format!("── {id} ──\n"));
                out.push_str(&diff_to_text(r, TextOptions { color }));
                out.push('\n');
            }
            let breaking: usize = reports.iter().map(|(_, r)| r.findings.iter().filter(|f| f.breaking).count()).sum();
            out.push_str(&format!(
                "Checked {} contract(s) against {}: {breaking} breaking change(s); gate {} ({} ms).\n",
                reports.len(),
                against.label(),
                if passed { "passed" } else { "failed" },
                started.elapsed().as_millis()
            ));
            out
        }
    }
}
