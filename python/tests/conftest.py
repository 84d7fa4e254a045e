"""Shared fixtures: the example registry (`contracts/`) and its data (`fixtures/data/`), whose
known violations are listed in `fixtures/data/README.md`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
DATA = REPO / "fixtures" / "data"
ORDERS = CONTRACTS / "orders.odcs.yaml"
# The instant the example data was taken.
NOW = "2026-11-22T06:00:00Z"


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for lib in ("pyarrow", "pandas", "polars", "deltalake"):
            if item.get_closest_marker(lib) and not has(lib):
                item.add_marker(pytest.mark.skip(reason=f"{lib} is not installed"))


@pytest.fixture(scope="session")
def orders_table():
    import pyarrow.parquet as pq

    return pq.read_table(DATA / "orders" / "orders.parquet")


def by_id(result):
    return {r.id: r for r in result.results}


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on loopback (`postgres_server.py`)."""
    from postgres_server import serve

    yield from serve()
