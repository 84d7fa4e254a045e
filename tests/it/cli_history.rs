//! Metrics history end to end: `check --history` records every run, an adaptive check warms up
//! and then catches a drop in volume, `history` reads it back as text, JSON and CSV,
//! `history annotate` marks an expected event, and concurrent runs lose nothing.

use std::path::Path;

use serde_json::Value;

use crate::{contrakt_in, repo};

fn contract(dir: &Path) -> std::path::PathBuf {
    // Beside the contract: a contract reads local data only in its repository or working folder.
    let data = dir.join("weekly_menu");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(repo().join("fixtures/data/weekly_menu/weekly_menu.parquet"), data.join("weekly_menu.parquet"))
        .unwrap();
    let text = format!(
        "apiVersion: v3.1.0
kind: DataContract
id: urn:contrakt:test:menu
name: menu
version: 1.0.0
status: active
servers:
  - {{server: local, type: local, path: '{}', format: parquet}}
schema:
  - name: weekly_menu
    physicalType: table
    customProperties:
      - property: contraktAnomaly
        value: {{metric: rowCount, model: median, min_history: 5, sensitivity: 3, severity: error}}
    properties:
      - {{name: menu_slot, logicalType: integer, required: true}}
",
        data.display()
    );
    let path = dir.join("menu.odcs.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn check(dir: &Path, day: u32, filter: Option<&str>) -> crate::Run {
    let now = format!("2026-11-{day:02}T06:00:00Z");
    let mut args = vec!["check", "menu.odcs.yaml", "--history", "h.db", "--now", &now, "--format", "json"];
    if let Some(f) = filter {
        args.extend(["--where", f]);
    }
    contrakt_in(dir, args)
}

fn anomaly(run: &crate::Run) -> Value {
    let json = run.json();
    json["reports"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "Q601")
        .cloned()
        .expect("a Q601 result")
}

#[test]
fn an_adaptive_check_warms_up_then_catches_a_drop_and_history_reads_it_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    contract(dir);
    for day in 1..=5 {
        let run = check(dir, day, None);
        run.assert_exit(0);
        let a = anomaly(&run);
        assert_eq!(a["status"], "skipped", "{run}");
        assert_eq!(a["message"], format!("warming up: {} of 5 runs recorded for the rolling median baseline", day - 1));
    }
    let normal = check(dir, 6, None);
    normal.assert_exit(0);
    assert_eq!(anomaly(&normal)["status"], "pass", "{normal}");

    // A third of the usual rows: outside the band, and `severity: error` fails the run.
    let drop = check(dir, 7, Some("menu_slot <= 10"));
    drop.assert_exit(1);
    let a = anomaly(&drop);
    assert_eq!((a["status"].as_str(), a["value"].as_f64()), (Some("fail"), Some(40.0)), "{drop}");
    assert!(a["message"].as_str().unwrap().contains("rowCount = 40 is outside the expected"), "{a}");
    assert_eq!(a["id"], "weekly_menu.anomaly.rowCount");

    // Read back: every run's row count, oldest first.
    let csv = contrakt_in(
        dir,
        ["history", "urn:contrakt:test:menu", "--store", "h.db", "--metric", "rowCount", "--format", "csv"],
    );
    csv.assert_exit(0);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines[0], "at,contract,contract_version,object,property,metric,partition,value,run_id,expected,segment");
    let values: Vec<&str> = lines[1..].iter().map(|l| l.split(',').nth(7).unwrap()).collect();
    assert_eq!(values, ["120", "120", "120", "120", "120", "120", "40"]);

    // The contract file names the contract as well as its id does.
    let by_file = contrakt_in(dir, ["history", "menu.odcs.yaml", "--store", "h.db", "--metric", "rowCount"]);
    by_file.assert_exit(0);
    assert_eq!(by_file.stdout.lines().count(), 7, "{by_file}");

    // The drop was a planned menu change: annotated, it shows as expected and leaves the
    // baseline, so the next ordinary day is judged against the 120s only.
    let note = contrakt_in(
        dir,
        [
            "history",
            "annotate",
            "menu.odcs.yaml",
            "--store",
            "h.db",
            "--from",
            "2026-11-07",
            "--note",
            "half menu week",
        ],
    );
    note.assert_exit(0);
    let json = contrakt_in(dir, ["history", "--store", "h.db", "--metric", "rowCount", "--format", "json"]);
    let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(points.iter().filter(|p| p["expected"] == "half menu week").count(), 1, "{json}");
    let next = check(dir, 8, None);
    next.assert_exit(0);
    let a = anomaly(&next);
    assert_eq!(a["status"], "pass");
    assert!(a["threshold"].as_str().unwrap().contains("6 points"), "the annotated run is not a point: {a}");
}

#[test]
fn concurrent_runs_record_every_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    contract(dir);
    let runs: Vec<_> = (1..=4)
        .map(|day| {
            let dir = dir.to_path_buf();
            std::thread::spawn(move || check(&dir, day, None))
        })
        .collect();
    for r in runs {
        r.join().unwrap().assert_exit(0);
    }
    let json = contrakt_in(dir, ["history", "--store", "h.db", "--metric", "rowCount", "--format", "json"]);
    json.assert_exit(0);
    let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let mut runs: Vec<i64> = points.iter().map(|p| p["run_id"].as_i64().unwrap()).collect();
    runs.dedup();
    assert_eq!(runs.len(), 4, "{json}");
}

#[test]
fn a_bad_spec_or_store_is_a_warning_not_a_lost_check() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = contract(dir);
    let text = std::fs::read_to_string(&path).unwrap().replace("model: median", "model: psychic");
    std::fs::write(&path, text).unwrap();
    let run = check(dir, 1, None);
    run.assert_exit(0);
    assert!(run.stderr.contains("adaptive checks not judged") && run.stderr.contains("psychic"), "{run}");

    let missing = contrakt_in(dir, ["history", "--store", "nowhere.db"]);
    missing.assert_exit(2);
    assert!(missing.stderr.contains("no history store at nowhere.db"), "{missing}");
}

/// `check` into `store` (a file or a URL) on day `day` of November.
fn check_into(dir: &Path, store: &str, day: u32, filter: Option<&str>) -> crate::Run {
    let now = format!("2026-11-{day:02}T06:00:00Z");
    let mut args = vec!["check", "menu.odcs.yaml", "--history", store, "--now", &now, "--format", "json"];
    if let Some(f) = filter {
        args.extend(["--where", f]);
    }
    contrakt_in(dir, args)
}

/// `history --format json`, without the metrics that time the run (they differ between runs).
fn read_back(dir: &Path, store: &str) -> Vec<Value> {
    let json = contrakt_in(dir, ["history", "--store", store, "--format", "json"]);
    json.assert_exit(0);
    let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    points.into_iter().filter(|p| !TIMINGS.contains(&p["metric"].as_str().unwrap_or(""))).collect()
}

/// Metrics that measure how long a run took rather than the data.
const TIMINGS: &[&str] = &["duration", "runDuration"];

#[test]
fn sqlite_and_postgres_read_back_the_same_history() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    contract(dir);
    let url = crate::postgres::server().create_database("history_round_trip");
    let mut read = Vec::new();
    for store in ["h.db", url.as_str()] {
        for day in 1..=6 {
            check_into(dir, store, day, None).assert_exit(0);
        }
        let drop = check_into(dir, store, 7, Some("menu_slot <= 10"));
        drop.assert_exit(1);
        assert_eq!(anomaly(&drop)["status"], "fail", "{drop}");
        let args =
            ["history", "annotate", "menu.odcs.yaml", "--store", store, "--from", "2026-11-07", "--note", "half"];
        contrakt_in(dir, args).assert_exit(0);
        // The annotated drop leaves the baseline on either store.
        let next = check_into(dir, store, 8, None);
        next.assert_exit(0);
        assert!(anomaly(&next)["threshold"].as_str().unwrap().contains("6 points"), "{next}");
        read.push(read_back(dir, store));
    }
    assert!(read[0].len() >= 8 * 2, "row counts and check values of 8 runs: {:?}", read[0]);
    assert_eq!(read[0], read[1], "SQLite and PostgreSQL disagree");
    assert_eq!(
        read[1].iter().filter(|p| p["expected"] == "half").count(),
        read[1].iter().filter(|p| p["at"].as_str().unwrap().starts_with("2026-11-07")).count()
    );
}

#[test]
fn concurrent_first_runs_record_every_run_exactly_once_on_either_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    contract(dir);
    // Fresh stores: the eight processes also race to create the schema.
    let url = crate::postgres::server().create_database("history_concurrent");
    for store in ["fresh.db".to_string(), url] {
        let runs: Vec<_> = (1..=8)
            .map(|day| {
                let (dir, store) = (dir.to_path_buf(), store.clone());
                std::thread::spawn(move || check_into(&dir, &store, day, None))
            })
            .collect();
        for r in runs {
            let run = r.join().unwrap();
            run.assert_exit(0);
            assert!(!run.stderr.contains("warning"), "{run}");
        }
        let json = contrakt_in(dir, ["history", "--store", &store, "--metric", "rowCount", "--format", "json"]);
        json.assert_exit(0);
        let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
        let days: Vec<&str> = points.iter().map(|p| &p["at"].as_str().unwrap()[..10]).collect();
        let expected: Vec<String> = (1..=8).map(|d| format!("2026-11-{d:02}")).collect();
        assert_eq!(days, expected, "{store}: every run once, in time order");
        let mut ids: Vec<i64> = points.iter().map(|p| p["run_id"].as_i64().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 8, "{store}: {json}");
    }
}

#[test]
fn contrakt_yaml_selects_postgres_and_a_password_is_never_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    contract(dir);
    let url = crate::postgres::server().create_database("history_config");
    std::fs::write(
        dir.join("contrakt.yaml"),
        format!("version: 1\nhistory:\n  path: {url}\n  password-env: CONTRAKT_TEST_PG_PASSWORD\n"),
    )
    .unwrap();
    // The variable is named but not set: a precise error, and the check itself still runs.
    let args = ["check", "menu.odcs.yaml", "--now", "2026-11-01T06:00:00Z"];
    let unset = contrakt_in(dir, args);
    unset.assert_exit(0);
    assert!(unset.stderr.contains("CONTRAKT_TEST_PG_PASSWORD is not set"), "{unset}");
    std::fs::write(dir.join("contrakt.yaml"), format!("version: 1\nhistory:\n  path: {url}\n")).unwrap();
    contrakt_in(dir, args).assert_exit(0);
    let read = contrakt_in(dir, ["history", "--metric", "rowCount", "--format", "csv"]);
    read.assert_exit(0);
    assert_eq!(read.stdout.lines().count(), 2, "one run, read back through contrakt.yaml: {read}");

    // A wrong server: the error names it, with the password masked.
    let secret = "postgres://contrakt:s3cret-pw@127.0.0.1:9/nowhere?password=other-s3cret";
    for run in [
        contrakt_in(dir, ["history", "--store", secret]),
        contrakt_in(dir, ["check", "menu.odcs.yaml", "--history", secret]),
    ] {
        run.assert_no_panic();
        assert!(run.stderr.contains("postgres://contrakt:***@127.0.0.1:9/nowhere?password=***"), "{run}");
        assert!(!run.stderr.contains("s3cret"), "{run}");
    }
}

/// The value of `metric` of `object`/`property` in `history --format json` output.
fn value_of(points: &[Value], object: &str, property: &str, metric: &str) -> Option<f64> {
    points
        .iter()
        .find(|p| p["object"] == object && p["property"] == property && p["metric"] == metric)
        .and_then(|p| p["value"].as_f64())
}

#[test]
fn check_records_column_stats_distinct_counts_freshness_bytes_and_the_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:t\nversion: 1.0.0\nstatus: active\nschema:\n  - name: t\n    properties:\n      - {name: id, logicalType: integer, unique: true}\n      - {name: price, logicalType: number}\n      - {name: at, logicalType: timestamp}\nslaProperties:\n  - {id: fresh, property: latency, value: 2, unit: h, element: t.at}\n";
    std::fs::write(dir.join("c.yaml"), text).unwrap();
    for (part, rows) in [
        ("2026-11-21", "1,2.5,2026-11-21T12:00:00Z\n2,3.5,2026-11-21T13:00:00Z\n"),
        ("2026-11-22", "4,10.0,2026-11-22T04:00:00Z\n5,20.0,2026-11-22T05:00:00Z\n4,30.0,2026-11-22T05:00:00Z\n"),
    ] {
        std::fs::create_dir_all(dir.join(format!("t/dt={part}"))).unwrap();
        std::fs::write(dir.join(format!("t/dt={part}/part.csv")), format!("id,price,at\n{rows}")).unwrap();
    }
    let args = [
        "check",
        "c.yaml",
        "--data",
        "t=t/",
        "--partition",
        "dt=2026-11-22",
        "--history",
        "h.db",
        "--now",
        "2026-11-22T06:00:00Z",
    ];
    contrakt_in(dir, args).assert_exit(1);
    let json = contrakt_in(dir, ["history", "--store", "h.db", "--format", "json"]);
    json.assert_exit(0);
    let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    // Only the partition's rows, and every point keyed by it.
    assert!(points.iter().all(|p| p["partition"] == "dt=2026-11-22"), "{json}");
    assert_eq!(value_of(&points, "t", "", "rowCount"), Some(3.0));
    assert_eq!(value_of(&points, "t", "price", "min"), Some(10.0));
    assert_eq!(value_of(&points, "t", "price", "max"), Some(30.0));
    assert_eq!(value_of(&points, "t", "price", "mean"), Some(20.0));
    assert_eq!(value_of(&points, "t", "id", "mean"), Some(13.0 / 3.0));
    assert_eq!(value_of(&points, "t", "id", "distinctCount"), Some(2.0));
    // The newest `at` is 05:00; the run's reference time 06:00.
    assert_eq!(value_of(&points, "t", "at", "freshnessLag"), Some(3600.0));
    assert!(value_of(&points, "", "", "runDuration").is_some(), "{json}");
    // Timestamps are not numbers: no min/max/mean of `at`.
    assert_eq!(value_of(&points, "t", "at", "min"), None);

    // Parquet counts the bytes its scan read.
    contract(dir);
    check(dir, 1, None).assert_exit(0);
    let json = contrakt_in(
        dir,
        ["history", "urn:contrakt:test:menu", "--store", "h.db", "--metric", "bytesScanned", "--format", "json"],
    );
    let points: Vec<Value> = serde_json::from_str(&json.stdout).unwrap();
    let bytes = value_of(&points, "weekly_menu", "", "bytesScanned").expect("bytes scanned");
    assert!(bytes > 0.0 && points[0]["partition"] == "", "{json}");
    assert_eq!(value_of(&read_back(dir, "h.db"), "weekly_menu", "menu_slot", "min"), Some(1.0));
}

#[test]
fn a_password_from_the_environment_goes_only_to_an_allowed_history_server() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    contract(dir);
    // A "PostgreSQL server" chosen by contrakt.yaml: a listener that must see no connection.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    std::fs::write(
        dir.join("contrakt.yaml"),
        format!("version: 1\nhistory:\n  path: postgres://ci@127.0.0.1:{port}/db\n  password-env: HUNT_AWS_SECRET\n"),
    )
    .unwrap();
    let run = |allow: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"));
        c.args(["check", "menu.odcs.yaml", "--now", "2026-11-01T06:00:00Z"])
            .current_dir(dir)
            .env("HUNT_AWS_SECRET", "wJalrXUtnFEMI-never-sent")
            .env_remove("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS");
        if let Some(a) = allow {
            c.env("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", a);
        }
        c.output().unwrap()
    };
    let out = run(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "the check itself runs: {stderr}");
    assert!(stderr.contains("HUNT_AWS_SECRET is not sent to a server chosen by contrakt.yaml"), "{stderr}");
    // The process has ended: a connection it made would be queued on the listener now.
    assert!(listener.accept().is_err(), "contrakt.yaml's server was contacted");
    // Allowed by the operator: contacted (the listener answers nothing: a history warning).
    let allowed = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            if listener.accept().is_ok() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    });
    let out = run(Some(&format!("127.0.0.1:{port}")));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(allowed.join().unwrap(), "the allowed server was not contacted");
}
