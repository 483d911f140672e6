"""The measure page's SPC chart as a Vega-Lite spec, from the engine's point table.

The chart shows each point in its Making Data Count colour, the mean and process
limits of each baseline, the target or trajectory, and notes on points; every point's
tooltip names the rule that fired in words.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from qualitas.web.measures import words

COLOURS = {
    "common_cause": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral_high": "#490092",
    "neutral_low": "#490092",
}
TARGET_COLOUR = "#de1b1b"
TEXT_COLOUR = "#212b32"


def spc_spec(
    points: pd.DataFrame,
    *,
    title: str,
    unit: str,
    decimals: int = 1,
    frequency: str = "monthly",
    steps: pd.DataFrame | None = None,
    annotations: list[dict[str, Any]] | None = None,
    width: int | str = "container",
    height: int = 320,
) -> dict[str, Any]:
    """A layered Vega-Lite spec for one series (``points`` from :func:`qualitas.spc.xmr`)."""
    rows = _rows(points, decimals, frequency, steps, annotations or [])
    fmt = f",.{decimals}f"
    x = {
        "field": "period",
        "type": "temporal",
        "title": None,
        "axis": {"format": "%b %Y", "labelAngle": 0, "grid": False},
    }
    y_title = unit
    tooltip = [
        {"field": "period_label", "title": "Period"},
        {"field": "value", "title": "Value", "format": fmt},
        {"field": "point_label", "title": "Variation"},
        {"field": "rule", "title": "Rule"},
        {"field": "mean", "title": "Mean", "format": fmt},
        {"field": "lpl", "title": "Lower limit", "format": fmt},
        {"field": "upl", "title": "Upper limit", "format": fmt},
        {"field": "target", "title": "Target", "format": fmt},
        {"field": "note", "title": "Note"},
    ]
    limit_line = {
        "type": "line",
        "strokeDash": [4, 3],
        "color": "#4c6272",
        "strokeWidth": 1.2,
    }
    layers: list[dict[str, Any]] = [
        {
            "mark": limit_line,
            "encoding": {
                "x": x,
                "y": {"field": "upl", "type": "quantitative"},
                "detail": {"field": "segment"},
            },
        },
        {
            "mark": limit_line,
            "encoding": {
                "x": x,
                "y": {"field": "lpl", "type": "quantitative"},
                "detail": {"field": "segment"},
            },
        },
        {
            "mark": {"type": "line", "color": TEXT_COLOUR, "strokeWidth": 1.5},
            "encoding": {
                "x": x,
                "y": {"field": "mean", "type": "quantitative"},
                "detail": {"field": "segment"},
            },
        },
        {
            "mark": {"type": "line", "color": "#768692", "strokeWidth": 1.5},
            "encoding": {
                "x": x,
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "scale": {"zero": False},
                },
            },
        },
        {
            "mark": {
                "type": "point",
                "filled": True,
                "size": 70,
                "strokeWidth": 1,
                "stroke": "white",
            },
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative"},
                "color": {
                    "field": "point_label",
                    "type": "nominal",
                    "scale": {
                        "domain": [words.POINT_TYPE[k] for k in COLOURS],
                        "range": list(COLOURS.values()),
                    },
                    "legend": {"title": None, "orient": "bottom"},
                },
                "shape": {
                    "condition": {"test": "datum.note", "value": "diamond"},
                    "value": "circle",
                },
                "tooltip": tooltip,
            },
        },
    ]
    if rows and any(r.get("target") is not None for r in rows):
        layers.insert(
            3,
            {
                "mark": {
                    "type": "line",
                    "color": TARGET_COLOUR,
                    "strokeDash": [8, 4],
                    "strokeWidth": 1.5,
                    "interpolate": "step-after",
                },
                "encoding": {"x": x, "y": {"field": "target", "type": "quantitative"}},
            },
        )
    if any(r.get("note") for r in rows):
        layers.append(
            {
                "transform": [{"filter": "datum.note"}],
                "mark": {
                    "type": "rule",
                    "color": "#005eb8",
                    "strokeDash": [2, 2],
                    "opacity": 0.6,
                },
                "encoding": {"x": x, "tooltip": tooltip},
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"Statistical process control chart of {title}",
        "width": width,
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "layer": layers,
        "config": {
            "font": "Arial, Helvetica, sans-serif",
            "axis": {
                "labelFontSize": 13,
                "titleFontSize": 14,
                "labelColor": TEXT_COLOUR,
                "titleColor": TEXT_COLOUR,
            },
            "legend": {"labelFontSize": 13},
            "view": {"stroke": None},
        },
    }


def _rows(
    points: pd.DataFrame,
    decimals: int,
    frequency: str,
    steps: pd.DataFrame | None,
    annotations: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    frame = points.copy()
    frame["period"] = pd.to_datetime(frame["period"])
    if steps is not None and not steps.empty:
        s = steps.sort_values("starts")
        idx = (
            np.searchsorted(
                s["starts"].to_numpy(), frame["period"].to_numpy(), side="right"
            )
            - 1
        )
        vals = s["value"].to_numpy(dtype=float)
        frame["target"] = np.where(idx >= 0, vals[np.clip(idx, 0, None)], np.nan)
    else:
        frame["target"] = np.nan
    notes: dict[pd.Timestamp, list[str]] = {}
    for a in annotations:
        notes.setdefault(pd.Timestamp(a["period"]), []).append(a["text"])
    out = []
    for r in frame.itertuples(index=False):
        period = pd.Timestamp(r.period)
        out.append(
            {
                "period": period.strftime("%Y-%m-%d"),
                "period_label": words.period(period, frequency),
                "value": _num(r.value),
                "mean": _num(r.mean),
                "lpl": _num(r.lpl),
                "upl": _num(r.upl),
                "target": _num(r.target),
                "segment": int(r.segment),
                "point_label": words.POINT_TYPE[str(r.point_type)],
                "rule": words.SPECIAL_CAUSE[str(r.special_cause)],
                "note": " / ".join(notes.get(period, [])) or None,
            }
        )
    return out


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None
