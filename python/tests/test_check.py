"""`contrakt.check` on real data: the example registry's datasets and their known violations
(`fixtures/data/README.md`), passed as pyarrow, polars and pandas frames, paths, or not at all."""

from __future__ import annotations

import json

import pytest

import contrakt
from conftest import CONTRACTS, DATA, NOW, ORDERS, by_id


def assert_known_order_violations(result: contrakt.CheckResult) -> None:
    r = by_id(result)
    assert not result.passed and not result
    assert result.objects[0]["rows"] == 10200
    assert (r["orders_status_valid"].status, r["orders_status_valid"].failed_rows) == ("fail", 3)
    assert (r["orders.total_amount.minimum"].status, r["orders.total_amount.minimum"].failed_rows) == ("fail", 1)
    assert (r["orders.order_id.unique"].status, r["orders.order_id.unique"].failed_rows) == ("fail", 1)
    assert (r["orders_box_plan_format"].status, r["orders_box_plan_format"].failed_rows) == ("fail", 2)
    assert r["orders_updated_after_created"].status == "warn" and r["orders_updated_after_created"].value == 4.0
    assert r["orders_row_count"].passed and r["orders_row_count"].value == 10200.0
    assert r["orders_one_box_per_week"].status == "skipped"
    failing = {f.id for f in result.failures}
    assert {"orders_status_valid", "orders.total_amount.minimum", "orders.order_id.unique"} <= failing
    assert "orders_updated_after_created" not in failing  # a warning, below fail_on="error"


@pytest.mark.pyarrow
def test_pyarrow_table(orders_table) -> None:
    result = contrakt.check(orders_table, ORDERS, now=NOW)
    assert_known_order_violations(result)
    assert result.objects[0]["source"] == "pyarrow.Table"
    statuses = by_id(result)["orders_status_valid"]
    assert statuses.samples and all(s["status"] == "lost" for s in statuses.samples)
    assert statuses.location and statuses.location.startswith(str(ORDERS))


@pytest.mark.pyarrow
def test_same_results_as_reading_the_files(orders_table) -> None:
    from_frame = contrakt.check(orders_table, ORDERS, now=NOW)
    from_files = contrakt.check(None, ORDERS, now=NOW)  # the contract's server path
    from_path = contrakt.check(DATA / "orders" / "orders.parquet", ORDERS, now=NOW)
    outcome = lambda res: [(r.id, r.status, r.failed_rows, r.value) for r in res.results]  # noqa: E731
    assert outcome(from_frame) == outcome(from_files) == outcome(from_path)


@pytest.mark.pyarrow
def test_record_batch_reader_and_batches(orders_table) -> None:
    reader = orders_table.to_reader(max_chunksize=1000)
    assert_known_order_violations(contrakt.check(reader, ORDERS, now=NOW))
    batch = orders_table.slice(0, 100).combine_chunks().to_batches()[0]
    small = contrakt.check(batch, ORDERS, now=NOW)
    assert small.objects[0]["rows"] == 100


@pytest.mark.polars
def test_polars_frame_and_lazyframe() -> None:
    import polars as pl

    df = pl.read_parquet(DATA / "orders" / "orders.parquet")
    result = contrakt.check(df, ORDERS, now=NOW)
    assert_known_order_violations(result)
    assert result.objects[0]["source"] == "polars.DataFrame"
    assert_known_order_violations(contrakt.check(df.lazy(), ORDERS, now=NOW))


@pytest.mark.pandas
def test_pandas_frame() -> None:
    import pandas as pd

    df = pd.read_parquet(DATA / "orders" / "orders.parquet")
    result = contrakt.check(df, ORDERS, now=NOW)
    assert result.objects[0]["source"] == "pandas.DataFrame"
    r = by_id(result)
    assert (r["orders_status_valid"].status, r["orders_status_valid"].failed_rows) == ("fail", 3)
    assert (r["orders.total_amount.minimum"].status, r["orders.total_amount.minimum"].failed_rows) == ("fail", 1)


@pytest.mark.pyarrow
def test_dict_of_frames_for_references() -> None:
    import pyarrow.parquet as pq

    items = pq.read_table(DATA / "order_items" / "order_items.parquet")
    orders = pq.read_table(DATA / "orders" / "orders.parquet")
    result = contrakt.check({"order_items": items, "orders": orders}, CONTRACTS / "order-items.odcs.yaml", now=NOW)
    r = by_id(result)
    # Lines of orders 9001/9002 point at no order, plus the 3 lines of the overwritten order 5000.
    assert (r["order_items.order_id.reference"].status, r["order_items.order_id.reference"].failed_rows) == ("fail", 9)


def test_registry_data_from_servers_passes_where_it_should() -> None:
    recipes = contrakt.check(None, CONTRACTS / "recipes.odcs.yaml", now=NOW)
    menu = [r for r in recipes.results if r.object == "weekly_menu"]
    assert menu and all(r.status in ("pass", "skipped") for r in menu), [str(r) for r in menu]


@pytest.mark.pyarrow
def test_fail_on_levels(orders_table) -> None:
    warn = contrakt.check(orders_table, ORDERS, now=NOW, fail_on="warning")
    assert "orders_updated_after_created" in {f.id for f in warn.failures}
    with pytest.raises(contrakt.ContractViolationError):
        warn.raise_for_failures()


@pytest.mark.pyarrow
def test_sample_size_and_failure_cases(orders_table) -> None:
    result = contrakt.check(orders_table, ORDERS, now=NOW, sample=2)
    assert all(len(r.samples) <= 2 for r in result.results)
    cases = result.failure_cases
    assert cases.num_rows == sum(len(r.samples) for r in result.results) > 0
    pa_cases = cases.to_pyarrow()
    assert pa_cases.column_names == ["check", "code", "status", "object", "property", "failure_case", "row"]
    lost = [c for c in pa_cases.to_pylist() if c["check"] == "orders_status_valid"]
    assert lost and all(c["failure_case"] == "lost" and json.loads(c["row"])["status"] == "lost" for c in lost)
    assert contrakt.check(orders_table, ORDERS, now=NOW, sample=0).failure_cases.num_rows == 0


@pytest.mark.pandas
@pytest.mark.polars
def test_failure_cases_to_pandas_and_polars(orders_table) -> None:
    cases = contrakt.check(orders_table, ORDERS, now=NOW).failure_cases
    assert len(cases.to_pandas()) == cases.num_rows == cases.to_polars().height


@pytest.mark.pyarrow
def test_masked_columns_stay_masked(orders_table) -> None:
    r = by_id(contrakt.check(orders_table, ORDERS, now=NOW))["orders.total_amount.minimum"]
    assert r.samples and r.samples[0]["total_amount"] == "***"
    r = by_id(contrakt.check(orders_table, ORDERS, now=NOW, unmask=True))["orders.total_amount.minimum"]
    assert r.samples[0]["total_amount"] != "***"


@pytest.mark.pyarrow
def test_summary_json_and_raise(orders_table) -> None:
    result = contrakt.check(orders_table, ORDERS, now=NOW)
    text = result.summary()
    assert "object orders: 10200 rows from pyarrow.Table" in text
    assert "fail    Q303" in text and "failed:" in text
    report = json.loads(result.to_json())
    assert report["version"] == 1 and report["passed"] is False
    assert report["reports"][0]["contract"] == "urn:contrakt:meal-kit:orders"
    with pytest.raises(contrakt.ContractViolationError) as e:
        result.raise_for_failures()
    assert e.value.result is result
    assert "orders_status_valid" in str(e.value)
    assert repr(result).startswith("<CheckResult urn:contrakt:meal-kit:orders FAILED:")


@pytest.mark.pyarrow
def test_where_checks_a_slice(orders_table) -> None:
    result = contrakt.check(orders_table, ORDERS, now=NOW, where="status <> 'lost'")
    assert by_id(result)["orders_status_valid"].passed


@pytest.mark.pyarrow
def test_missing_columns_wrong_types_and_empty_frames(orders_table) -> None:
    import pyarrow as pa

    missing = contrakt.check(orders_table.drop_columns(["status"]), ORDERS, now=NOW)
    absent = [r for r in missing.results if r.kind == "column-present" and r.property == "status"]
    assert absent and absent[0].status == "fail", [str(r) for r in missing.results if r.property == "status"]
    assert "status" in absent[0].message

    as_text = orders_table.set_column(
        orders_table.schema.get_field_index("total_amount"),
        "total_amount",
        pa.array([str(v) for v in orders_table.column("total_amount").to_pylist()]),
    )
    typed = contrakt.check(as_text, ORDERS, now=NOW)
    wrong = [r for r in typed.results if r.kind == "column-type" and r.property == "total_amount"]
    assert wrong and wrong[0].status in ("fail", "warn"), [str(r) for r in typed.results if r.property == "total_amount"]

    empty = contrakt.check(orders_table.slice(0, 0), ORDERS, now=NOW)
    assert empty.objects[0]["rows"] == 0
    assert by_id(empty)["orders_status_valid"].passed


@pytest.mark.pandas
def test_mixed_object_column_is_a_clear_error() -> None:
    import pandas as pd

    df = pd.read_parquet(DATA / "orders" / "orders.parquet").head(10)
    df["status"] = df["status"].astype(object)
    df.loc[3, "status"] = 12.5
    with pytest.raises(contrakt.DataConversionError) as e:
        contrakt.check(df, ORDERS, now=NOW)
    assert isinstance(e.value, TypeError)
    assert str(e.value).startswith("cannot read pandas.DataFrame as Arrow: ")
    assert "column status" in str(e.value)


@pytest.mark.pyarrow
def test_the_gil_is_released_while_checking(orders_table) -> None:
    import sys
    import threading

    # With a switch interval of minutes, the interpreter never takes the GIL from the worker: the
    # main thread can run while the worker is alive only if the check lets go of the GIL itself.
    # No timing is involved: the main thread waits for the worker to be about to check, and
    # can return from that wait only when the worker releases the GIL (inside the check) or ends.
    about_to_check = threading.Event()
    done: list[contrakt.CheckResult] = []

    def work() -> None:
        about_to_check.set()
        done.append(contrakt.check(orders_table, ORDERS, now=NOW))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(300.0)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        assert about_to_check.wait(timeout=600)
        ran_during_check = worker.is_alive()
        worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert done and not done[0].passed
    assert ran_during_check, "the main thread ran only after the check: it held the GIL throughout"


@pytest.mark.pandas
@pytest.mark.polars
def test_results_as_frames(orders_table) -> None:
    result = contrakt.check(orders_table, ORDERS, now=NOW)
    pdf, plf = result.to_pandas(), result.to_polars()
    assert len(pdf) == plf.height == len(result.results)
    assert set(pdf[pdf["status"] == "fail"]["id"]) == {r.id for r in result.results if r.status == "fail"}


def test_a_forked_child_is_refused_not_hung() -> None:
    import multiprocessing as mp

    contrakt.check(None, ORDERS, now=NOW)  # the runtime now runs in this process
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_check_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert "forked" in queue.get(timeout=5)


def _check_in_child(queue) -> None:
    try:
        contrakt.check(None, ORDERS, now=NOW)
        queue.put("no error")
    except contrakt.CheckExecutionError as e:
        queue.put(str(e))


def test_duckdb_relation() -> None:
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{DATA / 'orders' / 'orders.parquet'}')")
    result = contrakt.check(rel, ORDERS, now=NOW)
    assert result.objects[0]["source"] == "duckdb.DuckDBPyRelation"
    assert_known_order_violations(result)


@pytest.mark.pyarrow
def test_progress_bar_when_asked(orders_table, capsys) -> None:
    pytest.importorskip("tqdm")
    result = contrakt.check(orders_table, ORDERS, now=NOW, progress=True)
    assert_known_order_violations(result)
    assert "checking urn:contrakt:meal-kit:orders" in capsys.readouterr().err
    with pytest.raises(contrakt.ContraktUsageError):  # errors cross back from the worker thread
        contrakt.check(orders_table, ORDERS, object="nope", progress=True)
    capsys.readouterr()
    contrakt.check(orders_table, ORDERS, now=NOW, progress=False)
    assert capsys.readouterr().err == ""


def test_a_memory_limit_gives_the_same_results() -> None:
    def outcomes(r: contrakt.CheckResult) -> list[tuple[str, str, int | None]]:
        return [(x.id, x.status, x.failed_rows) for x in r.results]

    unbounded = contrakt.check(None, ORDERS, now=NOW)
    bounded = contrakt.check(None, ORDERS, now=NOW, memory_limit=64 << 20)
    assert outcomes(bounded) == outcomes(unbounded)
    assert any(x.code == "Q202" for x in bounded.results), outcomes(bounded)
    for bad in (0, -1, "2GiB", True, 1.5):
        with pytest.raises(contrakt.ContraktUsageError, match="memory_limit: expected a number of bytes"):
            contrakt.check(None, ORDERS, now=NOW, memory_limit=bad)  # type: ignore[arg-type]


def test_a_memory_budget_gives_the_same_results() -> None:
    def outcomes(r: contrakt.CheckResult) -> list[tuple[str, str, int | None]]:
        return [(x.id, x.status, x.failed_rows) for x in r.results]

    default = contrakt.check(None, ORDERS, now=NOW)
    # Another budget, and none at all: the same answers.
    for budget in (64 << 20, "none"):
        assert outcomes(contrakt.check(None, ORDERS, now=NOW, memory_budget=budget)) == outcomes(default)
    for bad in (0, -1, "2GiB", True, 1.5):
        with pytest.raises(contrakt.ContraktUsageError, match="memory_budget: expected a number of bytes"):
            contrakt.check(None, ORDERS, now=NOW, memory_budget=bad)  # type: ignore[arg-type]


@pytest.mark.pyarrow
@pytest.mark.deltalake
def test_as_of_checks_an_earlier_version_of_a_delta_table(tmp_path) -> None:
    """`as_of` reads the Delta table as it was: version 0 holds only passing rows, version 1
    appends one with a negative amount. The version read is the report's."""
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    table = tmp_path / "t"
    write_deltalake(table, pa.table({"id": pa.array([1, 2, 3], pa.int64()), "amount": [1.0, 2.0, 3.0]}))
    write_deltalake(table, pa.table({"id": pa.array([4], pa.int64()), "amount": [-1.0]}), mode="append")
    assert DeltaTable(table).version() == 1
    contract = tmp_path / "c.yaml"
    contract.write_text(
        "apiVersion: v3.1.0\nkind: DataContract\nid: urn:test:as-of\nversion: 1.0.0\nstatus: active\n"
        "schema:\n  - name: t\n    properties:\n      - name: id\n        logicalType: integer\n"
        "      - name: amount\n        logicalType: number\n        logicalTypeOptions: {minimum: 0}\n"
    )
    now = contrakt.check(table, contract, now=NOW)
    assert not now.passed and now.objects[0]["rows"] == 4 and now.objects[0]["table_version"] == 1
    for as_of in (0, "0"):
        then = contrakt.check(table, contract, now=NOW, as_of=as_of)
        assert then.passed and then.objects[0]["rows"] == 3 and then.objects[0]["table_version"] == 0
    # A time before the second commit is version 0 too; before the first, no table existed.
    first = DeltaTable(table).history()[-1]["timestamp"]
    import datetime as dt

    at = dt.datetime.fromtimestamp(first / 1000 + 0.0005, tz=dt.timezone.utc)
    assert contrakt.check(table, contract, now=NOW, as_of=at).objects[0]["table_version"] == 0
    with pytest.raises(contrakt.ContraktError, match="no version of the Delta table"):
        contrakt.check(table, contract, now=NOW, as_of=dt.date(2001, 1, 1))
    with pytest.raises(contrakt.ContraktUsageError, match="as_of"):
        contrakt.check(table, contract, now=NOW, as_of=-1)
    with pytest.raises(contrakt.ContraktUsageError, match="as_of"):
        contrakt.check(table, contract, now=NOW, as_of="yesterday")
    # Data without versions: refused, as `contrakt check --as-of` refuses it.
    plain = tmp_path / "plain.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": pa.array([1], pa.int64()), "amount": [1.0]}), plain)
    with pytest.raises(contrakt.ContraktError, match="as-of"):
        contrakt.check(plain, contract, now=NOW, as_of=0)
