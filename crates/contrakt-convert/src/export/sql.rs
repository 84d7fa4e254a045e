//! Objects → `CREATE TABLE` statements in one of four dialects.
//!
//! Types are the dialect's own (PostgreSQL `timestamptz`, Snowflake `TIMESTAMP_TZ`, BigQuery
//! `INT64`, Spark `STRUCT<…>`); keys are table constraints so composite keys read the same;
//! descriptions are `COMMENT ON` statements (PostgreSQL, Snowflake) or column `COMMENT`/
//! `OPTIONS(description=…)` clauses.

use contrakt_core::ir::{DataType, Field, Object, TimeUnit};

use super::{constraint_losses, lost, metadata_losses};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Snowflake,
    BigQuery,
    Spark,
}

impl Dialect {
    pub const ALL: [Dialect; 4] = [Dialect::Postgres, Dialect::Snowflake, Dialect::BigQuery, Dialect::Spark];

    pub fn parse(s: &str) -> Option<Dialect> {
        match s.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "snowflake" => Some(Dialect::Snowflake),
            "bigquery" | "bq" => Some(Dialect::BigQuery),
            "spark" | "databricks" => Some(Dialect::Spark),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Snowflake => "snowflake",
            Dialect::BigQuery => "bigquery",
            Dialect::Spark => "spark",
        }
    }

    /// The sqlparser dialect that reads this output (and that the SQL front end takes).
    pub fn sqlparser_name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgresql",
            Dialect::Snowflake => "snowflake",
            Dialect::BigQuery => "bigquery",
            Dialect::Spark => "databricks",
        }
    }
}

/// `tables`: object name → table, for the targets of foreign keys.
pub(super) fn export(objects: &[&Object], d: Dialect, tables: &super::Tables, warnings: &mut Vec<String>) -> String {
    let mut out = String::new();
    for o in objects {
        table(&mut out, o, d, tables, warnings);
    }
    out
}

fn table(out: &mut String, o: &Object, d: Dialect, tables: &super::Tables, warnings: &mut Vec<String>) {
    let name = quote(o.physical_name.as_deref().unwrap_or(&o.name), d, true);
    let mut lines: Vec<String> = Vec::new();
    for f in &o.fields {
        let path = format!("{}.{}", o.name, f.name);
        let mut line = format!("    {} {}", quote(&f.name, d, false), column_type(&f.data_type, d, f, &path, warnings));
        if !f.nullable {
            line.push_str(" NOT NULL");
        }
        if let Some(default) = f.default.as_ref().and_then(|v| literal(v, d)) {
            line.push_str(" DEFAULT ");
            line.push_str(&default);
        }
        // BigQuery has no UNIQUE; the others take it inline.
        let mut losses = metadata_losses(f, true);
        losses.extend(constraint_losses(f, matches!(f.data_type, DataType::String | DataType::Enum { .. })));
        if f.unique && f.primary_key_position.is_none() {
            if d == Dialect::BigQuery || d == Dialect::Spark {
                losses.push("unique");
            } else {
                line.push_str(" UNIQUE");
            }
        }
        match (&f.description, d) {
            (Some(text), Dialect::Spark) => line.push_str(&format!(" COMMENT {}", string(text, d))),
            (Some(text), Dialect::BigQuery) => line.push_str(&format!(" OPTIONS(description={})", string(text, d))),
            _ => {}
        }
        lost(warnings, &path, &losses, d.name());
        lines.push(line);
    }
    if !o.primary_key.is_empty() {
        let cols: Vec<String> = o.primary_key.iter().map(|c| quote(c, d, false)).collect();
        let enforced = if d == Dialect::BigQuery { " NOT ENFORCED" } else { "" };
        lines.push(format!("    PRIMARY KEY ({}){enforced}", cols.join(", ")));
    }
    for k in &o.foreign_keys {
        // `to` is `table.column` per column; the target table is the first one's.
        let Some((target, _)) = k.to.first().and_then(|t| t.split_once('.')) else {
            warnings.push(format!("{}: foreign key to `{}` names no column; left out", o.name, k.to.join(", ")));
            continue;
        };
        if d == Dialect::Spark {
            super::foreign_keys_lost(o, "spark", warnings);
            break;
        }
        let from: Vec<String> = k.from.iter().map(|c| quote(c, d, false)).collect();
        let to: Vec<String> =
            k.to.iter().map(|t| quote(t.split_once('.').map_or(t.as_str(), |(_, c)| c), d, false)).collect();
        let enforced = if d == Dialect::BigQuery { " NOT ENFORCED" } else { "" };
        lines.push(format!(
            "    FOREIGN KEY ({}) REFERENCES {} ({}){enforced}",
            from.join(", "),
            quote(tables.get(target).map_or(target, String::as_str), d, true),
            to.join(", ")
        ));
    }
    out.push_str(&format!("CREATE TABLE {name} (\n{}\n)", lines.join(",\n")));
    if !o.partitioning.is_empty() {
        let cols: Vec<String> = o.partitioning.iter().map(|c| quote(c, d, false)).collect();
        match d {
            Dialect::Spark => out.push_str(&format!("\nPARTITIONED BY ({})", cols.join(", "))),
            Dialect::BigQuery if cols.len() == 1 => out.push_str(&format!("\nPARTITION BY {}", cols[0])),
            _ => warnings.push(format!("{}: {} cannot say this partitioning; left out", o.name, d.name())),
        }
    }
    match (&o.description, d) {
        (Some(text), Dialect::Spark) => out.push_str(&format!("\nCOMMENT {}", string(text, d))),
        (Some(text), Dialect::BigQuery) => out.push_str(&format!("\nOPTIONS(description={})", string(text, d))),
        _ => {}
    }
    out.push_str(";\n");
    if matches!(d, Dialect::Postgres | Dialect::Snowflake) {
        if let Some(text) = &o.description {
            out.push_str(&format!("COMMENT ON TABLE {name} IS {};\n", string(text, d)));
        }
        for f in &o.fields {
            if let Some(text) = &f.description {
                out.push_str(&format!(
                    "COMMENT ON COLUMN {name}.{} IS {};\n",
                    quote(&f.name, d, false),
                    string(text, d)
                ));
            }
        }
    }
    out.push('\n');
}

/// A column's type; `f` carries the length a character type declares.
pub(super) fn column_type(t: &DataType, d: Dialect, f: &Field, path: &str, warnings: &mut Vec<String>) -> String {
    use Dialect::*;
    // Element types carry no NOT NULL, keys or constraints in these dialects' DDL.
    let element = match t {
        DataType::List(item) => Some((item.as_ref(), format!("{path}[]"))),
        DataType::Map { value, .. } => Some((value.as_ref(), format!("{path}{{}}"))),
        _ => None,
    };
    if let Some((e, at)) = element {
        let mut losses = metadata_losses(e, false);
        losses.extend(constraint_losses(e, matches!(e.data_type, DataType::String | DataType::Enum { .. })));
        if !e.nullable {
            losses.push("not null");
        }
        if e.default.is_some() {
            losses.push("a default");
        }
        lost(warnings, &at, &losses, d.name());
    }
    let digits = |u: &Option<TimeUnit>| match u {
        Some(TimeUnit::Second) => "(0)",
        Some(TimeUnit::Millisecond) => "(3)",
        Some(TimeUnit::Microsecond) => "(6)",
        Some(TimeUnit::Nanosecond) => "(9)",
        None => "",
    };
    let mut lossy = |what: String| warnings.push(format!("{path}: {what}"));
    match (t, d) {
        (DataType::Boolean, BigQuery) => "BOOL".into(),
        (DataType::Boolean, _) => "BOOLEAN".into(),
        (DataType::Int { bits, signed }, _) => {
            // Unsigned values need the next wider signed type: no dialect here has unsigned.
            let needed = bits.map(|b| if *signed { b } else { b.saturating_mul(2) });
            let name = match (needed, d) {
                (Some(8), Spark | Snowflake) => "TINYINT",
                (Some(_), BigQuery) | (None, BigQuery) if needed.is_none_or(|n| n <= 64) => "INT64",
                (Some(8 | 16), _) => "SMALLINT",
                (Some(32), _) => "INTEGER",
                (Some(64) | None, _) => "BIGINT",
                (Some(_), _) => {
                    lossy(format!("{t} has no {} type; written as DECIMAL(38,0)", d.name()));
                    return if d == BigQuery { "NUMERIC(38,0)".into() } else { "DECIMAL(38,0)".into() };
                }
            };
            if !signed || (d == Postgres && *bits == Some(8)) || (d == BigQuery && *bits != Some(64)) {
                lossy(format!("{} has no {t}; written as {name}", d.name()));
            }
            name.into()
        }
        (DataType::Float { bits: Some(32) }, Postgres) => "REAL".into(),
        (DataType::Float { bits: Some(32) }, Spark) => "FLOAT".into(),
        (DataType::Float { bits: Some(32) }, BigQuery) => {
            lossy(format!("BigQuery has no {t}; written as FLOAT64"));
            "FLOAT64".into()
        }
        (DataType::Float { bits: Some(32) }, Snowflake) => {
            // Snowflake's FLOAT, REAL and DOUBLE are all 64-bit.
            lossy(format!("Snowflake has no {t}; written as DOUBLE"));
            "DOUBLE".into()
        }
        (DataType::Float { .. }, BigQuery) => "FLOAT64".into(),
        (DataType::Float { .. }, Postgres) => "DOUBLE PRECISION".into(),
        (DataType::Float { .. }, _) => "DOUBLE".into(),
        (DataType::Decimal { precision: Some(p), scale }, _) => {
            let s = scale.unwrap_or(0);
            match d {
                BigQuery if *p > 38 || s > 9 => format!("BIGNUMERIC({p},{s})"),
                BigQuery => format!("NUMERIC({p},{s})"),
                Snowflake => format!("NUMBER({p},{s})"),
                Postgres => format!("NUMERIC({p},{s})"),
                Spark => format!("DECIMAL({p},{s})"),
            }
        }
        (DataType::Decimal { precision: None, .. }, BigQuery) => "NUMERIC".into(),
        (DataType::Decimal { precision: None, .. }, Postgres) => "NUMERIC".into(),
        (DataType::Decimal { precision: None, .. }, _) => {
            lossy(format!("{} decimals need a precision; written as DECIMAL(38,9)", d.name()));
            "DECIMAL(38,9)".into()
        }
        (DataType::String | DataType::Enum { .. }, _) => match (f.constraints.max_length, d) {
            (Some(n), BigQuery) => format!("STRING({n})"),
            (Some(n), Spark) => format!("VARCHAR({n})"),
            (Some(n), _) => format!("VARCHAR({n})"),
            (None, Postgres) => "TEXT".into(),
            (None, Snowflake) => "VARCHAR".into(),
            (None, _) => "STRING".into(),
        },
        (DataType::FixedBinary { size }, Snowflake) => format!("BINARY({size})"),
        (DataType::FixedBinary { .. }, _) => {
            lossy(format!("{} has no fixed-size binary; {t} written as variable-length", d.name()));
            if d == Postgres {
                "BYTEA".into()
            } else if d == BigQuery {
                "BYTES".into()
            } else {
                "BINARY".into()
            }
        }
        (DataType::Binary, Postgres) => "BYTEA".into(),
        (DataType::Binary, BigQuery) => "BYTES".into(),
        (DataType::Binary, _) => "BINARY".into(),
        (DataType::Uuid, Postgres) => "UUID".into(),
        (DataType::Uuid, _) => {
            lossy(format!("{} has no uuid type; written as a string", d.name()));
            if d == Snowflake { "VARCHAR".into() } else { "STRING".into() }
        }
        (DataType::Date, _) => "DATE".into(),
        (DataType::Time { unit: Some(TimeUnit::Nanosecond) }, Postgres) => {
            lossy("PostgreSQL times hold microseconds; written with them".into());
            "TIME(6)".into()
        }
        (DataType::Time { unit }, Postgres | Snowflake) => format!("TIME{}", digits(unit)),
        (DataType::Time { unit }, BigQuery) => {
            if unit.is_some_and(|u| u != TimeUnit::Microsecond) {
                lossy(format!("BigQuery times hold microseconds; {t} written with them"));
            }
            "TIME".into()
        }
        (DataType::Time { .. }, Spark) => {
            lossy("Spark has no time of day; written as STRING".into());
            "STRING".into()
        }
        (DataType::Timestamp { unit, timezone }, _) => {
            let tz = timezone.unwrap_or(true);
            if timezone.is_none() {
                lossy("the contract does not say whether the timestamp has a time zone; written with one".into());
            }
            // BigQuery and Spark store microseconds; PostgreSQL keeps at most microseconds.
            let fixed = matches!(d, BigQuery | Spark);
            let unit = &match unit {
                Some(u) if (fixed && *u != TimeUnit::Microsecond) || (d == Postgres && *u == TimeUnit::Nanosecond) => {
                    lossy(format!("{} timestamps hold microseconds; {t} written with them", d.name()));
                    Some(TimeUnit::Microsecond)
                }
                other => *other,
            };
            match (d, tz) {
                (Postgres, true) => format!("TIMESTAMP{} WITH TIME ZONE", digits(unit)),
                (Postgres, false) => format!("TIMESTAMP{}", digits(unit)),
                (Snowflake, true) => format!("TIMESTAMP_TZ{}", digits(unit)),
                (Snowflake, false) => format!("TIMESTAMP_NTZ{}", digits(unit)),
                (BigQuery, true) => "TIMESTAMP".into(),
                (BigQuery, false) => "DATETIME".into(),
                (Spark, true) => "TIMESTAMP".into(),
                (Spark, false) => "TIMESTAMP_NTZ".into(),
            }
        }
        (DataType::Duration, Postgres) => "INTERVAL".into(),
        (DataType::Duration, _) => {
            lossy(format!("{} has no interval column type; written as a string", d.name()));
            if d == Snowflake { "VARCHAR".into() } else { "STRING".into() }
        }
        (DataType::Any, Postgres) => "JSONB".into(),
        (DataType::Any, Snowflake) => "VARIANT".into(),
        (DataType::Any, BigQuery) => "JSON".into(),
        (DataType::Any, Spark) => {
            lossy("Spark has no JSON type; written as STRING".into());
            "STRING".into()
        }
        (DataType::List(item), Postgres) => {
            if matches!(item.data_type, DataType::List(_) | DataType::Struct(_) | DataType::Map { .. }) {
                lossy(format!("PostgreSQL arrays hold scalars; {t} written as JSONB"));
                return "JSONB".into();
            }
            format!("{}[]", column_type(&item.data_type, d, item, &format!("{path}[]"), warnings))
        }
        (DataType::List(_) | DataType::Map { .. } | DataType::Struct(_), Snowflake) => {
            lossy(format!("Snowflake's semi-structured types are untyped; {t} written as VARIANT"));
            "VARIANT".into()
        }
        (DataType::List(item), BigQuery | Spark) => {
            format!("ARRAY<{}>", column_type(&item.data_type, d, item, &format!("{path}[]"), warnings))
        }
        (DataType::Struct(fields), BigQuery | Spark) => {
            let sep = if d == Spark { ": " } else { " " };
            let members: Vec<String> = fields
                .iter()
                .map(|c| {
                    let ty = column_type(&c.data_type, d, c, &format!("{path}.{}", c.name), warnings);
                    if !c.nullable {
                        warnings.push(format!("{path}.{}: NOT NULL inside a STRUCT is not kept", c.name));
                    }
                    // A member has a type and a name only.
                    let mut losses = metadata_losses(c, false);
                    losses
                        .extend(constraint_losses(c, matches!(c.data_type, DataType::String | DataType::Enum { .. })));
                    if c.default.is_some() {
                        losses.push("a default");
                    }
                    lost(warnings, &format!("{path}.{}", c.name), &losses, d.name());
                    format!("{}{sep}{ty}", quote(&c.name, d, false))
                })
                .collect();
            format!("STRUCT<{}>", members.join(", "))
        }
        (DataType::Map { key, value }, Spark) => format!(
            "MAP<{}, {}>",
            column_type(&key.data_type, d, key, &format!("{path}{{}}"), warnings),
            column_type(&value.data_type, d, value, &format!("{path}{{}}"), warnings)
        ),
        (DataType::Map { .. }, BigQuery) => {
            lossy("BigQuery has no map type; written as JSON".into());
            "JSON".into()
        }
        (DataType::Struct(_) | DataType::Map { .. }, Postgres) => {
            lossy(format!("{t} written as JSONB"));
            "JSONB".into()
        }
        (DataType::Null | DataType::Union(_) | DataType::Unknown(_), _) => {
            lossy(format!("{t} has no {} spelling; written as a string", d.name()));
            if d == Postgres || d == Snowflake { "TEXT".into() } else { "STRING".into() }
        }
    }
}

/// A literal default, when the value is one (a string default such as `now()` is kept as an
/// expression only when it looks like a call).
fn literal(v: &serde_json::Value, d: Dialect) -> Option<String> {
    match v {
        serde_json::Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.into()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        // Only a bare call (`now()`, `gen_random_uuid()`): anything else is a literal.
        serde_json::Value::String(s) if is_call(s) || s.eq_ignore_ascii_case("current_timestamp") => Some(s.clone()),
        serde_json::Value::String(s) => Some(string(s, d)),
        _ => None,
    }
}

/// A string literal that reads back as `s` in the dialect. PostgreSQL's standard strings take a
/// backslash as it is and double the quote; BigQuery, Snowflake and Spark read backslash escapes,
/// so the backslash is escaped too and the quote written `\'` (Spark and BigQuery would read
/// `''` as two literals run together). BigQuery's quoted strings hold no line break: those
/// and other control characters are escapes there.
pub(super) fn string(s: &str, d: Dialect) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match (c, d) {
            ('\'', Dialect::Postgres) => out.push_str("''"),
            ('\'', _) => out.push_str("\\'"),
            ('\\', Dialect::Postgres) => out.push('\\'),
            ('\\', _) => out.push_str("\\\\"),
            ('\n', Dialect::BigQuery) => out.push_str("\\n"),
            ('\r', Dialect::BigQuery) => out.push_str("\\r"),
            ('\t', Dialect::BigQuery) => out.push_str("\\t"),
            (c, Dialect::BigQuery) if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            (c, _) => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `name()`: a function call with no arguments, which a default may be.
fn is_call(s: &str) -> bool {
    s.strip_suffix("()").is_some_and(|name| {
        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    })
}

/// Quotes an identifier when it is not a plain lower-case word: BigQuery and Spark with
/// backticks (Spark doubles a backtick inside; BigQuery reads backslash escapes there, and
/// names it cannot hold are refused before export, see [`unwritable`]), the others with double
/// quotes, doubled inside. `dotted`: a qualified table name, each part quoted on its own.
pub(super) fn quote(name: &str, d: Dialect, dotted: bool) -> String {
    let one = |part: &str| {
        let plain = part.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !RESERVED.contains(&part);
        match (plain, d) {
            (true, _) => part.to_string(),
            (false, Dialect::Spark) => format!("`{}`", part.replace('`', "``")),
            (false, Dialect::BigQuery) => format!("`{}`", part.replace('\\', "\\\\").replace('`', "\\`")),
            (false, _) => format!("\"{}\"", part.replace('"', "\"\"")),
        }
    };
    if dotted { name.split('.').map(one).collect::<Vec<_>>().join(".") } else { one(name) }
}

/// Why a dialect cannot hold this name safely, if it cannot: BigQuery's names hold no
/// backtick, backslash or control character (its quoted names read backslash escapes, which
/// other SQL readers do not).
pub(super) fn unwritable(name: &str, d: Dialect) -> Option<String> {
    (d == Dialect::BigQuery && name.chars().any(|c| c == '`' || c == '\\' || c.is_control())).then(|| {
        format!("`{}`: a BigQuery name cannot hold a backtick, a backslash or a control character", name.escape_debug())
    })
}

/// The first name of these objects (tables, columns at any depth, foreign-key targets) that the
/// dialect cannot hold safely ([`unwritable`]), as the reason.
pub(super) fn unwritable_names(objects: &[&Object], d: Dialect, tables: &super::Tables) -> Option<String> {
    fn in_fields(fields: &[Field], d: Dialect) -> Option<String> {
        fields.iter().find_map(|f| {
            let nested = match &f.data_type {
                DataType::Struct(children) => in_fields(children, d),
                DataType::List(item) => in_fields(std::slice::from_ref(item.as_ref()), d),
                DataType::Map { key, value } => in_fields(&[key.as_ref().clone(), value.as_ref().clone()], d),
                _ => None,
            };
            unwritable(&f.name, d).or_else(|| f.physical_name.as_deref().and_then(|p| unwritable(p, d))).or(nested)
        })
    }
    objects.iter().find_map(|o| {
        unwritable(o.physical_name.as_deref().unwrap_or(&o.name), d)
            .or_else(|| in_fields(&o.fields, d))
            .or_else(|| o.foreign_keys.iter().flat_map(|k| &k.to).find_map(|t| unwritable(t, d)))
            .or_else(|| {
                o.foreign_keys
                    .iter()
                    .filter_map(|k| k.to.first().and_then(|t| t.split_once('.')).and_then(|(t, _)| tables.get(t)))
                    .find_map(|t| unwritable(t, d))
            })
    })
}

/// Words that would not read as column names unquoted in some dialect.
const RESERVED: &[&str] = &[
    "all",
    "and",
    "array",
    "as",
    "by",
    "case",
    "check",
    "column",
    "create",
    "date",
    "default",
    "end",
    "from",
    "group",
    "in",
    "interval",
    "is",
    "key",
    "limit",
    "map",
    "not",
    "null",
    "or",
    "order",
    "primary",
    "references",
    "select",
    "struct",
    "table",
    "time",
    "timestamp",
    "to",
    "union",
    "unique",
    "user",
    "where",
    "with",
];
