"""The examples in the web package's docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "qualitas.web.measures.words",
        "qualitas.web.measures.advice",
        "qualitas.web.measures.freshness",
        "qualitas.web.measures.engine",
        "qualitas.web.board.csv_safety",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0
