//! Hostile inputs that used to exhaust memory, panic or hang (issue #18), through the real
//! binary: each must end with a clear error and its exit code. Servers are loopback only.

use std::fmt::Write as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::{Run, contrakt_in};

const CONTRACT: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: t\nversion: 1.0.0\nstatus: active\nschema:\n  - name: t\n    properties:\n      - name: c0\n        logicalType: string\n";

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write input");
    }
    dir
}

#[track_caller]
fn assert_stderr(run: &Run, needle: &str) {
    assert!(run.stderr.contains(needle), "stderr should contain {needle:?}\n{run}");
}

/// `diff` renders input errors as diagnostics on stdout.
#[track_caller]
fn assert_stdout(run: &Run, needle: &str) {
    assert!(run.stdout.contains(needle), "stdout should contain {needle:?}\n{run}");
}

/// A one-row CSV of `columns` columns.
fn wide_csv(columns: usize) -> String {
    let mut s = String::new();
    for i in 0..columns {
        let _ = write!(s, "{}c{i}", if i == 0 { "" } else { "," });
    }
    s.push('\n');
    s.push_str(&vec!["x"; columns].join(","));
    s.push('\n');
    s
}

#[test]
fn a_20k_column_csv_is_refused_before_inference_by_check_and_infer() {
    let dir = folder(&[("c.yaml", CONTRACT), ("t.csv", &wide_csv(20_000))]);
    let want = "has at least 10001 columns, more than contrakt checks (10000)";
    let check = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.csv"]);
    check.assert_exit(2);
    assert_stderr(&check, "cannot read the data of `t` at t.csv");
    assert_stderr(&check, want);
    let infer = contrakt_in(dir.path(), ["infer", "t.csv"]);
    infer.assert_exit(2);
    assert_stderr(&infer, want);
    // At the bound it is read.
    std::fs::write(dir.path().join("t.csv"), wide_csv(3)).expect("write");
    contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.csv"]).assert_no_panic();
}

#[test]
fn huge_durations_are_usage_errors_not_panics() {
    let dir = folder(&[("c.yaml", CONTRACT), ("t.csv", "c0\nx\n")]);
    for (value, why) in [
        ("1e20", "`1e20` is not written in digits"),
        ("99999999999999999999999", "longer than the most contrakt accepts, 3650 days"),
        ("-1", "negative"),
    ] {
        let flag = format!("--deliver-for={value}");
        let run = contrakt_in(dir.path(), ["run", "c.yaml", "--data", "t=t.csv", &flag]);
        run.assert_exit(2);
        assert_stderr(&run, "--deliver-for");
        assert_stderr(&run, why);
    }
    let run = contrakt_in(dir.path(), ["run", "c.yaml", "--data", "t=t.csv", "--deliver-for", "1.5"]);
    run.assert_no_panic();
    assert!(!run.stderr.contains("--deliver-for"), "a number of seconds is still read\n{run}");
}

/// A loopback server that accepts connections and never says a word.
fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

#[test]
fn a_postgres_history_server_that_never_answers_does_not_hang_the_run() {
    let port = silent_server();
    let url = format!("postgres://user@127.0.0.1:{port}/db?connect_timeout=1");
    let dir = folder(&[("c.yaml", CONTRACT), ("t.csv", "c0\nx\n")]);
    let want = "did not complete the connection within 1s (connect_timeout";

    let started = Instant::now();
    let check = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t=t.csv", "--history", &url]);
    check.assert_no_panic();
    // History never decides a check's verdict: the run ends with its own exit code and a warning.
    assert_eq!(check.code, Some(0), "{check}");
    assert_stderr(&check, "warning: history not recorded: history store postgres://user@127.0.0.1");
    assert_stderr(&check, want);
    assert!(started.elapsed() < Duration::from_secs(60), "bounded by connect_timeout\n{check}");

    let history = contrakt_in(dir.path(), ["history", "--store", &url]);
    history.assert_exit(2);
    assert_stderr(&history, want);
}

#[test]
fn diff_reports_deep_json_schema_nesting_with_its_place() {
    let mut text = String::from("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"type\": \"object\"");
    for i in 0..100 {
        let _ = write!(text, ",\n\"properties\": {{\"p{i}\": {{\"type\": \"object\"");
    }
    text.push_str(&"}}".repeat(100));
    text.push_str("}\n");
    let dir = folder(&[("deep.json", &text)]);
    let run = contrakt_in(dir.path(), ["diff", "deep.json", "deep.json"]);
    run.assert_exit(2);
    assert_stdout(&run, "error[E107]: nesting is deeper than 127 levels; contrakt refuses schemas this deep");
    assert_stdout(&run, "--> deep.json:65:15\n");
    assert!(!run.stdout.contains("cannot tell the schema format"), "{run}");
}

#[test]
fn diff_refuses_proto_imports_outside_the_folder_without_reading_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("schemas")).expect("mkdir");
    std::fs::write(dir.path().join("secret.proto"), "SECRET-SENTINEL is not protobuf").expect("write");
    for import in ["/etc/hostname", "../secret.proto"] {
        let text = format!("syntax = \"proto3\";\n\nimport \"{import}\";\n\nmessage A {{ int32 id = 1; }}\n");
        std::fs::write(dir.path().join("schemas/a.proto"), text).expect("write");
        let run = contrakt_in(&dir.path().join("schemas"), ["diff", "a.proto", "a.proto"]);
        run.assert_exit(2);
        assert_stdout(&run, &format!("a.proto:3:8: invalid Protobuf schema: import `{import}` is outside"));
        for leaked in ["SECRET-SENTINEL", "group name"] {
            assert!(!run.stderr.contains(leaked) && !run.stdout.contains(leaked), "{run}");
        }
        if let Ok(host) = std::fs::read_to_string("/etc/hostname")
            && host.trim().len() > 6
        {
            assert!(!run.stderr.contains(host.trim()), "the imported file's content is never shown\n{run}");
        }
    }
}

/// sqlparser 0.62 backtracks exponentially on some short chains (found by fuzzing `--where`):
/// a quality rule or a filter of that shape is refused once the parse deadline passes, in lint
/// and in check, instead of hanging the CI job.
#[test]
fn sql_that_takes_exponential_time_to_parse_is_refused_at_the_deadline() {
    let slow = "t.t@.t.t@.Dt.tJJJJJJJJJJJJJJJJJJJJJJJJJJJt@.Dtt#.JJDt.t@.Dt.tJJJJJJJJJJJJJJJJJJJJJJJJJJJt@.Dtt#.JJJ@.DJJJJJJJJJJJJJt@.Dtt#.JJtt#.@.2$t .w2$t .w2$t .w2$t .w2$t .w2$t .w2[";
    let contract = format!(
        "{CONTRACT}    quality:\n      - {{id: slow, type: sql, query: 'SELECT count(*) FROM t WHERE {slow}', mustBe: 0}}\n"
    );
    let dir = folder(&[("c.yaml", &contract), ("t.csv", "c0\nx\n")]);
    let started = Instant::now();
    let lint = contrakt_in(dir.path(), ["lint", "c.yaml"]);
    lint.assert_exit(1);
    assert_stdout(&lint, "takes longer than 5 s to read");
    let check = contrakt_in(dir.path(), ["check", "c.yaml", "--data", "t.csv", "--where", slow]);
    check.assert_exit(2);
    assert_stderr(&check, "--where takes longer than 5 s to read");
    // Two deadlines and the rest of the work; the parses alone would take minutes.
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
}
