"""The XmR chart spec: Making Data Count colours, lines, breaks, tooltips and icons."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from qualitas.charts import render, style, xmr_chart, xmr_charts
from qualitas.charts.xmr import series_keys
from qualitas.errors import QualitasError
from qualitas.spc import Rules, xmr
from tests.charts.conftest import monthly

EXPECTED_COLOUR = {
    "common_cause": "#a6a6a6",
    "improvement": "#00b0f0",
    "concern": "#e46c0a",
    "neutral_high": "#490092",
    "neutral_low": "#490092",
}


def chart_layers(spec):
    return spec["hconcat"][0]["layer"]


def point_layer(spec):
    return next(
        layer
        for layer in chart_layers(spec)
        if layer.get("mark", {}).get("type") == "circle"
    )


def colour_of_each_point(spec):
    scale = point_layer(spec)["encoding"]["color"]["scale"]
    lookup = dict(zip(scale["domain"], scale["range"], strict=True))
    return [lookup[row["point"]] for row in spec["hconcat"][0]["data"]["values"]]


def svg_paths(svg: str):
    """Every drawn path or line of an SVG document."""
    root = ET.fromstring(svg)
    return [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("path", "line")]


def test_each_point_is_coloured_by_its_point_type(mixed_result):
    spec = xmr_chart(mixed_result)
    expected = [
        EXPECTED_COLOUR[t] for t in mixed_result.points["point_type"].astype(str)
    ]
    assert colour_of_each_point(spec) == expected
    assert {"#00b0f0", "#e46c0a", "#a6a6a6"} <= set(expected)


def test_neutral_special_causes_are_purple():
    data = monthly([10, 12] * 10 + [30])
    result = xmr(data, value="value", period="month", direction="neutral")
    colours = colour_of_each_point(xmr_chart(result))
    assert colours[-1] == style.NEUTRAL
    assert set(colours[:-1]) == {style.COMMON_CAUSE}


def test_rendered_points_have_the_colours_of_their_types(mixed_result):
    svg = render(xmr_chart(mixed_result), "svg")
    symbols = [p for p in svg_paths(svg) if p.get("aria-roledescription") == "circle"]
    assert len(symbols) == len(mixed_result.points)
    fills = sorted(p.get("fill") for p in symbols)
    assert fills == sorted(
        EXPECTED_COLOUR[t] for t in mixed_result.points["point_type"].astype(str)
    )


def test_mean_and_limits_break_at_a_rebase(mixed_result):
    svg = render(xmr_chart(mixed_result), "svg")
    lines = [p for p in svg_paths(svg) if p.get("aria-roledescription") == "line mark"]
    mean_lines = [p for p in lines if p.get("stroke") == style.MEAN]
    limit_lines = [p for p in lines if p.get("stroke") == style.LIMIT]
    # Two segments: the mean and both limits are drawn separately in each.
    assert len(mean_lines) == 2
    assert len(limit_lines) == 4
    assert all(p.get("stroke-dasharray") for p in limit_lines)
    assert not any(p.get("stroke-dasharray") for p in mean_lines)
    # The two mean lines sit at different heights: each segment has its own mean.
    heights = {p.get("d").split("L")[0].split(",")[1] for p in mean_lines}
    assert len(heights) == 2


def test_without_a_rebase_there_is_one_mean_line_and_no_rebase_rule():
    data = monthly(np.r_[np.arange(20) % 5, 3.0])
    spec = xmr_chart(xmr(data, value="value", period="month"))
    svg = render(spec, "svg")
    mean_lines = [p for p in svg_paths(svg) if p.get("stroke") == style.MEAN]
    assert len(mean_lines) == 1
    assert "Rebase" not in json.dumps(spec)


def test_target_line_is_drawn_only_when_there_is_a_target():
    data = monthly([5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5])
    with_target = render(
        xmr_chart(xmr(data, value="value", period="month", target=8)), "svg"
    )
    without = render(xmr_chart(xmr(data, value="value", period="month")), "svg")
    assert any(p.get("stroke") == style.TARGET for p in svg_paths(with_target))
    assert "Target 8" in with_target
    assert not any(p.get("stroke") == style.TARGET for p in svg_paths(without))
    assert "Target" not in without


def test_tooltips_say_which_rule_fired(mixed_result):
    rows = xmr_chart(mixed_result)["hconcat"][0]["data"]["values"]
    causes = mixed_result.points["special_cause"].astype(str).tolist()
    signals = [r["signal"] for r in rows]
    assert (
        signals[causes.index("above_upl")]
        == "Special cause improvement: a point above the upper process limit"
    )
    assert (
        signals[causes.index("shift_low")]
        == "Special cause concern: 7 points in a row below the mean"
    )
    assert signals[causes.index("none")] == "Common cause variation"
    tooltip_fields = [
        t["field"] for t in point_layer(xmr_chart(mixed_result))["encoding"]["tooltip"]
    ]
    assert "signal" in tooltip_fields


def test_tooltips_quote_the_rule_lengths_in_use():
    data = monthly([5, 5.5, 5, 5.2, 5.1, 4.9, 5, 4, 4.1, 4.2, 4, 4.1, 3.9, 4.2, 4.1, 4])
    rules = Rules(shift=6)
    result = xmr(data, value="value", period="month", rules=rules)
    rows = xmr_chart(result, rules=rules)["hconcat"][0]["data"]["values"]
    shifts = [
        r["signal"]
        for r, c in zip(rows, result.points["special_cause"].astype(str), strict=True)
        if c == "shift_low"
    ]
    assert shifts
    assert all(
        s == "Special cause concern: 6 points in a row below the mean" for s in shifts
    )


def test_icons_sit_beside_the_chart_and_explain_themselves(mixed_result):
    spec = xmr_chart(mixed_result)
    icon_view = spec["hconcat"][1]
    meanings = [layer["data"]["values"][0]["meaning"] for layer in icon_view["layer"]]
    icon = mixed_result.icons.iloc[0]
    assert len(meanings) == 2  # a target gives an assurance icon too
    assert meanings[0].startswith(
        "Common cause" if icon["variation"] == "common_cause" else "Special cause"
    )
    assert any(word in meanings[1] for word in ("consistently", "hit and miss"))
    assert all(
        layer["mark"]["url"].startswith("data:image/svg+xml;base64,")
        for layer in icon_view["layer"]
    )


def test_no_assurance_icon_without_a_target():
    data = monthly([5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5])
    spec = xmr_chart(xmr(data, value="value", period="month"))
    assert len(spec["hconcat"][1]["layer"]) == 1


def test_annotations_are_drawn_with_their_text(mixed_result):
    spec = xmr_chart(mixed_result, annotations=[("2022-06-01", "New discharge lounge")])
    svg = render(spec, "svg")
    assert "New discharge lounge" in svg
    frame = pd.DataFrame({"period": ["2022-06-01"], "text": ["Ward reconfigured"]})
    assert "Ward reconfigured" in render(
        xmr_chart(mixed_result, annotations=frame), "svg"
    )


def test_bad_annotations_are_refused(mixed_result):
    with pytest.raises(QualitasError, match="annotation"):
        xmr_chart(mixed_result, annotations=[{"when": "2022-06-01"}])


def test_series_are_chosen_by_key_and_unknown_keys_are_refused():
    data = pd.concat(
        [monthly([1, 2, 3, 2, 1, 2, 3, 2]).assign(ward=w) for w in ("A", "B")]
    )
    result = xmr(data, value="value", period="month", by="ward")
    assert series_keys(result) == ["A", "B"]
    assert xmr_chart(result, "B")["title"]["text"] == "B"
    with pytest.raises(QualitasError, match="2 series"):
        xmr_chart(result)
    with pytest.raises(QualitasError, match="no series 'C'"):
        xmr_chart(result, "C")


def test_whole_number_periods_use_a_number_axis():
    data = pd.DataFrame(
        {"week": range(1, 16), "value": [3, 4, 3, 5, 4, 3, 4, 5, 4, 3, 4, 5, 4, 3, 4]}
    )
    spec = xmr_chart(xmr(data, value="value", period="week"))
    assert point_layer(spec)["encoding"]["x"]["type"] == "quantitative"
    assert render(spec, "svg").startswith("<svg")


def test_value_format_is_used_on_axis_and_in_subtitle(mixed_result):
    spec = xmr_chart(mixed_result, value_format=",.1f")
    assert point_layer(spec)["encoding"]["y"]["axis"]["format"] == ",.1f"
    with pytest.raises(QualitasError, match="value_format"):
        xmr_chart(mixed_result, value_format="%Y")


def test_png_renders_at_the_requested_scale(mixed_result):
    png = render(xmr_chart(mixed_result), "png", scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    bigger = render(xmr_chart(mixed_result), "png", scale=2)
    assert int.from_bytes(bigger[16:20], "big") == 2 * width
    assert width > 640  # the chart, its axis and the icons


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.sources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])


def test_html_is_self_contained(mixed_result):
    html = render(xmr_chart(mixed_result), "html")
    parser = _Scripts()
    parser.feed(html)
    assert parser.sources == []
    assert parser.links == []
    assert "window.vegaEmbed" in html
    assert "vegaEmbed(el, spec" in html


def test_html_escapes_text_that_could_end_the_script():
    data = monthly([5, 6, 5, 7, 6, 5, 6, 7]).assign(
        ward="</script><script>alert(1)</script>"
    )
    result = xmr(data, value="value", period="month", by="ward")
    html = render(xmr_chart(result), "html")
    assert "<script>alert(1)" not in html
    assert "\\u003c/script\\u003e" in html


def test_many_charts_at_once_equal_one_at_a_time():
    months = pd.date_range("2023-01-01", periods=14, freq="MS")
    data = pd.DataFrame(
        {
            "site": ["X"] * 28 + ["Y"] * 14,
            "ward": ["1"] * 14 + ["2"] * 14 + ["1"] * 14,
            "month": list(months) * 3,
            "value": np.r_[
                np.arange(14) % 4, np.arange(14) % 3, np.arange(14) % 5
            ].astype(float),
        }
    )
    result = xmr(data, value="value", period="month", by=["site", "ward"], target=2)
    many = xmr_charts(result, titles={("Y", "1"): "Site Y"})
    assert list(many) == [("X", "1"), ("X", "2"), ("Y", "1")]
    for key, spec in many.items():
        one = xmr_chart(result, key, title="Site Y" if key == ("Y", "1") else None)
        assert spec == one
    assert many[("X", "2")]["title"]["text"] == "X · 2"
