//! `contrakt alerts`: routing the example registry's check report (`--explain` snapshots), and
//! delivery end to end through the real binary to a webhook receiver on loopback.

#[path = "../../crates/contrakt-alert/tests/support/mod.rs"]
mod support;

use std::path::Path;

use support::Receiver;

use crate::{contrakt, contrakt_in, repo, with_stable_output};

const REPORT: &str = "fixtures/alerts/check-report.json";

#[test]
fn explain_says_who_is_told_of_what() {
    // Noon: outside the consumers route's quiet hours.
    let run =
        contrakt(["alerts", "route", "contracts/", "--report", REPORT, "--explain", "--now", "2026-11-22T12:00:00Z"]);
    run.assert_exit(0);
    with_stable_output(|| insta::assert_snapshot!("explain_example_registry", run.stdout));
}

#[test]
fn explain_holds_consumer_alerts_in_quiet_hours_and_has_a_json_form() {
    let run = contrakt([
        "alerts",
        "route",
        "contracts/orders.odcs.yaml",
        "--report",
        REPORT,
        "--explain",
        "--now",
        "2026-11-22T23:30:00Z",
        "--format",
        "json",
    ]);
    run.assert_exit(0);
    let checks = run.json()["checks"].as_array().unwrap().clone();
    let status = checks.iter().find(|c| c["check"]["id"] == "orders_status_valid").expect("status rule routed");
    let consumers =
        status["alerts"].as_array().unwrap().iter().find(|a| a["alert"]["audience"] == "consumers").unwrap();
    let d = &consumers["deliveries"][0];
    assert_eq!(d["channel"], "alert-log");
    // Held until 07:00 the next morning.
    assert_eq!(d["held_until"], 1_795_417_200_000_i64, "{d}");
    let owners = status["alerts"].as_array().unwrap().iter().find(|a| a["alert"]["audience"] == "owners").unwrap();
    assert!(owners["deliveries"][0].get("held_until").is_none());
}

/// The example registry in a temp folder, with `alerts:` pointing at a webhook.
fn registry_with_webhook(dir: &Path) {
    let src = repo().join("contracts");
    std::fs::create_dir_all(dir.join("consumers")).unwrap();
    for entry in std::fs::read_dir(&src).unwrap().chain(std::fs::read_dir(src.join("consumers")).unwrap()) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") && path.file_name().unwrap() != "contrakt.yaml" {
            let rel = path.strip_prefix(&src).unwrap();
            std::fs::copy(&path, dir.join(rel)).unwrap();
        }
    }
    std::fs::write(
        dir.join("contrakt.yaml"),
        "version: 1\ncontracts: [\"*.odcs.yaml\"]\nalerts:\n  min-backoff: 10ms\n  channels:\n    - {name: hook, kind: webhook, url-env: CONTRAKT_TEST_HOOK_URL, secret-env: CONTRAKT_TEST_HOOK_SECRET}\n  routes:\n    - {name: errors, min-severity: error, match: {contracts: [\"urn:contrakt:meal-kit:orders\"]}, channels: [hook]}\n",
    )
    .unwrap();
}

fn contrakt_env(dir: &Path, url: &str, args: &[&str]) -> crate::Run {
    let report = repo().join(REPORT);
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if all[1] == "route" {
        all.extend(["--report".into(), report.display().to_string()]);
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"))
        .args(&all)
        .current_dir(dir)
        .env("CONTRAKT_TEST_HOOK_URL", url)
        .env("CONTRAKT_TEST_HOOK_SECRET", "hook-signing-secret")
        // Registries copied to a temp folder read the example data through a link to it: the
        // operator (this test) allows that folder, as a contract alone may not lead out.
        .env("CONTRAKT_ALLOW_CONTRACT_PATHS", repo().join("fixtures"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("CONTRAKT_LOG")
        .output()
        .unwrap();
    crate::Run {
        args: all,
        dir: dir.to_path_buf(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn route_delivers_once_and_a_rerun_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(dir.path());
    let receiver = Receiver::start();
    let url = receiver.url("/hooks/secret-path-token-123");
    let run = contrakt_env(dir.path(), &url, &["alerts", "route", "."]);
    run.assert_exit(0);
    let got = receiver.received();
    // The orders contract's failed (error) checks, each to owners and to consumers.
    assert!(got.len() >= 10, "{run}\n{} received", got.len());
    for r in &got {
        assert_eq!(r.json()["schema"], "contrakt.alert/v1");
        assert_eq!(r.json()["contract"]["id"], "urn:contrakt:meal-kit:orders");
        assert_eq!(r.json()["severity"], "error");
        let sig = contrakt_alert::channel::signature(b"hook-signing-secret", &r.body);
        assert_eq!(r.headers["x-contrakt-signature"], sig);
    }
    assert!(run.stdout.contains(&format!("delivered {}", got.len())), "{run}");
    let again = contrakt_env(dir.path(), &url, &["alerts", "route", "."]);
    again.assert_exit(0);
    assert_eq!(receiver.received().len(), got.len(), "the same report again alerts nobody\n{again}");
    assert!(again.stdout.contains("0 deliveries queued"), "{again}");
    let list = contrakt_env(dir.path(), &url, &["alerts", "list", "."]);
    list.assert_exit(0);
    let incidents = contrakt_env(dir.path(), &url, &["alerts", "list", ".", "--incidents"]);
    incidents.assert_exit(0);
    assert!(
        incidents
            .stdout
            .contains("urn:contrakt:meal-kit:orders orders_status_valid (orders): 2 failing runs, 1 alerts"),
        "{incidents}"
    );
    assert!(list.stdout.contains(&format!("{} deliveries", got.len())), "{list}");
    for shown in [&run, &again, &list] {
        assert!(!shown.stdout.contains("secret-path-token") && !shown.stderr.contains("secret-path-token"), "{shown}");
        assert!(!shown.stdout.contains("hook-signing-secret") && !shown.stderr.contains("hook-signing-secret"));
    }
    receiver.stop();
}

#[test]
fn dead_letters_are_listed_and_retried_and_secrets_stay_hidden() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(dir.path());
    let receiver = Receiver::start();
    receiver.answer((0..100).map(|_| (404, vec![])));
    let url = receiver.url("/hooks/secret-path-token-456");
    let run = contrakt_env(dir.path(), &url, &["alerts", "route", "."]);
    run.assert_exit(1);
    let failed = contrakt_env(dir.path(), &url, &["alerts", "list", ".", "--failed"]);
    failed.assert_exit(1);
    assert!(failed.stdout.contains("last error: HTTP 404"), "{failed}");
    let dead = receiver.received().len();
    receiver.stop();

    let receiver = Receiver::start();
    let url = receiver.url("/hooks/secret-path-token-456");
    let retry = contrakt_env(dir.path(), &url, &["alerts", "retry", "."]);
    retry.assert_exit(0);
    assert!(retry.stdout.starts_with(&format!("requeued {dead}; delivered {dead}")), "{retry}");
    contrakt_env(dir.path(), &url, &["alerts", "list", ".", "--failed"]).assert_exit(0);
    for shown in [&run, &failed, &retry] {
        assert!(!format!("{shown}").contains("secret-path-token"), "{shown}");
    }
    receiver.stop();
}

/// Issue #18: a receiver that answers 500 and echoes the token of its URL gets it neither into
/// the alert state nor onto stderr (with `-vv` logs), and what is kept of its answer is bounded.
#[test]
fn a_receiver_echoing_its_token_leaks_it_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(dir.path());
    let receiver = Receiver::start();
    let token = "secret-path-token-789";
    let url = receiver.url(&format!("/hooks/{token}"));
    let body = format!("no such hook {token}; you posted to {url} {}", "y".repeat(2000));
    receiver.answer((0..10_000).map(|_| (500, vec![(support::BODY, body.clone())])));
    let run = contrakt_env(dir.path(), &url, &["alerts", "route", ".", "-vv", "--deliver-for", "0.5"]);
    run.assert_exit(1);
    assert!(!receiver.received().is_empty(), "{run}");
    assert!(run.stderr.contains("delivery failed, will retry: HTTP 500: no such hook ***; you posted to ***"), "{run}");
    let failed = contrakt_env(dir.path(), &url, &["alerts", "list", ".", "--format", "json"]);
    let rows = failed.json();
    let error = rows["deliveries"][0]["last_error"].as_str().map(str::to_string);
    let error = error.unwrap_or_else(|| panic!("a last error is listed\n{failed}"));
    assert!(error.len() <= 600, "bounded: {} bytes", error.len());
    for shown in [&run, &failed] {
        assert!(!format!("{shown}").contains(token), "{shown}");
        assert!(!format!("{shown}").contains("hook-signing-secret"), "{shown}");
    }
    receiver.stop();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                    "the token is in {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn a_secret_written_into_the_config_is_refused_without_being_repeated() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(dir.path());
    let config = "version: 1\ncontracts: [\"*.odcs.yaml\"]\nalerts:\n  channels:\n    - name: team\n      kind: slack\n      url-env: https://hooks.slack.com/services/T0/B0/LiteralToken99\n";
    std::fs::write(dir.path().join("contrakt.yaml"), config).unwrap();
    let run = contrakt_in(
        dir.path(),
        ["alerts", "route", ".", "--report", &repo().join(REPORT).display().to_string(), "--explain"],
    );
    run.assert_exit(2);
    assert!(
        run.stdout.contains("must name an environment variable")
            || run.stderr.contains("must name an environment variable"),
        "{run}"
    );
    assert!(!format!("{run}").contains("LiteralToken99"), "{run}");
}

#[test]
fn unknown_alert_keys_are_located() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(dir.path());
    let config = "version: 1\ncontracts: [\"*.odcs.yaml\"]\nalerts:\n  channels:\n    - {name: log, kind: stdout}\n  routes:\n    - channels: [log]\n      min-severty: error\n";
    std::fs::write(dir.path().join("contrakt.yaml"), config).unwrap();
    let run = contrakt_in(dir.path(), ["alerts", "list", "."]);
    run.assert_exit(2);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("unknown field `min-severty`") && all.contains("contrakt.yaml:8:"), "{run}");
}

/// The fault test: `contrakt alerts route` killed with SIGKILL while sending 100 alerts,
/// then run again. Nothing is lost; a delivery in flight at the kill may arrive twice, with the
/// same idempotency key.
#[test]
fn a_run_killed_while_sending_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(dir.path());
    std::fs::write(
        dir.path().join("contrakt.yaml"),
        "version: 1\ncontracts: [\"*.odcs.yaml\"]\nalerts:\n  lease: 500ms\n  min-backoff: 10ms\n  channels:\n    - {name: hook, kind: webhook, url-env: CONTRAKT_TEST_HOOK_URL}\n",
    )
    .unwrap();
    // 50 failing checks on orders.status: each to the owners and to the consumers.
    let rows: Vec<serde_json::Value> = (0..50)
        .map(|i| {
            serde_json::json!({"id": format!("kill_rule_{i:02}"), "code": "Q303", "kind": "invalid-values",
                "object": "orders", "property": "status", "status": "fail", "severity": "error", "value": 1.0,
                "message": "1 of 10 rows invalid", "duration_ms": 1})
        })
        .collect();
    let report = serde_json::json!({"version": 1, "reports": [{"contract": "urn:contrakt:meal-kit:orders",
        "contract_version": "1.4.0", "file": "orders.odcs.yaml", "now": "2026-11-22T06:00:00Z", "results": rows}]});
    std::fs::write(dir.path().join("report.json"), report.to_string()).unwrap();
    let receiver = Receiver::start();
    receiver.slow(std::time::Duration::from_millis(25));
    let url = receiver.url("/hooks/k");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_contrakt"))
            .args(["alerts", "route", ".", "--report", "report.json"])
            .current_dir(dir.path())
            .env("CONTRAKT_TEST_HOOK_URL", &url)
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = spawn();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while receiver.received().len() < 30 && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = receiver.received().len();
    assert!((30..100).contains(&at_kill), "killed after {at_kill} deliveries");
    receiver.slow(std::time::Duration::ZERO);
    std::thread::sleep(std::time::Duration::from_millis(600)); // past the killed run's lease
    let status = spawn().wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let got = receiver.received();
    let keys: std::collections::BTreeSet<_> = got.iter().map(|r| r.headers["idempotency-key"].clone()).collect();
    let duplicated = got.len() - keys.len();
    eprintln!(
        "fault test: 100 alerts, {at_kill} received before SIGKILL, {} received in all, {} distinct, {duplicated} duplicated, {} lost",
        got.len(),
        keys.len(),
        100 - keys.len()
    );
    assert_eq!(keys.len(), 100, "nothing lost");
    assert!(duplicated <= 4, "at most the killed run's claimed batch is sent again ({duplicated})");
    receiver.stop();
}

/// `contrakt run`, the cron job, through the real binary over the orders data with its known
/// violations: it checks, records the history, alerts, and exits with the check's status. Two runs
/// over the same data send one set of alerts; `--dry-run-alerts` prints them and sends nothing.
#[test]
fn run_checks_records_and_alerts_once() {
    let with_history = |dir: &Path| {
        registry_with_webhook(dir);
        let config = std::fs::read_to_string(dir.join("contrakt.yaml")).unwrap();
        std::fs::write(dir.join("contrakt.yaml"), format!("{config}history:\n  path: .contrakt/history.db\n")).unwrap();
    };
    let dir = tempfile::tempdir().unwrap();
    with_history(dir.path());
    let data = format!("orders={}", repo().join("fixtures/data/orders/*.parquet").display());
    let args = ["run", "orders.odcs.yaml", "--data", data.as_str(), "--now", "2026-11-22T06:00:00Z"];
    let receiver = Receiver::start();
    let url = receiver.url("/hooks/run-secret-token");
    let first = contrakt_env(dir.path(), &url, &args);
    first.assert_exit(1);
    assert!(first.stdout.contains("orders_status_valid"), "the check's report\n{first}");
    let sent = receiver.received().len();
    // The orders data's failed checks (error severity), to the owners and the consumers.
    assert!(sent >= 10, "{first}\n{sent} received");
    assert!(first.stderr.contains(&format!("delivered {sent}, failed attempts 0")), "{first}");
    for r in receiver.received() {
        assert_eq!(r.json()["checked_at"], "2026-11-22T06:00:00Z");
        assert_eq!(r.json()["contract"]["id"], "urn:contrakt:meal-kit:orders");
    }

    let second = contrakt_env(dir.path(), &url, &args);
    second.assert_exit(1);
    assert_eq!(receiver.received().len(), sent, "the same data again alerts nobody\n{second}");
    assert!(second.stderr.contains("0 deliveries queued"), "{second}");
    let history = contrakt_env(dir.path(), &url, &["history", "--format", "json", "--metric", "rowCount"]);
    history.assert_exit(0);
    let runs: std::collections::BTreeSet<i64> =
        history.json().as_array().unwrap().iter().map(|p| p["run_id"].as_i64().unwrap()).collect();
    assert_eq!(runs.len(), 2, "both runs recorded\n{history}");

    let dry_dir = tempfile::tempdir().unwrap();
    with_history(dry_dir.path());
    let mut dry_args = args.to_vec();
    dry_args.push("--dry-run-alerts");
    let dry = contrakt_env(dry_dir.path(), &url, &dry_args);
    dry.assert_exit(1);
    assert_eq!(receiver.received().len(), sent, "a dry run sends nothing");
    assert!(!dry_dir.path().join(".contrakt/alerts.db").exists(), "nor records an incident");
    assert!(dry.stdout.contains("── hook (webhook) · owners · route errors\n{"), "{dry}");
    assert!(dry.stdout.contains("\"schema\": \"contrakt.alert/v1\""), "{dry}");
    assert!(dry.stdout.contains(&format!("dry run: {sent} payloads, nothing sent or recorded")), "{dry}");
    for shown in [&first, &second, &dry] {
        assert!(
            !format!("{shown}").contains("run-secret-token") && !format!("{shown}").contains("hook-signing-secret")
        );
    }
    receiver.stop();
}

/// `contrakt breaking … --notify`: a proposed rename of `orders.status` tells the consumers who
/// read it, and the owners which consumers were told; the same comparison again tells nobody.
#[test]
fn breaking_notify_tells_the_consumers_a_change_breaks_once() {
    let dir = tempfile::tempdir().unwrap();
    registry_with_webhook(&dir.path().join("old"));
    registry_with_webhook(&dir.path().join("new"));
    let orders = dir.path().join("new/orders.odcs.yaml");
    let text = std::fs::read_to_string(&orders).unwrap();
    // `status` becomes an integer: every reader of orders.status breaks.
    let renamed = text.replacen(
        "        logicalType: string\n        logicalTypeOptions:\n          maxLength: 16\n        physicalType: varchar(16)\n",
        "        logicalType: integer\n        physicalType: integer\n",
        1,
    );
    assert_ne!(text, renamed);
    std::fs::write(&orders, renamed).unwrap();
    let receiver = Receiver::start();
    let url = receiver.url("/hooks/preflight");
    let args = ["breaking", "new", "--against", "old", "--notify"];
    let run = contrakt_env(dir.path(), &url, &args);
    run.assert_exit(1);
    let got = receiver.received();
    let bodies: Vec<serde_json::Value> = got.iter().map(|r| r.json()).collect();
    let consumers: Vec<&serde_json::Value> = bodies.iter().filter(|b| b["audience"] == "consumers").collect();
    let owners: Vec<&serde_json::Value> = bodies.iter().filter(|b| b["audience"] == "owners").collect();
    assert!(!consumers.is_empty() && consumers.len() == owners.len(), "{run}\n{bodies:#?}");
    let told: std::collections::BTreeSet<&str> = consumers
        .iter()
        .flat_map(|b| b["recipients"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(told, ["finance-revenue-dashboard", "logistics-planner", "marketing-crm-sync"].into());
    let c = consumers[0];
    assert_eq!(c["contract"]["id"], "urn:contrakt:meal-kit:orders");
    assert!(
        c["title"].as_str().unwrap().starts_with("BREAKING: a proposed change to Orders breaks orders.status"),
        "{c:#}"
    );
    assert!(c["text"].as_str().unwrap().contains("Why you: finance-revenue-dashboard (reads orders.status)"), "{c:#}");
    let o = owners[0];
    assert!(
        o["text"].as_str().unwrap().contains("Consumers told: finance-revenue-dashboard (reads orders.status)"),
        "{o:#}"
    );
    assert_eq!(o["recipients"][0]["role"], "owner");
    assert!(run.stderr.contains(&format!("deliveries queued; delivered {}", got.len())), "{run}");

    let again = contrakt_env(dir.path(), &url, &args);
    again.assert_exit(1);
    assert_eq!(receiver.received().len(), got.len(), "the same comparison tells nobody again\n{again}");
    assert!(again.stderr.contains(" 0 deliveries queued"), "{again}");
    receiver.stop();
}

/// `contrakt publish … --notify`: a refused release of deliveries alerts the owners, and of the
/// consumers only those whose data it puts at risk (the logistics planner relies on the latency
/// SLA; a carrier report that reads none of the failed columns is not told). The next, passing
/// release resolves it.
#[test]
fn a_refused_publish_alerts_the_owners_and_the_consumers_at_risk() {
    // The registry beside the example data, so references into `orders` can be checked.
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(repo().join("fixtures"), tmp.path().join("fixtures")).unwrap();
    let dir = tmp.path().join("contracts");
    let dir = dir.as_path();
    registry_with_webhook(dir);
    std::fs::write(
        dir.join("contrakt.yaml"),
        "version: 1\ncontracts: [\"*.odcs.yaml\"]\nalerts:\n  min-backoff: 10ms\n  channels:\n    - {name: hook, kind: webhook, url-env: CONTRAKT_TEST_HOOK_URL}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("consumers/carrier-report.yaml"),
        "apiVersion: contrakt/v1\nkind: Consumer\nid: carrier-report\ncontacts:\n  - {channel: email, target: carriers@freshbox.example.com}\nuses:\n  - contract: urn:contrakt:meal-kit:deliveries\n    criticality: low\n    reads: [deliveries.carrier]\n    relies_on:\n      sla: [availability]\n",
    )
    .unwrap();
    let target = tmp.path().join("published");
    let receiver = Receiver::start();
    let url = receiver.url("/hooks/publish");
    let publish = |kind: &str| {
        let staged = repo().join("fixtures/data/staged").join(format!("deliveries-{kind}"));
        let (staged, to) = (staged.display().to_string(), target.display().to_string());
        let args = ["publish", "deliveries.odcs.yaml", "--staged", &staged, "--to", &to];
        contrakt_env(dir, &url, &[&args[..], &["--now", "2026-11-22T06:00:00Z", "--notify"]].concat())
    };
    let refused = publish("broken");
    refused.assert_exit(1);
    let got: Vec<serde_json::Value> = receiver.received().iter().map(|r| r.json()).collect();
    let owners: Vec<&serde_json::Value> = got.iter().filter(|b| b["audience"] == "owners").collect();
    let consumers: Vec<&serde_json::Value> = got.iter().filter(|b| b["audience"] == "consumers").collect();
    let attempts =
        owners.iter().find(|b| b["check"]["property"] == "attempt_count").expect("the failed check, to the owners");
    assert_eq!(attempts["publish"]["outcome"], "refused", "{attempts:#}");
    assert!(
        attempts["title"].as_str().unwrap().starts_with("REFUSED: staged deliveries.attempt_count fails"),
        "{attempts:#}"
    );
    assert!(
        attempts["text"]
            .as_str()
            .unwrap()
            .contains("failed its audit against contract urn:contrakt:meal-kit:deliveries")
    );
    let told: std::collections::BTreeSet<&str> = consumers
        .iter()
        .flat_map(|b| b["recipients"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()))
        .collect();
    assert_eq!(told, ["logistics-planner"].into(), "{refused}");
    let late = consumers.iter().find(|b| b["check"]["property"] == "attempt_count").expect("told of the failed check");
    assert!(late["title"].as_str().unwrap().starts_with("LATE: a new release of deliveries failed its audit"));
    let because = late["recipients"][0]["because"].as_array().unwrap();
    assert_eq!(because, &[serde_json::json!("relies on SLA latency, which the refused release misses")]);

    let published = publish("fixed");
    published.assert_exit(0);
    let after: Vec<serde_json::Value> = receiver.received()[got.len()..].iter().map(|r| r.json()).collect();
    assert!(after.iter().any(|b| b["check"]["property"] == "attempt_count" && b["event"] == "resolve"), "{published}");
    assert!(after.iter().all(|b| b["event"] == "resolve" && b["publish"]["outcome"] == "published"));
    receiver.stop();
}
