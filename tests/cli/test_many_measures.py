"""`qualitas spc --measures`: many measures from one wide or long file in one run,
each with its own direction and target; blank series are warned about."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def wide_csv(tmp_path):
    months = pd.date_range("2023-01-01", periods=20, freq="MS")
    falls = [5, 6, 5, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5, 6, 7, 6, 5, 6, 7]
    # Harm-free care falls sharply at the end: worse, since higher is better.
    harm_free = [95, 96, 95, 97, 96, 95, 96, 97, 96, 95, 96, 97, 96, 95]
    harm_free += [80, 79, 80, 79, 80, 79]
    frame = pd.DataFrame(
        {
            "month": months,
            "Falls": falls,
            "Harm free": harm_free,
            "Sepsis screening": [None] * 20,
        }
    )
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def _settings(tmp_path, text, suffix=".csv"):
    path = tmp_path / f"measures{suffix}"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_wide_file_gives_one_series_per_measure_with_its_direction_and_target(
    run, wide_csv, tmp_path
):
    settings = _settings(
        tmp_path, "measure,direction,target\nFalls,decrease,8\nHarm free,increase,95\n"
    )
    result = run(
        "spc", wide_csv, "--period", "month", "--measures", settings,
        "--out", tmp_path / "points.csv", "--icons", tmp_path / "icons.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    points = pd.read_csv(tmp_path / "points.csv", encoding="utf-8-sig")
    assert points["measure"].unique().tolist() == ["Falls", "Harm free"]
    assert points.groupby("measure")["target"].first().to_dict() == {
        "Falls": 8,
        "Harm free": 95,
    }
    icons = pd.read_csv(tmp_path / "icons.csv", encoding="utf-8-sig")
    by_measure = icons.set_index("measure")
    # The fall in harm-free care is a concern because higher is better.
    assert str(by_measure.loc["Harm free", "variation"]).startswith("concern")


def test_a_toml_settings_file_and_a_long_file_work_the_same_way(
    run, wards_csv, tmp_path
):
    settings = _settings(
        tmp_path,
        '[measures.A]\ndirection = "decrease"\ntarget = 8\n'
        '[measures.B]\ndirection = "increase"\n',
        suffix=".toml",
    )
    result = run(
        "spc", wards_csv, "--value", "falls", "--period", "month", "--by", "ward",
        "--measures", settings, "--out", tmp_path / "points.csv",
        "--icons", tmp_path / "icons.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    icons = pd.read_csv(tmp_path / "icons.csv", encoding="utf-8-sig")
    # B's direction is increase (higher is better), so its fall is a concern.
    assert str(icons.set_index("ward").loc["B", "variation"]).startswith("concern")
    points = pd.read_csv(tmp_path / "points.csv", encoding="utf-8-sig")
    assert points.groupby("ward")["target"].first().fillna(-1).to_dict() == {
        "A": 8,
        "B": -1,
    }


def test_an_all_blank_series_is_warned_about(run, wide_csv, tmp_path):
    settings = _settings(tmp_path, "measure\nFalls\nSepsis screening\n")
    result = run(
        "spc", wide_csv, "--period", "month", "--measures", settings,
        "--out", tmp_path / "points.csv",
    )  # fmt: skip
    assert "Sepsis screening has no values (every cell is blank)" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "measure,target\nFalls,95%\n",
            "row 2, target: '95%' in target is not a number",
        ),
        ("measure,direction\nFalls,up\n", "row 2, direction: direction 'up' is not"),
        ("measure\nFalls\nFalls\n", "row 3, measure: measure 'Falls' is listed again"),
        ("measure\nFallz\n", "measures that are not columns of the data: 'Fallz'"),
    ],
)
def test_a_wrong_settings_file_is_refused_naming_row_and_column(
    run, wide_csv, tmp_path, text, message
):
    result = run(
        "spc", wide_csv, "--period", "month", "--measures", _settings(tmp_path, text),
        "--out", tmp_path / "points.csv",
    )  # fmt: skip
    assert result.exit_code != 0
    assert message in " ".join(result.output.split())


def test_without_value_or_measures_the_command_says_what_to_give(
    run, wide_csv, tmp_path
):
    result = run("spc", wide_csv, "--period", "month", "--out", tmp_path / "p.csv")
    assert result.exit_code != 0
    assert "give --value" in " ".join(result.output.split())


def test_a_single_value_option_given_twice_is_still_refused(run, wards_csv, tmp_path):
    result = run(
        "spc", wards_csv, "--value", "falls", "--value", "goal", "--period", "month",
        "--out", tmp_path / "p.csv",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "given 2 times" in " ".join(result.output.split())
