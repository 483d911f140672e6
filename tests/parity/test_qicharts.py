"""qicharts2 0.8.1 golden cases: every limit, signal and runs statistic must match.

The case index (``qicharts/cases.csv``) gives each case's ``qic()`` arguments as R
text; positions there (``part``, ``exclude``, ``freeze``) count subgroups after
aggregation, which this module turns into the periods qualitas takes. Every case runs
on every engine (the ``engine`` fixture of tests/conftest.py). Cases named
``*_DERIVED`` were derived from the package's source rather than computed by it (see
tests/parity/qic_derived.py, checked against every package case by
test_qic_derived.py); they cover the arguments the package's cases leave out.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from qualitas.spc.chart import ChartRequest
from tests.parity.oracle import assert_close, oracle_dir

FOLDER = oracle_dir() / "qicharts"
CASES = pd.read_csv(FOLDER / "cases.csv", dtype=str).to_dict("records")

# Ours -> theirs, per subgroup.
NUMBERS = {
    "value": "y",
    "cl": "cl",
    "lcl": "lcl",
    "ucl": "ucl",
    "lcl_95": "lcl.95",
    "ucl_95": "ucl.95",
    "total": "y.sum",
    "subgroup_mean": "y.mean",
    "subgroup_sd": "y.sd",
    "denominator": "n",
    "target": "target",
}
FLAGS = {
    "baseline": "baseline",
    "include": "include",
    "sigma_signal": "sigma.signal",
    "runs_signal": "runs.signal",
}
RUNS = {
    "n_obs": "n.obs",
    "n_useful": "n.useful",
    "longest_run": "longest.run",
    "longest_run_max": "longest.run.max",
    "n_crossings": "n.crossings",
    "n_crossings_min": "n.crossings.min",
}
SUMMARY = {
    "cl": "CL",
    "lcl": "aLCL",
    "ucl": "aUCL",
    "lcl_95": "aLCL.95",
    "ucl_95": "aUCL.95",
}


def parse_args(text: str) -> dict[str, str]:
    """``chart = 'i'; exclude = 20`` -> {'chart': "'i'", 'exclude': '20'}."""
    out = {}
    for item in text.split(";"):
        name, _, value = item.partition("=")
        out[name.strip()] = value.strip()
    return out


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(FOLDER / name, keep_default_na=False, na_values=["NA"])


def run_case(case: dict, engine) -> tuple[pd.DataFrame, object]:
    args = parse_args(case["args"])
    data = read(f"{case['case']}_input.csv")
    # qic() reads a Date x as times and a character x as units (categorical); the
    # input files write dates as YYYY-MM-DD.
    text = data["x"].dtype == object
    dates = text and data["x"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    if dates:
        data["x"] = pd.to_datetime(data["x"])
    periods = np.sort(data["x"].unique())  # subgroups, in qic's order
    kwargs: dict = {"categorical": bool(text and not dates)}
    for name, value in args.items():
        if name == "chart":
            continue
        if name == "part":
            if value.startswith("<input column"):
                kwargs["part"] = column_named(value)
            else:
                # qic: a new part starts after subgroup k.
                kwargs["part"] = [periods[int(k)] for k in value.split(",")]
        elif name in ("exclude", "freeze"):
            positions = [periods[int(k) - 1] for k in value.split(",")]
            kwargs[name] = positions if name == "exclude" else positions[0]
        elif name in ("multiply", "target"):
            kwargs[name] = float(value)
        elif name == "cl":
            kwargs["cl"] = (
                column_named(value)
                if value.startswith("<input column")
                else float(value)
            )
        elif name == "agg.fun":
            kwargs["aggregate"] = value.strip("'")
        elif name == "y.neg":
            kwargs["negative_limits"] = r_logical(value)
        elif name == "qic.screenedmr":  # an option: options(qic.screenedmr = ...)
            kwargs["screen_outliers"] = r_logical(value)
        else:
            raise AssertionError(f"{case['case']}: argument {name!r} is not supported")
    request = ChartRequest(
        chart=args["chart"].strip("'"),
        value="y",
        period="x",
        denominator="n" if "n" in data.columns else None,
        **kwargs,
    )
    return data, engine.compute(data, request)


def column_named(text: str) -> str:
    """``<input column 'part'>`` -> ``part``."""
    return re.search(r"'(\w+)'", text).group(1)


def r_logical(text: str) -> bool:
    return {"TRUE": True, "FALSE": False}[text]


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_case_matches_qicharts2(case, engine):
    _, result = run_case(case, engine)
    expected = read(f"{case['case']}_output.csv")
    points = result.points
    assert len(points) == len(expected) == int(case["n_output_rows"])

    if pd.api.types.is_datetime64_any_dtype(points["period"]):
        assert (
            points["period"].dt.strftime("%Y-%m-%d").tolist() == expected["x"].tolist()
        )
    else:
        assert points["period"].tolist() == expected["x"].tolist()
    for ours, theirs in NUMBERS.items():
        assert_close(points[ours], expected[theirs], what=ours)
    assert points["observations"].tolist() == expected["y.length"].tolist()
    assert points["phase"].tolist() == expected["part"].tolist()
    for ours, theirs in FLAGS.items():
        assert points[ours].tolist() == expected[theirs].tolist(), ours
    assert int(points["sigma_signal"].sum()) == int(case["sigma_signals"])

    # Runs statistics are per phase; qic repeats them on every row.
    summary = result.summary
    per_row = summary.set_index("phase").loc[points["phase"]]
    for ours, theirs in RUNS.items():
        assert (
            per_row[ours].astype("Float64").tolist()
            == expected[theirs].astype("Float64").tolist()
        ), ours

    theirs = read(f"{case['case']}_summary.csv")
    assert summary["phase"].tolist() == theirs["part"].tolist()
    for ours, name in RUNS.items():
        assert (
            summary[ours].astype("Float64").tolist()
            == theirs[name].astype("Float64").tolist()
        ), ours
    assert summary["runs_signal"].astype(int).tolist() == theirs["runs.signal"].tolist()
    assert summary["sigma_signals"].tolist() == theirs["sigma.signal"].tolist()
    for ours, name in SUMMARY.items():
        assert_close(summary[ours], theirs[name], what=f"summary {ours}")
    assert int(summary["runs_signal"].any()) == int(case["runs_signal"])


def test_every_case_in_the_index_has_its_files():
    for case in CASES:
        for kind in ("input", "output", "summary"):
            assert (FOLDER / f"{case['case']}_{kind}.csv").exists(), case["case"]
    assert len(CASES) >= 16
    assert len({c["case"] for c in CASES}) == len(CASES)


def test_critical_values_match_the_table():
    from qualitas.spc.anhoej import critical_values

    table = read("anhoej_critical_values.csv")
    longest, crossings = critical_values(table["n_useful"].to_numpy())
    assert longest.tolist() == table["longest_run_max"].tolist()
    assert crossings.tolist() == table["n_crossings_min"].tolist()


def test_xbar_and_s_constants_match_the_table():
    from qualitas.spc.subgroup_charts import c4, constants

    table = read("xbar_s_constants.csv")
    k = constants(table["n"].to_numpy())
    assert_close(c4(table["n"].to_numpy()), table["c4"], what="c4")
    for ours, theirs in [
        ("A3", "A3"),
        ("B3", "B3"),
        ("B4", "B4"),
        ("A3_95", "A3_2sigma"),
        ("B3_95", "B3_2sigma"),
        ("B4_95", "B4_2sigma"),
    ]:
        assert_close(k[ours], table[theirs], what=ours)
