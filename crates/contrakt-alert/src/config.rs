//! The `alerts:` section of `contrakt.yaml`, resolved: channel kinds checked, routes pointed at
//! channels that exist, durations and quiet hours read. The shape (and its unknown-key errors)
//! is `contrakt_core::config::AlertsConfig`; this module gives it meaning.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use contrakt_core::config::{AlertMatch, AlertsConfig, QuietHours};
use contrakt_core::consumer::Criticality;
use contrakt_core::registry;
use contrakt_core::{Error as CoreError, InputErrorKind, Level, SourceFile, Span};
use serde::Serialize;

pub use crate::alert::Audience;
use crate::error::Result;

pub const DEFAULT_STATE: &str = ".contrakt/alerts.db";

/// Everything alerts need from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The SQLite file holding incidents and the outbox.
    pub state: PathBuf,
    pub cooldown: Duration,
    pub give_up_after: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// How long claimed deliveries stay a sender's.
    pub lease: Duration,
    /// Bound on one send (an HTTP request, an SMTP session).
    pub timeout: Duration,
    pub runbook_url: Option<String>,
    pub channels: Vec<Channel>,
    pub routes: Vec<Route>,
    /// Where secret variables are read from.
    pub secrets: Secrets,
    /// Send `stdout` channels to standard error instead (when standard output holds a report).
    pub stdout_to_stderr: bool,
}

/// Where the values of `url-env` and `secret-env` variables come from: the process
/// environment, or (for tests and embedding) a fixed map. Never printed.
#[derive(Clone, Default)]
pub enum Secrets {
    #[default]
    Environment,
    Fixed(std::collections::BTreeMap<String, String>),
}

impl Secrets {
    pub fn get(&self, var: &str) -> Option<String> {
        match self {
            Secrets::Environment => std::env::var(var).ok(),
            Secrets::Fixed(map) => map.get(var).cloned(),
        }
        .filter(|v| !v.is_empty())
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Secrets::Environment => f.write_str("Environment"),
            Secrets::Fixed(map) => f.debug_list().entries(map.keys()).finish(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Webhook,
    Slack,
    /// PagerDuty Events API v2.
    Pagerduty,
    /// SMTP, multipart text and HTML.
    Email,
    /// A Microsoft Teams incoming webhook: an Adaptive Card.
    Teams,
    Stdout,
    File,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Pagerduty => "pagerduty",
            ChannelKind::Email => "email",
            ChannelKind::Teams => "teams",
            ChannelKind::Stdout => "stdout",
            ChannelKind::File => "file",
        }
    }
}

/// A place alerts are sent. Holds the names of secret variables, never their values: those are
/// read at send time and kept out of every message, log line and database row.
#[derive(Debug, Clone, Serialize)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_key_env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// The SMTP settings of an email channel.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Smtp>,
    /// The message template that overrides contrakt's title, text and HTML.
    #[serde(skip)]
    pub template: Option<std::sync::Arc<crate::template::Template>>,
}

/// Where and how an email channel mails. The password is named by `password_env` only.
#[derive(Debug, Clone, Serialize)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub from: String,
    pub to: Vec<String>,
    /// Also mail the alert's recipients at their `email` contacts.
    pub to_contacts: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// PEM certificates trusted besides the system's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a loopback host (a local relay, tests).
    None,
}

/// Which alerts go to which channels.
#[derive(Debug, Clone)]
pub struct Route {
    /// The configured name, or `route N` (1-based).
    pub name: String,
    /// `None` for both audiences.
    pub audience: Option<Audience>,
    pub min_severity: Level,
    pub matches: AlertMatch,
    pub channels: Vec<String>,
    pub quiet: Option<Quiet>,
}

/// A daily quiet window, in minutes of the day at a fixed UTC offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    pub from: u32,
    pub to: u32,
    pub offset_minutes: i32,
}

impl Quiet {
    /// Whether `at_ms` (Unix milliseconds) falls in the window, and if so when the window ends.
    pub fn holds_until(&self, at_ms: i64) -> Option<i64> {
        let local_ms = at_ms + i64::from(self.offset_minutes) * 60_000;
        let day_ms = local_ms.rem_euclid(86_400_000);
        let minute = (day_ms / 60_000) as u32;
        let inside = if self.from <= self.to {
            minute >= self.from && minute < self.to
        } else {
            minute >= self.from || minute < self.to
        };
        if !inside {
            return None;
        }
        let start_of_day = local_ms - day_ms;
        let mut end = start_of_day + i64::from(self.to) * 60_000;
        if end <= local_ms {
            end += 86_400_000;
        }
        Some(end - i64::from(self.offset_minutes) * 60_000)
    }

    pub fn describe(&self) -> String {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let off = self.offset_minutes.unsigned_abs();
        format!("{}–{} UTC{sign}{:02}:{:02}", hm(self.from), hm(self.to), off / 60, off % 60)
    }
}

impl Settings {
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }
}

/// Resolves the section. `root` is the registry folder (relative paths start there); `source`
/// is `contrakt.yaml`'s text, for locating errors.
pub fn resolve(config: &AlertsConfig, root: &Path, source: Option<&Arc<SourceFile>>) -> Result<Settings> {
    let fallback;
    let file = match source {
        Some(f) => f,
        None => {
            fallback = SourceFile::new(contrakt_core::config::FILE_NAME, "");
            &fallback
        }
    };
    let err = |span: Span, message: String| -> crate::error::Error {
        let span = (!span.is_none() && source.is_some()).then_some(span);
        CoreError::input(InputErrorKind::InvalidConfig, file, span, format!("alerts: {message}")).into()
    };
    let duration = |value: &Option<String>, key: &str, default: Duration| match value {
        None => Ok(default),
        Some(v) => parse_duration(v).map_err(|why| err(config.span, format!("{key}: {why}"))),
    };
    // Paths in contrakt.yaml (which a pull request can change) stay inside the registry.
    let inside = |p: &Path| registry::path_within(root, p);
    let mut channels: Vec<Channel> = Vec::new();
    for c in &config.channels {
        let kind = match c.kind.as_str() {
            "webhook" => ChannelKind::Webhook,
            "slack" => ChannelKind::Slack,
            "pagerduty" => ChannelKind::Pagerduty,
            "stdout" => ChannelKind::Stdout,
            "file" => ChannelKind::File,
            "email" => ChannelKind::Email,
            "teams" => ChannelKind::Teams,
            other => {
                return Err(err(
                    c.span,
                    format!(
                        "channel `{}`: unknown kind `{other}` (expected webhook, slack, teams, pagerduty, email, stdout or file)",
                        c.name
                    ),
                ));
            }
        };
        if channels.iter().any(|d| d.name == c.name) {
            return Err(err(c.span, format!("channel `{}` is defined twice", c.name)));
        }
        for (key, var) in [
            ("url-env", &c.url_env),
            ("secret-env", &c.secret_env),
            ("routing-key-env", &c.routing_key_env),
            ("password-env", &c.password_env),
        ] {
            // Only a variable's name may be written down; the value of a would-be secret is
            // never repeated back, not even in this error.
            if let Some(v) = var.as_deref().filter(|v| !is_env_name(v)) {
                let _ = v;
                return Err(err(
                    c.span,
                    format!(
                        "channel `{}`: {key} must name an environment variable (like CONTRAKT_SLACK_URL), not hold the secret itself",
                        c.name
                    ),
                ));
            }
        }
        let needs_url = matches!(kind, ChannelKind::Webhook | ChannelKind::Slack | ChannelKind::Teams);
        if needs_url && c.url_env.is_none() {
            return Err(err(c.span, format!("channel `{}`: a {} channel needs `url-env`", c.name, c.kind)));
        }
        if kind == ChannelKind::Pagerduty && c.routing_key_env.is_none() {
            return Err(err(c.span, format!("channel `{}`: a pagerduty channel needs `routing-key-env`", c.name)));
        }
        if kind == ChannelKind::File && c.path.is_none() {
            return Err(err(c.span, format!("channel `{}`: a file channel needs `path`", c.name)));
        }
        let smtp = if kind == ChannelKind::Email {
            Some(smtp(c, root).map_err(|m| err(c.span, format!("channel `{}`: {m}", c.name)))?)
        } else {
            let given = [
                ("host", c.host.is_some()),
                ("port", c.port.is_some()),
                ("tls", c.tls.is_some()),
                ("from", c.from.is_some()),
                ("to", !c.to.is_empty()),
                ("to-contacts", c.to_contacts),
                ("username", c.username.is_some()),
                ("password-env", c.password_env.is_some()),
                ("ca-file", c.ca_file.is_some()),
            ];
            if let Some((key, _)) = given.iter().find(|(_, set)| *set) {
                return Err(err(c.span, format!("channel `{}`: `{key}` applies to email channels only", c.name)));
            }
            None
        };
        channels.push(Channel {
            name: c.name.clone(),
            kind,
            url_env: c.url_env.clone(),
            secret_env: c.secret_env.clone(),
            routing_key_env: c.routing_key_env.clone(),
            path: match &c.path {
                Some(p) => {
                    Some(inside(Path::new(p)).map_err(|m| err(c.span, format!("channel `{}`: path: {m}", c.name)))?)
                }
                None => None,
            },
            smtp,
            template: match &c.template {
                Some(p) => {
                    let path = inside(Path::new(p))
                        .map_err(|m| err(c.span, format!("channel `{}`: template: {m}", c.name)))?;
                    Some(std::sync::Arc::new(crate::template::load(&path)?))
                }
                None => None,
            },
        });
    }
    let mut routes = Vec::new();
    for (i, r) in config.routes.iter().enumerate() {
        let name = r.name.clone().unwrap_or_else(|| format!("route {}", i + 1));
        let audience = match r.audience.as_deref() {
            None | Some("all") => None,
            Some("owners") => Some(Audience::Owners),
            Some("consumers") => Some(Audience::Consumers),
            Some(other) => {
                return Err(err(r.span, format!("{name}: audience `{other}` (expected owners, consumers or all)")));
            }
        };
        for c in &r.channels {
            if !channels.iter().any(|d| &d.name == c) {
                return Err(err(r.span, format!("{name}: no channel named `{c}` under alerts.channels")));
            }
        }
        let quiet = match &r.quiet_hours {
            Some(q) => Some(parse_quiet(q).ok_or_else(|| {
                err(q.span, format!("{name}: quiet-hours need `from`/`to` as HH:MM and `utc-offset` as +HH:MM"))
            })?),
            None => None,
        };
        routes.push(Route {
            name,
            audience,
            min_severity: r.min_severity.unwrap_or(Level::Warning),
            matches: r.matches.clone(),
            channels: r.channels.clone(),
            quiet,
        });
    }
    Ok(Settings {
        state: inside(Path::new(config.state.as_deref().unwrap_or(DEFAULT_STATE)))
            .map_err(|m| err(config.span, format!("state: {m}")))?,
        cooldown: duration(&config.cooldown, "cooldown", Duration::from_secs(24 * 3600))?,
        give_up_after: duration(&config.give_up_after, "give-up-after", Duration::from_secs(24 * 3600))?,
        min_backoff: duration(&config.min_backoff, "min-backoff", Duration::from_secs(1))?,
        max_backoff: duration(&config.max_backoff, "max-backoff", Duration::from_secs(300))?,
        lease: duration(&config.lease, "lease", Duration::from_secs(60))?,
        timeout: duration(&config.timeout, "timeout", Duration::from_secs(10))?,
        runbook_url: config.runbook_url.clone(),
        channels,
        routes,
        secrets: Secrets::Environment,
        stdout_to_stderr: false,
    })
}

/// An email channel's SMTP settings, checked: addresses parse, plain SMTP only to loopback.
fn smtp(c: &contrakt_core::config::AlertChannel, root: &Path) -> std::result::Result<Smtp, String> {
    let host = c.host.clone().filter(|h| !h.trim().is_empty()).ok_or("an email channel needs `host`")?;
    let tls = match c.tls.as_deref() {
        None | Some("starttls") => SmtpTls::Starttls,
        Some("tls") => SmtpTls::Tls,
        Some("none") => SmtpTls::None,
        Some(other) => return Err(format!("tls: `{other}` (expected starttls, tls or none)")),
    };
    // Credentials and alerts in clear text cross no network: only a relay on this machine.
    let loopback = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if tls == SmtpTls::None && !loopback {
        return Err(format!("tls: none sends in clear text and is allowed only to a loopback host, not `{host}`"));
    }
    let from = c.from.clone().ok_or("an email channel needs `from`")?;
    let mailbox = |a: &str| {
        a.parse::<lettre::message::Mailbox>().map(|_| ()).map_err(|e| format!("`{a}` is not an email address: {e}"))
    };
    mailbox(&from)?;
    for a in &c.to {
        mailbox(a)?;
    }
    if c.to.is_empty() && !c.to_contacts {
        return Err("an email channel needs `to` addresses or `to-contacts: true`".into());
    }
    if c.password_env.is_some() && c.username.is_none() {
        return Err("`password-env` needs `username`".into());
    }
    let port = c.port.unwrap_or(match tls {
        SmtpTls::Starttls => 587,
        SmtpTls::Tls => 465,
        SmtpTls::None => 25,
    });
    Ok(Smtp {
        host,
        port,
        tls,
        from,
        to: c.to.clone(),
        to_contacts: c.to_contacts,
        username: c.username.clone(),
        password_env: c.password_env.clone(),
        ca_file: match &c.ca_file {
            Some(p) => Some(registry::path_within(root, Path::new(p)).map_err(|m| format!("ca-file: {m}"))?),
            None => None,
        },
    })
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

/// `500ms`, `30s`, `15m`, `24h`, `2d`, at most ten years: [`contrakt_core::duration`], the
/// parser every duration of the configuration goes through.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    contrakt_core::duration::parse(s, contrakt_core::duration::BareNumber::Refuse)
}

fn parse_quiet(q: &QuietHours) -> Option<Quiet> {
    let hm = |s: &str| -> Option<u32> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    };
    let offset_minutes = match q.utc_offset.as_deref().map(str::trim) {
        None | Some("Z") => 0,
        Some(o) => {
            let (sign, rest) = match o.as_bytes().first()? {
                b'+' => (1, &o[1..]),
                b'-' => (-1, &o[1..]),
                _ => return None,
            };
            let m = hm(rest)? as i32;
            (m <= 14 * 60).then_some(sign * m)?
        }
    };
    Some(Quiet { from: hm(&q.from)?, to: hm(&q.to)?, offset_minutes })
}

/// Does a check match a route's `match.checks` entry: a code or code prefix, a kind, an id?
pub fn check_matches(selector: &str, code: &str, kind: &str, id: &str) -> bool {
    selector.eq_ignore_ascii_case(kind)
        || selector == id
        || (selector.len() >= 2 && code.starts_with(&selector.to_ascii_uppercase()))
}

/// Whether any criticality among a consumer alert's recipients reaches the route's floor.
pub fn criticality_reaches(min: Option<Criticality>, found: impl IntoIterator<Item = Criticality>) -> bool {
    match min {
        None => true,
        Some(min) => found.into_iter().any(|c| c >= min),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("3 weeks").is_err());
        assert!(parse_duration("h").is_err());
        // These panicked in `Duration::from_secs_f64` before.
        assert!(parse_duration("99999999999999999999999d").unwrap_err().contains("longer than"));
        assert!(parse_duration("18446744073709551616s").unwrap_err().contains("longer than"));
    }

    #[test]
    fn quiet_hours_wrap_midnight_at_an_offset() {
        let q = Quiet { from: 22 * 60, to: 7 * 60, offset_minutes: 60 };
        let at = |h: i64, m: i64| (20_779 * 86_400 + h * 3600 + m * 60) * 1000; // 2026-11-22, UTC
        // 21:30 UTC is 22:30 at +01:00: held until 07:00 local = 06:00 UTC next day.
        assert_eq!(q.holds_until(at(21, 30)), Some(at(24 + 6, 0)));
        // 05:59 UTC is 06:59 local: held one more minute.
        assert_eq!(q.holds_until(at(5, 59)), Some(at(6, 0)));
        assert_eq!(q.holds_until(at(6, 0)), None);
        assert_eq!(q.holds_until(at(12, 0)), None);
        assert_eq!(q.describe(), "22:00–07:00 UTC+01:00");
    }

    #[test]
    fn secrets_are_named_not_written() {
        let text = "version: 1\nalerts:\n  channels:\n    - name: ops\n      kind: slack\n      url-env: https://hooks.slack.com/services/T000/B000/XXXXSECRET\n";
        let source = SourceFile::new("contrakt.yaml", text);
        let config = contrakt_core::config::load(source.clone()).expect("shape is fine");
        let e = resolve(&config.alerts, Path::new("."), Some(&source)).expect_err("a literal URL is refused");
        let shown = e.to_string();
        assert!(shown.contains("must name an environment variable"), "{shown}");
        assert!(!shown.contains("XXXXSECRET"), "{shown}");
    }

    #[test]
    fn routes_name_existing_channels() {
        let text = "version: 1\nalerts:\n  channels:\n    - {name: log, kind: stdout}\n  routes:\n    - {name: owners, audience: owners, channels: [pager]}\n";
        let source = SourceFile::new("contrakt.yaml", text);
        let config = contrakt_core::config::load(source.clone()).expect("shape is fine");
        let e = resolve(&config.alerts, Path::new("."), Some(&source)).expect_err("unknown channel");
        assert!(e.to_string().contains("no channel named `pager`"), "{e}");
        assert!(e.to_string().contains("contrakt.yaml:6:"), "{e}");
    }
}
