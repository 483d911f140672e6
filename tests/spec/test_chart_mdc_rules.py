"""Making Data Count rules and icons on the qicharts2 chart types, chosen by a setting."""

from __future__ import annotations

import pandas as pd
import pytest

from qualitas.spc import Rules, chart

STEADY = [10.0, 12.0, 11.0, 13.0, 10.0, 12.0, 11.0, 13.0, 10.0, 12.0, 13.0, 10.0]


def table(values) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.date_range("2023-01-01", periods=len(values), freq="MS"),
            "value": values,
        }
    )


def test_by_default_there_are_no_special_cause_labels_or_icons():
    result = chart(table(STEADY), chart="i", value="value", period="month")
    assert "special_cause" not in result.points.columns
    assert result.icons is None


def test_a_shift_above_the_mean_is_an_improvement_when_higher_is_better():
    values = [*STEADY, 14.0, 14.5, 14.2, 14.8, 14.1, 14.6, 14.3]
    result = chart(
        table(values),
        chart="i",
        value="value",
        period="month",
        freeze="2023-12-01",
        rules="mdc",
    )
    points = result.points
    assert points["special_cause"].astype(str).tolist()[-7:] == ["shift_high"] * 7
    assert points["point_type"].astype(str).tolist()[-7:] == ["improvement"] * 7
    assert result.icons.loc[0, "variation"] == "improvement_high"
    assert result.summary.loc[0, "improvement"] == 7


def test_a_point_above_the_upper_limit_is_a_concern_when_lower_is_better():
    events = [5.0, 6.0, 4.0, 5.0, 7.0, 5.0, 6.0, 4.0, 5.0, 6.0, 5.0, 30.0]
    data = table(events).assign(patients=100.0)
    result = chart(
        data,
        chart="p",
        value="value",
        denominator="patients",
        period="month",
        rules="mdc",
        direction="decrease",
        target=0.2,
    )
    assert result.points["special_cause"].astype(str).iloc[-1] == "above_upl"
    assert result.points["point_type"].astype(str).iloc[-1] == "concern"
    icons = result.icons.iloc[0]
    assert icons["variation"] == "concern_high"
    # The target (20%) is above the latest upper limit: lower is better, so the
    # process will meet it.
    assert icons["assurance"] == "pass"


def test_rule_lengths_are_settings():
    values = [*STEADY, 14.0, 14.5, 14.2, 14.8, 14.1, 14.6]
    six = chart(
        table(values),
        chart="i",
        value="value",
        period="month",
        freeze="2023-12-01",
        rules=Rules(shift=6),
    )
    seven = chart(
        table(values),
        chart="i",
        value="value",
        period="month",
        freeze="2023-12-01",
        rules="mdc",
    )
    assert six.points["special_cause"].astype(str).iloc[-1] == "shift_high"
    assert seven.points["special_cause"].astype(str).iloc[-1] == "none"
    as_dict = chart(
        table(values),
        chart="i",
        value="value",
        period="month",
        freeze="2023-12-01",
        rules={"shift": 6},
    )
    assert (
        as_dict.points["special_cause"].tolist() == six.points["special_cause"].tolist()
    )


def test_run_charts_take_shift_and_trend_rules_around_the_median():
    values = [5.0, 3.0, 6.0, 4.0, 5.5, 3.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    points = chart(
        table(values), chart="run", value="value", period="month", rules="mdc"
    ).points
    assert points["special_cause"].astype(str).tolist()[-7:] == ["trend_up"] * 7


def test_neutral_direction_gives_neutral_point_types():
    values = [*STEADY, 30.0]
    result = chart(
        table(values),
        chart="i",
        value="value",
        period="month",
        rules="mdc",
        direction="neutral",
    )
    assert result.points["point_type"].astype(str).iloc[-1] == "neutral_high"
    assert result.icons.loc[0, "variation"] == "neutral_high"


@pytest.mark.parametrize("chart_type", ["run", "i", "mr", "c", "g", "t"])
def test_every_chart_type_offers_the_rules(chart_type):
    result = chart(
        table(STEADY), chart=chart_type, value="value", period="month", rules="mdc"
    )
    assert len(result.icons) == 1
    assert set(result.points["special_cause"].astype(str)) <= {
        "none", "above_upl", "below_lpl", "trend_up", "trend_down",
        "two_of_three_high", "two_of_three_low", "shift_high", "shift_low",
    }  # fmt: skip
