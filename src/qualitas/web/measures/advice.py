"""Which chart suits a measure, and why, in plain words.

qualitas advises; the person who owns the measure decides. The advice follows the
references' own guidance (qicharts2's vignette, Making Data Count's "which chart"
notes and the Model for Improvement): start with a run chart until there is a
baseline; counts of rare events go on a g chart of the gaps between them; shares of
a whole go on a p chart and rates on a u chart, with Laney's p′ and u′ when the
denominators are so large that the ordinary limits would hug the centre line; other
figures go on an XmR chart.

The module is plain Python (no Django) so that forms, pages and tests share it.

>>> advise(kind="proportion", frequency="monthly", values=[80.0] * 24,
...        denominators=[120.0] * 24).chart
'p'
>>> advise(kind="count", frequency="monthly", values=[0, 0, 1, 0, 0, 0, 2, 0]).chart
'run'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean, median

# Points needed before control limits mean much: the references advise 20 (fewer
# give limits that move a lot as each point arrives).
BASELINE_POINTS = 20
# A median denominator this large makes a p or u chart's limits so narrow that almost
# every point is special cause (Laney 2002; qicharts2 suggests p′/u′ then).
LARGE_DENOMINATOR = 1000
# A mean count this low is a rare event: most periods are zero, and a c chart's lower
# limit is stuck at zero, so it cannot show an improvement.
RARE_MEAN = 2.0

CHART_NAMES = {
    "run": "run chart",
    "xmr": "XmR chart",
    "p": "p chart",
    "pp": "p′ chart",
    "u": "u chart",
    "up": "u′ chart",
    "c": "c chart",
    "g": "g chart",
    "t": "t chart",
}


@dataclass(frozen=True)
class Advice:
    chart: str  # a Measure.ChartType value
    reason: str  # why, in a sentence people can act on
    frequency: str | None = None  # a different frequency the chart needs, if any

    @property
    def chart_name(self) -> str:
        return CHART_NAMES[self.chart]


def advise(
    *,
    kind: str,
    frequency: str,
    values: Sequence[float] = (),
    denominators: Sequence[float] = (),
) -> Advice:
    """The advised chart for a measure of ``kind`` (:mod:`qualitas.io.validation`'s
    proportion, rate, count, amount or value) and ``frequency``, given the values so
    far (none when the measure is new) and, for ratio measures, their denominators.

    >>> advise(kind="count", frequency="events").reason
    'Events recorded with their dates: use a g chart of the number of days between events.'
    >>> a = advise(kind="count", frequency="monthly", values=[0, 1, 0, 0, 2] * 5)
    >>> a.chart, a.frequency
    ('g', 'events')
    """
    if frequency == "events":
        return Advice(
            "g",
            "Events recorded with their dates: use a g chart of the number of days "
            "between events.",
        )
    n = len(values)
    if 0 < n < BASELINE_POINTS:
        return Advice(
            "run",
            f"Only {n} point{'s' if n != 1 else ''} so far: start with a run chart "
            f"and move to a control chart when there are {BASELINE_POINTS}, enough "
            "for a baseline.",
        )
    if kind == "count" and n and fmean(values) < RARE_MEAN:
        zeros = sum(1 for v in values if v == 0)
        return Advice(
            "g",
            f"Rare events (on average {fmean(values):.1f} a period, {zeros} of {n} "
            "periods with none): a c chart's lower limit would be 0, so it could "
            "never show an improvement. Record each event with its date and use a g "
            "chart of the number of days between events.",
            frequency="events",
        )
    if kind in ("proportion", "rate"):
        share = kind == "proportion"
        plain, laney = ("p", "pp") if share else ("u", "up")
        what = "shares of a whole" if share else "rates of events"
        if denominators and median(denominators) >= LARGE_DENOMINATOR:
            return Advice(
                laney,
                f"Very large denominators (a median of {median(denominators):,.0f}): "
                f"an ordinary {plain} chart's limits would be so narrow that nearly "
                f"every point looks special, so use a {CHART_NAMES[laney]}, which "
                "allows for the variation between periods.",
            )
        return Advice(
            plain,
            f"A numerator and a denominator ({what}): use a {CHART_NAMES[plain]}, "
            "whose limits widen when a period's denominator is small.",
        )
    if kind == "count":
        return Advice(
            "c",
            "Counts of events in equal periods: use a c chart.",
        )
    return Advice(
        "xmr",
        "Measured values: use an XmR chart (Making Data Count's default).",
    )
