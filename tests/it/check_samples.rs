//! Failing-row samples as `contrakt check` shows them: one of each kind (rows failing a
//! predicate, repeated values, orphans of a reference), in their order, masked when
//! classified, none for a passing check, and the same samples for the same rows in any order.

use serde_json::{Value, json};

use crate::contrakt_in;

const CONTRACT: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: s\nversion: 1.0.0\nstatus: active\nschema:
  - name: t
    properties:
      - name: id
        logicalType: integer
        primaryKey: true
      - name: a
        logicalType: string
        classification: restricted
        logicalTypeOptions: {pattern: '^[a-y]$'}
      - name: b
        logicalType: string
        unique: true
      - name: n
        logicalType: integer
        logicalTypeOptions: {minimum: 3}
        relationships:
          - type: foreignKey
            to: r.id
      - name: c
        logicalType: string
        required: true
      - name: ok
        logicalType: integer
        logicalTypeOptions: {minimum: 0}
  - name: r
    properties:
      - name: id
        logicalType: integer
";

/// `a` breaks the pattern at ids 3, 5, 7; `b` repeats `p` three times and `s` twice; `n` is
/// below 3 at ids 1 and 7 and has no match in `r` (1 to 5) at ids 8 and 12; `c` is null at ids 1 and 3.
const ROWS: [&str; 9] = [
    "7,z,p,1,x,1",
    "3,N/A,p,5,,2",
    "12,x,q,9,y,3",
    "1,x,r,2,,4",
    "5,Z,p,4,z,5",
    "8,y,s,8,w,6",
    "2,a,s,3,v,7",
    "4,b,u,4,u,8",
    "6,c,v,5,t,9",
];

/// The samples of the result with this code and property, from a `--format json` run.
fn samples(report: &Value, code: &str, property: &str) -> Value {
    let results = report["reports"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["code"] == code && r["property"] == property && r["object"] == "t")
        .unwrap_or_else(|| panic!("no {code} on {property}: {report:#}"));
    r.get("samples").cloned().unwrap_or(Value::Null)
}

fn run(rows: &[&str], extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), CONTRACT).unwrap();
    std::fs::write(dir.path().join("t.csv"), format!("id,a,b,n,c,ok\n{}\n", rows.join("\n"))).unwrap();
    std::fs::write(dir.path().join("r.csv"), "id\n1\n2\n3\n4\n5\n").unwrap();
    let mut args = vec!["check", "c.yaml", "--data", "t=t.csv", "--data", "r=r.csv", "--format", "json"];
    args.extend_from_slice(extra);
    let run = contrakt_in(dir.path(), args);
    run.assert_exit(1);
    run.json()
}

#[test]
fn every_kind_of_failed_check_shows_its_samples_in_order() {
    let report = run(&ROWS, &[]);
    // Rows breaking a predicate: by the key, the classified column masked.
    assert_eq!(
        samples(&report, "Q208", "a"),
        json!([{"id": 3, "a": "***"}, {"id": 5, "a": "***"}, {"id": 7, "a": "***"}])
    );
    assert_eq!(samples(&report, "Q204", "n"), json!([{"id": 1, "n": 2}, {"id": 7, "n": 1}]));
    assert_eq!(samples(&report, "Q201", "c"), json!([{"id": 1, "c": null}, {"id": 3, "c": null}]));
    // Repeated values: most repeated first.
    assert_eq!(samples(&report, "Q202", "b"), json!([{"b": "p", "occurrences": 3}, {"b": "s", "occurrences": 2}]));
    // Orphans: by the value.
    assert_eq!(samples(&report, "Q501", "n"), json!([{"id": 8, "n": 8}, {"id": 12, "n": 9}]));
    // A passing check shows none.
    assert_eq!(samples(&report, "Q204", "ok"), Value::Null);

    let shown = run(&ROWS, &["--unmask", "--sample", "2"]);
    assert_eq!(samples(&shown, "Q208", "a"), json!([{"id": 3, "a": "N/A"}, {"id": 5, "a": "Z"}]));
    assert_eq!(samples(&shown, "Q202", "b"), json!([{"b": "p", "occurrences": 3}, {"b": "s", "occurrences": 2}]));
    let none = run(&ROWS, &["--sample", "0"]);
    for (code, property) in [("Q208", "a"), ("Q204", "n"), ("Q201", "c"), ("Q202", "b"), ("Q501", "n")] {
        assert_eq!(samples(&none, code, property), Value::Null, "{code} {property}");
    }
}

#[test]
fn the_same_rows_in_another_order_show_the_same_samples() {
    let forward = run(&ROWS, &["--unmask"]);
    let mut reversed = ROWS;
    reversed.reverse();
    let backward = run(&reversed, &["--unmask"]);
    for (code, property) in [("Q208", "a"), ("Q204", "n"), ("Q201", "c"), ("Q202", "b"), ("Q501", "n")] {
        let s = samples(&forward, code, property);
        assert!(s.as_array().is_some_and(|a| !a.is_empty()), "{code} {property}: {s}");
        assert_eq!(s, samples(&backward, code, property), "{code} {property}");
    }
}
