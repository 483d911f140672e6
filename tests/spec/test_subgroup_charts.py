"""Xbar and S charts as small tables of measurements: several rows per period."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import chart

SUBGROUPS = [
    [74.03, 74.00, 73.99, 74.01],
    [73.99, 74.02, 74.00, 73.98],
    [74.01, 74.00, 74.02, 74.03],
    [73.98, 74.01, 74.00, 73.99],
    [74.00, 74.03, 74.01, 74.02],
]


def table(groups) -> pd.DataFrame:
    rows = [(day, x) for day, group in enumerate(groups, start=1) for x in group]
    return pd.DataFrame(rows, columns=["day", "diameter"])


def c4(n: int) -> float:
    return math.sqrt(2 / (n - 1)) * math.exp(
        math.lgamma(n / 2) - math.lgamma((n - 1) / 2)
    )


def test_xbar_chart_of_equal_subgroups_uses_the_mean_sd_and_a3():
    points = chart(
        table(SUBGROUPS), chart="xbar", value="diameter", period="day"
    ).points
    grand = statistics.fmean(x for g in SUBGROUPS for x in g)
    s_bar = statistics.fmean(statistics.stdev(g) for g in SUBGROUPS)
    a3 = 3 / (c4(4) * math.sqrt(4))
    assert points["value"].tolist() == pytest.approx(
        [statistics.fmean(g) for g in SUBGROUPS]
    )
    assert points["cl"].iloc[0] == pytest.approx(grand)
    assert points["ucl"].iloc[0] == pytest.approx(grand + a3 * s_bar)
    assert points["lcl"].iloc[0] == pytest.approx(grand - a3 * s_bar)


def test_s_chart_of_equal_subgroups():
    points = chart(table(SUBGROUPS), chart="s", value="diameter", period="day").points
    s_bar = statistics.fmean(statistics.stdev(g) for g in SUBGROUPS)
    k = math.sqrt(1 - c4(4) ** 2) / c4(4)
    assert points["value"].tolist() == pytest.approx(
        [statistics.stdev(g) for g in SUBGROUPS]
    )
    assert points["cl"].iloc[0] == pytest.approx(s_bar)
    assert points["ucl"].iloc[0] == pytest.approx((1 + 3 * k) * s_bar)
    assert points["lcl"].iloc[0] == pytest.approx(max(0.0, 1 - 3 * k) * s_bar)


def test_unequal_subgroups_pool_the_sd_and_a_subgroup_of_one_has_no_limits():
    groups = [SUBGROUPS[0], SUBGROUPS[1][:3], [74.0], SUBGROUPS[3], SUBGROUPS[4][:2]]
    points = chart(table(groups), chart="xbar", value="diameter", period="day").points
    n = [len(g) for g in groups]
    grand = sum(sum(g) for g in groups) / sum(n)
    pooled = math.sqrt(
        sum((len(g) - 1) * statistics.variance(g) for g in groups if len(g) > 1)
        / sum(k - 1 for k in n)
    )
    assert points["cl"].iloc[0] == pytest.approx(grand)
    for i, size in enumerate(n):
        if size == 1:
            assert np.isnan(points["ucl"].iloc[i])
        else:
            assert points["ucl"].iloc[i] == pytest.approx(
                grand + 3 / (c4(size) * math.sqrt(size)) * pooled
            )
    assert points["observations"].tolist() == n
