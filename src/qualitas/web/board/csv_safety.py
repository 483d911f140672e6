"""Cells that spreadsheets would run as formulas are written as text.

A cell that starts with =, +, -, @, a tab or a carriage return can run as a formula
when a CSV file is opened in a spreadsheet (CSV injection). Text cells starting with
one of those get a leading apostrophe, which spreadsheets show as plain text;
numbers are left alone.
"""

from __future__ import annotations

from typing import Any

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """
    >>> safe_cell("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> safe_cell(-3.5)
    -3.5
    >>> safe_cell("Falls per 1,000 bed days")
    'Falls per 1,000 bed days'
    """
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value
