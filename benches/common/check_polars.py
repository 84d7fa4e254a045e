#!/usr/bin/env python3
"""Polars anchor for the orders workload (../shared/bench/): the 12 checks of
check_duckdb.py --mode fused as one lazy polars query (one scan of orders, a left join to the
distinct customer ids), printed as the same RESULT_JSON= line.

Run with the workload folder on PYTHONPATH (for its common.py):
    PYTHONPATH=../shared/bench python benches/common/check_polars.py /tmp/benchdata --size 10m
"""
import polars as pl

from common import COUNTRIES, EMAIL_REGEX, STATUSES, Timer, emit, parse_args, standard_from_counts


def main():
    args = parse_args()
    orders = pl.scan_parquet(args.orders_glob)
    # Distinct ids, so the left join keeps one row per order.
    known = pl.scan_parquet(args.customers).select("customer_id").unique().with_columns(pl.lit(True).alias("_known"))
    oid = pl.col("order_id")
    q = orders.join(known, on="customer_id", how="left").select(
        n=pl.len(),
        oid_null=oid.null_count(),
        # count() skips nulls; n_unique() counts null as a value, so drop it first.
        oid_excess=oid.count() - oid.drop_nulls().n_unique(),
        # A null email, country or status is no violation (as SQL's FILTER (WHERE NOT …)):
        # the comparison is null and sum() skips it.
        email_bad=(~pl.col("customer_email").str.contains(EMAIL_REGEX)).sum(),
        country_bad=(~pl.col("country").is_in(COUNTRIES)).sum(),
        status_bad=(~pl.col("status").is_in(STATUSES)).sum(),
        amount_neg=(pl.col("amount") < 0).sum(),
        qty_bad=(~pl.col("quantity").is_between(1, 100)).sum(),
        upd_before=(pl.col("created_at") > pl.col("updated_at")).sum(),
        disc_null=pl.col("discount_code").null_count(),
        max_created=pl.col("created_at").max(),
        orphans=(pl.col("customer_id").is_not_null() & pl.col("_known").is_null()).sum(),
    )
    with Timer() as t:
        row = q.collect().row(0, named=True)
    c = {k: (int(v) if isinstance(v, int) else v) for k, v in row.items()}
    emit("polars_lazy", args, t.s, standard_from_counts(args, c),
         notes="1 lazy query: scan of orders + left join to distinct customer ids", extra={"version": pl.__version__})


if __name__ == "__main__":
    main()
