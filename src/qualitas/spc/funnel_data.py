"""From a user's table to one checked row per funnel unit.

Rows may be patient-level (one row per patient, many per unit) or already aggregated
(one row per unit); either way the numerator and denominator are summed by unit, as
FunnelPlotR does. Every problem a user can fix is reported here, naming the column and
the first offending rows, before any statistics run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, describe_rows
from qualitas.spc.table import (
    finite_values,
    series_codes,
    show_period,
    unique_columns,
)

MIN_UNITS = (
    3  # fewer units than this leave nothing to compare and no spread to estimate
)


@dataclass(frozen=True)
class Units:
    """One row per unit, sorted by funnel (the ``by`` keys) and then by unit name.

    Funnel ``f`` holds units ``funnel_start[f]`` up to ``funnel_start[f + 1]``;
    ``keys`` has one row per funnel with its ``by`` values (no columns without
    ``by``); ``input_code`` maps each input row to its unit, for error messages.
    """

    group: pd.Series  # unit names
    numerator: np.ndarray
    denominator: np.ndarray
    input_code: np.ndarray  # per input row: which unit it belongs to
    keys: pd.DataFrame
    funnel_start: np.ndarray
    funnel_code: np.ndarray  # per unit: which funnel it belongs to

    @property
    def count(self) -> int:
        return len(self.numerator)

    @property
    def n_funnels(self) -> int:
        return len(self.funnel_start) - 1

    def rows_of(self, units: np.ndarray) -> np.ndarray:
        """Input rows (0-based) belonging to the given unit indices."""
        return np.flatnonzero(np.isin(self.input_code, units))

    def in_funnel(self, funnel: int, message: str) -> str:
        return in_funnel(self.keys, funnel, message)


def in_funnel(keys: pd.DataFrame, funnel: int, message: str) -> str:
    """``message`` about funnel number ``funnel``, saying which funnel it is when
    there are ``by`` columns (with none, the table is the one funnel)."""
    if not len(keys.columns):
        return message
    return f"for the funnel {funnel_label(keys, funnel)}: {message}"


def funnel_label(keys: pd.DataFrame, funnel: int) -> str:
    """A funnel named by its ``by`` values: indicator='SHMI', month=2024-04-01."""
    return ", ".join(
        f"{name}={_show(keys[name].iloc[funnel])}" for name in keys.columns
    )


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else show_period(value)


def numbers(column: pd.Series, name: str) -> np.ndarray:
    """A column as float64; text that is not a number is an error, blanks are missing."""
    if pd.api.types.is_bool_dtype(column.dtype):
        raise QualitasError(f"column {name!r} holds true/false values, not numbers")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan))
    converted = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero(converted.isna().to_numpy() & column.notna().to_numpy())
    if len(bad):
        text = column.iloc[bad].astype(str).str.strip()
        bad = bad[(text != "").to_numpy()]
    if len(bad):
        raise QualitasError(
            f"column {name!r} must hold numbers, but {describe_rows(list(bad))} "
            f"{'holds' if len(bad) == 1 else 'hold'} text such as "
            f"{str(column.iloc[int(bad[0])])!r}"
        )
    return np.asarray(converted.to_numpy(dtype=np.float64, na_value=np.nan))


def collect(
    frame: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    group: str,
    by: Sequence[str] = (),
    proportion: bool,
    counts: bool,
    aggregate: bool,
) -> Units:
    """Check the columns and sum numerator and denominator by funnel and unit.

    Checks of single rows run over the whole table at once (and name its rows);
    checks of units and funnels are vectorised over every funnel and name the first
    funnel that fails.
    """
    _check_columns(frame, numerator, denominator, group, by)
    if len(frame) == 0:
        raise QualitasError("the data has no rows")
    num = numbers(frame[numerator], numerator)
    den = numbers(frame[denominator], denominator)
    for values, name in ((num, numerator), (den, denominator)):
        _reject(np.isnan(values), f"column {name!r} has missing values in {{rows}}")
        # The same check and words as the charts'; a unit cannot have a missing
        # count, so infinities are always an error here.
        finite_values(values, name, infinite=None)
    # A mean outcome's numerator is a total of scores, which may be negative.
    if counts:
        _reject(
            num < 0,
            f"column {numerator!r} has negative values in {{rows}}; counts cannot be negative",
        )
    _reject(
        den < 0,
        f"column {denominator!r} has negative values in {{rows}}; counts cannot be negative",
    )
    for name in by:
        _reject(
            frame[name].isna().to_numpy(),
            f"column {name!r} names no funnel in {{rows}}",
        )
    funnel_of_row, keys = series_codes(frame, by, len(frame))

    names = frame[group]
    _reject(names.isna().to_numpy(), f"column {group!r} names no unit in {{rows}}")
    name_code, uniques = pd.factorize(names, sort=True)
    # A unit is a (funnel, name) pair: numbered in funnel order, then name order.
    pair = funnel_of_row * len(uniques) + name_code
    code, pairs = pd.factorize(pair, sort=True)
    code = np.asarray(code, dtype=np.int64)
    pairs = np.asarray(pairs, dtype=np.int64)
    n_units = len(pairs)
    funnel_code = pairs // len(uniques)
    funnel_start = np.r_[
        np.searchsorted(funnel_code, np.arange(len(keys))), n_units
    ].astype(np.int64)
    group_names = pd.Series(np.asarray(uniques)[pairs % len(uniques)], name=group)

    def fail(unit: int, message: str) -> None:
        raise QualitasError(in_funnel(keys, int(funnel_code[unit]), message))

    if not aggregate and n_units < len(frame):
        per_unit = np.bincount(code, minlength=n_units)
        dup = np.flatnonzero(per_unit[code] > 1)
        unit = int(code[dup[0]])
        dup = dup[funnel_code[code[dup]] == funnel_code[unit]]
        fail(
            unit,
            f"unit {group_names.iloc[unit]!r} appears more than once in column "
            f"{group!r} ({describe_rows(list(dup))}); give one row per unit, or let "
            "qualitas add up the rows of each unit (aggregate=True)",
        )
    _check_text_collisions(uniques, np.asarray(name_code, dtype=np.int64), group)

    # pandas sums each group with compensated (Kahan) summation, which keeps the
    # totals within an ulp or two of R's extended-precision sums; that matters where
    # totals are then rounded to 2 decimal places (SHMI).
    sums = (
        pd.DataFrame({"code": code, "num": num, "den": den})
        .groupby("code", sort=True)[["num", "den"]]
        .sum()
    )
    units = Units(
        group=group_names,
        numerator=sums["num"].to_numpy(dtype=np.float64),
        denominator=sums["den"].to_numpy(dtype=np.float64),
        input_code=code,
        keys=keys,
        funnel_start=funnel_start,
        funnel_code=funnel_code,
    )
    for bad, problem in (
        (
            units.denominator == 0,
            f"has a {denominator!r} of zero ({{rows}}); a unit needs a positive "
            "denominator to be placed on a funnel",
        ),
        (
            (units.numerator > units.denominator)
            if proportion
            else np.zeros(n_units, dtype=bool),
            f"has more {numerator!r} than {denominator!r} ({{rows}}); a proportion "
            "cannot be above 1",
        ),
    ):
        if bad.any():
            # The first funnel with such units, and those of its units.
            first = int(funnel_code[np.argmax(bad)])
            lo, hi = funnel_start[first], funnel_start[first + 1]
            which = lo + np.flatnonzero(bad[lo:hi])
            rows = describe_rows(list(units.rows_of(which)))
            fail(
                int(which[0]), f"unit {_name(units, which)} {problem.format(rows=rows)}"
            )
    sizes = np.diff(funnel_start)
    if (sizes < MIN_UNITS).any():
        small = int(np.argmax(sizes < MIN_UNITS))
        fail(
            int(funnel_start[small]),
            f"a funnel plot needs at least {MIN_UNITS} units to compare, but column "
            f"{group!r} names {sizes[small]}",
        )
    return units


def _check_columns(
    frame: pd.DataFrame,
    numerator: str,
    denominator: str,
    group: str,
    by: Sequence[str] = (),
) -> None:
    for role, name in (
        ("numerator", numerator),
        ("denominator", denominator),
        ("group", group),
    ):
        if not isinstance(name, str) or not name:
            raise QualitasError(f"{role} must name a column, not {name!r}")
    if numerator == denominator:
        raise QualitasError(
            f"numerator and denominator are the same column ({numerator!r}); "
            "name two different columns"
        )
    for name in by:
        if not isinstance(name, str) or not name:
            raise QualitasError(f"by must name columns, not {name!r}")
        if name in (numerator, denominator, group):
            raise QualitasError(
                f"column {name!r} cannot both name funnels (by) and be the "
                "numerator, denominator or group"
            )
    missing = [
        c
        for c in dict.fromkeys((*by, numerator, denominator, group))
        if c not in frame.columns
    ]
    if missing:
        raise QualitasError(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"not found; the data has {', '.join(map(repr, map(str, frame.columns)))}"
        )
    unique_columns(frame.columns, [*by, numerator, denominator, group])


def _reject(bad: np.ndarray, message: str) -> None:
    rows = np.flatnonzero(bad)
    if len(rows):
        raise QualitasError(message.format(rows=describe_rows(list(rows))))


def _check_text_collisions(uniques: Any, code: np.ndarray, group: str) -> None:
    """Two unit names that read the same (1 and "1", "RXX" and "RXX ") would be
    drawn as one label but counted as two units: almost always a data error."""
    text = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str.strip()
    dup = text.duplicated(keep=False).to_numpy()
    if dup.any():
        clash = np.flatnonzero(dup)
        rows = np.flatnonzero(np.isin(code, clash))
        raise QualitasError(
            f"column {group!r} names the unit {text.iloc[int(clash[0])]!r} in more than "
            f"one way ({describe_rows(list(rows))}); make the names identical or distinct"
        )


def _name(units: Units, index: np.ndarray) -> str:
    shown = ", ".join(repr(v) for v in units.group.iloc[index[:3]].tolist())
    return shown + (f" and {len(index) - 3} more" if len(index) > 3 else "")


def round_like_r(x: np.ndarray, digits: int) -> np.ndarray:
    """Round to ``digits`` decimal places exactly as R 4's ``round()`` does.

    R chooses, of the two neighbouring decimals, the one nearer to the double
    (ties to the even last digit); ``np.round`` scales, rounds and divides back, which
    differs for values such as 0.285 whose double lies just below the half-way point.

    >>> round_like_r(np.array([14.405000000000001, 81.395, 26.3673127]), 2).tolist()
    [14.41, 81.39, 26.37]
    >>> np.round(np.array([14.405000000000001, 81.395]), 2).tolist()
    [14.4, 81.4]
    """
    x = np.asarray(x, dtype=np.float64)
    sign = np.where(x < 0, -1.0, 1.0)
    ax = np.abs(x)
    pow10 = 10.0**digits
    scaled = ax * pow10
    low = np.floor(scaled)
    down = low / pow10
    up = np.ceil(scaled) / pow10
    d_up = up - ax
    d_down = ax - down
    choose_up = (d_up < d_down) | ((d_up == d_down) & (np.fmod(low, 2.0) == 1))
    out = sign * np.where(choose_up, up, down)
    # Values so large that the digits asked for are beyond double precision stay as
    # they are (R's own shortcut); zero, infinities and NaN pass through.
    keep = (
        ~np.isfinite(x) | (x == 0) | (np.log10(np.where(ax > 0, ax, 1.0)) + digits > 15)
    )
    return np.asarray(np.where(keep, x, out))
