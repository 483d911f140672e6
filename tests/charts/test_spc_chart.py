"""Every qualitas.spc.chart type draws in the house style."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from qualitas.charts import render, spc_chart, style
from qualitas.charts.spc import CHART_NAMES
from qualitas.errors import QualitasError
from qualitas.spc import chart
from qualitas.spc.chart import CHART_TYPES


def months(n):
    return pd.date_range("2022-01-01", periods=n, freq="MS")


def svg_elements(svg):
    return [
        el
        for el in ET.fromstring(svg).iter()
        if el.tag.rsplit("}", 1)[-1] in ("path", "line")
    ]


def data_for(chart_type: str) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(11)
    n = 24
    if chart_type in ("xbar", "s"):
        frame = pd.DataFrame(
            {"month": np.repeat(months(n), 5), "value": rng.normal(30, 4, n * 5)}
        )
        return frame, {}
    frame = pd.DataFrame({"month": months(n)})
    if chart_type in ("p", "pp"):
        frame["den"] = rng.integers(80, 200, n)
        frame["value"] = rng.binomial(frame["den"], 0.2)
        return frame, {"denominator": "den"}
    if chart_type in ("u", "up"):
        frame["den"] = rng.integers(500, 900, n)
        frame["value"] = rng.poisson(frame["den"] * 0.01)
        return frame, {"denominator": "den"}
    if chart_type in ("g", "t"):
        frame["value"] = rng.exponential(20, n).round(1) + 1
        return frame, {}
    frame["value"] = rng.poisson(12, n).astype(float)
    return frame, {}


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_every_chart_type_draws(chart_type):
    frame, extra = data_for(chart_type)
    result = chart(frame, chart=chart_type, value="value", period="month", **extra)
    spec = spc_chart(result, title=f"{chart_type} chart")
    svg = render(spec, "svg")
    assert svg.startswith("<svg")
    assert spec["title"]["subtitle"][0].startswith(CHART_NAMES[chart_type])
    lines = svg_elements(svg)
    if chart_type == "run":
        assert not any(
            p.get("stroke") == style.LIMIT for p in lines
        )  # no limits on a run chart
    else:
        assert any(p.get("stroke") == style.LIMIT for p in lines)


def test_run_chart_centre_is_the_median_and_a_long_run_is_explained():
    values = [
        10,
        11,
        9,
        10,
        12,
        11,
        10,
        9,
        11,
        10,
        14,
        15,
        14,
        16,
        15,
        14,
        15,
        16,
        14,
        15,
    ]
    result = chart(
        pd.DataFrame({"month": months(20), "v": values}),
        chart="run",
        value="v",
        period="month",
    )
    spec = spc_chart(result)
    rows = spec["hconcat"][0]["data"]["values"]
    assert rows[0]["cl"] == float(np.median(values))
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "Runs analysis: non-random variation" in subtitle
    assert "unusually long run of 10 points" in subtitle
    # The centre line turns purple and dashed where the runs analysis signals.
    svg = render(spec, "svg")
    assert any(
        p.get("stroke") == style.NEUTRAL and p.get("stroke-dasharray")
        for p in svg_elements(svg)
    )


def test_sigma_signals_are_purple_without_a_direction():
    values = [5.0, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 30]
    result = chart(
        pd.DataFrame({"month": months(12), "v": values}),
        chart="i",
        value="v",
        period="month",
    )
    spec = spc_chart(result)
    rows = spec["hconcat"][0]["data"]["values"]
    assert rows[-1]["point"] == "Special cause"
    assert (
        rows[-1]["signal"]
        == "Special cause variation: a point beyond the control limits"
    )
    points = spec["hconcat"][0]["layer"][-1]["encoding"]["color"]["scale"]
    assert (
        dict(zip(points["domain"], points["range"], strict=True))["Special cause"]
        == style.NEUTRAL
    )
    assert len(spec["hconcat"]) == 1  # no icons without Making Data Count rules


def test_mdc_rules_give_point_types_and_icons():
    frame, extra = data_for("p")
    frame.loc[20:, "value"] = (frame.loc[20:, "den"] * 0.6).round().astype(int)
    result = chart(
        frame,
        chart="p",
        value="value",
        period="month",
        rules="mdc",
        direction="decrease",
        target=0.3,
        **extra,
    )
    spec = spc_chart(result)
    rows = spec["hconcat"][0]["data"]["values"]
    assert rows[-1]["point"] == "Special cause concern"
    assert (
        rows[-1]["signal"]
        == "Special cause concern: a point above the upper process limit"
    )
    meanings = [
        layer["data"]["values"][0]["meaning"] for layer in spec["hconcat"][1]["layer"]
    ]
    assert meanings[0].startswith("Special cause concern")
    assert "Numerator" in str(spec["hconcat"][0]["layer"][-1]["encoding"]["tooltip"])


def test_phases_break_the_lines_and_are_labelled():
    values = [
        10.0,
        12,
        11,
        9,
        10,
        11,
        12,
        10,
        11,
        10,
        20,
        21,
        19,
        22,
        20,
        21,
        20,
        19,
        21,
        22,
    ]
    result = chart(
        pd.DataFrame({"month": months(20), "v": values}),
        chart="i",
        value="v",
        period="month",
        part=["2022-11-01"],
    )
    svg = render(spc_chart(result), "svg")
    centre = [
        p
        for p in svg_elements(svg)
        if p.get("aria-roledescription") == "line mark"
        and p.get("stroke") in (style.MEAN, style.NEUTRAL)
    ]
    assert len(centre) == 2
    assert "Phase 2" in svg


def test_excluded_points_are_hollow_and_say_so():
    result = chart(
        pd.DataFrame(
            {"month": months(14), "v": [5.0, 6, 5, 40, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5]}
        ),
        chart="i",
        value="v",
        period="month",
        exclude=["2022-04-01"],
    )
    rows = spc_chart(result)["hconcat"][0]["data"]["values"]
    assert rows[3]["point"] == "Excluded"
    assert rows[3]["signal"] == "Left out of the calculations (excluded)"


def test_series_choice_and_errors():
    frame = pd.concat(
        [
            pd.DataFrame({"ward": w, "month": months(12), "v": np.arange(12.0) % 4})
            for w in ("A", "B")
        ]
    )
    result = chart(frame, chart="c", value="v", period="month", by="ward")
    assert spc_chart(result, "B")["title"]["text"] == "B"
    with pytest.raises(QualitasError, match="2 series"):
        spc_chart(result)
    with pytest.raises(QualitasError, match="no series 'Z'"):
        spc_chart(result, "Z")
