"""The examples in the docstrings of the engines and the batch sources run and give
what they say (the Spark engine's need a cluster and are marked to skip)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "qualitas.engines",
    "qualitas.engines.local",
    "qualitas.engines.capabilities",
    "qualitas.engines.folders",
    "qualitas.io.sources",
    "tests.spec.tables",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS
    )
    assert result.failed == 0
    assert result.attempted > 0
