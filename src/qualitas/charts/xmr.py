"""The Making Data Count XmR chart of one series, as a Vega-Lite spec.

The spec is a plain dict: the web application embeds it with vega-embed, and
:func:`qualitas.charts.render` turns it into SVG, PNG or a self-contained HTML page.
All data are inline, so a spec needs nothing but Vega-Lite to draw.

>>> import pandas as pd
>>> from qualitas.spc import xmr
>>> data = pd.DataFrame({
...     "month": pd.date_range("2024-01-01", periods=12, freq="MS"),
...     "value": [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 15],
... })
>>> spec = xmr_chart(xmr(data, value="value", period="month", target=8), title="Example")
>>> spec["hconcat"][0]["layer"][-1]["mark"]["type"]
'circle'
>>> spec["title"]["text"]
'Example'
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import style, words
from qualitas.charts.common import (
    SCHEMA,
    annotation_layers,
    boundary_rules,
    check_format,
    default_format,
    icon_view,
    infer_period_format,
    is_missing,
    matches,
    period_axis,
    period_text,
    python_time_format,
    series_label,
    target_layer,
    to_number,
    value_axis,
)
from qualitas.errors import QualitasError
from qualitas.spc import ChartResult, Rules


def xmr_chart(
    result: ChartResult,
    series: Hashable | None = None,
    *,
    title: str | None = None,
    y_title: str = "Value",
    value_format: str | None = None,
    annotations: Any = None,
    rules: Rules | None = None,
    width: int = 640,
    height: int = 300,
    show_icons: bool = True,
) -> dict[str, Any]:
    """A Vega-Lite spec of the XmR chart of one series of ``result``.

    ``series`` names the series: its ``by`` value, or a tuple of values when there are
    several ``by`` columns; it may be left out when there is only one series.
    ``value_format`` formats values on the axis and in tooltips (a format such as
    ``".1%"`` or ``",.0f"`` that Python and d3-format read alike); by default the
    number of decimals suits the data. ``annotations`` marks interventions or notes:
    a sequence of ``(period, text)`` pairs or of mappings with ``period`` and ``text``,
    or a DataFrame with those columns. ``rules`` must be the rules the result was
    computed with when they are not the defaults (tooltips quote their lengths).
    """
    by = _by_columns(result)
    points, icon_row = _one_series(result, by, series)
    return _chart(
        points,
        icon_row,
        by,
        title=title,
        y_title=y_title,
        value_format=value_format,
        annotations=annotations,
        rules=rules,
        width=width,
        height=height,
        show_icons=show_icons,
    )


def xmr_charts(
    result: ChartResult,
    series: Sequence[Hashable] | None = None,
    *,
    titles: Mapping[Hashable, str] | None = None,
    annotations: Mapping[Hashable, Any] | None = None,
    **options: Any,
) -> dict[Hashable, dict[str, Any]]:
    """Specs for many series of ``result`` at once: a dict from series key to spec.

    ``series`` lists the keys wanted (default: every series, in the result's order);
    ``titles`` and ``annotations`` map series keys to what :func:`xmr_chart` takes;
    other options are passed to it for every series. The points are split once, so
    this is much faster than calling :func:`xmr_chart` per series.

    >>> import pandas as pd
    >>> from qualitas.spc import xmr
    >>> data = pd.DataFrame({"ward": ["A"] * 3 + ["B"] * 3, "week": [1, 2, 3] * 2, "falls": [2, 3, 2, 5, 4, 6]})
    >>> list(xmr_charts(xmr(data, value="falls", period="week", by="ward"), titles={"B": "Ward B"}))
    ['A', 'B']
    """
    by = _by_columns(result)
    keys = series_keys(result)
    starts = series_starts(result)
    where = {key: i for i, key in enumerate(keys)}
    wanted = keys if series is None else list(series)
    out: dict[Hashable, dict[str, Any]] = {}
    for key in wanted:
        if key not in where:
            raise QualitasError(f"there is no series {key!r} in the result")
        i = where[key]
        points = result.points.iloc[starts[i] : starts[i + 1]]
        out[key] = _chart(
            points,
            result.icon_table.iloc[i],
            by,
            title=(titles or {}).get(key),
            annotations=(annotations or {}).get(key),
            **options,
        )
    return out


def series_starts(result: ChartResult) -> np.ndarray:
    """Where each series' block of points starts, plus the end: the points of series
    ``i`` (in the order of ``result.icon_table``) are rows ``starts[i]:starts[i + 1]``."""
    by = _by_columns(result)
    n = len(result.points)
    if not by:
        return np.array([0, n])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for column in by:
        codes = pd.factorize(result.points[column], use_na_sentinel=False)[0]
        change[1:] |= codes[1:] != codes[:-1]
    starts: np.ndarray = np.r_[np.flatnonzero(change), n]
    if len(starts) - 1 != len(result.icon_table):
        raise QualitasError(
            "the result's points and icons do not describe the same series"
        )
    return starts


def _chart(
    points: pd.DataFrame,
    icon_row: pd.Series,
    by: list[str],
    *,
    title: str | None = None,
    y_title: str = "Value",
    value_format: str | None = None,
    annotations: Any = None,
    rules: Rules | None = None,
    width: int = 640,
    height: int = 300,
    show_icons: bool = True,
) -> dict[str, Any]:
    if value_format is None:
        value_format = default_format(points["value"], points["cl"])
    else:
        check_format(value_format)
    temporal = pd.api.types.is_datetime64_any_dtype(points["period"].dtype)
    period_format = infer_period_format(points["period"]) if temporal else "d"
    rows = _rows(points, temporal, period_format, value_format, rules or Rules())

    x = period_axis(temporal, period_format)
    y = value_axis(value_format, y_title)

    target = float(icon_row["target"]) if not is_missing(icon_row["target"]) else None
    layers = [
        _limit_layer("upl", "Upper process limit", x, y, value_format),
        _limit_layer("lpl", "Lower process limit", x, y, value_format),
        _mean_layer(x, y, value_format),
        *_rebase_layers(points, rows, x),
        *([target_layer(target, value_format)] if target is not None else []),
        *annotation_layers(annotations, points, temporal, period_format, x),
        _value_line(x, y),
        _point_layer(rows, x, y, value_format),
    ]
    chart: dict[str, Any] = {
        "width": width,
        "height": height,
        "data": {"values": rows},
        "layer": layers,
    }
    direction = str(icon_row["direction"])
    variation = str(icon_row["variation"])
    assurance = (
        None if is_missing(icon_row["assurance"]) else str(icon_row["assurance"])
    )
    name = title if title is not None else _series_name(icon_row, by)
    latest = (
        f"Latest: {words.format_value(icon_row['value'], value_format)} "
        f"({period_text(icon_row['period'], temporal, period_format)})"
    )
    if target is not None:
        latest += f"; target {words.format_value(target, value_format)}"
    summary = [latest + ".", words.variation_text(variation) + "."]
    if target is not None or direction == "neutral":
        summary.append(words.assurance_text(assurance, direction) + ".")
    spec: dict[str, Any] = {
        "$schema": SCHEMA,
        "description": f"XmR chart of {name}. " + " ".join(summary),
        "title": {"text": name, "subtitle": summary},
        "config": style.config(),
        "spacing": 12,
    }
    if show_icons:
        spec["hconcat"] = [chart, icon_view(variation, assurance, direction, height)]
    else:
        spec["hconcat"] = [chart]
    return spec


def series_keys(result: ChartResult) -> list[Hashable]:
    """The key of every series in ``result``, in its order (values, or tuples when
    there are several ``by`` columns; ``[None]`` when there are none)."""
    by = _by_columns(result)
    if not by:
        return [None]
    if len(by) == 1:
        return list(result.icon_table[by[0]].tolist())
    return list(result.icon_table[by].itertuples(index=False, name=None))


# ---------------------------------------------------------------------------------
# Selecting the series


def _by_columns(result: ChartResult) -> list[str]:
    columns = list(result.icon_table.columns)
    return columns[: columns.index("period")]


def _one_series(
    result: ChartResult, by: list[str], series: Hashable | None
) -> tuple[pd.DataFrame, pd.Series]:
    icons_table = result.icon_table
    if not by:
        return result.points, icons_table.iloc[0]
    keys = series_keys(result)
    if series is None:
        if len(keys) == 1:
            series = keys[0]
        else:
            shown = ", ".join(repr(k) for k in keys[:5]) + (
                " ..." if len(keys) > 5 else ""
            )
            raise QualitasError(
                f"the result has {len(keys)} series; choose one with series=, e.g. {shown}"
            )
    wanted = series if isinstance(series, tuple) else (series,)
    if len(wanted) != len(by):
        raise QualitasError(
            f"series must give {len(by)} values, one for each of {', '.join(by)}; got {series!r}"
        )
    mask_points = np.ones(len(result.points), dtype=bool)
    mask_icons = np.ones(len(icons_table), dtype=bool)
    for column, value in zip(by, wanted, strict=True):
        mask_points &= matches(result.points[column], value)
        mask_icons &= matches(icons_table[column], value)
    if not mask_icons.any():
        shown = ", ".join(repr(k) for k in keys[:5]) + (" ..." if len(keys) > 5 else "")
        raise QualitasError(
            f"there is no series {series!r} in the result; it has {shown}"
        )
    return result.points[mask_points], icons_table[mask_icons].iloc[0]


def _series_name(icon_row: pd.Series, by: list[str]) -> str:
    if not by:
        return "XmR chart"
    return series_label(
        tuple(icon_row[c] for c in by) if len(by) > 1 else icon_row[by[0]]
    )


# ---------------------------------------------------------------------------------
# Data rows


def _rows(
    points: pd.DataFrame,
    temporal: bool,
    period_format: str,
    value_format: str,
    rules: Rules,
) -> list[dict[str, Any]]:
    """One plain dict per point, with the words its tooltip shows."""
    periods = points["period"]
    if temporal:
        # Local-time ISO strings (no zone), so a month never shows as the day before.
        stamps = pd.to_datetime(periods)
        period_values: list[Any] = list(stamps.dt.strftime("%Y-%m-%dT%H:%M:%S"))
        labels = list(stamps.dt.strftime(python_time_format(period_format)))
    else:
        period_values = [int(p) for p in periods]
        labels = [str(int(p)) for p in periods]
    causes = points["special_cause"].astype(str).tolist()
    types = points["point_type"].astype(str).tolist()
    short = points["trial_limits"].to_numpy(dtype=bool).tolist()
    segments = points["phase"].to_numpy(dtype=np.int64).tolist()
    # Result columns -> the spec's field names (the chart's layers read these).
    numbers = {
        field: [to_number(v) for v in points[c].to_numpy(dtype=np.float64)]
        for field, c in (
            ("value", "value"),
            ("mean", "cl"),
            ("lpl", "lcl"),
            ("upl", "ucl"),
        )
    }
    rows = []
    for i, (cause, kind) in enumerate(zip(causes, types, strict=True)):
        rows.append(
            {
                "period": period_values[i],
                "period_label": labels[i],
                "segment": segments[i],
                "value": numbers["value"][i],
                "mean": numbers["mean"][i],
                "lpl": numbers["lpl"][i],
                "upl": numbers["upl"][i],
                "point": style.POINT_LABEL[kind],
                "signal": words.signal_text(cause, kind, rules),
                "limits_note": words.TRIAL_LIMITS_TEXT
                if short[i]
                else "Limits from this segment's data",
            }
        )
    return rows


# ---------------------------------------------------------------------------------
# Layers


def _tooltip(value_format: str) -> list[dict[str, Any]]:
    return [
        {"field": "period_label", "type": "nominal", "title": "Period"},
        {
            "field": "value",
            "type": "quantitative",
            "title": "Value",
            "format": value_format,
        },
        {"field": "signal", "type": "nominal", "title": "What it shows"},
        {
            "field": "mean",
            "type": "quantitative",
            "title": "Mean",
            "format": value_format,
        },
        {
            "field": "lpl",
            "type": "quantitative",
            "title": "Lower process limit",
            "format": value_format,
        },
        {
            "field": "upl",
            "type": "quantitative",
            "title": "Upper process limit",
            "format": value_format,
        },
        {"field": "limits_note", "type": "nominal", "title": "Limits"},
    ]


def _limit_layer(
    field: str, title: str, x: dict, y: dict, value_format: str
) -> dict[str, Any]:
    return {
        "mark": {
            "type": "line",
            "color": style.LIMIT,
            "strokeDash": style.LIMIT_DASH,
            "strokeWidth": 1.5,
        },
        "encoding": {
            "x": x,
            "y": {**y, "field": field},
            "detail": {"field": "segment", "type": "nominal"},
            "tooltip": [
                {
                    "field": field,
                    "type": "quantitative",
                    "title": title,
                    "format": value_format,
                },
                {"field": "limits_note", "type": "nominal", "title": "Limits"},
            ],
        },
    }


def _mean_layer(x: dict, y: dict, value_format: str) -> dict[str, Any]:
    return {
        "mark": {"type": "line", "color": style.MEAN, "strokeWidth": 1.5},
        "encoding": {
            "x": x,
            "y": {**y, "field": "mean"},
            "detail": {"field": "segment", "type": "nominal"},
            "tooltip": [
                {
                    "field": "mean",
                    "type": "quantitative",
                    "title": "Mean",
                    "format": value_format,
                }
            ],
        },
    }


def _value_line(x: dict, y: dict) -> dict[str, Any]:
    return {
        "mark": {"type": "line", "color": style.LINE, "strokeWidth": 1.5},
        "encoding": {"x": x, "y": {**y, "field": "value"}},
    }


def _point_layer(
    rows: list[dict[str, Any]], x: dict, y: dict, value_format: str
) -> dict[str, Any]:
    present = {r["point"] for r in rows}
    order = [label for label in style.POINT_COLOUR if label in present]
    return {
        "mark": {
            "type": "circle",
            "size": 55,
            "opacity": 1,
            "stroke": "#ffffff",
            "strokeWidth": 0.5,
        },
        "encoding": {
            "x": x,
            "y": {**y, "field": "value"},
            "color": {
                "field": "point",
                "type": "nominal",
                "scale": {
                    "domain": order,
                    "range": [style.POINT_COLOUR[k] for k in order],
                },
                "legend": {
                    "title": None,
                    "orient": "bottom",
                    "direction": "horizontal",
                },
            },
            "tooltip": _tooltip(value_format),
        },
    }


def _rebase_layers(
    points: pd.DataFrame, rows: list[dict[str, Any]], x: dict
) -> list[dict[str, Any]]:
    """A faint vertical rule where each new segment (rebase) starts."""
    segment = points["phase"].to_numpy()
    starts = np.flatnonzero(np.r_[False, segment[1:] != segment[:-1]])
    if not len(starts):
        return []
    marks = [
        {
            "period": rows[i]["period"],
            "note": f"Rebase: limits recalculated from {rows[i]['period_label']}",
        }
        for i in starts
    ]
    return [boundary_rules(marks, x, title="Rebase")]
