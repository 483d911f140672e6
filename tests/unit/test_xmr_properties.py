"""The vectorised XmR kernel agrees with the plain per-series implementation on random
series: ties, constant runs, missing values, rebases, fixed baselines, short series and
every rule setting."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualitas.spc import Rules, xmr
from tests.unit import reference_xmr as ref

values = st.one_of(
    st.none(),
    st.integers(0, 6).map(float),  # small integers: ties and points on the mean
    st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 1)),
)


@st.composite
def series(draw):
    n = draw(st.integers(1, 30))
    vals = draw(st.lists(values, min_size=n, max_size=n))
    if draw(st.booleans()):  # a strictly monotone stretch, to exercise trends
        start = draw(st.integers(0, n - 1))
        step = draw(st.sampled_from([1.0, -1.0]))
        for k in range(start, min(n, start + draw(st.integers(2, 10)))):
            vals[k] = 10.0 + step * (k - start)
    if draw(st.booleans()):  # a constant run
        start = draw(st.integers(0, n - 1))
        for k in range(start, min(n, start + draw(st.integers(2, 8)))):
            vals[k] = 3.0
    rebases = sorted(draw(st.sets(st.integers(0, n - 1), max_size=3)))
    return vals, rebases


@st.composite
def workloads(draw):
    return {
        "series": draw(st.lists(series(), min_size=1, max_size=4)),
        "fix_after": draw(st.one_of(st.none(), st.integers(2, 15))),
        "screen": draw(st.booleans()),
        "rules": Rules(
            shift=draw(st.integers(2, 9)),
            trend=draw(st.integers(2, 9)),
            two_of_three=draw(st.booleans()),
            two_of_three_beyond_limits=draw(st.booleans()),
        ),
        "direction": draw(st.sampled_from(["increase", "decrease", "neutral"])),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workloads())
def test_vectorised_kernel_equals_the_per_series_reference(w):
    months = pd.date_range("2020-01-01", periods=40, freq="MS")
    rows = []
    rebase = {}
    for s, (vals, rebases) in enumerate(w["series"]):
        for k, v in enumerate(vals):
            rows.append(
                {"unit": f"u{s}", "month": months[k], "y": np.nan if v is None else v}
            )
        rebase[f"u{s}"] = [months[k] for k in rebases]
    data = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter
    result = xmr(
        data,
        value="y",
        period="month",
        by="unit",
        direction=w["direction"],
        part=rebase,
        fix_after=w["fix_after"],
        screen_outliers=w["screen"],
        rules=w["rules"],
    )
    r = w["rules"]
    expected_labels, expected_types, means, lpls, upls, numbers = [], [], [], [], [], []
    for vals, rebases in w["series"]:
        cuts = sorted({0, *rebases, len(vals)})
        number = 1  # phases are numbered from 1 in every series
        for a, b in itertools.pairwise(cuts):
            m, lo, hi, labels = ref.segment(
                vals[a:b],
                fix_after=w["fix_after"],
                screen=w["screen"],
                shift=r.shift,
                trend=r.trend,
                two_of_three=r.two_of_three,
                beyond=r.two_of_three_beyond_limits,
            )
            expected_labels += labels
            expected_types += [ref.point_type(lab, w["direction"]) for lab in labels]
            means += [m] * (b - a)
            lpls += [lo] * (b - a)
            upls += [hi] * (b - a)
            numbers += [number] * (b - a)
            number += 1
    points = result.points
    assert points["special_cause"].astype(str).tolist() == expected_labels
    assert points["point_type"].astype(str).tolist() == expected_types
    assert points["phase"].tolist() == numbers
    for col, exp in [("cl", means), ("lcl", lpls), ("ucl", upls)]:
        got = points[col].to_numpy()
        exp = np.asarray(exp)
        assert np.allclose(got, exp, rtol=1e-12, atol=1e-12, equal_nan=True), col


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=40),
    st.floats(0, 100),
)
def test_limits_are_symmetric_and_every_row_of_a_segment_shares_them(vals, target):
    data = pd.DataFrame({"t": range(len(vals)), "y": vals})
    points = xmr(data, value="y", period="t", target=target).points
    assert points["cl"].nunique(dropna=False) == 1
    width_up = points["ucl"] - points["cl"]
    width_down = points["cl"] - points["lcl"]
    assert np.allclose(width_up, width_down, equal_nan=True)
    assert (width_up.dropna() >= 0).all()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-1000, 1000, allow_nan=False), min_size=1, max_size=40))
def test_improvement_for_increase_is_concern_for_decrease(vals):
    data = pd.DataFrame({"t": range(len(vals)), "y": vals})
    up = (
        xmr(data, value="y", period="t", direction="increase")
        .points["point_type"]
        .astype(str)
    )
    down = (
        xmr(data, value="y", period="t", direction="decrease")
        .points["point_type"]
        .astype(str)
    )
    swap = {
        "improvement": "concern",
        "concern": "improvement",
        "common_cause": "common_cause",
    }
    assert down.tolist() == [swap[v] for v in up]
    assert not any(math.isnan(v) for v in vals)
