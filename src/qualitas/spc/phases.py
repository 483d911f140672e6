"""Phases, baselines and excluded points, from the user's settings to row flags.

The settings name periods (dates or whole numbers, like the data's period column),
for every series at once or per series as a mapping from series key to setting:

- ``part``: the periods at which a new phase starts (each phase gets its own centre
  line, limits and runs analysis), or the name of a column of phase labels (a new
  phase starts where the label changes);
- ``freeze``: the last period of the baseline; later points are judged against
  limits computed from the baseline;
- ``exclude``: periods left out of the calculations (still shown, still judged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, describe_rows
from qualitas.spc.table import SeriesTable, per_series


def as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, str | bytes) or not isinstance(
        v, Sequence | np.ndarray | pd.Index | pd.Series
    ):
        return [v]
    return list(v)


def period_keys(values: list[Any], table: SeriesTable, what: str) -> np.ndarray:
    """Periods named in a setting, as the same int64 key as the data's periods."""
    if not values:
        return np.array([], dtype=np.int64)
    if not (
        pd.api.types.is_datetime64_any_dtype(table.period.dtype)
        or pd.api.types.is_integer_dtype(table.period.dtype)
    ):
        return _unit_keys(values, table, what)
    if pd.api.types.is_datetime64_any_dtype(table.period.dtype):
        stamps = pd.to_datetime(pd.Series(values), errors="coerce", format="mixed")
        if stamps.isna().any():
            bad = values[int(np.flatnonzero(stamps.isna().to_numpy())[0])]
            raise QualitasError(f"{what} period {bad!r} is not a date")
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_localize(None)
        return stamps.to_numpy(dtype="datetime64[ns]").view(np.int64)
    keys = []
    for v in values:
        if (
            isinstance(v, bool)
            or not isinstance(v, int | np.integer | float | np.floating)
            or float(v) != int(v)
        ):
            raise QualitasError(
                f"{what} periods must be like the data's periods, e.g. {table.period.iloc[0]!r}, not {v!r}"
            )
        keys.append(int(v))
    return np.asarray(keys, dtype=np.int64)


def _unit_keys(values: list[Any], table: SeriesTable, what: str) -> np.ndarray:
    """Units named in a setting (categorical periods are unit names, as text)."""
    keys, first = np.unique(table.period_key, return_index=True)
    lookup = dict(
        zip(table.period.to_numpy()[first].tolist(), keys.tolist(), strict=True)
    )
    out = []
    for v in values:
        key = lookup.get(str(v))
        if key is None:
            raise QualitasError(f"{what} unit {v!r} is not in the data")
        out.append(key)
    return np.asarray(out, dtype=np.int64)


def _pairs(
    setting: Any, table: SeriesTable, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """(series code, period key) for every period a setting names."""
    if isinstance(setting, Mapping):
        lists = per_series(setting, table, name=what, convert=as_list, fill=[])
        codes = np.repeat(
            np.arange(table.n_series, dtype=np.int64), [len(x) for x in lists]
        )
        flat = [p for x in lists for p in x]
        return codes, period_keys(flat, table, what)
    keys = period_keys(as_list(setting), table, what)
    codes = np.repeat(np.arange(table.n_series, dtype=np.int64), len(keys))
    return codes, np.tile(keys, table.n_series)


def _composite(
    table: SeriesTable, codes: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Integers that order (series, period) pairs of rows and of a setting alike."""
    every = np.unique(np.r_[table.period_key, keys])
    size = len(every)
    rows = table.series_code * size + np.searchsorted(every, table.period_key)
    wanted = codes * size + np.searchsorted(every, keys)
    return rows, wanted


def phase_starts(
    part: Any, table: SeriesTable, labels: np.ndarray | None
) -> np.ndarray:
    """Per row: does a new phase start here? ``labels`` are the rows' phase labels
    when ``part`` names a column."""
    n = table.n_rows
    starts = np.zeros(n, dtype=bool)
    if labels is not None:
        codes = pd.factorize(labels)[0]
        starts[1:] = codes[1:] != codes[:-1]
        return starts
    if part is None:
        return starts
    codes, keys = _pairs(part, table, "part")
    if not len(keys):
        return starts
    rows, wanted = _composite(table, codes, keys)
    # A phase starts at the first period on or after each named period.
    at = np.searchsorted(rows, wanted, side="left")
    inside = at < table.series_start[codes + 1]
    starts[at[inside]] = True
    return starts


def labels_of(frame: pd.DataFrame, column: str, table: SeriesTable) -> np.ndarray:
    """Phase labels of the subgroups (the first row's label of each)."""
    if column not in frame.columns:
        raise QualitasError(
            f"part {column!r} is not a column of the data; give a column of phase labels "
            "or a list of the periods at which new phases start"
        )
    values = frame[column]
    missing = np.flatnonzero(values.isna().to_numpy())
    if len(missing):
        raise QualitasError(
            f"column {column!r} has no phase label in {describe_rows(missing.tolist())}"
        )
    return np.asarray(values.to_numpy()[table.order])


def baseline(freeze: Any, table: SeriesTable) -> np.ndarray:
    """Per row: is it in the baseline (on or before the freeze period)?"""
    if freeze is None:
        return np.ones(table.n_rows, dtype=bool)
    last = np.full(table.n_series, np.iinfo(np.int64).max, dtype=np.int64)
    if isinstance(freeze, Mapping):
        values = per_series(
            freeze, table, name="freeze", convert=lambda v: v, fill=None
        )
        given = np.array([v is not None for v in values], dtype=bool)
        if given.any():
            last[given] = period_keys(
                [v for v in values if v is not None], table, "freeze"
            )
    else:
        if isinstance(freeze, Sequence) and not isinstance(freeze, str):
            raise QualitasError(
                "freeze is one period (the last of the baseline), not a list"
            )
        last[:] = period_keys([freeze], table, "freeze")[0]
    return np.asarray(table.period_key <= last[table.series_code], dtype=bool)


def named_rows(setting: Any, table: SeriesTable, what: str) -> np.ndarray:
    """Per row: is its period one that ``setting`` names for its series?"""
    if setting is None:
        return np.zeros(table.n_rows, dtype=bool)
    codes, keys = _pairs(setting, table, what)
    if not len(keys):
        return np.zeros(table.n_rows, dtype=bool)
    rows, wanted = _composite(table, codes, keys)
    return np.asarray(np.isin(rows, wanted), dtype=bool)


def included(exclude: Any, table: SeriesTable) -> np.ndarray:
    """Per row: is it used in the calculations (not excluded)?"""
    return ~named_rows(exclude, table, "exclude")
