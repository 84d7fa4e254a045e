//! A Microsoft Teams incoming webhook (or a Workflows "post to a channel" webhook): an Adaptive
//! Card in the `message`/`attachments` envelope (`message::teams`).

use super::{Outcome, post, secret};
use crate::alert::Alert;
use crate::config::{Channel, Secrets};

pub(super) fn send(agent: &ureq::Agent, channel: &Channel, secrets: &Secrets, alert: &Alert, key: &str) -> Outcome {
    let url = match secret(channel, secrets, channel.url_env.as_deref()) {
        Ok(Some(url)) => url,
        Ok(None) => return Outcome::Dead { error: format!("channel `{}` has no url-env", channel.name) },
        Err(o) => return o,
    };
    let body = serde_json::to_vec(&crate::message::teams(alert)).unwrap_or_default();
    post(agent, &url, &body, &[("Idempotency-Key", key.to_string())])
}
