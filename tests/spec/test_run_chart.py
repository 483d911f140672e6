"""Run charts and Anhøj's rules, as small tables: data in, centre line and signals out.

Each test is one call of ``chart(...)`` on a small table and assertions on the
result, so the same tables can run on every engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import chart


def table(values, **columns) -> pd.DataFrame:
    return pd.DataFrame({"week": range(1, len(values) + 1), "value": values, **columns})


def test_centre_line_is_the_median_and_there_are_no_limits():
    result = chart(table([3, 9, 4, 7, 5]), chart="run", value="value", period="week")
    points = result.points
    assert points["cl"].tolist() == [5.0] * 5
    for line in ("lcl", "ucl", "lcl_95", "ucl_95"):
        assert points[line].isna().all()
    assert not points["sigma_signal"].any()


def test_median_of_an_even_number_of_points_is_the_mean_of_the_middle_two():
    result = chart(table([1, 2, 10, 20]), chart="run", value="value", period="week")
    assert result.points["cl"].iloc[0] == 6.0


@pytest.mark.parametrize(
    ("n", "longest_max", "crossings_min"),
    [
        (10, 6, 2),
        (12, 7, 3),
        (20, 7, 6),
        (24, 8, 8),
        (30, 8, 10),
        (50, 9, 19),
        (100, 10, 41),
    ],
)
def test_critical_values_depend_on_the_number_of_useful_points(
    n, longest_max, crossings_min
):
    values = np.tile([1.0, 3.0], n // 2)  # alternating: n useful points, no signal
    result = chart(table(values), chart="run", value="value", period="week")
    phase = result.summary.iloc[0]
    assert phase["n_useful"] == n
    assert phase["longest_run_max"] == longest_max
    assert phase["n_crossings_min"] == crossings_min
    assert not phase["runs_signal"]


def test_longest_run_equal_to_its_maximum_is_not_a_signal():
    # Sides around the fixed centre 5: six below, then + - + +.
    values = [1, 2, 3, 4, 1, 2, 8, 3, 9, 8]
    phase = chart(
        table(values), chart="run", value="value", period="week", cl=5
    ).summary.iloc[0]
    assert (phase["longest_run"], phase["longest_run_max"]) == (6, 6)
    assert phase["n_crossings"] == 3
    assert not phase["runs_signal"]


def test_longest_run_above_its_maximum_is_a_signal():
    values = [1, 2, 3, 4, 1, 2, 3, 8, 9, 8]  # seven below 5
    result = chart(table(values), chart="run", value="value", period="week", cl=5)
    phase = result.summary.iloc[0]
    assert phase["longest_run"] == 7
    assert phase["runs_signal"]
    assert result.points["runs_signal"].all()


def test_too_few_crossings_is_a_signal():
    # 1..10 around the median 5.5: five below then five above, one crossing.
    phase = chart(
        table(range(1, 11)), chart="run", value="value", period="week"
    ).summary.iloc[0]
    assert (phase["longest_run"], phase["n_crossings"], phase["n_crossings_min"]) == (
        5,
        1,
        2,
    )
    assert phase["runs_signal"]


def test_points_on_the_centre_line_and_missing_values_are_not_useful():
    values = [1, 5, 9, np.nan, 5, 2, 8]
    phase = chart(
        table(values), chart="run", value="value", period="week"
    ).summary.iloc[0]
    assert phase["n_obs"] == 7  # missing values are observations
    assert phase["n_useful"] == 4  # neither they nor points on the median are useful
    # The points on the median neither break nor extend runs: - + | - + -> 3 crossings.
    assert phase["n_crossings"] == 3


def test_excluded_points_are_left_out_of_the_median_and_the_runs_analysis():
    values = [1, 2, 3, 100, 4, 5]
    result = chart(
        table(values), chart="run", value="value", period="week", exclude=[4]
    )
    assert result.points["cl"].iloc[0] == 3.0
    assert result.points["include"].tolist() == [True, True, True, False, True, True]
    assert result.summary.loc[0, "n_obs"] == 5


def test_each_phase_has_its_own_median_and_runs_analysis():
    values = [1, 3, 2, 4, 11, 13, 12, 14]
    result = chart(table(values), chart="run", value="value", period="week", part=[5])
    assert result.points["phase"].tolist() == [1] * 4 + [2] * 4
    assert result.points["cl"].tolist() == [2.5] * 4 + [12.5] * 4
    assert result.summary["phase"].tolist() == [1, 2]
    assert result.summary["n_useful"].tolist() == [4, 4]


def test_a_column_of_labels_starts_a_phase_where_the_label_changes():
    labels = ["before"] * 4 + ["after"] * 4
    data = table([1, 3, 2, 4, 11, 13, 12, 14], stage=labels)
    result = chart(data, chart="run", value="value", period="week", part="stage")
    assert result.points["phase"].tolist() == [1] * 4 + [2] * 4
    assert result.points["cl"].tolist() == [2.5] * 4 + [12.5] * 4


def test_a_frozen_baseline_fixes_the_median_but_later_points_count_in_the_runs():
    values = [1, 3, 2, 4, 1, 3, 10, 11, 12, 13, 14, 15, 16, 17]
    result = chart(table(values), chart="run", value="value", period="week", freeze=6)
    assert result.points["cl"].unique().tolist() == [2.5]
    assert result.points["baseline"].tolist() == [True] * 6 + [False] * 8
    phase = result.summary.iloc[0]
    assert (phase["n_useful"], phase["longest_run"], phase["longest_run_max"]) == (
        14,
        9,
        7,
    )
    assert phase["runs_signal"]


def test_several_rows_per_period_are_averaged():
    data = pd.DataFrame({"week": [1, 1, 2, 2, 3], "value": [1.0, 3.0, 4.0, 8.0, 5.0]})
    points = chart(data, chart="run", value="value", period="week").points
    assert points["value"].tolist() == [2.0, 6.0, 5.0]
    assert points["observations"].tolist() == [2, 2, 1]
    assert points["total"].tolist() == [4.0, 12.0, 5.0]


def test_every_series_gets_its_own_chart():
    data = pd.DataFrame(
        {
            "ward": ["A"] * 4 + ["B"] * 4,
            "week": [1, 2, 3, 4] * 2,
            "value": [1, 2, 3, 4, 10, 30, 20, 40],
        }
    )
    result = chart(data, chart="run", value="value", period="week", by="ward")
    assert result.points.groupby("ward", observed=True)["cl"].first().tolist() == [
        2.5,
        25.0,
    ]
    assert result.summary["ward"].tolist() == ["A", "B"]
