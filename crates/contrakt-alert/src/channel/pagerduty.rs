//! PagerDuty Events API v2: `trigger` with a stable `dedup_key` (the fingerprint), then
//! `resolve` with the same key when the check passes again. The routing key is a secret.

use serde_json::{Value as Json, json};

use super::{Outcome, post, secret};
use crate::alert::{Alert, Event};
use crate::config::{Channel, Secrets};

const EVENTS_API: &str = "https://events.pagerduty.com/v2/enqueue";

/// The event for an alert (without the routing key), within [`crate::limit::PAGERDUTY`].
pub fn event(alert: &Alert) -> Json {
    crate::limit::fit(alert, crate::limit::PAGERDUTY, event_with, crate::limit::json_size)
}

fn event_with(alert: &Alert, cuts: &[String]) -> Json {
    let dedup_key = format!("contrakt-{}", alert.fingerprint);
    if alert.event == Event::Resolve {
        return json!({"event_action": "resolve", "dedup_key": dedup_key});
    }
    let severity = alert.severity.as_str();
    let c = &alert.check;
    // Only web links: PagerDuty shows `links` as clickable, whatever their scheme.
    let links: Vec<Json> = alert
        .runbook
        .links
        .iter()
        .filter(|l| crate::message::web_link(&l.url))
        .map(|l| json!({"href": l.url, "text": l.label}))
        .collect();
    let mut event = json!({
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "client": "contrakt",
        "payload": {
            // PagerDuty cuts summaries at 1024 characters.
            "summary": alert.title.chars().take(1024).collect::<String>(),
            "source": format!("{} v{}", alert.contract.id, alert.contract.version),
            "severity": severity,
            "component": c.object,
            "group": alert.contract.id,
            "class": format!("{} {}", c.code, c.kind),
            "custom_details": {
                "check": c.id, "property": c.property, "message": c.message, "value": c.value,
                "threshold": c.threshold, "samples": alert.samples.iter().take(5).collect::<Vec<_>>(),
                "reproduce": alert.runbook.reproduce, "audience": alert.audience_str(),
                "recipients": alert.recipients.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
                "text": alert.text,
            },
        },
        "links": links,
    });
    if !cuts.is_empty() {
        event["payload"]["custom_details"]["truncated"] = cuts.into();
    }
    event
}

pub(super) fn send(agent: &ureq::Agent, channel: &Channel, secrets: &Secrets, alert: &Alert, key: &str) -> Outcome {
    let routing_key = match secret(channel, secrets, channel.routing_key_env.as_deref()) {
        Ok(Some(k)) => k,
        Ok(None) => return Outcome::Dead { error: format!("channel `{}` has no routing-key-env", channel.name) },
        Err(o) => return o,
    };
    let url = match secret(channel, secrets, channel.url_env.as_deref()) {
        Ok(u) => u.unwrap_or_else(|| EVENTS_API.to_string()),
        Err(o) => return o,
    };
    let mut body = event(alert);
    body["routing_key"] = routing_key.clone().into();
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    match post(agent, &url, &bytes, &[("Idempotency-Key", key.to_string())]) {
        // PagerDuty echoes nothing secret, but a relay might: keep the key out of errors.
        Outcome::Retry { error, after } => {
            Outcome::Retry { error: error.replace(&routing_key, "<routing-key>"), after }
        }
        Outcome::Dead { error } => Outcome::Dead { error: error.replace(&routing_key, "<routing-key>") },
        delivered => delivered,
    }
}
