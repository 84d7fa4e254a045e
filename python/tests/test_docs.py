"""The examples in the package's docstrings run."""

from __future__ import annotations

import doctest

import pytest

import contrakt
from contrakt import _api, contract, exceptions, report

# The modules whose docstrings hold examples; the others are checked to hold none, so a module
# that gains examples must be added here to have them run.
WITH_EXAMPLES = [contrakt, contract]


@pytest.mark.parametrize("module", [_api, exceptions, report], ids=lambda m: m.__name__)
def test_modules_listed_as_without_examples_have_none(module) -> None:
    tests = doctest.DocTestFinder().find(module)
    assert all(not t.examples for t in tests), f"{module.__name__} has docstring examples: add it to WITH_EXAMPLES"


@pytest.mark.parametrize("module", WITH_EXAMPLES, ids=lambda m: m.__name__)
def test_docstring_examples(module) -> None:
    failures, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    # A module whose examples vanished (or were never collected) must not pass as "no failures".
    assert attempted > 0, f"{module.__name__} has no docstring examples"
    assert failures == 0
