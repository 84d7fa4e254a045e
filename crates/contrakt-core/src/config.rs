//! `contrakt.yaml`: the registry's configuration. Defaults < file < environment < flags; this
//! module reads the file, the CLI layers the rest.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Level;
use crate::document::{Document, from_node};
use crate::error::{Error, InputErrorKind, Result};
use crate::source::SourceFile;

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
}

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
    pub fail_on: Option<LevelName>,
    /// Rule codes or names never reported.
    #[serde(default)]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelName {
    Info,
    Warning,
    Error,
}

impl From<LevelName> for Level {
    fn from(l: LevelName) -> Level {
        match l {
            LevelName::Info => Level::Info,
            LevelName::Warning => Level::Warning,
            LevelName::Error => Level::Error,
        }
    }
}

pub fn load(source: Arc<SourceFile>) -> Result<Config> {
    let document = Document::parse(source)?;
    let config: Config = from_node(&document.root).map_err(|e| {
        Error::input(InputErrorKind::InvalidConfig, &document.source, e.span, format!("invalid {FILE_NAME}: {e}"))
    })?;
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
    fn unknown_keys_are_config_errors() {
        let Err(Error::Input(e)) = load(SourceFile::new("contrakt.yaml", "version: 1\nlnt: {}\n")) else {
            panic!("expected an error")
        };
        assert_eq!(e.kind, InputErrorKind::InvalidConfig);
        assert!(e.message.contains("unknown field `lnt`"), "{}", e.message);
    }
}
