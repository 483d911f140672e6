"""I, MR, T and G charts as small tables: data in, limits and signals out."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import chart

VALUES = [10.0, 12.0, 11.0, 13.0, 12.0, 14.0, 13.0, 12.0, 11.0, 13.0]


def table(values) -> pd.DataFrame:
    return pd.DataFrame({"day": range(1, len(values) + 1), "value": values})


def mean_moving_range(values) -> float:
    return statistics.fmean(abs(b - a) for a, b in itertools.pairwise(values))


def test_i_chart_limits_are_three_sigma_from_the_mean_moving_range():
    points = chart(table(VALUES), chart="i", value="value", period="day").points
    cl = statistics.fmean(VALUES)
    sigma = mean_moving_range(VALUES) / 1.128
    assert points["cl"].iloc[0] == pytest.approx(cl, rel=1e-12)
    assert points["ucl"].iloc[0] == pytest.approx(cl + 3 * sigma, rel=1e-12)
    assert points["lcl"].iloc[0] == pytest.approx(cl - 3 * sigma, rel=1e-12)
    assert points["ucl_95"].iloc[0] == pytest.approx(cl + 2 * sigma, rel=1e-12)
    assert points["lcl_95"].iloc[0] == pytest.approx(cl - 2 * sigma, rel=1e-12)


def test_large_moving_ranges_are_screened_out_before_the_limits():
    values = [10.0, 11.0, 10.0, 11.0, 10.0, 40.0, 10.0, 11.0, 10.0, 11.0]
    screened = chart(table(values), chart="i", value="value", period="day").points
    raw = chart(
        table(values), chart="i", value="value", period="day", screen_outliers=False
    ).points
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    amr = statistics.fmean(ranges)
    kept = [r for r in ranges if r < 3.267 * amr]
    cl = statistics.fmean(values)
    assert screened["ucl"].iloc[0] == pytest.approx(
        cl + 3 * statistics.fmean(kept) / 1.128
    )
    assert raw["ucl"].iloc[0] == pytest.approx(cl + 3 * amr / 1.128)
    assert screened["sigma_signal"].iloc[5]


def test_an_excluded_point_is_removed_before_the_moving_ranges_but_still_judged():
    values = [10.0, 11.0, 10.0, 11.0, 40.0, 10.0, 11.0, 10.0]
    points = chart(
        table(values), chart="i", value="value", period="day", exclude=[5]
    ).points
    rest = values[:4] + values[5:]
    cl = statistics.fmean(rest)
    assert points["cl"].iloc[0] == pytest.approx(cl)
    assert points["ucl"].iloc[0] == pytest.approx(
        cl + 3 * mean_moving_range(rest) / 1.128
    )
    assert points["sigma_signal"].iloc[4]
    assert not points["include"].iloc[4]


def test_a_frozen_baseline_gives_limits_to_later_points():
    values = [*VALUES, 20.0, 21.0]
    points = chart(
        table(values), chart="i", value="value", period="day", freeze=10
    ).points
    assert points["cl"].iloc[-1] == pytest.approx(statistics.fmean(VALUES))
    assert points["sigma_signal"].tolist()[-2:] == [True, True]


def test_mr_chart_plots_moving_ranges_with_an_upper_limit_only():
    points = chart(table(VALUES), chart="mr", value="value", period="day").points
    ranges = [abs(b - a) for a, b in itertools.pairwise(VALUES)]
    assert np.isnan(points["value"].iloc[0])
    assert points["value"].iloc[1:].tolist() == ranges
    cl = statistics.fmean(ranges)
    assert points["cl"].iloc[0] == pytest.approx(cl)
    assert points["ucl"].iloc[0] == pytest.approx(3.267 * cl)
    assert points["lcl"].iloc[0] == 0.0


def test_mr_chart_never_signals_runs():
    values = list(range(1, 21))  # steady rise: every moving range is 1
    summary = chart(table(values), chart="mr", value="value", period="day").summary
    assert not summary["runs_signal"].any()


def test_t_chart_is_an_i_chart_of_transformed_times():
    times = [12.0, 30.0, 5.0, 44.0, 20.0, 8.0, 61.0, 17.0, 25.0, 9.0]
    points = chart(table(times), chart="t", value="value", period="day").points
    y = [t ** (1 / 3.6) for t in times]
    cl = statistics.fmean(y)
    sigma = mean_moving_range(y) / 1.128
    assert points["cl"].iloc[0] == pytest.approx(cl**3.6)
    assert points["ucl"].iloc[0] == pytest.approx((cl + 3 * sigma) ** 3.6)
    lower = cl - 3 * sigma
    assert points["lcl"].iloc[0] == pytest.approx(lower**3.6 if lower > 0 else 0.0)
    assert points["value"].tolist() == pytest.approx(times)


def test_g_chart_limits_come_from_the_mean_and_its_centre_line_is_the_median():
    cases_between = [40.0, 12.0, 85.0, 3.0, 27.0, 60.0, 15.0, 33.0, 9.0, 51.0]
    points = chart(table(cases_between), chart="g", value="value", period="day").points
    m = statistics.fmean(cases_between)
    sigma = math.sqrt(m * (m + 1))
    assert points["cl"].iloc[0] == statistics.median(cases_between)
    assert points["ucl"].iloc[0] == pytest.approx(m + 3 * sigma)
    assert points["ucl_95"].iloc[0] == pytest.approx(m + 2 * sigma)
    assert points["lcl"].iloc[0] == 0.0


def test_g_chart_with_a_fixed_centre_line_draws_its_geometric_median():
    points = chart(
        table([40.0, 12.0, 85.0]), chart="g", value="value", period="day", cl=50
    ).points
    assert points["cl"].iloc[0] == pytest.approx(0.693 * 50)
    assert points["ucl"].iloc[0] == pytest.approx(50 + 3 * math.sqrt(50 * 51))


def test_multiply_scales_values_and_lines_but_not_the_target():
    points = chart(
        table(VALUES), chart="i", value="value", period="day", multiply=100, target=1150
    ).points
    plain = chart(table(VALUES), chart="i", value="value", period="day").points
    for column in ("value", "cl", "lcl", "ucl"):
        assert points[column].tolist() == pytest.approx((plain[column] * 100).tolist())
    assert points["target"].iloc[0] == 1150
