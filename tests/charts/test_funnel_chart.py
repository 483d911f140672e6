"""Funnel plots in the house style: limits, target, outliers labelled, one unit picked out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.charts import funnel_chart, render, style
from qualitas.errors import QualitasError
from qualitas.spc import funnel


@pytest.fixture
def trusts():
    rng = np.random.default_rng(5)
    n = 40
    attendances = rng.integers(2000, 30000, n)
    seen = rng.binomial(attendances, 0.8)
    seen[3] = int(attendances[3] * 0.6)  # far below
    seen[7] = int(attendances[7] * 0.95)  # far above
    return pd.DataFrame(
        {
            "trust": [f"T{i:02d}" for i in range(n)],
            "seen": seen,
            "attendances": attendances,
        }
    )


def test_limits_target_and_points(trusts):
    result = funnel(
        trusts,
        numerator="seen",
        denominator="attendances",
        group="trust",
        data_type="PR",
        adjust="never",
    )
    spec = funnel_chart(result, title="Seen within 4 hours")
    limits = spec["layer"][0]["data"]["values"]
    assert {r["level"] for r in limits} == {"95% limits", "99.8% limits"}
    assert {r["line"] for r in limits} == {
        "lower 95",
        "upper 95",
        "lower 998",
        "upper 998",
    }
    svg = render(spec, "svg")
    assert "Average of all units" in svg
    units = spec["data"]["values"]
    assert len(units) == 40


def test_outliers_are_coloured_by_direction_and_labelled(trusts):
    result = funnel(
        trusts,
        numerator="seen",
        denominator="attendances",
        group="trust",
        data_type="PR",
        adjust="never",
    )
    rows = {
        r["name"]: r
        for r in funnel_chart(result, direction="increase")["data"]["values"]
    }
    assert rows["T03"]["status"] == "Worse than expected"
    assert rows["T07"]["status"] == "Better than expected"
    assert rows["T03"]["position"] == "Outlier: below the lower 99.8% limit"
    assert rows["T03"]["label"]
    neutral = {r["name"]: r for r in funnel_chart(result)["data"]["values"]}
    assert neutral["T03"]["status"] == "Below the limits"
    scale = funnel_chart(result)["layer"][2]["encoding"]["color"]["scale"]
    assert (
        dict(zip(scale["domain"], scale["range"], strict=True))["Below the limits"]
        == style.NEUTRAL
    )


def test_labels_are_limited_to_the_most_extreme_outliers(trusts):
    result = funnel(
        trusts,
        numerator="seen",
        denominator="attendances",
        group="trust",
        data_type="PR",
        adjust="never",
    )
    rows = funnel_chart(result, max_labels=2)["data"]["values"]
    outliers = [r for r in rows if r["status"] != "Within the limits"]
    assert len(outliers) > 2
    labelled = [r for r in rows if r["label"]]
    assert len(labelled) == 2
    assert min(abs(r["z"]) for r in labelled) >= max(
        abs(r["z"]) for r in outliers if not r["label"]
    )


def test_a_chosen_unit_is_highlighted_and_described(trusts):
    result = funnel(
        trusts,
        numerator="seen",
        denominator="attendances",
        group="trust",
        data_type="PR",
    )
    spec = funnel_chart(result, highlight="T12")
    row = next(r for r in spec["data"]["values"] if r["name"] == "T12")
    assert row["highlight"] == 1
    assert row["label"]
    assert any(line.startswith("T12: ") for line in spec["title"]["subtitle"])
    assert "T12" in render(spec, "svg")
    with pytest.raises(QualitasError, match="no unit 'T99'"):
        funnel_chart(result, highlight="T99")


def test_the_overdispersion_decision_is_stated(trusts):
    result = funnel(
        trusts,
        numerator="seen",
        denominator="attendances",
        group="trust",
        data_type="PR",
    )
    subtitle = " ".join(funnel_chart(result)["title"]["subtitle"])
    assert subtitle.startswith("40 units:")
    assert "overdispersion" in subtitle


def test_standardised_ratio_funnel_renders_png():
    data = pd.DataFrame(
        {
            "trust": [f"T{i:02d}" for i in range(12)],
            "deaths": [30, 45, 28, 52, 41, 39, 61, 25, 47, 33, 90, 36],
            "expected": [
                32.1,
                44.8,
                30.5,
                49.9,
                40.2,
                41.7,
                58.3,
                27.4,
                45.0,
                35.6,
                50.2,
                37.1,
            ],
        }
    )
    spec = funnel_chart(
        funnel(data, numerator="deaths", denominator="expected", group="trust"),
        direction="decrease",
    )
    assert render(spec, "png")[:4] == b"\x89PNG"
    assert "Expected 1" in render(spec, "svg")
