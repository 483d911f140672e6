"""A p-chart per provider of the cancer 62-day standard (NHS England, Oct 2023 - Sep 2025).

The engine charts all 182 series (181 providers and England) in one call; every
provider's centre line, limits and signals are then checked against a direct
computation from the published counts, and the runs analysis against the per-series
reference implementation. Figures quoted in docs/methods/qicharts.md come from here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import chart
from tests.unit import qic_reference as ref

DATA = Path(__file__).parents[2] / "data" / "cancer_62day_trust_monthly.csv"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = pd.read_csv(DATA, parse_dates=["period_date"])
    assert len(frame) == 3555
    return frame


def p_chart(data: pd.DataFrame, kind: str = "p"):
    return chart(
        data,
        chart=kind,
        value="within_62d",
        denominator="total_patients",
        period="period_date",
        by="org_code",
        multiply=100,
    )


def test_every_provider_gets_a_chart(data):
    result = p_chart(data)
    assert result.summary["org_code"].nunique() == 182
    assert len(result.points) == len(data)


def test_limits_equal_the_p_chart_formula_for_every_provider(data):
    points = (
        p_chart(data).points.sort_values(["org_code", "period"]).reset_index(drop=True)
    )
    direct = data.sort_values(["org_code", "period_date"]).reset_index(drop=True)
    totals = direct.groupby("org_code")[["within_62d", "total_patients"]].transform(
        "sum"
    )
    p = totals["within_62d"] / totals["total_patients"]
    sigma = np.sqrt(p * (1 - p) / direct["total_patients"])
    expected = {
        "value": 100 * direct["within_62d"] / direct["total_patients"],
        "cl": 100 * p,
        "ucl": 100 * np.minimum(p + 3 * sigma, 1),
        "lcl": 100 * np.maximum(p - 3 * sigma, 0),
        "ucl_95": 100 * np.minimum(p + 2 * sigma, 1),
        "lcl_95": 100 * np.maximum(p - 2 * sigma, 0),
    }
    assert points["org_code"].astype(str).tolist() == direct["org_code"].tolist()
    for column, values in expected.items():
        np.testing.assert_allclose(points[column], values, rtol=1e-9, err_msg=column)
    outside = (expected["value"] > expected["ucl"]) | (
        expected["value"] < expected["lcl"]
    )
    assert points["sigma_signal"].tolist() == outside.tolist()


def test_runs_analysis_matches_the_reference_for_every_provider(data):
    result = p_chart(data)
    points = result.points
    for code, summary in result.summary.set_index("org_code").iterrows():
        rows = points[points["org_code"] == code]
        expected = ref.runs(
            rows["value"].tolist(), rows["cl"].tolist(), [True] * len(rows)
        )
        assert summary["n_useful"] == expected["n_useful"], code
        assert summary["runs_signal"] == expected["runs_signal"], code
        if expected["n_useful"]:
            assert summary["longest_run"] == expected["longest_run"], code
            assert summary["n_crossings"] == expected["n_crossings"], code


def test_england_p_chart_flags_most_months_and_laney_p_prime_almost_none(data):
    england = data[data["org_code"] == "Total"]
    p = p_chart(england).points
    prime = p_chart(england, "pp").points
    # About 30,000 patients a month make binomial limits +/- 0.85 points wide:
    # month-to-month variation between trusts' case mix shows as special cause.
    assert p["cl"].iloc[0] == pytest.approx(67.771321, abs=1e-6)
    assert int(p["sigma_signal"].sum()) == 14
    # Laney's P' widens the limits by sigma_z (about 5.7 here): only January 2024
    # (62.7%) stays outside.
    assert int(prime["sigma_signal"].sum()) == 1
    assert prime.loc[prime["sigma_signal"], "period"].dt.strftime("%Y-%m").tolist() == [
        "2024-01"
    ]
    assert not p["runs_signal"].any()


def test_providers_with_signals(data):
    """Figures for the methods page: providers with 24 months of data."""
    complete = data.groupby("org_code")["org_code"].transform("size") == 24
    p = p_chart(data[complete]).summary
    prime = p_chart(data[complete], "pp").summary
    assert len(p) == 138
    assert int(p["runs_signal"].sum()) == int(prime["runs_signal"].sum()) == 49
    assert int((p["sigma_signals"] > 0).sum()) == 78
    assert int((prime["sigma_signals"] > 0).sum()) == 62
