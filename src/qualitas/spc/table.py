"""From a user's long table to sorted, validated arrays the kernels can run on.

Every chart type starts here: one row per observation, one or more key columns that name
the series, a period column and value columns. The result is a :class:`SeriesTable`, in
which rows are sorted by series then period and each series is a contiguous block.

Sorting is the most expensive step at national scale (more than all the SPC arithmetic),
so it is skipped when the input is already in order, and otherwise done on one packed
int64 key rather than on strings (docs/decisions/0002-vectorised-kernels.md).
"""

from __future__ import annotations

import datetime
import itertools
import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, QualitasWarning, describe_rows

SERIES = "series"  # name of the series column when no `by` columns are given

# Values further from zero than this are refused. No measure of care comes near it, and
# the sums, squares and ratios behind the limits stay far from overflowing, which
# would turn a whole series' limits into NaN without a word.
LARGEST = 1e100
# What to do with infinite values (pandas gives them for a division by zero): stop with
# an error naming them, or treat them as missing, with a warning.
INFINITE = ("error", "missing")
# Whole-number periods must be exact as floats and fit an int64 period key.
LARGEST_PERIOD = 2**53


def check_infinite(setting: object) -> None:
    if not isinstance(setting, str) or setting not in INFINITE:
        raise QualitasError(f"infinite must be 'error' or 'missing', not {setting!r}")


def finite_values(
    values: np.ndarray, name: str, *, infinite: str | None = "error"
) -> tuple[np.ndarray, str | None]:
    """``values`` (a float column named ``name``) checked for infinite and absurdly
    large numbers; with ``infinite="missing"``, infinities become NaN and a message
    for a warning comes back. ``infinite=None``: infinities are always an error and
    the message offers no option (funnels, where a unit's count cannot be missing).

    The common case costs two reductions (the largest and the smallest value); the
    rows are looked for only when something is wrong.
    """
    if not len(values):
        return values, None
    high = np.fmax.reduce(values)  # fmax and fmin pass over NaN (missing values)
    low = np.fmin.reduce(values)
    if not (high > LARGEST or low < -LARGEST):
        return values, None
    infinite_rows = np.isinf(values)
    with np.errstate(invalid="ignore"):
        huge = np.flatnonzero((np.abs(values) > LARGEST) & ~infinite_rows)
    if len(huge):
        raise QualitasError(
            f"column {name!r} has numbers too large to chart in {describe_rows(huge)} "
            f"(such as {values[huge[0]]:g}); values must lie between -1e100 and 1e100"
        )
    rows = np.flatnonzero(infinite_rows)
    where = f"column {name!r} has infinite values in {describe_rows(rows)}"
    if infinite != "missing":
        option = (
            ""
            if infinite is None
            else ", or treat them as missing (infinite='missing'; on the command "
            "line --infinite missing)"
        )
        raise QualitasError(
            f"{where}, often the result of dividing by zero; correct them or leave "
            f"the cells empty{option}"
        )
    return np.where(infinite_rows, np.nan, values), f"{where}: treated as missing"


def unique_columns(columns: Iterable[Hashable], wanted: Sequence[str]) -> None:
    """Refuse a table in which a column the calculation reads appears twice: which
    one was meant cannot be known."""
    names = [str(c) for c in columns]
    twice = [c for c in dict.fromkeys(wanted) if names.count(c) > 1]
    if twice:
        raise QualitasError(
            f"column{'s' if len(twice) > 1 else ''} {', '.join(map(repr, twice))} "
            f"{'appear' if len(twice) > 1 else 'appears'} more than once in the data; "
            "give each column its own name"
        )


def as_pandas(data: Any) -> pd.DataFrame:
    """Accept a pandas DataFrame or any table that speaks the Arrow protocols."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "__arrow_c_stream__") or hasattr(data, "__arrow_c_array__"):
        import pyarrow as pa

        frame: pd.DataFrame = pa.table(data).to_pandas()
        return frame
    if hasattr(data, "to_pandas"):
        converted: pd.DataFrame = data.to_pandas()
        return converted
    raise QualitasError(
        "data must be a pandas DataFrame or a table with the Arrow interface "
        f"(pyarrow, Polars, DuckDB...), not {type(data).__name__}"
    )


def normalise_by(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


@dataclass(frozen=True)
class SeriesTable:
    """Rows sorted by series then period, with the arrays the kernels need.

    ``order[i]`` is the input row that became sorted row ``i``; ``series_code[i]`` the
    series it belongs to (0..n_series-1, in key order); ``keys`` holds one row per
    series with the ``by`` columns.
    """

    by: list[str]
    keys: pd.DataFrame
    order: np.ndarray
    series_code: np.ndarray
    series_start: np.ndarray  # index of each series' first sorted row, plus the end
    period: pd.Series  # sorted periods in the user's type
    period_key: np.ndarray  # int64 that orders and compares periods
    values: dict[str, np.ndarray]  # float64 columns, sorted
    notes: tuple[str, ...] = ()  # warnings about the input, for the result to carry

    @property
    def n_rows(self) -> int:
        return len(self.order)

    @property
    def n_series(self) -> int:
        return len(self.keys)

    def key_columns(self) -> dict[str, Any]:
        """The ``by`` columns expanded to one value per sorted row."""
        return keys_at(self.keys, self.series_code)

    def codes_of(self, keys: Sequence[Hashable]) -> np.ndarray:
        """The codes of the series named by ``keys`` (values, or tuples of values for
        several ``by`` columns); -1 where no series has that name."""
        lookup: dict[Hashable, int] | None = self.__dict__.get("_key_lookup")
        if lookup is None:
            if len(self.by) == 1:
                names: list[Hashable] = self.keys[self.by[0]].tolist()
            else:
                names = list(self.keys[self.by].itertuples(index=False, name=None))
            lookup = dict(zip(names, range(len(names)), strict=True))
            object.__setattr__(self, "_key_lookup", lookup)
        wanted: Sequence[Hashable] = keys
        if len(self.by) == 1:
            if any(type(k) is tuple for k in keys):
                wanted = [_scalar(k) for k in keys]
        else:
            wanted = [k if isinstance(k, tuple) else (k,) for k in keys]
        # map() with a default keeps the lookups in C: a national target map has
        # hundreds of thousands of keys.
        found = list(map(lookup.get, wanted, itertools.repeat(-1)))
        return np.asarray(found, dtype=np.int64)


def keys_at(keys: pd.DataFrame, codes: np.ndarray) -> dict[str, Any]:
    """The key columns of ``keys`` (one row per series) at the series ``codes``:
    categoricals stay categoricals with the same levels."""
    out: dict[str, Any] = {}
    for name in keys.columns:
        col = keys[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical.from_codes(
                col.cat.codes.to_numpy()[codes], dtype=col.dtype
            )
        else:
            out[name] = col.to_numpy()[codes]
    return out


def _scalar(key: Hashable) -> Hashable:
    if isinstance(key, tuple) and len(key) == 1:
        first: Hashable = key[0]
        return first
    return key


def prepare(
    frame: pd.DataFrame,
    *,
    period: str,
    values: Sequence[str],
    by: Sequence[str],
    required_values: Sequence[str] = (),
    repeats: bool = False,
    infinite: str = "error",
    categorical: bool = False,
) -> SeriesTable:
    """Validate the columns, sort the rows and return a :class:`SeriesTable`.

    ``values`` are numeric columns (missing values allowed unless listed in
    ``required_values``). Errors name the column and the first offending rows.
    ``repeats`` allows several rows per series and period (subgroups, which the
    chart types that take them aggregate); rows of one period keep input order.
    ``categorical``: the period column names units (wards, trusts), not times; they
    are kept as given and ordered by name.
    """
    wanted = [*by, period, *values]
    missing = [c for c in dict.fromkeys(wanted) if c not in frame.columns]
    if missing:
        raise QualitasError(
            f"column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
            f"not found; the data has {', '.join(map(repr, map(str, frame.columns)))}"
        )
    unique_columns(frame.columns, wanted)
    n = len(frame)

    notes: list[str] = []
    numeric = {}
    for name in values:
        numeric[name], note = finite_values(
            _numeric(frame[name], name), name, infinite=infinite
        )
        if note is not None:
            notes.append(note)
    for name in required_values:
        bad = np.flatnonzero(np.isnan(numeric[name]))
        if len(bad):
            raise QualitasError(
                f"column {name!r} has missing values in {describe_rows(bad)}"
            )

    period_values, period_key = (
        _units(frame[period], period)
        if categorical
        else _periods(frame[period], period)
    )
    series_code, keys = series_codes(frame, by, n)

    order = _sort_order(series_code, period_key)
    if order is not None:
        series_code = series_code[order]
        period_key = period_key[order]
        period_values = period_values.take(order)
        numeric = {k: v[order] for k, v in numeric.items()}
    else:
        order = np.arange(n)

    same = (series_code[1:] == series_code[:-1]) & (period_key[1:] == period_key[:-1])
    if not repeats and same.any():
        dup = np.sort(np.concatenate([order[1:][same], order[:-1][same]]))
        where = "within a series " if by else ""
        raise QualitasError(
            f"period {show_period(period_values.iloc[int(np.flatnonzero(same)[0])])!r} appears "
            f"more than once {where}(column {period!r}, {describe_rows(np.unique(dup))}); "
            "each series needs one value per period"
        )

    starts = (
        np.flatnonzero(np.r_[True, series_code[1:] != series_code[:-1]])
        if n
        else np.array([], dtype=np.int64)
    )
    series_start = np.r_[starts, n].astype(np.int64)
    return SeriesTable(
        by=list(by),
        keys=keys,
        order=order,
        series_code=series_code,
        series_start=series_start,
        period=period_values.reset_index(drop=True),
        period_key=period_key,
        values=numeric,
        notes=tuple(notes),
    )


def _numeric(column: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column.dtype):
        raise QualitasError(f"column {name!r} holds true/false values, not numbers")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero(converted.isna().to_numpy() & column.notna().to_numpy())
    # Blank text cells are missing values, not errors.
    if len(bad):
        text = column.iloc[bad].astype(str).str.strip()
        bad = bad[(text != "").to_numpy()]
    if len(bad):
        example = column.iloc[int(bad[0])]
        raise QualitasError(
            f"column {name!r} must hold numbers, but {describe_rows(bad)} "
            f"{'holds' if len(bad) == 1 else 'hold'} text such as {str(example)!r}"
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)


def _periods(column: pd.Series, name: str) -> tuple[pd.Series, np.ndarray]:
    """Periods as given (dates, or whole numbers such as week numbers) and an int64
    key that sorts them."""
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing):
        raise QualitasError(
            f"column {name!r} has no period in {describe_rows(missing)}"
        )
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.dt.tz_localize(None) if column.dt.tz is not None else column
        values = _nanoseconds(values, name)
        return values, values.to_numpy(dtype="datetime64[ns]").view(np.int64)
    if pd.api.types.is_integer_dtype(column.dtype):
        if pd.api.types.is_unsigned_integer_dtype(column.dtype):
            # Converting to int64 would wrap the largest values round to negatives.
            _whole_periods(column.to_numpy(dtype=np.float64), name)
        return column, column.to_numpy(dtype=np.int64)
    if isinstance(column.dtype, pd.PeriodDtype):
        try:
            stamps = column.dt.to_timestamp()
        except pd.errors.OutOfBoundsDatetime:
            raise _out_of_range(name) from None
        return stamps, stamps.to_numpy().view(np.int64)
    if pd.api.types.is_float_dtype(column.dtype):
        _whole_periods(column.to_numpy(dtype=np.float64), name)
        as_int = column.astype(np.int64)
        return as_int, as_int.to_numpy()
    # Text or Python dates: parse as ISO dates (the format of every NHS open data set).
    with warnings.catch_warnings():
        # Mixed UTC offsets: pandas warns and gives objects, refused below.
        warnings.simplefilter("ignore", FutureWarning)
        try:
            parsed = pd.to_datetime(column, errors="coerce", format="ISO8601")
            if parsed.isna().any():
                parsed = pd.to_datetime(
                    column, errors="coerce", dayfirst=True, format="mixed"
                )
        except (ValueError, TypeError, OverflowError):
            # Cells of kinds pandas cannot put in one column (dates with and
            # without a time zone); the checks below say which.
            parsed = pd.Series(
                [_one_date(v) for v in column], index=column.index, dtype=object
            )
    if not pd.api.types.is_datetime64_any_dtype(parsed.dtype):
        raise _mixed_offsets(column, parsed, name)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise QualitasError(
            f"column {name!r} must hold dates such as 2024-04-01, but "
            f"{describe_rows(bad)} {'holds' if len(bad) == 1 else 'hold'} "
            f"{str(column.iloc[int(bad[0])])!r}"
        )
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_localize(None)
    parsed = _nanoseconds(parsed, name)
    return parsed, parsed.to_numpy().view(np.int64)


def _units(column: pd.Series, name: str) -> tuple[pd.Series, np.ndarray]:
    """Unit names as text and an int64 key that orders them by name (in code-point
    order, as R sorts text into a factor's levels in the C locale)."""
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing):
        raise QualitasError(f"column {name!r} has no unit in {describe_rows(missing)}")
    names = column.astype(str).astype(object)
    codes, _ = pd.factorize(names, sort=True)
    return names, codes.astype(np.int64)


def _whole_periods(values: np.ndarray, name: str) -> None:
    """Numeric periods must be whole numbers small enough to be exact."""
    with np.errstate(invalid="ignore"):
        huge = ~(np.abs(values) <= LARGEST_PERIOD)
    if huge.any():
        bad = np.flatnonzero(huge)
        what = "infinite" if np.isinf(values[bad[0]]) else "too large to be a period"
        raise QualitasError(
            f"column {name!r} must hold dates or whole numbers, but "
            f"{describe_rows(bad)} {'is' if len(bad) == 1 else 'are'} {what} "
            f"(such as {values[bad[0]]:g}); whole-number periods (such as week "
            f"numbers) must lie between -{LARGEST_PERIOD:,} and {LARGEST_PERIOD:,}"
        )
    bad = np.flatnonzero(values != np.floor(values))
    if len(bad):
        raise QualitasError(
            f"column {name!r} must hold dates or whole numbers, "
            f"but {describe_rows(bad)} {'is' if len(bad) == 1 else 'are'} fractional"
        )


def _nanoseconds(values: pd.Series, name: str) -> pd.Series:
    """Dates in nanoseconds, the unit of period keys; dates that do not fit (before
    1677 or after 2262) are an error rather than a wrapped-round number."""
    try:
        return values.astype("datetime64[ns]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise _out_of_range(name) from None


def _out_of_range(name: str) -> QualitasError:
    return QualitasError(
        f"column {name!r} has dates outside the years 1678 to 2261, which qualitas "
        "cannot place on a chart; check the dates (a typing slip in the year?)"
    )


def _one_date(value: Any) -> Any:
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT


def _mixed_offsets(column: pd.Series, parsed: pd.Series, name: str) -> QualitasError:
    """The error for dates pandas could not put in one column: their UTC offsets
    differ (or some have one and others not)."""
    offsets = [
        v.utcoffset() if isinstance(v, datetime.datetime) and not pd.isna(v) else None
        for v in parsed
    ]
    first = offsets[0] if offsets else None
    row = next((i for i, o in enumerate(offsets) if o != first), None)
    if row is None:
        return QualitasError(
            f"column {name!r} must hold dates such as 2024-04-01, but holds values "
            f"of several kinds, such as {str(column.iloc[0])!r}"
        )

    def show(offset: Any) -> str:
        if offset is None:
            return "no offset"
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        return f"offset {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    return QualitasError(
        f"column {name!r} mixes dates with different UTC offsets: "
        f"{str(column.iloc[0])!r} ({show(first)}) in {describe_rows([0])} and "
        f"{str(column.iloc[row])!r} ({show(offsets[row])}) in {describe_rows([row])}; "
        "give the periods as dates without times, or all with the same offset"
    )


def series_codes(
    frame: pd.DataFrame, by: Sequence[str], n: int
) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer codes for the series, numbered in sorted key order."""
    if not by:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1 if n else 0))
    codes_list: list[np.ndarray] = []
    uniques_list: list[Any] = []
    for name in by:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.cat.remove_unused_categories()
            codes = column.cat.codes.to_numpy().astype(np.int64)
            _no_missing_keys(codes, name)
            uniques: Any = column.cat.categories
            # Categorical series keep their level order (as R factors do).
            codes_list.append(codes)
            uniques_list.append(pd.Categorical(uniques, categories=uniques))
            continue
        codes, uniques = _factorize(column)
        _no_missing_keys(codes, name)
        codes_list.append(codes.astype(np.int64))
        if pd.api.types.is_numeric_dtype(
            column.dtype
        ) or pd.api.types.is_datetime64_any_dtype(column.dtype):
            uniques_list.append(np.asarray(uniques))
        else:
            # Already unique and sorted: no second factorisation.
            uniques_list.append(
                pd.Categorical.from_codes(
                    cast(Sequence[int], np.arange(len(uniques))),
                    categories=pd.Index(uniques, dtype=object),
                )
            )
    if len(by) == 1:
        code = codes_list[0]
        keys = pd.DataFrame({by[0]: uniques_list[0]})
        return code, keys
    # Several key columns: combine their codes into one, in lexicographic order.
    sizes = [len(u) for u in uniques_list]
    combined = np.zeros(n, dtype=np.int64)
    for codes, size in zip(codes_list, sizes, strict=True):
        combined = combined * size + codes
    code, present = pd.factorize(combined, sort=True)
    rest = np.asarray(present, dtype=np.int64)
    parts: list[np.ndarray] = []
    for size in reversed(sizes):
        parts.append(rest % size)
        rest = rest // size
    parts.reverse()
    keys = pd.DataFrame(
        {
            name: (
                uniques.take(part)
                if isinstance(uniques, pd.Categorical)
                else uniques[part]
            )
            for name, uniques, part in zip(by, uniques_list, parts, strict=True)
        }
    )
    for name, uniques in zip(by, uniques_list, strict=True):
        if isinstance(uniques, pd.Categorical):
            keys[name] = pd.Categorical(keys[name], categories=uniques.categories)
    return code.astype(np.int64), keys


def _factorize(column: pd.Series) -> tuple[np.ndarray, Any]:
    """Codes and sorted unique values of a key column.

    Extracts usually arrive sorted by series: then one comparison of neighbours finds
    the series, five times faster than hashing every key.
    """
    values = column.to_numpy()
    if values.dtype == object and len(values) > 1:
        try:
            change = np.asarray(values[1:] != values[:-1], dtype=bool)
            starts = np.flatnonzero(np.r_[True, change])
            uniques = values[starts]
            if not pd.isna(uniques).any() and bool(np.all(uniques[1:] > uniques[:-1])):
                codes = np.cumsum(np.r_[False, change], dtype=np.int64)
                return codes, uniques
        except TypeError:  # keys of mixed types do not compare: hash them instead
            pass
    return pd.factorize(column, sort=True)


def _no_missing_keys(codes: np.ndarray, name: str) -> None:
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        raise QualitasError(
            f"column {name!r} names no series in {describe_rows(missing)}"
        )


def _sort_order(series_code: np.ndarray, period_key: np.ndarray) -> np.ndarray | None:
    """The permutation that sorts rows by (series, period), or None if already sorted.

    One linear pass checks the order first; national extracts usually arrive sorted.
    """
    n = len(series_code)
    if n < 2:
        return None
    ds = np.diff(series_code)
    # Comparisons, not differences: a difference of far-apart int64 periods wraps.
    if (ds >= 0).all() and (period_key[1:] >= period_key[:-1])[ds == 0].all():
        return None
    # Pack (series, period rank, row) into one int64 and sort that: far faster than
    # argsort or lexsort on large inputs. Fall back to lexsort if it does not fit.
    period_rank = np.unique(period_key, return_inverse=True)[1].astype(np.int64)
    row_bits = int(n - 1).bit_length()
    period_bits = max(int(period_rank.max()).bit_length(), 1)
    series_bits = max(int(series_code.max()).bit_length(), 1)
    if row_bits + period_bits + series_bits <= 63:
        packed = (
            (series_code << (period_bits + row_bits))
            | (period_rank << row_bits)
            | np.arange(n, dtype=np.int64)
        )
        packed.sort()
        return packed & ((1 << row_bits) - 1)
    return np.lexsort((period_key, series_code))


def per_series(
    setting: Any,
    table: SeriesTable,
    *,
    name: str,
    convert: Any,
    fill: Any,
) -> list[Any]:
    """Expand a setting given for all series or as a mapping series -> value into one
    value per series, checking that every key names a series."""
    if isinstance(setting, Mapping):
        if not table.by:
            raise QualitasError(
                f"{name} is given per series, but no `by` columns name the series"
            )
        keys = list(setting.keys())
        codes = table.codes_of(keys).tolist()
        unknown = [key for key, code in zip(keys, codes, strict=True) if code < 0]
        if unknown:
            raise QualitasError(
                f"{name} names {len(unknown)} series not in the data: "
                + ", ".join(map(repr, unknown[:5]))
                + (" ..." if len(unknown) > 5 else "")
            )
        out = [fill] * table.n_series
        for code, value in zip(codes, setting.values(), strict=True):
            out[code] = convert(value)
        return out
    return [convert(setting)] * table.n_series


# Regular spacings of dated periods: shortest and longest step in days, and the name.
_SPACINGS = (
    (1, 1, "day"),
    (7, 7, "week"),
    (28, 31, "month"),
    (89, 92, "quarter"),
    (365, 366, "year"),
)


def show_period(value: Any) -> str:
    """A period as people write it: 2024-04-01 rather than 2024-04-01 00:00:00."""
    if isinstance(value, pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
        return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else str(stamp)
    return str(value)


def warn_gaps(table: SeriesTable, period: str) -> list[str]:
    """Warn about missing periods inside a series (e.g. a month with no row), which
    would otherwise be treated as consecutive points. Returns the messages."""
    n = table.n_rows
    if n < 3:
        return []
    same = table.series_code[1:] == table.series_code[:-1]
    if not same.any():
        return []
    step = np.diff(table.period_key)
    if pd.api.types.is_datetime64_any_dtype(table.period.dtype):
        # Classify the spacing from the typical step, then call a step a gap when it is
        # longer than the longest regular step of that kind (31 days for months...).
        day = 86_400 * 10**9
        sample = step[:4096][same[:4096]]
        typical = int(np.median(sample)) // day if len(sample) else 0
        if typical <= 0:
            return []
        high, unit = next(
            ((hi, name) for lo, hi, name in _SPACINGS if lo <= typical <= hi),
            (typical, f"{typical}-day period"),
        )
        gap = same & (step > high * day)
    else:
        sample = step[:4096][same[:4096]]
        typical = int(np.median(sample)) if len(sample) else 0
        if typical <= 0:
            return []
        gap = same & (step > typical)
        unit = "period"
    where = np.flatnonzero(gap)
    if not len(where):
        return []
    n_series = len(np.unique(table.series_code[where]))
    first = int(where[0])
    owner = ""
    if table.by:
        key = table.keys.iloc[int(table.series_code[first])]
        owner = " in series " + ", ".join(f"{k}={key[k]}" for k in table.by)
    message = (
        f"{len(where)} gap{'s' if len(where) > 1 else ''} in the periods of "
        f"{n_series} series: at least one {unit} is missing{owner} between "
        f"{show_period(table.period.iloc[first])} and "
        f"{show_period(table.period.iloc[first + 1])}. "
        "Points either side of a gap are treated as consecutive; add the missing "
        "periods with an empty value if they should be shown as missing."
    )
    warnings.warn(message, QualitasWarning, stacklevel=3)
    return [message]
