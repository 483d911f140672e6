"""PDSA cycles on SPC charts, with no one annotating by hand.

:func:`add_cycles` lays every cycle over a measure chart as a shaded band from the day
its test started to the day it ended (or is planned to end), with its number on top and
its question, prediction and decision in the tooltip. The measure page calls
:func:`annotate_measure_chart`; the project and cycle pages build their charts with
:func:`measure_chart`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
from django.db.models import Q
from django.utils import timezone

from qualitas.web.accounts.permissions import Permission
from qualitas.web.authorization import has_permission
from qualitas.web.measures import chart as measure_chart_spec
from qualitas.web.measures import engine, series
from qualitas.web.measures.models import Annotation, Rebase
from qualitas.web.projects.models import PDSACycle, ProjectMeasure

CYCLE_COLOUR = "#007f73"  # NHS aqua green, darkened for text contrast
NO_DATA_YET = "No data yet since this cycle started"
DECISION_WORDS = {"adopt": "Adopted", "adapt": "Adapted", "abandon": "Abandoned"}


def cycle_rows(
    cycles: list[PDSACycle], highlight: int | None = None
) -> list[dict[str, Any]]:
    rows = []
    for c in cycles:
        start, end = c.dates()
        idea = c.change_idea
        rows.append(
            {
                "start": start.isoformat(),
                # A band of at least a day, so a one-day test still shows.
                "end": max(end, start + dt.timedelta(days=1)).isoformat(),
                "label": f"{idea.position}.{c.number}",
                "cycle": f"{idea.project.title}: {idea.title}, cycle {c.number}: {c.title}",
                "dates": f"{start:%d %b %Y} to {end:%d %b %Y}"
                + (" (planned)" if c.stage == PDSACycle.Stage.PLAN else ""),
                "prediction": c.prediction or "(not written yet)",
                "result": c.get_outcome_display() if c.outcome else "Not studied yet",
                "decision": DECISION_WORDS.get(c.decision, c.get_stage_display()),
                "highlight": c.pk == highlight,
            }
        )
    return rows


def _stamp(day: dt.date) -> str:
    # The same form as the chart's own periods: Vega reads a bare date as UTC midnight
    # but this form as local time, and the two must line up.
    return f"{day.isoformat()}T00:00:00"


LABEL_PIXELS = 30  # room for one cycle number at the foot of the chart
LABEL_ROWS = 4


def _data_span(chart: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
    periods = [
        str(v["period"])[:10]
        for v in chart.get("data", {}).get("values", [])
        if v.get("period")
    ]
    if not periods:
        return None
    return dt.date.fromisoformat(min(periods)), dt.date.fromisoformat(max(periods))


def _data_end(chart: dict[str, Any]) -> dt.date:
    """The day after the latest period ends: the latest period plus the gap before
    it (a week for weekly data, a month for monthly), so a cycle that started within
    the latest period has data."""
    days = sorted(
        {
            dt.date.fromisoformat(str(v["period"])[:10])
            for v in chart.get("data", {}).get("values", [])
            if v.get("period")
        }
    )
    if not days:
        return dt.date.min
    step = days[-1] - days[-2] if len(days) > 1 else dt.timedelta(days=1)
    return days[-1] + step


def _stagger(rows: list[dict[str, Any]], chart: dict[str, Any], width: float) -> None:
    """Give each cycle's label a row, so labels of cycles close in time do not overlap."""
    days = [dt.date.fromisoformat(r["start"][:10]) for r in rows]
    lo, hi = _data_span(chart) or (min(days), max(days))
    per_pixel = max((hi - lo).days, 1) / max(width, 1.0)
    gap = LABEL_PIXELS * per_pixel
    last: list[dt.date | None] = [None] * LABEL_ROWS
    for row, day in sorted(zip(rows, days, strict=True), key=lambda rd: rd[1]):
        free = [i for i, d in enumerate(last) if d is None or (day - d).days >= gap]
        i = free[0] if free else min(range(LABEL_ROWS), key=lambda k: last[k] or day)
        row["label_row"] = i
        last[i] = day


def add_cycles(
    spec: dict[str, Any], cycles: list[PDSACycle], highlight: int | None = None
) -> dict[str, Any]:
    """The spec with every cycle drawn on it (the spec is changed and returned)."""
    if not cycles:
        return spec
    chart = spec["hconcat"][0] if "hconcat" in spec else spec
    base_x = next(
        layer["encoding"]["x"]
        for layer in chart["layer"]
        if "encoding" in layer and "x" in layer["encoding"]
    )
    if base_x.get("type") != "temporal":
        return spec  # a chart over numbered points has no dates to mark cycles on
    x = {**base_x, "field": "start"}
    rows = cycle_rows(cycles, highlight)
    span = _data_span(chart)
    waiting: list[str] = []
    if span is not None:
        # Cycles within the chart's dates, cut to them; the chart runs on to today so
        # that a test under way shows even before any data have come in for it.
        today = timezone.localdate()
        data_end = _data_end(chart)
        lo, hi = span[0], max(span[1] + dt.timedelta(days=31), today)
        kept = []
        for row in rows:
            start, end = (dt.date.fromisoformat(row[k]) for k in ("start", "end"))
            if end < lo or start > hi:
                continue
            row["start"] = max(start, lo).isoformat()
            row["end"] = min(end, hi + dt.timedelta(days=1)).isoformat()
            row["waiting"] = start >= data_end
            if row["waiting"]:
                row["result"] = NO_DATA_YET
                waiting.append(row["label"])
            kept.append(row)
        rows = kept
        if not rows:
            return spec
    for row in rows:
        row["start"] = _stamp(dt.date.fromisoformat(row["start"]))
        row["end"] = _stamp(dt.date.fromisoformat(row["end"]))
    tooltip = [
        {"field": "cycle", "type": "nominal", "title": "PDSA cycle"},
        {"field": "dates", "type": "nominal", "title": "Dates"},
        {"field": "prediction", "type": "nominal", "title": "Prediction"},
        {"field": "result", "type": "nominal", "title": "Result"},
        {"field": "decision", "type": "nominal", "title": "Decision"},
    ]
    data = {"values": rows}
    bands = {
        "data": data,
        "layer": [
            {
                "mark": {"type": "rect", "color": CYCLE_COLOUR},
                "encoding": {
                    "x": x,
                    "x2": {"field": "end"},
                    "opacity": {
                        "condition": {"test": "datum.highlight", "value": 0.3},
                        "value": 0.12,
                    },
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {
                    "type": "rule",
                    "color": CYCLE_COLOUR,
                    "strokeDash": [3, 3],
                    "strokeWidth": 1.2,
                },
                "encoding": {"x": x, "tooltip": tooltip},
            },
        ],
    }
    height = chart.get("height", 300)
    _stagger(rows, chart, width=float(chart.get("width", 640)))
    labels = {
        "data": data,
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "bottom",
            "dx": 3,
            "fontSize": 11,
            "fontWeight": "bold",
            "color": CYCLE_COLOUR,
        },
        # Along the foot of the plot (notes use its top edge), in rows so that cycles
        # close together keep readable numbers.
        "encoding": {
            "x": x,
            "y": {
                "field": "label_y",
                "type": "quantitative",
                "scale": None,
            },
            "text": {"field": "label"},
            "tooltip": tooltip,
        },
    }
    for row in rows:
        row["label_y"] = height - 3 - 13 * row.pop("label_row")
    extra = []
    if waiting:
        extra.append(
            {
                "data": data,
                "transform": [{"filter": "datum.waiting"}],
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "dx": 3,
                    "dy": 4,
                    "fontSize": 11,
                    "color": CYCLE_COLOUR,
                },
                "encoding": {
                    "x": x,
                    "y": {"value": 16},
                    "text": {"value": NO_DATA_YET},
                    "tooltip": tooltip,
                },
            }
        )
    chart["layer"] = [bands, *chart["layer"], labels, *extra]
    n = len(rows)
    spec["description"] = (
        spec.get("description", "")
        + f" {n} PDSA cycle{'s are' if n != 1 else ' is'} marked as shaded bands."
    )
    if waiting:
        spec["description"] += (
            f" {NO_DATA_YET} (cycle{'s' if len(waiting) > 1 else ''} "
            f"{', '.join(waiting)})."
        )
    # For the page to say it in words beside the chart.
    spec.setdefault("usermeta", {})["waiting_cycles"] = waiting
    return spec


def cycles_for_links(links: list[ProjectMeasure]) -> list[PDSACycle]:
    project_ids = {link.project_id for link in links}
    return list(
        PDSACycle.objects.filter(change_idea__project_id__in=project_ids)
        .select_related("change_idea__project")
        .order_by("started_on", "planned_start", "pk")
    )


def links_on_chart(user: Any, measure, organisation, unit=None) -> list[ProjectMeasure]:
    """The links of projects the user may see in full that follow this chart."""
    from qualitas.web.authorization import visible_project_filter

    qs = ProjectMeasure.objects.filter(
        measure=measure, organisation=organisation
    ).filter(visible_project_filter(user, prefix="project__"))
    if unit is not None:
        qs = qs.filter(Q(unit=unit) | Q(unit__isnull=True, project__unit=unit))
    links = list(qs.select_related("project", "project__organisation", "project__unit"))
    return [
        link
        for link in links
        if has_permission(user, Permission.VIEW_PROJECT_WORK, link.project)
    ]


def annotate_measure_chart(
    spec: dict[str, Any], user: Any, measure, organisation, unit=None
) -> tuple[dict[str, Any], list[ProjectMeasure], list[PDSACycle]]:
    """For the measure page: the chart with the started cycles of every project that
    follows it, and those projects' links and cycles for the page to list."""
    links = links_on_chart(user, measure, organisation, unit)
    cycles = [c for c in cycles_for_links(links) if c.stage != PDSACycle.Stage.PLAN]
    return add_cycles(spec, cycles), links, cycles


def link_series(link: ProjectMeasure) -> pd.DataFrame:
    """measure_id, period, value of the chart a project link follows (the ward's
    own figures when the link names a unit)."""
    frame = series.organisation_series(
        [link.measure], link.organisation, unit_id=link.unit_id
    )
    return frame.dropna(subset=["value"])


def points_on_chart(link: ProjectMeasure) -> int:
    """How many periods the link's chart has a value for."""
    return int(link_series(link)["period"].nunique())


def _window_mask(periods: pd.Series, window: tuple[dt.date, dt.date]) -> pd.Series:
    lo, hi = (pd.Timestamp(d) for d in window)
    keep = (periods >= lo) & (periods <= hi)
    if not keep.any():
        # A cycle under way long after the latest data: show the latest points,
        # and the chart runs on to the cycle (add_cycles) with no data in it.
        lo = min(lo, periods.nlargest(12).min())
        keep = (periods >= lo) & (periods <= hi)
    return keep


def _in_window(
    cycles: list[PDSACycle], notes: list[tuple[pd.Timestamp, str]], lo, hi
) -> tuple[list[PDSACycle], list[tuple[pd.Timestamp, str]]]:
    return (
        [
            c
            for c in cycles
            if pd.Timestamp(c.dates()[1]) >= lo and pd.Timestamp(c.dates()[0]) <= hi
        ],
        [(p, text) for p, text in notes if lo <= p <= hi],
    )


def drawn_measure(link: ProjectMeasure):
    """The link's measure as the project's pages draw it: a copy whose chart type is
    the link's (its run chart, or its control chart once the team has moved it)."""
    drawn = copy.copy(link.measure)
    drawn.chart_type = link.chart_type
    return drawn


def measure_chart(
    link: ProjectMeasure,
    cycles: list[PDSACycle],
    *,
    highlight: int | None = None,
    window: tuple[dt.date, dt.date] | None = None,
    height: int = 280,
) -> dict[str, Any] | None:
    """The chart of one project measure with the project's cycles on it: its run
    chart until the team moves it to its control chart (of the measure's own chart
    type), at whatever frequency its data come. Limited to ``window`` (the median
    and limits still come from the whole series). ``usermeta.signal`` says what the
    chart shows in words."""
    measure, org = link.measure, link.organisation
    frame = link_series(link)
    if frame.empty:
        return None
    drawn = drawn_measure(link)
    part = None
    if link.unit_id is None and drawn.chart_type != "run":
        periods = [
            pd.Timestamp(p)
            for p in Rebase.objects.filter(
                measure=measure, organisation=org
            ).values_list("period", flat=True)
        ]
        part = {measure.pk: periods} if periods else None
    steps = series.target_steps([measure], org)
    latest = frame.groupby("measure_id")["period"].max()
    drawn_charts = engine.run_charts(
        frame,
        by="measure_id",
        measures={measure.pk: drawn},
        target=series.target_at(steps, latest),
        part=part,
    )
    if drawn_charts is None:
        return None
    result = drawn_charts.result_for(measure.pk)
    signal = str(drawn_charts.icons.iloc[0]["signal"])
    notes = [
        (pd.Timestamp(n.period), n.text)
        for n in Annotation.objects.filter(measure=measure, organisation=org)
    ]
    if window is not None:
        keep = _window_mask(result.points["period"], window)
        if not keep.any():
            return None
        lo, hi = result.points.loc[keep, "period"].min(), pd.Timestamp(window[1])
        result = dataclasses.replace(
            result, points=result.points[keep].reset_index(drop=True)
        )
        cycles, notes = _in_window(cycles, notes, lo, hi)
    spec = measure_chart_spec.measure_chart(
        result,
        measure.pk,
        drawn,
        # A trajectory is drawn against the icons of a control chart.
        steps=steps[steps["measure_id"] == measure.pk]
        if not steps.empty and drawn.chart_type != "run"
        else None,
        notes=notes,
        height=height,
    )
    spec.setdefault("usermeta", {})["signal"] = signal
    return add_cycles(spec, cycles, highlight)
