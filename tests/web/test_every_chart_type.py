"""The web draws every measure on its own chart type: one engine call per type, limits
within what the measure can take, rare events as days between them, run charts'
signals in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualitas.web.measures import engine
from qualitas.web.measures.models import Measure

MONTHS = pd.date_range("2023-01-01", periods=24, freq="MS")


def _measure(pk, chart_type, **fields):
    defaults = {
        "aggregation": "sum",
        "multiplier": 1.0,
        "unit": "cases",
        "decimals": 0,
        "direction": "decrease",
        "frequency": "monthly",
    }
    return Measure(pk=pk, chart_type=chart_type, **{**defaults, **fields})


def _counts(pk, values, periods=MONTHS):
    return pd.DataFrame(
        {
            "measure_id": pk,
            "period": periods[: len(values)],
            "value": np.asarray(values, dtype=float),
            "numerator": np.nan,
            "denominator": np.nan,
        }
    )


def _ratio(pk, numerator, denominator, multiplier):
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    return pd.DataFrame(
        {
            "measure_id": pk,
            "period": MONTHS[: len(numerator)],
            "value": numerator / denominator * multiplier,
            "numerator": numerator,
            "denominator": denominator,
        }
    )


def test_one_engine_call_per_chart_type(monkeypatch):
    calls = []
    real = engine.chart

    def spy(data, **options):
        calls.append((options["chart"], sorted(data["measure_id"].unique())))
        return real(data, **options)

    monkeypatch.setattr(engine, "chart", spy)
    rng = np.random.default_rng(3)
    measures = {
        1: _measure(1, "c"),
        2: _measure(2, "c"),
        3: _measure(3, "run"),
        4: _measure(4, "p", aggregation="ratio", multiplier=100.0, unit="%"),
    }
    frame = pd.concat(
        [
            _counts(1, rng.poisson(5, 24)),
            _counts(2, rng.poisson(9, 24)),
            _counts(3, rng.poisson(4, 12)),
            _ratio(4, rng.binomial(100, 0.8, 24), [100] * 24, 100),
        ]
    )
    charts = engine.run_charts(frame, by="measure_id", measures=measures)
    assert sorted(calls) == [("c", [1, 2]), ("p", [4]), ("run", [3])]
    assert charts.icons["measure_id"].tolist() == [1, 2, 3, 4]
    assert charts.icons["chart"].tolist() == ["c", "c", "run", "p"]


def test_a_p_chart_is_shown_in_percent_and_its_limits_stay_within_0_and_100():
    rng = np.random.default_rng(5)
    denominator = rng.integers(5, 60, 24)
    numerator = np.minimum(rng.binomial(denominator, 0.97), denominator)
    m = _measure(1, "p", aggregation="ratio", multiplier=100.0, unit="%", decimals=1)
    charts = engine.run_charts(
        _ratio(1, numerator, denominator, 100), by="measure_id", measures={1: m}
    )
    p = charts.points
    assert p["value"].to_numpy() == pytest.approx(numerator / denominator * 100)
    assert (p["ucl"] <= 100).all()
    assert (p["lcl"] >= 0).all()
    # The limits vary with each month's denominator.
    assert p["ucl"].nunique() > 1 or (p["ucl"] == 100).all()
    drawn = charts.result_for(1).points
    assert (drawn["ucl"] <= 100).all()


def test_ratio_measures_with_different_multipliers_share_a_call_and_keep_their_scale():
    rng = np.random.default_rng(8)
    den = np.full(24, 9000.0)
    a = rng.poisson(40, 24)
    measures = {
        1: _measure(1, "u", aggregation="ratio", multiplier=1000.0, unit="per 1,000"),
        2: _measure(2, "u", aggregation="ratio", multiplier=1.0, unit="per bed day"),
    }
    frame = pd.concat([_ratio(1, a, den, 1000), _ratio(2, a, den, 1)])
    charts = engine.run_charts(
        frame, by="measure_id", measures=measures, target={1: 4.0, 2: 0.004}
    )
    one, two = (charts.icons.set_index("measure_id").loc[k] for k in (1, 2))
    assert one["cl"] == pytest.approx(two["cl"] * 1000)
    assert one["ucl"] == pytest.approx(two["ucl"] * 1000)
    assert one["target"] == pytest.approx(4.0)
    assert one["assurance"] == two["assurance"]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=15, max_size=30),
    st.sampled_from(["xmr", "c", "run"]),
)
def test_count_limits_are_never_below_zero(counts, chart_type):
    m = _measure(1, chart_type)
    charts = engine.run_charts(
        _counts(1, counts, pd.date_range("2020-01-01", periods=30, freq="MS")),
        by="measure_id",
        measures={1: m},
    )
    lcl = charts.points["lcl"].to_numpy(dtype=float)
    assert not (lcl[np.isfinite(lcl)] < 0).any()


def test_no_events_every_month_against_a_target_of_none_is_meeting_it():
    m = _measure(1, "c")
    charts = engine.run_charts(
        _counts(1, [0] * 24), by="measure_id", measures={1: m}, target={1: 0.0}
    )
    icons = charts.icons.iloc[0]
    assert (icons["lcl"], icons["ucl"]) == (0.0, 0.0)
    assert icons["assurance"] == "pass"
    assert icons["variation"] == "common_cause"


def test_a_zero_target_that_the_process_cannot_reach_is_failing():
    m = _measure(1, "c")
    charts = engine.run_charts(
        _counts(1, [20, 22, 19, 25, 21, 18] * 4),
        by="measure_id",
        measures={1: m},
        target={1: 0.0},
    )
    assert charts.icons.iloc[0]["assurance"] == "fail"


def test_a_g_chart_counts_the_days_between_events_and_longer_gaps_are_better():
    days = pd.to_datetime(
        [
            "2024-01-03",
            "2024-02-10",
            "2024-04-01",
            "2024-07-15",
            "2024-08-01",
            "2024-08-01",
            "2024-09-30",
            "2024-12-24",
        ]
    )
    frame = pd.DataFrame(
        {
            "measure_id": 1,
            "period": days.unique(),
            "value": [1.0, 1, 1, 1, 2, 1, 1],  # two falls with harm on 1 August
        }
    )
    m = _measure(1, "g", frequency="events", unit="falls with harm")
    charts = engine.run_charts(frame, by="measure_id", measures={1: m})
    assert charts.points["value"].tolist() == [38, 51, 105, 17, 0, 60, 85]
    assert charts.icons.iloc[0]["direction"] == "increase"  # fewer falls is better
    assert (charts.points["lcl"] >= 0).all()


def test_event_gaps_keep_each_event_on_its_own_day():
    frame = pd.DataFrame(
        {
            "k": ["a", "a", "b", "b", "b"],
            "period": pd.to_datetime(
                ["2024-01-01", "2024-01-11", "2024-01-01", "2024-01-02", "2024-01-05"]
            ),
            "value": [1.0, 3, 1, 1, 1],
        }
    )
    gaps = engine.event_gaps(frame, by="k")
    assert gaps["k"].tolist() == ["a", "a", "a", "b", "b"]
    assert gaps["value"].tolist() == [10, 0, 0, 1, 3]
    assert gaps["period"].is_unique
    distinct = engine.event_gaps(frame, by="k", distinct_days=True)
    assert distinct["value"].tolist() == [10, 1, 3]


def test_a_run_chart_has_no_icons_and_says_its_signal_in_words():
    values = [5, 6, 5, 7, 6, 5, 6, 7, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
    m = _measure(1, "run", frequency="weekly")
    weeks = pd.date_range("2024-01-01", periods=len(values), freq="W-MON")
    charts = engine.run_charts(
        _counts(1, values, weeks), by="measure_id", measures={1: m}
    )
    icons = charts.icons.iloc[0]
    assert icons["variation"] == ""
    # The median is 2: eight points above it, then points on it or below.
    assert "A run of 8 points above the median: a signal of change." in icons["signal"]
    assert np.isnan(charts.points["ucl"]).all()


def test_a_run_chart_without_a_signal_says_so():
    m = _measure(1, "run", frequency="weekly")
    values = [3, 5, 2, 4, 6, 3, 4, 5, 3, 4, 2, 5, 3, 6]
    weeks = pd.date_range("2024-01-01", periods=len(values), freq="W-MON")
    charts = engine.run_charts(
        _counts(1, values, weeks), by="measure_id", measures={1: m}
    )
    assert charts.icons.iloc[0]["signal"].startswith("No signal of change")


def test_nothing_to_draw_gives_none():
    m = _measure(1, "c")
    empty = _counts(1, [])
    assert engine.run_charts(empty, by="measure_id", measures={1: m}) is None


def test_bounds_follow_the_measures_kind():
    assert engine.bounds(
        _measure(1, "p", aggregation="ratio", multiplier=100.0, unit="%")
    ) == (0.0, 100.0)
    assert engine.bounds(_measure(1, "c")) == (0.0, np.inf)
    assert engine.bounds(
        _measure(1, "xmr", aggregation="mean", decimals=1, unit="score")
    ) == (-np.inf, np.inf)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 400), st.integers(1, 3)),
        min_size=1,
        max_size=30,
        unique_by=lambda t: (t[0], t[1]),
    )
)
def test_event_gaps_add_up_to_the_span_of_each_series(events):
    frame = pd.DataFrame(
        {
            "k": [k for k, _, _ in events],
            "period": pd.Timestamp("2024-01-01")
            + pd.to_timedelta([d for _, d, _ in events], unit="D"),
            "value": [float(n) for _, _, n in events],
        }
    )
    gaps = engine.event_gaps(frame, by="k")
    assert gaps[["k", "period"]].drop_duplicates().shape[0] == len(gaps)
    for k, rows in frame.groupby("k"):
        mine = gaps[gaps["k"] == k]
        # One gap per event after the first; together they span first to last day.
        assert len(mine) == rows["value"].sum() - 1
        span = (rows["period"].max() - rows["period"].min()).days
        assert mine["value"].sum() == span
