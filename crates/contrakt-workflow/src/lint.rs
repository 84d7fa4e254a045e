//! [`lint()`]: contracts and consumer files checked for what makes them wrong or unsafe to use
//! (schema, references, SQL, secrets), with the registry's `lint:` settings: what `contrakt
//! lint` runs. Findings are results; `Err` means there was nothing to lint or a path could not
//! be read (fatal findings, located where they can be), or the options name no rule.

use std::path::PathBuf;

use contrakt_core::lint::{self, Workspace};
use contrakt_core::registry::{self, Discovery};
use contrakt_core::{Finding, Level};

use crate::error::{Error, Result};

/// Which rules run, and what fails.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Rule codes or names to skip, besides `lint.ignore` of the registry's `contrakt.yaml`.
    pub ignore: Vec<String>,
    /// The lowest level that fails [default: `lint.fail-on` of `contrakt.yaml`, else error].
    pub fail_on: Option<Level>,
}

/// What linting found.
#[derive(Debug)]
pub struct Linted {
    /// Every finding, sorted by file and position; files that could not be read are fatal
    /// findings among them.
    pub findings: Vec<Finding>,
    /// The files read: contracts, consumers and those that could not be read.
    pub files: usize,
    /// The level that fails, as the options and `contrakt.yaml` chose it.
    pub fail_on: Level,
}

impl Linted {
    /// A file could not be read at all.
    pub fn fatal(&self) -> bool {
        self.findings.iter().any(|f| f.fatal)
    }

    /// No finding at or above [`Linted::fail_on`], and nothing fatal.
    pub fn passed(&self) -> bool {
        !self.fatal() && !self.findings.iter().any(|f| f.level >= self.fail_on)
    }
}

/// Lints the contracts and consumer files at `paths` (files, or folders searched for them).
pub fn lint(paths: &[PathBuf], options: &Options) -> Result<Linted> {
    let discovery = {
        let _s = tracing::info_span!("discover", paths = paths.len()).entered();
        registry::discover(paths).map_err(|e| Error::Registry(Finding::from_error(&e, None)))?
    };
    let Discovery { contracts, consumers, config, errors, skipped, roots } = discovery;
    tracing::info!(contracts = contracts.len(), consumers = consumers.len(), skipped = skipped.len(), "discovered");

    let mut findings: Vec<Finding> = errors.iter().flat_map(|e| Finding::from_error(e, None)).collect();
    let files = contracts.len() + consumers.len() + errors.len();
    if files == 0 {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let message = format!(
            "no contracts or consumer files found in {} (looked for *.yaml, *.yml and *.json with `kind: DataContract` or `kind: Consumer`)",
            shown.join(", ")
        );
        return Err(Error::Registry(vec![Finding::fatal("E113", "nothing-to-lint", message)]));
    }

    // Consumers named on their own still resolve against their registry's contracts.
    let mut context = Vec::new();
    if !consumers.is_empty() {
        let linted: Vec<String> = contracts.iter().map(|d| d.source.name().to_string()).collect();
        for root in &roots {
            context.extend(registry::load_contracts(root).into_iter().filter(|c| {
                let abs = std::path::absolute(c.source().name()).ok();
                !linted.iter().any(|l| std::path::absolute(l).ok() == abs)
            }));
        }
    }

    let mut ignore = options.ignore.clone();
    let mut fail_on = options.fail_on;
    if let Some((_, config)) = &config {
        ignore.extend(config.lint.ignore.iter().cloned());
        fail_on = fail_on.or(config.lint.fail_on);
    }
    if let Some(sel) = ignore.iter().find(|sel| lint::registry::find(sel).is_none()) {
        return Err(Error::Usage(format!("--ignore: no rule `{sel}`; `contrakt rules` lists them")));
    }
    let report = lint::lint(Workspace { contracts, consumers, context }, &lint::Options { ignore });
    findings.extend(report.findings);
    lint::sort(&mut findings);
    Ok(Linted { findings, files, fail_on: fail_on.unwrap_or(Level::Error) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_registry_lints_clean_and_its_config_chooses_what_fails() {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
        let linted = lint(&[repo], &Options::default()).unwrap();
        assert!(linted.files >= 5 && linted.passed(), "{:?}", linted.findings);
        assert_eq!(linted.fail_on, Level::Error, "lint.fail-on of contracts/contrakt.yaml");
    }

    #[test]
    fn nothing_to_lint_and_an_unknown_rule_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        match lint(&[dir.path().to_path_buf()], &Options::default()) {
            Err(Error::Registry(f)) => assert_eq!((f[0].code, f[0].fatal), ("E113", true), "{f:?}"),
            other => panic!("{other:?}"),
        }
        std::fs::write(
            dir.path().join("a.odcs.yaml"),
            "apiVersion: v3.1.0\nkind: DataContract\nid: a\nversion: 1.0.0\nstatus: active\n",
        )
        .unwrap();
        let options = Options { ignore: vec!["no-such-rule".into()], fail_on: None };
        match lint(&[dir.path().to_path_buf()], &options) {
            Err(Error::Usage(m)) => assert!(m.contains("no-such-rule"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
