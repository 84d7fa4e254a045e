"""contrakt against pandera (polars backend) and Great Expectations 1.x (pandas) on the shared
orders benchmark, in one process, alternating, medians. Each states the same 12 checks as the
contract (`../shared/bench/orders.odcs.yaml.tmpl`) and collects every failure (pandera lazily,
GX with a SUMMARY result). All three get the same data, already in memory: contrakt and pandera
the same polars frame, GX its pandas copy (GX 1.x has no polars source; the copy is made before
timing). A framework that is not installed is left out.

    python python/bench/bench_frameworks.py /tmp/benchdata --size 1m

GX takes minutes to install: use a separate virtual environment (never CI's), with contrakt's
wheel, polars, pyarrow, pandera and great_expectations.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

import polars as pl
import pyarrow.parquet as pq

import contrakt
from bench_check import NOW, render

COUNTRIES = "US GB DE FR NL BE ES IT PT IE SE NO DK FI PL CZ AT CH CA MX BR AR JP KR CN IN AU NZ ZA SG".split()
STATUSES = ["placed", "shipped", "delivered", "cancelled"]
EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
FRESH_AFTER = datetime(2025, 5, 31)


def pandera_run(df: pl.DataFrame, customer_ids: list[int], rows: int) -> Callable[[], int]:
    import pandera.polars as pa

    schema = pa.DataFrameSchema(
        {
            "order_id": pa.Column(pl.Int64, nullable=False, unique=True),
            "customer_id": pa.Column(pl.Int64, pa.Check.isin(customer_ids), nullable=True),
            "customer_email": pa.Column(pl.Utf8, pa.Check.str_matches(EMAIL), nullable=True),
            "country": pa.Column(pl.Utf8, pa.Check.isin(COUNTRIES), nullable=True),
            "status": pa.Column(pl.Utf8, pa.Check.isin(STATUSES), nullable=True),
            "amount": pa.Column(pl.Float64, pa.Check.ge(0), nullable=True),
            "quantity": pa.Column(pl.Int32, pa.Check.in_range(1, 100), nullable=True),
            "created_at": pa.Column(pl.Datetime("us"), nullable=True),
            "updated_at": pa.Column(pl.Datetime("us"), nullable=True),
            "discount_code": pa.Column(
                pl.Utf8, pa.Check(lambda d: d.lazyframe.select(pl.col(d.key).null_count() / pl.len() <= 0.99)),
                nullable=True,
            ),
        },
        checks=[
            pa.Check(lambda d: d.lazyframe.select(pl.len().is_between(int(rows * 0.9), int(rows * 1.1)))),
            pa.Check(lambda d: d.lazyframe.select(
                pl.col("created_at").is_null() | pl.col("updated_at").is_null()
                | (pl.col("created_at") <= pl.col("updated_at")))),
            pa.Check(lambda d: d.lazyframe.select(pl.col("created_at").max() >= FRESH_AFTER)),
        ],
    )

    def run() -> int:
        try:
            schema.validate(df, lazy=True)
            return 0
        except pa.errors.SchemaErrors as e:
            return len(e.failure_cases)

    return run


def gx_run(frame: Any, customer_ids: list[int], rows: int) -> Callable[[], int]:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    batch_def = context.data_sources.add_pandas("bench").add_dataframe_asset("orders") \
        .add_batch_definition_whole_dataframe("all")
    suite = gx.ExpectationSuite(name="orders")
    for e in [
        gxe.ExpectTableRowCountToBeBetween(min_value=int(rows * 0.9), max_value=int(rows * 1.1)),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id"),
        gxe.ExpectColumnValuesToBeUnique(column="order_id"),
        gxe.ExpectColumnValuesToMatchRegex(column="customer_email", regex=EMAIL),
        gxe.ExpectColumnValuesToBeInSet(column="country", value_set=COUNTRIES),
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=STATUSES),
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1, max_value=100),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="updated_at", column_B="created_at", or_equal=True,
                                                    ignore_row_if="either_value_is_missing"),
        gxe.ExpectColumnValuesToNotBeNull(column="discount_code", mostly=0.01),
        gxe.ExpectColumnMaxToBeBetween(column="created_at", min_value=FRESH_AFTER),
        gxe.ExpectColumnValuesToBeInSet(column="customer_id", value_set=customer_ids),
    ]:
        suite.add_expectation(e)

    def run() -> int:
        batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format="SUMMARY")
        return sum(not r.success for r in result.results)

    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data", type=Path)
    ap.add_argument("--size", default="1m")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = {"1m": 1_000_000, "10m": 10_000_000}[args.size]
    contract = render(args.data, args.size, rows, Path(tempfile.mkdtemp(prefix="contrakt-bench-")))
    table = pq.read_table(sorted(glob.glob(str(args.data / f"orders_{args.size}" / "*.parquet"))))
    customers = pq.read_table(args.data / "customers.parquet")
    df = pl.from_arrow(table)
    del table
    customer_ids = pl.from_arrow(customers)["customer_id"].to_list()

    def contrakt_run() -> int:
        result = contrakt.check({"orders": df, "customers": customers}, contract, now=NOW, progress=False)
        return len(result.failures)

    runs: dict[str, Callable[[], int]] = {"contrakt": contrakt_run}
    if importlib.util.find_spec("pandera") is not None:
        runs["pandera"] = pandera_run(df, customer_ids, rows)
    if importlib.util.find_spec("great_expectations") is not None:
        runs["great_expectations"] = gx_run(df.to_pandas(), customer_ids, rows)
    times: dict[str, list[float]] = {k: [] for k in runs}
    failed: dict[str, int] = {}
    for _ in range(args.runs):
        for name, run in runs.items():
            t = time.perf_counter()
            failed[name] = run()
            times[name].append(time.perf_counter() - t)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({
        "size": args.size, "runs": args.runs, "median_s": medians,
        "ratio_to_contrakt": {k: round(v / medians["contrakt"], 2) for k, v in medians.items()},
        # contrakt and GX: failed checks; pandera: failure cases (rows and checks).
        "failed": failed,
    }, indent=2))


if __name__ == "__main__":
    main()
