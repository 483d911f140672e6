"""qicharts2's qic() arguments that change the numbers, as small hand-computed tables:
a centre line given per period (``cl`` as a column), ``y.neg = FALSE``
(``negative_limits``), ``agg.fun`` (``aggregate``) and a categorical x
(``categorical``). Each runs on every engine (the ``engine`` fixture)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.spc import chart
from tests.spec.tables import chart_on, table

D2 = 1.128


def test_a_centre_line_column_gives_each_period_its_own_centre(engine):
    data = table("""
        day | value | centre
        1   | 1     | 2
        2   | 2     | 2
        3   | 3     | 2
        4   | 4     | 4
        5   | 5     | 4
    """)
    points = chart_on(
        engine, data, chart="i", value="value", period="day", cl="centre"
    ).points
    assert points["cl"].tolist() == [2.0, 2.0, 2.0, 4.0, 4.0]
    # Moving ranges of the distances from the centre (-1, 0, 1, 0, 1) are all 1.
    sigma = 1 / D2
    assert points["ucl"].tolist() == pytest.approx(
        [2 + 3 * sigma] * 3 + [4 + 3 * sigma] * 2
    )
    assert points["lcl_95"].tolist() == pytest.approx(
        [2 - 2 * sigma] * 3 + [4 - 2 * sigma] * 2
    )


def test_a_phase_with_any_period_lacking_a_centre_line_computes_its_own(engine):
    data = table("""
        day | value | centre
        1   | 1     | 10
        2   | 2     |
        3   | 3     | 10
        4   | 4     | 10
    """)
    points = chart_on(
        engine, data, chart="c", value="value", period="day", cl="centre", part=[3]
    ).points
    assert points["cl"].tolist() == [1.5, 1.5, 10.0, 10.0]


def test_a_t_chart_takes_a_given_centre_line_on_the_transformed_scale(engine):
    days = [3.0, 10.0, 4.0, 8.0, 20.0, 6.0]
    data = pd.DataFrame({"event": range(1, 7), "days": days})
    points = chart_on(
        engine, data, chart="t", value="days", period="event", cl=2.0
    ).points
    assert points["cl"].tolist() == pytest.approx([2.0**3.6] * 6)
    root = [d ** (1 / 3.6) for d in days]
    amr = np.mean(np.abs(np.diff(np.array(root) - 2.0)))
    assert points["ucl"].tolist() == pytest.approx([(2 + 3 * amr / D2) ** 3.6] * 6)


def test_lower_limits_stay_at_zero_when_no_value_is_negative(engine):
    data = table("""
        ward | day | value
        A    | 1   | 1
        A    | 2   | 9
        A    | 3   | 1
        A    | 4   | 9
        B    | 1   | -1
        B    | 2   | 9
        B    | 3   | 1
        B    | 4   | 9
    """)
    arguments = {"chart": "i", "value": "value", "period": "day", "by": "ward"}
    free = chart_on(engine, data, **arguments).points
    kept = chart_on(engine, data, negative_limits=False, **arguments).points
    a, b = kept["ward"] == "A", kept["ward"] == "B"
    # A: centre 5, sigma 8 / 1.128, so both lower lines are below zero: kept at 0.
    assert free.loc[a, "lcl"].iloc[0] == pytest.approx(5 - 3 * 8 / D2)
    assert kept.loc[a, "lcl"].tolist() == [0.0] * 4
    assert kept.loc[a, "lcl_95"].tolist() == [0.0] * 4
    assert kept.loc[a, "ucl"].tolist() == free.loc[a, "ucl"].tolist()
    # B has a negative value: its limits are left as they are.
    assert kept.loc[b, "lcl"].tolist() == free.loc[b, "lcl"].tolist()
    assert kept.loc[b, "lcl"].iloc[0] < 0


def test_negative_limits_are_the_default_as_in_qicharts2():
    data = pd.DataFrame({"day": [1, 2, 3, 4], "value": [1.0, 9.0, 1.0, 9.0]})
    points = chart(data, chart="i", value="value", period="day").points
    assert (points["lcl"] < 0).all()


def test_the_sd_of_one_value_per_period_is_missing():
    data = pd.DataFrame({"day": [1, 2, 3], "value": [1.0, 2.0, 4.0]})
    with pytest.raises(
        QualitasError, match="at least 1 baseline subgroup with a value"
    ):
        chart(data, chart="run", value="value", period="day", aggregate="sd")


@pytest.mark.parametrize("aggregate", ["sum", "mean", "median", "sd"])
def test_a_period_with_no_value_stays_missing_whatever_the_aggregate(aggregate):
    data = pd.DataFrame(
        {
            "day": [1, 1, 2, 2, 3, 3, 4, 4],
            "value": [1.0, 2.0, np.nan, np.nan, 4.0, 6.0, 3.0, 3.0],
        }
    )
    points = chart(
        data, chart="run", value="value", period="day", aggregate=aggregate
    ).points
    assert math.isnan(points["value"].iloc[1])


def test_an_unknown_aggregate_is_refused_when_the_request_is_made():
    with pytest.raises(QualitasError, match="aggregate must be one of"):
        chart(
            pd.DataFrame({"d": [1], "v": [1.0]}),
            chart="run",
            value="v",
            period="d",
            aggregate="max",
        )


UNITS = table("""
    trust | deaths | patients
    Leeds | 30     | 200
    Bath  | 12     | 100
    York  | 50     | 250
    Hull  | 20     | 200
    Derby | 15     | 150
""")


def test_a_p_prime_chart_over_units_uses_the_sd_of_the_standardised_values(engine):
    points = chart_on(
        engine,
        UNITS,
        chart="pp",
        value="deaths",
        denominator="patients",
        period="trust",
        categorical=True,
    ).points
    # One point per unit, in name order, names kept as text.
    assert points["period"].tolist() == ["Bath", "Derby", "Hull", "Leeds", "York"]
    ordered = UNITS.sort_values("trust")
    y = (ordered["deaths"] / ordered["patients"]).to_numpy()
    n = ordered["patients"].to_numpy()
    p = 127 / 900
    sigma = np.sqrt(p * (1 - p) / n)
    sigma_z = np.std((y - p) / sigma, ddof=1)
    assert points["cl"].tolist() == pytest.approx([p] * 5)
    assert points["ucl"].tolist() == pytest.approx(p + 3 * sigma * sigma_z)
    assert points["lcl_95"].tolist() == pytest.approx(p - 2 * sigma * sigma_z)


def test_units_in_name_order_never_give_a_runs_signal(engine):
    # Twelve units whose rates rise with the name: a long run in time order.
    data = pd.DataFrame(
        {
            "unit": [f"U{i:02d}" for i in range(12)],
            "events": [5, 6, 5, 6, 5, 6, 30, 31, 30, 31, 30, 31],
            "exposure": [100] * 12,
        }
    )
    arguments = {"chart": "up", "value": "events", "denominator": "exposure"}
    units = chart_on(engine, data, period="unit", categorical=True, **arguments)
    assert not units.points["runs_signal"].any()
    assert int(units.summary["longest_run"].iloc[0]) == 6  # still reported
    times = chart_on(engine, data.assign(month=range(12)), period="month", **arguments)
    assert times.points["runs_signal"].all()


def test_units_can_be_excluded_by_name(engine):
    points = chart_on(
        engine,
        UNITS,
        chart="p",
        value="deaths",
        denominator="patients",
        period="trust",
        categorical=True,
        exclude=["York"],
    ).points
    assert points["include"].tolist() == [True, True, True, True, False]
    assert points["cl"].iloc[0] == pytest.approx(77 / 650)


def test_a_unit_without_a_value_is_refused_on_a_prime_chart():
    data = UNITS.copy()
    data.loc[2, ["deaths", "patients"]] = np.nan
    with pytest.raises(QualitasError, match="York"):
        chart(
            data,
            chart="pp",
            value="deaths",
            denominator="patients",
            period="trust",
            categorical=True,
        )


def test_making_data_count_rules_are_refused_over_units():
    with pytest.raises(QualitasError, match="shifts and trends over time"):
        chart(
            UNITS,
            chart="p",
            value="deaths",
            denominator="patients",
            period="trust",
            categorical=True,
            rules="mdc",
        )


def test_a_unit_named_in_a_setting_must_be_in_the_data():
    with pytest.raises(
        QualitasError, match="exclude unit 'Bristol' is not in the data"
    ):
        chart(
            UNITS,
            chart="p",
            value="deaths",
            denominator="patients",
            period="trust",
            categorical=True,
            exclude=["Bristol"],
        )
