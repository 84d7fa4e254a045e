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

use contrakt_core::redact;

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

/// How much of a receiver's answer an error keeps (after masking): enough to say why, bounded
/// so a receiver cannot fill the alert state or the logs.
pub const BODY_LIMIT: usize = 512;

/// Sends one delivery. The error of a failed attempt, which the outbox stores and logs, is
/// masked here, for every channel: the channel's secrets (its URL and the tokens in its path,
/// signing secret, routing key, SMTP password) and any URL credential it quotes
/// ([`contrakt_core::redact`]), so a receiver that echoes a token gets it stored as `***`.
pub fn send(agent: &ureq::Agent, channel: &Channel, settings: &Settings, alert: &Alert, key: &str) -> Outcome {
    let _s = tracing::debug_span!("send", channel = %channel.name, kind = channel.kind.as_str()).entered();
    let secrets = channel_secrets(channel, &settings.secrets);
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    match attempt(agent, channel, settings, alert, key) {
        Outcome::Delivered => Outcome::Delivered,
        Outcome::Retry { error, after } => Outcome::Retry { error: mask(&error, &secrets), after },
        Outcome::Dead { error } => Outcome::Dead { error: mask(&error, &secrets) },
    }
}

/// `text` with `secrets` and URL credentials masked, then bounded.
fn mask(text: &str, secrets: &[&str]) -> String {
    contrakt_core::redact::bounded(&contrakt_core::redact::redact_text(text, secrets), 2 * BODY_LIMIT)
}

/// The values of a channel's secret variables, and what of them a receiver may echo apart:
/// the credentials and token-like path segments of a URL.
fn channel_secrets(channel: &Channel, secrets: &Secrets) -> Vec<String> {
    let vars = [
        channel.url_env.as_deref(),
        channel.secret_env.as_deref(),
        channel.routing_key_env.as_deref(),
        channel.smtp.as_ref().and_then(|s| s.password_env.as_deref()),
    ];
    let mut out = Vec::new();
    for value in vars.into_iter().flatten().filter_map(|v| secrets.get(v)) {
        if value.contains("://") {
            out.extend(url_tokens(&value));
        }
        out.push(value);
    }
    out
}

/// What of a webhook URL is a secret on its own: its path (where Slack, Teams and most
/// webhooks keep the token), each token-like segment of it, and its credentials.
fn url_tokens(url: &str) -> Vec<String> {
    let mut out = contrakt_core::redact::url_secrets(url);
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    if let Some(i) = after_scheme.find('/') {
        let path = after_scheme[i..].split(['?', '#']).next().unwrap_or_default();
        if path.len() > 1 {
            out.push(path.to_string());
        }
        out.extend(path.split('/').filter(|s| token_like(s)).map(str::to_string));
    }
    out
}

/// A path segment that may be a credential rather than a route name (`services`, `alerts`):
/// long, or with digits, or in mixed case.
fn token_like(segment: &str) -> bool {
    let has = |f: fn(&char) -> bool| segment.chars().any(|c| f(&c));
    segment.len() >= 20
        || (segment.len() >= 8
            && (has(char::is_ascii_digit) || (has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase))))
}

fn attempt(agent: &ureq::Agent, channel: &Channel, settings: &Settings, alert: &Alert, key: &str) -> Outcome {
    let secrets = &settings.secrets;
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
            // Masked before it is cut, so no part of a secret survives the cut.
            let text = response.into_body().with_config().limit(4096).read_to_string().unwrap_or_default();
            let said = redact::bounded(&mask_url(text.trim(), url), BODY_LIMIT);
            let error = if said.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {said}") };
            match status {
                200..=299 => Outcome::Delivered,
                408 | 425 | 429 | 500..=599 => Outcome::Retry { error, after: retry_after },
                _ => Outcome::Dead { error },
            }
        }
        Err(e) => Outcome::Retry { error: mask_url(&e.to_string(), url), after: None },
    }
}

/// `text` with the URL and its [`url_tokens`] masked.
fn mask_url(text: &str, url: &str) -> String {
    let tokens = url_tokens(url);
    let mut secrets: Vec<&str> = vec![url];
    secrets.extend(tokens.iter().map(String::as_str));
    redact::redact_text(text, &secrets)
}
