//! One JSON line per alert (the webhook body), appended to a file.

use std::io::Write;

use super::Outcome;
use crate::alert::Alert;
use crate::config::Channel;

pub(super) fn send(channel: &Channel, alert: &Alert, key: &str) -> Outcome {
    let Some(path) = &channel.path else {
        return Outcome::Dead { error: format!("channel `{}` has no path", channel.name) };
    };
    let mut line = super::webhook_body(alert, key);
    line.push(b'\n');
    let written = (|| {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        // One write per line, so concurrent writers never interleave inside a line.
        f.write_all(&line)
    })();
    match written {
        Ok(()) => Outcome::Delivered,
        Err(e) => Outcome::Retry { error: format!("{}: {e}", path.display()), after: None },
    }
}
