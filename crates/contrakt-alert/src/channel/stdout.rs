//! The alert as text on standard output (standard error under `check --notify`, whose
//! standard output is the report): for cron logs and trying routes out.

use std::io::Write;

use super::Outcome;
use crate::alert::Alert;

/// The alert as it is written: a title line, then the message.
pub fn line(alert: &Alert) -> String {
    format!("── {} [{} · {}]\n{}\n", alert.title, alert.audience_str(), alert.fingerprint, alert.text)
}

pub(super) fn send(alert: &Alert, to_stderr: bool) -> Outcome {
    let line = line(alert);
    let written = if to_stderr {
        let mut err = std::io::stderr().lock();
        err.write_all(line.as_bytes()).and_then(|()| err.flush())
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(line.as_bytes()).and_then(|()| out.flush())
    };
    match written {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Retry { error: format!("stdout: {e}"), after: None },
    }
}
