//! The lint rule registry: each rule has a stable code, a kebab-case name, a default level,
//! a one-line summary and a doc page (`contrakt rules CODE` prints it; `docs/rules/` is
//! generated from it). Codes never change and are never reused.

use crate::diagnostic::Level;

#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub level: Level,
    pub summary: &'static str,
    /// Markdown with the headings `## What it does`, `## Why`, `## Example`.
    pub docs: &'static str,
}

macro_rules! rules {
    ($($ident:ident = $code:literal $name:literal $level:ident, $summary:literal, $docs:literal;)*) => {
        $(pub static $ident: Rule = Rule {
            code: $code, name: $name, level: Level::$level, summary: $summary, docs: $docs,
        };)*
        /// Every lint rule, sorted by code.
        pub static RULES: &[&Rule] = &[$(&$ident),*];
    };
}

rules! {
    SCHEMA_VIOLATION = "L001" "schema-violation" Error,
        "The document does not validate against the official ODCS JSON Schema of its apiVersion.",
        "## What it does\nValidates the contract against the official ODCS JSON Schema of its `apiVersion` (bundled with contrakt) and reports every violation at its line and column: unknown keys, wrong types, missing required keys, values outside an enumeration.\n\n## Why\nEvery tool that reads ODCS relies on the standard's shape. A contract that other tools reject, or read differently, is no contract. Peers are looser in places, and contrakt keeps to the schema on purpose: datacontract-cli's own test contracts use ODCS v2's `isNullable`/`isUnique`, a `delimiter` on a `local` server, or a `type: sql` rule without `query`, which its commands read and the schema refuses (`scripts/peer-agreement.py` lists each case). A v3.2.0 contract is validated against the bundled v3.2.0 draft schema, which lacks some of the released v3.2.0 additions (server types such as `iceberg`, `port` as an environment placeholder).\n\n## Example\n```yaml\napiVersion: v3.1.0\nkind: DataContract\nid: urn:x\nversion: 1.0.0\nstatus: active\nowner: data-team   # L001: unknown key `owner`\n```\nUse `team`, or put extensions under `customProperties`.\n";
    DEPRECATED_FIELD = "L002" "deprecated-field" Warning,
        "A field deprecated in ODCS v3.1 (`dataProduct`, `slaDefaultElement`, `team` as a list, quality `rule`) is used in a v3.1+ contract.",
        "## What it does\nFlags v3.0 spellings in a contract that declares v3.1 or later: top-level `dataProduct`, `slaDefaultElement`, `team` as a list of members, and `rule` in quality rules.\n\n## Why\nThey are kept for backward compatibility and will be removed in ODCS 4.0.\n\n## Example\n```yaml\nquality:\n  - rule: nullValues   # L002: use `metric: nullValues`\n    mustBe: 0\n```\n";
    DUPLICATE_ID = "L003" "duplicate-id" Error,
        "An `id` repeats: within one contract, or a contract id across the registry.",
        "## What it does\nChecks that every stable `id` (on objects, properties, quality rules, SLA properties, servers, support channels, team members, …) is unique within its contract, and that contract ids are unique across the files linted together.\n\n## Why\nIds identify elements across versions: the breaking-change diff matches fields by id, and consumers name contracts by id. A repeated id makes both ambiguous.\n\n## Example\n```yaml\nproperties:\n  - id: amount\n    name: amount\n  - id: amount        # L003\n    name: amount_net\n```\n";
    DUPLICATE_NAME = "L101" "duplicate-name" Error,
        "Two properties of one object (or two schema objects) share a name.",
        "## What it does\nReports sibling properties, or schema objects, with the same `name`.\n\n## Why\nColumns are addressed by name: a duplicate makes the schema impossible to materialise and every reference ambiguous.\n\n## Example\n```yaml\nproperties:\n  - name: order_id\n  - name: order_id   # L101\n```\n";
    PRIMARY_KEY_NOT_REQUIRED = "L102" "primary-key-not-required" Warning,
        "A `primaryKey` property is not marked `required: true`.",
        "## What it does\nFlags primary-key properties that do not declare `required: true`.\n\n## Why\nA primary key cannot be null. Saying so explicitly makes the checker enforce it and the diff notice when it changes.\n\n## Example\n```yaml\n- name: order_id\n  primaryKey: true\n  primaryKeyPosition: 1\n  required: true    # add this\n```\n";
    PRIMARY_KEY_POSITION = "L103" "primary-key-position" Error,
        "`primaryKeyPosition` values of an object's key have gaps, duplicates, or sit on non-key properties.",
        "## What it does\nFor each object, the positions of its primary-key properties must be 1, 2, …, n with no gap or repeat; a composite key needs a position on every part; a positive position on a property that is not a primary key is reported too.\n\n## Why\nThe order of a composite key matters to indexes, joins and the diff (reordering a key is a breaking change). Ambiguous positions make it undefined.\n\n## Example\n```yaml\n- {name: order_id, primaryKey: true, primaryKeyPosition: 1}\n- {name: line_no, primaryKey: true, primaryKeyPosition: 3}   # L103: gap, expected 2\n```\n";
    INVALID_PATTERN = "L104" "invalid-pattern" Error,
        "A regular expression (`logicalTypeOptions.pattern`, quality `arguments.pattern`) does not compile.",
        "## What it does\nCompiles each pattern with the regex engine the checker uses (RE2-style syntax: no look-around or backreferences).\n\n## Why\nA pattern that does not compile fails every check that uses it, at run time, after the data has landed.\n\n## Example\n```yaml\nlogicalTypeOptions:\n  pattern: '^[A-Z]{2'   # L104: unclosed counted repetition\n```\n";
    DANGLING_REFERENCE = "L105" "dangling-reference" Error,
        "A relationship or SLA `element` reference points at no object or property.",
        "## What it does\nResolves relationship `from`/`to` references (shorthand `object.property` or fully qualified `schema/<id>/properties/<id>`) and SLA `element`s against the contract and the other contracts linted with it. A reference into a known object that lacks the property is an error; a reference to an object no linted contract defines is a warning (it may live in a contract contrakt was not shown).\n\n## Why\nA foreign key to nothing cannot be checked, and an SLA on a missing column is never measured. The standard's own v3.2.0 draft example `references/relationships.odcs.yaml` has such a reference (`addresses.address_street`, where the property is named `street`): contrakt reports it, where tools that do not resolve references pass it.\n\n## Example\n```yaml\nrelationships:\n  - type: foreignKey\n    to: customers.cust_id   # L105 when `customers` has no `cust_id`\n```\n";
    QUALITY_OPERATOR_MISSING = "L201" "quality-operator-missing" Error,
        "A `library` or `sql` quality rule has no operator (`mustBe`, `mustBeLessThan`, …).",
        "## What it does\nReports measurable quality rules that say what to measure but not what the result must be.\n\n## Why\nWithout an operator the rule can never fail, so it guarantees nothing.\n\n## Example\n```yaml\nquality:\n  - metric: nullValues   # L201: add e.g. `mustBe: 0`\n```\n";
    QUALITY_OPERATOR_MULTIPLE = "L202" "quality-operator-multiple" Error,
        "A quality rule sets more than one operator.",
        "## What it does\nReports quality rules with two or more of `mustBe`, `mustNotBe`, `mustBeGreaterThan`, `mustBeGreaterOrEqualTo`, `mustBeLessThan`, `mustBeLessOrEqualTo`, `mustBeBetween`, `mustNotBeBetween`.\n\n## Why\nODCS allows exactly one operator per rule; tools disagree on how to combine several. Use `mustBeBetween` or two rules.\n\n## Example\n```yaml\n- metric: rowCount\n  mustBeGreaterThan: 100\n  mustBeLessThan: 1000   # L202: use mustBeBetween: [100, 1000]\n```\n";
    QUALITY_OPERATOR_MISMATCH = "L203" "quality-operator-mismatch" Error,
        "A quality rule's threshold contradicts its metric (a negative count, a percentage above 100, a non-number).",
        "## What it does\nChecks the threshold against the metric's domain: `nullValues`, `missingValues`, `invalidValues`, `duplicateValues` and `rowCount` measure counts (≥ 0) or, with `unit: percent`, percentages (0–100). A threshold outside the domain makes the rule always pass or always fail; a non-numeric threshold cannot be compared; `rowCount` has no percentage.\n\n## Why\nA rule that cannot fail, or cannot pass, is a mistake that hides real problems.\n\n## Example\n```yaml\n- metric: nullValues\n  unit: percent\n  mustBeLessThan: 150   # L203: a percentage is at most 100\n```\n";
    QUALITY_RANGE_REVERSED = "L204" "quality-range-reversed" Error,
        "`mustBeBetween` or `mustNotBeBetween` lists the larger bound first.",
        "## What it does\nReports ranges `[low, high]` with `low > high`.\n\n## Why\nODCS puts the smallest number first; a reversed range matches nothing (or everything, for `mustNotBeBetween`).\n\n## Example\n```yaml\n- metric: rowCount\n  mustBeBetween: [1000, 10]   # L204\n```\n";
    QUALITY_ARGUMENTS = "L205" "quality-arguments" Error,
        "A library metric lacks the arguments it needs (`invalidValues` without `validValues` or `pattern`).",
        "## What it does\nChecks that metrics which need arguments have them: `invalidValues` needs `arguments.validValues` or `arguments.pattern`; `missingValues` arguments must be a list.\n\n## Why\nWithout them the checker cannot tell a valid value from an invalid one.\n\n## Example\n```yaml\n- metric: invalidValues\n  arguments:\n    validValues: [EUR, GBP]\n  mustBe: 0\n```\n";
    SQL_SYNTAX = "L206" "sql-syntax" Error,
        "A `sql` quality rule's query does not parse.",
        "## What it does\nParses the query (after replacing its placeholders: ODCS `{object}` and `{property}`, and the aliases of contracts written for datacontract-cli and Soda, `model` and `table` for the object, `field` and `column` for the property, each with or without a leading `$`) with the generic SQL dialect and the dialects of the contract's servers. An unknown `${name}` is named.\n\n## Why\nA query that does not parse fails at run time, after the data has landed.\n\n## Example\n```yaml\n- type: sql\n  query: SELEC COUNT(*) FROM {object}   # L206\n  mustBe: 0\n```\n";
    SQL_NOT_READ_ONLY = "L207" "sql-not-read-only" Error,
        "A `sql` quality rule's query is not a single read-only SELECT.",
        "## What it does\nAccepts exactly one query statement (`SELECT`, `WITH … SELECT`, `VALUES`) without `INTO`; rejects `INSERT`, `UPDATE`, `DELETE`, DDL, several statements, and anything else. Also refuses what `check` refuses to run: `WITH RECURSIVE` (without a termination it runs forever) and queries of more than 10,000 tokens (planning time grows faster than the text).\n\n## Why\nQuality checks run with the producer's credentials on production data. A check must never change it.\n\n## Example\n```yaml\n- type: sql\n  query: DELETE FROM {object} WHERE amount < 0   # L207\n  mustBe: 0\n```\n";
    SQL_DIALECT_UNREAD = "L208" "sql-dialect-unread" Warning,
        "A `sql` quality rule's query does not parse with contrakt's parser for the contract's warehouse server; the server judges it.",
        "## What it does\nWhen a query parses with no dialect contrakt knows, but the contract names a server where SQL runs (PostgreSQL, Redshift, Snowflake, BigQuery, Databricks, Trino, MySQL, SQL Server, …), the query is not refused: it is reported as a warning, since the warehouse's SQL is richer than any parser's reading of it. A query that does not start with `SELECT`, `WITH` or `VALUES` is still refused (L207).\n\n## Why\nA rule written for the warehouse (Redshift's `approximate count(distinct …)`) must not be refused because contrakt's parser lags the warehouse. The verdict is left where the rule runs: `check --server` on a PostgreSQL server sends the rule to the server as written (read-only, one statement, under `--timeout`), where the server's parser reads it; on files contrakt cannot run it (an `error` result naming the parse failure), and on warehouses contrakt only writes SQL for (`--emit-sql`) the promise is the server's to keep.\n\n## Example\n```yaml\nservers:\n  - server: prod\n    type: redshift\n# …\n- type: sql\n  query: SELECT approximate count(distinct order_id) FROM {object}   # L208\n  mustBeGreaterThan: 0\n```\n";
    SEGMENTS_INVALID = "L209" "segments-invalid" Error,
        "A `contraktSegments` entry names no property of its object, or is not a list of property names.",
        "## What it does\nReads each `customProperties` entry `contraktSegments` (on a schema object, for all its checks, or on one quality rule) and resolves every name it lists against the object's top-level properties. A name that is not one, a name listed twice, an empty list or a value that is not a name or a list of names is reported.\n\n## Why\nA segmented check measures and judges its rule once per value of the segment columns (a country, a channel), in one grouped scan, and keeps a history series per segment. A misspelt column would make every such check an `error` at run time, after the data has landed.\n\n## Example\n```yaml\nquality:\n  - id: orders_per_country\n    metric: rowCount\n    mustBeGreaterThan: 0\n    customProperties:\n      - property: contraktSegments\n        value: [cuntry]   # L209: no property `cuntry`\n```\nAt most 1,000 segments are measured: a column with more distinct values (counted in the same scan) makes the check an `error` that says so.\n";
    RECONCILE_INVALID = "L210" "reconcile-invalid" Error,
        "A `contraktReconcile` entry cannot be read: an unknown key, a property its object does not have, nothing to compare, or a tolerance outside 0..1.",
        "## What it does\nReads each `customProperties` entry `contraktReconcile` of a schema object (check Q701) as `check` would: `with` (the other object) is required, the other keys are `id`, `rowCount`, `sum`, `distinct`, `keys`, `tolerance`, `severity`, `name` and `description`, every column of this side must be a property of the object, at least one comparison must be asked for, and `tolerance` is a fraction from 0 up to 1.\n\n## Why\nA reconciliation that cannot be read is an `error` at every run, after the data has landed; a misspelt key (`tolerence`) would otherwise change what is compared.\n\n## Example\n```yaml\ncustomProperties:\n  - property: contraktReconcile\n    value: {with: orders, distinct: [order_id], tolerence: 0.001}   # L210: unknown field `tolerence`\n```\n";
    CONSUMER_INVALID = "L301" "consumer-invalid" Error,
        "A consumer file does not follow the consumer format (unknown key, wrong type, missing field).",
        "## What it does\nReads each consumer file (`apiVersion: contrakt/v1`, `kind: Consumer`) strictly: unknown keys, wrong types and missing fields are reported at their line and column.\n\n## Why\nA typo in a consumer file silently drops the consumer from impact analysis and alerting.\n\n## Example\n```yaml\nuses:\n  - contract: urn:contrakt:meal-kit:orders\n    read: [orders.amount]   # L301: the key is `reads`\n```\n";
    CONSUMER_UNKNOWN_CONTRACT = "L302" "consumer-unknown-contract" Error,
        "A consumer uses a contract id that no contract in the registry has.",
        "## What it does\nResolves each `uses[].contract` against the ids of the registry's contracts.\n\n## Why\nThe contract may have been renamed or removed: exactly what the gate must say.\n\n## Example\n```yaml\nuses:\n  - contract: urn:contrakt:meal-kit:order   # L302: no such contract (did you mean ...:orders?)\n```\n";
    CONSUMER_UNKNOWN_OBJECT = "L303" "consumer-unknown-object" Error,
        "A consumer reads a schema object the contract does not define.",
        "## What it does\nChecks the first segment of each `reads` path against the contract's schema objects.\n\n## Why\nThe consumer depends on a table the contract no longer promises.\n\n## Example\n```yaml\nreads: [order.amount]   # L303 when the object is `orders`\n```\n";
    CONSUMER_UNKNOWN_PATH = "L304" "consumer-unknown-path" Error,
        "A consumer reads a property path that does not exist (or is not a valid path).",
        "## What it does\nResolves each `reads` path (`object.property`, `object.list[].field`, `object.*`) through the contract's properties, `items` and nested `properties`.\n\n## Why\nThe consumer depends on a column the contract no longer promises, or the path is misspelt and impact analysis would miss it.\n\n## Example\n```yaml\nreads: [orders.amout]   # L304\n```\n";
    CONSUMER_VERSION_RANGE = "L305" "consumer-version-range" Error,
        "A consumer's `versions` range does not parse, or matches no version of the contract.",
        "## What it does\nParses `versions` as a semver range (`>=1.0.0, <2.0.0`) and checks it against the contract's version. An unparsable range is an error; a range that excludes the current version is a warning: the consumer is pinned to a version the registry no longer describes.\n\n## Why\nPins tell contrakt whether a consumer is broken in place or told that a new major version is coming.\n\n## Example\n```yaml\nversions: \">=1.0.0, <2.0.0\"   # L305 when the contract is at 2.1.0\n```\n";
    CONSUMER_UNKNOWN_RULE = "L306" "consumer-unknown-rule" Error,
        "A consumer relies on a quality rule that the contract does not define.",
        "## What it does\nResolves each `relies_on.rules` entry against the `id`s and `name`s of the contract's quality rules.\n\n## Why\nAlerts for that rule would never reach the consumer.\n\n## Example\n```yaml\nrelies_on:\n  rules: [orders_amount_positive]   # L306 when no rule has that id or name\n```\n";
    CONSUMER_UNKNOWN_SLA = "L307" "consumer-unknown-sla" Error,
        "A consumer relies on an SLA property that the contract does not define.",
        "## What it does\nResolves each `relies_on.sla` entry against the `property` names and `id`s of the contract's `slaProperties`.\n\n## Why\nAn SLA the contract does not promise cannot be monitored for the consumer.\n\n## Example\n```yaml\nrelies_on:\n  sla: [freshness]   # L307 when the contract declares `latency`, not `freshness`\n```\n";
    DUPLICATE_CONSUMER = "L308" "duplicate-consumer" Error,
        "Two consumer files declare the same consumer `id`.",
        "## What it does\nChecks that consumer ids are unique in the registry.\n\n## Why\nAlerts and impact reports are keyed by consumer id; a duplicate merges two teams.\n\n## Example\nTwo files both saying `id: finance-dashboard`.\n";
}

/// Finds a rule by code (`L101`) or name (`duplicate-name`), case-insensitively.
pub fn find(selector: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.code.eq_ignore_ascii_case(selector) || r.name.eq_ignore_ascii_case(selector))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        let codes: Vec<_> = RULES.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted, "codes must be unique and sorted");
        for r in RULES {
            assert!(
                r.code.len() == 4 && r.code.starts_with('L') && r.code[1..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                r.code
            );
        }
    }

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        for n in &names {
            assert!(n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') && !n.starts_with('-'), "{n}");
        }
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate rule names");
    }

    #[test]
    fn docs_have_the_required_headings_and_a_one_line_summary() {
        for r in RULES {
            for heading in ["## What it does", "## Why", "## Example"] {
                assert!(r.docs.contains(heading), "{} lacks {heading}", r.code);
            }
            assert!(!r.summary.contains('\n') && r.summary.ends_with('.'), "{}", r.code);
        }
    }

    #[test]
    fn find_accepts_code_or_name() {
        assert_eq!(find("l101").map(|r| r.name), Some("duplicate-name"));
        assert_eq!(find("duplicate-name").map(|r| r.code), Some("L101"));
        assert!(find("L999").is_none());
    }
}
