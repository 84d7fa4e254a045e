//! A Slack incoming webhook: a Block Kit message (`message::slack`).

use super::{Outcome, post, secret};
use crate::alert::Alert;
use crate::config::{Channel, Secrets};

pub(super) fn send(agent: &ureq::Agent, channel: &Channel, secrets: &Secrets, alert: &Alert, key: &str) -> Outcome {
    let url = match secret(channel, secrets, channel.url_env.as_deref()) {
        Ok(Some(url)) => url,
        Ok(None) => return Outcome::Dead { error: format!("channel `{}` has no url-env", channel.name) },
        Err(o) => return o,
    };
    let body = serde_json::to_vec(&crate::message::slack(alert)).unwrap_or_default();
    // Slack ignores the header; a relay in between may use it.
    post(agent, &url, &body, &[("Idempotency-Key", key.to_string())])
}
