"""NHSRplotthedots 0.2.2 golden cases: every label, icon and limit must match, on
every engine (the ``engine`` fixture of tests/conftest.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import ChartRequest
from tests.parity.oracle import assert_close, oracle_dir

FOLDER = oracle_dir() / "mdc"
CASES = json.loads((FOLDER / "cases.json").read_text())["cases"]

SPECIAL_CAUSE = {
    "Common Cause": "none",
    "Above UCL": "above_upl",
    "Below LCL": "below_lpl",
    "7 Point Trend (Increasing)": "trend_up",
    "7 Point Trend (Decreasing)": "trend_down",
    "2 in 3 Above CL": "two_of_three_high",
    "2 in 3 Below CL": "two_of_three_low",
    "7 Points Above CL": "shift_high",
    "7 Points Below CL": "shift_low",
}
POINT_TYPE = {
    "common_cause": "common_cause",
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neutral_high": "neutral_high",
    "special_cause_neutral_low": "neutral_low",
}
VARIATION = {  # the package's summary reports point types; icons follow section 6
    ("common_cause", "increase"): "common_cause",
    ("common_cause", "decrease"): "common_cause",
    ("common_cause", "neutral"): "common_cause",
    ("special_cause_improvement", "increase"): "improvement_high",
    ("special_cause_improvement", "decrease"): "improvement_low",
    ("special_cause_concern", "increase"): "concern_low",
    ("special_cause_concern", "decrease"): "concern_high",
    ("special_cause_neutral_high", "neutral"): "neutral_high",
    ("special_cause_neutral_low", "neutral"): "neutral_low",
}
ASSURANCE = {"pass": "pass", "fail": "fail", "inconsistent": "hit_and_miss"}


def run_case(case: dict, engine):
    s = case["settings"]
    data = pd.read_csv(FOLDER / case["files"]["input"])
    request = ChartRequest.build(
        chart="xmr",
        value=s["value_field"],
        period=s["date_field"],
        by=(s["facet_field"],) if s["facet_field"] else (),
        direction=s["improvement_direction"],
        target=s["target"],
        part=s["rebase"],
        fix_after=s["fix_after_n_points"],
        screen_outliers=bool(s["screen_outliers"]),
    )
    return engine.compute(data, request)


def phases_of(table: pd.DataFrame, facet: str | None) -> list[int]:
    """The package's rebase groups as phase numbers from 1 within each series."""
    group = table["rebase_group"].astype(int)
    if not facet:
        return (group - group.iloc[0] + 1).tolist()
    series = table["f"] if "f" in table else table[facet]
    first = group.groupby(series.astype(str).to_numpy()).transform("first")
    return (group - first + 1).tolist()


def without_target(case: dict, facet: str) -> bool:
    """Deliberate difference: a series with no target gets no assurance icon (the
    package reports 'inconsistent' for it)."""
    target = case["settings"]["target"]
    return target is None or (isinstance(target, dict) and facet not in target)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_matches_nhsrplotthedots(case, engine):
    result = run_case(case, engine)
    if case["outcome"] == "error":
        # Deliberate difference: where the package stops (a missing value inside a
        # trend window), qualitas returns a result; the missing value breaks the trend.
        assert len(result.points) == case["n_rows"]
        return

    expected = pd.read_csv(
        FOLDER / case["files"]["output"], keep_default_na=False, na_values=["NA"]
    )
    points = result.points
    assert len(points) == len(expected)
    facet = case["settings"]["facet_field"]
    if facet:
        assert points[facet].astype(str).tolist() == expected["f"].astype(str).tolist()
    assert (
        pd.to_datetime(points["period"]).dt.strftime("%Y-%m-%d").tolist()
        == expected["x"].tolist()
    )
    assert_close(points["value"], expected["y"], what="value")
    # Phases are numbered from 1 in every series; the package counts rebases from 0
    # (or 1 when the first point is itself a rebase date): the phases are the same.
    assert points["phase"].tolist() == phases_of(expected, facet)
    assert points["trial_limits"].tolist() == expected["short_group_warning"].tolist()
    for ours, theirs in [("cl", "mean_col"), ("lcl", "lpl"), ("ucl", "upl")]:
        assert_close(points[ours], expected[theirs], what=ours)
    assert (
        points["special_cause"].astype(str).tolist()
        == expected["special_cause_type"].map(SPECIAL_CAUSE).tolist()
    )
    assert (
        points["point_type"].astype(str).tolist()
        == expected["point_type"].map(POINT_TYPE).tolist()
    )
    assert_close(points["target"], expected["target"], what="target")

    summary = pd.read_csv(
        FOLDER / case["files"]["summary"], keep_default_na=False, na_values=["NA"]
    )
    ours = result.summary
    assert len(ours) == len(summary)
    assert ours["phase"].tolist() == phases_of(summary, facet)
    for col, theirs in [("cl", "mean_col"), ("lcl", "lpl"), ("ucl", "upl")]:
        assert_close(ours[col], summary[theirs], what=f"summary {col}")
    for col, theirs in [
        ("n_obs", "n"),
        ("common_cause", "common_cause"),
        ("improvement", "special_cause_improvement"),
        ("concern", "special_cause_concern"),
    ]:
        assert ours[col].tolist() == summary[theirs].astype(int).tolist(), col
    direction = case["settings"]["improvement_direction"]
    assert ours["variation"].astype(str).tolist() == [
        VARIATION[(v, direction)] for v in summary["variation_type"]
    ]

    icons = pd.read_csv(
        FOLDER / case["files"]["icons"], keep_default_na=False, na_values=["NA"]
    )
    facets = result.icons[facet].astype(str).tolist() if facet else ["no facet"]
    variation = icons[icons["type"] == "variation"]
    assert variation["f"].astype(str).tolist() == facets
    assert result.icons["variation"].astype(str).tolist() == variation["icon"].tolist()
    expected_assurance = dict(
        zip(
            icons.loc[icons["type"] == "assurance", "f"].astype(str),
            icons.loc[icons["type"] == "assurance", "icon"],
            strict=True,
        )
    )
    for f, ours_icon in zip(
        facets, result.icons["assurance"].astype(object), strict=True
    ):
        if without_target(case, f) or direction == "neutral":
            assert pd.isna(ours_icon), f
        else:
            assert ours_icon == ASSURANCE[expected_assurance[f]], f
    # The summary carries the same assurance on each series' last segment.
    last = ours.groupby(facet, observed=True).tail(1) if facet else ours.tail(1)
    assert last["assurance"].astype(object).map(
        lambda v: None if pd.isna(v) else v
    ).tolist() == [
        None if pd.isna(v) else v for v in result.icons["assurance"].astype(object)
    ]


def test_every_case_in_the_index_has_its_files():
    for case in CASES:
        for name in case["files"].values():
            assert (FOLDER / name).exists(), name
    assert len(CASES) >= 20
    assert np.unique([c["id"] for c in CASES]).size == len(CASES)
