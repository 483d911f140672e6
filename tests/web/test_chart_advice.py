"""The chart qualitas advises for a measure, and when its next data are due."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitas.web.measures import advice, freshness


@pytest.mark.parametrize(
    ("kind", "frequency", "values", "denominators", "chart", "words"),
    [
        ("count", "events", [], [], "g", "days between events"),
        ("count", "weekly", [3, 4, 2], [], "run", "Only 3 points so far"),
        ("value", "monthly", [50.0] * 5, [], "run", "start with a run chart"),
        ("count", "monthly", [0, 0, 1, 0] * 6, [], "g", "Rare events"),
        ("count", "monthly", [5, 7, 6, 4] * 6, [], "c", "c chart"),
        ("count", "monthly", [], [], "c", "c chart"),
        ("proportion", "monthly", [90.0] * 24, [150.0] * 24, "p", "p chart"),
        ("proportion", "monthly", [90.0] * 24, [25_000.0] * 24, "pp", "p′ chart"),
        ("rate", "monthly", [3.0] * 24, [400.0] * 24, "u", "u chart"),
        ("rate", "monthly", [3.0] * 24, [90_000.0] * 24, "up", "u′ chart"),
        ("value", "monthly", [50.0] * 24, [], "xmr", "XmR"),
        ("amount", "quarterly", [], [], "xmr", "XmR"),
    ],
)
def test_the_advice_follows_the_datas_type_and_size(
    kind, frequency, values, denominators, chart, words
):
    a = advice.advise(
        kind=kind, frequency=frequency, values=values, denominators=denominators
    )
    assert a.chart == chart
    assert words in a.reason


def test_rare_monthly_counts_are_advised_to_be_recorded_as_dated_events():
    a = advice.advise(kind="count", frequency="monthly", values=[0] * 20 + [1] * 4)
    assert (a.chart, a.frequency) == ("g", "events")
    assert "20 of 24 periods with none" in a.reason


@given(
    st.sampled_from(["proportion", "rate", "count", "amount", "value"]),
    st.sampled_from(["daily", "weekly", "monthly", "quarterly", "annual"]),
    st.lists(st.floats(0, 1e6), max_size=40),
)
def test_every_measure_gets_a_chart_it_can_draw_and_a_reason(kind, frequency, values):
    a = advice.advise(kind=kind, frequency=frequency, values=values)
    assert a.chart in advice.CHART_NAMES
    assert a.reason.endswith(".")
    # Ratio charts only for ratio measures; rare-event charts only for counts.
    if a.chart in ("p", "pp", "u", "up"):
        assert kind in ("proportion", "rate")
    if a.chart == "g":
        assert kind == "count"


@pytest.mark.parametrize(
    ("frequency", "last", "today", "words"),
    [
        (
            "monthly",
            dt.date(2019, 3, 1),
            dt.date(2025, 9, 30),
            "Data are over 6 years late: last point March 2019",
        ),
        (
            "monthly",
            dt.date(2025, 6, 1),
            dt.date(2025, 9, 30),
            "Data are 1 month late: last point June 2025",
        ),
        ("daily", dt.date(2026, 11, 28), dt.date(2026, 12, 3), "Data are 3 days late"),
        (
            "quarterly",
            dt.date(2025, 4, 1),
            dt.date(2026, 4, 2),
            "Data are 2 quarters late: last point Apr–Jun 2025",
        ),
        ("annual", dt.date(2022, 4, 1), dt.date(2026, 4, 2), "2 years late"),
    ],
)
def test_late_data_are_flagged_in_words(frequency, last, today, words):
    late = freshness.lateness(frequency, last, today=today)
    assert late is not None
    assert words in late.words


def test_data_in_time_and_event_measures_are_never_late():
    assert (
        freshness.lateness("monthly", dt.date(2026, 10, 1), today=dt.date(2026, 12, 31))
        is None
    )
    assert (
        freshness.lateness("events", dt.date(2001, 1, 1), today=dt.date(2026, 12, 3))
        is None
    )
    assert freshness.lateness("monthly", None, today=dt.date(2026, 12, 3)) is None


@given(
    st.sampled_from(["daily", "weekly", "monthly", "quarterly", "annual"]),
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 1, 1)),
    st.integers(0, 800),
)
def test_missing_periods_are_those_whose_due_day_has_passed(frequency, last, days):
    if frequency in ("monthly", "quarterly", "annual"):
        last = last.replace(day=1)
    today = last + dt.timedelta(days=days)
    # The obvious count: step through the periods after the last one.
    expected, period = 0, last
    while freshness.due(frequency, period) <= today:
        expected += 1
        period = period + freshness.STEP[frequency]
    late = freshness.lateness(frequency, last, today=today)
    assert (late.missing if late else 0) == expected
