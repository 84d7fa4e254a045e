//! Sending one delivery over its channel. Each channel speaks its real protocol; the outcome
//! says whether the outbox marks it delivered, retries it, or gives it up.

mod email;
mod file;
mod pagerduty;
mod slack;
mod stdout;
mod teams;
mod webhook;

#[cfg(test)]
mod tests;

use std::time::Duration;

use crate::alert::Alert;
use crate::config::{Channel, ChannelKind, Secrets, Settings};

pub use email::{message as email_message, recipients as email_recipients};
pub use pagerduty::event as pagerduty_event;
pub use webhook::{body as webhook_body, signature};

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx (or the line written).
    Delivered,
    /// Worth another try: a 5xx, 408, 429, a refused connection, a timeout. `after` is the
    /// receiver's `Retry-After`.
    Retry { error: String, after: Option<Duration> },
    /// Will not succeed as it is: another 4xx, a missing secret. `alerts retry` requeues.
    Dead { error: String },
}

/// One HTTP agent per delivery run: connections to a receiver are reused.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("contrakt/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

pub fn send(agent: &ureq::Agent, channel: &Channel, settings: &Settings, alert: &Alert, key: &str) -> Outcome {
    let secrets = &settings.secrets;
    let _s = tracing::debug_span!("send", channel = %channel.name, kind = channel.kind.as_str()).entered();
    // The alert as the channel's template words it (email applies it to fit its bound).
    let worded = || templated(channel, alert).0;
    match channel.kind {
        ChannelKind::Stdout => stdout::send(&worded(), settings.stdout_to_stderr),
        ChannelKind::File => file::send(channel, &worded(), key),
        ChannelKind::Webhook => webhook::send(agent, channel, secrets, &worded(), key),
        ChannelKind::Slack => slack::send(agent, channel, secrets, &worded(), key),
        ChannelKind::Pagerduty => pagerduty::send(agent, channel, secrets, &worded(), key),
        ChannelKind::Email => {
            let (alert, html) = email_parts(channel, alert);
            email::send(channel, secrets, &alert, Some(html), key, settings.timeout)
        }
        ChannelKind::Teams => teams::send(agent, channel, secrets, &worded(), key),
    }
}

/// What [`send`] would send, for `run --dry-run-alerts`: the JSON body of an HTTP channel (the
/// file channel's line), the email as fields, the text of stdout. No secret is read, so
/// PagerDuty's routing key is absent.
pub fn preview(channel: &Channel, alert: &Alert, key: &str) -> serde_json::Value {
    let worded = || templated(channel, alert).0;
    match channel.kind {
        ChannelKind::Webhook | ChannelKind::File => {
            serde_json::from_slice(&webhook::body(&worded(), key)).unwrap_or_default()
        }
        ChannelKind::Slack => crate::message::slack(&worded()),
        ChannelKind::Teams => crate::message::teams(&worded()),
        ChannelKind::Pagerduty => pagerduty::event(&worded()),
        ChannelKind::Email => {
            let (alert, html) = email_parts(channel, alert);
            let (from, to) = match &channel.smtp {
                Some(smtp) => (smtp.from.clone(), email::recipients(smtp, &alert)),
                None => (String::new(), Vec::new()),
            };
            serde_json::json!({"from": from, "to": to, "subject": alert.title, "text": alert.text, "html": html})
        }
        ChannelKind::Stdout => serde_json::Value::String(stdout::line(&worded())),
    }
}

/// An email's alert (subject and plain text) and HTML part, the channel's template applied,
/// within [`crate::limit::EMAIL`]; what was cut to fit is said at the end of both parts.
pub fn email_parts(channel: &Channel, alert: &Alert) -> (Alert, String) {
    let render = |a: &Alert, cuts: &[String]| {
        let (mut t, html) = templated(channel, a);
        let html = match (html, crate::limit::note(cuts)) {
            (Some(h), Some(note)) => format!("{h}\n<p>{}</p>\n", crate::message::escape_html(&note)),
            (Some(h), None) => h,
            (None, _) => crate::message::html_with(&t, cuts),
        };
        if let Some(note) = crate::limit::note(cuts) {
            t.text = format!("{}\n{note}\n", t.text.trim_end());
        }
        (t, html)
    };
    crate::limit::fit(alert, crate::limit::EMAIL, render, |(t, h)| t.title.len() + t.text.len() + h.len())
}

/// The alert as the channel's template words it, and the template's HTML if any.
fn templated(channel: &Channel, alert: &Alert) -> (Alert, Option<String>) {
    match &channel.template {
        Some(t) => t.apply(alert),
        None => (alert.clone(), None),
    }
}

/// The secret named by `var`, or the outcome that says it is missing (by name only).
fn secret(channel: &Channel, secrets: &Secrets, var: Option<&str>) -> Result<Option<String>, Outcome> {
    let Some(var) = var else { return Ok(None) };
    match secrets.get(var) {
        Some(v) => Ok(Some(v)),
        None => Err(Outcome::Dead {
            error: format!("environment variable {var} (for channel `{}`) is not set", channel.name),
        }),
    }
}

/// POSTs a JSON body and classifies the answer. Errors never carry the URL: it is a secret.
fn post(agent: &ureq::Agent, url: &str, body: &[u8], headers: &[(&str, String)]) -> Outcome {
    let mut request = agent.post(url).header("Content-Type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, v.as_str());
    }
    match request.send(body) {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // Read the body: the connection goes back to the pool, and Slack says why in it.
            let text = response.into_body().with_config().limit(4096).read_to_string().unwrap_or_default();
            let said = redact(text.trim(), url);
            let error = if said.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {said}") };
            match status {
                200..=299 => Outcome::Delivered,
                408 | 425 | 429 | 500..=599 => Outcome::Retry { error, after: retry_after },
                _ => Outcome::Dead { error },
            }
        }
        Err(e) => Outcome::Retry { error: redact(&e.to_string(), url), after: None },
    }
}

/// Removes a secret URL (and its path, where webhook tokens live) from a message.
fn redact(message: &str, url: &str) -> String {
    let mut out = message.replace(url, "<url>");
    if let Some(path) = url.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        && path.len() > 1
    {
        out = out.replace(path, "/<redacted>");
    }
    out
}
