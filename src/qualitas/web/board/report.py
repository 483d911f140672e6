"""The integrated quality report: one row per measure, concerns and failing targets first.

All measures are computed together: one query for the observations, one engine call
for every series, and sparklines drawn from the engine's points with array
operations. This is the page boards open most, so it is kept fast (benchmarks/
bench_web.py: 200 measures × 36 months).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from qualitas.web.authorization import ancestors, descendants, hierarchy
from qualitas.web.measures import corrections, engine, freshness, series, words
from qualitas.web.measures.models import Domain, Measure
from qualitas.web.organisations.models import Organisation

SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120.0, 28.0, 3.0

# Lower comes first: concerns and failing targets lead the report.
PRIORITY_LABELS = {
    0: "Concern and failing target",
    1: "Special cause concern",
    2: "Failing target",
    3: "Other measures",
}


@dataclass
class Row:
    measure: Measure
    period: pd.Timestamp
    value: float
    target: float | None
    mean: float
    lpl: float
    upl: float
    variation: str
    assurance: str | None
    n_points: int
    short_baseline: bool
    spark_line: str
    spark_dot: tuple[float, float]
    spark_dot_kind: str
    priority: int
    # Sentences saying which values drawn here were corrected or withdrawn, and why.
    corrections: list[str] = field(default_factory=list)
    # "Data are 3 months late: last point March 2019", or "" when they are not late.
    late: str = ""
    chart_type: str = "xmr"
    # A run chart's signal in words (it has no variation icon), else "".
    signal: str = ""

    @property
    def variation_text(self) -> str:
        return words.VARIATION.get(self.variation, self.signal)

    @property
    def assurance_text(self) -> str:
        return words.ASSURANCE.get(self.assurance or "", words.NO_ASSURANCE)

    def fmt(self, x: float | None) -> str:
        return words.number(x, self.measure.decimals)

    @property
    def period_label(self) -> str:
        return words.period(self.period, self.measure.frequency)


@dataclass
class Report:
    organisation: Organisation
    rows: list[Row]
    committees: list[str]
    measures_without_data: list[Measure]
    # The engine's tables behind the rows (series keyed by measure id), for callers
    # that draw the charts too, such as a meeting's frozen report.
    result: engine.Charts | None = None

    @property
    def concern_count(self) -> int:
        return sum(1 for r in self.rows if r.variation.startswith("concern"))

    @property
    def failing_count(self) -> int:
        return sum(1 for r in self.rows if r.assurance == "fail")


def in_report(organisation: Organisation, visible: Any) -> Any:
    """Measures in the report, as a queryset: those the user may read (``visible``
    queryset) that belong to the organisation, a system above it, or one of its
    members."""
    parents, children = hierarchy()
    owners = {
        organisation.pk,
        *ancestors(organisation.pk, parents),
        *descendants(organisation.pk, children),
    }
    return visible.filter(organisation_id__in=owners)


def measures_for(organisation: Organisation, visible: Any) -> list[Measure]:
    """The measures :func:`in_report`, with their owning organisations."""
    return list(in_report(organisation, visible).select_related("organisation"))


def build(
    organisation: Organisation,
    measures: list[Measure],
    *,
    committee: str = "",
    domain: str = "",
    until: dt.date | None = None,
) -> Report:
    """The report for ``measures`` at ``organisation``; ``until`` (a month) leaves
    out periods after that month (a meeting's data cut)."""
    committees = sorted({m.committee for m in measures if m.committee})
    chosen = [
        m
        for m in measures
        if (not committee or m.committee == committee)
        and (not domain or m.domain == domain)
    ]
    by_id = {m.pk: m for m in chosen}
    data = series.organisation_series(chosen, organisation)
    # The data cut names a month: the whole of it is in (every day, week and event).
    cut_end = None if until is None else pd.Timestamp(until) + pd.offsets.MonthBegin(1)
    if cut_end is not None and not data.empty:
        data = data[data["period"] < cut_end]
    with_data = set(data["measure_id"].unique().tolist()) if not data.empty else set()
    without = [m for m in chosen if m.pk not in with_data]
    if data.empty:
        return Report(organisation, [], committees, without)

    latest = data.groupby("measure_id")["period"].max()
    steps = series.target_steps(chosen, organisation)
    targets = series.target_at(steps, latest)
    result = engine.run_charts(
        data,
        by="measure_id",
        measures=by_id,
        target=targets,
        part=series.rebase_periods(chosen, organisation),
    )
    if result is None:
        return Report(organisation, [], committees, chosen)
    # Series too short for their chart type's limits are left out by the engine.
    drawn = set(result.icons["measure_id"].tolist())
    without += [m for m in chosen if m.pk in with_data and m.pk not in drawn]
    icons = result.icons
    points = result.points
    counts = points.groupby("measure_id", sort=True).size()
    short = points.groupby("measure_id", sort=True)["trial_limits"].last()
    lines, dots, dot_kind = sparklines(points)

    variation = icons["variation"].astype(str).to_numpy()
    assurance = (
        icons["assurance"]
        .astype(object)
        .where(icons["assurance"].notna(), None)
        .to_numpy()
    )
    concern = np.char.startswith(variation.astype(str), "concern")
    failing = assurance == "fail"
    priority = np.where(
        concern & failing, 0, np.where(concern, 1, np.where(failing, 2, 3))
    )

    rows = []
    # A meeting's report is judged at the end of its data cut's month, the live one
    # today.
    today = (
        timezone.localdate()
        if cut_end is None
        else (cut_end - pd.Timedelta(days=1)).date()
    )
    ids = icons["measure_id"].to_numpy()
    changed = corrections.by_measure(ids.tolist(), organisation, until=until)
    for i, mid in enumerate(ids.tolist()):
        m = by_id[mid]
        target = icons["target"].iat[i]
        rows.append(
            Row(
                measure=m,
                period=icons["period"].iat[i],
                value=float(icons["value"].iat[i]),
                target=None if np.isnan(target) else float(target),
                mean=float(icons["cl"].iat[i]),
                lpl=float(icons["lcl"].iat[i]),
                upl=float(icons["ucl"].iat[i]),
                variation=variation[i],
                assurance=assurance[i],
                n_points=int(counts.loc[mid]),
                short_baseline=bool(short.loc[mid]),
                spark_line=lines[i],
                spark_dot=dots[i],
                spark_dot_kind=dot_kind[i],
                priority=int(priority[i]),
                corrections=[
                    corrections.in_report(c, organisation, m.decimals)
                    for c in changed.get(mid, [])
                ],
                late=_late(m.frequency, icons["period"].iat[i], today),
                chart_type=m.chart_type,
                signal=str(icons["signal"].iat[i]),
            )
        )
    domain_order = {d: i for i, d in enumerate(Domain.values)}
    rows.sort(
        key=lambda r: (
            r.priority,
            domain_order.get(r.measure.domain, 9),
            r.measure.name,
        )
    )
    return Report(organisation, rows, committees, without, result)


def _late(frequency: str, period: pd.Timestamp, today: dt.date) -> str:
    late = freshness.lateness(frequency, pd.Timestamp(period).date(), today=today)
    return late.words if late else ""


def sparklines(
    points: pd.DataFrame,
) -> tuple[list[str], list[tuple[float, float]], list[str]]:
    """SVG polyline points for every series at once, scaled to each series' range.

    ``points`` is the engine's point table, sorted by series then period."""
    sid = points["measure_id"].to_numpy()
    y = points["value"].to_numpy(dtype=float)
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    ends = np.r_[starts[1:], len(sid)]
    counts = ends - starts
    code = np.repeat(np.arange(len(starts)), counts)
    pos = np.arange(len(sid)) - np.repeat(starts, counts)
    finite = np.where(np.isfinite(y), y, np.nan)
    lo = np.fmin.reduceat(np.nan_to_num(finite, nan=np.inf), starts)
    hi = np.fmax.reduceat(np.nan_to_num(finite, nan=-np.inf), starts)
    span = np.where(hi > lo, hi - lo, 1.0)
    x = SPARK_PAD + pos / np.maximum(counts[code] - 1, 1) * (
        SPARK_WIDTH - 2 * SPARK_PAD
    )
    yy = (
        SPARK_HEIGHT
        - SPARK_PAD
        - (finite - lo[code]) / span[code] * (SPARK_HEIGHT - 2 * SPARK_PAD)
    )
    yy = np.where(hi[code] > lo[code], yy, SPARK_HEIGHT / 2)
    text = np.char.add(
        np.char.add(np.round(x, 1).astype(str), ","),
        np.round(np.nan_to_num(yy, nan=SPARK_HEIGHT / 2), 1).astype(str),
    )
    lines = [" ".join(text[s:e].tolist()) for s, e in zip(starts, ends, strict=True)]
    last = ends - 1
    dots = list(
        zip(
            np.round(x[last], 1).tolist(),
            np.round(np.nan_to_num(yy[last], nan=SPARK_HEIGHT / 2), 1).tolist(),
            strict=True,
        )
    )
    kinds = points["point_type"].astype(str).to_numpy()[last].tolist()
    return lines, dots, kinds


CSV_COLUMNS = [
    "measure",
    "code",
    "domain",
    "committee",
    "unit",
    "latest_period",
    "latest_value",
    "target",
    "variation",
    "assurance",
    "mean",
    "lower_process_limit",
    "upper_process_limit",
    "points",
]


def csv_rows(report: Report) -> list[list[Any]]:
    out = []
    for r in report.rows:
        out.append(
            [
                r.measure.name,
                r.measure.code,
                r.measure.get_domain_display(),
                r.measure.committee,
                r.measure.unit,
                r.period.date().isoformat(),
                _round(r.value),
                _round(r.target),
                r.variation_text,
                r.assurance_text,
                _round(r.mean),
                _round(r.lpl),
                _round(r.upl),
                r.n_points,
            ]
        )
    return out


def _round(x: float | None) -> float | str:
    if x is None or not np.isfinite(x):
        return ""
    return round(float(x), 6)
