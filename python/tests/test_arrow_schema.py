"""A contract's object as an Arrow schema through the PyCapsule interface (``__arrow_c_schema__``):
read by pyarrow, polars and arro3 (the last in both environments), the schema ``contrakt export
--to arrow`` writes."""

from __future__ import annotations

import pytest

import contrakt
from conftest import DATA, ORDERS

TWO_OBJECTS = """apiVersion: v3.1.0
kind: DataContract
id: urn:x:two
version: 1.0.0
status: active
schema:
  - name: a
    properties:
      - {name: id, logicalType: integer, logicalTypeOptions: {format: i32}, required: true}
      - {name: at, logicalType: timestamp, physicalType: timestamptz}
  - name: b
    properties:
      - {name: label, logicalType: string}
"""


def test_arro3_reads_the_schema_of_a_one_object_contract() -> None:
    from arro3.core import DataType, Schema

    c = contrakt.load(ORDERS)
    schema = Schema.from_arrow(c)
    assert schema.names == c.object("orders").columns
    order_id = schema.field("order_id")
    assert not order_id.nullable
    # A uuid is Arrow's canonical extension type, with the contract's description alongside.
    assert order_id.metadata_str["ARROW:extension:name"] == "arrow.uuid"
    assert "Surrogate key" in order_id.metadata_str["description"]
    assert schema.field("total_amount").type == DataType.decimal128(12, 2)
    assert schema.field("recipes_per_box").type == DataType.int16()
    # The same schema through the object and through arrow_schema().
    assert Schema.from_arrow(c.object("orders")) == schema
    assert Schema.from_arrow(c.arrow_schema()) == schema


def test_a_contract_of_several_objects_asks_which() -> None:
    from arro3.core import DataType, Schema

    c = contrakt.load(TWO_OBJECTS)
    with pytest.raises(contrakt.ContraktUsageError, match=r"has 2 \(a, b\).*arrow_schema\(name\)"):
        Schema.from_arrow(c)
    a = Schema.from_arrow(c.arrow_schema("a"))
    assert a.names == ["id", "at"]
    assert a.field("id").type == DataType.int32() and not a.field("id").nullable
    assert Schema.from_arrow(c.object("b")).names == ["label"]
    with pytest.raises(contrakt.ContraktUsageError, match="no schema object `c`; the contract has: a, b"):
        c.arrow_schema("c")


def test_what_arrow_cannot_say_is_listed() -> None:
    s = contrakt.load(ORDERS).arrow_schema("orders")
    assert any("primary key" in loss for loss in s.losses), s.losses
    assert repr(s).startswith("ArrowSchema(object='orders', losses=")


@pytest.mark.pyarrow
def test_pyarrow_reads_it_and_the_data_conforms() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    c = contrakt.load(ORDERS)
    schema = pa.schema(c)
    assert schema.names == c.object("orders").columns
    assert schema.field("total_amount").type == pa.decimal128(12, 2)
    assert schema.field("order_date").type == pa.date32()
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC") or schema.field("created_at").type.tz
    # An empty table of the contract's schema is a valid (if empty) frame to check.
    empty = schema.empty_table()
    assert empty.num_rows == 0
    data = pq.read_schema(DATA / "orders" / "orders.parquet")
    assert set(data.names) >= set(schema.names) - {"payment"}


@pytest.mark.polars
def test_polars_reads_it() -> None:
    import polars as pl

    c = contrakt.load(ORDERS)
    schema = pl.Schema(c)
    assert list(schema.names()) == c.object("orders").columns
    assert schema["recipes_per_box"] == pl.Int16
    assert schema["total_amount"] == pl.Decimal(12, 2)
    assert pl.Schema(c.object("orders")) == schema
    assert pl.DataFrame(schema=schema).height == 0
