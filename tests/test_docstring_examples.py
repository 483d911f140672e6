"""The examples in the docstrings of charts, io and reports run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "qualitas.charts",
    "qualitas.charts.icons",
    "qualitas.charts.render",
    "qualitas.charts.words",
    "qualitas.charts.xmr",
    "qualitas.io",
    "qualitas.io.files",
    "qualitas.io.tables",
    "qualitas.io.validation",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0
    assert result.attempted > 0 or name == "qualitas.charts.style"
