"""Settings per series, several key columns, other table types, and subgroup summaries.

The first tests run on every engine (the ``engine`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qualitas.spc import chart
from tests.spec.tables import chart_on

WARDS = pd.DataFrame(
    {
        "site": ["North"] * 8 + ["South"] * 8,
        "ward": ["A"] * 4 + ["B"] * 4 + ["A"] * 4 + ["B"] * 4,
        "week": [1, 2, 3, 4] * 4,
        "falls": [
            1.0,
            3.0,
            2.0,
            6.0,
            4.0,
            4.0,
            8.0,
            0.0,
            5.0,
            7.0,
            6.0,
            2.0,
            3.0,
            9.0,
            3.0,
            1.0,
        ],
    }
)


def test_settings_can_differ_per_series(engine):
    data = WARDS[WARDS["site"] == "North"]
    result = chart_on(
        engine,
        data,
        chart="c",
        value="falls",
        period="week",
        by="ward",
        cl={"A": 2.0},
        exclude={"B": [4]},
        target={"A": 1.0, "B": 5.0},
    )
    points = result.points
    a, b = points[points["ward"] == "A"], points[points["ward"] == "B"]
    assert a["cl"].unique().tolist() == [2.0]  # fixed for A
    assert b["cl"].unique().tolist() == [16 / 3]  # B's mean without week 4
    assert b["include"].tolist() == [True, True, True, False]
    assert a["target"].unique().tolist() == [1.0]
    assert b["target"].unique().tolist() == [5.0]


def test_phases_and_baselines_can_differ_per_series(engine):
    data = WARDS[WARDS["site"] == "North"]
    phased = chart_on(
        engine,
        data,
        chart="run",
        value="falls",
        period="week",
        by="ward",
        part={"B": [3]},
    )
    assert phased.points["phase"].tolist() == [1, 1, 1, 1, 1, 1, 2, 2]
    frozen = chart_on(
        engine,
        data,
        chart="run",
        value="falls",
        period="week",
        by="ward",
        freeze={"A": 2},
    )
    assert frozen.points["baseline"].tolist() == [True, True, False, False] + [True] * 4
    assert frozen.points["cl"].tolist()[:4] == [2.0] * 4


def test_several_key_columns_name_a_series(engine):
    result = chart_on(
        engine, WARDS, chart="c", value="falls", period="week", by=["site", "ward"]
    )
    assert result.summary[["site", "ward"]].astype(str).values.tolist() == [
        ["North", "A"],
        ["North", "B"],
        ["South", "A"],
        ["South", "B"],
    ]
    keyed = chart_on(
        engine,
        WARDS,
        chart="c",
        value="falls",
        period="week",
        by=["site", "ward"],
        cl={("South", "B"): 4.0},
    )
    assert keyed.points["cl"].tolist()[-4:] == [4.0] * 4


def test_arrow_tables_give_the_same_result():
    from_pandas = chart(
        WARDS, chart="i", value="falls", period="week", by=["site", "ward"]
    )
    from_arrow = chart(
        pa.table(WARDS), chart="i", value="falls", period="week", by=["site", "ward"]
    )
    pd.testing.assert_frame_equal(from_pandas.points, from_arrow.points)


def test_unsorted_rows_give_the_same_result():
    shuffled = WARDS.sample(frac=1.0, random_state=3)
    ordered = chart(WARDS, chart="i", value="falls", period="week", by=["site", "ward"])
    mixed = chart(
        shuffled, chart="i", value="falls", period="week", by=["site", "ward"]
    )
    pd.testing.assert_frame_equal(ordered.points, mixed.points)


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("mean", [2.0, 5.0]),
        ("median", [1.5, 5.0]),
        ("sum", [8.0, 10.0]),
        ("sd", [np.std([1.0, 1.0, 2.0, 4.0], ddof=1), 0.0]),
    ],
)
def test_subgroups_can_be_summarised_other_ways(aggregate, expected):
    data = pd.DataFrame(
        {"day": [1, 1, 1, 1, 2, 2], "minutes": [1.0, 1.0, 2.0, 4.0, 5.0, 5.0]}
    )
    points = chart(
        data, chart="run", value="minutes", period="day", aggregate=aggregate
    ).points
    assert points["value"].tolist() == pytest.approx(expected)


def test_dates_as_text_are_read_as_dates():
    data = pd.DataFrame(
        {"month": ["2024-01-01", "2024-02-01", "2024-03-01"], "falls": [1.0, 2.0, 3.0]}
    )
    result = chart(
        data, chart="c", value="falls", period="month", exclude=["2024-02-01"]
    )
    assert pd.api.types.is_datetime64_any_dtype(result.points["period"])
    assert result.points["include"].tolist() == [True, False, True]
