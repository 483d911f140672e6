"""Infinite values in a file: every command stops with a message naming the column
and rows (exit status 1), or, with --infinite missing, leaves those points out and
says so."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def with_inf(tmp_path, wards):
    # As pandas writes a division by zero; row 5 of the file (after the header).
    frame = wards.astype({"falls": float})
    frame.loc[3, "falls"] = float("inf")
    path = tmp_path / "wards_inf.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def test_spc_stops_on_an_infinite_value(run, with_inf, tmp_path):
    out = tmp_path / "points.csv"
    result = run(
        "spc",
        with_inf,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        out,
    )
    assert result.exit_code == 1
    assert "column 'falls' has infinite values in row 5" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("chart", ["i", "c", "run"])
def test_spc_chart_types_stop_on_an_infinite_value(run, with_inf, tmp_path, chart):
    result = run(
        "spc",
        with_inf,
        "--chart",
        chart,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "points.csv",
    )
    assert result.exit_code == 1
    assert "infinite values in row 5" in result.output


def test_spc_infinite_missing_leaves_the_point_out(run, with_inf, tmp_path):
    out = tmp_path / "points.csv"
    result = run(
        "spc",
        with_inf,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        out,
        "--infinite",
        "missing",
    )
    assert result.exit_code == 0, result.output
    assert "treated as missing" in result.output
    points = pd.read_csv(out)
    assert pd.isna(points.loc[3, "value"])
    assert points["ucl"].notna().all()


def test_an_unknown_infinite_setting_is_refused(run, with_inf, tmp_path):
    result = run(
        "spc",
        with_inf,
        "--value",
        "falls",
        "--period",
        "month",
        "--out",
        tmp_path / "p.csv",
        "--by",
        "ward",
        "--infinite",
        "zero",
    )
    assert result.exit_code == 1
    assert "infinite must be 'error' or 'missing'" in result.output


def test_dashboard_stops_on_an_infinite_value(run, with_inf, tmp_path):
    result = run(
        "dashboard",
        with_inf,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "dash",
    )
    assert result.exit_code == 1
    assert "infinite values in row 5" in result.output
    assert not (tmp_path / "dash" / "index.html").exists()


def test_batch_stops_on_an_infinite_value_and_can_leave_it_out(run, with_inf, tmp_path):
    out = tmp_path / "results"
    args = [
        "batch",
        "--input",
        with_inf,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--output",
        out,
    ]
    result = run(*args)
    assert result.exit_code == 1
    assert "column 'falls' has infinite values in row 5" in result.output
    assert not (out / "points.parquet").exists()
    result = run(*args, "--infinite", "missing")
    assert result.exit_code == 0, result.output
    assert "treated as missing" in result.output
    points = pd.read_parquet(out / "points.parquet")
    assert points["ucl"].notna().all()


def test_batch_infinite_is_not_a_funnel_option(run, with_inf, tmp_path):
    result = run(
        "batch",
        "--input",
        with_inf,
        "--chart",
        "funnel",
        "--value",
        "falls",
        "--denominator",
        "goal",
        "--group",
        "ward",
        "--output",
        tmp_path / "f",
        "--infinite",
        "missing",
    )
    assert result.exit_code == 1
    assert "--infinite is only for charts of series over time" in result.output


def test_funnel_stops_on_an_infinite_value(run, tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_text("trust,deaths,expected\nA,3,4\nB,inf,4\nC,5,4\nD,2,4\n")
    result = run(
        "funnel",
        path,
        "--numerator",
        "deaths",
        "--denominator",
        "expected",
        "--group",
        "trust",
        "--out",
        tmp_path / "units.csv",
    )
    assert result.exit_code == 1
    assert "column 'deaths' has infinite values in row 3" in result.output
