"""FunnelPlotR 0.6.0 golden cases: every number within 1e-9 relative, every outlier flag
equal, from qualitas.spc.funnel and on every engine (the ``engine`` fixture of
tests/conftest.py); and Spiegelhalter's multiplicative limits against the derived
reference files."""

from __future__ import annotations

import csv
import re
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from qualitas.spc import funnel
from qualitas.spc.funnel import funnel_request
from tests.parity.oracle import assert_close, oracle_dir

FOLDER = oracle_dir() / "funnel"
CASES = list(csv.DictReader((FOLDER / "cases.csv").read_text().splitlines()))
DERIVED = sorted(
    p.name.removesuffix("_DERIVED_multiplicative.csv")
    for p in FOLDER.glob("*_DERIVED_multiplicative.csv")
)

# The package's arguments and ours. Display-only arguments change nothing we compute.
RENAMED = {
    "data_type": "data_type",
    "sr_method": "method",
    "trim_by": "trim",
    "limit": "limit",
    "multiplier": "multiplier",
    "SHMI_rounding": "shmi_rounding",
}
DISPLAY_ONLY = {
    "label",
    "highlight",
    "title",
    "plot_cols",
    "max.overlaps",
    "theme",
    "y_range",
    "x_label",
    "y_label",
}
ADJUST = {  # (draw_adjusted, draw_unadjusted) -> adjust
    (True, False): "auto",
    (False, True): "never",
    (True, True): "always",
}

UNIT_COLUMNS = [  # ours, the package's
    ("numerator", "numerator"),
    ("denominator", "denominator"),
    ("target_transformed", "target_transformed"),
    ("transformed", "Y"),
    ("z", "Uzscore"),
    ("z_trimmed", "Wuzscore"),
    ("limit_se", "s"),
    ("od_lower_95", "OD95LCL"),
    ("od_upper_95", "OD95UCL"),
    ("od_lower_998", "OD99LCL"),
    ("od_upper_998", "OD99UCL"),
    ("lower_95", "LCL95"),
    ("upper_95", "UCL95"),
    ("lower_998", "LCL99"),
    ("upper_998", "UCL99"),
]
GRID_COLUMNS = [
    ("denominator", "number_seq"),
    ("limit_se", "s"),
    ("od_lower_95", "odll95"),
    ("od_upper_95", "odul95"),
    ("od_lower_998", "odll998"),
    ("od_upper_998", "odul998"),
    ("lower_95", "ll95"),
    ("upper_95", "ul95"),
    ("lower_998", "ll998"),
    ("upper_998", "ul998"),
]


def r_value(text: str):
    text = text.strip()
    if text in ("TRUE", "FALSE"):
        return text == "TRUE"
    if re.fullmatch(r"'[^']*'|\"[^\"]*\"", text):
        return text[1:-1]
    return float(text)


def arguments(case: dict) -> dict:
    """The case's R arguments as qualitas keyword arguments; anything we do not
    support makes the case fail rather than pass silently."""
    args: dict = {}
    flags = {"draw_adjusted": True, "draw_unadjusted": False}
    text = case["args"].strip()
    for part in [] if text == "(defaults)" else text.split(";"):
        name, _, value = part.partition("=")
        name = name.strip()
        if name in flags:
            flags[name] = r_value(value)
        elif name in RENAMED:
            args[RENAMED[name]] = r_value(value)
        elif name not in DISPLAY_ONLY:
            raise AssertionError(f"{case['case']}: argument {name!r} is not supported")
    args["adjust"] = ADJUST[(flags["draw_adjusted"], flags["draw_unadjusted"])]
    return args


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FOLDER / name, keep_default_na=False, na_values=["NA"])


# The case index names each data set by a short label; datasets.csv beside it says
# which file holds it, so a folder of new cases with new data sets runs unchanged.
DATASETS = {
    row["dataset"]: row["file"]
    for row in csv.DictReader((FOLDER / "datasets.csv").read_text().splitlines())
}


def data_for(case: dict) -> pd.DataFrame:
    """The case's input file, named by its data set's row in datasets.csv."""
    name = DATASETS.get(case["dataset"])
    assert name is not None, (
        f"{case['case']}: data set {case['dataset']!r} is not in datasets.csv"
    )
    return pd.read_csv(FOLDER / name, dtype={case["group"]: str})


def run_case(case: dict, **extra):
    return funnel(
        data_for(case),
        numerator=case["numerator"],
        denominator=case["denominator"],
        group=case["group"],
        **{**arguments(case), **extra},
    )


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_case_matches_funnelplotr(case):
    result = run_case(case)
    assert_units_match(case, result.units)
    grid = read(f"{case['case']}_limits_lookup.csv")
    assert len(result.limits) == len(grid)
    for ours, theirs in GRID_COLUMNS:
        assert_close(result.limits[ours], grid[theirs], what=f"grid {ours}")
    assert_summary_matches(case, asdict(result.summary))


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_case_matches_funnelplotr_on_every_engine(case, engine):
    """The same case as one funnel of an engine's run (units and summary; the
    limits grid is only drawn by qualitas.spc.funnel)."""
    request = funnel_request(
        numerator=case["numerator"],
        denominator=case["denominator"],
        group=case["group"],
        **arguments(case),
    )
    tables = engine.compute(data_for(case), request)
    assert_units_match(case, tables.points)
    assert len(tables.summary) == 1
    assert_summary_matches(case, tables.summary.iloc[0].to_dict())


def assert_units_match(case: dict, units: pd.DataFrame) -> None:
    args = arguments(case)
    expected = read(f"{case['case']}_aggregated.csv")
    assert len(units) == len(expected)
    assert (
        units[case["group"]].astype(str).tolist()
        == expected["group"].astype(str).tolist()
    )
    multiplier = float(args.get("multiplier", 1))
    assert_close(units["ratio"] / multiplier, expected["rr"], what="rr")
    for ours, theirs in UNIT_COLUMNS:
        assert_close(units[ours], expected[theirs], what=ours)
    if "rk" in expected:  # SHMI truncation
        assert_close(units["rank"], expected["rk"], what="rank")
        assert_close(units["slice"], expected["sp"], what="slice")
        assert (
            units["trimmed"].astype(int).tolist()
            == expected["truncated"].astype(int).tolist()
        )
    else:
        assert (
            units["trimmed"].astype(int).tolist()
            == expected["winsorised"].astype(int).tolist()
        )
    assert (
        units["outlier"].astype(int).tolist()
        == expected["outlier"].astype(int).tolist()
    )


def assert_summary_matches(case: dict, ours: dict) -> None:
    """``ours``: the fields of a FunnelSummary (or a row of a summary table)."""
    args = arguments(case)
    multiplier = float(args.get("multiplier", 1))
    summary = read("summary.csv").set_index("case").loc[case["case"]]
    assert ours["n_units"] == int(summary["n_groups"])
    assert ours["adjusted"] == bool(summary["draw_adjusted_final"])
    assert ours["n_outliers"] == int(summary["n_outliers"])
    assert_close([ours["target"] / multiplier], [summary["target"]], what="target")
    if args["adjust"] == "never":
        # Deliberate difference: with the adjustment switched off FunnelPlotR reports
        # phi = tau2 = 0; qualitas still reports the estimates (for information) and
        # draws the adjusted limits with tau2 = 0, as the package does.
        assert summary["phi"] == 0
        assert summary["tau2"] == 0
        assert ours["phi"] > 0
    else:
        assert_close([ours["phi"]], [summary["phi"]], what="phi")
        assert_close([ours["tau2"]], [summary["tau2"]], what="tau2")


@pytest.mark.parametrize("name", DERIVED)
def test_multiplicative_limits_match_the_derived_reference(name):
    case = next(c for c in CASES if c["case"] == name)
    result = run_case(case, overdispersion="multiplicative")
    expected = read(f"{name}_DERIVED_multiplicative.csv")
    units = result.units
    assert (
        units[case["group"]].astype(str).tolist()
        == expected["group"].astype(str).tolist()
    )
    assert_close(units["denominator"], expected["denominator"], what="denominator")
    assert_close([result.summary.phi] * len(units), expected["phi"], what="phi")
    assert result.summary.adjusted == bool(expected["phi_gt_1"].iloc[0])
    pairs = [
        ("od_lower_95", "mult_lcl95", "OD95LCL"),
        ("od_upper_95", "mult_ucl95", "OD95UCL"),
        ("od_lower_998", "mult_lcl998", "OD99LCL"),
        ("od_upper_998", "mult_ucl998", "OD99UCL"),
    ]
    if result.summary.phi > 1:
        for ours, theirs, _ in pairs:
            assert_close(units[ours], expected[theirs], what=ours)
    else:
        # phi <= 1: no overdispersion (Spiegelhalter 2005), so the limits are those
        # of phi = 1, which on the log scale are the package's own adjusted limits
        # with tau2 = 0; the derived file, made with phi as estimated, is narrower.
        assert case["args"] == "(defaults)"  # SHMI: log scale, as the package's
        package = read(f"{name}_aggregated.csv")
        assert (package["group"].astype(str) == expected["group"].astype(str)).all()
        assert read("summary.csv").set_index("case").loc[name, "tau2"] == 0
        for ours, derived, theirs in pairs:
            assert_close(units[ours], package[theirs], what=ours)
            wider = units[ours] - expected[derived]
            assert ((wider <= 0) if "lower" in ours else (wider >= 0)).all(), ours
    # In force when phi > 1: outliers are judged against these limits.
    if result.summary.adjusted:
        level = "95" if result.summary.limit == 95 else "998"
        lower, upper = expected[f"mult_lcl{level}"], expected[f"mult_ucl{level}"]
        outside = (units["ratio"] < lower) | (units["ratio"] > upper)
        assert units["outlier"].tolist() == outside.tolist()


def test_every_case_in_the_index_has_its_files():
    assert len(CASES) >= 6
    assert np.unique([c["case"] for c in CASES]).size == len(CASES)
    for case in CASES:
        for suffix in ("aggregated", "limits_lookup"):
            assert (FOLDER / f"{case['case']}_{suffix}.csv").exists(), case["case"]
        assert data_for(case) is not None
    assert set(DERIVED) <= {c["case"] for c in CASES}
    assert len(DERIVED) >= 4
