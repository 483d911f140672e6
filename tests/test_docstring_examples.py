"""Every docstring example outside the web package runs and gives what it says."""

from __future__ import annotations

import doctest
import importlib

import pytest

from tests.docstrings import modules_with_examples

MODULES = [
    m for m in modules_with_examples("qualitas") if not m.startswith("qualitas.web")
]


def test_the_examples_are_found():
    # The README's flagship example lives in qualitas.spc.xmr; losing it from the list
    # would silently stop testing it.
    assert {"qualitas.spc.xmr", "qualitas.spc.chart", "qualitas.io.validation"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS
    )
    assert result.attempted > 0
    assert result.failed == 0
