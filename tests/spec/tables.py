"""Spec tables: small tables written as text, so a test reads like the method page.

>>> table('''
...     ward | week | falls
...     A    | 1    | 3
...     A    | 2    | 4.5
... ''').dtypes.tolist()
[dtype('O'), dtype('int64'), dtype('float64')]
"""

from __future__ import annotations

import io

import pandas as pd


def table(text: str, **dtypes: str) -> pd.DataFrame:
    """Parse a pipe-separated table; cells are read as pandas reads CSV (blank: missing)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    rows = [",".join(cell.strip() for cell in line.split("|")) for line in lines]
    return pd.read_csv(io.StringIO("\n".join(rows)), dtype=dtypes or None)


def column(frame: pd.DataFrame, name: str) -> list:
    """A result column as plain Python values (labels as text, missing as None)."""
    return [None if pd.isna(v) else v for v in frame[name].astype(object)]


def chart_on(engine, data: pd.DataFrame, **arguments):
    """``qualitas.spc.chart(data, **arguments)``, computed on ``engine``."""
    from qualitas.spc.chart import ChartRequest, _coerce_rules
    from qualitas.spc.table import normalise_by

    by = tuple(normalise_by(arguments.pop("by", None)))
    rules = _coerce_rules(arguments.pop("rules", "anhoej"))
    return engine.compute(data, ChartRequest(by=by, rules=rules, **arguments))
