//! The generic webhook: the alert as a `contrakt.alert/v1` JSON body (`docs/alert-webhook.md`),
//! an `Idempotency-Key` header, and `X-Contrakt-Signature: sha256=<hex HMAC-SHA256 of the
//! body>` when the channel has a signing secret.

use super::{Outcome, post, secret};
use crate::alert::Alert;
use crate::config::{Channel, Secrets};

/// The body: the alert with its idempotency key, so a receiver can drop a resend. Within
/// [`crate::limit::WEBHOOK`]; when something had to be cut, `truncated` says what.
pub fn body(alert: &Alert, key: &str) -> Vec<u8> {
    crate::limit::fit(alert, crate::limit::WEBHOOK, |a, cuts| body_with(a, key, cuts), Vec::len)
}

fn body_with(alert: &Alert, key: &str, cuts: &[String]) -> Vec<u8> {
    let mut value = serde_json::to_value(alert).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("idempotency_key".into(), key.into());
        if !cuts.is_empty() {
            map.insert("truncated".into(), cuts.into());
        }
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

/// `sha256=<hex>` of the body under the secret.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    format!("sha256={}", crate::route::hex(ring::hmac::sign(&key, body).as_ref()))
}

pub(super) fn send(agent: &ureq::Agent, channel: &Channel, secrets: &Secrets, alert: &Alert, key: &str) -> Outcome {
    let url = match secret(channel, secrets, channel.url_env.as_deref()) {
        Ok(Some(url)) => url,
        Ok(None) => return Outcome::Dead { error: format!("channel `{}` has no url-env", channel.name) },
        Err(o) => return o,
    };
    let signing = match secret(channel, secrets, channel.secret_env.as_deref()) {
        Ok(s) => s,
        Err(o) => return o,
    };
    let body = body(alert, key);
    let mut headers =
        vec![("Idempotency-Key", key.to_string()), ("X-Contrakt-Event", alert.event.as_str().to_string())];
    if let Some(s) = signing {
        headers.push(("X-Contrakt-Signature", signature(s.as_bytes(), &body)));
    }
    post(agent, &url, &body, &headers)
}
