"""The quarantine through ``contrakt.check(..., quarantine=...)`` and partial publication through
``contrakt.publish(..., quarantine=...)``: the rows written, read back with pyarrow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import contrakt
from conftest import CONTRACTS, DATA, NOW

ORDERS_CONTRACT = """apiVersion: v3.1.0
kind: DataContract
version: 1.0.0
status: active
id: urn:t:orders
schema:
  - name: orders
    properties:
      - name: order_id
        logicalType: string
        primaryKey: true
      - name: email
        logicalType: string
        classification: confidential
      - name: status
        logicalType: string
        quality:
          - id: status_present
            metric: nullValues
            mustBe: 0
"""


def orders(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "data").mkdir()
    contract = tmp_path / "contracts" / "orders.yaml"
    contract.write_text(ORDERS_CONTRACT)
    data = tmp_path / "data" / "orders.csv"
    data.write_text("order_id,email,status\no1,a@example.com,placed\no2,b@example.com,\no3,,\n")
    return contract, data


@pytest.mark.pyarrow
def test_check_writes_the_failing_rows_masked(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    contract, data = orders(tmp_path)
    q = tmp_path / "quarantine"
    result = contrakt.check(data, contract, quarantine=q, quarantine_rows="full", quarantine_run="r1", now=NOW)
    written = result.objects[0]["quarantine"]
    assert written["rows"] == 2 and written["checks"] == ["status_present"]
    rows = sorted(pq.read_table(written["location"]).to_pylist(), key=lambda r: r["order_id"])
    assert rows == [
        {"order_id": "o2", "email": "***", "status": None, "failing_checks": ["status_present"]},
        {"order_id": "o3", "email": None, "status": None, "failing_checks": ["status_present"]},
    ]
    assert Path(written["location"]) == q / "r1" / "urn_t_orders" / "orders.parquet"


def test_a_quarantine_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    contract, data = orders(tmp_path)
    with pytest.raises(contrakt.ContraktError, match="inside the data folder"):
        contrakt.check(data, contract, quarantine=data.parent / "q", now=NOW)
    with pytest.raises(contrakt.ContraktUsageError, match="quarantine_rows"):
        contrakt.check(data, contract, quarantine=tmp_path / "q", quarantine_rows="some")


@pytest.mark.pyarrow
def test_publish_releases_the_rows_that_pass(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    to, q = tmp_path / "published", tmp_path / "quarantine"
    result = contrakt.publish(
        CONTRACTS / "deliveries.odcs.yaml",
        DATA / "staged" / "deliveries-partial",
        to,
        now=NOW,
        history=False,
        quarantine=q,
    )
    assert result.published, result.why
    assert result.partial is not None
    assert (result.partial["published_rows"], result.partial["quarantined_rows"]) == (5047, 53)
    held = pq.read_table(result.partial["quarantine"])
    assert held.num_rows == 53
    released = list((to / result.current).glob("*.parquet"))
    assert len(released) == 1 and pq.read_table(released[0]).num_rows == 5047


def test_check_on_postgres_streams_the_failing_rows(postgres, tmp_path: Path, monkeypatch) -> None:
    """``server=`` runs the checks on PostgreSQL; the failing rows of one pushed-down statement
    are written to the same file a check over files writes."""
    database = postgres.create_database("quarantine")
    postgres.psql(
        database,
        "CREATE SCHEMA s; CREATE TABLE s.orders (order_id text, email text, status text);"
        "INSERT INTO s.orders VALUES ('o1', 'a@example.com', 'placed'), ('o2', 'b@example.com', NULL), ('o3', NULL, NULL);",
    )
    postgres.sign_in(monkeypatch)
    server = f"servers:\n  - {postgres.entry(database)}\n"
    (tmp_path / "contracts").mkdir()
    contract = tmp_path / "contracts" / "orders.yaml"
    contract.write_text(ORDERS_CONTRACT.replace("schema:\n", server + "schema:\n", 1))
    q = tmp_path / "quarantine"
    result = contrakt.check(
        None, contract, server="warehouse", quarantine=q, quarantine_rows="full", quarantine_run="pg", now=NOW
    )
    written = result.objects[0]["quarantine"]
    assert (written["rows"], written["checks"], written.get("error")) == (2, ["status_present"], None), written
    assert result.objects[0]["format"] == "table"
    location = Path(written["location"])
    assert location == q / "pg" / "urn_t_orders" / "orders.parquet" and location.stat().st_size > 0
    if importlib.util.find_spec("pyarrow") is not None:
        import pyarrow.parquet as pq

        rows = sorted(pq.read_table(location).to_pylist(), key=lambda r: r["order_id"])
        assert rows == [
            {"order_id": "o2", "email": "***", "status": None, "failing_checks": ["status_present"]},
            {"order_id": "o3", "email": None, "status": None, "failing_checks": ["status_present"]},
        ]
