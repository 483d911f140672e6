"""Funnel plots, specified as small tables: what each setting does to z-scores, limits,
overdispersion and outliers (docs/methods/funnel.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qualitas.errors import QualitasError
from qualitas.spc import funnel, opportunity
from tests.parity.oracle import oracle_dir

Z95, Z998 = 1.959964, 3.090232


def table(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"unit": [f"U{i:02d}" for i in range(n)], **columns})


SR = table(o=[10, 20, 40, 8, 30], e=[10.0, 16.0, 50.0, 12.5, 30.0])


# --- z-scores ---------------------------------------------------------------


def test_standardised_ratio_z_is_root_expected_times_log_ratio():
    units = funnel(SR, numerator="o", denominator="e", group="unit").units
    expected = np.sqrt(SR["e"]) * np.log(SR["o"] / SR["e"])
    np.testing.assert_allclose(units["z"], expected, rtol=1e-12)
    np.testing.assert_allclose(units["ratio"], SR["o"] / SR["e"], rtol=1e-15)


def test_cqc_z_is_on_the_square_root_scale():
    units = funnel(SR, numerator="o", denominator="e", group="unit", method="CQC").units
    expected = (np.sqrt(SR["o"] / SR["e"]) - 1) * 2 * np.sqrt(SR["e"])
    np.testing.assert_allclose(units["z"], expected, rtol=1e-12)


def test_proportion_z_uses_the_arcsine_of_the_root():
    data = table(events=[5, 12, 30, 2], n=[50, 60, 100, 40])
    units = funnel(
        data, numerator="events", denominator="n", group="unit", data_type="PR"
    ).units
    target = 49 / 250
    expected = (
        (np.arcsin(np.sqrt(data["events"] / data["n"])) - np.arcsin(np.sqrt(target)))
        * 2
        * np.sqrt(data["n"])
    )
    np.testing.assert_allclose(units["z"], expected, rtol=1e-12)
    assert units["target"].iloc[0] == pytest.approx(target, rel=1e-15)


def test_ratio_of_counts_adds_a_half_to_both_counts():
    data = table(a=[0, 10, 30, 50], b=[5, 12, 25, 60])
    units = funnel(
        data, numerator="a", denominator="b", group="unit", data_type="RC"
    ).units
    y = np.log((data["a"] + 0.5) / (data["b"] + 0.5))
    se = np.sqrt(
        data["a"] / (data["a"] + 0.5) ** 2 + data["b"] / (data["b"] + 0.5) ** 2
    )
    np.testing.assert_allclose(units["z"], (y - np.log(90 / 102)) / se, rtol=1e-12)


def test_mean_outcome_z_uses_the_given_standard_deviation():
    data = table(total=[200.0, 330.0, 90.0], n=[20, 30, 10])
    units = funnel(
        data,
        numerator="total",
        denominator="n",
        group="unit",
        data_type="MEAN",
        sd=4.0,
        target=10.0,
    ).units
    np.testing.assert_allclose(
        units["z"],
        [0.0, (11 - 10) / (4 / math.sqrt(30)), (9 - 10) / (4 / math.sqrt(10))],
        atol=1e-12,
    )


def test_shmi_rounds_expected_to_two_places_but_plots_the_unrounded_ratio():
    data = table(o=[10, 20, 30], e=[10.004, 19.996, 31.2345])
    units = funnel(data, numerator="o", denominator="e", group="unit").units
    assert units["denominator"].tolist() == [10.0, 20.0, 31.23]
    np.testing.assert_allclose(units["ratio"], data["o"] / data["e"], rtol=1e-15)
    unrounded = funnel(
        data, numerator="o", denominator="e", group="unit", shmi_rounding=False
    ).units
    assert unrounded["denominator"].tolist() == data["e"].tolist()


# --- trimming and overdispersion -------------------------------------------


def forty_units() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    e = rng.uniform(20, 200, 40)
    return table(o=rng.poisson(e * rng.lognormal(0, 0.3, 40)), e=np.round(e, 2))


def test_shmi_truncation_drops_four_lowest_and_four_highest_of_forty():
    units = funnel(forty_units(), numerator="o", denominator="e", group="unit").units
    order = units["z"].rank().astype(int)
    assert units["trimmed"].sum() == 8
    assert set(order[units["trimmed"]]) == {1, 2, 3, 4, 37, 38, 39, 40}
    assert units.loc[units["trimmed"], "z_trimmed"].isna().all()


def test_winsorisation_pulls_extremes_in_to_the_ten_and_ninety_percent_quantiles():
    units = funnel(
        forty_units(), numerator="o", denominator="e", group="unit", method="CQC"
    ).units
    z = units["z"].to_numpy()
    low, high = np.quantile(z, 0.1), np.quantile(z, 0.9)
    np.testing.assert_allclose(units["z_trimmed"], np.clip(z, low, high), rtol=1e-14)
    assert units["trimmed"].tolist() == ((z <= low) | (z >= high)).tolist()


def test_phi_and_tau2_follow_the_moment_formulas():
    result = funnel(
        forty_units(), numerator="o", denominator="e", group="unit", method="CQC"
    )
    units = result.units
    w = 4 * units["denominator"]  # 1 / s^2 with s = 1 / (2 sqrt(E))
    n = 40
    phi = float(np.mean(units["z_trimmed"] ** 2))
    tau2 = (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum())
    assert result.summary.phi == pytest.approx(phi, rel=1e-12)
    assert result.summary.tau2 == pytest.approx(tau2, rel=1e-12)
    assert result.summary.adjusted
    assert "Adjusted for overdispersion" in result.summary.reason


def test_no_adjustment_when_units_vary_no_more_than_chance():
    data = pd.read_csv(oracle_dir() / "funnel" / "data_poisson_units.csv")
    result = funnel(data, numerator="observed", denominator="expected", group="unit")
    assert result.summary.phi < 1
    assert not result.summary.adjusted
    assert "no more than chance" in result.summary.reason
    np.testing.assert_array_equal(result.units["lower"], result.units["lower_998"])


def test_tau2_can_be_positive_while_phi_is_at_most_one_and_then_is_not_applied():
    # The oracle's edge data set: (n - 1) / n < phi <= 1 under CQC.
    data = pd.read_csv(oracle_dir() / "funnel" / "data_poisson_edge_units.csv")
    result = funnel(
        data, numerator="observed", denominator="expected", group="unit", method="CQC"
    )
    n = result.summary.n_units
    assert (n - 1) / n < result.summary.phi <= 1
    assert result.summary.tau2 > 0
    assert not result.summary.adjusted
    forced = funnel(
        data,
        numerator="observed",
        denominator="expected",
        group="unit",
        method="CQC",
        adjust="always",
    )
    assert forced.summary.adjusted
    np.testing.assert_array_equal(forced.units["upper"], forced.units["od_upper_998"])


def test_switching_the_adjustment_off_keeps_the_estimates_but_not_their_effect():
    on = funnel(forty_units(), numerator="o", denominator="e", group="unit")
    off = funnel(
        forty_units(), numerator="o", denominator="e", group="unit", adjust="never"
    )
    assert off.summary.phi == on.summary.phi
    assert not off.summary.adjusted
    assert "switched off" in off.summary.reason
    np.testing.assert_allclose(
        off.units["od_upper_95"],
        np.exp(Z95 / np.sqrt(off.units["denominator"])),
        rtol=1e-14,
    )


# --- limits ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "lower_95", "upper_95"),
    [
        # Exact Poisson limits, from published chi-square tables: chi2(0.025, 20) =
        # 9.59078, chi2(0.975, 22) = 36.78071.
        (10.0, 9.59078 / 20, 36.78071 / 20),
        # chi2(0.025, 10) = 3.24697, chi2(0.975, 12) = 23.33666.
        (5.0, 3.24697 / 10, 23.33666 / 10),
    ],
)
def test_chance_limits_of_a_standardised_ratio_are_exact_poisson(
    expected, lower_95, upper_95
):
    data = table(
        o=[expected, expected, 2 * expected], e=[expected, expected + 1, expected + 2]
    )
    units = funnel(data, numerator="o", denominator="e", group="unit").units
    assert units["lower_95"].iloc[0] == pytest.approx(lower_95, rel=2e-6)
    assert units["upper_95"].iloc[0] == pytest.approx(upper_95, rel=2e-6)


def test_proportion_limits_back_transform_the_arcsine_scale():
    data = table(events=[20, 40, 60], n=[100, 200, 300])
    units = funnel(
        data,
        numerator="events",
        denominator="n",
        group="unit",
        data_type="PR",
        adjust="never",
    ).units
    a = np.arcsin(np.sqrt(0.2))
    s = 1 / (2 * np.sqrt(units["denominator"]))
    np.testing.assert_allclose(
        units["lower_998"], np.sin(a - Z998 * s) ** 2, rtol=1e-13
    )
    np.testing.assert_allclose(
        units["upper_998"], np.sin(a + Z998 * s) ** 2, rtol=1e-13
    )


def test_proportion_limits_turn_to_zero_where_the_arcsine_angle_goes_below_zero():
    data = table(events=[0, 1, 3, 10], n=[2, 5, 20, 60])
    grid = funnel(
        data, numerator="events", denominator="n", group="unit", data_type="PR"
    ).limits
    assert grid["lower_998"].iloc[0] == 0
    assert (np.diff(grid["lower_998"]) >= 0).all()
    assert (grid["upper_998"] <= 1).all()


def test_multiplier_scales_ratios_and_limits_but_not_outliers():
    plain = funnel(forty_units(), numerator="o", denominator="e", group="unit")
    per100 = funnel(
        forty_units(), numerator="o", denominator="e", group="unit", multiplier=100
    )
    for column in ["ratio", "target", "lower", "upper", "od_upper_95", "lower_998"]:
        np.testing.assert_allclose(
            per100.units[column], 100 * plain.units[column], rtol=1e-13
        )
    assert per100.units["outlier"].tolist() == plain.units["outlier"].tolist()
    np.testing.assert_allclose(
        per100.limits["upper_95"], 100 * plain.limits["upper_95"], rtol=1e-13
    )


def test_grid_runs_from_the_start_to_the_largest_denominator_and_holds_every_unit():
    data = table(o=[5, 50, 500], e=[4.2, 61.37, 480.5])
    grid = funnel(data, numerator="o", denominator="e", group="unit").limits[
        "denominator"
    ]
    assert grid.iloc[0] == 1.1
    assert grid.iloc[-1] == 481.0
    assert {4.2, 61.37, 480.5} <= set(grid)
    assert len(grid) == 1003
    assert grid.is_monotonic_increasing


def test_multiplicative_model_widens_each_standard_error_by_root_phi():
    result = funnel(
        forty_units(),
        numerator="o",
        denominator="e",
        group="unit",
        overdispersion="multiplicative",
    )
    units, phi = result.units, result.summary.phi
    half = Z95 * np.sqrt(phi) / np.sqrt(units["denominator"])
    np.testing.assert_allclose(units["od_lower_95"], np.exp(-half), rtol=1e-13)
    np.testing.assert_allclose(units["od_upper_95"], np.exp(half), rtol=1e-13)
    np.testing.assert_allclose(
        units["z_adjusted"], units["z"] / np.sqrt(phi), rtol=1e-13
    )
    assert "square root of phi" in result.summary.reason


def test_a_target_can_replace_the_pooled_proportion():
    data = table(events=[80, 170, 250], n=[100, 200, 300])
    result = funnel(
        data,
        numerator="events",
        denominator="n",
        group="unit",
        data_type="PR",
        target=0.85,
    )
    assert result.summary.target == 0.85
    assert result.units["target_transformed"].iloc[0] == pytest.approx(
        np.arcsin(np.sqrt(0.85))
    )


# --- outliers ------------------------------------------------------------------


def test_outliers_are_outside_the_limits_in_force_at_the_chosen_level():
    data = table(o=[10, 45, 22, 80, 18, 30], e=[20.0, 30.0, 21.0, 50.0, 19.5, 31.0])
    r99 = funnel(data, numerator="o", denominator="e", group="unit", adjust="never")
    r95 = funnel(
        data, numerator="o", denominator="e", group="unit", adjust="never", limit=95
    )
    assert r99.units["outlier"].tolist() == r99.units["outlier_998"].tolist()
    assert r95.units["outlier"].tolist() == r95.units["outlier_95"].tolist()
    assert r95.units.loc[r95.units["outlier_high"], "unit"].tolist() == ["U01", "U03"]
    assert r95.units.loc[r95.units["outlier_low"], "unit"].tolist() == ["U00"]
    assert r95.summary.n_high == 2
    assert r95.summary.n_low == 1


def test_limits_in_force_are_the_adjusted_ones_when_adjusted():
    result = funnel(forty_units(), numerator="o", denominator="e", group="unit")
    drawn = result.limits_in_force()
    assert result.summary.adjusted
    np.testing.assert_array_equal(drawn["upper_998"], result.limits["od_upper_998"])
    assert list(drawn.columns) == [
        "denominator",
        "lower_95",
        "upper_95",
        "lower_998",
        "upper_998",
    ]


# --- the data -------------------------------------------------------------------


def test_patient_rows_are_added_up_by_unit_in_name_order():
    patients = pd.DataFrame(
        {
            "trust": ["B", "A", "B", "C", "A", "C", "C"],
            "died": [1, 0, 0, 1, 1, 0, 1],
            "risk": [0.2, 0.1, 0.3, 0.4, 0.2, 0.1, 0.5],
        }
    )
    units = funnel(
        patients,
        numerator="died",
        denominator="risk",
        group="trust",
        shmi_rounding=False,
    ).units
    assert units["trust"].tolist() == ["A", "B", "C"]
    assert units["numerator"].tolist() == [1, 1, 2]
    np.testing.assert_allclose(units["denominator"], [0.3, 0.5, 1.0], rtol=1e-15)


def test_row_order_does_not_change_the_result():
    data = forty_units()
    shuffled = data.sample(frac=1, random_state=3)
    a = funnel(data, numerator="o", denominator="e", group="unit")
    b = funnel(shuffled, numerator="o", denominator="e", group="unit")
    pd.testing.assert_frame_equal(a.units, b.units)


# --- bad input --------------------------------------------------------------------

GOOD = table(o=[3, 5, 8, 2], n=[10, 12, 20, 9])


def with_value(column: str, row: int, value) -> pd.DataFrame:
    data = GOOD.copy()
    data[column] = data[column].astype(object)
    data.loc[row, column] = value
    return data


@pytest.mark.parametrize(
    ("data", "settings", "message"),
    [
        (with_value("o", 2, -1), {}, "column 'o' has negative values in row 4"),
        (with_value("n", 1, -3), {}, "column 'n' has negative values in row 3"),
        (
            with_value("o", 1, 13),
            {"data_type": "PR"},
            "unit 'U01' has more 'o' than 'n' (row 3)",
        ),
        (with_value("n", 3, 0), {}, "unit 'U03' has a 'n' of zero (row 5)"),
        (with_value("n", 0, None), {}, "column 'n' has missing values in row 2"),
        (
            with_value("o", 0, "ten"),
            {},
            "column 'o' must hold numbers, but row 2 holds text such as 'ten'",
        ),
        (with_value("unit", 2, None), {}, "column 'unit' names no unit in row 4"),
        (
            with_value("unit", 2, "U01"),
            {"aggregate": False},
            "unit 'U01' appears more than once in column 'unit' (rows 3, 4)",
        ),
        (
            with_value("unit", 2, " U01"),
            {},
            "names the unit 'U01' in more than one way",
        ),
        (GOOD.head(2), {}, "needs at least 3 units"),
        (GOOD.iloc[:0], {}, "the data has no rows"),
        (GOOD, {"numerator": "deaths"}, "column 'deaths' not found"),
        (GOOD, {"denominator": "o"}, "numerator and denominator are the same column"),
        (GOOD, {"data_type": "XX"}, "data_type must be one of"),
        (GOOD, {"method": "ONS"}, "method must be one of"),
        (GOOD, {"limit": 90}, "limit must be 95"),
        (GOOD, {"trim": 0.6}, "trim must be a fraction"),
        (GOOD, {"trim": 0}, "the SHMI method needs trim above 0"),
        (GOOD, {"adjust": "maybe"}, "adjust must be one of"),
        (GOOD, {"overdispersion": "both"}, "overdispersion must be one of"),
        (GOOD, {"multiplier": 0}, "multiplier must be a positive number"),
        (GOOD, {"data_type": "MEAN"}, "needs sd"),
        (GOOD, {"sd": 2.0}, "sd applies only to mean outcomes"),
        (GOOD, {"target": 1.2}, "target of 1 by definition"),
        (GOOD, {"data_type": "PR", "target": 1.5}, "between 0 and 1"),
        (with_value("n", 2, 0.004), {}, "rounds to 0"),
        (
            GOOD.rename(columns={"unit": "ratio"}),
            {"group": "ratio"},
            "may not be called 'ratio'",
        ),
        (table(o=[0, 0, 0, 0, 3], n=[5.0, 6.0, 7.0, 8.0, 9.0]), {}, "no events"),
    ],
)
def test_bad_input_is_explained(data, settings, message):
    args = {"numerator": "o", "denominator": "n", "group": "unit", **settings}
    with pytest.raises(QualitasError) as raised:
        funnel(data, **args)
    assert message in str(raised.value)


# --- opportunity ---------------------------------------------------------------


def test_opportunity_counts_events_at_each_benchmark():
    data = table(o=[30, 45, 28, 70, 41], e=[32.0, 44.0, 30.0, 50.0, 40.0])
    result = funnel(data, numerator="o", denominator="e", group="unit")
    gaps = opportunity(result, better="lower", unit_cost=1000)
    ratios = data["o"] / data["e"]
    median, best = np.quantile(ratios, 0.5), np.quantile(ratios, 0.25)
    units = gaps.units
    np.testing.assert_allclose(units["expected_at_target"], data["e"])
    np.testing.assert_allclose(
        units["expected_at_median"], median * data["e"], rtol=1e-14
    )
    np.testing.assert_allclose(
        units["expected_at_best_quartile"], best * data["e"], rtol=1e-14
    )
    np.testing.assert_allclose(units["gap_vs_target"], data["o"] - data["e"])
    np.testing.assert_allclose(
        units["potential_events_vs_target"], np.maximum(data["o"] - data["e"], 0)
    )
    np.testing.assert_allclose(
        units["potential_cost_vs_target_upper"],
        1000 * units["potential_events_vs_target_upper"],
    )
    assert (units["label"] == "potential (light green)").all()
    assert gaps.benchmarks["benchmark"].tolist() == [
        "target",
        "median",
        "best_quartile",
    ]


def test_opportunity_interval_is_the_exact_poisson_interval_of_the_count():
    data = table(o=[0, 10, 20], e=[2.0, 4.0, 30.0])
    result = funnel(data, numerator="o", denominator="e", group="unit", method="CQC")
    gaps = opportunity(result, better="lower").units
    # Exact 95% interval for a count of 10: 4.795389 to 18.390356; for 0: 0 to 3.688879.
    assert gaps["potential_events_vs_target_lower"].iloc[1] == pytest.approx(
        4.795389 - 4, rel=1e-6
    )
    assert gaps["potential_events_vs_target_upper"].iloc[1] == pytest.approx(
        18.390356 - 4, rel=1e-6
    )
    assert gaps["potential_events_vs_target_upper"].iloc[0] == pytest.approx(
        3.688879 - 2, rel=1e-6
    )
    assert gaps["potential_events_vs_target_lower"].iloc[0] == 0
    assert gaps["gap_vs_target"].iloc[0] == -2


def test_opportunity_when_higher_is_better_counts_events_short_of_the_benchmark():
    data = table(within=[80, 90, 170], total=[100, 100, 200])
    result = funnel(
        data,
        numerator="within",
        denominator="total",
        group="unit",
        data_type="PR",
        target=0.85,
    )
    units = opportunity(result, better="higher").units
    np.testing.assert_allclose(units["gap_vs_target"], [5.0, -5.0, 0.0], atol=1e-12)
    # Clopper-Pearson 95% interval for 80 of 100: 0.70816 to 0.87334, so the gap to 85
    # runs from -2.33 (clipped to 0: no potential) to 14.18 events.
    assert units["potential_events_vs_target_lower"].iloc[0] == 0
    assert units["potential_events_vs_target_upper"].iloc[0] == pytest.approx(
        85 - 70.816, abs=1e-3
    )
    assert units["expected_at_best_quartile"].tolist() == pytest.approx(
        [0.875 * 100, 87.5, 175.0]
    )


def test_opportunity_rejects_an_unknown_direction():
    result = funnel(GOOD, numerator="o", denominator="n", group="unit")
    with pytest.raises(QualitasError, match="better must be"):
        opportunity(result, better="up")
