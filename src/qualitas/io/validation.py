"""The rules measure data must meet, one set for every way in.

The web upload, the monthly entry form, the JSON API and the command line all read
numbers, dates and measure values through these functions, so a value refused in one
place is refused in every other, with the same words. The module is pure (NumPy and
pandas, no Django): the rules for a measure come in as plain data (:class:`Rules`).

Checks work on whole columns at once and put every problem into a :class:`Problems`
collector, so all the problems of a row are listed together rather than one at a time.

>>> p = Problems(np.array([2, 3]))
>>> values = parse_numbers(pd.Series(["4.5", "1,5"]), "value", p, NumberStyle())
>>> values[0], [(e.row, e.column) for e in p.listed()]
(np.float64(4.5), [(3, 'value')])

Kinds of measure, from the register's own fields (:meth:`Rules.for_measure`):

- **proportion**: a share of a whole (a ratio measure shown as a percentage): the
  numerator is between 0 and the denominator, the denominator more than 0;
- **rate**: events per so many of something (a ratio measure per 1,000 bed days):
  the numerator is 0 or more, the denominator more than 0;
- **count**: things counted (a summed measure shown with no decimal places): whole
  numbers, 0 or more;
- **amount**: summed figures that need not be whole (a daily average of patients):
  0 or more;
- **value**: anything else (a mean score, a ratio of observed to expected): any finite
  number.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PROPORTION, RATE, COUNT, AMOUNT, VALUE = (
    "proportion",
    "rate",
    "count",
    "amount",
    "value",
)
KINDS = (PROPORTION, RATE, COUNT, AMOUNT, VALUE)
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "annual", "events")
# Frequencies whose periods are days: a day, the Monday a week starts, or the date of
# an event. The others' periods are months (or the first month of a quarter or year).
DATED = ("daily", "weekly", "events")
# A period is a month: 2024-03, or any real date in it, 2024-03-15.
PERIOD_PATTERN = r"\d{4}-\d{1,2}(?:-\d{1,2})?"
FIRST_YEAR, LAST_YEAR = 1900, 2200
# First months a quarterly or annual period may start in: quarters of the calendar and
# the financial year both start in these months; years start in January or April.
STARTS = {"quarterly": (1, 4, 7, 10), "annual": (1, 4)}
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Charts drawn from each period's numerator and denominator.
DENOMINATOR_CHARTS = ("p", "pp", "u", "up")
MAX_KEPT = 200  # problems kept with their message; all are counted


@dataclass(frozen=True)
class Rules:
    """What a measure's values must be, as plain data.

    >>> Rules.for_measure(aggregation="ratio", multiplier=100, decimals=1, unit="%",
    ...                   frequency="monthly").kind
    'proportion'
    >>> Rules.for_measure(aggregation="sum", multiplier=1, decimals=0, unit="cases",
    ...                   frequency="monthly").needs_parts
    False
    """

    kind: str
    frequency: str = "monthly"
    multiplier: float = 1.0
    # A rate or proportion whose chart (p, p′, u, u′) needs each period's
    # denominator, so that its value alone will not do.
    parts_required: bool = False

    @classmethod
    def for_measure(
        cls,
        *,
        aggregation: str,
        multiplier: float,
        decimals: int,
        unit: str,
        frequency: str,
        chart_type: str = "",
    ) -> Rules:
        if aggregation == "ratio":
            # A percentage of the denominator is a share of it; any other multiplier
            # (per 1,000 bed days) makes a rate, which has no upper bound.
            share = multiplier == 100 or unit.strip().startswith("%")
            kind = PROPORTION if share else RATE
        elif aggregation == "sum":
            kind = COUNT if decimals == 0 else AMOUNT
        else:
            kind = VALUE
        return cls(
            kind=kind,
            frequency=frequency,
            multiplier=float(multiplier),
            parts_required=kind in (PROPORTION, RATE)
            and chart_type in DENOMINATOR_CHARTS,
        )

    @property
    def needs_parts(self) -> bool:
        """Whether values come as a numerator and a denominator."""
        return self.kind in (PROPORTION, RATE)

    def describe(self) -> str:
        """What to give for this measure, in plain English, for forms and the upload
        page.

        >>> Rules(kind="proportion").describe()
        'numerator and denominator (the numerator no more than the denominator), or the value alone'
        """
        alone = "" if self.parts_required else ", or the value alone"
        return {
            PROPORTION: "numerator and denominator (the numerator no more than the "
            f"denominator){alone}",
            RATE: f"numerator and denominator (the denominator more than 0){alone}",
            COUNT: "value (a whole number, 0 or more)",
            AMOUNT: "value (0 or more)",
            VALUE: "value",
        }[self.kind]


@dataclass(frozen=True)
class Problem:
    row: int  # as the source numbers it: a spreadsheet row, an API record
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


Message = str | Callable[[np.ndarray], Iterable[str]]


class Problems:
    """Problems found in a table, by row and column, in the order people read them.

    ``row_numbers`` are the numbers to show for each position (spreadsheet rows, API
    record numbers); ``columns`` the order columns are listed in within a row.
    """

    def __init__(self, row_numbers: np.ndarray, columns: Sequence[str] = ()) -> None:
        self.rows = np.asarray(row_numbers)
        self.columns = list(columns)
        self.found: list[tuple[np.ndarray, str, list[str]]] = []
        self.bad = np.zeros(len(self.rows), dtype=bool)

    def add(self, mask: np.ndarray, column: str, message: Message) -> None:
        """``message`` is a string, or a function from row positions to messages."""
        where = np.flatnonzero(mask)
        if not len(where):
            return
        self.bad[where] = True
        shown = where[:MAX_KEPT]
        texts = (
            [message] * len(shown) if isinstance(message, str) else list(message(shown))
        )
        self.found.append((where, column, texts))

    @property
    def count(self) -> int:
        return sum(len(w) for w, _, _ in self.found)

    def listed(self) -> list[Problem]:
        out = [
            Problem(int(self.rows[pos]), column, text)
            for where, column, texts in self.found
            for pos, text in zip(where[:MAX_KEPT], texts, strict=False)
        ]
        order = {c: i for i, c in enumerate(self.columns)}
        out.sort(key=lambda e: (e.row, order.get(e.column, len(order))))
        return out[:MAX_KEPT]


# --- numbers ----------------------------------------------------------------------

_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


@dataclass(frozen=True)
class NumberStyle:
    """How numbers are written in one source.

    ``decimal_comma``: "4,5" is four and a half (a file whose own numbers show it).
    ``thousands``: "1,234" is one thousand two hundred and thirty-four (comma-separated
    files, where a comma cannot be a decimal one). ``mixed``: the file has both decimal
    commas and decimal points, so neither comma nor point can be trusted.
    ``source``: "file", "xlsx", "api" or "form", for the wording of messages.
    """

    decimal_comma: bool = False
    thousands: bool = False
    mixed: bool = False
    source: str = "file"


def number_style(cells: pd.Series, separator: str) -> NumberStyle:
    """The style of a CSV's numbers, from the number cells themselves.

    Decimal commas are understood only in files separated by semicolons or tabs (as
    spreadsheets save them where the comma is the decimal mark), only when some number
    has one and none has a decimal point.

    >>> number_style(pd.Series(["4,5", "12"]), ";").decimal_comma
    True
    >>> number_style(pd.Series(["4,5", "4.5"]), ";").mixed
    True
    >>> number_style(pd.Series(["1,234"]), ",").thousands
    True
    """
    text = cells[cells != ""]
    commas = text.str.fullmatch(_DECIMAL_COMMA.pattern).any()
    points = text.str.contains(".", regex=False).any()
    if separator == ",":
        return NumberStyle(thousands=True)
    if commas and points:
        return NumberStyle(mixed=True)
    return NumberStyle(decimal_comma=bool(commas))


def describe_reading(separator: str, style: NumberStyle) -> str:
    """How a CSV was read, in words, for the preview.

    >>> describe_reading(";", NumberStyle(decimal_comma=True))
    'Read as semicolon-separated with decimal commas (4,5 is four and a half).'
    """
    name = {",": "comma", ";": "semicolon", "\t": "tab"}.get(separator, repr(separator))
    numbers = (
        " with decimal commas (4,5 is four and a half)"
        if style.decimal_comma
        else " with decimal points"
    )
    return f"Read as {name}-separated{numbers}."


def parse_numbers(
    text: pd.Series,
    column: str,
    problems: Problems,
    style: NumberStyle,
    *,
    skip: np.ndarray | None = None,
) -> np.ndarray:
    """Text cells as floats; NaN for blanks and for cells that are not numbers, which
    are problems (unless ``skip``, for rows already reported)."""
    text = text.astype(str).str.strip()
    given = (text != "").to_numpy()
    has_comma = text.str.contains(",", regex=False).to_numpy()
    has_point = text.str.contains(".", regex=False).to_numpy()
    cleaned = text
    comma_problem = np.zeros(len(text), dtype=bool)
    if style.decimal_comma:
        ok_comma = text.str.fullmatch(_DECIMAL_COMMA.pattern).to_numpy()
        cleaned = text.where(~ok_comma, text.str.replace(",", ".", regex=False))
        comma_problem = (has_comma & ~ok_comma) | has_point
    elif style.thousands:
        grouped = text.str.fullmatch(_THOUSANDS).to_numpy()
        cleaned = text.where(~grouped, text.str.replace(",", "", regex=False))
        comma_problem = has_comma & ~grouped
    else:
        comma_problem = has_comma
    values = pd.to_numeric(cleaned.where(~comma_problem, ""), errors="coerce")
    out = values.to_numpy(dtype=float, na_value=np.nan)
    not_number = given & ~comma_problem & np.isnan(out)
    # pandas gives NaN for numbers too large for a float (1e400); Python's own
    # reading says they are infinite, which is the more useful message.
    for p in np.flatnonzero(not_number):
        try:
            out[p] = float(cleaned.iloc[p])
        except ValueError:
            continue
        not_number[p] = np.isnan(out[p])
    infinite = given & np.isinf(out)
    keep = np.ones(len(text), dtype=bool) if skip is None else ~skip

    def shown(p: int) -> str:
        return f"'{text.iloc[p][:30]}' in {column}"

    problems.add(
        comma_problem & given & keep,
        column,
        lambda pos: (shown(p) + _comma_advice(text.iloc[p], style) for p in pos),
    )
    problems.add(
        not_number & keep,
        column,
        lambda pos: (f"{shown(p)} is not a number" for p in pos),
    )
    problems.add(
        infinite & keep,
        column,
        lambda pos: (f"{shown(p)} is not a finite number" for p in pos),
    )
    out[comma_problem | not_number | infinite] = np.nan
    return out


def decimals_written(text: pd.Series, style: NumberStyle) -> np.ndarray:
    """How many decimal places each number cell was written with (NaN for blanks
    and for numbers written with an exponent).

    >>> decimals_written(pd.Series(["62.5", "40", "", "1e-3"]), NumberStyle())
    array([ 1.,  0., nan, nan])
    >>> decimals_written(pd.Series(["62,50"]), NumberStyle(decimal_comma=True))
    array([2.])
    """
    text = text.astype(str).str.strip()
    mark = "," if style.decimal_comma else "."
    after = text.str.extract(r"\d" + re.escape(mark) + r"(\d+)$")[0]
    places = after.str.len().to_numpy(dtype=float, na_value=np.nan)
    plain = text.str.fullmatch(r"[+-]?\d[\d,]*").to_numpy()
    places[plain & np.isnan(places)] = 0.0
    return places


def _comma_advice(cell: str, style: NumberStyle) -> str:
    if style.source == "api":
        return (
            " is text with a comma; send numbers as JSON numbers with a decimal "
            "point, for example 1.5"
        )
    if style.source == "xlsx":
        return (
            " is text, not a number; type it into the cell again as a number (Excel "
            "shows numbers with your computer's own decimal mark)"
        )
    if style.source == "form":
        return " has a comma; write numbers with a decimal point, for example 4.5"
    if style.mixed:
        return (
            " is ambiguous: the file has numbers with decimal commas and others "
            "with decimal points; use one decimal mark throughout"
        )
    if style.decimal_comma:
        return (
            " is not a number written with a decimal comma (as 4,5); the file's "
            "other numbers use decimal commas, so write it that way, with no "
            "thousands separators"
        )
    return (
        " has a comma, which could be a decimal comma or a thousands separator; "
        "write numbers with a decimal point (4.5) and no separators, or save the "
        "file separated by semicolons with decimal commas throughout"
    )


# --- periods ----------------------------------------------------------------------


def _period_parts(text: pd.Series) -> tuple[np.ndarray, ...]:
    """Year, month and day (NaN where not given) of each cell in any of the forms a
    period is read in, and which form each cell had (ISO, UK, NAMED or "")."""
    n = len(text)
    year, month, day = (np.full(n, np.nan) for _ in range(3))
    form = np.full(n, "", dtype=object)

    def number(s: pd.Series) -> np.ndarray:
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)

    iso = text.str.extract(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
    uk = text.str.extract(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})$")
    named = text.str.extract(r"^([A-Za-z]+)\.?[\s\-/]*(\d{4}|\d{2})$")
    is_iso = iso[0].notna().to_numpy()
    is_uk = uk[0].notna().to_numpy()
    month_of = named[0].str.lower().map(_MONTH_NUMBERS)
    is_named = month_of.notna().to_numpy()
    year[is_iso], month[is_iso], day[is_iso] = (
        number(iso[0])[is_iso],
        number(iso[1])[is_iso],
        number(iso[2])[is_iso],
    )
    year[is_uk], month[is_uk], day[is_uk] = (
        number(uk[3])[is_uk],
        number(uk[2])[is_uk],
        number(uk[0])[is_uk],
    )
    short = number(named[1])
    # Two-digit years as spreadsheets read them: 00-29 are 2000-2029, 30-99 the 1900s.
    short = np.where(
        short < 100, np.where(short < 30, 2000 + short, 1900 + short), short
    )
    year[is_named] = short[is_named]
    month[is_named] = month_of.to_numpy(dtype=float)[is_named]
    form[is_iso], form[is_uk], form[is_named] = ISO, UK, NAMED
    return year, month, day, form


ISO, UK, NAMED = "iso", "uk", "named"
_MONTH_NUMBERS = {
    **{name.lower(): i for i, name in enumerate(MONTHS, start=1)},
    **{name[:3].lower(): i for i, name in enumerate(MONTHS, start=1)},
    "sept": 9,
}


def parse_periods(
    text: pd.Series,
    problems: Problems,
    *,
    column: str = "period",
    skip: np.ndarray | None = None,
    dated: np.ndarray | None = None,
) -> np.ndarray:
    """Text periods as the first day of their month (datetime64[ns]); NaT where blank
    or wrong (a problem unless blank).

    Periods are read in three forms (:func:`describe_periods` says which a column
    used): ISO, a month as 2024-03 or a date as 2024-03-15; UK dates, day first, as
    15/03/2024 (never read month first, as in the US: 02/13/2024 is refused, and so
    are the column's other slashed dates, which could be read either way); and month
    names, as Mar-24, Mar 2024 or March 2024. Rows where ``dated`` is true
    (measures with daily, weekly or event data) keep their day, and must give one: a
    month alone does not say which day.

    >>> p = Problems(np.array([2, 3, 4, 5, 6]))
    >>> out = parse_periods(pd.Series(["2024-03", "15/03/2024", "Mar-24", "2024-02-30",
    ...                                "2024-03-45"]), p)
    >>> [str(d)[:10] for d in out[:3]]
    ['2024-03-01', '2024-03-01', '2024-03-01']
    >>> [e.message for e in p.listed()]  # doctest: +NORMALIZE_WHITESPACE
    ["'2024-02-30' is not a real date: February 2024 has 29 days",
     "'2024-03-45' is not a real date: March 2024 has 31 days"]
    """
    text = text.astype(str).str.strip()
    n = len(text)
    year, month, day, form = _period_parts(text)
    shape = form != ""
    has_day = ~np.isnan(day)
    in_range = shape & (year >= FIRST_YEAR) & (year <= LAST_YEAR)
    good_month = in_range & (month >= 1) & (month <= 12)
    # Slashed dates that only make sense month first show the column is in US
    # order; then no slashed date in it can be trusted either way.
    uk = form == UK
    us_order = uk & (month > 12) & (day >= 1) & (day <= 12)
    either = uk & (month <= 12) & (day <= 12) & (day != month) & us_order.any()
    good_month &= ~us_order & ~either
    first = pd.to_datetime(
        pd.DataFrame(
            {
                "year": np.where(good_month, year, 2000),
                "month": np.where(good_month, month, 1),
                "day": 1,
            }
        )
    )
    days_in = first.dt.days_in_month.to_numpy()
    good_day = ~has_day | ((day >= 1) & (day <= days_in))
    good = good_month & good_day
    given = (text != "").to_numpy()
    keep = np.ones(n, dtype=bool) if skip is None else ~skip
    problems.add(~given & keep, column, f"{column} is empty")
    problems.add(
        us_order & keep,
        column,
        lambda pos: (
            f"'{text.iloc[p][:30]}' is month first (US order); dates with slashes "
            "are read day first (UK: 15/03/2024 is 15 March 2024), so write it as "
            f"{int(day[p]):02d}/{int(month[p]):02d}/{int(year[p])} or "
            f"{int(year[p])}-{int(day[p]):02d}-{int(month[p]):02d}"
            for p in pos
        ),
    )
    problems.add(
        either & keep,
        column,
        lambda pos: (
            f"'{text.iloc[p][:30]}' could be read day first or month first: other "
            "dates in this column are month first (US order), so none is guessed "
            f"at; write dates as {int(year[p])}-{int(month[p]):02d}-{int(day[p]):02d} "
            "(year, month, day)"
            for p in pos
        ),
    )
    problems.add(
        given & ~good_month & ~us_order & ~either & keep,
        column,
        lambda pos: (
            f"'{text.iloc[p][:30]}' is not a period; write a month as 2024-03 or "
            "Mar-24, or a date as 2024-03-01 or 01/03/2024 (day first)"
            for p in pos
        ),
    )
    problems.add(
        given & good_month & ~good_day & keep,
        column,
        lambda pos: (
            f"'{text.iloc[p][:30]}' is not a real date: "
            f"{MONTHS[int(month[p]) - 1]} {int(year[p])} has {days_in[p]} days"
            for p in pos
        ),
    )
    out = first.to_numpy(dtype="datetime64[ns]").copy()
    if dated is not None and dated.any():
        problems.add(
            given & good_month & ~has_day & dated & keep,
            column,
            lambda pos: (
                f"'{text.iloc[p][:30]}' has no day; give the date as "
                f"{int(year[p])}-{int(month[p]):02d}-01"
                for p in pos
            ),
        )
        good &= ~dated | has_day
        days = np.where(dated & good, day - 1, 0).astype("timedelta64[D]")
        out = out + days.astype("timedelta64[ns]")
    out[~good] = np.datetime64("NaT")
    return out


def describe_periods(text: pd.Series) -> str:
    """How a column of periods was read, in words, for the preview: each form it
    uses, with an example of its own read back (nothing when every period is ISO).

    >>> print(describe_periods(pd.Series(["01/02/2016", "Apr-16", "2016-05"])))
    ... # doctest: +NORMALIZE_WHITESPACE
    Periods read as: UK dates, day first (01/02/2016 is 1 February 2016, never
    2 January); month names (Apr-16 is April 2016); ISO (2016-05 is May 2016).
    """
    text = text.astype(str).str.strip()
    year, month, day, form = _period_parts(text)
    if not np.isin(form, (UK, NAMED)).any():
        return ""  # ISO alone cannot be misread: nothing to say
    ok = (year >= FIRST_YEAR) & (year <= LAST_YEAR) & (month >= 1) & (month <= 12)
    parts = []
    for kind, label in (
        (UK, "UK dates, day first"),
        (NAMED, "month names"),
        (ISO, "ISO"),
    ):
        where = np.flatnonzero((form == kind) & ok)
        if not len(where):
            continue
        p = where[0]
        m, y = MONTHS[int(month[p]) - 1], int(year[p])
        reading = f"{int(day[p])} {m} {y}" if not np.isnan(day[p]) else f"{m} {y}"
        also = ""
        if kind == UK and day[p] <= 12 and day[p] != month[p]:
            also = f", never {int(month[p])} {MONTHS[int(day[p]) - 1]}"
        parts.append(f"{label} ({text.iloc[p]} is {reading}{also})")
    return "Periods read as: " + "; ".join(parts) + "." if parts else ""


def check_periods(
    periods: np.ndarray,
    frequency: np.ndarray,
    names: pd.Series,
    problems: Problems,
    *,
    today: dt.date,
    column: str = "period",
) -> None:
    """Periods that do not start one of their measure's periods, or lie in the future.

    A period may be this month (its data may be partial) but not a later one.
    ``frequency`` and ``names`` (the measures' codes) are per row.
    """
    known = ~np.isnat(periods)
    month = pd.DatetimeIndex(periods).month.to_numpy()
    for frequency_name, starts in STARTS.items():
        wrong = known & (frequency == frequency_name) & ~np.isin(month, starts)
        names_of = [MONTHS[m - 1] for m in starts]
        first_months = ", ".join(names_of[:-1]) + " or " + names_of[-1]
        span = "quarter" if frequency_name == "quarterly" else "year"

        def message(
            pos: np.ndarray,
            f: str = frequency_name,
            s: str = first_months,
            w: str = span,
        ) -> Iterable[str]:
            return (
                f"{_month_name(periods[p])} is not the start of a {w}: "
                f"{names.iloc[p]} is {f}, so give the {w}'s first month ({s})"
                for p in pos
            )

        problems.add(wrong, column, message)
    weekday = pd.DatetimeIndex(periods).weekday.to_numpy()
    problems.add(
        known & (frequency == "weekly") & (weekday != 0),
        column,
        lambda pos: (
            f"{_day_name(periods[p])} is a {DAYS[weekday[p]]}: {names.iloc[p]} is "
            "weekly, so give the Monday the week starts"
            for p in pos
        ),
    )
    # A month may be this month and a week this week (partial data), not later.
    dated = np.isin(frequency, DATED)
    this_month = np.datetime64(today.replace(day=1), "ns")
    monday = np.datetime64(today - dt.timedelta(days=today.weekday()), "ns")
    latest = np.where(
        dated,
        np.where(frequency == "weekly", monday, np.datetime64(today, "ns")),
        this_month,
    )
    problems.add(
        known & (periods > latest),
        column,
        lambda pos: (
            f"{(_day_name if dated[p] else _month_name)(periods[p])} is in the future "
            f"(today is {today.day} {MONTHS[today.month - 1]} {today.year})"
            for p in pos
        ),
    )


DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _month_name(p: np.datetime64) -> str:
    t = pd.Timestamp(p)
    return f"{MONTHS[t.month - 1]} {t.year}"


def _day_name(p: np.datetime64) -> str:
    t = pd.Timestamp(p)
    return f"{t.day} {MONTHS[t.month - 1]} {t.year}"


# --- values -----------------------------------------------------------------------


def check_values(
    kinds: np.ndarray,
    multipliers: np.ndarray,
    names: pd.Series,
    value: np.ndarray,
    numerator: np.ndarray,
    denominator: np.ndarray,
    problems: Problems,
    *,
    unreadable: np.ndarray | None = None,
    skip: np.ndarray | None = None,
    value_decimals: np.ndarray | None = None,
    parts_required: np.ndarray | None = None,
) -> np.ndarray:
    """Values against their measure's kind; returns each row's value (computed from the
    numerator and denominator where the measure has them).

    ``kinds``, ``multipliers`` and ``names`` are per row; NaN in a number means blank,
    or given but not readable (already reported), which ``unreadable`` marks (rows ×
    value, numerator, denominator) so that it is not called missing as well. Rows in
    ``skip`` (an unknown measure) are not checked. ``value_decimals`` (per row, NaN
    where unknown) is how many decimal places each value was written with
    (:func:`decimals_written`): a value matches its numerator and denominator within
    that rounding. Rows in ``parts_required`` (a rate or proportion whose chart needs
    denominators) must give a numerator and denominator; other rates and
    proportions may give their value alone.
    """
    n = len(kinds)
    ok = np.ones(n, dtype=bool) if skip is None else ~skip
    has_value, has_num, has_den = (
        ~np.isnan(value),
        ~np.isnan(numerator),
        ~np.isnan(denominator),
    )
    if unreadable is not None:
        # Given but unreadable: not missing, but not usable either.
        given_value = has_value | unreadable[:, 0]
        given_num = has_num | unreadable[:, 1]
        given_den = has_den | unreadable[:, 2]
        ok_numbers = ~unreadable.any(axis=1)
    else:
        given_value, given_num, given_den = has_value, has_num, has_den
        ok_numbers = np.ones(n, dtype=bool)
    parts = np.isin(kinds, (PROPORTION, RATE))
    known = np.isin(kinds, KINDS)
    problems.add(
        ok & given_num & ~given_den,
        "denominator",
        "denominator is missing (a numerator needs one)",
    )
    problems.add(
        ok & given_den & ~given_num,
        "numerator",
        "numerator is missing (a denominator needs one)",
    )
    # A rate or proportion may come as its value alone (a percentage), unless its
    # chart (p, u) needs each period's denominator.
    must_have_parts = (
        np.zeros(n, dtype=bool) if parts_required is None else parts_required
    )
    problems.add(
        ok & parts & ~given_num & ~given_den & (must_have_parts | ~given_value),
        "numerator",
        lambda pos: (
            f"measure {names.iloc[p]} is a {kinds[p]}"
            + (
                " whose chart needs each period's denominator"
                if must_have_parts[p]
                else ""
            )
            + ": give its numerator and denominator"
            + ("" if must_have_parts[p] else ", or its value alone")
            for p in pos
        ),
    )
    alone = ok & parts & has_value & ~given_num & ~given_den & ~must_have_parts
    problems.add(
        alone & (value < 0),
        "value",
        lambda pos: (
            f"value {value[p]:g} is negative: {names.iloc[p]} is a {kinds[p]}, "
            "which cannot be below 0"
            for p in pos
        ),
    )
    problems.add(
        alone & (kinds == PROPORTION) & (value > multipliers),
        "value",
        lambda pos: (
            f"value {value[p]:g} is more than {multipliers[p]:g}: {names.iloc[p]} is "
            "a proportion, which cannot be more than 100%"
            for p in pos
        ),
    )
    problems.add(
        ok & has_den & (denominator <= 0),
        "denominator",
        lambda pos: (
            f"denominator must be more than 0 (it is {denominator[p]:g})" for p in pos
        ),
    )
    problems.add(
        ok & has_num & (numerator < 0),
        "numerator",
        lambda pos: (f"numerator cannot be negative ({numerator[p]:g})" for p in pos),
    )
    over = ok & (kinds == PROPORTION) & has_num & has_den & (numerator > denominator)
    problems.add(
        over,
        "numerator",
        lambda pos: (
            f"numerator {numerator[p]:g} is more than denominator {denominator[p]:g}: "
            f"{names.iloc[p]} is a proportion, which cannot be more than 100%"
            for p in pos
        ),
    )
    whole = ok & known & ~parts
    problems.add(whole & ~given_value, "value", "value is empty")
    problems.add(
        whole & has_value & np.isin(kinds, (COUNT, AMOUNT)) & (value < 0),
        "value",
        lambda pos: (
            f"value {value[p]:g} is negative: {names.iloc[p]} is a {kinds[p]}, "
            "which cannot be below 0"
            for p in pos
        ),
    )
    problems.add(
        whole & has_value & (kinds == COUNT) & (value >= 0) & (value % 1 != 0),
        "value",
        lambda pos: (
            f"value {value[p]:g} is not a whole number: {names.iloc[p]} is a count"
            for p in pos
        ),
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        computed = numerator / denominator * multipliers
    both = ok & parts & has_num & has_den & (denominator > 0)
    problems.add(
        both & ~np.isfinite(computed),
        "value",
        "numerator ÷ denominator is too large to store",
    )
    # A value given with its numerator and denominator is usually rounded (a
    # percentage to 1 decimal place): it matches when it is numerator ÷ denominator
    # rounded to as many decimal places as the value was written with.
    places = np.full(n, np.nan) if value_decimals is None else value_decimals
    tolerance = np.where(
        np.isnan(places), 0.0, 0.5 * 10.0 ** -np.nan_to_num(places)
    ) + 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(computed)))
    with np.errstate(invalid="ignore"):
        close = np.isclose(value, computed, rtol=1e-6, atol=1e-9) | (
            np.abs(value - computed) <= tolerance
        )
    mismatch = both & ok_numbers & has_value & np.isfinite(computed) & ~close

    def mismatch_message(pos: np.ndarray) -> Iterable[str]:
        for p in pos:
            said = (
                f"value {value[p]:g} does not match numerator ÷ denominator × "
                f"{multipliers[p]:g} = {computed[p]:.6g}"
            )
            if np.isnan(places[p]):
                yield said
                continue
            d = int(places[p])
            yield (
                f"{said}, which is {computed[p]:.{d}f} to {d} decimal "
                f"place{'' if d == 1 else 's'} (as the value is written); a value "
                "is accepted when it is numerator ÷ denominator rounded to its own "
                "decimal places"
            )

    problems.add(mismatch, "value", mismatch_message)
    return np.where(parts & has_num & has_den, computed, value)


# --- one row, for forms -------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One checked value: the period and numbers to store, or the problems by field."""

    period: dt.date | None
    value: float | None
    numerator: float | None
    denominator: float | None
    problems: dict[str, list[str]]


def check_entry(
    rules: Rules,
    *,
    name: str,
    period: str,
    value: str = "",
    numerator: str = "",
    denominator: str = "",
    today: dt.date,
) -> Entry:
    """One value as a person types it, checked by the same rules as a file's rows.

    >>> rules = Rules(kind="proportion", multiplier=100)
    >>> e = check_entry(rules, name="hand-hygiene", period="2024-03", numerator="120",
    ...                 denominator="100", today=dt.date(2024, 4, 1))
    >>> e.problems["numerator"]
    ['numerator 120 is more than denominator 100: hand-hygiene is a proportion, which cannot be more than 100%']
    """
    problems = Problems(np.array([1]))
    style = NumberStyle(source="form")
    nums = {
        column: parse_numbers(pd.Series([text or ""]), column, problems, style)
        for column, text in (
            ("value", value),
            ("numerator", numerator),
            ("denominator", denominator),
        )
    }
    unreadable = np.array(
        [[bool((text or "").strip()) for text in (value, numerator, denominator)]]
    ) & np.isnan(
        np.column_stack([nums["value"], nums["numerator"], nums["denominator"]])
    )
    periods = parse_periods(
        pd.Series([period or ""]),
        problems,
        dated=np.array([rules.frequency in DATED]),
    )
    names = pd.Series([name])
    check_periods(periods, np.array([rules.frequency]), names, problems, today=today)
    kinds = np.array([rules.kind])
    if not rules.needs_parts:
        nums["numerator"][:] = np.nan
        nums["denominator"][:] = np.nan
    final = check_values(
        kinds,
        np.array([rules.multiplier]),
        names,
        nums["value"],
        nums["numerator"],
        nums["denominator"],
        problems,
        unreadable=unreadable,
        value_decimals=decimals_written(pd.Series([value or ""]), style),
        parts_required=np.array([rules.parts_required]),
    )
    by_field: dict[str, list[str]] = {}
    for p in problems.listed():
        by_field.setdefault(p.column, []).append(p.message)

    def number(x: float) -> float | None:
        return None if np.isnan(x) else float(x)

    return Entry(
        period=None if np.isnat(periods[0]) else pd.Timestamp(periods[0]).date(),
        value=number(final[0]),
        numerator=number(nums["numerator"][0]) if rules.needs_parts else None,
        denominator=number(nums["denominator"][0]) if rules.needs_parts else None,
        problems=by_field,
    )
