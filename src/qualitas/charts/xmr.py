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

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import icons, style, words
from qualitas.errors import QualitasError
from qualitas.spc import Rules, XmrResult

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
ICON_SIZE = 56


def xmr_chart(
    result: XmrResult,
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
    result: XmrResult,
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
            result.icons.iloc[i],
            by,
            title=(titles or {}).get(key),
            annotations=(annotations or {}).get(key),
            **options,
        )
    return out


def series_starts(result: XmrResult) -> np.ndarray:
    """Where each series' block of points starts, plus the end: the points of series
    ``i`` (in the order of ``result.icons``) are rows ``starts[i]:starts[i + 1]``."""
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
    if len(starts) - 1 != len(result.icons):
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
        value_format = default_format(points["value"], points["mean"])
    else:
        _check_format(value_format)
    temporal = pd.api.types.is_datetime64_any_dtype(points["period"].dtype)
    period_format = _period_format(points["period"]) if temporal else "d"
    rows = _rows(points, temporal, period_format, value_format, rules or Rules())

    x: dict[str, Any] = {
        "field": "period",
        "type": "temporal" if temporal else "quantitative",
        "title": None,
        "axis": {
            "format": period_format,
            "labelAngle": 0,
            "grid": False,
            **({} if temporal else {"tickMinStep": 1}),
        },
        "scale": {"nice": False, "padding": 8}
        if temporal
        else {"zero": False, "nice": False, "padding": 8},
    }
    if temporal:
        x["axis"]["tickCount"] = (
            {"interval": "month", "step": 3} if period_format == "%b %Y" else 8
        )
    y_axis = {"format": value_format, "title": y_title, "tickCount": 6}
    y = {
        "type": "quantitative",
        "scale": {"zero": False, "padding": 10},
        "axis": y_axis,
    }

    target = float(icon_row["target"]) if not _missing(icon_row["target"]) else None
    layers = [
        _limit_layer("upl", "Upper process limit", x, y, value_format),
        _limit_layer("lpl", "Lower process limit", x, y, value_format),
        _mean_layer(x, y, value_format),
        *_rebase_layers(points, rows, x),
        *([_target_layer(target, value_format)] if target is not None else []),
        *_annotation_layers(annotations, points, temporal, period_format, x),
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
    assurance = None if _missing(icon_row["assurance"]) else str(icon_row["assurance"])
    name = title if title is not None else _series_name(icon_row, by)
    latest = (
        f"Latest: {words.format_value(icon_row['value'], value_format)} "
        f"({_period_text(icon_row['period'], temporal, period_format)})"
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
        spec["hconcat"] = [chart, _icon_view(variation, assurance, direction, height)]
    else:
        spec["hconcat"] = [chart]
    return spec


def default_format(values: Iterable[Any], means: Iterable[Any] | None = None) -> str:
    """A format with three significant figures for typical values of the data.

    >>> default_format([0.81, 0.83, 0.9])
    ',.3f'
    >>> default_format([1200, 1340])
    ',.0f'
    >>> default_format([12, 13])
    ',.1f'
    """
    arr = np.asarray(list(values), dtype=np.float64)
    if means is not None:
        arr = np.concatenate([arr, np.asarray(list(means), dtype=np.float64)])
    arr = np.abs(arr[np.isfinite(arr)])
    typical = float(np.median(arr)) if len(arr) else 0.0
    if typical == 0:
        return ",.2f"
    decimals = int(min(max(2 - math.floor(math.log10(typical)), 0), 6))
    return f",.{decimals}f"


def series_keys(result: XmrResult) -> list[Hashable]:
    """The key of every series in ``result``, in its order (values, or tuples when
    there are several ``by`` columns; ``[None]`` when there are none)."""
    by = _by_columns(result)
    if not by:
        return [None]
    if len(by) == 1:
        return list(result.icons[by[0]].tolist())
    return list(result.icons[by].itertuples(index=False, name=None))


def series_label(key: Hashable) -> str:
    """A series key as readers see it: ``('RF4', '1')`` becomes ``'RF4 · 1'``."""
    if key is None:
        return "All data"
    if isinstance(key, tuple):
        return " · ".join(str(k) for k in key)
    return str(key)


# ---------------------------------------------------------------------------------
# Selecting the series


def _by_columns(result: XmrResult) -> list[str]:
    columns = list(result.icons.columns)
    return columns[: columns.index("period")]


def _one_series(
    result: XmrResult, by: list[str], series: Hashable | None
) -> tuple[pd.DataFrame, pd.Series]:
    icons_table = result.icons
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
        mask_points &= _equals(result.points[column], value)
        mask_icons &= _equals(icons_table[column], value)
    if not mask_icons.any():
        shown = ", ".join(repr(k) for k in keys[:5]) + (" ..." if len(keys) > 5 else "")
        raise QualitasError(
            f"there is no series {series!r} in the result; it has {shown}"
        )
    return result.points[mask_points], icons_table[mask_icons].iloc[0]


def _equals(column: pd.Series, value: Any) -> np.ndarray:
    direct: np.ndarray = (column == value).to_numpy(dtype=bool, na_value=False)
    if direct.any():
        return direct
    # Keys typed on a command line arrive as text: compare as text too.
    return (column.astype(str) == str(value)).to_numpy(dtype=bool)


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
        labels = list(stamps.dt.strftime(_strftime(period_format)))
    else:
        period_values = [int(p) for p in periods]
        labels = [str(int(p)) for p in periods]
    causes = points["special_cause"].astype(str).tolist()
    types = points["point_type"].astype(str).tolist()
    short = points["short_segment"].to_numpy(dtype=bool).tolist()
    segments = points["segment"].to_numpy(dtype=np.int64).tolist()
    numbers = {
        c: [_number(v) for v in points[c].to_numpy(dtype=np.float64)]
        for c in ("value", "mean", "lpl", "upl")
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


def _number(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def _missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or bool(pd.isna(value))
    )


def _period_format(periods: pd.Series) -> str:
    stamps = pd.to_datetime(periods).dropna()
    if len(stamps) and (stamps.dt.day == 1).all() and (stamps.dt.hour == 0).all():
        return "%b %Y"
    return "%d %b %Y"


def _strftime(period_format: str) -> str:
    return period_format  # d3 and Python read these directives alike


def _period_text(period: Any, temporal: bool, period_format: str) -> str:
    if temporal:
        return pd.Timestamp(period).strftime(_strftime(period_format))
    return f"period {period}"


def _check_format(value_format: str) -> None:
    try:
        format(1.5, value_format)
    except (ValueError, TypeError):
        raise QualitasError(
            f"value_format {value_format!r} is not a number format such as '.1%' or ',.0f'"
        ) from None


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


def _target_layer(target: float, value_format: str) -> dict[str, Any]:
    label = f"Target {words.format_value(target, value_format)}"
    return {
        "data": {"values": [{"target": target, "label": label}]},
        "layer": [
            {
                "mark": {"type": "rule", "color": style.TARGET, "strokeWidth": 1.5},
                "encoding": {
                    "y": {"field": "target", "type": "quantitative"},
                    "tooltip": {"field": "label", "type": "nominal"},
                },
            },
            {
                "mark": {
                    "type": "text",
                    "color": style.TARGET,
                    "align": "right",
                    "baseline": "bottom",
                    "dy": -3,
                    "fontSize": 11,
                },
                "encoding": {
                    "x": {"value": "width"},
                    "y": {"field": "target", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            },
        ],
    }


def _rebase_layers(
    points: pd.DataFrame, rows: list[dict[str, Any]], x: dict
) -> list[dict[str, Any]]:
    """A faint vertical rule where each new segment (rebase) starts."""
    segment = points["segment"].to_numpy()
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
    return [
        {
            "data": {"values": marks},
            "mark": {
                "type": "rule",
                "color": style.REBASE,
                "strokeWidth": 1,
                "strokeDash": [2, 2],
            },
            "encoding": {
                "x": x,
                "tooltip": {"field": "note", "type": "nominal", "title": "Rebase"},
            },
        }
    ]


def _annotation_layers(
    annotations: Any, points: pd.DataFrame, temporal: bool, period_format: str, x: dict
) -> list[dict[str, Any]]:
    notes = _annotations(annotations)
    if not notes:
        return []
    values: list[dict[str, Any]] = []
    for period, text in notes:
        if temporal:
            stamp = pd.Timestamp(period)
            values.append(
                {
                    "period": stamp.strftime("%Y-%m-%dT%H:%M:%S"),
                    "text": str(text),
                    "when": stamp.strftime(_strftime(period_format)),
                }
            )
        else:
            values.append(
                {"period": int(period), "text": str(text), "when": str(period)}
            )
    short = [
        {**v, "short": v["text"] if len(v["text"]) <= 28 else v["text"][:27] + "…"}
        for v in values
    ]
    return [
        {
            "data": {"values": short},
            "layer": [
                {
                    "mark": {
                        "type": "rule",
                        "color": style.ANNOTATION,
                        "strokeWidth": 1,
                    },
                    "encoding": {
                        "x": x,
                        "tooltip": [
                            {"field": "when", "type": "nominal", "title": "Period"},
                            {"field": "text", "type": "nominal", "title": "Note"},
                        ],
                    },
                },
                {
                    "mark": {
                        "type": "text",
                        "color": style.ANNOTATION,
                        "align": "left",
                        "baseline": "top",
                        "dx": 3,
                        "fontSize": 10,
                    },
                    "encoding": {
                        "x": x,
                        "y": {"value": 2},
                        "text": {"field": "short"},
                        "tooltip": {
                            "field": "text",
                            "type": "nominal",
                            "title": "Note",
                        },
                    },
                },
            ],
        }
    ]


def _annotations(annotations: Any) -> list[tuple[Any, str]]:
    if annotations is None:
        return []
    if isinstance(annotations, pd.DataFrame):
        missing = {"period", "text"} - set(annotations.columns)
        if missing:
            raise QualitasError(
                f"annotations need columns 'period' and 'text'; missing {sorted(missing)}"
            )
        return list(
            zip(annotations["period"], annotations["text"].astype(str), strict=True)
        )
    out = []
    for item in annotations:
        if isinstance(item, Mapping):
            if "period" not in item or "text" not in item:
                raise QualitasError(
                    f"each annotation needs a period and a text, not {dict(item)!r}"
                )
            out.append((item["period"], str(item["text"])))
        elif (
            isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2
        ):
            out.append((item[0], str(item[1])))
        else:
            raise QualitasError(
                f"an annotation is a (period, text) pair or a mapping, not {item!r}"
            )
    for period, _ in out:
        try:
            pd.Timestamp(period)
        except (TypeError, ValueError):
            if not isinstance(period, int | np.integer):
                raise QualitasError(
                    f"annotation period {period!r} is not a date or a whole number"
                ) from None
    return out


def _icon_view(
    variation: str, assurance: str | None, direction: str, height: int
) -> dict[str, Any]:
    """The icons beside the chart: variation on top, assurance (if any) below."""
    entries = [
        (
            icons.variation_icon(variation, ICON_SIZE),
            words.variation_text(variation),
            "Variation",
        )
    ]
    if assurance is not None:
        entries.append(
            (
                icons.assurance_icon(assurance, ICON_SIZE),
                words.assurance_text(assurance, direction),
                "Assurance",
            )
        )
    layers = []
    for i, (svg, meaning, kind) in enumerate(entries):
        y = ICON_SIZE / 2 + i * (ICON_SIZE + 14)
        layers.append(
            {
                "data": {"values": [{"icon": kind, "meaning": meaning}]},
                "mark": {
                    "type": "image",
                    "width": ICON_SIZE,
                    "height": ICON_SIZE,
                    "url": icons.data_uri(svg),
                    "aria": False,
                },
                "encoding": {
                    "x": {"value": ICON_SIZE / 2},
                    "y": {"value": y},
                    "tooltip": [
                        {"field": "icon", "type": "nominal", "title": "Icon"},
                        {"field": "meaning", "type": "nominal", "title": "Meaning"},
                    ],
                },
            }
        )
    return {"width": ICON_SIZE, "height": height, "layer": layers}
