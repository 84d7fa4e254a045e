//! The check registry: every kind of check the post-publish checker runs has a stable code, a
//! kebab-case name, a one-line summary and a doc page (`contrakt rules --kind check`,
//! `docs/check-rules.md`). Codes never change and are never reused.

#[derive(Debug)]
pub struct CheckKind {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// Markdown with the headings `## What it checks`, `## Decisions`, `## Example`.
    pub docs: &'static str,
}

macro_rules! checks {
    ($($ident:ident = $code:literal $name:literal, $summary:literal, $docs:literal;)*) => {
        $(pub static $ident: CheckKind = CheckKind { code: $code, name: $name, summary: $summary, docs: $docs };)*
        /// Every check kind, sorted by code.
        pub static CHECKS: &[&CheckKind] = &[$(&$ident),*];
    };
}

checks! {
    COLUMN_PRESENT = "Q101" "column-present",
        "Every property of the contract is a column of the dataset (by `physicalName`, else `name`).",
        "## What it checks\nLooks up each top-level property in the dataset's schema: first by `physicalName`, then by `name`. Nested properties are looked up inside their struct column.\n\n## Decisions\nMatching is exact, then case-insensitive (Parquet written by some engines upper-cases names); a case-insensitive match passes with a note. A missing column fails, and every other check of that column reports `error` instead of running. JSON data is the exception for optional properties: a JSON record may leave out a property that is not `required` (nor in the primary key), so one that none of the records the schema is inferred from holds (the first 1,000, as DataFusion infers it) passes (the message says so) and reads as nulls for the other checks, as datacontract-cli judges it; a required one fails as for any format. A property that first appears past those records is read as nulls too: DataFusion's reader only knows the inferred columns. JSON files are read in either layout, one object a line or one array of objects (ODCS `delimiter: array`), told by the first character, on local disk and in object stores (`s3://`, `gs://`, `https://`): there the layout and the schema come from the first 8 MiB of the first files (the first 1,000 records), read with a ranged request, and the records are then streamed, an array too, so a file of any size is read in bounded memory; a file whose first 8 MiB hold no whole record is refused with that reason.\n\n## Example\n```yaml\nproperties:\n  - name: order_id        # Q101 fails when the data has no order_id column\n```\n";
    COLUMN_TYPE = "Q102" "column-type",
        "A column's type reads as the contract's type without loss (the diff's type lattice).",
        "## What it checks\nLowers the column's Arrow type into the Schema IR and compares it with the property's type (from `logicalType`, `logicalTypeOptions.format` and `physicalType`) on the same lattice the breaking-change diff uses: the data's type must be the contract's type or widen to it without loss (int32 data for an int64 contract passes; int64 data for an int16 contract fails).\n\n## Decisions\n`logicalType: number` with no `format` is any number: integer and decimal columns pass for it (a `format` such as `double` narrows it). Strings pass for `uuid` (the `format` check validates the text); 16-byte fixed binary passes for `uuid` too. A timestamp without a time zone where the contract says `timezone: true` is a warning. A struct column's fields are properties of their own (each with its Q101 and Q102). Array items are judged on the same lattice (a list of int64 does not read as a list of strings, the message says `items: …`), and so are map keys and values and the fields of structs inside arrays and maps (by `physicalName`, else `name`; a field the data lacks fails). When `physicalType` names a text type (`varchar`, `string`, …) and the column is text, the column passes whatever the `logicalType` says: the physical type is the storage readers get; a `logicalType` that disagrees (`integer` over `varchar`) is named in the message, not dropped silently, and its values are held to the property's other rules (`format`, `pattern`, bounds, which compare text as numbers). CSV and JSON data carry no types: DataFusion infers them from the text, so integers read as int64 (a `physicalType: integer`, 32-bit in SQL, then fails as a narrowing) and ISO timestamps in JSON read as strings (a `timestamp` property fails). datacontract-cli reads the same files with DuckDB, which detects timestamps and judges integer widths loosely, and passes both; contrakt judges the types the reader delivers, so declare the types in Parquet or Arrow, or write `physicalType: bigint` and `logicalType: string` with `format: date-time` for text data.\n\n## Example\n```yaml\n- name: recipes_per_box\n  logicalType: integer\n  logicalTypeOptions: {format: i16}   # Q102 fails on an int64 column\n```\n";
    EXTRA_COLUMN = "Q103" "extra-column",
        "The dataset has a column the contract does not describe (reported as info).",
        "## What it checks\nLists the dataset's columns that match no property of the object.\n\n## Decisions\nAlways `info`: extra columns break no consumer, but an undocumented column is often a leak (personal data nobody classified) or a rename in progress. Hive partition columns count as columns.\n\n## Example\nA `debug_payload` column in the data and not in the contract gives one Q103 result.\n";
    REQUIRED = "Q201" "required",
        "A `required: true` property has no nulls.",
        "## What it checks\nCounts the rows where the column is null. Passes at 0.\n\n## Decisions\nFor a nested property, a null parent struct counts as a null value: the consumer cannot read the field either way.\n\n## Example\n```yaml\n- name: customer_id\n  required: true   # Q201: failed_rows = rows with a null customer_id\n```\n";
    UNIQUE = "Q202" "unique",
        "A `unique: true` property has no repeated non-null value.",
        "## What it checks\nCounts the excess rows: non-null values minus distinct non-null values, i.e. the rows that would have to go for the column to be unique. Passes at 0.\n\n## Decisions\nNulls are not values (SQL `UNIQUE` semantics): use `required` to forbid them. Samples show the repeated values with their number of occurrences.\n\n## Example\n```yaml\n- name: order_id\n  unique: true   # Q202\n```\n";
    PRIMARY_KEY = "Q203" "primary-key",
        "The primary key (composite by `primaryKeyPosition`) is non-null and unique.",
        "## What it checks\nCounts the rows with a null in any key column plus the excess rows of the key (rows minus distinct keys among the rows without nulls). Passes at 0.\n\n## Decisions\nA one-column key shares the fused scan; a composite key needs a grouping over the key columns, run as its own plan concurrently with the scan.\n\n## Example\n```yaml\n- {name: order_id, primaryKey: true, primaryKeyPosition: 1}\n- {name: line_no,  primaryKey: true, primaryKeyPosition: 2}   # one Q203 over (order_id, line_no)\n```\n";
    MINIMUM = "Q204" "minimum",
        "Values are at or above `logicalTypeOptions.minimum` (above, with `exclusiveMinimum`).",
        "## What it checks\nCounts the non-null values below the bound (or at it, when exclusive). Dates and timestamps compare as dates and timestamps: write the bound as an ISO string.\n\n## Decisions\nNulls are never out of range: nullability is `required`'s job. NaN (IEEE 754's \"not a number\" in a float column, what a failed computation leaves) is no number, so it lies in no range: it breaks a minimum and a maximum alike, on every engine (DataFusion and PostgreSQL order NaN above every number, BigQuery and Trino compare it false: contrakt asks `isnan` instead), and samples show it as `\"NaN\"`, not as a null. Great Expectations reads NaN as missing (pandas' null) and skips it; contrakt fails it, since a NaN where a bounded number is promised is a broken value, not an absent one. ODCS v3.1 `exclusiveMinimum` is a number (JSON Schema 2020-12 style); the v3.0 boolean form makes `minimum` exclusive.\n\n## Example\n```yaml\nlogicalTypeOptions:\n  minimum: 0    # Q204 counts amount < 0\n```\n";
    MAXIMUM = "Q205" "maximum",
        "Values are at or below `logicalTypeOptions.maximum` (below, with `exclusiveMaximum`).",
        "## What it checks\nCounts the non-null values above the bound (or at it, when exclusive).\n\n## Decisions\nAs for Q204.\n\n## Example\n```yaml\nlogicalTypeOptions:\n  maximum: 100   # Q205 counts quantity > 100\n```\n";
    MIN_LENGTH = "Q206" "min-length",
        "Strings are at least `minLength` characters long.",
        "## What it checks\nCounts the non-null strings with fewer characters (Unicode scalar values, not bytes) than `minLength`.\n\n## Decisions\nThe empty string is a value of length 0, not a null.\n\n## Example\n```yaml\nlogicalTypeOptions: {minLength: 3}\n```\n";
    MAX_LENGTH = "Q207" "max-length",
        "Strings are at most `maxLength` characters long.",
        "## What it checks\nCounts the non-null strings with more characters than `maxLength`.\n\n## Decisions\nCharacters, not bytes: `é` is one.\n\n## Example\n```yaml\nlogicalTypeOptions: {maxLength: 16}\n```\n";
    PATTERN = "Q208" "pattern",
        "Strings match `logicalTypeOptions.pattern`.",
        "## What it checks\nCounts the non-null strings the regular expression does not match.\n\n## Decisions\nJSON Schema semantics: the pattern is searched, not anchored; write `^…$` to match the whole value. The engine is Rust's `regex` (RE2 syntax: no look-around or backreferences; `L104` lints this).\n\nOn an array property, the `items:` constraints (`pattern`, `format`, lengths, bounds, `enum`) hold for each item: the check (id `{object}.{property}[].{check}`) counts the rows with at least one item that breaks it, in the same fused scan; a null item breaks none.\n\n## Example\n```yaml\nlogicalTypeOptions:\n  pattern: '^[A-Z]{3}$'\n```\n";
    FORMAT = "Q209" "format",
        "Strings are well-formed for `logicalTypeOptions.format` (email, uuid, uri, date, a date pattern, …).",
        "## What it checks\nFor string columns, counts the non-null values that are not well-formed for the named format: `email`, `uuid`, `uri`/`url`, `hostname`, `ipv4`, `ipv6`, `date`, `date-time`, `time`, and Java-style date patterns such as `yyyy-MM-dd`.\n\n## Decisions\nA typed column (a date column with `format: yyyy-MM-dd`, an integer with `format: i16`) is checked by its type (Q102), not here. Dates are checked against the calendar, not as digit shapes: each field is held to its range (month 1–12, hour 0–23, …) and, where the day and month have fixed widths (`dd`, `MM`, as in `date`, `date-time` and `yyyy-MM-dd`), the day to the length of its month, February 29 only in a leap year; `2019-02-30`, `2019-13-01` and `1977-05-55` fail. Date patterns are read as Java's `DateTimeFormatter` reads them (as ODCS and datacontract-cli write them): `'T'` quotes literal text, `''` is a quote, `[…]` is optional, `MMM`/`EEE` are English names, `SSS` a fraction, `X`/`x`/`Z` offsets. A date pattern contrakt cannot check (time-zone names `z`, eras, week fields, an unclosed quote) is an `error` result that names the letter, so the run never passes on it. Other unknown formats (`currency`) are `skipped` with the reason. On array items (`items:` of an array property) each item is checked the same way, calendar included: an array holding `2019-02-30` fails.\n\n## Example\n```yaml\nlogicalTypeOptions: {format: email}\n```\n";
    MIN_ITEMS = "Q210" "min-items",
        "Arrays have at least `minItems` elements.",
        "## What it checks\nCounts the non-null arrays with fewer elements than `minItems`.\n\n## Decisions\nA null array is not an empty array.\n\n## Example\n```yaml\nlogicalTypeOptions: {minItems: 1}\n```\n";
    MAX_ITEMS = "Q211" "max-items",
        "Arrays have at most `maxItems` elements.",
        "## What it checks\nCounts the non-null arrays with more elements than `maxItems`.\n\n## Decisions\nAs for Q210.\n\n## Example\n```yaml\nlogicalTypeOptions: {maxItems: 3}\n```\n";
    UNIQUE_ITEMS = "Q212" "unique-items",
        "Arrays with `uniqueItems: true` hold no repeated element.",
        "## What it checks\nCounts the non-null arrays whose distinct elements are fewer than their elements.\n\n## Decisions\nNull elements compare equal to each other.\n\n## Example\n```yaml\nlogicalTypeOptions: {uniqueItems: true}\n```\n";
    ENUM = "Q213" "enum",
        "Values are among the property's declared `enum` values (ODCS v3.2).",
        "## What it checks\nCounts the non-null values outside the declared enumeration.\n\n## Decisions\nComparison is exact and case-sensitive. Nulls are not invalid.\n\n## Example\n```yaml\nenum: [{value: placed}, {value: shipped}]\n```\n";
    NULL_VALUES = "Q301" "null-values",
        "ODCS library metric `nullValues`: the number (or percent) of null values.",
        "## What it checks\nMeasures the null values of the property and compares the count, or with `unit: percent` the percentage of all rows, with the rule's operator.\n\n## Decisions\nPercentages are of all rows checked (after `--where`/`--partition`), on a 0–100 scale. An empty dataset has 0 rows and 0% of anything.\n\n## Example\n```yaml\nquality:\n  - metric: nullValues\n    unit: percent\n    mustBeLessOrEqualTo: 1\n```\n";
    MISSING_VALUES = "Q302" "missing-values",
        "ODCS library metric `missingValues`: nulls plus the values listed in `arguments.missingValues`.",
        "## What it checks\nCounts the rows whose value is null or one of `arguments.missingValues` (for example `''`, `'N/A'`).\n\n## Decisions\nNulls always count as missing, whether or not the list names `null` (Soda's and datacontract-cli's reading). String comparison is exact.\n\n## Example\n```yaml\n- metric: missingValues\n  arguments: {missingValues: ['', 'N/A']}\n  mustBe: 0\n```\n";
    INVALID_VALUES = "Q303" "invalid-values",
        "ODCS library metric `invalidValues`: values outside `validValues` or not matching `pattern`.",
        "## What it checks\nCounts the non-null values that are not in `arguments.validValues` (or v3.0 `validValues`) or do not match `arguments.pattern`; with both, a value must satisfy both. Without either, the property's own `enum` and `pattern` define validity.\n\n## Decisions\nNulls are not invalid: `nullValues` and `required` cover them. Percentages are of all rows, nulls included, as ODCS and datacontract-cli reckon them. Great Expectations' `mostly` is a fraction of the non-null rows instead: on a column with nulls, `invalidValues` at 5% fails later than `mostly: 0.95` would (2 invalid of 100 rows with 60 nulls is 2% here, 5% of the non-null rows there). contrakt keeps one denominator for every metric so percentages of different rules add up; to hold a share of the non-null values, write a `sql` rule.\n\n## Example\n```yaml\n- metric: invalidValues\n  arguments: {validValues: [GBP, EUR]}\n  mustBe: 0\n```\n";
    DUPLICATE_VALUES = "Q304" "duplicate-values",
        "ODCS library metric `duplicateValues`: rows repeating a value (or, at object level, a combination of `arguments.properties`).",
        "## What it checks\nCounts the excess rows: non-null values minus distinct values, i.e. how many rows would have to go for the values to be unique. At object level, `arguments.properties` names the columns whose combination must be unique (a row with a null in any of them is left out).\n\n## Decisions\n`expected.json` of the benchmark accepts three readings (duplicated values, excess rows, rows holding a non-unique value); contrakt reports excess rows, which is 0 exactly when the column is unique and is additive across partitions.\n\n## Example\n```yaml\n- metric: duplicateValues\n  mustBe: 0\n```\n";
    ROW_COUNT = "Q305" "row-count",
        "ODCS library metric `rowCount`: the number of rows.",
        "## What it checks\nCounts the rows of the object (after `--where`/`--partition`).\n\n## Decisions\n`unit: percent` has no meaning for a row count and is linted (L203). A rule with no operator is linted (L201) and checked as `mustBeGreaterThan: 0`.\n\n## Example\n```yaml\n- metric: rowCount\n  mustBeBetween: [900000, 1100000]\n```\n";
    SQL = "Q306" "sql",
        "An ODCS `sql` rule: a read-only query returning one number, compared with the operator.",
        "## What it checks\nRuns the rule's query with its placeholders replaced by the dataset and column (`{object}`, and the aliases `{model}` and `{table}` of datacontract-cli and Soda; `{property}`, and the aliases `{field}` and `{column}`; each also with a leading `$`), and compares the single value it returns with the operator.\n\n## Decisions\nAn unknown `${name}` placeholder, or a column placeholder in a rule that belongs to no property, makes the rule an `error` that names it. Only one read-only `SELECT` is accepted: DDL, DML and `SET` give an `error` result. A query of the shape `SELECT <aggregate> FROM {object} [WHERE …]` is folded into the object's fused scan (its aggregates take the `WHERE` as a `FILTER`); any other query runs as its own plan, concurrently. A query returning no row, several rows or a non-number is an `error`. `--timeout` bounds each query, its planning and its execution (an hour by default). A query of more than 10,000 tokens, or with `WITH RECURSIVE`, is refused (an `error` result, and lint L207). `repeat`, `lpad`, `rpad`, `array_repeat` and `range`/`generate_series` refuse to build a value above 64 MiB (or 512 MiB for one batch of rows): the rule is an `error`, never an aborted run. On a warehouse (`check --server` with a PostgreSQL server) the query is the server's SQL: it is neither parsed nor planned by contrakt but sent as written (PostgreSQL's `FILTER (WHERE …)`, `::` casts, `ILIKE`, `DISTINCT ON` all work), its placeholders replaced by the quoted table (`\"schema\".\"table\"`; under `--where`, a `WITH` of the table's name holding the slice) and column. It runs in a `READ ONLY` transaction that is rolled back, as one prepared statement (the extended protocol refuses two statements), with `--timeout` as `statement_timeout`: a rule that writes (`INSERT`, `nextval`, a function that writes) or holds two statements is an `error` with the server's message, and nothing is written. Such rules are not folded into the scan (each is one more statement on the server). On files, PostgreSQL's JSON operators work as PostgreSQL reads them: `doc -> 'k'` (the member) and `doc ->> 'k'` (as text) on text columns holding JSON, and on struct columns (a `jsonb` column as Parquet holds it: the field, and the field as text), binding tighter than comparisons.\n\n## Example\n```yaml\n- type: sql\n  query: SELECT count(*) FROM {object} WHERE updated_at < created_at\n  mustBe: 0\n```\n";
    CUSTOM = "Q307" "custom",
        "An ODCS `custom` rule (an engine-specific implementation): reported as skipped with the reason.",
        "## What it checks\nNothing: `custom` rules hold an implementation for another engine (Soda, Great Expectations, …). contrakt reports each as `skipped` and names the engine, so a rule is never silently counted as passed.\n\n## Example\n```yaml\n- type: custom\n  engine: soda\n  implementation: 'duplicate_count(order_id) = 0'\n```\n";
    TEXT = "Q308" "text",
        "An ODCS `text` rule (a rule in prose): reported as skipped.",
        "## What it checks\nNothing: a `text` rule describes an expectation for people. It is reported as `skipped` so the report shows what is not machine-checked.\n";
    FRESHNESS = "Q401" "freshness",
        "SLA `latency`/`freshness`: the newest value of the SLA element is no older than the agreed time.",
        "## What it checks\nMeasures the maximum of the SLA's `element` column (a timestamp or date) and its age at the reference time (`--now`, default the wall clock). Passes when the age is at most `value` `unit` (`d`, `h`, `m`, `s`, and ODCS's long forms such as `day`), or at most an ISO 8601 duration written as the `value` (`P1Y`, `P30D`, `PT24H`, as datacontract-cli's contracts write them; a year counts 365 days, a month 30).\n\n## Decisions\nA date column counts as the end of its day (a date is fresh all day). A timestamp without a time zone is read as UTC. An empty dataset fails: it has no fresh data. The value is reported in the SLA's unit.\n\n## Example\n```yaml\nslaProperties:\n  - property: latency\n    value: 2\n    unit: h\n    element: orders.updated_at\n```\n";
    RETENTION = "Q402" "retention",
        "SLA `retention`: no record is older than the retention period (data past it should be purged).",
        "## What it checks\nMeasures the minimum of the SLA's `element` and its age at the reference time. Passes when the oldest record is within `value` `unit`.\n\n## Decisions\nRetention is read as an upper bound on age, the reading regulators enforce (records past the period must be deleted). The other reading, that history reaches back the whole period, cannot be checked from one snapshot without knowing when the dataset began: the oldest age is in the result for people to judge.\n\n## Example\n```yaml\n- property: retention\n  value: 7\n  unit: y\n  element: orders.order_date\n```\n";
    SLA_NOT_MEASURABLE = "Q403" "sla-not-measurable",
        "An SLA property contrakt cannot measure from the data (frequency, availability, support times…): skipped.",
        "## What it checks\nNothing: `frequency`, `timeOfAvailability`, `generalAvailability`, `endOfSupport`, `endOfLife` and other SLA properties describe the process, not one snapshot of the data. Each is reported as `skipped` with the reason, never as passed.\n";
    REFERENCE = "Q501" "reference",
        "A foreign key (`relationships` of type `foreignKey`) has no orphans in the referenced dataset.",
        "## What it checks\nCounts the non-null values of the property that have no match in the referenced object's column, with an anti-join planned by DataFusion (the referenced column only is read). The referenced object is found in the same contract, else in the contracts of the registry.\n\n## Decisions\nNulls are not orphans. A referenced dataset that cannot be located gives an `error` result naming what is missing.\n\n## Example\n```yaml\nrelationships:\n  - type: foreignKey\n    to: customers.customer_id\n```\n";
    ANOMALY = "Q601" "anomaly",
        "A metric's new value lies within the band its history predicts (an adaptive check, `contraktAnomaly`).",
        "## What it checks\nFor each `customProperties` entry `contraktAnomaly` of a schema object, reads the metric's history from the store (`history:` in `contrakt.yaml`, or `--history`) and judges the new value against a band learned from it: `median` (rolling median ± sensitivity × MAD), `seasonal` (the median of the season's bucket, weekday for `weekly` or hour for `daily`, after removing a trend, ± a spread pooled over all buckets; on logarithms for positive metrics) or `trend` (a Theil–Sen line, ± the MAD of its residuals). The metric is any the history records (`rowCount`, `duration`, `bytesScanned`, a `property`'s `min`/`max`/`mean`/`distinctCount`/`freshnessLag`) or the id of one of the contract's checks. See docs/history.md.\n\n## Decisions\nUntil `min_history` runs are recorded the result is `skipped` with `warming up`, never an alarm. Points annotated as expected (`contrakt history annotate`) are left out of the baseline. MAD is scaled to a standard deviation; a flat history gets a floor of 1% of its median. Severity is `warning` unless the spec says `severity: error`.\n\n## Example\n```yaml\ncustomProperties:\n  - property: contraktAnomaly\n    value: {metric: rowCount, model: seasonal, season: weekly, sensitivity: 3, min_history: 14, direction: both}\n```\n";
    RECONCILE = "Q701" "reconcile",
        "An object agrees with another dataset (`contraktReconcile`): row counts, sums and distinct counts within a tolerance, and no key on one side only.",
        "## What it checks\nFor each `customProperties` entry `contraktReconcile` of a schema object, compares the object with another one (`with`: an object of the same contract, else of another contract of the registry, read from its own server): `rowCount: true` compares the row counts, `sum` the sums of the named columns, `distinct` their distinct counts, each side measured by one aggregate plan over its data; `keys` counts the distinct key values present on one side only, both ways, with up to `--sample` of them as evidence. A column is written once when both sides name it alike (`distinct: [order_id]`), else as `{column: line_total, with: total_amount}` (this object's property, the other object's column). The value is the number of comparisons that disagree; the check passes at 0.\n\n## Decisions\n`tolerance` is a fraction of the larger side (`0.001` allows 0.1%), exact (0) by default; for keys, a fraction of that side's distinct keys. Nulls are no keys. `--where`/`--partition` slice this object only; the other side is read whole. Each side is measured where it lives: on files and object stores, DataFusion plans both; on a PostgreSQL server, when both objects live there (the other side at the same address, as for references), each query runs there whole. Across servers (a file against a PostgreSQL table, either way round: the other contract's first PostgreSQL server on a run over files, its files on a run with `--server`), each side's aggregate runs where that side lives (the warehouse's pushed down), and the warehouse side's distinct keys are streamed into this process, where anti-joins find the one-sided keys: at most 5,000,000 keys; above that the key comparison is refused (an `error` whose message still gives the counts and sums). Credentials come from the environment, as for `--server`. An other side found nowhere, or unreachable, is an `error` saying which and why. Severity is `error` unless the spec says otherwise.\n\n## Example\n```yaml\nschema:\n  - name: order_items\n    customProperties:\n      - property: contraktReconcile\n        value:\n          id: order_items_match_orders\n          with: orders\n          distinct: [order_id]\n          keys: order_id\n          tolerance: 0.001\n```\n";
}

/// Looks up a check kind by code (`Q201`) or name (`required`), case-insensitively.
pub fn find(selector: &str) -> Option<&'static CheckKind> {
    CHECKS.iter().copied().find(|c| c.code.eq_ignore_ascii_case(selector) || c.name.eq_ignore_ascii_case(selector))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for w in CHECKS.windows(2) {
            assert!(w[0].code < w[1].code, "{} before {}", w[0].code, w[1].code);
        }
        for c in CHECKS {
            assert!(seen.insert(c.name), "duplicate name {}", c.name);
            assert!(c.docs.starts_with("## What it checks"), "{} docs", c.code);
            assert!(c.summary.ends_with('.'), "{} summary", c.code);
        }
        assert_eq!(find("q201").map(|c| c.name), Some("required"));
        assert_eq!(find("primary-key").map(|c| c.code), Some("Q203"));
        assert!(find("nope").is_none());
    }
}
