//! Conformance with datacontract-cli's ODCS corpora in `tests/conformance/datacontract-cli/`
//! (see its `SOURCE.md` and `expectations.yaml`):
//!
//! - `odcs-breaking-pr1482`: the ODCS breaking-change detection of datacontract-cli PR #1482.
//!   Two contract pairs with an exit code and rolled-up severity counts, and five rule-level
//!   `unit_rules` entries (path, change, old/new value, level, rule id), each turned here into
//!   the smallest ODCS pair that makes exactly that change.
//! - `odcs-changelog`: the `changelog` command (a report, no verdict). The integration pair is
//!   checked against every change of `golden_changelog_text.txt` (its paths and values, e.g.
//!   `encryptedName` and the "lenghty" descriptions, exist only in the integration pair, although
//!   `expectations.yaml` files the golden under the `unit` case); the unit pair against the
//!   changes upstream `tests/test_changelog_engine.py::TestDiffFixtures` asserts at `f8059d9…`
//!   and the `# changed` / `# added` annotations of `changelog_unit_v2.yaml` (transcribed in
//!   [`UNIT_PAIR_CHANGES`], as `expectations.yaml` has nothing for that pair).
//! - Not applicable: `legacy-dcs-breaking` (Data Contract Specification 1.2.1, not ODCS; it
//!   needs a DCS→ODCS mapping first) and `schema-evolution` (data checks on files, not diffs).
//!   Their datacontract-cli rule ids are still mapped onto our rules through `aliases`.
//!
//! **Mode.** datacontract-cli calls a change an *error* ("breaking, non-zero exit") when it
//! removes something consumers read (field-removed, schema-removed: our FORWARD) *or* tightens
//! what old data must satisfy (required false→true, unique added, bounds tightened, type
//! changed: our BACKWARD). That is contrakt's FULL, the default for table contracts (design
//! §10.6). Their loosenings (required true→false, unique removed, bounds relaxed) are *info*,
//! where FULL says they break today's readers (FORWARD): listed in the allowlist.
//!
//! Rows: the breaking verdict (primary: `conformance-allowlist.yaml`, section
//! `datacontract-cli-odcs`, must stay true); rule + location of the `unit_rules` entries (rule
//! ids read through `aliases`); changelog entries (location + added/removed/updated) inside the
//! schema, and outside it (the contract-level G rules: SLA, servers, team, metadata); rolled-up severity
//! counts. Secondary rows have committed minimums. Run with `--nocapture` to see the table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use contrakt_core::SourceFile;
use contrakt_core::diagnostic::Level;
use contrakt_core::diff::{Change, Mode, contract, diff};
use contrakt_core::document::{Document, Node};
use contrakt_core::ir::{Schema, lower_contract};
use contrakt_core::path::Segment;
use serde_json::{Value, json};

use crate::conformance::{Tally, allowlist, check_allowlist, corpus, yaml};

/// The mode that corresponds to datacontract-cli's "error" (see the module docs).
const MODE: Mode = Mode::Full;

/// Committed agreement: the test fails if a number drops below these.
const VERDICTS: usize = 6;
const RULES: usize = 4;
const SCHEMA_ENTRIES: usize = 16;
const CONTRACT_ENTRIES: usize = 16;
const SEVERITY_COUNTS: usize = 0;

/// The unit pair's expected changes: (location, change). Schema-level ones from upstream
/// `TestDiffFixtures` (customers added, customer_id removed, the `domain` and `pii` custom
/// properties, the `row_count` and `positive` quality rules) and the v2 annotations; the
/// contract-level ones (outside `schema`) from `TestDiffFixtures` and
/// `TestDiffFixturesPriceDescriptionScalars`.
const UNIT_PAIR_CHANGES: &[(&str, &str)] = &[
    ("schema.customers", "added"),
    ("schema.orders.properties.customer_id", "removed"),
    ("schema.orders.customProperties.domain", "updated"),
    ("schema.orders.quality.row_count", "updated"),
    ("schema.orders.properties.order_id.description", "updated"),
    ("schema.orders.properties.order_date.logicalType", "updated"),
    ("schema.orders.properties.total_amount.required", "updated"),
    ("schema.orders.properties.total_amount.quality.positive", "updated"),
    ("schema.orders.properties.total_amount.customProperties.pii", "updated"),
    ("schema.orders.properties.region", "added"),
    ("slaProperties.availability", "updated"),
    ("servers.production.roles.writer", "removed"),
    ("roles.viewer", "added"),
    ("support.email", "added"),
    ("customProperties.classification", "updated"),
    ("team.members.bob.role", "updated"),
    ("team.members.carol", "added"),
    ("price.priceAmount", "updated"),
    ("description.purpose", "updated"),
    ("description.customProperties.sensitivity", "updated"),
    ("version", "updated"),
    ("name", "updated"),
    ("status", "updated"),
    ("domain", "updated"),
];

fn dir() -> std::path::PathBuf {
    corpus("datacontract-cli")
}

fn lower_text(name: &str, text: String) -> Schema {
    let doc =
        contrakt_core::odcs::load(SourceFile::new(name.to_string(), text)).unwrap_or_else(|e| panic!("{name}: {e}"));
    lower_contract(&doc)
}

/// The document tree, for the contract-level changes.
fn root_file(rel: &str) -> Node {
    let path = dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Document::parse(SourceFile::new(rel.to_string(), text)).unwrap_or_else(|e| panic!("{rel}: {e}")).root
}

fn lower_file(rel: &str) -> Schema {
    let path = dir().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    lower_text(rel, text)
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// A change as datacontract-cli locates it: `schema.<object>.properties.<field>…` plus the
/// attribute that changed, and whether the element was added, removed or updated.
fn their_location(c: &Change) -> (String, &'static str) {
    let mut path = String::from("schema");
    for (i, seg) in c.path.segments.iter().enumerate() {
        match seg {
            Segment::Name(n) if i == 0 => path.push_str(&format!(".{n}")),
            Segment::Name(n) => path.push_str(&format!(".properties.{n}")),
            Segment::Items => path.push_str(".items"),
            Segment::MapValues => path.push_str(".map.value"),
            Segment::Wildcard => path.push_str(".*"),
        }
    }
    let kind = match (&c.old, &c.new) {
        (None, Some(_)) => "added",
        (Some(_), None) => "removed",
        _ => "updated",
    };
    // Contract-level rules carry the document path already (`slaProperties.latency`).
    if c.rule.code.starts_with('G') {
        return (c.display_path.clone(), kind);
    }
    // M002 and M005 carry `key: value` / `key {thresholds}`, or the bare key.
    let key = |sep: &str| {
        c.old.as_deref().or(c.new.as_deref()).and_then(|v| v.split(sep).next()).unwrap_or_default().trim().to_string()
    };
    let (suffix, kind) = match c.rule.code {
        "S001" | "F004" | "F005" => (String::new(), "removed"),
        "S002" | "F001" | "F002" | "F003" => (String::new(), "added"),
        "F006" => (".name".into(), "updated"),
        "N001" | "N002" | "N003" | "N004" => (".required".into(), "updated"),
        "M001" => (".description".into(), kind),
        "M002" if c.old.as_deref().is_some_and(|o| o.starts_with('[')) => (".tags".into(), "updated"),
        "M002" => (format!(".customProperties.{}", key(":")), kind),
        "M003" => (".classification".into(), kind),
        "M004" => (".physicalName".into(), "updated"),
        "M005" => (format!(".quality.{}", key(" {")), kind),
        "K001" | "K003" | "K005" => (".primaryKey".into(), "updated"),
        "K002" | "K004" => (".unique".into(), "updated"),
        "K006" => (".partitioned".into(), "updated"),
        code if code.starts_with('T') => (".logicalType".into(), "updated"),
        code if code.starts_with('E') => (".enum".into(), "updated"),
        code if code.starts_with('C') => (".logicalTypeOptions".into(), "updated"),
        code if code.starts_with('D') => (".customProperties.default".into(), kind),
        _ => (String::new(), kind),
    };
    (path + &suffix, kind)
}

/// Expected paths name the leaf that changed; ours name the element: a quality rule's
/// threshold (`….row_count.mustBeGreaterThan`) and a keyed list item's `.value` are trimmed.
fn normalise(path: &str) -> String {
    let mut p = path.to_string();
    if let Some((head, last)) = p.rsplit_once('.')
        && (last == "value" || last.starts_with("mustBe") || last.starts_with("mustNotBe"))
        && head.contains('.')
    {
        p = head.to_string();
    }
    p
}

/// Size of the multiset intersection.
fn matched(expected: &[(String, String)], ours: &[(String, String)]) -> usize {
    let mut counts: BTreeMap<&(String, String), usize> = BTreeMap::new();
    for e in expected {
        *counts.entry(e).or_default() += 1;
    }
    ours.iter().filter(|o| counts.get_mut(o).filter(|c| **c > 0).map(|c| *c -= 1).is_some()).count()
}

fn show(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            let (at, kind) = their_location(c);
            format!(
                "    {} {} {kind} at {at} breaks {:?} ({})",
                c.rule.code,
                c.rule.slug,
                c.breaks.names(),
                c.level_under(MODE).as_str()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- odcs-breaking-pr1482 ----

/// A value as the changelog prints it (`'False'`, `'true'`, `string`) back into YAML.
fn scalar(v: &str) -> Value {
    match v.to_ascii_lowercase().as_str() {
        "true" => json!(true),
        "false" => json!(false),
        _ => json!(v),
    }
}

/// The smallest contract with `path` set to `value` (`None`: absent). Paths are
/// `schema.<object>.properties.<field>[.<attribute>]` or contract-level keys (`description.purpose`).
fn contract_with(path: &str, value: Option<&str>) -> String {
    let mut c = json!({
        "apiVersion": "v3.0.2", "kind": "DataContract", "id": "unit-rules", "version": "1.0.0", "status": "active",
        "schema": [{"name": "orders", "physicalName": "orders_tbl", "properties": [
            {"name": "order_id", "logicalType": "string", "required": true}
        ]}]
    });
    let seg: Vec<&str> = path.split('.').collect();
    if seg.len() >= 4 && seg[0] == "schema" && seg[2] == "properties" {
        let props = c["schema"][0]["properties"].as_array_mut().expect("properties");
        let (field, attr) = (seg[3], seg.get(4).copied());
        if attr.is_none() && value.is_none() {
            props.retain(|p| p["name"] != field);
            return c.to_string();
        }
        if !props.iter().any(|p| p["name"] == field) {
            props.push(json!({"name": field, "logicalType": "string"}));
        }
        let p = props.iter_mut().find(|p| p["name"] == field).expect("just added");
        if let Some(attr) = attr {
            match value {
                Some(v) => p[attr] = scalar(v),
                None => {
                    p.as_object_mut().map(|o| o.remove(attr));
                }
            }
        }
    } else if let Some(v) = value {
        let mut node = &mut c;
        for (i, k) in seg.iter().enumerate() {
            if i + 1 == seg.len() {
                node[*k] = scalar(v);
            } else {
                if node.get(*k).is_none() {
                    node[*k] = json!({});
                }
                node = &mut node[*k];
            }
        }
    }
    c.to_string()
}

fn run_pr1482(verdicts: &mut Tally, rules: &mut Tally, severities: &mut Tally, ids: &mut BTreeSet<String>) {
    let root = yaml(&dir().join("expectations.yaml"));
    let cases = root.pointer("/odcs_breaking_pr1482/cases").and_then(Value::as_array).expect("pr1482 cases");
    for case in cases {
        let name = s(case, "case");
        if let Some(entries) = case.get("entries").and_then(Value::as_array) {
            for (i, e) in entries.iter().enumerate() {
                let id = format!("pr1482/{name}#{i}");
                ids.insert(id.clone());
                let (path, kind, rule, level) = (s(e, "path"), s(e, "type"), s(e, "rule"), s(e, "level"));
                let old_value = (kind != "added").then(|| e.get("old").and_then(Value::as_str).unwrap_or("string"));
                let new_value = (kind != "removed").then(|| s(e, "new"));
                let old = lower_text("v1.yaml", contract_with(path, old_value));
                let new = lower_text("v2.yaml", contract_with(path, new_value));
                let changes = diff(&old, &new);
                let ours = changes.iter().any(|c| c.is_breaking(MODE));
                let detail = || {
                    format!(
                        "  {kind} {path} ({:?} → {:?}): datacontract-cli {rule} {level}\n  contrakt ({MODE}): breaking={ours}\n{}",
                        old_value,
                        new_value,
                        show(&changes)
                    )
                };
                verdicts.count(&id, ours == (level == "error"), detail);
                let hit =
                    changes.iter().any(|c| c.rule.aliases.contains(&rule) && their_location(c).0.starts_with(path));
                rules.count(&id, hit, detail);
            }
            continue;
        }
        let id = format!("pr1482/{name}");
        ids.insert(id.clone());
        let (old, new) = (lower_file(s(case, "v1")), lower_file(s(case, "v2")));
        let changes = diff(&old, &new);
        let ours = changes.iter().any(|c| c.is_breaking(MODE));
        let expected = case.get("is_breaking").and_then(Value::as_bool).expect("is_breaking");
        // Rolled up as datacontract-cli's summary: one entry per added/removed object, per
        // top-level property, at the highest level of its details.
        let mut summary: BTreeMap<String, Level> = BTreeMap::new();
        for c in &changes {
            let (at, _) = their_location(c);
            let parts: Vec<&str> = at.split('.').collect();
            let key =
                if parts.len() >= 4 && parts[2] == "properties" { parts[..4].join(".") } else { parts[..2].join(".") };
            let level = c.level_under(MODE);
            summary.entry(key).and_modify(|l| *l = (*l).max(level)).or_insert(level);
        }
        let count = |l: Level| summary.values().filter(|x| **x == l).count();
        let ours_line = [(Level::Error, "Error"), (Level::Warning, "Warning"), (Level::Info, "Info")]
            .iter()
            .filter(|(l, _)| count(*l) > 0)
            .map(|(l, n)| format!("[ {} {n} ]", count(*l)))
            .collect::<Vec<_>>()
            .join("  ");
        let detail = || {
            format!(
                "  datacontract-cli: exit {} {}\n  contrakt ({MODE}): breaking={ours} {ours_line}\n{}",
                case.get("exit_code").and_then(Value::as_i64).unwrap_or(-1),
                s(case, "summary_line"),
                show(&changes)
            )
        };
        verdicts.count(&id, ours == expected, detail);
        severities.count(&id, ours_line == s(case, "summary_line"), detail);
    }
}

// ---- odcs-changelog ----

/// The changes of a golden changelog's Details table: (path, change), without the rows under an
/// added or removed element (its attributes) and without wrapped continuation lines.
fn golden_changes(text: &str) -> Vec<(String, String)> {
    let details = text.split("Details").nth(1).unwrap_or_default();
    let mut rows: Vec<(String, String)> = Vec::new();
    for line in details.lines() {
        let cells: Vec<&str> = line.split('│').map(str::trim).collect();
        if cells.len() < 3 || !matches!(cells[1], "Added" | "Removed" | "Updated") {
            continue;
        }
        rows.push((cells[2].to_string(), cells[1].to_ascii_lowercase()));
    }
    let whole: Vec<String> = rows.iter().filter(|(_, k)| k != "updated").map(|(p, _)| p.clone()).collect();
    rows.into_iter()
        .filter(|(p, _)| {
            !whole.iter().any(|w| p.len() > w.len() && p.starts_with(w.as_str()) && p[w.len()..].starts_with('.'))
        })
        .collect()
}

fn run_changelog(schema: &mut Tally, contract: &mut Tally, cases: &mut Vec<(String, String)>) {
    let pairs = [
        (
            "changelog/integration",
            "odcs-changelog/integration/changelog_integration_v1.yaml",
            "odcs-changelog/integration/changelog_integration_v2.yaml",
            golden_changes(
                &std::fs::read_to_string(dir().join("odcs-changelog/golden_changelog_text.txt")).expect("golden"),
            ),
        ),
        (
            "changelog/unit",
            "odcs-changelog/unit/changelog_unit_v1.yaml",
            "odcs-changelog/unit/changelog_unit_v2.yaml",
            UNIT_PAIR_CHANGES.iter().map(|(p, k)| (p.to_string(), k.to_string())).collect(),
        ),
    ];
    for (id, v1, v2, expected) in pairs {
        let mut changes = diff(&lower_file(v1), &lower_file(v2));
        changes.extend(contract::changes(&root_file(v1), &root_file(v2)));
        let ours: Vec<(String, String)> = changes
            .iter()
            .map(|c| {
                let (p, k) = their_location(c);
                (normalise(&p), k.to_string())
            })
            .collect();
        let expected: Vec<(String, String)> = expected.into_iter().map(|(p, k)| (normalise(&p), k)).collect();
        let (in_schema, outside): (Vec<_>, Vec<_>) = expected.into_iter().partition(|(p, _)| p.starts_with("schema."));
        let hits = matched(&in_schema, &ours);
        schema.total += in_schema.len();
        schema.agree += hits;
        contract.total += outside.len();
        contract.agree += matched(&outside, &ours);
        let all: Vec<&(String, String)> = in_schema.iter().chain(&outside).collect();
        let missing: Vec<String> = all.iter().filter(|e| !ours.contains(e)).map(|(p, k)| format!("{k} {p}")).collect();
        let extra: Vec<String> = ours.iter().filter(|o| !all.contains(o)).map(|(p, k)| format!("{k} {p}")).collect();
        cases.push((
            id.to_string(),
            format!(
                "{hits} of {} schema and {} of {} contract-level changes found; not found: [{}]; not expected: [{}]",
                in_schema.len(),
                matched(&outside, &ours),
                outside.len(),
                missing.join(", "),
                extra.join(", ")
            ),
        ));
    }
}

#[test]
fn odcs_corpora_agree_with_datacontract_cli() {
    let allow = allowlist();
    let empty = BTreeMap::new();
    let mut problems = Vec::new();

    let mut verdicts = Tally::new("datacontract-cli ODCS: breaking verdict (FULL)");
    let mut rules = Tally::new("pr1482 unit_rules: rule + location (aliases)");
    let mut severities = Tally::new("pr1482: rolled-up severity counts");
    let mut ids = BTreeSet::new();
    run_pr1482(&mut verdicts, &mut rules, &mut severities, &mut ids);
    check_allowlist(&verdicts, &ids, allow.get("datacontract-cli-odcs").unwrap_or(&empty), &mut problems);

    let mut schema = Tally::new("changelog: changes inside `schema`");
    let mut contract = Tally::new("changelog: contract-level changes (G rules)");
    let mut cases = Vec::new();
    run_changelog(&mut schema, &mut contract, &mut cases);

    println!("datacontract-cli ODCS agreement (agree / total):");
    for t in [&verdicts, &rules, &severities, &schema, &contract] {
        println!("{}", t.row());
    }
    println!("  {:<48} not applicable (Data Contract Specification 1.2.1, not ODCS)", "legacy-dcs-breaking");
    println!("  {:<48} not applicable (data checks on files, not a diff)", "schema-evolution");
    let verbose = std::env::var_os("CONTRAKT_CONFORMANCE_VERBOSE").is_some();
    for t in [&rules, &severities] {
        for (id, detail) in &t.disagreeing {
            println!("    {} differs: {id}", t.name);
            if verbose {
                println!("{detail}");
            }
        }
    }
    for (id, detail) in &cases {
        println!("    {id}: {detail}");
    }
    for (t, committed) in [
        (&verdicts, VERDICTS),
        (&rules, RULES),
        (&severities, SEVERITY_COUNTS),
        (&schema, SCHEMA_ENTRIES),
        (&contract, CONTRACT_ENTRIES),
    ] {
        if t.agree < committed {
            problems.push(format!("{}: agreement dropped to {} (committed: {committed})", t.name, t.agree));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n\n"));
}

#[test]
fn golden_rows_under_added_elements_are_dropped() {
    let text = "Details\n│ Added   │ schema.c        │ │ │\n│ Added   │ schema.c.x      │ │ │\n│ Updated │ version │ 1 │ 2 │\n│         │ │ more │ │\n";
    assert_eq!(
        golden_changes(text),
        vec![("schema.c".to_string(), "added".to_string()), ("version".to_string(), "updated".to_string())]
    );
    assert_eq!(normalise("slaProperties.availability.value"), "slaProperties.availability");
    assert_eq!(normalise("schema.o.quality.row_count.mustBeGreaterThan"), "schema.o.quality.row_count");
    assert!(Path::new(&dir()).join("expectations.yaml").exists());
}
