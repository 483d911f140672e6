"""Periods and columns the engine cannot use: a QualitasError saying what is wrong,
never a traceback from pandas or a silently wrong number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.spc import chart, funnel, xmr

VALUES = [5.0, 6.0, 5.0, 7.0, 6.0, 5.0, 6.0, 7.0, 6.0, 5.0, 6.0, 5.0, 6.0, 7.0]


def data(periods) -> pd.DataFrame:
    return pd.DataFrame({"month": periods, "y": VALUES[: len(periods)]})


def test_text_periods_with_mixed_utc_offsets_are_refused():
    # British local times written with offsets: summer months +01:00, winter +00:00.
    periods = [
        f"2024-{m:02d}-01T00:00:00{'+01:00' if 4 <= m <= 10 else '+00:00'}"
        for m in range(1, 13)
    ]
    with pytest.raises(
        QualitasError,
        match=r"column 'month' mixes dates with different UTC offsets: "
        r"'2024-01-01T00:00:00\+00:00' \(offset \+00:00\) in row 2 and "
        r"'2024-04-01T00:00:00\+01:00' \(offset \+01:00\) in row 5",
    ):
        xmr(data(periods), value="y", period="month")


def test_dates_with_and_without_an_offset_are_refused():
    periods = ["2024-01-01", "2024-02-01T00:00:00+01:00", "2024-03-01"]
    with pytest.raises(QualitasError, match=r"no offset\) in row 2 and .*in row 3"):
        chart(data(periods), chart="run", value="y", period="month")


def test_one_offset_throughout_is_read_as_the_wall_clock_dates():
    periods = [f"2024-{m:02d}-01T00:00:00+01:00" for m in range(1, 13)]
    points = xmr(data(periods), value="y", period="month").points
    assert points["period"].iloc[0] == pd.Timestamp("2024-01-01")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (np.inf, "row 14 is infinite"),
        (-np.inf, "row 14 is infinite"),
        (1e300, "row 14 is too large to be a period"),
        (2.0**60, "row 14 is too large to be a period"),
    ],
)
def test_float_periods_that_are_not_usable_whole_numbers_are_refused(bad, words):
    periods = [float(i) for i in range(12)] + [bad]
    with pytest.raises(QualitasError, match=rf"column 'month' .*{words}"):
        xmr(data(periods), value="y", period="month")


def test_unsigned_periods_too_large_for_a_key_are_refused():
    periods = np.array([*range(12), 2**64 - 1], dtype=np.uint64)
    with pytest.raises(QualitasError, match=r"row 14 is too large to be a period"):
        xmr(data(periods), value="y", period="month")


def test_far_apart_whole_number_periods_keep_their_order():
    # The step from the first to the second wraps round int64 to a positive number,
    # which made the rows look sorted already.
    high, low = 2**62 + 2**61, -(2**62)
    frame = pd.DataFrame(
        {"month": np.array([high, low, 0], dtype=np.int64), "y": [3.0, 1.0, 2.0]}
    )
    points = chart(frame, chart="run", value="y", period="month").points
    assert points["period"].tolist() == [low, 0, high]
    assert points["value"].tolist() == [1.0, 2.0, 3.0]


def test_dates_beyond_the_nanosecond_range_are_refused():
    periods = pd.Series(
        np.array(["2024-01-01", "2024-02-01", "9999-03-01"], dtype="datetime64[s]")
    )
    with pytest.raises(QualitasError, match=r"dates outside the years 1678 to 2261"):
        xmr(data(periods), value="y", period="month")


def test_periods_beyond_the_nanosecond_range_are_refused():
    periods = pd.Series(pd.period_range("9998-11", periods=3, freq="M"))
    with pytest.raises(QualitasError, match=r"dates outside the years 1678 to 2261"):
        chart(data(periods), chart="i", value="y", period="month")


def test_a_column_named_twice_is_refused():
    frame = data(list(range(12)))
    frame = pd.concat([frame, frame[["y"]] * 2], axis=1)
    with pytest.raises(
        QualitasError, match=r"column 'y' appears more than once in the data"
    ):
        xmr(frame, value="y", period="month")
    with pytest.raises(QualitasError, match=r"column 'y' appears more than once"):
        chart(frame, chart="c", value="y", period="month")


def test_a_repeated_column_the_chart_does_not_read_is_harmless():
    frame = data(list(range(12))).assign(note="a")
    frame = pd.concat([frame, frame[["note"]]], axis=1)
    assert len(xmr(frame, value="y", period="month").points) == 12


def test_a_funnel_with_a_column_named_twice_is_refused():
    frame = pd.DataFrame(
        [["A", 3, 4.0, 1], ["B", 4, 4.0, 1], ["C", 5, 4.0, 1]],
        columns=["trust", "deaths", "expected", "deaths"],
    )
    with pytest.raises(QualitasError, match=r"column 'deaths' appears more than once"):
        funnel(frame, numerator="deaths", denominator="expected", group="trust")
