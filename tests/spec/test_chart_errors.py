"""Bad input gets a clear error that names the column and the rows to fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.spc import chart


def rates(events, patients) -> pd.DataFrame:
    return pd.DataFrame(
        {"month": range(1, len(events) + 1), "events": events, "patients": patients}
    )


@pytest.mark.parametrize("chart_type", ["p", "pp", "u", "up"])
def test_negative_counts_are_refused(chart_type):
    data = rates([3.0, -1.0, 4.0], [10.0, 10.0, 10.0])
    with pytest.raises(
        QualitasError, match=r"column 'events' has negative counts in row 3"
    ):
        chart(
            data,
            chart=chart_type,
            value="events",
            denominator="patients",
            period="month",
        )


@pytest.mark.parametrize("chart_type", ["c", "g"])
def test_negative_counts_are_refused_without_denominators(chart_type):
    data = rates([3.0, 2.0, -4.0], [1.0, 1.0, 1.0])
    with pytest.raises(QualitasError, match=r"negative counts in row 4"):
        chart(data, chart=chart_type, value="events", period="month")


@pytest.mark.parametrize("chart_type", ["p", "pp"])
def test_numerators_above_denominators_are_refused_for_proportions(chart_type):
    data = rates([3.0, 12.0, 4.0, 20.0], [10.0, 10.0, 10.0, 10.0])
    with pytest.raises(
        QualitasError,
        match=r"'events' is larger than its denominator 'patients' in rows 3, 5",
    ):
        chart(
            data,
            chart=chart_type,
            value="events",
            denominator="patients",
            period="month",
        )


def test_rates_may_exceed_one():
    data = rates([3.0, 12.0, 4.0, 20.0], [10.0, 10.0, 10.0, 10.0])
    result = chart(
        data, chart="u", value="events", denominator="patients", period="month"
    )
    assert result.points["value"].iloc[1] == 1.2


@pytest.mark.parametrize("chart_type", ["p", "u", "i"])
def test_zero_denominators_are_refused(chart_type):
    data = rates([3.0, 0.0, 4.0], [10.0, 0.0, 10.0])
    with pytest.raises(
        QualitasError,
        match=r"column 'patients' has denominators of zero or less in row 3",
    ):
        chart(
            data,
            chart=chart_type,
            value="events",
            denominator="patients",
            period="month",
        )


def test_missing_denominators_with_a_value_are_refused():
    data = rates([3.0, 2.0, 4.0], [10.0, np.nan, 10.0])
    with pytest.raises(
        QualitasError, match=r"column 'patients' has no denominator in row 3"
    ):
        chart(data, chart="p", value="events", denominator="patients", period="month")


def test_a_period_with_neither_value_nor_denominator_is_a_missing_point():
    data = rates([3.0, np.nan, 4.0, 5.0], [10.0, np.nan, 10.0, 10.0])
    points = chart(
        data, chart="p", value="events", denominator="patients", period="month"
    ).points
    assert np.isnan(points["value"].iloc[1])
    assert np.isnan(points["ucl"].iloc[1])


def test_proportion_charts_need_a_denominator():
    with pytest.raises(QualitasError, match="needs a denominator"):
        chart(rates([1.0], [2.0]), chart="p", value="events", period="month")


def test_count_charts_take_no_denominator():
    with pytest.raises(QualitasError, match="use a U chart"):
        chart(
            rates([1.0], [2.0]),
            chart="c",
            value="events",
            denominator="patients",
            period="month",
        )


def test_times_between_events_must_be_positive():
    data = pd.DataFrame({"event": [1, 2, 3], "days": [4.0, 0.0, 7.0]})
    with pytest.raises(
        QualitasError, match=r"'days' has times of zero or less in row 3"
    ):
        chart(data, chart="t", value="days", period="event")


@pytest.mark.parametrize("chart_type", ["i", "mr", "t", "pp", "up"])
def test_moving_range_charts_need_two_subgroups_in_each_phase(chart_type):
    data = rates([3.0, 4.0, 5.0, 6.0], [10.0, 10.0, 10.0, 10.0])
    denominator = "patients" if chart_type in {"pp", "up"} else None
    with pytest.raises(
        QualitasError,
        match=r"at least 2 baseline subgroups with a value in each phase; phase 2 \(from 4\) has 1",
    ):
        chart(
            data,
            chart=chart_type,
            value="events",
            denominator=denominator,
            period="month",
            part=[4],
        )


def test_the_error_names_the_series_that_is_too_short():
    data = pd.DataFrame(
        {
            "ward": ["A", "A", "A", "B"],
            "month": [1, 2, 3, 1],
            "falls": [1.0, 2.0, 3.0, 4.0],
        }
    )
    with pytest.raises(QualitasError, match=r"series ward=B, phase 1 \(from 1\) has 1"):
        chart(data, chart="i", value="falls", period="month", by="ward")


def test_a_baseline_with_only_missing_values_is_too_short():
    data = rates([np.nan, np.nan, 4.0, 5.0], [1.0, 1.0, 1.0, 1.0])
    with pytest.raises(QualitasError, match="has 0"):
        chart(data, chart="c", value="events", period="month", freeze=2)


def test_xbar_charts_need_several_observations_per_period():
    data = rates([3.0, 4.0, 5.0], [1.0, 1.0, 1.0])
    with pytest.raises(QualitasError, match="needs several observations per period"):
        chart(data, chart="xbar", value="events", period="month")


def test_unknown_chart_types_are_named():
    with pytest.raises(
        QualitasError,
        match="chart must be one of run, i, mr, xbar, s, p, pp, u, up, c, g, t, xmr, not 'np'",
    ):
        chart(rates([1.0], [2.0]), chart="np", value="events", period="month")


def test_part_and_freeze_together_are_refused():
    with pytest.raises(QualitasError, match="either part or freeze"):
        chart(
            rates([1.0, 2.0], [2.0, 2.0]),
            chart="run",
            value="events",
            period="month",
            part=[2],
            freeze=1,
        )


def test_a_part_that_is_not_a_column_is_named():
    with pytest.raises(QualitasError, match="part 'stage' is not a column"):
        chart(
            rates([1.0, 2.0], [2.0, 2.0]),
            chart="run",
            value="events",
            period="month",
            part="stage",
        )


def test_settings_for_unknown_series_are_named():
    data = pd.DataFrame({"ward": ["A", "A"], "month": [1, 2], "falls": [1.0, 2.0]})
    with pytest.raises(
        QualitasError, match="exclude names 1 series not in the data: 'Z'"
    ):
        chart(
            data,
            chart="run",
            value="falls",
            period="month",
            by="ward",
            exclude={"Z": [1]},
        )


def test_periods_in_settings_must_look_like_the_data_periods():
    data = pd.DataFrame(
        {
            "month": pd.date_range("2024-01-01", periods=3, freq="MS"),
            "falls": [1.0, 2.0, 3.0],
        }
    )
    with pytest.raises(QualitasError, match="exclude period 'soon' is not a date"):
        chart(data, chart="run", value="falls", period="month", exclude=["soon"])


def test_text_in_the_value_column_is_named():
    data = pd.DataFrame({"month": [1, 2], "falls": ["1", "two"]})
    with pytest.raises(
        QualitasError,
        match=r"column 'falls' must hold numbers, but row 3 holds text such as 'two'",
    ):
        chart(data, chart="c", value="falls", period="month")


@pytest.mark.parametrize("multiply", [0, -1, "100"])
def test_multiply_must_be_positive(multiply):
    with pytest.raises(
        QualitasError, match="multiply must be a number greater than zero"
    ):
        chart(
            rates([1.0], [2.0]),
            chart="run",
            value="events",
            period="month",
            multiply=multiply,
        )


def test_unknown_rules_are_named():
    with pytest.raises(QualitasError, match="rules must be 'anhoej' or 'mdc'"):
        chart(
            rates([1.0], [2.0]),
            chart="run",
            value="events",
            period="month",
            rules="western_electric",
        )
