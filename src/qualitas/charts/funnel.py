"""Funnel plots (``qualitas.spc.funnel``) in the house style.

Each unit is a point at its denominator and ratio; the limits in force (allowing for
overdispersion when the funnel does) fan out around the target: 95% limits dashed light,
99.8% limits dashed dark. Units inside the limits are grey; outliers are blue
(better) or orange (worse) when a better direction is given, purple otherwise, and
carry their names. One chosen unit can be highlighted: larger, outlined and labelled,
wherever it falls.

>>> import pandas as pd
>>> from qualitas.spc import funnel
>>> data = pd.DataFrame({
...     "trust": [f"T{i:02d}" for i in range(12)],
...     "deaths": [30, 45, 28, 52, 41, 39, 61, 25, 47, 33, 90, 36],
...     "expected": [32.1, 44.8, 30.5, 49.9, 40.2, 41.7, 58.3, 27.4, 45.0, 35.6, 50.2, 37.1],
... })
>>> spec = funnel_chart(funnel(data, numerator="deaths", denominator="expected", group="trust"),
...                     title="Mortality", highlight="T03", direction="decrease")
>>> [r["name"] for r in spec["data"]["values"] if r["label"]]
['T03', 'T10']
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import style, words
from qualitas.charts.common import (
    SCHEMA,
    check_format,
    default_format,
    to_number,
    wrap_lines,
)
from qualitas.errors import QualitasError
from qualitas.spc import FunnelResult

WITHIN = "Within the limits"
LIMIT_LABELS = {"95": "95% limits", "998": "99.8% limits"}
DATA_TYPE_TEXT = {
    "SR": "Standardised ratio (observed / expected)",
    "PR": "Proportion",
    "RC": "Ratio of counts",
    "MEAN": "Mean outcome",
}


def funnel_chart(
    result: FunnelResult,
    *,
    title: str | None = None,
    highlight: Hashable | None = None,
    direction: str | None = None,
    label_outliers: bool = True,
    max_labels: int = 12,
    y_title: str | None = None,
    x_title: str | None = None,
    value_format: str | None = None,
    width: int = 640,
    height: int = 400,
) -> dict[str, Any]:
    """A Vega-Lite spec of a funnel plot.

    ``highlight`` names a unit to pick out (its value in the ``group`` column).
    ``direction`` says which way is better (``"increase"`` or ``"decrease"``), so
    outliers are coloured as improvement or concern; without it they are purple.
    ``label_outliers`` names outliers beside their points: the ``max_labels`` furthest
    from the target (by z-score), so a funnel with many outliers stays readable; every
    unit's name is in its tooltip.
    """
    if direction not in (None, "increase", "decrease", "neutral"):
        raise QualitasError(
            f"direction must be 'increase', 'decrease' or 'neutral', not {direction!r}"
        )
    request = result.request
    summary = result.summary
    units = result.units
    group = request.group
    names = units[group].astype(str).tolist()
    if highlight is not None and str(highlight) not in names:
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        raise QualitasError(
            f"there is no unit {highlight!r} to highlight; units include {shown}"
        )
    if value_format is None:
        value_format = default_format(units["ratio"])
    else:
        check_format(value_format)
    level = "998" if summary.limit == 99 else "95"

    rows = _unit_rows(
        units, names, highlight, direction, label_outliers, max_labels, level
    )
    lines = _limit_rows(result)
    target = float(summary.target)
    target_label = _target_label(request, target, value_format)

    ratio = units["ratio"].to_numpy(dtype=np.float64)
    finite = ratio[np.isfinite(ratio)]
    low, high = (
        (float(finite.min()), float(finite.max())) if len(finite) else (target, target)
    )
    low, high = min(low, target), max(high, target)
    pad = (high - low) * 0.12 or abs(target) * 0.1 or 1.0
    y_domain = [low - pad, high + pad]
    if request.data_type == "PR":
        top = 1.0 * request.multiplier
        y_domain = [max(y_domain[0], 0.0), min(y_domain[1], top)]
    elif y_domain[0] < 0 <= low:
        y_domain[0] = 0.0
    max_x = (
        float(np.nanmax(units["denominator"].to_numpy(dtype=np.float64)))
        if len(units)
        else 1.0
    )
    x = {
        "field": "denominator",
        "type": "quantitative",
        "title": x_title or _x_title(request.data_type),
        "scale": {"domain": [0, max_x * 1.05], "nice": False},
        "axis": {"format": ",~r", "grid": False},
    }
    y = {
        "type": "quantitative",
        "title": y_title or _y_title(request.data_type, request.multiplier),
        "scale": {"domain": y_domain, "nice": False, "zero": False},
        "axis": {"format": value_format, "tickCount": 6},
    }
    colours = _colours(direction)
    present = {r["status"] for r in rows}
    order = [k for k in colours if k in present]
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": lines},
            "mark": {"type": "line", "clip": True, "strokeWidth": 1.3},
            "encoding": {
                "x": x,
                "y": {**y, "field": "limit"},
                "detail": {"field": "line", "type": "nominal"},
                "color": {
                    "field": "level",
                    "type": "nominal",
                    "scale": {
                        "domain": list(LIMIT_LABELS.values()),
                        "range": ["#aeb7bd", style.LIMIT],
                    },
                    "legend": {
                        "title": None,
                        "orient": "bottom",
                        "symbolType": "stroke",
                        "symbolStrokeWidth": 2,
                    },
                },
                "strokeDash": {
                    "field": "level",
                    "type": "nominal",
                    "scale": {
                        "domain": list(LIMIT_LABELS.values()),
                        "range": [[3, 3], style.LIMIT_DASH],
                    },
                    "legend": None,
                },
                "tooltip": [
                    {"field": "level", "type": "nominal", "title": "Limits"},
                    {
                        "field": "denominator",
                        "type": "quantitative",
                        "title": "Denominator",
                        "format": ",~f",
                    },
                    {
                        "field": "limit",
                        "type": "quantitative",
                        "title": "Limit",
                        "format": value_format,
                    },
                ],
            },
        },
        {
            "data": {"values": [{"target": target, "label": target_label}]},
            "layer": [
                {
                    "mark": {
                        "type": "rule",
                        "color": style.TARGET
                        if request.target is not None
                        else style.MEAN,
                        "strokeWidth": 1.3,
                    },
                    "encoding": {
                        "y": {**y, "field": "target"},
                        "tooltip": {"field": "label", "type": "nominal"},
                    },
                },
                {
                    "mark": {
                        "type": "text",
                        "align": "right",
                        "baseline": "bottom",
                        "dy": -3,
                        "fontSize": 11,
                        "color": style.TARGET
                        if request.target is not None
                        else style.MEAN,
                    },
                    "encoding": {
                        "x": {"value": "width"},
                        "y": {**y, "field": "target"},
                        "text": {"field": "label"},
                    },
                },
            ],
        },
        {
            "mark": {"type": "circle", "opacity": 0.9},
            "encoding": {
                "x": x,
                "y": {**y, "field": "ratio"},
                "color": {
                    "field": "status",
                    "type": "nominal",
                    "scale": {"domain": order, "range": [colours[k] for k in order]},
                    "legend": {"title": None, "orient": "bottom"},
                },
                "size": {
                    "condition": {"test": "datum.highlight", "value": 150},
                    "value": 50,
                },
                "stroke": {
                    "condition": {"test": "datum.highlight", "value": style.TEXT},
                    "value": "#ffffff",
                },
                "strokeWidth": {
                    "condition": {"test": "datum.highlight", "value": 2},
                    "value": 0.5,
                },
                "order": {"field": "highlight", "type": "quantitative"},
                "tooltip": [
                    {"field": "name", "type": "nominal", "title": "Unit"},
                    {
                        "field": "ratio",
                        "type": "quantitative",
                        "title": "Value",
                        "format": value_format,
                    },
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
                    {
                        "field": "z",
                        "type": "quantitative",
                        "title": "z-score (allowing for overdispersion)",
                        "format": ".2f",
                    },
                    {"field": "position", "type": "nominal", "title": "Position"},
                ],
            },
        },
        {
            "transform": [{"filter": "datum.label"}],
            "mark": {
                "type": "text",
                "align": "left",
                "dx": 7,
                "dy": -6,
                "fontSize": 11,
                "color": style.TEXT,
            },
            "encoding": {
                "x": x,
                "y": {**y, "field": "ratio"},
                "text": {"field": "name"},
                "fontWeight": {
                    "condition": {"test": "datum.highlight", "value": "bold"},
                    "value": "normal",
                },
            },
        },
    ]
    subtitle = wrap_lines(_subtitle(summary, names, units, highlight, value_format))
    name = title or "Funnel plot"
    return {
        "$schema": SCHEMA,
        "description": f"Funnel plot: {name}. " + " ".join(subtitle),
        "title": {"text": name, "subtitle": subtitle},
        "config": style.config(),
        "width": width,
        "height": height,
        "data": {"values": rows},
        "layer": layers,
        "resolve": {
            "scale": {"color": "independent"},
            "legend": {"color": "independent"},
        },
    }


def _colours(direction: str | None) -> dict[str, str]:
    if direction in ("increase", "decrease"):
        return {
            WITHIN: style.COMMON_CAUSE,
            "Better than expected": style.IMPROVEMENT,
            "Worse than expected": style.CONCERN,
        }
    return {
        WITHIN: style.COMMON_CAUSE,
        "Above the limits": style.NEUTRAL,
        "Below the limits": style.NEUTRAL,
    }


def _unit_rows(
    units: pd.DataFrame,
    names: list[str],
    highlight: Hashable | None,
    direction: str | None,
    label_outliers: bool,
    max_labels: int,
    level: str,
) -> list[dict[str, Any]]:
    high = units["outlier_high"].to_numpy(dtype=bool)
    low = units["outlier_low"].to_numpy(dtype=bool)
    # Label the outliers furthest from the target first.
    z = np.abs(np.nan_to_num(units["z_adjusted"].to_numpy(dtype=np.float64)))
    outlying = np.flatnonzero(high | low)
    labelled = np.zeros(len(units), dtype=bool)
    if label_outliers:
        labelled[outlying[np.argsort(-z[outlying], kind="stable")[:max_labels]]] = True
    numbers = {
        c: [to_number(v) for v in units[c].to_numpy(dtype=np.float64)]
        for c in ("ratio", "numerator", "denominator", "z_adjusted")
    }
    limit_text = "99.8%" if level == "998" else "95%"
    rows = []
    for i, name in enumerate(names):
        if direction in ("increase", "decrease"):
            better = (high[i] and direction == "increase") or (
                low[i] and direction == "decrease"
            )
            status = (
                WITHIN
                if not (high[i] or low[i])
                else ("Better than expected" if better else "Worse than expected")
            )
        else:
            status = (
                "Above the limits"
                if high[i]
                else ("Below the limits" if low[i] else WITHIN)
            )
        if high[i]:
            position = f"Outlier: above the upper {limit_text} limit"
        elif low[i]:
            position = f"Outlier: below the lower {limit_text} limit"
        else:
            position = f"Within the {limit_text} limits: the difference from the target could be chance"
        chosen = highlight is not None and name == str(highlight)
        rows.append(
            {
                "name": name,
                "ratio": numbers["ratio"][i],
                "numerator": numbers["numerator"][i],
                "denominator": numbers["denominator"][i],
                "z": numbers["z_adjusted"][i],
                "status": status,
                "position": position,
                "highlight": 1 if chosen else 0,
                "label": bool(chosen or labelled[i]),
            }
        )
    return rows


def _limit_rows(result: FunnelResult) -> list[dict[str, Any]]:
    limits = result.limits_in_force()
    denominators = limits["denominator"].to_numpy(dtype=np.float64)
    rows: list[dict[str, Any]] = []
    for level, label in LIMIT_LABELS.items():
        for side in ("lower", "upper"):
            values = limits[f"{side}_{level}"].to_numpy(dtype=np.float64)
            line = f"{side} {level}"
            rows.extend(
                {
                    "denominator": float(d),
                    "limit": float(v),
                    "level": label,
                    "line": line,
                }
                for d, v in zip(denominators, values, strict=True)
                if np.isfinite(v)
            )
    return rows


def _target_label(request: Any, target: float, value_format: str) -> str:
    shown = words.format_value(target, value_format)
    if request.target is not None:
        return f"Target {shown}"
    if request.data_type == "SR":
        return f"Expected {shown}"
    return f"Average of all units {shown}"


def _y_title(data_type: str, multiplier: float) -> str:
    if data_type == "PR" and multiplier == 100:
        return "Per cent"
    text = DATA_TYPE_TEXT.get(data_type, "Ratio")
    return text if multiplier == 1 else f"{text} × {multiplier:,g}"


def _x_title(data_type: str) -> str:
    return {
        "SR": "Expected",
        "PR": "Denominator",
        "RC": "Denominator",
        "MEAN": "Number of records",
    }.get(data_type, "Denominator")


def _subtitle(
    summary: Any,
    names: list[str],
    units: pd.DataFrame,
    highlight: Hashable | None,
    value_format: str,
) -> list[str]:
    limit_text = "99.8%" if summary.limit == 99 else "95%"
    outliers = f"{summary.n_units} units: {summary.n_high} above and {summary.n_low} below the {limit_text} limits."
    lines = [outliers, summary.reason]
    if highlight is not None:
        i = names.index(str(highlight))
        row = units.iloc[i]
        if row["outlier_high"]:
            where = f"above the upper {limit_text} limit"
        elif row["outlier_low"]:
            where = f"below the lower {limit_text} limit"
        else:
            where = f"within the {limit_text} limits"
        lines.append(
            f"{highlight}: {words.format_value(row['ratio'], value_format)}, {where}."
        )
    return lines
