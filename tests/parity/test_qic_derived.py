"""The derivation behind the ``*_DERIVED`` qicharts2 cases is trustworthy: it gives the
real package's numbers on every case the package computed, and the derived files on
disk are exactly what it gives (tests/parity/qic_derived.py says how it was written)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.parity import qic_derived
from tests.parity.oracle import assert_close, oracle_dir

FOLDER = oracle_dir() / "qicharts"
CASES = pd.read_csv(FOLDER / "cases.csv", dtype=str).to_dict("records")
PACKAGE = [c for c in CASES if not c["case"].endswith("_DERIVED")]
DERIVED = [c for c in CASES if c["case"].endswith("_DERIVED")]

NUMBERS = ["y.sum", "y.mean", "y.sd", "n", "y", "cl", "lcl", "lcl.95", "ucl", "ucl.95"]
COUNTS = [
    "y.length",
    "part",
    "n.obs",
    "n.useful",
    "longest.run",
    "longest.run.max",
    "n.crossings",
    "n.crossings.min",
]
FLAGS = ["baseline", "include", "runs.signal", "sigma.signal"]
SUMMARY = ["aLCL", "aLCL.95", "CL", "aUCL.95", "aUCL"]


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FOLDER / name, keep_default_na=False, na_values=["NA"])


def assert_same(case: dict, points: pd.DataFrame, summary: pd.DataFrame) -> None:
    expected = read(f"{case['case']}_output.csv")
    assert len(points) == len(expected)
    assert points["x"].astype(str).tolist() == expected["x"].astype(str).tolist()
    for name in NUMBERS:
        assert_close(points[name], expected[name], what=name)
    for name in COUNTS:
        assert (
            points[name].astype("Float64").tolist()
            == expected[name].astype("Float64").tolist()
        ), name
    for name in FLAGS:
        assert points[name].tolist() == expected[name].tolist(), name
    theirs = read(f"{case['case']}_summary.csv")
    assert summary["part"].tolist() == theirs["part"].tolist()
    assert summary["runs.signal"].tolist() == theirs["runs.signal"].tolist()
    assert summary["sigma.signal"].tolist() == theirs["sigma.signal"].tolist()
    for name in SUMMARY:
        assert_close(summary[name], theirs[name], what=f"summary {name}")


@pytest.mark.parametrize("case", PACKAGE, ids=[c["case"] for c in PACKAGE])
def test_the_derivation_reproduces_the_package(case):
    points, summary = qic_derived.derive(FOLDER, case)
    assert_same(case, points, summary)


@pytest.mark.parametrize("case", DERIVED, ids=[c["case"] for c in DERIVED])
def test_the_derived_files_are_what_the_derivation_gives(case):
    points, summary = qic_derived.derive(FOLDER, case)
    assert_same(case, points, summary)
    assert len(points) == int(case["n_output_rows"])
    assert int(points["sigma.signal"].sum()) == int(case["sigma_signals"])
    assert int(summary["runs.signal"].max()) == int(case["runs_signal"])


def test_every_argument_the_derivation_covers_has_a_case():
    """Each qic() argument and option this suite derives appears in some case."""
    if not DERIVED:
        pytest.skip("this oracle folder has no derived cases")
    text = " ".join(c["args"] for c in DERIVED)
    for argument in (
        "cl =",
        "<input column 'cl'>",
        "y.neg = FALSE",
        "agg.fun =",
        "qic.screenedmr = FALSE",
    ):
        assert argument in text, argument
    charts = {c["chart"] for c in DERIVED if "unit" in c["description"]}
    assert {"pp", "up"} <= charts
