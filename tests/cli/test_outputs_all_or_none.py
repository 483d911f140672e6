"""The commands write every output file or none: a failure while writing one leaves
no other new file behind, and earlier files exactly as they were."""

from __future__ import annotations

import pytest


def spc_args(wards_csv, folder, summary):
    return [
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        folder / "points.csv",
        "--summary",
        summary,
    ]


def test_a_summary_that_cannot_be_written_leaves_no_points(run, wards_csv, tmp_path):
    (tmp_path / "taken").write_text("a file where a folder is needed")
    result = run(*spc_args(wards_csv, tmp_path, tmp_path / "taken" / "summary.csv"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken", "wards.csv"]


def test_a_failed_rename_puts_the_earlier_files_back(run, wards_csv, tmp_path):
    (tmp_path / "points.csv").write_text("earlier points\n")
    (tmp_path / "summary.csv").mkdir()  # cannot be replaced by a file
    result = run(*spc_args(wards_csv, tmp_path, tmp_path / "summary.csv"))
    assert result.exit_code == 1
    assert (tmp_path / "points.csv").read_text() == "earlier points\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "points.csv",
        "summary.csv",
        "wards.csv",
    ]


def test_every_file_is_written_when_all_succeed(run, wards_csv, tmp_path):
    (tmp_path / "points.csv").write_text("earlier points\n")
    result = run(
        *spc_args(wards_csv, tmp_path, tmp_path / "summary.parquet"),
        "--icons",
        tmp_path / "icons.csv",
        "--chart",
        tmp_path / "chart.html",
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chart.html",
        "icons.csv",
        "points.csv",
        "summary.parquet",
        "wards.csv",
    ]
    assert (
        (tmp_path / "points.csv").read_text(encoding="utf-8-sig").startswith('"ward",')
    )


def test_one_file_named_for_two_outputs_is_refused(run, wards_csv, tmp_path):
    result = run(*spc_args(wards_csv, tmp_path, tmp_path / "points.csv"))
    assert result.exit_code == 1
    assert "named for two outputs" in result.output
    assert not (tmp_path / "points.csv").exists()


@pytest.fixture
def deaths(tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_text("trust,deaths,expected\nA,3,4\nB,6,4\nC,5,4\nD,2,4\n")
    return path


def test_funnel_writes_every_file_or_none(run, deaths, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "units.csv").write_text("earlier units\n")
    (out / "limits.csv").mkdir()
    args = [
        "funnel",
        deaths,
        "--numerator",
        "deaths",
        "--denominator",
        "expected",
        "--group",
        "trust",
        "--out",
        out / "units.csv",
    ]
    result = run(*args, "--limits", out / "limits.csv", "--summary", out / "s.csv")
    assert result.exit_code == 1
    assert (out / "units.csv").read_text() == "earlier units\n"
    assert sorted(p.name for p in out.iterdir()) == ["limits.csv", "units.csv"]
    result = run(*args, "--summary", out / "s.csv")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["limits.csv", "s.csv", "units.csv"]


def test_dashboard_page_is_replaced_whole(run, wards_csv, tmp_path):
    out = tmp_path / "dash"
    result = run(
        "dashboard",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["index.html"]
    assert (out / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
