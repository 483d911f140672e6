"""Freezing a meeting's quality report, and reading it back.

The report is built exactly as the live integrated quality report is
(:func:`qualitas.web.board.report.build`), with periods after the meeting's data cut
left out, and stored as plain JSON: the summary rows (with each measure's name, unit
and decimals as they were), the engine's point and icon tables as columns, the chart
notes and, for a system's meeting, its system report (every measure × every
organisation of the system, :mod:`qualitas.web.board.system`). From that the meeting
page, the narrative pages and the board packs all draw the same table and the same
charts, whatever happens to the data afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from qualitas.spc import ChartResult
from qualitas.web.board import report, system
from qualitas.web.measures import chart as measure_chart
from qualitas.web.measures import corrections, engine, words
from qualitas.web.measures.models import Annotation, Measure
from qualitas.web.meetings.models import Meeting, ReportSnapshot

POINT_COLUMNS = [
    "measure_id",
    "period",
    "value",
    "phase",
    "cl",
    "lcl",
    "ucl",
    "special_cause",
    "point_type",
    "trial_limits",
    "target",
    # Since every chart type (issue 13): the chart, and what run, attribute and
    # rare-event charts draw besides. Older snapshots are all XmR.
    "chart",
    "sigma_signal",
    "include",
    "runs_signal",
    "denominator",
    "total",
]
BOOLS = {"trial_limits", "sigma_signal", "include", "runs_signal"}
POINT_DEFAULTS = {**engine.POINT_DEFAULTS, "chart": "xmr"}
ICON_COLUMNS = [
    "measure_id",
    "period",
    "value",
    "cl",
    "lcl",
    "ucl",
    "target",
    "direction",
    "variation",
    "assurance",
    "signal",  # a run chart's signal in words (it has no variation icon)
    "chart",
]
ICON_DEFAULTS = {"signal": "", "chart": "xmr"}
FLOATS = {"value", "cl", "lcl", "ucl", "target", "denominator", "total"}
# Snapshots frozen before the one chart model stored the XmR engine's old column
# names (docs/methods/migration.md); they are read under the new names.
OLD_NAMES = {
    "segment": "phase",
    "mean": "cl",
    "lpl": "lcl",
    "upl": "ucl",
    "short_segment": "trial_limits",
}


def _columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[Any]]:
    """A table as JSON-ready columns: dates as ISO text, missing numbers as None."""
    out: dict[str, list[Any]] = {}
    for c in columns:
        s = frame[c]
        if c == "period":
            out[c] = pd.to_datetime(s).dt.strftime("%Y-%m-%d").tolist()
        elif c in FLOATS:
            v = s.to_numpy(dtype=float)
            out[c] = np.where(np.isfinite(v), v, np.nan).tolist()
            out[c] = [None if x != x else x for x in out[c]]
        elif c in ("measure_id", "phase"):
            out[c] = s.to_numpy(dtype=np.int64).tolist()
        elif c in BOOLS:
            out[c] = s.to_numpy(dtype=bool).tolist()
        else:
            out[c] = [None if pd.isna(x) else str(x) for x in s.astype(object)]
    return out


def _frame(columns: dict[str, list[Any]], order: list[str]) -> pd.DataFrame:
    """The table back from its columns, in ``order``: PostgreSQL's JSON keeps keys
    in its own order, and the chart code finds the series key by column position."""
    columns = {OLD_NAMES.get(c, c): v for c, v in columns.items()}
    frame = pd.DataFrame({c: columns[c] for c in order if c in columns})
    if frame.empty:
        return frame
    defaults = POINT_DEFAULTS if order is POINT_COLUMNS else ICON_DEFAULTS
    for c in order:
        if c not in frame:
            frame[c] = frame["value"] if c == "total" else defaults.get(c, np.nan)
    frame["period"] = pd.to_datetime(frame["period"])
    for c in FLOATS & set(frame.columns):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return frame


def _number(x: float | None) -> float | None:
    """A number for JSON: NaN and infinities (no limits yet) become None."""
    if x is None or not np.isfinite(x):
        return None
    return float(x)


def measures_for(meeting: Meeting) -> list[Measure]:
    """Every measure the meeting's organisation reports (its own, its system's and
    its members'), whoever freezes the report."""
    org = meeting.committee.organisation
    return report.measures_for(org, Measure.objects.all())


def take(meeting: Meeting, *, by: Any) -> ReportSnapshot:
    """Build the report at the data cut and store it on the meeting (replacing any
    earlier snapshot). Call inside the service's transaction."""
    org = meeting.committee.organisation
    rep = report.build(
        org,
        measures_for(meeting),
        committee=meeting.committee.measures_committee,
        until=meeting.data_cut,
    )
    rows = [
        {
            "measure_id": r.measure.pk,
            "code": r.measure.code,
            "name": r.measure.name,
            "unit": r.measure.unit,
            "decimals": r.measure.decimals,
            "domain": r.measure.get_domain_display(),
            "frequency": r.measure.frequency,
            "direction": r.measure.direction,
            "synthetic": r.measure.is_synthetic,
            "period": r.period.date().isoformat(),
            "value": _number(r.value),
            "target": _number(r.target),
            "mean": _number(r.mean),
            "lpl": _number(r.lpl),
            "upl": _number(r.upl),
            "variation": r.variation,
            "assurance": r.assurance,
            "priority": r.priority,
            "n_points": r.n_points,
            "short_baseline": r.short_baseline,
            "spark_line": r.spark_line,
            "spark_dot": list(r.spark_dot),
            "spark_dot_kind": r.spark_dot_kind,
            "corrections": list(r.corrections),
            "late": r.late,
            "chart_type": r.chart_type,
            "signal": r.signal,
        }
        for r in rep.rows
    ]
    ids = [r["measure_id"] for r in rows]
    points: dict[str, list[Any]] = {}
    icons: dict[str, list[Any]] = {}
    if rep.result is not None:
        points = _columns(rep.result.points, POINT_COLUMNS)
        icons = _columns(rep.result.icons, ICON_COLUMNS)
    notes: dict[str, list[list[str]]] = {}
    for measure_id, period, text in (
        Annotation.objects.filter(
            measure_id__in=ids,
            organisation=org,
            # The whole month of the cut (notes on a day, a week or an event in it).
            period__lt=(
                pd.Timestamp(meeting.data_cut) + pd.offsets.MonthBegin(1)
            ).date(),
        )
        .order_by("period", "created_at")
        .values_list("measure_id", "period", "text")
    ):
        notes.setdefault(str(measure_id), []).append([period.isoformat(), text])
    # Values corrected before the report is frozen are marked on its charts too.
    decimals = {r.measure.pk: r.measure.decimals for r in rep.rows}
    for measure_id, changes in corrections.by_measure(
        ids, org, until=meeting.data_cut
    ).items():
        for c in changes:
            if c.organisation_id == org.pk:
                notes.setdefault(str(measure_id), []).append(
                    [
                        c.period.isoformat(),
                        corrections.describe(c, decimals[measure_id]),
                    ]
                )
    grid = (
        _system_grid(meeting, [r.measure for r in rep.rows] + rep.measures_without_data)
        if org.is_system
        else {}
    )
    snapshot, _ = ReportSnapshot.objects.update_or_create(
        meeting=meeting,
        defaults={
            "taken_at": timezone.now(),
            "taken_by": by if getattr(by, "is_authenticated", False) else None,
            "data_cut": meeting.data_cut,
            "rows": rows,
            "points": points,
            "icons": icons,
            "notes": notes,
            "without_data": [m.name for m in rep.measures_without_data],
            "system_grid": grid,
        },
    )
    meeting.snapshot = snapshot  # so the caller's meeting reads the new report
    return snapshot


def _system_grid(meeting: Meeting, measures: list[Measure]) -> dict[str, Any]:
    """A system meeting's system report at the data cut, as JSON: the measures of
    the meeting's report across every organisation of the system. The meeting is
    the system's own, whose members' roles reach every organisation in it, so every
    cell is drawn whoever freezes it."""
    org = meeting.committee.organisation
    grid = system.build(
        org,
        measures,
        readable=system.everything(org, measures),
        until=meeting.data_cut,
    )
    return {
        "organisations": [
            {"name": o.name, "ods_code": o.ods_code} for o in grid.organisations
        ],
        "rows": [
            {
                "measure_id": r.measure.pk,
                "name": r.measure.name,
                "unit": r.measure.unit,
                "decimals": r.measure.decimals,
                "priority": r.priority,
                "cells": [
                    {
                        "state": c.state,
                        "period": c.period_label,
                        "value": _number(c.value),
                        "target": _number(c.target),
                        "variation": c.variation,
                        "assurance": c.assurance,
                        "signal": c.signal,
                    }
                    for c in r.cells
                ],
            }
            for r in grid.rows
        ],
    }


@dataclass
class FrozenRow:
    """One row of a frozen report, with the measure as it was described then."""

    measure_id: int
    code: str
    name: str
    unit: str
    decimals: int
    domain: str
    frequency: str
    direction: str
    synthetic: bool
    period: pd.Timestamp
    value: float
    target: float | None
    mean: float
    lpl: float
    upl: float
    variation: str
    assurance: str | None
    priority: int
    n_points: int
    short_baseline: bool
    spark_line: str
    spark_dot: tuple[float, float]
    spark_dot_kind: str
    # Values corrected before the report was frozen (sentences), and those corrected
    # since: the report keeps what it showed, and says that it has changed.
    corrections: list[str] = field(default_factory=list)
    since_corrected: list[str] = field(default_factory=list)
    late: str = ""  # as the live report says it, at the data cut
    chart_type: str = "xmr"
    signal: str = ""  # a run chart's signal in words

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> FrozenRow:
        data = dict(row)
        data.setdefault("corrections", [])  # reports frozen before corrections existed
        data.setdefault("late", "")  # ... or before lateness was recorded
        data.setdefault("chart_type", "xmr")  # ... or before every chart type
        data.setdefault("signal", "")
        data["since_corrected"] = []
        data["period"] = pd.Timestamp(data["period"])
        data["spark_dot"] = tuple(data["spark_dot"])
        for key in ("value", "mean", "lpl", "upl"):
            data[key] = float("nan") if data[key] is None else float(data[key])
        return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    @property
    def variation_text(self) -> str:
        return words.VARIATION.get(self.variation, self.signal)

    @property
    def variation_meaning(self) -> str:
        return words.VARIATION_MEANING.get(self.variation, "")

    @property
    def assurance_text(self) -> str:
        return words.ASSURANCE.get(self.assurance or "", words.NO_ASSURANCE)

    @property
    def assurance_meaning(self) -> str:
        return words.ASSURANCE_MEANING[self.assurance or ""]

    @property
    def period_label(self) -> str:
        return words.period(self.period, self.frequency)

    def fmt(self, x: float | None) -> str:
        return words.number(x, self.decimals)

    @property
    def group(self) -> str:
        return report.PRIORITY_LABELS[self.priority]


class FrozenReport:
    """A snapshot read back: rows, and the charts drawn from the stored tables."""

    def __init__(self, snapshot: ReportSnapshot) -> None:
        self.snapshot = snapshot
        self.rows = [FrozenRow.from_json(r) for r in snapshot.rows]
        self.by_measure = {r.measure_id: r for r in self.rows}
        self.without_data: list[str] = list(snapshot.without_data)
        self._result: ChartResult | None = None
        self._mark_corrected_since()

    def _mark_corrected_since(self) -> None:
        """Each row's values corrected or withdrawn after the report was frozen."""
        if not self.rows:
            return
        org = self.snapshot.meeting.committee.organisation
        since = corrections.by_measure(
            list(self.by_measure),
            org,
            until=self.snapshot.data_cut,
            after=self.snapshot.taken_at,
        )
        for measure_id, changes in since.items():
            row = self.by_measure[measure_id]
            row.since_corrected = [
                corrections.in_report(c, org, row.decimals) for c in changes
            ]

    @property
    def corrected_since_count(self) -> int:
        return sum(1 for r in self.rows if r.since_corrected)

    @property
    def concern_count(self) -> int:
        return sum(1 for r in self.rows if r.variation.startswith("concern"))

    @property
    def failing_count(self) -> int:
        return sum(1 for r in self.rows if r.assurance == "fail")

    @property
    def result(self) -> ChartResult | None:
        """Every frozen series' points and icons (of whatever chart type: the
        ``chart`` column says which)."""
        if self._result is None and self.snapshot.points:
            points = _frame(self.snapshot.points, POINT_COLUMNS)
            icons = _frame(self.snapshot.icons, ICON_COLUMNS)
            self._result = ChartResult(
                chart="xmr", points=points, summary=_NO_PHASES, icons=icons
            )
        return self._result

    def notes(self, measure_id: int) -> list[tuple[pd.Timestamp, str]]:
        return [
            (pd.Timestamp(p), text)
            for p, text in self.snapshot.notes.get(str(measure_id), [])
        ]

    def chart(
        self, measure: Measure, *, width: int = 800, height: int = 320
    ) -> dict[str, Any] | None:
        """The Vega-Lite spec of one measure's frozen chart (None if it has no data)."""
        result = self.result
        if result is None or measure.pk not in self.by_measure:
            return None
        one = _only(result, [measure.pk])
        chart_type = self.by_measure[measure.pk].chart_type
        one = ChartResult(
            chart=chart_type,
            points=one.points,
            summary=one.summary,
            # A run chart has no icons: it says its signal in words.
            icons=None if chart_type == "run" else one.icons,
        )
        return measure_chart.measure_chart(
            one,
            measure.pk,
            measure,
            notes=self.notes(measure.pk),
            width=width,
            height=height,
        )

    def charts(
        self, measures: Iterable[Measure], *, width: int = 640, height: int = 260
    ) -> dict[int, dict[str, Any]]:
        """Specs for many measures at once (for the board pack)."""
        return {
            m.pk: spec
            for m in measures
            if (spec := self.chart(m, width=width, height=height)) is not None
        }


# The phases' runs analysis is not frozen: each row keeps its signal in words.
_NO_PHASES = pd.DataFrame({"measure_id": pd.Series(dtype=np.int64), "phase": []})


def _only(result: ChartResult, ids: list[int]) -> ChartResult:
    keep_points = result.points["measure_id"].isin(ids).to_numpy()
    keep_icons = result.icons["measure_id"].isin(ids).to_numpy()
    return ChartResult(
        chart=result.chart,
        points=result.points[keep_points].reset_index(drop=True),
        summary=result.summary,
        icons=result.icons[keep_icons].reset_index(drop=True),
    )


def data_cut_label(day: dt.date) -> str:
    return f"{day:%B %Y}"
