"""Infinite and absurdly large values: an error naming the column and rows, or, when
asked, missing values with a warning. Never NaN limits for a whole series.

Run on every engine: a batch on Spark must refuse the same input the same way.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from qualitas.errors import QualitasError, QualitasWarning
from qualitas.spc import ChartRequest, chart, funnel, xmr
from qualitas.spc.chart import CHART_TYPES

STEADY = [5.0, 6.0, 5.0, 7.0, 6.0, 5.0, 6.0, 7.0, 6.0, 5.0, 6.0, 5.0, 6.0, 7.0]


def wards(values_a, values_b=STEADY) -> pd.DataFrame:
    """Two wards, weekly; ward A's values as given."""
    return pd.DataFrame(
        {
            "ward": ["A"] * len(values_a) + ["B"] * len(values_b),
            "week": [*range(len(values_a)), *range(len(values_b))],
            "falls": [*values_a, *values_b],
            "beds": 20.0,
        }
    )


def with_infinity(at=(3,), sign=1.0) -> pd.DataFrame:
    values = list(STEADY)
    for i in at:
        values[i] = sign * np.inf
    return wards(values)


def test_an_infinite_value_stops_xmr_naming_column_and_rows(engine):
    request = ChartRequest.build(
        chart="xmr", value="falls", period="week", by=("ward",)
    )
    with pytest.raises(QualitasError, match=r"column 'falls' has infinite values"):
        engine.compute(with_infinity(at=(3, 9), sign=-1.0), request)


def test_the_message_names_the_input_rows_and_the_option():
    with pytest.raises(
        QualitasError,
        match=r"'falls' has infinite values in rows 5, 11, often the result of "
        r"dividing by zero.*infinite='missing'",
    ):
        xmr(with_infinity(at=(3, 9)), value="falls", period="week", by="ward")


CHARTS_WITHOUT_DENOMINATOR = [c for c in CHART_TYPES if c not in {"p", "pp", "u", "up"}]


@pytest.mark.parametrize("chart_type", CHART_TYPES)
def test_an_infinite_value_stops_every_chart_type(chart_type):
    needs = chart_type in {"p", "pp", "u", "up"}
    with pytest.raises(QualitasError, match=r"column 'falls' has infinite values"):
        chart(
            with_infinity(),
            chart=chart_type,
            value="falls",
            denominator="beds" if needs else None,
            period="week",
            by="ward",
        )


@pytest.mark.parametrize("chart_type", ["p", "u"])
def test_an_infinite_denominator_stops_the_chart(chart_type):
    data = wards(STEADY)
    data.loc[5, "beds"] = np.inf
    with pytest.raises(
        QualitasError, match=r"column 'beds' has infinite values in row 7"
    ):
        chart(data, chart=chart_type, value="falls", denominator="beds", period="week")


def test_infinite_values_as_missing_give_the_limits_of_the_rest(engine):
    request = ChartRequest.build(
        chart="xmr", value="falls", period="week", by=("ward",), infinite="missing"
    )
    got = engine.compute(with_infinity(at=(3,)), request)
    values = list(STEADY)
    values[3] = np.nan
    expected = LocalXmr.compute(wards(values), request)
    a = got.points[got.points["ward"] == "A"]
    assert np.isnan(a["value"].iloc[3])
    assert np.isfinite(a["ucl"]).all()
    pd.testing.assert_frame_equal(got.points, expected.points)
    assert any(
        "infinite values in row 5: treated as missing" in w for w in got.warnings
    )


@pytest.mark.parametrize("chart_type", ["i", "c", "run", "xbar"])
def test_infinite_values_as_missing_on_qicharts_types(engine, chart_type):
    request = ChartRequest(
        chart=chart_type, value="falls", period="week", by=("ward",), infinite="missing"
    )
    data = with_infinity(at=(2,))
    if chart_type == "xbar":  # subgroups: two rows a week
        data = pd.concat([data, data.assign(falls=data["falls"] + 1)])
        data = data.reset_index(drop=True)
    values = data["falls"].where(np.isfinite(data["falls"]))
    got = engine.compute(data, request)
    expected = LocalXmr.compute(data.assign(falls=values), request)
    pd.testing.assert_frame_equal(got.points, expected.points)
    assert any("treated as missing" in w for w in got.warnings)
    assert got.points["cl"].notna().all()


def test_the_warning_reaches_python_callers():
    with pytest.warns(QualitasWarning, match=r"infinite values in row 5"):
        xmr(
            with_infinity(at=(3,)),
            value="falls",
            period="week",
            by="ward",
            infinite="missing",
        )


def test_infinity_in_text_cells_is_caught_too():
    data = wards(STEADY).astype({"falls": object})
    data.loc[1, "falls"] = "inf"
    with pytest.raises(QualitasError, match=r"'falls' has infinite values in row 3"):
        xmr(data, value="falls", period="week", by="ward")


def test_numbers_too_large_to_chart_are_refused():
    # 1e200 squared overflows: the limits would silently be NaN.
    data = wards([*STEADY[:-1], 1e200])
    with pytest.raises(QualitasError, match=r"numbers too large to chart in row 15"):
        xmr(data, value="falls", period="week", by="ward", infinite="missing")


def test_a_ratio_that_overflows_is_refused():
    data = wards(STEADY)
    data.loc[4, "beds"] = 1e-320
    with pytest.raises(
        QualitasError, match=r"'falls' divided by 'beds' is too large to chart in row 6"
    ):
        chart(
            data, chart="u", value="falls", denominator="beds", period="week", by="ward"
        )


def test_large_but_sensible_values_are_charted():
    data = wards([v * 1e12 for v in STEADY])  # pounds spent by a whole system
    result = xmr(data, value="falls", period="week", by="ward")
    assert np.isfinite(result.points["ucl"]).all()


def test_an_unknown_infinite_setting_is_an_error():
    with pytest.raises(QualitasError, match=r"infinite must be 'error' or 'missing'"):
        ChartRequest.build(chart="xmr", value="falls", period="week", infinite="drop")
    with pytest.raises(QualitasError, match=r"infinite must be 'error' or 'missing'"):
        ChartRequest(chart="i", value="falls", period="week", infinite=None)


def test_funnels_refuse_infinities_in_the_same_words():
    data = pd.DataFrame(
        {
            "trust": list("ABCDE"),
            "deaths": [3.0, 4.0, np.inf, 2.0, 5.0],
            "expected": 4.0,
        }
    )
    with pytest.raises(
        QualitasError,
        match=r"column 'deaths' has infinite values in row 4, often the result of "
        r"dividing by zero; correct them or leave the cells empty$",
    ):
        funnel(data, numerator="deaths", denominator="expected", group="trust")


def test_infinite_targets_and_centre_lines_are_refused():
    with pytest.raises(QualitasError, match=r"target must be a number between"):
        xmr(wards(STEADY), value="falls", period="week", by="ward", target=np.inf)
    with pytest.raises(QualitasError, match=r"cl must be a number between"):
        chart(
            wards(STEADY),
            chart="i",
            value="falls",
            period="week",
            cl=-np.inf,
            by="ward",
        )
    with pytest.raises(QualitasError, match=r"multiply must be a number greater"):
        chart(wards(STEADY), chart="i", value="falls", period="week", multiply=np.inf)


def test_no_warning_without_infinities():
    with warnings.catch_warnings():
        warnings.simplefilter("error", QualitasWarning)
        xmr(wards(STEADY), value="falls", period="week", by="ward", infinite="missing")


class LocalXmr:
    """The local engine's answer, to compare another engine's with."""

    @staticmethod
    def compute(frame, request):
        from qualitas.engines.local import LocalEngine

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QualitasWarning)
            return LocalEngine().compute(frame, request)
