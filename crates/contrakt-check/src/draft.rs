//! Drafting an ODCS v3.1 contract from profiles (`contrakt infer`), in the spirit of Deequ's
//! constraint suggestion: every promise is one the data already keeps, with a margin where the
//! next load may differ, and each says what was seen (in a `description`, since the contract
//! is data, not a commented file).

use chrono::{DateTime, Utc};
use datafusion::arrow::datatypes::{DataType as Arrow, Field as ArrowField, TimeUnit};
use serde_json::{Map, Value as Json, json};

use crate::profile::{ColumnProfile, MAX_ENUM_VALUES, Profile};

/// A string domain is an enumeration only with this many rows of evidence per value.
const ROWS_PER_ENUM_VALUE: u64 = 4;

#[derive(Debug, Clone)]
pub struct DraftOptions {
    /// The contract's `id`; `urn:contrakt:inferred:<first object>` when absent.
    pub id: Option<String>,
    /// The time freshness is measured against.
    pub now: DateTime<Utc>,
    /// Where each object's data is, as the contract's server should say it (relative to the
    /// contract file), in the order of the profiles.
    pub paths: Vec<String>,
}

/// The ODCS type of an Arrow type: `logicalType`, a `physicalType` that reads back as the same
/// type (`ir::parse_physical_type`), and the nested `items`/`properties` of lists and structs.
fn typed(p: &mut Map<String, Json>, t: &Arrow) {
    let (logical, physical): (&str, String) = match t {
        Arrow::Boolean => ("boolean", "BOOLEAN".into()),
        Arrow::Int8 => ("integer", "TINYINT".into()),
        Arrow::Int16 => ("integer", "SMALLINT".into()),
        Arrow::Int32 => ("integer", "INTEGER".into()),
        Arrow::Int64 => ("integer", "BIGINT".into()),
        Arrow::UInt8 => ("integer", "UTINYINT".into()),
        Arrow::UInt16 => ("integer", "USMALLINT".into()),
        Arrow::UInt32 => ("integer", "UINTEGER".into()),
        Arrow::UInt64 => ("integer", "UBIGINT".into()),
        Arrow::Float16 | Arrow::Float32 => ("number", "REAL".into()),
        Arrow::Float64 => ("number", "DOUBLE".into()),
        Arrow::Decimal32(p, s) | Arrow::Decimal64(p, s) | Arrow::Decimal128(p, s) | Arrow::Decimal256(p, s) => {
            ("number", format!("DECIMAL({p},{s})"))
        }
        Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View => ("string", "VARCHAR".into()),
        Arrow::Binary | Arrow::LargeBinary | Arrow::BinaryView => ("string", "BYTEA".into()),
        Arrow::FixedSizeBinary(n) => ("string", format!("BINARY({n})")),
        Arrow::Date32 | Arrow::Date64 => ("date", "DATE".into()),
        Arrow::Time32(u) | Arrow::Time64(u) => ("time", format!("TIME({})", digits(u))),
        Arrow::Timestamp(u, tz) => {
            let zone = if tz.is_some() { " WITH TIME ZONE" } else { "" };
            ("timestamp", format!("TIMESTAMP({}){zone}", digits(u)))
        }
        Arrow::List(item) | Arrow::LargeList(item) | Arrow::ListView(item) | Arrow::FixedSizeList(item, _) => {
            p.insert("logicalType".into(), json!("array"));
            p.insert("items".into(), Json::Object(nested(item)));
            return;
        }
        Arrow::Struct(fields) => {
            p.insert("logicalType".into(), json!("object"));
            p.insert("properties".into(), Json::Array(fields.iter().map(|f| Json::Object(property_of(f))).collect()));
            return;
        }
        Arrow::Dictionary(_, value) => return typed(p, value),
        other => {
            // Maps, unions, intervals: described by their Arrow name, which `check` reports
            // as a type it cannot compare rather than guessing.
            p.insert("physicalType".into(), json!(other.to_string()));
            return;
        }
    };
    p.insert("logicalType".into(), json!(logical));
    p.insert("physicalType".into(), json!(physical));
}

fn digits(u: &TimeUnit) -> u8 {
    match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    }
}

/// A list item: typed, without a name.
fn nested(f: &ArrowField) -> Map<String, Json> {
    let mut p = Map::new();
    typed(&mut p, f.data_type());
    p
}

/// A nested struct field: its name, type and Arrow nullability.
fn property_of(f: &ArrowField) -> Map<String, Json> {
    let mut p = Map::new();
    p.insert("name".into(), json!(f.name()));
    typed(&mut p, f.data_type());
    if !f.is_nullable() {
        p.insert("required".into(), json!(true));
    }
    p
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 }
}

/// A number as short text: integers without a fraction, others to 4 significant places.
fn show(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.4}") }
}

fn looks_like_key(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id" || n.ends_with("_id") || n.ends_with("id") || n.ends_with("_key")
}

/// One top-level column as an ODCS property, with its suggestions.
fn column(c: &ColumnProfile, rows: u64, key: bool) -> Map<String, Json> {
    let mut p = Map::new();
    p.insert("name".into(), json!(c.name));
    typed(&mut p, &c.data_type);
    let non_null = rows.saturating_sub(c.nulls);
    let mut seen = vec![format!("{non_null} values and {} nulls ({:.1}%) in {rows} rows", c.nulls, pct(c.nulls, rows))];
    if c.distinct > 0 {
        // The sketch may overshoot; there cannot be more distinct values than values.
        seen.push(format!("~{} distinct", c.distinct.min(non_null)));
    }
    let mut options = Map::new();
    let mut quality = Vec::new();

    if rows > 0 && c.nulls == 0 {
        p.insert("required".into(), json!(true));
    }
    // Identifiers are unique by design; timestamps and amounts only happen to be.
    let identifier = matches!(
        c.data_type,
        Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View | Arrow::Int32 | Arrow::Int64 | Arrow::UInt32 | Arrow::UInt64
    );
    if c.unique && identifier {
        p.insert("unique".into(), json!(true));
        seen.push("every value different".into());
    }
    if key {
        p.insert("primaryKey".into(), json!(true));
        p.insert("primaryKeyPosition".into(), json!(1));
    }
    if let (Some(lo), Some(hi)) = (c.min, c.max) {
        seen.push(format!("from {} to {}", show(lo), show(hi)));
        // The sign is a property of the quantity; exact bounds would be of this load only.
        if lo >= 0.0 {
            options.insert("minimum".into(), json!(0));
        }
    }
    if let (Some(a), Some(b)) = (&c.earliest, &c.latest) {
        seen.push(format!("from {a} to {b}"));
    }
    if let (Some(lo), Some(hi)) = (c.min_length, c.max_length) {
        seen.push(format!("{lo} to {hi} characters"));
        // Fixed-width codes (countries, currencies) keep their width; other lengths vary.
        if lo == hi && lo > 0 {
            options.insert("minLength".into(), json!(lo));
            options.insert("maxLength".into(), json!(hi));
        }
    }
    if non_null > 0
        && let Some((fmt, _)) = c.format_matches.iter().find(|(_, n)| **n == non_null)
    {
        options.insert("format".into(), json!(fmt));
        seen.push(format!("all {fmt}"));
    }
    let enumeration = c.values.as_ref().filter(|v| {
        !v.is_empty() && v.len() as u64 <= MAX_ENUM_VALUES && non_null >= v.len() as u64 * ROWS_PER_ENUM_VALUE
    });
    if let Some(list) = c.country {
        seen.push(format!("every value an {} country code", list.name()));
        // A small domain's own values are the stricter promise; otherwise any assigned code.
        if enumeration.is_none() {
            quality.push(json!({
                "type": "library",
                "metric": "invalidValues",
                "description": format!(
                    "Seen ~{} distinct values in {non_null} rows, every one an {} country code: any officially assigned code is allowed.",
                    c.distinct.min(non_null),
                    list.name()
                ),
                "arguments": {"validValues": list.codes()},
                "mustBe": 0,
            }));
        }
    }
    if let Some(values) = enumeration {
        let listed: Vec<String> = values.iter().map(|(v, n)| format!("{v} ({n})")).collect();
        quality.push(json!({
            "type": "library",
            "metric": "invalidValues",
            "description": format!("Seen only these {} values: {}.", values.len(), listed.join(", ")),
            "arguments": {"validValues": values.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>()},
            "mustBe": 0,
        }));
    }
    if c.nulls > 0 && c.nulls < rows {
        // Half as much again as seen, plus a point: room for an ordinary day.
        let seen_pct = pct(c.nulls, rows);
        let bound = (seen_pct * 1.5 + 1.0).ceil().min(100.0) as u64;
        quality.push(json!({
            "type": "library",
            "metric": "nullValues",
            "unit": "percent",
            "description": format!("Seen {seen_pct:.2}% nulls."),
            "mustBeLessOrEqualTo": bound,
        }));
    }
    if !options.is_empty() {
        p.insert("logicalTypeOptions".into(), Json::Object(options));
    }
    p.insert("description".into(), json!(format!("Inferred: {}.", seen.join("; "))));
    if !quality.is_empty() {
        p.insert("quality".into(), Json::Array(quality));
    }
    p
}

/// The newest timestamp column and how old its newest value is, for a freshness SLA.
fn freshness(profile: &Profile, now: DateTime<Utc>) -> Option<(String, f64)> {
    profile
        .columns
        .iter()
        .filter(|c| matches!(c.data_type, Arrow::Timestamp(..)))
        .filter_map(|c| Some((c, crate::parse_time(c.latest.as_deref()?)?)))
        .max_by_key(|(_, t)| *t)
        .map(|(c, t)| (c.name.clone(), (now - t).num_seconds() as f64))
}

/// The drafted contract, as JSON (the CLI writes it as YAML).
pub fn draft(profiles: &[Profile], opts: &DraftOptions) -> Json {
    let first = profiles.first().map_or("dataset", |p| p.object.as_str());
    let mut schema = Vec::new();
    let mut sla = Vec::new();
    for profile in profiles {
        let key = profile.columns.iter().position(|c| {
            c.unique && c.nulls == 0 && looks_like_key(&c.name) && !matches!(c.data_type, Arrow::Timestamp(..))
        });
        let properties: Vec<Json> = profile
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| Json::Object(column(c, profile.rows, key == Some(i))))
            .collect();
        let mut object = json!({
            "name": profile.object,
            "physicalType": "table",
            "description": format!(
                "Inferred by contrakt from {} ({} rows{}); review every promise before publishing.",
                profile.source.location,
                profile.rows,
                if profile.sampled { ", a sample" } else { "" }
            ),
            "properties": properties,
        });
        // Volume: a sample's size says nothing about the next load's.
        if !profile.sampled && profile.rows > 0 {
            object["quality"] = json!([{
                "type": "library",
                "metric": "rowCount",
                "description": format!("Seen {} rows; allows half to twice as many.", profile.rows),
                "mustBeBetween": [profile.rows / 2, profile.rows.saturating_mul(2)],
            }]);
        }
        schema.push(object);
        if let Some((element, age)) = freshness(profile, opts.now) {
            // At least a day; otherwise half as much again as the newest value's age now.
            let days = ((age / 86_400.0) * 1.5).ceil().max(1.0);
            sla.push(json!({
                "property": "latency",
                "value": days as u64,
                "unit": "d",
                "element": format!("{}.{element}", profile.object),
                "description": format!(
                    "The newest {element} was {:.1} hours old at {}.",
                    age / 3600.0,
                    opts.now.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            }));
        }
    }
    let mut contract = json!({
        "apiVersion": "v3.1.0",
        "kind": "DataContract",
        "id": opts.id.clone().unwrap_or_else(|| format!("urn:contrakt:inferred:{first}")),
        "name": first,
        "version": "0.1.0",
        "status": "draft",
    });
    if let Some(server) = server(profiles, &opts.paths) {
        contract["servers"] = json!([server]);
    }
    contract["schema"] = Json::Array(schema);
    if !sla.is_empty() {
        contract["slaProperties"] = Json::Array(sla);
    }
    contract
}

/// One server for all objects: their one path, or a path that differs only by the object
/// name (`{model}`). Objects read from unrelated places get none (`check --data` then).
fn server(profiles: &[Profile], paths: &[String]) -> Option<Json> {
    let pattern = match (profiles, paths) {
        ([_], [path]) => path.clone(),
        _ => {
            let patterns: Vec<String> =
                profiles.iter().zip(paths).map(|(p, path)| path.replace(&p.object, "{model}")).collect();
            let first = patterns.first()?;
            if !first.contains("{model}") || patterns.iter().any(|p| p != first) {
                return None;
            }
            first.clone()
        }
    };
    let format = profiles.first()?.source.format.name();
    Some(json!({"server": "local", "type": "local", "path": pattern, "format": format}))
}
