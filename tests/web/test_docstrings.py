"""Every docstring example in the web package runs and gives what it says."""

from __future__ import annotations

import doctest
import importlib

import pytest

from tests.docstrings import modules_with_examples

MODULES = modules_with_examples("qualitas.web")


def test_the_examples_are_found():
    assert {"qualitas.web.measures.words", "qualitas.web.projects.diagram"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.ELLIPSIS
    )
    assert result.attempted > 0
    assert result.failed == 0
