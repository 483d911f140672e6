"""The examples in the governance modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "qualitas.web.meetings.narrative",
        "qualitas.web.assessments.radar",
        "qualitas.web.assessments.proposals",
        "qualitas.web.value.templatetags.value_tags",
    ],
)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
