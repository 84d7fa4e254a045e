//! JSON files in an object store (`s3://`, `gs://`, `https://`), in either layout: one object a
//! line, or one array of objects (ODCS `delimiter: array`). The layout is told, and the schema
//! inferred, from the first [`SNIFF_BYTES`] of the first files (ranged reads): DataFusion's own
//! inference downloads each remote file whole into memory before reading its first records.
//! The records themselves are then streamed (DataFusion reads an array file in bounded memory).
//!
//! A JSON record may leave out an optional property (where a CSV or Parquet file has a column):
//! one that no record holds reads as a column of nulls ([`absent_as_null`]), as datacontract-cli
//! judges it, rather than as a missing column.

use std::sync::Arc;

use std::collections::BTreeMap;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::json::reader::infer_json_schema_from_iterator;
use datafusion::catalog::Session;
use datafusion::common::metadata::FieldMetadata;
use datafusion::common::{ScalarValue, TableReference};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::logical_expr::Expr;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::{GetOptions, GetRange, ObjectStore};
use serde_json::Value as Json;

use super::JsonLayout;

/// How much of each remote JSON file is read to tell its layout and infer its schema: 8 MiB.
pub(super) const SNIFF_BYTES: u64 = 8 << 20;

/// Records the schema is inferred from, as DataFusion's inference reads (its default).
const INFER_RECORDS: usize = 1000;

/// The layout shared by the first files of the remote data, and their schema, inferred from
/// their first records. `Err` with the reason when they cannot be read.
pub(super) async fn sniff(
    state: &dyn Session,
    store: &Arc<dyn ObjectStore>,
    url: &ListingTableUrl,
    extension: &str,
) -> std::result::Result<Option<(JsonLayout, Schema)>, String> {
    let mut files: Vec<object_store::ObjectMeta> = url
        .list_all_files(state, store.as_ref(), extension)
        .await
        .map_err(|e| e.to_string())?
        .try_collect()
        .await
        .map_err(|e| e.to_string())?;
    files.sort_by(|a, b| a.location.cmp(&b.location));
    let mut layout: Option<(JsonLayout, String)> = None;
    let mut records = Vec::new();
    for file in files.iter().filter(|f| f.size > 0) {
        let whole = file.size <= SNIFF_BYTES;
        let range = GetRange::Bounded(0..file.size.min(SNIFF_BYTES));
        let options = GetOptions { range: Some(range), ..GetOptions::default() };
        let fail = |e: object_store::Error| format!("cannot read {}: {e}", file.location);
        let bytes = store.get_opts(&file.location, options).await.map_err(fail)?.bytes().await.map_err(fail)?;
        let Some(this) = layout_of(&bytes) else { continue };
        match &layout {
            None => layout = Some((this, file.location.to_string())),
            Some((first, at)) if *first != this => {
                let (lines, array) = if *first == JsonLayout::Lines {
                    (at.clone(), file.location.to_string())
                } else {
                    (file.location.to_string(), at.clone())
                };
                return Err(format!(
                    "{lines} holds one JSON object a line and {array} one JSON array: contrakt reads one layout per dataset; point at one file or folder"
                ));
            }
            Some(_) => {}
        }
        let read = first_records(&bytes, whole, this, INFER_RECORDS - records.len())
            .map_err(|e| format!("{} is not JSON of its layout: {e}", file.location))?;
        if read.is_empty() && !whole {
            return Err(format!(
                "{} holds no whole record in its first {} MiB: contrakt infers a JSON file's schema from its first records",
                file.location,
                SNIFF_BYTES >> 20
            ));
        }
        records.extend(read);
        if records.len() >= INFER_RECORDS {
            break;
        }
    }
    let Some((layout, _)) = layout else { return Ok(None) };
    let schema = infer_json_schema_from_iterator(records.iter().map(Ok::<_, ArrowError>)).map_err(|e| e.to_string())?;
    Ok(Some((layout, schema)))
}

/// Field metadata marking a column no record of the JSON data holds, read as nulls.
pub(crate) const ABSENT: &str = "contrakt.absent";

/// Puts the optional columns `absent` (name, type), which no record of the JSON data in `table`
/// holds, into it as nulls marked [`ABSENT`]; the table's new schema, `None` when there were none.
pub(crate) async fn absent_as_null(
    ctx: &SessionContext,
    table: &str,
    absent: &[(String, DataType)],
) -> crate::error::Result<Option<Schema>> {
    if absent.is_empty() {
        return Ok(None);
    }
    let records = format!("{table}__records");
    let provider = ctx
        .deregister_table(TableReference::bare(table))?
        .ok_or_else(|| crate::error::Error::Internal(format!("no table `{table}` registered")))?;
    ctx.register_table(TableReference::bare(records.as_str()), provider)?;
    let mut df = ctx.table(TableReference::bare(records.as_str())).await?;
    for (name, t) in absent {
        let marked = FieldMetadata::from(BTreeMap::from([(ABSENT.to_string(), "true".to_string())]));
        df = df.with_column(name, Expr::Literal(ScalarValue::try_from(t)?, Some(marked)))?;
    }
    let schema = df.schema().as_arrow().clone();
    ctx.register_table(TableReference::bare(table), df.into_view())?;
    Ok(Some(schema))
}

/// The layout told by the first character past a byte-order mark and white space; `None` for
/// an empty file.
pub(super) fn layout_of(bytes: &[u8]) -> Option<JsonLayout> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .map(|b| if *b == b'[' { JsonLayout::Array } else { JsonLayout::Lines })
}

/// Up to `max` whole records from the start of a file (`whole`: `bytes` is all of it; else the
/// last, cut record is left out).
fn first_records(bytes: &[u8], whole: bool, layout: JsonLayout, max: usize) -> std::result::Result<Vec<Json>, String> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Vec::new();
    match layout {
        JsonLayout::Lines => {
            let mut lines: Vec<&[u8]> = text.split(|b| *b == b'\n').collect();
            if !whole {
                lines.pop();
            }
            for (n, line) in lines.into_iter().enumerate() {
                if out.len() >= max {
                    break;
                }
                if line.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                out.push(serde_json::from_slice(line).map_err(|e| format!("line {}: {e}", n + 1))?);
            }
        }
        JsonLayout::Array => {
            let skip = |t: &[u8]| -> usize { t.iter().take_while(|b| b.is_ascii_whitespace()).count() };
            let mut at = skip(text);
            if text.get(at) != Some(&b'[') {
                return Err("expected `[`".into());
            }
            at += 1;
            while out.len() < max {
                at += skip(&text[at..]);
                if text.get(at) == Some(&b']') || at >= text.len() {
                    break;
                }
                let mut values = serde_json::Deserializer::from_slice(&text[at..]).into_iter::<Json>();
                match values.next() {
                    Some(Ok(v)) => {
                        out.push(v);
                        at += values.byte_offset();
                    }
                    // Cut by the end of the bytes read: the records before it are whole.
                    Some(Err(e)) if e.is_eof() && !whole => break,
                    Some(Err(e)) => return Err(format!("record {}: {e}", out.len() + 1)),
                    None => break,
                }
                at += skip(&text[at..]);
                match text.get(at) {
                    Some(b',') => at += 1,
                    Some(b']') | None => break,
                    Some(other) => {
                        return Err(format!("record {}: expected `,` or `]`, found `{}`", out.len(), *other as char));
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_and_first_records() {
        assert_eq!(layout_of(b"\xEF\xBB\xBF \n[{}]"), Some(JsonLayout::Array));
        assert_eq!(layout_of(b"{\"a\": 1}\n"), Some(JsonLayout::Lines));
        assert_eq!(layout_of(b"  \n"), None);
        let array = br#"[ {"a": 1}, {"a": 2, "b": "x,]"} ,{"a": 3}]"#;
        assert_eq!(first_records(array, true, JsonLayout::Array, 10).unwrap().len(), 3);
        assert_eq!(first_records(array, true, JsonLayout::Array, 2).unwrap().len(), 2);
        // Cut inside the third record: the two before it are whole.
        let cut = &array[..array.len() - 5];
        assert_eq!(first_records(cut, false, JsonLayout::Array, 10).unwrap().len(), 2);
        assert!(first_records(cut, true, JsonLayout::Array, 10).is_err());
        assert!(
            first_records(br#"[{"a": 1} {"a": 2}]"#, true, JsonLayout::Array, 10).unwrap_err().contains("expected `,`")
        );
        let lines = b"{\"a\": 1}\n\n{\"a\": 2}\n{\"a\": ";
        assert_eq!(first_records(lines, false, JsonLayout::Lines, 10).unwrap().len(), 2);
        assert!(first_records(lines, true, JsonLayout::Lines, 10).unwrap_err().contains("line 4"));
        assert_eq!(first_records(b"[]", true, JsonLayout::Array, 10).unwrap().len(), 0);
    }

    proptest::proptest! {
        // Any bytes, cut anywhere: records or a reason, never a panic.
        #[test]
        fn first_records_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200), whole: bool) {
            let _ = first_records(&bytes, whole, JsonLayout::Array, 5);
            let _ = first_records(&bytes, whole, JsonLayout::Lines, 5);
        }
    }
}
