"""`qualitas spc`: files in, points, summary, icons and charts out; clear errors."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

POINT_COLUMNS = [
    "ward",
    "period",
    "value",
    "phase",
    "cl",
    "lcl",
    "ucl",
    "lcl_95",
    "ucl_95",
    "target",
    "trial_limits",
    "baseline",
    "include",
    "sigma_signal",
    "runs_signal",
    "observations",
    "total",
    "subgroup_mean",
    "subgroup_sd",
    "denominator",
    "special_cause",
    "point_type",
]


def test_writes_points_summary_and_icons(run, wards_csv, tmp_path):
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--target",
        8,
        "--out",
        tmp_path / "points.csv",
        "--summary",
        tmp_path / "summary.csv",
        "--icons",
        tmp_path / "icons.csv",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "points.csv", encoding="utf-8-sig")
    assert list(points.columns) == POINT_COLUMNS
    assert len(points) == 40
    assert points["period"].iloc[0] == "2023-01-01"
    summary = pd.read_csv(tmp_path / "summary.csv", encoding="utf-8-sig")
    assert {
        "ward",
        "phase",
        "cl",
        "lcl",
        "ucl",
        "n_obs",
        "variation",
        "assurance",
    } <= set(summary.columns)
    icons = pd.read_csv(tmp_path / "icons.csv", encoding="utf-8-sig")
    assert icons["ward"].tolist() == ["A", "B"]
    assert icons.loc[1, "variation"] == "concern_low"
    assert "40 points in 2 series written to" in result.output


def test_rebase_fix_after_and_rules_reach_the_engine(run, wards_csv, tmp_path):
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--rebase",
        "2023-07-01",
        "--fix-after",
        5,
        "--no-screen-outliers",
        "--shift",
        6,
        "--direction",
        "decrease",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "p.csv")
    assert points.groupby("ward")["phase"].max().tolist() == [2, 2]
    b = points[points["ward"] == "B"]
    assert (b["point_type"].tail(6) == "improvement").all()  # lower is better now


def test_target_column_gives_each_series_its_target(run, tmp_path, wards):
    wards.loc[wards["ward"] == "B", "goal"] = 2.0
    path = tmp_path / "w.csv"
    wards.to_csv(path, index=False)
    result = run(
        "spc",
        path,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--target-column",
        "goal",
        "--out",
        tmp_path / "p.csv",
        "--icons",
        tmp_path / "i.csv",
    )
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "i.csv")["target"].tolist() == [8.0, 2.0]


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_excel_and_parquet_inputs_give_the_same_points(
    run, wards, wards_csv, tmp_path, suffix
):
    other = tmp_path / f"wards{suffix}"
    if suffix == ".xlsx":
        wards.to_excel(other, index=False)
    else:
        wards.to_parquet(other, index=False)
    for source, out in ((wards_csv, "from_csv.csv"), (other, "from_other.csv")):
        result = run(
            "spc",
            source,
            "--value",
            "falls",
            "--period",
            "month",
            "--by",
            "ward",
            "--out",
            tmp_path / out,
        )
        assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "from_csv.csv"), pd.read_csv(tmp_path / "from_other.csv")
    )


def test_parquet_output(run, wards_csv, tmp_path):
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.parquet",
    )
    assert result.exit_code == 0, result.output
    assert list(pd.read_parquet(tmp_path / "p.parquet").columns) == POINT_COLUMNS


def test_csv_output_neutralises_formulas_but_not_negative_numbers(run, tmp_path):
    months = pd.date_range("2024-01-01", periods=8, freq="MS")
    frame = pd.DataFrame(
        {
            "month": list(months) * 2,
            "ward": ['=HYPERLINK("http://evil","x")'] * 8 + ["-5"] * 8,
            "change": [-1.5, -2.0, -1.0, -2.5, -1.5, -2.0, -1.0, -3.0] * 2,
        }
    )
    path = tmp_path / "w.csv"
    frame.to_csv(path, index=False)
    result = run(
        "spc",
        path,
        "--value",
        "change",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 0, result.output
    with (tmp_path / "p.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    wards = {r["ward"] for r in rows}
    assert wards == {'\'=HYPERLINK("http://evil","x")', "-5"}
    assert rows[0]["value"].startswith("-")
    assert all(float(r["value"]) < 0 for r in rows)


@pytest.mark.parametrize("suffix", [".svg", ".png", ".html"])
def test_chart_of_one_series(run, wards_csv, tmp_path, suffix):
    chart = tmp_path / f"chart{suffix}"
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--series",
        "B",
        "--target",
        8,
        "--out",
        tmp_path / "p.csv",
        "--chart",
        chart,
    )
    assert result.exit_code == 0, result.output
    data = chart.read_bytes()
    if suffix == ".png":
        assert data[:4] == b"\x89PNG"
    else:
        assert b"Special cause concern" in data


def test_html_chart_of_many_series_is_a_dashboard(run, wards_csv, tmp_path):
    chart = tmp_path / "all.html"
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
        "--chart",
        chart,
    )
    assert result.exit_code == 0, result.output
    assert chart.read_text().count('<tr class="series-row') == 2


def test_static_chart_of_many_series_asks_which(run, wards_csv, tmp_path):
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
        "--chart",
        tmp_path / "c.svg",
    )
    assert result.exit_code == 1
    assert "2 series; choose one with --series" in result.output
    assert not (
        tmp_path / "p.csv"
    ).exists()  # nothing is written when the drawing cannot be made


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--value", "nope", "--period", "month"], "column 'nope' not found"),
        (["--value", "falls", "--period", "ward"], "column 'ward' must hold dates"),
        (
            [
                "--value",
                "falls",
                "--period",
                "month",
                "--by",
                "ward",
                "--rebase",
                "not a date",
            ],
            "part period 'not a date' is not a date",
        ),
        (
            ["--value", "falls", "--period", "month", "--fix-after", "1"],
            "fix_after must be a whole number of at least 2",
        ),
        (["--value", "falls", "--period", "month"], "appears more than once"),
        (
            [
                "--value",
                "falls",
                "--period",
                "month",
                "--by",
                "ward",
                "--direction",
                "up",
            ],
            "direction must be",
        ),
        (
            [
                "--value",
                "falls",
                "--period",
                "month",
                "--by",
                "ward",
                "--target",
                "5",
                "--target-column",
                "goal",
            ],
            "either --target or --target-column",
        ),
    ],
)
def test_bad_input_gives_a_clear_message_and_fails(
    run, wards_csv, tmp_path, args, message
):
    result = run("spc", wards_csv, *args, "--out", tmp_path / "p.csv")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "p.csv").exists()


def test_text_in_the_value_column_names_the_rows(run, tmp_path, wards):
    wards["falls"] = wards["falls"].astype(object)
    wards.loc[3, "falls"] = "n/a"
    path = tmp_path / "w.csv"
    wards.to_csv(path, index=False)
    result = run(
        "spc",
        path,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 1
    assert (
        "column 'falls' must hold numbers, but row 5 holds text such as 'n/a'"
        in result.output
    )


def test_missing_input_file_and_wrong_output_suffix(run, tmp_path, wards_csv):
    result = run(
        "spc",
        tmp_path / "nothere.csv",
        "--value",
        "v",
        "--period",
        "p",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 1
    assert "file not found" in result.output
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.xlsx",
    )
    assert result.exit_code == 1
    assert "tables are written as .csv or .parquet" in result.output


def test_warnings_are_shown_in_plain_words(run, tmp_path, wards):
    short = wards[wards["month"] < "2023-08-01"]
    path = tmp_path / "short.csv"
    short.to_csv(path, index=False)
    result = run(
        "spc",
        path,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
    )
    assert result.exit_code == 0
    assert "Warning: 2 phases have fewer than 13 points" in result.output


def test_large_inputs_run_with_a_progress_bar(run, wards_csv, tmp_path, monkeypatch):
    monkeypatch.setattr("qualitas.cli.spc.is_large", lambda path: True)
    result = run(
        "spc",
        wards_csv,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "p.csv",
        "--chart",
        tmp_path / "c.html",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "p.csv").exists()
    assert (tmp_path / "c.html").exists()


def test_decimal_commas_are_read_and_the_command_says_so(run, tmp_path, wards):
    # As Excel saves a CSV where the comma is the decimal mark: 5,5 is five and a half.
    semicolon = wards.assign(falls=wards["falls"] + 0.5)
    path = tmp_path / "wards.csv"
    semicolon.to_csv(path, index=False, sep=";", decimal=",", date_format="%Y-%m-%d")
    result = run(
        "spc",
        path,
        "--value",
        "falls",
        "--period",
        "month",
        "--by",
        "ward",
        "--out",
        tmp_path / "points.csv",
    )
    assert result.exit_code == 0, result.output
    assert "read wards.csv as semicolon-separated with decimal commas" in result.output
    points = pd.read_csv(tmp_path / "points.csv")
    assert points["value"].tolist() == (semicolon["falls"]).tolist()  # never 55


def test_a_row_with_an_extra_cell_is_named_by_the_command(run, tmp_path):
    path = tmp_path / "wards.csv"
    path.write_text("ward,month,falls\nA,2024-01,5\nA,2024-02,4,5\nA,2024-03,6\n")
    result = run(
        "spc",
        path,
        "--value",
        "falls",
        "--period",
        "month",
        "--out",
        tmp_path / "points.csv",
    )
    assert result.exit_code == 1
    assert "row 3 of wards.csv has 4 cells but the header has 3" in result.output
