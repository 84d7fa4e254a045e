//! ODCS contract (as Schema IR) → another schema language.
//!
//! Each target writes what it can say exactly and lists the rest as warnings, so that
//! exporting, reading the output back through the front ends and diffing against the contract
//! shows nothing but those losses.

mod arrow;
mod avro;
mod dbt;
mod gx;
mod jsonschema;
mod protobuf;
mod soda;
mod sql;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use contrakt_core::expect::{self, Expectation};
use contrakt_core::ir::{Object, Schema};
use contrakt_core::odcs::ContractDocument;

use crate::Error;

pub use sql::Dialect;

/// A language to export to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// JSON Schema draft 2020-12, one schema per object.
    JsonSchema,
    /// An Avro record schema (`.avsc`), one per object.
    Avro,
    /// A proto3 file with one message per object.
    Protobuf,
    /// `CREATE TABLE` statements for every object.
    Sql(Dialect),
    /// An Arrow IPC file with the schema of one object and no rows (binary).
    Arrow,
    /// A dbt model properties file (`schema.yml`) with an enforced contract, constraints and
    /// data tests; column types in this dialect, or the first SQL server's of the contract.
    Dbt(Option<Dialect>),
    /// A SodaCL checks file (`checks for <table>:`), every object.
    Soda,
    /// A Great Expectations (1.x) expectation suite, one object.
    GreatExpectations,
}

impl Target {
    /// Reads `jsonschema`, `avro`, `protobuf`, `sql` (PostgreSQL) or `sql:postgres`,
    /// `sql:snowflake`, `sql:bigquery`, `sql:spark`, `arrow`, `dbt` (or `dbt:DIALECT`), `soda`,
    /// `great-expectations` (`gx`).
    pub fn parse(s: &str) -> Option<Target> {
        let s = s.trim().to_ascii_lowercase();
        match s.split_once(':') {
            Some(("sql", d)) => Dialect::parse(d).map(Target::Sql),
            Some(("dbt", d)) => Dialect::parse(d).map(|d| Target::Dbt(Some(d))),
            Some(_) => None,
            None => match s.as_str() {
                "jsonschema" | "json-schema" => Some(Target::JsonSchema),
                "avro" | "avsc" => Some(Target::Avro),
                "protobuf" | "proto" => Some(Target::Protobuf),
                "sql" => Some(Target::Sql(Dialect::Postgres)),
                "arrow" | "ipc" => Some(Target::Arrow),
                "dbt" => Some(Target::Dbt(None)),
                "soda" | "sodacl" => Some(Target::Soda),
                "great-expectations" | "great_expectations" | "gx" => Some(Target::GreatExpectations),
                _ => None,
            },
        }
    }

    /// Single-schema languages export one object at a time.
    fn one_object(self) -> bool {
        matches!(self, Target::JsonSchema | Target::Avro | Target::Arrow | Target::GreatExpectations)
    }

    /// Check languages carry the contract's quality rules and SLAs, so they export from the
    /// contract itself ([`export_contract`]), not from its schema alone.
    pub fn is_checks(self) -> bool {
        matches!(self, Target::Dbt(_) | Target::Soda | Target::GreatExpectations)
    }

    /// Binary output (not for a terminal).
    pub fn is_binary(self) -> bool {
        self == Target::Arrow
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::JsonSchema => f.write_str("jsonschema"),
            Target::Avro => f.write_str("avro"),
            Target::Protobuf => f.write_str("protobuf"),
            Target::Sql(d) => write!(f, "sql:{}", d.name()),
            Target::Arrow => f.write_str("arrow"),
            Target::Dbt(None) => f.write_str("dbt"),
            Target::Dbt(Some(d)) => write!(f, "dbt:{}", d.name()),
            Target::Soda => f.write_str("soda"),
            Target::GreatExpectations => f.write_str("great-expectations"),
        }
    }
}

/// The exported file (or value) and what it could not say.
#[derive(Debug, Clone)]
pub struct Exported<T = Vec<u8>> {
    /// UTF-8 text, except for [`Target::Arrow`].
    pub content: T,
    /// One line per loss, naming the path (`orders.order_id: primary key not expressible`).
    pub warnings: Vec<String>,
}

/// Exports the objects of a contract's schema (`object`: only that one; required for JSON
/// Schema and Avro when the contract has several). `package` names the Protobuf package.
/// The check languages need the whole contract: see [`export_contract`].
pub fn export(schema: &Schema, target: Target, object: Option<&str>, package: &str) -> Result<Exported, Error> {
    export_schema(schema, target, object, package, &Tables::new())
}

/// Object name → the table it is stored in (`physicalName`), for the objects of other
/// contracts that foreign keys point at: DDL and reference checks name tables, contracts name
/// objects.
pub type Tables = BTreeMap<String, String>;

/// The tables of a schema's own objects, then `others`.
fn tables_of(schema: &Schema, others: &Tables) -> Tables {
    let mut tables = others.clone();
    for o in &schema.objects {
        tables.insert(o.name.clone(), o.physical_name.clone().unwrap_or_else(|| o.name.clone()));
    }
    tables
}

fn export_schema(
    schema: &Schema,
    target: Target,
    object: Option<&str>,
    package: &str,
    others: &Tables,
) -> Result<Exported, Error> {
    if target.is_checks() {
        return Err(Error::Object(format!("{target} exports a contract's checks: export the contract itself")));
    }
    let objects = select(schema, target, object)?;
    let mut warnings = Vec::new();
    if target != Target::JsonSchema {
        for o in &objects {
            for f in &o.fields {
                unsaid_widths(f, &format!("{}.{}", o.name, f.name), target, &mut warnings);
            }
        }
    }
    if let Target::Sql(d) = target
        && let Some(why) = sql::unwritable_names(&objects, d, &tables_of(schema, others))
    {
        return Err(Error::Unwritable(why));
    }
    let content = match target {
        Target::JsonSchema => jsonschema::export(objects[0], &mut warnings).into_bytes(),
        Target::Avro => avro::export(objects[0], &mut warnings).into_bytes(),
        Target::Protobuf => protobuf::export(&objects, package, &mut warnings).into_bytes(),
        Target::Sql(dialect) => sql::export(&objects, dialect, &tables_of(schema, others), &mut warnings).into_bytes(),
        Target::Arrow => arrow::export(objects[0], &mut warnings)?,
        Target::Dbt(_) | Target::Soda | Target::GreatExpectations => unreachable!("checked above"),
    };
    Ok(Exported { content, warnings })
}

/// Exports a contract: its schema for the schema languages (as [`export`]), and for the check
/// languages its schema plus the expectations the checker would run (property constraints,
/// quality rules, keys, references, SLAs), each written as the target's own check or listed
/// as a warning. `others`: the tables of objects in other contracts (of the registry) that
/// foreign keys point at.
pub fn export_contract(
    doc: &ContractDocument,
    target: Target,
    object: Option<&str>,
    package: &str,
    others: &Tables,
) -> Result<Exported, Error> {
    let schema = contrakt_core::ir::lower_contract(doc);
    if !target.is_checks() {
        return export_schema(&schema, target, object, package, others);
    }
    let objects = select(&schema, target, object)?;
    let expectations = expect::compile(doc);
    let mut warnings = Vec::new();
    let content = match target {
        Target::Dbt(dialect) => {
            let dialect = dialect.unwrap_or_else(|| server_dialect(doc, &mut warnings));
            if let Some(why) = sql::unwritable_names(&objects, dialect, &tables_of(&schema, others)) {
                return Err(Error::Unwritable(why));
            }
            dbt::export(&objects, &expectations, dialect, &mut warnings)
        }
        Target::Soda => soda::export(&objects, &expectations, &tables_of(&schema, others), &mut warnings),
        Target::GreatExpectations => {
            gx::export(objects[0], &of(&expectations, objects[0]), server_dialect(doc, &mut Vec::new()), &mut warnings)
        }
        _ => unreachable!("schema targets returned above"),
    };
    Ok(Exported { content: content.into_bytes(), warnings })
}

/// The Arrow schema of one object of a contract (`object`, or the contract's only one), as
/// [`Target::Arrow`] writes it, with what it could not say: for handing to Arrow libraries in
/// process (the Python package's `__arrow_c_schema__`).
pub fn arrow_schema(doc: &ContractDocument, object: Option<&str>) -> Result<Exported<arrow_schema::Schema>, Error> {
    let schema = contrakt_core::ir::lower_contract(doc);
    let o = select(&schema, Target::Arrow, object)?[0];
    let mut warnings = Vec::new();
    for f in &o.fields {
        unsaid_widths(f, &format!("{}.{}", o.name, f.name), Target::Arrow, &mut warnings);
    }
    let content = arrow::schema(o, &mut warnings);
    Ok(Exported { content, warnings })
}

/// The expectations about one object, less the `format`s its column types already say (an
/// `i16` integer, a `yyyy-MM-dd` date, a uuid column): the target's type carries those.
fn of<'a>(expectations: &'a [Expectation], o: &Object) -> Vec<&'a Expectation> {
    use contrakt_core::ir::DataType;
    let typed = |e: &Expectation| {
        matches!(e.measure, expect::Measure::Format(_))
            && o.fields.iter().any(|f| {
                e.column.len() == 1
                    && f.physical_name.as_deref().unwrap_or(&f.name) == e.column[0]
                    && !matches!(f.data_type, DataType::String | DataType::Enum { .. })
            })
    };
    expectations.iter().filter(|e| e.object == o.name && !typed(e)).collect()
}

/// The SQL dialect of the contract's first server that has one (dbt's `data_type`s are the
/// warehouse's); PostgreSQL, with a warning, when none does.
fn server_dialect(doc: &ContractDocument, warnings: &mut Vec<String>) -> Dialect {
    let found = doc.contract.servers.iter().find_map(|s| match s.server_type.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "snowflake" => Some(Dialect::Snowflake),
        "bigquery" => Some(Dialect::BigQuery),
        "databricks" | "spark" => Some(Dialect::Spark),
        _ => None,
    });
    found.unwrap_or_else(|| {
        warnings.push(
            "no server of the contract is a SQL warehouse; column types are PostgreSQL's (pick one with --to dbt:snowflake, …)"
                .into(),
        );
        Dialect::Postgres
    })
}

/// The objects to export: `object` alone, or all of them where the target takes several.
fn select<'a>(schema: &'a Schema, target: Target, object: Option<&str>) -> Result<Vec<&'a Object>, Error> {
    let objects: Vec<&Object> =
        match object {
            Some(name) => vec![schema.object(name).ok_or_else(|| {
                Error::Object(format!("no schema object `{name}`; the contract has: {}", names(schema)))
            })?],
            None => schema.objects.iter().collect(),
        };
    if objects.is_empty() {
        return Err(Error::Object("the contract has no schema objects to export".into()));
    }
    if target.one_object() && objects.len() > 1 {
        return Err(Error::Object(format!(
            "{target} describes one object at a time; pick one with --object ({})",
            names(schema)
        )));
    }
    Ok(objects)
}

impl Exported<Vec<u8>> {
    /// The content as text (lossy for binary targets).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.content).into_owned()
    }
}

fn names(schema: &Schema) -> String {
    schema.objects.iter().map(|o| o.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// The warning for a field's facts a target has no place for.
fn lost(warnings: &mut Vec<String>, path: &str, what: &[&str], target: &str) {
    if !what.is_empty() {
        warnings.push(format!("{path}: {target} cannot say {}; left out", what.join(", ")));
    }
}

/// What a field says beyond its type that `target` does not keep: keys, uniqueness,
/// partitioning, classification, tags, quality rules.
fn metadata_losses(f: &contrakt_core::ir::Field, keys: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if !keys && f.primary_key_position.is_some() {
        out.push("primary key");
    }
    if !keys && f.unique {
        out.push("unique");
    }
    if f.partition_position.is_some() {
        out.push("partitioning");
    }
    if f.classification.is_some() {
        out.push("classification");
    }
    if !f.quality.is_empty() {
        out.push("quality rules");
    }
    out
}

/// One warning per foreign key, on its column (single-column keys) or on the object.
fn foreign_keys_lost(o: &Object, target: &str, warnings: &mut Vec<String>) {
    for k in &o.foreign_keys {
        let at = match k.from.as_slice() {
            [one] => format!("{}.{one}", o.name),
            _ => o.name.clone(),
        };
        warnings.push(format!("{at}: {target} cannot say the foreign key to {}; left out", k.to.join(", ")));
    }
}

/// Value constraints a target's types cannot carry; `keeps_max_length`: the type says it
/// (`varchar(n)`).
fn constraint_losses(f: &contrakt_core::ir::Field, keeps_max_length: bool) -> Vec<&'static str> {
    let c = &f.constraints;
    [
        ("minLength", c.min_length.is_some()),
        ("maxLength", c.max_length.is_some() && !keeps_max_length),
        ("pattern", c.pattern.is_some()),
        ("format", c.format.is_some()),
        ("minimum", c.minimum.is_some()),
        ("maximum", c.maximum.is_some()),
        ("multipleOf", c.multiple_of.is_some()),
        ("item counts", c.min_items.is_some() || c.max_items.is_some()),
        ("uniqueItems", c.unique_items),
        ("the allowed values", c.enum_values.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, present)| present.then_some(name))
    .collect()
}

/// Every typed language needs a width the contract may leave unsaid (`integer`, `number`):
/// the export picks the widest, which reads back as a narrower type than "any width".
fn unsaid_widths(f: &contrakt_core::ir::Field, path: &str, target: Target, warnings: &mut Vec<String>) {
    use contrakt_core::ir::DataType;
    match &f.data_type {
        t @ (DataType::Int { bits: None, .. } | DataType::Float { bits: None }) => {
            warnings.push(format!("{path}: the contract does not say the width of this {t}; {target} gets the widest"));
        }
        DataType::Struct(children) => {
            for c in children {
                unsaid_widths(c, &format!("{path}.{}", c.name), target, warnings);
            }
        }
        DataType::List(item) => unsaid_widths(item, &format!("{path}[]"), target, warnings),
        DataType::Map { key, value } => {
            unsaid_widths(key, &format!("{path}{{}}"), target, warnings);
            unsaid_widths(value, &format!("{path}{{}}"), target, warnings);
        }
        _ => {}
    }
}

/// Where an expectation sits, for warnings: `orders.status`, or `orders` for the object's own.
fn expectation_path(e: &Expectation) -> String {
    match e.property_path() {
        Some(p) => format!("{}.{p}", e.object),
        None => e.object.clone(),
    }
}

/// The warning for a check a target has no way to run.
/// A segmented check (`contraktSegments`) is judged per segment; exported as one check over all
/// rows it would hold a different promise, so it is left out with a warning.
fn segmented_lost(warnings: &mut Vec<String>, e: &Expectation, target: &str) -> bool {
    let Some(s) = &e.segments else { return false };
    let why = format!("it is judged per segment of {}, which {target} has no way to say", s.properties.join(", "));
    check_lost(warnings, e, target, &why);
    true
}

fn check_lost(warnings: &mut Vec<String>, e: &Expectation, target: &str, why: &str) {
    warnings.push(format!(
        "{}: {target} cannot run `{}` ({}); left out: {why}",
        expectation_path(e),
        e.id,
        e.kind.name
    ));
}

/// A threshold number as people write it: `0`, `10000`, `0.1`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

/// The threshold as a condition the measured value must meet: `= 0`, `> 10000`,
/// `between 1 and 5`.
fn passing_when(t: &expect::Threshold) -> String {
    use contrakt_core::odcs::Operator::*;
    let v: Vec<String> = t.values.iter().map(|v| number(*v)).collect();
    let one = v.first().cloned().unwrap_or_default();
    let two = v.get(1).cloned().unwrap_or_default();
    match t.op {
        MustBe => format!("= {one}"),
        MustNotBe => format!("!= {one}"),
        MustBeGreaterThan => format!("> {one}"),
        MustBeGreaterOrEqualTo => format!(">= {one}"),
        MustBeLessThan => format!("< {one}"),
        MustBeLessOrEqualTo => format!("<= {one}"),
        MustBeBetween => format!("between {one} and {two}"),
        MustNotBeBetween => format!("not between {one} and {two}"),
    }
}

/// The opposite: the condition under which the measured value breaks the threshold.
fn failing_when(t: &expect::Threshold) -> String {
    use contrakt_core::odcs::Operator::*;
    let negated = match t.op {
        MustBe => MustNotBe,
        MustNotBe => MustBe,
        MustBeGreaterThan => MustBeLessOrEqualTo,
        MustBeGreaterOrEqualTo => MustBeLessThan,
        MustBeLessThan => MustBeGreaterOrEqualTo,
        MustBeLessOrEqualTo => MustBeGreaterThan,
        MustBeBetween => MustNotBeBetween,
        MustNotBeBetween => MustBeBetween,
    };
    passing_when(&expect::Threshold { op: negated, values: t.values.clone() })
}

/// The physical (data) name of a top-level field, given its contract name.
fn column_name(o: &Object, name: &str) -> String {
    o.fields.iter().find(|f| f.name == name).and_then(|f| f.physical_name.clone()).unwrap_or_else(|| name.to_string())
}
