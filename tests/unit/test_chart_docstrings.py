"""The examples in the chart engine's docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "qualitas.spc.chart",
    "qualitas.spc.anhoej",
    "qualitas.spc.reductions",
    "qualitas.spc.subgroup_charts",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
