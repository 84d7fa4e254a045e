//! Merge-on-read position deletes (Iceberg format version 2): a position-delete file is Parquet
//! with `file_path` and `pos` columns, each row deleting one row (by its 0-based position) of one
//! data file. A delete file applies to a data file whose data sequence number is at most its
//! own (the spec's rule: deletes never reach rows written after them). The positions are read
//! once per snapshot, and a data file with deleted rows is scanned with a Parquet row selection
//! that skips them, so they are never decoded, let alone counted.
//!
//! Equality deletes and deletion vectors (format version 3, Puffin) are refused by the caller.
//! The delete files are someone else's: their paths are confined like data files', and the
//! positions kept are bounded ([`MAX_POSITIONS`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::execution::TaskContext;
use datafusion::parquet::arrow::ParquetRecordBatchStreamBuilder;
use datafusion::parquet::arrow::arrow_reader::{ArrowReaderOptions, RowSelection, RowSelector};
use datafusion::physical_plan::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectStore, ObjectStoreExt};

/// Deleted positions kept for one snapshot, all data files together (8 bytes each).
pub const MAX_POSITIONS: usize = 10_000_000;
/// Delete files read at once.
const CONCURRENCY: usize = 8;

/// A position-delete file of the snapshot.
#[derive(Debug, Clone)]
pub(super) struct DeleteFile {
    pub url: url::Url,
    /// As the manifest names it, for messages.
    pub path: String,
    /// Its data sequence number.
    pub sequence: i64,
}

/// The deleted positions of each data file (by the path the manifests name it with) that the
/// delete files reach: `data` maps a data file's path to its data sequence number.
pub(super) async fn positions(
    store: &Arc<dyn ObjectStore>,
    deletes: &[DeleteFile],
    data: &HashMap<&str, i64>,
) -> Result<HashMap<String, Arc<Vec<u64>>>, String> {
    let read = futures::stream::iter(deletes.iter().map(|file| async move {
        let path =
            object_store::path::Path::from_url_path(file.url.path()).map_err(|e| format!("{}: {e}", file.path))?;
        let meta = store.head(&path).await.map_err(|e| format!("delete file `{}`: {e}", file.path))?;
        let reader = reader(store, meta);
        let builder = ParquetRecordBatchStreamBuilder::new(reader)
            .await
            .map_err(|e| format!("delete file `{}` is not a readable Parquet file: {e}", file.path))?;
        let schema = builder.schema().clone();
        let column = |name: &str| {
            schema.index_of(name).map_err(|_| format!("delete file `{}` has no `{name}` column", file.path))
        };
        let (path_at, pos_at) = (column("file_path")?, column("pos")?);
        let mask = datafusion::parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), [path_at, pos_at]);
        let stream = builder.with_projection(mask).build().map_err(|e| format!("delete file `{}`: {e}", file.path))?;
        Ok::<_, String>((file, stream))
    }))
    .buffered(CONCURRENCY);
    futures::pin_mut!(read);
    let mut deleted: HashMap<String, BTreeSet<u64>> = HashMap::new();
    let mut kept = 0usize;
    while let Some(opened) = read.next().await {
        let (file, mut stream) = opened?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| format!("delete file `{}`: {e}", file.path))?;
            let (paths, pos) = (batch.column(0), batch.column(1));
            let paths = datafusion::arrow::compute::cast(paths, &DataType::Utf8)
                .map_err(|e| format!("delete file `{}`: `file_path`: {e}", file.path))?;
            let pos = datafusion::arrow::compute::cast(pos, &DataType::Int64)
                .map_err(|e| format!("delete file `{}`: `pos`: {e}", file.path))?;
            let (paths, pos) = (paths.as_string::<i32>(), pos.as_primitive::<Int64Type>());
            for i in 0..batch.num_rows() {
                if paths.is_null(i) || pos.is_null(i) {
                    return Err(format!("delete file `{}` has a null `file_path` or `pos`", file.path));
                }
                let (target, at) = (paths.value(i), pos.value(i));
                // Only live data files written no later than the delete file.
                let Some(sequence) = data.get(target) else { continue };
                if *sequence > file.sequence {
                    continue;
                }
                let at = u64::try_from(at).map_err(|_| format!("delete file `{}` deletes position {at}", file.path))?;
                if deleted.entry(target.to_string()).or_default().insert(at) {
                    kept += 1;
                    if kept > MAX_POSITIONS {
                        return Err(format!(
                            "its delete files delete more than {MAX_POSITIONS} rows, more than contrakt applies; compact the table"
                        ));
                    }
                }
            }
        }
    }
    Ok(deleted.into_iter().map(|(path, set)| (path, Arc::new(set.into_iter().collect()))).collect())
}

/// A Parquet reader of the object `meta` describes. parquet 59.2 deprecated
/// `ParquetObjectReader` for readers written against `AsyncFileReader`, whose signature names
/// `bytes::Bytes`: a dependency of its own for this one use (DataFusion's reader factory hands
/// out a `Box<dyn AsyncFileReader + Send>`, which the stream builder does not take).
#[allow(deprecated)]
fn reader(
    store: &Arc<dyn ObjectStore>,
    meta: object_store::ObjectMeta,
) -> datafusion::parquet::arrow::async_reader::ParquetObjectReader {
    datafusion::parquet::arrow::async_reader::ParquetObjectReader::new(store.clone(), meta.location)
        .with_file_size(meta.size)
}

/// The rows of a file of `rows` rows left after deleting the sorted positions `deleted`.
fn selection(rows: u64, deleted: &[u64]) -> RowSelection {
    let mut selectors = Vec::with_capacity(2 * deleted.len() + 1);
    let mut at = 0u64;
    for &d in deleted.iter().take_while(|d| **d < rows) {
        if d > at {
            selectors.push(RowSelector::select((d - at) as usize));
        }
        selectors.push(RowSelector::skip(1));
        at = d + 1;
    }
    if rows > at {
        selectors.push(RowSelector::select((rows - at) as usize));
    }
    RowSelection::from(selectors)
}

/// One data file with deleted rows, read as one partition of a streaming table: the Parquet
/// reader skips the deleted positions. `schema` is the file's, as the other files of its group
/// are read (strings as views, field ids kept).
#[derive(Debug)]
pub(super) struct DeletedRows {
    pub store: Arc<dyn ObjectStore>,
    pub url: url::Url,
    pub path: String,
    pub schema: SchemaRef,
    pub deleted: Arc<Vec<u64>>,
}

impl PartitionStream for DeletedRows {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (store, url, path, schema, deleted) =
            (self.store.clone(), self.url.clone(), self.path.clone(), self.schema.clone(), self.deleted.clone());
        let batch_size = ctx.session_config().batch_size();
        let fail = move |e: String| datafusion::error::DataFusionError::Execution(format!("data file `{path}`: {e}"));
        let opened = async move {
            let location = object_store::path::Path::from_url_path(url.path()).map_err(|e| e.to_string())?;
            let meta = store.head(&location).await.map_err(|e| e.to_string())?;
            let reader = reader(&store, meta);
            let options = ArrowReaderOptions::new().with_schema(schema.clone());
            let builder =
                ParquetRecordBatchStreamBuilder::new_with_options(reader, options).await.map_err(|e| e.to_string())?;
            let rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
            let stream = builder
                .with_row_selection(selection(rows, &deleted))
                .with_batch_size(batch_size)
                .build()
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(stream.map(move |b| {
                let b = b.map_err(|e| e.to_string())?;
                // The file's batches under the group's schema (its field ids included).
                RecordBatch::try_new(schema.clone(), b.columns().to_vec()).map_err(|e| e.to_string())
            }))
        };
        let stream = futures::stream::once(opened).try_flatten().map_err(fail);
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(rows: u64, deleted: &[u64]) -> Vec<(bool, usize)> {
        let s: Vec<RowSelector> = selection(rows, deleted).into();
        s.into_iter().map(|s| (s.skip, s.row_count)).collect()
    }

    #[test]
    fn deleted_positions_are_skipped() {
        assert_eq!(selected(10, &[]), [(false, 10)]);
        assert_eq!(selected(10, &[0, 1, 2]), [(true, 3), (false, 7)]);
        assert_eq!(selected(10, &[2, 9]), [(false, 2), (true, 1), (false, 6), (true, 1)]);
        // Positions past the file's end delete nothing.
        assert_eq!(selected(3, &[1, 7]), [(false, 1), (true, 1), (false, 1)]);
        assert_eq!(selected(0, &[0]), Vec::<(bool, usize)>::new());
    }

    /// A position-delete file at `dir/name` deleting `rows` (file path, position).
    fn delete_file(dir: &std::path::Path, name: &str, rows: &[(Option<&str>, i64)], sequence: i64) -> DeleteFile {
        use datafusion::arrow::array::{Int64Array, StringArray};
        use datafusion::arrow::datatypes::{Field, Schema};
        let schema = Arc::new(Schema::new(vec![
            Field::new("file_path", DataType::Utf8, true),
            Field::new("pos", DataType::Int64, false),
        ]));
        let paths = StringArray::from(rows.iter().map(|(p, _)| *p).collect::<Vec<_>>());
        let pos = Int64Array::from(rows.iter().map(|(_, p)| *p).collect::<Vec<_>>());
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(paths), Arc::new(pos)]).unwrap();
        let path = dir.join(name);
        let mut w =
            datafusion::parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None)
                .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        DeleteFile { url: url::Url::from_file_path(&path).unwrap(), path: name.into(), sequence }
    }

    #[tokio::test]
    async fn deletes_reach_only_live_files_written_no_later() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn ObjectStore> = Arc::new(object_store::local::LocalFileSystem::new());
        // `a` was written at sequence 1, `b` at 3; the delete file is of sequence 2.
        let data: HashMap<&str, i64> = [("s3://t/a.parquet", 1), ("s3://t/b.parquet", 3)].into();
        let rows = [
            (Some("s3://t/a.parquet"), 4),
            (Some("s3://t/a.parquet"), 1),
            (Some("s3://t/a.parquet"), 4),
            (Some("s3://t/b.parquet"), 0),
            (Some("s3://t/gone.parquet"), 0),
        ];
        let file = delete_file(dir.path(), "d.parquet", &rows, 2);
        let deleted = positions(&store, std::slice::from_ref(&file), &data).await.unwrap();
        assert_eq!(deleted.len(), 1, "{deleted:?}");
        assert_eq!(deleted["s3://t/a.parquet"].as_slice(), [1, 4], "sorted, each once");
        // Hostile rows are errors, not rows read past.
        let null = delete_file(dir.path(), "n.parquet", &[(None, 0)], 2);
        assert!(positions(&store, &[null], &data).await.unwrap_err().contains("null"));
        let negative = delete_file(dir.path(), "m.parquet", &[(Some("s3://t/a.parquet"), -1)], 2);
        assert!(positions(&store, &[negative], &data).await.unwrap_err().contains("position -1"));
    }

    proptest::proptest! {
        /// Whatever the positions, the selection keeps exactly the rows not deleted.
        #[test]
        fn the_selection_keeps_the_rest(rows in 0u64..200, mut deleted in proptest::collection::vec(0u64..250, 0..60)) {
            deleted.sort_unstable();
            deleted.dedup();
            let kept: u64 = selected(rows, &deleted).iter().filter(|(skip, _)| !skip).map(|(_, n)| *n as u64).sum();
            let gone = deleted.iter().filter(|d| **d < rows).count() as u64;
            proptest::prop_assert_eq!(kept, rows - gone);
        }
    }
}
