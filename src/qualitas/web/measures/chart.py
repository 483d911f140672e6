"""The measure page's charts: :mod:`qualitas.charts` specs, with what the web page adds.

The chart itself (Making Data Count colours, limits, rebases, notes and a tooltip that
names the rule behind each signal) comes from :func:`qualitas.charts.xmr_chart`. The
page adds a trajectory: when the target changes over time it is drawn as a stepped
line instead of the single current target.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import spc_chart, style, xmr_chart, xmr_charts
from qualitas.spc import ChartResult
from qualitas.web.measures import words
from qualitas.web.measures.models import Measure


def value_format(measure: Measure) -> str:
    return f",.{measure.decimals}f"


def measure_chart(
    result: ChartResult,
    series: Hashable,
    measure: Measure,
    *,
    steps: pd.DataFrame | None = None,
    notes: list[tuple[Any, str]] | None = None,
    width: int = 800,
    height: int = 320,
) -> dict[str, Any]:
    """The spec for one series of ``result``, for the measure page: Making Data
    Count's XmR chart, or the run, attribute or rare-event chart the measure has."""
    draw = xmr_chart if getattr(result, "chart", "xmr") == "xmr" else spc_chart
    spec = draw(
        result,
        series,
        # Named for the description screen readers hear ("Run chart of Falls..."),
        # not the series key (the measure's id).
        title=measure.name,
        y_title=_y_title(measure, result),
        value_format=value_format(measure),
        annotations=notes or None,
        width=width,
        height=height,
        show_icons=False,
    )
    spec.pop("title", None)  # the page's heading and summary say it already
    if steps is not None and len(steps["value"].unique()) > 1:
        periods = result.points.loc[_rows_of(result, series), "period"]
        _draw_trajectory(spec["hconcat"][0], pd.to_datetime(periods), steps, measure)
    return spec


def group_charts(
    result: ChartResult, measure: Measure, *, width: int = 360, height: int = 180
) -> dict[Hashable, dict[str, Any]]:
    """Small charts, one per group of a breakdown (the equity view)."""
    if getattr(result, "chart", "xmr") != "xmr":
        # (a run chart has no icon table: its groups come from its points)
        keys = list(dict.fromkeys(result.points.iloc[:, 0].tolist()))
        return {
            k: spc_chart(
                result,
                k,
                title=str(k),
                y_title=_y_title(measure, result),
                value_format=value_format(measure),
                width=width,
                height=height,
            )
            for k in keys
        }
    keys = result.icons.iloc[:, 0].tolist()
    return xmr_charts(
        result,
        titles={k: str(k) for k in keys},
        y_title=measure.unit,
        value_format=value_format(measure),
        width=width,
        height=height,
    )


def _y_title(measure: Measure, result: Any) -> str:
    if getattr(result, "chart", "") in ("g", "t"):
        return "Days between events"
    return measure.unit


def target_series(periods: pd.Series, steps: pd.DataFrame) -> np.ndarray:
    """The target in force at each period (NaN before the first step)."""
    s = steps.sort_values("starts")
    idx = (
        np.searchsorted(
            s["starts"].to_numpy(dtype="datetime64[ns]"),
            periods.to_numpy(dtype="datetime64[ns]"),
            side="right",
        )
        - 1
    )
    values = s["value"].to_numpy(dtype=float)
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)


def _rows_of(result: ChartResult, series: Hashable) -> np.ndarray:
    column = result.icons.columns[0]
    return (result.points[column] == series).to_numpy()


def _draw_trajectory(
    chart: dict[str, Any], periods: pd.Series, steps: pd.DataFrame, measure: Measure
) -> None:
    targets = target_series(periods, steps)
    fmt = value_format(measure)
    values = [
        {
            "period": p.strftime("%Y-%m-%dT%H:%M:%S"),
            "target": float(t),
            "label": f"Target {format(float(t), fmt)} ({words.period(p, measure.frequency)})",
        }
        for p, t in zip(periods, targets, strict=True)
        if np.isfinite(t)
    ]
    x = next(
        layer["encoding"]["x"]
        for layer in chart["layer"]
        if "encoding" in layer and "x" in layer["encoding"]
    )
    trajectory = {
        "data": {"values": values},
        "mark": {
            "type": "line",
            "interpolate": "step-after",
            "color": style.TARGET,
            "strokeWidth": 1.5,
            "strokeDash": [8, 4],
        },
        "encoding": {
            "x": x,
            "y": {"field": "target", "type": "quantitative"},
            "tooltip": {"field": "label", "type": "nominal", "title": "Trajectory"},
        },
    }
    layers = [layer for layer in chart["layer"] if not _is_target_layer(layer)]
    layers.insert(3, trajectory)
    chart["layer"] = layers


def _is_target_layer(layer: dict[str, Any]) -> bool:
    values = layer.get("data", {}).get("values") or []
    return bool(values) and "target" in values[0]
