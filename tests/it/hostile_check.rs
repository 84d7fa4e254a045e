//! Hostile contracts and options for `contrakt check` (issue #18): wrong results, unbounded
//! planning or execution, and unclear errors, through the real binary.
//!
//! One table: each case writes a contract and data into its own temp folder, runs `check` there
//! with its arguments, and says what must come out: the exit code, pieces of stdout and stderr,
//! and for JSON runs the status and message of named results.

use serde_json::Value;

use crate::{Run, contrakt_in};

const HEAD: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\n";

/// 10 rows: `a` has 2 nulls (CSV reads '' as null) and one `N/A`.
const TEN: &str =
    "id,a,b,n\n1,x,p,1\n2,,p,2\n3,y,q,3\n4,,r,4\n5,N/A,s,5\n6,,t,6\n7,z,u,7\n8,x,v,8\n9,w,w,9\n10,y,z,10\n";

/// A contract of one object `t` (id, a, b, n) with `quality` rules at the object's level.
fn contract(object_rules: &str) -> String {
    format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n      - name: a\n        logicalType: string\n      - name: b\n        logicalType: string\n      - name: n\n        logicalType: integer\n    quality:\n{object_rules}"
    )
}

/// What one result of the JSON report must be.
struct Res {
    id: &'static str,
    status: &'static str,
    message: &'static [&'static str],
}

struct Case {
    name: &'static str,
    /// name → content, written under the case's folder.
    files: Vec<(&'static str, String)>,
    /// Folder (under the case's) to run in; "" for the case's folder itself.
    cwd: &'static str,
    args: Vec<String>,
    exit: i32,
    stdout: &'static [&'static str],
    stderr: &'static [&'static str],
    results: Vec<Res>,
}

fn case<S: AsRef<str>>(name: &'static str, files: Vec<(&'static str, String)>, args: &[S], exit: i32) -> Case {
    Case {
        name,
        files,
        cwd: "",
        args: args.iter().map(|s| s.as_ref().to_string()).collect(),
        exit,
        stdout: &[],
        stderr: &[],
        results: Vec::new(),
    }
}

fn res(id: &'static str, status: &'static str, message: &'static [&'static str]) -> Res {
    Res { id, status, message }
}

/// `check c.yaml --data t.csv --format json` plus `extra`.
fn json_args(extra: &[&str]) -> Vec<String> {
    ["check", "c.yaml", "--data", "t=t.csv", "--format", "json"].iter().chain(extra).map(|s| s.to_string()).collect()
}

fn run_case(c: &Case) -> (tempfile::TempDir, Run) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in &c.files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let cwd = dir.path().join(c.cwd);
    let run = contrakt_in(&cwd, &c.args);
    (dir, run)
}

fn results(run: &Run) -> Vec<Value> {
    run.json()["reports"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["results"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn check_case(c: &Case) {
    let (_dir, run) = run_case(c);
    run.assert_no_panic();
    assert_eq!(run.code, Some(c.exit), "case {}: exit code\n{run}", c.name);
    for s in c.stdout {
        assert!(run.stdout.contains(s), "case {}: stdout lacks {s:?}\n{run}", c.name);
    }
    for s in c.stderr {
        assert!(run.stderr.contains(s), "case {}: stderr lacks {s:?}\n{run}", c.name);
    }
    if !c.results.is_empty() {
        let all = results(&run);
        for want in &c.results {
            let Some(got) = all.iter().find(|r| r["id"] == want.id) else {
                panic!("case {}: no result {}\n{run}", c.name, want.id)
            };
            assert_eq!(got["status"], want.status, "case {}: {}: {got:#}", c.name, want.id);
            let message = got["message"].as_str().unwrap_or_default();
            for m in want.message {
                assert!(message.contains(m), "case {}: {}: message lacks {m:?}: {got:#}", c.name, want.id);
            }
        }
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();

    // #14: a reversed range matches nothing, as lint L204 says: the check fails.
    let reversed = contract(
        "      - {id: rows, metric: rowCount, mustBeBetween: [10, 1]}\n      - {id: not_rows, metric: rowCount, mustNotBeBetween: [20, 11]}\n",
    );
    let mut c =
        case("reversed_range_fails", vec![("c.yaml", reversed.clone()), ("t.csv", TEN.into())], &json_args(&[]), 1);
    c.results =
        vec![res("rows", "fail", &["between 10 and 1", "reversed", "L204"]), res("not_rows", "pass", &["reversed"])];
    out.push(c);
    let mut c = case("reversed_range_lints_l204", vec![("c.yaml", reversed)], &["lint", "c.yaml"], 1);
    c.stdout = &["L204"];
    out.push(c);

    // #15: an object named with a dot, a column with quotes, a dot, a space and capitals.
    let dotted = format!(
        "{HEAD}schema:\n  - name: my.items\n    properties:\n      - name: 'a \"b\".C'\n        logicalType: string\n        required: true\n        quality:\n          - {{id: nulls, metric: nullValues, mustBe: 1}}\n          - {{id: valid, metric: invalidValues, arguments: {{validValues: [x, y]}}, mustBe: 1}}\n          - {{id: by_sql, type: sql, query: 'SELECT count(*) FROM {{object}} WHERE {{property}} IS NULL', mustBe: 1}}\n      - name: id\n        logicalType: integer\n        unique: true\n    quality:\n      - {{id: rows, metric: rowCount, mustBe: 3}}\n      - {{id: dups, metric: duplicateValues, arguments: {{properties: [id, 'a \"b\".C']}}, mustBe: 0}}\n"
    );
    let mut c = case(
        "dotted_object_and_quoted_column",
        vec![("c.yaml", dotted), ("items.csv", "\"a \"\"b\"\".C\",id\nx,1\n,2\nz,3\n".into())],
        &["check", "c.yaml", "--data", "items.csv", "--format", "json", "--sample", "2"],
        1,
    );
    c.results = vec![
        res("my.items.a \"b\".C.required", "fail", &["1 of 3 rows"]),
        res("nulls", "pass", &[]),
        res("valid", "pass", &[]),
        res("by_sql", "pass", &[]),
        res("rows", "pass", &[]),
        res("dups", "pass", &[]),
        res("my.items.id.unique", "pass", &[]),
    ];
    out.push(c);

    // An object named with a dot binds with `--data my.items=PATH`, beside another object, and
    // a misspelt dotted name is named; a file whose own name holds `=` and a dot is a path.
    let two = format!(
        "{HEAD}schema:\n  - name: my.items\n    properties:\n      - {{name: id, logicalType: integer, required: true}}\n    quality:\n      - {{id: item_rows, metric: rowCount, mustBe: 2}}\n  - name: other\n    properties:\n      - {{name: id, logicalType: integer}}\n    quality:\n      - {{id: other_rows, metric: rowCount, mustBe: 1}}\n"
    );
    let files = || {
        vec![
            ("c.yaml", two.clone()),
            ("items.csv", "id\n1\n2\n".to_string()),
            ("other.csv", "id\n7\n".to_string()),
            ("v=1.items.csv", "id\n1\n2\n".to_string()),
            ("one.yaml", two.split("  - name: other").next().unwrap().to_string()),
        ]
    };
    let mut c = case(
        "dotted_object_bound_by_name",
        files(),
        &["check", "c.yaml", "--data", "my.items=items.csv", "--data", "other=other.csv", "--format", "json"],
        0,
    );
    c.results = vec![res("item_rows", "pass", &[]), res("other_rows", "pass", &[])];
    out.push(c);
    let mut c = case(
        "dotted_object_misspelt_is_named",
        files(),
        &["check", "c.yaml", "--data", "my.itemz=items.csv", "--data", "other=other.csv"],
        2,
    );
    c.stderr = &["my.itemz"];
    out.push(c);
    let mut c = case(
        "a_path_holding_equals_and_a_dot_is_a_path",
        files(),
        &["check", "one.yaml", "--data", "v=1.items.csv", "--format", "json"],
        0,
    );
    c.results = vec![res("item_rows", "pass", &[])];
    out.push(c);

    // #16: --where is one expression, never pasted SQL.
    let rows = contract("      - {id: rows, metric: rowCount, mustBe: 10}\n");
    let data = || vec![("c.yaml", rows.clone()), ("t.csv", TEN.to_string())];
    let mut c = case(
        "where_injection_refused",
        data(),
        &json_args(&["--where", "1=1) UNION ALL SELECT * FROM \"t__all\" WHERE (1=1"]),
        2,
    );
    c.stderr = &["--where is a row predicate; it cannot hold a query (`SELECT` at line 1, column 16)"];
    out.push(c);
    let mut c = case("where_trailing_text_refused", data(), &json_args(&["--where", "1=1) OR (1=1"]), 2);
    c.stderr = &["--where takes one SQL expression, but `)` follows it at line 1, column 4"];
    out.push(c);
    let mut c = case("where_empty", data(), &json_args(&["--where", ""]), 2);
    c.stderr = &["empty --where"];
    out.push(c);
    let mut c = case("where_syntax_points_into_the_text", data(), &json_args(&["--where", "n > > 1"]), 2);
    c.stderr = &["--where does not parse", "Line: 1, Column: 5"];
    out.push(c);
    let mut c = case("where_plain_predicate_works", data(), &json_args(&["--where", "n > 5"]), 1);
    c.results = vec![res("rows", "fail", &["5 rows"])];
    out.push(c);

    // #12: functions that build values of any size are bounded: the rule cannot run (exit 1).
    let huge = contract(
        "      - {id: huge, type: sql, query: 'SELECT max(length(repeat(a, 400000000))) FROM {object}', mustBe: 0}\n      - {id: pad, type: sql, query: 'SELECT max(length(lpad(a, 2000000000))) FROM {object}', mustBe: 0}\n      - {id: arr, type: sql, query: 'SELECT max(cardinality(array_repeat(n, 1000000000))) FROM {object}', mustBe: 0}\n      - {id: series, type: sql, query: 'SELECT max(cardinality(range(0, n * 100000000000))) FROM {object}', mustBe: 0}\n      - {id: fine, type: sql, query: 'SELECT max(length(repeat(a, 3))) FROM {object}', mustBe: 9}\n",
    );
    let mut c = case("huge_values_cannot_run", vec![("c.yaml", huge), ("t.csv", TEN.into())], &json_args(&[]), 1);
    c.results = vec![
        res("huge", "error", &["repeat() would build a value of about", "at most 64 MiB per value"]),
        res("pad", "error", &["lpad() would build"]),
        res("arr", "error", &["array_repeat() would build"]),
        res("series", "error", &["range() would build"]),
        res("fine", "pass", &[]),
    ];
    out.push(c);

    // #13: what a rule never needs is refused, at lint and at check.
    let recursive = contract(
        "      - {id: forever, type: sql, query: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r', mustBe: 0}\n      - {id: rows, metric: rowCount, mustBe: 10}\n",
    );
    let mut c =
        case("recursive_cte_refused", vec![("c.yaml", recursive.clone()), ("t.csv", TEN.into())], &json_args(&[]), 1);
    c.results = vec![res("forever", "error", &["`WITH RECURSIVE`", "runs forever"]), res("rows", "pass", &[])];
    out.push(c);
    let mut c = case("recursive_cte_lints", vec![("c.yaml", recursive)], &["lint", "c.yaml"], 1);
    c.stdout = &["L207", "WITH RECURSIVE"];
    out.push(c);
    let chain = (0..3000).map(|i| format!("n = {i}")).collect::<Vec<_>>().join(" OR ");
    let long = contract(&format!(
        "      - {{id: long, type: sql, query: 'SELECT count(*) FROM {{object}} WHERE {chain}', mustBe: 0}}\n      - {{id: rows, metric: rowCount, mustBe: 10}}\n"
    ));
    let mut c = case("huge_query_refused", vec![("c.yaml", long), ("t.csv", TEN.into())], &json_args(&[]), 1);
    c.results = vec![res("long", "error", &["12007 tokens", "at most 10000"]), res("rows", "pass", &[])];
    out.push(c);
    let bad_timeouts: [(&str, &'static [&'static str]); 6] = [
        ("--timeout=1e20", &["--timeout", "`1e20` is not written in digits"]),
        ("--timeout=2592001", &["--timeout", "longer than the most allowed here, 30d"]),
        ("--timeout=31d", &["--timeout", "longer than the most allowed here, 30d"]),
        ("--timeout=-1", &["--timeout", "`-1` is negative; a duration is more than zero"]),
        ("--timeout=0", &["--timeout", "`0` is zero"]),
        ("--timeout=soon", &["--timeout", "cannot read `soon` as a duration"]),
    ];
    for (bad, message) in bad_timeouts {
        let mut c = case("timeout_out_of_range", data(), &json_args(&[bad]), 2);
        c.stderr = message;
        out.push(c);
    }

    // Unclear errors made clear.
    let refused = contract("      - {id: drop, type: sql, query: 'DROP TABLE {object}', mustBe: 0}\n");
    let mut c = case(
        "explain_shows_refused_rules",
        vec![("c.yaml", refused), ("t.csv", TEN.into())],
        &["check", "c.yaml", "--data", "t=t.csv", "--explain"],
        0,
    );
    c.stdout = &["not run:", "drop: refused (cannot run): rule queries must be read-only SELECTs; this one is DROP"];
    out.push(c);

    let object_nulls = contract("      - {id: nulls, metric: nullValues, mustBe: 0}\n");
    let mut c =
        case("object_level_null_values", vec![("c.yaml", object_nulls), ("t.csv", TEN.into())], &json_args(&[]), 1);
    c.results =
        vec![res("nulls", "error", &["`nullValues` on object `t`", "put the rule in that property's `quality`"])];
    out.push(c);

    let mut c = case(
        "mixed_formats_folder_refused",
        vec![
            ("c.yaml", rows.clone()),
            ("t/a.csv", "id,a,b,n\n1,x,p,1\n".into()),
            ("t/b.json", "{\"id\": 2, \"a\": \"y\", \"b\": \"q\", \"n\": 2}\n".into()),
        ],
        &["check", "c.yaml", "--data", "t=t/"],
        2,
    );
    c.stderr = &["several formats (csv, json)", "a.csv, b.json", "t/*.csv"];
    out.push(c);

    // A declared format reads only that format's files, and names the files it leaves out.
    let declared = format!(
        "{}servers:\n  - {{server: local, type: local, path: t/, format: csv}}\n",
        contract("      - {id: rows, metric: rowCount, mustBe: 1}\n")
    );
    let mut c = case(
        "declared_format_reads_only_its_files_and_names_the_rest",
        vec![
            ("c.yaml", declared),
            ("t/a.csv", "id,a,b,n\n1,x,p,1\n".into()),
            ("t/b.json", "{\"id\": 2, \"a\": \"y\", \"b\": \"q\", \"n\": 2}\n".into()),
            ("t/old.csv.gz", "not read".into()),
            ("t/_SUCCESS", String::new()),
        ],
        &["check", "c.yaml", "--format", "json"],
        0,
    );
    c.results = vec![res("rows", "pass", &[])];
    c.stderr = &["is read as csv (only its *.csv files); 2 other file(s) not read: b.json, old.csv.gz"];
    out.push(c);
    // One format by its files, with another spelling of it beside (`.ndjson` by `.json`): named.
    let mut c = case(
        "files_of_the_folders_format_under_another_extension_are_named",
        vec![
            ("c.yaml", rows.clone()),
            ("t/a.json", "{\"id\": 1, \"a\": \"x\", \"b\": \"p\", \"n\": 1}\n".into()),
            ("t/b.ndjson", "{\"id\": 2, \"a\": \"y\", \"b\": \"q\", \"n\": 2}\n".into()),
        ],
        &["check", "c.yaml", "--data", "t=t/", "--format", "json"],
        1,
    );
    c.stderr = &["1 other file(s) not read: b.ndjson"];
    out.push(c);

    // --data is relative to where it was typed; the contract lives elsewhere.
    let mut c = case(
        "relative_data_from_the_working_directory",
        vec![("contracts/c.yaml", rows.clone()), ("t.csv", TEN.into())],
        &["check", "contracts/c.yaml", "--data", "t=t.csv", "--format", "json"],
        0,
    );
    c.results = vec![res("rows", "pass", &[])];
    out.push(c);

    // Short to write, but far above the regex engine's size limit once compiled.
    let big_pattern = r"^(\w{100}){100}$";
    let pattern = format!(
        "{HEAD}schema:\n  - name: t\n    properties:\n      - name: a\n        logicalType: string\n        quality:\n          - {{id: pat, metric: invalidValues, arguments: {{pattern: '{big_pattern}'}}, mustBe: 0}}\n      - name: id\n        logicalType: integer\n        required: true\n"
    );
    let mut c = case("huge_regex_named", vec![("c.yaml", pattern.clone()), ("t.csv", TEN.into())], &json_args(&[]), 1);
    c.results = vec![
        res("pat", "error", &["the pattern of `a` cannot be used", "MiB, the limit"]),
        res("t.id.required", "pass", &[]),
    ];
    out.push(c);
    let mut c = case("huge_regex_lints", vec![("c.yaml", pattern)], &["lint", "c.yaml"], 1);
    c.stdout = &["L104"];
    out.push(c);
    out
}

#[test]
fn hostile_checks() {
    let all = cases();
    let only = std::env::var("HOSTILE_CASE").ok();
    for c in all.iter().filter(|c| only.as_deref().is_none_or(|o| c.name == o)) {
        check_case(c);
    }
}
