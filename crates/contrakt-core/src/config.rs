//! `contrakt.yaml`: the registry's configuration. Defaults < file < environment < flags; this
//! module reads the file, the CLI layers the rest.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Level;
use crate::document::{Document, from_node};
use crate::error::{Error, InputErrorKind, Result};
use crate::source::{SourceFile, Span};

pub const FILE_NAME: &str = "contrakt.yaml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Pins the rule-set behaviour, so upgrades never silently change a gate.
    pub version: u32,
    /// Glob patterns of contract files, relative to the registry root.
    #[serde(default = "default_contracts")]
    pub contracts: Vec<String>,
    /// Folder of consumer files, relative to the registry root.
    #[serde(default = "default_consumers")]
    pub consumers: String,
    #[serde(default)]
    pub compatibility: Compatibility,
    #[serde(default)]
    pub lint: LintConfig,
    #[serde(default)]
    pub breaking: BreakingConfig,
    /// Alert channels and routes for failed checks (read by `contrakt-alert`).
    #[serde(default)]
    pub alerts: AlertsConfig,
    /// Where `check` records every run's metrics, for `contrakt history` and adaptive checks.
    #[serde(default)]
    pub history: Option<HistoryConfig>,
}

/// `alerts:`: where failed checks are told, and to whom. Only the shape lives here, so unknown
/// keys fail with a location like the rest of the file; `contrakt-alert` resolves the meaning
/// (channel names, durations, environment variables).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertsConfig {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    /// The incident and outbox database, relative to the registry root
    /// (default `.contrakt/alerts.db`).
    #[serde(default)]
    pub state: Option<String>,
    /// No repeat of an open incident's alert within this time (`24h`, `30m`; default 24h).
    #[serde(default)]
    pub cooldown: Option<String>,
    /// A delivery still failing after this long goes to the dead letters (default 24h).
    #[serde(default)]
    pub give_up_after: Option<String>,
    /// Wait before the first retry of a failed delivery; doubles per attempt (default 1s).
    #[serde(default)]
    pub min_backoff: Option<String>,
    /// Longest wait between two attempts of one delivery (default 5m).
    #[serde(default)]
    pub max_backoff: Option<String>,
    /// How long a sender holds the deliveries it claimed (default 60s): a killed run's claims
    /// go out with a run after this.
    #[serde(default)]
    pub lease: Option<String>,
    /// Bound on one send: an HTTP request or an SMTP session (default 10s). A send that
    /// times out is retried like any failure.
    #[serde(default)]
    pub timeout: Option<String>,
    /// A link put on every message as the runbook when a check names none.
    #[serde(default)]
    pub runbook_url: Option<String>,
    /// Named channels, in the order written.
    #[serde(default)]
    pub channels: Vec<AlertChannel>,
    #[serde(default)]
    pub routes: Vec<AlertRoute>,
}

/// One channel. Secrets are named by environment variable, never written here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertChannel {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    pub name: String,
    /// `webhook`, `slack`, `pagerduty`, `stdout` or `file`.
    pub kind: String,
    /// The variable holding the URL (webhook, slack; for pagerduty, to override the Events API).
    #[serde(default)]
    pub url_env: Option<String>,
    /// The variable holding the webhook's HMAC signing secret.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The variable holding a PagerDuty integration (routing) key.
    #[serde(default)]
    pub routing_key_env: Option<String>,
    /// The JSON-lines file (file), relative to the registry root.
    #[serde(default)]
    pub path: Option<String>,
    /// The SMTP server's host name or address (email).
    #[serde(default)]
    pub host: Option<String>,
    /// The SMTP port (email; default 587 for `starttls`, 465 for `tls`, 25 for `none`).
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (default), `tls` (implicit TLS) or `none` (plain, loopback hosts only).
    #[serde(default)]
    pub tls: Option<String>,
    /// The sender address (email).
    #[serde(default)]
    pub from: Option<String>,
    /// Recipient addresses (email).
    #[serde(default)]
    pub to: Vec<String>,
    /// Also mail the alert's recipients at their email contacts (email).
    #[serde(default)]
    pub to_contacts: bool,
    /// The SMTP login (email); its password comes from `password-env`.
    #[serde(default)]
    pub username: Option<String>,
    /// The variable holding the SMTP password.
    #[serde(default)]
    pub password_env: Option<String>,
    /// A PEM file of certificates to trust besides the system's (email), relative to the root.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// A YAML file overriding the message's `title`, `text` and `html`, relative to the root.
    #[serde(default)]
    pub template: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertRoute {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    #[serde(default)]
    pub name: Option<String>,
    /// `owners`, `consumers` or `all` (default).
    #[serde(default)]
    pub audience: Option<String>,
    /// Lowest severity sent: `info`, `warning` (default) or `error`.
    #[serde(default)]
    pub min_severity: Option<Level>,
    #[serde(default, rename = "match")]
    pub matches: AlertMatch,
    pub channels: Vec<String>,
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
}

/// Every list given must match (any of its entries); an empty list matches everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AlertMatch {
    /// Contract ids.
    #[serde(default)]
    pub contracts: Vec<String>,
    /// Schema object names.
    #[serde(default)]
    pub objects: Vec<String>,
    /// Check codes or code prefixes (`Q2`), kinds (`unique`), or check ids (quality rule ids).
    #[serde(default)]
    pub checks: Vec<String>,
    /// Lowest consumer criticality (`low`, `medium`, `high`) for consumer alerts.
    #[serde(default)]
    pub min_criticality: Option<crate::consumer::Criticality>,
}

/// A daily window in which the route sends nothing (deliveries wait in the outbox until it
/// ends). Times `HH:MM`; the window may wrap midnight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct QuietHours {
    #[serde(rename = "$span", default, skip_serializing)]
    pub span: Span,
    pub from: String,
    pub to: String,
    /// A fixed offset from UTC (`+01:00`, `-05:00`; default `+00:00`).
    #[serde(default)]
    pub utc_offset: Option<String>,
}

/// The metrics history store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct HistoryConfig {
    /// An SQLite file, relative to the registry root (`.contrakt/history.db`), or a PostgreSQL
    /// database (`postgres://user@host:5432/db`).
    pub path: String,
    /// For PostgreSQL: the environment variable holding the password when the URL has none
    /// (default `PGPASSWORD`). Keep passwords out of contrakt.yaml.
    #[serde(default)]
    pub password_env: Option<String>,
}

/// The breaking-change gate: modes per contract, rule selection, waivers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BreakingConfig {
    /// Modes for particular contracts (by ODCS `id`) or contract files (by glob); the first
    /// match wins, before `compatibility`.
    #[serde(default)]
    pub modes: Vec<ModeOverride>,
    /// Rules to check: codes (`F004`), code prefixes (`F`, `T00`), slugs, categories (`WIRE`,
    /// `SCHEMA`, `SEMANTIC`, `POLICY`). Empty means all.
    #[serde(default, rename = "use")]
    pub use_rules: Vec<String>,
    /// Rules never reported, in the same forms.
    #[serde(default)]
    pub except: Vec<String>,
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModeOverride {
    /// Contract ids or file globs (relative to the registry root).
    pub contracts: Vec<String>,
    pub mode: String,
}

/// An accepted breaking change: reported as waived until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Waiver {
    /// Rule code or slug.
    pub rule: String,
    /// The contract's ODCS `id`; all contracts when absent.
    #[serde(default)]
    pub contract: Option<String>,
    /// A path prefix (`orders.legacy_code`); the whole contract when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// Why this is acceptable: required.
    pub reason: String,
    /// Last day the waiver applies (`YYYY-MM-DD`); after it, the waiver is itself a finding.
    pub until: String,
}

impl BreakingConfig {
    /// The configured mode for a contract, by id or by file path relative to the root.
    pub fn mode_for(&self, contract_id: &str, relative_file: &str) -> Option<&str> {
        self.modes
            .iter()
            .find(|m| m.contracts.iter().any(|c| c == contract_id || glob_match(c, relative_file)))
            .map(|m| m.mode.as_str())
    }
}

pub use crate::time::{parse_date, today};

fn default_contracts() -> Vec<String> {
    vec!["**/*.yaml".into(), "**/*.yml".into(), "**/*.json".into()]
}

fn default_consumers() -> String {
    "consumers/".into()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            version: 1,
            contracts: default_contracts(),
            consumers: default_consumers(),
            compatibility: Compatibility::default(),
            lint: LintConfig::default(),
            breaking: BreakingConfig::default(),
            alerts: AlertsConfig::default(),
            history: None,
        }
    }
}

/// Default compatibility modes: FULL for table contracts, BACKWARD for topic schemas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Compatibility {
    #[serde(default = "full")]
    pub tables: String,
    #[serde(default = "backward")]
    pub topics: String,
}

fn full() -> String {
    "FULL".into()
}

fn backward() -> String {
    "BACKWARD".into()
}

impl Default for Compatibility {
    fn default() -> Self {
        Compatibility { tables: full(), topics: backward() }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintConfig {
    /// Lowest level that fails `contrakt lint` (default `error`).
    #[serde(default)]
    pub fail_on: Option<Level>,
    /// Rule codes or names never reported.
    #[serde(default)]
    pub ignore: Vec<String>,
}

pub fn load(source: Arc<SourceFile>) -> Result<Config> {
    let document = Document::parse(source)?;
    let config: Config = from_node(&document.root).map_err(|e| {
        Error::input(InputErrorKind::InvalidConfig, &document.source, e.span, format!("invalid {FILE_NAME}: {e}"))
    })?;
    check_durations(&document)?;
    if config.version != 1 {
        let span = document.root.get("version").map(|n| n.span);
        return Err(Error::input(
            InputErrorKind::InvalidConfig,
            &document.source,
            span,
            format!("unsupported config version {}; this contrakt understands version 1", config.version),
        ));
    }
    Ok(config)
}

/// The keys of `alerts:` that hold a duration.
pub const ALERT_DURATIONS: &[&str] = &["cooldown", "give-up-after", "min-backoff", "max-backoff", "lease", "timeout"];

/// Reads every duration of the file with [`crate::duration::parse`], so a value that is
/// unreadable or out of bounds fails here (and in `lint`) at its line and column, not later.
fn check_durations(document: &Document) -> Result<()> {
    let Some(alerts) = document.root.get("alerts") else { return Ok(()) };
    let mut errors = Vec::new();
    for key in ALERT_DURATIONS {
        let Some(node) = alerts.get(key) else { continue };
        let Some(text) = node.as_str() else { continue };
        if let Err(why) = crate::duration::parse(text, crate::duration::BareNumber::Refuse) {
            errors.push(
                Error::input(
                    InputErrorKind::InvalidConfig,
                    &document.source,
                    Some(node.span),
                    format!("alerts.{key}: {why}"),
                )
                .with_path(format!("alerts.{key}")),
            );
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Multiple(errors)),
    }
}

/// Matches a relative path (with `/` separators) against a glob: `*` within a segment,
/// `**` across segments, `?` one character.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    fn seg(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => seg(&p[1..], s) || (!s.is_empty() && seg(p, &s[1..])),
            (Some(b'?'), Some(_)) => seg(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => seg(&p[1..], &s[1..]),
            _ => false,
        }
    }
    fn parts(p: &[&str], s: &[&str]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(&"**"), _) => parts(&p[1..], s) || (!s.is_empty() && parts(p, &s[1..])),
            (Some(a), Some(b)) => seg(a.as_bytes(), b.as_bytes()) && parts(&p[1..], &s[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.trim_start_matches("./").split('/').filter(|s| !s.is_empty()).collect();
    let s: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    parts(&p, &s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.odcs.yaml", "orders.odcs.yaml"));
        assert!(!glob_match("*.odcs.yaml", "sub/orders.odcs.yaml"));
        assert!(glob_match("**/*.yaml", "sub/deep/orders.yaml"));
        assert!(glob_match("**/*.yaml", "orders.yaml"));
        assert!(glob_match("sub/?.yaml", "sub/a.yaml"));
        assert!(!glob_match("*.yaml", "orders.yml"));
    }

    #[test]
    fn alerts_section_is_strict_and_located() {
        let text = "version: 1\nalerts:\n  channels:\n    - {name: ops, kind: slack, url-env: X}\n  routes:\n    - channels: [ops]\n      min-severty: error\n";
        let Err(Error::Input(e)) = load(SourceFile::new("contrakt.yaml", text)) else { panic!("expected an error") };
        assert!(e.message.contains("unknown field `min-severty`"), "{}", e.message);
        let at = e.file.location(e.span.expect("located").start as usize);
        assert_eq!(at.line, 7, "{}", e.message);
        let ok = load(SourceFile::new(
            "contrakt.yaml",
            "version: 1\nalerts:\n  channels:\n    - {name: ops, kind: stdout}\n",
        ))
        .expect("valid");
        assert_eq!(ok.alerts.channels[0].name, "ops");
    }

    #[test]
    fn unknown_keys_are_config_errors() {
        let Err(Error::Input(e)) = load(SourceFile::new("contrakt.yaml", "version: 1\nlnt: {}\n")) else {
            panic!("expected an error")
        };
        assert_eq!(e.kind, InputErrorKind::InvalidConfig);
        assert!(e.message.contains("unknown field `lnt`"), "{}", e.message);
    }
}
