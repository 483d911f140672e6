"""When a measure's next data are due, and how late they are.

A period's figure is due one period after the period ends (March's by the end of
April, a week's by the end of the week after), which allows for the usual lag in
collecting and checking data. A measure whose latest figure is older than that is
late by the number of periods missing since. Events are dated as they happen, so an
event measure is never late: a quiet spell is no events, not missing data.

>>> late = lateness("monthly", dt.date(2019, 3, 1), today=dt.date(2019, 7, 10))
>>> late.missing, late.words
(2, 'Data are 2 months late: last point March 2019')
>>> lateness("monthly", dt.date(2019, 3, 1), today=dt.date(2019, 5, 31)) is None
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

STEP = {
    "daily": relativedelta(days=1),
    "weekly": relativedelta(weeks=1),
    "monthly": relativedelta(months=1),
    "quarterly": relativedelta(months=3),
    "annual": relativedelta(years=1),
}
NOUN = {
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
    "quarterly": "quarter",
    "annual": "year",
}
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


def due(frequency: str, last: dt.date) -> dt.date | None:
    """The day by which the period after ``last`` should have its figure (None for
    events, which are never due).

    >>> due("monthly", dt.date(2024, 3, 1))
    datetime.date(2024, 6, 1)
    >>> due("weekly", dt.date(2024, 3, 4))
    datetime.date(2024, 3, 25)
    """
    step = STEP.get(frequency)
    if step is None:
        return None
    # The next period ends one step after it starts, then has one step of grace.
    return last + 3 * step


@dataclass(frozen=True)
class Lateness:
    frequency: str
    last: dt.date
    missing: int  # periods that should have a figure by now and have none

    @property
    def words(self) -> str:
        noun = NOUN[self.frequency]
        if self.frequency == "monthly" and self.missing >= 24:
            amount = f"over {self.missing // 12} years"
        else:
            amount = f"{self.missing} {noun}{'s' if self.missing != 1 else ''}"
        return f"Data are {amount} late: last point {_when(self.frequency, self.last)}"


def lateness(
    frequency: str, last: dt.date | None, *, today: dt.date
) -> Lateness | None:
    """How late the measure's data are at ``today``, or None when they are not late
    (or there are none yet, or the measure records events).

    >>> lateness("weekly", dt.date(2026, 11, 2), today=dt.date(2026, 12, 3)).words
    'Data are 2 weeks late: last point week of 2 November 2026'
    """
    if last is None or frequency not in STEP:
        return None
    # Periods after ``last`` whose due date (three steps after their predecessor's
    # start) has passed: whole steps elapsed since ``last``, less the two of the
    # next period itself and its grace.
    days = (today - last).days
    if frequency == "daily":
        steps = days
    elif frequency == "weekly":
        steps = days // 7
    else:
        months = (today.year - last.year) * 12 + today.month - last.month
        months -= today.day < last.day
        steps = months // {"monthly": 1, "quarterly": 3, "annual": 12}[frequency]
    missing = steps - 2
    return Lateness(frequency, last, missing) if missing > 0 else None


def _when(frequency: str, day: dt.date) -> str:
    month = MONTHS[day.month - 1]
    if frequency == "daily":
        return f"{day.day} {month} {day.year}"
    if frequency == "weekly":
        return f"week of {day.day} {month} {day.year}"
    if frequency == "quarterly":
        end = day + relativedelta(months=2)
        return f"{month[:3]}–{MONTHS[end.month - 1][:3]} {end.year}"
    if frequency == "annual":
        return (
            f"{day.year}-{(day.year + 1) % 100:02d}"
            if day.month == 4
            else str(day.year)
        )
    return f"{month} {day.year}"
