"""Radar charts of self-assessment scores, as Vega-Lite specs.

Vega-Lite has no polar line mark, so the geometry is done here: each dimension is a
spoke, each score a point at its distance from the centre, and every assessment a
closed polygon. Rings mark the levels. Older assessments are paler, so change over
time reads at a glance; the legend names each by its date.
"""

from __future__ import annotations

import math
from typing import Any

from qualitas.charts import style

SERIES_COLOURS = ["#005eb8", "#768692", "#aeb7bd", "#d8dde0"]  # newest first


def radar_spec(
    dimensions: list[tuple[str, str]],
    series: list[tuple[str, dict[str, float | None]]],
    *,
    levels: list[tuple[int, str]],
    size: int = 420,
) -> dict[str, Any]:
    """``dimensions``: (key, name) in order round the chart; ``series``: (label,
    scores by dimension key), newest first; ``levels``: (score, label) for the rings.

    >>> spec = radar_spec([("a", "A"), ("b", "B"), ("c", "C")], [("2025", {"a": 3, "b": 2, "c": None})],
    ...                   levels=[(1, "Low"), (2, "Medium"), (3, "High")])
    >>> [p["dimension"] for p in spec["layer"][-1]["data"]["values"]]
    ['A', 'B', 'A']
    """
    n = len(dimensions)
    top = max(score for score, _ in levels)
    angle = {
        key: math.pi / 2 - 2 * math.pi * i / n for i, (key, _) in enumerate(dimensions)
    }

    def xy(key: str, r: float) -> tuple[float, float]:
        return r * math.cos(angle[key]), r * math.sin(angle[key])

    rings = []
    for score, label in levels:
        for i, (key, _) in enumerate([*dimensions, dimensions[0]]):
            x, y = xy(key, score / top)
            rings.append({"ring": label, "order": i, "x": x, "y": y})
    spokes = []
    for key, _ in dimensions:
        x, y = xy(key, 1.0)
        spokes += [
            {"spoke": key, "order": 0, "x": 0.0, "y": 0.0},
            {"spoke": key, "order": 1, "x": x, "y": y},
        ]
    labels = []
    for key, name in dimensions:
        x, y = xy(key, 1.1)
        align = "center" if abs(x) < 0.2 else ("left" if x > 0 else "right")
        labels.append({"x": x, "y": y, "name": name, "align": align})
    # Ring labels sit between the first two spokes, clear of the dimension names.
    between = math.pi / 2 - math.pi / n
    ring_labels = [
        {
            "x": score / top * math.cos(between),
            "y": score / top * math.sin(between),
            "label": label,
        }
        for score, label in levels
    ]
    points = []
    order_of = {label: i for i, (label, _) in enumerate(series)}
    for label, scores in series:
        answered = [
            (key, name) for key, name in dimensions if scores.get(key) is not None
        ]
        closed = [*answered, answered[0]] if answered else []
        for i, (key, name) in enumerate(closed):
            value = float(scores[key])  # type: ignore[arg-type]
            x, y = xy(key, value / top)
            points.append(
                {
                    "assessment": label,
                    "rank": order_of[label],
                    "order": i,
                    "dimension": name,
                    "score": round(value, 2),
                    "x": x,
                    "y": y,
                }
            )
    domain = [-1.55, 1.55]
    x = {
        "field": "x",
        "type": "quantitative",
        "scale": {"domain": domain},
        "axis": None,
    }
    y = {
        "field": "y",
        "type": "quantitative",
        "scale": {"domain": domain},
        "axis": None,
    }
    colours = {
        "field": "assessment",
        "type": "nominal",
        "title": "Assessed",
        "sort": [label for label, _ in series],
        "scale": {
            "domain": [label for label, _ in series],
            "range": SERIES_COLOURS[: len(series)]
            + ["#d8dde0"] * max(0, len(series) - 4),
        },
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": size,
        "height": size,
        "config": style.config(),
        "layer": [
            {
                "data": {"values": rings},
                "mark": {"type": "line", "color": "#d8dde0", "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "ring"},
                    "order": {"field": "order"},
                },
            },
            {
                "data": {"values": spokes},
                "mark": {"type": "line", "color": "#d8dde0", "strokeWidth": 1},
                "encoding": {
                    "x": x,
                    "y": y,
                    "detail": {"field": "spoke"},
                    "order": {"field": "order"},
                },
            },
            {
                "data": {"values": ring_labels},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "bottom",
                    "fontSize": 10,
                    "color": "#768692",
                },
                "encoding": {"x": x, "y": y, "text": {"field": "label"}},
            },
            *(
                {
                    "data": {"values": [lb for lb in labels if lb["align"] == align]},
                    "mark": {
                        "type": "text",
                        "fontSize": 11,
                        "color": "#212b32",
                        "baseline": "middle",
                        "align": align,
                    },
                    "encoding": {"x": x, "y": y, "text": {"field": "name"}},
                }
                for align in ("left", "center", "right")
                if any(lb["align"] == align for lb in labels)
            ),
            {
                "data": {"values": points},
                "mark": {
                    "type": "line",
                    "strokeWidth": 2.5,
                    "point": {"filled": True, "size": 50},
                },
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": colours,
                    "detail": {"field": "assessment"},
                    "order": {"field": "order"},
                    "tooltip": [
                        {"field": "assessment", "title": "Assessed"},
                        {"field": "dimension", "title": "Dimension"},
                        {"field": "score", "title": "Score"},
                    ],
                },
            },
        ],
    }
