"""XmR spec tables, run on every engine.

Each test is an input table, a request and the expected limits, labels and icons,
worked out by hand from the method (docs/methods/xmr.md). The ``engine`` fixture runs
each one locally and on Spark; ``needs`` marks the few features an engine may lack.
"""

from __future__ import annotations

import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.spc import ChartRequest
from tests.spec.tables import column, table

# Ward A alternates 1, 3: mean 2, every moving range 2, limits 2 -/+ 2.66 x 2.
# Ward B sits at 2 then jumps to 9: the one moving range of 7 is screened out (it is
# above 3.267 x the mean moving range), leaving limits equal to the mean.
WARDS = table(
    """
    ward | week | falls
    A    | 1    | 1
    A    | 2    | 3
    A    | 3    | 1
    A    | 4    | 3
    A    | 5    | 1
    A    | 6    | 3
    A    | 7    | 1
    A    | 8    | 3
    A    | 9    | 1
    A    | 10   | 3
    A    | 11   | 1
    A    | 12   | 3
    B    | 1    | 2
    B    | 2    | 2
    B    | 3    | 2
    B    | 4    | 2
    B    | 5    | 2
    B    | 6    | 2
    B    | 7    | 2
    B    | 8    | 2
    B    | 9    | 2
    B    | 10   | 2
    B    | 11   | 2
    B    | 12   | 9
    """
)


def test_each_series_gets_its_own_limits_and_labels(engine):
    request = ChartRequest.build(
        chart="xmr",
        value="falls",
        period="week",
        by=("ward",),
        direction={"B": "decrease"},
        target={"A": 8},
    )
    result = engine.compute(WARDS, request)

    assert column(result.summary, "ward") == ["A", "B"]
    assert column(result.summary, "cl") == pytest.approx([2.0, 31 / 12])
    assert column(result.summary, "lcl") == pytest.approx([2 - 2.66 * 2, 31 / 12])
    assert column(result.summary, "ucl") == pytest.approx([2 + 2.66 * 2, 31 / 12])
    assert column(result.summary, "improvement") == [0, 11]
    assert column(result.summary, "concern") == [0, 1]
    assert column(result.points, "period") == list(range(1, 13)) * 2
    assert column(result.points, "special_cause") == ["none"] * 12 + [
        "below_lpl"
    ] * 11 + ["above_upl"]
    assert column(result.points, "point_type")[-2:] == ["improvement", "concern"]
    # A's target of 8 is above its upper limit: with increase better, it will be missed.
    assert column(result.icons, "variation") == ["common_cause", "concern_high"]
    assert column(result.icons, "assurance") == ["fail", None]
    assert column(result.icons, "direction") == ["increase", "decrease"]


def test_series_named_by_several_columns_and_settings_keyed_by_tuples(engine):
    data = pd.concat(
        [
            WARDS.assign(site="North"),
            WARDS.assign(site="South", falls=WARDS["falls"] * 2),
        ]
    )
    request = ChartRequest.build(
        chart="xmr",
        value="falls",
        period="week",
        by=("site", "ward"),
        target={("South", "A"): -7.0},
    )
    result = engine.compute(data, request)

    assert column(result.icons, "site") == ["North", "North", "South", "South"]
    assert column(result.icons, "ward") == ["A", "B", "A", "B"]
    assert column(result.icons, "cl") == pytest.approx([2.0, 31 / 12, 4.0, 31 / 6])
    # South A: -7 is below its lower limit (4 - 2.66 x 4 = -6.64), so with increase
    # better the target is always met.
    assert column(result.icons, "assurance") == [None, None, "pass", None]
    assert column(result.points, "target")[24:26] == [-7.0, -7.0]


def test_rebase_dates_per_series_start_new_segments(engine):
    data = table(
        """
        unit | month      | rate
        X    | 2024-01-01 | 5
        X    | 2024-02-01 | 6
        X    | 2024-03-01 | 5
        X    | 2024-04-01 | 20
        X    | 2024-05-01 | 21
        X    | 2024-06-01 | 20
        Y    | 2024-01-01 | 5
        Y    | 2024-02-01 | 6
        Y    | 2024-03-01 | 5
        Y    | 2024-04-01 | 20
        Y    | 2024-05-01 | 21
        Y    | 2024-06-01 | 20
        """
    )
    request = ChartRequest.build(
        chart="xmr",
        value="rate",
        period="month",
        by=("unit",),
        part={"X": ["2024-04-01"]},
    )
    result = engine.compute(data, request)

    assert column(result.summary, "unit") == ["X", "X", "Y"]
    assert column(result.summary, "phase") == [1, 2, 1]
    assert column(result.summary, "cl") == pytest.approx([16 / 3, 61 / 3, 77 / 6])
    assert column(result.summary, "n_obs") == [3, 3, 6]
    assert [d.strftime("%Y-%m") for d in result.summary["start"]] == [
        "2024-01",
        "2024-04",
        "2024-01",
    ]
    assert column(result.points, "phase")[:6] == [1, 1, 1, 2, 2, 2]


def test_missing_values_are_shown_but_not_used(engine):
    data = table(
        """
        week | count
        1    | 4
        2    |
        3    | 6
        4    | 4
        5    | 6
        """
    )
    result = engine.compute(
        data, ChartRequest.build(chart="xmr", value="count", period="week")
    )

    assert column(result.points, "value") == [4.0, None, 6.0, 4.0, 6.0]
    # Moving ranges need both neighbours: 2 and 2 remain; the mean skips the gap.
    assert column(result.summary, "cl") == [5.0]
    assert column(result.summary, "ucl") == pytest.approx([5 + 2.66 * 2])
    assert column(result.points, "special_cause") == ["none"] * 5


@pytest.mark.parametrize(
    ("setting", "value"),
    [("target", {"Z": 3.0}), ("direction", {"Z": "decrease"}), ("part", {"Z": [3]})],
)
def test_a_setting_for_a_series_not_in_the_data_is_an_error(engine, setting, value):
    request = ChartRequest.build(
        chart="xmr", value="falls", period="week", by=("ward",), **{setting: value}
    )
    with pytest.raises(
        QualitasError, match=rf"{setting} names 1 series not in the data: 'Z'"
    ):
        engine.compute(WARDS, request)


def test_a_period_twice_in_a_series_is_an_error(engine):
    data = pd.concat([WARDS, WARDS.iloc[[5]]], ignore_index=True)
    with pytest.raises(
        QualitasError, match="period '6' appears more than once within a series"
    ):
        engine.compute(
            data,
            ChartRequest.build(chart="xmr", value="falls", period="week", by=("ward",)),
        )


def test_a_missing_column_is_named(engine):
    with pytest.raises(QualitasError, match="column 'beds' not found"):
        engine.compute(
            WARDS,
            ChartRequest.build(chart="xmr", value="beds", period="week", by=("ward",)),
        )


@pytest.mark.needs("row_numbers_in_errors")
def test_errors_name_the_rows_of_the_input(engine):
    data = WARDS.astype({"falls": object})
    data.loc[14, "falls"] = "n/a"
    with pytest.raises(
        QualitasError,
        match=r"column 'falls' must hold numbers, but row 16 holds text such as 'n/a'",
    ):
        engine.compute(
            data,
            ChartRequest.build(chart="xmr", value="falls", period="week", by=("ward",)),
        )


@pytest.mark.needs("whole_table_warnings")
def test_one_warning_for_all_short_segments(engine):
    result = engine.compute(
        WARDS,
        ChartRequest.build(chart="xmr", value="falls", period="week", by=("ward",)),
    )
    assert result.warnings == (
        "2 phases have fewer than 13 points: their limits are trial limits, "
        "to be revised as more data arrive.",
    )


def test_short_segments_are_flagged_on_every_engine(engine):
    result = engine.compute(
        WARDS,
        ChartRequest.build(chart="xmr", value="falls", period="week", by=("ward",)),
    )
    assert column(result.summary, "trial_limits") == [True, True]
    assert any("fewer than 13 points" in w for w in result.warnings)


@pytest.mark.needs("categorical_key_order")
def test_categorical_series_keep_their_level_order(engine):
    data = WARDS.assign(ward=pd.Categorical(WARDS["ward"], categories=["B", "A"]))
    result = engine.compute(
        data,
        ChartRequest.build(chart="xmr", value="falls", period="week", by=("ward",)),
    )
    assert column(result.icons, "ward") == ["B", "A"]
