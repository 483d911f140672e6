"""Many measures in one run of `qualitas spc`: a small settings file naming each
measure with its direction and target, and a wide input (one column per measure) or
a long one (a column naming the measure).

The settings file is CSV (columns ``measure``, ``direction``, ``target``; ``code``,
``column`` or ``name`` for measure) or TOML (a table per measure)::

    [measures."A&E within 4 hours"]
    direction = "increase"
    target = 95

Targets are read by the shared validation layer (:mod:`qualitas.io.validation`), so a
target such as ``95%`` or ``9,5`` is refused naming its row and column, as an upload
would refuse it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError
from qualitas.io import validation

T = TypeVar("T")
DIRECTIONS = ("increase", "decrease", "neutral")
MEASURE = "measure"  # the column naming each series in a wide file's long form
VALUE = "value"
NAMES = {"measure": MEASURE, "code": MEASURE, "column": MEASURE, "name": MEASURE}


@dataclass(frozen=True)
class MeasureSettings:
    """Each measure's direction and target (NaN where it has none), in file order."""

    names: list[str]
    directions: dict[str, str]
    targets: dict[str, float]


def read_settings(path: Path) -> MeasureSettings:
    """The measures a settings file lists, or a QualitasError naming each problem
    by row and column."""
    if not path.exists():
        raise QualitasError(f"{path.name}: no such settings file")
    if path.suffix.lower() == ".toml":
        table, first_row = _toml_table(path), 1
    elif path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        table.columns = [
            NAMES.get(str(c).strip().lower(), str(c).strip().lower())
            for c in table.columns
        ]
        first_row = 2  # the header is row 1
    else:
        raise QualitasError(
            f"{path.name}: measure settings are read from .csv or .toml files"
        )
    if MEASURE not in table.columns:
        raise QualitasError(
            f"{path.name}: no 'measure' column; give one row per measure with the "
            "columns measure, direction and target"
        )
    for column in ("direction", "target"):
        if column not in table.columns:
            table[column] = ""
    table = table.fillna("").astype(str)
    rows = np.arange(first_row, first_row + len(table))
    problems = validation.Problems(rows, [MEASURE, "direction", "target"])
    names = table[MEASURE].str.strip()
    problems.add((names == "").to_numpy(), MEASURE, "measure is empty")
    twice = names.duplicated(keep="first").to_numpy() & (names != "").to_numpy()
    problems.add(
        twice,
        MEASURE,
        lambda pos: (f"measure '{names.iloc[p]}' is listed again" for p in pos),
    )
    direction = table["direction"].str.strip().str.lower()
    wrong = ~direction.isin([*DIRECTIONS, ""]).to_numpy()
    problems.add(
        wrong,
        "direction",
        lambda pos: (
            f"direction '{table['direction'].iloc[p]}' is not increase, decrease or "
            "neutral"
            for p in pos
        ),
    )
    targets = validation.parse_numbers(
        table["target"], "target", problems, validation.NumberStyle(source="form")
    )
    if problems.count:
        listed = "; ".join(
            f"row {e.row}, {e.column}: {e.message}" for e in problems.listed()[:10]
        )
        raise QualitasError(f"{path.name}: {listed}")
    return MeasureSettings(
        names=names.tolist(),
        directions={n: d or "neutral" for n, d in zip(names, direction, strict=True)},
        targets=dict(zip(names, targets.tolist(), strict=True)),
    )


def _toml_table(path: Path) -> pd.DataFrame:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise QualitasError(f"{path.name}: not a TOML file ({e})") from None
    measures = data.get("measures")
    if not isinstance(measures, dict) or not all(
        isinstance(v, dict) for v in measures.values()
    ):
        raise QualitasError(
            f"{path.name}: give each measure as a table, e.g. "
            '[measures."Falls"] with direction = "decrease" and target = 5'
        )
    return pd.DataFrame(
        [
            {
                MEASURE: name,
                "direction": str(v.get("direction", "")),
                "target": "" if v.get("target") is None else repr(v["target"]),
            }
            for name, v in measures.items()
        ],
        dtype=str,
    )


def wide_to_long(
    frame: pd.DataFrame, period: str, settings: MeasureSettings, by: list[str]
) -> pd.DataFrame:
    """A wide table's measure columns as one long table: ``by`` columns, period,
    measure and value. Every measure the settings list must be a column."""
    missing = [n for n in settings.names if n not in frame.columns]
    if missing:
        raise QualitasError(
            "the settings list measures that are not columns of the data: "
            + ", ".join(map(repr, missing))
            + f"; the data has {', '.join(map(repr, map(str, frame.columns)))}"
        )
    long = frame.melt(
        id_vars=[*by, period],
        value_vars=settings.names,
        var_name=MEASURE,
        value_name=VALUE,
    )
    # Measures in the settings file's order, then periods as the file has them.
    long[MEASURE] = pd.Categorical(long[MEASURE], categories=settings.names)
    return long.sort_values([*by, MEASURE], kind="stable").reset_index(drop=True)


def per_series(
    frame: pd.DataFrame, by: list[str], measure_column: str, values: dict[str, T]
) -> dict[Hashable, T]:
    """A measure's setting for every series (keyed as the engine keys series)."""
    keys = frame[by].drop_duplicates()
    out: dict[Hashable, T] = {}
    for row in keys.itertuples(index=False):
        key = row[0] if len(by) == 1 else tuple(row)
        measure = str(row[by.index(measure_column)])
        if measure in values:
            out[key] = values[measure]
    return out


def empty_series(frame: pd.DataFrame, by: list[str], value: str) -> list[str]:
    """Series whose every value is blank, by name, to warn about: they have no data,
    which is not the same as common cause variation."""
    if value not in frame.columns:
        return []
    blank = pd.to_numeric(frame[value], errors="coerce").isna()
    if not by:
        return ["the series"] if bool(blank.all()) and len(frame) else []
    every = blank.groupby([frame[c] for c in by], observed=True, sort=False).all()
    return [
        " / ".join(map(str, k)) if isinstance(k, tuple) else str(k)
        for k in every[every].index
    ]
