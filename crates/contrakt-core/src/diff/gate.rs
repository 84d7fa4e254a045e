//! From changes to a gate verdict: levels under the mode, consumer impact, version policy.

use std::sync::Arc;

use super::rules::{BREAKING_WITHOUT_MAJOR, MAJOR_WITHOUT_BREAKING, WAIVER_EXPIRED, WAIVER_UNUSED};
use super::{Change, Directions, Mode};
use crate::consumer::Consumer;
use crate::diagnostic::Level;
use crate::document::Node;
use crate::odcs::ContractDocument;
use crate::path::FieldPath;
use crate::source::{SourceFile, Span};

/// How the gate judges findings.
#[derive(Debug, Clone)]
pub struct Policy {
    pub mode: Mode,
    /// Lowest level that fails the gate.
    pub fail_on: Level,
    /// Keep breaking findings that touch no registered consumer at their level.
    pub strict_consumers: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { mode: Mode::Full, fail_on: Level::Error, strict_consumers: false }
    }
}

/// One side of a comparison: the file a change points into, and the contract's identity.
#[derive(Debug, Clone, Default)]
pub struct Side {
    pub file: Option<Arc<SourceFile>>,
    /// The contract's ODCS `id`, to find its consumers.
    pub contract_id: Option<String>,
    pub version: Option<String>,
    /// Span of the `version` value, for version-policy findings.
    pub version_span: Option<Span>,
    /// The whole ODCS document, for the contract-level changes (SLA, servers, status, team).
    pub document: Option<Arc<Node>>,
}

impl Side {
    /// The side of an ODCS contract.
    pub fn of_contract(doc: &ContractDocument) -> Side {
        Side {
            file: Some(doc.source().clone()),
            contract_id: Some(doc.contract.id.clone()),
            version: Some(doc.contract.version.clone()),
            version_span: doc.document.root.get("version").map(|n| n.span),
            document: Some(Arc::new(doc.document.root.clone())),
        }
    }
}

/// A change as the gate reports it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub change: Change,
    pub level: Level,
    /// Breaks a direction the mode checks (before consumer policy).
    pub breaking: bool,
    /// Consumers whose reads it breaks.
    pub affected_consumers: Vec<String>,
    /// Consumers pinned to versions the new one leaves: told a new major version is coming.
    pub moving_consumers: Vec<String>,
    /// The file and span it points at.
    pub file: Option<Arc<SourceFile>>,
    pub span: Option<Span>,
    /// For transitive modes: the version this change was found against, when not the last.
    pub against: Option<String>,
}

/// The gate's verdict over one pair (or history) of schemas.
#[derive(Debug, Clone)]
pub struct Report {
    pub mode: Mode,
    /// The schema-level verdict under the mode, before consumer policy and waivers.
    pub compatible: bool,
    /// The gate's verdict: what the exit code follows.
    pub passed: bool,
    pub findings: Vec<Finding>,
    /// Whether a consumer registry was consulted (otherwise impact is unknown, not empty).
    pub consumers_known: bool,
}

/// A comparison against one earlier version.
pub struct Compared<'a> {
    pub changes: Vec<Change>,
    pub old: &'a Side,
    /// `Some(label)` when this is an older version of a transitive check.
    pub label: Option<String>,
}

/// Judges the changes: levels, consumer impact and version policy. `consumers` are the
/// registry's consumers (all of them; those using other contracts are ignored). `None` means
/// no registry is known, so no consumer policy applies.
pub fn judge(compared: Vec<Compared<'_>>, new: &Side, consumers: Option<&[Consumer]>, policy: &Policy) -> Report {
    let mode = policy.mode;
    let new_version = new.version.as_deref().and_then(parse_version);
    let uses: Vec<(&Consumer, &crate::consumer::Use)> = consumers
        .unwrap_or_default()
        .iter()
        .flat_map(|c| c.uses.iter().filter(|u| Some(&u.contract) == new.contract_id.as_ref()).map(move |u| (c, u)))
        .collect();
    let mut findings: Vec<Finding> = Vec::new();
    let mut old_version = None;
    for cmp in compared {
        let mut changes = cmp.changes;
        if cmp.label.is_none() {
            old_version = cmp.old.version.as_deref().and_then(parse_version);
            if let (Some(old), Some(new)) = (&cmp.old.document, &new.document) {
                // The version is the version policy's (V001/V002), not a change to report.
                changes.extend(super::contract::changes(old, new).into_iter().filter(|c| c.display_path != "version"));
            }
        }
        for change in changes {
            let breaking = change.is_breaking(mode);
            if cmp.label.is_some() && !breaking {
                continue; // older versions only matter for what they break
            }
            if findings.iter().any(|f| {
                f.change.rule.code == change.rule.code
                    && f.change.path == change.path
                    && f.change.display_path == change.display_path
            }) {
                continue; // the same change against several versions is reported once
            }
            let mut level = change.level_under(mode);
            let (mut affected, mut moving) = (Vec::new(), Vec::new());
            if breaking && change.breaks.forward {
                for (c, u) in &uses {
                    if !touches(&change, u) {
                        continue;
                    }
                    let pinned_away = match (&u.versions, &new_version) {
                        (Some(range), Some(v)) => semver::VersionReq::parse(range).is_ok_and(|r| !r.matches(v)),
                        _ => false,
                    };
                    let list = if pinned_away { &mut moving } else { &mut affected };
                    if !list.contains(&c.id) {
                        list.push(c.id.clone());
                    }
                }
                if consumers.is_some() && affected.is_empty() && !policy.strict_consumers && level == Level::Error {
                    level = Level::Warning;
                }
            } else if let Some(relied) = contract_level_reliance(&change) {
                // SLA and server changes: the consumers who rely on the promise or read from the
                // server; nobody relying on it lowers the level as for schema changes.
                for (c, u) in &uses {
                    let hit = match relied {
                        Reliance::Sla(p) => u.relies_on.sla.iter().any(|s| same_sla(s, p)),
                        Reliance::Everyone => true,
                    };
                    if hit && !affected.contains(&c.id) {
                        affected.push(c.id.clone());
                    }
                }
                if consumers.is_some() && affected.is_empty() && !policy.strict_consumers && level == Level::Error {
                    level = Level::Warning;
                }
            }
            let (file, span) = if change.new_span.is_some()
                && change.rule.code != "F004"
                && change.rule.code != "F005"
                && change.rule.code != "S001"
            {
                (new.file.clone(), change.new_span)
            } else {
                (cmp.old.file.clone(), change.old_span)
            };
            findings.push(Finding {
                change,
                level,
                breaking,
                affected_consumers: affected,
                moving_consumers: moving,
                file,
                span,
                against: cmp.label.clone(),
            });
        }
    }
    let compatible = findings.iter().all(|f| !f.breaking);
    if let (Some(old), Some(new_v)) = (old_version, new_version.clone()) {
        let rule = if !compatible && new_v.major <= old.major && !(old.major == 0 && new_v.minor > old.minor) {
            Some(&BREAKING_WITHOUT_MAJOR)
        } else if compatible && new_v.major > old.major {
            Some(&MAJOR_WITHOUT_BREAKING)
        } else {
            None
        };
        if let Some(rule) = rule {
            let message = if std::ptr::eq(rule, &BREAKING_WITHOUT_MAJOR) {
                format!(
                    "breaking changes under {mode} need a new major version, but the version went from {old} to {new_v}"
                )
            } else {
                format!("the major version went from {old} to {new_v} although no change breaks under {mode}")
            };
            let change = Change {
                rule,
                path: FieldPath { segments: Vec::new() },
                display_path: "version".into(),
                old: Some(old.to_string()),
                new: Some(new_v.to_string()),
                breaks: Directions::NONE,
                message,
                old_span: None,
                new_span: new.version_span,
                level: None,
                hint: None,
            };
            let level = change.level_under(mode);
            findings.push(Finding {
                change,
                level,
                breaking: false,
                affected_consumers: Vec::new(),
                moving_consumers: Vec::new(),
                file: new.file.clone(),
                span: new.version_span,
                against: None,
            });
        }
    }
    let passed = findings.iter().all(|f| f.level < policy.fail_on);
    Report { mode, compatible, passed, findings, consumers_known: consumers.is_some() }
}

/// Whom a contract-level change concerns.
enum Reliance<'a> {
    /// Consumers whose `relies_on.sla` names this SLA property.
    Sla(&'a str),
    /// Every consumer of the contract (they read from its servers).
    Everyone,
}

fn contract_level_reliance(change: &Change) -> Option<Reliance<'_>> {
    match change.rule.code {
        "G001" | "G002" => change.display_path.strip_prefix("slaProperties.").map(Reliance::Sla),
        // An SLA change contrakt cannot order may be a weakening.
        "G003" if change.level == Some(Level::Warning) => {
            change.display_path.strip_prefix("slaProperties.").map(Reliance::Sla)
        }
        "G004" => Some(Reliance::Everyone),
        _ => None,
    }
}

/// `latency` and `freshness` name the same promise (ODCS calls it latency; most people say freshness).
fn same_sla(a: &str, b: &str) -> bool {
    let canon = |s: &str| match s.to_ascii_lowercase().as_str() {
        "freshness" => "latency".to_string(),
        other => other.to_string(),
    };
    canon(a) == canon(b)
}

/// A change touches a consumer's use when its path overlaps one of the paths it reads.
fn touches(change: &Change, usage: &crate::consumer::Use) -> bool {
    usage.reads.iter().filter_map(|r| FieldPath::parse(r).ok()).any(|r| r.overlaps(&change.path))
}

/// Semver, tolerating a leading `v` and two-part versions (`1.2`).
pub fn parse_version(s: &str) -> Option<semver::Version> {
    let s = s.trim().trim_start_matches('v');
    semver::Version::parse(s).ok().or_else(|| semver::Version::parse(&format!("{s}.0")).ok())
}

/// Applies `contrakt.yaml`'s rule selection and waivers to a contract's report. Waived
/// findings drop to info with the waiver's reason; expired and unused waivers become findings.
/// Returns the indexes of the waivers that matched.
pub fn apply_config(
    report: &mut Report,
    contract_id: &str,
    config: &crate::config::BreakingConfig,
    today: i64,
    policy: &Policy,
) -> Vec<usize> {
    // Version policy is kept unless excepted by name: a `use` list of schema rules keeps it.
    let excepted = |f: &Finding| {
        config
            .except
            .iter()
            .any(|e| e.eq_ignore_ascii_case(f.change.rule.code) || e.eq_ignore_ascii_case(f.change.rule.slug))
    };
    report.findings.retain(|f| {
        selects(config, f.change.rule.code, f.change.rule.slug) || (f.change.rule.code.starts_with('V') && !excepted(f))
    });
    let mut used = Vec::new();
    let mut extra = Vec::new();
    for (i, w) in config.waivers.iter().enumerate() {
        if w.contract.as_deref().is_some_and(|c| c != contract_id) {
            continue;
        }
        let rule_matches = |f: &Finding| {
            f.change.rule.code.eq_ignore_ascii_case(&w.rule) || f.change.rule.slug.eq_ignore_ascii_case(&w.rule)
        };
        let path_matches = |f: &Finding| match &w.path {
            None => true,
            Some(p) => {
                FieldPath::parse(p).is_ok_and(|p| f.change.path.segments.starts_with(&p.segments))
                    || f.change.display_path.starts_with(p.as_str())
            }
        };
        let expired = crate::config::parse_date(&w.until).is_none_or(|d| d < today);
        let mut matched = false;
        for f in report.findings.iter_mut().filter(|f| rule_matches(f) && path_matches(f)) {
            matched = true;
            if !expired {
                f.level = Level::Info;
                f.change.hint = Some(format!("waived until {}: {}", w.until, w.reason));
            }
        }
        if matched {
            used.push(i);
            if expired {
                let message = if crate::config::parse_date(&w.until).is_none() {
                    format!("waiver for {} has an invalid `until` date `{}` (write YYYY-MM-DD)", w.rule, w.until)
                } else {
                    format!(
                        "waiver for {} on {} expired on {} (reason: {})",
                        w.rule,
                        w.path.as_deref().unwrap_or(contract_id),
                        w.until,
                        w.reason
                    )
                };
                extra.push(config_finding(&WAIVER_EXPIRED, message, report.mode));
            }
        }
    }
    report.findings.extend(extra);
    report.compatible = report.findings.iter().all(|f| !f.breaking);
    report.passed = report.findings.iter().all(|f| f.level < policy.fail_on);
    used
}

/// Does the `breaking` section's selection (`use`, `except`: codes, slugs, categories, buf's
/// names) keep this rule?
pub fn selects(config: &crate::config::BreakingConfig, code: &str, slug: &str) -> bool {
    let rule = crate::diff::rules::find(code);
    let category = rule.map(|r| r.category());
    let matches = |sel: &String| {
        // buf's categories and rule names select the rules that make those checks.
        if let Some(hit) = rule.and_then(|r| r.buf_selects(sel)) {
            return hit;
        }
        if let Some(c) = crate::diff::rules::Category::parse(sel) {
            return category.is_some_and(|r| c.includes(r));
        }
        let sel = sel.strip_prefix("CK-").unwrap_or(sel);
        code.eq_ignore_ascii_case(sel) || slug.eq_ignore_ascii_case(sel) || (!sel.is_empty() && code.starts_with(sel))
    };
    (config.use_rules.is_empty() || config.use_rules.iter().any(matches)) && !config.except.iter().any(matches)
}

/// Warnings for waivers that matched no finding in any contract of the run.
pub fn unused_waivers(config: &crate::config::BreakingConfig, used: &[usize], mode: Mode) -> Vec<Finding> {
    config
        .waivers
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i))
        .map(|(_, w)| {
            let message = format!(
                "waiver for {} on {} matches no finding; remove it",
                w.rule,
                w.path.as_deref().or(w.contract.as_deref()).unwrap_or("all contracts")
            );
            config_finding(&WAIVER_UNUSED, message, mode)
        })
        .collect()
}

fn config_finding(rule: &'static super::BreakingRule, message: String, mode: Mode) -> Finding {
    let change = Change {
        rule,
        path: FieldPath { segments: Vec::new() },
        display_path: "contrakt.yaml".into(),
        old: None,
        new: None,
        breaks: Directions::NONE,
        message,
        old_span: None,
        new_span: None,
        level: Some(rule.level),
        hint: None,
    };
    let level = change.level_under(mode);
    Finding {
        change,
        level,
        breaking: false,
        affected_consumers: Vec::new(),
        moving_consumers: Vec::new(),
        file: None,
        span: None,
        against: None,
    }
}

#[cfg(test)]
mod tests {
    use super::selects;

    #[test]
    fn rule_selection() {
        let c = crate::config::BreakingConfig {
            use_rules: vec!["F".into(), "type-widened".into()],
            except: vec!["F007".into()],
            ..Default::default()
        };
        assert!(selects(&c, "F004", "field-removed"));
        assert!(selects(&c, "T001", "type-widened"));
        assert!(!selects(&c, "F007", "field-reordered"));
        assert!(!selects(&c, "T003", "type-narrowed"));
        let wire = crate::config::BreakingConfig { use_rules: vec!["wire".into()], ..Default::default() };
        assert!(selects(&wire, "F004", "field-removed") && selects(&wire, "T003", "type-narrowed"));
        // Nested: excepting SEMANTIC drops every schema rule, but not the POLICY ones.
        let none = crate::config::BreakingConfig { except: vec!["SEMANTIC".into()], ..Default::default() };
        assert!(!selects(&none, "F004", "field-removed") && selects(&none, "V001", "breaking-without-major-bump"));
        assert!(!selects(&wire, "K001", "primary-key-removed") && !selects(&wire, "D003", "default-changed"));
        let schema = crate::config::BreakingConfig { use_rules: vec!["SCHEMA".into()], ..Default::default() };
        assert!(selects(&schema, "K001", "primary-key-removed") && selects(&schema, "F004", "field-removed"));
        assert!(!selects(&schema, "M001", "description-changed"));
        // buf's categories and rule names: "what buf's WIRE_JSON checks", and no more.
        let wire_json = crate::config::BreakingConfig { use_rules: vec!["WIRE_JSON".into()], ..Default::default() };
        assert!(selects(&wire_json, "P007", "proto-field-json-name-changed"));
        assert!(selects(&wire_json, "P010", "proto-field-type-json-incompatible"));
        assert!(
            !selects(&wire_json, "P011", "proto-field-type-changed") && !selects(&wire_json, "F004", "field-removed")
        );
        let buf_wire = crate::config::BreakingConfig {
            use_rules: vec!["buf:WIRE".into()],
            except: vec!["P012".into()],
            ..Default::default()
        };
        assert!(selects(&buf_wire, "P009", "proto-field-type-wire-incompatible"));
        assert!(!selects(&buf_wire, "P010", "proto-field-type-json-incompatible") && !selects(&buf_wire, "P012", "x"));
        let by_name = crate::config::BreakingConfig { except: vec!["FIELD_NO_DELETE".into()], ..Default::default() };
        assert!(!selects(&by_name, "P001", "proto-field-deleted-unreserved") && selects(&by_name, "P003", "x"));
    }
}
