"""P, P′, U, U′ and C charts as small tables: data in, limits and signals out."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import chart

EVENTS = [12.0, 15.0, 9.0, 20.0, 14.0, 11.0, 17.0, 13.0]
PATIENTS = [100.0, 120.0, 80.0, 150.0, 110.0, 90.0, 130.0, 100.0]


def table(events=EVENTS, patients=PATIENTS) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.date_range("2024-01-01", periods=len(events), freq="MS"),
            "events": events,
            "patients": patients,
        }
    )


def moving_range_sigma(z) -> float:
    ranges = [abs(b - a) for a, b in itertools.pairwise(z)]
    amr = statistics.fmean(ranges)
    kept = [r for r in ranges if r < 3.267 * amr]
    return statistics.fmean(kept) / 1.128


def test_p_chart_pools_the_baseline_and_limits_vary_with_the_denominator():
    points = chart(
        table(), chart="p", value="events", period="month", denominator="patients"
    ).points
    p = sum(EVENTS) / sum(PATIENTS)
    assert points["value"].tolist() == pytest.approx(
        [e / n for e, n in zip(EVENTS, PATIENTS, strict=False)]
    )
    assert points["cl"].iloc[0] == pytest.approx(p)
    for i, n in enumerate(PATIENTS):
        sigma = math.sqrt(p * (1 - p) / n)
        assert points["ucl"].iloc[i] == pytest.approx(p + 3 * sigma)
        assert points["lcl"].iloc[i] == pytest.approx(max(0.0, p - 3 * sigma))
        assert points["lcl_95"].iloc[i] == pytest.approx(max(0.0, p - 2 * sigma))


def test_p_chart_limits_stay_between_zero_and_one():
    points = chart(
        table([1.0, 0.0, 3.0], [4.0, 4.0, 4.0]),
        chart="p",
        value="events",
        period="month",
        denominator="patients",
    ).points
    assert (points["lcl"] == 0).all()
    assert (points["ucl"] == 1).all()


def test_percentages_multiply_the_proportions():
    points = chart(
        table(),
        chart="p",
        value="events",
        period="month",
        denominator="patients",
        multiply=100,
    ).points
    assert points["cl"].iloc[0] == pytest.approx(100 * sum(EVENTS) / sum(PATIENTS))


def test_laney_p_prime_widens_limits_by_sigma_z():
    points = chart(
        table(), chart="pp", value="events", period="month", denominator="patients"
    ).points
    p = sum(EVENTS) / sum(PATIENTS)
    sigma = [math.sqrt(p * (1 - p) / n) for n in PATIENTS]
    z = [(e / n - p) / s for e, n, s in zip(EVENTS, PATIENTS, sigma, strict=False)]
    sigma_z = moving_range_sigma(z)
    for i in range(len(EVENTS)):
        assert points["ucl"].iloc[i] == pytest.approx(p + 3 * sigma[i] * sigma_z)


def test_u_chart_rates_per_unit_of_exposure():
    points = chart(
        table(), chart="u", value="events", period="month", denominator="patients"
    ).points
    u = sum(EVENTS) / sum(PATIENTS)
    for i, n in enumerate(PATIENTS):
        assert points["ucl"].iloc[i] == pytest.approx(u + 3 * math.sqrt(u / n))
        assert points["lcl"].iloc[i] == pytest.approx(
            max(0.0, u - 3 * math.sqrt(u / n))
        )


def test_laney_u_prime_widens_limits_by_sigma_z():
    points = chart(
        table(), chart="up", value="events", period="month", denominator="patients"
    ).points
    u = sum(EVENTS) / sum(PATIENTS)
    sigma = [math.sqrt(u / n) for n in PATIENTS]
    z = [(e / n - u) / s for e, n, s in zip(EVENTS, PATIENTS, sigma, strict=False)]
    sigma_z = moving_range_sigma(z)
    assert points["ucl"].iloc[3] == pytest.approx(u + 3 * sigma[3] * sigma_z)


def test_c_chart_counts_with_poisson_limits():
    counts = [4.0, 6.0, 3.0, 5.0, 7.0, 4.0, 5.0, 18.0]
    data = pd.DataFrame({"week": range(1, 9), "falls": counts})
    points = chart(data, chart="c", value="falls", period="week").points
    c = statistics.fmean(counts)
    assert points["ucl"].iloc[0] == pytest.approx(c + 3 * math.sqrt(c))
    assert points["lcl"].iloc[0] == 0.0
    assert points["sigma_signal"].tolist() == [False] * 7 + [True]


def test_c_chart_adds_up_several_rows_of_a_period():
    data = pd.DataFrame(
        {"week": [1, 1, 2, 3, 3], "falls": [2.0, 3.0, 4.0, 1.0, np.nan]}
    )
    points = chart(data, chart="c", value="falls", period="week").points
    assert points["value"].tolist() == [5.0, 4.0, 1.0]


def test_a_lone_missing_count_stays_missing():
    data = pd.DataFrame({"week": [1, 2, 3, 4], "falls": [2.0, np.nan, 4.0, 3.0]})
    points = chart(data, chart="c", value="falls", period="week").points
    assert np.isnan(points["value"].iloc[1])
    assert points["cl"].iloc[0] == 3.0


def test_several_rows_of_a_period_pool_numerators_and_denominators():
    data = pd.DataFrame(
        {
            "month": [1, 1, 2, 2],
            "events": [1.0, 3.0, 2.0, 2.0],
            "patients": [10.0, 30.0, 5.0, 15.0],
        }
    )
    points = chart(
        data, chart="p", value="events", period="month", denominator="patients"
    ).points
    assert points["value"].tolist() == [0.1, 0.2]
    assert points["denominator"].tolist() == [40.0, 20.0]
