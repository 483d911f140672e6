"""Input checks for the chart types: what each chart's data must look like.

Each failure is a :class:`QualitasError` naming the column and the first offending
rows of the user's table, with what to do about it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qualitas.errors import QualitasError, describe_rows
from qualitas.spc.segments import Segments
from qualitas.spc.subgroups import Subgroups
from qualitas.spc.table import LARGEST, SeriesTable

NAMES = {
    "run": "a run chart",
    "i": "an I chart",
    "mr": "an MR chart",
    "xbar": "an Xbar chart",
    "s": "an S chart",
    "p": "a P chart",
    "pp": "a P′ chart",
    "u": "a U chart",
    "up": "a U′ chart",
    "c": "a C chart",
    "g": "a G chart",
    "t": "a T chart",
    "xmr": "a Making Data Count XmR chart",
}
CHART_TYPES = tuple(NAMES)
NEEDS_DENOMINATOR = frozenset({"p", "pp", "u", "up"})
TAKES_DENOMINATOR = NEEDS_DENOMINATOR | {"run", "i", "mr", "xmr"}
COUNTS = frozenset({"p", "pp", "u", "up", "c", "g"})
SUBGROUP_CHARTS = frozenset({"xbar", "s"})
# Baseline subgroups with a value each phase needs: one moving range needs two.
# XmR follows NHSRplotthedots: a phase of any length is drawn (one point gives a
# centre line and no limits), and short phases are marked as trial limits instead.
MIN_SUBGROUPS = {"i": 2, "mr": 2, "t": 2, "pp": 2, "up": 2, "xmr": 0}


def check_chart(chart: str, denominator: str | None) -> None:
    if chart not in NAMES:
        raise QualitasError(
            f"chart must be one of {', '.join(CHART_TYPES)}, not {chart!r}"
        )
    if chart in NEEDS_DENOMINATOR and denominator is None:
        raise QualitasError(
            f"{NAMES[chart]} needs a denominator column (e.g. patients seen, or days "
            "of exposure): give denominator=..."
        )
    if denominator is not None and chart not in TAKES_DENOMINATOR:
        hint = {"c": "use a U chart for events per unit of exposure"}.get(
            chart, "leave denominator out"
        )
        raise QualitasError(f"{NAMES[chart]} takes no denominator: {hint}")


def check_values(
    chart: str, table: SeriesTable, value: str, denominator: str | None
) -> None:
    """Counts and denominators must make sense for the chart type."""
    y = table.values[value]

    def fail(bad: np.ndarray, message: str) -> None:
        rows = np.sort(table.order[np.flatnonzero(bad)])
        raise QualitasError(message.format(rows=describe_rows(rows.tolist())))

    with np.errstate(invalid="ignore"):
        if chart in COUNTS and (y < 0).any():
            fail(
                y < 0,
                f"column {value!r} has negative counts in {{rows}}; {NAMES[chart]} needs counts of zero or more",
            )
        if chart == "t" and (y <= 0).any():
            fail(
                y <= 0,
                f"column {value!r} has times of zero or less in {{rows}}; {NAMES[chart]} needs "
                "times between events greater than zero",
            )
    if denominator is None:
        return
    n = table.values[denominator]
    present = ~np.isnan(y)
    if (present & np.isnan(n)).any():
        fail(
            present & np.isnan(n),
            f"column {denominator!r} has no denominator in {{rows}}, where {value!r} has a "
            "value; give the denominator, or leave both empty for a missing period",
        )
    with np.errstate(invalid="ignore"):
        if (n <= 0).any():
            fail(
                n <= 0,
                f"column {denominator!r} has denominators of zero or less in {{rows}}; a period "
                "with nothing to count has no rate: leave both value and denominator empty",
            )
        if chart in {"p", "pp"} and (y > n).any():
            fail(
                y > n,
                f"column {value!r} is larger than its denominator {denominator!r} in {{rows}}; "
                "a proportion cannot exceed one (is the denominator the right column?)",
            )


def check_plotted(
    sub: Subgroups, table: SeriesTable, value: str, denominator: str | None
) -> None:
    """What is plotted must be a finite number of sensible size. Values are checked
    on the way in; what can still go wrong is a ratio with a denominator so near
    zero that the division overflows."""
    y = sub.value
    if not len(y):
        return
    high, low = np.fmax.reduce(y), np.fmin.reduce(y)
    if not (high > LARGEST or low < -LARGEST):
        return
    with np.errstate(invalid="ignore"):
        bad = np.abs(y) > LARGEST
    rows = np.sort(table.order[sub.first_row[bad]])
    what = f"{value!r} divided by {denominator!r}" if denominator else repr(value)
    raise QualitasError(
        f"{what} is too large to chart in {describe_rows(rows.tolist())} (beyond "
        "1e100); is a denominator almost zero?"
    )


def check_subgroups(chart: str, sub: Subgroups) -> None:
    if chart in SUBGROUP_CHARTS and not (sub.observations > 1).any():
        raise QualitasError(
            f"{NAMES[chart]} needs several observations per period (the measurements of "
            "each subgroup, one per row); every period has at most one"
        )


class NotEnoughData(QualitasError):
    """Some series have a phase whose baseline is too short to estimate limits.

    ``series`` holds their codes (in the subgroup table's numbering) and ``every``
    says whether no series at all has enough; a request with ``skip_short`` leaves
    the short series out and computes the rest.
    """

    def __init__(self, message: str, series: np.ndarray, every: bool) -> None:
        super().__init__(message)
        self.series = series
        self.every = every


def check_enough(
    chart: str, sub: Subgroups, seg: Segments, base: np.ndarray, phase: np.ndarray
) -> None:
    """Each phase's baseline must hold enough subgroups to estimate the limits."""
    if chart in SUBGROUP_CHARTS:
        usable = base & (sub.observations > 1)
        need = 1
        what = "subgroup of two or more observations"
    else:
        usable = base & ~np.isnan(sub.value)
        need = MIN_SUBGROUPS.get(chart, 1)
        what = "subgroup with a value" if need == 1 else "subgroups with a value"
    have = np.bincount(seg.id, weights=usable, minlength=seg.count)
    short = np.flatnonzero(have < need)
    if not len(short):
        return
    first = int(seg.start[short[0]])
    table = sub.table
    where = f"phase {int(phase[first])}"
    if table.by:
        key = table.keys.iloc[int(table.series_code[first])]
        where = "series " + ", ".join(f"{k}={key[k]}" for k in table.by) + ", " + where
    more = f" ({len(short)} phases in all)" if len(short) > 1 else ""
    series = np.unique(table.series_code[seg.start[short]])
    raise NotEnoughData(
        f"{NAMES[chart]} needs at least {need} baseline {what} in each phase; {where} "
        f"(from {_period(table.period.iloc[first])}) has {int(have[short[0]])}{more}. "
        "Add data, leave such series out (skip_short), or "
        "move the phase start, freeze or exclusions",
        series=series,
        every=len(series) == table.n_series,
    )


def check_units_present(
    chart: str, sub: Subgroups, base: np.ndarray, value: str
) -> None:
    """Over units, Laney's sigma_z is the standard deviation of every baseline unit's
    standardised value; qicharts2 leaves the whole chart without limits when one is
    missing. Refused instead, naming the rows."""
    missing = base & np.isnan(sub.value)
    if not missing.any():
        return
    table = sub.table
    rows = np.sort(table.order[np.flatnonzero(missing)])
    units = ", ".join(
        repr(str(u)) for u in table.period.iloc[np.flatnonzero(missing)[:3]]
    )
    raise QualitasError(
        f"{NAMES[chart]} over units needs a value for every unit in its baseline; "
        f"column {value!r} has none for {units} ({describe_rows(rows.tolist())}): "
        "leave those units out, or exclude them"
    )


def _period(value: object) -> str:
    """A period as people write it: 2024-04-01 rather than 2024-04-01 00:00:00."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return str(value.date())
    return str(value)
