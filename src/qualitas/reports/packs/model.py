"""What a board pack holds: plain, frozen data, so a pack can be built from anything
(a meeting in the web application, a command line run, a benchmark) and rendered the
same way as PDF and PowerPoint.

Numbers arrive already written as text (``"4.2"``, ``"Mar 2025"``): the caller knows
each measure's decimals and frequency, and the pack must show exactly what the
meeting's report showed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PackProject:
    """An improvement project working on a measure."""

    title: str
    status: str = ""
    aim: str = ""
    progress: str = ""  # e.g. "3.0 Modest improvement"


@dataclass(frozen=True)
class PackMeasure:
    """One measure: its row of the summary table, its chart and its narrative."""

    name: str
    unit: str
    domain: str
    period: str
    value: str
    target: str
    mean: str
    lower_limit: str
    upper_limit: str
    variation: str  # an icon code: common_cause, concern_high, ...
    assurance: str | None  # pass, fail, hit_and_miss, or None (no target)
    variation_text: str
    assurance_text: str
    chart: dict[str, Any] | None = None  # a Vega-Lite spec; None: no chart
    chart_tells_us: str = ""
    doing: str = ""
    projects: tuple[PackProject, ...] = ()
    note: str = ""  # e.g. "demonstration data", "trial limits"
    group: str = ""  # the summary table's group heading, e.g. "Special cause concern"


@dataclass(frozen=True)
class PackAction:
    text: str
    owner: str
    due: dt.date | None
    status: str  # e.g. "Open", "Overdue", "Closed at this meeting"
    raised: str = ""  # the meeting it was raised at, e.g. "12 March 2025"
    measure: str = ""


@dataclass(frozen=True)
class PackDecision:
    text: str
    measure: str = ""


@dataclass(frozen=True)
class PackGridCell:
    """One organisation's latest point on one measure in a system report.

    ``variation`` is empty when the cell has no figures; ``note`` then says why
    (e.g. "No data")."""

    variation: str = ""
    assurance: str | None = None
    value: str = ""
    target: str = ""
    note: str = ""
    variation_text: str = ""
    assurance_text: str = ""


@dataclass(frozen=True)
class PackGridRow:
    name: str
    unit: str
    group: str  # e.g. "Special cause concern"
    cells: tuple[PackGridCell, ...]


@dataclass(frozen=True)
class PackSystemGrid:
    """A system meeting's system report: every measure × every organisation."""

    organisations: tuple[str, ...]
    rows: tuple[PackGridRow, ...]


@dataclass(frozen=True)
class Pack:
    """A meeting's board pack.

    >>> pack = Pack(title="Quality and Safety Committee", organisation="Bradford Teaching Hospitals",
    ...             meeting_date=dt.date(2025, 4, 10), data_cut="March 2025", measures=())
    >>> pack.subtitle
    'Integrated quality report · meeting of 10 April 2025 · data to March 2025'
    """

    title: str
    organisation: str
    meeting_date: dt.date
    data_cut: str
    measures: tuple[PackMeasure, ...]
    frozen: str = ""  # when the report was frozen, as text
    actions: tuple[PackAction, ...] = ()
    decisions: tuple[PackDecision, ...] = ()
    caveat: str = ""  # e.g. a demonstration warning printed on every page
    system: PackSystemGrid | None = None  # a system meeting's system report
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def subtitle(self) -> str:
        return (
            f"Integrated quality report · meeting of {long_date(self.meeting_date)}"
            f" · data to {self.data_cut}"
        )

    @property
    def concern_count(self) -> int:
        return sum(1 for m in self.measures if m.variation.startswith("concern"))

    @property
    def failing_count(self) -> int:
        return sum(1 for m in self.measures if m.assurance == "fail")


def long_date(day: dt.date | None) -> str:
    """
    >>> long_date(dt.date(2025, 4, 1))
    '1 April 2025'
    """
    if day is None:
        return "–"
    return f"{day.day} {day:%B %Y}"
