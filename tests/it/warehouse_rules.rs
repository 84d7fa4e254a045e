//! Issue #21, item 2 at check time: a contract's `type: sql` rule on a PostgreSQL server runs
//! there as written, in PostgreSQL's SQL (which contrakt's parser need not read), read-only,
//! one statement, under the run's timeout; a rule that writes fails with the server's error and
//! the tables are unchanged.

use crate::pushdown::target;
use crate::results_of;

#[test]
fn sql_rules_run_on_postgres_as_written_and_read_only() {
    let pg = crate::postgres::server();
    let url = pg.create_database("rule_sql");
    let t = target(&url);
    pg.psql(
        &url,
        "CREATE SCHEMA s;
         CREATE TABLE s.orders (id int8, status text, amount numeric(10,2), email text);
         INSERT INTO s.orders VALUES (1, 'shipped', 40.50, 'a@x.io'), (2, 'Cancelled', 12.00, 'a@x.io'),
                                     (3, 'shipped', -5.25, 'b@x.io'), (4, 'open', 99.99, 'c@x.io'),
                                     (5, 'shipped', 10.00, 'c@x.io');
         CREATE TABLE s.audit (n int);
         CREATE SEQUENCE s.seq;
         CREATE FUNCTION s.bump() RETURNS int LANGUAGE sql AS 'INSERT INTO s.audit VALUES (1) RETURNING n';",
    );
    let dir = tempfile::tempdir().unwrap();
    // PostgreSQL's own SQL: FILTER, `::` casts, ILIKE, DISTINCT ON, and the peers' placeholders.
    let contract = format!(
        r#"apiVersion: v3.1.0
kind: DataContract
id: urn:test:rule-sql
name: rule-sql
version: 1.0.0
status: active
{}schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
      - name: status
        logicalType: string
      - name: amount
        logicalType: number
        quality:
          - id: no_negative_amounts
            type: sql
            query: SELECT count(*) FROM {{object}} WHERE {{property}}::float8 < 0
            mustBe: 0
      - name: email
        logicalType: string
    quality:
      - id: one_cancelled
        type: sql
        query: SELECT count(*) FILTER (WHERE status ILIKE 'cancel%') FROM ${{model}}
        mustBe: 1
      - id: latest_per_customer
        type: sql
        query: SELECT count(*) FROM (SELECT DISTINCT ON (email) email, id FROM ${{table}} ORDER BY email, id DESC) d
        mustBe: 4
      - id: total_as_numeric
        type: sql
        query: SELECT sum(amount)::numeric(12,2) FROM {{object}}
        mustBeBetween: [157.23, 157.25]
      - id: writes_a_row
        type: sql
        query: INSERT INTO s.audit VALUES (7) RETURNING n
        mustBe: 7
      - id: writes_through_a_function
        type: sql
        query: SELECT s.bump()
        mustBe: 1
      - id: writes_in_a_cte
        type: sql
        query: WITH w AS (INSERT INTO s.audit VALUES (8) RETURNING n) SELECT count(*) FROM w
        mustBe: 1
      - id: advances_a_sequence
        type: sql
        query: SELECT nextval('s.seq')
        mustBe: 1
      - id: two_statements
        type: sql
        query: SELECT count(*) FROM {{object}}; DELETE FROM s.orders
        mustBe: 5
      - id: sleeps_past_the_timeout
        type: sql
        query: SELECT count(*) FROM (SELECT pg_sleep(5)) z
        mustBe: 1
"#,
        t.server_entry("s")
    );
    std::fs::write(dir.path().join("rules.odcs.yaml"), contract).unwrap();
    let started = std::time::Instant::now();
    let check = ["check", "rules.odcs.yaml", "--server", "warehouse", "--format", "json", "--no-history"];
    let run = t.run(dir.path(), &[&check[..], &["--timeout", "2"]].concat());
    run.assert_exit(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "the timeout did not hold");
    let got = results_of(&run);
    let status = |id: &str| got.get(id).unwrap_or_else(|| panic!("no {id}: {run}"))["status"].as_str().unwrap();
    let message = |id: &str| got[id]["message"].as_str().unwrap_or_default().to_string();
    // PostgreSQL judged the rules written in its SQL, with the numbers it computed.
    assert_eq!(status("one_cancelled"), "pass", "{}", got["one_cancelled"]);
    assert_eq!(status("latest_per_customer"), "fail", "{}", got["latest_per_customer"]);
    assert_eq!(got["latest_per_customer"]["value"], 3.0, "{}", got["latest_per_customer"]);
    assert_eq!(status("total_as_numeric"), "pass", "{}", got["total_as_numeric"]);
    let negative = got.iter().find(|(id, _)| id.contains("no_negative_amounts")).expect("the property's rule").1;
    assert_eq!(negative["status"], "fail", "{negative}");
    assert_eq!(negative["value"], 1.0, "{negative}");
    // Writes fail with the server's own error; so do two statements and a rule past the timeout.
    for id in ["writes_a_row", "writes_through_a_function", "writes_in_a_cte", "advances_a_sequence"] {
        assert_eq!(status(id), "error", "{id}: {}", got[id]);
        assert!(message(id).contains("read-only transaction"), "{id}: {}", got[id]);
    }
    assert_eq!(status("two_statements"), "error", "{}", got["two_statements"]);
    assert!(message("two_statements").contains("multiple commands"), "{}", got["two_statements"]);
    assert_eq!(status("sleeps_past_the_timeout"), "error", "{}", got["sleeps_past_the_timeout"]);
    assert!(message("sleeps_past_the_timeout").contains("statement timeout"), "{}", got["sleeps_past_the_timeout"]);
    // Nothing was written, nothing deleted, the sequence never moved.
    let counts = pg.psql(&url, "SELECT (SELECT count(*) FROM s.orders) || '/' || (SELECT count(*) FROM s.audit)");
    assert!(counts.contains("5/0"), "{counts}");
    let seq = pg.psql(&url, "SELECT last_value || '/' || is_called FROM s.seq");
    assert!(seq.contains("1/f"), "{seq}");

    // --emit-sql shows the statement as the server is given it.
    let out =
        t.contrakt(dir.path(), &["check", "rules.odcs.yaml", "--server", "warehouse", "--emit-sql"]).output().unwrap();
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(sql.contains(r#"SELECT count(*) FILTER (WHERE status ILIKE 'cancel%') FROM "s"."orders";"#), "{sql}");

    // A --where slice: the rules see the slice only.
    let run = t.run(dir.path(), &[&check[..], &["--where", "id <= 2"]].concat());
    let sliced = results_of(&run);
    assert_eq!(sliced["latest_per_customer"]["value"], 1.0, "{run}");
    assert_eq!(sliced["one_cancelled"]["status"], "pass", "{run}");
}

/// Dates in array items are held to the calendar on PostgreSQL as in the embedded engine: the
/// pushed-down check reads each item's day against its month there.
#[test]
fn array_item_dates_are_checked_against_the_calendar_on_postgres() {
    let pg = crate::postgres::server();
    let url = pg.create_database("item_dates");
    let t = target(&url);
    pg.psql(
        &url,
        "CREATE SCHEMA s;
         CREATE TABLE s.trips (id int8, days text[]);
         INSERT INTO s.trips VALUES (1, ARRAY['2019-02-28', '2020-02-29']), (2, ARRAY['2019-02-28', '2019-02-30']),
                                    (3, ARRAY['2019-04-31']), (4, ARRAY['2000-02-29', NULL]), (5, ARRAY['2019-13-01']),
                                    (6, NULL), (7, ARRAY['1900-02-29']);",
    );
    let dir = tempfile::tempdir().unwrap();
    let contract = format!(
        "apiVersion: v3.1.0
kind: DataContract
id: urn:test:item-dates
version: 1.0.0
status: active
{}schema:
  - name: trips
    properties:
      - name: id
        logicalType: integer
      - name: days
        logicalType: array
        items:
          logicalType: string
          logicalTypeOptions:
            format: yyyy-MM-dd
",
        t.server_entry("s")
    );
    std::fs::write(dir.path().join("trips.odcs.yaml"), contract).unwrap();
    let run =
        t.run(dir.path(), &["check", "trips.odcs.yaml", "--server", "warehouse", "--format", "json", "--no-history"]);
    run.assert_exit(1);
    let r = &results_of(&run)["trips.days[].format"];
    // 2019-02-30, 2019-04-31, 2019-13-01 and 1900-02-29 (not a leap year).
    assert_eq!((r["status"].as_str(), r["value"].as_f64()), (Some("fail"), Some(4.0)), "{r}");
}
