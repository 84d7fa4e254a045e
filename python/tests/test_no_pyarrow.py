"""The Arrow PyCapsule path with no dataframe library at all: a minimal exporter (arro3-core).
CI runs the whole suite once in an environment with only arro3-core, where this is the check
test that runs."""

from __future__ import annotations

import pytest

import contrakt
from test_contract import MINIMAL


def test_arro3_table_through_the_capsule() -> None:
    arro3 = pytest.importorskip("arro3.core")
    table = arro3.Table.from_pydict(
        {
            "thing_id": arro3.Array([1, 2, 2, None], type=arro3.DataType.int64()),
            "label": arro3.Array(["a", None, "c", "d"], type=arro3.DataType.string()),
        }
    )
    result = contrakt.check(table, MINIMAL)
    assert result.objects[0]["rows"] == 4
    assert result.objects[0]["source"] == "arro3.Table"
    by = {(r.property, r.kind): r for r in result.results}
    assert by[("thing_id", "unique")].failed_rows == 1
    assert by[("thing_id", "required")].failed_rows == 1
    assert not result.passed
    cases = result.failure_cases
    assert cases.num_rows >= 2
    # The failure cases are an Arrow table any capsule consumer reads.
    back = arro3.Table.from_arrow(cases)
    assert back.num_rows == cases.num_rows


def test_contrakt_imports_no_dataframe_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, contrakt\n"
        "from test_contract import MINIMAL\n"
        "contrakt.load(MINIMAL).lint()\n"
        "print(sorted(m for m in ('pyarrow', 'pandas', 'polars') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=__file__.rsplit("/", 1)[0])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
