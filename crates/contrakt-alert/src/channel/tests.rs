//! Hostile data and contract text through every channel's payload (issue #18): nothing from a
//! data value or a contract becomes live markup, a link, a mention or a command, and no
//! payload outgrows what its receiver takes.

use serde_json::{Value as Json, json};

use super::preview;
use crate::alert::{Alert, Event, Link};
use crate::config::{Channel, ChannelKind};
use crate::limit;
use crate::route::route;
use crate::route::tests::{example, row, run};
use contrakt_core::expect::Status;

const FENCE_AND_PING: &str = "```\n<!channel> <https://evil.example|Reset your password> ```";
const MARKDOWN_LINK: &str = "[Reset your password](https://evil.example/login)";
const HOSTILE_FILE: &str = "x;$(id>PWN);`id`'q'.yaml";

/// The owners' alert for a failed check whose samples, contract id and file are hostile.
fn hostile() -> Alert {
    let (contracts, consumers) = example();
    let doc = contracts.iter().find(|c| c.contract.id == "urn:contrakt:meal-kit:orders").unwrap();
    let mut r = row("orders_status_valid", "Q303", "invalid-values", Some("status"), Status::Fail);
    r.samples = vec![
        serde_json::from_value(json!({"order_id": "1", "note": FENCE_AND_PING})).unwrap(),
        serde_json::from_value(json!({"order_id": "2", "note": MARKDOWN_LINK})).unwrap(),
    ];
    let mut run = run("1.4.0", vec![r.clone()]);
    run.report.contract = "<!channel> *urn* [pwn](https://evil.example)".into();
    run.report.file = HOSTILE_FILE.into();
    let mut alert = route(&run, &r, doc, &consumers, Event::Trigger, None).alerts.remove(0);
    alert.runbook.links = vec![
        Link { label: "runbook".into(), url: "javascript:alert(document.cookie)".into() },
        Link { label: "contract".into(), url: " JavaScript:alert(1)".into() },
        Link { label: "wiki".into(), url: "https://wiki.example/orders".into() },
    ];
    alert
}

fn channel(kind: ChannelKind) -> Channel {
    Channel {
        name: kind.as_str().into(),
        kind,
        url_env: None,
        secret_env: None,
        routing_key_env: None,
        path: None,
        smtp: None,
        template: None,
    }
}

/// Every string in a JSON value.
fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a.iter().flat_map(strings).collect(),
        Json::Object(m) => m.values().flat_map(strings).collect(),
        _ => Vec::new(),
    }
}

/// A markdown link that a renderer would make clickable: `[text](url)` with no escape.
fn has_markdown_link(s: &str) -> bool {
    let b = s.as_bytes();
    (1..b.len()).any(|i| b[i - 1] == b']' && b[i] == b'(' && (i < 2 || b[i - 2] != b'\\'))
}

#[test]
fn slack_shows_data_as_text_not_as_mentions_links_or_a_closed_code_block() {
    let p = preview(&channel(ChannelKind::Slack), &hostile(), "k");
    for s in strings(&p) {
        assert!(!s.contains("<!channel>"), "a live mention: {s}");
        assert!(!s.contains("<https://evil"), "a disguised link: {s}");
    }
    let blocks = p["blocks"].as_array().unwrap();
    let samples =
        blocks.iter().find_map(|b| b["text"]["text"].as_str().filter(|t| t.starts_with("*Samples*"))).unwrap();
    let inside = samples.strip_prefix("*Samples*\n```").and_then(|s| s.strip_suffix("```")).unwrap();
    assert!(!inside.contains('`'), "a backtick inside the code block could close it: {inside}");
    assert!(inside.contains("&lt;!channel&gt; &lt;https://evil.example|Reset your password&gt;"), "{inside}");
    let fields = strings(&blocks[1]);
    assert!(fields.iter().any(|f| f.contains("&lt;!channel&gt; *urn*")), "{fields:?}");
    assert!(!p["text"].as_str().unwrap().contains('<'), "fallback: {}", p["text"]);
    let buttons: Vec<&str> = blocks
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().unwrap())
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    assert_eq!(buttons, ["https://wiki.example/orders"]);
}

#[test]
fn teams_shows_a_markdown_link_from_data_as_text() {
    let p = preview(&channel(ChannelKind::Teams), &hostile(), "k");
    let card = &p["attachments"][0]["content"];
    for s in strings(&card["body"]) {
        assert!(!has_markdown_link(&s), "a clickable link: {s}");
    }
    let body = strings(&card["body"]).join("\n");
    assert!(body.contains(r"\[Reset your password\](https://evil.example/login)"), "{body}");
    let urls: Vec<&str> = card["actions"].as_array().unwrap().iter().map(|a| a["url"].as_str().unwrap()).collect();
    assert_eq!(urls, ["https://wiki.example/orders"]);
}

#[test]
fn pagerduty_links_are_web_links_only() {
    let p = preview(&channel(ChannelKind::Pagerduty), &hostile(), "k");
    let hrefs: Vec<&str> = p["links"].as_array().unwrap().iter().map(|l| l["href"].as_str().unwrap()).collect();
    assert_eq!(hrefs, ["https://wiki.example/orders"]);
    assert!(!p.to_string().to_ascii_lowercase().contains("javascript:"), "{p}");
}

#[test]
fn email_html_escapes_data_and_links_only_to_the_web() {
    let p = preview(&channel(ChannelKind::Email), &hostile(), "k");
    let html = p["html"].as_str().unwrap();
    assert!(!html.contains("<!channel>") && html.contains("&lt;!channel&gt;"), "{html}");
    assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
    assert!(html.contains("<a href=\"https://wiki.example/orders\">"), "{html}");
    assert!(!p["text"].as_str().unwrap().to_ascii_lowercase().contains("javascript:"));
}

#[test]
fn the_reproduce_line_gives_the_file_name_as_one_argument_to_a_real_shell() {
    let alert = hostile();
    let line = alert.text.lines().find_map(|l| l.strip_prefix("Reproduce: ")).unwrap();
    assert_eq!(line, alert.runbook.reproduce);
    let words = crate::shell::tests::sh_words(line);
    assert_eq!(words[..3], ["contrakt", "check", HOSTILE_FILE]);
    assert_eq!(words[3..], ["--object", "orders", "--now", "2026-11-22T06:00:00Z", "--sample", "100"]);
    assert!(!std::env::temp_dir().join("PWN").exists());
}

/// A check whose ten failing rows each hold a 1 MB value.
fn huge() -> Alert {
    let mut alert = hostile();
    let mb = "x".repeat(1 << 20);
    alert.samples =
        (0..10).map(|i| serde_json::from_value(json!({"order_id": i.to_string(), "payload": mb})).unwrap()).collect();
    alert
}

#[test]
fn ten_one_megabyte_values_fit_every_channel_and_still_name_the_contract_and_check() {
    let alert = huge();
    let contract = "urn*"; // the contract id, as each channel escapes it, contains this
    for (kind, limit) in [
        (ChannelKind::Slack, limit::SLACK),
        (ChannelKind::Teams, limit::TEAMS),
        (ChannelKind::Pagerduty, limit::PAGERDUTY),
        (ChannelKind::Webhook, limit::WEBHOOK),
        (ChannelKind::File, limit::WEBHOOK),
        (ChannelKind::Email, limit::EMAIL),
    ] {
        let p = preview(&channel(kind), &alert, "k");
        let size = match kind {
            ChannelKind::Webhook | ChannelKind::File => super::webhook::body(&alert, "k").len(),
            ChannelKind::Email => {
                p["subject"].as_str().unwrap().len()
                    + p["text"].as_str().unwrap().len()
                    + p["html"].as_str().unwrap().len()
            }
            _ => limit::json_size(&p),
        };
        assert!(size <= limit, "{kind:?}: {size} bytes over {limit}");
        let text = p.to_string();
        serde_json::from_str::<Json>(&text).expect("valid JSON");
        assert!(text.contains(contract) || text.contains(r"urn\\*"), "{kind:?} does not name the contract");
        assert!(
            text.contains("orders_status_valid") || text.contains(r"orders\\_status\\_valid"),
            "{kind:?} does not name the check"
        );
        assert!(text.contains("Q303"), "{kind:?} does not name the check's code");
        assert!(
            text.contains("Cut to fit") || text.contains("\"truncated\"") || text.contains("more characters"),
            "{kind:?} does not say what was cut"
        );
    }
    let body: Json = serde_json::from_slice(&super::webhook::body(&alert, "k")).unwrap();
    assert_eq!(body["samples"].as_array().unwrap().len(), 10, "all rows fit once their values are cut");
    assert!(body["samples"][0]["payload"].as_str().unwrap().ends_with("more characters]"));
    assert_eq!(body["truncated"][0], "sample values cut to 256 characters");
}

#[test]
fn a_megabyte_of_message_text_is_cut_after_the_samples() {
    let mut alert = huge();
    alert.check.message = "m".repeat(1 << 20);
    alert.text = format!("{}\n{}", alert.text, alert.check.message);
    let body: Json = serde_json::from_slice(&super::webhook::body(&alert, "k")).unwrap();
    assert!(serde_json::to_vec(&body).unwrap().len() <= limit::WEBHOOK);
    let cuts: Vec<&str> = body["truncated"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(
        cuts,
        ["sample values cut to 256 characters", "0 of 10 sample rows kept", "texts cut to 4096 characters"]
    );
    assert_eq!(body["check"]["id"], "orders_status_valid");
    let p = preview(&channel(ChannelKind::Pagerduty), &alert, "k");
    assert!(limit::json_size(&p) <= limit::PAGERDUTY);
    assert_eq!(p["payload"]["custom_details"]["check"], "orders_status_valid");
}

#[test]
fn a_payload_within_its_limit_is_sent_whole() {
    let alert = hostile();
    let body: Json = serde_json::from_slice(&super::webhook::body(&alert, "k")).unwrap();
    assert!(body.get("truncated").is_none());
    assert_eq!(body["samples"][0]["note"], FENCE_AND_PING, "the webhook carries data as data");
}
