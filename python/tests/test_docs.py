"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest

import pytest

import contrakt
from contrakt import _api, contract, exceptions, report


@pytest.mark.parametrize("module", [contrakt, _api, contract, exceptions, report], ids=lambda m: m.__name__)
def test_docstring_examples(module) -> None:
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failures == 0
