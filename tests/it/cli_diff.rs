//! `contrakt diff OLD NEW` end to end: one fixture pair per breaking-change rule, consumer
//! impact, version pins, modes, transitive history, bad input and the markdown report.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::{Run, codes, contrakt, contrakt_in, locate, repo, with_stable_output};

/// Catalog codes ODCS contracts cannot trigger, so `fixtures/breaking/` has no pair for them.
/// Checked against `ir/lower.rs` and `diff/detect.rs` / `diff/lattice.rs`:
const NOT_EXPRESSIBLE_IN_ODCS: &[&str] = &[
    // N003/N004 are about presence (JSON Schema `required`): ODCS lowering sets
    // `Field::required = true` on every property (its `required` is nullability → N001/N002).
    "N003", "N004",
    // T005: `lattice::wire_equivalent` only applies to Avro (ByNameWithDefaults) and Protobuf
    // (ByNumber) record models; ODCS always lowers to ByNameStrict.
    "T005",
    // S003/S004: ODCS lowering never produces `DataType::Union`, and `physicalType` has no union
    // spelling either.
    "S003", "S004",
    // W001/W002 judge contrakt.yaml waivers, not a pair of schemas (tests/it/cli_breaking.rs).
    "W001", "W002",
    // F008–F011, C008 and C009 judge JSON Schema content models (`additionalProperties`), which
    // ODCS does not have: `diff/detect.rs` reaches them only for `RecordModel::JsonContentModel`.
    // Their JSON Schema pairs are under `fixtures/formats/jsonschema/` (`jsonschema_*` tests).
    "F008", "F009", "F010", "F011", "C008", "C009",
    // P001–P015 judge Protobuf definitions (`diff/proto.rs`): their pairs are `.proto` files under
    // `fixtures/breaking-proto/` (`every_protobuf_rule_has_a_fixture_pair_that_triggers_it`).
    "P001", "P002", "P003", "P004", "P005", "P006", "P007", "P008", "P009", "P010", "P011", "P012", "P013", "P014",
    "P015",
    // T011 judges Avro named types (record, enum, fixed names and aliases), which ODCS does not
    // have: `diff/avro.rs` reports it when both sides are Avro. Its pair is
    // `fixtures/formats/avro/shipment.v{1,2}.avsc` (`avro_pair_is_judged_by_schema_resolution`).
    "T011",
];

/// What each fixture pair must report: (code, display path, breaks, level). The V001 pair
/// also reports the breaking change that makes the version bump insufficient (N002).
const EXPECTED: &[(&str, &str, &[&str], &str)] = &[
    ("C001", "orders.customer_email", &["backward"], "error"),
    ("C002", "orders.customer_email", &["forward"], "error"),
    ("C003", "orders.currency", &["backward"], "warning"),
    ("C004", "orders.currency", &["forward"], "warning"),
    ("C005", "orders.currency", &["backward", "forward"], "error"),
    ("C006", "orders.promo_codes", &["backward"], "error"),
    ("C007", "orders.promo_codes", &["forward"], "warning"),
    ("D001", "orders.channel", &[], "info"),
    ("D002", "orders.channel", &[], "info"),
    ("D003", "orders.channel", &[], "info"),
    ("E001", "orders.status", &["forward"], "warning"),
    ("E002", "orders.status", &["backward"], "error"),
    ("E003", "orders.status", &["backward", "forward"], "error"),
    ("F001", "orders.note", &[], "info"),
    ("G001", "slaProperties.latency", &[], "error"),
    ("G002", "slaProperties.retention", &[], "error"),
    ("G003", "slaProperties.latency", &[], "info"),
    ("G004", "servers.production.host", &[], "error"),
    ("G005", "status", &[], "warning"),
    ("G006", "team.members.bob.role", &[], "info"),
    ("G007", "description.purpose", &[], "info"),
    ("F002", "orders.vat_rate", &["backward"], "error"),
    ("F003", "orders.channel", &[], "info"),
    ("F004", "orders.discount_code", &["forward"], "error"),
    ("F005", "orders.promo_banner", &["forward"], "warning"),
    ("F006", "orders.total_amount", &["backward", "forward"], "error"),
    ("F007", "orders", &[], "info"),
    ("K001", "orders", &["forward"], "error"),
    ("K002", "orders.customer_email", &["forward"], "error"),
    ("K003", "orders", &["backward"], "error"),
    ("K004", "orders.customer_email", &["backward"], "error"),
    ("K005", "orders", &["backward", "forward"], "error"),
    ("K006", "orders", &[], "info"),
    ("K007", "orders.customer_id", &["forward"], "warning"),
    ("M001", "orders.amount", &[], "info"),
    ("M002", "orders.customer_email", &[], "info"),
    ("M003", "orders.customer_email", &[], "warning"),
    ("M004", "orders.amount", &["backward", "forward"], "error"),
    ("M005", "orders.customer_email", &[], "warning"),
    ("N001", "orders.note", &["backward"], "error"),
    ("N002", "orders.note", &["forward"], "error"),
    ("S001", "refunds", &["forward"], "error"),
    ("S002", "refunds", &[], "info"),
    ("T001", "orders.quantity", &["forward"], "error"),
    ("T002", "orders.quantity", &["forward"], "error"),
    ("T003", "orders.quantity", &["backward"], "error"),
    ("T004", "orders.quantity", &["backward", "forward"], "error"),
    ("T006", "orders.tax", &["forward"], "error"),
    ("T007", "orders.tax", &["backward", "forward"], "error"),
    ("T008", "orders.checksum", &["backward", "forward"], "error"),
    ("T009", "orders.address", &["backward", "forward"], "error"),
    ("T010", "orders.attributes", &["backward", "forward"], "error"),
    ("V001", "version", &[], "error"),
    ("V002", "version", &[], "info"),
];

/// The findings with `code`.
fn with_code<'a>(findings: &'a [Value], code: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["code"] == code).collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// Asserts the exit code follows the report's `passed` (1 when the gate failed, else 0).
#[track_caller]
fn assert_exit_follows_passed(run: &Run) {
    let passed = run.json()["passed"].as_bool().unwrap_or_else(|| panic!("no `passed` in the report\n{run}"));
    run.assert_exit(if passed { 0 } else { 1 });
}

/// The codes that have a pair under `fixtures/breaking/`, sorted.
fn fixture_codes() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(repo().join("fixtures/breaking"))
        .expect("read fixtures/breaking")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Which file and line a finding should point at: removals into OLD (the only place the thing
/// still exists), everything else into NEW; the line of the field, object or `version`.
fn expected_location(code: &str, path: &str, dir: &Path) -> (String, usize) {
    let side = if matches!(code, "F004" | "F005" | "S001" | "K007" | "G002") { "before" } else { "after" };
    let file = format!("fixtures/breaking/{code}/{side}.odcs.yaml");
    let text = std::fs::read_to_string(dir.join(format!("{side}.odcs.yaml"))).expect("read fixture");
    let needle = match code {
        "V001" | "V002" => "version:".to_string(),
        // A reorder points at the first field of the reordered container.
        "F007" => "- name: order_id".to_string(),
        // A removed relationship points at its entry in the old file.
        "K007" => "- type: foreignKey".to_string(),
        // Contract-level changes point at the SLA entry or the value that changed.
        "G001" | "G003" => "- property: latency".to_string(),
        "G002" => "- property: retention".to_string(),
        "G004" => "host: db2".to_string(),
        "G005" => "status:".to_string(),
        "G007" => "purpose:".to_string(),
        // bob's role, the second `role: owner` of the file.
        "G006" => return (file, locate(&text, "role: owner", locate(&text, "username: bob", 1).0).0),
        _ => format!("- name: {}", path.rsplit('.').next().unwrap_or(path)),
    };
    (file, locate(&text, &needle, 1).0)
}

#[test]
fn every_expressible_rule_has_a_fixture_pair_that_triggers_it() {
    let fixtures = fixture_codes();

    // Every catalog code has a fixture unless it is listed as not expressible, and vice versa.
    let catalog: BTreeSet<&str> = contrakt_core::diff::CATALOG.iter().map(|r| r.code).collect();
    for code in NOT_EXPRESSIBLE_IN_ODCS {
        assert!(catalog.contains(code), "{code} is listed as not expressible but is not in the catalog");
        assert!(!fixtures.iter().any(|f| f == code), "{code} is listed as not expressible but has a fixture");
    }
    let wanted: BTreeSet<&str> = catalog.iter().copied().filter(|c| !NOT_EXPRESSIBLE_IN_ODCS.contains(c)).collect();
    let have: BTreeSet<&str> = fixtures.iter().map(String::as_str).collect();
    assert_eq!(
        have,
        wanted,
        "fixtures/breaking/ must hold one pair per catalog rule ODCS can express (missing: {:?}, unknown: {:?})",
        wanted.difference(&have).collect::<Vec<_>>(),
        have.difference(&wanted).collect::<Vec<_>>()
    );
    let expected: BTreeSet<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(expected, wanted, "EXPECTED must describe every fixture");

    let mut failures = Vec::new();
    for code in &fixtures {
        let dir = repo().join("fixtures/breaking").join(code);
        let before = format!("fixtures/breaking/{code}/before.odcs.yaml");
        let after = format!("fixtures/breaking/{code}/after.odcs.yaml");
        let text = contrakt(["diff", &before, &after, "--color", "never"]);
        let json = contrakt(["diff", &before, &after, "--format", "json"]);

        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            assert_exit_follows_passed(&json);
            assert_eq!(text.code, json.code, "[{code}] text and JSON runs should exit alike\n{text}");
            assert_eq!(json.stderr, "", "[{code}] {json}");
            let findings = json.findings();
            // Exactly the rule (the V001 pair needs a breaking change to be insufficiently bumped).
            let allowed: &[&str] = if code == "V001" { &["N002", "V001"] } else { &[code.as_str()] };
            assert_eq!(codes(&findings), allowed, "[{code}] the pair should trigger exactly {allowed:?}\n{json}");

            let (_, path, breaks, level) = EXPECTED.iter().find(|e| e.0 == code).expect("an expectation");
            let found = with_code(&findings, code);
            assert_eq!(found.len(), 1, "[{code}] one finding\n{json}");
            let f = found[0];
            assert_eq!(f["path"], *path, "[{code}] path\n{json}");
            assert_eq!(strings(&f["breaks"]), *breaks, "[{code}] directions\n{json}");
            assert_eq!(f["level"], *level, "[{code}] level\n{json}");
            let (file, line) = expected_location(code, path, &dir);
            assert_eq!(f["file"], file.as_str(), "[{code}] file\n{json}");
            assert_eq!(f["line"], line, "[{code}] line\n{json}");
            assert!(
                text.stdout.contains(&format!("[{code}]")) && text.stdout.contains(&format!("{file}:{line}:")),
                "[{code}] the text report names the rule and {file}:{line}\n{text}"
            );
            // Only the version pairs may report on the version.
            if !code.starts_with('V') {
                assert!(with_code(&findings, "V001").is_empty() && with_code(&findings, "V002").is_empty(), "{json}");
            }
        }));
        if let Err(e) = result {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(msg);
        }

        with_stable_output(|| {
            insta::assert_snapshot!(format!("{code}_text"), text.stdout);
            insta::assert_snapshot!(format!("{code}_json"), json.stdout);
        });
    }
    assert!(failures.is_empty(), "{} fixture(s) failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// Each Protobuf definition rule has a `.proto` pair that reports it once, at its level, in the
/// file and on the line buf would report it (the element in the new file, or the message or
/// enum that lost it), and no other definition rule.
#[test]
fn every_protobuf_rule_has_a_fixture_pair_that_triggers_it() {
    let root = repo().join("fixtures/breaking-proto");
    let mut codes_found: Vec<String> = std::fs::read_dir(&root)
        .expect("read fixtures/breaking-proto")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    codes_found.sort();
    let catalog: Vec<&str> =
        contrakt_core::diff::CATALOG.iter().map(|r| r.code).filter(|c| c.starts_with('P')).collect();
    assert_eq!(codes_found, catalog, "one pair per Protobuf definition rule");
    // (code, line in after.proto the finding points at).
    let lines: &[(&str, usize)] = &[
        ("P001", 5),
        ("P002", 5),
        ("P003", 5),
        ("P004", 5),
        ("P005", 5),
        ("P006", 6),
        ("P007", 6),
        ("P008", 6),
        ("P009", 6),
        ("P010", 6),
        ("P011", 6),
        ("P012", 7),
        ("P013", 5),
        ("P014", 5),
        ("P015", 3),
    ];
    for code in &codes_found {
        let before = format!("fixtures/breaking-proto/{code}/before.proto");
        let after = format!("fixtures/breaking-proto/{code}/after.proto");
        let json = contrakt(["diff", &before, &after, "--format", "json"]);
        let text = contrakt(["diff", &before, &after, "--color", "never"]);
        assert_exit_follows_passed(&json);
        assert_eq!(json.stderr, "", "[{code}] {json}");
        let findings = json.findings();
        let definition_rules: Vec<&str> = codes(&findings).into_iter().filter(|c| c.starts_with('P')).collect();
        assert_eq!(definition_rules, [code.as_str()], "[{code}] exactly this definition rule\n{json}");
        let f = with_code(&findings, code)[0];
        let rule = contrakt_core::diff::rules::find(code).expect("a catalog rule");
        assert_eq!(f["level"], rule.level.to_string(), "[{code}] level\n{json}");
        assert_eq!(strings(&f["breaks"]), Vec::<&str>::new(), "[{code}] definition rules break no mode direction");
        let line = lines.iter().find(|(c, _)| c == code).map(|(_, l)| *l).expect("a line");
        assert_eq!(
            (f["file"].as_str(), f["line"].as_u64()),
            (Some(after.as_str()), Some(line as u64)),
            "[{code}]\n{json}"
        );
        with_stable_output(|| {
            insta::assert_snapshot!(format!("{code}_proto_text"), text.stdout);
            insta::assert_snapshot!(format!("{code}_proto_json"), json.stdout);
        });
    }
}

#[test]
fn every_example_contract_diffs_clean_against_itself() {
    let mut contracts: Vec<String> = std::fs::read_dir(repo().join("contracts"))
        .expect("read contracts/")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".odcs.yaml"))
        .collect();
    contracts.sort();
    assert!(contracts.len() >= 5, "{contracts:?}");
    for name in contracts {
        let path = format!("contracts/{name}");
        let run = contrakt(["diff", &path, &path, "--format", "json"]);
        run.assert_exit(0);
        assert_eq!(run.findings().len(), 0, "{path} against itself\n{run}");
        assert_eq!(run.json()["passed"], true, "{run}");
        assert_eq!(run.json()["compatible"], true, "{run}");

        let text = contrakt(["diff", &path, &path, "--color", "never"]);
        text.assert_exit(0);
    }
}

// ---- consumer impact ----

/// The orders contract without the property whose `id` is `id` (its whole block, quality rules
/// included), with `version` replaced when given.
fn orders_without(id: &str, version: Option<&str>) -> String {
    let original = std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).expect("read orders contract");
    let start_marker = format!("      - id: {id}");
    let mut out = Vec::new();
    let mut skipping = false;
    let mut removed = false;
    for line in original.lines() {
        if line.starts_with("      - id: ") {
            skipping = line == start_marker;
            removed |= skipping;
        } else if skipping && !line.is_empty() && !line.starts_with("        ") {
            skipping = false; // the end of the properties list
        }
        if !skipping {
            out.push(line);
        }
    }
    assert!(removed, "property {id} not found in contracts/orders.odcs.yaml");
    let mut text = out.join("\n") + "\n";
    if let Some(v) = version {
        assert!(text.contains("version: \"1.4.0\""), "the orders contract is at 1.4.0");
        text = text.replacen("version: \"1.4.0\"", &format!("version: \"{v}\""), 1);
    }
    text
}

/// Writes `text` as `orders.odcs.yaml` into a new temp folder (outside any registry, so only
/// `--consumers` brings in consumers).
fn temp_orders(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("orders.odcs.yaml");
    std::fs::write(&path, text).expect("write the copy");
    let shown = path.display().to_string();
    (dir, shown)
}

fn diff_orders(new: &str, extra: &[&str]) -> Run {
    let mut args =
        vec!["diff", "contracts/orders.odcs.yaml", new, "--consumers", "contracts/consumers", "--format", "json"];
    args.extend_from_slice(extra);
    contrakt(args)
}

#[test]
fn removing_a_field_a_consumer_reads_names_that_consumer() {
    // contracts/consumers/finance-revenue-dashboard.yaml reads orders.currency; no other consumer does.
    let (_dir, copy) = temp_orders(&orders_without("orders_currency", None));
    let run = diff_orders(&copy, &[]);
    run.assert_exit(1);
    let findings = run.findings();
    let f004 = with_code(&findings, "F004");
    assert_eq!(f004.len(), 1, "{run}");
    assert_eq!(f004[0]["path"], "orders.currency", "{run}");
    assert_eq!(f004[0]["level"], "error", "{run}");
    assert_eq!(strings(&f004[0]["affected_consumers"]), ["finance-revenue-dashboard"], "{run}");
    assert_eq!(strings(&f004[0]["moving_consumers"]), Vec::<&str>::new(), "{run}");
    assert_eq!(f004[0]["file"], "contracts/orders.odcs.yaml", "a removal points into OLD\n{run}");
    let (line, _) = locate(
        &std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).unwrap(),
        "- id: orders_currency",
        1,
    );
    assert_eq!(f004[0]["line"], line, "{run}");
    // The version stayed 1.4.0, so the breaking change also lacks a major bump.
    assert_eq!(with_code(&findings, "V001").len(), 1, "{run}");
    assert_eq!(run.json()["passed"], false, "{run}");
}

#[test]
fn removing_a_field_no_consumer_reads_is_a_warning_unless_strict() {
    // No consumer in contracts/consumers reads orders.created_at (a required timestamp).
    let consumers_dir = repo().join("contracts/consumers");
    for entry in std::fs::read_dir(&consumers_dir).expect("read consumers") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read consumer");
        assert!(!text.contains("orders.created_at"), "a consumer reads orders.created_at: pick another field");
    }

    let check_f004 = |run: &Run, level: &str| {
        let findings = run.findings();
        let f004 = with_code(&findings, "F004");
        assert_eq!(f004.len(), 1, "{run}");
        assert_eq!(f004[0]["path"], "orders.created_at", "{run}");
        assert_eq!(f004[0]["level"], level, "{run}");
        assert_eq!(strings(&f004[0]["breaks"]), ["forward"], "{run}");
        assert_eq!(f004[0]["breaking"], true, "{run}");
        assert_eq!(strings(&f004[0]["affected_consumers"]), Vec::<&str>::new(), "{run}");
        assert_eq!(strings(&f004[0]["moving_consumers"]), Vec::<&str>::new(), "{run}");
    };

    // Same version: F004 drops to a warning, but the missing major bump (V001) fails the gate.
    let (_d1, same_version) = temp_orders(&orders_without("orders_created_at", None));
    let run = diff_orders(&same_version, &[]);
    check_f004(&run, "warning");
    let findings = run.findings();
    let errors: Vec<&Value> = findings.iter().filter(|f| f["level"] == "error").collect();
    assert_eq!(codes(&errors.into_iter().cloned().collect::<Vec<_>>()), ["V001"], "only V001 fails the gate\n{run}");
    run.assert_exit(1);

    // With a new major version nothing else fails: the gate passes.
    let (_d2, new_major) = temp_orders(&orders_without("orders_created_at", Some("2.0.0")));
    let run = diff_orders(&new_major, &[]);
    check_f004(&run, "warning");
    assert_eq!(codes(&run.findings()), ["F004"], "{run}");
    assert_eq!(run.json()["passed"], true, "{run}");
    run.assert_exit(0);
    let text = contrakt([
        "diff",
        "contracts/orders.odcs.yaml",
        &new_major,
        "--consumers",
        "contracts/consumers",
        "--color",
        "never",
    ]);
    text.assert_exit(0);
    assert!(text.stdout.contains("breaking for 0 known consumers"), "{text}");

    // --strict-consumers keeps it an error.
    let run = diff_orders(&new_major, &["--strict-consumers"]);
    check_f004(&run, "error");
    assert_eq!(run.json()["passed"], false, "{run}");
    run.assert_exit(1);
}

#[test]
fn a_new_major_version_moves_pinned_consumers_instead_of_breaking_them() {
    // finance-revenue-dashboard reads orders.currency with `versions: ">=1.0.0, <2.0.0"`.
    let (_dir, copy) = temp_orders(&orders_without("orders_currency", Some("2.0.0")));
    let run = diff_orders(&copy, &[]);
    run.assert_no_panic();
    let findings = run.findings();
    let f004 = with_code(&findings, "F004");
    assert_eq!(f004.len(), 1, "{run}");
    assert_eq!(f004[0]["path"], "orders.currency", "{run}");
    assert_eq!(strings(&f004[0]["moving_consumers"]), ["finance-revenue-dashboard"], "{run}");
    assert_eq!(strings(&f004[0]["affected_consumers"]), Vec::<&str>::new(), "{run}");
    assert!(with_code(&findings, "V001").is_empty(), "a major bump satisfies the version policy\n{run}");
    assert_exit_follows_passed(&run);
}

// ---- modes ----

#[test]
fn modes_decide_which_direction_counts() {
    // N001 (nullable → required) breaks backward only.
    let (before, after) = ("fixtures/breaking/N001/before.odcs.yaml", "fixtures/breaking/N001/after.odcs.yaml");
    let run = contrakt(["diff", before, after, "--mode", "forward", "--format", "json"]);
    run.assert_exit(0);
    assert_eq!(run.json()["mode"], "forward", "{run}");
    assert_eq!(run.json()["compatible"], true, "{run}");
    let n001 = run.findings().into_iter().find(|f| f["code"] == "N001").expect("N001 is still reported");
    assert_eq!(n001["level"], "info", "{run}");
    assert_eq!(n001["breaking"], false, "{run}");

    for mode in ["backward", "full", "BACKWARD", "full_transitive"] {
        let run = contrakt(["diff", before, after, "--mode", mode, "--format", "json"]);
        run.assert_exit(1);
        let n001 = run.findings().into_iter().find(|f| f["code"] == "N001").expect("N001");
        assert_eq!(n001["level"], "error", "--mode {mode}\n{run}");
    }

    let run = contrakt(["diff", before, after, "--mode", "nope"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("unknown mode `nope`"), "{run}");
}

#[test]
fn transitive_modes_check_every_earlier_version() {
    let head = |version: &str| {
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nid: urn:contrakt:fixtures:transitive\nversion: \"{version}\"\nstatus: active\nschema:\n  - name: orders\n    physicalType: table\n    properties:\n      - name: order_id\n        logicalType: string\n        required: true\n"
        )
    };
    let x = |required: bool, default: bool| {
        let mut s = format!("      - name: x\n        logicalType: string\n        required: {required}\n");
        if default {
            s.push_str("        customProperties:\n          - property: default\n            value: web\n");
        }
        s
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: String| {
        std::fs::write(dir.path().join(name), text).expect("write");
    };
    write("v1.odcs.yaml", head("1.0.0"));
    // v2 adds x as required *with* a default (F003: old rows read with the default);
    // v3 drops the default (D002: compatible against v2). Against v1, x is now a required
    // field without a default that v1's rows lack: F002 breaks backward.
    write("v2.odcs.yaml", head("1.1.0") + &x(true, true));
    write("v3.odcs.yaml", head("1.2.0") + &x(true, false));

    let run =
        contrakt_in(dir.path(), ["diff", "v2.odcs.yaml", "v3.odcs.yaml", "--mode", "backward", "--format", "json"]);
    run.assert_exit(0);
    assert_eq!(codes(&run.findings()), ["D002"], "{run}");

    let args = ["diff", "v2.odcs.yaml", "v3.odcs.yaml", "--mode", "backward-transitive", "--history", "v1.odcs.yaml"];
    let run = contrakt_in(dir.path(), args.iter().chain(&["--format", "json"]));
    run.assert_exit(1);
    let findings = run.findings();
    let f002 = with_code(&findings, "F002");
    assert_eq!(f002.len(), 1, "{run}");
    assert_eq!(f002[0]["path"], "orders.x", "{run}");
    assert_eq!(f002[0]["against"], "1.0.0", "{run}");
    assert_eq!(strings(&f002[0]["breaks"]), ["backward"], "{run}");
    assert_eq!(run.json()["compatible"], false, "{run}");
    let text = contrakt_in(dir.path(), args.iter().chain(&["--color", "never"]));
    text.assert_exit(1);
    assert!(text.stdout.contains("(against 1.0.0)"), "{text}");

    // The variant with a *nullable* x in v2 has no such v3 for tables: whatever v3 does to x
    // without breaking backward against v2 keeps it nullable, and a nullable column added
    // since v1 is F001 (history reads as null). So backward-transitive passes too.
    write("v2n.odcs.yaml", head("1.1.0") + &x(false, true));
    write("v3n.odcs.yaml", head("1.2.0") + &x(false, false));
    let run = contrakt_in(
        dir.path(),
        [
            "diff",
            "v2n.odcs.yaml",
            "v3n.odcs.yaml",
            "--mode",
            "backward-transitive",
            "--history",
            "v1.odcs.yaml",
            "--format",
            "json",
        ],
    );
    run.assert_exit(0);
    assert_eq!(codes(&run.findings()), ["D002"], "{run}");
}

// ---- bad input ----

#[test]
fn bad_input_exits_2() {
    let ok = "fixtures/breaking/F001/before.odcs.yaml";

    let run = contrakt(["diff", ok, "fixtures/breaking/does-not-exist.odcs.yaml"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("does-not-exist.odcs.yaml"), "{run}");
    let run = contrakt(["diff", "fixtures/breaking/does-not-exist.odcs.yaml", ok, "--format", "json"]);
    run.assert_exit(2);

    let run = contrakt(["diff", ok, ok, "--format", "nope"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("nope"), "{run}");
    let run = contrakt(["diff", ok, ok, "--new-format", "nope"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("unknown format `nope`"), "{run}");

    // A YAML syntax error in NEW: reported at its file and line.
    let dir = tempfile::tempdir().expect("tempdir");
    let original = std::fs::read_to_string(repo().join(ok)).expect("read fixture");
    let (line, _) = locate(&original, "- name: amount", 1);
    let broken = original.replacen("- name: amount", "- name: amount: oops", 1);
    std::fs::write(dir.path().join("new.odcs.yaml"), broken).expect("write");
    let old = repo().join(ok);
    let old = old.to_str().expect("utf-8 path");

    let run = contrakt_in(dir.path(), ["diff", old, "new.odcs.yaml", "--color", "never"]);
    run.assert_exit(2);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains(&format!("new.odcs.yaml:{line}:")), "expected new.odcs.yaml:{line}\n{run}");
    assert!(out.contains("E104"), "{run}");

    let run = contrakt_in(dir.path(), ["diff", old, "new.odcs.yaml", "--format", "json"]);
    run.assert_exit(2);
    let f = run.findings();
    assert_eq!(codes(&f), ["E104"], "{run}");
    assert_eq!(f[0]["file"], "new.odcs.yaml", "{run}");
    assert_eq!(f[0]["line"], line, "{run}");
}

// ---- markdown ----

#[test]
fn markdown_is_a_pull_request_comment() {
    let run = contrakt([
        "diff",
        "fixtures/breaking/F004/before.odcs.yaml",
        "fixtures/breaking/F004/after.odcs.yaml",
        "--format",
        "markdown",
    ]);
    run.assert_exit(1);
    assert!(run.stdout.starts_with("### "), "{run}");
    assert!(run.stdout.contains("| level | rule | path | breaks | consumers | change |"), "{run}");
    assert!(run.stdout.contains("| --- |"), "{run}");
    assert!(run.stdout.contains("`F004`"), "{run}");
    assert!(run.stdout.contains("`orders.discount_code`"), "{run}");
}

// ---- JSON Schema ----

/// Two versions of a JSON Schema (`fixtures/formats/jsonschema/`), diffed under BACKWARD, the
/// registry default: content-model rules, `$ref`s, `[]` and `{}` paths, lines in the files.
#[test]
fn jsonschema_pair_is_judged_by_content_models() {
    let old = "fixtures/formats/jsonschema/orders.v1.schema.json";
    let new = "fixtures/formats/jsonschema/orders.v2.schema.json";
    let text = contrakt(["diff", old, new, "--mode", "backward", "--color", "never"]);
    let json = contrakt(["diff", old, new, "--mode", "backward", "--format", "json"]);
    assert_exit_follows_passed(&json);
    assert_eq!(text.code, json.code, "{text}");
    let report = json.json();
    assert_eq!(report["compatible"], false, "{json}");
    let findings = json.findings();
    let got: Vec<(&str, &str, Vec<&str>)> = findings
        .iter()
        .map(|f| (f["code"].as_str().unwrap_or("?"), f["path"].as_str().unwrap_or("?"), strings(&f["breaks"])))
        .collect();
    let expected: &[(&str, &str, &[&str])] = &[
        ("F010", "delivery_window", &["forward"]),
        ("E002", "status", &["backward"]),
        ("C002", "recipes_per_box", &["forward"]),
        ("N001", "gift_message", &["backward"]),
        ("F008", "address.floor", &["backward"]),
        ("T001", "items[].quantity", &["forward"]),
        ("T004", "attributes{}", &["backward", "forward"]),
    ];
    let mut sorted_got = got.clone();
    sorted_got.sort();
    let mut sorted_expected: Vec<(&str, &str, Vec<&str>)> =
        expected.iter().map(|(c, p, b)| (*c, *p, b.to_vec())).collect();
    sorted_expected.sort();
    assert_eq!(sorted_got, sorted_expected, "{json}");
    // Findings point into the file that holds the thing: the new property in NEW.
    let added = with_code(&findings, "F010")[0];
    let v2 = std::fs::read_to_string(repo().join(new)).expect("read fixture");
    assert_eq!(added["file"], new, "{json}");
    assert_eq!(added["line"], locate(&v2, "\"delivery_window\"", 1).0, "{json}");
    // The same pair under FORWARD: other findings break.
    let forward = contrakt(["diff", old, new, "--mode", "forward", "--format", "json"]);
    assert_exit_follows_passed(&forward);
    with_stable_output(|| {
        insta::assert_snapshot!("jsonschema_text", text.stdout);
        insta::assert_snapshot!("jsonschema_json", json.stdout);
    });
}

#[test]
fn jsonschema_recursion_format_override_and_remote_refs() {
    // A recursive schema diffs clean against itself.
    let category = "fixtures/formats/jsonschema/category.schema.json";
    let run = contrakt(["diff", category, category, "--format", "json"]);
    run.assert_exit(0);
    assert!(run.findings().is_empty(), "{run}");

    // Any name: the content tells a JSON Schema; `--old-format`/`--new-format` override it.
    let dir = tempfile::tempdir().expect("tempdir");
    let v1 = std::fs::read_to_string(repo().join("fixtures/formats/jsonschema/orders.v1.schema.json")).expect("read");
    std::fs::write(dir.path().join("old.txt"), &v1).expect("write");
    std::fs::write(dir.path().join("new.txt"), &v1).expect("write");
    let run = contrakt_in(dir.path(), ["diff", "old.txt", "new.txt", "--format", "json"]);
    run.assert_exit(0);
    let run = contrakt_in(dir.path(), ["diff", "old.txt", "new.txt", "--old-format", "avro", "--format", "json"]);
    run.assert_exit(2);
    let run = contrakt_in(
        dir.path(),
        ["diff", "old.txt", "new.txt", "--old-format", "jsonschema", "--new-format", "jsonschema", "--format", "json"],
    );
    run.assert_exit(0);
    assert!(run.findings().is_empty(), "{run}");

    // A `$ref` to another document is an input error that names it.
    std::fs::write(
        dir.path().join("remote.schema.json"),
        "{\n  \"type\": \"object\",\n  \"properties\": {\"a\": {\"$ref\": \"https://example.com/a.json\"}}\n}\n",
    )
    .expect("write");
    let run = contrakt_in(dir.path(), ["diff", "remote.schema.json", "remote.schema.json", "--color", "never"]);
    run.assert_exit(2);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("https://example.com/a.json") && out.contains("remote.schema.json:3:"), "{run}");
}

// ---- Avro ----

/// Two versions of an Avro schema (`fixtures/formats/avro/shipment.v{1,2}.avsc`) under FULL:
/// Avro's schema resolution decides each verdict, per direction. Promotions break only the
/// direction that cannot promote, named types match by unqualified name (the top-level record
/// moved namespace) or by the reader's aliases (`Place` → `Location` reads old data, but
/// today's readers have no alias for `Location`), the reader's enum default absorbs a new
/// symbol, a default added or removed on a field both sides have changes no verdict, and
/// promotions apply through unions (`["int", "long"]` → `long` reads both ways; `["null",
/// "int"]` → `["null", "long"]` only backward).
#[test]
fn avro_pair_is_judged_by_schema_resolution() {
    let old = "fixtures/formats/avro/shipment.v1.avsc";
    let new = "fixtures/formats/avro/shipment.v2.avsc";
    let text = contrakt(["diff", old, new, "--mode", "full", "--color", "never"]);
    let json = contrakt(["diff", old, new, "--mode", "full", "--format", "json"]);
    assert_exit_follows_passed(&json);
    assert_eq!(text.code, json.code, "{text}");
    assert_eq!(json.json()["compatible"], false, "{json}");
    let findings = json.findings();
    let mut breaking: Vec<(&str, &str, Vec<&str>)> = findings
        .iter()
        .filter(|f| !strings(&f["breaks"]).is_empty())
        .map(|f| (f["code"].as_str().unwrap_or("?"), f["path"].as_str().unwrap_or("?"), strings(&f["breaks"])))
        .collect();
    breaking.sort();
    let mut expected: Vec<(&str, &str, Vec<&str>)> = [
        ("F002", "priority", &["backward"][..]),
        ("F004", "depot", &["forward"]),
        ("S004", "tracking", &["backward"]),
        ("T001", "weight_grams", &["forward"]),
        ("T001", "parcels", &["forward"]),
        ("T003", "boxes", &["backward"]),
        ("T008", "label", &["backward", "forward"]),
        ("T011", "carrier", &["backward", "forward"]),
        ("T011", "origin", &["forward"]),
    ]
    .iter()
    .map(|(c, p, b)| (*c, *p, b.to_vec()))
    .collect();
    expected.sort();
    assert_eq!(breaking, expected, "{json}");
    // What resolution accepts stays visible, as information: the default removed from `note`,
    // the symbol `status` gained (absorbed by the enum's default), string → bytes.
    assert!(!findings.iter().any(|f| f["path"] == "amount" && !strings(&f["breaks"]).is_empty()), "{json}");
    for (code, path) in [("D002", "note"), ("E001", "status"), ("F001", "eta")] {
        let f = findings.iter().find(|f| f["code"] == code && f["path"] == path);
        assert!(f.is_some_and(|f| f["level"] == "info" && strings(&f["breaks"]).is_empty()), "{code} {path}\n{json}");
    }
    // Findings point into the file that holds the thing: a removed field into OLD, a renamed
    // type at its definition in NEW.
    let depot = with_code(&findings, "F004")[0];
    assert_eq!(depot["file"], old, "{json}");
    let v1 = std::fs::read_to_string(repo().join(old)).expect("read fixture");
    assert_eq!(depot["line"], locate(&v1, "\"depot\"", 1).0, "{json}");
    let carrier = findings.iter().find(|f| f["code"] == "T011" && f["path"] == "carrier").expect("T011 carrier");
    let v2 = std::fs::read_to_string(repo().join(new)).expect("read fixture");
    assert_eq!(carrier["file"], new, "{json}");
    assert_eq!(carrier["line"], locate(&v2, "\"CarrierCode\"", 1).0, "{json}");
    // Swapping the files swaps the directions.
    let swapped = contrakt(["diff", new, old, "--mode", "backward", "--format", "json"]);
    let forward = contrakt(["diff", old, new, "--mode", "forward", "--format", "json"]);
    assert_eq!(swapped.json()["compatible"], forward.json()["compatible"], "{swapped}");
    // Each file is compatible with itself.
    contrakt(["diff", old, old, "--mode", "full-transitive"]).assert_exit(0);
    with_stable_output(|| {
        insta::assert_snapshot!("avro_text", text.stdout);
        insta::assert_snapshot!("avro_json", json.stdout);
    });
}

/// Parquet footers and Arrow IPC files are schemas too: a dataset diffs against its contract.
#[test]
fn parquet_footers_diff_against_contracts() {
    let parquet = "fixtures/data/orders/orders.parquet";
    let run = contrakt(["diff", "contracts/orders.odcs.yaml", parquet, "--format", "json"]);
    run.assert_exit(1);
    let findings = run.findings();
    let at = |code: &str, path: &str| findings.iter().any(|f| f["code"] == code && f["path"] == path);
    // Text holding UUIDs widens `uuid`; DataFusion writes every column nullable.
    assert!(at("T001", "orders.order_id"), "{run}");
    assert!(at("N002", "orders.customer_id"), "{run}");
    // Only types and nullability are compared: Parquet says nothing of keys or patterns, and
    // an unsaid timestamp unit is not a type change.
    assert!(!codes(&findings).iter().any(|c| c.starts_with('K') || c.starts_with('C') || *c == "T004"), "{run}");
    assert_eq!(findings[0]["file"], parquet, "{run}");
    let same = contrakt(["diff", parquet, parquet]);
    same.assert_exit(0);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.parquet");
    std::fs::write(&bad, b"PAR1 not really PAR1").unwrap();
    let run = contrakt_in(dir.path(), ["diff", "bad.parquet", "bad.parquet"]);
    run.assert_exit(2);
    assert!(run.stderr.contains("bad.parquet") || run.stdout.contains("bad.parquet"), "{run}");
}

#[test]
fn a_weaker_sla_or_a_moved_server_names_the_consumers_who_rely_on_it() {
    let text = std::fs::read_to_string(repo().join("contracts/orders.odcs.yaml")).unwrap();
    let slower = text.replacen("    property: latency\n    value: 2\n", "    property: latency\n    value: 6\n", 1);
    assert_ne!(slower, text, "the orders contract promises a 2 h latency");
    let (_dir, copy) = temp_orders(&slower);
    let run = diff_orders(&copy, &[]);
    run.assert_exit(1);
    let findings = run.findings();
    assert_eq!(codes(&findings), ["G001"], "only the SLA changed\n{run}");
    let g = with_code(&findings, "G001")[0];
    assert_eq!(g["path"], "slaProperties.latency", "{run}");
    assert_eq!(g["level"], "error", "{run}");
    // The three consumers of orders all name `latency` in relies_on.sla for it.
    let mut affected = strings(&g["affected_consumers"]);
    affected.sort();
    assert_eq!(affected, ["finance-revenue-dashboard", "logistics-planner", "marketing-crm-sync"], "{run}");
    // It does not change the schema verdict.
    assert_eq!(run.json()["compatible"], true, "{run}");

    // A stronger SLA is information, and concerns nobody.
    let faster = text.replacen("    property: latency\n    value: 2\n", "    property: latency\n    value: 1\n", 1);
    let (_dir2, copy) = temp_orders(&faster);
    let run = diff_orders(&copy, &[]);
    run.assert_exit(0);
    let g = run.findings().into_iter().find(|f| f["code"] == "G003").expect("G003");
    assert_eq!((g["level"].as_str(), strings(&g["affected_consumers"]).len()), (Some("info"), 0), "{run}");

    // Moving the warehouse concerns every consumer of the contract.
    let moved = text.replacen("host: warehouse.freshbox.internal", "host: warehouse2.freshbox.internal", 1);
    assert_ne!(moved, text);
    let (_dir3, copy) = temp_orders(&moved);
    let run = diff_orders(&copy, &[]);
    run.assert_exit(1);
    let g = run.findings().into_iter().find(|f| f["code"] == "G004").expect("G004");
    assert_eq!(g["path"], "servers.warehouse.host", "{run}");
    assert_eq!(strings(&g["affected_consumers"]).len(), 3, "{run}");
}
