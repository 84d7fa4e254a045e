//! Profiling a dataset in one scan: the statistics `contrakt infer` drafts a contract from.
//!
//! One fused aggregate measures every top-level column (nulls, approximate distinct counts,
//! min/max, string lengths, how many values match the formats contrakt checks); a second,
//! small query runs only where the first found something worth confirming: exact distinct
//! counts for columns that look unique, fixed-width codes against the ISO 3166-1 country
//! lists, and the values of low-cardinality strings.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType as Arrow, Float64Type, Int64Type, SchemaRef};
use datafusion::prelude::SessionContext;

use crate::compile::format_regex;
use crate::dataset::{self, DataSource};
use crate::error::{Error, Result};
use crate::sql::{ident, string};

/// Formats a string column is tested against, in the order a match is preferred.
pub const FORMATS: &[&str] = &["uuid", "email", "date-time", "date", "uri"];

/// At most this many distinct values make a string column an enumeration candidate.
pub const MAX_ENUM_VALUES: u64 = 12;

/// A column of fixed-width codes is taken for country codes only with this much evidence: a
/// handful of two-letter values can all be countries by chance (about a third of the
/// two-letter pairs are), twenty rows over five different ones rarely are.
pub const MIN_COUNTRY_ROWS: u64 = 20;
pub const MIN_COUNTRY_DISTINCT: u64 = 5;

/// Which ISO 3166-1 code list every value of a column is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountryCodes {
    Alpha2,
    Alpha3,
}

impl CountryCodes {
    pub fn name(self) -> &'static str {
        match self {
            CountryCodes::Alpha2 => "ISO 3166-1 alpha-2",
            CountryCodes::Alpha3 => "ISO 3166-1 alpha-3",
        }
    }

    pub fn codes(self) -> &'static [&'static str] {
        match self {
            CountryCodes::Alpha2 => &crate::countries::ALPHA_2,
            CountryCodes::Alpha3 => &crate::countries::ALPHA_3,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProfile {
    pub name: String,
    pub data_type: Arrow,
    pub nulls: u64,
    /// Approximate (HyperLogLog), unless `unique` was confirmed exactly.
    pub distinct: u64,
    /// Every non-null value is different (confirmed with an exact count).
    pub unique: bool,
    /// Numbers: the smallest and largest value.
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Dates and timestamps: the earliest and latest value as ISO text.
    pub earliest: Option<String>,
    pub latest: Option<String>,
    /// Strings: the shortest and longest value, in characters.
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// Strings: values matching each of [`FORMATS`].
    pub format_matches: BTreeMap<&'static str, u64>,
    /// Low-cardinality strings: each value and how often it occurs, sorted by value.
    pub values: Option<Vec<(String, u64)>>,
    /// Fixed-width strings whose every value is a country code of this list (with at least
    /// [`MIN_COUNTRY_ROWS`] rows and [`MIN_COUNTRY_DISTINCT`] distinct values).
    pub country: Option<CountryCodes>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub object: String,
    pub source: DataSource,
    pub rows: u64,
    /// Rows profiled: all of them, or the first `--sample` rows.
    pub sampled: bool,
    pub schema: SchemaRef,
    pub columns: Vec<ColumnProfile>,
}

fn is_string(t: &Arrow) -> bool {
    matches!(t, Arrow::Utf8 | Arrow::LargeUtf8 | Arrow::Utf8View)
}

fn is_number(t: &Arrow) -> bool {
    t.is_numeric()
}

fn is_temporal(t: &Arrow) -> bool {
    matches!(t, Arrow::Date32 | Arrow::Date64 | Arrow::Timestamp(..))
}

/// Nested columns only get null counts; their insides are described by type.
fn is_flat(t: &Arrow) -> bool {
    is_string(t) || is_number(t) || is_temporal(t) || matches!(t, Arrow::Boolean)
}

/// Profiles the data at `src` as object `object`; `sample` limits it to the first rows.
pub async fn profile(ctx: &SessionContext, object: &str, src: &DataSource, sample: Option<u64>) -> Result<Profile> {
    use tracing::Instrument;
    let span = tracing::info_span!("profile", object, location = %src.location);
    measure(ctx, object, src, sample).instrument(span).await
}

async fn measure(ctx: &SessionContext, object: &str, src: &DataSource, sample: Option<u64>) -> Result<Profile> {
    let schema = dataset::register(ctx, "profiled_all", object, src).await?;
    let who = (object, src.location.as_str());
    let table = match sample {
        Some(n) => {
            collect(ctx, who, &format!("CREATE VIEW profiled AS SELECT * FROM profiled_all LIMIT {n}")).await?;
            "profiled"
        }
        None => "profiled_all",
    };

    // The fused scan: one output column per measure, named by position.
    let mut measures = vec!["count(*)".to_string()];
    for f in schema.fields() {
        let c = ident(f.name());
        measures.push(format!("count({c})"));
        if !is_flat(f.data_type()) {
            continue;
        }
        let t = f.data_type();
        // DataFusion's HyperLogLog takes no floats: count their text forms instead, which are
        // one per distinct value.
        if t.is_floating() {
            measures.push(format!("approx_distinct(CAST({c} AS VARCHAR))"));
        } else {
            measures.push(format!("approx_distinct({c})"));
        }
        if is_number(t) {
            measures.push(format!("CAST(min({c}) AS DOUBLE)"));
            measures.push(format!("CAST(max({c}) AS DOUBLE)"));
        } else if is_temporal(t) {
            measures.push(format!("CAST(min({c}) AS VARCHAR)"));
            measures.push(format!("CAST(max({c}) AS VARCHAR)"));
        } else if is_string(t) {
            measures.push(format!("CAST(min(character_length({c})) AS BIGINT)"));
            measures.push(format!("CAST(max(character_length({c})) AS BIGINT)"));
            for fmt in FORMATS {
                let re = format_regex(fmt).unwrap_or_default();
                measures.push(format!("count(*) FILTER (WHERE regexp_like({c}, {}))", string(&re)));
            }
        }
    }
    let select: Vec<String> = measures.iter().enumerate().map(|(i, m)| format!("{m} AS m{i}")).collect();
    let batch = one_row(ctx, who, &format!("SELECT {} FROM {table}", select.join(", "))).await?;
    let mut at = 0usize;
    let mut next = || {
        at += 1;
        batch.column(at - 1).clone()
    };
    let rows = int(&next()).unwrap_or(0);
    let mut columns = Vec::new();
    for f in schema.fields() {
        let t = f.data_type();
        let non_null = int(&next()).unwrap_or(0);
        let mut p = ColumnProfile {
            name: f.name().clone(),
            data_type: t.clone(),
            nulls: rows.saturating_sub(non_null),
            distinct: 0,
            unique: false,
            min: None,
            max: None,
            earliest: None,
            latest: None,
            min_length: None,
            max_length: None,
            format_matches: BTreeMap::new(),
            values: None,
            country: None,
        };
        if is_flat(t) {
            p.distinct = int(&next()).unwrap_or(0);
            if is_number(t) {
                p.min = float(&next());
                p.max = float(&next());
            } else if is_temporal(t) {
                p.earliest = text(&next());
                p.latest = text(&next());
            } else if is_string(t) {
                p.min_length = int(&next());
                p.max_length = int(&next());
                for fmt in FORMATS {
                    p.format_matches.insert(fmt, int(&next()).unwrap_or(0));
                }
            }
        }
        columns.push(p);
    }

    // Confirm what the sketch suggests: exact uniqueness where the estimate is within 3% of
    // the non-null count (HyperLogLog's error), and the values of small string domains.
    let candidates: Vec<usize> = (0..columns.len())
        .filter(|&i| {
            let c = &columns[i];
            let non_null = rows - c.nulls;
            is_flat(&c.data_type) && non_null > 1 && c.distinct as f64 >= non_null as f64 * 0.97
        })
        .collect();
    if !candidates.is_empty() {
        let select: Vec<String> = candidates
            .iter()
            .map(|&i| format!("count(DISTINCT {c}) = count({c}) AS u{i}", c = ident(&columns[i].name)))
            .collect();
        let batch = one_row(ctx, who, &format!("SELECT {} FROM {table}", select.join(", "))).await?;
        for (k, &i) in candidates.iter().enumerate() {
            let col = batch.column(k).as_boolean();
            columns[i].unique = col.is_valid(0) && col.value(0);
        }
    }
    // Country codes: fixed-width two- or three-letter strings with enough evidence, counted
    // against the official lists in one more aggregate.
    let countries: Vec<(usize, CountryCodes)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            is_string(&c.data_type)
                && rows - c.nulls >= MIN_COUNTRY_ROWS
                && c.distinct >= MIN_COUNTRY_DISTINCT
                && c.min_length == c.max_length
        })
        .filter_map(|(i, c)| match c.min_length {
            Some(2) => Some((i, CountryCodes::Alpha2)),
            Some(3) => Some((i, CountryCodes::Alpha3)),
            _ => None,
        })
        .collect();
    if !countries.is_empty() {
        let select: Vec<String> = countries
            .iter()
            .map(|&(i, list)| {
                let codes: Vec<String> = list.codes().iter().map(|c| string(c)).collect();
                format!("count(*) FILTER (WHERE {} IN ({})) AS k{i}", ident(&columns[i].name), codes.join(", "))
            })
            .collect();
        let batch = one_row(ctx, who, &format!("SELECT {} FROM {table}", select.join(", "))).await?;
        for (k, &(i, list)) in countries.iter().enumerate() {
            if int(batch.column(k)) == Some(rows - columns[i].nulls) {
                columns[i].country = Some(list);
            }
        }
    }
    for c in columns.iter_mut().filter(|c| is_string(&c.data_type) && c.distinct <= MAX_ENUM_VALUES) {
        let q = format!(
            "SELECT CAST({c} AS VARCHAR) AS v, count(*) AS n FROM {table} WHERE {c} IS NOT NULL GROUP BY {c} ORDER BY 1 LIMIT {}",
            MAX_ENUM_VALUES + 1,
            c = ident(&c.name)
        );
        let batches = collect(ctx, who, &q).await?;
        let mut values = Vec::new();
        for b in &batches {
            // DataFusion may hand back any string layout (Utf8View, say): read through a cast.
            let cast = |t| datafusion::arrow::compute::cast(b.column(0), t);
            let (v, n) = (
                cast(&Arrow::Utf8).map_err(|e| Error::Internal(e.to_string()))?,
                datafusion::arrow::compute::cast(b.column(1), &Arrow::Int64)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            );
            let (v, n) = (v.as_string::<i32>(), n.as_primitive::<Int64Type>());
            for r in 0..b.num_rows() {
                values.push((v.value(r).to_string(), n.value(r).max(0) as u64));
            }
        }
        // The sketch can undercount; a domain that turns out larger is not an enumeration.
        if values.len() as u64 <= MAX_ENUM_VALUES {
            c.distinct = values.len() as u64;
            c.values = Some(values);
        }
    }
    Ok(Profile { object: object.to_string(), source: src.clone(), rows, sampled: sample.is_some(), schema, columns })
}

/// The object and where its data is, for errors: a failing scan is almost always the data.
type Who<'a> = (&'a str, &'a str);

async fn collect(ctx: &SessionContext, (object, location): Who<'_>, sql: &str) -> Result<Vec<RecordBatch>> {
    tracing::debug!(sql, "profile query");
    let fail = |e: datafusion::error::DataFusionError| Error::source_error(object, location, &e);
    ctx.sql(sql).await.map_err(fail)?.collect().await.map_err(fail)
}

async fn one_row(ctx: &SessionContext, who: Who<'_>, sql: &str) -> Result<RecordBatch> {
    let batches = collect(ctx, who, sql).await?;
    let batch = datafusion::arrow::compute::concat_batches(
        &batches.first().map(|b| b.schema()).ok_or_else(|| Error::Internal("an aggregate returned no batch".into()))?,
        &batches,
    )
    .map_err(|e| Error::Internal(e.to_string()))?;
    if batch.num_rows() != 1 {
        return Err(Error::Internal(format!("an aggregate returned {} rows", batch.num_rows())));
    }
    Ok(batch)
}

fn int(a: &dyn Array) -> Option<u64> {
    let cast = datafusion::arrow::compute::cast(a, &Arrow::Int64).ok()?;
    let v = cast.as_primitive::<Int64Type>();
    v.is_valid(0).then(|| v.value(0).max(0) as u64)
}

fn float(a: &dyn Array) -> Option<f64> {
    let cast = datafusion::arrow::compute::cast(a, &Arrow::Float64).ok()?;
    let v = cast.as_primitive::<Float64Type>();
    v.is_valid(0).then(|| v.value(0)).filter(|f| f.is_finite())
}

fn text(a: &dyn Array) -> Option<String> {
    let cast = datafusion::arrow::compute::cast(a, &Arrow::Utf8).ok()?;
    let v = cast.as_string::<i32>();
    v.is_valid(0).then(|| v.value(0).to_string())
}
