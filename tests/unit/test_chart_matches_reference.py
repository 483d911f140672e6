"""The vectorised chart engine agrees with a per-series loop implementation.

Hypothesis generates a few series (shuffled, with missing values, repeated periods,
phases, a frozen baseline, exclusions) for every chart type; the engine computes all
series in one call and must give what ``qic_reference`` gives one series at a time,
or refuse the data exactly when the reference finds a phase too short.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from qualitas.errors import QualitasError
from qualitas.spc import chart
from tests.unit import qic_reference as ref

CHARTS = ["run", "i", "mr", "xbar", "s", "p", "pp", "u", "up", "c", "g", "t"]
RATIOS = {"p", "pp", "u", "up"}
MIN_SUBGROUPS = {"i": 2, "mr": 2, "t": 2, "pp": 2, "up": 2}


@st.composite
def requests(draw):
    kind = draw(st.sampled_from(CHARTS))
    has_denominator = kind in RATIOS or (
        kind in {"run", "i", "mr"} and draw(st.booleans())
    )
    rows = []
    subgroups = kind in {"xbar", "s"}
    for name in ["A", "B", "C"][: draw(st.integers(1, 2 if subgroups else 3))]:
        size = 8 if subgroups else 14
        periods = draw(
            st.lists(st.integers(1, 20), min_size=2, max_size=size, unique=True)
        )
        for period in periods:
            if subgroups:
                repeats = draw(st.integers(1, 4))
            else:
                repeats = draw(st.sampled_from([1, 1, 1, 1, 2, 3]))
            for _ in range(repeats):
                rows.append((name, period, *draw(observation(kind, has_denominator))))
    rows = draw(st.permutations(rows))
    part = draw(st.sampled_from([None, None, None, 5, 8, 12]))
    freeze = (
        None if part is not None else draw(st.sampled_from([None, None, 6, 10, 15]))
    )
    return {
        "chart": kind,
        "rows": rows,
        "has_denominator": has_denominator,
        "part": part,
        "freeze": freeze,
        "exclude": draw(st.lists(st.integers(1, 20), max_size=2, unique=True)),
        "multiply": draw(st.sampled_from([1, 100])),
        "screen": draw(st.booleans()),
    }


@st.composite
def observation(draw, kind, has_denominator):
    if draw(st.integers(0, 9)) == 0:
        return (math.nan, math.nan)  # a missing point
    if kind in {"p", "pp"}:
        n = draw(st.integers(1, 30))
        return (float(draw(st.integers(0, n))), float(n))
    if kind in {"u", "up"}:
        return (float(draw(st.integers(0, 40))), float(draw(st.integers(1, 30))))
    if kind in {"c", "g"}:
        return (float(draw(st.integers(0, 25))), math.nan)
    if kind == "t":
        return (float(draw(st.integers(1, 90))) + 0.5, math.nan)
    value = float(draw(st.integers(-5, 20)))
    return (value, float(draw(st.integers(1, 9))) if has_denominator else math.nan)


def too_short(req, groups, phase_of) -> bool:
    """Does some phase's baseline lack the subgroups its limits need?"""
    kind = req["chart"]
    for k in set(phase_of):
        usable = 0
        for g, p in zip(groups, phase_of, strict=True):
            if p != k or g["period"] in req["exclude"]:
                continue
            if req["freeze"] is not None and g["period"] > req["freeze"]:
                continue
            if kind in {"xbar", "s"}:
                usable += g["observations"] > 1
            else:
                usable += not ref.isnan(g["value"])
        if usable < (1 if kind in {"xbar", "s"} else MIN_SUBGROUPS.get(kind, 1)):
            return True
    return False


def close(actual, expected, what):
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    ok = np.isclose(a, e, rtol=1e-9, atol=1e-12) | (np.isnan(a) & np.isnan(e))
    assert ok.all(), f"{what}: got {a[~ok].tolist()}, expected {e[~ok].tolist()}"


@settings(
    max_examples=int(os.environ.get("QUALITAS_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(requests())
def test_engine_matches_the_per_series_reference(req):
    data = pd.DataFrame(req["rows"], columns=["unit", "week", "value", "n"])
    expected_points, expected_phases, short = [], [], False
    for name in sorted(data["unit"].unique()):
        rows = [(w, v, n) for u, w, v, n in req["rows"] if u == name]
        groups = ref.subgroups(rows, req["has_denominator"])
        if too_short(req, groups, ref.phase_numbers(groups, req["part"])):
            short = True
            continue
        points, phases = ref.chart_one_series(
            rows,
            chart=req["chart"],
            has_denominator=req["has_denominator"],
            phase_start=req["part"],
            freeze=req["freeze"],
            exclude=set(req["exclude"]),
            multiply=req["multiply"],
            screen=req["screen"],
        )
        expected_points += [{"unit": name, **p} for p in points]
        expected_phases += [{"unit": name, **p} for p in phases]

    def run():
        return chart(
            data,
            chart=req["chart"],
            value="value",
            period="week",
            denominator="n" if req["has_denominator"] else None,
            by="unit",
            part=None if req["part"] is None else [req["part"]],
            freeze=req["freeze"],
            exclude=req["exclude"] or None,
            multiply=req["multiply"],
            screen_outliers=req["screen"],
        )

    event(f"{req['chart']} {'refused' if short else 'compared'}")
    if short:
        with pytest.raises(QualitasError, match="needs"):
            run()
        return
    result = run()
    points = result.points
    expected = pd.DataFrame(expected_points)
    assert points["unit"].astype(str).tolist() == expected["unit"].tolist()
    assert points["period"].tolist() == expected["period"].tolist()
    assert points["phase"].tolist() == expected["phase"].tolist()
    for column in ("value", "cl", "lcl", "ucl", "lcl_95", "ucl_95"):
        close(points[column], expected[column], column)
    for column in ("include", "baseline", "sigma_signal", "runs_signal"):
        assert points[column].tolist() == expected[column].tolist(), column

    summary = result.summary
    phases = pd.DataFrame(expected_phases)
    assert summary["phase"].tolist() == phases["phase"].tolist()
    for column in ("n_obs", "n_useful", "runs_signal"):
        assert summary[column].tolist() == phases[column].tolist(), column
    for column in ("longest_run", "longest_run_max", "n_crossings", "n_crossings_min"):
        ours = [None if pd.isna(v) else int(v) for v in summary[column]]
        theirs = [
            None if pd.isna(v) else int(v)
            for v in phases.get(column, pd.Series([None] * len(phases)))
        ]
        assert ours == theirs, column


def test_the_reference_critical_values_match_the_published_table():
    from tests.parity.oracle import oracle_dir

    table = pd.read_csv(oracle_dir() / "qicharts" / "anhoej_critical_values.csv")
    for n, longest, crossings in table.itertuples(index=False):
        assert ref.longest_run_max(n) == longest
        assert ref.crossings_min(n) == crossings
