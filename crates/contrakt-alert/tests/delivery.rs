//! Delivery against a real HTTP receiver on loopback: payloads, signatures, retries, backoff,
//! `Retry-After`, a receiver that is down, dead letters, deduplication and resolution.
//! Every loop here is bounded in count and time.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use contrakt_alert::config::Secrets;
use contrakt_alert::outbox::{self, Delivered};
use contrakt_alert::pipeline::Recorded;
use contrakt_alert::{Registry, Settings, Store};
use contrakt_core::SourceFile;
use support::{Receiver, registry, report};

const T0: i64 = 1_795_327_200_000; // 2026-11-22T06:00:00Z
const HOUR: i64 = 3_600_000;
const SECRET: &str = "s3cr3t-signing-key";

/// Settings from an `alerts:` section, rooted in `dir`, with secrets from a map.
fn settings(dir: &Path, alerts: &str, secrets: &[(&str, String)]) -> Settings {
    let text = format!("version: 1\nalerts:\n{alerts}");
    let source = SourceFile::new("contrakt.yaml", text);
    let config = contrakt_core::config::load(source.clone()).expect("config");
    let mut s = contrakt_alert::resolve(&config.alerts, dir, Some(&source)).expect("resolves");
    s.secrets = Secrets::Fixed(secrets.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>());
    s.min_backoff = Duration::from_millis(20);
    s
}

fn webhook(dir: &Path, receiver: &Receiver, audience: &str) -> Settings {
    settings(
        dir,
        &format!(
            "  channels:\n    - {{name: hook, kind: webhook, url-env: HOOK_URL, secret-env: HOOK_SECRET}}\n  routes:\n    - {{audience: {audience}, channels: [hook]}}\n"
        ),
        &[("HOOK_URL", receiver.url("/alerts")), ("HOOK_SECRET", SECRET.into())],
    )
}

fn record(store: &mut Store, s: &Settings, results: &[(&str, Option<&str>, &str)], now: i64) -> Recorded {
    let (contracts, consumers) = registry();
    let registry = Registry { contracts: &contracts, consumers: &consumers };
    contrakt_alert::record(&report(results), &registry, s, store, now).expect("records").0
}

fn deliver(store: &mut Store, s: &Settings, secs: f64) -> Delivered {
    outbox::deliver(store, s, Duration::from_secs_f64(secs)).expect("delivers")
}

const STATUS_FAILS: &[(&str, Option<&str>, &str)] = &[("orders_status_valid", Some("status"), "fail")];

#[test]
fn webhook_body_is_versioned_keyed_and_signed() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = webhook(dir.path(), &receiver, "all");
    let mut store = Store::open(&s.state).unwrap();
    let r = record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!((r.opened, r.queued), (1, 2), "one incident, an owners and a consumers alert");
    assert_eq!(deliver(&mut store, &s, 10.0), Delivered { delivered: 2, ..Default::default() });

    let got = receiver.received();
    assert_eq!(got.len(), 2);
    for req in &got {
        assert_eq!(req.path, "/alerts");
        let body = req.json();
        assert_eq!(body["schema"], "contrakt.alert/v1");
        assert_eq!(body["event"], "trigger");
        assert_eq!(body["contract"]["id"], "urn:contrakt:meal-kit:orders");
        assert_eq!(body["check"]["id"], "orders_status_valid");
        assert_eq!(req.headers["idempotency-key"], body["idempotency_key"].as_str().unwrap());
        assert_eq!(req.headers["content-type"], "application/json");
        // The receiver's side of the signature: HMAC-SHA256 of the raw body under the secret.
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
        let hex = req.headers["x-contrakt-signature"].strip_prefix("sha256=").expect("sha256= prefix");
        let tag: Vec<u8> = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        ring::hmac::verify(&key, &req.body, &tag).expect("the signature verifies");
    }
    let audiences: Vec<_> = got.iter().map(|r| r.json()["audience"].as_str().unwrap().to_string()).collect();
    assert_eq!(audiences, ["owners", "consumers"]);
    let consumers = got[1].json();
    let ids: Vec<&str> =
        consumers["recipients"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["finance-revenue-dashboard", "logistics-planner", "marketing-crm-sync"]);
    assert!(
        got[0].json()["runbook"]["reproduce"]
            .as_str()
            .unwrap()
            .starts_with("contrakt check contracts/orders.odcs.yaml")
    );
    receiver.stop();
}

#[test]
fn three_server_errors_then_success_delivers_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    receiver.answer([(500, vec![]), (500, vec![]), (500, vec![])]);
    let s = webhook(dir.path(), &receiver, "owners");
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let d = deliver(&mut store, &s, 20.0);
    assert_eq!(d, Delivered { delivered: 1, retried: 3, dead: 0, pending: 0 });
    let got = receiver.received();
    assert_eq!(got.len(), 4);
    let keys: std::collections::BTreeSet<_> = got.iter().map(|r| r.headers["idempotency-key"].clone()).collect();
    assert_eq!(keys.len(), 1, "every attempt carries the same key");
    // Backoff doubles: 10–20 ms, 20–40 ms, 40–80 ms (jitter over the upper half).
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[0] >= Duration::from_millis(10) && gaps[2] >= Duration::from_millis(40), "{gaps:?}");
    let rows = outbox::list(&store, false).unwrap();
    assert_eq!((rows[0].state.as_str(), rows[0].attempts), ("delivered", 4));
    // A second run has nothing left to send.
    assert_eq!(deliver(&mut store, &s, 1.0).delivered, 0);
    assert_eq!(receiver.received().len(), 4);
    receiver.stop();
}

#[test]
fn retry_after_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    receiver.answer([(429, vec![("Retry-After", "1".to_string())])]);
    let s = webhook(dir.path(), &receiver, "owners");
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let d = deliver(&mut store, &s, 10.0);
    assert_eq!((d.delivered, d.retried), (1, 1));
    let got = receiver.received();
    let gap = got[1].at - got[0].at;
    // The backoff alone would have waited ~20 ms.
    assert!(gap >= Duration::from_millis(950), "waited only {gap:?}");
    receiver.stop();
}

#[test]
fn a_receiver_that_is_down_gets_the_alert_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let addr = receiver.addr;
    let s = webhook(dir.path(), &receiver, "owners");
    receiver.stop();
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let d = deliver(&mut store, &s, 0.3);
    assert_eq!(d.delivered, 0);
    assert_eq!(d.pending, 1, "kept in the outbox");
    assert!(d.retried >= 1);
    drop(store);

    // Back up, and a later run (a new process would open the same file) delivers it.
    let receiver = Receiver::bind(addr);
    std::thread::sleep(Duration::from_millis(300)); // past the last backoff
    let mut store = Store::open(&s.state).unwrap();
    let d = deliver(&mut store, &s, 10.0);
    assert_eq!((d.delivered, d.pending), (1, 0));
    assert_eq!(receiver.received().len(), 1);
    receiver.stop();
}

#[test]
fn a_permanent_client_error_is_a_dead_letter_until_retried() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    receiver.answer([(404, vec![])]);
    let s = webhook(dir.path(), &receiver, "owners");
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let d = deliver(&mut store, &s, 10.0);
    assert_eq!(d, Delivered { delivered: 0, retried: 0, dead: 1, pending: 0 });
    let dead = outbox::list(&store, true).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("HTTP 404: no"));
    assert_eq!(outbox::requeue(&mut store, &[]).unwrap(), 1);
    let d = deliver(&mut store, &s, 10.0);
    assert_eq!(d.delivered, 1);
    assert!(outbox::list(&store, true).unwrap().is_empty());
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].headers["idempotency-key"], got[1].headers["idempotency-key"]);
    receiver.stop();
}

#[test]
fn the_same_failure_alerts_once_a_rise_alerts_again_and_a_pass_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = webhook(dir.path(), &receiver, "owners");
    let mut store = Store::open(&s.state).unwrap();
    let warn = &[("orders_status_valid", Some("status"), "warn")];
    let pass = &[("orders_status_valid", Some("status"), "pass")];

    assert_eq!(record(&mut store, &s, warn, T0).opened, 1);
    let again = record(&mut store, &s, warn, T0 + HOUR);
    assert_eq!((again.suppressed, again.queued), (1, 0), "within the cool-down: no alert");
    let worse = record(&mut store, &s, STATUS_FAILS, T0 + 2 * HOUR);
    assert_eq!((worse.escalated, worse.queued), (1, 1), "warning → error alerts at once");
    let same = record(&mut store, &s, STATUS_FAILS, T0 + 3 * HOUR);
    assert_eq!(same.suppressed, 1);
    let later = record(&mut store, &s, STATUS_FAILS, T0 + 27 * HOUR);
    assert_eq!((later.reminded, later.queued), (1, 1), "after the 24 h cool-down: a reminder");
    let fixed = record(&mut store, &s, pass, T0 + 28 * HOUR);
    assert_eq!((fixed.resolved, fixed.queued), (1, 1));
    let quiet = record(&mut store, &s, pass, T0 + 29 * HOUR);
    assert_eq!(quiet, Recorded::default(), "a pass with nothing open says nothing");
    let reopened = record(&mut store, &s, warn, T0 + 30 * HOUR);
    assert_eq!((reopened.opened, reopened.queued), (1, 1));

    assert_eq!(deliver(&mut store, &s, 10.0).delivered, 5);
    let events: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| format!("{} {}", r.json()["event"].as_str().unwrap(), r.json()["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(events, ["trigger warning", "trigger error", "trigger error", "resolve error", "trigger warning"]);
    let keys: std::collections::BTreeSet<_> =
        receiver.received().iter().map(|r| r.headers["idempotency-key"].clone()).collect();
    assert_eq!(keys.len(), 5, "each alert its own key");
    receiver.stop();
}

#[test]
fn slack_gets_block_kit_and_its_url_is_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let secret_url = receiver.url("/services/T0001/B0001/XyZsecretTOKEN42");
    let s = settings(
        dir.path(),
        "  runbook-url: https://runbooks.example.com/data-quality\n  channels:\n    - {name: slack, kind: slack, url-env: SLACK_URL}\n  routes:\n    - {audience: owners, channels: [slack]}\n",
        &[("SLACK_URL", secret_url.clone())],
    );
    assert!(!format!("{s:?}").contains("XyZsecretTOKEN42"));
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!(deliver(&mut store, &s, 10.0).delivered, 1);
    let body = receiver.received()[0].json();
    insta::assert_json_snapshot!("slack_owner_message", body);

    // Down: the error recorded must not carry the URL or its token.
    let addr = receiver.addr;
    receiver.stop();
    let _ = addr;
    let pass = &[("orders_status_valid", Some("status"), "pass")];
    record(&mut store, &s, pass, T0 + HOUR);
    let d = deliver(&mut store, &s, 0.2);
    assert_eq!(d.pending, 1);
    let rows = outbox::list(&store, false).unwrap();
    let shown = serde_json::to_string(&rows).unwrap();
    assert!(rows.iter().any(|r| r.last_error.is_some()), "{shown}");
    assert!(!shown.contains("XyZsecretTOKEN42") && !shown.contains(&secret_url), "{shown}");
    drop(store);
    let raw = std::fs::read(&s.state).unwrap();
    let wal = std::fs::read(s.state.with_extension("db-wal")).unwrap_or_default();
    let needle = b"XyZsecretTOKEN42";
    let holds = |b: &[u8]| b.windows(needle.len()).any(|w| w == needle);
    assert!(!holds(&raw) && !holds(&wal), "the secret reached the state file");
}

#[test]
fn a_receiver_echoing_its_token_gets_a_bounded_masked_error_stored() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let token = "echoedTOKEN0000000042";
    let url = receiver.url(&format!("/hooks/{token}"));
    // A relay that says too much: the token alone, the whole URL, the signing secret, and a
    // kilobyte more, with the token again at the end.
    let body = format!("bad hook {token} at {url} (signed with {SECRET}) {} tail {token}", "x".repeat(1000));
    receiver.answer((0..50).map(|_| (500, vec![(support::BODY, body.clone())])));
    let s = settings(
        dir.path(),
        "  channels:\n    - {name: hook, kind: webhook, url-env: HOOK_URL, secret-env: HOOK_SECRET}\n  routes:\n    - {audience: owners, channels: [hook]}\n",
        &[("HOOK_URL", url.clone()), ("HOOK_SECRET", SECRET.into())],
    );
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let d = deliver(&mut store, &s, 0.3);
    assert_eq!(d.delivered, 0);
    assert!(!receiver.received().is_empty());
    let rows = outbox::list(&store, false).unwrap();
    let error = rows[0].last_error.clone().expect("the failure is recorded");
    assert!(error.starts_with("HTTP 500: bad hook *** at *** (signed with ***) xxx"), "{error}");
    assert!(error.len() <= 600, "bounded: {} bytes", error.len());
    for secret in [token, SECRET, url.as_str()] {
        assert!(!error.contains(secret), "{error}");
    }
    drop(store);
    for file in std::fs::read_dir(s.state.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap_or_default();
        for secret in [token, SECRET] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "{secret} in the state");
        }
    }
    receiver.stop();
}

#[test]
fn two_senders_over_one_outbox_send_each_alert_once() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = webhook(dir.path(), &receiver, "all");
    let mut store = Store::open(&s.state).unwrap();
    let ids: Vec<String> = (0..20).map(|i| format!("rule_{i}")).collect();
    let results: Vec<(&str, Option<&str>, &str)> = ids.iter().map(|id| (id.as_str(), Some("status"), "fail")).collect();
    assert_eq!(record(&mut store, &s, &results, T0).queued, 40);
    drop(store);
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&s.state).unwrap();
                outbox::deliver(&mut store, &s, Duration::from_secs(20)).unwrap().delivered
            })
        })
        .collect();
    let total: usize = senders.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 40);
    let got = receiver.received();
    let keys: std::collections::BTreeSet<_> = got.iter().map(|r| r.headers["idempotency-key"].clone()).collect();
    assert_eq!((got.len(), keys.len()), (40, 40), "nothing twice, nothing lost");
    receiver.stop();
}

#[test]
fn the_file_channel_writes_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), "  channels:\n    - {name: log, kind: file, path: alerts/alerts.jsonl}\n", &[]);
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!(deliver(&mut store, &s, 5.0).delivered, 2);
    let text = std::fs::read_to_string(dir.path().join("alerts/alerts.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["schema"], "contrakt.alert/v1");
    assert_eq!(lines[1]["audience"], "consumers");
}

#[test]
fn pagerduty_triggers_then_resolves_on_one_dedup_key() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = settings(
        dir.path(),
        "  channels:\n    - {name: pager, kind: pagerduty, routing-key-env: PD_KEY, url-env: PD_URL}\n  routes:\n    - {audience: owners, min-severity: error, channels: [pager]}\n",
        &[("PD_KEY", "R0UTINGKEY0123456789abcdef012345".into()), ("PD_URL", receiver.url("/v2/enqueue"))],
    );
    receiver.answer([(202, vec![])]);
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    record(&mut store, &s, &[("orders_status_valid", Some("status"), "pass")], T0 + HOUR);
    assert_eq!(deliver(&mut store, &s, 10.0).delivered, 2);
    let got = receiver.received();
    let (trigger, resolve) = (got[0].json(), got[1].json());
    assert_eq!(got[0].path, "/v2/enqueue");
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(trigger["dedup_key"], resolve["dedup_key"]);
    assert_eq!(trigger["routing_key"], "R0UTINGKEY0123456789abcdef012345");
    assert_eq!(trigger["payload"]["severity"], "error");
    assert_eq!(trigger["payload"]["source"], "urn:contrakt:meal-kit:orders v1.4.0");
    assert!(trigger["payload"]["summary"].as_str().unwrap().starts_with("FAIL: orders.status"));
    assert!(!format!("{s:?}").contains("R0UTINGKEY"));
    receiver.stop();
}

/// The server's CA certificate copied into the registry folder: `ca-file` names a file inside it.
fn ca_in(dir: &Path, ca: &Path) -> &'static str {
    std::fs::copy(ca, dir.join("ca.pem")).unwrap();
    "ca.pem"
}

/// An email channel to the loopback SMTP server.
fn email(dir: &Path, smtp: &support::SmtpServer, extra: &str, secrets: &[(&str, String)]) -> Settings {
    settings(
        dir,
        &format!(
            "  channels:\n    - {{name: mail, kind: email, host: 127.0.0.1, port: {}, from: \"contrakt <alerts@freshbox.example.com>\", to: [data-oncall@freshbox.example.com]{extra}}}\n",
            smtp.port
        ),
        secrets,
    )
}

const SMTP_PASSWORD: &str = "smtp-pa55word-Xq9";

#[test]
fn email_over_starttls_logs_in_and_sends_text_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = support::SmtpServer::start("starttls", Some(("alerts", SMTP_PASSWORD)));
    let ca = smtp.cert.clone().unwrap();
    let s = email(
        dir.path(),
        &smtp,
        &format!(
            ", tls: starttls, to-contacts: true, username: alerts, password-env: SMTP_PASS, ca-file: {}",
            ca_in(dir.path(), &ca)
        ),
        &[
            ("SMTP_PASS", SMTP_PASSWORD.into()),
            ("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", format!("127.0.0.1:{}", smtp.port)),
        ],
    );
    let mut store = Store::open(&s.state).unwrap();
    assert_eq!(record(&mut store, &s, STATUS_FAILS, T0).queued, 2);
    assert_eq!(deliver(&mut store, &s, 20.0), Delivered { delivered: 2, ..Default::default() });
    let got = smtp.messages();
    assert_eq!(got.len(), 2);
    let rows = outbox::list(&store, false).unwrap();
    for (m, row) in got.iter().zip(&rows) {
        assert_eq!(m["tls"], true, "STARTTLS before the mail");
        assert_eq!(m["login"], "alerts");
        assert_eq!(m["mail_from"], "alerts@freshbox.example.com");
        let h = &m["headers"];
        assert_eq!(h["from"], "contrakt <alerts@freshbox.example.com>");
        assert_eq!(h["subject"], row.title.as_str());
        assert_eq!(h["message-id"], format!("<{}@contrakt.alert>", row.key));
        assert_eq!(h["x-contrakt-event"], "trigger");
        assert_eq!(h["x-contrakt-fingerprint"], row.fingerprint.as_str());
        assert_eq!(m["content_type"], "multipart/alternative");
        let parts = m["parts"].as_array().unwrap();
        let types: Vec<&str> = parts.iter().map(|p| p["content_type"].as_str().unwrap()).collect();
        assert_eq!(types, ["text/plain", "text/html"]);
        let (text, html) = (parts[0]["body"].as_str().unwrap(), parts[1]["body"].as_str().unwrap());
        assert!(text.contains("What failed: Q303 invalid-values on orders.status"), "{text}");
        assert!(html.contains("<th align=\"left\">Where</th><td>orders.status</td>"), "{html}");
    }
    let (owners, consumers) = (&got[0], &got[1]);
    assert!(owners["headers"]["subject"].as_str().unwrap().starts_with("FAIL: orders.status breaks Q303"));
    // The owners get the sample rows: as JSON in the text, escaped in the HTML.
    assert!(owners["parts"][0]["body"].as_str().unwrap().contains(r#"{"order_id":"427eceae","status":"lost"}"#));
    assert!(owners["parts"][1]["body"].as_str().unwrap().contains("{&quot;order_id&quot;:&quot;427eceae&quot;"));
    // to-contacts: the owners' email support channel and the consumers' email contacts too.
    assert_eq!(
        owners["rcpt_tos"],
        serde_json::json!(["data-oncall@freshbox.example.com", "commerce-data@freshbox.example.com"])
    );
    assert_eq!(
        consumers["rcpt_tos"],
        serde_json::json!([
            "data-oncall@freshbox.example.com",
            "finance-data@freshbox.example.com",
            "logistics-oncall@freshbox.example.com",
            "growth-data@freshbox.example.com"
        ])
    );
    assert!(consumers["parts"][0]["body"].as_str().unwrap().starts_with("Data you rely on is failing"));
    // The password reaches the server and nothing else.
    drop(store);
    let raw = std::fs::read(&s.state).unwrap();
    let wal = std::fs::read(s.state.with_extension("db-wal")).unwrap_or_default();
    let needle = SMTP_PASSWORD.as_bytes();
    assert!(!raw.windows(needle.len()).any(|w| w == needle) && !wal.windows(needle.len()).any(|w| w == needle));
    assert!(!format!("{s:?}").contains(SMTP_PASSWORD));
}

#[test]
fn email_over_implicit_tls_and_plain_to_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = support::SmtpServer::start("tls", None);
    let ca = smtp.cert.clone().unwrap();
    let s = email(dir.path(), &smtp, &format!(", tls: tls, ca-file: {}", ca_in(dir.path(), &ca)), &[]);
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!(deliver(&mut store, &s, 20.0).delivered, 2);
    assert_eq!(smtp.messages().len(), 2);
    assert_eq!(smtp.messages()[0]["tls"], true);

    let dir = tempfile::tempdir().unwrap();
    let plain = support::SmtpServer::start("plain", None);
    let s = email(dir.path(), &plain, ", tls: none", &[]);
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!(deliver(&mut store, &s, 20.0).delivered, 2);
    assert_eq!(plain.messages()[1]["tls"], false);
}

#[test]
fn an_untrusted_certificate_is_a_dead_letter_and_plain_smtp_stays_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = support::SmtpServer::start("starttls", None);
    // No ca-file: the self-signed certificate is not trusted, and nothing is sent in clear.
    let s = email(dir.path(), &smtp, "", &[]);
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let d = deliver(&mut store, &s, 20.0);
    assert_eq!((d.delivered, d.dead), (0, 2), "{d:?}");
    assert!(smtp.messages().is_empty());
    let dead = outbox::list(&store, true).unwrap();
    let error = dead[0].last_error.as_deref().unwrap();
    assert!(error.starts_with("SMTP 127.0.0.1:") && error.to_lowercase().contains("certificate"), "{error}");

    let refuse = |alerts: &str| {
        let text = format!("version: 1\nalerts:\n{alerts}");
        let source = SourceFile::new("contrakt.yaml", text);
        let config = contrakt_core::config::load(source.clone()).expect("shape");
        contrakt_alert::resolve(&config.alerts, dir.path(), Some(&source)).expect_err("refused").to_string()
    };
    let e = refuse(
        "  channels:\n    - {name: m, kind: email, host: smtp.example.com, tls: none, from: a@b.example, to: [c@d.example]}\n",
    );
    assert!(e.contains("tls: none sends in clear text and is allowed only to a loopback host"), "{e}");
    let e = refuse(
        "  channels:\n    - {name: m, kind: email, host: smtp.example.com, from: not an address, to: [c@d.example]}\n",
    );
    assert!(e.contains("`not an address` is not an email address"), "{e}");
    let e = refuse(
        "  channels:\n    - {name: m, kind: email, host: h, from: a@b.example, to: [c@d.example], username: u, password-env: hunter2}\n",
    );
    assert!(e.contains("password-env must name an environment variable") && !e.contains("hunter2"), "{e}");
    let e = refuse("  channels:\n    - {name: w, kind: webhook, url-env: U, host: smtp.example.com}\n");
    assert!(e.contains("`host` applies to email channels only"), "{e}");
}

#[test]
fn teams_gets_an_adaptive_card() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = settings(
        dir.path(),
        "  runbook-url: https://runbooks.example.com/data-quality\n  channels:\n    - {name: teams, kind: teams, url-env: TEAMS_URL}\n",
        &[("TEAMS_URL", receiver.url("/webhookb2/abc/IncomingWebhook/def"))],
    );
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!(deliver(&mut store, &s, 10.0).delivered, 2);
    let got = receiver.received();
    assert_eq!(got[0].path, "/webhookb2/abc/IncomingWebhook/def");
    assert_eq!(got[0].headers["content-type"], "application/json");
    insta::assert_json_snapshot!("teams_owner_message", got[0].json());
    let consumers = got[1].json();
    let card = &consumers["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert!(card["body"][2]["text"].as_str().unwrap().starts_with("Data you rely on is failing"));
    receiver.stop();
}

#[test]
fn the_generic_webhook_body() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = webhook(dir.path(), &receiver, "owners");
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    assert_eq!(deliver(&mut store, &s, 10.0).delivered, 1);
    insta::assert_json_snapshot!("webhook_owner_body", receiver.received()[0].json());
    receiver.stop();
}

#[test]
fn a_channel_template_words_the_message_and_escapes_its_html() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = support::SmtpServer::start("plain", None);
    std::fs::write(
        dir.path().join("owners.yaml"),
        "title: \"[{{ severity }}] {{contract}} {{where}}: {{check}}\"\ntext: |\n  {{message}}\n  Rerun: {{reproduce}}\nhtml: |\n  <p><b>{{rule}}</b> {{message}}</p>\n  <pre>{{samples}}</pre>\n",
    )
    .unwrap();
    let s = email(dir.path(), &smtp, ", tls: none, template: owners.yaml", &[]);
    let mut store = Store::open(&s.state).unwrap();
    // A rule whose name and sample hold markup: the HTML shows it, never runs it.
    let mut runs = report(STATUS_FAILS);
    runs[0].report.results[0].message = "3 rows <script>alert(1)</script> & more".into();
    let (contracts, consumers) = registry();
    let registry = Registry { contracts: &contracts, consumers: &consumers };
    contrakt_alert::record(&runs, &registry, &s, &mut store, T0).unwrap();
    assert_eq!(deliver(&mut store, &s, 20.0).delivered, 2);
    let m = &smtp.messages()[0];
    assert_eq!(m["headers"]["subject"], "[error] urn:contrakt:meal-kit:orders orders.status: Q303 invalid-values");
    // Mail lines end in CRLF on the wire.
    let part = |i: usize| m["parts"][i]["body"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(
        part(0),
        "3 rows <script>alert(1)</script> & more\nRerun: contrakt check contracts/orders.odcs.yaml --object orders --now 2026-11-22T06:00:00Z --sample 100\n"
    );
    assert_eq!(
        part(1),
        "<p><b>orders_status_valid</b> 3 rows &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>\n<pre>{&quot;order_id&quot;:&quot;427eceae&quot;,&quot;status&quot;:&quot;lost&quot;}</pre>\n"
    );

    // A placeholder that does not exist is refused when the configuration is read, located.
    std::fs::write(dir.path().join("typo.yaml"), "title: ok\ntext: \"{{contract}} {{severety}}\"\n").unwrap();
    let text = "version: 1\nalerts:\n  channels:\n    - {name: log, kind: stdout, template: typo.yaml}\n";
    let source = SourceFile::new("contrakt.yaml", text);
    let config = contrakt_core::config::load(source.clone()).unwrap();
    let e = contrakt_alert::resolve(&config.alerts, dir.path(), Some(&source)).expect_err("unknown placeholder");
    let shown = format!("{e}");
    assert!(shown.contains("alert template `text`: unknown placeholder `{{severety}}`"), "{shown}");
    let located = match &e {
        contrakt_alert::Error::Input(inner) => contrakt_core::Finding::from_error(inner, None),
        other => panic!("{other}"),
    };
    let file = located[0].file.as_ref().expect("located in the template");
    assert!(file.name().ends_with("typo.yaml"), "{}", file.name());
    assert_eq!(file.location(located[0].span.expect("a span").range().start).line, 2);
}

#[test]
fn a_receiver_that_never_answers_times_out_and_the_next_run_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    // It accepts and reads the request, then says nothing for longer than the send may take.
    receiver.slow(Duration::from_secs(30));
    let mut s = webhook(dir.path(), &receiver, "owners");
    s.timeout = Duration::from_millis(300);
    let mut store = Store::open(&s.state).unwrap();
    record(&mut store, &s, STATUS_FAILS, T0);
    let started = std::time::Instant::now();
    let d = deliver(&mut store, &s, 0.5);
    assert_eq!((d.delivered, d.pending), (0, 1), "{d:?}");
    assert!(d.retried >= 1, "{d:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "each send is bounded: {:?}", started.elapsed());
    let rows = outbox::list(&store, false).unwrap();
    assert_eq!(rows[0].state, "pending");
    assert!(
        rows[0].last_error.as_deref().is_some_and(|e| e.contains("timeout") || e.contains("timed out")),
        "{rows:?}"
    );
    drop(store);

    // The next run, with the receiver answering again, delivers it under the same key.
    receiver.slow(Duration::ZERO);
    std::thread::sleep(Duration::from_millis(100)); // past the backoff
    let mut store = Store::open(&s.state).unwrap();
    let d = deliver(&mut store, &s, 10.0);
    assert_eq!((d.delivered, d.pending), (1, 0), "{d:?}");
    let got = receiver.received();
    assert!(got.len() >= 2);
    let keys: std::collections::BTreeSet<_> = got.iter().map(|r| r.headers["idempotency-key"].clone()).collect();
    assert_eq!(keys.len(), 1, "every attempt carries the same key");
    receiver.stop();
}

#[test]
fn a_check_that_could_not_run_tells_the_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let s = webhook(dir.path(), &receiver, "all");
    let mut store = Store::open(&s.state).unwrap();
    let error = &[("orders_status_valid", Some("status"), "error")];
    let r = record(&mut store, &s, error, T0);
    assert_eq!((r.opened, r.queued), (1, 1), "owners only");
    assert_eq!(record(&mut store, &s, error, T0 + HOUR).suppressed, 1, "once per incident");
    let pass = &[("orders_status_valid", Some("status"), "pass")];
    assert_eq!(record(&mut store, &s, pass, T0 + 2 * HOUR).resolved, 1);
    assert_eq!(deliver(&mut store, &s, 10.0).delivered, 2);
    let got = receiver.received();
    let body = got[0].json();
    assert_eq!((body["audience"].as_str(), body["status"].as_str()), (Some("owners"), Some("error")));
    assert_eq!(body["title"], "ERROR: Q303 invalid-values on orders.status could not run (Orders v1.4.0)");
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("A check of contract urn:contrakt:meal-kit:orders v1.4.0 could not run"), "{text}");
    assert!(text.contains("Consumers told: none (they hear of failures"), "{text}");
    assert_eq!(got[1].json()["event"], "resolve");
    receiver.stop();
}

/// contrakt.yaml names the SMTP host; the password comes from the job's environment. Without
/// the operator's allowance for that host, no login is tried (nothing reaches the server) and
/// the delivery is a dead letter saying why.
#[test]
fn an_smtp_password_goes_only_to_an_allowed_host() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = support::SmtpServer::start("starttls", Some(("alerts", SMTP_PASSWORD)));
    let ca = smtp.cert.clone().unwrap();
    for allow in [None, Some("smtp.example.com, 127.0.0.1:1".to_string())] {
        let mut secrets = vec![("SMTP_PASS", SMTP_PASSWORD.to_string())];
        if let Some(a) = &allow {
            secrets.push(("CONTRAKT_ALLOW_CONTRACT_ENDPOINTS", a.clone()));
        }
        let s = email(
            dir.path(),
            &smtp,
            &format!(", tls: starttls, username: alerts, password-env: SMTP_PASS, ca-file: {}", ca_in(dir.path(), &ca)),
            &secrets,
        );
        let mut store = Store::open(&s.state).unwrap();
        record(&mut store, &s, STATUS_FAILS, T0);
        let got = deliver(&mut store, &s, 5.0);
        assert_eq!(got.delivered, 0, "{allow:?}: {got:?}");
        let dead = outbox::list(&store, true).unwrap();
        assert!(!dead.is_empty(), "{allow:?}: a dead letter");
        assert!(
            dead.iter().all(|d| d.last_error.as_deref().is_some_and(|e| e.contains("does not allow this host"))),
            "{dead:?}"
        );
        drop(store);
        let _ = std::fs::remove_file(&s.state);
    }
    assert!(smtp.messages().is_empty(), "the server received mail");
}
