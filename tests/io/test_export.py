"""CSV written by qualitas is safe to open in a spreadsheet."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualitas.io import neutralise_formulas, write_csv
from qualitas.io.export import safe_cell


def read_back(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_formulas_in_text_get_an_apostrophe(tmp_path):
    frame = pd.DataFrame(
        {
            "ward": [
                '=HYPERLINK("http://x")',
                "+SUM(A1)",
                "-2+3",
                "@cmd",
                "\t=1",
                "Ward 7",
            ],
            "value": [-1.5, 2.0, -3.0, 0.0, 1.0, -0.25],
        }
    )
    rows = read_back(write_csv(frame, tmp_path / "out.csv"))
    assert rows[0] == ["ward", "value"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x")',
        "'+SUM(A1)",
        "'-2+3",
        "'@cmd",
        "'\t=1",
        "Ward 7",
    ]
    # Negative numbers stay numbers.
    assert [float(r[1]) for r in rows[1:]] == [-1.5, 2.0, -3.0, 0.0, 1.0, -0.25]
    assert rows[1][1] == "-1.5"


def test_numbers_held_as_text_are_left_alone():
    frame = pd.DataFrame({"code": ["-5", "+44", "-1,234.5", "-2e3", "-12%", "=5"]})
    assert neutralise_formulas(frame)["code"].tolist() == [
        "-5",
        "+44",
        "-1,234.5",
        "-2e3",
        "-12%",
        "'=5",
    ]


def test_categorical_text_and_column_names_are_neutralised():
    frame = pd.DataFrame({"=cmd": pd.Categorical(["=A1", "B"]), "n": [1, 2]})
    safe = neutralise_formulas(frame)
    assert list(safe.columns) == ["'=cmd", "n"]
    assert safe["'=cmd"].astype(str).tolist() == ["'=A1", "B"]


def test_dates_are_written_as_iso_dates(tmp_path):
    frame = pd.DataFrame(
        {"period": pd.to_datetime(["2024-04-01", "2024-05-01"]), "value": [1, 2]}
    )
    rows = read_back(write_csv(frame, tmp_path / "d.csv"))
    assert [r[0] for r in rows[1:]] == ["2024-04-01", "2024-05-01"]


@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_no_written_text_cell_starts_a_formula(values):
    safe = neutralise_formulas(pd.DataFrame({"name": values}))["name"].tolist()
    for original, cell in zip(values, safe, strict=True):
        assert cell in (original, "'" + original)
        if cell == original and original[:1] in ("=", "+", "-", "@", "\t", "\r"):
            float(
                original.strip().replace(",", "").rstrip("%")
            )  # only plain numbers are kept


@given(st.text(max_size=12))
def test_one_cell_and_a_whole_table_follow_the_same_rule(text):
    # The web writes its downloads a cell at a time and the command line a table at a
    # time: the same text must come out the same from both.
    table = neutralise_formulas(pd.DataFrame({"a": [text]}))
    assert table["a"].iloc[0] == safe_cell(text)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("-2.5", "-2.5"),
        ("-2+3", "'-2+3"),
        ("=1", "'=1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        (-2.5, -2.5),
    ],
)
def test_safe_cell(cell, expected):
    assert safe_cell(cell) == expected
