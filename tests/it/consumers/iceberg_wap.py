"""The write side of write-audit-publish on Iceberg tables, done by pyiceberg (pinned in
tests/requirements.txt), and the reads that judge contrakt's publish: what `main` is, read by
pyiceberg, not by contrakt (tests/it/iceberg_publish.rs).

usage:
  iceberg_wap.py setup DIR    a SQL catalog on SQLite (DIR/catalog.db) with `db.orders`: 10 rows
                              on main; branch `audit` adds 5 passing rows, branch `bad` 5 rows
                              with a negative amount, branch `more` two appends (3 + 2 rows);
                              a staged snapshot (no branch) with `wap.id` = `w1` adds 4 rows;
                              branch `stale` is made from main, then main moves (`db.moved`).
  iceberg_wap.py read DIR [METADATA]   main's snapshot id, its rows' ids (sorted), the catalog's
                              metadata location, every ref; of the catalog's table, or of the
                              table whose metadata file is METADATA (no catalog)
  iceberg_wap.py commit DIR   appends one row (id 999) to main: a concurrent writer
"""

import json
import sys
from pathlib import Path

import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.table import StaticTable
from pyiceberg.types import DoubleType, LongType, NestedField


def catalog(out):
    return SqlCatalog("test", uri=f"sqlite:///{out / 'catalog.db'}", warehouse=f"file://{out / 'warehouse'}")


def rows(ids, amount=1.5):
    return pa.table({"id": pa.array(ids, pa.int64()), "amount": pa.array([amount] * len(ids), pa.float64())})


def setup(out):
    (out / "warehouse").mkdir(parents=True, exist_ok=True)
    cat = catalog(out)
    cat.create_namespace("db")
    schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "amount", DoubleType(), required=False))
    t = cat.create_table("db.orders", schema=schema)
    t.append(rows(range(10)))
    main = t.current_snapshot().snapshot_id
    with t.manage_snapshots() as ms:
        for branch in ["audit", "bad", "more", "staging"]:
            ms.create_branch(snapshot_id=main, branch_name=branch)
    t = cat.load_table("db.orders")
    t.append(rows(range(10, 15)), branch="audit")
    t.append(rows(range(10, 15), amount=-1.0), branch="bad")
    t.append(rows(range(20, 23)), branch="more")
    t.append(rows(range(23, 25)), branch="more")
    # A staged snapshot as Spark's write-audit-publish leaves it: on no branch, with a wap.id.
    t.append(rows(range(30, 34)), branch="staging", snapshot_properties={"wap.id": "w1"})
    with t.manage_snapshots() as ms:
        ms.remove_branch("staging")

    # A branch made from main before main moved on: not a fast-forward any more.
    m = cat.create_table("db.moved", schema=schema)
    m.append(rows(range(3)))
    with m.manage_snapshots() as ms:
        ms.create_branch(snapshot_id=m.current_snapshot().snapshot_id, branch_name="stale")
    m = cat.load_table("db.moved")
    m.append(rows(range(3, 6)), branch="stale")
    m.append(rows(range(100, 101)))
    read(out)


def describe(t, metadata_location):
    main = t.current_snapshot()
    ids = sorted(t.scan().to_arrow().column("id").to_pylist()) if main else []
    refs = {name: r.snapshot_id for name, r in t.metadata.refs.items()}
    staged = {s.summary["wap.id"]: s.snapshot_id for s in t.snapshots() if s.summary and "wap.id" in s.summary.additional_properties}
    return {
        "main": main.snapshot_id if main else None,
        "ids": ids,
        "metadata_location": metadata_location,
        "refs": refs,
        "wap": staged,
        "snapshot_log": [e.snapshot_id for e in t.metadata.snapshot_log],
        "location": t.location().removeprefix("file://"),
    }


def read(out, metadata=None):
    if metadata:
        t = StaticTable.from_metadata(metadata)
        print(json.dumps({"orders": describe(t, metadata)}))
        return
    cat = catalog(out)
    result = {}
    for name in ["orders", "moved"]:
        t = cat.load_table(f"db.{name}")
        result[name] = describe(t, t.metadata_location)
    print(json.dumps(result))


def commit(out):
    t = catalog(out).load_table("db.orders")
    t.append(rows([999]))
    print(json.dumps({"main": t.current_snapshot().snapshot_id}))


if __name__ == "__main__":
    command, out = sys.argv[1], Path(sys.argv[2])
    {"setup": lambda: setup(out), "read": lambda: read(out, sys.argv[3] if len(sys.argv) > 3 else None), "commit": lambda: commit(out)}[command]()
