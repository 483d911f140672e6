"""Bad input gets a clear error naming the column and rows; doubtful input a warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import xmr


def monthly(values, unit="A", start="2023-01-01"):
    return pd.DataFrame(
        {
            "unit": unit,
            "month": pd.date_range(start, periods=len(values), freq="MS"),
            "y": values,
        }
    )


STEADY = [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 5, 6, 7]


def test_missing_column_is_named():
    with pytest.raises(
        QualitasError, match=r"'rate' not found; the data has 'unit', 'month', 'y'"
    ):
        xmr(monthly(STEADY), value="rate", period="month")


def test_text_in_values_names_the_first_rows():
    data = monthly(STEADY).astype({"y": object})
    data.loc[3, "y"] = "n/a"
    data.loc[8, "y"] = "12%"
    with pytest.raises(
        QualitasError,
        match=r"column 'y' must hold numbers, but rows 5, 10 hold text such as 'n/a'",
    ):
        xmr(data, value="y", period="month")


def test_numbers_written_as_text_and_blanks_are_accepted():
    data = monthly(STEADY).astype({"y": object})
    data["y"] = data["y"].astype(str)
    data.loc[2, "y"] = ""
    points = xmr(data, value="y", period="month").points
    assert np.isnan(points["value"].iloc[2])
    assert points["value"].iloc[0] == 5


def test_unreadable_period_is_reported():
    data = monthly(STEADY)
    data["month"] = data["month"].dt.strftime("%Y-%m-%d")
    data.loc[4, "month"] = "last March"
    with pytest.raises(
        QualitasError,
        match=r"column 'month' must hold dates such as 2024-04-01, but row 6 holds 'last March'",
    ):
        xmr(data, value="y", period="month")


def test_duplicate_period_within_a_series_is_reported():
    data = pd.concat([monthly(STEADY, "A"), monthly(STEADY, "B")], ignore_index=True)
    data.loc[16, "month"] = data.loc[15, "month"]
    with pytest.raises(
        QualitasError,
        match=r"period '2023-02-01.*' appears more than once within a series \(column 'month', rows 17, 18\)",
    ):
        xmr(data, value="y", period="month", by="unit")


def test_same_period_in_different_series_is_fine():
    data = pd.concat([monthly(STEADY, "A"), monthly(STEADY, "B")])
    assert len(xmr(data, value="y", period="month", by="unit").icons) == 2


def test_target_for_an_unknown_series_is_an_error():
    data = pd.concat([monthly(STEADY, "A"), monthly(STEADY, "B")])
    with pytest.raises(
        QualitasError, match=r"target names 1 series not in the data: 'C'"
    ):
        xmr(data, value="y", period="month", by="unit", target={"A": 5, "C": 6})


def test_rebase_for_an_unknown_series_is_an_error():
    data = monthly(STEADY)
    with pytest.raises(QualitasError, match="part names 1 series not in the data"):
        xmr(data, value="y", period="month", by="unit", part={"Z": ["2023-06-01"]})


def test_per_series_setting_needs_by_columns():
    with pytest.raises(QualitasError, match="no `by` columns"):
        xmr(monthly(STEADY), value="y", period="month", target={"A": 5})


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5, True])
def test_fix_after_below_two_or_not_whole_is_an_error(bad):
    with pytest.raises(
        QualitasError, match="fix_after must be a whole number of at least 2"
    ):
        xmr(monthly(STEADY), value="y", period="month", fix_after=bad)


def test_unknown_direction_is_an_error():
    with pytest.raises(
        QualitasError, match="direction must be 'increase', 'decrease' or 'neutral'"
    ):
        xmr(monthly(STEADY), value="y", period="month", direction="up")


def test_rule_lengths_are_checked():
    with pytest.raises(
        QualitasError, match=r"rules\.shift must be a whole number of at least 2"
    ):
        xmr(monthly(STEADY), value="y", period="month", rules={"shift": 1})
    with pytest.raises(QualitasError, match="unknown rule setting 'run'"):
        xmr(monthly(STEADY), value="y", period="month", rules={"run": 6})


def test_empty_data_is_an_error():
    with pytest.raises(QualitasError, match="no rows"):
        xmr(monthly([]), value="y", period="month")


def test_short_segment_warns_and_is_flagged():
    with pytest.warns(QualitasWarning, match="1 phase has fewer than 13 points"):
        result = xmr(monthly([5, 6, 7, 5, 6]), value="y", period="month")
    assert result.points["trial_limits"].all()
    assert any("trial limits" in w for w in result.warnings)


def test_missing_month_warns():
    data = monthly(STEADY).drop(index=[5])
    with pytest.warns(
        QualitasWarning,
        match=r"1 gap in the periods of 1 series: at least one month is missing in series unit=A between 2023-05-01",
    ):
        xmr(data, value="y", period="month", by="unit")


def test_complete_monthly_series_raises_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = xmr(monthly(STEADY), value="y", period="month")
    assert result.warnings == ()


def test_arrow_tables_are_accepted():
    table = pa.Table.from_pandas(monthly(STEADY))
    result = xmr(table, value="y", period="month", by="unit")
    assert result.icons["unit"].tolist() == ["A"]


def test_whole_number_periods_are_accepted():
    data = pd.DataFrame({"week": range(1, 15), "y": STEADY})
    assert xmr(data, value="y", period="week").points["period"].tolist() == list(
        range(1, 15)
    )
