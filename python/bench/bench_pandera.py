"""contrakt against pandera (polars backend) on the shared orders benchmark, in one process,
alternating, medians. The pandera schema states the same 12 checks as the contract
(`../shared/bench/orders.odcs.yaml.tmpl`); pandera validates lazily (every failure collected).

    python python/bench/bench_pandera.py /tmp/benchdata --size 1m
"""

from __future__ import annotations

import argparse
import glob
import json
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandera.polars as pa
import polars as pl
import pyarrow.parquet as pq

import contrakt
from bench_check import NOW, render

COUNTRIES = "US GB DE FR NL BE ES IT PT IE SE NO DK FI PL CZ AT CH CA MX BR AR JP KR CN IN AU NZ ZA SG".split()
EMAIL = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"


def pandera_schema(customer_ids: pl.Series, rows: int) -> pa.DataFrameSchema:
    ids = customer_ids.to_list()
    return pa.DataFrameSchema(
        {
            "order_id": pa.Column(pl.Int64, nullable=False, unique=True),
            "customer_id": pa.Column(pl.Int64, pa.Check.isin(ids), nullable=True),
            "customer_email": pa.Column(pl.Utf8, pa.Check.str_matches(EMAIL), nullable=True),
            "country": pa.Column(pl.Utf8, pa.Check.isin(COUNTRIES), nullable=True),
            "status": pa.Column(pl.Utf8, pa.Check.isin(["placed", "shipped", "delivered", "cancelled"]), nullable=True),
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
            pa.Check(lambda d: d.lazyframe.select(pl.col("created_at").max() >= datetime(2025, 5, 31))),
        ],
    )


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
    schema = pandera_schema(pl.from_arrow(customers)["customer_id"], rows)
    times: dict[str, list[float]] = {"contrakt": [], "pandera": []}
    for _ in range(args.runs):
        t = time.perf_counter()
        result = contrakt.check({"orders": df, "customers": customers}, contract, now=NOW)
        times["contrakt"].append(time.perf_counter() - t)
        t = time.perf_counter()
        try:
            schema.validate(df, lazy=True)
            failed = 0
        except pa.errors.SchemaErrors as e:
            failed = len(e.failure_cases)
        times["pandera"].append(time.perf_counter() - t)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({
        "size": args.size, "runs": args.runs, "median_s": medians,
        "pandera_over_contrakt": round(medians["pandera"] / medians["contrakt"], 2),
        "contrakt_failed_checks": len(result.failures), "pandera_failure_cases": failed,
    }, indent=2))


if __name__ == "__main__":
    main()
