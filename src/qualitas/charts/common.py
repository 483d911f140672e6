"""Pieces shared by every qualitas chart: formats, periods, series, target lines,
annotations and the icons beside a chart.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from qualitas.charts import icons, style, words
from qualitas.errors import QualitasError

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


ICON_SIZE = 56


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


def series_label(key: Hashable) -> str:
    """A series key as readers see it: ``('RF4', '1')`` becomes ``'RF4 · 1'``."""
    if key is None:
        return "All data"
    if isinstance(key, tuple):
        return " · ".join(str(k) for k in key)
    return str(key)


def matches(column: pd.Series, value: Any) -> np.ndarray:
    direct: np.ndarray = (column == value).to_numpy(dtype=bool, na_value=False)
    if direct.any():
        return direct
    # Keys typed on a command line arrive as text: compare as text too.
    return (column.astype(str) == str(value)).to_numpy(dtype=bool)


def to_number(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def is_missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or bool(pd.isna(value))
    )


def infer_period_format(periods: pd.Series) -> str:
    stamps = pd.to_datetime(periods).dropna()
    if len(stamps) and (stamps.dt.day == 1).all() and (stamps.dt.hour == 0).all():
        return "%b %Y"
    return "%d %b %Y"


def python_time_format(period_format: str) -> str:
    return period_format  # d3 and Python read these directives alike


def period_text(period: Any, temporal: bool, period_format: str) -> str:
    if temporal:
        return pd.Timestamp(period).strftime(python_time_format(period_format))
    return f"period {period}"


def check_format(value_format: str) -> None:
    try:
        format(1.5, value_format)
    except (ValueError, TypeError):
        raise QualitasError(
            f"value_format {value_format!r} is not a number format such as '.1%' or ',.0f'"
        ) from None


def target_layer(target: float, value_format: str) -> dict[str, Any]:
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


def annotation_layers(
    annotations: Any, points: pd.DataFrame, temporal: bool, period_format: str, x: dict
) -> list[dict[str, Any]]:
    notes = parse_annotations(annotations)
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
                    "when": stamp.strftime(python_time_format(period_format)),
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


def parse_annotations(annotations: Any) -> list[tuple[Any, str]]:
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


def icon_view(
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


def period_axis(temporal: bool, period_format: str) -> dict[str, Any]:
    """The x encoding of a chart over time: dates, or whole-number periods."""
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
        # Padding keeps the first and last points clear of the axes.
        "scale": {"nice": False, "padding": 8}
        if temporal
        else {"zero": False, "nice": False, "padding": 8},
    }
    if temporal:
        x["axis"]["tickCount"] = (
            {"interval": "month", "step": 3} if period_format == "%b %Y" else 8
        )
    return x


def value_axis(value_format: str, title: str) -> dict[str, Any]:
    """The y encoding shared by the lines and points of a chart (field set per layer)."""
    return {
        "type": "quantitative",
        "scale": {"zero": False, "padding": 10},
        "axis": {"format": value_format, "title": title, "tickCount": 6},
    }


def period_strings(
    periods: pd.Series, temporal: bool, period_format: str
) -> tuple[list[Any], list[str]]:
    """Periods as Vega-Lite reads them and as readers see them.

    Dates become local-time ISO strings with no zone, so a month never shows as the
    last day of the month before in a browser west of Greenwich.
    """
    if temporal:
        stamps = pd.to_datetime(periods)
        return list(stamps.dt.strftime("%Y-%m-%dT%H:%M:%S")), list(
            stamps.dt.strftime(python_time_format(period_format))
        )
    values = [int(p) for p in periods]
    return values, [str(v) for v in values]


def block_starts(points: pd.DataFrame, by: list[str]) -> np.ndarray:
    """Where each series' block of rows starts in ``points`` (sorted by series), plus
    the end."""
    n = len(points)
    if not by:
        return np.array([0, n])
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for column in by:
        codes = pd.factorize(points[column], use_na_sentinel=False)[0]
        change[1:] |= codes[1:] != codes[:-1]
    starts: np.ndarray = np.r_[np.flatnonzero(change), n]
    return starts


def block_keys(
    points: pd.DataFrame, by: list[str], starts: np.ndarray
) -> list[Hashable]:
    """The key of each series block: a value, a tuple for several ``by`` columns, or
    None when there are no ``by`` columns."""
    if not by:
        return [None]
    first = points.iloc[starts[:-1]]
    if len(by) == 1:
        return list(first[by[0]].tolist())
    return list(first[by].itertuples(index=False, name=None))


def find_series(keys: list[Hashable], by: list[str], series: Hashable | None) -> int:
    """The position of ``series`` in ``keys`` (text matches too, as typed on a command
    line); with one series it may be left out."""
    if series is None:
        if len(keys) == 1:
            return 0
        shown = ", ".join(repr(k) for k in keys[:5]) + (" ..." if len(keys) > 5 else "")
        raise QualitasError(
            f"the result has {len(keys)} series; choose one with series=, e.g. {shown}"
        )
    wanted = series if isinstance(series, tuple) else (series,)
    if len(wanted) != len(by):
        raise QualitasError(
            f"series must give {len(by)} values, one for each of {', '.join(by)}; got {series!r}"
        )
    for i, key in enumerate(keys):
        parts = key if isinstance(key, tuple) else (key,)
        if all(a == b for a, b in zip(parts, wanted, strict=True)):
            return i
    text = tuple(str(w) for w in wanted)
    for i, key in enumerate(keys):
        parts = key if isinstance(key, tuple) else (key,)
        if tuple(str(p) for p in parts) == text:
            return i
    shown = ", ".join(repr(k) for k in keys[:5]) + (" ..." if len(keys) > 5 else "")
    raise QualitasError(f"there is no series {series!r} in the result; it has {shown}")


def wrap_lines(lines: Iterable[str], width: int = 100) -> list[str]:
    """Subtitle lines wrapped to about the width of a chart, so a long sentence does
    not make the whole chart wider.

    >>> wrap_lines(["short", "a " * 60], width=40)[:2]
    ['short', 'a a a a a a a a a a a a a a a a a a a a']
    """
    import textwrap

    out: list[str] = []
    for line in lines:
        out.extend(textwrap.wrap(line, width) or [""])
    return out


def boundary_rules(
    marks: list[dict[str, Any]], x: dict[str, Any], *, title: str
) -> dict[str, Any]:
    """Dashed vertical rules where new limits start (a rebase, a new phase), each with
    its ``note`` as the tooltip."""
    return {
        "data": {"values": marks},
        "mark": {
            "type": "rule",
            "color": style.REBASE,
            "strokeWidth": 1,
            "strokeDash": [2, 2],
        },
        "encoding": {
            "x": x,
            "tooltip": {"field": "note", "type": "nominal", "title": title},
        },
    }
