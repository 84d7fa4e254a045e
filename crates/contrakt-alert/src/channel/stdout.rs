//! The alert as text on standard output: for cron logs and trying routes out.

use std::io::Write;

use super::Outcome;
use crate::alert::Alert;

pub(super) fn send(alert: &Alert) -> Outcome {
    let mut out = std::io::stdout().lock();
    let line = format!("── {} [{} · {}]\n{}\n", alert.title, alert.audience_str(), alert.fingerprint, alert.text);
    match out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Retry { error: format!("stdout: {e}"), after: None },
    }
}
