"""Bad input: each raises the right exception with a clear message, never a crash."""

from __future__ import annotations

import pickle

import pytest

import contrakt
from conftest import ORDERS


def test_missing_contract_path() -> None:
    with pytest.raises(contrakt.ContractNotFoundError) as e:
        contrakt.load("no/such/contract.yaml")
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, contrakt.ContraktError)
    assert "no/such/contract.yaml" in str(e.value)


def test_broken_yaml_names_file_line_and_column(tmp_path) -> None:
    bad = tmp_path / "bad.odcs.yaml"
    bad.write_text("apiVersion: v3.1.0\nkind: DataContract\nid: [unclosed\nversion: 1.0.0\n")
    with pytest.raises(contrakt.ContractParseError) as e:
        contrakt.load(bad)
    err = e.value
    assert isinstance(err, ValueError)
    assert err.file == str(bad) and err.line is not None and err.column is not None
    assert str(err).startswith(f"{bad}:{err.line}:{err.column}: "), str(err)
    assert err.code


def test_not_a_contract() -> None:
    with pytest.raises(contrakt.ContractParseError, match="apiVersion"):
        contrakt.load("kind: Something\nfoo: 1\n")


def test_invalid_value_is_located() -> None:
    text = "apiVersion: v3.1.0\nkind: DataContract\nid: urn:x\nversion: 1.0.0\nstatus: active\nschema: 12\n"
    with pytest.raises(contrakt.ContractParseError) as e:
        contrakt.load(text)
    assert e.value.line == 6, str(e.value)


def test_exceptions_pickle() -> None:
    try:
        contrakt.load("apiVersion: v3.1.0\nkind: DataContract\nid: [x\n")
    except contrakt.ContractParseError as err:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is contrakt.ContractParseError
        assert (str(back), back.file, back.line, back.column) == (str(err), err.file, err.line, err.column)
    for cls in (contrakt.CheckExecutionError, contrakt.ContraktUsageError, contrakt.ContractNotFoundError):
        back = pickle.loads(pickle.dumps(cls("why", file="f")))
        assert type(back) is cls and str(back) == "why" and back.file == "f"


def test_non_dataframe_argument() -> None:
    with pytest.raises(TypeError, match="cannot read a builtins.list as data"):
        contrakt.check([1, 2, 3], ORDERS)
    with pytest.raises(TypeError, match="expected a path or contract text"):
        contrakt.load(42)  # type: ignore[arg-type]


def test_bad_options() -> None:
    with pytest.raises(contrakt.ContraktUsageError, match="fail_on"):
        contrakt.check(None, ORDERS, fail_on="sometimes")
    with pytest.raises(contrakt.ContraktUsageError, match="now"):
        contrakt.check(None, ORDERS, now="yesterday-ish")
    with pytest.raises(contrakt.ContraktUsageError, match="no schema object `nope`"):
        contrakt.check(str(ORDERS.parent / "../fixtures/data/orders/"), ORDERS, object="nope")


def test_missing_data_file_is_an_execution_error(tmp_path) -> None:
    with pytest.raises(contrakt.CheckExecutionError, match="no such file or folder"):
        contrakt.check(tmp_path / "nothing.parquet", ORDERS)


def test_a_panic_is_an_exception_not_a_crash() -> None:
    from contrakt import _contrakt

    with pytest.raises(BaseException, match="a panic requested by the tests") as e:
        _contrakt.panic_for_tests()
    assert type(e.value).__name__ == "PanicException"
