"""The examples in the board pack modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "qualitas.reports.packs",
        "qualitas.reports.packs.model",
        "qualitas.reports.packs.images",
        "qualitas.reports.packs.pdf",
        "qualitas.reports.packs.slides",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
