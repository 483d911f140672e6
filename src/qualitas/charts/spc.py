"""Run charts, Shewhart and rare-event charts (``qualitas.spc.chart``) in the house style.

The same look as the XmR chart: grey points and line, centre line solid, control limits
dashed (stepped where they vary with the denominator), phases drawn separately, target in
red, annotations in blue. Signals follow the rules the result was computed with:

- qicharts2's rules (the default): a point beyond the three-sigma limits is a special
  cause, in purple because the chart does not know which way is better; a phase whose
  Anhøj runs analysis signals (an unusually long run, or too few crossings of the centre
  line) has its centre line dashed in purple, and the subtitle and tooltips say why;
- Making Data Count rules (``rules="mdc"``): points coloured as improvement, concern or
  neutral, and the variation and assurance icons beside the chart.

>>> import pandas as pd
>>> from qualitas.spc import chart
>>> data = pd.DataFrame({"week": range(1, 21), "falls": [3, 5, 2, 4, 6, 3, 4, 5, 3, 4] * 2})
>>> spec = spc_chart(chart(data, chart="run", value="falls", period="week"), title="Falls")
>>> spec["title"]["subtitle"][0]
'Run chart with the median. Latest: 4.00 (period 20).'
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import style, words
from qualitas.charts.common import (
    SCHEMA,
    annotation_layers,
    block_keys,
    block_starts,
    boundary_rules,
    check_format,
    default_format,
    find_series,
    icon_view,
    infer_period_format,
    is_missing,
    period_axis,
    period_strings,
    period_text,
    series_label,
    target_layer,
    to_number,
    value_axis,
    wrap_lines,
)
from qualitas.spc.chart import ChartResult

CHART_NAMES = {
    "run": "Run chart",
    "i": "I chart (individual values)",
    "mr": "MR chart (moving ranges)",
    "xbar": "X-bar chart (subgroup averages)",
    "s": "S chart (subgroup standard deviations)",
    "p": "P chart (proportions)",
    "pp": "P′ chart (Laney's P prime, proportions)",
    "u": "U chart (rates)",
    "up": "U′ chart (Laney's U prime, rates)",
    "c": "C chart (counts)",
    "g": "G chart (cases between rare events)",
    "t": "T chart (time between rare events)",
    "xmr": "XmR chart (Making Data Count)",
}
SIGNAL = "Special cause"  # qicharts2 rules: a signal with no better direction
SIGNAL_TEXT = "Special cause variation: a point beyond the control limits"
EXCLUDED_TEXT = "Left out of the calculations (excluded)"


def spc_chart(
    result: ChartResult,
    series: Hashable | None = None,
    *,
    title: str | None = None,
    y_title: str = "Value",
    value_format: str | None = None,
    annotations: Any = None,
    width: int = 640,
    height: int = 300,
    show_icons: bool = True,
) -> dict[str, Any]:
    """A Vega-Lite spec of one series of a ``qualitas.spc.chart`` result.

    ``series`` names the series as for :func:`qualitas.charts.xmr_chart`; the other
    options are the same too. Icons are drawn when the result was computed with
    Making Data Count rules.
    """
    points = result.points
    by = list(points.columns[: list(points.columns).index("period")])
    starts = block_starts(points, by)
    keys = block_keys(points, by, starts)
    i = find_series(keys, by, series)
    block = points.iloc[starts[i] : starts[i + 1]]
    summary = _phases_of(result.summary, by, keys[i])
    icon_row = None if result.icons is None else result.icons.iloc[i]
    name = (
        title if title is not None else ("Chart" if not by else series_label(keys[i]))
    )
    return _spec(
        result.chart,
        block,
        summary,
        icon_row,
        name=name,
        y_title=y_title,
        value_format=value_format,
        annotations=annotations,
        width=width,
        height=height,
        show_icons=show_icons,
    )


def _phases_of(summary: pd.DataFrame, by: list[str], key: Hashable) -> pd.DataFrame:
    if not by:
        return summary
    parts = key if isinstance(key, tuple) else (key,)
    mask = np.ones(len(summary), dtype=bool)
    for column, value in zip(by, parts, strict=True):
        mask &= (summary[column] == value).to_numpy(dtype=bool, na_value=False)
    return summary[mask]


def _spec(
    chart_type: str,
    points: pd.DataFrame,
    phases: pd.DataFrame,
    icon_row: pd.Series | None,
    *,
    name: str,
    y_title: str,
    value_format: str | None,
    annotations: Any,
    width: int,
    height: int,
    show_icons: bool,
) -> dict[str, Any]:
    if value_format is None:
        value_format = default_format(points["value"], points["cl"])
    else:
        check_format(value_format)
    temporal = pd.api.types.is_datetime64_any_dtype(points["period"].dtype)
    period_format = infer_period_format(points["period"]) if temporal else "d"
    mdc_rules = "point_type" in points.columns
    run_chart = chart_type == "run"
    centre = "Median" if run_chart else "Centre line"
    rows = _rows(points, phases, temporal, period_format, mdc_rules, centre)
    x = period_axis(temporal, period_format)
    y = value_axis(value_format, y_title)

    targets = points["target"].dropna()
    target = float(targets.iloc[-1]) if len(targets) else None
    has_limits = bool(
        np.isfinite(points["ucl"].to_numpy(dtype=np.float64)).any()
        or np.isfinite(points["lcl"].to_numpy(dtype=np.float64)).any()
    )
    layers: list[dict[str, Any]] = []
    if has_limits:
        layers += [
            _line(
                "ucl",
                "Upper control limit",
                x,
                y,
                value_format,
                colour=style.LIMIT,
                dash=style.LIMIT_DASH,
                step=True,
            ),
            _line(
                "lcl",
                "Lower control limit",
                x,
                y,
                value_format,
                colour=style.LIMIT,
                dash=style.LIMIT_DASH,
                step=True,
            ),
        ]
    layers += [
        _centre_layer(x, y, value_format, centre),
        *_phase_layers(rows, x),
        *([target_layer(target, value_format)] if target is not None else []),
        *annotation_layers(annotations, points, temporal, period_format, x),
        {
            "mark": {"type": "line", "color": style.LINE, "strokeWidth": 1.5},
            "encoding": {"x": x, "y": {**y, "field": "value"}},
        },
        _point_layer(rows, x, y, value_format, centre, has_limits),
    ]
    chart: dict[str, Any] = {
        "width": width,
        "height": height,
        "data": {"values": rows},
        "layer": layers,
    }

    latest_row = points.iloc[-1]
    latest = f"{CHART_NAMES[chart_type]}{' with the median' if run_chart else ''}. Latest: {words.format_value(latest_row['value'], value_format)} ({period_text(latest_row['period'], temporal, period_format)})"
    if target is not None:
        latest += f"; target {words.format_value(target, value_format)}"
    subtitle = [latest + ".", _runs_text(phases.iloc[-1]) if len(phases) else ""]
    subtitle = [s for s in subtitle if s]
    variation = assurance = None
    direction = "increase"
    if icon_row is not None:
        direction = str(icon_row["direction"])
        variation = str(icon_row["variation"])
        assurance = (
            None if is_missing(icon_row["assurance"]) else str(icon_row["assurance"])
        )
        subtitle.append(words.variation_text(variation) + ".")
        if target is not None or direction == "neutral":
            subtitle.append(words.assurance_text(assurance, direction) + ".")
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "description": f"{CHART_NAMES[chart_type]} of {name}. " + " ".join(subtitle),
        "title": {"text": name, "subtitle": wrap_lines(subtitle)},
        "config": style.config(),
        "spacing": 12,
    }
    if icon_row is not None and show_icons and variation is not None:
        spec["hconcat"] = [chart, icon_view(variation, assurance, direction, height)]
    else:
        spec["hconcat"] = [chart]
    return spec


def _runs_text(phase: pd.Series) -> str:
    """What the Anhøj runs analysis of a phase says, in plain words."""
    if is_missing(phase.get("longest_run")):
        return "Runs analysis: too few useful points to look for runs."
    run, run_max = int(phase["longest_run"]), int(phase["longest_run_max"])
    crossings, crossings_min = int(phase["n_crossings"]), int(phase["n_crossings_min"])
    reasons = []
    if run > run_max:
        reasons.append(
            f"an unusually long run of {run} points on one side of the centre line (more than {run_max})"
        )
    if crossings < crossings_min:
        reasons.append(
            f"too few crossings of the centre line ({crossings}, fewer than {crossings_min})"
        )
    if reasons:
        return "Runs analysis: non-random variation, " + " and ".join(reasons) + "."
    return f"Runs analysis: no sign of non-random variation (longest run {run}, at most {run_max}; {crossings} crossings, at least {crossings_min})."


def _rows(
    points: pd.DataFrame,
    phases: pd.DataFrame,
    temporal: bool,
    period_format: str,
    mdc_rules: bool,
    centre: str,
) -> list[dict[str, Any]]:
    period_values, labels = period_strings(points["period"], temporal, period_format)
    sigma = points["sigma_signal"].to_numpy(dtype=bool).tolist()
    include = points["include"].to_numpy(dtype=bool).tolist()
    runs_signal = points["runs_signal"].to_numpy(dtype=bool).tolist()
    phase_keys = points["phase"].tolist()
    phase_labels = [str(p) for p in phase_keys]
    runs_words = {str(p["phase"]): _runs_text(p) for _, p in phases.iterrows()}
    numbers = {
        c: [to_number(v) for v in points[c].to_numpy(dtype=np.float64)]
        for c in ("value", "cl", "lcl", "ucl", "denominator", "total")
    }
    if mdc_rules:
        causes = points["special_cause"].astype(str).tolist()
        types = points["point_type"].astype(str).tolist()
    rows = []
    for i in range(len(points)):
        if mdc_rules:
            kind = style.POINT_LABEL[types[i]]
            signal = words.signal_text(causes[i], types[i])
        elif sigma[i]:
            kind, signal = SIGNAL, SIGNAL_TEXT
        else:
            kind, signal = "Common cause", "Common cause variation"
        rows.append(
            {
                "period": period_values[i],
                "period_label": labels[i],
                "phase": phase_labels[i],
                "value": numbers["value"][i],
                "cl": numbers["cl"][i],
                "lcl": numbers["lcl"][i],
                "ucl": numbers["ucl"][i],
                "numerator": numbers["total"][i],
                "denominator": numbers["denominator"][i],
                "point": kind if include[i] else "Excluded",
                "signal": signal if include[i] else EXCLUDED_TEXT,
                "runs": runs_words.get(phase_labels[i], ""),
                "runs_signal": runs_signal[i],
            }
        )
    return rows


def _line(
    field: str,
    title: str,
    x: dict,
    y: dict,
    value_format: str,
    *,
    colour: str,
    dash: list[int] | None = None,
    step: bool = False,
) -> dict[str, Any]:
    mark: dict[str, Any] = {"type": "line", "color": colour, "strokeWidth": 1.5}
    if dash:
        mark["strokeDash"] = dash
    if step:
        # Limits that vary with the denominator are drawn as steps, one per point.
        mark["interpolate"] = "step"
    return {
        "mark": mark,
        "encoding": {
            "x": x,
            "y": {**y, "field": field},
            "detail": {"field": "phase", "type": "nominal"},
            "tooltip": [
                {
                    "field": field,
                    "type": "quantitative",
                    "title": title,
                    "format": value_format,
                }
            ],
        },
    }


def _centre_layer(x: dict, y: dict, value_format: str, centre: str) -> dict[str, Any]:
    """The centre line (median on a run chart), per phase; dashed and purple in a phase
    whose runs analysis signals."""
    return {
        "mark": {"type": "line", "strokeWidth": 1.5},
        "encoding": {
            "x": x,
            "y": {**y, "field": "cl"},
            "detail": {"field": "phase", "type": "nominal"},
            "color": {
                "condition": {"test": "datum.runs_signal", "value": style.NEUTRAL},
                "value": style.MEAN,
            },
            "strokeDash": {
                "condition": {"test": "datum.runs_signal", "value": [8, 4]},
                "value": [1, 0],
            },
            "tooltip": [
                {
                    "field": "cl",
                    "type": "quantitative",
                    "title": centre,
                    "format": value_format,
                },
                {"field": "runs", "type": "nominal", "title": "Runs analysis"},
            ],
        },
    }


def _phase_layers(rows: list[dict[str, Any]], x: dict) -> list[dict[str, Any]]:
    starts = [
        i for i in range(1, len(rows)) if rows[i]["phase"] != rows[i - 1]["phase"]
    ]
    if not starts:
        return []
    marks = [
        {
            "period": rows[i]["period"],
            "label": _phase_label(rows[i]["phase"]),
            "note": f"New phase from {rows[i]['period_label']}: limits recalculated",
        }
        for i in starts
    ]
    first = {
        "period": rows[0]["period"],
        "label": _phase_label(rows[0]["phase"]),
        "note": "",
    }
    return [
        boundary_rules(marks, x, title="Phase"),
        {
            "data": {"values": [first, *marks]},
            "mark": {
                "type": "text",
                "color": style.SECONDARY_TEXT,
                "align": "left",
                "baseline": "bottom",
                "dx": 3,
                "fontSize": 10,
            },
            "encoding": {"x": x, "y": {"value": "height"}, "text": {"field": "label"}},
        },
    ]


def _phase_label(phase: str) -> str:
    """Numbered phases read "Phase 2"; named phases ("After the new pathway") read as named."""
    return f"Phase {phase}" if phase.isdigit() else phase


def _point_layer(
    rows: list[dict[str, Any]],
    x: dict,
    y: dict,
    value_format: str,
    centre: str,
    has_limits: bool,
) -> dict[str, Any]:
    colours = {**style.POINT_COLOUR, SIGNAL: style.NEUTRAL, "Excluded": "#ffffff"}
    present = {r["point"] for r in rows}
    order = [label for label in colours if label in present]
    tooltip: list[dict[str, Any]] = [
        {"field": "period_label", "type": "nominal", "title": "Period"},
        {
            "field": "value",
            "type": "quantitative",
            "title": "Value",
            "format": value_format,
        },
        {"field": "signal", "type": "nominal", "title": "What it shows"},
        {
            "field": "cl",
            "type": "quantitative",
            "title": centre,
            "format": value_format,
        },
    ]
    if has_limits:
        tooltip += [
            {
                "field": "lcl",
                "type": "quantitative",
                "title": "Lower control limit",
                "format": value_format,
            },
            {
                "field": "ucl",
                "type": "quantitative",
                "title": "Upper control limit",
                "format": value_format,
            },
        ]
    if any(r["denominator"] is not None for r in rows):
        tooltip += [
            {
                "field": "numerator",
                "type": "quantitative",
                "title": "Numerator",
                "format": ",~f",
            },
            {
                "field": "denominator",
                "type": "quantitative",
                "title": "Denominator",
                "format": ",~f",
            },
        ]
    tooltip.append({"field": "runs", "type": "nominal", "title": "Runs analysis"})
    return {
        "mark": {"type": "circle", "size": 55, "opacity": 1, "strokeWidth": 1.2},
        "encoding": {
            "x": x,
            "y": {**y, "field": "value"},
            "color": {
                "field": "point",
                "type": "nominal",
                "scale": {"domain": order, "range": [colours[k] for k in order]},
                "legend": {
                    "title": None,
                    "orient": "bottom",
                    "direction": "horizontal",
                    # Outlines, so the white symbol of excluded points shows.
                    "symbolStrokeColor": style.LINE,
                    "symbolStrokeWidth": 0.6,
                },
            },
            "stroke": {
                "condition": {
                    "test": "datum.point === 'Excluded'",
                    "value": style.LINE,
                },
                "value": "#ffffff",
            },
            "tooltip": tooltip,
        },
    }
